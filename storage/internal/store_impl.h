// The state behind storage::Store, shared by the .cc files of storage/. Internal.
#ifndef BUKONG_STORAGE_INTERNAL_STORE_IMPL_H_
#define BUKONG_STORAGE_INTERNAL_STORE_IMPL_H_

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/sha256.h"
#include "storage/internal/anchor.h"
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
inline constexpr const char* kCfById = "by_id";   // schema version 4: every seq of an id

struct Store::Impl {
  std::string dir;
  StoreOptions options;
  // Every file goes through `fs` (the operating system's file system, or a test's, wrapped
  // by internal::NewWalGuardFileSystem); `env` is RocksDB's view of it. Both outlive `db`.
  std::shared_ptr<rocksdb::FileSystem> fs;
  std::unique_ptr<rocksdb::Env> env;
  // The last acknowledged audit record, outside RocksDB (anchor.h). Null on read-only opens.
  std::unique_ptr<internal::Anchor> anchor;
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
  // Every audit record's (declaration id, seq) (docs/storage.md, "by_id"). Null only on a
  // read-only open of a database older than schema version 4; and only complete (written
  // with every record, or backfilled) when the database is at version 4: `by_id_complete`.
  rocksdb::ColumnFamilyHandle* by_id = nullptr;
  bool by_id_complete = false;

  // Serialises every read-modify-write: audit appends (sequence numbers and the chain head),
  // outcomes (counter updates) and profile writes.
  mutable std::mutex write_mu;
  uint64_t head_seq = 0;     // guarded by write_mu
  Sha256Digest head_hash{};  // guarded by write_mu

  // The first failed write or sync. From then on every writing call returns it and the
  // store never syncs again: after an I/O error nothing more may be acknowledged, and
  // RocksDB must not be asked to sync a log that failed (docs/storage.md, "Faults").
  mutable std::mutex failed_mu;
  absl::Status failed;  // guarded by failed_mu

  ~Impl();
  // FailedPrecondition on a read-only open; the first failure once one happened.
  absl::Status CheckWritable() const;
  // Records `s` as the store's failure when it is not OK; returns it.
  absl::Status Fail(absl::Status s);
  // Writes `batch` and syncs the write-ahead log (Write, then SyncWAL: the path on which an
  // I/O error can never trip RocksDB's assertions); every failure is Fail()ed.
  absl::Status WriteSynced(rocksdb::WriteBatch& batch, std::string_view what);
};

// The file system and Env a store or init uses (the test's when injected), WAL-guarded.
void SetUpFileSystem(const StoreTestingOptions& testing, std::shared_ptr<rocksdb::FileSystem>* fs,
                     std::unique_ptr<rocksdb::Env>* env);
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
