// bukong's database: enterprise profiles, rulesets, the hash-chained audit log of decisions
// and the outcomes of inspections, in one RocksDB database per folder (SPEC §3-4, §6).
//
//   BUKONG_ASSIGN_OR_RETURN(std::string key_id, storage::InitStore("db", {}));
//   BUKONG_ASSIGN_OR_RETURN(auto store, storage::Store::Open("db"));
//   BUKONG_ASSIGN_OR_RETURN(std::optional<Profile> p, store->GetProfile("91330200MA2AAAAA1X"));
//   BUKONG_ASSIGN_OR_RETURN(storage::AuditRange r, store->AppendAudit(records));  // durable
//
// Options are in storage/options.h, audit records in storage/audit.h (both included here).
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
#include "storage/audit.h"
#include "storage/options.h"

namespace bukong::storage {

// The layout version this code writes (meta key `schema_version`). It also reads databases
// of every version from kOldestReadableSchemaVersion on: each audit record starts with its
// format byte, so old records stay readable next to new ones, and a writable open of an
// older database records the new version (an older bukong then refuses it instead of
// misreading the new records). Any other version is refused by Store::Open.
// Version 4: audit records keep the full digests of their list versions (format 3 records,
// AuditRecord::lists), and the by_id index of every audited decision (AuditSequencesOf);
// version 3: lists and their versions (storage/lists.h); version 2: leaner audit records
// (docs/storage.md); version 1: the first layout.
inline constexpr int kSchemaVersion = 4;
inline constexpr int kOldestReadableSchemaVersion = 1;

// Name of the selection-key file inside the database folder (mode 0600, 32 hex digits).
inline constexpr const char* kSelectionKeyFileName = "selection.key";

// The 16-byte SipHash key of SPEC §2 step 5 (core/selection_key.h): a key file's content
// is parsed by SelectionKey::FromHex, and only SelectionKey::Id() ever appears in output,
// logs or records.
using ::bukong::SelectionKey;

// Creates a new, empty database in `dir` (created if missing; it must otherwise be empty)
// and keeps the key in `dir`/selection.key with mode 0600. Returns the key id.
// AlreadyExists, changing nothing, when `dir` already holds a database or any other file.
absl::StatusOr<std::string> InitStore(const std::string& dir, const InitOptions& options);

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

// What Store::Salvage found and did.
struct SalvageReport {
  uint64_t recovered_head = 0;  // the last record the damaged database still holds
  uint64_t acknowledged = 0;    // the last record acknowledged (the audit anchor)
  uint64_t first_lost = 0;      // first_lost..last_lost were lost (both 0: nothing lost)
  uint64_t last_lost = 0;
  std::string message;          // one sentence for the operator, also in DIR/salvage.log
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
  //
  // Open also refuses (DataLoss, naming the records and the file) a database whose audit
  // log lost acknowledged records — RocksDB recovered its write-ahead log only up to a
  // damaged or truncated place — or whose acknowledged last record was replaced: the last
  // acknowledged sequence number and chain hash are kept outside RocksDB, in
  // DIR/audit.anchor, and must be in the chain (docs/storage.md, "Corruption is loud").
  // FailedPrecondition when the folder or selection.key can be read by other users.
  //
  // A read-only open may run beside a process that writes the database (replay, stats or
  // `audit checkpoint` during `decide` or `serve`): it sees at least every record that was
  // acknowledged before it started. An attempt that raced the writer's flush or compaction
  // (the database's files changed meanwhile) is retried.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& dir,
                                                     const StoreOptions& options = {});
  // The explicit way past a refusal for lost records (`bukong audit salvage`): records the
  // lost range in the database and in DIR/salvage.log and moves the chain head to the last
  // acknowledged record, so numbering continues after it (numbers are never reused) and
  // VerifyChain names the lost range from then on. Changes nothing when nothing was lost;
  // refuses a log whose acknowledged record was replaced (that is not damage to salvage).
  static absl::StatusOr<SalvageReport> Salvage(const std::string& dir,
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
  // Every audited decision of `declaration_id`: the sequence numbers of its audit records,
  // oldest first; empty when it was never decided. One seek in the by_id index, written in
  // the same atomic write as the records (schema version 4), so it agrees with the log after
  // any crash. A database older than version 4 opened read-only has no complete index yet
  // (the first writable open backfills it): there this scans the whole audit log (~3 µs a
  // record), and IndexesEveryDecision() is false. DataLoss for a malformed index entry or,
  // when scanning, a record that does not decode.
  absl::StatusOr<std::vector<uint64_t>> AuditSequencesOf(std::string_view declaration_id) const;
  bool IndexesEveryDecision() const;

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

  // The RocksDB state behind the store (storage/internal/store_impl.h); not part of the
  // contract, public only so that the module's internal files can name it.
  struct Impl;

 private:
  friend struct StoreInternals;  // the other files of storage/ (lists.cc) reach impl_
  friend class OutcomeLog;  // storage/outcome_log.h: corrections of outcomes (issue #15)
  explicit Store(std::unique_ptr<Impl> impl);
  static absl::StatusOr<std::unique_ptr<Store>> OpenOnce(const std::string& dir,
                                                         const StoreOptions& options);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bukong::storage

#endif  // BUKONG_STORAGE_STORE_H_
