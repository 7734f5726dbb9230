// Test support: run a real process with its output captured to files, with a time limit.
#ifndef VEXBENCH_TESTS_INTEGRATION_SUPPORT_SUBPROCESS_H_
#define VEXBENCH_TESTS_INTEGRATION_SUPPORT_SUBPROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace vexbench::testing {

class Subprocess {
 public:
  // Starts argv[0] (searched in PATH) with stdout and stderr written to `log_prefix`.out/.err.
  Subprocess(const std::vector<std::string>& argv, const std::string& log_prefix);
  ~Subprocess();  // kills (SIGKILL) and reaps the process if it still runs
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int signo) const;
  // Waits up to `timeout`; returns the exit code, 128+signal, or -1 on timeout (still running).
  int Wait(std::chrono::milliseconds timeout);
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  pid_t pid_ = -1;
  std::string log_prefix_;
  bool reaped_ = false;
  int status_ = 0;
};

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  double seconds = 0;
};

// Runs the vexbench binary under test with `args`; kills it after `timeout`.
RunResult RunVexbench(const std::vector<std::string>& args, const std::string& log_prefix,
                      std::chrono::milliseconds timeout = std::chrono::seconds(120));

// A fresh empty directory under the system temp dir.
std::string MakeTempDir(const std::string& name);
std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& content);

}  // namespace vexbench::testing

#endif  // VEXBENCH_TESTS_INTEGRATION_SUPPORT_SUBPROCESS_H_
