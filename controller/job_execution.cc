#include "controller/job_execution.h"

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

void JobExecution::OnAgentMessage(int shard, const v1::AgentMessage& message) {
  std::function<void(const IntervalProgress&)> progress;
  IntervalProgress p;
  {
    std::lock_guard lock(mu_);
    if (shard < 0 || shard >= static_cast<int>(agents_.size())) return;
    AgentRecord& agent = agents_[shard];
    switch (message.body_case()) {
      case v1::AgentMessage::kInterval: {
        const v1::Interval& interval = message.interval();
        if (absl::Status s = merger_.Add(interval); !s.ok()) {
          merge_error_ = std::string(s.message());
          return;
        }
        Histogram merged;
        for (const v1::SeriesInterval& series : interval.series()) {
          auto totals = DecodeSeriesInterval(series);  // decoded fine just above
          if (!totals.ok()) continue;
          merged.Merge(totals->latency);
          p.requests += totals->counters.requests;
          p.errors += totals->counters.errors;
          p.phase = series.key().phase();
        }
        p.interval_start_unix_us = interval.start_unix_us();
        p.seconds = static_cast<double>(interval.length_us()) / 1e6;
        p.p50_us = merged.ValueAtPercentile(50);
        p.p99_us = merged.ValueAtPercentile(99);
        progress = progress_;
        break;
      }
      case v1::AgentMessage::kPhaseEnd:
        merger_.AddPhaseEnd(message.phase_end());
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
  if (cancelled_) return "cancelled";
  if (!merge_error_.empty() || failed > 0) return "failed";
  if (lost > 0) return done > 0 ? "partial" : "failed";
  return "succeeded";
}

JobOutcome JobExecution::Finish() {
  std::lock_guard lock(mu_);
  JobOutcome out;
  out.record.id = job_id_;
  out.record.name = spec_.name;
  out.record.state = DecideState();
  out.record.spec = spec_.document;
  out.record.started_unix_us = started_unix_us_;
  out.record.ended_unix_us = UnixMicrosNow();
  out.record.agents = agents_;
  if (!merge_error_.empty()) out.record.error = merge_error_;
  for (const AgentRecord& a : agents_) {
    if (out.record.error.empty() && !a.error.empty()) out.record.error = a.name + ": " + a.error;
  }
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
