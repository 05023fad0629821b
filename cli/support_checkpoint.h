// Signed checkpoints on the command line: loading the public keys and checkpoint files
// given to `replay` and `audit verify`, and replay's check that the log extends them
// (issue #16 item 4; storage/checkpoint.h, docs/storage.md "Signed checkpoints").
#ifndef BUKONG_CLI_SUPPORT_CHECKPOINT_H_
#define BUKONG_CLI_SUPPORT_CHECKPOINT_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/checkpoint.h"
#include "storage/store.h"

namespace bukong::cli {

// Reads every public key and checkpoint file and verifies each checkpoint's signature.
// On any failure prints `bukong COMMAND: FILE: ...` on stderr (every bad file, not just the
// first) and returns nullopt.
std::optional<std::vector<storage::NamedCheckpoint>> LoadVerifiedCheckpoints(
    const std::vector<std::string>& checkpoint_files,
    const std::vector<std::string>& public_key_files, std::string_view command);

// `replay --checkpoint FILE... --public-key KEY.pub`: the signatures, then whether the audit
// log of `store` extends every checkpoint (the chain recomputed from record 1). Prints one
// line per checkpoint on stdout ("checkpoint: FILE: ..."). Returns kExitOk when all hold,
// kExitFailure otherwise (the reason printed: stderr for a bad file or signature, stdout
// for a log that does not extend a checkpoint).
int CheckCheckpoints(const storage::Store& store, const std::vector<std::string>& checkpoint_files,
                     const std::vector<std::string>& public_key_files, std::string_view command);

}  // namespace bukong::cli

#endif  // BUKONG_CLI_SUPPORT_CHECKPOINT_H_
