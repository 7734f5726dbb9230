#include "agent/phase_driver.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "boost/asio/post.hpp"

namespace vexbench {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
constexpr auto kTickPeriod = std::chrono::milliseconds(5);
}  // namespace

PhaseDriver::PhaseDriver(asio::io_context& io, const asio::ip::tcp::endpoint& endpoint,
                         const ConnectionSettings& settings, OperationSourcePtr source,
                         DriverPlan plan, std::function<void()> on_done)
    : io_(io),
      source_(std::move(source)),
      plan_(std::move(plan)),
      on_done_(std::move(on_done)),
      ops_(source_->ops()),
      recorders_(ops_.size()),
      slots_(static_cast<size_t>(plan_.connections)),
      queue_(1024),
      arrival_timer_(io),
      tick_timer_(io),
      budget_left_(plan_.request_budget) {
  HttpConnection::Options options;
  options.max_body_bytes = settings.max_body_bytes;
  options.keep_body = source_->needs_body();
  connections_.reserve(slots_.size());
  for (int i = 0; i < plan_.connections; ++i) {
    connections_.push_back(std::make_unique<HttpConnection>(io, endpoint, options, *this, i));
  }
}

PhaseDriver::~PhaseDriver() = default;

void PhaseDriver::Start() {
  ++pending_timers_;
  arrival_timer_.expires_at(plan_.start);
  arrival_timer_.async_wait([this](const error_code& ec) {
    --pending_timers_;
    if (ec || cancelled_) {
      no_more_ = true;
      MaybeFinish();
      return;
    }
    const MonoTime now = MonoClock::now();
    began_ = now;
    ScheduleTick();
    if (open_loop()) {
      for (auto& c : connections_) free_.push_back(c.get());
      next_arrival_ = plan_.arrivals->Next();
      OnArrivalTimer();
    } else {
      for (auto& c : connections_) IssueClosed(*c, now);
      MaybeFinish();
    }
  });
}

void PhaseDriver::Cancel() {
  cancelled_ = true;
  no_more_ = true;
  queue_size_ = 0;
  arrival_timer_.cancel();
  for (auto& c : connections_) {
    if (c->busy()) c->Close(ErrorClass::kOther);
  }
  MaybeFinish();
}

bool PhaseDriver::MayBegin(MonoTime origin) {
  if (origin < plan_.measure_from || budget_left_ < 0) return true;
  if (budget_left_ == 0) return false;
  --budget_left_;
  return true;
}

void PhaseDriver::IssueClosed(HttpConnection& connection, MonoTime now) {
  if (no_more_ || connection.busy()) return;
  if (now >= plan_.deadline) {
    no_more_ = true;
    return;
  }
  if (plan_.concurrency) {
    const auto active = std::llround(plan_.concurrency->ValueAt(now - plan_.start));
    if (connection.index() >= active) return;  // parked; Tick() looks again
  }
  if (!MayBegin(now)) {
    no_more_ = true;
    return;
  }
  Send(connection, now, now);
}

void PhaseDriver::Send(HttpConnection& connection, MonoTime origin, MonoTime now) {
  Slot& slot = slots_[connection.index()];
  const std::string_view request = source_->NextRequest(slot.scratch, slot.tag);
  if (request.empty()) {  // the source has no more work
    no_more_ = true;
    if (open_loop()) {
      free_.push_back(&connection);
      arrivals_end_ = std::min(arrivals_end_, now);
    }
    return;
  }
  slot.origin = origin;
  slot.measured = origin >= plan_.measure_from;
  // The send instant is read here, not taken from the caller: in a burst (after a stall) each
  // send leaves later than the one before, and the wait must show it.
  const MonoTime sent = MonoClock::now();
  if (open_loop() && slot.measured) {
    const Duration wait = sent - origin;
    recorders_[source_->OpOf(slot.tag)].RecordWait(wait, wait > plan_.late_threshold);
  }
  connection.Start(request, sent + plan_.timeout);
}

