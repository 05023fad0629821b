// Lists and their versions in the `lists` column family (storage/lists.h, docs/storage.md).
#include "storage/lists.h"

#include <fmt/format.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <memory>
#include <mutex>

#include "core/sha256.h"
#include "core/status_macros.h"
#include "storage/internal/encoding.h"
#include "storage/internal/rocks_status.h"
#include "storage/internal/store_impl.h"

namespace bukong::storage {

using internal::FromRocks;

namespace {

// Key prefixes inside the `lists` column family.
constexpr char kCurrentPrefix = 'N';  // 'N' name                  -> current version
constexpr char kHistoryPrefix = 'H';  // 'H' name 0x00 BE64(i)     -> i-th version (from 1)
constexpr char kVersionPrefix = 'V';  // 'V' digest(32)            -> entries, chunks
constexpr char kChunkPrefix = 'E';    // 'E' digest(32) BE64(c)    -> lp(entry) ...
constexpr uint8_t kListFormat = 1;
// Entries are stored in chunks of about this many bytes: a 1,000,000-entry list is a few
// hundred values, read back in order without a key per entry.
constexpr size_t kChunkBytes = 64 * 1024;

bool IsIdentifier(std::string_view s) {
  auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (s.empty() || !alpha(s[0])) return false;
  return std::all_of(s.begin() + 1, s.end(),
                     [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

std::string CurrentKey(std::string_view name) {
  std::string k(1, kCurrentPrefix);
  k += name;
  return k;
}
std::string HistoryPrefix(std::string_view name) {
  std::string k(1, kHistoryPrefix);
  k += name;
  k += '\0';
  return k;
}
std::string VersionKey(std::string_view raw_digest) {
  std::string k(1, kVersionPrefix);
  k += raw_digest;
  return k;
}
std::string ChunkKey(std::string_view raw_digest, uint64_t chunk) {
  std::string k(1, kChunkPrefix);
  k += raw_digest;
  internal::PutBigEndian64(k, chunk);
  return k;
}

absl::StatusOr<std::string> RawDigest(std::string_view hex) {
  auto raw = internal::FromHex(hex);
  if (!raw || raw->size() != 32 || hex != ToHex(*raw)) {
    return absl::InvalidArgumentError(
        fmt::format("'{}' is not a list version (64 lower-case hex digits)", hex));
  }
  return *std::move(raw);
}

std::string EncodeCurrent(const ListInfo& l, std::string_view raw_digest) {
  std::string v(1, static_cast<char>(kListFormat));
  internal::PutLengthPrefixed(v, l.type);
  v += raw_digest;
  internal::PutVarint64(v, l.entries);
  internal::PutVarint64(v, internal::ZigZag(l.imported_at_unix));
  internal::PutVarint64(v, l.versions);
  return v;
}

absl::StatusOr<ListInfo> DecodeCurrent(std::string_view name, std::string_view value) {
  internal::Decoder d(value);
  uint8_t format = 0;
  std::string_view type, raw;
  uint64_t entries = 0, at = 0, versions = 0;
  if (!d.GetByte(format) || format != kListFormat || !d.GetLengthPrefixed(type) ||
      !d.GetBytes(32, raw) || !d.GetVarint64(entries) || !d.GetVarint64(at) ||
      !d.GetVarint64(versions) || !d.done()) {
    return absl::DataLossError(fmt::format("the record of list '{}' does not decode", name));
  }
  return ListInfo{std::string(name), std::string(type), ToHex(raw), entries,
                  internal::UnZigZag(at), versions};
}

std::string EncodeHistory(std::string_view raw_digest, uint64_t entries, int64_t at) {
  std::string v(1, static_cast<char>(kListFormat));
  v += raw_digest;
  internal::PutVarint64(v, entries);
  internal::PutVarint64(v, internal::ZigZag(at));
  return v;
}

struct VersionRecord {
  uint64_t entries = 0;
  uint64_t chunks = 0;
};

absl::StatusOr<VersionRecord> DecodeVersion(std::string_view hex, std::string_view value) {
  internal::Decoder d(value);
  uint8_t format = 0;
  VersionRecord r;
  if (!d.GetByte(format) || format != kListFormat || !d.GetVarint64(r.entries) ||
      !d.GetVarint64(r.chunks) || !d.done()) {
    return absl::DataLossError(fmt::format("the record of list version {} does not decode", hex));
  }
  return r;
}

absl::StatusOr<std::optional<VersionRecord>> ReadVersion(const Store::Impl& impl,
                                                         std::string_view hex,
                                                         std::string_view raw) {
  if (!impl.lists) return std::optional<VersionRecord>();
  std::string value;
  rocksdb::Status s = impl.db->Get(rocksdb::ReadOptions(), impl.lists, VersionKey(raw), &value);
  if (s.IsNotFound()) return std::optional<VersionRecord>();
  if (!s.ok()) return FromRocks(s, "reading a list version");
  BUKONG_ASSIGN_OR_RETURN(VersionRecord r, DecodeVersion(hex, value));
  return std::optional<VersionRecord>(r);
}

// Iterates the keys that start with `prefix`.
absl::Status ScanPrefix(const Store::Impl& impl, const std::string& prefix,
                        const std::function<absl::Status(std::string_view key,
                                                         std::string_view value)>& visit) {
  if (!impl.lists) return absl::OkStatus();
  std::unique_ptr<rocksdb::Iterator> it(impl.db->NewIterator(rocksdb::ReadOptions(), impl.lists));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    BUKONG_RETURN_IF_ERROR(visit(it->key().ToStringView(), it->value().ToStringView()));
  }
  return FromRocks(it->status(), "reading lists");
}

}  // namespace

absl::StatusOr<ListImportResult> ImportList(Store& store, const ListImport& in) {
  Store::Impl& impl = StoreInternals::Of(store);
  BUKONG_RETURN_IF_ERROR(impl.CheckWritable());
  if (!IsIdentifier(in.name)) {
    return absl::InvalidArgumentError(fmt::format(
        "'{}' is not a list name: a list name is an identifier ([A-Za-z_][A-Za-z0-9_]*)",
        in.name));
  }
  if (in.type.empty()) return absl::InvalidArgumentError("a list needs a type");
  BUKONG_ASSIGN_OR_RETURN(const std::string raw, RawDigest(in.digest));
  for (size_t i = 1; i < in.entries.size(); ++i) {
    if (!(in.entries[i - 1] < in.entries[i])) {
      return absl::InvalidArgumentError("list entries must be distinct and sorted");
    }
  }
  if (!impl.lists) {
    return absl::DataLossError(fmt::format("{} has no lists column family", impl.dir));
  }

  std::lock_guard lock(impl.write_mu);
  BUKONG_ASSIGN_OR_RETURN(std::optional<ListInfo> current, GetList(store, in.name));
  if (current && current->type != in.type) {
    return absl::FailedPreconditionError(
        fmt::format("list '{}' is a list of {}; it cannot take entries of type {}", in.name,
                    current->type, in.type));
  }
  if (current && current->digest == in.digest) return ListImportResult{false, *current};

  rocksdb::WriteBatch batch;
  BUKONG_ASSIGN_OR_RETURN(std::optional<VersionRecord> stored, ReadVersion(impl, in.digest, raw));
  if (!stored) {
    VersionRecord record{in.entries.size(), 0};
    std::string chunk;
    auto flush = [&] {
      batch.Put(impl.lists, ChunkKey(raw, record.chunks++), chunk);
      chunk.clear();
    };
    for (const std::string& e : in.entries) {
      internal::PutLengthPrefixed(chunk, e);
      if (chunk.size() >= kChunkBytes) flush();
    }
    if (!chunk.empty()) flush();
    std::string value(1, static_cast<char>(kListFormat));
    internal::PutVarint64(value, record.entries);
    internal::PutVarint64(value, record.chunks);
    batch.Put(impl.lists, VersionKey(raw), value);
  } else if (stored->entries != in.entries.size()) {
    return absl::DataLossError(fmt::format(
        "list version {} is stored with {} entries, not {}", in.digest, stored->entries,
        in.entries.size()));
  }
  ListInfo next{in.name, in.type, in.digest, in.entries.size(), in.imported_at_unix,
                current ? current->versions + 1 : 1};
  std::string history_key = HistoryPrefix(in.name);
  internal::PutBigEndian64(history_key, next.versions);
  batch.Put(impl.lists, history_key, EncodeHistory(raw, next.entries, next.imported_at_unix));
  batch.Put(impl.lists, CurrentKey(in.name), EncodeCurrent(next, raw));
  rocksdb::WriteOptions synced;
  synced.sync = true;
  rocksdb::Status s = impl.db->Write(synced, &batch);
  if (!s.ok()) return FromRocks(s, fmt::format("writing list '{}'", in.name));
  return ListImportResult{true, std::move(next)};
}

absl::StatusOr<std::optional<ListInfo>> GetList(const Store& store, std::string_view name) {
  const Store::Impl& impl = StoreInternals::Of(store);
  if (!impl.lists) return std::optional<ListInfo>();
  std::string value;
  rocksdb::Status s = impl.db->Get(rocksdb::ReadOptions(), impl.lists, CurrentKey(name), &value);
  if (s.IsNotFound()) return std::optional<ListInfo>();
  if (!s.ok()) return FromRocks(s, fmt::format("reading list '{}'", name));
  BUKONG_ASSIGN_OR_RETURN(ListInfo info, DecodeCurrent(name, value));
  return std::optional<ListInfo>(std::move(info));
}

absl::StatusOr<std::vector<ListInfo>> ListLists(const Store& store) {
  std::vector<ListInfo> out;
  BUKONG_RETURN_IF_ERROR(ScanPrefix(
      StoreInternals::Of(store), std::string(1, kCurrentPrefix),
      [&](std::string_view key, std::string_view value) -> absl::Status {
        BUKONG_ASSIGN_OR_RETURN(ListInfo info, DecodeCurrent(key.substr(1), value));
        out.push_back(std::move(info));
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<std::vector<ListVersionInfo>> ListHistory(const Store& store,
                                                         std::string_view name) {
  std::vector<ListVersionInfo> out;
  BUKONG_RETURN_IF_ERROR(ScanPrefix(
      StoreInternals::Of(store), HistoryPrefix(name),
      [&](std::string_view, std::string_view value) -> absl::Status {
        internal::Decoder d(value);
        uint8_t format = 0;
        std::string_view raw;
        uint64_t entries = 0, at = 0;
        if (!d.GetByte(format) || format != kListFormat || !d.GetBytes(32, raw) ||
            !d.GetVarint64(entries) || !d.GetVarint64(at) || !d.done()) {
          return absl::DataLossError(
              fmt::format("the history of list '{}' does not decode", name));
        }
        out.push_back({ToHex(raw), entries, internal::UnZigZag(at)});
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<std::optional<uint64_t>> GetListVersion(const Store& store,
                                                       std::string_view digest) {
  BUKONG_ASSIGN_OR_RETURN(const std::string raw, RawDigest(digest));
  BUKONG_ASSIGN_OR_RETURN(std::optional<VersionRecord> r,
                          ReadVersion(StoreInternals::Of(store), digest, raw));
  if (!r) return std::optional<uint64_t>();
  return std::optional<uint64_t>(r->entries);
}

absl::Status ScanListVersion(const Store& store, std::string_view digest,
                             const std::function<void(std::string_view entry)>& visit) {
  const Store::Impl& impl = StoreInternals::Of(store);
  BUKONG_ASSIGN_OR_RETURN(const std::string raw, RawDigest(digest));
  BUKONG_ASSIGN_OR_RETURN(std::optional<VersionRecord> r, ReadVersion(impl, digest, raw));
  if (!r) {
    return absl::NotFoundError(fmt::format("list version {} is not in the database", digest));
  }
  auto damaged = [&](std::string_view what) {
    return absl::DataLossError(fmt::format("list version {}: {}", digest, what));
  };
  Sha256Hasher hasher;
  uint64_t seen = 0;
  std::string value, hashed;
  for (uint64_t c = 0; c < r->chunks; ++c) {
    rocksdb::Status s = impl.db->Get(rocksdb::ReadOptions(), impl.lists, ChunkKey(raw, c), &value);
    if (s.IsNotFound()) return damaged(fmt::format("chunk {} is missing", c));
    if (!s.ok()) return FromRocks(s, "reading a list version");
    internal::Decoder d(value);
    hashed.clear();
    while (!d.done()) {
      std::string_view entry;
      if (!d.GetLengthPrefixed(entry)) return damaged("an entry does not decode");
      hashed += entry;
      hashed += '\n';
      ++seen;
      visit(entry);
    }
    hasher.Update(hashed);  // one call per chunk: a million small calls cost more
  }
  if (seen != r->entries) {
    return damaged(fmt::format("{} entries stored, {} recorded", seen, r->entries));
  }
  if (ToHex(hasher.Finish()) != digest) return damaged("its entries do not match its digest");
  return absl::OkStatus();
}

}  // namespace bukong::storage
