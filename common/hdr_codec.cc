// HdrHistogram V2 codec. Byte layout as the Java reference's encodeIntoByteBuffer and
// encodeIntoCompressedByteBuffer write it:
//
//   plain:      int32 cookie | int32 payload length | int32 normalizingIndexOffset (0)
//               | int32 significant digits | int64 lowestDiscernibleValue
//               | int64 highestTrackableValue | float64 integerToDoubleValueConversionRatio (1.0)
//               | payload: ZigZag LEB128 counts, a run of N > 1 zeros written as -N
//   compressed: int32 cookie | int32 deflated length | zlib stream of the plain form
//
// All integers are big-endian. The cookie's 0xf0 nibble carries the word size; Java writes
// 0x10 there (0x1c849313 / 0x1c849314) and, like Java, the decoder ignores it.
#include "common/hdr_codec.h"

#include <zlib.h>

#include <bit>
#include <cstring>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace vexbench {
namespace {

constexpr uint32_t kPlainCookieBase = 0x1c849303;
constexpr uint32_t kCompressedCookieBase = 0x1c849304;
constexpr uint32_t kWordSizeNibble = 0xf0;
constexpr uint32_t kWordSize8Flag = 0x10;  // what Java ORs into the cookies it writes
constexpr size_t kPlainHeaderBytes = 40;
constexpr size_t kCompressedHeaderBytes = 8;
constexpr size_t kMaxZigZagBytes = 9;

void PutBigEndian(uint64_t value, int bytes, uint8_t* out) {
  for (int i = bytes - 1; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(value);
    value >>= 8;
  }
}

uint64_t GetBigEndian(const uint8_t* in, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = (value << 8) | in[i];
  return value;
}

// Java's ZigZagEncoding.putLong: 7 bits per byte for 8 bytes, the 9th byte carries 8 bits.
uint8_t* PutZigZag(int64_t value, uint8_t* out) {
  uint64_t v = (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
  for (size_t i = 0; i + 1 < kMaxZigZagBytes; ++i) {
    if (v < 0x80) {
      *out++ = static_cast<uint8_t>(v);
      return out;
    }
    *out++ = static_cast<uint8_t>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  *out++ = static_cast<uint8_t>(v);
  return out;
}

// Reads one ZigZag LEB128 value; false when the input ends inside it.
bool GetZigZag(const uint8_t*& in, const uint8_t* end, int64_t* value) {
  uint64_t v = 0;
  for (size_t i = 0; i < kMaxZigZagBytes; ++i) {
    if (in == end) return false;
    const uint8_t byte = *in++;
    if (i + 1 == kMaxZigZagBytes) {
      v |= static_cast<uint64_t>(byte) << 56;
      break;
    }
    v |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) break;
  }
  *value = static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
  return true;
}

absl::Status Malformed(const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("HdrHistogram V2: ", what));
}

struct PlainHeader {
  uint32_t cookie = 0;
  int32_t payload_bytes = 0;
  int32_t normalizing_index_offset = 0;
  int32_t significant_digits = 0;
  int64_t lowest_discernible_value = 0;
  int64_t highest_trackable_value = 0;
};

PlainHeader ParsePlainHeader(const uint8_t* in) {
  PlainHeader h;
  h.cookie = static_cast<uint32_t>(GetBigEndian(in, 4));
  h.payload_bytes = static_cast<int32_t>(GetBigEndian(in + 4, 4));
  h.normalizing_index_offset = static_cast<int32_t>(GetBigEndian(in + 8, 4));
  h.significant_digits = static_cast<int32_t>(GetBigEndian(in + 12, 4));
  h.lowest_discernible_value = static_cast<int64_t>(GetBigEndian(in + 16, 8));
  h.highest_trackable_value = static_cast<int64_t>(GetBigEndian(in + 24, 8));
  // Bytes 32..39: integerToDoubleValueConversionRatio, meaningful only to DoubleHistogram.
  return h;
}

// Checks the header fields and builds the empty histogram they describe.
absl::StatusOr<Histogram> HistogramForHeader(const PlainHeader& header, ValueUnit unit) {
  if ((header.cookie & ~kWordSizeNibble) != kPlainCookieBase) {
    return Malformed(absl::StrFormat("cookie 0x%08x is not a plain V2 cookie (expected 0x%08x)",
                                     header.cookie, kPlainCookieBase | kWordSize8Flag));
  }
  if (header.payload_bytes < 0) {
    return Malformed(absl::StrFormat("payload length %d is negative", header.payload_bytes));
  }
  if (header.normalizing_index_offset != 0) {
    return Malformed(absl::StrFormat("normalizingIndexOffset %d is not supported (expected 0)",
                                     header.normalizing_index_offset));
  }
  HistogramOptions options;
  options.lowest_discernible_value = header.lowest_discernible_value;
  options.highest_trackable_value = header.highest_trackable_value;
  options.significant_digits = header.significant_digits;
  options.unit = unit;
  absl::StatusOr<Histogram> histogram = Histogram::Create(options);
  if (!histogram.ok()) {
    return Malformed(absl::StrCat("header layout: ", histogram.status().message()));
  }
  return histogram;
}

// Largest payload a well-formed encoding of `h`'s layout can have: one entry per index.
size_t MaxPayloadBytes(const Histogram& h) {
  return static_cast<size_t>(h.counts_length()) * kMaxZigZagBytes;
}

// Adds the counts in `payload` to `h`. Counts at indices past h's layout (only in encodings
// that disagree with their own header) are clamped to the highest trackable value and counted.
absl::Status FillCounts(const uint8_t* payload, const uint8_t* end, Histogram& h) {
  const uint8_t* const begin = payload;
  int64_t index = 0;
  while (payload < end) {
    const int64_t offset = payload - begin;
    int64_t count = 0;
    if (!GetZigZag(payload, end, &count)) {
      return Malformed(
          absl::StrFormat("payload ends inside the count starting at payload byte %d", offset));
    }
    if (count < 0) {
      if (count < -int64_t{std::numeric_limits<int32_t>::max()}) {
        return Malformed(absl::StrFormat(
            "zero run encoded as %d at payload byte %d is longer than 2^31-1", count, offset));
      }
      index -= count;
      continue;
    }
    if (count > std::numeric_limits<int64_t>::max() - h.TotalCount()) {
      return Malformed(absl::StrFormat("total count overflows int64 at payload byte %d", offset));
    }
    if (count > 0) {
      if (index < h.counts_length()) {
        h.AddAtIndex(static_cast<int32_t>(index), count);
      } else {
        h.RecordN(std::numeric_limits<int64_t>::max(), count);
      }
    }
    ++index;
  }
  return absl::OkStatus();
}

// Decodes the plain form into `out`, reusing out's counts array when the layouts match.
absl::Status DecodePlain(std::string_view bytes, ValueUnit unit, Histogram& out) {
  if (bytes.size() < kPlainHeaderBytes) {
    return Malformed(absl::StrFormat("plain encoding is %d bytes; the header alone is %d",
                                     bytes.size(), kPlainHeaderBytes));
  }
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  const PlainHeader header = ParsePlainHeader(data);
  absl::StatusOr<Histogram> h = HistogramForHeader(header, unit);
  if (!h.ok()) return h.status();
  const size_t available = bytes.size() - kPlainHeaderBytes;
  if (static_cast<size_t>(header.payload_bytes) != available) {
    return Malformed(absl::StrFormat("header says the payload is %d bytes but %d follow",
                                     header.payload_bytes, available));
  }
  if (h->options() == out.options()) {
    out.Reset();
  } else {
    out = *std::move(h);
  }
  return FillCounts(data + kPlainHeaderBytes, data + bytes.size(), out);
}

// Inflates exactly `n` bytes into `out`; an error if the stream ends early or is corrupt.
absl::Status InflateExactly(z_stream& stream, uint8_t* out, size_t n) {
  stream.next_out = out;
  stream.avail_out = static_cast<uInt>(n);
  while (stream.avail_out > 0) {
    const int rc = inflate(&stream, Z_NO_FLUSH);
    if (rc == Z_STREAM_END && stream.avail_out > 0) {
      return Malformed(absl::StrFormat("deflated data ends after %d bytes; expected %d more",
                                       stream.total_out, stream.avail_out));
    }
    if (rc != Z_OK && rc != Z_STREAM_END) {
      return Malformed(absl::StrFormat("deflated data is corrupt (zlib: %s)",
                                       stream.msg != nullptr ? stream.msg : zError(rc)));
    }
  }
  return absl::OkStatus();
}

// Inflates the plain encoding, reading its header first so that the output size is bounded
// by the declared layout (a corrupt length cannot make us allocate without limit).
absl::StatusOr<std::string> InflatePlain(const uint8_t* in, size_t in_bytes, ValueUnit unit) {
  z_stream stream{};
  if (inflateInit(&stream) != Z_OK) return absl::InternalError("zlib inflateInit failed");
  stream.next_in = const_cast<uint8_t*>(in);
  stream.avail_in = static_cast<uInt>(in_bytes);
  std::string plain(kPlainHeaderBytes, '\0');
  auto* out = reinterpret_cast<uint8_t*>(plain.data());
  absl::Status status = InflateExactly(stream, out, kPlainHeaderBytes);
  if (status.ok()) {
    const PlainHeader header = ParsePlainHeader(out);
    absl::StatusOr<Histogram> layout = HistogramForHeader(header, unit);
    if (!layout.ok()) {
      status = layout.status();
    } else if (static_cast<size_t>(header.payload_bytes) > MaxPayloadBytes(*layout)) {
      status = Malformed(absl::StrFormat("payload length %d exceeds the %d bytes its layout allows",
                                         header.payload_bytes, MaxPayloadBytes(*layout)));
    } else {
      plain.resize(kPlainHeaderBytes + header.payload_bytes);
      out = reinterpret_cast<uint8_t*>(plain.data());
      status = InflateExactly(stream, out + kPlainHeaderBytes, header.payload_bytes);
    }
  }
  if (status.ok()) {
    uint8_t extra = 0;
    stream.next_out = &extra;
    stream.avail_out = 1;
    const int rc = inflate(&stream, Z_NO_FLUSH);
    if (stream.avail_out == 0) {
      status = Malformed("deflated data is longer than the header's payload length");
    } else if (rc != Z_STREAM_END) {
      status = Malformed("deflated data does not end after the payload (truncated or corrupt)");
    }
  }
  inflateEnd(&stream);
  if (!status.ok()) return status;
  return plain;
}

absl::Status DecodeCompressed(std::string_view bytes, ValueUnit unit, Histogram& out) {
  if (bytes.size() < kCompressedHeaderBytes) {
    return Malformed(absl::StrFormat("compressed encoding is %d bytes; its header alone is %d",
                                     bytes.size(), kCompressedHeaderBytes));
  }
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  const auto deflated_bytes = static_cast<int32_t>(GetBigEndian(data + 4, 4));
  const size_t available = bytes.size() - kCompressedHeaderBytes;
  if (deflated_bytes < 0 || static_cast<size_t>(deflated_bytes) != available) {
    return Malformed(
        absl::StrFormat("header says %d deflated bytes but %d follow", deflated_bytes, available));
  }
  absl::StatusOr<std::string> plain = InflatePlain(data + kCompressedHeaderBytes, available, unit);
  if (!plain.ok()) return plain.status();
  return DecodePlain(*plain, unit, out);
}

}  // namespace

