#include "common/dataset.h"

#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "hdf5.h"
#include "tests/unit/support/temp_dir.h"

namespace vexbench {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

// Writes rows as a .vecs file: an int32 dimension, then the values, per row.
template <typename T>
void WriteVecs(const std::string& path, const std::vector<std::vector<T>>& rows) {
  std::ofstream out(path, std::ios::binary);
  for (const std::vector<T>& row : rows) {
    const int32_t dim = static_cast<int32_t>(row.size());
    out.write(reinterpret_cast<const char*>(&dim), sizeof dim);
    out.write(reinterpret_cast<const char*>(row.data()), sizeof(T) * row.size());
  }
  REQUIRE(out.good());
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string ParseError(const json& dataset) {
  absl::StatusOr<DatasetSpec> spec = ParseDatasetSpec(dataset);
  return spec.ok() ? "(parsed)" : std::string(spec.status().message());
}

std::string LoadError(const DatasetSpec& spec, const std::string& cache_dir = "") {
  absl::StatusOr<std::shared_ptr<const Dataset>> data = LoadDataset(spec, cache_dir, 2);
  return data.ok() ? "(loaded)" : std::string(data.status().message());
}

std::shared_ptr<const Dataset> Load(const DatasetSpec& spec, const std::string& cache_dir = "",
                                    int threads = 2) {
  absl::StatusOr<std::shared_ptr<const Dataset>> data = LoadDataset(spec, cache_dir, threads);
  INFO(data.status().ToString());
  REQUIRE(data.ok());
  return *data;
}

DatasetSpec Synthetic(int64_t count, int dim, int64_t queries, const std::string& distribution,
                      uint64_t seed = 1) {
  DatasetSpec spec;
  spec.count = count;
  spec.dim = dim;
  spec.queries = queries;
  spec.distribution = distribution;
  spec.seed = seed;
  return spec;
}

FloatMatrix Matrix(const std::vector<std::vector<float>>& rows) {
  FloatMatrix m;
  m.rows = static_cast<int64_t>(rows.size());
  m.dim = rows.empty() ? 0 : static_cast<int>(rows[0].size());
  for (const auto& row : rows) m.data.insert(m.data.end(), row.begin(), row.end());
  return m;
}

std::vector<float> All(std::span<const float> values) { return {values.begin(), values.end()}; }
std::vector<int32_t> All(std::span<const int32_t> ids) { return {ids.begin(), ids.end()}; }

// --- ParseDatasetSpec -------------------------------------------------------------------------

TEST_CASE("ParseDatasetSpec reads each kind's keys") {
  absl::StatusOr<DatasetSpec> synthetic = ParseDatasetSpec(json::parse(R"({
      "kind": "synthetic", "count": 1000, "dim": 64, "queries": 20, "metric": "euclidean",
      "seed": 18446744073709551615, "distribution": "clustered", "clusters": 8, "truth_k": 10})"));
  REQUIRE(synthetic.ok());
  CHECK(synthetic->count == 1000);
  CHECK(synthetic->dim == 64);
  CHECK(synthetic->queries == 20);
  CHECK(synthetic->metric == Metric::kL2);
  CHECK(synthetic->seed == std::numeric_limits<uint64_t>::max());
  CHECK(synthetic->distribution == "clustered");
  CHECK(synthetic->clusters == 8);
  CHECK(synthetic->truth_k == 10);

  absl::StatusOr<DatasetSpec> defaults = ParseDatasetSpec(json{{"count", 5}, {"dim", 3}});
  REQUIRE(defaults.ok());
  CHECK(defaults->kind == "synthetic");
  CHECK(defaults->queries == 100);
  CHECK(defaults->metric == Metric::kCosine);
  CHECK(defaults->distribution == "uniform");

  absl::StatusOr<DatasetSpec> fvecs = ParseDatasetSpec(json::parse(R"({
      "kind": "fvecs", "path": "/no/such/base.fvecs", "query_path": "/no/such/q.BVECS",
      "truth_path": "/no/such/gt.ivecs", "metric": "angular", "count": 0, "queries": 7})"));
  REQUIRE(fvecs.ok());  // files are checked when the dataset is loaded
  CHECK(fvecs->path == "/no/such/base.fvecs");
  CHECK(fvecs->query_path == "/no/such/q.BVECS");
  CHECK(fvecs->truth_path == "/no/such/gt.ivecs");
  CHECK(fvecs->metric == Metric::kCosine);
  CHECK(fvecs->queries == 7);

  absl::StatusOr<DatasetSpec> hdf5 =
      ParseDatasetSpec(json{{"kind", "hdf5"}, {"path", "glove-25-angular.hdf5"}, {"count", 10}});
  REQUIRE(hdf5.ok());
  CHECK(hdf5->path == "glove-25-angular.hdf5");
  CHECK(hdf5->count == 10);

  CHECK(ParseDatasetSpec(json{{"count", 5}, {"dim", 3}, {"metric", "dot"}})->metric ==
        Metric::kDot);
  CHECK(ParseDatasetSpec(json{{"count", 5}, {"dim", 3}, {"seed", nullptr}}).ok());  // null = unset
}

TEST_CASE("ParseDatasetSpec errors name the field and what was expected") {
  const std::string all_keys =
      "kind, count, dim, queries, metric, seed, distribution, clusters, path, query_path, "
      "truth_path, truth_k, payload";
  const json fvecs = {
      {"kind", "fvecs"}, {"path", "b.fvecs"}, {"query_path", "q.fvecs"}, {"metric", "l2"}};
  auto with = [](json base, const std::string& key, json value) {
    base[key] = std::move(value);
    return base;
  };
  const json synthetic = {{"count", 10}, {"dim", 4}};
  const std::vector<std::pair<json, std::string>> cases = {
      {with(synthetic, "colour", 1), "dataset.colour: unknown key; expected one of: " + all_keys},
      {with(synthetic, "dim", 0), "dataset.dim: 0 is out of range; expected 1..4096"},
      {with(synthetic, "dim", 4097), "dataset.dim: 4097 is out of range; expected 1..4096"},
      {with(synthetic, "dim", "128"), "dataset.dim: \"128\" is not an integer; expected 1..4096"},
      {with(synthetic, "dim", 1.5), "dataset.dim: 1.5 is not an integer; expected 1..4096"},
      {json{{"dim", 4}},
       "dataset.count: is missing; expected the number of base vectors, 1..2147483647"},
      {json{{"count", 4}}, "dataset.dim: is missing; expected 1..4096"},
      {with(synthetic, "count", 0),
       "dataset.count: 0 is out of range; expected the number of base vectors, 1..2147483647"},
      {with(synthetic, "queries", 0), "dataset.queries: 0 is out of range; expected 1..2147483647"},
      {with(synthetic, "metric", "hamming"),
       "dataset.metric: \"hamming\" is not a metric; expected one of: cosine, l2, dot (or "
       "angular, euclidean)"},
      {with(synthetic, "distribution", "zipf"),
       "dataset.distribution: \"zipf\" is not a distribution; expected one of: uniform, normal, "
       "clustered"},
      {with(synthetic, "seed", -1),
       "dataset.seed: -1 is out of range; expected an integer 0..18446744073709551615"},
      {with(synthetic, "clusters", 0), "dataset.clusters: 0 is out of range; expected 1..1000000"},
      {with(synthetic, "truth_k", 0), "dataset.truth_k: 0 is out of range; expected 1..10000"},
      {with(synthetic, "kind", "parquet"),
       "dataset.kind: \"parquet\" is not a dataset kind; expected one of: synthetic, fvecs, hdf5"},
      {with(synthetic, "kind", 3),
       "dataset.kind: 3 is not a string; expected one of: synthetic, fvecs, hdf5"},
      {with(synthetic, "path", "x.fvecs"),
       "dataset.path: does not apply to kind synthetic; expected for kind synthetic one of: "
       "kind, count, dim, queries, metric, seed, distribution, clusters, truth_k, payload"},
      {with(fvecs, "query_path", nullptr),
       "dataset.query_path: is missing; expected a .fvecs or .bvecs file"},
      {with(fvecs, "path", "base.txt"),
       "dataset.path: \"base.txt\" has another extension; expected a .fvecs or .bvecs file"},
      {with(fvecs, "path", ""), "dataset.path: is empty; expected a .fvecs or .bvecs file"},
      {with(fvecs, "truth_path", "gt.fvecs"),
       "dataset.truth_path: \"gt.fvecs\" has another extension; expected an .ivecs file"},
      {with(fvecs, "metric", nullptr),
       "dataset.metric: is missing; expected one of: cosine, l2, dot (or angular, euclidean)"},
      {with(fvecs, "count", -1),
       "dataset.count: -1 is out of range; expected at most this many base vectors, "
       "0..2147483647 (0 = all)"},
      {with(fvecs, "seed", 3),
       "dataset.seed: does not apply to kind fvecs; expected for kind "
       "fvecs one of: kind, path, query_path, truth_path, count, queries, "
       "metric, dim, truth_k, payload"},
      {json{{"kind", "hdf5"}}, "dataset.path: is missing; expected an ann-benchmarks HDF5 file"},
      {json{{"kind", "hdf5"}, {"path", "a.hdf5"}, {"metric", "l2"}},
       "dataset.metric: does not apply to kind hdf5; expected for kind hdf5 one of: kind, path, "
       "count, queries, dim, truth_k, payload"},
      {json::array(), "dataset: a list is not a mapping; expected a dataset mapping"},
  };
  for (const auto& [dataset, message] : cases) {
    INFO(dataset.dump());
    CHECK(ParseError(dataset) == message);
  }
}

TEST_CASE("LoadDataset checks specs built in code too") {
  CHECK(LoadError(Synthetic(10, 0, 1, "uniform")) ==
        "dataset.dim: 0 is out of range; expected 1..4096");
  CHECK(LoadError(Synthetic(10, 4, 1, "zipf")) ==
        "dataset.distribution: \"zipf\" is not a distribution; expected one of: uniform, normal, "
        "clustered");
  DatasetSpec spec;
  spec.kind = "parquet";
  CHECK(LoadError(spec) ==
        "dataset.kind: \"parquet\" is not a dataset kind; expected one of: synthetic, fvecs, hdf5");
  spec.kind = "fvecs";
  spec.queries = -2;
  CHECK(LoadError(spec) == "dataset.queries: -2 is out of range; expected 0..2147483647 (0 = all)");
}

// --- Synthetic ------------------------------------------------------------------------------

TEST_CASE("Synthetic datasets are determined by their parameters") {
  const DatasetSpec spec = Synthetic(300, 8, 5, "normal", 42);
  std::shared_ptr<const Dataset> a = Load(spec);
  std::shared_ptr<const Dataset> b = Load(spec);
  CHECK(a->content_hash() == b->content_hash());
  CHECK(a->content_hash().size() == 64);
  CHECK(a->content_hash().find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(All(a->vector(299)) == All(b->vector(299)));
  CHECK(All(a->truth(4)) == All(b->truth(4)));
  // Queries come from their own stream: they are not the first base vectors again.
  CHECK(All(a->query(0)) != All(a->vector(0)));

  CHECK(Load(Synthetic(300, 8, 5, "normal", 43))->content_hash() != a->content_hash());
  CHECK(Load(Synthetic(300, 8, 5, "uniform", 42))->content_hash() != a->content_hash());
  DatasetSpec l2 = spec;
  l2.metric = Metric::kL2;
  CHECK(Load(l2)->content_hash() != a->content_hash());  // same vectors, other metric

  // Uniform values come from the raw mt19937_64 draws alone (no libm, no std distributions):
  // pinned, so a change of the generator shows here.
  std::shared_ptr<const Dataset> uniform = Load(Synthetic(4, 3, 2, "uniform", 1));
  // (Checked against an independent Python mt19937_64: (draw >> 40) * 2^-23 - 1.)
  CHECK(std::string(uniform->vector_json(0)) == "[0.06493044,0.78539705,0.7809917]");
  CHECK(uniform->content_hash() ==
        "314727eaf61df195aeaa5228fbf92eee692bfd0665cfe858fb3c6668713ef0fb");
}

TEST_CASE("Synthetic distributions have the documented shape") {
  SECTION("uniform in [-1, 1)") {
    std::shared_ptr<const Dataset> data = Load(Synthetic(20000, 16, 1, "uniform"));
    float low = 1, high = -1;
    double sum = 0;
    for (int64_t i = 0; i < data->count(); ++i) {
      for (float v : data->vector(i)) {
        low = std::min(low, v);
        high = std::max(high, v);
        sum += v;
      }
    }
    CHECK(low >= -1.0f);
    CHECK(high < 1.0f);
    CHECK(low < -0.999f);
    CHECK(high > 0.999f);
    CHECK(std::abs(sum / (20000 * 16)) < 0.01);
  }
  SECTION("normal N(0, 1)") {
    std::shared_ptr<const Dataset> data = Load(Synthetic(20000, 16, 1, "normal"));
    double sum = 0, squares = 0, within_one = 0;
    const double n = 20000 * 16;
    for (int64_t i = 0; i < data->count(); ++i) {
      for (float v : data->vector(i)) {
        sum += v;
        squares += double{v} * v;
        within_one += std::abs(v) < 1 ? 1 : 0;
      }
    }
    const double mean = sum / n;
    CHECK(std::abs(mean) < 0.01);
    CHECK(std::abs(squares / n - mean * mean - 1.0) < 0.02);
    CHECK(std::abs(within_one / n - 0.6827) < 0.01);
  }
  SECTION("clustered: tight groups around as many centres as asked") {
    DatasetSpec spec = Synthetic(2000, 16, 1, "clustered");
    spec.clusters = 5;
    std::shared_ptr<const Dataset> data = Load(spec);
    // Centres are ~3 apart in 16 dimensions, members ~0.3 from each other: group greedily.
    std::vector<std::vector<int64_t>> groups;
    for (int64_t i = 0; i < data->count(); ++i) {
      auto near = std::find_if(groups.begin(), groups.end(), [&](const auto& group) {
        double d = 0;
        for (int j = 0; j < 16; ++j) {
          d += std::pow(data->vector(i)[j] - data->vector(group[0])[j], 2);
        }
        return std::sqrt(d) < 1.0;
      });
      if (near == groups.end()) {
        groups.push_back({i});
      } else {
        near->push_back(i);
      }
    }
    REQUIRE(groups.size() == 5);
    for (const auto& group : groups) {
      CHECK(group.size() > 200);  // ~400 each
      const double size = static_cast<double>(group.size());
      double squares = 0;
      for (int j = 0; j < 16; ++j) {
        double mean = 0;
        for (int64_t i : group) mean += data->vector(i)[j];
        mean /= size;
        for (int64_t i : group) squares += std::pow(data->vector(i)[j] - mean, 2);
      }
      CHECK(std::sqrt(squares / (size * 16)) == Approx(0.05).epsilon(0.1));
    }
  }
  SECTION("cosine vectors are not normalized") {
    std::shared_ptr<const Dataset> data = Load(Synthetic(10, 16, 1, "uniform"));
    double norm = 0;
    for (float v : data->vector(0)) norm += double{v} * v;
    CHECK(std::abs(std::sqrt(norm) - 1.0) > 1e-3);
  }
}

// --- Files ----------------------------------------------------------------------------------

TEST_CASE("fvecs, bvecs and ivecs read back what was written") {
  TempDir dir;
  const std::vector<std::vector<float>> floats = {{1.5f, -2, 0}, {3, 4, 5.25f}, {-1, -1, 1e-7f}};
  WriteVecs(dir / "a.fvecs", floats);
  absl::StatusOr<FloatMatrix> f = ReadFvecs(dir / "a.fvecs");
  REQUIRE(f.ok());
  CHECK(f->rows == 3);
  CHECK(f->dim == 3);
  CHECK(f->data == Matrix(floats).data);
  absl::StatusOr<FloatMatrix> limited = ReadFvecs(dir / "a.fvecs", 2);
  REQUIRE(limited.ok());
  CHECK(limited->rows == 2);
  CHECK(limited->data.size() == 6);

  WriteVecs<uint8_t>(dir / "b.bvecs", {{0, 255, 7, 8}, {1, 2, 3, 4}});
  absl::StatusOr<FloatMatrix> b = ReadBvecs(dir / "b.bvecs");
  REQUIRE(b.ok());
  CHECK(b->rows == 2);
  CHECK(b->dim == 4);
  CHECK(b->data == std::vector<float>{0, 255, 7, 8, 1, 2, 3, 4});

  IntMatrix ids{2, 3, {5, -1, 2147483647, 0, 1, 2}};
  REQUIRE(WriteIvecs(dir / "c.ivecs", ids).ok());
  absl::StatusOr<IntMatrix> i = ReadIvecs(dir / "c.ivecs");
  REQUIRE(i.ok());
  CHECK(i->rows == 2);
  CHECK(i->dim == 3);
  CHECK(i->data == ids.data);
  WriteVecs<int32_t>(dir / "d.ivecs", {{5, -1, 2147483647}, {0, 1, 2}});
  CHECK(ReadBytes(dir / "c.ivecs") == ReadBytes(dir / "d.ivecs"));

  WriteBytes(dir / "empty.fvecs", "");
  absl::StatusOr<FloatMatrix> empty = ReadFvecs(dir / "empty.fvecs");
  REQUIRE(empty.ok());
  CHECK(empty->rows == 0);

  CHECK(WriteIvecs(dir / "e.ivecs", IntMatrix{2, 3, {1, 2}}).message() ==
        dir / "e.ivecs" + ": matrix of 2 x 3 holds 2 values; expected rows x dim");
}

TEST_CASE("Malformed .vecs files are rejected naming the file and row") {
  TempDir dir;
  const std::string path = dir / "bad.fvecs";
  auto error_of = [&](const std::string& bytes) {
    WriteBytes(path, bytes);
    absl::StatusOr<FloatMatrix> m = ReadFvecs(path);
    return m.ok() ? "(read)" : std::string(m.status().message());
  };
  WriteVecs<float>(path, {{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}});
  const std::string good = ReadBytes(path);

  CHECK(error_of(good.substr(0, good.size() - 3)) ==
        path + ": row 2: truncated; expected 4 values, found 3");
  CHECK(error_of(good.substr(0, 2 * 20 + 2)) ==
        path + ": row 2: truncated inside the dimension; expected 4 bytes");
  WriteVecs<float>(path, {{1, 2, 3, 4}, {5, 6, 7}});
  CHECK(error_of(ReadBytes(path)) ==
        path + ": row 1: dimension 3 differs from row 0's 4; expected every row to have 4");
  WriteVecs<float>(path, {{}});
  CHECK(error_of(ReadBytes(path)) ==
        path + ": row 0: dimension 0 is not positive; expected 1..1000000 (is this a .vecs file?)");
  CHECK(error_of(std::string("\xff\xff\xff\xff", 4)) ==
        path +
            ": row 0: dimension -1 is not positive; expected 1..1000000 (is this a .vecs "
            "file?)");
  CHECK(error_of("this is not a vecs file") ==
        path +
            ": row 0: dimension 1936287860 is too large; expected 1..1000000 (is this a "
            ".vecs file?)");
  absl::StatusOr<FloatMatrix> missing = ReadFvecs(dir / "missing.fvecs");
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK(std::string(missing.status().message()) ==
        dir / "missing.fvecs" + ": cannot open: No such file or directory");
}

// A small fvecs dataset of `dim` 2 in `dir`; returns its spec (metric l2).
DatasetSpec WriteFvecsDataset(const TempDir& dir, const std::vector<std::vector<float>>& base,
                              const std::vector<std::vector<float>>& queries) {
  DatasetSpec spec;
  spec.kind = "fvecs";
  spec.path = dir / "base.fvecs";
  spec.query_path = dir / "query.fvecs";
  spec.metric = Metric::kL2;
  spec.queries = 0;
  WriteVecs(spec.path, base);
  WriteVecs(spec.query_path, queries);
  return spec;
}

// Base vectors on a line (i, 0); the neighbours of a query at (x, 0) are obvious.
std::vector<std::vector<float>> Line(int n) {
  std::vector<std::vector<float>> rows;
  rows.reserve(n);
  for (int i = 0; i < n; ++i) rows.push_back({static_cast<float>(i), 0});
  return rows;
}

TEST_CASE("fvecs datasets: files checked at load, truth from the file unless the base is cut") {
  TempDir dir;
  DatasetSpec spec = WriteFvecsDataset(dir, Line(50), {{10.2f, 0}, {40.9f, 1}});
  spec.truth_path = dir / "truth.ivecs";
  spec.truth_k = 3;
  // Deliberately not the true neighbours, to see which truth is used.
  WriteVecs<int32_t>(spec.truth_path, {{1, 2, 3, 4}, {5, 6, 7, 8}});

  std::shared_ptr<const Dataset> data = Load(spec);
  CHECK(data->count() == 50);
  CHECK(data->dim() == 2);
  CHECK(data->query_count() == 2);
  CHECK(data->truth_k() == 3);
  CHECK(All(data->truth(1)) == std::vector<int32_t>{5, 6, 7});
  CHECK(data->Identity()["truth_source"] == "file");

  spec.count = 45;  // cuts the base set: the file's truth no longer holds
  data = Load(spec);
  CHECK(data->count() == 45);
  CHECK(All(data->truth(0)) == std::vector<int32_t>{10, 11, 9});
  CHECK(All(data->truth(1)) == std::vector<int32_t>{41, 40, 42});
  CHECK(data->Identity()["truth_source"] == "computed");
  CHECK(data->Identity()["count_limit"] == 45);

  spec.count = 0;
  spec.queries = 1;  // fewer queries: the file's first rows still hold
  data = Load(spec);
  CHECK(data->query_count() == 1);
  CHECK(data->Identity()["truth_source"] == "file");

  spec.truth_k = 100;  // more than the file has: k is what the file gives
  CHECK(Load(spec)->truth_k() == 4);

  spec.dim = 3;
  CHECK(LoadError(spec) ==
        "dataset.dim: 3 does not match the files; expected 2 (" + spec.path + ")");
  spec.dim = 0;

  WriteVecs<int32_t>(spec.truth_path, {{1, 2, 50, 4}});
  CHECK(LoadError(spec) == spec.truth_path + ": row 0: id 50 is out of range; expected 0..49");
  spec.queries = 2;
  CHECK(LoadError(spec) ==
        spec.truth_path + ": has 1 rows for 2 queries; expected a row per query");

  WriteVecs<float>(spec.query_path, {{1, 2, 3}});
  CHECK(LoadError(spec) == spec.query_path + ": dimension 3 differs from " + spec.path + "'s 2");

  spec.truth_path = dir / "nowhere.ivecs";
  CHECK(LoadError(spec) ==
        "dataset.truth_path: \"" + spec.truth_path + "\" does not exist; expected an .ivecs file");
  spec.path = dir / "nowhere.fvecs";
  CHECK(LoadError(spec) ==
        "dataset.path: \"" + spec.path + "\" does not exist; expected a .fvecs or .bvecs file");
}

TEST_CASE("bvecs datasets load as floats") {
  TempDir dir;
  DatasetSpec spec;
  spec.kind = "fvecs";
  spec.path = dir / "base.bvecs";
  spec.query_path = dir / "query.bvecs";
  spec.metric = Metric::kL2;
  WriteVecs<uint8_t>(spec.path, {{0, 0}, {10, 10}, {200, 255}});
  WriteVecs<uint8_t>(spec.query_path, {{9, 12}});
  std::shared_ptr<const Dataset> data = Load(spec);
  CHECK(All(data->vector(2)) == std::vector<float>{200, 255});
  CHECK(std::string(data->vector_json(2)) == "[200,255]");
  CHECK(All(data->truth(0)) == std::vector<int32_t>{1, 0, 2});
}

TEST_CASE("NaN or infinity in a file is an error naming the row") {
  TempDir dir;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  DatasetSpec spec = WriteFvecsDataset(dir, {{1, 2}, {3, 4}, {5, nan}}, {{0, 0}});
  CHECK(LoadError(spec) == spec.path +
                               ": row 2 has a NaN or infinite value; expected finite numbers "
                               "(JSON cannot carry them)");
  WriteVecs<float>(spec.path, {{1, 2}});
  WriteVecs<float>(spec.query_path, {{0, 0}, {std::numeric_limits<float>::infinity(), 0}});
  CHECK(LoadError(spec) == spec.query_path +
                               ": row 1 has a NaN or infinite value; expected finite numbers "
                               "(JSON cannot carry them)");
}

// --- HDF5 -----------------------------------------------------------------------------------

void WriteHdf5Matrix(hid_t file, const char* name, hid_t file_type, hid_t memory_type, hsize_t rows,
                     hsize_t cols, const void* values) {
  const hsize_t dims[2] = {rows, cols};
  hid_t space = H5Screate_simple(2, dims, nullptr);
  hid_t dataset = H5Dcreate2(file, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  REQUIRE(dataset >= 0);
  REQUIRE(H5Dwrite(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) >= 0);
  H5Dclose(dataset);
  H5Sclose(space);
}

// The root attribute "distance" as a variable-length (as h5py writes) or fixed-length string.
void WriteDistance(hid_t file, const std::string& value, bool variable_length) {
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, variable_length ? H5T_VARIABLE : value.size());
  if (variable_length) H5Tset_cset(type, H5T_CSET_UTF8);
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t attribute = H5Acreate2(file, "distance", type, space, H5P_DEFAULT, H5P_DEFAULT);
  REQUIRE(attribute >= 0);
  const char* text = value.c_str();
  REQUIRE(H5Awrite(attribute, type,
                   variable_length ? static_cast<const void*>(&text)
                                   : static_cast<const void*>(text)) >= 0);
  H5Aclose(attribute);
  H5Sclose(space);
  H5Tclose(type);
}

struct AnnFile {
  std::vector<float> train;  // rows x 2
  std::vector<float> test;
  std::vector<int32_t> neighbors;  // test rows x 3, or empty
  std::string distance;
  bool variable_length = true;
};

void WriteAnnFile(const std::string& path, const AnnFile& contents) {
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  REQUIRE(file >= 0);
  WriteHdf5Matrix(file, "train", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, contents.train.size() / 2, 2,
                  contents.train.data());
  if (!contents.test.empty()) {
    WriteHdf5Matrix(file, "test", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, contents.test.size() / 2, 2,
                    contents.test.data());
  }
  if (!contents.neighbors.empty()) {
    WriteHdf5Matrix(file, "neighbors", H5T_STD_I32LE, H5T_NATIVE_INT, contents.neighbors.size() / 3,
                    3, contents.neighbors.data());
  }
  if (!contents.distance.empty()) {
    WriteDistance(file, contents.distance, contents.variable_length);
  }
  H5Fclose(file);
}

TEST_CASE("ann-benchmarks HDF5 files load with their metric and neighbours") {
  TempDir dir;
  DatasetSpec spec;
  spec.kind = "hdf5";
  spec.path = dir / "line-euclidean.hdf5";
  spec.truth_k = 2;
  AnnFile contents;
  for (int i = 0; i < 20; ++i) contents.train.insert(contents.train.end(), {float(i), 0});
  contents.test = {3.2f, 0, 17.6f, 1, 8.5f, 0};
  contents.neighbors = {3, 4, 2, 18, 17, 19, 8, 9, 7};
  contents.distance = "euclidean";
  WriteAnnFile(spec.path, contents);

  std::shared_ptr<const Dataset> data = Load(spec);
  CHECK(data->metric() == Metric::kL2);
  CHECK(data->count() == 20);
  CHECK(data->query_count() == 3);
  CHECK(All(data->query(1)) == std::vector<float>{17.6f, 1});
  CHECK(All(data->truth(1)) == std::vector<int32_t>{18, 17});
  CHECK(data->Identity()["truth_source"] == "file");
  CHECK(data->Identity()["metric"] == "l2");

  spec.count = 10;  // cut: neighbours recomputed among the first 10
  data = Load(spec);
  CHECK(All(data->truth(1)) == std::vector<int32_t>{9, 8});
  CHECK(data->Identity()["truth_source"] == "computed");
  spec.count = 0;

  contents.distance = "angular";
  contents.variable_length = false;
  contents.neighbors.clear();
  WriteAnnFile(spec.path, contents);
  data = Load(spec);
  CHECK(data->metric() == Metric::kCosine);
  CHECK(data->Identity()["truth_source"] == "computed");

  contents.distance = "ip";
  WriteAnnFile(spec.path, contents);
  CHECK(Load(spec)->metric() == Metric::kDot);

  contents.distance = "jaccard";
  WriteAnnFile(spec.path, contents);
  CHECK(LoadError(spec) == spec.path +
                               ": attribute \"distance\": \"jaccard\" is not a supported "
                               "distance; expected angular, euclidean, dot or ip");
  contents.distance = "";
  WriteAnnFile(spec.path, contents);
  CHECK(LoadError(spec) ==
        spec.path + ": attribute \"distance\": is missing; expected angular, euclidean or dot");
  contents.distance = "angular";
  contents.test.clear();
  WriteAnnFile(spec.path, contents);
  CHECK(LoadError(spec) == spec.path +
                               ": dataset \"test\": cannot be opened; expected ann-benchmarks "
                               "datasets train, test and (optional) neighbors");
  contents.test = {1, 1};
  WriteAnnFile(spec.path, contents);
  fs::resize_file(spec.path, fs::file_size(spec.path) / 2);
  CHECK_THAT(LoadError(spec),  // HDF5's own reason is kept
             Catch::StartsWith(spec.path + ": cannot be opened (truncated file"));
  WriteBytes(spec.path, "not hdf5");
  CHECK(LoadError(spec) == spec.path + ": is not an HDF5 file");
}

// --- Ground truth ---------------------------------------------------------------------------

// Every base vector's distance by the header's definitions, sorted; the first k ids.
std::vector<int32_t> NaiveNeighbors(const FloatMatrix& base, const float* query, int k,
                                    Metric metric) {
  std::vector<std::pair<double, int32_t>> all;
  auto norm = [&](const float* v) {
    double s = 0;
    for (int j = 0; j < base.dim; ++j) s += double{v[j]} * v[j];
    return s == 0 ? 1.0 : std::sqrt(s);
  };
  for (int64_t i = 0; i < base.rows; ++i) {
    const float* v = base.data.data() + i * base.dim;
    double dot = 0, l2 = 0;
    for (int j = 0; j < base.dim; ++j) {
      dot += double{query[j]} * v[j];
      l2 += (double{query[j]} - v[j]) * (double{query[j]} - v[j]);
    }
    const double distance = metric == Metric::kL2    ? l2
                            : metric == Metric::kDot ? -dot
                                                     : 1.0 - dot / (norm(query) * norm(v));
    all.emplace_back(distance, static_cast<int32_t>(i));
  }
  std::sort(all.begin(), all.end());
  std::vector<int32_t> ids;
  for (int j = 0; j < k && j < static_cast<int>(all.size()); ++j) ids.push_back(all[j].second);
  return ids;
}

TEST_CASE("ExactNeighbors equals a naive search for every metric, ties by the lower id") {
  // Small integer coordinates: sums are exact in any order, and duplicates make exact ties.
  std::mt19937 random(7);
  std::uniform_int_distribution<int> coordinate(-3, 3);
  FloatMatrix base, queries;
  base.dim = queries.dim = 6;
  for (int i = 0; i < 300; ++i) {
    for (int j = 0; j < 6; ++j) base.data.push_back(static_cast<float>(coordinate(random)));
  }
  // Duplicates of earlier vectors and a zero vector.
  std::copy_n(base.data.begin(), 60, std::back_inserter(base.data));
  base.data.insert(base.data.end(), 6, 0.0f);
  base.rows = static_cast<int64_t>(base.data.size()) / 6;
  for (int q = 0; q < 40; ++q) {
    for (int j = 0; j < 6; ++j) queries.data.push_back(static_cast<float>(coordinate(random)));
  }
  queries.data.insert(queries.data.end(), 6, 0.0f);  // a zero query
  queries.rows = 41;

  for (Metric metric : {Metric::kCosine, Metric::kL2, Metric::kDot}) {
    INFO(std::string(MetricName(metric)));
    const IntMatrix one_thread = ExactNeighbors(base, queries, 25, metric, 1);
    const IntMatrix three_threads = ExactNeighbors(base, queries, 25, metric, 3);
    CHECK(one_thread.rows == 41);
    CHECK(one_thread.dim == 25);
    CHECK(one_thread.data == three_threads.data);
    for (int64_t q = 0; q < queries.rows; ++q) {
      const std::vector<int32_t> expected =
          NaiveNeighbors(base, queries.data.data() + q * 6, 25, metric);
      CHECK(std::vector<int32_t>(one_thread.data.begin() + q * 25,
                                 one_thread.data.begin() + (q + 1) * 25) == expected);
    }
  }
  // The zero query is at cosine distance 1 from everything: ids in order.
  const IntMatrix zero = ExactNeighbors(base, queries, 5, Metric::kCosine, 2);
  CHECK(std::vector<int32_t>(zero.data.end() - 5, zero.data.end()) ==
        std::vector<int32_t>{0, 1, 2, 3, 4});
  // k beyond the base set: every vector.
  CHECK(ExactNeighbors(Matrix({{0}, {2}, {1}}), Matrix({{0}}), 10, Metric::kL2).data ==
        std::vector<int32_t>{0, 2, 1});
}

TEST_CASE("Computed ground truth is cached by content hash and shape") {
  TempDir dir;
  const std::string cache = dir / "cache";
  DatasetSpec spec = Synthetic(500, 8, 10, "uniform", 3);
  spec.truth_k = 7;
  std::shared_ptr<const Dataset> first = Load(spec, cache);
  CHECK(first->Identity()["truth_source"] == "computed");
  const std::string cached = cache + "/" + first->content_hash() + "-cosine-7.ivecs";
  REQUIRE(fs::exists(cached));
  std::shared_ptr<const Dataset> second = Load(spec, cache);
  CHECK(second->Identity()["truth_source"] == "cache");
  for (int64_t q = 0; q < first->query_count(); ++q) {
    CHECK(All(first->truth(q)) == All(second->truth(q)));
  }
  CHECK(Load(spec)->Identity()["truth_source"] == "computed");  // no cache dir, no cache

  // A cache of the wrong shape is ignored, recomputed and replaced.
  REQUIRE(WriteIvecs(cached, IntMatrix{10, 6, std::vector<int32_t>(60, 1)}).ok());
  std::shared_ptr<const Dataset> third = Load(spec, cache);
  CHECK(third->Identity()["truth_source"] == "computed");
  CHECK(All(third->truth(9)) == All(first->truth(9)));
  CHECK(Load(spec, cache)->Identity()["truth_source"] == "cache");

  // File datasets cache beside the base file.
  DatasetSpec files = WriteFvecsDataset(dir, Line(30), {{4.4f, 0}});
  files.truth_k = 5;
  std::shared_ptr<const Dataset> line = Load(files, cache);
  CHECK(line->Identity()["truth_source"] == "computed");
  CHECK(fs::exists(files.path + ".truth-" + line->content_hash() + "-5.ivecs"));
  CHECK(Load(files, cache)->Identity()["truth_source"] == "cache");
}

TEST_CASE("Recall against ground truth known by construction") {
  TempDir dir;
  // Queries at 10.2 and 70.6 on a line of 100 points: neighbours in order of distance.
  DatasetSpec spec = WriteFvecsDataset(dir, Line(100), {{10.2f, 0}, {70.6f, 0}});
  spec.truth_k = 5;
  std::shared_ptr<const Dataset> data = Load(spec);
  REQUIRE(All(data->truth(0)) == std::vector<int32_t>{10, 11, 9, 12, 8});
  REQUIRE(All(data->truth(1)) == std::vector<int32_t>{71, 70, 72, 69, 73});

  const std::vector<int64_t> perfect = {10, 11, 9, 12, 8};
  const std::vector<int64_t> shuffled = {8, 12, 9, 11, 10};
  const std::vector<int64_t> three = {10, 11, 50, 9, 60};
  const std::vector<int64_t> duplicates = {10, 10, 10, 11, 11};
  const std::vector<int64_t> short_answer = {9, 8};
  CHECK(RecallAtK(perfect, data->truth(0), 5) == 1.0);
  CHECK(RecallAtK(shuffled, data->truth(0), 5) == 1.0);
  CHECK(RecallAtK(three, data->truth(0), 5) == Approx(0.6));
  CHECK(RecallAtK(duplicates, data->truth(0), 5) == Approx(0.4));
  CHECK(RecallAtK(short_answer, data->truth(0), 5) == Approx(0.4));
  CHECK(RecallAtK(perfect, data->truth(1), 5) == 0.0);
  CHECK(RecallAtK(three, data->truth(0), 1) == 1.0);  // found[:1] = {10}, truth[:1] = {10}
  CHECK(RecallAtK(std::vector<int64_t>{71, 70}, data->truth(1), 2) == 1.0);
  CHECK(RecallAtK(perfect, data->truth(0), 0) == 0.0);
}

// --- JSON text and identity -----------------------------------------------------------------

TEST_CASE("Vector JSON is the shortest text that reads back to the same floats") {
  TempDir dir;
  const std::vector<float> special = {0.1f,  -2.5e-07f,     1.0f,   0.0f,
                                      -0.0f, 3.4028235e38f, 1e-45f, 123456.79f};
  DatasetSpec spec = WriteFvecsDataset(dir, {special, std::vector<float>(8, 0.5f)},
                                       {std::vector<float>(8, -1.25f)});
  std::shared_ptr<const Dataset> data = Load(spec);
  CHECK(std::string(data->vector_json(0)) == "[0.1,-2.5e-07,1,0,-0,3.4028235e+38,1e-45,123456.79]");
  CHECK(std::string(data->vector_json(1)) == "[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]");
  CHECK(std::string(data->query_json(0)) == "[-1.25,-1.25,-1.25,-1.25,-1.25,-1.25,-1.25,-1.25]");

  std::shared_ptr<const Dataset> synthetic = Load(Synthetic(200, 16, 20, "normal", 9));
  auto round_trips = [](std::string_view text, std::span<const float> values) {
    REQUIRE(text.front() == '[');
    REQUIRE(text.back() == ']');
    std::string body(text.substr(1, text.size() - 2));
    std::vector<float> read;
    for (char* p = body.data(); *p != '\0';) {
      char* end = nullptr;
      read.push_back(std::strtof(p, &end));
      REQUIRE(end != p);
      p = *end == ',' ? end + 1 : end;
    }
    CHECK(read == std::vector<float>(values.begin(), values.end()));
    CHECK(json::parse(text).size() == values.size());
  };
  for (int64_t i = 0; i < synthetic->count(); ++i) {
    round_trips(synthetic->vector_json(i), synthetic->vector(i));
  }
  for (int64_t q = 0; q < synthetic->query_count(); ++q) {
    round_trips(synthetic->query_json(q), synthetic->query(q));
  }
}

// --- Payloads and filters -------------------------------------------------------------------

PayloadFilter Filter(const json& filter) {
  absl::StatusOr<PayloadFilter> parsed = ParsePayloadFilter(filter, "phases[1].filter");
  INFO(parsed.status().ToString());
  REQUIRE(parsed.ok());
  return *parsed;
}

std::string FilterError(const json& filter) {
  absl::StatusOr<PayloadFilter> parsed = ParsePayloadFilter(filter, "phases[1].filter");
  return parsed.ok() ? "(parsed)" : std::string(parsed.status().message());
}

TEST_CASE("PayloadValue is fixed per id, in 0..values-1 and evenly spread") {
  // SplitMix64's finalizer of id + 0x9e3779b97f4a7c15, mod values (dataset.h; these values were
  // computed apart from this code): they never change, or collections loaded earlier and the
  // filtered ground truth would no longer agree.
  std::vector<int64_t> first;
  for (int64_t id = 0; id < 10; ++id) first.push_back(PayloadValue(id, 10));
  CHECK(first == std::vector<int64_t>{5, 5, 0, 3, 8, 8, 2, 7, 2, 8});
  CHECK(PayloadValue(123456789, 1'000'000'000) == 287755897);
  CHECK(PayloadValue(7, 1) == 0);
  constexpr int kValues = 10;
  constexpr int64_t kIds = 100'000;
  std::vector<int64_t> counts(kValues);
  int64_t same_as_previous = 0;
  for (int64_t id = 0; id < kIds; ++id) {
    const int64_t v = PayloadValue(id, kValues);
    REQUIRE(v >= 0);
    REQUIRE(v < kValues);
    ++counts[static_cast<size_t>(v)];
    if (id > 0 && v == PayloadValue(id - 1, kValues)) ++same_as_previous;
  }
  // Each value 10% of the ids within 0.5 points (a binomial's sd here is 0.09 points).
  for (int64_t c : counts) CHECK(std::abs(c - kIds / kValues) < kIds / 200);
  // Not tied to the id's order (id % 10 would never repeat; a ramp would always).
  CHECK(std::abs(same_as_previous - kIds / kValues) < kIds / 200);
}

TEST_CASE("A dataset payload is read with its field and value count, errors name them") {
  absl::StatusOr<DatasetSpec> spec = ParseDatasetSpec(
      json{{"count", 10}, {"dim", 4}, {"payload", {{"field", "category"}, {"values", 5}}}});
  REQUIRE(spec.ok());
  CHECK(spec->payload_field == "category");
  CHECK(spec->payload_values == 5);
  const json synthetic = {{"count", 10}, {"dim", 4}};
  const auto with = [&](json payload) {
    json d = synthetic;
    d["payload"] = std::move(payload);
    return d;
  };
  CHECK(ParseError(with(json{{"field", "category"}})) ==
        "dataset.payload.values: is missing; expected the number of distinct values, "
        "1..1000000000");
  CHECK(ParseError(with(json{{"field", "category"}, {"values", 0}})) ==
        "dataset.payload.values: 0 is out of range; expected the number of distinct values, "
        "1..1000000000");
  CHECK(ParseError(with(json{{"field", "Category"}, {"values", 3}})) ==
        "dataset.payload.field: \"Category\" is not a field name; expected a field name of "
        "1..64 letters, digits and _, starting with a lower-case letter");
  CHECK(ParseError(with(json{{"field", "c"}, {"values", 3}, {"kind", "x"}})) ==
        "dataset.payload.kind: unknown key; expected one of: field, values");
  CHECK(ParseError(with(7)) ==
        "dataset.payload: 7 is not a mapping; expected a mapping {field: <name>, values: "
        "<count>}");
}

TEST_CASE("Filters parse in each form, errors name the field and what was expected") {
  const PayloadFilter eq = Filter({{"field", "category"}, {"eq", 3}});
  CHECK(eq.kind() == PayloadFilter::Kind::kEq);
  CHECK(eq.Key() == "category eq 3");
  CHECK(eq.Matches(3));
  CHECK_FALSE(eq.Matches(4));
  const PayloadFilter in = Filter({{"field", "category"}, {"in", {5, 1, 2}}});
  CHECK(in.kind() == PayloadFilter::Kind::kIn);
  CHECK(in.Key() == "category in 1,2,5");  // canonical: the order written does not matter
  CHECK(in.Key() == Filter({{"field", "category"}, {"in", {2, 5, 1}}}).Key());
  CHECK(in.Matches(5));
  CHECK_FALSE(in.Matches(3));
  const PayloadFilter range = Filter({{"field", "category"}, {"gte", 2}, {"lt", 5}});
  CHECK(range.kind() == PayloadFilter::Kind::kRange);
  CHECK(range.Key() == "category gte 2 lt 5");
  CHECK(range.Matches(2));
  CHECK(range.Matches(4));
  CHECK_FALSE(range.Matches(5));
  CHECK_FALSE(range.Matches(1));
  const PayloadFilter above = Filter({{"field", "category"}, {"gt", 6}, {"lte", 8}});
  CHECK_FALSE(above.Matches(6));
  CHECK(above.Matches(8));
  CHECK_FALSE(above.Matches(9));

  const std::vector<std::pair<json, std::string>> cases = {
      {json{{"field", "category"}, {"eq", "3"}},
       "phases[1].filter.eq: \"3\" is not an integer; expected an integer payload value"},
      {json{{"field", "category"}, {"eq", 1.5}},
       "phases[1].filter.eq: 1.5 is not an integer; expected an integer payload value"},
      {json{{"field", "category"}, {"in", json::array()}},
       "phases[1].filter.in: is empty; expected a non-empty list of integer payload values"},
      {json{{"field", "category"}, {"in", 3}},
       "phases[1].filter.in: 3 is not a list; expected a non-empty list of integer payload "
       "values"},
      {json{{"field", "category"}, {"in", {1, "x"}}},
       "phases[1].filter.in[1]: \"x\" is not an integer; expected an integer payload value"},
      {json{{"field", "category"}, {"in", {1, 2, 1}}},
       "phases[1].filter.in[2]: 1 is listed twice; expected distinct values"},
      {json{{"field", "category"}, {"gt", true}},
       "phases[1].filter.gt: true is not an integer; expected an integer payload value"},
      {json{{"eq", 3}}, "phases[1].filter.field: is missing; expected the payload field to filter on"},
      {json{{"field", 3}, {"eq", 3}},
       "phases[1].filter.field: 3 is not a field name; expected the dataset's payload field "
       "(dataset.payload.field)"},
      {json{{"field", "category"}},
       "phases[1].filter: has no condition; expected exactly one of: eq, in, or range bounds "
       "(gt, gte, lt, lte)"},
      {json{{"field", "category"}, {"eq", 1}, {"lt", 3}},
       "phases[1].filter: has more than one kind of condition; expected exactly one of: eq, in, "
       "or range bounds (gt, gte, lt, lte)"},
      {json{{"field", "category"}, {"ne", 1}},
       "phases[1].filter.ne: unknown key; expected one of: field, eq, in, gt, gte, lt, lte"},
      {json{{"category", 1}},
       "phases[1].filter.category: unknown key; expected one of: field, eq, in, gt, gte, lt, lte"},
      {json("category = 1"),
       "phases[1].filter: \"category = 1\" is not a mapping; expected a mapping {field, eq: "
       "<int>} or {field, in: [<int>, ...]} or {field, gt/gte/lt/lte: <int>}"},
  };
  for (const auto& [filter, message] : cases) {
    INFO(filter.dump());
    CHECK(FilterError(filter) == message);
  }
}

TEST_CASE("Filtered ground truth: the nearest among the matching vectors, known by construction") {
  TempDir dir;
  // A line of 200 points and a query at 0: the neighbours are the ids in increasing order, so
  // the filtered neighbours are the matching ids in increasing order.
  DatasetSpec spec = WriteFvecsDataset(dir, Line(200), {{-0.5f, 0}});
  spec.truth_k = 10;
  spec.payload_field = "category";
  spec.payload_values = 10;
  const std::vector<PayloadFilter> filters = {
      Filter({{"field", "category"}, {"eq", 3}}), Filter({{"field", "category"}, {"in", {0, 9}}}),
      Filter({{"field", "category"}, {"gte", 2}, {"lt", 5}}),
      Filter({{"field", "category"}, {"gt", 99}})};  // matches nothing
  absl::StatusOr<std::shared_ptr<const Dataset>> data = LoadDataset(spec, "", 2, filters);
  REQUIRE(data.ok());
  for (const PayloadFilter& filter : filters) {
    INFO(filter.Key());
    std::vector<int32_t> expected;
    for (int32_t id = 0; id < 200 && expected.size() < 10; ++id) {
      if (filter.Matches(PayloadValue(id, 10))) expected.push_back(id);
    }
    CHECK((*data)->has_truth(filter));
    CHECK(All((*data)->truth(0, filter)) == expected);
  }
  CHECK((*data)->truth(0, filters[3]).empty());
  CHECK((*data)->payload(17) == PayloadValue(17, 10));
  CHECK((*data)->payload_field() == "category");
  // A filter LoadDataset was not given has no truth: recall is then not judged.
  const PayloadFilter other = Filter({{"field", "category"}, {"eq", 4}});
  CHECK_FALSE((*data)->has_truth(other));
  CHECK((*data)->truth(0, other).empty());
  const json identity = (*data)->Identity();
  CHECK(identity["payload"] == json{{"field", "category"}, {"values", 10}});
  CHECK(identity["filtered_truth"].size() == 4);

  // ExactNeighbors with an allowed mask pads rows that have fewer matches than k with -1.
  const IntMatrix few = ExactNeighbors(Matrix({{0, 0}, {1, 0}, {2, 0}, {3, 0}}), Matrix({{0, 0}}),
                                       3, Metric::kL2, 1, std::vector<uint8_t>{0, 1, 0, 1});
  CHECK(few.data == std::vector<int32_t>{1, 3, -1});
}

TEST_CASE("Filters select on the dataset's payload field, or loading fails naming it") {
  DatasetSpec spec = Synthetic(20, 4, 2, "uniform");
  const std::vector<PayloadFilter> filters = {Filter({{"field", "category"}, {"eq", 1}})};
  absl::StatusOr<std::shared_ptr<const Dataset>> none = LoadDataset(spec, "", 1, filters);
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().message() ==
        "phases[1].filter.field: \"category\": the dataset has no payload; expected "
        "dataset.payload {field, values}");
  spec.payload_field = "colour";
  spec.payload_values = 3;
  absl::StatusOr<std::shared_ptr<const Dataset>> other = LoadDataset(spec, "", 1, filters);
  REQUIRE_FALSE(other.ok());
  CHECK(other.status().message() ==
        "phases[1].filter.field: \"category\" is not the dataset's payload field; expected "
        "colour");
}

TEST_CASE("Filtered ground truth is cached on disk, keyed by the filter") {
  TempDir dir;
  const std::string cache = dir / "cache";
  DatasetSpec spec = Synthetic(400, 8, 6, "uniform", 5);
  spec.truth_k = 5;
  spec.payload_field = "category";
  spec.payload_values = 4;
  const std::vector<PayloadFilter> eq1 = {Filter({{"field", "category"}, {"eq", 1}})};
  const std::vector<PayloadFilter> eq2 = {Filter({{"field", "category"}, {"eq", 2}})};
  const auto files = [&] {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(cache)) {
      const std::string name = entry.path().filename().string();
      if (name.find("-filter-") != std::string::npos) names.insert(name);
    }
    return names;
  };
  const auto source = [](const Dataset& d) {
    return d.Identity()["filtered_truth"][0]["source"].get<std::string>();
  };
  auto first = LoadDataset(spec, cache, 2, eq1);
  REQUIRE(first.ok());
  CHECK(source(**first) == "computed");
  const std::set<std::string> after_first = files();
  REQUIRE(after_first.size() == 1);
  CHECK(after_first.begin()->starts_with((*first)->content_hash() + "-cosine-5-filter-"));

  // The same filter again: a hit, with the same rows.
  auto again = LoadDataset(spec, cache, 2, eq1);
  REQUIRE(again.ok());
  CHECK(source(**again) == "cache");
  for (int64_t q = 0; q < 6; ++q) {
    CHECK(All((*again)->truth(q, eq1[0])) == All((*first)->truth(q, eq1[0])));
  }
  // Another filter: a miss, computed and cached under its own name.
  auto second = LoadDataset(spec, cache, 2, eq2);
  REQUIRE(second.ok());
  CHECK(source(**second) == "computed");
  CHECK(files().size() == 2);
  CHECK(All((*second)->truth(0, eq2[0])) != All((*first)->truth(0, eq1[0])));
  // The same filter over another value count selects other vectors: a miss too.
  spec.payload_values = 5;
  auto other_values = LoadDataset(spec, cache, 2, eq1);
  REQUIRE(other_values.ok());
  CHECK(source(**other_values) == "computed");
  CHECK(files().size() == 3);
}

TEST_CASE("Identity records kind, parameters, counts and the content hash") {
  DatasetSpec spec = Synthetic(50, 4, 3, "clustered", 11);
  spec.clusters = 2;
  spec.truth_k = 10;
  std::shared_ptr<const Dataset> data = Load(spec);
  CHECK(data->Identity() == json{{"kind", "synthetic"},
                                 {"metric", "cosine"},
                                 {"seed", 11},
                                 {"distribution", "clustered"},
                                 {"clusters", 2},
                                 {"count", 50},
                                 {"dim", 4},
                                 {"queries", 3},
                                 {"truth_k", 10},
                                 {"content_hash", data->content_hash()},
                                 {"truth_source", "computed"}});
  spec.count = 5;
  CHECK(Load(spec)->truth_k() == 5);  // no more neighbours than vectors
}

}  // namespace
}  // namespace vexbench
