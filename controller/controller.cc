#include "controller/controller.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "common/clock.h"
#include "common/job_spec.h"
#include "common/metrics.h"
#include "controller/job_validation.h"
#include "spdlog/spdlog.h"

namespace vexbench {

namespace {
constexpr int kOffsetSamples = 8;  // the offset comes from the fastest of the last N pings
}  // namespace

struct Controller::Agent {
  int64_t session = 0;
  v1::Hello hello;
  std::shared_ptr<AgentLink> link;
  int64_t connected_unix_us = 0;
  int64_t last_seen_unix_us = 0;
  int64_t last_ping_unix_us = 0;
  // (rtt, offset) of recent pings; the offset of the smallest rtt is the estimate.
  std::deque<std::pair<int64_t, int64_t>> samples;
  std::string job_id;  // current job, empty when idle
  int shard = -1;

  bool has_offset() const { return !samples.empty(); }
  std::pair<int64_t, int64_t> best() const {
    return *std::min_element(samples.begin(), samples.end());
  }
};

struct Controller::RunningJob {
  StoredJob stored;
  std::unique_ptr<JobExecution> execution;
  std::vector<int64_t> sessions;  // by shard; 0 once that agent is gone
  double planned_s = 0;
};

absl::StatusOr<std::unique_ptr<Controller>> Controller::Create(JobStore& store,
                                                               ControllerOptions options) {
  std::unique_ptr<Controller> c(new Controller(store, options));
  if (absl::Status s = c->Recover(); !s.ok()) return s;
  c->ticker_ = std::thread([raw = c.get()] {
    std::unique_lock lock(raw->mu_);
    while (!raw->stopping_) {
      lock.unlock();
      raw->Tick();
      lock.lock();
      raw->stop_cv_.wait_for(lock, std::chrono::milliseconds(100), [raw] {
        return raw->stopping_;
      });
    }
  });
  return c;
}

Controller::Controller(JobStore& store, ControllerOptions options)
    : store_(store), options_(options), metrics_(std::make_unique<ControllerMetrics>()) {}

Controller::~Controller() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

// Jobs found running belonged to a controller that stopped: rebuild their reports from the
// stored messages and mark them interrupted. Queued jobs go back in the queue, oldest first.
absl::Status Controller::Recover() {
  auto running = store_.ListJobs(0, std::string("running"));
  if (!running.ok()) return running.status();
  for (StoredJob& job : *running) {
    auto spec = ParseJobSpec(job.spec_json, job.id);
    auto messages = store_.LoadAgentMessages(job.id);
    if (!spec.ok() || !messages.ok()) {
      job.state = "interrupted";
      job.error = "could not rebuild the report after a controller restart";
    } else {
      std::vector<AgentRecord> agents;
      for (const auto& a : job.shards) agents.push_back(AgentRecordFromJson(a));
      JobExecution execution(job.id, *std::move(spec), {}, agents, job.started_unix_us);
      for (const auto& [shard, message] : *messages) execution.OnAgentMessage(shard, message);
      execution.MarkInterrupted();
      JobOutcome outcome = execution.Finish();
      job.state = outcome.record.state;
      job.error = "the controller stopped while the job ran";
      outcome.report["job"]["error"] = job.error;
      job.report_json = outcome.report.dump();
      job.exit_code = kExitCancelled;
      job.shards = nlohmann::json::array();
      for (const AgentRecord& a : outcome.record.agents) job.shards.push_back(AgentRecordToJson(a));
    }
    job.ended_unix_us = UnixMicrosNow();
    if (absl::Status s = store_.UpdateJob(job); !s.ok()) return s;
    metrics_->OnJobEnded(job.state);
    spdlog::warn("job {} was running when the controller stopped: now interrupted", job.id);
  }
  auto queued = store_.ListJobs(0, std::string("queued"));
  if (!queued.ok()) return queued.status();
  std::lock_guard lock(mu_);
  for (auto it = queued->rbegin(); it != queued->rend(); ++it) queue_.push_back(it->id);
  return absl::OkStatus();
}

int64_t Controller::AgentConnected(const v1::Hello& hello, std::shared_ptr<AgentLink> link) {
  std::lock_guard lock(mu_);
  // The same agent name again: the old stream is stale (the agent reconnected first).
  for (auto& [session, agent] : agents_) {
    if (agent->hello.name() == hello.name()) {
      LoseAgentLocked(*agent, "replaced by a new connection of the same agent");
      agent->link->Close();
      agents_.erase(session);
      break;
    }
  }
  auto agent = std::make_unique<Agent>();
  agent->session = next_session_++;
  agent->hello = hello;
  agent->hello.clear_join_token();
  agent->link = std::move(link);
  agent->connected_unix_us = agent->last_seen_unix_us = UnixMicrosNow();
  v1::ControllerMessage ping;
  ping.mutable_ping()->set_ping_id(UnixMicrosNow());
  agent->last_ping_unix_us = ping.ping().ping_id();
  agent->link->Send(ping);
  const int64_t session = agent->session;
  spdlog::info("agent {} ({}) connected", hello.name(), hello.host());
  agents_[session] = std::move(agent);
  return session;
}

void Controller::AgentDisconnected(int64_t session, const std::string& why) {
  std::lock_guard lock(mu_);
  auto it = agents_.find(session);
  if (it == agents_.end()) return;
  spdlog::warn("agent {} disconnected: {}", it->second->hello.name(), why);
  LoseAgentLocked(*it->second, why);
  agents_.erase(it);
  FinishJobsLocked();
}

void Controller::LoseAgentLocked(Agent& agent, const std::string& why) {
  if (agent.job_id.empty()) return;
  auto it = running_.find(agent.job_id);
  if (it != running_.end()) {
    it->second->execution->OnShardLost(agent.shard, why);
    it->second->sessions[agent.shard] = 0;
  }
  agent.job_id.clear();
  agent.shard = -1;
}

void Controller::AgentMessage(int64_t session, const v1::AgentMessage& message) {
  std::lock_guard lock(mu_);
  auto it = agents_.find(session);
  if (it == agents_.end()) return;
  Agent& agent = *it->second;
  const int64_t now = UnixMicrosNow();
  agent.last_seen_unix_us = now;
  switch (message.body_case()) {
    case v1::AgentMessage::kPong: {
      const int64_t sent = message.pong().ping_id();
      const int64_t rtt = now - sent;
      const int64_t offset = message.pong().agent_unix_us() - (sent + now) / 2;
      agent.samples.emplace_back(rtt, offset);
      if (agent.samples.size() > kOffsetSamples) agent.samples.pop_front();
      DispatchLocked();
      return;
    }
    case v1::AgentMessage::kInterval:
    case v1::AgentMessage::kPhaseEnd:
    case v1::AgentMessage::kTargetReport:
    case v1::AgentMessage::kDatasetReport:
    case v1::AgentMessage::kDone: {
      auto job = running_.find(agent.job_id);
      if (job == running_.end()) return;  // a late message of a job that ended
      // Stored first: what is merged is always what is durable.
      if (absl::Status s = store_.AppendAgentMessage(agent.job_id, agent.shard, message); !s.ok()) {
        spdlog::error("job {}: cannot store a message: {}", agent.job_id, std::string(s.message()));
      }
      job->second->execution->OnAgentMessage(agent.shard, message);
      if (message.has_done()) {
        agent.job_id.clear();
        agent.shard = -1;
        FinishJobsLocked();
        DispatchLocked();
      }
      return;
    }
    default:
      return;  // heartbeat: last_seen is enough
  }
}

void Controller::Tick() {
  std::lock_guard lock(mu_);
  const int64_t now = UnixMicrosNow();
  const int64_t timeout_us = options_.heartbeat_timeout.count() * 1000;
  std::vector<int64_t> silent;
  for (auto& [session, agent] : agents_) {
    if (now - agent->last_seen_unix_us > timeout_us) {
      silent.push_back(session);
      continue;
    }
    // Pings measure the clock offset that a job's barrier start needs, so only agents without
    // a job get them; a running agent's intervals and heartbeats show it is alive.
    if (agent->job_id.empty() &&
        now - agent->last_ping_unix_us >= options_.ping_period.count() * 1000) {
      v1::ControllerMessage ping;
      ping.mutable_ping()->set_ping_id(now);
      agent->last_ping_unix_us = now;
      agent->link->Send(ping);
    }
  }
  for (int64_t session : silent) {
    Agent& agent = *agents_[session];
    spdlog::warn("agent {}: no heartbeat for {} ms; counted as lost", agent.hello.name(),
                 options_.heartbeat_timeout.count());
    LoseAgentLocked(agent, "no heartbeat for " + std::to_string(options_.heartbeat_timeout.count()) +
                               " ms");
    agent.link->Close();
    agents_.erase(session);
  }
  FinishJobsLocked();
  DispatchLocked();
}

absl::StatusOr<std::string> Controller::Submit(const std::string& spec_json, int agents,
                                               const std::map<std::string, std::string>& selector) {
  auto spec = ParseJobSpec(spec_json, "job");
  if (!spec.ok()) return spec.status();
  auto thresholds = ValidateJob(*spec);
  if (!thresholds.ok()) return thresholds.status();
  StoredJob job;
  job.name = spec->name;
  job.spec_json = spec->document.dump();
  job.agents = agents > 0 ? agents : spec->agents.count;
  job.selector = selector.empty() ? spec->agents.labels : selector;
  job.created_unix_us = UnixMicrosNow();
  auto id = store_.CreateJob(job);
  if (!id.ok()) return id.status();
  std::lock_guard lock(mu_);
  queue_.push_back(*id);
  spdlog::info("job {} ({}) queued for {} agent(s)", *id, job.name, job.agents);
  DispatchLocked();
  return *id;
}

void Controller::DispatchLocked() {
  for (auto it = queue_.begin(); it != queue_.end();) {
    auto job = store_.GetJob(*it);
    if (!job.ok() || job->state != "queued") {
      it = queue_.erase(it);
      continue;
    }
    if (!TryStartLocked(*job)) break;  // FIFO: later jobs wait for the first one
    it = queue_.erase(it);
  }
}

bool Controller::TryStartLocked(StoredJob& job) {
  std::vector<Agent*> chosen;
  for (auto& [session, agent] : agents_) {
    if (!agent->job_id.empty() || !agent->has_offset()) continue;
    const auto& labels = agent->hello.labels();
    const bool matches = std::all_of(job.selector.begin(), job.selector.end(), [&](const auto& kv) {
      auto l = labels.find(kv.first);
      return l != labels.end() && l->second == kv.second;
    });
    if (matches) chosen.push_back(agent.get());
    if (static_cast<int>(chosen.size()) == job.agents) break;
  }
  if (static_cast<int>(chosen.size()) < job.agents) return false;
  auto spec = ParseJobSpec(job.spec_json, job.id);
  auto thresholds = spec.ok() ? ValidateJob(*spec) : spec.status();
  const int64_t now = UnixMicrosNow();
  if (!spec.ok() || !thresholds.ok()) {  // validated at submit; a newer build may disagree
    job.state = "failed";
    job.error = std::string(thresholds.status().message());
    job.exit_code = kExitFailed;
    job.ended_unix_us = now;
    (void)store_.UpdateJob(job);
    metrics_->OnJobEnded(job.state);
    return true;
  }
  int64_t max_rtt = 0;
  for (Agent* a : chosen) max_rtt = std::max(max_rtt, a->best().first);
  const int64_t start_at = now + options_.start_margin.count() * 1000 + 2 * max_rtt;
  auto running = std::make_unique<RunningJob>();
  std::vector<AgentRecord> records;
  for (Agent* a : chosen) {
    records.push_back({.name = a->hello.name(),
                       .host = a->hello.host(),
                       .version = a->hello.version(),
                       .cores = a->hello.cores(),
                       .threads = a->hello.threads(),
                       .clock_offset_us = a->best().second,
                       .rtt_us = a->best().first});
  }
  running->execution = std::make_unique<JobExecution>(job.id, *spec, *thresholds, records, now);
  running->execution->SetMergeObserver(
      [metrics = metrics_.get()](const v1::Interval& interval, double merge_seconds) {
        metrics->OnIntervalMerged(interval, merge_seconds);
      });
  job.state = "running";
  job.started_unix_us = now;
  job.shards = nlohmann::json::array();
  for (const AgentRecord& r : records) job.shards.push_back(AgentRecordToJson(r));
  if (absl::Status s = store_.UpdateJob(job); !s.ok()) {
    spdlog::error("job {}: cannot store its start: {}", job.id, std::string(s.message()));
    return false;
  }
  for (int shard = 0; shard < static_cast<int>(chosen.size()); ++shard) {
    Agent* a = chosen[shard];
    a->job_id = job.id;
    a->shard = shard;
    running->sessions.push_back(a->session);
    v1::ControllerMessage m;
    v1::Assign* assign = m.mutable_assign();
    assign->set_job_id(job.id);
    assign->set_shard_index(shard);
    assign->set_shard_count(static_cast<int>(chosen.size()));
    assign->set_spec_json(job.spec_json);
    assign->set_start_at_unix_us(start_at + a->best().second);  // in the agent's clock
    assign->set_interval_ms(std::chrono::duration_cast<std::chrono::milliseconds>(spec->interval).count());
    a->link->Send(m);
  }
  spdlog::info("job {} started on {} agent(s)", job.id, chosen.size());
  running->stored = std::move(job);
  running_[running->stored.id] = std::move(running);
  return true;
}

void Controller::FinishJobsLocked() {
  for (auto it = running_.begin(); it != running_.end();) {
    RunningJob& job = *it->second;
    if (!job.execution->WaitAll(std::chrono::milliseconds(0))) {
      ++it;
      continue;
    }
    JobOutcome outcome = job.execution->Finish();
    StoredJob& stored = job.stored;
    stored.state = outcome.record.state;
    stored.error = outcome.record.error;
    stored.exit_code = outcome.exit_code;
    stored.ended_unix_us = outcome.record.ended_unix_us;
    stored.report_json = outcome.report.dump();
    stored.shards = nlohmann::json::array();
    for (const AgentRecord& a : outcome.record.agents) stored.shards.push_back(AgentRecordToJson(a));
    if (absl::Status s = store_.UpdateJob(stored); !s.ok()) {
      spdlog::error("job {}: cannot store its end: {}", stored.id, std::string(s.message()));
    }
    spdlog::info("job {} ended: {} (exit code {})", stored.id, stored.state, stored.exit_code);
    metrics_->OnJobEnded(stored.state);
    for (auto& [session, agent] : agents_) {
      if (agent->job_id == stored.id) {
        agent->job_id.clear();
        agent->shard = -1;
      }
    }
    it = running_.erase(it);
  }
}

absl::StatusOr<v1::JobSummary> Controller::Cancel(const std::string& job_id) {
  std::lock_guard lock(mu_);
  auto running = running_.find(job_id);
  if (running != running_.end()) {
    running->second->execution->MarkCancelled();
    for (int64_t session : running->second->sessions) {
      auto agent = agents_.find(session);
      if (agent == agents_.end()) continue;
      v1::ControllerMessage m;
      m.mutable_cancel()->set_job_id(job_id);
      m.mutable_cancel()->set_reason("cancelled by the operator");
      agent->second->link->Send(m);
    }
    return SummaryLocked(running->second->stored);
  }
  auto job = store_.GetJob(job_id);
  if (!job.ok()) return job.status();
  if (job->state == "queued") {
    job->state = "cancelled";
    job->exit_code = kExitCancelled;
    job->ended_unix_us = UnixMicrosNow();
    if (absl::Status s = store_.UpdateJob(*job); !s.ok()) return s;
    metrics_->OnJobEnded(job->state);
    queue_.erase(std::remove(queue_.begin(), queue_.end(), job_id), queue_.end());
  }
  return SummaryLocked(*job);  // an ended job stays as it ended
}

v1::JobSummary Controller::SummaryLocked(const StoredJob& job) const {
  v1::JobSummary s;
  s.set_id(job.id);
  s.set_name(job.name);
  s.set_state(job.state);
  s.set_created_unix_us(job.created_unix_us);
  s.set_started_unix_us(job.started_unix_us);
  s.set_ended_unix_us(job.ended_unix_us);
  s.set_agents(job.agents);
  for (const auto& [k, v] : job.selector) (*s.mutable_selector())[k] = v;
  s.set_error(job.error);
  s.set_exit_code(job.exit_code);
  for (const auto& shard : job.shards) s.add_agent_names(shard.value("name", ""));
  const nlohmann::json spec = nlohmann::json::parse(job.spec_json, nullptr, false);
  if (spec.is_object() && spec.contains("targets") && spec["targets"].is_array()) {
    for (const auto& t : spec["targets"]) {
      if (t.is_object() && t.contains("name") && t["name"].is_string()) s.add_targets(t["name"]);
    }
  }
  return s;
}

absl::StatusOr<StoredJob> Controller::LoadJobLocked(const std::string& job_id) {
  auto running = running_.find(job_id);
  if (running != running_.end()) return running->second->stored;
  return store_.GetJob(job_id);
}

absl::StatusOr<std::vector<v1::JobSummary>> Controller::ListJobs(int limit) {
  auto jobs = store_.ListJobs(limit);
  if (!jobs.ok()) return jobs.status();
  std::lock_guard lock(mu_);
  std::vector<v1::JobSummary> out;
  for (const StoredJob& job : *jobs) out.push_back(SummaryLocked(job));
  return out;
}

absl::StatusOr<std::pair<v1::JobSummary, std::string>> Controller::GetJob(
    const std::string& job_id) {
  std::lock_guard lock(mu_);
  auto running = running_.find(job_id);
  if (running != running_.end()) {
    return std::make_pair(SummaryLocked(running->second->stored),
                          running->second->execution->Snapshot().dump());
  }
  auto job = store_.GetJob(job_id);
  if (!job.ok()) return job.status();
  return std::make_pair(SummaryLocked(*job), job->report_json);
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Controller::GetReportFiles(
    const std::string& job_id) {
  StoredJob job;
  {
    std::lock_guard lock(mu_);
    auto loaded = LoadJobLocked(job_id);
    if (!loaded.ok()) return loaded.status();
    job = *std::move(loaded);
  }
  if (job.state == "queued") {
    return absl::FailedPreconditionError("job " + job_id + " is queued: it has no report yet");
  }
  // Rebuild the merged data from the stored messages: the report's files are views of them.
  auto spec = ParseJobSpec(job.spec_json, job_id);
  if (!spec.ok()) return spec.status();
  auto messages = store_.LoadAgentMessages(job_id);
  if (!messages.ok()) return messages.status();
  std::vector<AgentRecord> agents;
  for (const auto& a : job.shards) agents.push_back(AgentRecordFromJson(a));
  JobExecution replay(job_id, *std::move(spec), {}, agents, job.started_unix_us);
  for (const auto& [shard, message] : *messages) replay.OnAgentMessage(shard, message);
  nlohmann::json report = job.report_json.empty() ? replay.Snapshot()
                                                  : nlohmann::json::parse(job.report_json);
  return RenderReportFiles(report, replay.merger(), job.started_unix_us);
}

std::string Controller::RenderMetrics() {
  int agents = 0, queued = 0, running = 0;
  {
    std::lock_guard lock(mu_);
    agents = static_cast<int>(agents_.size());
    queued = static_cast<int>(queue_.size());
    running = static_cast<int>(running_.size());
  }
  return metrics_->Render(agents, queued, running);
}

std::vector<v1::AgentSummary> Controller::ListAgents() {
  std::lock_guard lock(mu_);
  std::vector<v1::AgentSummary> out;
  for (const auto& [session, agent] : agents_) {
    v1::AgentSummary s;
    s.set_name(agent->hello.name());
    s.set_host(agent->hello.host());
    s.set_version(agent->hello.version());
    s.set_cores(agent->hello.cores());
    *s.mutable_labels() = agent->hello.labels();
    s.set_state(agent->job_id.empty() ? "idle" : "busy");
    s.set_last_seen_unix_us(agent->last_seen_unix_us);
    s.set_current_job(agent->job_id);
    if (agent->has_offset()) {
      s.set_clock_offset_us(agent->best().second);
      s.set_rtt_us(agent->best().first);
    }
    out.push_back(std::move(s));
  }
  return out;
}

absl::StatusOr<v1::JobProgress> Controller::Progress(const std::string& job_id) {
  std::lock_guard lock(mu_);
  v1::JobProgress p;
  auto running = running_.find(job_id);
  if (running == running_.end()) {
    auto job = store_.GetJob(job_id);
    if (!job.ok()) return job.status();
    *p.mutable_job() = SummaryLocked(*job);
    p.set_final(job->state != "queued");
    return p;
  }
  RunningJob& job = *running->second;
  *p.mutable_job() = SummaryLocked(job.stored);
  const IntervalProgress latest = job.execution->LatestProgress();
  p.set_phase(latest.phase);
  p.set_interval_s(latest.seconds);
  p.set_requests(latest.requests);
  p.set_errors(latest.errors);
  p.set_p99_ms(static_cast<double>(latest.p99_us) / 1000.0);
  p.set_agents_running(job.execution->RunningShards());
  p.set_elapsed_s(static_cast<double>(UnixMicrosNow() - job.stored.started_unix_us) / 1e6);
  return p;
}

absl::StatusOr<LiveJobProgress> Controller::LiveProgress(const std::string& job_id) {
  std::lock_guard lock(mu_);
  LiveJobProgress p;
  auto running = running_.find(job_id);
  if (running == running_.end()) {
    auto job = store_.GetJob(job_id);
    if (!job.ok()) return job.status();
    p.job = SummaryLocked(*job);
    p.final = job->state != "queued";
    p.spec_json = job->spec_json;
    for (const auto& a : job->shards) p.agents.push_back(AgentRecordFromJson(a));
    if (job->started_unix_us != 0 && job->ended_unix_us != 0) {
      p.elapsed_s = static_cast<double>(job->ended_unix_us - job->started_unix_us) / 1e6;
    }
    return p;
  }
  RunningJob& job = *running->second;
  p.job = SummaryLocked(job.stored);
  p.spec_json = job.stored.spec_json;
  p.latest = job.execution->LatestProgress();
  p.targets = job.execution->LatestProgressByTarget();
  p.agents = job.execution->agents();
  p.agents_running = job.execution->RunningShards();
  p.elapsed_s = static_cast<double>(UnixMicrosNow() - job.stored.started_unix_us) / 1e6;
  return p;
}

}  // namespace vexbench
