// Boost.Fusion adaptation of the AST, so X3 can fill the structs from sequences.
// Internal to dsl/: included only by grammar_def.h.
#ifndef BUKONG_DSL_INTERNAL_AST_ADAPTED_H_
#define BUKONG_DSL_INTERNAL_AST_ADAPTED_H_

#include <boost/fusion/include/adapt_struct.hpp>

#include "dsl/internal/ast.h"

BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::Name, text)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::StringLit, text)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::NumberLit, text)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::PercentLit, text)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::DateLit, text)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::WordLit, text)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::ListItem, low, high)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::OpNode, op)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::ListRhs, open, items)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::Comparison, field, op, rhs)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::CommodityTest, negated, set)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::Unary, nots, operand)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::AndExpr, first, rest)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::OrExpr, first, rest)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::Header, name, version)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::GradeClause, kind, value)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::GradeDecl, name, label, clauses)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::UnknownDecl, grade)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::SiteShare, site, share)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::ActionClause, kind, shares, nii)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::RateAction, rate, clauses)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::HoldAction, reason)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::BaselineDecl, rate, clauses)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::CommodityDecl, name, items)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::ValidWindow, from, to)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::RuleDecl, name, description, valid, when, then)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::ListDecl, name, type)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::SampleDecl, rate, clauses)
BOOST_FUSION_ADAPT_STRUCT(bukong::dsl::ast::RequireDecl, grade, op, value, of)

#endif  // BUKONG_DSL_INTERNAL_AST_ADAPTED_H_
