// The audit log as bytes (storage/audit_export.h).
#include "storage/audit_export.h"

#include <fmt/format.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <memory>

#include "core/status_macros.h"
#include "storage/internal/encoding.h"
#include "storage/internal/rocks_status.h"
#include "storage/internal/store_impl.h"
#include "storage/store.h"

namespace bukong::storage {

absl::Status ScanAuditChain(const Store& store, uint64_t from, uint64_t to,
                            const std::function<absl::Status(const ChainLink&)>& visit) {
  if (from == 0) from = 1;
  if (from > to) return absl::OkStatus();
  const Store::Impl& impl = StoreInternals::Of(store);
  ChainLink link;
  if (from > 1) {
    std::string value;
    rocksdb::Status s = impl.db->Get(rocksdb::ReadOptions(), impl.audit,
                                     internal::EncodeAuditKey(from - 1), &value);
    if (s.IsNotFound() || (s.ok() && value.size() < 32)) {
      return absl::DataLossError(fmt::format(
          "record {} is {}, so the hash that record {} chains from is unknown", from - 1,
          s.ok() ? "too short" : "missing", from));
    }
    if (!s.ok()) return internal::FromRocks(s, "reading the audit log");
    std::copy(value.end() - 32, value.end(), link.prev.begin());
  }
  rocksdb::ReadOptions read_options;
  read_options.readahead_size = size_t{2} << 20;  // sequential scan
  read_options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(impl.db->NewIterator(read_options, impl.audit));
  for (it->Seek(internal::EncodeAuditKey(from)); it->Valid(); it->Next()) {
    if (it->key().size() != 8) return absl::DataLossError("the audit log holds a malformed key");
    link.seq = internal::ReadBigEndian64(it->key().ToStringView());
    if (link.seq > to) break;
    const std::string_view value = it->value().ToStringView();
    if (value.size() < 32) {
      return absl::DataLossError(
          fmt::format("record {} is too short to hold its chain hash", link.seq));
    }
    link.body = value.substr(0, value.size() - 32);
    std::copy(value.end() - 32, value.end(), link.hash.begin());
    BUKONG_RETURN_IF_ERROR(visit(link));
    link.prev = link.hash;
  }
  return internal::FromRocks(it->status(), "reading the audit log");
}

Sha256Digest AuditChainHash(const Sha256Digest& prev, uint64_t seq, std::string_view body) {
  return internal::ChainHash(prev, seq, body);
}

absl::StatusOr<AuditRecord> DecodeStoredAuditBody(std::string_view body) {
  return internal::DecodeAuditBody(body);
}

}  // namespace bukong::storage
