// Table metadata and the "dynamodb" SQLite schema. See table.h.
#include "services/dynamodb/table.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace nimbus::ddb {
namespace {

const std::vector<std::string>& migrations() {
  static const std::vector<std::string> scripts = {
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
      // Version 2: item count and size of every secondary index, kept by every write. Indexes
      // filled before this version are marked (size_bytes -1) and counted once at start-up.
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
      // Version 3: ddb_items becomes a rowid table with its key as a unique index. As a
      // WITHOUT ROWID table (an index b-tree, whose rows may keep at most ~1000 bytes of a
      // 4 KiB page in place) every item over ~1 KB spilt into an overflow page of its own, so a
      // 1 KiB put wrote two pages and a read or a Query followed a pointer per item; a table
      // b-tree keeps rows of up to ~4 KB in place and the small key index stays dense.
      R"sql(
ALTER TABLE ddb_items RENAME TO ddb_items_v2;
CREATE TABLE ddb_items(
  table_id INTEGER NOT NULL,
  idx TEXT NOT NULL,
  pk BLOB NOT NULL,
  sk BLOB NOT NULL,
  tpk BLOB NOT NULL,
  tsk BLOB NOT NULL,
  item BLOB NOT NULL,
  PRIMARY KEY(table_id, idx, pk, sk, tpk, tsk)
);
INSERT INTO ddb_items(table_id, idx, pk, sk, tpk, tsk, item)
  SELECT table_id, idx, pk, sk, tpk, tsk, item FROM ddb_items_v2;
DROP TABLE ddb_items_v2;
)sql",
  };
  return scripts;
}

void write_json(rapidjson::Writer<rapidjson::StringBuffer>& w, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Null: w.Null(); break;
    case Value::Kind::Bool: w.Bool(v.as_bool()); break;
    case Value::Kind::Integer: w.Int64(v.as_int()); break;
    case Value::Kind::Double: w.Double(v.as_double()); break;
    case Value::Kind::String: w.String(v.as_string().data(), v.as_string().size()); break;
    case Value::Kind::Timestamp: w.Double(v.as_timestamp()); break;
    case Value::Kind::List:
      w.StartArray();
      for (const Value& e : v.as_list()) write_json(w, e);
      w.EndArray();
      break;
    case Value::Kind::Map:
      w.StartObject();
      for (const auto& [k, e] : v.as_map()) {
        w.Key(k.data(), k.size());
        write_json(w, e);
      }
      w.EndObject();
      break;
  }
}

Value read_json(const rapidjson::Value& j) {
  if (j.IsBool()) return Value(j.GetBool());
  if (j.IsInt64()) return Value(j.GetInt64());
  if (j.IsNumber()) return Value(j.GetDouble());
  if (j.IsString()) return Value(std::string(j.GetString(), j.GetStringLength()));
  if (j.IsArray()) {
    Value out = Value::list();
    for (const auto& e : j.GetArray()) out.push_back(read_json(e));
    return out;
  }
  if (j.IsObject()) {
    Value out = Value::map();
    for (const auto& m : j.GetObject())
      out.set(std::string(m.name.GetString(), m.name.GetStringLength()), read_json(m.value));
    return out;
  }
  return Value();
}

Type attribute_type(const Value& meta, const std::string& name) {
  if (const Value* defs = meta.find("AttributeDefinitions"); defs && defs->is_list())
    for (const Value& d : defs->as_list())
      if (d.string_or("AttributeName", "") == name) {
        Type t = Type::S;
        parse_type_name(d.string_or("AttributeType", "S"), &t);
        return t;
      }
  return Type::S;
}

void read_keys(const Value& meta, const Value* schema, KeyDef& hash, KeyDef& range) {
  if (!schema || !schema->is_list()) return;
  for (const Value& k : schema->as_list()) {
    KeyDef& d = k.string_or("KeyType", "HASH") == "HASH" ? hash : range;
    d.name = k.string_or("AttributeName", "");
    d.type = attribute_type(meta, d.name);
  }
}

