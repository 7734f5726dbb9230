#include "common/job_spec.h"

#include <cerrno>
#include <climits>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/job_spec_internal.h"

namespace vexbench {
namespace {

using json = nlohmann::json;
using job_spec_internal::kDurationExpectation;
using job_spec_internal::kUrlExpectation;
using job_spec_internal::Quote;
using job_spec_internal::SpecError;
constexpr absl::string_view kNameExpectation = "a name made of letters, digits, _ . -";

constexpr std::initializer_list<absl::string_view> kTopKeys = {
    "name", "agents", "dataset", "targets", "phases", "thresholds", "interval"};
constexpr std::initializer_list<absl::string_view> kTargetKinds = {"http",     "chroma", "qdrant",
                                                                   "weaviate", "vexfs",  "fs"};
constexpr std::initializer_list<absl::string_view> kPhaseKeys = {
    "name",     "op",     "concurrency", "rate",           "arrival", "duration",
    "requests", "warmup", "timeout",     "late_threshold", "stages",  "targets",
    "batch",    "k",      "ef",          "read_ratio",     "filter"};
constexpr std::initializer_list<absl::string_view> kPhaseOps = {"request", "insert", "query",
                                                                "mixed",   "delete", "files"};
// Operations that have no natural end (insert and delete end when their data runs out).
constexpr std::initializer_list<absl::string_view> kOpsNeedingAnEnd = {"request", "query", "mixed",
                                                                       "files"};

bool OneOf(absl::string_view value, std::initializer_list<absl::string_view> choices) {
  for (absl::string_view choice : choices) {
    if (value == choice) return true;
  }
  return false;
}

// A value as it appears in messages: "text", 12, true, null, a list, a mapping.
std::string Describe(const json& value) {
  if (value.is_string()) return Quote(value.get_ref<const std::string&>());
  if (value.is_array()) return "a list";
  if (value.is_object()) return "a mapping";
  return value.dump();
}

bool IsName(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

// --- Fields of one mapping ------------------------------------------------------------------

// Reads typed fields of one mapping of the spec; every error names the field's path. A field
// whose value is null counts as absent, so `--set phases[1].rate=null` unsets it.
class FieldReader {
 public:
  FieldReader(const json& map, std::string path) : map_(map), path_(std::move(path)) {}

  std::string PathOf(absl::string_view key) const {
    return path_.empty() ? std::string(key) : absl::StrCat(path_, ".", key);
  }
  // The value at `key`, or nullptr when absent or null.
  const json* Find(absl::string_view key) const {
    auto it = map_.find(key);
    return it == map_.end() || it->is_null() ? nullptr : &*it;
  }

  absl::Status CheckKeys(std::initializer_list<absl::string_view> allowed) const {
    for (const auto& [key, value] : map_.items()) {
      if (!OneOf(key, allowed)) {
        return SpecError(path_, absl::StrCat("unknown key '", key, "'"),
                         absl::StrCat("one of: ", absl::StrJoin(allowed, ", ")));
      }
    }
    return absl::OkStatus();
  }

  absl::Status Missing(absl::string_view key, absl::string_view expected) const {
    return SpecError(PathOf(key), "is missing", expected);
  }

  // A string; when `required`, present and non-empty. Absent: `out` is left unchanged.
  absl::Status ReadString(absl::string_view key, bool required, absl::string_view expected,
                          std::string& out) const {
    const json* value = Find(key);
    if (value == nullptr) return required ? Missing(key, expected) : absl::OkStatus();
    if (!value->is_string()) {
      return SpecError(PathOf(key), absl::StrCat(Describe(*value), " is not a string"), expected);
    }
    out = value->get<std::string>();
    if (required && out.empty()) return SpecError(PathOf(key), "is empty", expected);
    return absl::OkStatus();
  }

  // A required name made of [A-Za-z0-9_.-].
  absl::Status ReadName(std::string& out) const {
    if (absl::Status status = ReadString("name", true, kNameExpectation, out); !status.ok()) {
      return status;
    }
    if (!IsName(out)) {
      return SpecError(PathOf("name"), absl::StrCat(Quote(out), " has other characters"),
                       kNameExpectation);
    }
    return absl::OkStatus();
  }

  // An integer in [min, max]; `Out` is int, int64_t or an optional of them.
  template <typename Out>
  absl::Status ReadInt(absl::string_view key, int64_t min, int64_t max, absl::string_view expected,
                       Out& out) const {
    const json* value = Find(key);
    if (value == nullptr) return absl::OkStatus();
    if (!value->is_number_integer()) {
      return SpecError(PathOf(key), absl::StrCat(Describe(*value), " is not an integer"), expected);
    }
    if (value->is_number_unsigned() || value->get<int64_t>() < min || value->get<int64_t>() > max) {
      return SpecError(PathOf(key), absl::StrCat(Describe(*value), " is out of range"), expected);
    }
    out = value->get<int64_t>();
    return absl::OkStatus();
  }

  struct NumberRange {
    double min;
    bool min_exclusive;
    double max;
  };
  // A number (integer or not) in `range`. `expected` says what it counts, `range_expected`
  // adds the bounds ("requests per second", "requests per second > 0").
  absl::Status ReadNumber(absl::string_view key, NumberRange range, absl::string_view expected,
                          absl::string_view range_expected, std::optional<double>& out) const {
    const json* value = Find(key);
    if (value == nullptr) return absl::OkStatus();
    if (!value->is_number()) {
      return SpecError(PathOf(key), absl::StrCat(Describe(*value), " is not a number"), expected);
    }
    double number = value->get<double>();
    if (number < range.min || (range.min_exclusive && number == range.min) || number > range.max) {
      return SpecError(PathOf(key), absl::StrCat(Describe(*value), " is out of range"),
                       range_expected);
    }
    out = number;
    return absl::OkStatus();
  }

  // A duration string >= min (> min when `min_exclusive`); `Out` is Duration or optional.
  template <typename Out>
  absl::Status ReadDuration(absl::string_view key, Duration min, bool min_exclusive,
                            Out& out) const {
    const json* value = Find(key);
    if (value == nullptr) return absl::OkStatus();
    if (value->is_number()) {
      return SpecError(PathOf(key), absl::StrCat(Describe(*value), " has no unit"),
                       kDurationExpectation);
    }
    if (!value->is_string()) {
      return SpecError(PathOf(key), absl::StrCat(Describe(*value), " is not a duration"),
                       kDurationExpectation);
    }
    absl::StatusOr<Duration> duration = ParseDuration(value->get_ref<const std::string&>());
    if (!duration.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(PathOf(key), ": ", duration.status().message()));
    }
    if (*duration < min || (min_exclusive && *duration == min)) {
      return SpecError(
          PathOf(key), absl::StrCat(Describe(*value), " is out of range"),
          absl::StrCat("a duration ", min_exclusive ? "> " : ">= ", FormatDuration(min)));
    }
    out = *duration;
    return absl::OkStatus();
  }

 private:
  const json& map_;
  std::string path_;
};

// The list at `key` (absent: empty), checked to be a list and, when `required`, non-empty.
absl::StatusOr<json> ReadList(const FieldReader& reader, absl::string_view key, bool required,
                              absl::string_view expected) {
  const json* value = reader.Find(key);
  if (value == nullptr) {
    if (required) return reader.Missing(key, expected);
    return json::array();
  }
  if (!value->is_array()) {
    return SpecError(reader.PathOf(key), absl::StrCat(Describe(*value), " is not a list"),
                     expected);
  }
  if (value->empty() && required) return SpecError(reader.PathOf(key), "is empty", expected);
  return *value;
}

// --- The spec's parts -----------------------------------------------------------------------

absl::Status ReadAgents(const FieldReader& top, AgentSelector& agents) {
  constexpr absl::string_view kExpected = "an agent count >= 1 or {count: N, labels: {key: value}}";
  const json* value = top.Find("agents");
  if (value == nullptr) return absl::OkStatus();
  if (value->is_number_integer()) return top.ReadInt("agents", 1, INT_MAX, kExpected, agents.count);
  if (!value->is_object()) {
    return SpecError("agents", absl::StrCat(Describe(*value), " is not an integer or mapping"),
                     kExpected);
  }
  FieldReader reader(*value, "agents");
  if (absl::Status status = reader.CheckKeys({"count", "labels"}); !status.ok()) return status;
  if (absl::Status status = reader.ReadInt("count", 1, INT_MAX, "an integer >= 1", agents.count);
      !status.ok()) {
    return status;
  }
  const json* labels = reader.Find("labels");
  if (labels == nullptr) return absl::OkStatus();
  if (!labels->is_object()) {
    return SpecError("agents.labels", absl::StrCat(Describe(*labels), " is not a mapping"),
                     "a mapping of label to value, e.g. {zone: a}");
  }
  for (const auto& [key, label] : labels->items()) {
    // Plain YAML turns `rack: 5` into a number; integers and booleans read back as written.
    if (label.is_string()) {
      agents.labels[key] = label.get<std::string>();
    } else if (label.is_number_integer() || label.is_boolean()) {
      agents.labels[key] = label.dump();
    } else {
      return SpecError(absl::StrCat("agents.labels.", key),
                       absl::StrCat(Describe(label), " is not a label value"),
                       "a string, integer or true/false");
    }
  }
  return absl::OkStatus();
}

// `targets[i].process`: {pid: N} | {name: STR} | {cgroup: PATH}, and optional agent: NAME.
absl::StatusOr<ProcessSpec> ReadProcess(const json& value, const std::string& path) {
  constexpr absl::string_view kExpected =
      "one of pid, name, cgroup (e.g. {pid: 1234}, {name: chroma}, "
      "{cgroup: system.slice/chroma.service}), optionally with agent: NAME";
  if (!value.is_object()) {
    return SpecError(path, absl::StrCat(Describe(value), " is not a mapping"), kExpected);
  }
  FieldReader reader(value, path);
  if (absl::Status s = reader.CheckKeys({"pid", "name", "cgroup", "agent"}); !s.ok()) return s;
  const int given = (reader.Find("pid") != nullptr) + (reader.Find("name") != nullptr) +
                    (reader.Find("cgroup") != nullptr);
  if (given != 1) {
    return SpecError(path, given == 0 ? "has none of pid, name, cgroup" : "has more than one of "
                                                                          "pid, name, cgroup",
                     kExpected);
  }
  ProcessSpec process;
  absl::Status status =
      reader.ReadInt("pid", 1, INT_MAX, "a process id (an integer >= 1)", process.pid);
  if (status.ok()) {
    status = reader.ReadString("name", reader.Find("name") != nullptr,
                               "a process name as in /proc/PID/comm or argv[0]", process.name);
  }
  if (status.ok() && process.name.find('/') != std::string::npos) {
    status = SpecError(reader.PathOf("name"), absl::StrCat(Quote(process.name), " has a '/'"),
                       "a process name without a directory, e.g. nginx");
  }
  if (status.ok()) {
    status = reader.ReadString("cgroup", reader.Find("cgroup") != nullptr,
                               "a cgroup v2 path, e.g. system.slice/chroma.service",
                               process.cgroup);
  }
  if (status.ok() && (absl::StrContains(absl::StrCat("/", process.cgroup, "/"), "/../"))) {
    status = SpecError(reader.PathOf("cgroup"), absl::StrCat(Quote(process.cgroup), " has '..'"),
                       "a cgroup v2 path without '..'");
  }
  if (status.ok() && reader.Find("agent") != nullptr) {
    status = reader.ReadString("agent", true, "an agent name", process.agent);
  }
  if (!status.ok()) return status;
  return process;
}

absl::StatusOr<TargetSpec> ReadTarget(const json& value, size_t index) {
  TargetSpec target;
  target.path = absl::StrCat("targets[", index, "]");
  if (!value.is_object()) {
    return SpecError(target.path, absl::StrCat(Describe(value), " is not a mapping"),
                     "a target {name, kind, url, ...}");
  }
  FieldReader reader(value, target.path);
  if (absl::Status status = reader.ReadName(target.name); !status.ok()) return status;
  const std::string kinds = absl::StrCat("one of: ", absl::StrJoin(kTargetKinds, ", "));
  if (absl::Status status = reader.ReadString("kind", true, kinds, target.kind); !status.ok()) {
    return status;
  }
  if (!OneOf(target.kind, kTargetKinds)) {
    return SpecError(reader.PathOf("kind"),
                     absl::StrCat(Quote(target.kind), " is not a target kind"), kinds);
  }
  // fs targets work on a mounted path (an adapter option); every other kind speaks HTTP.
  if (absl::Status status =
          reader.ReadString("url", target.kind != "fs", kUrlExpectation, target.url);
      !status.ok()) {
    return status;
  }
  if (!target.url.empty()) {
    if (absl::StatusOr<Url> url = ParseUrl(target.url); !url.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(reader.PathOf("url"), ": ", url.status().message()));
    }
  }
  if (const json* process = reader.Find("process"); process != nullptr) {
    absl::StatusOr<ProcessSpec> spec = ReadProcess(*process, reader.PathOf("process"));
    if (!spec.ok()) return spec.status();
    target.process = *std::move(spec);
  }
  for (const auto& [key, option] : value.items()) {
    if (key != "name" && key != "kind" && key != "url" && key != "process") {
      target.options[key] = option;
    }
  }
  return target;
}

absl::Status ReadTargets(const FieldReader& top, std::vector<TargetSpec>& targets) {
  absl::StatusOr<json> list = ReadList(top, "targets", true, "a non-empty list of targets");
  if (!list.ok()) return list.status();
  for (size_t i = 0; i < list->size(); ++i) {
    absl::StatusOr<TargetSpec> target = ReadTarget((*list)[i], i);
    if (!target.ok()) return target.status();
    for (const TargetSpec& earlier : targets) {
      if (earlier.name == target->name) {
        return SpecError(absl::StrCat(target->path, ".name"),
                         absl::StrCat(Quote(target->name), " is also the name of ", earlier.path),
                         "unique target names");
      }
    }
    targets.push_back(*std::move(target));
  }
  return absl::OkStatus();
}

absl::Status ReadStage(const json& value, const std::string& path, const PhaseSpec& phase,
                       StageSpec& stage) {
  if (!value.is_object()) {
    return SpecError(path, absl::StrCat(Describe(value), " is not a mapping"),
                     "a stage {duration, rate} or {duration, concurrency}");
  }
  FieldReader reader(value, path);
  if (absl::Status status = reader.CheckKeys({"duration", "rate", "concurrency"}); !status.ok()) {
    return status;
  }
  if (reader.Find("duration") == nullptr) return reader.Missing("duration", kDurationExpectation);
  absl::Status status = reader.ReadDuration("duration", Duration::zero(), false, stage.duration);
  if (status.ok()) {
    status = reader.ReadNumber("rate", {0, false, std::numeric_limits<double>::infinity()},
                               "requests per second", "requests per second >= 0", stage.rate);
  }
  if (status.ok()) {
    status = reader.ReadInt("concurrency", 0, INT_MAX, "an integer >= 0", stage.concurrency);
  }
  if (!status.ok()) return status;
  if (stage.rate && !phase.open_loop()) {
    return SpecError(reader.PathOf("rate"), "is set but the phase has no rate",
                     "rate stages only in an open-loop phase (set the phase's rate)");
  }
  if (stage.concurrency && phase.open_loop()) {
    return SpecError(reader.PathOf("concurrency"), "is set but the phase has a rate (open loop)",
                     "concurrency stages only in a closed-loop phase (no rate)");
  }
  return absl::OkStatus();
}

absl::Status ReadStages(const FieldReader& reader, PhaseSpec& phase) {
  absl::StatusOr<json> list = ReadList(reader, "stages", false, "a non-empty list of stages");
  if (!list.ok()) return list.status();
  if (reader.Find("stages") != nullptr && list->empty()) {
    return SpecError(reader.PathOf("stages"), "is empty", "a non-empty list of stages");
  }
  Duration total = Duration::zero();
  for (size_t i = 0; i < list->size(); ++i) {
    StageSpec stage;
    std::string path = absl::StrCat(reader.PathOf("stages"), "[", i, "]");
    if (absl::Status status = ReadStage((*list)[i], path, phase, stage); !status.ok()) {
      return status;
    }
    if (stage.duration > Duration::max() - total) {
      return SpecError(reader.PathOf("stages"), "last too long in total",
                       absl::StrCat("at most ", FormatDuration(Duration::max())));
    }
    total += stage.duration;
    phase.stages.push_back(stage);
  }
  if (!list->empty() && total == Duration::zero()) {
    return SpecError(reader.PathOf("stages"), "last 0s in total",
                     "stages that add up to more than 0s");
  }
  return absl::OkStatus();
}

// concurrency, rate, arrival, stages.
absl::Status ReadPhaseLoad(const FieldReader& reader, PhaseSpec& phase) {
  absl::Status status =
      reader.ReadInt("concurrency", 1, INT_MAX, "an integer >= 1", phase.concurrency);
  if (status.ok()) {
    status = reader.ReadNumber("rate", {0, true, std::numeric_limits<double>::infinity()},
                               "requests per second", "requests per second > 0", phase.rate);
  }
  std::string arrival;
  if (status.ok()) status = reader.ReadString("arrival", false, "uniform or poisson", arrival);
  if (!status.ok()) return status;
  if (reader.Find("arrival") != nullptr) {
    if (arrival != "uniform" && arrival != "poisson") {
      return SpecError(reader.PathOf("arrival"), absl::StrCat(Quote(arrival), " is not an arrival"),
                       "uniform or poisson");
    }
    if (!phase.open_loop()) {
      return SpecError(reader.PathOf("arrival"), "is set but rate is not",
                       "arrival only in an open-loop phase (set rate)");
    }
    phase.arrival = arrival == "poisson" ? Arrival::kPoisson : Arrival::kUniform;
  }
  return ReadStages(reader, phase);
}

// duration, requests, warmup, timeout, late_threshold; and that the phase ends.
absl::Status ReadPhaseEnd(const FieldReader& reader, PhaseSpec& phase) {
  absl::Status status = reader.ReadDuration("duration", Duration::zero(), true, phase.duration);
  if (status.ok() && phase.duration && !phase.stages.empty()) {
    return SpecError(reader.PathOf("duration"), "is set together with stages",
                     "either duration or stages (a staged phase lasts as long as its stages)");
  }
  if (status.ok()) {
    status = reader.ReadInt("requests", 1, std::numeric_limits<int64_t>::max(), "an integer >= 1",
                            phase.requests);
  }
  if (status.ok()) status = reader.ReadDuration("warmup", Duration::zero(), false, phase.warmup);
  if (status.ok()) status = reader.ReadDuration("timeout", Duration::zero(), true, phase.timeout);
  if (status.ok()) {
    status = reader.ReadDuration("late_threshold", Duration::zero(), false, phase.late_threshold);
  }
  if (!status.ok()) return status;
  if (OneOf(phase.op, kOpsNeedingAnEnd) && !phase.duration && !phase.requests &&
      phase.stages.empty()) {
    return SpecError(phase.path, absl::StrCat("op ", phase.op, " has no end"),
                     "duration, requests or stages");
  }
  return absl::OkStatus();
}

// targets, batch, k, ef, read_ratio.
absl::Status ReadPhaseWork(const FieldReader& reader, const std::vector<TargetSpec>& targets,
                           PhaseSpec& phase) {
  std::vector<std::string> names;
  for (const TargetSpec& target : targets) names.push_back(target.name);
  const std::string expected = absl::StrCat("one of: ", absl::StrJoin(names, ", "));
  absl::StatusOr<json> list = ReadList(reader, "targets", false, "a list of target names");
  if (!list.ok()) return list.status();
  if (reader.Find("targets") != nullptr && list->empty()) {
    return SpecError(reader.PathOf("targets"), "is empty",
                     "target names (leave targets out to drive every target)");
  }
  for (size_t i = 0; i < list->size(); ++i) {
    const json& item = (*list)[i];
    std::string path = absl::StrCat(reader.PathOf("targets"), "[", i, "]");
    if (!item.is_string() || absl::c_find(names, item.get<std::string>()) == names.end()) {
      return SpecError(path, absl::StrCat(Describe(item), " is not a target"), expected);
    }
    if (absl::c_linear_search(phase.targets, item.get<std::string>())) {
      return SpecError(path, absl::StrCat(Describe(item), " is listed twice"), "each target once");
    }
    phase.targets.push_back(item.get<std::string>());
  }
  absl::Status status = reader.ReadInt("batch", 1, INT_MAX, "an integer >= 1", phase.batch);
  if (status.ok()) status = reader.ReadInt("k", 1, INT_MAX, "an integer >= 1", phase.k);
  if (status.ok()) status = reader.ReadInt("ef", 1, INT_MAX, "an integer >= 1", phase.ef);
  if (status.ok()) {
    status = reader.ReadNumber("read_ratio", {0, false, 1}, "a share of queries in [0, 1]",
                               "a share of queries in [0, 1]", phase.read_ratio);
  }
  if (const json* filter = reader.Find("filter"); status.ok() && filter != nullptr) {
    if (phase.op != "query" && phase.op != "mixed") {
      return SpecError(reader.PathOf("filter"), absl::StrCat("is set on a ", phase.op, " phase"),
                       "filter only on query or mixed phases");
    }
    absl::StatusOr<PayloadFilter> parsed = ParsePayloadFilter(*filter, reader.PathOf("filter"));
    if (!parsed.ok()) return parsed.status();
    phase.filter = *std::move(parsed);
  }
  return status;
}

absl::StatusOr<PhaseSpec> ReadPhase(const json& value, size_t index,
                                    const std::vector<TargetSpec>& targets) {
  PhaseSpec phase;
  phase.path = absl::StrCat("phases[", index, "]");
  if (!value.is_object()) {
    return SpecError(phase.path, absl::StrCat(Describe(value), " is not a mapping"),
                     "a phase {name, op, ...}");
  }
  FieldReader reader(value, phase.path);
  const std::string ops = absl::StrCat("one of: ", absl::StrJoin(kPhaseOps, ", "));
  absl::Status status = reader.CheckKeys(kPhaseKeys);
  if (status.ok()) status = reader.ReadName(phase.name);
  if (status.ok()) status = reader.ReadString("op", true, ops, phase.op);
  if (status.ok() && !OneOf(phase.op, kPhaseOps)) {
    return SpecError(reader.PathOf("op"), absl::StrCat(Quote(phase.op), " is not an operation"),
                     ops);
  }
  if (status.ok()) status = ReadPhaseLoad(reader, phase);
  if (status.ok()) status = ReadPhaseEnd(reader, phase);
  if (status.ok()) status = ReadPhaseWork(reader, targets, phase);
  if (!status.ok()) return status;
  return phase;
}

absl::Status ReadPhases(const FieldReader& top, const std::vector<TargetSpec>& targets,
                        std::vector<PhaseSpec>& phases) {
  absl::StatusOr<json> list = ReadList(top, "phases", true, "a non-empty list of phases");
  if (!list.ok()) return list.status();
  for (size_t i = 0; i < list->size(); ++i) {
    absl::StatusOr<PhaseSpec> phase = ReadPhase((*list)[i], i, targets);
    if (!phase.ok()) return phase.status();
    for (const PhaseSpec& earlier : phases) {
      if (earlier.name == phase->name) {
        return SpecError(absl::StrCat(phase->path, ".name"),
                         absl::StrCat(Quote(phase->name), " is also the name of ", earlier.path),
                         "unique phase names");
      }
    }
    phases.push_back(*std::move(phase));
  }
  return absl::OkStatus();
}

absl::Status ReadThresholds(const FieldReader& top, std::vector<std::string>& thresholds) {
  constexpr absl::string_view kExpected = "a threshold such as \"search.p99 < 50ms\"";
  absl::StatusOr<json> list = ReadList(top, "thresholds", false, "a list of thresholds");
  if (!list.ok()) return list.status();
  for (size_t i = 0; i < list->size(); ++i) {
    const json& item = (*list)[i];
    std::string path = absl::StrCat("thresholds[", i, "]");
    if (!item.is_string()) {
      return SpecError(path, absl::StrCat(Describe(item), " is not a string"), kExpected);
    }
    if (item.get_ref<const std::string&>().empty()) return SpecError(path, "is empty", kExpected);
    thresholds.push_back(item.get<std::string>());
  }
  return absl::OkStatus();
}

absl::StatusOr<JobSpec> SpecFromTree(const json& tree) {
  constexpr absl::string_view kExpected = "a mapping with name, targets and phases";
  if (tree.is_null()) return SpecError("document", "is empty", kExpected);
  if (!tree.is_object()) {
    return SpecError("document", absl::StrCat(Describe(tree), " is not a mapping"), kExpected);
  }
  JobSpec spec;
  FieldReader top(tree, "");
  absl::Status status = top.CheckKeys(kTopKeys);
  if (status.ok()) status = top.ReadString("name", true, "a non-empty job name", spec.name);
  if (status.ok()) status = ReadAgents(top, spec.agents);
  if (status.ok() && top.Find("dataset") != nullptr) {
    spec.dataset = *top.Find("dataset");
    if (!spec.dataset.is_object()) {
      return SpecError("dataset", absl::StrCat(Describe(spec.dataset), " is not a mapping"),
                       "a dataset mapping such as {kind: synthetic, count: 10000, dim: 128}");
    }
  }
  if (status.ok()) status = ReadTargets(top, spec.targets);
  if (status.ok()) status = ReadPhases(top, spec.targets, spec.phases);
  for (size_t i = 0; status.ok() && i < spec.phases.size(); ++i) {
    // A filter selects on the dataset's payload field: a misnamed field is caught here.
    if (spec.phases[i].filter) status = CheckFilterField(spec.dataset, *spec.phases[i].filter);
  }
  if (status.ok()) status = ReadThresholds(top, spec.thresholds);
  if (status.ok()) {
    status = top.ReadDuration("interval", std::chrono::milliseconds(100), false, spec.interval);
  }
  if (!status.ok()) return status;
  return spec;
}

absl::Status WithSource(absl::string_view source_name, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(source_name, ": ", status.message()));
}

}  // namespace

