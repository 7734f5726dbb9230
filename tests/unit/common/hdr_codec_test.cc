#include "common/hdr_codec.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace vexbench {
namespace {

Histogram MakeHistogram(int64_t lowest, int64_t highest, int digits,
                        ValueUnit unit = ValueUnit::kMicroseconds) {
  HistogramOptions o;
  o.lowest_discernible_value = lowest;
  o.highest_trackable_value = highest;
  o.significant_digits = digits;
  o.unit = unit;
  absl::StatusOr<Histogram> h = Histogram::Create(o);
  REQUIRE(h.ok());
  return *std::move(h);
}

Histogram LatencyHistogram(const HistogramOptions& o, int n, uint64_t seed) {
  absl::StatusOr<Histogram> h = Histogram::Create(o);
  REQUIRE(h.ok());
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> latency(std::log(5'000.0), 1.5);
  for (int i = 0; i < n; ++i) h->Record(static_cast<int64_t>(latency(rng)));
  return *std::move(h);
}

uint64_t BigEndianAt(const std::string& bytes, size_t offset, int width) {
  uint64_t v = 0;
  for (int i = 0; i < width; ++i) v = (v << 8) | static_cast<uint8_t>(bytes[offset + i]);
  return v;
}

void PutBigEndian32(std::string& bytes, size_t offset, uint32_t v) {
  for (int i = 3; i >= 0; --i, v >>= 8) bytes[offset + i] = static_cast<char>(v & 0xff);
}

int64_t SumOfCounts(const Histogram& h) {
  int64_t sum = 0;
  for (int32_t i = 0; i < h.counts_length(); ++i) sum += h.count_at_index(i);
  return sum;
}

// A plain encoding of the default layout with a hand-written payload.
std::string PlainWithPayload(const std::string& payload) {
  std::string bytes = EncodeV2(Histogram());
  bytes.resize(40);
  PutBigEndian32(bytes, 4, static_cast<uint32_t>(payload.size()));
  return bytes + payload;
}

TEST_CASE("V2 plain header has HdrHistogram's cookie and fields", "[hdr_codec]") {
  Histogram h = MakeHistogram(1'000, 3'600'000'000'000, 2, ValueUnit::kNanoseconds);
  h.Record(123'456);
  const std::string bytes = EncodeV2(h);
  REQUIRE(bytes.size() > 40);
  CHECK(BigEndianAt(bytes, 0, 4) == 0x1c849313);  // 0x1c849303 | Java's word-size flag
  CHECK(BigEndianAt(bytes, 4, 4) == bytes.size() - 40);
  CHECK(BigEndianAt(bytes, 8, 4) == 0);  // normalizingIndexOffset
  CHECK(BigEndianAt(bytes, 12, 4) == 2);
  CHECK(BigEndianAt(bytes, 16, 8) == 1'000);
  CHECK(BigEndianAt(bytes, 24, 8) == 3'600'000'000'000);
  CHECK(BigEndianAt(bytes, 32, 8) == 0x3ff0000000000000);  // 1.0

  const std::string compressed = EncodeV2Compressed(h);
  CHECK(BigEndianAt(compressed, 0, 4) == 0x1c849314);  // 0x1c849304 | word-size flag
  CHECK(BigEndianAt(compressed, 4, 4) == compressed.size() - 8);
}

TEST_CASE("V2 payload is ZigZag LEB128 with runs of zeros as negative lengths", "[hdr_codec]") {
  Histogram h;
  CHECK(EncodeV2(h).substr(40) == std::string("\x00", 1));  // empty: one zero count

  h.Record(0);
  h.Record(5);  // counts 1,0,0,0,0,1: 1 -> 2, four zeros -> -4 -> 7, 1 -> 2
  CHECK(EncodeV2(h).substr(40) == "\x02\x07\x02");
  h.Reset();
  h.Record(0);
  h.Record(2);  // a single zero is written as a count of 0
  CHECK(EncodeV2(h).substr(40) == std::string("\x02\x00\x02", 3));
  h.Reset();
  h.RecordN(1, 64);  // zero at index 0, then 64 -> zigzag 128 -> 0x80 0x01
  CHECK(EncodeV2(h).substr(40) == std::string("\x00\x80\x01", 3));
  h.Reset();
  h.RecordN(0, std::numeric_limits<int64_t>::max());  // needs the 9-byte form
  const std::string huge = EncodeV2(h);
  CHECK(huge.size() == 40 + 9);
  absl::StatusOr<Histogram> decoded = DecodeV2(huge);
  REQUIRE(decoded.ok());
  CHECK(decoded->TotalCount() == std::numeric_limits<int64_t>::max());
}

TEST_CASE("V2 plain and compressed round trips keep every count", "[hdr_codec]") {
  struct Case {
    int64_t lowest, highest;
    int digits;
    ValueUnit unit;
  };
  const Case cases[] = {
      {1, 3'600'000'000, 3, ValueUnit::kMicroseconds},
      {1, 3'600'000'000'000, 2, ValueUnit::kNanoseconds},
      {1'000, 3'600'000'000'000, 4, ValueUnit::kNanoseconds},
      {1, 10'000'000, 5, ValueUnit::kMicroseconds},
      {1, 3'600'000'000, 1, ValueUnit::kMicroseconds},
  };
  uint64_t seed = 7;
  for (const Case& c : cases) {
    HistogramOptions o{c.lowest, c.highest, c.digits, c.unit};
    Histogram h = LatencyHistogram(o, 20'000, ++seed);
    h.Record(-3);  // clamped counts are not on the wire, but the value is
    for (const std::string& bytes : {EncodeV2(h), EncodeV2Compressed(h)}) {
      absl::StatusOr<Histogram> back = DecodeV2(bytes, c.unit);
      INFO("digits " << c.digits << " bytes " << bytes.size());
      REQUIRE(back.ok());
      CHECK(back->SameCounts(h));
      CHECK(back->options() == h.options());
      CHECK(back->Max() == h.Max());
      CHECK(back->Min() == h.Min());
      CHECK(back->ValueAtPercentile(99.99) == h.ValueAtPercentile(99.99));
    }
  }
  Histogram empty;
  absl::StatusOr<Histogram> back = DecodeV2(EncodeV2Compressed(empty));
  REQUIRE(back.ok());
  CHECK(back->TotalCount() == 0);
  CHECK(back->SameCounts(empty));
}

TEST_CASE("DecodeV2 takes the unit from its argument", "[hdr_codec]") {
  Histogram h;
  h.Record(42);
  absl::StatusOr<Histogram> ns = DecodeV2(EncodeV2Compressed(h), ValueUnit::kNanoseconds);
  REQUIRE(ns.ok());
  CHECK(ns->options().unit == ValueUnit::kNanoseconds);
  CHECK(ns->Max() == 42);
}

TEST_CASE("DecodeV2 rejects every truncation of a valid encoding", "[hdr_codec]") {
  const Histogram h = LatencyHistogram(HistogramOptions{}, 5'000, 3);
  for (const std::string& full : {EncodeV2(h), EncodeV2Compressed(h)}) {
    for (size_t n = 0; n < full.size(); ++n) {
      absl::StatusOr<Histogram> decoded = DecodeV2(std::string_view(full).substr(0, n));
      INFO("prefix of " << n << " of " << full.size() << " bytes");
      REQUIRE_FALSE(decoded.ok());
      CHECK_THAT(std::string(decoded.status().message()), Catch::StartsWith("HdrHistogram V2: "));
    }
  }
}

TEST_CASE("DecodeV2 survives corrupted and garbage input", "[hdr_codec]") {
  const Histogram h = LatencyHistogram(HistogramOptions{}, 5'000, 4);
  const std::string compressed = EncodeV2Compressed(h);
  const std::string plain = EncodeV2(h);
  // Every single-byte corruption either fails cleanly or decodes to a valid histogram.
  int rejected = 0;
  for (const std::string* original : {&compressed, &plain}) {
    for (size_t i = 0; i < original->size(); ++i) {
      std::string bytes = *original;
      bytes[i] = static_cast<char>(bytes[i] ^ 0x5a);
      absl::StatusOr<Histogram> decoded = DecodeV2(bytes);
      if (!decoded.ok()) {
        ++rejected;
      } else {
        CHECK(SumOfCounts(*decoded) == decoded->TotalCount());
      }
    }
  }
  CHECK(rejected > static_cast<int>(compressed.size()) / 2);  // zlib's checksum catches most

  // Random bytes behind valid cookies (and sometimes matching lengths): clean errors only.
  std::mt19937_64 rng(99);
  for (int round = 0; round < 2'000; ++round) {
    std::string bytes(rng() % 200, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    const bool is_plain = round % 2 == 1;
    if (bytes.size() >= 4) PutBigEndian32(bytes, 0, is_plain ? 0x1c849313 : 0x1c849314);
    const size_t header_bytes = is_plain ? 40 : 8;
    if (bytes.size() >= header_bytes && round % 4 < 2) {
      PutBigEndian32(bytes, 4, static_cast<uint32_t>(bytes.size() - header_bytes));
    }
    absl::StatusOr<Histogram> decoded = DecodeV2(bytes);
    if (decoded.ok()) CHECK(SumOfCounts(*decoded) == decoded->TotalCount());
  }
  // Random payloads behind a valid header: indices past the layout are clamped, never UB.
  for (int round = 0; round < 2'000; ++round) {
    std::string payload(1 + rng() % 64, '\0');
    for (char& c : payload) c = static_cast<char>(rng());
    absl::StatusOr<Histogram> decoded = DecodeV2(PlainWithPayload(payload));
    if (decoded.ok()) CHECK(SumOfCounts(*decoded) == decoded->TotalCount());
  }
}

TEST_CASE("DecodeV2 errors say what was malformed", "[hdr_codec]") {
  auto error_for = [](const std::string& bytes) {
    absl::StatusOr<Histogram> decoded = DecodeV2(bytes);
    REQUIRE_FALSE(decoded.ok());
    return std::string(decoded.status().message());
  };
  Histogram h;
  h.Record(1'000);
  std::string plain = EncodeV2(h);

  CHECK_THAT(error_for("abc"), Catch::Contains("expected at least a 4-byte cookie"));
  std::string bad_cookie = plain;
  PutBigEndian32(bad_cookie, 0, 0x1c849301);
  CHECK_THAT(error_for(bad_cookie), Catch::Contains("cookie 0x1c849301"));

  std::string long_payload = plain;
  PutBigEndian32(long_payload, 4, 1'000);
  CHECK_THAT(error_for(long_payload), Catch::Contains("payload is 1000 bytes"));
  CHECK_THAT(error_for(plain + "x"), Catch::Contains("follow"));

  std::string bad_digits = plain;
  PutBigEndian32(bad_digits, 12, 9);
  CHECK_THAT(error_for(bad_digits), Catch::Contains("significant_digits: 9"));

  std::string shifted = plain;
  PutBigEndian32(shifted, 8, 4);
  CHECK_THAT(error_for(shifted), Catch::Contains("normalizingIndexOffset 4"));

  CHECK_THAT(error_for(PlainWithPayload("\x02\x80")), Catch::Contains("payload ends inside"));
  // ZigZag of -(2^31) is 2^32 - 1: 0xff 0xff 0xff 0xff 0x0f.
  CHECK_THAT(error_for(PlainWithPayload("\xff\xff\xff\xff\x0f")),
             Catch::Contains("longer than 2^31-1"));
  // Two counts of 2^62 overflow the total.
  const std::string big(9, '\x80');  // ZigZag 2^63 (8 empty 7-bit groups, then 0x80) = 2^62
  CHECK_THAT(error_for(PlainWithPayload(big + big + big)), Catch::Contains("overflows"));

  std::string compressed = EncodeV2Compressed(h);
  compressed[compressed.size() - 1] ^= 0x01;  // break the Adler-32 checksum
  CHECK_THAT(error_for(compressed), Catch::Contains("deflated data"));
  std::string wrong_length = EncodeV2Compressed(h);
  PutBigEndian32(wrong_length, 4, 5);
  CHECK_THAT(error_for(wrong_length), Catch::Contains("header says 5 deflated bytes"));
}

TEST_CASE("DecodeV2 clamps counts placed beyond the header's layout", "[hdr_codec]") {
  // Skip past the default layout's 23'552 counts, then record 5.
  std::string payload;
  uint64_t zigzag = 2 * 30'000 - 1;  // -30'000
  while (zigzag >= 0x80) {
    payload.push_back(static_cast<char>((zigzag & 0x7f) | 0x80));
    zigzag >>= 7;
  }
  payload.push_back(static_cast<char>(zigzag));
  payload.push_back('\x0a');  // 5
  absl::StatusOr<Histogram> decoded = DecodeV2(PlainWithPayload(payload));
  REQUIRE(decoded.ok());
  CHECK(decoded->TotalCount() == 5);
  CHECK(decoded->clamped_count() == 5);
  CHECK(decoded->Max() == decoded->HighestEquivalentValue(3'600'000'000));
}

}  // namespace
}  // namespace vexbench
