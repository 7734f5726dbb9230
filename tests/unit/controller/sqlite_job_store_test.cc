#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "controller/job_store.h"
#include "tests/unit/support/temp_dir.h"

namespace vexbench {
namespace {

namespace fs = std::filesystem;

JobStorePtr OpenOrDie(const std::string& dir) {
  absl::StatusOr<JobStorePtr> store = OpenSqliteJobStore(dir);
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return *std::move(store);
}

std::string CreateOrDie(JobStore& store, const StoredJob& job) {
  absl::StatusOr<std::string> id = store.CreateJob(job);
  INFO(id.status().ToString());
  REQUIRE(id.ok());
  return *id;
}

// A job with every field set to a value other than its default.
StoredJob FullJob() {
  StoredJob job;
  job.name = "nightly ☃ 検索 — ünïcødé";
  job.state = "running";  // CreateJob stores queued regardless
  job.spec_json = R"({"targets":[{"name":"web","kind":"http"}],"phases":[{"rate":100}]})";
  job.agents = 3;
  job.selector = {{"zone", "eu-west-1a"}, {"tier", "large"}, {"empty", ""}};
  job.created_unix_us = 1'700'000'000'123'456;
  job.started_unix_us = 1'700'000'001'000'000;
  job.ended_unix_us = 1'700'000'061'000'000;
  job.error = "shard 2: connect refused\nsecond line";
  job.exit_code = 3;
  job.shards = nlohmann::json::array(
      {{{"name", "a1"}, {"host", "h1"}, {"cores", 8}, {"clock_offset_us", -42}, {"rtt_us", 310}},
       {{"name", "a2"}, {"host", "h2"}, {"cores", 16}, {"start_skew_us", 1.5}}});
  job.report_json = R"({"series":[{"p99":12.5}],"verdict":"pass"})";
  return job;
}

void CheckSameJob(const StoredJob& got, const StoredJob& want) {
  CHECK(got.id == want.id);
  CHECK(got.name == want.name);
  CHECK(got.state == want.state);
  CHECK(got.spec_json == want.spec_json);
  CHECK(got.agents == want.agents);
  CHECK(got.selector == want.selector);
  CHECK(got.created_unix_us == want.created_unix_us);
  CHECK(got.started_unix_us == want.started_unix_us);
  CHECK(got.ended_unix_us == want.ended_unix_us);
  CHECK(got.error == want.error);
  CHECK(got.exit_code == want.exit_code);
  CHECK(got.shards == want.shards);
  CHECK(got.report_json == want.report_json);
}

// An interval message whose histogram fields hold arbitrary bytes (including NUL and 0xff).
v1::AgentMessage IntervalMessage(int shard, int64_t seq, std::mt19937& rng) {
  v1::AgentMessage message;
  v1::Interval* interval = message.mutable_interval();
  interval->set_job_id("j-000001");
  interval->set_shard_index(shard);
  interval->set_seq(seq);
  interval->set_start_unix_us(1'700'000'000'000'000 + seq * 1'000'000);
  interval->set_length_us(1'000'000);
  v1::SeriesInterval* series = interval->add_series();
  series->mutable_key()->set_target("web");
  series->mutable_key()->set_phase("steady");
  series->mutable_key()->set_op("GET /");
  series->mutable_counters()->set_requests(1000 + seq);
  (*series->mutable_counters()->mutable_errors_by_class())["timeout"] = seq % 7;
  std::string hdr(64 + rng() % 200, '\0');
  for (char& c : hdr) c = static_cast<char>(rng() & 0xff);
  hdr[0] = '\0';
  hdr[1] = '\xff';
  series->set_latency_hdr(hdr);
  return message;
}

// A second connection straight to the database file, as a tool or an operator would open it.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  std::string QueryText(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
    std::string out(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)));
    sqlite3_finalize(statement);
    return out;
  }
  void Exec(const std::string& sql) {
    INFO(sql);
    REQUIRE(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  }

 private:
  sqlite3* db_ = nullptr;
};

