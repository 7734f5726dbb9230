// The CLI commands that talk to a controller: submit, jobs, show, cancel, agents, report,
// compare (report and compare also read report.json files without a controller).
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
struct ReportOptions {
  std::string source;    // a job id (asked from the controller) or a report.json file
  std::string format;    // json|md|csv|html|junit|hlog; "": every file the controller keeps
  std::string out_dir;   // "": print one-file formats; the rest go to vexbench-out/<id>
  std::string baseline;  // --baseline TARGET for md and html ("" = the first target)
};

// `vexbench report`: exit 0, or 2 with a message naming the flag or input that was wrong.
int ReportCommand(const ClientOptions& client, const ReportOptions& options);

struct CompareOptions {
  std::vector<std::string> sources;  // A B (baseline, current), or one job id with --baseline
  std::string max_regression;        // "": p99=10%,throughput=5% (controller/compare.h)
  std::string format = "md";         // md|json|junit
  std::string baseline;              // "" or "last-successful"
};

// `vexbench compare`: 0 no regression, 1 a regression, 2 bad input (the message names the flag
// or argument) or an unreachable controller.
int CompareCommand(const ClientOptions& client, const CompareOptions& options);

}  // namespace vexbench

#endif  // VEXBENCH_CONTROLLER_CLI_CLIENT_H_
