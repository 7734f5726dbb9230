// Contract tests of kind `weaviate` against Weaviate's published REST API,
// ../shared/reference/weaviate-openapi.json ("the spec" below; its basePath is /v1, so the
// spec's paths./schema is /v1/schema on the wire). Weaviate cannot run here, so a ContractServer
// plays it: the requests the adapter produces are checked against the spec's request schemas, and
// every answer the tests give is shaped as the spec's response schemas (each cited as
// weaviate-openapi.json: <JSON path>). The spec types a GraphQL query as a free string and
// vectorIndexConfig as a free object; their contents follow Weaviate's documented forms.
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "adapters/registry.h"
#include "adapters/weaviate_adapter.h"
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

std::shared_ptr<const Dataset> Load(Metric metric, int64_t payload_values = 0,
                                     std::span<const PayloadFilter> filters = {}) {
  DatasetSpec spec;
  spec.kind = "synthetic";
  spec.count = 50;
  spec.dim = 8;
  spec.queries = 5;
  spec.seed = 1;
  spec.metric = metric;
  if (payload_values > 0) {
    spec.payload_field = "category";
    spec.payload_values = payload_values;
  }
  auto dataset = LoadDataset(spec, /*cache_dir=*/"", 0, filters);
  if (!dataset.ok()) throw std::runtime_error(std::string(dataset.status().message()));
  return *dataset;
}

// {kind: synthetic, count: 50, dim: 8, queries: 5, seed: 1}: also the end-to-end job's dataset.
const Dataset& Small() {
  static const std::shared_ptr<const Dataset> dataset = Load(Metric::kCosine);
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
  static const std::shared_ptr<const Dataset> dataset = Load(Metric::kCosine, 10, Filters());
  return *dataset;
}

// The properties the adapter must send for object `id`: {"category": v}, or {} without a
// payload.
json PayloadOf(const Dataset& dataset, int64_t id) {
  if (dataset.payload_field().empty()) return json::object();
  return {{dataset.payload_field(), dataset.payload(id)}};
}

std::string Uuid(int64_t id) {
  std::string out;
  AppendWeaviateUuid(out, id);
  return out;
}

// --- Answers shaped as the spec's response schemas ---

// weaviate-openapi.json: definitions.ErrorResponse ({error: [{message}]}), the schema of the
// 4xx/5xx answers of every path used here.
Answer Error(int status, const std::string& message) {
  return {status, json{{"error", {{{"message", message}}}}}.dump()};
}

// weaviate-openapi.json: paths./batch/objects.post.responses.200, an array of
// definitions.ObjectsGetResponse (Object + result {status: SUCCESS|FAILED, errors:
// ErrorResponse}). `failed` ids carry an error.
json BatchAnswer(int64_t from, int64_t n, const std::set<int64_t>& failed = {}) {
  json out = json::array();
  for (int64_t i = from; i < from + n; ++i) {
    json object = {{"class", "Vexbench"},
                   {"id", Uuid(i)},
                   {"properties", PayloadOf(Small(), i)},
                   {"vector", json::parse(Small().vector_json(i))},
                   {"creationTimeUnix", 1700000000000 + i},
                   {"lastUpdateTimeUnix", 1700000000000 + i}};
    object["result"] =
        failed.count(i)
            ? json{{"status", "FAILED"},
                   {"errors", {{"error", {{{"message", "vector lengths don't match"}}}}}}}
            : json{{"status", "SUCCESS"}};
    out.push_back(object);
  }
  return out;
}

// weaviate-openapi.json: definitions.GraphQLResponse {data, errors} for a Get query: data.Get.
// <class> lists the hits with the _additional fields asked for.
json GetAnswer(const std::vector<int64_t>& ids, const std::string& cls = "Vexbench") {
  json hits = json::array();
  for (size_t i = 0; i < ids.size(); ++i) {
    hits.push_back(
        {{"_additional", {{"id", Uuid(ids[i])}, {"distance", 0.01 * static_cast<double>(i)}}}});
  }
  return {{"data", {{"Get", {{cls, hits}}}}}};
}

// weaviate-openapi.json: definitions.GraphQLResponse with errors (definitions.GraphQLError:
// locations, message, path).
json GraphQLErrors(const std::string& message, const std::string& cls = "Vexbench") {
  return {{"data", {{"Get", {{cls, nullptr}}}}},
          {"errors",
           {{{"locations", {{{"column", 6}, {"line", 1}}}},
             {"message", message},
             {"path", {"Get", cls}}}}}};
}

// weaviate-openapi.json: definitions.BatchDeleteResponse (match, output, dryRun, results
// {matches, limit, successful, failed, objects}).
json DeleteAnswer(int64_t matches, int64_t successful, int64_t failed) {
  json objects = json::array();
  for (int64_t i = 0; i < failed; ++i) {
    objects.push_back({{"id", Uuid(i)},
                       {"status", "FAILED"},
                       {"errors", {{"error", {{{"message", "shard is read-only"}}}}}}});
  }
  return {{"match", {{"class", "Vexbench"}}},
          {"output", "minimal"},
          {"dryRun", false},
          {"results",
           {{"matches", matches},
            {"limit", 10000},
            {"successful", successful},
            {"failed", failed},
            {"objects", objects}}}};
}

// weaviate-openapi.json: definitions.Meta (hostname, version, modules).
const json kMeta = {
    {"hostname", "http://[::]:8080"}, {"version", "1.40.0"}, {"modules", json::object()}};

// --- A Weaviate double: one class, its objects, answers per the spec ---

class WeaviateDouble {
 public:
  explicit WeaviateDouble(const Dataset& dataset, std::string cls = "Vexbench",
                          std::string api_key = "")
      : dataset_(dataset), class_(std::move(cls)), api_key_(std::move(api_key)) {}

  std::string Url() const { return server_.Url(); }
  std::vector<Request> requests() const { return server_.requests(); }
  // Requests "METHOD /path" get these answers in turn, then the last one forever.
  void Script(const std::string& route, std::vector<Answer> answers) {
    std::lock_guard lock(mu_);
    scripts_[route] = {std::move(answers), 0};
  }
  void set_exists(bool exists) {
    std::lock_guard lock(mu_);
    exists_ = exists;
  }
  size_t stored() const {
    std::lock_guard lock(mu_);
    return objects_.size();
  }

