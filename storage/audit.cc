// The audit log: append (chained, synced), read, verify. Encodings in docs/storage.md.
#include <fmt/format.h>
#include <rocksdb/write_batch.h>

#include "core/status_macros.h"
#include "storage/internal/encoding.h"
#include "storage/internal/rocks_status.h"
#include "storage/internal/store_impl.h"
#include "storage/store.h"

namespace bukong::storage {

using internal::FromRocks;

absl::StatusOr<AuditRange> Store::AppendAudit(std::span<const AuditRecord> records) {
  BUKONG_RETURN_IF_ERROR(impl_->CheckWritable());
  for (const auto& r : records) {
    if (r.declaration_id.empty()) {
      return absl::InvalidArgumentError("an audit record needs a non-empty declaration id");
    }
  }
  uint64_t first, seq;
  {
    std::lock_guard lock(impl_->write_mu);
    first = impl_->head_seq + 1;
    if (records.empty()) return AuditRange{first, impl_->head_seq};
    rocksdb::WriteBatch batch;
    Sha256Digest hash = impl_->head_hash;
    seq = impl_->head_seq;
    std::string value;
    for (const auto& r : records) {
      ++seq;
      value = internal::EncodeAuditBody(r);
      hash = internal::ChainHash(hash, seq, value);
      value.append(internal::AsView(hash));
      batch.Put(impl_->audit, internal::EncodeAuditKey(seq), value);
      batch.Put(impl_->decided, r.declaration_id, internal::EncodeDecisionRef(seq, r.enterprise));
    }
    batch.Put(impl_->meta, std::string(internal::kMetaChainHead),
              internal::EncodeChainHead(seq, hash));
    // Written to the WAL (in the operating system's hands) in chain order under the lock...
    rocksdb::Status s = impl_->db->Write(rocksdb::WriteOptions(), &batch);
    if (!s.ok()) return FromRocks(s, "writing audit records");
    impl_->head_seq = seq;
    impl_->head_hash = hash;
  }
  // ...and synced outside it, so that concurrent appenders share fsyncs (group sync) while
  // the next batch is being encoded. The WAL is one sequential log: when this batch is on
  // disk, so is every batch written before it, and recovery replays a prefix of the log, so
  // a crash can lose only unacknowledged batches at the end, never leave a hole.
  rocksdb::Status s = impl_->db->SyncWAL();
  if (!s.ok()) return FromRocks(s, "syncing audit records");
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
    if (seq > expected) {
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
    if (last < head_seq) {
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
