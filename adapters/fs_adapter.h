// Kind `fs` (being written).
#ifndef VEXBENCH_ADAPTERS_FS_ADAPTER_H_
#define VEXBENCH_ADAPTERS_FS_ADAPTER_H_

#include "absl/status/statusor.h"
#include "adapters/adapter.h"

namespace vexbench {

absl::StatusOr<AdapterPtr> CreateFsAdapter(const TargetSpec& target);

}  // namespace vexbench

#endif  // VEXBENCH_ADAPTERS_FS_ADAPTER_H_