 private:
  Answer Handle(const Request& r) {
    std::lock_guard lock(mu_);
    const std::string route = r.method + " " + r.target;
    if (auto it = scripts_.find(route); it != scripts_.end()) {
      auto& [answers, next] = it->second;
      return answers[std::min(next++, answers.size() - 1)];
    }
    // weaviate-openapi.json: paths./.well-known/ready.get (200, no body)
    if (route == "GET /v1/.well-known/ready") return {200, ""};
    // weaviate-openapi.json: paths./meta.get.responses.401 has no schema: no body.
    if (!api_key_.empty()) {
      auto auth = r.headers.find("authorization");
      if (auth == r.headers.end() || auth->second != "Bearer " + api_key_) return {401, ""};
    }
    const std::string schema = "/v1/schema/" + class_;
    // weaviate-openapi.json: paths./meta.get -> definitions.Meta
    if (route == "GET /v1/meta") return {200, kMeta.dump()};
    // weaviate-openapi.json: paths./schema/{className}.delete (200, no body)
    if (route == "DELETE " + schema) {
      exists_ = false;
      objects_.clear();
      return {200, ""};
    }
    // weaviate-openapi.json: paths./schema.post -> definitions.Class
    if (route == "POST /v1/schema") {
      exists_ = true;
      return {200, r.body};
    }
    // weaviate-openapi.json: paths./schema/{className}.get -> Class; 404 has no schema.
    if (route == "GET " + schema)
      return exists_ ? Answer{200, ClassJson().dump()} : Answer{404, ""};
    const json body = json::parse(r.body, nullptr, false);
    if (!body.is_object()) return Error(400, "could not parse the request body");
    if (route == "POST /v1/batch/objects") return Insert(body);
    if (route == "DELETE /v1/batch/objects") return Delete(body);
    if (route == "POST /v1/graphql") return GraphQL(body);
    return Error(404, "no route for " + route);
  }

  json ClassJson() const {
    return {{"class", class_},
            {"vectorizer", "none"},
            {"vectorIndexType", "hnsw"},
            {"vectorIndexConfig", {{"distance", "cosine"}, {"ef", -1}}},
            {"properties", dataset_.payload_field().empty()
                               ? json::array()
                               : json{{{"name", dataset_.payload_field()}, {"dataType", {"int"}}}}}};
  }

  // weaviate-openapi.json: paths./batch/objects.post (body {objects: [Object]}); 422 when the
  // class does not exist; per-object errors for objects the double cannot take.
  Answer Insert(const json& body) {
    if (!exists_) return Error(422, "class \"" + class_ + "\" not found in schema");
    json out = json::array();
    for (json object : body.at("objects")) {
      const std::string id = object.at("id");
      const int64_t n = std::stoll(id.substr(24), nullptr, 16);
      const bool ok = object.at("class") == class_ && id.starts_with("00000000-0000-0000-0000-") &&
                      object.at("vector").size() == static_cast<size_t>(dataset_.dim()) &&
                      object.at("properties") == PayloadOf(dataset_, n);
      if (ok) objects_.insert(n);
      object["result"] = ok ? json{{"status", "SUCCESS"}}
                            : json{{"status", "FAILED"},
                                   {"errors", {{"error", {{{"message", "invalid object"}}}}}}};
      out.push_back(object);
    }
    return {200, out.dump()};
  }

  // weaviate-openapi.json: paths./batch/objects.delete (definitions.BatchDelete ->
  // definitions.BatchDeleteResponse).
  Answer Delete(const json& body) {
    const json& where = body.at("match").at("where");
    if (body.at("match").at("class") != class_ || where.at("path") != json{"id"} ||
        where.at("operator") != "ContainsAny") {
      return Error(422, "invalid where filter");
    }
    int64_t successful = 0;
    for (const json& uuid : where.at("valueTextArray")) {
      successful += static_cast<int64_t>(
          objects_.erase(std::stoll(uuid.get<std::string>().substr(24), nullptr, 16)));
    }
    return {200, DeleteAnswer(successful, successful, 0).dump()};
  }

  // weaviate-openapi.json: paths./graphql.post (definitions.GraphQLQuery ->
  // definitions.GraphQLResponse). Get answers the true neighbours, among the stored objects, of
  // the dataset query whose vector text the query carries.
  Answer GraphQL(const json& body) {
    const std::string query = body.at("query");
    if (query == "{Aggregate{" + class_ + "{meta{count}}}}") {
      return {200, json{{"data",
                         {{"Aggregate", {{class_, {{{"meta", {{"count", objects_.size()}}}}}}}}}}}
                       .dump()};
    }
    const std::string head = "{Get{" + class_ + "(nearVector:{vector:";
    const size_t vector_end = query.find("},");
    const size_t limit_at = query.find("limit:");
    if (!query.starts_with(head) || vector_end == std::string::npos ||
        limit_at == std::string::npos) {
      return {200, GraphQLErrors("Syntax Error GraphQL request").dump()};
    }
    const std::string vector = query.substr(head.size(), vector_end - head.size());
    const size_t limit = std::stoul(query.substr(limit_at + 6));
    for (int64_t q = 0; q < dataset_.query_count(); ++q) {
      if (vector != dataset_.query_json(q)) continue;
      std::vector<int64_t> ids;
      for (int32_t id : dataset_.truth(q)) {
        if (ids.size() == limit) break;
        if (objects_.count(id)) ids.push_back(id);
      }
      return {200, GetAnswer(ids, class_).dump()};
    }
    return {200, GraphQLErrors("a query vector the dataset does not have").dump()};
  }

  const Dataset& dataset_;
  const std::string class_;
  const std::string api_key_;
  mutable std::mutex mu_;
  bool exists_ = false;
  std::set<int64_t> objects_;
  std::map<std::string, std::pair<std::vector<Answer>, size_t>> scripts_;
  ContractServer server_{[this](const Request& r) { return Handle(r); }};  // last: starts serving
};

// --- Adapter helpers ---

