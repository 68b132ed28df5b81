// DynamoDB numbers: parsing with AWS's messages, normalized output, exact addition and the
// order-preserving key encoding (services/dynamodb/number.h).
#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "services/dynamodb/attribute.h"
#include "services/dynamodb/number.h"

using nimbus::ddb::Decimal;

namespace {
std::string norm(const char* s) {
  auto d = Decimal::parse(s);
  REQUIRE(d);
  return d->str();
}
std::string error_of(const char* s) {
  std::string e;
  CHECK_FALSE(Decimal::parse(s, &e));
  return e;
}
std::string sum(const char* a, const char* b) {
  auto r = nimbus::ddb::add(*Decimal::parse(a), *Decimal::parse(b));
  REQUIRE(r);
  return r->str();
}
}  // namespace

TEST_CASE("dynamodb number: normalized output drops zeros and exponents") {
  CHECK(norm("1.50") == "1.5");
  CHECK(norm("1E2") == "100");
  CHECK(norm("-0") == "0");
  CHECK(norm("0.000") == "0");
  CHECK(norm("007") == "7");
  CHECK(norm("+3.0e-2") == "0.03");
  CHECK(norm("-12.340") == "-12.34");
  CHECK(norm("1E+125").size() == 126);
  CHECK(norm("1E-130") == "0." + std::string(129, '0') + "1");
}

TEST_CASE("dynamodb number: invalid, out of range and too precise numbers are refused") {
  CHECK(error_of("abc") == "The parameter cannot be converted to a numeric value: abc");
  CHECK(error_of("1e") == "The parameter cannot be converted to a numeric value: 1e");
  CHECK(error_of("") == "The parameter cannot be converted to a numeric value: ");
  CHECK(error_of("1E126").rfind("Number overflow.", 0) == 0);
  CHECK(error_of("1E-131").rfind("Number underflow.", 0) == 0);
  CHECK(error_of("123456789012345678901234567890123456789") ==
        "Attempting to store more than 38 significant digits in a Number");
  CHECK(Decimal::parse("12345678901234567890123456789012345678"));
  CHECK(Decimal::parse("1000000000000000000000000000000000000000000"));  // 1 significant digit
}

TEST_CASE("dynamodb number: addition and subtraction are exact") {
  CHECK(sum("0.1", "0.2") == "0.3");
  CHECK(sum("1", "-1") == "0");
  CHECK(sum("99999999999999999999", "1") == "100000000000000000000");
  CHECK(sum("-5", "3") == "-2");
  CHECK(sum("1E20", "0.5") == "100000000000000000000.5");
  CHECK(sum("-0.001", "-0.009") == "-0.01");
  std::string e;
  CHECK_FALSE(nimbus::ddb::add(*Decimal::parse("1E37"), *Decimal::parse("0.1"), &e));
  CHECK(e == "Attempting to store more than 38 significant digits in a Number");
}

TEST_CASE("dynamodb number: key bytes sort numerically, negatives and exponents included") {
  std::vector<std::string> numbers = {"-1E10", "-100", "-99.5", "-1", "-0.5", "-0.05", "0",
                                      "1E-100", "0.05", "0.5", "1", "1.5", "9", "10", "99.99",
                                      "100", "1E100"};
  std::vector<std::string> keys;
  for (const std::string& n : numbers) keys.push_back(Decimal::parse(n)->key_bytes());
  for (size_t i = 0; i + 1 < keys.size(); ++i) {
    INFO(numbers[i] << " < " << numbers[i + 1]);
    CHECK(keys[i] < keys[i + 1]);
    CHECK(nimbus::ddb::compare(*Decimal::parse(numbers[i]), *Decimal::parse(numbers[i + 1])) < 0);
  }
  CHECK(Decimal::parse("1.0")->key_bytes() == Decimal::parse("1")->key_bytes());
}

TEST_CASE("dynamodb attribute: item size follows AWS's accounting") {
  using namespace nimbus::ddb;
  Item item;
  item["name"] = Attr::str("hello");  // 4 + 5
  item["n"] = Attr::num("12345");     // 1 + (5 digits -> 3) + 1
  CHECK(item_size(item) == 9 + 5);
  Item round = decode_item(encode_item(item));
  CHECK(round.size() == 2);
  CHECK(equal(round["name"], item["name"]));
}
