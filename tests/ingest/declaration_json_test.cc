#include "ingest/declaration_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/dates.h"
#include "tests/testing/status_matchers.h"

namespace bukong::ingest {
namespace {

using ::bukong::testing::IsOk;
using ::bukong::testing::StatusIs;
using ::testing::HasSubstr;

constexpr __int128 kScale = ir::Decimal::kScale;

FieldsRead Reads(std::initializer_list<ir::Field> fields) {
  FieldsRead read{};
  for (ir::Field f : fields) read[static_cast<int>(f)] = true;
  return read;
}

// A complete, valid record in SPEC §3 order with some keys replaced ("" drops the key).
std::string Record(std::vector<std::pair<std::string, std::string>> replace = {}) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"id", "\"D0001\""},         {"enterprise", "\"91330200MA2AAAAA1X\""},
      {"date", "\"2021-05-04\""},  {"direction", "\"import\""},
      {"hs", "\"0303.89.90\""},    {"origin", "\"NO\""},
      {"trade_country", "\"NO\""}, {"port", "\"3100\""},
      {"mode", "\"sea\""},         {"value", "125000.0"},
      {"weight", "20000"},         {"two_step", "false"}};
  for (auto& [key, value] : replace) {
    bool found = false;
    for (auto& field : fields) {
      if (field.first == key) {
        field.second = value;
        found = true;
      }
    }
    if (!found) fields.emplace_back(key, value);
  }
  std::string out = "{";
  for (auto& [key, value] : fields) {
    if (value.empty()) continue;
    if (out.size() > 1) out += ",";
    out += "\"" + key + "\":" + value;
  }
  return out + "}";
}

absl::Status ParseAll(const std::string& line, Declaration* d = nullptr) {
  DeclarationParser parser(AllDeclarationFields());
  Declaration scratch;
  return parser.Parse(line, d ? d : &scratch);
}

std::string ErrorOf(const std::string& line, const FieldsRead& read = AllDeclarationFields()) {
  DeclarationParser parser(read);
  Declaration d;
  absl::Status s = parser.Parse(line, &d);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument)) << line;
  return std::string(s.message());
}

__int128 Twice(const std::string& number) {
  ExactDecimal d;
  absl::Status s = ExactDecimalFromJsonNumber(number, &d);
  EXPECT_THAT(s, IsOk()) << number;
  return d.twice_scaled;
}

TEST(DeclarationJsonTest, ParsesEveryField) {
  Declaration d;
  ASSERT_THAT(ParseAll(Record(), &d), IsOk());
  EXPECT_EQ(d.id, "D0001");
  EXPECT_EQ(d.enterprise, "91330200MA2AAAAA1X");
  EXPECT_EQ(d.date, *ParseIsoDate("2021-05-04"));
  EXPECT_EQ(d.direction, Direction::kImport);
  EXPECT_EQ(d.hs, "03038990");
  EXPECT_EQ(d.origin, "NO");
  EXPECT_EQ(d.trade_country, "NO");
  EXPECT_EQ(d.port, "3100");
  EXPECT_EQ(d.mode, TransportMode::kSea);
  EXPECT_EQ(d.value, ExactDecimal::FromInteger(125000));
  EXPECT_EQ(d.weight, ExactDecimal::FromInteger(20000));
  EXPECT_FALSE(d.two_step);
  EXPECT_EQ(d.present, kHasOrigin | kHasTradeCountry | kHasPort | kHasMode | kHasValue |
                           kHasWeight | kHasTwoStep);
}

TEST(DeclarationJsonTest, EnumValues) {
  Declaration d;
  ASSERT_THAT(
      ParseAll(Record({{"direction", "\"transit\""}, {"mode", "\"post\""}, {"two_step", "true"}}),
               &d),
      IsOk());
  EXPECT_EQ(d.direction, Direction::kTransit);
  EXPECT_EQ(d.mode, TransportMode::kPost);
  EXPECT_TRUE(d.two_step);
  ASSERT_THAT(ParseAll(Record({{"direction", "\"export\""}, {"mode", "\"rail\""}}), &d), IsOk());
  EXPECT_EQ(d.direction, Direction::kExport);
  EXPECT_EQ(d.mode, TransportMode::kRail);
  for (auto [mode, expected] :
       {std::pair{"air", TransportMode::kAir}, std::pair{"road", TransportMode::kRoad}}) {
    ASSERT_THAT(ParseAll(Record({{"mode", std::string("\"") + mode + "\""}}), &d), IsOk());
    EXPECT_EQ(d.mode, expected);
  }
}

