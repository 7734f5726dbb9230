#include "controller/http_api.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>

#include "controller/controller.h"
#include "controller/job_store.h"
#include "controller/schedule_store.h"
#include "controller/scheduler.h"
#include "nlohmann/json.hpp"
#include "tests/unit/support/temp_dir.h"

namespace vexbench {
namespace {

namespace fs = std::filesystem;

constexpr char kToken[] = "s3cret-token";
constexpr char kSpec[] = R"(name: nginx-smoke
targets:
  - {name: web, kind: http, url: "http://127.0.0.1:9/index.html", method: GET}
phases:
  - {name: closed, op: request, concurrency: 2, duration: 2s}
)";

// The scheduler's jobs never run here: the launcher only records.
class NullLauncher : public JobLauncher {
 public:
  absl::StatusOr<std::string> Submit(const StoredSchedule&) override {
    return absl::UnavailableError("not in this test");
  }
  absl::StatusOr<JobStatus> Status(const std::string& id) override {
    return absl::NotFoundError(id);
  }
};

// A controller without agents (jobs stay queued), a scheduler and the HTTP server on a free
// loopback port.
struct Fixture {
  explicit Fixture(const std::string& token = kToken, bool with_scheduler = true) {
    auto opened = OpenSqliteJobStore(dir.path());
    REQUIRE(opened.ok());
    store = *std::move(opened);
    auto created = Controller::Create(*store);
    REQUIRE(created.ok());
    controller = *std::move(created);
    auto schedules = ScheduleStore::Open(dir.path());
    REQUIRE(schedules.ok());
    schedule_store = *std::move(schedules);
    scheduler = std::make_unique<Scheduler>(*schedule_store, launcher, Scheduler::Options{});
    HttpApiOptions options;
    if (with_scheduler) options.scheduler = scheduler.get();
    auto started = HttpApiServer::Start(*controller, "127.0.0.1:0", token, options);
    REQUIRE(started.ok());
    server = *std::move(started);
  }
  HttpApiServer::Response Get(const std::string& target) {
    return server->Handle("GET", target, std::string("Bearer ") + kToken);
  }
  HttpApiServer::Response Post(const std::string& target, const std::string& body,
                               const std::string& content_type = "application/json") {
    HttpApiServer::Request r;
    r.method = "POST";
    r.target = target;
    r.authorization = std::string("Bearer ") + kToken;
    r.content_type = content_type;
    r.body = body;
    return server->Handle(r);
  }
  std::string SubmitSpec() {
    auto r = Post("/api/jobs", nlohmann::json{{"spec", kSpec}}.dump());
    INFO(r.body);
    REQUIRE(r.status == 201);
    return nlohmann::json::parse(r.body)["id"].get<std::string>();
  }

  TempDir dir;
  JobStorePtr store;
  std::unique_ptr<Controller> controller;
  NullLauncher launcher;
  ScheduleStorePtr schedule_store;
  std::unique_ptr<Scheduler> scheduler;
  std::unique_ptr<HttpApiServer> server;
};

std::string Header(const HttpApiServer::Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

// One raw HTTP exchange on 127.0.0.1:port; reads until the server closes or `until` appears.
std::string Exchange(int port, const std::string& request, const std::string& until = "",
                     int timeout_s = 10) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  timeval tv{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n > 0) out.append(buf, static_cast<size_t>(n));
    if (!until.empty() && out.find(until) != std::string::npos) break;
  }
  close(fd);
  return out;
}

