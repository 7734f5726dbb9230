// The schedules' edges: ScheduleService (gRPC, for `vexbench schedule ...`) and the
// JobLauncher that submits scheduled jobs to the Controller. The bearer token is checked as in
// ControlService: an empty expected token means none is required.
#ifndef VEXBENCH_CONTROLLER_SCHEDULE_SERVICE_H_
#define VEXBENCH_CONTROLLER_SCHEDULE_SERVICE_H_

#include <string>

#include "controller/controller.h"
#include "controller/scheduler.h"
#include "proto/vexbench.grpc.pb.h"

namespace vexbench {

// Submits schedules' jobs to `controller` (which must outlive it) and reads their state.
class ControllerJobLauncher final : public JobLauncher {
 public:
  explicit ControllerJobLauncher(Controller& controller) : controller_(controller) {}
  absl::StatusOr<std::string> Submit(const StoredSchedule& schedule) override;
  absl::StatusOr<JobStatus> Status(const std::string& job_id) override;

 private:
  Controller& controller_;
};

class ScheduleServiceImpl final : public v1::ScheduleService::Service {
 public:
  ScheduleServiceImpl(Scheduler& scheduler, std::string token)
      : scheduler_(scheduler), token_(std::move(token)) {}

  grpc::Status AddSchedule(grpc::ServerContext* context, const v1::AddScheduleRequest* request,
                           v1::ScheduleSummary* response) override;
  grpc::Status ListSchedules(grpc::ServerContext* context, const v1::ListSchedulesRequest* request,
                             v1::ListSchedulesResponse* response) override;
  grpc::Status GetSchedule(grpc::ServerContext* context, const v1::GetScheduleRequest* request,
                           v1::GetScheduleResponse* response) override;
  grpc::Status PauseSchedule(grpc::ServerContext* context, const v1::ScheduleNameRequest* request,
                             v1::ScheduleSummary* response) override;
  grpc::Status ResumeSchedule(grpc::ServerContext* context, const v1::ScheduleNameRequest* request,
                              v1::ScheduleSummary* response) override;
  grpc::Status RemoveSchedule(grpc::ServerContext* context, const v1::ScheduleNameRequest* request,
                              v1::RemoveScheduleResponse* response) override;

 private:
  grpc::Status Authorize(const grpc::ServerContext* context) const;

  Scheduler& scheduler_;
  const std::string token_;
};

}  // namespace vexbench

#endif  // VEXBENCH_CONTROLLER_SCHEDULE_SERVICE_H_
