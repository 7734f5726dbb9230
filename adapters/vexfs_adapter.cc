#include "adapters/vexfs_adapter.h"

namespace vexbench {

absl::StatusOr<AdapterPtr> CreateVexfsAdapter(const TargetSpec& target) {
  return absl::UnimplementedError(target.path + ".kind: 'vexfs' is not available in this build yet");
}

}  // namespace vexbench
