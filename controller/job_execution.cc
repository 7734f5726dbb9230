#include "controller/job_execution.h"

#include <chrono>
#include <utility>

#include "common/clock.h"

namespace vexbench {

JobExecution::JobExecution(std::string job_id, JobSpec spec, std::vector<Threshold> thresholds,
                           std::vector<AgentRecord> agents, int64_t started_unix_us)
    : job_id_(std::move(job_id)),
      spec_(std::move(spec)),
      thresholds_(std::move(thresholds)),
      started_unix_us_(started_unix_us),
      agents_(std::move(agents)) {
  for (AgentRecord& a : agents_) a.state = "running";
}

void JobExecution::SetProgressCallback(std::function<void(const IntervalProgress&)> callback) {
  std::lock_guard lock(mu_);
  progress_ = std::move(callback);
}

void JobExecution::SetMergeObserver(
    std::function<void(const v1::Interval&, double merge_seconds)> observer) {
  std::lock_guard lock(mu_);
  merge_observer_ = std::move(observer);
}

void JobExecution::OnAgentMessage(int shard, const v1::AgentMessage& message) {
  std::function<void(const IntervalProgress&)> progress;
  IntervalProgress p;
  std::function<void(const v1::Interval&, double)> merged_observer;
  double merge_seconds = 0;
  {
    std::lock_guard lock(mu_);
    if (shard < 0 || shard >= static_cast<int>(agents_.size())) return;
    AgentRecord& agent = agents_[shard];
    switch (message.body_case()) {
      case v1::AgentMessage::kInterval: {
        const v1::Interval& interval = message.interval();
        const auto merge_start = std::chrono::steady_clock::now();
        if (absl::Status s = merger_.Add(interval); !s.ok()) {
          merge_error_ = std::string(s.message());
          return;
        }
        merge_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                                      merge_start).count();
        merged_observer = merge_observer_;
        ++shards_by_seq_[interval.seq()];
        for (const v1::TargetSample& sample : interval.target_samples()) {
          target_samples_.emplace_back(shard, sample);
        }
        if (progress_) {
          Histogram merged;
          for (const auto& [id, totals] : merger_.last_added()) {
            merged.Merge(totals.latency);
            p.requests += totals.counters.requests;
            p.errors += totals.counters.errors;
            p.phase = id.phase;
          }
          p.interval_start_unix_us = interval.start_unix_us() - agent.clock_offset_us;
          p.seconds = static_cast<double>(interval.length_us()) / 1e6;
          p.p50_us = merged.ValueAtPercentile(50);
          p.p99_us = merged.ValueAtPercentile(99);
          progress = progress_;
        }
        break;
      }
      case v1::AgentMessage::kPhaseEnd:
        merger_.AddPhaseEnd(message.phase_end());
        if (agent.started_unix_us == 0 && message.phase_end().started_unix_us() != 0) {
          agent.started_unix_us = message.phase_end().started_unix_us() - agent.clock_offset_us;
        }
        break;
      case v1::AgentMessage::kTargetReport:
        target_reports_.push_back(message.target_report());
        break;
      case v1::AgentMessage::kDatasetReport:
        if (dataset_identity_.is_null()) {
          dataset_identity_ = nlohmann::json::parse(message.dataset_report().identity_json(),
                                                    nullptr, /*allow_exceptions=*/false);
        }
        break;
      case v1::AgentMessage::kDone:
        if (agent.state == "running") {
          agent.state = message.done().ok() ? "done" : (cancelled_ ? "cancelled" : "failed");
          agent.error = message.done().error();
        }
        cv_.notify_all();
        break;
      default:
        break;
    }
  }
  if (progress) progress(p);
  if (merged_observer) merged_observer(message.interval(), merge_seconds);
}

void JobExecution::OnShardLost(int shard, const std::string& why) {
  std::lock_guard lock(mu_);
  if (shard < 0 || shard >= static_cast<int>(agents_.size())) return;
  if (agents_[shard].state == "running") {
    agents_[shard].state = "lost";
    agents_[shard].error = why;
  }
  cv_.notify_all();
}

void JobExecution::MarkCancelled() {
  std::lock_guard lock(mu_);
  cancelled_ = true;
}

void JobExecution::MarkInterrupted() {
  std::lock_guard lock(mu_);
  interrupted_ = true;
  for (AgentRecord& a : agents_) {
    if (a.state == "running") {
      a.state = "lost";
      a.error = "the controller stopped while the job ran";
    }
  }
  cv_.notify_all();
}

int JobExecution::RunningShards() {
  std::lock_guard lock(mu_);
  int n = 0;
  for (const AgentRecord& a : agents_) n += a.state == "running";
  return n;
}

std::vector<AgentRecord> JobExecution::agents() {
  std::lock_guard lock(mu_);
  return agents_;
}

