#include "controller/compare.h"

#include <catch2/catch.hpp>

#include "tests/unit/controller/report_fixture.h"

namespace vexbench {
namespace {

using nlohmann::json;

json& Result(json& report, const std::string& target, const std::string& phase) {
  for (json& r : report["results"]) {
    if (r["target"] == target && r["phase"] == phase) return r;
  }
  FAIL("no result " << target << " " << phase);
  static json none;
  return none;
}

const CompareRow* Row(const Comparison& c, const std::string& target, const std::string& phase,
                      const std::string& metric) {
  for (const CompareRow& r : c.rows) {
    if (r.target == target && r.phase == phase && r.metric == metric) return &r;
  }
  return nullptr;
}

TEST_CASE("the --max-regression list parses metric=percent items", "[compare]") {
  auto limits = ParseRegressionLimits("p99=10%, throughput=5,errors=0.5%");
  REQUIRE(limits.ok());
  CHECK(limits->max_worse_percent == std::map<std::string, double>{
                                         {"p99", 10}, {"throughput", 5}, {"errors", 0.5}});
  CHECK(DefaultRegressionLimits().max_worse_percent ==
        std::map<std::string, double>{{"p99", 10}, {"throughput", 5}});
}

TEST_CASE("the --max-regression errors name the item and what is accepted", "[compare]") {
  CHECK(ParseRegressionLimits("p98=10%").status().message() ==
        "--max-regression \"p98=10%\": unknown metric \"p98\"; expected one of p50, p90, p95, "
        "p99, p999, max, mean, throughput, items_per_s, recall, errors");
  CHECK(ParseRegressionLimits("p99").status().message() ==
        "--max-regression \"p99\": expected METRIC=PERCENT, e.g. p99=10%");
  CHECK(ParseRegressionLimits("p99=fast").status().message() ==
        "--max-regression \"p99=fast\": \"fast\" is not a percentage; expected a number >= 0, "
        "e.g. 10%");
  CHECK(ParseRegressionLimits("p99=-3%").status().message().find("is not a percentage") !=
        absl::string_view::npos);
  CHECK_FALSE(ParseRegressionLimits("").ok());
}

TEST_CASE("a report compared with itself has no regression", "[compare]") {
  const json report = testing::MakeReportFixture().report;
  auto c = CompareReports(report, report, DefaultRegressionLimits());
  REQUIRE(c.ok());
  CHECK_FALSE(c->any_regression);
  CHECK(c->base_label == "j-000042");
  // p50, p99 and throughput of every series; recall of the queries, items_per_s of the inserts,
  // errors where there were any.
  const CompareRow* p99 = Row(*c, "chroma", "search", "p99");
  REQUIRE(p99 != nullptr);
  CHECK(*p99->change_percent == 0.0);
  CHECK(*p99->limit_percent == 10.0);
  CHECK(Row(*c, "chroma", "search", "recall") != nullptr);
  CHECK(Row(*c, "chroma", "load", "items_per_s") != nullptr);
  CHECK(Row(*c, "vexfs", "search", "errors") != nullptr);
  CHECK(Row(*c, "chroma", "search", "errors") == nullptr);
}

TEST_CASE("a slower p99 or a lower throughput beyond the limit is a regression", "[compare]") {
  const json base = testing::MakeReportFixture().report;
  json current = base;
  json& r = Result(current, "vexfs", "search");
  const double p99 = r["latency_ms"]["p99"].get<double>();
  r["latency_ms"]["p99"] = p99 * 1.2;
  auto c = CompareReports(base, current, DefaultRegressionLimits());
  REQUIRE(c.ok());
  CHECK(c->any_regression);
  const CompareRow* row = Row(*c, "vexfs", "search", "p99");
  REQUIRE(row != nullptr);
  CHECK(row->regression);
  CHECK(*row->change_percent == Approx(20.0));
  CHECK(row->note == "p99 20.0% worse (limit 10%)");
  int flagged = 0;
  for (const CompareRow& x : c->rows) flagged += x.regression;
  CHECK(flagged == 1);

  // Within a wider limit it passes.
  auto wide = CompareReports(base, current, *ParseRegressionLimits("p99=25%"));
  REQUIRE(wide.ok());
  CHECK_FALSE(wide->any_regression);

  // Throughput: lower is worse; 6% down fails 5%, 4% down passes.
  json slower = base;
  json& s = Result(slower, "chroma", "search");
  s["throughput_rps"] = s["throughput_rps"].get<double>() * 0.94;
  auto t = CompareReports(base, slower, DefaultRegressionLimits());
  REQUIRE(t.ok());
  CHECK(t->any_regression);
  CHECK(Row(*t, "chroma", "search", "throughput")->regression);
  s["throughput_rps"] = base["results"][2]["throughput_rps"].get<double>() * 0.96;
  CHECK_FALSE(CompareReports(base, slower, DefaultRegressionLimits())->any_regression);
  // Better is never a regression, however large.
  s["throughput_rps"] = base["results"][2]["throughput_rps"].get<double>() * 3;
  CHECK_FALSE(CompareReports(base, slower, DefaultRegressionLimits())->any_regression);
}

TEST_CASE("errors are limited in percentage points of error rate", "[compare]") {
  const json base = testing::MakeReportFixture().report;
  json current = base;
  json& r = Result(current, "chroma", "search");
  const double requests = r["requests"].get<double>();
  r["errors"] = static_cast<int64_t>(requests * 0.02);  // 0% -> 2%
  auto c = CompareReports(base, current, *ParseRegressionLimits("errors=1%"));
  REQUIRE(c.ok());
  const CompareRow* row = Row(*c, "chroma", "search", "errors");
  REQUIRE(row != nullptr);
  CHECK(row->regression);
  CHECK(*row->change_percent == Approx(100.0 * static_cast<double>(static_cast<int64_t>(requests * 0.02)) / requests));
  CHECK(CompareReports(base, current, *ParseRegressionLimits("errors=3%"))->any_regression == false);
}

TEST_CASE("a series missing from the current run is a regression, a new one is not",
          "[compare]") {
  const json base = testing::MakeReportFixture().report;
  json current = base;
  current["results"].erase(current["results"].begin() + 1);  // vexfs load
  auto c = CompareReports(base, current, DefaultRegressionLimits());
  REQUIRE(c.ok());
  CHECK(c->any_regression);
  CHECK(Row(*c, "vexfs", "load", "p99")->note == "missing from the current run");
  auto reverse = CompareReports(current, base, DefaultRegressionLimits());
  REQUIRE(reverse.ok());
  CHECK_FALSE(reverse->any_regression);
  CHECK(Row(*reverse, "vexfs", "load", "p99")->note == "new in the current run");
}

TEST_CASE("comparing something that is not a report names the side", "[compare]") {
  const json report = testing::MakeReportFixture().report;
  auto c = CompareReports(json{{"results", 3}}, report, DefaultRegressionLimits());
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().message().rfind("baseline: not a vexbench report", 0) == 0);
  auto d = CompareReports(report, json::array(), DefaultRegressionLimits());
  REQUIRE_FALSE(d.ok());
  CHECK(d.status().message().rfind("current: not a vexbench report", 0) == 0);
}

TEST_CASE("compare's md, json and junit match their golden files", "[compare]") {
  const json base = testing::MakeReportFixture().report;
  json current = base;
  json& search = Result(current, "vexfs", "search");
  search["latency_ms"]["p99"] = search["latency_ms"]["p99"].get<double>() * 1.5;
  search["throughput_rps"] = search["throughput_rps"].get<double>() * 0.8;
  current["job"]["id"] = "j-000043";
  auto c = CompareReports(base, current, *ParseRegressionLimits("p99=10%,throughput=5%,recall=1%"));
  REQUIRE(c.ok());
  CHECK(c->any_regression);
  testing::CheckGolden("compare.md", ComparisonToMarkdown(*c));
  testing::CheckGolden("compare.json", ComparisonToJson(*c).dump(2) + "\n");
  testing::CheckGolden("compare.junit.xml", ComparisonToJunit(*c));
}

}  // namespace
}  // namespace vexbench
