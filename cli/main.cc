// bukong: customs risk targeting. See docs/CLI.md for every command and exit code.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <exception>

#include "cli/command.h"
#include "cli/version.h"
#include "dsl/suggest.h"

namespace bukong::cli {

std::vector<std::unique_ptr<Command>>& Registry() {
  static std::vector<std::unique_ptr<Command>> registry;
  return registry;
}

CLI::Validator SequenceNumberValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        uint64_t value = 0;
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (error == std::errc::result_out_of_range) {
          return text + " is out of range (at most 18446744073709551615)";
        }
        if (error != std::errc() || end != text.data() + text.size() || value == 0) {
          return text + " is not a sequence number (1, 2, ...)";
        }
        return "";
      },
      "SEQ");
}

void RegisterCommand(std::unique_ptr<Command> command) {
  Registry().push_back(std::move(command));
}

namespace {

int Main(int argc, char** argv) {
  CLI::App app{"bukong: customs risk targeting (布控) — rules, decisions, audit, replay",
               "bukong"};
  app.require_subcommand(1);
  auto& registry = Registry();
  std::stable_sort(registry.begin(), registry.end(),
                   [](const auto& a, const auto& b) { return a->Order() < b->Order(); });
  std::vector<std::pair<CLI::App*, Command*>> subcommands;
  for (auto& command : registry) subcommands.emplace_back(command->Setup(app), command.get());
  app.set_version_flag("--version", std::string("bukong ") + kVersion + " (commit " + kGitCommit + ")",
                       "Print the version and the git commit this program was built from");

  // A first word that is no command gets "did you mean", not "A subcommand is required".
  if (argc > 1 && argv[1][0] != '-') {
    std::string_view word = argv[1];
    std::vector<std::string> names;
    for (auto& [sub, command] : subcommands) names.push_back(sub->get_name());
    if (std::find(names.begin(), names.end(), word) == names.end()) {
      fmt::print(stderr, "bukong: unknown command '{}'{}; see bukong --help\n", word,
                 dsl::DidYouMean(word, names));
      return kExitUsage;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    app.exit(e);
    return kExitOk;
  } catch (const CLI::CallForAllHelp& e) {
    app.exit(e);
    return kExitOk;
  } catch (const CLI::CallForVersion& e) {
    app.exit(e);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    // CLI11 2.1 has its own exit codes; every parse problem is a usage error here.
    app.exit(e);
    return kExitUsage;
  }
  for (auto& [sub, command] : subcommands) {
    if (sub->parsed()) return command->Run();
  }
  fmt::print(stderr, "bukong: no command given (see bukong --help)\n");
  return kExitUsage;
}

}  // namespace
}  // namespace bukong::cli

int main(int argc, char** argv) {
  try {
    return bukong::cli::Main(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "bukong: internal error: {}\n", e.what());
    return bukong::cli::kExitFailure;
  }
}
