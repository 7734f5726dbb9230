#include "controller/http_api.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <utility>

#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/write.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/http.hpp"
#include "common/job_spec.h"
#include "common/metrics.h"
#include "controller/compare.h"
#include "controller/dashboard_assets.h"
#include "controller/job_validation.h"
#include "controller/report_formats.h"
#include "google/protobuf/util/json_util.h"
#include "spdlog/spdlog.h"

namespace vexbench {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr char kSessionCookie[] = "vexbench_session";

nlohmann::json ToJson(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return nlohmann::json::parse(out);
}

HttpApiServer::Response Json(int status, const nlohmann::json& body) {
  return {.status = status, .content_type = "application/json", .body = body.dump()};
}

HttpApiServer::Response Error(int status, const std::string& message) {
  return Json(status, nlohmann::json{{"error", message}});
}

HttpApiServer::Response Redirect(const std::string& location) {
  HttpApiServer::Response r{.status = 303, .content_type = "text/plain", .body = "see " + location};
  r.headers.emplace_back("Location", location);
  return r;
}

int StatusOf(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kFailedPrecondition:
      return 409;
    default:
      return 500;
  }
}

// Equal without an early exit: how long it takes does not tell how much of a guess was right.
bool SameSecret(const std::string& given, const std::string& secret) {
  if (secret.empty() || given.size() != secret.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < given.size(); ++i) diff |= given[i] ^ secret[i];
  return diff == 0;
}

// The value of `name` in a Cookie header ("a=1; b=2"), "" when absent.
std::string CookieValue(const std::string& header, const std::string& name) {
  size_t pos = 0;
  while (pos < header.size()) {
    while (pos < header.size() && header[pos] == ' ') ++pos;
    const size_t end = std::min(header.find(';', pos), header.size());
    const std::string pair = header.substr(pos, end - pos);
    const size_t eq = pair.find('=');
    if (eq != std::string::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
    pos = end + 1;
  }
  return "";
}

std::string PercentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size()) {
      const std::string hex = s.substr(i + 1, 2);
      char* end = nullptr;
      const long v = std::strtol(hex.c_str(), &end, 16);
      if (hex.size() == 2 && end == hex.c_str() + 2) {
        out += static_cast<char>(v);
        i += 2;
      } else {
        out += s[i];
      }
    } else {
      out += s[i];
    }
  }
  return out;
}

// The value of `name` in "a=1&b=2" (a query string or a form body), decoded.
std::string FormValue(const std::string& form, const std::string& name) {
  size_t pos = 0;
  while (pos <= form.size()) {
    const size_t end = std::min(form.find('&', pos), form.size());
    const std::string pair = form.substr(pos, end - pos);
    const size_t eq = pair.find('=');
    if (eq != std::string::npos && pair.substr(0, eq) == name) {
      return PercentDecode(pair.substr(eq + 1));
    }
    pos = end + 1;
  }
  return "";
}

// 32 random bytes as hex: the session cookie's value for this server's lifetime.
std::string RandomKey() {
  std::random_device rd;
  std::string out;
  for (int i = 0; i < 8; ++i) {
    char hex[9];
    std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(rd()));
    out += hex;
  }
  return out;
}

// What the schedule trend charts need of a report: one row per result.
nlohmann::json TrendResults(const nlohmann::json& report) {
  nlohmann::json out = nlohmann::json::array();
  if (!report.is_object() || !report.contains("results") || !report["results"].is_array()) {
    return out;
  }
  for (const auto& r : report["results"]) {
    if (!r.is_object()) continue;
    nlohmann::json row = {{"target", r.value("target", "")},
                          {"phase", r.value("phase", "")},
                          {"op", r.value("op", "")},
                          {"throughput_rps", nullptr},
                          {"p99_ms", nullptr},
                          {"recall", nullptr}};
    if (r.contains("throughput_rps") && r["throughput_rps"].is_number()) {
      row["throughput_rps"] = r["throughput_rps"];
    }
    if (r.contains("latency_ms") && r["latency_ms"].is_object() &&
        r["latency_ms"].contains("p99") && r["latency_ms"]["p99"].is_number()) {
      row["p99_ms"] = r["latency_ms"]["p99"];
    }
    if (r.contains("recall_at_k") && r["recall_at_k"].is_object() &&
        r["recall_at_k"].contains("mean") && r["recall_at_k"]["mean"].is_number()) {
      row["recall"] = r["recall_at_k"]["mean"];
    }
    out.push_back(std::move(row));
  }
  return out;
}

