// Pieces the vector adapters share: JSON request framing, dataset slicing, recall judging.
#ifndef VEXBENCH_ADAPTERS_VECTOR_REQUESTS_H_
#define VEXBENCH_ADAPTERS_VECTOR_REQUESTS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/adapter.h"
#include "common/job_spec.h"

namespace vexbench {

// "Host: h:p\r\n" as sent by every request to `url` (IPv6 literals bracketed).
std::string HostHeader(const Url& url);

// Appends a complete request with a JSON body: request line, `host_header` (from HostHeader),
// Content-Type, `extra_headers` (each "Name: value\r\n"), Content-Length, body.
void AppendJsonRequest(std::string& out, std::string_view method, std::string_view path,
                       std::string_view host_header, std::string_view extra_headers,
                       std::string_view body);

// The dataset ids [begin, end) one thread of one shard inserts: the shards split the ids
// without overlap, then the shard's threads split its part.
std::pair<int64_t, int64_t> SliceRange(int64_t count, const SourceSlice& slice);

// The result series of a vector phase: {"query", "insert"} for mixed, else the phase's op.
std::vector<std::string> VectorOps(const PhaseSpec& phase);

// Mixed phases: decides, request by request, whether the next one is a query, so that queries
// are `read_ratio` of the requests (default 0.5) over any run: a deterministic credit counter.
// Other phases: never a query.
class ReadWriteMix {
 public:
  explicit ReadWriteMix(const PhaseSpec& phase)
      : read_ratio_(phase.op == "mixed" ? phase.read_ratio.value_or(0.5) : 0) {}
  bool NextIsQuery() {
    credit_ += read_ratio_;
    if (credit_ < 1) return false;
    credit_ -= 1;
    return true;
  }

 private:
  double read_ratio_;
  double credit_ = 0;
};

// Fills the recall fields of `verdict` from the ids an answer returned for query `q`. With a
// `filter`: recall against the filter's exact ground truth (over min(k, matching vectors)),
// and an answer holding an id the filter excludes (or no base vector's id) is a
// filter_violation error.
void JudgeRecall(const Dataset& dataset, int64_t q, std::span<const int64_t> found, int k,
                 Verdict& verdict, const PayloadFilter* filter = nullptr);

// The phase's filter with its ground truth resolved once, for judging every answer of the phase
// without a lookup. Adapters make one when the phase starts.
class PhaseFilter {
 public:
  PhaseFilter(const Dataset& dataset, const std::optional<PayloadFilter>& filter)
      : filter_(filter),
        truth_(filter ? dataset.FilterTruth(*filter) : Dataset::FilteredRows()) {}
  explicit operator bool() const { return filter_.has_value(); }
  const PayloadFilter& operator*() const { return *filter_; }
  const PayloadFilter* operator->() const { return &*filter_; }
  const Dataset::FilteredRows& truth() const { return truth_; }

 private:
  std::optional<PayloadFilter> filter_;
  Dataset::FilteredRows truth_;
};

// JudgeRecall for a phase that may have a filter: the same verdict, no per-answer lookup.
void JudgeRecall(const Dataset& dataset, int64_t q, std::span<const int64_t> found, int k,
                 Verdict& verdict, const PhaseFilter& filter);

// Appends base vector i's payload as a JSON object, {"<field>":<value>}; "{}" when the dataset
// has no payload.
void AppendPayload(std::string& out, const Dataset& dataset, int64_t i);
// The bytes AppendPayload appends.
size_t PayloadBytes(const Dataset& dataset, int64_t i);

// Decimal digits of v >= 0.
inline size_t Digits(int64_t v) {
  size_t n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}


}  // namespace vexbench

#endif  // VEXBENCH_ADAPTERS_VECTOR_REQUESTS_H_