TablePtr table_from_row(Statement& s) {
  return make_table(s.column_int(0), s.column_int(1), s.column_text(2), s.column_text(3),
                    s.column_text(4), from_json(s.column_text(5)));
}

// Counts the index rows of the indexes version 2 marked as not yet counted.
void count_marked_indexes(Database& db) {
  db.write([](Connection& c) {
    std::vector<std::pair<int64_t, std::string>> marked;
    Statement& s = c.prepare("SELECT table_id, idx FROM ddb_index_stats WHERE size_bytes < 0");
    while (s.step()) marked.emplace_back(s.column_int(0), s.column_text(1));
    for (const auto& [table_id, idx] : marked) {
      int64_t count = 0, bytes = 0;
      Statement& rows = c.prepare("SELECT item FROM ddb_items WHERE table_id = ? AND idx = ?");
      rows.bind_all(table_id, idx);
      while (rows.step()) {
        ++count;
        bytes += static_cast<int64_t>(item_size(decode_item(rows.column_blob(0))));
      }
      c.prepare("UPDATE ddb_index_stats SET item_count = ?, size_bytes = ? WHERE table_id = ? "
                "AND idx = ?")
          .bind_all(count, bytes, table_id, idx)
          .run();
    }
  });
}

}  // namespace

void migrate(Database& db) {
  db.migrate("dynamodb", migrations());
  count_marked_indexes(db);
}

std::string to_json(const Value& v) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  write_json(w, v);
  return std::string(buffer.GetString(), buffer.GetSize());
}

Value from_json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  if (doc.HasParseError()) return Value::map();
  return read_json(doc);
}

const IndexInfo* TableInfo::index(const std::string& n) const {
  for (const IndexInfo& i : indexes)
    if (i.name == n) return &i;
  return nullptr;
}

std::string TableInfo::arn() const {
  return "arn:aws:dynamodb:" + region + ":" + account + ":table/" + name;
}

TablePtr make_table(int64_t id, int64_t version, std::string account, std::string region,
                    std::string name, Value meta) {
  auto t = std::make_shared<TableInfo>();
  t->id = id;
  t->version = version;
  t->account = std::move(account);
  t->region = std::move(region);
  t->name = std::move(name);
  read_keys(meta, meta.find("KeySchema"), t->hash, t->range);
  for (const char* kind : {"LocalSecondaryIndexes", "GlobalSecondaryIndexes"}) {
    const Value* list = meta.find(kind);
    if (!list || !list->is_list()) continue;
    for (const Value& d : list->as_list()) {
      IndexInfo i;
      i.global = std::string(kind) == "GlobalSecondaryIndexes";
      i.name = d.string_or("IndexName", "");
      read_keys(meta, d.find("KeySchema"), i.hash, i.range);
      if (const Value* p = d.find("Projection")) {
        i.projection = p->string_or("ProjectionType", "ALL");
        if (const Value* nk = p->find("NonKeyAttributes"); nk && nk->is_list())
          for (const Value& a : nk->as_list())
            if (a.is_string()) i.non_key.push_back(a.as_string());
      }
      i.description = d;
      t->indexes.push_back(std::move(i));
    }
  }
  t->meta = std::move(meta);
  return t;
}

TablePtr load_table(Connection& c, const std::string& account, const std::string& region,
                    const std::string& name) {
  Statement& s = c.prepare(
      "SELECT id, version, account, region, name, meta FROM ddb_tables "
      "WHERE account = ? AND region = ? AND name = ?");
  s.bind_all(account, region, name);
  if (!s.step()) return nullptr;
  return table_from_row(s);
}

TablePtr load_table_by_id(Connection& c, int64_t id) {
  Statement& s = c.prepare(
      "SELECT id, version, account, region, name, meta FROM ddb_tables WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) return nullptr;
  return table_from_row(s);
}

}  // namespace nimbus::ddb
