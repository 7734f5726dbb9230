// ReportToHtml (controller/report_formats.h): one self-contained HTML file.
#include <cmath>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/hdr_codec.h"
#include "controller/assets/assets.h"
#include "controller/junit_xml.h"
#include "controller/report_formats.h"
#include "controller/report_summary.h"

namespace vexbench {
namespace {

using nlohmann::json;

// Text and attribute values: the XML escaping of junit_xml.h serves HTML as well.
std::string Html(std::string_view s) { return XmlEscape(s); }

// JSON placed inside <script>: ASCII only, and no "</" that could end the script element.
std::string ScriptJson(const json& value) {
  return absl::StrReplaceAll(value.dump(-1, ' ', true), {{"</", "<\\/"}, {"<!--", "<\\!--"}});
}

std::optional<Histogram> Decode(const json& base64) {
  if (!base64.is_string()) return std::nullopt;
  std::string bytes;
  if (!absl::Base64Unescape(base64.get<std::string>(), &bytes)) return std::nullopt;
  absl::StatusOr<Histogram> h = DecodeV2(bytes);
  if (!h.ok()) return std::nullopt;
  return *std::move(h);
}

// Percentile points as HdrHistogram's plotter spaces them: x = log10(1 / (1 - p)) in steps of
// 0.1 up to where the count runs out (x = log10(count), at most 99.9999%), then the maximum.
json SpectrumPoints(const Histogram& h) {
  json points = json::array();
  if (h.TotalCount() == 0) return points;
  const double x_max = std::min(6.0, std::log10(static_cast<double>(h.TotalCount())));
  for (int step = 0; step <= static_cast<int>(std::floor(x_max * 10 + 1e-9)); ++step) {
    const double p = 100.0 * (1.0 - std::pow(10.0, -step / 10.0));
    points.push_back({{"p", p}, {"v", static_cast<double>(h.ValueAtPercentile(p)) / 1000.0}});
  }
  points.push_back({{"p", 100.0}, {"v", static_cast<double>(h.Max()) / 1000.0}, {"max", true}});
  return points;
}

// One spectrum chart per (phase, op), a series per target.
json Spectra(const json& report) {
  std::vector<std::pair<std::string, json>> charts;  // title -> series
  for (const json& r : report["results"]) {
    const std::optional<Histogram> h = Decode(Member(r, "latency_hdr"));
    if (!h) continue;
    const std::string title = Str(r, "phase") + " " + Str(r, "op");
    auto it = std::find_if(charts.begin(), charts.end(),
                           [&](const auto& c) { return c.first == title; });
    if (it == charts.end()) it = charts.insert(charts.end(), {title, json::array()});
    it->second.push_back({{"name", Str(r, "target")}, {"points", SpectrumPoints(*h)}});
  }
  json out = json::array();
  for (auto& [title, series] : charts) out.push_back({{"title", title}, {"series", series}});
  return out;
}

// Per target, per interval start: requests over the interval and p99 of the merged latency of
// all of the target's results in that interval.
json Timelines(const json& report, const std::vector<std::string>& targets) {
  json rps = json::array(), p99 = json::array();
  for (const std::string& target : targets) {
    struct Point {
      int64_t requests = 0;
      double length_s = 0;
      Histogram latency;
      double p99_fallback = 0;
      bool merged = false;
    };
    std::map<double, Point> points;
    for (const json& r : report["results"]) {
      if (Str(r, "target") != target || !Member(r, "timeline").is_array()) continue;
      const json& rows = Member(r, "timeline");
      const json& hdr = Member(r, "timeline_hdr");
      for (size_t i = 0; i < rows.size(); ++i) {
        const json& row = rows[i];
        if (!row.is_array() || row.size() < 5) continue;
        Point& p = points[row[0].get<double>()];
        p.requests += row[1].get<int64_t>();
        const double rate = row[3].get<double>();
        if (rate > 0) p.length_s = std::max(p.length_s, static_cast<double>(row[1].get<int64_t>()) / rate);
        p.p99_fallback = std::max(p.p99_fallback, row[4].get<double>());
        if (hdr.is_array() && i < hdr.size() && hdr[i].is_array() && hdr[i].size() == 3) {
          p.length_s = std::max(p.length_s, hdr[i][1].get<double>());
          if (std::optional<Histogram> h = Decode(hdr[i][2])) {
            p.latency.Merge(*h);
            p.merged = true;
          }
        }
      }
    }
    json rps_points = json::array(), p99_points = json::array();
    for (const auto& [t, p] : points) {
      rps_points.push_back({t, p.length_s > 0 ? static_cast<double>(p.requests) / p.length_s : 0.0});
      // An interval without a successful operation has no p99 (not 0): no point.
      if (p.merged ? p.latency.TotalCount() == 0 : p.requests == 0) continue;
      p99_points.push_back(
          {t, p.merged ? static_cast<double>(p.latency.ValueAtPercentile(99)) / 1000.0
                       : p.p99_fallback});
    }
    rps.push_back({{"name", target}, {"points", rps_points}});
    p99.push_back({{"name", target}, {"points", p99_points}});
  }
  return {{"rps", rps}, {"p99", p99}};
}

json Bars(const ReportSummary& s) {
  json insert = json::array(), p99 = json::array(), recall = json::array(), memory = json::array();
  auto value = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  for (const TargetSummary& t : s.targets) {
    insert.push_back({{"name", t.target}, {"value", value(t.insert_vectors_per_s)}});
    p99.push_back({{"name", t.target}, {"value", value(t.p99_ms)}});
    recall.push_back({{"name", t.target}, {"value", value(t.recall)}});
    memory.push_back({{"name", t.target},
                      {"value", t.bytes_per_1000_vectors
                                    ? json(*t.bytes_per_1000_vectors / 1024.0)
                                    : json(nullptr)}});
  }
  return {{"insert", insert}, {"p99", p99}, {"recall", recall}, {"memory", memory}};
}

std::string Num(const json& v) { return v.is_number() ? FormatNumber(v.get<double>()) : "-"; }
std::string Opt(const std::optional<double>& v) { return v ? FormatNumber(*v) : "-"; }

std::string SummaryTable(const ReportSummary& s) {
  std::string out =
      "<table class=\"summary\"><tr><th class=\"l\">target</th><th>insert (vectors/s)</th>"
      "<th class=\"l\">latency phase</th><th>throughput (req/s)</th><th>p50 (ms)</th>"
      "<th>p95 (ms)</th><th>p99 (ms)</th><th>recall@k</th><th>errors</th>"
      "<th>memory / 1,000 vectors</th><th>peak RSS</th></tr>\n";
  for (const TargetSummary& t : s.targets) {
    out += absl::StrFormat(
        "<tr><td class=\"l\">%s</td><td>%s</td><td class=\"l\">%s</td><td>%s</td><td>%s</td>"
        "<td>%s</td><td>%s</td><td>%s</td><td>%d</td><td>%s</td><td>%s</td></tr>\n",
        Html(t.target), Opt(t.insert_vectors_per_s),
        Html(t.latency_phase.empty() ? "-" : t.latency_phase + " " + t.latency_op),
        Opt(t.throughput_rps), Opt(t.p50_ms), Opt(t.p95_ms), Opt(t.p99_ms),
        t.recall ? absl::StrFormat("%.4f (k=%d)", *t.recall, t.recall_k) : "-", t.errors,
        t.bytes_per_1000_vectors ? FormatBytes(*t.bytes_per_1000_vectors) : "-",
        t.peak_rss_bytes ? FormatBytes(static_cast<double>(*t.peak_rss_bytes)) : "-");
  }
  return out + "</table>\n";
}

// Target value / baseline value per summary column (as the Markdown's "Ratios against").
std::string RatiosTable(const ReportSummary& s) {
  const TargetSummary* b = nullptr;
  for (const TargetSummary& t : s.targets) b = t.target == s.baseline ? &t : b;
  if (b == nullptr || s.targets.size() < 2) return "";
  auto r = [](const std::optional<double>& a, const std::optional<double>& base) {
    const std::optional<double> v = Ratio(a, base);
    return v ? FormatRatio(*v) : std::string("-");
  };
  std::string out = "<table class=\"ratios\"><tr><th class=\"l\">target</th>"
                    "<th>insert throughput</th><th>throughput</th><th>p50</th><th>p99</th>"
                    "<th>recall</th><th>memory / 1,000 vectors</th></tr>\n";
  for (const TargetSummary& t : s.targets) {
    out += absl::StrFormat(
        "<tr><td class=\"l\">%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
        "<td>%s</td></tr>\n",
        Html(t.target), r(t.insert_vectors_per_s, b->insert_vectors_per_s),
        r(t.throughput_rps, b->throughput_rps), r(t.p50_ms, b->p50_ms), r(t.p99_ms, b->p99_ms),
        r(t.recall, b->recall), r(t.bytes_per_1000_vectors, b->bytes_per_1000_vectors));
  }
  return out + "</table>\n";
}

std::string ResultsTable(const json& report) {
  std::string out =
      "<table class=\"results\"><tr><th class=\"l\">target</th><th class=\"l\">phase</th>"
      "<th class=\"l\">op</th><th>requests</th><th>errors</th><th>req/s</th><th>items/s</th>"
      "<th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th>"
      "<th>recall</th></tr>\n";
  for (const json& r : report["results"]) {
    const json& l = Member(r, "latency_ms");
    out += absl::StrFormat(
        "<tr><td class=\"l\">%s</td><td class=\"l\">%s</td><td class=\"l\">%s</td><td>%d</td>"
        "<td>%d</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
        "<td>%s</td><td>%s</td><td>%s</td></tr>\n",
        Html(Str(r, "target")), Html(Str(r, "phase")), Html(Str(r, "op")),
        r.value("requests", int64_t{0}), r.value("errors", int64_t{0}),
        Num(Member(r, "throughput_rps")), Num(Member(r, "items_per_s")), Num(Member(l, "p50")),
        Num(Member(l, "p90")), Num(Member(l, "p95")), Num(Member(l, "p99")),
        Num(Member(l, "p999")), Num(Member(l, "max")),
        Num(Member(Member(r, "recall_at_k"), "mean")));
  }
  return out + "</table>\n<p class=\"meta\">Latency in ms.</p>\n";
}

std::string ThresholdsTable(const json& report) {
  const json& thresholds = Member(report, "thresholds");
  if (!thresholds.is_array() || thresholds.empty()) return "<p>No thresholds.</p>\n";
  std::string out =
      "<table class=\"thresholds\"><tr><th class=\"l\">expression</th><th class=\"l\">target</th>"
      "<th class=\"l\">phase</th><th>value</th><th class=\"l\">verdict</th></tr>\n";
  for (const json& v : thresholds) {
    const bool passed = v.value("passed", false);
    out += absl::StrFormat(
        "<tr><td class=\"l\"><code>%s</code></td><td class=\"l\">%s</td><td class=\"l\">%s</td>"
        "<td>%s</td><td class=\"l %s\">%s</td></tr>\n",
        Html(Str(v, "expr")), Html(Str(v, "target")), Html(Str(v, "phase")),
        Num(Member(v, "value")), passed ? "pass" : "fail",
        passed ? "pass" : "FAIL" + (Str(v, "note").empty() ? "" : ": " + Html(Str(v, "note"))));
  }
  return out + "</table>\n";
}

std::string Environment(const json& report) {
  const json& env = Member(report, "environment");
  std::string out = "<table class=\"agents\"><tr><th class=\"l\">agent</th><th class=\"l\">host</th>"
                    "<th class=\"l\">version</th><th>cores</th><th>clock offset (us)</th>"
                    "<th>requests</th><th>errors</th><th class=\"l\">state</th></tr>\n";
  const json& agents = Member(report, "agents");
  for (const json& a : agents.is_array() ? agents : json::array()) {
    out += absl::StrFormat(
        "<tr><td class=\"l\">%s</td><td class=\"l\">%s</td><td class=\"l\">%s</td><td>%d</td>"
        "<td>%d</td><td>%d</td><td>%d</td><td class=\"l\">%s</td></tr>\n",
        Html(Str(a, "name")), Html(Str(a, "host")), Html(Str(a, "version")), a.value("cores", 0),
        a.value("clock_offset_us", int64_t{0}), a.value("requests", int64_t{0}),
        a.value("errors", int64_t{0}), Html(Str(a, "state")));
  }
  out += "</table>\n<h3>Targets</h3>\n<pre class=\"targets\">" +
         Html(Member(env, "targets").dump(2)) + "</pre>\n<h3>Dataset</h3>\n<pre class=\"dataset\">" +
         Html(Member(env, "dataset").dump(2)) + "</pre>\n";
  return out;
}

// Before anything else runs: script errors are recorded on <body data-errors> (for tests and
// for a reader wondering why a chart is missing).
constexpr char kErrorScript[] = R"JS(
var VEXBENCH_ERRORS = [];
window.addEventListener('error', function (e) {
  VEXBENCH_ERRORS.push(String(e.message));
  document.body.setAttribute('data-errors', VEXBENCH_ERRORS.join(' | '));
});
)JS";

constexpr char kScript[] = R"JS(
(function () {
  function chart(parentId, draw) {
    var div = document.createElement('div');
    div.className = 'chart';
    document.getElementById(parentId).appendChild(div);
    draw(div);
  }
  var D = VEXBENCH_DATA;
  D.spectra.forEach(function (s) {
    chart('spectra', function (el) {
      VexCharts.percentiles(el, s.series, {title: 'Latency by percentile: ' + s.title});
    });
  });
  chart('timelines', function (el) {
    VexCharts.lines(el, D.timelines.rps, {title: 'Requests per second', xLabel: 'time (s)',
                                          yLabel: 'req/s', unit: 'req/s', xUnit: 's'});
  });
  chart('timelines', function (el) {
    VexCharts.lines(el, D.timelines.p99, {title: 'p99 latency per interval', xLabel: 'time (s)',
                                          yLabel: 'p99 (ms)', unit: 'ms', xUnit: 's'});
  });
  chart('bars', function (el) {
    VexCharts.bars(el, D.bars.insert, {title: 'Insert rate (vectors/s)', unit: 'vectors/s'});
  });
  chart('bars', function (el) {
    VexCharts.bars(el, D.bars.p99, {title: 'p99 latency (ms)', unit: 'ms', lowerIsBetter: true});
  });
  chart('bars', function (el) {
    VexCharts.bars(el, D.bars.recall, {title: 'Recall@k'});
  });
  chart('bars', function (el) {
    VexCharts.bars(el, D.bars.memory, {title: 'Memory per 1,000 vectors (KiB)', unit: 'KiB',
                                       lowerIsBetter: true});
  });
  document.body.setAttribute('data-charts',
                             String(document.querySelectorAll('svg.vexchart').length));
})();
)JS";

}  // namespace

