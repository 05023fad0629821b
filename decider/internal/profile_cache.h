// Profiles of the enterprises seen recently, for one thread (Decider::Stream). Valid only
// while nothing else writes profiles to the store: a cached profile is the stored one.
//
// A direct-mapped table of kSlots entries: fixed memory, and a slot's strings are reused
// when it is overwritten, so a steady-state lookup allocates nothing. Traffic is heavily
// skewed towards busy enterprises (on generated traffic with 1,000,000 profiles, 394,844
// distinct enterprises file 1,000,000 declarations: that many lookups must miss). Misses on
// that traffic: 501,430 with 2^18 slots, 455,006 with 2^19, 427,480 with 2^20. 2^19 slots of
// ~120 bytes (the profile's id is the slot's key) take about what 2^18 slots with a separate
// key string took; 2^20 would cost 60 MB more for ~0.1 us per declaration.
#ifndef BUKONG_DECIDER_INTERNAL_PROFILE_CACHE_H_
#define BUKONG_DECIDER_INTERNAL_PROFILE_CACHE_H_

#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/profile.h"
#include "storage/store.h"

namespace bukong::decider::internal {

class ProfileCache {
 public:
  static constexpr size_t kSlots = size_t{1} << 19;

  explicit ProfileCache(const storage::Store& store) : store_(store), slots_(kSlots) {}

  // Loads the profiles of those of `enterprises` that are not cached with one
  // Store::GetProfiles (a RocksDB MultiGet) instead of one Get each in Lookup. Two missing
  // enterprises of one call that share a slot: the second is left to Lookup.
  absl::Status Prefetch(std::span<const std::string_view> enterprises) {
    want_.clear();
    want_slots_.clear();
    for (std::string_view e : enterprises) {
      Slot& slot = SlotOf(e);
      if (slot.used && slot.profile.id == e) continue;
      const size_t index = static_cast<size_t>(&slot - slots_.data());
      if (std::find(want_slots_.begin(), want_slots_.end(), index) != want_slots_.end()) continue;
      want_.push_back(e);
      want_slots_.push_back(index);
    }
    if (want_.empty()) return absl::OkStatus();
    if (absl::Status s = store_.GetProfiles(want_, &fetched_); !s.ok()) return s;
    for (size_t i = 0; i < want_.size(); ++i) {
      Fill(slots_[want_slots_[i]], want_[i], std::move(fetched_[i]));
    }
    return absl::OkStatus();
  }

  // The profile of `enterprise` (nullptr: it has none). Valid until the next call.
  absl::StatusOr<const Profile*> Lookup(std::string_view enterprise) {
    Slot& slot = SlotOf(enterprise);
    if (!slot.used || slot.profile.id != enterprise) {
      auto fetched = store_.GetProfile(enterprise);
      if (!fetched.ok()) return fetched.status();
      Fill(slot, enterprise, *std::move(fetched));
    }
    return slot.present ? &slot.profile : nullptr;
  }

 private:
  struct Slot {
    bool used = false;
    bool present = false;
    Profile profile;  // profile.id is the slot's enterprise whether present or not
  };
  // Caches what the store answered for `enterprise`.
  static void Fill(Slot& slot, std::string_view enterprise, std::optional<Profile> fetched) {
    slot.used = true;
    slot.present = fetched.has_value();
    if (slot.present) {
      slot.profile = *std::move(fetched);
    } else {
      slot.profile.id.assign(enterprise);  // the key, also for an enterprise without one
    }
  }
  Slot& SlotOf(std::string_view enterprise) {
    return slots_[absl::HashOf(enterprise) & (kSlots - 1)];
  }
  const storage::Store& store_;
  std::vector<Slot> slots_;
  std::vector<std::string_view> want_;  // Prefetch's scratch, reused
  std::vector<size_t> want_slots_;
  std::vector<std::optional<Profile>> fetched_;
};

}  // namespace bukong::decider::internal

#endif  // BUKONG_DECIDER_INTERNAL_PROFILE_CACHE_H_
