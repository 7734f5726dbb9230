#include "controller/scheduler.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "controller/schedule_store.h"
#include "nlohmann/json.hpp"
#include "tests/unit/support/temp_dir.h"

namespace vexbench {
namespace {

namespace fs = std::filesystem;

absl::Time Utc(int y, int mo, int d, int h, int mi, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
}

// A report.json with one result of the shape design.md gives.
std::string Report(double p99_ms, double rps) {
  nlohmann::json result = {{"target", "web"},     {"phase", "search"},   {"op", "query"},
                           {"requests", 1000},    {"errors", 0},         {"throughput_rps", rps},
                           {"latency_ms", {{"p50", 1.0}, {"p99", p99_ms}}}};
  return nlohmann::json{{"schema", "vexbench.report/v1"}, {"results", {result}}}.dump();
}

// Jobs the test moves by hand: Submit() queues j-1, j-2, ...; Finish() ends one.
class FakeLauncher : public JobLauncher {
 public:
  absl::StatusOr<std::string> Submit(const StoredSchedule& schedule) override {
    submitted.push_back(schedule.name);
    if (!submit_error.empty()) return absl::UnavailableError(submit_error);
    const std::string id = "j-" + std::to_string(submitted.size());
    jobs[id] = JobStatus{"queued", -1, ""};
    return id;
  }
  absl::StatusOr<JobStatus> Status(const std::string& job_id) override {
    auto it = jobs.find(job_id);
    if (it == jobs.end()) return absl::NotFoundError("no job " + job_id);
    return it->second;
  }
  void Finish(const std::string& id, const std::string& state, double p99_ms = 5, double rps = 1000) {
    jobs[id] = JobStatus{state, state == "succeeded" ? 0 : 2, Report(p99_ms, rps)};
  }
  std::vector<std::string> submitted;
  std::map<std::string, JobStatus> jobs;
  std::string submit_error;
};

StoredSchedule Nightly(const std::string& cron = "0 2 * * *", const std::string& overlap = "") {
  StoredSchedule s;
  s.name = "nightly";
  s.cron = cron;
  s.spec_json = R"({"name": "nginx-smoke"})";
  s.overlap = overlap;
  return s;
}

struct Fixture {
  TempDir dir;
  absl::Time now = Utc(2026, 11, 24, 13, 0);
  FakeLauncher launcher;
  ScheduleStorePtr store;
  std::unique_ptr<Scheduler> scheduler;

  Fixture() { Open(); }
  void Open() {
    scheduler.reset();
    store.reset();
    auto opened = ScheduleStore::Open(dir.path());
    REQUIRE(opened.ok());
    store = *std::move(opened);
    Scheduler::Options options;
    options.now = [this] { return now; };
    scheduler = std::make_unique<Scheduler>(*store, launcher, options);
  }
  std::vector<ScheduleRun> Runs(const std::string& name = "nightly") {
    auto runs = store->ListRuns(name, 0);
    REQUIRE(runs.ok());
    return *runs;
  }
};

TEST_CASE("scheduler: fires at the cron time, not before, once per fire time") {
  Fixture f;
  auto added = f.scheduler->Add(Nightly());
  REQUIRE(added.ok());
  CHECK(added->next_fire_unix_us() == absl::ToUnixMicros(Utc(2026, 11, 25, 2, 0)));
  CHECK(added->job_name() == "nginx-smoke");
  f.now = Utc(2026, 11, 25, 1, 59, 59);
  f.scheduler->Tick();
  CHECK(f.launcher.submitted.empty());
  f.now = Utc(2026, 11, 25, 2, 0, 0);
  f.scheduler->Tick();
  f.now += absl::Seconds(1);
  f.scheduler->Tick();
  f.scheduler->Tick();
  REQUIRE(f.launcher.submitted.size() == 1);
  auto runs = f.Runs();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].fire_unix_us == absl::ToUnixMicros(Utc(2026, 11, 25, 2, 0)));
  CHECK(runs[0].job_id == "j-1");
  CHECK(runs[0].state == "queued");
  CHECK(runs[0].note.empty());
}

TEST_CASE("scheduler: fire times missed while down fire once, for the latest, never a storm") {
  Fixture f;
  REQUIRE(f.scheduler->Add(Nightly("*/5 * * * *")).ok());
  // Ten days without a tick: 2,880 fire times missed.
  f.now = Utc(2026, 12, 4, 13, 2);
  f.scheduler->Tick();
  f.scheduler->Tick();
  REQUIRE(f.launcher.submitted.size() == 1);
  auto runs = f.Runs();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].fire_unix_us == absl::ToUnixMicros(Utc(2026, 12, 4, 13, 0)));
  CHECK(runs[0].note.find("were missed") != std::string::npos);
  // The next one is the next cron time after the one that fired.
  f.launcher.Finish("j-1", "succeeded");
  f.now = Utc(2026, 12, 4, 13, 5);
  f.scheduler->Tick();
  CHECK(f.launcher.submitted.size() == 2);
}

