// Golden tests: every tests/dsl/golden/NAME.rules is compiled and its diagnostics, formatted
// exactly as `bukong check tests/dsl/golden/NAME.rules` writes them to stderr, are compared
// with NAME.expect.
//
// To regenerate the expectations after an intended change of messages:
//   BUKONG_UPDATE_GOLDEN=1 build-dsl/tests/dsl/dsl_test --gtest_filter='Golden*'
// then review every changed .expect by hand (git diff) before committing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "dsl/compiler.h"

namespace bukong::dsl {
namespace {

namespace fs = std::filesystem;

std::string SourceDir() {
  const char* dir = std::getenv("BUKONG_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  fs::path dir = fs::path(SourceDir()) / "tests/dsl/golden";
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".rules") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, DiagnosticsMatchExpectation) {
  const std::string name = GetParam();
  fs::path dir = fs::path(SourceDir()) / "tests/dsl/golden";
  std::string source = ReadAll(dir / (name + ".rules"));
  std::string shown_name = "tests/dsl/golden/" + name + ".rules";
  CompileResult result = Compile(source, shown_name);
  std::string actual = FormatDiagnostics(shown_name, source, result);
  fs::path expect_path = dir / (name + ".expect");
  if (std::getenv("BUKONG_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(expect_path, std::ios::binary) << actual;
    GTEST_SKIP() << "updated " << expect_path;
  }
  ASSERT_TRUE(fs::exists(expect_path)) << "missing " << expect_path;
  EXPECT_EQ(actual, ReadAll(expect_path));
  // A ruleset comes out exactly when there is no error; the ok_ cases must have one.
  EXPECT_EQ(result.ruleset.has_value(), !result.HasErrors());
  if (name.rfind("ok_", 0) == 0) {
    EXPECT_TRUE(result.ruleset.has_value());
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenTest, ::testing::ValuesIn(CaseNames()),
                         [](const auto& info) { return info.param; });

TEST(GoldenSuite, HasEnoughCases) { EXPECT_GE(CaseNames().size(), 40u); }

}  // namespace
}  // namespace bukong::dsl
