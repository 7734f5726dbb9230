// Kind `qdrant`: Qdrant's REST API (reference/qdrant-openapi.json).
//
// Everything addresses the collection by its name under /collections/{name}, below the URL's
// path (so a Qdrant behind a path-prefixing proxy works). Writes are PUT points (upsert) and
// POST points/delete, both with ?wait=; their answers are UpdateResults, whose status
// wait_timeout counts as a timeout. Queries are POST points/query with the vector as `query`;
// ef is a search parameter of each query (params.hnsw_ef), not of the collection.
#include "adapters/qdrant_adapter.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <thread>

#include "absl/status/status.h"
#include "adapters/control_client.h"
#include "adapters/option_reader.h"
#include "adapters/vector_requests.h"
#include "nlohmann/json.hpp"
#include "simdjson.h"

namespace vexbench {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(200);

struct QdrantOptions {
  std::string collection = "vexbench";
  std::string distance;  // "" = from the dataset's metric
  std::optional<int64_t> m, ef_construct;
  bool wait = true;
  std::map<std::string, std::string> headers;  // api_key included, as "api-key"
};

// What a source needs to frame its requests; built once by the adapter.
struct RequestFrame {
  std::string collection_path;  // the URL's path + /collections/{name}
  std::string wait_query;       // "?wait=true" or "?wait=false"
  std::string host;             // HostHeader()
  std::string headers;          // "Name: value\r\n" lines
};

// The Filter of a query for `filter` (qdrant-openapi.json: components.schemas.Filter: must of
// FieldCondition {key, match: MatchValue {value} | MatchAny {any}, range: Range {gt, gte, lt,
// lte}}).
std::string QdrantFilter(const PayloadFilter& filter) {
  using json = nlohmann::json;
  json condition = {{"key", filter.field}};
  switch (filter.kind()) {
    case PayloadFilter::Kind::kEq:
      condition["match"] = {{"value", *filter.eq}};
      break;
    case PayloadFilter::Kind::kIn:
      condition["match"] = {{"any", filter.in}};
      break;
    case PayloadFilter::Kind::kRange: {
      json range = json::object();
      if (filter.gt) range["gt"] = *filter.gt;
      if (filter.gte) range["gte"] = *filter.gte;
      if (filter.lt) range["lt"] = *filter.lt;
      if (filter.lte) range["lte"] = *filter.lte;
      condition["range"] = range;
      break;
    }
  }
  return json{{"must", json::array({condition})}}.dump();
}

void Pad(std::string& padded, std::string_view body) {
  padded.assign(body);
  padded.append(simdjson::SIMDJSON_PADDING, '\0');
}

// Parses a query answer, {"result": {"points": [{"id": 3, "score": ...}, ...]}, ...}, into its
// integer ids (qdrant-openapi.json: components.schemas.QueryResponse, ScoredPoint).
bool ParseQueryIds(simdjson::ondemand::parser& parser, std::string& padded, std::string_view body,
                   std::vector<int64_t>& ids) {
  Pad(padded, body);
  ids.clear();
  auto doc = parser.iterate(padded.data(), body.size(), padded.size());
  if (doc.error()) return false;
  simdjson::ondemand::array points;
  if (doc.find_field_unordered("result").find_field_unordered("points").get_array().get(points)) {
    return false;
  }
  for (auto point : points) {
    simdjson::ondemand::object object;
    if (point.get_object().get(object)) return false;
    int64_t id = 0;
    if (object.find_field_unordered("id").get_int64().get(id)) return false;
    ids.push_back(id);
  }
  return true;
}

enum class UpdateOutcome { kApplied, kWaitTimeout, kMalformed };

// Reads result.status of a write's answer (components.schemas.UpdateResult): "completed" or
// "acknowledged" (wait=false) applied, "wait_timeout" not confirmed in time.
UpdateOutcome ParseUpdateStatus(simdjson::ondemand::parser& parser, std::string& padded,
                                std::string_view body) {
  Pad(padded, body);
  auto doc = parser.iterate(padded.data(), body.size(), padded.size());
  if (doc.error()) return UpdateOutcome::kMalformed;
  std::string_view status;
  if (doc.find_field_unordered("result").find_field_unordered("status").get_string().get(status)) {
    return UpdateOutcome::kMalformed;
  }
  if (status == "completed" || status == "acknowledged") return UpdateOutcome::kApplied;
  if (status == "wait_timeout") return UpdateOutcome::kWaitTimeout;
  return UpdateOutcome::kMalformed;
}

class QdrantSource final : public OperationSource {
 public:
  QdrantSource(const PhaseSpec& phase, const SourceSlice& slice, const Dataset& dataset,
               const RequestFrame& frame)
      : dataset_(dataset),
        frame_(frame),
        batch_(std::max(1, phase.batch.value_or(100))),
        k_(phase.k.value_or(10)),
        filter_(dataset_, phase.filter),
        mix_(phase) {
    std::tie(cursor_, end_) = SliceRange(dataset.count(), slice);
    begin_ = cursor_;
    ops_ = VectorOps(phase);
    query_cursor_ = slice.thread_index + slice.thread_count * slice.shard_index;
    // Everything after the query vector (components.schemas.QueryRequest): limit, search
    // params, the phase's filter.
    query_tail_ = R"(,"limit":)" + std::to_string(k_);
    if (phase.ef) query_tail_ += R"(,"params":{"hnsw_ef":)" + std::to_string(*phase.ef) + "}";
    if (filter_) query_tail_ += R"(,"filter":)" + QdrantFilter(*filter_);
    query_tail_ += "}";
  }

