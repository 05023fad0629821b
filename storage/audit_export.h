// The audit log as bytes, for archives (`bukong audit export` / `verify`, issue #16 item 4):
// each record's stored body and chain hashes, so that a copy of the log can be checked with
// no database — the chain hash is recomputed from the body (docs/storage.md, "The chain").
#ifndef BUKONG_STORAGE_AUDIT_EXPORT_H_
#define BUKONG_STORAGE_AUDIT_EXPORT_H_

#include <cstdint>
#include <functional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/sha256.h"
#include "storage/audit.h"

namespace bukong::storage {

class Store;

// One stored record as the chain sees it. The views live until the visitor returns.
struct ChainLink {
  uint64_t seq = 0;
  Sha256Digest prev{};     // the stored chain hash of the record before (zeros before 1)
  std::string_view body;   // the record's stored bytes (docs/storage.md, "Audit record body")
  Sha256Digest hash{};     // its stored chain hash
};

// Calls `visit` for every stored record with from <= seq <= to, in order, with its bytes
// as stored (nothing is verified here: a gap in the sequence numbers is passed on, with
// `prev` the hash of the record visited before). For from > 1 the first `prev` is the
// stored hash of record from-1: DataLoss when that record is missing or too short.
absl::Status ScanAuditChain(const Store& store, uint64_t from, uint64_t to,
                            const std::function<absl::Status(const ChainLink&)>& visit);

// hash_seq = SHA-256(prev || BE64(seq) || body): the chain hash of docs/storage.md.
Sha256Digest AuditChainHash(const Sha256Digest& prev, uint64_t seq, std::string_view body);

// The record a stored body holds (either format). DataLoss when it does not decode.
absl::StatusOr<AuditRecord> DecodeStoredAuditBody(std::string_view body);

}  // namespace bukong::storage

#endif  // BUKONG_STORAGE_AUDIT_EXPORT_H_
