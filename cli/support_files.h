// Whole-file reads and atomic whole-file writes for the commands that take or rewrite small
// text files (rule files, rule tests). Errors say why, in the operating system's words:
// "cannot read the rule file: No such file or directory".
#ifndef BUKONG_CLI_SUPPORT_FILES_H_
#define BUKONG_CLI_SUPPORT_FILES_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace bukong::cli {

// The bytes of the file at `path`. On failure the status message is
// "cannot read the WHAT: REASON" (WHAT is e.g. "rule file"); a directory is "Is a directory".
absl::StatusOr<std::string> ReadWholeFile(const std::string& path, std::string_view what);

// Replaces the file at `path` with `text`, all or nothing: the text goes to a temporary file
// beside it, which is flushed to disk and renamed over the original (whose permission bits it
// takes). On failure the original is untouched and the temporary removed.
absl::Status ReplaceFileAtomically(const std::string& path, std::string_view text);

}  // namespace bukong::cli

#endif  // BUKONG_CLI_SUPPORT_FILES_H_
