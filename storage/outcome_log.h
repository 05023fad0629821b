// Outcomes as data (issue #15): every outcome ever recorded for a declaration, and the
// correction of one recorded by mistake by a superseding outcome with its reason.
//
// The first outcome of a declaration is recorded by Store::RecordOutcome(s) (`bukong
// outcome`). A correction (`bukong outcome correct`) supersedes the current one: the
// `outcomes` column family then holds the latest outcome — Store::GetOutcome/ScanOutcomes,
// and so stats, what-if and efficacy, follow it — and every earlier one stays in the outcome
// log, with the reason and time of each correction (docs/storage.md, "Outcome log").
// The enterprise's counters follow the latest outcome: a correction from clean to hit adds 1
// to `hits`, from hit to clean takes 1 away (`inspections` counts the inspection once, so it
// does not change), in the same atomic, synced write as the correction (only when the
// enterprise has a profile, as for RecordOutcome).
//
// Thread-safety: as Store; corrections are serialised with the store's other writes.
#ifndef BUKONG_STORAGE_OUTCOME_LOG_H_
#define BUKONG_STORAGE_OUTCOME_LOG_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/store.h"

namespace bukong::storage {

// One outcome of a declaration, as recorded.
struct OutcomeRevision {
  std::string declaration_id;
  uint32_t revision = 0;  // 0: the first outcome; 1, 2, ...: corrections
  OutcomeResult result = OutcomeResult::kClean;
  std::string enterprise;
  uint64_t audit_seq = 0;     // the declaration's latest decision when recorded
  int64_t recorded_unix = 0;  // seconds since 1970 of a correction; 0 for revision 0
  std::string reason;         // why it superseded the previous one; "" for revision 0
  bool current = false;       // the latest revision (what the counters follow)
};

class OutcomeLog {
 public:
  // Supersedes the current outcome of `declaration_id` with `result`, for `reason`.
  // InvalidArgument for an empty reason; FailedPrecondition when the declaration has no
  // outcome yet (record it with RecordOutcome); AlreadyExists when the current outcome is
  // already `result`. Returns the new revision's number. Durable (synced) on return. Written
  // like every other write of the store: a failed write or sync is the store's failure, and
  // from then on it refuses every write (Store::Open again to go on).
  static absl::StatusOr<uint32_t> Correct(Store& store, std::string_view declaration_id,
                                          OutcomeResult result, std::string_view reason,
                                          int64_t now_unix);

  // Every revision of `declaration_id`, oldest first (empty when it has no outcome).
  static absl::StatusOr<std::vector<OutcomeRevision>> History(const Store& store,
                                                              std::string_view declaration_id);

  // Every outcome: by declaration id (byte order), each declaration's revisions oldest first
  // when `all_revisions`, else only the current one.
  static absl::Status Scan(const Store& store, bool all_revisions,
                           const std::function<absl::Status(const OutcomeRevision&)>& visit);
};

}  // namespace bukong::storage

#endif  // BUKONG_STORAGE_OUTCOME_LOG_H_
