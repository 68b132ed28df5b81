// Decimal: DynamoDB's Number type, an exact decimal of at most 38 significant digits with a
// magnitude in [1E-130, 9.9999999999999999999999999999999999999E+125] (or zero). parse() accepts
// AWS's input syntax and reports AWS's ValidationException messages; str() gives the normalized
// plain form AWS returns ("1.50" -> "1.5", "1E2" -> "100", "-0" -> "0"); add() is exact;
// key_bytes() is an order-preserving byte encoding (memcmp order == numeric order).
//
// Thread-safety: a plain value type.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nimbus::ddb {

struct Decimal {
  bool negative = false;
  std::string digits;  // significant digits without leading/trailing zeros; empty means zero
  int exponent = 0;    // value = 0.<digits> x 10^exponent

  // Parses a number as sent in an "N" value. On failure returns nullopt and sets *error to
  // AWS's message (when error is not null).
  static std::optional<Decimal> parse(std::string_view text, std::string* error = nullptr);
  bool is_zero() const { return digits.empty(); }
  std::string str() const;
  std::string key_bytes() const;
  Decimal negated() const;
};

// Three-way numeric comparison.
int compare(const Decimal& a, const Decimal& b);
// Exact sum; nullopt (and *error) when the result leaves DynamoDB's precision or range.
std::optional<Decimal> add(const Decimal& a, const Decimal& b, std::string* error = nullptr);
// Checks precision and range, as parse() does; nullopt-free form for results of arithmetic.
bool in_range(const Decimal& d, std::string* error);

}  // namespace nimbus::ddb
