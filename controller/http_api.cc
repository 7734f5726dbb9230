#include "controller/http_api.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <utility>

#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/http.hpp"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"

namespace vexbench {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

nlohmann::json ToJson(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return nlohmann::json::parse(out);
}

HttpApiServer::Response Error(int status, const std::string& message) {
  return {status, "application/json", nlohmann::json{{"error", message}}.dump()};
}

}  // namespace

struct HttpApiServer::Impl {
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;
  std::atomic<bool> stopping{false};
};

HttpApiServer::HttpApiServer(Controller& controller, std::string token)
    : controller_(controller), token_(std::move(token)), impl_(std::make_unique<Impl>()) {}

absl::StatusOr<std::unique_ptr<HttpApiServer>> HttpApiServer::Start(Controller& controller,
                                                                    const std::string& listen,
                                                                    std::string token) {
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
  std::unique_ptr<HttpApiServer> server(new HttpApiServer(controller, std::move(token)));
  Impl& impl = *server->impl_;
  const tcp::endpoint endpoint(address, static_cast<uint16_t>(port_number));
  impl.acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl.acceptor.bind(endpoint, ec);
  if (!ec) impl.acceptor.listen(64, ec);
  if (ec) return absl::UnavailableError("--http " + listen + ": cannot listen: " + ec.message());
  server->port_ = impl.acceptor.local_endpoint().port();
  // One request at a time on one thread: a read-only API for people and scripts, not load.
  impl.thread = std::thread([raw = server.get()] {
    Impl& impl = *raw->impl_;
    while (!impl.stopping) {
      tcp::socket socket(impl.io);
      boost::system::error_code accept_ec;
      impl.acceptor.accept(socket, accept_ec);
      if (accept_ec) continue;
      // A client that stalls cannot hold the server: reads and writes give up after 5 s.
      const timeval limit{5, 0};
      setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
      setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
      boost::beast::flat_buffer buffer;
      http::request<http::string_body> request;
      http::read(socket, buffer, request, accept_ec);
      if (accept_ec) continue;
      const auto auth = request[http::field::authorization];
      Response r = raw->Handle(std::string(request.method_string()), std::string(request.target()),
                               std::string(auth.data(), auth.size()));
      http::response<http::string_body> response{static_cast<http::status>(r.status), 11};
      response.set(http::field::content_type, r.content_type);
      response.set(http::field::cache_control, "no-store");
      response.keep_alive(false);
      response.body() = std::move(r.body);
      response.prepare_payload();
      http::write(socket, response, accept_ec);
      socket.shutdown(tcp::socket::shutdown_both, accept_ec);
    }
  });
  return server;
}

HttpApiServer::~HttpApiServer() {
  impl_->stopping = true;
  // Wake the blocking accept with a connection of our own, then join.
  boost::system::error_code ec;
  tcp::socket wake(impl_->io);
  wake.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port_)), ec);
  impl_->acceptor.close(ec);
  if (impl_->thread.joinable()) impl_->thread.join();
}

HttpApiServer::Response HttpApiServer::Handle(const std::string& method, const std::string& target,
                                              const std::string& authorization) {
  if (target == "/healthz") return {200, "text/plain", "ok\n"};
  if (method != "GET") return Error(405, "only GET is served");
  if (!token_.empty() && authorization != "Bearer " + token_) {
    return Error(401, "wrong or missing bearer token (Authorization: Bearer TOKEN)");
  }
  const std::string path = target.substr(0, target.find('?'));
  if (path == "/api/agents") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& a : controller_.ListAgents()) out.push_back(ToJson(a));
    return {200, "application/json", out.dump()};
  }
  if (path == "/api/jobs") {
    int limit = 50;
    if (const size_t q = target.find("limit="); q != std::string::npos) {
      limit = std::atoi(target.c_str() + q + 6);
    }
    auto jobs = controller_.ListJobs(limit);
    if (!jobs.ok()) return Error(500, std::string(jobs.status().message()));
    nlohmann::json out = nlohmann::json::array();
    for (const auto& j : *jobs) out.push_back(ToJson(j));
    return {200, "application/json", out.dump()};
  }
  if (path.rfind("/api/jobs/", 0) == 0) {
    auto job = controller_.GetJob(path.substr(10));
    if (!job.ok()) {
      return Error(job.status().code() == absl::StatusCode::kNotFound ? 404 : 500,
                   std::string(job.status().message()));
    }
    nlohmann::json report = job->second.empty() ? nlohmann::json::object()
                                                : nlohmann::json::parse(job->second);
    report["job"]["state"] = job->first.state();
    report["job"]["id"] = job->first.id();
    return {200, "application/json", report.dump()};
  }
  return Error(404, "no such path: " + path);
}

}  // namespace vexbench
