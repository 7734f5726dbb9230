#include "controller/compare.h"

#include <cmath>
#include <cstdlib>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "controller/junit_xml.h"

namespace vexbench {
namespace {

enum class Worse { kHigher, kLower };

struct MetricInfo {
  const char* name;
  Worse worse;
  bool points;  // limit in percentage points instead of relative percent
};

constexpr MetricInfo kMetrics[] = {
    {"p50", Worse::kHigher, false},        {"p90", Worse::kHigher, false},
    {"p95", Worse::kHigher, false},        {"p99", Worse::kHigher, false},
    {"p999", Worse::kHigher, false},       {"max", Worse::kHigher, false},
    {"mean", Worse::kHigher, false},       {"throughput", Worse::kLower, false},
    {"items_per_s", Worse::kLower, false}, {"recall", Worse::kLower, false},
    {"errors", Worse::kHigher, true},
};

const MetricInfo* FindMetric(std::string_view name) {
  for (const MetricInfo& m : kMetrics) {
    if (name == m.name) return &m;
  }
  return nullptr;
}

std::string MetricNames() {
  std::vector<std::string> names;
  for (const MetricInfo& m : kMetrics) names.emplace_back(m.name);
  return absl::StrJoin(names, ", ");
}

std::optional<double> MetricOf(const nlohmann::json& r, const MetricInfo& m) {
  const std::string name = m.name;
  if (name == "throughput") {
    if (r.contains("throughput_rps") && r["throughput_rps"].is_number()) return r["throughput_rps"].get<double>();
    return std::nullopt;
  }
  if (name == "items_per_s") {
    if (r.contains("items_per_s") && r["items_per_s"].is_number()) return r["items_per_s"].get<double>();
    return std::nullopt;
  }
  if (name == "recall") {
    if (r.contains("recall_at_k") && r["recall_at_k"].is_object() &&
        r["recall_at_k"].contains("mean") && r["recall_at_k"]["mean"].is_number()) {
      return r["recall_at_k"]["mean"].get<double>();
    }
    return std::nullopt;
  }
  if (name == "errors") {
    const double requests = r.value("requests", 0.0);
    const double errors = r.value("errors", 0.0);
    return requests > 0 ? 100.0 * errors / requests : 0.0;
  }
  if (r.contains("latency_ms") && r["latency_ms"].is_object() && r["latency_ms"].contains(name) &&
      r["latency_ms"][name].is_number()) {
    return r["latency_ms"][name].get<double>();
  }
  return std::nullopt;
}

using Key = std::tuple<std::string, std::string, std::string>;

Key KeyOf(const nlohmann::json& r) {
  return {r.value("target", ""), r.value("phase", ""), r.value("op", "")};
}

absl::Status CheckResults(const nlohmann::json& report, const char* side) {
  if (!report.is_object() || !report.contains("results") || !report["results"].is_array()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: not a vexbench report (expected an object with a \"results\" array, as in report.json)",
        side));
  }
  for (const auto& r : report["results"]) {
    if (!r.is_object() || !r.contains("target") || !r.contains("phase") || !r.contains("op")) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: results[] entry without target, phase and op: %s", side, r.dump().substr(0, 120)));
    }
  }
  return absl::OkStatus();
}

const nlohmann::json* FindResult(const nlohmann::json& report, const Key& key) {
  for (const auto& r : report["results"]) {
    if (KeyOf(r) == key) return &r;
  }
  return nullptr;
}

bool Shown(const MetricInfo& m, const RegressionLimits& limits, const nlohmann::json* a,
           const nlohmann::json* b) {
  const std::string name = m.name;
  // A metric neither side has (recall of an insert phase) is not applicable: no row.
  const bool present = (a && MetricOf(*a, m)) || (b && MetricOf(*b, m));
  if (limits.max_worse_percent.count(name)) return present;
  if (name == "p50" || name == "p99" || name == "throughput") return true;
  if (name == "items_per_s" || name == "recall") return present;
  if (name == "errors") {
    return (a && a->value("errors", 0) > 0) || (b && b->value("errors", 0) > 0);
  }
  return false;
}

