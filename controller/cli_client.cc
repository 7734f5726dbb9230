#include "controller/cli_client.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "common/clock.h"
#include "common/job_spec.h"
#include "controller/compare.h"
#include "controller/console.h"
#include "controller/job_execution.h"
#include "controller/job_validation.h"
#include "controller/report_formats.h"
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

namespace {

// A report.json given on the command line: a file when one exists at that path (or the
// argument looks like a path); a job id otherwise.
bool IsReportFile(const std::string& source) {
  std::error_code ec;
  return std::filesystem::is_regular_file(source, ec) ||
         source.find('/') != std::string::npos || absl::EndsWith(source, ".json");
}

absl::StatusOr<nlohmann::json> ReadReportFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(path + ": cannot read the file (no such file?)");
  std::ostringstream text;
  text << in.rdbuf();
  nlohmann::json report = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (report.is_discarded()) {
    return absl::InvalidArgumentError(path + ": not JSON; expected a report.json");
  }
  if (!report.is_object() || !report.contains("results") || !report["results"].is_array()) {
    return absl::InvalidArgumentError(path +
                                      ": not a vexbench report (no \"results\" array); expected "
                                      "a report.json");
  }
  return report;
}

// The controller connection, opened on first use (file-only commands never dial).
class LazyClient {
 public:
  explicit LazyClient(const ClientOptions& options) : options_(options) {}
  Client* get() {
    if (client_ == nullptr) client_ = Client::Connect(options_);
    return client_.get();
  }

 private:
  const ClientOptions& options_;
  std::unique_ptr<Client> client_;
};

// A failed call as a status, with the hint Client::Fail prints.
absl::Status CallError(const std::string& what, const grpc::Status& s,
                       const std::string& controller) {
  std::string message = what + ": " + s.error_message();
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE ||
      s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    message += " (cannot reach the controller at " + controller +
               "; start one with `vexbench controller`, or pass --controller or set "
               "VEXBENCH_CONTROLLER)";
  }
  return absl::UnavailableError(message);
}

absl::StatusOr<v1::GetJobResponse> GetJobResponse(LazyClient& lazy, const std::string& job_id,
                                                  const std::string& controller) {
  Client* client = lazy.get();
  if (client == nullptr) return absl::UnavailableError("cannot connect to the controller");
  v1::GetJobRequest request;
  request.set_job_id(job_id);
  v1::GetJobResponse response;
  auto context = client->Context();
  if (grpc::Status s = client->stub().GetJob(context.get(), request, &response); !s.ok()) {
    return CallError("job " + job_id, s, controller);
  }
  return response;
}

// report.json of a job id (asked from the controller) or of a file.
absl::StatusOr<nlohmann::json> LoadReport(LazyClient& lazy, const std::string& source,
                                          const std::string& controller) {
  if (IsReportFile(source)) return ReadReportFile(source);
  absl::StatusOr<v1::GetJobResponse> job = GetJobResponse(lazy, source, controller);
  if (!job.ok()) return job.status();
  if (job->report_json().empty()) {
    return absl::FailedPreconditionError("job " + source + " (" + job->job().state() +
                                         ") has no report yet");
  }
  nlohmann::json report = nlohmann::json::parse(job->report_json(), nullptr, false);
  if (report.is_discarded()) return absl::DataLossError("job " + source + ": stored report is not JSON");
  return report;
}

// The newest succeeded job with the same name as `job_id`, created before it.
absl::StatusOr<std::string> LastSuccessful(LazyClient& lazy, const std::string& job_id,
                                           const std::string& controller) {
  absl::StatusOr<v1::GetJobResponse> job = GetJobResponse(lazy, job_id, controller);
  if (!job.ok()) return job.status();
  Client* client = lazy.get();
  v1::ListJobsRequest request;
  request.set_limit(0);  // all
  v1::ListJobsResponse response;
  auto context = client->Context();
  if (grpc::Status s = client->stub().ListJobs(context.get(), request, &response); !s.ok()) {
    return CallError("list jobs", s, controller);
  }
  const v1::JobSummary& current = job->job();
  const v1::JobSummary* best = nullptr;
  for (const v1::JobSummary& j : response.jobs()) {
    if (j.id() == current.id() || j.name() != current.name() || j.state() != "succeeded") continue;
    if (j.created_unix_us() > current.created_unix_us()) continue;
    if (best == nullptr || j.created_unix_us() > best->created_unix_us()) best = &j;
  }
  if (best == nullptr) {
    return absl::NotFoundError("--baseline last-successful: no succeeded job named '" +
                               current.name() + "' before " + job_id);
  }
  return best->id();
}

absl::Status WriteFiles(const std::string& dir,
                        const std::vector<std::pair<std::string, std::string>>& files) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InvalidArgumentError("--out " + dir + ": " + ec.message());
  for (const auto& [name, content] : files) {
    const std::string path = dir + "/" + std::filesystem::path(name).filename().string();
    std::ofstream out(path, std::ios::binary);
    out << content;
    if (!out) return absl::InternalError("cannot write " + path);
    std::cout << path << "\n";
  }
  return absl::OkStatus();
}

int ReportError(const absl::Status& status) {
  std::cerr << "vexbench report: " << status.message() << "\n";
  return kExitFailed;
}

}  // namespace

