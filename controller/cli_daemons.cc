#include "controller/cli_daemons.h"

#include <signal.h>

#include <iostream>
#include <thread>

#include "common/metrics.h"
#include "controller/controller.h"
#include "controller/grpc_services.h"
#include "controller/http_api.h"
#include "controller/job_store.h"
#include "controller/schedule_service.h"
#include "controller/schedule_store.h"
#include "controller/scheduler.h"
#include "grpcpp/server_builder.h"
#include "spdlog/spdlog.h"

namespace vexbench {
namespace {

// Blocks SIGINT and SIGTERM in every thread started after this call, and returns a function
// that waits for one of them (on the calling thread).
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int WaitStopSignal(const sigset_t& set) {
  int signo = 0;
  sigwait(&set, &signo);
  return signo;
}

}  // namespace

int RunControllerCommand(const ControllerCommandOptions& options) {
  if (!options.tls.enabled() && !options.insecure && !IsLoopbackAddress(options.listen)) {
    std::cerr << "vexbench controller: --listen " << options.listen
              << " is not a loopback address and TLS is off; give --tls-cert and --tls-key, or "
                 "--insecure to serve plaintext anyway\n";
    return 2;
  }
  auto credentials = MakeServerCredentials(options.tls);
  if (!credentials.ok()) {
    std::cerr << "vexbench controller: " << credentials.status().message() << "\n";
    return 2;
  }
  auto store = OpenSqliteJobStore(options.data_dir);
  if (!store.ok()) {
    std::cerr << "vexbench controller: --data " << options.data_dir << ": "
              << store.status().message() << "\n";
    return 2;
  }
  const sigset_t signals = BlockStopSignals();
  auto controller = Controller::Create(**store);
  if (!controller.ok()) {
    std::cerr << "vexbench controller: " << controller.status().message() << "\n";
    return 2;
  }
  AgentServiceImpl agent_service(**controller, options.join_token);
  ControlServiceImpl control_service(**controller, options.token);
  // Schedules: their own connection to the same SQLite file; fired by their own thread.
  auto schedule_store = ScheduleStore::Open(options.data_dir);
  if (!schedule_store.ok()) {
    std::cerr << "vexbench controller: --data " << options.data_dir << ": "
              << schedule_store.status().message() << "\n";
    return 2;
  }
  ControllerJobLauncher launcher(**controller);
  Scheduler scheduler(**schedule_store, launcher, Scheduler::Options{});
  scheduler.Start();
  ScheduleServiceImpl schedule_service(scheduler, options.token);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, *credentials, &port);
  builder.RegisterService(&agent_service);
  builder.RegisterService(&control_service);
  builder.RegisterService(&schedule_service);
  // Agents send keepalive pings every 5 s, also between calls.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 4000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.SetMaxReceiveMessageSize(64 << 20);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << "vexbench controller: cannot listen on " << options.listen << "\n";
    return 2;
  }
  std::unique_ptr<HttpApiServer> http;
  if (!options.http.empty()) {
    auto started = HttpApiServer::Start(**controller, options.http, options.token,
                                        HttpApiOptions{.scheduler = &scheduler});
    if (!started.ok()) {
      std::cerr << "vexbench controller: " << started.status().message() << "\n";
      return 2;
    }
    http = *std::move(started);
    std::cout << "vexbench controller http on "
              << options.http.substr(0, options.http.rfind(':')) << ":" << http->port()
              << std::endl;
  }
  const std::string host = options.listen.substr(0, options.listen.rfind(':'));
  // Scripts and tests read this line to learn the port (--listen HOST:0 picks a free one).
  std::cout << "vexbench controller listening on " << host << ":" << port << " (data "
            << options.data_dir << (options.tls.enabled() ? ", TLS" : ", plaintext") << ")"
            << std::endl;
  const int signo = WaitStopSignal(signals);
  spdlog::info("signal {}: shutting down", signo);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  return 0;
}

int RunAgentCommand(const AgentDaemonOptions& options) {
  const sigset_t signals = BlockStopSignals();
  AgentDaemon daemon(options);
  std::unique_ptr<MetricsServer> metrics;
  if (!options.metrics_listen.empty()) {
    auto started = MetricsServer::Start(options.metrics_listen, daemon.metrics());
    if (!started.ok()) {
      std::cerr << "vexbench agent: " << started.status().message() << "\n";
      return 2;
    }
    metrics = *std::move(started);
    // Scripts and tests read this line to learn the port (--metrics HOST:0 picks a free one).
    std::cout << "vexbench agent metrics on "
              << options.metrics_listen.substr(0, options.metrics_listen.rfind(':')) << ":"
              << metrics->port() << std::endl;
  }
  absl::Status result;
  std::thread runner([&] { result = daemon.Run(); });
  std::thread stopper([&] {
    WaitStopSignal(signals);
    daemon.Stop();
  });
  runner.join();
  if (!result.ok()) {
    std::cerr << "vexbench agent: " << result.message() << "\n";
    pthread_kill(stopper.native_handle(), SIGTERM);
    stopper.join();
    return 2;
  }
  stopper.join();
  return 0;
}

}  // namespace vexbench
