// Comparing two report.json documents (../shared/design.md, "Report"): per (target, phase, op)
// deltas of latency percentiles, throughput, insert rate, recall and error rate, with the
// regressions that exceed the given limits. Pure functions over the JSON: no I/O, no clock, so
// the CLI (`vexbench compare`), scheduled runs and tests all get the same verdict.
//
// Thread safety: all functions are reentrant.
#ifndef VEXBENCH_CONTROLLER_COMPARE_H_
#define VEXBENCH_CONTROLLER_COMPARE_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace vexbench {

// The metrics compare knows, by the name used in --max-regression and in the rows:
//   p50 p90 p95 p99 p999 max mean   latency_ms.<name> of the result; higher is worse
//   throughput                      throughput_rps; lower is worse
//   items_per_s                     items (vectors) per second of insert phases; lower is worse
//   recall                          recall_at_k.mean; lower is worse
//   errors                          error rate in percent (errors / requests); higher is worse
// A limit is the largest tolerated change in the worse direction: relative to the baseline
// value for every metric (p99=10% fails when p99 grows by more than 10%), except errors, whose
// limit is in percentage points of error rate (errors=1% fails when the rate grows from 0.5%
// to more than 1.5%).
struct RegressionLimits {
  std::map<std::string, double> max_worse_percent;  // metric -> limit in percent
};

// The limits used when none are given: p99=10%,throughput=5%.
RegressionLimits DefaultRegressionLimits();

// Parses "p99=10%,throughput=5%" (the % is optional; the values are percent, >= 0). An error
// names the bad item and the accepted metric names.
absl::StatusOr<RegressionLimits> ParseRegressionLimits(std::string_view text);

struct CompareRow {
  std::string target;
  std::string phase;
  std::string op;
  std::string metric;                   // one of the names above
  std::optional<double> base;           // absent: the series or metric is missing on that side
  std::optional<double> current;
  std::optional<double> change_percent;  // relative change (errors: percentage points); signed
  std::optional<double> limit_percent;   // the limit applied to this metric, if any
  bool regression = false;
  std::string note;                     // why a row is flagged or cannot be compared
};

struct Comparison {
  std::string base_label;     // job id (or file) of the baseline
  std::string current_label;  // job id (or file) of the run under test
  std::vector<CompareRow> rows;  // baseline's series order, then series only in current
  bool any_regression = false;
};

// Compares `current` against `base`. Metrics shown are p50, p99, throughput, plus items_per_s,
// recall and errors where either side has them, plus every metric with a limit that either
// side has (recall is not applicable to an insert phase). A series of
// the baseline that is missing from `current` is a regression (a phase that no longer runs
// must not pass a gate); a series only in `current` is listed, never a regression.
// Errors (InvalidArgument): a document without a "results" array, naming which side.
absl::StatusOr<Comparison> CompareReports(const nlohmann::json& base,
                                          const nlohmann::json& current,
                                          const RegressionLimits& limits);

// Renderings for `vexbench compare --format md|json|junit`.
std::string ComparisonToMarkdown(const Comparison& c);
nlohmann::json ComparisonToJson(const Comparison& c);
// One testcase per compared (series, metric) with a limit, failing on a regression.
std::string ComparisonToJunit(const Comparison& c);

}  // namespace vexbench

#endif  // VEXBENCH_CONTROLLER_COMPARE_H_
