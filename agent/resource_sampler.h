// Reads the memory and CPU use of a target's process(es) on this host (`targets[].process`),
// for the report's `resources` series and its memory per 1,000 vectors.
//
// What is read, per kind of ProcessSpec:
//   pid N      /proc/N/statm (resident pages x page size) and /proc/N/stat (utime + stime);
//              that one process, not its children.
//   name STR   every process whose /proc/PID/comm equals STR, or whose argv[0] (from
//              /proc/PID/cmdline) has the basename STR; RSS and CPU are summed over them. The
//              kernel cuts comm to 15 characters, so a longer name matches through argv[0].
//              This process (the agent) never matches.
//   cgroup P   P/memory.current (bytes charged to the cgroup: anonymous memory, page cache and
//              kernel memory) and `usage_usec` of P/cpu.stat; P is absolute, or relative to the
//              cgroup v2 mount /sys/fs/cgroup.
// A process that does not exist (or is gone) is a NotFound status naming it, never a crash.
//
// Thread safety: one sampler per thread; Sample() reads only files.
#ifndef VEXBENCH_AGENT_RESOURCE_SAMPLER_H_
#define VEXBENCH_AGENT_RESOURCE_SAMPLER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/job_spec.h"

namespace vexbench {

struct ResourceReading {
  int64_t rss_bytes = 0;
  double cpu_seconds = 0;  // cumulative user + system
  int processes = 0;       // how many processes were summed (1 for pid, 0 for a cgroup)
  std::string source;      // "pid 123 (nginx)", "name nginx: 2 processes (pids 7, 9)", "cgroup P"
};

// One process: RSS from statm and CPU from stat under `proc_root` ("/proc"). NotFound when the
// process does not exist.
absl::StatusOr<ResourceReading> ReadProcessUsage(int64_t pid,
                                                 const std::string& proc_root = "/proc");

class ResourceSampler {
 public:
  // `proc_root` and `cgroup_root` are /proc and /sys/fs/cgroup except in tests.
  explicit ResourceSampler(ProcessSpec spec, std::string proc_root = "/proc",
                           std::string cgroup_root = "/sys/fs/cgroup");

  // One reading now. NotFound (no such process, none named so, no such cgroup) or another
  // error naming the file that could not be read.
  absl::StatusOr<ResourceReading> Sample() const;

 private:
  absl::StatusOr<ResourceReading> SampleName() const;
  absl::StatusOr<ResourceReading> SampleCgroup() const;

  const ProcessSpec spec_;
  const std::string proc_root_;
  const std::string cgroup_root_;
};

}  // namespace vexbench

#endif  // VEXBENCH_AGENT_RESOURCE_SAMPLER_H_
