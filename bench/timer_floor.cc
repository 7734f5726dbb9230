// The host's floor for open-loop send lag: how late an Asio timer fires on this machine when
// nothing else is done, on the same schedule as an open-loop phase.
//
//   timer_floor [RATE] [SECONDS]        (defaults: 10000 per second, 10 s)
//
// One thread, one io_context (concurrency hint 1, as the engine's), one steady_timer armed
// with expires_at() for each intended instant of a uniform schedule of RATE per second; when it
// fires, every instant already due is recorded as now minus intended (as PhaseDriver's
// OnArrivalTimer does), then the timer is armed for the next one. No network, no request: the
// lag measured here is what the kernel, the hypervisor and the other processes add, and a
// lower bound for vexbench's wait_ms on the same host at the same moment.
//
// Prints one line: count, p50/p90/p99/p999/max in µs, and how many were more than 1 ms late.
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "boost/asio/io_context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "common/clock.h"
#include "common/histogram.h"

namespace {

using vexbench::MonoClock;
using vexbench::MonoTime;

class FloorProbe {
 public:
  FloorProbe(boost::asio::io_context& io, double rate, int seconds)
      : timer_(io),
        period_(std::chrono::duration_cast<MonoClock::duration>(std::chrono::duration<double>(1.0 / rate))),
        start_(MonoClock::now() + std::chrono::milliseconds(20)),
        end_(start_ + std::chrono::seconds(seconds)) {}

  void Start() { Arm(); }
  const vexbench::Histogram& lag() const { return lag_; }
  int64_t late() const { return late_; }

 private:
  MonoTime Intended() const { return start_ + period_ * index_; }

  void Arm() {
    timer_.expires_at(Intended());
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) OnTimer();
    });
  }

  void OnTimer() {
    const MonoTime now = MonoClock::now();
    for (MonoTime due = Intended(); due <= now && due < end_; due = Intended()) {
      const auto lag = now - due;
      lag_.RecordDuration(lag);
      if (lag > std::chrono::milliseconds(1)) ++late_;
      ++index_;
    }
    if (Intended() < end_) Arm();
  }

  boost::asio::steady_timer timer_;
  const MonoClock::duration period_;
  const MonoTime start_;
  const MonoTime end_;
  int64_t index_ = 0;
  vexbench::Histogram lag_;
  int64_t late_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const double rate = argc > 1 ? std::atof(argv[1]) : 10000;
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 10;
  if (rate <= 0 || seconds <= 0) {
    std::fprintf(stderr, "usage: timer_floor [RATE] [SECONDS]\n");
    return 2;
  }
  boost::asio::io_context io(1);
  FloorProbe probe(io, rate, seconds);
  probe.Start();
  io.run();
  const vexbench::Histogram& h = probe.lag();
  std::printf("timer floor: %lld timers at %.0f/s: lag p50 %lld us, p90 %lld us, p99 %lld us, "
              "p999 %lld us, max %lld us; %lld more than 1 ms late\n",
              static_cast<long long>(h.TotalCount()), rate,
              static_cast<long long>(h.ValueAtPercentile(50)),
              static_cast<long long>(h.ValueAtPercentile(90)),
              static_cast<long long>(h.ValueAtPercentile(99)),
              static_cast<long long>(h.ValueAtPercentile(99.9)), static_cast<long long>(h.Max()),
              static_cast<long long>(probe.late()));
  return 0;
}
