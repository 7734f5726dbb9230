#include "controller/cron.h"

#include <catch2/catch.hpp>

#include <string>

#include "absl/time/civil_time.h"

namespace vexbench {
namespace {

absl::TimeZone Zone(const std::string& name) {
  auto zone = LoadZone(name);
  REQUIRE(zone.ok());
  return *zone;
}

absl::Time Utc(int y, int mo, int d, int h, int mi) {
  return absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi), absl::UTCTimeZone());
}

CronExpression Cron(const std::string& text) {
  auto cron = CronExpression::Parse(text);
  INFO(text << ": " << cron.status().message());
  REQUIRE(cron.ok());
  return *cron;
}

std::string Error(const std::string& text) {
  auto cron = CronExpression::Parse(text);
  REQUIRE(!cron.ok());
  return std::string(cron.status().message());
}

TEST_CASE("cron: a daily time fires once a day at that minute") {
  const CronExpression cron = Cron("0 2 * * *");
  const absl::TimeZone utc = absl::UTCTimeZone();
  CHECK(cron.NextAfter(Utc(2026, 11, 24, 13, 0), utc) == Utc(2026, 11, 25, 2, 0));
  // Strictly after: the fire instant itself gives the next day's.
  CHECK(cron.NextAfter(Utc(2026, 11, 25, 2, 0), utc) == Utc(2026, 11, 26, 2, 0));
  CHECK(cron.NextAfter(Utc(2026, 12, 31, 3, 0), utc) == Utc(2027, 1, 1, 2, 0));
}

TEST_CASE("cron: ranges, lists and steps") {
  const absl::TimeZone utc = absl::UTCTimeZone();
  // Every 15 minutes from 9 to 17 on weekdays (2026-11-27 is a Friday).
  const CronExpression work = Cron("*/15 9-17 * * MON-FRI");
  CHECK(work.NextAfter(Utc(2026, 11, 27, 17, 45), utc) == Utc(2026, 11, 30, 9, 0));
  CHECK(work.NextAfter(Utc(2026, 11, 27, 9, 0), utc) == Utc(2026, 11, 27, 9, 15));
  CHECK(work.NextAfter(Utc(2026, 11, 28, 12, 0), utc) == Utc(2026, 11, 30, 9, 0));
  // A list mixing values, ranges and a stepped range.
  const CronExpression mixed = Cron("5,10-12,40-50/5 3 * * *");
  absl::Time t = Utc(2026, 1, 1, 0, 0);
  std::vector<int> minutes;
  for (int i = 0; i < 7; ++i) {
    t = mixed.NextAfter(t, utc);
    minutes.push_back(absl::ToCivilMinute(t, utc).minute());
  }
  CHECK(minutes == std::vector<int>{5, 10, 11, 12, 40, 45, 50});
  CHECK(absl::ToCivilMinute(mixed.NextAfter(t, utc), utc) == absl::CivilMinute(2026, 1, 2, 3, 5));
  // a/n runs from a to the field's maximum.
  const CronExpression from = Cron("50/4 0 * * *");
  CHECK(from.NextAfter(Utc(2026, 1, 1, 0, 55), utc) == Utc(2026, 1, 1, 0, 58));
  CHECK(from.NextAfter(Utc(2026, 1, 1, 0, 58), utc) == Utc(2026, 1, 2, 0, 50));
  // Names are case-insensitive; month names; 7 is Sunday like 0.
  const CronExpression names = Cron("0 12 * jun sun");
  CHECK(names.NextAfter(Utc(2026, 1, 1, 0, 0), utc) == Utc(2026, 6, 7, 12, 0));
  CHECK(Cron("0 12 * 6 7").NextAfter(Utc(2026, 1, 1, 0, 0), utc) == Utc(2026, 6, 7, 12, 0));
  // Shorthands.
  CHECK(Cron("@daily").NextAfter(Utc(2026, 3, 3, 5, 0), utc) == Utc(2026, 3, 4, 0, 0));
  CHECK(Cron("@hourly").NextAfter(Utc(2026, 3, 3, 5, 0), utc) == Utc(2026, 3, 3, 6, 0));
  CHECK(Cron("@weekly").NextAfter(Utc(2026, 11, 24, 0, 0), utc) == Utc(2026, 11, 29, 0, 0));
}

TEST_CASE("cron: day-of-month and day-of-week are ORed when both are restricted") {
  const absl::TimeZone utc = absl::UTCTimeZone();
  // The 13th of the month OR any Friday (Vixie cron's rule).
  const CronExpression either = Cron("0 0 13 * FRI");
  // From Monday 2026-11-09: Friday the 13th is both; the next after it is Friday the 20th.
  CHECK(either.NextAfter(Utc(2026, 11, 9, 0, 0), utc) == Utc(2026, 11, 13, 0, 0));
  CHECK(either.NextAfter(Utc(2026, 11, 13, 0, 0), utc) == Utc(2026, 11, 20, 0, 0));
  // In December the 13th is a Sunday: it fires although it is not a Friday.
  CHECK(either.NextAfter(Utc(2026, 12, 11, 0, 0), utc) == Utc(2026, 12, 13, 0, 0));
  // With day-of-week `*`, only the day of month counts (and the other way round).
  const CronExpression dom = Cron("0 0 13 * *");
  CHECK(dom.NextAfter(Utc(2026, 11, 14, 0, 0), utc) == Utc(2026, 12, 13, 0, 0));
  const CronExpression dow = Cron("0 0 * * FRI");
  CHECK(dow.NextAfter(Utc(2026, 11, 13, 0, 0), utc) == Utc(2026, 11, 20, 0, 0));
  // A field starting with '*' counts as unrestricted for the rule, as in Vixie cron: "*/2"
  // with a day of week means both must match (odd days that are Mondays).
  const CronExpression stepped = Cron("0 0 */2 * MON");
  CHECK(stepped.NextAfter(Utc(2026, 11, 1, 0, 0), utc) == Utc(2026, 11, 9, 0, 0));
  // February 29th only in leap years.
  CHECK(Cron("0 0 29 2 *").NextAfter(Utc(2026, 1, 1, 0, 0), utc) == Utc(2028, 2, 29, 0, 0));
}

