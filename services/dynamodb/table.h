// Tables: DynamoDB table metadata as the service uses it (TableInfo: key schema, indexes,
// settings), its SQLite schema (component "dynamodb"), and the item-row layout:
//
//   ddb_tables(id, account, region, name, meta JSON, version, item_count, size_bytes)
//   ddb_items(table_id, idx, pk, sk, tpk, tsk, item)   PRIMARY KEY(table_id, idx, pk, sk, tpk, tsk)
//     (a rowid table: the key is a unique index, the item stays in the table row; see
//     migration 3 in table.cc for why not WITHOUT ROWID)
//   ddb_index_stats(table_id, idx, item_count, size_bytes)   PRIMARY KEY(table_id, idx)
//
// A base-table row has idx = '' and empty tpk/tsk; an index row has idx = the index name, pk/sk
// the index keys and tpk/tsk the table keys (making it unique). Keys are key_bytes() (numbers in
// an order-preserving encoding, strings and binary raw), so a Query reads a key range. `item` is
// encode_item() of the full item (base rows) or of the index projection (index rows).
// ddb_tables' counters sum the base rows and ddb_index_stats' those of each index (item_size() of
// the stored item; a missing row is an empty index), changed in the write that changes the rows.
//
// Thread-safety: TableInfo is immutable once built and shared by shared_ptr.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/value.h"
#include "services/dynamodb/attribute.h"
#include "storage/database.h"

namespace nimbus::ddb {

struct KeyDef {
  std::string name;  // empty when the table/index has no sort key
  Type type = Type::S;
};

struct IndexInfo {
  std::string name;
  bool global = true;
  KeyDef hash, range;
  std::string projection = "ALL";           // ALL, KEYS_ONLY, INCLUDE
  std::vector<std::string> non_key;         // INCLUDE's NonKeyAttributes
  Value description;                        // IndexName, KeySchema, Projection, throughput
};

struct TableInfo {
  int64_t id = 0;
  int64_t version = 0;
  std::string account, region, name;
  KeyDef hash, range;
  std::vector<IndexInfo> indexes;
  Value meta;  // the stored JSON: KeySchema, AttributeDefinitions, settings, tags, ...

  const IndexInfo* index(const std::string& name) const;
  std::string arn() const;
  // The keys of an item under this table's schema (hash, and range when defined).
  bool has_range() const { return !range.name.empty(); }
};
using TablePtr = std::shared_ptr<const TableInfo>;

// Applies the "dynamodb" migrations, then counts the indexes an upgrade left uncounted.
void migrate(Database& db);

// Builds TableInfo from a stored row's pieces.
TablePtr make_table(int64_t id, int64_t version, std::string account, std::string region,
                    std::string name, Value meta);
// Loads a table by (account, region, name) or by id on a connection; nullptr when absent.
TablePtr load_table(Connection& c, const std::string& account, const std::string& region,
                    const std::string& name);
TablePtr load_table_by_id(Connection& c, int64_t id);

// Value <-> JSON text for the meta column.
std::string to_json(const Value& v);
Value from_json(const std::string& text);

}  // namespace nimbus::ddb
