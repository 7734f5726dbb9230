// Request bodies of kind `chroma` for payloads and filters, against ChromaDB's published API,
// ../shared/reference/chroma-openapi-1.0.json ("the spec" below). The spec leaves `where` free
// (components.schemas.RawWhereFields.where: {}); its operators are Chroma's documented ones
// ($eq, $in, $gt, $gte, $lt, $lte, $and), and tests/integration/chroma_test.cc runs each form
// against a real ChromaDB 1.0. Here a ContractServer answers the setup calls so that the
// request bytes can be read.
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "adapters/registry.h"
#include "common/dataset.h"
#include "nlohmann/json.hpp"
#include "tests/integration/support/contract_server.h"

namespace vexbench::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr char kCollections[] = "/api/v2/tenants/default_tenant/databases/default_database/collections";
constexpr char kCollectionId[] = "5b9e4a2c-1d3f-4e8a-9c7b-2f6d8e0a1b3c";

PayloadFilter Filter(json condition) {
  condition["field"] = "category";
  auto filter = ParsePayloadFilter(condition, "phases[0].filter");
  if (!filter.ok()) throw std::runtime_error(std::string(filter.status().message()));
  return *filter;
}

// {kind: synthetic, count: 50, dim: 8, queries: 5, seed: 1}, with payload {field: category,
// values: 10} when `payload`.
std::shared_ptr<const Dataset> Load(bool payload) {
  DatasetSpec spec{.kind = "synthetic", .count = 50, .dim = 8, .queries = 5, .seed = 1};
  if (payload) {
    spec.payload_field = "category";
    spec.payload_values = 10;
  }
  auto dataset = LoadDataset(spec, "");
  if (!dataset.ok()) throw std::runtime_error(std::string(dataset.status().message()));
  return *dataset;
}

// Answers the setup calls as the spec shapes them: paths./api/v2/pre-flight-checks.get,
// paths.<collections>.post -> components.schemas.Collection (required id, name, ...).
ContractServer::Answer Answer(const ContractServer::Request& r) {
  if (r.target == "/api/v2/pre-flight-checks") return {200, R"({"max_batch_size":5461})"};
  if (r.method == "POST" && r.target == kCollections) {
    return {200, json{{"id", kCollectionId},
                      {"name", "vexbench"},
                      {"configuration_json", json::object()},
                      {"tenant", "default_tenant"},
                      {"database", "default_database"},
                      {"log_position", 0},
                      {"version", 0}}
                     .dump()};
  }
  return {404, R"({"error":"NotFoundError","message":"no such route here"})"};
}

// The JSON body of the next request `phase` makes (after setup against the double).
json NextBody(const Dataset& dataset, const PhaseSpec& phase, std::string* target = nullptr) {
  ContractServer server(Answer);
  TargetSpec t{.name = "chroma", .kind = "chroma", .url = server.Url(), .path = "targets[0]"};
  auto adapter = CreateAdapter(t);
  REQUIRE(adapter.ok());
  REQUIRE((*adapter)->ValidatePhase(phase).ok());
  REQUIRE((*adapter)->Setup(&dataset, /*create=*/true, 5s).ok());
  auto source = (*adapter)->CreateSource(phase, {}, &dataset);
  REQUIRE(source.ok());
  std::string scratch;
  uint64_t tag = 0;
  const std::string bytes((*source)->NextRequest(scratch, tag));
  const size_t head_end = bytes.find("\r\n\r\n");
  REQUIRE(head_end != std::string::npos);
  if (target != nullptr) {
    const size_t sp = bytes.find(' ');
    *target = bytes.substr(sp + 1, bytes.find(' ', sp + 1) - sp - 1);
  }
  return json::parse(bytes.substr(head_end + 4));
}

PhaseSpec Phase(const std::string& op) {
  PhaseSpec phase;
  phase.name = op;
  phase.op = op;
  phase.path = "phases[0]";
  phase.k = 5;
  phase.batch = 10;
  return phase;
}

TEST_CASE("chroma insert: metadatas carry the dataset's payload, none without one") {
  const auto with = Load(true);
  std::string target;
  // paths.<collection_id>/add.post: components.schemas.AddCollectionRecordsPayload (ids,
  // embeddings, metadatas: null or HashMap of bool | int64 | double | string).
  json body = NextBody(*with, Phase("insert"), &target);
  CHECK(target == std::string(kCollections) + "/" + kCollectionId + "/add");
  REQUIRE(body["metadatas"].size() == 10);
  for (int i = 0; i < 10; ++i) {
    CHECK(body["ids"][i] == std::to_string(i));
    CHECK(body["metadatas"][i] == json{{"category", PayloadValue(i, 10)}});
  }
  // Without a payload: no metadatas at all (ChromaDB refuses empty metadata objects).
  body = NextBody(*Load(false), Phase("insert"));
  CHECK(body.size() == 2);
  CHECK(body.contains("ids"));
  CHECK(body.contains("embeddings"));
}

TEST_CASE("chroma query: the phase's filter becomes `where`, one operator per form") {
  const auto dataset = Load(true);
  // paths.<collection_id>/query.post: components.schemas.QueryRequestPayload
  // (query_embeddings, n_results, include, and RawWhereFields.where).
  const std::vector<std::pair<PayloadFilter, json>> cases = {
      {Filter({{"eq", 3}}), {{"category", {{"$eq", 3}}}}},
      {Filter({{"in", {1, 4, 7}}}), {{"category", {{"$in", {1, 4, 7}}}}}},
      {Filter({{"gt", 6}}), {{"category", {{"$gt", 6}}}}},
      {Filter({{"gte", 2}, {"lt", 5}}),
       {{"$and", {{{"category", {{"$gte", 2}}}}, {{"category", {{"$lt", 5}}}}}}}},
      {Filter({{"gt", 1}, {"lte", 8}}),
       {{"$and", {{{"category", {{"$gt", 1}}}}, {{"category", {{"$lte", 8}}}}}}}},
  };
  for (const auto& [filter, where] : cases) {
    INFO(filter.Key());
    PhaseSpec phase = Phase("query");
    phase.filter = filter;
    std::string target;
    const json body = NextBody(*dataset, phase, &target);
    CHECK(target == std::string(kCollections) + "/" + kCollectionId + "/query");
    CHECK(body["where"] == where);
    CHECK(body["n_results"] == 5);
    CHECK(body["query_embeddings"].size() == 1);
    CHECK(body["include"] == json::array());
  }
  CHECK_FALSE(NextBody(*dataset, Phase("query")).contains("where"));  // no filter, no where
}

}  // namespace
}  // namespace vexbench::testing
