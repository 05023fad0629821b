// `bukong fmt` (dsl/format.h): the canonical layout, idempotence, comments kept, and the
// formatted text meaning exactly what the input meant — on the regime files in rules/, the
// fuzz corpus, the golden cases, generated rulesets and messed-up copies of them.
#include "dsl/format.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "dsl/compiler.h"
#include "gen/rules.h"

namespace bukong::dsl {
namespace {

std::string SourceDir() {
  const char* dir = std::getenv("BUKONG_SOURCE_DIR");
  return dir ? dir : ".";
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

int CountComments(const std::string& text) {
  int count = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"' || c == '\n') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '#') {
      ++count;
      while (i < text.size() && text[i] != '\n') ++i;
    }
  }
  return count;
}

// Formats `text`, checks the result is idempotent, means the same and keeps every comment,
// and returns it.
std::string CheckFormat(const std::string& text, const std::string& name) {
  FormatResult once = FormatRules(text, name);
  EXPECT_TRUE(once.internal_error.empty()) << name << ": " << once.internal_error;
  if (!once.ok()) {
    ADD_FAILURE() << name << " was not formatted";
    return "";
  }
  FormatResult twice = FormatRules(*once.text, name);
  EXPECT_TRUE(twice.ok()) << name;
  if (twice.ok()) {
    EXPECT_EQ(*twice.text, *once.text) << name << ": not idempotent";
  }
  // Same meaning, through an independent compile of both texts.
  CompileResult before = Compile(text, name);
  CompileResult after = Compile(*once.text, name);
  EXPECT_TRUE(before.ruleset && after.ruleset) << name;
  if (before.ruleset && after.ruleset) {
    EXPECT_EQ(MeaningFingerprint(*after.ruleset), MeaningFingerprint(*before.ruleset)) << name;
  }
  // Same warnings, in the same order (apart from the "(line N)" of a rule they name).
  const std::regex line_ref(R"(\(line [0-9]+\))");
  EXPECT_EQ(after.diagnostics.size(), before.diagnostics.size()) << name;
  for (size_t i = 0; i < std::min(after.diagnostics.size(), before.diagnostics.size()); ++i) {
    EXPECT_EQ(std::regex_replace(after.diagnostics[i].message, line_ref, "(line)"),
              std::regex_replace(before.diagnostics[i].message, line_ref, "(line)"))
        << name;
  }
  EXPECT_EQ(CountComments(*once.text), CountComments(text)) << name;
  // No trailing blanks, no tabs outside strings, one newline at the end.
  EXPECT_TRUE(once.text->ends_with("\n") && !once.text->ends_with("\n\n")) << name;
  EXPECT_EQ(once.text->find(" \n"), std::string::npos) << name;
  EXPECT_EQ(once.text->find("\n\n\n"), std::string::npos) << name;
  return *once.text;
}

TEST(FmtTest, RegimeFiles) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(SourceDir() + "/rules")) {
    if (entry.path().extension() != ".rules") continue;
    ++files;
    std::string text = ReadFile(entry.path());
    std::string formatted = CheckFormat(text, entry.path().string());
    // The regime files are laid out almost canonically already: only alignment changes.
    EXPECT_EQ(std::count(formatted.begin(), formatted.end(), '\n'),
              std::count(text.begin(), text.end(), '\n'))
        << entry.path();
  }
  EXPECT_EQ(files, 3);
}

TEST(FmtTest, FuzzCorpusAndGoldenCases) {
  int formatted = 0, refused = 0;
  for (const std::string dir : {"/fuzz/corpus", "/tests/dsl/golden"}) {
    for (const auto& entry : std::filesystem::directory_iterator(SourceDir() + dir)) {
      if (entry.path().extension() != ".rules") continue;
      std::string text = ReadFile(entry.path());
      CompileResult compiled = Compile(text, "x");
      if (compiled.HasErrors()) {
        // A file with errors is refused, with the compiler's own diagnostics.
        FormatResult result = FormatRules(text, "x");
        EXPECT_FALSE(result.ok()) << entry.path();
        EXPECT_TRUE(result.internal_error.empty()) << entry.path();
        EXPECT_EQ(result.diagnostics.size(), compiled.diagnostics.size()) << entry.path();
        ++refused;
        continue;
      }
      CheckFormat(text, entry.path().string());
      ++formatted;
    }
  }
  EXPECT_GE(formatted, 8);
  EXPECT_GE(refused, 20);
}

// Messes up a rule text without changing its meaning: every run of spaces becomes a random
// run of blanks, some line breaks are doubled or get blanks before them, comments appear at
// line ends, CR LF line ends.
std::string Mess(const std::string& text, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out;
  bool in_string = false, in_comment = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\') out.push_back(text[++i]);
      else if (c == '"') in_string = false;
      continue;
    }
    if (in_comment && c != '\n') {
      out.push_back(c);
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '#') in_comment = true;
    if (c == ' ') {
      static const char* kBlanks[] = {" ", "  ", "\t", " \t ", "     "};
      out.append(kBlanks[rng() % 5]);
      while (i + 1 < text.size() && text[i + 1] == ' ') ++i;
      continue;
    }
    if (c == '\n') {
      in_comment = false;
      switch (rng() % 6) {
        case 0: out.append("   \r\n\r\n\n"); break;
        case 1: if (!in_comment) out.append("  # note " + std::to_string(rng() % 100)); out.append("\r\n"); break;
        case 2: out.append("\t\n"); break;
        default: out.push_back('\n');
      }
      continue;
    }
    out.push_back(c);
  }
  return out;
}

