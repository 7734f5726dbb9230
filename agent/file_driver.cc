#include "agent/file_driver.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "adapters/fs_adapter.h"
#include "adapters/vector_requests.h"
#include "boost/asio/post.hpp"
#include "boost/asio/steady_timer.hpp"
#include "spdlog/spdlog.h"

namespace vexbench {

namespace asio = boost::asio;

namespace {

enum class FileOp { kFiles, kInsert, kQuery };

// The search file is one per mount (vexfs-contract.md: write the vector to `/_vexfs/search`,
// then read the same file back), so the queries of this process take turns on it; waiting
// for the turn counts against the operation's deadline. (A flag under a mutex rather than a
// timed_mutex: a turn held by an abandoned thread is then no OS lock held for ever.)
class SearchTurn {
 public:
  // False when the turn did not come before `deadline`.
  bool Take(MonoTime deadline) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_until(lock, deadline, [this] { return !taken_; })) return false;
    taken_ = true;
    return true;
  }
  void Give() {
    {
      std::lock_guard lock(mu_);
      taken_ = false;
    }
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool taken_ = false;
};
// Never destroyed: abandoned threads may return to it while the process exits.
SearchTurn& VexfsSearchTurn() {
  static auto* turn = new SearchTurn;
  return *turn;
}

// Answers above this are not a list of 10 file names.
constexpr size_t kMaxSearchAnswerBytes = 64 * 1024;

ErrorClass ClassifyErrno(int err) {
  switch (err) {
    case ETIMEDOUT:
      return ErrorClass::kTimeout;
    case ENOTCONN:  // "Transport endpoint is not connected": the FUSE server is gone
    case ECONNREFUSED:
    case ECONNABORTED:
      return ErrorClass::kConnect;
    default:
      return ErrorClass::kOther;
  }
}

// How one operation ended, as seen by its thread.
struct Outcome {
  ErrorClass error = ErrorClass::kNone;
  uint64_t bytes_written = 0;
  uint64_t bytes_read = 0;
  bool abandoned = false;  // the thread noticed it was given up on and stopped early
  bool created = false;    // WriteFile: the file was opened (so it exists)
  // What failed, for the log: "open(/x/y)": No such file or directory.
  std::string failure;
};

enum class RunnerState { kIdle, kBusy, kExited };

// One worker thread. Shared by its thread and (until abandoned or exited) its driver's slot.
struct Runner {
  explicit Runner(int slot_index) : slot(slot_index) {}
  const int slot;
  // Set under Shared::mu; read without it between calls so a returning call stops early.
  std::atomic<bool> abandoned{false};
  // Guarded by Shared::mu.
  RunnerState state = RunnerState::kIdle;
  MonoTime origin;
  MonoTime deadline;
  bool measured = false;
  int64_t item = -1;  // insert: the vector id; query: the query index
  // The thread's own.
  std::string text;    // bytes to write: the vector's text (insert, query)
  std::string buffer;  // bytes read back
  std::vector<int64_t> ids;
};

enum class Claim { kBegin, kPark, kStop };

// What the driver and its threads share; abandoned threads keep it alive after the driver.
struct Shared {
  // Constant after construction.
  FsOptions options;
  std::string target;  // for logs: "targets[0]"
  std::string work_dir;
  std::string search_file;
  FileOp op = FileOp::kFiles;
  DriverPlan plan;
  const Dataset* dataset = nullptr;  // insert, query; only touched under `mu` by live threads
  int k = kVexfsSearchK;
  std::string name_prefix;  // files: unique per process, thread and run
  std::string pattern;      // files: the bytes each cycle writes
  std::atomic<uint64_t> next_file{0};

  std::mutex mu;
  // Guarded by mu.
  std::vector<SeriesRecorder> recorders;  // by op (one)
  int64_t budget_left = -1;
  bool no_more = false;
  bool cancelled = false;
  int64_t cursor = 0, end = 0;  // insert: this slice's ids not yet claimed
  int64_t query_cursor = 0;
  FileDriverStats stats;
  bool failure_logged = false;

