// Tests for SimpleDB's storage and query runner (services/sdb/schema.h) on an ephemeral
// Database: item storage as attribute rows, paging positions, sort orders, and that a selective
// query on a large domain reads only the matching items from the index (QueryStats counts the
// items evaluated) while a condition no index answers falls back to a scan.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "services/sdb/query.h"
#include "services/sdb/schema.h"
#include "storage/database.h"

using namespace nimbus;
using namespace nimbus::sdb;

namespace {

DatabaseOptions ephemeral() {
  DatabaseOptions o;
  o.ephemeral = true;
  return o;
}

struct Fixture {
  Database db{ephemeral()};
  int64_t domain = 0;
  Fixture() {
    migrate(db);
    db.write([&](Connection& c) {
      DomainRecord d;
      d.account = "000000000000";
      d.region = "us-east-1";
      d.name = "books";
      insert_domain(c, d);
      domain = d.id;
    });
  }
  void put(const std::string& name, const Attributes& attributes) {
    db.write([&](Connection& c) {
      ItemRecord current = find_item(c, domain, name).value_or(ItemRecord{0, name, {}, {}});
      Attributes all = current.attributes;
      all.insert(all.end(), attributes.begin(), attributes.end());
      store_item(c, domain, current, all);
    });
  }
  QueryPage select(const std::string& expression, const std::optional<Position>& after = {},
                   QueryStats* stats = nullptr, const PageBudget* budget = nullptr) {
    SelectQuery q = parse_select(expression);
    int64_t limit = q.limit.value_or(100);
    return db.read([&](Connection& c) {
      return run_query(c, domain, q.where ? &*q.where : nullptr, q.order, after, limit,
                       q.output == SelectQuery::Output::Count, stats, budget);
    });
  }
};

std::string names(const QueryPage& page) {
  std::string out;
  for (const ItemRecord& i : page.items) out += (out.empty() ? "" : ",") + i.name;
  return out;
}

}  // namespace

TEST_CASE("sdb store: items are sets of name/value rows; an empty item disappears") {
  Fixture f;
  f.put("x", {{"a", "1"}, {"a", "2"}, {"a", "1"}});
  auto item = f.db.read([&](Connection& c) { return find_item(c, f.domain, "x"); });
  REQUIRE(item);
  CHECK(item->attributes == Attributes{{"a", "1"}, {"a", "2"}});
  f.db.write([&](Connection& c) { store_item(c, f.domain, *item, {{"b", "3"}}); });
  item = f.db.read([&](Connection& c) { return find_item(c, f.domain, "x"); });
  CHECK(item->attributes == Attributes{{"b", "3"}});
  f.db.write([&](Connection& c) { store_item(c, f.domain, *item, {}); });
  CHECK_FALSE(f.db.read([&](Connection& c) { return find_item(c, f.domain, "x"); }));
  DomainStats st = f.db.read([&](Connection& c) { return domain_stats(c, f.domain); });
  CHECK(st.item_count == 0);
  CHECK(st.attribute_value_count == 0);
}

TEST_CASE("sdb store: pages continue after the last item in name order") {
  Fixture f;
  for (int i = 0; i < 7; ++i) f.put("i" + std::to_string(i), {{"n", std::to_string(i % 2)}});
  QueryPage p1 = f.select("select * from books where n = '1' limit 2");
  CHECK(names(p1) == "i1,i3");
  REQUIRE(p1.next);
  QueryPage p2 = f.select("select * from books where n = '1' limit 2", p1.next);
  CHECK(names(p2) == "i5");
  CHECK_FALSE(p2.next);
  // A full scan pages the same way.
  QueryPage s1 = f.select("select * from books where not n = '1' limit 3");
  CHECK(names(s1) == "i0,i2,i4");
  QueryPage s2 = f.select("select * from books where not n = '1' limit 3", s1.next);
  CHECK(names(s2) == "i6");
  QueryPage count = f.select("select count(*) from books where n = '0'");
  CHECK(count.count == 4);
  CHECK(count.items.empty());
}

