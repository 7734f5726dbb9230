// Kind fs: option validation, the VexFS FUSE text formats (../shared/reference/vexfs-contract.md,
// "FUSE"), and the file driver on a real directory: counting, errors, warm-up, cancel, and calls
// that block for real (open() of a FIFO nobody reads) ending as timeouts by the deadline.
#include "adapters/fs_adapter.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "adapters/registry.h"
#include "agent/engine.h"
#include "agent/file_driver.h"
#include "boost/asio/post.hpp"
#include "common/dataset.h"
#include "nlohmann/json.hpp"
#include "tests/integration/support/subprocess.h"

namespace vexbench {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

TargetSpec Target(json options) {
  return TargetSpec{
      .name = "disk", .kind = "fs", .options = std::move(options), .path = "targets[0]"};
}

std::unique_ptr<FsAdapter> MakeAdapter(json options) {
  auto adapter = CreateAdapter(Target(std::move(options)));
  REQUIRE(adapter.ok());
  REQUIRE((*adapter)->kind() == "fs");
  return std::unique_ptr<FsAdapter>(static_cast<FsAdapter*>(adapter->release()));
}

std::string CreateError(json options) {
  auto adapter = CreateAdapter(Target(std::move(options)));
  REQUIRE_FALSE(adapter.ok());
  return std::string(adapter.status().message());
}

PhaseSpec Phase(const std::string& op) {
  PhaseSpec p;
  p.name = op;
  p.op = op;
  p.path = "phases[0]";
  return p;
}

std::shared_ptr<const Dataset> SmallDataset() {
  static const auto dataset = [] {
    DatasetSpec spec{.kind = "synthetic", .count = 60, .dim = 8, .queries = 5, .seed = 3};
    auto d = LoadDataset(spec, "");
    REQUIRE(d.ok());
    return *d;
  }();
  return dataset;
}

DriverPlan Plan(int workers, Duration timeout, int64_t budget = -1,
                Duration duration = Duration::max(), Duration warmup = {}) {
  const MonoTime now = MonoClock::now();
  DriverPlan plan{.start = now, .measure_from = now + warmup};
  plan.deadline = duration == Duration::max() ? MonoTime::max() : plan.measure_from + duration;
  plan.connections = workers;
  plan.request_budget = budget;
  plan.timeout = timeout;
  return plan;
}

struct DriverRun {
  SeriesCounters counters;
  int64_t latencies = 0;
  FileDriverStats stats;
  double seconds = 0;
};

// Runs one driver on a one-thread engine as the shard runner does: Start posted, on_done
// awaited, a last drain, destruction on the driver's thread. `during` runs once it started.
DriverRun RunDriver(const FsAdapter& adapter, const PhaseSpec& phase, DriverPlan plan,
                    const Dataset* dataset = nullptr,
                    const std::function<void(Engine&, Driver&)>& during = {}) {
  Engine engine(1);
  std::promise<void> done;
  auto created = CreateFileDriver(engine.context(0), adapter, phase, SourceSlice{}, dataset,
                                  std::move(plan), [&done] { done.set_value(); });
  REQUIRE(created.ok());
  DriverPtr driver = *std::move(created);
  REQUIRE(driver->ops() == std::vector<std::string>{phase.op});
  const MonoTime start = MonoClock::now();
  boost::asio::post(engine.context(0), [d = driver.get()] { d->Start(); });
  if (during) during(engine, *driver);
  REQUIRE(done.get_future().wait_for(30s) == std::future_status::ready);
  DriverRun run;
  run.seconds = std::chrono::duration<double>(MonoClock::now() - start).count();
  std::vector<SeriesRecorder> sinks(1);
  driver->DrainInto(sinks);
  run.counters = sinks[0].counters();
  run.latencies = sinks[0].latency().TotalCount();
  run.stats = FileDriverStatsOf(*driver);
  CHECK(driver->began() != MonoTime::max());
  std::promise<void> destroyed;
  boost::asio::post(engine.context(0), [&] {
    driver.reset();
    destroyed.set_value();
  });
  destroyed.get_future().wait();
  return run;
}

int64_t Errors(const DriverRun& run, ErrorClass c) {
  return run.counters.errors_by_class[static_cast<int>(c)];
}

std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  return names;
}

