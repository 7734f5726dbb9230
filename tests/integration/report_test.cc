// `vexbench report` and `vexbench compare` end to end: real nginx (a rate-limited config as the
// "slower build"), the CLI as a process, the HTML in headless Chromium, resource sampling of
// the real nginx process.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/integration/support/chroma_server.h"
#include "tests/integration/support/cluster.h"
#include "tests/integration/support/servers.h"
#include "tests/integration/support/subprocess.h"

namespace vexbench::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// nginx whose /index.html is delayed by limit_req to `rate` requests per second (excess
// requests wait in a queue of up to 1000, none is rejected): a real, slower server.
NginxOptions RateLimited(int rate) {
  NginxOptions o;
  o.http_config = "  limit_req_zone $binary_remote_addr zone=slow:1m rate=" + std::to_string(rate) + "r/s;";
  o.server_config = "    location = /index.html { limit_req zone=slow burst=1000; }";
  return o;
}

struct Run {
  RunResult result;
  json report;
  std::string report_file;
};

Run RunJob(const std::string& name, const std::string& spec) {
  const std::string dir = MakeTempDir(name);
  WriteFile(dir + "/job.yaml", spec);
  Run run;
  run.result = RunVexbench({"run", dir + "/job.yaml", "--out", dir + "/out", "--quiet"},
                           dir + "/vexbench");
  run.report_file = dir + "/out/report.json";
  const std::string text = ReadFile(run.report_file);
  if (!text.empty()) run.report = json::parse(text);
  return run;
}

std::string GateSpec(const std::string& url) {
  return "name: gate\n"
         "targets: [{name: web, kind: http, url: \"" + url + "\"}]\n"
         "phases:\n"
         "  - {name: steady, op: request, concurrency: 2, duration: 3s, warmup: 1s}\n";
}

RunResult Cli(const std::vector<std::string>& args) {
  return RunVexbench(args, MakeTempDir("cli") + "/vexbench", std::chrono::seconds(60));
}

