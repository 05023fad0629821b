// Store: opening and creating the database, the selection key, profiles, rulesets and
// outcomes. The audit log is in audit.cc, the profile import in import.cc.
#include "storage/store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/sha256.h"
#include "core/status_macros.h"
#include "storage/internal/anchor.h"
#include "storage/internal/encoding.h"
#include "storage/internal/rocks_status.h"
#include "storage/internal/store_impl.h"
#include "storage/internal/wal_guard_fs.h"

namespace bukong::storage {

using internal::FromRocks;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string>& AllColumnFamilies() {
  static const std::vector<std::string> names = {rocksdb::kDefaultColumnFamilyName,
                                                 kCfProfiles,
                                                 kCfRulesets,
                                                 kCfAudit,
                                                 kCfDecided,
                                                 kCfOutcomes,
                                                 kCfMeta,
                                                 kCfLists,
                                                 kCfById};
  return names;
}

rocksdb::WriteOptions SyncedWrite() {
  rocksdb::WriteOptions w;
  w.sync = true;  // fsync the WAL before Write returns: a crash cannot lose the batch
  return w;
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return absl::NotFoundError(fmt::format("{}: {}", path, ec.message()));
  if (size > 4096)
    return absl::InvalidArgumentError(fmt::format("{}: file too large for a key", path));
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return absl::NotFoundError(fmt::format("{}: cannot open", path));
  std::string text(size, '\0');
  const size_t n = std::fread(text.data(), 1, text.size(), f);
  std::fclose(f);
  text.resize(n);
  return text;
}

// Creates `path` with mode 0600 (exactly: umask cannot widen it, fchmod undoes any
// narrowing) holding `content`, synced. Fails if the file exists.
absl::Status WritePrivateFile(const std::string& path, std::string_view content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return absl::UnavailableError(fmt::format("{}: cannot create: {}", path, std::strerror(errno)));
  bool ok = ::fchmod(fd, 0600) == 0;
  size_t written = 0;
  while (ok && written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n <= 0)
      ok = false;
    else
      written += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok)
    return absl::UnavailableError(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
  return absl::OkStatus();
}

// Refuses a database folder or key file that other users can read: the audit log holds
// every declaration as received, and the key decides which declarations are sampled
// (docs/storage.md, "Who may read what").
absl::Status CheckPrivate(const std::string& path, bool folder) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return absl::OkStatus();  // reported elsewhere
  const unsigned mode = st.st_mode & 07777;
  if ((mode & 077) == 0) return absl::OkStatus();
  return absl::FailedPreconditionError(fmt::format(
      "{} has mode {:04o}: other users can {} (run `chmod {} {}`; bukong refuses to open it "
      "until then)",
      path, mode,
      folder ? "list and read the database, which holds every declaration"
             : "read the selection key, and with it predict which declarations are sampled",
      folder ? "700" : "600", path));
}

// Why a folder without CURRENT is not a database: absent, or a database that lost CURRENT.
absl::Status NoCurrentError(const std::string& dir) {
  std::error_code ec;
  std::vector<std::string> evidence;
  if (fs::is_directory(dir, ec)) {
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("MANIFEST-", 0) == 0 || name == kSelectionKeyFileName ||
          name == internal::kAnchorFileName || name.ends_with(".sst") || name.ends_with(".log"))
        evidence.push_back(name);
    }
  }
  if (evidence.empty()) {
    return absl::NotFoundError(
        fmt::format("no bukong database in {} (create one with `bukong init --db {}`)", dir, dir));
  }
  std::sort(evidence.begin(), evidence.end());
  if (evidence.size() > 4) evidence.resize(4), evidence.push_back("...");
  return absl::DataLossError(fmt::format(
      "{} holds a database's files ({}) but no CURRENT, the file naming its live MANIFEST: it "
      "was deleted or lost. Do not run init here. Restore CURRENT (one line: the name of the "
      "newest MANIFEST-* file) or the folder from a backup",
      dir, fmt::join(evidence, ", ")));
}

}  // namespace

void SetUpFileSystem(const StoreTestingOptions& testing, std::shared_ptr<rocksdb::FileSystem>* fs,
                     std::unique_ptr<rocksdb::Env>* env) {
  *fs = internal::NewWalGuardFileSystem(testing.file_system ? testing.file_system
                                                            : rocksdb::FileSystem::Default());
  *env = rocksdb::NewCompositeEnv(*fs);
}

absl::Status Store::Impl::Fail(absl::Status s) {
  if (s.ok()) return s;
  std::lock_guard lock(failed_mu);
  if (failed.ok()) failed = s;
  return s;
}

absl::Status Store::Impl::WriteSynced(rocksdb::WriteBatch& batch, std::string_view what) {
  BUKONG_RETURN_IF_ERROR(CheckWritable());
  BUKONG_RETURN_IF_ERROR(Fail(FromRocks(db->Write(rocksdb::WriteOptions(), &batch), what)));
  return Fail(FromRocks(db->SyncWAL(), what));
}

// ---- Options --------------------------------------------------------------------------------

