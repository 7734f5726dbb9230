// The target adapter interface: turns abstract operations into requests for one target kind
// and judges the answers (../shared/design.md, "Targets").
//
// An Adapter is created once per target from its TargetSpec (validating the kind's options)
// and is shared read-only by all engine threads. Each engine thread asks it for its own
// OperationSource per phase; a source is used by that one thread only.
#ifndef VEXBENCH_ADAPTERS_ADAPTER_H_
#define VEXBENCH_ADAPTERS_ADAPTER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/status/status.h"
#include "common/dataset.h"
#include "common/error_class.h"
#include "common/job_spec.h"

namespace vexbench {

// Which part of a phase's work one engine thread of one shard does: dataset ranges and
// request counts are divided by it without overlap.
struct SourceSlice {
  int shard_index = 0;
  int shard_count = 1;
  int thread_index = 0;
  int thread_count = 1;
};

// kNone when `status` is `expected` (0: any 2xx); otherwise http_4xx, http_5xx or
// unexpected_status.
inline ErrorClass ClassifyStatus(int status, int expected = 0) {
  if (expected != 0 ? status == expected : (status >= 200 && status < 300)) return ErrorClass::kNone;
  if (status >= 400 && status < 500) return ErrorClass::kHttp4xx;
  if (status >= 500 && status < 600) return ErrorClass::kHttp5xx;
  return ErrorClass::kUnexpectedStatus;
}

// What one answer meant.
struct Verdict {
  ErrorClass error = ErrorClass::kNone;
  int op = 0;              // index into OperationSource::ops() (mixed phases have several)
  int64_t items = 0;       // vectors (or files) the operation handled successfully
  int32_t recall_hits = -1;  // query answers: true neighbours found in the top k; -1: none
  int32_t recall_k = 0;
};

// One thread's stream of operations for one (target, phase). Not thread-safe.
class OperationSource {
 public:
  virtual ~OperationSource() = default;

  // The operations this source issues ("request"; "insert" and "query" for a mixed phase):
  // one result series each.
  virtual std::vector<std::string> ops() const { return {"request"}; }

  // The next request's complete bytes (request line, headers, body). Either a view of
  // `scratch` (which the source clears and fills, so its capacity is reused) or of storage the
  // source owns that outlives the request. `tag` is handed back to Judge with the answer (the
  // source's own identification of the request: several are in flight at once).
  // Empty: no more work (e.g. the data ran out).
  virtual std::string_view NextRequest(std::string& scratch, uint64_t& tag) = 0;

  // Judges one answer (status and, when needs_body(), the whole body) of request `tag`.
  virtual Verdict Judge(uint64_t tag, int status, std::string_view body) = 0;

  // The op index of request `tag` (for transport errors, which reach no Judge).
  virtual int OpOf(uint64_t /*tag*/) const { return 0; }

  // False: the engine only counts body bytes and passes an empty body to Judge.
  virtual bool needs_body() const = 0;
};
using OperationSourcePtr = std::unique_ptr<OperationSource>;

// Where and how the engine connects for this target.
struct ConnectionSettings {
  Url url;
  uint64_t max_body_bytes = 64ull << 20;  // answers above this are errors (body_too_large)
};

class Adapter {
 public:
  virtual ~Adapter() = default;

  virtual std::string_view kind() const = 0;
  virtual const ConnectionSettings& connection() const = 0;

  // --- Control operations: synchronous, before and after phases, never on the hot path. ---
  // Defaults suit targets without collections (kind http).

  // Prepares the target for `dataset` (may be null: no dataset): `create` makes the collection
  // (dimension, metric, index parameters from the target's options; an existing one of the same
  // name is replaced); otherwise attaches to the one another shard creates, waiting for it up
  // to `timeout`. Must be called before CreateSource.
  virtual absl::Status Setup(const Dataset* /*dataset*/, bool /*create*/, Duration /*timeout*/) {
    return absl::OkStatus();
  }
  // Items stored in the collection. Unimplemented: the target has no way to count (the report
  // says so instead of inventing a number).
  virtual absl::StatusOr<int64_t> Count() {
    return absl::UnimplementedError("this target kind has no count");
  }
  // Waits until the target has finished indexing what was inserted, up to `timeout`.
  virtual absl::Status WaitReady(Duration /*timeout*/) { return absl::OkStatus(); }
  // Removes what Setup created.
  virtual absl::Status Teardown() { return absl::OkStatus(); }
  // The server's version, for the report's provenance.
  virtual absl::StatusOr<std::string> Version() {
    return absl::UnimplementedError("this target kind reports no version");
  }
  // Remarks for the report (e.g. a protocol choice that affects the numbers).
  virtual std::vector<std::string> Notes() const { return {}; }

  // Checks that this adapter can run `phase` (its op and parameters). The error names the
  // phase's field path.
  virtual absl::Status ValidatePhase(const PhaseSpec& phase) const = 0;

  // A source for one thread's slice of `phase` over `dataset` (null without one). Thread-safe
  // (const). REQUIRES: ValidatePhase(phase).ok(), Setup() done.
  virtual absl::StatusOr<OperationSourcePtr> CreateSource(const PhaseSpec& phase,
                                                          const SourceSlice& slice,
                                                          const Dataset* dataset) const = 0;
};
using AdapterPtr = std::unique_ptr<Adapter>;

}  // namespace vexbench

#endif  // VEXBENCH_ADAPTERS_ADAPTER_H_
