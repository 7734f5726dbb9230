// /metrics of the controller (--http) and of the agents (--metrics), scraped over real HTTP
// after a real two-agent job against nginx and a dead port: the counters equal the report's.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "nlohmann/json.hpp"
#include "tests/integration/support/cluster.h"
#include "tests/integration/support/servers.h"
#include "tests/integration/support/subprocess.h"

namespace vexbench::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

// One GET on 127.0.0.1:port with an optional bearer token; the whole answer ("" on failure).
std::string Get(int port, const std::string& path, const std::string& token = "") {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval tv{.tv_sec = 5, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
    request += "\r\n";
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[8192];
      ssize_t n = 0;
      while ((n = read(fd, buffer, sizeof buffer)) > 0) answer.append(buffer, static_cast<size_t>(n));
    }
  }
  close(fd);
  return answer;
}

std::string Body(const std::string& answer) {
  const size_t end = answer.find("\r\n\r\n");
  return end == std::string::npos ? "" : answer.substr(end + 4);
}

// The port of the first "<prefix> HOST:PORT" line of a log, or 0 while there is none.
int PortAfter(const std::string& log, const std::string& prefix) {
  std::smatch m;
  if (!std::regex_search(log, m, std::regex(prefix + R"( [0-9.]+:([0-9]+))"))) return 0;
  return std::stoi(m[1]);
}

