#include "common/job_spec.h"

#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace vexbench {
namespace {

using json = nlohmann::json;
using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;

constexpr char kVectorExample[] = R"(name: vexfs-vs-chroma
agents: 2                      # or: agents: {count: 2, labels: {zone: a}}
dataset: {kind: synthetic, count: 10000, dim: 128, queries: 500, metric: cosine, seed: 7}
targets:
  - {name: chroma, kind: chroma, url: "http://127.0.0.1:8011"}
  - {name: vexfs,  kind: vexfs,  url: "http://10.0.0.5:7680", api_key: "${VEXFS_API_KEY}"}
phases:
  - {name: load,   op: insert, batch: 500, concurrency: 4}
  - {name: search, op: query, k: 10, concurrency: 16, duration: 30s, warmup: 5s}
  - {name: steady, op: query, k: 10, rate: 2000, duration: 60s}    # open loop
thresholds:
  - "search.p99 < 50ms"
  - "search.recall@10 > 0.9"
  - "errors < 0.1%"
)";

constexpr char kHttpExample[] = R"(name: nginx-smoke
targets:
  - {name: web, kind: http, url: "http://127.0.0.1:8090/index.html", method: GET}
phases:
  - {name: closed, op: request, concurrency: 32, duration: 10s, warmup: 2s}
  - {name: steady, op: request, rate: 1000, duration: 5s, arrival: poisson}
)";

constexpr char kWebTarget[] = "  - {name: web, kind: http, url: \"http://127.0.0.1:8090/\"}\n";
constexpr char kRequestPhase[] = "  - {name: p, op: request, duration: 1s}\n";

// A valid spec with `phases` (YAML list lines) against one http target named web.
std::string WithPhases(const std::string& phases) {
  return std::string("name: t\ntargets:\n") + kWebTarget + "phases:\n" + phases;
}
// A valid spec with `targets` (YAML list lines) and one request phase.
std::string WithTargets(const std::string& targets) {
  return "name: t\ntargets:\n" + targets + "phases:\n" + kRequestPhase;
}
// A valid spec plus `extra` top-level lines.
std::string WithTop(const std::string& extra) { return WithPhases(kRequestPhase) + extra; }