std::string Describe(const RunResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

const json& Row(const json& comparison, const std::string& metric) {
  for (const json& row : comparison["rows"]) {
    if (row["metric"] == metric) return row;
  }
  FAIL("no row for " << metric << " in " << comparison.dump(2));
  static json none;
  return none;
}

TEST_CASE("compare flags a real regression of a slower nginx and passes an equal run",
          "[report][nginx]") {
  NginxServer fast(RateLimited(100));
  NginxServer slow(RateLimited(40));
  const Run a = RunJob("gate-a", GateSpec(fast.Url()));
  INFO(Describe(a.result));
  REQUIRE(a.result.exit_code == 0);
  const Run b = RunJob("gate-b", GateSpec(fast.Url()));
  INFO(Describe(b.result));
  REQUIRE(b.result.exit_code == 0);
  const Run c = RunJob("gate-c", GateSpec(slow.Url()));
  INFO(Describe(c.result));
  REQUIRE(c.result.exit_code == 0);
  // The limiter sets the pace: about 100 and 40 requests/s.
  const double a_rps = a.report["results"][0]["throughput_rps"].get<double>();
  const double c_rps = c.report["results"][0]["throughput_rps"].get<double>();
  CHECK(a_rps == Approx(100).epsilon(0.2));
  CHECK(c_rps == Approx(40).epsilon(0.2));

  // One gate, the median and throughput (both set by the limiter; a p99 of ~300 samples is
  // the 3rd slowest request and jitters by tens of percent on a loaded machine): the equal run
  // passes, the slower server fails.
  const std::vector<std::string> gate = {"--max-regression", "p50=10%,throughput=5%"};
  RunResult equal = Cli({"compare", a.report_file, b.report_file, gate[0], gate[1]});
  INFO(Describe(equal));
  CHECK(equal.exit_code == 0);
  CHECK(equal.out.find("No regression over the limits.") != std::string::npos);
  const RunResult gated = Cli({"compare", a.report_file, c.report_file, gate[0], gate[1]});
  INFO(Describe(gated));
  CHECK(gated.exit_code == 1);

  // It fails the default limits as well, on both p99 and throughput.
  const RunResult regressed = Cli({"compare", a.report_file, c.report_file});
  INFO(Describe(regressed));
  CHECK(regressed.exit_code == 1);
  CHECK(regressed.out.find("**REGRESSION**") != std::string::npos);

  const RunResult as_json = Cli({"compare", a.report_file, c.report_file, "--format", "json"});
  INFO(Describe(as_json));
  CHECK(as_json.exit_code == 1);
  const json comparison = json::parse(as_json.out);
  CHECK(comparison["any_regression"] == true);
  const json& throughput = Row(comparison, "throughput");
  CHECK(throughput["regression"] == true);
  CHECK(throughput["base"].get<double>() == a_rps);
  CHECK(throughput["current"].get<double>() == c_rps);
  CHECK(throughput["change_percent"].get<double>() == Approx(100.0 * (c_rps - a_rps) / a_rps));
  CHECK(Row(comparison, "p99")["regression"] == true);
  CHECK(Row(comparison, "p99")["change_percent"].get<double>() > 50);

  const RunResult junit = Cli({"compare", a.report_file, c.report_file, "--format", "junit"});
  CHECK(junit.exit_code == 1);
  CHECK(junit.out.find("<failure message=\"throughput") != std::string::npos);
  CHECK(junit.out.find("<testsuites tests=\"2\" failures=\"2\">") != std::string::npos);

  // The reversed comparison (the slow run as the baseline) is an improvement: no regression.
  CHECK(Cli({"compare", c.report_file, a.report_file}).exit_code == 0);
}

TEST_CASE("compare and report reject bad input with exit code 2 and a message naming the flag",
          "[report]") {
  const std::string golden =
      std::string(VEXBENCH_SOURCE_DIR) + "/tests/unit/controller/golden/report.json";
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"compare", golden}, "expected two reports A B"},
      {{"compare", golden, golden, "--max-regression", "p98=10%"},
       "--max-regression \"p98=10%\": unknown metric \"p98\""},
      {{"compare", golden, golden, "--format", "pdf"},
       "--format pdf: unknown format; expected md, json or junit"},
      {{"compare", golden, golden, "--baseline", "yesterday"},
       "--baseline yesterday: expected last-successful"},
      {{"compare", golden, "/nonexistent/report.json"}, "/nonexistent/report.json: cannot read"},
      {{"compare", golden, "--baseline", "last-successful"},
       "--baseline last-successful: expected exactly one job id"},
      {{"report", golden, "--format", "pdf"}, "--format pdf: unknown format"},
      {{"report", golden, "--format", "md", "--baseline", "qdrant"},
       "--baseline qdrant: no such target in the report; expected one of: chroma, vexfs"},
      {{"compare", "j-000001", "j-000002", "--controller", "127.0.0.1:1"},
       "cannot reach the controller at 127.0.0.1:1"},
  };
  for (const Case& c : cases) {
    const RunResult r = Cli(c.args);
    INFO(Describe(r));
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(c.message) != std::string::npos);
  }
  // A report compared with itself passes; every one-file format prints to stdout.
  CHECK(Cli({"compare", golden, golden}).exit_code == 0);
  const RunResult md = Cli({"report", golden, "--format", "md", "--baseline", "vexfs"});
  CHECK(md.exit_code == 0);
  CHECK(md.out == ReadFile(std::string(VEXBENCH_SOURCE_DIR) +
                           "/tests/unit/controller/golden/report.md"));
}

