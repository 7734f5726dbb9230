// Controller load benchmark: N simulated agents on real gRPC streams, each sending one
// Interval per second with S series (real HdrHistogram V2 blobs) for one job, a heartbeat per
// second and the pongs to the controller's pings, as real agents do; measures the
// controller's CPU (share of one core) and RSS from /proc, and checks nothing was lost.
//
//   controller_load --controller 127.0.0.1:PORT --controller-pid PID [--agents 100]
//                   [--seconds 30] [--series 3]
// bench/controller_load.sh starts a controller and runs this.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/hdr_codec.h"
#include "common/histogram.h"
#include "grpcpp/create_channel.h"
#include "nlohmann/json.hpp"
#include "proto/vexbench.grpc.pb.h"

namespace vexbench {
namespace {

struct Args {
  std::string controller;
  int pid = 0;
  int agents = 100;
  int seconds = 30;
  int series = 3;
};

// utime + stime of a process in seconds, and its RSS in MiB.
std::pair<double, double> CpuAndRss(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  std::istringstream in(line.substr(line.rfind(')') + 2));
  std::string field;
  double utime = 0, stime = 0, rss_pages = 0;
  for (int i = 3; in >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
    if (i == 24) rss_pages = std::stod(field);
  }
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  return {(utime + stime) / tick,
          rss_pages * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0)};
}

std::string ExampleBlob(uint64_t seed) {
  Histogram h;
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> d(6.5, 0.8);
  for (int i = 0; i < 2000; ++i) h.Record(static_cast<int64_t>(d(rng)));
  return EncodeV2Compressed(h);
}

// One simulated agent: Hello, pongs, and on Assign the intervals of its shard.
void SimulatedAgent(const Args& args, int index, std::shared_ptr<grpc::Channel> channel,
                    std::atomic<int64_t>& requests_sent, std::atomic<int>& done) {
  auto stub = v1::AgentService::NewStub(channel);
  grpc::ClientContext context;
  context.set_wait_for_ready(true);  // as a real agent, which retries until it is connected
  auto stream = stub->Connect(&context);
  std::mutex write_mu;
  std::chrono::steady_clock::time_point last_sent;  // guarded by write_mu
  auto send = [&](const v1::AgentMessage& m) {
    std::lock_guard lock(write_mu);
    stream->Write(m);
    last_sent = std::chrono::steady_clock::now();
  };
  v1::AgentMessage hello;
  hello.mutable_hello()->set_name("sim-" + std::to_string(index));
  hello.mutable_hello()->set_host("bench");
  hello.mutable_hello()->set_cores(2);
  send(hello);
  const std::string blob = ExampleBlob(index);
  // A heartbeat each second in which nothing else was sent, as a real agent does
  // (agent/agent_daemon.cc).
  std::atomic<bool> over{false};
  std::thread heartbeat([&] {
    while (!over) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      {
        std::lock_guard lock(write_mu);
        if (std::chrono::steady_clock::now() - last_sent < std::chrono::seconds(1)) continue;
      }
      v1::AgentMessage beat;
      beat.mutable_heartbeat()->set_agent_unix_us(UnixMicrosNow());
      send(beat);
    }
  });
  std::thread shard;
  v1::ControllerMessage in;
  while (stream->Read(&in)) {
    if (in.has_ping()) {
      v1::AgentMessage pong;
      pong.mutable_pong()->set_ping_id(in.ping().ping_id());
      pong.mutable_pong()->set_agent_unix_us(UnixMicrosNow());
      send(pong);
    } else if (in.has_assign() && !shard.joinable()) {
      const v1::Assign assign = in.assign();
      shard = std::thread([&, assign] {
        std::this_thread::sleep_for(std::chrono::microseconds(
            std::max<int64_t>(0, assign.start_at_unix_us() - UnixMicrosNow())));
        const int64_t start = UnixMicrosNow();
        for (int seq = 0; seq < args.seconds; ++seq) {
          std::this_thread::sleep_until(std::chrono::system_clock::time_point(
              std::chrono::microseconds(start + (seq + 1) * 1'000'000)));
          v1::AgentMessage m;
          v1::Interval* interval = m.mutable_interval();
          interval->set_job_id(assign.job_id());
          interval->set_shard_index(assign.shard_index());
          interval->set_seq(seq);
          interval->set_start_unix_us(start + seq * 1'000'000);
          interval->set_length_us(1'000'000);
          for (int s = 0; s < args.series; ++s) {
            v1::SeriesInterval* series = interval->add_series();
            series->mutable_key()->set_target("t" + std::to_string(s));
            series->mutable_key()->set_phase("p");
            series->mutable_key()->set_op("request");
            series->mutable_counters()->set_requests(2000);
            series->set_latency_hdr(blob);
            requests_sent += 2000;
          }
          send(m);
        }
        v1::AgentMessage end;
        end.mutable_phase_end()->set_phase("p");
        end.mutable_phase_end()->set_shard_index(assign.shard_index());
        end.mutable_phase_end()->set_measured_start_unix_us(start);
        end.mutable_phase_end()->set_measured_end_unix_us(UnixMicrosNow());
        send(end);
        v1::AgentMessage finished;
        finished.mutable_done()->set_job_id(assign.job_id());
        finished.mutable_done()->set_shard_index(assign.shard_index());
        finished.mutable_done()->set_ok(true);
        send(finished);
        ++done;
      });
    }
  }
  over = true;
  heartbeat.join();
  if (shard.joinable()) {
    shard.join();
  } else {
    const grpc::Status status = stream->Finish();
    std::fprintf(stderr, "agent %d: stream ended before an assignment: %s\n", index,
                 status.error_message().c_str());
  }
}