// The message of the error ParseJobSpec must return for `text`.
std::string ErrorOf(const std::string& text, const std::vector<std::string>& overrides = {}) {
  absl::StatusOr<JobSpec> spec = ParseJobSpec(text, "job.yaml", overrides);
  REQUIRE_FALSE(spec.ok());
  CHECK(spec.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(spec.status().message());
}

JobSpec Parse(const std::string& text, const std::vector<std::string>& overrides = {}) {
  absl::StatusOr<JobSpec> spec = ParseJobSpec(text, "job.yaml", overrides);
  INFO(spec.status().ToString());
  REQUIRE(spec.ok());
  return *std::move(spec);
}

void CheckSamePhase(const PhaseSpec& a, const PhaseSpec& b) {
  CHECK(a.name == b.name);
  CHECK(a.op == b.op);
  CHECK(a.concurrency == b.concurrency);
  CHECK(a.rate == b.rate);
  CHECK(a.arrival == b.arrival);
  CHECK(a.duration == b.duration);
  CHECK(a.requests == b.requests);
  CHECK(a.warmup == b.warmup);
  CHECK(a.timeout == b.timeout);
  CHECK(a.late_threshold == b.late_threshold);
  REQUIRE(a.stages.size() == b.stages.size());
  for (size_t i = 0; i < a.stages.size(); ++i) {
    CHECK(a.stages[i].duration == b.stages[i].duration);
    CHECK(a.stages[i].rate == b.stages[i].rate);
    CHECK(a.stages[i].concurrency == b.stages[i].concurrency);
  }
  CHECK(a.targets == b.targets);
  CHECK(a.batch == b.batch);
  CHECK(a.k == b.k);
  CHECK(a.ef == b.ef);
  CHECK(a.read_ratio == b.read_ratio);
  CHECK(a.path == b.path);
}

void CheckSameSpec(const JobSpec& a, const JobSpec& b) {
  CHECK(a.name == b.name);
  CHECK(a.agents.count == b.agents.count);
  CHECK(a.agents.labels == b.agents.labels);
  CHECK(a.dataset == b.dataset);
  REQUIRE(a.targets.size() == b.targets.size());
  for (size_t i = 0; i < a.targets.size(); ++i) {
    CHECK(a.targets[i].name == b.targets[i].name);
    CHECK(a.targets[i].kind == b.targets[i].kind);
    CHECK(a.targets[i].url == b.targets[i].url);
    CHECK(a.targets[i].options == b.targets[i].options);
    CHECK(a.targets[i].path == b.targets[i].path);
  }
  REQUIRE(a.phases.size() == b.phases.size());
  for (size_t i = 0; i < a.phases.size(); ++i) CheckSamePhase(a.phases[i], b.phases[i]);
  CHECK(a.thresholds == b.thresholds);
  CHECK(a.interval == b.interval);
  CHECK(a.document == b.document);
}

// Parses `spec.document.dump()` again and checks that nothing changed.
void CheckRoundTrip(const JobSpec& spec) {
  absl::StatusOr<JobSpec> again = ParseJobSpec(spec.document.dump(), "document");
  INFO(spec.document.dump());
  INFO(again.status().ToString());
  REQUIRE(again.ok());
  CheckSameSpec(spec, *again);
}

TEST_CASE("ParseDuration reads every unit, fractions and combinations", "[job_spec]") {
  const std::vector<std::pair<std::string, nanoseconds>> cases = {
      {"500ms", milliseconds(500)},
      {"10s", seconds(10)},
      {"2m", minutes(2)},
      {"1h", hours(1)},
      {"250us", microseconds(250)},
      {"250\u00b5s", microseconds(250)},
      {"1.5s", milliseconds(1500)},
      {"2m30s", seconds(150)},
      {"1h30m", minutes(90)},
      {"100ns", nanoseconds(100)},
      {"0s", nanoseconds(0)},
      {"0.5ms", microseconds(500)},
      {"1.000000001s", nanoseconds(1'000'000'001)},
      {"2562047h", hours(2562047)},
  };
  for (const auto& [text, expected] : cases) {
    CAPTURE(text);
    absl::StatusOr<Duration> d = ParseDuration(text);
    REQUIRE(d.ok());
    CHECK(*d == expected);
  }
}

TEST_CASE("ParseDuration refuses bare numbers, negatives and unknown units", "[job_spec]") {
  const std::string expectation = "; expected a duration like 500ms, 10s, 2m, 1h";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "\"\" is not a duration"},       {"10", "\"10\" has no unit"},
      {"0", "\"0\" has no unit"},           {"-5s", "\"-5s\" is negative"},
      {"5x", "\"5x\" has an unknown unit"}, {"s", "\"s\" is not a duration"},
      {"1.5", "\"1.5\" has no unit"},       {"10 s", "\"10 s\" has an unknown unit"},
      {"2m30", "\"2m30\" has no unit"},
  };
  for (const auto& [text, message] : cases) {
    CAPTURE(text);
    absl::StatusOr<Duration> d = ParseDuration(text);
    REQUIRE_FALSE(d.ok());
    CHECK(d.status().message() == message + expectation);
  }
  absl::StatusOr<Duration> huge = ParseDuration("9999999h");
  REQUIRE_FALSE(huge.ok());
  CHECK(huge.status().message() ==
        "\"9999999h\" is too long; expected a duration up to 2562047h47m16.854775807s");
}

TEST_CASE("FormatDuration is compact and ParseDuration reads it back", "[job_spec]") {
  CHECK(FormatDuration(milliseconds(500)) == "500ms");
  CHECK(FormatDuration(seconds(10)) == "10s");
  CHECK(FormatDuration(seconds(150)) == "2m30s");
  CHECK(FormatDuration(hours(1)) == "1h");
  CHECK(FormatDuration(minutes(90)) == "1h30m");
  CHECK(FormatDuration(milliseconds(1500)) == "1.5s");
  CHECK(FormatDuration(microseconds(250)) == "250us");
  CHECK(FormatDuration(nanoseconds(1500)) == "1.5us");
  CHECK(FormatDuration(nanoseconds(0)) == "0s");
  CHECK(FormatDuration(hours(1) + seconds(5)) == "1h5s");
  CHECK(FormatDuration(-seconds(2)) == "-2s");
  for (int64_t ns : {int64_t{1}, int64_t{999}, int64_t{1'000}, int64_t{1'234'567},
                     int64_t{999'999'999}, int64_t{1'000'000'000}, int64_t{61'000'000'001},
                     int64_t{3'600'000'000'000}, int64_t{86'400'123'000'000}}) {
    CAPTURE(ns);
    absl::StatusOr<Duration> back = ParseDuration(FormatDuration(nanoseconds(ns)));
    REQUIRE(back.ok());
    CHECK(back->count() == ns);
  }
}

TEST_CASE("ParseUrl splits host, port and target", "[job_spec]") {
  absl::StatusOr<Url> url = ParseUrl("http://127.0.0.1:8011");
  REQUIRE(url.ok());
  CHECK(url->scheme == "http");
  CHECK(url->host == "127.0.0.1");
  CHECK(url->port == 8011);
  CHECK(url->target == "/");

  url = ParseUrl("http://example.com/a/b?x=1&y=2");
  REQUIRE(url.ok());
  CHECK(url->host == "example.com");
  CHECK(url->port == 80);
  CHECK(url->target == "/a/b?x=1&y=2");

  url = ParseUrl("http://[::1]:8080/v1");
  REQUIRE(url.ok());
  CHECK(url->host == "::1");  // without brackets: ready for a resolver
  CHECK(url->port == 8080);
  CHECK(url->target == "/v1");

  url = ParseUrl("HTTP://my_host-1.local?q=1");
  REQUIRE(url.ok());
  CHECK(url->scheme == "http");
  CHECK(url->host == "my_host-1.local");
  CHECK(url->target == "/?q=1");
}

TEST_CASE("ParseUrl errors name the URL and what was expected", "[job_spec]") {
  const std::string shape = "; expected http://host[:port][/path][?query]";
  const std::string port = "; expected a port in 1..65535";
  const std::string host = "; expected an IPv4 address, [IPv6] address or host name";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"https://example.com/", "https targets are not supported yet; use http://"},
      {"ftp://example.com/", "\"ftp://example.com/\" has scheme \"ftp\"" + shape},
      {"127.0.0.1:8080", "\"127.0.0.1:8080\" is not an http URL" + shape},
      {"http://:80/", "\"http://:80/\" has no host" + shape},
      {"http://h:0/", "\"http://h:0/\" has an invalid port \"0\"" + port},
      {"http://h:65536/", "\"http://h:65536/\" has an invalid port \"65536\"" + port},
      {"http://h:http/", "\"http://h:http/\" has an invalid port \"http\"" + port},
      {"http://h:/", "\"http://h:/\" has an invalid port \"\"" + port},
      {"http://a b/", "\"http://a b/\" has an invalid host \"a b\"" + host},
      {"http://1.2.3/", "\"http://1.2.3/\" has an invalid host \"1.2.3\"" + host},
      {"http://[::1/",
       "\"http://[::1/\" has an unclosed [ in its host; expected an IPv6 "
       "address in brackets, e.g. http://[::1]:8080/"},
      {"http://[zz]/",
       "\"http://[zz]/\" has an invalid IPv6 address; expected an IPv6 "
       "address in brackets, e.g. http://[::1]:8080/"},
      {"http://user@h/", "\"http://user@h/\" has user info (user@)" + shape},
      {"http://h/#top", "\"http://h/#top\" has a #fragment" + shape},
      {"http://h/a b",
       "\"http://h/a b\" has a space or control character; expected a URL "
       "with its path and query percent-encoded"},
  };
  for (const auto& [text, message] : cases) {
    CAPTURE(text);
    absl::StatusOr<Url> url = ParseUrl(text);
    REQUIRE_FALSE(url.ok());
    CHECK(url.status().message() == message);
  }
}

