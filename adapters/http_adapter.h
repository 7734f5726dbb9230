// Kind `http`: any HTTP/1.1 endpoint, one fixed request built once from the target's options.
//
// Options (beside name, kind, url):
//   method: GET                       # any token
//   headers: {Accept: "*/*"}          # string -> string
//   body: "..."  or  body_file: path  # not both; a file is read once, at creation
//   expect_status: 200                # default: any 2xx succeeds
//   max_body_bytes: 67108864          # answers above this count as body_too_large
// Operation: `request`.
#ifndef VEXBENCH_ADAPTERS_HTTP_ADAPTER_H_
#define VEXBENCH_ADAPTERS_HTTP_ADAPTER_H_

#include "absl/status/statusor.h"
#include "adapters/adapter.h"

namespace vexbench {

absl::StatusOr<AdapterPtr> CreateHttpAdapter(const TargetSpec& target);

}  // namespace vexbench

#endif  // VEXBENCH_ADAPTERS_HTTP_ADAPTER_H_