  // REQUIRES: mu held. Decides whether worker `slot` begins an operation now; kBegin claims it
  // (and its data item into `item`).
  Claim Decide(MonoTime now, int slot, bool& measured, int64_t& item) {
    if (cancelled || no_more) return Claim::kStop;
    if (now >= plan.deadline) {
      no_more = true;
      return Claim::kStop;
    }
    if (plan.concurrency && slot >= std::llround(plan.concurrency->ValueAt(now - plan.start))) {
      return Claim::kPark;
    }
    if (op == FileOp::kInsert && cursor >= end) {
      no_more = true;
      return Claim::kStop;
    }
    measured = now >= plan.measure_from;
    if (measured && budget_left >= 0) {
      if (budget_left == 0) {
        no_more = true;
        return Claim::kStop;
      }
      --budget_left;
    }
    if (op == FileOp::kInsert) item = cursor++;
    if (op == FileOp::kQuery) item = query_cursor++ % dataset->query_count();
    return Claim::kBegin;
  }

  // REQUIRES: mu held, `r` not abandoned. Records a finished operation.
  void Record(Runner& r, const Outcome& outcome, MonoTime now) {
    if (outcome.error != ErrorClass::kNone && !outcome.failure.empty() && !failure_logged) {
      failure_logged = true;
      spdlog::warn("fs target {}: {} (later errors of this driver are only counted)", target,
                   outcome.failure);
    }
    if (!r.measured || cancelled) return;
    Verdict verdict{.error = outcome.error};
    if (verdict.error == ErrorClass::kNone) {
      if (op == FileOp::kQuery) {
        JudgeRecall(*dataset, r.item, r.ids, k, verdict);
      } else {
        verdict.items = 1;  // a file (files), a vector (insert)
      }
    }
    SeriesRecorder& recorder = recorders[0];
    recorder.RecordOperation(verdict.error, now - r.origin, outcome.bytes_written,
                             outcome.bytes_read);
    if (verdict.error == ErrorClass::kNone) {
      recorder.RecordVerdictExtras(verdict.items, verdict.recall_hits, verdict.recall_k);
    }
  }
};

// --- The operations, on a worker thread. Each checks `r.abandoned` after every call. ---

Outcome Failed(const char* call, const std::string& subject, int err) {
  return Outcome{.error = ClassifyErrno(err),
                 .failure = std::string(call) + "(" + subject + "): " + std::strerror(err)};
}

Outcome Mismatch(std::string what) {
  return Outcome{.error = ErrorClass::kParse, .failure = std::move(what)};
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Reads until EOF or `limit` + 1 bytes into `out`; false on a read error (errno set).
bool ReadUpTo(int fd, size_t limit, std::string& out) {
  out.resize(limit + 1);
  size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return true;
}

// Closes `fd`; false (errno set) when close reports an error (FUSE reports write-back errors
// at close).
bool Close(int fd) { return close(fd) == 0 || errno == EINTR; }

// Writes `data` to `path` (opened with `flags`), fsyncs when asked, closes.
Outcome WriteFile(const Runner& r, const std::string& path, int flags, std::string_view data,
                  bool sync) {
  const int fd = open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) return Failed("open", path, errno);
  Outcome outcome;
  if (r.abandoned.load()) {
    outcome.abandoned = true;
  } else if (!WriteAll(fd, data)) {
    outcome = Failed("write", path, errno);
  } else if (r.abandoned.load()) {
    outcome.abandoned = true;
  } else if (sync && fsync(fd) != 0) {
    outcome = Failed("fsync", path, errno);
  } else if (r.abandoned.load()) {
    outcome.abandoned = true;
  } else {
    outcome.bytes_written = data.size();
    if (!Close(fd)) outcome = Failed("close", path, errno);
    outcome.created = true;
    return outcome;
  }
  close(fd);
  outcome.created = true;
  return outcome;
}

// Opens `path`, reads up to `limit` + 1 bytes into `out`, closes.
Outcome ReadFile(const Runner& r, const std::string& path, size_t limit, std::string& out) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Failed("open", path, errno);
  if (r.abandoned.load()) {
    close(fd);
    return Outcome{.abandoned = true};
  }
  if (!ReadUpTo(fd, limit, out)) {
    const int err = errno;
    close(fd);
    return Failed("read", path, err);
  }
  if (r.abandoned.load()) {
    close(fd);
    return Outcome{.abandoned = true};
  }
  if (!Close(fd)) return Failed("close", path, errno);
  return Outcome{.bytes_read = out.size()};
}