TEST_CASE("The vector example of design.md parses to its fields", "[job_spec]") {
  REQUIRE(setenv("VEXFS_API_KEY", "k-123", 1) == 0);
  JobSpec spec = Parse(kVectorExample);
  CHECK(spec.name == "vexfs-vs-chroma");
  CHECK(spec.agents.count == 2);
  CHECK(spec.agents.labels.empty());
  CHECK(spec.dataset == json::parse(R"({"kind": "synthetic", "count": 10000, "dim": 128,
      "queries": 500, "metric": "cosine", "seed": 7})"));
  REQUIRE(spec.targets.size() == 2);
  CHECK(spec.targets[0].name == "chroma");
  CHECK(spec.targets[0].kind == "chroma");
  CHECK(spec.targets[0].url == "http://127.0.0.1:8011");
  CHECK(spec.targets[0].options == json::object());
  CHECK(spec.targets[0].path == "targets[0]");
  CHECK(spec.targets[1].kind == "vexfs");
  CHECK(spec.targets[1].options == json{{"api_key", "k-123"}});

  REQUIRE(spec.phases.size() == 3);
  const PhaseSpec& load = spec.phases[0];
  CHECK(load.name == "load");
  CHECK(load.op == "insert");
  CHECK(load.batch == 500);
  CHECK(load.concurrency == 4);
  CHECK_FALSE(load.open_loop());
  CHECK_FALSE(load.duration.has_value());  // insert ends with its data
  CHECK(load.timeout == seconds(10));
  CHECK(load.late_threshold == milliseconds(1));
  CHECK(load.targets.empty());
  CHECK(load.path == "phases[0]");
  const PhaseSpec& search = spec.phases[1];
  CHECK(search.k == 10);
  CHECK(search.concurrency == 16);
  CHECK(search.duration == seconds(30));
  CHECK(search.warmup == seconds(5));
  CHECK_FALSE(search.open_loop());
  const PhaseSpec& steady = spec.phases[2];
  CHECK(steady.open_loop());
  CHECK(steady.rate == 2000.0);
  CHECK(steady.arrival == Arrival::kUniform);
  CHECK(steady.concurrency == 1);
  CHECK(steady.duration == seconds(60));

  CHECK(spec.thresholds ==
        std::vector<std::string>{"search.p99 < 50ms", "search.recall@10 > 0.9", "errors < 0.1%"});
  CHECK(spec.interval == seconds(1));
  CHECK(spec.document["targets"][1]["api_key"] == "k-123");
  CheckRoundTrip(spec);
}

TEST_CASE("The http example of design.md parses to its fields", "[job_spec]") {
  JobSpec spec = Parse(kHttpExample);
  CHECK(spec.name == "nginx-smoke");
  CHECK(spec.agents.count == 1);
  CHECK(spec.dataset.is_null());
  REQUIRE(spec.targets.size() == 1);
  CHECK(spec.targets[0].url == "http://127.0.0.1:8090/index.html");
  CHECK(spec.targets[0].options == json{{"method", "GET"}});
  REQUIRE(spec.phases.size() == 2);
  CHECK(spec.phases[0].op == "request");
  CHECK(spec.phases[0].concurrency == 32);
  CHECK(spec.phases[0].duration == seconds(10));
  CHECK(spec.phases[0].warmup == seconds(2));
  CHECK(spec.phases[1].rate == 1000.0);
  CHECK(spec.phases[1].arrival == Arrival::kPoisson);
  CHECK(spec.phases[1].duration == seconds(5));
  CHECK(spec.thresholds.empty());
  CheckRoundTrip(spec);
}

TEST_CASE("A JSON spec reads like the same YAML spec", "[job_spec]") {
  JobSpec from_json = Parse(R"({
    "name": "nginx-smoke",
    "targets": [{"name": "web", "kind": "http", "url": "http://127.0.0.1:8090/index.html",
                 "method": "GET"}],
    "phases": [
      {"name": "closed", "op": "request", "concurrency": 32, "duration": "10s", "warmup": "2s"},
      {"name": "steady", "op": "request", "rate": 1000, "duration": "5s", "arrival": "poisson"}
    ]
  })");
  CheckSameSpec(from_json, Parse(kHttpExample));
}