TEST_CASE("compare --baseline last-successful picks the previous succeeded job of the name",
          "[report][nginx]") {
  NginxServer fast(RateLimited(100));
  NginxServer slow(RateLimited(40));
  ControllerProcess controller(ControllerProcessOptions{});
  ControllerClient cli(controller.address());
  AgentProcess agent(controller.address(), "a1");
  REQUIRE(cli.WaitForAgents({"a1"}, "idle", std::chrono::seconds(10)));
  const std::string spec = GateSpec(fast.Url());
  const RunResult first = cli.Submit(spec, {"--wait"});
  INFO(Describe(first));
  REQUIRE(first.exit_code == 0);
  const std::string first_id = ControllerClient::JobId(first.out);
  // A job of another name in between is never the baseline.
  const RunResult other = cli.Submit("name: other\n" + spec.substr(spec.find('\n') + 1), {"--wait"});
  REQUIRE(other.exit_code == 0);
  const RunResult second =
      cli.Submit(spec, {"--wait", "--set", "targets[0].url=" + slow.Url()});
  INFO(Describe(second));
  REQUIRE(second.exit_code == 0);
  const std::string second_id = ControllerClient::JobId(second.out);

  const RunResult compared = cli.Run({"compare", second_id, "--baseline", "last-successful"});
  INFO(Describe(compared));
  CHECK(compared.exit_code == 1);
  CHECK(compared.err.find("baseline: " + first_id) != std::string::npos);
  CHECK(compared.out.find("vexbench compare: " + second_id + " against " + first_id) !=
        std::string::npos);
  // The first job has no earlier one.
  const RunResult none = cli.Run({"compare", first_id, "--baseline", "last-successful"});
  CHECK(none.exit_code == 2);
  CHECK(none.err.find("no succeeded job named 'gate' before " + first_id) != std::string::npos);
  // Two job ids from the controller work like two files.
  CHECK(cli.Run({"compare", first_id, first_id}).exit_code == 0);
  // report ID --format md asks the controller.
  const RunResult md = cli.Run({"report", second_id, "--format", "md"});
  INFO(Describe(md));
  CHECK(md.exit_code == 0);
  CHECK(md.out.find("# vexbench report: gate (" + second_id + ")") != std::string::npos);
  // The controller's .hlog files (from its stored intervals) equal those rebuilt offline from
  // its report.json.
  const std::string dir = MakeTempDir("report-hlog");
  CHECK(cli.Run({"report", second_id, "--format", "hlog", "--out", dir + "/controller"})
            .exit_code == 0);
  CHECK(cli.Run({"report", second_id, "--format", "json", "--out", dir + "/json"}).exit_code == 0);
  const RunResult offline =
      Cli({"report", dir + "/json/report.json", "--format", "hlog", "--out", dir + "/offline"});
  INFO(Describe(offline));
  CHECK(offline.exit_code == 0);
  const std::string name = "web.steady.request.hlog";
  const std::string from_controller = ReadFile(dir + "/controller/" + name);
  CHECK(from_controller.find("#[Histogram log format version") != std::string::npos);
  CHECK(from_controller == ReadFile(dir + "/offline/" + name));
}

// RSS of a process from /proc/PID/status (VmRSS, kB), read independently of vexbench.
int64_t VmRssBytes(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  }
  return -1;
}

TEST_CASE("resource sampling of a real nginx process reports a plausible RSS and CPU",
          "[report][nginx][resources]") {
  NginxServer nginx;
  const Run run = RunJob("resources",
                         "name: resources\n"
                         "targets: [{name: web, kind: http, url: \"" + nginx.Url() +
                             "\", process: {pid: " + std::to_string(nginx.pid()) + "}}]\n"
                         "phases:\n"
                         "  - {name: closed, op: request, concurrency: 4, duration: 3s}\n");
  INFO(Describe(run.result));
  REQUIRE(run.result.exit_code == 0);
  const int64_t rss_now = VmRssBytes(nginx.pid());
  REQUIRE(rss_now > 0);
  REQUIRE(run.report["resources"].size() == 1);
  const json& e = run.report["resources"][0];
  INFO(e.dump(2));
  CHECK(e["target"] == "web");
  CHECK(e["source"] == "pid " + std::to_string(nginx.pid()) + " (nginx)");
  CHECK(e["notes"].empty());
  // A sample before the phase, one per 1 s interval, one after.
  REQUIRE(e["samples"].size() >= 4);
  int64_t peak = 0;
  int busy = 0;
  for (const json& s : e["samples"]) {
    const int64_t rss = s["rss_bytes"].get<int64_t>();
    CHECK(rss > 512 * 1024);               // nginx is more than half a MiB resident
    CHECK(rss < 1024LL * 1024 * 1024);     // and far less than 1 GiB
    CHECK(rss == Approx(rss_now).epsilon(0.5));  // what /proc/PID/status says, roughly
    peak = std::max(peak, rss);
    if (s["cpu_percent"].is_number() && s["cpu_percent"].get<double>() > 1.0) ++busy;
    CHECK(s["t_s"].get<double>() >= 0);
    CHECK(s["t_s"].get<double>() < 10);
  }
  CHECK(e["peak_rss_bytes"] == peak);
  CHECK(busy >= 1);  // serving thousands of requests per second costs CPU
}

