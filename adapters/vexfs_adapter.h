// Kind `vexfs`: VexFS's unified HTTP server (vexfs_unified_server), in one of the three API
// dialects it serves (../shared/reference/vexfs-contract.md, "HTTP: vexfs_unified_server").
//
// Options (beside name, kind, url):
//   dialect: chroma|qdrant|native  # default chroma: /api/v1/..., /collections/..., /vexfs/v1/...
//   collection: vexbench           # letters, digits, '.', '_', '-' (it goes into URL paths)
//   api_key: ...                   # sent as X-API-Key; without it VexFS lets callers only read
//                                  # (writes answer 403). A development build accepts
//                                  # vexfs-default-key.
//   login: false                   # true: POST /auth/login {"api_key": ...} at setup and send
//                                  # the returned token as Authorization instead (needs api_key)
//   max_body_bytes: 67108864       # answers above this are errors
// Operations: insert (batches of `batch`, default 100, cut so that every request body stays
// under VexFS's 2 MiB limit; each item's metadata is the dataset's payload), query (k
// nearest; recall against the dataset's ground truth), mixed (query and re-add of the slice's vectors by read_ratio). No dialect has a route to
// delete vectors, so delete phases are refused; no dialect has a count route, so Count() is
// Unimplemented and the report says so instead of a number. Filters: only the qdrant dialect
// filters a search, by equality only (phases[].filter {field, eq} -> "filter": {"must":
// [{"key", "value"}]}, applied after the top-k cut); other filters, and any filter in the
// chroma (its query ignores `where`) or native dialect, fail phase validation.
#ifndef VEXBENCH_ADAPTERS_VEXFS_ADAPTER_H_
#define VEXBENCH_ADAPTERS_VEXFS_ADAPTER_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "adapters/adapter.h"

namespace vexbench {

// VexFS answers 413 to request bodies over 2 MiB; every body this adapter sends is shorter
// than this many bytes.
inline constexpr uint64_t kVexfsMaxRequestBodyBytes = uint64_t{2} << 20;

absl::StatusOr<AdapterPtr> CreateVexfsAdapter(const TargetSpec& target);

}  // namespace vexbench

#endif  // VEXBENCH_ADAPTERS_VEXFS_ADAPTER_H_
