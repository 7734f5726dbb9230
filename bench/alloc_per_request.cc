// Heap allocations per request of the load engine in steady state, closed loop.
//
//   alloc_bench URL [SECONDS] [CONNECTIONS]      (defaults: 4 s, 32 connections, 1 thread)
//
// Runs the agent's engine in process (Engine + ShardRunner, as `vexbench run` does) against
// URL and counts every heap allocation of the process: malloc, calloc, realloc,
// posix_memalign, aligned_alloc and memalign are replaced (glibc supports replacing them by
// symbol interposition) and so are the global operator new/new[] (all forms), which are
// counted separately and then take their memory from the counted malloc. Each count is kept
// per kind of thread: the engine thread (the hot path) and every other thread (the shard
// runner, which drains, encodes and sends one Interval message per second).
//
// The counters are sampled when each Interval message reaches the sink; allocations between
// two samples divided by the requests of the later interval is that interval's ratio. The
// first interval (connections being opened) and the last one (drain, teardown) are left out
// of the steady-state figures.
//
// ALLOC_BENCH_STACKS=1 also prints the call stacks of the first engine-thread allocations made
// after the first interval (addresses; resolve them with addr2line -Cfe build/bench/alloc_bench).
#include <execinfo.h>
#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <new>
#include <string>
#include <vector>

#include "agent/engine.h"
#include "agent/shard_runner.h"
#include "boost/asio/post.hpp"
#include "common/clock.h"
#include "common/job_spec.h"

// glibc's own allocator, under its internal names.
extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t n, size_t size);
void* __libc_realloc(void* p, size_t size);
void* __libc_memalign(size_t alignment, size_t size);
void __libc_free(void* p);
}

