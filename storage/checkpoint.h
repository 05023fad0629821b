// Signed checkpoints of the audit log (issue #16 item 4): a statement "record SEQ of this
// log had chain hash HEAD", signed with an Ed25519 key (libsodium) that the database's
// owner does not hold. Whoever can write the database folder can rebuild the whole chain
// consistently, anchor included (docs/storage.md); they cannot make a rebuilt chain pass a
// checkpoint signed before the rebuild without the signing key.
//
//   BUKONG_ASSIGN_OR_RETURN(auto key, storage::CheckpointSigningKey::Load("ckpt.key"));
//   BUKONG_ASSIGN_OR_RETURN(storage::Checkpoint c, storage::MakeCheckpoint(store, key, absl::Now()));
//   text = storage::FormatCheckpoint(c);   // later: ParseCheckpoint, VerifyCheckpointSignature,
//   problems = storage::CheckLogExtends(store, {{"FILE", c}});   // empty: the log extends it
//
// File formats (each one line per item, documented in docs/storage.md, "Signed checkpoints"):
//   secret key  "bukong-checkpoint-secret-key 1 KEYID HEX128\n"   (mode 0600)
//   public key  "bukong-checkpoint-public-key 1 KEYID HEX64\n"    (mode 0644)
//   checkpoint  "bukong-checkpoint 1\nsequence: N\nchain-head: HEX64\nkey-id: KEYID\n"
//               "time: YYYY-MM-DDTHH:MM:SSZ\nsignature: HEX128\n"
// KEYID = the first 16 lower-case hex digits of SHA-256 over the 32 public-key bytes. The
// signature is Ed25519 over the checkpoint's first five lines, byte for byte.
//
// Errors name the file; a secret key is never part of any message or output.
#ifndef BUKONG_STORAGE_CHECKPOINT_H_
#define BUKONG_STORAGE_CHECKPOINT_H_

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/store.h"

namespace bukong::storage {

// An Ed25519 public key and its id.
struct CheckpointPublicKey {
  std::array<uint8_t, 32> bytes{};
  std::string id;  // 16 lower-case hex digits
};

class CheckpointSigningKey;
absl::Status WriteCheckpointKeyPair(const std::string& path, const CheckpointSigningKey& key);

// The secret half. Not copyable; its bytes are wiped (sodium_memzero) on destruction.
class CheckpointSigningKey {
 public:
  // A new key pair from libsodium's crypto_sign_keypair.
  static CheckpointSigningKey Generate();
  // Reads a secret key file. FailedPrecondition when other users may read it (any group or
  // other permission bit); InvalidArgument when it is not a secret key file, a public key
  // file, or its stated key id does not match its key; NotFound/Unavailable when unreadable.
  static absl::StatusOr<CheckpointSigningKey> Load(const std::string& path);

  CheckpointSigningKey(CheckpointSigningKey&& other) noexcept;
  CheckpointSigningKey& operator=(CheckpointSigningKey&&) = delete;
  CheckpointSigningKey(const CheckpointSigningKey&) = delete;
  ~CheckpointSigningKey();

  const CheckpointPublicKey& public_key() const { return public_; }
  // The 64-byte Ed25519 signature of `message`.
  std::array<uint8_t, 64> Sign(std::string_view message) const;

 private:
  CheckpointSigningKey() = default;
  friend absl::Status WriteCheckpointKeyPair(const std::string& path,
                                             const CheckpointSigningKey& key);
  std::array<uint8_t, 64> secret_{};  // libsodium's layout: seed || public key
  CheckpointPublicKey public_;
};

// Writes `key` to `path` (mode 0600) and its public half to `path`.pub (mode 0644), both
// created exclusively and synced. AlreadyExists, writing nothing, when either file exists.
absl::Status WriteCheckpointKeyPair(const std::string& path, const CheckpointSigningKey& key);

// Reads a public key file (InvalidArgument naming the file when malformed, when its key id
// does not match its key, or when it is a secret key file).
absl::StatusOr<CheckpointPublicKey> LoadCheckpointPublicKey(const std::string& path);

// A signed statement about the audit log.
struct Checkpoint {
  uint64_t seq = 0;             // the record checkpointed (>= 1)
  std::string chain_head;       // its chain hash, 64 lower-case hex digits
  std::string key_id;           // the signing key's id
  std::string time;             // UTC, "YYYY-MM-DDTHH:MM:SSZ"
  std::array<uint8_t, 64> signature{};
};

// The bytes the signature covers: the file's first five lines.
std::string CheckpointSignedText(const Checkpoint& c);
// The whole file: the signed text and the `signature:` line.
std::string FormatCheckpoint(const Checkpoint& c);

// Signs the last acknowledged record of `store` (DIR/audit.anchor; the chain head for a
// database that has no anchor yet, or when a writer beside a read-only store has moved the
// anchor past the head the store saw at open) at time `now`. The record's stored chain hash must
// equal the anchored one. FailedPrecondition for an empty log (nothing to checkpoint).
absl::StatusOr<Checkpoint> MakeCheckpoint(const Store& store, const CheckpointSigningKey& key,
                                          absl::Time now);

// Writes FormatCheckpoint(c) to the new file `path` (mode 0644, synced with its folder).
// AlreadyExists, writing nothing, when `path` exists: a checkpoint is never overwritten.
absl::Status WriteCheckpointFile(const std::string& path, const Checkpoint& c);

// Parses a checkpoint file's text; `path` names it in messages ("PATH:LINE: ..."). Strict:
// exactly the six lines above, each ending in a newline, nothing after them.
absl::StatusOr<Checkpoint> ParseCheckpoint(std::string_view text, const std::string& path);
// Reads and parses `path` (at most 4 KiB).
absl::StatusOr<Checkpoint> ReadCheckpointFile(const std::string& path);

// OK when `c` is signed by the key of `keys` whose id it names. InvalidArgument naming
// `path` otherwise: no key with that id ("wrong key"), or a signature that does not verify.
absl::Status VerifyCheckpointSignature(const Checkpoint& c, std::span<const CheckpointPublicKey> keys,
                                       const std::string& path);

struct NamedCheckpoint {
  std::string path;  // for messages
  Checkpoint checkpoint;
};

// Whether the audit log of `store` extends every checkpoint: the chain is recomputed from
// record 1 (from the stored bodies, never trusting a stored hash) up to the highest
// checkpointed record, and at each checkpoint's record the recomputed hash must equal the
// signed one. Returns one message per checkpoint the log does not extend (empty: it extends
// all), each naming the checkpoint file and its record. Signatures are not checked here
// (VerifyCheckpointSignature). A non-OK status only for a read error.
absl::StatusOr<std::vector<std::string>> CheckLogExtends(const Store& store,
                                                         std::span<const NamedCheckpoint> checkpoints);

}  // namespace bukong::storage

#endif  // BUKONG_STORAGE_CHECKPOINT_H_
