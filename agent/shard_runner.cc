#include "agent/shard_runner.h"

#include <algorithm>
#include <cstdlib>
#include <latch>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/registry.h"
#include "agent/file_driver.h"
#include "agent/phase_driver.h"
#include "agent/resource_sampler.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"

namespace vexbench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Open-loop connection pool when the phase does not say: enough for 64 requests in flight.
constexpr int kDefaultOpenLoopConnections = 64;
constexpr auto kSetupTimeout = std::chrono::seconds(60);
// How long the count may take to reach the dataset's size after a load (indexing lag).
constexpr auto kCountTimeout = std::chrono::seconds(30);

// Ground truth of synthetic datasets is cached here: $VEXBENCH_CACHE, else
// $HOME/.cache/vexbench, else /tmp/vexbench-cache.
std::string DatasetCacheDir() {
  if (const char* dir = std::getenv("VEXBENCH_CACHE"); dir != nullptr && *dir != '\0') return dir;
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::string(home) + "/.cache/vexbench";
  }
  return "/tmp/vexbench-cache";
}

int64_t ShareOffset(int64_t total, int parts, int index) {
  return index * (total / parts) + std::min<int64_t>(index, total % parts);
}

// This thread's slice of a job-wide integer quantity given its worker range [from, from+n) of
// `workers`: exact, so the slices of all threads of all shards add up to `total`.
int64_t ProportionalShare(int64_t total, int64_t workers, int64_t from, int64_t n) {
  const auto upto = [&](int64_t w) {
    return static_cast<int64_t>((static_cast<__int128>(total) * w) / workers);
  };
  return upto(from + n) - upto(from);
}

absl::StatusOr<tcp::endpoint> Resolve(const Url& url, const std::string& field) {
  asio::io_context io;
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto results = resolver.resolve(url.host, std::to_string(url.port), ec);
  if (ec || results.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": cannot resolve host '", url.host,
                                                   "': ", ec.message()));
  }
  return results.begin()->endpoint();
}

}  // namespace

int64_t SplitShare(int64_t total, int parts, int index) {
  return total / parts + (index < total % parts ? 1 : 0);
}

// One (target, phase, op) of the running phase: its drivers and what they measured.
// One target of the running phase: its drivers and what they measured, per operation.
struct ShardRunner::Series {
  int target_index = 0;
  std::string phase;
  std::vector<std::string> ops;  // the sources' operations; one result series each
  bool open_loop = false;
  std::vector<std::pair<int, DriverPtr>> drivers;  // (thread, driver)
  std::vector<SeriesRecorder> accumulated;  // by op; drained from the drivers, under mu_
};

ShardRunner::ShardRunner(Engine& engine, JobSpec spec, ShardAssignment assignment,
                         ShardSink& sink)
    : engine_(engine), spec_(std::move(spec)), assignment_(std::move(assignment)), sink_(sink) {}

ShardRunner::~ShardRunner() = default;

absl::Status ShardRunner::CreateAdapters() {
  for (const TargetSpec& target : spec_.targets) {
    auto adapter = CreateAdapter(target);
    if (!adapter.ok()) return adapter.status();
    adapters_.push_back(*std::move(adapter));
    const bool samples = target.process.has_value() &&
                         (target.process->agent.empty() ? assignment_.shard_index == 0
                                                        : target.process->agent ==
                                                              assignment_.agent_name);
    samplers_.push_back(samples ? std::make_unique<ResourceSampler>(*target.process) : nullptr);
  }
  return absl::OkStatus();
}

void ShardRunner::SampleTargets(const std::string& phase, v1::TargetSample::Moment moment) {
  for (size_t t = 0; t < samplers_.size(); ++t) {
    if (samplers_[t] == nullptr) continue;
    absl::StatusOr<ResourceReading> reading = samplers_[t]->Sample();
    v1::TargetSample& sample = pending_samples_.emplace_back();
    sample.set_target(spec_.targets[t].name);
    sample.set_unix_us(anchor_.ToUnixMicros(MonoClock::now()));
    sample.set_phase(phase);
    sample.set_moment(moment);
    if (reading.ok()) {
      sample.set_rss_bytes(reading->rss_bytes);
      sample.set_cpu_seconds(reading->cpu_seconds);
      sample.set_source(reading->source);
    } else {
      sample.set_error(std::string(reading.status().message()));
    }
  }
}

