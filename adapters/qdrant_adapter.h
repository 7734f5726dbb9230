// Kind `qdrant`: Qdrant over its REST API.
//
// Options (beside name, kind, url):
//   collection: vexbench         # 1..255 of A-Z a-z 0-9 _ - .; replaced at setup, dropped at end
//   api_key: ...                 # sent as the `api-key` header on every request
//   distance: Cosine|Euclid|Dot  # default: from the dataset's metric (cosine, l2, dot)
//   m, ef_construct              # hnsw_config of the collection; server defaults when absent
//   wait: true                   # upserts and deletes answer once applied (?wait=true)
//   headers: {X-Name: value}  max_body_bytes: 67108864
// Operations: insert (batches of `batch` points: integer ids = dataset indices, payload
// {"<field>": value} from the dataset's payload, else {}), query (k nearest, phase ef ->
// params.hnsw_ef, phase filter -> a Filter: must [{key, match {value} | match {any} | range}];
// recall against the dataset's exact (filtered) ground truth), delete, mixed (query and upsert
// by read_ratio).
// Count is exact (POST points/count, exact: true); wait_ready waits for the collection's status
// to be green on two polls in a row.
#ifndef VEXBENCH_ADAPTERS_QDRANT_ADAPTER_H_
#define VEXBENCH_ADAPTERS_QDRANT_ADAPTER_H_

#include "absl/status/statusor.h"
#include "adapters/adapter.h"

namespace vexbench {

// Validates the target's options; errors name the field (`targets[0].distance: ...`).
absl::StatusOr<AdapterPtr> CreateQdrantAdapter(const TargetSpec& target);

}  // namespace vexbench

#endif  // VEXBENCH_ADAPTERS_QDRANT_ADAPTER_H_
