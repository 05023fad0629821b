// Propagation helpers for absl::Status / absl::StatusOr (Abseil 20220623 ships none publicly).
#ifndef BUKONG_CORE_STATUS_MACROS_H_
#define BUKONG_CORE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns the status from the enclosing function when `expr` is not OK.
#define BUKONG_RETURN_IF_ERROR(expr)                  \
  do {                                                \
    if (absl::Status _bk_status = (expr); !_bk_status.ok()) \
      return _bk_status;                              \
  } while (0)

#define BUKONG_CONCAT_INNER_(a, b) a##b
#define BUKONG_CONCAT_(a, b) BUKONG_CONCAT_INNER_(a, b)

// `BUKONG_ASSIGN_OR_RETURN(auto x, MakeX());` declares x from an OK StatusOr, or returns the
// status.
#define BUKONG_ASSIGN_OR_RETURN(lhs, expr) \
  BUKONG_ASSIGN_OR_RETURN_IMPL_(BUKONG_CONCAT_(_bk_statusor_, __LINE__), lhs, expr)
#define BUKONG_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp).status();      \
  lhs = std::move(tmp).value()

#endif  // BUKONG_CORE_STATUS_MACROS_H_
