// The dataset spec, LoadDataset, the content hash and the JSON text of the vectors
// (common/dataset.h). Generation, files and ground truth are in the other dataset_*.cc files.
#include "common/dataset.h"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/dataset_internal.h"

namespace vexbench {
namespace {

using dataset_internal::kMaxSyntheticDim;
using dataset_internal::kMaxVectors;
using dataset_internal::SourceData;
using json = nlohmann::json;

// --- The spec -------------------------------------------------------------------------------

constexpr std::initializer_list<absl::string_view> kAllKeys = {
    "kind",         "count",    "dim",  "queries",    "metric",     "seed",
    "distribution", "clusters", "path", "query_path", "truth_path", "truth_k", "payload"};
constexpr std::initializer_list<absl::string_view> kSyntheticKeys = {
    "kind",         "count",    "dim",     "queries", "metric", "seed",
    "distribution", "clusters", "truth_k", "payload"};
constexpr std::initializer_list<absl::string_view> kFvecsKeys = {
    "kind", "path", "query_path", "truth_path", "count",
    "queries", "metric", "dim", "truth_k", "payload"};
constexpr std::initializer_list<absl::string_view> kKinds = {"synthetic", "fvecs", "hdf5"};
constexpr std::initializer_list<absl::string_view> kDistributions = {"uniform", "normal",
                                                                     "clustered"};
constexpr std::initializer_list<absl::string_view> kHdf5Keys = {
    "kind", "path", "count", "queries", "dim", "truth_k", "payload"};
constexpr int64_t kMaxPayloadValues = 1'000'000'000;
constexpr absl::string_view kPayloadFieldExpectation =
    "a field name of 1..64 letters, digits and _, starting with a lower-case letter";

constexpr absl::string_view kMetricExpectation = "one of: cosine, l2, dot (or angular, euclidean)";
constexpr absl::string_view kVectorsFileExpectation = "a .fvecs or .bvecs file";
constexpr int kMaxTruthK = 10'000;
constexpr int kMaxClusters = 1'000'000;

bool OneOf(absl::string_view value, std::initializer_list<absl::string_view> choices) {
  return std::find(choices.begin(), choices.end(), value) != choices.end();
}

// A value as it appears in messages: "text", 12, true, a list, a mapping.
std::string Describe(const json& value) {
  if (value.is_array()) return "a list";
  if (value.is_object()) return "a mapping";
  return value.dump();
}

absl::Status FieldError(absl::string_view key, absl::string_view what, absl::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("dataset.", key, ": ", what, "; expected ", expected));
}

std::string OneOfText(std::initializer_list<absl::string_view> choices) {
  return absl::StrCat("one of: ", absl::StrJoin(choices, ", "));
}

// Reads typed fields of the `dataset` mapping; a null value counts as absent.
class SpecReader {
 public:
  explicit SpecReader(const json& map) : map_(map) {}

  const json* Find(absl::string_view key) const {
    auto it = map_.find(std::string(key));
    return it == map_.end() || it->is_null() ? nullptr : &*it;
  }

  // An integer in [min, max]; absent leaves `out` unchanged unless `required`.
  template <typename Out>
  absl::Status Int(absl::string_view key, int64_t min, int64_t max, bool required,
                   absl::string_view expected, Out& out) const {
    const json* value = Find(key);
    if (value == nullptr) {
      return required ? FieldError(key, "is missing", expected) : absl::OkStatus();
    }
    if (!value->is_number_integer()) {
      return FieldError(key, absl::StrCat(Describe(*value), " is not an integer"), expected);
    }
    if (value->is_number_unsigned() ? value->get<uint64_t>() > static_cast<uint64_t>(max)
                                    : value->get<int64_t>() < min || value->get<int64_t>() > max) {
      return FieldError(key, absl::StrCat(Describe(*value), " is out of range"), expected);
    }
    out = static_cast<Out>(value->get<int64_t>());
    return absl::OkStatus();
  }

  // A non-empty string; absent leaves `out` unchanged unless `required`.
  absl::Status String(absl::string_view key, bool required, absl::string_view expected,
                      std::string& out) const {
    const json* value = Find(key);
    if (value == nullptr) {
      return required ? FieldError(key, "is missing", expected) : absl::OkStatus();
    }
    if (!value->is_string()) {
      return FieldError(key, absl::StrCat(Describe(*value), " is not a string"), expected);
    }
    if (value->get_ref<const std::string&>().empty()) {
      return FieldError(key, "is empty", expected);
    }
    out = value->get<std::string>();
    return absl::OkStatus();
  }