// Waits until every thread blocked in a file-system call has returned.
bool NoAbandonedThreads(Duration within = 5s) {
  const MonoTime until = MonoClock::now() + within;
  while (AbandonedFsThreads() != 0 && MonoClock::now() < until) std::this_thread::sleep_for(10ms);
  return AbandonedFsThreads() == 0;
}

// <dir>/_vexfs/search as a FIFO: open(O_WRONLY) blocks until someone opens it for reading.
class BlockingSearchFile {
 public:
  explicit BlockingSearchFile(const std::string& dir) : fifo_(dir + "/_vexfs/search") {
    REQUIRE(mkdir((dir + "/_vexfs").c_str(), 0755) == 0);
    REQUIRE(mkfifo(fifo_.c_str(), 0644) == 0);
  }
  // Lets every blocked open() return (a reader appears) and waits for their threads to exit.
  ~BlockingSearchFile() {
    const int fd = open(fifo_.c_str(), O_RDWR | O_NONBLOCK);
    CHECK(NoAbandonedThreads());
    if (fd >= 0) close(fd);
  }

 private:
  std::string fifo_;
};

TEST_CASE("fs options: defaults, and messages that name the field", "[fs]") {
  auto adapter = MakeAdapter({{"path", "/mnt/x/"}});
  CHECK(adapter->options().path == "/mnt/x");
  CHECK(adapter->options().file_size == 4096);
  CHECK(adapter->options().flavour == FsFlavour::kPlain);
  CHECK(adapter->options().fsync);
  CHECK_FALSE(adapter->options().keep);
  CHECK(adapter->work_dir() == "/mnt/x/vexbench-run");
  CHECK(adapter->search_file() == "/mnt/x/_vexfs/search");
  CHECK(adapter->CreateSource(Phase("files"), {}, nullptr).status().code() ==
        absl::StatusCode::kUnimplemented);

  CHECK_THAT(CreateError(json::object()), Catch::Contains("targets[0].path: required"));
  CHECK_THAT(CreateError({{"path", 3}}), Catch::Contains("targets[0].path"));
  CHECK_THAT(CreateError({{"path", "/x"}, {"file_size", "big"}}),
             Catch::Contains("targets[0].file_size") && Catch::Contains("integer"));
  CHECK_THAT(CreateError({{"path", "/x"}, {"file_size", -1}}),
             Catch::Contains("targets[0].file_size") && Catch::Contains("out of range"));
  CHECK_THAT(CreateError({{"path", "/x"}, {"flavour", "ext4"}}),
             Catch::Contains("targets[0].flavour: 'ext4'") && Catch::Contains("plain or vexfs"));
  CHECK_THAT(CreateError({{"path", "/x"}, {"fsync", "yes"}}), Catch::Contains("targets[0].fsync"));
  CHECK_THAT(CreateError({{"path", "/x"}, {"keep", 1}}), Catch::Contains("targets[0].keep"));
  CHECK_THAT(CreateError({{"path", "/x"}, {"max_abandoned_threads", 0}}),
             Catch::Contains("targets[0].max_abandoned_threads"));
  CHECK_THAT(CreateError({{"path", "/x"}, {"size", 1}}),
             Catch::Contains("targets[0].size: unknown key"));
}

