#include "controller/cron.h"

#include <array>
#include <cctype>
#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"

namespace vexbench {
namespace {

struct FieldInfo {
  int number;  // 1-based, as users count them
  const char* name;
  int low;
  int high;
  std::vector<std::string> names;  // names[i] stands for low + i ("" for none)
};

const FieldInfo kFields[] = {
    {1, "minute", 0, 59, {}},
    {2, "hour", 0, 23, {}},
    {3, "day-of-month", 1, 31, {}},
    {4, "month", 1, 12,
     {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
    // 7 is Sunday too (folded onto 0 after parsing).
    {5, "day-of-week", 0, 7, {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"}},
};

absl::Status FieldError(const FieldInfo& f, const std::string& item, const std::string& expected) {
  return absl::InvalidArgumentError(absl::StrCat("cron field ", f.number, " (", f.name, ") \"",
                                                 item, "\": expected ", expected));
}

std::string RangeText(const FieldInfo& f) {
  std::string text = absl::StrCat(f.low, "-", f.high);
  // Names run JAN-DEC and SUN-SAT (the day-of-week list repeats SUN for 7).
  if (!f.names.empty()) {
    absl::StrAppend(&text, " or ", f.names.front(), "-",
                    f.names[static_cast<size_t>(f.number == 5 ? 6 : f.high - f.low)]);
  }
  return text;
}

// One value of a field: a number or a name.
absl::StatusOr<int> ParseValue(const FieldInfo& f, const std::string& text, const std::string& item) {
  int value = 0;
  if (absl::SimpleAtoi(text, &value) && !text.empty() && std::isdigit(static_cast<unsigned char>(text[0]))) {
    if (value < f.low || value > f.high) return FieldError(f, item, RangeText(f));
    return value;
  }
  const std::string upper = absl::AsciiStrToUpper(text);
  for (size_t i = 0; i < f.names.size(); ++i) {
    if (f.names[i] == upper) return f.low + static_cast<int>(i);
  }
  return FieldError(f, item, RangeText(f) + " (a value, a-b, */n, a-b/n or a list of those)");
}

// Sets the bits of one field; `star` tells whether the field starts with '*'.
absl::Status ParseField(const FieldInfo& f, const std::string& field, std::vector<bool>& bits) {
  bits.assign(static_cast<size_t>(f.high) + 1, false);
  for (const absl::string_view piece : absl::StrSplit(field, ',')) {
    const std::string item(piece);
    if (item.empty()) return FieldError(f, field, "no empty list items");
    std::string base = item;
    int step = 1;
    if (const size_t slash = item.find('/'); slash != std::string::npos) {
      base = item.substr(0, slash);
      const std::string step_text = item.substr(slash + 1);
      if (!absl::SimpleAtoi(step_text, &step) || step < 1 || step > f.high) {
        return FieldError(f, item, absl::StrCat("a step from 1 to ", f.high, " after '/'"));
      }
    }
    int low = 0;
    int high = 0;
    if (base == "*") {
      low = f.low;
      high = f.number == 5 ? 6 : f.high;  // day-of-week: * is 0-6 (7 repeats Sunday)
    } else if (const size_t dash = base.find('-'); dash != std::string::npos) {
      auto a = ParseValue(f, base.substr(0, dash), item);
      if (!a.ok()) return a.status();
      auto b = ParseValue(f, base.substr(dash + 1), item);
      if (!b.ok()) return b.status();
      if (*a > *b) return FieldError(f, item, "a range low-high with low <= high");
      low = *a;
      high = *b;
    } else {
      auto a = ParseValue(f, base, item);
      if (!a.ok()) return a.status();
      low = *a;
      // "a/n" runs from a to the field's maximum; a bare "a" is just a.
      high = item.find('/') != std::string::npos ? f.high : *a;
    }
    for (int v = low; v <= high; v += step) bits[static_cast<size_t>(v)] = true;
  }
  return absl::OkStatus();
}

int DaysInMonth(int month) {  // the most a month can have (February: 29)
  constexpr std::array<int, 13> kDays = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return kDays[static_cast<size_t>(month)];
}

std::string ExpandShorthand(const std::string& text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "@yearly" || lower == "@annually") return "0 0 1 1 *";
  if (lower == "@monthly") return "0 0 1 * *";
  if (lower == "@weekly") return "0 0 * * 0";
  if (lower == "@daily" || lower == "@midnight") return "0 0 * * *";
  if (lower == "@hourly") return "0 * * * *";
  return text;
}

}  // namespace

absl::StatusOr<CronExpression> CronExpression::Parse(const std::string& text) {
  const std::string expanded = ExpandShorthand(std::string(absl::StripAsciiWhitespace(text)));
  if (!expanded.empty() && expanded[0] == '@') {
    return absl::InvalidArgumentError(
        absl::StrCat("cron \"", text,
                     "\": unknown shorthand; expected @yearly, @monthly, @weekly, @daily or "
                     "@hourly, or five fields"));
  }
  const std::vector<std::string> fields = absl::StrSplit(expanded, ' ', absl::SkipWhitespace());
  if (fields.size() != 5) {
    return absl::InvalidArgumentError(
        absl::StrCat("cron \"", text, "\" has ", fields.size(),
                     " fields; expected 5: minute hour day-of-month month day-of-week"));
  }
  CronExpression cron;
  cron.text_ = text;
  std::vector<bool> bits;
  for (size_t i = 0; i < 5; ++i) {
    if (absl::Status s = ParseField(kFields[i], fields[i], bits); !s.ok()) return s;
    for (size_t v = 0; v < bits.size(); ++v) {
      if (!bits[v]) continue;
      switch (i) {
        case 0: cron.minutes_.set(v); break;
        case 1: cron.hours_.set(v); break;
        case 2: cron.days_of_month_.set(v); break;
        case 3: cron.months_.set(v); break;
        default: cron.days_of_week_.set(v % 7); break;
      }
    }
  }
  cron.day_of_month_star_ = fields[2][0] == '*';
  cron.day_of_week_star_ = fields[4][0] == '*';
  if (!cron.day_of_month_star_ && cron.day_of_week_star_) {
    bool possible = false;
    for (int m = 1; m <= 12 && !possible; ++m) {
      for (int d = 1; d <= DaysInMonth(m) && cron.months_[static_cast<size_t>(m)]; ++d) {
        possible = possible || cron.days_of_month_[static_cast<size_t>(d)];
      }
    }
    if (!possible) {
      return FieldError(kFields[2], fields[2],
                        absl::StrCat("a day that exists in the months of field 4 (\"", fields[3],
                                     "\"); this expression never fires"));
    }
  }
  return cron;
}

bool CronExpression::DayMatches(const absl::CivilDay& day) const {
  const bool dom = days_of_month_[static_cast<size_t>(day.day())];
  // absl: Monday = 0 ... Sunday = 6; cron: Sunday = 0.
  const int weekday = (static_cast<int>(absl::GetWeekday(day)) + 1) % 7;
  const bool dow = days_of_week_[static_cast<size_t>(weekday)];
  if (day_of_month_star_ || day_of_week_star_) return dom && dow;
  return dom || dow;
}

absl::Time CronExpression::NextAfter(absl::Time after, const absl::TimeZone& zone) const {
  absl::CivilMinute m = absl::ToCivilMinute(after, zone) + 1;
  const absl::CivilMinute limit = m + int64_t{8} * 366 * 24 * 60;
  while (m < limit) {
    if (!months_[static_cast<size_t>(m.month())]) {
      m = absl::CivilMinute(absl::CivilMonth(m) + 1);
      continue;
    }
    if (!DayMatches(absl::CivilDay(m))) {
      m = absl::CivilMinute(absl::CivilDay(m) + 1);
      continue;
    }
    if (!hours_[static_cast<size_t>(m.hour())]) {
      m = absl::CivilMinute(absl::CivilHour(m) + 1);
      continue;
    }
    if (!minutes_[static_cast<size_t>(m.minute())]) {
      m += 1;
      continue;
    }
    const absl::TimeZone::TimeInfo info = zone.At(m);
    // Skipped civil time: the first valid instant after the gap. Repeated: its first occurrence
    // (a later pass over the same civil minute maps to the same instant, not after `after`).
    const absl::Time t =
        info.kind == absl::TimeZone::TimeInfo::SKIPPED ? info.trans : info.pre;
    if (t > after) return t;
    m += 1;
  }
  return absl::InfiniteFuture();
}

absl::StatusOr<absl::TimeZone> LoadZone(const std::string& name, const std::string& flag) {
  absl::TimeZone zone;
  if (name.empty() || !absl::LoadTimeZone(name, &zone)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " \"", name,
                     "\": unknown time zone; expected an IANA name such as Europe/Paris or UTC "
                     "(read from /usr/share/zoneinfo, package tzdata)"));
  }
  return zone;
}

}  // namespace vexbench
