#include "controller/schedule_store.h"

#include <sqlite3.h>

#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <system_error>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace vexbench {
namespace {

constexpr char kSchemaSql[] = R"sql(
CREATE TABLE IF NOT EXISTS schedules (
  name TEXT PRIMARY KEY,
  cron TEXT NOT NULL,
  time_zone TEXT NOT NULL,
  spec_json TEXT NOT NULL,
  agents INTEGER NOT NULL,
  selector_json TEXT NOT NULL,
  overlap TEXT NOT NULL CHECK (overlap IN ('skip', 'queue')),
  max_regression TEXT NOT NULL,
  paused INTEGER NOT NULL,
  created_unix_us INTEGER NOT NULL,
  last_fire_unix_us INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS schedule_runs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  schedule TEXT NOT NULL REFERENCES schedules(name) ON DELETE CASCADE,
  fire_unix_us INTEGER NOT NULL,
  job_id TEXT NOT NULL,
  state TEXT NOT NULL,
  exit_code INTEGER NOT NULL,
  regression INTEGER NOT NULL,
  baseline_job_id TEXT NOT NULL,
  comparison_json TEXT NOT NULL,
  note TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS schedule_runs_by_schedule ON schedule_runs(schedule, seq);
)sql";

constexpr char kScheduleColumns[] =
    "name, cron, time_zone, spec_json, agents, selector_json, overlap, max_regression, paused, "
    "created_unix_us, last_fire_unix_us";
constexpr char kRunColumns[] =
    "seq, schedule, fire_unix_us, job_id, state, exit_code, regression, baseline_job_id, "
    "comparison_json, note";

using Value = std::variant<int64_t, std::string>;

std::string Text(sqlite3_stmt* s, int column) {
  const unsigned char* text = sqlite3_column_text(s, column);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(s, column)));
}

StoredSchedule RowToSchedule(sqlite3_stmt* s) {
  StoredSchedule out;
  out.name = Text(s, 0);
  out.cron = Text(s, 1);
  out.time_zone = Text(s, 2);
  out.spec_json = Text(s, 3);
  out.agents = sqlite3_column_int(s, 4);
  const nlohmann::json selector = nlohmann::json::parse(Text(s, 5), nullptr, false);
  if (selector.is_object()) {
    for (const auto& [k, v] : selector.items()) {
      if (v.is_string()) out.selector[k] = v.get<std::string>();
    }
  }
  out.overlap = Text(s, 6);
  out.max_regression = Text(s, 7);
  out.paused = sqlite3_column_int(s, 8) != 0;
  out.created_unix_us = sqlite3_column_int64(s, 9);
  out.last_fire_unix_us = sqlite3_column_int64(s, 10);
  return out;
}

ScheduleRun RowToRun(sqlite3_stmt* s) {
  ScheduleRun out;
  out.seq = sqlite3_column_int64(s, 0);
  out.schedule = Text(s, 1);
  out.fire_unix_us = sqlite3_column_int64(s, 2);
  out.job_id = Text(s, 3);
  out.state = Text(s, 4);
  out.exit_code = sqlite3_column_int(s, 5);
  out.regression = sqlite3_column_int(s, 6) != 0;
  out.baseline_job_id = Text(s, 7);
  out.comparison_json = Text(s, 8);
  out.note = Text(s, 9);
  return out;
}

}  // namespace

struct ScheduleStore::Db {
  std::string path;
  std::mutex mu;
  sqlite3* db = nullptr;
  ~Db() {
    if (db != nullptr) sqlite3_close_v2(db);
  }

  absl::Status Error(const std::string& what) const {
    return absl::InternalError(absl::StrCat("schedule store ", path, ": ", what, ": ",
                                            db != nullptr ? sqlite3_errmsg(db) : "not open"));
  }

