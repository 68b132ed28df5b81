// FilterPolicy: SNS subscription filter policies ("Amazon SNS message filtering"): parsing with
// AWS's validation errors, and matching against a message's attributes
// (FilterPolicyScope=MessageAttributes) or its JSON body (FilterPolicyScope=MessageBody).
//
// Supported: exact strings and numbers (and null / booleans in body scope), prefix, suffix,
// anything-but (values, lists, prefix, suffix), numeric (=, <, <=, >, >= and ranges), exists,
// equals-ignore-case, cidr (IPv4 and IPv6), $or, nested keys (body scope). Limits: 5 keys and
// 150 combinations per policy, as AWS enforces them.
//
// Thread-safety: an immutable value once parsed; share it freely.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/value.h"

namespace nimbus::sns {

class FilterPolicy {
 public:
  enum class Scope { MessageAttributes, MessageBody };

  // Parses and validates `json`. Throws ApiError InvalidParameter ("Invalid parameter:
  // FilterPolicy: ...") for a policy AWS would refuse.
  static FilterPolicy parse(std::string_view json, Scope scope);

  // Whether a message with these SNS MessageAttributes ({"name": {"DataType": ...,
  // "StringValue": ...}}) passes. Only meaningful for Scope::MessageAttributes.
  bool matches_attributes(const Value& message_attributes) const;
  // Whether a message with this body passes. A body that is not a JSON object never matches.
  bool matches_body(std::string_view message) const;

  struct Node;

 private:
  std::shared_ptr<const Node> root_;
};

}  // namespace nimbus::sns
