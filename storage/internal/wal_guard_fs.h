// A file system wrapper that every store opens RocksDB through. Internal to storage/.
//
// Why it exists: Debian's librocksdb 7.8 is built with assertions, and its WritableFileWriter
// asserts (aborting the process) when a write-ahead-log file that once failed an append
// (EIO, ENOSPC) is later synced with DB::SyncWAL — exactly what a disk-full `decide` did
// (`Assertion 'sync_without_flush_called_' failed`, exit 134). This wrapper keeps an error on
// a WAL file's append or flush to itself: the append reports OK and writes nothing, and so
// does every later append to that file, and the next Sync reports the error. So the WAL
// stays a clean prefix of what was written, nothing after the failure is ever synced, the
// failure surfaces where durability is decided (SyncWAL -> SyncAudit / every synced write),
// and RocksDB's writer never sees an append error. RocksDB's info log (DIR/LOG) went the same
// way on a full disk (its next line asserted): its errors are dropped for good, syncs
// included. Every other file passes through.
#ifndef BUKONG_STORAGE_INTERNAL_WAL_GUARD_FS_H_
#define BUKONG_STORAGE_INTERNAL_WAL_GUARD_FS_H_

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <memory>
#include <string>

namespace bukong::storage::internal {

std::shared_ptr<rocksdb::FileSystem> NewWalGuardFileSystem(
    std::shared_ptr<rocksdb::FileSystem> base);

// RocksDB's info log (DIR/LOG), appended with plain stdio and every error ignored: the
// info log that RocksDB opens itself goes through the same asserting writer, and on a full
// disk its next line aborted the process (in DB::Open, before any data was touched).
std::shared_ptr<rocksdb::Logger> NewQuietInfoLog(const std::string& dir);

}  // namespace bukong::storage::internal

#endif  // BUKONG_STORAGE_INTERNAL_WAL_GUARD_FS_H_