  // A file path ending in one of `extensions` (any letter case).
  absl::Status Path(absl::string_view key, bool required,
                    std::initializer_list<absl::string_view> extensions, absl::string_view expected,
                    std::string& out) const {
    if (absl::Status status = String(key, required, expected, out); !status.ok()) return status;
    if (out.empty()) return absl::OkStatus();
    const std::string lower = absl::AsciiStrToLower(out);
    for (absl::string_view extension : extensions) {
      if (absl::EndsWith(lower, extension)) return absl::OkStatus();
    }
    return FieldError(key, absl::StrCat(json(out).dump(), " has another extension"), expected);
  }

 private:
  const json& map_;
};

absl::Status ReadMetric(const SpecReader& reader, bool required, Metric& out) {
  std::string name;
  if (absl::Status status = reader.String("metric", required, kMetricExpectation, name);
      !status.ok() || name.empty()) {
    return status;
  }
  if (name == "cosine" || name == "angular") {
    out = Metric::kCosine;
  } else if (name == "l2" || name == "euclidean") {
    out = Metric::kL2;
  } else if (name == "dot") {
    out = Metric::kDot;
  } else {
    return FieldError("metric", absl::StrCat(json(name).dump(), " is not a metric"),
                      kMetricExpectation);
  }
  return absl::OkStatus();
}

absl::Status ReadSyntheticFields(const SpecReader& reader, DatasetSpec& spec) {
  const std::string max_dim = absl::StrCat(kMaxSyntheticDim);
  absl::Status status = reader.Int("count", 1, kMaxVectors, true,
                                   "the number of base vectors, 1..2147483647", spec.count);
  if (status.ok()) {
    status = reader.Int("dim", 1, kMaxSyntheticDim, true, absl::StrCat("1..", max_dim), spec.dim);
  }
  if (status.ok()) {
    status = reader.Int("queries", 1, kMaxVectors, false, "1..2147483647", spec.queries);
  }
  if (status.ok()) status = ReadMetric(reader, false, spec.metric);
  if (status.ok()) {
    status = reader.Int("clusters", 1, kMaxClusters, false, "1..1000000", spec.clusters);
  }
  if (!status.ok()) return status;
  if (const json* seed = reader.Find("seed"); seed != nullptr) {
    constexpr absl::string_view kSeedExpectation = "an integer 0..18446744073709551615";
    if (!seed->is_number_integer()) {
      return FieldError("seed", absl::StrCat(Describe(*seed), " is not an integer"),
                        kSeedExpectation);
    }
    if (!seed->is_number_unsigned() && seed->get<int64_t>() < 0) {
      return FieldError("seed", absl::StrCat(Describe(*seed), " is out of range"),
                        kSeedExpectation);
    }
    spec.seed = seed->get<uint64_t>();
  }
  status = reader.String("distribution", false, OneOfText(kDistributions), spec.distribution);
  if (status.ok() && !OneOf(spec.distribution, kDistributions)) {
    return FieldError("distribution",
                      absl::StrCat(json(spec.distribution).dump(), " is not a distribution"),
                      OneOfText(kDistributions));
  }
  return status;
}

// The fields kinds fvecs and hdf5 share. The limits may be 0 (= all).
absl::Status ReadFileLimits(const SpecReader& reader, DatasetSpec& spec) {
  absl::Status status =
      reader.Int("count", 0, kMaxVectors, false,
                 "at most this many base vectors, 0..2147483647 (0 = all)", spec.count);
  if (status.ok()) {
    status = reader.Int("queries", 0, kMaxVectors, false,
                        "at most this many queries, 0..2147483647 (0 = all)", spec.queries);
  }
  if (status.ok()) {
    // Files carry their dimension; a stated one is checked against them at load time.
    status = reader.Int("dim", 1, kMaxVectors, false, "the files' dimension, 1 or more", spec.dim);
  }
  return status;
}

absl::Status ReadFvecsFields(const SpecReader& reader, DatasetSpec& spec) {
  absl::Status status =
      reader.Path("path", true, {".fvecs", ".bvecs"}, kVectorsFileExpectation, spec.path);
  if (status.ok()) {
    status = reader.Path("query_path", true, {".fvecs", ".bvecs"}, kVectorsFileExpectation,
                         spec.query_path);
  }
  if (status.ok()) {
    status = reader.Path("truth_path", false, {".ivecs"}, "an .ivecs file", spec.truth_path);
  }
  // .fvecs files do not say how they are compared, so the metric is required.
  if (status.ok()) status = ReadMetric(reader, true, spec.metric);
  if (status.ok()) status = ReadFileLimits(reader, spec);
  return status;
}

bool IsPayloadFieldName(absl::string_view name) {
  if (name.empty() || name.size() > 64 || !(absl::ascii_islower(name[0]))) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return absl::ascii_isalnum(c) || c == '_'; });
}

