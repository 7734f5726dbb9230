#include "controller/cli_schedule.h"

#include <chrono>
#include <iostream>
#include <memory>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/job_spec.h"
#include "controller/compare.h"
#include "controller/cron.h"
#include "controller/job_execution.h"
#include "controller/job_validation.h"
#include "controller/scheduler.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "nlohmann/json.hpp"
#include "proto/vexbench.grpc.pb.h"

namespace vexbench {
namespace {

struct Connection {
  std::unique_ptr<v1::ScheduleService::Stub> stub;
  std::string controller;
  std::string token;

  std::unique_ptr<grpc::ClientContext> Context() const {
    auto context = std::make_unique<grpc::ClientContext>();
    if (!token.empty()) context->AddMetadata(kAuthorizationHeader, "Bearer " + token);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return context;
  }

  int Fail(const std::string& what, const grpc::Status& status) const {
    std::cerr << "vexbench schedule " << what << ": " << status.error_message();
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
        status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      std::cerr << " (cannot reach the controller at " << controller
                << "; start one with `vexbench controller`, or pass --controller or set "
                   "VEXBENCH_CONTROLLER)";
    }
    std::cerr << "\n";
    return kExitFailed;
  }
};

std::unique_ptr<Connection> Connect(const ClientOptions& options) {
  auto credentials = MakeChannelCredentials(options.tls);
  if (!credentials.ok()) {
    std::cerr << "vexbench schedule: " << credentials.status().message() << "\n";
    return nullptr;
  }
  auto c = std::make_unique<Connection>();
  c->stub = v1::ScheduleService::NewStub(grpc::CreateChannel(options.controller, *credentials));
  c->controller = options.controller;
  c->token = options.token;
  return c;
}

std::string ToJsonText(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  options.add_whitespace = true;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

// An instant in the schedule's zone, e.g. "2026-11-25 02:00 CET"; "-" for 0.
std::string When(int64_t unix_us, const std::string& zone_name) {
  if (unix_us == 0) return "-";
  absl::TimeZone zone = absl::UTCTimeZone();
  if (auto z = LoadZone(zone_name); z.ok()) zone = *z;
  return absl::FormatTime("%Y-%m-%d %H:%M %Z", absl::FromUnixMicros(unix_us), zone);
}

std::string Verdict(const v1::ScheduleRun& run) {
  if (run.seq() == 0) return "-";
  if (run.regression()) return "REGRESSION";
  if (!run.baseline_job_id().empty()) return "ok";
  return "-";
}

void PrintSummary(const v1::ScheduleSummary& s) {
  std::cout << "schedule " << s.name() << ": " << (s.paused() ? "paused" : "active") << "\n"
            << "cron: " << s.cron() << " (" << s.time_zone() << ")\n"
            << "job: " << s.job_name() << ", agents " << (s.agents() > 0 ? std::to_string(s.agents()) : "as in the spec")
            << "\noverlap: " << s.overlap() << "\nmax regression: " << s.max_regression()
            << "\nnext fire: " << When(s.next_fire_unix_us(), s.time_zone()) << "\n";
}

void PrintRuns(const v1::ScheduleSummary& s, const std::vector<v1::ScheduleRun>& runs) {
  std::cout << absl::StrFormat("%-22s %-10s %-13s %4s %-10s %-10s %s\n", "FIRE", "JOB", "STATE",
                               "EXIT", "VERDICT", "BASELINE", "NOTE");
  for (const v1::ScheduleRun& r : runs) {
    std::cout << absl::StrFormat("%-22s %-10s %-13s %4s %-10s %-10s %s\n",
                                 When(r.fire_unix_us(), s.time_zone()),
                                 r.job_id().empty() ? "-" : r.job_id(), r.state(),
                                 r.exit_code() >= 0 ? std::to_string(r.exit_code()) : "-",
                                 Verdict(r), r.baseline_job_id().empty() ? "-" : r.baseline_job_id(),
                                 r.note());
  }
  // The rows that made the newest regression.
  for (const v1::ScheduleRun& r : runs) {
    if (!r.regression()) continue;
    const nlohmann::json c = nlohmann::json::parse(r.comparison_json(), nullptr, false);
    if (!c.is_object() || !c.contains("rows") || !c["rows"].is_array()) break;
    std::cout << "\nregression of " << r.job_id() << " against " << r.baseline_job_id() << ":\n";
    const auto num = [](const nlohmann::json& v) {
      return v.is_number() ? absl::StrFormat("%.6g", v.get<double>()) : std::string("-");
    };
    for (const auto& row : c["rows"]) {
      if (!row.is_object() || !row.value("regression", false)) continue;
      std::cout << absl::StrFormat("  %s %s %s %s: %s -> %s (change %s%%, limit %s%%)%s\n",
                                   row.value("target", ""), row.value("phase", ""),
                                   row.value("op", ""), row.value("metric", ""),
                                   num(row.value("base", nlohmann::json())),
                                   num(row.value("current", nlohmann::json())),
                                   num(row.value("change_percent", nlohmann::json())),
                                   num(row.value("limit_percent", nlohmann::json())),
                                   row.contains("note") ? " " + row.value("note", "") : "");
    }
    break;
  }
}

bool ParseSelector(const std::vector<std::string>& items, std::map<std::string, std::string>& out) {
  for (const std::string& item : items) {
    for (const absl::string_view pair : absl::StrSplit(item, ',')) {
      const size_t eq = pair.find('=');
      if (eq == absl::string_view::npos || eq == 0) {
        std::cerr << "vexbench schedule add: --selector \"" << std::string(pair)
                  << "\": expected key=value\n";
        return false;
      }
      out[std::string(pair.substr(0, eq))] = std::string(pair.substr(eq + 1));
    }
  }
  return true;
}

int Add(const ClientOptions& client, const ScheduleAddOptions& o) {
  // Checked here first so that a bad cron, zone or spec fails before reaching the controller.
  if (auto cron = CronExpression::Parse(o.cron); !cron.ok()) {
    std::cerr << "vexbench schedule add: --cron: " << cron.status().message() << "\n";
    return kExitFailed;
  }
  if (auto zone = LoadZone(o.time_zone); !zone.ok()) {
    std::cerr << "vexbench schedule add: " << zone.status().message() << "\n";
    return kExitFailed;
  }
  if (auto limits = ParseRegressionLimits(o.max_regression); !limits.ok()) {
    std::cerr << "vexbench schedule add: " << limits.status().message() << "\n";
    return kExitFailed;
  }
  auto spec = LoadJobSpec(o.job_file, o.overrides);
  if (!spec.ok()) {
    std::cerr << "vexbench schedule add: " << spec.status().message() << "\n";
    return kExitFailed;
  }
  if (auto t = ValidateJob(*spec); !t.ok()) {
    std::cerr << "vexbench schedule add: " << o.job_file << ": " << t.status().message() << "\n";
    return kExitFailed;
  }
  v1::AddScheduleRequest request;
  std::map<std::string, std::string> selector;
  if (!ParseSelector(o.selector, selector)) return kExitFailed;
  request.set_name(o.name);
  request.set_cron(o.cron);
  request.set_time_zone(o.time_zone);
  request.set_spec_json(spec->document.dump());
  request.set_agents(o.agents);
  for (const auto& [k, v] : selector) (*request.mutable_selector())[k] = v;
  request.set_overlap(o.overlap);
  request.set_max_regression(o.max_regression);
  auto c = Connect(client);
  if (c == nullptr) return kExitFailed;
  v1::ScheduleSummary response;
  auto context = c->Context();
  if (grpc::Status s = c->stub->AddSchedule(context.get(), request, &response); !s.ok()) {
    return c->Fail("add", s);
  }
  std::cout << "schedule " << response.name() << " added; next fire "
            << When(response.next_fire_unix_us(), response.time_zone()) << "\n";
  return kExitOk;
}

int List(const ClientOptions& client, bool json) {
  auto c = Connect(client);
  if (c == nullptr) return kExitFailed;
  v1::ListSchedulesResponse response;
  auto context = c->Context();
  if (grpc::Status s = c->stub->ListSchedules(context.get(), {}, &response); !s.ok()) {
    return c->Fail("list", s);
  }
  if (json) {
    std::cout << ToJsonText(response);
    return kExitOk;
  }
  std::cout << absl::StrFormat("%-20s %-16s %-16s %-7s %-22s %-10s %-13s %s\n", "NAME", "CRON",
                               "TZ", "STATE", "NEXT", "LAST JOB", "LAST STATE", "VERDICT");
  for (const v1::ScheduleSummary& s : response.schedules()) {
    std::cout << absl::StrFormat(
        "%-20s %-16s %-16s %-7s %-22s %-10s %-13s %s\n", s.name(), s.cron(), s.time_zone(),
        s.paused() ? "paused" : "active", When(s.next_fire_unix_us(), s.time_zone()),
        s.last_run().job_id().empty() ? "-" : s.last_run().job_id(),
        s.last_run().state().empty() ? "-" : s.last_run().state(), Verdict(s.last_run()));
  }
  return kExitOk;
}

int Show(const ClientOptions& client, const std::string& name, int history, bool json) {
  auto c = Connect(client);
  if (c == nullptr) return kExitFailed;
  v1::GetScheduleRequest request;
  request.set_name(name);
  request.set_history_limit(history);
  v1::GetScheduleResponse response;
  auto context = c->Context();
  if (grpc::Status s = c->stub->GetSchedule(context.get(), request, &response); !s.ok()) {
    return c->Fail("show", s);
  }
  if (json) {
    std::cout << ToJsonText(response);
    return kExitOk;
  }
  PrintSummary(response.schedule());
  std::cout << "\n";
  PrintRuns(response.schedule(), {response.runs().begin(), response.runs().end()});
  return kExitOk;
}

int Change(const ClientOptions& client, const std::string& what, const std::string& name) {
  auto c = Connect(client);
  if (c == nullptr) return kExitFailed;
  v1::ScheduleNameRequest request;
  request.set_name(name);
  auto context = c->Context();
  grpc::Status s;
  v1::ScheduleSummary summary;
  if (what == "pause") {
    s = c->stub->PauseSchedule(context.get(), request, &summary);
  } else if (what == "resume") {
    s = c->stub->ResumeSchedule(context.get(), request, &summary);
  } else {
    v1::RemoveScheduleResponse removed;
    s = c->stub->RemoveSchedule(context.get(), request, &removed);
  }
  if (!s.ok()) return c->Fail(what, s);
  if (what == "pause") std::cout << "schedule " << name << " paused\n";
  if (what == "resume") {
    std::cout << "schedule " << name << " resumed; next fire "
              << When(summary.next_fire_unix_us(), summary.time_zone()) << "\n";
  }
  if (what == "rm") std::cout << "schedule " << name << " removed (with its history)\n";
  return kExitOk;
}

}  // namespace

ScheduleCommands::ScheduleCommands(CLI::App& app,
                                   const std::function<void(CLI::App*)>& add_client_flags) {
  schedule_ = app.add_subcommand("schedule", "Cron-timed jobs kept by the controller");
  schedule_->require_subcommand(1);

  ScheduleAddOptions& o = add_options_;
  add_ = schedule_->add_subcommand("add", "Add a schedule: run JOB at each --cron time");
  add_->add_option("name", o.name, "Schedule name (letters, digits, '-', '_', '.')")->required();
  add_->add_option("job", o.job_file, "Job spec, YAML or JSON (stored with the schedule)")
      ->required();
  add_->add_option("--cron", o.cron,
                   "Five fields: minute hour day-of-month month day-of-week, e.g. \"0 2 * * *\"")
      ->required();
  add_->add_option("--tz", o.time_zone, "IANA time zone of the cron times, e.g. Europe/Paris")
      ->capture_default_str();
  add_->add_option("--overlap", o.overlap,
                   "When the previous run still goes: skip (record it skipped) or queue")
      ->check(CLI::IsMember({"skip", "queue"}))
      ->capture_default_str();
  add_->add_option("--max-regression", o.max_regression,
                   "Limits against the previous successful run, METRIC=PERCENT,... (metrics: "
                   "p50 p90 p95 p99 p999 mean max throughput items_per_s recall errors)")
      ->capture_default_str();
  add_->add_option("--set", o.overrides, "Override a spec field (repeatable)");
  add_->add_option("--agents", o.agents, "Number of agents (default: the spec's)")
      ->check(CLI::PositiveNumber);
  add_->add_option("--selector", o.selector, "Only agents with label k=v (repeatable)");
  add_client_flags(add_);

  list_ = schedule_->add_subcommand("list", "List schedules with their next fire and last run");
  list_->add_flag("--json", json_, "Print JSON");
  add_client_flags(list_);

  show_ = schedule_->add_subcommand("show", "Show a schedule and its run history");
  show_->add_option("name", name_, "Schedule name")->required();
  show_->add_option("--history", history_, "At most this many runs, newest first")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  show_->add_flag("--json", json_, "Print JSON");
  add_client_flags(show_);

  pause_ = schedule_->add_subcommand("pause", "Stop firing a schedule (history kept)");
  pause_->add_option("name", name_, "Schedule name")->required();
  add_client_flags(pause_);
  resume_ = schedule_->add_subcommand(
      "resume", "Fire a paused schedule again, from its next cron time (missed times not run)");
  resume_->add_option("name", name_, "Schedule name")->required();
  add_client_flags(resume_);
  rm_ = schedule_->add_subcommand("rm", "Remove a schedule and its history (jobs are kept)");
  rm_->add_option("name", name_, "Schedule name")->required();
  add_client_flags(rm_);
  // Not the job verdicts of the parent's footer: these commands only succeed or fail.
  for (CLI::App* cmd : {schedule_, add_, list_, show_, pause_, resume_, rm_}) {
    cmd->footer("Exit codes: 0 done, 2 an error (the message names what was wrong). "
                "See docs/schedules.md.");
  }
}

bool ScheduleCommands::parsed() const { return schedule_->parsed(); }

int ScheduleCommands::Run(const ClientOptions& client) const {
  if (add_->parsed()) return Add(client, add_options_);
  if (list_->parsed()) return List(client, json_);
  if (show_->parsed()) return Show(client, name_, history_, json_);
  if (pause_->parsed()) return Change(client, "pause", name_);
  if (resume_->parsed()) return Change(client, "resume", name_);
  if (rm_->parsed()) return Change(client, "rm", name_);
  return kExitFailed;
}

}  // namespace vexbench
