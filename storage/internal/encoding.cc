#include "storage/internal/encoding.h"

#include <fmt/format.h>

#include <array>
#include <cstring>
#include <utility>

namespace bukong::storage::internal {

void PutVarint64(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

namespace {
size_t VarintLength(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) v >>= 7, ++n;
  return n;
}
}  // namespace

void PutLengthPrefixed(std::string& out, std::string_view bytes) {
  PutVarint64(out, bytes.size());
  out.append(bytes);
}

void WriteBigEndian64(char out[8], uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

void PutBigEndian64(std::string& out, uint64_t v) {
  char buf[8];
  WriteBigEndian64(buf, v);
  out.append(buf, 8);
}

uint64_t ReadBigEndian64(std::string_view bytes) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(bytes[i]);
  return v;
}

bool Decoder::GetByte(uint8_t& v) {
  if (in_.empty()) return false;
  v = static_cast<uint8_t>(in_[0]);
  in_.remove_prefix(1);
  return true;
}

bool Decoder::GetVarint64(uint64_t& v) {
  v = 0;
  for (int shift = 0; shift <= 63; shift += 7) {
    if (in_.empty()) return false;
    const uint8_t byte = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    if (shift == 63 && byte > 1) return false;  // would overflow 64 bits
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return true;
  }
  return false;
}

bool Decoder::GetBytes(size_t n, std::string_view& v) {
  if (in_.size() < n) return false;
  v = in_.substr(0, n);
  in_.remove_prefix(n);
  return true;
}

bool Decoder::GetLengthPrefixed(std::string_view& v) {
  uint64_t n = 0;
  return GetVarint64(n) && n <= in_.size() && GetBytes(static_cast<size_t>(n), v);
}

bool Decoder::GetBigEndian64(uint64_t& v) {
  std::string_view b;
  if (!GetBytes(8, b)) return false;
  v = ReadBigEndian64(b);
  return true;
}

// ---- profiles

void AppendProfileValue(std::string& out, const Profile& p) {
  out.push_back(static_cast<char>(kProfileFormat));
  PutLengthPrefixed(out, p.grade);
  PutVarint64(out, ZigZag(p.registered));
  PutVarint64(out, p.flags.size());
  for (const auto& f : p.flags) PutLengthPrefixed(out, f);
  PutVarint64(out, p.inspections);
  PutVarint64(out, p.hits);
}

std::string EncodeProfileValue(const Profile& p) {
  std::string out;
  out.reserve(16 + p.grade.size() + p.flags.size() * 12);
  AppendProfileValue(out, p);
  return out;
}

absl::StatusOr<Profile> DecodeProfileValue(std::string_view id, std::string_view value) {
  auto bad = [&] {
    return absl::DataLossError(
        fmt::format("profile of enterprise '{}' is not a valid encoding", id));
  };
  Decoder d(value);
  uint8_t format = 0;
  std::string_view grade;
  uint64_t registered = 0, flag_count = 0;
  if (!d.GetByte(format) || format != kProfileFormat || !d.GetLengthPrefixed(grade) ||
      !d.GetVarint64(registered) || !d.GetVarint64(flag_count) || flag_count > d.rest().size()) {
    return bad();
  }
  const int64_t day = UnZigZag(registered);
  if (day < INT32_MIN || day > INT32_MAX) return bad();
  Profile p;
  p.id.assign(id);
  p.grade.assign(grade);
  p.registered = static_cast<DayNumber>(day);
  p.flags.reserve(flag_count);
  for (uint64_t i = 0; i < flag_count; ++i) {
    std::string_view flag;
    if (!d.GetLengthPrefixed(flag)) return bad();
    p.flags.emplace_back(flag);
  }
  if (!d.GetVarint64(p.inspections) || !d.GetVarint64(p.hits) || !d.done()) return bad();
  return p;
}

// ---- audit

std::string EncodeAuditKey(uint64_t seq) {
  std::string key;
  PutBigEndian64(key, seq);
  return key;
}

namespace {

// Text fields of a format-2 body (docs/storage.md): a field's bytes are often already in
// the record (the declaration id and the enterprise inside the declaration line, the
// ruleset's hash inside the decision line), so they are stored as a reference to them.
enum TextTag : uint8_t {
  kTextLiteral = 0,     // lp(bytes)
  kTextSlice = 1,       // varint(offset) varint(length): those bytes of the declaration
  kTextHex = 2,         // lp(raw): the lower-case hex of raw (twice as many characters)
  kTextRulesetSha = 3,  // the record's ruleset_sha256 text (decision pieces only)
};

// Lower-case hex digit -> its value; every other byte -> kNotHex. A table, not comparisons:
// the digits and letters of a hash alternate at random, and branches on them mispredict.
constexpr uint8_t kNotHex = 0x10;
constexpr std::array<uint8_t, 256> kHexValue = [] {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = kNotHex;
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<uint8_t>(c - 'a' + 10);
  return t;
}();

// Appends `text` as a slice of the declaration when its bytes occur there, else as a
// literal. `declaration_begin` is where the declaration's bytes start in `out`; returns
// where `text`'s bytes are in `out` either way.
size_t PutText(std::string& out, std::string_view text, std::string_view declaration,
               size_t declaration_begin) {
  if (!text.empty()) {
    const size_t at = declaration.find(text);
    if (at != std::string_view::npos) {
      out.push_back(static_cast<char>(kTextSlice));
      PutVarint64(out, at);
      PutVarint64(out, text.size());
      return declaration_begin + at;
    }
  }
  out.push_back(static_cast<char>(kTextLiteral));
  PutVarint64(out, text.size());
  const size_t begin = out.size();
  out.append(text);
  return begin;
}

// Appends lower-case hex text (a SHA-256, a key id) as its raw bytes, anything else literally.
void PutHexText(std::string& out, std::string_view text) {
  const size_t start = out.size();
  if (!text.empty() && text.size() % 2 == 0) {
    out.push_back(static_cast<char>(kTextHex));
    PutVarint64(out, text.size() / 2);
    const size_t begin = out.size();
    out.resize(begin + text.size() / 2);
    char* raw = out.data() + begin;
    uint8_t bad = 0;
    for (size_t i = 0; i < text.size(); i += 2) {
      const uint8_t high = kHexValue[static_cast<uint8_t>(text[i])];
      const uint8_t low = kHexValue[static_cast<uint8_t>(text[i + 1])];
      bad |= high | low;
      raw[i / 2] = static_cast<char>(high << 4 | low);
    }
    if (!(bad & kNotHex)) return;
    out.resize(start);  // not lower-case hex after all
  }
  out.push_back(static_cast<char>(kTextLiteral));
  PutLengthPrefixed(out, text);
}

// Reads a text field and appends its bytes to `out`. `ruleset_sha` is null where
// kTextRulesetSha may not appear.
bool GetText(Decoder& d, std::string_view declaration, const std::string* ruleset_sha,
             std::string& out) {
  uint8_t tag = 0;
  if (!d.GetByte(tag)) return false;
  switch (tag) {
    case kTextLiteral: {
      std::string_view bytes;
      if (!d.GetLengthPrefixed(bytes)) return false;
      out.append(bytes);
      return true;
    }
    case kTextSlice: {
      uint64_t offset = 0, length = 0;
      if (!d.GetVarint64(offset) || !d.GetVarint64(length) || offset > declaration.size() ||
          length > declaration.size() - offset) {
        return false;
      }
      out.append(declaration.substr(offset, length));
      return true;
    }
    case kTextHex: {
      std::string_view raw;
      if (!d.GetLengthPrefixed(raw) || raw.empty()) return false;
      out.append(ToHex(raw));
      return true;
    }
    case kTextRulesetSha:
      if (ruleset_sha == nullptr) return false;
      out.append(*ruleset_sha);
      return true;
    default:
      return false;
  }
}

// Format 1 (schema version 1): every field literally. Read, never written.
absl::StatusOr<AuditRecord> DecodeAuditBodyV1(std::string_view body) {
  auto bad = [] { return absl::DataLossError("audit record is not a valid encoding"); };
  Decoder d(body);
  uint8_t format = 0, has_profile = 0;
  std::string_view declaration_id, enterprise, sha, key_id, declaration, decision;
  if (!d.GetByte(format) || format != kAuditFormatV1 || !d.GetLengthPrefixed(declaration_id) ||
      !d.GetLengthPrefixed(enterprise) || !d.GetLengthPrefixed(sha) ||
      !d.GetLengthPrefixed(key_id) || !d.GetByte(has_profile) || has_profile > 1) {
    return bad();
  }
  AuditRecord r;
  if (has_profile) {
    std::string_view profile_id, value;
    if (!d.GetLengthPrefixed(profile_id) || !d.GetLengthPrefixed(value)) return bad();
    auto profile = DecodeProfileValue(profile_id, value);
    if (!profile.ok()) return bad();
    r.profile = *std::move(profile);
  }
  if (!d.GetLengthPrefixed(declaration) || !d.GetLengthPrefixed(decision) || !d.done()) {
    return bad();
  }
  r.declaration_id.assign(declaration_id);
  r.enterprise.assign(enterprise);
  r.ruleset_sha256.assign(sha);
  r.key_id.assign(key_id);
  r.declaration.assign(declaration);
  r.decision.assign(decision);
  return r;
}

}  // namespace

AuditBodyOffsets AppendAuditBody(std::string& out, std::string_view declaration_id,
                                 std::string_view enterprise, std::string_view declaration,
                                 const Profile* profile, std::string_view ruleset_sha256,
                                 std::string_view key_id, std::string_view decision,
                                 std::span<const BoundListVersion> lists) {
  AuditBodyOffsets offsets;
  out.push_back(static_cast<char>(lists.empty() ? kAuditFormat : kAuditFormatWithLists));
  PutVarint64(out, declaration.size());
  const size_t declaration_begin = out.size();
  out.append(declaration);
  offsets.declaration_id = PutText(out, declaration_id, declaration, declaration_begin);
  offsets.enterprise = PutText(out, enterprise, declaration, declaration_begin);
  PutHexText(out, ruleset_sha256);
  PutHexText(out, key_id);
  if (profile != nullptr) {
    out.push_back(1);
    PutText(out, profile->id, declaration, declaration_begin);
    // lp(profile value): the value is short (well under 16 KB in practice), so its length
    // prefix is written after it, into a reserved varint slot, instead of encoding the value
    // into a temporary string first. A value of 128 bytes or more moves once.
    const size_t slot = out.size();
    out.push_back('\0');
    AppendProfileValue(out, *profile);
    const size_t n = out.size() - slot - 1;
    if (n < 0x80) {
      out[slot] = static_cast<char>(n);
    } else {
      std::string value = out.substr(slot + 1);
      out.resize(slot);
      PutLengthPrefixed(out, value);
    }
  } else {
    out.push_back(0);
  }

  // The decision line as pieces: literal runs around the first occurrence of the ruleset's
  // hash (stored once, above) and of the declaration id (a slice of the declaration).
  struct Ref {
    size_t at = std::string_view::npos, size = 0;
    uint8_t tag = kTextLiteral;
    size_t declaration_offset = 0;
  };
  Ref refs[2];
  size_t n_refs = 0;
  if (!ruleset_sha256.empty()) {
    const size_t at = decision.find(ruleset_sha256);
    if (at != std::string_view::npos) refs[n_refs++] = {at, ruleset_sha256.size(), kTextRulesetSha};
  }
  const size_t id_in_declaration =
      declaration_id.empty() ? std::string_view::npos : declaration.find(declaration_id);
  if (id_in_declaration != std::string_view::npos) {
    const size_t at = decision.find(declaration_id);
    if (at != std::string_view::npos) {
      const Ref id{at, declaration_id.size(), kTextSlice, id_in_declaration};
      const bool overlaps =
          n_refs == 1 && at < refs[0].at + refs[0].size && refs[0].at < at + id.size;
      if (!overlaps) refs[n_refs++] = id;
    }
  }
  if (n_refs == 2 && refs[1].at < refs[0].at) std::swap(refs[0], refs[1]);
  size_t pieces = n_refs;
  size_t cursor = 0;
  for (size_t i = 0; i < n_refs; ++i) {
    if (refs[i].at > cursor) ++pieces;
    cursor = refs[i].at + refs[i].size;
  }
  if (cursor < decision.size()) ++pieces;
  PutVarint64(out, pieces);
  cursor = 0;
  auto literal = [&](size_t end) {
    if (end <= cursor) return;
    out.push_back(static_cast<char>(kTextLiteral));
    PutLengthPrefixed(out, decision.substr(cursor, end - cursor));
  };
  for (size_t i = 0; i < n_refs; ++i) {
    literal(refs[i].at);
    out.push_back(static_cast<char>(refs[i].tag));
    if (refs[i].tag == kTextSlice) {
      PutVarint64(out, refs[i].declaration_offset);
      PutVarint64(out, refs[i].size);
    }
    cursor = refs[i].at + refs[i].size;
  }
  literal(decision.size());
  // Format 3: the bound list versions, in the ruleset's declaration order.
  if (!lists.empty()) {
    PutVarint64(out, lists.size());
    for (const BoundListVersion& l : lists) {
      PutLengthPrefixed(out, l.name);
      PutHexText(out, l.digest);
    }
  }
  return offsets;
}

std::string EncodeAuditBody(const AuditRecord& r) {
  std::string out;
  out.reserve(64 + r.declaration_id.size() + r.enterprise.size() + r.declaration.size() +
              r.decision.size() + r.ruleset_sha256.size() + r.key_id.size() +
              r.lists.size() * 48);
  AppendAuditBody(out, r.declaration_id, r.enterprise, r.declaration,
                  r.profile ? &*r.profile : nullptr, r.ruleset_sha256, r.key_id, r.decision,
                  r.lists);
  return out;
}

absl::StatusOr<AuditRecord> DecodeAuditBody(std::string_view body) {
  if (!body.empty() && static_cast<uint8_t>(body[0]) == kAuditFormatV1) {
    return DecodeAuditBodyV1(body);
  }
  auto bad = [] { return absl::DataLossError("audit record is not a valid encoding"); };
  Decoder d(body);
  uint8_t format = 0, has_profile = 0;
  std::string_view declaration;
  if (!d.GetByte(format) || (format != kAuditFormat && format != kAuditFormatWithLists) ||
      !d.GetLengthPrefixed(declaration)) {
    return bad();
  }
  AuditRecord r;
  if (!GetText(d, declaration, nullptr, r.declaration_id) ||
      !GetText(d, declaration, nullptr, r.enterprise) ||
      !GetText(d, declaration, nullptr, r.ruleset_sha256) ||
      !GetText(d, declaration, nullptr, r.key_id) || !d.GetByte(has_profile) || has_profile > 1) {
    return bad();
  }
  if (has_profile) {
    std::string profile_id;
    std::string_view value;
    if (!GetText(d, declaration, nullptr, profile_id) || !d.GetLengthPrefixed(value)) {
      return bad();
    }
    auto profile = DecodeProfileValue(profile_id, value);
    if (!profile.ok()) return bad();
    r.profile = *std::move(profile);
  }
  uint64_t pieces = 0;
  if (!d.GetVarint64(pieces) || pieces > d.rest().size()) return bad();
  for (uint64_t i = 0; i < pieces; ++i) {
    if (!GetText(d, declaration, &r.ruleset_sha256, r.decision)) return bad();
  }
  if (format == kAuditFormatWithLists) {
    // At least one list: a record without lists is format 2, so each record has one body.
    uint64_t count = 0;
    if (!d.GetVarint64(count) || count == 0 || count > d.rest().size()) return bad();
    r.lists.resize(count);
    for (BoundListVersion& l : r.lists) {
      std::string_view name;
      if (!d.GetLengthPrefixed(name) || !GetText(d, declaration, nullptr, l.digest)) return bad();
      l.name.assign(name);
    }
  }
  if (!d.done()) return bad();
  r.declaration.assign(declaration);
  return r;
}

Sha256Digest ChainHash(const Sha256Digest& prev, uint64_t seq, std::string_view body) {
  // One context per thread, reset for each record: no allocation per record.
  thread_local Sha256Hasher hasher;
  hasher.Reset();
  hasher.Update(AsView(prev));
  char key[8];
  WriteBigEndian64(key, seq);
  hasher.Update(std::string_view(key, 8));
  hasher.Update(body);
  return hasher.Finish();
}

std::string EncodeChainHead(uint64_t seq, const Sha256Digest& hash) {
  std::string out;
  PutBigEndian64(out, seq);
  out.append(AsView(hash));
  return out;
}

// ---- decided index

absl::StatusOr<DecisionRef> DecodeDecisionRef(std::string_view value) {
  if (value.size() < 8) return absl::DataLossError("declaration index entry is too short");
  return DecisionRef{ReadBigEndian64(value), std::string(value.substr(8))};
}

// ---- by_id index

size_t ByIdKeyPrefix(char out[10], size_t id_size) {
  size_t n = 0;
  uint64_t v = id_size;
  while (v >= 0x80) {
    out[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out[n++] = static_cast<char>(v);
  return n;
}

std::string EncodeByIdPrefix(std::string_view declaration_id) {
  std::string out;
  out.reserve(declaration_id.size() + 10 + 8);
  PutLengthPrefixed(out, declaration_id);
  return out;
}

std::string EncodeByIdKey(std::string_view declaration_id, uint64_t seq) {
  std::string out = EncodeByIdPrefix(declaration_id);
  PutBigEndian64(out, seq);
  return out;
}

absl::StatusOr<ByIdEntry> DecodeByIdEntry(std::string_view key, std::string_view value) {
  Decoder d(key);
  std::string_view id;
  uint64_t seq = 0;
  if (!d.GetLengthPrefixed(id) || !d.GetBigEndian64(seq) || !d.done()) {
    return absl::DataLossError("an entry of the by_id index has a malformed key");
  }
  // One key per (id, seq): a longer varint for the same length would be a second spelling.
  if (key.size() != id.size() + 8 + VarintLength(id.size())) {
    return absl::DataLossError("an entry of the by_id index has a non-canonical length");
  }
  if (!value.empty()) {
    return absl::DataLossError("an entry of the by_id index has a value (expected none)");
  }
  return ByIdEntry{std::string(id), seq};
}

// ---- outcomes

std::string EncodeOutcomeValue(const Outcome& o) {
  std::string out;
  out.push_back(static_cast<char>(kOutcomeFormat));
  out.push_back(o.result == OutcomeResult::kHit ? 1 : 0);
  PutBigEndian64(out, o.audit_seq);
  out.append(o.enterprise);
  return out;
}

absl::StatusOr<Outcome> DecodeOutcomeValue(std::string_view id, std::string_view value) {
  if (value.size() < 10 || static_cast<uint8_t>(value[0]) != kOutcomeFormat ||
      static_cast<uint8_t>(value[1]) > 1) {
    return absl::DataLossError(fmt::format("outcome of '{}' is not a valid encoding", id));
  }
  Outcome o;
  o.declaration_id.assign(id);
  o.result = value[1] == 1 ? OutcomeResult::kHit : OutcomeResult::kClean;
  o.audit_seq = ReadBigEndian64(value.substr(2));
  o.enterprise.assign(value.substr(10));
  return o;
}

// ---- rulesets

std::string EncodeRulesetValue(std::string_view name, int64_t version, std::string_view text) {
  std::string out;
  out.reserve(text.size() + name.size() + 16);
  out.push_back(static_cast<char>(kRulesetFormat));
  PutLengthPrefixed(out, name);
  PutVarint64(out, ZigZag(version));
  PutLengthPrefixed(out, text);
  return out;
}

absl::StatusOr<StoredRuleset> DecodeRulesetValue(std::string_view value) {
  Decoder d(value);
  uint8_t format = 0;
  std::string_view name, text;
  uint64_t version = 0;
  if (!d.GetByte(format) || format != kRulesetFormat || !d.GetLengthPrefixed(name) ||
      !d.GetVarint64(version) || !d.GetLengthPrefixed(text) || !d.done()) {
    return absl::DataLossError("stored ruleset is not a valid encoding");
  }
  StoredRuleset r;
  r.name.assign(name);
  r.version = UnZigZag(version);
  r.text.assign(text);
  r.sha256 = Sha256Hex(text);
  return r;
}

std::optional<std::string> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

}  // namespace bukong::storage::internal
