// Durable schedules and their run history, in the controller's SQLite file (DIR/vexbench.db,
// beside the job store's tables, on a connection of its own; WAL, synchronous=FULL).
//
// Tables (created if missing; the job store's schema version is not touched):
//   schedules(name PRIMARY KEY, cron, time_zone, spec_json, agents, selector_json, overlap,
//             max_regression, paused, created_unix_us, last_fire_unix_us)
//   schedule_runs(seq PRIMARY KEY AUTOINCREMENT, schedule -> schedules(name) ON DELETE CASCADE,
//                 fire_unix_us, job_id, state, exit_code, regression, baseline_job_id,
//                 comparison_json, note)
//
// Thread safety: every method may be called from any thread (one mutex, one connection).
#ifndef VEXBENCH_CONTROLLER_SCHEDULE_STORE_H_
#define VEXBENCH_CONTROLLER_SCHEDULE_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace vexbench {

struct StoredSchedule {
  std::string name;
  std::string cron;                // as given, e.g. "0 2 * * *"
  std::string time_zone = "UTC";   // IANA name
  std::string spec_json;           // the validated job spec (JobSpec::document)
  int agents = 0;                  // 0: the spec's agents.count
  std::map<std::string, std::string> selector;
  std::string overlap = "skip";    // skip | queue: when the previous run still goes
  std::string max_regression = "p99=10%,throughput=5%";
  bool paused = false;
  int64_t created_unix_us = 0;
  // The last fire instant handled (run or skipped); 0 before the first. Fire times after it
  // and not after "now" are due.
  int64_t last_fire_unix_us = 0;
};

struct ScheduleRun {
  int64_t seq = 0;                 // assigned by AddRun, increasing
  std::string schedule;
  int64_t fire_unix_us = 0;        // the scheduled instant this run stands for
  std::string job_id;              // "" when skipped or not submitted
  // skipped | submit-failed | queued | running | succeeded | failed | partial | cancelled |
  // interrupted (the job's state while it is tracked)
  std::string state;
  int exit_code = -1;              // the job's, once it ended
  bool regression = false;         // compared with baseline_job_id, a limit was exceeded
  std::string baseline_job_id;     // the previous successful run compared with ("" none)
  std::string comparison_json;     // rows of the comparison (JSON array), "" before
  std::string note;                // why skipped, missed fire times collapsed, errors
};

class ScheduleStore {
 public:
  // Opens (creating if missing) DIR/vexbench.db. The error names the file.
  static absl::StatusOr<std::unique_ptr<ScheduleStore>> Open(const std::string& data_dir);
  ~ScheduleStore();

  // AlreadyExists if a schedule has this name.
  absl::Status Add(const StoredSchedule& schedule);
  absl::StatusOr<StoredSchedule> Get(const std::string& name);
  absl::StatusOr<std::vector<StoredSchedule>> List();  // by name
  absl::Status SetPaused(const std::string& name, bool paused);
  // Moves last_fire_unix_us (resume: the times missed while paused are not due).
  absl::Status SetLastFire(const std::string& name, int64_t last_fire_unix_us);
  // Removes the schedule and its history. NotFound if none.
  absl::Status Remove(const std::string& name);

  // In one transaction: records `run` (its seq is assigned and returned) and moves the
  // schedule's last_fire_unix_us to run.fire_unix_us, so a fire is recorded at most once.
  absl::StatusOr<int64_t> RecordFire(const ScheduleRun& run);
  // Replaces the run `run.seq`.
  absl::Status UpdateRun(const ScheduleRun& run);
  // Newest first; at most `limit` (0: all).
  absl::StatusOr<std::vector<ScheduleRun>> ListRuns(const std::string& name, int limit);

 private:
  struct Db;
  explicit ScheduleStore(std::unique_ptr<Db> db);
  std::unique_ptr<Db> db_;
};
using ScheduleStorePtr = std::unique_ptr<ScheduleStore>;

}  // namespace vexbench

#endif  // VEXBENCH_CONTROLLER_SCHEDULE_STORE_H_
