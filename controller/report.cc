#include "controller/report.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>

#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "common/clock.h"
#include "common/hdr_codec.h"
#include "common/hlog.h"
#include "controller/resource_report.h"

namespace vexbench {
namespace {

double Ms(int64_t us) { return static_cast<double>(us) / 1000.0; }

nlohmann::json Percentiles(const Histogram& h) {
  return {{"p50", Ms(h.ValueAtPercentile(50))},   {"p90", Ms(h.ValueAtPercentile(90))},
          {"p95", Ms(h.ValueAtPercentile(95))},   {"p99", Ms(h.ValueAtPercentile(99))},
          {"p999", Ms(h.ValueAtPercentile(99.9))}, {"max", Ms(h.Max())},
          {"min", Ms(h.Min())},                    {"mean", h.Mean() / 1000.0},
          {"stddev", h.StdDev() / 1000.0}};
}

nlohmann::json ErrorsByClass(const SeriesCounters& c) {
  nlohmann::json out = nlohmann::json::object();
  for (int i = 1; i < kErrorClassCount; ++i) out[std::string(kErrorClassNames[i])] = c.errors_by_class[i];
  return out;
}

double MetricValue(const Threshold& t, const SeriesTotals& totals, double duration_s) {
  switch (t.metric) {
    case Threshold::Metric::kPercentile: return Ms(totals.latency.ValueAtPercentile(t.percentile));
    case Threshold::Metric::kMax: return Ms(totals.latency.Max());
    case Threshold::Metric::kMean: return totals.latency.Mean() / 1000.0;
    case Threshold::Metric::kThroughput:
      return duration_s > 0 ? static_cast<double>(totals.counters.requests) / duration_s : 0;
    case Threshold::Metric::kRecall:
      return totals.counters.recall_expected > 0
                 ? static_cast<double>(totals.counters.recall_hits) /
                       static_cast<double>(totals.counters.recall_expected)
                 : 0;
    case Threshold::Metric::kErrors:
      if (!t.percent) return static_cast<double>(totals.counters.errors);
      return totals.counters.requests > 0 ? 100.0 * static_cast<double>(totals.counters.errors) /
                                                static_cast<double>(totals.counters.requests)
                                          : 0;
  }
  return 0;
}

std::string FileSafe(std::string s) {
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  }
  return s;
}

std::string Base64Histogram(const Histogram& h) {
  return absl::Base64Escape(EncodeV2Compressed(h));
}

bool IsSecretKey(const std::string& key) {
  const std::string k = absl::AsciiStrToLower(key);
  for (const char* word : {"api_key", "apikey", "token", "password", "secret", "authorization"}) {
    if (k.find(word) != std::string::npos) return true;
  }
  return false;
}

// The spec's targets with what the shards learned: server version and remarks.
nlohmann::json TargetsWithProvenance(nlohmann::json targets,
                                     const std::vector<v1::TargetReport>& reports) {
  for (auto& t : targets) {
    for (const v1::TargetReport& r : reports) {
      if (!r.phase().empty() || r.target() != t.value("name", "")) continue;
      if (!r.version().empty()) t["version"] = r.version();
      if (r.notes_size() > 0) t["notes"] = std::vector<std::string>(r.notes().begin(), r.notes().end());
    }
  }
  return targets;
}

int PhaseK(const nlohmann::json& spec, const std::string& phase) {
  if (!spec.is_object() || !spec.contains("phases")) return 0;
  for (const auto& p : spec["phases"]) {
    if (p.value("name", "") == phase) return p.value("k", 10);
  }
  return 0;
}

// "timeline": one row [t_s, requests, errors, rps, p99_ms] per merged interval, t_s its start
// from the job's start; "timeline_hdr": [t_s, length_s, base64 V2 latency] for the same
// intervals, so the .hlog files can be rebuilt from report.json alone.
void AddTimeline(const std::map<int64_t, IntervalPoint>& timeline, int64_t job_start_unix_us,
                 nlohmann::json& result) {
  nlohmann::json rows = nlohmann::json::array();
  nlohmann::json hdr = nlohmann::json::array();
  for (const auto& [seq, point] : timeline) {
    const double t_s = static_cast<double>(point.start_unix_us - job_start_unix_us) / 1e6;
    const double length_s = static_cast<double>(point.length_us) / 1e6;
    const SeriesTotals totals = point.Totals();
    const SeriesCounters& c = totals.counters;
    rows.push_back({t_s, c.requests, c.errors,
                    length_s > 0 ? static_cast<double>(c.requests) / length_s : 0.0,
                    Ms(totals.latency.ValueAtPercentile(99))});
    hdr.push_back({t_s, length_s, Base64Histogram(totals.latency)});
  }
  result["timeline"] = std::move(rows);
  result["timeline_hdr"] = std::move(hdr);
}

}  // namespace

