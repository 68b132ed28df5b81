// SimpleDB's SQLite schema (migrations of component "sdb"), its row reads and writes, and the
// query runner. See services/sdb/schema.h for the tables.
//
// run_query() plans candidates from the condition: a predicate's value_ranges() become range
// scans of the (domain_id, name, value_prefix) index, and/or become INTERSECT/UNION of those
// scans, and conditions no index can answer (not, is null, != alone) fall back to a scan of the
// domain's items in name order. Each candidate's attributes are then read and the whole condition
// is tested in memory, so the index only has to give a superset of the matches. A page ends at
// its limit, at its PageBudget (response bytes, execution time), or when the matches run out.
//
// store_item() keeps the domain's usage counters (sdb_domains) in step with every row it writes.
#include "services/sdb/schema.h"

#include <algorithm>
#include <set>
#include <utility>

namespace nimbus::sdb {
namespace {

const std::vector<std::string>& migrations() {
  static const std::vector<std::string> scripts = {
      // 1: domains, items, attribute values.
      R"sql(
CREATE TABLE sdb_domains(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account TEXT NOT NULL,
  region TEXT NOT NULL,
  name TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX sdb_domains_by_name ON sdb_domains(account, region, name);
CREATE TABLE sdb_items(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  domain_id INTEGER NOT NULL,
  name TEXT NOT NULL
);
CREATE UNIQUE INDEX sdb_items_by_name ON sdb_items(domain_id, name);
CREATE TABLE sdb_attributes(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  domain_id INTEGER NOT NULL,
  item_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL
);
CREATE UNIQUE INDEX sdb_attributes_by_item ON sdb_attributes(item_id, name, value);
CREATE INDEX sdb_attributes_by_value ON sdb_attributes(domain_id, name, value, item_id);
)sql",
      // 2: lean indexes (the unique (item_id, name, value) index and the full values in the value
      // index stored every value three times, so a put wrote three copies of it), and the
      // domain's usage counters, kept by store_item() for DomainMetadata and the domain limits.
      R"sql(
DROP INDEX sdb_attributes_by_item;
DROP INDEX sdb_attributes_by_value;
CREATE INDEX sdb_attributes_by_item ON sdb_attributes(item_id);
ALTER TABLE sdb_attributes ADD COLUMN value_prefix BLOB NOT NULL DEFAULT X'';
UPDATE sdb_attributes SET value_prefix = coalesce(substr(CAST(value AS BLOB), 1, 64), X'');
CREATE INDEX sdb_attributes_by_value ON sdb_attributes(domain_id, name, value_prefix, item_id);
ALTER TABLE sdb_domains ADD COLUMN item_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sdb_domains ADD COLUMN item_names_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sdb_domains ADD COLUMN attribute_name_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sdb_domains ADD COLUMN attribute_names_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sdb_domains ADD COLUMN attribute_value_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sdb_domains ADD COLUMN attribute_values_bytes INTEGER NOT NULL DEFAULT 0;
UPDATE sdb_domains SET
  item_count = (SELECT count(*) FROM sdb_items i WHERE i.domain_id = sdb_domains.id),
  item_names_bytes = (SELECT coalesce(sum(length(CAST(name AS BLOB))), 0) FROM sdb_items i
                      WHERE i.domain_id = sdb_domains.id),
  attribute_name_count = (SELECT count(DISTINCT name) FROM sdb_attributes a
                          WHERE a.domain_id = sdb_domains.id),
  attribute_names_bytes = (SELECT coalesce(sum(length(CAST(n AS BLOB))), 0) FROM
                           (SELECT DISTINCT domain_id AS d, name AS n FROM sdb_attributes)
                           WHERE d = sdb_domains.id),
  attribute_value_count = (SELECT count(*) FROM sdb_attributes a
                           WHERE a.domain_id = sdb_domains.id),
  attribute_values_bytes = (SELECT coalesce(sum(length(CAST(value AS BLOB))), 0)
                            FROM sdb_attributes a WHERE a.domain_id = sdb_domains.id);
)sql",
  };
  return scripts;
}

// The item's pairs in insertion order, and their row ids when `ids` is given.
Attributes load_attributes(Connection& c, int64_t item_id, std::vector<int64_t>* ids = nullptr) {
  Statement& s =
      c.prepare("SELECT name, value, id FROM sdb_attributes WHERE item_id = ? ORDER BY id");
  s.bind(1, item_id);
  Attributes out;
  while (s.step()) {
    out.emplace_back(s.column_text(0), s.column_text(1));
    if (ids) ids->push_back(s.column_int(2));
  }
  return out;
}

// Whether any item of the domain has an attribute of this name.
bool name_in_use(Connection& c, int64_t domain_id, const std::string& name) {
  Statement& s =
      c.prepare("SELECT 1 FROM sdb_attributes WHERE domain_id = ? AND name = ? LIMIT 1");
  s.bind_all(domain_id, name);
  return s.step();
}

void add_usage(Connection& c, int64_t domain_id, const DomainStats& d) {
  c.prepare(
       "UPDATE sdb_domains SET item_count = item_count + ?, "
       "item_names_bytes = item_names_bytes + ?, "
       "attribute_name_count = attribute_name_count + ?, "
       "attribute_names_bytes = attribute_names_bytes + ?, "
       "attribute_value_count = attribute_value_count + ?, "
       "attribute_values_bytes = attribute_values_bytes + ? WHERE id = ?")
      .bind_all(d.item_count, d.item_names_bytes, d.attribute_name_count,
                d.attribute_names_bytes, d.attribute_value_count, d.attribute_values_bytes,
                domain_id)
      .run();
}

constexpr const char* kDomainColumns =
    "id, created_ms, item_count, item_names_bytes, attribute_name_count, attribute_names_bytes, "
    "attribute_value_count, attribute_values_bytes";

DomainStats usage_columns(Statement& s, int first) {
  DomainStats st;
  st.item_count = s.column_int(first);
  st.item_names_bytes = s.column_int(first + 1);
  st.attribute_name_count = s.column_int(first + 2);
  st.attribute_names_bytes = s.column_int(first + 3);
  st.attribute_value_count = s.column_int(first + 4);
  st.attribute_values_bytes = s.column_int(first + 5);
  return st;
}

// ---- candidate planning -----------------------------------------------------------------------

// sdb_attributes.value_prefix (migration 2) of the value `sql`: its first 64 bytes, as a blob
// (coalesce: SQLite's substr() of an empty blob is NULL). A column rather than an index on the
// expression, so that index range scans are covering (SQLite 3.40 reads the table row for an
// expression index).
std::string value_prefix(const std::string& sql) {
  return "coalesce(substr(CAST(" + sql + " AS BLOB), 1, 64), X'')";
}

// SQL returning a superset of the item ids matching a condition, with ?1 the domain id and the
// texts in `binds` as ?2, ?3, ...; nullopt when no index helps.
class Planner {
 public:
  std::vector<std::string> binds;

