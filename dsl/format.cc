// The formatter behind `bukong fmt` (dsl/format.h).
//
// Why token level: the AST keeps no comments and no blank lines, and rebuilding text from
// it would also re-spell literals (8504.40 vs "850440"). So the formatter re-lays the
// file's own tokens: the parser supplies only where statements and rule clauses begin, the
// tokens and comments between them come from the text, byte for byte. Layout rules
// (docs/dsl.md, "Canonical layout"):
//   - a statement starts a line at column 0; in a rule, `valid`, `when` and `then` start
//     lines indented by two;
//   - tokens on a line are separated by one space, except after `(` `[`, before `)` `]` `,`
//     and around `..`;
//   - the author's other line breaks are kept: a continuation line is indented under the
//     first token after the clause keyword (`when`, `then`...; in a commodity set under `hs`) or,
//     inside an open bracket, under the first token after it;
//   - comments are kept: an own-line comment gets the indentation of the line it precedes,
//     a trailing comment stays on its line, at least two spaces after the code (at its old
//     column when that is further right, so aligned comments stay aligned);
//   - runs of blank lines become one; none at the start; one newline at the end; trailing
//     blanks, tabs between tokens, CR before LF and a byte order mark are dropped.
#include "dsl/format.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "dsl/internal/parser.h"
#include "dsl/internal/source.h"

namespace bukong::dsl {
namespace {

// ---------------------------------------------------------------------------------------------
// Tokens

enum class TokenKind : uint8_t { kWord, kString, kPunct };

struct Token {
  TokenKind kind;
  uint32_t begin;
  uint32_t end;
};

bool IsWordByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '%' || c == '-';
}

// Splits a source that compiles without errors into tokens (comments and blanks are what
// lies between them).
std::vector<Token> Tokenize(std::string_view s, uint32_t start) {
  std::vector<Token> tokens;
  size_t i = start;
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      ++i;
    } else if (c == '#') {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '"') {
      size_t j = i + 1;
      while (j < s.size() && s[j] != '"' && s[j] != '\n') j += s[j] == '\\' ? 2 : 1;
      j = std::min(j + 1, s.size());
      tokens.push_back({TokenKind::kString, static_cast<uint32_t>(i), static_cast<uint32_t>(j)});
      i = j;
    } else if (c == '.' && i + 1 < s.size() && s[i + 1] == '.') {
      tokens.push_back({TokenKind::kPunct, static_cast<uint32_t>(i), static_cast<uint32_t>(i + 2)});
      i += 2;
    } else if (IsWordByte(c)) {
      size_t j = i;
      while (j < s.size() && IsWordByte(s[j]) &&
             !(s[j] == '.' && j + 1 < s.size() && s[j + 1] == '.')) {
        ++j;
      }
      tokens.push_back({TokenKind::kWord, static_cast<uint32_t>(i), static_cast<uint32_t>(j)});
      i = j;
    } else {
      size_t j = i + 1;
      if ((c == '!' || c == '<' || c == '>') && j < s.size() && s[j] == '=') ++j;
      tokens.push_back({TokenKind::kPunct, static_cast<uint32_t>(i), static_cast<uint32_t>(j)});
      i = j;
    }
  }
  return tokens;
}

// What lies between two tokens: comments, each with the number of line breaks before it.
struct GapComment {
  int newlines_before = 0;
  std::string_view text;  // from '#', trailing blanks removed
  int source_column = 0;  // display column of '#' in its source line (0-based)
};
struct Gap {
  std::vector<GapComment> comments;
  int newlines_after = 0;  // line breaks after the last comment (or in the whole gap)
};

int Width(std::string_view text) {
  int width = 0;
  size_t i = 0;
  while (i < text.size()) {
    char32_t cp;
    int length = internal::DecodeUtf8(text, i, &cp);
    if (length == 0) {
      ++i, ++width;
      continue;
    }
    i += length;
    width += internal::DisplayWidth(cp);
  }
  return width;
}

