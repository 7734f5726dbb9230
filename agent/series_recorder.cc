#include "agent/series_recorder.h"

#include <string>

#include "common/hdr_codec.h"

namespace vexbench {

void SeriesRecorder::DrainInto(SeriesRecorder& sink) {
  sink.latency_.Merge(latency_);
  sink.wait_.Merge(wait_);
  sink.counters_.Add(counters_);
  Reset();
}

void SeriesRecorder::Reset() {
  if (latency_.TotalCount() != 0) latency_.Reset();
  if (wait_.TotalCount() != 0) wait_.Reset();
  counters_ = SeriesCounters{};
}

void SeriesRecorder::ToProto(bool open_loop, v1::SeriesInterval* out) const {
  v1::Counters* c = out->mutable_counters();
  c->set_requests(counters_.requests);
  c->set_errors(counters_.errors);
  for (int i = 1; i < kErrorClassCount; ++i) {
    if (counters_.errors_by_class[i] != 0) {
      (*c->mutable_errors_by_class())[std::string(kErrorClassNames[i])] =
          counters_.errors_by_class[i];
    }
  }
  c->set_bytes_sent(counters_.bytes_sent);
  c->set_bytes_received(counters_.bytes_received);
  c->set_late_sends(counters_.late_sends);
  c->set_unsent(counters_.unsent);
  c->set_items(counters_.items);
  c->set_recall_hits(counters_.recall_hits);
  c->set_recall_expected(counters_.recall_expected);
  c->set_clamped(latency_.clamped_count());  // counters_.clamped stays 0 on the agent
  out->set_latency_hdr(EncodeV2Compressed(latency_));
  if (open_loop) out->set_wait_hdr(EncodeV2Compressed(wait_));
}

}  // namespace vexbench
