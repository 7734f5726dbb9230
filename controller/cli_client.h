// The CLI commands that talk to a controller: submit, jobs, show, cancel, agents, report.
// Each returns the process exit code; errors name what was wrong and how to fix it.
#ifndef VEXBENCH_CONTROLLER_CLI_CLIENT_H_
#define VEXBENCH_CONTROLLER_CLI_CLIENT_H_

#include <map>
#include <string>
#include <vector>

#include "common/transport_security.h"

namespace vexbench {

struct ClientOptions {
  std::string controller;  // host:port
  std::string token;       // bearer token ("" = none)
  TlsFiles tls;
};

struct SubmitOptions {
  std::string job_file;
  std::vector<std::string> overrides;
  int agents = 0;  // 0: the spec's agents.count
  std::map<std::string, std::string> selector;
  bool wait = false;
  bool quiet = false;
};

int SubmitCommand(const ClientOptions& client, const SubmitOptions& options);
int JobsCommand(const ClientOptions& client, int limit);
int ShowCommand(const ClientOptions& client, const std::string& job_id, bool json);
int CancelCommand(const ClientOptions& client, const std::string& job_id);
int AgentsCommand(const ClientOptions& client);
int ReportCommand(const ClientOptions& client, const std::string& job_id,
                  const std::string& out_dir);

}  // namespace vexbench

#endif  // VEXBENCH_CONTROLLER_CLI_CLIENT_H_
