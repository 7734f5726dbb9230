// targets[].process (resource sampling): the accepted forms and the messages for the rest.
#include <catch2/catch.hpp>
#include <string>

#include "common/job_spec.h"

namespace vexbench {
namespace {

absl::StatusOr<JobSpec> WithProcess(const std::string& process) {
  return ParseJobSpec("name: p\n"
                      "targets: [{name: web, kind: http, url: \"http://127.0.0.1:1/\", process: " +
                      process + "}]\n"
                      "phases: [{name: a, op: request, requests: 1, concurrency: 1}]\n");
}

TEST_CASE("targets[].process takes a pid, a name or a cgroup, and an agent", "[job_spec]") {
  auto pid = WithProcess("{pid: 1234}");
  REQUIRE(pid.ok());
  REQUIRE(pid->targets[0].process.has_value());
  CHECK(*pid->targets[0].process->pid == 1234);
  CHECK(pid->targets[0].process->agent.empty());
  CHECK_FALSE(pid->targets[0].options.contains("process"));  // not an adapter option

  auto name = WithProcess("{name: chroma, agent: load-1}");
  REQUIRE(name.ok());
  CHECK(name->targets[0].process->name == "chroma");
  CHECK(name->targets[0].process->agent == "load-1");

  auto cgroup = WithProcess("{cgroup: system.slice/chroma.service}");
  REQUIRE(cgroup.ok());
  CHECK(cgroup->targets[0].process->cgroup == "system.slice/chroma.service");

  auto none = ParseJobSpec("name: p\n"
                           "targets: [{name: web, kind: http, url: \"http://127.0.0.1:1/\"}]\n"
                           "phases: [{name: a, op: request, requests: 1, concurrency: 1}]\n");
  REQUIRE(none.ok());
  CHECK_FALSE(none->targets[0].process.has_value());
}

TEST_CASE("a bad targets[].process names the field and the accepted forms", "[job_spec]") {
  const std::string forms = "one of pid, name, cgroup";
  struct Case {
    const char* process;
    const char* message;
  };
  for (const Case& c : {Case{"{}", "targets[0].process: has none of pid, name, cgroup"},
                        Case{"{pid: 1, name: x}", "targets[0].process: has more than one of"},
                        Case{"{pid: 0}", "targets[0].process.pid"},
                        Case{"{pid: many}", "targets[0].process.pid"},
                        Case{"{name: /usr/bin/x}", "targets[0].process.name"},
                        Case{"{cgroup: a/../b}", "targets[0].process.cgroup"},
                        Case{"{pdi: 3}", "targets[0].process"},
                        Case{"nginx", "targets[0].process"}}) {
    auto spec = WithProcess(c.process);
    INFO(c.process);
    REQUIRE_FALSE(spec.ok());
    const std::string message(spec.status().message());
    INFO(message);
    CHECK(message.find(c.message) != std::string::npos);
  }
  CHECK(std::string(WithProcess("{}").status().message()).find(forms) != std::string::npos);
}

}  // namespace
}  // namespace vexbench
