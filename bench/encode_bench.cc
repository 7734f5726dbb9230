// Issue 4's encoding benchmark: dim-768 vectors into insert bodies. Goal: >= 50,000 vectors/s
// per core. vexbench encodes each vector's JSON text once, when the dataset loads; an insert
// request is then assembled from those pieces. Both costs are measured here:
//   BM_EncodeVectorsAtLoad:  float -> shortest JSON text (LoadDataset), vectors/s
//   BM_AssembleInsertBody:   a 500-vector insert request from the pieces, vectors/s
#include <benchmark/benchmark.h>

#include <string>

#include "adapters/vector_requests.h"
#include "common/dataset.h"

namespace vexbench {
namespace {

DatasetSpec Spec768(int64_t count) {
  DatasetSpec spec;
  spec.kind = "synthetic";
  spec.count = count;
  spec.dim = 768;
  spec.queries = 1;
  spec.truth_k = 1;
  spec.distribution = "normal";
  return spec;
}

void BM_EncodeVectorsAtLoad(benchmark::State& state) {
  const int64_t count = 2000;
  for (auto _ : state) {
    auto dataset = LoadDataset(Spec768(count), "", 1);
    benchmark::DoNotOptimize(dataset);
  }
  // Generation and the (1-query) ground truth are included: an upper bound on the encoding cost.
  state.SetItemsProcessed(state.iterations() * count);
}
BENCHMARK(BM_EncodeVectorsAtLoad)->Unit(benchmark::kMillisecond);

void BM_AssembleInsertBody(benchmark::State& state) {
  const int64_t count = 10000;
  const int batch = 500;
  auto dataset = LoadDataset(Spec768(count), "", 1);
  if (!dataset.ok()) {
    state.SkipWithError("dataset");
    return;
  }
  std::string body, request;
  const std::string host = "Host: 127.0.0.1:8011\r\n";
  int64_t cursor = 0;
  for (auto _ : state) {
    // The same shape the chroma source builds: ids, embeddings, metadatas.
    body.assign(R"({"ids":[)");
    for (int64_t i = cursor; i < cursor + batch; ++i) {
      if (i != cursor) body.push_back(',');
      body.push_back('"');
      body.append(std::to_string(i));
      body.push_back('"');
    }
    body.append(R"(],"embeddings":[)");
    for (int64_t i = cursor; i < cursor + batch; ++i) {
      if (i != cursor) body.push_back(',');
      body.append((*dataset)->vector_json(i));
    }
    body.append("]}");
    request.clear();
    AppendJsonRequest(request, "POST", "/api/v2/collections/x/add", host, "", body);
    benchmark::DoNotOptimize(request.data());
    cursor = (cursor + batch) % (count - batch);
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(request.size()));
}
BENCHMARK(BM_AssembleInsertBody);

}  // namespace
}  // namespace vexbench

BENCHMARK_MAIN();
