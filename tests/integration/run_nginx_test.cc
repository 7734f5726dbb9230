// `vexbench run` end to end against real servers on loopback: nginx, a refusing port, a
// server answering garbage, a server that never answers.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/hlog.h"
#include "nlohmann/json.hpp"
#include "tests/integration/support/servers.h"
#include "tests/integration/support/subprocess.h"

namespace vexbench::testing {
namespace {

using nlohmann::json;

struct JobRun {
  RunResult result;
  json report;
  std::string out_dir;
};

// Writes `spec` to a temp dir, runs `vexbench run` on it and reads report.json if written.
JobRun RunJob(const std::string& name, const std::string& spec,
              const std::vector<std::string>& extra = {}) {
  JobRun run;
  const std::string dir = MakeTempDir(name);
  WriteFile(dir + "/job.yaml", spec);
  run.out_dir = dir + "/out";
  std::vector<std::string> args = {"run", dir + "/job.yaml", "--out", run.out_dir};
  args.insert(args.end(), extra.begin(), extra.end());
  run.result = RunVexbench(args, dir + "/vexbench");
  const std::string report = ReadFile(run.out_dir + "/report.json");
  if (!report.empty()) run.report = json::parse(report);
  INFO("stdout:\n" << run.result.out << "\nstderr:\n" << run.result.err);
  return run;
}

const json& OnlyResult(const json& report, const std::string& phase) {
  for (const json& r : report["results"]) {
    if (r["phase"] == phase) return r;
  }
  FAIL("no result for phase " << phase << " in " << report.dump());
  static json none;
  return none;
}

TEST_CASE("requests counted by vexbench equal the requests nginx served", "[nginx]") {
  NginxServer nginx;
  const int64_t before = nginx.RequestsServed();
  JobRun run = RunJob("count", "name: count\n"
                               "targets: [{name: web, kind: http, url: \"" + nginx.Url() + "\"}]\n"
                               "phases:\n"
                               "  - {name: fixed, op: request, concurrency: 8, requests: 5000}\n"
                               "  - {name: timed, op: request, concurrency: 16, duration: 2s}\n");
  REQUIRE(run.result.exit_code == 0);
  const int64_t served = nginx.RequestsServed() - before - 1;  // minus the second status query
  const json& fixed = OnlyResult(run.report, "fixed");
  const json& timed = OnlyResult(run.report, "timed");
  CHECK(fixed["requests"] == 5000);
  CHECK(fixed["errors"] == 0);
  CHECK(timed["requests"].get<int64_t>() > 1000);
  CHECK(timed["errors"] == 0);
  CHECK(fixed["requests"].get<int64_t>() + timed["requests"].get<int64_t>() == served);
  // The per-agent split adds up, and throughput is requests over the measured duration.
  CHECK(timed["per_agent"][0]["requests"] == timed["requests"]);
  CHECK(timed["duration_s"].get<double>() == Approx(2.0).margin(0.05));
  CHECK(timed["throughput_rps"].get<double>() ==
        Approx(timed["requests"].get<double>() / timed["duration_s"].get<double>()));
}

TEST_CASE("warm-up requests are served but not counted", "[nginx]") {
  NginxServer nginx;
  const int64_t before = nginx.RequestsServed();
  JobRun run = RunJob("warmup", "name: warmup\n"
                                "targets: [{name: web, kind: http, url: \"" + nginx.Url() + "\"}]\n"
                                "phases: [{name: p, op: request, concurrency: 4, duration: 1s,"
                                " warmup: 1s}]\n");
  REQUIRE(run.result.exit_code == 0);
  const int64_t served = nginx.RequestsServed() - before - 1;
  const int64_t counted = OnlyResult(run.report, "p")["requests"].get<int64_t>();
  CHECK(counted > 0);
  CHECK(served > counted + counted / 4);  // the warm-up second is about as long as the measured one
  CHECK(OnlyResult(run.report, "p")["duration_s"].get<double>() == Approx(1.0).margin(0.05));
}

TEST_CASE("open loop at 1000 req/s for 5 s achieves the rate within 1%", "[nginx][open-loop]") {
  NginxServer nginx;
  JobRun run = RunJob("rate", "name: rate\n"
                              "targets: [{name: web, kind: http, url: \"" + nginx.Url() + "\"}]\n"
                              "phases: [{name: steady, op: request, rate: 1000, duration: 5s}]\n");
  REQUIRE(run.result.exit_code == 0);
  const json& r = OnlyResult(run.report, "steady");
  CHECK(r["errors"] == 0);
  CHECK(r["unsent"] == 0);
  CHECK(std::abs(r["requests"].get<double>() - 5000) <= 50);
  CHECK(std::abs(r["throughput_rps"].get<double>() - 1000) <= 10);
}

TEST_CASE("a stalled target shows as the stall: latency from the intended send time",
          "[nginx][open-loop]") {
  NginxServer nginx;
  const std::string spec = "name: stall\n"
                           "targets: [{name: web, kind: http, url: \"" + nginx.Url() + "\"}]\n"
                           "phases: [{name: steady, op: request, rate: 500, duration: 6s}]\n";
  SECTION("nginx stopped for 1 s in the middle") {
    std::thread staller([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(2500));
      nginx.Pause();
      std::this_thread::sleep_for(std::chrono::seconds(1));
      nginx.Resume();
    });
    JobRun run = RunJob("stall", spec);
    staller.join();
    REQUIRE(run.result.exit_code == 0);
    const json& r = OnlyResult(run.report, "steady");
    CHECK(r["latency_ms"]["p99"].get<double>() >= 500);
    CHECK(r["latency_ms"]["max"].get<double>() >= 900);
    CHECK(r["requests"] == 3000);  // every intended request is in the count
    CHECK(r["errors"] == 0);
    CHECK(r["late_sends"].get<int64_t>() > 0);  // requests waited for a free connection
  }
  SECTION("the same run with the target healthy") {
    JobRun run = RunJob("healthy", spec);
    REQUIRE(run.result.exit_code == 0);
    const json& r = OnlyResult(run.report, "steady");
    CHECK(r["requests"] == 3000);
    CHECK(r["latency_ms"]["p99"].get<double>() < 20);
  }
}

TEST_CASE("a refused connection is classified and the run ends on time", "[errors]") {
  const uint16_t port = FreePort();  // nothing listens there
  JobRun run = RunJob("refused", "name: refused\n"
                                 "targets: [{name: dead, kind: http, url: \"http://127.0.0.1:" +
                                     std::to_string(port) + "/\"}]\n"
                                 "phases: [{name: p, op: request, concurrency: 4, duration: 2s},\n"
                                 "         {name: q, op: request, rate: 200, duration: 1s}]\n");
  REQUIRE(run.result.exit_code == 0);  // no threshold failed; the errors are in the report
  const json& p = OnlyResult(run.report, "p");
  CHECK(p["requests"].get<int64_t>() > 0);
  CHECK(p["errors"] == p["requests"]);
  CHECK(p["errors_by_class"]["connect"] == p["errors"]);
  const json& q = OnlyResult(run.report, "q");
  CHECK(q["errors_by_class"]["connect"] == 200);
  CHECK(run.result.seconds < 3.0 + 2.0);
}

TEST_CASE("a target answering garbage is counted as parse errors", "[errors]") {
  RawServer garbage(RawServer::Mode::kGarbage);
  JobRun run = RunJob("garbage", "name: garbage\n"
                                 "targets: [{name: bad, kind: http, url: \"http://127.0.0.1:" +
                                     std::to_string(garbage.port()) + "/\"}]\n"
                                 "phases: [{name: p, op: request, concurrency: 2, duration: 1s}]\n");
  REQUIRE(run.result.exit_code == 0);
  const json& p = OnlyResult(run.report, "p");
  CHECK(p["requests"].get<int64_t>() > 0);
  CHECK(p["errors_by_class"]["parse"] == p["requests"]);
  CHECK(run.result.seconds < 4.0);
}

TEST_CASE("a target that never answers times out and the run ends by its deadline", "[errors]") {
  RawServer hung(RawServer::Mode::kHung);
  JobRun run = RunJob("hung", "name: hung\n"
                              "targets: [{name: slow, kind: http, url: \"http://127.0.0.1:" +
                                  std::to_string(hung.port()) + "/\"}]\n"
                              "phases: [{name: p, op: request, concurrency: 3, duration: 2s,"
                              " timeout: 500ms}]\n");
  REQUIRE(run.result.exit_code == 0);
  const json& p = OnlyResult(run.report, "p");
  // 3 workers, each timing out every 500 ms over 2 s: about 12 timeouts.
  CHECK(p["errors_by_class"]["timeout"].get<int64_t>() >= 9);
  CHECK(p["errors_by_class"]["timeout"].get<int64_t>() <= 15);
  CHECK(p["errors_by_class"]["timeout"] == p["requests"]);
  CHECK(run.result.seconds < 2.0 + 0.5 + 2.0);
}

TEST_CASE("a connection closed without an answer is a reset", "[errors]") {
  RawServer closer(RawServer::Mode::kClose);
  JobRun run = RunJob("reset", "name: reset\n"
                               "targets: [{name: bad, kind: http, url: \"http://127.0.0.1:" +
                                   std::to_string(closer.port()) + "/\"}]\n"
                               "phases: [{name: p, op: request, concurrency: 2, requests: 50}]\n");
  REQUIRE(run.result.exit_code == 0);
  const json& p = OnlyResult(run.report, "p");
  CHECK(p["requests"] == 50);
  CHECK(p["errors_by_class"]["reset"] == 50);
}

TEST_CASE("HTTP statuses and oversized answers are classified", "[errors][nginx]") {
  NginxServer nginx;
  JobRun run = RunJob("status", "name: status\n"
                                "targets:\n"
                                "  - {name: missing, kind: http, url: \"" + nginx.Url("/nope") + "\"}\n"
                                "  - {name: big, kind: http, url: \"" + nginx.Url() + "\","
                                " max_body_bytes: 100}\n"
                                "  - {name: post, kind: http, url: \"" + nginx.Url() + "\","
                                " method: POST, body: \"{}\", expect_status: 405}\n"
                                "phases: [{name: p, op: request, concurrency: 2, requests: 40}]\n");
  REQUIRE(run.result.exit_code == 0);
  REQUIRE(run.report["results"].size() == 3);
  for (const json& r : run.report["results"]) {
    INFO(r.dump());
    CHECK(r["requests"] == 40);
    if (r["target"] == "missing") CHECK(r["errors_by_class"]["http_4xx"] == 40);
    if (r["target"] == "big") CHECK(r["errors_by_class"]["body_too_large"] == 40);
    if (r["target"] == "post") CHECK(r["errors"] == 0);  // nginx answers 405, as expected
  }
}

TEST_CASE("an open-loop ramp sends the area under its rate curve", "[nginx][open-loop]") {
  NginxServer nginx;
  // 0 -> 400 req/s over 2 s (400 requests), then 400 req/s for 1 s (400 requests).
  JobRun run = RunJob("ramp", "{\"name\": \"ramp\", \"targets\": [{\"name\": \"web\", "
                              "\"kind\": \"http\", \"url\": \"" + nginx.Url() + "\"}],"
                              " \"phases\": [{\"name\": \"r\", \"op\": \"request\", "
                              "\"rate\": 1, \"stages\": [{\"duration\": \"2s\", \"rate\": 400},"
                              " {\"duration\": \"1s\", \"rate\": 400}]}]}");
  REQUIRE(run.result.exit_code == 0);
  const json& r = OnlyResult(run.report, "r");
  CHECK(std::abs(r["requests"].get<int64_t>() - 801) <= 3);
  CHECK(r["errors"] == 0);
  CHECK(r["duration_s"].get<double>() == Approx(3.0).margin(0.05));
}

TEST_CASE("thresholds decide the exit code", "[thresholds]") {
  NginxServer nginx;
  const std::string spec = "name: gate\n"
                           "targets: [{name: web, kind: http, url: \"" + nginx.Url() + "\"}]\n"
                           "phases: [{name: p, op: request, concurrency: 2, requests: 200}]\n";
  SECTION("passing thresholds exit 0") {
    JobRun run = RunJob("pass", spec + "thresholds: [\"p.p99 < 1s\", \"errors < 1%\"]\n");
    CHECK(run.result.exit_code == 0);
    REQUIRE(run.report["thresholds"].size() == 2);
    CHECK(run.report["thresholds"][0]["passed"] == true);
  }
  SECTION("a failing threshold exits 1 and says which") {
    JobRun run = RunJob("fail", spec + "thresholds: [\"p.p50 < 1us\"]\n");
    CHECK(run.result.exit_code == 1);
    CHECK(run.report["thresholds"][0]["passed"] == false);
    CHECK(run.result.out.find("FAIL") != std::string::npos);
  }
}

TEST_CASE("a bad spec exits 2 naming the field, and starts nothing", "[spec]") {
  NginxServer nginx;
  const int64_t before = nginx.RequestsServed();
  const std::string dir = MakeTempDir("badspec");
  WriteFile(dir + "/job.yaml", "name: bad\n"
                               "targets: [{name: web, kind: http, url: \"" + nginx.Url() + "\"}]\n"
                               "phases: [{name: p, op: request, rate: fast, duration: 1s}]\n");
  RunResult r = RunVexbench({"run", dir + "/job.yaml", "--out", dir + "/out"}, dir + "/v");
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("phases[0].rate") != std::string::npos);
  CHECK(!std::filesystem::exists(dir + "/out"));
  CHECK(nginx.RequestsServed() - before == 1);  // only our own status query