// payload: {field, values}
absl::Status ReadPayload(const SpecReader& reader, DatasetSpec& spec) {
  const json* payload = reader.Find("payload");
  if (payload == nullptr) return absl::OkStatus();
  constexpr absl::string_view kExpected = "a mapping {field: <name>, values: <count>}";
  if (!payload->is_object()) {
    return FieldError("payload", absl::StrCat(Describe(*payload), " is not a mapping"), kExpected);
  }
  for (const auto& [key, value] : payload->items()) {
    if (key != "field" && key != "values") {
      return FieldError(absl::StrCat("payload.", key), "unknown key", "one of: field, values");
    }
  }
  SpecReader inner(*payload);
  absl::Status status =
      inner.String("field", true, kPayloadFieldExpectation, spec.payload_field);
  if (status.ok()) {
    status = inner.Int("values", 1, kMaxPayloadValues, true,
                       "the number of distinct values, 1..1000000000", spec.payload_values);
  }
  if (!status.ok()) {  // the inner reader's messages say "dataset.field"; make it the full path
    std::string message(status.message());
    message.replace(0, std::string_view("dataset.").size(), "dataset.payload.");
    return absl::InvalidArgumentError(message);
  }
  if (!IsPayloadFieldName(spec.payload_field)) {
    return FieldError("payload.field", absl::StrCat(json(spec.payload_field).dump(), " is not a field name"),
                      kPayloadFieldExpectation);
  }
  return absl::OkStatus();
}

absl::Status CheckKeys(const json& dataset, const std::string& kind,
                       std::initializer_list<absl::string_view> kind_keys) {
  for (const auto& [key, value] : dataset.items()) {
    if (!OneOf(key, kAllKeys)) {
      return FieldError(key, "unknown key", OneOfText(kAllKeys));
    }
    if (!OneOf(key, kind_keys) && !value.is_null()) {
      return FieldError(key, absl::StrCat("does not apply to kind ", kind),
                        absl::StrCat("for kind ", kind, " ", OneOfText(kind_keys)));
    }
  }
  return absl::OkStatus();
}

// The checks LoadDataset repeats for specs that did not come from ParseDatasetSpec.
absl::Status CheckLoadable(const DatasetSpec& spec) {
  if (spec.kind == "synthetic") {
    if (spec.count < 1 || spec.count > kMaxVectors) {
      return FieldError("count", absl::StrCat(spec.count, " is out of range"), "1..2147483647");
    }
    if (spec.dim < 1 || spec.dim > kMaxSyntheticDim) {
      return FieldError("dim", absl::StrCat(spec.dim, " is out of range"), "1..4096");
    }
    if (spec.queries < 1 || spec.queries > kMaxVectors) {
      return FieldError("queries", absl::StrCat(spec.queries, " is out of range"), "1..2147483647");
    }
    if (spec.distribution != "uniform" && spec.distribution != "normal" &&
        spec.distribution != "clustered") {
      return FieldError("distribution",
                        absl::StrCat(json(spec.distribution).dump(), " is not a distribution"),
                        "one of: uniform, normal, clustered");
    }
    if (spec.clusters < 1) {
      return FieldError("clusters", absl::StrCat(spec.clusters, " is out of range"), "1..1000000");
    }
  } else if (spec.kind != "fvecs" && spec.kind != "hdf5") {
    return FieldError("kind", absl::StrCat(json(spec.kind).dump(), " is not a dataset kind"),
                      "one of: synthetic, fvecs, hdf5");
  } else if (spec.count < 0 || spec.queries < 0) {
    return FieldError(spec.count < 0 ? "count" : "queries",
                      absl::StrCat(std::min(spec.count, spec.queries), " is out of range"),
                      "0..2147483647 (0 = all)");
  }
  if (spec.truth_k < 1) {
    return FieldError("truth_k", absl::StrCat(spec.truth_k, " is out of range"), "1..10000");
  }
  if (!spec.payload_field.empty() &&
      (spec.payload_values < 1 || spec.payload_values > kMaxPayloadValues)) {
    return FieldError("payload.values", absl::StrCat(spec.payload_values, " is out of range"),
                      "1..1000000000");
  }
  return absl::OkStatus();
}

