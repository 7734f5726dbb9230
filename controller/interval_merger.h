// Merges the intervals that agents send into exact totals: per series (target, phase, op)
// overall, per shard, and per interval (for the timeline and the .hlog files).
//
// Every number of a report is derived from what this holds: decoded HdrHistogram V2 blobs and
// counters, added count for count.
//
// Thread safety: none; the owner (JobExecution) serialises calls.
#ifndef VEXBENCH_CONTROLLER_INTERVAL_MERGER_H_
#define VEXBENCH_CONTROLLER_INTERVAL_MERGER_H_

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "common/histogram.h"
#include "common/series_counters.h"
#include "proto/vexbench.pb.h"

namespace vexbench {

struct SeriesId {
  std::string target;
  std::string phase;
  std::string op;
  friend auto operator<=>(const SeriesId&, const SeriesId&) = default;
};

struct SeriesTotals {
  Histogram latency;  // µs, successful operations
  Histogram wait;     // µs, open loop: intended -> actual send
  SeriesCounters counters;
  bool open_loop = false;
  void Add(const SeriesTotals& other);
};

// One reporting interval of one series, merged over shards. The newest kOpenIntervals points
// of a series hold histograms; older ones keep theirs as compressed V2 blobs (a few KB instead
// of tens of KB each), so that a long job's timeline stays small. Totals() gives either.
struct IntervalPoint {
  int64_t start_unix_us = 0;
  int64_t length_us = 0;
  // The counts, exact either way (V2 encoding is lossless).
  SeriesTotals Totals() const;
  const SeriesCounters& counters() const { return open.counters; }

  // The merger's state: `open` holds everything until the point is compact; then its
  // histograms are empty and the blobs hold them.
  SeriesTotals open;
  bool compact = false;
  std::string latency_v2;
  std::string wait_v2;  // empty when not open loop
};

// How many of a series' newest intervals stay uncompressed (late shards merge into them
// cheaply; older ones are decoded, merged and encoded again).
inline constexpr int64_t kOpenIntervals = 4;

// The measured window of a phase on one shard (from PhaseEnd).
struct PhaseWindow {
  int64_t start_unix_us = 0;
  int64_t end_unix_us = 0;
  std::string error;
};

class IntervalMerger {
 public:
  // Adds one interval of one shard. An error (a blob that does not decode) names the series
  // and leaves the merger unchanged.
  absl::Status Add(const v1::Interval& interval);
  void AddPhaseEnd(const v1::PhaseEnd& phase_end);

  // In the order first seen.
  const std::vector<SeriesId>& series() const { return order_; }
  const SeriesTotals& Total(const SeriesId& id) const { return totals_.at(id); }
  // Per shard index; shards that sent nothing for the series are absent.
  const std::map<int, SeriesTotals>& PerShard(const SeriesId& id) const {
    return per_shard_.at(id);
  }
  // Keyed by interval sequence number.
  const std::map<int64_t, IntervalPoint>& Timeline(const SeriesId& id) const {
    return timeline_.at(id);
  }
  // Per phase name, per shard index.
  const std::map<std::string, std::map<int, PhaseWindow>>& windows() const { return windows_; }
  // The series of the interval the last successful Add() merged, decoded.
  std::span<const std::pair<SeriesId, SeriesTotals>> last_added() const {
    return {decoded_.data(), last_added_};
  }

 private:
  static void Compact(IntervalPoint& point);
  static void Expand(IntervalPoint& point);

  std::vector<std::pair<SeriesId, SeriesTotals>> decoded_;  // reused by Add()
  size_t last_added_ = 0;
  std::vector<SeriesId> order_;
  std::map<SeriesId, SeriesTotals> totals_;
  std::map<SeriesId, std::map<int, SeriesTotals>> per_shard_;
  std::map<SeriesId, std::map<int64_t, IntervalPoint>> timeline_;
  std::map<SeriesId, int64_t> open_from_;  // per series: points below this seq are compact
  std::map<std::string, std::map<int, PhaseWindow>> windows_;
};

// Decodes the wire form of one series interval into `out` (reusing its histograms' memory).
// An error names the series and the histogram that does not decode.
absl::Status DecodeSeriesInterval(const v1::SeriesInterval& series, SeriesTotals& out);

}  // namespace vexbench

#endif  // VEXBENCH_CONTROLLER_INTERVAL_MERGER_H_
