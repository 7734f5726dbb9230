#include "adapters/fs_adapter.h"

namespace vexbench {

absl::StatusOr<AdapterPtr> CreateFsAdapter(const TargetSpec& target) {
  return absl::UnimplementedError(target.path + ".kind: 'fs' is not available in this build yet");
}

}  // namespace vexbench
