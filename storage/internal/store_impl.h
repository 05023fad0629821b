// The state behind storage::Store, shared by the .cc files of storage/. Internal.
#ifndef BUKONG_STORAGE_INTERNAL_STORE_IMPL_H_
#define BUKONG_STORAGE_INTERNAL_STORE_IMPL_H_

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/sha256.h"
#include "storage/store.h"

namespace bukong::storage {

// Column family names (docs/storage.md).
inline constexpr const char* kCfProfiles = "profiles";
inline constexpr const char* kCfRulesets = "rulesets";
inline constexpr const char* kCfAudit = "audit";
inline constexpr const char* kCfDecided = "decided";
inline constexpr const char* kCfOutcomes = "outcomes";
inline constexpr const char* kCfMeta = "meta";
inline constexpr const char* kCfLists = "lists";  // schema version 3 (storage/lists.h)

struct Store::Impl {
  std::string dir;
  StoreOptions options;
  SelectionKey key{std::array<uint8_t, SelectionKey::kSize>{}};  // set by Open
  std::string key_id;

  rocksdb::ColumnFamilyOptions profile_cf_options;  // also used by the import's SstFileWriter
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // owned; destroyed before db
  rocksdb::ColumnFamilyHandle* profiles = nullptr;
  rocksdb::ColumnFamilyHandle* rulesets = nullptr;
  rocksdb::ColumnFamilyHandle* audit = nullptr;
  rocksdb::ColumnFamilyHandle* decided = nullptr;
  rocksdb::ColumnFamilyHandle* outcomes = nullptr;
  rocksdb::ColumnFamilyHandle* meta = nullptr;
  // Null only on a read-only open of a database older than schema version 3 (no lists).
  rocksdb::ColumnFamilyHandle* lists = nullptr;

  // Serialises every read-modify-write: audit appends (sequence numbers and the chain head),
  // outcomes (counter updates) and profile writes.
  mutable std::mutex write_mu;
  uint64_t head_seq = 0;     // guarded by write_mu
  Sha256Digest head_hash{};  // guarded by write_mu

  ~Impl();
  absl::Status CheckWritable() const;
};

struct StoreInternals {
  static Store::Impl& Of(const Store& store) { return *store.impl_; }
};

// Options of each column family; `plain` gives RocksDB's bloom-filter defaults for profiles.
rocksdb::ColumnFamilyOptions ColumnFamilyOptionsFor(const std::string& name,
                                                    const StoreOptions& options,
                                                    const std::shared_ptr<rocksdb::Cache>& cache);

// Non-empty id, hits <= inspections (the rules every stored profile obeys).
absl::Status ValidateProfile(const Profile& p);

}  // namespace bukong::storage

#endif  // BUKONG_STORAGE_INTERNAL_STORE_IMPL_H_
