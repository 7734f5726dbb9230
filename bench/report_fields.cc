// Prints fields of one phase's result from a vexbench report.json, for the bench/ scripts.
//
//   report_fields REPORT.json PHASE FIELD...
//
// FIELD is a dotted path inside the phase's entry of results[] (e.g. `requests`,
// `throughput_rps`, `wait_ms.p99`). The values are printed on one line, separated by spaces,
// in the order given; a field that is absent prints as `NA`. Exit 1 when the file cannot be
// read or parsed or has no result for PHASE, with a message on stderr.
//
// Why a C++ tool: a fresh Debian 12 has neither python3 nor jq for sure, and nlohmann_json is
// already a build dependency.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "nlohmann/json.hpp"

namespace {

using nlohmann::json;

// The value at `path` ("a.b.c") under `root`, or nullptr.
const json* Find(const json& root, const std::string& path) {
  const json* node = &root;
  std::stringstream parts(path);
  std::string key;
  while (std::getline(parts, key, '.')) {
    if (!node->is_object() || !node->contains(key)) return nullptr;
    node = &(*node)[key];
  }
  return node;
}

std::string Format(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_float()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", value.get<double>());
    return buf;
  }
  return value.dump();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: report_fields REPORT.json PHASE FIELD...\n";
    return 1;
  }
  std::ifstream in(argv[1]);
  if (!in) {
    std::cerr << "report_fields: cannot read '" << argv[1] << "'\n";
    return 1;
  }
  json report = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (report.is_discarded() || !report.contains("results") || !report["results"].is_array()) {
    std::cerr << "report_fields: '" << argv[1] << "' is not a vexbench report (no results[])\n";
    return 1;
  }
  const std::string phase = argv[2];
  for (const json& result : report["results"]) {
    if (!result.contains("phase") || result["phase"] != phase) continue;
    for (int i = 3; i < argc; ++i) {
      const json* value = Find(result, argv[i]);
      std::cout << (i > 3 ? " " : "") << (value != nullptr ? Format(*value) : "NA");
    }
    std::cout << "\n";
    return 0;
  }
  std::cerr << "report_fields: '" << argv[1] << "' has no result for phase '" << phase << "'\n";
  return 1;
}
