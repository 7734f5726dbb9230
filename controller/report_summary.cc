#include "controller/report_summary.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace vexbench {

const nlohmann::json& Member(const nlohmann::json& object, const char* key) {
  static const nlohmann::json kNull;
  return object.is_object() && object.contains(key) ? object[key] : kNull;
}

std::string Str(const nlohmann::json& object, const char* key) {
  const nlohmann::json& v = Member(object, key);
  return v.is_string() ? v.get<std::string>() : (v.is_null() ? "" : v.dump());
}
namespace {

using nlohmann::json;

std::optional<double> Number(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_number()) return std::nullopt;
  return object[key].get<double>();
}

// The report's target names: spec order, then names only found in results.
std::vector<std::string> TargetNames(const json& report) {
  std::vector<std::string> names;
  auto add = [&](const std::string& name) {
    if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(name);
    }
  };
  if (report.contains("environment") && report["environment"].is_object() &&
      report["environment"].contains("targets") && report["environment"]["targets"].is_array()) {
    for (const json& t : report["environment"]["targets"]) {
      if (t.is_object()) add(t.value("name", ""));
    }
  }
  for (const json& r : report["results"]) add(r.value("target", ""));
  return names;
}

const json* FirstResult(const json& report, const std::string& target,
                        const std::vector<std::string>& ops, bool other_ops) {
  for (const std::string& op : ops) {
    for (const json& r : report["results"]) {
      if (r.value("target", "") == target && r.value("op", "") == op) return &r;
    }
  }
  if (!other_ops) return nullptr;
  for (const json& r : report["results"]) {
    const std::string op = r.value("op", "");
    if (r.value("target", "") == target && op != "insert" && op != "delete") return &r;
  }
  return nullptr;
}

TargetSummary Summarize(const json& report, const std::string& target) {
  TargetSummary s;
  s.target = target;
  for (const json& r : report["results"]) {
    if (r.value("target", "") != target) continue;
    s.requests += r.value("requests", int64_t{0});
    s.errors += r.value("errors", int64_t{0});
  }
  if (const json* insert = FirstResult(report, target, {"insert"}, false)) {
    s.insert_phase = insert->value("phase", "");
    s.insert_vectors_per_s = Number(*insert, "items_per_s");
    if (insert->contains("memory")) {
      s.bytes_per_1000_vectors = Number((*insert)["memory"], "bytes_per_1000_vectors");
    }
  }
  if (const json* r = FirstResult(report, target, {"query", "request"}, true)) {
    s.latency_phase = r->value("phase", "");
    s.latency_op = r->value("op", "");
    s.throughput_rps = Number(*r, "throughput_rps");
    if (r->contains("latency_ms")) {
      s.p50_ms = Number((*r)["latency_ms"], "p50");
      s.p95_ms = Number((*r)["latency_ms"], "p95");
      s.p99_ms = Number((*r)["latency_ms"], "p99");
    }
    if (r->contains("recall_at_k") && (*r)["recall_at_k"].is_object()) {
      s.recall = Number((*r)["recall_at_k"], "mean");
      s.recall_k = (*r)["recall_at_k"].value("k", 0);
    }
  }
  if (report.contains("resources") && report["resources"].is_array()) {
    for (const json& e : report["resources"]) {
      if (e.value("target", "") != target || !e.contains("peak_rss_bytes") ||
          !e["peak_rss_bytes"].is_number()) {
        continue;
      }
      const int64_t peak = e["peak_rss_bytes"].get<int64_t>();
      s.peak_rss_bytes = std::max(s.peak_rss_bytes.value_or(peak), peak);
    }
  }
  return s;
}

// "chroma: 3.1x the insert throughput of vexfs (31000 vs 10000 vectors/s)" and the like.
void CompareFindings(const TargetSummary& t, const TargetSummary& b,
                     std::vector<std::string>& out) {
  if (auto r = Ratio(t.insert_vectors_per_s, b.insert_vectors_per_s)) {
    out.push_back(absl::StrFormat("%s: %s the insert throughput of %s (%s vs %s vectors/s)",
                                  t.target, FormatRatio(*r), b.target,
                                  FormatNumber(*t.insert_vectors_per_s),
                                  FormatNumber(*b.insert_vectors_per_s)));
  }
  if (auto r = Ratio(t.throughput_rps, b.throughput_rps);
      r && t.latency_op == b.latency_op && t.latency_phase == b.latency_phase) {
    out.push_back(absl::StrFormat("%s: %s the %s throughput of %s (%s vs %s requests/s)",
                                  t.target, FormatRatio(*r), t.latency_phase, b.target,
                                  FormatNumber(*t.throughput_rps), FormatNumber(*b.throughput_rps)));
  }
  if (auto r = Ratio(t.p99_ms, b.p99_ms);
      r && t.latency_op == b.latency_op && t.latency_phase == b.latency_phase) {
    out.push_back(absl::StrFormat("%s: %s p99 %s ms, %s that of %s (%s ms)", t.target,
                                  t.latency_phase, FormatNumber(*t.p99_ms), FormatRatio(*r),
                                  b.target, FormatNumber(*b.p99_ms)));
  }
  if (t.recall && b.recall && *t.recall != *b.recall) {
    out.push_back(absl::StrFormat("%s: recall@%d %.3f vs %.3f on %s", t.target, t.recall_k,
                                  *t.recall, *b.recall, b.target));
  }
  if (auto r = Ratio(t.bytes_per_1000_vectors, b.bytes_per_1000_vectors)) {
    out.push_back(absl::StrFormat("%s: %s the memory per 1,000 vectors of %s (%s vs %s)",
                                  t.target, FormatRatio(*r), b.target,
                                  FormatBytes(*t.bytes_per_1000_vectors),
                                  FormatBytes(*b.bytes_per_1000_vectors)));
  }
}

