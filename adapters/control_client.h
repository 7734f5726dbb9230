// A small synchronous HTTP/1.1 client for adapters' control operations (create a collection,
// count, wait until ready, drop it). Off the hot path: a new connection per request is fine.
#ifndef VEXBENCH_ADAPTERS_CONTROL_CLIENT_H_
#define VEXBENCH_ADAPTERS_CONTROL_CLIENT_H_

#include <chrono>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "common/job_spec.h"

namespace vexbench {

struct ControlResponse {
  int status = 0;
  std::string body;
};

class ControlClient {
 public:
  // `headers` are sent with every request (e.g. an API key).
  ControlClient(Url base, std::map<std::string, std::string> headers,
                Duration timeout = std::chrono::seconds(30));

  // `path` is appended to the base URL's path. A transport failure (refused, timeout, a
  // malformed answer) is an error naming the method and URL; any HTTP status is a response.
  absl::StatusOr<ControlResponse> Request(const std::string& method, const std::string& path,
                                          const std::string& body = "") const;

  const Url& base() const { return base_; }

 private:
  Url base_;
  std::map<std::string, std::string> headers_;
  Duration timeout_;
};

// "POST http://host:port/path: 404 {\"error\": ...}" with the body cut to 300 bytes: for
// errors that quote what the target answered.
std::string DescribeAnswer(const std::string& method, const Url& base, const std::string& path,
                           const ControlResponse& response);

}  // namespace vexbench

#endif  // VEXBENCH_ADAPTERS_CONTROL_CLIENT_H_