rocksdb::ColumnFamilyOptions ColumnFamilyOptionsFor(const std::string& name,
                                                    const StoreOptions& options,
                                                    const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions cf;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  if (name == kCfProfiles && !options.plain_profile_options) {
    // Point lookups only. A hash index inside each data block finds the key without a binary
    // search; index and filter blocks live in the block cache but are pinned there, so they
    // never miss; blocks are stored uncompressed so a cache miss costs one read, no
    // decompression.
    table.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
    table.data_block_hash_table_util_ratio = 0.75;
    table.cache_index_and_filter_blocks = true;
    table.cache_index_and_filter_blocks_with_high_priority = true;
    table.pin_l0_filter_and_index_blocks_in_cache = true;
    table.metadata_cache_options.top_level_index_pinning = rocksdb::PinningTier::kAll;
    table.metadata_cache_options.unpartitioned_pinning = rocksdb::PinningTier::kAll;
    // 16 KB blocks, not RocksDB's 4 KB: a quarter as many blocks means a smaller block-cache
    // table and a shorter index search per lookup. Fetching the profiles `decide` misses in
    // its own cache took ~14% less CPU (1.21 s instead of 1.41 s for 455,115 profiles;
    // 64 KB measured about the same; docs/PERFORMANCE.md). It applies to files written from
    // now on (`profiles import`); older files keep their 4 KB blocks and stay readable.
    table.block_size = 16 * 1024;
    cf.compression = rocksdb::kNoCompression;
    cf.bottommost_compression = rocksdb::kNoCompression;
    cf.memtable_prefix_bloom_size_ratio = 0.02;
    cf.memtable_whole_key_filtering = true;
    // Enterprises without a profile are normal (unknown enterprise grade), so lookups miss
    // often: keep the bottom level's filters (optimize_filters_for_hits stays false).
    cf.optimize_filters_for_hits = false;
  } else if (name == kCfAudit) {
    // Append-only, read in sequence by replay: big blocks, compressed (JSON compresses well).
    table.block_size = 64 * 1024;
    cf.compression = rocksdb::kLZ4Compression;
    cf.write_buffer_size = size_t{128} << 20;
    // Keys arrive in increasing order: remember the insert position between inserts instead
    // of searching the skiplist from the top each time.
    cf.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(4));
  } else if (name == kCfById) {
    // Read only by prefix seeks (AuditSequencesOf), which a whole-key bloom filter cannot
    // answer: no filter to build at each flush and compaction.
    table.filter_policy.reset();
  }
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return cf;
}

// ---- Init -------------------------------------------------------------------------------------

absl::StatusOr<std::string> InitStore(const std::string& dir, const InitOptions& options) {
  std::error_code ec;
  bool created_dir = false;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) {
      return absl::AlreadyExistsError(fmt::format("{} exists and is not a folder", dir));
    }
    if (fs::exists(fs::path(dir) / "CURRENT", ec)) {
      return absl::AlreadyExistsError(
          fmt::format("{} already holds a database; init changed nothing", dir));
    }
    if (!fs::is_empty(dir, ec)) {
      return absl::AlreadyExistsError(
          fmt::format("{} is not empty; init needs a new or empty folder", dir));
    }
  } else {
    fs::create_directories(dir, ec);
    if (ec) return absl::UnavailableError(fmt::format("cannot create {}: {}", dir, ec.message()));
    created_dir = true;
  }
  // Private from the start: the folder will hold every declaration decided.
  if (::chmod(dir.c_str(), 0700) != 0) {
    return absl::UnavailableError(
        fmt::format("cannot make {} private (chmod 700): {}", dir, std::strerror(errno)));
  }
  // On any failure below, remove what this call created (the folder was empty or absent).
  auto undo = [&] {
    std::error_code ignored;
    if (created_dir) {
      fs::remove_all(dir, ignored);
    } else {
      for (const auto& entry : fs::directory_iterator(dir, ignored))
        fs::remove_all(entry.path(), ignored);
    }
  };

  const SelectionKey key = options.key ? *options.key : SelectionKey::Generate();
  const std::string key_path = (fs::path(dir) / kSelectionKeyFileName).string();
  if (absl::Status s = WritePrivateFile(key_path, key.ToHex() + "\n"); !s.ok()) {
    undo();
    return s;
  }
  const std::string key_id = key.Id();

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.error_if_exists = true;
  db_options.info_log = internal::NewQuietInfoLog(dir);
  StoreOptions defaults;
  auto cache = rocksdb::NewLRUCache(size_t{8} << 20);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : AllColumnFamilies()) {
    descriptors.emplace_back(name, ColumnFamilyOptionsFor(name, defaults, cache));
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, dir, descriptors, &handles, &raw);
  if (!s.ok()) {
    undo();
    return FromRocks(s, fmt::format("creating the database in {}", dir));
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  if (absl::Status a = internal::WriteAnchor(*rocksdb::FileSystem::Default(), dir, {}); !a.ok()) {
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    db->Close().PermitUncheckedError();
    db.reset();
    undo();
    return a;
  }
  rocksdb::ColumnFamilyHandle* meta = nullptr;
  for (size_t i = 0; i < handles.size(); ++i) {
    if (AllColumnFamilies()[i] == kCfMeta) meta = handles[i];
  }
  rocksdb::WriteBatch batch;
  batch.Put(meta, std::string(internal::kMetaSchemaVersion), std::to_string(kSchemaVersion));
  batch.Put(meta, std::string(internal::kMetaKeyId), key_id);
  batch.Put(meta, std::string(internal::kMetaChainHead),
            internal::EncodeChainHead(0, Sha256Digest{}));
  s = db->Write(SyncedWrite(), &batch);
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  if (s.ok()) s = db->Close();
  db.reset();
  if (!s.ok()) {
    undo();
    return FromRocks(s, fmt::format("writing the metadata of {}", dir));
  }
  return key_id;
}

