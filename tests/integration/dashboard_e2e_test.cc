// The dashboard end to end in headless Chromium, driven over the WebDriver protocol
// (chromedriver; Debian packages chromium and chromium-driver): a controller with --http and a
// token, one agent, nginx. Log in, submit a job from the custom benchmark form, watch the live
// chart gain points, open the report, look at the schedules page, and check that the browser
// logged no error. Screenshots go to <build>/tests/integration/dashboard_e2e/.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/integration/support/cluster.h"
#include "tests/integration/support/servers.h"
#include "tests/integration/support/subprocess.h"

namespace vexbench::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using nlohmann::json;

constexpr char kToken[] = "e2e-token";
constexpr char kChromium[] = "/usr/bin/chromium";
constexpr char kChromedriver[] = "/usr/bin/chromedriver";
constexpr char kElementKey[] = "element-6066-11e4-a52e-4f735466cecf";  // W3C WebDriver

struct HttpAnswer {
  int status = 0;
  std::string body;
};

// One HTTP/1.1 request to 127.0.0.1:port (Connection: close); the answer read until the server
// closes. Throws on a connection error or after `timeout`.
HttpAnswer HttpCall(uint16_t port, const std::string& method, const std::string& path,
                    const std::string& body = "", seconds timeout = seconds(60)) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket");
  timeval tv{static_cast<time_t>(timeout.count()), 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port));
  }
  std::string request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" +
                        std::to_string(port) + "\r\nConnection: close\r\n";
  if (method != "GET" && method != "DELETE") {
    request += "Content-Type: application/json\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + body;
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = write(fd, request.data() + sent, request.size() - sent);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  // Read until the server closes, or the head's Content-Length is complete (chromedriver may
  // keep the connection open).
  std::string raw;
  char buf[65536];
  while (true) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    raw.append(buf, static_cast<size_t>(n));
    const size_t end = raw.find("\r\n\r\n");
    if (end == std::string::npos) continue;
    std::string head = raw.substr(0, end);
    for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const size_t cl = head.find("content-length:");
    if (cl != std::string::npos &&
        raw.size() >= end + 4 + std::stoul(head.substr(cl + 15, head.find("\r\n", cl) - cl - 15))) {
      break;
    }
  }
  close(fd);
  const size_t head_end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || head_end == std::string::npos) {
    throw std::runtime_error(method + " " + path + ": no HTTP answer");
  }
  HttpAnswer answer;
  answer.status = std::stoi(raw.substr(9, 3));
  std::string head = raw.substr(0, head_end);
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string rest = raw.substr(head_end + 4);
  if (head.find("transfer-encoding: chunked") != std::string::npos) {
    size_t pos = 0;
    while (pos < rest.size()) {
      const size_t eol = rest.find("\r\n", pos);
      if (eol == std::string::npos) break;
      const size_t size = std::stoul(rest.substr(pos, eol - pos), nullptr, 16);
      if (size == 0) break;
      answer.body += rest.substr(eol + 2, size);
      pos = eol + 2 + size + 2;
    }
  } else {
    answer.body = std::move(rest);
  }
  return answer;
}

std::string Base64Decode(const std::string& in) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int bits = 0;
  int value = 0;
  for (char c : in) {
    const size_t i = kAlphabet.find(c);
    if (i == std::string::npos) continue;  // '=' and whitespace
    value = (value << 6) | static_cast<int>(i);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((value >> bits) & 0xff);
    }
  }
  return out;
}

// chromedriver on a free port with one headless Chromium session.
class Browser {
 public:
  explicit Browser(const std::string& log_dir) : port_(FreePort()) {
    driver_ = std::make_unique<Subprocess>(
        std::vector<std::string>{kChromedriver, "--port=" + std::to_string(port_)},
        log_dir + "/chromedriver");
    const auto until = std::chrono::steady_clock::now() + seconds(20);
    while (true) {
      try {
        if (json::parse(HttpCall(port_, "GET", "/status").body)["value"]["ready"] == true) break;
      } catch (const std::exception&) {
      }
      if (std::chrono::steady_clock::now() > until) {
        throw std::runtime_error("chromedriver did not answer /status: " + driver_->Stderr());
      }
      std::this_thread::sleep_for(milliseconds(100));
    }
    const json capabilities = {
        {"capabilities",
         {{"alwaysMatch",
           {{"browserName", "chrome"},
            {"goog:chromeOptions",
             {{"binary", kChromium},
              {"args", {"--headless=new", "--no-sandbox", "--disable-gpu",
                        "--disable-dev-shm-usage", "--window-size=1280,1000",
                        "--no-first-run", "--disable-extensions"}}}},
            {"goog:loggingPrefs", {{"browser", "ALL"}}}}}}}};
    const json created = Call("POST", "/session", capabilities);
    session_ = created["sessionId"].get<std::string>();
  }
  ~Browser() {
    try {
      if (!session_.empty()) HttpCall(port_, "DELETE", "/session/" + session_);
    } catch (const std::exception&) {
    }
  }

