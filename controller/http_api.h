// The controller's HTTP side (`--http ADDR`): the dashboard and a JSON API over the same
// Controller the gRPC services use, for browsers and scripts without a gRPC client.
//
//   GET  /healthz                   "ok" (never needs the token)
//   GET  /  /dashboard.js  /dashboard.css  /login    the dashboard (pages are static; data comes
//                                   from /api, so the pages themselves need no token)
//   POST /login   (form: token=T)   with the right token: sets the session cookie, 303 to /
//   POST /logout                    clears the cookie, 303 to /login
//   GET  /api/jobs[?limit=N]        [JobSummary...], newest first
//   POST /api/jobs                  {"spec": "YAML or JSON text", "agents": N, "selector": {k: v},
//                                   "set": ["phases[0].rate=2000", ...]} -> 201 {"id": "..."};
//                                   a bad spec is 400 {"error": "<field>: <what was expected>"}
//   GET  /api/jobs/ID               report.json of the job (live while it runs)
//   GET  /api/jobs/ID/events        Server-Sent Events: one `progress` event a second (LiveEvent),
//                                   then one `end` event when the job has ended
//   GET  /api/jobs/ID/report.html   the report as one self-contained HTML page (report_formats.h)
//   POST /api/jobs/ID/cancel        cancels a queued or running job -> its JobSummary
//   GET  /api/agents                [AgentSummary...]
//   GET  /api/compare?a=ID&b=ID[&max_regression=p99=10%,throughput=5%]
//                                   compare.h's Comparison of B (candidate) against A (baseline)
//   GET  /api/schedules             [ScheduleSummary...] (404 when the server has no scheduler)
//   GET  /api/schedules/NAME[?limit=N]  {"schedule": ScheduleSummary, "runs": [ScheduleRun with
//                                   "results": [{target, phase, op, throughput_rps, p99_ms,
//                                   recall}] of its job's report], newest first (default 50)}
//   GET  /api/session               {"token_required": bool, "authorized": bool} (no token needed)
//   GET  /metrics                   Prometheus text exposition (common/metrics.h); needs the token
//                                   like /api when the controller has one
//
// Auth: with a token, every /api request needs "Authorization: Bearer TOKEN" or the session
// cookie `vexbench_session` that POST /login sets (HttpOnly, SameSite=Strict, Path=/; its value
// is a random key made when the server starts, never the token itself, so a restart logs every
// browser out). A wrong or missing token is 401. POST /api/... also needs Content-Type: application/json (no cross-site
// form can send that without the browser asking first).
//
// Connections: one thread each, at most `max_connections` at once (more get 503), of which at
// most `max_streams` event streams; every read and write gives up after `io_timeout_s`; one
// request per connection (Connection: close).
#ifndef VEXBENCH_CONTROLLER_HTTP_API_H_
#define VEXBENCH_CONTROLLER_HTTP_API_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "controller/controller.h"
#include "controller/scheduler.h"
#include "nlohmann/json.hpp"

namespace vexbench {

struct HttpApiOptions {
  int max_connections = 64;
  int max_streams = 32;
  int io_timeout_s = 10;
  // Not owned; must outlive the server. nullptr: /api/schedules answers 404.
  Scheduler* scheduler = nullptr;
};

class HttpApiServer {
 public:
  // Binds `listen` (HOST:PORT; port 0 picks one) and serves on its own threads. An empty
  // `token` leaves the API open.
  static absl::StatusOr<std::unique_ptr<HttpApiServer>> Start(Controller& controller,
                                                              const std::string& listen,
                                                              std::string token,
                                                              HttpApiOptions options = {});
  // Stops accepting, ends open event streams and waits for every connection thread.
  ~HttpApiServer();
  int port() const { return port_; }

  struct Request {
    std::string method = "GET";
    std::string target;  // path and query
    std::string authorization;
    std::string cookie;
    std::string content_type;
    std::string body;
  };
  struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // extra: Set-Cookie, Location
    // Not empty: the answer is the event stream of this job (body unused).
    std::string stream_job;
  };
  // One request. Exposed for tests; thread-safe.
  Response Handle(const Request& request);
  Response Handle(const std::string& method, const std::string& target,
                  const std::string& authorization = "") {
    return Handle(Request{.method = method, .target = target, .authorization = authorization});
  }

  // The data of one `progress` event of the live page: the job summary, elapsed and planned
  // seconds, the latest interval (req/s, p50/p99 in ms, errors) merged and per target, and the
  // agents. Exposed for tests.
  absl::StatusOr<nlohmann::json> LiveEvent(const std::string& job_id);

 private:
  struct Impl;
  HttpApiServer(Controller& controller, std::string token, HttpApiOptions options);
  bool Authorized(const Request& request) const;
  Response SubmitJob(const Request& request);
  Response JobRoute(const Request& request, const std::string& path);
  Response Login(const Request& request);
  Response Compare(const std::string& query);
  Response ScheduleRoute(const std::string& path, const std::string& query);

  Controller& controller_;
  const std::string token_;
  const std::string session_key_;  // the cookie's value after a login (random, per start)
  const HttpApiOptions options_;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace vexbench

#endif  // VEXBENCH_CONTROLLER_HTTP_API_H_