// ---- Open ---------------------------------------------------------------------------------------

Store::Impl::~Impl() {
  if (db) {
    // Flush a writable store's memtables on the way out: everything is already durable in
    // the WAL, but a later open (replay, stats: read-only) would otherwise replay up to a
    // memtable's worth of WAL before answering anything.
    bool healthy;
    {
      std::lock_guard lock(failed_mu);
      healthy = failed.ok();
    }
    if (!options.read_only && healthy)
      db->Flush(rocksdb::FlushOptions(), handles).PermitUncheckedError();
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    db->Close().PermitUncheckedError();
  }
}

absl::Status Store::Impl::CheckWritable() const {
  if (options.read_only) {
    return absl::FailedPreconditionError(fmt::format("{} was opened read-only", dir));
  }
  std::lock_guard lock(failed_mu);
  if (!failed.ok()) {
    return absl::Status(failed.code(),
                        fmt::format("an earlier write to {} failed, so this store accepts no more "
                                    "writes (reopen it): {}",
                                    dir, std::string(failed.message())));
  }
  return absl::OkStatus();
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

const SelectionKey& Store::key() const { return impl_->key; }
const std::string& Store::key_id() const { return impl_->key_id; }
const std::string& Store::dir() const { return impl_->dir; }

namespace {

// The upgrade to schema version 4: writes the by_id entry of every audit record already in
// the log, in synced batches of kBackfillBatch records, before the caller records version 4.
// Entries are plain puts of fixed keys, so a backfill cut short (crash, full disk) leaves a
// database still at its old version whose next writable open simply writes them again. A
// record that does not decode has no id to index; it is skipped (VerifyChain and replay
// name it). Costs about one read and decode of each record: docs/storage.md.
constexpr size_t kBackfillBatch = 16384;

absl::Status BackfillById(Store::Impl& impl) {
  rocksdb::ReadOptions read_options;
  read_options.readahead_size = size_t{2} << 20;
  read_options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(impl.db->NewIterator(read_options, impl.audit));
  rocksdb::WriteBatch batch;
  const std::string what = fmt::format("backfilling the by_id index of {}", impl.dir);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key = it->key().ToStringView(), value = it->value().ToStringView();
    if (key.size() != 8 || value.size() < 32) continue;  // VerifyChain reports these
    auto record = internal::DecodeAuditBody(value.substr(0, value.size() - 32));
    if (!record.ok() || record->declaration_id.empty()) continue;
    batch.Put(impl.by_id,
              internal::EncodeByIdKey(record->declaration_id, internal::ReadBigEndian64(key)),
              rocksdb::Slice());
    if (static_cast<size_t>(batch.Count()) >= kBackfillBatch) {
      BUKONG_RETURN_IF_ERROR(impl.WriteSynced(batch, what));
      batch.Clear();
    }
  }
  BUKONG_RETURN_IF_ERROR(FromRocks(it->status(), what));
  if (batch.Count() > 0) BUKONG_RETURN_IF_ERROR(impl.WriteSynced(batch, what));
  return absl::OkStatus();
}

// Opens the database in `dir` up to (not including) the anchor check.
// The audit anchor is read into `anchored` BEFORE RocksDB opens the log: a read-only open
// beside a running writer then sees at least every record the anchor it read names (the
// writer syncs records before it anchors them), never an anchor ahead of its view.
absl::StatusOr<std::unique_ptr<Store::Impl>> OpenImpl(
    const std::string& dir, const StoreOptions& options,
    std::optional<internal::AnchorValue>* anchored) {
  using Impl = Store::Impl;
  std::error_code ec;
  if (!fs::exists(fs::path(dir) / "CURRENT", ec)) return NoCurrentError(dir);
  BUKONG_RETURN_IF_ERROR(CheckPrivate(dir, /*folder=*/true));
  BUKONG_RETURN_IF_ERROR(
      CheckPrivate((fs::path(dir) / kSelectionKeyFileName).string(), /*folder=*/false));
  std::shared_ptr<rocksdb::FileSystem> file_system;
  std::unique_ptr<rocksdb::Env> env;
  SetUpFileSystem(options.testing, &file_system, &env);
  BUKONG_ASSIGN_OR_RETURN(*anchored, internal::ReadAnchor(*file_system, dir));
  rocksdb::DBOptions list_options;
  list_options.env = env.get();
  std::vector<std::string> existing;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(list_options, dir, &existing);
  if (!s.ok()) return FromRocks(s, fmt::format("reading {}", dir));
  if (std::find(existing.begin(), existing.end(), kCfMeta) == existing.end()) {
    return absl::FailedPreconditionError(fmt::format(
        "{} is a RocksDB database but not a bukong one (no `meta` column family)", dir));
  }

  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->options = options;
  impl->fs = std::move(file_system);
  impl->env = std::move(env);
  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes, /*num_shard_bits=*/6,
                                    /*strict_capacity_limit=*/false,
                                    /*high_pri_pool_ratio=*/0.1);
  rocksdb::DBOptions db_options;
  db_options.env = impl->env.get();
  db_options.info_log = internal::NewQuietInfoLog(dir);
  db_options.create_if_missing = false;
  // Recovery replays the write-ahead log up to the first damaged or torn record and stops
  // there (point in time). Absolute consistency would refuse every database whose last,
  // unacknowledged write was torn by a power cut; tolerating corrupted tail records could
  // silently drop damage at the end. The records that matter, the acknowledged ones, are
  // checked against the audit anchor instead (CheckAnchor), which turns a recovery that
  // stopped early into a refusal naming the lost records (docs/storage.md).
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  // Fail on any inconsistency RocksDB notices (file sizes, manifest, block checksums on
  // every read: ReadOptions::verify_checksums is on by default) instead of working around it.
  db_options.paranoid_checks = true;
  db_options.max_background_jobs = 2;
  db_options.bytes_per_sync = size_t{1} << 20;
  // No WAL compression: in RocksDB 7.8 it is experimental, and with it a database written by
  // a large `decide` failed to reopen ("SST file is ahead of WALs", "bad WriteBatch Put").
  // The audit log is the proof of what was decided; it must reopen after anything.
  db_options.wal_compression = rocksdb::kNoCompression;
  // Never on a read-only open: RocksDB 7.8 opened read-only with a row cache answers a second
  // Get of the same key with NotFound (seen on GetProfile and GetRuleset).
  if (options.row_cache_bytes > 0 && !options.read_only)
    db_options.row_cache = rocksdb::NewLRUCache(options.row_cache_bytes, 6);
  // Every column family on disk must be opened; ones this version does not know get
  // default options (the schema check below refuses such a database anyway).
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : existing) {
    descriptors.emplace_back(name, ColumnFamilyOptionsFor(name, options, cache));
  }
  impl->profile_cf_options = ColumnFamilyOptionsFor(kCfProfiles, options, cache);
  rocksdb::DB* raw = nullptr;
  s = options.read_only
          ? rocksdb::DB::OpenForReadOnly(db_options, dir, descriptors, &impl->handles, &raw)
          : rocksdb::DB::Open(db_options, dir, descriptors, &impl->handles, &raw);
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
    return absl::UnavailableError(fmt::format(
        "the database in {} is in use by another process (only one may write at a time): {}", dir,
        s.ToString()));
  }
  if (!s.ok()) return FromRocks(s, fmt::format("opening the database in {}", dir));
  impl->db.reset(raw);
  for (size_t i = 0; i < existing.size(); ++i) {
    auto* h = impl->handles[i];
    if (existing[i] == kCfProfiles) impl->profiles = h;
    if (existing[i] == kCfRulesets) impl->rulesets = h;
    if (existing[i] == kCfAudit) impl->audit = h;
    if (existing[i] == kCfDecided) impl->decided = h;
    if (existing[i] == kCfOutcomes) impl->outcomes = h;
    if (existing[i] == kCfMeta) impl->meta = h;
    if (existing[i] == kCfLists) impl->lists = h;
    if (existing[i] == kCfById) impl->by_id = h;
  }

  std::string value;
  s = impl->db->Get(rocksdb::ReadOptions(), impl->meta, internal::kMetaSchemaVersion, &value);
  if (s.IsNotFound()) {
    return absl::FailedPreconditionError(
        fmt::format("{} has no schema version; not a bukong database", dir));
  }
  if (!s.ok()) return FromRocks(s, fmt::format("reading the schema version of {}", dir));
  int version = 0;
  for (int v = kOldestReadableSchemaVersion; v <= kSchemaVersion; ++v) {
    if (value == std::to_string(v)) version = v;
  }
  if (version == 0) {
    return absl::FailedPreconditionError(
        fmt::format("the database in {} has schema version {}; this bukong reads versions {} to {}",
                    dir, value, kOldestReadableSchemaVersion, kSchemaVersion));
  }
  if (!impl->profiles || !impl->rulesets || !impl->audit || !impl->decided || !impl->outcomes ||
      (version >= 4 && !impl->by_id)) {
    return absl::DataLossError(fmt::format("{} lacks one of bukong's column families", dir));
  }
  impl->by_id_complete = version >= 4;

  std::string recorded_key_id;
  s = impl->db->Get(rocksdb::ReadOptions(), impl->meta, internal::kMetaKeyId, &recorded_key_id);
  if (!s.ok()) return FromRocks(s, fmt::format("reading the key id of {}", dir));
  const std::string key_path = (fs::path(dir) / kSelectionKeyFileName).string();
  auto key_text = ReadSmallFile(key_path);
  if (!key_text.ok()) {
    return absl::DataLossError(fmt::format("the selection key of {} is missing: {}", dir,
                                           std::string(key_text.status().message())));
  }
  auto key = SelectionKey::FromHex(*key_text);
  if (!key.ok()) {
    return absl::DataLossError(
        fmt::format("{}: {}", key_path, std::string(key.status().message())));
  }
  impl->key = *key;
  impl->key_id = key->Id();
  if (impl->key_id != recorded_key_id) {
    return absl::DataLossError(
        fmt::format("{} holds key {} but the database was created with key {}", key_path,
                    impl->key_id, recorded_key_id));
  }

  s = impl->db->Get(rocksdb::ReadOptions(), impl->meta, internal::kMetaChainHead, &value);
  if (!s.ok()) return FromRocks(s, fmt::format("reading the chain head of {}", dir));
  if (value.size() != 8 + 32)
    return absl::DataLossError(fmt::format("{}: malformed chain head", dir));
  impl->head_seq = internal::ReadBigEndian64(value);
  std::copy(value.begin() + 8, value.end(), impl->head_hash.begin());

  // An older database opened for writing will get records of the current format: record
  // the current version now (synced), so that an older bukong refuses it from here on.
  if (version < kSchemaVersion && !options.read_only) {
    if (!impl->lists) {  // schema version 3 added the lists column family
      rocksdb::ColumnFamilyHandle* h = nullptr;
      s = impl->db->CreateColumnFamily(ColumnFamilyOptionsFor(kCfLists, options, cache), kCfLists,
                                       &h);
      if (!s.ok()) return FromRocks(s, fmt::format("adding the lists of {}", dir));
      impl->handles.push_back(h);
      impl->lists = h;
    }
    if (version < 4) {  // schema version 4 added the by_id index of every decision
      if (!impl->by_id) {
        rocksdb::ColumnFamilyHandle* h = nullptr;
        s = impl->db->CreateColumnFamily(ColumnFamilyOptionsFor(kCfById, options, cache),
                                         kCfById, &h);
        if (!s.ok()) return FromRocks(s, fmt::format("adding the by_id index of {}", dir));
        impl->handles.push_back(h);
        impl->by_id = h;
      }
      BUKONG_RETURN_IF_ERROR(BackfillById(*impl));
      impl->by_id_complete = true;
    }
    rocksdb::WriteBatch upgrade;
    upgrade.Put(impl->meta, internal::kMetaSchemaVersion, std::to_string(kSchemaVersion));
    BUKONG_RETURN_IF_ERROR(
        impl->WriteSynced(upgrade, fmt::format("upgrading the schema version of {}", dir)));
  }
  return impl;
}

