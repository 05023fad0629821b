#include "core/sha256.h"

#include <gtest/gtest.h>

namespace bukong {
namespace {

// FIPS 180-2 test vectors.
TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, IncrementalEqualsOneShot) {
  Sha256Hasher hasher;
  hasher.Update("a");
  hasher.Update("bc");
  EXPECT_EQ(ToHex(hasher.Finish()), Sha256Hex("abc"));
}

TEST(Sha256Test, ResetStartsANewDigest) {
  Sha256Hasher hasher;
  hasher.Update("left over");
  hasher.Finish();
  hasher.Reset();
  hasher.Update("abc");
  EXPECT_EQ(ToHex(hasher.Finish()), Sha256Hex("abc"));
  hasher.Reset();  // a reset without Finish discards what was given
  hasher.Update("xyz");
  hasher.Reset();
  EXPECT_EQ(ToHex(hasher.Finish()), Sha256Hex(""));
}

}  // namespace
}  // namespace bukong
