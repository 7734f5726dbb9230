// The controller's core: connected agents, the job queue, running jobs, durable storage.
// The gRPC services (agent_service.h, control_service.h) are thin adapters onto it.
//
// Jobs queue until enough matching agents are free; a job is split into one shard per agent
// and every shard starts at one controller-chosen instant (converted to each agent's clock with
// the offset measured from ping round trips). Agent messages are stored as they arrive, then
// merged. An agent whose stream breaks, or that is silent for `heartbeat_timeout`, is lost: its
// shard is `lost`, what it sent is kept, the job ends `partial`.
//
// Thread safety: every public method may be called from any thread. One mutex guards the state.
#ifndef VEXBENCH_CONTROLLER_CONTROLLER_H_
#define VEXBENCH_CONTROLLER_CONTROLLER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "controller/job_execution.h"
#include "controller/job_store.h"
#include "proto/vexbench.pb.h"

namespace vexbench {

class ControllerMetrics;

// The controller's handle on one agent's stream.
class AgentLink {
 public:
  virtual ~AgentLink() = default;
  // Queues a message to the agent; never blocks. False when the link is closed.
  virtual bool Send(const v1::ControllerMessage& message) = 0;
  // Breaks the stream (the agent will reconnect).
  virtual void Close() = 0;
};

struct ControllerOptions {
  std::chrono::milliseconds heartbeat_timeout{3000};
  std::chrono::milliseconds ping_period{1000};
  // Time between dispatch and the barrier start: enough for every agent to get its Assign.
  std::chrono::milliseconds start_margin{1000};
};

// What the dashboard's live page shows each second (Controller::LiveProgress).
struct LiveJobProgress {
  v1::JobSummary job;
  IntervalProgress latest;                          // the latest interval, merged over targets
  std::map<std::string, IntervalProgress> targets;  // the same interval, per target
  std::vector<AgentRecord> agents;                  // by shard (empty while queued)
  int agents_running = 0;
  double elapsed_s = 0;  // since the job started; 0 while queued
  bool final = false;    // the job has ended: `job` holds its state and exit code
  std::string spec_json;  // JobSpec::document
};

class Controller {
 public:
  // `store` must outlive the controller. Recovers the store first: jobs that were running when
  // the previous controller stopped become `interrupted` (their data kept); queued stay queued.
  static absl::StatusOr<std::unique_ptr<Controller>> Create(JobStore& store,
                                                            ControllerOptions options = {});
  ~Controller();

  // --- Agents (from agent_service). ---
  // Returns the session id of the new agent connection.
  int64_t AgentConnected(const v1::Hello& hello, std::shared_ptr<AgentLink> link);
  void AgentMessage(int64_t session, const v1::AgentMessage& message);
  void AgentDisconnected(int64_t session, const std::string& why);

  // --- Jobs (from control_service and the CLI). ---
  // Validates, stores (queued) and returns the job id. Errors name the bad field.
  absl::StatusOr<std::string> Submit(const std::string& spec_json, int agents,
                                     const std::map<std::string, std::string>& selector);
  absl::StatusOr<v1::JobSummary> Cancel(const std::string& job_id);
  absl::StatusOr<std::vector<v1::JobSummary>> ListJobs(int limit);
  // The summary and report.json (live for a running job).
  absl::StatusOr<std::pair<v1::JobSummary, std::string>> GetJob(const std::string& job_id);
  // report.json and the .hlog files (merged and per agent).
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> GetReportFiles(
      const std::string& job_id);
  std::vector<v1::AgentSummary> ListAgents();
  // The latest progress of a job; `final` once it has ended.
  absl::StatusOr<v1::JobProgress> Progress(const std::string& job_id);
  // Progress per target with the job's agents (the dashboard's live page).
  absl::StatusOr<LiveJobProgress> LiveProgress(const std::string& job_id);

  // The Prometheus exposition text of the controller's metrics (common/metrics.h).
  std::string RenderMetrics();

  // Runs the periodic work (pings, heartbeat checks, dispatch) once; the controller's own
  // thread calls it every 100 ms. Exposed for tests.
  void Tick();

 private:
  struct Agent;
  struct RunningJob;
  Controller(JobStore& store, ControllerOptions options);
  absl::Status Recover();
  void DispatchLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool TryStartLocked(StoredJob& job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void LoseAgentLocked(Agent& agent, const std::string& why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FinishJobsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::JobSummary SummaryLocked(const StoredJob& job) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<StoredJob> LoadJobLocked(const std::string& job_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  JobStore& store_;
  const ControllerOptions options_;
  const std::unique_ptr<ControllerMetrics> metrics_;

  std::mutex mu_;
  int64_t next_session_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<int64_t, std::unique_ptr<Agent>> agents_ ABSL_GUARDED_BY(mu_);  // by session
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);                       // job ids, FIFO
  std::map<std::string, std::unique_ptr<RunningJob>> running_ ABSL_GUARDED_BY(mu_);

  std::condition_variable stop_cv_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread ticker_;
};

}  // namespace vexbench

#endif  // VEXBENCH_CONTROLLER_CONTROLLER_H_