double Ms(int64_t us) { return static_cast<double>(us) / 1000.0; }

nlohmann::json IntervalJson(const IntervalProgress& p) {
  return {{"phase", p.phase},
          {"interval_start_unix_us", p.interval_start_unix_us},
          {"interval_s", p.seconds},
          {"requests", p.requests},
          {"errors", p.errors},
          {"rps", p.seconds > 0 ? static_cast<double>(p.requests) / p.seconds : 0.0},
          {"p50_ms", Ms(p.p50_us)},
          {"p99_ms", Ms(p.p99_us)}};
}

}  // namespace

struct HttpApiServer::Impl {
  explicit Impl(HttpApiServer& server) : server(server) {}

  // One connection, on its own thread: read one request, answer it (or stream events).
  void Serve(tcp::socket socket);
  void Stream(tcp::socket& socket, const std::string& job_id);
  // Sleeps up to `ms`; false when the server is stopping.
  bool Pause(int ms) {
    std::unique_lock lock(mu);
    return !cv.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping; });
  }

  HttpApiServer& server;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread accept_thread;
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;     // guarded by mu
  int connections = 0;       // guarded by mu
  int streams = 0;           // guarded by mu
  std::set<int> open_fds;    // guarded by mu: shut down on stop to unblock reads and writes
};

HttpApiServer::HttpApiServer(Controller& controller, std::string token, HttpApiOptions options)
    : controller_(controller),
      token_(std::move(token)),
      session_key_(RandomKey()),
      options_(options),
      impl_(std::make_unique<Impl>(*this)) {}

absl::StatusOr<std::unique_ptr<HttpApiServer>> HttpApiServer::Start(Controller& controller,
                                                                    const std::string& listen,
                                                                    std::string token,
                                                                    HttpApiOptions options) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError("--http " + listen + ": expected HOST:PORT");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  int port_number = -1;
  try {
    port_number = std::stoi(listen.substr(colon + 1));
  } catch (...) {
  }
  if (ec || port_number < 0 || port_number > 65535) {
    return absl::InvalidArgumentError("--http " + listen + ": expected an IP address and a port");
  }
  std::unique_ptr<HttpApiServer> server(
      new HttpApiServer(controller, std::move(token), options));
  Impl& impl = *server->impl_;
  const tcp::endpoint endpoint(address, static_cast<uint16_t>(port_number));
  impl.acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl.acceptor.bind(endpoint, ec);
  if (!ec) impl.acceptor.listen(64, ec);
  if (ec) return absl::UnavailableError("--http " + listen + ": cannot listen: " + ec.message());
  server->port_ = impl.acceptor.local_endpoint().port();
  impl.accept_thread = std::thread([&impl, limit = options.max_connections] {
    while (true) {
      tcp::socket socket(impl.io);
      boost::system::error_code accept_ec;
      impl.acceptor.accept(socket, accept_ec);
      std::unique_lock lock(impl.mu);
      if (impl.stopping) return;
      if (accept_ec) continue;
      if (impl.connections >= limit) {
        lock.unlock();
        static constexpr char kBusy[] =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            "Connection: close\r\nContent-Length: 64\r\n\r\n"
            "{\"error\":\"too many connections to the dashboard; retry shortly\"}";
        asio::write(socket, asio::buffer(kBusy, sizeof kBusy - 1), accept_ec);
        continue;
      }
      ++impl.connections;
      impl.open_fds.insert(socket.native_handle());
      lock.unlock();
      std::thread(&Impl::Serve, &impl, std::move(socket)).detach();
    }
  });
  return server;
}

HttpApiServer::~HttpApiServer() {
  Impl& impl = *impl_;
  {
    std::lock_guard lock(impl.mu);
    impl.stopping = true;
    for (int fd : impl.open_fds) ::shutdown(fd, SHUT_RDWR);
  }
  impl.cv.notify_all();
  // Wake the blocking accept with a connection of our own, then join.
  boost::system::error_code ec;
  tcp::socket wake(impl.io);
  wake.connect(tcp::endpoint(impl.acceptor.local_endpoint(ec).address(),
                             static_cast<uint16_t>(port_)),
               ec);
  if (impl.accept_thread.joinable()) impl.accept_thread.join();
  impl.acceptor.close(ec);
  std::unique_lock lock(impl.mu);
  impl.cv.wait(lock, [&impl] { return impl.connections == 0; });
}