  void Go(const std::string& url) { Call("POST", S("/url"), {{"url", url}}); }
  // Runs `script` (a function body) in the page; returns its value.
  json Run(const std::string& script, const json& args = json::array()) {
    return Call("POST", S("/execute/sync"), {{"script", script}, {"args", args}});
  }
  std::string Find(const std::string& css) {
    return Call("POST", S("/element"), {{"using", "css selector"}, {"value", css}})[kElementKey];
  }
  void Type(const std::string& css, const std::string& text) {
    Call("POST", S("/element/" + Find(css) + "/value"), {{"text", text}});
  }
  void Click(const std::string& css) { Call("POST", S("/element/" + Find(css) + "/click"), json::object()); }
  // Polls `script` until it returns true; false after `timeout`.
  bool WaitFor(const std::string& script, milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      if (Run(script) == true) return true;
      std::this_thread::sleep_for(milliseconds(200));
    }
    return false;
  }
  void Screenshot(const std::string& path) {
    const std::string png = Base64Decode(Call("GET", S("/screenshot")).get<std::string>());
    std::ofstream(path, std::ios::binary) << png;
  }
  // The browser's console and network errors so far (chromedriver's log endpoint).
  json Log() { return Call("POST", S("/se/log"), {{"type", "browser"}}); }

 private:
  std::string S(const std::string& path) const { return "/session/" + session_ + path; }
  // One WebDriver command; returns the answer's "value". Throws on an error answer.
  json Call(const std::string& method, const std::string& path, const json& body = nullptr) {
    const HttpAnswer a = HttpCall(port_, method, path, body.is_null() ? "" : body.dump());
    json answer = json::parse(a.body, nullptr, false);
    if (a.status != 200 || answer.is_discarded()) {
      throw std::runtime_error(method + " " + path + ": " + std::to_string(a.status) + " " + a.body);
    }
    return answer["value"];
  }

  uint16_t port_;
  std::unique_ptr<Subprocess> driver_;
  std::string session_;
};

std::string HttpPortOf(const std::string& log) {
  const std::string marker = "http on ";
  const size_t at = log.find(marker);
  if (at == std::string::npos) return "";
  const size_t begin = at + marker.size();
  const std::string address = log.substr(begin, log.find_first_of(" \n", begin) - begin);
  return address.substr(address.rfind(':') + 1);
}

