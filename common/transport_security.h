// TLS and tokens for the gRPC links (controller <-> agents, CLI -> controller).
//
// Server: --tls-cert/--tls-key serve TLS; adding --tls-ca requires and verifies client
// certificates signed by that CA (mutual TLS).
// Client: --tls-ca verifies the server against that CA (TLS on); --tls-cert/--tls-key present a
// client certificate (for mutual TLS). Without any of them the link is plaintext.
#ifndef VEXBENCH_COMMON_TRANSPORT_SECURITY_H_
#define VEXBENCH_COMMON_TRANSPORT_SECURITY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"

namespace vexbench {

struct TlsFiles {
  std::string cert_file;
  std::string key_file;
  std::string ca_file;
  bool enabled() const { return !cert_file.empty() || !key_file.empty() || !ca_file.empty(); }
};

// Metadata keys. The CLI sends "authorization: Bearer TOKEN"; agents send their join token.
inline constexpr char kAuthorizationHeader[] = "authorization";
inline constexpr char kJoinTokenHeader[] = "x-vexbench-join-token";

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const TlsFiles& tls);
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& tls);

// True when `listen` (host:port) binds only loopback: 127.0.0.0/8, [::1] or localhost.
bool IsLoopbackAddress(const std::string& listen);

}  // namespace vexbench

#endif  // VEXBENCH_COMMON_TRANSPORT_SECURITY_H_
