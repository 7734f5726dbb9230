// HdrHistogram-compatible histogram. The layout arithmetic mirrors HdrHistogram's
// AbstractHistogram (Java, 2.1.x) so that counts indices, and therefore V2 encodings, are
// interchangeable with the reference library.
#include "common/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace vexbench {
namespace {

constexpr int kMinSignificantDigits = 1;
constexpr int kMaxSignificantDigits = 5;
// HdrHistogram refuses layouts whose unit magnitude plus sub-bucket count magnitude exceed
// this: the shifts in the index arithmetic would overflow an int64.
constexpr int32_t kMaxCombinedMagnitude = 62;
constexpr int64_t kNanosPerMicro = 1000;

struct Magnitudes {
  int32_t unit = 0;              // log2 of the smallest distinguishable step
  int32_t sub_bucket_count = 0;  // log2 of the number of sub-buckets per bucket
};

// Derives the magnitudes exactly as the Java reference does, including its use of a
// floating-point log for the unit magnitude (for lowest values just below a large power of two
// this rounds up, e.g. 2^48 - 1 gives 48); an integer log2 would change the layout there.
Magnitudes ComputeMagnitudes(int64_t lowest_discernible_value, int significant_digits) {
  int64_t largest_single_unit_value = 2;
  for (int i = 0; i < significant_digits; ++i) largest_single_unit_value *= 10;
  Magnitudes m;
  m.unit =
      static_cast<int32_t>(std::log(static_cast<double>(lowest_discernible_value)) / std::log(2.0));
  // Smallest m with 2^m >= 2 * 10^digits (never an exact power of two for digits >= 1).
  m.sub_bucket_count = 64 - std::countl_zero(static_cast<uint64_t>(largest_single_unit_value - 1));
  return m;
}

// Number of buckets needed so that `value` has a counts index (Java's
// getBucketsNeededToCoverValue).
int32_t BucketsNeededToCover(int64_t value, int32_t sub_bucket_count, int32_t unit_magnitude) {
  int64_t smallest_untrackable_value = static_cast<int64_t>(sub_bucket_count) << unit_magnitude;
  int32_t buckets_needed = 1;
  while (smallest_untrackable_value <= value) {
    if (smallest_untrackable_value > std::numeric_limits<int64_t>::max() / 2) {
      return buckets_needed + 1;
    }
    smallest_untrackable_value <<= 1;
    ++buckets_needed;
  }
  return buckets_needed;
}

// Which power-of-two bucket `value` falls in (Java's getBucketIndex).
inline int32_t BucketIndexOf(int64_t value, int32_t unit_magnitude,
                             int32_t sub_bucket_half_count_magnitude, int64_t sub_bucket_mask) {
  return (64 - unit_magnitude - sub_bucket_half_count_magnitude - 1) -
         std::countl_zero(static_cast<uint64_t>(value | sub_bucket_mask));
}

// Counts index of `value` (Java's countsArrayIndex). REQUIRES: value >= 0. Free and inline so
// that RecordN compiles to a handful of instructions.
inline int32_t IndexOf(int64_t value, int32_t unit_magnitude,
                       int32_t sub_bucket_half_count_magnitude, int64_t sub_bucket_mask) {
  const int32_t bucket_index =
      BucketIndexOf(value, unit_magnitude, sub_bucket_half_count_magnitude, sub_bucket_mask);
  const auto sub_bucket_index =
      static_cast<int32_t>(static_cast<uint64_t>(value) >> (bucket_index + unit_magnitude));
  // Bucket 0 uses all its sub-buckets, every later bucket only its upper half.
  const int32_t bucket_base_index = (bucket_index + 1) << sub_bucket_half_count_magnitude;
  return bucket_base_index + sub_bucket_index - (int32_t{1} << sub_bucket_half_count_magnitude);
}

// Converts a value between units; saturates instead of overflowing.
int64_t ConvertValue(int64_t value, ValueUnit from, ValueUnit to) {
  if (from == to) return value;
  if (from == ValueUnit::kNanoseconds) return value / kNanosPerMicro;
  if (value > std::numeric_limits<int64_t>::max() / kNanosPerMicro) {
    return std::numeric_limits<int64_t>::max();
  }
  return value * kNanosPerMicro;
}

}  // namespace

