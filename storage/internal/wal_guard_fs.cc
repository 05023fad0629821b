#include "storage/internal/wal_guard_fs.h"

#include <mutex>
#include <string>

namespace bukong::storage::internal {
namespace {

bool IsWal(const std::string& name) {
  return name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0;
}

class GuardedWalFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  explicit GuardedWalFile(std::unique_ptr<rocksdb::FSWritableFile>&& file)
      : FSWritableFileOwnerWrapper(std::move(file)) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    return Keep(failed() ? rocksdb::IOStatus::OK() : target()->Append(data, options, dbg));
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    return Keep(failed() ? rocksdb::IOStatus::OK() : target()->Append(data, options, info, dbg));
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     rocksdb::IODebugContext* dbg) override {
    return Keep(failed() ? rocksdb::IOStatus::OK()
                         : target()->PositionedAppend(data, offset, options, dbg));
  }
  rocksdb::IOStatus Flush(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    return Keep(failed() ? rocksdb::IOStatus::OK() : target()->Flush(options, dbg));
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    if (failed()) return error();
    return target()->Sync(options, dbg);
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    if (failed()) return error();
    return target()->Fsync(options, dbg);
  }
  rocksdb::IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const rocksdb::IOOptions& options,
                              rocksdb::IODebugContext* dbg) override {
    if (failed()) return rocksdb::IOStatus::OK();  // promises nothing; Sync reports
    return target()->RangeSync(offset, nbytes, options, dbg);
  }

 private:
  bool failed() {
    std::lock_guard lock(mu_);
    return !error_.ok();
  }
  rocksdb::IOStatus error() {
    std::lock_guard lock(mu_);
    return rocksdb::IOStatus::IOError("an earlier write to the write-ahead log failed: " +
                                      error_.ToString());
  }
  rocksdb::IOStatus Keep(rocksdb::IOStatus s) {
    if (s.ok()) return s;
    std::lock_guard lock(mu_);
    if (error_.ok()) error_ = s;
    return rocksdb::IOStatus::OK();
  }

  std::mutex mu_;
  rocksdb::IOStatus error_;  // guarded by mu_; the first append/flush failure
};

class WalGuardFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit WalGuardFileSystem(std::shared_ptr<rocksdb::FileSystem> base)
      : FileSystemWrapper(std::move(base)) {}
  static const char* kClassName() { return "BukongWalGuardFileSystem"; }
  const char* Name() const override { return kClassName(); }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewWritableFile(name, options, result, dbg);
    if (s.ok() && IsWal(name)) *result = std::make_unique<GuardedWalFile>(std::move(*result));
    return s;
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& name,
                                       const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->ReopenWritableFile(name, options, result, dbg);
    if (s.ok() && IsWal(name)) *result = std::make_unique<GuardedWalFile>(std::move(*result));
    return s;
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& name, const std::string& old_name,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->ReuseWritableFile(name, old_name, options, result, dbg);
    if (s.ok() && IsWal(name)) *result = std::make_unique<GuardedWalFile>(std::move(*result));
    return s;
  }
};

}  // namespace

std::shared_ptr<rocksdb::FileSystem> NewWalGuardFileSystem(
    std::shared_ptr<rocksdb::FileSystem> base) {
  return std::make_shared<WalGuardFileSystem>(std::move(base));
}

}  // namespace bukong::storage::internal
