// Unit tests for auth/credentials: parsing the conf/credentials format, lookups, and the
// errors that name the file and line of a bad entry.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "auth/credentials.h"

using namespace nimbus;

TEST_CASE("credentials parse keys, secrets, account ids and display names") {
  Credentials c = Credentials::parse(
      "# development keys\n"
      "\n"
      "AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY 000000000000 Dev User\r\n"
      "  other\tsecret\t111122223333  \n");
  CHECK(c.size() == 2);
  const CredentialEntry* e = c.find("AKIAIOSFODNN7EXAMPLE");
  REQUIRE(e);
  CHECK(e->secret_key == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  CHECK(e->account_id == "000000000000");
  CHECK(e->display_name == "Dev User");
  e = c.find("other");
  REQUIRE(e);
  CHECK(e->secret_key == "secret");
  CHECK(e->account_id == "111122223333");
  CHECK(e->display_name.empty());
  CHECK_FALSE(c.find("missing"));
  CHECK_FALSE(c.find(""));
}

TEST_CASE("a malformed credentials line is reported with its origin and line number") {
  auto message = [](const char* text) {
    try {
      Credentials::parse(text, "conf/credentials");
      return std::string();
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
  };
  CHECK(message("# c\nAK SK\n").rfind("conf/credentials:2: ", 0) == 0);
  CHECK(message("AK SK 12345\n").find("not 12 digits") != std::string::npos);
  CHECK(message("AK SK 12345678901x\n").find("not 12 digits") != std::string::npos);
  CHECK(message("AK SK 123456789012\nAK SK2 123456789012\n").rfind("conf/credentials:2: ", 0) == 0);
  CHECK(message("AK SK 123456789012").empty());
}

TEST_CASE("credentials load from a file, and a missing file is an error naming it") {
  std::string path = "/tmp/nimbus_test_credentials.txt";
  {
    std::ofstream out(path);
    out << "AK SK 123456789012 Name\n";
  }
  Credentials c = Credentials::load_file(path);
  REQUIRE(c.find("AK"));
  CHECK(c.find("AK")->display_name == "Name");
  std::remove(path.c_str());
  CHECK_THROWS_WITH_AS(Credentials::load_file("/nonexistent/creds"),
                       doctest::Contains("/nonexistent/creds"), std::runtime_error);
}

TEST_CASE("add replaces an entry with the same key") {
  Credentials c;
  c.add({"AK", "one", "123456789012", ""});
  c.add({"AK", "two", "123456789012", ""});
  CHECK(c.size() == 1);
  CHECK(c.find("AK")->secret_key == "two");
}
