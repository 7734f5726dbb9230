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

 private:
  double base_;
  Duration warmup_;
  std::vector<Point> stages_;
};

// The intended send instants of an open-loop phase for one thread: uniform spacing or a
// Poisson process at the profile's rate (requests per second). Deterministic for a seed.
class ArrivalGenerator {
 public:
  ArrivalGenerator(LoadProfile rate_per_s, Arrival arrival, uint64_t seed, MonoTime start,
                   Duration first_offset);
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
