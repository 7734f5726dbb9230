// One small, fully deterministic recorded job for the report tests: two agents, two vector
// targets (chroma with process sampling, vexfs), a load phase (insert) and a search phase
// (query with recall), thresholds one of which fails. Every histogram comes from a seeded
// generator, so the report.json built from it is the same on every machine.
#ifndef VEXBENCH_TESTS_UNIT_CONTROLLER_REPORT_FIXTURE_H_
#define VEXBENCH_TESTS_UNIT_CONTROLLER_REPORT_FIXTURE_H_

#include <string>
#include <vector>

#include "controller/interval_merger.h"
#include "controller/report.h"
#include "nlohmann/json.hpp"

namespace vexbench::testing {

struct ReportFixture {
  JobRecord job;
  IntervalMerger merger;
  std::vector<ThresholdVerdict> verdicts;
  nlohmann::json report;  // BuildReport(job, merger, verdicts)
};

ReportFixture MakeReportFixture();

// tests/unit/controller/golden/<name> in the source tree.
std::string GoldenPath(const std::string& name);

// Checks `actual` against the golden file `name`, or rewrites the file when the environment has
// VEXBENCH_UPDATE_GOLDEN=1 (then review the diff before committing it).
void CheckGolden(const std::string& name, const std::string& actual);

}  // namespace vexbench::testing

#endif  // VEXBENCH_TESTS_UNIT_CONTROLLER_REPORT_FIXTURE_H_
