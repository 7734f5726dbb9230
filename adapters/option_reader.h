// Reads a target's kind-specific options (TargetSpec::options) with messages that name the
// field path, and rejects keys the kind does not know.
#ifndef VEXBENCH_ADAPTERS_OPTION_READER_H_
#define VEXBENCH_ADAPTERS_OPTION_READER_H_

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace vexbench {

class OptionReader {
 public:
  // `path` is the target's field path, e.g. "targets[0]". `options` must outlive the reader.
  OptionReader(const nlohmann::json& options, std::string path);

  absl::StatusOr<std::optional<std::string>> String(std::string_view key);
  absl::StatusOr<std::optional<int64_t>> Int(std::string_view key, int64_t min, int64_t max);
  absl::StatusOr<std::optional<bool>> Bool(std::string_view key);
  absl::StatusOr<std::optional<std::map<std::string, std::string>>> StringMap(std::string_view key);

  // Fails on the first key that no getter above asked for.
  absl::Status RejectUnknown() const;

  std::string FieldPath(std::string_view key) const;

 private:
  const nlohmann::json& options_;
  std::string path_;
  std::set<std::string, std::less<>> known_;
};

}  // namespace vexbench

#endif  // VEXBENCH_ADAPTERS_OPTION_READER_H_
