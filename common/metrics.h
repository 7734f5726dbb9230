// Prometheus metrics of the controller and of the agent, in the text exposition format 0.0.4
// (prometheus-cpp). What each one exports:
//
// Controller (GET /metrics on `vexbench controller --http ADDR`):
//   vexbench_controller_agents_connected                 gauge    agents with an open stream
//   vexbench_controller_jobs{state}                      gauge    queued, running (right now)
//   vexbench_controller_jobs_ended_total{state}          counter  jobs that ended in `state`
//                                                                 (succeeded, failed, partial,
//                                                                 cancelled) since start
//   vexbench_controller_intervals_received_total         counter  agent intervals merged
//   vexbench_controller_interval_merge_seconds           histogram  time to merge one interval
//   vexbench_controller_requests_total{target,op}        counter  from the merged intervals
//   vexbench_controller_errors_total{target,op,class}    counter  same; class as in reports
// Agent (`vexbench agent --metrics ADDR`, GET /metrics):
//   vexbench_agent_requests_total{target,op}             counter  from the intervals sent
//   vexbench_agent_errors_total{target,op,class}         counter
//   vexbench_agent_intervals_sent_total                  counter
//   vexbench_agent_interval_send_lag_seconds             histogram  from an interval's end to
//                                                                 its write on the stream
//   vexbench_agent_cpu_seconds_total                     counter  user + system CPU time of the
//                                                                 agent process
//
// Requests and errors count what reports count: measured requests of every phase (warm-up is
// never sent), summed over phases, since the process started. An interval the controller
// could not merge is not counted. Error classes are common/error_class.h's names.
//
// Thread safety: every method may be called from any thread.
#ifndef VEXBENCH_COMMON_METRICS_H_
#define VEXBENCH_COMMON_METRICS_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "proto/vexbench.pb.h"

namespace prometheus {
class Exposer;
}  // namespace prometheus

namespace vexbench {

// The Content-Type of the text exposition format.
inline constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// requests_total{target,op} and errors_total{target,op,class} under one name prefix.
class RequestCounters {
 public:
  // Registers `<prefix>_requests_total` and `<prefix>_errors_total` in `registry`, which must
  // outlive this object.
  RequestCounters(prometheus::Registry& registry, const std::string& prefix);
  // Adds the counters of every series of `interval`.
  void Count(const v1::Interval& interval);

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& errors_;
};

class ControllerMetrics {
 public:
  ControllerMetrics();

  // One interval was merged (successfully) in `merge_seconds`.
  void OnIntervalMerged(const v1::Interval& interval, double merge_seconds);
  // A job ended in `state`.
  void OnJobEnded(const std::string& state);
  // The exposition text, with the gauges set from this snapshot of the controller's state.
  std::string Render(int agents_connected, int jobs_queued, int jobs_running);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Gauge& agents_connected_;
  prometheus::Family<prometheus::Gauge>& jobs_;
  prometheus::Family<prometheus::Counter>& jobs_ended_;
  prometheus::Counter& intervals_;
  prometheus::Histogram& merge_seconds_;
  RequestCounters requests_;
};

// A Collectable so that prometheus-cpp's Exposer can serve it; the CPU counter is brought up to
// date at each collection.
class AgentMetrics : public prometheus::Collectable {
 public:
  AgentMetrics();

  // `interval` was written to the controller's stream at `sent_unix_us` (agent clock, the same
  // clock as the interval's start).
  void OnIntervalSent(const v1::Interval& interval, int64_t sent_unix_us);
  // prometheus::Collectable
  std::vector<prometheus::MetricFamily> Collect() const override;
  // The exposition text (what GET /metrics answers).
  std::string Render() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Counter& intervals_;
  prometheus::Histogram& send_lag_seconds_;
  prometheus::Counter& cpu_seconds_;
  RequestCounters requests_;
  mutable std::mutex cpu_mu_;
  mutable double cpu_counted_ ABSL_GUARDED_BY(cpu_mu_) = 0;
};

// Serves a Collectable at http://LISTEN/metrics on prometheus-cpp's own HTTP server (pull).
class MetricsServer {
 public:
  // `listen` is HOST:PORT (port 0 picks a free one). The error names the address.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& listen, std::shared_ptr<prometheus::Collectable> collectable);
  ~MetricsServer();
  int port() const { return port_; }

 private:
  MetricsServer() = default;
  std::shared_ptr<prometheus::Collectable> collectable_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

// CPU time (user + system) this process has used, in seconds.
double ProcessCpuSeconds();

}  // namespace vexbench

#endif  // VEXBENCH_COMMON_METRICS_H_