  // OperationSource
  std::vector<std::string> ops() const override { return ops_; }
  // Writes are judged too: their UpdateResult may say wait_timeout.
  bool needs_body() const override { return true; }
  int OpOf(uint64_t tag) const override { return (tag & kWriteBit) && ops_.size() > 1 ? 1 : 0; }

  std::string_view NextRequest(std::string& scratch, uint64_t& tag) override {
    scratch.clear();
    const std::string& op = ops_[0];
    if (op == "query" && (ops_.size() == 1 || mix_.NextIsQuery())) return Query(scratch, tag);
    if (op == "delete") return Delete(scratch, tag);
    return Upsert(scratch, tag, /*wrap=*/ops_.size() > 1);
  }

  Verdict Judge(uint64_t tag, int status, std::string_view body) override {
    Verdict v{.error = ClassifyStatus(status), .op = OpOf(tag)};
    if (v.error != ErrorClass::kNone) return v;
    if (tag & kWriteBit) {
      switch (ParseUpdateStatus(parser_, padded_, body)) {
        case UpdateOutcome::kApplied:
          v.items = static_cast<int64_t>(tag & ~kWriteBit);
          break;
        case UpdateOutcome::kWaitTimeout:
          v.error = ErrorClass::kTimeout;
          break;
        case UpdateOutcome::kMalformed:
          v.error = ErrorClass::kParse;
          break;
      }
      return v;
    }
    if (!ParseQueryIds(parser_, padded_, body, ids_)) {
      v.error = ErrorClass::kParse;
      return v;
    }
    JudgeRecall(dataset_, static_cast<int64_t>(tag), ids_, k_, v, filter_);
    return v;
  }

 private:
  static constexpr uint64_t kWriteBit = uint64_t{1} << 62;

  // POST points/query {"query":[...],"limit":k,"params":{"hnsw_ef":ef},"filter":{...}}
  std::string_view Query(std::string& scratch, uint64_t& tag) {
    const int64_t q = query_cursor_++ % dataset_.query_count();
    body_.assign(R"({"query":)");
    body_.append(dataset_.query_json(q));
    body_.append(query_tail_);
    AppendJsonRequest(scratch, "POST", frame_.collection_path + "/points/query", frame_.host,
                      frame_.headers, body_);
    tag = static_cast<uint64_t>(q);
    return scratch;
  }

  // PUT points?wait= {"points":[{"id":i,"vector":[...],"payload":{"<field>":v}},...]} (payload
  // {} without a dataset payload). Mixed phases write by upserting the slice's points again,
  // round and round.
  std::string_view Upsert(std::string& scratch, uint64_t& tag, bool wrap) {
    if (cursor_ >= end_) {
      if (!wrap || begin_ >= end_) return {};
      cursor_ = begin_;
    }
    const int64_t n = std::min<int64_t>(batch_, end_ - cursor_);
    body_.assign(R"({"points":[)");
    for (int64_t i = cursor_; i < cursor_ + n; ++i) {
      if (i != cursor_) body_.push_back(',');
      body_.append(R"({"id":)").append(std::to_string(i)).append(R"(,"vector":)");
      body_.append(dataset_.vector_json(i));
      body_.append(R"(,"payload":)");
      AppendPayload(body_, dataset_, i);
      body_.push_back('}');
    }
    body_.append("]}");
    AppendJsonRequest(scratch, "PUT", frame_.collection_path + "/points" + frame_.wait_query,
                      frame_.host, frame_.headers, body_);
    cursor_ += n;
    tag = static_cast<uint64_t>(n) | kWriteBit;
    return scratch;
  }

