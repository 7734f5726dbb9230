// Counters of one (target, phase, op) series, on the agent per interval and on the controller
// merged; the same fields as v1::Counters.
#ifndef VEXBENCH_COMMON_SERIES_COUNTERS_H_
#define VEXBENCH_COMMON_SERIES_COUNTERS_H_

#include <array>
#include <cstdint>

#include "common/error_class.h"

namespace vexbench {

struct SeriesCounters {
  int64_t requests = 0;  // completed operations, successful or not
  int64_t errors = 0;    // sum of errors_by_class
  std::array<int64_t, kErrorClassCount> errors_by_class{};
  int64_t bytes_sent = 0;
  int64_t bytes_received = 0;
  int64_t late_sends = 0;  // open loop: sends later than the late threshold
  int64_t unsent = 0;      // open loop: arrivals never sent (also counted as timeouts)
  int64_t clamped = 0;     // latencies outside the histogram's range, clamped into it
  int64_t items = 0;       // vectors (or files) handled by successful operations
  int64_t recall_hits = 0;      // query answers: true neighbours found in their top k
  int64_t recall_expected = 0;  // query answers: the sum of their k (recall = hits / expected)

  void Add(const SeriesCounters& other) {
    requests += other.requests;
    errors += other.errors;
    for (int i = 0; i < kErrorClassCount; ++i) errors_by_class[i] += other.errors_by_class[i];
    bytes_sent += other.bytes_sent;
    bytes_received += other.bytes_received;
    late_sends += other.late_sends;
    unsent += other.unsent;
    clamped += other.clamped;
    items += other.items;
    recall_hits += other.recall_hits;
    recall_expected += other.recall_expected;
  }
  friend bool operator==(const SeriesCounters&, const SeriesCounters&) = default;
};

}  // namespace vexbench

#endif  // VEXBENCH_COMMON_SERIES_COUNTERS_H_
