// DynamoDbService: the DynamoDB operations. call() dispatches by operation name to the handlers
// below; each handler validates its input with AWS's messages, then reads (Database::read) or
// changes state in exactly one Database::write job. Shared pieces: key validation and key bytes,
// index-row and stream-record maintenance (store()), expression parsing with the
// legacy-parameter translations, paging for Query/Scan, and consumed-capacity accounting.
#include "services/dynamodb/dynamodb_service.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "common/hash.h"
#include "common/ids.h"
#include "common/log.h"
#include "services/dynamodb/errors.h"
#include "services/dynamodb/expression.h"
#include "services/dynamodb/number.h"
#include "services/dynamodb/partiql_exec.h"
#include "services/dynamodb/streams.h"

namespace nimbus {
namespace {

using namespace ddb;
namespace err = ddb_errors;

constexpr size_t kMaxItemBytes = 400 * 1024;
constexpr size_t kPageBytes = 1024 * 1024;
constexpr size_t kMaxHashKeyBytes = 2048;
constexpr size_t kMaxRangeKeyBytes = 1024;

std::string cache_key(const std::string& a, const std::string& r, const std::string& n) {
  return a + '\n' + r + '\n' + n;
}

struct KeyBytes {
  std::string pk, sk;
  bool operator<(const KeyBytes& o) const { return std::tie(pk, sk) < std::tie(o.pk, o.sk); }
  bool operator==(const KeyBytes& o) const { return pk == o.pk && sk == o.sk; }
};

// Capacity units of reading (4 KB units, halved when eventually consistent) and writing (1 KB
// units) an item of `bytes`; at least one unit.
double read_units(size_t bytes, bool consistent) {
  double units = std::max<double>(1.0, std::ceil(static_cast<double>(bytes) / 4096.0));
  return consistent ? units : units / 2;
}

double write_units(size_t bytes) {
  return std::max<double>(1.0, std::ceil(static_cast<double>(bytes) / 1024.0));
}

// Capacity units one request spent on one table: on the table and on each secondary index.
struct Units {
  double table = 0;
  std::map<std::string, double> global, local;  // index name -> units

  double total() const {
    double t = table;
    for (const auto* m : {&global, &local})
      for (const auto& [name, u] : *m) t += u;
    return t;
  }
  Units& operator+=(const Units& o) {
    table += o.table;
    for (const auto& [name, u] : o.global) global[name] += u;
    for (const auto& [name, u] : o.local) local[name] += u;
    return *this;
  }
};

struct Ctx {
  DynamoDbService& svc;
  Database& db;
  CallContext& call;
  const Value& in;
  const Clock& clock;
  const std::string& account() const { return call.account.id; }
};

// ---- input helpers --------------------------------------------------------------------------

std::string table_name_of(const Value& in, const char* member = "TableName") {
  std::optional<std::string> n = in.get_string(member);
  if (!n)
    throw err::validation(std::string("1 validation error detected: Value null at '") +
                          (member[0] == 'T' ? "tableName" : member) +
                          "' failed to satisfy constraint: Member must not be null");
  return *n;
}

void check_table_name(const std::string& name) {
  std::vector<std::string> problems;
  if (name.size() < 3) problems.push_back("Member must have length greater than or equal to 3");
  if (name.size() > 255) problems.push_back("Member must have length less than or equal to 255");
  bool ok = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
  if (!ok) problems.push_back("Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
  if (problems.empty()) return;
  std::string message = std::to_string(problems.size()) + " validation error" +
                        (problems.size() > 1 ? "s" : "") + " detected: ";
  for (size_t i = 0; i < problems.size(); ++i) {
    if (i) message += "; ";
    message += "Value '" + name + "' at 'tableName' failed to satisfy constraint: " + problems[i];
  }
  throw err::validation(message);
}

// A parameter whose values are `yes` and NONE (the default): true for `yes`; anything else is
// refused with AWS's message naming the parameter as `field`.
bool yes_or_none(const Value& in, const char* member, const char* field, const std::string& yes) {
  std::string v = in.string_or(member, "NONE");
  if (v == yes) return true;
  if (v == "NONE") return false;
  throw err::validation("1 validation error detected: Value '" + v + "' at '" + field +
                        "' failed to satisfy constraint: Member must satisfy enum value set: [" +
                        yes + ", NONE]");
}

// A missing table: the table operations name it in the message, the item operations answer
// AWS's bare "Requested resource not found".
TablePtr require_table(Ctx& x, const std::string& name) {
  TablePtr t = x.svc.find_table(x.account(), x.call.region, name);
  if (t) return t;
  static const std::set<std::string_view> item_operations = {
      "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
      "BatchWriteItem", "TransactGetItems", "TransactWriteItems"};
  if (item_operations.count(x.call.operation.name)) throw err::resource_not_found();
  throw err::table_not_found(name);
}

// Inside a write job: the table as it is now (the cached copy unless it changed).
TablePtr current(Connection& c, const TablePtr& cached) {
  Statement& s = c.prepare("SELECT version FROM ddb_tables WHERE id = ?");
  s.bind(1, cached->id);
  if (!s.step()) throw err::table_not_found(cached->name);
  if (s.column_int(0) == cached->version) return cached;
  return load_table_by_id(c, cached->id);
}

// ---- keys -----------------------------------------------------------------------------------

void check_key_value(const KeyDef& def, const Attr& a, bool in_key_param) {
  if (a.type != def.type) {
    if (in_key_param) throw err::validation("The provided key element does not match the schema");
    throw err::validation(std::string("One or more parameter values were invalid: Type mismatch "
                                      "for key ") + def.name + " expected: " + type_name(def.type) +
                          " actual: " + type_name(a.type));
  }
  if (a.s.empty())
    throw err::validation(
        "One or more parameter values are not valid. The AttributeValue for a key attribute "
        "cannot contain an empty " + std::string(a.type == Type::B ? "binary" : "string") +
        " value. Key: " + def.name);
}

KeyBytes key_bytes_of(const TableInfo& t, const Item& item) {
  KeyBytes k;
  k.pk = key_bytes(item.at(t.hash.name));
  if (t.has_range()) k.sk = key_bytes(item.at(t.range.name));
  if (item.at(t.hash.name).s.size() > kMaxHashKeyBytes)
    throw err::validation("One or more parameter values were invalid: Size of hashkey has "
                          "exceeded the maximum size limit of2048 bytes");
  if (t.has_range() && item.at(t.range.name).s.size() > kMaxRangeKeyBytes)
    throw err::validation("One or more parameter values were invalid: Aggregated size of all "
                          "range keys has exceeded the size limit of 1024 bytes");
  return k;
}

// A Key parameter: exactly the table's key attributes.
Item key_from(const TableInfo& t, const Value* v) {
  if (!v) throw err::validation("The provided key element does not match the schema");
  Item key = item_from_value(*v);
  size_t expected = t.has_range() ? 2 : 1;
  if (key.size() != expected || !key.count(t.hash.name) ||
      (t.has_range() && !key.count(t.range.name)))
    throw err::validation("The provided key element does not match the schema");
  check_key_value(t.hash, key.at(t.hash.name), true);
  if (t.has_range()) check_key_value(t.range, key.at(t.range.name), true);
  return key;
}

Item key_of_item(const TableInfo& t, const Item& item) {
  Item key;
  key[t.hash.name] = item.at(t.hash.name);
  if (t.has_range()) key[t.range.name] = item.at(t.range.name);
  return key;
}

void check_index_keys(const TableInfo& t, const Item& item) {
  for (const IndexInfo& i : t.indexes)
    for (const KeyDef* d : {&i.hash, &i.range}) {
      if (d->name.empty()) continue;
      auto it = item.find(d->name);
      if (it == item.end()) continue;
      if (it->second.type != d->type)
        throw err::validation(std::string("One or more parameter values were invalid: Type "
                                          "mismatch for Index Key ") + d->name + " Expected: " +
                              type_name(d->type) + " Actual: " + type_name(it->second.type) +
                              " IndexName: " + i.name);
      if (it->second.s.empty())
        throw err::validation(
            "One or more parameter values are not valid. A value specified for a secondary "
            "index key is not supported. The AttributeValue for a key attribute cannot contain "
            "an empty string value. IndexName: " + i.name + ", IndexKey: " + d->name);
    }
}

// A whole item for PutItem: keys present with the right types, index keys typed, size limit.
void check_item(const TableInfo& t, const Item& item) {
  for (const KeyDef* d : {&t.hash, &t.range}) {
    if (d->name.empty()) continue;
    auto it = item.find(d->name);
    if (it == item.end())
      throw err::validation("One or more parameter values were invalid: Missing the key " +
                            d->name + " in the item");
    check_key_value(*d, it->second, false);
  }
  check_index_keys(t, item);
  if (item_size(item) > kMaxItemBytes)
    throw err::validation("Item size has exceeded the maximum allowed size");
}

// ---- rows -----------------------------------------------------------------------------------

std::optional<Item> get_row(Connection& c, int64_t table_id, const KeyBytes& k) {
  Statement& s = c.prepare(
      "SELECT item FROM ddb_items WHERE table_id = ? AND idx = '' AND pk = ? AND sk = ? AND "
      "tpk = x'' AND tsk = x''");
  s.bind(1, table_id).bind_blob(2, k.pk).bind_blob(3, k.sk);
  if (!s.step()) return std::nullopt;
  return decode_item(s.column_blob(0));
}

Item index_projection(const TableInfo& t, const IndexInfo& i, const Item& item) {
  if (i.projection == "ALL") return item;
  Item out;
  auto copy = [&](const std::string& n) {
    if (n.empty()) return;
    auto it = item.find(n);
    if (it != item.end()) out[n] = it->second;
  };
  copy(t.hash.name);
  copy(t.range.name);
  copy(i.hash.name);
  copy(i.range.name);
  for (const std::string& n : i.non_key) copy(n);
  return out;
}

// The index row key of item in index i, when the item carries the index's keys.
std::optional<KeyBytes> index_key(const IndexInfo& i, const Item& item) {
  auto h = item.find(i.hash.name);
  if (h == item.end() || h->second.type != i.hash.type) return std::nullopt;
  KeyBytes k;
  k.pk = key_bytes(h->second);
  if (!i.range.name.empty()) {
    auto r = item.find(i.range.name);
    if (r == item.end() || r->second.type != i.range.type) return std::nullopt;
    k.sk = key_bytes(r->second);
  }
  return k;
}

// What index i stores for an item: its row key and the projected item; nothing when the item
// lacks the index's keys.
struct IndexEntry {
  KeyBytes key;
  Item view;
};

std::optional<IndexEntry> index_entry(const TableInfo& t, const IndexInfo& i, const Item& item) {
  std::optional<KeyBytes> k = index_key(i, item);
  if (!k) return std::nullopt;
  return IndexEntry{std::move(*k), index_projection(t, i, item)};
}

bool same_item(const Item& a, const Item& b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](const auto& x, const auto& y) {
           return x.first == y.first && equal(x.second, y.second);
         });
}

// Adds to the item count and size of index `idx` (see table.h).
void add_index_stats(Connection& c, int64_t table_id, const std::string& idx, int64_t count,
                     int64_t bytes) {
  if (!count && !bytes) return;
  c.prepare("INSERT INTO ddb_index_stats(table_id, idx, item_count, size_bytes) "
            "VALUES (?, ?, ?, ?) ON CONFLICT(table_id, idx) DO UPDATE SET "
            "item_count = item_count + excluded.item_count, "
            "size_bytes = size_bytes + excluded.size_bytes")
      .bind_all(table_id, idx, count, bytes)
      .run();
}

// Writes the row of entry e of the item at table key k in index i.
void put_index_row(Connection& c, const TableInfo& t, const IndexInfo& i, const KeyBytes& k,
                   const IndexEntry& e) {
  c.prepare("INSERT OR REPLACE INTO ddb_items(table_id, idx, pk, sk, tpk, tsk, item) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)")
      .bind(1, t.id)
      .bind(2, i.name)
      .bind_blob(3, e.key.pk)
      .bind_blob(4, e.key.sk)
      .bind_blob(5, k.pk)
      .bind_blob(6, k.sk)
      .bind_blob(7, encode_item(e.view))
      .run();
}

// The changes of item counts and sizes that store() makes, by table (idx '') and by index,
// kept until flush() writes them: one UPDATE per table and per index, so a batch of writes
// counts once at the end of its job rather than once per item.
class Tally {
 public:
  void add(int64_t table_id, const std::string& idx, int64_t count, int64_t bytes) {
    if (!count && !bytes) return;
    Delta& d = deltas_[{table_id, idx}];
    d.count += count;
    d.bytes += bytes;
  }
  // Writes the changes (in the caller's write job) and forgets them.
  void flush(Connection& c) {
    for (const auto& [key, d] : deltas_) {
      const auto& [table_id, idx] = key;
      if (!idx.empty()) add_index_stats(c, table_id, idx, d.count, d.bytes);
      else if (d.count || d.bytes)
        c.prepare("UPDATE ddb_tables SET item_count = item_count + ?, size_bytes = size_bytes + "
                  "? WHERE id = ?")
            .bind_all(d.count, d.bytes, table_id)
            .run();
    }
    deltas_.clear();
  }

