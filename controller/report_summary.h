// The executive summary of a report.json (../shared/design.md, "Report"), shared by the
// Markdown and HTML renderings (controller/report_formats.h): per target one headline number
// per question a reader asks (how fast does it insert, how fast does it answer, how well, how
// much memory), ratios against a baseline target and a short list of findings.
//
// Every value is read from report.json as stored; nothing is recomputed from elsewhere.
// Thread safety: all functions are reentrant.
#ifndef VEXBENCH_CONTROLLER_REPORT_SUMMARY_H_
#define VEXBENCH_CONTROLLER_REPORT_SUMMARY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace vexbench {

// Reading report.json leniently, as every rendering does (a missing or mistyped field reads as
// absent): `object[key]`, or null when `object` is not an object or has no `key`.
const nlohmann::json& Member(const nlohmann::json& object, const char* key);
// `object[key]` as text: a string as it is, "" when absent or null, any other value as JSON.
std::string Str(const nlohmann::json& object, const char* key);

// One target's headline numbers. Which results they come from:
//   insert_*    the target's first result of op `insert` (report order)
//   latency_*   the target's first result of op `query`; without one, of op `request`;
//               without one, its first result of another op except insert and delete
//   errors      summed over all of the target's results
struct TargetSummary {
  std::string target;
  std::string insert_phase;                    // "" without an insert result
  std::optional<double> insert_vectors_per_s;  // items_per_s
  std::optional<double> bytes_per_1000_vectors;  // the insert result's memory
  std::string latency_phase;                   // "" without a latency result
  std::string latency_op;
  std::optional<double> throughput_rps;
  std::optional<double> p50_ms, p95_ms, p99_ms;
  std::optional<double> recall;  // recall_at_k.mean
  int recall_k = 0;
  int64_t requests = 0;
  int64_t errors = 0;
  std::optional<int64_t> peak_rss_bytes;  // resources[] of the target (largest over agents)
};

struct ReportSummary {
  std::vector<TargetSummary> targets;  // spec order, then targets only seen in results
  std::string baseline;                // the target ratios are taken against ("" none)
  std::vector<std::string> findings;
};

// `baseline`: a target name (--baseline); "" picks the first target when there are several.
// Errors (InvalidArgument): a document without a "results" array; a baseline that is not a
// target of the report (the message names --baseline and lists the targets).
absl::StatusOr<ReportSummary> SummarizeReport(const nlohmann::json& report,
                                              const std::string& baseline);

// value / baseline value when both exist and the baseline is not 0.
std::optional<double> Ratio(const std::optional<double>& value,
                            const std::optional<double>& baseline);

// Shared number formatting of the summaries: "3.1x", "12.3", "1.2 MiB".
std::string FormatRatio(double ratio);
std::string FormatNumber(double value);
std::string FormatBytes(double bytes);

}  // namespace vexbench

#endif  // VEXBENCH_CONTROLLER_REPORT_SUMMARY_H_
