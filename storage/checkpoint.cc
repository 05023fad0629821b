// Signed checkpoints of the audit log (storage/checkpoint.h). All cryptography is
// libsodium's (Ed25519: crypto_sign_*) and OpenSSL's SHA-256 (core/sha256.h).
#include "storage/checkpoint.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "core/sha256.h"
#include "core/status_macros.h"
#include "storage/audit_export.h"
#include "storage/internal/anchor.h"
#include "storage/internal/encoding.h"
#include "storage/internal/store_impl.h"

namespace bukong::storage {
namespace {

constexpr std::string_view kSecretMagic = "bukong-checkpoint-secret-key 1 ";
constexpr std::string_view kPublicMagic = "bukong-checkpoint-public-key 1 ";
constexpr std::string_view kCheckpointMagic = "bukong-checkpoint 1";
constexpr size_t kMaxCheckpointBytes = 4096;

void InitSodium() {
  if (sodium_init() < 0) std::abort();  // libsodium cannot run without its RNG
}

std::string KeyId(const std::array<uint8_t, 32>& pk) {
  return ToHex(Sha256(std::string_view(reinterpret_cast<const char*>(pk.data()), pk.size())))
      .substr(0, 16);
}

std::string Hex(std::span<const uint8_t> bytes) {
  return ToHex(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

// Lower-case hex of exactly out.size() bytes into `out`; false otherwise.
bool FromLowerHex(std::string_view hex, std::span<uint8_t> out) {
  if (hex.size() != out.size() * 2) return false;
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  size_t len = 0;
  return sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &len,
                        nullptr) == 0 &&
         len == out.size();
}

bool IsKeyId(std::string_view s) {
  return s.size() == 16 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path, size_t limit,
                                          std::string_view what) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    const int e = errno;
    std::string m = fmt::format("{}: cannot read the {}: {}", path, what, std::strerror(e));
    return e == ENOENT ? absl::NotFoundError(m) : absl::UnavailableError(m);
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(fmt::format("{}: not a file (expected a {})", path, what));
  }
  if (static_cast<uint64_t>(st.st_size) > limit) {
    return absl::InvalidArgumentError(fmt::format(
        "{}: {} bytes is too large for a {} (at most {})", path, st.st_size, what, limit));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::UnavailableError(
        fmt::format("{}: cannot read the {}: {}", path, what, std::strerror(errno)));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Creates `path` exclusively with exactly `mode`, holding `content`, synced.
absl::Status CreateFileWith(const std::string& path, std::string_view content, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int e = errno;
    std::string m = fmt::format("{}: cannot create: {}", path, std::strerror(e));
    return e == EEXIST ? absl::AlreadyExistsError(m) : absl::UnavailableError(m);
  }
  bool ok = ::fchmod(fd, mode) == 0;
  size_t written = 0;
  while (ok && written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n <= 0)
      ok = false;
    else
      written += static_cast<size_t>(n);
  }
  const int e = errno;
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return absl::UnavailableError(fmt::format("{}: cannot write: {}", path, std::strerror(e)));
  }
  return absl::OkStatus();
}

// Syncs the folder holding `path`, so that a new file's name survives a power cut.
void SyncParent(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

// ---- keys -------------------------------------------------------------------------------

CheckpointSigningKey CheckpointSigningKey::Generate() {
  InitSodium();
  CheckpointSigningKey key;
  crypto_sign_keypair(key.public_.bytes.data(), key.secret_.data());
  key.public_.id = KeyId(key.public_.bytes);
  return key;
}

CheckpointSigningKey::CheckpointSigningKey(CheckpointSigningKey&& other) noexcept
    : secret_(other.secret_), public_(std::move(other.public_)) {
  sodium_memzero(other.secret_.data(), other.secret_.size());
}

CheckpointSigningKey::~CheckpointSigningKey() {
  sodium_memzero(secret_.data(), secret_.size());
}

std::array<uint8_t, 64> CheckpointSigningKey::Sign(std::string_view message) const {
  std::array<uint8_t, 64> sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), secret_.data());
  return sig;
}

