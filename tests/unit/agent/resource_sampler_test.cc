#include "agent/resource_sampler.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>

namespace vexbench {
namespace {

namespace fs = std::filesystem;

// A directory laid out like /proc (or a cgroup) with the files the sampler reads.
class FakeRoot {
 public:
  FakeRoot() {
    std::random_device random;
    path_ = fs::temp_directory_path() /
            ("vexbench_sampler_" + std::to_string(getpid()) + "_" + std::to_string(random()));
    fs::create_directories(path_);
  }
  ~FakeRoot() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  void Write(const std::string& relative, const std::string& content) const {
    fs::create_directories((path_ / relative).parent_path());
    std::ofstream(path_ / relative, std::ios::binary) << content;
  }
  // A process: statm resident pages, stat with comm and utime/stime ticks, cmdline.
  void Process(int pid, const std::string& comm, const std::string& argv0, int64_t resident_pages,
               int64_t utime, int64_t stime) const {
    const std::string dir = std::to_string(pid) + "/";
    Write(dir + "statm", "5000 " + std::to_string(resident_pages) + " 100 10 0 300 0\n");
    Write(dir + "stat", std::to_string(pid) + " (" + comm + ") S 1 1 1 0 -1 4194560 100 0 0 0 " +
                            std::to_string(utime) + " " + std::to_string(stime) +
                            " 0 0 20 0 1 0 100 1000 200\n");
    Write(dir + "comm", comm.substr(0, 15) + "\n");
    Write(dir + "cmdline", argv0 + std::string("\0--flag\0", 8));
  }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

const int64_t kPage = sysconf(_SC_PAGESIZE);
const double kTick = static_cast<double>(sysconf(_SC_CLK_TCK));

TEST_CASE("pid: RSS from statm and CPU from stat, comm with spaces and parentheses",
          "[sampler]") {
  FakeRoot proc;
  proc.Process(123, "we (ird) name", "/usr/bin/x", 250, 300, 200);
  ProcessSpec spec;
  spec.pid = 123;
  auto r = ResourceSampler(spec, proc.path()).Sample();
  REQUIRE(r.ok());
  CHECK(r->rss_bytes == 250 * kPage);
  CHECK(r->cpu_seconds == Approx(500 / kTick));
  CHECK(r->processes == 1);
  CHECK(r->source == "pid 123 (we (ird) name)");
  spec.pid = 124;
  auto missing = ResourceSampler(spec, proc.path()).Sample();
  CHECK(absl::IsNotFound(missing.status()));
  CHECK(missing.status().message() == "pid 124: no such process");
}

TEST_CASE("name: every process whose comm or argv[0] matches, summed", "[sampler]") {
  FakeRoot proc;
  proc.Process(10, "nginx", "nginx: master process /usr/sbin/nginx", 100, 1, 1);
  proc.Process(11, "nginx", "nginx: worker process", 300, 10, 5);
  // comm is cut to 15 characters by the kernel; argv[0]'s basename still matches.
  proc.Process(12, "a-very-long-ser", "/opt/bin/a-very-long-server-name", 50, 2, 0);
  proc.Process(13, "bash", "/bin/bash", 70, 2, 0);
  proc.Write("self", "");  // not a pid directory
  ProcessSpec spec;
  spec.name = "nginx";
  auto r = ResourceSampler(spec, proc.path()).Sample();
  REQUIRE(r.ok());
  CHECK(r->rss_bytes == 400 * kPage);
  CHECK(r->cpu_seconds == Approx(17 / kTick));
  CHECK(r->processes == 2);
  CHECK(r->source == "name nginx: 2 processes (pids 10, 11)");
  spec.name = "a-very-long-server-name";
  auto long_name = ResourceSampler(spec, proc.path()).Sample();
  REQUIRE(long_name.ok());
  CHECK(long_name->rss_bytes == 50 * kPage);
  spec.name = "postgres";
  auto none = ResourceSampler(spec, proc.path()).Sample();
  CHECK(absl::IsNotFound(none.status()));
  CHECK(none.status().message() == "no process named 'postgres'");
}

TEST_CASE("cgroup: memory.current and usage_usec, relative to the cgroup root", "[sampler]") {
  FakeRoot cgroups;
  cgroups.Write("system.slice/chroma.service/memory.current", "73400320\n");
  cgroups.Write("system.slice/chroma.service/cpu.stat",
                "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n");
  ProcessSpec spec;
  spec.cgroup = "system.slice/chroma.service";
  auto r = ResourceSampler(spec, "/proc", cgroups.path()).Sample();
  REQUIRE(r.ok());
  CHECK(r->rss_bytes == 73400320);
  CHECK(r->cpu_seconds == Approx(2.5));
  CHECK(r->source == "cgroup " + cgroups.path() + "/system.slice/chroma.service");
  spec.cgroup = "/system.slice/other.service";
  auto missing = ResourceSampler(spec, "/proc", cgroups.path()).Sample();
  CHECK(absl::IsNotFound(missing.status()));
}

TEST_CASE("the real /proc: this process has a plausible RSS and some CPU time", "[sampler]") {
  ProcessSpec spec;
  spec.pid = getpid();
  auto r = ResourceSampler(spec).Sample();
  REQUIRE(r.ok());
  CHECK(r->rss_bytes > 1024 * 1024);         // more than 1 MiB resident
  CHECK(r->rss_bytes < 8LL * 1024 * 1024 * 1024);
  CHECK(r->cpu_seconds >= 0);
}

}  // namespace
}  // namespace vexbench