 private:
  struct Delta {
    int64_t count = 0, bytes = 0;
  };
  std::map<std::pair<int64_t, std::string>, Delta> deltas_;
};

// Replaces the item at k (old -> neu; either may be absent) with its index rows, and appends
// the change to the table's stream (at `now`, by `origin`) in the same job. The table's and the
// indexes' counters change in `tally`, which the caller flushes before its job ends.
// Returns the write units spent on the indexes: AWS charges the change to what an index stores,
// so an entry added, removed or rewritten costs its size, a moved entry both, an unchanged one
// (left as it is) nothing.
Units store(Connection& c, const TableInfo& t, const KeyBytes& k, const std::optional<Item>& old,
            const std::optional<Item>& neu, EpochMillis now, Tally& tally,
            streams::Origin origin = streams::Origin::User) {
  streams::append(c, t, old, neu, now, origin);
  Units units;
  for (const IndexInfo& i : t.indexes) {
    std::optional<IndexEntry> before = old ? index_entry(t, i, *old) : std::nullopt;
    std::optional<IndexEntry> after = neu ? index_entry(t, i, *neu) : std::nullopt;
    bool in_place = before && after && before->key == after->key;
    if ((!before && !after) || (in_place && same_item(before->view, after->view))) continue;
    size_t before_size = before ? item_size(before->view) : 0;
    size_t after_size = after ? item_size(after->view) : 0;
    if (before && !in_place)
      c.prepare("DELETE FROM ddb_items WHERE table_id = ? AND idx = ? AND pk = ? AND sk = ? "
                "AND tpk = ? AND tsk = ?")
          .bind(1, t.id).bind(2, i.name).bind_blob(3, before->key.pk).bind_blob(4, before->key.sk)
          .bind_blob(5, k.pk).bind_blob(6, k.sk)
          .run();
    if (after) put_index_row(c, t, i, k, *after);
    tally.add(t.id, i.name, int64_t{after.has_value()} - int64_t{before.has_value()},
              static_cast<int64_t>(after_size) - static_cast<int64_t>(before_size));
    double u = in_place ? write_units(std::max(before_size, after_size))
                        : (before ? write_units(before_size) : 0) +
                              (after ? write_units(after_size) : 0);
    (i.global ? units.global : units.local)[i.name] += u;
  }
  int64_t count = 0, bytes = 0;
  if (old) {
    --count;
    bytes -= static_cast<int64_t>(item_size(*old));
  }
  if (neu) {
    ++count;
    bytes += static_cast<int64_t>(item_size(*neu));
    c.prepare("INSERT OR REPLACE INTO ddb_items(table_id, idx, pk, sk, tpk, tsk, item) "
              "VALUES (?, '', ?, ?, x'', x'', ?)")
        .bind(1, t.id).bind_blob(2, k.pk).bind_blob(3, k.sk).bind_blob(4, encode_item(*neu))
        .run();
  } else if (old) {
    c.prepare("DELETE FROM ddb_items WHERE table_id = ? AND idx = '' AND pk = ? AND sk = ? AND "
              "tpk = x'' AND tsk = x''")
        .bind(1, t.id).bind_blob(2, k.pk).bind_blob(3, k.sk)
        .run();
  }
  tally.add(t.id, "", count, bytes);
  return units;
}

// store() of one item change, its counters written at once.
Units store(Connection& c, const TableInfo& t, const KeyBytes& k, const std::optional<Item>& old,
            const std::optional<Item>& neu, EpochMillis now,
            streams::Origin origin = streams::Origin::User) {
  Tally tally;
  Units units = store(c, t, k, old, neu, now, tally, origin);
  tally.flush(c);
  return units;
}

// ---- expressions ----------------------------------------------------------------------------

std::vector<Attr> attr_list(const Value* v) {
  std::vector<Attr> out;
  if (v && v->is_list())
    for (const Value& e : v->as_list()) out.push_back(attr_from_value(e));
  return out;
}

Operand path_operand(const std::string& name) {
  Operand o;
  o.kind = Operand::Kind::PathRef;
  o.path.push_back(PathElem{name, -1});
  return o;
}

Operand literal(const Attr& a) {
  Operand o;
  o.kind = Operand::Kind::Literal;
  o.literal = a;
  return o;
}

// One legacy {ComparisonOperator, AttributeValueList} on attribute `name`.
Condition legacy_condition(const std::string& name, const std::string& op,
                           const std::vector<Attr>& values) {
  auto need = [&](size_t n, bool at_least = false) {
    if (at_least ? values.size() < n : values.size() != n)
      throw err::validation("One or more parameter values were invalid: Invalid number of "
                            "argument(s) for the " + op + " ComparisonOperator");
  };
  Condition c;
  c.operands.push_back(path_operand(name));
  if (op == "EQ" || op == "NE" || op == "LE" || op == "LT" || op == "GE" || op == "GT") {
    need(1);
    static const std::map<std::string, std::string> ops = {{"EQ", "="}, {"NE", "<>"},
        {"LE", "<="}, {"LT", "<"}, {"GE", ">="}, {"GT", ">"}};
    c.kind = Condition::Kind::Compare;
    c.op = ops.at(op);
    if (op != "EQ" && op != "NE" && !is_scalar_key_type(values[0].type))
      throw err::validation("One or more parameter values were invalid: ComparisonOperator " + op +
                            " is not valid for " + type_name(values[0].type) +
                            " AttributeValue type");
    c.operands.push_back(literal(values[0]));
  } else if (op == "NOT_NULL" || op == "NULL") {
    need(0);
    c.kind = op == "NULL" ? Condition::Kind::NotExists : Condition::Kind::Exists;
  } else if (op == "CONTAINS" || op == "NOT_CONTAINS" || op == "BEGINS_WITH") {
    need(1);
    c.kind = op == "BEGINS_WITH" ? Condition::Kind::BeginsWith : Condition::Kind::Contains;
    c.operands.push_back(literal(values[0]));
    if (op == "NOT_CONTAINS") {
      Condition n;
      n.kind = Condition::Kind::Not;
      n.children.push_back(std::move(c));
      // NOT_CONTAINS is false for a missing attribute.
      Condition e;
      e.kind = Condition::Kind::Exists;
      e.operands.push_back(path_operand(name));
      Condition both;
      both.kind = Condition::Kind::And;
      both.children.push_back(std::move(e));
      both.children.push_back(std::move(n));
      return both;
    }
  } else if (op == "IN") {
    need(1, true);
    c.kind = Condition::Kind::In;
    for (const Attr& a : values) c.operands.push_back(literal(a));
  } else if (op == "BETWEEN") {
    need(2);
    c.kind = Condition::Kind::Between;
    c.operands.push_back(literal(values[0]));
    c.operands.push_back(literal(values[1]));
  } else {
    throw err::validation("1 validation error detected: Value '" + op +
                          "' at 'comparisonOperator' failed to satisfy constraint: Member must "
                          "satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, "
                          "NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]");
  }
  return c;
}

Condition combine(std::vector<Condition> parts, bool use_or) {
  Condition out = std::move(parts[0]);
  for (size_t i = 1; i < parts.size(); ++i) {
    Condition c;
    c.kind = use_or ? Condition::Kind::Or : Condition::Kind::And;
    c.children.push_back(std::move(out));
    c.children.push_back(std::move(parts[i]));
    out = std::move(c);
  }
  return out;
}

bool use_or(const Value& in) { return in.string_or("ConditionalOperator", "AND") == "OR"; }

std::optional<Condition> legacy_expected(const Value& in) {
  const Value* expected = in.find("Expected");
  if (!expected || !expected->is_map() || expected->as_map().empty()) return std::nullopt;
  std::vector<Condition> parts;
  for (const auto& [name, e] : expected->as_map()) {
    const Value* value = e.find("Value");
    std::optional<bool> exists = e.get_bool("Exists");
    if (std::optional<std::string> op = e.get_string("ComparisonOperator")) {
      if (value || exists)
        throw err::validation("One or more parameter values were invalid: Value or Exists "
                              "cannot be used with ComparisonOperator for Attribute: " + name);
      parts.push_back(legacy_condition(name, *op, attr_list(e.find("AttributeValueList"))));
    } else if (exists && !*exists) {
      if (value)
        throw err::validation("One or more parameter values were invalid: Value cannot be used "
                              "when Exists is false for Attribute: " + name);
      parts.push_back(legacy_condition(name, "NULL", {}));
    } else {
      if (!value)
        throw err::validation("One or more parameter values were invalid: Value must be "
                              "provided when Exists is true for Attribute: " + name);
      parts.push_back(legacy_condition(name, "EQ", {attr_from_value(*value)}));
    }
  }
  return combine(std::move(parts), use_or(in));
}

std::optional<Condition> legacy_filter(const Value& in, const char* member) {
  const Value* filter = in.find(member);
  if (!filter || !filter->is_map() || filter->as_map().empty()) return std::nullopt;
  std::vector<Condition> parts;
  for (const auto& [name, f] : filter->as_map())
    parts.push_back(legacy_condition(name, f.string_or("ComparisonOperator", ""),
                                     attr_list(f.find("AttributeValueList"))));
  return combine(std::move(parts), std::string(member) != "KeyConditions" && use_or(in));
}

// The parsed expressions of one request, with AWS's placeholder checks applied.
struct Exprs {
  std::optional<Condition> condition, filter, key;
  std::optional<std::vector<Path>> projection;
  std::optional<std::vector<UpdateAction>> update;
  std::vector<Path> update_paths;
};

void forbid_mix(const Value& in, const char* expression, const char* legacy) {
  if (in.has(expression) && in.has(legacy))
    throw err::validation(std::string("Can not use both expression and non-expression parameters "
                                      "in the same request: Non-expression parameters: {") +
                          legacy + "} Expression parameters: {" + expression + "}");
}

Exprs parse_exprs(const Value& in) {
  forbid_mix(in, "ConditionExpression", "Expected");
  forbid_mix(in, "FilterExpression", "QueryFilter");
  forbid_mix(in, "FilterExpression", "ScanFilter");
  forbid_mix(in, "KeyConditionExpression", "KeyConditions");
  forbid_mix(in, "ProjectionExpression", "AttributesToGet");
  forbid_mix(in, "UpdateExpression", "AttributeUpdates");
  const Value* names = in.find("ExpressionAttributeNames");
  const Value* values = in.find("ExpressionAttributeValues");
  bool any = in.has("ConditionExpression") || in.has("FilterExpression") ||
             in.has("KeyConditionExpression") || in.has("ProjectionExpression") ||
             in.has("UpdateExpression");
  if (!any && names)
    throw err::validation("ExpressionAttributeNames can only be specified when using expressions");
  if (!any && values)
    throw err::validation("ExpressionAttributeValues can only be specified when using expressions");
  ExpressionContext ctx(names, values);
  Exprs e;
  if (auto s = in.get_string("UpdateExpression")) {
    e.update = parse_update(*s, ctx);
    for (const UpdateAction& a : *e.update) e.update_paths.push_back(a.path);
  }
  if (auto s = in.get_string("ConditionExpression"))
    e.condition = parse_condition(*s, ctx, "ConditionExpression");
  if (auto s = in.get_string("KeyConditionExpression"))
    e.key = parse_condition(*s, ctx, "KeyConditionExpression");
  if (auto s = in.get_string("FilterExpression"))
    e.filter = parse_condition(*s, ctx, "FilterExpression");
  if (auto s = in.get_string("ProjectionExpression")) e.projection = parse_projection(*s, ctx);
  ctx.check_unused();
  if (!e.condition) e.condition = legacy_expected(in);
  if (!e.filter) e.filter = legacy_filter(in, in.has("ScanFilter") ? "ScanFilter" : "QueryFilter");
  if (!e.key) e.key = legacy_filter(in, "KeyConditions");
  if (!e.projection)
    if (const Value* atg = in.find("AttributesToGet"); atg && atg->is_list()) {
      std::vector<Path> paths;
      for (const Value& n : atg->as_list())
        if (n.is_string()) paths.push_back(Path{PathElem{n.as_string(), -1}});
      e.projection = std::move(paths);
    }
  return e;
}

// Legacy AttributeUpdates as update actions.
std::vector<UpdateAction> legacy_updates(const Value& updates) {
  std::vector<UpdateAction> out;
  for (const auto& [name, u] : updates.as_map()) {
    UpdateAction a;
    a.path.push_back(PathElem{name, -1});
    std::string action = u.string_or("Action", "PUT");
    const Value* v = u.find("Value");
    if (action == "PUT") {
      if (!v)
        throw err::validation("One or more parameter values were invalid: Only DELETE action is "
                              "allowed when no attribute value is specified");
      a.kind = UpdateAction::Kind::Set;
      a.value = literal(attr_from_value(*v));
    } else if (action == "DELETE") {
      if (v) {
        a.kind = UpdateAction::Kind::Delete;
        a.value = literal(attr_from_value(*v));
        if (!is_set(a.value.literal.type))
          throw err::validation("One or more parameter values were invalid: DELETE action with "
                                "value is not supported for the type " +
                                std::string(type_name(a.value.literal.type)));
      } else {
        a.kind = UpdateAction::Kind::Remove;
      }
    } else if (action == "ADD") {
      if (!v)
        throw err::validation("One or more parameter values were invalid: Only DELETE action is "
                              "allowed when no attribute value is specified");
      Attr val = attr_from_value(*v);
      if (val.type == Type::L) {  // legacy ADD appends to a list
        a.kind = UpdateAction::Kind::Set;
        a.value.kind = Operand::Kind::ListAppend;
        Operand existing;
        existing.kind = Operand::Kind::IfNotExists;
        existing.args.push_back(path_operand(name));
        Attr empty;
        empty.type = Type::L;
        existing.args.push_back(literal(empty));
        a.value.args.push_back(existing);
        a.value.args.push_back(literal(val));
      } else if (val.type == Type::N || is_set(val.type)) {
        a.kind = UpdateAction::Kind::Add;
        a.value = literal(val);
      } else {
        throw err::validation("One or more parameter values were invalid: ADD action is not "
                              "supported for the type " + std::string(type_name(val.type)));
      }
    }
    out.push_back(std::move(a));
  }
  return out;
}

// ---- capacity -------------------------------------------------------------------------------

// ReturnConsumedCapacity, checked before a request changes anything (add_capacity runs after).
void check_capacity_mode(const Value& in) {
  std::string mode = in.string_or("ReturnConsumedCapacity", "NONE");
  if (mode != "NONE" && mode != "TOTAL" && mode != "INDEXES")
    throw err::validation("1 validation error detected: Value '" + mode +
                          "' at 'returnConsumedCapacity' failed to satisfy constraint: Member "
                          "must satisfy enum value set: [INDEXES, TOTAL, NONE]");
}

// Sets ConsumedCapacity (or, for the operations on many tables, appends to its `list`) for
// `table` as asked for: TOTAL the sum, INDEXES also the table's and each index's part.
// Transactions also name their units `granular` (ReadCapacityUnits or WriteCapacityUnits).
void add_capacity(Value& out, const Value& in, const std::string& table, const Units& units,
                  bool list = false, const char* granular = nullptr) {
  std::string mode = in.string_or("ReturnConsumedCapacity", "NONE");
  if (mode == "NONE") return;
  Value c = Value::map();
  c.set("TableName", table);
  c.set("CapacityUnits", units.total());
  if (granular) c.set(granular, units.total());
  if (mode == "INDEXES") {
    Value arm = Value::map().set("CapacityUnits", units.table);
    if (granular) arm.set(granular, units.table);
    c.set("Table", std::move(arm));
    for (auto [name, map] : {std::pair{"GlobalSecondaryIndexes", &units.global},
                             std::pair{"LocalSecondaryIndexes", &units.local}}) {
      if (map->empty()) continue;
      Value arms = Value::map();
      for (const auto& [index, u] : *map) arms.set(index, Value::map().set("CapacityUnits", u));
      c.set(name, std::move(arms));
    }
  }
  if (list) out["ConsumedCapacity"].push_back(std::move(c));
  else out.set("ConsumedCapacity", std::move(c));
}

void add_capacity(Value& out, const Value& in, const std::string& table, double units,
                  bool list = false) {
  add_capacity(out, in, table, Units{units, {}, {}}, list);
}

// The units of a transaction per table, in the order the request first names each table.
struct TableUnits {
  std::vector<std::pair<std::string, Units>> tables;
  Units& operator[](const std::string& name) {
    for (auto& [n, u] : tables)
      if (n == name) return u;
    return tables.emplace_back(name, Units{}).second;
  }
};

// ---- tables ---------------------------------------------------------------------------------

// What DescribeTable reports as ItemCount and TableSizeBytes / IndexSizeBytes.
struct Counters {
  int64_t count = 0, bytes = 0;
  std::map<std::string, std::pair<int64_t, int64_t>> indexes;  // name -> (count, bytes)
};

Value table_description(const TableInfo& t, const Counters& n,
                        const std::string& status = "ACTIVE") {
  const Value& m = t.meta;
  Value d = Value::map();
  if (const Value* v = m.find("AttributeDefinitions")) d.set("AttributeDefinitions", *v);
  d.set("TableName", t.name);
  if (const Value* v = m.find("KeySchema")) d.set("KeySchema", *v);
  d.set("TableStatus", status);
  d.set("CreationDateTime", Value::timestamp(m.find("Created") ? m.find("Created")->as_double() : 0));
  Value pt = Value::map();
  const Value* mpt = m.find("ProvisionedThroughput");
  pt.set("NumberOfDecreasesToday", 0);
  pt.set("ReadCapacityUnits", mpt ? mpt->get_int("ReadCapacityUnits").value_or(0) : 0);
  pt.set("WriteCapacityUnits", mpt ? mpt->get_int("WriteCapacityUnits").value_or(0) : 0);
  d.set("ProvisionedThroughput", pt);
  d.set("TableSizeBytes", n.count ? n.bytes : 0);
  d.set("ItemCount", n.count);
  d.set("TableArn", t.arn());
  d.set("TableId", m.string_or("TableId", ""));
  std::string billing = m.string_or("BillingMode", "PROVISIONED");
  if (billing == "PAY_PER_REQUEST")
    d.set("BillingModeSummary", Value::map()
                                    .set("BillingMode", billing)
                                    .set("LastUpdateToPayPerRequestDateTime",
                                         Value::timestamp(m.find("Created")->as_double())));
  for (bool global : {false, true}) {
    Value list = Value::list();
    for (const IndexInfo& i : t.indexes) {
      if (i.global != global) continue;
      Value idx = Value::map();
      idx.set("IndexName", i.name);
      if (const Value* v = i.description.find("KeySchema")) idx.set("KeySchema", *v);
      if (const Value* v = i.description.find("Projection")) idx.set("Projection", *v);
      if (global) {
        idx.set("IndexStatus", "ACTIVE");
        Value ipt = Value::map();
        const Value* p = i.description.find("ProvisionedThroughput");
        ipt.set("NumberOfDecreasesToday", 0);
        ipt.set("ReadCapacityUnits", p ? p->get_int("ReadCapacityUnits").value_or(0) : 0);
        ipt.set("WriteCapacityUnits", p ? p->get_int("WriteCapacityUnits").value_or(0) : 0);
        idx.set("ProvisionedThroughput", ipt);
      }
      auto stats = n.indexes.find(i.name);
      bool counted = stats != n.indexes.end() && stats->second.first > 0;
      idx.set("IndexSizeBytes", counted ? stats->second.second : 0);
      idx.set("ItemCount", counted ? stats->second.first : 0);
      idx.set("IndexArn", t.arn() + "/index/" + i.name);
      list.push_back(std::move(idx));
    }
    if (list.size()) d.set(global ? "GlobalSecondaryIndexes" : "LocalSecondaryIndexes", list);
  }
  const Value* spec = m.find("StreamSpecification");
  if (spec && spec->get_bool("StreamEnabled").value_or(false)) d.set("StreamSpecification", *spec);
  if (std::optional<std::string> label = m.get_string("StreamLabel")) {
    // The latest stream, still named after it is disabled (it stays readable for 24 hours).
    d.set("LatestStreamLabel", *label);
    d.set("LatestStreamArn", t.arn() + "/stream/" + *label);
  }
  if (const Value* s = m.find("SSEDescription")) d.set("SSEDescription", *s);
  d.set("DeletionProtectionEnabled", m.get_bool("DeletionProtectionEnabled").value_or(false));
  if (const Value* s = m.find("TableClassSummary")) d.set("TableClassSummary", *s);
  return d;
}

Counters counters(Connection& c, const TableInfo& t) {
  Counters n;
  Statement& s = c.prepare("SELECT item_count, size_bytes FROM ddb_tables WHERE id = ?");
  s.bind(1, t.id);
  if (s.step()) {
    n.count = s.column_int(0);
    n.bytes = s.column_int(1);
  }
  if (t.indexes.empty()) return n;
  Statement& i = c.prepare("SELECT idx, item_count, size_bytes FROM ddb_index_stats "
                           "WHERE table_id = ?");
  i.bind(1, t.id);
  while (i.step()) n.indexes[i.column_text(0)] = {i.column_int(1), i.column_int(2)};
  return n;
}

// Validates a KeySchema list against the attribute definitions; returns the names used.
void check_key_schema(const Value* schema, const std::map<std::string, std::string>& defs,
                      std::set<std::string>& used, const std::string& what) {
  if (!schema || !schema->is_list() || schema->as_list().empty() || schema->size() > 2)
    throw err::validation("1 validation error detected: Value null at 'keySchema' failed to "
                          "satisfy constraint: Member must not be null");
  const ValueList& l = schema->as_list();
  if (l[0].string_or("KeyType", "") != "HASH")
    throw err::validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
  if (l.size() == 2 && l[1].string_or("KeyType", "") != "RANGE")
    throw err::validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");
  if (l.size() == 2 && l[0].string_or("AttributeName", "") == l[1].string_or("AttributeName", ""))
    throw err::validation("Invalid KeySchema: Both the Hash Key and the Range Key element in the "
                          "KeySchema have the same name");
  for (const Value& k : l) {
    std::string n = k.string_or("AttributeName", "");
    if (!defs.count(n)) {
      std::string keys, all;
      for (const Value& kk : l) keys += (keys.empty() ? "" : ", ") + kk.string_or("AttributeName", "");
      for (const auto& [dn, dt] : defs) all += (all.empty() ? "" : ", ") + dn;
      throw err::validation("One or more parameter values were invalid: Some index key attributes "
                            "are not defined in AttributeDefinitions. Keys: [" + keys +
                            "], AttributeDefinitions: [" + all + "]");
    }
    used.insert(n);
  }
  (void)what;
}

void check_throughput(const Value& in, const std::string& billing, const Value* pt) {
  if (billing == "PAY_PER_REQUEST" && pt)
    throw err::validation("One or more parameter values were invalid: Neither ReadCapacityUnits "
                          "nor WriteCapacityUnits can be specified when BillingMode is "
                          "PAY_PER_REQUEST");
  if (billing == "PROVISIONED" && !pt)
    throw err::validation("One or more parameter values were invalid: ReadCapacityUnits and "
                          "WriteCapacityUnits must both be specified when BillingMode is "
                          "PROVISIONED");
  if (pt) {
    int64_t r = pt->get_int("ReadCapacityUnits").value_or(0);
    int64_t w = pt->get_int("WriteCapacityUnits").value_or(0);
    if (r < 1 || w < 1)
      throw err::validation("One or more parameter values were invalid: Provisioned throughput "
                            "values must be greater than 0");
  }
  (void)in;
}

std::map<std::string, std::string> attribute_defs(const Value* defs) {
  std::map<std::string, std::string> out;
  if (defs && defs->is_list())
    for (const Value& d : defs->as_list()) {
      std::string t = d.string_or("AttributeType", "");
      if (t != "S" && t != "N" && t != "B")
        throw err::validation("1 validation error detected: Value '" + t +
                              "' at 'attributeDefinitions.1.member.attributeType' failed to "
                              "satisfy constraint: Member must satisfy enum value set: [B, N, S]");
      out[d.string_or("AttributeName", "")] = t;
    }
  return out;
}

// Validates a GSI/LSI definition list and returns it as stored.
Value check_indexes(const Value* list, bool global, const std::map<std::string, std::string>& defs,
                    std::set<std::string>& used, const std::string& billing,
                    const std::string& table_hash, std::set<std::string>& names) {
  Value out = Value::list();
  if (!list || !list->is_list()) return out;
  for (const Value& i : list->as_list()) {
    std::string n = i.string_or("IndexName", "");
    if (n.size() < 3)
      throw err::validation("1 validation error detected: Value '" + n + "' at 'indexName' failed "
                            "to satisfy constraint: Member must have length greater than or "
                            "equal to 3");
    if (!names.insert(n).second)
      throw err::validation("One or more parameter values were invalid: Duplicate index name: " + n);
    check_key_schema(i.find("KeySchema"), defs, used, n);
    if (!global) {
      const ValueList& ks = i.find("KeySchema")->as_list();
      if (ks.size() != 2 || ks[0].string_or("AttributeName", "") != table_hash)
        throw err::validation("One or more parameter values were invalid: Index KeySchema does "
                              "not have the same leading hash key as table KeySchema for index: " +
                              n + ". index hash key: " + ks[0].string_or("AttributeName", "") +
                              ", table hash key: " + table_hash);
    }
    const Value* p = i.find("Projection");
    std::string type = p ? p->string_or("ProjectionType", "") : "";
    if (type.empty())
      throw err::validation("One or more parameter values were invalid: Unknown ProjectionType: null");
    if (type != "INCLUDE" && p->has("NonKeyAttributes"))
      throw err::validation("One or more parameter values were invalid: ProjectionType is " + type +
                            ", but NonKeyAttributes is specified");
    Value stored = Value::map();
    stored.set("IndexName", n);
    stored.set("KeySchema", *i.find("KeySchema"));
    stored.set("Projection", *p);
    if (global) {
      const Value* pt = i.find("ProvisionedThroughput");
      if (billing == "PROVISIONED" && !pt)
        throw err::validation("One or more parameter values were invalid: ProvisionedThroughput "
                              "is not specified for index: " + n);
      if (pt) stored.set("ProvisionedThroughput", *pt);
    }
    out.push_back(std::move(stored));
  }
  return out;
}

Result create_table(Ctx& x) {
  const Value& in = x.in;
  std::string name = table_name_of(in);
  check_table_name(name);
  std::map<std::string, std::string> defs = attribute_defs(in.find("AttributeDefinitions"));
  std::set<std::string> used;
  check_key_schema(in.find("KeySchema"), defs, used, name);
  std::string billing = in.string_or("BillingMode", "PROVISIONED");
  check_throughput(in, billing, in.find("ProvisionedThroughput"));
  std::string table_hash = in.find("KeySchema")->as_list()[0].string_or("AttributeName", "");
  std::set<std::string> index_names;
  if (const Value* l = in.find("LocalSecondaryIndexes"); l && in.find("KeySchema")->size() < 2)
    throw err::validation("One or more parameter values were invalid: Table KeySchema does not "
                          "have a range key, which is required when specifying a "
                          "LocalSecondaryIndex");
  Value lsis = check_indexes(in.find("LocalSecondaryIndexes"), false, defs, used, billing,
                             table_hash, index_names);
  Value gsis = check_indexes(in.find("GlobalSecondaryIndexes"), true, defs, used, billing,
                             table_hash, index_names);
  if (used.size() != defs.size())
    throw err::validation("One or more parameter values were invalid: Number of attributes in "
                          "KeySchema does not exactly match number of attributes defined in "
                          "AttributeDefinitions");
  if (lsis.size() > 5)
    throw err::limit_exceeded("One or more parameter values were invalid: Number of "
                              "LocalSecondaryIndexes exceeds per-table limit of 5");
  if (gsis.size() > 20)
    throw err::limit_exceeded("One or more parameter values were invalid: Number of "
                              "GlobalSecondaryIndexes exceeds per-table limit of 20");
  Value meta = Value::map();
  meta.set("AttributeDefinitions", *in.find("AttributeDefinitions"));
  meta.set("KeySchema", *in.find("KeySchema"));
  meta.set("BillingMode", billing);
  if (const Value* pt = in.find("ProvisionedThroughput")) meta.set("ProvisionedThroughput", *pt);
  if (lsis.size()) meta.set("LocalSecondaryIndexes", lsis);
  if (gsis.size()) meta.set("GlobalSecondaryIndexes", gsis);
  if (const Value* s = in.find("StreamSpecification");
      s && streams::check_specification(*s, true))
    meta.set("StreamSpecification", *s);
  if (const Value* s = in.find("SSESpecification"); s && s->get_bool("Enabled").value_or(false))
    meta.set("SSEDescription", Value::map()
                                   .set("Status", "ENABLED")
                                   .set("SSEType", s->string_or("SSEType", "KMS"))
                                   .set("KMSMasterKeyArn",
                                        "arn:aws:kms:" + x.call.region + ":" + x.account() +
                                            ":key/" + uuid4()));
  if (auto tc = in.get_string("TableClass"))
    meta.set("TableClassSummary", Value::map().set("TableClass", *tc));
  meta.set("DeletionProtectionEnabled", in.get_bool("DeletionProtectionEnabled").value_or(false));
  if (const Value* tags = in.find("Tags")) meta.set("Tags", *tags);
  meta.set("Created", static_cast<double>(x.clock.now_ms()) / 1000.0);
  meta.set("TableId", uuid4());
  int64_t id = x.db.write([&](Connection& c) {
    if (load_table(c, x.account(), x.call.region, name))
      throw err::resource_in_use("Table already exists: " + name);
    c.prepare("INSERT INTO ddb_tables(account, region, name, meta) VALUES (?, ?, ?, ?)")
        .bind_all(x.account(), x.call.region, name, to_json(meta))
        .run();
    int64_t row = c.last_insert_rowid();
    if (const Value* s = meta.find("StreamSpecification")) {
      TablePtr t = make_table(row, 1, x.account(), x.call.region, name, meta);
      meta.set("StreamLabel", streams::enable(c, *t, s->string_or("StreamViewType", ""),
                                              x.clock.now_ms()));
      c.prepare("UPDATE ddb_tables SET meta = ? WHERE id = ?").bind_all(to_json(meta), row).run();
    }
    return row;
  });
  x.svc.forget_table(x.account(), x.call.region, name);
  TablePtr t = make_table(id, 1, x.account(), x.call.region, name, meta);
  Result r;
  r.output.set("TableDescription", table_description(*t, Counters{}));
  return r;
}

Result describe_table(Ctx& x) {
  TablePtr t = require_table(x, table_name_of(x.in));
  Counters n = x.db.read([&](Connection& c) { return counters(c, *t); });
  Result r;
  r.output.set("Table", table_description(*t, n));
  return r;
}

Result list_tables(Ctx& x) {
  int64_t limit = x.in.get_int("Limit").value_or(100);
  if (limit < 1 || limit > 100)
    throw err::validation("1 validation error detected: Value '" + std::to_string(limit) +
                          "' at 'limit' failed to satisfy constraint: Member must have value " +
                          (limit < 1 ? "greater than or equal to 1" : "less than or equal to 100"));
  std::string start = x.in.string_or("ExclusiveStartTableName", "");
  std::vector<std::string> names = x.db.read([&](Connection& c) {
    std::vector<std::string> out;
    Statement& s = c.prepare(
        "SELECT name FROM ddb_tables WHERE account = ? AND region = ? AND name > ? ORDER BY name "
        "LIMIT ?");
    s.bind_all(x.account(), x.call.region, start, limit + 1);
    while (s.step()) out.push_back(s.column_text(0));
    return out;
  });
  Result r;
  r.output.set("TableNames", Value::list());
  bool more = static_cast<int64_t>(names.size()) > limit;
  if (more) names.pop_back();
  for (const std::string& n : names) r.output["TableNames"].push_back(n);
  if (more) r.output.set("LastEvaluatedTableName", names.back());
  return r;
}

Result delete_table(Ctx& x) {
  std::string name = table_name_of(x.in);
  TablePtr t = require_table(x, name);
  Value description = x.db.write([&](Connection& c) {
    TablePtr now = current(c, t);
    if (now->meta.get_bool("DeletionProtectionEnabled").value_or(false))
      throw err::validation("Resource cannot be deleted as it is currently protected against "
                            "deletion. Disable deletion protection first.");
    Counters n = counters(c, *now);
    c.prepare("DELETE FROM ddb_items WHERE table_id = ?").bind(1, now->id).run();
    c.prepare("DELETE FROM ddb_index_stats WHERE table_id = ?").bind(1, now->id).run();
    c.prepare("DELETE FROM ddb_tables WHERE id = ?").bind(1, now->id).run();
    streams::disable(c, *now, x.clock.now_ms());
    return table_description(*now, n, "DELETING");
  });
  x.svc.forget_table(x.account(), x.call.region, name);
  Result r;
  r.output.set("TableDescription", description);
  return r;
}

void save_meta(Connection& c, const TableInfo& t, const Value& meta) {
  c.prepare("UPDATE ddb_tables SET meta = ?, version = version + 1 WHERE id = ?")
      .bind_all(to_json(meta), t.id)
      .run();
}

Result update_table(Ctx& x) {
  const Value& in = x.in;
  std::string name = table_name_of(in);
  TablePtr cached = require_table(x, name);
  Value description = x.db.write([&](Connection& c) {
    TablePtr t = current(c, cached);
    Value meta = t->meta;
    bool changed = false;
    std::string billing = in.string_or("BillingMode", meta.string_or("BillingMode", "PROVISIONED"));
    if (in.has("BillingMode") || in.has("ProvisionedThroughput")) {
      const Value* pt = in.find("ProvisionedThroughput");
      if (billing == "PROVISIONED" && !pt && !meta.has("ProvisionedThroughput"))
        check_throughput(in, billing, nullptr);
      if (billing == "PAY_PER_REQUEST") check_throughput(in, billing, pt);
      if (pt) check_throughput(in, billing, pt);
      meta.set("BillingMode", billing);
      if (pt) meta.set("ProvisionedThroughput", *pt);
      if (billing == "PAY_PER_REQUEST") meta.erase("ProvisionedThroughput");
      changed = true;
    }
    if (auto dp = in.get_bool("DeletionProtectionEnabled")) {
      meta.set("DeletionProtectionEnabled", *dp);
      changed = true;
    }
    if (const Value* s = in.find("StreamSpecification")) {
      bool enable = streams::check_specification(*s, false);
      bool enabled = meta.has("StreamSpecification");
      if (enable && enabled)
        throw err::validation("Table already has an enabled stream: TableName: " + t->name);
      if (!enable && !enabled)
        throw err::validation("Table has no stream to disable: TableName: " + t->name);
      if (enable) {
        meta.set("StreamSpecification", *s);
        meta.set("StreamLabel", streams::enable(c, *t, s->string_or("StreamViewType", ""),
                                                x.clock.now_ms()));
      } else {
        meta.erase("StreamSpecification");
        streams::disable(c, *t, x.clock.now_ms());
      }
      changed = true;
    }
    std::vector<std::string> backfill;
    if (const Value* updates = in.find("GlobalSecondaryIndexUpdates"); updates && updates->is_list()) {
      if (const Value* defs = in.find("AttributeDefinitions")) {
        // Merge new definitions into the table's.
        Value merged = *meta.find("AttributeDefinitions");
        for (const Value& d : defs->as_list()) {
          bool found = false;
          for (const Value& e : merged.as_list())
            if (e.string_or("AttributeName", "") == d.string_or("AttributeName", "")) found = true;
          if (!found) merged.push_back(d);
        }
        meta.set("AttributeDefinitions", merged);
      }
      std::map<std::string, std::string> defs = attribute_defs(meta.find("AttributeDefinitions"));
      Value gsis = meta.has("GlobalSecondaryIndexes") ? *meta.find("GlobalSecondaryIndexes")
                                                      : Value::list();
      for (const Value& u : updates->as_list()) {
        if (const Value* create = u.find("Create")) {
          std::set<std::string> names, used;
          for (const IndexInfo& i : t->indexes) names.insert(i.name);
          Value one = Value::list();
          one.push_back(*create);
          Value checked = check_indexes(&one, true, defs, used, billing, t->hash.name, names);
          if (names.size() == t->indexes.size())
            throw err::validation("One or more parameter values were invalid: Index already "
                                  "exists: " + create->string_or("IndexName", ""));
          gsis.push_back(checked.as_list()[0]);
          backfill.push_back(create->string_or("IndexName", ""));
        } else if (const Value* del = u.find("Delete")) {
          std::string n = del->string_or("IndexName", "");
          ValueList& l = gsis.as_list();
          auto it = std::find_if(l.begin(), l.end(), [&](const Value& g) {
            return g.string_or("IndexName", "") == n;
          });
          if (it == l.end())
            throw err::resource_not_found("Requested resource not found: Table: " + name +
                                          " Index: " + n + " not found");
          l.erase(it);
          c.prepare("DELETE FROM ddb_items WHERE table_id = ? AND idx = ?").bind_all(t->id, n).run();
          c.prepare("DELETE FROM ddb_index_stats WHERE table_id = ? AND idx = ?")
              .bind_all(t->id, n)
              .run();
        } else if (const Value* upd = u.find("Update")) {
          std::string n = upd->string_or("IndexName", "");
          bool found = false;
          for (Value& g : gsis.as_list())
            if (g.string_or("IndexName", "") == n) {
              found = true;
              if (const Value* pt = upd->find("ProvisionedThroughput"))
                g.set("ProvisionedThroughput", *pt);
            }
          if (!found)
            throw err::resource_not_found("Requested resource not found: Table: " + name +
                                          " Index: " + n + " not found");
        }
      }
      if (gsis.size()) meta.set("GlobalSecondaryIndexes", gsis);
      else meta.erase("GlobalSecondaryIndexes");
      changed = true;
    }
    if (!changed)
      throw err::validation("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
                            "GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is "
                            "required");
    save_meta(c, *t, meta);
    TablePtr updated = make_table(t->id, t->version + 1, t->account, t->region, t->name, meta);
    // Backfill new indexes from the base rows.
    for (const std::string& n : backfill) {
      const IndexInfo* i = updated->index(n);
      std::vector<std::pair<KeyBytes, Item>> rows;
      Statement& s = c.prepare("SELECT pk, sk, item FROM ddb_items WHERE table_id = ? AND idx = ''");
      s.bind(1, t->id);
      while (s.step()) rows.push_back({{s.column_blob(0), s.column_blob(1)}, decode_item(s.column_blob(2))});
      int64_t count = 0, bytes = 0;
      for (const auto& [k, item] : rows)
        if (std::optional<IndexEntry> e = index_entry(*updated, *i, item)) {
          put_index_row(c, *updated, *i, k, *e);
          ++count;
          bytes += static_cast<int64_t>(item_size(e->view));
        }
      add_index_stats(c, t->id, n, count, bytes);
    }
    return table_description(*updated, counters(c, *updated), "ACTIVE");
  });
  x.svc.forget_table(x.account(), x.call.region, name);
  Result r;
  r.output.set("TableDescription", description);
  return r;
}

// ---- tags, limits, endpoints, TTL -----------------------------------------------------------

TablePtr table_from_arn(Ctx& x, const std::string& arn) {
  std::string prefix = "arn:aws:dynamodb:" + x.call.region + ":" + x.account() + ":table/";
  if (arn.rfind("arn:aws:dynamodb:", 0) != 0 || arn.find(":table/") == std::string::npos)
    throw err::validation("Invalid TableArn: Invalid ResourceArn provided as input " + arn);
  if (arn.rfind(prefix, 0) != 0)
    throw err::resource_not_found("Requested resource not found: ResourcArn: " + arn + " not found");
  std::string name = arn.substr(prefix.size());
  TablePtr t = x.svc.find_table(x.account(), x.call.region, name);
  if (!t) throw err::resource_not_found("Requested resource not found: ResourcArn: " + arn + " not found");
  return t;
}

Result update_meta(Ctx& x, const TablePtr& cached, const std::function<void(Value&)>& change) {
  x.db.write([&](Connection& c) {
    TablePtr t = current(c, cached);
    Value meta = t->meta;
    change(meta);
    save_meta(c, *t, meta);
  });
  x.svc.forget_table(x.account(), x.call.region, cached->name);
  return Result{};
}

Result tag_resource(Ctx& x) {
  TablePtr t = table_from_arn(x, x.in.string_or("ResourceArn", ""));
  const Value* tags = x.in.find("Tags");
  if (!tags || !tags->is_list())
    throw err::validation("1 validation error detected: Value null at 'tags' failed to satisfy "
                          "constraint: Member must not be null");
  return update_meta(x, t, [&](Value& meta) {
    Value list = meta.has("Tags") ? *meta.find("Tags") : Value::list();
    for (const Value& tag : tags->as_list()) {
      std::string key = tag.string_or("Key", "");
      ValueList& l = list.as_list();
      l.erase(std::remove_if(l.begin(), l.end(),
                             [&](const Value& v) { return v.string_or("Key", "") == key; }),
              l.end());
      list.push_back(tag);
    }
    if (list.size() > 50)
      throw err::validation("One or more parameter values were invalid: The number of tags "
                            "exceeds the limit of 50");
    meta.set("Tags", list);
  });
}

Result untag_resource(Ctx& x) {
  TablePtr t = table_from_arn(x, x.in.string_or("ResourceArn", ""));
  std::set<std::string> keys;
  if (const Value* k = x.in.find("TagKeys"); k && k->is_list())
    for (const Value& v : k->as_list()) keys.insert(v.is_string() ? v.as_string() : "");
  return update_meta(x, t, [&](Value& meta) {
    Value list = meta.has("Tags") ? *meta.find("Tags") : Value::list();
    ValueList& l = list.as_list();
    l.erase(std::remove_if(l.begin(), l.end(),
                           [&](const Value& v) { return keys.count(v.string_or("Key", "")); }),
            l.end());
    meta.set("Tags", list);
  });
}

Result list_tags(Ctx& x) {
  TablePtr t = table_from_arn(x, x.in.string_or("ResourceArn", ""));
  Result r;
  r.output.set("Tags", t->meta.has("Tags") ? *t->meta.find("Tags") : Value::list());
  return r;
}

Result describe_limits(Ctx&) {
  Result r;
  r.output.set("AccountMaxReadCapacityUnits", 80000);
  r.output.set("AccountMaxWriteCapacityUnits", 80000);
  r.output.set("TableMaxReadCapacityUnits", 40000);
  r.output.set("TableMaxWriteCapacityUnits", 40000);
  return r;
}

Result describe_endpoints(Ctx& x) {
  Result r;
  Value e = Value::map();
  e.set("Address", "dynamodb." + x.call.region + ".amazonaws.com");
  e.set("CachePeriodInMinutes", 1440);
  Value list = Value::list();
  list.push_back(std::move(e));
  r.output.set("Endpoints", std::move(list));
  return r;
}

Result update_ttl(Ctx& x) {
  TablePtr t = require_table(x, table_name_of(x.in));
  const Value* spec = x.in.find("TimeToLiveSpecification");
  if (!spec)
    throw err::validation("1 validation error detected: Value null at 'timeToLiveSpecification' "
                          "failed to satisfy constraint: Member must not be null");
  bool enable = spec->get_bool("Enabled").value_or(false);
  std::string attr = spec->string_or("AttributeName", "");
  bool enabled = t->meta.has("TimeToLive");
  if (enable && enabled)
    throw err::validation("TimeToLive is already enabled");
  if (!enable && !enabled)
    throw err::validation("TimeToLive is already disabled");
  update_meta(x, t, [&](Value& meta) {
    if (enable) meta.set("TimeToLive", attr);
    else meta.erase("TimeToLive");
  });
  Result r;
  r.output.set("TimeToLiveSpecification", *spec);
  return r;
}

Result describe_ttl(Ctx& x) {
  TablePtr t = require_table(x, table_name_of(x.in));
  Value d = Value::map();
  if (auto a = t->meta.get_string("TimeToLive")) {
    d.set("TimeToLiveStatus", "ENABLED");
    d.set("AttributeName", *a);
  } else {
    d.set("TimeToLiveStatus", "DISABLED");
  }
  Result r;
  r.output.set("TimeToLiveDescription", d);
  return r;
}

// ---- item collection metrics ----------------------------------------------------------------

// ReturnItemCollectionMetrics of a write request: true for SIZE.
bool metrics_asked(const Value& in) {
  return yes_or_none(in, "ReturnItemCollectionMetrics", "returnItemCollectionMetrics", "SIZE");
}

// Item collections exist only in tables with a local secondary index; AWS reports none for others.
bool has_collections(const TableInfo& t) {
  return std::any_of(t.indexes.begin(), t.indexes.end(), [](const IndexInfo& i) {
    return !i.global;
  });
}

// ItemCollectionMetrics of the collection of `keys`' partition key, measured in the write job
// after the write: the stored table and LSI rows of that key, as a [lower, upper] estimate in GB.
Value collection_metrics(Connection& c, const TableInfo& t, const Item& keys) {
  const Attr& hash = keys.at(t.hash.name);
  std::string pk = key_bytes(hash);
  int64_t bytes = 0;
  auto add = [&](const std::string& idx) {
    Statement& s = c.prepare("SELECT COALESCE(SUM(length(item)), 0) FROM ddb_items "
                             "WHERE table_id = ? AND idx = ? AND pk = ?");
    s.bind(1, t.id).bind(2, idx).bind_blob(3, pk);
    if (s.step()) bytes += s.column_int(0);
  };
  add("");
  for (const IndexInfo& i : t.indexes)
    if (!i.global) add(i.name);
  double gb = std::floor(static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0));
  Item key;
  key[t.hash.name] = hash;
  Value range = Value::list();
  range.push_back(gb);
  range.push_back(gb + 1);
  return Value::map()
      .set("ItemCollectionKey", item_to_value(key))
      .set("SizeEstimateRangeGB", std::move(range));
}