Gap ScanGap(std::string_view s, size_t from, size_t to) {
  Gap gap;
  int newlines = 0;
  for (size_t i = from; i < to;) {
    if (s[i] == '\n') {
      ++newlines, ++i;
    } else if (s[i] == '#') {
      size_t end = s.find('\n', i);
      if (end == std::string_view::npos || end > to) end = to;
      std::string_view text = s.substr(i, end - i);
      while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                               text.back() == '\f' || text.back() == '\v')) {
        text.remove_suffix(1);
      }
      size_t line_start = s.rfind('\n', i == 0 ? 0 : i - 1);
      line_start = (i == 0 || line_start == std::string_view::npos) ? 0 : line_start + 1;
      gap.comments.push_back({newlines, text, Width(s.substr(line_start, i - line_start))});
      newlines = 0;
      i = end;
    } else {
      ++i;
    }
  }
  gap.newlines_after = newlines;
  return gap;
}

// ---------------------------------------------------------------------------------------------
// Layout

enum class Head : uint8_t { kNone, kStatement, kClause };

class Writer {
 public:
  explicit Writer(std::string_view source) : s_(source) {}

  std::string Run(const std::vector<Token>& tokens, const std::vector<Head>& heads) {
    size_t previous_end = 0;
    bool in_commodity = false;
    for (size_t t = 0; t < tokens.size(); ++t) {
      const Token& token = tokens[t];
      std::string_view text = s_.substr(token.begin, token.end - token.begin);
      Gap gap = ScanGap(s_, t == 0 ? 0 : previous_end, token.begin);
      Head head = heads[t];
      if (head == Head::kStatement) {
        brackets_.clear();
        in_commodity = text == "commodity";
      }
      int indent = head == Head::kStatement ? 0 : head == Head::kClause ? 2 : Continuation();
      for (const GapComment& comment : gap.comments) {
        if (comment.newlines_before == 0 && !out_.empty() && !at_line_start_) {
          // A trailing comment: it stays on its line.
          int column = std::max(column_ + 2, comment.source_column);
          out_.append(column - column_, ' ');
          out_.append(comment.text);
          EndLine();
        } else {
          if (!at_line_start_) EndLine();
          if (comment.newlines_before >= 2) BlankLine();
          out_.append(indent, ' ');
          out_.append(comment.text);
          EndLine();
        }
      }
      bool break_line = head != Head::kNone || gap.newlines_after > 0 || at_line_start_;
      if (break_line) {
        if (!at_line_start_) EndLine();
        if (gap.newlines_after >= 2) BlankLine();
        out_.append(indent, ' ');
        column_ = indent;
        at_line_start_ = false;
        if (head != Head::kNone) {
          hang_ = -1;
          head_tokens_ = 0;
          on_head_line_ = true;
        } else {
          on_head_line_ = false;
        }
      } else if (NeedsSpace(previous_text_, text)) {
        out_.push_back(' ');
        ++column_;
      }
      // The hang of a clause: the column of the first token after its keyword (in a
      // commodity set, the column of `hs`); continuation lines are indented to it.
      if (in_commodity) {
        if (text == "hs" && hang_ < 0) hang_ = column_;
      } else if (on_head_line_ && head_tokens_ == 1 && hang_ < 0) {
        hang_ = column_;
      }
      ++head_tokens_;
      out_.append(text);
      column_ += Width(text);
      if (text == "(" || text == "[") brackets_.push_back(column_);
      if ((text == ")" || text == "]") && !brackets_.empty()) brackets_.pop_back();
      previous_text_ = text;
      previous_end = token.end;
    }
    // After the last token: its trailing comment, then the comments at the end of the file.
    Gap gap = ScanGap(s_, previous_end, s_.size());
    for (const GapComment& comment : gap.comments) {
      if (comment.newlines_before == 0 && !at_line_start_) {
        int column = std::max(column_ + 2, comment.source_column);
        out_.append(column - column_, ' ');
        out_.append(comment.text);
        EndLine();
      } else {
        if (!at_line_start_) EndLine();
        if (comment.newlines_before >= 2) BlankLine();
        out_.append(comment.text);
        EndLine();
      }
    }
    if (!at_line_start_) EndLine();
    return std::move(out_);
  }

