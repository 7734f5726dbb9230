#include "controller/junit_xml.h"

namespace vexbench {

std::string XmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') break;
        out += c;
    }
  }
  return out;
}

std::string JunitXml(std::string_view suite, const std::vector<JunitCase>& cases) {
  int failures = 0;
  for (const JunitCase& c : cases) failures += c.failure.has_value() ? 1 : 0;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites tests=\"" + std::to_string(cases.size()) + "\" failures=\"" +
         std::to_string(failures) + "\">\n";
  out += "  <testsuite name=\"" + XmlEscape(suite) + "\" tests=\"" + std::to_string(cases.size()) +
         "\" failures=\"" + std::to_string(failures) + "\" errors=\"0\" skipped=\"0\">\n";
  for (const JunitCase& c : cases) {
    out += "    <testcase classname=\"" + XmlEscape(c.classname) + "\" name=\"" + XmlEscape(c.name) +
           "\" time=\"0\"";
    if (!c.failure && c.output.empty()) {
      out += "/>\n";
      continue;
    }
    out += ">\n";
    if (c.failure) {
      out += "      <failure message=\"" + XmlEscape(*c.failure) + "\">" + XmlEscape(*c.failure) +
             "</failure>\n";
    }
    if (!c.output.empty()) out += "      <system-out>" + XmlEscape(c.output) + "</system-out>\n";
    out += "    </testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace vexbench