namespace {

enum ThreadKind { kOtherThread = 0, kEngineThread = 1, kThreadKinds = 2 };

// Written with relaxed atomics from every thread; read by the sink between intervals.
std::atomic<uint64_t> g_mallocs[kThreadKinds];    // every malloc-family allocation
std::atomic<uint64_t> g_news[kThreadKinds];       // of which, by operator new
std::atomic<uint64_t> g_bytes[kThreadKinds];      // bytes requested
thread_local ThreadKind t_kind = kOtherThread;

// Stacks of engine-thread allocations once g_capture_stacks is set (only the engine thread
// writes them; read after it has been joined).
constexpr int kMaxStacks = 8;
constexpr int kStackDepth = 24;
std::atomic<bool> g_capture_stacks{false};
void* g_stacks[kMaxStacks][kStackDepth];
int g_stack_depths[kMaxStacks];
int g_stack_count = 0;
thread_local bool t_in_capture = false;

inline void CountMalloc(size_t size) {
  g_mallocs[t_kind].fetch_add(1, std::memory_order_relaxed);
  g_bytes[t_kind].fetch_add(size, std::memory_order_relaxed);
  if (t_kind == kEngineThread && g_capture_stacks.load(std::memory_order_relaxed) &&
      g_stack_count < kMaxStacks && !t_in_capture) {
    t_in_capture = true;
    g_stack_depths[g_stack_count] = backtrace(g_stacks[g_stack_count], kStackDepth);
    ++g_stack_count;
    t_in_capture = false;
  }
}

void* CountedNew(size_t size) {
  g_news[t_kind].fetch_add(1, std::memory_order_relaxed);
  if (size == 0) size = 1;
  void* p = std::malloc(size);  // counted there
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void* CountedAlignedNew(size_t size, std::align_val_t alignment) {
  g_news[t_kind].fetch_add(1, std::memory_order_relaxed);
  if (size == 0) size = 1;
  void* p = aligned_alloc(static_cast<size_t>(alignment),
                          (size + static_cast<size_t>(alignment) - 1) &
                              ~(static_cast<size_t>(alignment) - 1));
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

// The malloc family (C linkage, interposes glibc's).
extern "C" {
void* malloc(size_t size) {
  CountMalloc(size);
  return __libc_malloc(size);
}
void* calloc(size_t n, size_t size) {
  CountMalloc(n * size);
  return __libc_calloc(n, size);
}
void* realloc(void* p, size_t size) {
  CountMalloc(size);
  return __libc_realloc(p, size);
}
void free(void* p) { __libc_free(p); }
void* memalign(size_t alignment, size_t size) {
  CountMalloc(size);
  return __libc_memalign(alignment, size);
}
void* aligned_alloc(size_t alignment, size_t size) {
  CountMalloc(size);
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, size_t alignment, size_t size) {
  if (alignment < sizeof(void*) || (alignment & (alignment - 1)) != 0) return EINVAL;
  CountMalloc(size);
  void* p = __libc_memalign(alignment, size);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}
}

// The global operator new/delete, all forms.
void* operator new(size_t size) { return CountedNew(size); }
void* operator new[](size_t size) { return CountedNew(size); }
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  try {
    return CountedNew(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](size_t size, const std::nothrow_t&) noexcept {
  try {
    return CountedNew(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(size_t size, std::align_val_t a) { return CountedAlignedNew(size, a); }
void* operator new[](size_t size, std::align_val_t a) { return CountedAlignedNew(size, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

struct Counts {
  uint64_t mallocs[kThreadKinds];
  uint64_t news[kThreadKinds];
  uint64_t bytes[kThreadKinds];
};

Counts ReadCounts() {
  Counts c;
  for (int k = 0; k < kThreadKinds; ++k) {
    c.mallocs[k] = g_mallocs[k].load(std::memory_order_relaxed);
    c.news[k] = g_news[k].load(std::memory_order_relaxed);
    c.bytes[k] = g_bytes[k].load(std::memory_order_relaxed);
  }
  return c;
}

struct Sample {
  Counts counts;        // when the Interval message arrived
  int64_t seq = 0;
  int64_t requests = 0;  // of that interval
  int64_t errors = 0;
  int64_t length_us = 0;
};

// Records the counters when each Interval arrives. Send is called by the shard runner's
// thread only; the samples are read after Run() returns.
class SamplingSink final : public vexbench::ShardSink {
 public:
  explicit SamplingSink(bool capture_stacks) : capture_stacks_(capture_stacks) {
    samples_.reserve(4096);
  }

  void Send(vexbench::v1::AgentMessage message) override {
    const Counts counts = ReadCounts();
    if (capture_stacks_ && message.has_interval()) g_capture_stacks = true;
    if (message.has_interval()) {
      Sample s{.counts = counts, .seq = message.interval().seq()};
      s.length_us = message.interval().length_us();
      for (const auto& series : message.interval().series()) {
        s.requests += series.counters().requests();
        s.errors += series.counters().errors();
      }
      samples_.push_back(s);
    } else if (message.has_phase_end() && !message.phase_end().error().empty()) {
      error_ = message.phase_end().error();
    } else if (message.has_done() && !message.done().ok()) {
      error_ = message.done().error();
    }
  }

  const std::vector<Sample>& samples() const { return samples_; }
  const std::string& error() const { return error_; }

 private:
  const bool capture_stacks_;
  std::vector<Sample> samples_;  // reserved: no allocation of ours inside the window
  std::string error_;
};

double Ratio(uint64_t a, int64_t b) { return b > 0 ? static_cast<double>(a) / b : 0.0; }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: alloc_bench URL [SECONDS] [CONNECTIONS]\n");
    return 2;
  }
  const std::string url = argv[1];
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 4;
  const int connections = argc > 3 ? std::atoi(argv[3]) : 32;
  if (seconds < 3 || connections < 1) {
    std::fprintf(stderr, "alloc_bench: SECONDS must be at least 3 and CONNECTIONS at least 1\n");
    return 2;
  }
  const std::string yaml = "name: alloc\n"
                           "targets:\n"
                           "  - {name: web, kind: http, url: \"" + url + "\"}\n"
                           "phases:\n"
                           "  - {name: closed, op: request, concurrency: " +
                           std::to_string(connections) + ", duration: " +
                           std::to_string(seconds) + "s}\n";
  auto spec = vexbench::ParseJobSpec(yaml, "alloc_bench");
  if (!spec.ok()) {
    std::fprintf(stderr, "alloc_bench: %s\n", std::string(spec.status().message()).c_str());
    return 2;
  }

  const char* stacks_env = std::getenv("ALLOC_BENCH_STACKS");
  const bool capture_stacks = stacks_env != nullptr && std::string(stacks_env) == "1";
  if (capture_stacks) {  // the first backtrace() loads libgcc_s: do it before counting
    void* warm[4];
    backtrace(warm, 4);
  }
  vexbench::Engine engine(1);
  std::promise<void> tagged;
  boost::asio::post(engine.context(0), [&tagged] {
    t_kind = kEngineThread;
    tagged.set_value();
  });
  tagged.get_future().wait();

  SamplingSink sink(capture_stacks);
  const int64_t start_at = vexbench::UnixMicrosNow() + 50'000;
  vexbench::ShardRunner runner(engine, *std::move(spec), {"alloc", 0, 1, start_at}, sink);
  const Counts before = ReadCounts();
  runner.Run();
  const Counts after = ReadCounts();

  if (!sink.error().empty()) {
    std::fprintf(stderr, "alloc_bench: the phase failed: %s\n", sink.error().c_str());
    return 1;
  }
  const std::vector<Sample>& s = sink.samples();
  std::printf("alloc_bench: %s, closed loop, 1 engine thread, %d connections, %d s\n",
              url.c_str(), connections, seconds);
  std::printf("%4s %9s %7s %10s %10s %10s %10s %12s\n", "int", "requests", "errors",
              "eng.alloc", "eng./req", "other", "other/req", "all/req");
  int64_t steady_requests = 0;
  uint64_t steady_engine = 0, steady_other = 0, steady_engine_new = 0, steady_other_bytes = 0;
  int steady_intervals = 0;
  for (size_t i = 1; i < s.size(); ++i) {
    const uint64_t eng = s[i].counts.mallocs[kEngineThread] - s[i - 1].counts.mallocs[kEngineThread];
    const uint64_t oth = s[i].counts.mallocs[kOtherThread] - s[i - 1].counts.mallocs[kOtherThread];
    const bool steady = i + 1 < s.size() && s[i].length_us >= 900'000;  // not the last sliver
    std::printf("%4lld %9lld %7lld %10llu %10.4f %10llu %10.4f %12.4f%s\n",
                static_cast<long long>(s[i].seq), static_cast<long long>(s[i].requests),
                static_cast<long long>(s[i].errors), static_cast<unsigned long long>(eng),
                Ratio(eng, s[i].requests), static_cast<unsigned long long>(oth),
                Ratio(oth, s[i].requests), Ratio(eng + oth, s[i].requests),
                steady ? "" : "   (not steady: excluded)");
    if (!steady) continue;
    ++steady_intervals;
    steady_requests += s[i].requests;
    steady_engine += eng;
    steady_other += oth;
    steady_engine_new += s[i].counts.news[kEngineThread] - s[i - 1].counts.news[kEngineThread];
    steady_other_bytes += s[i].counts.bytes[kOtherThread] - s[i - 1].counts.bytes[kOtherThread];
  }
  if (steady_intervals == 0 || steady_requests == 0) {
    std::fprintf(stderr, "alloc_bench: no steady-state interval with requests (run longer?)\n");
    return 1;
  }
  const uint64_t whole_run = (after.mallocs[0] + after.mallocs[1]) -
                             (before.mallocs[0] + before.mallocs[1]);
  std::printf("\nsteady state: %d intervals (interval 0 and the last are excluded), %lld requests\n",
              steady_intervals, static_cast<long long>(steady_requests));
  std::printf("  raw ratio, all threads:           %.5f allocations/request\n",
              Ratio(steady_engine + steady_other, steady_requests));
  std::printf("  engine thread (hot path):         %.5f allocations/request "
              "(%llu allocations, %llu by operator new)\n",
              Ratio(steady_engine, steady_requests),
              static_cast<unsigned long long>(steady_engine),
              static_cast<unsigned long long>(steady_engine_new));
  std::printf("  other threads (interval reports): %.1f allocations/interval, %.0f bytes/interval"
              " = %.5f allocations/request at this rate\n",
              static_cast<double>(steady_other) / steady_intervals,
              static_cast<double>(steady_other_bytes) / steady_intervals,
              Ratio(steady_other, steady_requests));
  std::printf("whole run (setup, all intervals, teardown): %llu allocations\n",
              static_cast<unsigned long long>(whole_run));
  if (capture_stacks) {
    g_capture_stacks = false;
    std::printf("\nstacks of the first %d engine-thread allocations after interval 0:\n",
                g_stack_count);
    std::fflush(stdout);
    for (int i = 0; i < g_stack_count; ++i) {
      std::printf("--- allocation %d\n", i + 1);
      std::fflush(stdout);
      backtrace_symbols_fd(g_stacks[i], g_stack_depths[i], STDOUT_FILENO);
    }
  }
  return 0;
}
