// GoogleTest matchers for absl::Status / StatusOr (Abseil 20220623 ships none):
//   EXPECT_THAT(store.Get(id), IsOk());
//   EXPECT_THAT(Open(dir), StatusIs(absl::StatusCode::kNotFound));
#ifndef BUKONG_TESTS_TESTING_STATUS_MATCHERS_H_
#define BUKONG_TESTS_TESTING_STATUS_MATCHERS_H_

#include <gmock/gmock.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace bukong::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& status = GetStatus(arg);
  if (!status.ok()) *result_listener << "status is " << status.ToString();
  return status.ok();
}

MATCHER_P(StatusIs, code, "has status code " + absl::StatusCodeToString(code)) {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "status is " << status.ToString();
  return status.code() == code;
}

}  // namespace bukong::testing

#endif  // BUKONG_TESTS_TESTING_STATUS_MATCHERS_H_
