// The MD5 digests SQS returns with every sent and received message, computed exactly as AWS does
// (the Java, JavaScript, .NET and Ruby SDKs recompute and reject a mismatch):
//   MD5OfMessageBody: hex MD5 of the body's bytes.
//   MD5OfMessageAttributes / MD5OfMessageSystemAttributes: for each attribute in name order,
//   4-byte big-endian length + name, length + DataType, one transport byte (1 String/Number,
//   2 Binary, 3 String list, 4 Binary list), then length + value (for lists: each element as
//   length + bytes); hex MD5 of the concatenation.
//
// Thread-safety: stateless functions.
#pragma once

#include <string>
#include <string_view>

#include "common/value.h"

namespace nimbus::sqs {

std::string md5_of_body(std::string_view body);
// `attributes`: a Map of name -> {DataType, StringValue | BinaryValue (raw bytes) |
// StringListValues | BinaryListValues}, as the SQS model shapes MessageAttributes. Returns "" for
// an empty or absent map (SQS then leaves the member out).
std::string md5_of_attributes(const Value& attributes);

}  // namespace nimbus::sqs