// --- Payload filters ------------------------------------------------------------------------

absl::Status FilterError(const std::string& where, absl::string_view what,
                         absl::string_view expected) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what, "; expected ", expected));
}

absl::StatusOr<int64_t> FilterInt(const json& value, const std::string& where) {
  if (!value.is_number_integer() ||
      (value.is_number_unsigned() &&
       value.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
    return FilterError(where, absl::StrCat(Describe(value), " is not an integer"),
                       "an integer payload value");
  }
  return value.get<int64_t>();
}

// --- Content hash and JSON text -------------------------------------------------------------

void HashInt64(EVP_MD_CTX* context, int64_t value) {
  unsigned char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(uint64_t(value) >> (8 * i));
  EVP_DigestUpdate(context, bytes, sizeof bytes);
}

// SHA-256 over: dim, the metric's name and a NUL, count, query count (little-endian int64s),
// then the raw float bytes of the vectors and of the queries (little-endian IEEE 754; the file
// readers assert a little-endian host).
std::string ContentHash(const FloatMatrix& base, const FloatMatrix& queries, Metric metric) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  &EVP_MD_CTX_free);
  if (context == nullptr) throw std::bad_alloc();
  EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr);
  HashInt64(context.get(), base.dim);
  const std::string metric_name(MetricName(metric));
  EVP_DigestUpdate(context.get(), metric_name.c_str(), metric_name.size() + 1);
  HashInt64(context.get(), base.rows);
  HashInt64(context.get(), queries.rows);
  EVP_DigestUpdate(context.get(), base.data.data(), base.data.size() * sizeof(float));
  EVP_DigestUpdate(context.get(), queries.data.data(), queries.data.size() * sizeof(float));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context.get(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size_t{2} * length);
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

// Every row of `data` as "[a,b,c]" back to back in `text`; row i is text[offsets[i],
// offsets[i+1]). std::to_chars(float) gives the shortest text that reads back to the same float.
void EncodeRows(const FloatMatrix& data, std::string& text, std::vector<uint64_t>& offsets) {
  constexpr size_t kMaxFloatChars = 16;  // "-1.1754944e-38" is the longest shortest form
  std::string row(static_cast<size_t>(data.dim) * (kMaxFloatChars + 1) + 2, '\0');
  text.clear();
  text.reserve(static_cast<size_t>(data.rows) * (static_cast<size_t>(data.dim) * 10 + 2));
  offsets.assign(1, 0);
  offsets.reserve(static_cast<size_t>(data.rows) + 1);
  const float* value = data.data.data();
  for (int64_t r = 0; r < data.rows; ++r) {
    char* out = row.data();
    *out++ = '[';
    for (int j = 0; j < data.dim; ++j) {
      if (j > 0) *out++ = ',';
      out = std::to_chars(out, out + kMaxFloatChars, *value++).ptr;
    }
    *out++ = ']';
    text.append(row.data(), static_cast<size_t>(out - row.data()));
    offsets.push_back(text.size());
  }
  text.shrink_to_fit();
}

}  // namespace

std::string_view MetricName(Metric m) {
  switch (m) {
    case Metric::kCosine:
      return "cosine";
    case Metric::kL2:
      return "l2";
    case Metric::kDot:
      return "dot";
  }
  return "unknown";
}

int64_t PayloadValue(int64_t id, int64_t values) {
  if (values <= 0) return 0;
  uint64_t z = static_cast<uint64_t>(id) + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<int64_t>(z % static_cast<uint64_t>(values));
}

