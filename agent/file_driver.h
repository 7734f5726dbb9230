// Drives a file-system target (kind fs) for one thread's slice of a phase: file operations run
// on worker threads, each call with a deadline; a call that hangs (a stuck FUSE mount) is
// counted as a timeout and abandoned on its thread, and the driver moves on.
//
// Threads: each worker of the plan (`connections`) is one thread running operations back to
// back (closed loop); it records into the driver's recorders under one mutex. A supervisor on
// the io_context (a timer every min(timeout / 8, 10 ms), at least 1 ms) gives up on an
// operation whose deadline (its start + the phase timeout, which bounds every call in it) has
// passed: it records a timeout, marks the thread abandoned (detached: when its call returns,
// it closes what it opened and exits without recording) and starts a fresh thread for that
// worker. While AbandonedFsThreads() (adapters/fs_adapter.h) is at the target's
// max_abandoned_threads, no thread is started: such a worker's operations fail at once as
// timeouts (one per supervisor tick) until blocked threads return.
//
// Caveat (kernel, not vexbench): closing a FUSE file sends FLUSH, which the kernel waits for
// without a timeout. A thread abandoned while it holds such a file open keeps the process from
// exiting until the file system answers again or its connection is aborted; the job's results
// are complete by then.
#ifndef VEXBENCH_AGENT_FILE_DRIVER_H_
#define VEXBENCH_AGENT_FILE_DRIVER_H_

#include <functional>

#include "absl/status/statusor.h"
#include "adapters/adapter.h"
#include "agent/driver.h"
#include "agent/phase_driver.h"
#include "boost/asio/io_context.hpp"

namespace vexbench {

// `adapter` is the fs adapter of the target (adapters/fs_adapter.h). `plan` as for PhaseDriver
// (connections = worker count). `on_done` is posted to `io` after the last operation.
absl::StatusOr<DriverPtr> CreateFileDriver(boost::asio::io_context& io, const Adapter& adapter,
                                           const PhaseSpec& phase, const SourceSlice& slice,
                                           const Dataset* dataset, DriverPlan plan,
                                           std::function<void()> on_done);

// What a file driver did beside its recorded operations.
struct FileDriverStats {
  int64_t threads_started = 0;
  int64_t abandoned_calls = 0;  // operations given up on at their deadline (counted as timeouts)
  int64_t failed_fast = 0;      // operations failed at once: too many threads already blocked
};
// The stats of a driver made by CreateFileDriver; zeros for any other driver. Thread-safe.
FileDriverStats FileDriverStatsOf(const Driver& driver);

}  // namespace vexbench

#endif  // VEXBENCH_AGENT_FILE_DRIVER_H_
