#include "controller/scheduler.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/clock.h"
#include "controller/compare.h"
#include "controller/cron.h"
#include "spdlog/spdlog.h"

namespace vexbench {
namespace {

bool Active(const ScheduleRun& run) { return run.state == "queued" || run.state == "running"; }

absl::Status ValidateName(const std::string& name) {
  const bool ok = !name.empty() && name.size() <= 64 &&
                  std::isalnum(static_cast<unsigned char>(name[0])) &&
                  std::all_of(name.begin(), name.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
                           c == '.';
                  });
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      "schedule name \"" + name +
      "\": expected 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit");
}

struct Parsed {
  CronExpression cron;
  absl::TimeZone zone;
};

absl::StatusOr<Parsed> ParseTiming(const StoredSchedule& s) {
  auto cron = CronExpression::Parse(s.cron);
  if (!cron.ok()) return cron.status();
  auto zone = LoadZone(s.time_zone);
  if (!zone.ok()) return zone.status();
  return Parsed{*std::move(cron), *zone};
}

absl::Time Since(const StoredSchedule& s) {
  return absl::FromUnixMicros(std::max(s.last_fire_unix_us, s.created_unix_us));
}

std::string Iso(absl::Time t) { return FormatUnixMicrosIso8601(absl::ToUnixMicros(t)); }

// The latest fire time not after `now`, given that `first` (the first after the last handled
// fire) is not after `now` either. Looks back over growing windows so that a long outage of a
// frequent schedule costs a bounded number of steps.
absl::Time LatestDue(const Parsed& p, absl::Time first, absl::Time now) {
  for (const absl::Duration window : {absl::Hours(1), absl::Hours(26), absl::Hours(24 * 32),
                                      absl::Hours(24 * 367), absl::Hours(24 * 366 * 8)}) {
    const absl::Time from = std::max(first, now - window);
    absl::Time fire = from == first ? first : p.cron.NextAfter(from, p.zone);
    if (fire > now) continue;
    for (absl::Time next = p.cron.NextAfter(fire, p.zone); next <= now;
         next = p.cron.NextAfter(fire, p.zone)) {
      fire = next;
    }
    return fire;
  }
  return first;
}

}  // namespace

v1::ScheduleRun ToProto(const ScheduleRun& run) {
  v1::ScheduleRun out;
  out.set_seq(run.seq);
  out.set_fire_unix_us(run.fire_unix_us);
  out.set_job_id(run.job_id);
  out.set_state(run.state);
  out.set_exit_code(run.exit_code);
  out.set_regression(run.regression);
  out.set_baseline_job_id(run.baseline_job_id);
  out.set_comparison_json(run.comparison_json);
  out.set_note(run.note);
  return out;
}

Scheduler::Scheduler(ScheduleStore& store, JobLauncher& launcher, Options options)
    : store_(store), launcher_(launcher), options_(std::move(options)) {}

Scheduler::~Scheduler() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Scheduler::Start(std::chrono::milliseconds period) {
  thread_ = std::thread([this, period] {
    std::unique_lock lock(stop_mu_);
    while (!stopping_) {
      lock.unlock();
      Tick();
      lock.lock();
      stop_cv_.wait_for(lock, period, [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return stopping_; });
    }
  });
}

absl::StatusOr<v1::ScheduleSummary> Scheduler::Summary(const StoredSchedule& s) {
  v1::ScheduleSummary out;
  out.set_name(s.name);
  out.set_cron(s.cron);
  out.set_time_zone(s.time_zone);
  const nlohmann::json spec = nlohmann::json::parse(s.spec_json, nullptr, false);
  if (spec.is_object() && spec.contains("name") && spec["name"].is_string()) {
    out.set_job_name(spec["name"].get<std::string>());
  }
  out.set_agents(s.agents);
  for (const auto& [k, v] : s.selector) (*out.mutable_selector())[k] = v;
  out.set_overlap(s.overlap);
  out.set_max_regression(s.max_regression);
  out.set_paused(s.paused);
  out.set_created_unix_us(s.created_unix_us);
  out.set_last_fire_unix_us(s.last_fire_unix_us);
  if (!s.paused) {
    if (auto p = ParseTiming(s); p.ok()) {
      const absl::Time next = p->cron.NextAfter(Since(s), p->zone);
      if (next != absl::InfiniteFuture()) out.set_next_fire_unix_us(absl::ToUnixMicros(next));
    }
  }
  auto runs = store_.ListRuns(s.name, 1);
  if (!runs.ok()) return runs.status();
  if (!runs->empty()) *out.mutable_last_run() = ToProto(runs->front());
  return out;
}

