#include "common/clock.h"

#include <ctime>

#include "absl/strings/str_format.h"

namespace vexbench {

int64_t UnixMicrosNow() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

WallClockAnchor::WallClockAnchor() : mono_(MonoClock::now()), unix_us_(UnixMicrosNow()) {}

int64_t WallClockAnchor::ToUnixMicros(MonoTime t) const {
  return unix_us_ + std::chrono::duration_cast<std::chrono::microseconds>(t - mono_).count();
}

MonoTime WallClockAnchor::FromUnixMicros(int64_t unix_us) const {
  return mono_ + std::chrono::microseconds(unix_us - unix_us_);
}

std::string FormatUnixMicrosIso8601(int64_t unix_us) {
  const std::time_t secs = static_cast<std::time_t>(unix_us / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                         static_cast<int>((unix_us / 1000) % 1000));
}

}  // namespace vexbench
