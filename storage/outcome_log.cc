#include "storage/outcome_log.h"

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <map>

#include "storage/internal/encoding.h"
#include "storage/internal/rocks_status.h"
#include "storage/internal/store_impl.h"

namespace bukong::storage {
namespace {

// Outcome log entries live in the `meta` column family under this prefix:
//   key   = "outcome_log/" BE32(length of id) id BE32(revision)
//   value = 0x01, result (0 clean, 1 hit), BE64(audit seq), BE64(unix seconds),
//           BE32(length of enterprise), enterprise, reason
// Revision 0 (the first outcome) is copied here when it is first superseded; an outcome
// never corrected has no entries, and its only revision is the `outcomes` value.
constexpr std::string_view kPrefix = "outcome_log/";
constexpr uint8_t kEntryFormat = 1;

void PutBigEndian32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

uint32_t ReadBigEndian32(std::string_view b) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(b[i]);
  return v;
}

std::string IdPrefix(std::string_view id) {
  std::string key(kPrefix);
  PutBigEndian32(key, static_cast<uint32_t>(id.size()));
  key.append(id);
  return key;
}

std::string EntryKey(std::string_view id, uint32_t revision) {
  std::string key = IdPrefix(id);
  PutBigEndian32(key, revision);
  return key;
}

std::string EncodeEntry(const OutcomeRevision& r) {
  std::string out;
  out.push_back(static_cast<char>(kEntryFormat));
  out.push_back(r.result == OutcomeResult::kHit ? 1 : 0);
  internal::PutBigEndian64(out, r.audit_seq);
  internal::PutBigEndian64(out, static_cast<uint64_t>(r.recorded_unix));
  PutBigEndian32(out, static_cast<uint32_t>(r.enterprise.size()));
  out.append(r.enterprise);
  out.append(r.reason);
  return out;
}

absl::StatusOr<OutcomeRevision> DecodeEntry(std::string_view key, std::string_view value) {
  auto bad = [&] { return absl::DataLossError("an outcome log entry is not a valid encoding"); };
  if (key.size() < kPrefix.size() + 8) return bad();
  std::string_view rest = key.substr(kPrefix.size());
  const uint32_t id_size = ReadBigEndian32(rest);
  if (rest.size() != 8 + static_cast<size_t>(id_size)) return bad();
  OutcomeRevision r;
  r.declaration_id.assign(rest.substr(4, id_size));
  r.revision = ReadBigEndian32(rest.substr(4 + id_size));
  if (value.size() < 22 || static_cast<uint8_t>(value[0]) != kEntryFormat ||
      static_cast<uint8_t>(value[1]) > 1) {
    return bad();
  }
  r.result = value[1] == 1 ? OutcomeResult::kHit : OutcomeResult::kClean;
  r.audit_seq = internal::ReadBigEndian64(value.substr(2));
  r.recorded_unix = static_cast<int64_t>(internal::ReadBigEndian64(value.substr(10)));
  const uint32_t enterprise_size = ReadBigEndian32(value.substr(18));
  if (value.size() < 22 + static_cast<size_t>(enterprise_size)) return bad();
  r.enterprise.assign(value.substr(22, enterprise_size));
  r.reason.assign(value.substr(22 + enterprise_size));
  return r;
}

OutcomeRevision FromOutcome(const Outcome& o) {
  OutcomeRevision r;
  r.declaration_id = o.declaration_id;
  r.result = o.result;
  r.enterprise = o.enterprise;
  r.audit_seq = o.audit_seq;
  r.current = true;
  return r;
}

// The logged revisions of `id`, oldest first.
absl::StatusOr<std::vector<OutcomeRevision>> Logged(const Store::Impl& impl, std::string_view id) {
  std::vector<OutcomeRevision> out;
  const std::string prefix = IdPrefix(id);
  std::unique_ptr<rocksdb::Iterator> it(impl.db->NewIterator(rocksdb::ReadOptions(), impl.meta));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    auto r = DecodeEntry(it->key().ToStringView(), it->value().ToStringView());
    if (!r.ok()) return r.status();
    out.push_back(*std::move(r));
  }
  if (absl::Status s = internal::FromRocks(it->status(), "reading the outcome log"); !s.ok()) {
    return s;
  }
  return out;
}

}  // namespace

