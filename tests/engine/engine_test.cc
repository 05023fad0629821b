// SPEC §1-2 behaviours of the engine, one test per behaviour, on hand-built IR.
#include "engine/engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include <cstring>

#include "engine/internal/decide.h"
#include "engine/internal/plan.h"
#include "fmt/format.h"
#include "tests/engine/test_util.h"
#include "tests/testing/status_matchers.h"

namespace bukong::engine {
namespace {

using ::bukong::testing::IsOk;
using ::bukong::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace ::bukong::engine::test;
using Op = ir::CompareOp;
using F = ir::Field;

uint64_t Sip(const SelectionKey& key, const std::string& message) {
  unsigned char out[8];
  crypto_shorthash(out, reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                   key.bytes().data());
  uint64_t u = 0;
  for (int i = 7; i >= 0; --i) u = u << 8 | out[i];
  return u;
}

std::shared_ptr<const CompiledRuleset> MustCompile(ir::Ruleset rs) {
  auto compiled = CompileRuleset(std::move(rs));
  EXPECT_THAT(compiled, IsOk());
  return compiled.ok() ? *compiled : nullptr;
}

Decision MustDecide(const ir::Ruleset& rs, const Declaration& d, const Profile* p = nullptr) {
  auto compiled = MustCompile(rs);
  auto decision = Decide(compiled, TestKey(), d, p);
  EXPECT_THAT(decision, IsOk());
  return decision.ok() ? *decision : Decision{};
}

// ----- Selection key ------------------------------------------------------------------------

TEST(SelectionKeyTest, ParsesHexEitherCaseWithSurroundingSpace) {
  auto lower = SelectionKey::FromHex("000102030405060708090a0b0c0d0e0f");
  auto upper = SelectionKey::FromHex("  000102030405060708090A0B0C0D0E0F\n");
  ASSERT_THAT(lower, IsOk());
  ASSERT_THAT(upper, IsOk());
  EXPECT_EQ(*lower, *upper);
  EXPECT_EQ(*lower, TestKey());
  EXPECT_EQ(lower->ToHex(), "000102030405060708090a0b0c0d0e0f");
}

TEST(SelectionKeyTest, RejectsOtherLengthsAndCharacters) {
  EXPECT_THAT(SelectionKey::FromHex("000102030405060708090a0b0c0d0e"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SelectionKey::FromHex("000102030405060708090a0b0c0d0e0f00"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SelectionKey::FromHex("000102030405060708090a0b0c0d0e0g"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SelectionKey::FromHex("0001020304050607 08090a0b0c0d0e0f"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SelectionKeyTest, IdIsFirstEightBytesOfSha256) {
  // python3 -c "import hashlib;print(hashlib.sha256(bytes(range(16))).hexdigest()[:16])"
  EXPECT_EQ(TestKey().Id(), "be45cb2605bf36be");
}

TEST(SelectionKeyTest, GenerateGivesDistinctKeys) {
  EXPECT_NE(SelectionKey::Generate(), SelectionKey::Generate());
}

// ----- SipHash-2-4 and thresholds ---------------------------------------------------------

// vectors_sip64 of the SipHash reference implementation (github.com/veorq/SipHash, vectors.h):
// key 00..0f, message i bytes 00..i-1, tag bytes in output order.
constexpr uint8_t kSipVectors[64][8] = {
#include "tests/engine/siphash_vectors.inc"
};

TEST(SipHashTest, CryptoShorthashMatchesTheReferenceVectors) {
  ASSERT_GE(sodium_init(), 0);
  uint8_t key[16], message[64];
  for (int i = 0; i < 16; ++i) key[i] = static_cast<uint8_t>(i);
  for (int i = 0; i < 64; ++i) message[i] = static_cast<uint8_t>(i);
  for (int n = 0; n < 64; ++n) {
    unsigned char out[8];
    crypto_shorthash(out, message, n, key);
    EXPECT_EQ(0, std::memcmp(out, kSipVectors[n], 8)) << "message length " << n;
  }
}

TEST(SipHashTest, DrawIsTagThenIdReadLittleEndian) {
  const SelectionKey key = TestKey();
  // Vector 15 (message 00..0e) read little-endian is the paper's a129ca6149be45e5.
  std::string fifteen;
  for (int i = 0; i < 15; ++i) fifteen.push_back(static_cast<char>(i));
  EXPECT_EQ(engine::internal::Draw(key, "", fifteen), 0xa129ca6149be45e5ull);
  EXPECT_EQ(engine::internal::Draw(key, "select:", "D0001"), Sip(key, "select:D0001"));
  EXPECT_NE(engine::internal::Draw(key, "select:", "D0001"),
            engine::internal::Draw(key, "site:", "D0001"));
  // Long ids (beyond the stack buffer) hash the same bytes.
  const std::string long_id(1000, 'x');
  EXPECT_EQ(engine::internal::Draw(key, "method:", long_id), Sip(key, "method:" + long_id));
}

TEST(ThresholdTest, ExactFloorOfPTimesTwoTo64OverAMillion) {
  using engine::internal::ThresholdFor;
  EXPECT_EQ(ThresholdFor(1).value, 18446744073709ull);  // floor(2^64 / 10^6)
  EXPECT_EQ(ThresholdFor(500000).value, 1ull << 63);
  EXPECT_EQ(ThresholdFor(999999).value, 18446725626965477906ull);
  EXPECT_TRUE(ThresholdFor(1).Passes(18446744073708ull));
  EXPECT_FALSE(ThresholdFor(1).Passes(18446744073709ull));
  EXPECT_TRUE(ThresholdFor(1000000).Passes(~0ull));  // p >= 1e6 always passes
  EXPECT_FALSE(ThresholdFor(0).Passes(0));           // p = 0 never does
}

// ----- Grade resolution (SPEC §2.1) ---------------------------------------------------------

TEST(GradeTest, NoProfileGivesTheUnknownEnterpriseGrade) {
  ir::Ruleset rs = ExampleShell();
  rs.unknown_grade = 3;
  Decision d = MustDecide(rs, MakeDeclaration("D1"));
  EXPECT_EQ(d.GradeName(), "dishonest");
  EXPECT_EQ(d.rate_ppm, 800'000);  // dishonest floor
}

TEST(GradeTest, ProfileGradeIsUsed) {
  const Profile p = MakeProfile("advanced");
  Decision d = MustDecide(ExampleShell(), MakeDeclaration("D1"), &p);
  EXPECT_EQ(d.GradeName(), "advanced");
  EXPECT_EQ(d.rate_ppm, 6'000);  // 3% * 0.2
}

TEST(GradeTest, UndeclaredProfileGradeIsAnInputErrorNamingIt) {
  const Profile p = MakeProfile("platinum");
  auto d = Decide(MustCompile(ExampleShell()), TestKey(), MakeDeclaration("D1"), &p);
  EXPECT_THAT(d, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("platinum"));
}

TEST(GradeTest, GradeConditionsCompareByName) {
  ir::Ruleset rs = ExampleShell();
  rs.rules = {RateRule("not_trusted", Symbols(F::kGrade, {"advanced", "certified"}, true), 70'000)};
  const Profile advanced = MakeProfile("advanced");
  const Profile general = MakeProfile("general");
  EXPECT_EQ(MustDecide(rs, MakeDeclaration("D1"), &advanced).rule, Decision::kBaseline);
  EXPECT_EQ(MustDecide(rs, MakeDeclaration("D1"), &general).RuleName(), "not_trusted");
  EXPECT_EQ(MustDecide(rs, MakeDeclaration("D1")).RuleName(), "not_trusted");  // unknown=general
}

// ----- Valid windows (SPEC §1 `valid`, inclusive, by D.date) --------------------------------

TEST(ValidWindowTest, InclusiveAtBothEnds) {
  ir::Ruleset rs = ExampleShell();
  ir::Rule r = RateRule("windowed", True(), 150'000);
  r.valid_from = Day("2021-04-01");
  r.valid_to = Day("2021-12-31");
  rs.rules = {r};
  auto matched = [&](std::string_view date) {
    return !MustDecide(rs, MakeDeclaration("D1", "2801000000", date)).matched.empty();
  };
  EXPECT_FALSE(matched("2021-03-31"));
  EXPECT_TRUE(matched("2021-04-01"));
  EXPECT_TRUE(matched("2021-12-31"));
  EXPECT_FALSE(matched("2022-01-01"));
}

// ----- Holds (SPEC §2.3) ----------------------------------------------------------------------

TEST(HoldTest, FirstHoldNamesTheDecisionAndAllReasonsInFileOrder) {
  ir::Ruleset rs = ExampleShell();
  rs.rules = {RateRule("high", True(), 1'000'000, ir::kMillion, 0, true),
              HoldRule("watch_b", True(), "reason b"),
              RateRule("other", Symbols(F::kOrigin, {"KP"}), 500'000),
              HoldRule("watch_a", True(), "reason a")};
  Decision d = MustDecide(rs, MakeDeclaration("D1"));
  EXPECT_EQ(d.outcome, Outcome::kHold);
  EXPECT_EQ(d.RuleName(), "watch_b");
  EXPECT_THAT(d.Reasons(), ElementsAre("reason b", "reason a"));
  EXPECT_THAT(d.MatchedNames(), ElementsAre("high", "watch_b", "watch_a"));
  EXPECT_EQ(d.rate_ppm, 1'000'000);
  EXPECT_EQ(d.site, ir::Site::kPort);
  EXPECT_EQ(d.method, ir::Method::kManual);
}

TEST(HoldTest, AHoldDrawsNothing) {
  ir::Ruleset rs = ExampleShell();
  rs.rules = {HoldRule("watch", True(), "r")};
  Decision d = MustDecide(rs, MakeDeclaration("D1"));
  EXPECT_FALSE(d.select_draw || d.site_draw || d.method_draw);
  EXPECT_THAT(DecisionToJson(d), HasSubstr("\"draws\":{}"));
}

TEST(HoldTest, HoldOutsideItsWindowDoesNotHold) {
  ir::Ruleset rs = ExampleShell();
  ir::Rule hold = HoldRule("watch", True(), "r");
  hold.valid_from = Day("2020-01-01");
  hold.valid_to = Day("2020-12-31");
  rs.rules = {hold};
  EXPECT_NE(MustDecide(rs, MakeDeclaration("D1")).outcome, Outcome::kHold);
}

// ----- Candidates, winner, bounds (SPEC §2.4) -------------------------------------------------

TEST(WinnerTest, HighestEffectiveRateWins) {
  ir::Ruleset rs = ExampleShell();
  rs.rules = {RateRule("low", True(), 40'000), RateRule("high", True(), 90'000),
              RateRule("mid", True(), 60'000)};
  Decision d = MustDecide(rs, MakeDeclaration("D1"));
  EXPECT_EQ(d.RuleName(), "high");
  EXPECT_EQ(d.rate_ppm, 90'000);
  EXPECT_THAT(d.MatchedNames(), ElementsAre("low", "high", "mid"));
}

TEST(WinnerTest, TiesGoToTheRuleFirstInTheFile) {
  ir::Ruleset rs = ExampleShell();
  rs.rules = {RateRule("first", True(), 90'000, 0), RateRule("second", True(), 90'000)};
  EXPECT_EQ(MustDecide(rs, MakeDeclaration("D1")).RuleName(), "first");
  std::swap(rs.rules[0], rs.rules[1]);
  EXPECT_EQ(MustDecide(rs, MakeDeclaration("D1")).RuleName(), "second");
}

TEST(WinnerTest, ARuleEqualToTheBaselineBeatsIt) {
  ir::Ruleset rs = ExampleShell();
  rs.rules = {RateRule("equal", True(), 30'000, 0, ir::kMillion)};
  Decision d = MustDecide(rs, MakeDeclaration("D1"));
  EXPECT_EQ(d.RuleName(), "equal");
}

TEST(WinnerTest, BaselineWinsWhenNoRuleReachesItAndRulesStillMatch) {
  ir::Ruleset rs = ExampleShell();
  rs.rules = {RateRule("below", True(), 29'999)};
  Decision d = MustDecide(rs, MakeDeclaration("D1"));
  EXPECT_EQ(d.RuleName(), "baseline");
  EXPECT_EQ(d.rule, Decision::kBaseline);
  EXPECT_EQ(d.rate_ppm, 30'000);
  EXPECT_THAT(d.MatchedNames(), ElementsAre("below"));
}

TEST(WinnerTest, FixedRulesAreNotScaledAndCompareOnEffectiveRate) {
  ir::Ruleset rs = ExampleShell();
  // advanced: factor 0.2. scaled: 40% -> 8%; fixed: 10% stays 10%.
  rs.rules = {RateRule("scaled", True(), 400'000), RateRule("fixed", True(), 100'000,
                                                            ir::kMillion, 0, true)};
  const Profile advanced = MakeProfile("advanced");
  Decision d = MustDecide(rs, MakeDeclaration("D1"), &advanced);
  EXPECT_EQ(d.RuleName(), "fixed");
  EXPECT_EQ(d.rate_ppm, 100'000);
  const Profile general = MakeProfile("general");
  EXPECT_EQ(MustDecide(rs, MakeDeclaration("D1"), &general).RuleName(), "scaled");
}

TEST(WinnerTest, FactorRoundingIsHalfUpInIntegerPpm) {
  ir::Ruleset rs = ExampleShell();
  rs.grades = {MakeGrade("half", 500'000), MakeGrade("almost_half", 499'999),
               MakeGrade("big", 2'500'000)};
  rs.unknown_grade = 0;
  rs.baseline.rate = 0;
  auto rate = [&](ir::Ppm rule_rate, const char* grade) {
    ir::Ruleset copy = rs;
    copy.rules = {RateRule("r", True(), rule_rate)};
    const Profile p = MakeProfile(grade);
    return MustDecide(copy, MakeDeclaration("D1"), &p).rate_ppm;
  };
  EXPECT_EQ(rate(3, "half"), 2);         // 1.5 -> 2
  EXPECT_EQ(rate(1, "half"), 1);         // 0.5 -> 1
  EXPECT_EQ(rate(1, "almost_half"), 0);  // 0.499999 -> 0
  EXPECT_EQ(rate(300'001, "big"), 750'003);  // 750002.5 -> 750003
  EXPECT_EQ(rate(500'000, "big"), 1'000'000);  // 1'250'000 clamped to 100%
}

TEST(WinnerTest, WinnerChosenBeforeBoundsAndFloorCeilingApplyToFixed) {
  ir::Ruleset rs = ExampleShell();
  rs.grades.push_back(MakeGrade("capped", 1'000'000, std::nullopt, 50'000));
  rs.rules = {RateRule("ten", True(), 80'000), RateRule("twelve", True(), 120'000),
              RateRule("fixed_forty", Symbols(F::kOrigin, {"CN"}), 400'000, ir::kMillion, 0,
                       true)};
  const Profile capped = MakeProfile("capped");
  Decision d = MustDecide(rs, MakeDeclaration("D1"), &capped);
  EXPECT_EQ(d.RuleName(), "twelve");  // named even though the ceiling moved its rate
  EXPECT_EQ(d.rate_ppm, 50'000);
  Declaration cn = MakeDeclaration("D1");
  cn.origin = "CN";
  EXPECT_EQ(MustDecide(rs, cn, &capped).rate_ppm, 50'000);  // ceiling binds a fixed rule too
  const Profile dishonest = MakeProfile("dishonest");
  Decision floored = MustDecide(rs, cn, &dishonest);
  EXPECT_EQ(floored.RuleName(), "fixed_forty");
  EXPECT_EQ(floored.rate_ppm, 800'000);  // floor binds a fixed rule too
}

// ----- Draws and outcome (SPEC §2.5-2.6) ------------------------------------------------------

TEST(DrawTest, ReleaseUsesOnlyTheSelectDraw) {
  ir::Ruleset rs = ExampleShell();
  rs.baseline.rate = 0;
  Decision d = MustDecide(rs, MakeDeclaration("D1"));
  EXPECT_EQ(d.outcome, Outcome::kRelease);
  EXPECT_EQ(d.select_draw, Sip(TestKey(), "select:D1"));
  EXPECT_FALSE(d.site_draw || d.method_draw || d.site || d.method);
}

TEST(DrawTest, InspectionUsesAllThreeDrawsAndTheWinnersSplit) {
  ir::Ruleset rs = ExampleShell();
  rs.rules = {RateRule("all_dest_nii", True(), 1'000'000, 0, ir::kMillion)};
  Decision d = MustDecide(rs, MakeDeclaration("D7"));
  EXPECT_EQ(d.outcome, Outcome::kInspect);
  EXPECT_EQ(d.site, ir::Site::kDestination);
  EXPECT_EQ(d.method, ir::Method::kNii);
  EXPECT_EQ(d.select_draw, Sip(TestKey(), "select:D7"));
  EXPECT_EQ(d.site_draw, Sip(TestKey(), "site:D7"));
  EXPECT_EQ(d.method_draw, Sip(TestKey(), "method:D7"));
  rs.rules = {RateRule("all_port_manual", True(), 1'000'000, ir::kMillion, 0)};
  d = MustDecide(rs, MakeDeclaration("D7"));
  EXPECT_EQ(d.site, ir::Site::kPort);
  EXPECT_EQ(d.method, ir::Method::kManual);
}

TEST(DrawTest, InspectedExactlyWhenTheSelectDrawIsBelowTheThreshold) {
  // For many ids, at a 50% rate: inspected iff u_select < 2^63; site iff u_site < T(30%).
  ir::Ruleset rs = ExampleShell();
  rs.rules = {RateRule("half", True(), 500'000, 300'000, 700'000)};
  auto compiled = MustCompile(rs);
  int inspected = 0;
  for (int i = 0; i < 200; ++i) {
    const std::string id = "ID-" + std::to_string(i);
    auto d = Decide(compiled, TestKey(), MakeDeclaration(id), nullptr);
    ASSERT_THAT(d, IsOk());
    const uint64_t u = Sip(TestKey(), "select:" + id);
    EXPECT_EQ(d->outcome == Outcome::kInspect, u < (1ull << 63)) << id;
    if (d->outcome != Outcome::kInspect) continue;
    ++inspected;
    const bool port = Sip(TestKey(), "site:" + id) < engine::internal::ThresholdFor(300'000).value;
    const bool nii = Sip(TestKey(), "method:" + id) < engine::internal::ThresholdFor(700'000).value;
    EXPECT_EQ(d->site == ir::Site::kPort, port);
    EXPECT_EQ(d->method == ir::Method::kNii, nii);
  }
  EXPECT_GT(inspected, 50);
  EXPECT_LT(inspected, 150);
}

TEST(DrawTest, DrawsDependOnTheKey) {
  std::array<uint8_t, 16> other{};
  other[0] = 1;
  ir::Ruleset rs = ExampleShell();
  auto a = Decide(MustCompile(rs), TestKey(), MakeDeclaration("D1"), nullptr);
  auto b = Decide(MustCompile(rs), SelectionKey(other), MakeDeclaration("D1"), nullptr);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->select_draw, b->select_draw);
}

// ----- Conditions ---------------------------------------------------------------------------

// True when a one-rule ruleset with condition `c` matches (d, p).
bool Matches(ir::Condition c, const Declaration& d, const Profile* p = nullptr) {
  ir::Ruleset rs = ExampleShell();
  rs.rules = {RateRule("r", std::move(c), 500'000)};
  return !MustDecide(rs, d, p).matched.empty();
}

TEST(ConditionTest, NumbersCompareAsExactDecimals) {
  Declaration d = MakeDeclaration("D1");
  d.value = Exact("100000.0");
  EXPECT_FALSE(Matches(Number(F::kValue, Op::kGt, "100000"), d));
  EXPECT_TRUE(Matches(Number(F::kValue, Op::kGe, "100000"), d));
  EXPECT_TRUE(Matches(Number(F::kValue, Op::kEq, "100_000"), d));
  d.value = Exact("100000.0000000000000000001");  // beyond 18 decimals, still above
  EXPECT_TRUE(Matches(Number(F::kValue, Op::kGt, "100000"), d));
  EXPECT_FALSE(Matches(Number(F::kValue, Op::kEq, "100000"), d));
  EXPECT_TRUE(Matches(Number(F::kValue, Op::kLt, "100000.000000000000000001"), d));
  d.weight = Exact("-0.5");
  EXPECT_TRUE(Matches(Number(F::kWeight, Op::kLt, "0"), d));
  EXPECT_TRUE(Matches(Number(F::kWeight, Op::kEq, "-0.5"), d));
  EXPECT_FALSE(Matches(Number(F::kWeight, Op::kNe, "-0.50"), d));
}

TEST(ConditionTest, HitRateIsAnExactFraction) {
  const Declaration d = MakeDeclaration("D1");
  const Profile fifth = MakeProfile("general", "2015-01-01", {}, 5, 1);  // exactly 20%
  EXPECT_FALSE(Matches(Number(F::kHitRate, Op::kGt, "0.2"), d, &fifth));
  EXPECT_TRUE(Matches(Number(F::kHitRate, Op::kGe, "0.2"), d, &fifth));
  EXPECT_TRUE(Matches(Number(F::kHitRate, Op::kEq, "0.2"), d, &fifth));
  const Profile two_ninths = MakeProfile("general", "2015-01-01", {}, 9, 2);
  EXPECT_TRUE(Matches(Number(F::kHitRate, Op::kGt, "0.2"), d, &two_ninths));
  const Profile third = MakeProfile("general", "2015-01-01", {}, 3, 1);
  // 1/3 is above 0.333333333333333333 (18 threes) though a double would call them equal.
  EXPECT_TRUE(Matches(Number(F::kHitRate, Op::kGt, "0.333333333333333333"), d, &third));
  EXPECT_FALSE(Matches(Number(F::kHitRate, Op::kEq, "0.333333333333333333"), d, &third));
  EXPECT_TRUE(Matches(Number(F::kHitRate, Op::kLt, "0.333333333333333334"), d, &third));
  const Profile none = MakeProfile("general", "2015-01-01", {}, 0, 0);
  EXPECT_TRUE(Matches(Number(F::kHitRate, Op::kEq, "0"), d, &none));
  const Profile large = MakeProfile("general", "2015-01-01", {}, ~0ull, ~0ull);
  EXPECT_TRUE(Matches(Number(F::kHitRate, Op::kEq, "1"), d, &large));
}

TEST(ConditionTest, CountersAndAgeDays) {
  const Declaration d = MakeDeclaration("D1", "0303899000", "2021-05-04");
  const Profile young = MakeProfile("general", "2021-05-01", {}, 4, 2);
  EXPECT_TRUE(Matches(Number(F::kAgeDays, Op::kEq, "3"), d, &young));
  EXPECT_TRUE(Matches(Number(F::kHits, Op::kGe, "2"), d, &young));
  EXPECT_FALSE(Matches(Number(F::kHits, Op::kGt, "2"), d, &young));
  EXPECT_TRUE(Matches(Number(F::kInspections, Op::kEq, "4.0"), d, &young));
  const Profile future = MakeProfile("general", "2021-05-10");
  EXPECT_TRUE(Matches(Number(F::kAgeDays, Op::kEq, "-6"), d, &future));  // may be negative
}

TEST(ConditionTest, MissingProfileGivesEmptyFlagsZeroCountersZeroAge) {
  const Declaration d = MakeDeclaration("D1");
  EXPECT_FALSE(Matches(FlagHas("smuggling_watch"), d));
  EXPECT_TRUE(Matches(Not(FlagHas("smuggling_watch")), d));
  EXPECT_TRUE(Matches(Number(F::kHits, Op::kEq, "0"), d));
  EXPECT_TRUE(Matches(Number(F::kInspections, Op::kEq, "0"), d));
  EXPECT_TRUE(Matches(Number(F::kHitRate, Op::kEq, "0"), d));
  EXPECT_TRUE(Matches(Number(F::kAgeDays, Op::kEq, "0"), d));
  EXPECT_FALSE(Matches(Number(F::kAgeDays, Op::kLt, "0"), d));
}

TEST(ConditionTest, FlagsHas) {
  const Declaration d = MakeDeclaration("D1");
  const Profile p = MakeProfile("general", "2015-01-01", {"a", "smuggling_watch"});
  EXPECT_TRUE(Matches(FlagHas("smuggling_watch"), d, &p));
  EXPECT_FALSE(Matches(FlagHas("smuggling"), d, &p));
}

TEST(ConditionTest, HsPrefixesRangesAndLongerCodes) {
  auto hs = [](std::string code) { return MakeDeclaration("D1", std::move(code)); };
  EXPECT_TRUE(Matches(Hs({{"02", "02"}}), hs("0201100000")));
  EXPECT_FALSE(Matches(Hs({{"02", "02"}}), hs("2010100000")));  // leading zeros count
  EXPECT_TRUE(Matches(Hs({{"0302", "0308"}}), hs("0305100000")));
  EXPECT_TRUE(Matches(Hs({{"0302", "0308"}}), hs("0308999999")));
  EXPECT_FALSE(Matches(Hs({{"0302", "0308"}}), hs("0309100000")));
  EXPECT_FALSE(Matches(Hs({{"0302", "0308"}}), hs("0301999999")));
  EXPECT_TRUE(Matches(Hs({{"850440", "850440"}}), hs("85044010")));
  // A rule code longer than the declared code does not match it.
  EXPECT_FALSE(Matches(Hs({{"0303899000", "0303899000"}}), hs("030389")));
  EXPECT_TRUE(Matches(Hs({{"0303899000", "0303899000"}}), hs("0303899000")));
  EXPECT_TRUE(Matches(Hs({{"03038990", "03038990"}}), hs("030389901")));  // 9 digits
  EXPECT_FALSE(Matches(Hs({{"00000000", "00000000"}}), hs("000000")));
  EXPECT_TRUE(Matches(Hs({{"00000000", "00000000"}}), hs("00000000")));
  // not in.
  EXPECT_TRUE(Matches(Hs({{"28", "29"}, {"36", "36"}}, true), hs("3004900000")));
  EXPECT_FALSE(Matches(Hs({{"28", "29"}, {"36", "36"}}, true), hs("3601000000")));
  // Wide ranges crossing chapters.
  EXPECT_TRUE(Matches(Hs({{"0101", "9999"}}), hs("5512000000")));
  EXPECT_TRUE(Matches(Hs({{"010100", "030200"}}), hs("0201300000")));
  EXPECT_FALSE(Matches(Hs({{"010100", "030200"}}), hs("0302100000")));
}

TEST(ConditionTest, SymbolsByEqualityAndIn) {
  Declaration d = MakeDeclaration("D1");
  d.origin = "IR";
  d.trade_country = "AE";
  d.port = "3100";
  d.mode = TransportMode::kAir;
  d.direction = Direction::kExport;
  EXPECT_TRUE(Matches(Symbols(F::kOrigin, {"KP", "IR"}), d));
  EXPECT_FALSE(Matches(Symbols(F::kOrigin, {"KP", "IR"}, true), d));
  EXPECT_TRUE(Matches(Symbols(F::kTradeCountry, {"AE"}), d));
  EXPECT_FALSE(Matches(Symbols(F::kTradeCountry, {"IR"}), d));
  EXPECT_TRUE(Matches(Symbols(F::kPort, {"3100"}), d));
  EXPECT_FALSE(Matches(Symbols(F::kPort, {"310"}), d));
  EXPECT_TRUE(Matches(Symbols(F::kPort, {"2200"}, true), d));
  EXPECT_TRUE(Matches(Symbols(F::kMode, {"air", "post"}), d));
  EXPECT_FALSE(Matches(Symbols(F::kMode, {"sea"}), d));
  EXPECT_TRUE(Matches(Symbols(F::kDirection, {"export"}), d));
  EXPECT_FALSE(Matches(Symbols(F::kDirection, {"import", "transit"}), d));
  EXPECT_TRUE(Matches(Symbols(F::kDirection, {"import"}, true), d));
}

TEST(ConditionTest, BoolsDatesAndLogic) {
  Declaration d = MakeDeclaration("D1", "0303899000", "2021-05-04");
  d.two_step = true;
  EXPECT_TRUE(Matches(TwoStep(Op::kEq, true), d));
  EXPECT_FALSE(Matches(TwoStep(Op::kNe, true), d));
  EXPECT_TRUE(Matches(DateIs(Op::kGe, "2021-05-04"), d));
  EXPECT_FALSE(Matches(DateIs(Op::kLt, "2021-05-04"), d));
  EXPECT_TRUE(Matches(And({TwoStep(Op::kEq, true), Or({Symbols(F::kOrigin, {"CN"}),
                                                       Not(Symbols(F::kOrigin, {"CN"}))})}),
                      d));
  EXPECT_FALSE(Matches(And({TwoStep(Op::kEq, true), Not(True())}), d));
}

// ----- Input errors -------------------------------------------------------------------------

TEST(InputTest, AFieldTheRulesetReadsMustBePresent) {
  ir::Ruleset rs = ExampleShell();
  rs.rules = {RateRule("r", Symbols(F::kOrigin, {"CN"}), 500'000)};
  auto compiled = MustCompile(rs);
  EXPECT_TRUE(compiled->Reads(F::kOrigin));
  EXPECT_FALSE(compiled->Reads(F::kPort));
  Declaration d = MakeDeclaration("D1");
  d.present &= ~kHasOrigin;
  auto decision = Decide(compiled, TestKey(), d, nullptr);
  EXPECT_THAT(decision, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(decision.status().message()), HasSubstr("origin"));
  d = MakeDeclaration("D1");
  d.present = kHasOrigin;  // unread fields may be missing
  EXPECT_THAT(Decide(compiled, TestKey(), d, nullptr), IsOk());
}

TEST(InputTest, EmptyIdAndBadHsAreRejected) {
  auto compiled = MustCompile(ExampleShell());
  EXPECT_THAT(Decide(compiled, TestKey(), MakeDeclaration(""), nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Decide(compiled, TestKey(), MakeDeclaration("D1", "03038"), nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Decide(compiled, TestKey(), MakeDeclaration("D1", "03038.900"), nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Decide(compiled, TestKey(), MakeDeclaration("D1", "03038990001"), nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// ----- Compiling IR -------------------------------------------------------------------------

TEST(CompileTest, RejectsMalformedIr) {
  auto bad = [](auto mutate) {
    ir::Ruleset rs = ExampleShell();
    mutate(rs);
    return CompileRuleset(std::move(rs)).status().code();
  };
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(bad([](ir::Ruleset& rs) { rs.unknown_grade = 9; }), kInvalid);
  EXPECT_EQ(bad([](ir::Ruleset& rs) { rs.grades.clear(); }), kInvalid);
  EXPECT_EQ(bad([](ir::Ruleset& rs) { rs.baseline.rate = 1'000'001; }), kInvalid);
  EXPECT_EQ(bad([](ir::Ruleset& rs) { rs.grades[0].floor = 500'000; rs.grades[0].ceiling = 1; }),
            kInvalid);
  EXPECT_EQ(bad([](ir::Ruleset& rs) { rs.rules = {RateRule("r", Hs({{"2", "2"}}), 1)}; }),
            kInvalid);
  EXPECT_EQ(bad([](ir::Ruleset& rs) { rs.rules = {RateRule("r", Hs({{"03", "0308"}}), 1)}; }),
            kInvalid);
  EXPECT_EQ(bad([](ir::Ruleset& rs) { rs.rules = {RateRule("r", Hs({{"08", "03"}}), 1)}; }),
            kInvalid);
  EXPECT_EQ(bad([](ir::Ruleset& rs) {
              rs.rules = {RateRule("r", Symbols(F::kGrade, {"platinum"}), 1)};
            }),
            kInvalid);
  EXPECT_EQ(bad([](ir::Ruleset& rs) {
              rs.rules = {RateRule("r", Symbols(F::kDirection, {"sea"}), 1)};
            }),
            kInvalid);
  EXPECT_EQ(bad([](ir::Ruleset& rs) {
              rs.rules = {RateRule("r", Symbols(F::kOrigin, {"cn"}), 1)};
            }),
            kInvalid);
  EXPECT_EQ(bad([](ir::Ruleset& rs) {
              rs.rules = {RateRule("r", True(), 1), RateRule("r", True(), 2)};
            }),
            kInvalid);
  EXPECT_EQ(bad([](ir::Ruleset& rs) {
              ir::Condition deep = True();
              for (int i = 0; i < 2000; ++i) deep = Not(std::move(deep));
              rs.rules = {RateRule("r", std::move(deep), 1)};
            }),
            kInvalid);
}

TEST(CompileTest, ExposesIdHashAndSource) {
  auto compiled = MustCompile(ExampleShell());
  EXPECT_EQ(compiled->Id(), "test@1");
  EXPECT_EQ(compiled->Sha256(), std::string(64, 'a'));
  EXPECT_EQ(compiled->ir().grades.size(), 4u);
  EXPECT_EQ(compiled->FindGrade("general"), 2u);
  EXPECT_FALSE(compiled->FindGrade("platinum").has_value());
}

// ----- Decision JSON ------------------------------------------------------------------------

TEST(JsonTest, ReleaseLine) {
  ir::Ruleset rs = ExampleShell();
  rs.baseline.rate = 0;
  Decision d = MustDecide(rs, MakeDeclaration("D\"1\\\n中"));
  EXPECT_EQ(DecisionToJson(d),
            fmt::format("{{\"id\":\"D\\\"1\\\\\\n中\",\"outcome\":\"release\",\"site\":null,"
                        "\"method\":null,\"rate_ppm\":0,\"grade\":\"general\",\"rule\":"
                        "\"baseline\",\"matched\":[],\"ruleset\":\"test@1\",\"ruleset_sha256\":"
                        "\"{}\",\"draws\":{{\"select\":\"{:016x}\"}}}}",
                        std::string(64, 'a'), Sip(TestKey(), "select:D\"1\\\n中")));
}

TEST(JsonTest, InspectAndHoldLines) {
  ir::Ruleset rs = ExampleShell();
  rs.rules = {RateRule("cold_chain_port", True(), 1'000'000, ir::kMillion, 0)};
  Decision d = MustDecide(rs, MakeDeclaration("D0001"));
  EXPECT_EQ(DecisionToJson(d),
            fmt::format("{{\"id\":\"D0001\",\"outcome\":\"inspect\",\"site\":\"port\","
                        "\"method\":\"manual\",\"rate_ppm\":1000000,\"grade\":\"general\","
                        "\"rule\":\"cold_chain_port\",\"matched\":[\"cold_chain_port\"],"
                        "\"ruleset\":\"test@1\",\"ruleset_sha256\":\"{}\",\"draws\":{{"
                        "\"select\":\"{:016x}\",\"site\":\"{:016x}\",\"method\":\"{:016x}\"}}}}",
                        std::string(64, 'a'), Sip(TestKey(), "select:D0001"),
                        Sip(TestKey(), "site:D0001"), Sip(TestKey(), "method:D0001")));
  rs.rules.push_back(HoldRule("watchlist", True(), "referred to \"anti-smuggling\""));
  d = MustDecide(rs, MakeDeclaration("D0001"));
  EXPECT_EQ(DecisionToJson(d),
            fmt::format("{{\"id\":\"D0001\",\"outcome\":\"hold\",\"site\":\"port\","
                        "\"method\":\"manual\",\"rate_ppm\":1000000,\"grade\":\"general\","
                        "\"rule\":\"watchlist\",\"matched\":[\"cold_chain_port\",\"watchlist\"],"
                        "\"reasons\":[\"referred to \\\"anti-smuggling\\\"\"],"
                        "\"ruleset\":\"test@1\",\"ruleset_sha256\":\"{}\",\"draws\":{{}}}}",
                        std::string(64, 'a')));
}

TEST(JsonTest, ControlCharactersAreEscaped) {
  ir::Ruleset rs = ExampleShell();
  Decision d = MustDecide(rs, MakeDeclaration(std::string("a\x01\tb", 4)));
  EXPECT_THAT(DecisionToJson(d), HasSubstr("\"id\":\"a\\u0001\\tb\""));
}

// ----- Engine -------------------------------------------------------------------------------

TEST(EngineTest, DecideMatchesTheFreeFunctionAndSwapReplacesTheRuleset) {
  ir::Ruleset a = ExampleShell();
  a.rules = {RateRule("a", True(), 1'000'000)};
  ir::Ruleset b = ExampleShell();
  b.version = 2;
  b.baseline.rate = 0;
  auto ca = MustCompile(a), cb = MustCompile(b);
  Engine engine(TestKey(), ca);
  const Declaration d = MakeDeclaration("D1");
  auto first = engine.Decide(d, nullptr);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(*first, *Decide(ca, TestKey(), d, nullptr));
  EXPECT_EQ(first->outcome, Outcome::kInspect);
  EXPECT_THAT(engine.Swap(cb), IsOk());
  EXPECT_EQ(engine.Current(), cb);
  auto second = engine.Decide(d, nullptr);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->outcome, Outcome::kRelease);
  EXPECT_EQ(second->ruleset->Id(), "test@2");
  EXPECT_EQ(first->ruleset->Id(), "test@1");  // the old decision keeps its ruleset alive
  EXPECT_THAT(engine.Swap(nullptr), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(engine.Current(), cb);
}

TEST(EngineTest, AFailedCompileNeverReachesTheEngine) {
  auto good = MustCompile(ExampleShell());
  Engine engine(TestKey(), good);
  ir::Ruleset broken = ExampleShell();
  broken.unknown_grade = 42;
  auto compiled = CompileRuleset(broken);
  ASSERT_FALSE(compiled.ok());
  EXPECT_EQ(engine.Current(), good);
}

TEST(EngineTest, DecideIntoReusesTheDecision) {
  ir::Ruleset rs = ExampleShell();
  rs.rules = {RateRule("a", True(), 1'000'000), HoldRule("h", Symbols(F::kOrigin, {"KP"}), "x")};
  Engine engine(TestKey(), MustCompile(rs));
  Decision out;
  Declaration kp = MakeDeclaration("D1");
  kp.origin = "KP";
  ASSERT_THAT(engine.DecideInto(kp, nullptr, &out), IsOk());
  EXPECT_EQ(out.outcome, Outcome::kHold);
  ASSERT_THAT(engine.DecideInto(MakeDeclaration("D2"), nullptr, &out), IsOk());
  EXPECT_EQ(out, *engine.Decide(MakeDeclaration("D2"), nullptr));
  EXPECT_FALSE(out.site_draw == std::nullopt);
}

TEST(EngineTest, DecideBatchUsesOneRulesetAndReportsErrorsPerEntry) {
  Engine engine(TestKey(), MustCompile(ExampleShell()));
  const Profile good = MakeProfile("general"), bad = MakeProfile("platinum");
  std::vector<Declaration> ds = {MakeDeclaration("D1"), MakeDeclaration("D2"),
                                 MakeDeclaration("D3")};
  std::vector<const Profile*> ps = {&good, &bad, nullptr};
  std::vector<absl::StatusOr<Decision>> results;
  ASSERT_THAT(engine.DecideBatch(ds, ps, &results), IsOk());
  ASSERT_EQ(results.size(), 3u);
  EXPECT_THAT(results[0], IsOk());
  EXPECT_THAT(results[1], StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(results[2], IsOk());
  EXPECT_EQ(*results[2], *engine.Decide(ds[2], nullptr));
  ps.pop_back();
  EXPECT_THAT(engine.DecideBatch(ds, ps, &results),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(EngineTest, DecideBatchIntoMatchesDecide) {
  ir::Ruleset rs = ExampleShell();
  rs.rules = {RateRule("half", True(), 500'000, 500'000, 500'000)};
  Engine engine(TestKey(), MustCompile(rs));
  const Profile good = MakeProfile("general"), bad = MakeProfile("platinum");
  std::vector<Declaration> ds;
  std::vector<const Profile*> ps;
  for (int i = 0; i < 20; ++i) {
    ds.push_back(MakeDeclaration("B" + std::to_string(i)));
    ps.push_back(i == 7 ? &bad : (i % 3 == 0 ? nullptr : &good));
  }
  std::vector<Decision> out(ds.size());
  std::vector<absl::Status> statuses(ds.size());
  ASSERT_THAT(engine.DecideBatchInto(ds, ps, absl::MakeSpan(out), absl::MakeSpan(statuses)),
              IsOk());
  for (size_t i = 0; i < ds.size(); ++i) {
    auto single = engine.Decide(ds[i], ps[i]);
    ASSERT_EQ(single.ok(), statuses[i].ok()) << i;
    if (single.ok()) {
      EXPECT_EQ(out[i], *single) << i;
    }
  }
  EXPECT_THAT(statuses[7], StatusIs(absl::StatusCode::kInvalidArgument));
  statuses.pop_back();
  EXPECT_THAT(engine.DecideBatchInto(ds, ps, absl::MakeSpan(out), absl::MakeSpan(statuses)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(EngineTest, SameInputsSameDecision) {
  ir::Ruleset rs = ExampleShell();
  rs.rules = {RateRule("half", True(), 500'000, 500'000, 500'000)};
  Engine one(TestKey(), MustCompile(rs));
  Engine two(TestKey(), MustCompile(rs));
  for (int i = 0; i < 100; ++i) {
    const Declaration d = MakeDeclaration("X" + std::to_string(i));
    EXPECT_EQ(*one.Decide(d, nullptr), *two.Decide(d, nullptr));
  }
}

}  // namespace
}  // namespace bukong::engine

namespace bukong::engine {
namespace {

using namespace ::bukong::engine::test;

// The plan must not test every rule against every declaration: rules keyed on HS codes are
// offered only to declarations whose code can match, by direction too.
TEST(IndexTest, OnlyRulesWhoseCodesCanMatchAreCandidates) {
  ir::Ruleset rs = ExampleShell();
  for (int i = 0; i < 1000; ++i) {
    const std::string sub = std::to_string(840000 + i * 7);  // distinct subheadings
    rs.rules.push_back(RateRule("sub" + std::to_string(i),
                                And({Hs({{sub, sub}}), Symbols(ir::Field::kDirection,
                                                               {"import"})}),
                                50'000));
  }
  rs.rules.push_back(RateRule("chapter_85", Hs({{"85", "85"}}), 50'000));
  rs.rules.push_back(RateRule("heading_8401", Hs({{"8401", "8401"}}), 50'000));
  rs.rules.push_back(RateRule("no_hs", Symbols(ir::Field::kOrigin, {"CN"}), 50'000));
  auto compiled = CompileRuleset(rs);
  ASSERT_TRUE(compiled.ok());
  auto candidates = [&](const Declaration& d) {
    Decision out;
    size_t n = 0;
    EXPECT_TRUE(
        engine::internal::DecideInto(**compiled, TestKey(), d, nullptr, &out, &n).ok());
    return n;
  };
  // The index works at the precision the rules name codes with: of sub0..sub14, which share
  // heading 8400, only sub1 (840007) is offered. no_hs needs origin CN; these declarations come from NO.
  Declaration d = MakeDeclaration("D1", "8400071234");
  EXPECT_EQ(candidates(d), 1u);
  d.direction = Direction::kExport;
  EXPECT_EQ(candidates(d), 0u);
  d.origin = "CN";
  EXPECT_EQ(candidates(d), 1u);  // no_hs
  d = MakeDeclaration("D1", "8401000000");
  EXPECT_EQ(candidates(d), 1u);  // heading_8401 (sub15..sub28 are 840105..840196)
  d = MakeDeclaration("D1", "8401050000");
  EXPECT_EQ(candidates(d), 2u);  // sub15 and heading_8401
  d = MakeDeclaration("D1", "8517620000");
  EXPECT_EQ(candidates(d), 1u);  // chapter_85
  Decision decision = *Decide(*compiled, TestKey(), MakeDeclaration("D1", "8400071234"), nullptr);
  EXPECT_THAT(decision.MatchedNames(), ::testing::ElementsAre("sub1"));
}

// More distinct codes than the HS dimension holds: it indexes shorter prefixes instead (a
// superset), and the rules' HS lists are then evaluated in full.
TEST(IndexTest, TooManyNamedCodesAreIndexedByShorterPrefixes) {
  ir::Ruleset rs = ExampleShell();
  std::vector<std::pair<std::string, std::string>> codes;
  for (int i = 0; i < 17'000; ++i) {
    const std::string code = std::to_string(8'400'000'000LL + i * 1000LL);
    codes.emplace_back(code, code);
  }
  rs.rules = {RateRule("many_codes", Hs(codes), 50'000),
              RateRule("chapter_85", Hs({{"85", "85"}}), 50'000)};
  auto compiled = CompileRuleset(rs);
  ASSERT_THAT(compiled, IsOk());
  auto matched = [&](const std::string& hs, size_t* candidates) {
    Decision out;
    EXPECT_THAT(engine::internal::DecideInto(**compiled, TestKey(), MakeDeclaration("D1", hs),
                                                nullptr, &out, candidates),
                IsOk());
    return std::vector<uint32_t>(out.matched.begin(), out.matched.end());
  };
  size_t n = 0;
  EXPECT_THAT(matched("8400001000", &n), ElementsAre(0u));  // many_codes
  EXPECT_EQ(n, 1u);
  EXPECT_THAT(matched("8400001500", &n), ElementsAre());  // same 6-digit prefix, not listed
  EXPECT_EQ(n, 1u);
  EXPECT_THAT(matched("8517620000", &n), ElementsAre(1u));  // chapter_85
  EXPECT_EQ(n, 1u);
}

// The index orders rules by HS chapter, not by file position (engine/internal/plan.h):
// ties, the first hold and the matched list must still follow the file.
TEST(IndexTest, FileOrderDecidesWhateverOrderTheIndexOffersRules) {
  ir::Ruleset rs = ExampleShell();
  rs.rules = {RateRule("chapter_84", Hs({{"84", "84"}}), 90'000),
              RateRule("every_chapter", Hs({{"01", "99"}}), 90'000),
              RateRule("no_hs", True(), 90'000)};
  Decision d = MustDecide(rs, MakeDeclaration("D1", "8471300000"));
  EXPECT_EQ(d.RuleName(), "chapter_84");
  EXPECT_THAT(d.MatchedNames(), ElementsAre("chapter_84", "every_chapter", "no_hs"));

  rs.rules = {HoldRule("hold_no_hs", True(), "first in the file"),
              RateRule("subheading", Hs({{"847130", "847130"}}), 90'000),
              HoldRule("hold_every_chapter", Hs({{"01", "99"}}), "second in the file")};
  d = MustDecide(rs, MakeDeclaration("D1", "8471300000"));
  EXPECT_EQ(d.RuleName(), "hold_no_hs");
  EXPECT_THAT(d.Reasons(), ElementsAre("first in the file", "second in the file"));
  EXPECT_THAT(d.MatchedNames(), ElementsAre("hold_no_hs", "subheading", "hold_every_chapter"));
}

}  // namespace
}  // namespace bukong::engine
