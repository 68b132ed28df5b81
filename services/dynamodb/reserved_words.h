// is_reserved_word(): whether an expression identifier is one of DynamoDB's reserved words
// (case-insensitive). Thread-safe.
#pragma once

#include <string_view>

namespace nimbus::ddb {
bool is_reserved_word(std::string_view name);
}  // namespace nimbus::ddb
