#include "tests/unit/controller/report_fixture.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/series_recorder.h"
#include "controller/threshold.h"

namespace vexbench::testing {
namespace {

constexpr int64_t kJobStartUs = 1'700'000'000'000'000;

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// `n` operations around `median_us` with a long tail; every 97th is an error when `errors`.
void Record(SeriesRecorder& recorder, uint64_t seed, int n, int64_t median_us, bool errors,
            int64_t items_per_op, int recall_hits) {
  uint64_t state = seed;
  for (int i = 0; i < n; ++i) {
    const uint64_t r = SplitMix64(state);
    int64_t us = median_us / 2 + static_cast<int64_t>(r % static_cast<uint64_t>(median_us));
    if (r % 50 == 0) us *= 4;   // 2% slow
    if (r % 1000 == 7) us *= 20;  // a rare stall
    if (errors && i % 97 == 96) {
      recorder.RecordOperation(ErrorClass::kTimeout, std::chrono::microseconds(us), 200, 0);
      continue;
    }
    recorder.RecordOperation(ErrorClass::kNone, std::chrono::microseconds(us), 200, 900);
    recorder.RecordVerdictExtras(items_per_op, recall_hits < 0 ? -1 : recall_hits - (i % 3 == 0),
                                 recall_hits < 0 ? 0 : 10);
  }
}

struct SeriesPlan {
  const char* target;
  const char* phase;
  const char* op;
  int ops_per_interval;
  int64_t median_us;
  bool errors;
  int64_t items_per_op;
  int recall_hits;  // per answer of k = 10; -1: not a query
};

v1::Interval Interval(int shard, int64_t seq, const std::vector<SeriesPlan>& plans) {
  v1::Interval interval;
  interval.set_job_id("j-000042");
  interval.set_shard_index(shard);
  interval.set_seq(seq);
  interval.set_start_unix_us(kJobStartUs + 500'000 + seq * 1'000'000);
  interval.set_length_us(1'000'000);
  for (size_t i = 0; i < plans.size(); ++i) {
    const SeriesPlan& p = plans[i];
    SeriesRecorder recorder;
    Record(recorder, 1000 * static_cast<uint64_t>(seq) + 100 * static_cast<uint64_t>(shard) + i,
           p.ops_per_interval + static_cast<int>(seq) * 3, p.median_us, p.errors, p.items_per_op,
           p.recall_hits);
    v1::SeriesInterval* s = interval.add_series();
    s->mutable_key()->set_target(p.target);
    s->mutable_key()->set_phase(p.phase);
    s->mutable_key()->set_op(p.op);
    recorder.ToProto(false, s);
  }
  return interval;
}

v1::TargetSample Sample(int64_t at_us, const char* phase, v1::TargetSample::Moment moment,
                        int64_t rss, double cpu_s) {
  v1::TargetSample s;
  s.set_target("chroma");
  s.set_unix_us(kJobStartUs + at_us + 120);  // the agent's clock runs 120 µs ahead
  s.set_rss_bytes(rss);
  s.set_cpu_seconds(cpu_s);
  s.set_source("name chroma: 1 process (pid 4242)");
  s.set_phase(phase);
  s.set_moment(moment);
  return s;
}

}  // namespace

std::string GoldenPath(const std::string& name) {
  return std::string(VEXBENCH_SOURCE_DIR) + "/tests/unit/controller/golden/" + name;
}

void CheckGolden(const std::string& name, const std::string& actual) {
  const std::string path = GoldenPath(name);
  if (const char* update = std::getenv("VEXBENCH_UPDATE_GOLDEN"); update && *update == '1') {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << actual;
    WARN("rewrote " << path);
    return;
  }
  INFO("golden file " << path << " (regenerate with VEXBENCH_UPDATE_GOLDEN=1)");
  REQUIRE(std::filesystem::exists(path));
  std::ifstream in(path, std::ios::binary);
  std::ostringstream expected;
  expected << in.rdbuf();
  CHECK(expected.str() == actual);
}

ReportFixture MakeReportFixture() {
  ReportFixture f;
  f.job.id = "j-000042";
  f.job.name = "vexfs-vs-chroma";
  f.job.state = "succeeded";
  f.job.spec = nlohmann::json::parse(R"({
    "name": "vexfs-vs-chroma",
    "agents": 2,
    "dataset": {"kind": "synthetic", "count": 6000, "dim": 64, "queries": 200,
                "metric": "cosine", "seed": 7},
    "targets": [
      {"name": "chroma", "kind": "chroma", "url": "http://127.0.0.1:8011",
       "process": {"name": "chroma"}},
      {"name": "vexfs", "kind": "vexfs", "url": "http://127.0.0.1:7680", "api_key": "s3cret"}
    ],
    "phases": [
      {"name": "load", "op": "insert", "batch": 10, "concurrency": 4},
      {"name": "search", "op": "query", "k": 10, "concurrency": 8, "duration": "3s"}
    ],
    "thresholds": ["search.p99 < 5ms", "search.recall@10 > 0.9", "errors < 0.1%"]
  })");
  f.job.started_unix_us = kJobStartUs;
  f.job.ended_unix_us = kJobStartUs + 7'000'000;
  for (int i = 0; i < 2; ++i) {
    AgentRecord a;
    a.name = "a" + std::to_string(i + 1);
    a.host = "load-" + std::to_string(i + 1);
    a.version = "0.1.0";
    a.cores = 8;
    a.threads = 8;
    a.state = "done";
    a.clock_offset_us = i == 0 ? 120 : -80;
    a.rtt_us = 150;
    a.started_unix_us = kJobStartUs + 500'000 + i * 40;
    f.job.agents.push_back(a);
  }
  v1::TargetReport chroma_version;
  chroma_version.set_target("chroma");
  chroma_version.set_version("1.0.20");
  f.job.target_reports.push_back(chroma_version);
  v1::TargetReport vexfs_version;
  vexfs_version.set_target("vexfs");
  vexfs_version.set_version("0.9.3");
  f.job.target_reports.push_back(vexfs_version);
  f.job.dataset = {{"kind", "synthetic"}, {"count", 6000}, {"dim", 64}, {"queries", 200},
                   {"metric", "cosine"}, {"seed", 7}, {"sha256", "5d1b2c0e9f"}};

