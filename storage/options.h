// Options of the bukong database (storage/store.h): plain structs, each field with its
// default and the trade-off it sets. No RocksDB type appears here except in
// StoreTestingOptions, which only tests use (a forward declaration; see there).
#ifndef BUKONG_STORAGE_OPTIONS_H_
#define BUKONG_STORAGE_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "core/selection_key.h"

namespace rocksdb {
class FileSystem;  // only for StoreTestingOptions
}  // namespace rocksdb

namespace bukong::storage {

struct InitOptions {
  // The selection key (from `--key-file`); when absent a new random key is drawn from the
  // operating system's CSPRNG (libsodium randombytes_buf).
  std::optional<SelectionKey> key;
};

// FOR TESTS ONLY. Production code leaves these at their defaults (every store, every command
// does). They exist so that tests can prove the durability claims of docs/storage.md.
struct StoreTestingOptions {
  // Every file of the database (RocksDB's and the audit anchor) is read and written through
  // this file system instead of the operating system's; tests inject one that simulates
  // power cuts and I/O errors (tests/storage/fault_fs.h). Null: the real file system.
  std::shared_ptr<rocksdb::FileSystem> file_system;
  // Breaks the durability of the audit log on purpose: SyncAudit (and AppendAudit) return
  // OK without syncing the write-ahead log. Only the power-cut test's negative case sets
  // it, to show that the simulation catches a missing fsync.
  bool skip_audit_sync = false;
};

struct StoreOptions {
  // Block cache shared by every column family. Profiles are read by point lookups; a cache
  // that holds the hot part of the profile table keeps a lookup in memory. 10,000,000
  // profiles take about 500 MB on disk.
  size_t block_cache_bytes = size_t{512} << 20;

  // RocksDB row cache (a key -> value cache in front of the SST files): the enterprises
  // that declare most are served from it without searching a block. 0 disables. Ignored on
  // read-only opens, where RocksDB 7.8's row cache loses a key on its second Get.
  size_t row_cache_bytes = size_t{64} << 20;

  // Plain RocksDB options for the profiles column family (bloom filter 10 bits/key, binary
  // search blocks, default compression) instead of the tuned ones; benchmarks compare both.
  bool plain_profile_options = false;

  // Memory the profile import may use to sort rows before it spills a sorted run to disk.
  size_t import_memory_bytes = size_t{256} << 20;

  // Size at which the import starts a new SST file. Several files let later compactions
  // work in parallel; one IngestExternalFile call adds them all atomically either way.
  size_t import_sst_file_bytes = size_t{256} << 20;

  // Open read-only (replay, stats, `profiles get`): no writes, no background work, and
  // several processes may read the same folder. Writing calls return FailedPrecondition.
  bool read_only = false;

  // Tests only; see StoreTestingOptions.
  StoreTestingOptions testing = {};
};


struct ImportOptions {
  // Called now and then (about every 100,000 rows, and once at the end) with the rows read
  // so far and the phase ("reading", "sorting", "ingesting"); for progress on a terminal.
  std::function<void(uint64_t rows, std::string_view phase)> progress;
  // Files with at most this many rows are written with one atomic WriteBatch instead of
  // SST files (cheaper for small files, same all-or-nothing guarantee).
  uint64_t batch_write_max_rows = 50'000;
};

}  // namespace bukong::storage

#endif  // BUKONG_STORAGE_OPTIONS_H_
