// Tests for SimpleDB's query languages (services/sdb/query.h): the Select parser (every grammar
// feature, quoting rules, limits, errors with useful messages), the legacy Query parser, the
// per-item evaluator (multi-valued attributes, every(), predicates grouped per attribute) and
// value_ranges(), which the store turns into index scans.
#include <doctest/doctest.h>

#include <string>

#include "common/error.h"
#include "services/sdb/query.h"

using namespace nimbus;
using namespace nimbus::sdb;

namespace {

// The sample items: a book with two keywords, a book without a year, ...
const Attributes kA = {{"Title", "The Right Stuff"}, {"Year", "1979"}, {"keyword", "Book"},
                       {"keyword", "Paperback"}, {"Rating", "****"}};
const Attributes kB = {{"Title", "It's Rob's"}, {"keyword", "Book"}, {"keyword", "Hardcover"},
                       {"Rating", "*****"}, {"Rating", "5 stars"}};
const Attributes kC = {{"Title", "Zen"}, {"Year", "2007"}, {"keyword", "Book"}};

bool where_matches(const std::string& where, const std::string& name, const Attributes& attrs) {
  SelectQuery q = parse_select("select * from d where " + where);
  REQUIRE(q.where.has_value());
  return q.where->matches(name, attrs);
}

std::string matching(const std::string& where) {
  std::string out;
  if (where_matches(where, "a", kA)) out += "a";
  if (where_matches(where, "b", kB)) out += "b";
  if (where_matches(where, "c", kC)) out += "c";
  return out;
}

ApiError parse_error(const std::string& expression) {
  try {
    parse_select(expression);
  } catch (const ApiError& e) {
    return e;
  }
  FAIL("no error for: " << expression);
  return {};
}

ApiError legacy_error(const std::string& expression) {
  try {
    parse_legacy_query(expression);
  } catch (const ApiError& e) {
    return e;
  }
  FAIL("no error for: " << expression);
  return {};
}

}  // namespace

TEST_CASE("sdb select: output list forms") {
  CHECK(parse_select("select * from books").output == SelectQuery::Output::All);
  CHECK(parse_select("SELECT itemName() FROM books").output == SelectQuery::Output::ItemName);
  CHECK(parse_select("select count(*) from books").output == SelectQuery::Output::Count);
  SelectQuery q = parse_select("select Title, `Year`, `odd``name` from `my-domain.1`");
  CHECK(q.output == SelectQuery::Output::Attributes);
  CHECK(q.attributes == std::vector<std::string>{"Title", "Year", "odd`name"});
  CHECK(q.domain == "my-domain.1");
  CHECK_FALSE(q.where.has_value());
  CHECK_FALSE(q.limit.has_value());
}

TEST_CASE("sdb select: comparison operators are lexicographic") {
  CHECK(matching("Year = '1979'") == "a");
  CHECK(matching("Year != '1979'") == "c");
  CHECK(matching("Year > '1979'") == "c");
  CHECK(matching("Year >= '1979'") == "ac");
  CHECK(matching("Year < '2007'") == "a");
  CHECK(matching("Year <= '2007'") == "ac");
  CHECK(matching("Year > '200'") == "c");  // strings, not numbers
  CHECK(matching("Year between '1979' and '2000'") == "a");
  CHECK(matching("Year in ('2007', '1900')") == "c");
  CHECK(matching("Year is null") == "b");
  CHECK(matching("Year is not null") == "ac");
}

TEST_CASE("sdb select: like and not like with % at either end") {
  CHECK(matching("Title like 'The%'") == "a");
  CHECK(matching("Title like '%Stuff'") == "a");
  CHECK(matching("Title like '%Rob%'") == "b");
  CHECK(matching("Title like 'zen'") == "");  // case-sensitive, exact without %
  CHECK(matching("Title not like 'The%'") == "bc");
  CHECK(like_matches("a\\%b%", "a%bcd"));
  CHECK_FALSE(like_matches("a\\%b%", "axbcd"));
  CHECK(like_matches("%", ""));
  CHECK(like_matches("a%c%e", "abcde"));
  CHECK_FALSE(like_matches("a%c%e", "abde"));
}

TEST_CASE("sdb select: multi-valued attributes match when any value matches") {
  CHECK(matching("keyword = 'Paperback'") == "a");
  CHECK(matching("keyword != 'Book'") == "ab");  // a value other than Book exists
  CHECK(matching("Rating like '****%'") == "ab");
}

TEST_CASE("sdb select: every() needs all values") {
  CHECK(matching("every(keyword) = 'Book'") == "c");
  CHECK(matching("every(keyword) in ('Book', 'Paperback')") == "ac");
  CHECK(matching("every(Year) > '1'") == "ac");  // an absent attribute does not match
}

