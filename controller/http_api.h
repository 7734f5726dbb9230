// The controller's HTTP side (`--http ADDR`): a read-only JSON API over the same Controller the
// gRPC services use, for dashboards and scripts without a gRPC client.
//
//   GET /healthz                 "ok"
//   GET /api/jobs[?limit=N]      [JobSummary...]
//   GET /api/jobs/ID             report.json of the job (live while it runs)
//   GET /api/agents              [AgentSummary...]
// With a token, every /api request needs "Authorization: Bearer TOKEN".
#ifndef VEXBENCH_CONTROLLER_HTTP_API_H_
#define VEXBENCH_CONTROLLER_HTTP_API_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "controller/controller.h"

namespace vexbench {

class HttpApiServer {
 public:
  // Binds `listen` (HOST:PORT; port 0 picks one) and serves on its own thread.
  static absl::StatusOr<std::unique_ptr<HttpApiServer>> Start(Controller& controller,
                                                              const std::string& listen,
                                                              std::string token);
  ~HttpApiServer();
  int port() const { return port_; }

  // One request: method and target in, status, content type and body out. Exposed for tests.
  struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
  };
  Response Handle(const std::string& method, const std::string& target,
                  const std::string& authorization);

 private:
  struct Impl;
  HttpApiServer(Controller& controller, std::string token);
  Controller& controller_;
  const std::string token_;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace vexbench

#endif  // VEXBENCH_CONTROLLER_HTTP_API_H_