// ---- single-item operations ------------------------------------------------------------------

void check_return_values(const Value& in, std::initializer_list<const char*> allowed) {
  std::string rv = in.string_or("ReturnValues", "NONE");
  for (const char* a : allowed)
    if (rv == a) return;
  if (rv == "NONE" || rv == "ALL_OLD" || rv == "UPDATED_OLD" || rv == "ALL_NEW" || rv == "UPDATED_NEW")
    throw err::validation("Return values set to invalid value");
  throw err::validation("1 validation error detected: Value '" + rv +
                        "' at 'returnValues' failed to satisfy constraint: Member must satisfy "
                        "enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]");
}

Value returned_item(const Item& item) { return item_to_value(item); }

// A read item as the response carries it, projected when the request asks; the item is spent
// (its strings move into the Value rather than being copied once more).
Value returned_item(Item&& item, const std::optional<std::vector<Path>>& projection) {
  if (projection) return item_to_value(project(item, *projection));
  return item_to_value(std::move(item));
}

// ReturnValuesOnConditionCheckFailure of one write (or one transaction item): true for ALL_OLD.
bool old_on_failure(const Value& in) {
  return yes_or_none(in, "ReturnValuesOnConditionCheckFailure",
                     "returnValuesOnConditionCheckFailure", "ALL_OLD");
}

