#include "adapters/http_adapter.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "adapters/http_request.h"
#include "adapters/registry.h"

namespace vexbench {
namespace {

TargetSpec Target(nlohmann::json options, std::string url = "http://127.0.0.1:8090/x?y=1") {
  TargetSpec t;
  t.name = "web";
  t.kind = "http";
  t.url = std::move(url);
  t.options = std::move(options);
  t.path = "targets[0]";
  return t;
}

std::string RequestOf(const Adapter& adapter) {
  PhaseSpec phase;
  phase.op = "request";
  auto source = adapter.CreateSource(phase, SourceSlice{}, nullptr);
  REQUIRE(source.ok());
  std::string scratch;
  uint64_t tag = 0;
  return std::string((*source)->NextRequest(scratch, tag));
}

TEST_CASE("a GET request is built once with Host and no body") {
  auto adapter = CreateAdapter(Target(nlohmann::json::object()));
  REQUIRE(adapter.ok());
  CHECK(RequestOf(**adapter) == "GET /x?y=1 HTTP/1.1\r\nHost: 127.0.0.1:8090\r\n\r\n");
  CHECK((*adapter)->connection().url.port == 8090);
  CHECK((*adapter)->connection().max_body_bytes == 64ull << 20);
}

TEST_CASE("method, headers and an inline body are sent - Content-Length is computed") {
  auto adapter = CreateAdapter(Target({{"method", "POST"},
                                       {"headers", {{"Content-Type", "application/json"},
                                                    {"Content-Length", "999"}}},
                                       {"body", "{\"a\":1}"}},
                                      "http://h/p"));
  REQUIRE(adapter.ok());
  CHECK(RequestOf(**adapter) ==
        "POST /p HTTP/1.1\r\nContent-Type: application/json\r\nHost: h\r\n"
        "Content-Length: 7\r\n\r\n{\"a\":1}");
}

TEST_CASE("a body file is read once at creation") {
  const std::string path = "/tmp/vexbench-http-adapter-body.json";
  std::ofstream(path) << "[1,2,3]";
  auto adapter = CreateAdapter(Target({{"method", "PUT"}, {"body_file", path}}, "http://h/"));
  REQUIRE(adapter.ok());
  CHECK(RequestOf(**adapter).ends_with("Content-Length: 7\r\n\r\n[1,2,3]"));
  std::remove(path.c_str());
}

TEST_CASE("answers are judged against the expected status") {
  PhaseSpec phase;
  phase.op = "request";
  auto any2xx = CreateAdapter(Target(nlohmann::json::object()));
  REQUIRE(any2xx.ok());
  auto source = (*any2xx)->CreateSource(phase, {}, nullptr);
  REQUIRE(source.ok());
  CHECK((*source)->Judge(0, 200, "").error == ErrorClass::kNone);
  CHECK((*source)->Judge(0, 204, "").error == ErrorClass::kNone);
  CHECK((*source)->Judge(0, 302, "").error == ErrorClass::kUnexpectedStatus);
  CHECK((*source)->Judge(0, 404, "").error == ErrorClass::kHttp4xx);
  CHECK((*source)->Judge(0, 503, "").error == ErrorClass::kHttp5xx);

  auto created = CreateAdapter(Target({{"expect_status", 201}}));
  REQUIRE(created.ok());
  auto s2 = (*created)->CreateSource(phase, {}, nullptr);
  CHECK((*s2)->Judge(0, 201, "").error == ErrorClass::kNone);
  CHECK((*s2)->Judge(0, 200, "").error == ErrorClass::kUnexpectedStatus);
}

TEST_CASE("bad http options are refused with the field path") {
  auto check = [](nlohmann::json options, const std::string& expected) {
    auto adapter = CreateAdapter(Target(std::move(options)));
    REQUIRE(!adapter.ok());
    CHECK_THAT(std::string(adapter.status().message()), Catch::Contains(expected));
  };
  check({{"methd", "GET"}}, "targets[0].methd: unknown key");
  check({{"method", 5}}, "targets[0].method: 5 is not a string");
  check({{"method", "GE T"}}, "targets[0].method: 'GE T' is not an HTTP method");
  check({{"expect_status", 700}}, "targets[0].expect_status: 700 is out of range; expected 100..599");
  check({{"headers", {1, 2}}}, "targets[0].headers: [1,2] is not a mapping");
  check({{"body", "x"}, {"body_file", "/etc/hostname"}}, "given together with body");
  check({{"body_file", "/nonexistent/file"}}, "targets[0].body_file: cannot read '/nonexistent/file'");
}

TEST_CASE("the http kind only runs request phases - unknown kinds are named") {
  auto adapter = CreateAdapter(Target(nlohmann::json::object()));
  REQUIRE(adapter.ok());
  PhaseSpec phase;
  phase.op = "query";
  phase.path = "phases[1]";
  const absl::Status s = (*adapter)->ValidatePhase(phase);
  CHECK(std::string(s.message()) ==
        "phases[1].op: 'query' is not an operation of http targets; expected 'request'");

  TargetSpec t = Target(nlohmann::json::object());
  t.kind = "milvus";  // a kind no file of adapters/ implements
  auto none = CreateAdapter(t);
  REQUIRE(!none.ok());
  CHECK_THAT(std::string(none.status().message()),
             Catch::Contains("targets[0].kind: 'milvus' has no adapter in this build"));
}

}  // namespace
}  // namespace vexbench
