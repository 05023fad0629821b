// A RocksDB file system for tests that can simulate a power cut and inject I/O errors
// (issue #16 items 1 and 2). It wraps the real file system (files really are written, in a
// test's temporary folder) and remembers, per file and per folder, what has been made
// durable:
//   - a file's data is durable up to its size at its last Sync/Fsync (RangeSync does not
//     count: sync_file_range promises nothing about a power cut);
//   - a file's *name* (its creation, or a rename onto it) is durable only once its folder
//     was fsync'ed afterwards (FSDirectory::Fsync / FsyncWithDirOptions).
// A power cut (CutAfter) makes every write-side operation fail from the chosen moment on,
// as if the machine had stopped there. After the store is closed, DropUnsyncedData() turns
// the folder into what the disk could hold after such a cut: unsynced tails are cut back
// (to the synced size, or to a random point inside the unsynced tail — a torn write), files
// created since their folder's last fsync disappear, and renames since then are undone
// (the old target comes back with its old content). Deletions are not undone (a deleted
// obsolete file coming back is not simulated).
//
// Fault injection (FailOn) makes the next matching operations — on a kind of file (WAL,
// SST, MANIFEST, any) or a folder fsync — return EIO or ENOSPC.
//
// Modelled on the idea of RocksDB's own utilities/fault_injection_fs.h; written against
// the public FileSystemWrapper API of RocksDB 7.8 only.
#ifndef BUKONG_TESTS_STORAGE_FAULT_FS_H_
#define BUKONG_TESTS_STORAGE_FAULT_FS_H_

#include <rocksdb/file_system.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace bukong::storage::testing {

class FaultFs : public rocksdb::FileSystemWrapper {
 public:
  enum class FileKind { kAny, kWal, kSst, kManifest };
  enum class Op { kAppend, kSync, kDirFsync };

  explicit FaultFs(std::shared_ptr<rocksdb::FileSystem> base = rocksdb::FileSystem::Default())
      : FileSystemWrapper(std::move(base)) {}
  static const char* kClassName() { return "BukongTestFaultFs"; }
  const char* Name() const override { return kClassName(); }

  // The power cut happens after `ops` more write-side operations (appends, syncs, creates,
  // renames, deletes, folder fsyncs); from then on all of them fail.
  void CutAfter(uint64_t ops) {
    std::lock_guard lock(mu_);
    cut_after_ = ops_ + ops;
  }
  bool cut() const {
    std::lock_guard lock(mu_);
    return ops_ >= cut_after_;
  }
  uint64_t ops() const {
    std::lock_guard lock(mu_);
    return ops_;
  }
  // The next `count` operations `op` on files of `kind` fail with `error`
  // (IOStatus::IOError for EIO, IOStatus::NoSpace for ENOSPC); counts how many did.
  void FailOn(Op op, FileKind kind, rocksdb::IOStatus error, int count = 1 << 30) {
    std::lock_guard lock(mu_);
    fault_ = Fault{op, kind, std::move(error), count};
  }
  int faults_injected() const {
    std::lock_guard lock(mu_);
    return injected_;
  }

  // After the store is closed: leave on disk only what a power cut at the cut could have
  // left. `rng` picks torn tails. Returns a one-line summary for failure messages.
  std::string DropUnsyncedData(std::mt19937_64& rng) {
    std::lock_guard lock(mu_);
    namespace fs = std::filesystem;
    std::ostringstream summary;
    int undone = 0, torn = 0;
    // Folder entries not made durable, newest first.
    for (auto& [dir, ops] : pending_) {
      for (auto it = ops.rbegin(); it != ops.rend(); ++it) {
        std::error_code ec;
        if (it->previous) {
          std::ofstream(it->path, std::ios::binary | std::ios::trunc) << *it->previous;
          files_[it->path] = {it->previous->size(), it->previous->size()};
        } else {
          fs::remove(it->path, ec);
          files_.erase(it->path);
        }
        ++undone;
      }
    }
    pending_.clear();
    for (auto& [path, st] : files_) {
      std::error_code ec;
      if (!fs::exists(path, ec)) continue;
      const uint64_t on_disk = fs::file_size(path, ec);
      if (on_disk <= st.synced) continue;
      uint64_t keep = st.synced;
      if (rng() % 2) keep += rng() % (on_disk - st.synced + 1);  // a torn tail
      fs::resize_file(path, keep, ec);
      st.size = keep;
      st.synced = keep;
      ++torn;
    }
    summary << undone << " unsynced names undone, " << torn << " files cut back";
    return summary.str();
  }