TEST(FmtTest, GeneratedRulesetsAndMessedCopies) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    gen::RulesetOptions options;
    options.seed = seed;
    options.rules = 150;
    const std::string text = gen::GenerateRuleset(options);
    const std::string canonical = CheckFormat(text, "gen.rules");
    const std::string messed = Mess(text, seed);
    ASSERT_NE(messed, text);
    const std::string from_messed = CheckFormat(messed, "messed.rules");
    // Blanks and blank lines are gone: apart from the added comments, the messed copy
    // formats to the canonical text of the original.
    std::string stripped;
    std::istringstream lines(from_messed);
    for (std::string line; std::getline(lines, line);) {
      size_t note = line.find("  # note ");
      if (note != std::string::npos) line.erase(note);
      while (!line.empty() && line.back() == ' ') line.pop_back();
      stripped += line + "\n";
    }
    EXPECT_EQ(Compile(stripped, "x").ruleset.has_value(), true);
    EXPECT_EQ(MeaningFingerprint(*Compile(stripped, "x").ruleset),
              MeaningFingerprint(*Compile(canonical, "x").ruleset));
  }
}

TEST(FmtTest, CanonicalLayout) {
  const std::string messy =
      "\xEF\xBB\xBF\n\n# head comment\r\n"
      "ruleset   \"t\"   version 1\n"
      "grade\tgeneral  factor 1.0   # aligned\n"
      "unknown enterprise grade general\n\n\n\n"
      "baseline 1%  at port 50% destination 50%\n"
      "commodity s = hs 01 , 02..03,\n"
      "   0401\n"
      "rule r \"d\" valid 2021-01-01 .. 2021-12-31 when ( value > 1 or\n"
      "  weight < 2 ) and origin in [ CN ,JP ] then rate 5% fixed  # why\n"
      "   # closing\n"
      "rule h when commodity in s then hold \"x\"\n";
  FormatResult result = FormatRules(messy, "t.rules");
  ASSERT_TRUE(result.ok()) << result.internal_error;
  EXPECT_EQ(*result.text,
            "# head comment\n"
            "ruleset \"t\" version 1\n"
            "grade general factor 1.0    # aligned\n"  // a trailing comment keeps its column
            "unknown enterprise grade general\n"
            "\n"
            "baseline 1% at port 50% destination 50%\n"
            "commodity s = hs 01, 02..03,\n"
            "              0401\n"
            "rule r \"d\"\n"
            "  valid 2021-01-01..2021-12-31\n"
            "  when (value > 1 or\n"
            "        weight < 2) and origin in [CN, JP]\n"
            "  then rate 5% fixed                                        # why\n"
            "# closing\n"
            "rule h\n"
            "  when commodity in s\n"
            "  then hold \"x\"\n");
  CheckFormat(messy, "t.rules");
}

TEST(FmtTest, AlignedTrailingCommentsStayAligned) {
  const std::string text =
      "ruleset \"t\" version 1\n"
      "grade general factor 1.0         # reference\n"
      "grade dishonest floor 80%        # floor\n"
      "unknown enterprise grade general\n"
      "baseline 1%\n";
  FormatResult result = FormatRules(text, "t.rules");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result.text, text);
}

TEST(FmtTest, FileWithErrorsIsRefused) {
  FormatResult result = FormatRules("ruleset \"t\" version 1\ngrade g\nrule r when valeu > 1\n", "t");
  EXPECT_FALSE(result.ok());
  EXPECT_TRUE(result.internal_error.empty());
  ASSERT_FALSE(result.diagnostics.empty());
}

// The meaning check can fail: a changed rate, an order swap or a changed condition all
// change the fingerprint, and line numbers do not.
TEST(FmtTest, FingerprintSeesMeaningNotLayout) {
  const std::string base =
      "ruleset \"t\" version 1\ngrade g\nunknown enterprise grade g\nbaseline 1%\n"
      "rule a when value > 1 then rate 5%\nrule b when value > 2 then rate 6%\n";
  auto fp = [](const std::string& text) {
    CompileResult r = Compile(text, "x");
    EXPECT_TRUE(r.ruleset.has_value()) << text;
    return r.ruleset ? MeaningFingerprint(*r.ruleset) : std::string();
  };
  const std::string original = fp(base);
  std::string moved = base;
  moved.insert(moved.find("rule a"), "\n\n# moved down\n");
  EXPECT_EQ(fp(moved), original);
  std::string rate = base;
  rate.replace(rate.find("5%"), 2, "7%");
  EXPECT_NE(fp(rate), original);
  std::string swapped = "ruleset \"t\" version 1\ngrade g\nunknown enterprise grade g\nbaseline 1%\n"
                        "rule b when value > 2 then rate 6%\nrule a when value > 1 then rate 5%\n";
  EXPECT_NE(fp(swapped), original);
  std::string condition = base;
  condition.replace(condition.find("value > 1"), 9, "value >= 1");
  EXPECT_NE(fp(condition), original);
}

}  // namespace
}  // namespace bukong::dsl