Histogram::Histogram() : Histogram(HistogramOptions{}) {}

absl::StatusOr<Histogram> Histogram::Create(const HistogramOptions& options) {
  if (options.significant_digits < kMinSignificantDigits ||
      options.significant_digits > kMaxSignificantDigits) {
    return absl::InvalidArgumentError(
        absl::StrFormat("significant_digits: %d is out of range; expected %d..%d",
                        options.significant_digits, kMinSignificantDigits, kMaxSignificantDigits));
  }
  if (options.lowest_discernible_value < 1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("lowest_discernible_value: %d is out of range; expected >= 1",
                        options.lowest_discernible_value));
  }
  if (options.highest_trackable_value / 2 < options.lowest_discernible_value) {
    return absl::InvalidArgumentError(
        absl::StrFormat("highest_trackable_value: %d is out of range; expected >= 2 * "
                        "lowest_discernible_value (%d)",
                        options.highest_trackable_value, options.lowest_discernible_value));
  }
  const Magnitudes m =
      ComputeMagnitudes(options.lowest_discernible_value, options.significant_digits);
  if (m.unit + m.sub_bucket_count > kMaxCombinedMagnitude) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "lowest_discernible_value: %d is too large for significant_digits %d; expected "
        "log2(lowest_discernible_value) + log2(2 * 10^significant_digits) <= %d",
        options.lowest_discernible_value, options.significant_digits, kMaxCombinedMagnitude));
  }
  return Histogram(options);
}

Histogram::Histogram(const HistogramOptions& options) : options_(options) {
  const Magnitudes m =
      ComputeMagnitudes(options.lowest_discernible_value, options.significant_digits);
  unit_magnitude_ = m.unit;
  sub_bucket_half_count_magnitude_ = m.sub_bucket_count - 1;
  sub_bucket_count_ = int32_t{1} << m.sub_bucket_count;
  sub_bucket_half_count_ = sub_bucket_count_ / 2;
  sub_bucket_mask_ = (static_cast<int64_t>(sub_bucket_count_) - 1) << unit_magnitude_;
  bucket_count_ =
      BucketsNeededToCover(options.highest_trackable_value, sub_bucket_count_, unit_magnitude_);
  counts_length_ = (bucket_count_ + 1) * sub_bucket_half_count_;
}

void Histogram::RecordN(int64_t value, int64_t count) {
  // One unsigned comparison catches both negative and too-large values.
  if (static_cast<uint64_t>(value) > static_cast<uint64_t>(options_.highest_trackable_value) ||
      count <= 0) [[unlikely]] {
    if (count <= 0) return;  // nothing to add; negative counts are not supported
    value = value < 0 ? 0 : options_.highest_trackable_value;
    clamped_count_ += count;
  }
  AddToIndex(IndexOf(value, unit_magnitude_, sub_bucket_half_count_magnitude_, sub_bucket_mask_),
             count, value);
}

void Histogram::RecordDuration(std::chrono::nanoseconds d) {
  // A negative duration is clamped and counted even when truncation would make it 0.
  Record(d.count() < 0 ? -1 : ConvertValue(d.count(), ValueUnit::kNanoseconds, options_.unit));
}

void Histogram::Grow(int32_t index) {
  // Up to the end of index's half of a sub-bucket range, at least doubling, at most the layout.
  const size_t needed =
      (static_cast<size_t>(index) / sub_bucket_half_count_ + 1) * sub_bucket_half_count_;
  counts_.resize(std::min(static_cast<size_t>(counts_length_), std::max(needed, 2 * counts_.size())));
}

