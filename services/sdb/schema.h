// SimpleDB's storage: the SQLite schema (migrations of component "sdb"), the row reads and writes
// the service composes into one transaction per API call, and run_query(), which answers Select
// and Query from the attribute index.
//
// Tables
//   sdb_domains(id PK, account, region, name, created_ms,      unique (account, region, name)
//               item_count, item_names_bytes, attribute_name_count, attribute_names_bytes,
//               attribute_value_count, attribute_values_bytes)   usage, kept by store_item()
//   sdb_items(id PK, domain_id, name)                          unique (domain_id, name)
//   sdb_attributes(id PK, domain_id, item_id, name, value,     one row per name/value pair
//                  value_prefix: the value's first 64 bytes)
//     index (item_id): an item's pairs, a set (store_item() never stores one twice), read in
//     insertion order;
//     index (domain_id, name, value_prefix, item_id): a predicate's value ranges
//     become index range scans, so a selective query reads the matching rows, not the domain
//     (a prefix keeps each index entry small, so a put of a 1 KiB value writes it once).
//
// Thread-safety: the functions take the Connection of the caller's Database::read()/write() job.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"
#include "services/sdb/query.h"
#include "storage/database.h"

namespace nimbus::sdb {

void migrate(Database& db);

// A domain's usage as DomainMetadata reports it: counts, and sizes in bytes of the item names,
// the distinct attribute names and all the values. Also a change of usage (negative members).
struct DomainStats {
  int64_t item_count = 0, item_names_bytes = 0;
  int64_t attribute_name_count = 0, attribute_names_bytes = 0;
  int64_t attribute_value_count = 0, attribute_values_bytes = 0;
  // What the 10 GB domain size limit counts (the names and values stored, without overhead).
  int64_t bytes() const {
    return item_names_bytes + attribute_names_bytes + attribute_values_bytes;
  }
  DomainStats& operator+=(const DomainStats& d);
};

struct DomainRecord {
  int64_t id = 0;
  std::string account, region, name;
  EpochMillis created_ms = 0;
  DomainStats usage;  // when it was read
};

std::optional<DomainRecord> find_domain(Connection& c, std::string_view account,
                                        std::string_view region, std::string_view name);
int64_t count_domains(Connection& c, std::string_view account, std::string_view region);
void insert_domain(Connection& c, DomainRecord& domain);  // sets domain.id
void delete_domain(Connection& c, int64_t domain_id);     // with its items and attributes
// Names > after, in order, at most limit.
std::vector<std::string> list_domains(Connection& c, std::string_view account,
                                      std::string_view region, std::string_view after,
                                      int64_t limit);

DomainStats domain_stats(Connection& c, int64_t domain_id);

struct ItemRecord {
  int64_t id = 0;  // 0: not stored
  std::string name;
  Attributes attributes;
  std::vector<int64_t> attribute_ids;  // find_item(): the row of each pair of `attributes`
};

// The item with its attributes, or nullopt.
std::optional<ItemRecord> find_item(Connection& c, int64_t domain_id, std::string_view name);
// Makes the stored item hold exactly `attributes` (inserting, diffing or deleting rows; a pair
// repeated in `attributes` is stored once); an item left with no attributes stops existing.
// `item` is what find_item() returned, or {0, name, {}, {}} for a new item. Updates the domain's
// usage counters and returns the change, so the caller can refuse (throw, rolling the write job
// back) a change that takes the domain past a limit.
DomainStats store_item(Connection& c, int64_t domain_id, const ItemRecord& item,
                const Attributes& attributes);

// Where a page ended: the last item returned (and its sort key under `order by attribute`).
struct Position {
  bool has_key = false;
  std::string key;
  std::string name;
};

struct QueryStats {
  int64_t items_evaluated = 0;  // items whose attributes were read and tested
  int64_t items_read = 0;       // item rows read: candidates from the index, or items walked
  bool used_index = false;      // candidates came from index ranges, not a scan of the domain
};

struct QueryPage {
  std::vector<ItemRecord> items;  // in result order, at most limit
  std::optional<Position> next;   // set when more items match after the page
  int64_t count = 0;              // count_only: the number of matches in this page
  bool timed_out = false;         // the budget's time ran out before a sorted page was known
};

// What a page may cost besides its item limit. Bytes (Select's 1 MB response): `size` says how
// many bytes an item takes in the response; a page ends before the item that would take it past
// `max_bytes` (0: no cap), but always holds at least one item. Time (Select's 5 seconds):
// `expired`, when set, is asked before each candidate after the first; once it says yes, an
// item-name-ordered page ends where the evaluation got to (with a next position, possibly with
// no items), and a query sorted by an attribute, which must see every match first, stops with
// QueryPage::timed_out.
struct PageBudget {
  int64_t max_bytes = 0;
  std::function<int64_t(const ItemRecord&)> size;
  std::function<bool()> expired;
};

// Runs a query over one domain: the items matching `where` (all items when null), in `order`
// (item name ascending by default), after `after`, at most `limit` (0: no limit) and within
// `budget` (when given; its byte cap not with count_only). Candidates come from the attribute
// index when the condition allows (for one attribute's predicate in name order, a bounded walk
// of the items in name order comes first); every candidate is then tested in memory. With
// count_only the page's items are not kept (count says how many matched).
QueryPage run_query(Connection& c, int64_t domain_id, const Condition* where,
                    const SortOrder& order, const std::optional<Position>& after, int64_t limit,
                    bool count_only, QueryStats* stats = nullptr,
                    const PageBudget* budget = nullptr);

}  // namespace nimbus::sdb
