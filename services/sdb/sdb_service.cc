// SdbService: SimpleDB's operations on top of services/sdb/schema.h (storage and the query
// runner) and services/sdb/query.h (the Select and legacy Query languages). Entry point:
// SdbService::call() dispatches by operation name.
//
// Validation happens before any write; each call's changes are one Database::write job, so a
// batch that fails on its tenth item changes nothing. NextTokens are base64 of a versioned,
// length-prefixed record: a hash of the query (so a token only continues the query that made
// it) and the position where the page ended.
#include "services/sdb/sdb_service.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "common/encoding.h"
#include "common/hash.h"
#include "common/xml.h"
#include "services/sdb/errors.h"
#include "storage/database.h"

namespace nimbus {
namespace {

using sdb::Attributes;
using sdb::DomainRecord;
using sdb::ItemRecord;
namespace errs = sdb_errors;

constexpr size_t kMaxNameBytes = 1024;
constexpr size_t kMaxItemPairs = 256;
constexpr size_t kMaxBatchItems = 25;
constexpr int64_t kDefaultSelectLimit = 100;
constexpr int64_t kMaxDomainsPerPage = 100;
constexpr int64_t kDefaultQueryItems = 100;
constexpr int64_t kMaxQueryItems = 250;
// "The total size of the response cannot exceed 1 MB" (SDB_API_Select): the items get all of it
// but what the envelope and a NextToken (at most ~2.8 KB: two 1024-byte fields in base64) take.
constexpr int64_t kMaxResponseBytes = 1024 * 1024;
constexpr int64_t kResponseReserve = 4096;
// "Maximum query execution time: 5 seconds" (SDBLimits): then a partial page and a NextToken.
constexpr EpochMillis kMaxQueryMillis = 5000;

// For messages: long values are cut, as AWS does not echo a megabyte back either.
std::string shown(const std::string& value) {
  return value.size() > 64 ? value.substr(0, 64) + "..." : value;
}

std::string required_string(const Value& input, const char* member) {
  std::optional<std::string> v = input.get_string(member);
  if (!v) throw errs::missing_parameter(member);
  return *v;
}

std::string domain_name_of(const Value& input) {
  std::string name = required_string(input, "DomainName");
  bool valid = name.size() >= 3 && name.size() <= 255 &&
               std::all_of(name.begin(), name.end(), [](char c) {
                 return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
                        c == '.';
               });
  if (!valid)
    throw errs::invalid_parameter("DomainName", shown(name),
                                  "Domain names are 3 to 255 characters of a-z, A-Z, 0-9, "
                                  "'_', '-' and '.'.");
  return name;
}

void check_length(const char* parameter, const std::string& value, bool may_be_empty) {
  if (value.size() > kMaxNameBytes)
    throw errs::invalid_parameter(parameter, shown(value),
                                  "Value exceeds maximum length of 1024.");
  if (!may_be_empty && value.empty())
    throw errs::invalid_parameter(parameter, value, "The empty string is not allowed.");
}

// The ItemName of a call, or (member "Name") of one item of a batch, Item.N.ItemName on the wire.
std::string item_name_of(const Value& input, const char* member = "ItemName") {
  std::optional<std::string> name = input.get_string(member);
  if (!name)
    throw errs::missing_parameter(std::string_view(member) == "Name" ? "Item.ItemName"
                                                                      : "ItemName");
  check_length("ItemName", *name, false);
  return *name;
}

struct AttributeChange {
  std::string name;
  std::optional<std::string> value;
  bool replace = false;
};

// The Attribute.N list of a put (values required) or a delete (values optional).
std::vector<AttributeChange> changes_of(const Value* list, bool values_required,
                                        const std::string& item) {
  std::vector<AttributeChange> out;
  if (!list || !list->is_list()) return out;
  for (const Value& a : list->as_list()) {
    AttributeChange ch;
    std::optional<std::string> name = a.get_string("Name");
    if (!name) throw errs::missing_parameter("Attribute.Name");
    ch.name = *name;
    check_length("Name", ch.name, false);
    ch.value = a.get_string("Value");
    if (!ch.value && values_required) throw errs::missing_parameter("Attribute.Value");
    if (ch.value) check_length("Value", *ch.value, true);
    ch.replace = a.get_bool("Replace").value_or(false);
    out.push_back(std::move(ch));
  }
  if (out.size() > kMaxItemPairs) throw errs::number_submitted_attributes_exceeded(item);
  return out;
}

Attributes apply_put(const Attributes& current, const std::vector<AttributeChange>& changes) {
  std::set<std::string> replaced;
  for (const AttributeChange& ch : changes)
    if (ch.replace) replaced.insert(ch.name);
  Attributes out;
  for (const auto& pair : current)
    if (!replaced.count(pair.first)) out.push_back(pair);
  for (const AttributeChange& ch : changes) {
    std::pair<std::string, std::string> pair(ch.name, *ch.value);
    if (std::find(out.begin(), out.end(), pair) == out.end()) out.push_back(std::move(pair));
  }
  return out;
}

Attributes apply_delete(const Attributes& current, const std::vector<AttributeChange>& changes) {
  if (changes.empty()) return {};
  Attributes out;
  for (const auto& pair : current) {
    bool removed = std::any_of(changes.begin(), changes.end(), [&](const AttributeChange& ch) {
      return ch.name == pair.first && (!ch.value || *ch.value == pair.second);
    });
    if (!removed) out.push_back(pair);
  }
  return out;
}

struct Expectation {
  std::string name;
  std::optional<std::string> value;
  std::optional<bool> exists;
};

std::optional<Expectation> expectation_of(const Value& input) {
  const Value* e = input.find("Expected");
  if (!e || !e->is_map() || e->size() == 0) return std::nullopt;
  Expectation x;
  std::optional<std::string> name = e->get_string("Name");
  if (!name) throw errs::missing_parameter("Expected.Name");
  x.name = *name;
  x.value = e->get_string("Value");
  x.exists = e->get_bool("Exists");
  if (x.exists == false && x.value) throw errs::exists_and_expected_value();
  if (x.exists != false && !x.value) throw errs::incomplete_expected_expression();
  return x;
}

void check_expectation(const std::optional<Expectation>& x, const Attributes& current) {
  if (!x) return;
  std::vector<std::string> values;
  for (const auto& [n, v] : current)
    if (n == x->name) values.push_back(v);
  if (x->exists == false) {
    if (!values.empty())
      throw errs::conditional_check_failed("Attribute (" + x->name + ") value exists");
    return;
  }
  if (values.empty()) throw errs::attribute_does_not_exist(x->name);
  if (values.size() > 1) throw errs::multi_valued_attribute(x->name);
  if (values[0] != *x->value)
    throw errs::conditional_check_failed("Attribute (" + x->name + ") value is (" +
                                         shown(values[0]) + ") but was expected (" +
                                         shown(*x->value) + ")");
}

// Refuses a change (by throwing inside its write job, which rolls it back) that grows the domain
// past the size or attribute-count limit; a change that shrinks it is always allowed.
void check_domain_limits(const sdb::DomainStats& before, const sdb::DomainStats& change,
                         const ServiceSettings& settings) {
  sdb::DomainStats after = before;
  after += change;
  if (change.attribute_value_count > 0 &&
      after.attribute_value_count > settings.sdb_max_domain_attributes)
    throw errs::number_domain_attributes_exceeded(settings.sdb_max_domain_attributes);
  if (change.bytes() > 0 && after.bytes() > settings.sdb_max_domain_bytes)
    throw errs::number_domain_bytes_exceeded(settings.sdb_max_domain_bytes);
}

Value attributes_value(const Attributes& attributes, const std::set<std::string>* only) {
  Value list = Value::list();
  for (const auto& [n, v] : attributes) {
    if (only && !only->count(n)) continue;
    Value a = Value::map();
    a.set("Name", n);
    a.set("Value", v);
    list.push_back(std::move(a));
  }
  return list;
}

// The bytes an item takes in a Select or QueryWithAttributes response as the query codec writes
// it: <Item><Name>n</Name><Attribute><Name>a</Name><Value>v</Value></Attribute>...</Item>.
int64_t response_bytes(const ItemRecord& item, const std::set<std::string>* only) {
  auto size = [](const std::string& text) { return static_cast<int64_t>(xml_escape(text).size()); };
  int64_t bytes = static_cast<int64_t>(std::string_view("<Item><Name></Name></Item>").size()) +
                  size(item.name);
  for (const auto& [n, v] : item.attributes) {
    if (only && !only->count(n)) continue;
    bytes += static_cast<int64_t>(
                 std::string_view("<Attribute><Name></Name><Value></Value></Attribute>").size()) +
             size(n) + size(v);
  }
  return bytes;
}

// A query page's 5-second budget from now, and its 1 MB response cap for items output with
// `only` (nullptr: every attribute) when `capped`.
sdb::PageBudget page_budget(const Clock& clock, bool capped, const std::set<std::string>* only) {
  sdb::PageBudget b;
  if (capped) {
    b.max_bytes = kMaxResponseBytes - kResponseReserve;
    b.size = [only](const ItemRecord& item) { return response_bytes(item, only); };
  }
  EpochMillis deadline = clock.now_ms() + kMaxQueryMillis;
  b.expired = [&clock, deadline] { return clock.now_ms() > deadline; };
  return b;
}

std::optional<std::set<std::string>> names_filter(const Value& input) {
  const Value* names = input.find("AttributeNames");
  if (!names || !names->is_list() || names->size() == 0) return std::nullopt;
  std::set<std::string> out;
  for (const Value& n : names->as_list())
    if (n.is_string()) out.insert(n.as_string());
  if (out.size() > kMaxItemPairs) throw errs::too_many_requested_attributes();
  return out;
}

// ---- NextTokens -------------------------------------------------------------------------------

void put_field(std::string& out, const std::string& field) {
  out += std::to_string(field.size()) + ":" + field;
}

bool get_field(std::string_view& in, std::string& field) {
  size_t colon = in.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 9) return false;
  size_t n = 0;
  for (char c : in.substr(0, colon)) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  if (in.size() - colon - 1 < n) return false;
  field = std::string(in.substr(colon + 1, n));
  in.remove_prefix(colon + 1 + n);
  return true;
}

std::string query_hash(int64_t domain_id, const std::string& fingerprint) {
  return hex_encode(sha256(std::to_string(domain_id) + "\n" + fingerprint)).substr(0, 32);
}

std::string encode_token(const std::string& hash, const sdb::Position& p) {
  std::string raw = "sdb1";
  put_field(raw, hash);
  put_field(raw, p.has_key ? "1" : "0");
  put_field(raw, p.key);
  put_field(raw, p.name);
  return base64_encode(raw);
}

std::optional<sdb::Position> decode_token(const Value& input, const std::string& hash) {
  std::optional<std::string> token = input.get_string("NextToken");
  if (!token || token->empty()) return std::nullopt;
  std::optional<std::string> raw = base64_decode(*token);
  if (!raw || !raw->starts_with("sdb1")) throw errs::invalid_next_token();
  std::string_view in(*raw);
  in.remove_prefix(4);
  std::string h, has_key;
  sdb::Position p;
  if (!get_field(in, h) || !get_field(in, has_key) || !get_field(in, p.key) ||
      !get_field(in, p.name) || !in.empty() || h != hash)
    throw errs::invalid_next_token();
  p.has_key = has_key == "1";
  return p;
}

}  // namespace

