// SNS's SQLite schema (migrations for component "sns") and the row reads/writes the service
// composes into transactions.
//
//   sns_topics         one row per topic: arn, account, region, name, attributes (JSON object of
//                      the settable attributes), tags (JSON array of [key, value]), deleted count,
//                      FIFO sequence counter
//   sns_subscriptions  one row per subscription: arn, topic, owner, protocol, endpoint,
//                      confirmed flag, confirmation token, attributes (JSON object)
//   sns_outbox         email / email-json / sms messages "sent" (listed by /_nimbus/sns/outbox)
//   sns_deliveries     pending HTTP(S) deliveries: rendered request, attempts, next attempt time
//   sns_fifo_dedup     FIFO topics' deduplication ids (5-minute window)
//   sns_signing_keys   the RSA key and certificate that sign messages
//
// Functions taking a Connection run inside the caller's read() or write() job.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/time.h"
#include "storage/database.h"

namespace nimbus::sns {

using StringMap = std::map<std::string, std::string>;
using TagList = std::vector<std::pair<std::string, std::string>>;

std::string to_json(const StringMap& map);
StringMap parse_string_map(std::string_view json);
std::string tags_to_json(const TagList& tags);
TagList parse_tags(std::string_view json);

struct TopicRecord {
  std::string arn;
  std::string account;
  std::string region;
  std::string name;
  StringMap attributes;
  TagList tags;
  int64_t deleted_count = 0;
  int64_t sequence = 0;
  EpochMillis created_ms = 0;
  bool fifo() const { return name.size() > 5 && name.ends_with(".fifo"); }
  std::string attribute(const std::string& key, const std::string& fallback = "") const {
    auto it = attributes.find(key);
    return it == attributes.end() ? fallback : it->second;
  }
};

struct SubscriptionRecord {
  std::string arn;
  std::string topic_arn;
  std::string owner;
  std::string region;
  std::string protocol;
  std::string endpoint;
  bool confirmed = false;
  bool authenticated = false;  // ConfirmationWasAuthenticated
  std::string token;
  StringMap attributes;
  EpochMillis created_ms = 0;
  std::string attribute(const std::string& key, const std::string& fallback = "") const {
    auto it = attributes.find(key);
    return it == attributes.end() ? fallback : it->second;
  }
};

struct PendingDelivery {
  int64_t id = 0;
  std::string subscription_arn;
  std::string endpoint;
  std::string headers;  // JSON object name -> value
  std::string body;
  int64_t attempts = 0;
  EpochMillis next_ms = 0;
  std::string policy;  // the subscription's effective delivery policy (JSON) at enqueue time
  std::string dead_letter_arn;
};

struct OutboxEntry {
  int64_t id = 0;
  EpochMillis created_ms = 0;
  std::string protocol, endpoint, topic_arn, subscription_arn, type, subject, body, message_id;
};

void migrate(Database& db);

std::optional<TopicRecord> find_topic(Connection& c, const std::string& arn);
std::vector<TopicRecord> list_topics(Connection& c, const std::string& account,
                                     const std::string& region, const std::string& after,
                                     int limit);
void insert_topic(Connection& c, const TopicRecord& t);
void update_topic(Connection& c, const TopicRecord& t);  // attributes, tags, counters
void delete_topic(Connection& c, const std::string& arn);

std::optional<SubscriptionRecord> find_subscription(Connection& c, const std::string& arn);
std::optional<SubscriptionRecord> find_subscription(Connection& c, const std::string& topic_arn,
                                                    const std::string& protocol,
                                                    const std::string& endpoint);
std::vector<SubscriptionRecord> subscriptions_of_topic(Connection& c, const std::string& topic_arn,
                                                       const std::string& after = "",
                                                       int limit = -1);
std::vector<SubscriptionRecord> list_subscriptions(Connection& c, const std::string& account,
                                                   const std::string& region,
                                                   const std::string& after, int limit);
void upsert_subscription(Connection& c, const SubscriptionRecord& s);
void delete_subscription(Connection& c, const std::string& arn);
// Every unconfirmed subscription: its arn and when it was created (its token issued).
std::vector<std::pair<std::string, EpochMillis>> pending_subscriptions(Connection& c);

void insert_outbox(Connection& c, const OutboxEntry& e);
std::vector<OutboxEntry> list_outbox(Connection& c);
void clear_outbox(Connection& c);

int64_t insert_delivery(Connection& c, const PendingDelivery& d);
std::optional<PendingDelivery> find_delivery(Connection& c, int64_t id);
std::vector<PendingDelivery> all_deliveries(Connection& c);
void reschedule_delivery(Connection& c, int64_t id, int64_t attempts, EpochMillis next_ms);
void delete_delivery(Connection& c, int64_t id);

}  // namespace nimbus::sns