bool PayloadFilter::Matches(int64_t value) const {
  switch (kind()) {
    case Kind::kEq:
      return value == *eq;
    case Kind::kIn:
      return std::find(in.begin(), in.end(), value) != in.end();
    case Kind::kRange:
      return (!gt || value > *gt) && (!gte || value >= *gte) && (!lt || value < *lt) &&
             (!lte || value <= *lte);
  }
  return false;
}

std::string PayloadFilter::Key() const {
  std::string key = field;
  switch (kind()) {
    case Kind::kEq:
      absl::StrAppend(&key, " eq ", *eq);
      break;
    case Kind::kIn: {
      std::vector<int64_t> sorted = in;
      std::sort(sorted.begin(), sorted.end());
      absl::StrAppend(&key, " in ", absl::StrJoin(sorted, ","));
      break;
    }
    case Kind::kRange:
      if (gt) absl::StrAppend(&key, " gt ", *gt);
      if (gte) absl::StrAppend(&key, " gte ", *gte);
      if (lt) absl::StrAppend(&key, " lt ", *lt);
      if (lte) absl::StrAppend(&key, " lte ", *lte);
      break;
  }
  return key;
}

absl::StatusOr<PayloadFilter> ParsePayloadFilter(const nlohmann::json& filter,
                                                 const std::string& path) {
  constexpr absl::string_view kExpected =
      "a mapping {field, eq: <int>} or {field, in: [<int>, ...]} or {field, gt/gte/lt/lte: <int>}";
  if (!filter.is_object()) {
    return FilterError(path, absl::StrCat(Describe(filter), " is not a mapping"), kExpected);
  }
  PayloadFilter out;
  out.path = path;
  const auto at = [&](absl::string_view key) { return absl::StrCat(path, ".", key); };
  int conditions = 0;
  bool range = false;
  for (const auto& [key, value] : filter.items()) {
    if (key == "field") {
      if (!value.is_string() || !IsPayloadFieldName(value.get<std::string>())) {
        return FilterError(at(key), absl::StrCat(Describe(value), " is not a field name"),
                           "the dataset's payload field (dataset.payload.field)");
      }
      out.field = value.get<std::string>();
    } else if (key == "eq") {
      auto v = FilterInt(value, at(key));
      if (!v.ok()) return v.status();
      out.eq = *v;
      ++conditions;
    } else if (key == "in") {
      if (!value.is_array() || value.empty()) {
        return FilterError(at(key),
                           value.is_array() ? "is empty"
                                            : absl::StrCat(Describe(value), " is not a list"),
                           "a non-empty list of integer payload values");
      }
      for (size_t i = 0; i < value.size(); ++i) {
        const std::string item = absl::StrCat(at(key), "[", i, "]");
        auto v = FilterInt(value[i], item);
        if (!v.ok()) return v.status();
        if (std::find(out.in.begin(), out.in.end(), *v) != out.in.end()) {
          // Qdrant's MatchAny requires unique values (AnyVariants: uniqueItems).
          return FilterError(item, absl::StrCat(*v, " is listed twice"), "distinct values");
        }
        out.in.push_back(*v);
      }
      ++conditions;
    } else if (key == "gt" || key == "gte" || key == "lt" || key == "lte") {
      auto v = FilterInt(value, at(key));
      if (!v.ok()) return v.status();
      (key == "gt" ? out.gt : key == "gte" ? out.gte : key == "lt" ? out.lt : out.lte) = *v;
      if (!range) ++conditions;
      range = true;
    } else {
      return FilterError(at(key), "unknown key", "one of: field, eq, in, gt, gte, lt, lte");
    }
  }
  if (out.field.empty()) return FilterError(at("field"), "is missing", "the payload field to filter on");
  if (conditions != 1) {
    return FilterError(path, conditions == 0 ? "has no condition" : "has more than one kind of condition",
                       "exactly one of: eq, in, or range bounds (gt, gte, lt, lte)");
  }
  return out;
}