int ReportCommand(const ClientOptions& client_options, const ReportOptions& options) {
  const bool from_file = IsReportFile(options.source);
  std::optional<ReportFormat> format;
  if (!options.format.empty() || from_file) {
    absl::StatusOr<ReportFormat> parsed = ParseReportFormat(options.format.empty() ? "md" : options.format);
    if (!parsed.ok()) return ReportError(parsed.status());
    format = *parsed;
  }
  nlohmann::json report;
  std::vector<std::pair<std::string, std::string>> controller_files;
  std::string stem;
  if (from_file) {
    absl::StatusOr<nlohmann::json> loaded = ReadReportFile(options.source);
    if (!loaded.ok()) return ReportError(loaded.status());
    report = *std::move(loaded);
    stem = std::filesystem::path(options.source).parent_path().filename().string();
    if (report.contains("job") && report["job"].is_object() && report["job"].contains("id")) {
      stem = report["job"].value("id", stem);
    }
  } else {
    auto client = Client::Connect(client_options);
    if (client == nullptr) return kExitFailed;
    v1::GetReportRequest request;
    request.set_job_id(options.source);
    v1::GetReportResponse response;
    auto context = client->Context(120);
    if (grpc::Status s = client->stub().GetReport(context.get(), request, &response); !s.ok()) {
      return client->Fail("report", s);
    }
    for (const v1::ReportFile& f : response.files()) {
      controller_files.emplace_back(f.name(), f.content());
      if (f.name() == "report.json") {
        report = nlohmann::json::parse(f.content(), nullptr, false);
      }
    }
    stem = options.source;
  }
  std::vector<std::pair<std::string, std::string>> files;
  if (!format) {
    files = std::move(controller_files);  // report.json and every .hlog, as the controller keeps them
  } else if (*format == ReportFormat::kHlog && !from_file) {
    for (auto& f : controller_files) {
      if (absl::EndsWith(f.first, ".hlog")) files.push_back(std::move(f));
    }
  } else {
    if (report.is_discarded() || report.is_null()) {
      return ReportError(absl::DataLossError("job " + options.source + ": no report.json"));
    }
    absl::StatusOr<std::vector<std::pair<std::string, std::string>>> rendered =
        RenderReportFormat(report, *format, options.baseline);
    if (!rendered.ok()) return ReportError(rendered.status());
    files = *std::move(rendered);
  }
  if (format && *format != ReportFormat::kHlog && options.out_dir.empty() && files.size() == 1) {
    std::cout << files.front().second;
    return kExitOk;
  }
  const std::string dir = options.out_dir.empty() ? "vexbench-out/" + stem : options.out_dir;
  if (absl::Status s = WriteFiles(dir, files); !s.ok()) return ReportError(s);
  return kExitOk;
}

int CompareCommand(const ClientOptions& client_options, const CompareOptions& options) {
  auto fail = [](const std::string& message) {
    std::cerr << "vexbench compare: " << message << "\n";
    return kExitFailed;
  };
  RegressionLimits limits = DefaultRegressionLimits();
  if (!options.max_regression.empty()) {
    absl::StatusOr<RegressionLimits> parsed = ParseRegressionLimits(options.max_regression);
    if (!parsed.ok()) return fail(std::string(parsed.status().message()));
    limits = *std::move(parsed);
  }
  if (options.format != "md" && options.format != "json" && options.format != "junit") {
    return fail("--format " + options.format + ": unknown format; expected md, json or junit");
  }
  if (!options.baseline.empty() && options.baseline != "last-successful") {
    return fail("--baseline " + options.baseline + ": expected last-successful");
  }
  std::vector<std::string> sources = options.sources;
  LazyClient lazy(client_options);
  if (options.baseline == "last-successful") {
    if (sources.size() != 1 || IsReportFile(sources[0])) {
      return fail("--baseline last-successful: expected exactly one job id (not a file), got " +
                  std::to_string(sources.size()) + " argument(s)");
    }
    absl::StatusOr<std::string> baseline = LastSuccessful(lazy, sources[0], client_options.controller);
    if (!baseline.ok()) return fail(std::string(baseline.status().message()));
    std::cerr << "baseline: " << *baseline << " (the last succeeded job before " << sources[0]
              << " of the same name)\n";
    sources.insert(sources.begin(), *baseline);
  } else if (sources.size() != 2) {
    return fail("expected two reports A B (job ids or report.json files; A is the baseline), or "
                "one job id with --baseline last-successful; got " +
                std::to_string(sources.size()) + " argument(s)");
  }
  std::vector<nlohmann::json> reports;
  for (const std::string& source : sources) {
    absl::StatusOr<nlohmann::json> report = LoadReport(lazy, source, client_options.controller);
    if (!report.ok()) return fail(std::string(report.status().message()));
    reports.push_back(*std::move(report));
  }
  absl::StatusOr<Comparison> comparison = CompareReports(reports[0], reports[1], limits);
  if (!comparison.ok()) return fail(std::string(comparison.status().message()));
  if (IsReportFile(sources[0])) comparison->base_label = sources[0];
  if (IsReportFile(sources[1])) comparison->current_label = sources[1];
  if (options.format == "json") {
    std::cout << ComparisonToJson(*comparison).dump(2) << "\n";
  } else if (options.format == "junit") {
    std::cout << ComparisonToJunit(*comparison);
  } else {
    std::cout << ComparisonToMarkdown(*comparison);
  }
  return comparison->any_regression ? kExitThresholdFailed : kExitOk;
}

}  // namespace vexbench
