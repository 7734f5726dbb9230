#include "controller/interval_merger.h"

#include <catch2/catch.hpp>
#include <map>
#include <random>

#include "agent/series_recorder.h"
#include "common/hdr_codec.h"
#include "controller/report.h"

namespace vexbench {
namespace {

// An interval message of one shard with one series recorded from `latencies_us`.
v1::Interval MakeInterval(int shard, int64_t seq, const std::vector<int64_t>& latencies_us,
                          int errors) {
  SeriesRecorder recorder;
  for (int64_t v : latencies_us) {
    recorder.RecordOperation(ErrorClass::kNone, std::chrono::microseconds(v), 100, 700);
  }
  for (int i = 0; i < errors; ++i) {
    recorder.RecordOperation(ErrorClass::kTimeout, std::chrono::seconds(1), 100, 0);
  }
  v1::Interval interval;
  interval.set_shard_index(shard);
  interval.set_seq(seq);
  interval.set_start_unix_us(1'000'000 * (seq + 1));
  interval.set_length_us(1'000'000);
  v1::SeriesInterval* s = interval.add_series();
  s->mutable_key()->set_target("web");
  s->mutable_key()->set_phase("p");
  s->mutable_key()->set_op("request");
  recorder.ToProto(false, s);
  return interval;
}

std::vector<int64_t> Sample(uint64_t seed, int n) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> d(6.0, 1.0);  // around 400 µs, long tail
  std::vector<int64_t> out;
  for (int i = 0; i < n; ++i) out.push_back(static_cast<int64_t>(d(rng)) + 1);
  return out;
}

TEST_CASE("merged totals equal the histogram of all samples, bucket for bucket") {
  IntervalMerger merger;
  Histogram all;
  int64_t requests = 0;
  for (int shard = 0; shard < 3; ++shard) {
    for (int64_t seq = 0; seq < 4; ++seq) {
      const auto sample = Sample(shard * 100 + seq, 1000 + 10 * shard);
      for (int64_t v : sample) all.Record(v);
      requests += static_cast<int64_t>(sample.size()) + 2;
      REQUIRE(merger.Add(MakeInterval(shard, seq, sample, 2)).ok());
    }
  }
  const SeriesId id{"web", "p", "request"};
  REQUIRE(merger.series().size() == 1);
  const SeriesTotals& total = merger.Total(id);
  CHECK(total.latency.SameCounts(all));
  CHECK(total.counters.requests == requests);
  CHECK(total.counters.errors == 24);
  CHECK(total.counters.errors_by_class[static_cast<int>(ErrorClass::kTimeout)] == 24);
  CHECK(total.counters.bytes_received == 700 * (requests - 24));

  // Per shard and per interval add up to the total as well.
  Histogram shards, timeline;
  int64_t shard_requests = 0;
  for (const auto& [shard, t] : merger.PerShard(id)) {
    shards.Merge(t.latency);
    shard_requests += t.counters.requests;
  }
  for (const auto& [seq, point] : merger.Timeline(id)) {
    timeline.Merge(point.Totals().latency);
    CHECK(point.length_us == 1'000'000);
  }
  CHECK(merger.Timeline(id).size() == 4);
  CHECK(shards.SameCounts(all));
  CHECK(timeline.SameCounts(all));
  CHECK(shard_requests == requests);
}

TEST_CASE("old timeline points are kept compressed, exact, and a late shard still merges") {
  // Shard 0 sends 12 intervals; shard 1 sends the same 12 after all of shard 0's, so each of its
  // intervals lands on a point that is already compressed.
  IntervalMerger merger;
  std::map<int64_t, Histogram> expected;
  for (int shard = 0; shard < 2; ++shard) {
    for (int64_t seq = 0; seq < 12; ++seq) {
      const auto sample = Sample(shard * 1000 + seq, 500);
      for (int64_t v : sample) expected[seq].Record(v);
      REQUIRE(merger.Add(MakeInterval(shard, seq, sample, 1)).ok());
    }
  }
  const auto& timeline = merger.Timeline(SeriesId{"web", "p", "request"});
  REQUIRE(timeline.size() == 12);
  for (const auto& [seq, point] : timeline) {
    INFO("seq " << seq);
    CHECK(point.compact == (seq < 12 - kOpenIntervals));
    const SeriesTotals totals = point.Totals();
    CHECK(totals.latency.SameCounts(expected[seq]));
    CHECK(point.counters().requests == 2 * 501);
    CHECK(point.counters().errors == 2);
  }
}

TEST_CASE("an interval with a corrupt histogram is refused whole") {
  IntervalMerger merger;
  v1::Interval bad = MakeInterval(0, 0, {100, 200}, 0);
  bad.mutable_series(0)->set_latency_hdr("not a histogram");
  const absl::Status s = merger.Add(bad);
  CHECK(!s.ok());
  CHECK_THAT(std::string(s.message()), Catch::Contains("series web/p/request: latency histogram"));
  CHECK(merger.series().empty());
}

TEST_CASE("report numbers come from the merged data") {
  IntervalMerger merger;
  REQUIRE(merger.Add(MakeInterval(0, 0, {1000, 2000, 3000, 4000}, 1)).ok());
  v1::PhaseEnd end;
  end.set_phase("p");
  end.set_shard_index(0);
  end.set_measured_start_unix_us(1'000'000);
  end.set_measured_end_unix_us(3'500'000);
  merger.AddPhaseEnd(end);
  JobRecord job{.id = "j-1", .name = "n", .state = "succeeded"};
  job.agents.push_back({.name = "a1", .host = "h"});
  auto thresholds = std::vector<Threshold>{*ParseThreshold("p.p50 < 2500us"),
                                           *ParseThreshold("p.errors < 10%")};
  const auto verdicts = EvaluateThresholds(thresholds, merger);
  const nlohmann::json report = BuildReport(job, merger, verdicts);
  const auto& r = report["results"][0];
  CHECK(r["requests"] == 5);
  CHECK(r["errors"] == 1);
  CHECK(r["errors_by_class"]["timeout"] == 1);
  CHECK(r["duration_s"] == 2.5);
  CHECK(r["throughput_rps"] == 2.0);
  CHECK(r["latency_ms"]["p50"].get<double>() == Approx(2.0).epsilon(0.001));
  CHECK(r["latency_ms"]["max"].get<double>() == Approx(4.0).epsilon(0.001));
  CHECK(r["per_agent"][0]["agent"] == "a1");
  CHECK(report["agents"][0]["requests"] == 5);
  REQUIRE(verdicts.size() == 2);
  CHECK(verdicts[0].passed);
  CHECK(!verdicts[1].passed);  // 1 of 5 is 20%
  CHECK(verdicts[1].value == Approx(20));
  CHECK(report["thresholds"][1]["passed"] == false);
}

}  // namespace
}  // namespace vexbench