nlohmann::json RedactSecrets(nlohmann::json spec) {
  if (spec.is_object()) {
    for (auto& [key, value] : spec.items()) {
      if (IsSecretKey(key) && (value.is_string() || value.is_number())) {
        value = "<redacted>";
      } else {
        value = RedactSecrets(std::move(value));
      }
    }
  } else if (spec.is_array()) {
    for (auto& v : spec) v = RedactSecrets(std::move(v));
  }
  return spec;
}

nlohmann::json AgentRecordToJson(const AgentRecord& a) {
  return {{"name", a.name},       {"host", a.host},
          {"version", a.version}, {"cores", a.cores},
          {"threads", a.threads}, {"state", a.state},
          {"error", a.error},     {"clock_offset_us", a.clock_offset_us},
          {"rtt_us", a.rtt_us},   {"started_unix_us", a.started_unix_us}};
}

AgentRecord AgentRecordFromJson(const nlohmann::json& j) {
  AgentRecord a;
  a.name = j.value("name", "");
  a.host = j.value("host", "");
  a.version = j.value("version", "");
  a.cores = j.value("cores", 0);
  a.threads = j.value("threads", 0);
  a.state = j.value("state", "");
  a.error = j.value("error", "");
  a.clock_offset_us = j.value("clock_offset_us", int64_t{0});
  a.rtt_us = j.value("rtt_us", int64_t{0});
  a.started_unix_us = j.value("started_unix_us", int64_t{0});
  return a;
}

double PhaseDurationSeconds(const IntervalMerger& merger, const std::string& phase) {
  auto it = merger.windows().find(phase);
  if (it == merger.windows().end() || it->second.empty()) return 0;
  int64_t start = std::numeric_limits<int64_t>::max(), end = std::numeric_limits<int64_t>::min();
  for (const auto& [shard, w] : it->second) {
    start = std::min(start, w.start_unix_us);
    end = std::max(end, w.end_unix_us);
  }
  return end > start ? static_cast<double>(end - start) / 1e6 : 0;
}

std::vector<ThresholdVerdict> EvaluateThresholds(const std::vector<Threshold>& thresholds,
                                                 const IntervalMerger& merger) {
  std::vector<ThresholdVerdict> out;
  for (const Threshold& t : thresholds) {
    bool matched = false;
    for (const SeriesId& id : merger.series()) {
      if (t.phase && *t.phase != id.phase) continue;
      matched = true;
      const double value = MetricValue(t, merger.Total(id), PhaseDurationSeconds(merger, id.phase));
      out.push_back({t.expr, id.target, id.phase, id.op, value, t.Passes(value), ""});
    }
    if (!matched) {
      out.push_back({t.expr, "", t.phase.value_or(""), "", 0, false,
                     "no result to evaluate: the phase did not run"});
    }
  }
  return out;
}

