#include "adapters/weaviate_adapter.h"

namespace vexbench {

absl::StatusOr<AdapterPtr> CreateWeaviateAdapter(const TargetSpec& target) {
  return absl::UnimplementedError(target.path + ".kind: 'weaviate' is not available in this build yet");
}

}  // namespace vexbench
