// nimbus-bench's SimpleDB and DynamoDB operations.
//  - SimpleDB (Query protocol, SigV2 HmacSHA256, as boto 2 signs it): sdb-put (PutAttributes of
//    one --size attribute on a new item), sdb-get (GetAttributes of a seeded item), sdb-select
//    (Select of the --seed-items seeded items), sdb-select-selective (Select of 10 items by an
//    equality out of a domain of --seed-items items).
//  - DynamoDB (JSON 1.0, SigV4): ddb-put (PutItem with a --size attribute), ddb-get (GetItem of
//    a seeded item), ddb-query (Query of one partition's --seed-items items), ddb-batch-write
//    (BatchWriteItem of 25 puts).
#include <chrono>
#include <memory>
#include <thread>

#include <rapidjson/document.h>

#include "bench/bench.h"

namespace nimbus::bench {

namespace {

// ---- SimpleDB ----------------------------------------------------------------------------

const ClientResponse& sdb(Session& s, QueryParams params) {
  params.emplace_back("Version", "2009-04-15");
  return s.query_v2(params);
}

class SdbBase : public Operation {
 public:
  explicit SdbBase(const Options& o) : options_(o) {}
  void setup(Session& s) override {
    expect_ok(sdb(s, {{"Action", "CreateDomain"}, {"DomainName", options_.name}}), "CreateDomain");
    // SimpleDB caps an attribute value at 1024 bytes.
    value_ = make_body(std::min<size_t>(options_.size, 1024), 0);
  }

 protected:
  const ClientResponse& put(Session& s, const std::string& item, const std::string& value) {
    return sdb(s, {{"Action", "PutAttributes"}, {"DomainName", options_.name},
                   {"ItemName", item}, {"Attribute.1.Name", "data"},
                   {"Attribute.1.Value", value}, {"Attribute.1.Replace", "true"},
                   {"Attribute.2.Name", "kind"}, {"Attribute.2.Value", "seed"},
                   {"Attribute.2.Replace", "true"}});
  }
  void seed(Session& s) {
    for (int i = 0; i < options_.seed_items; ++i)
      expect_ok(put(s, "g-" + std::to_string(i), value_), "PutAttributes (seed)");
  }
  const Options& options_;
  std::string value_;
};

class SdbPut : public SdbBase {
 public:
  using SdbBase::SdbBase;
  UnitResult run(Session& s, int worker) override {
    uint64_t n = s.next();
    std::string value = value_;
    std::string mark = std::to_string(n) + "-";
    value.replace(0, std::min(mark.size(), value.size()), mark.substr(0, value.size()));
    const auto& r = put(s, "p-" + run_id() + "-" + std::to_string(n), value);
    if (!ok_status(r.status)) return failed(r);
    UnitResult u;
    u.bytes = value.size();
    return u;
  }
};

class SdbGet : public SdbBase {
 public:
  using SdbBase::SdbBase;
  void setup(Session& s) override {
    SdbBase::setup(s);
    seed(s);
  }
  UnitResult run(Session& s, int worker) override {
    uint64_t n = s.next() % options_.seed_items;
    const auto& r = sdb(s, {{"Action", "GetAttributes"}, {"DomainName", options_.name},
                            {"ItemName", "g-" + std::to_string(n)}, {"ConsistentRead", "true"}});
    if (!ok_status(r.status)) return failed(r);
    UnitResult u;
    u.bytes = r.body.size();
    if (r.body.find("<Name>data</Name>") == std::string::npos) {
      u.ok = false;
      u.status = r.status;
      u.error = "GetAttributes without the seeded attribute: " + r.body.substr(0, 200);
    }
    return u;
  }
};

class SdbSelect : public SdbBase {
 public:
  using SdbBase::SdbBase;
  void setup(Session& s) override {
    SdbBase::setup(s);
    seed(s);
  }
  UnitResult run(Session& s, int worker) override {
    const auto& r = sdb(s, {{"Action", "Select"},
                            {"SelectExpression", "select * from `" + options_.name +
                                                     "` where kind = 'seed' limit " +
                                                     std::to_string(options_.seed_items)},
                            {"ConsistentRead", "true"}});
    if (!ok_status(r.status)) return failed(r);
    UnitResult u;
    u.bytes = r.body.size();
    if (r.body.find("<Item>") == std::string::npos) {
      u.ok = false;
      u.status = r.status;
      u.error = "Select found none of the seeded items: " + r.body.substr(0, 200);
    }
    return u;
  }
};

// Select of kSelectiveResult items by an indexed equality out of a domain of --seed-items
// items (seeded 25 per BatchPutAttributes): how Select's latency grows with the domain.
constexpr int kSelectiveResult = 10;

class SdbSelectSelective : public SdbBase {
 public:
  using SdbBase::SdbBase;
  void setup(Session& s) override {
    SdbBase::setup(s);
    for (int first = 0; first < options_.seed_items; first += 25) {
      QueryParams params = {{"Action", "BatchPutAttributes"}, {"DomainName", options_.name}};
      int last = std::min(options_.seed_items, first + 25);
      for (int i = first; i < last; ++i) {
        std::string item = "Item." + std::to_string(i - first + 1) + ".";
        params.emplace_back(item + "ItemName", "s-" + std::to_string(i));
        params.emplace_back(item + "Attribute.1.Name", "grp");
        params.emplace_back(item + "Attribute.1.Value", group(i / kSelectiveResult));
        params.emplace_back(item + "Attribute.1.Replace", "true");
        params.emplace_back(item + "Attribute.2.Name", "data");
        params.emplace_back(item + "Attribute.2.Value", value_);
        params.emplace_back(item + "Attribute.2.Replace", "true");
      }
      expect_ok(sdb(s, params), "BatchPutAttributes (seed)");
    }
    groups_ = std::max(1, options_.seed_items / kSelectiveResult);
  }
  UnitResult run(Session& s, int worker) override {
    uint64_t g = (s.next() * 7919) % static_cast<uint64_t>(groups_);
    const auto& r = sdb(s, {{"Action", "Select"},
                            {"SelectExpression", "select * from `" + options_.name +
                                                     "` where grp = '" + group(g) + "'"},
                            {"ConsistentRead", "true"}});
    if (!ok_status(r.status)) return failed(r);
    UnitResult u;
    u.bytes = r.body.size();
    size_t items = 0;
    for (size_t at = r.body.find("<Item>"); at != std::string::npos;
         at = r.body.find("<Item>", at + 1))
      ++items;
    size_t expected = std::min<size_t>(kSelectiveResult, static_cast<size_t>(options_.seed_items));
    if (items != expected) {
      u.ok = false;
      u.status = r.status;
      u.error = "Select returned " + std::to_string(items) + " items, not " +
                std::to_string(expected) + ": " + r.body.substr(0, 200);
    }
    return u;
  }

