// Schedules: cron-timed jobs the controller submits itself, with a history per schedule and a
// regression check of each run against the previous successful run of the same schedule
// (compare.h's CompareReports under the schedule's max_regression limits).
//
// Rules a user relies on:
//   - Fire times are the cron's (cron.h, DST rule included) in the schedule's time zone.
//   - Fire times missed while the controller was down (or its clock jumped) fire once, at the
//     first tick after, for the latest missed time; never a storm. The run's note says so.
//   - Overlap: if a previous run of the schedule is still queued or running, `skip` (default)
//     records the fire as `skipped`; `queue` submits anyway (the controller queues the job).
//   - Paused schedules do not fire; resuming does not fire the times missed while paused.
//   - A fire is recorded (and last_fire moved) before its job is submitted, so a crash in between
//     loses that run (shown as submit-failed) instead of running it twice.
//
// Thread safety: every public method may be called from any thread; Tick() runs under one mutex.
#ifndef VEXBENCH_CONTROLLER_SCHEDULER_H_
#define VEXBENCH_CONTROLLER_SCHEDULER_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controller/schedule_store.h"
#include "proto/vexbench.pb.h"

namespace vexbench {

// What the scheduler needs from the controller (a test double in tests).
class JobLauncher {
 public:
  virtual ~JobLauncher() = default;
  // Submits the schedule's job; returns its id.
  virtual absl::StatusOr<std::string> Submit(const StoredSchedule& schedule) = 0;
  struct JobStatus {
    std::string state;        // queued | running | succeeded | failed | ...
    int exit_code = -1;       // -1 until it ended
    std::string report_json;  // the final report once ended
  };
  virtual absl::StatusOr<JobStatus> Status(const std::string& job_id) = 0;
};

// The default of --max-regression (compare.h's DefaultRegressionLimits).
inline constexpr char kDefaultMaxRegression[] = "p99=10%,throughput=5%";

class Scheduler {
 public:
  struct Options {
    std::function<absl::Time()> now = [] { return absl::Now(); };
    int history_tracked = 200;  // runs per schedule looked at for tracking and baselines
  };
  // `store` and `launcher` must outlive the scheduler.
  Scheduler(ScheduleStore& store, JobLauncher& launcher, Options options);
  ~Scheduler();  // stops the ticking thread

  // Calls Tick() every `period` on a thread of its own until destruction.
  void Start(std::chrono::milliseconds period = std::chrono::seconds(1));

  // Validates (name, cron, time zone, overlap, limits; the spec is validated by the caller) and
  // stores. The first fire is the first cron time after now.
  absl::StatusOr<v1::ScheduleSummary> Add(StoredSchedule schedule);
  absl::StatusOr<v1::ScheduleSummary> Pause(const std::string& name);
  absl::StatusOr<v1::ScheduleSummary> Resume(const std::string& name);
  absl::Status Remove(const std::string& name);
  absl::StatusOr<std::vector<v1::ScheduleSummary>> List();
  // The schedule and its newest `history_limit` runs, newest first.
  absl::StatusOr<std::pair<v1::ScheduleSummary, std::vector<v1::ScheduleRun>>> Show(
      const std::string& name, int history_limit);

  // Follows running jobs, then fires what is due. The thread of Start() calls it; tests call it
  // directly with an injected clock.
  void Tick();

 private:
  absl::StatusOr<v1::ScheduleSummary> Summary(const StoredSchedule& s);
  void TrackRuns(const StoredSchedule& s, std::vector<ScheduleRun>& runs)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(tick_mu_);
  void Compare(const StoredSchedule& s, ScheduleRun& run, const std::string& report_json,
               const std::vector<ScheduleRun>& runs) ABSL_EXCLUSIVE_LOCKS_REQUIRED(tick_mu_);
  void FireIfDue(const StoredSchedule& s, const std::vector<ScheduleRun>& runs, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(tick_mu_);

  ScheduleStore& store_;
  JobLauncher& launcher_;
  const Options options_;

  std::mutex tick_mu_;  // one Tick at a time; Add/Pause/... go straight to the store

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread thread_;
};

v1::ScheduleRun ToProto(const ScheduleRun& run);

}  // namespace vexbench

#endif  // VEXBENCH_CONTROLLER_SCHEDULER_H_
