#include "controller/threshold.h"

#include <charconv>
#include <map>

#include "absl/status/status.h"
#include "common/job_spec.h"

namespace vexbench {
namespace {

constexpr std::string_view kForms =
    "expected \"[phase.]metric op value\" with metric p50|p90|p95|p99|p999|max|mean (value a "
    "duration like 50ms), throughput (requests/s), errors (a count or a percentage like 0.1%) or "
    "recall@K (0..1), and op <, <=, > or >=";

absl::Status Bad(std::string_view expr, std::string_view what) {
  return absl::InvalidArgumentError("thresholds: \"" + std::string(expr) + "\": " +
                                    std::string(what) + "; " + std::string(kForms));
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

bool ParseNumber(std::string_view text, double& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end;
}

}  // namespace

bool Threshold::Passes(double value) const {
  switch (op) {
    case Op::kLess: return value < limit;
    case Op::kLessEqual: return value <= limit;
    case Op::kGreater: return value > limit;
    case Op::kGreaterEqual: return value >= limit;
  }
  return false;
}

absl::StatusOr<Threshold> ParseThreshold(std::string_view expr) {
  Threshold t;
  t.expr = std::string(expr);
  const size_t op_pos = expr.find_first_of("<>");
  if (op_pos == std::string_view::npos) return Bad(expr, "no comparison operator");
  std::string_view lhs = Trim(expr.substr(0, op_pos));
  std::string_view rest = expr.substr(op_pos);
  if (rest.starts_with("<=")) {
    t.op = Threshold::Op::kLessEqual;
  } else if (rest.starts_with(">=")) {
    t.op = Threshold::Op::kGreaterEqual;
  } else {
    t.op = rest[0] == '<' ? Threshold::Op::kLess : Threshold::Op::kGreater;
  }
  std::string_view value = Trim(rest.substr(t.op == Threshold::Op::kLessEqual ||
                                                    t.op == Threshold::Op::kGreaterEqual
                                                ? 2
                                                : 1));
  std::string_view metric = lhs;
  if (const size_t dot = lhs.rfind('.'); dot != std::string_view::npos) {
    t.phase = std::string(lhs.substr(0, dot));
    metric = lhs.substr(dot + 1);
    if (t.phase->empty()) return Bad(expr, "empty phase name before '.'");
  }
  static const std::map<std::string_view, double> kPercentiles = {
      {"p50", 50}, {"p90", 90}, {"p95", 95}, {"p99", 99}, {"p999", 99.9}};
  if (auto it = kPercentiles.find(metric); it != kPercentiles.end()) {
    t.metric = Threshold::Metric::kPercentile;
    t.percentile = it->second;
  } else if (metric == "max") {
    t.metric = Threshold::Metric::kMax;
  } else if (metric == "mean") {
    t.metric = Threshold::Metric::kMean;
  } else if (metric == "throughput") {
    t.metric = Threshold::Metric::kThroughput;
  } else if (metric == "errors") {
    t.metric = Threshold::Metric::kErrors;
  } else if (metric.starts_with("recall@")) {
    t.metric = Threshold::Metric::kRecall;
    const std::string_view k = metric.substr(7);
    auto [ptr, ec] = std::from_chars(k.data(), k.data() + k.size(), t.recall_k);
    if (ec != std::errc() || ptr != k.data() + k.size() || t.recall_k < 1) {
      return Bad(expr, "'" + std::string(metric) + "' has no valid K");
    }
  } else {
    return Bad(expr, "unknown metric '" + std::string(metric) + "'");
  }
  if (value.empty()) return Bad(expr, "no value after the operator");
  switch (t.metric) {
    case Threshold::Metric::kPercentile:
    case Threshold::Metric::kMax:
    case Threshold::Metric::kMean: {
      auto d = ParseDuration(value);
      if (!d.ok()) return Bad(expr, "'" + std::string(value) + "' is not a duration");
      t.limit = std::chrono::duration<double, std::milli>(*d).count();
      break;
    }
    case Threshold::Metric::kRecall:
      if (!ParseNumber(value, t.limit)) return Bad(expr, "'" + std::string(value) + "' is not a number");
      break;
    case Threshold::Metric::kThroughput:
      if (value.ends_with("/s")) value.remove_suffix(2);
      if (!ParseNumber(value, t.limit)) return Bad(expr, "'" + std::string(value) + "' is not a number");
      break;
    case Threshold::Metric::kErrors:
      if (value.ends_with('%')) {
        t.percent = true;
        value.remove_suffix(1);
      }
      if (!ParseNumber(Trim(value), t.limit)) {
        return Bad(expr, "'" + std::string(value) + "' is not a number");
      }
      break;
  }
  return t;
}

}  // namespace vexbench