std::string EncodeV2(const Histogram& h) {
  // As Java: counts up to the index of the maximum value (index 0 for an empty histogram).
  const int32_t counts_limit = h.CountsIndexFor(h.Max()) + 1;
  std::string out(kPlainHeaderBytes + static_cast<size_t>(counts_limit) * kMaxZigZagBytes, '\0');
  auto* const begin = reinterpret_cast<uint8_t*>(out.data());
  uint8_t* p = begin + kPlainHeaderBytes;
  int32_t index = 0;
  while (index < counts_limit) {
    const int64_t count = h.count_at_index(index++);
    int64_t zeros = 0;
    if (count == 0) {
      zeros = 1;
      while (index < counts_limit && h.count_at_index(index) == 0) {
        ++zeros;
        ++index;
      }
    }
    p = PutZigZag(zeros > 1 ? -zeros : count, p);
  }
  const size_t payload_bytes = static_cast<size_t>(p - begin) - kPlainHeaderBytes;
  const HistogramOptions& o = h.options();
  PutBigEndian(kPlainCookieBase | kWordSize8Flag, 4, begin);
  PutBigEndian(payload_bytes, 4, begin + 4);
  PutBigEndian(0, 4, begin + 8);  // normalizingIndexOffset
  PutBigEndian(static_cast<uint64_t>(o.significant_digits), 4, begin + 12);
  PutBigEndian(static_cast<uint64_t>(o.lowest_discernible_value), 8, begin + 16);
  PutBigEndian(static_cast<uint64_t>(o.highest_trackable_value), 8, begin + 24);
  PutBigEndian(std::bit_cast<uint64_t>(1.0), 8, begin + 32);
  out.resize(kPlainHeaderBytes + payload_bytes);
  return out;
}