TEST_CASE("Agents, interval, stages and per-phase settings are read", "[job_spec]") {
  JobSpec spec = Parse(WithPhases(R"(
  - name: ramp
    op: request
    rate: 100.5
    arrival: uniform
    concurrency: 64
    timeout: 2s
    late_threshold: 5ms
    targets: [web]
    stages: [{duration: 10s, rate: 500}, {duration: 0s, rate: 1000}, {duration: 1m}]
  - {name: workers, op: mixed, read_ratio: 0.9, ef: 64, k: 5, batch: 10, requests: 100000,
     stages: [{duration: 30s, concurrency: 8}, {duration: 30s, concurrency: 0}]}
  - {name: cleanup, op: delete}
agents: {count: 3, labels: {zone: a, rack: 5, gpu: true}}
interval: 250ms
)"));
  CHECK(spec.agents.count == 3);
  CHECK(spec.agents.labels ==
        std::map<std::string, std::string>{{"zone", "a"}, {"rack", "5"}, {"gpu", "true"}});
  CHECK(spec.interval == milliseconds(250));
  const PhaseSpec& ramp = spec.phases[0];
  CHECK(ramp.rate == 100.5);
  CHECK(ramp.concurrency == 64);
  CHECK(ramp.timeout == seconds(2));
  CHECK(ramp.late_threshold == milliseconds(5));
  CHECK(ramp.targets == std::vector<std::string>{"web"});
  REQUIRE(ramp.stages.size() == 3);
  CHECK(ramp.stages[0].duration == seconds(10));
  CHECK(ramp.stages[0].rate == 500.0);
  CHECK_FALSE(ramp.stages[0].concurrency.has_value());
  CHECK(ramp.stages[1].duration == Duration::zero());
  CHECK_FALSE(ramp.stages[2].rate.has_value());
  CHECK_FALSE(ramp.duration.has_value());
  const PhaseSpec& workers = spec.phases[1];
  CHECK(workers.read_ratio == 0.9);
  CHECK(workers.ef == 64);
  CHECK(workers.k == 5);
  CHECK(workers.batch == 10);
  CHECK(workers.requests == 100000);
  REQUIRE(workers.stages.size() == 2);
  CHECK(workers.stages[1].concurrency == 0);
  CHECK(spec.phases[2].op == "delete");
  CheckRoundTrip(spec);
}

TEST_CASE("Target options keep their YAML types", "[job_spec]") {
  JobSpec spec = Parse(WithTargets(R"(
  - name: web
    kind: http
    url: http://127.0.0.1:8090/
    quoted: "123"
    single: '4.5'
    tagged: !!str 7
    count: 123
    big: -9000000000
    ratio: 1.5
    flag: true
    off: False
    nothing: ~
    also_nothing:
    text: plain words
    not_a_number: inf
    list: [1, "2", x]
    headers: {Content-Type: application/json, X-Retries: 3}
  - {name: disk, kind: fs, path: /mnt/vexfs}
)"));
  const json& options = spec.targets[0].options;
  CHECK(options["quoted"] == json("123"));
  CHECK(options["single"] == json("4.5"));
  CHECK(options["tagged"] == json("7"));
  CHECK(options["count"].is_number_integer());
  CHECK(options["count"] == 123);
  CHECK(options["big"] == int64_t{-9000000000});
  CHECK(options["ratio"].is_number_float());
  CHECK(options["ratio"] == 1.5);
  CHECK(options["flag"] == true);
  CHECK(options["off"] == false);
  CHECK(options["nothing"].is_null());
  CHECK(options["also_nothing"].is_null());
  CHECK(options["text"] == "plain words");
  CHECK(options["not_a_number"] == "inf");
  CHECK(options["list"] == json::parse(R"([1, "2", "x"])"));
  CHECK(options["headers"] == json::parse(R"({"Content-Type": "application/json",
                                              "X-Retries": 3})"));
  CHECK_FALSE(options.contains("name"));
  CHECK_FALSE(options.contains("url"));
  CHECK(spec.targets[1].url.empty());  // fs needs no url
  CHECK(spec.targets[1].options == json{{"path", "/mnt/vexfs"}});
  CheckRoundTrip(spec);
}

// Each bad input and the exact first error it must produce.
struct BadSpec {
  std::string text;
  std::string message;
};

std::vector<BadSpec> BadDocuments() {
  const std::string top_keys = "name, agents, dataset, targets, phases, thresholds, interval";
  return {
      {"", "job.yaml: document: is empty; expected a mapping with name, targets and phases"},
      {"- a\n- b\n",
       "job.yaml: document: a list is not a mapping; expected a mapping with "
       "name, targets and phases"},
      {"name: a\nb: [1, 2\nc: 3\n",
       "job.yaml: line 3, column 2: end of sequence flow not found; expected valid YAML or JSON"},
      {"name: a\nname: b\n", "job.yaml: name: appears twice; expected each key once"},
      {WithTop("---\nname: again\n"),
       "job.yaml: line 7: starts a second YAML document; expected one document per job spec"},
      {WithTop("nmae: x\n"), "job.yaml: unknown key 'nmae'; expected one of: " + top_keys},
      {"targets: []\n", "job.yaml: name: is missing; expected a non-empty job name"},
      {WithTop("").replace(0, 7, "name: \"\""),
       "job.yaml: name: is empty; expected a non-empty job name"},
      {WithTop("agents: 0\n"),
       "job.yaml: agents: 0 is out of range; expected an agent count "
       ">= 1 or {count: N, labels: {key: value}}"},
      {WithTop("agents: two\n"),
       "job.yaml: agents: \"two\" is not an integer or mapping; "
       "expected an agent count >= 1 or {count: N, labels: {key: "
       "value}}"},
      {WithTop("agents: {count: 0}\n"),
       "job.yaml: agents.count: 0 is out of range; expected an integer >= 1"},
      {WithTop("agents: {count: 2, zone: a}\n"),
       "job.yaml: agents: unknown key 'zone'; expected one of: count, labels"},
      {WithTop("agents: {labels: {zone: [a]}}\n"),
       "job.yaml: agents.labels.zone: a list is not a label value; expected a string, integer "
       "or true/false"},
      {WithTop("dataset: 5\n"),
       "job.yaml: dataset: 5 is not a mapping; expected a dataset "
       "mapping such as {kind: synthetic, count: 10000, dim: 128}"},
      {WithTop("thresholds: [5]\n"),
       "job.yaml: thresholds[0]: 5 is not a string; expected a "
       "threshold such as \"search.p99 < 50ms\""},
      {WithTop("interval: 50ms\n"),
       "job.yaml: interval: \"50ms\" is out of range; expected a duration >= 100ms"},
      {WithTop("interval: 1\n"),
       "job.yaml: interval: 1 has no unit; expected a duration like 500ms, 10s, 2m, 1h"},
  };
}

std::vector<BadSpec> BadTargets() {
  const std::string kinds = "one of: http, chroma, qdrant, weaviate, vexfs, fs";
  return {
      {"name: t\nphases: []\n",
       "job.yaml: targets: is missing; expected a non-empty list of targets"},
      {"name: t\ntargets: []\n",
       "job.yaml: targets: is empty; expected a non-empty list of targets"},
      {"name: t\ntargets: {web: 1}\n",
       "job.yaml: targets: a mapping is not a list; expected a non-empty list of targets"},
      {WithTargets("  - web\n"),
       "job.yaml: targets[0]: \"web\" is not a mapping; expected a "
       "target {name, kind, url, ...}"},
      {WithTargets("  - {kind: http, url: \"http://h/\"}\n"),
       "job.yaml: targets[0].name: is missing; expected a name made of letters, digits, _ . -"},
      {WithTargets("  - {name: my web, kind: http, url: \"http://h/\"}\n"),
       "job.yaml: targets[0].name: \"my web\" has other characters; expected a name made of "
       "letters, digits, _ . -"},
      {WithTargets("  - {name: web, kind: mongo, url: \"http://h/\"}\n"),
       "job.yaml: targets[0].kind: \"mongo\" is not a target kind; expected " + kinds},
      {WithTargets("  - {name: web, kind: http}\n"),
       "job.yaml: targets[0].url: is missing; expected http://host[:port][/path][?query]"},
      {WithTargets("  - {name: web, kind: http, url: \"https://h/\"}\n"),
       "job.yaml: targets[0].url: https targets are not supported yet; use http://"},
      {WithTargets("  - {name: web, kind: qdrant, url: \"http://h:99999\"}\n"),
       "job.yaml: targets[0].url: \"http://h:99999\" has an invalid port \"99999\"; expected a "
       "port in 1..65535"},
      {WithTargets(std::string(kWebTarget) + kWebTarget),
       "job.yaml: targets[1].name: \"web\" is also the name of targets[0]; expected unique "
       "target names"},
  };
}

std::vector<BadSpec> BadPhases() {
  const std::string ops = "one of: request, insert, query, mixed, delete, files";
  const std::string duration = "; expected a duration like 500ms, 10s, 2m, 1h";
  return {
      {std::string("name: t\ntargets:\n") + kWebTarget,
       "job.yaml: phases: is missing; expected a non-empty list of phases"},
      {WithPhases("  - {name: p, duration: 1s}\n"),
       "job.yaml: phases[0].op: is missing; expected " + ops},
      {WithPhases("  - {name: p, op: search, duration: 1s}\n"),
       "job.yaml: phases[0].op: \"search\" is not an operation; expected " + ops},
      {WithPhases("  - {name: p, op: request, ratee: 5, duration: 1s}\n"),
       "job.yaml: phases[0]: unknown key 'ratee'; expected one of: name, op, concurrency, rate, "
       "arrival, duration, requests, warmup, timeout, late_threshold, stages, targets, batch, "
       "k, ef, read_ratio, filter"},
      {WithPhases(std::string(kRequestPhase) + "  - {name: q, op: request, rate: fast}\n"),
       "job.yaml: phases[1].rate: \"fast\" is not a number; expected requests per second"},
      {WithPhases("  - {name: p, op: request, rate: 0, duration: 1s}\n"),
       "job.yaml: phases[0].rate: 0 is out of range; expected requests per second > 0"},
      {WithPhases("  - {name: p, op: request, arrival: poisson, duration: 1s}\n"),
       "job.yaml: phases[0].arrival: is set but rate is not; expected arrival only in an "
       "open-loop phase (set rate)"},
      {WithPhases("  - {name: p, op: request, rate: 5, arrival: burst, duration: 1s}\n"),
       "job.yaml: phases[0].arrival: \"burst\" is not an arrival; expected uniform or poisson"},
      {WithPhases("  - {name: p, op: request, concurrency: 0, duration: 1s}\n"),
       "job.yaml: phases[0].concurrency: 0 is out of range; expected an integer >= 1"},
      {WithPhases("  - {name: p, op: request, concurrency: 2.5, duration: 1s}\n"),
       "job.yaml: phases[0].concurrency: 2.5 is not an integer; expected an integer >= 1"},
      {WithPhases("  - {name: p, op: request, duration: 10}\n"),
       "job.yaml: phases[0].duration: 10 has no unit" + duration},
      {WithPhases("  - {name: p, op: request, duration: 0}\n"),
       "job.yaml: phases[0].duration: 0 has no unit" + duration},
      {WithPhases("  - {name: p, op: request, duration: -5s}\n"),
       "job.yaml: phases[0].duration: \"-5s\" is negative" + duration},
      {WithPhases("  - {name: p, op: request, duration: 0s}\n"),
       "job.yaml: phases[0].duration: \"0s\" is out of range; expected a duration > 0s"},
      {WithPhases("  - {name: p, op: request, duration: 1s, timeout: 0ms}\n"),
       "job.yaml: phases[0].timeout: \"0ms\" is out of range; expected a duration > 0s"},
      {WithPhases("  - {name: p, op: request, duration: 1s, warmup: soon}\n"),
       "job.yaml: phases[0].warmup: \"soon\" is not a duration" + duration},
      {WithPhases("  - {name: p, op: query, k: 10}\n"),
       "job.yaml: phases[0]: op query has no end; expected duration, requests or stages"},
      {WithPhases("  - {name: p, op: request, requests: 0}\n"),
       "job.yaml: phases[0].requests: 0 is out of range; expected an integer >= 1"},
      {WithPhases("  - {name: p, op: query, k: 0, duration: 1s}\n"),
       "job.yaml: phases[0].k: 0 is out of range; expected an integer >= 1"},
      {WithPhases("  - {name: p, op: mixed, read_ratio: 1.5, duration: 1s}\n"),
       "job.yaml: phases[0].read_ratio: 1.5 is out of range; expected a share of queries in "
       "[0, 1]"},
      {WithPhases("  - {name: p, op: request, targets: [db], duration: 1s}\n"),
       "job.yaml: phases[0].targets[0]: \"db\" is not a target; expected one of: web"},
      {WithPhases(std::string(kRequestPhase) + kRequestPhase),
       "job.yaml: phases[1].name: \"p\" is also the name of phases[0]; expected unique phase "
       "names"},
      {WithPhases("  - just a phase\n"),
       "job.yaml: phases[0]: \"just a phase\" is not a mapping; expected a phase {name, op, "
       "...}"},
  };
}

std::vector<BadSpec> BadStages() {
  return {
      {WithPhases("  - {name: p, op: request, rate: 5, duration: 1s, stages: [{duration: 1s}]}\n"),
       "job.yaml: phases[0].duration: is set together with stages; expected either duration or "
       "stages (a staged phase lasts as long as its stages)"},
      {WithPhases("  - {name: p, op: request, stages: [{duration: 1s, rate: 10}]}\n"),
       "job.yaml: phases[0].stages[0].rate: is set but the phase has no rate; expected rate "
       "stages only in an open-loop phase (set the phase's rate)"},
      {WithPhases(
           "  - {name: p, op: request, rate: 5, stages: [{duration: 1s, concurrency: 2}]}\n"),
       "job.yaml: phases[0].stages[0].concurrency: is set but the phase has a rate (open loop); "
       "expected concurrency stages only in a closed-loop phase (no rate)"},
      {WithPhases("  - {name: p, op: request, stages: [{concurrency: 2}]}\n"),
       "job.yaml: phases[0].stages[0].duration: is missing; expected a duration like 500ms, "
       "10s, 2m, 1h"},
      {WithPhases("  - {name: p, op: request, stages: []}\n"),
       "job.yaml: phases[0].stages: is empty; expected a non-empty list of stages"},
      {WithPhases("  - {name: p, op: request, stages: [{duration: 0s}]}\n"),
       "job.yaml: phases[0].stages: last 0s in total; expected stages that add up to more than "
       "0s"},
  };
}

TEST_CASE("Every validation error names the source, the field and the expectation", "[job_spec]") {
  std::vector<BadSpec> cases = BadDocuments();
  for (auto list : {BadTargets(), BadPhases(), BadStages()}) {
    cases.insert(cases.end(), list.begin(), list.end());
  }
  CHECK(cases.size() >= 50);
  for (const BadSpec& bad : cases) {
    CAPTURE(bad.text);
    CHECK(ErrorOf(bad.text) == bad.message);
  }
}

TEST_CASE("overrides (--set) change the tree before validation", "[job_spec]") {
  JobSpec spec =
      Parse(kHttpExample,
            {"name=renamed", "phases[1].rate=2500", "phases.0.concurrency=8", "phases[0].k=3",
             "targets[0].url=http://10.1.2.3:9000/x", "agents=4", "targets[0].method=\"POST\""});
  CHECK(spec.name == "renamed");
  CHECK(spec.phases[1].rate == 2500.0);
  CHECK(spec.phases[0].concurrency == 8);
  CHECK(spec.phases[0].k == 3);
  CHECK(spec.targets[0].url == "http://10.1.2.3:9000/x");
  CHECK(spec.targets[0].options == json{{"method", "POST"}});
  CHECK(spec.agents.count == 4);
  CHECK(spec.document["phases"][1]["rate"] == 2500);
  CheckRoundTrip(spec);

  // A quoted value stays a string; null unsets an optional field; a flow list is a list.
  spec = Parse(kHttpExample, {"name=\"123\"", "phases[1].arrival=null", "phases[1].rate=~",
                              "phases[0].targets=[web]"});
  CHECK(spec.name == "123");
  CHECK_FALSE(spec.phases[1].open_loop());
  CHECK(spec.phases[0].targets == std::vector<std::string>{"web"});
  CheckRoundTrip(spec);
}

TEST_CASE("override (--set) errors name the override", "[job_spec]") {
  const std::string usage = "; expected key.path=value, e.g. phases[1].rate=2000";
  CHECK(ErrorOf(kHttpExample, {"name"}) == "job.yaml: --set \"name\": has no '='" + usage);
  CHECK(ErrorOf(kHttpExample, {"=x"}) ==
        "job.yaml: --set \"=x\": has a malformed key path" + usage);
  CHECK(ErrorOf(kHttpExample, {"phases[x].rate=1"}) ==
        "job.yaml: --set \"phases[x].rate=1\": has a malformed key path" + usage);
  CHECK(ErrorOf(kHttpExample, {"phases..rate=1"}) ==
        "job.yaml: --set \"phases..rate=1\": has a malformed key path" + usage);
  CHECK(ErrorOf(kHttpExample, {"phases[5].rate=1"}) ==
        "job.yaml: --set \"phases[5].rate=1\": phases has no item [5]; expected an index below 2");
  CHECK(ErrorOf(kHttpExample, {"phases.7=1"}) ==
        "job.yaml: --set \"phases.7=1\": phases has no item [7]; expected an index below 2");
  CHECK(ErrorOf(kHttpExample, {"name.first=x"}) ==
        "job.yaml: --set \"name.first=x\": name is not a mapping or list; expected a path "
        "through mappings and lists");
  CHECK(ErrorOf(kHttpExample, {"phases[0][1]=x"}) ==
        "job.yaml: --set \"phases[0][1]=x\": phases[0] is a mapping, not a list; expected a "
        "key after phases[0], not [1]");
  CHECK(ErrorOf(kHttpExample, {"dataset.kind=synthetic"}) ==
        "job.yaml: --set \"dataset.kind=synthetic\": dataset does not exist; expected a path "
        "through existing fields (only the last key may be new)");
  CHECK(ErrorOf(kHttpExample, {"phases.name=x"}) ==
        "job.yaml: --set \"phases.name=x\": phases has no item [name]; expected an index below 2");
  CHECK(ErrorOf(kHttpExample, {"name=[a"}) ==
        "job.yaml: --set \"name=[a\": has a value that is not valid YAML (end of sequence flow "
        "not found); expected a YAML scalar such as 2000, text or \"quoted text\"");
  // An override that makes the spec invalid fails validation as if written in the file.
  CHECK(ErrorOf(kHttpExample, {"phases[1].rate=fast"}) ==
        "job.yaml: phases[1].rate: \"fast\" is not a number; expected requests per second");
  CHECK(ErrorOf(kHttpExample, {"phases[1].rat=5"})
            .starts_with("job.yaml: phases[1]: unknown key 'rat'; expected one of: name, op,"));
}

// A vector job whose dataset has a payload, with `phase` (one YAML list line) after its load.
std::string FilteredJob(const std::string& dataset, const std::string& phase) {
  return "name: f\n" + dataset +
         "targets:\n  - {name: db, kind: qdrant, url: \"http://127.0.0.1:6333\"}\n"
         "phases:\n  - {name: load, op: insert}\n" +
         phase;
}
constexpr char kPayloadDataset[] =
    "dataset: {count: 100, dim: 4, payload: {field: category, values: 10}}\n";

TEST_CASE("Filtered query phases are read and checked against the dataset's payload",
          "[job_spec]") {
  JobSpec spec = Parse(FilteredJob(
      kPayloadDataset, "  - {name: q, op: query, requests: 10, filter: {field: category, in: [1, 3]}}\n"));
  REQUIRE(spec.phases[1].filter.has_value());
  CHECK(spec.phases[1].filter->Key() == "category in 1,3");
  CHECK(spec.phases[1].filter->path == "phases[1].filter");
  CHECK_FALSE(spec.phases[0].filter.has_value());
  spec = Parse(FilteredJob(kPayloadDataset,
                           "  - {name: q, op: mixed, requests: 10, read_ratio: 0.5, "
                           "filter: {field: category, gte: 2, lt: 4}}\n"));
  CHECK(spec.phases[1].filter->Key() == "category gte 2 lt 4");

  const std::vector<BadSpec> cases = {
      {FilteredJob(kPayloadDataset,
                   "  - {name: q, op: query, requests: 1, filter: {field: category, eq: three}}\n"),
       "job.yaml: phases[1].filter.eq: \"three\" is not an integer; expected an integer payload "
       "value"},
      {FilteredJob(kPayloadDataset,
                   "  - {name: q, op: query, requests: 1, filter: {field: colour, eq: 1}}\n"),
       "job.yaml: phases[1].filter.field: \"colour\" is not the dataset's payload field; "
       "expected category (dataset.payload.field)"},
      {FilteredJob("dataset: {count: 100, dim: 4}\n",
                   "  - {name: q, op: query, requests: 1, filter: {field: category, eq: 1}}\n"),
       "job.yaml: phases[1].filter.field: \"category\": the dataset has no payload; expected "
       "dataset.payload {field, values} naming this field"},
      {FilteredJob("",
                   "  - {name: q, op: query, requests: 1, filter: {field: category, eq: 1}}\n"),
       "job.yaml: phases[1].filter.field: \"category\": the job has no dataset; expected a "
       "dataset with a payload {field, values} to filter on"},
      {FilteredJob(kPayloadDataset,
                   "  - {name: d, op: delete, filter: {field: category, eq: 1}}\n"),
       "job.yaml: phases[1].filter: is set on a delete phase; expected filter only on query or "
       "mixed phases"},
      {FilteredJob(kPayloadDataset, "  - {name: q, op: query, requests: 1, filter: {field: category}}\n"),
       "job.yaml: phases[1].filter: has no condition; expected exactly one of: eq, in, or range "
       "bounds (gt, gte, lt, lte)"},
  };
  for (const BadSpec& c : cases) {
    INFO(c.text);
    CHECK(ErrorOf(c.text) == c.message);
  }
}

TEST_CASE("${VAR} expands from the environment in every string", "[job_spec]") {
  REQUIRE(setenv("VB_SPEC_HOST", "10.9.8.7", 1) == 0);
  REQUIRE(setenv("VB_SPEC_RATE", "750", 1) == 0);
  REQUIRE(setenv("VB_SPEC_LIMIT", "42", 1) == 0);
  JobSpec spec = Parse(R"(name: env-${VB_SPEC_RATE}
targets:
  - {name: web, kind: http, url: "http://${VB_SPEC_HOST}:80/", limit: "${VB_SPEC_LIMIT}",
     price: $5, template: "$${HOME} and $$${VB_SPEC_RATE}"}
phases:
  - name: p
    op: request
    rate: ${VB_SPEC_RATE}  # block style: in a flow mapping { } would need quotes
    duration: 1s
thresholds: ["p.p99 < ${VB_SPEC_LIMIT}ms"]
)",
                       {"targets[0].extra=${VB_SPEC_HOST}"});
  CHECK(spec.name == "env-750");
  CHECK(spec.targets[0].url == "http://10.9.8.7:80/");
  CHECK(spec.targets[0].options["limit"] == json("42"));  // quoted: stays a string
  CHECK(spec.targets[0].options["price"] == json("$5"));  // a lone $ is kept
  CHECK(spec.targets[0].options["template"] == json("${HOME} and $${VB_SPEC_RATE}"));
  CHECK(spec.targets[0].options["extra"] == json("10.9.8.7"));
  CHECK(spec.phases[0].rate == 750.0);  // plain: typed after expansion
  CHECK(spec.thresholds == std::vector<std::string>{"p.p99 < 42ms"});
  // The document keeps literal ${ escaped so that reading it again changes nothing.
  CHECK(spec.document["targets"][0]["template"] == json("$${HOME} and $$${VB_SPEC_RATE}"));
  CheckRoundTrip(spec);
}

TEST_CASE("${VAR} errors name the field and the variable", "[job_spec]") {
  REQUIRE(unsetenv("VB_SPEC_UNSET") == 0);
  CHECK(ErrorOf(WithTargets("  - {name: web, kind: http, url: \"http://${VB_SPEC_UNSET}/\"}\n")) ==
        "job.yaml: targets[0].url: environment variable VB_SPEC_UNSET is not set; expected it "
        "set for ${VB_SPEC_UNSET}, or $${ for a literal ${");
  CHECK(ErrorOf(WithTop("thresholds: [\"${VB_SPEC_UNSET\"]\n")) ==
        "job.yaml: thresholds[0]: \"${VB_SPEC_UNSET\" has a ${ without a closing }; expected "
        "${NAME}, or $${ for a literal ${");
  CHECK(ErrorOf(WithTop("thresholds: [\"${1x}\"]\n")) ==
        "job.yaml: thresholds[0]: \"${1x}\" refers to ${1x}; expected ${NAME} with NAME made of "
        "letters, digits and _, or $${ for a literal ${");
  CHECK(ErrorOf(kHttpExample, {"name=${VB_SPEC_UNSET}"}) ==
        "job.yaml: name: environment variable VB_SPEC_UNSET is not set; expected it set for "
        "${VB_SPEC_UNSET}, or $${ for a literal ${");
}

TEST_CASE("A document that aliases itself into millions of nodes is refused", "[job_spec]") {
  std::string text = "name: t\nbomb:\n  - &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 7; ++i) {
    std::string alias = "*a" + std::to_string(i - 1);
    text += "  - &a" + std::to_string(i) + " [" + alias;
    for (int j = 1; j < 10; ++j) text += ", " + alias;
    text += "]\n";
  }
  std::string message = ErrorOf(text);
  CHECK(message.starts_with("job.yaml: bomb["));
  CHECK(
      message.ends_with(": expands to too many nodes (aliases?); expected at most 1000000 nodes"));
}