void ShardRunner::Run() {
  absl::Status status = CreateAdapters();
  if (status.ok()) status = LoadDatasetAndSetUp();
  // Setup may take longer than the start margin: then the shard starts when it is ready.
  MonoTime start = std::max(anchor_.FromUnixMicros(assignment_.start_at_unix_us), MonoClock::now());
  for (int i = 0; status.ok() && i < static_cast<int>(spec_.phases.size()); ++i) {
    if (cancelled_) {
      status = absl::CancelledError("cancelled");
      break;
    }
    status = RunPhase(i, start);
    if (status.ok() && spec_.phases[i].op == "insert") status = CheckCountAfterLoad(i);
    start = MonoClock::now();
  }
  TearDown();
  v1::AgentMessage message;
  v1::Done* done = message.mutable_done();
  done->set_job_id(assignment_.job_id);
  done->set_shard_index(assignment_.shard_index);
  done->set_ok(status.ok());
  if (!status.ok()) done->set_error(std::string(status.message()));
  sink_.Send(std::move(message));
}

absl::Status ShardRunner::LoadDatasetAndSetUp() {
  if (!spec_.dataset.is_null()) {
    auto dataset_spec = ParseDatasetSpec(spec_.dataset);
    if (!dataset_spec.ok()) return dataset_spec.status();
    std::vector<PayloadFilter> filters;  // filtered phases are judged by their exact truth
    for (const PhaseSpec& phase : spec_.phases) {
      if (phase.filter) filters.push_back(*phase.filter);
    }
    auto dataset = LoadDataset(*dataset_spec, DatasetCacheDir(), /*threads=*/0, filters);
    if (!dataset.ok()) return dataset.status();
    dataset_ = *std::move(dataset);
    if (assignment_.shard_index == 0) {
      v1::AgentMessage m;
      m.mutable_dataset_report()->set_job_id(assignment_.job_id);
      m.mutable_dataset_report()->set_identity_json(dataset_->Identity().dump());
      sink_.Send(std::move(m));
    }
  }
  const bool create = assignment_.shard_index == 0;
  for (size_t t = 0; t < adapters_.size(); ++t) {
    Adapter& adapter = *adapters_[t];
    if (absl::Status s = adapter.Setup(dataset_.get(), create, kSetupTimeout); !s.ok()) {
      return absl::Status(s.code(), spec_.targets[t].name + ": setup: " + std::string(s.message()));
    }
    if (!create) continue;
    v1::AgentMessage m;
    v1::TargetReport* r = m.mutable_target_report();
    r->set_job_id(assignment_.job_id);
    r->set_target(spec_.targets[t].name);
    if (auto version = adapter.Version(); version.ok()) r->set_version(*version);
    for (const std::string& note : adapter.Notes()) r->add_notes(note);
    sink_.Send(std::move(m));
  }
  return absl::OkStatus();
}

