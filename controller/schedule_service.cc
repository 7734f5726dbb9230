#include "controller/schedule_service.h"

#include <utility>

#include "common/job_spec.h"
#include "controller/grpc_services.h"
#include "controller/job_validation.h"

namespace vexbench {

absl::StatusOr<std::string> ControllerJobLauncher::Submit(const StoredSchedule& schedule) {
  return controller_.Submit(schedule.spec_json, schedule.agents, schedule.selector);
}

absl::StatusOr<JobLauncher::JobStatus> ControllerJobLauncher::Status(const std::string& job_id) {
  // Progress first: it does not rebuild a running job's report.
  auto progress = controller_.Progress(job_id);
  if (!progress.ok()) return progress.status();
  JobStatus out;
  out.state = progress->job().state();
  out.exit_code = progress->job().exit_code();
  if (progress->final()) {
    auto job = controller_.GetJob(job_id);
    if (!job.ok()) return job.status();
    out.report_json = std::move(job->second);
  }
  return out;
}

grpc::Status ScheduleServiceImpl::Authorize(const grpc::ServerContext* context) const {
  return CheckBearerToken(context, token_);
}

grpc::Status ScheduleServiceImpl::AddSchedule(grpc::ServerContext* context,
                                              const v1::AddScheduleRequest* request,
                                              v1::ScheduleSummary* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  StoredSchedule schedule;
  schedule.name = request->name();
  schedule.cron = request->cron();
  schedule.time_zone = request->time_zone();
  schedule.spec_json = request->spec_json();
  schedule.agents = request->agents();
  schedule.selector.insert(request->selector().begin(), request->selector().end());
  schedule.overlap = request->overlap();
  schedule.max_regression = request->max_regression();
  // The same validation as a submitted job, so a schedule never fires a spec that cannot run.
  auto spec = ParseJobSpec(request->spec_json(), "job");
  if (!spec.ok()) return ToGrpc(spec.status());
  if (auto thresholds = ValidateJob(*spec); !thresholds.ok()) return ToGrpc(thresholds.status());
  auto summary = scheduler_.Add(std::move(schedule));
  if (!summary.ok()) return ToGrpc(summary.status());
  *response = *std::move(summary);
  return grpc::Status::OK;
}

grpc::Status ScheduleServiceImpl::ListSchedules(grpc::ServerContext* context,
                                                const v1::ListSchedulesRequest* /*request*/,
                                                v1::ListSchedulesResponse* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  auto all = scheduler_.List();
  if (!all.ok()) return ToGrpc(all.status());
  for (auto& s : *all) *response->add_schedules() = std::move(s);
  return grpc::Status::OK;
}

grpc::Status ScheduleServiceImpl::GetSchedule(grpc::ServerContext* context,
                                              const v1::GetScheduleRequest* request,
                                              v1::GetScheduleResponse* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  auto shown = scheduler_.Show(request->name(), request->history_limit());
  if (!shown.ok()) return ToGrpc(shown.status());
  *response->mutable_schedule() = std::move(shown->first);
  for (auto& run : shown->second) *response->add_runs() = std::move(run);
  return grpc::Status::OK;
}

grpc::Status ScheduleServiceImpl::PauseSchedule(grpc::ServerContext* context,
                                                const v1::ScheduleNameRequest* request,
                                                v1::ScheduleSummary* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  auto summary = scheduler_.Pause(request->name());
  if (!summary.ok()) return ToGrpc(summary.status());
  *response = *std::move(summary);
  return grpc::Status::OK;
}

grpc::Status ScheduleServiceImpl::ResumeSchedule(grpc::ServerContext* context,
                                                 const v1::ScheduleNameRequest* request,
                                                 v1::ScheduleSummary* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  auto summary = scheduler_.Resume(request->name());
  if (!summary.ok()) return ToGrpc(summary.status());
  *response = *std::move(summary);
  return grpc::Status::OK;
}

grpc::Status ScheduleServiceImpl::RemoveSchedule(grpc::ServerContext* context,
                                                 const v1::ScheduleNameRequest* request,
                                                 v1::RemoveScheduleResponse* /*response*/) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  return ToGrpc(scheduler_.Remove(request->name()));
}

}  // namespace vexbench
