// HdrHistogram interval log writer and reader. The text written matches what Java's
// HistogramLogWriter writes (including its "%.3f" rounding and its Date.toString() in the
// StartTime comment, here always in UTC); the reader accepts what it writes.
#include "common/hlog.h"

#include <charconv>
#include <cmath>
#include <ctime>
#include <istream>
#include <optional>
#include <ostream>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/hdr_codec.h"

namespace vexbench {
namespace {

constexpr std::string_view kVersionLine = "#[Histogram log format version 1.3]";
constexpr std::string_view kStartTimePrefix = "#[StartTime: ";
constexpr std::string_view kBaseTimePrefix = "#[BaseTime: ";
constexpr std::string_view kLegendLine =
    "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"";
constexpr std::string_view kTagPrefix = "Tag=";

// Abseil on Debian 12 has its own string_view type, so plain std helpers are used here.
std::string_view StripWhitespace(std::string_view text) {
  constexpr std::string_view kWhitespace = " \t\r\n";
  const size_t first = text.find_first_not_of(kWhitespace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kWhitespace) - first + 1);
}

std::vector<std::string_view> SplitOn(std::string_view text, char delimiter) {
  std::vector<std::string_view> parts;
  size_t begin = 0;
  for (size_t pos = text.find(delimiter); pos != std::string_view::npos;
       pos = text.find(delimiter, begin)) {
    parts.push_back(text.substr(begin, pos - begin));
    begin = pos + 1;
  }
  parts.push_back(text.substr(begin));
  return parts;
}

// Adds one unit in the last place to a string of decimal digits; true on carry out of it.
bool IncrementDigits(std::string& digits) {
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (*it != '9') {
      ++*it;
      return false;
    }
    *it = '0';
  }
  return true;
}

// Java's String.format(Locale.US, "%.3f", value): the shortest decimal that round-trips,
// rounded half-up to 3 decimals (0.0015 -> "0.002", where printf would give "0.001").
std::string FormatFixed3(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char buffer[400];
  const auto [end, ec] =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::fixed);
  if (ec != std::errc()) return "NaN";  // not reachable: the buffer fits any double
  std::string_view text(buffer, end - buffer);
  const bool negative = text.starts_with('-');
  if (negative) text.remove_prefix(1);
  const size_t dot = text.find('.');
  std::string integer(text.substr(0, dot));
  std::string fraction(dot == std::string_view::npos ? "" : text.substr(dot + 1));
  const bool round_up = fraction.size() > 3 && fraction[3] >= '5';
  fraction.resize(3, '0');
  if (round_up && IncrementDigits(fraction) && IncrementDigits(integer)) {
    integer.insert(integer.begin(), '1');
  }
  return absl::StrCat(negative ? "-" : "", integer, ".", fraction);
}

// Java's Date.toString() ("Tue Nov 14 22:13:20 UTC 2023"), in UTC.
std::string FormatJavaDate(double unix_s) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto seconds = static_cast<std::time_t>(std::floor(unix_s));
  std::tm tm{};
  if (gmtime_r(&seconds, &tm) == nullptr) return "?";
  return absl::StrFormat("%s %s %02d %02d:%02d:%02d UTC %d", kDays[tm.tm_wday], kMonths[tm.tm_mon],
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
}

// Java refuses tags with field or line delimiters; we cannot fail here, so we replace them.
std::string SanitizeTag(std::string_view tag) {
  std::string out(tag);
  for (char& c : out) {
    if (c == ',' || c == ' ' || c == '\r' || c == '\n') c = '_';
  }
  return out;
}

absl::Status LineError(int line_number, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("hlog line ", line_number, ": ", what));
}

absl::StatusOr<double> ParseSeconds(std::string_view text, const std::string& field,
                                    int line_number) {
  text = StripWhitespace(text);
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return LineError(line_number,
                     absl::StrCat(field, " \"", std::string(text), "\" is not a number"));
  }
  return value;
}

// "#[StartTime: 1700000000.000 (seconds since epoch), ...]": the number after the prefix.
absl::StatusOr<double> ParseTimeComment(std::string_view line, std::string_view prefix,
                                        int line_number) {
  line.remove_prefix(prefix.size());
  const size_t end = line.find_first_of(" ]");
  return ParseSeconds(line.substr(0, end), std::string(prefix.substr(2, prefix.size() - 4)),
                      line_number);
}