TEST_CASE("memory per 1,000 vectors of a real ChromaDB load phase is measured and plausible",
          "[report][chroma][resources]") {
  if (ChromaServer::InstallDir().empty()) {
    WARN("SKIPPED: ChromaDB is not installed; scripts/test installs it (ensure_chroma)");
    return;
  }
  ChromaServer chroma;
  const Run run = RunJob(
      "chroma-memory",
      "name: chroma-memory\n"
      "dataset: {kind: synthetic, count: 20000, dim: 128, queries: 50, metric: cosine, seed: 3}\n"
      "targets:\n"
      "  - {name: chroma, kind: chroma, url: \"" + chroma.Url() + "\", collection: memory,"
      " process: {pid: " + std::to_string(chroma.pid()) + "}}\n"
      "phases:\n"
      "  - {name: load, op: insert, batch: 500, concurrency: 4}\n");
  INFO(Describe(run.result));
  REQUIRE(run.result.exit_code == 0);
  const json& load = run.report["results"][0];
  REQUIRE(load["op"] == "insert");
  REQUIRE(load.contains("memory"));
  const json& m = load["memory"];
  INFO(m.dump());
  CHECK(m["vectors"] == 20000);
  CHECK(m["vectors"] == load["items"]);
  const double before = m["rss_before_bytes"].get<double>();
  const double after = m["rss_after_bytes"].get<double>();
  CHECK(before > 10.0 * 1024 * 1024);  // a running ChromaDB holds more than 10 MiB
  CHECK(after > before);               // 20,000 x 128 floats (10 MB) were loaded into it
  CHECK(m["bytes_per_1000_vectors"].get<double>() == (after - before) * 1000.0 / 20000.0);
  // Per 1,000 vectors of 512 bytes each: more than nothing, less than 50 MiB.
  CHECK(m["bytes_per_1000_vectors"].get<double>() > 0);
  CHECK(m["bytes_per_1000_vectors"].get<double>() < 50.0 * 1024 * 1024);
  // And the md summary shows it.
  const RunResult md = Cli({"report", run.report_file, "--format", "md"});
  CHECK(md.out.find("| chroma | ") != std::string::npos);
}

// Chromium, or "" with the reason in `why`.
std::string FindChromium(std::string* why) {
  for (const char* path : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (access(path, X_OK) == 0) return path;
  }
  *why = "no chromium (apt-get install chromium; scripts/lib.sh lists it)";
  return "";
}

std::string ArtifactDir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const fs::path dir = (ec ? fs::temp_directory_path() : exe.parent_path()) / "report_artifacts";
  fs::create_directories(dir);
  return dir.string();
}

struct BrowserRun {
  int exit_code = -1;
  std::string dom;
  std::string log;
};

BrowserRun Chromium(const std::string& chromium, const std::string& html,
                    const std::vector<std::string>& what) {
  const std::string profile = MakeTempDir("chromium-profile");
  std::string command = "timeout 90 '" + chromium +
                        "' --headless --no-sandbox --disable-gpu --no-first-run "
                        "--disable-background-networking --disable-component-update "
                        "--disable-extensions --user-data-dir='" + profile +
                        "' --enable-logging=stderr --v=0";
  for (const std::string& w : what) command += " " + w;
  command += " 'file://" + html + "' >'" + profile + "/out' 2>'" + profile + "/err'";
  BrowserRun r;
  const int status = std::system(command.c_str());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.dom = ReadFile(profile + "/out");
  r.log = ReadFile(profile + "/err");
  return r;
}

