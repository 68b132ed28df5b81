// SnsService: Amazon SNS over the Query codec (2010-03-31). Input and output Values use the
// botocore SNS model's member names; state lives in SQLite (services/sns/schema.h).
//
// Implemented: CreateTopic, DeleteTopic, ListTopics, Get/SetTopicAttributes, Tag/Untag/
// ListTagsForResource, Add/RemovePermission, Subscribe, ConfirmSubscription, Unsubscribe,
// ListSubscriptions, ListSubscriptionsByTopic, Get/SetSubscriptionAttributes, Publish,
// PublishBatch. Platform applications, SMS sandbox and data-protection operations answer 501.
//
// Deliveries: sqs subscriptions go through ServiceEnv::queues (QueueDirectory) during Publish;
// http/https deliveries are persisted in sns_deliveries and POSTed from scheduler tasks with the
// delivery policy's retries (then dropped or sent to the RedrivePolicy dead-letter queue);
// email, email-json and sms deliveries are written to the outbox that GET /_nimbus/sns/outbox
// lists. Messages are signed (services/sns/signer.h); the certificate is served at
// /_nimbus/sns/SimpleNotificationService-nimbus.pem.
//
// Subscriptions that need confirmation (http, https, email, email-json) are deleted when still
// unconfirmed 48 hours after Subscribe, as on AWS; their tokens are valid for those 48 hours.
// The expiry is a scheduler task, rescheduled from storage at start-up.
//
// Anonymous callers may only ConfirmSubscription and Unsubscribe (the SubscribeURL and
// UnsubscribeURL of delivered messages), as on AWS.
//
// Thread-safety: call() may run on many threads at once; shared state is in the Database, the
// filter-policy cache is under a mutex.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "services/messaging.h"
#include "services/service.h"
#include "services/sns/filter_policy.h"
#include "services/sns/schema.h"
#include "services/sns/signer.h"

namespace nimbus {
namespace sns {
struct Prepared;
struct SqsSend;
}

class SnsService : public Service {
 public:
  // Applies the "sns" migrations and schedules the pending HTTP deliveries and the expiry of
  // the unconfirmed subscriptions found in storage.
  // env must outlive the service.
  explicit SnsService(ServiceEnv& env);
  ~SnsService() override;

  std::string_view name() const override { return "sns"; }
  const ServiceModel& model() const override { return model_; }
  Result call(CallContext& context, const Value& input) override;
  bool allows_anonymous() const override { return true; }
  void reset() override;
  std::optional<HttpResponse> admin(const HttpRequest& request) override;

  // Attempts the pending HTTP delivery `id` now (a scheduler task; public for tests).
  void deliver(int64_t id);
  // Deletes the subscription if it is still unconfirmed sns::kPendingLifetimeMs after it was
  // created (by env.clock); if that time has not come yet, schedules itself again for then.
  // Harmless for a confirmed or deleted subscription. A scheduler task; public for tests.
  void expire_pending(const std::string& subscription_arn);

 private:
  struct Outgoing;
  Result create_topic(CallContext& ctx, const Value& input);
  Result delete_topic(CallContext& ctx, const Value& input);
  Result list_topics(CallContext& ctx, const Value& input);
  Result get_topic_attributes(CallContext& ctx, const Value& input);
  Result set_topic_attributes(CallContext& ctx, const Value& input);
  Result tag_resource(CallContext& ctx, const Value& input);
  Result untag_resource(CallContext& ctx, const Value& input);
  Result list_tags(CallContext& ctx, const Value& input);
  Result add_permission(CallContext& ctx, const Value& input);
  Result remove_permission(CallContext& ctx, const Value& input);
  Result subscribe(CallContext& ctx, const Value& input);
  Result confirm_subscription(CallContext& ctx, const Value& input);
  Result unsubscribe(CallContext& ctx, const Value& input);
  Result list_subscriptions(CallContext& ctx, const Value& input);
  Result list_subscriptions_by_topic(CallContext& ctx, const Value& input);
  Result get_subscription_attributes(CallContext& ctx, const Value& input);
  Result set_subscription_attributes(CallContext& ctx, const Value& input);
  Result publish(CallContext& ctx, const Value& input);
  Result publish_batch(CallContext& ctx, const Value& input);

  // The topic, checked for the caller's right to `action` (NotFound / AuthorizationError).
  sns::TopicRecord require_topic(Connection& c, const CallContext& ctx, const std::string& arn,
                                 std::string_view action);
  std::shared_ptr<const sns::FilterPolicy> filter_policy(const sns::SubscriptionRecord& s);
  // Renders and signs a SubscriptionConfirmation / UnsubscribeConfirmation message.
  std::string confirmation_message(const std::string& type, const sns::TopicRecord& topic,
                                   const sns::SubscriptionRecord& s, const std::string& base_url);
  // Sends to the queues in one QueueDirectory::send_messages call; those refused go to their
  // subscription's dead-letter queue (a second call), failures are logged.
  void send_to_queues(const std::vector<sns::SqsSend>& sends);
  void schedule_delivery(int64_t id, EpochMillis when);
  void schedule_expiry(const std::string& subscription_arn, EpochMillis created_ms);
  std::string required_topic(const Value& input);
  // Delivers prepared messages to the topic's subscriptions (FIFO dedup, outbox, HTTP, SQS).
  void fan_out(CallContext& ctx, const sns::TopicRecord& topic,
               const std::vector<sns::SubscriptionRecord>& subscriptions,
               std::vector<sns::Prepared>& entries);
  std::string sign(const std::string& text, const std::string& version);

  ServiceEnv env_;
  const ServiceModel& model_;
  sns::MessageSigner signer_;
  std::mutex fifo_mutex_;
  std::mutex policies_mutex_;
  std::unordered_map<std::string, std::shared_ptr<const sns::FilterPolicy>> policies_;
};

}  // namespace nimbus
