// Contract tests of kind vexfs: VexFS cannot run here, so a ContractServer plays its unified
// HTTP server with exactly the routes, requests and answers of
// ../shared/reference/vexfs-contract.md (cited as "contract, <section>" below).
#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <mutex>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "adapters/registry.h"
#include "adapters/vexfs_adapter.h"
#include "common/dataset.h"
#include "nlohmann/json.hpp"
#include "tests/integration/support/contract_server.h"
#include "tests/integration/support/subprocess.h"

namespace vexbench {
namespace {

using nlohmann::json;
using testing::ContractServer;
using Request = ContractServer::Request;
using Answer = ContractServer::Answer;

// Contract, "HTTP": the key a development build accepts, and a login token (already with
// "Bearer ").
constexpr const char* kDevKey = "vexfs-default-key";
constexpr const char* kToken = "Bearer vexfs-test-token";

std::shared_ptr<const Dataset> SmallDataset() {
  static const auto dataset = [] {
    DatasetSpec spec{.kind = "synthetic", .count = 50, .dim = 8, .queries = 5, .seed = 1};
    auto d = LoadDataset(spec, "");
    REQUIRE(d.ok());
    return *d;
  }();
  return dataset;
}

TargetSpec Target(json options, const std::string& url) {
  return TargetSpec{.name = "vexfs",
                    .kind = "vexfs",
                    .url = url,
                    .options = std::move(options),
                    .path = "targets[0]"};
}

PhaseSpec Phase(const std::string& op, std::optional<int> batch = {}, std::optional<int> k = {}) {
  PhaseSpec p;
  p.name = op;
  p.op = op;
  p.batch = batch;
  p.k = k;
  p.path = "phases[0]";
  return p;
}

// Parses the complete bytes a source produced: request line, headers (names lower-cased), body.
Request ParseRequest(std::string_view bytes) {
  const size_t head_end = bytes.find("\r\n\r\n");
  REQUIRE(head_end != std::string_view::npos);
  const std::string head(bytes.substr(0, head_end));
  Request r;
  size_t line_end = head.find("\r\n");
  const std::string request_line = head.substr(0, line_end);
  const size_t sp1 = request_line.find(' '), sp2 = request_line.rfind(' ');
  r.method = request_line.substr(0, sp1);
  r.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  CHECK(request_line.substr(sp2 + 1) == "HTTP/1.1");
  while (line_end != std::string::npos) {
    const size_t next = head.find("\r\n", line_end + 2);
    const std::string line = head.substr(
        line_end + 2, next == std::string::npos ? std::string::npos : next - line_end - 2);
    const size_t colon = line.find(':');
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    line_end = next;
  }
  r.body = std::string(bytes.substr(head_end + 4));
  CHECK(r.headers["content-length"] == std::to_string(r.body.size()));
  return r;
}

// Canned query answers, shaped as the contract's tables give them.
std::string ChromaQueryAnswer(const std::vector<int64_t>& ids) {  // "Chroma-like dialect"
  json j = {{"ids", json::array()},
            {"distances", json::array()},
            {"metadatas", json::array()},
            {"documents", json::array()}};
  json row_ids = json::array(), row_distances = json::array(), row_meta = json::array(),
       row_docs = json::array();
  for (int64_t id : ids) {
    row_ids.push_back(std::to_string(id));
    row_distances.push_back(0.1);
    row_meta.push_back(json::object());
    row_docs.push_back("");
  }
  j["ids"].push_back(row_ids);
  j["distances"].push_back(row_distances);
  j["metadatas"].push_back(row_meta);
  j["documents"].push_back(row_docs);
  return j.dump();
}
std::string QdrantSearchAnswer(const std::vector<int64_t>& ids) {  // "Qdrant-like dialect"
  json result = json::array();
  for (int64_t id : ids) {
    result.push_back({{"id", id},
                      {"version", 0},
                      {"score", 0.9},
                      {"payload", json::object()},
                      {"vector", nullptr}});
  }
  return json{{"result", result}, {"status", "ok"}, {"time", 0.001}}.dump();
}
std::string NativeSearchAnswer(const std::vector<int64_t>& ids) {  // "Native dialect"
  json results = json::array();
  for (int64_t id : ids) {
    results.push_back({{"id", std::to_string(id)},
                       {"score", 0.9},
                       {"distance", 0.1},
                       {"metadata", json::object()}});
  }
  return json{{"results", results}, {"query_time_ms", 1.0}, {"total_results", ids.size()}}.dump();
}
std::string SearchAnswer(const std::string& dialect, const std::vector<int64_t>& ids) {
  if (dialect == "qdrant") return QdrantSearchAnswer(ids);
  if (dialect == "native") return NativeSearchAnswer(ids);
  return ChromaQueryAnswer(ids);
}

std::vector<int64_t> TrueNeighbours(const Dataset& d, int64_t q, int k) {
  const auto truth = d.truth(q);
  return std::vector<int64_t>(truth.begin(), truth.begin() + k);
}

// VexFS's unified server as the contract describes it: all three dialects, auth (anonymous
// callers read; writes need X-API-Key or the login token), 413 over 2 MiB, errors as 500 with
// an empty body. Queries are answered with the dataset's true neighbours.
class VexfsEmulator {
 public:
  explicit VexfsEmulator(std::shared_ptr<const Dataset> dataset) : dataset_(std::move(dataset)) {}