TEST_CASE("cron: daylight-saving gaps fire once at the transition, overlaps once") {
  const absl::TimeZone paris = Zone("Europe/Paris");
  // 2026-03-29: Paris jumps from 02:00 CET to 03:00 CEST (01:00 UTC); 02:30 does not exist.
  const CronExpression at_0230 = Cron("30 2 * * *");
  CHECK(at_0230.NextAfter(Utc(2026, 3, 28, 12, 0), paris) == Utc(2026, 3, 29, 1, 0));
  // The next day is normal again: 02:30 CEST is 00:30 UTC.
  CHECK(at_0230.NextAfter(Utc(2026, 3, 29, 1, 0), paris) == Utc(2026, 3, 30, 0, 30));
  // Several skipped times of one gap fire once.
  const CronExpression quarter = Cron("*/15 2 * * *");
  const absl::Time first = quarter.NextAfter(Utc(2026, 3, 28, 23, 0), paris);
  CHECK(first == Utc(2026, 3, 29, 1, 0));
  CHECK(quarter.NextAfter(first, paris) == Utc(2026, 3, 30, 0, 0));
  // 2026-10-25: Paris falls back from 03:00 CEST to 02:00 CET; 02:30 happens twice (00:30 and
  // 01:30 UTC) and fires at its first occurrence only.
  const absl::Time fall = at_0230.NextAfter(Utc(2026, 10, 24, 12, 0), paris);
  CHECK(fall == Utc(2026, 10, 25, 0, 30));
  CHECK(at_0230.NextAfter(fall, paris) == Utc(2026, 10, 26, 1, 30));
  // Asked from inside the repeated hour (after the first 02:30), it does not fire again.
  CHECK(at_0230.NextAfter(Utc(2026, 10, 25, 1, 10), paris) == Utc(2026, 10, 26, 1, 30));
  // An ordinary time in Paris is its UTC offset away: 02:00 CET is 01:00 UTC.
  CHECK(Cron("0 2 * * *").NextAfter(Utc(2026, 11, 24, 13, 0), paris) == Utc(2026, 11, 25, 1, 0));
}

TEST_CASE("cron: a bad expression names the field and what it expects") {
  CHECK(Error("0 25 * * *") == "cron field 2 (hour) \"25\": expected 0-23");
  CHECK(Error("60 * * * *") == "cron field 1 (minute) \"60\": expected 0-59");
  CHECK(Error("0 0 0 * *") == "cron field 3 (day-of-month) \"0\": expected 1-31");
  CHECK(Error("0 0 * 13 *") == "cron field 4 (month) \"13\": expected 1-12 or JAN-DEC");
  CHECK(Error("0 0 * * 8") == "cron field 5 (day-of-week) \"8\": expected 0-7 or SUN-SAT");
  CHECK(Error("0 0 * FOO *").find("cron field 4 (month) \"FOO\"") == 0);
  CHECK(Error("0 0 * * 5-1") ==
        "cron field 5 (day-of-week) \"5-1\": expected a range low-high with low <= high");
  CHECK(Error("*/0 * * * *") == "cron field 1 (minute) \"*/0\": expected a step from 1 to 59 after '/'");
  CHECK(Error("*/x * * * *").find("cron field 1 (minute)") == 0);
  CHECK(Error("1,,2 * * * *").find("cron field 1 (minute) \"1,,2\": expected no empty") == 0);
  CHECK(Error("0 2 * *").find("has 4 fields; expected 5: minute hour day-of-month month "
                              "day-of-week") != std::string::npos);
  CHECK(Error("0 2 * * * *").find("has 6 fields") != std::string::npos);
  CHECK(Error("").find("has 0 fields") != std::string::npos);
  CHECK(Error("@sometimes").find("unknown shorthand") != std::string::npos);
  // An expression that can never fire is refused rather than silently never running.
  CHECK(Error("0 0 30 2 *").find("cron field 3 (day-of-month) \"30\"") == 0);
  CHECK(Error("0 0 31 4,6,9,11 *").find("never fires") != std::string::npos);
}

TEST_CASE("cron: time zones load by IANA name, and a bad one names the flag") {
  CHECK(LoadZone("UTC").ok());
  CHECK(LoadZone("America/New_York").ok());
  auto bad = LoadZone("Mars/Olympus", "--tz");
  REQUIRE(!bad.ok());
  CHECK(std::string(bad.status().message()).find("--tz \"Mars/Olympus\": unknown time zone") == 0);
  CHECK(!LoadZone("").ok());
}

}  // namespace
}  // namespace vexbench