  std::optional<std::string> plan(const Condition& c) {
    size_t mark = binds.size();
    std::optional<std::string> sql = plan_node(c);
    if (!sql) binds.resize(mark);  // a discarded branch leaves no parameters behind
    return sql;
  }

  // For a predicate on an attribute: an SQL test (for EXISTS) that item i has a value of the
  // attribute in one of its ranges (every value when the test has no ranges), binds as plan().
  std::string exists(const Condition& c) {
    std::string sql = "SELECT 1 FROM sdb_attributes AS a WHERE a.item_id = i.id AND a.name = " +
                      param(c.attribute);
    std::optional<std::vector<ValueRange>> ranges = value_ranges(c.test);
    if (!ranges) return sql;
    std::string any;
    for (const ValueRange& r : *ranges)
      any += (any.empty() ? "(1" : " OR (1") + bounds("value", r) + ")";
    return sql + " AND (" + (any.empty() ? "0" : any) + ")";
  }

 private:
  std::optional<std::string> plan_node(const Condition& c) {
    switch (c.kind) {
      case Condition::Kind::Not:
      case Condition::Kind::IsNull:
        return std::nullopt;
      case Condition::Kind::IsNotNull:
        return std::nullopt;  // any value: a streamed scan stops at the page's end
      case Condition::Kind::And:
      case Condition::Kind::Or: {
        auto a = plan(c.children[0]);
        auto b = plan(c.children[1]);
        if (c.kind == Condition::Kind::And) {
          if (!a) return b;
          if (!b) return a;
          return "SELECT item_id FROM (" + *a + ") INTERSECT SELECT item_id FROM (" + *b + ")";
        }
        if (!a || !b) return std::nullopt;
        return "SELECT item_id FROM (" + *a + ") UNION SELECT item_id FROM (" + *b + ")";
      }
      case Condition::Kind::Predicate:
        break;
    }
    std::optional<std::vector<ValueRange>> ranges = value_ranges(c.test);
    if (c.item_name) {
      if (!ranges) return std::nullopt;
      std::string sql;
      for (const ValueRange& r : *ranges) {
        if (!sql.empty()) sql += " UNION ";
        sql += "SELECT id AS item_id FROM sdb_items WHERE domain_id = ?1" + bounds("name", r);
      }
      return sql;
    }
    if (!ranges) return std::nullopt;  // any value may match: scan in name order instead
    return attribute_ranges(c.attribute, *ranges);
  }

