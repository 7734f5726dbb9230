// Files from controller/assets/ compiled into the binary (see controller/assets/CMakeLists.txt),
// so HTML reports and pages are self-contained: nothing is fetched or read from disk at run time.
//
// Thread safety: all functions are safe from any thread (the data is constant).
#ifndef VEXBENCH_CONTROLLER_ASSETS_ASSETS_H_
#define VEXBENCH_CONTROLLER_ASSETS_ASSETS_H_

#include <string_view>
#include <vector>

namespace vexbench {

// The bytes of the asset named `name` (its path under controller/assets/, e.g. "charts.js");
// empty when there is no such asset. The view points at static storage (never freed).
std::string_view Asset(std::string_view name);

// The names of every embedded asset, in the order listed in the CMakeLists.txt.
std::vector<std::string_view> AssetNames();

namespace assets_internal {
struct AssetEntry {
  const char* name;
  std::string_view data;
};
extern const AssetEntry kEntries[];
extern const int kEntryCount;
}  // namespace assets_internal

}  // namespace vexbench

#endif  // VEXBENCH_CONTROLLER_ASSETS_ASSETS_H_
