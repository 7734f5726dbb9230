// Exact ground truth, its on-disk cache, and recall (common/dataset.h).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <optional>
#include <cstdio>
#include <random>
#include <span>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/dataset.h"
#include "common/dataset_internal.h"

namespace vexbench {
namespace {

// --- Exact search ---------------------------------------------------------------------------

// Sums are taken in double with four interleaved accumulators: in a fixed order (the results
// are the same on every run and thread count) and fast enough without -ffast-math.
double Dot(const float* a, const float* b, int dim) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int j = 0;
  for (; j + 4 <= dim; j += 4) {
    s0 += double{a[j]} * b[j];
    s1 += double{a[j + 1]} * b[j + 1];
    s2 += double{a[j + 2]} * b[j + 2];
    s3 += double{a[j + 3]} * b[j + 3];
  }
  for (; j < dim; ++j) s0 += double{a[j]} * b[j];
  return (s0 + s1) + (s2 + s3);
}

double SquaredL2(const float* a, const float* b, int dim) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int j = 0;
  for (; j + 4 <= dim; j += 4) {
    const double d0 = double{a[j]} - b[j], d1 = double{a[j + 1]} - b[j + 1];
    const double d2 = double{a[j + 2]} - b[j + 2], d3 = double{a[j + 3]} - b[j + 3];
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  for (; j < dim; ++j) s0 += (double{a[j]} - b[j]) * (double{a[j]} - b[j]);
  return (s0 + s1) + (s2 + s3);
}

// The norm used by the cosine distance; a zero vector counts as norm 1 (distance 1 to all).
double CosineNorm(const float* a, int dim) {
  const double norm = std::sqrt(Dot(a, a, dim));
  return norm == 0 ? 1.0 : norm;
}

struct Candidate {
  double distance;
  int32_t id;
  // Nearer first; equal distances by the lower id.
  bool operator<(const Candidate& other) const {
    return distance != other.distance ? distance < other.distance : id < other.id;
  }
};

// The k nearest base vectors of `query` into `out` (k ids, nearest first). `heap` is scratch.
// Rows whose `allowed` entry is zero are skipped (`allowed` empty: none); fewer than k
// candidates leave -1 in the rest of `out`.
template <Metric kMetric>
void NearestOf(const float* query, const FloatMatrix& base, const std::vector<double>& base_norms,
               int k, std::span<const uint8_t> allowed, std::vector<Candidate>& heap,
               int32_t* out) {
  const int dim = base.dim;
  const double query_norm = kMetric == Metric::kCosine ? CosineNorm(query, dim) : 1.0;
  heap.clear();
  for (int64_t i = 0; i < base.rows; ++i) {
    if (!allowed.empty() && allowed[i] == 0) continue;
    const float* vector = base.data.data() + i * dim;
    double distance;
    if constexpr (kMetric == Metric::kL2) {
      distance = SquaredL2(query, vector, dim);
    } else if constexpr (kMetric == Metric::kDot) {
      distance = -Dot(query, vector, dim);
    } else {
      distance = 1.0 - Dot(query, vector, dim) / (query_norm * base_norms[i]);
    }
    // Max-heap of the k best so far; ids arrive in increasing order, so an equal distance never
    // displaces an earlier (lower) id.
    const Candidate candidate{distance, static_cast<int32_t>(i)};
    if (static_cast<int>(heap.size()) < k) {
      heap.push_back(candidate);
      std::push_heap(heap.begin(), heap.end());
    } else if (candidate < heap.front()) {
      std::pop_heap(heap.begin(), heap.end());
      heap.back() = candidate;
      std::push_heap(heap.begin(), heap.end());
    }
  }
  std::sort_heap(heap.begin(), heap.end());
  for (int j = 0; j < k; ++j) out[j] = j < static_cast<int>(heap.size()) ? heap[j].id : -1;
}

template <Metric kMetric>
void SearchAll(const FloatMatrix& base, const FloatMatrix& queries, int k, int threads,
               std::span<const uint8_t> allowed, IntMatrix& out) {
  std::vector<double> base_norms;
  if constexpr (kMetric == Metric::kCosine) {
    base_norms.resize(base.rows);
    for (int64_t i = 0; i < base.rows; ++i) {
      base_norms[i] = CosineNorm(base.data.data() + i * base.dim, base.dim);
    }
  }
  // Each thread takes the next query; rows of `out` are disjoint, so nothing else is shared.
  std::atomic<int64_t> next{0};
  auto work = [&] {
    std::vector<Candidate> heap;
    heap.reserve(k);
    for (int64_t q; (q = next.fetch_add(1, std::memory_order_relaxed)) < queries.rows;) {
      NearestOf<kMetric>(queries.data.data() + q * queries.dim, base, base_norms, k, allowed,
                         heap, out.data.data() + q * k);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& thread : pool) thread.join();
}

// --- Cache ----------------------------------------------------------------------------------

// A cached truth of the right shape, or nothing. `padded`: -1 entries are valid (filtered
// truth).
std::optional<IntMatrix> ReadCached(const std::string& path, int64_t rows, int k,
                                    int64_t base_rows, bool padded = false) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return std::nullopt;
  absl::StatusOr<IntMatrix> cached = ReadIvecs(path);
  if (!cached.ok() || cached->rows != rows || cached->dim != k) return std::nullopt;
  for (int32_t id : cached->data) {
    if (id < (padded ? -1 : 0) || id >= base_rows) return std::nullopt;
  }
  return std::move(*cached);
}

// Writes through a temporary name and a rename, so that a reader (another agent loading the
// same dataset) never sees half a file. Failures are ignored: the cache only saves time.
void WriteCached(const std::string& path, const IntMatrix& truth) {
  std::error_code error;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), error);
  const std::string temporary = absl::StrCat(path, ".tmp-", getpid(), "-", std::random_device{}());
  if (WriteIvecs(temporary, truth).ok()) {
    std::filesystem::rename(temporary, path, error);
    if (!error) return;
  }
  std::filesystem::remove(temporary, error);
}

