#include "adapters/qdrant_adapter.h"

namespace vexbench {

absl::StatusOr<AdapterPtr> CreateQdrantAdapter(const TargetSpec& target) {
  return absl::UnimplementedError(target.path + ".kind: 'qdrant' is not available in this build yet");
}

}  // namespace vexbench
