// The parts the query and ec2 codecs share: gathering a request's parameters (URL query string
// and form body), walking an input shape over the dotted parameter names botocore's
// QuerySerializer / EC2Serializer write ("Attribute.1.Name", "Tags.member.2.Key", ...), and
// writing an output Value as XML members the way botocore's QueryParser / EC2QueryParser read
// them. Both directions are lenient where real clients differ from botocore (boto 2's
// "AttributeName=X" without an index, "Attribute.Name" for a one-entry map, "Expected.1.Name",
// indices that start at 0 or skip numbers).
//
// Thread-safety: stateless functions.
#pragma once

#include <string>
#include <string_view>

#include "common/encoding.h"
#include "common/http.h"
#include "common/value.h"
#include "common/xml.h"
#include "protocol/codec.h"
#include "protocol/model.h"

namespace nimbus::query {

// The two naming dialects. Query: a member's wire name is its locationName, lists are
// "Name.member.N" unless flattened. Ec2: queryName, else the capitalized locationName; lists are
// always "Name.N"; output lists wrap their elements in <item>.
enum class Dialect { Query, Ec2 };

// The request's parameters: the URL query string, then the body when it is a form (POST
// application/x-www-form-urlencoded, or a body without a Content-Type). Decoded, in order.
QueryParams request_params(const HttpRequest& request);
// The first value of `key` among request_params(request), decoding only what it looks at.
std::optional<std::string> request_param(const HttpRequest& request, std::string_view key);

// Walks `input` over the parameters and returns the Map of the members that were present.
// Signature and protocol parameters (Action, Version, AWSAccessKeyId, Signature*, Timestamp,
// Expires, SecurityToken, ContentType, X-Amz-*) are never taken as members. Throws ApiError
// 400 InvalidParameterValue for a value that does not fit its shape (an integer that is not a
// number, bad base64, ...).
Value decode_params(const QueryParams& params, const Shape& input, Dialect dialect);
// The whole decode step both codecs share: Action → operation (MissingAction / InvalidAction
// otherwise), then the input Value. `where` ends InvalidAction's message ("endpoint", "web
// service").
DecodedRequest decode_request(const HttpRequest& request, const ServiceModel& model,
                              Dialect dialect, const char* where);

// Writes the members of `value` (a Map shaped by the structure `shape`) as XML elements, in the
// model's member order; absent and Null members are left out.
void write_members(XmlWriter& writer, const Shape& shape, const Value& value, Dialect dialect);

// The text form of a scalar in query/ec2 XML: booleans true/false, timestamps ISO 8601 with
// milliseconds (or as the shape's timestampFormat says), blobs base64, numbers in shortest form.
std::string scalar_text(const Shape& shape, const Value& value, std::string_view timestamp_format);

}  // namespace nimbus::query