TEST_CASE("fs setup: the path must be an existing directory", "[fs]") {
  const std::string dir = testing::MakeTempDir("fs-setup");
  auto missing = MakeAdapter({{"path", dir + "/nope"}});
  absl::Status s = missing->Setup(nullptr, true, 10s);
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(s.message()), Catch::Contains("targets[0].path: '" + dir + "/nope'") &&
                                           Catch::Contains("No such file or directory"));

  testing::WriteFile(dir + "/file", "x");
  s = MakeAdapter({{"path", dir + "/file"}})->Setup(nullptr, true, 10s);
  CHECK_THAT(std::string(s.message()), Catch::Contains("is not a directory"));

  auto good = MakeAdapter({{"path", dir}});
  REQUIRE(good->Setup(nullptr, true, 10s).ok());
  CHECK(std::filesystem::is_directory(dir + "/vexbench-run"));
  REQUIRE(good->Setup(nullptr, false, 10s).ok());  // another shard: already there
  testing::WriteFile(dir + "/vexbench-run/left", "x");
  REQUIRE(good->Teardown().ok());
  CHECK_FALSE(std::filesystem::exists(dir + "/vexbench-run"));
  CHECK(std::filesystem::exists(dir + "/file"));  // only what vexbench created goes

  auto kept = MakeAdapter({{"path", dir}, {"keep", true}});
  REQUIRE(kept->Setup(nullptr, true, 10s).ok());
  REQUIRE(kept->Teardown().ok());
  CHECK(std::filesystem::exists(dir + "/vexbench-run"));
}

TEST_CASE("fs phases: operations per flavour, closed loop only, k within the contract", "[fs]") {
  auto plain = MakeAdapter({{"path", "/x"}});
  auto vexfs = MakeAdapter({{"path", "/x"}, {"flavour", "vexfs"}});
  CHECK(plain->ValidatePhase(Phase("files")).ok());
  CHECK_THAT(std::string(plain->ValidatePhase(Phase("query")).message()),
             Catch::Contains("phases[0].op: 'query'") && Catch::Contains("expected 'files'"));
  CHECK(vexfs->ValidatePhase(Phase("insert")).ok());
  CHECK(vexfs->ValidatePhase(Phase("query")).ok());
  CHECK_THAT(std::string(vexfs->ValidatePhase(Phase("delete")).message()),
             Catch::Contains("phases[0].op"));
  PhaseSpec open_loop = Phase("files");
  open_loop.rate = 100;
  CHECK_THAT(std::string(plain->ValidatePhase(open_loop).message()),
             Catch::Contains("phases[0].rate"));
  PhaseSpec wide = Phase("query");
  wide.k = 20;
  CHECK_THAT(std::string(vexfs->ValidatePhase(wide).message()),
             Catch::Contains("phases[0].k: 20") && Catch::Contains("1..10"));
  PhaseSpec batched = Phase("insert");
  batched.batch = 100;
  CHECK_THAT(std::string(vexfs->ValidatePhase(batched).message()),
             Catch::Contains("phases[0].batch"));
  PhaseSpec filtered = Phase("query");  // /_vexfs/search takes a vector and nothing else
  filtered.filter = PayloadFilter{.field = "category", .eq = 3};
  CHECK_THAT(std::string(vexfs->ValidatePhase(filtered).message()),
             Catch::StartsWith("phases[0].filter: VexFS's FUSE search (/_vexfs/search) cannot "
                               "filter"));
  // insert and query need a dataset.
  Engine engine(1);
  auto driver =
      CreateFileDriver(engine.context(0), *vexfs, Phase("insert"), {}, nullptr, Plan(1, 1s), [] {});
  CHECK_THAT(std::string(driver.status().message()),
             Catch::Contains("phases[0].op: 'insert' needs a dataset"));
}

