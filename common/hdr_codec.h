// HdrHistogram V2 encoding, the wire and disk form of every histogram in vexbench.
//
// Plain form: cookie 0x1c849313 + header + ZigZag-LEB128 counts (runs of zeros as negative
// numbers). Compressed form: cookie 0x1c849314 + length + DEFLATE (zlib) of the plain form.
// (The V2 base cookies 0x1c849303/04 carry Java's 0x10 word-size flag, as Java writes them;
// decoding ignores that nibble, as Java does.)
// Interoperable with HdrHistogram's reference libraries (Java encodeIntoCompressedByteBuffer /
// decodeFromCompressedByteBuffer), which the test suite checks in both directions.
#ifndef VEXBENCH_COMMON_HDR_CODEC_H_
#define VEXBENCH_COMMON_HDR_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/histogram.h"

namespace vexbench {

// Plain V2 encoding (cookie 0x1c849313).
std::string EncodeV2(const Histogram& h);
// Compressed V2 encoding (cookie 0x1c849314), what HdrHistogram's logs and tools carry.
std::string EncodeV2Compressed(const Histogram& h);

// Decodes either form (recognised by its cookie). The histogram gets the encoded layout
// (lowest value, highest value, significant digits); `unit` is not on the wire and is taken
// from the argument. An error says what was malformed (cookie, length, payload).
absl::StatusOr<Histogram> DecodeV2(std::string_view bytes,
                                   ValueUnit unit = ValueUnit::kMicroseconds);
// The same into `out`, whose counts array is reused when it has the encoded layout (decoding
// many blobs into one histogram allocates nothing). On an error `out` holds no meaningful data.
absl::Status DecodeV2Into(std::string_view bytes, Histogram& out,
                          ValueUnit unit = ValueUnit::kMicroseconds);

}  // namespace vexbench

#endif  // VEXBENCH_COMMON_HDR_CODEC_H_
