// Internal to the job spec parser; not for use outside common/job_spec*.cc.
//
// The parser is three files:
//   job_spec_yaml.cc    text -> JSON tree: YAML parse, --set overrides, ${VAR} expansion, typing
//   job_spec_values.cc  the value syntaxes: ParseDuration, FormatDuration, ParseUrl
//   job_spec.cc         JSON tree -> validated JobSpec; ParseJobSpec, LoadJobSpec
//
// Errors are InvalidArgument with messages "<where>: <what was wrong>; expected <what>" and no
// source name (ParseJobSpec prefixes it): <where> is a field path (`phases[1].rate`), a
// position (`line 3, column 5`) or an override (`--set "phases[9].rate=1"`).
#ifndef VEXBENCH_COMMON_JOB_SPEC_INTERNAL_H_
#define VEXBENCH_COMMON_JOB_SPEC_INTERNAL_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace vexbench::job_spec_internal {

// Debian's Abseil has its own absl::string_view (not std::string_view); this file and its
// .cc files use absl::string_view throughout and convert at the public functions.
inline absl::string_view ToAbsl(std::string_view text) { return {text.data(), text.size()}; }

inline constexpr absl::string_view kDurationExpectation = "a duration like 500ms, 10s, 2m, 1h";
inline constexpr absl::string_view kUrlExpectation = "http://host[:port][/path][?query]";

// InvalidArgument "<where>: <what>; expected <expected>" ("<what>; ..." when `where` is empty).
absl::Status SpecError(absl::string_view where, absl::string_view what, absl::string_view expected);

// `text` in double quotes with JSON escapes, for messages: "fast", "a\"b".
std::string Quote(absl::string_view text);

// Parses `text` as one YAML document (JSON is YAML; an empty trailing `---` document is
// ignored), applies `overrides` in order, expands ${VAR} in every string scalar (never in
// mapping keys), and converts the tree to JSON. Scalars get their types from YAML: a quoted
// (or !!str) scalar is a string; a plain one is an int64 if it reads as one, else a finite
// double, else true/false, else null (~, null), else a string. Expansion comes before typing,
// so `rate: ${RATE}` is a number and `key: "${KEY}"` a string. Duplicate keys are errors.
// The result may be any JSON value (an empty text gives null); the caller checks its shape.
//
// An override is "key.path=value": steps are mapping keys and list indexes (`a.b[2].c` or
// `a.b.2.c`); every step but the last must exist; the last may add a key to an existing
// mapping or replace an existing list item. The value is read as YAML (`2000` is a number,
// `"2000"` a string, `[a, b]` a list, an empty value null).
//
// Reads the environment (getenv): not safe while another thread calls setenv.
absl::StatusOr<nlohmann::json> ReadSpecTree(absl::string_view text,
                                            const std::vector<std::string>& overrides);

// Expands ${NAME} in `text` from the environment; `$${` is a literal `${`; any other `$` is
// kept. `path` names the field in messages (unset variable, malformed reference).
absl::StatusOr<std::string> ExpandEnvironment(absl::string_view text, absl::string_view path);

// Inverse of the literal rule of ExpandEnvironment, applied to every string of `tree`: each
// `${` becomes `$${`, so that expanding the result again yields `tree`'s strings unchanged.
nlohmann::json EscapeForReread(const nlohmann::json& tree);

}  // namespace vexbench::job_spec_internal

#endif  // VEXBENCH_COMMON_JOB_SPEC_INTERNAL_H_
