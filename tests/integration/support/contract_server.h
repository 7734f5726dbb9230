// Test support: an HTTP/1.1 server on 127.0.0.1 that records every request and answers from a
// handler: the stand-in for servers that cannot run here (Qdrant, Weaviate, VexFS), with the
// answers the published specs give.
#ifndef VEXBENCH_TESTS_INTEGRATION_SUPPORT_CONTRACT_SERVER_H_
#define VEXBENCH_TESTS_INTEGRATION_SUPPORT_CONTRACT_SERVER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vexbench::testing {

class ContractServer {
 public:
  struct Request {
    std::string method;
    std::string target;  // path and query
    std::string body;
    std::map<std::string, std::string> headers;  // names lower-cased
  };
  struct Answer {
    int status = 200;
    std::string body = "{}";
    std::string content_type = "application/json";
  };
  // Called on the server's threads, one call per request; must be thread-safe.
  using Handler = std::function<Answer(const Request&)>;

  explicit ContractServer(Handler handler);
  ~ContractServer();
  uint16_t port() const { return port_; }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Every request received so far, in arrival order.
  std::vector<Request> requests() const;

 private:
  void Accept();
  void Serve(int fd);

  Handler handler_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::vector<Request> requests_;
  std::vector<std::thread> connections_;
  std::vector<int> fds_;
};

}  // namespace vexbench::testing

#endif  // VEXBENCH_TESTS_INTEGRATION_SUPPORT_CONTRACT_SERVER_H_