absl::StatusOr<CheckpointSigningKey> CheckpointSigningKey::Load(const std::string& path) {
  InitSodium();
  BUKONG_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, 1024, "checkpoint signing key"));
  auto wipe = [&] { sodium_memzero(text.data(), text.size()); };
  if (text.starts_with(kPublicMagic)) {
    wipe();
    return absl::InvalidArgumentError(fmt::format(
        "{} is a checkpoint public key; signing needs the secret key file (the one without "
        ".pub)", path));
  }
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    wipe();
    return absl::FailedPreconditionError(fmt::format(
        "{} has mode {:04o}: other users can read the checkpoint signing key, and with it sign "
        "a rewritten audit log (run `chmod 600 {}`; bukong refuses to use it until then)",
        path, st.st_mode & 07777, path));
  }
  // Never quote the file: it may hold a secret key.
  const auto bad = absl::InvalidArgumentError(fmt::format(
      "{} is not a bukong checkpoint secret key (expected one line "
      "\"bukong-checkpoint-secret-key 1 KEYID HEX\", as `bukong audit keygen` writes)",
      path));
  const std::string_view t(text);
  if (!t.starts_with(kSecretMagic) || t.size() != kSecretMagic.size() + 16 + 1 + 128 + 1 ||
      t.back() != '\n' || t[kSecretMagic.size() + 16] != ' ') {
    wipe();
    return bad;
  }
  const std::string id(t.substr(kSecretMagic.size(), 16));  // copied: `text` is wiped below
  CheckpointSigningKey key;
  if (!IsKeyId(id) ||
      !FromLowerHex(t.substr(kSecretMagic.size() + 17, 128), std::span(key.secret_))) {
    wipe();
    return bad;
  }
  wipe();
  // libsodium's secret key is seed || public key: both halves must be the pair the seed
  // makes, and the public key must have the stated id.
  std::array<uint8_t, 32> seed{};
  std::array<uint8_t, 64> remade{};
  crypto_sign_ed25519_sk_to_seed(seed.data(), key.secret_.data());
  crypto_sign_seed_keypair(key.public_.bytes.data(), remade.data(), seed.data());
  const bool consistent = sodium_memcmp(remade.data(), key.secret_.data(), remade.size()) == 0;
  sodium_memzero(seed.data(), seed.size());
  sodium_memzero(remade.data(), remade.size());
  key.public_.id = KeyId(key.public_.bytes);
  if (!consistent || key.public_.id != id) {
    return absl::InvalidArgumentError(fmt::format(
        "{}: the key it holds does not match the key id it states ({}): damaged?", path, id));
  }
  return key;
}

absl::Status WriteCheckpointKeyPair(const std::string& path, const CheckpointSigningKey& key) {
  const std::string pub = path + ".pub";
  for (const std::string& p : {path, pub}) {
    struct stat st;
    if (::lstat(p.c_str(), &st) == 0) {
      return absl::AlreadyExistsError(
          fmt::format("{} exists; keygen never overwrites a key (nothing was written)", p));
    }
  }
  std::string secret_line = fmt::format("{}{} {}\n", kSecretMagic, key.public_key().id,
                                        Hex(key.secret_));
  absl::Status s = CreateFileWith(path, secret_line, 0600);
  sodium_memzero(secret_line.data(), secret_line.size());
  if (!s.ok()) return s;
  s = CreateFileWith(pub,
                     fmt::format("{}{} {}\n", kPublicMagic, key.public_key().id,
                                 Hex(key.public_key().bytes)),
                     0644);
  if (!s.ok()) {
    ::unlink(path.c_str());  // both or neither
    return s;
  }
  SyncParent(path);
  return absl::OkStatus();
}

absl::StatusOr<CheckpointPublicKey> LoadCheckpointPublicKey(const std::string& path) {
  BUKONG_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, 1024, "checkpoint public key"));
  if (text.starts_with(kSecretMagic)) {
    sodium_memzero(text.data(), text.size());
    return absl::InvalidArgumentError(fmt::format(
        "{} is a checkpoint secret key; verifying needs the public key file (KEY.pub). Keep "
        "the secret key away from where checkpoints are verified",
        path));
  }
  const auto bad = absl::InvalidArgumentError(fmt::format(
      "{} is not a bukong checkpoint public key (expected one line "
      "\"bukong-checkpoint-public-key 1 KEYID HEX\", as `bukong audit keygen` writes to KEY.pub)",
      path));
  const std::string_view t(text);
  if (!t.starts_with(kPublicMagic) || t.size() != kPublicMagic.size() + 16 + 1 + 64 + 1 ||
      t.back() != '\n' || t[kPublicMagic.size() + 16] != ' ') {
    return bad;
  }
  const std::string_view id = t.substr(kPublicMagic.size(), 16);
  CheckpointPublicKey key;
  if (!IsKeyId(id) || !FromLowerHex(t.substr(kPublicMagic.size() + 17, 64), std::span(key.bytes))) {
    return bad;
  }
  key.id = KeyId(key.bytes);
  if (key.id != id) {
    return absl::InvalidArgumentError(fmt::format(
        "{}: the key id it states ({}) is not the id of the key it holds ({}; damaged?)", path,
        id, key.id));
  }
  return key;
}

// ---- checkpoints ------------------------------------------------------------------------

