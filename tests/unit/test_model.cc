// Tests for protocol/model: the embedded botocore models load, and the fields codecs rely on
// (http bindings, payloads, result wrappers, protocol metadata, member order) come through.
#include <doctest/doctest.h>

#include <stdexcept>

#include "protocol/model.h"

namespace nimbus {

TEST_CASE("every builtin model loads with operations and resolved shapes") {
  for (const char* name : {"s3", "sqs", "sns", "sdb", "dynamodb", "dynamodbstreams"}) {
    CAPTURE(name);
    const ServiceModel& m = builtin_model(name);
    CHECK(m.service == name);
    CHECK_FALSE(m.operations.empty());
    CHECK_FALSE(m.api_version.empty());
    for (const auto& [shape_name, shape] : m.shapes) {
      for (const Member& member : shape->members) CHECK(member.shape != nullptr);
      if (shape->type == Shape::Type::List) CHECK(shape->list_member.shape != nullptr);
      if (shape->type == Shape::Type::Map) {
        CHECK(shape->map_key.shape != nullptr);
        CHECK(shape->map_value.shape != nullptr);
      }
    }
  }
}

TEST_CASE("builtin_model caches one instance per name") {
  CHECK(&builtin_model("s3") == &builtin_model("s3"));
  CHECK(&builtin_model("sqs") != &builtin_model("sns"));
}

TEST_CASE("builtin_model rejects unknown names") {
  CHECK_THROWS_AS(builtin_model("ec3"), std::out_of_range);
  CHECK(builtin_model_json("nope") == nullptr);
}

TEST_CASE("s3 PutObject is PUT /{Bucket}/{Key+} with a streaming Body payload") {
  const ServiceModel& s3 = builtin_model("s3");
  CHECK(s3.protocol == "rest-xml");
  CHECK(s3.signing_name == "s3");
  const Operation* op = s3.operation("PutObject");
  REQUIRE(op);
  CHECK(op->http_method == "PUT");
  CHECK(op->request_uri == "/{Bucket}/{Key+}");
  REQUIRE(op->input);
  CHECK(op->input->payload == "Body");
  const Member* body = op->input->member("Body");
  REQUIRE(body);
  CHECK(body->streaming);
  CHECK(body->shape->type == Shape::Type::Blob);
  const Member* bucket = op->input->member("Bucket");
  REQUIRE(bucket);
  CHECK(bucket->location == Location::Uri);
  CHECK(bucket->location_name == "Bucket");
  const Member* metadata = op->input->member("Metadata");
  REQUIRE(metadata);
  CHECK(metadata->location == Location::Headers);
  CHECK(metadata->location_name == "x-amz-meta-");
  CHECK(op->input->is_required("Key"));
}

TEST_CASE("s3 DeleteObject answers 204 and DeleteObjects requires a checksum") {
  const ServiceModel& s3 = builtin_model("s3");
  CHECK(s3.operation("DeleteObject")->response_code == 204);
  CHECK(s3.operation("GetObject")->response_code == 200);
  CHECK(s3.operation("DeleteObjects")->http_checksum_required);
}

TEST_CASE("s3 xml details: namespaces, attributes, flattened lists, error status") {
  const ServiceModel& s3 = builtin_model("s3");
  const Shape* grantee = s3.shape("Grantee");
  REQUIRE(grantee);
  CHECK(grantee->xml_namespace == "http://www.w3.org/2001/XMLSchema-instance");
  CHECK(grantee->xml_namespace_prefix == "xsi");
  const Member* type = grantee->member("Type");
  REQUIRE(type);
  CHECK(type->xml_attribute);
  CHECK(type->location_name == "xsi:type");

  const Shape* out = s3.operation("ListObjectsV2")->output;
  REQUIRE(out);
  const Member* contents = out->member("Contents");
  REQUIRE(contents);
  CHECK(contents->shape->type == Shape::Type::List);
  CHECK(contents->shape->flattened);

  const Member* grants = s3.operation("GetBucketAcl")->output->member("Grants");
  REQUIRE(grants);
  CHECK(grants->location_name == "AccessControlList");
  CHECK(grants->shape->list_member.location_name == "Grant");

  const Shape* no_such_bucket = s3.shape("NoSuchBucket");
  REQUIRE(no_such_bucket);
  CHECK(no_such_bucket->is_exception);
  CHECK(no_such_bucket->error_http_status == 404);
  CHECK(no_such_bucket->error_code == "NoSuchBucket");

  const Member* config = s3.operation("CreateBucket")->input->member("CreateBucketConfiguration");
  REQUIRE(config);
  CHECK(config->xml_namespace == "http://s3.amazonaws.com/doc/2006-03-01/");
}

TEST_CASE("sns Publish output is wrapped in PublishResult") {
  const ServiceModel& sns = builtin_model("sns");
  CHECK(sns.protocol == "query");
  CHECK(sns.xml_namespace == "http://sns.amazonaws.com/doc/2010-03-31/");
  const Operation* op = sns.operation("Publish");
  REQUIRE(op);
  CHECK(op->result_wrapper == "PublishResult");
  CHECK(op->input->is_required("Message"));
  const Shape* not_found = sns.shape("NotFoundException");
  REQUIRE(not_found);
  CHECK(not_found->error_code == "NotFound");
  CHECK(not_found->error_http_status == 404);
}

TEST_CASE("dynamodb metadata carries the json target prefix and version") {
  const ServiceModel& ddb = builtin_model("dynamodb");
  CHECK(ddb.protocol == "json");
  CHECK(ddb.target_prefix == "DynamoDB_20120810");
  CHECK(ddb.json_version == "1.0");
  CHECK_FALSE(ddb.aws_query_compatible);
  const ServiceModel& streams = builtin_model("dynamodbstreams");
  CHECK(streams.target_prefix == "DynamoDBStreams_20120810");
  CHECK(streams.signing_name == "dynamodb");
  CHECK(streams.endpoint_prefix == "streams.dynamodb");
  const Shape* internal = ddb.shape("InternalServerError");
  REQUIRE(internal);
  CHECK_FALSE(internal->error_sender_fault);
}

TEST_CASE("sqs is json and awsQueryCompatible") {
  const ServiceModel& sqs = builtin_model("sqs");
  CHECK(sqs.protocol == "json");
  CHECK(sqs.target_prefix == "AmazonSQS");
  CHECK(sqs.aws_query_compatible);
  CHECK(sqs.operation("SendMessage") != nullptr);
}

TEST_CASE("sdb errors keep their code, status and fault") {
  const ServiceModel& sdb = builtin_model("sdb");
  CHECK(sdb.protocol == "query");
  const Shape* missing = sdb.shape("NoSuchDomain");
  REQUIRE(missing);
  CHECK(missing->error_code == "NoSuchDomain");
  CHECK(missing->error_http_status == 400);
  CHECK(missing->error_sender_fault);
  CHECK(sdb.operation("Select")->result_wrapper == "SelectResult");
}

TEST_CASE("shape members keep model order, not alphabetical order") {
  const ServiceModel& s3 = builtin_model("s3");
  const Shape* out = s3.operation("ListObjectsV2")->output;
  REQUIRE(out);
  REQUIRE(out->members.size() > 3);
  CHECK(out->members[0].name == "IsTruncated");
  CHECK(out->members[1].name == "Contents");
  CHECK(out->members[2].name == "Name");
}

TEST_CASE("from_json parses a small model and reports malformed input") {
  const char* json = R"({"metadata":{"protocol":"query","apiVersion":"1"},
    "operations":{"Op":{"http":{"method":"POST","requestUri":"/"},"input":{"shape":"In"}}},
    "shapes":{"In":{"type":"structure","members":{"Z":{"shape":"S"},"A":{"shape":"L"}}},
              "S":{"type":"string","min":1,"max":5,"enum":["a","b"]},
              "L":{"type":"list","member":{"shape":"S","locationName":"item"},"flattened":true}}})";
  auto m = ServiceModel::from_json("toy", json);
  const Shape* in = m->operation("Op")->input;
  REQUIRE(in);
  CHECK(in->members[0].name == "Z");
  CHECK(in->members[1].name == "A");
  const Shape* s = m->shape("S");
  CHECK(s->has_min);
  CHECK(s->min == 1);
  CHECK(s->max == 5);
  CHECK(s->enum_values == std::vector<std::string>{"a", "b"});
  const Shape* l = m->shape("L");
  CHECK(l->flattened);
  CHECK(l->list_member.location_name == "item");
  CHECK(l->list_member.shape == s);
  CHECK(m->signing_name.empty());

  CHECK_THROWS_AS(ServiceModel::from_json("toy", "{not json"), std::runtime_error);
  const char* dangling =
      R"({"metadata":{},"shapes":{"A":{"type":"list","member":{"shape":"X"}}}})";
  CHECK_THROWS_AS(ServiceModel::from_json("toy", dangling), std::runtime_error);
}

}  // namespace nimbus
