#include "adapters/option_reader.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace vexbench {

OptionReader::OptionReader(const nlohmann::json& options, std::string path)
    : options_(options), path_(std::move(path)) {}

std::string OptionReader::FieldPath(std::string_view key) const {
  return absl::StrCat(path_, ".", std::string(key));
}

absl::StatusOr<std::optional<std::string>> OptionReader::String(std::string_view key) {
  known_.emplace(key);
  auto it = options_.find(key);
  if (it == options_.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat(FieldPath(key), ": ", it->dump(), " is not a string; expected a string"));
  }
  return std::optional<std::string>(it->get<std::string>());
}

absl::StatusOr<std::optional<int64_t>> OptionReader::Int(std::string_view key, int64_t min,
                                                         int64_t max) {
  known_.emplace(key);
  auto it = options_.find(key);
  if (it == options_.end() || it->is_null()) return std::optional<int64_t>();
  if (!it->is_number_integer()) {
    return absl::InvalidArgumentError(absl::StrCat(FieldPath(key), ": ", it->dump(),
                                                   " is not an integer; expected an integer in ",
                                                   min, "..", max));
  }
  const int64_t v = it->get<int64_t>();
  if (v < min || v > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(FieldPath(key), ": ", v, " is out of range; expected ", min, "..", max));
  }
  return std::optional<int64_t>(v);
}

absl::StatusOr<std::optional<bool>> OptionReader::Bool(std::string_view key) {
  known_.emplace(key);
  auto it = options_.find(key);
  if (it == options_.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) {
    return absl::InvalidArgumentError(
        absl::StrCat(FieldPath(key), ": ", it->dump(), " is not a boolean; expected true or false"));
  }
  return std::optional<bool>(it->get<bool>());
}

absl::StatusOr<std::optional<std::map<std::string, std::string>>> OptionReader::StringMap(
    std::string_view key) {
  known_.emplace(key);
  using Map = std::map<std::string, std::string>;
  auto it = options_.find(key);
  if (it == options_.end() || it->is_null()) return std::optional<Map>();
  if (!it->is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        FieldPath(key), ": ", it->dump(), " is not a mapping; expected name: value pairs"));
  }
  Map out;
  for (const auto& [name, value] : it->items()) {
    if (value.is_string()) {
      out[name] = value.get<std::string>();
    } else if (value.is_number() || value.is_boolean()) {
      out[name] = value.dump();
    } else {
      return absl::InvalidArgumentError(absl::StrCat(FieldPath(key), ".", name, ": ",
                                                     value.dump(), " is not a scalar; expected "
                                                     "a string"));
    }
  }
  return std::optional<Map>(std::move(out));
}

absl::Status OptionReader::RejectUnknown() const {
  for (const auto& [key, value] : options_.items()) {
    if (known_.count(key) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          FieldPath(key), ": unknown key for this target kind; expected one of: name, kind, url, ",
          absl::StrJoin(known_, ", ")));
    }
  }
  return absl::OkStatus();
}

}  // namespace vexbench
