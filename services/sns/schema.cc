// SNS's SQLite schema and row access: topics, subscriptions, the outbox, pending HTTP deliveries,
// FIFO deduplication and the signing key. See services/sns/schema.h for the layout.
#include "services/sns/schema.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace nimbus::sns {
namespace {

const std::vector<std::string>& migrations() {
  static const std::vector<std::string> scripts = {
      R"sql(
CREATE TABLE sns_topics(
  arn TEXT PRIMARY KEY,
  account TEXT NOT NULL,
  region TEXT NOT NULL,
  name TEXT NOT NULL,
  attributes TEXT NOT NULL DEFAULT '{}',
  tags TEXT NOT NULL DEFAULT '[]',
  deleted_count INTEGER NOT NULL DEFAULT 0,
  sequence INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sns_topics_by_account ON sns_topics(account, region, arn);
CREATE TABLE sns_subscriptions(
  arn TEXT PRIMARY KEY,
  topic_arn TEXT NOT NULL,
  owner TEXT NOT NULL,
  region TEXT NOT NULL,
  protocol TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  confirmed INTEGER NOT NULL,
  authenticated INTEGER NOT NULL DEFAULT 0,
  token TEXT NOT NULL,
  attributes TEXT NOT NULL DEFAULT '{}',
  created_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sns_subscriptions_by_topic ON sns_subscriptions(topic_arn, arn);
CREATE INDEX sns_subscriptions_by_owner ON sns_subscriptions(owner, region, arn);
CREATE TABLE sns_outbox(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  created_ms INTEGER NOT NULL,
  protocol TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  topic_arn TEXT NOT NULL,
  subscription_arn TEXT NOT NULL,
  type TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  message_id TEXT NOT NULL
);
CREATE TABLE sns_deliveries(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  subscription_arn TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  headers TEXT NOT NULL,
  body TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_ms INTEGER NOT NULL,
  policy TEXT NOT NULL DEFAULT '',
  dead_letter_arn TEXT NOT NULL DEFAULT ''
);
CREATE TABLE sns_fifo_dedup(
  topic_arn TEXT NOT NULL,
  dedup_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  sequence TEXT NOT NULL,
  expires_ms INTEGER NOT NULL,
  PRIMARY KEY(topic_arn, dedup_id)
) WITHOUT ROWID;
CREATE TABLE sns_signing_keys(
  id INTEGER PRIMARY KEY,
  key_pem TEXT NOT NULL,
  cert_pem TEXT NOT NULL
);
)sql",
  };
  return scripts;
}

TopicRecord read_topic(Statement& s) {
  TopicRecord t;
  t.arn = s.column_text(0);
  t.account = s.column_text(1);
  t.region = s.column_text(2);
  t.name = s.column_text(3);
  t.attributes = parse_string_map(s.column_text(4));
  t.tags = parse_tags(s.column_text(5));
  t.deleted_count = s.column_int(6);
  t.sequence = s.column_int(7);
  t.created_ms = s.column_int(8);
  return t;
}
constexpr const char* kTopicColumns =
    "arn, account, region, name, attributes, tags, deleted_count, sequence, created_ms";

SubscriptionRecord read_subscription(Statement& s) {
  SubscriptionRecord r;
  r.arn = s.column_text(0);
  r.topic_arn = s.column_text(1);
  r.owner = s.column_text(2);
  r.region = s.column_text(3);
  r.protocol = s.column_text(4);
  r.endpoint = s.column_text(5);
  r.confirmed = s.column_int(6) != 0;
  r.authenticated = s.column_int(7) != 0;
  r.token = s.column_text(8);
  r.attributes = parse_string_map(s.column_text(9));
  r.created_ms = s.column_int(10);
  return r;
}
#define SUBSCRIPTION_COLUMNS \
  "arn, topic_arn, owner, region, protocol, endpoint, confirmed, authenticated, token, " \
  "attributes, created_ms"

PendingDelivery read_delivery(Statement& s) {
  PendingDelivery d;
  d.id = s.column_int(0);
  d.subscription_arn = s.column_text(1);
  d.endpoint = s.column_text(2);
  d.headers = s.column_text(3);
  d.body = s.column_text(4);
  d.attempts = s.column_int(5);
  d.next_ms = s.column_int(6);
  d.policy = s.column_text(7);
  d.dead_letter_arn = s.column_text(8);
  return d;
}
#define DELIVERY_COLUMNS \
  "id, subscription_arn, endpoint, headers, body, attempts, next_ms, policy, dead_letter_arn"

}  // namespace

std::string to_json(const StringMap& map) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  for (const auto& [k, v] : map) {
    w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

StringMap parse_string_map(std::string_view json) {
  StringMap out;
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) return out;
  for (auto m = doc.MemberBegin(); m != doc.MemberEnd(); ++m)
    if (m->value.IsString())
      out[std::string(m->name.GetString(), m->name.GetStringLength())] =
          std::string(m->value.GetString(), m->value.GetStringLength());
  return out;
}

std::string tags_to_json(const TagList& tags) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartArray();
  for (const auto& [k, v] : tags) {
    w.StartArray();
    w.String(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    w.EndArray();
  }
  w.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

TagList parse_tags(std::string_view json) {
  TagList out;
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsArray()) return out;
  for (const auto& e : doc.GetArray())
    if (e.IsArray() && e.Size() == 2 && e[0].IsString() && e[1].IsString())
      out.emplace_back(e[0].GetString(), e[1].GetString());
  return out;
}

void migrate(Database& db) { db.migrate("sns", migrations()); }

std::optional<TopicRecord> find_topic(Connection& c, const std::string& arn) {
  auto& s = c.prepare(std::string("SELECT ") + kTopicColumns + " FROM sns_topics WHERE arn = ?");
  s.bind(1, arn);
  if (!s.step()) return std::nullopt;
  return read_topic(s);
}

std::vector<TopicRecord> list_topics(Connection& c, const std::string& account,
                                     const std::string& region, const std::string& after,
                                     int limit) {
  auto& s = c.prepare(std::string("SELECT ") + kTopicColumns +
                      " FROM sns_topics WHERE account = ? AND region = ? AND arn > ? ORDER BY arn "
                      "LIMIT ?");
  s.bind_all(account, region, after, limit);
  std::vector<TopicRecord> out;
  while (s.step()) out.push_back(read_topic(s));
  return out;
}

void insert_topic(Connection& c, const TopicRecord& t) {
  c.prepare(std::string("INSERT INTO sns_topics(") + kTopicColumns +
            ") VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind_all(t.arn, t.account, t.region, t.name, to_json(t.attributes), tags_to_json(t.tags),
                t.deleted_count, t.sequence, t.created_ms)
      .run();
}

void update_topic(Connection& c, const TopicRecord& t) {
  c.prepare("UPDATE sns_topics SET attributes = ?, tags = ?, deleted_count = ?, sequence = ? "
            "WHERE arn = ?")
      .bind_all(to_json(t.attributes), tags_to_json(t.tags), t.deleted_count, t.sequence, t.arn)
      .run();
}

void delete_topic(Connection& c, const std::string& arn) {
  c.prepare("DELETE FROM sns_subscriptions WHERE topic_arn = ?").bind(1, arn).run();
  c.prepare("DELETE FROM sns_fifo_dedup WHERE topic_arn = ?").bind(1, arn).run();
  c.prepare("DELETE FROM sns_topics WHERE arn = ?").bind(1, arn).run();
}

std::optional<SubscriptionRecord> find_subscription(Connection& c, const std::string& arn) {
  auto& s = c.prepare("SELECT " SUBSCRIPTION_COLUMNS " FROM sns_subscriptions WHERE arn = ?");
  s.bind(1, arn);
  if (!s.step()) return std::nullopt;
  return read_subscription(s);
}

std::optional<SubscriptionRecord> find_subscription(Connection& c, const std::string& topic_arn,
                                                    const std::string& protocol,
                                                    const std::string& endpoint) {
  auto& s = c.prepare("SELECT " SUBSCRIPTION_COLUMNS
                      " FROM sns_subscriptions WHERE topic_arn = ? AND protocol = ? AND "
                      "endpoint = ?");
  s.bind_all(topic_arn, protocol, endpoint);
  if (!s.step()) return std::nullopt;
  return read_subscription(s);
}

std::vector<SubscriptionRecord> subscriptions_of_topic(Connection& c, const std::string& topic_arn,
                                                       const std::string& after, int limit) {
  auto& s = c.prepare("SELECT " SUBSCRIPTION_COLUMNS
                      " FROM sns_subscriptions WHERE topic_arn = ? AND arn > ? ORDER BY arn "
                      "LIMIT ?");
  s.bind_all(topic_arn, after, limit);
  std::vector<SubscriptionRecord> out;
  while (s.step()) out.push_back(read_subscription(s));
  return out;
}

std::vector<SubscriptionRecord> list_subscriptions(Connection& c, const std::string& account,
                                                   const std::string& region,
                                                   const std::string& after, int limit) {
  auto& s = c.prepare("SELECT " SUBSCRIPTION_COLUMNS
                      " FROM sns_subscriptions WHERE owner = ? AND region = ? AND arn > ? "
                      "ORDER BY arn LIMIT ?");
  s.bind_all(account, region, after, limit);
  std::vector<SubscriptionRecord> out;
  while (s.step()) out.push_back(read_subscription(s));
  return out;
}

void upsert_subscription(Connection& c, const SubscriptionRecord& r) {
  c.prepare("INSERT OR REPLACE INTO sns_subscriptions(" SUBSCRIPTION_COLUMNS
            ") VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind_all(r.arn, r.topic_arn, r.owner, r.region, r.protocol, r.endpoint, r.confirmed,
                r.authenticated, r.token, to_json(r.attributes), r.created_ms)
      .run();
}

void delete_subscription(Connection& c, const std::string& arn) {
  c.prepare("DELETE FROM sns_subscriptions WHERE arn = ?").bind(1, arn).run();
}

std::vector<std::pair<std::string, EpochMillis>> pending_subscriptions(Connection& c) {
  auto& s = c.prepare("SELECT arn, created_ms FROM sns_subscriptions WHERE confirmed = 0");
  std::vector<std::pair<std::string, EpochMillis>> out;
  while (s.step()) out.emplace_back(s.column_text(0), s.column_int(1));
  return out;
}

void insert_outbox(Connection& c, const OutboxEntry& e) {
  c.prepare("INSERT INTO sns_outbox(created_ms, protocol, endpoint, topic_arn, subscription_arn, "
            "type, subject, body, message_id) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind_all(e.created_ms, e.protocol, e.endpoint, e.topic_arn, e.subscription_arn, e.type,
                e.subject, e.body, e.message_id)
      .run();
}

std::vector<OutboxEntry> list_outbox(Connection& c) {
  auto& s = c.prepare("SELECT id, created_ms, protocol, endpoint, topic_arn, subscription_arn, "
                      "type, subject, body, message_id FROM sns_outbox ORDER BY id");
  std::vector<OutboxEntry> out;
  while (s.step()) {
    OutboxEntry e;
    e.id = s.column_int(0);
    e.created_ms = s.column_int(1);
    e.protocol = s.column_text(2);
    e.endpoint = s.column_text(3);
    e.topic_arn = s.column_text(4);
    e.subscription_arn = s.column_text(5);
    e.type = s.column_text(6);
    e.subject = s.column_text(7);
    e.body = s.column_text(8);
    e.message_id = s.column_text(9);
    out.push_back(std::move(e));
  }
  return out;
}

void clear_outbox(Connection& c) { c.prepare("DELETE FROM sns_outbox").run(); }

int64_t insert_delivery(Connection& c, const PendingDelivery& d) {
  c.prepare("INSERT INTO sns_deliveries(subscription_arn, endpoint, headers, body, attempts, "
            "next_ms, policy, dead_letter_arn) VALUES(?, ?, ?, ?, ?, ?, ?, ?)")
      .bind_all(d.subscription_arn, d.endpoint, d.headers, d.body, d.attempts, d.next_ms,
                d.policy, d.dead_letter_arn)
      .run();
  return c.last_insert_rowid();
}

std::optional<PendingDelivery> find_delivery(Connection& c, int64_t id) {
  auto& s = c.prepare("SELECT " DELIVERY_COLUMNS " FROM sns_deliveries WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_delivery(s);
}

std::vector<PendingDelivery> all_deliveries(Connection& c) {
  auto& s = c.prepare("SELECT " DELIVERY_COLUMNS " FROM sns_deliveries ORDER BY id");
  std::vector<PendingDelivery> out;
  while (s.step()) out.push_back(read_delivery(s));
  return out;
}

void reschedule_delivery(Connection& c, int64_t id, int64_t attempts, EpochMillis next_ms) {
  c.prepare("UPDATE sns_deliveries SET attempts = ?, next_ms = ? WHERE id = ?")
      .bind_all(attempts, next_ms, id)
      .run();
}

void delete_delivery(Connection& c, int64_t id) {
  c.prepare("DELETE FROM sns_deliveries WHERE id = ?").bind(1, id).run();
}

}  // namespace nimbus::sns