// ConditionalCheckFailedException, carrying the current item as "Item" when asked for.
ApiError condition_failed(bool want_old, const std::optional<Item>& old) {
  ApiError e = err::conditional_check_failed();
  if (want_old && old) e.extra_json.set("Item", item_to_value(*old));
  return e;
}

// Runs a write of one item (put, update or delete) in a write job: loads the old item,
// checks the condition, computes the new item with `make`, stores.
struct WriteOutcome {
  std::optional<Item> old, neu;
  Units units;    // spent on the indexes
  Value metrics;  // ItemCollectionMetrics when asked for
};

// The single-item writes (put, update, delete) run as AsyncWrites (services/service.h), so they
// do not hold a handler thread through the group commit: `write` runs in the write job and fills
// in the outcome, `respond` makes the output from it after the commit. Both run after the
// operation has returned: they own their state (a shared_ptr each operation captures) and may
// reference the input, which lives until the call is answered.
template <class Write, class Respond>
Result item_write(Ctx& x, Write write, Respond respond) {
  auto outcome = std::make_shared<WriteOutcome>();
  Result r;
  r.write = AsyncWrite{&x.db, [outcome, write](Connection& c) { write(c, *outcome); },
                       [outcome, respond](Result& done) {
                         done.output = Value::map();
                         respond(*outcome, done.output);
                       }};
  return r;
}