IntervalProgress JobExecution::LatestProgress() {
  std::lock_guard lock(mu_);
  IntervalProgress p;
  int running = 0;
  for (const AgentRecord& a : agents_) running += a.state == "running";
  // The newest interval that every running shard has sent (or the newest at all).
  int64_t seq = -1;
  for (auto it = shards_by_seq_.rbegin(); it != shards_by_seq_.rend(); ++it) {
    if (seq < 0) seq = it->first;
    if (it->second >= running) {
      seq = it->first;
      break;
    }
  }
  if (seq < 0) return p;
  Histogram merged;
  for (const SeriesId& id : merger_.series()) {
    const auto& timeline = merger_.Timeline(id);
    auto it = timeline.find(seq);
    if (it == timeline.end()) continue;
    merged.Merge(it->second.Totals().latency);
    p.requests += it->second.counters().requests;
    p.errors += it->second.counters().errors;
    p.phase = id.phase;
    p.interval_start_unix_us = it->second.start_unix_us;
    p.seconds = static_cast<double>(it->second.length_us) / 1e6;
  }
  p.p50_us = merged.ValueAtPercentile(50);
  p.p99_us = merged.ValueAtPercentile(99);
  return p;
}

int64_t JobExecution::LatestCompleteSeqLocked() const {
  int running = 0;
  for (const AgentRecord& a : agents_) running += a.state == "running";
  int64_t seq = -1;
  for (auto it = shards_by_seq_.rbegin(); it != shards_by_seq_.rend(); ++it) {
    if (seq < 0) seq = it->first;
    if (it->second >= running) return it->first;
  }
  return seq;
}

std::map<std::string, IntervalProgress> JobExecution::LatestProgressByTarget() {
  std::lock_guard lock(mu_);
  std::map<std::string, IntervalProgress> out;
  const int64_t seq = LatestCompleteSeqLocked();
  if (seq < 0) return out;
  std::map<std::string, Histogram> latency;
  for (const SeriesId& id : merger_.series()) {
    const auto& timeline = merger_.Timeline(id);
    auto it = timeline.find(seq);
    if (it == timeline.end()) continue;
    IntervalProgress& p = out[id.target];
    latency[id.target].Merge(it->second.Totals().latency);
    p.requests += it->second.counters().requests;
    p.errors += it->second.counters().errors;
    p.phase = id.phase;
    p.interval_start_unix_us = it->second.start_unix_us;
    p.seconds = static_cast<double>(it->second.length_us) / 1e6;
  }
  for (auto& [target, p] : out) {
    p.p50_us = latency[target].ValueAtPercentile(50);
    p.p99_us = latency[target].ValueAtPercentile(99);
  }
  return out;
}

nlohmann::json JobExecution::Snapshot() {
  std::lock_guard lock(mu_);
  return BuildReport(RecordLocked("running"), merger_, EvaluateThresholds(thresholds_, merger_));
}

JobRecord JobExecution::RecordLocked(const std::string& state) const {
  JobRecord record;
  record.id = job_id_;
  record.name = spec_.name;
  record.state = state;
  record.spec = spec_.document;
  record.started_unix_us = started_unix_us_;
  record.ended_unix_us = UnixMicrosNow();
  record.agents = agents_;
  record.target_reports = target_reports_;
  record.target_samples = target_samples_;
  record.dataset = dataset_identity_;
  if (!merge_error_.empty()) record.error = merge_error_;
  for (const AgentRecord& a : agents_) {
    if (record.error.empty() && !a.error.empty()) record.error = a.name + ": " + a.error;
  }
  return record;
}

bool JobExecution::WaitAll(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] {
    for (const AgentRecord& a : agents_) {
      if (a.state == "running") return false;
    }
    return true;
  });
}

std::string JobExecution::DecideState() const {
  int done = 0, lost = 0, failed = 0;
  for (const AgentRecord& a : agents_) {
    done += a.state == "done";
    lost += a.state == "lost";
    failed += a.state == "failed";
  }
  if (interrupted_) return "interrupted";
  if (cancelled_) return "cancelled";
  if (!merge_error_.empty() || failed > 0) return "failed";
  if (lost > 0) return done > 0 ? "partial" : "failed";
  return "succeeded";
}

JobOutcome JobExecution::Finish() {
  std::lock_guard lock(mu_);
  JobOutcome out;
  out.record = RecordLocked(DecideState());
  out.verdicts = EvaluateThresholds(thresholds_, merger_);
  out.report = BuildReport(out.record, merger_, out.verdicts);
  bool all_passed = true;
  for (const ThresholdVerdict& v : out.verdicts) all_passed = all_passed && v.passed;
  const std::string& state = out.record.state;
  if (state == "succeeded") {
    out.exit_code = all_passed ? kExitOk : kExitThresholdFailed;
  } else if (state == "partial") {
    out.exit_code = kExitPartial;
  } else if (state == "cancelled" || state == "interrupted") {
    out.exit_code = kExitCancelled;
  } else {
    out.exit_code = kExitFailed;
  }
  return out;
}

}  // namespace vexbench