int Main(const Args& args) {
  auto channel = grpc::CreateChannel(args.controller, grpc::InsecureChannelCredentials());
  std::atomic<int64_t> requests_sent{0};
  std::atomic<int> done{0};
  std::vector<std::thread> agents;
  // Every simulated agent gets its own channel: its own HTTP/2 connection, as real agents.
  for (int i = 0; i < args.agents; ++i) {
    grpc::ChannelArguments ca;
    ca.SetInt("bench.agent", i);  // distinct arguments: no connection sharing
    auto own = grpc::CreateCustomChannel(args.controller, grpc::InsecureChannelCredentials(), ca);
    agents.emplace_back(SimulatedAgent, std::cref(args), i, own, std::ref(requests_sent),
                        std::ref(done));
  }
  std::this_thread::sleep_for(std::chrono::seconds(3));  // Hello and first pings

  std::string targets;
  for (int s = 0; s < args.series; ++s) {
    targets += std::string(s ? "," : "") + "{\"name\":\"t" + std::to_string(s) +
               "\",\"kind\":\"http\",\"url\":\"http://127.0.0.1:9/\"}";
  }
  const std::string spec = "{\"name\":\"controller-load\",\"targets\":[" + targets +
                           "],\"phases\":[{\"name\":\"p\",\"op\":\"request\",\"duration\":\"" +
                           std::to_string(args.seconds) + "s\"}]}";
  auto control = v1::ControlService::NewStub(channel);
  v1::SubmitJobRequest submit;
  submit.set_spec_json(spec);
  submit.set_agents(args.agents);
  v1::SubmitJobResponse submitted;
  {
    grpc::ClientContext ctx;
    grpc::Status s = control->SubmitJob(&ctx, submit, &submitted);
    if (!s.ok()) {
      std::cerr << "submit failed: " << s.error_message() << "\n";
      return 1;
    }
  }
  // Measure the steady middle of the run: skip the first 3 s (start barrier, connections).
  std::this_thread::sleep_for(std::chrono::seconds(4));
  const auto [cpu0, rss0] = CpuAndRss(args.pid);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<double> rss_samples;
  const int window = std::max(5, args.seconds - 6);
  for (int i = 0; i < window; ++i) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    rss_samples.push_back(CpuAndRss(args.pid).second);
  }
  const auto [cpu1, rss1] = CpuAndRss(args.pid);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  while (done < args.agents) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto last_done = std::chrono::steady_clock::now();
  // The job ends when the controller has processed every message: the drain time is the
  // backlog left when the last agent finished.
  v1::GetJobResponse job;
  for (;;) {
    grpc::ClientContext ctx;
    v1::GetJobRequest get;
    get.set_job_id(submitted.job_id());
    control->GetJob(&ctx, get, &job);
    if (job.job().state() != "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double drain_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - last_done).count();
  int64_t merged = 0;
  const nlohmann::json report = nlohmann::json::parse(job.report_json());
  for (const auto& r : report["results"]) {
    merged += r["requests"].get<int64_t>();
  }
  std::printf("agents %d, series %d, interval 1 s, %d s\n", args.agents, args.series, args.seconds);
  std::printf("controller CPU: %.2f%% of one core (steady window %.1f s)\n",
              100.0 * (cpu1 - cpu0) / wall, wall);
  std::printf("controller RSS: %.1f MiB at window start, %.1f MiB at end (min %.1f, max %.1f)\n",
              rss0, rss1, *std::min_element(rss_samples.begin(), rss_samples.end()),
              *std::max_element(rss_samples.begin(), rss_samples.end()));
  std::printf("job %s: %s; requests sent %lld, merged %lld (%s); backlog drained %.0f ms after "
              "the last agent finished\n",
              submitted.job_id().c_str(), job.job().state().c_str(),
              static_cast<long long>(requests_sent.load()), static_cast<long long>(merged),
              merged == requests_sent ? "equal" : "DIFFERENT", drain_ms);
  std::fflush(stdout);
  std::_Exit(merged == requests_sent && job.job().state() == "succeeded" ? 0 : 1);
}

}  // namespace
}  // namespace vexbench

int main(int argc, char** argv) {
  vexbench::Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--controller") args.controller = value;
    if (flag == "--controller-pid") args.pid = std::stoi(value);
    if (flag == "--agents") args.agents = std::stoi(value);
    if (flag == "--seconds") args.seconds = std::stoi(value);
    if (flag == "--series") args.series = std::stoi(value);
  }
  if (args.controller.empty() || args.pid == 0) {
    std::cerr << "usage: controller_load --controller HOST:PORT --controller-pid PID "
                 "[--agents 100] [--seconds 30] [--series 3]\n";
    return 2;
  }
  return vexbench::Main(args);
}