bool DirectoryWritable(const std::string& file) {
  const std::filesystem::path directory = std::filesystem::path(file).parent_path();
  return access(directory.empty() ? "." : directory.c_str(), W_OK) == 0;
}

// The first `k` columns of `truth`'s first `rows` rows.
IntMatrix Narrow(const IntMatrix& truth, int64_t rows, int k) {
  IntMatrix out;
  out.rows = rows;
  out.dim = k;
  out.data.reserve(static_cast<size_t>(rows) * k);
  for (int64_t r = 0; r < rows; ++r) {
    const int32_t* row = truth.data.data() + r * truth.dim;
    out.data.insert(out.data.end(), row, row + k);
  }
  return out;
}

}  // namespace

IntMatrix ExactNeighbors(const FloatMatrix& base, const FloatMatrix& queries, int k, Metric metric,
                         int threads, std::span<const uint8_t> allowed) {
  IntMatrix out;
  // Queries of another dimension than the base have no neighbours (a precondition LoadDataset
  // checks).
  if (base.dim != queries.dim) return out;
  if (!allowed.empty() && static_cast<int64_t>(allowed.size()) != base.rows) return out;
  k = static_cast<int>(std::clamp<int64_t>(k, 0, base.rows));
  out.rows = queries.rows;
  out.dim = k;
  out.data.assign(static_cast<size_t>(queries.rows) * k, 0);
  if (k == 0 || queries.rows == 0) return out;
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::min<int64_t>(threads, queries.rows));
  switch (metric) {
    case Metric::kCosine:
      SearchAll<Metric::kCosine>(base, queries, k, threads, allowed, out);
      break;
    case Metric::kL2:
      SearchAll<Metric::kL2>(base, queries, k, threads, allowed, out);
      break;
    case Metric::kDot:
      SearchAll<Metric::kDot>(base, queries, k, threads, allowed, out);
      break;
  }
  return out;
}