void PhaseDriver::OnExchangeDone(HttpConnection& connection, const HttpOutcome& outcome) {
  const MonoTime now = MonoClock::now();
  const Slot& slot = slots_[connection.index()];
  if (!cancelled_) {
    // The source judges every answer, warm-up included (it may keep state per request).
    const Verdict verdict = outcome.error == ErrorClass::kNone
                                ? source_->Judge(slot.tag, outcome.status, outcome.body)
                                : Verdict{.error = outcome.error, .op = source_->OpOf(slot.tag)};
    if (slot.measured) {
      SeriesRecorder& recorder = recorders_[verdict.op];
      recorder.RecordOperation(verdict.error, now - slot.origin, outcome.bytes_sent,
                               outcome.bytes_received);
      // Items count even for a partly failed batch (what the target stored); recall only from
      // answers that succeeded.
      recorder.RecordVerdictExtras(verdict.items,
                                   verdict.error == ErrorClass::kNone ? verdict.recall_hits : -1,
                                   verdict.recall_k);
    }
  }
  if (open_loop()) {
    if (queue_size_ > 0 && !cancelled_) {
      const MonoTime origin = queue_[queue_head_];
      queue_head_ = (queue_head_ + 1) & (queue_.size() - 1);
      --queue_size_;
      Send(connection, origin, now);
    } else {
      free_.push_back(&connection);
    }
  } else {
    IssueClosed(connection, now);
  }
  MaybeFinish();
}

void PhaseDriver::OnArrivalTimer() {
  const MonoTime now = MonoClock::now();
  while (!no_more_ && next_arrival_ <= now) {
    if (next_arrival_ >= plan_.deadline || !MayBegin(next_arrival_)) {
      no_more_ = true;
      break;
    }
    if (queue_size_ == queue_.size()) {  // grow the ring (rare: the target is stalled)
      std::vector<MonoTime> bigger(queue_.size() * 2);
      for (size_t i = 0; i < queue_size_; ++i) {
        bigger[i] = queue_[(queue_head_ + i) & (queue_.size() - 1)];
      }
      queue_ = std::move(bigger);
      queue_head_ = 0;
    }
    queue_[(queue_head_ + queue_size_) & (queue_.size() - 1)] = next_arrival_;
    ++queue_size_;
    next_arrival_ = plan_.arrivals->Next();
  }
  Dispatch(now);
  if (no_more_) {
    arrivals_end_ = now;
  } else {
    ScheduleArrival();
  }
  MaybeFinish();
}

void PhaseDriver::Dispatch(MonoTime now) {
  while (queue_size_ > 0 && !free_.empty()) {
    HttpConnection* connection = free_.back();
    free_.pop_back();
    const MonoTime origin = queue_[queue_head_];
    queue_head_ = (queue_head_ + 1) & (queue_.size() - 1);
    --queue_size_;
    Send(*connection, origin, now);
  }
}

void PhaseDriver::ScheduleArrival() {
  ++pending_timers_;
  arrival_timer_.expires_at(next_arrival_);
  arrival_timer_.async_wait([this](const error_code& ec) {
    --pending_timers_;
    if (ec || cancelled_) {
      MaybeFinish();
      return;
    }
    OnArrivalTimer();
  });
}

void PhaseDriver::ScheduleTick() {
  ++pending_timers_;
  tick_timer_.expires_after(kTickPeriod);
  tick_timer_.async_wait([this](const error_code& ec) {
    --pending_timers_;
    if (!ec && !done_) Tick();
    MaybeFinish();
  });
}

void PhaseDriver::Tick() {
  const MonoTime now = MonoClock::now();
  for (auto& c : connections_) c->ExpireIfDue(now);
  if (open_loop()) {
    // Arrivals still queued a timeout after the last one was due are never sent: each is
    // counted (as a timeout) instead of silently dropped.
    if (no_more_ && queue_size_ > 0 && arrivals_end_ != MonoTime::max() &&
        now >= arrivals_end_ + plan_.timeout) {
      for (; queue_size_ > 0; --queue_size_) {
        if (queue_[queue_head_] >= plan_.measure_from) recorders_[0].RecordUnsent();
        queue_head_ = (queue_head_ + 1) & (queue_.size() - 1);
      }
    }
  } else {
    for (auto& c : connections_) IssueClosed(*c, now);
  }
  if (!done_) ScheduleTick();
}

void PhaseDriver::MaybeFinish() {
  if (!done_) {
    for (const auto& c : connections_) {
      if (c->busy()) return;
    }
    if (!no_more_ || (open_loop() && queue_size_ > 0)) return;
    done_ = true;
    arrival_timer_.cancel();
    tick_timer_.cancel();
    for (auto& c : connections_) c->Close();
  }
  if (pending_timers_ > 0 || on_done_ == nullptr) return;
  for (const auto& c : connections_) {
    if (!c->idle()) return;
  }
  // Run the owner's callback outside of any handler of ours: it may destroy this driver.
  asio::post(io_, std::exchange(on_done_, nullptr));
}

}  // namespace vexbench
