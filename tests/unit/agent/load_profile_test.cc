#include "agent/load_profile.h"

#include <catch2/catch.hpp>
#include <cmath>

namespace vexbench {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

int CountArrivals(ArrivalGenerator& g, MonoTime start, Duration window) {
  int n = 0;
  while (g.Next() < start + window) ++n;
  return n;
}

TEST_CASE("a profile holds its base during warm-up and ramps linearly through stages") {
  LoadProfile p(100, seconds(2), {{seconds(10), 1100}, {seconds(5), 1100}, {seconds(5), 0}});
  CHECK(p.ValueAt(seconds(0)) == 100);
  CHECK(p.ValueAt(seconds(2)) == 100);
  CHECK(p.ValueAt(seconds(7)) == Approx(600));   // half way through the first stage
  CHECK(p.ValueAt(seconds(12)) == Approx(1100));
  CHECK(p.ValueAt(seconds(14)) == Approx(1100));
  CHECK(p.ValueAt(milliseconds(19500)) == Approx(550));
  CHECK(p.ValueAt(seconds(30)) == 0);
  CHECK(p.StagesEnd() == seconds(22));
  CHECK(p.MaxValue() == 1100);
  CHECK(p.Scaled(0.5).ValueAt(seconds(7)) == Approx(300));
}

TEST_CASE("uniform arrivals are evenly spaced at the rate") {
  const MonoTime start{};
  ArrivalGenerator g(LoadProfile(1000, {}, {}), Arrival::kUniform, 1, start, 0.0);
  MonoTime prev = g.Next();
  CHECK(prev == start);
  for (int i = 0; i < 100; ++i) {
    const MonoTime t = g.Next();
    CHECK(t - prev == milliseconds(1));
    prev = t;
  }
  ArrivalGenerator g2(LoadProfile(1000, {}, {}), Arrival::kUniform, 1, start, 0.0);
  CHECK(CountArrivals(g2, start, seconds(5)) == 5000);
}

TEST_CASE("Poisson arrivals have the rate on average, exponential gaps, and a fixed seed") {
  const MonoTime start{};
  ArrivalGenerator g(LoadProfile(2000, {}, {}), Arrival::kPoisson, 42, start, 0.0);
  const int n = CountArrivals(g, start, seconds(50));
  CHECK(std::abs(n - 100000) < 1500);  // about 4.7 standard deviations of a Poisson(100000)

  // Coefficient of variation of the gaps is 1 for an exponential distribution.
  ArrivalGenerator g2(LoadProfile(1000, {}, {}), Arrival::kPoisson, 7, start, 0.0);
  double sum = 0, sum2 = 0;
  MonoTime prev = g2.Next();
  const int kGaps = 20000;
  for (int i = 0; i < kGaps; ++i) {
    const MonoTime t = g2.Next();
    const double gap = std::chrono::duration<double>(t - prev).count();
    sum += gap;
    sum2 += gap * gap;
    prev = t;
  }
  const double mean = sum / kGaps;
  const double cv = std::sqrt(sum2 / kGaps - mean * mean) / mean;
  CHECK(mean == Approx(0.001).epsilon(0.03));
  CHECK(cv == Approx(1.0).epsilon(0.05));

  ArrivalGenerator a(LoadProfile(500, {}, {}), Arrival::kPoisson, 99, start, 0.0);
  ArrivalGenerator b(LoadProfile(500, {}, {}), Arrival::kPoisson, 99, start, 0.0);
  for (int i = 0; i < 100; ++i) CHECK(a.Next() == b.Next());
}

TEST_CASE("a ramp from zero starts sending when the rate rises and stops when it stays zero") {
  const MonoTime start{};
  // 0 -> 1000 req/s over 10 s: 5000 arrivals expected (the area under the ramp).
  ArrivalGenerator up(LoadProfile(0, {}, {{seconds(10), 1000}}), Arrival::kUniform, 1, start, 0.0);
  const int n = CountArrivals(up, start, seconds(10));
  CHECK(std::abs(n - 5000) < 60);

  ArrivalGenerator down(LoadProfile(100, {}, {{seconds(1), 0}}), Arrival::kUniform, 1, start, 0.0);
  MonoTime t{};
  int count = 0;
  while ((t = down.Next()) != MonoTime::max()) {
    ++count;
    REQUIRE(count < 1000);
  }
  CHECK(std::abs(count - 50) <= 3);
}

}  // namespace
}  // namespace vexbench