std::string EncodeV2Compressed(const Histogram& h) {
  const std::string plain = EncodeV2(h);
  uLongf deflated_bytes = compressBound(static_cast<uLong>(plain.size()));
  std::string out(kCompressedHeaderBytes + deflated_bytes, '\0');
  auto* const begin = reinterpret_cast<uint8_t*>(out.data());
  // Z_DEFAULT_COMPRESSION is what Java's Deflater uses by default. With a buffer of
  // compressBound() bytes compress2 cannot fail for lack of space.
  compress2(begin + kCompressedHeaderBytes, &deflated_bytes,
            reinterpret_cast<const Bytef*>(plain.data()), static_cast<uLong>(plain.size()),
            Z_DEFAULT_COMPRESSION);
  PutBigEndian(kCompressedCookieBase | kWordSize8Flag, 4, begin);
  PutBigEndian(deflated_bytes, 4, begin + 4);
  out.resize(kCompressedHeaderBytes + deflated_bytes);
  return out;
}

absl::StatusOr<Histogram> DecodeV2(std::string_view bytes, ValueUnit unit) {
  Histogram h;
  if (absl::Status s = DecodeV2Into(bytes, h, unit); !s.ok()) return s;
  return h;
}

absl::Status DecodeV2Into(std::string_view bytes, Histogram& out, ValueUnit unit) {
  if (bytes.size() < 4) {
    return Malformed(
        absl::StrFormat("input is %d bytes; expected at least a 4-byte cookie", bytes.size()));
  }
  const auto cookie =
      static_cast<uint32_t>(GetBigEndian(reinterpret_cast<const uint8_t*>(bytes.data()), 4));
  switch (cookie & ~kWordSizeNibble) {
    case kPlainCookieBase:
      return DecodePlain(bytes, unit, out);
    case kCompressedCookieBase:
      return DecodeCompressed(bytes, unit, out);
    default:
      return Malformed(absl::StrFormat(
          "cookie 0x%08x is not a V2 cookie (expected 0x%08x plain or 0x%08x compressed)", cookie,
          kPlainCookieBase | kWordSize8Flag, kCompressedCookieBase | kWordSize8Flag));
  }
}

}  // namespace vexbench
