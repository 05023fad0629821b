// The audit anchor: DIR/audit.anchor, a small synced file outside RocksDB recording the last
// acknowledged audit record (its sequence number and chain hash). Internal to storage/.
//
// Why: RocksDB's point-in-time WAL recovery opens a database whose write-ahead log was
// damaged (a flipped byte, a truncation) with the records before the damage only, and the
// chain head in `meta` rolls back with them, so the shorter chain verifies. The anchor does
// not roll back with them: Store::Open compares it with the recovered chain and refuses a
// database that lost acknowledged records (docs/storage.md, "Corruption is loud").
//
// Format: one line, "bukong-audit-anchor 1 SEQ HASH\n" (SEQ decimal, HASH 64 lower-case hex
// digits). It is replaced the safe way: write DIR/audit.anchor.tmp, sync it, rename it over
// DIR/audit.anchor, sync the folder; so after a crash the file holds the old or the new line.
#ifndef BUKONG_STORAGE_INTERNAL_ANCHOR_H_
#define BUKONG_STORAGE_INTERNAL_ANCHOR_H_

#include <rocksdb/file_system.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "core/sha256.h"

namespace bukong::storage::internal {

inline constexpr const char* kAnchorFileName = "audit.anchor";

struct AnchorValue {
  uint64_t seq = 0;
  Sha256Digest hash{};
};

// Reads DIR/audit.anchor: nullopt when there is none; DataLoss when it does not parse.
absl::StatusOr<std::optional<AnchorValue>> ReadAnchor(rocksdb::FileSystem& fs,
                                                      const std::string& dir);

// Replaces DIR/audit.anchor with `value` (temp file, sync, rename, sync the folder).
absl::Status WriteAnchor(rocksdb::FileSystem& fs, const std::string& dir,
                         const AnchorValue& value);

// The anchor of an open store: Advance() moves it forward (never back), one writer at a
// time; a call with a sequence number at or below the anchored one costs nothing.
class Anchor {
 public:
  Anchor(rocksdb::FileSystem* fs, std::string dir, AnchorValue at)
      : fs_(fs), dir_(std::move(dir)), at_(at) {}
  absl::Status Advance(const AnchorValue& to);
  uint64_t seq() const {
    std::lock_guard lock(mu_);
    return at_.seq;
  }

 private:
  rocksdb::FileSystem* fs_;
  std::string dir_;
  mutable std::mutex mu_;
  AnchorValue at_;  // guarded by mu_
};

}  // namespace bukong::storage::internal

#endif  // BUKONG_STORAGE_INTERNAL_ANCHOR_H_