int Count(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

void CheckRendersInChromium(const std::string& chromium, const std::string& html,
                            int expected_charts, const std::string& screenshot) {
  const BrowserRun dom = Chromium(chromium, html, {"--dump-dom"});
  INFO("chromium exit " << dom.exit_code << "\nlog:\n" << dom.log);
  REQUIRE(dom.exit_code == 0);
  // The page's own script counted the charts it drew and recorded no error.
  const size_t body_at = dom.dom.find("<body");
  REQUIRE(body_at != std::string::npos);
  const std::string body = dom.dom.substr(body_at, dom.dom.find('>', body_at) - body_at + 1);
  CHECK(body == "<body data-charts=\"" + std::to_string(expected_charts) + "\">");  // no data-errors
  const int spectra = Count(dom.dom, "<svg class=\"vexchart\" data-chart=\"percentiles\"");
  const int lines = Count(dom.dom, "<svg class=\"vexchart\" data-chart=\"lines\"");
  const int bars = Count(dom.dom, "<svg class=\"vexchart\" data-chart=\"bars\"");
  CHECK(spectra == expected_charts - 6);
  CHECK(lines == 2);
  CHECK(bars == 4);
  CHECK(dom.dom.find("<polyline") != std::string::npos);
  // No console message at all: no uncaught error, no failed load.
  CHECK(dom.log.find(":CONSOLE") == std::string::npos);
  const BrowserRun shot =
      Chromium(chromium, html, {"--window-size=1400,3200", "--screenshot='" + screenshot + "'"});
  INFO("screenshot log:\n" << shot.log);
  CHECK(shot.exit_code == 0);
  const std::string png = ReadFile(screenshot);
  REQUIRE(png.size() > 20000);
  CHECK(png.substr(1, 3) == "PNG");
}

TEST_CASE("the HTML report renders in headless Chromium with its charts and no console error",
          "[report][html]") {
  std::string why;
  const std::string chromium = FindChromium(&why);
  if (chromium.empty()) {
    WARN("SKIPPED: HTML report in Chromium: " << why);
    return;
  }
  const std::string artifacts = ArtifactDir();
  // The recorded two-target vector job: a spectrum for load insert and for search query.
  const std::string golden =
      std::string(VEXBENCH_SOURCE_DIR) + "/tests/unit/controller/golden/report.json";
  const RunResult rendered = Cli({"report", golden, "--format", "html", "--out", artifacts});
  INFO(Describe(rendered));
  REQUIRE(rendered.exit_code == 0);
  const std::string vector_html = artifacts + "/vector-report.html";
  fs::rename(artifacts + "/report.html", vector_html);
  CheckRendersInChromium(chromium, vector_html, 2 + 2 + 4, artifacts + "/vector-report.png");

  // A real nginx job of two phases.
  NginxServer nginx;
  const Run run = RunJob("html", "name: html\n"
                                 "targets: [{name: web, kind: http, url: \"" + nginx.Url() + "\"}]\n"
                                 "phases:\n"
                                 "  - {name: closed, op: request, concurrency: 4, duration: 2s}\n"
                                 "  - {name: steady, op: request, rate: 300, duration: 2s}\n");
  INFO(Describe(run.result));
  REQUIRE(run.result.exit_code == 0);
  const RunResult nginx_html =
      Cli({"report", run.report_file, "--format", "html", "--out", artifacts});
  REQUIRE(nginx_html.exit_code == 0);
  const std::string http_html = artifacts + "/nginx-report.html";
  fs::rename(artifacts + "/report.html", http_html);
  CheckRendersInChromium(chromium, http_html, 2 + 2 + 4, artifacts + "/nginx-report.png");
}

}  // namespace
}  // namespace vexbench::testing
