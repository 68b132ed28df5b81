// DynamoDB's table schema (services/dynamodb/table.h): a database written by an older schema
// version upgrades with every item row kept, and the item rows' layout.
#include <doctest/doctest.h>

#include <string>

#include "services/dynamodb/table.h"
#include "storage/database.h"

using namespace nimbus;

namespace {

DatabaseOptions ephemeral() {
  DatabaseOptions o;
  o.ephemeral = true;
  return o;
}

// The "dynamodb" schema's versions 1 and 2 exactly as those releases created them.
const std::vector<std::string> kVersion2 = {
    R"sql(
CREATE TABLE ddb_tables(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account TEXT NOT NULL,
  region TEXT NOT NULL,
  name TEXT NOT NULL,
  meta TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  item_count INTEGER NOT NULL DEFAULT 0,
  size_bytes INTEGER NOT NULL DEFAULT 0,
  UNIQUE(account, region, name)
);
CREATE TABLE ddb_items(
  table_id INTEGER NOT NULL,
  idx TEXT NOT NULL,
  pk BLOB NOT NULL,
  sk BLOB NOT NULL,
  tpk BLOB NOT NULL,
  tsk BLOB NOT NULL,
  item BLOB NOT NULL,
  PRIMARY KEY(table_id, idx, pk, sk, tpk, tsk)
) WITHOUT ROWID;
CREATE TABLE ddb_tx_tokens(
  account TEXT NOT NULL,
  token TEXT NOT NULL,
  digest TEXT NOT NULL,
  expires_ms INTEGER NOT NULL,
  PRIMARY KEY(account, token)
) WITHOUT ROWID;
)sql",
    R"sql(
CREATE TABLE ddb_index_stats(
  table_id INTEGER NOT NULL,
  idx TEXT NOT NULL,
  item_count INTEGER NOT NULL DEFAULT 0,
  size_bytes INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(table_id, idx)
) WITHOUT ROWID;
INSERT INTO ddb_index_stats(table_id, idx, item_count, size_bytes)
  SELECT DISTINCT table_id, idx, 0, -1 FROM ddb_items WHERE idx <> '';
)sql",
};

void put_row(Connection& c, const std::string& idx, const std::string& pk, const std::string& sk,
             const std::string& tpk, const std::string& item) {
  c.prepare("INSERT OR REPLACE INTO ddb_items(table_id, idx, pk, sk, tpk, tsk, item) "
            "VALUES (1, ?, ?, ?, ?, x'', ?)")
      .bind(1, idx)
      .bind_blob(2, pk)
      .bind_blob(3, sk)
      .bind_blob(4, tpk)
      .bind_blob(5, item)
      .run();
}

std::string rows(Connection& c) {
  std::string out;
  Statement& s = c.prepare(
      "SELECT idx, pk, sk, tpk, item FROM ddb_items ORDER BY table_id, idx, pk, sk, tpk, tsk");
  while (s.step())
    out += s.column_text(0) + "/" + s.column_blob(1) + "/" + s.column_blob(2) + "/" +
           s.column_blob(3) + "=" + std::to_string(s.column_blob(4).size()) + " ";
  return out;
}

}  // namespace

TEST_CASE("ddb schema: a version 2 database upgrades with its item and index rows") {
  Database db{ephemeral()};
  db.migrate("dynamodb", kVersion2);
  const std::string big(3000, 'x');  // over a page's in-place limit of the old layout
  db.write([&](Connection& c) {
    c.exec("INSERT INTO ddb_tables(account, region, name, meta) "
           "VALUES ('000000000000', 'us-east-1', 'old', '{}')");
    put_row(c, "", "a", "1", "", big);
    put_row(c, "", "b", "", "", "small");
    put_row(c, "by-x", "x", "", "a", "view");
  });
  ddb::migrate(db);
  db.read([&](Connection& c) {
    CHECK(rows(c) == "/a/1/=3000 /b//=5 by-x/x//a=4 ");
    Statement& s = c.prepare("SELECT sql FROM sqlite_master WHERE name = 'ddb_items'");
    REQUIRE(s.step());
    CHECK(s.column_text(0).find("WITHOUT ROWID") == std::string::npos);
  });
}

TEST_CASE("ddb schema: an item row's key stays unique (a put replaces the row)") {
  Database db{ephemeral()};
  ddb::migrate(db);
  db.write([&](Connection& c) {
    put_row(c, "", "a", "1", "", "first");
    put_row(c, "", "a", "1", "", "second, longer");
    put_row(c, "", "a", "2", "", "other");
  });
  db.read([&](Connection& c) { CHECK(rows(c) == "/a/1/=14 /a/2/=5 "); });
}
