// The one translation unit that instantiates the X3 grammar (see grammar_def.h).
#include <functional>

#include "dsl/internal/grammar_def.h"

namespace bukong::dsl::grammar {

ParseResult ParseStatement(Iterator& first, Iterator last, Iterator begin, int max_depth,
                           ast::Statement& out) {
  OffsetTagger tagger{begin};
  NestingGuard guard;
  guard.max_depth = max_depth;
  auto const parser = x3::with<x3::error_handler_tag>(
      std::ref(tagger))[x3::with<nesting_tag>(std::ref(guard))[parser::statement]];
  ParseResult result;
  try {
    // No post-skip: the driver skips blanks and comments between statements itself, faster.
    if (!x3::phrase_parse(first, last, parser, parser::skipper, out,
                          x3::skip_flag::dont_post_skip)) {
      result.outcome = ParseOutcome::kNoStatement;
    }
  } catch (const x3::expectation_failure<Iterator>& failure) {
    result.outcome = ParseOutcome::kExpected;
    result.failure_offset = static_cast<uint32_t>(failure.where() - begin);
    result.expected = failure.which();
    result.in_string =
        result.expected == parser::string_end.name || result.expected == parser::escape_char.name;
  } catch (const NestingTooDeep& too_deep) {
    result.outcome = ParseOutcome::kTooDeep;
    result.failure_offset = static_cast<uint32_t>(too_deep.where - begin);
  }
  return result;
}

}  // namespace bukong::dsl::grammar
