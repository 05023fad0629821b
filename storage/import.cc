// Profile import: all or nothing per file, later rows win, large files as ingested SSTs.
//
// Rows are encoded into an in-memory chunk (one byte arena plus 24-byte entries). When the
// chunk exceeds StoreOptions::import_memory_bytes it is sorted by (key, row) and, keeping
// only the last row of each id, written as a sorted run (an SST file) in a temporary folder
// inside the database folder. At the end the runs are merged (a later run wins a tie) into
// the final SST files, which one IngestExternalFile call adds atomically. Nothing touches
// the database before the last row has been read and checked, so a bad row anywhere —
// including the last — leaves it unchanged. Small files skip the SSTs: one WriteBatch.
#include <fmt/format.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <queue>

#include "core/status_macros.h"
#include "storage/internal/encoding.h"
#include "storage/internal/rocks_status.h"
#include "storage/internal/store_impl.h"
#include "storage/store.h"

namespace bukong::storage {

using internal::FromRocks;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kProgressEvery = 100'000;

// Rows of one chunk: key and value bytes in one arena, located by entries.
class Chunk {
 public:
  static constexpr size_t kArenaSlack = 64 << 10;

  struct Entry {
    uint64_t offset;  // key starts here; value follows the key
    uint32_t key_size;
    uint32_t value_size;
  };

  // Reserves the arena once, so it never reallocates (and never holds twice its size).
  explicit Chunk(size_t arena_bytes) { arena_.reserve(arena_bytes); }

  void Add(const Profile& p) {
    Entry e{arena_.size(), static_cast<uint32_t>(p.id.size()), 0};
    arena_.append(p.id);
    const size_t before = arena_.size();
    internal::AppendProfileValue(arena_, p);
    e.value_size = static_cast<uint32_t>(arena_.size() - before);
    entries_.push_back(e);
  }
  // Bytes in use; Clear() keeps the buffers for the next chunk.
  size_t memory() const { return arena_.size() + entries_.size() * sizeof(Entry); }
  // True when the chunk should be spilled: over `budget`, or so close to the arena's
  // reserved end that the next row could make it reallocate (and double).
  bool Full(size_t budget) const {
    return memory() >= budget || arena_.size() + kArenaSlack > arena_.capacity();
  }
  size_t rows() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

  std::string_view key(const Entry& e) const { return {arena_.data() + e.offset, e.key_size}; }
  std::string_view value(const Entry& e) const {
    return {arena_.data() + e.offset + e.key_size, e.value_size};
  }

  // Sorts by key, keeping for each key only its last row (entries are in row order, so a
  // stable sort leaves the last row of an id last in its run).
  void SortUnique() {
    std::stable_sort(entries_.begin(), entries_.end(),
                     [this](const Entry& a, const Entry& b) { return key(a) < key(b); });
    size_t out = 0;
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (i + 1 < entries_.size() && key(entries_[i]) == key(entries_[i + 1])) continue;
      entries_[out++] = entries_[i];
    }
    entries_.resize(out);
  }
  const std::vector<Entry>& entries() const { return entries_; }
  void Clear() {
    arena_.clear();
    entries_.clear();
  }

 private:
  std::string arena_;
  std::vector<Entry> entries_;
};

// A temporary folder inside the database folder (same file system, so ingestion can move
// the files instead of copying them); removed with everything in it on destruction.
class TempFolder {
 public:
  explicit TempFolder(const std::string& db_dir) {
    static std::atomic<int> counter{0};
    path_ = (fs::path(db_dir) / fmt::format("import-tmp-{}-{}", ::getpid(), counter++)).string();
  }
  ~TempFolder() {
    std::error_code ignored;
    if (created_) fs::remove_all(path_, ignored);
  }
  absl::Status Create() {
    std::error_code ec;
    fs::create_directories(path_, ec);
    if (ec) return absl::UnavailableError(fmt::format("cannot create {}: {}", path_, ec.message()));
    created_ = true;
    return absl::OkStatus();
  }
  std::string File(std::string_view name) const { return (fs::path(path_) / name).string(); }

 private:
  std::string path_;
  bool created_ = false;
};