TEST_CASE("sdb store: order by an attribute, ascending and descending, with paging") {
  Fixture f;
  f.put("a", {{"y", "2001"}});
  f.put("b", {{"y", "1999"}});
  f.put("c", {{"y", "2001"}});
  f.put("d", {{"y", "1985"}, {"y", "2020"}});
  CHECK(names(f.select("select * from books where y > '0' order by y")) == "d,b,a,c");
  CHECK(names(f.select("select * from books where y > '0' order by y desc")) == "d,a,c,b");
  QueryPage p1 = f.select("select * from books where y > '0' order by y limit 2");
  CHECK(names(p1) == "d,b");
  CHECK(names(f.select("select * from books where y > '0' order by y limit 2", p1.next)) ==
        "a,c");
  CHECK(names(f.select("select * from books order by itemName() desc")) == "d,c,b,a");
}

TEST_CASE("sdb store: a selective query on a large domain reads only the matching items") {
  Fixture f;
  f.db.write([&](Connection& c) {
    for (int i = 0; i < 20000; ++i) {
      ItemRecord item{0, "item" + std::to_string(i), {}, {}};
      store_item(c, f.domain, item,
                 {{"id", std::to_string(i)}, {"group", std::to_string(i % 1000)},
                  {"name", "n" + std::to_string(i)}});
    }
  });
  QueryStats eq;
  QueryPage one = f.select("select * from books where id = '12345'", {}, &eq);
  CHECK(names(one) == "item12345");
  CHECK(eq.used_index);
  CHECK(eq.items_evaluated == 1);
  CHECK(eq.items_read == 1);  // straight to the index's one candidate: no walk in name order

  QueryStats grouped;
  QueryPage group = f.select("select * from books where group = '7' limit 2500", {}, &grouped);
  CHECK(group.items.size() == 20);
  CHECK(grouped.items_evaluated == 20);
  CHECK(grouped.items_read == 20);

  QueryStats both;  // intersection of two index scans
  f.select("select * from books where group = '7' and name like 'n1%'", {}, &both);
  CHECK(both.items_evaluated <= 20);

  QueryStats either;
  QueryPage ors = f.select("select * from books where id = '1' or id in ('2', '3')", {}, &either);
  CHECK(names(ors) == "item1,item2,item3");
  CHECK(either.items_evaluated == 3);

  QueryStats range;
  f.select("select * from books where id between '19990' and '19999'", {}, &range);
  CHECK(range.items_evaluated == 10);

  // An `or` whose one side no index answers scans (and binds no stray parameters).
  QueryPage mixed = f.select("select * from books where (group = '7' and id > '0') or id != '5' "
                             "limit 3");
  CHECK(names(mixed) == "item0,item1,item10");

  QueryStats by_name;
  f.select("select * from books where itemName() = 'item42'", {}, &by_name);
  CHECK(by_name.items_evaluated == 1);

  QueryStats scan;  // no index answers `not`: scan, but only until the page is full
  QueryPage negated = f.select("select * from books where not id = '0' limit 5", {}, &scan);
  CHECK(negated.items.size() == 5);
  CHECK_FALSE(scan.used_index);
  CHECK(scan.items_evaluated == 7);  // item0 fails, 5 match, 1 more proves a next page
}

TEST_CASE("sdb store: an empty value is found through the value index") {
  Fixture f;
  f.put("e", {{"a", ""}});
  f.put("x", {{"a", "x"}});
  QueryStats st;
  CHECK(names(f.select("select * from books where a = ''", {}, &st)) == "e");
  CHECK(st.used_index);
  CHECK(names(f.select("select * from books where a >= ''")) == "e,x");
  CHECK(names(f.select("select * from books where a < 'x'")) == "e");
}

TEST_CASE("sdb store: values sharing their first 64 bytes are told apart by the in-memory test") {
  Fixture f;
  const std::string head(64, 'h');
  f.put("a", {{"v", head + "a"}});
  f.put("b", {{"v", head + "b"}});
  f.put("c", {{"v", head}});
  CHECK(names(f.select("select * from books where v = '" + head + "b'")) == "b");
  CHECK(names(f.select("select * from books where v > '" + head + "a'")) == "b");
  CHECK(names(f.select("select * from books where v < '" + head + "a'")) == "c");
}

