// Kind `chroma`: ChromaDB's v2 REST API (reference/chroma-openapi-1.0.json).
//
// Collections live under /api/v2/tenants/{tenant}/databases/{database}/collections; add, query,
// count and delete address the collection by its id, delete-collection by its name. Batches are
// capped by GET /api/v2/pre-flight-checks' max_batch_size. ef is a property of the collection
// (configuration.hnsw.ef_search), not of a query.
#include "adapters/chroma_adapter.h"

#include <algorithm>
#include <charconv>
#include <thread>

#include "absl/status/status.h"
#include "adapters/control_client.h"
#include "adapters/option_reader.h"
#include "adapters/vector_requests.h"
#include "nlohmann/json.hpp"
#include "simdjson.h"

namespace vexbench {
namespace {

struct ChromaOptions {
  std::string tenant = "default_tenant";
  std::string database = "default_database";
  std::string collection = "vexbench";
  std::optional<int64_t> ef_construction, ef_search, max_neighbors;
  std::string space;  // "" = from the dataset's metric
  std::map<std::string, std::string> headers;
};

// Parses {"ids": [["3", "17", ...]], ...} of a query answer into integer ids.
bool ParseQueryIds(simdjson::ondemand::parser& parser, std::string& padded, std::string_view body,
                   std::vector<int64_t>& ids) {
  padded.assign(body);
  padded.append(simdjson::SIMDJSON_PADDING, '\0');
  ids.clear();
  auto doc = parser.iterate(padded.data(), body.size(), padded.size());
  if (doc.error()) return false;
  simdjson::ondemand::array outer;
  if (doc.find_field_unordered("ids").get_array().get(outer)) return false;
  for (auto inner : outer) {
    simdjson::ondemand::array row;
    if (inner.get_array().get(row)) return false;
    for (auto id : row) {
      std::string_view text;
      if (id.get_string().get(text)) return false;
      int64_t v = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || ptr != text.data() + text.size()) return false;
      ids.push_back(v);
    }
    break;  // one query per request
  }
  return true;
}

// The `where` of a query request for `filter` (chroma-openapi-1.0.json: QueryRequestPayload.where,
// Chroma's metadata operators $eq, $in, $gt, $gte, $lt, $lte; several bounds under $and).
std::string ChromaWhere(const PayloadFilter& filter) {
  using json = nlohmann::json;
  const auto condition = [&](const char* op, const json& value) {
    return json{{filter.field, {{op, value}}}};
  };
  switch (filter.kind()) {
    case PayloadFilter::Kind::kEq:
      return condition("$eq", *filter.eq).dump();
    case PayloadFilter::Kind::kIn:
      return condition("$in", filter.in).dump();
    case PayloadFilter::Kind::kRange: {
      json bounds = json::array();
      if (filter.gt) bounds.push_back(condition("$gt", *filter.gt));
      if (filter.gte) bounds.push_back(condition("$gte", *filter.gte));
      if (filter.lt) bounds.push_back(condition("$lt", *filter.lt));
      if (filter.lte) bounds.push_back(condition("$lte", *filter.lte));
      return bounds.size() == 1 ? bounds[0].dump() : json{{"$and", bounds}}.dump();
    }
  }
  return "{}";
}

class ChromaSource final : public OperationSource {
 public:
  ChromaSource(const PhaseSpec& phase, const SourceSlice& slice, const Dataset& dataset,
               std::string collection_path, std::string host, std::string headers, int max_batch)
      : dataset_(dataset),
        path_(std::move(collection_path)),
        host_(std::move(host)),
        headers_(std::move(headers)),
        batch_(std::max(1, std::min(phase.batch.value_or(100), max_batch))),
        k_(phase.k.value_or(10)),
        filter_(dataset_, phase.filter),
        mix_(phase) {
    std::tie(cursor_, end_) = SliceRange(dataset.count(), slice);
    begin_ = cursor_;
    ops_ = VectorOps(phase);
    query_cursor_ = slice.thread_index + slice.thread_count * slice.shard_index;
    query_tail_ = R"(],"n_results":)" + std::to_string(k_);
    if (filter_) query_tail_ += R"(,"where":)" + ChromaWhere(*filter_);
    query_tail_ += R"(,"include":[]})";
  }