  absl::Status Exec(const std::string& sql, const std::string& what) {
    char* message = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      std::string text = message != nullptr ? message : "";
      sqlite3_free(message);
      return absl::InternalError(absl::StrCat("schedule store ", path, ": ", what, ": ", text));
    }
    return absl::OkStatus();
  }

  // Runs `sql` with `values` bound to ?1, ?2, ...; calls `row` for each result row. Returns
  // the number of rows changed.
  absl::StatusOr<int> Run(const std::string& sql, const std::vector<Value>& values,
                          const std::function<void(sqlite3_stmt*)>& row = nullptr) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size() + 1), &raw, nullptr) !=
        SQLITE_OK) {
      return Error("prepare " + sql);
    }
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> statement(raw, sqlite3_finalize);
    int index = 0;
    for (const Value& v : values) {
      ++index;
      int rc = SQLITE_OK;
      if (const auto* i = std::get_if<int64_t>(&v)) {
        rc = sqlite3_bind_int64(raw, index, *i);
      } else {
        const std::string& t = std::get<std::string>(v);
        rc = sqlite3_bind_text64(raw, index, t.data(), t.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      }
      if (rc != SQLITE_OK) return Error("bind");
    }
    while (true) {
      const int rc = sqlite3_step(raw);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return Error("step " + sql);
      if (row) row(raw);
    }
    return sqlite3_changes(db);
  }
};

ScheduleStore::ScheduleStore(std::unique_ptr<Db> db) : db_(std::move(db)) {}
ScheduleStore::~ScheduleStore() = default;

absl::StatusOr<ScheduleStorePtr> ScheduleStore::Open(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return absl::InternalError("cannot create " + data_dir + ": " + ec.message());
  auto db = std::make_unique<Db>();
  db->path = (std::filesystem::path(data_dir) / "vexbench.db").string();
  if (sqlite3_open_v2(db->path.c_str(), &db->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      nullptr) != SQLITE_OK) {
    return db->Error("cannot open");
  }
  sqlite3_busy_timeout(db->db, 5000);
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"}) {
    if (absl::Status s = db->Exec(pragma, pragma); !s.ok()) return s;
  }
  if (absl::Status s = db->Exec(absl::StrCat("BEGIN IMMEDIATE;", kSchemaSql, "COMMIT;"),
                                "create the schedule tables");
      !s.ok()) {
    (void)db->Exec("ROLLBACK", "rollback");
    return s;
  }
  return ScheduleStorePtr(new ScheduleStore(std::move(db)));
}