std::string CheckpointSignedText(const Checkpoint& c) {
  return fmt::format("{}\nsequence: {}\nchain-head: {}\nkey-id: {}\ntime: {}\n", kCheckpointMagic,
                     c.seq, c.chain_head, c.key_id, c.time);
}

std::string FormatCheckpoint(const Checkpoint& c) {
  return CheckpointSignedText(c) + fmt::format("signature: {}\n", Hex(c.signature));
}

absl::StatusOr<Checkpoint> MakeCheckpoint(const Store& store, const CheckpointSigningKey& key,
                                          absl::Time now) {
  const Store::Impl& impl = StoreInternals::Of(store);
  // The last acknowledged record: a read-only open may see records a running writer has
  // written but not yet synced, which a power cut could still take back.
  BUKONG_ASSIGN_OR_RETURN(std::optional<internal::AnchorValue> anchor,
                          internal::ReadAnchor(*impl.fs, impl.dir));
  const ChainHead head = store.Head();
  uint64_t seq = head.seq;
  std::string hash = head.hash;
  // A writer running beside this read-only store may have moved the anchor past what the
  // store saw when it opened; then everything the store sees is acknowledged, and its head
  // is what to sign.
  if (anchor && anchor->seq <= head.seq) {
    seq = anchor->seq;
    hash = ToHex(anchor->hash);
  }
  if (seq == 0) {
    return absl::FailedPreconditionError(
        fmt::format("the audit log of {} is empty: there is nothing to checkpoint", impl.dir));
  }
  BUKONG_ASSIGN_OR_RETURN(std::optional<AuditEntry> entry, store.GetAudit(seq));
  if (!entry) {
    return absl::DataLossError(fmt::format(
        "record {} of {}, the last acknowledged one, is missing (run `bukong replay`)", seq,
        impl.dir));
  }
  if (entry->chain_hash != hash) {
    return absl::DataLossError(fmt::format(
        "record {} of {} has chain hash {}, but {} was acknowledged (run `bukong replay`)", seq,
        impl.dir, entry->chain_hash, hash));
  }
  Checkpoint c;
  c.seq = seq;
  c.chain_head = hash;
  c.key_id = key.public_key().id;
  c.time = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", now, absl::UTCTimeZone());
  c.signature = key.Sign(CheckpointSignedText(c));
  return c;
}

absl::Status WriteCheckpointFile(const std::string& path, const Checkpoint& c) {
  BUKONG_RETURN_IF_ERROR(CreateFileWith(path, FormatCheckpoint(c), 0644));
  SyncParent(path);
  return absl::OkStatus();
}

absl::StatusOr<Checkpoint> ParseCheckpoint(std::string_view text, const std::string& path) {
  Checkpoint c;
  std::string_view rest = text;
  int line = 0;
  // The next line's value after `name: ` (the first line: the whole of it).
  auto next = [&](std::string_view name, std::string_view* value) -> absl::Status {
    ++line;
    const size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) {
      return absl::InvalidArgumentError(fmt::format(
          "{}:{}: the checkpoint is truncated: {} (expected six lines, the last "
          "`signature: ...`)",
          path, line, rest.empty() ? "the file ends here" : "this line has no newline"));
    }
    std::string_view l = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
    if (name.empty()) {
      *value = l;
      return absl::OkStatus();
    }
    const std::string prefix = std::string(name) + ": ";
    if (!l.starts_with(prefix)) {
      return absl::InvalidArgumentError(
          fmt::format("{}:{}: expected `{}: ...`", path, line, name));
    }
    *value = l.substr(prefix.size());
    return absl::OkStatus();
  };
  auto bad_field = [&](std::string_view name, std::string_view expected) {
    return absl::InvalidArgumentError(
        fmt::format("{}:{}: field `{}`: expected {}", path, line, name, expected));
  };
  std::string_view v;
  BUKONG_RETURN_IF_ERROR(next("", &v));
  if (v != kCheckpointMagic) {
    return absl::InvalidArgumentError(fmt::format(
        "{}:1: not a bukong checkpoint (the first line must be `{}`)", path, kCheckpointMagic));
  }
  BUKONG_RETURN_IF_ERROR(next("sequence", &v));
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), c.seq);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || c.seq == 0 ||
      (v.size() > 1 && v[0] == '0')) {
    return bad_field("sequence", "a sequence number (1, 2, ...)");
  }
  BUKONG_RETURN_IF_ERROR(next("chain-head", &v));
  std::array<uint8_t, 32> head{};
  if (!FromLowerHex(v, std::span(head))) return bad_field("chain-head", "64 lower-case hex digits");
  c.chain_head = std::string(v);
  BUKONG_RETURN_IF_ERROR(next("key-id", &v));
  if (!IsKeyId(v)) return bad_field("key-id", "16 lower-case hex digits");
  c.key_id = std::string(v);
  BUKONG_RETURN_IF_ERROR(next("time", &v));
  absl::Time t;
  std::string err;
  if (v.size() != 20 || !absl::ParseTime("%Y-%m-%dT%H:%M:%SZ", std::string(v), absl::UTCTimeZone(), &t, &err)) {
    return bad_field("time", "a UTC time YYYY-MM-DDTHH:MM:SSZ");
  }
  c.time = std::string(v);
  BUKONG_RETURN_IF_ERROR(next("signature", &v));
  if (!FromLowerHex(v, std::span(c.signature))) {
    return bad_field("signature", "128 lower-case hex digits");
  }
  if (!rest.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("{}:{}: unexpected text after the signature", path, line + 1));
  }
  return c;
}