TEST_CASE("sdb store: the domain's usage counters follow every change") {
  Fixture f;
  auto usage = [&] { return f.db.read([&](Connection& c) { return domain_stats(c, f.domain); }); };
  f.put("i1", {{"color", "red"}, {"color", "blue"}, {"size", "L"}});
  f.put("item2", {{"color", "green"}});
  DomainStats st = usage();
  CHECK(st.item_count == 2);
  CHECK(st.item_names_bytes == 2 + 5);
  CHECK(st.attribute_name_count == 2);
  CHECK(st.attribute_names_bytes == 5 + 4);
  CHECK(st.attribute_value_count == 4);
  CHECK(st.attribute_values_bytes == 3 + 4 + 1 + 5);
  CHECK(st.bytes() == 7 + 9 + 13);
  // i1 drops `size` (its last use in the domain) and a color; item2 disappears.
  auto item = f.db.read([&](Connection& c) { return find_item(c, f.domain, "i1"); });
  DomainStats change = f.db.write([&](Connection& c) {
    return store_item(c, f.domain, *item, {{"color", "red"}});
  });
  CHECK(change.attribute_name_count == -1);
  CHECK(change.attribute_value_count == -2);
  item = f.db.read([&](Connection& c) { return find_item(c, f.domain, "item2"); });
  f.db.write([&](Connection& c) { store_item(c, f.domain, *item, {}); });
  st = usage();
  CHECK(st.item_count == 1);
  CHECK(st.item_names_bytes == 2);
  CHECK(st.attribute_name_count == 1);
  CHECK(st.attribute_names_bytes == 5);
  CHECK(st.attribute_value_count == 1);
  CHECK(st.attribute_values_bytes == 3);
}

TEST_CASE("sdb store: a query out of time returns what it has and continues after it") {
  // SDBLimits' 5-second execution time: a partial (possibly empty) page with a next position.
  Fixture f;
  for (int i = 0; i < 10; ++i) f.put("i" + std::to_string(i), {{"n", std::to_string(i % 2)}});
  for (const char* expression : {"select * from books where n = '1'",       // index candidates
                                 "select * from books where not n = '0'"}) {  // a scan
    CAPTURE(expression);
    std::string seen;
    std::optional<Position> after;
    int pages = 0;
    do {
      int asked = 0;
      PageBudget budget;
      budget.expired = [&] { return ++asked > 1; };  // time for two candidates a page
      QueryPage page = f.select(expression, after, nullptr, &budget);
      CHECK(page.items.size() <= 2);
      CHECK_FALSE(page.timed_out);
      for (const ItemRecord& i : page.items) seen += i.name + ",";
      after = page.next;
      REQUIRE(++pages < 20);
    } while (after);
    CHECK(seen == "i1,i3,i5,i7,i9,");
    CHECK(pages > 2);
  }
  // Out of time after one candidate that fails: an empty page that still moves on.
  PageBudget none;
  none.expired = [] { return true; };
  QueryPage empty = f.select("select * from books where not n = '0'", Position{false, "", "i1"},
                             nullptr, &none);
  CHECK(empty.items.empty());
  REQUIRE(empty.next);
  CHECK(empty.next->name == "i2");
  // A sorted query must see every match first: it times out instead.
  CHECK(f.select("select * from books where n > '' order by n", {}, nullptr, &none).timed_out);
}

