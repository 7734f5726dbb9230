// The controller and its agents as separate processes, end to end: a job split over two agents
// against nginx, the exit codes of `submit --wait`, an agent or the controller killed mid-run,
// cancelling, TLS and mutual TLS, tokens, and (as root) one network namespace per host.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "absl/strings/escaping.h"
#include "common/hdr_codec.h"
#include "common/histogram.h"
#include "common/hlog.h"
#include "grpcpp/create_channel.h"
#include "nlohmann/json.hpp"
#include "proto/vexbench.grpc.pb.h"
#include "tests/integration/support/cluster.h"
#include "tests/integration/support/netns.h"
#include "tests/integration/support/servers.h"
#include "tests/integration/support/subprocess.h"

namespace vexbench::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

// A job for two agents against one http target; `phases` are YAML list items.
std::string TwoAgentJob(const std::string& name, const std::string& url, const std::string& phases,
                        const std::string& thresholds = "") {
  return "name: " + name + "\nagents: 2\n" + "targets: [{name: web, kind: http, url: \"" + url +
         "\"}]\n" + "phases:\n" + phases +
         (thresholds.empty() ? "" : "thresholds: [" + thresholds + "]\n");
}

std::string Describe(const RunResult& r) {
  return "exit " + std::to_string(r.exit_code) + " after " + std::to_string(r.seconds) +
         " s\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

// nginx, a controller and agents a1 and a2 on 127.0.0.1, all connected and idle.
struct LocalCluster {
  explicit LocalCluster(std::vector<std::string> controller_flags = {},
                        std::vector<std::string> client_flags = {},
                        std::vector<std::string> agent_flags = {})
      : controller(ControllerProcessOptions{.flags = std::move(controller_flags)}),
        cli(controller.address(), std::move(client_flags)) {
    for (const char* name : {"a1", "a2"}) {
      agents.push_back(std::make_unique<AgentProcess>(controller.address(), name, agent_flags));
    }
    INFO("controller log:\n" << controller.Log());
    REQUIRE(cli.WaitForAgents({"a1", "a2"}, "idle", seconds(10)));
  }

  AgentProcess& agent(const std::string& name) {
    for (auto& a : agents) {
      if (a->name() == name) return *a;
    }
    throw std::runtime_error("no agent " + name);
  }

  NginxServer nginx;
  ControllerProcess controller;
  ControllerClient cli;
  std::vector<std::unique_ptr<AgentProcess>> agents;
};

// The job id a background `submit` prints first, or "" if none within 10 s.
std::string WaitForJobId(Subprocess& submit) {
  const auto until = std::chrono::steady_clock::now() + seconds(10);
  while (std::chrono::steady_clock::now() < until) {
    const std::string out = submit.Stdout();
    if (out.find('\n') != std::string::npos) return out.substr(0, out.find('\n'));
    std::this_thread::sleep_for(milliseconds(20));
  }
  return "";
}

Histogram DecodeHdr(const json& base64) {
  std::string bytes;
  REQUIRE(base64.is_string());
  REQUIRE(absl::Base64Unescape(base64.get<std::string>(), &bytes));
  auto h = DecodeV2(bytes);
  INFO(h.status().ToString());
  REQUIRE(h.ok());
  return *std::move(h);
}

const json& ResultOf(const json& report, const std::string& phase) {
  for (const json& r : report["results"]) {
    if (r["phase"] == phase) return r;
  }
  FAIL("no result for phase " << phase << " in " << report.dump());
  static json none;
  return none;
}

const json& AgentOf(const json& report, const std::string& name) {
  for (const json& a : report["agents"]) {
    if (a["name"] == name) return a;
  }
  FAIL("no agent " << name << " in " << report["agents"].dump());
  static json none;
  return none;
}

const json& PerAgent(const json& result, const std::string& name) {
  for (const json& a : result["per_agent"]) {
    if (a["agent"] == name) return a;
  }
  FAIL("no per_agent entry for " << name << " in " << result["per_agent"].dump());
  static json none;
  return none;
}

int64_t Requests(const json& v) { return v["requests"].get<int64_t>(); }

// Sum of the counts of every interval of an .hlog file.
int64_t HlogTotal(const std::string& path) {
  std::ifstream in(path);
  INFO(path);
  REQUIRE(in.good());
  auto log = ReadHlog(in);
  INFO(log.status().ToString());
  REQUIRE(log.ok());
  int64_t total = 0;
  for (const HlogEntry& e : log->entries) total += e.histogram.TotalCount();
  return total;
}

TEST_CASE("two agents: the merged results add up to the agents' and to what nginx served",
          "[distributed]") {
  LocalCluster c;
  const int64_t before = c.nginx.RequestsServed();
  const RunResult r =
      c.cli.Submit(TwoAgentJob("split", c.nginx.Url(),
                               "  - {name: fixed, op: request, concurrency: 8, requests: 4000}\n"
                               "  - {name: timed, op: request, concurrency: 8, duration: 3s}\n"),
                   {"--wait"});
  INFO(Describe(r));
  REQUIRE(r.exit_code == 0);
  const int64_t served = c.nginx.RequestsServed() - before - 1;  // minus our second query
  const std::string id = ControllerClient::JobId(r.out);
  const json report = c.cli.Show(id);
  REQUIRE(report.is_object());
  INFO(report.dump(1));
  CHECK(report["job"]["state"] == "succeeded");

  int64_t merged_total = 0;
  for (const std::string phase : {"fixed", "timed"}) {
    INFO("phase " << phase);
    const json& result = ResultOf(report, phase);
    CHECK(result["errors"] == 0);
    REQUIRE(result["per_agent"].size() == 2);
    // Each agent ran its shard, and the merged count is the sum of theirs.
    CHECK(Requests(PerAgent(result, "a1")) > 0);
    CHECK(Requests(PerAgent(result, "a2")) > 0);
    CHECK(Requests(result) == Requests(PerAgent(result, "a1")) + Requests(PerAgent(result, "a2")));
    // The merged histogram is the merge of the agents' histograms, bucket for bucket.
    const Histogram merged = DecodeHdr(result["latency_hdr"]);
    Histogram sum = DecodeHdr(PerAgent(result, "a1")["latency_hdr"]);
    sum.Merge(DecodeHdr(PerAgent(result, "a2")["latency_hdr"]));
    CHECK(merged.SameCounts(sum));
    CHECK(merged.TotalCount() == Requests(result));
    merged_total += Requests(result);
  }
  CHECK(Requests(ResultOf(report, "fixed")) == 4000);
  CHECK(Requests(ResultOf(report, "timed")) > 1000);
  CHECK(merged_total == served);

  // Both agents' clocks were measured; on one host the offsets and the start skew are small.
  REQUIRE(report["agents"].size() == 2);
  int64_t agents_total = 0;
  for (const json& agent : report["agents"]) {
    INFO("agent " << agent.dump());
    CHECK(agent["state"] == "done");
    REQUIRE(agent["clock_offset_us"].is_number_integer());
    CHECK(std::abs(agent["clock_offset_us"].get<int64_t>()) < 50'000);
    REQUIRE(agent["rtt_us"].is_number_integer());
    CHECK(agent["rtt_us"].get<int64_t>() > 0);
    agents_total += Requests(agent);
  }
  CHECK(agents_total == merged_total);
  REQUIRE(report["environment"]["start_skew_us"].is_number_integer());
  CHECK(report["environment"]["start_skew_us"].get<int64_t>() >= 0);
  CHECK(report["environment"]["start_skew_us"].get<int64_t>() < 50'000);

  // `report --out` writes the merged and the per-agent interval logs, with the same counts.
  const std::string out = MakeTempDir("split-report");
  const RunResult files = c.cli.Run({"report", id, "--out", out});
  INFO(Describe(files));
  REQUIRE(files.exit_code == 0);
  CHECK(json::parse(ReadFile(out + "/report.json"))["results"] == report["results"]);
  const json& timed = ResultOf(report, "timed");
  const int64_t hlog_merged = HlogTotal(out + "/web.timed.request.hlog");
  CHECK(hlog_merged == Requests(timed) - timed["errors"].get<int64_t>());
  CHECK(HlogTotal(out + "/web.timed.request.a1.hlog") +
            HlogTotal(out + "/web.timed.request.a2.hlog") ==
        hlog_merged);
}

TEST_CASE("submit --wait exits with the job's verdict", "[distributed][exit-codes]") {
  LocalCluster c;
  const std::string one_second = TwoAgentJob(
      "verdict", c.nginx.Url(), "  - {name: p, op: request, concurrency: 2, duration: 1s}\n",
      "\"p.p99 < 1s\", \"errors < 1%\"");

  SECTION("0: succeeded, every threshold passed") {
    const RunResult r = c.cli.Submit(one_second, {"--wait"});
    INFO(Describe(r));
    CHECK(r.exit_code == 0);
  }

  SECTION("1: a threshold failed") {
    const RunResult r =
        c.cli.Submit(TwoAgentJob("verdict", c.nginx.Url(),
                                 "  - {name: p, op: request, concurrency: 2, duration: 1s}\n",
                                 "\"p.p50 < 1us\""),
                     {"--wait"});
    INFO(Describe(r));
    CHECK(r.exit_code == 1);
    const json report = c.cli.Show(ControllerClient::JobId(r.out));
    REQUIRE(report.is_object());
    CHECK(report["thresholds"][0]["passed"] == false);
    CHECK(c.cli.Jobs()[ControllerClient::JobId(r.out)].exit_code == "1");
  }

  SECTION("2: a bad spec is refused before anything reaches the controller") {
    const int64_t before = c.nginx.RequestsServed();
    const RunResult r = c.cli.Submit(
        TwoAgentJob("bad", c.nginx.Url(), "  - {name: p, op: request, rate: fast, duration: 1s}\n"),
        {"--wait"});
    INFO(Describe(r));
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("phases[0].rate") != std::string::npos);
    CHECK(r.out.empty());  // no job id
    CHECK(c.cli.Jobs().empty());
    CHECK(c.nginx.RequestsServed() - before == 1);  // only our own status query
  }

  SECTION("2: the controller refuses a bad spec that did not come through the CLI") {
    // The CLI validates with the same code as the controller, so only another client (an
    // older CLI, a script) can get a bad spec there; the controller must still refuse it.
    auto stub = v1::ControlService::NewStub(
        grpc::CreateChannel(c.controller.address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + seconds(10));
    v1::SubmitJobRequest request;
    request.set_spec_json(
        json{{"name", "bad"},
             {"targets", {{{"name", "web"}, {"kind", "http"}, {"url", c.nginx.Url()}}}},
             {"phases", {{{"name", "p"}, {"op", "request"}, {"rate", "fast"}, {"duration", "1s"}}}}}
            .dump());
    request.set_agents(2);
    v1::SubmitJobResponse response;
    const grpc::Status status = stub->SubmitJob(&context, request, &response);
    INFO(status.error_message());
    CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(status.error_message().find("phases[0].rate") != std::string::npos);
    CHECK(response.job_id().empty());
    CHECK(c.cli.Jobs().empty());
  }

  SECTION("4: cancelled by `vexbench cancel` while submit waits") {
    auto waiting = c.cli.Start(
        {"submit",
         ControllerClient::WriteSpec(TwoAgentJob(
             "long", c.nginx.Url(), "  - {name: p, op: request, concurrency: 2, duration: 30s}\n")),
         "--wait", "--quiet"});
    const std::string id = WaitForJobId(*waiting);
    REQUIRE(!id.empty());
    REQUIRE(c.cli.WaitForJobState(id, "running", seconds(10)));
    std::this_thread::sleep_for(milliseconds(1500));
    const RunResult cancel = c.cli.Run({"cancel", id});
    INFO(Describe(cancel));
    CHECK(cancel.exit_code == 0);
    CHECK(waiting->Wait(seconds(10)) == 4);
    INFO(waiting->Stderr());
  }

  SECTION("3: partial, one agent killed mid-run") {
    auto waiting = c.cli.Start({"submit",
                                ControllerClient::WriteSpec(TwoAgentJob(
                                    "partial", c.nginx.Url(),
                                    "  - {name: p, op: request, concurrency: 2, duration: 4s}\n")),
                                "--wait", "--quiet"});
    const std::string id = WaitForJobId(*waiting);
    REQUIRE(!id.empty());
    REQUIRE(c.cli.WaitForJobState(id, "running", seconds(10)));
    std::this_thread::sleep_for(milliseconds(2500));
    c.agent("a1").Kill();
    CHECK(waiting->Wait(seconds(15)) == 3);
    INFO(waiting->Stderr());
  }
}

TEST_CASE("an agent killed mid-run is lost, what it sent is kept, the job is partial",
          "[distributed][failure]") {
  LocalCluster c;
  auto waiting = c.cli.Start({"submit",
                              ControllerClient::WriteSpec(TwoAgentJob(
                                  "lose-one", c.nginx.Url(),
                                  "  - {name: p, op: request, concurrency: 4, duration: 6s}\n")),
                              "--wait", "--quiet"});
  const std::string id = WaitForJobId(*waiting);
  REQUIRE(!id.empty());
  REQUIRE(c.cli.WaitForJobState(id, "running", seconds(10)));
  std::this_thread::sleep_for(milliseconds(2500));  // the shards start 1 s after dispatch
  c.agent("a1").Kill();
  const int exit_code = waiting->Wait(seconds(20));
  INFO("submit --wait stderr:\n" << waiting->Stderr());
  CHECK(exit_code == 3);

  const json report = c.cli.Show(id);
  REQUIRE(report.is_object());
  INFO(report.dump(1));
  CHECK(report["job"]["state"] == "partial");
  CHECK(AgentOf(report, "a1")["state"] == "lost");
  CHECK(AgentOf(report, "a2")["state"] == "done");
  const json& p = ResultOf(report, "p");
  // a1's intervals up to the kill are in the report; a2 ran the whole 6 s.
  CHECK(Requests(PerAgent(p, "a1")) > 0);
  CHECK(Requests(PerAgent(p, "a2")) > 2 * Requests(PerAgent(p, "a1")));
  CHECK(Requests(p) == Requests(PerAgent(p, "a1")) + Requests(PerAgent(p, "a2")));
  CHECK(c.cli.Jobs()[id].exit_code == "3");
  // The survivor is free for the next job; the killed agent is gone from the list.
  CHECK(c.cli.WaitForAgents({"a2"}, "idle", seconds(2)));
  CHECK(c.cli.Agents().count("a1") == 0);
}

TEST_CASE("the controller killed mid-run: ended jobs intact, the running one interrupted",
          "[distributed][failure]") {
  LocalCluster c;
  const RunResult first =
      c.cli.Submit(TwoAgentJob("before-crash", c.nginx.Url(),
                               "  - {name: p, op: request, concurrency: 2, duration: 2s}\n"),
                   {"--wait"});
  INFO(Describe(first));
  REQUIRE(first.exit_code == 0);
  const std::string ended_id = ControllerClient::JobId(first.out);
  const json ended_before = c.cli.Show(ended_id);
  REQUIRE(ended_before.is_object());

  auto waiting = c.cli.Start(
      {"submit",
       ControllerClient::WriteSpec(TwoAgentJob(
           "crashed", c.nginx.Url(), "  - {name: p, op: request, concurrency: 2, duration: 8s}\n")),
       "--wait", "--quiet"});
  const std::string running_id = WaitForJobId(*waiting);
  REQUIRE(!running_id.empty());
  REQUIRE(c.cli.WaitForJobState(running_id, "running", seconds(10)));
  std::this_thread::sleep_for(milliseconds(3500));  // 1 s start margin, then 2.5 intervals
  c.controller.Kill();
  // The waiting client does not hang on a dead controller, nor claim success.
  const int waited = waiting->Wait(seconds(15));
  INFO("submit --wait stderr:\n" << waiting->Stderr());
  CHECK(waited != -1);
  CHECK(waited != 0);

  c.controller.Restart();
  INFO("controller log after restart:\n" << c.controller.Log());
  const auto jobs = c.cli.Jobs();
  REQUIRE(jobs.count(ended_id) == 1);
  REQUIRE(jobs.count(running_id) == 1);
  CHECK(jobs.at(ended_id).state == "succeeded");
  CHECK(jobs.at(ended_id).exit_code == "0");
  CHECK(jobs.at(running_id).state == "interrupted");
  CHECK(jobs.at(running_id).exit_code == "4");
  CHECK(c.cli.Show(ended_id) == ended_before);

  const json interrupted = c.cli.Show(running_id);
  REQUIRE(interrupted.is_object());
  INFO(interrupted.dump(1));
  CHECK(interrupted["job"]["state"] == "interrupted");
  REQUIRE(interrupted["results"].size() == 1);
  CHECK(Requests(interrupted["results"][0]) > 0);  // intervals stored before the crash

  // The agents reconnect by themselves (same processes) and a new job runs.
  CHECK(c.cli.WaitForAgents({"a1", "a2"}, "idle", seconds(10)));
  CHECK(c.agent("a1").ExitCode() == -1);
  CHECK(c.agent("a2").ExitCode() == -1);
  const RunResult after =
      c.cli.Submit(TwoAgentJob("after-restart", c.nginx.Url(),
                               "  - {name: p, op: request, concurrency: 2, duration: 1s}\n"),
                   {"--wait"});
  INFO(Describe(after));
  CHECK(after.exit_code == 0);
  const std::string after_id = ControllerClient::JobId(after.out);
  CHECK(after_id != ended_id);  // ids are not reused after a restart
  CHECK(after_id != running_id);
}

TEST_CASE("agents reconnect by themselves when the controller restarts", "[distributed]") {
  LocalCluster c;
  c.controller.Kill();
  std::this_thread::sleep_for(seconds(1));  // the agents see the stream break and back off
  c.controller.Restart();
  CHECK(c.cli.WaitForAgents({"a1", "a2"}, "idle", seconds(10)));
  CHECK(c.agent("a1").ExitCode() == -1);
  CHECK(c.agent("a2").ExitCode() == -1);
  INFO("a1 log:\n" << c.agent("a1").Log());
}

TEST_CASE("cancel stops a running job within 2 s, and a queued job cancelled never runs",
          "[distributed][cancel]") {
  LocalCluster c;
  SECTION("running") {
    const RunResult submitted = c.cli.Submit(TwoAgentJob(
        "cancel-me", c.nginx.Url(), "  - {name: p, op: request, concurrency: 4, duration: 30s}\n"));
    INFO(Describe(submitted));
    REQUIRE(submitted.exit_code == 0);
    const std::string id = ControllerClient::JobId(submitted.out);
    REQUIRE(c.cli.WaitForJobState(id, "running", seconds(10)));
    std::this_thread::sleep_for(milliseconds(2000));
    CHECK(c.cli.WaitForAgents({"a1", "a2"}, "busy", seconds(1)));

    const auto start = std::chrono::steady_clock::now();
    const RunResult cancel = c.cli.Run({"cancel", id});
    INFO(Describe(cancel));
    CHECK(cancel.exit_code == 0);
    CHECK(c.cli.WaitForJobState(id, "cancelled", seconds(2)));
    CHECK(c.cli.WaitForAgents({"a1", "a2"}, "idle", seconds(2)));
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(took < 3.0);
    // No load after the cancel: nginx sees only our two status queries.
    const int64_t quiet_from = c.nginx.RequestsServed();
    std::this_thread::sleep_for(milliseconds(1000));
    CHECK(c.nginx.RequestsServed() - quiet_from == 1);
    // What was measured before the cancel is kept.
    const json report = c.cli.Show(id);
    REQUIRE(report.is_object());
    INFO(report.dump(1));
    CHECK(Requests(ResultOf(report, "p")) > 0);
    CHECK(c.cli.Jobs()[id].exit_code == "4");
  }

  SECTION("queued") {
    const int64_t before = c.nginx.RequestsServed();
    const std::string spec = TwoAgentJob(
        "never-runs", c.nginx.Url(), "  - {name: p, op: request, concurrency: 3, duration: 2s}\n");
    const RunResult submitted = c.cli.Submit(spec, {"--agents", "3"});  // only 2 agents exist
    INFO(Describe(submitted));
    REQUIRE(submitted.exit_code == 0);
    const std::string id = ControllerClient::JobId(submitted.out);
    std::this_thread::sleep_for(milliseconds(1500));
    CHECK(c.cli.Show(id)["job"]["state"] == "queued");
    const RunResult cancel = c.cli.Run({"cancel", id});
    INFO(Describe(cancel));
    CHECK(cancel.exit_code == 0);
    CHECK(c.cli.WaitForJobState(id, "cancelled", seconds(2)));
    const json report = c.cli.Show(id);
    INFO(report.dump(1));
    CHECK(report["results"].empty());
    CHECK(report["agents"].empty());
    CHECK(c.cli.Jobs()[id].exit_code == "4");
    CHECK(c.cli.WaitForAgents({"a1", "a2"}, "idle", seconds(1)));
    CHECK(c.nginx.RequestsServed() - before == 1);  // only our own status query
    // The cancelled job no longer holds the queue: the next one runs.
    const RunResult next =
        c.cli.Submit(TwoAgentJob("next", c.nginx.Url(),
                                 "  - {name: p, op: request, concurrency: 2, requests: 100}\n"),
                     {"--wait"}, seconds(20));
    INFO(Describe(next));
    CHECK(next.exit_code == 0);
  }
}

// --- TLS -------------------------------------------------------------------------------------

struct Certificates {
  std::string ca, server_cert, server_key, client_cert, client_key;
  std::string other_ca;  // a CA that signed none of these
};

// Runs `openssl args...`; FAILs the test with its stderr when it does not exit 0.
void OpenSsl(const std::vector<std::string>& args, const std::string& dir) {
  std::vector<std::string> argv = {"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  Subprocess p(argv, dir + "/openssl");
  const int code = p.Wait(seconds(30));
  if (code == 127) {
    FAIL(
        "openssl is not installed (Debian package `openssl`): the TLS tests need it to make "
        "their certificates");
  }
  INFO("openssl " << args[0] << " " << args[1] << ":\n" << p.Stderr());
  REQUIRE(code == 0);
}

// A CA, a server certificate for IP:127.0.0.1 and DNS:localhost, and a client certificate,
// all EC P-256 and valid for 2 days; plus an unrelated CA.
Certificates MakeCertificates() {
  const std::string d = MakeTempDir("certs");
  const std::vector<std::string> ec = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                       "-nodes"};
  auto make_ca = [&](const std::string& name) {
    std::vector<std::string> args = {"req", "-x509"};
    args.insert(args.end(), ec.begin(), ec.end());
    args.insert(args.end(), {"-keyout", d + "/" + name + ".key", "-out", d + "/" + name + ".crt",
                             "-days", "2", "-subj", "/CN=vexbench test " + name, "-addext",
                             "basicConstraints=critical,CA:TRUE", "-addext",
                             "keyUsage=critical,keyCertSign,cRLSign"});
    OpenSsl(args, d);
  };
  auto make_leaf = [&](const std::string& name, const std::string& extensions) {
    std::vector<std::string> args = {"req"};
    args.insert(args.end(), ec.begin(), ec.end());
    args.insert(args.end(), {"-keyout", d + "/" + name + ".key", "-out", d + "/" + name + ".csr",
                             "-subj", "/CN=vexbench test " + name});
    OpenSsl(args, d);
    WriteFile(d + "/" + name + ".ext", extensions);
    OpenSsl({"x509", "-req", "-in", d + "/" + name + ".csr", "-CA", d + "/ca.crt", "-CAkey",
             d + "/ca.key", "-set_serial", std::to_string(name.size() + 1000), "-days", "2",
             "-extfile", d + "/" + name + ".ext", "-out", d + "/" + name + ".crt"},
            d);
  };
  make_ca("ca");
  make_ca("other-ca");
  make_leaf("server",
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
            "keyUsage=critical,digitalSignature\n");
  make_leaf("client", "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n");
  return {d + "/ca.crt",     d + "/server.crt", d + "/server.key",
          d + "/client.crt", d + "/client.key", d + "/other-ca.crt"};
}

std::string PortOf(const std::string& address) { return address.substr(address.rfind(':') + 1); }

TEST_CASE("TLS: agents and the CLI that trust the CA work end to end, others are refused",
          "[distributed][tls]") {
  const Certificates certs = MakeCertificates();
  NginxServer nginx;
  ControllerProcess controller(ControllerProcessOptions{
      .flags = {"--tls-cert", certs.server_cert, "--tls-key", certs.server_key}});
  ControllerClient cli(controller.address(), {"--tls-ca", certs.ca});
  // One agent by IP, one by name: the certificate names both.
  AgentProcess a1(controller.address(), "a1", {"--tls-ca", certs.ca});
  AgentProcess a2("localhost:" + PortOf(controller.address()), "a2", {"--tls-ca", certs.ca});
  INFO("controller log:\n" << controller.Log());
  REQUIRE(cli.WaitForAgents({"a1", "a2"}, "idle", seconds(10)));

  const int64_t before = nginx.RequestsServed();
  const RunResult r =
      cli.Submit(TwoAgentJob("tls", nginx.Url(),
                             "  - {name: p, op: request, concurrency: 2, requests: 500}\n"),
                 {"--wait"});
  INFO(Describe(r));
  CHECK(r.exit_code == 0);
  CHECK(nginx.RequestsServed() - before - 1 == 500);

  // A plaintext client, and a client trusting another CA, cannot talk to it.
  const RunResult plain = ControllerClient(controller.address()).Run({"agents"}, seconds(40));
  INFO(Describe(plain));
  CHECK(plain.exit_code == 2);
  const RunResult wrong_ca = ControllerClient(controller.address(), {"--tls-ca", certs.other_ca})
                                 .Run({"agents"}, seconds(40));
  INFO(Describe(wrong_ca));
  CHECK(wrong_ca.exit_code == 2);
}

TEST_CASE("mutual TLS: only clients and agents with a certificate from the CA get in",
          "[distributed][tls]") {
  const Certificates certs = MakeCertificates();
  NginxServer nginx;
  ControllerProcess controller(
      ControllerProcessOptions{.flags = {"--tls-cert", certs.server_cert, "--tls-key",
                                         certs.server_key, "--tls-ca", certs.ca}});
  const std::vector<std::string> client_tls = {"--tls-ca",        certs.ca,    "--tls-cert",
                                               certs.client_cert, "--tls-key", certs.client_key};
  ControllerClient cli(controller.address(), client_tls);
  AgentProcess a1(controller.address(), "a1", client_tls);
  AgentProcess a2(controller.address(), "a2", client_tls);
  AgentProcess no_cert(controller.address(), "no-cert", {"--tls-ca", certs.ca});
  INFO("controller log:\n" << controller.Log());
  REQUIRE(cli.WaitForAgents({"a1", "a2"}, "idle", seconds(10)));

  const ControllerClient without_cert(controller.address(), {"--tls-ca", certs.ca});
  const RunResult refused = without_cert.Run({"agents"}, seconds(40));
  INFO(Describe(refused));
  CHECK(refused.exit_code == 2);
  const RunResult refused_submit = without_cert.Submit(
      TwoAgentJob("mtls", nginx.Url(),
                  "  - {name: p, op: request, concurrency: 2, requests: 100}\n"),
      {"--wait"}, seconds(40));
  INFO(Describe(refused_submit));
  CHECK(refused_submit.exit_code == 2);

  const RunResult r =
      cli.Submit(TwoAgentJob("mtls", nginx.Url(),
                             "  - {name: p, op: request, concurrency: 2, requests: 100}\n"),
                 {"--wait"});
  INFO(Describe(r));
  CHECK(r.exit_code == 0);
  // Only the submit with a certificate made a job; the agent without one never joined.
  CHECK(cli.Jobs().size() == 1);
  const auto agents = cli.Agents();
  CHECK(agents.count("no-cert") == 0);
  CHECK(agents.size() == 2);
}

// --- Tokens and listening ----------------------------------------------------------------------

TEST_CASE("tokens: the CLI needs --token and agents need --join-token", "[distributed][auth]") {
  NginxServer nginx;
  ControllerProcess controller(
      ControllerProcessOptions{.flags = {"--token", "cli-secret", "--join-token", "join-secret"}});
  ControllerClient cli(controller.address(), {"--token", "cli-secret"});
  AgentProcess a1(controller.address(), "a1", {"--join-token", "join-secret"});
  AgentProcess a2(controller.address(), "a2", {"--join-token", "join-secret"});
  AgentProcess intruder(controller.address(), "intruder", {"--join-token", "guess"});
  AgentProcess anonymous(controller.address(), "anonymous");
  INFO("controller log:\n" << controller.Log());
  REQUIRE(cli.WaitForAgents({"a1", "a2"}, "idle", seconds(10)));
  const std::string spec = TwoAgentJob(
      "tokens", nginx.Url(), "  - {name: p, op: request, concurrency: 2, requests: 100}\n");

  for (const std::vector<std::string>& flags :
       {std::vector<std::string>{}, std::vector<std::string>{"--token", "guess"}}) {
    const RunResult r = ControllerClient(controller.address(), flags).Submit(spec, {"--wait"});
    INFO(Describe(r));
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("token") != std::string::npos);
    const RunResult list = ControllerClient(controller.address(), flags).Run({"agents"});
    CHECK(list.exit_code == 2);
  }
  CHECK(cli.Jobs().empty());

  const RunResult r = cli.Submit(spec, {"--wait"});
  INFO(Describe(r));
  CHECK(r.exit_code == 0);

  // By now (seconds after they started) the agents without the join token have tried many
  // times: they are not listed, keep retrying, and say why they are refused.
  const auto agents = cli.Agents();
  CHECK(agents.size() == 2);
  CHECK(agents.count("intruder") == 0);
  CHECK(agents.count("anonymous") == 0);
  CHECK(intruder.ExitCode() == -1);
  INFO("intruder log:\n" << intruder.Log());
  CHECK(intruder.Log().find("join token") != std::string::npos);
}

TEST_CASE("a non-loopback --listen without TLS is refused unless --insecure",
          "[distributed][auth]") {
  const std::string dir = MakeTempDir("listen");
  const RunResult refused =
      RunVexbench({"controller", "--listen", "0.0.0.0:0", "--data", dir + "/data"},
                  dir + "/refused", seconds(5));
  INFO(Describe(refused));
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("--insecure") != std::string::npos);
  CHECK(refused.out.find("listening") == std::string::npos);

  // --insecure on loopback changes nothing: it serves as usual.
  ControllerProcess controller(ControllerProcessOptions{.flags = {"--insecure"}});
  const RunResult agents = ControllerClient(controller.address()).Run({"agents"});
  INFO(Describe(agents));
  CHECK(agents.exit_code == 0);
}

// --- Several hosts -----------------------------------------------------------------------------

TEST_CASE("several hosts: controller, agents and nginx each in their own network namespace",
          "[distributed][netns]") {
  std::string why;
  // Declared first: destroyed last, after every process inside it was killed.
  std::unique_ptr<NetworkTestbed> bed = NetworkTestbed::Create({"ctl", "ag1", "ag2", "web"}, why);
  if (bed == nullptr) {
    WARN("skipped: cannot make network namespaces here: " << why);
    return;
  }
  NginxServer nginx(NginxOptions{.netns = bed->Namespace("web"), .address = bed->Address("web")});
  // Plaintext on a non-loopback address needs --insecure; the network is the test's own.
  ControllerProcess controller(ControllerProcessOptions{.listen = bed->Address("ctl") + ":0",
                                                        .flags = {"--insecure"},
                                                        .launcher = bed->Launcher("ctl")});
  ControllerClient cli(controller.address(), {}, bed->Launcher("ctl"));
  AgentProcess ag1(controller.address(), "ag1", {}, bed->Launcher("ag1"));
  AgentProcess ag2(controller.address(), "ag2", {}, bed->Launcher("ag2"));
  INFO("controller log:\n" << controller.Log() << "\nag1 log:\n" << ag1.Log());
  REQUIRE(cli.WaitForAgents({"ag1", "ag2"}, "idle", seconds(15)));

  const int64_t before = nginx.RequestsServed();
  const RunResult r =
      cli.Submit(TwoAgentJob("hosts", nginx.Url(),
                             "  - {name: p, op: request, concurrency: 8, duration: 3s}\n"),
                 {"--wait"});
  INFO(Describe(r));
  REQUIRE(r.exit_code == 0);
  const int64_t served = nginx.RequestsServed() - before - 1;
  const json report = cli.Show(ControllerClient::JobId(r.out));
  REQUIRE(report.is_object());
  INFO(report.dump(1));
  const json& p = ResultOf(report, "p");
  CHECK(p["errors"] == 0);
  CHECK(Requests(p) > 1000);
  CHECK(Requests(p) == served);
  CHECK(Requests(PerAgent(p, "ag1")) > 0);
  CHECK(Requests(PerAgent(p, "ag2")) > 0);
  CHECK(Requests(p) == Requests(PerAgent(p, "ag1")) + Requests(PerAgent(p, "ag2")));
  for (const std::string name : {"ag1", "ag2"}) {
    CHECK(AgentOf(report, name)["state"] == "done");
    CHECK(AgentOf(report, name)["clock_offset_us"].is_number_integer());
  }
}

}  // namespace
}  // namespace vexbench::testing
