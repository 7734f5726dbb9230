// The report's view of target resource sampling (targets[].process; agent/resource_sampler.h):
//
//   "resources": [{"target": "chroma", "agent": "a1", "source": "pid 123 (chroma)",
//                  "samples": [{"t_s": 1.0, "phase": "load", "rss_bytes": N,
//                               "cpu_percent": 12.5}],
//                  "peak_rss_bytes": N, "notes": ["..."]}]
//   and on each result of op `insert` of a sampled target:
//   "memory": {"rss_before_bytes": A, "rss_after_bytes": B, "vectors": N,
//              "bytes_per_1000_vectors": X}
//
// t_s: seconds from the job's start, on the controller's clock (the agent's clock offset
// removed). cpu_percent: CPU seconds used between a sample and the previous one of the same
// entry over the wall time between them, x 100 (100 = one core busy); null for the first sample,
// when less than 1 ms separates them, or when the summed CPU went down (a matched process
// exited). Samples that failed (process not found or gone) are left out of `samples` and counted
// in `notes`.
// memory: A is the sample taken just before the phase started (before its warm-up), B the one
// taken just after its last operation completed, N the result's `items` (vectors the target
// acknowledged in the measured window), X = (B - A) x 1000 / N. Left out (with a note in the
// resource entry) when either sample failed or N is 0.
#ifndef VEXBENCH_CONTROLLER_RESOURCE_REPORT_H_
#define VEXBENCH_CONTROLLER_RESOURCE_REPORT_H_

#include "controller/report.h"
#include "nlohmann/json.hpp"

namespace vexbench {

// Adds "resources" to `report` and "memory" to its insert results (report["results"] must be
// built). Targets without `process` get nothing; with `process` they always get an entry.
void AddResourceReport(const JobRecord& job, nlohmann::json& report);

}  // namespace vexbench

#endif  // VEXBENCH_CONTROLLER_RESOURCE_REPORT_H_
