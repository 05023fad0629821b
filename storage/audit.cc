// The audit log: append (chained, synced), read, verify. Encodings in docs/storage.md.
#include <fmt/format.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <map>
#include <cstdint>
#include <vector>

#include "core/status_macros.h"
#include "storage/internal/encoding.h"
#include "storage/internal/rocks_status.h"
#include "storage/internal/store_impl.h"
#include "storage/store.h"

namespace bukong::storage {

using internal::FromRocks;

void AuditBatch::Add(std::string_view declaration_id, std::string_view enterprise,
                     std::string_view declaration, const Profile* profile,
                     std::string_view ruleset_sha256, std::string_view key_id,
                     std::string_view decision, std::span<const BoundListVersion> lists) {
  Entry e;
  e.body_begin = bodies_.size();
  const internal::AuditBodyOffsets at =
      internal::AppendAuditBody(bodies_, declaration_id, enterprise, declaration, profile,
                                ruleset_sha256, key_id, decision, lists);
  e.body_end = bodies_.size();
  e.id_begin = at.declaration_id;
  e.id_size = declaration_id.size();
  e.enterprise_begin = at.enterprise;
  e.enterprise_size = enterprise.size();
  entries_.push_back(e);
}

absl::StatusOr<AuditRange> Store::AppendAudit(std::span<const AuditRecord> records) {
  AuditBatch batch;
  for (const auto& r : records) batch.Add(r);
  return AppendAudit(batch);
}

absl::StatusOr<AuditRange> Store::AppendAudit(const AuditBatch& records) {
  BUKONG_ASSIGN_OR_RETURN(AuditRange range, WriteAudit(records));
  // Synced outside the write lock, so that concurrent appenders share fsyncs (group sync)
  // while the next batch is being written. The WAL is one sequential log: when this batch
  // is on disk, so is every batch written before it, and recovery replays a prefix of the
  // log, so a crash can lose only unacknowledged batches at the end, never leave a hole.
  BUKONG_RETURN_IF_ERROR(SyncAudit());
  return range;
}

absl::Status Store::SyncAudit() {
  BUKONG_RETURN_IF_ERROR(impl_->CheckWritable());
  // What this sync covers: every batch whose WriteAudit returned before it started.
  internal::AnchorValue covered;
  {
    std::lock_guard lock(impl_->write_mu);
    covered = {impl_->head_seq, impl_->head_hash};
  }
  if (!impl_->options.testing.skip_audit_sync) {
    BUKONG_RETURN_IF_ERROR(
        impl_->Fail(FromRocks(impl_->db->SyncWAL(), "syncing audit records")));
  }
  // Only now, with the records on disk, may the anchor claim them (anchor.h); a crash
  // between the two leaves the anchor behind the log, never ahead of it.
  return impl_->Fail(impl_->anchor->Advance(covered));
}

absl::StatusOr<AuditRange> Store::WriteAudit(const AuditBatch& records) {
  BUKONG_RETURN_IF_ERROR(impl_->CheckWritable());
  const std::string_view bodies = records.bodies_;
  size_t index_bytes = 0;
  for (const auto& e : records.entries_) {
    if (e.id_size == 0) {
      return absl::InvalidArgumentError("an audit record needs a non-empty declaration id");
    }
    index_bytes += 2 * e.id_size + 8 + e.enterprise_size + 10 + 8;
  }
  // The `decided` entries go into the batch in declaration-id order (stable: a repeated id
  // keeps its order, so its latest record still wins). A skiplist insert next to the
  // previous one is found from that one's position instead of from the top of a memtable
  // holding ~10^6 random ids; this halves the cost of those inserts, the largest single
  // item of an append (docs/PERFORMANCE.md).
  std::vector<uint32_t> by_id(records.entries_.size());
  for (uint32_t i = 0; i < by_id.size(); ++i) by_id[i] = i;
  auto id_of = [&](uint32_t i) {
    const auto& e = records.entries_[i];
    return bodies.substr(e.id_begin, e.id_size);
  };
  std::stable_sort(by_id.begin(), by_id.end(),
                   [&](uint32_t a, uint32_t b) { return id_of(a) < id_of(b); });
  // The `by_id` entries (lp(id) || BE64(seq)) sort by id length first: the same order when
  // every id has one length (generated traffic), else sorted again for the same reason.
  auto by_length_then_id = [&](uint32_t a, uint32_t b) {
    const std::string_view x = id_of(a), y = id_of(b);
    return x.size() != y.size() ? x.size() < y.size() : x < y;
  };
  std::vector<uint32_t> by_key;
  if (!std::is_sorted(by_id.begin(), by_id.end(), by_length_then_id)) {
    by_key = by_id;
    std::stable_sort(by_key.begin(), by_key.end(), by_length_then_id);
  }
  const std::vector<uint32_t>& by_id_key_order = by_key.empty() ? by_id : by_key;

  uint64_t first, seq;
  {
    std::lock_guard lock(impl_->write_mu);
    first = impl_->head_seq + 1;
    if (records.empty()) return AuditRange{first, impl_->head_seq};
    // Room for everything up front: the batch is one string that would otherwise be copied
    // as it doubles (~8 MB for 8192 records). 24 bytes per Put cover RocksDB's tag, column
    // family and two varint lengths.
    rocksdb::WriteBatch batch(bodies.size() + index_bytes +
                              records.entries_.size() * (3 * 24 + 8 + 32) + 128);
    Sha256Digest hash = impl_->head_hash;
    seq = impl_->head_seq;
    char key[8];
    for (const auto& e : records.entries_) {
      ++seq;
      const std::string_view body = bodies.substr(e.body_begin, e.body_end - e.body_begin);
      hash = internal::ChainHash(hash, seq, body);
      internal::WriteBigEndian64(key, seq);
      const rocksdb::Slice key_part(key, 8);
      const rocksdb::Slice value_parts[2] = {rocksdb::Slice(body.data(), body.size()),
                                             rocksdb::Slice(internal::AsView(hash).data(), 32)};
      batch.Put(impl_->audit, rocksdb::SliceParts(&key_part, 1),
                rocksdb::SliceParts(value_parts, 2));
    }
    for (uint32_t i : by_id) {
      const auto& e = records.entries_[i];
      internal::WriteBigEndian64(key, first + i);
      const rocksdb::Slice key_part(bodies.data() + e.id_begin, e.id_size);
      const rocksdb::Slice value_parts[2] = {
          rocksdb::Slice(key, 8),
          rocksdb::Slice(bodies.data() + e.enterprise_begin, e.enterprise_size)};
      batch.Put(impl_->decided, rocksdb::SliceParts(&key_part, 1),
                rocksdb::SliceParts(value_parts, 2));
    }
    // Every record's by_id entry, in the same atomic write: the index of all decisions can
    // never disagree with the log, whatever is lost in a crash.
    const rocksdb::Slice no_value;
    for (uint32_t i : by_id_key_order) {
      const auto& e = records.entries_[i];
      char length[10];
      internal::WriteBigEndian64(key, first + i);
      const rocksdb::Slice key_parts[3] = {
          rocksdb::Slice(length, internal::ByIdKeyPrefix(length, e.id_size)),
          rocksdb::Slice(bodies.data() + e.id_begin, e.id_size), rocksdb::Slice(key, 8)};
      batch.Put(impl_->by_id, rocksdb::SliceParts(key_parts, 3),
                rocksdb::SliceParts(&no_value, 1));
    }
    batch.Put(impl_->meta, std::string(internal::kMetaChainHead),
              internal::EncodeChainHead(seq, hash));
    // Written to the WAL (in the operating system's hands, not yet synced) in chain order
    // under the lock.
    rocksdb::Status s = impl_->db->Write(rocksdb::WriteOptions(), &batch);
    if (!s.ok()) return impl_->Fail(FromRocks(s, "writing audit records"));
    impl_->head_seq = seq;
    impl_->head_hash = hash;
  }
  return AuditRange{first, seq};
}

ChainHead Store::Head() const {
  std::lock_guard lock(impl_->write_mu);
  return ChainHead{impl_->head_seq, ToHex(impl_->head_hash)};
}

namespace {

absl::StatusOr<AuditEntry> DecodeEntry(uint64_t seq, std::string_view value) {
  if (value.size() < 32) {
    return absl::DataLossError(fmt::format("audit record {} is too short", seq));
  }
  auto record = internal::DecodeAuditBody(value.substr(0, value.size() - 32));
  if (!record.ok()) {
    return absl::DataLossError(
        fmt::format("audit record {}: {}", seq, std::string(record.status().message())));
  }
  return AuditEntry{seq, *std::move(record), ToHex(value.substr(value.size() - 32))};
}

}  // namespace

absl::StatusOr<std::optional<AuditEntry>> Store::GetAudit(uint64_t seq) const {
  std::string value;
  rocksdb::Status s =
      impl_->db->Get(rocksdb::ReadOptions(), impl_->audit, internal::EncodeAuditKey(seq), &value);
  if (s.IsNotFound()) return std::optional<AuditEntry>();
  if (!s.ok()) return FromRocks(s, "reading the audit log");
  BUKONG_ASSIGN_OR_RETURN(AuditEntry e, DecodeEntry(seq, value));
  return std::optional<AuditEntry>(std::move(e));
}

absl::Status Store::ScanAudit(uint64_t from, uint64_t to,
                              const std::function<absl::Status(const AuditEntry&)>& visit) const {
  if (from > to) return absl::OkStatus();
  rocksdb::ReadOptions read_options;
  read_options.readahead_size = size_t{2} << 20;  // sequential scan
  read_options.fill_cache = false;                // a replay must not evict the profiles
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(read_options, impl_->audit));
  for (it->Seek(internal::EncodeAuditKey(from)); it->Valid(); it->Next()) {
    if (it->key().size() != 8) return absl::DataLossError("audit log holds a malformed key");
    const uint64_t seq = internal::ReadBigEndian64(it->key().ToStringView());
    if (seq > to) break;
    BUKONG_ASSIGN_OR_RETURN(AuditEntry e, DecodeEntry(seq, it->value().ToStringView()));
    BUKONG_RETURN_IF_ERROR(visit(e));
  }
  return FromRocks(it->status(), "reading the audit log");
}