 private:
  static bool NeedsSpace(std::string_view previous, std::string_view next) {
    if (previous == "(" || previous == "[" || previous == "..") return false;
    if (next == ")" || next == "]" || next == "," || next == "..") return false;
    return true;
  }

  int Continuation() const {
    if (!brackets_.empty()) return brackets_.back();
    return hang_ >= 0 ? hang_ : 4;
  }

  void EndLine() {
    out_.push_back('\n');
    at_line_start_ = true;
    column_ = 0;
  }
  void BlankLine() {
    if (!out_.empty() && !out_.ends_with("\n\n")) out_.push_back('\n');
  }

  std::string_view s_;
  std::string out_;
  bool at_line_start_ = true;
  int column_ = 0;
  int hang_ = -1;
  bool on_head_line_ = false;
  int head_tokens_ = 0;
  std::vector<int> brackets_;
  std::string_view previous_text_;
};

// Marks, for each token, whether it starts a statement or a rule clause.
std::vector<Head> FindHeads(std::string_view source, uint32_t start,
                            const std::vector<Token>& tokens) {
  std::vector<Head> heads(tokens.size(), Head::kNone);
  std::vector<uint32_t> statement_starts;
  std::vector<bool> is_rule;
  const char* begin = source.data();
  const char* last = source.data() + source.size();
  const char* first = begin + start;
  for (;;) {
    first = begin + internal::SkipBlanks(source, static_cast<uint32_t>(first - begin));
    if (first == last) break;
    uint32_t statement_start = static_cast<uint32_t>(first - begin);
    ast::Statement statement;
    grammar::ParseResult result = grammar::ParseStatement(first, last, begin, 1 << 20, statement);
    if (result.outcome != grammar::ParseOutcome::kParsed) break;  // not for files with errors
    statement_starts.push_back(statement_start);
    is_rule.push_back(boost::get<ast::RuleDecl>(&statement) != nullptr);
  }
  size_t next = 0;
  size_t t = 0;
  while (t < tokens.size()) {
    if (next < statement_starts.size() && tokens[t].begin == statement_starts[next]) {
      heads[t] = Head::kStatement;
      bool rule = is_rule[next];
      ++next;
      size_t statement_end = t + 1;
      while (statement_end < tokens.size() &&
             !(next < statement_starts.size() &&
               tokens[statement_end].begin == statement_starts[next])) {
        ++statement_end;
      }
      if (rule) {
        auto word = [&](size_t k) {
          return source.substr(tokens[k].begin, tokens[k].end - tokens[k].begin);
        };
        size_t k = t + 2;  // after `rule NAME`
        if (k < statement_end && tokens[k].kind == TokenKind::kString) ++k;
        if (k < statement_end && word(k) == "valid") heads[k] = Head::kClause;
        for (; k < statement_end; ++k) {
          if (tokens[k].kind == TokenKind::kWord && word(k) == "when") {
            heads[k] = Head::kClause;
            break;
          }
        }
        for (; k < statement_end; ++k) {
          if (tokens[k].kind == TokenKind::kWord && word(k) == "then") {
            heads[k] = Head::kClause;
            break;
          }
        }
      }
      t = statement_end;
    } else {
      ++t;
    }
  }
  return heads;
}

// ---------------------------------------------------------------------------------------------
// Meaning

