// The `bukong` program's subcommands. Each cmd_*.cc file defines one Command and registers
// it with BUKONG_REGISTER_COMMAND; main.cc builds the CLI11 app from the registry, so adding
// a command never touches main.cc.
#ifndef BUKONG_CLI_COMMAND_H_
#define BUKONG_CLI_COMMAND_H_

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

namespace bukong::cli {

// The exit codes of every command (SPEC §6), documented in docs/CLI.md.
enum ExitCode : int {
  kExitOk = 0,        // success
  kExitFailure = 1,   // errors in a rule file, a replay mismatch, an I/O or database error
  kExitUsage = 2,     // bad command line
  kExitRejected = 3,  // some input lines were rejected, the rest processed
};

class Command {
 public:
  virtual ~Command() = default;
  // Position in `bukong --help` (lower first).
  virtual int Order() const = 0;
  // Adds this command's subcommand and options to `app`; returns the subcommand.
  virtual CLI::App* Setup(CLI::App& app) = 0;
  // Runs the command after a successful parse; returns an ExitCode.
  virtual int Run() = 0;
};

// Called by the registrar objects below at static-initialisation time.
void RegisterCommand(std::unique_ptr<Command> command);
std::vector<std::unique_ptr<Command>>& Registry();

template <typename T>
struct CommandRegistrar {
  CommandRegistrar() { RegisterCommand(std::make_unique<T>()); }
};

#define BUKONG_REGISTER_COMMAND(Type) \
  static ::bukong::cli::CommandRegistrar<Type> bukong_registrar_##Type

// Checks a `--from`/`--to` audit sequence number as text before CLI11 converts it (CLI11
// clamps 2^64 and more to 2^64-1 without a word): 1 .. 18446744073709551615, digits only.
CLI::Validator SequenceNumberValidator();

// Name used for standard input in messages.
inline constexpr const char* kStdinName = "<stdin>";

}  // namespace bukong::cli

#endif  // BUKONG_CLI_COMMAND_H_
