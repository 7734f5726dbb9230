// Test support: a vexbench controller, its agents and the CLI as real processes, each
// optionally inside a network namespace (netns.h). Every process is killed (SIGKILL) by the
// destructor of the object that started it, so a failing test leaves nothing running.
#ifndef VEXBENCH_TESTS_INTEGRATION_SUPPORT_CLUSTER_H_
#define VEXBENCH_TESTS_INTEGRATION_SUPPORT_CLUSTER_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/integration/support/subprocess.h"

namespace vexbench::testing {

// An argv prefix that runs a command elsewhere, e.g. {"ip", "netns", "exec", "ns"}; empty
// runs it here.
using Launcher = std::vector<std::string>;

struct ControllerProcessOptions {
  // HOST:PORT; port 0 picks a free one (read back from the "listening on" line).
  std::string listen = "127.0.0.1:0";
  std::string data_dir;            // "" = a fresh temp dir
  std::vector<std::string> flags;  // e.g. {"--token", "t"}, TLS files, "--insecure"
  Launcher launcher;
};

// `vexbench controller`, started by the constructor, which returns once the controller has
// printed its "listening on HOST:PORT" line; throws std::runtime_error (with its stderr) if it
// exits or prints nothing within 10 s.
class ControllerProcess {
 public:
  explicit ControllerProcess(ControllerProcessOptions options);
  ~ControllerProcess();  // SIGKILL
  ControllerProcess(const ControllerProcess&) = delete;
  ControllerProcess& operator=(const ControllerProcess&) = delete;

  // "HOST:PORT" as printed, with the port actually bound.
  const std::string& address() const { return address_; }
  const std::string& data_dir() const { return options_.data_dir; }
  void Kill();  // SIGKILL, reaped; Start() may follow
  // Starts it again on the same address (the port it bound first) and --data.
  void Restart();
  // Everything the current process wrote (stdout, where spdlog logs, then stderr).
  std::string Log() const;

 private:
  void Start();
  ControllerProcessOptions options_;
  std::string log_dir_;
  int starts_ = 0;
  std::string address_;
  std::unique_ptr<Subprocess> process_;
};

// `vexbench agent --threads 1`, started by the constructor (which does not wait for it to
// connect: see ControllerClient::WaitForAgents).
class AgentProcess {
 public:
  AgentProcess(const std::string& controller, const std::string& name,
               std::vector<std::string> flags = {}, Launcher launcher = {});
  ~AgentProcess();  // SIGKILL
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;

  const std::string& name() const { return name_; }
  void Kill();  // SIGKILL, reaped
  // -1 while it runs, else its exit code (128+signal when killed).
  int ExitCode();
  // Everything it wrote (stdout, where spdlog logs, then stderr).
  std::string Log() const;

 private:
  std::string name_;
  std::unique_ptr<Subprocess> process_;
};

// The vexbench CLI against one controller: every command gets --controller ADDRESS and
// `flags` (token, TLS files).
class ControllerClient {
 public:
  ControllerClient(std::string address, std::vector<std::string> flags = {},
                   Launcher launcher = {});

  // Runs `vexbench <args> --controller ADDRESS <flags>`; killed after `timeout`.
  RunResult Run(const std::vector<std::string>& args,
                std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;
  // The same, in the background (the Subprocess kills it when destroyed).
  std::unique_ptr<Subprocess> Start(const std::vector<std::string>& args) const;

  // Writes `spec` to a temp file and returns its path.
  static std::string WriteSpec(const std::string& spec);
  // `submit SPEC_FILE --quiet <extra>`, waiting for the answer (not for the job unless
  // `extra` has --wait).
  RunResult Submit(const std::string& spec, const std::vector<std::string>& extra = {},
                   std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;
  // The job id `submit` printed alone on its last stdout line ("" if none).
  static std::string JobId(const std::string& submit_stdout);

  // `show ID --json`, parsed; a null json if the command failed.
  nlohmann::json Show(const std::string& job_id) const;
  // Polls Show() every 100 ms until job.state is `state`; false after `timeout`.
  bool WaitForJobState(const std::string& job_id, const std::string& state,
                       std::chrono::milliseconds timeout) const;

  // `agents`, parsed: agent name -> state ("idle", "busy"). Empty if the command failed.
  std::map<std::string, std::string> Agents() const;
  // Polls Agents() every 100 ms until every one of `names` is listed in `state`; false after
  // `timeout`.
  bool WaitForAgents(const std::vector<std::string>& names, const std::string& state,
                     std::chrono::milliseconds timeout) const;

  struct JobRow {
    std::string state;
    std::string exit_code;  // "-" while the job has none
  };
  // `jobs`, parsed: job id -> row. Empty if the command failed.
  std::map<std::string, JobRow> Jobs() const;

 private:
  std::string address_;
  std::vector<std::string> flags_;
  Launcher launcher_;
  std::string log_dir_;
};

}  // namespace vexbench::testing

#endif  // VEXBENCH_TESTS_INTEGRATION_SUPPORT_CLUSTER_H_