  std::string param(const std::string& text) {
    binds.push_back(text);
    return "?" + std::to_string(binds.size() + 1);
  }

  // Item names are compared whole; attribute values through their 64-byte prefix, which
  // keeps the order (a <= b implies prefix(a) <= prefix(b)), so the bounds become inclusive and
  // the scan gives a superset that the in-memory test narrows.
  std::string bounds(const char* column, const ValueRange& r) {
    const bool prefix = std::string_view(column) == "value";
    auto operand = [&](const std::string& text) {
      return prefix ? value_prefix(param(text)) : param(text);
    };
    const std::string lhs = prefix ? "value_prefix" : column;
    if (r.lo && r.hi && *r.lo == *r.hi && r.lo_inclusive && r.hi_inclusive)
      return " AND " + lhs + " = " + operand(*r.lo);
    std::string sql;
    if (r.lo) sql += " AND " + lhs + (r.lo_inclusive || prefix ? " >= " : " > ") + operand(*r.lo);
    if (r.hi) sql += " AND " + lhs + (r.hi_inclusive || prefix ? " <= " : " < ") + operand(*r.hi);
    return sql;
  }

  std::string attribute_ranges(const std::string& attribute,
                               const std::vector<ValueRange>& ranges) {
    std::string name = param(attribute);
    const std::string head =
        "SELECT item_id FROM sdb_attributes WHERE domain_id = ?1 AND name = " + name;
    std::string sql;
    for (const ValueRange& r : ranges) {
      if (!sql.empty()) sql += " UNION ";
      sql += head + bounds("value", r);
    }
    if (sql.empty()) return head + " AND 0";  // no value can match
    return sql;
  }
};

struct Candidate {
  int64_t id;
  std::string name;
};

// How many items run_query() walks in name order before it takes the index's candidates.
int64_t walk_length(int64_t limit) { return std::clamp<int64_t>(4 * (limit + 1), 100, 10000); }

// Whether the index plan yields at least `n` rows: only then is the name-order walk worth it; a
// selective predicate goes straight to its few candidates, so its cost follows the result, not
// the domain. Counting stops at n rows.
bool index_matches_reach(Connection& c, const std::string& plan,
                         const std::vector<std::string>& binds, int64_t domain_id, int64_t n) {
  Statement s(c.handle(), "SELECT count(*) FROM (SELECT 1 FROM (" + plan + ") LIMIT ?" +
                              std::to_string(binds.size() + 2) + ")");
  s.bind(1, domain_id);
  int index = 2;
  for (const std::string& b : binds) s.bind(index++, b);
  s.bind(index, n);
  return s.step() && s.column_int(0) >= n;
}

bool default_order(const SortOrder& order) {
  return !order.active() || (order.item_name && !order.descending);
}

}  // namespace

void migrate(Database& db) { db.migrate("sdb", migrations()); }

// ---- domains ----------------------------------------------------------------------------------

DomainStats& DomainStats::operator+=(const DomainStats& d) {
  item_count += d.item_count;
  item_names_bytes += d.item_names_bytes;
  attribute_name_count += d.attribute_name_count;
  attribute_names_bytes += d.attribute_names_bytes;
  attribute_value_count += d.attribute_value_count;
  attribute_values_bytes += d.attribute_values_bytes;
  return *this;
}

std::optional<DomainRecord> find_domain(Connection& c, std::string_view account,
                                        std::string_view region, std::string_view name) {
  static const std::string sql = std::string("SELECT ") + kDomainColumns +
                                 " FROM sdb_domains WHERE account = ? AND region = ? AND name = ?";
  Statement& s = c.prepare(sql);
  s.bind_all(account, region, name);
  if (!s.step()) return std::nullopt;
  DomainRecord d;
  d.id = s.column_int(0);
  d.created_ms = s.column_int(1);
  d.usage = usage_columns(s, 2);
  d.account = account;
  d.region = region;
  d.name = name;
  return d;
}

