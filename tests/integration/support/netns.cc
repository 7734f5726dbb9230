#include "tests/integration/support/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/integration/support/subprocess.h"

namespace vexbench::testing {
namespace {

// Runs `ip args...`; returns "" on success, else what failed with its stderr.
std::string Ip(const std::vector<std::string>& args, const std::string& log_prefix) {
  std::vector<std::string> argv = {"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  Subprocess p(argv, log_prefix);
  const int code = p.Wait(std::chrono::seconds(10));
  if (code == 0) return "";
  std::string command;
  for (const std::string& a : argv) command += (command.empty() ? "" : " ") + a;
  return command + " exited " + std::to_string(code) + ": " + p.Stderr();
}

// Deletes namespaces "vxbt-<pid>-..." whose test process is gone (a killed test run).
void DeleteStaleNamespaces(const std::string& log_dir) {
  std::vector<std::string> argv = {"ip", "netns", "list"};
  Subprocess list(argv, log_dir + "/list");
  if (list.Wait(std::chrono::seconds(10)) != 0) return;
  static const std::regex kOurs(R"(^(vxbt-(\d+)-\S+))");
  std::istringstream lines(list.Stdout());
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, kOurs)) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(m[2].str()));
    if (pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH) continue;
    (void)Ip({"netns", "del", m[1].str()}, log_dir + "/del-stale");
  }
}

}  // namespace

std::unique_ptr<NetworkTestbed> NetworkTestbed::Create(const std::vector<std::string>& hosts,
                                                       std::string& why) {
  why.clear();
  if (geteuid() != 0) {
    why = "network namespaces need root (this test runs as uid " + std::to_string(geteuid()) + ")";
    return nullptr;
  }
  if (hosts.empty() || hosts.size() > 250) {
    why = "between 1 and 250 hosts";
    return nullptr;
  }
  std::unique_ptr<NetworkTestbed> bed(new NetworkTestbed());
  bed->log_dir_ = MakeTempDir("netns");
  DeleteStaleNamespaces(bed->log_dir_);
  const std::string prefix = "vxbt-" + std::to_string(getpid()) + "-";
  const std::string hub = prefix + "hub";
  int step = 0;
  // Runs one `ip` command; on failure records why (the destructor removes what was made).
  auto run = [&](const std::vector<std::string>& args) {
    if (!why.empty()) return false;
    why = Ip(args, bed->log_dir_ + "/ip-" + std::to_string(step++));
    return why.empty();
  };
  if (!run({"netns", "add", hub})) return nullptr;
  bed->made_.push_back(hub);
  run({"-n", hub, "link", "add", "br0", "type", "bridge"});
  run({"-n", hub, "link", "set", "br0", "up"});
  for (size_t i = 0; i < hosts.size(); ++i) {
    const std::string& host = hosts[i];
    const std::string ns = prefix + host;
    const std::string address = "10.200.0." + std::to_string(i + 1);
    const std::string port = "p" + std::to_string(i);  // the bridge's end, in the hub
    if (!run({"netns", "add", ns})) break;
    bed->made_.push_back(ns);
    bed->namespace_of_[host] = ns;
    bed->address_of_[host] = address;
    run({"link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", port, "netns", hub});
    run({"-n", hub, "link", "set", port, "master", "br0"});
    run({"-n", hub, "link", "set", port, "up"});
    run({"-n", ns, "addr", "add", address + "/24", "dev", "eth0"});
    run({"-n", ns, "link", "set", "lo", "up"});
    run({"-n", ns, "link", "set", "eth0", "up"});
  }
  if (!why.empty()) return nullptr;  // ~NetworkTestbed deletes the namespaces made so far
  return bed;
}

NetworkTestbed::~NetworkTestbed() {
  for (auto it = made_.rbegin(); it != made_.rend(); ++it) {
    (void)Ip({"netns", "del", *it}, log_dir_ + "/del");
  }
}

const std::string& NetworkTestbed::Namespace(const std::string& host) const {
  return namespace_of_.at(host);
}

const std::string& NetworkTestbed::Address(const std::string& host) const {
  return address_of_.at(host);
}

std::vector<std::string> NetworkTestbed::Launcher(const std::string& host) const {
  return {"ip", "netns", "exec", Namespace(host)};
}

bool RunInNetworkNamespace(const std::string& netns, const std::function<void()>& fn) {
  bool joined = false;
  std::thread worker([&] {
    const int fd = open(("/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    // CLONE_NEWNET applies to the calling thread only; this thread ends right after `fn`.
    joined = setns(fd, CLONE_NEWNET) == 0;
    close(fd);
    if (joined) fn();
  });
  worker.join();
  return joined;
}

}  // namespace vexbench::testing