// Writes sorted unique key/value pairs into SST files of about `max_bytes` each.
class SstSink {
 public:
  SstSink(const rocksdb::Options& options, const TempFolder& folder, std::string prefix,
          uint64_t max_bytes, bool keep_in_page_cache)
      : options_(options),
        folder_(folder),
        prefix_(std::move(prefix)),
        max_bytes_(max_bytes),
        keep_in_page_cache_(keep_in_page_cache) {}

  absl::Status Put(std::string_view key, std::string_view value) {
    if (!writer_) {
      writer_ = std::make_unique<rocksdb::SstFileWriter>(rocksdb::EnvOptions(), options_, nullptr,
                                                         !keep_in_page_cache_);
      files_.push_back(folder_.File(fmt::format("{}-{:06}.sst", prefix_, files_.size())));
      BUKONG_RETURN_IF_ERROR(FromRocks(writer_->Open(files_.back()), "writing an import file"));
    }
    BUKONG_RETURN_IF_ERROR(FromRocks(writer_->Put(rocksdb::Slice(key.data(), key.size()),
                                                  rocksdb::Slice(value.data(), value.size())),
                                     "writing an import file"));
    if (writer_->FileSize() >= max_bytes_) return Close();
    return absl::OkStatus();
  }
  absl::Status Close() {
    if (!writer_) return absl::OkStatus();
    auto writer = std::move(writer_);
    return FromRocks(writer->Finish(), "finishing an import file");
  }
  const std::vector<std::string>& files() const { return files_; }

 private:
  rocksdb::Options options_;
  const TempFolder& folder_;
  std::string prefix_;
  uint64_t max_bytes_;
  bool keep_in_page_cache_;
  std::unique_ptr<rocksdb::SstFileWriter> writer_;
  std::vector<std::string> files_;
};

// Sorted runs are only read back once by the merge: no filters, no compression.
rocksdb::Options RunFileOptions() {
  rocksdb::Options o;
  o.compression = rocksdb::kNoCompression;
  return o;
}

// Merges sorted runs (each sorted, unique keys) into `sink`; on equal keys the run that
// came later in the file wins.
absl::Status MergeRuns(const std::vector<std::string>& runs, SstSink& sink, uint64_t& profiles) {
  struct Cursor {
    std::unique_ptr<rocksdb::SstFileReader> reader;
    std::unique_ptr<rocksdb::Iterator> it;
    size_t run;
  };
  std::vector<Cursor> cursors;
  const rocksdb::Options options = RunFileOptions();
  rocksdb::ReadOptions read_options;
  read_options.readahead_size = size_t{4} << 20;
  read_options.fill_cache = false;
  for (size_t i = 0; i < runs.size(); ++i) {
    Cursor c{std::make_unique<rocksdb::SstFileReader>(options), nullptr, i};
    BUKONG_RETURN_IF_ERROR(FromRocks(c.reader->Open(runs[i]), "reading a sorted run"));
    c.it.reset(c.reader->NewIterator(read_options));
    c.it->SeekToFirst();
    BUKONG_RETURN_IF_ERROR(FromRocks(c.it->status(), "reading a sorted run"));
    if (c.it->Valid()) cursors.push_back(std::move(c));
  }
  // Min-heap on key; among equal keys the latest run comes out first.
  auto later = [&](size_t a, size_t b) {
    const int cmp = cursors[a].it->key().compare(cursors[b].it->key());
    if (cmp != 0) return cmp > 0;
    return cursors[a].run < cursors[b].run;
  };
  std::priority_queue<size_t, std::vector<size_t>, decltype(later)> heap(later);
  for (size_t i = 0; i < cursors.size(); ++i) heap.push(i);
  std::string last_key;
  bool have_last = false;
  while (!heap.empty()) {
    const size_t i = heap.top();
    heap.pop();
    auto& it = *cursors[i].it;
    const std::string_view key = it.key().ToStringView();
    if (!have_last || key != last_key) {
      BUKONG_RETURN_IF_ERROR(sink.Put(key, it.value().ToStringView()));
      last_key.assign(key);
      have_last = true;
      ++profiles;
    }
    it.Next();
    if (it.Valid()) {
      heap.push(i);
    } else {
      BUKONG_RETURN_IF_ERROR(FromRocks(it.status(), "reading a sorted run"));
    }
  }
  return sink.Close();
}

}  // namespace

