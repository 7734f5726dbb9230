// Datasets of vector jobs: the base vectors to insert, the query vectors, the exact ground
// truth of the queries, and each vector's JSON text encoded once (requests are assembled from
// those pieces, never re-formatted per request).
//
// Kinds (the job spec's `dataset`):
//   {kind: synthetic, count, dim, queries, metric, seed, distribution: uniform|normal|clustered,
//    clusters}                      seeded; the same parameters give the same vectors anywhere
//   {kind: fvecs, path, query_path, [truth_path], [count], [queries], metric}
//                                   .fvecs/.bvecs base and queries, .ivecs ground truth
//   {kind: hdf5, path, [count], [queries]}
//                                   ann-benchmarks HDF5: train, test, neighbors, distances and the
//                                   "distance" attribute (angular -> cosine, euclidean -> l2)
// Every kind may add `payload: {field, values}`: each base vector i then carries the integer
// payload field `field` with the value PayloadValue(i, values) (0..values-1), which inserts send
// to the target and filtered queries (PayloadFilter) select on.
// Ground truth missing from the files is computed exactly (multi-threaded) and cached on disk
// beside the dataset (synthetic: in the cache directory), keyed by the dataset's content hash;
// so is the exact ground truth of every filter the job's phases use (keyed by the filter too).
//
// A Dataset is immutable after loading and shared read-only by every engine thread.
#ifndef VEXBENCH_COMMON_DATASET_H_
#define VEXBENCH_COMMON_DATASET_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace vexbench {

enum class Metric { kCosine, kL2, kDot };
std::string_view MetricName(Metric m);  // "cosine", "l2", "dot"

struct DatasetSpec {
  std::string kind = "synthetic";  // synthetic | fvecs | hdf5
  int64_t count = 0;               // base vectors (files: at most this many; 0 = all)
  int dim = 0;                     // synthetic only (files carry it)
  int64_t queries = 100;           // query vectors (files: at most this many; 0 = all)
  Metric metric = Metric::kCosine;
  uint64_t seed = 1;
  std::string distribution = "uniform";  // uniform | normal | clustered
  int clusters = 16;
  std::string path;        // fvecs/bvecs base file, or the HDF5 file
  std::string query_path;  // fvecs/bvecs queries
  std::string truth_path;  // ivecs ground truth (optional)
  int truth_k = 100;       // neighbours kept per query in the ground truth
  std::string payload_field;   // "" = the vectors carry no payload
  int64_t payload_values = 0;  // the payload's values are 0..payload_values-1
};

// The payload value of base vector `id` among `values` (>= 1) values: SplitMix64(id) mod
// values, where SplitMix64 is the finalizer of Steele, Lea and Flood's generator applied to
// id + 0x9e3779b97f4a7c15. Deterministic, uncorrelated with the id's order, the same for every
// dataset kind.
int64_t PayloadValue(int64_t id, int64_t values);

// A condition on the integer payload field of a filtered query (the job spec's
// `phases[].filter`): exactly one of eq, in, or a range of gt/gte/lt/lte bounds.
struct PayloadFilter {
  std::string field;
  std::optional<int64_t> eq;
  std::vector<int64_t> in;  // non-empty: the value is one of these
  std::optional<int64_t> gt, gte, lt, lte;
  std::string path;  // "phases[2].filter", for messages

  enum class Kind { kEq, kIn, kRange };
  Kind kind() const { return eq ? Kind::kEq : !in.empty() ? Kind::kIn : Kind::kRange; }
  bool Matches(int64_t value) const;
  // Canonical text: "category eq 3", "category in 1,2,5", "category gte 2 lt 5". Equal
  // filters have equal keys (it keys the filtered ground truth).
  std::string Key() const;
};

// Reads `filter` ({field, eq} | {field, in: [..]} | {field, gt/gte/lt/lte...}); `path` names
// it in messages ("phases[2].filter.eq: ...").
absl::StatusOr<PayloadFilter> ParsePayloadFilter(const nlohmann::json& filter,
                                                 const std::string& path);

// Checks that `filter` selects on the payload field of the job's `dataset` mapping (null: the
// job has none). The error names the filter's field and what was expected.
absl::Status CheckFilterField(const nlohmann::json& dataset, const PayloadFilter& filter);

// Reads the job spec's `dataset` mapping. Errors name the field ("dataset.dim: ...").
// REQUIRES: `dataset` is an object.
absl::StatusOr<DatasetSpec> ParseDatasetSpec(const nlohmann::json& dataset);

class Dataset {
 public:
  int64_t count() const { return count_; }
  int dim() const { return dim_; }
  int64_t query_count() const { return query_count_; }
  Metric metric() const { return metric_; }

  std::span<const float> vector(int64_t i) const;  // REQUIRES: 0 <= i < count()
  std::span<const float> query(int64_t q) const;   // REQUIRES: 0 <= q < query_count()
  // The ids (0-based base indices) of the truth_k() nearest base vectors of query q, nearest
  // first.
  std::span<const int32_t> truth(int64_t q) const;
  int truth_k() const { return truth_k_; }
  // The same among the base vectors `filter` selects (fewer than truth_k() when fewer match).
  // Empty when LoadDataset was not given this filter (recall is then not judged).
  std::span<const int32_t> truth(int64_t q, const PayloadFilter& filter) const;
  // Whether LoadDataset computed the ground truth of `filter`.
  bool has_truth(const PayloadFilter& filter) const;