// Compares the recovered chain with the audit anchor (the last acknowledged record).
absl::Status CheckAnchor(const Store::Impl& impl, const internal::AnchorValue& a) {
  const std::string anchor_path = (fs::path(impl.dir) / internal::kAnchorFileName).string();
  if (a.seq > impl.head_seq) {
    return absl::DataLossError(fmt::format(
        "the audit log of {} ends at record {} but record {} was acknowledged ({}): records "
        "{}..{} are lost. A write-ahead log (*.log) or table file of the database is damaged or "
        "truncated, or the folder was restored from an older copy. Nothing was changed; "
        "`bukong audit salvage --db {}` continues the log after the loss and records exactly "
        "what was lost",
        impl.dir, impl.head_seq, a.seq, anchor_path, impl.head_seq + 1, a.seq, impl.dir));
  }
  Sha256Digest stored{};
  if (a.seq == impl.head_seq) {
    stored = impl.head_hash;
  } else if (a.seq > 0) {
    std::string value;
    rocksdb::Status s = impl.db->Get(rocksdb::ReadOptions(), impl.audit,
                                     internal::EncodeAuditKey(a.seq), &value);
    if (s.IsNotFound() || (s.ok() && value.size() < 32)) {
      return absl::DataLossError(fmt::format(
          "record {} of {}, the last acknowledged one ({}), is missing or damaged", a.seq,
          impl.dir, anchor_path));
    }
    if (!s.ok()) return FromRocks(s, fmt::format("reading record {} of {}", a.seq, impl.dir));
    std::copy(value.end() - 32, value.end(), stored.begin());
  }
  if (stored != a.hash) {
    return absl::DataLossError(fmt::format(
        "record {} of {} is not the record that was acknowledged: its chain hash {} differs "
        "from {} in {}. The log was rolled back and rewritten after that record was "
        "acknowledged",
        a.seq, impl.dir, ToHex(stored), ToHex(a.hash), anchor_path));
  }
  return absl::OkStatus();
}

}  // namespace

