// `vexbench run JOB.yaml`: the controller and one agent in this process, through the same
// code the daemons use (JobExecution on the controller side, ShardRunner on the agent side,
// messages passed as the wire protos).
#ifndef VEXBENCH_CONTROLLER_CLI_RUN_H_
#define VEXBENCH_CONTROLLER_CLI_RUN_H_

#include <string>
#include <vector>

namespace vexbench {

struct RunOptions {
  std::string job_file;
  std::string out_dir;  // empty: vexbench-out/<job name>-<UTC timestamp>
  std::vector<std::string> overrides;
  int threads = 0;  // 0: one per core
  bool quiet = false;  // no live lines
  bool check = false;  // validate the spec (every field, every adapter's options) and stop
};

// Returns the process exit code (controller/job_execution.h ExitCode).
int RunJobCommand(const RunOptions& options);

}  // namespace vexbench

#endif  // VEXBENCH_CONTROLLER_CLI_RUN_H_
