#include "adapters/control_client.h"

#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/core/tcp_stream.hpp"
#include "boost/beast/http.hpp"

namespace vexbench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

ControlClient::ControlClient(Url base, std::map<std::string, std::string> headers,
                             Duration timeout)
    : base_(std::move(base)), headers_(std::move(headers)), timeout_(timeout) {
  if (!base_.target.empty() && base_.target.back() == '/') base_.target.pop_back();
}

absl::StatusOr<ControlResponse> ControlClient::Request(const std::string& method,
                                                       const std::string& path,
                                                       const std::string& body) const {
  const std::string where =
      method + " http://" + base_.host + ":" + std::to_string(base_.port) + base_.target + path;
  asio::io_context io;
  beast::tcp_stream stream(io);
  asio::ip::tcp::resolver resolver(io);
  http::request<http::string_body> request{http::string_to_verb(method), base_.target + path, 11};
  request.set(http::field::host, base_.host);
  request.set(http::field::content_type, "application/json");
  request.set(http::field::accept, "application/json");
  for (const auto& [k, v] : headers_) request.set(k, v);
  request.body() = body;
  request.prepare_payload();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256ull << 20);
  beast::error_code failure;
  const auto fail = [&](beast::error_code ec) {
    if (!failure) failure = ec;
  };
  // Asynchronous operations under one deadline: the only way Beast gives every step a timeout.
  stream.expires_after(timeout_);
  resolver.async_resolve(base_.host, std::to_string(base_.port), [&](beast::error_code ec,
                                                                     auto results) {
    if (ec) return fail(ec);
    stream.async_connect(results, [&](beast::error_code ec2, auto) {
      if (ec2) return fail(ec2);
      http::async_write(stream, request, [&](beast::error_code ec3, size_t) {
        if (ec3) return fail(ec3);
        http::async_read(stream, buffer, parser, [&](beast::error_code ec4, size_t) {
          if (ec4) fail(ec4);
        });
      });
    });
  });
  io.run();
  if (failure) {
    return absl::UnavailableError(where + ": " +
                                  (failure == beast::error::timeout ? std::string("timed out")
                                                                    : failure.message()));
  }
  ControlResponse out;
  out.status = static_cast<int>(parser.get().result_int());
  out.body = std::move(parser.get().body());
  return out;
}

std::string DescribeAnswer(const std::string& method, const Url& base, const std::string& path,
                           const ControlResponse& response) {
  std::string body = response.body.substr(0, 300);
  if (response.body.size() > 300) body += "...";
  return method + " http://" + base.host + ":" + std::to_string(base.port) + base.target + path +
         ": " + std::to_string(response.status) + " " + body;
}

}  // namespace vexbench