TEST_CASE("LoadJobSpec reads a file and names it in errors", "[job_spec]") {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("vexbench_job_spec_test_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string good = (dir / "good.yaml").string();
  const std::string bad = (dir / "bad.json").string();
  std::ofstream(good) << kHttpExample;
  std::ofstream(bad) << R"({"name": "x", "targets": [], "phases": []})";

  absl::StatusOr<JobSpec> spec = LoadJobSpec(good, {"phases[0].concurrency=2"});
  REQUIRE(spec.ok());
  CHECK(spec->name == "nginx-smoke");
  CHECK(spec->phases[0].concurrency == 2);

  spec = LoadJobSpec(bad);
  REQUIRE_FALSE(spec.ok());
  CHECK(spec.status().message() ==
        bad + ": targets: is empty; expected a non-empty list of targets");

  const std::string missing = (dir / "missing.yaml").string();
  spec = LoadJobSpec(missing);
  REQUIRE_FALSE(spec.ok());
  CHECK(spec.status().code() == absl::StatusCode::kNotFound);
  CHECK(spec.status().message() == missing + ": cannot open: No such file or directory");

  spec = LoadJobSpec(dir.string());
  REQUIRE_FALSE(spec.ok());
  CHECK(spec.status().message() ==
        dir.string() + ": is a directory; expected a job spec file (YAML or JSON)");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vexbench
