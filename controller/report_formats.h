// The views of a report.json (../shared/design.md, "Report") that `vexbench report --format`
// writes: Markdown summary, CSV, one self-contained HTML file, JUnit XML and HdrHistogram
// interval logs. Each is a pure function of the report.json document: the same document gives
// the same bytes, whether it came from the controller (GetReport) or from a file. The column
// names, file names and semantics are documented in docs/reports.md.
//
// Thread safety: all functions are reentrant.
#ifndef VEXBENCH_CONTROLLER_REPORT_FORMATS_H_
#define VEXBENCH_CONTROLLER_REPORT_FORMATS_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace vexbench {

enum class ReportFormat { kJson, kMarkdown, kCsv, kHtml, kJunit, kHlog };

// "json", "md", "csv", "html", "junit", "hlog". The error names --format and lists them.
absl::StatusOr<ReportFormat> ParseReportFormat(std::string_view name);

// The CSV's header, in column order (one row per results[] entry).
const std::vector<std::string>& CsvColumns();

// `baseline`: the target ratios and findings are taken against (--baseline); "" = the first
// target. InvalidArgument when the document is not a report or the baseline is not a target.
absl::StatusOr<std::string> ReportToMarkdown(const nlohmann::json& report,
                                             const std::string& baseline);
absl::StatusOr<std::string> ReportToCsv(const nlohmann::json& report);
// One file: report.css and charts.js (controller/assets) inlined, the report's data as JSON in
// a script, charts drawn as inline SVG when opened; no request leaves the page.
absl::StatusOr<std::string> ReportToHtml(const nlohmann::json& report,
                                         const std::string& baseline);
// One testcase per threshold verdict, plus one for the job's state.
absl::StatusOr<std::string> ReportToJunit(const nlohmann::json& report);
// <target>.<phase>.<op>.hlog per result (its timeline_hdr intervals) and, for several agents,
// <target>.<phase>.<op>.<agent>.hlog (that agent's total): the same files the controller
// writes (controller/report.h RenderReportFiles). A result without timeline_hdr (a report of
// an older version) gets one interval holding its total latency_hdr.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ReportToHlogs(
    const nlohmann::json& report);

// The files of one format: report.json | report.md | report.csv | report.html |
// report.junit.xml | the .hlog files.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> RenderReportFormat(
    const nlohmann::json& report, ReportFormat format, const std::string& baseline);

}  // namespace vexbench

#endif  // VEXBENCH_CONTROLLER_REPORT_FORMATS_H_
