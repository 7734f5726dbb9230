// Seeded synthetic datasets (common/dataset.h, kind synthetic).
//
// The same spec gives the same vectors on every machine. std::mt19937_64 is specified bit for
// bit by the C++ standard, but std::uniform_real_distribution and std::normal_distribution are
// not (each standard library turns the raw draws into values its own way), so the values are
// made here from the raw 64-bit draws:
//   uniform  the top 24 bits of a draw scaled to [-1, 1): exact in a float, no rounding at all;
//   normal   Box-Muller in double precision from two 53-bit uniforms. sqrt is exact by IEEE 754;
//            log, cos and sin come from the C library: glibc gives the same results wherever it
//            runs, and rounding the double to float hides the last-bit differences another
//            library might have in all but very rare cases.
#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <vector>

#include "common/dataset.h"
#include "common/dataset_internal.h"

namespace vexbench::dataset_internal {
namespace {

// Standard deviation of a clustered vector's components around its centre.
constexpr double kClusterSpread = 0.05;

// SplitMix64: derives independent engine seeds from the spec's seed, one per stream.
uint64_t DeriveSeed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + (stream + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
enum Stream : uint64_t { kBaseStream = 0, kQueryStream = 1, kCentreStream = 2 };

class SyntheticRandom {
 public:
  explicit SyntheticRandom(uint64_t seed) : engine_(seed) {}

  // Uniform in [-1, 1) with 2^-23 steps.
  float Uniform() {
    return static_cast<float>(static_cast<int32_t>(engine_() >> 40)) * 0x1p-23f - 1.0f;
  }

  // N(0, 1); Box-Muller makes two values per pair of draws and the second is kept for the next
  // call.
  double Normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = static_cast<double>((engine_() >> 11) + 1) * 0x1p-53;  // (0, 1]
    const double u2 = static_cast<double>(engine_() >> 11) * 0x1p-53;        // [0, 1)
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * std::numbers::pi * u2;
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }

  // Uniform in [0, n), n < 2^32, by the high half of a multiply (bias below 2^-32 * n).
  uint64_t Below(uint64_t n) { return ((engine_() >> 32) * n) >> 32; }

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0;
};

FloatMatrix Generate(const DatasetSpec& spec, int64_t rows, Stream stream,
                     const std::vector<float>& centres) {
  FloatMatrix out;
  out.rows = rows;
  out.dim = spec.dim;
  out.data.resize(static_cast<size_t>(rows) * spec.dim);
  SyntheticRandom random(DeriveSeed(spec.seed, stream));
  float* value = out.data.data();
  for (int64_t r = 0; r < rows; ++r) {
    if (spec.distribution == "uniform") {
      for (int j = 0; j < spec.dim; ++j) *value++ = random.Uniform();
    } else if (spec.distribution == "normal") {
      for (int j = 0; j < spec.dim; ++j) *value++ = static_cast<float>(random.Normal());
    } else {  // clustered
      const float* centre = centres.data() + random.Below(spec.clusters) * spec.dim;
      for (int j = 0; j < spec.dim; ++j) {
        *value++ = static_cast<float>(centre[j] + kClusterSpread * random.Normal());
      }
    }
  }
  return out;
}

}  // namespace

SourceData GenerateSynthetic(const DatasetSpec& spec) {
  std::vector<float> centres;
  if (spec.distribution == "clustered") {
    SyntheticRandom random(DeriveSeed(spec.seed, kCentreStream));
    centres.resize(static_cast<size_t>(spec.clusters) * spec.dim);
    for (float& value : centres) value = random.Uniform();
  }
  SourceData data;
  data.metric = spec.metric;
  // Vectors are not normalized even for cosine: the target normalizes; the ground truth uses
  // the cosine distance.
  data.base = Generate(spec, spec.count, kBaseStream, centres);
  data.queries = Generate(spec, spec.queries, kQueryStream, centres);
  return data;
}

}  // namespace vexbench::dataset_internal
