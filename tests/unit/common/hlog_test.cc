#include "common/hlog.h"

#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace vexbench {
namespace {

// Written by HdrHistogram 2.1.11's HistogramLogWriter (Java): interval 1 records 100, 200 x3
// and 5000; interval 2, tagged "writes", records 7 and 1234567. Default max ratio 1e6.
constexpr const char* kJavaLog =
    "#[Logged with G.java]\n"
    "#[Histogram log format version 1.3]\n"
    "#[StartTime: 1700000000.123 (seconds since epoch), Tue Nov 14 22:13:20 UTC 2023]\n"
    "#[BaseTime: 1700000000.123 (seconds since epoch)]\n"
    "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n"
    "0.000,1.000,0.005,"
    "HISTFAAAACl42pNpmSzMwMDAyQABzFCaEURcm7yEwf4DROA4I9NRRraNBkwAiVgHCQ==\n"
    "Tag=writes,1.000,1.500,1.235,"
    "HISTFAAAACZ42pNpmSzMwMDAxgABzFCaEURcm7yEwf4DRICX6eYmRiYAcsQGKg==\n";

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

absl::StatusOr<HlogFile> Read(const std::string& text) {
  std::istringstream in(text);
  return ReadHlog(in);
}

TEST_CASE("ReadHlog reads a log written by HdrHistogram's Java HistogramLogWriter", "[hlog]") {
  absl::StatusOr<HlogFile> log = Read(kJavaLog);
  REQUIRE(log.ok());
  CHECK(log->start_time_s == Approx(1'700'000'000.123));
  CHECK(log->base_time_s == Approx(1'700'000'000.123));
  REQUIRE(log->entries.size() == 2);

  const HlogEntry& first = log->entries[0];
  CHECK_FALSE(first.tag.has_value());
  CHECK(first.start_s == 0.0);
  CHECK(first.length_s == 1.0);
  Histogram expected;
  expected.Record(100);
  expected.RecordN(200, 3);
  expected.Record(5'000);
  CHECK(first.histogram.SameCounts(expected));

  const HlogEntry& second = log->entries[1];
  CHECK(second.tag == "writes");
  CHECK(second.start_s == 1.0);
  CHECK(second.length_s == 1.5);
  expected.Reset();
  expected.Record(7);
  expected.Record(1'234'567);
  CHECK(second.histogram.SameCounts(expected));
}

TEST_CASE("HlogWriter writes what Java's HistogramLogWriter writes", "[hlog]") {
  Histogram h;
  h.Record(100);
  h.RecordN(200, 3);
  h.Record(5'000);
  std::ostringstream out;
  HlogWriter writer(out, 1e6);
  writer.WriteHeader(1'700'000'000.123, "[Logged with G.java]");
  HlogEntry entry{std::nullopt, 0.0, 1.0, h};
  writer.WriteInterval(entry);

  const std::vector<std::string> ours = Lines(out.str());
  const std::vector<std::string> java = Lines(kJavaLog);
  REQUIRE(ours.size() == 6);
  // Java writes the comment before the version line, in the order its caller chose.
  CHECK(ours[0] == java[1]);
  CHECK(ours[1] == java[0]);
  CHECK(ours[2] == java[2]);
  CHECK(ours[3] == java[3]);
  CHECK(ours[4] == java[4]);
  // Same text up to the base64 (zlib output may differ between implementations).
  CHECK(ours[5].substr(0, ours[5].rfind(',')) == "0.000,1.000,0.005");
  CHECK_THAT(ours[5], Catch::Contains(",HISTFAAAA"));
}

TEST_CASE("HlogWriter and ReadHlog round-trip intervals and tags", "[hlog]") {
  HistogramOptions ns_options;
  ns_options.unit = ValueUnit::kNanoseconds;
  ns_options.highest_trackable_value = 3'600'000'000'000;
  absl::StatusOr<Histogram> ns = Histogram::Create(ns_options);
  REQUIRE(ns.ok());
  std::vector<HlogEntry> entries;
  for (int i = 0; i < 5; ++i) {
    Histogram h = *ns;
    for (int v = 1; v <= 1'000 * (i + 1); v += 7) h.Record(int64_t{v} * v * 13);
    std::optional<std::string> tag;
    if (i % 2 == 1) tag = "search.query";
    entries.push_back(HlogEntry{tag, 1.25 * i, 1.0, h});
  }
  std::ostringstream out;
  HlogWriter writer(out, 1e6);
  writer.WriteHeader(1'650'000'000.5, "vexbench test\nsecond line");
  for (const HlogEntry& e : entries) writer.WriteInterval(e);

  const std::vector<std::string> lines = Lines(out.str());
  CHECK(lines[1] == "#vexbench test");
  CHECK(lines[2] == "#second line");
  CHECK_THAT(lines[7], Catch::StartsWith("Tag=search.query,1.250,1.000,"));

  std::istringstream in(out.str());
  absl::StatusOr<HlogFile> log = ReadHlog(in, ValueUnit::kNanoseconds);
  REQUIRE(log.ok());
  CHECK(log->start_time_s == Approx(1'650'000'000.5));
  CHECK(log->base_time_s == Approx(1'650'000'000.5));
  REQUIRE(log->entries.size() == entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    INFO("entry " << i);
    CHECK(log->entries[i].tag == entries[i].tag);
    CHECK(log->entries[i].start_s == Approx(entries[i].start_s));
    CHECK(log->entries[i].length_s == Approx(entries[i].length_s));
    CHECK(log->entries[i].histogram.SameCounts(entries[i].histogram));
  }
}

TEST_CASE("HlogWriter formats numbers as Java's %.3f and sanitizes tags", "[hlog]") {
  Histogram h;
  h.Record(12'345);  // highest equivalent value 12'351 µs
  std::ostringstream out;
  HlogWriter writer(out, 1e3);
  writer.WriteInterval(HlogEntry{"a,b c", 0.0015, 2.0045, h});
  writer.WriteInterval(HlogEntry{std::nullopt, 1'700'000'000.0005, 0.0004, Histogram()});
  const std::vector<std::string> lines = Lines(out.str());
  REQUIRE(lines.size() == 2);
  // Java rounds the shortest decimal half-up: 0.0015 -> 0.002 and 2.0045 -> 2.005.
  CHECK_THAT(lines[0], Catch::StartsWith("Tag=a_b_c,0.002,2.005,12.351,HISTF"));
  CHECK_THAT(lines[1], Catch::StartsWith("1700000000.001,0.000,0.000,HISTF"));
}

TEST_CASE("ReadHlog skips comments, legends and blank lines and accepts CRLF", "[hlog]") {
  std::string text = kJavaLog;
  std::string crlf;
  for (char c : text) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  crlf = "\n#[Some other comment]\r\n" + crlf + "\r\n";
  absl::StatusOr<HlogFile> log = Read(crlf);
  REQUIRE(log.ok());
  CHECK(log->entries.size() == 2);

  absl::StatusOr<HlogFile> no_times = Read(
      "0.5,1.0,0.0,HISTFAAAACl42pNpmSzMwMDAyQABzFCaEURcm7yE"
      "wf4DROA4I9NRRraNBkwAiVgHCQ==\n");
  REQUIRE(no_times.ok());
  CHECK_FALSE(no_times->start_time_s.has_value());
  CHECK_FALSE(no_times->base_time_s.has_value());
  CHECK(no_times->entries.at(0).start_s == 0.5);
}

TEST_CASE("ReadHlog errors name the line and what was wrong", "[hlog]") {
  auto error_for = [](const std::string& text) {
    absl::StatusOr<HlogFile> log = Read(text);
    REQUIRE_FALSE(log.ok());
    return std::string(log.status().message());
  };
  const std::string header =
      "#[Histogram log format version 1.3]\n"
      "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n";
  CHECK_THAT(error_for(header + "abc,1.0,0.0,HISTFAAAA\n"),
             Catch::Contains("line 3") && Catch::Contains("StartTimestamp \"abc\""));
  CHECK_THAT(error_for(header + "\n0.0,1.0,HISTFAAAA\n"),
             Catch::Contains("line 4") && Catch::Contains("found 3 fields"));
  CHECK_THAT(error_for(header + "0.0,1.0,0.0,not*base64!\n"),
             Catch::Contains("line 3") && Catch::Contains("not valid base64"));
  CHECK_THAT(error_for(header + "0.0,1.0,0.0,AAAAAAAA\n"),
             Catch::Contains("line 3") && Catch::Contains("cookie"));
  CHECK_THAT(error_for("#[StartTime: soon (seconds since epoch)]\n"),
             Catch::Contains("line 1") && Catch::Contains("StartTime \"soon\""));
}

}  // namespace
}  // namespace vexbench
