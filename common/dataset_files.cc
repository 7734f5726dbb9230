// Dataset files (common/dataset.h): .fvecs/.bvecs/.ivecs and ann-benchmarks HDF5.
//
// A .vecs file is rows of: a little-endian int32 dimension, then that many little-endian values
// (float32 in .fvecs, uint8 in .bvecs, int32 in .ivecs). Rows are numbered from 0 in messages.
#include <sys/stat.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/dataset.h"
#include "common/dataset_internal.h"
#include "hdf5.h"

namespace vexbench {

static_assert(std::endian::native == std::endian::little,
              "the .vecs readers and the content hash read and hash little-endian bytes as is");

namespace {

// A larger dimension is taken for a file that is not a .vecs file at all.
constexpr int kMaxFileDim = 1'000'000;

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

std::string ErrnoText(int error) { return std::generic_category().message(error); }

absl::Status OpenError(const std::string& path, int error) {
  std::string message = absl::StrCat(path, ": cannot open: ", ErrnoText(error));
  return error == ENOENT ? absl::NotFoundError(message) : absl::FailedPreconditionError(message);
}

absl::Status RowError(const std::string& path, int64_t row, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": row ", row, ": ", what));
}

// Reads the int32 dimension that starts a row; false at a clean end of file.
absl::StatusOr<bool> ReadRowDim(std::FILE* file, const std::string& path, int64_t row,
                                int32_t& dim) {
  const size_t got = std::fread(&dim, 1, sizeof dim, file);
  if (got == 0 && !std::ferror(file)) return false;
  if (std::ferror(file)) {
    return absl::DataLossError(absl::StrCat(path, ": read failed: ", ErrnoText(errno)));
  }
  if (got < sizeof dim) {
    return RowError(path, row, "truncated inside the dimension; expected 4 bytes");
  }
  if (dim <= 0 || dim > kMaxFileDim) {
    return RowError(path, row,
                    absl::StrCat("dimension ", dim, " is ", dim <= 0 ? "not positive" : "too large",
                                 "; expected 1..", kMaxFileDim, " (is this a .vecs file?)"));
  }
  return true;
}

// Reads at most `limit` rows (0 = all) of a .vecs file whose values are `Value` on disk into
// `out` as `Out`. `more`, when given, tells whether rows remain past the limit.
template <typename Value, typename Out>
absl::Status ReadVecs(const std::string& path, int64_t limit, int64_t& rows, int& dim,
                      std::vector<Out>& out, bool* more) {
  File file(std::fopen(path.c_str(), "rb"));
  if (file == nullptr) return OpenError(path, errno);
  struct stat info = {};
  const int64_t file_size = fstat(fileno(file.get()), &info) == 0 ? info.st_size : 0;
  rows = 0;
  dim = 0;
  out.clear();
  std::vector<Value> values;
  while (limit == 0 || rows < limit) {
    int32_t row_dim = 0;
    absl::StatusOr<bool> has_row = ReadRowDim(file.get(), path, rows, row_dim);
    if (!has_row.ok()) return has_row.status();
    if (!*has_row) break;
    if (rows == 0) {
      dim = row_dim;
      int64_t expected_rows = file_size / (4 + static_cast<int64_t>(dim) * sizeof(Value));
      if (limit > 0) expected_rows = std::min(expected_rows, limit);
      out.reserve(static_cast<size_t>(expected_rows) * dim);
      values.resize(dim);
    } else if (row_dim != dim) {
      return RowError(path, rows,
                      absl::StrCat("dimension ", row_dim, " differs from row 0's ", dim,
                                   "; expected every row to have ", dim));
    }
    const size_t got = std::fread(values.data(), sizeof(Value), values.size(), file.get());
    if (got < values.size()) {
      if (std::ferror(file.get())) {
        return absl::DataLossError(absl::StrCat(path, ": read failed: ", ErrnoText(errno)));
      }
      return RowError(path, rows,
                      absl::StrCat("truncated; expected ", values.size(), " values, found ", got));
    }
    out.insert(out.end(), values.begin(), values.end());
    ++rows;
  }
  if (more != nullptr) *more = std::ftell(file.get()) < file_size;
  return absl::OkStatus();
}

