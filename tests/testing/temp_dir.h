// A fresh folder under the system temp dir for one test, removed with its content at
// destruction.
#ifndef BUKONG_TESTS_TESTING_TEMP_DIR_H_
#define BUKONG_TESTS_TESTING_TEMP_DIR_H_

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace bukong::testing {

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = (std::filesystem::temp_directory_path() /
             fmt::format("bukong-test-{}-{}", ::getpid(), counter++))
                .string();
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

}  // namespace bukong::testing

#endif  // BUKONG_TESTS_TESTING_TEMP_DIR_H_
