// Codec: one per wire protocol (rest-xml, query, ec2, json), shared by every service that speaks
// it. decode() turns an HTTP request into the operation and its input Value, walking the
// operation's input shape; encode() turns an output Value into the response bytes, walking the
// output shape; encode_error() writes an ApiError in the service's error shape. Codecs decide no
// business rule.
//
// Thread-safety: codecs are stateless; the instances from codec_for() are shared.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"
#include "common/http.h"
#include "common/value.h"
#include "protocol/model.h"

namespace nimbus {

struct DecodedRequest {
  const Operation* operation = nullptr;
  Value input;  // Map of the input shape's members that were present
};

struct DecodeHints {
  // rest-xml (S3): the bucket named by a virtual-host style Host header, when the router found
  // one; the path then holds only the key.
  std::string bucket_from_host;
};

struct ResponseMeta {
  std::string request_id;
  std::string box_usage;      // SimpleDB: <BoxUsage> in ResponseMetadata and errors
  bool head_request = false;  // HEAD: headers only, no body (errors too)
};

class Codec {
 public:
  virtual ~Codec() = default;
  // Throws ApiError: the protocol's unknown-operation error (query: InvalidAction 400; json:
  // UnknownOperationException 400; rest-xml: NotImplemented 501 / MethodNotAllowed) and
  // malformed-input errors (MalformedXML, SerializationException, ...).
  virtual DecodedRequest decode(const HttpRequest& request, const ServiceModel& model,
                                const DecodeHints& hints) const = 0;
  // status 0 means the operation's default (Operation::response_code). Extra headers and a
  // streamed body are added by the caller afterwards.
  virtual HttpResponse encode(const ServiceModel& model, const Operation& operation,
                              const Value& output, const ResponseMeta& meta) const = 0;
  virtual HttpResponse encode_error(const ServiceModel& model, const ApiError& error,
                                    const ResponseMeta& meta) const = 0;
};

// The shared codec for a protocol name as ServiceModel::protocol spells it ("rest-xml", "query",
// "ec2", "json"). Throws std::out_of_range for an unknown name.
const Codec& codec_for(std::string_view protocol);

}  // namespace nimbus