double RecallAtK(std::span<const int64_t> found, std::span<const int32_t> truth, int k) {
  if (k <= 0) return 0.0;
  std::span<const int32_t> top = truth.first(std::min<size_t>(truth.size(), k));
  std::vector<int32_t> expected(top.begin(), top.end());
  std::sort(expected.begin(), expected.end());
  std::vector<bool> matched(expected.size(), false);
  int hits = 0;
  for (size_t i = 0; i < found.size() && i < static_cast<size_t>(k); ++i) {
    auto it = std::lower_bound(expected.begin(), expected.end(), found[i]);
    if (it == expected.end() || *it != found[i]) continue;
    const size_t index = static_cast<size_t>(it - expected.begin());
    if (!matched[index]) {  // a duplicate id in `found` counts once
      matched[index] = true;
      ++hits;
    }
  }
  return static_cast<double>(hits) / k;
}

namespace dataset_internal {

TruthResult ResolveTruth(const DatasetSpec& spec, const SourceData& data,
                         const std::string& content_hash, const std::string& cache_dir,
                         int threads) {
  if (data.truth.has_value()) {
    const int k = std::min(spec.truth_k, data.truth->dim);
    return {Narrow(*data.truth, data.queries.rows, k), "file"};
  }
  const int k = static_cast<int>(std::min<int64_t>(spec.truth_k, data.base.rows));
  // The content hash covers the metric, dimensions and every value, so it keys the cache.
  const std::string shared_name =
      absl::StrCat(content_hash, "-", std::string(MetricName(data.metric)), "-", k, ".ivecs");
  const std::string shared =
      cache_dir.empty() ? "" : (std::filesystem::path(cache_dir) / shared_name).string();
  std::vector<std::string> candidates;
  std::string target = shared;
  if (spec.kind != "synthetic") {
    const std::string beside = absl::StrCat(spec.path, ".truth-", content_hash, "-", k, ".ivecs");
    candidates.push_back(beside);
    if (DirectoryWritable(spec.path)) target = beside;
  }
  if (!shared.empty()) candidates.push_back(shared);
  for (const std::string& candidate : candidates) {
    std::optional<IntMatrix> cached = ReadCached(candidate, data.queries.rows, k, data.base.rows);
    if (cached.has_value()) return {std::move(*cached), "cache"};
  }
  TruthResult result{ExactNeighbors(data.base, data.queries, k, data.metric, threads), "computed"};
  if (!target.empty()) WriteCached(target, result.truth);
  return result;
}

TruthResult ResolveFilteredTruth(const DatasetSpec& spec, const SourceData& data,
                               const std::string& content_hash, const std::string& cache_dir,
                               int threads, int k, const std::string& filter_key,
                               std::span<const uint8_t> allowed) {
  // FNV-1a of the filter's key (with the payload's value count): short, stable, file-name safe.
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : filter_key) h = (h ^ c) * 0x100000001b3ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  const std::string name = absl::StrCat(content_hash, "-", std::string(MetricName(data.metric)),
                                        "-", k, "-filter-", hex, ".ivecs");
  std::vector<std::string> candidates;
  std::string target = cache_dir.empty() ? "" : (std::filesystem::path(cache_dir) / name).string();
  if (spec.kind != "synthetic") {
    const std::string beside = absl::StrCat(spec.path, ".truth-", content_hash, "-", k,
                                            "-filter-", hex, ".ivecs");
    candidates.push_back(beside);
    if (DirectoryWritable(spec.path)) target = beside;
  }
  if (!cache_dir.empty()) candidates.push_back((std::filesystem::path(cache_dir) / name).string());
  for (const std::string& candidate : candidates) {
    std::optional<IntMatrix> cached =
        ReadCached(candidate, data.queries.rows, k, data.base.rows, /*padded=*/true);
    if (cached.has_value()) return {std::move(*cached), "cache"};
  }
  TruthResult result{ExactNeighbors(data.base, data.queries, k, data.metric, threads, allowed),
                     "computed"};
  if (!target.empty()) WriteCached(target, result.truth);
  return result;
}

}  // namespace dataset_internal
}  // namespace vexbench
