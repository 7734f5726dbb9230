// Histogram hot path and codec costs, for a realistic latency histogram: default options
// (1 µs .. 1 h, 3 digits), log-normal latencies with a median of 500 µs.
//
// Run (figures go to docs/performance.md):
//   cmake -S . -B build-rel -G Ninja -DCMAKE_BUILD_TYPE=Release
//   ninja -C build-rel histogram_bench && build-rel/bench/histogram_bench
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "common/hdr_codec.h"
#include "common/histogram.h"

namespace vexbench {
namespace {

constexpr size_t kSampleCount = 1 << 16;  // power of two: index with a mask
constexpr int kHistogramRecords = 100'000;

// Latencies in µs: log-normal, median 500 µs, a long tail into seconds.
const std::vector<int64_t>& LatenciesUs() {
  static const std::vector<int64_t> samples = [] {
    std::mt19937_64 rng(2024);
    std::lognormal_distribution<double> latency(std::log(500.0), 1.0);
    std::vector<int64_t> out(kSampleCount);
    for (int64_t& v : out) v = static_cast<int64_t>(latency(rng));
    return out;
  }();
  return samples;
}

Histogram RealisticHistogram(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> latency(std::log(500.0), 1.0);
  Histogram h;
  for (int i = 0; i < kHistogramRecords; ++i) h.Record(static_cast<int64_t>(latency(rng)));
  return h;
}

void BM_Record(benchmark::State& state) {
  const std::vector<int64_t>& samples = LatenciesUs();
  Histogram h;
  size_t i = 0;
  for (auto _ : state) {
    h.Record(samples[i++ & (kSampleCount - 1)]);
  }
  benchmark::DoNotOptimize(h.TotalCount());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Record);

void BM_RecordDuration(benchmark::State& state) {
  const std::vector<int64_t>& samples = LatenciesUs();
  Histogram h;
  size_t i = 0;
  for (auto _ : state) {
    const int64_t sample_us = samples[i & (kSampleCount - 1)];
    h.RecordDuration(std::chrono::microseconds(sample_us) + std::chrono::nanoseconds(i & 1023));
    ++i;
  }
  benchmark::DoNotOptimize(h.TotalCount());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordDuration);

void BM_Merge(benchmark::State& state) {
  const Histogram interval = RealisticHistogram(1);
  Histogram total = RealisticHistogram(2);
  for (auto _ : state) {
    total.Merge(interval);
  }
  benchmark::DoNotOptimize(total.TotalCount());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Merge);

void BM_EncodeV2Compressed(benchmark::State& state) {
  const Histogram h = RealisticHistogram(3);
  size_t bytes = 0;
  for (auto _ : state) {
    std::string encoded = EncodeV2Compressed(h);
    bytes = encoded.size();
    benchmark::DoNotOptimize(encoded.data());
  }
  state.counters["encoded_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_EncodeV2Compressed);

void BM_DecodeV2Compressed(benchmark::State& state) {
  const std::string encoded = EncodeV2Compressed(RealisticHistogram(4));
  for (auto _ : state) {
    absl::StatusOr<Histogram> h = DecodeV2(encoded);
    benchmark::DoNotOptimize(h->TotalCount());
  }
  state.counters["encoded_bytes"] = static_cast<double>(encoded.size());
}
BENCHMARK(BM_DecodeV2Compressed);

void BM_EncodeV2Plain(benchmark::State& state) {
  const Histogram h = RealisticHistogram(5);
  for (auto _ : state) {
    std::string encoded = EncodeV2(h);
    benchmark::DoNotOptimize(encoded.data());
  }
}
BENCHMARK(BM_EncodeV2Plain);

void BM_DecodeV2Plain(benchmark::State& state) {
  const std::string encoded = EncodeV2(RealisticHistogram(6));
  for (auto _ : state) {
    absl::StatusOr<Histogram> h = DecodeV2(encoded);
    benchmark::DoNotOptimize(h->TotalCount());
  }
}
BENCHMARK(BM_DecodeV2Plain);

void BM_ValueAtPercentile(benchmark::State& state) {
  const Histogram h = RealisticHistogram(7);
  for (auto _ : state) {
    benchmark::DoNotOptimize(h.ValueAtPercentile(99.9));
  }
}
BENCHMARK(BM_ValueAtPercentile);

}  // namespace
}  // namespace vexbench

BENCHMARK_MAIN();
