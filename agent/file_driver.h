// Drives a file-system target (kind fs) for one thread's slice of a phase: file operations run
// on worker threads, each call with a deadline; a call that hangs (a stuck FUSE mount) is
// counted as a timeout and abandoned on its thread, and the driver moves on.
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

}  // namespace vexbench

#endif  // VEXBENCH_AGENT_FILE_DRIVER_H_