TEST_CASE("vexfs FUSE text: vectors as comma-separated decimals, answers as .vec names", "[fs]") {
  // Contract: "the vector as comma-separated decimal text (`0.12,-0.5,...`)".
  std::string text;
  const std::vector<float> v = {0.12f, -0.5f, 1e-7f, 3.0f, 12345.5f};
  AppendVecText(v, text);
  CHECK(text == "0.12,-0.5,0.0000001,3,12345.5");
  // Every value reads back to the same float.
  std::istringstream in(text);
  std::string field;
  for (float expected : v) {
    REQUIRE(std::getline(in, field, ','));
    CHECK(std::strtof(field.c_str(), nullptr) == expected);
  }
  CHECK(VecFileName(42) == "42.vec");

  // Contract: the search file "holds the names of the 10 nearest `.vec` files".
  std::vector<int64_t> ids;
  CHECK(ParseVexfsSearchAnswer("12.vec\n7.vec\nnotes.vec\n/mnt/vexbench-run/3.vec\n", ids));
  CHECK(ids == std::vector<int64_t>{12, 7, 3});
  CHECK(ParseVexfsSearchAnswer("1. 5.vec (0.99)\n2. 9.vec (0.80)", ids));
  CHECK(ids == std::vector<int64_t>{5, 9});
  CHECK(ParseVexfsSearchAnswer(" \n", ids));
  CHECK(ids.empty());
  CHECK_FALSE(ParseVexfsSearchAnswer("search failed", ids));
}

TEST_CASE("fs files phase on a directory: every cycle counted, nothing left", "[fs][driver]") {
  const std::string dir = testing::MakeTempDir("fs-files");
  auto adapter = MakeAdapter({{"path", dir}, {"file_size", 1000}});
  REQUIRE(adapter->Setup(nullptr, true, 10s).ok());
  const DriverRun run = RunDriver(*adapter, Phase("files"), Plan(4, 5s, /*budget=*/200));
  CHECK(run.counters.requests == 200);
  CHECK(run.counters.errors == 0);
  CHECK(run.counters.items == 200);
  CHECK(run.counters.bytes_sent == 200 * 1000);
  CHECK(run.counters.bytes_received == 200 * 1000);
  CHECK(run.latencies == 200);
  CHECK(run.stats.threads_started == 4);
  CHECK(run.stats.abandoned_calls == 0);
  CHECK(Entries(dir + "/vexbench-run").empty());  // every file unlinked
  REQUIRE(adapter->Teardown().ok());
}

TEST_CASE("fs files phase: failed calls are errors by class, warm-up is not recorded",
          "[fs][driver]") {
  const std::string dir = testing::MakeTempDir("fs-errors");
  auto adapter = MakeAdapter({{"path", dir}, {"fsync", false}});
  REQUIRE(adapter->Setup(nullptr, true, 10s).ok());
  SECTION("the working directory disappeared: open fails (ENOENT, class other)") {
    std::filesystem::remove(dir + "/vexbench-run");
    const DriverRun run = RunDriver(*adapter, Phase("files"), Plan(2, 5s, /*budget=*/50));
    CHECK(run.counters.requests == 50);
    CHECK(run.counters.errors == 50);
    CHECK(Errors(run, ErrorClass::kOther) == 50);
    CHECK(run.counters.items == 0);
    CHECK(run.latencies == 0);
  }
  SECTION("operations during the warm-up neither count nor use the budget") {
    const DriverRun run =
        RunDriver(*adapter, Phase("files"), Plan(2, 5s, /*budget=*/20, Duration::max(), 300ms));
    CHECK(run.counters.requests == 20);  // more if warm-up cycles were recorded
    CHECK(run.counters.errors == 0);
    CHECK(run.seconds >= 0.3);
  }
  SECTION("by duration") {
    const DriverRun run = RunDriver(*adapter, Phase("files"), Plan(2, 5s, -1, 300ms));
    CHECK(run.counters.requests > 10);
    CHECK(run.counters.errors == 0);
    CHECK(run.seconds < 1.0);
  }
}

