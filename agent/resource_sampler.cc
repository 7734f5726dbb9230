#include "agent/resource_sampler.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace vexbench {
namespace {

// The whole (small) file, or nullopt when it cannot be opened.
std::optional<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string TrimNewline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.pop_back();
  return s;
}

// The basename of argv[0] in a /proc/PID/cmdline (NUL-separated arguments).
std::string Argv0Basename(const std::string& cmdline) {
  const std::string argv0 = cmdline.substr(0, cmdline.find('\0'));
  const size_t slash = argv0.rfind('/');
  return slash == std::string::npos ? argv0 : argv0.substr(slash + 1);
}

}  // namespace

absl::StatusOr<ResourceReading> ReadProcessUsage(int64_t pid, const std::string& proc_root) {
  const std::string dir = absl::StrCat(proc_root, "/", pid);
  const std::optional<std::string> statm = ReadSmallFile(dir + "/statm");
  const std::optional<std::string> stat = ReadSmallFile(dir + "/stat");
  if (!statm || !stat || statm->empty() || stat->empty()) {
    return absl::NotFoundError(absl::StrCat("pid ", pid, ": no such process"));
  }
  ResourceReading r;
  // statm: size resident shared text lib data dt (pages).
  long long size_pages = 0, resident_pages = 0;
  if (std::sscanf(statm->c_str(), "%lld %lld", &size_pages, &resident_pages) != 2) {
    return absl::DataLossError(absl::StrCat(dir, "/statm: unreadable: ", *statm));
  }
  r.rss_bytes = resident_pages * static_cast<int64_t>(sysconf(_SC_PAGESIZE));
  // stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so fields are
  // counted from the last ')'. utime and stime are fields 14 and 15 (clock ticks).
  const size_t open = stat->find('(');
  const size_t close = stat->rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) {
    return absl::DataLossError(absl::StrCat(dir, "/stat: unreadable"));
  }
  const std::string comm = stat->substr(open + 1, close - open - 1);
  std::istringstream fields(stat->substr(close + 1));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && (fields >> field); ++i) {  // field 3 is the state
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  if (!fields) return absl::DataLossError(absl::StrCat(dir, "/stat: too few fields"));
  r.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  r.processes = 1;
  r.source = absl::StrCat("pid ", pid, " (", comm, ")");
  return r;
}

ResourceSampler::ResourceSampler(ProcessSpec spec, std::string proc_root, std::string cgroup_root)
    : spec_(std::move(spec)), proc_root_(std::move(proc_root)), cgroup_root_(std::move(cgroup_root)) {}

absl::StatusOr<ResourceReading> ResourceSampler::Sample() const {
  if (spec_.pid) return ReadProcessUsage(*spec_.pid, proc_root_);
  if (!spec_.name.empty()) return SampleName();
  return SampleCgroup();
}

absl::StatusOr<ResourceReading> ResourceSampler::SampleName() const {
  const int64_t self = getpid();
  ResourceReading total;
  std::vector<int64_t> pids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(proc_root_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const int64_t pid = std::stoll(name);
    if (pid == self) continue;
    const std::string dir = entry.path().string();
    const std::string comm = TrimNewline(ReadSmallFile(dir + "/comm").value_or(""));
    if (comm != spec_.name &&
        Argv0Basename(ReadSmallFile(dir + "/cmdline").value_or("")) != spec_.name) {
      continue;
    }
    absl::StatusOr<ResourceReading> one = ReadProcessUsage(pid, proc_root_);
    if (!one.ok()) continue;  // it exited between the listing and the read
    total.rss_bytes += one->rss_bytes;
    total.cpu_seconds += one->cpu_seconds;
    ++total.processes;
    pids.push_back(pid);
  }
  if (ec) return absl::UnavailableError(absl::StrCat(proc_root_, ": ", ec.message()));
  if (pids.empty()) {
    return absl::NotFoundError(absl::StrCat("no process named '", spec_.name, "'"));
  }
  std::sort(pids.begin(), pids.end());
  constexpr size_t kListed = 8;
  std::string listed = absl::StrJoin(pids.begin(), pids.begin() + std::min(pids.size(), kListed), ", ");
  if (pids.size() > kListed) absl::StrAppend(&listed, ", ...");
  total.source = absl::StrCat("name ", spec_.name, ": ", pids.size(),
                              pids.size() == 1 ? " process" : " processes", " (pid",
                              pids.size() == 1 ? " " : "s ", listed, ")");
  return total;
}

absl::StatusOr<ResourceReading> ResourceSampler::SampleCgroup() const {
  const std::string dir = spec_.cgroup.front() == '/' && spec_.cgroup.rfind(cgroup_root_, 0) == 0
                              ? spec_.cgroup
                              : absl::StrCat(cgroup_root_, "/",
                                             spec_.cgroup.front() == '/' ? spec_.cgroup.substr(1)
                                                                         : spec_.cgroup);
  const std::optional<std::string> memory = ReadSmallFile(dir + "/memory.current");
  const std::optional<std::string> cpu = ReadSmallFile(dir + "/cpu.stat");
  if (!memory || !cpu) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
      return absl::NotFoundError(absl::StrCat("cgroup ", dir, ": no such cgroup"));
    }
    return absl::UnavailableError(absl::StrCat(
        "cgroup ", dir, ": cannot read ", !memory ? "memory.current" : "cpu.stat",
        " (is it cgroup v2 with the memory and cpu controllers enabled?)"));
  }
  ResourceReading r;
  try {
    r.rss_bytes = std::stoll(*memory);
  } catch (...) {
    return absl::DataLossError(absl::StrCat(dir, "/memory.current: not a number"));
  }
  std::istringstream lines(*cpu);
  std::string key;
  long long value = -1;
  bool found = false;
  while (lines >> key >> value) {
    if (key == "usage_usec") {
      r.cpu_seconds = static_cast<double>(value) / 1e6;
      found = true;
      break;
    }
  }
  if (!found) return absl::DataLossError(absl::StrCat(dir, "/cpu.stat: no usage_usec"));
  r.source = absl::StrCat("cgroup ", dir);
  return r;
}

}  // namespace vexbench
