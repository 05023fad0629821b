#include "cli/support_store.h"

#include <fmt/format.h>

#include <cstdio>

#include "cli/support_status.h"

namespace bukong::cli {

std::unique_ptr<storage::Store> OpenStoreForReading(const std::string& db,
                                                    std::string_view command) {
  storage::StoreOptions options;
  options.read_only = true;
  auto opened = storage::Store::Open(db, options);
  if (!opened.ok()) {
    fmt::print(stderr, "bukong {}: {}: {}\n", command, db, Message(opened.status()));
    return nullptr;
  }
  return *std::move(opened);
}

}  // namespace bukong::cli
