// common/metrics.h: the exposition text of the controller's and the agent's metrics, and the
// agent's /metrics over real HTTP.
#include "common/metrics.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <sstream>
#include <string>

#include "tests/integration/support/servers.h"

namespace vexbench {
namespace {

// The value of the sample `series` (name with its labels, as rendered), or -1 if absent.
double Sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

v1::Interval MakeInterval(int64_t start_unix_us, int64_t length_us) {
  v1::Interval interval;
  interval.set_start_unix_us(start_unix_us);
  interval.set_length_us(length_us);
  v1::SeriesInterval* a = interval.add_series();
  a->mutable_key()->set_target("web");
  a->mutable_key()->set_phase("closed");
  a->mutable_key()->set_op("request");
  a->mutable_counters()->set_requests(120);
  a->mutable_counters()->set_errors(3);
  (*a->mutable_counters()->mutable_errors_by_class())["timeout"] = 2;
  (*a->mutable_counters()->mutable_errors_by_class())["http_5xx"] = 1;
  (*a->mutable_counters()->mutable_errors_by_class())["connect"] = 0;
  v1::SeriesInterval* b = interval.add_series();  // same target and op, another phase
  b->mutable_key()->set_target("web");
  b->mutable_key()->set_phase("steady");
  b->mutable_key()->set_op("request");
  b->mutable_counters()->set_requests(30);
  v1::SeriesInterval* c = interval.add_series();
  c->mutable_key()->set_target("chroma");
  c->mutable_key()->set_phase("search");
  c->mutable_key()->set_op("query");
  c->mutable_counters()->set_requests(7);
  return interval;
}

TEST_CASE("metrics: the controller renders gauges, counters by target, op and class, and the "
          "merge histogram",
          "[metrics]") {
  ControllerMetrics metrics;
  const v1::Interval interval = MakeInterval(1'000'000, 1'000'000);
  metrics.OnIntervalMerged(interval, 0.0002);
  metrics.OnIntervalMerged(interval, 0.003);
  metrics.OnJobEnded("succeeded");
  metrics.OnJobEnded("partial");
  metrics.OnJobEnded("succeeded");
  const std::string text = metrics.Render(3, 2, 1);
  INFO(text);
  CHECK(text.find("# TYPE vexbench_controller_requests_total counter") != std::string::npos);
  CHECK(text.find("# TYPE vexbench_controller_interval_merge_seconds histogram") !=
        std::string::npos);
  CHECK(Sample(text, "vexbench_controller_agents_connected") == 3);
  CHECK(Sample(text, R"(vexbench_controller_jobs{state="queued"})") == 2);
  CHECK(Sample(text, R"(vexbench_controller_jobs{state="running"})") == 1);
  CHECK(Sample(text, R"(vexbench_controller_jobs_ended_total{state="succeeded"})") == 2);
  CHECK(Sample(text, R"(vexbench_controller_jobs_ended_total{state="partial"})") == 1);
  CHECK(Sample(text, "vexbench_controller_intervals_received_total") == 2);
  // Summed over phases: (120 + 30) per interval, two intervals.
  CHECK(Sample(text, R"(vexbench_controller_requests_total{op="request",target="web"})") == 300);
  CHECK(Sample(text, R"(vexbench_controller_requests_total{op="query",target="chroma"})") == 14);
  CHECK(Sample(text, R"(vexbench_controller_errors_total{class="timeout",op="request",target="web"})") ==
        4);
  CHECK(Sample(text, R"(vexbench_controller_errors_total{class="http_5xx",op="request",target="web"})") ==
        2);
  // A class with no errors makes no series.
  CHECK(Sample(text, R"(vexbench_controller_errors_total{class="connect",op="request",target="web"})") ==
        -1);
  CHECK(Sample(text, "vexbench_controller_interval_merge_seconds_count") == 2);
  CHECK(Sample(text, "vexbench_controller_interval_merge_seconds_sum") == Approx(0.0032));
  CHECK(Sample(text, R"(vexbench_controller_interval_merge_seconds_bucket{le="0.00025"})") == 1);
  CHECK(Sample(text, R"(vexbench_controller_interval_merge_seconds_bucket{le="0.005"})") == 2);

  // The gauges follow the latest snapshot.
  const std::string later = metrics.Render(0, 0, 0);
  CHECK(Sample(later, "vexbench_controller_agents_connected") == 0);
  CHECK(Sample(later, R"(vexbench_controller_jobs{state="running"})") == 0);
}

TEST_CASE("metrics: the agent counts what it sent, the send lag and its CPU time", "[metrics]") {
  AgentMetrics metrics;
  // Sent 30 ms after the interval's end, then 2 s after.
  metrics.OnIntervalSent(MakeInterval(10'000'000, 1'000'000), 11'030'000);
  metrics.OnIntervalSent(MakeInterval(11'000'000, 1'000'000), 14'000'000);
  // Burn CPU until the process has used 30 ms more of it, counted in CPU time rather than wall
  // time: on a loaded machine this thread may not run all the time.
  const double before = ProcessCpuSeconds();
  volatile double sink = 0;
  while (ProcessCpuSeconds() < before + 0.03) sink = sink + 1;
  const std::string text = metrics.Render();
  INFO(text);
  CHECK(Sample(text, "vexbench_agent_intervals_sent_total") == 2);
  CHECK(Sample(text, R"(vexbench_agent_requests_total{op="request",target="web"})") == 300);
  CHECK(Sample(text, R"(vexbench_agent_errors_total{class="timeout",op="request",target="web"})") ==
        4);
  CHECK(Sample(text, "vexbench_agent_interval_send_lag_seconds_count") == 2);
  CHECK(Sample(text, "vexbench_agent_interval_send_lag_seconds_sum") == Approx(2.03));
  CHECK(Sample(text, R"(vexbench_agent_interval_send_lag_seconds_bucket{le="0.05"})") == 1);
  CHECK(Sample(text, R"(vexbench_agent_interval_send_lag_seconds_bucket{le="2.5"})") == 2);
  const double cpu = Sample(text, "vexbench_agent_cpu_seconds_total");
  CHECK(cpu >= before + 0.02);  // 10 ms of slack for the clock-tick resolution of /proc
  CHECK(cpu <= ProcessCpuSeconds());
  // A counter never goes down between scrapes.
  CHECK(Sample(metrics.Render(), "vexbench_agent_cpu_seconds_total") >= cpu);
}

TEST_CASE("metrics: the agent's server answers GET /metrics over HTTP", "[metrics]") {
  auto metrics = std::make_shared<AgentMetrics>();
  metrics->OnIntervalSent(MakeInterval(1'000'000, 1'000'000), 2'000'000);
  auto server = MetricsServer::Start("127.0.0.1:0", metrics);
  REQUIRE(server.ok());
  REQUIRE((*server)->port() > 0);
  const std::string answer = testing::HttpGet(static_cast<uint16_t>((*server)->port()), "/metrics");
  INFO(answer);
  CHECK(answer.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(answer.find("Content-Type: text/plain") != std::string::npos);  // the text format
  const std::string body = answer.substr(answer.find("\r\n\r\n") + 4);
  CHECK(Sample(body, R"(vexbench_agent_requests_total{op="query",target="chroma"})") == 7);

  SECTION("a bad or busy address is an error naming the flag") {
    auto busy = MetricsServer::Start("127.0.0.1:" + std::to_string((*server)->port()), metrics);
    REQUIRE(!busy.ok());
    CHECK(busy.status().message().find("--metrics 127.0.0.1:") != std::string::npos);
    auto bad = MetricsServer::Start("no-port", metrics);
    REQUIRE(!bad.ok());
    CHECK(bad.status().message().find("expected HOST:PORT") != std::string::npos);
  }
}

}  // namespace
}  // namespace vexbench
