#include "adapters/http_request.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace vexbench {

std::string BuildHttpRequest(std::string_view method, const Url& url,
                             const std::map<std::string, std::string>& headers,
                             std::string_view body) {
  std::string out;
  out.append(method).append(" ").append(url.target).append(" HTTP/1.1\r\n");
  bool has_host = false;
  for (const auto& [name, value] : headers) {
    const std::string lower = absl::AsciiStrToLower(name);
    if (lower == "content-length") continue;  // always computed below
    if (lower == "host") has_host = true;
    absl::StrAppend(&out, name, ": ", value, "\r\n");
  }
  if (!has_host) {
    // An IPv6 literal is bracketed in Host, as in the URL (RFC 7230 section 5.4).
    const bool ipv6 = url.host.find(':') != std::string::npos;
    absl::StrAppend(&out, "Host: ", ipv6 ? "[" + url.host + "]" : url.host);
    if (url.port != 80) absl::StrAppend(&out, ":", url.port);
    absl::StrAppend(&out, "\r\n");
  }
  const bool method_has_body = method == "POST" || method == "PUT" || method == "PATCH";
  if (!body.empty() || method_has_body) {
    absl::StrAppend(&out, "Content-Length: ", body.size(), "\r\n");
  }
  out.append("\r\n").append(body);
  return out;
}

}  // namespace vexbench