TEST_CASE("sdb select: comparisons on one attribute form one predicate per value") {
  // "Year > '1975' and Year < '2008'" needs one value inside the range.
  CHECK(matching("Year > '1975' and Year < '2000'") == "a");
  CHECK(matching("keyword = 'Book' and keyword = 'Paperback'") == "");
  CHECK(matching("keyword = 'Book' intersection keyword = 'Paperback'") == "a");
  CHECK(matching("keyword = 'Hardcover' or keyword = 'Paperback'") == "ab");
}

TEST_CASE("sdb select: and, or, not, parentheses and precedence") {
  CHECK(matching("Year = '2007' or Title = 'It''s Rob''s'") == "bc");
  CHECK(matching("not Year = '2007'") == "a");
  CHECK(matching("Year is null or Year = '2007' and Title = 'Zen'") == "bc");
  CHECK(matching("(Year is null or Year = '2007') and Title = 'Zen'") == "c");
  CHECK(matching("not (Year is null)") == "ac");
  // intersection binds loosest: A intersection (B or C)
  CHECK(matching("Rating = '5 stars' intersection keyword = 'Book' or Year = '1979'") == "b");
}

TEST_CASE("sdb select: itemName() in predicates") {
  CHECK(matching("itemName() = 'b'") == "b");
  CHECK(matching("itemName() > 'a' and itemName() < 'c'") == "b");
  CHECK(matching("itemName() like 'c%'") == "c");
  CHECK(matching("itemName() in ('a', 'c')") == "ac");
}

TEST_CASE("sdb select: quoting rules") {
  CHECK(matching("Title = \"It's Rob's\"") == "b");
  CHECK(matching("Title = 'It''s Rob''s'") == "b");
  CHECK(matching("`Title` = 'Zen'") == "c");
  SelectQuery q = parse_select("select * from d where `where` = \"say \"\"hi\"\"\"");
  CHECK(q.where->attribute == "where");
  CHECK(q.where->test.operands[0] == "say \"hi\"");
}

TEST_CASE("sdb select: order by and limit") {
  SelectQuery q = parse_select("select * from d where Year > '1' order by Year desc limit 5");
  CHECK(q.order.attribute == std::optional<std::string>("Year"));
  CHECK(q.order.descending);
  CHECK(q.limit == std::optional<int64_t>(5));
  CHECK_FALSE(parse_select("select * from d where Year > '1' order by Year asc").order.descending);
  CHECK(parse_select("select * from d order by itemName() desc").order.item_name);
  CHECK(parse_select("select * from d where a is not null order by a").order.attribute);
  CHECK(parse_select("select * from d limit 2500").limit == std::optional<int64_t>(2500));
  // The fingerprint ignores the limit, so a NextToken survives a different page size.
  CHECK(parse_select("select * from d where a = '1' limit 5").fingerprint ==
        parse_select("select * from d where a = '1' limit 7").fingerprint);
  CHECK(parse_select("select * from d where a = '1'").fingerprint !=
        parse_select("select * from d where a = '2'").fingerprint);
}

TEST_CASE("sdb select: the sort attribute must be in a predicate") {
  CHECK(parse_error("select * from d order by Year").code == "InvalidSortExpression");
  CHECK(parse_error("select * from d where a = '1' order by Year").code ==
        "InvalidSortExpression");
  CHECK(parse_error("select * from d where Year is null order by Year").code ==
        "InvalidSortExpression");
}

TEST_CASE("sdb select: malformed expressions give InvalidQueryExpression saying what and where") {
  struct Case {
    const char* expression;
    const char* message_part;
  };
  const Case cases[] = {
      {"", "must begin with 'select'"},
      {"selec * from d", "must begin with 'select'"},
      {"select from d", "attribute name"},
      {"select * d", "Expected 'from'"},
      {"select * from", "domain name"},
      {"select * from d where", "attribute name"},
      {"select * from d where a", "comparison operator"},
      {"select * from d where a = ", "quoted value"},
      {"select * from d where a = 'x", "Unterminated string"},
      {"select * from `d", "Unterminated name"},
      {"select * from d where a = b", "quoted value"},
      {"select * from d where a ! 'x'", "!="},
      {"select * from d where (a = 'x'", "')'"},
      {"select * from d where a = 'x' and", "attribute name"},
      {"select * from d where a between 'x'", "'and'"},
      {"select * from d where a in 'x'", "'('"},
      {"select * from d where a in ('x',)", "quoted value"},
      {"select * from d where a is 'x'", "'null'"},
      {"select * from d where a not 'x'", "'like'"},
      {"select * from d where itemName() is null", "attribute name only"},
      {"select * from d limit 0", "between 1 and 2500"},
      {"select * from d limit 2501", "between 1 and 2500"},
      {"select * from d limit x", "number after 'limit'"},
      {"select * from d where a = 'x' extra", "Unexpected token"},
      {"select * from d where select = 'x'", "keyword"},
      {"select * from d where a = 'x' # y", "Unexpected character"},
      {"select count(x) from d", "'*'"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.expression);
    ApiError e = parse_error(c.expression);
    CHECK(e.code == "InvalidQueryExpression");
    CHECK(e.http_status == 400);
    CHECK(e.message.find(c.message_part) != std::string::npos);
    CHECK(e.message.find("position") != std::string::npos);
  }
}