TEST_CASE("scheduler: overlap skip records the fire as skipped, queue submits anyway") {
  SECTION("skip (the default)") {
    Fixture f;
    REQUIRE(f.scheduler->Add(Nightly("0 * * * *")).ok());
    f.now = Utc(2026, 11, 24, 14, 0);
    f.scheduler->Tick();
    f.launcher.jobs["j-1"].state = "running";
    f.now = Utc(2026, 11, 24, 15, 0);
    f.scheduler->Tick();
    CHECK(f.launcher.submitted.size() == 1);
    auto runs = f.Runs();
    REQUIRE(runs.size() == 2);
    CHECK(runs[0].state == "skipped");
    CHECK(runs[0].job_id.empty());
    CHECK(runs[0].note == "the previous run j-1 was still running");
    CHECK(runs[1].state == "running");
    // Once the job ends, the next fire runs.
    f.launcher.Finish("j-1", "succeeded");
    f.now = Utc(2026, 11, 24, 16, 0);
    f.scheduler->Tick();
    CHECK(f.launcher.submitted.size() == 2);
    CHECK(f.Runs()[2].state == "succeeded");
  }
  SECTION("queue") {
    Fixture f;
    REQUIRE(f.scheduler->Add(Nightly("0 * * * *", "queue")).ok());
    f.now = Utc(2026, 11, 24, 14, 0);
    f.scheduler->Tick();
    f.now = Utc(2026, 11, 24, 15, 0);
    f.scheduler->Tick();
    CHECK(f.launcher.submitted.size() == 2);
    auto runs = f.Runs();
    REQUIRE(runs.size() == 2);
    CHECK(runs[0].state == "queued");
    CHECK(runs[1].state == "queued");
  }
}

TEST_CASE("scheduler: schedules and their history survive a restart and go on") {
  Fixture f;
  REQUIRE(f.scheduler->Add(Nightly()).ok());
  f.now = Utc(2026, 11, 25, 2, 0, 1);
  f.scheduler->Tick();
  REQUIRE(f.launcher.submitted.size() == 1);
  // Restart: a new store and scheduler on the same directory, shortly after.
  f.now = Utc(2026, 11, 25, 2, 0, 30);
  f.Open();
  f.scheduler->Tick();
  CHECK(f.launcher.submitted.size() == 1);  // the 02:00 fire is not repeated
  auto list = f.scheduler->List();
  REQUIRE(list.ok());
  REQUIRE(list->size() == 1);
  CHECK((*list)[0].name() == "nightly");
  CHECK((*list)[0].last_run().job_id() == "j-1");
  CHECK((*list)[0].next_fire_unix_us() == absl::ToUnixMicros(Utc(2026, 11, 26, 2, 0)));
  f.launcher.Finish("j-1", "succeeded");
  f.now = Utc(2026, 11, 26, 2, 0);
  f.scheduler->Tick();
  CHECK(f.launcher.submitted.size() == 2);
  CHECK(f.Runs().size() == 2);
}

TEST_CASE("scheduler: a run recorded but not submitted before a crash is submit-failed, not rerun") {
  Fixture f;
  REQUIRE(f.scheduler->Add(Nightly()).ok());
  ScheduleRun run;
  run.schedule = "nightly";
  run.fire_unix_us = absl::ToUnixMicros(Utc(2026, 11, 25, 2, 0));
  run.state = "submitting";
  REQUIRE(f.store->RecordFire(run).ok());
  f.now = Utc(2026, 11, 25, 2, 1);
  f.Open();
  f.scheduler->Tick();
  CHECK(f.launcher.submitted.empty());
  auto runs = f.Runs();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].state == "submit-failed");
}

TEST_CASE("scheduler: a submit error is recorded on the run") {
  Fixture f;
  REQUIRE(f.scheduler->Add(Nightly()).ok());
  f.launcher.submit_error = "agents: 2 requested, 0 connected";
  f.now = Utc(2026, 11, 25, 2, 0);
  f.scheduler->Tick();
  auto runs = f.Runs();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].state == "submit-failed");
  CHECK(runs[0].note == "agents: 2 requested, 0 connected");
}

