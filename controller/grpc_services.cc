#include "controller/grpc_services.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "common/transport_security.h"
#include "spdlog/spdlog.h"

namespace vexbench {
namespace {

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(static_cast<int>(s.code())),
                      std::string(s.message()));
}

std::string MetadataValue(const grpc::ServerContext* context, const std::string& key) {
  const auto& md = context->client_metadata();
  auto it = md.find(key);
  return it == md.end() ? std::string() : std::string(it->second.data(), it->second.size());
}

// Outbound half of an agent's stream: Send() queues, one writer thread writes, so a slow agent
// never blocks the controller.
class StreamLink final : public AgentLink {
 public:
  StreamLink(grpc::ServerContext* context,
             grpc::ServerReaderWriter<v1::ControllerMessage, v1::AgentMessage>* stream)
      : context_(context), stream_(stream), writer_([this] { WriteLoop(); }) {}
  ~StreamLink() override { Shutdown(); }

  bool Send(const v1::ControllerMessage& message) override {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    queue_.push_back(message);
    cv_.notify_one();
    return true;
  }
  void Close() override { context_->TryCancel(); }

  // Stops the writer; after this the stream is no longer touched.
  void Shutdown() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
    if (writer_.joinable()) writer_.join();
  }

 private:
  void WriteLoop() {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return closed_ || !queue_.empty(); });
      if (closed_) return;
      v1::ControllerMessage m = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      const bool ok = stream_->Write(m);
      lock.lock();
      if (!ok) closed_ = true;
    }
  }

  grpc::ServerContext* context_;
  grpc::ServerReaderWriter<v1::ControllerMessage, v1::AgentMessage>* stream_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<v1::ControllerMessage> queue_;
  bool closed_ = false;
  std::thread writer_;
};

}  // namespace

grpc::Status AgentServiceImpl::Connect(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::ControllerMessage, v1::AgentMessage>* stream) {
  if (!join_token_.empty() && MetadataValue(context, kJoinTokenHeader) != join_token_) {
    spdlog::warn("refused an agent from {}: wrong or missing join token", context->peer());
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "wrong or missing join token; start the agent with --join-token");
  }
  v1::AgentMessage first;
  if (!stream->Read(&first) || !first.has_hello()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "an agent's first message must be Hello");
  }
  auto link = std::make_shared<StreamLink>(context, stream);
  const int64_t session = controller_.AgentConnected(first.hello(), link);
  v1::AgentMessage message;
  while (stream->Read(&message)) controller_.AgentMessage(session, message);
  controller_.AgentDisconnected(session, context->IsCancelled() ? "stream cancelled"
                                                                : "stream closed by the agent");
  link->Shutdown();
  return grpc::Status::OK;
}

grpc::Status ControlServiceImpl::Authorize(const grpc::ServerContext* context) const {
  if (token_.empty() || MetadataValue(context, kAuthorizationHeader) == "Bearer " + token_) {
    return grpc::Status::OK;
  }
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                      "wrong or missing bearer token; pass --token or set VEXBENCH_TOKEN");
}

grpc::Status ControlServiceImpl::SubmitJob(grpc::ServerContext* context,
                                           const v1::SubmitJobRequest* request,
                                           v1::SubmitJobResponse* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  std::map<std::string, std::string> selector(request->selector().begin(),
                                              request->selector().end());
  auto id = controller_.Submit(request->spec_json(), request->agents(), selector);
  if (!id.ok()) return ToGrpc(id.status());
  response->set_job_id(*id);
  return grpc::Status::OK;
}

grpc::Status ControlServiceImpl::ListJobs(grpc::ServerContext* context,
                                          const v1::ListJobsRequest* request,
                                          v1::ListJobsResponse* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  auto jobs = controller_.ListJobs(request->limit());
  if (!jobs.ok()) return ToGrpc(jobs.status());
  for (auto& job : *jobs) *response->add_jobs() = std::move(job);
  return grpc::Status::OK;
}

grpc::Status ControlServiceImpl::GetJob(grpc::ServerContext* context,
                                        const v1::GetJobRequest* request,
                                        v1::GetJobResponse* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  auto job = controller_.GetJob(request->job_id());
  if (!job.ok()) return ToGrpc(job.status());
  *response->mutable_job() = job->first;
  response->set_report_json(job->second);
  return grpc::Status::OK;
}

grpc::Status ControlServiceImpl::CancelJob(grpc::ServerContext* context,
                                           const v1::CancelJobRequest* request,
                                           v1::CancelJobResponse* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  auto job = controller_.Cancel(request->job_id());
  if (!job.ok()) return ToGrpc(job.status());
  *response->mutable_job() = *job;
  return grpc::Status::OK;
}

grpc::Status ControlServiceImpl::ListAgents(grpc::ServerContext* context,
                                            const v1::ListAgentsRequest* /*request*/,
                                            v1::ListAgentsResponse* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  for (auto& agent : controller_.ListAgents()) *response->add_agents() = std::move(agent);
  return grpc::Status::OK;
}

grpc::Status ControlServiceImpl::WatchJob(grpc::ServerContext* context,
                                          const v1::WatchJobRequest* request,
                                          grpc::ServerWriter<v1::JobProgress>* writer) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  while (!context->IsCancelled()) {
    auto progress = controller_.Progress(request->job_id());
    if (!progress.ok()) return ToGrpc(progress.status());
    if (!writer->Write(*progress)) break;
    if (progress->final()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(
        progress->job().state() == "running" ? 1000 : 250));
  }
  return grpc::Status::OK;
}

grpc::Status ControlServiceImpl::GetReport(grpc::ServerContext* context,
                                           const v1::GetReportRequest* request,
                                           v1::GetReportResponse* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  auto files = controller_.GetReportFiles(request->job_id());
  if (!files.ok()) return ToGrpc(files.status());
  for (auto& [name, content] : *files) {
    v1::ReportFile* f = response->add_files();
    f->set_name(name);
    f->set_content(std::move(content));
  }
  return grpc::Status::OK;
}

}  // namespace vexbench