// .bvecs by extension, else .fvecs.
absl::StatusOr<FloatMatrix> ReadVectorsFile(const std::string& path, int64_t limit, bool* more) {
  FloatMatrix m;
  const bool bytes = absl::EndsWith(absl::AsciiStrToLower(path), ".bvecs");
  absl::Status status = bytes ? ReadVecs<uint8_t>(path, limit, m.rows, m.dim, m.data, more)
                              : ReadVecs<float>(path, limit, m.rows, m.dim, m.data, more);
  if (!status.ok()) return status;
  return m;
}

// --- HDF5 -----------------------------------------------------------------------------------

// The HDF5 library of Debian is built without its thread-safety option: every call is made
// under this mutex.
std::mutex hdf5_mutex;

// Owns one HDF5 identifier.
class Hid {
 public:
  Hid(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Hid() {
    if (id_ >= 0) close_(id_);
  }
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

// The most specific description on HDF5's error stack ("unable to lock file, ..."), after a
// failed call; "" when there is none.
std::string Hdf5Reason() {
  std::string reason;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* error, void* out) -> herr_t {
        if (n == 0 && error->desc != nullptr) *static_cast<std::string*>(out) = error->desc;
        return 0;
      },
      &reason);
  return reason.empty() ? "" : absl::StrCat(" (", reason, ")");
}

absl::Status Hdf5Error(const std::string& path, const std::string& object,
                       const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", object, ": ", what));
}

// Reads at most `limit` rows (0 = all) of the 2-D numeric dataset `name`, converted by HDF5
// to `memory_type`. `cut`: whether the limit left rows out.
template <typename T>
absl::Status ReadHdf5Matrix(hid_t file, const std::string& path, const std::string& name,
                            hid_t memory_type, int64_t limit, int64_t& rows, int& dim,
                            std::vector<T>& out, bool& cut) {
  const std::string object = absl::StrCat("dataset \"", name, "\"");
  Hid dataset(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!dataset.ok()) {
    return Hdf5Error(path, object,
                     "cannot be opened; expected ann-benchmarks datasets "
                     "train, test and (optional) neighbors");
  }
  Hid type(H5Dget_type(dataset.get()), H5Tclose);
  const H5T_class_t type_class = type.ok() ? H5Tget_class(type.get()) : H5T_NO_CLASS;
  if (type_class != H5T_FLOAT && type_class != H5T_INTEGER) {
    return Hdf5Error(path, object, "does not hold numbers; expected a float or integer array");
  }
  Hid space(H5Dget_space(dataset.get()), H5Sclose);
  hsize_t dims[2] = {0, 0};
  if (!space.ok() || H5Sget_simple_extent_ndims(space.get()) != 2 ||
      H5Sget_simple_extent_dims(space.get(), dims, nullptr) < 0) {
    return Hdf5Error(path, object, "is not 2-dimensional; expected rows x dim");
  }
  if (dims[1] == 0 || dims[1] > static_cast<hsize_t>(kMaxFileDim)) {
    return Hdf5Error(path, object,
                     absl::StrCat("has ", dims[1], " columns; expected 1..", kMaxFileDim));
  }
  hsize_t count[2] = {dims[0], dims[1]};
  if (limit > 0) count[0] = std::min<hsize_t>(count[0], static_cast<hsize_t>(limit));
  cut = count[0] < dims[0];
  rows = static_cast<int64_t>(count[0]);
  dim = static_cast<int>(dims[1]);
  out.assign(static_cast<size_t>(count[0] * count[1]), T{});
  if (rows == 0) return absl::OkStatus();
  const hsize_t start[2] = {0, 0};
  Hid memory_space(H5Screate_simple(2, count, nullptr), H5Sclose);
  if (!memory_space.ok() ||
      H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr) < 0 ||
      H5Dread(dataset.get(), memory_type, memory_space.get(), space.get(), H5P_DEFAULT,
              out.data()) < 0) {
    return Hdf5Error(path, object, absl::StrCat("cannot be read", Hdf5Reason()));
  }
  return absl::OkStatus();
}

