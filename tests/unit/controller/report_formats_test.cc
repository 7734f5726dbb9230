// Every format of `vexbench report` rendered from one recorded job (report_fixture.h) and
// compared with golden files in tests/unit/controller/golden/. After an intended change of a
// format, regenerate them with VEXBENCH_UPDATE_GOLDEN=1 and review the diff.
#include "controller/report_formats.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "common/hdr_codec.h"
#include "common/hlog.h"
#include "controller/report_summary.h"
#include "tests/unit/controller/report_fixture.h"

namespace vexbench {
namespace {

using nlohmann::json;
using testing::CheckGolden;
using testing::GoldenPath;
using testing::MakeReportFixture;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

json GoldenReport() {
  const std::string text = ReadFile(GoldenPath("report.json"));
  REQUIRE(!text.empty());
  return json::parse(text);
}

Histogram DecodeBase64(const std::string& base64) {
  std::string bytes;
  REQUIRE(absl::Base64Unescape(base64, &bytes));
  absl::StatusOr<Histogram> h = DecodeV2(bytes);
  REQUIRE(h.ok());
  return *std::move(h);
}

const json& Result(const json& report, const std::string& target, const std::string& phase) {
  for (const json& r : report["results"]) {
    if (r["target"] == target && r["phase"] == phase) return r;
  }
  FAIL("no result " << target << " " << phase);
  static json none;
  return none;
}

TEST_CASE("report.json of the recorded job matches its golden file", "[report]") {
  const testing::ReportFixture f = MakeReportFixture();
  CheckGolden("report.json", f.report.dump(2) + "\n");
  // The secret of the spec never reaches a report.
  CHECK(f.report.dump().find("s3cret") == std::string::npos);
}

TEST_CASE("every format rendered from the golden report.json matches its golden file",
          "[report]") {
  const json report = GoldenReport();
  const std::map<ReportFormat, std::string> names = {{ReportFormat::kMarkdown, "report.md"},
                                                     {ReportFormat::kCsv, "report.csv"},
                                                     {ReportFormat::kHtml, "report.html"},
                                                     {ReportFormat::kJunit, "report.junit.xml"}};
  for (const auto& [format, name] : names) {
    auto files = RenderReportFormat(report, format, "vexfs");
    REQUIRE(files.ok());
    REQUIRE(files->size() == 1);
    CHECK(files->front().first == name);
    CheckGolden(name, files->front().second);
  }
  auto json_files = RenderReportFormat(report, ReportFormat::kJson, "");
  REQUIRE(json_files.ok());
  CHECK(json_files->front().second == ReadFile(GoldenPath("report.json")));
  auto hlogs = RenderReportFormat(report, ReportFormat::kHlog, "");
  REQUIRE(hlogs.ok());
  // 4 results, 2 agents: a merged log and one per agent for each.
  REQUIRE(hlogs->size() == 12);
  for (const auto& [name, content] : *hlogs) CheckGolden("hlog/" + name, content);
}

TEST_CASE("hlog files rebuilt from report.json are byte for byte the controller's", "[report]") {
  const testing::ReportFixture f = MakeReportFixture();
  std::map<std::string, std::string> controller;
  for (auto& [name, content] : RenderReportFiles(f.report, f.merger, f.job.started_unix_us)) {
    if (name != "report.json") controller[name] = content;
  }
  auto ours = ReportToHlogs(f.report);
  REQUIRE(ours.ok());
  std::map<std::string, std::string> from_json(ours->begin(), ours->end());
  CHECK(from_json == controller);
  // And the merged intervals of each log add up to the result's total, count for count.
  for (const json& r : f.report["results"]) {
    const std::string name = r["target"].get<std::string>() + "." + r["phase"].get<std::string>() +
                             "." + r["op"].get<std::string>() + ".hlog";
    std::istringstream in(from_json.at(name));
    absl::StatusOr<HlogFile> log = ReadHlog(in);
    REQUIRE(log.ok());
    Histogram sum;
    for (const HlogEntry& e : log->entries) sum.Merge(e.histogram);
    CHECK(sum.SameCounts(DecodeBase64(r["latency_hdr"])));
    CHECK(log->entries.size() == 3);
  }
}

TEST_CASE("the timeline of each result adds up to its totals", "[report]") {
  const json report = GoldenReport();
  for (const json& r : report["results"]) {
    INFO(r["target"] << " " << r["phase"]);
    int64_t requests = 0, errors = 0;
    for (const json& row : r["timeline"]) {
      REQUIRE(row.size() == 5);
      requests += row[1].get<int64_t>();
      errors += row[2].get<int64_t>();
      CHECK(row[3].get<double>() == Approx(row[1].get<double>() / 1.0));  // 1 s intervals
    }
    CHECK(requests == r["requests"].get<int64_t>());
    CHECK(errors == r["errors"].get<int64_t>());
    Histogram merged;
    for (const json& row : r["timeline_hdr"]) merged.Merge(DecodeBase64(row[2]));
    CHECK(merged.SameCounts(DecodeBase64(r["latency_hdr"])));
    // Seconds from the job's start: the load phase's intervals begin at 0.5 s, search's at 3.5 s.
    CHECK(r["timeline"][0][0].get<double>() == (r["phase"] == "load" ? 0.5 : 3.5));
  }
}

TEST_CASE("the summary's ratios and findings are the report's numbers", "[report]") {
  const json report = GoldenReport();
  const json& chroma_load = Result(report, "chroma", "load");
  const json& vexfs_load = Result(report, "vexfs", "load");
  const json& chroma_search = Result(report, "chroma", "search");
  const json& vexfs_search = Result(report, "vexfs", "search");
  auto summary = SummarizeReport(report, "vexfs");
  REQUIRE(summary.ok());
  REQUIRE(summary->targets.size() == 2);
  const TargetSummary& chroma = summary->targets[0];
  CHECK(chroma.target == "chroma");
  CHECK(*chroma.insert_vectors_per_s == chroma_load["items_per_s"].get<double>());
  CHECK(*chroma.p99_ms == chroma_search["latency_ms"]["p99"].get<double>());
  CHECK(*chroma.recall == chroma_search["recall_at_k"]["mean"].get<double>());
  CHECK(chroma.recall_k == 10);
  // Memory per 1,000 vectors: RSS after minus before the load phase, per vector inserted.
  const json& memory = chroma_load["memory"];
  CHECK(memory["rss_before_bytes"] == 200 * 1024 * 1024);
  CHECK(memory["rss_after_bytes"] == 262 * 1024 * 1024);
  CHECK(memory["vectors"] == chroma_load["items"]);
  CHECK(memory["bytes_per_1000_vectors"].get<double>() ==
        Approx(62.0 * 1024 * 1024 * 1000 / chroma_load["items"].get<double>()));
  CHECK(*chroma.bytes_per_1000_vectors == memory["bytes_per_1000_vectors"].get<double>());

  const double insert_ratio =
      chroma_load["items_per_s"].get<double>() / vexfs_load["items_per_s"].get<double>();
  const std::string expected =
      "chroma: " + FormatRatio(insert_ratio) + " the insert throughput of vexfs";
  bool found = false;
  for (const std::string& f : summary->findings) found = found || f.rfind(expected, 0) == 0;
  INFO("expected a finding starting with: " << expected);
  CHECK(found);
  CHECK(insert_ratio > 2.0);  // the fixture's chroma inserts much faster
  const double p99_ratio = chroma_search["latency_ms"]["p99"].get<double>() /
                           vexfs_search["latency_ms"]["p99"].get<double>();
  CHECK(p99_ratio < 1.0);
  auto md = ReportToMarkdown(report, "vexfs");
  REQUIRE(md.ok());
  CHECK(md->find(expected) != std::string::npos);
  CHECK(md->find("### Ratios against vexfs") != std::string::npos);
  CHECK(md->find("threshold failed: search.p99 < 5ms") != std::string::npos);
  // vexfs had timeouts: they are a finding with the count.
  CHECK(md->find("vexfs: " + std::to_string(vexfs_search["errors"].get<int64_t>()) + " errors") !=
        std::string::npos);
}

TEST_CASE("the CSV has the documented columns and one row per result, values as stored",
          "[report]") {
  const json report = GoldenReport();
  auto csv = ReportToCsv(report);
  REQUIRE(csv.ok());
  std::vector<std::string> lines = absl::StrSplit(*csv, "\r\n", absl::SkipEmpty());
  REQUIRE(lines.size() == 1 + report["results"].size());
  std::vector<std::string> header = absl::StrSplit(lines[0], ',');
  CHECK(header == CsvColumns());
  const auto column = [&](const std::string& name) {
    return std::find(header.begin(), header.end(), name) - header.begin();
  };
  for (size_t i = 0; i < report["results"].size(); ++i) {
    const json& r = report["results"][i];
    std::vector<std::string> cells = absl::StrSplit(lines[i + 1], ',');
    REQUIRE(cells.size() == header.size());
    CHECK(cells[column("target")] == r["target"].get<std::string>());
    CHECK(std::stod(cells[column("p99_ms")]) == r["latency_ms"]["p99"].get<double>());
    CHECK(std::stod(cells[column("throughput_rps")]) == r["throughput_rps"].get<double>());
    CHECK(std::stoll(cells[column("requests")]) == r["requests"].get<int64_t>());
    if (r.contains("memory")) {
      CHECK(std::stod(cells[column("bytes_per_1000_vectors")]) ==
            r["memory"]["bytes_per_1000_vectors"].get<double>());
    } else {
      CHECK(cells[column("bytes_per_1000_vectors")].empty());
    }
  }
}

TEST_CASE("junit has one testcase per threshold verdict and one for the job", "[report]") {
  const json report = GoldenReport();
  auto xml = ReportToJunit(report);
  REQUIRE(xml.ok());
  size_t cases = 0, failures = 0;
  for (size_t at = 0; (at = xml->find("<testcase ", at)) != std::string::npos; ++at) ++cases;
  for (size_t at = 0; (at = xml->find("<failure ", at)) != std::string::npos; ++at) ++failures;
  size_t failed_verdicts = 0;
  for (const json& v : report["thresholds"]) failed_verdicts += v["passed"] ? 0 : 1;
  CHECK(cases == report["thresholds"].size() + 1);
  CHECK(failures == failed_verdicts);
  CHECK(failed_verdicts >= 1);
  CHECK(xml->find("search.p99 &lt; 5ms [vexfs search query]") != std::string::npos);
}

TEST_CASE("the HTML is one file: assets inlined, no external reference, data escaped",
          "[report]") {
  json report = GoldenReport();
  report["job"]["name"] = "</script><script>alert(1)</script>";
  auto html = ReportToHtml(report, "");
  REQUIRE(html.ok());
  CHECK(html->find("VexCharts") != std::string::npos);
  for (const char* fetches : {"src=\"http", "url(", "fetch(", "XMLHttpRequest", "@import"}) {
    INFO(fetches);
    CHECK(html->find(fetches) == std::string::npos);
  }
  CHECK(html->find("src=\"") == std::string::npos);
  CHECK(html->find("<link") == std::string::npos);
  CHECK(html->find("</script><script>alert(1)") == std::string::npos);
}

TEST_CASE("bad input to the report formats is an error naming the flag", "[report]") {
  CHECK(ParseReportFormat("pdf").status().message() ==
        "--format pdf: unknown format; expected one of json, md, csv, html, junit, hlog");
  const json report = GoldenReport();
  auto md = ReportToMarkdown(report, "qdrant");
  REQUIRE_FALSE(md.ok());
  CHECK(md.status().message() ==
        "--baseline qdrant: no such target in the report; expected one of: chroma, vexfs");
  auto csv = ReportToCsv(json{{"schema", "x"}});
  REQUIRE_FALSE(csv.ok());
  CHECK(csv.status().message().find("\"results\" array") != absl::string_view::npos);
}

TEST_CASE("an interval without a successful operation has no p99 point in the HTML") {
  json report = GoldenReport();
  json& result = report["results"][0];
  REQUIRE(result["timeline"].is_array());
  // A last, nearly empty interval, as the final drain of a phase can be.
  result["timeline"].push_back({123.25, 0, 0, 0.0, 0.0});
  result["timeline_hdr"].push_back({123.25, 0.5, absl::Base64Escape(EncodeV2Compressed(Histogram()))});
  absl::StatusOr<std::string> html = ReportToHtml(report, "");
  REQUIRE(html.ok());
  const size_t p99 = html->find("\"p99\":");
  const size_t rps = html->find("\"rps\":");
  REQUIRE(p99 != std::string::npos);
  REQUIRE(rps != std::string::npos);
  REQUIRE(p99 < rps);
  CHECK(html->substr(p99, rps - p99).find("123.25") == std::string::npos);  // no p99 of 0
  CHECK(html->find("123.25", rps) != std::string::npos);                    // its rate of 0
}

}  // namespace
}  // namespace vexbench
