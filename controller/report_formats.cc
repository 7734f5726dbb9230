#include "controller/report_formats.h"

#include <cctype>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/hdr_codec.h"
#include "common/hlog.h"
#include "controller/junit_xml.h"
#include "controller/report_summary.h"

namespace vexbench {
namespace {

using nlohmann::json;
using Files = std::vector<std::pair<std::string, std::string>>;

absl::Status CheckReport(const json& report) {
  if (!report.is_object() || !report.contains("results") || !report["results"].is_array()) {
    return absl::InvalidArgumentError(
        "not a vexbench report (expected an object with a \"results\" array, as in report.json)");
  }
  return absl::OkStatus();
}

// Markdown table cell: pipes escaped, newlines flattened.
std::string Cell(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out;
}

std::string Opt(const std::optional<double>& v) { return v ? FormatNumber(*v) : "-"; }

std::string OptMember(const json& object, const char* key) {
  const json& v = Member(object, key);
  return v.is_number() ? FormatNumber(v.get<double>()) : "-";
}

std::string MdHeader(const json& report) {
  const json& job = Member(report, "job");
  const json& env = Member(report, "environment");
  std::string out = absl::StrFormat("# vexbench report: %s (%s)\n\n", Str(job, "name"),
                                    Str(job, "id"));
  out += absl::StrFormat("- State: %s", Str(job, "state").empty() ? "-" : Str(job, "state"));
  if (!Str(job, "error").empty()) out += " (" + Cell(Str(job, "error")) + ")";
  out += absl::StrFormat("\n- Started %s, ended %s\n", Str(env, "started"), Str(env, "ended"));
  std::vector<std::string> agents;
  for (const json& a : Member(report, "agents").is_array() ? Member(report, "agents") : json::array()) {
    agents.push_back(absl::StrFormat("%s on %s (vexbench %s, %d cores)", Str(a, "name"),
                                     Str(a, "host"), Str(a, "version"), a.value("cores", 0)));
  }
  out += "- Agents: " + (agents.empty() ? std::string("-") : absl::StrJoin(agents, "; ")) + "\n";
  std::vector<std::string> targets;
  for (const json& t : Member(env, "targets").is_array() ? Member(env, "targets") : json::array()) {
    std::string s = Str(t, "name") + " (" + Str(t, "kind");
    if (!Str(t, "version").empty()) s += " " + Str(t, "version");
    targets.push_back(s + ")");
  }
  out += "- Targets: " + (targets.empty() ? std::string("-") : absl::StrJoin(targets, ", ")) + "\n";
  const json& dataset = Member(env, "dataset");
  if (dataset.is_object()) out += "- Dataset: `" + dataset.dump() + "`\n";
  return out + "\n";
}

std::string MdSummary(const ReportSummary& s) {
  std::string out = "## Summary\n\n";
  out += "| target | insert (vectors/s) | latency phase | throughput (req/s) | p50 (ms) | p95 (ms) "
         "| p99 (ms) | recall@k | errors | memory / 1,000 vectors | peak RSS |\n";
  out += "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const TargetSummary& t : s.targets) {
    const std::string recall =
        t.recall ? absl::StrFormat("%.4f (k=%d)", *t.recall, t.recall_k) : std::string("-");
    const std::string errors =
        absl::StrFormat("%d (%.3g%%)", t.errors,
                        t.requests > 0 ? 100.0 * static_cast<double>(t.errors) /
                                             static_cast<double>(t.requests)
                                       : 0.0);
    out += absl::StrFormat(
        "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", Cell(t.target),
        Opt(t.insert_vectors_per_s),
        t.latency_phase.empty() ? "-" : Cell(t.latency_phase + " " + t.latency_op),
        Opt(t.throughput_rps), Opt(t.p50_ms), Opt(t.p95_ms), Opt(t.p99_ms), recall, errors,
        t.bytes_per_1000_vectors ? FormatBytes(*t.bytes_per_1000_vectors) : "-",
        t.peak_rss_bytes ? FormatBytes(static_cast<double>(*t.peak_rss_bytes)) : "-");
  }
  if (!s.baseline.empty() && s.targets.size() > 1) {
    const TargetSummary* b = nullptr;
    for (const TargetSummary& t : s.targets) b = t.target == s.baseline ? &t : b;
    out += "\n### Ratios against " + Cell(s.baseline) +
           "\n\nTarget value / baseline value (throughput: higher is better; p99 and memory: "
           "lower is better).\n\n";
    out += "| target | insert throughput | throughput | p50 | p99 | recall | memory / 1,000 vectors |\n";
    out += "|---|---:|---:|---:|---:|---:|---:|\n";
    auto r = [](const std::optional<double>& a, const std::optional<double>& base) {
      const std::optional<double> v = Ratio(a, base);
      return v ? FormatRatio(*v) : std::string("-");
    };
    for (const TargetSummary& t : s.targets) {
      out += absl::StrFormat("| %s | %s | %s | %s | %s | %s | %s |\n", Cell(t.target),
                             r(t.insert_vectors_per_s, b->insert_vectors_per_s),
                             r(t.throughput_rps, b->throughput_rps), r(t.p50_ms, b->p50_ms),
                             r(t.p99_ms, b->p99_ms), r(t.recall, b->recall),
                             r(t.bytes_per_1000_vectors, b->bytes_per_1000_vectors));
    }
  }
  out += "\n## Findings\n\n";
  if (s.findings.empty()) out += "- none\n";
  for (const std::string& f : s.findings) out += "- " + f + "\n";
  return out;
}

std::string MdResults(const json& report) {
  std::string out = "\n## Results\n\nLatency in ms; one row per (target, phase, op).\n\n";
  out += "| target | phase | op | requests | errors | duration (s) | req/s | items/s | p50 | p90 "
         "| p95 | p99 | p99.9 | max | mean | recall |\n";
  out += "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const json& r : report["results"]) {
    const json& l = Member(r, "latency_ms");
    out += absl::StrFormat(
        "| %s | %s | %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
        Cell(Str(r, "target")), Cell(Str(r, "phase")), Cell(Str(r, "op")),
        r.value("requests", int64_t{0}), r.value("errors", int64_t{0}), OptMember(r, "duration_s"),
        OptMember(r, "throughput_rps"), OptMember(r, "items_per_s"), OptMember(l, "p50"),
        OptMember(l, "p90"), OptMember(l, "p95"), OptMember(l, "p99"), OptMember(l, "p999"),
        OptMember(l, "max"), OptMember(l, "mean"), OptMember(Member(r, "recall_at_k"), "mean"));
  }
  const json& thresholds = Member(report, "thresholds");
  if (thresholds.is_array() && !thresholds.empty()) {
    out += "\n## Thresholds\n\n| expression | target | phase | value | verdict |\n"
           "|---|---|---|---:|---|\n";
    for (const json& v : thresholds) {
      out += absl::StrFormat("| `%s` | %s | %s | %s | %s |\n", Cell(Str(v, "expr")),
                             Cell(Str(v, "target")), Cell(Str(v, "phase")), OptMember(v, "value"),
                             v.value("passed", false) ? "pass"
                                                      : "**FAIL**" + (Str(v, "note").empty()
                                                                          ? std::string()
                                                                          : ": " + Cell(Str(v, "note"))));
    }
  }
  const json& resources = Member(report, "resources");
  if (resources.is_array() && !resources.empty()) {
    out += "\n## Target resources\n\n| target | agent | source | samples | peak RSS | notes |\n"
           "|---|---|---|---:|---:|---|\n";
    for (const json& e : resources) {
      const json& peak = Member(e, "peak_rss_bytes");
      std::vector<std::string> notes;
      for (const json& n : Member(e, "notes").is_array() ? Member(e, "notes") : json::array()) {
        notes.push_back(n.is_string() ? n.get<std::string>() : n.dump());
      }
      out += absl::StrFormat(
          "| %s | %s | %s | %d | %s | %s |\n", Cell(Str(e, "target")), Cell(Str(e, "agent")),
          Cell(Str(e, "source")), Member(e, "samples").is_array() ? Member(e, "samples").size() : 0,
          peak.is_number() ? FormatBytes(peak.get<double>()) : "-", Cell(absl::StrJoin(notes, "; ")));
    }
  }
  return out;
}

