// Pass/fail thresholds of a job spec: "<phase>.<metric> <op> <value>" or "<metric> <op> <value>"
// (every phase). Metrics: p50 p90 p95 p99 p999 max mean (a duration: 50ms, 800us, 1.5s),
// throughput (requests/s), errors (a count, or a percentage of requests: 0.1%), recall@K (the
// mean recall of query answers, 0..1).
// Operators: < <= > >=. Evaluated by the controller on merged data, once per matching result
// (target, phase, op).
#ifndef VEXBENCH_CONTROLLER_THRESHOLD_H_
#define VEXBENCH_CONTROLLER_THRESHOLD_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace vexbench {

struct Threshold {
  enum class Metric { kPercentile, kMax, kMean, kThroughput, kErrors, kRecall };
  enum class Op { kLess, kLessEqual, kGreater, kGreaterEqual };

  std::string expr;
  std::optional<std::string> phase;  // absent: every phase
  Metric metric = Metric::kPercentile;
  double percentile = 0;  // kPercentile: 50, 90, 95, 99, 99.9
  int recall_k = 0;       // kRecall: the K of recall@K
  Op op = Op::kLess;
  double limit = 0;       // latency in ms; throughput in req/s; errors count or percent
  bool percent = false;   // kErrors: the limit is a percentage of requests

  bool Passes(double value) const;
};

// Errors name the expression and list the accepted forms.
absl::StatusOr<Threshold> ParseThreshold(std::string_view expr);

}  // namespace vexbench

#endif  // VEXBENCH_CONTROLLER_THRESHOLD_H_