absl::StatusOr<HlogEntry> ParseIntervalLine(std::string_view line, int line_number,
                                            ValueUnit unit) {
  std::vector<std::string_view> fields = SplitOn(line, ',');
  HlogEntry entry;
  if (fields[0].starts_with(kTagPrefix)) {
    entry.tag = std::string(fields[0].substr(kTagPrefix.size()));
    fields.erase(fields.begin());
  }
  if (fields.size() != 4) {
    return LineError(line_number,
                     absl::StrFormat("expected [Tag=NAME,]START,LENGTH,MAX,HISTOGRAM but found %d "
                                     "fields after the optional tag",
                                     fields.size()));
  }
  absl::StatusOr<double> start_s = ParseSeconds(fields[0], "StartTimestamp", line_number);
  if (!start_s.ok()) return start_s.status();
  absl::StatusOr<double> length_s = ParseSeconds(fields[1], "Interval_Length", line_number);
  if (!length_s.ok()) return length_s.status();
  absl::StatusOr<double> max = ParseSeconds(fields[2], "Interval_Max", line_number);
  if (!max.ok()) return max.status();
  std::string bytes;
  const std::string_view base64 = StripWhitespace(fields[3]);
  if (!absl::Base64Unescape(absl::string_view(base64.data(), base64.size()), &bytes)) {
    return LineError(line_number, "Interval_Compressed_Histogram is not valid base64");
  }
  absl::StatusOr<Histogram> histogram = DecodeV2(bytes, unit);
  if (!histogram.ok()) return LineError(line_number, std::string(histogram.status().message()));
  entry.start_s = *start_s;
  entry.length_s = *length_s;
  entry.histogram = *std::move(histogram);
  return entry;
}

}  // namespace

HlogWriter::HlogWriter(std::ostream& out, double max_value_unit_ratio)
    : out_(out), max_value_unit_ratio_(max_value_unit_ratio) {}

void HlogWriter::WriteHeader(double start_unix_s, std::string_view comment) {
  out_ << kVersionLine << '\n';
  if (!comment.empty()) {
    for (std::string_view line : SplitOn(comment, '\n')) out_ << '#' << line << '\n';
  }
  const std::string start = FormatFixed3(start_unix_s);
  out_ << kStartTimePrefix << start << " (seconds since epoch), " << FormatJavaDate(start_unix_s)
       << "]\n";
  out_ << kBaseTimePrefix << start << " (seconds since epoch)]\n";
  out_ << kLegendLine << '\n';
}

void HlogWriter::WriteInterval(const HlogEntry& entry) {
  std::string line;
  if (entry.tag.has_value()) line = absl::StrCat("Tag=", SanitizeTag(*entry.tag), ",");
  const double max = static_cast<double>(entry.histogram.Max()) / max_value_unit_ratio_;
  absl::StrAppend(&line, FormatFixed3(entry.start_s), ",", FormatFixed3(entry.length_s), ",",
                  FormatFixed3(max), ",", absl::Base64Escape(EncodeV2Compressed(entry.histogram)),
                  "\n");
  out_ << line;
}

absl::StatusOr<HlogFile> ReadHlog(std::istream& in, ValueUnit unit) {
  HlogFile file;
  std::string raw_line;
  int line_number = 0;
  while (std::getline(in, raw_line)) {
    ++line_number;
    const std::string_view line = StripWhitespace(raw_line);
    if (line.empty() || line.front() == '"') continue;  // blank or the legend
    if (line.front() == '#') {
      std::optional<double>* time = nullptr;
      std::string_view prefix;
      if (line.starts_with(kStartTimePrefix)) {
        time = &file.start_time_s;
        prefix = kStartTimePrefix;
      } else if (line.starts_with(kBaseTimePrefix)) {
        time = &file.base_time_s;
        prefix = kBaseTimePrefix;
      } else {
        continue;  // any other comment
      }
      absl::StatusOr<double> seconds = ParseTimeComment(line, prefix, line_number);
      if (!seconds.ok()) return seconds.status();
      *time = *seconds;
      continue;
    }
    absl::StatusOr<HlogEntry> entry = ParseIntervalLine(line, line_number, unit);
    if (!entry.ok()) return entry.status();
    file.entries.push_back(*std::move(entry));
  }
  if (in.bad()) {
    return absl::DataLossError(absl::StrCat("hlog: read failed after line ", line_number));
  }
  return file;
}

}  // namespace vexbench