  // OperationSource
  std::vector<std::string> ops() const override { return ops_; }
  bool needs_body() const override { return ops_[0] == "query"; }
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
    if ((tag & kInsertBit) || ops_[0] != "query") {
      v.items = static_cast<int64_t>(tag & ~kInsertBit);
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
  static constexpr uint64_t kInsertBit = uint64_t{1} << 62;

  std::string_view Query(std::string& scratch, uint64_t& tag) {
    const int64_t q = query_cursor_++ % dataset_.query_count();
    body_.assign(R"({"query_embeddings":[)");
    body_.append(dataset_.query_json(q));
    body_.append(query_tail_);
    AppendJsonRequest(scratch, "POST", path_ + "/query", host_, headers_, body_);
    tag = static_cast<uint64_t>(q);
    return scratch;
  }

  void AppendIds(int64_t from, int64_t n) {
    body_.append(R"({"ids":[)");
    for (int64_t i = from; i < from + n; ++i) {
      if (i != from) body_.push_back(',');
      body_.push_back('"');
      body_.append(std::to_string(i));
      body_.push_back('"');
    }
    body_.push_back(']');
  }

  // Mixed phases write by upserting the slice's vectors again, round and round.
  std::string_view Insert(std::string& scratch, uint64_t& tag, bool wrap) {
    if (cursor_ >= end_) {
      if (!wrap || begin_ >= end_) return {};
      cursor_ = begin_;
    }
    const int64_t n = std::min<int64_t>(batch_, end_ - cursor_);
    body_.clear();
    AppendIds(cursor_, n);
    body_.append(R"(,"embeddings":[)");
    for (int64_t i = cursor_; i < cursor_ + n; ++i) {
      if (i != cursor_) body_.push_back(',');
      body_.append(dataset_.vector_json(i));
    }
    body_.push_back(']');
    if (!dataset_.payload_field().empty()) {  // Chroma refuses empty metadata objects
      body_.append(R"(,"metadatas":[)");
      for (int64_t i = cursor_; i < cursor_ + n; ++i) {
        if (i != cursor_) body_.push_back(',');
        AppendPayload(body_, dataset_, i);
      }
      body_.push_back(']');
    }
    body_.push_back('}');
    AppendJsonRequest(scratch, "POST", path_ + (wrap ? "/upsert" : "/add"), host_, headers_, body_);
    cursor_ += n;
    tag = static_cast<uint64_t>(n) | kInsertBit;
    return scratch;
  }

  std::string_view Delete(std::string& scratch, uint64_t& tag) {
    if (cursor_ >= end_) return {};
    const int64_t n = std::min<int64_t>(batch_, end_ - cursor_);
    body_.clear();
    AppendIds(cursor_, n);
    body_.push_back('}');
    AppendJsonRequest(scratch, "POST", path_ + "/delete", host_, headers_, body_);
    cursor_ += n;
    tag = static_cast<uint64_t>(n);
    return scratch;
  }

  const Dataset& dataset_;
  const std::string path_;
  const std::string host_;
  const std::string headers_;
  const int batch_;
  const int k_;
  const PhaseFilter filter_;  // the phase's, its ground truth resolved once
  ReadWriteMix mix_;
  std::vector<std::string> ops_;
  std::string query_tail_;  // after the query vector: n_results, where, include
  int64_t begin_ = 0, cursor_ = 0, end_ = 0;
  int64_t query_cursor_ = 0;
  std::string body_;
  std::string padded_;
  std::vector<int64_t> ids_;
  simdjson::ondemand::parser parser_;
};

class ChromaAdapter final : public Adapter {
 public:
  ChromaAdapter(ConnectionSettings connection, ChromaOptions options)
      : connection_(std::move(connection)),
        options_(std::move(options)),
        control_(connection_.url, options_.headers),
        collections_("/api/v2/tenants/" + options_.tenant + "/databases/" + options_.database +
                     "/collections") {
    for (const auto& [k, v] : options_.headers) header_lines_ += k + ": " + v + "\r\n";
  }