absl::StatusOr<v1::ScheduleSummary> Scheduler::Add(StoredSchedule s) {
  if (absl::Status st = ValidateName(s.name); !st.ok()) return st;
  if (s.time_zone.empty()) s.time_zone = "UTC";
  if (s.overlap.empty()) s.overlap = "skip";
  if (s.max_regression.empty()) s.max_regression = kDefaultMaxRegression;
  if (s.overlap != "skip" && s.overlap != "queue") {
    return absl::InvalidArgumentError("--overlap \"" + s.overlap + "\": expected skip or queue");
  }
  if (auto p = ParseTiming(s); !p.ok()) return p.status();
  if (auto l = ParseRegressionLimits(s.max_regression); !l.ok()) return l.status();
  s.created_unix_us = absl::ToUnixMicros(options_.now());
  s.last_fire_unix_us = 0;
  if (absl::Status st = store_.Add(s); !st.ok()) return st;
  return Summary(s);
}

absl::StatusOr<v1::ScheduleSummary> Scheduler::Pause(const std::string& name) {
  std::lock_guard lock(tick_mu_);  // not between a Tick's read of the schedule and its fire
  if (absl::Status st = store_.SetPaused(name, true); !st.ok()) return st;
  auto s = store_.Get(name);
  if (!s.ok()) return s.status();
  return Summary(*s);
}

absl::StatusOr<v1::ScheduleSummary> Scheduler::Resume(const std::string& name) {
  std::lock_guard lock(tick_mu_);
  auto s = store_.Get(name);
  if (!s.ok()) return s.status();
  if (s->paused) {
    // Times missed while paused are not fired: the next fire is the first after now.
    if (absl::Status st = store_.SetPaused(name, false); !st.ok()) return st;
    s->paused = false;
    if (absl::Status st = store_.SetLastFire(name, absl::ToUnixMicros(options_.now())); !st.ok()) {
      return st;
    }
    s = store_.Get(name);
    if (!s.ok()) return s.status();
  }
  return Summary(*s);
}

absl::Status Scheduler::Remove(const std::string& name) {
  std::lock_guard lock(tick_mu_);
  return store_.Remove(name);
}

absl::StatusOr<std::vector<v1::ScheduleSummary>> Scheduler::List() {
  auto all = store_.List();
  if (!all.ok()) return all.status();
  std::vector<v1::ScheduleSummary> out;
  for (const StoredSchedule& s : *all) {
    auto summary = Summary(s);
    if (!summary.ok()) return summary.status();
    out.push_back(*std::move(summary));
  }
  return out;
}

absl::StatusOr<std::pair<v1::ScheduleSummary, std::vector<v1::ScheduleRun>>> Scheduler::Show(
    const std::string& name, int history_limit) {
  auto s = store_.Get(name);
  if (!s.ok()) return s.status();
  auto summary = Summary(*s);
  if (!summary.ok()) return summary.status();
  auto runs = store_.ListRuns(name, history_limit > 0 ? history_limit : 50);
  if (!runs.ok()) return runs.status();
  std::vector<v1::ScheduleRun> out;
  for (const ScheduleRun& r : *runs) out.push_back(ToProto(r));
  return std::make_pair(*std::move(summary), std::move(out));
}

void Scheduler::Tick() {
  std::lock_guard lock(tick_mu_);
  auto all = store_.List();
  if (!all.ok()) {
    spdlog::error("scheduler: {}", std::string(all.status().message()));
    return;
  }
  const absl::Time now = options_.now();
  for (const StoredSchedule& s : *all) {
    auto runs = store_.ListRuns(s.name, options_.history_tracked);
    if (!runs.ok()) {
      spdlog::error("scheduler: {}: {}", s.name, std::string(runs.status().message()));
      continue;
    }
    TrackRuns(s, *runs);
    if (!s.paused) FireIfDue(s, *runs, now);
  }
}

void Scheduler::TrackRuns(const StoredSchedule& s, std::vector<ScheduleRun>& runs) {
  // Oldest first, so that a run's baseline is settled before the run itself is compared.
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    ScheduleRun& run = *it;
    if (run.state == "submitting") {  // a controller stopped between recording and submitting
      run.state = "submit-failed";
      run.note = "the controller stopped before the job was submitted";
      (void)store_.UpdateRun(run);
      continue;
    }
    if (!Active(run)) continue;
    auto status = launcher_.Status(run.job_id);
    if (!status.ok()) {
      if (status.status().code() != absl::StatusCode::kNotFound) continue;  // try next tick
      run.state = "failed";
      run.note = "job " + run.job_id + " no longer exists";
    } else {
      run.state = status->state;
      run.exit_code = status->exit_code;
      if (run.state == "succeeded") Compare(s, run, status->report_json, runs);
    }
    if (absl::Status st = store_.UpdateRun(run); !st.ok()) {
      spdlog::error("scheduler: {}: {}", s.name, std::string(st.message()));
    }
  }
}

