// JUnit XML, the test-result format CI systems read (Jenkins, GitLab, GitHub actions).
#ifndef VEXBENCH_CONTROLLER_JUNIT_XML_H_
#define VEXBENCH_CONTROLLER_JUNIT_XML_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vexbench {

struct JunitCase {
  std::string classname;               // e.g. "vexbench.thresholds"
  std::string name;                    // e.g. "search.p99 < 50ms [chroma search query]"
  std::optional<std::string> failure;  // set: the case failed, with this message
  std::string output;                  // <system-out>: the measured values
};

// One <testsuites> with one <testsuite name=suite> holding the cases; text is XML-escaped.
std::string JunitXml(std::string_view suite, const std::vector<JunitCase>& cases);

// Escapes &, <, >, " and ' for XML text and attribute values; drops control characters XML 1.0
// does not allow.
std::string XmlEscape(std::string_view s);

}  // namespace vexbench

#endif  // VEXBENCH_CONTROLLER_JUNIT_XML_H_