absl::StatusOr<ImportStats> Store::ImportProfiles(ProfileSource& source,
                                                  const ImportOptions& options) {
  BUKONG_RETURN_IF_ERROR(impl_->CheckWritable());
  ImportStats stats;
  auto progress = [&](std::string_view phase) {
    if (options.progress) options.progress(stats.rows, phase);
  };
  TempFolder folder(impl_->dir);
  const rocksdb::Options profile_options(rocksdb::DBOptions(), impl_->profile_cf_options);
  std::vector<std::string> runs;
  // The arena gets most of the budget; the 24-byte entries the rest.
  Chunk chunk(impl_->options.import_memory_bytes / 4 * 3);

  auto spill = [&]() -> absl::Status {
    if (runs.empty()) BUKONG_RETURN_IF_ERROR(folder.Create());
    progress("sorting");
    chunk.SortUnique();
    SstSink sink(RunFileOptions(), folder, fmt::format("run-{:06}", runs.size()), UINT64_MAX,
                 /*keep_in_page_cache=*/true);
    for (const auto& e : chunk.entries()) {
      BUKONG_RETURN_IF_ERROR(sink.Put(chunk.key(e), chunk.value(e)));
    }
    BUKONG_RETURN_IF_ERROR(sink.Close());
    runs.push_back(sink.files().front());
    chunk.Clear();
    return absl::OkStatus();
  };

  for (;;) {
    BUKONG_ASSIGN_OR_RETURN(std::optional<Profile> profile, source.Next());
    if (!profile) break;
    if (absl::Status s = ValidateProfile(*profile); !s.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("row {}: {}", stats.rows + 1, std::string(s.message())));
    }
    chunk.Add(*profile);
    ++stats.rows;
    if (stats.rows % kProgressEvery == 0) progress("reading");
    if (chunk.Full(impl_->options.import_memory_bytes)) BUKONG_RETURN_IF_ERROR(spill());
  }
  progress("reading");

  // Every row is read and valid; from here on only database failures can stop the import.
  if (runs.empty() && stats.rows <= options.batch_write_max_rows) {
    chunk.SortUnique();
    rocksdb::WriteBatch batch;
    for (const auto& e : chunk.entries()) {
      const auto key = chunk.key(e), value = chunk.value(e);
      batch.Put(impl_->profiles, rocksdb::Slice(key.data(), key.size()),
                rocksdb::Slice(value.data(), value.size()));
    }
    stats.profiles = chunk.entries().size();
    if (batch.Count() > 0) {
      std::lock_guard lock(impl_->write_mu);
      BUKONG_RETURN_IF_ERROR(impl_->WriteSynced(batch, "writing profiles"));
    }
    progress("done");
    return stats;
  }

  SstSink output(profile_options, folder, "profiles", impl_->options.import_sst_file_bytes,
                 /*keep_in_page_cache=*/true);
  if (runs.empty()) {
    BUKONG_RETURN_IF_ERROR(folder.Create());
    progress("sorting");
    chunk.SortUnique();
    for (const auto& e : chunk.entries()) {
      BUKONG_RETURN_IF_ERROR(output.Put(chunk.key(e), chunk.value(e)));
    }
    stats.profiles = chunk.entries().size();
    chunk.Clear();
    BUKONG_RETURN_IF_ERROR(output.Close());
  } else {
    if (!chunk.empty()) BUKONG_RETURN_IF_ERROR(spill());
    chunk = Chunk(0);  // release the arena before merging
    stats.sorted_runs = runs.size();
    progress("merging");
    BUKONG_RETURN_IF_ERROR(MergeRuns(runs, output, stats.profiles));
    std::error_code ignored;
    for (const auto& run : runs) fs::remove(run, ignored);
  }
  stats.sst_files = output.files().size();
  if (!output.files().empty()) {
    progress("ingesting");
    rocksdb::IngestExternalFileOptions ingest;
    ingest.move_files = true;  // same file system: a rename, not a copy
    // One call with every file: RocksDB adds them in a single version edit, so readers see
    // all of the import or none of it.
    std::lock_guard lock(impl_->write_mu);  // no outcome counter update interleaves
    BUKONG_RETURN_IF_ERROR(
        FromRocks(impl_->db->IngestExternalFile(impl_->profiles, output.files(), ingest),
                  "ingesting profiles"));
  }
  progress("done");
  return stats;
}

}  // namespace bukong::storage