TEST_CASE("fs cancel: the driver stops and reports done at once", "[fs][driver]") {
  const std::string dir = testing::MakeTempDir("fs-cancel");
  auto adapter = MakeAdapter({{"path", dir}, {"fsync", false}});
  REQUIRE(adapter->Setup(nullptr, true, 10s).ok());
  const DriverRun run = RunDriver(
      *adapter, Phase("files"), Plan(3, 5s, -1, 20s), nullptr, [](Engine& engine, Driver& driver) {
        std::this_thread::sleep_for(200ms);
        boost::asio::post(engine.context(0), [&driver] { driver.Cancel(); });
      });
  CHECK(run.seconds < 1.0);
  CHECK(run.counters.requests > 0);
  CHECK(run.counters.errors == 0);
  CHECK(NoAbandonedThreads());
}

TEST_CASE("vexfs flavour insert: one .vec file per vector with its text", "[fs][driver]") {
  const std::string dir = testing::MakeTempDir("fs-insert");
  auto adapter = MakeAdapter({{"path", dir}, {"flavour", "vexfs"}});
  REQUIRE(adapter->Setup(nullptr, true, 10s).ok());
  const auto dataset = SmallDataset();
  const DriverRun run = RunDriver(*adapter, Phase("insert"), Plan(3, 5s), dataset.get());
  CHECK(run.counters.requests == dataset->count());
  CHECK(run.counters.items == dataset->count());
  CHECK(run.counters.errors == 0);
  REQUIRE(adapter->Count().value_or(-1) == dataset->count());
  for (int64_t id = 0; id < dataset->count(); ++id) {
    const std::string content = testing::ReadFile(dir + "/vexbench-run/" + VecFileName(id));
    std::string expected;
    AppendVecText(dataset->vector(id), expected);
    CHECK(content == expected);
  }
  REQUIRE(adapter->Teardown().ok());
}

TEST_CASE("vexfs flavour query: a search file that blocks ends as timeouts by the deadline",
          "[fs][driver][deadline]") {
  REQUIRE(NoAbandonedThreads());
  const std::string dir = testing::MakeTempDir("fs-blocked");
  auto adapter = MakeAdapter({{"path", dir}, {"flavour", "vexfs"}});
  REQUIRE(adapter->Setup(nullptr, true, 10s).ok());
  BlockingSearchFile fifo(dir);
  const DriverRun run =
      RunDriver(*adapter, Phase("query"), Plan(2, 200ms, -1, 1s), SmallDataset().get());
  // Ends by the deadline plus one timeout (and a little slack).
  CHECK(run.seconds < 1.0 + 0.2 + 0.3);
  // Two workers, each operation ending at its 200 ms deadline over 1 s: about 10.
  CHECK(run.counters.requests >= 6);
  CHECK(run.counters.requests <= 12);
  CHECK(Errors(run, ErrorClass::kTimeout) == run.counters.requests);
  CHECK(run.stats.abandoned_calls >= 1);
  CHECK(AbandonedFsThreads() >= 1);  // still blocked in open() until the FIFO gets a reader
}

TEST_CASE("fs: with the abandoned-thread cap reached, operations fail at once",
          "[fs][driver][deadline]") {
  REQUIRE(NoAbandonedThreads());
  const std::string dir = testing::MakeTempDir("fs-cap");
  auto adapter = MakeAdapter({{"path", dir}, {"flavour", "vexfs"}, {"max_abandoned_threads", 1}});
  REQUIRE(adapter->Setup(nullptr, true, 10s).ok());
  BlockingSearchFile fifo(dir);
  const DriverRun run =
      RunDriver(*adapter, Phase("query"), Plan(3, 100ms, -1, 600ms), SmallDataset().get());
  CHECK(run.seconds < 0.6 + 0.1 + 0.3);
  CHECK(run.stats.threads_started == 3);  // no thread once one was abandoned
  CHECK(run.stats.abandoned_calls >= 1);
  CHECK(run.stats.failed_fast > 0);
  CHECK(run.counters.errors == run.counters.requests);
  CHECK(Errors(run, ErrorClass::kTimeout) == run.counters.requests);
  CHECK(AbandonedFsThreads() <= 1 + 3);  // the cap plus the phase's workers, at most
}

}  // namespace
}  // namespace vexbench
