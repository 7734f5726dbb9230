#include "agent/load_profile.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace vexbench {

LoadProfile::LoadProfile(double base, Duration warmup, std::vector<Point> stages)
    : base_(base), warmup_(warmup), stages_(std::move(stages)) {
  Duration t = Duration::zero();
  if (warmup_ > Duration::zero()) segments_.push_back({t, warmup_, base_, base_});
  t = warmup_;
  double v = base_;
  for (const Point& stage : stages_) {
    segments_.push_back({t, t + stage.duration, v, stage.value});
    t += stage.duration;
    v = stage.value;
  }
  segments_.push_back({t, Duration::max(), v, v});  // open-ended, constant
}

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

Duration LoadProfile::Advance(Duration from, double area) const {
  using Seconds = std::chrono::duration<double>;
  for (const Segment& seg : segments_) {
    if (seg.end <= from) continue;
    const Duration x = std::max(from, seg.begin);
    const bool open_ended = seg.end == Duration::max();
    const double len = open_ended ? 0 : Seconds(seg.end - seg.begin).count();
    const double slope = open_ended || len == 0 ? 0 : (seg.v1 - seg.v0) / len;
    const double a = seg.v0 + slope * Seconds(x - seg.begin).count();  // value at x
    const double rest = open_ended ? 0 : Seconds(seg.end - x).count();
    const double segment_area = open_ended ? 0 : a * rest + slope / 2 * rest * rest;
    if (open_ended || segment_area >= area) {
      double d;  // seconds after x where the area is reached: slope/2 d^2 + a d = area
      if (slope == 0) {
        if (a <= 0) return Duration::max();
        d = area / a;
      } else {
        const double disc = a * a + 2 * slope * area;
        if (disc < 0) return Duration::max();
        d = (-a + std::sqrt(disc)) / slope;
        if (d < 0) return Duration::max();
      }
      if (!open_ended) d = std::min(d, rest);
      return x + std::chrono::duration_cast<Duration>(Seconds(d));
    }
    area -= segment_area;
  }
  return Duration::max();
}

ArrivalGenerator::ArrivalGenerator(LoadProfile rate_per_s, Arrival arrival, uint64_t seed,
                                   MonoTime start, double phase)
    : rate_(std::move(rate_per_s)), arrival_(arrival), rng_(seed), start_(start) {
  const double first = arrival_ == Arrival::kPoisson
                           ? std::exponential_distribution<double>(1.0)(rng_)
                           : phase;
  const Duration at = rate_.Advance(Duration::zero(), first);
  next_ = at == Duration::max() ? MonoTime::max() : start_ + at;
}

MonoTime ArrivalGenerator::Next() {
  const MonoTime current = next_;
  if (current == MonoTime::max()) return current;
  const double area =
      arrival_ == Arrival::kPoisson ? std::exponential_distribution<double>(1.0)(rng_) : 1.0;
  const Duration at = rate_.Advance(current - start_, area);
  next_ = at == Duration::max() ? MonoTime::max() : std::max(start_ + at, current + Duration(1));
  return current;
}

}  // namespace vexbench