TEST_CASE("http api: with a token, /api needs it (bearer or login cookie), pages and healthz do not") {
  Fixture f;
  CHECK(f.server->Handle("GET", "/healthz").status == 200);
  auto page = f.server->Handle("GET", "/");
  CHECK(page.status == 200);
  CHECK(page.content_type == "text/html; charset=utf-8");
  CHECK(f.server->Handle("GET", "/api/jobs").status == 401);
  CHECK(f.server->Handle("GET", "/api/jobs", "Bearer wrong").status == 401);
  CHECK(f.server->Handle("GET", "/api/jobs", std::string("Bearer ") + kToken + "x").status == 401);
  CHECK(f.server->Handle("GET", "/api/agents").status == 401);
  CHECK(f.server->Handle("GET", "/api/schedules").status == 401);
  CHECK(f.Get("/api/jobs").status == 200);
  auto session = nlohmann::json::parse(f.server->Handle("GET", "/api/session").body);
  CHECK(session["token_required"] == true);
  CHECK(session["authorized"] == false);

  // The login form: a wrong token is 401 with the reason on the page, no cookie.
  HttpApiServer::Request login{.method = "POST", .target = "/login",
                               .content_type = "application/x-www-form-urlencoded",
                               .body = "token=nope"};
  auto refused = f.server->Handle(login);
  CHECK(refused.status == 401);
  CHECK(refused.body.find("Wrong token") != std::string::npos);
  CHECK(Header(refused, "Set-Cookie").empty());
  // The right one: 303 to / with a session cookie that is not the token itself.
  login.body = std::string("token=") + "s3cret%2Dtoken";  // percent-encoded as forms send it
  auto accepted = f.server->Handle(login);
  CHECK(accepted.status == 303);
  CHECK(Header(accepted, "Location") == "/");
  const std::string cookie = Header(accepted, "Set-Cookie");
  CHECK(cookie.find("vexbench_session=") == 0);
  CHECK(cookie.find("HttpOnly") != std::string::npos);
  CHECK(cookie.find("SameSite=Strict") != std::string::npos);
  CHECK(cookie.find(kToken) == std::string::npos);
  const std::string pair = cookie.substr(0, cookie.find(';'));
  HttpApiServer::Request with_cookie{.method = "GET", .target = "/api/jobs", .cookie = "a=b; " + pair};
  CHECK(f.server->Handle(with_cookie).status == 200);
  with_cookie.cookie = "vexbench_session=" + std::string(kToken);
  CHECK(f.server->Handle(with_cookie).status == 401);
  // Log out clears the cookie.
  auto out = f.server->Handle(HttpApiServer::Request{.method = "POST", .target = "/logout"});
  CHECK(out.status == 303);
  CHECK(Header(out, "Set-Cookie").find("Max-Age=0") != std::string::npos);
}

TEST_CASE("http api: without a token everything is open and /login goes to /") {
  Fixture f("");
  CHECK(f.server->Handle("GET", "/api/jobs").status == 200);
  CHECK(f.server->Handle("GET", "/login").status == 303);
  auto session = nlohmann::json::parse(f.server->Handle("GET", "/api/session").body);
  CHECK(session["token_required"] == false);
  CHECK(session["authorized"] == true);
}

TEST_CASE("http api: the dashboard's files are served from the binary and fetch nothing remote") {
  Fixture f;
  for (const std::string path : {"/", "/login", "/dashboard.js", "/dashboard.css", "/charts.js"}) {
    auto r = f.server->Handle("GET", path);
    INFO(path);
    CHECK(r.status == 200);
    CHECK(!r.body.empty());
    // No CDN: no script, style or font from another site.
    CHECK(r.body.find("src=\"http") == std::string::npos);
    CHECK(r.body.find("href=\"http") == std::string::npos);
    CHECK(r.body.find("@import") == std::string::npos);
    CHECK(r.body.find("//cdn") == std::string::npos);
  }
  CHECK(f.server->Handle("GET", "/dashboard.js").content_type ==
        "text/javascript; charset=utf-8");
  CHECK(f.server->Handle("GET", "/nope.js").status == 404);
  CHECK(f.Get("/api/nope").status == 404);
}

TEST_CASE("http api: submit from the form, list, show, cancel") {
  Fixture f;
  // A POST needs JSON (no cross-site form can send it without asking first).
  CHECK(f.Post("/api/jobs", nlohmann::json{{"spec", kSpec}}.dump(),
               "application/x-www-form-urlencoded").status == 415);
  auto bad = f.Post("/api/jobs", "{}");
  CHECK(bad.status == 400);
  CHECK(nlohmann::json::parse(bad.body)["error"] ==
        "spec: expected the job spec as YAML or JSON text");
  bad = f.Post("/api/jobs", nlohmann::json{{"spec", "name: x\ntargets: []\nphases: []\n"}}.dump());
  CHECK(bad.status == 400);
  CHECK(nlohmann::json::parse(bad.body)["error"].get<std::string>().find("targets") !=
        std::string::npos);
  bad = f.Post("/api/jobs", nlohmann::json{{"spec", kSpec}, {"agents", -1}}.dump());
  CHECK(bad.status == 400);
  CHECK(nlohmann::json::parse(bad.body)["error"].get<std::string>().find("agents:") == 0);
  bad = f.Post("/api/jobs", nlohmann::json{{"spec", kSpec}, {"set", {"phases[0].concurrency=x"}}}.dump());
  CHECK(bad.status == 400);

  const std::string id = f.SubmitSpec();
  auto jobs = nlohmann::json::parse(f.Get("/api/jobs").body);
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0]["id"] == id);
  CHECK(jobs[0]["name"] == "nginx-smoke");
  CHECK(jobs[0]["state"] == "queued");
  CHECK(jobs[0]["targets"] == nlohmann::json::array({"web"}));
  auto job = f.Get("/api/jobs/" + id);
  CHECK(job.status == 200);
  CHECK(nlohmann::json::parse(job.body)["job"]["state"] == "queued");
  CHECK(f.Get("/api/jobs/j-999999").status == 404);
  CHECK(f.Get("/api/jobs?limit=0").status == 400);
  CHECK(nlohmann::json::parse(f.Get("/api/jobs?limit=1").body).size() == 1);
  // The live event of a queued job: not final, no progress yet.
  auto live = f.server->LiveEvent(id);
  REQUIRE(live.ok());
  CHECK((*live)["final"] == false);
  CHECK((*live)["planned_s"] == 2.0);
  CHECK((*live)["progress"] == 0.0);
  // Cancel needs POST.
  CHECK(f.Get("/api/jobs/" + id + "/cancel").status == 405);
  auto cancelled = f.Post("/api/jobs/" + id + "/cancel", "{}");
  CHECK(cancelled.status == 200);
  CHECK(nlohmann::json::parse(cancelled.body)["state"] == "cancelled");
  live = f.server->LiveEvent(id);
  REQUIRE(live.ok());
  CHECK((*live)["final"] == true);
}

