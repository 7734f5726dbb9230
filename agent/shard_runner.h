// Runs one shard of a job on this agent: every phase in order, on the engine's threads, and
// reports what it measured as AgentMessages (Interval each interval, PhaseEnd, Done).
//
// The same code serves `vexbench run` (in process) and `vexbench agent` (over gRPC): only the
// ShardSink differs.
#ifndef VEXBENCH_AGENT_SHARD_RUNNER_H_
#define VEXBENCH_AGENT_SHARD_RUNNER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "adapters/adapter.h"
#include "agent/engine.h"
#include "common/clock.h"
#include "common/dataset.h"
#include "common/job_spec.h"
#include "proto/vexbench.pb.h"

namespace vexbench {

// Where a shard's messages go. Send may be called from any thread; it must not block long.
class ShardSink {
 public:
  virtual ~ShardSink() = default;
  virtual void Send(v1::AgentMessage message) = 0;
};

struct ShardAssignment {
  std::string job_id;
  int shard_index = 0;
  int shard_count = 1;
  int64_t start_at_unix_us = 0;  // the barrier: the first phase starts then (agent clock)
  // This agent's name: it samples the targets whose `process.agent` names it (and, on shard
  // 0, those whose process names no agent).
  std::string agent_name;
};

// Integer share `index` of `total` split in `parts` (the first total % parts get one more).
int64_t SplitShare(int64_t total, int parts, int index);

class PhaseDriver;
class ResourceSampler;

class ShardRunner {
 public:
  // `engine` and `sink` must outlive the runner.
  ShardRunner(Engine& engine, JobSpec spec, ShardAssignment assignment, ShardSink& sink);
  ~ShardRunner();

  // Runs the whole shard; blocks until it is over, then sends Done. Call once.
  void Run();
  // Stops the shard as soon as possible (at most one tick of the drivers). Any thread.
  void Cancel();

 private:
  struct Series;
  absl::Status CreateAdapters();
  absl::Status LoadDatasetAndSetUp();
  absl::Status CheckCountAfterLoad(int phase_index);
  void TearDown();
  // Runs one phase from `start`; returns when every driver has finished.
  absl::Status RunPhase(int phase_index, MonoTime start);
  absl::Status StartDrivers(int phase_index, MonoTime start, std::vector<Series>& series);
  void SendInterval(std::vector<Series>& series, MonoTime from, MonoTime to, bool final_drain);
  // Samples every target this agent samples; the samples go out with the next interval.
  void SampleTargets(const std::string& phase, v1::TargetSample::Moment moment);

  Engine& engine_;
  const JobSpec spec_;
  const ShardAssignment assignment_;
  ShardSink& sink_;
  const WallClockAnchor anchor_;
  std::vector<AdapterPtr> adapters_;  // by target index
  // By target index; null for targets this agent does not sample (targets[].process).
  std::vector<std::unique_ptr<ResourceSampler>> samplers_;
  std::vector<v1::TargetSample> pending_samples_;  // only touched by Run()'s thread
  std::shared_ptr<const Dataset> dataset_;  // null when the job has none
  int64_t interval_seq_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  int drivers_running_ = 0;  // guarded by mu_
  std::atomic<bool> cancelled_{false};
};

}  // namespace vexbench

#endif  // VEXBENCH_AGENT_SHARD_RUNNER_H_
