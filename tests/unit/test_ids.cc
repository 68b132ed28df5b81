// Unit tests for common/ids: random hex strings and UUID v4 shape.
#include <doctest/doctest.h>

#include <set>

#include "common/ids.h"

using namespace nimbus;

TEST_CASE("random_hex gives two lower-case hex digits per byte and differs between calls") {
  std::string a = random_hex(16), b = random_hex(16);
  CHECK(a.size() == 32);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(a != b);
  CHECK(random_hex(0).empty());
  CHECK(random_hex(13).size() == 26);
}

TEST_CASE("uuid4 is 8-4-4-4-12 lower-case with version 4 and variant 10xx") {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string u = uuid4();
    REQUIRE(u.size() == 36);
    CHECK(u[8] == '-');
    CHECK(u[13] == '-');
    CHECK(u[18] == '-');
    CHECK(u[23] == '-');
    CHECK(u[14] == '4');
    CHECK(std::string("89ab").find(u[19]) != std::string::npos);
    std::string digits = u;
    std::erase(digits, '-');
    CHECK(digits.find_first_not_of("0123456789abcdef") == std::string::npos);
    seen.insert(u);
  }
  CHECK(seen.size() == 200);
}