nlohmann::json BuildReport(const JobRecord& job, const IntervalMerger& merger,
                           const std::vector<ThresholdVerdict>& verdicts) {
  nlohmann::json report;
  report["schema"] = "vexbench.report/v1";
  const nlohmann::json spec = RedactSecrets(job.spec);
  report["job"] = {{"id", job.id}, {"name", job.name}, {"state", job.state}, {"spec", spec}};
  if (!job.error.empty()) report["job"]["error"] = job.error;
  nlohmann::json agents = nlohmann::json::array();
  for (size_t i = 0; i < job.agents.size(); ++i) {
    const AgentRecord& a = job.agents[i];
    int64_t requests = 0, errors = 0;
    for (const SeriesId& id : merger.series()) {
      const auto& shards = merger.PerShard(id);
      if (auto it = shards.find(static_cast<int>(i)); it != shards.end()) {
        requests += it->second.counters.requests;
        errors += it->second.counters.errors;
      }
    }
    nlohmann::json entry = {{"name", a.name},
                            {"host", a.host},
                            {"state", a.state},
                            {"version", a.version},
                            {"cores", a.cores},
                            {"threads", a.threads},
                            {"clock_offset_us", a.clock_offset_us},
                            {"rtt_us", a.rtt_us},
                            {"requests", requests},
                            {"errors", errors}};
    if (!a.error.empty()) entry["error"] = a.error;
    agents.push_back(entry);
  }
  const bool has_spec = spec.is_object();
  int64_t first_start = 0, last_start = 0;
  for (const AgentRecord& a : job.agents) {
    if (a.started_unix_us == 0) continue;
    first_start = first_start == 0 ? a.started_unix_us : std::min(first_start, a.started_unix_us);
    last_start = std::max(last_start, a.started_unix_us);
  }
  report["environment"] = {
      {"agents", agents},
      {"targets", TargetsWithProvenance(has_spec ? spec.value("targets", nlohmann::json::array())
                                                 : nlohmann::json::array(),
                                        job.target_reports)},
      {"dataset", !job.dataset.is_null() ? job.dataset
                                         : (has_spec ? spec.value("dataset", nlohmann::json())
                                                     : nlohmann::json())},
      {"start_skew_us", last_start - first_start},
                           {"started", FormatUnixMicrosIso8601(job.started_unix_us)},
                           {"ended", FormatUnixMicrosIso8601(job.ended_unix_us)},
                           {"started_unix_us", job.started_unix_us},
                           {"ended_unix_us", job.ended_unix_us}};
  report["agents"] = agents;
  nlohmann::json results = nlohmann::json::array();
  for (const SeriesId& id : merger.series()) {
    const SeriesTotals& t = merger.Total(id);
    const double duration_s = PhaseDurationSeconds(merger, id.phase);
    nlohmann::json r = {
        {"target", id.target},
        {"phase", id.phase},
        {"op", id.op},
        {"requests", t.counters.requests},
        {"errors", t.counters.errors},
        {"errors_by_class", ErrorsByClass(t.counters)},
        {"duration_s", duration_s},
        {"throughput_rps", duration_s > 0 ? static_cast<double>(t.counters.requests) / duration_s : 0},
        {"latency_ms", Percentiles(t.latency)},
        {"latency_hdr", Base64Histogram(t.latency)},
        {"bytes_sent", t.counters.bytes_sent},
        {"bytes_received", t.counters.bytes_received},
        {"latency_clamped", t.counters.clamped}};
    if (t.counters.items > 0) {
      r["items"] = t.counters.items;
      r["items_per_s"] = duration_s > 0 ? static_cast<double>(t.counters.items) / duration_s : 0;
    }
    if (t.counters.recall_expected > 0) {
      r["recall_at_k"] = {{"k", PhaseK(spec, id.phase)},
                          {"mean", static_cast<double>(t.counters.recall_hits) /
                                       static_cast<double>(t.counters.recall_expected)}};
    }
    for (const v1::TargetReport& tr : job.target_reports) {
      if (tr.target() != id.target || tr.phase() != id.phase || tr.shard_index() != 0) continue;
      if (tr.count() >= 0) {
        r["count_after"] = tr.count();
        r["count_expected"] = tr.expected();
      } else {
        r["count_after"] = nullptr;
        r["count_note"] = tr.count_note();
      }
    }
    if (t.open_loop) {
      r["wait_ms"] = Percentiles(t.wait);
      r["late_sends"] = t.counters.late_sends;
      r["unsent"] = t.counters.unsent;
    }
    nlohmann::json per_agent = nlohmann::json::array();
    for (const auto& [shard, s] : merger.PerShard(id)) {
      const std::string name =
          shard < static_cast<int>(job.agents.size()) ? job.agents[shard].name : std::to_string(shard);
      per_agent.push_back({{"agent", name},
                           {"requests", s.counters.requests},
                           {"errors", s.counters.errors},
                           {"latency_hdr", Base64Histogram(s.latency)}});
    }
    r["per_agent"] = per_agent;
    AddTimeline(merger.Timeline(id), job.started_unix_us, r);
    results.push_back(r);
  }
  report["results"] = results;
  AddResourceReport(job, report);  // "resources", and "memory" on insert results
  nlohmann::json thresholds = nlohmann::json::array();
  for (const ThresholdVerdict& v : verdicts) {
    nlohmann::json e = {{"expr", v.expr}, {"value", v.value}, {"passed", v.passed}};
    if (!v.target.empty()) e["target"] = v.target;
    if (!v.phase.empty()) e["phase"] = v.phase;
    if (!v.op.empty()) e["op"] = v.op;
    if (!v.note.empty()) e["note"] = v.note;
    thresholds.push_back(e);
  }
  report["thresholds"] = thresholds;
  return report;
}