TEST_CASE("sdb select: predicate and value-test limits") {
  std::string many = "select * from d where a0 = '1'";
  for (int i = 1; i <= 20; ++i) many += " and a" + std::to_string(i) + " = '1'";
  CHECK(parse_error(many).code == "InvalidNumberPredicates");
  std::string tests = "select * from d where a = '0'";
  for (int i = 1; i <= 20; ++i) tests += " or a = '" + std::to_string(i) + "'";
  CHECK(parse_error(tests).code == "InvalidNumberValueTests");
  std::string deep = "select * from d where " + std::string(200, '(') + "a = '1'" +
                     std::string(200, ')');
  CHECK(parse_error(deep).code == "InvalidQueryExpression");
}

TEST_CASE("sdb value_ranges: index ranges cover what a predicate accepts") {
  auto ranges = [](const std::string& where) {
    return value_ranges(parse_select("select * from d where " + where).where->test);
  };
  auto eq = ranges("a = 'x'");
  REQUIRE(eq);
  CHECK(eq->size() == 1);
  CHECK(eq->front().lo == std::optional<std::string>("x"));
  CHECK(eq->front().hi == std::optional<std::string>("x"));
  auto between = ranges("a > '1975' and a < '2008'");
  REQUIRE(between);
  REQUIRE(between->size() == 1);
  CHECK(between->front().lo == std::optional<std::string>("1975"));
  CHECK_FALSE(between->front().lo_inclusive);
  CHECK(between->front().hi == std::optional<std::string>("2008"));
  auto prefix = ranges("a like 'Rob%'");
  REQUIRE(prefix);
  CHECK(prefix->front().lo == std::optional<std::string>("Rob"));
  CHECK(prefix->front().hi == std::optional<std::string>("Roc"));
  CHECK_FALSE(prefix->front().hi_inclusive);
  CHECK(ranges("a in ('1', '2', '3')")->size() == 3);
  CHECK(ranges("a = '1' or a = '2'")->size() == 2);
  CHECK_FALSE(ranges("a like '%x'"));
  CHECK_FALSE(ranges("a != 'x'"));
  CHECK_FALSE(ranges("a = '1' or a != '2'"));
  CHECK_FALSE(ranges("not a = '1'"));
}

TEST_CASE("sdb legacy query: brackets, set operators and sort") {
  auto legacy = [](const std::string& expression) {
    std::string out;
    LegacyQuery q = parse_legacy_query(expression);
    REQUIRE(q.where);
    if (q.where->matches("a", kA)) out += "a";
    if (q.where->matches("b", kB)) out += "b";
    if (q.where->matches("c", kC)) out += "c";
    return out;
  };
  CHECK(legacy("['Year' = '1979' or 'Year' = '2007']") == "ac");
  CHECK(legacy("['Year' > '1975' and 'Year' < '2000']") == "a");
  CHECK(legacy("['Title' starts-with 'Ze']") == "c");
  CHECK(legacy("['Title' does-not-start-with 'Ze']") == "ab");
  CHECK(legacy("['keyword' = 'Book'] intersection ['keyword' = 'Paperback']") == "a");
  CHECK(legacy("['keyword' = 'Book' and 'keyword' = 'Paperback']") == "");
  CHECK(legacy("['Year' = '2007'] union ['keyword' = 'Hardcover']") == "bc");
  CHECK(legacy("not ['Year' = '2007']") == "ab");  // item-level: b has no Year
  CHECK(legacy("['Title' = 'It\\'s Rob\\'s']") == "b");
  CHECK(legacy("['Year' != '1979']") == "c");
  CHECK(legacy("['Year' >= '1979'] intersection not ['Title' = 'Zen']") == "a");
  LegacyQuery sorted = parse_legacy_query("['Year' > '0'] sort 'Year' desc");
  CHECK(sorted.order.attribute == std::optional<std::string>("Year"));
  CHECK(sorted.order.descending);
  CHECK_FALSE(parse_legacy_query("").where);
  CHECK(legacy_error("['a' = '1' and 'b' = '2']").message.find("same attribute") !=
        std::string::npos);
  CHECK(legacy_error("['a' = '1'").code == "InvalidQueryExpression");
  CHECK(legacy_error("['a' ~ '1']").message.find("comparison operator") != std::string::npos);
  CHECK(legacy_error("'a' = '1'").message.find("brackets") != std::string::npos);
  CHECK(legacy_error("['a' = '1] ").message.find("Unterminated") != std::string::npos);
  CHECK(legacy_error("['a' = '1'] sort 'b'").code == "InvalidSortExpression");
  CHECK(legacy_error("['a' = '1'] junk").code == "InvalidQueryExpression");
}
