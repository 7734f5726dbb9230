// What one engine thread measures for one (target, phase, op) series, between two interval
// snapshots: latency of successful operations, open-loop wait, and counters.
#ifndef VEXBENCH_AGENT_SERIES_RECORDER_H_
#define VEXBENCH_AGENT_SERIES_RECORDER_H_

#include <array>
#include <cstdint>

#include "common/error_class.h"
#include "common/histogram.h"
#include "common/series_counters.h"
#include "proto/vexbench.pb.h"

namespace vexbench {

// Not thread-safe: owned and written by one thread; DrainInto is called on that thread.
class SeriesRecorder {
 public:
  // Histograms in µs, 1 µs .. 1 h, 3 significant digits.
  SeriesRecorder() = default;

  // One finished operation. Latency is recorded for successful ones only.
  void RecordOperation(ErrorClass error, std::chrono::nanoseconds latency, uint64_t bytes_sent,
                       uint64_t bytes_received) {
    ++counters_.requests;
    counters_.bytes_sent += static_cast<int64_t>(bytes_sent);
    counters_.bytes_received += static_cast<int64_t>(bytes_received);
    if (error == ErrorClass::kNone) {
      latency_.RecordDuration(latency);
    } else {
      ++counters_.errors;
      ++counters_.errors_by_class[static_cast<int>(error)];
    }
  }
  // The items an operation handled and, for a successful query answer, its recall (-1: none).
  void RecordVerdictExtras(int64_t items, int32_t recall_hits, int32_t recall_k) {
    counters_.items += items;
    if (recall_hits >= 0) {
      counters_.recall_hits += recall_hits;
      counters_.recall_expected += recall_k;
    }
  }
  // Open loop: the time from the intended instant to the actual send.
  void RecordWait(std::chrono::nanoseconds wait, bool late) {
    wait_.RecordDuration(wait);
    if (late) ++counters_.late_sends;
  }
  // Open loop: an intended request never sent before the phase's end (counted as a timeout).
  void RecordUnsent() {
    ++counters_.unsent;
    ++counters_.requests;
    ++counters_.errors;
    ++counters_.errors_by_class[static_cast<int>(ErrorClass::kTimeout)];
  }

  // Adds everything into `sink` and resets this recorder.
  void DrainInto(SeriesRecorder& sink);
  void Reset();

  const Histogram& latency() const { return latency_; }
  const Histogram& wait() const { return wait_; }
  const SeriesCounters& counters() const { return counters_; }

  // Fills the wire form (V2 compressed histograms). `open_loop` adds the wait histogram.
  void ToProto(bool open_loop, v1::SeriesInterval* out) const;

 private:
  Histogram latency_;
  Histogram wait_;
  SeriesCounters counters_;
};

}  // namespace vexbench

#endif  // VEXBENCH_AGENT_SERIES_RECORDER_H_