 private:
  static std::string group(uint64_t g) { return "grp-" + std::to_string(g); }
  int groups_ = 1;
};

// ---- DynamoDB ----------------------------------------------------------------------------

constexpr std::string_view kJson10 = "application/x-amz-json-1.0";

const ClientResponse& ddb(Session& s, std::string_view action, std::string body) {
  return s.json("dynamodb", "DynamoDB_20120810." + std::string(action), std::move(body), kJson10);
}

std::string item(const std::string& pk, const std::string& sk, const std::string& data) {
  return "{\"pk\":{\"S\":" + json_string(pk) + "},\"sk\":{\"S\":" + json_string(sk) +
         "},\"data\":{\"S\":" + json_string(data) + "}}";
}

class DdbBase : public Operation {
 public:
  explicit DdbBase(const Options& o) : options_(o), table_(json_string(o.name)) {}
  void setup(Session& s) override {
    const auto& c = ddb(
        s, "CreateTable",
        "{\"TableName\":" + table_ +
            ",\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
            "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
            "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
            "{\"AttributeName\":\"sk\",\"AttributeType\":\"S\"}],"
            "\"BillingMode\":\"PAY_PER_REQUEST\"}");
    if (!ok_status(c.status) && c.body.find("ResourceInUseException") == std::string::npos)
      expect_ok(c, "CreateTable");
    // Peers such as dynalite create tables asynchronously: wait for ACTIVE.
    for (int i = 0; i < 200; ++i) {
      const auto& d = ddb(s, "DescribeTable", "{\"TableName\":" + table_ + "}");
      expect_ok(d, "DescribeTable");
      if (json_member(d.body, "Table.TableStatus") == "ACTIVE") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    data_ = make_body(options_.size, 0);
  }

 protected:
  void seed(Session& s, const std::string& prefix, bool same_partition) {
    for (int i = 0; i < options_.seed_items; ++i) {
      char sk[16];
      std::snprintf(sk, sizeof sk, "%05d", i);
      std::string pk = same_partition ? prefix : prefix + std::to_string(i);
      expect_ok(ddb(s, "PutItem", "{\"TableName\":" + table_ + ",\"Item\":" +
                                      item(pk, same_partition ? sk : "0", data_) + "}"),
                "PutItem (seed)");
    }
  }
  std::string distinct_data(uint64_t n) const {
    std::string data = data_;
    std::string mark = std::to_string(n) + "-";
    data.replace(0, std::min(mark.size(), data.size()), mark.substr(0, data.size()));
    return data;
  }
  const Options& options_;
  std::string table_;
  std::string data_;
};

class DdbPut : public DdbBase {
 public:
  using DdbBase::DdbBase;
  UnitResult run(Session& s, int worker) override {
    uint64_t n = s.next();
    uint64_t k = options_.key_space ? n % options_.key_space : n;
    const auto& r = ddb(s, "PutItem", "{\"TableName\":" + table_ + ",\"Item\":" +
                                          item("p-" + run_id() + "-" + std::to_string(k), "0",
                                               distinct_data(n)) +
                                          "}");
    if (!ok_status(r.status)) return failed(r);
    UnitResult u;
    u.bytes = options_.size;
    return u;
  }
};

class DdbGet : public DdbBase {
 public:
  using DdbBase::DdbBase;
  void setup(Session& s) override {
    DdbBase::setup(s);
    seed(s, "g-", false);
  }
  UnitResult run(Session& s, int worker) override {
    uint64_t n = s.next() % options_.seed_items;
    const auto& r = ddb(s, "GetItem", "{\"TableName\":" + table_ +
                                          ",\"Key\":{\"pk\":{\"S\":\"g-" + std::to_string(n) +
                                          "\"},\"sk\":{\"S\":\"0\"}}}");
    if (!ok_status(r.status)) return failed(r);
    UnitResult u;
    u.bytes = r.body.size();
    if (r.body.find("\"Item\"") == std::string::npos) {
      u.ok = false;
      u.status = r.status;
      u.error = "GetItem found no item: " + r.body.substr(0, 200);
    }
    return u;
  }
};

class DdbQuery : public DdbBase {
 public:
  using DdbBase::DdbBase;
  void setup(Session& s) override {
    DdbBase::setup(s);
    seed(s, "q", true);
  }
  UnitResult run(Session& s, int worker) override {
    const auto& r = ddb(s, "Query",
                        "{\"TableName\":" + table_ +
                            ",\"KeyConditionExpression\":\"pk = :p\","
                            "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"q\"}},\"Limit\":" +
                            std::to_string(options_.seed_items) + "}");
    if (!ok_status(r.status)) return failed(r);
    UnitResult u;
    u.bytes = r.body.size();
    if (r.body.find("\"Count\":0") != std::string::npos ||
        r.body.find("\"Items\"") == std::string::npos) {
      u.ok = false;
      u.status = r.status;
      u.error = "Query found none of the seeded items: " + r.body.substr(0, 200);
    }
    return u;
  }
};

// A non-empty UnprocessedItems object (or an unparsable answer).
bool has_unprocessed(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return true;
  auto it = doc.FindMember("UnprocessedItems");
  return it != doc.MemberEnd() && it->value.IsObject() && it->value.MemberCount() > 0;
}

class DdbBatchWrite : public DdbBase {
 public:
  using DdbBase::DdbBase;
  UnitResult run(Session& s, int worker) override {
    std::string body = "{\"RequestItems\":{" + table_ + ":[";
    for (int i = 0; i < 25; ++i) {
      uint64_t n = s.next();
      if (i) body += ",";
      body += "{\"PutRequest\":{\"Item\":" +
              item("b-" + run_id() + "-" + std::to_string(n), "0", distinct_data(n)) + "}}";
    }
    body += "]}}";
    const auto& r = ddb(s, "BatchWriteItem", std::move(body));
    if (!ok_status(r.status)) return failed(r);
    UnitResult u;
    u.bytes = options_.size * 25;
    // Unprocessed items would make the figure a lie.
    if (has_unprocessed(r.body)) {
      u.ok = false;
      u.status = r.status;
      u.error = "BatchWriteItem left unprocessed items: " + r.body.substr(0, 200);
    }
    return u;
  }
};

}  // namespace

std::unique_ptr<Operation> make_database_operation(const std::string& name, const Options& o) {
  if (name == "sdb-put") return std::make_unique<SdbPut>(o);
  if (name == "sdb-get") return std::make_unique<SdbGet>(o);
  if (name == "sdb-select") return std::make_unique<SdbSelect>(o);
  if (name == "sdb-select-selective") return std::make_unique<SdbSelectSelective>(o);
  if (name == "ddb-put") return std::make_unique<DdbPut>(o);
  if (name == "ddb-get") return std::make_unique<DdbGet>(o);
  if (name == "ddb-query") return std::make_unique<DdbQuery>(o);
  if (name == "ddb-batch-write") return std::make_unique<DdbBatchWrite>(o);
  return nullptr;
}

}  // namespace nimbus::bench