SdbService::SdbService(ServiceEnv& env) : env_(env), model_(builtin_model("sdb")) {
  sdb::migrate(env_.db);
}

Result SdbService::call(CallContext& context, const Value& input) {
  using Handler = Result (SdbService::*)(CallContext&, const Value&);
  static const std::unordered_map<std::string_view, Handler> handlers = {
      {"CreateDomain", &SdbService::create_domain},
      {"DeleteDomain", &SdbService::delete_domain},
      {"ListDomains", &SdbService::list_domains},
      {"DomainMetadata", &SdbService::domain_metadata},
      {"PutAttributes", &SdbService::put_attributes},
      {"BatchPutAttributes", &SdbService::batch_put_attributes},
      {"GetAttributes", &SdbService::get_attributes},
      {"DeleteAttributes", &SdbService::delete_attributes},
      {"BatchDeleteAttributes", &SdbService::batch_delete_attributes},
      {"Select", &SdbService::select},
      {"Query", &SdbService::query},
      {"QueryWithAttributes", &SdbService::query_with_attributes},
  };
  auto it = handlers.find(context.operation.name);
  if (it == handlers.end()) throw errors::not_implemented(context.operation.name);
  return (this->*(it->second))(context, input);
}

DomainRecord SdbService::require_domain(Connection& c, const CallContext& context,
                                        const std::string& name) const {
  std::optional<DomainRecord> d = sdb::find_domain(c, context.account.id, context.region, name);
  if (!d) throw errs::no_such_domain();
  return *d;
}

