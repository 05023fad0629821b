// bukong's database: enterprise profiles, rulesets, the hash-chained audit log of decisions
// and the outcomes of inspections, in one RocksDB database per folder (SPEC §3-4, §6).
//
//   BUKONG_ASSIGN_OR_RETURN(std::string key_id, storage::InitStore("db", {}));
//   BUKONG_ASSIGN_OR_RETURN(auto store, storage::Store::Open("db"));
//   BUKONG_ASSIGN_OR_RETURN(std::optional<Profile> p, store->GetProfile("91330200MA2AAAAA1X"));
//   BUKONG_ASSIGN_OR_RETURN(storage::AuditRange r, store->AppendAudit(records));  // durable
//
// Every key and value encoding, the schema version and the chain hash are documented in
// docs/storage.md. RocksDB is private to this module: no rocksdb type appears here.
//
// Errors: every fallible call returns absl::Status / absl::StatusOr. NotFound means the
// database folder holds no bukong database; FailedPrecondition a database this version
// cannot read (unknown schema version) or a request the data forbids (an outcome for a
// declaration never decided); AlreadyExists a second outcome or a second `init`; DataLoss
// a record that does not decode; Internal/Unavailable/IOError-like codes come from RocksDB.
#ifndef BUKONG_STORAGE_STORE_H_
#define BUKONG_STORAGE_STORE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/profile.h"
#include "core/selection_key.h"

namespace bukong::storage {

// The layout version this code writes (meta key `schema_version`). It also reads databases
// of every version from kOldestReadableSchemaVersion on: each audit record starts with its
// format byte, so old records stay readable next to new ones, and a writable open of an
// older database records the new version (an older bukong then refuses it instead of
// misreading the new records). Any other version is refused by Store::Open.
// Version 3: lists and their versions (storage/lists.h); version 2: leaner audit records
// (docs/storage.md); version 1: the first layout.
inline constexpr int kSchemaVersion = 3;
inline constexpr int kOldestReadableSchemaVersion = 1;

// Name of the selection-key file inside the database folder (mode 0600, 32 hex digits).
inline constexpr const char* kSelectionKeyFileName = "selection.key";

// The 16-byte SipHash key of SPEC §2 step 5 (core/selection_key.h): a key file's content
// is parsed by SelectionKey::FromHex, and only SelectionKey::Id() ever appears in output,
// logs or records.
using ::bukong::SelectionKey;

struct InitOptions {
  // The selection key (from `--key-file`); when absent a new random key is drawn from the
  // operating system's CSPRNG (libsodium randombytes_buf).
  std::optional<SelectionKey> key;
};

// Creates a new, empty database in `dir` (created if missing; it must otherwise be empty)
// and keeps the key in `dir`/selection.key with mode 0600. Returns the key id.
// AlreadyExists, changing nothing, when `dir` already holds a database or any other file.
absl::StatusOr<std::string> InitStore(const std::string& dir, const InitOptions& options);

struct StoreOptions {
  // Block cache shared by every column family. Profiles are read by point lookups; a cache
  // that holds the hot part of the profile table keeps a lookup in memory. 10,000,000
  // profiles take about 500 MB on disk.
  size_t block_cache_bytes = size_t{512} << 20;

  // RocksDB row cache (a key -> value cache in front of the SST files): the enterprises
  // that declare most are served from it without searching a block. 0 disables. Ignored on
  // read-only opens, where RocksDB 7.8's row cache loses a key on its second Get.
  size_t row_cache_bytes = size_t{64} << 20;

  // Plain RocksDB options for the profiles column family (bloom filter 10 bits/key, binary
  // search blocks, default compression) instead of the tuned ones; benchmarks compare both.
  bool plain_profile_options = false;

  // Memory the profile import may use to sort rows before it spills a sorted run to disk.
  size_t import_memory_bytes = size_t{256} << 20;

  // Size at which the import starts a new SST file. Several files let later compactions
  // work in parallel; one IngestExternalFile call adds them all atomically either way.
  size_t import_sst_file_bytes = size_t{256} << 20;