// What a single-item write decided before its job runs (item_write_of() fills in the common
// part; each operation then checks its own input and sets k and metrics, in AWS's order).
struct ItemWrite {
  TablePtr cached;
  Item item;  // the item to put, or the key to update or delete
  KeyBytes k;
  bool want_old = false;
  Exprs e;
  bool metrics = false;
  const Clock* clock = nullptr;
  std::vector<UpdateAction> actions;  // UpdateItem
};

std::shared_ptr<ItemWrite> item_write_of(Ctx& x, TablePtr cached, Item item) {
  auto w = std::make_shared<ItemWrite>();
  w->cached = std::move(cached);
  w->item = std::move(item);
  w->want_old = old_on_failure(x.in);
  w->e = parse_exprs(x.in);
  w->clock = &x.clock;
  return w;
}

Result put_item(Ctx& x) {
  const Value& in = x.in;
  TablePtr cached = require_table(x, table_name_of(in));
  check_return_values(in, {"NONE", "ALL_OLD"});
  if (!in.has("Item"))
    throw err::validation("1 validation error detected: Value null at 'item' failed to satisfy "
                          "constraint: Member must not be null");
  auto p = item_write_of(x, cached, item_from_value(*in.find("Item")));
  check_item(*cached, p->item);
  p->k = key_bytes_of(*cached, p->item);
  p->metrics = metrics_asked(in) && has_collections(*cached);
  return item_write(
      x,
      [p](Connection& c, WriteOutcome& o) {
        TablePtr t = current(c, p->cached);
        if (t != p->cached) check_item(*t, p->item);
        o.old = get_row(c, t->id, p->k);
        if (p->e.condition && !evaluate(*p->e.condition, o.old ? *o.old : Item{}))
          throw condition_failed(p->want_old, o.old);
        o.neu = std::move(p->item);  // the job runs once; the item is o.neu from here on
        o.units = store(c, *t, p->k, o.old, o.neu, p->clock->now_ms());
        if (p->metrics) o.metrics = collection_metrics(c, *t, *o.neu);
      },
      [p, &in](WriteOutcome& w, Value& out) {
        if (p->metrics) out.set("ItemCollectionMetrics", w.metrics);
        if (in.string_or("ReturnValues", "NONE") == "ALL_OLD" && w.old)
          out.set("Attributes", returned_item(*w.old));
        w.units.table = write_units(std::max(item_size(*w.neu), w.old ? item_size(*w.old) : 0));
        add_capacity(out, in, p->cached->name, w.units);
      });
}

Result delete_item(Ctx& x) {
  const Value& in = x.in;
  TablePtr cached = require_table(x, table_name_of(in));
  check_return_values(in, {"NONE", "ALL_OLD"});
  auto d = item_write_of(x, cached, key_from(*cached, in.find("Key")));
  d->k = key_bytes_of(*cached, d->item);
  d->metrics = metrics_asked(in) && has_collections(*cached);
  return item_write(
      x,
      [d](Connection& c, WriteOutcome& o) {
        TablePtr t = current(c, d->cached);
        o.old = get_row(c, t->id, d->k);
        if (d->e.condition && !evaluate(*d->e.condition, o.old ? *o.old : Item{}))
          throw condition_failed(d->want_old, o.old);
        if (o.old) o.units = store(c, *t, d->k, o.old, std::nullopt, d->clock->now_ms());
        if (d->metrics) o.metrics = collection_metrics(c, *t, d->item);
      },
      [d, &in](WriteOutcome& w, Value& out) {
        if (d->metrics) out.set("ItemCollectionMetrics", w.metrics);
        if (in.string_or("ReturnValues", "NONE") == "ALL_OLD" && w.old)
          out.set("Attributes", returned_item(*w.old));
        w.units.table = write_units(w.old ? item_size(*w.old) : 0);
        add_capacity(out, in, d->cached->name, w.units);
      });
}

void check_update_paths(const TableInfo& t, const std::vector<UpdateAction>& actions) {
  for (const UpdateAction& a : actions) {
    const std::string& n = a.path[0].name;
    if (n == t.hash.name || (t.has_range() && n == t.range.name))
      throw err::validation("One or more parameter values were invalid: Cannot update attribute " +
                            n + ". This attribute is part of the key");
  }
}

