#include "storage/internal/wal_guard_fs.h"

#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <string>

namespace bukong::storage::internal {
namespace {

bool IsWal(const std::string& name) {
  return name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0;
}

// RocksDB's info log (DIR/LOG): written by its EnvLogger through the same asserting writer;
// on a full disk its next line aborted the process. Its errors are dropped for good.
bool IsInfoLog(const std::string& name) {
  const size_t slash = name.rfind('/');
  return name.compare(slash == std::string::npos ? 0 : slash + 1, 3, "LOG") == 0;
}

bool Guarded(const std::string& name) { return IsWal(name) || IsInfoLog(name); }

class GuardedWalFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  GuardedWalFile(std::unique_ptr<rocksdb::FSWritableFile>&& file, bool report_on_sync)
      : FSWritableFileOwnerWrapper(std::move(file)), report_on_sync_(report_on_sync) {}

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
    return Checked(target()->Sync(options, dbg));
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    if (failed()) return error();
    return Checked(target()->Fsync(options, dbg));
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
  // The info log's syncs never fail: its writer must never see an error either.
  rocksdb::IOStatus Checked(rocksdb::IOStatus s) {
    if (s.ok() || report_on_sync_) return s;
    return Keep(s);
  }
  rocksdb::IOStatus error() {
    if (!report_on_sync_) return rocksdb::IOStatus::OK();
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

  const bool report_on_sync_;  // false for the info log
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
    if (s.ok() && Guarded(name))
      *result = std::make_unique<GuardedWalFile>(std::move(*result), IsWal(name));
    return s;
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& name,
                                       const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->ReopenWritableFile(name, options, result, dbg);
    if (s.ok() && Guarded(name))
      *result = std::make_unique<GuardedWalFile>(std::move(*result), IsWal(name));
    return s;
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& name, const std::string& old_name,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->ReuseWritableFile(name, old_name, options, result, dbg);
    if (s.ok() && Guarded(name))
      *result = std::make_unique<GuardedWalFile>(std::move(*result), IsWal(name));
    return s;
  }
};

class QuietInfoLog : public rocksdb::Logger {
 public:
  explicit QuietInfoLog(const std::string& path)
      : Logger(rocksdb::InfoLogLevel::INFO_LEVEL), file_(std::fopen(path.c_str(), "a")) {}
  ~QuietInfoLog() override {
    if (file_) std::fclose(file_);
  }
  using Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    if (!file_) return;
    std::lock_guard lock(mu_);
    std::vfprintf(file_, format, ap);
    std::fputc('\n', file_);
    std::fflush(file_);  // errors (a full disk) are ignored: this log is for people
  }

 private:
  std::mutex mu_;
  FILE* file_;
};

}  // namespace

std::shared_ptr<rocksdb::Logger> NewQuietInfoLog(const std::string& dir) {
  return std::make_shared<QuietInfoLog>(dir + "/LOG");
}

std::shared_ptr<rocksdb::FileSystem> NewWalGuardFileSystem(
    std::shared_ptr<rocksdb::FileSystem> base) {
  return std::make_shared<WalGuardFileSystem>(std::move(base));
}

}  // namespace bukong::storage::internal
