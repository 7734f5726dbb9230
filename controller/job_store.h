// Durable job storage of the controller: jobs, and every message their agents sent (intervals,
// phase ends, completions), written as they arrive so that a crash loses at most the message in
// flight. Reports are rebuilt from the stored messages (they are the data; reports are views).
//
// Thread safety: implementations are safe to call from any thread.
#ifndef VEXBENCH_CONTROLLER_JOB_STORE_H_
#define VEXBENCH_CONTROLLER_JOB_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "proto/vexbench.pb.h"

namespace vexbench {

struct StoredJob {
  std::string id;     // "j-000001", assigned by CreateJob
  std::string name;
  std::string state;  // queued | running | succeeded | failed | partial | cancelled | interrupted
  std::string spec_json;  // JobSpec::document
  int agents = 1;         // shards asked for
  std::map<std::string, std::string> selector;
  int64_t created_unix_us = 0;
  int64_t started_unix_us = 0;  // 0 until it runs
  int64_t ended_unix_us = 0;    // 0 until it ends
  std::string error;
  int exit_code = -1;           // -1 until it ends
  // One entry per shard once it runs: AgentRecord fields (name, host, version, cores, threads,
  // state, error) plus clock_offset_us, rtt_us and start_skew_us.
  nlohmann::json shards = nlohmann::json::array();
  std::string report_json;      // the final report, once ended ("" before)
};

class JobStore {
 public:
  virtual ~JobStore() = default;

  // Stores a new job (state queued) and returns its id. `job.id` is ignored.
  virtual absl::StatusOr<std::string> CreateJob(const StoredJob& job) = 0;
  // Replaces every field of the job `job.id`. NotFound if there is none.
  virtual absl::Status UpdateJob(const StoredJob& job) = 0;
  virtual absl::StatusOr<StoredJob> GetJob(const std::string& id) = 0;
  // Newest first; at most `limit` (0: all). With `state`, only jobs in that state.
  virtual absl::StatusOr<std::vector<StoredJob>> ListJobs(
      int limit, const std::optional<std::string>& state = std::nullopt) = 0;

  // Appends one agent message of a job's shard, durably (fsync'd by the WAL on commit).
  virtual absl::Status AppendAgentMessage(const std::string& job_id, int shard,
                                          const v1::AgentMessage& message) = 0;
  // Every stored message of the job in arrival order, with its shard index.
  virtual absl::StatusOr<std::vector<std::pair<int, v1::AgentMessage>>> LoadAgentMessages(
      const std::string& job_id) = 0;
};
using JobStorePtr = std::unique_ptr<JobStore>;

// SQLite in WAL mode at DIR/vexbench.db (DIR is created if missing). The error names the file.
absl::StatusOr<JobStorePtr> OpenSqliteJobStore(const std::string& data_dir);

}  // namespace vexbench

#endif  // VEXBENCH_CONTROLLER_JOB_STORE_H_
