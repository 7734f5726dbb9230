#include "controller/cli_run.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include "agent/engine.h"
#include "agent/shard_runner.h"
#include "common/clock.h"
#include "common/job_spec.h"
#include "controller/console.h"
#include "controller/job_execution.h"
#include "controller/job_validation.h"
#include "controller/report.h"

namespace vexbench {
namespace {

std::atomic<bool> g_interrupted{false};

void OnSignal(int) { g_interrupted = true; }

// The in-process "transport": the agent's messages go straight to the controller's job.
class LocalSink final : public ShardSink {
 public:
  LocalSink(JobExecution& job, int shard) : job_(job), shard_(shard) {}
  void Send(v1::AgentMessage message) override { job_.OnAgentMessage(shard_, message); }

 private:
  JobExecution& job_;
  const int shard_;
};

std::string DefaultOutDir(const std::string& job_name, int64_t now_us) {
  std::string stamp = FormatUnixMicrosIso8601(now_us).substr(0, 19);  // 2026-11-24T07:22:03
  for (char& c : stamp) {
    if (c == ':' || c == '-') c = c == ':' ? '-' : c;
  }
  return "vexbench-out/" + job_name + "-" + stamp;
}

}  // namespace

int RunJobCommand(const RunOptions& options) {
  auto spec = LoadJobSpec(options.job_file, options.overrides);
  if (!spec.ok()) {
    std::cerr << "vexbench run: " << spec.status().message() << "\n";
    return kExitFailed;
  }
  auto thresholds = ValidateJob(*spec);
  if (!thresholds.ok()) {
    std::cerr << "vexbench run: " << options.job_file << ": " << thresholds.status().message()
              << "\n";
    return kExitFailed;
  }
  if (options.check) {
    std::cout << options.job_file << ": valid (job " << spec->name << ", "
              << spec->targets.size() << " target(s), " << spec->phases.size() << " phase(s), "
              << thresholds->size() << " threshold(s))\n";
    return kExitOk;
  }
  // The agent side reads the spec from its wire form, as a remote agent would.
  auto agent_spec = ParseJobSpec(spec->document.dump(), options.job_file);
  if (!agent_spec.ok()) {
    std::cerr << "vexbench run: internal: spec does not survive its wire form: "
              << agent_spec.status().message() << "\n";
    return kExitFailed;
  }

  Engine engine(options.threads);
  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  AgentRecord agent{.name = "local",
                    .host = host,
                    .version = VEXBENCH_VERSION,
                    .cores = static_cast<int>(std::thread::hardware_concurrency()),
                    .threads = engine.threads()};
  const int64_t started_us = UnixMicrosNow();
  const std::string job_id = "run-" + std::to_string(started_us / 1000);
  JobExecution job(job_id, *spec, *thresholds, {agent}, started_us);
  const double planned_s = PlannedSeconds(*spec);
  if (!options.quiet) {
    job.SetProgressCallback([&](const IntervalProgress& p) {
      if (p.seconds < 0.05 && p.requests == 0) return;  // the sliver at a phase's very end
      const double elapsed = static_cast<double>(p.interval_start_unix_us - started_us) / 1e6 + p.seconds;
      std::cerr << FormatLiveLine(p, elapsed, planned_s) << std::endl;
    });
  }
  LocalSink sink(job, 0);
  const int64_t start_at = UnixMicrosNow() + 50'000;  // the barrier, as the controller sets it
  ShardRunner runner(engine, *std::move(agent_spec), {job_id, 0, 1, start_at, agent.name}, sink);

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::thread agent_thread([&] { runner.Run(); });
  bool cancel_sent = false;
  while (!job.WaitAll(std::chrono::milliseconds(100))) {
    if (g_interrupted && !cancel_sent) {
      std::cerr << "vexbench run: interrupted; stopping (what was measured is kept)\n";
      job.MarkCancelled();
      runner.Cancel();
      cancel_sent = true;
    }
  }
  agent_thread.join();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);

  JobOutcome outcome = job.Finish();
  const std::string out_dir =
      options.out_dir.empty() ? DefaultOutDir(spec->name, started_us) : options.out_dir;
  if (absl::Status s = WriteReportFiles(out_dir, outcome.report, job.merger(), started_us);
      !s.ok()) {
    std::cerr << "vexbench run: " << s.message() << "\n";
    return kExitFailed;
  }
  std::cout << FormatResultTable(outcome.report);
  if (!outcome.record.error.empty()) std::cout << "error: " << outcome.record.error << "\n";
  std::cout << "report: " << out_dir << "/report.json\n";
  return outcome.exit_code;
}

}  // namespace vexbench
