// Test support: real local servers for the engine to drive, all on 127.0.0.1.
#ifndef VEXBENCH_TESTS_INTEGRATION_SUPPORT_SERVERS_H_
#define VEXBENCH_TESTS_INTEGRATION_SUPPORT_SERVERS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "tests/integration/support/subprocess.h"

namespace vexbench::testing {

// A free TCP port on 127.0.0.1 (bound then released; nothing listens on it afterwards).
uint16_t FreePort();

struct NginxOptions {
  // Network namespace to run in (netns.h), "" for the test's own.
  std::string netns;
  // Address to listen on, inside `netns`.
  std::string address = "127.0.0.1";
  // Extra directives inside http { } and server { }, e.g. a limit_req zone and its use to
  // make a slower server out of real nginx.
  std::string http_config;
  std::string server_config;
};

// nginx (Debian nginx-light) with its own config in a temp dir: one process (master_process
// off, so SIGSTOP stalls the whole server), access_log off, keep-alive without limit, the
// default 612-byte page at /index.html and stub_status at /nginx_status.
class NginxServer {
 public:
  NginxServer() : NginxServer(NginxOptions{}) {}
  explicit NginxServer(const NginxOptions& options);
  ~NginxServer();
  uint16_t port() const { return port_; }
  std::string Url(const std::string& path = "/index.html") const;
  // Requests nginx has read so far (stub_status "requests", which counts this query too).
  int64_t RequestsServed() const;
  void Pause() const;   // SIGSTOP
  void Resume() const;  // SIGCONT
  int pid() const;      // the one nginx process (master_process off)

 private:
  NginxOptions options_;
  std::string dir_;
  uint16_t port_ = 0;
  std::unique_ptr<Subprocess> process_;
};

// A TCP server on its own thread. Mode kGarbage answers every request with bytes that are not
// HTTP; kHung accepts and reads but never answers; kClose closes the connection on each request.
class RawServer {
 public:
  enum class Mode { kGarbage, kHung, kClose };
  explicit RawServer(Mode mode);
  ~RawServer();
  uint16_t port() const { return port_; }

 private:
  void Serve();
  Mode mode_;
  uint16_t port_ = 0;  // declared before listen_fd_: set while listen_fd_ is initialised
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// One blocking HTTP/1.0 GET on 127.0.0.1:port; returns the whole answer ("" on failure).
std::string HttpGet(uint16_t port, const std::string& path);
// The same on `address`:port (IPv4), from inside network namespace `netns` when not empty.
std::string HttpGet(const std::string& address, uint16_t port, const std::string& path,
                    const std::string& netns = "");

}  // namespace vexbench::testing

#endif  // VEXBENCH_TESTS_INTEGRATION_SUPPORT_SERVERS_H_
