// Contract tests of kind `qdrant` against Qdrant's published REST API,
// ../shared/reference/qdrant-openapi.json ("the spec" below). Qdrant cannot run here, so a
// ContractServer plays it: every request the adapter produces is checked against the spec's
// request schemas, and every answer the tests give is shaped as the spec's response schemas
// (each cited as qdrant-openapi.json: <JSON path>).
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "adapters/qdrant_adapter.h"
#include "adapters/registry.h"
#include "common/dataset.h"
#include "nlohmann/json.hpp"
#include "tests/integration/support/contract_server.h"
#include "tests/integration/support/subprocess.h"

namespace vexbench::testing {
namespace {

using nlohmann::json;
using Answer = ContractServer::Answer;
using Request = ContractServer::Request;
using namespace std::chrono_literals;

// --- Datasets ---

std::shared_ptr<const Dataset> Load(int64_t count, int dim, int64_t queries, Metric metric,
                                     int64_t payload_values = 0,
                                     std::span<const PayloadFilter> filters = {}) {
  DatasetSpec spec;
  spec.kind = "synthetic";
  spec.count = count;
  spec.dim = dim;
  spec.queries = queries;
  spec.metric = metric;
  spec.seed = 1;
  if (payload_values > 0) {
    spec.payload_field = "category";
    spec.payload_values = payload_values;
  }
  auto dataset = LoadDataset(spec, /*cache_dir=*/"", 0, filters);
  if (!dataset.ok()) throw std::runtime_error(std::string(dataset.status().message()));
  return *dataset;
}

// {kind: synthetic, count: 50, dim: 8, queries: 5, seed: 1}: the end-to-end job's dataset too.
const Dataset& Small() {
  static const std::shared_ptr<const Dataset> dataset = Load(50, 8, 5, Metric::kCosine);
  return *dataset;
}

// The filters of the filtered-query tests, one of each form.
PayloadFilter Filter(json condition) {
  condition["field"] = "category";
  auto filter = ParsePayloadFilter(condition, "phases[0].filter");
  if (!filter.ok()) throw std::runtime_error(std::string(filter.status().message()));
  return *filter;
}
const std::vector<PayloadFilter>& Filters() {
  static const std::vector<PayloadFilter> filters = {
      Filter({{"eq", 3}}), Filter({{"in", {1, 4, 7}}}), Filter({{"gte", 2}, {"lt", 5}}),
      Filter({{"gt", 6}})};
  return filters;
}

// Small() plus payload {field: category, values: 10} and the exact ground truth of Filters().
const Dataset& WithPayload() {
  static const std::shared_ptr<const Dataset> dataset =
      Load(50, 8, 5, Metric::kCosine, 10, Filters());
  return *dataset;
}

// The payload the adapter must send for point `id`: {"category": v}, or {} without a payload.
json PayloadOf(const Dataset& dataset, int64_t id) {
  if (dataset.payload_field().empty()) return json::object();
  return {{dataset.payload_field(), dataset.payload(id)}};
}

// --- Answers shaped as the spec's response schemas ---

// Success envelope of every operation used, e.g.
// qdrant-openapi.json: paths./collections/{collection_name}.put.responses.200 ({usage, time,
// status: "ok", result}).
Answer Ok(json result) {
  return {200, json{{"result", std::move(result)}, {"status", "ok"}, {"time", 0.002}}.dump()};
}

// qdrant-openapi.json: components.schemas.ErrorResponse, the schema of every operation's
// responses.4XX and responses.default.
Answer Error(int status, const std::string& message) {
  return {status, json{{"status", {{"error", message}}}, {"time", 0.0}}.dump()};
}

// qdrant-openapi.json: components.schemas.CollectionInfo (required: config, optimizer_status,
// payload_schema, segments_count, status), with `status` a components.schemas.CollectionStatus.
json CollectionInfo(const std::string& status, int dim, size_t points) {
  return {{"status", status},
          {"optimizer_status", "ok"},  // components.schemas.OptimizersStatus
          {"segments_count", 2},
          {"points_count", points},
          {"indexed_vectors_count", 0},
          {"config",  // components.schemas.CollectionConfig
           {{"params", {{"vectors", {{"size", dim}, {"distance", "Cosine"}}}}},
            {"hnsw_config", {{"m", 16}, {"ef_construct", 100}, {"full_scan_threshold", 10000}}},
            {"optimizer_config", {{"default_segment_number", 0}, {"flush_interval_sec", 5}}}}},
          {"payload_schema", json::object()}};
}

// qdrant-openapi.json: components.schemas.UpdateResult (status: components.schemas.UpdateStatus).
json UpdateResult(const std::string& status = "completed") {
  return {{"operation_id", 7}, {"status", status}};
}

// qdrant-openapi.json: components.schemas.QueryResponse of components.schemas.ScoredPoint
// (required: id, score, version).
json QueryResponse(const std::vector<json>& ids) {
  json points = json::array();
  for (size_t i = 0; i < ids.size(); ++i) {
    points.push_back(
        {{"id", ids[i]}, {"version", 3}, {"score", 1.0 - 0.01 * static_cast<double>(i)}});
  }
  return {{"points", points}};
}

// qdrant-openapi.json: components.schemas.VersionInfo (required: title, version).
const json kVersionInfo = {
    {"title", "qdrant - vector search engine"}, {"version", "1.13.0"}, {"commit", "ffda0b90"}};

// --- A Qdrant double: one collection, its points, answers per the spec ---

class QdrantDouble {
 public:
  explicit QdrantDouble(const Dataset& dataset, const std::string& collection = "bench")
      : dataset_(dataset), path_("/collections/" + collection) {}

  std::string Url() const { return server_.Url(); }
  uint16_t port() const { return server_.port(); }
  std::vector<Request> requests() const { return server_.requests(); }
  // GET /collections/{name} answers these statuses in turn, then the last one forever.
  void ScriptStatuses(std::vector<std::string> statuses) {
    std::lock_guard lock(mu_);
    statuses_ = std::move(statuses);
  }
  void set_exists(bool exists) {
    std::lock_guard lock(mu_);
    exists_ = exists;
  }
  size_t stored() const {
    std::lock_guard lock(mu_);
    return points_.size();
  }