void HttpApiServer::Impl::Serve(tcp::socket socket) {
  const int fd = socket.native_handle();
  const timeval limit{server.options_.io_timeout_s, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  boost::system::error_code ec;
  boost::beast::flat_buffer buffer;
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(1 << 20);
  http::read(socket, buffer, parser, ec);
  if (!ec) {
    const auto& in = parser.get();
    auto header = [&in](http::field f) {
      const auto v = in[f];
      return std::string(v.data(), v.size());
    };
    Request request{.method = std::string(in.method_string()),
                    .target = std::string(in.target()),
                    .authorization = header(http::field::authorization),
                    .cookie = header(http::field::cookie),
                    .content_type = header(http::field::content_type),
                    .body = in.body()};
    Response r = server.Handle(request);
    bool stream = !r.stream_job.empty();
    if (stream) {
      std::lock_guard lock(mu);
      if (streams >= server.options_.max_streams) {
        r = Error(503, "too many live pages open; close one and retry");
        stream = false;
      } else {
        ++streams;
      }
    }
    if (stream) {
      Stream(socket, r.stream_job);
      std::lock_guard lock(mu);
      --streams;
    } else {
      http::response<http::string_body> response{static_cast<http::status>(r.status), 11};
      response.set(http::field::content_type, r.content_type);
      response.set(http::field::cache_control, "no-store");
      response.set("X-Content-Type-Options", "nosniff");
      for (const auto& [name, value] : r.headers) response.insert(name, value);
      response.keep_alive(false);
      response.body() = std::move(r.body);
      response.prepare_payload();
      http::write(socket, response, ec);
    }
  } else if (ec != http::error::end_of_stream) {
    http::response<http::string_body> response{http::status::bad_request, 11};
    response.set(http::field::content_type, "application/json");
    response.keep_alive(false);
    response.body() = nlohmann::json{{"error", "bad request: " + ec.message()}}.dump();
    response.prepare_payload();
    http::write(socket, response, ec);
  }
  socket.shutdown(tcp::socket::shutdown_both, ec);
  std::lock_guard lock(mu);
  open_fds.erase(fd);
  socket.close(ec);
  if (--connections == 0) cv.notify_all();
}

// text/event-stream: a `progress` event each second while the job is queued or running, then
// one `end` event with the final state. A write that fails (the page closed) ends it.
void HttpApiServer::Impl::Stream(tcp::socket& socket, const std::string& job_id) {
  boost::system::error_code ec;
  const std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
      "Connection: close\r\nX-Accel-Buffering: no\r\n\r\nretry: 2000\n\n";
  asio::write(socket, asio::buffer(head), ec);
  while (!ec) {
    auto event = server.LiveEvent(job_id);
    std::string frame;
    if (!event.ok()) {
      frame = "event: error\ndata: " +
              nlohmann::json{{"error", std::string(event.status().message())}}.dump() + "\n\n";
    } else {
      const bool final = (*event)["final"].get<bool>();
      frame = std::string("event: ") + (final ? "end" : "progress") + "\ndata: " +
              event->dump() + "\n\n";
      if (!final) {
        asio::write(socket, asio::buffer(frame), ec);
        if (ec || !Pause(1000)) return;
        continue;
      }
    }
    asio::write(socket, asio::buffer(frame), ec);
    return;
  }
}

bool HttpApiServer::Authorized(const Request& request) const {
  if (token_.empty()) return true;
  if (request.authorization.rfind("Bearer ", 0) == 0 &&
      SameSecret(request.authorization.substr(7), token_)) {
    return true;
  }
  return SameSecret(CookieValue(request.cookie, kSessionCookie), session_key_);
}

HttpApiServer::Response HttpApiServer::Handle(const Request& request) {
  const std::string& target = request.target;
  const std::string path = target.substr(0, target.find('?'));
  const std::string query = path.size() < target.size() ? target.substr(path.size() + 1) : "";
  const bool get = request.method == "GET" || request.method == "HEAD";
  if (path == "/healthz") return {200, "text/plain", "ok\n"};

  // The dashboard's pages and files: static, no data in them.
  if (path == "/login" || path == "/logout") return Login(request);
  if (get) {
    if (auto file = DashboardFile(path)) {
      return {.status = 200, .content_type = std::string(file->content_type), .body = std::string(file->body)};
    }
  }

  if (path == "/metrics" && get) {  // Prometheus text; guarded by the token like /api
    if (!Authorized(request)) return Error(401, "/metrics: wrong or missing bearer token");
    return {200, kMetricsContentType, controller_.RenderMetrics()};
  }
  if (path.rfind("/api/", 0) != 0) return Error(404, "no such path: " + path);
  if (path == "/api/session") {  // open: tells the page whether to offer log in / log out
    return Json(200, {{"token_required", !token_.empty()}, {"authorized", Authorized(request)}});
  }
  if (!Authorized(request)) {
    return Error(401, "wrong or missing token: send \"Authorization: Bearer TOKEN\" or log in at "
                      "/login");
  }
  if (!get && request.content_type.rfind("application/json", 0) != 0) {
    return Error(415, request.method + " " + path + ": expected Content-Type: application/json");
  }
  if (path == "/api/agents") {
    if (!get) return Error(405, "/api/agents: only GET");
    nlohmann::json out = nlohmann::json::array();
    for (const auto& a : controller_.ListAgents()) out.push_back(ToJson(a));
    return Json(200, out);
  }
  if (path == "/api/jobs") {
    if (request.method == "POST") return SubmitJob(request);
    if (!get) return Error(405, "/api/jobs: GET or POST");
    int limit = 50;
    if (const std::string l = FormValue(query, "limit"); !l.empty()) {
      limit = std::atoi(l.c_str());
      if (limit < 1 || limit > 10000) return Error(400, "limit: expected 1 to 10000 jobs");
    }
    auto jobs = controller_.ListJobs(limit);
    if (!jobs.ok()) return Error(500, std::string(jobs.status().message()));
    nlohmann::json out = nlohmann::json::array();
    for (const auto& j : *jobs) out.push_back(ToJson(j));
    return Json(200, out);
  }
  if (path.rfind("/api/jobs/", 0) == 0) return JobRoute(request, path);
  if (path == "/api/compare") {
    if (!get) return Error(405, "/api/compare: only GET");
    return Compare(query);
  }
  if (path == "/api/schedules" || path.rfind("/api/schedules/", 0) == 0) {
    if (!get) return Error(405, path + ": only GET");
    return ScheduleRoute(path, query);
  }
  return Error(404, "no such path: " + path);
}

// The verdict `vexbench compare A B` gives (compare.h), as JSON.
HttpApiServer::Response HttpApiServer::Compare(const std::string& query) {
  const std::string a = FormValue(query, "a");
  const std::string b = FormValue(query, "b");
  if (a.empty() || b.empty()) {
    return Error(400, "compare: expected ?a=BASELINE_JOB_ID&b=CANDIDATE_JOB_ID");
  }
  std::string limits_text = FormValue(query, "max_regression");
  if (limits_text.empty()) limits_text = kDefaultMaxRegression;
  auto limits = ParseRegressionLimits(limits_text);
  if (!limits.ok()) return Error(400, "max_regression: " + std::string(limits.status().message()));
  nlohmann::json reports[2];
  const std::string ids[2] = {a, b};
  for (int i = 0; i < 2; ++i) {
    auto job = controller_.GetJob(ids[i]);
    if (!job.ok()) return Error(StatusOf(job.status()), std::string(job.status().message()));
    reports[i] = nlohmann::json::parse(job->second, nullptr, false);
    if (!reports[i].is_object()) {
      return Error(409, "job " + ids[i] + " has no report yet (state " + job->first.state() + ")");
    }
  }
  auto comparison = CompareReports(reports[0], reports[1], *limits);
  if (!comparison.ok()) return Error(409, std::string(comparison.status().message()));
  comparison->base_label = a;
  comparison->current_label = b;
  nlohmann::json out = ComparisonToJson(*comparison);
  out["max_regression"] = limits_text;
  return Json(200, out);
}

// /api/schedules and /api/schedules/NAME (with each run's results, for the trend charts).
HttpApiServer::Response HttpApiServer::ScheduleRoute(const std::string& path,
                                                    const std::string& query) {
  if (options_.scheduler == nullptr) return Error(404, "this server has no schedules");
  Scheduler& scheduler = *options_.scheduler;
  if (path == "/api/schedules") {
    auto all = scheduler.List();
    if (!all.ok()) return Error(StatusOf(all.status()), std::string(all.status().message()));
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : *all) out.push_back(ToJson(s));
    return Json(200, out);
  }
  const std::string name = PercentDecode(path.substr(std::string("/api/schedules/").size()));
  int limit = 50;
  if (const std::string l = FormValue(query, "limit"); !l.empty()) {
    limit = std::atoi(l.c_str());
    if (limit < 1 || limit > 1000) return Error(400, "limit: expected 1 to 1000 runs");
  }
  auto shown = scheduler.Show(name, limit);
  if (!shown.ok()) return Error(StatusOf(shown.status()), std::string(shown.status().message()));
  nlohmann::json out;
  out["schedule"] = ToJson(shown->first);
  out["runs"] = nlohmann::json::array();
  for (const v1::ScheduleRun& run : shown->second) {
    nlohmann::json r = ToJson(run);
    r["results"] = nlohmann::json::array();
    if (!run.job_id().empty() && run.exit_code() >= 0) {
      if (auto job = controller_.GetJob(run.job_id()); job.ok()) {
        r["results"] = TrendResults(nlohmann::json::parse(job->second, nullptr, false));
      }
    }
    out["runs"].push_back(std::move(r));
  }
  return Json(200, out);
}