// Reads the file back and checks its bytes and its size. `wrote`: the write's outcome.
Outcome CheckFile(const Shared& shared, Runner& r, const std::string& path, Outcome wrote) {
  Outcome read = ReadFile(r, path, shared.pattern.size(), r.buffer);
  if (read.abandoned || read.error != ErrorClass::kNone) return read;
  wrote.bytes_read = read.bytes_read;
  if (r.buffer != shared.pattern) {
    return Mismatch("read(" + path + "): " + std::to_string(r.buffer.size()) +
                    " bytes that differ from the " + std::to_string(shared.pattern.size()) +
                    " written");
  }
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return Failed("stat", path, errno);
  if (r.abandoned.load()) return Outcome{.abandoned = true};
  if (st.st_size != static_cast<off_t>(shared.pattern.size())) {
    return Mismatch("stat(" + path + "): size " + std::to_string(st.st_size) + ", expected " +
                    std::to_string(shared.pattern.size()));
  }
  return wrote;
}

// create + write(file_size) + fsync + close + open + read + close + stat + unlink.
Outcome FilesCycle(Shared& shared, Runner& r) {
  const std::string path = shared.work_dir + "/" + shared.name_prefix +
                           std::to_string(shared.next_file.fetch_add(1)) + ".tmp";
  Outcome outcome =
      WriteFile(r, path, O_CREAT | O_EXCL | O_WRONLY, shared.pattern, shared.options.fsync);
  if (outcome.abandoned || !outcome.created) return outcome;
  if (outcome.error == ErrorClass::kNone) outcome = CheckFile(shared, r, path, outcome);
  if (outcome.abandoned) return outcome;  // the file is left for teardown
  // Removed whatever happened after it was created.
  if (unlink(path.c_str()) != 0 && outcome.error == ErrorClass::kNone) {
    outcome = Failed("unlink", path, errno);
  }
  return outcome;
}

// vexfs-contract.md: "A vector is a file named `*.vec` whose content is the vector as
// comma-separated decimal text (`0.12,-0.5,...`). Each `write()` re-parses the whole file and
// indexes a new vector": the text goes out in one write() call.
Outcome InsertVector(Shared& shared, Runner& r) {
  const std::string path = shared.work_dir + "/" + VecFileName(r.item);
  return WriteFile(r, path, O_CREAT | O_TRUNC | O_WRONLY, r.text, shared.options.fsync);
}

