// `vexbench controller` and `vexbench agent`: the two daemons.
#ifndef VEXBENCH_CONTROLLER_CLI_DAEMONS_H_
#define VEXBENCH_CONTROLLER_CLI_DAEMONS_H_

#include <string>

#include "agent/agent_daemon.h"
#include "common/transport_security.h"

namespace vexbench {

struct ControllerCommandOptions {
  std::string listen = "127.0.0.1:7700";
  std::string data_dir = "vexbench-data";
  std::string http;  // HOST:PORT of the JSON API ("" = none)
  TlsFiles tls;
  std::string token;       // bearer token the CLI must present ("" = none)
  std::string join_token;  // token agents must present ("" = none)
  bool insecure = false;   // allow plaintext on a non-loopback address
};

// Serves until SIGINT/SIGTERM. Returns the exit code.
int RunControllerCommand(const ControllerCommandOptions& options);

// Runs the agent daemon until SIGINT/SIGTERM. Returns the exit code.
int RunAgentCommand(const AgentDaemonOptions& options);

}  // namespace vexbench

#endif  // VEXBENCH_CONTROLLER_CLI_DAEMONS_H_