 private:
  Answer Handle(const Request& r) {
    std::lock_guard lock(mu_);
    // qdrant-openapi.json: paths./.get -> components.schemas.VersionInfo
    if (r.method == "GET" && r.target == "/") return {200, kVersionInfo.dump()};
    if (r.target == path_) return HandleCollection(r);
    if (!exists_)
      return Error(404, "Not found: Collection `" + path_.substr(13) + "` doesn't exist!");
    const std::string path = r.target.substr(0, r.target.find('?'));
    const json body = json::parse(r.body, nullptr, false);
    if (!body.is_object()) return Error(400, "Format error in JSON body");
    // qdrant-openapi.json: paths./collections/{collection_name}/points.put (PointsList)
    if (r.method == "PUT" && path == path_ + "/points") return Upsert(body);
    // qdrant-openapi.json: paths./collections/{collection_name}/points/delete.post (PointIdsList)
    if (r.method == "POST" && path == path_ + "/points/delete") {
      for (const json& id : body.at("points")) points_.erase(id.get<int64_t>());
      return Ok(UpdateResult());
    }
    // qdrant-openapi.json: paths./collections/{collection_name}/points/count.post -> CountResult
    if (r.method == "POST" && path == path_ + "/points/count") {
      return Ok({{"count", points_.size()}});
    }
    // qdrant-openapi.json: paths./collections/{collection_name}/points/query.post -> QueryResponse
    if (r.method == "POST" && path == path_ + "/points/query") return Query(body);
    return Error(404, "Not found: " + r.method + " " + r.target);
  }

  Answer HandleCollection(const Request& r) {
    // qdrant-openapi.json: paths./collections/{collection_name}.delete (result: boolean)
    if (r.method == "DELETE") {
      const bool existed = exists_;
      exists_ = false;
      points_.clear();
      return Ok(existed);
    }
    // qdrant-openapi.json: paths./collections/{collection_name}.put (result: boolean)
    if (r.method == "PUT") {
      exists_ = true;
      return Ok(true);
    }
    // qdrant-openapi.json: paths./collections/{collection_name}.get -> CollectionInfo
    if (!exists_)
      return Error(404, "Not found: Collection `" + path_.substr(13) + "` doesn't exist!");
    std::string status = "green";
    if (!statuses_.empty()) {
      status = statuses_[std::min(next_status_, statuses_.size() - 1)];
      ++next_status_;
    }
    return Ok(CollectionInfo(status, dataset_.dim(), points_.size()));
  }

  // Checks each components.schemas.PointStruct as the adapter must send it.
  Answer Upsert(const json& body) {
    for (const json& point : body.at("points")) {
      const json& id = point.at("id");
      if (!id.is_number_unsigned() || id.get<int64_t>() >= dataset_.count() ||
          point.at("vector").size() != static_cast<size_t>(dataset_.dim()) ||
          point.at("payload") != PayloadOf(dataset_, id.get<int64_t>())) {
        return Error(400, "Wrong input: unexpected point " + point.dump());
      }
      points_.insert(id.get<int64_t>());
    }
    return Ok(UpdateResult());
  }

  // Answers the true neighbours of the dataset's query that has this vector, among the stored
  // points.
  Answer Query(const json& body) {
    const json& vector = body.at("query");
    for (int64_t q = 0; q < dataset_.query_count(); ++q) {
      bool same = vector.size() == static_cast<size_t>(dataset_.dim());
      for (int j = 0; same && j < dataset_.dim(); ++j) {
        same = vector[j].get<float>() == dataset_.query(q)[j];
      }
      if (!same) continue;
      std::vector<json> ids;
      for (int32_t id : dataset_.truth(q)) {  // every point when truth_k >= count
        if (ids.size() == body.at("limit").get<size_t>()) break;
        if (points_.count(id) && Selected(body.value("filter", json()), id)) ids.emplace_back(id);
      }
      return Ok(QueryResponse(ids));
    }
    return Error(400, "Wrong input: a query vector the dataset does not have");
  }

  // Whether point `id` passes a components.schemas.Filter of `must` FieldConditions on its
  // payload: match MatchValue {value} | MatchAny {any}, range Range {gt, gte, lt, lte}.
  bool Selected(const json& filter, int64_t id) const {
    if (filter.is_null()) return true;
    const json payload = PayloadOf(dataset_, id);
    for (const json& c : filter.at("must")) {
      const std::string key = c.at("key");
      if (!payload.contains(key)) return false;
      const int64_t v = payload[key];
      const json match = c.value("match", json::object());
      const json range = c.value("range", json::object());
      if (match.contains("value") && v != match["value"].get<int64_t>()) return false;
      if (match.contains("any") &&
          std::find(match["any"].begin(), match["any"].end(), json(v)) == match["any"].end()) {
        return false;
      }
      const double x = static_cast<double>(v);
      if ((range.contains("gt") && !(x > range["gt"].get<double>())) ||
          (range.contains("gte") && !(x >= range["gte"].get<double>())) ||
          (range.contains("lt") && !(x < range["lt"].get<double>())) ||
          (range.contains("lte") && !(x <= range["lte"].get<double>()))) {
        return false;
      }
    }
    return true;
  }