absl::StatusOr<uint32_t> OutcomeLog::Correct(Store& store, std::string_view declaration_id,
                                             OutcomeResult result, std::string_view reason,
                                             int64_t now_unix) {
  Store::Impl& impl = *store.impl_;
  if (absl::Status s = impl.CheckWritable(); !s.ok()) return s;
  if (reason.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return absl::InvalidArgumentError("a correction needs a reason");
  }
  std::lock_guard lock(impl.write_mu);
  absl::StatusOr<std::optional<Outcome>> current = store.GetOutcome(declaration_id);
  if (!current.ok()) return current.status();
  if (!current->has_value()) {
    return absl::FailedPreconditionError(
        fmt::format("declaration '{}' has no outcome to correct (record it with `bukong outcome`)",
                    declaration_id));
  }
  const Outcome& was = **current;
  if (was.result == result) {
    return absl::AlreadyExistsError(fmt::format("declaration '{}' is already recorded as {}",
                                                declaration_id,
                                                result == OutcomeResult::kHit ? "hit" : "clean"));
  }
  absl::StatusOr<std::vector<OutcomeRevision>> logged = Logged(impl, declaration_id);
  if (!logged.ok()) return logged.status();
  rocksdb::WriteBatch batch;
  if (logged->empty()) {  // keep the first outcome in the log
    OutcomeRevision first = FromOutcome(was);
    batch.Put(impl.meta, EntryKey(declaration_id, 0), EncodeEntry(first));
  }
  const uint32_t revision = logged->empty() ? 1 : logged->back().revision + 1;
  OutcomeRevision next = FromOutcome(was);
  next.revision = revision;
  next.result = result;
  next.recorded_unix = now_unix;
  next.reason.assign(reason);
  batch.Put(impl.meta, EntryKey(declaration_id, revision), EncodeEntry(next));
  Outcome latest = was;
  latest.result = result;
  batch.Put(impl.outcomes, rocksdb::Slice(declaration_id.data(), declaration_id.size()),
            internal::EncodeOutcomeValue(latest));
  // The counters follow the latest outcome.
  absl::StatusOr<std::optional<Profile>> profile = store.GetProfile(was.enterprise);
  if (!profile.ok()) return profile.status();
  if (profile->has_value()) {
    Profile& p = **profile;
    if (result == OutcomeResult::kHit) {
      if (p.hits < p.inspections) ++p.hits;
    } else if (p.hits > 0) {
      --p.hits;
    }
    batch.Put(impl.profiles, was.enterprise, internal::EncodeProfileValue(p));
  }
  // The store's one write path (Write, then SyncWAL): a failure is the store's first failure,
  // after which it accepts no more writes (storage/internal/store_impl.h, "Faults").
  if (absl::Status s = impl.WriteSynced(batch, "writing an outcome correction"); !s.ok()) {
    return s;
  }
  return revision;
}

absl::StatusOr<std::vector<OutcomeRevision>> OutcomeLog::History(const Store& store,
                                                                 std::string_view declaration_id) {
  absl::StatusOr<std::optional<Outcome>> current = store.GetOutcome(declaration_id);
  if (!current.ok()) return current.status();
  if (!current->has_value()) return std::vector<OutcomeRevision>();
  absl::StatusOr<std::vector<OutcomeRevision>> logged = Logged(*store.impl_, declaration_id);
  if (!logged.ok()) return logged.status();
  if (logged->empty()) return std::vector<OutcomeRevision>{FromOutcome(**current)};
  logged->back().current = true;
  return logged;
}

absl::Status OutcomeLog::Scan(const Store& store, bool all_revisions,
                              const std::function<absl::Status(const OutcomeRevision&)>& visit) {
  return store.ScanOutcomes([&](const Outcome& o) -> absl::Status {
    absl::StatusOr<std::vector<OutcomeRevision>> revisions = Logged(*store.impl_, o.declaration_id);
    if (!revisions.ok()) return revisions.status();
    if (revisions->empty()) return visit(FromOutcome(o));
    revisions->back().current = true;
    if (!all_revisions) return visit(revisions->back());
    for (const OutcomeRevision& r : *revisions) {
      if (absl::Status s = visit(r); !s.ok()) return s;
    }
    return absl::OkStatus();
  });
}

}  // namespace bukong::storage
