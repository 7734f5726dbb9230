// Drives one (target, phase) on one engine thread: a pool of HttpConnections, closed loop
// (each connection a worker sending back to back) or open loop (requests due at intended
// instants, dispatched to free connections, latency measured from the intended instant).
//
// Lifecycle: Start() then, after the last exchange, `on_done` runs on the thread; the owner
// then drains the recorder a last time and destroys the driver. Every call on the driver's
// io_context thread, except where noted.
#ifndef VEXBENCH_AGENT_PHASE_DRIVER_H_
#define VEXBENCH_AGENT_PHASE_DRIVER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/adapter.h"
#include "agent/driver.h"
#include "agent/http_connection.h"
#include "agent/load_profile.h"
#include "agent/series_recorder.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/steady_timer.hpp"

namespace vexbench {

struct DriverPlan {
  MonoTime start;         // the phase starts (warm-up begins)
  MonoTime measure_from;  // warm-up ends: operations that begin before it are not recorded
  MonoTime deadline;      // no operation begins at or after it (MonoTime::max(): by count)
  int connections = 1;    // this thread's pool
  int64_t request_budget = -1;  // measured operations this thread may begin; -1: no limit
  Duration timeout = std::chrono::seconds(10);
  Duration late_threshold = std::chrono::milliseconds(1);
  // Closed loop: the number of active workers over time (this thread's share).
  // Open loop: the arrival generator of this thread.
  std::optional<LoadProfile> concurrency;
  std::optional<ArrivalGenerator> arrivals;
};

class PhaseDriver final : public Driver, public HttpConnection::Listener {
 public:
  PhaseDriver(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
              const ConnectionSettings& settings, OperationSourcePtr source, DriverPlan plan,
              std::function<void()> on_done);
  ~PhaseDriver() override;

  // Driver
  void Start() override;
  void Cancel() override;
  const std::vector<std::string>& ops() const override { return ops_; }
  void DrainInto(std::vector<SeriesRecorder>& sinks) override {
    for (size_t i = 0; i < recorders_.size(); ++i) recorders_[i].DrainInto(sinks[i]);
  }
  MonoTime began() const override { return began_; }

  bool open_loop() const { return plan_.arrivals.has_value(); }

  // HttpConnection::Listener
  void OnExchangeDone(HttpConnection& connection, const HttpOutcome& outcome) override;

 private:
  struct Slot {
    MonoTime origin;  // intended instant (open loop) or send instant (closed loop)
    bool measured = false;
    uint64_t tag = 0;     // the source's identification of the request in flight
    std::string scratch;  // this connection's request bytes when the source builds them
  };

  void Tick();
  void ScheduleTick();
  // Closed loop: begins the next operation on `connection` if it is active and allowed.
  void IssueClosed(HttpConnection& connection, MonoTime now);
  // Open loop.
  void OnArrivalTimer();
  void ScheduleArrival();
  void Dispatch(MonoTime now);
  void Send(HttpConnection& connection, MonoTime origin, MonoTime now);
  bool MayBegin(MonoTime origin);
  void MaybeFinish();

  boost::asio::io_context& io_;
  OperationSourcePtr source_;
  DriverPlan plan_;
  std::function<void()> on_done_;
  const std::vector<std::string> ops_;
  std::vector<SeriesRecorder> recorders_;  // by op
  std::vector<std::unique_ptr<HttpConnection>> connections_;
  std::vector<Slot> slots_;
  std::vector<HttpConnection*> free_;  // open loop: idle connections
  // Open loop: arrivals waiting for a free connection (ring buffer of intended instants).
  std::vector<MonoTime> queue_;
  size_t queue_head_ = 0;
  size_t queue_size_ = 0;
  MonoTime next_arrival_ = MonoTime::max();
  MonoTime arrivals_end_ = MonoTime::max();  // open loop: when the last arrival was due
  boost::asio::steady_timer arrival_timer_;
  boost::asio::steady_timer tick_timer_;
  int pending_timers_ = 0;
  int64_t budget_left_;
  bool no_more_ = false;   // no operation will begin any more
  bool cancelled_ = false;
  bool done_ = false;
  MonoTime began_ = MonoTime::max();
};

}  // namespace vexbench

#endif  // VEXBENCH_AGENT_PHASE_DRIVER_H_
