#include "adapters/fs_adapter.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "adapters/option_reader.h"
#include "common/clock.h"

namespace vexbench {
namespace {

std::atomic<int> g_abandoned_fs_threads{0};

std::string ErrnoText(int err) { return std::strerror(err); }

using Beat = std::function<void()>;
using BoundedBody = std::function<absl::Status(const Beat& beat)>;

// Runs `body` on a thread of its own and waits while it makes progress: `body` calls `beat`
// after each file-system call. When it neither finishes nor beats for `stall`, its thread is
// abandoned (it stays blocked, detached) and the result is DeadlineExceeded naming `what`.
// `body` must own what it uses: it may outlive the caller.
absl::Status RunBounded(const std::string& what, Duration stall, int max_abandoned,
                        BoundedBody body) {
  if (AbandonedFsThreads() >= max_abandoned) {
    return absl::DeadlineExceededError(
        what + ": not attempted: " + std::to_string(AbandonedFsThreads()) +
        " threads are already blocked in file-system calls that did not return");
  }
  struct Call {
    std::mutex mu;
    std::condition_variable cv;
    MonoTime last_beat;
    bool done = false;
    bool abandoned = false;
    absl::Status status;
  };
  auto call = std::make_shared<Call>();
  call->last_beat = MonoClock::now();
  try {
    std::thread([call, body = std::move(body)] {
      const Beat beat = [&call] {
        std::lock_guard lock(call->mu);
        call->last_beat = MonoClock::now();
      };
      absl::Status status = body(beat);
      std::lock_guard lock(call->mu);
      if (call->abandoned) {
        CountAbandonedFsThreads(-1);
        return;
      }
      call->done = true;
      call->status = std::move(status);
      call->cv.notify_all();
    }).detach();
  } catch (const std::system_error& e) {
    return absl::ResourceExhaustedError(what + ": cannot start a thread: " + e.what());
  }
  std::unique_lock lock(call->mu);
  while (!call->done) {
    const MonoTime until = call->last_beat + stall;
    if (MonoClock::now() >= until) {
      call->abandoned = true;
      CountAbandonedFsThreads(+1);
      return absl::DeadlineExceededError(what + ": a file-system call did not return within " +
                                         FormatDuration(stall) +
                                         "; the file system looks hung (the call was abandoned)");
    }
    call->cv.wait_until(lock, until);
  }
  return call->status;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

int AbandonedFsThreads() { return g_abandoned_fs_threads.load(std::memory_order_acquire); }

void CountAbandonedFsThreads(int delta) {
  g_abandoned_fs_threads.fetch_add(delta, std::memory_order_acq_rel);
}

FsAdapter::FsAdapter(FsOptions options, std::string target_path)
    : options_(std::move(options)),
      target_path_(std::move(target_path)),
      work_dir_(options_.path + "/vexbench-run") {}

absl::Status FsAdapter::Setup(const Dataset* /*dataset*/, bool /*create*/, Duration timeout) {
  const std::string field = target_path_ + ".path";
  const std::string path = options_.path;
  const std::string work_dir = work_dir_;
  return RunBounded(
      field + ": setting up '" + work_dir + "'", std::min(timeout, kFsControlCallTimeout),
      options_.max_abandoned_threads, [field, path, work_dir](const Beat& beat) {
        struct stat st {};
        if (stat(path.c_str(), &st) != 0) {
          const int err = errno;
          return absl::InvalidArgumentError(field + ": '" + path + "': " + ErrnoText(err) +
                                            "; expected an existing (mounted) directory");
        }
        beat();
        if (!S_ISDIR(st.st_mode)) {
          return absl::InvalidArgumentError(field + ": '" + path +
                                            "' is not a directory; expected a mounted directory");
        }
        // Every shard creates it (another may already have): EEXIST is fine.
        if (mkdir(work_dir.c_str(), 0755) != 0 && errno != EEXIST) {
          const int err = errno;
          return absl::FailedPreconditionError(field + ": cannot create '" + work_dir +
                                               "': " + ErrnoText(err));
        }
        return absl::OkStatus();
      });
}

absl::StatusOr<int64_t> FsAdapter::Count() {
  if (options_.flavour != FsFlavour::kVexfs) {
    return absl::UnimplementedError("fs targets of flavour plain keep no items to count");
  }
  auto count = std::make_shared<std::atomic<int64_t>>(0);
  const std::string work_dir = work_dir_;
  absl::Status status = RunBounded(
      target_path_ + ": counting the .vec files in '" + work_dir + "'", kFsControlCallTimeout,
      options_.max_abandoned_threads, [count, work_dir](const Beat& beat) {
        DIR* dir = opendir(work_dir.c_str());
        if (dir == nullptr) {
          const int err = errno;
          return absl::UnavailableError("opendir('" + work_dir + "'): " + ErrnoText(err));
        }
        int64_t n = 0;
        while (const dirent* entry = readdir(dir)) {
          if (EndsWith(entry->d_name, ".vec")) ++n;
          if ((n & 1023) == 0) beat();
        }
        closedir(dir);
        count->store(n);
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return count->load();
}

absl::Status FsAdapter::Teardown() {
  if (options_.keep) return absl::OkStatus();
  const std::string work_dir = work_dir_;
  return RunBounded(
      target_path_ + ": removing '" + work_dir + "'", kFsControlCallTimeout,
      options_.max_abandoned_threads, [work_dir](const Beat& beat) {
        namespace fs = std::filesystem;
        std::error_code ec;
        for (fs::directory_iterator it(work_dir, ec), end; !ec && it != end; it.increment(ec)) {
          std::error_code remove_ec;
          fs::remove_all(it->path(), remove_ec);
          beat();
        }
        if (ec && ec != std::errc::no_such_file_or_directory) {
          return absl::UnavailableError("listing '" + work_dir + "': " + ec.message());
        }
        if (rmdir(work_dir.c_str()) != 0 && errno != ENOENT) {
          const int err = errno;
          return absl::UnavailableError("rmdir('" + work_dir + "'): " + ErrnoText(err));
        }
        return absl::OkStatus();
      });
}

std::vector<std::string> FsAdapter::Notes() const {
  std::vector<std::string> notes;
  notes.push_back("fs: files under " + work_dir_ + (options_.keep ? " (kept)" : "") +
                  "; every file-system call is bounded by the phase timeout: a call that does "
                  "not return is counted as a timeout and its thread abandoned (at most " +
                  std::to_string(options_.max_abandoned_threads) +
                  " blocked at once, then operations fail at once)");
  notes.push_back("fs: files = create + write " + std::to_string(options_.file_size) + " B" +
                  (options_.fsync ? " + fsync" : "") +
                  " + close + open + read + close + stat + unlink");
  if (options_.flavour == FsFlavour::kVexfs) {
    notes.push_back(
        "fs flavour vexfs: insert writes one <id>.vec file per vector; query writes "
        "the vector to " +
        search_file() +
        " and reads the 10 nearest names back; "
        "queries of one agent take turns on that one search file");
  }
  return notes;
}

absl::Status FsAdapter::ValidatePhase(const PhaseSpec& phase) const {
  if (phase.open_loop()) {
    return absl::InvalidArgumentError(
        phase.path + ".rate: fs targets run closed loop only; expected concurrency without rate");
  }
  const bool vexfs = options_.flavour == FsFlavour::kVexfs;
  const bool known =
      phase.op == "files" || (vexfs && (phase.op == "insert" || phase.op == "query"));
  if (!known) {
    return absl::InvalidArgumentError(
        phase.path + ".op: '" + phase.op + "' is not an operation of fs targets of flavour " +
        (vexfs ? "vexfs; expected 'files', 'insert' or 'query'" : "plain; expected 'files'"));
  }
  if (phase.op == "insert" && phase.batch && *phase.batch != 1) {
    return absl::InvalidArgumentError(
        phase.path + ".batch: " + std::to_string(*phase.batch) +
        " vectors; flavour vexfs stores one vector per .vec file; expected 1 or no batch");
  }
  if (phase.filter) {  // vexfs-contract.md: /_vexfs/search takes a vector and nothing else
    return absl::InvalidArgumentError(
        phase.path + ".filter: VexFS's FUSE search (/_vexfs/search) cannot filter; expected no "
                     "filter on fs targets");
  }
  if (phase.op == "query" && phase.k && *phase.k > kVexfsSearchK) {
    return absl::InvalidArgumentError(phase.path + ".k: " + std::to_string(*phase.k) +
                                      " is more than the " + std::to_string(kVexfsSearchK) +
                                      " names /_vexfs/search answers; expected 1.." +
                                      std::to_string(kVexfsSearchK));
  }
  return absl::OkStatus();
}

absl::StatusOr<OperationSourcePtr> FsAdapter::CreateSource(const PhaseSpec& phase,
                                                           const SourceSlice& /*slice*/,
                                                           const Dataset* /*dataset*/) const {
  return absl::UnimplementedError(phase.path +
                                  ": fs targets are driven by the file driver "
                                  "(agent/file_driver.h), not by an operation source");
}

absl::StatusOr<AdapterPtr> CreateFsAdapter(const TargetSpec& target) {
  OptionReader reader(target.options, target.path);
  auto path = reader.String("path");
  if (!path.ok()) return path.status();
  auto file_size = reader.Int("file_size", 0, int64_t{1} << 30);
  if (!file_size.ok()) return file_size.status();
  auto flavour = reader.String("flavour");
  if (!flavour.ok()) return flavour.status();
  auto fsync = reader.Bool("fsync");
  if (!fsync.ok()) return fsync.status();
  auto keep = reader.Bool("keep");
  if (!keep.ok()) return keep.status();
  auto max_abandoned = reader.Int("max_abandoned_threads", 1, 4096);
  if (!max_abandoned.ok()) return max_abandoned.status();
  if (absl::Status s = reader.RejectUnknown(); !s.ok()) return s;

  FsOptions options;
  if (!path->has_value() || (*path)->empty()) {
    return absl::InvalidArgumentError(reader.FieldPath("path") +
                                      ": required; expected the mounted directory to work in");
  }
  options.path = **path;
  while (options.path.size() > 1 && options.path.back() == '/') options.path.pop_back();
  options.file_size = file_size->value_or(options.file_size);
  const std::string flavour_name = flavour->value_or("plain");
  if (flavour_name == "plain") {
    options.flavour = FsFlavour::kPlain;
  } else if (flavour_name == "vexfs") {
    options.flavour = FsFlavour::kVexfs;
  } else {
    return absl::InvalidArgumentError(reader.FieldPath("flavour") + ": '" + flavour_name +
                                      "' is not a flavour; expected plain or vexfs");
  }
  options.fsync = fsync->value_or(options.fsync);
  options.keep = keep->value_or(options.keep);
  options.max_abandoned_threads =
      static_cast<int>(max_abandoned->value_or(options.max_abandoned_threads));
  return std::make_unique<FsAdapter>(std::move(options), target.path);
}

std::string VecFileName(int64_t id) { return std::to_string(id) + ".vec"; }

void AppendVecText(std::span<const float> vector, std::string& out) {
  char buffer[128];
  for (size_t i = 0; i < vector.size(); ++i) {
    if (i != 0) out.push_back(',');
    const auto [end, ec] =
        std::to_chars(buffer, buffer + sizeof buffer, vector[i], std::chars_format::fixed);
    if (ec == std::errc()) {
      out.append(buffer, end);
    } else {  // cannot happen for a float in 128 characters; keep the text well-formed
      out.push_back('0');
    }
  }
}

bool ParseVexfsSearchAnswer(std::string_view answer, std::vector<int64_t>& ids) {
  ids.clear();
  constexpr std::string_view kSeparators = " \t\r\n,;:\"'[](){}";
  bool blank = true;
  bool named_vec = false;
  size_t pos = 0;
  while (pos < answer.size()) {
    const size_t begin = answer.find_first_not_of(kSeparators, pos);
    if (begin == std::string_view::npos) break;
    blank = false;
    const size_t end = std::min(answer.find_first_of(kSeparators, begin), answer.size());
    std::string_view name = answer.substr(begin, end - begin);
    pos = end;
    if (!EndsWith(name, ".vec")) continue;
    named_vec = true;
    if (const size_t slash = name.rfind('/'); slash != std::string_view::npos) {
      name.remove_prefix(slash + 1);
    }
    const std::string_view stem = name.substr(0, name.size() - 4);
    int64_t id = -1;
    const auto [ptr, ec] = std::from_chars(stem.data(), stem.data() + stem.size(), id);
    if (ec == std::errc() && ptr == stem.data() + stem.size() && id >= 0) ids.push_back(id);
  }
  return blank || named_vec;
}

}  // namespace vexbench