void Histogram::AddToIndex(int32_t index, int64_t count, int64_t /*value*/) {
  if (static_cast<size_t>(index) >= counts_.size()) [[unlikely]] Grow(index);
  counts_[index] += count;
  total_count_ += count;
  if (index > max_nonzero_index_) max_nonzero_index_ = index;
  // -1 (empty) compares as the largest unsigned value, so the first index always wins.
  if (static_cast<uint32_t>(index) < static_cast<uint32_t>(min_nonzero_index_)) {
    min_nonzero_index_ = index;
  }
}

void Histogram::AddAtIndex(int32_t index, int64_t count) {
  if (count <= 0) return;
  AddToIndex(index, count, ValueFromIndex(index));
}

void Histogram::Merge(const Histogram& other) {
  if (other.total_count_ == 0) return;
  const int64_t other_clamped = other.clamped_count_;
  const bool same_layout = options_.unit == other.options_.unit &&
                           unit_magnitude_ == other.unit_magnitude_ &&
                           sub_bucket_count_ == other.sub_bucket_count_;
  if (same_layout) {
    // Same index means the same value range: add counts directly. Indices past our array (the
    // other histogram tracks higher values) are re-recorded, which clamps and counts them.
    const int32_t first = other.min_nonzero_index_;
    const int32_t last = other.max_nonzero_index_;
    const int32_t direct_last = std::min(last, counts_length() - 1);
    if (first <= direct_last) {
      // One pass over other's used range: plain adds, the bookkeeping once at the end.
      if (static_cast<size_t>(direct_last) >= counts_.size()) Grow(direct_last);
      int64_t added = 0;
      int32_t last_nonzero = first;  // `first` is other's lowest non-zero index
      for (int32_t i = first; i <= direct_last; ++i) {
        const int64_t c = other.counts_[i];
        if (c != 0) last_nonzero = i;
        counts_[i] += c;
        added += c;
      }
      total_count_ += added;
      if (last_nonzero > max_nonzero_index_) max_nonzero_index_ = last_nonzero;
      if (static_cast<uint32_t>(first) < static_cast<uint32_t>(min_nonzero_index_)) {
        min_nonzero_index_ = first;
      }
    }
    for (int32_t i = std::max(first, direct_last + 1); i <= last; ++i) {
      if (other.counts_[i] != 0) RecordN(other.ValueFromIndex(i), other.counts_[i]);
    }
  } else {
    other.ForEachNonZero([&](int64_t value, int64_t count) {
      const int64_t median = other.MedianEquivalentValue(value);
      RecordN(ConvertValue(median, other.options_.unit, options_.unit), count);
    });
  }
  clamped_count_ += other_clamped;
}

int64_t Histogram::ValueAtPercentile(double percentile) const {
  if (total_count_ == 0) return 0;
  // As Java's getValueAtPercentile: one ulp below the request so that round-off cannot push
  // the ceiling into the next count, then the ceiling of the fractional count.
  int64_t count_at_percentile = 1;
  if (!std::isnan(percentile)) {
    const double requested = std::clamp(
        std::nextafter(percentile, -std::numeric_limits<double>::infinity()), 0.0, 100.0);
    const double fp_count = requested * static_cast<double>(total_count_) / 100.0;
    count_at_percentile = std::max<int64_t>(static_cast<int64_t>(std::ceil(fp_count)), 1);
  }
  int64_t running_count = 0;
  for (int32_t i = min_nonzero_index_; i <= max_nonzero_index_; ++i) {
    running_count += counts_[i];
    if (running_count >= count_at_percentile) {
      const int64_t value = ValueFromIndex(i);
      return percentile == 0.0 ? LowestEquivalentValue(value) : HighestEquivalentValue(value);
    }
  }
  return Max();
}

double Histogram::Mean() const {
  if (total_count_ == 0) return 0.0;
  double total_value = 0;
  ForEachNonZero([&](int64_t value, int64_t count) {
    total_value += static_cast<double>(MedianEquivalentValue(value)) * static_cast<double>(count);
  });
  return total_value / static_cast<double>(total_count_);
}