int64_t count_domains(Connection& c, std::string_view account, std::string_view region) {
  Statement& s = c.prepare("SELECT count(*) FROM sdb_domains WHERE account = ? AND region = ?");
  s.bind_all(account, region);
  s.step();
  return s.column_int(0);
}

void insert_domain(Connection& c, DomainRecord& d) {
  c.prepare("INSERT INTO sdb_domains(account, region, name, created_ms) VALUES (?, ?, ?, ?)")
      .bind_all(d.account, d.region, d.name, d.created_ms)
      .run();
  d.id = c.last_insert_rowid();
}

void delete_domain(Connection& c, int64_t domain_id) {
  c.prepare("DELETE FROM sdb_attributes WHERE domain_id = ?").bind(1, domain_id).run();
  c.prepare("DELETE FROM sdb_items WHERE domain_id = ?").bind(1, domain_id).run();
  c.prepare("DELETE FROM sdb_domains WHERE id = ?").bind(1, domain_id).run();
}

std::vector<std::string> list_domains(Connection& c, std::string_view account,
                                      std::string_view region, std::string_view after,
                                      int64_t limit) {
  Statement& s = c.prepare(
      "SELECT name FROM sdb_domains WHERE account = ? AND region = ? AND name > ? ORDER BY name "
      "LIMIT ?");
  s.bind_all(account, region, after, limit);
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.column_text(0));
  return out;
}

DomainStats domain_stats(Connection& c, int64_t domain_id) {
  static const std::string sql =
      std::string("SELECT ") + kDomainColumns + " FROM sdb_domains WHERE id = ?";
  Statement& s = c.prepare(sql);
  s.bind(1, domain_id);
  return s.step() ? usage_columns(s, 2) : DomainStats{};
}

// ---- items ------------------------------------------------------------------------------------

std::optional<ItemRecord> find_item(Connection& c, int64_t domain_id, std::string_view name) {
  Statement& s = c.prepare("SELECT id FROM sdb_items WHERE domain_id = ? AND name = ?");
  s.bind_all(domain_id, name);
  if (!s.step()) return std::nullopt;
  ItemRecord item;
  item.id = s.column_int(0);
  item.name = name;
  item.attributes = load_attributes(c, item.id, &item.attribute_ids);
  return item;
}

DomainStats store_item(Connection& c, int64_t domain_id, const ItemRecord& item,
                       const Attributes& attributes) {
  using Pair = std::pair<std::string, std::string>;
  DomainStats delta;
  int64_t id = item.id;
  if (attributes.empty() && id == 0) return delta;
  // The pairs to keep (a repeated pair once), and the names before and after.
  std::set<Pair> wanted;
  std::set<std::string> names_before, names_after;
  for (const Pair& pair : item.attributes) names_before.insert(pair.first);
  for (const Pair& pair : attributes)
    if (wanted.insert(pair).second) names_after.insert(pair.first);

  if (id == 0) {
    c.prepare("INSERT INTO sdb_items(domain_id, name) VALUES (?, ?)").bind_all(domain_id, item.name)
        .run();
    id = c.last_insert_rowid();
    delta.item_count = 1;
    delta.item_names_bytes = static_cast<int64_t>(item.name.size());
  }
  std::set<Pair> kept;
  for (size_t i = 0; i < item.attributes.size(); ++i) {
    const Pair& pair = item.attributes[i];
    if (wanted.count(pair)) {
      kept.insert(pair);
      continue;
    }
    c.prepare("DELETE FROM sdb_attributes WHERE id = ?").bind(1, item.attribute_ids.at(i)).run();
    delta.attribute_value_count -= 1;
    delta.attribute_values_bytes -= static_cast<int64_t>(pair.second.size());
  }
  // A name this item stops using may leave the domain; one it starts using may be new to it.
  for (const std::string& name : names_before)
    if (!names_after.count(name) && !name_in_use(c, domain_id, name)) {
      delta.attribute_name_count -= 1;
      delta.attribute_names_bytes -= static_cast<int64_t>(name.size());
    }
  for (const std::string& name : names_after)
    if (!names_before.count(name) && !name_in_use(c, domain_id, name)) {
      delta.attribute_name_count += 1;
      delta.attribute_names_bytes += static_cast<int64_t>(name.size());
    }
  for (const Pair& pair : attributes) {
    if (!kept.insert(pair).second) continue;  // stored already, or repeated in `attributes`
    static const std::string insert =
        "INSERT INTO sdb_attributes(domain_id, item_id, name, value, value_prefix) "
        "VALUES (?1, ?2, ?3, ?4, " + value_prefix("?4") + ")";
    c.prepare(insert).bind_all(domain_id, id, pair.first, pair.second).run();
    delta.attribute_value_count += 1;
    delta.attribute_values_bytes += static_cast<int64_t>(pair.second.size());
  }
  if (attributes.empty()) {
    c.prepare("DELETE FROM sdb_items WHERE id = ?").bind(1, id).run();
    delta.item_count -= 1;
    delta.item_names_bytes -= static_cast<int64_t>(item.name.size());
  }
  add_usage(c, domain_id, delta);
  return delta;
}

