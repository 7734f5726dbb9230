#include "agent/load_profile.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace vexbench {

LoadProfile::LoadProfile(double base, Duration warmup, std::vector<Point> stages)
    : base_(base), warmup_(warmup), stages_(std::move(stages)) {}

double LoadProfile::ValueAt(Duration since_start) const {
  if (since_start <= warmup_ || stages_.empty()) return base_;
  Duration t = since_start - warmup_;
  double from = base_;
  for (const Point& stage : stages_) {
    if (t < stage.duration) {
      const double f = std::chrono::duration<double>(t) / std::chrono::duration<double>(stage.duration);
      return from + (stage.value - from) * f;
    }
    t -= stage.duration;
    from = stage.value;
  }
  return from;
}

double LoadProfile::MaxValue() const {
  double m = base_;
  for (const Point& stage : stages_) m = std::max(m, stage.value);
  return m;
}

Duration LoadProfile::StagesEnd() const {
  if (stages_.empty()) return Duration::zero();
  Duration total = warmup_;
  for (const Point& stage : stages_) total += stage.duration;
  return total;
}

LoadProfile LoadProfile::Scaled(double factor) const {
  std::vector<Point> stages = stages_;
  for (Point& p : stages) p.value *= factor;
  return LoadProfile(base_ * factor, warmup_, std::move(stages));
}

ArrivalGenerator::ArrivalGenerator(LoadProfile rate_per_s, Arrival arrival, uint64_t seed,
                                   MonoTime start, Duration first_offset)
    : rate_(std::move(rate_per_s)),
      arrival_(arrival),
      rng_(seed),
      start_(start),
      next_(start + first_offset) {}

MonoTime ArrivalGenerator::Next() {
  // While the rate is (about) zero, as at the start of a ramp from 0, look again 1 ms later.
  // MonoTime::max() when it stays zero to the end.
  constexpr double kMinRate = 1e-3;
  MonoTime current = next_;
  double rate = rate_.ValueAt(current - start_);
  while (rate <= kMinRate) {
    if (current - start_ >= rate_.StagesEnd()) return MonoTime::max();  // zero from here on
    current += std::chrono::milliseconds(1);
    rate = rate_.ValueAt(current - start_);
  }
  double gap_s = 1.0 / rate;
  if (arrival_ == Arrival::kPoisson) gap_s = std::exponential_distribution<double>(rate)(rng_);
  Duration gap = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(gap_s));
  next_ = current + std::max(gap, Duration(1));
  return current;
}

}  // namespace vexbench