  // Adapter
  std::string_view kind() const override { return "chroma"; }
  const ConnectionSettings& connection() const override { return connection_; }

  absl::Status ValidatePhase(const PhaseSpec& phase) const override {
    if (phase.op != "insert" && phase.op != "query" && phase.op != "delete" &&
        phase.op != "mixed") {
      return absl::InvalidArgumentError(phase.path + ".op: '" + phase.op +
                                        "' is not an operation of chroma targets; expected "
                                        "insert, query, delete or mixed");
    }
    if (phase.ef) {
      return absl::InvalidArgumentError(
          phase.path + ".ef: chroma sets ef on the collection, not per query; expected the "
                       "target's ef_search option instead");
    }
    return absl::OkStatus();
  }

  absl::Status Setup(const Dataset* dataset, bool create, Duration timeout) override {
    if (dataset == nullptr) {
      return absl::InvalidArgumentError("a chroma target needs the job's dataset");
    }
    if (auto s = ReadMaxBatch(); !s.ok()) return s;
    return create ? CreateCollection(*dataset) : AttachCollection(timeout);
  }

  absl::StatusOr<int64_t> Count() override {
    const std::string path = collections_ + "/" + collection_id_ + "/count";
    auto r = control_.Request("GET", path);
    if (!r.ok()) return r.status();
    if (r->status != 200) return absl::InternalError(DescribeAnswer("GET", control_.base(), path, *r));
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (!j.is_number_integer()) {
      return absl::InternalError(DescribeAnswer("GET", control_.base(), path, *r) +
                                 "; expected an integer");
    }
    return j.get<int64_t>();
  }

  absl::Status Teardown() override {
    const std::string path = collections_ + "/" + options_.collection;
    auto r = control_.Request("DELETE", path);
    if (!r.ok()) return r.status();
    return r->status < 300 ? absl::OkStatus()
                           : absl::InternalError(DescribeAnswer("DELETE", control_.base(), path, *r));
  }

  absl::StatusOr<std::string> Version() override {
    auto r = control_.Request("GET", "/api/v2/version");
    if (!r.ok()) return r.status();
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (r->status != 200 || !j.is_string()) return absl::InternalError("no version in " + r->body);
    return "chroma " + j.get<std::string>();
  }

  std::vector<std::string> Notes() const override {
    return {"batches capped at max_batch_size " + std::to_string(max_batch_) +
            " (pre-flight-checks); ef_search is a collection setting"};
  }

