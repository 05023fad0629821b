// `bukong check FILE.rules...`: compiles each rule file and reports every diagnostic
// (SPEC §6 format) on stderr, then a summary line per file (and a total for several files).
// Exit 0 when no file has errors (nor warnings, with --werror), 1 otherwise.
#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/support_files.h"
#include "cli/support_status.h"
#include "dsl/compiler.h"

namespace bukong::cli {
namespace {

class CheckCommand : public Command {
 public:
  int Order() const override { return 10; }

  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "check", "Check rule files: every error and warning as FILE:LINE:COL, then a summary");
    sub->add_option("files", files_, "Rule files (.rules) to check")->required();
    sub->add_flag("--werror", werror_, "Treat warnings as errors (exit 1 when any)");
    return sub;
  }

  int Run() override {
    int total_errors = 0, total_warnings = 0;
    bool failed = false;
    for (const std::string& file : files_) {
      auto read = ReadWholeFile(file, "rule file");  // the message says why
      if (!read.ok()) {
        fmt::print(stderr, "{}: error: {}\n", file, Message(read.status()));
        failed = true;
        ++total_errors;
        continue;
      }
      const std::string& text = *read;
      dsl::CompileResult result = dsl::Compile(text, file);
      std::string report = dsl::FormatDiagnostics(file, text, result);
      std::fwrite(report.data(), 1, report.size(), stderr);
      total_errors += result.ErrorCount();
      total_warnings += result.WarningCount();
    }
    if (files_.size() > 1) {
      fmt::print(stderr, "{} files checked: {} error{}, {} warning{}\n", files_.size(),
                 total_errors, total_errors == 1 ? "" : "s", total_warnings,
                 total_warnings == 1 ? "" : "s");
    }
    if (failed || total_errors > 0 || (werror_ && total_warnings > 0)) return kExitFailure;
    return kExitOk;
  }

 private:
  std::vector<std::string> files_;
  bool werror_ = false;
};

BUKONG_REGISTER_COMMAND(CheckCommand);

}  // namespace
}  // namespace bukong::cli