Item updated_item(const TableInfo& t, const Item& key, const std::optional<Item>& old,
                  const std::vector<UpdateAction>& actions) {
  Item item = old ? *old : key;
  apply_update(item, actions);
  check_index_keys(t, item);
  if (item_size(item) > kMaxItemBytes)
    throw err::validation("Item size to update has exceeded the maximum allowed size");
  return item;
}

Result update_item(Ctx& x) {
  const Value& in = x.in;
  TablePtr cached = require_table(x, table_name_of(in));
  check_return_values(in, {"NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"});
  auto u = item_write_of(x, cached, key_from(*cached, in.find("Key")));
  if (u->e.update) u->actions = std::move(*u->e.update);
  else if (const Value* au = in.find("AttributeUpdates"); au && au->is_map())
    u->actions = legacy_updates(*au);
  check_update_paths(*cached, u->actions);
  u->k = key_bytes_of(*cached, u->item);
  u->metrics = metrics_asked(in) && has_collections(*cached);
  return item_write(
      x,
      [u](Connection& c, WriteOutcome& o) {
        TablePtr t = current(c, u->cached);
        o.old = get_row(c, t->id, u->k);
        if (u->e.condition && !evaluate(*u->e.condition, o.old ? *o.old : Item{}))
          throw condition_failed(u->want_old, o.old);
        o.neu = updated_item(*t, u->item, o.old, u->actions);
        o.units = store(c, *t, u->k, o.old, o.neu, u->clock->now_ms());
        if (u->metrics) o.metrics = collection_metrics(c, *t, u->item);
      },
      [u, &in](WriteOutcome& w, Value& out) {
        if (u->metrics) out.set("ItemCollectionMetrics", w.metrics);
        std::string rv = in.string_or("ReturnValues", "NONE");
        std::vector<Path> paths;
        if (rv == "UPDATED_OLD" || rv == "UPDATED_NEW")
          for (const UpdateAction& a : u->actions) paths.push_back(a.path);
        if (rv == "ALL_OLD" && w.old) out.set("Attributes", returned_item(*w.old));
        if (rv == "ALL_NEW") out.set("Attributes", returned_item(*w.neu));
        if (rv == "UPDATED_OLD" && w.old) {
          Item p = project(*w.old, paths);
          if (!p.empty()) out.set("Attributes", returned_item(p));
        }
        if (rv == "UPDATED_NEW") {
          Item p = project(*w.neu, paths);
          if (!p.empty()) out.set("Attributes", returned_item(p));
        }
        w.units.table = write_units(std::max(item_size(*w.neu), w.old ? item_size(*w.old) : 0));
        add_capacity(out, in, u->cached->name, w.units);
      });
}

Result get_item(Ctx& x) {
  const Value& in = x.in;
  TablePtr t = require_table(x, table_name_of(in));
  Item key = key_from(*t, in.find("Key"));
  Exprs e = parse_exprs(in);
  KeyBytes k = key_bytes_of(*t, key);
  std::optional<Item> item = x.db.read([&](Connection& c) { return get_row(c, t->id, k); });
  size_t size = item ? item_size(*item) : 0;  // capacity is of the whole item, not the projection
  Result r;
  r.output = Value::map();
  if (item) r.output.set("Item", returned_item(std::move(*item), e.projection));
  add_capacity(r.output, in, t->name,
               read_units(size, in.get_bool("ConsistentRead").value_or(false)));
  return r;
}

// ---- Query and Scan --------------------------------------------------------------------------

struct KeyRange {
  std::string pk;
  bool has_pk = false;
  std::optional<std::string> lo, hi;  // sk >= lo, sk <= hi (inclusive)
  std::optional<std::string> lo_ex, hi_ex;  // sk > lo_ex, sk < hi_ex
  std::optional<std::string> prefix;
};

std::string successor(std::string s) {
  while (!s.empty() && static_cast<unsigned char>(s.back()) == 0xFF) s.pop_back();
  if (s.empty()) return s;
  s.back() = static_cast<char>(static_cast<unsigned char>(s.back()) + 1);
  return s;
}

// Turns a key condition into a range on (pk, sk), checking it against the key schema.
KeyRange key_range(const Condition& cond, const KeyDef& hash, const KeyDef& range) {
  std::vector<const Condition*> parts;
  std::function<void(const Condition&)> flatten = [&](const Condition& c) {
    if (c.kind == Condition::Kind::And) {
      flatten(c.children[0]);
      flatten(c.children[1]);
    } else {
      parts.push_back(&c);
    }
  };
  flatten(cond);
  KeyRange r;
  bool has_range_cond = false;
  for (const Condition* c : parts) {
    if (c->kind == Condition::Kind::Or || c->kind == Condition::Kind::Not)
      throw err::validation(std::string("Invalid operator used in KeyConditionExpression: ") +
                            (c->kind == Condition::Kind::Or ? "OR" : "NOT"));
    if (c->kind != Condition::Kind::Compare && c->kind != Condition::Kind::Between &&
        c->kind != Condition::Kind::BeginsWith)
      throw err::validation("Query key condition not supported");
    if (c->kind == Condition::Kind::Compare && c->op == "<>")
      throw err::validation("Unsupported operator on KeyConditionExpression: operator: <>");
    // Normalize "value op path" to "path op' value".
    const Operand* path = &c->operands[0];
    std::string op = c->op;
    std::vector<const Operand*> values;
    for (size_t i = 1; i < c->operands.size(); ++i) values.push_back(&c->operands[i]);
    if (c->kind == Condition::Kind::Compare && path->kind == Operand::Kind::Literal &&
        c->operands[1].kind == Operand::Kind::PathRef) {
      std::swap(path, values[0]);
      static const std::map<std::string, std::string> flip = {
          {"=", "="}, {"<", ">"}, {"<=", ">="}, {">", "<"}, {">=", "<="}};
      op = flip.at(op);
    }
    if (path->kind != Operand::Kind::PathRef || path->path.size() != 1)
      throw err::validation("Query key condition not supported");
    for (const Operand* v : values)
      if (v->kind != Operand::Kind::Literal)
        throw err::validation("Query key condition not supported");
    const std::string& name = path->path[0].name;
    const KeyDef* def = name == hash.name ? &hash : (name == range.name ? &range : nullptr);
    if (!def) throw err::validation("Query condition missed key schema element: " +
                                    (range.name.empty() || has_range_cond ? hash.name : range.name));
    for (const Operand* v : values)
      if (v->literal.type != def->type)
        throw err::validation("One or more parameter values were invalid: Condition parameter "
                              "type does not match schema type");
    if (def == &hash) {
      if (c->kind != Condition::Kind::Compare || op != "=")
        throw err::validation("Query key condition not supported");
      if (r.has_pk) throw err::validation("KeyConditionExpressions must only contain one condition per key");
      r.has_pk = true;
      r.pk = key_bytes(values[0]->literal);
      continue;
    }
    if (has_range_cond)
      throw err::validation("KeyConditionExpressions must only contain one condition per key");
    has_range_cond = true;
    if (c->kind == Condition::Kind::Between) {
      r.lo = key_bytes(values[0]->literal);
      r.hi = key_bytes(values[1]->literal);
    } else if (c->kind == Condition::Kind::BeginsWith) {
      if (def->type == Type::N)
        throw err::validation("Invalid KeyConditionExpression: Incorrect operand type for operator "
                              "or function; operator or function: begins_with, operand type: N");
      r.prefix = values[0]->literal.s;
    } else {
      std::string b = key_bytes(values[0]->literal);
      if (op == "=") r.lo = r.hi = b;
      else if (op == "<") r.hi_ex = b;
      else if (op == "<=") r.hi = b;
      else if (op == ">") r.lo_ex = b;
      else r.lo = b;
    }
  }
  if (!r.has_pk) throw err::validation("Query condition missed key schema element: " + hash.name);
  return r;
}

struct Row {
  std::string pk, sk, tpk, tsk;
  Item item;
};

// The paging key an item yields: table keys, plus the index keys when reading an index.
Value last_key(const TableInfo& t, const IndexInfo* index, const Item& item) {
  Item k;
  for (const std::string* n : {&t.hash.name, &t.range.name,
                               index ? &index->hash.name : nullptr,
                               index ? &index->range.name : nullptr}) {
    if (!n || n->empty()) continue;
    auto it = item.find(*n);
    if (it != item.end()) k[*n] = it->second;
  }
  return item_to_value(k);
}

Result query_or_scan(Ctx& x, bool is_query) {
  const Value& in = x.in;
  TablePtr t = require_table(x, table_name_of(in));
  const IndexInfo* index = nullptr;
  if (auto n = in.get_string("IndexName")) {
    index = t->index(*n);
    if (!index)
      throw err::validation("The table does not have the specified index: " + *n);
    if (index->global && in.get_bool("ConsistentRead").value_or(false))
      throw err::validation("Consistent reads are not supported on global secondary indexes");
  }
  const KeyDef& hash = index ? index->hash : t->hash;
  const KeyDef& range = index ? index->range : t->range;
  Exprs e = parse_exprs(in);
  std::optional<int64_t> limit = in.get_int("Limit");
  if (limit && *limit < 1)
    throw err::validation("1 validation error detected: Value '" + std::to_string(*limit) +
                          "' at 'limit' failed to satisfy constraint: Member must have value "
                          "greater than or equal to 1");
  std::string select = in.string_or("Select", e.projection ? "SPECIFIC_ATTRIBUTES"
                                                 : (index ? "ALL_PROJECTED_ATTRIBUTES" : "ALL_ATTRIBUTES"));
  if (select == "SPECIFIC_ATTRIBUTES" && !e.projection)
    throw err::validation("1 validation error detected: Value 'SPECIFIC_ATTRIBUTES' requires "
                          "ProjectionExpression or AttributesToGet");
  if (select != "SPECIFIC_ATTRIBUTES" && e.projection && in.has("Select"))
    throw err::validation("Cannot specify the AttributesToGet when choosing to get only the Count");
  if (select == "ALL_PROJECTED_ATTRIBUTES" && !index)
    throw err::validation("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName");
  bool fetch_base = false;
  if (index && index->projection != "ALL" && (select == "ALL_ATTRIBUTES" || e.projection)) {
    if (index->global && select == "ALL_ATTRIBUTES")
      throw err::validation("One or more parameter values were invalid: Select type ALL_ATTRIBUTES "
                            "is not supported for global secondary index " + index->name +
                            " because its projection type is not ALL");
    fetch_base = !index->global;
  }
  KeyRange kr;
  bool forward = in.get_bool("ScanIndexForward").value_or(true);
  if (is_query) {
    if (!e.key)
      throw err::validation("Either the KeyConditions or KeyConditionExpression parameter must be "
                            "specified in the request.");
    kr = key_range(*e.key, hash, range);
  }
  int segment = 0, total_segments = 0;
  if (!is_query) {
    forward = true;
    if (in.has("Segment") != in.has("TotalSegments"))
      throw err::validation(in.has("Segment")
                                ? "The TotalSegments parameter is required but was not present in the request when Segment parameter is present"
                                : "The Segment parameter is required but was not present in the request when parameter TotalSegments is present");
    total_segments = static_cast<int>(in.get_int("TotalSegments").value_or(0));
    segment = static_cast<int>(in.get_int("Segment").value_or(0));
    if (in.has("TotalSegments") && (total_segments < 1 || total_segments > 1000000))
      throw err::validation("1 validation error detected: Value '" + std::to_string(total_segments) +
                            "' at 'totalSegments' failed to satisfy constraint: Member must have "
                            "value less than or equal to 1000000");
    if (in.has("Segment") && (segment < 0 || segment >= total_segments))
      throw err::validation("The Segment parameter is zero-based and must be less than parameter "
                            "TotalSegments: Segment: " + std::to_string(segment) +
                            " is out of bounds of TotalSegments: " + std::to_string(total_segments));
  }
  // ExclusiveStartKey -> the row position to continue after.
  std::optional<Row> start;
  if (const Value* esk = in.find("ExclusiveStartKey")) {
    Item k = item_from_value(*esk);
    auto need = [&](const KeyDef& d) -> std::string {
      if (d.name.empty()) return "";
      auto it = k.find(d.name);
      if (it == k.end() || it->second.type != d.type)
        throw err::validation("The provided starting key is invalid: The provided key element "
                              "does not match the schema");
      return key_bytes(it->second);
    };
    Row s;
    s.pk = need(hash);
    s.sk = need(range);
    if (index) {
      s.tpk = need(t->hash);
      s.tsk = need(t->range);
    }
    if (is_query && s.pk != kr.pk)
      throw err::validation("The provided starting key is invalid: The provided key element does "
                            "not match the schema");
    start = s;
  }
  std::string sql = "SELECT pk, sk, tpk, tsk, item FROM ddb_items WHERE table_id = ?1 AND idx = ?2";
  if (is_query) {
    sql += " AND pk = ?3";
    if (kr.lo) sql += " AND sk >= ?4";
    if (kr.lo_ex) sql += " AND sk > ?4";
    if (kr.hi) sql += " AND sk <= ?5";
    if (kr.hi_ex) sql += " AND sk < ?5";
    if (kr.prefix) {
      sql += " AND sk >= ?4";
      if (!successor(*kr.prefix).empty()) sql += " AND sk < ?5";
    }
    if (start) sql += forward ? " AND (sk, tpk, tsk) > (?6, ?7, ?8)" : " AND (sk, tpk, tsk) < (?6, ?7, ?8)";
    sql += forward ? " ORDER BY sk, tpk, tsk" : " ORDER BY sk DESC, tpk DESC, tsk DESC";
  } else {
    if (start) sql += " AND (pk, sk, tpk, tsk) > (?3, ?4, ?5, ?6)";
    sql += " ORDER BY pk, sk, tpk, tsk";
  }
  bool consistent = in.get_bool("ConsistentRead").value_or(false);
  struct Page {
    std::vector<Item> items;
    int64_t scanned = 0;
    size_t bytes = 0;
    std::optional<Item> last;
  };
  Page page = x.db.read([&](Connection& c) {
    Page p;
    Statement& s = c.prepare(sql);
    s.bind(1, t->id).bind(2, index ? index->name : std::string());
    if (is_query) {
      s.bind_blob(3, kr.pk);
      if (kr.lo) s.bind_blob(4, *kr.lo);
      if (kr.lo_ex) s.bind_blob(4, *kr.lo_ex);
      if (kr.hi) s.bind_blob(5, *kr.hi);
      if (kr.hi_ex) s.bind_blob(5, *kr.hi_ex);
      if (kr.prefix) {
        s.bind_blob(4, *kr.prefix);
        std::string succ = successor(*kr.prefix);
        if (!succ.empty()) s.bind_blob(5, succ);
      }
      if (start) s.bind_blob(6, start->sk).bind_blob(7, start->tpk).bind_blob(8, start->tsk);
    } else if (start) {
      s.bind_blob(3, start->pk).bind_blob(4, start->sk).bind_blob(5, start->tpk).bind_blob(6, start->tsk);
    }
    std::vector<std::pair<std::string, std::string>> base_keys;
    while (s.step()) {
      std::string pk = s.column_blob(0);
      if (total_segments > 0 &&
          static_cast<int>(crc32(pk) % static_cast<uint32_t>(total_segments)) != segment)
        continue;
      Item item = decode_item(s.column_blob(4));
      size_t size = item_size(item);
      ++p.scanned;
      p.bytes += size;
      bool full = (limit && p.scanned >= *limit) || p.bytes >= kPageBytes;
      if (fetch_base) base_keys.emplace_back(s.column_blob(2), s.column_blob(3));
      bool kept = !e.filter || evaluate(*e.filter, item);
      if (!kept && fetch_base) base_keys.pop_back();
      if (full) {  // the page's last item: its key pages, so it is kept twice
        if (kept) p.items.push_back(item);
        p.last = std::move(item);
        break;
      }
      if (kept) p.items.push_back(std::move(item));
    }
    if (fetch_base)
      for (size_t i = 0; i < base_keys.size(); ++i)
        if (auto full = get_row(c, t->id, {base_keys[i].first, base_keys[i].second}))
          p.items[i] = std::move(*full);
    return p;
  });
  // A filter may leave the last scanned item out: its key still pages.
  Result r;
  r.output = Value::map();
  if (select != "COUNT") {
    Value items = Value::list();
    items.as_list().reserve(page.items.size());
    for (Item& item : page.items) items.push_back(returned_item(std::move(item), e.projection));
    r.output.set("Items", std::move(items));
  }
  r.output.set("Count", static_cast<int64_t>(page.items.size()));
  r.output.set("ScannedCount", page.scanned);
  if (page.last) r.output.set("LastEvaluatedKey", last_key(*t, index, *page.last));
  // A read of an index is charged to the index (the table's part is zero).
  Units units;
  double read = read_units(page.bytes, consistent);
  if (!index) units.table = read;
  else (index->global ? units.global : units.local)[index->name] = read;
  add_capacity(r.output, in, t->name, units);
  return r;
}

