#include "common/histogram.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace vexbench {
namespace {

constexpr int64_t kHourNs = 3'600'000'000'000;

Histogram MakeHistogram(const HistogramOptions& options) {
  absl::StatusOr<Histogram> h = Histogram::Create(options);
  REQUIRE(h.ok());
  return *std::move(h);
}

HistogramOptions Options(int digits, ValueUnit unit) {
  HistogramOptions o;
  o.significant_digits = digits;
  o.unit = unit;
  o.highest_trackable_value = unit == ValueUnit::kNanoseconds ? kHourNs : kHourNs / 1000;
  return o;
}

// Latency samples in nanoseconds, fixed seeds.
enum class Shape { kUniform, kLogNormal, kBimodal, kHugeOutlier };

std::vector<int64_t> SamplesNs(Shape shape, int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> out;
  out.reserve(n);
  std::uniform_int_distribution<int64_t> uniform(1'000, 10'000'000);        // 1 µs .. 10 ms
  std::lognormal_distribution<double> lognormal(std::log(500'000.0), 1.0);  // median 500 µs
  std::normal_distribution<double> fast(200'000, 20'000), slow(20'000'000, 3'000'000);
  std::bernoulli_distribution coin(0.5);
  for (int i = 0; i < n; ++i) {
    switch (shape) {
      case Shape::kUniform:
        out.push_back(uniform(rng));
        break;
      case Shape::kLogNormal:
        out.push_back(static_cast<int64_t>(lognormal(rng)));
        break;
      case Shape::kBimodal:
        out.push_back(std::max<int64_t>(0, std::llround(coin(rng) ? fast(rng) : slow(rng))));
        break;
      case Shape::kHugeOutlier:
        out.push_back(i == n / 2 ? 50'000'000'000 : uniform(rng) / 10 + 100'000);
        break;
    }
  }
  return out;
}

// The exact value at `percentile_x100` / 100 %: the sample of rank ceil(p * n / 100).
int64_t ExactPercentile(const std::vector<int64_t>& sorted, int64_t percentile_x100) {
  const int64_t n = static_cast<int64_t>(sorted.size());
  const int64_t rank = std::max<int64_t>(1, (percentile_x100 * n + 9'999) / 10'000);
  return sorted[rank - 1];
}

TEST_CASE("Histogram percentiles match exact sorted samples within the configured precision",
          "[histogram]") {
  const Shape shapes[] = {Shape::kUniform, Shape::kLogNormal, Shape::kBimodal, Shape::kHugeOutlier};
  const int64_t percentiles_x100[] = {1, 2'500, 5'000, 9'000, 9'900, 9'990, 9'999, 10'000};
  uint64_t seed = 42;
  for (ValueUnit unit : {ValueUnit::kMicroseconds, ValueUnit::kNanoseconds}) {
    for (int digits = 1; digits <= 5; ++digits) {
      for (Shape shape : shapes) {
        const std::vector<int64_t> ns = SamplesNs(shape, 20'000, ++seed);
        Histogram h = MakeHistogram(Options(digits, unit));
        std::vector<int64_t> values;  // in the histogram's unit, truncated like the histogram
        for (int64_t v : ns) {
          h.RecordDuration(std::chrono::nanoseconds(v));
          values.push_back(unit == ValueUnit::kMicroseconds ? v / 1000 : v);
        }
        std::sort(values.begin(), values.end());
        const double precision = std::pow(10.0, -digits);
        INFO("unit " << static_cast<int>(unit) << " digits " << digits << " shape "
                     << static_cast<int>(shape));
        REQUIRE(h.TotalCount() == static_cast<int64_t>(values.size()));
        REQUIRE(h.clamped_count() == 0);
        for (int64_t p : percentiles_x100) {
          const int64_t exact = ExactPercentile(values, p);
          const int64_t got = h.ValueAtPercentile(static_cast<double>(p) / 100.0);
          INFO("percentile " << p / 100.0 << " exact " << exact << " got " << got);
          CHECK(got >= exact);
          CHECK(static_cast<double>(got - exact) <= static_cast<double>(exact) * precision);
        }
        CHECK(h.Max() >= values.back());
        CHECK(static_cast<double>(h.Max() - values.back()) <= values.back() * precision);
        CHECK(h.Min() == h.LowestEquivalentValue(values.front()));
        double exact_mean = 0;
        for (int64_t v : values) exact_mean += static_cast<double>(v);
        exact_mean /= static_cast<double>(values.size());
        CHECK(std::abs(h.Mean() - exact_mean) <= exact_mean * precision + 1);
      }
    }
  }
}

TEST_CASE("Histogram layout matches HdrHistogram's", "[histogram]") {
  // Counts array lengths as the Java library reports them (footprint - 512) / 8.
  CHECK(Histogram().counts_length() == 23'552);
  HistogramOptions coarse;
  coarse.lowest_discernible_value = 1'000;
  coarse.highest_trackable_value = 3'600'000'000'000;
  coarse.significant_digits = 2;
  CHECK(MakeHistogram(coarse).counts_length() == 3'456);

  // Java derives the unit magnitude with a floating-point log, which rounds 2^48 - 1 up to 48:
  // all values below 2^48 then share index 0.
  HistogramOptions quirk;
  quirk.lowest_discernible_value = (int64_t{1} << 48) - 1;
  quirk.highest_trackable_value = int64_t{1} << 60;
  quirk.significant_digits = 1;
  const Histogram q = MakeHistogram(quirk);
  CHECK(q.CountsIndexFor((int64_t{1} << 48) - 1) == 0);
  CHECK(q.CountsIndexFor(int64_t{1} << 48) == 1);

  for (int digits = 1; digits <= 5; ++digits) {
    HistogramOptions o;
    o.significant_digits = digits;
    o.lowest_discernible_value = digits == 3 ? 1'000 : 1;
    const Histogram h = MakeHistogram(o);
    INFO("digits " << digits);
    // Every bucket is contiguous with the next and maps back to its own index.
    int32_t first_bad_index = -1;
    for (int32_t i = 0; i + 1 < h.counts_length() && first_bad_index < 0; ++i) {
      const int64_t low = h.ValueFromIndex(i);
      const int64_t next_low = h.ValueFromIndex(i + 1);
      if (h.CountsIndexFor(low) != i || h.HighestEquivalentValue(low) + 1 != next_low ||
          h.LowestEquivalentValue(next_low - 1) != low) {
        first_bad_index = i;
      }
    }
    CHECK(first_bad_index == -1);
    REQUIRE(h.CountsIndexFor(o.highest_trackable_value) < h.counts_length());
  }
}

TEST_CASE("Histogram::Create rejects bad options, naming the option and the range", "[histogram]") {
  auto error_for = [](HistogramOptions o) {
    absl::StatusOr<Histogram> h = Histogram::Create(o);
    REQUIRE_FALSE(h.ok());
    CHECK(h.status().code() == absl::StatusCode::kInvalidArgument);
    return std::string(h.status().message());
  };
  HistogramOptions o;
  o.significant_digits = 0;
  CHECK_THAT(error_for(o), Catch::Contains("significant_digits") && Catch::Contains("1..5"));
  o.significant_digits = 6;
  CHECK_THAT(error_for(o), Catch::Contains("significant_digits: 6"));
  o = {};
  o.lowest_discernible_value = 0;
  CHECK_THAT(error_for(o), Catch::Contains("lowest_discernible_value") && Catch::Contains(">= 1"));
  o = {};
  o.lowest_discernible_value = 1'000;
  o.highest_trackable_value = 1'999;
  CHECK_THAT(error_for(o),
             Catch::Contains("highest_trackable_value") && Catch::Contains("2 * lowest"));
  o = {};
  o.lowest_discernible_value = int64_t{1} << 50;
  o.highest_trackable_value = int64_t{1} << 62;
  o.significant_digits = 5;
  CHECK_THAT(error_for(o), Catch::Contains("lowest_discernible_value") &&
                               Catch::Contains("too large for significant_digits 5"));
  o.significant_digits = 1;
  CHECK(Histogram::Create(o).ok());
  o = {};
  o.highest_trackable_value = 2;
  CHECK(Histogram::Create(o).ok());
}

TEST_CASE("Histogram clamps out-of-range values and counts them", "[histogram]") {
  HistogramOptions o;
  o.highest_trackable_value = 1'000'000;
  Histogram h = MakeHistogram(o);
  h.Record(-5);
  h.RecordN(2'000'000, 3);
  h.Record(1'000'000);  // in range: not clamped
  h.RecordDuration(std::chrono::nanoseconds(-1));
  CHECK(h.TotalCount() == 6);
  CHECK(h.clamped_count() == 5);
  CHECK(h.count_at_index(h.CountsIndexFor(0)) == 2);
  CHECK(h.count_at_index(h.CountsIndexFor(1'000'000)) == 4);
  CHECK(h.Min() == 0);
  CHECK(h.Max() == h.HighestEquivalentValue(1'000'000));
  h.RecordN(5, 0);  // zero count: nothing recorded, nothing clamped
  h.RecordN(-5, 0);
  CHECK(h.TotalCount() == 6);
  CHECK(h.clamped_count() == 5);
}

TEST_CASE("Histogram::RecordDuration truncates to the histogram's unit", "[histogram]") {
  Histogram us;
  us.RecordDuration(std::chrono::nanoseconds(1'999));
  us.RecordDuration(std::chrono::microseconds(7));
  us.RecordDuration(std::chrono::nanoseconds(999));
  CHECK(us.count_at_index(us.CountsIndexFor(1)) == 1);
  CHECK(us.count_at_index(us.CountsIndexFor(7)) == 1);
  CHECK(us.count_at_index(us.CountsIndexFor(0)) == 1);
  Histogram ns = MakeHistogram(Options(3, ValueUnit::kNanoseconds));
  ns.RecordDuration(std::chrono::nanoseconds(1'999));
  CHECK(ns.Max() == 1'999);
}

TEST_CASE("Histogram percentiles, mean and stddev follow HdrHistogram's definitions",
          "[histogram]") {
  Histogram h;
  CHECK(h.ValueAtPercentile(50) == 0);
  CHECK(h.Mean() == 0);
  CHECK(h.StdDev() == 0);
  CHECK(h.Min() == 0);
  CHECK(h.Max() == 0);
  for (int v = 1; v <= 100; ++v) h.Record(v);  // exact buckets at 3 digits
  CHECK(h.ValueAtPercentile(0) == 1);
  CHECK(h.ValueAtPercentile(0.5) == 1);
  CHECK(h.ValueAtPercentile(50) == 50);
  CHECK(h.ValueAtPercentile(50.1) == 51);  // ceil(50.1) = 51st value
  CHECK(h.ValueAtPercentile(99) == 99);
  CHECK(h.ValueAtPercentile(99.5) == 100);
  CHECK(h.ValueAtPercentile(100) == 100);
  CHECK(h.ValueAtPercentile(150) == 100);
  CHECK(h.ValueAtPercentile(-3) == 1);
  CHECK(h.Mean() == Approx(50.5));
  CHECK(h.StdDev() == Approx(std::sqrt((100.0 * 100.0 - 1) / 12)));

  // Coarse buckets: the highest equivalent value is reported, the mean uses medians.
  Histogram c = MakeHistogram(Options(1, ValueUnit::kMicroseconds));
  c.Record(1'000);  // bucket [992, 1023] at 1 digit (sub-bucket width 32)
  CHECK(c.ValueAtPercentile(50) == 1'023);
  CHECK(c.ValueAtPercentile(0) == 992);
  CHECK(c.Min() == 992);
  CHECK(c.Max() == 1'023);
  CHECK(c.Mean() == Approx(1'008));
  CHECK(c.MedianEquivalentValue(1'000) == 1'008);
}

TEST_CASE("Histogram::Merge of equal layouts equals recording the union", "[histogram]") {
  for (int digits : {1, 3, 5}) {
    HistogramOptions o = Options(digits, ValueUnit::kMicroseconds);
    o.highest_trackable_value = 100'000'000;
    Histogram a = MakeHistogram(o), b = MakeHistogram(o), all = MakeHistogram(o);
    std::mt19937_64 rng(digits);
    std::lognormal_distribution<double> latency(std::log(2'000.0), 2.0);
    for (int i = 0; i < 50'000; ++i) {
      const auto v = static_cast<int64_t>(latency(rng));
      (i % 3 == 0 ? a : b).Record(v);
      all.Record(v);
    }
    a.Record(-1);
    all.Record(-1);
    Histogram merged = a;
    merged.Merge(b);
    INFO("digits " << digits);
    CHECK(merged.SameCounts(all));
    CHECK(merged.clamped_count() == all.clamped_count());
    CHECK(merged.Min() == all.Min());
    CHECK(merged.Max() == all.Max());
    CHECK(merged.ValueAtPercentile(99.9) == all.ValueAtPercentile(99.9));
    CHECK_FALSE(merged.SameCounts(a));

    Histogram twice = all;
    twice.Merge(twice);  // self-merge doubles every count
    CHECK(twice.TotalCount() == 2 * all.TotalCount());
    CHECK(twice.count_at_index(all.CountsIndexFor(2'000)) ==
          2 * all.count_at_index(all.CountsIndexFor(2'000)));
    CHECK(twice.clamped_count() == 2 * all.clamped_count());
  }
}

TEST_CASE("Histogram::Merge across layouts re-records at median-equivalent values", "[histogram]") {
  Histogram fine;  // 3 digits
  Histogram coarse = MakeHistogram(Options(1, ValueUnit::kMicroseconds));
  coarse.RecordN(1'000, 4);  // bucket [992, 1023], median 1008
  fine.Merge(coarse);
  CHECK(fine.TotalCount() == 4);
  CHECK(fine.count_at_index(fine.CountsIndexFor(1'008)) == 4);

  HistogramOptions small;
  small.highest_trackable_value = 10'000;
  Histogram narrow = MakeHistogram(small);
  Histogram wide;  // same unit magnitude and sub-buckets, longer counts array
  wide.RecordN(5'000, 2);
  wide.RecordN(1'000'000, 3);
  narrow.Merge(wide);
  CHECK(narrow.TotalCount() == 5);
  CHECK(narrow.clamped_count() == 3);
  CHECK(narrow.count_at_index(narrow.CountsIndexFor(10'000)) == 3);

  // Units are converted: 2'500'000 ns lies in the ns bucket [2'498'560, 2'500'607], whose
  // median 2'499'584 ns truncates to 2'499 µs.
  Histogram ns = MakeHistogram(Options(3, ValueUnit::kNanoseconds));
  ns.Record(2'500'000);
  REQUIRE(ns.MedianEquivalentValue(2'500'000) == 2'499'584);
  Histogram us;
  us.Merge(ns);
  CHECK(us.TotalCount() == 1);
  CHECK(us.Max() == 2'499);
}

TEST_CASE("Histogram::Reset empties the histogram and keeps its layout", "[histogram]") {
  Histogram h;
  h.RecordN(123, 5);
  h.Record(-1);
  Histogram copy = h;
  h.Reset();
  CHECK(h.TotalCount() == 0);
  CHECK(h.clamped_count() == 0);
  CHECK(h.Max() == 0);
  CHECK(h.Min() == 0);
  CHECK(h.ValueAtPercentile(99) == 0);
  CHECK(h.SameCounts(Histogram()));
  CHECK(h.counts_length() == copy.counts_length());
  int visited = 0;
  h.ForEachNonZero([&](int64_t, int64_t) { ++visited; });
  CHECK(visited == 0);
  h.RecordN(123, 5);
  h.Record(-1);
  CHECK(h.SameCounts(copy));
  CHECK(h.Min() == 0);
  CHECK(h.Max() == 123);
}

TEST_CASE("Histogram::ForEachNonZero visits non-empty buckets in ascending order", "[histogram]") {
  Histogram h;
  h.RecordN(5'000, 2);
  h.Record(7);
  h.RecordN(100'000, 3);
  std::vector<std::pair<int64_t, int64_t>> seen;
  h.ForEachNonZero([&](int64_t value, int64_t count) { seen.emplace_back(value, count); });
  REQUIRE(seen.size() == 3);
  CHECK(seen[0] == std::pair<int64_t, int64_t>{7, 1});
  CHECK(seen[1] == std::pair<int64_t, int64_t>{h.LowestEquivalentValue(5'000), 2});
  CHECK(seen[2] == std::pair<int64_t, int64_t>{h.LowestEquivalentValue(100'000), 3});
}

TEST_CASE("Histogram::SameCounts compares options as well as counts", "[histogram]") {
  Histogram us;
  Histogram ns = MakeHistogram(Options(3, ValueUnit::kNanoseconds));
  HistogramOptions same_layout_other_unit;
  same_layout_other_unit.unit = ValueUnit::kNanoseconds;
  CHECK_FALSE(us.SameCounts(MakeHistogram(same_layout_other_unit)));
  CHECK_FALSE(us.SameCounts(ns));
  Histogram a, b;
  a.Record(10);
  b.Record(11);
  CHECK_FALSE(a.SameCounts(b));
  b.Reset();
  b.Record(10);
  CHECK(a.SameCounts(b));
}

}  // namespace
}  // namespace vexbench
