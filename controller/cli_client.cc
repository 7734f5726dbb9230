#include "controller/cli_client.h"

#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/strings/str_format.h"
#include "common/clock.h"
#include "common/job_spec.h"
#include "controller/console.h"
#include "controller/job_execution.h"
#include "controller/job_validation.h"
#include "grpcpp/create_channel.h"
#include "proto/vexbench.grpc.pb.h"

namespace vexbench {
namespace {

// A stub and a context factory that carries the bearer token.
class Client {
 public:
  static std::unique_ptr<Client> Connect(const ClientOptions& options) {
    auto credentials = MakeChannelCredentials(options.tls);
    if (!credentials.ok()) {
      std::cerr << "vexbench: " << credentials.status().message() << "\n";
      return nullptr;
    }
    auto client = std::unique_ptr<Client>(new Client(options));
    client->stub_ = v1::ControlService::NewStub(grpc::CreateChannel(options.controller, *credentials));
    return client;
  }

  std::unique_ptr<grpc::ClientContext> Context(int timeout_s = 30) const {
    auto context = std::make_unique<grpc::ClientContext>();
    if (!options_.token.empty()) context->AddMetadata(kAuthorizationHeader, "Bearer " + options_.token);
    if (timeout_s > 0) {
      context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(timeout_s));
    }
    return context;
  }

  // Prints a failed call's message with a hint; returns exit code 2.
  int Fail(const std::string& what, const grpc::Status& status) const {
    std::cerr << "vexbench " << what << ": " << status.error_message();
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
        status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      std::cerr << " (cannot reach the controller at " << options_.controller
                << "; start one with `vexbench controller`, or pass --controller or set "
                   "VEXBENCH_CONTROLLER)";
    }
    std::cerr << "\n";
    return kExitFailed;
  }

  v1::ControlService::Stub& stub() { return *stub_; }

 private:
  explicit Client(const ClientOptions& options) : options_(options) {}
  ClientOptions options_;
  std::unique_ptr<v1::ControlService::Stub> stub_;
};

std::string Age(int64_t unix_us) {
  if (unix_us == 0) return "-";
  const int64_t s = (UnixMicrosNow() - unix_us) / 1'000'000;
  if (s < 120) return absl::StrFormat("%ds ago", s);
  if (s < 7200) return absl::StrFormat("%dm ago", s / 60);
  return absl::StrFormat("%dh ago", s / 3600);
}

std::string JobDuration(const v1::JobSummary& job) {
  if (job.started_unix_us() == 0) return "-";
  const int64_t end = job.ended_unix_us() != 0 ? job.ended_unix_us() : UnixMicrosNow();
  return absl::StrFormat("%.1fs", static_cast<double>(end - job.started_unix_us()) / 1e6);
}

int WaitForJob(Client& client, const std::string& job_id, bool quiet) {
  auto context = client.Context(0);
  v1::WatchJobRequest request;
  request.set_job_id(job_id);
  auto reader = client.stub().WatchJob(context.get(), request);
  v1::JobProgress p;
  v1::JobProgress last;
  while (reader->Read(&p)) {
    last = p;
    if (!quiet && p.job().state() == "running" && p.interval_s() > 0) {
      std::cerr << absl::StrFormat("[%4.0fs] %-12s %9.0f req/s  p99 %7.2fms  errors %d  agents %d\n",
                                   p.elapsed_s(), p.phase(),
                                   static_cast<double>(p.requests()) / p.interval_s(), p.p99_ms(),
                                   p.errors(), p.agents_running());
    } else if (!quiet && p.job().state() == "queued") {
      std::cerr << "queued: waiting for " << p.job().agents() << " free matching agent(s)\n";
    }
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return client.Fail("submit --wait", status);
  if (!last.final()) {
    std::cerr << "vexbench submit --wait: the watch ended before the job did\n";
    return kExitFailed;
  }
  auto show = client.Context();
  v1::GetJobRequest get;
  get.set_job_id(job_id);
  v1::GetJobResponse job;
  if (grpc::Status s = client.stub().GetJob(show.get(), get, &job); !s.ok()) {
    return client.Fail("submit --wait", s);
  }
  if (!job.report_json().empty()) {
    std::cerr << FormatResultTable(nlohmann::json::parse(job.report_json()));
  }
  if (!job.job().error().empty()) std::cerr << "error: " << job.job().error() << "\n";
  return job.job().exit_code() >= 0 ? job.job().exit_code() : kExitFailed;
}

}  // namespace

int SubmitCommand(const ClientOptions& client_options, const SubmitOptions& options) {
  // Parsed and validated here first: a bad spec fails before anything reaches the controller.
  auto spec = LoadJobSpec(options.job_file, options.overrides);
  if (!spec.ok()) {
    std::cerr << "vexbench submit: " << spec.status().message() << "\n";
    return kExitFailed;
  }
  if (auto t = ValidateJob(*spec); !t.ok()) {
    std::cerr << "vexbench submit: " << options.job_file << ": " << t.status().message() << "\n";
    return kExitFailed;
  }
  auto client = Client::Connect(client_options);
  if (client == nullptr) return kExitFailed;
  v1::SubmitJobRequest request;
  request.set_spec_json(spec->document.dump());
  request.set_agents(options.agents);
  for (const auto& [k, v] : options.selector) (*request.mutable_selector())[k] = v;
  v1::SubmitJobResponse response;
  auto context = client->Context();
  if (grpc::Status s = client->stub().SubmitJob(context.get(), request, &response); !s.ok()) {
    return client->Fail("submit", s);
  }
  std::cout << response.job_id() << std::endl;  // alone on the last line, for scripts
  if (!options.wait) return kExitOk;
  return WaitForJob(*client, response.job_id(), options.quiet);
}