// /api/jobs/ID, /api/jobs/ID/events, /api/jobs/ID/cancel.
HttpApiServer::Response HttpApiServer::JobRoute(const Request& request, const std::string& path) {
  std::string id = path.substr(10);
  std::string action;
  if (const size_t slash = id.find('/'); slash != std::string::npos) {
    action = id.substr(slash + 1);
    id = id.substr(0, slash);
  }
  if (id.empty()) return Error(404, "no job id in " + path);
  if (action == "cancel") {
    if (request.method != "POST") return Error(405, path + ": only POST");
    auto summary = controller_.Cancel(id);
    if (!summary.ok()) return Error(StatusOf(summary.status()), std::string(summary.status().message()));
    return Json(200, ToJson(*summary));
  }
  if (request.method != "GET" && request.method != "HEAD") return Error(405, path + ": only GET");
  if (action == "events") {
    auto first = controller_.LiveProgress(id);
    if (!first.ok()) return Error(StatusOf(first.status()), std::string(first.status().message()));
    return {.status = 200, .content_type = "text/event-stream", .stream_job = id};
  }
  if (action == "report.html") {  // the reports issue's self-contained HTML (report_formats.h)
    auto job = controller_.GetJob(id);
    if (!job.ok()) return Error(StatusOf(job.status()), std::string(job.status().message()));
    const nlohmann::json report = nlohmann::json::parse(job->second, nullptr, false);
    if (!report.is_object()) return Error(409, "job " + id + " has no report yet");
    auto html = ReportToHtml(report, "");
    if (!html.ok()) return Error(StatusOf(html.status()), std::string(html.status().message()));
    return {.status = 200, .content_type = "text/html; charset=utf-8", .body = *std::move(html)};
  }
  if (!action.empty()) return Error(404, "no such path: " + path);
  auto job = controller_.GetJob(id);
  if (!job.ok()) return Error(StatusOf(job.status()), std::string(job.status().message()));
  nlohmann::json report = job->second.empty() ? nlohmann::json::object()
                                              : nlohmann::json::parse(job->second);
  report["job"]["state"] = job->first.state();
  report["job"]["id"] = job->first.id();
  report["job"]["summary"] = ToJson(job->first);
  return Json(200, report);
}