CompareRow CompareMetric(const Key& key, const MetricInfo& m, const nlohmann::json* base,
                         const nlohmann::json* current, const RegressionLimits& limits) {
  CompareRow row{std::get<0>(key), std::get<1>(key), std::get<2>(key), m.name};
  if (base) row.base = MetricOf(*base, m);
  if (current) row.current = MetricOf(*current, m);
  if (auto it = limits.max_worse_percent.find(m.name); it != limits.max_worse_percent.end()) {
    row.limit_percent = it->second;
  }
  if (!current) {
    row.regression = true;
    row.note = "missing from the current run";
    return row;
  }
  if (!base) {
    row.note = "new in the current run";
    return row;
  }
  if (!row.base || !row.current) {
    row.note = !row.base ? "not in the baseline" : "not in the current run";
    row.regression = row.limit_percent.has_value() && row.base.has_value();
    return row;
  }
  double worse;  // change in the worse direction, percent (points for errors)
  if (m.points) {
    row.change_percent = *row.current - *row.base;
    worse = *row.change_percent;
  } else if (*row.base == 0) {
    if (*row.current != 0) row.note = "baseline is 0: no relative change";
    worse = (m.worse == Worse::kHigher && *row.current > 0) ? INFINITY : 0;
    if (*row.current == 0) row.change_percent = 0.0;
  } else {
    row.change_percent = 100.0 * (*row.current - *row.base) / std::fabs(*row.base);
    worse = m.worse == Worse::kHigher ? *row.change_percent : -*row.change_percent;
  }
  if (row.limit_percent && worse > *row.limit_percent) {
    row.regression = true;
    row.note = m.points ? absl::StrFormat("error rate up %.3g points (limit %.3g)", worse,
                                          *row.limit_percent)
               : std::isinf(worse)
                   ? absl::StrFormat("%s rose from 0 (limit %.3g%%)", m.name, *row.limit_percent)
                   : absl::StrFormat("%s %.1f%% worse (limit %.3g%%)", m.name, worse,
                                     *row.limit_percent);
  }
  return row;
}

std::string Num(const std::optional<double>& v) {
  if (!v) return "-";
  const double a = std::fabs(*v);
  if (a >= 1000) return absl::StrFormat("%.0f", *v);
  if (a >= 10) return absl::StrFormat("%.1f", *v);
  return absl::StrFormat("%.3f", *v);
}

std::string Change(const CompareRow& r) {
  if (!r.change_percent) return "-";
  return absl::StrFormat(r.metric == "errors" ? "%+.2f pt" : "%+.1f%%", *r.change_percent);
}

std::string Limit(const CompareRow& r) {
  if (!r.limit_percent) return "-";
  return absl::StrFormat(r.metric == "errors" ? "%.3g pt" : "%.3g%%", *r.limit_percent);
}

nlohmann::json OptionalJson(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

RegressionLimits DefaultRegressionLimits() {
  return RegressionLimits{{{"p99", 10.0}, {"throughput", 5.0}}};
}

absl::StatusOr<RegressionLimits> ParseRegressionLimits(std::string_view text) {
  RegressionLimits limits;
  for (absl::string_view item : absl::StrSplit(absl::string_view(text.data(), text.size()), ',')) {
    item = absl::StripAsciiWhitespace(item);
    const std::string shown(item);
    const size_t eq = item.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError("--max-regression \"" + shown +
                                        "\": expected METRIC=PERCENT, e.g. p99=10%");
    }
    const std::string metric(absl::StripAsciiWhitespace(item.substr(0, eq)));
    if (!FindMetric(metric)) {
      return absl::InvalidArgumentError("--max-regression \"" + shown + "\": unknown metric \"" +
                                        metric + "\"; expected one of " + MetricNames());
    }
    absl::string_view value = absl::StripAsciiWhitespace(item.substr(eq + 1));
    absl::ConsumeSuffix(&value, "%");
    const std::string number(value);
    char* end = nullptr;
    const double percent = std::strtod(number.c_str(), &end);
    if (number.empty() || end != number.c_str() + number.size() || !std::isfinite(percent) ||
        percent < 0) {
      return absl::InvalidArgumentError("--max-regression \"" + shown + "\": \"" + number +
                                        "\" is not a percentage; expected a number >= 0, e.g. 10%");
    }
    limits.max_worse_percent[metric] = percent;
  }
  if (limits.max_worse_percent.empty()) {
    return absl::InvalidArgumentError("--max-regression: empty; expected e.g. p99=10%,throughput=5%");
  }
  return limits;
}

