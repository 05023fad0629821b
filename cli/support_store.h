// Opening the database for the commands that only read it (replay, stats, what-if).
#ifndef BUKONG_CLI_SUPPORT_STORE_H_
#define BUKONG_CLI_SUPPORT_STORE_H_

#include <memory>
#include <string>
#include <string_view>

#include "storage/store.h"

namespace bukong::cli {

// Opens `db` read-only (several readers may share it, even beside a writer), or prints
// `bukong COMMAND: DB: MESSAGE` on stderr and returns null.
std::unique_ptr<storage::Store> OpenStoreForReading(const std::string& db,
                                                    std::string_view command);

}  // namespace bukong::cli

#endif  // BUKONG_CLI_SUPPORT_STORE_H_
