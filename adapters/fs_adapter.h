// Kind `fs`: file operations on any mounted path (FUSE or not). The operations themselves run in
// agent/file_driver.h (worker threads, a deadline on every call); this adapter holds the
// target's options, prepares and removes the working directory, and knows the VexFS FUSE
// contract (../shared/reference/vexfs-contract.md, "FUSE").
//
// Options (beside name, kind; no url):
//   path: /mnt/x              # the mounted directory; required, must exist at setup
//   file_size: 4096           # bytes written and read back by each `files` cycle
//   flavour: plain            # plain | vexfs
//   fsync: true               # fsync each written file before closing it
//   keep: false               # true: teardown leaves <path>/vexbench-run/ in place
//   max_abandoned_threads: 64 # threads left blocked in hung calls before operations fail fast
// Operations: `files` (both flavours): one cycle create+write+fsync+read+stat+unlink per
// operation. Flavour vexfs adds `insert` (one dataset vector per `.vec` file) and `query` (through
// `<path>/_vexfs/search`, recall judged from the file names it answers).
//
// Everything vexbench creates lives under <path>/vexbench-run/ (the job's name is not known to
// adapters: TargetSpec does not carry it).
#ifndef VEXBENCH_ADAPTERS_FS_ADAPTER_H_
#define VEXBENCH_ADAPTERS_FS_ADAPTER_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "adapters/adapter.h"

namespace vexbench {

enum class FsFlavour { kPlain, kVexfs };

struct FsOptions {
  std::string path;  // the mounted directory, as given
  int64_t file_size = 4096;
  FsFlavour flavour = FsFlavour::kPlain;
  bool fsync = true;
  bool keep = false;
  // Abandoned threads (process-wide, AbandonedFsThreads()) at or above which no new thread is
  // started: operations then fail at once as timeouts. At most this many plus the workers of
  // the phase are ever blocked at once.
  int max_abandoned_threads = 64;
};

// How long a control call (setup, count, teardown) may go without progress before the file
// system is taken as hung and the call is abandoned.
inline constexpr Duration kFsControlCallTimeout = std::chrono::seconds(2);

class FsAdapter final : public Adapter {
 public:
  // `target_path` is the target's field path ("targets[0]") for messages.
  FsAdapter(FsOptions options, std::string target_path);

  const FsOptions& options() const { return options_; }
  // <path>/vexbench-run: where every file of the run is created.
  const std::string& work_dir() const { return work_dir_; }
  // <path>/_vexfs/search (vexfs-contract.md: "write `0.1,0.2,...` to `/_vexfs/search`").
  std::string search_file() const { return options_.path + "/_vexfs/search"; }
  const std::string& target_path() const { return target_path_; }

  // Adapter
  std::string_view kind() const override { return "fs"; }
  const ConnectionSettings& connection() const override { return connection_; }
  // Checks that `path` is a directory and creates the working directory (each call bounded).
  absl::Status Setup(const Dataset* dataset, bool create, Duration timeout) override;
  // Flavour vexfs: the `.vec` files in the working directory. Plain: unimplemented.
  absl::StatusOr<int64_t> Count() override;
  // Removes the working directory and everything in it, unless `keep`.
  absl::Status Teardown() override;
  std::vector<std::string> Notes() const override;
  absl::Status ValidatePhase(const PhaseSpec& phase) const override;
  // Unimplemented: fs targets run through CreateFileDriver (agent/file_driver.h).
  absl::StatusOr<OperationSourcePtr> CreateSource(const PhaseSpec& phase, const SourceSlice& slice,
                                                  const Dataset* dataset) const override;

 private:
  const FsOptions options_;
  const std::string target_path_;
  const std::string work_dir_;
  const ConnectionSettings connection_;
};

absl::StatusOr<AdapterPtr> CreateFsAdapter(const TargetSpec& target);

// --- The VexFS FUSE contract (vexfs-contract.md, "FUSE: vexfs_fuse") ---

// The k the search file answers: "it holds the names of the 10 nearest `.vec` files".
inline constexpr int kVexfsSearchK = 10;
// "<id>.vec": the file that stores dataset vector `id`.
std::string VecFileName(int64_t id);
// Appends the vector "as comma-separated decimal text (`0.12,-0.5,...`)": each float in the
// shortest fixed-point form that reads back to the same float.
void AppendVecText(std::span<const float> vector, std::string& out);
// Reads the ids out of the search file's answer: every name ending in ".vec" (after any
// directory part) whose stem is a non-negative integer, in order. Names of other `.vec` files
// are skipped. False when the answer is not blank yet names no `.vec` file at all.
bool ParseVexfsSearchAnswer(std::string_view answer, std::vector<int64_t>& ids);

// --- Threads blocked in the file system ---

// Threads of this process that vexbench stopped waiting for while they were blocked in a
// file-system call (they exit when the call returns, if ever). Process-wide; thread-safe.
int AbandonedFsThreads();
// +1 when a thread is abandoned, -1 when an abandoned thread's call has returned.
void CountAbandonedFsThreads(int delta);

}  // namespace vexbench

#endif  // VEXBENCH_ADAPTERS_FS_ADAPTER_H_
