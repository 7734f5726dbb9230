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

absl::StatusOr<SeriesTotals> DecodeSeriesInterval(const v1::SeriesInterval& series) {
  SeriesTotals out;
  const std::string name =
      series.key().target() + "/" + series.key().phase() + "/" + series.key().op();
  auto latency = DecodeV2(series.latency_hdr());
  if (!latency.ok()) {
    return absl::InvalidArgumentError("series " + name + ": latency histogram: " +
                                      std::string(latency.status().message()));
  }
  out.latency = *std::move(latency);
  if (!series.wait_hdr().empty()) {
    auto wait = DecodeV2(series.wait_hdr());
    if (!wait.ok()) {
      return absl::InvalidArgumentError("series " + name + ": wait histogram: " +
                                        std::string(wait.status().message()));
    }
    out.wait = *std::move(wait);
    out.open_loop = true;
  }
  const v1::Counters& c = series.counters();
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
  return out;
}

absl::Status IntervalMerger::Add(const v1::Interval& interval) {
  // Decode everything first so that a bad blob changes nothing.
  std::vector<std::pair<SeriesId, SeriesTotals>> decoded;
  for (const v1::SeriesInterval& s : interval.series()) {
    auto totals = DecodeSeriesInterval(s);
    if (!totals.ok()) return totals.status();
    decoded.emplace_back(SeriesId{s.key().target(), s.key().phase(), s.key().op()},
                         *std::move(totals));
  }
  for (auto& [id, totals] : decoded) {
    if (totals_.find(id) == totals_.end()) {
      order_.push_back(id);
      totals_[id] = SeriesTotals{};
    }
    totals_[id].Add(totals);
    per_shard_[id][interval.shard_index()].Add(totals);
    IntervalPoint& point = timeline_[id][interval.seq()];
    if (point.length_us == 0) {
      point.start_unix_us = interval.start_unix_us();
      point.length_us = interval.length_us();
    }
    point.totals.Add(totals);
  }
  return absl::OkStatus();
}

void IntervalMerger::AddPhaseEnd(const v1::PhaseEnd& phase_end) {
  PhaseWindow& w = windows_[phase_end.phase()][phase_end.shard_index()];
  w.start_unix_us = phase_end.measured_start_unix_us();
  w.end_unix_us = phase_end.measured_end_unix_us();
  w.error = phase_end.error();
}

}  // namespace vexbench