Result query(Ctx& x) { return query_or_scan(x, true); }
Result scan(Ctx& x) { return query_or_scan(x, false); }

// ---- batches ----------------------------------------------------------------------------------

Result batch_get_item(Ctx& x) {
  const Value* req = x.in.find("RequestItems");
  if (!req || !req->is_map() || req->as_map().empty())
    throw err::validation("1 validation error detected: Value null at 'requestItems' failed to "
                          "satisfy constraint: Member must not be null");
  struct Want {
    TablePtr table;
    std::vector<std::pair<Item, KeyBytes>> keys;
    Exprs exprs;
    std::string name;
  };
  std::vector<Want> wants;
  size_t total = 0;
  for (const auto& [name, spec] : req->as_map()) {
    Want w;
    w.name = name;
    w.table = require_table(x, name);
    w.exprs = parse_exprs(spec);
    std::set<KeyBytes> seen;
    if (const Value* keys = spec.find("Keys"); keys && keys->is_list())
      for (const Value& kv : keys->as_list()) {
        Item k = key_from(*w.table, &kv);
        KeyBytes b = key_bytes_of(*w.table, k);
        if (!seen.insert(b).second)
          throw err::validation("Provided list of item keys contains duplicates");
        w.keys.emplace_back(std::move(k), b);
      }
    total += w.keys.size();
    wants.push_back(std::move(w));
  }
  if (total > 100)
    throw err::validation("Too many items requested for the BatchGetItem call");
  Result r;
  r.output = Value::map();
  Value responses = Value::map();
  x.db.read([&](Connection& c) {
    for (const Want& w : wants) {
      Value list = Value::list();
      size_t bytes = 0;
      for (const auto& [k, b] : w.keys)
        if (auto item = get_row(c, w.table->id, b)) {
          bytes += item_size(*item);
          list.push_back(returned_item(std::move(*item), w.exprs.projection));
        }
      responses.set(w.name, std::move(list));
      add_capacity(r.output, x.in, w.name, read_units(bytes, false), true);
    }
  });
  r.output.set("Responses", std::move(responses));
  r.output.set("UnprocessedKeys", Value::map());
  return r;
}

Result batch_write_item(Ctx& x) {
  const Value* req = x.in.find("RequestItems");
  if (!req || !req->is_map() || req->as_map().empty())
    throw err::validation("1 validation error detected: Value null at 'requestItems' failed to "
                          "satisfy constraint: Member must not be null");
  struct Op {
    TablePtr table;
    KeyBytes key;
    Item keys;                 // the key attributes
    std::optional<Item> item;  // put when set, else delete
  };
  bool metrics = metrics_asked(x.in);
  std::vector<Op> ops;
  for (const auto& [name, list] : req->as_map()) {
    TablePtr t = require_table(x, name);
    std::set<KeyBytes> seen;
    if (!list.is_list()) continue;
    for (const Value& w : list.as_list()) {
      Op op;
      op.table = t;
      const Value* put = w.find("PutRequest");
      const Value* del = w.find("DeleteRequest");
      if ((put != nullptr) == (del != nullptr))
        throw err::validation("Supplied AttributeValue has more than one datatypes set, must "
                              "contain exactly one of the supported datatypes");
      if (put) {
        Item item = item_from_value(put->find("Item") ? *put->find("Item") : Value::map());
        check_item(*t, item);
        op.key = key_bytes_of(*t, item);
        op.keys = key_of_item(*t, item);
        op.item = std::move(item);
      } else {
        op.keys = key_from(*t, del->find("Key"));
        op.key = key_bytes_of(*t, op.keys);
      }
      if (!seen.insert(op.key).second)
        throw err::validation("Provided list of item keys contains duplicates");
      ops.push_back(std::move(op));
    }
  }
  if (ops.size() > 25)
    throw err::validation("Too many items requested for the BatchWriteItem call");
  if (ops.empty())
    throw err::validation("1 validation error detected: Value '{}' at 'requestItems' failed to "
                          "satisfy constraint: Map value must satisfy constraint: [Member must "
                          "have length less than or equal to 25, Member must have length greater "
                          "than or equal to 1]");
  std::map<std::string, Units> units;
  Value collections = Value::map();
  x.db.write([&](Connection& c) {
    std::map<int64_t, TablePtr> now;
    Tally tally;
    for (Op& op : ops) {
      TablePtr& t = now[op.table->id];
      if (!t) t = current(c, op.table);
      std::optional<Item> old = get_row(c, t->id, op.key);
      if (op.item) check_index_keys(*t, *op.item);
      Units& u = units[t->name];
      u += store(c, *t, op.key, old, op.item, x.clock.now_ms(), tally);
      u.table += write_units(std::max(op.item ? item_size(*op.item) : 0,
                                      old ? item_size(*old) : 0));
      if (metrics && has_collections(*t))
        collections[t->name].push_back(collection_metrics(c, *t, op.keys));
    }
    tally.flush(c);
  });
  Result r;
  r.output = Value::map();
  r.output.set("UnprocessedItems", Value::map());
  if (metrics) r.output.set("ItemCollectionMetrics", collections);
  for (const auto& [name, u] : units) add_capacity(r.output, x.in, name, u, true);
  return r;
}

// ---- transactions ---------------------------------------------------------------------------

// A length-prefixed, kind-tagged serialization of a Value: equal requests give equal bytes, so
// its SHA-256 identifies a TransactWriteItems request for ClientRequestToken idempotency.
void canonical(std::string& out, const Value& v) {
  auto put = [&](char tag, const std::string& s) {
    out += tag;
    out += std::to_string(s.size());
    out += ':';
    out += s;
  };
  switch (v.kind()) {
    case Value::Kind::Null: out += 'z'; break;
    case Value::Kind::Bool: out += v.as_bool() ? 't' : 'f'; break;
    case Value::Kind::Integer: put('i', std::to_string(v.as_int())); break;
    case Value::Kind::Double:
    case Value::Kind::Timestamp: {
      double d = v.is_double() ? v.as_double() : v.as_timestamp();
      put('d', std::string(reinterpret_cast<const char*>(&d), sizeof d));
      break;
    }
    case Value::Kind::String: put('s', v.as_string()); break;
    case Value::Kind::List:
      out += 'l' + std::to_string(v.size()) + ':';
      for (const Value& e : v.as_list()) canonical(out, e);
      break;
    case Value::Kind::Map:
      out += 'm' + std::to_string(v.size()) + ':';
      for (const auto& [k, m] : v.as_map()) {
        put('k', k);
        canonical(out, m);
      }
      break;
  }
}

constexpr int64_t kTokenLifetimeMs = 10 * 60 * 1000;  // AWS: a token is valid for 10 minutes

// ClientRequestToken: true when this token already applied the same request (within its
// lifetime), so the caller returns success without writing; throws on a different request;
// otherwise records the token. Runs inside the transaction's write job.
bool seen_token(Connection& c, const std::string& account, const std::string& token,
                const std::string& digest, EpochMillis now) {
  c.prepare("DELETE FROM ddb_tx_tokens WHERE expires_ms <= ?").bind(1, now).run();
  Statement& s = c.prepare("SELECT digest FROM ddb_tx_tokens WHERE account = ? AND token = ?");
  s.bind(1, account).bind(2, token);
  if (s.step()) {
    if (s.column_text(0) != digest) throw err::idempotent_parameter_mismatch();
    return true;
  }
  c.prepare("INSERT INTO ddb_tx_tokens(account, token, digest, expires_ms) VALUES (?, ?, ?, ?)")
      .bind(1, account).bind(2, token).bind(3, digest).bind(4, now + kTokenLifetimeMs).run();
  return false;
}

