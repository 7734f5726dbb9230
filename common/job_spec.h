// The job spec: what to run, against what, for how long (../shared/design.md, "Job spec").
//
// Parsed from YAML or JSON (JSON is read as YAML). Validation is complete before anything
// starts: an error names the field path and what was expected, e.g.
//   job.yaml: phases[1].rate: "fast" is not a number; expected requests per second
// Unknown keys are errors, except the per-kind options of a target, which are kept in
// TargetSpec::options and validated by that kind's adapter (adapters/registry.h).
#ifndef VEXBENCH_COMMON_JOB_SPEC_H_
#define VEXBENCH_COMMON_JOB_SPEC_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/dataset.h"
#include "nlohmann/json.hpp"

namespace vexbench {

using Duration = std::chrono::nanoseconds;

// "500ms", "10s", "2m", "1h", "250us", "1.5s". A bare number is an error (no implied unit).
absl::StatusOr<Duration> ParseDuration(std::string_view text);
// Inverse of ParseDuration for messages and reports: "500ms", "10s", "2m30s".
std::string FormatDuration(Duration d);

// http://host[:port][/path][?query]. https is refused with a clear message for now.
struct Url {
  std::string scheme;  // "http"
  std::string host;
  uint16_t port = 80;
  std::string target;  // path + query, at least "/"
};
absl::StatusOr<Url> ParseUrl(std::string_view text);

enum class Arrival { kUniform, kPoisson };

// One step of a ramp: over `duration`, the rate (open loop) or the concurrency (closed loop)
// moves linearly from the previous stage's value (or the phase's own, or 0) to this one.
struct StageSpec {
  Duration duration{};
  std::optional<double> rate;
  std::optional<int> concurrency;
};

struct PhaseSpec {
  std::string name;
  std::string op;  // request | insert | query | mixed | delete | files
  // Closed loop: `concurrency` workers, each with one connection (whole job; split across
  // agents and threads). Open loop (`rate` set): concurrency is the connection pool size.
  int concurrency = 1;
  std::optional<double> rate;  // requests per second for the whole job; set => open loop
  Arrival arrival = Arrival::kUniform;
  std::optional<Duration> duration;  // ends by duration ...
  std::optional<int64_t> requests;   // ... or by request count (whole job); at least one set
  Duration warmup{};                 // runs before `duration`; excluded from results
  Duration timeout = std::chrono::seconds(10);  // per operation
  // Open loop: a send that starts later than this after its intended time is counted late.
  Duration late_threshold = std::chrono::milliseconds(1);
  std::vector<StageSpec> stages;     // when set, the phase runs for the sum of their durations
  std::vector<std::string> targets;  // target names this phase drives; empty = all
  // Vector-database operations (adapters/): batch size, k nearest, search-time ef.
  std::optional<int> batch;
  std::optional<int> k;
  std::optional<int> ef;
  std::optional<double> read_ratio;  // mixed: share of queries in [0, 1]
  std::optional<PayloadFilter> filter;  // query/mixed: on the dataset's payload field
  std::string path;                  // "phases[2]", for messages
  bool open_loop() const { return rate.has_value(); }
};

// `targets[].process`: the target's process(es) on an agent's host, sampled each interval
// (RSS and CPU; agent/resource_sampler.h). Exactly one of pid, name, cgroup is set.
struct ProcessSpec {
  std::optional<int64_t> pid;  // that one process (not its children)
  std::string name;    // every process whose comm or argv[0] basename is `name`, summed
  std::string cgroup;  // a cgroup v2 directory: absolute, or relative to /sys/fs/cgroup
  std::string agent;   // the agent that samples; "" = shard 0's agent
};

struct TargetSpec {
  std::string name;
  std::string kind;  // http | chroma | qdrant | weaviate | vexfs | fs
  std::string url;   // may be empty for kind fs
  // Every other key of the target, for its adapter to validate (method, headers, body, ...).
  nlohmann::json options = nlohmann::json::object();
  std::optional<ProcessSpec> process;  // `process`: resource sampling (not an adapter option)
  std::string path;  // "targets[0]", for messages
};

struct AgentSelector {
  int count = 1;
  std::map<std::string, std::string> labels;
};

struct JobSpec {
  std::string name;
  AgentSelector agents;
  nlohmann::json dataset;  // null when absent; validated by the dataset code (common/)
  std::vector<TargetSpec> targets;
  std::vector<PhaseSpec> phases;
  std::vector<std::string> thresholds;  // parsed by controller/threshold.h
  Duration interval = std::chrono::seconds(1);  // reporting interval
  // The document after --set overrides and ${VAR} expansion, as JSON: what is stored in the
  // report and sent to agents (ParseJobSpec of its dump() yields the same JobSpec).
  nlohmann::json document;
};

// Parses and validates. `source_name` prefixes messages (usually the file name).
// `overrides` are "key.path=value" strings (`--set`): `name=x`, `phases[1].rate=2000`,
// `targets[0].url=http://...`; the value is read as a YAML scalar. ${VAR} in any string is
// replaced by the environment variable VAR; an unset variable is an error naming the field.
absl::StatusOr<JobSpec> ParseJobSpec(std::string_view text, std::string_view source_name = "job",
                                     const std::vector<std::string>& overrides = {});
// Reads `path` and calls ParseJobSpec with the file name as source_name.
absl::StatusOr<JobSpec> LoadJobSpec(const std::string& path,
                                    const std::vector<std::string>& overrides = {});

// The seconds a job is planned to take: warm-up plus duration (or stages) of every phase; 0 when
// a phase ends by count (an insert, or `requests`), whose length is not known in advance.
double PlannedSeconds(const JobSpec& spec);

}  // namespace vexbench

#endif  // VEXBENCH_COMMON_JOB_SPEC_H_
