// The value syntaxes of the job spec: durations and target URLs (common/job_spec.h).
#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/job_spec.h"
#include "common/job_spec_internal.h"

namespace vexbench {
namespace {

using job_spec_internal::kDurationExpectation;
using job_spec_internal::kUrlExpectation;
using job_spec_internal::Quote;
using job_spec_internal::SpecError;

// --- Durations ------------------------------------------------------------------------------

struct DurationUnit {
  absl::string_view suffix;
  int64_t ns;
};
// Longer suffixes first: "ms" must win over "m".
constexpr DurationUnit kDurationUnits[] = {{"ns", 1},
                                           {"us", 1'000},
                                           {"\u00b5s", 1'000},
                                           {"ms", 1'000'000},
                                           {"h", 3'600'000'000'000},
                                           {"m", 60'000'000'000},
                                           {"s", 1'000'000'000}};

// Reads "<digits>[.<digits>]<unit>" at the front of `text`, in nanoseconds.
absl::StatusOr<__int128> ReadDurationTerm(absl::string_view& text, absl::string_view whole) {
  __int128 integer = 0, fraction = 0, scale = 1;
  size_t i = 0, digits = 0;
  for (; i < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[i])); ++i) {
    integer = integer * 10 + (text[i] - '0');
    if (integer > std::numeric_limits<int64_t>::max()) break;
    ++digits;
  }
  if (i < text.size() && text[i] == '.') {
    for (++i; i < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[i])); ++i) {
      if (scale < 1'000'000'000'000'000'000) {  // digits beyond 1e-18 do not matter
        fraction = fraction * 10 + (text[i] - '0');
        scale *= 10;
      }
      ++digits;
    }
  }
  if (digits == 0)
    return SpecError("", absl::StrCat(Quote(whole), " is not a duration"), kDurationExpectation);
  text.remove_prefix(i);
  if (text.empty()) {
    return SpecError("", absl::StrCat(Quote(whole), " has no unit"), kDurationExpectation);
  }
  for (const DurationUnit& unit : kDurationUnits) {
    if (absl::StartsWith(text, unit.suffix)) {
      text.remove_prefix(unit.suffix.size());
      return integer * unit.ns + fraction * unit.ns / scale;
    }
  }
  return SpecError("", absl::StrCat(Quote(whole), " has an unknown unit"), kDurationExpectation);
}

// `value` / `unit` as a decimal with no trailing zeros: 1500000, 1000000 -> "1.5".
std::string FormatDecimal(int64_t value, int64_t unit) {
  std::string out = absl::StrCat(value / unit);
  int64_t rest = value % unit;
  if (rest == 0) return out;
  std::string fraction;
  for (int64_t place = unit / 10; place > 0; place /= 10) {
    fraction += static_cast<char>('0' + rest / place % 10);
  }
  fraction.erase(fraction.find_last_not_of('0') + 1);
  return absl::StrCat(out, ".", fraction);
}

// --- URLs -----------------------------------------------------------------------------------

bool IsIpv4(const std::string& host) {
  in_addr address;
  return inet_pton(AF_INET, host.c_str(), &address) == 1;
}

bool IsIpv6(const std::string& host) {
  in6_addr address;
  return inet_pton(AF_INET6, host.c_str(), &address) == 1;
}

// A DNS name (letters, digits, '-', '_' in non-empty dot-separated labels) or an IPv4 address.
bool IsHostName(const std::string& host) {
  if (host.empty() || host.front() == '.' || host.find("..") != std::string::npos) return false;
  bool numeric = true;
  for (char c : host) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '.') numeric = false;
  }
  return !numeric || IsIpv4(host);
}

// Splits "host[:port]" or "[v6][:port]" into `url`.
absl::Status ReadAuthority(absl::string_view authority, absl::string_view whole, Url& url) {
  absl::string_view host = authority, port;
  bool has_port = false;
  if (absl::StartsWith(authority, "[")) {
    size_t close = authority.find(']');
    if (close == absl::string_view::npos) {
      return SpecError("", absl::StrCat(Quote(whole), " has an unclosed [ in its host"),
                       "an IPv6 address in brackets, e.g. http://[::1]:8080/");
    }
    host = authority.substr(1, close - 1);
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty() && !absl::StartsWith(after, ":")) {
      return SpecError("", absl::StrCat(Quote(whole), " has text after its IPv6 address"),
                       kUrlExpectation);
    }
    has_port = !after.empty();
    if (has_port) port = after.substr(1);
    if (!IsIpv6(std::string(host))) {
      return SpecError("", absl::StrCat(Quote(whole), " has an invalid IPv6 address"),
                       "an IPv6 address in brackets, e.g. http://[::1]:8080/");
    }
  } else {
    size_t colon = authority.find(':');
    has_port = colon != absl::string_view::npos;
    if (has_port) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
    if (host.empty())
      return SpecError("", absl::StrCat(Quote(whole), " has no host"), kUrlExpectation);
    if (!IsHostName(std::string(host))) {
      return SpecError("", absl::StrCat(Quote(whole), " has an invalid host ", Quote(host)),
                       "an IPv4 address, [IPv6] address or host name");
    }
  }
  url.host = std::string(host);
  if (!has_port) return absl::OkStatus();
  int number = 0;
  bool valid = !port.empty() && port.size() <= 5;
  for (size_t i = 0; valid && i < port.size(); ++i) {
    valid = absl::ascii_isdigit(static_cast<unsigned char>(port[i]));
    number = number * 10 + (port[i] - '0');
  }
  if (!valid || number < 1 || number > 65535) {
    return SpecError("", absl::StrCat(Quote(whole), " has an invalid port ", Quote(port)),
                     "a port in 1..65535");
  }
  url.port = static_cast<uint16_t>(number);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Duration> ParseDuration(std::string_view std_text) {
  const absl::string_view text = job_spec_internal::ToAbsl(std_text);
  if (absl::StartsWith(text, "-")) {
    return SpecError("", absl::StrCat(Quote(text), " is negative"), kDurationExpectation);
  }
  if (text.empty()) return SpecError("", "\"\" is not a duration", kDurationExpectation);
  __int128 total = 0;
  absl::string_view rest = text;
  while (!rest.empty()) {
    absl::StatusOr<__int128> term = ReadDurationTerm(rest, text);
    if (!term.ok()) return term.status();
    total += *term;
    if (total > std::numeric_limits<int64_t>::max()) {
      return SpecError("", absl::StrCat(Quote(text), " is too long"),
                       absl::StrCat("a duration up to ", FormatDuration(Duration::max())));
    }
  }
  return Duration(static_cast<int64_t>(total));
}

std::string FormatDuration(Duration d) {
  if (d < Duration::zero()) {
    if (d == Duration::min()) return absl::StrCat("-", FormatDuration(Duration::max()));
    return absl::StrCat("-", FormatDuration(-d));
  }
  const int64_t ns = d.count();
  if (ns == 0) return "0s";
  constexpr int64_t kSecond = 1'000'000'000, kMinute = 60 * kSecond, kHour = 60 * kMinute;
  if (ns < 1'000) return absl::StrCat(ns, "ns");
  if (ns < 1'000'000) return absl::StrCat(FormatDecimal(ns, 1'000), "us");
  if (ns < kSecond) return absl::StrCat(FormatDecimal(ns, 1'000'000), "ms");
  std::string out;
  if (ns >= kHour) absl::StrAppend(&out, ns / kHour, "h");
  if (ns % kHour >= kMinute) absl::StrAppend(&out, ns % kHour / kMinute, "m");
  if (ns % kMinute != 0) absl::StrAppend(&out, FormatDecimal(ns % kMinute, kSecond), "s");
  return out;
}

absl::StatusOr<Url> ParseUrl(std::string_view std_text) {
  const absl::string_view text = job_spec_internal::ToAbsl(std_text);
  size_t scheme_end = text.find("://");
  if (scheme_end == absl::string_view::npos) {
    return SpecError("", absl::StrCat(Quote(text), " is not an http URL"), kUrlExpectation);
  }
  std::string scheme = absl::AsciiStrToLower(text.substr(0, scheme_end));
  if (scheme == "https")
    return absl::InvalidArgumentError("https targets are not supported yet; use http://");
  if (scheme != "http") {
    return SpecError("", absl::StrCat(Quote(text), " has scheme ", Quote(scheme)), kUrlExpectation);
  }
  absl::string_view rest = text.substr(scheme_end + 3);
  size_t authority_end = std::min(rest.find_first_of("/?#"), rest.size());
  absl::string_view authority = rest.substr(0, authority_end);
  absl::string_view target = rest.substr(authority_end);
  if (authority.find('@') != absl::string_view::npos) {
    return SpecError("", absl::StrCat(Quote(text), " has user info (user@)"), kUrlExpectation);
  }
  Url url;
  url.scheme = "http";
  if (absl::Status status = ReadAuthority(authority, text, url); !status.ok()) return status;
  if (target.find('#') != absl::string_view::npos) {
    return SpecError("", absl::StrCat(Quote(text), " has a #fragment"), kUrlExpectation);
  }
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return SpecError("", absl::StrCat(Quote(text), " has a space or control character"),
                       "a URL with its path and query percent-encoded");
    }
  }
  url.target = absl::StartsWith(target, "/") ? std::string(target) : absl::StrCat("/", target);
  return url;
}

}  // namespace vexbench