absl::StatusOr<std::string> ReportToHtml(const json& report, const std::string& baseline) {
  absl::StatusOr<ReportSummary> summary = SummarizeReport(report, baseline);
  if (!summary.ok()) return summary.status();
  std::vector<std::string> targets;
  for (const TargetSummary& t : summary->targets) targets.push_back(t.target);
  const json data = {{"spectra", Spectra(report)},
                     {"timelines", Timelines(report, targets)},
                     {"bars", Bars(*summary)}};
  const json& job = Member(report, "job");
  const json& env = Member(report, "environment");
  const std::string title = "vexbench report: " + Str(job, "name") + " (" + Str(job, "id") + ")";
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                    "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n"
                    "<title>" + Html(title) + "</title>\n<style>\n" +
                    std::string(Asset("report.css")) + "</style>\n</head>\n<body>\n";
  out += "<h1>" + Html(title) + "</h1>\n";
  out += absl::StrFormat("<p class=\"meta\">State: <b>%s</b>%s. Started %s, ended %s.</p>\n",
                         Html(Str(job, "state")),
                         Str(job, "error").empty() ? "" : " (" + Html(Str(job, "error")) + ")",
                         Html(Str(env, "started")), Html(Str(env, "ended")));
  out += "<h2>Summary</h2>\n" + SummaryTable(*summary);
  if (!summary->baseline.empty()) {
    out += "<h3>Ratios against " + Html(summary->baseline) +
           "</h3>\n<p class=\"meta\">Target value / baseline value (throughput: higher is "
           "better; latency and memory: lower is better).</p>\n" + RatiosTable(*summary);
  }
  out += "<h2>Findings</h2>\n<ul class=\"findings\">\n";
  if (summary->findings.empty()) out += "<li>none</li>\n";
  for (const std::string& f : summary->findings) out += "<li>" + Html(f) + "</li>\n";
  out += "</ul>\n<h2>Latency spectrum</h2>\n<div class=\"charts\" id=\"spectra\"></div>\n";
  out += "<h2>Over time</h2>\n<div class=\"charts\" id=\"timelines\"></div>\n";
  out += "<h2>Per target</h2>\n<div class=\"charts\" id=\"bars\"></div>\n";
  out += "<h2>Results</h2>\n" + ResultsTable(report);
  out += "<h2>Thresholds</h2>\n" + ThresholdsTable(report);
  out += "<h2>Environment</h2>\n" + Environment(report);
  out += "<h2>Job spec</h2>\n<pre class=\"spec\">" + Html(Member(job, "spec").dump(2)) + "</pre>\n";
  out += "<script>" + std::string(kErrorScript) + "</script>\n";
  out += "<script>\n" + std::string(Asset("charts.js")) + "\n</script>\n";
  out += "<script>\nvar VEXBENCH_DATA = " + ScriptJson(data) + ";\n" + kScript + "</script>\n";
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace vexbench
