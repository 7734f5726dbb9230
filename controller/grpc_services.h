// The controller's gRPC edge: AgentService (one stream per agent) and ControlService (the CLI),
// both thin adapters onto Controller. Tokens are checked here: agents present the join token,
// the CLI a bearer token; an empty expected token means none is required.
#ifndef VEXBENCH_CONTROLLER_GRPC_SERVICES_H_
#define VEXBENCH_CONTROLLER_GRPC_SERVICES_H_

#include <string>

#include "controller/controller.h"
#include "proto/vexbench.grpc.pb.h"

namespace vexbench {

// absl::Status -> grpc::Status with the same code and message.
grpc::Status ToGrpc(const absl::Status& s);
// OK when `token` is empty or the call carries "authorization: Bearer <token>"; otherwise
// UNAUTHENTICATED, saying how to pass it. Every CLI-facing service checks calls with this.
grpc::Status CheckBearerToken(const grpc::ServerContextBase* context, const std::string& token);

// Agents' streams run on gRPC's callback API (no thread per agent).
class AgentServiceImpl final : public v1::AgentService::CallbackService {
 public:
  AgentServiceImpl(Controller& controller, std::string join_token)
      : controller_(controller), join_token_(std::move(join_token)) {}

  grpc::ServerBidiReactor<v1::AgentMessage, v1::ControllerMessage>* Connect(
      grpc::CallbackServerContext* context) override;

 private:
  Controller& controller_;
  const std::string join_token_;
};

class ControlServiceImpl final : public v1::ControlService::Service {
 public:
  ControlServiceImpl(Controller& controller, std::string token)
      : controller_(controller), token_(std::move(token)) {}

  grpc::Status SubmitJob(grpc::ServerContext* context, const v1::SubmitJobRequest* request,
                         v1::SubmitJobResponse* response) override;
  grpc::Status ListJobs(grpc::ServerContext* context, const v1::ListJobsRequest* request,
                        v1::ListJobsResponse* response) override;
  grpc::Status GetJob(grpc::ServerContext* context, const v1::GetJobRequest* request,
                      v1::GetJobResponse* response) override;
  grpc::Status CancelJob(grpc::ServerContext* context, const v1::CancelJobRequest* request,
                         v1::CancelJobResponse* response) override;
  grpc::Status ListAgents(grpc::ServerContext* context, const v1::ListAgentsRequest* request,
                          v1::ListAgentsResponse* response) override;
  grpc::Status WatchJob(grpc::ServerContext* context, const v1::WatchJobRequest* request,
                        grpc::ServerWriter<v1::JobProgress>* writer) override;
  grpc::Status GetReport(grpc::ServerContext* context, const v1::GetReportRequest* request,
                         v1::GetReportResponse* response) override;

 private:
  grpc::Status Authorize(const grpc::ServerContext* context) const;

  Controller& controller_;
  const std::string token_;
};

}  // namespace vexbench

#endif  // VEXBENCH_CONTROLLER_GRPC_SERVICES_H_
