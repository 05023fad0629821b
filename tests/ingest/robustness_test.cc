// Mutated and random input never crashes a reader, and every rejection carries a message.
// (Run under ASan/UBSan by `make test`.)
#include <gtest/gtest.h>

#include <random>
#include <sstream>
#include <string>

#include "ingest/declaration_json.h"
#include "ingest/profile_reader.h"

namespace bukong::ingest {
namespace {

// A deterministic mutator: flips, deletes, duplicates and inserts bytes (including quotes,
// braces, commas, NUL, CR/LF and bytes that are not UTF-8).
std::string Mutate(std::string text, std::mt19937_64& rng) {
  static constexpr char kRaw[] = "\"{}[],:;\\\r\n\0\x80\xFF\xE4\xB8 0-.eE";
  static const std::string kBytes(kRaw, sizeof(kRaw) - 1);
  int edits = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < edits && !text.empty(); ++i) {
    size_t at = rng() % text.size();
    switch (rng() % 4) {
      case 0:
        text[at] = kBytes[rng() % kBytes.size()];
        break;
      case 1:
        text.erase(at, 1 + rng() % 3);
        break;
      case 2:
        text.insert(at, text.substr(at, 1 + rng() % 8));
        break;
      default:
        text.insert(at, 1, kBytes[rng() % kBytes.size()]);
        break;
    }
  }
  return text;
}

TEST(RobustnessTest, MutatedDeclarationsAreAcceptedOrRejectedWithAMessage) {
  const std::string base =
      "{\"id\":\"D0001\",\"enterprise\":\"91330200MA2AAAAA1X\",\"date\":\"2021-05-04\","
      "\"direction\":\"import\",\"hs\":\"0303.89.90\",\"origin\":\"NO\",\"trade_country\":\"NO\","
      "\"port\":\"3100\",\"mode\":\"sea\",\"value\":125000.0,\"weight\":20000,\"two_step\":false,"
      "\"note\":[1,{\"a\":null}]}";
  std::mt19937_64 rng(12345);  // only picks mutations; no distribution objects
  DeclarationParser all(AllDeclarationFields());
  DeclarationParser none(FieldsRead{});
  Declaration d;
  int accepted = 0;
  for (int i = 0; i < 20'000; ++i) {
    std::string line = Mutate(base, rng);
    for (DeclarationParser* parser : {&all, &none}) {
      absl::Status status = parser->Parse(line, &d);
      if (status.ok()) {
        ++accepted;
        ASSERT_FALSE(d.id.empty());
        ASSERT_GE(d.hs.size(), 6u);
      } else {
        ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << line;
        ASSERT_FALSE(status.message().empty()) << line;
      }
    }
  }
  EXPECT_GT(accepted, 0);
}

TEST(RobustnessTest, MutatedProfileFilesNeverCrashTheReaders) {
  const std::string csv =
      "id,grade,registered,flags,inspections,hits\n"
      "A,general,2015-03-01,x;y,3,1\n"
      "\"B,\"\"q\"\"\",certified,2010-01-01,,0,0\r\n"
      "C,dishonest,2020-02-29,smuggling_watch,10,9\n";
  const std::string jsonl =
      "{\"id\":\"A\",\"grade\":\"general\",\"registered\":\"2015-03-01\",\"flags\":[\"x\"],"
      "\"inspections\":3,\"hits\":1}\n"
      "{\"id\":\"B\",\"grade\":\"certified\",\"registered\":\"2010-01-01\",\"flags\":[],"
      "\"inspections\":0,\"hits\":0}\n";
  std::mt19937_64 rng(777);
  for (int i = 0; i < 5'000; ++i) {
    for (const std::string* base : {&csv, &jsonl}) {
      std::istringstream in(Mutate(*base, rng));
      auto reader = ProfileReader::FromStream(&in, "p", std::nullopt);
      ProfileRow row;
      int steps = 0;
      for (ReadResult r; (r = reader->Next(&row)) != ReadResult::kEnd; ++steps) {
        ASSERT_LT(steps, 100);
        if (r == ReadResult::kError) {
          ASSERT_FALSE(row.error.empty());
          ASSERT_GE(row.line, 1u);
        } else {
          ASSERT_FALSE(row.profile.id.empty());
          ASSERT_LE(row.profile.hits, row.profile.inspections);
        }
      }
    }
  }
}

}  // namespace
}  // namespace bukong::ingest