// The same checks as `vexbench submit`: parse with the --set overrides, validate, then queue.
HttpApiServer::Response HttpApiServer::SubmitJob(const Request& request) {
  const nlohmann::json in = nlohmann::json::parse(request.body, nullptr, false);
  if (!in.is_object()) return Error(400, "body: expected a JSON object {\"spec\": \"...\"}");
  if (!in.contains("spec") || !in["spec"].is_string() || in["spec"].get<std::string>().empty()) {
    return Error(400, "spec: expected the job spec as YAML or JSON text");
  }
  int agents = 0;
  if (in.contains("agents") && !in["agents"].is_null()) {
    if (!in["agents"].is_number_integer() || in["agents"].get<int>() < 0) {
      return Error(400, "agents: expected a whole number of agents (0: the spec's own)");
    }
    agents = in["agents"].get<int>();
  }
  std::map<std::string, std::string> selector;
  if (in.contains("selector") && !in["selector"].is_null()) {
    if (!in["selector"].is_object()) return Error(400, "selector: expected {\"label\": \"value\"}");
    for (const auto& [k, v] : in["selector"].items()) {
      if (!v.is_string()) return Error(400, "selector." + k + ": expected a string");
      selector[k] = v.get<std::string>();
    }
  }
  std::vector<std::string> overrides;
  if (in.contains("set") && !in["set"].is_null()) {
    if (!in["set"].is_array()) return Error(400, "set: expected a list of \"key.path=value\"");
    for (const auto& s : in["set"]) {
      if (!s.is_string()) return Error(400, "set: expected a list of \"key.path=value\"");
      overrides.push_back(s.get<std::string>());
    }
  }
  auto spec = ParseJobSpec(in["spec"].get<std::string>(), "spec", overrides);
  if (!spec.ok()) return Error(400, std::string(spec.status().message()));
  if (auto t = ValidateJob(*spec); !t.ok()) {
    return Error(400, "spec: " + std::string(t.status().message()));
  }
  auto id = controller_.Submit(spec->document.dump(), agents, selector);
  if (!id.ok()) return Error(StatusOf(id.status()), std::string(id.status().message()));
  return Json(201, nlohmann::json{{"id", *id}});
}