namespace {

// The names of the files that make up a database's state: its write-ahead logs, tables and
// manifests. A writer changes this set when it switches memtables, flushes or compacts.
std::set<std::string> StateFiles(const std::string& dir) {
  std::set<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.ends_with(".log") || name.ends_with(".sst") || name.starts_with("MANIFEST-") ||
        name == "CURRENT")
      names.insert(name);
  }
  return names;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& dir,
                                                   const StoreOptions& options) {
  if (!options.read_only) return OpenOnce(dir, options);
  // A read-only open takes no lock, so a process writing the database at the same time may
  // flush a memtable and delete the write-ahead log it came from between RocksDB's reading of
  // the manifest and of the logs: the open then sees an older state (seen: a checkpoint beside
  // a running decide recovered record 1 of 40,001 and reported the rest lost), or misses a
  // table file. Such a failure is retried when the database's files changed during the attempt;
  // one on files that stood still is the database's real state and is reported at once.
  absl::Status last;
  for (int attempt = 0; attempt < 50; ++attempt) {
    const std::set<std::string> before = StateFiles(dir);
    auto store = OpenOnce(dir, options);
    if (store.ok()) return store;
    last = store.status();
    if (StateFiles(dir) == before) return last;
    ::usleep(static_cast<useconds_t>(1000 * (attempt + 1)));
  }
  return last;
}

