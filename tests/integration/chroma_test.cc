// The chroma adapter against a real ChromaDB 1.0 server (started and stopped by the fixture).
#include <catch2/catch.hpp>

#include "nlohmann/json.hpp"
#include "tests/integration/support/chroma_server.h"
#include "tests/integration/support/servers.h"
#include "tests/integration/support/subprocess.h"

namespace vexbench::testing {
namespace {

using nlohmann::json;

const json& Result(const json& report, const std::string& phase, const std::string& op) {
  for (const json& r : report["results"]) {
    if (r["phase"] == phase && r["op"] == op) return r;
  }
  FAIL("no result for " << phase << "/" << op << " in " << report.dump());
  static json none;
  return none;
}

TEST_CASE(
    "chroma: load 5,000 x 128 with a payload, count, recall, filtered recall, open loop, delete, "
    "teardown",
    "[chroma]") {
  if (ChromaServer::InstallDir().empty()) {
    WARN("SKIPPED: ChromaDB is not installed; scripts/test installs it (ensure_chroma)");
    return;
  }
  ChromaServer chroma;
  const std::string dir = MakeTempDir("chroma-job");
  WriteFile(dir + "/job.yaml",
            "name: chroma-e2e\n"
            "dataset: {kind: synthetic, count: 5000, dim: 128, queries: 200, metric: cosine,"
            " seed: 7, distribution: clustered, payload: {field: category, values: 10}}\n"
            "targets:\n"
            "  - {name: chroma, kind: chroma, url: \"" + chroma.Url() + "\","
            " collection: vexbench-e2e, ef_search: 100}\n"
            "phases:\n"
            "  - {name: load, op: insert, batch: 500, concurrency: 4}\n"
            "  - {name: search, op: query, k: 10, concurrency: 4, requests: 400}\n"
            "  - {name: steady, op: query, k: 10, rate: 100, duration: 3s}\n"
            // One filtered phase per filter form; Chroma's `where` does the filtering.
            "  - {name: only3, op: query, k: 10, concurrency: 4, requests: 200,"
            " filter: {field: category, eq: 3}}\n"
            "  - {name: some, op: query, k: 10, concurrency: 4, requests: 200,"
            " filter: {field: category, in: [1, 5, 8]}}\n"
            "  - {name: band, op: query, k: 10, concurrency: 4, requests: 200,"
            " filter: {field: category, gte: 2, lt: 4}}\n"
            "  - {name: remove, op: delete, batch: 1000, concurrency: 2}\n"
            "thresholds: [\"search.recall@10 > 0.9\"]\n");
  RunResult r = RunVexbench({"run", dir + "/job.yaml", "--out", dir + "/out"}, dir + "/v",
                            std::chrono::seconds(240));
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  const json report = json::parse(ReadFile(dir + "/out/report.json"));
  INFO(report.dump(1));
  CHECK(r.exit_code == 0);
  CHECK(report["job"]["state"] == "succeeded");

  const json& load = Result(report, "load", "insert");
  CHECK(load["errors"] == 0);
  CHECK(load["items"] == 5000);
  CHECK(load["requests"] == 10);  // 5000 / batch 500
  CHECK(load["count_after"] == 5000);
  CHECK(load["items_per_s"].get<double>() > 0);

  const json& search = Result(report, "search", "query");
  CHECK(search["requests"] == 400);
  CHECK(search["errors"] == 0);
  CHECK(search["recall_at_k"]["k"] == 10);
  CHECK(search["recall_at_k"]["mean"].get<double>() >= 0.95);

  const json& steady = Result(report, "steady", "query");
  CHECK(std::abs(steady["requests"].get<int64_t>() - 300) <= 3);
  CHECK(steady["errors"] == 0);
  CHECK(steady.contains("wait_ms"));
  CHECK(steady["recall_at_k"]["mean"].get<double>() >= 0.95);

  // Filtered queries: recall against vexbench's exact filtered truth, and no answer holds an
  // id the filter excludes.
  for (const std::string phase : {"only3", "some", "band"}) {
    INFO(phase);
    const json& filtered = Result(report, phase, "query");
    CHECK(filtered["requests"] == 200);
    CHECK(filtered["errors"] == 0);
    CHECK(filtered["errors_by_class"]["filter_violation"] == 0);
    CHECK(filtered["recall_at_k"]["k"] == 10);
    CHECK(filtered["recall_at_k"]["mean"].get<double>() >= 0.95);
  }
  CHECK(report["environment"]["dataset"]["filtered_truth"].size() == 3);

  const json& remove = Result(report, "remove", "delete");
  CHECK(remove["errors"] == 0);
  CHECK(remove["items"] == 5000);

  // Provenance: the server's version and the dataset's identity.
  CHECK(report["environment"]["targets"][0]["version"] == "chroma 1.0.0");
  CHECK(report["environment"]["dataset"]["content_hash"].get<std::string>().size() == 64);
  // Teardown dropped the collection.
  CHECK(HttpGet(chroma.port(), "/api/v2/tenants/default_tenant/databases/default_database/"
                               "collections/vexbench-e2e")
            .find("404") != std::string::npos);
}

TEST_CASE("chroma: a target that cannot be set up fails the job before any phase", "[chroma]") {
  if (ChromaServer::InstallDir().empty()) {
    WARN("SKIPPED: ChromaDB is not installed; scripts/test installs it (ensure_chroma)");
    return;
  }
  ChromaServer chroma;
  const std::string dir = MakeTempDir("chroma-fail");
  // Not a chroma API at this base path: setup fails, and no phase is measured.
  WriteFile(dir + "/job.yaml",
            "name: chroma-short\n"
            "dataset: {kind: synthetic, count: 1000, dim: 16, queries: 10, seed: 3}\n"
            "targets: [{name: chroma, kind: chroma, url: \"" + chroma.Url() + "/nope\"}]\n"
            "phases:\n"
            "  - {name: load, op: insert, batch: 100}\n"
            "  - {name: search, op: query, k: 5, requests: 10}\n");
  RunResult r = RunVexbench({"run", dir + "/job.yaml", "--out", dir + "/out"}, dir + "/v",
                            std::chrono::seconds(120));
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.exit_code == 2);
  const json report = json::parse(ReadFile(dir + "/out/report.json"));
  CHECK(report["job"]["state"] == "failed");
  CHECK_THAT(report["job"]["error"].get<std::string>(), Catch::Contains("chroma"));
  for (const json& result : report["results"]) CHECK(result["phase"] != "search");
}

}  // namespace
}  // namespace vexbench::testing
