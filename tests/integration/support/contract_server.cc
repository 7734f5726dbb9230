#include "tests/integration/support/contract_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace vexbench::testing {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 500: return "Internal Server Error";
    default: return "Status";
  }
}

// Reads one request (Content-Length bodies) from `buffer` + the socket; false at EOF.
bool ReadRequest(int fd, std::string& buffer, ContractServer::Request& out) {
  size_t header_end;
  char chunk[65536];
  while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = read(fd, chunk, sizeof chunk);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(n));
  }
  const std::string head = buffer.substr(0, header_end);
  out = {};
  size_t line_end = head.find("\r\n");
  const std::string request_line = head.substr(0, line_end);
  const size_t sp1 = request_line.find(' '), sp2 = request_line.rfind(' ');
  out.method = request_line.substr(0, sp1);
  out.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t content_length = 0;
  while (line_end != std::string::npos && line_end < head.size()) {
    const size_t next = head.find("\r\n", line_end + 2);
    const std::string line = head.substr(line_end + 2, next == std::string::npos ? std::string::npos
                                                                                 : next - line_end - 2);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      out.headers[Lower(line.substr(0, colon))] = value;
      if (Lower(line.substr(0, colon)) == "content-length") content_length = std::stoul(value);
    }
    line_end = next;
  }
  buffer.erase(0, header_end + 4);
  while (buffer.size() < content_length) {
    const ssize_t n = read(fd, chunk, sizeof chunk);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(n));
  }
  out.body = buffer.substr(0, content_length);
  buffer.erase(0, content_length);
  return true;
}

}  // namespace

ContractServer::ContractServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 256) != 0) {
    throw std::runtime_error("ContractServer: cannot listen on 127.0.0.1");
  }
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
}

ContractServer::~ContractServer() {
  stop_ = true;
  acceptor_.join();
  {
    std::lock_guard lock(mu_);
    for (int fd : fds_) shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : connections_) t.join();
  close(listen_fd_);
}

std::vector<ContractServer::Request> ContractServer::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

void ContractServer::Accept() {
  pollfd p{listen_fd_, POLLIN, 0};
  while (!stop_) {
    if (poll(&p, 1, 50) <= 0) continue;
    const int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    std::lock_guard lock(mu_);
    fds_.push_back(fd);
    connections_.emplace_back([this, fd] { Serve(fd); });
  }
}

void ContractServer::Serve(int fd) {
  std::string buffer;
  Request request;
  while (!stop_ && ReadRequest(fd, buffer, request)) {
    {
      std::lock_guard lock(mu_);
      requests_.push_back(request);
    }
    const Answer answer = handler_(request);
    const std::string response = "HTTP/1.1 " + std::to_string(answer.status) + " " +
                                 Reason(answer.status) + "\r\nContent-Type: " +
                                 answer.content_type + "\r\nContent-Length: " +
                                 std::to_string(answer.body.size()) + "\r\n\r\n" + answer.body;
    size_t sent = 0;
    while (sent < response.size()) {
      const ssize_t n = write(fd, response.data() + sent, response.size() - sent);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
  }
  close(fd);
}

}  // namespace vexbench::testing
