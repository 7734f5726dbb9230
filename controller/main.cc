// vexbench: one binary, subcommands. Thin: parses flags and calls the command.
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "controller/cli_run.h"

int main(int argc, char** argv) {
  CLI::App app{"vexbench: a distributed load generator for vector databases"};
  app.set_version_flag("--version", std::string("vexbench ") + VEXBENCH_VERSION);
  app.require_subcommand(1);

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
  run_cmd->footer(
      "Exit codes: 0 ran and every threshold passed, 1 a threshold failed, 2 bad spec or failed "
      "job, 4 interrupted.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (run_cmd->parsed()) return vexbench::RunJobCommand(run);
  return 2;
}