  Answer Handle(const Request& r) {
    if (r.body.size() > (2u << 20)) return {.status = 413, .body = ""};
    if (r.method == "POST" && r.target == "/auth/login") {  // contract, "HTTP": auth
      const json j = json::parse(r.body, nullptr, false);
      if (!j.is_object() || j.value("api_key", "") != kDevKey) return kError;
      return {.body = json{{"token", kToken}}.dump()};
    }
    const auto key = r.headers.find("x-api-key");
    const auto auth = r.headers.find("authorization");
    const bool writer = (key != r.headers.end() && key->second == kDevKey) ||
                        (auth != r.headers.end() && auth->second == kToken);
    if (r.method != "GET" && !writer) return {.status = 403, .body = ""};
    std::lock_guard lock(mu_);
    if (r.target.starts_with("/api/v1/")) return Chroma(r);
    if (r.target.starts_with("/collections/")) return Qdrant(r);
    if (r.target.starts_with("/vexfs/v1/")) return Native(r);
    return kError;
  }

 private:
  static inline const Answer kError{.status = 500, .body = ""};  // contract, "HTTP": errors

  // Contract, "Chroma-like dialect".
  Answer Chroma(const Request& r) {
    const std::string& path = r.target;
    if (r.method == "GET" && path == "/api/v1/version") {
      return {.body = R"({"version":"1.0.0","name":"VexFS Unified Server","status":"healthy"})"};
    }
    if (r.method == "GET" && path == "/api/v1/collections") {
      return {.body = json{{"collections", json(collections_)}}.dump()};
    }
    if (r.method == "POST" && path == "/api/v1/collections") {
      const json j = json::parse(r.body, nullptr, false);
      if (!j.is_object() || !j.contains("name") || !j.contains("metadata")) return kError;
      collections_.insert(j["name"].get<std::string>());
      return {.body = json{{"name", j["name"]},
                           {"id", "7f6e2b1a-0000-4000-8000-000000000001"},
                           {"metadata", j["metadata"]}}
                          .dump()};
    }
    const std::string rest = path.substr(std::string("/api/v1/collections/").size());
    if (r.method == "DELETE" && rest.find('/') == std::string::npos) {
      collections_.erase(rest);
      return {.body = ""};
    }
    if (r.method == "POST" && rest.ends_with("/add")) return {.body = R"({"success":true})"};
    if (r.method == "POST" && rest.ends_with("/query")) {
      const json j = json::parse(r.body);
      return {.body = ChromaQueryAnswer(Neighbours(j["query_embeddings"][0], j["n_results"]))};
    }
    return kError;  // e.g. /vectors: routed, answers 500
  }

  // Contract, "Qdrant-like dialect".
  Answer Qdrant(const Request& r) {
    const std::string rest = r.target.substr(std::string("/collections/").size());
    if (r.method == "PUT" && rest.find('/') == std::string::npos) {
      collections_.insert(rest);
      return {.body = R"({"result":true,"status":"ok","time":0.001})"};
    }
    if (r.method == "GET" && rest.find('/') == std::string::npos) {
      if (collections_.count(rest) == 0) return kError;
      return {.body = R"({"result":{"status":"green"},"status":"ok","time":0.001})"};
    }
    if (r.method == "PUT" && rest.ends_with("/points")) {
      return {.body = R"({"result":{},"status":"ok"})"};
    }
    if (r.method == "POST" && rest.ends_with("/points/search")) {
      const json j = json::parse(r.body);
      return {.body = QdrantSearchAnswer(Neighbours(j["vector"], j["limit"]))};
    }
    return kError;
  }

  // Contract, "Native dialect" (it gives no answer bodies for create and documents).
  Answer Native(const Request& r) {
    const std::string& path = r.target;
    if (r.method == "GET" && path == "/vexfs/v1/health") return {.body = "{}"};
    if (r.method == "POST" && path == "/vexfs/v1/collections") {
      collections_.insert(json::parse(r.body)["name"].get<std::string>());
      return {.body = "{}"};
    }
    if (r.method == "POST" && path.ends_with("/documents")) return {.body = "{}"};
    if (r.method == "POST" && path.ends_with("/search")) {
      const json j = json::parse(r.body);
      return {.body = NativeSearchAnswer(Neighbours(j["vector"], j["limit"]))};
    }
    return kError;
  }

  // The true neighbours of the dataset query equal to `vector`.
  std::vector<int64_t> Neighbours(const json& vector, int k) const {
    const std::vector<float> v = vector.get<std::vector<float>>();
    for (int64_t q = 0; q < dataset_->query_count(); ++q) {
      const auto query = dataset_->query(q);
      if (std::equal(query.begin(), query.end(), v.begin(), v.end())) {
        return TrueNeighbours(*dataset_, q, k);
      }
    }
    return {};
  }

  const std::shared_ptr<const Dataset> dataset_;
  std::mutex mu_;
  std::set<std::string> collections_;
};

// An emulated VexFS with its adapter, set up (create) on the small dataset.
struct Fixture {
  explicit Fixture(json options, std::shared_ptr<const Dataset> d = SmallDataset())
      : dataset(std::move(d)),
        emulator(dataset),
        server([this](const Request& r) { return emulator.Handle(r); }) {
    auto a = CreateAdapter(Target(std::move(options), server.Url()));
    REQUIRE(a.ok());
    adapter = *std::move(a);
  }
  absl::Status SetUp() { return adapter->Setup(dataset.get(), true, std::chrono::seconds(5)); }
  OperationSourcePtr Source(const PhaseSpec& phase) {
    REQUIRE(adapter->ValidatePhase(phase).ok());
    auto s = adapter->CreateSource(phase, SourceSlice{}, dataset.get());
    REQUIRE(s.ok());
    return *std::move(s);
  }

