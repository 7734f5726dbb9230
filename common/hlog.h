// HdrHistogram interval log (.hlog) writer and reader.
//
// Format (as HdrHistogram's HistogramLogWriter writes it, readable by HistogramLogProcessor):
//   #[Histogram log format version 1.3]
//   #[StartTime: 1700000000.000 (seconds since epoch), ...]
//   #[BaseTime: 1700000000.000 (seconds since epoch)]
//   "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
//   [Tag=NAME,]START,LENGTH,MAX,BASE64(V2 compressed)
// START is seconds relative to BaseTime; MAX is max value / max_value_unit_ratio.
#ifndef VEXBENCH_COMMON_HLOG_H_
#define VEXBENCH_COMMON_HLOG_H_

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/histogram.h"

namespace vexbench {

struct HlogEntry {
  std::optional<std::string> tag;
  double start_s = 0;   // seconds since BaseTime (absolute when the log has no BaseTime)
  double length_s = 0;
  Histogram histogram;
};

// Writes one log. Not thread-safe. The stream must outlive the writer.
class HlogWriter {
 public:
  // `max_value_unit_ratio`: divisor for the Interval_Max column (HdrHistogram's default 1e6
  // turns ns into ms; for histograms in µs vexbench passes 1e3, so the column is in ms).
  HlogWriter(std::ostream& out, double max_value_unit_ratio);
  // Writes the header lines. `start_unix_s`: the log's StartTime and BaseTime.
  void WriteHeader(double start_unix_s, std::string_view comment = {});
  void WriteInterval(const HlogEntry& entry);

 private:
  std::ostream& out_;
  double max_value_unit_ratio_;
};

struct HlogFile {
  std::optional<double> start_time_s;  // "#[StartTime: ...]"
  std::optional<double> base_time_s;   // "#[BaseTime: ...]"
  std::vector<HlogEntry> entries;      // start_s as written (relative to BaseTime if any)
};

// Reads a whole log. Errors name the line number and what was wrong.
absl::StatusOr<HlogFile> ReadHlog(std::istream& in, ValueUnit unit = ValueUnit::kMicroseconds);

}  // namespace vexbench

#endif  // VEXBENCH_COMMON_HLOG_H_
