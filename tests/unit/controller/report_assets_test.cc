// The embedded assets are the files of controller/assets/, byte for byte.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "controller/assets/assets.h"

namespace vexbench {
namespace {

std::string ReadSource(const std::string& name) {
  std::ifstream in(std::string(VEXBENCH_SOURCE_DIR) + "/controller/assets/" + name, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_CASE("Asset returns each embedded file byte for byte", "[assets]") {
  const auto names = AssetNames();
  REQUIRE(names.size() >= 2);
  for (std::string_view name : names) {
    INFO(name);
    const std::string on_disk = ReadSource(std::string(name));
    REQUIRE(!on_disk.empty());
    CHECK(Asset(name) == on_disk);
  }
  CHECK(Asset("charts.js").find("VexCharts") != std::string_view::npos);
}

TEST_CASE("Asset of an unknown name is empty", "[assets]") {
  CHECK(Asset("nope.js").empty());
  CHECK(Asset("").empty());
}

}  // namespace
}  // namespace vexbench