  const std::vector<SeriesPlan> load = {{"chroma", "load", "insert", 100, 900, false, 10, -1},
                                        {"vexfs", "load", "insert", 40, 2500, false, 10, -1}};
  const std::vector<SeriesPlan> search = {{"chroma", "search", "query", 400, 1800, false, 0, 10},
                                          {"vexfs", "search", "query", 250, 3000, true, 0, 9}};
  for (int64_t seq = 0; seq < 6; ++seq) {
    for (int shard = 0; shard < 2; ++shard) {
      REQUIRE(f.merger.Add(Interval(shard, seq, seq < 3 ? load : search)).ok());
    }
  }
  for (int shard = 0; shard < 2; ++shard) {
    v1::PhaseEnd load_end;
    load_end.set_shard_index(shard);
    load_end.set_phase("load");
    load_end.set_measured_start_unix_us(kJobStartUs + 500'000);
    load_end.set_measured_end_unix_us(kJobStartUs + 3'500'000 - shard * 10'000);
    f.merger.AddPhaseEnd(load_end);
    v1::PhaseEnd search_end;
    search_end.set_shard_index(shard);
    search_end.set_phase("search");
    search_end.set_measured_start_unix_us(kJobStartUs + 3'500'000);
    search_end.set_measured_end_unix_us(kJobStartUs + 6'500'000);
    f.merger.AddPhaseEnd(search_end);
  }
  const int64_t mb = 1024 * 1024;
  f.job.target_samples = {
      {0, Sample(450'000, "load", v1::TargetSample::PHASE_START, 200 * mb, 10.0)},
      {0, Sample(1'500'000, "load", v1::TargetSample::INTERVAL, 220 * mb, 10.6)},
      {0, Sample(2'500'000, "load", v1::TargetSample::INTERVAL, 241 * mb, 11.3)},
      {0, Sample(3'500'000, "load", v1::TargetSample::PHASE_END, 262 * mb, 11.9)},
      {0, Sample(3'510'000, "search", v1::TargetSample::PHASE_START, 262 * mb, 11.9)},
      {0, Sample(4'500'000, "search", v1::TargetSample::INTERVAL, 265 * mb, 12.8)},
      {0, Sample(5'500'000, "search", v1::TargetSample::INTERVAL, 266 * mb, 13.7)},
      {0, Sample(6'500'000, "search", v1::TargetSample::PHASE_END, 266 * mb, 14.6)},
  };
  std::vector<Threshold> thresholds;
  for (const auto& expr : f.job.spec["thresholds"]) {
    absl::StatusOr<Threshold> t = ParseThreshold(expr.get<std::string>());
    REQUIRE(t.ok());
    thresholds.push_back(*t);
  }
  f.verdicts = EvaluateThresholds(thresholds, f.merger);
  f.report = BuildReport(f.job, f.merger, f.verdicts);
  return f;
}

}  // namespace vexbench::testing