// After a load phase the collection must hold the whole dataset: never benchmark an empty or
// half-filled collection. Every shard waits for the full count (so this is also the barrier
// between the load and what follows), then shard 0 reports it.
absl::Status ShardRunner::CheckCountAfterLoad(int phase_index) {
  const PhaseSpec& phase = spec_.phases[phase_index];
  if (dataset_ == nullptr) return absl::OkStatus();
  const int64_t expected = dataset_->count();
  for (size_t t = 0; t < adapters_.size(); ++t) {
    if (!phase.targets.empty() && std::find(phase.targets.begin(), phase.targets.end(),
                                            spec_.targets[t].name) == phase.targets.end()) {
      continue;
    }
    Adapter& adapter = *adapters_[t];
    v1::AgentMessage m;
    v1::TargetReport* r = m.mutable_target_report();
    r->set_job_id(assignment_.job_id);
    r->set_shard_index(assignment_.shard_index);
    r->set_target(spec_.targets[t].name);
    r->set_phase(phase.name);
    r->set_expected(expected);
    absl::Status ready = adapter.WaitReady(kSetupTimeout);
    absl::StatusOr<int64_t> count = absl::UnknownError("not counted");
    const MonoTime until = MonoClock::now() + kCountTimeout;
    do {
      count = adapter.Count();
      if (!count.ok() || *count >= expected || cancelled_) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    } while (MonoClock::now() < until);
    if (!count.ok() && count.status().code() == absl::StatusCode::kUnimplemented) {
      r->set_count(-1);
      r->set_count_note(std::string(count.status().message()));
      sink_.Send(std::move(m));
      continue;
    }
    const std::string where = spec_.targets[t].name + " after phase " + phase.name + ": ";
    if (!ready.ok()) return absl::Status(ready.code(), where + std::string(ready.message()));
    if (!count.ok()) return absl::Status(count.status().code(), where + std::string(count.status().message()));
    r->set_count(*count);
    sink_.Send(std::move(m));
    if (*count != expected) {
      return absl::FailedPreconditionError(where + "the collection holds " + std::to_string(*count) +
                                           " items, expected " + std::to_string(expected) +
                                           "; the load failed, so later phases would measure a "
                                           "half-filled collection");
    }
  }
  return absl::OkStatus();
}

// Single-shard jobs drop what they created. With several shards the others may still be
// running when shard 0 ends, so the collection is left in place (the report notes it).
void ShardRunner::TearDown() {
  if (assignment_.shard_index != 0 || assignment_.shard_count != 1) return;
  for (auto& adapter : adapters_) (void)adapter->Teardown();
}

void ShardRunner::Cancel() {
  cancelled_ = true;
  std::lock_guard lock(mu_);
  cv_.notify_all();  // RunPhase wakes up and cancels its drivers on their threads
}

