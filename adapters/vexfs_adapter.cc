// Kind `vexfs`: VexFS's unified HTTP server (../shared/reference/vexfs-contract.md).
//
// One server speaks three dialects; the `dialect` option picks the routes:
//   chroma  POST /api/v1/collections, .../{name}/add, .../{name}/query, DELETE .../{name}
//   qdrant  PUT /collections/{name}, PUT .../points, POST .../points/search
//   native  POST /vexfs/v1/collections, .../{name}/documents, .../{name}/search
// Collections are addressed by name in every dialect. The version comes from GET
// /api/v1/version whatever the dialect (it is the same server). None of the dialects has a
// count route or a route to delete vectors in the contract; only the chroma dialect can drop a
// collection.
#include "adapters/vexfs_adapter.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <memory>
#include <thread>

#include "absl/status/status.h"
#include "adapters/control_client.h"
#include "adapters/option_reader.h"
#include "adapters/vector_requests.h"
#include "nlohmann/json.hpp"
#include "simdjson.h"

namespace vexbench {
namespace {

enum class Dialect { kChroma, kQdrant, kNative };

std::string DialectName(Dialect d) {
  static constexpr std::string_view kNames[] = {"chroma", "qdrant", "native"};
  return std::string(kNames[static_cast<int>(d)]);
}

struct VexfsOptions {
  Dialect dialect = Dialect::kChroma;
  std::string collection = "vexbench";
  std::string api_key;  // "" = anonymous (read-only for VexFS)
  bool login = false;
};

// The routes of one dialect for one collection (the contract's tables), relative to the
// target's URL. Empty: the dialect has no such route.
struct Routes {
  std::string create_method, create_path;
  std::string lookup_path;  // GET: shows whether the collection exists
  std::string drop_path;    // DELETE
  std::string insert_method, insert_path;
  std::string query_path;  // POST
};

Routes RoutesOf(Dialect dialect, const std::string& name) {
  switch (dialect) {
    case Dialect::kChroma: {
      const std::string c = "/api/v1/collections/" + name;
      return {.create_method = "POST",
              .create_path = "/api/v1/collections",
              .lookup_path = "/api/v1/collections",
              .drop_path = c,
              .insert_method = "POST",
              .insert_path = c + "/add",
              .query_path = c + "/query"};
    }
    case Dialect::kQdrant: {
      const std::string c = "/collections/" + name;
      return {.create_method = "PUT",
              .create_path = c,
              .lookup_path = c,
              .drop_path = "",
              .insert_method = "PUT",
              .insert_path = c + "/points",
              .query_path = c + "/points/search"};
    }
    case Dialect::kNative: {
      const std::string c = "/vexfs/v1/collections/" + name;
      return {.create_method = "POST",
              .create_path = "/vexfs/v1/collections",
              .lookup_path = "",
              .drop_path = "",
              .insert_method = "POST",
              .insert_path = c + "/documents",
              .query_path = c + "/search"};
    }
  }
  return {};
}

void AppendInt(std::string& out, int64_t v) {
  char buffer[24];
  out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, v).ptr);
}

// Insert bodies of one dialect over one dataset, sized exactly before they are built so that a
// batch can be cut to stay under kVexfsMaxRequestBodyBytes. Every item carries the dataset's
// payload as its metadata ({"category":3}; {} without a payload), as with kind chroma.
//   chroma {"ids":["1"],"embeddings":[[...]],"metadatas":[{"category":3}],"documents":[""]}
//   qdrant {"points":[{"id":1,"vector":[...],"payload":{"category":3}}]}
//   native {"documents":[{"id":"1","embedding":[...],"metadata":{"category":3},"content":""}]}
class InsertBody {
 public:
  InsertBody(Dialect dialect, const Dataset& dataset) : dialect_(dialect), dataset_(dataset) {}

  // Bytes of a body without items.
  uint64_t envelope_bytes() const {
    if (dialect_ == Dialect::kChroma) {
      return kIdsOpen.size() + kEmbeddingsOpen.size() + kMetadatasOpen.size() +
             kDocumentsOpen.size() + kColumnsClose.size();
    }
    const Row& r = row();
    return r.open.size() + r.close.size();
  }
  // Bytes item `i` adds, separators aside.
  uint64_t item_bytes(int64_t i) const {
    const uint64_t common = Digits(i) + dataset_.vector_json(i).size() + PayloadBytes(dataset_, i);
    if (dialect_ == Dialect::kChroma) return common + 2 + 2;  // "i"  ""
    const Row& r = row();
    return common + r.id.size() + r.vector.size() + r.payload.size() + r.end.size();
  }
  // Separators each item after the first adds (one per column).
  int separators() const { return dialect_ == Dialect::kChroma ? 4 : 1; }

