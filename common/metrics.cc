#include "common/metrics.h"

#include <sys/resource.h>

#include <exception>
#include <utility>

#include "prometheus/exposer.h"
#include "prometheus/text_serializer.h"

namespace vexbench {
namespace {

// Merge times: 10 µs to 1 s. Send lag: 1 ms to 10 s.
const prometheus::Histogram::BucketBoundaries kMergeBuckets = {
    1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 0.1, 1};
const prometheus::Histogram::BucketBoundaries kLagBuckets = {
    1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1, 2.5, 10};

std::string Serialize(const std::vector<prometheus::MetricFamily>& families) {
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace

double ProcessCpuSeconds() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

RequestCounters::RequestCounters(prometheus::Registry& registry, const std::string& prefix)
    : requests_(prometheus::BuildCounter()
                    .Name(prefix + "_requests_total")
                    .Help("Measured requests (successful or not) by target and operation")
                    .Register(registry)),
      errors_(prometheus::BuildCounter()
                  .Name(prefix + "_errors_total")
                  .Help("Failed measured requests by target, operation and error class")
                  .Register(registry)) {}

void RequestCounters::Count(const v1::Interval& interval) {
  for (const v1::SeriesInterval& series : interval.series()) {
    const std::string& target = series.key().target();
    const std::string& op = series.key().op();
    requests_.Add({{"target", target}, {"op", op}})
        .Increment(static_cast<double>(series.counters().requests()));
    for (const auto& [error_class, count] : series.counters().errors_by_class()) {
      if (count <= 0) continue;
      errors_.Add({{"target", target}, {"op", op}, {"class", error_class}})
          .Increment(static_cast<double>(count));
    }
  }
}

ControllerMetrics::ControllerMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      agents_connected_(prometheus::BuildGauge()
                            .Name("vexbench_controller_agents_connected")
                            .Help("Agents with an open stream to the controller")
                            .Register(*registry_)
                            .Add({})),
      jobs_(prometheus::BuildGauge()
                .Name("vexbench_controller_jobs")
                .Help("Jobs queued or running now, by state")
                .Register(*registry_)),
      jobs_ended_(prometheus::BuildCounter()
                      .Name("vexbench_controller_jobs_ended_total")
                      .Help("Jobs that ended since the controller started, by final state")
                      .Register(*registry_)),
      intervals_(prometheus::BuildCounter()
                     .Name("vexbench_controller_intervals_received_total")
                     .Help("Agent intervals received and merged")
                     .Register(*registry_)
                     .Add({})),
      merge_seconds_(prometheus::BuildHistogram()
                         .Name("vexbench_controller_interval_merge_seconds")
                         .Help("Time to merge one agent interval into its job's totals")
                         .Register(*registry_)
                         .Add({}, kMergeBuckets)),
      requests_(*registry_, "vexbench_controller") {
  for (const char* state : {"queued", "running"}) jobs_.Add({{"state", state}});
}

void ControllerMetrics::OnIntervalMerged(const v1::Interval& interval, double merge_seconds) {
  intervals_.Increment();
  merge_seconds_.Observe(merge_seconds);
  requests_.Count(interval);
}

void ControllerMetrics::OnJobEnded(const std::string& state) {
  jobs_ended_.Add({{"state", state}}).Increment();
}

std::string ControllerMetrics::Render(int agents_connected, int jobs_queued, int jobs_running) {
  agents_connected_.Set(agents_connected);
  jobs_.Add({{"state", "queued"}}).Set(jobs_queued);
  jobs_.Add({{"state", "running"}}).Set(jobs_running);
  return Serialize(registry_->Collect());
}

AgentMetrics::AgentMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      intervals_(prometheus::BuildCounter()
                     .Name("vexbench_agent_intervals_sent_total")
                     .Help("Intervals written to the controller's stream")
                     .Register(*registry_)
                     .Add({})),
      send_lag_seconds_(prometheus::BuildHistogram()
                            .Name("vexbench_agent_interval_send_lag_seconds")
                            .Help("From the end of an interval to its write on the stream")
                            .Register(*registry_)
                            .Add({}, kLagBuckets)),
      cpu_seconds_(prometheus::BuildCounter()
                       .Name("vexbench_agent_cpu_seconds_total")
                       .Help("User and system CPU time of the agent process")
                       .Register(*registry_)
                       .Add({})),
      requests_(*registry_, "vexbench_agent") {}

void AgentMetrics::OnIntervalSent(const v1::Interval& interval, int64_t sent_unix_us) {
  intervals_.Increment();
  const int64_t end_unix_us = interval.start_unix_us() + interval.length_us();
  const int64_t lag_us = sent_unix_us > end_unix_us ? sent_unix_us - end_unix_us : 0;
  send_lag_seconds_.Observe(static_cast<double>(lag_us) / 1e6);
  requests_.Count(interval);
}

std::vector<prometheus::MetricFamily> AgentMetrics::Collect() const {
  {
    std::lock_guard lock(cpu_mu_);
    const double now = ProcessCpuSeconds();
    if (now > cpu_counted_) {
      cpu_seconds_.Increment(now - cpu_counted_);
      cpu_counted_ = now;
    }
  }
  return registry_->Collect();
}

std::string AgentMetrics::Render() const { return Serialize(Collect()); }

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& listen, std::shared_ptr<prometheus::Collectable> collectable) {
  if (listen.rfind(':') == std::string::npos) {
    return absl::InvalidArgumentError("--metrics " + listen + ": expected HOST:PORT");
  }
  std::unique_ptr<MetricsServer> server(new MetricsServer());
  server->collectable_ = std::move(collectable);
  try {
    // One thread: a scrape is small and rare.
    server->exposer_ = std::make_unique<prometheus::Exposer>(listen, 1);
  } catch (const std::exception& e) {
    return absl::UnavailableError("--metrics " + listen + ": cannot listen: " + e.what());
  }
  server->exposer_->RegisterCollectable(server->collectable_);
  const std::vector<int> ports = server->exposer_->GetListeningPorts();
  if (ports.empty()) {
    return absl::UnavailableError("--metrics " + listen + ": cannot listen");
  }
  server->port_ = ports.front();
  return server;
}

MetricsServer::~MetricsServer() = default;

}  // namespace vexbench