absl::StatusOr<Checkpoint> ReadCheckpointFile(const std::string& path) {
  BUKONG_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, kMaxCheckpointBytes, "checkpoint"));
  return ParseCheckpoint(text, path);
}

absl::Status VerifyCheckpointSignature(const Checkpoint& c, std::span<const CheckpointPublicKey> keys,
                                       const std::string& path) {
  InitSodium();
  const CheckpointPublicKey* key = nullptr;
  std::vector<std::string> ids;
  for (const auto& k : keys) {
    ids.push_back(k.id);
    if (k.id == c.key_id) key = &k;
  }
  if (key == nullptr) {
    return absl::InvalidArgumentError(fmt::format(
        "{}: signed by key {}, but no public key given has that id (given: {}): wrong key", path,
        c.key_id, fmt::join(ids, ", ")));
  }
  const std::string signed_text = CheckpointSignedText(c);
  if (crypto_sign_verify_detached(c.signature.data(),
                                  reinterpret_cast<const unsigned char*>(signed_text.data()),
                                  signed_text.size(), key->bytes.data()) != 0) {
    return absl::InvalidArgumentError(fmt::format(
        "{}: the signature does not verify with public key {}: the checkpoint was altered, or "
        "it was not signed by this key",
        path, key->id));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> CheckLogExtends(
    const Store& store, std::span<const NamedCheckpoint> checkpoints) {
  std::vector<std::string> problems;
  if (checkpoints.empty()) return problems;
  // Checkpoints by record (several may name the same one).
  std::multimap<uint64_t, const NamedCheckpoint*> by_seq;
  for (const auto& c : checkpoints) by_seq.emplace(c.checkpoint.seq, &c);
  const uint64_t last = by_seq.rbegin()->first;
  Sha256Digest hash{};  // the chain recomputed from record 1: nothing stored is trusted
  uint64_t expected = 1;
  auto pending = by_seq.begin();
  absl::Status scan = ScanAuditChain(store, 1, last, [&](const ChainLink& link) {
    if (link.seq != expected) return absl::CancelledError();  // a gap: reported below
    hash = AuditChainHash(hash, link.seq, link.body);
    for (; pending != by_seq.end() && pending->first == link.seq; ++pending) {
      const NamedCheckpoint& c = *pending->second;
      if (ToHex(hash) != c.checkpoint.chain_head) {
        problems.push_back(fmt::format(
            "{}: the audit log does not extend this checkpoint: record {}'s chain hash, "
            "recomputed from record 1, is {}, but the checkpoint signed {} (the log up to record "
            "{} was changed or rebuilt since {}, or the checkpoint is of another database)",
            c.path, c.checkpoint.seq, ToHex(hash), c.checkpoint.chain_head, c.checkpoint.seq,
            c.checkpoint.time));
      }
    }
    ++expected;
    return absl::OkStatus();
  });
  if (!scan.ok() && !absl::IsCancelled(scan)) return scan;
  // Checkpoints beyond what the scan reached: the record, or one before it, is missing.
  const uint64_t head = store.Head().seq;
  for (; pending != by_seq.end(); ++pending) {
    const NamedCheckpoint& c = *pending->second;
    if (expected > head) {
      problems.push_back(fmt::format(
          "{}: the audit log does not extend this checkpoint: it signs record {}, but the log "
          "ends at record {} (records {}..{} were removed or rolled back)",
          c.path, c.checkpoint.seq, head, head + 1, c.checkpoint.seq));
    } else {
      problems.push_back(fmt::format(
          "{}: the audit log does not extend this checkpoint (record {}): record {} is "
          "missing, so the chain up to the checkpoint cannot be recomputed",
          c.path, c.checkpoint.seq, expected));
    }
  }
  return problems;
}

}  // namespace bukong::storage
