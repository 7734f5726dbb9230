// Cron expressions: the standard five fields, evaluated in a time zone.
//
//   minute (0-59)  hour (0-23)  day-of-month (1-31)  month (1-12 or JAN-DEC)
//   day-of-week (0-7 or SUN-SAT; 0 and 7 are Sunday)
//
// Each field is `*`, a number, a range `a-b`, a step `*/n` or `a-b/n` or `a/n` (from a to the
// field's maximum), or a comma-separated list of those. Names are case-insensitive. The
// shorthands @yearly (@annually), @monthly, @weekly, @daily (@midnight) and @hourly are accepted.
// As in every cron since Vixie cron: when both day fields are restricted (neither starts with
// `*`), a day matches if EITHER matches; otherwise both must.
//
// Daylight-saving time (the rule NextAfter applies):
//   - a civil time skipped by a spring-forward gap fires at the first valid instant after the
//     gap (the transition instant: 02:30 on the day Paris jumps 02:00 -> 03:00 fires at 03:00);
//     several skipped times of one gap fire once;
//   - a civil time repeated by a fall-back overlap fires once, at its first occurrence.
#ifndef VEXBENCH_CONTROLLER_CRON_H_
#define VEXBENCH_CONTROLLER_CRON_H_

#include <bitset>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vexbench {

class CronExpression {
 public:
  // Parses `text`. An error names the field and what it expects, e.g.
  //   cron field 2 (hour) "25": expected 0-23
  static absl::StatusOr<CronExpression> Parse(const std::string& text);

  // The first fire instant strictly after `after`, with civil times read in `zone`.
  // InfiniteFuture() if none within 8 years (Parse rejects expressions that never match).
  absl::Time NextAfter(absl::Time after, const absl::TimeZone& zone) const;

  const std::string& text() const { return text_; }

 private:
  bool DayMatches(const absl::CivilDay& day) const;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  // bit 0 unused
  std::bitset<13> months_;         // bit 0 unused
  std::bitset<7> days_of_week_;    // 0 = Sunday
  bool day_of_month_star_ = true;
  bool day_of_week_star_ = true;
};

// Loads an IANA zone ("Europe/Paris", "UTC") from the system tzdata. The error names `flag`.
absl::StatusOr<absl::TimeZone> LoadZone(const std::string& name, const std::string& flag = "--tz");

}  // namespace vexbench

#endif  // VEXBENCH_CONTROLLER_CRON_H_
