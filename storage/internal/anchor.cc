#include "storage/internal/anchor.h"

#include <fmt/format.h>

#include <charconv>

#include "storage/internal/encoding.h"
#include "storage/internal/rocks_status.h"

namespace bukong::storage::internal {

namespace {

constexpr std::string_view kMagic = "bukong-audit-anchor 1 ";

absl::Status FromIo(const rocksdb::IOStatus& s, std::string_view what) {
  return FromRocks(rocksdb::Status(s), what);
}

}  // namespace

absl::StatusOr<std::optional<AnchorValue>> ReadAnchor(rocksdb::FileSystem& fs,
                                                      const std::string& dir) {
  const std::string path = dir + "/" + kAnchorFileName;
  rocksdb::IOStatus exists = fs.FileExists(path, rocksdb::IOOptions(), nullptr);
  if (exists.IsNotFound()) return std::optional<AnchorValue>();
  if (!exists.ok()) return FromIo(exists, fmt::format("reading {}", path));
  std::string text;
  rocksdb::IOStatus s = rocksdb::ReadFileToString(&fs, path, &text);
  if (!s.ok()) return FromIo(s, fmt::format("reading {}", path));
  auto bad = [&] {
    return absl::DataLossError(fmt::format(
        "{}: the audit anchor is malformed (expected \"bukong-audit-anchor 1 SEQ HASH\")", path));
  };
  if (text.size() < kMagic.size() || text.compare(0, kMagic.size(), kMagic) != 0) return bad();
  std::string_view rest = std::string_view(text).substr(kMagic.size());
  AnchorValue v;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v.seq);
  if (ec != std::errc() || end == rest.data()) return bad();
  rest.remove_prefix(end - rest.data());
  if (rest.size() != 1 + 64 + 1 || rest[0] != ' ' || rest.back() != '\n') return bad();
  auto raw = FromHex(rest.substr(1, 64));
  if (!raw || raw->size() != 32) return bad();
  std::copy(raw->begin(), raw->end(), v.hash.begin());
  return std::optional<AnchorValue>(v);
}

absl::Status WriteAnchor(rocksdb::FileSystem& fs, const std::string& dir,
                         const AnchorValue& value) {
  const std::string path = dir + "/" + kAnchorFileName;
  const std::string tmp = path + ".tmp";
  const std::string line =
      fmt::format("{}{} {}\n", kMagic, value.seq, ToHex(value.hash));
  rocksdb::IOOptions io;
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus s = fs.NewWritableFile(tmp, rocksdb::FileOptions(), &file, nullptr);
  if (s.ok()) s = file->Append(line, io, nullptr);
  if (s.ok()) s = file->Sync(io, nullptr);
  if (s.ok()) s = file->Close(io, nullptr);
  if (!s.ok()) return FromIo(s, fmt::format("writing {}", tmp));
  file.reset();
  s = fs.RenameFile(tmp, path, io, nullptr);
  if (!s.ok()) return FromIo(s, fmt::format("renaming {} to {}", tmp, path));
  std::unique_ptr<rocksdb::FSDirectory> folder;
  s = fs.NewDirectory(dir, io, &folder, nullptr);
  if (s.ok()) s = folder->FsyncWithDirOptions(io, nullptr, rocksdb::DirFsyncOptions(path));
  if (s.ok()) s = folder->Close(io, nullptr);
  if (!s.ok()) return FromIo(s, fmt::format("syncing the folder {}", dir));
  return absl::OkStatus();
}

absl::Status Anchor::Advance(const AnchorValue& to) {
  std::lock_guard lock(mu_);
  if (to.seq <= at_.seq) return absl::OkStatus();
  if (absl::Status s = WriteAnchor(*fs_, dir_, to); !s.ok()) return s;
  at_ = to;
  return absl::OkStatus();
}

}  // namespace bukong::storage::internal
