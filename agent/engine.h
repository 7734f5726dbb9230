// The load engine's threads: one io_context per thread, one thread per core by default.
// Everything a thread drives (connections, recorders) lives on that thread's io_context.
#ifndef VEXBENCH_AGENT_ENGINE_H_
#define VEXBENCH_AGENT_ENGINE_H_

#include <memory>
#include <thread>
#include <vector>

#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"

namespace vexbench {

class Engine {
 public:
  // Starts `threads` threads (0: one per core). Stops and joins them on destruction.
  explicit Engine(int threads);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  int threads() const { return static_cast<int>(contexts_.size()); }
  boost::asio::io_context& context(int index) { return *contexts_[index]; }

 private:
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<WorkGuard> guards_;
  std::vector<std::thread> threads_;
};

}  // namespace vexbench

#endif  // VEXBENCH_AGENT_ENGINE_H_