  // The ground truth of one filter, looked up once (FilterTruth()) so that judging each answer
  // needs no lookup: adapters resolve it when a phase starts. Empty (computed() false) when
  // LoadDataset was not given the filter. Valid while the Dataset lives.
  class FilteredRows {
   public:
    bool computed() const { return ids_ != nullptr; }
    // Query q's ids among the vectors the filter selects, nearest first (fewer than truth_k()
    // when fewer match). REQUIRES: computed().
    std::span<const int32_t> row(int64_t q) const;

   private:
    friend class Dataset;
    const int32_t* ids_ = nullptr;
    int k_ = 0;
  };
  FilteredRows FilterTruth(const PayloadFilter& filter) const;

  // The payload field ("" = none) and base vector i's value of it.
  const std::string& payload_field() const { return spec_.payload_field; }
  int64_t payload(int64_t i) const { return PayloadValue(i, spec_.payload_values); }

  // "[0.1,-2.5e-07,...]": the shortest text that reads back to the same float, built at load.
  std::string_view vector_json(int64_t i) const;
  std::string_view query_json(int64_t q) const;

  // Hex digest of the dimensions, metric and every vector and query (SHA-256).
  const std::string& content_hash() const { return content_hash_; }
  // What a report records: kind, parameters, counts and the content hash; with a payload also
  // payload {field, values} and filtered_truth [{filter: Key(), source: computed|cache}].
  nlohmann::json Identity() const;

 private:
  friend absl::StatusOr<std::shared_ptr<const Dataset>> LoadDataset(
      const DatasetSpec&, const std::string&, int, std::span<const PayloadFilter>);
  DatasetSpec spec_;
  int64_t count_ = 0;
  int dim_ = 0;
  int64_t query_count_ = 0;
  Metric metric_ = Metric::kCosine;
  std::vector<float> vectors_;  // count x dim
  std::vector<float> queries_;  // query_count x dim
  std::vector<int32_t> truth_;  // query_count x truth_k
  int truth_k_ = 0;
  struct FilteredTruth {
    std::vector<int32_t> ids;  // query_count x truth_k, each row padded with -1 after its matches
    std::string source;        // "computed" or "cache"
  };
  std::map<std::string, FilteredTruth, std::less<>> filtered_truth_;  // by PayloadFilter::Key()
  std::string vector_text_;               // every vector's JSON, back to back
  std::vector<uint64_t> vector_offsets_;  // count + 1 offsets into vector_text_
  std::string query_text_;
  std::vector<uint64_t> query_offsets_;
  std::string content_hash_;
  std::string truth_source_;  // "file", "computed" or "cache" (for Identity())
};

// Loads (or generates) the dataset, reads or computes its ground truth, encodes the JSON.
// `cache_dir`: where computed ground truth of synthetic datasets is cached ("" = no cache);
// for file datasets it goes beside the base file (<path>.truth-<hash>-<k>.ivecs) when that
// directory is writable. `threads`: for the exact search (0 = one per core). `filters`: the
// filters whose exact ground truth is also computed (or read from the same cache); each must
// select on the spec's payload field.
absl::StatusOr<std::shared_ptr<const Dataset>> LoadDataset(
    const DatasetSpec& spec, const std::string& cache_dir, int threads = 0,
    std::span<const PayloadFilter> filters = {});

// File readers (exposed for tests and tools). `limit` 0 reads every vector.
struct FloatMatrix {
  int64_t rows = 0;
  int dim = 0;
  std::vector<float> data;
};
struct IntMatrix {
  int64_t rows = 0;
  int dim = 0;
  std::vector<int32_t> data;
};
absl::StatusOr<FloatMatrix> ReadFvecs(const std::string& path, int64_t limit = 0);
absl::StatusOr<FloatMatrix> ReadBvecs(const std::string& path, int64_t limit = 0);
absl::StatusOr<IntMatrix> ReadIvecs(const std::string& path, int64_t limit = 0);
absl::Status WriteIvecs(const std::string& path, const IntMatrix& m);

// Exact k nearest neighbours of each query among `base` (ids = row indices), nearest first;
// ties broken by the lower id. Multi-threaded over queries. `allowed` (when not empty: one
// entry per base row) limits the search to rows whose entry is non-zero; rows of the answer
// with fewer than k such neighbours are padded with -1.
IntMatrix ExactNeighbors(const FloatMatrix& base, const FloatMatrix& queries, int k,
                         Metric metric, int threads = 0, std::span<const uint8_t> allowed = {});

// Recall@k of one answer: |found[:k] ∩ truth[:k]| / k. Duplicate ids in `found` count once.
double RecallAtK(std::span<const int64_t> found, std::span<const int32_t> truth, int k);

}  // namespace vexbench

#endif  // VEXBENCH_COMMON_DATASET_H_