  // The most items from `from` (at most `max_items`) whose body is shorter than `limit_bytes`;
  // at least 1 (a lone item that does not fit is sent anyway and answered 413).
  int64_t Fit(int64_t from, int64_t max_items, uint64_t limit_bytes) const {
    uint64_t size = envelope_bytes();
    int64_t n = 0;
    for (; n < max_items; ++n) {
      const uint64_t add = item_bytes(from + n) + (n > 0 ? separators() : 0);
      if (size + add >= limit_bytes) break;
      size += add;
    }
    return std::max<int64_t>(n, 1);
  }

  // Appends the body of items [from, from + n) to `out`.
  void Append(int64_t from, int64_t n, std::string& out) const {
    if (dialect_ == Dialect::kChroma) return AppendColumns(from, n, out);
    const Row& r = row();
    out.append(r.open);
    for (int64_t i = from; i < from + n; ++i) {
      if (i != from) out.push_back(',');
      out.append(r.id);
      AppendInt(out, i);
      out.append(r.vector).append(dataset_.vector_json(i)).append(r.payload);
      AppendPayload(out, dataset_, i);
      out.append(r.end);
    }
    out.append(r.close);
  }

 private:
  // One object per item: open, then per item id-prefix, id, vector-prefix, vector,
  // payload-prefix, payload object, end; then close.
  struct Row {
    std::string_view open, id, vector, payload, end, close;
  };
  static constexpr Row kQdrantRow{R"({"points":[)", R"({"id":)", R"(,"vector":)",
                                  R"(,"payload":)", "}",         "]}"};
  static constexpr Row kNativeRow{R"({"documents":[)", R"({"id":")",          R"(","embedding":)",
                                  R"(,"metadata":)",   R"(,"content":""})", "]}"};
  static constexpr std::string_view kIdsOpen = R"({"ids":[)";
  static constexpr std::string_view kEmbeddingsOpen = R"(],"embeddings":[)";
  static constexpr std::string_view kMetadatasOpen = R"(],"metadatas":[)";
  static constexpr std::string_view kDocumentsOpen = R"(],"documents":[)";
  static constexpr std::string_view kColumnsClose = "]}";

  const Row& row() const { return dialect_ == Dialect::kQdrant ? kQdrantRow : kNativeRow; }

  void AppendColumns(int64_t from, int64_t n, std::string& out) const {
    const int64_t end = from + n;
    out.append(kIdsOpen);
    for (int64_t i = from; i < end; ++i) {
      if (i != from) out.push_back(',');
      out.push_back('"');
      AppendInt(out, i);
      out.push_back('"');
    }
    out.append(kEmbeddingsOpen);
    for (int64_t i = from; i < end; ++i) {
      if (i != from) out.push_back(',');
      out.append(dataset_.vector_json(i));
    }
    out.append(kMetadatasOpen);
    for (int64_t i = from; i < end; ++i) {
      if (i != from) out.push_back(',');
      AppendPayload(out, dataset_, i);
    }
    out.append(kDocumentsOpen);
    for (int64_t i = from; i < end; ++i) out.append(i != from ? R"(,"")" : R"("")");
    out.append(kColumnsClose);
  }

  const Dialect dialect_;
  const Dataset& dataset_;
};

// `filter`: the members after the limit (the qdrant dialect's ,"filter":{...}), or "".
void AppendQueryBody(Dialect dialect, std::string_view query_json, int k, std::string_view filter,
                     std::string& out) {
  if (dialect == Dialect::kChroma) {
    out.append(R"({"query_embeddings":[)").append(query_json).append(R"(],"n_results":)");
  } else {
    out.append(R"({"vector":)").append(query_json).append(R"(,"limit":)");
  }
  AppendInt(out, k);
  out.append(filter);
  out.push_back('}');
}

