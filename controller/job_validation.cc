#include "controller/job_validation.h"

#include <algorithm>

#include "absl/status/status.h"
#include "adapters/registry.h"

namespace vexbench {

absl::StatusOr<std::vector<Threshold>> ValidateJob(const JobSpec& spec) {
  for (const TargetSpec& target : spec.targets) {
    auto adapter = CreateAdapter(target);
    if (!adapter.ok()) return adapter.status();
    for (const PhaseSpec& phase : spec.phases) {
      const bool drives = phase.targets.empty() ||
                          std::find(phase.targets.begin(), phase.targets.end(), target.name) !=
                              phase.targets.end();
      if (!drives) continue;
      if (absl::Status s = (*adapter)->ValidatePhase(phase); !s.ok()) return s;
    }
  }
  std::vector<Threshold> thresholds;
  for (size_t i = 0; i < spec.thresholds.size(); ++i) {
    auto t = ParseThreshold(spec.thresholds[i]);
    if (!t.ok()) {
      return absl::InvalidArgumentError("thresholds[" + std::to_string(i) + "]: " +
                                        std::string(t.status().message()));
    }
    if (t->phase && std::none_of(spec.phases.begin(), spec.phases.end(),
                                 [&](const PhaseSpec& p) { return p.name == *t->phase; })) {
      return absl::InvalidArgumentError("thresholds[" + std::to_string(i) + "]: \"" + t->expr +
                                        "\": no phase named '" + *t->phase +
                                        "'; expected the name of a phase of this job");
    }
    thresholds.push_back(*std::move(t));
  }
  return thresholds;
}

}  // namespace vexbench