absl::Status ScheduleStore::Add(const StoredSchedule& s) {
  std::lock_guard lock(db_->mu);
  nlohmann::json selector = nlohmann::json::object();
  for (const auto& [k, v] : s.selector) selector[k] = v;
  int exists = 0;
  auto found = db_->Run("SELECT 1 FROM schedules WHERE name = ?1", {s.name},
                        [&](sqlite3_stmt*) { exists = 1; });
  if (!found.ok()) return found.status();
  if (exists != 0) return absl::AlreadyExistsError("schedule \"" + s.name + "\" exists; remove it first (schedule rm)");
  auto r = db_->Run(absl::StrCat("INSERT INTO schedules (", kScheduleColumns,
                                 ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"),
                    {s.name, s.cron, s.time_zone, s.spec_json, int64_t{s.agents}, selector.dump(),
                     s.overlap, s.max_regression, int64_t{s.paused ? 1 : 0}, s.created_unix_us,
                     s.last_fire_unix_us});
  return r.status();
}

absl::StatusOr<StoredSchedule> ScheduleStore::Get(const std::string& name) {
  std::lock_guard lock(db_->mu);
  std::optional<StoredSchedule> out;
  auto r = db_->Run(absl::StrCat("SELECT ", kScheduleColumns, " FROM schedules WHERE name = ?1"),
                    {name}, [&](sqlite3_stmt* s) { out = RowToSchedule(s); });
  if (!r.ok()) return r.status();
  if (!out) return absl::NotFoundError("no schedule \"" + name + "\" (see `vexbench schedule list`)");
  return *out;
}

absl::StatusOr<std::vector<StoredSchedule>> ScheduleStore::List() {
  std::lock_guard lock(db_->mu);
  std::vector<StoredSchedule> out;
  auto r = db_->Run(absl::StrCat("SELECT ", kScheduleColumns, " FROM schedules ORDER BY name"), {},
                    [&](sqlite3_stmt* s) { out.push_back(RowToSchedule(s)); });
  if (!r.ok()) return r.status();
  return out;
}

absl::Status ScheduleStore::SetPaused(const std::string& name, bool paused) {
  std::lock_guard lock(db_->mu);
  auto r = db_->Run("UPDATE schedules SET paused = ?1 WHERE name = ?2",
                    {int64_t{paused ? 1 : 0}, name});
  if (!r.ok()) return r.status();
  if (*r == 0) return absl::NotFoundError("no schedule \"" + name + "\" (see `vexbench schedule list`)");
  return absl::OkStatus();
}

absl::Status ScheduleStore::SetLastFire(const std::string& name, int64_t last_fire_unix_us) {
  std::lock_guard lock(db_->mu);
  auto r = db_->Run("UPDATE schedules SET last_fire_unix_us = ?1 WHERE name = ?2",
                    {last_fire_unix_us, name});
  if (!r.ok()) return r.status();
  if (*r == 0) return absl::NotFoundError("no schedule \"" + name + "\" (see `vexbench schedule list`)");
  return absl::OkStatus();
}

absl::Status ScheduleStore::Remove(const std::string& name) {
  std::lock_guard lock(db_->mu);
  // The history goes with it (ON DELETE CASCADE, foreign_keys=ON).
  auto r = db_->Run("DELETE FROM schedules WHERE name = ?1", {name});
  if (!r.ok()) return r.status();
  if (*r == 0) return absl::NotFoundError("no schedule \"" + name + "\" (see `vexbench schedule list`)");
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ScheduleStore::RecordFire(const ScheduleRun& run) {
  std::lock_guard lock(db_->mu);
  if (absl::Status s = db_->Exec("BEGIN IMMEDIATE", "begin"); !s.ok()) return s;
  int64_t seq = 0;
  auto inserted = db_->Run(
      absl::StrCat("INSERT INTO schedule_runs (", std::string(kRunColumns).substr(5),
                   ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING seq"),
      {run.schedule, run.fire_unix_us, run.job_id, run.state, int64_t{run.exit_code},
       int64_t{run.regression ? 1 : 0}, run.baseline_job_id, run.comparison_json, run.note},
      [&](sqlite3_stmt* s) { seq = sqlite3_column_int64(s, 0); });
  absl::StatusOr<int> moved = inserted.ok() ? db_->Run(
      "UPDATE schedules SET last_fire_unix_us = ?1 WHERE name = ?2",
      {run.fire_unix_us, run.schedule}) : inserted;
  if (!moved.ok() || *moved == 0) {
    (void)db_->Exec("ROLLBACK", "rollback");
    if (!moved.ok()) return moved.status();
    return absl::NotFoundError("no schedule \"" + run.schedule + "\"");
  }
  if (absl::Status s = db_->Exec("COMMIT", "commit"); !s.ok()) return s;
  return seq;
}

absl::Status ScheduleStore::UpdateRun(const ScheduleRun& run) {
  std::lock_guard lock(db_->mu);
  auto r = db_->Run(
      "UPDATE schedule_runs SET job_id = ?1, state = ?2, exit_code = ?3, regression = ?4, "
      "baseline_job_id = ?5, comparison_json = ?6, note = ?7 WHERE seq = ?8",
      {run.job_id, run.state, int64_t{run.exit_code}, int64_t{run.regression ? 1 : 0},
       run.baseline_job_id, run.comparison_json, run.note, run.seq});
  if (!r.ok()) return r.status();
  if (*r == 0) return absl::NotFoundError(absl::StrCat("no schedule run ", run.seq));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ScheduleRun>> ScheduleStore::ListRuns(const std::string& name,
                                                                 int limit) {
  std::lock_guard lock(db_->mu);
  std::vector<ScheduleRun> out;
  auto r = db_->Run(absl::StrCat("SELECT ", kRunColumns,
                                 " FROM schedule_runs WHERE schedule = ?1 ORDER BY seq DESC "
                                 "LIMIT ?2"),
                    {name, int64_t{limit > 0 ? limit : -1}},
                    [&](sqlite3_stmt* s) { out.push_back(RowToRun(s)); });
  if (!r.ok()) return r.status();
  return out;
}

}  // namespace vexbench
