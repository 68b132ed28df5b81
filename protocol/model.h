// ServiceModel: the operations and shapes of one AWS service, loaded from the botocore model
// (docs stripped) that tools/gen_models.py embeds in protocol/generated/. Codecs walk these shapes
// to turn wire bytes into a Value and a Value back into wire bytes, so every field name, list
// form, location (header, query, uri) and timestamp format matches what real clients expect.
//
// Thread-safety: immutable after load; share freely.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace nimbus {

struct Shape;

enum class Location { Body, Header, Headers, QueryString, Uri, StatusCode };

struct Member {
  std::string name;           // the member's name in the model ("QueueUrl")
  const Shape* shape = nullptr;
  Location location = Location::Body;
  std::string location_name;  // wire name: header name, query key, uri label, XML element
  std::string query_name;     // ec2 protocol "queryName"
  std::string xml_namespace;  // xmlNamespace.uri, for payload members
  std::string xml_namespace_prefix;  // xmlNamespace.prefix ("xsi" on S3's Grantee)
  bool xml_attribute = false;
  bool flattened = false;     // member-level "flattened"
  bool idempotency_token = false;
  bool streaming = false;     // the payload blob is streamed (S3 Body)
  bool json_value = false;    // header holding base64 JSON
  std::string timestamp_format;  // member-level override
  std::string host_label;
};

struct Shape {
  enum class Type {
    Structure, List, Map, String, Integer, Long, Boolean, Double, Float, Blob, Timestamp
  };
  std::string name;
  Type type = Type::String;

  // Structure
  std::vector<Member> members;           // in model order
  std::vector<std::string> required;
  std::string payload;                   // rest protocols: the member that is the body
  bool is_exception = false;
  std::string error_code;                // error.code, or the shape name
  int error_http_status = 0;             // error.httpStatusCode
  bool error_sender_fault = true;
  bool is_union = false;

  // List
  Member list_member;                    // shape + locationName of the element
  bool flattened = false;                // List/Map: shape-level "flattened"

  // Map
  Member map_key;
  Member map_value;

  // String
  std::vector<std::string> enum_values;
  bool streaming = false;                // Blob/String streamed payload
  // Numeric / length limits, when the model sets them (min/max); has_* says whether present.
  bool has_min = false, has_max = false;
  double min = 0, max = 0;
  std::string pattern;
  std::string timestamp_format;          // "iso8601", "rfc822", "unixTimestamp"
  std::string location_name;             // shape-level locationName (S3 output roots)
  std::string xml_namespace;
  std::string xml_namespace_prefix;

  const Member* member(std::string_view member_name) const;
  bool is_required(std::string_view member_name) const;
};

struct Operation {
  std::string name;               // "PutObject"
  std::string http_method;        // "PUT"
  std::string request_uri;        // "/{Bucket}/{Key+}?uploads"
  int response_code = 200;        // http.responseCode
  const Shape* input = nullptr;   // may be null
  const Shape* output = nullptr;  // may be null
  std::string result_wrapper;     // query protocol: output.resultWrapper ("PublishResult")
  std::vector<const Shape*> errors;
  // httpChecksum: the request must carry Content-MD5 or a checksum (S3 DeleteObjects, ...).
  bool http_checksum_required = false;
  std::string request_algorithm_member;  // httpChecksum.requestAlgorithmMember
  bool deprecated = false;        // superseded (S3 GetBucketLifecycle → ...Configuration)
};

struct ServiceModel {
  std::string service;            // our short name: "s3", "sqs", "sns", "sdb", "dynamodb", ...
  std::string protocol;           // "rest-xml", "query", "ec2", "json"
  std::string api_version;        // "2012-11-05"
  std::string target_prefix;      // json: "DynamoDB_20120810", "AmazonSQS"
  std::string json_version;       // "1.0"
  std::string xml_namespace;      // query: "http://sns.amazonaws.com/doc/2010-03-31/"
  std::string signing_name;       // "s3", "sdb", ...
  std::string endpoint_prefix;
  bool aws_query_compatible = false;  // SQS: errors carry x-amzn-query-error

  std::map<std::string, std::unique_ptr<Shape>, std::less<>> shapes;
  std::map<std::string, Operation, std::less<>> operations;

  const Operation* operation(std::string_view name) const;
  const Shape* shape(std::string_view name) const;

  // Parses a botocore service-2.json document (documentation may be present or stripped).
  // Throws std::runtime_error on malformed input.
  static std::unique_ptr<ServiceModel> from_json(std::string_view service,
                                                 std::string_view json_text);
};

// The embedded model JSON of a service (protocol/generated/models.cc, written by
// tools/gen_models.py), or nullptr for an unknown name. Static storage; never freed.
const char* builtin_model_json(std::string_view name);

// The embedded models (protocol/generated/models.cc), parsed on first use and cached for the
// process. name is "s3", "sqs", "sns", "sdb", "dynamodb", "dynamodbstreams". Throws
// std::out_of_range for an unknown name.
const ServiceModel& builtin_model(std::string_view name);

}  // namespace nimbus
