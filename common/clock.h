// Time sources. Latency uses the monotonic clock; wall-clock time (Unix µs) only names
// instants in reports and on the wire (interval starts, barrier start).
#ifndef VEXBENCH_COMMON_CLOCK_H_
#define VEXBENCH_COMMON_CLOCK_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace vexbench {

using MonoClock = std::chrono::steady_clock;
using MonoTime = MonoClock::time_point;

// Wall-clock now in microseconds since the Unix epoch.
int64_t UnixMicrosNow();

// Maps monotonic instants to Unix µs using one reading of both clocks taken at construction,
// so a series of instants keeps the monotonic clock's spacing (no jumps from NTP steps).
class WallClockAnchor {
 public:
  WallClockAnchor();
  int64_t ToUnixMicros(MonoTime t) const;
  MonoTime FromUnixMicros(int64_t unix_us) const;

 private:
  MonoTime mono_;
  int64_t unix_us_;
};

// "2026-11-24T07:22:03.123Z" (UTC, milliseconds).
std::string FormatUnixMicrosIso8601(int64_t unix_us);

}  // namespace vexbench

#endif  // VEXBENCH_COMMON_CLOCK_H_
