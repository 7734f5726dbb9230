// JobStore on SQLite: one connection behind one mutex, statements prepared once at open.
//
// Schema (PRAGMA user_version = 1):
//   jobs(seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE = printf('j-%06d', seq), ...)
//   agent_messages(arrival INTEGER PRIMARY KEY AUTOINCREMENT, job_id -> jobs(id), shard, kind,
//                  payload = serialized v1::AgentMessage), indexed on (job_id, arrival).
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "controller/job_store.h"

namespace vexbench {
namespace {

constexpr int kSchemaVersion = 1;

constexpr char kCreateSchemaSql[] = R"sql(
CREATE TABLE IF NOT EXISTS jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT UNIQUE,
  name TEXT NOT NULL,
  state TEXT NOT NULL,
  spec_json TEXT NOT NULL,
  agents INTEGER NOT NULL,
  selector_json TEXT NOT NULL,
  created_unix_us INTEGER NOT NULL,
  started_unix_us INTEGER NOT NULL,
  ended_unix_us INTEGER NOT NULL,
  error TEXT NOT NULL,
  exit_code INTEGER NOT NULL,
  shards_json TEXT NOT NULL,
  report_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS agent_messages (
  arrival INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL REFERENCES jobs(id),
  shard INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('interval', 'phase_end', 'done', 'other')),
  payload BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS agent_messages_by_job ON agent_messages(job_id, arrival);
)sql";

// The job columns in the order RowToJob reads them and the UPDATE binds them (after id).
constexpr char kJobColumns[] =
    "id, name, state, spec_json, agents, selector_json, created_unix_us, started_unix_us, "
    "ended_unix_us, error, exit_code, shards_json, report_json";

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;

struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

// Resets a reused statement and drops its bindings when the use ends, whatever the outcome.
class StatementUse {
 public:
  explicit StatementUse(sqlite3_stmt* statement) : statement_(statement) {}
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;
  ~StatementUse() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  sqlite3_stmt* get() const { return statement_; }

 private:
  sqlite3_stmt* statement_;
};

// Binds parameters ?1, ?2, ... in order; keeps the first error code.
class Binder {
 public:
  explicit Binder(sqlite3_stmt* statement) : statement_(statement) {}
  Binder& Text(const std::string& value) {
    return Check(sqlite3_bind_text64(statement_, ++index_, value.data(), value.size(),
                                     SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  Binder& Blob(const std::string& value) {
    return Check(
        sqlite3_bind_blob64(statement_, ++index_, value.data(), value.size(), SQLITE_TRANSIENT));
  }
  Binder& Int64(int64_t value) { return Check(sqlite3_bind_int64(statement_, ++index_, value)); }
  Binder& Null() { return Check(sqlite3_bind_null(statement_, ++index_)); }
  bool ok() const { return rc_ == SQLITE_OK; }

 private:
  Binder& Check(int rc) {
    if (rc_ == SQLITE_OK) rc_ = rc;
    return *this;
  }
  sqlite3_stmt* statement_;
  int index_ = 0;
  int rc_ = SQLITE_OK;
};

std::string ColumnText(sqlite3_stmt* statement, int column) {
  const unsigned char* text = sqlite3_column_text(statement, column);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(statement, column)));
}

const char* MessageKind(const v1::AgentMessage& message) {
  switch (message.body_case()) {
    case v1::AgentMessage::kInterval:
      return "interval";
    case v1::AgentMessage::kPhaseEnd:
      return "phase_end";
    case v1::AgentMessage::kDone:
      return "done";
    default:
      return "other";
  }
}

absl::Status NoSuchJob(const std::string& id) {
  return absl::NotFoundError("job " + id + " does not exist");
}

// Binds every field of `job` except its id, in kJobColumns order.
Binder& BindJobFields(const StoredJob& job, Binder& binder) {
  nlohmann::json selector(job.selector);
  return binder.Text(job.name)
      .Text(job.state)
      .Text(job.spec_json)
      .Int64(job.agents)
      .Text(selector.dump())
      .Int64(job.created_unix_us)
      .Int64(job.started_unix_us)
      .Int64(job.ended_unix_us)
      .Text(job.error)
      .Int64(job.exit_code)
      .Text(job.shards.dump())
      .Text(job.report_json);
}

class SqliteJobStore : public JobStore {
 public:
  static absl::StatusOr<JobStorePtr> Open(const std::string& data_dir);

