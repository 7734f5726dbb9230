// Test support: several "hosts" on one machine, as Linux network namespaces the test creates
// (../shared/targets.md, "Several hosts"). Needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN) and `ip`.
#ifndef VEXBENCH_TESTS_INTEGRATION_SUPPORT_NETNS_H_
#define VEXBENCH_TESTS_INTEGRATION_SUPPORT_NETNS_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace vexbench::testing {

// One namespace per host, each with one veth link into a bridge that lives in a hub
// namespace of its own, all on 10.200.0.0/24. Nothing is attached to the test's own
// namespace, so traffic between the hosts never leaves the namespaces made here.
//
// Names are "vxbt-<pid>-<host>": namespaces left behind by a test that was killed are
// recognised by their dead pid and deleted by the next Create().
class NetworkTestbed {
 public:
  // Creates the namespaces for `hosts` (short names, letters and digits; at most 250 hosts),
  // host i getting 10.200.0.(i+1). Returns nullptr and sets `why` when namespaces cannot be
  // made here (not root, no `ip`, a container without the capability); whatever was made
  // is removed again.
  static std::unique_ptr<NetworkTestbed> Create(const std::vector<std::string>& hosts,
                                                std::string& why);
  ~NetworkTestbed();  // deletes every namespace it made (and with them their links)
  NetworkTestbed(const NetworkTestbed&) = delete;
  NetworkTestbed& operator=(const NetworkTestbed&) = delete;

  // REQUIRES: `host` was passed to Create().
  const std::string& Namespace(const std::string& host) const;
  const std::string& Address(const std::string& host) const;
  // The argv prefix that runs a command on `host`: {"ip", "netns", "exec", <namespace>}.
  std::vector<std::string> Launcher(const std::string& host) const;

 private:
  NetworkTestbed() = default;
  std::string log_dir_;
  std::vector<std::string> made_;  // namespaces to delete, in creation order
  std::map<std::string, std::string> namespace_of_;
  std::map<std::string, std::string> address_of_;
};

// Runs `fn` on a new thread that has joined network namespace `netns` (by name, as
// `ip netns` knows it), and waits for it. Sockets `fn` opens live in that namespace.
// Returns false (without running `fn`) when the namespace cannot be joined.
bool RunInNetworkNamespace(const std::string& netns, const std::function<void()>& fn);

}  // namespace vexbench::testing

#endif  // VEXBENCH_TESTS_INTEGRATION_SUPPORT_NETNS_H_