absl::StatusOr<std::unique_ptr<Store>> Store::OpenOnce(const std::string& dir,
                                                       const StoreOptions& options) {
  std::optional<internal::AnchorValue> anchored;
  BUKONG_ASSIGN_OR_RETURN(std::unique_ptr<Impl> impl, OpenImpl(dir, options, &anchored));
  internal::AnchorValue at{impl->head_seq, impl->head_hash};
  if (anchored) {
    BUKONG_RETURN_IF_ERROR(CheckAnchor(*impl, *anchored));
    at = *anchored;
  } else if (!options.read_only) {
    // A database from before the anchor: anchor what it holds now.
    BUKONG_RETURN_IF_ERROR(internal::WriteAnchor(*impl->fs, dir, at));
  }
  if (!options.read_only) {
    impl->anchor = std::make_unique<internal::Anchor>(impl->fs.get(), dir, at);
  }
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

absl::StatusOr<SalvageReport> Store::Salvage(const std::string& dir, const StoreOptions& options) {
  if (options.read_only) return absl::InvalidArgumentError("salvage needs a writable open");
  std::optional<internal::AnchorValue> anchored;
  BUKONG_ASSIGN_OR_RETURN(std::unique_ptr<Impl> impl, OpenImpl(dir, options, &anchored));
  SalvageReport report;
  report.recovered_head = impl->head_seq;
  report.acknowledged = anchored ? anchored->seq : impl->head_seq;
  if (!anchored || anchored->seq <= impl->head_seq) {
    if (anchored) BUKONG_RETURN_IF_ERROR(CheckAnchor(*impl, *anchored));
    report.message = fmt::format(
        "nothing to salvage: the audit log of {} holds every acknowledged record (1..{})", dir,
        impl->head_seq);
    return report;
  }
  const internal::AnchorValue a = *anchored;
  report.first_lost = impl->head_seq + 1;
  report.last_lost = a.seq;
  const std::string when = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());
  // The loss is recorded in the database (meta `lost/BE64(first)`: BE64(last) || the
  // acknowledged hash of `last` || the time) and the chain head jumps to the acknowledged
  // record, so the next record gets number last+1 (numbers are never reused) and chains
  // from the acknowledged hash; VerifyChain reports the lost range by name.
  rocksdb::WriteBatch batch;
  char first_key[8], last_value[8];
  internal::WriteBigEndian64(first_key, report.first_lost);
  internal::WriteBigEndian64(last_value, report.last_lost);
  batch.Put(impl->meta, std::string(internal::kMetaLostPrefix) + std::string(first_key, 8),
            std::string(last_value, 8) + std::string(internal::AsView(a.hash)) + when);
  batch.Put(impl->meta, std::string(internal::kMetaChainHead),
            internal::EncodeChainHead(a.seq, a.hash));
  BUKONG_RETURN_IF_ERROR(impl->WriteSynced(batch, "recording the salvage"));
  report.message = fmt::format(
      "salvaged {}: records {}..{} ({} acknowledged decisions) are lost; records 1..{} are "
      "intact; the log continues at record {}, chained from the acknowledged hash {}",
      dir, report.first_lost, report.last_lost, report.last_lost - report.first_lost + 1,
      impl->head_seq, a.seq + 1, ToHex(a.hash));
  // A plain-text log beside the database, for people: appended and synced.
  const std::string log_path = (fs::path(dir) / "salvage.log").string();
  const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd >= 0) {
    const std::string line = fmt::format("{} {}\n", when, report.message);
    const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                    ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) report.message += fmt::format(" (could not write {})", log_path);
  }
  return report;
}

absl::Status Store::CompactAll() {
  BUKONG_RETURN_IF_ERROR(impl_->CheckWritable());
  for (auto* h : impl_->handles) {
    rocksdb::Status s = impl_->db->Flush(rocksdb::FlushOptions(), h);
    if (s.ok()) s = impl_->db->CompactRange(rocksdb::CompactRangeOptions(), h, nullptr, nullptr);
    if (!s.ok()) return FromRocks(s, "compacting");
  }
  return absl::OkStatus();
}

// ---- Profiles --------------------------------------------------------------------------------