  // Open read-only (replay, stats, `profiles get`): no writes, no background work, and
  // several processes may read the same folder. Writing calls return FailedPrecondition.
  bool read_only = false;
};

// ---- Records -----------------------------------------------------------------------------

// One decision as the audit log keeps it (SPEC §4). All strings are stored byte for byte.
struct AuditRecord {
  std::string declaration_id;      // the declaration's `id`
  std::string enterprise;          // the declaration's `enterprise`
  std::string declaration;         // the declaration as received (its JSON line)
  std::optional<Profile> profile;  // the profile snapshot the decision used, if any
  std::string ruleset_sha256;      // lower-case hex SHA-256 of the ruleset text
  std::string key_id;              // SelectionKey::Id(), never the key
  std::string decision;            // the decision's JSON line, exactly as printed

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
           std::string_view key_id, std::string_view decision);
  void Add(const AuditRecord& r) {
    Add(r.declaration_id, r.enterprise, r.declaration, r.profile ? &*r.profile : nullptr,
        r.ruleset_sha256, r.key_id, r.decision);
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

struct StoredRuleset {
  std::string sha256;  // lower-case hex SHA-256 of text
  std::string name;
  int64_t version = 0;
  std::string text;
};

enum class OutcomeResult { kClean, kHit };

// One inspection result (SPEC §3 outcomes), stored once per declaration id.
struct Outcome {
  std::string declaration_id;
  OutcomeResult result = OutcomeResult::kClean;
  std::string enterprise;  // from the audit record of the decision
  uint64_t audit_seq = 0;  // the latest audit record of that declaration when recorded
};

// Where the latest decision of a declaration id sits in the audit log.
struct DecisionRef {
  uint64_t audit_seq = 0;
  std::string enterprise;
};

// ---- Profile import ----------------------------------------------------------------------

// A stream of profiles for ImportProfiles: yields profiles in file order, std::nullopt at
// the end, or a non-OK status whose message is the complete diagnostic
// (`FILE:LINE: error: MESSAGE`); the import then fails and the database is unchanged.
class ProfileSource {
 public:
  virtual ~ProfileSource() = default;
  virtual absl::StatusOr<std::optional<Profile>> Next() = 0;
};

struct ImportOptions {
  // Called now and then (about every 100,000 rows, and once at the end) with the rows read
  // so far and the phase ("reading", "sorting", "ingesting"); for progress on a terminal.
  std::function<void(uint64_t rows, std::string_view phase)> progress;
  // Files with at most this many rows are written with one atomic WriteBatch instead of
  // SST files (cheaper for small files, same all-or-nothing guarantee).
  uint64_t batch_write_max_rows = 50'000;
};

struct ImportStats {
  uint64_t rows = 0;         // rows read
  uint64_t profiles = 0;     // distinct ids written (a later row of the same id wins)
  uint64_t sorted_runs = 0;  // sorted runs spilled to disk (0 or 1 means in-memory sort)
  uint64_t sst_files = 0;    // SST files ingested (0 when a WriteBatch was used)
};

// ---- The store ---------------------------------------------------------------------------

// An open database. Safe for concurrent use from many threads: reads run in parallel;
// AppendAudit, RecordOutcome(s), PutProfile and the commit step of ImportProfiles are
// serialised internally so the chain and the counters stay exact. One process at a time
// may open a folder for writing (RocksDB's LOCK file); read-only opens may share it.
class Store {
 public:
  // Opens the database in `dir`. NotFound if there is none; FailedPrecondition (naming the
  // versions) when its schema version is outside kOldestReadableSchemaVersion..kSchemaVersion
  // (a writable open of an older one records kSchemaVersion); DataLoss when selection.key
  // is missing, malformed, or does not match the key id recorded at init.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& dir,
                                                     const StoreOptions& options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const SelectionKey& key() const;
  const std::string& key_id() const;
  const std::string& dir() const;

  // -- Profiles.
  // The profile of enterprise `id`, or nullopt when there is none.
  absl::StatusOr<std::optional<Profile>> GetProfile(std::string_view id) const;
  // The profiles of many enterprises: (*out)[i] for ids[i] (resized to ids.size()). One
  // RocksDB MultiGet, which looks the keys up file by file in one pass instead of one Get
  // each; cheaper per key when there are dozens.
  absl::Status GetProfiles(std::span<const std::string_view> ids,
                           std::vector<std::optional<Profile>>* out) const;
  // Inserts or replaces one profile (validated like an imported row: non-empty id,
  // hits <= inspections). Durable (synced) on return.
  absl::Status PutProfile(const Profile& profile);
  // Upserts every profile of `source`, all or nothing: on any error (from the source or the
  // database) nothing is written. Large inputs are sorted (spilling sorted runs to a
  // temporary folder inside `dir` when they exceed import_memory_bytes), written as SST
  // files and ingested in one atomic call; readers see all old or all new profiles.
  absl::StatusOr<ImportStats> ImportProfiles(ProfileSource& source,
                                             const ImportOptions& options = {});

  // -- Rulesets, stored once by the SHA-256 of their text. Returns the lower-case hex SHA.
  absl::StatusOr<std::string> PutRuleset(std::string_view text, std::string_view name,
                                         int64_t version);
  absl::StatusOr<std::optional<StoredRuleset>> GetRuleset(std::string_view sha256_hex) const;

  // -- Audit log.
  // Appends `records` in order, assigning consecutive sequence numbers and chaining them,
  // in one atomic write with the new chain head and the declaration index, written to the
  // WAL and synced (fsync) before returning: when this returns OK the records survive a
  // crash, so the caller may print the decisions. Group many records per call for
  // throughput. An empty span is a no-op returning {head+1, head}.
  absl::StatusOr<AuditRange> AppendAudit(std::span<const AuditRecord> records);
  // The same for records already encoded (same bytes, same chain); the batch is unchanged.
  absl::StatusOr<AuditRange> AppendAudit(const AuditBatch& batch);
  // AppendAudit in two steps, so that a caller can write the next batch while the previous
  // one is being synced: WriteAudit assigns sequence numbers, chains and writes the batch
  // (records, declaration index, chain head: one atomic write to the WAL) but does NOT sync;
  // until a SyncAudit that *starts after* it returns OK, a crash may lose those records
  // (only whole batches at the end of the log, never one in the middle). SyncAudit makes
  // every batch written before it durable (one fsync for any number of batches). Print or
  // acknowledge nothing between the two.
  absl::StatusOr<AuditRange> WriteAudit(const AuditBatch& batch);
  absl::Status SyncAudit();
  ChainHead Head() const;
  // The record with sequence number `seq`, or nullopt.
  absl::StatusOr<std::optional<AuditEntry>> GetAudit(uint64_t seq) const;
  // Calls `visit` for every record with from <= seq <= to in order (stops at the first
  // non-OK status from `visit` and returns it). DataLoss for a record that does not decode.
  absl::Status ScanAudit(uint64_t from, uint64_t to,
                         const std::function<absl::Status(const AuditEntry&)>& visit) const;
  // Checks the chain over from..to (to = UINT64_MAX: up to the head): every record present,
  // decodable, in place and matching its hash; the last one agreeing with the chain head.
  // Returns every problem found (empty: intact). A non-OK status only for I/O failure.
  absl::StatusOr<std::vector<ChainProblem>> VerifyChain(uint64_t from = 1,
                                                        uint64_t to = UINT64_MAX) const;
  // The latest decision of `declaration_id`, or nullopt when it was never decided.
  absl::StatusOr<std::optional<DecisionRef>> FindDecision(std::string_view declaration_id) const;

  // -- Outcomes.
  // Records the result of inspecting `declaration_id`: FailedPrecondition when it was never
  // decided, AlreadyExists when it already has an outcome. In the same atomic, synced write
  // adds 1 to the enterprise's `inspections` and, for a hit, to `hits` — only when the
  // enterprise has a profile (the outcome is stored either way).
  absl::Status RecordOutcome(std::string_view declaration_id, OutcomeResult result);
  struct OutcomeInput {
    std::string declaration_id;
    OutcomeResult result = OutcomeResult::kClean;
  };
  // Many outcomes in one synced write; element i of the result is the status of inputs[i]
  // (a repeated id within `inputs` is AlreadyExists from its second occurrence). Accepted
  // ones are written together; rejected ones change nothing. A non-OK StatusOr means the
  // write itself failed and nothing was recorded.
  absl::StatusOr<std::vector<absl::Status>> RecordOutcomes(std::span<const OutcomeInput> inputs);
  absl::StatusOr<std::optional<Outcome>> GetOutcome(std::string_view declaration_id) const;
  // Every outcome, in declaration-id byte order.
  absl::Status ScanOutcomes(const std::function<absl::Status(const Outcome&)>& visit) const;

  // Flushes memtables and compacts every column family (tools and benchmarks).
  absl::Status CompactAll();

  struct Impl;

 private:
  friend struct StoreInternals;  // the other files of storage/ (lists.cc) reach impl_

  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bukong::storage

#endif  // BUKONG_STORAGE_STORE_H_