// CSV: RFC 4180 quoting; numbers as report.json holds them (shortest round-trip form).
std::string CsvField(const json& v) {
  if (v.is_null()) return "";
  if (v.is_number()) return v.dump();
  const std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string FileSafe(std::string s) {
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  }
  return s;
}

absl::StatusOr<Histogram> DecodeBase64(const std::string& base64, const std::string& what) {
  std::string bytes;
  if (!absl::Base64Unescape(base64, &bytes)) {
    return absl::InvalidArgumentError(what + ": not base64");
  }
  absl::StatusOr<Histogram> h = DecodeV2(bytes);
  if (!h.ok()) return absl::InvalidArgumentError(what + ": " + std::string(h.status().message()));
  return h;
}

}  // namespace

absl::StatusOr<ReportFormat> ParseReportFormat(std::string_view name) {
  if (name == "json") return ReportFormat::kJson;
  if (name == "md") return ReportFormat::kMarkdown;
  if (name == "csv") return ReportFormat::kCsv;
  if (name == "html") return ReportFormat::kHtml;
  if (name == "junit") return ReportFormat::kJunit;
  if (name == "hlog") return ReportFormat::kHlog;
  return absl::InvalidArgumentError("--format " + std::string(name) +
                                    ": unknown format; expected one of json, md, csv, html, "
                                    "junit, hlog");
}

