// report.json (../shared/design.md, "Report") and the .hlog files, built only from the merged
// histograms and counters, the job spec and the recorded environment.
#ifndef VEXBENCH_CONTROLLER_REPORT_H_
#define VEXBENCH_CONTROLLER_REPORT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "controller/interval_merger.h"
#include "controller/threshold.h"
#include "proto/vexbench.pb.h"
#include "nlohmann/json.hpp"

namespace vexbench {

struct AgentRecord {
  std::string name;
  std::string host;
  std::string version;
  int cores = 0;
  int threads = 0;
  std::string state;  // running | done | failed | lost | cancelled
  std::string error;
  int64_t clock_offset_us = 0;  // agent clock minus controller clock (ping round trips)
  int64_t rtt_us = 0;           // round trip of the ping the offset comes from
  int64_t started_unix_us = 0;  // when its shard actually began, controller clock; 0: unknown
};

nlohmann::json AgentRecordToJson(const AgentRecord& a);
AgentRecord AgentRecordFromJson(const nlohmann::json& j);

struct JobRecord {
  std::string id;
  std::string name;
  std::string state;  // succeeded | failed | partial | cancelled | interrupted
  std::string error;
  nlohmann::json spec;  // JobSpec::document
  int64_t started_unix_us = 0;
  int64_t ended_unix_us = 0;
  std::vector<AgentRecord> agents;  // by shard index
  std::vector<v1::TargetReport> target_reports;  // versions, notes, counts after load phases
  nlohmann::json dataset;  // the dataset's identity (null without one)
  // Samples of targets' processes (targets[].process), with the shard that sent them, in
  // arrival order (controller/resource_report.h).
  std::vector<std::pair<int, v1::TargetSample>> target_samples;
};

// The verdict of each threshold on each matching result, in report order.
struct ThresholdVerdict {
  std::string expr;
  std::string target;
  std::string phase;
  std::string op;
  double value = 0;
  bool passed = false;
  std::string note;  // e.g. "no result for phase 'x'"
};

// The measured duration of a phase: from the earliest measured start to the latest measured
// end over its shards (0 when the phase never ran).
double PhaseDurationSeconds(const IntervalMerger& merger, const std::string& phase);

std::vector<ThresholdVerdict> EvaluateThresholds(const std::vector<Threshold>& thresholds,
                                                 const IntervalMerger& merger);

nlohmann::json BuildReport(const JobRecord& job, const IntervalMerger& merger,
                           const std::vector<ThresholdVerdict>& verdicts);

// The report's files: report.json, one <target>.<phase>.<op>.hlog per series (its merged
// intervals) and, for jobs of several agents, <target>.<phase>.<op>.<agent>.hlog (that agent's
// total, one interval). Names and contents.
std::vector<std::pair<std::string, std::string>> RenderReportFiles(
    const nlohmann::json& report, const IntervalMerger& merger, int64_t job_start_unix_us);

// Writes RenderReportFiles into DIR (created if missing).
absl::Status WriteReportFiles(const std::string& dir, const nlohmann::json& report,
                              const IntervalMerger& merger, int64_t job_start_unix_us);

// The spec with the values of secret-looking keys (api_key, token, password, secret,
// authorization) replaced by "<redacted>": what reports show.
nlohmann::json RedactSecrets(nlohmann::json spec);

}  // namespace vexbench

#endif  // VEXBENCH_CONTROLLER_REPORT_H_
