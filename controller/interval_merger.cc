#include "controller/interval_merger.h"

#include <utility>

#include "absl/status/status.h"
#include "common/hdr_codec.h"

namespace vexbench {

void SeriesTotals::Add(const SeriesTotals& other) {
  latency.Merge(other.latency);
  wait.Merge(other.wait);
  counters.Add(other.counters);
  open_loop = open_loop || other.open_loop;
}

absl::Status DecodeSeriesInterval(const v1::SeriesInterval& series, SeriesTotals& out) {
  auto failed = [&](const char* which, const absl::Status& s) {
    return absl::InvalidArgumentError("series " + series.key().target() + "/" +
                                      series.key().phase() + "/" + series.key().op() + ": " +
                                      which + " histogram: " + std::string(s.message()));
  };
  if (absl::Status s = DecodeV2Into(series.latency_hdr(), out.latency); !s.ok()) {
    return failed("latency", s);
  }
  out.open_loop = !series.wait_hdr().empty();
  if (!out.open_loop) {
    out.wait.Reset();
  } else if (absl::Status s = DecodeV2Into(series.wait_hdr(), out.wait); !s.ok()) {
    return failed("wait", s);
  }
  const v1::Counters& c = series.counters();
  out.counters = SeriesCounters{};
  out.counters.requests = c.requests();
  out.counters.errors = c.errors();
  for (int i = 1; i < kErrorClassCount; ++i) {
    auto it = c.errors_by_class().find(std::string(kErrorClassNames[i]));
    if (it != c.errors_by_class().end()) out.counters.errors_by_class[i] = it->second;
  }
  out.counters.bytes_sent = c.bytes_sent();
  out.counters.bytes_received = c.bytes_received();
  out.counters.late_sends = c.late_sends();
  out.counters.unsent = c.unsent();
  out.counters.clamped = c.clamped();
  out.counters.items = c.items();
  out.counters.recall_hits = c.recall_hits();
  out.counters.recall_expected = c.recall_expected();
  return absl::OkStatus();
}

absl::Status IntervalMerger::Add(const v1::Interval& interval) {
  // Decode everything first so that a bad blob changes nothing. The decoded series live in
  // decoded_, whose histograms are reused from one interval to the next (no allocation).
  const int n = interval.series_size();
  if (static_cast<int>(decoded_.size()) < n) decoded_.resize(n);
  last_added_ = 0;
  for (int i = 0; i < n; ++i) {
    const v1::SeriesInterval& s = interval.series(i);
    if (absl::Status status = DecodeSeriesInterval(s, decoded_[i].second); !status.ok()) {
      return status;
    }
    decoded_[i].first = SeriesId{s.key().target(), s.key().phase(), s.key().op()};
  }
  last_added_ = n;
  for (int i = 0; i < n; ++i) {
    const auto& [id, totals] = decoded_[i];
    auto total = totals_.find(id);
    if (total == totals_.end()) {
      order_.push_back(id);
      total = totals_.emplace(id, SeriesTotals{}).first;
    }
    total->second.Add(totals);
    per_shard_[id][interval.shard_index()].Add(totals);
    std::map<int64_t, IntervalPoint>& timeline = timeline_[id];
    IntervalPoint& point = timeline[interval.seq()];
    if (point.length_us == 0) {
      point.start_unix_us = interval.start_unix_us();
      point.length_us = interval.length_us();
    }
    if (point.compact) Expand(point);  // a shard late by more than kOpenIntervals: rare
    point.open.Add(totals);
    // Compact what fell out of the open window, and a late point again.
    int64_t& open_from = open_from_[id];
    const int64_t new_open_from = timeline.rbegin()->first - kOpenIntervals + 1;
    for (auto it = timeline.lower_bound(open_from);
         it != timeline.end() && it->first < new_open_from; ++it) {
      Compact(it->second);
    }
    open_from = std::max(open_from, new_open_from);
    if (interval.seq() < open_from) Compact(point);
  }
  return absl::OkStatus();
}

void IntervalMerger::Compact(IntervalPoint& point) {
  if (point.compact) return;
  point.latency_v2 = EncodeV2Compressed(point.open.latency);
  point.wait_v2 = point.open.open_loop ? EncodeV2Compressed(point.open.wait) : std::string();
  point.open.latency = Histogram();
  point.open.wait = Histogram();
  point.compact = true;
}

void IntervalMerger::Expand(IntervalPoint& point) {
  point.open = point.Totals();
  point.compact = false;
  point.latency_v2.clear();
  point.wait_v2.clear();
}

SeriesTotals IntervalPoint::Totals() const {
  SeriesTotals t = open;
  if (compact) {
    // Blobs this process encoded: they decode.
    (void)DecodeV2Into(latency_v2, t.latency);
    if (!wait_v2.empty()) (void)DecodeV2Into(wait_v2, t.wait);
  }
  return t;
}

void IntervalMerger::AddPhaseEnd(const v1::PhaseEnd& phase_end) {
  PhaseWindow& w = windows_[phase_end.phase()][phase_end.shard_index()];
  w.start_unix_us = phase_end.measured_start_unix_us();
  w.end_unix_us = phase_end.measured_end_unix_us();
  w.error = phase_end.error();
}

}  // namespace vexbench
