// `vexbench run` against file-system targets (kind fs): a real FUSE mount (bindfs), the same
// mount hung mid-run (its bindfs process SIGSTOPped), and the vexfs flavour on a plain
// directory. Every mount is undone by a guard, whatever the test's outcome.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/integration/support/subprocess.h"

namespace vexbench::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

bool InPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (access((dir + "/" + program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// Why FUSE tests cannot run here, or "" when they can.
std::string FuseUnavailable() {
  if (access("/dev/fuse", R_OK | W_OK) != 0) return "/dev/fuse is absent or not usable";
  if (!InPath("bindfs")) return "bindfs is not installed (Debian package bindfs)";
  if (!InPath("fusermount3")) return "fusermount3 is not installed (Debian package fuse3)";
  return "";
}

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// `bindfs -f SRC MNT` in the foreground (so its pid is the FUSE server's) over a fresh temp dir.
// The destructor resumes it if paused and unmounts (lazily if need be): no mount outlives it.
class BindfsMount {
 public:
  BindfsMount()
      : dir_(MakeTempDir("fs-bindfs")), source_(dir_ + "/src"), mount_point_(dir_ + "/mnt") {
    std::filesystem::create_directories(source_);
    std::filesystem::create_directories(mount_point_);
    bindfs_ = std::make_unique<Subprocess>(
        std::vector<std::string>{"bindfs", "-f", source_, mount_point_}, dir_ + "/bindfs");
    const auto until = SteadyClock::now() + 10s;
    while (!Mounted() && SteadyClock::now() < until) std::this_thread::sleep_for(20ms);
    if (!Mounted()) {
      Release();
      FAIL("bindfs did not mount " << mount_point_ << ": " << ReadFile(dir_ + "/bindfs.err"));
    }
  }
  ~BindfsMount() { Release(); }
  BindfsMount(const BindfsMount&) = delete;
  BindfsMount& operator=(const BindfsMount&) = delete;

  const std::string& source() const { return source_; }
  const std::string& mount_point() const { return mount_point_; }
  void Pause() const { bindfs_->Signal(SIGSTOP); }
  void Resume() const {
    if (bindfs_ != nullptr) bindfs_->Signal(SIGCONT);
  }

  // From the kernel's mount table, without touching the mount itself (it may be hung).
  bool Mounted() const {
    std::ifstream in("/proc/self/mountinfo");
    for (std::string line; std::getline(in, line);) {
      std::istringstream fields(line);
      std::string id, parent, device, root, point;
      fields >> id >> parent >> device >> root >> point;
      if (point == mount_point_) return true;
    }
    return false;
  }

 private:
  static void Run(const std::vector<std::string>& argv, const std::string& log) {
    Subprocess p(argv, log);
    p.Wait(10s);
  }

  void Release() {
    Resume();
    if (Mounted()) Run({"fusermount3", "-u", mount_point_}, dir_ + "/umount");
    if (bindfs_ != nullptr && bindfs_->Wait(5s) == -1) bindfs_->Signal(SIGKILL);
    bindfs_.reset();  // reaps it
    if (Mounted()) Run({"fusermount3", "-uz", mount_point_}, dir_ + "/umount-lazy");
    CHECK_FALSE(Mounted());
  }

  std::string dir_;
  std::string source_;
  std::string mount_point_;
  std::unique_ptr<Subprocess> bindfs_;
};

// Resumes a paused mount when it goes out of scope. Declared after the vexbench process, so it
// runs before that process is reaped: a process holding a file of a stopped FUSE server open
// cannot finish exiting (the kernel waits for the server to answer FLUSH).
class ResumeOnExit {
 public:
  explicit ResumeOnExit(const BindfsMount& mount) : mount_(mount) {}
  ~ResumeOnExit() { mount_.Resume(); }

 private:
  const BindfsMount& mount_;
};

const json& Result(const json& report, const std::string& phase) {
  for (const json& r : report["results"]) {
    if (r["phase"] == phase) return r;
  }
  FAIL("no result for phase " << phase << " in " << report.dump());
  static json none;
  return none;
}

int64_t Timeouts(const json& result) { return result["errors_by_class"]["timeout"].get<int64_t>(); }

TEST_CASE("fs: a files phase on a real FUSE mount (bindfs)", "[fs][fuse]") {
  if (const std::string why = FuseUnavailable(); !why.empty()) {
    WARN("SKIPPED: " << why);
    return;
  }
  BindfsMount mount;
  const std::string dir = MakeTempDir("fs-files");
  WriteFile(dir + "/job.yaml",
            "name: fs-files\n"
            "targets: [{name: fuse, kind: fs, path: \"" +
                mount.mount_point() +
                "\"}]\n"
                "phases: [{name: cycle, op: files, concurrency: 4, duration: 2s}]\n");
  const RunResult r =
      RunVexbench({"run", dir + "/job.yaml", "--out", dir + "/out"}, dir + "/v", 60s);
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.exit_code == 0);
  const json report = json::parse(ReadFile(dir + "/out/report.json"));
  CHECK(report["job"]["state"] == "succeeded");
  const json& cycle = Result(report, "cycle");
  CHECK(cycle["op"] == "files");
  CHECK(cycle["requests"].get<int64_t>() > 100);
  CHECK(cycle["errors"] == 0);
  CHECK(cycle["items"] == cycle["requests"]);
  CHECK(cycle["bytes_sent"].get<int64_t>() == 4096 * cycle["requests"].get<int64_t>());
  CHECK(cycle["bytes_received"] == cycle["bytes_sent"]);
  // Teardown removed the working directory, through the mount.
  CHECK_FALSE(std::filesystem::exists(mount.source() + "/vexbench-run"));
  CHECK(std::filesystem::is_empty(mount.source()));
}

TEST_CASE("fs: a FUSE server stopped mid-run: timeouts, and the job ends by its deadline",
          "[fs][fuse][hung]") {
  if (const std::string why = FuseUnavailable(); !why.empty()) {
    WARN("SKIPPED: " << why);
    return;
  }
  BindfsMount mount;
  const std::string dir = MakeTempDir("fs-hung");
  WriteFile(
      dir + "/job.yaml",
      "name: fs-hung\n"
      "targets: [{name: fuse, kind: fs, path: \"" +
          mount.mount_point() +
          "\"}]\n"
          "phases: [{name: hung, op: files, concurrency: 2, duration: 3s, timeout: 500ms}]\n");
  const std::string report_path = dir + "/out/report.json";
  const auto start = SteadyClock::now();
  Subprocess vexbench({VEXBENCH_BINARY, "run", dir + "/job.yaml", "--out", dir + "/out"},
                      dir + "/v");
  ResumeOnExit resume(mount);
  std::this_thread::sleep_for(1s);
  mount.Pause();

  // The job must end while the server is still stopped: its report appears.
  json report;
  double report_seconds = -1;
  while (SecondsSince(start) < 20) {
    const std::string text = ReadFile(report_path);
    if (!text.empty()) {
      report = json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (!report.is_discarded()) {
        report_seconds = SecondsSince(start);
        break;
      }
    }
    std::this_thread::sleep_for(50ms);
  }
  mount.Resume();
  const int exit_code = vexbench.Wait(20s);
  INFO("stdout:\n" << vexbench.Stdout() << "\nstderr:\n" << vexbench.Stderr());
  INFO("report written after " << report_seconds << " s");
  REQUIRE(report_seconds > 0);
  // Deadline 3 s + one 500 ms timeout + teardown giving up on the hung mount (2 s without
  // progress) + start-up and slack.
  CHECK(report_seconds < 3.0 + 0.5 + 2.0 + 2.5);
  CHECK(exit_code == 0);
  CHECK(report["job"]["state"] == "succeeded");
  const json& hung = Result(report, "hung");
  // Two workers, stopped for about 2 s, each operation given up on after 500 ms: about 8.
  CHECK(Timeouts(hung) >= 4);
  CHECK(Timeouts(hung) <= 12);
  CHECK(hung["errors"] == Timeouts(hung));                      // nothing else went wrong
  CHECK(hung["requests"].get<int64_t>() > Timeouts(hung));      // cycles before the stop succeeded
  CHECK_THAT(vexbench.Stdout(), Catch::Contains("abandoned"));  // the agent's log
}

// Contract (vexfs-contract.md, FUSE): "A vector is a file named `*.vec` whose content is the
// vector as comma-separated decimal text (`0.12,-0.5,...`)"; search goes through
// `/_vexfs/search`, which a plain directory does not have.
TEST_CASE("fs flavour vexfs on a plain directory: .vec files, and searches that fail",
          "[fs][vexfs]") {
  const std::string target = MakeTempDir("fs-vexfs-target");
  const std::string dir = MakeTempDir("fs-vexfs");
  WriteFile(
      dir + "/job.yaml",
      "name: fs-vexfs\n"
      "dataset: {kind: synthetic, count: 200, dim: 16, queries: 20, seed: 5}\n"
      "targets: [{name: vex, kind: fs, flavour: vexfs, keep: true, path: \"" +
          target +
          "\"}]\n"
          "phases:\n"
          "  - {name: load, op: insert, concurrency: 2}\n"
          "  - {name: search, op: query, k: 10, concurrency: 2, duration: 1s, timeout: 300ms}\n");
  const RunResult r =
      RunVexbench({"run", dir + "/job.yaml", "--out", dir + "/out"}, dir + "/v", 60s);
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.seconds < 10);
  const json report = json::parse(ReadFile(dir + "/out/report.json"));
  const json& load = Result(report, "load");
  CHECK(load["requests"] == 200);
  CHECK(load["items"] == 200);
  CHECK(load["errors"] == 0);
  CHECK(load["count_after"] == 200);

  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(target + "/vexbench-run")) {
    const std::string name = entry.path().filename().string();
    INFO(name);
    REQUIRE(name.size() > 4);
    CHECK(name.substr(name.size() - 4) == ".vec");
    const int id = std::stoi(name.substr(0, name.size() - 4));
    CHECK((id >= 0 && id < 200));
    const std::string text = ReadFile(entry.path().string());
    INFO(text);
    CHECK(text.find_first_not_of("0123456789.,-") == std::string::npos);  // plain decimals
    std::istringstream fields(text);
    int n = 0;
    for (std::string field; std::getline(fields, field, ',');) {
      char* end = nullptr;
      std::strtof(field.c_str(), &end);
      CHECK((!field.empty() && *end == '\0'));
      ++n;
    }
    CHECK(n == 16);
    ++files;
  }
  CHECK(files == 200);

  const json& search = Result(report, "search");
  CHECK(search["requests"].get<int64_t>() > 0);
  CHECK(search["errors"] == search["requests"]);
  CHECK(search["errors_by_class"]["other"] == search["requests"]);  // open(): ENOENT
  CHECK_THAT(r.out, Catch::Contains("_vexfs/search") && Catch::Contains("No such file"));
}

}  // namespace
}  // namespace vexbench::testing
