// Spec text -> JSON tree (see common/job_spec_internal.h).
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/job_spec_internal.h"

namespace vexbench::job_spec_internal {
namespace {

using json = nlohmann::json;

// A document that expands (through aliases) to more nodes than this is refused: a spec is a
// few hundred nodes, and a "billion laughs" document must not exhaust the controller.
constexpr int64_t kMaxNodes = 1'000'000;

constexpr absl::string_view kOverrideExpectation = "key.path=value, e.g. phases[1].rate=2000";

std::string ChildPath(absl::string_view path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

bool IsVariableName(absl::string_view name) {
  if (name.empty() || absl::ascii_isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// --- Typing of plain scalars --------------------------------------------------------------

std::optional<int64_t> ReadInt64(absl::string_view text) {
  if (absl::ConsumePrefix(&text, "+") && (text.empty() || text[0] == '-')) return std::nullopt;
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> ReadDouble(absl::string_view text) {
  if (absl::ConsumePrefix(&text, "+") && (text.empty() || text[0] == '-')) return std::nullopt;
  // from_chars also reads "inf" and "nan"; YAML numbers start with a digit, sign or point.
  if (text.empty() || !(absl::ascii_isdigit(static_cast<unsigned char>(text[0])) ||
                        text[0] == '-' || text[0] == '.')) {
    return std::nullopt;
  }
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

json ResolvePlainScalar(const std::string& text) {
  if (std::optional<int64_t> i = ReadInt64(text)) return *i;
  if (std::optional<double> d = ReadDouble(text)) return *d;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (text == "~" || text == "null" || text == "Null" || text == "NULL") return nullptr;
  return text;
}

// --- YAML to JSON ---------------------------------------------------------------------------

class JsonConverter {
 public:
  absl::StatusOr<json> Convert(const YAML::Node& node, const std::string& path) {
    if (++nodes_ > kMaxNodes) {
      return SpecError(path.empty() ? "document" : path, "expands to too many nodes (aliases?)",
                       absl::StrCat("at most ", kMaxNodes, " nodes"));
    }
    switch (node.Type()) {
      case YAML::NodeType::Scalar:
        return ConvertScalar(node, path);
      case YAML::NodeType::Sequence:
        return ConvertSequence(node, path);
      case YAML::NodeType::Map:
        return ConvertMap(node, path);
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        break;
    }
    return nullptr;
  }

 private:
  static absl::StatusOr<json> ConvertScalar(const YAML::Node& node, const std::string& path) {
    absl::StatusOr<std::string> text =
        ExpandEnvironment(node.Scalar(), path.empty() ? "document" : path);
    if (!text.ok()) return text.status();
    // yaml-cpp tags quoted scalars "!" and plain ones "?"; !!str forces a string too.
    const std::string& tag = node.Tag();
    if (tag == "!" || tag == "tag:yaml.org,2002:str" || text->empty()) return *std::move(text);
    return ResolvePlainScalar(*text);
  }

  absl::StatusOr<json> ConvertSequence(const YAML::Node& node, const std::string& path) {
    json out = json::array();
    for (size_t i = 0; i < node.size(); ++i) {
      absl::StatusOr<json> item = Convert(node[i], absl::StrCat(path, "[", i, "]"));
      if (!item.ok()) return item.status();
      out.push_back(*std::move(item));
    }
    return out;
  }

  absl::StatusOr<json> ConvertMap(const YAML::Node& node, const std::string& path) {
    json out = json::object();
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) {
        return SpecError(path.empty() ? "document" : path, "has a key that is not a string",
                         "string keys");
      }
      const std::string& key = entry.first.Scalar();
      std::string child_path = ChildPath(path, key);
      if (out.contains(key)) return SpecError(child_path, "appears twice", "each key once");
      absl::StatusOr<json> value = Convert(entry.second, child_path);
      if (!value.ok()) return value.status();
      out[key] = *std::move(value);
    }
    return out;
  }

  int64_t nodes_ = 0;
};

// --- Overrides ------------------------------------------------------------------------------

// One step of an override path: a mapping key, or a list index (`[2]`, or `.2` on a list).
struct PathStep {
  std::string text;
  bool bracketed = false;  // written as [N]
};

std::optional<std::vector<PathStep>> SplitOverridePath(absl::string_view path) {
  std::vector<PathStep> steps;
  size_t i = 0;
  bool need_key = true;
  while (i < path.size() || need_key) {
    if (need_key) {
      size_t end = std::min(path.find_first_of(".[]", i), path.size());
      if (end == i) return std::nullopt;
      steps.push_back({std::string(path.substr(i, end - i)), false});
      i = end;
      need_key = false;
    } else if (path[i] == '.') {
      ++i;
      need_key = true;
    } else if (path[i] == '[') {
      size_t close = path.find(']', i);
      if (close == absl::string_view::npos || close == i + 1) return std::nullopt;
      absl::string_view digits = path.substr(i + 1, close - i - 1);
      for (char c : digits) {
        if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return std::nullopt;
      }
      steps.push_back({std::string(digits), true});
      i = close + 1;
    } else {
      return std::nullopt;  // a ']' without '['
    }
  }
  return steps;
}

std::optional<size_t> StepIndex(const PathStep& step) {
  if (step.text.empty() || step.text.size() > 9) return std::nullopt;
  for (char c : step.text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  return static_cast<size_t>(std::stoul(step.text));
}

// Applies one "key.path=value" to `root`. Every step but the last must exist; the last may add
// a key to an existing mapping or replace an existing list item.
absl::Status ApplyOverride(YAML::Node& root, const std::string& override_text) {
  const std::string where = absl::StrCat("--set ", Quote(override_text));
  size_t eq = override_text.find('=');
  if (eq == std::string::npos) return SpecError(where, "has no '='", kOverrideExpectation);
  std::optional<std::vector<PathStep>> steps =
      SplitOverridePath(absl::string_view(override_text).substr(0, eq));
  if (!steps) return SpecError(where, "has a malformed key path", kOverrideExpectation);
  YAML::Node value;
  try {
    value = YAML::Load(override_text.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    return SpecError(where, absl::StrCat("has a value that is not valid YAML (", e.msg, ")"),
                     "a YAML scalar such as 2000, text or \"quoted text\"");
  }
  YAML::Node current;
  current.reset(root);
  std::string walked;
  for (size_t i = 0; i < steps->size(); ++i) {
    const PathStep& step = (*steps)[i];
    const bool last = i + 1 == steps->size();
    const std::string parent = walked.empty() ? "the document" : walked;
    if (current.IsMap() && !step.bracketed) {
      walked = ChildPath(walked, step.text);
      if (last) {
        current[step.text] = value;
        break;
      }
      const YAML::Node& read_only = current;
      YAML::Node child = read_only[step.text];
      if (!child.IsDefined()) {
        return SpecError(where, absl::StrCat(walked, " does not exist"),
                         "a path through existing fields (only the last key may be new)");
      }
      current.reset(child);
    } else if (current.IsSequence()) {
      std::optional<size_t> index = StepIndex(step);
      if (!index || *index >= current.size()) {
        return SpecError(where, absl::StrCat(parent, " has no item [", step.text, "]"),
                         absl::StrCat("an index below ", current.size()));
      }
      walked = absl::StrCat(walked, "[", *index, "]");
      if (last) {
        current[*index] = value;
        break;
      }
      YAML::Node child = current[*index];
      current.reset(child);
    } else if (current.IsMap()) {
      return SpecError(where, absl::StrCat(parent, " is a mapping, not a list"),
                       absl::StrCat("a key after ", parent, ", not [", step.text, "]"));
    } else {
      return SpecError(where, absl::StrCat(parent, " is not a mapping or list"),
                       "a path through mappings and lists");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status SpecError(absl::string_view where, absl::string_view what,
                       absl::string_view expected) {
  if (where.empty()) return absl::InvalidArgumentError(absl::StrCat(what, "; expected ", expected));
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what, "; expected ", expected));
}

std::string Quote(absl::string_view text) {
  return json(std::string(text)).dump(-1, ' ', false, json::error_handler_t::replace);
}

absl::StatusOr<std::string> ExpandEnvironment(absl::string_view text, absl::string_view path) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i, 3) == "$${") {
      out += "${";
      i += 3;
      continue;
    }
    if (text.substr(i, 2) != "${") {
      out += text[i++];
      continue;
    }
    size_t close = text.find('}', i + 2);
    if (close == absl::string_view::npos) {
      return SpecError(path, absl::StrCat(Quote(text), " has a ${ without a closing }"),
                       "${NAME}, or $${ for a literal ${");
    }
    std::string name(text.substr(i + 2, close - i - 2));
    if (!IsVariableName(name)) {
      return SpecError(path, absl::StrCat(Quote(text), " refers to ${", name, "}"),
                       "${NAME} with NAME made of letters, digits and _, or $${ for a literal ${");
    }
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      return SpecError(path, absl::StrCat("environment variable ", name, " is not set"),
                       absl::StrCat("it set for ${", name, "}, or $${ for a literal ${"));
    }
    out += value;
    i = close + 1;
  }
  return out;
}

json EscapeForReread(const json& tree) {
  if (tree.is_string()) {
    const std::string& text = tree.get_ref<const std::string&>();
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') out += '$';
      out += text[i];
    }
    return out;
  }
  if (tree.is_array() || tree.is_object()) {
    json out = tree;
    for (auto& item : out) item = EscapeForReread(item);
    return out;
  }
  return tree;
}

absl::StatusOr<json> ReadSpecTree(absl::string_view text,
                                  const std::vector<std::string>& overrides) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    std::string where =
        e.mark.is_null() ? "document"
                         : absl::StrCat("line ", e.mark.line + 1, ", column ", e.mark.column + 1);
    return SpecError(where, e.msg, "valid YAML or JSON");
  }
  for (size_t i = 1; i < documents.size(); ++i) {
    if (documents[i].IsNull()) continue;  // a trailing "---" starts an empty document
    return SpecError(absl::StrCat("line ", documents[i].Mark().line + 1),
                     "starts a second YAML document", "one document per job spec");
  }
  YAML::Node root = documents.empty() ? YAML::Node(YAML::NodeType::Null) : documents[0];
  for (const std::string& override_text : overrides) {
    try {
      absl::Status status = ApplyOverride(root, override_text);
      if (!status.ok()) return status;
    } catch (const YAML::Exception& e) {
      return SpecError(absl::StrCat("--set ", Quote(override_text)), e.msg, kOverrideExpectation);
    }
  }
  return JsonConverter().Convert(root, "");
}

}  // namespace vexbench::job_spec_internal
