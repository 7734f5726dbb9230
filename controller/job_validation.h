// Checks a parsed job spec against what this build can run, before anything starts: every
// target has an adapter that accepts its options, every phase is an operation its targets
// support, every threshold parses and names a phase of the job.
#ifndef VEXBENCH_CONTROLLER_JOB_VALIDATION_H_
#define VEXBENCH_CONTROLLER_JOB_VALIDATION_H_

#include <vector>

#include "absl/status/statusor.h"
#include "common/job_spec.h"
#include "controller/threshold.h"

namespace vexbench {

// The parsed thresholds, or the first problem (naming the field path).
absl::StatusOr<std::vector<Threshold>> ValidateJob(const JobSpec& spec);

}  // namespace vexbench

#endif  // VEXBENCH_CONTROLLER_JOB_VALIDATION_H_