absl::StatusOr<std::optional<Profile>> Store::GetProfile(std::string_view id) const {
  rocksdb::PinnableSlice value;
  rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), impl_->profiles,
                                     rocksdb::Slice(id.data(), id.size()), &value);
  if (s.IsNotFound()) return std::optional<Profile>();
  if (!s.ok()) return FromRocks(s, "reading a profile");
  BUKONG_ASSIGN_OR_RETURN(Profile p, internal::DecodeProfileValue(id, value.ToStringView()));
  return std::optional<Profile>(std::move(p));
}

absl::Status Store::GetProfiles(std::span<const std::string_view> ids,
                                std::vector<std::optional<Profile>>* out) const {
  out->resize(ids.size());
  if (ids.empty()) return absl::OkStatus();
  std::vector<rocksdb::Slice> keys(ids.begin(), ids.end());
  std::vector<rocksdb::PinnableSlice> values(ids.size());
  std::vector<rocksdb::Status> statuses(ids.size());
  impl_->db->MultiGet(rocksdb::ReadOptions(), impl_->profiles, keys.size(), keys.data(),
                      values.data(), statuses.data());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (statuses[i].IsNotFound()) {
      (*out)[i].reset();
      continue;
    }
    if (!statuses[i].ok()) return FromRocks(statuses[i], "reading profiles");
    BUKONG_ASSIGN_OR_RETURN(Profile p,
                            internal::DecodeProfileValue(ids[i], values[i].ToStringView()));
    (*out)[i] = std::move(p);
  }
  return absl::OkStatus();
}

absl::Status ValidateProfile(const Profile& p) {
  if (p.id.empty()) return absl::InvalidArgumentError("profile id is empty");
  if (p.hits > p.inspections) {
    return absl::InvalidArgumentError(fmt::format("profile '{}': hits ({}) exceed inspections ({})",
                                                  p.id, p.hits, p.inspections));
  }
  return absl::OkStatus();
}

absl::Status Store::PutProfile(const Profile& profile) {
  BUKONG_RETURN_IF_ERROR(impl_->CheckWritable());
  BUKONG_RETURN_IF_ERROR(ValidateProfile(profile));
  std::lock_guard lock(impl_->write_mu);
  rocksdb::WriteBatch batch;
  batch.Put(impl_->profiles, profile.id, internal::EncodeProfileValue(profile));
  return impl_->WriteSynced(batch, "writing a profile");
}

// ---- Rulesets --------------------------------------------------------------------------------

absl::StatusOr<std::string> Store::PutRuleset(std::string_view text, std::string_view name,
                                              int64_t version) {
  BUKONG_RETURN_IF_ERROR(impl_->CheckWritable());
  const Sha256Digest digest = Sha256(text);
  const std::string key(internal::AsView(digest));
  std::string existing;
  rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), impl_->rulesets, key, &existing);
  if (s.ok()) return ToHex(digest);  // stored once: same text, same key
  if (!s.IsNotFound()) return FromRocks(s, "reading a ruleset");
  rocksdb::WriteBatch batch;
  batch.Put(impl_->rulesets, key, internal::EncodeRulesetValue(name, version, text));
  BUKONG_RETURN_IF_ERROR(impl_->WriteSynced(batch, "writing a ruleset"));
  return ToHex(digest);
}

absl::StatusOr<std::optional<StoredRuleset>> Store::GetRuleset(std::string_view sha256_hex) const {
  const auto key = internal::FromHex(sha256_hex);
  if (!key || key->size() != 32) {
    return absl::InvalidArgumentError(
        fmt::format("'{}' is not a SHA-256 in hex (64 hex digits)", sha256_hex));
  }
  std::string value;
  rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), impl_->rulesets, *key, &value);
  if (s.IsNotFound()) return std::optional<StoredRuleset>();
  if (!s.ok()) return FromRocks(s, "reading a ruleset");
  BUKONG_ASSIGN_OR_RETURN(StoredRuleset r, internal::DecodeRulesetValue(value));
  return std::optional<StoredRuleset>(std::move(r));
}

// ---- Outcomes --------------------------------------------------------------------------------

absl::StatusOr<std::optional<DecisionRef>> Store::FindDecision(
    std::string_view declaration_id) const {
  std::string value;
  rocksdb::Status s =
      impl_->db->Get(rocksdb::ReadOptions(), impl_->decided,
                     rocksdb::Slice(declaration_id.data(), declaration_id.size()), &value);
  if (s.IsNotFound()) return std::optional<DecisionRef>();
  if (!s.ok()) return FromRocks(s, "reading the declaration index");
  BUKONG_ASSIGN_OR_RETURN(DecisionRef ref, internal::DecodeDecisionRef(value));
  return std::optional<DecisionRef>(std::move(ref));
}

