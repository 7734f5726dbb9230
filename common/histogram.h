// HdrHistogram-compatible latency histogram (our own implementation).
//
// Layout and semantics follow HdrHistogram: log-linear buckets, `significant_digits` (1-5)
// decimal digits of precision over [lowest_discernible_value, highest_trackable_value].
// Two histograms with the same options have the same bucket layout, so Merge() is exact:
// merge(h(a), h(b)) has the same counts as h(a ∪ b), bucket for bucket.
//
// Values are integers in the histogram's `unit` (named in HistogramOptions). Values outside the
// trackable range are clamped into it and counted in clamped_count(): never dropped silently.
//
// Thread safety: none. One histogram per thread; merge at interval boundaries.
#ifndef VEXBENCH_COMMON_HISTOGRAM_H_
#define VEXBENCH_COMMON_HISTOGRAM_H_

#include <chrono>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace vexbench {

enum class ValueUnit { kMicroseconds, kNanoseconds };

struct HistogramOptions {
  // Smallest value distinguished from 0, in `unit`. >= 1.
  int64_t lowest_discernible_value = 1;
  // Largest value tracked, in `unit`. >= 2 * lowest_discernible_value. Default: 1 hour in µs.
  int64_t highest_trackable_value = 3'600'000'000;
  // Decimal digits of precision kept at every magnitude: 1..5.
  int significant_digits = 3;
  ValueUnit unit = ValueUnit::kMicroseconds;

  friend bool operator==(const HistogramOptions&, const HistogramOptions&) = default;
};

class Histogram {
 public:
  // Default: HistogramOptions{} (1 µs .. 1 h, 3 digits). Never fails.
  Histogram();
  // Validates the options: an error names the bad option and the accepted range.
  static absl::StatusOr<Histogram> Create(const HistogramOptions& options);

  Histogram(const Histogram&) = default;
  Histogram& operator=(const Histogram&) = default;
  Histogram(Histogram&&) noexcept = default;
  Histogram& operator=(Histogram&&) noexcept = default;

  const HistogramOptions& options() const { return options_; }

  // Records `value` (in unit()) once / `count` times. Out of range: clamped and counted.
  // Hot path: no allocation, no branch beyond the range check.
  void Record(int64_t value) { RecordN(value, 1); }
  void RecordN(int64_t value, int64_t count);
  // Converts a duration to unit() (truncating) and records it.
  void RecordDuration(std::chrono::nanoseconds d);

  // Adds every count of `other`. Exact when options() are equal; otherwise each bucket of
  // `other` is re-recorded at its median-equivalent value (as HdrHistogram's add does).
  void Merge(const Histogram& other);

  // Value at `percentile` (0..100): the highest-equivalent value of the bucket where the
  // cumulative count first reaches ceil(percentile/100 * total). 0 when empty.
  int64_t ValueAtPercentile(double percentile) const;
  double Mean() const;
  double StdDev() const;
  int64_t Min() const;  // lowest-equivalent value of the lowest non-empty bucket; 0 when empty
  int64_t Max() const;  // highest-equivalent value of the highest non-empty bucket; 0 when empty
  int64_t TotalCount() const { return total_count_; }
  // Values that were outside [0, highest_trackable_value] and were clamped into range.
  int64_t clamped_count() const { return clamped_count_; }
  void Reset();

  // Same options and same count in every bucket.
  bool SameCounts(const Histogram& other) const;

  // --- Layout, for encoders and tests. ---
  // The layout's number of buckets (what HdrHistogram calls countsArrayLength).
  int32_t counts_length() const { return counts_length_; }
  int64_t count_at_index(int32_t index) const {
    return static_cast<size_t>(index) < counts_.size() ? counts_[index] : 0;
  }
  // Adds `count` at raw bucket `index` (decoder use). REQUIRES: 0 <= index < counts_length().
  void AddAtIndex(int32_t index, int64_t count);
  int32_t CountsIndexFor(int64_t value) const;
  int64_t ValueFromIndex(int32_t index) const;
  int64_t LowestEquivalentValue(int64_t value) const;
  int64_t HighestEquivalentValue(int64_t value) const;
  int64_t MedianEquivalentValue(int64_t value) const;
  // Calls f(value_from_index, count) for every non-zero bucket, in ascending order.
  template <typename F>
  void ForEachNonZero(F&& f) const {
    for (int32_t i = min_nonzero_index_; i <= max_nonzero_index_ && i >= 0; ++i) {
      if (counts_[i] != 0) f(ValueFromIndex(i), counts_[i]);
    }
  }

 private:
  explicit Histogram(const HistogramOptions& options);
  void AddToIndex(int32_t index, int64_t count, int64_t value);
  void Grow(int32_t index);

  HistogramOptions options_;
  int32_t unit_magnitude_ = 0;
  int32_t sub_bucket_half_count_magnitude_ = 0;
  int32_t sub_bucket_count_ = 0;
  int32_t sub_bucket_half_count_ = 0;
  int64_t sub_bucket_mask_ = 0;
  int32_t bucket_count_ = 0;
  int32_t counts_length_ = 0;
  // Counts of indices 0..counts_.size()-1; higher indices are 0. Grown on demand (a sub-bucket
  // half at a time) up to counts_length_: a histogram costs memory only up to the highest value
  // it has seen (a few tens of KB for latencies in ms instead of ~190 KB), and creating one
  // costs no allocation.
  std::vector<int64_t> counts_;
  int64_t total_count_ = 0;
  int64_t clamped_count_ = 0;
  int32_t min_nonzero_index_ = -1;  // -1 when empty
  int32_t max_nonzero_index_ = -1;
};

}  // namespace vexbench

#endif  // VEXBENCH_COMMON_HISTOGRAM_H_