  SECTION("an unknown http option is named") {
    WriteFile(dir + "/job2.yaml", "name: bad\n"
                                  "targets: [{name: web, kind: http, url: \"" + nginx.Url() +
                                      "\", methd: GET}]\n"
                                  "phases: [{name: p, op: request, duration: 1s}]\n");
    RunResult r2 = RunVexbench({"run", dir + "/job2.yaml", "--out", dir + "/out"}, dir + "/v2");
    CHECK(r2.exit_code == 2);
    CHECK(r2.err.find("targets[0].methd") != std::string::npos);
  }
  SECTION("a threshold naming no phase is refused") {
    WriteFile(dir + "/job3.yaml", "name: bad\n"
                                  "targets: [{name: web, kind: http, url: \"" + nginx.Url() + "\"}]\n"
                                  "phases: [{name: p, op: request, duration: 1s}]\n"
                                  "thresholds: [\"search.p99 < 5ms\"]\n");
    RunResult r3 = RunVexbench({"run", dir + "/job3.yaml", "--out", dir + "/out"}, dir + "/v3");
    CHECK(r3.exit_code == 2);
    CHECK(r3.err.find("no phase named 'search'") != std::string::npos);
  }
}

TEST_CASE("overrides (--set) change a field before validation", "[spec]") {
  NginxServer nginx;
  JobRun run = RunJob("set", "name: set\n"
                             "targets: [{name: web, kind: http, url: \"http://127.0.0.1:1/\"}]\n"
                             "phases: [{name: p, op: request, concurrency: 2, requests: 100}]\n",
                      {"--set", "targets[0].url=" + nginx.Url(), "--set", "phases[0].requests=300"});
  REQUIRE(run.result.exit_code == 0);
  CHECK(OnlyResult(run.report, "p")["requests"] == 300);
  CHECK(OnlyResult(run.report, "p")["errors"] == 0);
}