void Scheduler::Compare(const StoredSchedule& s, ScheduleRun& run, const std::string& report_json,
                        const std::vector<ScheduleRun>& runs) {
  const ScheduleRun* baseline = nullptr;
  for (const ScheduleRun& r : runs) {  // newest first
    if (r.seq < run.seq && r.state == "succeeded" && !r.job_id.empty()) {
      baseline = &r;
      break;
    }
  }
  if (baseline == nullptr) {
    run.note = "first successful run: the baseline of the next";
    return;
  }
  auto limits = ParseRegressionLimits(s.max_regression);
  auto previous = launcher_.Status(baseline->job_id);
  const nlohmann::json current = nlohmann::json::parse(report_json, nullptr, false);
  if (!limits.ok() || !previous.ok() || current.is_discarded()) {
    run.note = "not compared: " +
               std::string(!limits.ok()     ? limits.status().message()
                           : !previous.ok() ? previous.status().message()
                                            : "its report.json does not parse");
    return;
  }
  const nlohmann::json before = nlohmann::json::parse(previous->report_json, nullptr, false);
  if (before.is_discarded()) {
    run.note = "not compared: the report of " + baseline->job_id + " does not parse";
    return;
  }
  auto comparison = CompareReports(before, current, *limits);
  if (!comparison.ok()) {
    run.note = "not compared: " + std::string(comparison.status().message());
    return;
  }
  comparison->base_label = baseline->job_id;
  comparison->current_label = run.job_id;
  run.baseline_job_id = baseline->job_id;
  run.regression = comparison->any_regression;
  run.comparison_json = ComparisonToJson(*comparison).dump();
  int flagged = 0;
  for (const CompareRow& row : comparison->rows) flagged += row.regression ? 1 : 0;
  run.note = run.regression ? absl::StrCat("regression against ", baseline->job_id, " (", flagged,
                                           " metric(s) beyond max_regression)")
                            : "no regression against " + baseline->job_id;
}

void Scheduler::FireIfDue(const StoredSchedule& s, const std::vector<ScheduleRun>& runs,
                          absl::Time now) {
  auto timing = ParseTiming(s);
  if (!timing.ok()) {
    spdlog::error("scheduler: {}: {}", s.name, std::string(timing.status().message()));
    return;
  }
  const absl::Time first = timing->cron.NextAfter(Since(s), timing->zone);
  if (first > now) return;
  ScheduleRun run;
  run.schedule = s.name;
  const absl::Time fire = LatestDue(*timing, first, now);
  run.fire_unix_us = absl::ToUnixMicros(fire);
  if (fire != first) {
    run.note = absl::StrCat("fire times from ", Iso(first), " to before ", Iso(fire),
                            " were missed (controller down or clock jump) and fire once, now; ");
  }
  const auto active = std::find_if(runs.begin(), runs.end(), Active);
  if (active != runs.end() && s.overlap == "skip") {
    run.state = "skipped";
    absl::StrAppend(&run.note, "the previous run ", active->job_id, " was still ", active->state);
    if (auto seq = store_.RecordFire(run); !seq.ok()) {
      spdlog::error("scheduler: {}: {}", s.name, std::string(seq.status().message()));
    }
    spdlog::info("schedule {}: fire at {} skipped ({} still {})", s.name, Iso(fire),
                 active->job_id, active->state);
    return;
  }
  run.state = "submitting";
  auto seq = store_.RecordFire(run);
  if (!seq.ok()) {
    spdlog::error("scheduler: {}: {}", s.name, std::string(seq.status().message()));
    return;
  }
  run.seq = *seq;
  auto job = launcher_.Submit(s);
  if (job.ok()) {
    run.job_id = *job;
    run.state = "queued";
    spdlog::info("schedule {}: fire at {} submitted job {}", s.name, Iso(fire), *job);
  } else {
    run.state = "submit-failed";
    absl::StrAppend(&run.note, job.status().message());
    spdlog::error("schedule {}: fire at {}: {}", s.name, Iso(fire),
                  std::string(job.status().message()));
  }
  if (absl::EndsWith(run.note, "; ")) run.note.resize(run.note.size() - 2);
  if (absl::Status st = store_.UpdateRun(run); !st.ok()) {
    spdlog::error("scheduler: {}: {}", s.name, std::string(st.message()));
  }
}

}  // namespace vexbench