// ---- domains ----------------------------------------------------------------------------------

Result SdbService::create_domain(CallContext& context, const Value& input) {
  std::string name = domain_name_of(input);
  int limit = env_.settings.sdb_max_domains;
  env_.db.write([&](Connection& c) {
    if (sdb::find_domain(c, context.account.id, context.region, name)) return;  // idempotent
    if (sdb::count_domains(c, context.account.id, context.region) >= limit)
      throw errs::number_domains_exceeded(limit);
    DomainRecord d;
    d.account = context.account.id;
    d.region = context.region;
    d.name = name;
    d.created_ms = env_.clock.now_ms();
    sdb::insert_domain(c, d);
  });
  return {};
}

Result SdbService::delete_domain(CallContext& context, const Value& input) {
  std::string name = required_string(input, "DomainName");
  env_.db.write([&](Connection& c) {
    if (auto d = sdb::find_domain(c, context.account.id, context.region, name))
      sdb::delete_domain(c, d->id);
  });
  return {};
}

Result SdbService::list_domains(CallContext& context, const Value& input) {
  int64_t max = kMaxDomainsPerPage;
  if (const Value* m = input.find("MaxNumberOfDomains"); m && m->is_number()) {
    max = m->as_int();
    if (max < 1 || max > kMaxDomainsPerPage)
      throw errs::invalid_parameter("MaxNumberOfDomains", std::to_string(max),
                                    "MaxNumberOfDomains must be between 1 and 100.");
  }
  std::string after;
  if (std::optional<std::string> token = input.get_string("NextToken"); token && !token->empty()) {
    std::optional<std::string> raw = base64_decode(*token);
    if (!raw || !raw->starts_with("domain:")) throw errs::invalid_next_token();
    after = raw->substr(7);
  }
  std::vector<std::string> names = env_.db.read([&](Connection& c) {
    return sdb::list_domains(c, context.account.id, context.region, after, max + 1);
  });
  Result r;
  Value list = Value::list();
  bool more = static_cast<int64_t>(names.size()) > max;
  if (more) names.resize(static_cast<size_t>(max));
  for (const std::string& n : names) list.push_back(n);
  r.output.set("DomainNames", std::move(list));
  if (more) r.output.set("NextToken", base64_encode("domain:" + names.back()));
  return r;
}