TEST(DeclarationJsonTest, Utf8IdsAndEscapes) {
  Declaration d;
  ASSERT_THAT(
      ParseAll(Record({{"id", "\"报关单\\u0031\\\"\\\\\\n\""}, {"enterprise", "\"宁波海天\""}}),
               &d),
      IsOk());
  EXPECT_EQ(d.id, "报关单1\"\\\n");
  EXPECT_EQ(d.enterprise, "宁波海天");
  EXPECT_EQ(ErrorOf("{\"id\":\"D\xFF\"}"), "invalid UTF-8");
}

TEST(DeclarationJsonTest, NumbersAreExactDecimalsOfTheirText) {
  const __int128 hundred_thousand = ExactDecimal::FromInteger(100000).twice_scaled;
  EXPECT_EQ(Twice("100000"), hundred_thousand);
  EXPECT_EQ(Twice("100000.0"), hundred_thousand);
  EXPECT_EQ(Twice("1e5"), hundred_thousand);
  EXPECT_EQ(Twice("1E+5"), hundred_thousand);
  EXPECT_EQ(Twice("1000000e-1"), hundred_thousand);
  EXPECT_EQ(Twice("0.000001e11"), hundred_thousand);
  EXPECT_EQ(Twice("1.5e3"), 1500 * kScale * 2);
  EXPECT_EQ(Twice("-0.5"), -kScale);
  EXPECT_EQ(Twice("0.1"), kScale / 5);  // 2 * 10^17: exact, unlike the double 0.1
  EXPECT_EQ(Twice("-0"), 0);
  EXPECT_EQ(Twice("0e-999999999999"), 0);
  // 18 decimals are exact; a non-zero digit beyond them makes the value odd.
  EXPECT_EQ(Twice("0.000000000000000001"), 2);
  EXPECT_EQ(Twice("0.1000000000000000000000001"), kScale / 5 + 1);
  EXPECT_EQ(Twice("0.1000000000000000000000000"), kScale / 5);
  EXPECT_EQ(Twice("-0.0000000000000000000000001"), -1);
  EXPECT_EQ(Twice("1e-400"), 1);
  EXPECT_EQ(Twice("100000.0000000000000000001"), hundred_thousand + 1);
  // Big numbers up to 10^19.
  EXPECT_EQ(Twice("1e19"), kScale * static_cast<__int128>(10'000'000'000'000'000'000ULL) * 2);
  EXPECT_EQ(Twice("-9999999999999999999.999999999999999999"),
            -(kScale * static_cast<__int128>(10'000'000'000'000'000'000ULL) * 2 - 2));
  ExactDecimal d;
  EXPECT_THAT(ExactDecimalFromJsonNumber("10000000000000000000.5", &d),
              StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(ExactDecimalFromJsonNumber("1e20", &d), StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(ExactDecimalFromJsonNumber("-1e400", &d), StatusIs(absl::StatusCode::kOutOfRange));
  for (const char* bad : {"01", "1.", ".5", "+1", "1e", "1e+", "--1", "1x", "", "-", "0x10"}) {
    EXPECT_THAT(ExactDecimalFromJsonNumber(bad, &d), StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
}

TEST(DeclarationJsonTest, ComparisonAgainstLiteralsIsExact) {
  // value > 100_000 is false for 100000.0 and true for 100000.0000000000000000001.
  ExactDecimal literal = ExactDecimal::FromScaled(ir::Decimal{100000 * kScale}.scaled);
  Declaration d;
  ASSERT_THAT(ParseAll(Record({{"value", "100000.0"}}), &d), IsOk());
  EXPECT_FALSE(d.value > literal);
  EXPECT_TRUE(d.value == literal);
  ASSERT_THAT(ParseAll(Record({{"value", "100000.0000000000000000001"}}), &d), IsOk());
  EXPECT_TRUE(d.value > literal);
  ASSERT_THAT(ParseAll(Record({{"value", "99999.9999999999999999999"}}), &d), IsOk());
  EXPECT_TRUE(d.value < literal);
  ASSERT_THAT(ParseAll(Record({{"weight", "-0.5"}}), &d), IsOk());
  EXPECT_TRUE(d.weight < ExactDecimal::FromInteger(0));
}

TEST(DeclarationJsonTest, NumberErrorsNameTheField) {
  EXPECT_EQ(ErrorOf(Record({{"value", "1e25"}})),
            "field 'value': '1e25' is out of range (magnitude at most 10^19)");
  EXPECT_EQ(ErrorOf(Record({{"weight", "\"12\""}})),
            "field 'weight': expected a number, found a string");
  EXPECT_EQ(ErrorOf(Record({{"value", "01"}})), "invalid JSON: field 'value': invalid number '01'");
  // A malformed number is bad JSON even in a field the ruleset does not read.
  EXPECT_EQ(ErrorOf(Record({{"value", "1.e3"}}), Reads({})),
            "invalid JSON: field 'value': invalid number '1.e3'");
}

TEST(DeclarationJsonTest, AlwaysRequiredFields) {
  for (const char* key : {"id", "enterprise", "date", "direction", "hs"}) {
    EXPECT_EQ(ErrorOf(Record({{key, ""}}), Reads({})), std::string("missing field '") + key + "'");
    EXPECT_EQ(ErrorOf(Record({{key, "null"}}), Reads({})),
              std::string("field '") + key + "': null");
    EXPECT_EQ(ErrorOf(Record({{key, "12"}}), Reads({})),
              std::string("field '") + key + "': expected a string, found a number");
  }
  EXPECT_EQ(ErrorOf(Record({{"id", "\"\""}})), "field 'id': empty");
  EXPECT_EQ(ErrorOf(Record({{"enterprise", "\"\""}})), "field 'enterprise': empty");
  EXPECT_EQ(ErrorOf(Record({{"date", "\"2021-02-29\""}})),
            "field 'date': '2021-02-29' is not a date YYYY-MM-DD");
  EXPECT_EQ(ErrorOf(Record({{"direction", "\"Import\""}})),
            "field 'direction': 'Import' is not one of import, export, transit");
  EXPECT_EQ(ErrorOf(Record({{"hs", "\"0303.8\""}})),
            "field 'hs': '0303.8' has 5 digits, expected 6 to 10");
  EXPECT_EQ(ErrorOf(Record({{"hs", "\"03038990001\""}})),
            "field 'hs': '03038990001' has 11 digits, expected 6 to 10");
  EXPECT_EQ(ErrorOf(Record({{"hs", "\"0303-89\""}})),
            "field 'hs': '0303-89' is not an HS code (digits and dots)");
  Declaration d;
  ASSERT_THAT(ParseAll(Record({{"hs", "\"030389\""}}), &d), IsOk());
  EXPECT_EQ(d.hs, "030389");
}

TEST(DeclarationJsonTest, FieldsTheRulesetReadsAreRequiredAndChecked) {
  EXPECT_EQ(ErrorOf(Record({{"origin", ""}}), Reads({ir::Field::kOrigin})),
            "missing field 'origin' (the ruleset reads it)");
  EXPECT_EQ(ErrorOf(Record({{"value", "null"}}), Reads({ir::Field::kValue})),
            "field 'value': null, but the ruleset reads it");
  EXPECT_EQ(ErrorOf(Record({{"origin", "\"cn\""}})),
            "field 'origin': 'cn' is not a country code (two capital letters)");
  EXPECT_EQ(ErrorOf(Record({{"trade_country", "\"CHN\""}})),
            "field 'trade_country': 'CHN' is not a country code (two capital letters)");
  EXPECT_EQ(ErrorOf(Record({{"port", "3100"}})), "field 'port': expected a string, found a number");
  EXPECT_EQ(ErrorOf(Record({{"mode", "\"ship\""}})),
            "field 'mode': 'ship' is not one of sea, air, rail, road, post");
  EXPECT_EQ(ErrorOf(Record({{"two_step", "\"false\""}})),
            "field 'two_step': expected a boolean, found a string");
  EXPECT_EQ(ErrorOf(Record({{"two_step", "0"}})),
            "field 'two_step': expected a boolean, found a number");
}

TEST(DeclarationJsonTest, UnreadFieldsAreNotValidatedButPresenceIsRecorded) {
  DeclarationParser parser(Reads({ir::Field::kValue}));
  Declaration d;
  ASSERT_THAT(parser.Parse(Record({{"origin", "\"china\""},
                                   {"port", "null"},
                                   {"mode", "7"},
                                   {"weight", "1e99"},
                                   {"two_step", "[1,{\"a\":null}]"},
                                   {"trade_country", ""}}),
                           &d),
              IsOk());
  EXPECT_EQ(d.present, kHasValue);  // the invalid unread values are not stored
  ASSERT_THAT(parser.Parse(Record({{"origin", "\"CN\""}}), &d), IsOk());
  EXPECT_EQ(d.origin, "CN");
  EXPECT_TRUE(d.present & kHasOrigin);
  // Values from an earlier line never leak into a line without them.
  ASSERT_THAT(parser.Parse(Record({{"origin", ""}, {"port", ""}, {"two_step", ""}}), &d), IsOk());
  EXPECT_EQ(d.origin, "");
  EXPECT_EQ(d.port, "");
  EXPECT_FALSE(d.present & (kHasOrigin | kHasPort | kHasTwoStep));
}

TEST(DeclarationJsonTest, UnknownKeysAreIgnoredButMustBeWellFormed) {
  Declaration d;
  EXPECT_THAT(ParseAll(Record({{"remarks", "{\"a\":[1,2,{\"b\":\"冷链\"}]}"}, {"n", "null"}}), &d),
              IsOk());
  EXPECT_THAT(ErrorOf(Record({{"remarks", "tru"}})), HasSubstr("invalid JSON"));
  EXPECT_THAT(ErrorOf(Record({{"remarks", "[1,{\"b\":x}]"}})), HasSubstr("invalid JSON"));
  EXPECT_THAT(ErrorOf(Record({{"remarks", "[}"}})), HasSubstr("invalid JSON"));
}

TEST(DeclarationJsonTest, RepeatedKeysAreRejected) {
  std::string record = Record();
  std::string body = record.substr(0, record.size() - 1);
  EXPECT_EQ(ErrorOf(body + ",\"id\":\"D0002\"}"), "repeated key 'id'");
  EXPECT_EQ(ErrorOf(body + ",\"value\":1}", Reads({})), "repeated key 'value'");
  EXPECT_EQ(ErrorOf(body + ",\"i\\u0064\":\"D0002\"}"), "repeated key 'id'");
  EXPECT_EQ(ErrorOf(body + ",\"note\":1,\"note\":2}"), "repeated key 'note'");
}

TEST(DeclarationJsonTest, NotAnObjectOrNotJson) {
  EXPECT_EQ(ErrorOf("[1]"), "not a JSON object");
  EXPECT_EQ(ErrorOf("\"D0001\""), "not a JSON object");
  EXPECT_THAT(ErrorOf("{\"id\":"), HasSubstr("invalid JSON"));
  EXPECT_EQ(ErrorOf("id=D0001"), "not a JSON object");
  EXPECT_EQ(ErrorOf(""), "empty line");
  EXPECT_EQ(ErrorOf("   "), "empty line");
  EXPECT_EQ(ErrorOf(Record() + " x"),
            "invalid JSON: the object does not end at the end of the line");
  EXPECT_EQ(ErrorOf(Record() + Record()), "unexpected text after the JSON object");
  Declaration d;
  EXPECT_THAT(ParseAll("  " + Record() + " \t", &d), IsOk());
}

TEST(DeclarationJsonTest, ParserIsReusableAcrossManyLines) {
  DeclarationParser parser(AllDeclarationFields());
  Declaration d;
  for (int i = 0; i < 1000; ++i) {
    std::string id = "\"D" + std::to_string(i) + "\"";
    ASSERT_THAT(parser.Parse(Record({{"id", id}, {"value", std::to_string(i) + ".25"}}), &d),
                IsOk());
    ASSERT_EQ(d.value.twice_scaled, (static_cast<__int128>(i) * 4 + 1) * kScale / 2);
    if (i % 100 == 0) {
      EXPECT_FALSE(parser.Parse("{bad", &d).ok());
    }
  }
}

}  // namespace
}  // namespace bukong::ingest