// The qdrant dialect's filter member for an eq filter: the contract's own shape,
// ,"filter":{"must":[{"key":"category","value":3}]} (not Qdrant's `match`).
// REQUIRES: filter.kind() == kEq (ValidatePhase refuses the others).
std::string QdrantDialectFilter(const PayloadFilter& filter) {
  const nlohmann::json condition = {{"key", filter.field}, {"value", *filter.eq}};
  return R"(,"filter":)" + nlohmann::json{{"must", nlohmann::json::array({condition})}}.dump();
}

// An id of an answer: "17" or 17.
bool ReadId(simdjson::ondemand::value value, int64_t& out) {
  simdjson::ondemand::json_type type;
  if (value.type().get(type)) return false;
  if (type == simdjson::ondemand::json_type::number) return !value.get_int64().get(out);
  std::string_view text;
  if (type != simdjson::ondemand::json_type::string || value.get_string().get(text)) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

// The ids of a query answer, best first:
//   chroma {"ids":[["3","17",...]],"distances":...}
//   qdrant {"result":[{"id":3,"score":...},...],"status":"ok"}
//   native {"results":[{"id":"3","score":...},...],"total_results":N}
bool ParseQueryIds(Dialect dialect, simdjson::ondemand::parser& parser, std::string& padded,
                   std::string_view body, std::vector<int64_t>& ids) {
  padded.assign(body);
  padded.append(simdjson::SIMDJSON_PADDING, '\0');
  ids.clear();
  auto doc = parser.iterate(padded.data(), body.size(), padded.size());
  if (doc.error()) return false;
  simdjson::ondemand::array outer;
  if (dialect == Dialect::kChroma) {
    if (doc.find_field_unordered("ids").get_array().get(outer)) return false;
    for (auto inner : outer) {
      simdjson::ondemand::array row;
      if (inner.get_array().get(row)) return false;
      for (auto id : row) {
        int64_t v = 0;
        simdjson::ondemand::value value;
        if (id.get(value) || !ReadId(value, v)) return false;
        ids.push_back(v);
      }
      break;  // one query per request
    }
    return true;
  }
  const char* field = dialect == Dialect::kQdrant ? "result" : "results";
  if (doc.find_field_unordered(field).get_array().get(outer)) return false;
  for (auto element : outer) {
    simdjson::ondemand::object hit;
    simdjson::ondemand::value value;
    int64_t v = 0;
    if (element.get_object().get(hit) || hit.find_field_unordered("id").get(value) ||
        !ReadId(value, v)) {
      return false;
    }
    ids.push_back(v);
  }
  return true;
}

// What a source needs to frame its requests; built at Setup, read-only afterwards.
struct Wire {
  Dialect dialect = Dialect::kChroma;
  std::string host;     // "Host: ...\r\n"
  std::string headers;  // the auth header line, if any
  std::string insert_method;
  std::string insert_path;  // with the target URL's path in front
  std::string query_path;
};

class VexfsSource final : public OperationSource {
 public:
  VexfsSource(const PhaseSpec& phase, const SourceSlice& slice, const Dataset& dataset,
              const Wire& wire)
      : dataset_(dataset),
        wire_(wire),
        encoder_(wire.dialect, dataset),
        batch_(std::max(1, phase.batch.value_or(100))),
        k_(phase.k.value_or(10)),
        filter_(dataset_, phase.filter),
        mix_(phase) {
    std::tie(cursor_, end_) = SliceRange(dataset.count(), slice);
    begin_ = cursor_;
    ops_ = VectorOps(phase);
    query_cursor_ = slice.thread_index + slice.thread_count * slice.shard_index;
    if (filter_) filter_member_ = QdrantDialectFilter(*filter_);
  }

  // OperationSource
  std::vector<std::string> ops() const override { return ops_; }
  bool needs_body() const override { return ops_[0] == "query"; }
  int OpOf(uint64_t tag) const override { return (tag & kInsertBit) && ops_.size() > 1 ? 1 : 0; }

  std::string_view NextRequest(std::string& scratch, uint64_t& tag) override {
    scratch.clear();
    if (ops_[0] == "query" && (ops_.size() == 1 || mix_.NextIsQuery())) return Query(scratch, tag);
    return Insert(scratch, tag, /*wrap=*/ops_.size() > 1);
  }

  Verdict Judge(uint64_t tag, int status, std::string_view body) override {
    Verdict v{.error = ClassifyStatus(status), .op = OpOf(tag)};
    if (v.error != ErrorClass::kNone) return v;
    if ((tag & kInsertBit) || ops_[0] != "query") {
      v.items = static_cast<int64_t>(tag & ~kInsertBit);
      return v;
    }
    if (!ParseQueryIds(wire_.dialect, parser_, padded_, body, ids_)) {
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
    body_.clear();
    AppendQueryBody(wire_.dialect, dataset_.query_json(q), k_, filter_member_, body_);
    AppendJsonRequest(scratch, "POST", wire_.query_path, wire_.host, wire_.headers, body_);
    tag = static_cast<uint64_t>(q);
    return scratch;
  }

  // Mixed phases write by adding the slice's vectors again, round and round (no dialect has an
  // upsert route).
  std::string_view Insert(std::string& scratch, uint64_t& tag, bool wrap) {
    if (cursor_ >= end_) {
      if (!wrap || begin_ >= end_) return {};
      cursor_ = begin_;
    }
    const int64_t n =
        encoder_.Fit(cursor_, std::min<int64_t>(batch_, end_ - cursor_), kVexfsMaxRequestBodyBytes);
    body_.clear();
    encoder_.Append(cursor_, n, body_);
    AppendJsonRequest(scratch, wire_.insert_method, wire_.insert_path, wire_.host, wire_.headers,
                      body_);
    cursor_ += n;
    tag = static_cast<uint64_t>(n) | kInsertBit;
    return scratch;
  }

  const Dataset& dataset_;
  const Wire& wire_;
  const InsertBody encoder_;
  const int batch_;
  const int k_;
  const PhaseFilter filter_;  // the phase's, its ground truth resolved once
  std::string filter_member_;                  // its JSON for the query body ("" = none)
  ReadWriteMix mix_;
  std::vector<std::string> ops_;
  int64_t begin_ = 0, cursor_ = 0, end_ = 0;
  int64_t query_cursor_ = 0;
  std::string body_;
  std::string padded_;
  std::vector<int64_t> ids_;
  simdjson::ondemand::parser parser_;
};

class VexfsAdapter final : public Adapter {
 public:
  VexfsAdapter(ConnectionSettings connection, VexfsOptions options)
      : connection_(std::move(connection)),
        options_(std::move(options)),
        routes_(RoutesOf(options_.dialect, options_.collection)) {
    std::map<std::string, std::string> headers;
    if (!options_.api_key.empty() && !options_.login) {
      headers["X-API-Key"] = options_.api_key;
      wire_.headers = "X-API-Key: " + options_.api_key + "\r\n";
    }
    control_ = std::make_unique<ControlClient>(connection_.url, std::move(headers));
    std::string prefix = connection_.url.target;
    if (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
    wire_.dialect = options_.dialect;
    wire_.host = HostHeader(connection_.url);
    wire_.insert_method = routes_.insert_method;
    wire_.insert_path = prefix + routes_.insert_path;
    wire_.query_path = prefix + routes_.query_path;
  }

  // Adapter
  std::string_view kind() const override { return "vexfs"; }
  const ConnectionSettings& connection() const override { return connection_; }

  absl::Status ValidatePhase(const PhaseSpec& phase) const override {
    if (phase.op == "delete") {
      return absl::InvalidArgumentError(
          phase.path + ".op: 'delete' is not possible with VexFS's " + dialect() +
          " dialect: it has no route to delete vectors; expected insert, query or mixed");
    }
    if (phase.op != "insert" && phase.op != "query" && phase.op != "mixed") {
      return absl::InvalidArgumentError(phase.path + ".op: '" + phase.op +
                                        "' is not an operation of vexfs targets; expected "
                                        "insert, query or mixed");
    }
    if (phase.ef) {
      return absl::InvalidArgumentError(
          phase.path + ".ef: VexFS searches by exact brute force and has no ef; remove ef");
    }
    // vexfs-contract.md: the chroma dialect's query ignores `where`, the native search has no
    // filter, the qdrant dialect's /points/search filter is {"must":[{"key","value"}]} only.
    if (phase.filter && options_.dialect != Dialect::kQdrant) {
      return absl::InvalidArgumentError(
          phase.path + ".filter: VexFS's " + dialect() + " dialect cannot filter a query (" +
          (options_.dialect == Dialect::kChroma ? "its query ignores `where`"
                                                : "its search has no filter") +
          "); expected no filter, or dialect qdrant with an eq filter");
    }
    if (phase.filter && phase.filter->kind() != PayloadFilter::Kind::kEq) {
      return absl::InvalidArgumentError(
          phase.path +
          ".filter: VexFS's qdrant dialect filters by equality only ({\"must\":[{\"key\", "
          "\"value\"}]}); expected {field, eq: <integer>}");
    }
    return absl::OkStatus();
  }

  absl::Status Setup(const Dataset* dataset, bool create, Duration timeout) override {
    if (dataset == nullptr) {
      return absl::InvalidArgumentError("a vexfs target needs the job's dataset");
    }
    if (absl::Status s = CheckDatasetFits(*dataset); !s.ok()) return s;
    if (options_.login) {
      if (absl::Status s = LogIn(); !s.ok()) return s;
    }
    absl::Status s = create ? CreateCollection(*dataset) : AttachCollection(timeout);
    if (s.ok()) dataset_ = dataset;
    return s;
  }

  absl::StatusOr<int64_t> Count() override {
    return absl::UnimplementedError("VexFS's " + dialect() + " dialect has no count route");
  }

  absl::Status Teardown() override {
    if (routes_.drop_path.empty()) {
      return absl::UnimplementedError("VexFS's " + dialect() +
                                      " dialect has no route to drop a collection");
    }
    auto r = control_->Request("DELETE", routes_.drop_path);
    if (!r.ok()) return r.status();
    return r->status < 300 ? absl::OkStatus()
                           : absl::InternalError(Explain("DELETE", routes_.drop_path, *r));
  }

  absl::StatusOr<std::string> Version() override {
    const std::string path = "/api/v1/version";
    auto r = control_->Request("GET", path);
    if (!r.ok()) return r.status();
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (r->status != 200 || !j.is_object() || !j.contains("version") || !j["version"].is_string()) {
      return absl::InternalError(Explain("GET", path, *r) + "; expected {\"version\": ...}");
    }
    const std::string name = j.contains("name") && j["name"].is_string()
                                 ? j["name"].get<std::string>()
                                 : std::string("VexFS");
    return name + " " + j["version"].get<std::string>();
  }

  std::vector<std::string> Notes() const override {
    std::vector<std::string> notes = {
        "dialect " + dialect() + " (" + DialectRoutesText() + ")", AuthText(),
        "effective batch: min(batch, " + std::to_string(batch_cap_) +
            ") vectors per insert request with this dataset: bodies are cut to stay under "
            "VexFS's 2 MiB request limit (413 above it) whatever `batch` says (the longest "
            "item takes " +
            std::to_string(longest_item_bytes_) + " bytes; requests of shorter ones may hold more)",
        "exact brute-force cosine search behind one global lock (per the VexFS sources): "
        "requests are served one at a time and search time grows with the collection"};
    if (dataset_ != nullptr && dataset_->metric() != Metric::kCosine) {
      notes.push_back(
          "VexFS ranks by cosine whatever the collection's distance; recall is "
          "measured against this dataset's " +
          std::string(MetricName(dataset_->metric())) + " ground truth");
    }
    if (options_.dialect == Dialect::kQdrant) {
      notes.push_back(
          "the qdrant dialect applies a query's filter after the top-k cut (vexfs-contract.md): "
          "a filtered query may answer fewer than k ids, and recall counts the missing ones");
    }
    if (routes_.drop_path.empty()) {
      notes.push_back("the " + dialect() + " dialect cannot drop a collection: '" +
                      options_.collection + "' stays in the server's memory after the job");
    }
    return notes;
  }

  absl::StatusOr<OperationSourcePtr> CreateSource(const PhaseSpec& phase, const SourceSlice& slice,
                                                  const Dataset* dataset) const override {
    if (dataset == nullptr || dataset_ == nullptr) {
      return absl::FailedPreconditionError("vexfs: Setup() must run before the phases");
    }
    return std::make_unique<VexfsSource>(phase, slice, *dataset, wire_);
  }

 private:
  std::string dialect() const { return DialectName(options_.dialect); }

  std::string DialectRoutesText() const {
    return routes_.insert_method + " " + routes_.insert_path + ", POST " + routes_.query_path;
  }

  std::string AuthText() const {
    if (options_.login) return "auth: login token (POST /auth/login) sent as Authorization";
    if (!options_.api_key.empty()) return "auth: X-API-Key";
    return "auth: anonymous (VexFS lets anonymous callers only read)";
  }

  // DescribeAnswer with what VexFS's answer means.
  std::string Explain(const std::string& method, const std::string& path,
                      const ControlResponse& r) const {
    std::string out = DescribeAnswer(method, control_->base(), path, r);
    if (r.status == 403 && options_.api_key.empty()) {
      out +=
          "; VexFS lets anonymous callers only read: set the target's api_key option (a "
          "development build accepts vexfs-default-key)";
    } else if (r.status == 401 || r.status == 403) {
      out += options_.login ? "; VexFS refused the login token" : "; VexFS refused the api_key";
    } else if (r.status == 413) {
      out += "; VexFS refuses request bodies over 2 MiB";
    } else if (r.status == 500 && r.body.empty()) {
      out += "(empty body: VexFS answers every error with 500 and no body; its log has the cause)";
    }
    return out;
  }

  // Even a batch of one vector (and a query) must fit under the 2 MiB body limit. Also
  // measures what Notes() reports.
  absl::Status CheckDatasetFits(const Dataset& dataset) {
    const InsertBody encoder(options_.dialect, dataset);
    uint64_t longest = 0;
    int64_t longest_id = 0;
    for (int64_t i = 0; i < dataset.count(); ++i) {
      if (const uint64_t b = encoder.item_bytes(i); b > longest) {
        longest = b;
        longest_id = i;
      }
    }
    const uint64_t envelope = encoder.envelope_bytes();
    if (envelope + longest >= kVexfsMaxRequestBodyBytes) {
      return absl::InvalidArgumentError(
          "dataset vector " + std::to_string(longest_id) + " takes " +
          std::to_string(envelope + longest) + " bytes in a " + dialect() +
          " insert body; VexFS refuses request bodies over 2 MiB (413), so it cannot be sent");
    }
    const uint64_t sep = static_cast<uint64_t>(encoder.separators());
    longest_item_bytes_ = longest;
    batch_cap_ =
        static_cast<int64_t>((kVexfsMaxRequestBodyBytes - 1 - envelope + sep) / (longest + sep));
    return absl::OkStatus();
  }

  absl::Status LogIn() {
    const std::string path = "/auth/login";
    const ControlClient anonymous(connection_.url, {});
    auto r = anonymous.Request("POST", path, nlohmann::json{{"api_key", options_.api_key}}.dump());
    if (!r.ok()) return r.status();
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (r->status >= 300 || !j.is_object() || !j.contains("token") || !j["token"].is_string()) {
      return absl::PermissionDeniedError("login: " + Explain("POST", path, *r) +
                                         (r->status < 300 ? "; expected {\"token\": ...}" : ""));
    }
    const std::string token = j["token"].get<std::string>();
    if (token.find_first_of("\r\n") != std::string::npos) {
      return absl::InternalError("login: POST " + path + " returned a token with a line break");
    }
    control_ = std::make_unique<ControlClient>(
        connection_.url, std::map<std::string, std::string>{{"Authorization", token}});
    wire_.headers = "Authorization: " + token + "\r\n";
    return absl::OkStatus();
  }

  absl::Status CreateCollection(const Dataset& dataset) {
    // VexFS ranks by cosine whatever the distance, so the collection says cosine.
    nlohmann::json body;
    switch (options_.dialect) {
      case Dialect::kChroma:  // an existing collection of this name is emptied
        body = {{"name", options_.collection}, {"metadata", {{"distance", "cosine"}}}};
        break;
      case Dialect::kQdrant:
        body = {{"vectors", {{"size", dataset.dim()}, {"distance", "Cosine"}}}};
        break;
      case Dialect::kNative:
        body = {{"name", options_.collection},
                {"metadata", {{"dimension", dataset.dim()}, {"distance_function", "Cosine"}}}};
        break;
    }
    auto r = control_->Request(routes_.create_method, routes_.create_path, body.dump());
    if (!r.ok()) return r.status();
    if (r->status >= 300) {
      return absl::InternalError(Explain(routes_.create_method, routes_.create_path, *r));
    }
    return absl::OkStatus();
  }

  // Waits for the collection shard 0 creates. The native dialect has no route to look one up:
  // it only waits for the server to answer its health check.
  absl::Status AttachCollection(Duration timeout) {
    const std::string path = routes_.lookup_path.empty() ? "/vexfs/v1/health" : routes_.lookup_path;
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (true) {
      auto r = control_->Request("GET", path);
      if (!r.ok()) return r.status();
      if (r->status == 200 && Lists(r->body)) return absl::OkStatus();
      if (std::chrono::steady_clock::now() >= until) {
        return absl::DeadlineExceededError("collection '" + options_.collection +
                                           "' did not appear: " + Explain("GET", path, *r));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  // Whether a 200 answer of the lookup route shows the collection: the chroma dialect lists
  // names ({"collections":["a","b"]}); the qdrant dialect answers 200 for an existing one.
  bool Lists(const std::string& body) const {
    if (options_.dialect != Dialect::kChroma) return true;
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (!j.is_object() || !j.contains("collections") || !j["collections"].is_array()) return false;
    for (const auto& name : j["collections"]) {
      if (name.is_string() && name.get<std::string>() == options_.collection) return true;
    }
    return false;
  }

  const ConnectionSettings connection_;
  const VexfsOptions options_;
  const Routes routes_;
  std::unique_ptr<ControlClient> control_;  // replaced after a login
  Wire wire_;
  const Dataset* dataset_ = nullptr;  // set by Setup
  int64_t batch_cap_ = 0;
  uint64_t longest_item_bytes_ = 0;
};

absl::Status ReadOptions(OptionReader& reader, VexfsOptions& o) {
  auto dialect = reader.String("dialect");
  if (!dialect.ok()) return dialect.status();
  if (dialect->has_value()) {
    if (**dialect == "chroma") {
      o.dialect = Dialect::kChroma;
    } else if (**dialect == "qdrant") {
      o.dialect = Dialect::kQdrant;
    } else if (**dialect == "native") {
      o.dialect = Dialect::kNative;
    } else {
      return absl::InvalidArgumentError(reader.FieldPath("dialect") + ": '" + **dialect +
                                        "' is not a VexFS dialect; expected chroma, qdrant or "
                                        "native");
    }
  }
  for (auto [key, out] :
       {std::pair{"collection", &o.collection}, std::pair{"api_key", &o.api_key}}) {
    auto v = reader.String(key);
    if (!v.ok()) return v.status();
    if (v->has_value()) *out = **v;
  }
  auto login = reader.Bool("login");
  if (!login.ok()) return login.status();
  o.login = login->value_or(false);
  return absl::OkStatus();
}

absl::Status CheckOptions(const OptionReader& reader, const VexfsOptions& o) {
  const bool name_ok = !o.collection.empty() && o.collection.size() <= 255 &&
                       std::all_of(o.collection.begin(), o.collection.end(), [](unsigned char c) {
                         return std::isalnum(c) || c == '.' || c == '_' || c == '-';
                       });
  if (!name_ok) {
    return absl::InvalidArgumentError(reader.FieldPath("collection") + ": '" + o.collection +
                                      "' cannot be a VexFS collection name here; expected 1..255 "
                                      "letters, digits, '.', '_' or '-' (it goes into URL paths)");
  }
  if (o.api_key.find_first_of("\r\n") != std::string::npos) {
    return absl::InvalidArgumentError(reader.FieldPath("api_key") +
                                      ": contains a line break; expected a one-line key");
  }
  if (o.login && o.api_key.empty()) {
    return absl::InvalidArgumentError(reader.FieldPath("login") +
                                      ": true needs api_key (POST /auth/login exchanges it for a "
                                      "token); set api_key (a development build accepts "
                                      "vexfs-default-key)");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<AdapterPtr> CreateVexfsAdapter(const TargetSpec& target) {
  OptionReader reader(target.options, target.path);
  VexfsOptions o;
  if (absl::Status s = ReadOptions(reader, o); !s.ok()) return s;
  auto max_body = reader.Int("max_body_bytes", 0, int64_t{1} << 40);
  if (!max_body.ok()) return max_body.status();
  if (absl::Status s = reader.RejectUnknown(); !s.ok()) return s;
  if (absl::Status s = CheckOptions(reader, o); !s.ok()) return s;
  auto url = ParseUrl(target.url);
  if (!url.ok()) {
    return absl::InvalidArgumentError(target.path + ".url: " + std::string(url.status().message()));
  }
  ConnectionSettings connection{.url = *url};
  if (max_body->has_value()) connection.max_body_bytes = static_cast<uint64_t>(**max_body);
  return std::make_unique<VexfsAdapter>(std::move(connection), std::move(o));
}

}  // namespace vexbench