std::vector<std::pair<std::string, std::string>> RenderReportFiles(
    const nlohmann::json& report, const IntervalMerger& merger, int64_t job_start_unix_us) {
  std::vector<std::pair<std::string, std::string>> files;
  files.emplace_back("report.json", report.dump(2) + "\n");
  const auto& agents = report["agents"];
  for (const SeriesId& id : merger.series()) {
    const std::string base = FileSafe(id.target + "." + id.phase + "." + id.op);
    std::ostringstream out;
    HlogWriter writer(out, /*max_value_unit_ratio=*/1000.0);  // µs values, max column in ms
    writer.WriteHeader(static_cast<double>(job_start_unix_us) / 1e6,
                       "vexbench " + id.target + " " + id.phase + " " + id.op + ", values in us");
    for (const auto& [seq, point] : merger.Timeline(id)) {
      writer.WriteInterval({.start_s = static_cast<double>(point.start_unix_us - job_start_unix_us) / 1e6,
                            .length_s = static_cast<double>(point.length_us) / 1e6,
                            .histogram = point.Totals().latency});
    }
    files.emplace_back(base + ".hlog", out.str());
    if (agents.size() < 2) continue;
    for (const auto& [shard, totals] : merger.PerShard(id)) {
      const std::string agent = shard < static_cast<int>(agents.size())
                                    ? agents[shard]["name"].get<std::string>()
                                    : "shard" + std::to_string(shard);
      std::ostringstream agent_out;
      HlogWriter agent_writer(agent_out, 1000.0);
      agent_writer.WriteHeader(static_cast<double>(job_start_unix_us) / 1e6,
                               "vexbench " + id.target + " " + id.phase + " " + id.op +
                                   ", agent " + agent + " total, values in us");
      agent_writer.WriteInterval({.start_s = 0, .length_s = 0, .histogram = totals.latency});
      files.emplace_back(base + "." + FileSafe(agent) + ".hlog", agent_out.str());
    }
  }
  return files;
}

absl::Status WriteReportFiles(const std::string& dir, const nlohmann::json& report,
                              const IntervalMerger& merger, int64_t job_start_unix_us) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError("--out " + dir + ": cannot create directory: " + ec.message());
  for (const auto& [name, content] : RenderReportFiles(report, merger, job_start_unix_us)) {
    std::ofstream out(dir + "/" + name, std::ios::binary);
    out << content;
    if (!out) return absl::InternalError("cannot write " + dir + "/" + name);
  }
  return absl::OkStatus();
}

}  // namespace vexbench