// ---- queries ----------------------------------------------------------------------------------

QueryPage run_query(Connection& c, int64_t domain_id, const Condition* where,
                    const SortOrder& order, const std::optional<Position>& after, int64_t limit,
                    bool count_only, QueryStats* stats, const PageBudget* budget) {
  QueryStats local;
  QueryStats& st = stats ? *stats : local;
  QueryPage page;
  const bool natural = default_order(order);
  std::string after_name = after && natural ? after->name : std::string();

  // Counting every item of the domain needs no attributes.
  if (count_only && !where) {
    Statement& s = c.prepare(
        "SELECT name FROM sdb_items WHERE domain_id = ? AND name > ? ORDER BY name LIMIT ?");
    s.bind_all(domain_id, after_name, limit > 0 ? limit + 1 : int64_t{-1});
    std::string last;
    while (s.step()) {
      if (limit > 0 && page.count == limit) {
        page.next = Position{false, "", last};
        break;
      }
      last = s.column_text(0);
      ++page.count;
    }
    return page;
  }

  struct Match {
    ItemRecord item;
    bool has_key = false;
    std::string key;
  };
  std::vector<Match> matches;
  auto test = [&](Candidate&& cand) -> bool {
    ++st.items_evaluated;
    Attributes attributes = load_attributes(c, cand.id);
    if (where && !where->matches(cand.name, attributes)) return false;
    Match m;
    m.item.id = cand.id;
    m.item.name = std::move(cand.name);
    if (order.attribute) {
      for (const auto& [n, v] : attributes) {
        if (n != *order.attribute) continue;
        if (!m.has_key || (order.descending ? v > m.key : v < m.key)) m.key = v;
        m.has_key = true;
      }
    }
    if (!count_only) m.item.attributes = std::move(attributes);
    matches.push_back(std::move(m));
    return true;
  };

  int64_t used_bytes = 0;
  // Whether the latest match fits the byte budget (it is counted when it does).
  auto fits = [&](const Match& m) {
    if (!budget || count_only || budget->max_bytes <= 0) return true;
    int64_t size = budget->size(m.item);
    if (used_bytes > 0 && used_bytes + size > budget->max_bytes) return false;
    used_bytes += size;
    return true;
  };

  std::string last_evaluated;  // the name of the last candidate tested
  auto expired = [&] {
    return budget && budget->expired && st.items_evaluated > 0 && budget->expired();
  };

  // Item-name order: test candidates in order, stop at the first match past the page.
  auto take = [&](Candidate&& cand) -> bool {  // false: page complete
    if (expired()) {  // a partial page: the next one continues after what was tested
      page.next = Position{false, "", last_evaluated};
      return false;
    }
    last_evaluated = cand.name;
    if (limit > 0 && static_cast<int64_t>(matches.size()) == limit) {
      std::string last = matches.back().item.name;
      Candidate probe = cand;
      if (test(std::move(probe))) {
        matches.pop_back();
        page.next = Position{false, "", last};
        return false;
      }
      return true;
    }
    if (test(std::move(cand)) && !fits(matches.back())) {
      matches.pop_back();
      page.next = Position{false, "", matches.back().item.name};
      return false;
    }
    return true;
  };

  auto finish = [&]() -> QueryPage {
    page.count = static_cast<int64_t>(matches.size());
    if (!count_only)
      for (Match& m : matches) page.items.push_back(std::move(m.item));
    return std::move(page);
  };

  // Candidates: from the index when the condition allows, else every item after the position.
  std::optional<std::string> plan;
  Planner planner;
  if (where) plan = planner.plan(*where);

  // Item-name order over one attribute's predicate that matches at least `walk` index rows (so
  // it may match most of the domain): first walk up to `walk` items in name order, testing
  // those the index says have a value in range, as most pages of an unselective query end
  // there; otherwise the full candidate set (every index match, sorted by name) continues after
  // the walk. A predicate with fewer index rows takes its candidates directly.
  if (natural && plan && !count_only && limit > 0 && where->kind == Condition::Kind::Predicate &&
      !where->item_name &&
      index_matches_reach(c, *plan, planner.binds, domain_id, walk_length(limit))) {
    st.used_index = true;
    Planner probe;
    std::string exists = probe.exists(*where);
    const int64_t walk = walk_length(limit);
    const size_t n = probe.binds.size();
    Statement w(c.handle(), "SELECT id, name, EXISTS (" + exists +
                                ") FROM (SELECT id, name FROM sdb_items WHERE domain_id = ?1 "
                                "AND name > ?" + std::to_string(n + 2) + " ORDER BY name LIMIT ?" +
                                std::to_string(n + 3) + ") AS i ORDER BY name");
    w.bind(1, domain_id);
    int index = 2;
    for (const std::string& b : probe.binds) w.bind(index++, b);
    w.bind(index++, after_name);
    w.bind(index, walk);
    int64_t walked = 0;
    bool complete = false;
    while (!complete && w.step()) {
      ++walked;
      ++st.items_read;
      after_name = w.column_text(1);
      if (w.column_int(2) != 0) complete = !take({w.column_int(0), after_name});
    }
    if (complete || walked < walk) return finish();
  }

  std::string sql;
  if (plan) {
    st.used_index = true;
    sql = "SELECT i.id, i.name FROM (SELECT DISTINCT item_id FROM (" + *plan +
          ")) AS c CROSS JOIN sdb_items AS i ON i.id = c.item_id WHERE i.name > ?" +
          std::to_string(planner.binds.size() + 2);
  } else {
    sql = "SELECT id, name FROM sdb_items WHERE domain_id = ?1 AND name > ?2 ORDER BY name";
  }
  Statement s(c.handle(), sql);
  s.bind(1, domain_id);
  int index = 2;
  for (const std::string& b : planner.binds) s.bind(index++, b);
  s.bind(index, after_name);

  if (natural) {
    if (plan) {
      std::vector<Candidate> candidates;
      while (s.step()) {
        ++st.items_read;
        candidates.push_back({s.column_int(0), s.column_text(1)});
      }
      std::sort(candidates.begin(), candidates.end(),
                [](const Candidate& a, const Candidate& b) { return a.name < b.name; });
      for (Candidate& cand : candidates)
        if (!take(std::move(cand))) break;
    } else {
      while (s.step()) {
        ++st.items_read;
        if (!take({s.column_int(0), s.column_text(1)})) break;
      }
    }
    return finish();
  }

  while (s.step()) {
    if (expired()) {
      page.timed_out = true;
      return page;
    }
    ++st.items_read;
    test({s.column_int(0), s.column_text(1)});
  }
  auto before = [&](bool a_has, const std::string& a_key, const std::string& a_name, bool b_has,
                    const std::string& b_key, const std::string& b_name) {
    if (order.item_name) return a_name > b_name;  // itemName() descending
    if (a_has != b_has) return a_has;             // items without the attribute last
    if (a_key != b_key) return order.descending ? a_key > b_key : a_key < b_key;
    return a_name < b_name;
  };
  std::sort(matches.begin(), matches.end(), [&](const Match& a, const Match& b) {
    return before(a.has_key, a.key, a.item.name, b.has_key, b.key, b.item.name);
  });
  size_t first = 0;
  if (after) {
    while (first < matches.size() &&
           !before(after->has_key, after->key, after->name, matches[first].has_key,
                   matches[first].key, matches[first].item.name))
      ++first;
  }
  size_t end = matches.size();
  if (limit > 0 && end - first > static_cast<size_t>(limit))
    end = first + static_cast<size_t>(limit);
  for (size_t i = first; i < end; ++i)
    if (!fits(matches[i])) end = i;  // ends the loop
  if (end < matches.size()) {
    const Match& last = matches[end - 1];
    page.next = Position{last.has_key, last.key, last.item.name};
  }
  matches = std::vector<Match>(std::make_move_iterator(matches.begin() + first),
                               std::make_move_iterator(matches.begin() + end));
  return finish();
}

}  // namespace nimbus::sdb
