// The Spirit X3 grammar of `.rules` files: declarations only (definitions in grammar_def.h,
// compiled in exactly one translation unit, grammar.cc, because X3 is slow to compile).
//
// The grammar parses ONE statement at a time (ParseStatement in parser.h); the driver
// (compiler.cc) loops over statements so that a syntax error costs one statement, not the
// file (error recovery). Only grammar_def.h and grammar.cc include this header: it pulls in
// all of X3.
// Internal to dsl/.
#ifndef BUKONG_DSL_INTERNAL_GRAMMAR_H_
#define BUKONG_DSL_INTERNAL_GRAMMAR_H_

#include <boost/spirit/home/x3.hpp>
#include <cstdint>
#include <string>

#include "dsl/internal/ast.h"
#include "dsl/internal/parser.h"

namespace bukong::dsl::grammar {

namespace x3 = boost::spirit::x3;

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

}  // namespace bukong::dsl::grammar

#endif  // BUKONG_DSL_INTERNAL_GRAMMAR_H_