absl::Status ShardRunner::StartDrivers(int phase_index, MonoTime start,
                                       std::vector<Series>& series) {
  const PhaseSpec& phase = spec_.phases[phase_index];
  const bool concurrency_given =
      spec_.document.contains("phases") &&
      spec_.document["phases"][phase_index].contains("concurrency");
  int64_t workers = phase.concurrency;
  if (phase.open_loop() && !concurrency_given) workers = kDefaultOpenLoopConnections;
  for (const StageSpec& stage : phase.stages) {
    if (stage.concurrency) workers = std::max<int64_t>(workers, *stage.concurrency);
  }
  const int64_t shard_workers = SplitShare(workers, assignment_.shard_count,
                                           assignment_.shard_index);
  const int64_t shard_offset = ShareOffset(workers, assignment_.shard_count,
                                           assignment_.shard_index);
  const int threads = static_cast<int>(std::min<int64_t>(engine_.threads(), shard_workers));
  const MonoTime measure_from = start + phase.warmup;
  MonoTime deadline = MonoTime::max();
  if (phase.duration) deadline = measure_from + *phase.duration;

  // Stages: each moves the rate (open loop) or concurrency (closed loop) to its value; a
  // stage without one holds the previous value.
  std::vector<LoadProfile::Point> points;
  double value = phase.open_loop() ? *phase.rate : phase.concurrency;
  for (const StageSpec& stage : phase.stages) {
    if (phase.open_loop() && stage.rate) value = *stage.rate;
    if (!phase.open_loop() && stage.concurrency) value = *stage.concurrency;
    points.push_back({stage.duration, value});
  }
  const LoadProfile profile(phase.open_loop() ? *phase.rate : phase.concurrency, phase.warmup,
                            points);
  if (!points.empty()) deadline = start + profile.StagesEnd();

  for (int t = 0; t < static_cast<int>(spec_.targets.size()); ++t) {
    const TargetSpec& target = spec_.targets[t];
    if (!phase.targets.empty() &&
        std::find(phase.targets.begin(), phase.targets.end(), target.name) == phase.targets.end()) {
      continue;
    }
    const Adapter& adapter = *adapters_[t];
    if (absl::Status s = adapter.ValidatePhase(phase); !s.ok()) return s;
    const bool file_system = adapter.kind() == "fs";
    absl::StatusOr<tcp::endpoint> endpoint = tcp::endpoint();
    if (!file_system) endpoint = Resolve(adapter.connection().url, target.path + ".url");
    if (!endpoint.ok()) return endpoint.status();
    Series& s = series.emplace_back();
    s.target_index = t;
    s.phase = phase.name;
    s.open_loop = phase.open_loop();
    for (int th = 0; th < threads; ++th) {
      const int64_t n = SplitShare(shard_workers, threads, th);
      const int64_t from = shard_offset + ShareOffset(shard_workers, threads, th);
      const double share = static_cast<double>(n) / static_cast<double>(workers);
      SourceSlice slice{assignment_.shard_index, assignment_.shard_count, th, threads};
      DriverPlan plan{.start = start, .measure_from = measure_from, .deadline = deadline};
      plan.connections = static_cast<int>(n);
      if (phase.requests) plan.request_budget = ProportionalShare(*phase.requests, workers, from, n);
      plan.timeout = phase.timeout;
      plan.late_threshold = phase.late_threshold;
      if (phase.open_loop()) {
        const double interleave = static_cast<double>(from) / static_cast<double>(workers);
        const uint64_t seed = (uint64_t(phase_index) << 40) ^ (uint64_t(from) << 8) ^ 0x9e3779b9;
        plan.arrivals.emplace(profile.Scaled(share), phase.arrival, seed, start, interleave);
      } else if (!points.empty()) {
        plan.concurrency = profile.Scaled(share);
      }
      auto on_done = [this] {
        std::lock_guard lock(mu_);
        --drivers_running_;
        cv_.notify_all();
      };
      DriverPtr driver;
      if (file_system) {
        auto created = CreateFileDriver(engine_.context(th), adapter, phase, slice, dataset_.get(),
                                        std::move(plan), on_done);
        if (!created.ok()) return created.status();
        driver = *std::move(created);
      } else {
        auto source = adapter.CreateSource(phase, slice, dataset_.get());
        if (!source.ok()) return source.status();
        driver = std::make_unique<PhaseDriver>(engine_.context(th), *endpoint, adapter.connection(),
                                               *std::move(source), std::move(plan), on_done);
      }
      if (s.ops.empty()) {
        s.ops = driver->ops();
        s.accumulated.resize(s.ops.size());
      }
      s.drivers.emplace_back(th, std::move(driver));
    }
  }
  std::lock_guard lock(mu_);
  for (Series& s : series) {
    for (auto& [th, driver] : s.drivers) {
      ++drivers_running_;
      asio::post(engine_.context(th), [d = driver.get()] { d->Start(); });
    }
  }
  return absl::OkStatus();
}

