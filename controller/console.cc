#include "controller/console.h"

#include "absl/strings/str_format.h"

namespace vexbench {

std::string FormatLiveLine(const IntervalProgress& p, double elapsed_s, double total_s) {
  const std::string total = total_s > 0 ? absl::StrFormat("%4.0fs", total_s) : std::string("   ?");
  const double rps = p.seconds > 0 ? static_cast<double>(p.requests) / p.seconds : 0;
  return absl::StrFormat("[%4.0fs/%s] %-12s %9.0f req/s  p50 %7.2fms  p99 %7.2fms  errors %d",
                         elapsed_s, total, p.phase, rps, static_cast<double>(p.p50_us) / 1000.0,
                         static_cast<double>(p.p99_us) / 1000.0, p.errors);
}

std::string FormatResultTable(const nlohmann::json& report) {
  std::string out = absl::StrFormat("%-12s %-12s %-8s %10s %8s %11s %8s %8s %8s %8s %8s\n",
                                    "target", "phase", "op", "requests", "errors", "req/s",
                                    "p50 ms", "p90 ms", "p99 ms", "p999 ms", "max ms");
  for (const auto& r : report["results"]) {
    const auto& l = r["latency_ms"];
    absl::StrAppendFormat(&out, "%-12s %-12s %-8s %10d %8d %11.1f %8.3f %8.3f %8.3f %8.3f %8.3f\n",
                          r["target"].get<std::string>(), r["phase"].get<std::string>(),
                          r["op"].get<std::string>(), r["requests"].get<int64_t>(),
                          r["errors"].get<int64_t>(), r["throughput_rps"].get<double>(),
                          l["p50"].get<double>(), l["p90"].get<double>(), l["p99"].get<double>(),
                          l["p999"].get<double>(), l["max"].get<double>());
    if (r.contains("items")) {
      absl::StrAppendFormat(&out, "%-12s %d items, %.1f items/s", "", r["items"].get<int64_t>(),
                            r["items_per_s"].get<double>());
      if (r.contains("count_after") && !r["count_after"].is_null()) {
        absl::StrAppendFormat(&out, "; count after the phase %d", r["count_after"].get<int64_t>());
      }
      out += "\n";
    }
    if (r.contains("recall_at_k")) {
      absl::StrAppendFormat(&out, "%-12s recall@%d %.4f\n", "", r["recall_at_k"]["k"].get<int>(),
                            r["recall_at_k"]["mean"].get<double>());
    }
    if (r["errors"].get<int64_t>() > 0) {
      std::string classes;
      for (const auto& [name, count] : r["errors_by_class"].items()) {
        if (count.get<int64_t>() > 0) absl::StrAppendFormat(&classes, " %s=%d", name, count.get<int64_t>());
      }
      absl::StrAppendFormat(&out, "%-12s errors:%s\n", "", classes);
    }
    if (r.contains("wait_ms")) {
      absl::StrAppendFormat(&out, "%-12s open loop: wait p99 %.3fms, late sends %d, unsent %d\n",
                            "", r["wait_ms"]["p99"].get<double>(), r["late_sends"].get<int64_t>(),
                            r["unsent"].get<int64_t>());
    }
  }
  for (const auto& t : report["thresholds"]) {
    absl::StrAppendFormat(&out, "threshold %-32s %-10s value %.3f  %s\n",
                          t["expr"].get<std::string>(), t.value("target", std::string()),
                          t["value"].get<double>(), t["passed"].get<bool>() ? "PASS" : "FAIL");
  }
  absl::StrAppendFormat(&out, "job %s: %s\n", report["job"]["name"].get<std::string>(),
                        report["job"]["state"].get<std::string>());
  return out;
}

}  // namespace vexbench