TEST_CASE("job store: every StoredJob field round-trips - CreateJob forces queued") {
  TempDir dir;
  JobStorePtr store = OpenOrDie(dir.path());
  StoredJob job = FullJob();
  std::string id = CreateOrDie(*store, job);
  CHECK(id == "j-000001");

  absl::StatusOr<StoredJob> created = store->GetJob(id);
  REQUIRE(created.ok());
  StoredJob want = job;
  want.id = id;
  want.state = "queued";
  CheckSameJob(*created, want);

  want.state = "partial";
  want.name = "renamed ✓";
  want.selector = {{"only", "one"}};
  want.shards = nlohmann::json::array({{{"name", "a3"}, {"state", "done"}}});
  want.report_json = R"({"verdict":"fail"})";
  want.exit_code = 0;
  want.ended_unix_us = 1'700'000'099'000'000;
  REQUIRE(store->UpdateJob(want).ok());
  absl::StatusOr<StoredJob> updated = store->GetJob(id);
  REQUIRE(updated.ok());
  CheckSameJob(*updated, want);
}

TEST_CASE("job store: a default StoredJob round-trips with its defaults") {
  TempDir dir;
  JobStorePtr store = OpenOrDie(dir.path());
  StoredJob job;
  std::string id = CreateOrDie(*store, job);
  absl::StatusOr<StoredJob> got = store->GetJob(id);
  REQUIRE(got.ok());
  job.id = id;
  job.state = "queued";
  CheckSameJob(*got, job);
  CHECK(got->shards.is_array());
}

TEST_CASE("job store: ids are j-000001, j-000002, ... in creation order") {
  TempDir dir;
  JobStorePtr store = OpenOrDie(dir.path());
  StoredJob job;
  job.id = "j-999999";  // ignored
  CHECK(CreateOrDie(*store, job) == "j-000001");
  CHECK(CreateOrDie(*store, job) == "j-000002");
  CHECK(CreateOrDie(*store, job) == "j-000003");
}

TEST_CASE("job store: UpdateJob and GetJob of an unknown id are NotFound naming the id") {
  TempDir dir;
  JobStorePtr store = OpenOrDie(dir.path());
  CreateOrDie(*store, StoredJob{});

  StoredJob missing;
  missing.id = "j-000123";
  absl::Status update = store->UpdateJob(missing);
  CHECK(update.code() == absl::StatusCode::kNotFound);
  CHECK(std::string(update.message()) == "job j-000123 does not exist");

  absl::StatusOr<StoredJob> get = store->GetJob("j-000123");
  CHECK(get.status().code() == absl::StatusCode::kNotFound);
  CHECK(std::string(get.status().message()) == "job j-000123 does not exist");
}