Result SdbService::domain_metadata(CallContext& context, const Value& input) {
  std::string name = required_string(input, "DomainName");
  sdb::DomainStats st =
      env_.db.read([&](Connection& c) { return require_domain(c, context, name).usage; });
  Result r;
  r.output.set("ItemCount", st.item_count);
  r.output.set("ItemNamesSizeBytes", st.item_names_bytes);
  r.output.set("AttributeNameCount", st.attribute_name_count);
  r.output.set("AttributeNamesSizeBytes", st.attribute_names_bytes);
  r.output.set("AttributeValueCount", st.attribute_value_count);
  r.output.set("AttributeValuesSizeBytes", st.attribute_values_bytes);
  r.output.set("Timestamp", env_.clock.now_ms() / 1000);
  return r;
}

// ---- items ------------------------------------------------------------------------------------

Result SdbService::put_attributes(CallContext& context, const Value& input) {
  std::string domain = required_string(input, "DomainName");
  std::string item = item_name_of(input);
  std::vector<AttributeChange> changes = changes_of(input.find("Attributes"), true, item);
  if (changes.empty()) throw errs::missing_parameter("Attribute.Name");
  std::optional<Expectation> expected = expectation_of(input);
  // Written without holding the handler thread (see AsyncWrite): the job owns what it uses.
  Result r;
  r.write = AsyncWrite{
      &env_.db,
      [this, context, domain = std::move(domain), item = std::move(item),
       changes = std::move(changes), expected = std::move(expected)](Connection& c) {
        DomainRecord d = require_domain(c, context, domain);
        ItemRecord current = sdb::find_item(c, d.id, item).value_or(ItemRecord{0, item, {}, {}});
        check_expectation(expected, current.attributes);
        Attributes next = apply_put(current.attributes, changes);
        if (next.size() > kMaxItemPairs) throw errs::number_item_attributes_exceeded(item);
        check_domain_limits(d.usage, sdb::store_item(c, d.id, current, next), env_.settings);
      },
      {}};
  return r;
}

