// Internal to the dataset code; not for use outside common/dataset*.cc.
//
// The dataset code is four files:
//   dataset.cc            ParseDatasetSpec, LoadDataset, the content hash and the JSON text
//   dataset_synthetic.cc  seeded generation of synthetic datasets
//   dataset_files.cc      .fvecs/.bvecs/.ivecs and ann-benchmarks HDF5 files
//   dataset_truth.cc      exact search, the ground truth cache, RecallAtK
#ifndef VEXBENCH_COMMON_DATASET_INTERNAL_H_
#define VEXBENCH_COMMON_DATASET_INTERNAL_H_

#include <optional>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/dataset.h"

namespace vexbench::dataset_internal {

// Base vectors are addressed by int32 ids in the ground truth.
inline constexpr int64_t kMaxVectors = 2'147'483'647;
inline constexpr int kMaxSyntheticDim = 4096;

// What a dataset source yields before the ground truth is settled.
struct SourceData {
  FloatMatrix base;
  FloatMatrix queries;
  Metric metric = Metric::kCosine;
  // Ground truth from the files, when they have it and it is valid for `base`: exactly
  // queries.rows rows, every id in [0, base.rows).
  std::optional<IntMatrix> truth;
};

// The synthetic dataset `spec` describes. REQUIRES: spec passed ParseDatasetSpec, kind synthetic.
SourceData GenerateSynthetic(const DatasetSpec& spec);

// Reads an fvecs or hdf5 dataset: checks that the files exist, applies the count and queries
// limits, rejects NaN and infinite values, and keeps the files' ground truth only when the
// count limit did not cut the base set. REQUIRES: spec passed ParseDatasetSpec.
absl::StatusOr<SourceData> LoadFileSource(const DatasetSpec& spec);

// The ann-benchmarks HDF5 file at `path`: "train" (at most `count_limit` rows, 0 = all), "test"
// (at most `query_limit` rows), "neighbors" (absent when the file has none; its first
// test.rows rows), the "distance" attribute as a metric, and whether the limit cut "train".
struct Hdf5Contents {
  FloatMatrix train;
  FloatMatrix test;
  std::optional<IntMatrix> neighbors;
  Metric metric = Metric::kCosine;
  bool train_cut = false;
};
// Thread-safe (the HDF5 library is not; calls are serialized). Errors name the file and the
// dataset or attribute.
absl::StatusOr<Hdf5Contents> ReadAnnHdf5(const std::string& path, int64_t count_limit,
                                         int64_t query_limit);

struct TruthResult {
  IntMatrix truth;
  std::string source;  // "file", "computed" or "cache"
};
// The ground truth of `data`: the files' own when present (k = min(truth_k, its width)), else a
// cached copy keyed by `content_hash`, else ExactNeighbors (then cached). A cache that cannot
// be read or written is skipped, never an error. `cache_dir` "" disables the cache of
// synthetic datasets and the fallback of file datasets whose directory is not writable.
TruthResult ResolveTruth(const DatasetSpec& spec, const SourceData& data,
                         const std::string& content_hash, const std::string& cache_dir,
                         int threads);

// The exact ground truth (k per query, rows padded with -1) among the base vectors whose
// `allowed` entry is non-zero, cached like ResolveTruth's under a name that adds a digest of
// `filter_key` (the filter's Key() and the payload's value count). Source "computed" or "cache".
TruthResult ResolveFilteredTruth(const DatasetSpec& spec, const SourceData& data,
                               const std::string& content_hash, const std::string& cache_dir,
                               int threads, int k, const std::string& filter_key,
                               std::span<const uint8_t> allowed);

}  // namespace vexbench::dataset_internal

#endif  // VEXBENCH_COMMON_DATASET_INTERNAL_H_