// The root attribute `name` as text; it may be a variable- or a fixed-length string.
absl::StatusOr<std::string> ReadStringAttribute(hid_t file, const std::string& path,
                                                const std::string& name) {
  const std::string object = absl::StrCat("attribute \"", name, "\"");
  if (H5Aexists_by_name(file, "/", name.c_str(), H5P_DEFAULT) <= 0) {
    return Hdf5Error(path, object, "is missing; expected angular, euclidean or dot");
  }
  Hid attribute(H5Aopen_by_name(file, "/", name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  Hid type(attribute.ok() ? H5Aget_type(attribute.get()) : -1, H5Tclose);
  if (!type.ok() || H5Tget_class(type.get()) != H5T_STRING) {
    return Hdf5Error(path, object, "is not a string; expected angular, euclidean or dot");
  }
  Hid memory_type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_cset(memory_type.get(), H5Tget_cset(type.get()));
  std::string text;
  herr_t read = -1;
  if (H5Tis_variable_str(type.get()) > 0) {
    H5Tset_size(memory_type.get(), H5T_VARIABLE);
    char* value = nullptr;
    read = H5Aread(attribute.get(), memory_type.get(), &value);
    if (read >= 0 && value != nullptr) text = value;
    H5free_memory(value);
  } else {
    const size_t size = H5Tget_size(type.get());
    H5Tset_size(memory_type.get(), size);
    H5Tset_strpad(memory_type.get(), H5Tget_strpad(type.get()));
    std::vector<char> value(size + 1, '\0');
    read = H5Aread(attribute.get(), memory_type.get(), value.data());
    text.assign(value.data(), strnlen(value.data(), size));
    while (!text.empty() && text.back() == ' ') text.pop_back();  // space-padded strings
  }
  if (read < 0) return Hdf5Error(path, object, absl::StrCat("cannot be read", Hdf5Reason()));
  return text;
}

absl::StatusOr<Metric> MetricOfDistance(const std::string& path, const std::string& distance) {
  const std::string name = absl::AsciiStrToLower(distance);
  if (name == "angular" || name == "cosine") return Metric::kCosine;
  if (name == "euclidean" || name == "l2") return Metric::kL2;
  if (name == "dot" || name == "ip") return Metric::kDot;
  return Hdf5Error(path, "attribute \"distance\"",
                   absl::StrCat("\"", distance,
                                "\" is not a supported distance; expected angular, euclidean, "
                                "dot or ip"));
}

absl::StatusOr<dataset_internal::Hdf5Contents> ReadAnnHdf5Locked(const std::string& path,
                                                                 int64_t count_limit,
                                                                 int64_t query_limit) {
  // Failures become Status values; HDF5's own printing to stderr would only repeat them.
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": is not an HDF5 file"));
  }
  Hid file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot be opened", Hdf5Reason()));
  }
  dataset_internal::Hdf5Contents contents;
  FloatMatrix& train = contents.train;
  FloatMatrix& test = contents.test;
  bool test_cut = false;
  absl::Status status = ReadHdf5Matrix(file.get(), path, "train", H5T_NATIVE_FLOAT, count_limit,
                                       train.rows, train.dim, train.data, contents.train_cut);
  if (status.ok()) {
    status = ReadHdf5Matrix(file.get(), path, "test", H5T_NATIVE_FLOAT, query_limit, test.rows,
                            test.dim, test.data, test_cut);
  }
  if (status.ok() && H5Lexists(file.get(), "neighbors", H5P_DEFAULT) > 0) {
    IntMatrix& neighbors = contents.neighbors.emplace();
    bool neighbors_cut = false;
    status = ReadHdf5Matrix(file.get(), path, "neighbors", H5T_NATIVE_INT,
                            std::max<int64_t>(test.rows, 1), neighbors.rows, neighbors.dim,
                            neighbors.data, neighbors_cut);
  }
  if (!status.ok()) return status;
  absl::StatusOr<std::string> distance = ReadStringAttribute(file.get(), path, "distance");
  if (!distance.ok()) return distance.status();
  absl::StatusOr<Metric> metric = MetricOfDistance(path, *distance);
  if (!metric.ok()) return metric.status();
  contents.metric = *metric;
  return contents;
}

// --- Checks of a loaded file dataset --------------------------------------------------------