  // POST points/delete?wait= {"points":[ids]}
  std::string_view Delete(std::string& scratch, uint64_t& tag) {
    if (cursor_ >= end_) return {};
    const int64_t n = std::min<int64_t>(batch_, end_ - cursor_);
    body_.assign(R"({"points":[)");
    for (int64_t i = cursor_; i < cursor_ + n; ++i) {
      if (i != cursor_) body_.push_back(',');
      body_.append(std::to_string(i));
    }
    body_.append("]}");
    AppendJsonRequest(scratch, "POST",
                      frame_.collection_path + "/points/delete" + frame_.wait_query, frame_.host,
                      frame_.headers, body_);
    cursor_ += n;
    tag = static_cast<uint64_t>(n) | kWriteBit;
    return scratch;
  }

  const Dataset& dataset_;
  const RequestFrame frame_;
  const int batch_;
  const int k_;
  const PhaseFilter filter_;  // the phase's, its ground truth resolved once
  ReadWriteMix mix_;
  std::vector<std::string> ops_;
  std::string query_tail_;
  int64_t begin_ = 0, cursor_ = 0, end_ = 0;
  int64_t query_cursor_ = 0;
  std::string body_;
  std::string padded_;
  std::vector<int64_t> ids_;
  simdjson::ondemand::parser parser_;
};

// The `result` member of a 200 answer (every success schema of the spec wraps its payload so);
// null otherwise.
nlohmann::json ResultOf(const ControlResponse& r) {
  if (r.status / 100 != 2) return nullptr;
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("result")) return nullptr;
  return j["result"];
}

std::string_view DistanceOf(Metric m) {
  switch (m) {
    case Metric::kCosine:
      return "Cosine";
    case Metric::kL2:
      return "Euclid";
    case Metric::kDot:
      return "Dot";
  }
  return "Cosine";
}

class QdrantAdapter final : public Adapter {
 public:
  QdrantAdapter(ConnectionSettings connection, QdrantOptions options)
      : connection_(std::move(connection)),
        options_(std::move(options)),
        control_(connection_.url, options_.headers),
        collection_path_("/collections/" + options_.collection) {
    std::string base = connection_.url.target;
    if (!base.empty() && base.back() == '/') base.pop_back();
    frame_.collection_path = base + collection_path_;
    frame_.wait_query = options_.wait ? "?wait=true" : "?wait=false";
    frame_.host = HostHeader(connection_.url);
    for (const auto& [k, v] : options_.headers) frame_.headers += k + ": " + v + "\r\n";
  }

  // Adapter
  std::string_view kind() const override { return "qdrant"; }
  const ConnectionSettings& connection() const override { return connection_; }

  absl::Status ValidatePhase(const PhaseSpec& phase) const override {
    if (phase.op != "insert" && phase.op != "query" && phase.op != "delete" &&
        phase.op != "mixed") {
      return absl::InvalidArgumentError(phase.path + ".op: '" + phase.op +
                                        "' is not an operation of qdrant targets; expected "
                                        "insert, query, delete or mixed");
    }
    if (phase.ef && phase.op != "query" && phase.op != "mixed") {
      return absl::InvalidArgumentError(phase.path + ".ef: '" + phase.op +
                                        "' phases do not search; expected ef only on query or "
                                        "mixed phases (it is sent as params.hnsw_ef)");
    }
    return absl::OkStatus();
  }

  absl::Status Setup(const Dataset* dataset, bool create, Duration timeout) override {
    if (dataset == nullptr) {
      return absl::InvalidArgumentError("a qdrant target needs the job's dataset");
    }
    dataset_metric_ = dataset->metric();
    absl::Status s = create ? CreateCollection(*dataset) : AttachCollection(timeout);
    set_up_ = s.ok();
    return s;
  }

  absl::StatusOr<int64_t> Count() override {
    const std::string path = collection_path_ + "/points/count";
    auto r = control_.Request("POST", path, R"({"exact":true})");
    if (!r.ok()) return r.status();
    const nlohmann::json result = ResultOf(*r);
    if (!result.is_object() || !result.contains("count") || !result["count"].is_number_integer()) {
      return absl::InternalError(DescribeAnswer("POST", control_.base(), path, *r) +
                                 "; expected {\"result\": {\"count\": <integer>}}");
    }
    return result["count"].get<int64_t>();
  }