TEST_CASE("http api: compare and schedules routes") {
  Fixture f;
  CHECK(f.Get("/api/compare").status == 400);
  CHECK(f.Get("/api/compare?a=j-1&b=j-2").status == 404);
  const std::string a = f.SubmitSpec();
  const std::string b = f.SubmitSpec();
  auto bad = f.Get("/api/compare?a=" + a + "&b=" + b + "&max_regression=p98%3D1");
  CHECK(bad.status == 400);
  CHECK(nlohmann::json::parse(bad.body)["error"].get<std::string>().find("max_regression:") == 0);

  auto empty = f.Get("/api/schedules");
  CHECK(empty.status == 200);
  CHECK(empty.body == "[]");
  StoredSchedule s;
  s.name = "nightly";
  s.cron = "0 2 * * *";
  s.time_zone = "Europe/Paris";
  s.spec_json = R"({"name": "nginx-smoke"})";
  REQUIRE(f.scheduler->Add(s).ok());
  auto list = nlohmann::json::parse(f.Get("/api/schedules").body);
  REQUIRE(list.size() == 1);
  CHECK(list[0]["name"] == "nightly");
  CHECK(list[0]["cron"] == "0 2 * * *");
  CHECK(list[0]["time_zone"] == "Europe/Paris");
  CHECK(list[0]["job_name"] == "nginx-smoke");
  auto shown = f.Get("/api/schedules/nightly");
  REQUIRE(shown.status == 200);
  auto body = nlohmann::json::parse(shown.body);
  CHECK(body["schedule"]["name"] == "nightly");
  CHECK(body["runs"].empty());
  CHECK(f.Get("/api/schedules/other").status == 404);
  CHECK(f.Get("/api/schedules/nightly?limit=0").status == 400);

  Fixture without(kToken, false);
  CHECK(without.Get("/api/schedules").status == 404);
}

TEST_CASE("http api: the live page's event stream over a real connection, auth included") {
  Fixture f;
  const std::string id = f.SubmitSpec();
  const std::string get = "GET /api/jobs/" + id + "/events HTTP/1.1\r\nHost: x\r\n";
  // Without the token: 401, no stream.
  const std::string refused = Exchange(f.server->port(), get + "\r\n");
  CHECK(refused.rfind("HTTP/1.1 401", 0) == 0);
  // With it: an event stream with a progress event each second; after cancel, one `end`.
  std::thread canceller([&f, id] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    f.Post("/api/jobs/" + id + "/cancel", "{}");
  });
  const std::string stream = Exchange(
      f.server->port(), get + "Authorization: Bearer " + kToken + "\r\n\r\n", "event: end", 15);
  canceller.join();
  CHECK(stream.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(stream.find("Content-Type: text/event-stream") != std::string::npos);
  CHECK(stream.find("event: progress\ndata: {") != std::string::npos);
  const size_t end = stream.find("event: end\ndata: ");
  REQUIRE(end != std::string::npos);
  const std::string data = stream.substr(end + 17, stream.find("\n\n", end) - end - 17);
  auto event = nlohmann::json::parse(data);
  CHECK(event["job"]["state"] == "cancelled");
  CHECK(event["final"] == true);
  // Over the network the API answers as Handle() does; a bad request is a 400.
  const std::string jobs = Exchange(f.server->port(),
      "GET /api/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + std::string(kToken) + "\r\n\r\n");
  CHECK(jobs.rfind("HTTP/1.1 200 OK", 0) == 0);
  CHECK(jobs.find("\"id\":\"" + id + "\"") != std::string::npos);
  CHECK(Exchange(f.server->port(), "NOT HTTP\r\n\r\n").rfind("HTTP/1.1 400", 0) == 0);
}

}  // namespace
}  // namespace vexbench