absl::Status CheckExists(const std::string& key, const std::string& path,
                         const std::string& expected) {
  std::error_code error;
  if (std::filesystem::exists(path, error)) return absl::OkStatus();
  return absl::NotFoundError(
      absl::StrCat("dataset.", key, ": \"", path, "\" does not exist; expected ", expected));
}

// JSON, the requests' format, has no NaN or infinity.
absl::Status CheckFinite(const FloatMatrix& m, const std::string& where) {
  for (size_t i = 0; i < m.data.size(); ++i) {
    if (!std::isfinite(m.data[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": row ", i / m.dim,
                       " has a NaN or infinite value; expected finite numbers "
                       "(JSON cannot carry them)"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckShapes(const DatasetSpec& spec, const FloatMatrix& base,
                         const FloatMatrix& queries, const std::string& base_name,
                         const std::string& query_name) {
  if (base.rows == 0) {
    return absl::InvalidArgumentError(absl::StrCat(base_name, ": has no vectors"));
  }
  if (queries.rows == 0) {
    return absl::InvalidArgumentError(absl::StrCat(query_name, ": has no vectors"));
  }
  if (queries.dim != base.dim) {
    return absl::InvalidArgumentError(absl::StrCat(query_name, ": dimension ", queries.dim,
                                                   " differs from ", base_name, "'s ", base.dim));
  }
  if (spec.dim != 0 && spec.dim != base.dim) {
    return absl::InvalidArgumentError(absl::StrCat("dataset.dim: ", spec.dim,
                                                   " does not match the files; expected ", base.dim,
                                                   " (", base_name, ")"));
  }
  if (base.rows > dataset_internal::kMaxVectors) {
    return absl::InvalidArgumentError(
        absl::StrCat(base_name,
                     ": has more than 2147483647 vectors; expected dataset.count to "
                     "limit them"));
  }
  return absl::OkStatus();
}

// The files' ground truth must give a row per query and only ids of base vectors.
absl::Status CheckTruth(const IntMatrix& truth, const FloatMatrix& base, const FloatMatrix& queries,
                        const std::string& where) {
  if (truth.rows < queries.rows) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": has ", truth.rows, " rows for ",
                                                   queries.rows,
                                                   " queries; expected a row per "
                                                   "query"));
  }
  for (size_t i = 0; i < truth.data.size(); ++i) {
    if (truth.data[i] < 0 || truth.data[i] >= base.rows) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": row ", i / truth.dim, ": id ", truth.data[i],
                       " is out of range; expected 0..", base.rows - 1));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<dataset_internal::SourceData> LoadVecsSource(const DatasetSpec& spec) {
  dataset_internal::SourceData data;
  data.metric = spec.metric;
  bool base_cut = false;
  absl::StatusOr<FloatMatrix> base = ReadVectorsFile(spec.path, spec.count, &base_cut);
  if (!base.ok()) return base.status();
  data.base = std::move(*base);
  absl::StatusOr<FloatMatrix> queries = ReadVectorsFile(spec.query_path, spec.queries, nullptr);
  if (!queries.ok()) return queries.status();
  data.queries = std::move(*queries);
  absl::Status status = CheckShapes(spec, data.base, data.queries, spec.path, spec.query_path);
  if (status.ok()) status = CheckFinite(data.base, spec.path);
  if (status.ok()) status = CheckFinite(data.queries, spec.query_path);
  if (!status.ok()) return status;
  // A cut base set makes the file's neighbours wrong (some may be left out): compute instead.
  if (!spec.truth_path.empty() && !base_cut) {
    absl::StatusOr<IntMatrix> truth = ReadIvecs(spec.truth_path, data.queries.rows);
    if (!truth.ok()) return truth.status();
    status = CheckTruth(*truth, data.base, data.queries, spec.truth_path);
    if (!status.ok()) return status;
    data.truth = std::move(*truth);
  }
  return data;
}

absl::StatusOr<dataset_internal::SourceData> LoadHdf5Source(const DatasetSpec& spec) {
  absl::StatusOr<dataset_internal::Hdf5Contents> contents =
      dataset_internal::ReadAnnHdf5(spec.path, spec.count, spec.queries);
  if (!contents.ok()) return contents.status();
  dataset_internal::SourceData data;
  data.metric = contents->metric;
  data.base = std::move(contents->train);
  data.queries = std::move(contents->test);
  const std::string train_name = absl::StrCat(spec.path, ": dataset \"train\"");
  const std::string test_name = absl::StrCat(spec.path, ": dataset \"test\"");
  absl::Status status = CheckShapes(spec, data.base, data.queries, train_name, test_name);
  if (status.ok()) status = CheckFinite(data.base, train_name);
  if (status.ok()) status = CheckFinite(data.queries, test_name);
  if (!status.ok()) return status;
  // A cut base set makes the file's neighbours wrong (some may be left out): compute instead.
  if (contents->neighbors.has_value() && !contents->train_cut) {
    status = CheckTruth(*contents->neighbors, data.base, data.queries,
                        absl::StrCat(spec.path, ": dataset \"neighbors\""));
    if (!status.ok()) return status;
    data.truth = std::move(contents->neighbors);
  }
  return data;
}

}  // namespace

absl::StatusOr<FloatMatrix> ReadFvecs(const std::string& path, int64_t limit) {
  FloatMatrix m;
  absl::Status status = ReadVecs<float>(path, limit, m.rows, m.dim, m.data, nullptr);
  if (!status.ok()) return status;
  return m;
}

absl::StatusOr<FloatMatrix> ReadBvecs(const std::string& path, int64_t limit) {
  FloatMatrix m;
  absl::Status status = ReadVecs<uint8_t>(path, limit, m.rows, m.dim, m.data, nullptr);
  if (!status.ok()) return status;
  return m;
}

absl::StatusOr<IntMatrix> ReadIvecs(const std::string& path, int64_t limit) {
  IntMatrix m;
  absl::Status status = ReadVecs<int32_t>(path, limit, m.rows, m.dim, m.data, nullptr);
  if (!status.ok()) return status;
  return m;
}

absl::Status WriteIvecs(const std::string& path, const IntMatrix& m) {
  if (m.rows < 0 || (m.rows > 0 && m.dim <= 0) ||
      m.data.size() != static_cast<size_t>(m.rows) * static_cast<size_t>(std::max(m.dim, 0))) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": matrix of ", m.rows, " x ", m.dim,
                                                   " holds ", m.data.size(),
                                                   " values; expected rows x dim"));
  }
  File file(std::fopen(path.c_str(), "wb"));
  if (file == nullptr) return OpenError(path, errno);
  const int32_t dim = m.dim;
  bool ok = true;
  for (int64_t r = 0; r < m.rows && ok; ++r) {
    ok = std::fwrite(&dim, sizeof dim, 1, file.get()) == 1 &&
         std::fwrite(m.data.data() + r * m.dim, sizeof(int32_t), m.dim, file.get()) ==
             static_cast<size_t>(m.dim);
  }
  const int error = errno;
  if (std::fclose(file.release()) != 0 || !ok) {
    return absl::DataLossError(
        absl::StrCat(path, ": cannot write: ", ErrnoText(ok ? errno : error)));
  }
  return absl::OkStatus();
}

namespace dataset_internal {

absl::StatusOr<Hdf5Contents> ReadAnnHdf5(const std::string& path, int64_t count_limit,
                                         int64_t query_limit) {
  std::lock_guard<std::mutex> lock(hdf5_mutex);
  return ReadAnnHdf5Locked(path, count_limit, query_limit);
}

absl::StatusOr<SourceData> LoadFileSource(const DatasetSpec& spec) {
  if (spec.kind == "hdf5") {
    if (absl::Status status = CheckExists("path", spec.path, "an ann-benchmarks HDF5 file");
        !status.ok()) {
      return status;
    }
    return LoadHdf5Source(spec);
  }
  absl::Status status = CheckExists("path", spec.path, "a .fvecs or .bvecs file");
  if (status.ok()) status = CheckExists("query_path", spec.query_path, "a .fvecs or .bvecs file");
  if (status.ok() && !spec.truth_path.empty()) {
    status = CheckExists("truth_path", spec.truth_path, "an .ivecs file");
  }
  if (!status.ok()) return status;
  return LoadVecsSource(spec);
}

}  // namespace dataset_internal
}  // namespace vexbench