const std::vector<std::string>& CsvColumns() {
  static const std::vector<std::string> kColumns = {
      "target",         "phase",          "op",
      "requests",       "errors",         "error_rate_percent",
      "duration_s",     "throughput_rps", "items",
      "items_per_s",    "p50_ms",         "p90_ms",
      "p95_ms",         "p99_ms",         "p999_ms",
      "max_ms",         "min_ms",         "mean_ms",
      "stddev_ms",      "recall_k",       "recall_mean",
      "bytes_sent",     "bytes_received", "rss_before_bytes",
      "rss_after_bytes", "bytes_per_1000_vectors"};
  return kColumns;
}

absl::StatusOr<std::string> ReportToMarkdown(const json& report, const std::string& baseline) {
  absl::StatusOr<ReportSummary> summary = SummarizeReport(report, baseline);
  if (!summary.ok()) return summary.status();
  return MdHeader(report) + MdSummary(*summary) + MdResults(report);
}

absl::StatusOr<std::string> ReportToCsv(const json& report) {
  if (absl::Status s = CheckReport(report); !s.ok()) return s;
  std::string out = absl::StrJoin(CsvColumns(), ",") + "\r\n";
  for (const json& r : report["results"]) {
    const json& l = Member(r, "latency_ms");
    const json& recall = Member(r, "recall_at_k");
    const json& memory = Member(r, "memory");
    const int64_t requests = r.value("requests", int64_t{0});
    const json error_rate =
        requests > 0 ? json(100.0 * r.value("errors", 0.0) / static_cast<double>(requests))
                     : json(0.0);
    const std::vector<json> row = {
        Member(r, "target"),         Member(r, "phase"),          Member(r, "op"),
        Member(r, "requests"),       Member(r, "errors"),         error_rate,
        Member(r, "duration_s"),     Member(r, "throughput_rps"), Member(r, "items"),
        Member(r, "items_per_s"),    Member(l, "p50"),            Member(l, "p90"),
        Member(l, "p95"),            Member(l, "p99"),            Member(l, "p999"),
        Member(l, "max"),            Member(l, "min"),            Member(l, "mean"),
        Member(l, "stddev"),         Member(recall, "k"),         Member(recall, "mean"),
        Member(r, "bytes_sent"),     Member(r, "bytes_received"), Member(memory, "rss_before_bytes"),
        Member(memory, "rss_after_bytes"), Member(memory, "bytes_per_1000_vectors")};
    std::vector<std::string> fields;
    for (const json& v : row) fields.push_back(CsvField(v));
    out += absl::StrJoin(fields, ",") + "\r\n";
  }
  return out;
}

absl::StatusOr<std::string> ReportToJunit(const json& report) {
  if (absl::Status s = CheckReport(report); !s.ok()) return s;
  const json& job = Member(report, "job");
  std::vector<JunitCase> cases;
  const std::string state = Str(job, "state");
  JunitCase job_case{"vexbench.job", "job " + Str(job, "id") + " state", std::nullopt,
                     "state " + state};
  if (state != "succeeded") {
    job_case.failure = "job " + (state.empty() ? std::string("state unknown") : state) +
                       (Str(job, "error").empty() ? "" : ": " + Str(job, "error"));
  }
  cases.push_back(std::move(job_case));
  const json& thresholds = Member(report, "thresholds");
  for (const json& v : thresholds.is_array() ? thresholds : json::array()) {
    std::string where = absl::StrJoin(
        std::vector<std::string>{Str(v, "target"), Str(v, "phase"), Str(v, "op")}, " ");
    while (!where.empty() && where.back() == ' ') where.pop_back();
    JunitCase c{"vexbench.thresholds." + (Str(v, "target").empty() ? "job" : Str(v, "target")),
                Str(v, "expr") + (where.empty() ? "" : " [" + where + "]"), std::nullopt,
                "value " + json(v.value("value", 0.0)).dump()};
    if (!v.value("passed", false)) {
      c.failure = Str(v, "note").empty() ? Str(v, "expr") + " failed: value " +
                                               json(v.value("value", 0.0)).dump()
                                         : Str(v, "expr") + " failed: " + Str(v, "note");
    }
    cases.push_back(std::move(c));
  }
  return JunitXml("vexbench report " + Str(job, "id") + " (" + Str(job, "name") + ")", cases);
}

