#include "controller/resource_report.h"

#include <catch2/catch.hpp>

#include "tests/unit/controller/report_fixture.h"

namespace vexbench {
namespace {

using nlohmann::json;

TEST_CASE("resources[] holds the samples on the controller's clock with CPU and peak RSS",
          "[resources]") {
  const json report = testing::MakeReportFixture().report;
  REQUIRE(report["resources"].size() == 1);  // only chroma has targets[].process
  const json& e = report["resources"][0];
  CHECK(e["target"] == "chroma");
  CHECK(e["agent"] == "a1");
  CHECK(e["source"] == "name chroma: 1 process (pid 4242)");
  CHECK(e["peak_rss_bytes"] == 266 * 1024 * 1024);
  REQUIRE(e["samples"].size() == 8);
  // The agent's clock offset (120 µs) is removed: t_s is from the job's start.
  CHECK(e["samples"][0]["t_s"].get<double>() == Approx(0.45));
  CHECK(e["samples"][0]["cpu_percent"].is_null());
  CHECK(e["samples"][1]["t_s"].get<double>() == Approx(1.5));
  // 0.6 s of CPU over 1.05 s of wall time.
  CHECK(e["samples"][1]["cpu_percent"].get<double>() == Approx(0.6 / 1.05 * 100));
  CHECK(e["notes"].empty());
}

TEST_CASE("memory per 1,000 vectors comes from the samples around the insert phase",
          "[resources]") {
  const json report = testing::MakeReportFixture().report;
  for (const json& r : report["results"]) {
    INFO(r["target"] << " " << r["phase"]);
    const bool expected = r["target"] == "chroma" && r["op"] == "insert";
    CHECK(r.contains("memory") == expected);
    if (!expected) continue;
    const json& m = r["memory"];
    CHECK(m["vectors"] == r["items"]);
    CHECK(m["bytes_per_1000_vectors"].get<double>() ==
          (m["rss_after_bytes"].get<double>() - m["rss_before_bytes"].get<double>()) * 1000.0 /
              m["vectors"].get<double>());
  }
}

TEST_CASE("a sampled target without samples says why", "[resources]") {
  testing::ReportFixture f = testing::MakeReportFixture();
  f.job.target_samples.clear();
  f.job.spec["targets"][1]["process"] = {{"pid", 99}, {"agent", "elsewhere"}};
  json report = BuildReport(f.job, f.merger, f.verdicts);
  REQUIRE(report["resources"].size() == 2);
  CHECK(report["resources"][0]["notes"][0] == "no samples received (no phase ran)");
  CHECK(report["resources"][1]["notes"][0] ==
        "not sampled: no agent named 'elsewhere' ran this job (agents: a1, a2)");
  CHECK(report["resources"][1]["peak_rss_bytes"].is_null());
  for (const json& r : report["results"]) CHECK_FALSE(r.contains("memory"));
}

TEST_CASE("failed samples are left out and counted in the notes", "[resources]") {
  testing::ReportFixture f = testing::MakeReportFixture();
  v1::TargetSample gone = f.job.target_samples.back().second;
  gone.set_error("no process named 'chroma'");
  gone.set_rss_bytes(0);
  f.job.target_samples.back().second = gone;  // the search PHASE_END sample failed
  json report = BuildReport(f.job, f.merger, f.verdicts);
  const json& e = report["resources"][0];
  CHECK(e["samples"].size() == 7);
  CHECK(e["notes"][0] == "no process named 'chroma' (1 of 8 samples)");
}

}  // namespace
}  // namespace vexbench