absl::StatusOr<std::vector<ChainProblem>> Store::VerifyChain(uint64_t from, uint64_t to) const {
  std::vector<ChainProblem> problems;
  if (from == 0) from = 1;
  uint64_t head_seq;
  Sha256Digest head_hash;
  {
    std::lock_guard lock(impl_->write_mu);
    head_seq = impl_->head_seq;
    head_hash = impl_->head_hash;
  }
  if (from > to) return problems;

  // The hash the record `from` must chain from: the empty chain's zeros, or the stored hash
  // of record from-1 (a verification of a sub-range trusts its anchor).
  Sha256Digest prev{};
  bool prev_known = true;
  if (from > 1) {
    std::string value;
    rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), impl_->audit,
                                       internal::EncodeAuditKey(from - 1), &value);
    if (s.ok() && value.size() >= 32) {
      std::copy(value.end() - 32, value.end(), prev.begin());
    } else if (s.ok() || s.IsNotFound()) {
      prev_known = false;
      problems.push_back({from - 1, fmt::format("record {} (the anchor of the range) is {}",
                                                from - 1, s.ok() ? "too short" : "missing")});
    } else {
      return FromRocks(s, "reading the audit log");
    }
  }

  // Ranges lost to damage and skipped by Store::Salvage: first -> (last, acknowledged hash
  // of last, when). They are reported by name, and the chain continues from that hash.
  struct Lost {
    uint64_t last;
    Sha256Digest hash;
    std::string when;
  };
  std::map<uint64_t, Lost> lost;
  {
    std::unique_ptr<rocksdb::Iterator> m(impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->meta));
    for (m->Seek(internal::kMetaLostPrefix); m->Valid(); m->Next()) {
      const std::string_view k = m->key().ToStringView(), v = m->value().ToStringView();
      if (!k.starts_with(internal::kMetaLostPrefix)) break;
      if (k.size() != internal::kMetaLostPrefix.size() + 8 || v.size() < 8 + 32) {
        problems.push_back({0, "the record of a salvage is malformed"});
        continue;
      }
      Lost l{internal::ReadBigEndian64(v.substr(0, 8)), {}, std::string(v.substr(40))};
      std::copy(v.begin() + 8, v.begin() + 40, l.hash.begin());
      lost[internal::ReadBigEndian64(k.substr(internal::kMetaLostPrefix.size()))] = l;
    }
    if (!m->status().ok()) return FromRocks(m->status(), "reading the salvage records");
  }
  // Reports expected..until as lost when a salvage recorded exactly that; then `prev` is
  // the acknowledged hash the chain continues from.
  auto salvaged = [&](uint64_t first, uint64_t until) {
    auto l = lost.find(first);
    if (l == lost.end() || l->second.last != until) return false;
    problems.push_back({first, fmt::format("records {}..{} were lost to a damaged log and "
                                           "skipped by `bukong audit salvage` at {}",
                                           first, until, l->second.when)});
    prev = l->second.hash;
    prev_known = true;
    return true;
  };

  rocksdb::ReadOptions read_options;
  read_options.readahead_size = size_t{2} << 20;
  read_options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(read_options, impl_->audit));
  uint64_t expected = from;
  for (it->Seek(internal::EncodeAuditKey(from)); it->Valid(); it->Next()) {
    if (it->key().size() != 8) {
      problems.push_back({expected, "the audit log holds a key that is not a sequence number"});
      continue;
    }
    const uint64_t seq = internal::ReadBigEndian64(it->key().ToStringView());
    if (seq > to) break;
    if (seq > expected && !salvaged(expected, seq - 1)) {
      problems.push_back(
          {expected, seq - 1 == expected
                         ? fmt::format("record {} is missing", expected)
                         : fmt::format("records {}..{} are missing", expected, seq - 1)});
    }
    const std::string_view value = it->value().ToStringView();
    if (value.size() < 32) {
      problems.push_back({seq, fmt::format("record {} is too short to hold its chain hash", seq)});
      prev_known = false;
      expected = seq + 1;
      continue;
    }
    const std::string_view body = value.substr(0, value.size() - 32);
    Sha256Digest stored;
    std::copy(value.end() - 32, value.end(), stored.begin());
    if (prev_known && internal::ChainHash(prev, seq, body) != stored) {
      problems.push_back(
          {seq, fmt::format("record {} does not match its chain hash (changed, moved, "
                            "or the record before it was changed or removed)",
                            seq)});
    } else if (!internal::DecodeAuditBody(body).ok()) {
      problems.push_back({seq, fmt::format("record {} does not decode", seq)});
    }
    // Chain on from the stored hash, so one altered record is reported once, not as a
    // cascade over every later record.
    prev = stored;
    prev_known = true;
    expected = seq + 1;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading the audit log");

  // The tail: the last record must be the chain head recorded with it.
  if (to >= head_seq) {
    const uint64_t last = expected - 1;
    if (last < head_seq && salvaged(expected, head_seq)) {
      if (prev != head_hash) {
        problems.push_back({head_seq, fmt::format("the chain head does not match the salvaged "
                                                  "record {}",
                                                  head_seq)});
      }
    } else if (last < head_seq) {
      problems.push_back(
          {expected, expected == head_seq
                         ? fmt::format("record {} (the chain head) is missing", expected)
                         : fmt::format("records {}..{} (up to the chain head) are missing",
                                       expected, head_seq)});
    } else if (last > head_seq) {
      problems.push_back(
          {head_seq + 1,
           fmt::format("records after the chain head ({}) exist up to {}", head_seq, last)});
    } else if (last > 0 && prev != head_hash) {
      problems.push_back({last, fmt::format("record {} does not match the chain head", last)});
    }
  }
  return problems;
}

}  // namespace bukong::storage