TargetSpec Target(const std::string& url, json options) {
  TargetSpec t;
  t.name = "weaviate";
  t.kind = "weaviate";
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

// An adapter set up (create) against `double_`, ready for sources.
AdapterPtr SetUp(WeaviateDouble& weaviate, json options = json::object(),
                 const Dataset& dataset = Small()) {
  AdapterPtr adapter = MakeAdapter(weaviate.Url(), std::move(options));
  const absl::Status s = adapter->Setup(&dataset, /*create=*/true, 5s);
  if (!s.ok()) FAIL(std::string(s.message()));
  return adapter;
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
  std::string raw_body;
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
    CHECK(out.headers.count(name) == 0);  // each header once
    out.headers[name] = line.substr(colon + 2);
    line_end = next;
  }
  out.raw_body = bytes.substr(head_end + 4);
  CHECK(out.headers["content-length"] == std::to_string(out.raw_body.size()));
  out.body = json::parse(out.raw_body);  // throws (and fails the test) on anything but JSON
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

// --- Object ids ---

TEST_CASE("weaviate object UUIDs are derived from dataset ids and parsed back") {
  // weaviate-openapi.json: definitions.Object.properties.id (format uuid).
  CHECK(Uuid(0) == "00000000-0000-0000-0000-000000000000");
  CHECK(Uuid(42) == "00000000-0000-0000-0000-00000000002a");
  CHECK(Uuid((int64_t{1} << 48) - 1) == "00000000-0000-0000-0000-ffffffffffff");
  CHECK(WeaviateUuidToId("00000000-0000-0000-0000-00000000002a") == 42);
  CHECK(WeaviateUuidToId("00000000-0000-0000-0000-00000000002A") == 42);
  CHECK(WeaviateUuidToId("00000000-0000-0000-0000-ffffffffffff") == (int64_t{1} << 48) - 1);
  CHECK_FALSE(WeaviateUuidToId("10000000-0000-0000-0000-00000000002a").has_value());
  CHECK_FALSE(WeaviateUuidToId("00000000-0000-0000-0000-0000000002a").has_value());
  CHECK_FALSE(WeaviateUuidToId("00000000-0000-0000-0000-00000000002g").has_value());
  CHECK_FALSE(WeaviateUuidToId("00000000-0000-0000-0000--0000000002a").has_value());
}

// --- Setup ---

TEST_CASE("weaviate setup(create) drops the class, then posts the schema field by field") {
  WeaviateDouble weaviate(WithPayload(), "Bench", "s3cret");
  AdapterPtr adapter = MakeAdapter(weaviate.Url(), {{"class", "Bench"},
                                                    {"ef", 64},
                                                    {"ef_construction", 200},
                                                    {"max_connections", 16},
                                                    {"api_key", "s3cret"}});
  REQUIRE(adapter->Setup(&WithPayload(), /*create=*/true, 5s).ok());

  const auto requests = weaviate.requests();
  REQUIRE(requests.size() == 2);
  // weaviate-openapi.json: paths./schema/{className}.delete
  CHECK(requests[0].method == "DELETE");
  CHECK(requests[0].target == "/v1/schema/Bench");
  // weaviate-openapi.json: paths./schema.post, body definitions.Class (class, vectorizer,
  // vectorIndexType, vectorIndexConfig, properties of definitions.Property {name, dataType}).
  CHECK(requests[1].method == "POST");
  CHECK(requests[1].target == "/v1/schema");
  const json body = json::parse(requests[1].body);
  CHECK(body.size() == 5);
  CHECK(body["class"] == "Bench");
  CHECK(body["vectorizer"] == "none");
  CHECK(body["vectorIndexType"] == "hnsw");
  CHECK(body["vectorIndexConfig"] ==
        json{{"distance", "cosine"}, {"ef", 64}, {"efConstruction", 200}, {"maxConnections", 16}});
  // The dataset's payload field, an int property; none without a payload.
  CHECK(body["properties"] == json::parse(R"([{"name": "category", "dataType": ["int"]}])"));
  REQUIRE(adapter->Setup(&Small(), /*create=*/true, 5s).ok());
  CHECK(json::parse(weaviate.requests().back().body)["properties"] == json::array());
  // weaviate-openapi.json: securityDefinitions.oidc (OAuth2): bearer tokens; API keys likewise.
  for (const Request& r : requests) CHECK(r.headers.at("authorization") == "Bearer s3cret");
}

TEST_CASE("weaviate distance comes from the dataset's metric unless overridden") {
  WeaviateDouble weaviate(Small());
  const auto distance_sent = [&](const Dataset& dataset, json options) {
    AdapterPtr adapter = MakeAdapter(weaviate.Url(), std::move(options));
    REQUIRE(adapter->Setup(&dataset, /*create=*/true, 5s).ok());
    const json body = json::parse(weaviate.requests().back().body);
    CHECK(body["vectorIndexConfig"].size() == 1);  // only what was given: the server's defaults
    return std::make_pair(body["vectorIndexConfig"]["distance"].get<std::string>(),
                          Joined(adapter->Notes()));
  };
  const auto l2 = Load(Metric::kL2);
  const auto dot = Load(Metric::kDot);
  CHECK(distance_sent(Small(), json::object()).first == "cosine");
  CHECK(distance_sent(*l2, json::object()).first == "l2-squared");
  CHECK(distance_sent(*dot, json::object()).first == "dot");
  const auto [overridden, notes] = distance_sent(Small(), {{"distance", "dot"}});
  CHECK(overridden == "dot");
  CHECK_THAT(notes, Catch::Contains("distance dot differs from the dataset's metric (cosine)"));
}

TEST_CASE("weaviate setup errors quote the spec's ErrorResponse, and a 401 points at api_key") {
  WeaviateDouble weaviate(Small());
  AdapterPtr adapter = MakeAdapter(weaviate.Url());
  // weaviate-openapi.json: paths./schema.post.responses.422 (RestrictionViolationResponse, its
  // legacy `error` list for non-restriction errors)
  weaviate.Script("POST /v1/schema",
                  {Error(422, "vectorIndexConfig: efConstruction must be a positive integer")});
  absl::Status s = adapter->Setup(&Small(), true, 5s);
  CHECK(s.code() == absl::StatusCode::kInternal);
  CHECK_THAT(Message(s), Catch::Contains("POST " + weaviate.Url() + "/v1/schema: 422"));
  CHECK_THAT(Message(s), Catch::Contains("efConstruction must be a positive integer"));

  // weaviate-openapi.json: paths./schema.post.responses.500 (ErrorResponse)
  weaviate.Script("POST /v1/schema", {Error(500, "could not open the class's shard")});
  s = adapter->Setup(&Small(), true, 5s);
  CHECK_THAT(Message(s), Catch::Contains("500"));
  CHECK_THAT(Message(s), Catch::Contains("could not open the class's shard"));

  // weaviate-openapi.json: paths./schema.post.responses.401 ("Unauthorized or invalid
  // credentials.", no body)
  weaviate.Script("POST /v1/schema", {{401, ""}});
  s = adapter->Setup(&Small(), true, 5s);
  CHECK(s.code() == absl::StatusCode::kUnauthenticated);
  CHECK_THAT(Message(s), Catch::Contains("/v1/schema: 401"));
  CHECK_THAT(Message(s), Catch::Contains("check the target's api_key option"));

  // A failed setup leaves no source to create.
  CHECK(adapter->CreateSource(Phase("insert"), {}, &Small()).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(adapter->Setup(nullptr, true, 5s).code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("weaviate setup(attach) polls GET /v1/schema/{class} until it exists, and times out") {
  WeaviateDouble weaviate(Small());
  AdapterPtr adapter = MakeAdapter(weaviate.Url());
  // weaviate-openapi.json: paths./schema/{className}.get: 404 "Collection not found.", then 200
  // with definitions.Class.
  weaviate.Script("GET /v1/schema/Vexbench",
                  {{404, ""}, {404, ""}, {200, json{{"class", "Vexbench"}}.dump()}});
  REQUIRE(adapter->Setup(&Small(), /*create=*/false, 5s).ok());
  const auto requests = weaviate.requests();
  CHECK(requests.size() == 3);
  for (const Request& r : requests) CHECK(r.method + " " + r.target == "GET /v1/schema/Vexbench");

  WeaviateDouble empty(Small());
  AdapterPtr late = MakeAdapter(empty.Url());
  const absl::Status s = late->Setup(&Small(), /*create=*/false, 300ms);
  CHECK(s.code() == absl::StatusCode::kDeadlineExceeded);
  CHECK_THAT(Message(s), Catch::Contains("class 'Vexbench' did not appear"));
  CHECK_THAT(Message(s), Catch::Contains("/v1/schema/Vexbench: 404"));
}

// --- Insert ---

TEST_CASE(
    "weaviate insert: POST /v1/batch/objects with derived UUIDs, vectors and the dataset's "
    "payload") {
  WeaviateDouble weaviate(WithPayload(), "Vexbench", "k1");
  AdapterPtr adapter =
      SetUp(weaviate, {{"api_key", "k1"}, {"headers", {{"X-Trace", "on"}}}}, WithPayload());
  PhaseSpec phase = Phase("insert");
  phase.batch = 20;
  OperationSourcePtr source = Source(*adapter, phase, {}, WithPayload());
  CHECK(source->ops() == std::vector<std::string>{"insert"});
  CHECK(source->needs_body());

  int64_t expected_id = 0;
  for (int64_t expected_n : {20, 20, 10}) {
    const WireRequest r = Next(*source);
    // weaviate-openapi.json: paths./batch/objects.post, body {objects: [definitions.Object]}
    CHECK(r.method == "POST");
    CHECK(r.target == "/v1/batch/objects");
    CHECK(r.headers.at("host") == "127.0.0.1:" + weaviate.Url().substr(17));
    CHECK(r.headers.at("content-type") == "application/json");
    CHECK(r.headers.at("authorization") == "Bearer k1");
    CHECK(r.headers.at("x-trace") == "on");
    CHECK(r.body.size() == 1);
    const json& objects = r.body.at("objects");
    REQUIRE(objects.size() == static_cast<size_t>(expected_n));
    for (const json& object : objects) {
      // definitions.Object: class, id (uuid), vector (C11yVector), properties (PropertySchema)
      CHECK(object.size() == 4);
      CHECK(object["class"] == "Vexbench");
      CHECK(object["id"] == Uuid(expected_id));
      CHECK(Floats(object["vector"]) == Floats(WithPayload().vector(expected_id)));
      CHECK(object["properties"] == json{{"category", PayloadValue(expected_id, 10)}});
      ++expected_id;
    }
    // The dataset's own vector text is sent as it is, never re-formatted.
    CHECK_THAT(r.raw_body, Catch::Contains(std::string(R"("vector":)") +
                                           std::string(WithPayload().vector_json(expected_id - 1))));
    // weaviate-openapi.json: paths./batch/objects.post.responses.200
    const Verdict v =
        source->Judge(r.tag, 200, BatchAnswer(expected_id - expected_n, expected_n).dump());
    CHECK(v.error == ErrorClass::kNone);
    CHECK(v.items == expected_n);
    CHECK(v.op == 0);
  }
  CHECK(Next(*source).method.empty());  // the slice ran out
}

TEST_CASE("weaviate insert: shard slices and a base path in the URL") {
  WeaviateDouble weaviate(Small());
  AdapterPtr adapter = MakeAdapter(weaviate.Url() + "/weaviate/");
  weaviate.Script("DELETE /weaviate/v1/schema/Vexbench", {{200, ""}});
  weaviate.Script("POST /weaviate/v1/schema", {{200, "{}"}});
  REQUIRE(adapter->Setup(&Small(), true, 5s).ok());
  PhaseSpec phase = Phase("insert");
  phase.batch = 100;
  // Shard 1 of 2, thread 0 of 1: ids 25..49.
  OperationSourcePtr source = Source(*adapter, phase, {.shard_index = 1, .shard_count = 2});
  const WireRequest r = Next(*source);
  CHECK(r.target == "/weaviate/v1/batch/objects");
  REQUIRE(r.body["objects"].size() == 25);
  CHECK(r.body["objects"][0]["id"] == Uuid(25));
  CHECK(r.body["objects"][24]["id"] == Uuid(49));
  CHECK(Next(*source).method.empty());
}

TEST_CASE("weaviate batch answers: per-object errors are `other`, HTTP errors by status") {
  WeaviateDouble weaviate(Small());
  AdapterPtr adapter = SetUp(weaviate);
  PhaseSpec phase = Phase("insert");
  phase.batch = 20;
  OperationSourcePtr source = Source(*adapter, phase);
  const WireRequest r = Next(*source);

  // weaviate-openapi.json: paths./batch/objects.post.responses.200: a 200 whose
  // ObjectsGetResponse.result carries errors (status FAILED) for two of the 20 objects.
  Verdict v = source->Judge(r.tag, 200, BatchAnswer(0, 20, {3, 11}).dump());
  CHECK(v.error == ErrorClass::kOther);
  CHECK(v.items == 18);  // the objects that were stored

  // `result` is optional (x-nullable Object fields): an object without it was stored.
  json plain = BatchAnswer(0, 20);
  for (json& o : plain) o.erase("result");
  v = source->Judge(r.tag, 200, plain.dump());
  CHECK(v.error == ErrorClass::kNone);
  CHECK(v.items == 20);

  // Fewer results than objects sent, or not an array: not the answer the spec describes.
  CHECK(source->Judge(r.tag, 200, BatchAnswer(0, 19).dump()).error == ErrorClass::kParse);
  CHECK(source->Judge(r.tag, 200, R"({"objects": []})").error == ErrorClass::kParse);
  CHECK(source->Judge(r.tag, 200, "[{").error == ErrorClass::kParse);

  // weaviate-openapi.json: paths./batch/objects.post.responses.{401,422,500}
  CHECK(source->Judge(r.tag, 401, "").error == ErrorClass::kHttp4xx);
  CHECK(
      source->Judge(r.tag, 422, Error(422, "class \"Vexbench\" not found in schema").body).error ==
      ErrorClass::kHttp4xx);
  CHECK(source->Judge(r.tag, 500, Error(500, "disk full").body).error == ErrorClass::kHttp5xx);
}

// --- Query ---

TEST_CASE("weaviate query: GraphQL Get with nearVector and limit, vector text as in the dataset") {
  WeaviateDouble weaviate(Small(), "Bench");
  AdapterPtr adapter = SetUp(weaviate, {{"class", "Bench"}});
  PhaseSpec phase = Phase("query");
  phase.k = 7;
  OperationSourcePtr source = Source(*adapter, phase);
  CHECK(source->ops() == std::vector<std::string>{"query"});
  for (int64_t q : {0, 1, 2, 3, 4, 0}) {  // the dataset's queries, round and round
    const WireRequest r = Next(*source);
    // weaviate-openapi.json: paths./graphql.post, body definitions.GraphQLQuery {query}
    CHECK(r.method == "POST");
    CHECK(r.target == "/v1/graphql");
    CHECK(r.headers.at("content-type") == "application/json");
    CHECK(r.tag == static_cast<uint64_t>(q));
    CHECK(r.body.size() == 1);
    CHECK(r.body["query"] == "{Get{Bench(nearVector:{vector:" + std::string(Small().query_json(q)) +
                                 "},limit:7){_additional{id distance}}}}");
  }
  // Thread 1 of 2 starts at the second query.
  OperationSourcePtr other = Source(*adapter, phase, {.thread_index = 1, .thread_count = 2});
  CHECK(Next(*other).tag == 1);
}

TEST_CASE(
    "weaviate query: the phase's filter becomes a where on the payload property, recall "
    "against the filtered truth") {
  WeaviateDouble weaviate(WithPayload(), "Bench");
  AdapterPtr adapter = SetUp(weaviate, {{"class", "Bench"}}, WithPayload());
  // weaviate-openapi.json: definitions.WhereFilter: path (the property), operator (enum: Equal,
  // GreaterThan, GreaterThanEqual, LessThan, LessThanEqual, And, Or), valueInt (int64),
  // operands (WhereFilter list, for And and Or); in GraphQL the same fields are the arguments of
  // Get's `where`.
  const std::string p = R"(path:["category"])";
  const std::vector<std::string> expected = {
      "{" + p + ",operator:Equal,valueInt:3}",
      "{operator:Or,operands:[{" + p + ",operator:Equal,valueInt:1},{" + p +
          ",operator:Equal,valueInt:4},{" + p + ",operator:Equal,valueInt:7}]}",
      "{operator:And,operands:[{" + p + ",operator:GreaterThanEqual,valueInt:2},{" + p +
          ",operator:LessThan,valueInt:5}]}",
      "{" + p + ",operator:GreaterThan,valueInt:6}",
  };
  for (size_t f = 0; f < Filters().size(); ++f) {
    const PayloadFilter& filter = Filters()[f];
    INFO(filter.Key());
    PhaseSpec phase = Phase("query");
    phase.k = 5;
    phase.filter = filter;
    OperationSourcePtr source = Source(*adapter, phase, {}, WithPayload());
    const WireRequest r = Next(*source);
    const auto q = static_cast<int64_t>(r.tag);
    CHECK(r.body["query"] == "{Get{Bench(nearVector:{vector:" +
                                 std::string(WithPayload().query_json(q)) + "},where:" +
                                 expected[f] + ",limit:5){_additional{id distance}}}}");

    // The filtered truth, known by construction: the nearest among the matching objects.
    const auto truth = WithPayload().truth(q, filter);
    REQUIRE(truth.size() >= 2);
    std::vector<int64_t> matching;
    for (int32_t id : WithPayload().truth(q)) {
      if (filter.Matches(PayloadValue(id, 10))) matching.push_back(id);
    }
    for (size_t i = 0; i < truth.size(); ++i) CHECK(matching.at(i) == truth[i]);
    const std::vector<int64_t> best(matching.begin(),
                                    matching.begin() + std::min<size_t>(5, matching.size()));
    Verdict v = source->Judge(r.tag, 200, GetAnswer(best, "Bench").dump());
    CHECK(v.error == ErrorClass::kNone);
    CHECK(v.recall_k == static_cast<int>(std::min<size_t>(5, truth.size())));
    CHECK(v.recall_hits == v.recall_k);
    int64_t excluded = 0;
    while (filter.Matches(PayloadValue(excluded, 10))) ++excluded;
    v = source->Judge(r.tag, 200, GetAnswer({best[0], excluded}, "Bench").dump());
    CHECK(v.error == ErrorClass::kFilterViolation);
  }
}

TEST_CASE("weaviate query answers: recall from data.Get, GraphQL errors are `other`") {
  WeaviateDouble weaviate(Small());
  AdapterPtr adapter = SetUp(weaviate);
  PhaseSpec phase = Phase("query");
  phase.k = 10;
  OperationSourcePtr source = Source(*adapter, phase);
  const WireRequest r = Next(*source);
  const auto truth = Small().truth(0);
  REQUIRE(truth.size() >= 10);
  std::vector<int64_t> exact(truth.begin(), truth.begin() + 10);

  // weaviate-openapi.json: paths./graphql.post.responses.200 (definitions.GraphQLResponse)
  Verdict v = source->Judge(r.tag, 200, GetAnswer(exact).dump());
  CHECK(v.error == ErrorClass::kNone);
  CHECK(v.recall_k == 10);
  CHECK(v.recall_hits == 10);

  // Half the true neighbours, half others: recall 0.5.
  std::vector<int64_t> half(truth.begin(), truth.begin() + 5);
  const std::set<int64_t> top(exact.begin(), exact.end());
  for (int64_t id = 0; half.size() < 10; ++id) {
    if (!top.count(id)) half.push_back(id);
  }
  v = source->Judge(r.tag, 200, GetAnswer(half).dump());
  CHECK(v.error == ErrorClass::kNone);
  CHECK(v.recall_hits == 5);

  // No hits at all (an empty class): recall 0, not an error.
  v = source->Judge(r.tag, 200, GetAnswer({}).dump());
  CHECK(v.error == ErrorClass::kNone);
  CHECK(v.recall_hits == 0);

  // `errors` (definitions.GraphQLError) before or after `data`: the query failed.
  CHECK(source->Judge(r.tag, 200, GraphQLErrors("Cannot query field \"Vexbench\"").dump()).error ==
        ErrorClass::kOther);
  // (Raw text: nlohmann would sort the keys, putting data first.)
  const std::string errors_first =
      R"({"errors":[{"message":"explorer: get class: vector search: knn search: distance)"
      R"( between entrypoint and query node: vector lengths don't match: 8 vs 4",)"
      R"("path":["Get","Vexbench"],"locations":[{"line":1,"column":6}]}],)"
      R"("data":{"Get":{"Vexbench":null}}})";
  CHECK(source->Judge(r.tag, 200, errors_first).error == ErrorClass::kOther);
  // Null hits without errors: not an answer the spec describes.
  CHECK(source->Judge(r.tag, 200, R"({"data":{"Get":{"Vexbench":null}}})").error ==
        ErrorClass::kParse);
  // `errors` with data present still fails the query (recall only counts from clean answers).
  json both = GetAnswer(exact);
  both["errors"] = GraphQLErrors("partial").at("errors");
  CHECK(source->Judge(r.tag, 200, both.dump()).error == ErrorClass::kOther);
  // An empty `errors` list is no error.
  json empty_errors = GetAnswer(exact);
  empty_errors["errors"] = json::array();
  CHECK(source->Judge(r.tag, 200, empty_errors.dump()).recall_hits == 10);

  // Not a GraphQLResponse of this class, or ids that are not ours: parse errors.
  CHECK(source->Judge(r.tag, 200, GetAnswer(exact, "Other").dump()).error == ErrorClass::kParse);
  CHECK(source
            ->Judge(r.tag, 200,
                    R"({"data":{"Get":{"Vexbench":[{"_additional":)"
                    R"({"id":"6f2b1a6e-93a4-4a3c-8f7e-0d1c2b3a4f5e"}}]}}})")
            .error == ErrorClass::kParse);
  CHECK(source->Judge(r.tag, 200, "not json").error == ErrorClass::kParse);
  CHECK(source->Judge(r.tag, 200, "{}").error == ErrorClass::kParse);

  // weaviate-openapi.json: paths./graphql.post.responses.{401,422,500}
  CHECK(source->Judge(r.tag, 401, "").error == ErrorClass::kHttp4xx);
  CHECK(source->Judge(r.tag, 422, Error(422, "invalid query").body).error == ErrorClass::kHttp4xx);
  CHECK(source->Judge(r.tag, 500, Error(500, "internal").body).error == ErrorClass::kHttp5xx);
}

// --- Delete ---

TEST_CASE("weaviate delete: DELETE /v1/batch/objects with a ContainsAny filter on the ids") {
  WeaviateDouble weaviate(Small());
  AdapterPtr adapter = SetUp(weaviate);
  PhaseSpec phase = Phase("delete");
  phase.batch = 30;
  OperationSourcePtr source = Source(*adapter, phase);
  CHECK(source->ops() == std::vector<std::string>{"delete"});
  int64_t expected_id = 0;
  for (int64_t expected_n : {30, 20}) {
    const WireRequest r = Next(*source);
    // weaviate-openapi.json: paths./batch/objects.delete, body definitions.BatchDelete {match:
    // {class, where: definitions.WhereFilter {path, operator, valueTextArray}}, output, dryRun}
    CHECK(r.method == "DELETE");
    CHECK(r.target == "/v1/batch/objects");
    CHECK(r.body["match"]["class"] == "Vexbench");
    const json& where = r.body["match"]["where"];
    CHECK(where["path"] == json{"id"});
    CHECK(where["operator"] == "ContainsAny");
    REQUIRE(where["valueTextArray"].size() == static_cast<size_t>(expected_n));
    for (const json& uuid : where["valueTextArray"]) CHECK(uuid == Uuid(expected_id++));
    CHECK(r.body["output"] == "minimal");
    CHECK(r.body["dryRun"] == false);
    // weaviate-openapi.json: paths./batch/objects.delete.responses.200 (BatchDeleteResponse)
    const Verdict v = source->Judge(r.tag, 200, DeleteAnswer(expected_n, expected_n, 0).dump());
    CHECK(v.error == ErrorClass::kNone);
    CHECK(v.items == expected_n);
  }
  CHECK(Next(*source).method.empty());

  // results.failed > 0: `other`, the successful ones still counted.
  const Verdict partial = source->Judge(30, 200, DeleteAnswer(30, 28, 2).dump());
  CHECK(partial.error == ErrorClass::kOther);
  CHECK(partial.items == 28);
  // Objects that were not there (matches 0) are no error, and no items.
  const Verdict none = source->Judge(30, 200, DeleteAnswer(0, 0, 0).dump());
  CHECK(none.error == ErrorClass::kNone);
  CHECK(none.items == 0);
  CHECK(source->Judge(30, 200, "[]").error == ErrorClass::kParse);
  // weaviate-openapi.json: paths./batch/objects.delete.responses.{422,500}
  CHECK(source->Judge(30, 422, Error(422, "invalid where filter").body).error ==
        ErrorClass::kHttp4xx);
  CHECK(source->Judge(30, 500, Error(500, "internal").body).error == ErrorClass::kHttp5xx);
}

// --- Mixed ---

TEST_CASE("weaviate mixed: queries and re-inserts by read_ratio, one series each") {
  WeaviateDouble weaviate(Small());
  AdapterPtr adapter = SetUp(weaviate);
  PhaseSpec phase = Phase("mixed");
  phase.read_ratio = 0.5;
  phase.batch = 50;
  phase.k = 10;
  OperationSourcePtr source = Source(*adapter, phase);
  CHECK(source->ops() == std::vector<std::string>{"query", "insert"});
  std::vector<std::string> targets;
  for (int i = 0; i < 4; ++i) {
    const WireRequest r = Next(*source);
    targets.push_back(r.target);
    const bool insert = r.target == "/v1/batch/objects";
    CHECK(source->OpOf(r.tag) == (insert ? 1 : 0));
    if (insert) {
      // Every write sends the whole slice again (same UUIDs: the batch overwrites them).
      CHECK(r.body["objects"].size() == 50);
      CHECK(r.body["objects"][0]["id"] == Uuid(0));
      const Verdict v = source->Judge(r.tag, 200, BatchAnswer(0, 50).dump());
      CHECK(v.op == 1);
      CHECK(v.items == 50);
    } else {
      const auto truth = Small().truth(static_cast<int64_t>(r.tag));
      const Verdict v = source->Judge(
          r.tag, 200, GetAnswer(std::vector<int64_t>(truth.begin(), truth.begin() + 10)).dump());
      CHECK(v.op == 0);
      CHECK(v.recall_hits == 10);
    }
  }
  CHECK(targets == std::vector<std::string>{"/v1/batch/objects", "/v1/graphql", "/v1/batch/objects",
                                            "/v1/graphql"});
}

// --- Count, readiness, version, notes, teardown ---

TEST_CASE("weaviate count is a GraphQL Aggregate meta count") {
  WeaviateDouble weaviate(Small());
  AdapterPtr adapter = SetUp(weaviate);
  // weaviate-openapi.json: paths./graphql.post -> definitions.GraphQLResponse {data: {Aggregate:
  // {<class>: [{meta: {count}}]}}}
  weaviate.Script(
      "POST /v1/graphql",
      {{200, R"({"data":{"Aggregate":{"Vexbench":[{"meta":{"count":50}}]}}})"},
       {200,
        GraphQLErrors("Cannot query field \"Vexbench\" on type \"AggregateObjectsObj\"").dump()},
       {200, R"({"data":{"Aggregate":{"Vexbench":[]}}})"},
       Error(500, "shard not ready")});
  auto count = adapter->Count();
  REQUIRE(count.ok());
  CHECK(*count == 50);
  const Request sent = weaviate.requests().back();
  CHECK(sent.method == "POST");
  CHECK(sent.target == "/v1/graphql");
  CHECK(json::parse(sent.body) == json{{"query", "{Aggregate{Vexbench{meta{count}}}}"}});

  count = adapter->Count();
  CHECK_THAT(Message(count.status()), Catch::Contains("the GraphQL answer has errors"));
  CHECK_THAT(Message(count.status()), Catch::Contains("Cannot query field"));
  count = adapter->Count();
  CHECK_THAT(Message(count.status()),
             Catch::Contains("expected data.Aggregate.Vexbench[0].meta.count"));
  count = adapter->Count();
  CHECK_THAT(Message(count.status()), Catch::Contains("/v1/graphql: 500"));
  CHECK_THAT(Message(count.status()), Catch::Contains("shard not ready"));
}

TEST_CASE("weaviate wait_ready polls /v1/.well-known/ready until 200, and times out on 503") {
  WeaviateDouble weaviate(Small());
  AdapterPtr adapter = MakeAdapter(weaviate.Url());
  // weaviate-openapi.json: paths./.well-known/ready.get.responses: 503 not ready, 200 ready
  weaviate.Script("GET /v1/.well-known/ready", {{503, ""}, {503, ""}, {200, ""}});
  REQUIRE(adapter->WaitReady(5s).ok());
  CHECK(weaviate.requests().size() == 3);

  weaviate.Script("GET /v1/.well-known/ready", {{503, ""}});
  absl::Status s = adapter->WaitReady(300ms);
  CHECK(s.code() == absl::StatusCode::kDeadlineExceeded);
  CHECK_THAT(Message(s), Catch::Contains("/v1/.well-known/ready: 503"));

  // Any other answer is no Weaviate readiness probe: fail at once, quoting it.
  weaviate.Script("GET /v1/.well-known/ready", {Error(404, "no route")});
  s = adapter->WaitReady(5s);
  CHECK(s.code() == absl::StatusCode::kInternal);
  CHECK_THAT(Message(s), Catch::Contains("404"));
}

TEST_CASE("weaviate version is GET /v1/meta, notes name gRPC, teardown drops the class") {
  WeaviateDouble weaviate(Small(), "Vexbench", "k");
  AdapterPtr adapter = SetUp(weaviate, {{"api_key", "k"}});
  // weaviate-openapi.json: paths./meta.get -> definitions.Meta.version
  auto version = adapter->Version();
  REQUIRE(version.ok());
  CHECK(*version == "weaviate 1.40.0");
  CHECK_THAT(Joined(adapter->Notes()),
             Catch::Contains("driven over REST and GraphQL; Weaviate's own clients prefer its "
                             "gRPC API, which may be faster"));
  // weaviate-openapi.json: paths./schema/{className}.delete
  REQUIRE(adapter->Teardown().ok());
  const Request last = weaviate.requests().back();
  CHECK(last.method + " " + last.target == "DELETE /v1/schema/Vexbench");
  // weaviate-openapi.json: paths./schema/{className}.delete.responses.400 (ErrorResponse)
  weaviate.Script("DELETE /v1/schema/Vexbench", {Error(400, "could not delete class")});
  CHECK_THAT(Message(adapter->Teardown()), Catch::Contains("could not delete class"));
  // weaviate-openapi.json: paths./meta.get.responses.401 (no body)
  AdapterPtr stranger = MakeAdapter(weaviate.Url());
  CHECK_FALSE(stranger->Version().ok());
}

// --- Options and phases ---

TEST_CASE("weaviate options are validated with the field's path") {
  const auto refused = [](json options, const std::string& expected,
                          const std::string& url = "http://127.0.0.1:8080") {
    auto adapter = CreateAdapter(Target(url, std::move(options)));
    REQUIRE_FALSE(adapter.ok());
    CHECK_THAT(Message(adapter.status()), Catch::Contains(expected));
  };
  refused(
      {{"class", "vexbench"}},
      "targets[0].class: 'vexbench' is not a weaviate class name; expected an upper-case letter");
  refused({{"class", "Vex-bench"}}, "targets[0].class: 'Vex-bench' is not a weaviate class name");
  refused({{"class", ""}}, "targets[0].class: '' is not a weaviate class name");
  refused({{"class", 7}}, "targets[0].class: 7 is not a string");
  refused({{"distance", "manhattan"}},
          "targets[0].distance: 'manhattan' is not a distance vexbench can judge recall for; "
          "expected cosine, l2-squared or dot");
  refused({{"distance", "l2"}}, "targets[0].distance: 'l2'");
  refused({{"ef", 0}}, "targets[0].ef: 0 is not an ef; expected -1 (dynamic) or 1..1048576");
  refused({{"ef", -2}}, "targets[0].ef: -2 is out of range");
  refused({{"ef_construction", 0}}, "targets[0].ef_construction: 0 is out of range");
  refused({{"max_connections", "many"}}, "targets[0].max_connections: \"many\" is not an integer");
  refused({{"api_key", "k"}, {"headers", {{"authorization", "Bearer other"}}}},
          "targets[0].api_key: given together with headers.authorization");
  refused({{"api_key", "k\r\nX: y"}}, "targets[0].api_key: contains a line break");
  refused({{"headers", {{"X-A", "b\nc"}}}}, "targets[0].headers.X-A: contains a line break");
  refused({{"collection", "x"}}, "targets[0].collection: unknown key for this target kind");
  refused({{"max_body_bytes", -1}}, "targets[0].max_body_bytes: -1 is out of range");
  refused(json::object(), "targets[0].url: 'http://127.0.0.1:8080/?a=b' has a query",
          "http://127.0.0.1:8080/?a=b");

  auto ok = CreateAdapter(Target("http://127.0.0.1:8080",
                                 {{"class", "My_Class2"}, {"ef", -1}, {"max_body_bytes", 1024}}));
  REQUIRE(ok.ok());
  CHECK((*ok)->kind() == "weaviate");
  CHECK((*ok)->connection().max_body_bytes == 1024);
  CHECK((*ok)->connection().url.port == 8080);
}

TEST_CASE("weaviate phases: insert, query, delete, mixed, and ef belongs to the class") {
  AdapterPtr adapter = MakeAdapter("http://127.0.0.1:8080");
  for (const char* op : {"insert", "query", "delete", "mixed"}) {
    CHECK(adapter->ValidatePhase(Phase(op)).ok());
  }
  CHECK(Message(adapter->ValidatePhase(Phase("files"))) ==
        "phases[0].op: 'files' is not an operation of weaviate targets; expected insert, query, "
        "delete or mixed");
  // GraphQL nearVector takes no ef (the spec's GraphQLQuery is a free string, and Weaviate's
  // nearVector arguments have none): ef is vectorIndexConfig.ef of the class.
  PhaseSpec query = Phase("query");
  query.ef = 128;
  CHECK(Message(adapter->ValidatePhase(query)) ==
        "phases[0].ef: weaviate sets ef on the class (vectorIndexConfig.ef), not per query; "
        "expected the target's ef option instead");
  CHECK(adapter->CreateSource(Phase("query"), {}, &Small()).status().code() ==
        absl::StatusCode::kFailedPrecondition);
}

// --- End to end ---

const json& Result(const json& report, const std::string& phase, const std::string& op) {
  for (const json& r : report["results"]) {
    if (r["phase"] == phase && r["op"] == op) return r;
  }
  FAIL("no result for " << phase << "/" << op << " in " << report.dump());
  static json none;
  return none;
}

TEST_CASE("weaviate end to end: vexbench run loads, counts, searches with recall 1, deletes") {
  WeaviateDouble weaviate(Small(), "VexbenchE2e", "e2e-key");
  const std::string dir = MakeTempDir("weaviate-e2e");
  WriteFile(dir + "/job.yaml",
            "name: weaviate-e2e\n"
            "dataset: {kind: synthetic, count: 50, dim: 8, queries: 5, seed: 1}\n"
            "targets:\n"
            "  - {name: wv, kind: weaviate, url: \"" +
                weaviate.Url() +
                "\","
                " class: VexbenchE2e, api_key: e2e-key, ef: 64}\n"
                "phases:\n"
                "  - {name: load, op: insert, batch: 10, concurrency: 2}\n"
                "  - {name: search, op: query, k: 10, concurrency: 2, requests: 40}\n"
                "  - {name: remove, op: delete, batch: 20}\n");
  RunResult r = RunVexbench({"run", dir + "/job.yaml", "--out", dir + "/out"}, dir + "/v",
                            std::chrono::seconds(120));
  INFO("exit code " << r.exit_code << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
  // 127: the binary could not be executed (e.g. relinked by a build at that moment).
  REQUIRE(r.exit_code == 0);
  const json report = json::parse(ReadFile(dir + "/out/report.json"));
  INFO(report.dump(1));
  CHECK(report["job"]["state"] == "succeeded");

  const json& load = Result(report, "load", "insert");
  CHECK(load["errors"] == 0);
  CHECK(load["items"] == 50);
  CHECK(load["requests"] == 6);  // 2 workers x (10 + 10 + 5)
  CHECK(load["count_after"] == 50);

  const json& search = Result(report, "search", "query");
  CHECK(search["requests"] == 40);
  CHECK(search["errors"] == 0);
  CHECK(search["recall_at_k"]["k"] == 10);
  CHECK(search["recall_at_k"]["mean"].get<double>() == 1.0);

  const json& remove = Result(report, "remove", "delete");
  CHECK(remove["errors"] == 0);
  CHECK(remove["items"] == 50);
  CHECK(weaviate.stored() == 0);

  const json& target = report["environment"]["targets"][0];
  CHECK(target["version"] == "weaviate 1.40.0");
  CHECK_THAT(target["notes"].dump(), Catch::Contains("gRPC"));
  CHECK(report.dump().find("e2e-key") == std::string::npos);  // the api_key is redacted
  // Setup dropped and created the class; teardown dropped it.
  const auto requests = weaviate.requests();
  REQUIRE(requests.size() >= 3);
  CHECK(requests[0].method + " " + requests[0].target == "DELETE /v1/schema/VexbenchE2e");
  CHECK(requests[1].method + " " + requests[1].target == "POST /v1/schema");
  CHECK(requests.back().method + " " + requests.back().target == "DELETE /v1/schema/VexbenchE2e");
}

}  // namespace
}  // namespace vexbench::testing
