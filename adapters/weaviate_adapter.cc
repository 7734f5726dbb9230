// Kind `weaviate`: REST for the schema, object batches, readiness and metadata; GraphQL for
// search and count (reference/weaviate-openapi.json, basePath /v1).
//
// The spec fixes the envelopes (Class, batch bodies, BatchDelete, GraphQLQuery/GraphQLResponse,
// ErrorResponse) but leaves some contents open: vectorIndexConfig is a free object, a GraphQL
// query a free string, WhereFilter.path a free list. Those follow Weaviate's documented forms:
// HNSW keys distance/ef/efConstruction/maxConnections, `Get`/`Aggregate` queries with
// nearVector, and the "id" path for filtering on object UUIDs.
#include "adapters/weaviate_adapter.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <thread>
#include <tuple>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/control_client.h"
#include "adapters/option_reader.h"
#include "adapters/vector_requests.h"
#include "nlohmann/json.hpp"
#include "simdjson.h"

namespace vexbench {
namespace {

constexpr std::string_view kUuidPrefix = "00000000-0000-0000-0000-";
// paths./batch/objects.delete: at most QUERY_MAXIMUM_RESULTS (default 10,000) per request.
constexpr int kMaxDeleteBatch = 10000;
constexpr auto kPollInterval = std::chrono::milliseconds(200);

struct WeaviateOptions {
  std::string class_name = "Vexbench";
  std::string distance;  // "" = from the dataset's metric
  std::optional<int64_t> ef, ef_construction, max_connections;
  std::map<std::string, std::string> headers;  // api_key is added as Authorization
  std::optional<std::string> api_key;
  std::optional<int64_t> max_body_bytes;
};

std::string_view DistanceOf(Metric m) {
  switch (m) {
    case Metric::kCosine:
      return "cosine";
    case Metric::kL2:
      return "l2-squared";
    case Metric::kDot:
      return "dot";
  }
  return "cosine";
}

bool IsNull(simdjson::ondemand::value& value) {
  bool null = false;
  return !value.is_null().get(null) && null;
}

simdjson::simdjson_result<simdjson::ondemand::document> Iterate(simdjson::ondemand::parser& parser,
                                                                std::string& padded,
                                                                std::string_view body) {
  padded.assign(body);
  padded.append(simdjson::SIMDJSON_PADDING, '\0');
  return parser.iterate(padded.data(), body.size(), padded.size());
}

// Counts the objects of a batch answer (paths./batch/objects.post 200: an array of
// ObjectsGetResponse) that were stored and those whose `result` reports errors or FAILED.
// False: the body is not such an array.
bool ParseBatchAnswer(simdjson::ondemand::parser& parser, std::string& padded,
                      std::string_view body, int64_t& stored, int64_t& failed) {
  stored = failed = 0;
  auto doc = Iterate(parser, padded, body);
  simdjson::ondemand::array objects;
  if (doc.get_array().get(objects)) return false;
  for (auto element : objects) {
    simdjson::ondemand::object object;
    if (element.get_object().get(object)) return false;
    bool ok = true;
    simdjson::ondemand::value result;
    const auto found = object.find_field_unordered("result").get(result);
    if (found == simdjson::SUCCESS && !IsNull(result)) {
      simdjson::ondemand::object fields;
      if (result.get_object().get(fields)) return false;
      for (auto field : fields) {
        std::string_view key, status;
        simdjson::ondemand::value value;
        if (field.unescaped_key().get(key) || field.value().get(value)) return false;
        if (key == "errors" && !IsNull(value)) ok = false;
        if (key == "status" && !value.get_string().get(status) && status == "FAILED") ok = false;
      }
    } else if (found != simdjson::SUCCESS && found != simdjson::NO_SUCH_FIELD) {
      return false;
    }
    ++(ok ? stored : failed);
  }
  return true;
}

// Reads results.successful and results.failed of a BatchDeleteResponse
// (paths./batch/objects.delete 200). False: not such an object.
bool ParseDeleteAnswer(simdjson::ondemand::parser& parser, std::string& padded,
                       std::string_view body, int64_t& successful, int64_t& failed) {
  successful = -1;
  failed = 0;
  auto doc = Iterate(parser, padded, body);
  simdjson::ondemand::object results;
  if (doc.find_field_unordered("results").get_object().get(results)) return false;
  for (auto field : results) {
    std::string_view key;
    double number = 0;  // the spec types the counters as `number` (int64 format)
    if (field.unescaped_key().get(key)) return false;
    if (key != "successful" && key != "failed") continue;
    if (field.value().get_double().get(number)) return false;
    (key == "successful" ? successful : failed) = static_cast<int64_t>(number);
  }
  return successful >= 0;
}

enum class QueryAnswer { kIds, kGraphQLErrors, kMalformed };

enum class GetIds { kIds, kNull, kMalformed };

// Reads data.Get.<class>[]._additional.id into dataset ids; kNull when the class's list is null
// (as in answers with errors).
GetIds ParseGetIds(simdjson::ondemand::value& data, std::string_view class_name,
                   std::vector<int64_t>& ids) {
  simdjson::ondemand::value list;
  if (data.find_field_unordered("Get").find_field_unordered(class_name).get(list)) {
    return GetIds::kMalformed;
  }
  if (IsNull(list)) return GetIds::kNull;
  simdjson::ondemand::array hits;
  if (list.get_array().get(hits)) return GetIds::kMalformed;
  for (auto hit : hits) {
    std::string_view uuid;
    if (hit.find_field_unordered("_additional").find_field_unordered("id").get_string().get(uuid)) {
      return GetIds::kMalformed;
    }
    const std::optional<int64_t> id = WeaviateUuidToId(uuid);
    if (!id) return GetIds::kMalformed;
    ids.push_back(*id);
  }
  return GetIds::kIds;
}

// A GraphQLResponse (paths./graphql.post 200): kGraphQLErrors when its `errors` list is not
// empty (whatever `data` holds); otherwise the ids of data.Get.<class>.
QueryAnswer ParseQueryAnswer(simdjson::ondemand::parser& parser, std::string& padded,
                             std::string_view body, std::string_view class_name,
                             std::vector<int64_t>& ids) {
  ids.clear();
  auto doc = Iterate(parser, padded, body);
  simdjson::ondemand::object top;
  if (doc.get_object().get(top)) return QueryAnswer::kMalformed;
  bool errors = false, data_ok = false;
  for (auto field : top) {
    std::string_view key;
    simdjson::ondemand::value value;
    if (field.unescaped_key().get(key) || field.value().get(value)) break;
    if (key == "errors" && !IsNull(value)) {
      simdjson::ondemand::array list;
      size_t n = 0;
      errors = value.get_array().get(list) || list.count_elements().get(n) || n > 0;
    } else if (key == "data" && !IsNull(value)) {
      const GetIds got = ParseGetIds(value, class_name, ids);
      if (got == GetIds::kMalformed) break;  // the document may be unusable after that
      data_ok = got == GetIds::kIds;
    }
  }
  if (errors) return QueryAnswer::kGraphQLErrors;
  return data_ok ? QueryAnswer::kIds : QueryAnswer::kMalformed;
}

// One condition of a GraphQL `where` on the integer property `field`, as text inside the JSON
// string of a GraphQLQuery (hence the escaped quotes): {path:[\"f\"],operator:Equal,valueInt:3}.
std::string WhereCondition(const std::string& field, absl::string_view op, int64_t value) {
  return absl::StrCat(R"({path:[\")", field, R"(\"],operator:)", op, ",valueInt:", value, "}");
}

// The `where` argument of a Get for `filter` (weaviate-openapi.json: definitions.WhereFilter:
// path, operator Equal/GreaterThan/GreaterThanEqual/LessThan/LessThanEqual/Or/And, valueInt,
// operands). `in` is an Or of Equal conditions, several range bounds an And.
std::string WeaviateWhere(const PayloadFilter& filter) {
  std::vector<std::string> operands;
  absl::string_view combine = "And";
  switch (filter.kind()) {
    case PayloadFilter::Kind::kEq:
      return WhereCondition(filter.field, "Equal", *filter.eq);
    case PayloadFilter::Kind::kIn:
      for (int64_t v : filter.in) operands.push_back(WhereCondition(filter.field, "Equal", v));
      combine = "Or";
      break;
    case PayloadFilter::Kind::kRange:
      if (filter.gt) operands.push_back(WhereCondition(filter.field, "GreaterThan", *filter.gt));
      if (filter.gte) {
        operands.push_back(WhereCondition(filter.field, "GreaterThanEqual", *filter.gte));
      }
      if (filter.lt) operands.push_back(WhereCondition(filter.field, "LessThan", *filter.lt));
      if (filter.lte) {
        operands.push_back(WhereCondition(filter.field, "LessThanEqual", *filter.lte));
      }
      break;
  }
  if (operands.size() == 1) return operands[0];
  return absl::StrCat("{operator:", combine, ",operands:[", absl::StrJoin(operands, ","), "]}");
}

// Paths and header lines every request of one target carries.
struct Wire {
  std::string prefix;   // the url's path without a trailing '/' ("" for the root)
  std::string host;     // "Host: ...\r\n"
  std::string headers;  // "Name: value\r\n" each
  std::string class_name;
};

class WeaviateSource final : public OperationSource {
 public:
  WeaviateSource(const PhaseSpec& phase, const SourceSlice& slice, const Dataset& dataset,
                 const Wire& wire)
      : dataset_(dataset),
        wire_(wire),
        batch_path_(wire.prefix + "/v1/batch/objects"),
        graphql_path_(wire.prefix + "/v1/graphql"),
        batch_(std::max(1, std::min(phase.batch.value_or(100),
                                    phase.op == "delete" ? kMaxDeleteBatch : 1 << 30))),
        k_(phase.k.value_or(10)),
        filter_(dataset_, phase.filter),
        mix_(phase) {
    std::tie(cursor_, end_) = SliceRange(dataset.count(), slice);
    begin_ = cursor_;
    ops_ = VectorOps(phase);
    query_cursor_ = slice.thread_index + slice.thread_count * slice.shard_index;
    // GraphQLQuery {query}: the vector's JSON text is also a GraphQL list of floats.
    query_head_ = R"({"query":"{Get{)" + wire.class_name + "(nearVector:{vector:";
    query_tail_ = "},";
    if (filter_) query_tail_ += "where:" + WeaviateWhere(*filter_) + ",";
    query_tail_ += "limit:" + std::to_string(k_) + R"(){_additional{id distance}}}}"})";
  }

  // OperationSource
  std::vector<std::string> ops() const override { return ops_; }
  // Every answer is read: batch answers report failures per object, GraphQL in `errors`.
  bool needs_body() const override { return true; }
  int OpOf(uint64_t tag) const override { return (tag & kInsertBit) && ops_.size() > 1 ? 1 : 0; }

  std::string_view NextRequest(std::string& scratch, uint64_t& tag) override {
    scratch.clear();
    const std::string& op = ops_[0];
    if (op == "query" && (ops_.size() == 1 || mix_.NextIsQuery())) return Query(scratch, tag);
    if (op == "delete") return Delete(scratch, tag);
    return Insert(scratch, tag, /*wrap=*/ops_.size() > 1);
  }

  Verdict Judge(uint64_t tag, int status, std::string_view body) override {
    Verdict v{.error = ClassifyStatus(status), .op = OpOf(tag)};
    if (v.error != ErrorClass::kNone) return v;
    if (tag & kInsertBit) {
      JudgeInsert(static_cast<int64_t>(tag & ~kInsertBit), body, v);
    } else if (ops_[0] == "delete") {
      JudgeDelete(body, v);
    } else {
      JudgeQuery(static_cast<int64_t>(tag), body, v);
    }
    return v;
  }

 private:
  static constexpr uint64_t kInsertBit = uint64_t{1} << 62;

  // A 200 whose objects carry errors is an application failure, neither an HTTP nor a parse
  // error: `other`, with the stored objects still counted in `items`.
  void JudgeInsert(int64_t sent, std::string_view body, Verdict& v) {
    int64_t stored = 0, failed = 0;
    if (!ParseBatchAnswer(parser_, padded_, body, stored, failed) || stored + failed != sent) {
      v.error = ErrorClass::kParse;
      return;
    }
    v.items = stored;
    if (failed > 0) v.error = ErrorClass::kOther;
  }

  void JudgeDelete(std::string_view body, Verdict& v) {
    int64_t successful = 0, failed = 0;
    if (!ParseDeleteAnswer(parser_, padded_, body, successful, failed)) {
      v.error = ErrorClass::kParse;
      return;
    }
    v.items = successful;
    if (failed > 0) v.error = ErrorClass::kOther;
  }

  void JudgeQuery(int64_t q, std::string_view body, Verdict& v) {
    switch (ParseQueryAnswer(parser_, padded_, body, wire_.class_name, ids_)) {
      case QueryAnswer::kIds:
        JudgeRecall(dataset_, q, ids_, k_, v, filter_);
        return;
      case QueryAnswer::kGraphQLErrors:
        v.error = ErrorClass::kOther;
        return;
      case QueryAnswer::kMalformed:
        v.error = ErrorClass::kParse;
        return;
    }
  }

  std::string_view Query(std::string& scratch, uint64_t& tag) {
    const int64_t q = query_cursor_++ % dataset_.query_count();
    body_.assign(query_head_).append(dataset_.query_json(q)).append(query_tail_);
    AppendJsonRequest(scratch, "POST", graphql_path_, wire_.host, wire_.headers, body_);
    tag = static_cast<uint64_t>(q);
    return scratch;
  }

  // Mixed phases write by sending the slice's objects again (same UUIDs: the batch overwrites
  // them, paths./batch/objects.post), round and round.
  std::string_view Insert(std::string& scratch, uint64_t& tag, bool wrap) {
    if (cursor_ >= end_) {
      if (!wrap || begin_ >= end_) return {};
      cursor_ = begin_;
    }
    const int64_t n = std::min<int64_t>(batch_, end_ - cursor_);
    body_.assign(R"({"objects":[)");
    for (int64_t i = cursor_; i < cursor_ + n; ++i) {
      if (i != cursor_) body_.push_back(',');
      body_.append(R"({"class":")").append(wire_.class_name).append(R"(","id":")");
      AppendWeaviateUuid(body_, i);
      body_.append(R"(","vector":)").append(dataset_.vector_json(i));
      body_.append(R"(,"properties":)");
      AppendPayload(body_, dataset_, i);
      body_.push_back('}');
    }
    body_.append("]}");
    AppendJsonRequest(scratch, "POST", batch_path_, wire_.host, wire_.headers, body_);
    cursor_ += n;
    tag = static_cast<uint64_t>(n) | kInsertBit;
    return scratch;
  }

  // BatchDelete {match: {class, where}}: one filter for the whole batch, on the object UUIDs.
  std::string_view Delete(std::string& scratch, uint64_t& tag) {
    if (cursor_ >= end_) return {};
    const int64_t n = std::min<int64_t>(batch_, end_ - cursor_);
    body_.assign(R"({"match":{"class":")").append(wire_.class_name);
    body_.append(R"(","where":{"path":["id"],"operator":"ContainsAny","valueTextArray":[)");
    for (int64_t i = cursor_; i < cursor_ + n; ++i) {
      if (i != cursor_) body_.push_back(',');
      body_.push_back('"');
      AppendWeaviateUuid(body_, i);
      body_.push_back('"');
    }
    body_.append(R"(]}},"output":"minimal","dryRun":false})");
    AppendJsonRequest(scratch, "DELETE", batch_path_, wire_.host, wire_.headers, body_);
    cursor_ += n;
    tag = static_cast<uint64_t>(n);
    return scratch;
  }

  const Dataset& dataset_;
  const Wire wire_;
  const std::string batch_path_;
  const std::string graphql_path_;
  const int batch_;
  const int k_;
  const PhaseFilter filter_;  // the phase's, its ground truth resolved once
  ReadWriteMix mix_;
  std::vector<std::string> ops_;
  std::string query_head_, query_tail_;
  int64_t begin_ = 0, cursor_ = 0, end_ = 0;
  int64_t query_cursor_ = 0;
  std::string body_;
  std::string padded_;
  std::vector<int64_t> ids_;
  simdjson::ondemand::parser parser_;
};

class WeaviateAdapter final : public Adapter {
 public:
  WeaviateAdapter(ConnectionSettings connection, WeaviateOptions options, std::string prefix)
      : connection_(std::move(connection)),
        options_(std::move(options)),
        control_(Url{.scheme = connection_.url.scheme,
                     .host = connection_.url.host,
                     .port = connection_.url.port,
                     .target = prefix},
                 options_.headers),
        class_path_("/v1/schema/" + options_.class_name) {
    wire_.prefix = std::move(prefix);
    wire_.host = HostHeader(connection_.url);
    for (const auto& [k, v] : options_.headers) {
      wire_.headers.append(k).append(": ").append(v).append("\r\n");
    }
    wire_.class_name = options_.class_name;
  }

  // Adapter
  std::string_view kind() const override { return "weaviate"; }
  const ConnectionSettings& connection() const override { return connection_; }

  absl::Status ValidatePhase(const PhaseSpec& phase) const override {
    if (phase.op != "insert" && phase.op != "query" && phase.op != "delete" &&
        phase.op != "mixed") {
      return absl::InvalidArgumentError(phase.path + ".op: '" + phase.op +
                                        "' is not an operation of weaviate targets; expected "
                                        "insert, query, delete or mixed");
    }
    if (phase.ef) {
      return absl::InvalidArgumentError(
          phase.path +
          ".ef: weaviate sets ef on the class (vectorIndexConfig.ef), not per "
          "query; expected the target's ef option instead");
    }
    return absl::OkStatus();
  }

  absl::Status Setup(const Dataset* dataset, bool create, Duration timeout) override {
    if (dataset == nullptr) {
      return absl::InvalidArgumentError("a weaviate target needs the job's dataset");
    }
    dataset_distance_ = std::string(DistanceOf(dataset->metric()));
    payload_field_ = dataset->payload_field();
    distance_ = options_.distance.empty() ? dataset_distance_ : options_.distance;
    absl::Status s = create ? CreateClass() : AttachClass(timeout);
    set_up_ = s.ok();
    return s;
  }

  absl::StatusOr<int64_t> Count() override {
    const std::string path = "/v1/graphql";
    const nlohmann::json query = {
        {"query", "{Aggregate{" + options_.class_name + "{meta{count}}}}"}};
    auto r = control_.Request("POST", path, query.dump());
    if (!r.ok()) return r.status();
    if (r->status != 200) return Failure("POST", path, *r);
    const auto j = nlohmann::json::parse(r->body, nullptr, false);
    const nlohmann::json::json_pointer count("/data/Aggregate/" + options_.class_name +
                                             "/0/meta/count");
    if (j.is_object() && j.contains("errors") && !j["errors"].empty()) {
      return absl::InternalError(DescribeAnswer("POST", control_.base(), path, *r) +
                                 "; the GraphQL answer has errors");
    }
    if (!j.is_object() || !j.contains(count) || !j[count].is_number_integer()) {
      return absl::InternalError(DescribeAnswer("POST", control_.base(), path, *r) +
                                 "; expected data.Aggregate." + options_.class_name +
                                 "[0].meta.count");
    }
    return j[count].get<int64_t>();
  }

  // Polls GET /.well-known/ready: 200 ready, 503 (or no connection) not yet.
  absl::Status WaitReady(Duration timeout) override {
    const std::string path = "/v1/.well-known/ready";
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (true) {
      auto r = control_.Request("GET", path);
      if (r.ok() && r->status == 200) return absl::OkStatus();
      if (r.ok() && r->status != 503) return Failure("GET", path, *r);
      if (std::chrono::steady_clock::now() >= until) {
        return absl::DeadlineExceededError("weaviate did not become ready: " +
                                           (r.ok()
                                                ? DescribeAnswer("GET", control_.base(), path, *r)
                                                : std::string(r.status().message())));
      }
      std::this_thread::sleep_for(kPollInterval);
    }
  }

  absl::Status Teardown() override {
    auto r = control_.Request("DELETE", class_path_);
    if (!r.ok()) return r.status();
    return r->status < 300 ? absl::OkStatus() : Failure("DELETE", class_path_, *r);
  }

  absl::StatusOr<std::string> Version() override {
    auto r = control_.Request("GET", "/v1/meta");
    if (!r.ok()) return r.status();
    const auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (r->status != 200 || !j.is_object() || !j.contains("version") || !j["version"].is_string()) {
      return absl::InternalError("no version in " + r->body);
    }
    return "weaviate " + j["version"].get<std::string>();
  }

  std::vector<std::string> Notes() const override {
    std::vector<std::string> notes = {
        "driven over REST and GraphQL; Weaviate's own clients prefer its gRPC API, which may be "
        "faster",
        "ef, efConstruction and maxConnections are class settings (vectorIndexConfig); object "
        "UUIDs are 00000000-0000-0000-0000-<dataset id as 12 hex digits>"};
    if (!distance_.empty() && distance_ != dataset_distance_) {
      notes.push_back("distance " + distance_ + " differs from the dataset's metric (" +
                      dataset_distance_ + "); recall is judged against the dataset's truth");
    }
    return notes;
  }

  absl::StatusOr<OperationSourcePtr> CreateSource(const PhaseSpec& phase, const SourceSlice& slice,
                                                  const Dataset* dataset) const override {
    if (dataset == nullptr || !set_up_) {
      return absl::FailedPreconditionError("weaviate: Setup() must run before the phases");
    }
    return std::make_unique<WeaviateSource>(phase, slice, *dataset, wire_);
  }

 private:
  // An error quoting the answer (an ErrorResponse body, when the server sent one).
  absl::Status Failure(const std::string& method, const std::string& path,
                       const ControlResponse& r) const {
    std::string message = DescribeAnswer(method, control_.base(), path, r);
    if (r.status == 401 || r.status == 403) {
      message += "; check the target's api_key option";
      return r.status == 401 ? absl::UnauthenticatedError(message)
                             : absl::PermissionDeniedError(message);
    }
    return absl::InternalError(message);
  }

  absl::Status CreateClass() {
    (void)control_.Request("DELETE", class_path_);  // a stale class of that name, if any
    nlohmann::json index = {{"distance", distance_}};
    if (options_.ef) index["ef"] = *options_.ef;
    if (options_.ef_construction) index["efConstruction"] = *options_.ef_construction;
    if (options_.max_connections) index["maxConnections"] = *options_.max_connections;
    // The dataset's payload field, an int property (definitions.Property: name, dataType).
    nlohmann::json properties = nlohmann::json::array();
    if (!payload_field_.empty()) {
      properties.push_back({{"name", payload_field_}, {"dataType", nlohmann::json::array({"int"})}});
    }
    const nlohmann::json body = {{"class", options_.class_name},
                                 {"vectorizer", "none"},
                                 {"vectorIndexType", "hnsw"},
                                 {"vectorIndexConfig", index},
                                 {"properties", properties}};
    auto r = control_.Request("POST", "/v1/schema", body.dump());
    if (!r.ok()) return r.status();
    return r->status < 300 ? absl::OkStatus() : Failure("POST", "/v1/schema", *r);
  }

  absl::Status AttachClass(Duration timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (true) {
      auto r = control_.Request("GET", class_path_);
      if (!r.ok()) return r.status();
      if (r->status == 200) return absl::OkStatus();
      if (r->status == 401 || r->status == 403) return Failure("GET", class_path_, *r);
      if (std::chrono::steady_clock::now() >= until) {
        return absl::DeadlineExceededError("class '" + options_.class_name + "' did not appear: " +
                                           DescribeAnswer("GET", control_.base(), class_path_, *r));
      }
      std::this_thread::sleep_for(kPollInterval);
    }
  }

  const ConnectionSettings connection_;
  const WeaviateOptions options_;
  const ControlClient control_;
  const std::string class_path_;
  Wire wire_;
  std::string distance_, dataset_distance_;  // set by Setup
  std::string payload_field_;                // set by Setup: the dataset's ("" = none)
  bool set_up_ = false;
};

bool ValidClassName(const std::string& name) {
  if (name.empty() || name.size() > 255 || !std::isupper(static_cast<unsigned char>(name[0]))) {
    return false;
  }
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return c == '_' || std::isalnum(c) != 0; });
}

bool HasLineBreak(std::string_view text) { return text.find_first_of("\r\n") != text.npos; }

absl::Status ReadOptions(OptionReader& reader, WeaviateOptions& o) {
  for (auto [key, out] : {std::pair{"class", &o.class_name}, std::pair{"distance", &o.distance}}) {
    auto v = reader.String(key);
    if (!v.ok()) return v.status();
    if (v->has_value()) *out = **v;
  }
  auto api_key = reader.String("api_key");
  if (!api_key.ok()) return api_key.status();
  o.api_key = *api_key;
  for (auto [key, min, out] :
       {std::tuple{"ef", -1, &o.ef}, std::tuple{"ef_construction", 1, &o.ef_construction},
        std::tuple{"max_connections", 1, &o.max_connections}}) {
    auto v = reader.Int(key, min, 1 << 20);
    if (!v.ok()) return v.status();
    *out = *v;
  }
  auto headers = reader.StringMap("headers");
  if (!headers.ok()) return headers.status();
  if (headers->has_value()) o.headers = **headers;
  auto max_body = reader.Int("max_body_bytes", 0, int64_t{1} << 40);
  if (!max_body.ok()) return max_body.status();
  o.max_body_bytes = *max_body;
  return reader.RejectUnknown();
}

// Checks what the reader could not (names, choices, header text) and sends api_key as
// "Authorization: Bearer <api_key>".
absl::Status CheckOptions(const OptionReader& reader, WeaviateOptions& o) {
  const auto invalid = [&](std::string_view key, const std::string& message) {
    return absl::InvalidArgumentError(reader.FieldPath(key) + message);
  };
  if (!ValidClassName(o.class_name)) {
    return invalid("class", ": '" + o.class_name +
                                "' is not a weaviate class name; expected an upper-case letter, "
                                "then up to 254 letters, digits or _");
  }
  if (!o.distance.empty() && o.distance != "cosine" && o.distance != "l2-squared" &&
      o.distance != "dot") {
    return invalid("distance", ": '" + o.distance +
                                   "' is not a distance vexbench can judge recall for; expected "
                                   "cosine, l2-squared or dot");
  }
  if (o.ef && *o.ef == 0) {
    return invalid("ef", ": 0 is not an ef; expected -1 (dynamic) or 1..1048576");
  }
  for (const auto& [name, value] : o.headers) {
    if (HasLineBreak(name) || HasLineBreak(value)) {
      return invalid("headers", "." + name + ": contains a line break; expected one header line");
    }
  }
  if (!o.api_key) return absl::OkStatus();
  if (HasLineBreak(*o.api_key)) {
    return invalid("api_key", ": contains a line break; expected one token");
  }
  for (const auto& [name, value] : o.headers) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (lower == "authorization") {
      return invalid("api_key", ": given together with headers." + name + "; expected one of them");
    }
  }
  o.headers["Authorization"] = "Bearer " + *o.api_key;
  return absl::OkStatus();
}

}  // namespace

void AppendWeaviateUuid(std::string& out, int64_t id) {
  static constexpr char kHex[] = "0123456789abcdef";
  char digits[12];
  auto v = static_cast<uint64_t>(id);
  for (int i = 11; i >= 0; --i, v >>= 4) digits[i] = kHex[v & 15];
  out.append(kUuidPrefix).append(digits, sizeof digits);
}

std::optional<int64_t> WeaviateUuidToId(std::string_view uuid) {
  if (uuid.size() != kUuidPrefix.size() + 12 || !uuid.starts_with(kUuidPrefix)) return {};
  uint64_t v = 0;
  const char* first = uuid.data() + kUuidPrefix.size();
  const char* last = uuid.data() + uuid.size();
  auto [ptr, ec] = std::from_chars(first, last, v, 16);
  if (ec != std::errc() || ptr != last) return {};
  return static_cast<int64_t>(v);
}

absl::StatusOr<AdapterPtr> CreateWeaviateAdapter(const TargetSpec& target) {
  OptionReader reader(target.options, target.path);
  WeaviateOptions options;
  if (absl::Status s = ReadOptions(reader, options); !s.ok()) return s;
  if (absl::Status s = CheckOptions(reader, options); !s.ok()) return s;
  auto url = ParseUrl(target.url);
  if (!url.ok()) {
    return absl::InvalidArgumentError(target.path + ".url: " + std::string(url.status().message()));
  }
  if (url->target.find('?') != std::string::npos) {
    return absl::InvalidArgumentError(target.path + ".url: '" + target.url +
                                      "' has a query; expected the server's root URL, e.g. "
                                      "http://host:8080");
  }
  std::string prefix = url->target;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  ConnectionSettings connection{.url = *url};
  if (options.max_body_bytes) {
    connection.max_body_bytes = static_cast<uint64_t>(*options.max_body_bytes);
  }
  return std::make_unique<WeaviateAdapter>(std::move(connection), std::move(options),
                                           std::move(prefix));
}

}  // namespace vexbench