  std::shared_ptr<const Dataset> dataset;
  VexfsEmulator emulator;
  ContractServer server;
  AdapterPtr adapter;
};

// What one dialect's requests look like (contract, the dialect's table).
struct DialectCase {
  std::string dialect;
  std::string create_method, create_path;
  json create_body;
  std::string insert_method, insert_path, query_path;
};

std::vector<DialectCase> DialectCases() {
  return {
      {"chroma",
       "POST",
       "/api/v1/collections",
       {{"name", "vexbench"}, {"metadata", {{"distance", "cosine"}}}},
       "POST",
       "/api/v1/collections/vexbench/add",
       "/api/v1/collections/vexbench/query"},
      {"qdrant",
       "PUT",
       "/collections/vexbench",
       {{"vectors", {{"size", 8}, {"distance", "Cosine"}}}},
       "PUT",
       "/collections/vexbench/points",
       "/collections/vexbench/points/search"},
      {"native",
       "POST",
       "/vexfs/v1/collections",
       {{"name", "vexbench"}, {"metadata", {{"dimension", 8}, {"distance_function", "Cosine"}}}},
       "POST",
       "/vexfs/v1/collections/vexbench/documents",
       "/vexfs/v1/collections/vexbench/search"},
  };
}

// The ids and vectors of an insert body, whatever the dialect.
struct Inserted {
  std::vector<int64_t> ids;
  std::vector<std::vector<float>> vectors;
  std::vector<json> metadata;  // each item's metadata (chroma, native) or payload (qdrant)
};
Inserted ReadInsertBody(const std::string& dialect, const json& body) {
  Inserted out;
  if (dialect ==
      "chroma") {  // {"ids":["1"],"embeddings":[[...]],"documents":[..],"metadatas":[..]}
    for (const json& id : body.at("ids")) out.ids.push_back(std::stoll(id.get<std::string>()));
    for (const json& v : body.at("embeddings")) out.vectors.push_back(v.get<std::vector<float>>());
    CHECK(body.at("documents").size() == out.ids.size());
    CHECK(body.at("metadatas").size() == out.ids.size());
    for (const json& m : body.at("metadatas")) out.metadata.push_back(m);
  } else if (dialect == "qdrant") {  // {"points":[{"id":1,"vector":[...],"payload":{...}}]}
    for (const json& p : body.at("points")) {
      out.ids.push_back(p.at("id").get<int64_t>());  // integer ids
      out.vectors.push_back(p.at("vector").get<std::vector<float>>());
      CHECK(p.at("payload").is_object());
      out.metadata.push_back(p.at("payload"));
    }
  } else {  // {"documents":[{"id":"1","embedding":[...],"metadata":{},"content":"..."}]}
    for (const json& d : body.at("documents")) {
      out.ids.push_back(std::stoll(d.at("id").get<std::string>()));
      out.vectors.push_back(d.at("embedding").get<std::vector<float>>());
      CHECK(d.at("metadata").is_object());
      out.metadata.push_back(d.at("metadata"));
      CHECK(d.at("content").is_string());
    }
  }
  return out;
}

std::string Header(const Request& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? "" : it->second;
}

TEST_CASE("vexfs: each dialect sends the contract's setup, insert and query requests") {
  for (const DialectCase& c : DialectCases()) {
    SECTION(c.dialect) {
      Fixture f({{"dialect", c.dialect}, {"api_key", kDevKey}});
      REQUIRE(f.SetUp().ok());
      // Contract, "HTTP": writes carry X-API-Key; the create request is the table's.
      const auto setup = f.server.requests();
      REQUIRE(setup.size() == 1);
      CHECK(setup[0].method == c.create_method);
      CHECK(setup[0].target == c.create_path);
      CHECK(json::parse(setup[0].body) == c.create_body);
      CHECK(Header(setup[0], "x-api-key") == kDevKey);

      // Insert: batches of 20 over the 50 vectors, as the dialect's table shapes them.
      auto insert = f.Source(Phase("insert", 20));
      CHECK(insert->ops() == std::vector<std::string>{"insert"});
      std::string scratch;
      uint64_t tag = 0;
      std::vector<int64_t> ids;
      int64_t items = 0;
      for (std::string_view bytes; !(bytes = insert->NextRequest(scratch, tag)).empty();) {
        const Request r = ParseRequest(bytes);
        CHECK(r.method == c.insert_method);
        CHECK(r.target == c.insert_path);
        CHECK(Header(r, "x-api-key") == kDevKey);
        CHECK(Header(r, "content-type") == "application/json");
        const Inserted got = ReadInsertBody(c.dialect, json::parse(r.body));
        for (size_t i = 0; i < got.ids.size(); ++i) {
          const auto want = f.dataset->vector(got.ids[i]);
          CHECK(std::equal(want.begin(), want.end(), got.vectors[i].begin(), got.vectors[i].end()));
        }
        ids.insert(ids.end(), got.ids.begin(), got.ids.end());
        const Answer a = f.emulator.Handle(r);
        REQUIRE(a.status == 200);
        const Verdict v = insert->Judge(tag, a.status, a.body);
        CHECK(v.error == ErrorClass::kNone);
        CHECK(v.items == static_cast<int64_t>(got.ids.size()));
        items += v.items;
      }
      CHECK(ids.size() == 50);
      for (int64_t i = 0; i < 50; ++i) CHECK(ids[static_cast<size_t>(i)] == i);
      CHECK(items == 50);

      // Query: the dialect's search body; the emulator answers the true neighbours.
      auto query = f.Source(Phase("query", {}, 5));
      CHECK(query->needs_body());
      for (int n = 0; n < 5; ++n) {
        const Request r = ParseRequest(query->NextRequest(scratch, tag));
        CHECK(r.method == "POST");
        CHECK(r.target == c.query_path);
        const json body = json::parse(r.body);
        if (c.dialect == "chroma") {
          CHECK(body == json{{"query_embeddings", {json::parse(f.dataset->query_json(n))}},
                             {"n_results", 5}});
        } else {
          CHECK(body == json{{"vector", json::parse(f.dataset->query_json(n))}, {"limit", 5}});
        }
        const Answer a = f.emulator.Handle(r);
        const Verdict v = query->Judge(tag, a.status, a.body);
        CHECK(v.error == ErrorClass::kNone);
        CHECK(v.recall_k == 5);
        CHECK(v.recall_hits == 5);  // recall 1.0
      }
    }
  }
}

TEST_CASE("vexfs: recall comes from the answer's ids in every dialect") {
  const auto d = SmallDataset();
  for (const DialectCase& c : DialectCases()) {
    SECTION(c.dialect) {
      Fixture f({{"dialect", c.dialect}, {"api_key", kDevKey}});
      REQUIRE(f.SetUp().ok());
      auto query = f.Source(Phase("query", {}, 10));
      std::string scratch;
      uint64_t tag = 0;
      REQUIRE(!query->NextRequest(scratch, tag).empty());
      const int64_t q = static_cast<int64_t>(tag);
      std::vector<int64_t> ids = TrueNeighbours(*d, q, 10);
      Verdict v = query->Judge(tag, 200, SearchAnswer(c.dialect, ids));
      CHECK(v.recall_hits == 10);
      CHECK(v.recall_k == 10);
      // Half right: the second half replaced by ids that are not neighbours.
      std::set<int64_t> truth(ids.begin(), ids.end());
      int64_t other = 0;
      for (size_t i = 5; i < ids.size(); ++i) {
        while (truth.count(other) != 0) ++other;
        ids[i] = other++;
      }
      v = query->Judge(tag, 200, SearchAnswer(c.dialect, ids));
      CHECK(v.recall_hits == 5);  // recall 0.5
      // An answer of another shape is a parse error, not a recall of 0.
      v = query->Judge(tag, 200, R"({"unexpected":true})");
      CHECK(v.error == ErrorClass::kParse);
    }
  }
}

TEST_CASE("vexfs: 413, 403 and 500-with-empty-body answers are HTTP errors of their class") {
  Fixture f(json{{"api_key", kDevKey}});
  REQUIRE(f.SetUp().ok());
  auto insert = f.Source(Phase("insert", 10));
  auto query = f.Source(Phase("query", {}, 5));
  std::string scratch;
  uint64_t tag = 0;
  REQUIRE(!insert->NextRequest(scratch, tag).empty());
  // Contract, "HTTP": bodies over 2 MiB answer 413; anonymous writes 403; errors are 500 with an
  // empty body.
  CHECK(insert->Judge(tag, 413, "").error == ErrorClass::kHttp4xx);
  CHECK(insert->Judge(tag, 403, "").error == ErrorClass::kHttp4xx);
  CHECK(insert->Judge(tag, 500, "").error == ErrorClass::kHttp5xx);
  CHECK(insert->Judge(tag, 500, "").items == 0);
  REQUIRE(!query->NextRequest(scratch, tag).empty());
  const Verdict v = query->Judge(tag, 500, "");
  CHECK(v.error == ErrorClass::kHttp5xx);
  CHECK(v.recall_hits == -1);
}

TEST_CASE("vexfs: an anonymous create is refused with 403 and Setup says to set api_key") {
  for (const DialectCase& c : DialectCases()) {
    SECTION(c.dialect) {
      Fixture f(json{{"dialect", c.dialect}});
      const absl::Status s = f.SetUp();
      REQUIRE(!s.ok());
      CHECK_THAT(std::string(s.message()), Catch::Contains("403") &&
                                               Catch::Contains("set the target's api_key") &&
                                               Catch::Contains(kDevKey));
      // Contract, "HTTP": anonymous callers are readers: no key header was sent.
      REQUIRE(f.server.requests().size() == 1);
      CHECK(Header(f.server.requests()[0], "x-api-key").empty());
    }
  }
}

TEST_CASE("vexfs: a setup answered 500 with an empty body names VexFS's error convention") {
  ContractServer server([](const Request&) { return Answer{.status = 500, .body = ""}; });
  auto adapter = CreateAdapter(Target({{"api_key", kDevKey}}, server.Url()));
  REQUIRE(adapter.ok());
  const absl::Status s = (*adapter)->Setup(SmallDataset().get(), true, std::chrono::seconds(1));
  REQUIRE(!s.ok());
  CHECK_THAT(std::string(s.message()), Catch::Contains("POST http://127.0.0.1:") &&
                                           Catch::Contains("/api/v1/collections") &&
                                           Catch::Contains("500") && Catch::Contains("empty body"));
}

TEST_CASE("vexfs: login exchanges api_key for a token sent as Authorization") {
  for (const DialectCase& c : DialectCases()) {
    SECTION(c.dialect) {
      Fixture f({{"dialect", c.dialect}, {"api_key", kDevKey}, {"login", true}});
      REQUIRE(f.SetUp().ok());
      const auto requests = f.server.requests();
      REQUIRE(requests.size() == 2);
      // Contract, "HTTP": POST /auth/login {"api_key": "..."} answers the token.
      CHECK(requests[0].method == "POST");
      CHECK(requests[0].target == "/auth/login");
      CHECK(json::parse(requests[0].body) == json{{"api_key", kDevKey}});
      CHECK(Header(requests[0], "authorization").empty());
      // The token is sent back verbatim (it already starts with "Bearer "), without X-API-Key.
      CHECK(requests[1].target == c.create_path);
      CHECK(Header(requests[1], "authorization") == kToken);
      CHECK(Header(requests[1], "x-api-key").empty());
      auto insert = f.Source(Phase("insert", 50));
      std::string scratch;
      uint64_t tag = 0;
      const Request r = ParseRequest(insert->NextRequest(scratch, tag));
      CHECK(Header(r, "authorization") == kToken);
      CHECK(Header(r, "x-api-key").empty());
      CHECK(f.emulator.Handle(r).status == 200);
      const auto notes = f.adapter->Notes();
      CHECK(std::count(notes.begin(), notes.end(),
                       "auth: login token (POST /auth/login) sent as Authorization") == 1);
    }
  }
}

TEST_CASE("vexfs: a refused login fails Setup before anything is created") {
  Fixture f({{"api_key", "wrong-key"}, {"login", true}});
  const absl::Status s = f.SetUp();
  REQUIRE(!s.ok());
  CHECK_THAT(std::string(s.message()), Catch::StartsWith("login: POST http://127.0.0.1:") &&
                                           Catch::Contains("/auth/login: 500"));
  CHECK(f.server.requests().size() == 1);
}

TEST_CASE("vexfs: no dialect has a count route - Count is Unimplemented and asks nothing") {
  for (const DialectCase& c : DialectCases()) {
    SECTION(c.dialect) {
      Fixture f({{"dialect", c.dialect}, {"api_key", kDevKey}});
      REQUIRE(f.SetUp().ok());
      const size_t before = f.server.requests().size();
      const auto count = f.adapter->Count();
      REQUIRE(!count.ok());
      CHECK(count.status().code() == absl::StatusCode::kUnimplemented);
      CHECK(count.status().message() == "VexFS's " + c.dialect + " dialect has no count route");
      CHECK(f.server.requests().size() == before);
    }
  }
}

TEST_CASE("vexfs: every dialect sends the dataset's payload as each item's metadata") {
  DatasetSpec spec{.kind = "synthetic", .count = 50, .dim = 8, .queries = 5, .seed = 1};
  spec.payload_field = "category";
  spec.payload_values = 10;
  auto dataset = LoadDataset(spec, "");
  REQUIRE(dataset.ok());
  for (const DialectCase& c : DialectCases()) {
    SECTION(c.dialect) {
      Fixture f({{"dialect", c.dialect}, {"api_key", kDevKey}}, *dataset);
      REQUIRE(f.SetUp().ok());
      auto insert = f.Source(Phase("insert", 50));
      std::string scratch;
      uint64_t tag = 0;
      // Contract: chroma metadatas[], qdrant points[].payload, native documents[].metadata.
      const Request r = ParseRequest(insert->NextRequest(scratch, tag));
      const Inserted got = ReadInsertBody(c.dialect, json::parse(r.body));
      REQUIRE(got.metadata.size() == 50);
      for (size_t i = 0; i < 50; ++i) {
        CHECK(got.metadata[i] == json{{"category", PayloadValue(got.ids[i], 10)}});
      }
    }
  }
}

TEST_CASE("vexfs: only the qdrant dialect filters, by equality, in its own filter shape") {
  DatasetSpec spec{.kind = "synthetic", .count = 50, .dim = 8, .queries = 5, .seed = 1};
  spec.payload_field = "category";
  spec.payload_values = 10;
  auto eq = ParsePayloadFilter(json{{"field", "category"}, {"eq", 3}}, "phases[1].filter");
  auto in = ParsePayloadFilter(json{{"field", "category"}, {"in", {1, 2}}}, "phases[1].filter");
  REQUIRE(eq.ok());
  REQUIRE(in.ok());
  const std::vector<PayloadFilter> filters = {*eq};
  auto dataset = LoadDataset(spec, "", 0, filters);
  REQUIRE(dataset.ok());
  PhaseSpec query = Phase("query", {}, 5);
  query.path = "phases[1]";
  query.filter = *eq;
  for (const std::string dialect : {"chroma", "native"}) {
    auto adapter = CreateAdapter(Target({{"dialect", dialect}}, "http://127.0.0.1:7680"));
    REQUIRE(adapter.ok());
    const absl::Status s = (*adapter)->ValidatePhase(query);
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(s.message()),
               Catch::StartsWith("phases[1].filter: VexFS's " + dialect +
                                 " dialect cannot filter a query"));
  }
  Fixture f({{"dialect", "qdrant"}, {"api_key", kDevKey}}, *dataset);
  REQUIRE(f.SetUp().ok());
  PhaseSpec query_in = query;
  query_in.filter = *in;
  CHECK_THAT(std::string(f.adapter->ValidatePhase(query_in).message()),
             Catch::StartsWith("phases[1].filter: VexFS's qdrant dialect filters by equality "
                               "only"));
  // Contract, qdrant dialect: /points/search's filter is {"must":[{"key":"k","value":v}]}.
  auto source = f.Source(query);
  std::string scratch;
  uint64_t tag = 0;
  const Request r = ParseRequest(source->NextRequest(scratch, tag));
  const auto q = static_cast<int64_t>(tag);
  CHECK(json::parse(r.body) ==
        json{{"vector", json::parse((*dataset)->query_json(q))},
             {"limit", 5},
             {"filter", {{"must", {{{"key", "category"}, {"value", 3}}}}}}});
  // Applied after the top-k cut (contract): fewer than k matches answer; recall counts that.
  std::vector<int64_t> kept;
  for (int64_t id : TrueNeighbours(**dataset, q, 5)) {
    if (eq->Matches(PayloadValue(id, 10))) kept.push_back(id);
  }
  const auto truth = (*dataset)->truth(q, *eq);
  Verdict v = source->Judge(tag, 200, SearchAnswer("qdrant", kept));
  CHECK(v.error == ErrorClass::kNone);
  CHECK(v.recall_k == static_cast<int>(std::min<size_t>(5, truth.size())));
  const std::set<int64_t> best(truth.begin(), truth.begin() + v.recall_k);
  int hits = 0;
  for (int64_t id : kept) hits += static_cast<int>(best.count(id));
  CHECK(v.recall_hits == hits);
  int64_t excluded = 0;
  while (eq->Matches(PayloadValue(excluded, 10))) ++excluded;
  v = source->Judge(tag, 200, SearchAnswer("qdrant", {excluded}));
  CHECK(v.error == ErrorClass::kFilterViolation);
  std::string notes;
  for (const std::string& note : f.adapter->Notes()) notes += note + "\n";
  CHECK_THAT(notes, Catch::Contains("applies a query's filter after the top-k cut"));
}

TEST_CASE("vexfs: delete phases are refused naming the phase and the dialect - so is ef") {
  for (const DialectCase& c : DialectCases()) {
    SECTION(c.dialect) {
      auto adapter = CreateAdapter(Target({{"dialect", c.dialect}}, "http://127.0.0.1:7680"));
      REQUIRE(adapter.ok());
      PhaseSpec del = Phase("delete", 100);
      del.path = "phases[3]";
      const absl::Status s = (*adapter)->ValidatePhase(del);
      CHECK(s.code() == absl::StatusCode::kInvalidArgument);
      CHECK(s.message() == "phases[3].op: 'delete' is not possible with VexFS's " + c.dialect +
                               " dialect: it has no route to delete vectors; expected insert, "
                               "query or mixed");
      PhaseSpec query = Phase("query", {}, 10);
      query.ef = 64;
      CHECK_THAT(std::string((*adapter)->ValidatePhase(query).message()),
                 Catch::StartsWith("phases[0].ef: VexFS searches by exact brute force"));
      CHECK((*adapter)->ValidatePhase(Phase("mixed")).ok());
      CHECK_THAT(std::string((*adapter)->ValidatePhase(Phase("files")).message()),
                 Catch::Contains("'files' is not an operation of vexfs targets"));
    }
  }
}

// Inserts all of `dataset` with `batch` through the `dialect` and checks the 2 MiB split:
// every body under the limit, cut only where the next vector would cross it (within one item:
// its vector plus at most 80 bytes of id, tag and separators), every id exactly once.
void CheckSplit(const std::string& dialect, const std::shared_ptr<const Dataset>& dataset,
                int batch) {
  constexpr size_t kLimit = size_t{2} << 20;
  size_t longest = 0;
  for (int64_t i = 0; i < dataset->count(); ++i) {
    longest = std::max(longest, dataset->vector_json(i).size());
  }
  Fixture f(json{{"dialect", dialect}, {"api_key", kDevKey}}, dataset);
  REQUIRE(f.SetUp().ok());
  // Notes give the effective batch: min(batch, what always fits with this dataset).
  int64_t cap = 0;
  for (const std::string& note : f.adapter->Notes()) {
    const size_t at = note.find("effective batch: min(batch, ");
    if (at != std::string::npos) cap = std::stoll(note.substr(at + 28));
  }
  INFO("effective batch cap " << cap);
  CHECK(cap > 0);
  CHECK(cap < batch);
  auto insert = f.Source(Phase("insert", batch));
  std::string scratch;
  uint64_t tag = 0;
  std::vector<int64_t> ids;
  std::vector<size_t> sizes;
  std::vector<size_t> counts;
  int64_t items = 0;
  for (std::string_view bytes; !(bytes = insert->NextRequest(scratch, tag)).empty();) {
    const Request r = ParseRequest(bytes);
    CHECK(r.body.size() < kLimit);
    sizes.push_back(r.body.size());
    const Inserted got = ReadInsertBody(dialect, json::parse(r.body));
    counts.push_back(got.ids.size());
    ids.insert(ids.end(), got.ids.begin(), got.ids.end());
    const Answer a = f.emulator.Handle(r);
    CHECK(a.status == 200);  // the emulator answers 413 over 2 MiB
    const Verdict v = insert->Judge(tag, a.status, a.body);
    CHECK(v.items == static_cast<int64_t>(got.ids.size()));
    items += v.items;
  }
  INFO("body sizes " << json(sizes).dump() << ", vectors per body " << json(counts).dump());
  CHECK(sizes.size() > 1);
  std::vector<int64_t> every_id(static_cast<size_t>(dataset->count()));
  std::iota(every_id.begin(), every_id.end(), 0);
  CHECK(ids == every_id);  // each id exactly once, in order
  CHECK(items == dataset->count());
  for (size_t i = 0; i + 1 < sizes.size(); ++i) {
    CHECK(sizes[i] + longest + 80 >= kLimit);
    CHECK(static_cast<int64_t>(counts[i]) >= cap);
  }
}

TEST_CASE("vexfs: batches are cut so that every body stays under 2 MiB") {
  // Contract, "HTTP": request bodies over 2 MiB answer 413.
  for (const DialectCase& c : DialectCases()) {
    SECTION(c.dialect + ": dim 1024, batch 1000") {
      // ~11 KB per vector: batch 1000 (~11 MB) has to be cut into ~6 bodies.
      DatasetSpec spec{.kind = "synthetic", .count = 1000, .dim = 1024, .queries = 5, .seed = 1};
      auto d = LoadDataset(spec, "");
      REQUIRE(d.ok());
      CheckSplit(c.dialect, *d, 1000);
    }
    SECTION(c.dialect + ": dim 8, batch 30000") {
      // ~130 bytes per item and ~16,000 items per body: a sizing error of one byte per item
      // would cross the limit or leave a gap of several vectors.
      DatasetSpec spec{.kind = "synthetic", .count = 30000, .dim = 8, .queries = 5, .seed = 1};
      auto d = LoadDataset(spec, "");
      REQUIRE(d.ok());
      CheckSplit(c.dialect, *d, 30000);
    }
  }
}

TEST_CASE("vexfs: version, notes and teardown per dialect") {
  for (const DialectCase& c : DialectCases()) {
    SECTION(c.dialect) {
      Fixture f({{"dialect", c.dialect}, {"api_key", kDevKey}});
      REQUIRE(f.SetUp().ok());
      // Contract, "Chroma-like dialect": GET /api/v1/version (the same server for all dialects).
      auto version = f.adapter->Version();
      REQUIRE(version.ok());
      CHECK(*version == "VexFS Unified Server 1.0.0");
      CHECK(f.server.requests().back().target == "/api/v1/version");
      const auto notes = f.adapter->Notes();
      CHECK(notes[0].starts_with("dialect " + c.dialect + " ("));
      CHECK(notes[1] == "auth: X-API-Key");
      // Contract, "HTTP": one global lock; exact (brute-force) cosine scan.
      CHECK(std::count_if(notes.begin(), notes.end(), [](const std::string& n) {
              return n.starts_with(
                  "exact brute-force cosine search behind one global lock (per the VexFS "
                  "sources)");
            }) == 1);
      const size_t before = f.server.requests().size();
      const absl::Status s = f.adapter->Teardown();
      if (c.dialect == "chroma") {
        // Contract, "Chroma-like dialect": DELETE /api/v1/collections/{name} -> 200, empty body.
        CHECK(s.ok());
        CHECK(f.server.requests().back().method == "DELETE");
        CHECK(f.server.requests().back().target == "/api/v1/collections/vexbench");
      } else {
        // The qdrant and native tables have no route to drop a collection.
        CHECK(s.code() == absl::StatusCode::kUnimplemented);
        CHECK(f.server.requests().size() == before);
        CHECK(std::any_of(notes.begin(), notes.end(), [](const std::string& n) {
          return n.find("cannot drop a collection") != std::string::npos;
        }));
      }
    }
  }
}

TEST_CASE("vexfs: other shards attach to the collection shard 0 creates") {
  Fixture creator(json{{"api_key", kDevKey}});
  // Chroma-like: GET /api/v1/collections lists names; wait until ours is there.
  auto attacher = CreateAdapter(Target({{"api_key", kDevKey}}, creator.server.Url()));
  REQUIRE(attacher.ok());
  auto too_early = (*attacher)->Setup(creator.dataset.get(), false, std::chrono::milliseconds(300));
  CHECK(too_early.code() == absl::StatusCode::kDeadlineExceeded);
  CHECK_THAT(std::string(too_early.message()), Catch::Contains("'vexbench' did not appear"));
  REQUIRE(creator.SetUp().ok());
  CHECK((*attacher)->Setup(creator.dataset.get(), false, std::chrono::seconds(2)).ok());
  CHECK(creator.server.requests().back().target == "/api/v1/collections");
  CHECK(creator.server.requests().back().method == "GET");
}

TEST_CASE("vexfs: mixed phases query and re-add the slice's vectors") {
  Fixture f(json{{"api_key", kDevKey}});
  REQUIRE(f.SetUp().ok());
  PhaseSpec mixed = Phase("mixed", 25, 5);
  mixed.read_ratio = 0.5;
  auto source = f.Source(mixed);
  CHECK(source->ops() == std::vector<std::string>{"query", "insert"});
  std::string scratch;
  uint64_t tag = 0;
  int queries = 0, inserts = 0;
  for (int n = 0; n < 8; ++n) {
    const Request r = ParseRequest(source->NextRequest(scratch, tag));
    const Answer a = f.emulator.Handle(r);
    const Verdict v = source->Judge(tag, a.status, a.body);
    CHECK(v.error == ErrorClass::kNone);
    if (r.target.ends_with("/query")) {
      ++queries;
      CHECK(source->OpOf(tag) == 0);
      CHECK(v.recall_hits == 5);
    } else {
      ++inserts;
      CHECK(r.target == "/api/v1/collections/vexbench/add");
      CHECK(source->OpOf(tag) == 1);
      CHECK(v.items == 25);
    }
  }
  CHECK(queries == 4);
  CHECK(inserts == 4);  // 50 vectors in batches of 25, wrapped around once
}

TEST_CASE("vexfs: options are validated with messages that name the field") {
  const auto error = [](json options) {
    auto a = CreateAdapter(Target(std::move(options), "http://127.0.0.1:7680"));
    REQUIRE(!a.ok());
    return std::string(a.status().message());
  };
  CHECK(error({{"dialect", "pinecone"}}) ==
        "targets[0].dialect: 'pinecone' is not a VexFS dialect; expected chroma, qdrant or native");
  CHECK(error({{"login", true}}) ==
        "targets[0].login: true needs api_key (POST /auth/login exchanges it for a token); set "
        "api_key (a development build accepts vexfs-default-key)");
  CHECK_THAT(error({{"login", "yes"}}), Catch::StartsWith("targets[0].login: \"yes\" is not a "
                                                          "boolean"));
  CHECK_THAT(error({{"api_key", 42}}), Catch::StartsWith("targets[0].api_key: 42 is not a string"));
  CHECK_THAT(error({{"collection", "a/b"}}),
             Catch::StartsWith("targets[0].collection: 'a/b' cannot be a VexFS collection name"));
  CHECK_THAT(error({{"api_key", "k\r\nX-Evil: 1"}}),
             Catch::StartsWith("targets[0].api_key: contains a line break"));
  CHECK_THAT(error({{"space", "l2"}}),
             Catch::StartsWith("targets[0].space: unknown key for this target kind"));
  auto ok = CreateAdapter(Target({{"dialect", "native"},
                                  {"api_key", kDevKey},
                                  {"collection", "bench-1.v2_x"},
                                  {"max_body_bytes", 1024}},
                                 "http://127.0.0.1:7680"));
  REQUIRE(ok.ok());
  CHECK((*ok)->kind() == "vexfs");
  CHECK((*ok)->connection().max_body_bytes == 1024);
}

// End to end: the real binary against an emulated chroma dialect. The chroma dialect has no
// count route, so the load's count_after is null with a note, and the job still succeeds.
TEST_CASE("vexfs: vexbench run against the chroma dialect loads, searches and notes no count") {
  const auto d = SmallDataset();
  VexfsEmulator emulator(d);
  ContractServer server([&](const Request& r) { return emulator.Handle(r); });
  const std::string dir = testing::MakeTempDir("vexfs-e2e");
  testing::WriteFile(dir + "/job.yaml",
                     "name: vexfs-e2e\n"
                     "dataset: {kind: synthetic, count: 50, dim: 8, queries: 5, seed: 1}\n"
                     "targets:\n"
                     "  - {name: vexfs, kind: vexfs, url: \"" +
                         server.Url() +
                         "\","
                         " dialect: chroma, api_key: " +
                         kDevKey +
                         "}\n"
                         "phases:\n"
                         "  - {name: load, op: insert, batch: 20}\n"
                         "  - {name: search, op: query, k: 5, requests: 20}\n"
                         "thresholds: [\"search.recall@5 > 0.99\"]\n");
  const testing::RunResult r = testing::RunVexbench(
      {"run", dir + "/job.yaml", "--out", dir + "/out"}, dir + "/v", std::chrono::seconds(120));
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  const json report = json::parse(testing::ReadFile(dir + "/out/report.json"));
  INFO(report.dump(1));
  CHECK(r.exit_code == 0);
  CHECK(report["job"]["state"] == "succeeded");
  const auto result = [&](const std::string& phase) {
    for (const json& x : report["results"]) {
      if (x["phase"] == phase) return x;
    }
    return json();
  };
  const json load = result("load");
  CHECK(load["items"] == 50);
  CHECK(load["errors"] == 0);
  CHECK(load["requests"] == 3);  // 50 in batches of 20
  CHECK(load.contains("count_after"));
  CHECK(load["count_after"].is_null());
  CHECK_THAT(load["count_note"].get<std::string>(),
             Catch::Contains("chroma dialect has no count route"));
  const json search = result("search");
  CHECK(search["requests"] == 20);
  CHECK(search["errors"] == 0);
  CHECK(search["recall_at_k"]["mean"].get<double>() == 1.0);
  const json& target = report["environment"]["targets"][0];
  CHECK(target["version"] == "VexFS Unified Server 1.0.0");
  CHECK_THAT(target["notes"].dump(), Catch::Contains("exact brute-force cosine search"));
  CHECK(report.dump().find(kDevKey) == std::string::npos);  // the key is not in the report
  // What the server saw: the contract's create, adds with the key, queries, and the drop.
  const auto requests = server.requests();
  const auto sent = [&](const std::string& method, const std::string& path) {
    return std::count_if(requests.begin(), requests.end(),
                         [&](const Request& q) { return q.method == method && q.target == path; });
  };
  CHECK(sent("POST", "/api/v1/collections") == 1);
  CHECK(sent("POST", "/api/v1/collections/vexbench/add") == 3);
  CHECK(sent("POST", "/api/v1/collections/vexbench/query") == 20);
  CHECK(sent("DELETE", "/api/v1/collections/vexbench") == 1);
  for (const Request& q : requests) {
    if (q.method != "GET") CHECK(Header(q, "x-api-key") == kDevKey);
  }
}

}  // namespace
}  // namespace vexbench