void OtherFindings(const json& report, const std::vector<TargetSummary>& targets,
                   std::vector<std::string>& out) {
  if (report.contains("job") && report["job"].is_object()) {
    const std::string state = report["job"].value("state", "");
    if (!state.empty() && state != "succeeded" && state != "running") {
      const std::string error = report["job"].value("error", "");
      out.push_back("job " + state + (error.empty() ? "" : ": " + error));
    }
  }
  for (const TargetSummary& t : targets) {
    if (t.errors > 0) {
      out.push_back(absl::StrFormat("%s: %d errors in %d operations (%.3g%%)", t.target, t.errors,
                                    t.requests,
                                    100.0 * static_cast<double>(t.errors) /
                                        static_cast<double>(std::max<int64_t>(t.requests, 1))));
    }
  }
  if (report.contains("thresholds") && report["thresholds"].is_array()) {
    for (const json& v : report["thresholds"]) {
      if (v.value("passed", true)) continue;
      std::string where = v.value("target", "");
      if (v.contains("phase")) where += (where.empty() ? "" : " ") + v.value("phase", "");
      out.push_back(absl::StrFormat(
          "threshold failed: %s (%s%s)", v.value("expr", ""), where.empty() ? "" : where + ": ",
          v.contains("note") ? v.value("note", "")
                             : "value " + FormatNumber(v.value("value", 0.0))));
    }
  }
}

}  // namespace

std::optional<double> Ratio(const std::optional<double>& value,
                            const std::optional<double>& baseline) {
  if (!value || !baseline || *baseline == 0) return std::nullopt;
  return *value / *baseline;
}

std::string FormatRatio(double ratio) {
  if (ratio >= 100) return absl::StrFormat("%.0fx", ratio);
  if (ratio >= 1) return absl::StrFormat("%.1fx", ratio);
  return absl::StrFormat("%.2fx", ratio);
}

std::string FormatNumber(double value) {
  const double a = std::fabs(value);
  if (a >= 1000) return absl::StrFormat("%.0f", value);
  if (a >= 100) return absl::StrFormat("%.1f", value);
  if (a >= 1) return absl::StrFormat("%.2f", value);
  return absl::StrFormat("%.3f", value);
}

std::string FormatBytes(double bytes) {
  const double a = std::fabs(bytes);
  if (a >= 1024.0 * 1024 * 1024) return absl::StrFormat("%.2f GiB", bytes / (1024.0 * 1024 * 1024));
  if (a >= 1024.0 * 1024) return absl::StrFormat("%.1f MiB", bytes / (1024.0 * 1024));
  if (a >= 1024.0) return absl::StrFormat("%.1f KiB", bytes / 1024.0);
  return absl::StrFormat("%.0f B", bytes);
}

absl::StatusOr<ReportSummary> SummarizeReport(const json& report, const std::string& baseline) {
  if (!report.is_object() || !report.contains("results") || !report["results"].is_array()) {
    return absl::InvalidArgumentError(
        "not a vexbench report (expected an object with a \"results\" array, as in report.json)");
  }
  ReportSummary summary;
  const std::vector<std::string> names = TargetNames(report);
  for (const std::string& name : names) summary.targets.push_back(Summarize(report, name));
  if (!baseline.empty()) {
    if (std::find(names.begin(), names.end(), baseline) == names.end()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "--baseline %s: no such target in the report; expected one of: %s", baseline,
          names.empty() ? "(none)" : absl::StrJoin(names, ", ")));
    }
    summary.baseline = baseline;
  } else if (names.size() > 1) {
    summary.baseline = names.front();
  }
  const TargetSummary* base = nullptr;
  for (const TargetSummary& t : summary.targets) {
    if (t.target == summary.baseline) base = &t;
  }
  if (base != nullptr) {
    for (const TargetSummary& t : summary.targets) {
      if (&t != base) CompareFindings(t, *base, summary.findings);
    }
  }
  OtherFindings(report, summary.targets, summary.findings);
  return summary;
}

}  // namespace vexbench
