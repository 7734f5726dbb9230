#include "controller/grpc_services.h"

#include <condition_variable>
#include <deque>
#include <mutex>

#include "common/transport_security.h"
#include "spdlog/spdlog.h"

namespace vexbench {
namespace {

std::string MetadataValue(const grpc::ServerContextBase* context, const std::string& key) {
  const auto& md = context->client_metadata();
  auto it = md.find(key);
  return it == md.end() ? std::string() : std::string(it->second.data(), it->second.size());
}

// One agent's stream on gRPC's callback API: reads and writes complete on gRPC's own threads,
// so an agent costs no thread of ours and a message no hand-off between threads (with the
// synchronous API each stream held a reader and a writer thread, and every message woke one).
//
// Reads: one at a time, each handed to the Controller in arrival order. Writes: Send() queues;
// at most one write is in flight, the next starts when it completes. The Link is what the
// Controller holds; it outlives the reactor, which gRPC deletes after OnDone().
class AgentStream final
    : public grpc::ServerBidiReactor<v1::AgentMessage, v1::ControllerMessage> {
 public:
  AgentStream(grpc::CallbackServerContext* context, Controller& controller,
              const std::string& join_token)
      : controller_(controller), link_(std::make_shared<Link>(this, context)) {
    if (!join_token.empty() && MetadataValue(context, kJoinTokenHeader) != join_token) {
      spdlog::warn("refused an agent from {}: wrong or missing join token", context->peer());
      link_->Finish(grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                 "wrong or missing join token; start the agent with --join-token"));
      return;
    }
    StartRead(&in_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the agent closed its side, the stream broke, or the controller cancelled it
      if (session_ >= 0) {
        controller_.AgentDisconnected(session_, link_->cancelled() ? "stream cancelled"
                                                                   : "stream closed by the agent");
      }
      link_->Finish(grpc::Status::OK);
      return;
    }
    if (session_ < 0) {
      if (!in_.has_hello()) {
        link_->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                   "an agent's first message must be Hello"));
        return;
      }
      session_ = controller_.AgentConnected(in_.hello(), link_);
    } else {
      controller_.AgentMessage(session_, in_);
    }
    StartRead(&in_);
  }

  void OnWriteDone(bool ok) override { link_->WriteDone(ok); }

  void OnDone() override {
    link_->Detach();
    delete this;
  }

 private:
  class Link final : public AgentLink {
   public:
    Link(AgentStream* stream, grpc::CallbackServerContext* context)
        : stream_(stream), context_(context) {}

    bool Send(const v1::ControllerMessage& message) override {
      const v1::ControllerMessage* next = nullptr;
      {
        std::lock_guard lock(mu_);
        if (closed_) return false;
        queue_.push_back(message);
        if (writing_) return true;
        writing_ = true;
        next = &queue_.front();  // deque: stays valid while others are pushed behind it
      }
      stream_->StartWrite(next);
      return true;
    }

    void Close() override {
      std::lock_guard lock(mu_);
      if (stream_ != nullptr && !finished_) {
        cancelled_ = true;
        context_->TryCancel();
      }
    }

    // Ends the RPC with `status` once no write is in flight; no more Send()s are taken.
    void Finish(const grpc::Status& status) {
      {
        std::lock_guard lock(mu_);
        closed_ = true;
        if (finished_ || finish_pending_) return;
        if (writing_) {
          finish_pending_ = true;
          pending_status_ = status;
          return;
        }
        finished_ = true;
      }
      stream_->Finish(status);
    }

    void WriteDone(bool ok) {
      const v1::ControllerMessage* next = nullptr;
      bool finish = false;
      {
        std::lock_guard lock(mu_);
        queue_.pop_front();
        if (!ok) closed_ = true;  // the stream is broken; its read fails too
        if (!closed_ && !queue_.empty()) {
          next = &queue_.front();
        } else {
          writing_ = false;
          queue_.clear();
          finish = finish_pending_ && !finished_;
          finished_ = finished_ || finish;
        }
      }
      if (next != nullptr) stream_->StartWrite(next);
      if (finish) stream_->Finish(pending_status_);
    }

    // The reactor is gone (OnDone): from now on Send() and Close() do nothing.
    void Detach() {
      std::lock_guard lock(mu_);
      closed_ = true;
      stream_ = nullptr;
      queue_.clear();
    }

    bool cancelled() {
      std::lock_guard lock(mu_);
      return cancelled_ || context_->IsCancelled();
    }

   private:
    std::mutex mu_;
    AgentStream* stream_;  // null after Detach()
    grpc::CallbackServerContext* const context_;
    std::deque<v1::ControllerMessage> queue_;  // front: the write in flight
    bool writing_ = false;
    bool closed_ = false;
    bool cancelled_ = false;
    bool finish_pending_ = false;
    bool finished_ = false;
    grpc::Status pending_status_;
  };

  Controller& controller_;
  const std::shared_ptr<Link> link_;
  v1::AgentMessage in_;
  int64_t session_ = -1;
};

}  // namespace

grpc::ServerBidiReactor<v1::AgentMessage, v1::ControllerMessage>* AgentServiceImpl::Connect(
    grpc::CallbackServerContext* context) {
  return new AgentStream(context, controller_, join_token_);
}

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(static_cast<int>(s.code())),
                      std::string(s.message()));
}

grpc::Status CheckBearerToken(const grpc::ServerContextBase* context, const std::string& token) {
  if (token.empty() || MetadataValue(context, kAuthorizationHeader) == "Bearer " + token) {
    return grpc::Status::OK;
  }
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                      "wrong or missing bearer token; pass --token or set VEXBENCH_TOKEN");
}

grpc::Status ControlServiceImpl::Authorize(const grpc::ServerContext* context) const {
  return CheckBearerToken(context, token_);
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
