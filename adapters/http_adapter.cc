#include "adapters/http_adapter.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "adapters/http_request.h"
#include "adapters/option_reader.h"

namespace vexbench {
namespace {

// Every request of the phase is the same bytes, built once.
class FixedRequestSource final : public OperationSource {
 public:
  FixedRequestSource(const std::string& request, int expect_status)
      : request_(request), expect_status_(expect_status) {}

  // OperationSource
  std::string_view NextRequest(std::string& /*scratch*/, uint64_t& /*tag*/) override {
    return request_;
  }
  Verdict Judge(uint64_t /*tag*/, int status, std::string_view /*body*/) override {
    return {.error = ClassifyStatus(status, expect_status_)};
  }
  bool needs_body() const override { return false; }

 private:
  const std::string& request_;
  const int expect_status_;
};

class HttpAdapter final : public Adapter {
 public:
  HttpAdapter(ConnectionSettings connection, std::string request, int expect_status)
      : connection_(std::move(connection)),
        request_(std::move(request)),
        expect_status_(expect_status) {}

  // Adapter
  std::string_view kind() const override { return "http"; }
  const ConnectionSettings& connection() const override { return connection_; }
  absl::Status ValidatePhase(const PhaseSpec& phase) const override {
    if (phase.op != "request") {
      return absl::InvalidArgumentError(absl::StrCat(
          phase.path, ".op: '", phase.op, "' is not an operation of http targets; expected "
          "'request'"));
    }
    return absl::OkStatus();
  }
  absl::StatusOr<OperationSourcePtr> CreateSource(const PhaseSpec& /*phase*/,
                                                  const SourceSlice& /*slice*/,
                                                  const Dataset* /*dataset*/) const override {
    return std::make_unique<FixedRequestSource>(request_, expect_status_);
  }

 private:
  const ConnectionSettings connection_;
  const std::string request_;
  const int expect_status_;
};

absl::StatusOr<std::string> ReadBodyFile(const std::string& file, const std::string& field) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": cannot read '", file, "'; expected a readable file"));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

absl::StatusOr<AdapterPtr> CreateHttpAdapter(const TargetSpec& target) {
  OptionReader options(target.options, target.path);
  auto method = options.String("method");
  if (!method.ok()) return method.status();
  auto headers = options.StringMap("headers");
  if (!headers.ok()) return headers.status();
  auto body = options.String("body");
  if (!body.ok()) return body.status();
  auto body_file = options.String("body_file");
  if (!body_file.ok()) return body_file.status();
  auto expect_status = options.Int("expect_status", 100, 599);
  if (!expect_status.ok()) return expect_status.status();
  auto max_body = options.Int("max_body_bytes", 0, int64_t{1} << 40);
  if (!max_body.ok()) return max_body.status();
  if (absl::Status s = options.RejectUnknown(); !s.ok()) return s;

  const std::string verb = method->value_or("GET");
  if (verb.empty() || verb.find_first_of(" \r\n\t") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(options.FieldPath("method"), ": '", verb,
                                                   "' is not an HTTP method; expected e.g. GET"));
  }
  if (body->has_value() && body_file->has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        options.FieldPath("body_file"), ": given together with body; expected one of them"));
  }
  std::string payload = body->value_or("");
  if (body_file->has_value()) {
    auto content = ReadBodyFile(**body_file, options.FieldPath("body_file"));
    if (!content.ok()) return content.status();
    payload = *std::move(content);
  }
  auto url = ParseUrl(target.url);
  if (!url.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(target.path, ".url: ", url.status().message()));
  }
  ConnectionSettings connection{.url = *url};
  if (max_body->has_value()) connection.max_body_bytes = static_cast<uint64_t>(**max_body);
  std::string request =
      BuildHttpRequest(verb, *url, headers->value_or(std::map<std::string, std::string>{}),
                       payload);
  return std::make_unique<HttpAdapter>(std::move(connection), std::move(request),
                                       static_cast<int>(expect_status->value_or(0)));
}

}  // namespace vexbench