absl::Status ShardRunner::RunPhase(int phase_index, MonoTime start) {
  const PhaseSpec& phase = spec_.phases[phase_index];
  std::vector<Series> series;
  SampleTargets(phase.name, v1::TargetSample::PHASE_START);
  absl::Status status = StartDrivers(phase_index, start, series);
  MonoTime interval_start = start;
  bool cancel_sent = false;
  {
    std::unique_lock lock(mu_);
    while (drivers_running_ > 0) {
      const MonoTime boundary = interval_start + spec_.interval;
      cv_.wait_until(lock, boundary, [&] { return drivers_running_ == 0 || (cancelled_ && !cancel_sent); });
      if (cancelled_ && !cancel_sent) {
        cancel_sent = true;
        for (Series& s : series) {
          for (auto& [th, driver] : s.drivers) {
            asio::post(engine_.context(th), [d = driver.get()] { d->Cancel(); });
          }
        }
        continue;
      }
      if (drivers_running_ == 0) break;
      lock.unlock();
      SampleTargets(phase.name, v1::TargetSample::INTERVAL);
      SendInterval(series, interval_start, boundary, /*final_drain=*/false);
      interval_start = boundary;
      lock.lock();
    }
  }
  const MonoTime end = MonoClock::now();
  SampleTargets(phase.name, v1::TargetSample::PHASE_END);
  SendInterval(series, interval_start, end, /*final_drain=*/true);
  MonoTime began = MonoTime::max();
  for (Series& s : series) {
    for (auto& [th, driver] : s.drivers) began = std::min(began, driver->began());
  }
  // Destroy each driver on its own thread, then wait for all of them.
  std::latch destroyed(static_cast<std::ptrdiff_t>([&] {
    size_t n = 0;
    for (Series& s : series) n += s.drivers.size();
    return n;
  }()));
  for (Series& s : series) {
    for (auto& [th, driver] : s.drivers) {
      asio::post(engine_.context(th), [d = driver.release(), &destroyed] {
        delete d;
        destroyed.count_down();
      });
    }
  }
  destroyed.wait();

  const MonoTime measure_from = start + phase.warmup;
  MonoTime measured_end = end;
  if (phase.duration) measured_end = std::min(end, measure_from + *phase.duration);
  v1::AgentMessage message;
  v1::PhaseEnd* phase_end = message.mutable_phase_end();
  phase_end->set_job_id(assignment_.job_id);
  phase_end->set_shard_index(assignment_.shard_index);
  phase_end->set_phase(phase.name);
  phase_end->set_measured_start_unix_us(anchor_.ToUnixMicros(std::min(measure_from, end)));
  phase_end->set_measured_end_unix_us(anchor_.ToUnixMicros(measured_end));
  if (began != MonoTime::max()) phase_end->set_started_unix_us(anchor_.ToUnixMicros(began));
  if (!status.ok()) phase_end->set_error(std::string(status.message()));
  if (cancelled_) phase_end->set_error("cancelled");
  sink_.Send(std::move(message));
  if (cancelled_ && status.ok()) return absl::CancelledError("cancelled");
  return status;
}

void ShardRunner::SendInterval(std::vector<Series>& series, MonoTime from, MonoTime to,
                               bool final_drain) {
  if (final_drain) {
    // Every driver has finished: nothing else touches them.
    for (Series& s : series) {
      for (auto& [th, driver] : s.drivers) driver->DrainInto(s.accumulated);
    }
  } else {
    size_t n = 0;
    for (Series& s : series) n += s.drivers.size();
    std::latch drained(static_cast<std::ptrdiff_t>(n));
    for (Series& s : series) {
      for (auto& [th, driver] : s.drivers) {
        asio::post(engine_.context(th), [this, d = driver.get(), acc = &s.accumulated, &drained] {
          {
            std::lock_guard lock(mu_);
            d->DrainInto(*acc);
          }
          drained.count_down();
        });
      }
    }
    drained.wait();
  }
  v1::AgentMessage message;
  v1::Interval* interval = message.mutable_interval();
  interval->set_job_id(assignment_.job_id);
  interval->set_shard_index(assignment_.shard_index);
  interval->set_seq(interval_seq_++);
  interval->set_start_unix_us(anchor_.ToUnixMicros(from));
  interval->set_length_us(std::chrono::duration_cast<std::chrono::microseconds>(to - from).count());
  for (Series& s : series) {
    for (size_t op = 0; op < s.ops.size(); ++op) {
      v1::SeriesInterval* out = interval->add_series();
      out->mutable_key()->set_target(spec_.targets[s.target_index].name);
      out->mutable_key()->set_phase(s.phase);
      out->mutable_key()->set_op(s.ops[op]);
      s.accumulated[op].ToProto(s.open_loop, out);
      s.accumulated[op].Reset();
    }
  }
  for (v1::TargetSample& sample : pending_samples_) *interval->add_target_samples() = std::move(sample);
  pending_samples_.clear();
  sink_.Send(std::move(message));
}

}  // namespace vexbench
