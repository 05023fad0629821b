// "Did you mean ...?" for names a user mistyped: the closest candidate by edit distance
// (Damerau-Levenshtein: insert, delete, substitute, swap two neighbours), when it is close
// enough to be a typo — at most 1 edit for names of up to 4 characters, 2 up to 8, else 3 —
// and no other candidate is as close. Header-only: the rule checker, `bukong test` and the
// command line use it. Thread-safe (pure functions).
#ifndef BUKONG_DSL_SUGGEST_H_
#define BUKONG_DSL_SUGGEST_H_

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bukong::dsl {

// Damerau-Levenshtein distance (optimal string alignment) between two byte strings.
inline int EditDistance(std::string_view a, std::string_view b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = static_cast<int>(i);
  for (size_t j = 0; j <= m; ++j) d[0][j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

// The candidate `word` was most likely meant to be, or nullopt (none close enough, or two
// equally close). Names longer than 64 bytes get no suggestion (cost stays small).
template <typename Range>
std::optional<std::string> ClosestName(std::string_view word, const Range& candidates) {
  if (word.empty() || word.size() > 64) return std::nullopt;
  const int limit = word.size() <= 4 ? 1 : word.size() <= 8 ? 2 : 3;
  int best = limit + 1;
  std::optional<std::string> found;
  bool ambiguous = false;
  for (const auto& candidate : candidates) {
    std::string_view c(candidate);
    if (c.empty() || c.size() > 64 || c == word) continue;
    const int distance = EditDistance(word, c);
    if (distance < best) {
      best = distance, found = std::string(c), ambiguous = false;
    } else if (distance == best && found && *found != c) {
      ambiguous = true;
    }
  }
  if (ambiguous) return std::nullopt;
  return found;
}

// " (did you mean 'X'?)" or "".
template <typename Range>
std::string DidYouMean(std::string_view word, const Range& candidates) {
  auto closest = ClosestName(word, candidates);
  return closest ? " (did you mean '" + *closest + "'?)" : std::string();
}

}  // namespace bukong::dsl

#endif  // BUKONG_DSL_SUGGEST_H_