// vexfs-contract.md: "Search: write `0.1,0.2,...` to `/_vexfs/search`, then read the same file
// back: it holds the names of the 10 nearest `.vec` files." Written as `echo ... > file` does
// (O_TRUNC); the file must exist (no O_CREAT): a directory without it is an error.
Outcome QueryVector(Shared& shared, Runner& r, MonoTime deadline) {
  if (!VexfsSearchTurn().Take(deadline)) return Outcome{.error = ErrorClass::kTimeout};
  Outcome wrote = WriteFile(r, shared.search_file, O_WRONLY | O_TRUNC, r.text, /*sync=*/false);
  if (wrote.abandoned || wrote.error != ErrorClass::kNone) {
    VexfsSearchTurn().Give();
    return wrote;
  }
  Outcome read = ReadFile(r, shared.search_file, kMaxSearchAnswerBytes, r.buffer);
  VexfsSearchTurn().Give();
  if (read.abandoned || read.error != ErrorClass::kNone) return read;
  read.bytes_written = wrote.bytes_written;
  if (r.buffer.size() > kMaxSearchAnswerBytes) {
    read.error = ErrorClass::kBodyTooLarge;
    read.failure = "read(" + shared.search_file + "): more than " +
                   std::to_string(kMaxSearchAnswerBytes) + " bytes";
  } else if (!ParseVexfsSearchAnswer(r.buffer, r.ids)) {
    read = Mismatch("read(" + shared.search_file + "): no .vec file named in '" +
                    r.buffer.substr(0, 80) + "'");
  }
  return read;
}

Outcome Execute(Shared& shared, Runner& r, MonoTime deadline) {
  switch (shared.op) {
    case FileOp::kFiles:
      return FilesCycle(shared, r);
    case FileOp::kInsert:
      return InsertVector(shared, r);
    case FileOp::kQuery:
      return QueryVector(shared, r, deadline);
  }
  return Outcome{.error = ErrorClass::kOther};
}

Duration TickPeriod(Duration timeout) {
  return std::clamp<Duration>(timeout / 8, std::chrono::milliseconds(1),
                              std::chrono::milliseconds(10));
}

// A worker thread's loop: claim, run, record, until the phase ends or the thread is abandoned.
void RunWorker(const std::shared_ptr<Shared>& shared, const std::shared_ptr<Runner>& r) {
  const Duration park = TickPeriod(shared->plan.timeout);
  for (;;) {
    MonoTime deadline;
    Claim claim;
    {
      std::lock_guard lock(shared->mu);
      const MonoTime now = MonoClock::now();
      claim = shared->Decide(now, r->slot, r->measured, r->item);
      if (claim == Claim::kStop) {
        r->state = RunnerState::kExited;
        return;
      }
      if (claim == Claim::kBegin) {
        r->text.clear();
        if (shared->op == FileOp::kInsert) AppendVecText(shared->dataset->vector(r->item), r->text);
        if (shared->op == FileOp::kQuery) AppendVecText(shared->dataset->query(r->item), r->text);
        r->origin = now;
        r->deadline = deadline = now + shared->plan.timeout;
        r->state = RunnerState::kBusy;
      }
    }
    if (claim == Claim::kPark) {
      std::this_thread::sleep_for(park);
      continue;
    }
    const Outcome outcome = Execute(*shared, *r, deadline);
    std::lock_guard lock(shared->mu);
    if (r->abandoned.load()) break;
    r->state = RunnerState::kIdle;
    shared->Record(*r, outcome, MonoClock::now());
  }
  // Abandoned: the driver already counted the timeout and may be gone.
  CountAbandonedFsThreads(-1);
}

class FileDriver final : public Driver {
 public:
  FileDriver(asio::io_context& io, std::shared_ptr<Shared> shared, std::vector<std::string> ops,
             std::function<void()> on_done)
      : io_(io),
        shared_(std::move(shared)),
        ops_(std::move(ops)),
        on_done_(std::move(on_done)),
        slots_(static_cast<size_t>(std::max(0, shared_->plan.connections))),
        tick_(TickPeriod(shared_->plan.timeout)),
        timer_(io) {}

  // Driver
  void Start() override;
  void Cancel() override;
  const std::vector<std::string>& ops() const override { return ops_; }
  void DrainInto(std::vector<SeriesRecorder>& sinks) override {
    std::lock_guard lock(shared_->mu);
    for (size_t i = 0; i < shared_->recorders.size(); ++i) {
      shared_->recorders[i].DrainInto(sinks[i]);
    }
  }
  MonoTime began() const override { return began_; }

  FileDriverStats stats() const {
    std::lock_guard lock(shared_->mu);
    return shared_->stats;
  }