Result transact_write_items(Ctx& x) {
  const Value* items = x.in.find("TransactItems");
  if (!items || !items->is_list() || items->as_list().empty())
    throw err::validation("1 validation error detected: Value null at 'transactItems' failed to "
                          "satisfy constraint: Member must not be null");
  if (items->size() > 100)
    throw err::validation("1 validation error detected: Value at 'transactItems' failed to satisfy "
                          "constraint: Member must have length less than or equal to 100");
  struct Op {
    enum Kind { Check, Put, Delete, Update } kind;
    TablePtr table;
    Item key;
    KeyBytes bytes;
    std::optional<Item> item;
    Exprs exprs;
    std::vector<UpdateAction> actions;
    bool want_old = false;
  };
  std::vector<Op> ops;
  std::set<std::pair<int64_t, KeyBytes>> seen;
  for (const Value& ti : items->as_list()) {
    Op op;
    const Value* spec = nullptr;
    if ((spec = ti.find("ConditionCheck"))) op.kind = Op::Check;
    else if ((spec = ti.find("Put"))) op.kind = Op::Put;
    else if ((spec = ti.find("Delete"))) op.kind = Op::Delete;
    else if ((spec = ti.find("Update"))) op.kind = Op::Update;
    else throw err::validation("TransactItems can only contain one of Check, Put, Update or Delete");
    op.table = require_table(x, table_name_of(*spec));
    op.exprs = parse_exprs(*spec);
    op.want_old = old_on_failure(*spec);
    if (op.kind == Op::Check && !op.exprs.condition)
      throw err::validation("The ConditionExpression is required for ConditionCheck");
    if (op.kind == Op::Put) {
      op.item = item_from_value(spec->find("Item") ? *spec->find("Item") : Value::map());
      check_item(*op.table, *op.item);
      op.key = key_of_item(*op.table, *op.item);
    } else {
      op.key = key_from(*op.table, spec->find("Key"));
    }
    if (op.kind == Op::Update) {
      if (!op.exprs.update) throw err::validation("Invalid UpdateExpression: The expression can not be empty;");
      op.actions = *op.exprs.update;
      check_update_paths(*op.table, op.actions);
    }
    op.bytes = key_bytes_of(*op.table, op.key);
    if (!seen.insert({op.table->id, op.bytes}).second)
      throw err::validation("Transaction request cannot include multiple operations on one item");
    ops.push_back(std::move(op));
  }
  bool metrics = metrics_asked(x.in);
  Value collections = Value::map();
  TableUnits spent;
  std::optional<std::string> token = x.in.get_string("ClientRequestToken");
  if (token && (token->empty() || token->size() > 36))
    throw err::validation("1 validation error detected: Value '" + *token +
                          "' at 'clientRequestToken' failed to satisfy constraint: Member must "
                          "have length less than or equal to 36");
  std::string digest;
  if (token) {
    std::string bytes;
    canonical(bytes, *items);
    digest = sha256_hex(bytes);
  }
  bool repeat = false;
  x.db.write([&](Connection& c) {
    if (token && seen_token(c, x.account(), *token, digest, x.clock.now_ms())) {
      // A repeat changes nothing; AWS reports the read units of reading its items instead.
      repeat = true;
      for (const Op& op : ops) {
        std::optional<Item> item = get_row(c, op.table->id, op.bytes);
        spent[op.table->name].table += read_units(item ? item_size(*item) : 0, true);
      }
      return;
    }
    std::vector<std::optional<Item>> olds;
    std::string joined;
    Value reasons = Value::list();
    bool failed = false;
    for (Op& op : ops) {
      op.table = current(c, op.table);
      olds.push_back(get_row(c, op.table->id, op.bytes));
      const std::optional<Item>& old = olds.back();
      bool ok = !op.exprs.condition || evaluate(*op.exprs.condition, old ? *old : Item{});
      Value reason;
      reason.set("Code", ok ? "None" : "ConditionalCheckFailed");
      if (!ok) {
        reason.set("Message", "The conditional request failed");
        if (op.want_old && old) reason.set("Item", item_to_value(*old));
      }
      reasons.push_back(std::move(reason));
      joined += std::string(joined.empty() ? "" : ", ") + (ok ? "None" : "ConditionalCheckFailed");
      failed = failed || !ok;
    }
    if (failed) {
      ApiError e = err::transaction_canceled(joined);
      e.extra_json.set("CancellationReasons", std::move(reasons));
      throw e;
    }
    EpochMillis now = x.clock.now_ms();
    Tally tally;
    for (size_t i = 0; i < ops.size(); ++i) {
      Op& op = ops[i];
      Units& units = spent[op.table->name];
      std::optional<Item> neu;
      switch (op.kind) {
        case Op::Check: break;
        case Op::Put:
          neu = op.item;
          units += store(c, *op.table, op.bytes, olds[i], neu, now, tally);
          break;
        case Op::Delete:
          if (olds[i]) units += store(c, *op.table, op.bytes, olds[i], std::nullopt, now, tally);
          break;
        case Op::Update:
          neu = updated_item(*op.table, op.key, olds[i], op.actions);
          units += store(c, *op.table, op.bytes, olds[i], neu, now, tally);
          break;
      }
      // Twice a write's units on the table (prepare and commit; a check too, on the item it
      // read); the indexes cost what the same write costs outside a transaction.
      units.table += 2 * write_units(std::max(olds[i] ? item_size(*olds[i]) : 0,
                                              neu ? item_size(*neu) : 0));
      if (metrics && op.kind != Op::Check && has_collections(*op.table))
        collections[op.table->name].push_back(collection_metrics(c, *op.table, op.key));
    }
    tally.flush(c);
  });
  Result r;
  r.output = Value::map();
  if (metrics) r.output.set("ItemCollectionMetrics", collections);
  for (const auto& [name, u] : spent.tables)
    add_capacity(r.output, x.in, name, u, true,
                 repeat ? "ReadCapacityUnits" : "WriteCapacityUnits");
  return r;
}

Result transact_get_items(Ctx& x) {
  const Value* items = x.in.find("TransactItems");
  if (!items || !items->is_list() || items->as_list().empty())
    throw err::validation("1 validation error detected: Value null at 'transactItems' failed to "
                          "satisfy constraint: Member must not be null");
  if (items->size() > 100)
    throw err::validation("1 validation error detected: Value at 'transactItems' failed to satisfy "
                          "constraint: Member must have length less than or equal to 100");
  struct Get {
    TablePtr table;
    KeyBytes key;
    Exprs exprs;
  };
  std::vector<Get> gets;
  for (const Value& ti : items->as_list()) {
    const Value* g = ti.find("Get");
    if (!g) throw err::validation("TransactItems must contain Get");
    Get get;
    get.table = require_table(x, table_name_of(*g));
    get.exprs = parse_exprs(*g);
    get.key = key_bytes_of(*get.table, key_from(*get.table, g->find("Key")));
    gets.push_back(std::move(get));
  }
  Result r;
  r.output.set("Responses", Value::list());
  TableUnits spent;
  x.db.read([&](Connection& c) {
    for (const Get& g : gets) {
      Value resp = Value::map();
      std::optional<Item> item = get_row(c, g.table->id, g.key);
      // Twice a consistent read's units, a missing item included.
      spent[g.table->name].table += 2 * read_units(item ? item_size(*item) : 0, true);
      if (item)
        resp.set("Item", returned_item(std::move(*item), g.exprs.projection));
      r.output["Responses"].push_back(std::move(resp));
    }
  });
  for (const auto& [name, u] : spent.tables)
    add_capacity(r.output, x.in, name, u, true, "ReadCapacityUnits");
  return r;
}

// ---- PartiQL (services/dynamodb/partiql_exec.h runs statements as the operations above) -----

Result execute_statement(Ctx& x) { return partiql::execute_statement(x.svc, x.call, x.in); }
Result batch_execute_statement(Ctx& x) {
  return partiql::batch_execute_statement(x.svc, x.call, x.in);
}
Result execute_transaction(Ctx& x) { return partiql::execute_transaction(x.svc, x.call, x.in); }

// ---- Time to Live ---------------------------------------------------------------------------

// True when item's TTL attribute is a number of epoch seconds at or before `now`. Like AWS,
// values more than five years in the past are not treated as expiry times.
bool expired(const Item& item, const std::string& attr, double now) {
  auto it = item.find(attr);
  if (it == item.end() || it->second.type != Type::N) return false;
  double when = std::strtod(it->second.s.c_str(), nullptr);
  return when <= now && when > now - 5 * 365.25 * 86400;
}

// One TTL pass: finds expired items of every table with TTL enabled (one read), then deletes
// each in its own write job, re-checking table, item and expiry there.
void sweep_expired(Database& db, const Clock& clock) {
  double now = clock.now_seconds();
  struct Expired {
    int64_t table_id;
    KeyBytes key;
  };
  std::vector<Expired> found;
  db.read([&](Connection& c) {
    std::vector<int64_t> ids;
    Statement& s = c.prepare("SELECT id FROM ddb_tables WHERE instr(meta, '\"TimeToLive\"') > 0");
    while (s.step()) ids.push_back(s.column_int(0));
    for (int64_t id : ids) {
      TablePtr t = load_table_by_id(c, id);
      std::optional<std::string> attr = t ? t->meta.get_string("TimeToLive") : std::nullopt;
      if (!attr) continue;
      Statement& q = c.prepare("SELECT item FROM ddb_items WHERE table_id = ? AND idx = ''");
      q.bind(1, id);
      while (q.step()) {
        Item item = decode_item(q.column_blob(0));
        if (expired(item, *attr, now)) found.push_back({id, key_bytes_of(*t, item)});
      }
    }
  });
  for (const Expired& e : found) {
    db.write([&](Connection& c) {
      TablePtr t = load_table_by_id(c, e.table_id);
      std::optional<std::string> attr = t ? t->meta.get_string("TimeToLive") : std::nullopt;
      if (!attr) return;
      std::optional<Item> old = get_row(c, t->id, e.key);
      if (!old || !expired(*old, *attr, clock.now_seconds())) return;
      store(c, *t, e.key, old, std::nullopt, clock.now_ms(), streams::Origin::Ttl);
    });
  }
}

}  // namespace

DynamoDbService::DynamoDbService(ServiceEnv& env)
    : env_(env), model_(builtin_model("dynamodb")) {
  streams::migrate(env.db);  // the table schema, then the streams schema
  schedule_ttl_sweep();
}

DynamoDbService::~DynamoDbService() {
  std::lock_guard<std::mutex> lock(ttl_mutex_);
  stopping_ = true;
  env_.scheduler.cancel(ttl_task_);
}

void DynamoDbService::schedule_ttl_sweep() {
  std::lock_guard<std::mutex> lock(ttl_mutex_);
  if (stopping_) return;
  ttl_task_ = env_.scheduler.schedule_at(env_.clock.now_ms() + kTtlSweepMs, [this] {
    try {
      sweep_expired(env_.db, env_.clock);
    } catch (const std::exception& e) {
      log::warn(std::string("dynamodb: TTL sweep failed: ") + e.what());
    }
    try {
      streams::trim(env_.db, env_.clock.now_ms());
    } catch (const std::exception& e) {
      log::warn(std::string("dynamodb: stream retention trim failed: ") + e.what());
    }
    schedule_ttl_sweep();
  });
}

void DynamoDbService::reset() {
  std::lock_guard<std::mutex> lock(cache_mutex_);
  cache_.clear();
  ++forgotten_;
}

TablePtr DynamoDbService::find_table(const std::string& account, const std::string& region,
                                     const std::string& name) {
  std::string key = cache_key(account, region, name);
  uint64_t forgotten = 0;
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    forgotten = forgotten_;
  }
  TablePtr t = env_.db.read([&](Connection& c) { return load_table(c, account, region, name); });
  if (t) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    // A forget since the read may be of a change (a deletion) this read did not see.
    if (forgotten != forgotten_) return t;
    auto [it, inserted] = cache_.emplace(key, t);
    if (!inserted && it->second->version < t->version) it->second = t;
    return it->second;
  }
  return t;
}

void DynamoDbService::forget_table(const std::string& account, const std::string& region,
                                   const std::string& name) {
  std::lock_guard<std::mutex> lock(cache_mutex_);
  cache_.erase(cache_key(account, region, name));
  ++forgotten_;
}

Result DynamoDbService::call(CallContext& context, const Value& input) {
  using Handler = Result (*)(Ctx&);
  static const std::unordered_map<std::string_view, Handler> handlers = {
      {"CreateTable", &create_table},
      {"DescribeTable", &describe_table},
      {"ListTables", &list_tables},
      {"DeleteTable", &delete_table},
      {"UpdateTable", &update_table},
      {"TagResource", &tag_resource},
      {"UntagResource", &untag_resource},
      {"ListTagsOfResource", &list_tags},
      {"DescribeLimits", &describe_limits},
      {"DescribeEndpoints", &describe_endpoints},
      {"UpdateTimeToLive", &update_ttl},
      {"DescribeTimeToLive", &describe_ttl},
      {"PutItem", &put_item},
      {"GetItem", &get_item},
      {"UpdateItem", &update_item},
      {"DeleteItem", &delete_item},
      {"Query", &query},
      {"Scan", &scan},
      {"BatchGetItem", &batch_get_item},
      {"BatchWriteItem", &batch_write_item},
      {"TransactWriteItems", &transact_write_items},
      {"TransactGetItems", &transact_get_items},
      {"ExecuteStatement", &execute_statement},
      {"BatchExecuteStatement", &batch_execute_statement},
      {"ExecuteTransaction", &execute_transaction},
  };
  auto it = handlers.find(context.operation.name);
  if (it == handlers.end()) throw errors::not_implemented(context.operation.name);
  Ctx x{*this, env_.db, context, input, env_.clock};
  // An ApiError without a JSON type gets DynamoDB's namespace from the JSON codec
  // (protocol/json_codec.cc, encode_error), also when it comes from an AsyncWrite.
  check_capacity_mode(input);
  return it->second(x);
}

ApiError DynamoDbService::auth_error(const AuthError& error) const {
  switch (error.failure) {
    case AuthFailure::MissingAuthentication:
      return ddb_errors::make(400, "MissingAuthenticationTokenException",
                              "Request is missing Authentication Token");
    case AuthFailure::InvalidAccessKey:
      return ddb_errors::make(400, "UnrecognizedClientException",
                              "The security token included in the request is invalid.");
    case AuthFailure::TimeTooSkewed:
    case AuthFailure::Expired:
      return ddb_errors::make(400, "InvalidSignatureException",
                              std::string("Signature expired: ") + error.what());
    case AuthFailure::Malformed:
      return ddb_errors::make(400, "IncompleteSignatureException", error.what());
    case AuthFailure::SignatureMismatch:
    case AuthFailure::ContentSha256Mismatch:
      break;
  }
  return ddb_errors::make(400, "InvalidSignatureException",
                          "The request signature we calculated does not match the signature you "
                          "provided. Check your AWS Secret Access Key and signing method. Consult "
                          "the service documentation for details.");
}

}  // namespace nimbus
