// The example rule file of SPEC §1, byte for byte: tests of the compiler and the engine start
// from it, so "the SPEC example compiles and decides as written" is checked in one text.
#ifndef BUKONG_TESTS_TESTING_SPEC_EXAMPLE_H_
#define BUKONG_TESTS_TESTING_SPEC_EXAMPLE_H_

#include <string_view>

namespace bukong::testing {

inline constexpr std::string_view kSpecExample = R"(ruleset "zhejiang-aeo" version 3                 # required, first statement

grade advanced  "高级认证企业" factor 0.2          # rule rates are multiplied by factor
grade certified "一般认证企业" factor 0.5
grade general   "一般信用企业" factor 1.0
grade dishonest "失信企业"     floor 80%          # final rate never below 80%
unknown enterprise grade general                  # grade when no profile exists (required)

baseline 3% at port 50% destination 50% method nii 60%

commodity cold_chain = hs 02, 0302..0308, 1601..1602
commodity ccc        = hs 8504.40, 8516, 8528.72
commodity hazardous  = hs 28, 29, 36

rule cold_chain_port "进口冷链食品口岸查验"
  when direction = import and commodity in cold_chain
  then rate 10% at port 100% method manual

rule ccc_destination "CCC 免办先声明后验证"
  when commodity in ccc and two_step = true
  then rate 4% at destination 100%

rule hazardous_chem
  valid 2021-04-01..2021-12-31
  when commodity in hazardous and origin not in [KP, IR]
  then rate 15% at port 60% destination 40% method nii 70%

rule repeat_offender
  when enterprise.hits >= 2 or enterprise.hit_rate > 20%
  then rate 50% fixed

rule young_enterprise
  when enterprise.age_days < 180 and value > 100_000
  then rate 8%

rule watchlist
  when enterprise.flags has "smuggling_watch"
  then hold "referred to anti-smuggling"
)";

}  // namespace bukong::testing

#endif  // BUKONG_TESTS_TESTING_SPEC_EXAMPLE_H_