double Histogram::StdDev() const {
  if (total_count_ == 0) return 0.0;
  const double mean = Mean();
  double deviation_total = 0;
  ForEachNonZero([&](int64_t value, int64_t count) {
    const double deviation = static_cast<double>(MedianEquivalentValue(value)) - mean;
    deviation_total += deviation * deviation * static_cast<double>(count);
  });
  return std::sqrt(deviation_total / static_cast<double>(total_count_));
}

int64_t Histogram::Min() const {
  if (min_nonzero_index_ < 0) return 0;
  return ValueFromIndex(min_nonzero_index_);
}

int64_t Histogram::Max() const {
  if (max_nonzero_index_ < 0) return 0;
  return HighestEquivalentValue(ValueFromIndex(max_nonzero_index_));
}

void Histogram::Reset() {
  // Only the non-zero range can hold counts: clearing it is enough, and cheap for the usual
  // latency histogram that occupies a few percent of its ~190 KB array.
  if (min_nonzero_index_ >= 0) {
    std::fill(counts_.begin() + min_nonzero_index_, counts_.begin() + max_nonzero_index_ + 1, 0);
  }
  total_count_ = 0;
  clamped_count_ = 0;
  min_nonzero_index_ = -1;
  max_nonzero_index_ = -1;
}

bool Histogram::SameCounts(const Histogram& other) const {
  if (!(options_ == other.options_) || total_count_ != other.total_count_ ||
      min_nonzero_index_ != other.min_nonzero_index_ ||
      max_nonzero_index_ != other.max_nonzero_index_) {
    return false;
  }
  // Outside [min, max] both are zero; inside, both arrays hold every index.
  for (int32_t i = min_nonzero_index_; i <= max_nonzero_index_ && i >= 0; ++i) {
    if (counts_[i] != other.counts_[i]) return false;
  }
  return true;
}

int32_t Histogram::CountsIndexFor(int64_t value) const {
  return IndexOf(std::max<int64_t>(value, 0), unit_magnitude_, sub_bucket_half_count_magnitude_,
                 sub_bucket_mask_);
}

int64_t Histogram::ValueFromIndex(int32_t index) const {
  int32_t bucket_index = (index >> sub_bucket_half_count_magnitude_) - 1;
  int32_t sub_bucket_index = (index & (sub_bucket_half_count_ - 1)) + sub_bucket_half_count_;
  if (bucket_index < 0) {
    sub_bucket_index -= sub_bucket_half_count_;
    bucket_index = 0;
  }
  return static_cast<int64_t>(sub_bucket_index) << (bucket_index + unit_magnitude_);
}

int64_t Histogram::LowestEquivalentValue(int64_t value) const {
  return ValueFromIndex(CountsIndexFor(std::max<int64_t>(value, 0)));
}

int64_t Histogram::HighestEquivalentValue(int64_t value) const {
  value = std::max<int64_t>(value, 0);
  const int32_t bucket_index =
      BucketIndexOf(value, unit_magnitude_, sub_bucket_half_count_magnitude_, sub_bucket_mask_);
  const uint64_t range = uint64_t{1} << (unit_magnitude_ + bucket_index);
  const uint64_t lowest = static_cast<uint64_t>(LowestEquivalentValue(value));
  // The top bucket of a histogram tracking up to INT64_MAX ends exactly at 2^63: saturate.
  const uint64_t highest = lowest + range - 1;
  return static_cast<int64_t>(
      std::min<uint64_t>(highest, static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
}

int64_t Histogram::MedianEquivalentValue(int64_t value) const {
  value = std::max<int64_t>(value, 0);
  const int64_t lowest = LowestEquivalentValue(value);
  const int64_t highest = HighestEquivalentValue(value);
  return lowest + (highest - lowest + 1) / 2;
}

}  // namespace vexbench
