// Byte encodings of every key and value the store writes (documented in docs/storage.md).
// Internal to storage/.
#ifndef BUKONG_STORAGE_INTERNAL_ENCODING_H_
#define BUKONG_STORAGE_INTERNAL_ENCODING_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/profile.h"
#include "core/sha256.h"
#include "storage/store.h"

namespace bukong::storage::internal {

// ---- primitives
void PutVarint64(std::string& out, uint64_t v);
void PutLengthPrefixed(std::string& out, std::string_view bytes);
void PutBigEndian64(std::string& out, uint64_t v);
uint64_t ReadBigEndian64(std::string_view bytes);  // bytes.size() >= 8
void WriteBigEndian64(char out[8], uint64_t v);
inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

// A cursor over an encoded value; every Get* returns false when the input is short or bad.
class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}
  bool GetByte(uint8_t& v);
  bool GetVarint64(uint64_t& v);
  bool GetLengthPrefixed(std::string_view& v);
  bool GetBigEndian64(uint64_t& v);
  bool GetBytes(size_t n, std::string_view& v);
  bool done() const { return in_.empty(); }
  std::string_view rest() const { return in_; }

 private:
  std::string_view in_;
};

// ---- profiles: key = enterprise id bytes, value = EncodeProfileValue (the id is the key).
inline constexpr uint8_t kProfileFormat = 1;
void AppendProfileValue(std::string& out, const Profile& p);
std::string EncodeProfileValue(const Profile& p);
// `id` fills Profile::id. DataLoss when `value` is not a valid encoding.
absl::StatusOr<Profile> DecodeProfileValue(std::string_view id, std::string_view value);

// ---- audit: key = BigEndian64(seq), value = body || 32-byte chain hash.
// Format 2 is written for a record without lists (schema version 2 on), format 3 (schema
// version 4) for one with lists: format 2's fields, then the bound list versions. Format 1
// (schema version 1) is still read.
inline constexpr uint8_t kAuditFormatV1 = 1;
inline constexpr uint8_t kAuditFormat = 2;
inline constexpr uint8_t kAuditFormatWithLists = 3;
std::string EncodeAuditKey(uint64_t seq);
std::string EncodeAuditBody(const AuditRecord& r);
// Where AppendAuditBody put the bytes of the declaration id and of the enterprise (offsets
// into `out`: inside the declaration line when they occur there, else their literal copy).
struct AuditBodyOffsets {
  size_t declaration_id = 0;
  size_t enterprise = 0;
};
// Appends a body to `out`; the fields of AuditRecord by reference (`profile` may be null).
AuditBodyOffsets AppendAuditBody(std::string& out, std::string_view declaration_id,
                                 std::string_view enterprise, std::string_view declaration,
                                 const Profile* profile, std::string_view ruleset_sha256,
                                 std::string_view key_id, std::string_view decision,
                                 std::span<const BoundListVersion> lists = {});
// Decodes a body of any format. DataLoss when it is not a valid encoding.
absl::StatusOr<AuditRecord> DecodeAuditBody(std::string_view body);
// hash_seq = SHA-256(prev_hash (32 bytes) || BigEndian64(seq) || body).
Sha256Digest ChainHash(const Sha256Digest& prev, uint64_t seq, std::string_view body);

// ---- meta
inline constexpr std::string_view kMetaSchemaVersion = "schema_version";  // decimal ASCII
inline constexpr std::string_view kMetaKeyId = "key_id";                  // 16 hex digits
inline constexpr std::string_view kMetaChainHead = "chain_head";          // BE64 seq || hash32
// `lost/` BE64(first) -> BE64(last) || hash32 of `last` as acknowledged || UTC time text:
// records first..last were lost to damage and skipped by `bukong audit salvage`.
inline constexpr std::string_view kMetaLostPrefix = "lost/";
std::string EncodeChainHead(uint64_t seq, const Sha256Digest& hash);

// ---- decided index: key = declaration id, value = BE64(latest audit seq) || enterprise
// (Store::WriteAudit writes the value from slices of its batch, without a copy).
absl::StatusOr<DecisionRef> DecodeDecisionRef(std::string_view value);

// ---- by_id index (schema version 4): one entry per audit record,
// key = lp(declaration id) || BE64(seq), value empty. The length prefix makes the ids'
// ranges disjoint whatever bytes an id holds ("A", "A\0B" and "AB" each own the keys that
// start with their own lp(id)), and BE64 orders one id's entries by sequence number.
// Store::WriteAudit writes the key from slices of its batch (ByIdKeyPrefix + id + BE64).
struct ByIdEntry {
  std::string declaration_id;
  uint64_t seq = 0;
};
// varint(len(id)) into `out` (at most 10 bytes); returns its length.
size_t ByIdKeyPrefix(char out[10], size_t id_size);
std::string EncodeByIdKey(std::string_view declaration_id, uint64_t seq);
// lp(declaration id): every key of that id, and no other id's, starts with it.
std::string EncodeByIdPrefix(std::string_view declaration_id);
// DataLoss when `key` is not exactly lp(id) || BE64(seq) with the shortest varint, or
// `value` is not empty. Encode(Decode(key)) == key for every key that decodes.
absl::StatusOr<ByIdEntry> DecodeByIdEntry(std::string_view key, std::string_view value);

// ---- outcomes: key = declaration id, value = format, result byte, BE64 seq, enterprise.
inline constexpr uint8_t kOutcomeFormat = 1;
std::string EncodeOutcomeValue(const Outcome& o);
absl::StatusOr<Outcome> DecodeOutcomeValue(std::string_view id, std::string_view value);

// ---- rulesets: key = 32 raw bytes of SHA-256(text); value = format, name, version, text.
inline constexpr uint8_t kRulesetFormat = 1;
std::string EncodeRulesetValue(std::string_view name, int64_t version, std::string_view text);
absl::StatusOr<StoredRuleset> DecodeRulesetValue(std::string_view value);

// Lower-case hex -> raw bytes; nullopt for odd length or a non-hex digit.
std::optional<std::string> FromHex(std::string_view hex);
inline std::string_view AsView(const Sha256Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

}  // namespace bukong::storage::internal

#endif  // BUKONG_STORAGE_INTERNAL_ENCODING_H_
