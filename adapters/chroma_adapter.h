// Kind `chroma`: ChromaDB 1.x over its v2 REST API.
//
// Options (beside name, kind, url):
//   tenant: default_tenant        database: default_database
//   collection: vexbench          # 3..512 characters; replaced at setup, dropped at the end
//   space: cosine|l2|ip           # default: from the dataset's metric
//   ef_construction, ef_search, max_neighbors: configuration.hnsw of the collection
//   headers: {X-Chroma-Token: ...}  max_body_bytes: 67108864
// Operations: insert (batches of `batch`, capped by the server's max_batch_size; metadatas
// {"<field>": v} from the dataset's payload, none without one), query (k nearest; a phase
// filter becomes `where`: {"<field>": {"$eq" | "$in" | "$gt" | "$gte" | "$lt" | "$lte": ...}},
// several range bounds under $and; recall against the dataset's exact, filtered when the phase
// filters, ground truth), delete, mixed (query and upsert by read_ratio).
#ifndef VEXBENCH_ADAPTERS_CHROMA_ADAPTER_H_
#define VEXBENCH_ADAPTERS_CHROMA_ADAPTER_H_

#include "absl/status/statusor.h"
#include "adapters/adapter.h"

namespace vexbench {

absl::StatusOr<AdapterPtr> CreateChromaAdapter(const TargetSpec& target);

}  // namespace vexbench

#endif  // VEXBENCH_ADAPTERS_CHROMA_ADAPTER_H_
