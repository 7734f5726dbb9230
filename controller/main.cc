// vexbench: one binary, subcommands. Thin: parses flags and calls the command.
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/synchronization/mutex.h"
#include "controller/cli_client.h"
#include "controller/cli_daemons.h"
#include "controller/cli_run.h"
#include "controller/cli_schedule.h"

namespace {

constexpr char kExitCodes[] =
    "Exit codes: 0 succeeded and every threshold passed, 1 a threshold failed, 2 bad spec or "
    "failed job, 3 partial (an agent was lost), 4 cancelled or interrupted.";

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

void AddTlsFlags(CLI::App* cmd, vexbench::TlsFiles& tls, const std::string& role) {
  cmd->add_option("--tls-cert", tls.cert_file, "PEM certificate " + role)->check(CLI::ExistingFile);
  cmd->add_option("--tls-key", tls.key_file, "PEM private key of --tls-cert")
      ->check(CLI::ExistingFile);
  cmd->add_option("--tls-ca", tls.ca_file,
                  "PEM CA: verifies the peer (with certificates on both sides: mutual TLS)")
      ->check(CLI::ExistingFile);
}

void AddClientFlags(CLI::App* cmd, vexbench::ClientOptions& client) {
  cmd->add_option("--controller", client.controller,
                  "Controller address HOST:PORT (default: $VEXBENCH_CONTROLLER or 127.0.0.1:7700)");
  cmd->add_option("--token", client.token, "Bearer token (default: $VEXBENCH_TOKEN)");
  AddTlsFlags(cmd, client.tls, "presented to the controller (mutual TLS)");
}

// "k=v,k2=v2" (labels) or repeated "k=v" (selectors).
bool ParsePairs(const std::vector<std::string>& items, std::map<std::string, std::string>& out,
                const std::string& flag) {
  for (const std::string& item : items) {
    size_t start = 0;
    while (start <= item.size()) {
      const size_t comma = item.find(',', start);
      const std::string pair = item.substr(start, comma == std::string::npos ? comma : comma - start);
      const size_t eq = pair.find('=');
      if (eq == std::string::npos || eq == 0) {
        std::cerr << "vexbench: " << flag << " \"" << pair << "\": expected key=value\n";
        return false;
      }
      out[pair.substr(0, eq)] = pair.substr(eq + 1);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian builds Abseil without NDEBUG, which leaves absl::Mutex's deadlock detection (a
  // global lock and a graph walk on every contended lock of gRPC's) on in production.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  CLI::App app{"vexbench: a distributed load generator for vector databases"};
  app.set_version_flag("--version", std::string("vexbench ") + VEXBENCH_VERSION);
  app.require_subcommand(1);
  app.footer(kExitCodes);

  vexbench::RunOptions run;
  CLI::App* run_cmd = app.add_subcommand(
      "run", "Run a job in this process (controller and one agent) and write its report");
  run_cmd->add_option("job", run.job_file, "Job spec, YAML or JSON")->required();
  run_cmd->add_option("--out", run.out_dir,
                      "Directory for report.json and the .hlog files "
                      "(default: vexbench-out/<job name>-<UTC time>)");
  run_cmd->add_option("--set", run.overrides,
                      "Override a spec field before validation, e.g. --set phases[0].rate=2000 "
                      "(repeatable)");
  run_cmd->add_option("--threads", run.threads, "Engine threads (default: one per core)")
      ->check(CLI::NonNegativeNumber);
  run_cmd->add_flag("--quiet", run.quiet, "No live line each interval");
  run_cmd->add_flag("--check", run.check,
                    "Only validate the spec (every field and each target's options) and exit: 0 "
                    "valid, 2 not");
  run_cmd->footer(kExitCodes);

  vexbench::ControllerCommandOptions controller;
  CLI::App* controller_cmd =
      app.add_subcommand("controller", "Run the controller daemon (job store, agents, CLI API)");
  controller_cmd->add_option("--listen", controller.listen,
                             "gRPC address HOST:PORT (port 0 picks a free one)")
      ->capture_default_str();
  controller_cmd->add_option("--data", controller.data_dir, "Directory of the job store (SQLite)")
      ->capture_default_str();
  controller_cmd->add_option("--http", controller.http,
                             "Serve the dashboard, the JSON API (/api/jobs, /api/jobs/ID, "
                             "/api/agents, /healthz) and Prometheus /metrics on HOST:PORT");
  AddTlsFlags(controller_cmd, controller.tls, "served to agents and the CLI");
  controller_cmd->add_option("--token", controller.token,
                             "Bearer token the CLI must present (default: $VEXBENCH_TOKEN)");
  controller_cmd->add_option("--join-token", controller.join_token,
                             "Token agents must present (default: $VEXBENCH_JOIN_TOKEN)");
  controller_cmd->add_flag("--insecure", controller.insecure,
                           "Serve plaintext on a non-loopback address");

  vexbench::AgentDaemonOptions agent;
  std::vector<std::string> agent_labels;
  std::string agent_controller;
  CLI::App* agent_cmd =
      app.add_subcommand("agent", "Run an agent daemon: dial the controller, run what it assigns");
  agent_cmd->add_option("--controller", agent_controller,
                        "Controller address HOST:PORT (default: $VEXBENCH_CONTROLLER or "
                        "127.0.0.1:7700)");
  agent_cmd->add_option("--name", agent.name, "Agent name (default: the host name)");
  agent_cmd->add_option("--labels", agent_labels, "Labels k=v,k2=v2 for job selectors");
  agent_cmd->add_option("--threads", agent.threads, "Engine threads (default: one per core)")
      ->check(CLI::NonNegativeNumber);
  agent_cmd->add_option("--join-token", agent.join_token,
                        "Token presented to the controller (default: $VEXBENCH_JOIN_TOKEN)");
  AddTlsFlags(agent_cmd, agent.tls, "presented to the controller (mutual TLS)");
  agent_cmd->add_option("--metrics", agent.metrics_listen,
                        "Serve Prometheus metrics at http://HOST:PORT/metrics (port 0 picks a "
                        "free one; no TLS, no token: keep it on a private address)");

  vexbench::ClientOptions client;
  vexbench::SubmitOptions submit;
  std::vector<std::string> selectors;
  CLI::App* submit_cmd = app.add_subcommand("submit", "Submit a job to the controller");
  submit_cmd->add_option("job", submit.job_file, "Job spec, YAML or JSON")->required();
  submit_cmd->add_option("--set", submit.overrides, "Override a spec field (repeatable)");
  submit_cmd->add_option("--agents", submit.agents, "Number of agents (default: the spec's)")
      ->check(CLI::PositiveNumber);
  submit_cmd->add_option("--selector", selectors, "Only agents with label k=v (repeatable)");
  submit_cmd->add_flag("--wait", submit.wait, "Show progress and exit with the job's verdict");
  submit_cmd->add_flag("--quiet", submit.quiet, "With --wait: no progress lines");
  AddClientFlags(submit_cmd, client);
  submit_cmd->footer(std::string("Prints the job id alone on the last line of stdout. ") +
                     kExitCodes);

  int jobs_limit = 50;
  CLI::App* jobs_cmd = app.add_subcommand("jobs", "List jobs, newest first");
  jobs_cmd->add_option("--limit", jobs_limit, "At most this many")->capture_default_str();
  AddClientFlags(jobs_cmd, client);

  std::string job_id;
  bool show_json = false;
  CLI::App* show_cmd = app.add_subcommand("show", "Show a job and its results");
  show_cmd->add_option("id", job_id, "Job id")->required();
  show_cmd->add_flag("--json", show_json, "Print report.json (with job.state and agents[])");
  AddClientFlags(show_cmd, client);

  CLI::App* cancel_cmd = app.add_subcommand("cancel", "Cancel a queued or running job");
  cancel_cmd->add_option("id", job_id, "Job id")->required();
  AddClientFlags(cancel_cmd, client);

  CLI::App* agents_cmd = app.add_subcommand("agents", "List the connected agents");
  AddClientFlags(agents_cmd, client);

  vexbench::ReportOptions report;
  CLI::App* report_cmd = app.add_subcommand(
      "report", "Write a job's report: report.json and .hlog files, or one format of it");
  report_cmd->add_option("source", report.source,
                         "Job id (asked from the controller) or a report.json file")
      ->required();
  report_cmd->add_option("--format", report.format,
                         "json|md|csv|html|junit|hlog (default: for a job id, report.json and "
                         "every .hlog file into --out; for a file, md)");
  report_cmd->add_option("--out", report.out_dir,
                         "Directory for the files (default: one-file formats print to stdout; "
                         "otherwise vexbench-out/<id>)");
  report_cmd->add_option("--baseline", report.baseline,
                         "md/html: the target ratios and findings are taken against (default: "
                         "the first target)");
  AddClientFlags(report_cmd, client);
  report_cmd->footer("Formats and columns: docs/reports.md. Exit codes: 0 written, 2 bad input "
                     "or an unreachable controller.");

  vexbench::CompareOptions compare;
  CLI::App* compare_cmd = app.add_subcommand(
      "compare", "Compare two reports (A the baseline, B the run under test); flag regressions");
  compare_cmd->add_option("reports", compare.sources,
                          "A B: job ids or report.json files; or one job id with --baseline")
      ->expected(1, 2);
  compare_cmd->add_option("--max-regression", compare.max_regression,
                          "Largest tolerated worsening per metric, e.g. p99=10%,throughput=5% "
                          "(the default); metrics: p50 p90 p95 p99 p999 max mean throughput "
                          "items_per_s recall errors");
  compare_cmd->add_option("--format", compare.format, "md|json|junit")->capture_default_str();
  compare_cmd->add_option("--baseline", compare.baseline,
                          "last-successful: compare job B with the previous succeeded job of "
                          "the same name");
  AddClientFlags(compare_cmd, client);
  compare_cmd->footer("Exit codes: 0 no regression, 1 a regression, 2 bad input or an "
                      "unreachable controller. Semantics: docs/reports.md.");

  vexbench::ScheduleCommands schedule(app, [&](CLI::App* cmd) { AddClientFlags(cmd, client); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  client.controller = client.controller.empty() ? EnvOr("VEXBENCH_CONTROLLER", "127.0.0.1:7700")
                                                : client.controller;
  if (client.token.empty()) client.token = EnvOr("VEXBENCH_TOKEN", "");

  if (run_cmd->parsed()) return vexbench::RunJobCommand(run);
  if (controller_cmd->parsed()) {
    if (controller.token.empty()) controller.token = EnvOr("VEXBENCH_TOKEN", "");
    if (controller.join_token.empty()) controller.join_token = EnvOr("VEXBENCH_JOIN_TOKEN", "");
    return vexbench::RunControllerCommand(controller);
  }
  if (agent_cmd->parsed()) {
    agent.controller = agent_controller.empty()
                           ? EnvOr("VEXBENCH_CONTROLLER", "127.0.0.1:7700")
                           : agent_controller;
    if (agent.join_token.empty()) agent.join_token = EnvOr("VEXBENCH_JOIN_TOKEN", "");
    if (!ParsePairs(agent_labels, agent.labels, "--labels")) return 2;
    return vexbench::RunAgentCommand(agent);
  }
  if (submit_cmd->parsed()) {
    if (!ParsePairs(selectors, submit.selector, "--selector")) return 2;
    return vexbench::SubmitCommand(client, submit);
  }
  if (jobs_cmd->parsed()) return vexbench::JobsCommand(client, jobs_limit);
  if (show_cmd->parsed()) return vexbench::ShowCommand(client, job_id, show_json);
  if (cancel_cmd->parsed()) return vexbench::CancelCommand(client, job_id);
  if (agents_cmd->parsed()) return vexbench::AgentsCommand(client);
  if (report_cmd->parsed()) return vexbench::ReportCommand(client, report);
  if (compare_cmd->parsed()) return vexbench::CompareCommand(client, compare);
  if (schedule.parsed()) return schedule.Run(client);
  return 2;
}
