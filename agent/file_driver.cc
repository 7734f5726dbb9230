#include "agent/file_driver.h"

namespace vexbench {

absl::StatusOr<DriverPtr> CreateFileDriver(boost::asio::io_context& /*io*/,
                                           const Adapter& /*adapter*/, const PhaseSpec& phase,
                                           const SourceSlice& /*slice*/,
                                           const Dataset* /*dataset*/, DriverPlan /*plan*/,
                                           std::function<void()> /*on_done*/) {
  return absl::UnimplementedError(phase.path + ": file-system targets are not available yet");
}

}  // namespace vexbench
