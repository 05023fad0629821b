#include "cli/support_checkpoint.h"

#include <fmt/format.h>

#include <cstdio>

#include "cli/command.h"
#include "cli/support_status.h"

namespace bukong::cli {

std::optional<std::vector<storage::NamedCheckpoint>> LoadVerifiedCheckpoints(
    const std::vector<std::string>& checkpoint_files,
    const std::vector<std::string>& public_key_files, std::string_view command) {
  bool ok = true;
  std::vector<storage::CheckpointPublicKey> keys;
  for (const std::string& path : public_key_files) {
    auto key = storage::LoadCheckpointPublicKey(path);
    if (!key.ok()) {
      fmt::print(stderr, "bukong {}: {}\n", command, Message(key.status()));
      ok = false;
      continue;
    }
    keys.push_back(*std::move(key));
  }
  if (!ok) return std::nullopt;
  std::vector<storage::NamedCheckpoint> checkpoints;
  for (const std::string& path : checkpoint_files) {
    auto c = storage::ReadCheckpointFile(path);
    absl::Status s = c.ok() ? storage::VerifyCheckpointSignature(*c, keys, path) : c.status();
    if (!s.ok()) {
      fmt::print(stderr, "bukong {}: {}\n", command, Message(s));
      ok = false;
      continue;
    }
    checkpoints.push_back({path, *std::move(c)});
  }
  if (!ok) return std::nullopt;
  return checkpoints;
}

int CheckCheckpoints(const storage::Store& store, const std::vector<std::string>& checkpoint_files,
                     const std::vector<std::string>& public_key_files, std::string_view command) {
  auto checkpoints = LoadVerifiedCheckpoints(checkpoint_files, public_key_files, command);
  if (!checkpoints) return kExitFailure;
  auto problems = storage::CheckLogExtends(store, *checkpoints);
  if (!problems.ok()) {
    fmt::print(stderr, "bukong {}: checking the checkpoints: {}\n", command,
               Message(problems.status()));
    return kExitFailure;
  }
  std::string out;
  for (const std::string& p : *problems) out += fmt::format("checkpoint: {}\n", p);
  if (!problems->empty()) {
    out += fmt::format(
        "{}: the audit log does not extend {} of {} signed checkpoint{}: it was changed, "
        "rebuilt or rolled back after they were signed; nothing was re-decided\n",
        command, problems->size(), checkpoints->size(), checkpoints->size() == 1 ? "" : "s");
  } else {
    for (const auto& c : *checkpoints) {
      out += fmt::format(
          "checkpoint: {}: record {} (chain hash {}…, signed by key {} at {}): the log extends it\n",
          c.path, c.checkpoint.seq, c.checkpoint.chain_head.substr(0, 16), c.checkpoint.key_id,
          c.checkpoint.time);
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return problems->empty() ? kExitOk : kExitFailure;
}

}  // namespace bukong::cli
