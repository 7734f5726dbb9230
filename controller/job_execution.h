// The controller's view of one job while it runs: its shards, the merged data, the verdict.
// Fed with the agents' messages (from gRPC streams, or in process for `vexbench run`).
//
// Thread safety: every public method may be called from any thread.
#ifndef VEXBENCH_CONTROLLER_JOB_EXECUTION_H_
#define VEXBENCH_CONTROLLER_JOB_EXECUTION_H_

#include <condition_variable>
#include <map>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "common/job_spec.h"
#include "controller/interval_merger.h"
#include "controller/report.h"
#include "controller/threshold.h"
#include "nlohmann/json.hpp"
#include "proto/vexbench.pb.h"

namespace vexbench {

// Exit codes shared by `vexbench run` and `vexbench submit --wait`.
enum ExitCode : int {
  kExitOk = 0,
  kExitThresholdFailed = 1,
  kExitFailed = 2,  // bad spec or failed job
  kExitPartial = 3,
  kExitCancelled = 4,
};

// What one interval showed, over every series of one shard's message (for live lines).
struct IntervalProgress {
  std::string phase;
  int64_t interval_start_unix_us = 0;
  double seconds = 0;
  int64_t requests = 0;
  int64_t errors = 0;
  int64_t p50_us = 0;
  int64_t p99_us = 0;
};

struct JobOutcome {
  JobRecord record;
  std::vector<ThresholdVerdict> verdicts;
  nlohmann::json report;
  int exit_code = kExitOk;
};

class JobExecution {
 public:
  JobExecution(std::string job_id, JobSpec spec, std::vector<Threshold> thresholds,
               std::vector<AgentRecord> agents, int64_t started_unix_us);

  // Called for each interval as it is merged, on the caller's thread of OnAgentMessage.
  void SetProgressCallback(std::function<void(const IntervalProgress&)> callback);
  // Called for each interval merged without error, with the time the merge took, on the
  // caller's thread of OnAgentMessage (outside the lock). For the controller's metrics.
  void SetMergeObserver(std::function<void(const v1::Interval&, double merge_seconds)> observer);

  void OnAgentMessage(int shard, const v1::AgentMessage& message);
  // The shard's agent is gone (stream broken, no heartbeat): what it sent is kept.
  void OnShardLost(int shard, const std::string& why);
  void MarkCancelled();
  // The controller stopped while the job ran (found on restart): the state is `interrupted`.
  void MarkInterrupted();

  // Waits until every shard has finished, failed or been lost, or `timeout` passed.
  bool WaitAll(std::chrono::milliseconds timeout);

  // The verdict and report. REQUIRES: WaitAll() returned true.
  JobOutcome Finish();
  // The report so far of a job still running (state "running", no exit code).
  nlohmann::json Snapshot();
  // Merged over agents and series: the latest interval every running agent has reported
  // (the latest one at all when only one agent runs).
  IntervalProgress LatestProgress();
  // The same interval per target (merged over that target's series), for the dashboard.
  std::map<std::string, IntervalProgress> LatestProgressByTarget();
  int RunningShards();
  std::vector<AgentRecord> agents();
  // The merged data (for writing files after Finish()).
  const IntervalMerger& merger() const { return merger_; }

 private:
  std::string DecideState() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  JobRecord RecordLocked(const std::string& state) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The newest interval every running shard has sent (the newest at all if none); -1: none.
  int64_t LatestCompleteSeqLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string job_id_;
  const JobSpec spec_;
  const std::vector<Threshold> thresholds_;
  const int64_t started_unix_us_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<AgentRecord> agents_;  // by shard; state "running" until done/failed/lost
  IntervalMerger merger_;
  bool cancelled_ = false;
  bool interrupted_ = false;
  std::map<int64_t, int> shards_by_seq_;  // how many shards reported each interval
  std::vector<v1::TargetReport> target_reports_;
  std::vector<std::pair<int, v1::TargetSample>> target_samples_;  // (shard, sample)
  nlohmann::json dataset_identity_;
  std::string merge_error_;
  std::function<void(const IntervalProgress&)> progress_;
  std::function<void(const v1::Interval&, double)> merge_observer_;
};

}  // namespace vexbench

#endif  // VEXBENCH_CONTROLLER_JOB_EXECUTION_H_
