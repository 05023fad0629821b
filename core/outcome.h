// The outcome of a decision (SPEC §2.6), shared by engine/ (which decides it), report/ (which
// counts it) and storage/ and cli/ (which read it back from decision lines). One definition.
#ifndef BUKONG_CORE_OUTCOME_H_
#define BUKONG_CORE_OUTCOME_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace bukong {

enum class Outcome : uint8_t { kRelease, kInspect, kHold };

// "release", "inspect", "hold": the words decision lines print.
inline const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kRelease: return "release";
    case Outcome::kInspect: return "inspect";
    case Outcome::kHold: return "hold";
  }
  return "?";
}

// The outcome a word names, or nullopt.
inline std::optional<Outcome> ParseOutcome(std::string_view name) {
  for (Outcome o : {Outcome::kRelease, Outcome::kInspect, Outcome::kHold})
    if (name == OutcomeName(o)) return o;
  return std::nullopt;
}

}  // namespace bukong

#endif  // BUKONG_CORE_OUTCOME_H_
