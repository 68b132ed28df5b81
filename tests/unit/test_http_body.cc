// Unit tests for common/http: StringBodyReader's read() and take_buffered(), read_all over them,
// and trim_ows.
#include <doctest/doctest.h>

#include <string>

#include "common/http.h"

using namespace nimbus;

TEST_CASE("StringBodyReader hands over the unread rest without a copy, then reads nothing") {
  std::string data = "hello, world";
  StringBodyReader reader(data);
  char buffer[5];
  REQUIRE(reader.read(buffer, sizeof buffer) == 5);
  CHECK(std::string(buffer, 5) == "hello");
  std::optional<std::string_view> rest = reader.take_buffered();
  REQUIRE(rest);
  CHECK(*rest == ", world");
  CHECK(rest->data() == data.data() + 5);  // the caller's bytes, not a copy
  CHECK(reader.read(buffer, sizeof buffer) == 0);
  CHECK(reader.take_buffered()->empty());
  CHECK(*reader.announced_length() == data.size());
}

TEST_CASE("read_all still reads a StringBodyReader whole") {
  std::string data(300000, 'x');
  StringBodyReader reader(data);
  CHECK(read_all(reader, data.size()) == data);
}

TEST_CASE("trim_ows drops spaces and tabs at both ends only") {
  CHECK(nimbus::trim_ows(" \t a b \t") == "a b");
  CHECK(nimbus::trim_ows("x") == "x");
  CHECK(nimbus::trim_ows(" \t ").empty());
  CHECK(nimbus::trim_ows("\r\nv\n") == "\r\nv\n");  // line breaks are not optional whitespace
}