Result SdbService::batch_put_attributes(CallContext& context, const Value& input) {
  std::string domain = required_string(input, "DomainName");
  const Value* items = input.find("Items");
  if (!items || !items->is_list() || items->size() == 0) throw errs::missing_parameter("Item.ItemName");
  if (items->size() > kMaxBatchItems) throw errs::number_submitted_items_exceeded();
  std::vector<std::pair<std::string, std::vector<AttributeChange>>> batch;
  std::set<std::string> seen;
  for (const Value& it : items->as_list()) {
    std::string name = item_name_of(it, "Name");
    if (!seen.insert(name).second) throw errs::duplicate_item_name(name);
    auto changes = changes_of(it.find("Attributes"), true, name);
    if (changes.empty()) throw errs::missing_parameter("Item.Attribute.Name");
    batch.emplace_back(name, std::move(changes));
  }
  env_.db.write([&](Connection& c) {
    DomainRecord d = require_domain(c, context, domain);
    sdb::DomainStats change;
    for (const auto& [name, changes] : batch) {
      ItemRecord current = sdb::find_item(c, d.id, name).value_or(ItemRecord{0, name, {}, {}});
      Attributes next = apply_put(current.attributes, changes);
      if (next.size() > kMaxItemPairs) throw errs::number_item_attributes_exceeded(name);
      change += sdb::store_item(c, d.id, current, next);
    }
    check_domain_limits(d.usage, change, env_.settings);
  });
  return {};
}

Result SdbService::get_attributes(CallContext& context, const Value& input) {
  std::string domain = required_string(input, "DomainName");
  std::string item = item_name_of(input);
  std::optional<std::set<std::string>> only = names_filter(input);
  Attributes attributes = env_.db.read([&](Connection& c) {
    DomainRecord d = require_domain(c, context, domain);
    std::optional<ItemRecord> found = sdb::find_item(c, d.id, item);
    return found ? found->attributes : Attributes{};
  });
  Result r;
  r.output.set("Attributes", attributes_value(attributes, only ? &*only : nullptr));
  return r;
}

Result SdbService::delete_attributes(CallContext& context, const Value& input) {
  std::string domain = required_string(input, "DomainName");
  std::string item = item_name_of(input);
  std::vector<AttributeChange> changes = changes_of(input.find("Attributes"), false, item);
  std::optional<Expectation> expected = expectation_of(input);
  env_.db.write([&](Connection& c) {
    DomainRecord d = require_domain(c, context, domain);
    std::optional<ItemRecord> current = sdb::find_item(c, d.id, item);
    check_expectation(expected, current ? current->attributes : Attributes{});
    if (!current) return;
    sdb::store_item(c, d.id, *current, apply_delete(current->attributes, changes));
  });
  return {};
}

Result SdbService::batch_delete_attributes(CallContext& context, const Value& input) {
  std::string domain = required_string(input, "DomainName");
  const Value* items = input.find("Items");
  if (!items || !items->is_list() || items->size() == 0) throw errs::missing_parameter("Item.ItemName");
  if (items->size() > kMaxBatchItems) throw errs::number_submitted_items_exceeded();
  std::vector<std::pair<std::string, std::vector<AttributeChange>>> batch;
  std::set<std::string> seen;
  for (const Value& it : items->as_list()) {
    std::string name = item_name_of(it, "Name");
    if (!seen.insert(name).second) throw errs::duplicate_item_name(name);
    batch.emplace_back(name, changes_of(it.find("Attributes"), false, name));
  }
  env_.db.write([&](Connection& c) {
    DomainRecord d = require_domain(c, context, domain);
    for (const auto& [name, changes] : batch)
      if (std::optional<ItemRecord> current = sdb::find_item(c, d.id, name))
        sdb::store_item(c, d.id, *current, apply_delete(current->attributes, changes));
  });
  return {};
}

