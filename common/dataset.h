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
// Ground truth missing from the files is computed exactly (multi-threaded) and cached on disk
// beside the dataset (synthetic: in the cache directory), keyed by the dataset's content hash.
//
// A Dataset is immutable after loading and shared read-only by every engine thread.
#ifndef VEXBENCH_COMMON_DATASET_H_
#define VEXBENCH_COMMON_DATASET_H_

#include <cstdint>
#include <memory>
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
};

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

  // "[0.1,-2.5e-07,...]": the shortest text that reads back to the same float, built at load.
  std::string_view vector_json(int64_t i) const;
  std::string_view query_json(int64_t q) const;

  // Hex digest of the dimensions, metric and every vector and query (SHA-256).
  const std::string& content_hash() const { return content_hash_; }
  // What a report records: kind, parameters, counts and the content hash.
  nlohmann::json Identity() const;

 private:
  friend absl::StatusOr<std::shared_ptr<const Dataset>> LoadDataset(const DatasetSpec&,
                                                                    const std::string&, int);
  DatasetSpec spec_;
  int64_t count_ = 0;
  int dim_ = 0;
  int64_t query_count_ = 0;
  Metric metric_ = Metric::kCosine;
  std::vector<float> vectors_;  // count x dim
  std::vector<float> queries_;  // query_count x dim
  std::vector<int32_t> truth_;  // query_count x truth_k
  int truth_k_ = 0;
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
// directory is writable. `threads`: for the exact search (0 = one per core).
absl::StatusOr<std::shared_ptr<const Dataset>> LoadDataset(const DatasetSpec& spec,
                                                           const std::string& cache_dir,
                                                           int threads = 0);

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
// ties broken by the lower id. Multi-threaded over queries.
IntMatrix ExactNeighbors(const FloatMatrix& base, const FloatMatrix& queries, int k,
                         Metric metric, int threads = 0);

// Recall@k of one answer: |found[:k] ∩ truth[:k]| / k. Duplicate ids in `found` count once.
double RecallAtK(std::span<const int64_t> found, std::span<const int32_t> truth, int k);

}  // namespace vexbench

#endif  // VEXBENCH_COMMON_DATASET_H_
