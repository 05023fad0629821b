// Deprecated: include core/strings.h, the one std/absl string_view bridge (bukong::Message,
// found from bukong::cli by ordinary lookup). This header only forwards to it, so that files
// written against it on other branches still compile; new code should not include it.
#ifndef BUKONG_CLI_SUPPORT_STATUS_H_
#define BUKONG_CLI_SUPPORT_STATUS_H_

#include "core/strings.h"

#endif  // BUKONG_CLI_SUPPORT_STATUS_H_
