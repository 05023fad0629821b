// The Spirit X3 grammar of `.rules` files: declarations only (definitions in grammar_def.h,
// compiled in exactly one translation unit, grammar.cc, because X3 is slow to compile).
//
// The grammar parses ONE statement at a time; the driver (compiler.cc) loops over
// statements so that a syntax error costs one statement, not the file (error recovery).
// Internal to dsl/.
#ifndef BUKONG_DSL_INTERNAL_GRAMMAR_H_
#define BUKONG_DSL_INTERNAL_GRAMMAR_H_

#include <boost/spirit/home/x3.hpp>
#include <cstdint>
#include <string>

#include "dsl/internal/ast.h"

namespace bukong::dsl::grammar {

namespace x3 = boost::spirit::x3;

using Iterator = const char*;

// Annotation handler: records byte offsets of every position_tagged node (rule IDs derive
// from x3::annotate_on_success, which finds this object under x3::error_handler_tag).
struct OffsetTagger {
  Iterator begin;
  template <typename T>
  void tag(T& node, Iterator first, Iterator last) const {
    if constexpr (std::is_base_of_v<x3::position_tagged, T>) {
      node.id_first = static_cast<int>(first - begin);
      node.id_last = static_cast<int>(last - begin);
    }
  }
};

// Depth of parentheses while parsing a condition. The parser checks it BEFORE recursing
// into a parenthesised condition, so hostile nesting ends in a diagnostic, not a stack
// overflow.
struct NestingGuard {
  int depth = 0;
  int max_depth = 200;
};
struct nesting_tag;

// Thrown (inside the grammar) when NestingGuard::max_depth would be exceeded.
struct NestingTooDeep {
  Iterator where;
};

namespace parser {
struct statement_class;
using statement_type = x3::rule<statement_class, ast::Statement>;
BOOST_SPIRIT_DECLARE(statement_type)
}  // namespace parser

// How one call of ParseStatement ended.
enum class ParseOutcome : uint8_t {
  kParsed,       // `out` holds the statement; `first` is past it (and past blanks/comments)
  kNoStatement,  // no statement keyword at `first` (which is left after the blanks)
  kExpected,     // the text went wrong at `failure_offset`: `expected` names what should be there
  kTooDeep,      // parentheses nested deeper than max_depth at `failure_offset`
};

struct ParseResult {
  ParseOutcome outcome = ParseOutcome::kParsed;
  uint32_t failure_offset = 0;
  std::string expected;     // kExpected: e.g. "'when'", "a percentage"
  bool in_string = false;   // kExpected inside a string literal (unterminated / bad escape)
};

// Parses one statement starting at `first` (blanks and comments are skipped first).
// `begin` is the start of the whole source (positions are offsets from it).
ParseResult ParseStatement(Iterator& first, Iterator last, Iterator begin, int max_depth,
                           ast::Statement& out);

}  // namespace bukong::dsl::grammar

#endif  // BUKONG_DSL_INTERNAL_GRAMMAR_H_
