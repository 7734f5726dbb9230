// `vexbench agent`: dials the controller and keeps ONE bidirectional stream open (agents live
// behind NAT and autoscalers, so they call out). Sends Hello, a heartbeat each second, and the
// messages of the shard it runs; runs what it is assigned, cancels on request, answers pings.
// When the stream breaks it cancels its shard (the controller has marked it lost) and dials
// again with exponential backoff and jitter.
#ifndef VEXBENCH_AGENT_AGENT_DAEMON_H_
#define VEXBENCH_AGENT_AGENT_DAEMON_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "agent/engine.h"
#include "common/metrics.h"
#include "common/transport_security.h"
#include "proto/vexbench.grpc.pb.h"

namespace vexbench {

struct AgentDaemonOptions {
  std::string controller;  // host:port
  std::string name;        // default: the host name
  std::map<std::string, std::string> labels;
  int threads = 0;  // engine threads; 0: one per core
  TlsFiles tls;
  std::string join_token;
  std::chrono::milliseconds heartbeat{1000};
  std::chrono::milliseconds max_backoff{10000};
  // HOST:PORT where `vexbench agent` serves GET /metrics (Prometheus); empty: not served.
  std::string metrics_listen;
};

class AgentDaemon {
 public:
  explicit AgentDaemon(AgentDaemonOptions options);
  ~AgentDaemon();

  // Connects, serves and reconnects until Stop(). Returns a non-OK status only when it cannot
  // even try (bad TLS files).
  absl::Status Run();
  // Any thread, or a signal-handling thread.
  void Stop();
  // What `--metrics` serves: the requests and errors of the intervals sent, send lag, CPU.
  std::shared_ptr<AgentMetrics> metrics() const { return metrics_; }

 private:
  class Session;
  // One connection's life; returns when the stream ends. `served` tells if it got far enough
  // (Hello accepted) to reset the backoff.
  void Serve(v1::AgentService::Stub& stub, bool& served);
  void SleepBackoff(std::chrono::milliseconds delay);

  const AgentDaemonOptions options_;
  Engine engine_;
  const std::shared_ptr<AgentMetrics> metrics_ = std::make_shared<AgentMetrics>();
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  grpc::ClientContext* active_context_ = nullptr;  // guarded by mu_, for Stop()
};

}  // namespace vexbench

#endif  // VEXBENCH_AGENT_AGENT_DAEMON_H_
