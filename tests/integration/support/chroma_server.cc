#include "tests/integration/support/chroma_server.h"

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "tests/integration/support/servers.h"

namespace vexbench::testing {

std::string ChromaServer::InstallDir() {
  const char* env = std::getenv("CHROMA_DIR");
  const std::string dir = env != nullptr && *env != '\0' ? env : VEXBENCH_CHROMA_DIR;
  return std::filesystem::exists(dir + "/node_modules/chromadb/dist/cli.mjs") ? dir : "";
}

ChromaServer::ChromaServer() : dir_(MakeTempDir("chroma")), port_(FreePort()) {
  const std::string install = InstallDir();
  if (install.empty()) throw std::runtime_error("ChromaDB is not installed (scripts/test does it)");
  process_ = std::make_unique<Subprocess>(
      std::vector<std::string>{"node", install + "/node_modules/chromadb/dist/cli.mjs", "run",
                               "--path", dir_ + "/data", "--host", "127.0.0.1", "--port",
                               std::to_string(port_)},
      dir_ + "/chroma");
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (HttpGet(port_, "/api/v2/heartbeat").find("heartbeat") == std::string::npos) {
    if (process_->Wait(std::chrono::milliseconds(0)) != -1 ||
        std::chrono::steady_clock::now() > until) {
      throw std::runtime_error("ChromaDB did not start: " + process_->Stderr() + process_->Stdout());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

ChromaServer::~ChromaServer() {
  process_->Signal(SIGINT);
  if (process_->Wait(std::chrono::seconds(5)) == -1) process_->Signal(SIGKILL);
}

}  // namespace vexbench::testing
