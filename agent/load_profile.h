// How much load a phase asks for over time, and when open-loop requests are due.
#ifndef VEXBENCH_AGENT_LOAD_PROFILE_H_
#define VEXBENCH_AGENT_LOAD_PROFILE_H_

#include <cstdint>
#include <random>
#include <vector>

#include "common/clock.h"
#include "common/job_spec.h"

namespace vexbench {

// A piecewise-linear value over the phase's run time: `base` during warm-up and, without
// stages, until the end; with stages, each stage moves linearly from the previous value to its
// own over its duration. Used for the rate (open loop) and the concurrency (closed loop).
class LoadProfile {
 public:
  struct Point {
    Duration duration;
    double value;
  };
  LoadProfile(double base, Duration warmup, std::vector<Point> stages);

  double ValueAt(Duration since_start) const;
  double MaxValue() const;
  // Warm-up plus the stages; 0 when there are no stages.
  Duration StagesEnd() const;
  // The same profile with every value multiplied by `factor` (a shard's or thread's share).
  LoadProfile Scaled(double factor) const;
  // The instant t >= `from` where the integral of the value over [from, t] reaches `area`
  // (value in 1/s, so area counts arrivals); Duration::max() when it never does.
  Duration Advance(Duration from, double area) const;

 private:
  // [begin, end) with the value linear from v0 to v1; the last one is open-ended.
  struct Segment {
    Duration begin, end;
    double v0, v1;
  };
  double base_;
  Duration warmup_;
  std::vector<Point> stages_;
  std::vector<Segment> segments_;  // derived from the above, for Advance() without allocating
};

// The intended send instants of an open-loop phase for one thread, at the profile's rate
// (requests per second, which may vary over time): uniform, one arrival per unit of the
// rate's integral; or Poisson, exponential(1) units apart (time rescaling). Deterministic for a
// seed. `phase` in [0, 1) shifts uniform arrivals by that fraction of a gap, so that threads
// sharing a rate interleave instead of sending together.
class ArrivalGenerator {
 public:
  ArrivalGenerator(LoadProfile rate_per_s, Arrival arrival, uint64_t seed, MonoTime start,
                   double phase);
  // The next intended instant; strictly after the previous one.
  MonoTime Next();

 private:
  LoadProfile rate_;
  Arrival arrival_;
  std::mt19937_64 rng_;
  MonoTime start_;
  MonoTime next_;
};

}  // namespace vexbench

#endif  // VEXBENCH_AGENT_LOAD_PROFILE_H_
