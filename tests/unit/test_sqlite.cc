// Tests for the SQLite wrapper (storage/sqlite.h): binding and reading every type, empty values
// versus NULL, the statement cache behind prepare(), and the errors it reports.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>

#include "storage/sqlite.h"

using namespace nimbus;

TEST_CASE("Statement binds and reads integers, doubles, text, blobs and NULL") {
  Connection c(":memory:", false);
  c.exec("CREATE TABLE t(i INTEGER, d REAL, s TEXT, b BLOB, n TEXT)");
  const std::string blob("a\0b\xff", 4);
  c.prepare("INSERT INTO t VALUES(?1, ?2, ?3, ?4, ?5)")
      .bind(1, int64_t{1} << 40)
      .bind(2, 2.5)
      .bind(3, "caf\xc3\xa9")
      .bind_blob(4, blob)
      .bind_null(5)
      .run();
  Statement& s = c.prepare("SELECT i, d, s, b, n FROM t");
  REQUIRE(s.step());
  CHECK(s.column_int(0) == (int64_t{1} << 40));
  CHECK(s.column_double(1) == 2.5);
  CHECK(s.column_text(2) == "caf\xc3\xa9");
  CHECK(s.column_blob(3) == blob);
  CHECK(s.column_is_null(4));
  CHECK_FALSE(s.column_is_null(2));
  CHECK(s.column_text_or_null(4) == std::nullopt);
  CHECK(s.column_text_or_null(2) == std::optional<std::string>("caf\xc3\xa9"));
  CHECK(s.column_text(4) == "");
  CHECK_FALSE(s.step());
}

TEST_CASE("Statement binds an empty blob and an empty text as empty values, not NULL") {
  Connection c(":memory:", false);
  c.exec("CREATE TABLE t(b BLOB, s TEXT)");
  c.prepare("INSERT INTO t VALUES(?1, ?2)")
      .bind_blob(1, std::string_view())
      .bind(2, std::string_view())
      .run();
  Statement& s =
      c.prepare("SELECT b IS NULL, length(b), typeof(b), s IS NULL, typeof(s), b FROM t");
  REQUIRE(s.step());
  CHECK(s.column_int(0) == 0);
  CHECK(s.column_int(1) == 0);
  CHECK(s.column_text(2) == "blob");
  CHECK(s.column_int(3) == 0);
  CHECK(s.column_text(4) == "text");
  CHECK_FALSE(s.column_is_null(5));
  CHECK(s.column_blob(5) == "");
}

TEST_CASE("Statement binds optionals, other integer types and bind_all in order") {
  Connection c(":memory:", false);
  c.exec("CREATE TABLE t(a, b, c, d, e)");
  std::optional<std::string> none;
  std::optional<int64_t> seven = 7;
  c.prepare("INSERT INTO t VALUES(?1, ?2, ?3, ?4, ?5)")
      .bind_all(none, seven, size_t{42}, true, 3u)
      .run();
  Statement& s = c.prepare("SELECT a, b, c, d, e FROM t");
  REQUIRE(s.step());
  CHECK(s.column_is_null(0));
  CHECK(s.column_int(1) == 7);
  CHECK(s.column_int(2) == 42);
  CHECK(s.column_int(3) == 1);
  CHECK(s.column_int(4) == 3);
}

TEST_CASE("prepare returns the cached statement reset and with its bindings cleared") {
  Connection c(":memory:", false);
  c.exec("CREATE TABLE t(x); INSERT INTO t VALUES(1), (2), (3);");
  Statement& first = c.prepare("SELECT x, ?1 FROM t ORDER BY x");
  first.bind(1, "bound");
  REQUIRE(first.step());
  CHECK(first.column_int(0) == 1);
  CHECK(first.column_text(1) == "bound");

  Statement& second = c.prepare("SELECT x, ?1 FROM t ORDER BY x");
  CHECK(&second == &first);
  REQUIRE(second.step());
  CHECK(second.column_int(0) == 1);  // started over, not row 2
  CHECK(second.column_is_null(1));   // the old binding is gone
}

TEST_CASE("run returns the number of changed rows and last_insert_rowid the new row") {
  Connection c(":memory:", false);
  c.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, x); INSERT INTO t(x) VALUES(1), (2), (3);");
  CHECK(c.prepare("UPDATE t SET x = x + 1 WHERE x >= ?1").bind(1, 2).run() == 2);
  CHECK(c.changes() == 2);
  c.prepare("INSERT INTO t(x) VALUES(9)").run();
  CHECK(c.last_insert_rowid() == 4);
}

TEST_CASE("a failing step throws StorageError with the extended code, message and SQL") {
  Connection c(":memory:", false);
  c.exec("CREATE TABLE t(k TEXT PRIMARY KEY)");
  Statement& insert = c.prepare("INSERT INTO t VALUES(?1)");
  insert.bind(1, "a").run();
  try {
    c.prepare("INSERT INTO t VALUES(?1)").bind(1, "a").run();
    FAIL("expected a StorageError");
  } catch (const StorageError& e) {
    CHECK(e.sqlite_code == SQLITE_CONSTRAINT_PRIMARYKEY);
    CHECK(std::string(e.what()).find("UNIQUE constraint failed") != std::string::npos);
    CHECK(std::string(e.what()).find("INSERT INTO t VALUES(?1)") != std::string::npos);
  }
  // The statement is usable again after the failure.
  CHECK(c.prepare("INSERT INTO t VALUES(?1)").bind(1, "b").run() == 1);
}

TEST_CASE("prepare and exec report bad SQL with the SQL text") {
  Connection c(":memory:", false);
  try {
    c.prepare("SELEC 1");
    FAIL("expected a StorageError");
  } catch (const StorageError& e) {
    CHECK(e.sqlite_code == SQLITE_ERROR);
    CHECK(std::string(e.what()).find("SELEC 1") != std::string::npos);
  }
  CHECK_THROWS_AS(c.exec("CREATE TABLE t(x); CREATE TABLE t(x);"), StorageError);
}

TEST_CASE("a connection waits 5 seconds on a locked database") {
  Connection c(":memory:", false);
  Statement& s = c.prepare("PRAGMA busy_timeout");
  REQUIRE(s.step());
  CHECK(s.column_int(0) == 5000);
}

TEST_CASE("opening a file in a missing directory throws StorageError") {
  CHECK_THROWS_AS(Connection("/nonexistent-dir-for-nimbus/x.db", false), StorageError);
}

TEST_CASE("a read-only connection reads but refuses writes") {
  std::string path = std::filesystem::temp_directory_path() /
                     ("nimbus-sqlite-ro-" + std::to_string(::getpid()) + ".db");
  {
    Connection writer(path, false);
    writer.exec("CREATE TABLE t(x); INSERT INTO t VALUES(1);");
  }
  {
    Connection reader(path, true);
    Statement& s = reader.prepare("SELECT count(*) FROM t");
    REQUIRE(s.step());
    CHECK(s.column_int(0) == 1);
    try {
      reader.exec("INSERT INTO t VALUES(2)");
      FAIL("expected a StorageError");
    } catch (const StorageError& e) {
      CHECK(e.sqlite_code == SQLITE_READONLY);
    }
  }
  std::filesystem::remove(path);
}