int JobsCommand(const ClientOptions& client_options, int limit) {
  auto client = Client::Connect(client_options);
  if (client == nullptr) return kExitFailed;
  v1::ListJobsRequest request;
  request.set_limit(limit);
  v1::ListJobsResponse response;
  auto context = client->Context();
  if (grpc::Status s = client->stub().ListJobs(context.get(), request, &response); !s.ok()) {
    return client->Fail("jobs", s);
  }
  std::cout << absl::StrFormat("%-10s %-24s %-12s %4s %6s %10s %s\n", "ID", "NAME", "STATE", "EXIT",
                               "AGENTS", "DURATION", "CREATED");
  for (const v1::JobSummary& j : response.jobs()) {
    std::cout << absl::StrFormat("%-10s %-24s %-12s %4s %6d %10s %s\n", j.id(), j.name(), j.state(),
                                 j.exit_code() >= 0 ? std::to_string(j.exit_code()) : "-",
                                 j.agents(), JobDuration(j), Age(j.created_unix_us()));
  }
  return kExitOk;
}

int ShowCommand(const ClientOptions& client_options, const std::string& job_id, bool json) {
  auto client = Client::Connect(client_options);
  if (client == nullptr) return kExitFailed;
  v1::GetJobRequest request;
  request.set_job_id(job_id);
  v1::GetJobResponse response;
  auto context = client->Context();
  if (grpc::Status s = client->stub().GetJob(context.get(), request, &response); !s.ok()) {
    return client->Fail("show", s);
  }
  const v1::JobSummary& j = response.job();
  if (json) {
    nlohmann::json report = response.report_json().empty()
                                ? nlohmann::json{{"schema", "vexbench.report/v1"},
                                                 {"job", {{"id", j.id()}, {"name", j.name()}}},
                                                 {"agents", nlohmann::json::array()},
                                                 {"results", nlohmann::json::array()}}
                                : nlohmann::json::parse(response.report_json());
    report["job"]["state"] = j.state();
    std::cout << report.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << absl::StrFormat("job %s (%s): %s", j.id(), j.name(), j.state());
  if (j.exit_code() >= 0) std::cout << ", exit code " << j.exit_code();
  std::cout << "\nagents: " << j.agents();
  for (const std::string& name : j.agent_names()) std::cout << " " << name;
  std::cout << "\nduration: " << JobDuration(j) << "\n";
  if (!j.error().empty()) std::cout << "error: " << j.error() << "\n";
  if (!response.report_json().empty()) {
    std::cout << FormatResultTable(nlohmann::json::parse(response.report_json()));
  }
  return kExitOk;
}

int CancelCommand(const ClientOptions& client_options, const std::string& job_id) {
  auto client = Client::Connect(client_options);
  if (client == nullptr) return kExitFailed;
  v1::CancelJobRequest request;
  request.set_job_id(job_id);
  v1::CancelJobResponse response;
  auto context = client->Context();
  if (grpc::Status s = client->stub().CancelJob(context.get(), request, &response); !s.ok()) {
    return client->Fail("cancel", s);
  }
  std::cout << job_id << ": " << response.job().state()
            << (response.job().state() == "running" ? " (cancel sent to its agents)" : "") << "\n";
  return kExitOk;
}

int AgentsCommand(const ClientOptions& client_options) {
  auto client = Client::Connect(client_options);
  if (client == nullptr) return kExitFailed;
  v1::ListAgentsResponse response;
  auto context = client->Context();
  if (grpc::Status s = client->stub().ListAgents(context.get(), {}, &response); !s.ok()) {
    return client->Fail("agents", s);
  }
  std::cout << absl::StrFormat("%-16s %-16s %-20s %-6s %-10s %-10s %10s\n", "NAME", "HOST", "LABELS",
                               "STATE", "LAST SEEN", "JOB", "OFFSET");
  for (const v1::AgentSummary& a : response.agents()) {
    std::string labels;
    for (const auto& [k, v] : a.labels()) labels += (labels.empty() ? "" : ",") + k + "=" + v;
    std::cout << absl::StrFormat("%-16s %-16s %-20s %-6s %-10s %-10s %8.2fms\n", a.name(), a.host(),
                                 labels.empty() ? "-" : labels, a.state(),
                                 Age(a.last_seen_unix_us()),
                                 a.current_job().empty() ? "-" : a.current_job(),
                                 static_cast<double>(a.clock_offset_us()) / 1000.0);
  }
  return kExitOk;
}

int ReportCommand(const ClientOptions& client_options, const std::string& job_id,
                  const std::string& out_dir) {
  auto client = Client::Connect(client_options);
  if (client == nullptr) return kExitFailed;
  v1::GetReportRequest request;
  request.set_job_id(job_id);
  v1::GetReportResponse response;
  auto context = client->Context(120);
  if (grpc::Status s = client->stub().GetReport(context.get(), request, &response); !s.ok()) {
    return client->Fail("report", s);
  }
  const std::string dir = out_dir.empty() ? "vexbench-out/" + job_id : out_dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::cerr << "vexbench report: --out " << dir << ": " << ec.message() << "\n";
    return kExitFailed;
  }
  for (const v1::ReportFile& f : response.files()) {
    const std::string path = dir + "/" + std::filesystem::path(f.name()).filename().string();
    std::ofstream out(path, std::ios::binary);
    out << f.content();
    if (!out) {
      std::cerr << "vexbench report: cannot write " << path << "\n";
      return kExitFailed;
    }
    std::cout << path << "\n";
  }
  return kExitOk;
}

}  // namespace vexbench
