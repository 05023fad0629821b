// The compiler's driver: encoding pre-pass, statement-by-statement parsing with recovery,
// checking and lowering, then positions as lines and columns. See docs/dsl.md.
#include "dsl/compiler.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "core/sha256.h"
#include "dsl/internal/checker.h"
#include "dsl/internal/parser.h"
#include "dsl/internal/source.h"

namespace bukong::dsl {

bool CompileResult::HasErrors() const { return ErrorCount() > 0; }

int CompileResult::ErrorCount() const {
  return static_cast<int>(std::count_if(diagnostics.begin(), diagnostics.end(), [](const auto& d) {
    return d.severity == Diagnostic::Severity::kError;
  }));
}

int CompileResult::WarningCount() const {
  return static_cast<int>(diagnostics.size()) - ErrorCount();
}

namespace {

using internal::BrokenStatement;
using internal::DiagnosticSink;
using internal::ParsedFile;

constexpr std::string_view kStatementKeywords[] = {
    "ruleset", "grade", "unknown", "baseline", "commodity", "rule", "list", "sample", "require"};

bool IsIdentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// The identifier at `offset` (empty if none).
std::string_view WordAt(std::string_view source, size_t offset) {
  size_t end = offset;
  while (end < source.size() && IsIdentChar(source[end])) ++end;
  return source.substr(offset, end - offset);
}

// The statement keyword that starts at `offset`, or "" (a line `grade = x` or
// `commodity in s` continues a condition; it does not start a statement).
std::string_view StatementKeywordAt(std::string_view source, size_t offset) {
  std::string_view word = WordAt(source, offset);
  auto it = std::find(std::begin(kStatementKeywords), std::end(kStatementKeywords), word);
  if (it == std::end(kStatementKeywords)) return "";
  size_t next = offset + word.size();
  while (next < source.size() && (source[next] == ' ' || source[next] == '\t')) ++next;
  std::string_view following = WordAt(source, next);
  if (word == "grade" || word == "commodity") {
    if (following == "in" || following == "not" || following == "has") return "";
    if (next < source.size() && (source[next] == '=' || source[next] == '!')) return "";
  }
  return word;
}

// After a syntax error at `from` in the statement that starts at `statement_start`: `from`
// itself when a statement keyword starts its line there (the statement was cut short by a
// line break), else the start of the next line that begins with a statement keyword, or the
// end of the source.
uint32_t Resync(std::string_view source, uint32_t statement_start, uint32_t from) {
  if (from > statement_start && from < source.size()) {
    size_t line_start = source.rfind('\n', from == 0 ? 0 : from - 1);
    line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
    bool blank_before = std::all_of(source.begin() + line_start, source.begin() + from,
                                    [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
    if (blank_before && !StatementKeywordAt(source, from).empty()) return from;
  }
  size_t i = from;
  for (;;) {
    size_t newline = source.find('\n', i);
    if (newline == std::string_view::npos) return static_cast<uint32_t>(source.size());
    i = newline + 1;
    size_t j = i;
    while (j < source.size() && (source[j] == ' ' || source[j] == '\t' || source[j] == '\r')) ++j;
    if (!StatementKeywordAt(source, j).empty()) return static_cast<uint32_t>(j);
  }
}

BrokenStatement DescribeBroken(std::string_view source, uint32_t offset) {
  BrokenStatement broken;
  broken.offset = offset;
  broken.keyword = std::string(WordAt(source, offset));
  if (std::find(std::begin(kStatementKeywords), std::end(kStatementKeywords), broken.keyword) ==
      std::end(kStatementKeywords)) {
    broken.keyword.clear();
    return broken;
  }
  size_t next = offset + broken.keyword.size();
  while (next < source.size() && (source[next] == ' ' || source[next] == '\t')) ++next;
  broken.name = std::string(WordAt(source, next));
  return broken;
}

// Parses statement after statement; a statement with a syntax error is reported once and
// skipped up to the next line that starts with a statement keyword.
void ParseFile(std::string_view source, uint32_t start, const CompileOptions& options,
               ParsedFile& file, DiagnosticSink& sink) {
  const char* begin = source.data();
  const char* last = source.data() + source.size();
  const char* first = begin + start;
  bool at_first_statement = true;
  for (;;) {
    first = begin + internal::SkipBlanks(source, static_cast<uint32_t>(first - begin));
    if (first == last || sink.Full()) break;
    uint32_t statement_start = static_cast<uint32_t>(first - begin);
    ast::Statement statement;
    grammar::ParseResult result =
        grammar::ParseStatement(first, last, begin, options.max_nesting, statement);
    if (result.outcome == grammar::ParseOutcome::kParsed) {
      // Statements start where their keyword starts (some nodes are filled by semantic
      // actions, which do not record the statement's own position).
      boost::apply_visitor([&](auto& node) { node.id_first = static_cast<int>(statement_start); },
                           statement);
      if (at_first_statement) file.first_is_header = boost::get<ast::Header>(&statement) != nullptr;
      file.statements.push_back(std::move(statement));
      at_first_statement = false;
      continue;
    }
    uint32_t where = statement_start;
    switch (result.outcome) {
      case grammar::ParseOutcome::kNoStatement:
        sink.Error(where, fmt::format("expected a statement (ruleset, grade, unknown, baseline, "
                                      "commodity, rule, list, sample or require), found {}",
                                      internal::DescribeAt(source, where)));
        break;
      case grammar::ParseOutcome::kExpected:
        where = result.failure_offset;
        if (result.in_string) {
          if (result.expected == "closing quote") {
            sink.Error(where, "unterminated string (a string ends on its line)");
          } else {
            char32_t escaped = '?';
            int length = where < source.size() ? internal::DecodeUtf8(source, where, &escaped) : 0;
            std::string_view shown = where < source.size() && length > 0 && escaped >= ' '
                                         ? source.substr(where, length)
                                         : std::string_view("?");
            sink.Error(where,
                       fmt::format("unknown escape '\\{}' (known: \\\" \\\\ \\n \\t)", shown));
          }
        } else {
          where = internal::SkipBlanks(source, where);
          sink.Error(where, fmt::format("expected {}, found {}", result.expected,
                                        internal::DescribeAt(source, where)));
        }
        break;
      case grammar::ParseOutcome::kTooDeep:
        where = result.failure_offset;
        sink.Error(where, fmt::format("condition nested too deeply (more than {} levels of "
                                      "parentheses and 'not')",
                                      options.max_nesting));
        break;
      case grammar::ParseOutcome::kParsed:
        break;
    }
    BrokenStatement broken = DescribeBroken(source, statement_start);
    if (at_first_statement) file.first_is_header = broken.keyword == "ruleset";
    at_first_statement = false;
    if (!broken.keyword.empty()) file.broken.push_back(std::move(broken));
    first = begin + Resync(source, statement_start, std::max(where, statement_start));
  }
}

}  // namespace

CompileResult Compile(std::string_view source, std::string_view file_name,
                      const CompileOptions& options) {
  CompileResult result;
  DiagnosticSink sink(std::max(1, options.max_errors));
  std::optional<ir::Ruleset> ruleset;
  if (source.size() >= static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    sink.Error(0, fmt::format("file too large ({} bytes; at most 2 GiB)", source.size()));
  } else {
    auto problems = internal::FindEncodingProblems(
        source, static_cast<size_t>(std::max(1, options.max_errors)));
    for (auto& problem : problems) sink.Error(problem.offset, std::move(problem.message));
    // Parsing text that is not UTF-8 would only add noise; report the encoding and stop.
    if (problems.empty()) {
      uint32_t start = source.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;  // byte order mark
      ParsedFile file;
      ParseFile(source, start, options, file, sink);
      ruleset = internal::CheckAndLower(file, source, options, sink);
    }
  }
  auto& raw = sink.diagnostics();
  std::stable_sort(raw.begin(), raw.end(), [](const auto& a, const auto& b) {
    if (a.offset != b.offset) return a.offset < b.offset;
    return a.severity == Diagnostic::Severity::kError &&
           b.severity == Diagnostic::Severity::kWarning;
  });
  internal::LineColumnFinder finder(source);
  result.diagnostics.reserve(raw.size());
  for (auto& d : raw) {
    Diagnostic diagnostic;
    diagnostic.severity = d.severity;
    diagnostic.message = std::move(d.message);
    finder.Find(d.offset, &diagnostic.line, &diagnostic.column);
    result.diagnostics.push_back(std::move(diagnostic));
  }
  if (ruleset && !result.HasErrors()) {
    ruleset->source_sha256 = Sha256Hex(source);
    ruleset->source_name = std::string(file_name);
    result.ruleset = std::move(ruleset);
  }
  return result;
}

namespace {

// Walks the lines of a source forward, for diagnostics in line order.
class LineWalker {
 public:
  explicit LineWalker(std::string_view source) : source_(source) {}
  // Text of line `line` (1-based), without its line break; "" past the end.
  std::string_view Line(uint32_t line) {
    if (line < line_) line_ = 1, start_ = 0;
    while (line_ < line && start_ <= source_.size()) {
      size_t newline = source_.find('\n', start_);
      start_ = newline == std::string_view::npos ? source_.size() + 1 : newline + 1;
      ++line_;
    }
    if (start_ > source_.size()) return {};
    size_t newline = source_.find('\n', start_);
    std::string_view text = source_.substr(
        start_, newline == std::string_view::npos ? std::string_view::npos : newline - start_);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    return text;
  }

 private:
  std::string_view source_;
  uint32_t line_ = 1;
  size_t start_ = 0;
};

void AppendDiagnostic(std::string& out, std::string_view file_name, std::string_view line_text,
                      const Diagnostic& d) {
  fmt::format_to(std::back_inserter(out), "{}:{}:{}: {}: {}\n", file_name, d.line, d.column,
                 d.severity == Diagnostic::Severity::kError ? "error" : "warning", d.message);
  // Byte offset of column d.column (columns count code points; an invalid byte counts one).
  size_t at = 0;
  uint32_t column = 1;
  for (; column < d.column && at < line_text.size(); ++column) {
    char32_t cp;
    int length = internal::DecodeUtf8(line_text, at, &cp);
    at += length == 0 ? 1 : static_cast<size_t>(length);
  }
  // A long line is shown as an excerpt around the column, "..." marking each cut, so that a
  // diagnostic's size does not grow with its line (one line of thousands of HS items).
  constexpr size_t kLongLine = 200, kContext = 80;
  auto continuation = [&](size_t i) {
    return (static_cast<unsigned char>(line_text[i]) & 0xC0) == 0x80;
  };
  size_t begin = 0, end = line_text.size();
  if (line_text.size() > kLongLine) {
    begin = at > kContext ? at - kContext : 0;
    while (begin > 0 && begin < at && continuation(begin)) ++begin;
    end = std::min(line_text.size(), at + kContext);
    while (end < line_text.size() && end > at && continuation(end)) --end;
  }
  if (begin > 0) out.append("...");
  out.append(line_text.substr(begin, end - begin));
  if (end < line_text.size()) out.append("...");
  out.push_back('\n');
  // The caret sits under column d.column: copy tabs, pad two spaces for wide characters.
  if (begin > 0) out.append("   ");
  for (size_t i = begin; i < at;) {
    char32_t cp;
    int length = internal::DecodeUtf8(line_text, i, &cp);
    if (length == 0) {
      out.push_back(' ');
      ++i;
      continue;
    }
    i += static_cast<size_t>(length);
    if (cp == '\t') {
      out.push_back('\t');
    } else {
      out.append(internal::DisplayWidth(cp), ' ');
    }
  }
  out.append(d.column - column, ' ');  // columns past the end of the line
  out.append("^\n");
}

}  // namespace

std::string FormatDiagnostic(std::string_view file_name, std::string_view source,
                             const Diagnostic& diagnostic) {
  LineWalker lines(source);
  std::string out;
  AppendDiagnostic(out, file_name, lines.Line(diagnostic.line), diagnostic);
  return out;
}

std::string FormatDiagnostics(std::string_view file_name, std::string_view source,
                              const CompileResult& result) {
  LineWalker lines(source);
  std::string out;
  for (const Diagnostic& d : result.diagnostics) {
    AppendDiagnostic(out, file_name, lines.Line(d.line), d);
  }
  int errors = result.ErrorCount();
  int warnings = result.WarningCount();
  fmt::format_to(std::back_inserter(out), "{}: {} error{}, {} warning{}\n", file_name, errors,
                 errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
  return out;
}

}  // namespace bukong::dsl