absl::StatusOr<JobSpec> ParseJobSpec(std::string_view text, std::string_view source_name,
                                     const std::vector<std::string>& overrides) {
  const absl::string_view source = job_spec_internal::ToAbsl(source_name);
  absl::StatusOr<json> tree =
      job_spec_internal::ReadSpecTree(job_spec_internal::ToAbsl(text), overrides);
  if (!tree.ok()) return WithSource(source, tree.status());
  absl::StatusOr<JobSpec> spec = SpecFromTree(*tree);
  if (!spec.ok()) return WithSource(source, spec.status());
  spec->document = job_spec_internal::EscapeForReread(*tree);
  return spec;
}

absl::StatusOr<JobSpec> LoadJobSpec(const std::string& path,
                                    const std::vector<std::string>& overrides) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": is a directory; expected a job spec file (YAML or JSON)"));
  }
  std::ifstream file(path, std::ios::binary);
  if (!file.is_open()) return absl::ErrnoToStatus(errno, absl::StrCat(path, ": cannot open"));
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) return absl::ErrnoToStatus(errno, absl::StrCat(path, ": cannot read"));
  return ParseJobSpec(text.str(), path, overrides);
}

double PlannedSeconds(const JobSpec& spec) {
  double total = 0;
  for (const PhaseSpec& p : spec.phases) {
    Duration d = p.warmup;
    if (p.duration) {
      d += *p.duration;
    } else if (!p.stages.empty()) {
      for (const StageSpec& s : p.stages) d += s.duration;
    } else {
      return 0;
    }
    total += std::chrono::duration<double>(d).count();
  }
  return total;
}

}  // namespace vexbench
