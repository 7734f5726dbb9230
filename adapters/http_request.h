// Builds HTTP/1.1 request bytes once, ahead of the hot path.
#ifndef VEXBENCH_ADAPTERS_HTTP_REQUEST_H_
#define VEXBENCH_ADAPTERS_HTTP_REQUEST_H_

#include <map>
#include <string>
#include <string_view>

#include "common/job_spec.h"

namespace vexbench {

// "METHOD target HTTP/1.1\r\nHost: ...\r\n<headers>Content-Length: N\r\n\r\n<body>".
// Adds Host (unless given) and Content-Length (when there is a body or the method usually has
// one); keeps the connection alive (HTTP/1.1 default).
std::string BuildHttpRequest(std::string_view method, const Url& url,
                             const std::map<std::string, std::string>& headers,
                             std::string_view body);

}  // namespace vexbench

#endif  // VEXBENCH_ADAPTERS_HTTP_REQUEST_H_
