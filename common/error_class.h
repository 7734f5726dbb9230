// How a failed operation is classified in reports (`errors_by_class`).
#ifndef VEXBENCH_COMMON_ERROR_CLASS_H_
#define VEXBENCH_COMMON_ERROR_CLASS_H_

#include <array>
#include <cstdint>
#include <string_view>

namespace vexbench {

enum class ErrorClass : uint8_t {
  kNone = 0,
  kConnect,           // could not connect (refused, unreachable, resolve failure)
  kTimeout,           // the operation's deadline passed
  kReset,             // the peer closed or reset the connection mid-exchange
  kHttp4xx,           // answer with a 4xx status
  kHttp5xx,           // answer with a 5xx status
  kUnexpectedStatus,  // another status than the expected one (e.g. 3xx, or 204 for 200)
  kParse,             // the answer was not valid HTTP, or its body not what the adapter expects
  kBodyTooLarge,      // the answer's body exceeded the body cap
  kFilterViolation,   // a filtered query's answer held an id the filter excludes
  kOther,             // anything else (named in logs)
};

inline constexpr int kErrorClassCount = 11;

inline constexpr std::array<std::string_view, kErrorClassCount> kErrorClassNames = {
    "none",   "connect",           "timeout", "reset",          "http_4xx",
    "http_5xx", "unexpected_status", "parse", "body_too_large", "filter_violation", "other"};

constexpr std::string_view ErrorClassName(ErrorClass c) {
  return kErrorClassNames[static_cast<int>(c)];
}

}  // namespace vexbench

#endif  // VEXBENCH_COMMON_ERROR_CLASS_H_
