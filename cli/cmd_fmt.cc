// `bukong fmt FILE.rules...`: rewrites each rule file in the canonical layout (dsl/format.h),
// comments kept, meaning unchanged (verified before writing), all or nothing per file.
//   --check   change nothing; list the files that are not in canonical layout, exit 1 if any
//   --stdout  print the formatted text of one file to stdout instead of rewriting it
// Exit 0 on success; 1 when a file cannot be read, has errors (it is not formatted), or
// (--check) is not formatted; 2 on a usage error.
#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/support_files.h"
#include "dsl/compiler.h"
#include "dsl/format.h"

namespace bukong::cli {
namespace {

class FmtCommand : public Command {
 public:
  int Order() const override { return 12; }

  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "fmt", "Rewrite rule files in the canonical layout (comments kept, meaning unchanged)");
    sub->add_option("files", files_, "Rule files (.rules) to format")->required();
    auto* check = sub->add_flag(
        "--check", check_, "Change nothing; list files not in canonical layout and exit 1 if any");
    sub->add_flag("--stdout", to_stdout_, "Print the formatted text to stdout (one file)")
        ->excludes(check);
    return sub;
  }

  int Run() override {
    if (to_stdout_ && files_.size() != 1) {
      fmt::print(stderr, "bukong fmt: --stdout takes exactly one file\n");
      return kExitUsage;
    }
    bool failed = false;
    int changed = 0;
    for (const std::string& file : files_) {
      auto text = ReadWholeFile(file, "rule file");
      if (!text.ok()) {
        fmt::print(stderr, "{}: error: {}\n", file, std::string(text.status().message()));
        failed = true;
        continue;
      }
      dsl::FormatResult result = dsl::FormatRules(*text, file);
      if (!result.ok()) {
        if (!result.internal_error.empty()) {
          fmt::print(stderr, "{}: internal error: {}\n", file, result.internal_error);
        } else {
          dsl::CompileResult shown;
          shown.diagnostics = result.diagnostics;
          std::string report = dsl::FormatDiagnostics(file, *text, shown);
          std::fwrite(report.data(), 1, report.size(), stderr);
          fmt::print(stderr, "{}: not formatted (fix the errors first)\n", file);
        }
        failed = true;
        continue;
      }
      if (to_stdout_) {
        std::fwrite(result.text->data(), 1, result.text->size(), stdout);
        continue;
      }
      if (*result.text == *text) continue;
      ++changed;
      if (check_) {
        fmt::print(stderr, "{}: not in canonical layout (run: bukong fmt {})\n", file, file);
        continue;
      }
      absl::Status written = ReplaceFileAtomically(file, *result.text);
      if (!written.ok()) {
        fmt::print(stderr, "{}: error: {}\n", file, std::string(written.message()));
        failed = true;
        continue;
      }
      fmt::print(stderr, "{}: formatted\n", file);
    }
    if (failed || (check_ && changed > 0)) return kExitFailure;
    return kExitOk;
  }

 private:
  std::vector<std::string> files_;
  bool check_ = false;
  bool to_stdout_ = false;
};

BUKONG_REGISTER_COMMAND(FmtCommand);

}  // namespace
}  // namespace bukong::cli
