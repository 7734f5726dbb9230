// Test support: a fresh directory for one test's files.
#ifndef VEXBENCH_TESTS_UNIT_SUPPORT_TEMP_DIR_H_
#define VEXBENCH_TESTS_UNIT_SUPPORT_TEMP_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace vexbench {

// A new directory under the system temp dir (mkdtemp), removed with everything in it when the
// object goes out of scope.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "vexbench-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("cannot create a temporary directory from " + pattern);
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string path() const { return path_.string(); }
  // A path inside the directory.
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace vexbench

#endif  // VEXBENCH_TESTS_UNIT_SUPPORT_TEMP_DIR_H_