TEST_CASE("sdb store: a page of a predicate most items match reads about a page of items") {
  Fixture f;
  f.db.write([&](Connection& c) {
    for (int i = 0; i < 5000; ++i) {
      char name[16];
      std::snprintf(name, sizeof name, "item%05d", i);
      ItemRecord item{0, name, {}, {}};
      store_item(c, f.domain, item,
                 {{"kind", "seed"}, {"sparse", i % 50 == 0 ? "yes" : "no"}});
    }
  });
  QueryStats st;
  QueryPage page = f.select("select * from books where kind = 'seed' limit 100", {}, &st);
  CHECK(page.items.size() == 100);
  CHECK(page.items.front().name == "item00000");
  CHECK(st.items_read <= 404);  // the walk, not all 5000 index matches
  CHECK(st.items_evaluated == 101);
  // A predicate the walk finds too few matches for continues from the index, in order, and
  // pages through every match once.
  std::string seen, expected;
  for (int i = 0; i < 5000; i += 50) {
    char name[16];
    std::snprintf(name, sizeof name, "item%05d,", i);
    expected += name;
  }
  std::optional<Position> after;
  int pages = 0;
  do {
    QueryPage p = f.select("select * from books where sparse = 'yes' limit 7", after);
    for (const ItemRecord& i : p.items) seen += i.name + ",";
    after = p.next;
    REQUIRE(++pages < 100);
  } while (after);
  CHECK(seen == expected);
  CHECK(pages == 15);
}

TEST_CASE("sdb store: a database of schema version 1 upgrades with its counters and values") {
  // Version 1's tables exactly as the first release created them, filled as it filled them;
  // migration 2 must derive the usage counters and value prefixes from those rows.
  Database db{ephemeral()};
  db.migrate("sdb", {R"sql(
CREATE TABLE sdb_domains(id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL,
  region TEXT NOT NULL, name TEXT NOT NULL, created_ms INTEGER NOT NULL);
CREATE UNIQUE INDEX sdb_domains_by_name ON sdb_domains(account, region, name);
CREATE TABLE sdb_items(id INTEGER PRIMARY KEY AUTOINCREMENT, domain_id INTEGER NOT NULL,
  name TEXT NOT NULL);
CREATE UNIQUE INDEX sdb_items_by_name ON sdb_items(domain_id, name);
CREATE TABLE sdb_attributes(id INTEGER PRIMARY KEY AUTOINCREMENT, domain_id INTEGER NOT NULL,
  item_id INTEGER NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL);
CREATE UNIQUE INDEX sdb_attributes_by_item ON sdb_attributes(item_id, name, value);
CREATE INDEX sdb_attributes_by_value ON sdb_attributes(domain_id, name, value, item_id);
)sql"});
  const std::string long_a = std::string(70, 'x') + "a", long_b = std::string(70, 'x') + "b";
  db.write([&](Connection& c) {
    c.exec("INSERT INTO sdb_domains VALUES (1, '000000000000', 'us-east-1', 'old', 5)");
    c.exec("INSERT INTO sdb_items VALUES (1, 1, 'i1'), (2, 1, 'item2')");
    c.prepare("INSERT INTO sdb_attributes(domain_id, item_id, name, value) VALUES "
              "(1, 1, 'color', 'red'), (1, 1, 'note', ?), (1, 2, 'note', ?), "
              "(1, 2, 'city', 'Zürich'), (1, 2, 'empty', '')")
        .bind_all(long_a, long_b)
        .run();
  });
  migrate(db);
  DomainStats st = db.read([&](Connection& c) { return domain_stats(c, 1); });
  CHECK(st.item_count == 2);
  CHECK(st.item_names_bytes == 2 + 5);
  CHECK(st.attribute_name_count == 4);                    // color, note, city, empty
  CHECK(st.attribute_names_bytes == 5 + 4 + 4 + 5);
  CHECK(st.attribute_value_count == 5);
  CHECK(st.attribute_values_bytes == 3 + 71 + 71 + 7 + 0);  // "Zürich" is 7 UTF-8 bytes
  auto select = [&](const std::string& expression) {
    SelectQuery q = parse_select(expression);
    return names(db.read([&](Connection& c) {
      return run_query(c, 1, q.where ? &*q.where : nullptr, q.order, std::nullopt, 100, false,
                       nullptr, nullptr);
    }));
  };
  CHECK(select("select * from old where note = '" + long_b + "'") == "item2");
  CHECK(select("select * from old where note > '" + long_a + "'") == "item2");
  CHECK(select("select * from old where city = 'Zürich'") == "item2");
  CHECK(select("select * from old where empty = ''") == "item2");
  CHECK(select("select * from old where color is not null") == "i1");
}