absl::Status CheckFilterField(const nlohmann::json& dataset, const PayloadFilter& filter) {
  const std::string where = filter.path + ".field";
  if (dataset.is_null()) {
    return FilterError(where, absl::StrCat(json(filter.field).dump(), ": the job has no dataset"),
                       "a dataset with a payload {field, values} to filter on");
  }
  const json* field = nullptr;
  if (dataset.is_object()) {
    auto payload = dataset.find("payload");
    if (payload != dataset.end() && payload->is_object()) {
      auto it = payload->find("field");
      if (it != payload->end() && it->is_string()) field = &*it;
    }
  }
  if (field == nullptr) {
    return FilterError(where,
                       absl::StrCat(json(filter.field).dump(), ": the dataset has no payload"),
                       "dataset.payload {field, values} naming this field");
  }
  if (field->get<std::string>() != filter.field) {
    return FilterError(where,
                       absl::StrCat(json(filter.field).dump(), " is not the dataset's payload field"),
                       field->get<std::string>() + " (dataset.payload.field)");
  }
  return absl::OkStatus();
}

absl::StatusOr<DatasetSpec> ParseDatasetSpec(const nlohmann::json& dataset) {
  if (!dataset.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dataset: ", Describe(dataset), " is not a mapping; expected a dataset mapping"));
  }
  DatasetSpec spec;
  SpecReader reader(dataset);
  absl::Status status = reader.String("kind", false, OneOfText(kKinds), spec.kind);
  if (status.ok() && !OneOf(spec.kind, kKinds)) {
    status = FieldError("kind", absl::StrCat(json(spec.kind).dump(), " is not a dataset kind"),
                        OneOfText(kKinds));
  }
  if (!status.ok()) {
    // An unknown key is the likelier mistake to report first (a misspelt `kind` is one).
    absl::Status keys = CheckKeys(dataset, spec.kind, kAllKeys);
    return keys.ok() ? status : keys;
  }
  const bool synthetic = spec.kind == "synthetic";
  status = CheckKeys(dataset, spec.kind,
                     synthetic              ? kSyntheticKeys
                     : spec.kind == "fvecs" ? kFvecsKeys
                                            : kHdf5Keys);
  if (status.ok()) {
    status = reader.Int("truth_k", 1, kMaxTruthK, false, "1..10000", spec.truth_k);
  }
  if (status.ok()) status = ReadPayload(reader, spec);
  if (status.ok()) {
    if (synthetic) {
      status = ReadSyntheticFields(reader, spec);
    } else if (spec.kind == "fvecs") {
      status = ReadFvecsFields(reader, spec);
    } else {
      status = reader.String("path", true, "an ann-benchmarks HDF5 file", spec.path);
      if (status.ok()) status = ReadFileLimits(reader, spec);
    }
  }
  if (!status.ok()) return status;
  return spec;
}

std::span<const float> Dataset::vector(int64_t i) const {
  return {vectors_.data() + i * dim_, static_cast<size_t>(dim_)};
}
std::span<const float> Dataset::query(int64_t q) const {
  return {queries_.data() + q * dim_, static_cast<size_t>(dim_)};
}
std::span<const int32_t> Dataset::truth(int64_t q) const {
  return {truth_.data() + q * truth_k_, static_cast<size_t>(truth_k_)};
}
Dataset::FilteredRows Dataset::FilterTruth(const PayloadFilter& filter) const {
  FilteredRows rows;
  auto it = filtered_truth_.find(filter.Key());
  if (it != filtered_truth_.end()) {
    rows.ids_ = it->second.ids.data();
    rows.k_ = truth_k_;
  }
  return rows;
}
std::span<const int32_t> Dataset::FilteredRows::row(int64_t q) const {
  const int32_t* row = ids_ + q * k_;
  size_t n = 0;
  while (n < static_cast<size_t>(k_) && row[n] >= 0) ++n;
  return {row, n};
}
std::span<const int32_t> Dataset::truth(int64_t q, const PayloadFilter& filter) const {
  const FilteredRows rows = FilterTruth(filter);
  return rows.computed() ? rows.row(q) : std::span<const int32_t>();
}
bool Dataset::has_truth(const PayloadFilter& filter) const {
  return FilterTruth(filter).computed();
}
std::string_view Dataset::vector_json(int64_t i) const {
  return std::string_view(vector_text_)
      .substr(vector_offsets_[i], vector_offsets_[i + 1] - vector_offsets_[i]);
}
std::string_view Dataset::query_json(int64_t q) const {
  return std::string_view(query_text_)
      .substr(query_offsets_[q], query_offsets_[q + 1] - query_offsets_[q]);
}