TEST_CASE("the .hlog files hold the same counts as report.json", "[report]") {
  NginxServer nginx;
  JobRun run = RunJob("hlog", "name: hlog\n"
                              "targets: [{name: web, kind: http, url: \"" + nginx.Url() + "\"}]\n"
                              "phases: [{name: p, op: request, concurrency: 4, duration: 2s}]\n");
  REQUIRE(run.result.exit_code == 0);
  std::ifstream in(run.out_dir + "/web.p.request.hlog");
  REQUIRE(in.good());
  auto log = ReadHlog(in);
  REQUIRE(log.ok());
  int64_t total = 0;
  Histogram merged;
  for (const HlogEntry& e : log->entries) {
    total += e.histogram.TotalCount();
    merged.Merge(e.histogram);
  }
  const json& r = OnlyResult(run.report, "p");
  CHECK(log->entries.size() >= 2);
  CHECK(total == r["requests"].get<int64_t>() - r["errors"].get<int64_t>());
  CHECK(static_cast<double>(merged.ValueAtPercentile(99)) / 1000.0 ==
        Approx(r["latency_ms"]["p99"].get<double>()));
}

TEST_CASE("SIGINT stops a run early and keeps what was measured", "[run]") {
  NginxServer nginx;
  const std::string dir = MakeTempDir("sigint");
  WriteFile(dir + "/job.yaml", "name: long\n"
                               "targets: [{name: web, kind: http, url: \"" + nginx.Url() + "\"}]\n"
                               "phases: [{name: p, op: request, concurrency: 2, duration: 60s}]\n");
  Subprocess p({VEXBENCH_BINARY, "run", dir + "/job.yaml", "--out", dir + "/out"}, dir + "/v");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  p.Signal(SIGINT);
  CHECK(p.Wait(std::chrono::seconds(10)) == 4);
  const json report = json::parse(ReadFile(dir + "/out/report.json"));
  CHECK(report["job"]["state"] == "cancelled");
  CHECK(report["results"][0]["requests"].get<int64_t>() > 0);
}

TEST_CASE("every example job validates with run --check, and a bad one names its field",
          "[run]") {
  // The examples are what users start from: each must pass the same validation as a real run
  // (every field, every target's adapter options), without touching any server.
  setenv("VEXFS_API_KEY", "example-key", 1);
  const std::string dir = MakeTempDir("check");
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(VEXBENCH_SOURCE_DIR "/examples")) {
    if (entry.path().extension() != ".yaml") continue;
    INFO(entry.path().string());
    const RunResult r = RunVexbench({"run", "--check", entry.path().string()}, dir + "/check");
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find(": valid (job ") != std::string::npos);
    ++checked;
  }
  CHECK(checked >= 8);  // http, chroma, demo, qdrant, weaviate, vexfs, fs, compare

  WriteFile(dir + "/bad.yaml", "name: bad\n"
                               "targets: [{name: web, kind: http, url: \"http://127.0.0.1:9/\"}]\n"
                               "phases: [{name: p, op: request, concurrency: -1, duration: 1s}]\n");
  const RunResult bad = RunVexbench({"run", "--check", dir + "/bad.yaml"}, dir + "/bad");
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("phases[0].concurrency") != std::string::npos);
  CHECK(bad.out.empty());
}

}  // namespace
}  // namespace vexbench::testing