absl::StatusOr<Files> ReportToHlogs(const json& report) {
  if (absl::Status s = CheckReport(report); !s.ok()) return s;
  const json& env = Member(report, "environment");
  const double start_unix_s =
      static_cast<double>(Member(env, "started_unix_us").is_number()
                              ? Member(env, "started_unix_us").get<int64_t>()
                              : 0) / 1e6;
  const json& agents = Member(report, "agents");
  const size_t agent_count = agents.is_array() ? agents.size() : 0;
  Files files;
  for (const json& r : report["results"]) {
    const std::string target = Str(r, "target"), phase = Str(r, "phase"), op = Str(r, "op");
    const std::string base = FileSafe(target + "." + phase + "." + op);
    const std::string what = "results[" + target + " " + phase + " " + op + "]";
    std::ostringstream out;
    HlogWriter writer(out, 1000.0);  // µs values, max column in ms (as the controller writes)
    writer.WriteHeader(start_unix_s, "vexbench " + target + " " + phase + " " + op + ", values in us");
    const json& timeline = Member(r, "timeline_hdr");
    if (timeline.is_array()) {
      for (const json& row : timeline) {
        if (!row.is_array() || row.size() != 3 || !row[0].is_number() || !row[1].is_number() ||
            !row[2].is_string()) {
          return absl::InvalidArgumentError(what + ".timeline_hdr: expected [t_s, length_s, base64]");
        }
        absl::StatusOr<Histogram> h = DecodeBase64(row[2].get<std::string>(), what + ".timeline_hdr");
        if (!h.ok()) return h.status();
        writer.WriteInterval({.start_s = row[0].get<double>(),
                              .length_s = row[1].get<double>(),
                              .histogram = *std::move(h)});
      }
    } else if (Member(r, "latency_hdr").is_string()) {
      absl::StatusOr<Histogram> h = DecodeBase64(Str(r, "latency_hdr"), what + ".latency_hdr");
      if (!h.ok()) return h.status();
      writer.WriteInterval({.start_s = 0, .length_s = r.value("duration_s", 0.0),
                            .histogram = *std::move(h)});
    }
    files.emplace_back(base + ".hlog", out.str());
    if (agent_count < 2) continue;
    const json& per_agent = Member(r, "per_agent");
    for (const json& a : per_agent.is_array() ? per_agent : json::array()) {
      if (!Member(a, "latency_hdr").is_string()) continue;
      absl::StatusOr<Histogram> h = DecodeBase64(Str(a, "latency_hdr"), what + ".per_agent");
      if (!h.ok()) return h.status();
      const std::string agent = Str(a, "agent");
      std::ostringstream agent_out;
      HlogWriter agent_writer(agent_out, 1000.0);
      agent_writer.WriteHeader(start_unix_s, "vexbench " + target + " " + phase + " " + op +
                                                 ", agent " + agent + " total, values in us");
      agent_writer.WriteInterval({.start_s = 0, .length_s = 0, .histogram = *std::move(h)});
      files.emplace_back(base + "." + FileSafe(agent) + ".hlog", agent_out.str());
    }
  }
  return files;
}

absl::StatusOr<Files> RenderReportFormat(const json& report, ReportFormat format,
                                         const std::string& baseline) {
  if (absl::Status s = CheckReport(report); !s.ok()) return s;
  absl::StatusOr<std::string> text;
  std::string name;
  switch (format) {
    case ReportFormat::kJson:
      return Files{{"report.json", report.dump(2) + "\n"}};
    case ReportFormat::kHlog:
      return ReportToHlogs(report);
    case ReportFormat::kMarkdown:
      text = ReportToMarkdown(report, baseline);
      name = "report.md";
      break;
    case ReportFormat::kCsv:
      text = ReportToCsv(report);
      name = "report.csv";
      break;
    case ReportFormat::kHtml:
      text = ReportToHtml(report, baseline);
      name = "report.html";
      break;
    case ReportFormat::kJunit:
      text = ReportToJunit(report);
      name = "report.junit.xml";
      break;
  }
  if (!text.ok()) return text.status();
  return Files{{name, *std::move(text)}};
}

}  // namespace vexbench