// ---- queries ----------------------------------------------------------------------------------

Result SdbService::select(CallContext& context, const Value& input) {
  std::string expression = required_string(input, "SelectExpression");
  sdb::SelectQuery q = sdb::parse_select(expression);
  bool count = q.output == sdb::SelectQuery::Output::Count;
  int64_t limit = q.limit ? *q.limit : (count ? 0 : kDefaultSelectLimit);
  // The attributes output: every one, the listed ones, or none (itemName()).
  std::set<std::string> wanted(q.attributes.begin(), q.attributes.end());
  const std::set<std::string>* only = q.output == sdb::SelectQuery::Output::All ? nullptr : &wanted;
  sdb::PageBudget budget = page_budget(env_.clock, true, only);
  std::string hash;
  sdb::QueryPage page = env_.db.read([&](Connection& c) {
    DomainRecord d = require_domain(c, context, q.domain);
    hash = query_hash(d.id, q.fingerprint);
    std::optional<sdb::Position> after = decode_token(input, hash);
    return sdb::run_query(c, d.id, q.where ? &*q.where : nullptr, q.order, after, limit, count,
                          nullptr, &budget);
  });
  if (page.timed_out) throw errs::request_timeout(q.domain, expression);
  Result r;
  Value items = Value::list();
  if (count) {
    Value item = Value::map();
    item.set("Name", "Domain");
    item.set("Attributes", attributes_value({{"Count", std::to_string(page.count)}}, nullptr));
    items.push_back(std::move(item));
  } else {
    for (const ItemRecord& it : page.items) {
      Value item = Value::map();
      item.set("Name", it.name);
      item.set("Attributes", attributes_value(it.attributes, only));
      items.push_back(std::move(item));
    }
  }
  r.output.set("Items", std::move(items));
  if (page.next) r.output.set("NextToken", encode_token(hash, *page.next));
  return r;
}

namespace {

struct LegacyRun {
  sdb::QueryPage page;
  std::string hash;
};

}  // namespace

Result SdbService::query(CallContext& context, const Value& input) {
  return query_with_attributes(context, input);
}

Result SdbService::query_with_attributes(CallContext& context, const Value& input) {
  const bool with_attributes = context.operation.name == "QueryWithAttributes";
  std::string domain = required_string(input, "DomainName");
  sdb::LegacyQuery q = sdb::parse_legacy_query(input.string_or("QueryExpression", ""));
  int64_t max = kDefaultQueryItems;
  if (const Value* m = input.find("MaxNumberOfItems"); m && m->is_number()) {
    max = m->as_int();
    if (max < 1 || max > kMaxQueryItems)
      throw errs::invalid_parameter("MaxNumberOfItems", std::to_string(max),
                                    "MaxNumberOfItems must be between 1 and 250.");
  }
  std::optional<std::set<std::string>> only =
      with_attributes ? names_filter(input) : std::nullopt;
  sdb::PageBudget budget = page_budget(env_.clock, with_attributes, only ? &*only : nullptr);
  LegacyRun run = env_.db.read([&](Connection& c) {
    DomainRecord d = require_domain(c, context, domain);
    LegacyRun out;
    out.hash = query_hash(d.id, q.fingerprint);
    std::optional<sdb::Position> after = decode_token(input, out.hash);
    out.page = sdb::run_query(c, d.id, q.where ? &*q.where : nullptr, q.order, after, max,
                              false, nullptr, &budget);
    return out;
  });
  if (run.page.timed_out)
    throw errs::request_timeout(domain, input.string_or("QueryExpression", ""));
  Result r;
  Value list = Value::list();
  for (const ItemRecord& it : run.page.items) {
    if (!with_attributes) {
      list.push_back(it.name);
      continue;
    }
    Value item = Value::map();
    item.set("Name", it.name);
    item.set("Attributes", attributes_value(it.attributes, only ? &*only : nullptr));
    list.push_back(std::move(item));
  }
  r.output.set(with_attributes ? "Items" : "ItemNames", std::move(list));
  if (run.page.next) r.output.set("NextToken", encode_token(run.hash, *run.page.next));
  return r;
}

}  // namespace nimbus
