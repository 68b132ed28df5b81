// Unit tests for common/encoding: RFC 3986 URL encoding, query parsing, base64 and hex.
#include <doctest/doctest.h>

#include "common/encoding.h"

using namespace nimbus;

TEST_CASE("uri_encode keeps unreserved characters and encodes the rest in upper-case hex") {
  CHECK(uri_encode("AZaz09-_.~") == "AZaz09-_.~");
  CHECK(uri_encode("a b+c*d%e") == "a%20b%2Bc%2Ad%25e");
  CHECK(uri_encode("\xE1\x88\xB4") == "%E1%88%B4");
  CHECK(uri_encode("a/b") == "a%2Fb");
  CHECK(uri_encode("a/b c", false) == "a/b%20c");
  CHECK(uri_encode("") == "");
}

TEST_CASE("uri_decode decodes escapes, optionally plus as space, and keeps malformed escapes") {
  CHECK(uri_decode("a%20b%2fc") == "a b/c");
  CHECK(uri_decode("a+b") == "a+b");
  CHECK(uri_decode("a+b", true) == "a b");
  CHECK(uri_decode("100%") == "100%");
  CHECK(uri_decode("%zz%4") == "%zz%4");
  CHECK(uri_decode("%e1%88%b4") == "\xE1\x88\xB4");
}

TEST_CASE("uri_encode and uri_decode round-trip every byte") {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  CHECK(uri_decode(uri_encode(all)) == all);
}

TEST_CASE("parse_query splits, decodes, keeps order and handles keys without values") {
  auto p = parse_query("b=2&a=1&&c&d=x%3Dy+z&e=");
  REQUIRE(p.size() == 5);
  CHECK(p[0] == std::pair<std::string, std::string>("b", "2"));
  CHECK(p[1] == std::pair<std::string, std::string>("a", "1"));
  CHECK(p[2] == std::pair<std::string, std::string>("c", ""));
  CHECK(p[3] == std::pair<std::string, std::string>("d", "x=y z"));
  CHECK(p[4] == std::pair<std::string, std::string>("e", ""));
  CHECK(parse_query("a=b+c", false)[0].second == "b+c");
  CHECK(parse_query("").empty());
}

TEST_CASE("query_param returns the first value of a key") {
  auto p = parse_query("a=1&a=2&b=3");
  CHECK(query_param(p, "a") == std::optional<std::string>("1"));
  CHECK(query_param(p, "b") == std::optional<std::string>("3"));
  CHECK_FALSE(query_param(p, "c").has_value());
}

TEST_CASE("find_query_param agrees with parse_query + query_param") {
  for (std::string_view q : {"Action=Put&Version=1&Action=Other", "x=1&%41ction=a%20b+c&Action=2",
                             "Action&b=2", "&&b=1&Action=", "Actio=1&Actionx=2", ""}) {
    CAPTURE(q);
    for (std::string_view key : {"Action", "Version", "b", "missing"})
      CHECK(find_query_param(q, key) == query_param(parse_query(q), key));
  }
  CHECK(find_query_param("%41ction=a%20b+c", "Action") == "a b c");
  CHECK(find_query_param("a=b+c", "a", false) == "b+c");
}

TEST_CASE("base64 matches the RFC 4648 test vectors") {
  const char* vectors[][2] = {{"", ""},
                              {"f", "Zg=="},
                              {"fo", "Zm8="},
                              {"foo", "Zm9v"},
                              {"foob", "Zm9vYg=="},
                              {"fooba", "Zm9vYmE="},
                              {"foobar", "Zm9vYmFy"}};
  for (auto& v : vectors) {
    CHECK(base64_encode(v[0]) == v[1]);
    CHECK(base64_decode(v[1]) == std::optional<std::string>(v[0]));
  }
  CHECK(base64_encode(std::string("\xff\xfe\x00", 3)) == "//4A");
}

TEST_CASE("base64_decode rejects invalid input") {
  CHECK_FALSE(base64_decode("Zm9v!").has_value());
  CHECK_FALSE(base64_decode("Z").has_value());
  CHECK_FALSE(base64_decode("Zg=").has_value());
  CHECK_FALSE(base64_decode("Zh==").has_value());                 // non-zero leftover bits
  CHECK(base64_decode("Zg") == std::optional<std::string>("f"));  // unpadded is accepted
}

TEST_CASE("hex encodes lower-case and decodes either case") {
  CHECK(hex_encode(std::string("\x00\x01\xab\xff", 4)) == "0001abff");
  CHECK(hex_decode("0001ABff") == std::optional<std::string>(std::string("\x00\x01\xab\xff", 4)));
  CHECK_FALSE(hex_decode("abc").has_value());
  CHECK_FALSE(hex_decode("zz").has_value());
}