TEST_CASE("dashboard e2e: log in, submit from the form, live chart grows, report, schedules") {
  if (access(kChromium, X_OK) != 0 || access(kChromedriver, X_OK) != 0) {
    std::cout << "SKIPPED: dashboard e2e needs " << kChromium << " and " << kChromedriver
              << " (Debian packages chromium and chromium-driver)\n";
    return;
  }
  const std::string out_dir = VEXBENCH_E2E_OUT_DIR;
  std::filesystem::create_directories(out_dir);

  NginxServer nginx;
  ControllerProcess controller(ControllerProcessOptions{
      .flags = {"--http", "127.0.0.1:0", "--token", kToken}});
  const std::string http_port = HttpPortOf(controller.Log());
  REQUIRE(!http_port.empty());
  const std::string base = "http://127.0.0.1:" + http_port;
  AgentProcess agent(controller.address(), "a1");
  ControllerClient cli(controller.address(), {"--token", kToken});
  REQUIRE(cli.WaitForAgents({"a1"}, "idle", seconds(20)));

  Browser browser(MakeTempDir("chromedriver"));
  std::cout << "dashboard e2e: browser session open; dashboard at " << base << std::endl;

  // Without the session cookie the dashboard sends the browser to the login form.
  browser.Go(base + "/");
  REQUIRE(browser.WaitFor("return location.pathname === '/login';", seconds(10)));
  browser.Type("#token", kToken);
  browser.Click("#login");
  REQUIRE(browser.WaitFor("return location.pathname === '/' && !!document.getElementById('jobs');",
                          seconds(10)));

  // The custom benchmark form.
  browser.Go(base + "/#/submit");
  REQUIRE(browser.WaitFor("return !!document.getElementById('submit-form');", seconds(10)));
  const std::string spec =
      "name: dashboard-e2e\n"
      "targets:\n"
      "  - {name: web, kind: http, url: \"" + nginx.Url() + "\", method: GET}\n"
      "phases:\n"
      "  - {name: closed, op: request, concurrency: 2, duration: 8s}\n"
      "thresholds:\n"
      "  - \"errors < 1%\"\n";
  browser.Run("document.getElementById('spec').value = arguments[0];", json::array({spec}));
  browser.Screenshot(out_dir + "/1-submit-form.png");
  browser.Click("#submit");
  REQUIRE(browser.WaitFor("return location.hash.indexOf('#/job/') === 0;", seconds(10)));
  const std::string job_id = browser.Run("return location.hash.slice(6);").get<std::string>();
  std::cout << "dashboard e2e: submitted " << job_id << " from the form" << std::endl;
  CHECK(job_id.rfind("j-", 0) == 0);

  // The live page: the req/s chart gains a point per second per target.
  std::vector<int> points;
  bool live_shot = false;
  const auto until = std::chrono::steady_clock::now() + seconds(40);
  while (std::chrono::steady_clock::now() < until) {
    const json state = browser.Run(
        "return {points: document.querySelectorAll('#chart-rps circle').length,"
        " p99: document.querySelectorAll('#chart-p99 circle').length,"
        " ended: !!document.getElementById('open-report')};");
    const int n = state["points"].get<int>();
    CHECK(state["p99"].get<int>() == n);
    if (points.empty() || points.back() != n) points.push_back(n);
    if (n >= 3 && !live_shot) {
      browser.Screenshot(out_dir + "/2-live.png");
      live_shot = true;
    }
    if (state["ended"] == true) break;
    std::this_thread::sleep_for(milliseconds(300));
  }
  INFO("distinct point counts seen: " << json(points).dump());
  REQUIRE(points.size() >= 3);  // it moved at least twice while we watched
  for (size_t i = 1; i < points.size(); ++i) CHECK(points[i] > points[i - 1]);
  CHECK(points.back() >= 5);  // ~8 one-second intervals
  REQUIRE(browser.WaitFor("return !!document.getElementById('open-report');", seconds(30)));
  const std::string status = browser.Run("return document.getElementById('live-status').textContent;");
  CHECK(status.find("ended: succeeded (passed)") == 0);
  // The last interval's numbers stay on the page after the end (not zeros).
  CHECK(browser.Run("return document.querySelector('[data-stat=\"req/s\"] b').textContent;") != "0");
  browser.Screenshot(out_dir + "/3-live-ended.png");

  // The report page, opened from the live page's link.
  browser.Click("#open-report");
  REQUIRE(browser.WaitFor("return !!document.querySelector('#results tbody tr');", seconds(10)));
  const json row = browser.Run(
      "return Array.prototype.map.call(document.querySelectorAll('#results tbody tr td'),"
      " function (td) { return td.textContent; });");
  REQUIRE(row.size() >= 6);
  CHECK(row[0] == "web");
  CHECK(row[1] == "closed");
  // The report page shows what report.json holds.
  const json report = cli.Show(job_id);
  REQUIRE(report.is_object());
  CHECK(row[3] == std::to_string(report["results"][0]["requests"].get<int64_t>()));
  CHECK(browser.Run("return document.querySelectorAll('#chart-report-p99 svg').length;") == 1);
  // The reports issue's self-contained HTML report, embedded below the results.
  REQUIRE(browser.WaitFor(
      "var f = document.getElementById('report-html');"
      " return !!(f && f.contentDocument && f.contentDocument.readyState === 'complete' &&"
      " f.contentDocument.body && f.contentDocument.body.textContent.indexOf('web') >= 0);",
      seconds(10)));
  CHECK(browser.Run("return document.getElementById('report-html').contentDocument"
                    ".querySelectorAll('svg').length > 0;") == true);
  browser.Screenshot(out_dir + "/4-report.png");

  // Schedules: added with the CLI, listed on the dashboard.
  const std::string spec_file = ControllerClient::WriteSpec(spec);
  const RunResult added = cli.Run({"schedule", "add", "nightly", "--cron", "0 2 * * *", "--tz",
                                   "Europe/Paris", spec_file});
  INFO(added.out << added.err);
  REQUIRE(added.exit_code == 0);
  browser.Go(base + "/#/schedules");
  REQUIRE(browser.WaitFor("return !!document.querySelector('#schedules-table tbody tr');", seconds(10)));
  const std::string listed = browser.Run("return document.getElementById('schedules-table').textContent;");
  CHECK(listed.find("nightly") != std::string::npos);
  CHECK(listed.find("Europe/Paris") != std::string::npos);
  browser.Go(base + "/#/schedules/nightly");
  REQUIRE(browser.WaitFor("return !!document.getElementById('trend-p99_ms');", seconds(10)));
  browser.Screenshot(out_dir + "/5-schedule.png");

  // Compare the job with itself: no regression.
  browser.Go(base + "/#/compare/" + job_id + "/" + job_id);
  REQUIRE(browser.WaitFor("return !!document.getElementById('compare-verdict');", seconds(10)));
  CHECK(browser.Run("return document.getElementById('compare-verdict').textContent;") ==
        "no regression");

  // Nothing went wrong in the page: no console error, no failed request.
  const json log = browser.Log();
  std::vector<std::string> errors;
  for (const json& entry : log) {
    if (entry.value("level", "") == "SEVERE") errors.push_back(entry.value("message", ""));
  }
  INFO("browser log: " << log.dump(1));
  std::cout << "dashboard e2e: " << log.size() << " browser log entries, " << errors.size()
            << " errors" << std::endl;
  CHECK(errors.empty());
}

}  // namespace
}  // namespace vexbench::testing
