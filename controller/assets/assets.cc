#include "controller/assets/assets.h"

namespace vexbench {

std::string_view Asset(std::string_view name) {
  for (int i = 0; i < assets_internal::kEntryCount; ++i) {
    if (name == assets_internal::kEntries[i].name) return assets_internal::kEntries[i].data;
  }
  return {};
}

std::vector<std::string_view> AssetNames() {
  std::vector<std::string_view> names;
  for (int i = 0; i < assets_internal::kEntryCount; ++i) {
    names.emplace_back(assets_internal::kEntries[i].name);
  }
  return names;
}

}  // namespace vexbench