  absl::Status WaitReady(Duration timeout) override {
    const auto until = std::chrono::steady_clock::now() + timeout;
    int greens = 0;
    while (true) {
      auto r = control_.Request("GET", collection_path_);
      if (!r.ok()) return r.status();
      const nlohmann::json result = ResultOf(*r);
      // components.schemas.CollectionStatus: green, yellow (optimizing), grey (optimizations
      // pending, not triggered), red (failed). Only green is ready.
      const std::string status =
          result.is_object() && result.contains("status") && result["status"].is_string()
              ? result["status"].get<std::string>()
              : "";
      greens = status == "green" ? greens + 1 : 0;
      if (greens == 2) return absl::OkStatus();
      if (std::chrono::steady_clock::now() >= until) {
        const std::string answer = DescribeAnswer("GET", control_.base(), collection_path_, *r);
        return absl::DeadlineExceededError(
            "collection '" + options_.collection + "' was not green on two polls in a row within " +
            FormatDuration(timeout) + "; " +
            (status.empty() ? "last answer: " + answer
                            : "last status: " + status + " (" + answer + ")"));
      }
      std::this_thread::sleep_for(kPollInterval);
    }
  }

  absl::Status Teardown() override {
    auto r = control_.Request("DELETE", collection_path_);
    if (!r.ok()) return r.status();
    return r->status / 100 == 2 ? absl::OkStatus()
                                : absl::InternalError(DescribeAnswer("DELETE", control_.base(),
                                                                     collection_path_, *r));
  }

  absl::StatusOr<std::string> Version() override {
    auto r = control_.Request("GET", "/");
    if (!r.ok()) return r.status();
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (r->status != 200 || !j.is_object() || !j.contains("version") || !j["version"].is_string()) {
      return absl::InternalError(DescribeAnswer("GET", control_.base(), "/", *r) +
                                 "; expected {\"title\": ..., \"version\": ...}");
    }
    return "qdrant " + j["version"].get<std::string>();
  }

  std::vector<std::string> Notes() const override {
    std::vector<std::string> notes;
    notes.push_back(options_.wait
                        ? "points upserted with wait=true (deletes too): a write's latency "
                          "includes applying it"
                        : "points upserted with wait=false (deletes too): a write's latency is "
                          "its acknowledgement, not its application");
    if (!options_.distance.empty() && options_.distance != DistanceOf(dataset_metric_)) {
      notes.push_back("distance " + options_.distance + " differs from the dataset's metric " +
                      std::string(MetricName(dataset_metric_)) +
                      ": recall is measured against the dataset's ground truth");
    }
    return notes;
  }

  absl::StatusOr<OperationSourcePtr> CreateSource(const PhaseSpec& phase, const SourceSlice& slice,
                                                  const Dataset* dataset) const override {
    if (dataset == nullptr || !set_up_) {
      return absl::FailedPreconditionError("qdrant: Setup() must run before the phases");
    }
    return std::make_unique<QdrantSource>(phase, slice, *dataset, frame_);
  }

 private:
  // DELETE (a stale collection of the same name; 404 when there is none), then PUT.
  absl::Status CreateCollection(const Dataset& dataset) {
    auto dropped = control_.Request("DELETE", collection_path_);
    if (!dropped.ok()) return dropped.status();
    if (dropped->status / 100 != 2 && dropped->status != 404) {
      return absl::InternalError(
          "cannot drop the existing collection '" + options_.collection +
          "': " + DescribeAnswer("DELETE", control_.base(), collection_path_, *dropped));
    }
    nlohmann::json body = {
        {"vectors",
         {{"size", dataset.dim()},
          {"distance", options_.distance.empty() ? std::string(DistanceOf(dataset.metric()))
                                                 : options_.distance}}}};
    nlohmann::json hnsw = nlohmann::json::object();
    if (options_.m) hnsw["m"] = *options_.m;
    if (options_.ef_construct) hnsw["ef_construct"] = *options_.ef_construct;
    if (!hnsw.empty()) body["hnsw_config"] = hnsw;
    auto r = control_.Request("PUT", collection_path_, body.dump());
    if (!r.ok()) return r.status();
    if (ResultOf(*r) != true) {
      return absl::InternalError("cannot create collection '" + options_.collection + "': " +
                                 DescribeAnswer("PUT", control_.base(), collection_path_, *r));
    }
    return absl::OkStatus();
  }

  // Polls GET /collections/{name} until shard 0 has created it.
  absl::Status AttachCollection(Duration timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (true) {
      auto r = control_.Request("GET", collection_path_);
      if (!r.ok()) return r.status();
      if (ResultOf(*r).is_object()) return absl::OkStatus();
      if (std::chrono::steady_clock::now() >= until) {
        return absl::DeadlineExceededError(
            "collection '" + options_.collection + "' did not appear within " +
            FormatDuration(timeout) + ": " +
            DescribeAnswer("GET", control_.base(), collection_path_, *r));
      }
      std::this_thread::sleep_for(kPollInterval);
    }
  }