 private:
  struct Slot {
    std::shared_ptr<Runner> runner;  // null: no thread (none started, or it was abandoned)
    bool finished = false;
  };

  void Arm(MonoTime at);
  void OnTimer();
  // REQUIRES: shared_->mu held. One supervision pass; true when every worker has finished.
  bool Supervise(MonoTime now);
  // REQUIRES: shared_->mu held. Gives a thread to `slot`, or fails one operation at once.
  void Refill(Slot& slot, int index, MonoTime now);
  bool StartRunner(Slot& slot, int index);
  void Finish();

  asio::io_context& io_;
  const std::shared_ptr<Shared> shared_;
  const std::vector<std::string> ops_;
  std::function<void()> on_done_;
  std::vector<Slot> slots_;  // by worker; touched under shared_->mu
  const Duration tick_;
  asio::steady_timer timer_;
  bool started_ = false;  // the start instant has come (io thread)
  MonoTime began_ = MonoTime::max();
};

void FileDriver::Start() { Arm(shared_->plan.start); }

void FileDriver::Arm(MonoTime at) {
  timer_.expires_at(at);
  timer_.async_wait([this](const boost::system::error_code& /*ec*/) { OnTimer(); });
}

// Every pass runs here, also after Cancel() (which cancels the wait): on_done is posted only
// from this handler, when no wait is pending any more.
void FileDriver::OnTimer() {
  const MonoTime now = MonoClock::now();
  bool done = false;
  {
    std::lock_guard lock(shared_->mu);
    if (!started_ && !shared_->cancelled && now < shared_->plan.start) {
      // Woken early (cannot happen without a cancel); wait on.
    } else {
      if (!started_ && !shared_->cancelled) began_ = now;
      started_ = true;
      done = Supervise(now);
    }
  }
  if (done) {
    Finish();
  } else {
    Arm(started_ ? now + tick_ : shared_->plan.start);
  }
}

bool FileDriver::Supervise(MonoTime now) {
  Shared& s = *shared_;
  bool all_finished = true;
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& slot = slots_[i];
    if (slot.finished) continue;
    if (slot.runner != nullptr) {
      Runner& r = *slot.runner;
      if (r.state == RunnerState::kExited) {
        slot.runner = nullptr;
        slot.finished = true;
        continue;
      }
      if (r.state == RunnerState::kBusy && (s.cancelled || now >= r.deadline)) {
        // Given up on: the thread stays blocked, detached; it exits when its call returns.
        r.abandoned.store(true);
        CountAbandonedFsThreads(+1);
        if (!s.cancelled) {
          ++s.stats.abandoned_calls;
          if (r.measured) s.recorders[0].RecordOperation(ErrorClass::kTimeout, {}, 0, 0);
        }
        slot.runner = nullptr;
      }
    }
    if (slot.runner == nullptr) Refill(slot, static_cast<int>(i), now);
    if (!slot.finished) all_finished = false;
  }
  return all_finished;
}

void FileDriver::Refill(Slot& slot, int index, MonoTime now) {
  Shared& s = *shared_;
  if (s.cancelled || s.no_more || now >= s.plan.deadline) {
    slot.finished = true;
    return;
  }
  if (AbandonedFsThreads() < s.options.max_abandoned_threads && StartRunner(slot, index)) return;
  // Too many threads blocked already: this operation fails at once, without a thread.
  bool measured = false;
  int64_t item = -1;
  const Claim claim = s.Decide(now, index, measured, item);
  if (claim == Claim::kStop) {
    slot.finished = true;
  } else if (claim == Claim::kBegin) {
    ++s.stats.failed_fast;
    if (measured) s.recorders[0].RecordOperation(ErrorClass::kTimeout, {}, 0, 0);
  }
}

