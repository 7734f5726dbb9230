// Kind `qdrant` (being written).
#ifndef VEXBENCH_ADAPTERS_QDRANT_ADAPTER_H_
#define VEXBENCH_ADAPTERS_QDRANT_ADAPTER_H_

#include "absl/status/statusor.h"
#include "adapters/adapter.h"

namespace vexbench {

absl::StatusOr<AdapterPtr> CreateQdrantAdapter(const TargetSpec& target);

}  // namespace vexbench

#endif  // VEXBENCH_ADAPTERS_QDRANT_ADAPTER_H_