  const Dataset& dataset_;
  const std::string path_;
  mutable std::mutex mu_;
  bool exists_ = false;
  std::set<int64_t> points_;
  std::vector<std::string> statuses_;
  size_t next_status_ = 0;
  ContractServer server_{[this](const Request& r) { return Handle(r); }};  // last: starts serving
};

// --- Adapter helpers ---

TargetSpec Target(const std::string& url, json options) {
  TargetSpec t;
  t.name = "qdrant";
  t.kind = "qdrant";
  t.url = url;
  t.options = std::move(options);
  t.path = "targets[0]";
  return t;
}

AdapterPtr MakeAdapter(const std::string& url, json options = json::object()) {
  auto adapter = CreateAdapter(Target(url, std::move(options)));
  if (!adapter.ok()) FAIL(std::string(adapter.status().message()));
  return *std::move(adapter);
}

PhaseSpec Phase(const std::string& op) {
  PhaseSpec phase;
  phase.name = op;
  phase.op = op;
  phase.path = "phases[0]";
  return phase;
}

OperationSourcePtr Source(const Adapter& adapter, const PhaseSpec& phase,
                          const SourceSlice& slice = {}, const Dataset& dataset = Small()) {
  auto source = adapter.CreateSource(phase, slice, &dataset);
  if (!source.ok()) FAIL(std::string(source.status().message()));
  return *std::move(source);
}

// One request as the adapter put it on the wire.
struct WireRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names lower-cased
  json body;
  uint64_t tag = 0;
};

WireRequest Next(OperationSource& source) {
  std::string scratch;
  WireRequest out;
  const std::string bytes(source.NextRequest(scratch, out.tag));
  if (bytes.empty()) return out;
  const size_t head_end = bytes.find("\r\n\r\n");
  REQUIRE(head_end != std::string::npos);
  size_t line_end = bytes.find("\r\n");
  const std::string request_line = bytes.substr(0, line_end);
  REQUIRE(request_line.ends_with(" HTTP/1.1"));
  out.method = request_line.substr(0, request_line.find(' '));
  out.target =
      request_line.substr(out.method.size() + 1, request_line.size() - out.method.size() - 1 - 9);
  while (line_end < head_end) {
    const size_t next = bytes.find("\r\n", line_end + 2);
    const std::string line = bytes.substr(line_end + 2, next - line_end - 2);
    const size_t colon = line.find(": ");
    REQUIRE(colon != std::string::npos);
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = line.substr(colon + 2);
    line_end = next;
  }
  const std::string body = bytes.substr(head_end + 4);
  CHECK(out.headers["content-length"] == std::to_string(body.size()));
  out.body = json::parse(body);  // throws (and fails the test) on anything but JSON
  return out;
}

std::vector<float> Floats(const json& array) {
  std::vector<float> out;
  for (const json& x : array) out.push_back(x.get<float>());
  return out;
}

std::vector<float> Floats(std::span<const float> span) { return {span.begin(), span.end()}; }

std::string Message(const absl::Status& s) { return std::string(s.message()); }

std::string Joined(const std::vector<std::string>& notes) {
  std::string out;
  for (const std::string& n : notes) out += n + "\n";
  return out;
}

// --- (1) Setup ---

TEST_CASE(
    "qdrant setup(create) drops the collection, then creates it with size, distance and "
    "hnsw_config") {
  QdrantDouble qdrant(Small());
  qdrant.set_exists(true);
  AdapterPtr adapter = MakeAdapter(
      qdrant.Url(), {{"collection", "bench"}, {"m", 32}, {"ef_construct", 200}, {"api_key", "s3"}});
  REQUIRE(adapter->Setup(&Small(), /*create=*/true, 5s).ok());

  const auto requests = qdrant.requests();
  REQUIRE(requests.size() == 2);
  // qdrant-openapi.json: paths./collections/{collection_name}.delete
  CHECK(requests[0].method == "DELETE");
  CHECK(requests[0].target == "/collections/bench");
  // qdrant-openapi.json: paths./collections/{collection_name}.put, requestBody
  // components.schemas.CreateCollection: vectors (VectorParams: size, distance), hnsw_config
  // (HnswConfigDiff: m, ef_construct).
  CHECK(requests[1].method == "PUT");
  CHECK(requests[1].target == "/collections/bench");
  CHECK(json::parse(requests[1].body) == json{{"vectors", {{"size", 8}, {"distance", "Cosine"}}},
                                              {"hnsw_config", {{"m", 32}, {"ef_construct", 200}}}});
  for (const Request& r : requests) {
    CHECK(r.headers.at("api-key") == "s3");
    CHECK(r.headers.at("content-type") == "application/json");
  }
}

TEST_CASE(
    "qdrant distance comes from the dataset's metric unless overridden, hnsw_config only "
    "when given") {
  // qdrant-openapi.json: components.schemas.Distance enum Cosine, Euclid, Dot (, Manhattan).
  const auto created_with = [](const Dataset& dataset, json options) {
    QdrantDouble qdrant(dataset);
    AdapterPtr adapter = MakeAdapter(qdrant.Url(), std::move(options));
    REQUIRE(adapter->Setup(&dataset, true, 5s).ok());
    return json::parse(qdrant.requests().at(1).body);
  };
  const auto l2 = Load(10, 4, 1, Metric::kL2);
  const auto dot = Load(10, 4, 1, Metric::kDot);
  CHECK(created_with(*l2, {{"collection", "bench"}}) ==
        json{{"vectors", {{"size", 4}, {"distance", "Euclid"}}}});
  CHECK(created_with(*dot, {{"collection", "bench"}})["vectors"]["distance"] == "Dot");
  CHECK(created_with(Small(), {{"collection", "bench"}, {"distance", "Dot"}})["vectors"] ==
        json{{"size", 8}, {"distance", "Dot"}});
  CHECK(created_with(Small(), {{"collection", "bench"}, {"m", 0}}) ==
        json{{"vectors", {{"size", 8}, {"distance", "Cosine"}}}, {"hnsw_config", {{"m", 0}}}});

  QdrantDouble qdrant(Small());
  AdapterPtr adapter = MakeAdapter(qdrant.Url(), {{"collection", "bench"}, {"distance", "Dot"}});
  REQUIRE(adapter->Setup(&Small(), true, 5s).ok());
  CHECK_THAT(Joined(adapter->Notes()), Catch::Contains("distance Dot differs from the dataset's "
                                                       "metric cosine"));
}

TEST_CASE("qdrant setup(create) accepts a 404 for the stale collection's DELETE") {
  bool created = false;
  ContractServer server([&](const Request& r) -> Answer {
    if (r.method == "DELETE") {
      // qdrant-openapi.json: paths./collections/{collection_name}.delete.responses.4XX
      return Error(404, "Not found: Collection `bench` doesn't exist!");
    }
    created = r.method == "PUT";
    return Ok(true);
  });
  AdapterPtr adapter = MakeAdapter(server.Url(), {{"collection", "bench"}});
  REQUIRE(adapter->Setup(&Small(), true, 5s).ok());
  CHECK(created);
}

TEST_CASE("qdrant setup(attach) polls GET until the collection exists, and times out") {
  QdrantDouble qdrant(Small());
  AdapterPtr adapter = MakeAdapter(qdrant.Url(), {{"collection", "bench"}});
  SECTION("it appears") {
    std::thread creator([&] {
      std::this_thread::sleep_for(300ms);
      qdrant.set_exists(true);
    });
    const absl::Status s = adapter->Setup(&Small(), /*create=*/false, 5s);
    creator.join();
    CHECK(s.ok());
    const auto requests = qdrant.requests();
    REQUIRE(requests.size() >= 2);
    for (const Request& r : requests) {
      // qdrant-openapi.json: paths./collections/{collection_name}.get only: never DELETE or PUT.
      CHECK(r.method == "GET");
      CHECK(r.target == "/collections/bench");
    }
    CHECK(adapter->CreateSource(Phase("query"), {}, &Small()).ok());
  }
  SECTION("it does not") {
    const absl::Status s = adapter->Setup(&Small(), false, 500ms);
    CHECK(s.code() == absl::StatusCode::kDeadlineExceeded);
    // The last answer is quoted: components.schemas.ErrorResponse with a 404.
    CHECK_THAT(Message(s), Catch::Contains("collection 'bench' did not appear within 500ms: GET "
                                           "http://127.0.0.1:" +
                                           std::to_string(qdrant.port()) +
                                           "/collections/bench: 404 {\"status\":{\"error\":"
                                           "\"Not found: Collection `bench` doesn't exist!\"}"));
    CHECK(!adapter->CreateSource(Phase("query"), {}, &Small()).ok());
  }
}

// --- (2) The phases' requests and their judgement ---

TEST_CASE(
    "qdrant insert: PUT points?wait=true in batches, integer ids, vectors, the dataset's "
    "payload") {
  QdrantDouble qdrant(WithPayload());
  AdapterPtr adapter = MakeAdapter(qdrant.Url(), {{"collection", "bench"}, {"api_key", "s3"}});
  REQUIRE(adapter->Setup(&WithPayload(), true, 5s).ok());
  PhaseSpec phase = Phase("insert");
  phase.batch = 20;
  OperationSourcePtr source = Source(*adapter, phase, {}, WithPayload());
  CHECK(source->ops() == std::vector<std::string>{"insert"});

  int64_t next_id = 0, items = 0;
  uint64_t first_tag = 0;
  for (int64_t expected_n : {20, 20, 10}) {
    const WireRequest r = Next(*source);
    if (next_id == 0) first_tag = r.tag;
    // qdrant-openapi.json: paths./collections/{collection_name}/points.put, query parameter
    // `wait` (boolean); requestBody components.schemas.PointInsertOperations -> PointsList.
    CHECK(r.method == "PUT");
    CHECK(r.target == "/collections/bench/points?wait=true");
    CHECK(r.headers.at("host") == "127.0.0.1:" + std::to_string(qdrant.port()));
    CHECK(r.headers.at("content-type") == "application/json");
    CHECK(r.headers.at("api-key") == "s3");
    REQUIRE(r.body.size() == 1);
    REQUIRE(r.body["points"].size() == static_cast<size_t>(expected_n));
    for (const json& point : r.body["points"]) {
      // components.schemas.PointStruct: id (ExtendedPointId: uint64), vector (VectorStruct:
      // array of float), payload (components.schemas.Payload: an object of any values).
      CHECK(point.size() == 3);
      CHECK(point["id"].is_number_unsigned());
      CHECK(point["id"] == next_id);
      CHECK(Floats(point["vector"]) == Floats(WithPayload().vector(next_id)));
      CHECK(point["payload"] == json{{"category", PayloadValue(next_id, 10)}});
      ++next_id;
    }
    // paths./collections/{collection_name}/points.put.responses.200: result UpdateResult.
    const Verdict v = source->Judge(r.tag, 200, Ok(UpdateResult("completed")).body);
    CHECK(v.error == ErrorClass::kNone);
    CHECK(v.op == 0);
    CHECK(v.items == expected_n);
    CHECK(v.recall_hits == -1);
    items += v.items;
  }
  CHECK(items == 50);
  CHECK(Next(*source).method.empty());  // the slice is done
  // Without a dataset payload every point's payload is {}.
  CHECK(Next(*Source(*adapter, phase)).body["points"][0]["payload"] == json::object());

  // components.schemas.UpdateStatus: acknowledged (accepted), wait_timeout (not confirmed).
  CHECK(source->Judge(first_tag, 200, Ok(UpdateResult("acknowledged")).body).items == 20);
  CHECK(source->Judge(first_tag, 200, Ok(UpdateResult("wait_timeout")).body).error ==
        ErrorClass::kTimeout);
  CHECK(source->Judge(first_tag, 200, Ok(UpdateResult("bogus")).body).error == ErrorClass::kParse);
  CHECK(source->Judge(first_tag, 200, "not json").error == ErrorClass::kParse);
  CHECK(Joined(adapter->Notes()).starts_with("points upserted with wait=true"));
}

TEST_CASE("qdrant insert: wait=false, shard slices and a base path in the URL") {
  ContractServer proxy([](const Request&) { return Ok(true); });  // answers PUT collection
  AdapterPtr adapter =
      MakeAdapter(proxy.Url() + "/qdrant/", {{"collection", "bench"}, {"wait", false}});
  REQUIRE(adapter->Setup(&Small(), true, 5s).ok());
  CHECK(proxy.requests().at(1).target == "/qdrant/collections/bench");
  PhaseSpec phase = Phase("insert");
  phase.batch = 100;
  OperationSourcePtr source = Source(*adapter, phase, {.shard_index = 1, .shard_count = 2});
  const WireRequest r = Next(*source);
  CHECK(r.target == "/qdrant/collections/bench/points?wait=false");
  REQUIRE(r.body["points"].size() == 25);  // shard 1 of 2: ids 25..49
  CHECK(r.body["points"][0]["id"] == 25);
  CHECK(r.body["points"][24]["id"] == 49);
  CHECK(Next(*source).method.empty());
  CHECK(Joined(adapter->Notes()).starts_with("points upserted with wait=false"));
}

TEST_CASE(
    "qdrant query: POST points/query with the vector, limit and params.hnsw_ef, recall "
    "from result.points[].id") {
  QdrantDouble qdrant(Small());
  AdapterPtr adapter = MakeAdapter(qdrant.Url(), {{"collection", "bench"}});
  REQUIRE(adapter->Setup(&Small(), true, 5s).ok());
  PhaseSpec phase = Phase("query");
  phase.k = 10;
  phase.ef = 64;
  OperationSourcePtr source = Source(*adapter, phase);
  CHECK(source->ops() == std::vector<std::string>{"query"});
  CHECK(source->needs_body());

  const WireRequest r = Next(*source);
  // qdrant-openapi.json: paths./collections/{collection_name}/points/query.post, requestBody
  // components.schemas.QueryRequest: query (QueryInterface -> VectorInput: array of float),
  // limit, params (components.schemas.SearchParams.hnsw_ef).
  CHECK(r.method == "POST");
  CHECK(r.target == "/collections/bench/points/query");
  CHECK(r.body.size() == 3);
  CHECK(Floats(r.body["query"]) == Floats(Small().query(static_cast<int64_t>(r.tag))));
  CHECK(r.body["limit"] == 10);
  CHECK(r.body["params"] == json{{"hnsw_ef", 64}});

  // Answers (paths./collections/{collection_name}/points/query.post.responses.200: result
  // QueryResponse) whose ids are known: all true neighbours, half of them, none.
  const auto truth = Small().truth(static_cast<int64_t>(r.tag));
  std::vector<json> all(truth.begin(), truth.begin() + 10);
  std::vector<json> half(truth.begin(), truth.begin() + 5);
  for (int i = 40; i < 45; ++i) half.emplace_back(truth[i]);  // not among the 10 nearest
  Verdict v = source->Judge(r.tag, 200, Ok(QueryResponse(all)).body);
  CHECK(v.error == ErrorClass::kNone);
  CHECK(v.recall_k == 10);
  CHECK(v.recall_hits == 10);
  v = source->Judge(r.tag, 200, Ok(QueryResponse(half)).body);
  CHECK(v.recall_hits == 5);
  v = source->Judge(r.tag, 200, Ok(QueryResponse({})).body);
  CHECK(v.error == ErrorClass::kNone);
  CHECK(v.recall_hits == 0);
  // ExtendedPointId may be a UUID string; this adapter only ever writes integer ids.
  CHECK(source->Judge(r.tag, 200, Ok(QueryResponse({"550e8400-e29b-41d4-a716-446655440000"})).body)
            .error == ErrorClass::kParse);
  CHECK(source->Judge(r.tag, 200, Ok(json::array()).body).error == ErrorClass::kParse);

  // The next query is the next of the dataset's; without ef there are no params.
  CHECK(Next(*source).tag == r.tag + 1);
  phase.ef.reset();
  CHECK(!Next(*Source(*adapter, phase)).body.contains("params"));
}

TEST_CASE(
    "qdrant query: the phase's filter becomes filter.must, recall is judged against the "
    "filtered truth") {
  QdrantDouble qdrant(WithPayload());
  AdapterPtr adapter = MakeAdapter(qdrant.Url(), {{"collection", "bench"}});
  REQUIRE(adapter->Setup(&WithPayload(), true, 5s).ok());
  // qdrant-openapi.json: components.schemas.QueryRequest.filter -> components.schemas.Filter
  // (must: [Condition]) with one components.schemas.FieldCondition {key, match | range}:
  // match components.schemas.MatchValue {value} (ValueVariants: int64), MatchAny {any}
  // (AnyVariants: int64 array, uniqueItems), range components.schemas.Range {gt, gte, lt, lte}.
  const std::vector<json> expected = {
      {{"must", {{{"key", "category"}, {"match", {{"value", 3}}}}}}},
      {{"must", {{{"key", "category"}, {"match", {{"any", {1, 4, 7}}}}}}}},
      {{"must", {{{"key", "category"}, {"range", {{"gte", 2}, {"lt", 5}}}}}}},
      {{"must", {{{"key", "category"}, {"range", {{"gt", 6}}}}}}},
  };
  for (size_t f = 0; f < Filters().size(); ++f) {
    const PayloadFilter& filter = Filters()[f];
    INFO(filter.Key());
    PhaseSpec phase = Phase("query");
    phase.k = 5;
    phase.filter = filter;
    OperationSourcePtr source = Source(*adapter, phase, {}, WithPayload());
    const WireRequest r = Next(*source);
    CHECK(r.body.size() == 3);  // query, limit, filter
    CHECK(r.body["filter"] == expected[f]);
    CHECK(r.body["limit"] == 5);

    // The filtered truth, known by construction: the nearest among the matching points.
    const auto q = static_cast<int64_t>(r.tag);
    const auto truth = WithPayload().truth(q, filter);
    REQUIRE(truth.size() >= 2);
    std::vector<json> matching;
    for (int32_t id : WithPayload().truth(q)) {
      if (filter.Matches(PayloadValue(id, 10))) matching.emplace_back(id);
    }
    REQUIRE(matching.size() >= truth.size());
    for (size_t i = 0; i < truth.size(); ++i) CHECK(matching[i] == truth[i]);
    const std::vector<json> best(matching.begin(),
                                 matching.begin() + std::min<size_t>(5, matching.size()));
    Verdict v = source->Judge(r.tag, 200, Ok(QueryResponse(best)).body);
    CHECK(v.error == ErrorClass::kNone);
    CHECK(v.recall_k == static_cast<int>(std::min<size_t>(5, truth.size())));
    CHECK(v.recall_hits == v.recall_k);
    // An answer with a point the filter excludes is a filter violation.
    int64_t excluded = 0;
    while (filter.Matches(PayloadValue(excluded, 10))) ++excluded;
    v = source->Judge(r.tag, 200, Ok(QueryResponse({best[0], excluded})).body);
    CHECK(v.error == ErrorClass::kFilterViolation);
  }
  CHECK_THAT(Joined(adapter->Notes()), !Catch::Contains("recall is not judged"));
}

TEST_CASE("qdrant delete: POST points/delete?wait=true with the ids") {
  QdrantDouble qdrant(Small());
  AdapterPtr adapter = MakeAdapter(qdrant.Url(), {{"collection", "bench"}});
  REQUIRE(adapter->Setup(&Small(), true, 5s).ok());
  PhaseSpec phase = Phase("delete");
  phase.batch = 30;
  OperationSourcePtr source = Source(*adapter, phase);
  CHECK(source->ops() == std::vector<std::string>{"delete"});
  // qdrant-openapi.json: paths./collections/{collection_name}/points/delete.post, query `wait`,
  // requestBody components.schemas.PointsSelector -> PointIdsList {points: [ExtendedPointId]}.
  WireRequest r = Next(*source);
  CHECK(r.method == "POST");
  CHECK(r.target == "/collections/bench/points/delete?wait=true");
  json ids = json::array();
  for (int i = 0; i < 30; ++i) ids.push_back(i);
  CHECK(r.body == json{{"points", ids}});
  // paths./collections/{collection_name}/points/delete.post.responses.200: UpdateResult.
  CHECK(source->Judge(r.tag, 200, Ok(UpdateResult()).body).items == 30);
  r = Next(*source);
  CHECK(r.body["points"].size() == 20);
  CHECK(source->Judge(r.tag, 200, Ok(UpdateResult()).body).items == 20);
  CHECK(Next(*source).method.empty());
}

TEST_CASE("qdrant mixed: queries and upserts by read_ratio, one series each") {
  QdrantDouble qdrant(Small());
  AdapterPtr adapter = MakeAdapter(qdrant.Url(), {{"collection", "bench"}});
  REQUIRE(adapter->Setup(&Small(), true, 5s).ok());
  PhaseSpec phase = Phase("mixed");
  phase.read_ratio = 0.5;
  phase.batch = 50;
  phase.k = 10;
  phase.ef = 16;
  OperationSourcePtr source = Source(*adapter, phase);
  REQUIRE(source->ops() == std::vector<std::string>{"query", "insert"});
  int queries = 0, upserts = 0;
  for (int i = 0; i < 6; ++i) {
    const WireRequest r = Next(*source);
    if (source->OpOf(r.tag) == 0) {
      ++queries;
      CHECK(r.target == "/collections/bench/points/query");
      CHECK(r.body["params"]["hnsw_ef"] == 16);
      CHECK(source->Judge(r.tag, 200, Ok(QueryResponse({})).body).op == 0);
    } else {
      ++upserts;
      CHECK(r.method == "PUT");
      CHECK(r.target == "/collections/bench/points?wait=true");
      CHECK(r.body["points"].size() == 50);  // the slice again and again
      CHECK(r.body["points"][0]["id"] == 0);
      const Verdict v = source->Judge(r.tag, 200, Ok(UpdateResult()).body);
      CHECK(v.op == 1);
      CHECK(v.items == 50);
    }
  }
  CHECK(queries == 3);
  CHECK(upserts == 3);
}

// --- Count, version, teardown ---

TEST_CASE("qdrant count is POST points/count with exact: true, version is GET /") {
  ContractServer server([](const Request& r) -> Answer {
    // qdrant-openapi.json: paths./collections/{collection_name}/points/count.post.responses.200
    // result components.schemas.CountResult {count}.
    if (r.target == "/collections/bench/points/count") return Ok({{"count", 50}});
    // qdrant-openapi.json: paths./.get.responses.200 components.schemas.VersionInfo.
    if (r.target == "/") return {200, kVersionInfo.dump()};
    return Ok(true);
  });
  AdapterPtr adapter = MakeAdapter(server.Url(), {{"collection", "bench"}});
  REQUIRE(adapter->Setup(&Small(), true, 5s).ok());
  auto count = adapter->Count();
  REQUIRE(count.ok());
  CHECK(*count == 50);
  auto version = adapter->Version();
  REQUIRE(version.ok());
  CHECK(*version == "qdrant 1.13.0");
  REQUIRE(adapter->Teardown().ok());

  const auto requests = server.requests();
  REQUIRE(requests.size() == 5);
  // components.schemas.CountRequest.exact
  CHECK(requests[2].method == "POST");
  CHECK(json::parse(requests[2].body) == json{{"exact", true}});
  CHECK(requests[3].method == "GET");
  // qdrant-openapi.json: paths./collections/{collection_name}.delete
  CHECK(requests[4].method == "DELETE");
  CHECK(requests[4].target == "/collections/bench");
}

// --- (3) wait_ready ---

TEST_CASE("qdrant wait_ready wants status green on two polls in a row") {
  // qdrant-openapi.json: paths./collections/{collection_name}.get.responses.200 result
  // CollectionInfo.status, components.schemas.CollectionStatus: green, yellow, grey, red.
  QdrantDouble qdrant(Small());
  AdapterPtr adapter = MakeAdapter(qdrant.Url(), {{"collection", "bench"}});
  REQUIRE(adapter->Setup(&Small(), true, 5s).ok());
  const auto polls = [&] {
    int n = 0;
    for (const Request& r : qdrant.requests()) n += r.method == "GET";
    return n;
  };
  SECTION("grey, green, green") {
    qdrant.ScriptStatuses({"grey", "green", "green"});
    CHECK(adapter->WaitReady(10s).ok());
    CHECK(polls() == 3);
  }
  SECTION("yellow, green, green") {
    qdrant.ScriptStatuses({"yellow", "green", "green"});
    CHECK(adapter->WaitReady(10s).ok());
    CHECK(polls() == 3);
  }
  SECTION("one green is not enough") {
    qdrant.ScriptStatuses({"green", "yellow", "red", "green", "green"});
    CHECK(adapter->WaitReady(10s).ok());
    CHECK(polls() == 5);
  }
  SECTION("yellow for good: an error naming the last answer") {
    qdrant.ScriptStatuses({"green", "yellow"});
    const absl::Status s = adapter->WaitReady(700ms);
    CHECK(s.code() == absl::StatusCode::kDeadlineExceeded);
    CHECK_THAT(Message(s), Catch::StartsWith("collection 'bench' was not green on two polls in a "
                                             "row within 700ms; last status: yellow (GET "
                                             "http://127.0.0.1:"));
  }
  SECTION("grey for good") {
    qdrant.ScriptStatuses({"grey"});
    CHECK(adapter->WaitReady(500ms).code() == absl::StatusCode::kDeadlineExceeded);
  }
}

// --- (4) Error answers ---

TEST_CASE("qdrant error answers are classified per status, control errors quote them") {
  QdrantDouble qdrant(Small());
  AdapterPtr adapter = MakeAdapter(qdrant.Url(), {{"collection", "bench"}});
  REQUIRE(adapter->Setup(&Small(), true, 5s).ok());
  // Every operation's responses.4XX / responses.default: components.schemas.ErrorResponse.
  const Answer bad = Error(400, "Wrong input: Vector dimension error: expected dim: 8, got 7");
  const Answer missing = Error(404, "Not found: Collection `bench` doesn't exist!");
  const Answer broken = Error(500, "Service internal error: task panicked");
  const Answer too_large = Error(413, "Payload too large");
  for (const char* op : {"insert", "query", "delete"}) {
    INFO(op);
    OperationSourcePtr source = Source(*adapter, Phase(op));
    const uint64_t tag = Next(*source).tag;
    CHECK(source->Judge(tag, 400, bad.body).error == ErrorClass::kHttp4xx);
    CHECK(source->Judge(tag, 404, missing.body).error == ErrorClass::kHttp4xx);
    CHECK(source->Judge(tag, 413, too_large.body).error == ErrorClass::kHttp4xx);
    CHECK(source->Judge(tag, 500, broken.body).error == ErrorClass::kHttp5xx);
    CHECK(source->Judge(tag, 500, broken.body).items == 0);
  }

  const auto failing_adapter = [](ContractServer& server) {
    return MakeAdapter(server.Url(), {{"collection", "bench"}});
  };
  SECTION("setup: PUT collection answers 400") {
    ContractServer server([&](const Request& r) { return r.method == "PUT" ? bad : Ok(true); });
    const absl::Status s = failing_adapter(server)->Setup(&Small(), true, 5s);
    CHECK(!s.ok());
    CHECK(Message(s) == "cannot create collection 'bench': PUT " + server.Url() +
                            "/collections/bench: 400 " + bad.body);
  }
  SECTION("setup: PUT collection answers 413") {
    ContractServer server(
        [&](const Request& r) { return r.method == "PUT" ? too_large : Ok(true); });
    CHECK_THAT(Message(failing_adapter(server)->Setup(&Small(), true, 5s)),
               Catch::Contains("/collections/bench: 413 " + too_large.body));
  }
  SECTION("setup: DELETE of the stale collection answers 500: no PUT") {
    ContractServer server([&](const Request&) { return broken; });
    const absl::Status s = failing_adapter(server)->Setup(&Small(), true, 5s);
    CHECK(Message(s) == "cannot drop the existing collection 'bench': DELETE " + server.Url() +
                            "/collections/bench: 500 " + broken.body);
    CHECK(server.requests().size() == 1);
  }
  SECTION("count, version and teardown") {
    ContractServer server([&](const Request& r) {
      return r.method == "PUT" || r.method == "DELETE" ? Ok(true) : missing;
    });
    AdapterPtr a = failing_adapter(server);
    REQUIRE(a->Setup(&Small(), true, 5s).ok());
    CHECK_THAT(Message(a->Count().status()),
               Catch::Contains("POST " + server.Url() + "/collections/bench/points/count: 404 " +
                               missing.body));
    CHECK_THAT(Message(a->Version().status()), Catch::Contains("GET " + server.Url() + "/: 404"));
  }
  SECTION("teardown answers 500") {
    std::atomic<int> deletes{0};
    ContractServer server([&](const Request& r) {
      return r.method == "DELETE" && deletes++ > 0 ? broken : Ok(true);  // setup's passes
    });
    AdapterPtr a = failing_adapter(server);
    REQUIRE(a->Setup(&Small(), true, 5s).ok());
    CHECK(Message(a->Teardown()) ==
          "DELETE " + server.Url() + "/collections/bench: 500 " + broken.body);
  }
  SECTION("nobody listens") {
    std::string url;
    {
      ContractServer gone([](const Request&) { return Ok(true); });
      url = gone.Url();
    }
    const absl::Status s = MakeAdapter(url, {{"collection", "bench"}})->Setup(&Small(), true, 5s);
    CHECK(s.code() == absl::StatusCode::kUnavailable);
    CHECK_THAT(Message(s), Catch::Contains("DELETE " + url + "/collections/bench"));
  }
}

// --- (5) Options and phases ---

TEST_CASE("qdrant options are validated with the field's path") {
  const auto refused = [](json options, const std::string& expected) {
    auto adapter = CreateAdapter(Target("http://127.0.0.1:6333", std::move(options)));
    REQUIRE(!adapter.ok());
    CHECK_THAT(Message(adapter.status()), Catch::Contains(expected));
  };
  refused({{"colection", "x"}},
          "targets[0].colection: unknown key for this target kind; expected "
          "one of: name, kind, url, api_key, collection, distance, "
          "ef_construct, headers, m, max_body_bytes, wait");
  refused({{"distance", "L2"}},
          "targets[0].distance: 'L2' is not a qdrant distance with ground "
          "truth here; expected Cosine, Euclid or Dot");
  refused({{"distance", "cosine"}}, "targets[0].distance: 'cosine' is not a qdrant distance");
  refused({{"distance", "Manhattan"}}, "targets[0].distance: 'Manhattan'");
  refused({{"distance", 1}}, "targets[0].distance: 1 is not a string");
  refused({{"m", "16"}}, "targets[0].m: \"16\" is not an integer");
  refused({{"m", -1}}, "targets[0].m: -1 is out of range; expected 0..");
  refused({{"ef_construct", 2}}, "targets[0].ef_construct: 2 is out of range; expected 4..");
  refused({{"wait", "yes"}}, "targets[0].wait: \"yes\" is not a boolean");
  refused({{"collection", "a/b"}}, "targets[0].collection: 'a/b' is not a collection name");
  refused({{"collection", ""}}, "targets[0].collection: '' is not a collection name");
  refused({{"api_key", 5}}, "targets[0].api_key: 5 is not a string");
  refused({{"api_key", "k"}, {"headers", {{"API-Key", "j"}}}},
          "targets[0].api_key: given together with headers.API-Key");
  refused({{"headers", {{"X-A", "a\r\nX-B: b"}}}}, "targets[0].headers.X-A: contains a line break");
  refused({{"max_body_bytes", -1}}, "targets[0].max_body_bytes: -1 is out of range");
  // Filters moved to the phases (phases[].filter on the dataset's payload).
  refused({{"filter", {{"must", json::array()}}}},
          "targets[0].filter: filters belong to query phases now; expected phases[].filter");

  auto bad_url = CreateAdapter(Target("http://127.0.0.1:6333/?x=1", json::object()));
  REQUIRE(!bad_url.ok());
  CHECK_THAT(Message(bad_url.status()), Catch::Contains("targets[0].url: "));

  auto fine = CreateAdapter(Target("http://127.0.0.1:6333", {{"max_body_bytes", 1024}}));
  REQUIRE(fine.ok());
  CHECK((*fine)->kind() == "qdrant");
  CHECK((*fine)->connection().max_body_bytes == 1024);
  CHECK((*fine)->connection().url.port == 6333);
}

TEST_CASE("qdrant phases: insert, query, delete, mixed, ef only where it searches") {
  AdapterPtr adapter = MakeAdapter("http://127.0.0.1:6333");
  for (const char* op : {"insert", "query", "delete", "mixed"}) {
    CHECK(adapter->ValidatePhase(Phase(op)).ok());
  }
  CHECK(Message(adapter->ValidatePhase(Phase("files"))) ==
        "phases[0].op: 'files' is not an operation of qdrant targets; expected insert, query, "
        "delete or mixed");
  PhaseSpec insert = Phase("insert");
  insert.ef = 64;
  CHECK_THAT(Message(adapter->ValidatePhase(insert)), Catch::StartsWith("phases[0].ef: 'insert'"));
  PhaseSpec query = Phase("query");
  query.ef = 64;
  CHECK(adapter->ValidatePhase(query).ok());
  // Before Setup there is no collection to address.
  CHECK(adapter->CreateSource(query, {}, &Small()).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(adapter->Setup(nullptr, true, 1s).code() == absl::StatusCode::kInvalidArgument);
}

// --- End to end: the vexbench binary against the Qdrant double ---

const json* ResultOf(const json& report, const std::string& phase, const std::string& op) {
  for (const json& r : report["results"]) {
    if (r["phase"] == phase && r["op"] == op) return &r;
  }
  return nullptr;
}

TEST_CASE("qdrant end to end: vexbench run loads, counts, searches with recall 1, deletes") {
  QdrantDouble qdrant(Small(), "e2e");
  const std::string dir = MakeTempDir("qdrant-e2e");
  setenv("VEXBENCH_CACHE", (dir + "/cache").c_str(), 1);  // the binary's ground-truth cache
  WriteFile(dir + "/job.yaml",
            "name: qdrant-e2e\n"
            "dataset: {kind: synthetic, count: 50, dim: 8, queries: 5, metric: cosine, seed: 1}\n"
            "targets:\n"
            "  - {name: qdrant, kind: qdrant, url: \"" +
                qdrant.Url() +
                "\", collection: e2e,"
                " api_key: s3, m: 16, ef_construct: 64}\n"
                "phases:\n"
                "  - {name: load, op: insert, batch: 10, concurrency: 2}\n"
                "  - {name: search, op: query, k: 10, ef: 32, concurrency: 2, requests: 20}\n"
                "  - {name: remove, op: delete, batch: 25}\n"
                "thresholds: [\"search.recall@10 > 0.99\"]\n");
  const RunResult run = RunVexbench({"run", dir + "/job.yaml", "--out", dir + "/out"}, dir + "/v",
                                    std::chrono::seconds(120));
  INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
  const json report = json::parse(ReadFile(dir + "/out/report.json"));
  INFO(report.dump(1));
  CHECK(run.exit_code == 0);
  CHECK(report["job"]["state"] == "succeeded");

  const json* load = ResultOf(report, "load", "insert");
  REQUIRE(load != nullptr);
  CHECK((*load)["errors"] == 0);
  CHECK((*load)["requests"] == 6);  // two workers of 25 points each: batches of 10, 10, 5
  CHECK((*load)["items"] == 50);
  CHECK((*load)["count_after"] == 50);

  const json* search = ResultOf(report, "search", "query");
  REQUIRE(search != nullptr);
  CHECK((*search)["errors"] == 0);
  CHECK((*search)["requests"] == 20);
  CHECK((*search)["recall_at_k"]["k"] == 10);
  CHECK((*search)["recall_at_k"]["mean"] == 1.0);

  const json* remove = ResultOf(report, "remove", "delete");
  REQUIRE(remove != nullptr);
  CHECK((*remove)["items"] == 50);
  CHECK(qdrant.stored() == 0);

  const json& target = report["environment"]["targets"][0];
  CHECK(target["version"] == "qdrant 1.13.0");
  CHECK_THAT(target["notes"].dump(), Catch::Contains("points upserted with wait=true"));

  const auto requests = qdrant.requests();
  REQUIRE(!requests.empty());
  for (const Request& r : requests) CHECK(r.headers.count("api-key") == 1);
  // Setup replaced the collection with the job's parameters; teardown dropped it.
  CHECK(requests.front().method == "DELETE");
  CHECK(json::parse(requests.at(1).body) ==
        json{{"vectors", {{"size", 8}, {"distance", "Cosine"}}},
             {"hnsw_config", {{"m", 16}, {"ef_construct", 64}}}});
  CHECK(requests.back().method == "DELETE");
  CHECK(requests.back().target == "/collections/e2e");
}

TEST_CASE(
    "qdrant end to end: filtered query phases are judged against vexbench's filtered truth") {
  QdrantDouble qdrant(WithPayload(), "e2e");  // the job's dataset: the same spec
  const std::string dir = MakeTempDir("qdrant-e2e-filter");
  setenv("VEXBENCH_CACHE", (dir + "/cache").c_str(), 1);
  WriteFile(dir + "/job.yaml",
            "name: qdrant-e2e-filter\n"
            "dataset: {kind: synthetic, count: 50, dim: 8, queries: 5, metric: cosine, seed: 1,"
            " payload: {field: category, values: 10}}\n"
            "targets:\n"
            "  - {name: qdrant, kind: qdrant, url: \"" +
                qdrant.Url() +
                "\", collection: e2e}\n"
                "phases:\n"
                "  - {name: load, op: insert, batch: 10}\n"
                "  - {name: one, op: query, k: 5, requests: 10, filter: {field: category, eq: 3}}\n"
                "  - {name: some, op: query, k: 5, requests: 10,"
                " filter: {field: category, in: [1, 4, 7]}}\n"
                "  - {name: band, op: query, k: 5, requests: 10,"
                " filter: {field: category, gte: 2, lt: 5}}\n");
  const RunResult run = RunVexbench({"run", dir + "/job.yaml", "--out", dir + "/out"}, dir + "/v",
                                    std::chrono::seconds(120));
  INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
  const json report = json::parse(ReadFile(dir + "/out/report.json"));
  INFO(report.dump(1));
  CHECK(run.exit_code == 0);
  for (const std::string phase : {"one", "some", "band"}) {
    INFO(phase);
    const json* result = ResultOf(report, phase, "query");
    REQUIRE(result != nullptr);
    CHECK((*result)["requests"] == 10);
    CHECK((*result)["errors"] == 0);
    CHECK((*result)["errors_by_class"]["filter_violation"] == 0);
    CHECK((*result)["recall_at_k"]["mean"] == 1.0);  // the double answers the filtered truth
  }
  CHECK(report["environment"]["dataset"]["filtered_truth"] ==
        json::parse(R"([{"filter": "category eq 3", "source": "computed"},
                        {"filter": "category gte 2 lt 5", "source": "computed"},
                        {"filter": "category in 1,4,7", "source": "computed"}])"));
}

}  // namespace
}  // namespace vexbench::testing
