// `vexbench schedule add|list|show|pause|resume|rm`: the CLI of the controller's schedules
// (scheduler.h). Each command takes the client flags of the other controller commands.
#ifndef VEXBENCH_CONTROLLER_CLI_SCHEDULE_H_
#define VEXBENCH_CONTROLLER_CLI_SCHEDULE_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "controller/cli_client.h"

namespace CLI {
class App;
}  // namespace CLI

namespace vexbench {

struct ScheduleAddOptions {
  std::string name;
  std::string cron;
  std::string time_zone = "UTC";
  std::string job_file;
  std::vector<std::string> overrides;
  int agents = 0;
  std::vector<std::string> selector;  // k=v items
  std::string overlap = "skip";
  std::string max_regression = "p99=10%,throughput=5%";
};

// Adds the `schedule` command and its subcommands to `app`. `add_client_flags` adds
// --controller, --token and the TLS flags (bound to `client`) to a subcommand.
class ScheduleCommands {
 public:
  ScheduleCommands(CLI::App& app, const std::function<void(CLI::App*)>& add_client_flags);
  // True when the command line chose `schedule ...`.
  bool parsed() const;
  // Runs the chosen subcommand; returns the exit code (0 ok, 2 error).
  int Run(const ClientOptions& client) const;

 private:
  CLI::App* schedule_ = nullptr;
  CLI::App* add_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* show_ = nullptr;
  CLI::App* pause_ = nullptr;
  CLI::App* resume_ = nullptr;
  CLI::App* rm_ = nullptr;
  ScheduleAddOptions add_options_;
  std::string name_;
  int history_ = 20;
  bool json_ = false;
};

}  // namespace vexbench

#endif  // VEXBENCH_CONTROLLER_CLI_SCHEDULE_H_