  // JobStore
  absl::StatusOr<std::string> CreateJob(const StoredJob& job) override;
  absl::Status UpdateJob(const StoredJob& job) override;
  absl::StatusOr<StoredJob> GetJob(const std::string& id) override;
  absl::StatusOr<std::vector<StoredJob>> ListJobs(int limit,
                                                  const std::optional<std::string>& state) override;
  absl::Status AppendAgentMessage(const std::string& job_id, int shard,
                                  const v1::AgentMessage& message) override;
  absl::StatusOr<std::vector<std::pair<int, v1::AgentMessage>>> LoadAgentMessages(
      const std::string& job_id) override;

 private:
  explicit SqliteJobStore(std::string path) : path_(std::move(path)) {}

  // Opening, in order: connection, pragmas, schema, statements.
  absl::Status OpenLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ConfigureLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CreateSchemaLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status PrepareLocked(const std::string& sql, StatementPtr* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ExecLocked(const std::string& sql, const std::string& operation)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs a single-row PRAGMA query and returns its first column as text.
  absl::StatusOr<std::string> QueryPragmaLocked(const std::string& pragma)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Steps a statement that returns no row (or whose rows are ignored) to completion.
  absl::Status StepToDoneLocked(sqlite3_stmt* statement, const std::string& operation)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status RollbackLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::string> InsertJobLocked(const StoredJob& job)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<StoredJob> RowToJob(sqlite3_stmt* statement) const;

  // The error of the last failed call on the connection, naming the operation and the file.
  absl::Status SqliteError(const std::string& operation) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;  // DIR/vexbench.db
  mutable std::mutex mu_;
  // Declared before the statements so that they are finalized before the connection closes.
  DbPtr db_ ABSL_GUARDED_BY(mu_);
  StatementPtr begin_ ABSL_GUARDED_BY(mu_);
  StatementPtr commit_ ABSL_GUARDED_BY(mu_);
  StatementPtr rollback_ ABSL_GUARDED_BY(mu_);
  StatementPtr insert_job_ ABSL_GUARDED_BY(mu_);
  StatementPtr assign_job_id_ ABSL_GUARDED_BY(mu_);
  StatementPtr update_job_ ABSL_GUARDED_BY(mu_);
  StatementPtr get_job_ ABSL_GUARDED_BY(mu_);
  StatementPtr list_jobs_ ABSL_GUARDED_BY(mu_);
  StatementPtr append_message_ ABSL_GUARDED_BY(mu_);
  StatementPtr load_messages_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<JobStorePtr> SqliteJobStore::Open(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (!ec && !std::filesystem::is_directory(data_dir, ec) && !ec) {
    ec = std::make_error_code(std::errc::not_a_directory);
  }
  if (ec) {
    return absl::ErrnoToStatus(ec.value(), "job store: cannot create the data directory \"" +
                                               data_dir + "\" (expected a writable directory)");
  }
  std::unique_ptr<SqliteJobStore> store(
      new SqliteJobStore((std::filesystem::path(data_dir) / "vexbench.db").string()));
  {
    std::lock_guard<std::mutex> lock(store->mu_);
    absl::Status status = store->OpenLocked();
    if (!status.ok()) return status;
  }
  return JobStorePtr(std::move(store));
}

absl::Status SqliteJobStore::OpenLocked() {
  sqlite3* raw = nullptr;
  // NOMUTEX: mu_ serializes every use of the connection.
  int rc =
      sqlite3_open_v2(path_.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  db_.reset(raw);  // closes it on failure too
  if (rc != SQLITE_OK) {
    std::string message = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    return absl::InternalError("job store " + path_ + ": cannot open: " + message);
  }
  sqlite3_extended_result_codes(db_.get(), 1);
  if (absl::Status s = ConfigureLocked(); !s.ok()) return s;
  if (absl::Status s = CreateSchemaLocked(); !s.ok()) return s;

  const std::string columns = kJobColumns;
  const std::pair<const char*, StatementPtr*> statements[] = {
      {"BEGIN IMMEDIATE", &begin_},
      {"COMMIT", &commit_},
      {"ROLLBACK", &rollback_},
      {"INSERT INTO jobs (name, state, spec_json, agents, selector_json, created_unix_us, "
       "started_unix_us, ended_unix_us, error, exit_code, shards_json, report_json) "
       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
       &insert_job_},
      {"UPDATE jobs SET id = printf('j-%06d', seq) WHERE seq = ? RETURNING id", &assign_job_id_},
      {"UPDATE jobs SET name = ?, state = ?, spec_json = ?, agents = ?, selector_json = ?, "
       "created_unix_us = ?, started_unix_us = ?, ended_unix_us = ?, error = ?, exit_code = ?, "
       "shards_json = ?, report_json = ? WHERE id = ?",
       &update_job_},
  };
  for (const auto& [sql, out] : statements) {
    if (absl::Status s = PrepareLocked(sql, out); !s.ok()) return s;
  }
  if (absl::Status s = PrepareLocked("SELECT " + columns + " FROM jobs WHERE id = ?", &get_job_);
      !s.ok()) {
    return s;
  }
  // A negative LIMIT means no limit; a NULL state means every state.
  if (absl::Status s = PrepareLocked("SELECT " + columns +
                                         " FROM jobs WHERE ?1 IS NULL OR state = ?1 "
                                         "ORDER BY seq DESC LIMIT ?2",
                                     &list_jobs_);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = PrepareLocked(
          "INSERT INTO agent_messages (job_id, shard, kind, payload) VALUES (?, ?, ?, ?)",
          &append_message_);
      !s.ok()) {
    return s;
  }
  return PrepareLocked(
      "SELECT shard, arrival, payload FROM agent_messages WHERE job_id = ? ORDER BY arrival",
      &load_messages_);
}

absl::Status SqliteJobStore::ConfigureLocked() {
  if (sqlite3_busy_timeout(db_.get(), 5000) != SQLITE_OK) {
    return SqliteError("set busy_timeout");
  }
  absl::StatusOr<std::string> mode = QueryPragmaLocked("PRAGMA journal_mode=WAL");
  if (!mode.ok()) return mode.status();
  if (*mode != "wal") {
    return absl::FailedPreconditionError("job store " + path_ +
                                         ": cannot use write-ahead logging (journal_mode is \"" +
                                         *mode + "\"; expected \"wal\")");
  }
  // FULL, not NORMAL: in WAL mode NORMAL skips the fsync of the WAL at each commit, so a power
  // loss could drop the last commits. FULL syncs the WAL on every commit, so a committed message
  // survives power loss and a crash loses at most the message in flight.
  if (absl::Status s = ExecLocked("PRAGMA synchronous=FULL", "set synchronous=FULL"); !s.ok()) {
    return s;
  }
  return ExecLocked("PRAGMA foreign_keys=ON", "enable foreign keys");
}

absl::Status SqliteJobStore::CreateSchemaLocked() {
  // IMMEDIATE: two processes opening a new file at once create the schema one after the other.
  if (absl::Status s = ExecLocked("BEGIN IMMEDIATE", "begin schema transaction"); !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> version = QueryPragmaLocked("PRAGMA user_version");
  absl::Status status = version.status();
  if (status.ok() && *version == "0") {
    status = ExecLocked(kCreateSchemaSql, "create schema");
    if (status.ok()) {
      status =
          ExecLocked("PRAGMA user_version=" + std::to_string(kSchemaVersion), "set schema version");
    }
  } else if (status.ok() && *version != std::to_string(kSchemaVersion)) {
    status = absl::FailedPreconditionError("job store " + path_ + ": schema version " + *version +
                                           " is not supported; expected version " +
                                           std::to_string(kSchemaVersion) +
                                           " (written by another vexbench version?)");
  }
  if (!status.ok()) {
    sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    return status;
  }
  return ExecLocked("COMMIT", "commit schema");
}

absl::Status SqliteJobStore::PrepareLocked(const std::string& sql, StatementPtr* out) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db_.get(), sql.c_str(), static_cast<int>(sql.size() + 1),
                              SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  out->reset(raw);
  if (rc != SQLITE_OK) return SqliteError("prepare \"" + sql + "\"");
  return absl::OkStatus();
}

absl::Status SqliteJobStore::ExecLocked(const std::string& sql, const std::string& operation) {
  if (sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqliteError(operation);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> SqliteJobStore::QueryPragmaLocked(const std::string& pragma) {
  StatementPtr statement;
  if (absl::Status s = PrepareLocked(pragma, &statement); !s.ok()) return s;
  if (sqlite3_step(statement.get()) != SQLITE_ROW) return SqliteError("\"" + pragma + "\"");
  return ColumnText(statement.get(), 0);
}

absl::Status SqliteJobStore::StepToDoneLocked(sqlite3_stmt* statement,
                                              const std::string& operation) {
  int rc;
  while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE) return SqliteError(operation);
  return absl::OkStatus();
}

absl::Status SqliteJobStore::RollbackLocked() {
  // After some errors SQLite has already rolled back; ROLLBACK then fails harmlessly.
  if (sqlite3_get_autocommit(db_.get())) return absl::OkStatus();
  StatementUse use(rollback_.get());
  return StepToDoneLocked(use.get(), "roll back");
}

absl::Status SqliteJobStore::SqliteError(const std::string& operation) const {
  return absl::InternalError("job store " + path_ + ": " + operation + ": " +
                             sqlite3_errmsg(db_.get()));
}

absl::StatusOr<StoredJob> SqliteJobStore::RowToJob(sqlite3_stmt* statement) const {
  StoredJob job;
  job.id = ColumnText(statement, 0);
  job.name = ColumnText(statement, 1);
  job.state = ColumnText(statement, 2);
  job.spec_json = ColumnText(statement, 3);
  job.agents = sqlite3_column_int(statement, 4);
  std::string selector_json = ColumnText(statement, 5);
  job.created_unix_us = sqlite3_column_int64(statement, 6);
  job.started_unix_us = sqlite3_column_int64(statement, 7);
  job.ended_unix_us = sqlite3_column_int64(statement, 8);
  job.error = ColumnText(statement, 9);
  job.exit_code = sqlite3_column_int(statement, 10);
  std::string shards_json = ColumnText(statement, 11);
  job.report_json = ColumnText(statement, 12);

  nlohmann::json selector = nlohmann::json::parse(selector_json, nullptr, false);
  if (!selector.is_object()) {
    return absl::DataLossError("job " + job.id + " in " + path_ + ": selector_json \"" +
                               selector_json + "\" is not a JSON object");
  }
  for (const auto& [key, value] : selector.items()) {
    if (!value.is_string()) {
      return absl::DataLossError("job " + job.id + " in " + path_ + ": selector_json." + key +
                                 " is " + value.dump() + "; expected a string");
    }
    job.selector[key] = value.get<std::string>();
  }
  job.shards = nlohmann::json::parse(shards_json, nullptr, false);
  if (job.shards.is_discarded()) {
    return absl::DataLossError("job " + job.id + " in " + path_ + ": shards_json \"" + shards_json +
                               "\" is not valid JSON");
  }
  return job;
}

// JobStore

absl::StatusOr<std::string> SqliteJobStore::CreateJob(const StoredJob& job) {
  std::lock_guard<std::mutex> lock(mu_);
  {
    StatementUse use(begin_.get());
    if (absl::Status s = StepToDoneLocked(use.get(), "begin create job"); !s.ok()) return s;
  }
  absl::StatusOr<std::string> id = InsertJobLocked(job);
  absl::Status status = id.status();
  if (status.ok()) {
    StatementUse use(commit_.get());
    status = StepToDoneLocked(use.get(), "commit create job");
  }
  if (!status.ok()) {
    RollbackLocked().IgnoreError();  // the first error is the one to report
    return status;
  }
  return id;
}

absl::StatusOr<std::string> SqliteJobStore::InsertJobLocked(const StoredJob& job) {
  StoredJob queued = job;
  queued.state = "queued";
  {
    StatementUse use(insert_job_.get());
    Binder binder(use.get());
    if (!BindJobFields(queued, binder).ok()) return SqliteError("bind new job");
    if (absl::Status s = StepToDoneLocked(use.get(), "insert job"); !s.ok()) return s;
  }
  StatementUse use(assign_job_id_.get());
  if (!Binder(use.get()).Int64(sqlite3_last_insert_rowid(db_.get())).ok()) {
    return SqliteError("bind new job seq");
  }
  if (sqlite3_step(use.get()) != SQLITE_ROW) return SqliteError("assign job id");
  std::string id = ColumnText(use.get(), 0);
  if (absl::Status s = StepToDoneLocked(use.get(), "assign job id"); !s.ok()) return s;
  return id;
}

absl::Status SqliteJobStore::UpdateJob(const StoredJob& job) {
  std::lock_guard<std::mutex> lock(mu_);
  StatementUse use(update_job_.get());
  Binder binder(use.get());
  if (!BindJobFields(job, binder).Text(job.id).ok()) return SqliteError("bind job " + job.id);
  if (absl::Status s = StepToDoneLocked(use.get(), "update job " + job.id); !s.ok()) return s;
  if (sqlite3_changes(db_.get()) == 0) return NoSuchJob(job.id);
  return absl::OkStatus();
}

absl::StatusOr<StoredJob> SqliteJobStore::GetJob(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  StatementUse use(get_job_.get());
  if (!Binder(use.get()).Text(id).ok()) return SqliteError("bind job id " + id);
  int rc = sqlite3_step(use.get());
  if (rc == SQLITE_DONE) return NoSuchJob(id);
  if (rc != SQLITE_ROW) return SqliteError("read job " + id);
  return RowToJob(use.get());
}

absl::StatusOr<std::vector<StoredJob>> SqliteJobStore::ListJobs(
    int limit, const std::optional<std::string>& state) {
  if (limit < 0) {
    return absl::InvalidArgumentError("list jobs: limit " + std::to_string(limit) +
                                      " is negative; expected 0 (all) or a maximum count");
  }
  std::lock_guard<std::mutex> lock(mu_);
  StatementUse use(list_jobs_.get());
  Binder binder(use.get());
  if (state.has_value()) {
    binder.Text(*state);
  } else {
    binder.Null();
  }
  if (!binder.Int64(limit == 0 ? -1 : limit).ok()) return SqliteError("bind job list query");
  std::vector<StoredJob> jobs;
  int rc;
  while ((rc = sqlite3_step(use.get())) == SQLITE_ROW) {
    absl::StatusOr<StoredJob> job = RowToJob(use.get());
    if (!job.ok()) return job.status();
    jobs.push_back(*std::move(job));
  }
  if (rc != SQLITE_DONE) return SqliteError("list jobs");
  return jobs;
}

absl::Status SqliteJobStore::AppendAgentMessage(const std::string& job_id, int shard,
                                                const v1::AgentMessage& message) {
  std::string payload;
  if (!message.SerializeToString(&payload)) {
    return absl::InvalidArgumentError("agent message of job " + job_id + " shard " +
                                      std::to_string(shard) + " cannot be serialized");
  }
  std::lock_guard<std::mutex> lock(mu_);
  StatementUse use(append_message_.get());
  if (!Binder(use.get()).Text(job_id).Int64(shard).Text(MessageKind(message)).Blob(payload).ok()) {
    return SqliteError("bind agent message of job " + job_id);
  }
  // Autocommit: the INSERT is its own transaction, synced to the WAL before it returns.
  int rc = sqlite3_step(use.get());
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return NoSuchJob(job_id);
  if (rc != SQLITE_DONE) return SqliteError("append agent message of job " + job_id);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::pair<int, v1::AgentMessage>>> SqliteJobStore::LoadAgentMessages(
    const std::string& job_id) {
  std::lock_guard<std::mutex> lock(mu_);
  StatementUse use(load_messages_.get());
  if (!Binder(use.get()).Text(job_id).ok()) return SqliteError("bind job id " + job_id);
  std::vector<std::pair<int, v1::AgentMessage>> messages;
  int rc;
  while ((rc = sqlite3_step(use.get())) == SQLITE_ROW) {
    const int shard = sqlite3_column_int(use.get(), 0);
    const int64_t arrival = sqlite3_column_int64(use.get(), 1);
    const void* payload = sqlite3_column_blob(use.get(), 2);
    const int size = sqlite3_column_bytes(use.get(), 2);
    v1::AgentMessage message;
    if (!message.ParseFromArray(payload, size)) {
      return absl::DataLossError("job " + job_id + ": stored agent message at arrival " +
                                 std::to_string(arrival) + " (shard " + std::to_string(shard) +
                                 ", " + std::to_string(size) + " bytes) in " + path_ +
                                 " is not a valid v1::AgentMessage");
    }
    messages.emplace_back(shard, std::move(message));
  }
  if (rc != SQLITE_DONE) return SqliteError("load agent messages of job " + job_id);
  return messages;
}

}  // namespace

absl::StatusOr<JobStorePtr> OpenSqliteJobStore(const std::string& data_dir) {
  return SqliteJobStore::Open(data_dir);
}

}  // namespace vexbench
