// Helpers shared by the SNS service's source files (sns_service.cc, delivery.cc): URLs the
// delivered messages carry, ARN parsing, small JSON writers and the delivery-policy rules.
// Internal to services/sns/.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/http.h"
#include "services/sns/http_client.h"
#include "services/sns/schema.h"

namespace nimbus::sns {

inline constexpr const char* kCertificatePath = "/_nimbus/sns/SimpleNotificationService-nimbus.pem";
inline constexpr size_t kMaxMessageBytes = 262144;
// How long a subscription may stay unconfirmed, and how long its confirmation token is valid:
// "Amazon SNS automatically deletes unconfirmed subscriptions after 48 hours" (SNS developer
// guide; 72 hours before May 2023) and "Confirmation tokens are valid for two days" (Subscribe,
// SNS API reference).
inline constexpr EpochMillis kPendingLifetimeMs = 48LL * 3600 * 1000;

// "http(s)://<Host header>" of the request: the address the client reached nimbus at.
std::string base_url(const HttpRequest& request);
std::string subscribe_url(const std::string& base, const std::string& topic_arn,
                          const std::string& token);
std::string unsubscribe_url(const std::string& base, const std::string& subscription_arn);
std::string signing_cert_url(const std::string& base);

struct ArnParts {
  std::string region, account, resource;
};
// arn:aws:<service>:<region>:<12-digit account>:<resource>, else nullopt.
std::optional<ArnParts> parse_arn(std::string_view arn, std::string_view service);

// A flat JSON object of strings, in the given order.
std::string json_object(const std::vector<std::pair<std::string, std::string>>& fields);

bool valid_phone_number(const std::string& number);

// The healthyRetryPolicy that applies to an HTTP(S) subscription: its own DeliveryPolicy, else
// the topic's "http" defaultHealthyRetryPolicy, else AWS's default (3 retries, 20 s apart).
// Returned as the JSON of {"healthyRetryPolicy": {...}, ...}.
std::string effective_delivery_policy(const TopicRecord& topic, const SubscriptionRecord& sub);

struct RetryPolicy {
  int num_retries = 3;
  int min_delay = 20, max_delay = 20;  // seconds
  int num_no_delay = 0, num_min_delay = 0, num_max_delay = 0;
  std::string backoff = "linear";  // linear, arithmetic, geometric, exponential
};
RetryPolicy parse_retry_policy(std::string_view effective_policy_json);
// Seconds to wait before retry number `retry` (1-based), per AWS's four delivery phases.
int retry_delay_seconds(const RetryPolicy& policy, int retry);

}  // namespace nimbus::sns