  // ---- The wrapped operations.
  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    if (auto s = Step(); !s.ok()) return s;
    NoteCreate(name);
    rocksdb::IOStatus s = target()->NewWritableFile(name, options, result, dbg);
    if (s.ok()) *result = std::make_unique<File>(this, name, std::move(*result));
    return s;
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& name,
                                       const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override {
    if (auto s = Step(); !s.ok()) return s;
    rocksdb::IOStatus s = target()->ReopenWritableFile(name, options, result, dbg);
    if (s.ok()) {
      std::lock_guard lock(mu_);
      if (!files_.count(name)) {
        std::error_code ec;
        const uint64_t size = std::filesystem::file_size(name, ec);
        files_[name] = {size, size};
      }
      *result = std::make_unique<File>(this, name, std::move(*result));
    }
    return s;
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string&, const std::string&,
                                      const rocksdb::FileOptions&,
                                      std::unique_ptr<rocksdb::FSWritableFile>*,
                                      rocksdb::IODebugContext*) override {
    return rocksdb::IOStatus::NotSupported("FaultFs: no WAL recycling");
  }
  rocksdb::IOStatus RenameFile(const std::string& from, const std::string& to,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override {
    if (auto s = Step(); !s.ok()) return s;
    {
      std::lock_guard lock(mu_);
      pending_[Parent(to)].push_back({to, Content(to)});
    }
    rocksdb::IOStatus s = target()->RenameFile(from, to, options, dbg);
    if (s.ok()) {
      std::lock_guard lock(mu_);
      auto it = files_.find(from);
      if (it != files_.end()) {
        files_[to] = it->second;
        files_.erase(it);
      } else {
        files_.erase(to);  // not written through us: treat as durable data
      }
    }
    return s;
  }
  rocksdb::IOStatus LinkFile(const std::string& from, const std::string& to,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
    if (auto s = Step(); !s.ok()) return s;
    NoteCreate(to);
    return target()->LinkFile(from, to, options, dbg);
  }
  rocksdb::IOStatus DeleteFile(const std::string& name, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override {
    if (auto s = Step(); !s.ok()) return s;
    rocksdb::IOStatus s = target()->DeleteFile(name, options, dbg);
    if (s.ok()) {
      std::lock_guard lock(mu_);
      files_.erase(name);
      for (auto& [dir, ops] : pending_) std::erase_if(ops, [&](auto& p) { return p.path == name; });
    }
    return s;
  }
  rocksdb::IOStatus NewDirectory(const std::string& name, const rocksdb::IOOptions& options,
                                 std::unique_ptr<rocksdb::FSDirectory>* result,
                                 rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewDirectory(name, options, result, dbg);
    if (s.ok()) *result = std::make_unique<Dir>(this, Normal(name), std::move(*result));
    return s;
  }

 private:
  struct FileState {
    uint64_t size = 0;    // bytes appended through us
    uint64_t synced = 0;  // bytes made durable by Sync/Fsync
  };
  struct PendingName {
    std::string path;                     // created or renamed onto since the folder's fsync
    std::optional<std::string> previous;  // its durable content before, if it existed
  };
  struct Fault {
    Op op;
    FileKind kind;
    rocksdb::IOStatus error;
    int count;
  };

  static std::string Normal(const std::string& p) {
    std::string s = std::filesystem::path(p).lexically_normal().string();
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
  }
  static std::string Parent(const std::string& p) {
    return Normal(std::filesystem::path(p).parent_path().string());
  }
  static bool Matches(FileKind kind, const std::string& name) {
    const std::string base = std::filesystem::path(name).filename().string();
    switch (kind) {
      case FileKind::kAny: return true;
      case FileKind::kWal: return base.ends_with(".log");
      case FileKind::kSst: return base.ends_with(".sst");
      case FileKind::kManifest: return base.starts_with("MANIFEST-");
    }
    return false;
  }
  static std::optional<std::string> Content(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  // One write-side operation: fails once the cut has happened.
  rocksdb::IOStatus Step() {
    std::lock_guard lock(mu_);
    if (ops_ >= cut_after_) return rocksdb::IOStatus::IOError("FaultFs: power cut");
    ++ops_;
    return rocksdb::IOStatus::OK();
  }
  // An injected fault for `op` on `name`, if one is armed.
  rocksdb::IOStatus Injected(Op op, const std::string& name) {
    std::lock_guard lock(mu_);
    if (!fault_ || fault_->op != op || fault_->count <= 0 || !Matches(fault_->kind, name))
      return rocksdb::IOStatus::OK();
    --fault_->count;
    ++injected_;
    return fault_->error;
  }
  void NoteCreate(const std::string& name) {
    std::lock_guard lock(mu_);
    pending_[Parent(name)].push_back({name, Content(name)});
    files_[name] = {};
  }

  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(FaultFs* fs, std::string name, std::unique_ptr<rocksdb::FSWritableFile>&& f)
        : FSWritableFileOwnerWrapper(std::move(f)), fs_(fs), name_(std::move(name)) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* dbg) override {
      if (auto s = Before(Op::kAppend); !s.ok()) return s;
      rocksdb::IOStatus s = target()->Append(data, o, dbg);
      if (s.ok()) Grow(data.size());
      return s;
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                             const rocksdb::DataVerificationInfo& info,
                             rocksdb::IODebugContext* dbg) override {
      if (auto s = Before(Op::kAppend); !s.ok()) return s;
      rocksdb::IOStatus s = target()->Append(data, o, info, dbg);
      if (s.ok()) Grow(data.size());
      return s;
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice&, uint64_t,
                                       const rocksdb::IOOptions&,
                                       rocksdb::IODebugContext*) override {
      return rocksdb::IOStatus::NotSupported("FaultFs: no direct I/O");
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
      if (auto s = Before(Op::kSync); !s.ok()) return s;
      rocksdb::IOStatus s = target()->Sync(o, dbg);
      if (s.ok()) Synced();
      return s;
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
      if (auto s = Before(Op::kSync); !s.ok()) return s;
      rocksdb::IOStatus s = target()->Fsync(o, dbg);
      if (s.ok()) Synced();
      return s;
    }
    rocksdb::IOStatus Close(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
      return target()->Close(o, dbg);  // closing promises nothing and costs nothing here
    }

   private:
    rocksdb::IOStatus Before(Op op) {
      if (auto s = fs_->Step(); !s.ok()) return s;
      return fs_->Injected(op, name_);
    }
    void Grow(size_t n) {
      std::lock_guard lock(fs_->mu_);
      fs_->files_[name_].size += n;
    }
    void Synced() {
      std::lock_guard lock(fs_->mu_);
      auto& st = fs_->files_[name_];
      st.synced = st.size;
    }
    FaultFs* fs_;
    std::string name_;
  };

  class Dir : public rocksdb::FSDirectoryWrapper {
   public:
    Dir(FaultFs* fs, std::string name, std::unique_ptr<rocksdb::FSDirectory>&& d)
        : FSDirectoryWrapper(std::move(d)), fs_(fs), name_(std::move(name)) {}
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
      if (auto c = Before(); !c.ok()) return c;
      return Done(FSDirectoryWrapper::Fsync(o, dbg));
    }
    rocksdb::IOStatus FsyncWithDirOptions(const rocksdb::IOOptions& o,
                                          rocksdb::IODebugContext* dbg,
                                          const rocksdb::DirFsyncOptions& d) override {
      if (auto c = Before(); !c.ok()) return c;
      return Done(FSDirectoryWrapper::FsyncWithDirOptions(o, dbg, d));
    }

   private:
    rocksdb::IOStatus Before() {
      if (auto c = fs_->Step(); !c.ok()) return c;
      return fs_->Injected(Op::kDirFsync, name_);
    }
    rocksdb::IOStatus Done(rocksdb::IOStatus s) {
      if (s.ok()) {
        std::lock_guard lock(fs_->mu_);
        fs_->pending_.erase(name_);
      }
      return s;
    }
    FaultFs* fs_;
    std::string name_;
  };

  mutable std::mutex mu_;
  uint64_t ops_ = 0;                  // guarded by mu_
  uint64_t cut_after_ = UINT64_MAX;   // guarded by mu_
  std::map<std::string, FileState> files_;                  // guarded by mu_
  std::map<std::string, std::vector<PendingName>> pending_;  // guarded by mu_; by folder
  std::optional<Fault> fault_;        // guarded by mu_
  int injected_ = 0;                  // guarded by mu_
};

}  // namespace bukong::storage::testing

#endif  // BUKONG_TESTS_STORAGE_FAULT_FS_H_
