// The parser's interface for the driver: parse one statement into the AST. Deliberately
// free of <boost/spirit/home/x3.hpp> (only the AST's variant headers), so that compiler.cc
// compiles quickly; the grammar itself lives in grammar_def.h / grammar.cc.
// Internal to dsl/.
#ifndef BUKONG_DSL_INTERNAL_PARSER_H_
#define BUKONG_DSL_INTERNAL_PARSER_H_

#include <cstdint>
#include <string>

#include "dsl/internal/ast.h"

namespace bukong::dsl::grammar {

using Iterator = const char*;

// How one call of ParseStatement ended.
enum class ParseOutcome : uint8_t {
  kParsed,       // `out` holds the statement; `first` is just past it
  kNoStatement,  // no statement keyword at `first` (which is left after the blanks)
  kExpected,     // the text went wrong at `failure_offset`: `expected` names what should be there
  kTooDeep,      // parentheses nested deeper than max_depth at `failure_offset`
};

struct ParseResult {
  ParseOutcome outcome = ParseOutcome::kParsed;
  uint32_t failure_offset = 0;
  std::string expected;    // kExpected: e.g. "'when'", "a percentage"
  bool in_string = false;  // kExpected inside a string literal (unterminated / bad escape)
};

// Parses one statement starting at `first` (blanks and comments are skipped first).
// `begin` is the start of the whole source (positions are offsets from it).
ParseResult ParseStatement(Iterator& first, Iterator last, Iterator begin, int max_depth,
                           ast::Statement& out);

}  // namespace bukong::dsl::grammar

#endif  // BUKONG_DSL_INTERNAL_PARSER_H_
