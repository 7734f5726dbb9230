#include "controller/threshold.h"

#include <catch2/catch.hpp>

namespace vexbench {
namespace {

TEST_CASE("threshold expressions parse into phase, metric, operator and limit") {
  auto t = ParseThreshold("search.p99 < 50ms");
  REQUIRE(t.ok());
  CHECK(t->phase == "search");
  CHECK(t->metric == Threshold::Metric::kPercentile);
  CHECK(t->percentile == 99);
  CHECK(t->op == Threshold::Op::kLess);
  CHECK(t->limit == 50);

  t = ParseThreshold("p999<=800us");
  REQUIRE(t.ok());
  CHECK(!t->phase.has_value());
  CHECK(t->percentile == 99.9);
  CHECK(t->op == Threshold::Op::kLessEqual);
  CHECK(t->limit == Approx(0.8));

  t = ParseThreshold("load.throughput >= 2000/s");
  REQUIRE(t.ok());
  CHECK(t->metric == Threshold::Metric::kThroughput);
  CHECK(t->op == Threshold::Op::kGreaterEqual);
  CHECK(t->limit == 2000);

  t = ParseThreshold("errors < 0.1%");
  REQUIRE(t.ok());
  CHECK(t->metric == Threshold::Metric::kErrors);
  CHECK(t->percent);
  CHECK(t->limit == Approx(0.1));

  t = ParseThreshold("steady.errors <= 3");
  REQUIRE(t.ok());
  CHECK(!t->percent);
  CHECK(t->limit == 3);

  t = ParseThreshold("search.recall@10 >= 0.95");
  REQUIRE(t.ok());
  CHECK(t->metric == Threshold::Metric::kRecall);
  CHECK(t->recall_k == 10);
  CHECK(t->limit == Approx(0.95));

  t = ParseThreshold("a.mean > 1.5s");
  REQUIRE(t.ok());
  CHECK(t->metric == Threshold::Metric::kMean);
  CHECK(t->limit == 1500);
}

TEST_CASE("threshold verdicts follow the operator") {
  auto t = ParseThreshold("p50 < 10ms");
  REQUIRE(t.ok());
  CHECK(t->Passes(9.99));
  CHECK(!t->Passes(10));
  t = ParseThreshold("throughput >= 100");
  CHECK(t->Passes(100));
  CHECK(!t->Passes(99.9));
}

TEST_CASE("malformed thresholds name the expression and the accepted forms") {
  auto check = [](const char* expr, const char* what) {
    auto t = ParseThreshold(expr);
    REQUIRE(!t.ok());
    const std::string message(t.status().message());
    CHECK_THAT(message, Catch::Contains(std::string("\"") + expr + "\""));
    CHECK_THAT(message, Catch::Contains(what));
    CHECK_THAT(message, Catch::Contains("expected \"[phase.]metric op value\""));
  };
  check("search.p99 50ms", "no comparison operator");
  check("search.p98 < 50ms", "unknown metric 'p98'");
  check("search.p99 < 50", "'50' is not a duration");
  check("search.p99 <", "no value after the operator");
  check("throughput > fast", "'fast' is not a number");
  check(".p99 < 5ms", "empty phase name");
  check("errors < lots%", "is not a number");
  check("search.recall@ten > 0.9", "'recall@ten' has no valid K");
}

}  // namespace
}  // namespace vexbench
