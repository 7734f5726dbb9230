// Interoperability with the reference HdrHistogram library (Java, Debian's
// libhdrhistogram-java), in both directions. The Java side is
// tests/integration/java/HdrInterop.java, run as a single-file program: one JVM launch per test.
//
// Skips (with a printed warning) when java or the jar is missing. Overrides:
// VEXBENCH_JAVA (path to java), VEXBENCH_HDRHISTOGRAM_JAR (path to the jar).
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "common/hdr_codec.h"
#include "common/histogram.h"
#include "common/hlog.h"
#include "nlohmann/json.hpp"
#include "tests/integration/support/servers.h"
#include "tests/integration/support/subprocess.h"

namespace vexbench {
namespace {

namespace fs = std::filesystem;

// Must match DATA_SETS in HdrInterop.java.
struct DataSet {
  int64_t lowest_discernible_value;
  int64_t highest_trackable_value;
  int significant_digits;
  int64_t records;
  uint64_t seed;
};
constexpr DataSet kDataSets[] = {
    {1, 3'600'000'000, 3, 100'000, 1}, {1'000, 3'600'000'000'000, 2, 50'000, 2},
    {1, 10'000'000'000, 5, 50'000, 3}, {1, 3'600'000'000, 1, 20'000, 4},
    {1, 3'600'000'000, 3, 0, 5},
};
constexpr int kDataSetCount = sizeof(kDataSets) / sizeof(kDataSets[0]);

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// The same values HdrInterop.java's generate() records.
Histogram Generate(int index) {
  const DataSet& d = kDataSets[index];
  HistogramOptions o;
  o.lowest_discernible_value = d.lowest_discernible_value;
  o.highest_trackable_value = d.highest_trackable_value;
  o.significant_digits = d.significant_digits;
  absl::StatusOr<Histogram> h = Histogram::Create(o);
  REQUIRE(h.ok());
  uint64_t state = d.seed;
  for (int64_t n = 0; n < d.records; ++n) {
    const uint64_t r = SplitMix64(state);
    const auto value = static_cast<int64_t>((r >> 33) >> (r & 31));
    h->RecordN(value, static_cast<int64_t>(1 + (r >> 60)));
  }
  return *std::move(h);
}

struct JavaSetup {
  std::string java;
  std::string jar;
  std::string source;
};

std::optional<JavaSetup> FindJava(std::string* reason) {
  JavaSetup setup;
  if (const char* java = std::getenv("VEXBENCH_JAVA")) {
    setup.java = java;
  } else if (const char* path = std::getenv("PATH")) {
    std::istringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':') && setup.java.empty();) {
      const fs::path candidate = fs::path(dir) / "java";
      if (access(candidate.c_str(), X_OK) == 0) setup.java = candidate;
    }
  }
  if (setup.java.empty() || access(setup.java.c_str(), X_OK) != 0) {
    *reason = "no java executable (install default-jdk-headless or set VEXBENCH_JAVA)";
    return std::nullopt;
  }
  const char* jar = std::getenv("VEXBENCH_HDRHISTOGRAM_JAR");
  setup.jar = jar != nullptr ? jar : "/usr/share/java/hdrhistogram.jar";
  if (!fs::exists(setup.jar)) {
    *reason = setup.jar + " not found (install libhdrhistogram-java)";
    return std::nullopt;
  }
  setup.source = std::string(VEXBENCH_SOURCE_DIR) + "/tests/integration/java/HdrInterop.java";
  if (!fs::exists(setup.source)) {
    *reason = setup.source + " not found";
    return std::nullopt;
  }
  return setup;
}

// Runs HdrInterop.java with `args`; returns its exit status and combined output.
std::pair<int, std::string> RunJava(const JavaSetup& setup, const std::string& args) {
  const std::string command =
      "'" + setup.java + "' -cp '" + setup.jar + "' '" + setup.source + "' " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof(buffer), pipe)) > 0;) output.append(buffer, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

class TempDir {
 public:
  TempDir() {
    std::random_device random;
    path_ = fs::temp_directory_path() /
            ("vexbench_hdr_interop_" + std::to_string(getpid()) + "_" + std::to_string(random()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  std::string quoted() const { return "'" + path_.string() + "'"; }

 private:
  fs::path path_;
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

Histogram DecodeBase64(const std::string& base64) {
  std::string bytes;
  REQUIRE(absl::Base64Unescape(base64, &bytes));
  absl::StatusOr<Histogram> h = DecodeV2(bytes);
  INFO(h.status().ToString());
  REQUIRE(h.ok());
  return *std::move(h);
}

// Compares `h` with the "name value" lines HdrInterop.java's writeStats printed for it.
void CheckStats(const Histogram& h, const std::string& stats) {
  std::istringstream in(stats);
  int lines = 0;
  for (std::string name; in >> name; ++lines) {
    if (name == "percentile") {
      double percentile = 0;
      int64_t value = 0;
      in >> percentile >> value;
      INFO("percentile " << percentile);
      CHECK(h.ValueAtPercentile(percentile) == value);
      continue;
    }
    double value = 0;
    in >> value;
    INFO(name);
    if (name == "total") CHECK(h.TotalCount() == static_cast<int64_t>(value));
    if (name == "min") CHECK(h.Min() == static_cast<int64_t>(value));
    if (name == "max") CHECK(h.Max() == static_cast<int64_t>(value));
    if (name == "mean") CHECK(h.Mean() == Approx(value).epsilon(1e-12));
    if (name == "stddev") CHECK(h.StdDev() == Approx(value).epsilon(1e-12));
  }
  CHECK(lines == 14);  // total, 9 percentiles, min, max, mean, stddev: none missing
}

TEST_CASE("Histograms and logs written by HdrHistogram Java decode to our counts", "[interop]") {
  std::string reason;
  const std::optional<JavaSetup> java = FindJava(&reason);
  if (!java) {
    WARN("SKIPPED: HdrHistogram Java interop test: " << reason);
    return;
  }
  TempDir dir;
  const auto [status, output] = RunJava(*java, "write " + dir.quoted());
  INFO("java output:\n" << output);
  REQUIRE(status == 0);

  for (int i = 0; i < kDataSetCount; ++i) {
    INFO("data set " << i);
    const Histogram ours = Generate(i);
    const std::string java_plain = ReadFile(dir.path() / ("java_" + std::to_string(i) + ".plain"));
    CHECK(EncodeV2(ours) == java_plain);  // byte for byte
    absl::StatusOr<Histogram> from_plain = DecodeV2(java_plain);
    REQUIRE(from_plain.ok());
    CHECK(from_plain->SameCounts(ours));

    const Histogram from_compressed =
        DecodeBase64(ReadFile(dir.path() / ("java_" + std::to_string(i) + ".b64")));
    CHECK(from_compressed.SameCounts(ours));
    CheckStats(from_compressed, ReadFile(dir.path() / ("java_" + std::to_string(i) + ".stats")));
  }

  std::ifstream log_file(dir.path() / "java.hlog");
  absl::StatusOr<HlogFile> log = ReadHlog(log_file);
  INFO(log.status().ToString());
  REQUIRE(log.ok());
  CHECK(log->start_time_s == Approx(1'700'000'000.123));
  CHECK(log->base_time_s == Approx(1'700'000'000.123));
  REQUIRE(log->entries.size() == 3);
  const int sets[] = {0, 1, 3};
  for (int k = 0; k < 3; ++k) {
    INFO("interval " << k);
    const HlogEntry& e = log->entries[k];
    CHECK(e.tag == (k == 1 ? std::optional<std::string>("reads") : std::nullopt));
    CHECK(e.start_s == Approx(k));
    CHECK(e.length_s == Approx(1.0));
    CHECK(e.histogram.SameCounts(Generate(sets[k])));
  }
}

// One section of HdrInterop.java's "read" output.
struct JavaView {
  std::string title;  // "blob 0" or "interval TAG START_MS END_MS"
  int64_t lowest = 0, highest = 0, digits = 0;
  int64_t total = 0, p50 = 0, p99 = 0, max = 0;
  std::vector<std::pair<int64_t, int64_t>> buckets;  // lowest equivalent value, count
};

std::vector<JavaView> ParseJavaRead(const std::string& output) {
  std::vector<JavaView> views;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string word;
    words >> word;
    if (word == "blob" || word == "interval") {
      views.emplace_back().title = line;
    } else if (views.empty() || word == "end" || word == "done") {
      continue;
    } else if (word == "layout") {
      words >> views.back().lowest >> views.back().highest >> views.back().digits;
    } else if (word == "bucket") {
      int64_t value = 0, count = 0;
      words >> value >> count;
      views.back().buckets.emplace_back(value, count);
    } else {
      int64_t value = 0;
      words >> value;
      if (word == "total") views.back().total = value;
      if (word == "p50") views.back().p50 = value;
      if (word == "p99") views.back().p99 = value;
      if (word == "max") views.back().max = value;
    }
  }
  return views;
}

void CheckJavaView(const JavaView& view, const Histogram& h) {
  INFO(view.title);
  CHECK(view.lowest == h.options().lowest_discernible_value);
  CHECK(view.highest == h.options().highest_trackable_value);
  CHECK(view.digits == h.options().significant_digits);
  CHECK(view.total == h.TotalCount());
  CHECK(view.p50 == h.ValueAtPercentile(50));
  CHECK(view.p99 == h.ValueAtPercentile(99));
  CHECK(view.max == h.Max());
  std::vector<std::pair<int64_t, int64_t>> ours;
  h.ForEachNonZero([&](int64_t value, int64_t count) { ours.emplace_back(value, count); });
  CHECK(view.buckets == ours);
}

TEST_CASE("Histograms and logs we write decode in HdrHistogram Java to the same counts",
          "[interop]") {
  std::string reason;
  const std::optional<JavaSetup> java = FindJava(&reason);
  if (!java) {
    WARN("SKIPPED: HdrHistogram Java interop test: " << reason);
    return;
  }
  TempDir dir;
  std::vector<Histogram> blobs;
  blobs.reserve(kDataSetCount + 1);
  for (int i = 0; i < kDataSetCount; ++i) blobs.push_back(Generate(i));
  // A nanosecond latency histogram of another shape, recorded through RecordDuration.
  HistogramOptions ns_options;
  ns_options.unit = ValueUnit::kNanoseconds;
  ns_options.lowest_discernible_value = 100;
  ns_options.highest_trackable_value = 60'000'000'000;
  ns_options.significant_digits = 4;
  absl::StatusOr<Histogram> ns = Histogram::Create(ns_options);
  REQUIRE(ns.ok());
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> latency_ns(std::log(800'000.0), 1.2);
  for (int i = 0; i < 30'000; ++i) {
    ns->RecordDuration(std::chrono::nanoseconds(static_cast<int64_t>(latency_ns(rng))));
  }
  blobs.push_back(*ns);
  for (size_t i = 0; i < blobs.size(); ++i) {
    std::ofstream(dir.path() / ("ours_" + std::to_string(i) + ".b64"))
        << absl::Base64Escape(EncodeV2Compressed(blobs[i]));
  }
  const double base_time_s = 1'650'000'000.25;
  const std::vector<HlogEntry> intervals = {
      {std::nullopt, 0.0, 1.0, blobs[0]},
      {"reads", 1.0, 1.0, blobs[2]},
      {"writes", 2.5, 0.5, blobs[4]},
      {std::nullopt, 3.0, 1.0, blobs[5]},
  };
  {
    std::ofstream log_file(dir.path() / "ours.hlog");
    HlogWriter writer(log_file, 1e3);
    writer.WriteHeader(base_time_s, "[vexbench interop test]");
    for (const HlogEntry& e : intervals) writer.WriteInterval(e);
  }

  const auto [status, output] =
      RunJava(*java, "read " + dir.quoted() + " " + std::to_string(blobs.size()));
  INFO("java output:\n" << output);
  REQUIRE(status == 0);
  const std::vector<JavaView> views = ParseJavaRead(output);
  REQUIRE(views.size() == blobs.size() + intervals.size());
  for (size_t i = 0; i < blobs.size(); ++i) {
    CHECK(views[i].title == "blob " + std::to_string(i));
    CheckJavaView(views[i], blobs[i]);
  }
  for (size_t k = 0; k < intervals.size(); ++k) {
    const HlogEntry& e = intervals[k];
    const auto start_ms = static_cast<int64_t>((base_time_s + e.start_s) * 1000);
    const auto end_ms = static_cast<int64_t>((base_time_s + e.start_s + e.length_s) * 1000);
    const JavaView& view = views[blobs.size() + k];
    CHECK(view.title == "interval " + e.tag.value_or("-") + " " + std::to_string(start_ms) + " " +
                            std::to_string(end_ms));
    CheckJavaView(view, e.histogram);
  }
}

TEST_CASE("hlog files of a real job, read by HdrHistogram Java, give report.json's percentiles",
          "[interop]") {
  std::string reason;
  const std::optional<JavaSetup> java = FindJava(&reason);
  if (!java) {
    WARN("SKIPPED: HdrHistogram Java interop test: " << reason);
    return;
  }
  TempDir dir;
  testing::NginxServer nginx;
  testing::WriteFile((dir.path() / "job.yaml").string(),
                     "name: hlog-interop\n"
                     "targets: [{name: web, kind: http, url: \"" + nginx.Url() + "\"}]\n"
                     "phases:\n"
                     "  - {name: closed, op: request, concurrency: 4, duration: 2s}\n"
                     "  - {name: steady, op: request, rate: 500, duration: 2s}\n");
  const std::string out = (dir.path() / "out").string();
  const testing::RunResult run = testing::RunVexbench(
      {"run", (dir.path() / "job.yaml").string(), "--out", out, "--quiet"},
      (dir.path() / "run").string());
  INFO("vexbench run:\n" << run.out << run.err);
  REQUIRE(run.exit_code == 0);
  const nlohmann::json report = nlohmann::json::parse(ReadFile(fs::path(out) / "report.json"));
  // Offline: the .hlog files rebuilt from report.json alone.
  const std::string offline = (dir.path() / "offline").string();
  const testing::RunResult rendered = testing::RunVexbench(
      {"report", out + "/report.json", "--format", "hlog", "--out", offline},
      (dir.path() / "report").string());
  INFO("vexbench report:\n" << rendered.out << rendered.err);
  REQUIRE(rendered.exit_code == 0);

  std::string files;
  for (const auto& r : report["results"]) {
    const std::string name = "web." + r["phase"].get<std::string>() + ".request.hlog";
    // The same bytes as the files `vexbench run` wrote from the merged intervals.
    CHECK(ReadFile(fs::path(offline) / name) == ReadFile(fs::path(out) / name));
    files += " '" + (fs::path(offline) / name).string() + "'";
  }
  REQUIRE(report["results"].size() == 2);
  const auto [status, output] = RunJava(*java, "sum" + files);
  INFO("java output:\n" << output);
  REQUIRE(status == 0);
  std::istringstream lines(output);
  int checked = 0;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string file, word;
    words >> file;
    std::map<std::string, int64_t> values;
    for (int64_t value; words >> word >> value;) values[word] = value;
    const std::string name = fs::path(file).filename().string();  // web.PHASE.request.hlog
    const std::string phase = name.substr(4, name.find('.', 4) - 4);
    const nlohmann::json* result = nullptr;
    for (const auto& r : report["results"]) {
      if (r["phase"] == phase) result = &r;
    }
    REQUIRE(result != nullptr);
    INFO(line);
    const nlohmann::json& latency = (*result)["latency_ms"];
    const int64_t successes = (*result)["requests"].get<int64_t>() - (*result)["errors"].get<int64_t>();
    CHECK(values["total"] == successes);
    CHECK(values["total"] > 100);
    CHECK(values["intervals"] == static_cast<int64_t>((*result)["timeline"].size()));
    for (const char* p : {"p50", "p90", "p95", "p99", "p999", "max"}) {
      INFO(p);
      CHECK(static_cast<double>(values[p]) / 1000.0 == latency[p].get<double>());
    }
    ++checked;
  }
  CHECK(checked == 2);
}

}  // namespace
}  // namespace vexbench
