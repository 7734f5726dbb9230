// `vexbench schedule ...` against a real controller, agent and nginx: a schedule fires by
// itself, its job runs, the history shows it, and it is still there after kill -9 and restart.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "nlohmann/json.hpp"
#include "tests/integration/support/cluster.h"
#include "tests/integration/support/servers.h"

namespace vexbench::testing {
namespace {

using std::chrono::seconds;
using nlohmann::json;

json RunJson(const ControllerClient& cli, const std::vector<std::string>& args) {
  const RunResult r = cli.Run(args);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out);
}

TEST_CASE("schedule cli: a schedule fires by itself, keeps its history and survives kill -9") {
  NginxServer nginx;
  ControllerProcess controller(ControllerProcessOptions{.flags = {"--http", "127.0.0.1:0"}});
  AgentProcess agent(controller.address(), "a1");
  ControllerClient cli(controller.address());
  REQUIRE(cli.WaitForAgents({"a1"}, "idle", seconds(20)));
  const std::string spec = ControllerClient::WriteSpec(
      "name: scheduled-smoke\n"
      "targets:\n"
      "  - {name: web, kind: http, url: \"" + nginx.Url() + "\", method: GET}\n"
      "phases:\n"
      "  - {name: closed, op: request, concurrency: 2, duration: 2s}\n");

  // Bad input names the field.
  RunResult bad = cli.Run({"schedule", "add", "x", "--cron", "0 25 * * *", spec});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("cron field 2 (hour) \"25\": expected 0-23") != std::string::npos);
  bad = cli.Run({"schedule", "add", "x", "--cron", "0 2 * * *", "--tz", "Europe/Pariss", spec});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--tz \"Europe/Pariss\": unknown time zone") != std::string::npos);
  bad = cli.Run({"schedule", "show", "nope"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("no schedule \"nope\"") != std::string::npos);

  const RunResult added = cli.Run({"schedule", "add", "every-minute", "--cron", "* * * * *", spec});
  INFO(added.out << added.err);
  REQUIRE(added.exit_code == 0);
  CHECK(added.out.find("schedule every-minute added; next fire ") == 0);
  const RunResult again = cli.Run({"schedule", "add", "every-minute", "--cron", "* * * * *", spec});
  CHECK(again.exit_code == 2);
  CHECK(again.err.find("exists") != std::string::npos);

  // Within about a minute it fires and its job runs to the end.
  std::string job_id;
  const auto until = std::chrono::steady_clock::now() + seconds(90);
  while (std::chrono::steady_clock::now() < until) {
    const json shown = RunJson(cli, {"schedule", "show", "every-minute", "--json"});
    if (shown.contains("runs") && !shown["runs"].empty()) {
      const json& oldest = shown["runs"].back();
      if (oldest["state"] == "succeeded") {
        job_id = oldest["job_id"].get<std::string>();
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  REQUIRE(!job_id.empty());
  const json report = cli.Show(job_id);
  REQUIRE(report.is_object());
  CHECK(report["job"]["name"] == "scheduled-smoke");
  CHECK(report["results"][0]["requests"].get<int64_t>() > 0);

  // The dashboard's schedule page gets the run with the numbers of its report (the trend).
  const std::string log = controller.Log();
  const size_t at = log.find("http on 127.0.0.1:");
  REQUIRE(at != std::string::npos);
  const uint16_t http_port =
      static_cast<uint16_t>(std::stoi(log.substr(at + std::string("http on 127.0.0.1:").size())));
  const std::string answer = HttpGet(http_port, "/api/schedules/every-minute");
  const size_t body = answer.find("\r\n\r\n");
  REQUIRE(body != std::string::npos);
  const json page = json::parse(answer.substr(body + 4));
  bool trended = false;
  for (const json& run : page["runs"]) {
    if (run["job_id"] != job_id) continue;
    REQUIRE(run["results"].size() == 1);
    const json& r = run["results"][0];
    CHECK(r["target"] == "web");
    CHECK(r["p99_ms"] == report["results"][0]["latency_ms"]["p99"]);
    CHECK(r["throughput_rps"] == report["results"][0]["throughput_rps"]);
    CHECK(r["recall"].is_null());
    trended = true;
  }
  CHECK(trended);

  // kill -9 and restart: the schedule and its history are still there and it goes on.
  controller.Kill();
  controller.Restart();
  REQUIRE(cli.WaitForAgents({"a1"}, "idle", seconds(30)));
  const json list = RunJson(cli, {"schedule", "list", "--json"});
  REQUIRE(list["schedules"].size() == 1);
  CHECK(list["schedules"][0]["name"] == "every-minute");
  CHECK(list["schedules"][0]["paused"] == false);
  json shown = RunJson(cli, {"schedule", "show", "every-minute", "--json"});
  bool kept = false;
  for (const json& run : shown["runs"]) kept = kept || run["job_id"] == job_id;
  CHECK(kept);
  const RunResult text = cli.Run({"schedule", "show", "every-minute"});
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("cron: * * * * * (UTC)") != std::string::npos);
  CHECK(text.out.find(job_id) != std::string::npos);

  // pause, resume, rm.
  CHECK(cli.Run({"schedule", "pause", "every-minute"}).exit_code == 0);
  shown = RunJson(cli, {"schedule", "show", "every-minute", "--json"});
  CHECK(shown["schedule"]["paused"] == true);
  CHECK(cli.Run({"schedule", "resume", "every-minute"}).exit_code == 0);
  CHECK(cli.Run({"schedule", "rm", "every-minute"}).exit_code == 0);
  CHECK(RunJson(cli, {"schedule", "list", "--json"})["schedules"].empty());
  // The job it ran is kept.
  CHECK(cli.Show(job_id).is_object());
}

}  // namespace
}  // namespace vexbench::testing
