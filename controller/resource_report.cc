#include "controller/resource_report.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace vexbench {
namespace {

using nlohmann::json;

// The samples one shard sent for one target, in arrival order.
struct SampleGroup {
  std::string target;
  int shard = 0;
  std::vector<const v1::TargetSample*> samples;
};

std::string AgentName(const JobRecord& job, int shard) {
  return shard < static_cast<int>(job.agents.size()) ? job.agents[shard].name
                                                     : "shard " + std::to_string(shard);
}

// The successful sample of `phase` at `moment`, or null.
const v1::TargetSample* FindSample(const SampleGroup& group, const std::string& phase,
                                   v1::TargetSample::Moment moment) {
  for (const v1::TargetSample* s : group.samples) {
    if (s->phase() == phase && s->moment() == moment && s->error().empty()) return s;
  }
  return nullptr;
}

json EntryFor(const JobRecord& job, const SampleGroup& group) {
  const int64_t offset_us =
      group.shard < static_cast<int>(job.agents.size()) ? job.agents[group.shard].clock_offset_us : 0;
  json samples = json::array();
  json notes = json::array();
  std::string source;
  std::string last_source;
  std::map<std::string, int> errors;  // message -> samples
  std::vector<std::string> error_order;
  json peak = nullptr;
  const v1::TargetSample* previous = nullptr;
  for (const v1::TargetSample* s : group.samples) {
    if (!s->error().empty()) {
      if (errors[s->error()]++ == 0) error_order.push_back(s->error());
      continue;
    }
    if (source.empty()) source = s->source();
    last_source = s->source();
    json point = {{"t_s", static_cast<double>(s->unix_us() - offset_us - job.started_unix_us) / 1e6},
                  {"phase", s->phase()},
                  {"rss_bytes", s->rss_bytes()},
                  {"cpu_percent", nullptr}};
    if (previous != nullptr) {
      const int64_t dt_us = s->unix_us() - previous->unix_us();
      const double cpu = s->cpu_seconds() - previous->cpu_seconds();
      if (dt_us >= 1000 && cpu >= 0) point["cpu_percent"] = cpu * 1e8 / static_cast<double>(dt_us);
    }
    if (peak.is_null() || s->rss_bytes() > peak.get<int64_t>()) peak = s->rss_bytes();
    samples.push_back(std::move(point));
    previous = s;
  }
  for (const std::string& e : error_order) {
    notes.push_back(e + " (" + std::to_string(errors[e]) + " of " +
                    std::to_string(group.samples.size()) + " samples)");
  }
  if (!last_source.empty() && last_source != source) {
    notes.push_back("the matched processes changed during the job; last: " + last_source);
  }
  return {{"target", group.target}, {"agent", AgentName(job, group.shard)},
          {"source", source},       {"samples", std::move(samples)},
          {"peak_rss_bytes", peak}, {"notes", std::move(notes)}};
}

bool PhaseHasWarmup(const json& spec, const std::string& phase) {
  if (!spec.is_object() || !spec.contains("phases")) return false;
  for (const json& p : spec["phases"]) {
    if (p.value("name", "") == phase) return p.contains("warmup") && !p["warmup"].is_null();
  }
  return false;
}

// "memory" on the insert results of `group`'s target; reasons for leaving it out go to `notes`.
void AddMemory(const json& spec, const SampleGroup& group, json& results, json& notes) {
  for (json& r : results) {
    if (r.value("target", "") != group.target || r.value("op", "") != "insert") continue;
    const std::string phase = r.value("phase", "");
    const v1::TargetSample* before = FindSample(group, phase, v1::TargetSample::PHASE_START);
    const v1::TargetSample* after = FindSample(group, phase, v1::TargetSample::PHASE_END);
    const int64_t vectors = r.value("items", int64_t{0});
    std::string missing;
    if (before == nullptr) missing = "no sample before the phase started";
    if (after == nullptr) missing = "no sample after the phase ended";
    if (missing.empty() && vectors <= 0) missing = "no vectors were inserted";
    if (!missing.empty()) {
      notes.push_back("phase " + phase + ": no memory per 1,000 vectors: " + missing);
      continue;
    }
    json memory = {{"rss_before_bytes", before->rss_bytes()},
                   {"rss_after_bytes", after->rss_bytes()},
                   {"vectors", vectors},
                   {"bytes_per_1000_vectors",
                    static_cast<double>(after->rss_bytes() - before->rss_bytes()) * 1000.0 /
                        static_cast<double>(vectors)}};
    if (PhaseHasWarmup(spec, phase)) {
      memory["note"] = "the RSS difference includes the warm-up's inserts; vectors does not";
    }
    r["memory"] = std::move(memory);
  }
}

}  // namespace

void AddResourceReport(const JobRecord& job, json& report) {
  json resources = json::array();
  const json& spec = job.spec;
  if (!spec.is_object() || !spec.contains("targets") || !spec["targets"].is_array()) {
    report["resources"] = resources;
    return;
  }
  for (const json& target : spec["targets"]) {
    if (!target.is_object() || !target.contains("process")) continue;
    const std::string name = target.value("name", "");
    std::vector<SampleGroup> groups;
    for (const auto& [shard, sample] : job.target_samples) {
      if (sample.target() != name) continue;
      auto it = std::find_if(groups.begin(), groups.end(),
                             [&, s = shard](const SampleGroup& g) { return g.shard == s; });
      if (it == groups.end()) it = groups.insert(groups.end(), SampleGroup{name, shard, {}});
      it->samples.push_back(&sample);
    }
    if (groups.empty()) {
      const json& process = target["process"];
      const std::string agent = process.is_object() && process.contains("agent")
                                    ? process["agent"].get<std::string>()
                                    : (job.agents.empty() ? "" : job.agents[0].name);
      std::string names;
      for (const AgentRecord& a : job.agents) names += (names.empty() ? "" : ", ") + a.name;
      const bool ran = std::any_of(job.agents.begin(), job.agents.end(),
                                   [&](const AgentRecord& a) { return a.name == agent; });
      const std::string note =
          ran ? "no samples received (no phase ran)"
              : "not sampled: no agent named '" + agent + "' ran this job (agents: " + names + ")";
      resources.push_back({{"target", name},
                           {"agent", agent},
                           {"source", ""},
                           {"samples", json::array()},
                           {"peak_rss_bytes", nullptr},
                           {"notes", json::array({note})}});
      continue;
    }
    for (const SampleGroup& group : groups) {
      json entry = EntryFor(job, group);
      if (&group == &groups.front() && report.contains("results")) {
        AddMemory(spec, group, report["results"], entry["notes"]);
      }
      resources.push_back(std::move(entry));
    }
  }
  report["resources"] = resources;
}

}  // namespace vexbench