bool FileDriver::StartRunner(Slot& slot, int index) {
  auto runner = std::make_shared<Runner>(index);
  try {
    std::thread([shared = shared_, runner] { RunWorker(shared, runner); }).detach();
  } catch (const std::system_error& e) {
    spdlog::warn("fs target {}: cannot start a worker thread: {}", shared_->target, e.what());
    return false;
  }
  ++shared_->stats.threads_started;
  slot.runner = std::move(runner);
  return true;
}

void FileDriver::Cancel() {
  {
    std::lock_guard lock(shared_->mu);
    shared_->cancelled = true;
    shared_->no_more = true;
  }
  timer_.cancel();  // OnTimer runs a pass now: busy threads are abandoned, the rest stop
}

void FileDriver::Finish() {
  const FileDriverStats st = stats();
  if (st.abandoned_calls > 0 || st.failed_fast > 0) {
    spdlog::warn(
        "fs target {}: {} operations did not return within {} and were abandoned on "
        "their threads; {} failed at once (too many threads blocked); {} threads of "
        "this process are blocked in the file system now",
        shared_->target, st.abandoned_calls, FormatDuration(shared_->plan.timeout), st.failed_fast,
        AbandonedFsThreads());
  }
  // The owner's callback may destroy this driver: run it outside of our handler.
  asio::post(io_, std::exchange(on_done_, nullptr));
}

}  // namespace

absl::StatusOr<DriverPtr> CreateFileDriver(asio::io_context& io, const Adapter& adapter,
                                           const PhaseSpec& phase, const SourceSlice& slice,
                                           const Dataset* dataset, DriverPlan plan,
                                           std::function<void()> on_done) {
  const auto* fs = dynamic_cast<const FsAdapter*>(&adapter);
  if (fs == nullptr) {
    return absl::InvalidArgumentError(phase.path +
                                      ": the file driver drives fs targets only, not '" +
                                      std::string(adapter.kind()) + "'");
  }
  if (absl::Status s = fs->ValidatePhase(phase); !s.ok()) return s;
  auto shared = std::make_shared<Shared>();
  shared->options = fs->options();
  shared->target = fs->target_path();
  shared->work_dir = fs->work_dir();
  shared->search_file = fs->search_file();
  shared->op = phase.op == "insert"  ? FileOp::kInsert
               : phase.op == "query" ? FileOp::kQuery
                                     : FileOp::kFiles;
  if (shared->op != FileOp::kFiles &&
      (dataset == nullptr || (shared->op == FileOp::kQuery && dataset->query_count() == 0))) {
    return absl::InvalidArgumentError(phase.path + ".op: '" + phase.op + "' needs a dataset with " +
                                      (shared->op == FileOp::kQuery ? "queries" : "vectors") +
                                      "; expected a `dataset` in the job");
  }
  shared->dataset = dataset;
  shared->k = phase.k.value_or(kVexfsSearchK);
  if (dataset != nullptr)
    std::tie(shared->cursor, shared->end) = SliceRange(dataset->count(), slice);
  shared->query_cursor = slice.thread_index + int64_t{slice.thread_count} * slice.shard_index;
  shared->budget_left = plan.request_budget;
  shared->name_prefix = "f" + std::to_string(slice.shard_index) + "-" + std::to_string(getpid()) +
                        "-" + std::to_string(slice.thread_index) + "-";
  if (shared->op == FileOp::kFiles) {
    shared->pattern.resize(static_cast<size_t>(shared->options.file_size));
    for (size_t i = 0; i < shared->pattern.size(); ++i) {
      shared->pattern[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
    }
  }
  shared->plan = std::move(plan);
  shared->recorders.resize(1);
  return std::make_unique<FileDriver>(io, std::move(shared), std::vector<std::string>{phase.op},
                                      std::move(on_done));
}

FileDriverStats FileDriverStatsOf(const Driver& driver) {
  const auto* file_driver = dynamic_cast<const FileDriver*>(&driver);
  return file_driver != nullptr ? file_driver->stats() : FileDriverStats{};
}

}  // namespace vexbench