TEST_CASE("job store: ListJobs is newest first, limited, filtered by state") {
  TempDir dir;
  JobStorePtr store = OpenOrDie(dir.path());
  for (int i = 1; i <= 5; ++i) {
    StoredJob job;
    job.name = "job " + std::to_string(i);
    job.id = CreateOrDie(*store, job);
    job.state = i % 2 == 0 ? "succeeded" : "failed";
    REQUIRE(store->UpdateJob(job).ok());
  }
  auto names = [](const std::vector<StoredJob>& jobs) {
    std::vector<std::string> out;
    out.reserve(jobs.size());
    for (const StoredJob& job : jobs) out.push_back(job.name);
    return out;
  };

  absl::StatusOr<std::vector<StoredJob>> all = store->ListJobs(0);
  REQUIRE(all.ok());
  CHECK(names(*all) == std::vector<std::string>{"job 5", "job 4", "job 3", "job 2", "job 1"});
  CHECK(all->front().id == "j-000005");

  absl::StatusOr<std::vector<StoredJob>> two = store->ListJobs(2);
  REQUIRE(two.ok());
  CHECK(names(*two) == std::vector<std::string>{"job 5", "job 4"});

  absl::StatusOr<std::vector<StoredJob>> failed = store->ListJobs(0, "failed");
  REQUIRE(failed.ok());
  CHECK(names(*failed) == std::vector<std::string>{"job 5", "job 3", "job 1"});

  absl::StatusOr<std::vector<StoredJob>> one_succeeded = store->ListJobs(1, "succeeded");
  REQUIRE(one_succeeded.ok());
  CHECK(names(*one_succeeded) == std::vector<std::string>{"job 4"});

  absl::StatusOr<std::vector<StoredJob>> none = store->ListJobs(0, "cancelled");
  REQUIRE(none.ok());
  CHECK(none->empty());

  CHECK(store->ListJobs(-1).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("job store: 1,000 interval messages load back byte-equal in arrival order") {
  TempDir dir;
  JobStorePtr store = OpenOrDie(dir.path());
  std::string id = CreateOrDie(*store, StoredJob{});
  std::string other = CreateOrDie(*store, StoredJob{});
  std::mt19937 rng(7);
  std::vector<std::pair<int, v1::AgentMessage>> sent;
  for (int i = 0; i < 1000; ++i) {
    sent.emplace_back(i % 3, IntervalMessage(i % 3, i / 3, rng));
    REQUIRE(store->AppendAgentMessage(id, sent.back().first, sent.back().second).ok());
    if (i % 100 == 0) {  // interleaved messages of another job stay out of this job's list
      REQUIRE(store->AppendAgentMessage(other, 0, IntervalMessage(0, i, rng)).ok());
    }
  }
  absl::StatusOr<std::vector<std::pair<int, v1::AgentMessage>>> loaded =
      store->LoadAgentMessages(id);
  REQUIRE(loaded.ok());
  REQUIRE(loaded->size() == sent.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    INFO("message " << i);
    CHECK((*loaded)[i].first == sent[i].first);
    CHECK((*loaded)[i].second.SerializeAsString() == sent[i].second.SerializeAsString());
  }
  CHECK(store->LoadAgentMessages(other)->size() == 10);
  CHECK(store->LoadAgentMessages("j-000404")->empty());
}

TEST_CASE("job store: every message kind is stored and tagged") {
  TempDir dir;
  JobStorePtr store = OpenOrDie(dir.path());
  std::string id = CreateOrDie(*store, StoredJob{});
  v1::AgentMessage interval, phase_end, done, hello, empty;
  interval.mutable_interval()->set_seq(1);
  phase_end.mutable_phase_end()->set_phase("steady");
  done.mutable_done()->set_ok(true);
  hello.mutable_hello()->set_name("agent-1");
  for (const v1::AgentMessage* m : {&interval, &phase_end, &done, &hello, &empty}) {
    REQUIRE(store->AppendAgentMessage(id, 1, *m).ok());
  }
  absl::StatusOr<std::vector<std::pair<int, v1::AgentMessage>>> loaded =
      store->LoadAgentMessages(id);
  REQUIRE(loaded.ok());
  REQUIRE(loaded->size() == 5);
  CHECK((*loaded)[1].second.phase_end().phase() == "steady");
  CHECK((*loaded)[4].second.body_case() == v1::AgentMessage::BODY_NOT_SET);
  store.reset();

  RawDb raw(dir / "vexbench.db");
  CHECK(raw.QueryText("SELECT group_concat(kind, ',') FROM "
                      "(SELECT kind FROM agent_messages ORDER BY arrival)") ==
        "interval,phase_end,done,other,other");
}

TEST_CASE("job store: a message of an unknown job is NotFound") {
  TempDir dir;
  JobStorePtr store = OpenOrDie(dir.path());
  absl::Status status = store->AppendAgentMessage("j-000042", 0, v1::AgentMessage{});
  CHECK(status.code() == absl::StatusCode::kNotFound);
  CHECK(std::string(status.message()) == "job j-000042 does not exist");
}

TEST_CASE("job store: jobs and messages survive closing and reopening the directory") {
  TempDir dir;
  StoredJob job = FullJob();
  std::mt19937 rng(11);
  std::vector<v1::AgentMessage> sent;
  {
    JobStorePtr store = OpenOrDie(dir.path());
    job.id = CreateOrDie(*store, job);
    job.state = "succeeded";
    REQUIRE(store->UpdateJob(job).ok());
    for (int i = 0; i < 20; ++i) {
      sent.push_back(IntervalMessage(0, i, rng));
      REQUIRE(store->AppendAgentMessage(job.id, 0, sent.back()).ok());
    }
  }
  JobStorePtr store = OpenOrDie(dir.path());
  absl::StatusOr<StoredJob> got = store->GetJob(job.id);
  REQUIRE(got.ok());
  CheckSameJob(*got, job);
  absl::StatusOr<std::vector<std::pair<int, v1::AgentMessage>>> loaded =
      store->LoadAgentMessages(job.id);
  REQUIRE(loaded.ok());
  REQUIRE(loaded->size() == sent.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    CHECK((*loaded)[i].second.SerializeAsString() == sent[i].SerializeAsString());
  }
  CHECK(CreateOrDie(*store, StoredJob{}) == "j-000002");  // ids continue, never reused
}

TEST_CASE("job store: the database is in WAL mode with schema version 1") {
  TempDir dir;
  JobStorePtr store = OpenOrDie(dir.path());
  RawDb raw(dir / "vexbench.db");  // while the store is open
  CHECK(raw.QueryText("PRAGMA journal_mode") == "wal");
  CHECK(raw.QueryText("PRAGMA user_version") == "1");
}

TEST_CASE("job store: an unparsable stored payload is DataLoss naming job and arrival") {
  TempDir dir;
  JobStorePtr store = OpenOrDie(dir.path());
  std::string id = CreateOrDie(*store, StoredJob{});
  std::mt19937 rng(3);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(store->AppendAgentMessage(id, 0, IntervalMessage(0, i, rng)).ok());
  }
  {
    // Field number 0 with wire type 7: not a valid protobuf encoding of anything.
    const std::string garbage = "\x07\xff\xff";
    REQUIRE_FALSE(v1::AgentMessage().ParseFromString(garbage));
    RawDb raw(dir / "vexbench.db");
    raw.Exec("UPDATE agent_messages SET payload = x'07ffff' WHERE arrival = 2");
  }
  absl::StatusOr<std::vector<std::pair<int, v1::AgentMessage>>> loaded =
      store->LoadAgentMessages(id);
  CHECK(loaded.status().code() == absl::StatusCode::kDataLoss);
  const std::string message(loaded.status().message());
  CHECK_THAT(message, Catch::Contains("job j-000001") && Catch::Contains("arrival 2"));
}

TEST_CASE("job store: concurrent appends from 4 threads are all stored, each in order") {
  TempDir dir;
  JobStorePtr store = OpenOrDie(dir.path());
  std::string id = CreateOrDie(*store, StoredJob{});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100;
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&store, &id, &failures, t] {
      std::mt19937 rng(t);
      for (int i = 0; i < kPerThread; ++i) {
        if (!store->AppendAgentMessage(id, t, IntervalMessage(t, i, rng)).ok()) ++failures[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(failures == std::vector<int>(kThreads, 0));

  absl::StatusOr<std::vector<std::pair<int, v1::AgentMessage>>> loaded =
      store->LoadAgentMessages(id);
  REQUIRE(loaded.ok());
  REQUIRE(loaded->size() == static_cast<size_t>(kThreads) * kPerThread);
  std::map<int, int64_t> next_seq;
  for (const auto& [shard, message] : *loaded) {
    CHECK(message.interval().shard_index() == shard);
    CHECK(message.interval().seq() == next_seq[shard]++);
  }
  for (int t = 0; t < kThreads; ++t) CHECK(next_seq[t] == kPerThread);
}

TEST_CASE("job store: a directory that cannot be created is an error naming it") {
  TempDir dir;
  const std::string file = dir.path() + "/plain_file";
  std::ofstream(file) << "not a directory";
  const std::string bad = file + "/data";
  absl::StatusOr<JobStorePtr> store = OpenSqliteJobStore(bad);
  REQUIRE_FALSE(store.ok());
  CHECK_THAT(std::string(store.status().message()), Catch::Contains("\"" + bad + "\""));
}

TEST_CASE("job store: a database path that cannot be opened is an error naming the file") {
  TempDir dir;
  fs::create_directories(dir / "vexbench.db");  // a directory where the database file should be
  absl::StatusOr<JobStorePtr> store = OpenSqliteJobStore(dir.path());
  REQUIRE_FALSE(store.ok());
  CHECK_THAT(std::string(store.status().message()), Catch::Contains(dir / "vexbench.db"));
}

TEST_CASE("job store: a file that is not a database is an error naming the file") {
  TempDir dir;
  std::ofstream(dir / "vexbench.db") << std::string(4096, 'x');
  absl::StatusOr<JobStorePtr> store = OpenSqliteJobStore(dir.path());
  REQUIRE_FALSE(store.ok());
  CHECK_THAT(std::string(store.status().message()), Catch::Contains(dir / "vexbench.db"));
}

TEST_CASE("job store: a database of a newer schema version is refused, naming the file") {
  TempDir dir;
  OpenOrDie(dir.path()).reset();
  RawDb(dir / "vexbench.db").Exec("PRAGMA user_version=2");
  absl::StatusOr<JobStorePtr> store = OpenSqliteJobStore(dir.path());
  CHECK(store.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(store.status().message()),
             Catch::Contains(dir / "vexbench.db") && Catch::Contains("schema version 2"));
}

}  // namespace
}  // namespace vexbench
