#include "adapters/vector_requests.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace vexbench {

std::string HostHeader(const Url& url) {
  const bool ipv6 = url.host.find(':') != std::string::npos;
  std::string out = "Host: " + (ipv6 ? "[" + url.host + "]" : url.host);
  if (url.port != 80) out += ":" + std::to_string(url.port);
  return out + "\r\n";
}

void AppendJsonRequest(std::string& out, std::string_view method, std::string_view path,
                       std::string_view host_header, std::string_view extra_headers,
                       std::string_view body) {
  char length[32];
  const int n = std::snprintf(length, sizeof length, "%zu", body.size());
  out.append(method).append(" ").append(path).append(" HTTP/1.1\r\n");
  out.append(host_header);
  out.append("Content-Type: application/json\r\n");
  out.append(extra_headers);
  out.append("Content-Length: ").append(length, static_cast<size_t>(n)).append("\r\n\r\n");
  out.append(body);
}

std::vector<std::string> VectorOps(const PhaseSpec& phase) {
  if (phase.op == "mixed") return {"query", "insert"};
  return {phase.op};
}

std::pair<int64_t, int64_t> SliceRange(int64_t count, const SourceSlice& slice) {
  const auto split = [](int64_t begin, int64_t end, int parts, int index) {
    const int64_t n = end - begin;
    const int64_t from = begin + index * (n / parts) + std::min<int64_t>(index, n % parts);
    return std::make_pair(from, from + n / parts + (index < n % parts ? 1 : 0));
  };
  const auto shard = split(0, count, slice.shard_count, slice.shard_index);
  return split(shard.first, shard.second, slice.thread_count, slice.thread_index);
}

namespace {

void JudgeFiltered(const Dataset& dataset, int64_t q, std::span<const int64_t> found, int k,
                   Verdict& verdict, const PayloadFilter& filter,
                   const Dataset::FilteredRows& rows) {
  for (int64_t id : found) {
    if (id < 0 || id >= dataset.count() || !filter.Matches(dataset.payload(id))) {
      verdict.error = ErrorClass::kFilterViolation;
      break;
    }
  }
  if (!rows.computed()) return;  // loaded without it: recall is not judged
  const std::span<const int32_t> truth = rows.row(q);
  const int kk = static_cast<int>(std::min<size_t>(static_cast<size_t>(k), truth.size()));
  verdict.recall_k = kk;
  verdict.recall_hits =
      kk == 0 ? 0 : static_cast<int32_t>(std::lround(RecallAtK(found, truth, kk) * kk));
}

}  // namespace

void JudgeRecall(const Dataset& dataset, int64_t q, std::span<const int64_t> found, int k,
                 Verdict& verdict, const PayloadFilter* filter) {
  if (filter == nullptr) {
    const int kk = std::min(k, dataset.truth_k());
    verdict.recall_k = kk;
    verdict.recall_hits =
        static_cast<int32_t>(std::lround(RecallAtK(found, dataset.truth(q), kk) * kk));
    return;
  }
  JudgeFiltered(dataset, q, found, k, verdict, *filter, dataset.FilterTruth(*filter));
}

void JudgeRecall(const Dataset& dataset, int64_t q, std::span<const int64_t> found, int k,
                 Verdict& verdict, const PhaseFilter& filter) {
  if (!filter) {
    JudgeRecall(dataset, q, found, k, verdict, nullptr);
    return;
  }
  JudgeFiltered(dataset, q, found, k, verdict, *filter, filter.truth());
}

void AppendPayload(std::string& out, const Dataset& dataset, int64_t i) {
  if (dataset.payload_field().empty()) {
    out.append("{}");
    return;
  }
  out.append("{\"").append(dataset.payload_field()).append("\":");
  char digits[24];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, dataset.payload(i)).ptr);
  out.push_back('}');
}

size_t PayloadBytes(const Dataset& dataset, int64_t i) {
  if (dataset.payload_field().empty()) return 2;
  return dataset.payload_field().size() + 5 + Digits(dataset.payload(i));
}

}  // namespace vexbench
