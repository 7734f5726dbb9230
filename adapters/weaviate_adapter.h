// Kind `weaviate`: Weaviate over its REST API and GraphQL (reference/weaviate-openapi.json).
//
// Options (beside name, kind, url; the url is the server's root, e.g. http://host:8080, and
// every path below is appended to it):
//   class: Vexbench              # ^[A-Z][_0-9A-Za-z]{0,254}$; replaced at setup, dropped at end
//   distance: cosine|l2-squared|dot  # default: from the dataset's metric
//   ef, ef_construction, max_connections: vectorIndexConfig of the class (ef: -1 = dynamic)
//   api_key: ...                 # sent as "Authorization: Bearer <api_key>"
//   headers: {X-Name: value}     max_body_bytes: 67108864
//
// Wire (paths under /v1, the spec's basePath):
//   setup    DELETE /v1/schema/{class}, then POST /v1/schema {class, vectorizer "none",
//            vectorIndexType "hnsw", vectorIndexConfig, properties [<payload field>: int]
//            (none without a dataset payload)}; other shards
//            poll GET /v1/schema/{class} until it answers 200
//   insert   POST /v1/batch/objects {objects: [{class, id, vector, properties {<field>: v}}]}
//            (the dataset's payload; {} without one)
//   query    POST /v1/graphql {query: "{Get{C(nearVector:{vector:[...]},[where:{...},]limit:k)
//            {_additional{id distance}}}}"}; a phase filter becomes `where` on the payload
//            property: eq -> Equal, range -> GreaterThan[Equal]/LessThan[Equal] (several bounds
//            under And), in -> Or of Equal; valueInt
//   delete   DELETE /v1/batch/objects {match: {class, where: {path [id], ContainsAny, uuids}}}
//   count    POST /v1/graphql {query: "{Aggregate{C{meta{count}}}}"}
//   ready    GET /v1/.well-known/ready     version  GET /v1/meta     teardown  DELETE schema
//
// Object ids: dataset id i is the UUID "00000000-0000-0000-0000-" followed by i as 12 lower-case
// hex digits (ids below 2^48), so answers map back to dataset ids without a lookup.
//
// Operations: insert (batches of `batch`), query (k nearest; recall against the dataset's
// ground truth, filtered when the phase has a filter), delete (batches of `batch`, at most 10,000: the server's default
// QUERY_MAXIMUM_RESULTS), mixed (query and re-insert by read_ratio; re-inserting an id
// overwrites the object). ef is a property of the class, not of a query: a phase's `ef` is
// refused in favour of the target's `ef` option.
#ifndef VEXBENCH_ADAPTERS_WEAVIATE_ADAPTER_H_
#define VEXBENCH_ADAPTERS_WEAVIATE_ADAPTER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "adapters/adapter.h"

namespace vexbench {

absl::StatusOr<AdapterPtr> CreateWeaviateAdapter(const TargetSpec& target);

// The object UUID of dataset id `id` (0 <= id < 2^48), appended to `out`.
void AppendWeaviateUuid(std::string& out, int64_t id);
// The dataset id of a UUID made by AppendWeaviateUuid (either case); nullopt for any other text.
std::optional<int64_t> WeaviateUuidToId(std::string_view uuid);

}  // namespace vexbench

#endif  // VEXBENCH_ADAPTERS_WEAVIATE_ADAPTER_H_