absl::StatusOr<std::vector<uint64_t>> Store::AuditSequencesOf(
    std::string_view declaration_id) const {
  std::vector<uint64_t> seqs;
  if (declaration_id.empty()) return seqs;  // never an audited id
  if (!impl_->by_id_complete) {
    // A database older than schema version 4, opened read-only: no complete index yet.
    BUKONG_RETURN_IF_ERROR(ScanAudit(1, UINT64_MAX, [&](const AuditEntry& e) {
      if (e.record.declaration_id == declaration_id) seqs.push_back(e.seq);
      return absl::OkStatus();
    }));
    return seqs;
  }
  // The id's keys are exactly lp(id) || BE64(seq): all of them, and no other id's, lie in
  // [lp(id), lp(id) || 0xff*8 || 0x00).
  const std::string prefix = internal::EncodeByIdPrefix(declaration_id);
  const std::string upper = prefix + std::string(8, '\xff') + std::string(1, '\0');
  rocksdb::ReadOptions read_options;
  const rocksdb::Slice upper_slice(upper);
  read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(read_options, impl_->by_id));
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    if (!key.starts_with(prefix)) break;
    BUKONG_ASSIGN_OR_RETURN(internal::ByIdEntry entry,
                            internal::DecodeByIdEntry(key, it->value().ToStringView()));
    if (entry.declaration_id != declaration_id) break;  // cannot happen: lp() is prefix-free
    seqs.push_back(entry.seq);
  }
  BUKONG_RETURN_IF_ERROR(FromRocks(it->status(), "reading the by_id index"));
  return seqs;
}

bool Store::IndexesEveryDecision() const { return impl_->by_id_complete; }

absl::Status Store::RecordOutcome(std::string_view declaration_id, OutcomeResult result) {
  const OutcomeInput input{std::string(declaration_id), result};
  BUKONG_ASSIGN_OR_RETURN(auto statuses, RecordOutcomes(std::span<const OutcomeInput>(&input, 1)));
  return statuses[0];
}

absl::StatusOr<std::vector<absl::Status>> Store::RecordOutcomes(
    std::span<const OutcomeInput> inputs) {
  BUKONG_RETURN_IF_ERROR(impl_->CheckWritable());
  std::vector<absl::Status> statuses(inputs.size());
  std::lock_guard lock(impl_->write_mu);
  rocksdb::WriteBatch batch;
  std::set<std::string_view> seen;
  struct Delta {
    uint64_t inspections = 0, hits = 0;
  };
  std::map<std::string, Delta> deltas;  // per enterprise
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto& in = inputs[i];
    if (!seen.insert(in.declaration_id).second) {
      statuses[i] = absl::AlreadyExistsError(
          fmt::format("declaration '{}' already has an outcome (given twice in this input)",
                      in.declaration_id));
      continue;
    }
    std::string existing;
    rocksdb::Status s =
        impl_->db->Get(rocksdb::ReadOptions(), impl_->outcomes, in.declaration_id, &existing);
    if (s.ok()) {
      statuses[i] = absl::AlreadyExistsError(
          fmt::format("declaration '{}' already has an outcome", in.declaration_id));
      continue;
    }
    if (!s.IsNotFound()) return FromRocks(s, "reading outcomes");
    BUKONG_ASSIGN_OR_RETURN(std::optional<DecisionRef> ref, FindDecision(in.declaration_id));
    if (!ref) {
      statuses[i] = absl::FailedPreconditionError(
          fmt::format("declaration '{}' was never decided", in.declaration_id));
      continue;
    }
    Outcome outcome{in.declaration_id, in.result, ref->enterprise, ref->audit_seq};
    batch.Put(impl_->outcomes, in.declaration_id, internal::EncodeOutcomeValue(outcome));
    Delta& d = deltas[ref->enterprise];
    d.inspections += 1;
    if (in.result == OutcomeResult::kHit) d.hits += 1;
  }
  auto saturating_add = [](uint64_t a, uint64_t b) {
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
  };
  for (const auto& [enterprise, d] : deltas) {
    BUKONG_ASSIGN_OR_RETURN(std::optional<Profile> profile, GetProfile(enterprise));
    if (!profile) continue;  // SPEC §6: the outcome is stored; counters only with a profile
    profile->inspections = saturating_add(profile->inspections, d.inspections);
    profile->hits = saturating_add(profile->hits, d.hits);
    batch.Put(impl_->profiles, enterprise, internal::EncodeProfileValue(*profile));
  }
  if (batch.Count() > 0) {
    BUKONG_RETURN_IF_ERROR(impl_->WriteSynced(batch, "writing outcomes"));
  }
  return statuses;
}

absl::StatusOr<std::optional<Outcome>> Store::GetOutcome(std::string_view declaration_id) const {
  std::string value;
  rocksdb::Status s =
      impl_->db->Get(rocksdb::ReadOptions(), impl_->outcomes,
                     rocksdb::Slice(declaration_id.data(), declaration_id.size()), &value);
  if (s.IsNotFound()) return std::optional<Outcome>();
  if (!s.ok()) return FromRocks(s, "reading an outcome");
  BUKONG_ASSIGN_OR_RETURN(Outcome o, internal::DecodeOutcomeValue(declaration_id, value));
  return std::optional<Outcome>(std::move(o));
}

absl::Status Store::ScanOutcomes(const std::function<absl::Status(const Outcome&)>& visit) const {
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->outcomes));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    BUKONG_ASSIGN_OR_RETURN(Outcome o, internal::DecodeOutcomeValue(it->key().ToStringView(),
                                                                    it->value().ToStringView()));
    BUKONG_RETURN_IF_ERROR(visit(o));
  }
  return FromRocks(it->status(), "reading outcomes");
}

}  // namespace bukong::storage
