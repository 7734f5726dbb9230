#include "agent/agent_daemon.h"

#include <unistd.h>

#include <random>
#include <thread>
#include <utility>

#include "agent/shard_runner.h"
#include "common/clock.h"
#include "common/job_spec.h"
#include "grpcpp/create_channel.h"
#include "spdlog/spdlog.h"

namespace vexbench {
namespace {

constexpr std::chrono::milliseconds kInitialBackoff{250};

std::string HostName() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return host;
}

}  // namespace

// The shard side of one connection: at most one shard at a time.
class AgentDaemon::Session final : public ShardSink {
 public:
  Session(grpc::ClientReaderWriter<v1::AgentMessage, v1::ControllerMessage>& stream,
          Engine& engine, std::string agent_name, AgentMetrics& metrics)
      : stream_(stream), engine_(engine), agent_name_(std::move(agent_name)), metrics_(metrics) {}
  ~Session() override { StopShard(); }

  // ShardSink: any thread.
  void Send(v1::AgentMessage message) override {
    std::lock_guard lock(write_mu_);
    if (!broken_ && !stream_.Write(message)) broken_ = true;
    last_sent_ = MonoClock::now();
    if (!broken_ && message.has_interval()) {
      metrics_.OnIntervalSent(message.interval(), UnixMicrosNow());
    }
  }

  // A heartbeat, unless another message went out within `period`: any message tells the
  // controller the agent is alive, so a running agent's intervals make most heartbeats moot.
  void HeartbeatIfQuiet(std::chrono::milliseconds period) {
    {
      std::lock_guard lock(write_mu_);
      if (MonoClock::now() - last_sent_ < period) return;
    }
    v1::AgentMessage beat;
    beat.mutable_heartbeat()->set_agent_unix_us(UnixMicrosNow());
    Send(std::move(beat));
  }

  void OnAssign(const v1::Assign& assign) {
    if (shard_thread_.joinable() && !shard_finished_) {
      SendDone(assign, "this agent is already running a shard");
      return;
    }
    StopShard();
    auto spec = ParseJobSpec(assign.spec_json(), "assigned job " + assign.job_id());
    if (!spec.ok()) {
      SendDone(assign, std::string(spec.status().message()));
      return;
    }
    spdlog::info("job {}: running shard {} of {}", assign.job_id(), assign.shard_index() + 1,
                 assign.shard_count());
    job_id_ = assign.job_id();
    ShardAssignment shard{assign.job_id(), assign.shard_index(), assign.shard_count(),
                          assign.start_at_unix_us(), agent_name_};
    runner_ = std::make_unique<ShardRunner>(engine_, *std::move(spec), shard, *this);
    shard_finished_ = false;
    shard_thread_ = std::thread([this] {
      runner_->Run();
      shard_finished_ = true;
      spdlog::info("job {}: shard finished", job_id_);
    });
  }

  void OnCancel(const v1::Cancel& cancel) {
    if (runner_ && cancel.job_id() == job_id_) {
      spdlog::info("job {}: cancelled by the controller ({})", job_id_, cancel.reason());
      runner_->Cancel();
    }
  }

  // Cancels a running shard and waits for it.
  void StopShard() {
    if (runner_ && !shard_finished_) runner_->Cancel();
    if (shard_thread_.joinable()) shard_thread_.join();
    runner_.reset();
  }

 private:
  void SendDone(const v1::Assign& assign, const std::string& error) {
    spdlog::warn("job {}: refusing shard {}: {}", assign.job_id(), assign.shard_index(), error);
    v1::AgentMessage m;
    m.mutable_done()->set_job_id(assign.job_id());
    m.mutable_done()->set_shard_index(assign.shard_index());
    m.mutable_done()->set_ok(false);
    m.mutable_done()->set_error(error);
    Send(std::move(m));
  }

  grpc::ClientReaderWriter<v1::AgentMessage, v1::ControllerMessage>& stream_;
  Engine& engine_;
  const std::string agent_name_;
  AgentMetrics& metrics_;
  std::mutex write_mu_;
  bool broken_ = false;  // guarded by write_mu_
  MonoTime last_sent_;   // guarded by write_mu_
  std::string job_id_;
  std::unique_ptr<ShardRunner> runner_;
  std::thread shard_thread_;
  std::atomic<bool> shard_finished_{true};
};