absl::StatusOr<Comparison> CompareReports(const nlohmann::json& base,
                                          const nlohmann::json& current,
                                          const RegressionLimits& limits) {
  if (auto s = CheckResults(base, "baseline"); !s.ok()) return s;
  if (auto s = CheckResults(current, "current"); !s.ok()) return s;
  Comparison c;
  auto label = [](const nlohmann::json& report) {
    const nlohmann::json& job = report.contains("job") ? report["job"] : nlohmann::json::object();
    return job.is_object() ? job.value("id", std::string()) : std::string();
  };
  c.base_label = label(base);
  c.current_label = label(current);
  std::vector<Key> keys;
  for (const auto& r : base["results"]) keys.push_back(KeyOf(r));
  for (const auto& r : current["results"]) {
    if (!FindResult(base, KeyOf(r))) keys.push_back(KeyOf(r));
  }
  for (const Key& key : keys) {
    const nlohmann::json* a = FindResult(base, key);
    const nlohmann::json* b = FindResult(current, key);
    for (const MetricInfo& m : kMetrics) {
      if (!Shown(m, limits, a, b)) continue;
      CompareRow row = CompareMetric(key, m, a, b, limits);
      c.any_regression = c.any_regression || row.regression;
      c.rows.push_back(std::move(row));
    }
  }
  return c;
}

std::string ComparisonToMarkdown(const Comparison& c) {
  std::string out = "# vexbench compare: " + (c.current_label.empty() ? "current" : c.current_label) +
                    " against " + (c.base_label.empty() ? "baseline" : c.base_label) + "\n\n";
  int regressions = 0;
  for (const CompareRow& r : c.rows) regressions += r.regression ? 1 : 0;
  out += c.any_regression ? absl::StrFormat("**REGRESSION**: %d check(s) over the limit.\n\n", regressions)
                          : "No regression over the limits.\n\n";
  out += "| target | phase | op | metric | baseline | current | change | limit | verdict |\n";
  out += "|---|---|---|---|---:|---:|---:|---:|---|\n";
  for (const CompareRow& r : c.rows) {
    out += absl::StrFormat("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.target, r.phase,
                           r.op, r.metric, Num(r.base), Num(r.current), Change(r), Limit(r),
                           r.regression ? "REGRESSION" + (r.note.empty() ? "" : ": " + r.note)
                                        : (r.note.empty() ? "ok" : r.note));
  }
  out += "\nLatency in ms, throughput in requests/s, items_per_s in vectors/s, errors as error "
         "rate in %. Change is relative (errors: percentage points); a limit is the largest "
         "tolerated change in the worse direction.\n";
  return out;
}

nlohmann::json ComparisonToJson(const Comparison& c) {
  nlohmann::json rows = nlohmann::json::array();
  for (const CompareRow& r : c.rows) {
    nlohmann::json row = {{"target", r.target},
                          {"phase", r.phase},
                          {"op", r.op},
                          {"metric", r.metric},
                          {"base", OptionalJson(r.base)},
                          {"current", OptionalJson(r.current)},
                          {"change_percent", OptionalJson(r.change_percent)},
                          {"limit_percent", OptionalJson(r.limit_percent)},
                          {"regression", r.regression}};
    if (!r.note.empty()) row["note"] = r.note;
    rows.push_back(std::move(row));
  }
  return {{"schema", "vexbench.compare/v1"},
          {"base", c.base_label},
          {"current", c.current_label},
          {"any_regression", c.any_regression},
          {"rows", rows}};
}

std::string ComparisonToJunit(const Comparison& c) {
  std::vector<JunitCase> cases;
  for (const CompareRow& r : c.rows) {
    if (!r.limit_percent && !r.regression) continue;
    JunitCase jc{"vexbench.regression." + r.target,
                 r.metric + " " + r.target + " " + r.phase + " " + r.op, std::nullopt,
                 absl::StrFormat("baseline %s, current %s, change %s, limit %s", Num(r.base),
                                 Num(r.current), Change(r), Limit(r))};
    if (r.regression) jc.failure = r.note.empty() ? "regression" : r.note;
    cases.push_back(std::move(jc));
  }
  return JunitXml("vexbench compare " + c.current_label + " vs " + c.base_label, cases);
}

}  // namespace vexbench
