// The adapter registry: target kind -> factory. Adding a target kind is one new file plus one
// line in registry.cc.
#ifndef VEXBENCH_ADAPTERS_REGISTRY_H_
#define VEXBENCH_ADAPTERS_REGISTRY_H_

#include "absl/status/statusor.h"
#include "adapters/adapter.h"
#include "common/job_spec.h"

namespace vexbench {

// Creates the adapter for `target.kind`, validating the kind's options. Errors name the
// target's field path (e.g. `targets[0].method: ...`).
absl::StatusOr<AdapterPtr> CreateAdapter(const TargetSpec& target);

}  // namespace vexbench

#endif  // VEXBENCH_ADAPTERS_REGISTRY_H_