int WaitForPort(const std::function<std::string()>& log, const std::string& prefix) {
  const auto until = std::chrono::steady_clock::now() + seconds(10);
  while (std::chrono::steady_clock::now() < until) {
    if (const int port = PortAfter(log(), prefix); port != 0) return port;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return 0;
}

// The value of the sample `series` (name with its labels, as rendered), or -1 if absent.
double Sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

std::string Series(const std::string& name, const std::string& target, const std::string& op,
                   const std::string& error_class = "") {
  return name + "{" + (error_class.empty() ? "" : "class=\"" + error_class + "\",") + "op=\"" + op +
         "\",target=\"" + target + "\"}";
}

TEST_CASE("metrics: the controller's and the agents' counters equal the job's report",
          "[metrics][distributed]") {
  NginxServer nginx;
  const uint16_t dead_port = FreePort();  // nothing listens: connect errors
  ControllerProcess controller(
      ControllerProcessOptions{.flags = {"--http", "127.0.0.1:0", "--token", "metrics-token"}});
  const int http_port = WaitForPort([&] { return controller.Log(); }, "controller http on");
  REQUIRE(http_port != 0);
  AgentProcess a1(controller.address(), "a1", {"--metrics", "127.0.0.1:0"});
  AgentProcess a2(controller.address(), "a2", {"--metrics", "127.0.0.1:0"});
  std::map<std::string, int> agent_ports;
  agent_ports["a1"] = WaitForPort([&] { return a1.Log(); }, "agent metrics on");
  agent_ports["a2"] = WaitForPort([&] { return a2.Log(); }, "agent metrics on");
  INFO("a1 log:\n" << a1.Log() << "\na2 log:\n" << a2.Log());
  REQUIRE(agent_ports["a1"] != 0);
  REQUIRE(agent_ports["a2"] != 0);
  ControllerClient cli(controller.address(), {"--token", "metrics-token"});
  REQUIRE(cli.WaitForAgents({"a1", "a2"}, "idle", seconds(10)));

  // Before any job: the agents are counted, nothing was requested yet.
  const std::string first = Get(http_port, "/metrics", "metrics-token");
  INFO(first);
  REQUIRE(first.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(first.find("text/plain; version=0.0.4") != std::string::npos);
  CHECK(Sample(Body(first), "vexbench_controller_agents_connected") == 2);
  CHECK(Sample(Body(first), "vexbench_controller_intervals_received_total") == 0);
  // The controller's token guards /metrics like the API.
  CHECK(Get(http_port, "/metrics").rfind("HTTP/1.1 401", 0) == 0);

  const std::string spec =
      "name: metrics\nagents: 2\ninterval: 500ms\n"
      "targets:\n"
      "  - {name: web, kind: http, url: \"" + nginx.Url() + "\"}\n"
      "  - {name: dead, kind: http, url: \"http://127.0.0.1:" + std::to_string(dead_port) +
      "/\"}\n"
      "phases:\n"
      "  - {name: closed, op: request, concurrency: 4, duration: 1500ms, warmup: 300ms, "
      "targets: [web]}\n"
      "  - {name: steady, op: request, rate: 400, duration: 1s}\n";
  const RunResult r = cli.Submit(spec, {"--wait"}, seconds(60));
  INFO("submit: exit " << r.exit_code << "\n" << r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const json report = cli.Show(ControllerClient::JobId(r.out));
  REQUIRE(report.is_object());
  INFO(report.dump(1));

  // What the report counts, per (target, op) summed over phases, and per agent.
  std::map<std::pair<std::string, std::string>, int64_t> requests;
  std::map<std::tuple<std::string, std::string, std::string>, int64_t> errors;
  std::map<std::string, int64_t> agent_requests;
  for (const json& result : report["results"]) {
    const std::string target = result["target"], op = result["op"];
    requests[{target, op}] += result["requests"].get<int64_t>();
    for (const auto& [error_class, count] : result["errors_by_class"].items()) {
      errors[{target, op, error_class}] += count.get<int64_t>();
    }
    for (const json& a : result["per_agent"]) {
      agent_requests[a["agent"]] += a["requests"].get<int64_t>();
    }
  }
  REQUIRE(requests[{"web", "request"}] > 0);
  REQUIRE(errors[{"dead", "request", "connect"}] > 0);  // the dead port was counted as such

  const std::string text = Body(Get(http_port, "/metrics", "metrics-token"));
  INFO("controller /metrics:\n" << text);
  for (const auto& [key, count] : requests) {
    INFO(key.first << "/" << key.second);
    CHECK(Sample(text, Series("vexbench_controller_requests_total", key.first, key.second)) ==
          static_cast<double>(count));
  }
  for (const auto& [key, count] : errors) {
    const auto& [target, op, error_class] = key;
    INFO(target << "/" << op << " " << error_class);
    const double expected = count == 0 ? -1 : static_cast<double>(count);  // no series for 0
    CHECK(Sample(text, Series("vexbench_controller_errors_total", target, op, error_class)) ==
          expected);
  }
  CHECK(Sample(text, R"(vexbench_controller_jobs_ended_total{state="succeeded"})") == 1);
  CHECK(Sample(text, R"(vexbench_controller_jobs{state="running"})") == 0);
  CHECK(Sample(text, R"(vexbench_controller_jobs{state="queued"})") == 0);
  const double intervals = Sample(text, "vexbench_controller_intervals_received_total");
  CHECK(intervals >= 4);  // >= 2 s of measured time in 500 ms intervals, two agents
  CHECK(Sample(text, "vexbench_controller_interval_merge_seconds_count") == intervals);

  // Each agent counts what it sent: its share of the report, and together all of it.
  double agents_intervals = 0;
  std::map<std::pair<std::string, std::string>, double> summed;
  for (const auto& [name, port] : agent_ports) {
    const std::string answer = Get(port, "/metrics");
    INFO(name << " /metrics:\n" << answer);
    REQUIRE(answer.rfind("HTTP/1.1 200", 0) == 0);
    const std::string agent_text = Body(answer);
    double sent = 0;
    for (const auto& [key, count] : requests) {
      const double v = Sample(agent_text, Series("vexbench_agent_requests_total", key.first, key.second));
      CHECK(v > 0);
      sent += v;
      summed[key] += v;
    }
    CHECK(sent == static_cast<double>(agent_requests[name]));
    const double agent_intervals = Sample(agent_text, "vexbench_agent_intervals_sent_total");
    CHECK(agent_intervals > 0);
    CHECK(Sample(agent_text, "vexbench_agent_interval_send_lag_seconds_count") == agent_intervals);
    // Intervals are sent right after they end: well under a second on loopback.
    CHECK(Sample(agent_text, "vexbench_agent_interval_send_lag_seconds_sum") < agent_intervals);
    CHECK(Sample(agent_text, "vexbench_agent_cpu_seconds_total") > 0);
    agents_intervals += agent_intervals;
  }
  CHECK(agents_intervals == intervals);
  for (const auto& [key, count] : requests) CHECK(summed[key] == static_cast<double>(count));
}

TEST_CASE("metrics: an agent whose --metrics address is taken says so and exits 2",
          "[metrics]") {
  ControllerProcess controller(ControllerProcessOptions{});
  AgentProcess first(controller.address(), "m1", {"--metrics", "127.0.0.1:0"});
  const int port = WaitForPort([&] { return first.Log(); }, "agent metrics on");
  REQUIRE(port != 0);
  AgentProcess second(controller.address(), "m2",
                      {"--metrics", "127.0.0.1:" + std::to_string(port)});
  const auto until = std::chrono::steady_clock::now() + seconds(10);
  while (second.ExitCode() == -1 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  INFO(second.Log());
  CHECK(second.ExitCode() == 2);
  CHECK(second.Log().find("--metrics 127.0.0.1:" + std::to_string(port)) != std::string::npos);
}

}  // namespace
}  // namespace vexbench::testing