std::string Int128(__int128 v) {
  if (v == 0) return "0";
  bool negative = v < 0;
  unsigned __int128 u = negative ? -static_cast<unsigned __int128>(v) : v;
  std::string digits;
  while (u > 0) {
    digits.push_back(static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  if (negative) digits.push_back('-');
  std::reverse(digits.begin(), digits.end());
  return digits;
}

void AppendAction(const ir::Action& a, std::string* out) {
  fmt::format_to(std::back_inserter(*out), "action hold={} reason={:?} rate={} port={} nii={} fixed={}\n",
                 a.hold, a.hold_reason, a.rate, a.port_share, a.nii_share, a.fixed);
}

void AppendCondition(const ir::Condition& c, int depth, std::string* out) {
  out->append(static_cast<size_t>(depth) * 2, ' ');
  fmt::format_to(std::back_inserter(*out),
                 "cond kind={} field={} op={} negated={} number={} day={} bool={} set={:?} "
                 "flag={:?} symbols=[",
                 static_cast<int>(c.kind), static_cast<int>(c.field), static_cast<int>(c.op),
                 c.negated, Int128(c.number.scaled), c.day, c.boolean, c.commodity_set, c.flag);
  for (const std::string& s : c.symbols) fmt::format_to(std::back_inserter(*out), "{:?},", s);
  out->append("] hs=[");
  for (const ir::HsRange& r : c.hs_ranges) fmt::format_to(std::back_inserter(*out), "{}..{},", r.low, r.high);
  out->append("]\n");
  for (const ir::Condition& child : c.children) AppendCondition(child, depth + 1, out);
}

}  // namespace

std::string MeaningFingerprint(const ir::Ruleset& rs) {
  std::string out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "ruleset {:?} version {}\n", rs.name, rs.version);
  for (const ir::Grade& g : rs.grades) {
    fmt::format_to(it, "grade {:?} label={:?} factor={} floor={} ceiling={}\n", g.name, g.label,
                   g.factor, g.floor ? *g.floor : -1, g.ceiling ? *g.ceiling : -1);
  }
  fmt::format_to(it, "unknown={} reference={}\n", rs.unknown_grade,
                 rs.reference_grade ? static_cast<int64_t>(*rs.reference_grade) : -1);
  out.append("baseline ");
  AppendAction(rs.baseline, &out);
  for (const ir::CommoditySet& set : rs.commodity_sets) {
    fmt::format_to(it, "commodity {:?}", set.name);
    for (const ir::HsRange& r : set.ranges) fmt::format_to(it, " {}..{}", r.low, r.high);
    out.push_back('\n');
  }
  for (const ir::Rule& r : rs.rules) {
    fmt::format_to(it, "rule {:?} {:?} valid={}..{}\n", r.name, r.description,
                   r.valid_from ? *r.valid_from : -1, r.valid_to ? *r.valid_to : -1);
    AppendCondition(r.when, 1, &out);
    out.append("  ");
    AppendAction(r.then, &out);
  }
  out.append("reads");
  for (bool b : rs.fields_read) out.append(b ? " 1" : " 0");
  out.push_back('\n');
  return out;
}

FormatResult FormatRules(std::string_view source, std::string_view file_name) {
  FormatResult result;
  CompileResult compiled = Compile(source, file_name);
  result.diagnostics = std::move(compiled.diagnostics);
  if (!compiled.ruleset) return result;
  uint32_t start = source.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
  std::vector<Token> tokens = Tokenize(source, start);
  std::vector<Head> heads = FindHeads(source, start, tokens);
  // Offsets stay those of `source`; a byte order mark is neither blank nor comment to
  // ScanGap, so it is never copied.
  std::string text = Writer(source).Run(tokens, heads);
  // Verify: the canonical text must mean exactly what the input meant.
  CompileResult again = Compile(text, file_name);
  if (!again.ruleset) {
    result.internal_error = fmt::format(
        "the formatted text does not compile ({}); the file was left alone",
        again.diagnostics.empty() ? "no diagnostic" : again.diagnostics.front().message);
    return result;
  }
  if (MeaningFingerprint(*again.ruleset) != MeaningFingerprint(*compiled.ruleset)) {
    result.internal_error = "the formatted text would mean something else; the file was left alone";
    return result;
  }
  result.text = std::move(text);
  return result;
}

}  // namespace bukong::dsl