AgentDaemon::AgentDaemon(AgentDaemonOptions options)
    : options_(std::move(options)), engine_(options_.threads) {}

AgentDaemon::~AgentDaemon() = default;

absl::Status AgentDaemon::Run() {
  auto credentials = MakeChannelCredentials(options_.tls);
  if (!credentials.ok()) return credentials.status();
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  auto channel = grpc::CreateCustomChannel(options_.controller, *credentials, args);
  auto stub = v1::AgentService::NewStub(channel);
  std::chrono::milliseconds backoff = kInitialBackoff;
  while (!stopping_) {
    bool served = false;
    Serve(*stub, served);
    if (stopping_) break;
    backoff = served ? kInitialBackoff : std::min(backoff * 2, options_.max_backoff);
    SleepBackoff(backoff);
  }
  return absl::OkStatus();
}

void AgentDaemon::SleepBackoff(std::chrono::milliseconds delay) {
  // Jitter: a uniform draw in [delay/2, delay], so agents restarted together spread out.
  static thread_local std::mt19937_64 rng(std::random_device{}());
  const auto jittered = std::chrono::milliseconds(
      std::uniform_int_distribution<int64_t>(delay.count() / 2, delay.count())(rng));
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, jittered, [&] { return stopping_.load(); });
}

void AgentDaemon::Stop() {
  stopping_ = true;
  std::lock_guard lock(mu_);
  if (active_context_ != nullptr) active_context_->TryCancel();
  cv_.notify_all();
}

void AgentDaemon::Serve(v1::AgentService::Stub& stub, bool& served) {
  grpc::ClientContext context;
  if (!options_.join_token.empty()) context.AddMetadata(kJoinTokenHeader, options_.join_token);
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    active_context_ = &context;
  }
  auto stream = stub.Connect(&context);
  const std::string name = options_.name.empty() ? HostName() : options_.name;
  auto session = std::make_unique<Session>(*stream, engine_, name, *metrics_);

  v1::AgentMessage hello;
  v1::Hello* h = hello.mutable_hello();
  h->set_name(name);
  h->set_host(HostName());
  h->set_version(VEXBENCH_VERSION);
  h->set_cores(static_cast<int>(std::thread::hardware_concurrency()));
  h->set_threads(engine_.threads());
  h->set_join_token(options_.join_token);
  for (const auto& [k, v] : options_.labels) (*h->mutable_labels())[k] = v;
  session->Send(std::move(hello));

  std::mutex beat_mu;
  std::condition_variable beat_cv;
  bool over = false;
  std::thread heartbeat([&] {
    std::unique_lock lock(beat_mu);
    while (!beat_cv.wait_for(lock, options_.heartbeat, [&] { return over; })) {
      session->HeartbeatIfQuiet(options_.heartbeat);
    }
  });

  v1::ControllerMessage in;
  while (stream->Read(&in)) {
    if (!served) spdlog::info("connected to controller {}", options_.controller);
    served = true;
    switch (in.body_case()) {
      case v1::ControllerMessage::kAssign: session->OnAssign(in.assign()); break;
      case v1::ControllerMessage::kCancel: session->OnCancel(in.cancel()); break;
      case v1::ControllerMessage::kPing: {
        v1::AgentMessage pong;
        pong.mutable_pong()->set_ping_id(in.ping().ping_id());
        pong.mutable_pong()->set_agent_unix_us(UnixMicrosNow());
        session->Send(std::move(pong));
        break;
      }
      default: break;
    }
  }
  {
    std::lock_guard lock(beat_mu);
    over = true;
  }
  beat_cv.notify_all();
  heartbeat.join();
  session->StopShard();  // the controller counts this shard as lost
  // The read loop ended because the controller ended the call (Finish gives its status and
  // message, e.g. a refused join token) or the link broke. No other thread writes any more.
  const grpc::Status status = stream->Finish();
  if (!stopping_) {
    spdlog::warn("stream to controller {} ended: {} (gRPC status {})", options_.controller,
                 status.error_message().empty() ? "connection lost" : status.error_message(),
                 static_cast<int>(status.error_code()));
  }
  session.reset();
  std::lock_guard lock(mu_);
  active_context_ = nullptr;
}

}  // namespace vexbench