// GET /login: the form (or / when no token is needed); POST /login: checks the token and sets
// the session cookie; POST /logout clears it.
HttpApiServer::Response HttpApiServer::Login(const Request& request) {
  const std::string path = request.target.substr(0, request.target.find('?'));
  if (path == "/logout") {
    if (request.method != "POST") return Error(405, "/logout: only POST");
    Response r = Redirect("/login");
    r.headers.emplace_back("Set-Cookie", std::string(kSessionCookie) +
                                             "=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict");
    return r;
  }
  if (token_.empty()) return Redirect("/");
  auto page = DashboardFile("/login");
  const std::string form = page ? std::string(page->body) : "";
  if (request.method == "GET" || request.method == "HEAD") return {200, "text/html; charset=utf-8", form};
  if (request.method != "POST") return Error(405, "/login: GET or POST");
  if (!SameSecret(FormValue(request.body, "token"), token_)) {
    // The same page, told why (the page shows #error when the status is 401).
    Response r{401, "text/html; charset=utf-8", form};
    const std::string marker = "<!--login-error-->";
    if (const size_t at = r.body.find(marker); at != std::string::npos) {
      r.body.replace(at, marker.size(),
                     "<p id=\"error\" class=\"error\">Wrong token: give the controller's --token "
                     "(or $VEXBENCH_TOKEN).</p>");
    }
    return r;
  }
  Response r = Redirect("/");
  r.headers.emplace_back("Set-Cookie", std::string(kSessionCookie) + "=" + session_key_ +
                                           "; Path=/; HttpOnly; SameSite=Strict");
  return r;
}

absl::StatusOr<nlohmann::json> HttpApiServer::LiveEvent(const std::string& job_id) {
  auto live = controller_.LiveProgress(job_id);
  if (!live.ok()) return live.status();
  nlohmann::json out;
  out["job"] = ToJson(live->job);
  out["final"] = live->final;
  out["elapsed_s"] = live->elapsed_s;
  out["agents_running"] = live->agents_running;
  out["latest"] = IntervalJson(live->latest);
  out["targets"] = nlohmann::json::array();
  for (const auto& [name, p] : live->targets) {
    nlohmann::json t = IntervalJson(p);
    t["target"] = name;
    out["targets"].push_back(std::move(t));
  }
  out["agents"] = nlohmann::json::array();
  for (const AgentRecord& a : live->agents) {
    out["agents"].push_back({{"name", a.name}, {"host", a.host}, {"state", a.state},
                             {"error", a.error}});
  }
  // Planned seconds from the spec (0 when a phase ends by count): progress = elapsed / planned.
  double planned_s = 0;
  if (auto spec = ParseJobSpec(live->spec_json, job_id); spec.ok()) planned_s = PlannedSeconds(*spec);
  out["planned_s"] = planned_s;
  out["progress"] = live->final ? 1.0
                    : planned_s > 0 ? std::min(1.0, live->elapsed_s / planned_s)
                                    : 0.0;
  return out;
}

}  // namespace vexbench