TEST_CASE("scheduler: each run is compared with the previous successful run, regressions mark it") {
  Fixture f;
  REQUIRE(f.scheduler->Add(Nightly("0 * * * *", "queue")).ok());
  const auto fire_and_finish = [&f](int hour, const std::string& state, double p99, double rps) {
    f.now = Utc(2026, 11, 24, hour, 0);
    f.scheduler->Tick();
    f.launcher.Finish("j-" + std::to_string(f.launcher.submitted.size()), state, p99, rps);
  };
  fire_and_finish(14, "succeeded", 5.0, 1000);   // j-1: the first baseline
  fire_and_finish(15, "failed", 50.0, 10);       // j-2: failed, never a baseline
  fire_and_finish(16, "succeeded", 5.4, 990);    // j-3: p99 +8%, throughput -1%: within limits
  fire_and_finish(17, "succeeded", 6.0, 1000);   // j-4: p99 +11.1% against j-3: regression
  f.now = Utc(2026, 11, 24, 17, 30);
  f.scheduler->Tick();
  auto runs = f.Runs();
  REQUIRE(runs.size() == 4);
  // Newest first.
  CHECK(runs[3].job_id == "j-1");
  CHECK(runs[3].baseline_job_id.empty());
  CHECK_FALSE(runs[3].regression);
  CHECK(runs[2].state == "failed");
  CHECK(runs[2].baseline_job_id.empty());
  CHECK(runs[1].baseline_job_id == "j-1");
  CHECK_FALSE(runs[1].regression);
  CHECK(runs[0].baseline_job_id == "j-3");
  CHECK(runs[0].regression);
  CHECK(runs[0].note.find("regression against j-3") == 0);
  const nlohmann::json comparison = nlohmann::json::parse(runs[0].comparison_json);
  bool p99_flagged = false;
  for (const auto& row : comparison["rows"]) {
    if (row["metric"] == "p99") p99_flagged = row["regression"].get<bool>();
  }
  CHECK(p99_flagged);
  // The summary shows the newest run with its verdict.
  auto shown = f.scheduler->Show("nightly", 2);
  REQUIRE(shown.ok());
  CHECK(shown->first.last_run().regression());
  CHECK(shown->second.size() == 2);
}

TEST_CASE("scheduler: paused schedules do not fire, resume does not fire the missed times") {
  Fixture f;
  REQUIRE(f.scheduler->Add(Nightly("0 * * * *")).ok());
  auto paused = f.scheduler->Pause("nightly");
  REQUIRE(paused.ok());
  CHECK(paused->paused());
  CHECK(paused->next_fire_unix_us() == 0);
  f.now = Utc(2026, 11, 24, 18, 30);
  f.scheduler->Tick();
  CHECK(f.launcher.submitted.empty());
  auto resumed = f.scheduler->Resume("nightly");
  REQUIRE(resumed.ok());
  CHECK(resumed->next_fire_unix_us() == absl::ToUnixMicros(Utc(2026, 11, 24, 19, 0)));
  f.scheduler->Tick();
  CHECK(f.launcher.submitted.empty());
  f.now = Utc(2026, 11, 24, 19, 0);
  f.scheduler->Tick();
  CHECK(f.launcher.submitted.size() == 1);
}

TEST_CASE("scheduler: bad input is refused with the field named") {
  Fixture f;
  StoredSchedule s = Nightly("0 24 * * *");
  auto r = f.scheduler->Add(s);
  REQUIRE(!r.ok());
  CHECK(std::string(r.status().message()) == "cron field 2 (hour) \"24\": expected 0-23");
  s = Nightly();
  s.time_zone = "Europe/Parris";
  r = f.scheduler->Add(s);
  REQUIRE(!r.ok());
  CHECK(std::string(r.status().message()).find("--tz \"Europe/Parris\"") == 0);
  s = Nightly();
  s.overlap = "maybe";
  r = f.scheduler->Add(s);
  REQUIRE(!r.ok());
  CHECK(std::string(r.status().message()) == "--overlap \"maybe\": expected skip or queue");
  s = Nightly();
  s.name = "bad name";
  CHECK(!f.scheduler->Add(s).ok());
  s = Nightly();
  s.max_regression = "p98=10%";
  CHECK(!f.scheduler->Add(s).ok());
  REQUIRE(f.scheduler->Add(Nightly()).ok());
  r = f.scheduler->Add(Nightly());
  REQUIRE(!r.ok());
  CHECK(r.status().code() == absl::StatusCode::kAlreadyExists);
  f.now = Utc(2026, 11, 25, 2, 0);
  f.scheduler->Tick();
  REQUIRE(f.Runs().size() == 1);
  CHECK(f.scheduler->Remove("nightly").ok());
  CHECK(f.Runs().empty());  // its history goes with it
  CHECK(f.scheduler->Remove("nightly").code() == absl::StatusCode::kNotFound);
  CHECK(f.scheduler->Pause("nope").status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("scheduler: a time zone moves the fire instants") {
  Fixture f;
  StoredSchedule s = Nightly();
  s.time_zone = "Europe/Paris";
  auto added = f.scheduler->Add(s);
  REQUIRE(added.ok());
  // 02:00 in Paris in November (CET, UTC+1) is 01:00 UTC.
  CHECK(added->next_fire_unix_us() == absl::ToUnixMicros(Utc(2026, 11, 25, 1, 0)));
}

}  // namespace
}  // namespace vexbench