nlohmann::json Dataset::Identity() const {
  json identity = {{"kind", spec_.kind}, {"metric", std::string(MetricName(metric_))}};
  if (spec_.kind == "synthetic") {
    identity["seed"] = spec_.seed;
    identity["distribution"] = spec_.distribution;
    if (spec_.distribution == "clustered") identity["clusters"] = spec_.clusters;
  } else {
    identity["path"] = spec_.path;
    if (!spec_.query_path.empty()) identity["query_path"] = spec_.query_path;
    if (!spec_.truth_path.empty()) identity["truth_path"] = spec_.truth_path;
    if (spec_.count > 0) identity["count_limit"] = spec_.count;
    if (spec_.queries > 0) identity["queries_limit"] = spec_.queries;
  }
  identity["count"] = count_;
  identity["dim"] = dim_;
  identity["queries"] = query_count_;
  identity["truth_k"] = truth_k_;
  identity["content_hash"] = content_hash_;
  identity["truth_source"] = truth_source_;
  if (!spec_.payload_field.empty()) {
    identity["payload"] = {{"field", spec_.payload_field}, {"values", spec_.payload_values}};
  }
  if (!filtered_truth_.empty()) {
    json filters = json::array();
    for (const auto& [key, truth] : filtered_truth_) {
      filters.push_back({{"filter", key}, {"source", truth.source}});
    }
    identity["filtered_truth"] = filters;
  }
  return identity;
}

absl::StatusOr<std::shared_ptr<const Dataset>> LoadDataset(
    const DatasetSpec& spec, const std::string& cache_dir, int threads,
    std::span<const PayloadFilter> filters) {
  if (absl::Status status = CheckLoadable(spec); !status.ok()) return status;
  for (const PayloadFilter& filter : filters) {
    if (filter.field != spec.payload_field) {
      return FilterError(filter.path + ".field",
                         spec.payload_field.empty()
                             ? absl::StrCat(json(filter.field).dump(), ": the dataset has no payload")
                             : absl::StrCat(json(filter.field).dump(),
                                            " is not the dataset's payload field"),
                         spec.payload_field.empty() ? "dataset.payload {field, values}"
                                                    : spec.payload_field);
    }
  }
  try {
    absl::StatusOr<SourceData> source = spec.kind == "synthetic"
                                            ? dataset_internal::GenerateSynthetic(spec)
                                            : dataset_internal::LoadFileSource(spec);
    if (!source.ok()) return source.status();
    auto data = std::make_shared<Dataset>();
    data->spec_ = spec;
    data->spec_.metric = source->metric;
    data->metric_ = source->metric;
    data->count_ = source->base.rows;
    data->dim_ = source->base.dim;
    data->query_count_ = source->queries.rows;
    data->content_hash_ = ContentHash(source->base, source->queries, source->metric);
    dataset_internal::TruthResult truth =
        dataset_internal::ResolveTruth(spec, *source, data->content_hash_, cache_dir, threads);
    data->truth_k_ = truth.truth.dim;
    data->truth_ = std::move(truth.truth.data);
    data->truth_source_ = std::move(truth.source);
    for (const PayloadFilter& filter : filters) {
      std::string key = filter.Key();
      if (data->filtered_truth_.count(key) != 0) continue;
      std::vector<uint8_t> allowed(static_cast<size_t>(source->base.rows));
      for (int64_t i = 0; i < source->base.rows; ++i) {
        allowed[i] = filter.Matches(PayloadValue(i, spec.payload_values)) ? 1 : 0;
      }
      dataset_internal::TruthResult truth = dataset_internal::ResolveFilteredTruth(
          spec, *source, data->content_hash_, cache_dir, threads, data->truth_k_,
          absl::StrCat(key, " of ", spec.payload_values), allowed);
      data->filtered_truth_.emplace(
          std::move(key), Dataset::FilteredTruth{std::move(truth.truth.data), truth.source});
    }
    EncodeRows(source->base, data->vector_text_, data->vector_offsets_);
    EncodeRows(source->queries, data->query_text_, data->query_offsets_);
    data->vectors_ = std::move(source->base.data);
    data->queries_ = std::move(source->queries.data);
    return std::shared_ptr<const Dataset>(std::move(data));
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(absl::StrCat("dataset: not enough memory to load ",
                                                     spec.kind, " dataset",
                                                     spec.path.empty() ? "" : " ", spec.path));
  }
}

}  // namespace vexbench
