// Test support: a real ChromaDB 1.0 server (npm package, installed by scripts/lib.sh's
// ensure_chroma into the build directory) on a free 127.0.0.1 port with its own data dir.
#ifndef VEXBENCH_TESTS_INTEGRATION_SUPPORT_CHROMA_SERVER_H_
#define VEXBENCH_TESTS_INTEGRATION_SUPPORT_CHROMA_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "tests/integration/support/subprocess.h"

namespace vexbench::testing {

class ChromaServer {
 public:
  // The installation directory, or "" when ChromaDB is not installed (tests then skip).
  static std::string InstallDir();
  ChromaServer();   // starts it and waits for /api/v2/heartbeat (throws on failure)
  ~ChromaServer();  // SIGINT (SIGTERM was seen to leave a newer build spinning), then SIGKILL
  uint16_t port() const { return port_; }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return process_->pid(); }

 private:
  std::string dir_;
  uint16_t port_ = 0;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace vexbench::testing

#endif  // VEXBENCH_TESTS_INTEGRATION_SUPPORT_CHROMA_SERVER_H_
