#include "tests/integration/support/servers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <stdexcept>
#include <vector>

#include "tests/integration/support/netns.h"

namespace vexbench::testing {
namespace {

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

int ListenOnFreePort(uint16_t& port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr = Loopback(0);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 512) != 0) {
    throw std::runtime_error("cannot listen on 127.0.0.1");
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

uint16_t FreePort() {
  uint16_t port = 0;
  close(ListenOnFreePort(port));
  return port;
}

std::string HttpGet(uint16_t port, const std::string& path) {
  return HttpGet("127.0.0.1", port, path);
}

std::string HttpGet(const std::string& address, uint16_t port, const std::string& path,
                    const std::string& netns) {
  if (!netns.empty()) {
    std::string answer;
    RunInNetworkNamespace(netns, [&] { answer = HttpGet(address, port, path); });
    return answer;
  }
  sockaddr_in addr = Loopback(port);
  if (inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1) return "";
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  std::string answer;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buf[4096];
      ssize_t n;
      while ((n = read(fd, buf, sizeof buf)) > 0) answer.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  return answer;
}

NginxServer::NginxServer(const NginxOptions& options)
    : options_(options), dir_(MakeTempDir("nginx")), port_(FreePort()) {
  const std::string conf = dir_ + "/nginx.conf";
  WriteFile(conf, "daemon off;\nmaster_process off;\nworker_processes 1;\n"
                  "error_log " + dir_ + "/error.log;\npid " + dir_ + "/nginx.pid;\n"
                  "events { worker_connections 4096; }\n"
                  "http {\n  access_log off;\n  keepalive_requests 1000000;\n"
                  "  keepalive_timeout 300s;\n"
                  "  client_body_temp_path " + dir_ + "/body;\n"
                  "  proxy_temp_path " + dir_ + "/proxy;\n  fastcgi_temp_path " + dir_ + "/fcgi;\n"
                  "  uwsgi_temp_path " + dir_ + "/uwsgi;\n  scgi_temp_path " + dir_ + "/scgi;\n" +
                  options_.http_config + "\n"
                  "  server {\n    listen " + options_.address + ":" + std::to_string(port_) +
                  " backlog=4096;\n"
                  "    root /usr/share/nginx/html;\n"
                  "    location = /nginx_status { stub_status; }\n" + options_.server_config +
                  "\n  }\n}\n");
  std::vector<std::string> argv;
  if (!options_.netns.empty()) argv = {"ip", "netns", "exec", options_.netns};
  argv.insert(argv.end(), {"/usr/sbin/nginx", "-c", conf, "-p", dir_});
  process_ = std::make_unique<Subprocess>(argv, dir_ + "/nginx");
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (HttpGet(options_.address, port_, "/nginx_status", options_.netns).find("requests") ==
         std::string::npos) {
    if (std::chrono::steady_clock::now() > until) {
      throw std::runtime_error("nginx did not start: " + ReadFile(dir_ + "/error.log") +
                               process_->Stderr());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

NginxServer::~NginxServer() { Resume(); }

int NginxServer::pid() const { return process_->pid(); }

std::string NginxServer::Url(const std::string& path) const {
  return "http://" + options_.address + ":" + std::to_string(port_) + path;
}

int64_t NginxServer::RequestsServed() const {
  // "server accepts handled requests\n 1 1 1 \n"
  static const std::regex kLine(R"(\n\s*(\d+)\s+(\d+)\s+(\d+)\s*\n)");
  const std::string status = HttpGet(options_.address, port_, "/nginx_status", options_.netns);
  std::smatch m;
  if (!std::regex_search(status, m, kLine)) throw std::runtime_error("bad stub_status: " + status);
  return std::stoll(m[3].str());
}

void NginxServer::Pause() const { process_->Signal(SIGSTOP); }
void NginxServer::Resume() const { process_->Signal(SIGCONT); }

RawServer::RawServer(Mode mode) : mode_(mode), port_(0), listen_fd_(ListenOnFreePort(port_)) {
  thread_ = std::thread([this] { Serve(); });
}

RawServer::~RawServer() {
  stop_ = true;
  thread_.join();
  close(listen_fd_);
}

void RawServer::Serve() {
  std::vector<pollfd> fds = {{listen_fd_, POLLIN, 0}};
  char buf[65536];
  while (!stop_) {
    if (poll(fds.data(), fds.size(), 50) <= 0) continue;
    for (size_t i = 0; i < fds.size(); ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      if (i == 0) {
        const int c = accept(listen_fd_, nullptr, nullptr);
        if (c >= 0) fds.push_back({c, POLLIN, 0});
        continue;
      }
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;  // poll ignores negative descriptors
        continue;
      }
      if (mode_ == Mode::kClose) {
        close(fds[i].fd);
        fds[i].fd = -1;
        continue;
      }
      if (mode_ == Mode::kGarbage) {
        static constexpr char kGarbage[] = "this is not HTTP at all\r\n\r\n";
        (void)!write(fds[i].fd, kGarbage, sizeof kGarbage - 1);
      }
    }
  }
  for (size_t i = 1; i < fds.size(); ++i) {
    if (fds[i].fd >= 0) close(fds[i].fd);
  }
}

}  // namespace vexbench::testing
