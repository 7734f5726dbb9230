#include "adapters/registry.h"

#include <functional>
#include <map>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/chroma_adapter.h"
#include "adapters/fs_adapter.h"
#include "adapters/http_adapter.h"
#include "adapters/qdrant_adapter.h"
#include "adapters/vexfs_adapter.h"
#include "adapters/weaviate_adapter.h"

namespace vexbench {
namespace {

using Factory = std::function<absl::StatusOr<AdapterPtr>(const TargetSpec&)>;

const std::map<std::string_view, Factory>& Factories() {
  static const auto* factories = new std::map<std::string_view, Factory>{
      {"chroma", CreateChromaAdapter},
      {"fs", CreateFsAdapter},
      {"http", CreateHttpAdapter},
      {"qdrant", CreateQdrantAdapter},
      {"vexfs", CreateVexfsAdapter},
      {"weaviate", CreateWeaviateAdapter},
  };
  return *factories;
}

}  // namespace

absl::StatusOr<AdapterPtr> CreateAdapter(const TargetSpec& target) {
  const auto& factories = Factories();
  auto it = factories.find(target.kind);
  if (it == factories.end()) {
    std::vector<std::string> kinds;
    for (const auto& [kind, factory] : factories) kinds.emplace_back(kind);
    return absl::UnimplementedError(absl::StrCat(target.path, ".kind: '", target.kind,
                                                 "' has no adapter in this build; available: ",
                                                 absl::StrJoin(kinds, ", ")));
  }
  return it->second(target);
}

}  // namespace vexbench