  absl::StatusOr<OperationSourcePtr> CreateSource(const PhaseSpec& phase, const SourceSlice& slice,
                                                  const Dataset* dataset) const override {
    if (dataset == nullptr || collection_id_.empty()) {
      return absl::FailedPreconditionError("chroma: Setup() must run before the phases");
    }
    // The url's own path (a proxy prefix) goes before the API path, as for control calls.
    std::string prefix = connection_.url.target;
    if (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
    return std::make_unique<ChromaSource>(phase, slice, *dataset,
                                          prefix + collections_ + "/" + collection_id_,
                                          HostHeader(connection_.url), header_lines_, max_batch_);
  }

 private:
  absl::Status ReadMaxBatch() {
    auto r = control_.Request("GET", "/api/v2/pre-flight-checks");
    if (!r.ok()) return r.status();
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (r->status == 200 && j.is_object() && j.contains("max_batch_size") &&
        j["max_batch_size"].is_number_integer()) {
      max_batch_ = std::max<int64_t>(1, j["max_batch_size"].get<int64_t>());
    }
    return absl::OkStatus();
  }

  absl::Status CreateCollection(const Dataset& dataset) {
    (void)control_.Request("DELETE", collections_ + "/" + options_.collection);  // a stale one
    nlohmann::json hnsw = {{"space", options_.space.empty() ? SpaceOf(dataset.metric())
                                                            : options_.space}};
    if (options_.ef_construction) hnsw["ef_construction"] = *options_.ef_construction;
    if (options_.ef_search) hnsw["ef_search"] = *options_.ef_search;
    if (options_.max_neighbors) hnsw["max_neighbors"] = *options_.max_neighbors;
    const nlohmann::json body = {{"name", options_.collection},
                                 {"configuration", {{"hnsw", hnsw}}},
                                 {"get_or_create", false}};
    auto r = control_.Request("POST", collections_, body.dump());
    if (!r.ok()) return r.status();
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (r->status >= 300 || !j.is_object() || !j.contains("id")) {
      return absl::InternalError(DescribeAnswer("POST", control_.base(), collections_, *r));
    }
    collection_id_ = j["id"].get<std::string>();
    return absl::OkStatus();
  }

  absl::Status AttachCollection(Duration timeout) {
    const std::string path = collections_ + "/" + options_.collection;
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (true) {
      auto r = control_.Request("GET", path);
      if (!r.ok()) return r.status();
      auto j = nlohmann::json::parse(r->body, nullptr, false);
      if (r->status == 200 && j.is_object() && j.contains("id")) {
        collection_id_ = j["id"].get<std::string>();
        return absl::OkStatus();
      }
      if (std::chrono::steady_clock::now() >= until) {
        return absl::DeadlineExceededError("collection '" + options_.collection +
                                           "' did not appear: " +
                                           DescribeAnswer("GET", control_.base(), path, *r));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  static std::string SpaceOf(Metric m) {
    switch (m) {
      case Metric::kCosine: return "cosine";
      case Metric::kL2: return "l2";
      case Metric::kDot: return "ip";
    }
    return "cosine";
  }

  const ConnectionSettings connection_;
  const ChromaOptions options_;
  const ControlClient control_;
  const std::string collections_;
  std::string header_lines_;
  std::string collection_id_;
  int64_t max_batch_ = 5461;
};

}  // namespace

absl::StatusOr<AdapterPtr> CreateChromaAdapter(const TargetSpec& target) {
  OptionReader reader(target.options, target.path);
  ChromaOptions o;
  const auto string_option = [&](const char* key, std::string& out) -> absl::Status {
    auto v = reader.String(key);
    if (!v.ok()) return v.status();
    if (v->has_value()) out = **v;
    return absl::OkStatus();
  };
  for (auto [key, out] : {std::pair{"tenant", &o.tenant}, std::pair{"database", &o.database},
                          std::pair{"collection", &o.collection}, std::pair{"space", &o.space}}) {
    if (absl::Status s = string_option(key, *out); !s.ok()) return s;
  }
  for (auto [key, out] : {std::pair{"ef_construction", &o.ef_construction},
                          std::pair{"ef_search", &o.ef_search},
                          std::pair{"max_neighbors", &o.max_neighbors}}) {
    auto v = reader.Int(key, 1, 1 << 20);
    if (!v.ok()) return v.status();
    *out = *v;
  }
  auto headers = reader.StringMap("headers");
  if (!headers.ok()) return headers.status();
  if (headers->has_value()) o.headers = **headers;
  auto max_body = reader.Int("max_body_bytes", 0, int64_t{1} << 40);
  if (!max_body.ok()) return max_body.status();
  if (absl::Status s = reader.RejectUnknown(); !s.ok()) return s;
  if (!o.space.empty() && o.space != "cosine" && o.space != "l2" && o.space != "ip") {
    return absl::InvalidArgumentError(reader.FieldPath("space") + ": '" + o.space +
                                      "' is not a chroma space; expected cosine, l2 or ip");
  }
  if (o.collection.size() < 3 || o.collection.size() > 512) {
    return absl::InvalidArgumentError(reader.FieldPath("collection") + ": '" + o.collection +
                                      "' has " + std::to_string(o.collection.size()) +
                                      " characters; expected 3..512");
  }
  auto url = ParseUrl(target.url);
  if (!url.ok()) return absl::InvalidArgumentError(target.path + ".url: " + std::string(url.status().message()));
  ConnectionSettings connection{.url = *url};
  if (max_body->has_value()) connection.max_body_bytes = static_cast<uint64_t>(**max_body);
  return std::make_unique<ChromaAdapter>(std::move(connection), std::move(o));
}

}  // namespace vexbench