  const ConnectionSettings connection_;
  const QdrantOptions options_;
  const ControlClient control_;
  const std::string collection_path_;  // below the URL's path (ControlClient adds it)
  RequestFrame frame_;
  Metric dataset_metric_ = Metric::kCosine;
  bool set_up_ = false;
};

// --- Options ---

bool IsCollectionName(const std::string& name) {
  if (name.empty() || name.size() > 255) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

absl::Status ReadHeaders(OptionReader& reader, QdrantOptions& o) {
  auto headers = reader.StringMap("headers");
  if (!headers.ok()) return headers.status();
  if (headers->has_value()) o.headers = **headers;
  for (const auto& [name, value] : o.headers) {
    if ((name + value).find_first_of("\r\n") != std::string::npos) {
      return absl::InvalidArgumentError(reader.FieldPath("headers") + "." + name +
                                        ": contains a line break; expected one line");
    }
  }
  auto api_key = reader.String("api_key");
  if (!api_key.ok()) return api_key.status();
  if (!api_key->has_value()) return absl::OkStatus();
  for (const auto& [name, value] : o.headers) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == "api-key") {
      return absl::InvalidArgumentError(reader.FieldPath("api_key") +
                                        ": given together with headers." + name +
                                        "; expected one of them");
    }
  }
  if ((**api_key).find_first_of("\r\n") != std::string::npos) {
    return absl::InvalidArgumentError(reader.FieldPath("api_key") +
                                      ": contains a line break; expected one line");
  }
  o.headers["api-key"] = **api_key;
  return absl::OkStatus();
}

absl::Status ReadOptions(OptionReader& reader, QdrantOptions& o) {
  for (auto [key, out] :
       {std::pair{"collection", &o.collection}, std::pair{"distance", &o.distance}}) {
    auto v = reader.String(key);
    if (!v.ok()) return v.status();
    if (v->has_value()) *out = **v;
  }
  auto m = reader.Int("m", 0, 1 << 20);  // components.schemas.HnswConfigDiff: m >= 0
  if (!m.ok()) return m.status();
  o.m = *m;
  auto ef_construct = reader.Int("ef_construct", 4, 1 << 20);  // ef_construct >= 4
  if (!ef_construct.ok()) return ef_construct.status();
  o.ef_construct = *ef_construct;
  auto wait = reader.Bool("wait");
  if (!wait.ok()) return wait.status();
  o.wait = wait->value_or(true);
  if (absl::Status s = ReadHeaders(reader, o); !s.ok()) return s;
  if (!o.distance.empty() && o.distance != "Cosine" && o.distance != "Euclid" &&
      o.distance != "Dot") {
    return absl::InvalidArgumentError(reader.FieldPath("distance") + ": '" + o.distance +
                                      "' is not a qdrant distance with ground truth here; "
                                      "expected Cosine, Euclid or Dot");
  }
  if (!IsCollectionName(o.collection)) {
    return absl::InvalidArgumentError(reader.FieldPath("collection") + ": '" + o.collection +
                                      "' is not a collection name; expected 1..255 characters "
                                      "of A-Z a-z 0-9 _ - .");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<AdapterPtr> CreateQdrantAdapter(const TargetSpec& target) {
  QdrantOptions o;
  OptionReader reader(target.options, target.path);
  if (target.options.contains("filter")) {
    return absl::InvalidArgumentError(
        reader.FieldPath("filter") +
        ": filters belong to query phases now; expected phases[].filter {field, eq | in | "
        "gt/gte/lt/lte} on the dataset's payload field (sent as a Qdrant Filter)");
  }
  if (absl::Status s = ReadOptions(reader, o); !s.ok()) return s;
  auto max_body = reader.Int("max_body_bytes", 0, int64_t{1} << 40);
  if (!max_body.ok()) return max_body.status();
  if (absl::Status s = reader.RejectUnknown(); !s.ok()) return s;
  auto url = ParseUrl(target.url);
  if (!url.ok()) {
    return absl::InvalidArgumentError(target.path + ".url: " + std::string(url.status().message()));
  }
  if (url->target.find('?') != std::string::npos) {
    return absl::InvalidArgumentError(target.path + ".url: '" + target.url +
                                      "' has a query string; expected the server's base URL");
  }
  ConnectionSettings connection{.url = *url};
  if (max_body->has_value()) connection.max_body_bytes = static_cast<uint64_t>(**max_body);
  return std::make_unique<QdrantAdapter>(std::move(connection), std::move(o));
}

}  // namespace vexbench
