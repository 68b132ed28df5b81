// SimpleDB's two query languages, parsed into one condition tree and evaluated against items.
//
//   parse_select("select * from `books` where Year > '1975' and Year < '2008' order by Year")
//   parse_legacy_query("['city' = 'Seattle' or 'city' = 'Portland'] intersection not ['a' = '1']")
//
// Semantics (SimpleDB Developer Guide, "Using Select"): comparisons are lexicographic on the UTF-8
// bytes; a *predicate* is a group of comparisons on one attribute joined by and/or/not, and an
// item matches it when one of the attribute's values satisfies the whole group ("Year > '1975'
// and Year < '2008'" needs one value in the range); every(attr) needs all values (and at least
// one) to satisfy it; `is null` / `is not null` test presence; and/or/not/intersection between
// different predicates combine item sets. In the legacy Query language each [...] bracket is one
// predicate (all its comparisons name one attribute), combined with intersection, union, not.
//
// Parsing throws ApiError (InvalidQueryExpression with the position and what was expected,
// InvalidSortExpression, InvalidNumberPredicates, InvalidNumberValueTests,
// TooManyRequestedAttributes). The structures are plain values; share them read-only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nimbus::sdb {

using Attributes = std::vector<std::pair<std::string, std::string>>;  // name, value (multi-valued)

enum class CompareOp {
  Eq, Ne, Lt, Le, Gt, Ge, Like, NotLike, Between, In, StartsWith, NotStartsWith
};

// A test of one value: comparisons joined by and/or/not.
struct ValueTest {
  enum class Kind { Compare, And, Or, Not };
  Kind kind = Kind::Compare;
  CompareOp op = CompareOp::Eq;
  std::vector<std::string> operands;  // 1, or 2 for Between, n for In
  std::vector<ValueTest> children;    // And/Or: 2, Not: 1

  bool matches(std::string_view value) const;
  int comparisons() const;
};

// A test of one item.
struct Condition {
  enum class Kind { Predicate, IsNull, IsNotNull, And, Or, Not };
  Kind kind = Kind::Predicate;
  std::string attribute;   // Predicate, IsNull, IsNotNull
  bool item_name = false;  // the predicate tests itemName()
  bool every = false;      // every(attribute)
  ValueTest test;          // Predicate
  std::vector<Condition> children;

  bool matches(std::string_view item_name, const Attributes& attributes) const;
};

// A range of values [lo, hi] (either end open or absent) that covers every value a ValueTest
// can accept; the store turns ranges into index lookups.
struct ValueRange {
  std::optional<std::string> lo, hi;
  bool lo_inclusive = true, hi_inclusive = true;
};
// The ranges covering every value `test` accepts, or nullopt when any value may match.
std::optional<std::vector<ValueRange>> value_ranges(const ValueTest& test);

// Whether `value` matches a like pattern: % is any run of characters; \% and \\ are literal.
bool like_matches(std::string_view pattern, std::string_view value);

struct SortOrder {
  std::optional<std::string> attribute;  // order by attribute
  bool item_name = false;                // order by itemName()
  bool descending = false;
  bool active() const { return attribute.has_value() || item_name; }
};

struct SelectQuery {
  enum class Output { All, ItemName, Count, Attributes };
  Output output = Output::All;
  std::vector<std::string> attributes;  // Output::Attributes
  std::string domain;
  std::optional<Condition> where;
  SortOrder order;
  std::optional<int64_t> limit;  // 1..2500 when given
  // Identifies the query apart from its limit, so a NextToken only continues the same query.
  std::string fingerprint;
};

SelectQuery parse_select(std::string_view expression);

struct LegacyQuery {
  std::optional<Condition> where;  // empty expression: every item
  SortOrder order;
  std::string fingerprint;
};

LegacyQuery parse_legacy_query(std::string_view expression);

}  // namespace nimbus::sdb
