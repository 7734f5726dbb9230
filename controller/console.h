// What the CLI prints: the live line each interval and the final table.
#ifndef VEXBENCH_CONTROLLER_CONSOLE_H_
#define VEXBENCH_CONTROLLER_CONSOLE_H_

#include <string>

#include "controller/job_execution.h"
#include "nlohmann/json.hpp"

namespace vexbench {

// "[  12s/  37s] search     45210 req/s  p50 0.61ms  p99 1.20ms  errors 0"
// `total_s` <= 0 prints "?" (a phase that ends by count).
std::string FormatLiveLine(const IntervalProgress& p, double elapsed_s, double total_s);

// One row per result of report.json, then the thresholds and the verdict.
std::string FormatResultTable(const nlohmann::json& report);

}  // namespace vexbench

#endif  // VEXBENCH_CONTROLLER_CONSOLE_H_
