// The audit log's records (SPEC §4): what one decision leaves behind, its place in the
// hash chain, and the batch a writer fills. The log itself is read and written through
// storage::Store (storage/store.h); encodings and the chain hash are in docs/storage.md.
#ifndef BUKONG_STORAGE_AUDIT_H_
#define BUKONG_STORAGE_AUDIT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/profile.h"

namespace bukong::storage {

class Store;

// A list version a decision was made with (SPEC §7.1): the list's name and the version's
// full digest, 64 lower-case hex digits (ingest::ListDigest; the decision line prints only
// its first 16). Stored as the digest's 32 raw bytes (docs/storage.md).
struct BoundListVersion {
  std::string name;
  std::string digest;

  friend bool operator==(const BoundListVersion&, const BoundListVersion&) = default;
};

// One decision as the audit log keeps it (SPEC §4). All strings are stored byte for byte.
struct AuditRecord {
  std::string declaration_id;      // the declaration's `id`
  std::string enterprise;          // the declaration's `enterprise`
  std::string declaration;         // the declaration as received (its JSON line)
  std::optional<Profile> profile;  // the profile snapshot the decision used, if any
  std::string ruleset_sha256;      // lower-case hex SHA-256 of the ruleset text
  std::string key_id;              // SelectionKey::Id(), never the key
  std::string decision;            // the decision's JSON line, exactly as printed
  // The version of every list the ruleset declares, in declaration order (SPEC §7.1: "the
  // audit record keeps the full digests"). Empty for a ruleset without lists, and for records
  // written before schema version 4 (their decision line has only the 16-digit prefixes).
  std::vector<BoundListVersion> lists;

  friend bool operator==(const AuditRecord&, const AuditRecord&) = default;
};

// Audit records encoded as they are added, for AppendAudit(const AuditBatch&): the body of
// each record (docs/storage.md) is written into one buffer that is reused from batch to
// batch. A caller that produces many records (`decide`) copies each field once, on its own
// thread, instead of filling an AuditRecord (a profile copy with its strings per record)
// that AppendAudit would encode again under the store's write lock.
class AuditBatch {
 public:
  // The fields of AuditRecord, by reference; `profile` may be null (no profile found).
  void Add(std::string_view declaration_id, std::string_view enterprise,
           std::string_view declaration, const Profile* profile, std::string_view ruleset_sha256,
           std::string_view key_id, std::string_view decision,
           std::span<const BoundListVersion> lists = {});
  void Add(const AuditRecord& r) {
    Add(r.declaration_id, r.enterprise, r.declaration, r.profile ? &*r.profile : nullptr,
        r.ruleset_sha256, r.key_id, r.decision, r.lists);
  }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  void Clear() {  // keeps the memory for the next batch
    bodies_.clear();
    entries_.clear();
  }

 private:
  friend class Store;
  // Offsets into bodies_: the body, and the declaration id and enterprise inside it (the
  // `decided` index needs both).
  struct Entry {
    size_t body_begin, body_end;
    size_t id_begin, id_size;
    size_t enterprise_begin, enterprise_size;
  };
  std::string bodies_;
  std::vector<Entry> entries_;
};

// A stored audit record with its place in the chain.
struct AuditEntry {
  uint64_t seq = 0;  // 1, 2, 3, ... in append order
  AuditRecord record;
  std::string chain_hash;  // lower-case hex SHA-256 chaining this record (docs/storage.md)
};

// The sequence numbers one AppendAudit call assigned: first..last inclusive.
struct AuditRange {
  uint64_t first = 0;
  uint64_t last = 0;
};

// The chain head: the last appended sequence number (0 when the log is empty) and its hash
// (64 zeros for the empty log).
struct ChainHead {
  uint64_t seq = 0;
  std::string hash;
};

// One broken link found by VerifyChain.
struct ChainProblem {
  uint64_t seq = 0;     // the record concerned (the first missing one for a gap)
  std::string message;  // e.g. "record 7 does not match its chain hash (changed?)"
};

}  // namespace bukong::storage

#endif  // BUKONG_STORAGE_AUDIT_H_
