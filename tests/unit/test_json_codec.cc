// Tests for the json codec (protocol/json_codec.cc): DynamoDB and SQS requests decoded from
// X-Amz-Target and the JSON body, responses with x-amz-crc32, and the error shapes botocore
// reads (including SQS's x-amzn-query-error).
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <string>

#include "common/hash.h"
#include "protocol/codec.h"
#include "protocol/model.h"

using namespace nimbus;

namespace {

HttpRequest json_request(std::string target, std::string body) {
  HttpRequest r;
  r.method = "POST";
  r.path = "/";
  r.target = "/";
  r.headers.push_back({"Host", "localhost:4566"});
  r.headers.push_back({"Content-Type", "application/x-amz-json-1.0"});
  if (!target.empty()) r.headers.push_back({"X-Amz-Target", std::move(target)});
  r.body = std::move(body);
  return r;
}

DecodedRequest decode(const char* service, const HttpRequest& request) {
  return codec_for("json").decode(request, builtin_model(service), DecodeHints{});
}

ApiError decode_error(const char* service, const HttpRequest& request) {
  try {
    decode(service, request);
  } catch (const ApiError& e) {
    return e;
  }
  FAIL("decode did not throw");
  return {};
}

ResponseMeta meta(std::string id = "req-1") {
  ResponseMeta m;
  m.request_id = std::move(id);
  return m;
}

}  // namespace

TEST_CASE("json decode: DynamoDB PutItem with nested AttributeValue maps and B blobs") {
  DecodedRequest d = decode(
      "dynamodb",
      json_request("DynamoDB_20120810.PutItem",
                   R"({"TableName":"t","Item":{"pk":{"S":"user#1"},"n":{"N":"42"},)"
                   R"("bin":{"B":"AAEC/w=="},"set":{"BS":["aGk=","eW8="]},)"
                   R"("doc":{"M":{"inner":{"L":[{"S":"x"},{"BOOL":true},{"NULL":true}]}}}},)"
                   R"("ReturnValues":"ALL_OLD","Unknown":{"ignored":1}})"));
  REQUIRE(d.operation);
  CHECK(d.operation->name == "PutItem");
  CHECK(d.input.string_or("TableName", "") == "t");
  CHECK_FALSE(d.input.has("Unknown"));
  const Value& item = *d.input.find("Item");
  CHECK(item.find("pk")->string_or("S", "") == "user#1");
  CHECK(item.find("n")->string_or("N", "") == "42");
  CHECK(item.find("bin")->string_or("B", "") == std::string("\x00\x01\x02\xff", 4));
  const Value& set = *item.find("set")->find("BS");
  REQUIRE(set.size() == 2);
  CHECK(set.as_list()[1].as_string() == "yo");
  const Value& inner = *item.find("doc")->find("M")->find("inner")->find("L");
  REQUIRE(inner.size() == 3);
  CHECK(inner.as_list()[1].get_bool("BOOL") == true);
  CHECK(inner.as_list()[2].get_bool("NULL") == true);
}

TEST_CASE("json decode: integers, timestamps and an empty body") {
  DecodedRequest s = decode("dynamodb", json_request("DynamoDB_20120810.Scan",
                                                     R"({"TableName":"t","Limit":25,)"
                                                     R"("Segment":0,"TotalSegments":4})"));
  CHECK(s.input.get_int("Limit") == 25);
  CHECK(s.input.find("Limit")->is_integer());

  DecodedRequest b = decode("dynamodb",
                            json_request("DynamoDB_20120810.ListBackups",
                                         R"({"TimeRangeLowerBound":1700000000.5,)"
                                         R"("TimeRangeUpperBound":"2024-01-01T00:00:00Z"})"));
  REQUIRE(b.input.find("TimeRangeLowerBound"));
  CHECK(b.input.find("TimeRangeLowerBound")->as_timestamp() == 1700000000.5);
  CHECK(b.input.find("TimeRangeUpperBound")->as_timestamp() == 1704067200.0);

  DecodedRequest e = decode("dynamodb", json_request("DynamoDB_20120810.ListTables", ""));
  CHECK(e.input.is_map());
  CHECK(e.input.size() == 0);
}

TEST_CASE("json decode: SQS uses member names, not the Query-era locationNames") {
  DecodedRequest d = decode(
      "sqs", json_request("AmazonSQS.SendMessage",
                          R"({"QueueUrl":"http://h/1/q","MessageBody":"hi","DelaySeconds":3,)"
                          R"("MessageAttributes":{"k":{"DataType":"String","StringValue":"v"}}})"));
  CHECK(d.operation->name == "SendMessage");
  CHECK(d.input.get_int("DelaySeconds") == 3);
  CHECK(d.input.find("MessageAttributes")->find("k")->string_or("StringValue", "") == "v");
}

TEST_CASE("json decode: a missing or unknown X-Amz-Target is UnknownOperationException") {
  ApiError missing = decode_error("dynamodb", json_request("", "{}"));
  CHECK(missing.http_status == 400);
  CHECK(missing.code == "UnknownOperationException");
  ApiError unknown = decode_error("dynamodb", json_request("DynamoDB_20120810.Explode", "{}"));
  CHECK(unknown.code == "UnknownOperationException");
  ApiError wrong_prefix = decode_error("dynamodb", json_request("AmazonSQS.ListQueues", "{}"));
  CHECK(wrong_prefix.code == "UnknownOperationException");
  ApiError sqs = decode_error("sqs", json_request("AmazonSQS.Nope", "{}"));
  CHECK(sqs.message ==
        "The action or operation requested is invalid. Verify that the action is typed "
        "correctly.");
}

TEST_CASE("json decode: malformed JSON is SerializationException") {
  ApiError e =
      decode_error("dynamodb", json_request("DynamoDB_20120810.GetItem", "{\"TableName\":"));
  CHECK(e.http_status == 400);
  CHECK(e.code == "SerializationException");
  CHECK(e.message.find("Could not parse request body") != std::string::npos);
  ApiError array = decode_error("dynamodb", json_request("DynamoDB_20120810.GetItem", "[1]"));
  CHECK(array.code == "SerializationException");
}

TEST_CASE("json decode: a value of the wrong type is SerializationException") {
  ApiError map_for_string = decode_error(
      "dynamodb", json_request("DynamoDB_20120810.DescribeTable", R"({"TableName":{"a":1}})"));
  CHECK(map_for_string.code == "SerializationException");
  CHECK(map_for_string.message == "Start of structure or map found where not expected.");
  ApiError string_for_int = decode_error(
      "dynamodb", json_request("DynamoDB_20120810.Scan", R"({"TableName":"t","Limit":"10"})"));
  CHECK(string_for_int.code == "SerializationException");
  ApiError fraction = decode_error(
      "dynamodb", json_request("DynamoDB_20120810.Scan", R"({"TableName":"t","Limit":1.5})"));
  CHECK(fraction.code == "SerializationException");
  ApiError bad_blob = decode_error(
      "dynamodb",
      json_request("DynamoDB_20120810.PutItem", R"({"TableName":"t","Item":{"b":{"B":"%%%"}}})"));
  CHECK(bad_blob.code == "SerializationException");
}

TEST_CASE("json decode: a type error names where the value sits, through maps and lists") {
  ApiError nested = decode_error(
      "dynamodb", json_request("DynamoDB_20120810.PutItem",
                               R"({"TableName":"t","Item":{"doc":{"M":{"n":{"N":5}}}}})"));
  CHECK(nested.code == "SerializationException");
  CHECK(nested.message.find("(Item.doc.M.n.N)") != std::string::npos);
  ApiError listed = decode_error(
      "dynamodb",
      json_request("DynamoDB_20120810.BatchGetItem",
                   R"({"RequestItems":{"t":{"Keys":[{"k":{"S":"a"}},{"k":{"S":true}}]}}})"));
  CHECK(listed.message.find("(RequestItems.t.Keys[1].k.S)") != std::string::npos);
  ApiError blob = decode_error(
      "dynamodb", json_request("DynamoDB_20120810.PutItem",
                               R"({"TableName":"t","Item":{"b":{"L":[{"S":"x"},{"B":"%%%"}]}}})"));
  CHECK(blob.message.find("(Item.b.L[1].B)") != std::string::npos);
}

TEST_CASE("json encode: DynamoDB GetItem output with blobs and a matching x-amz-crc32") {
  const ServiceModel& model = builtin_model("dynamodb");
  Value item;
  item["pk"].set("S", "a\"b\n");
  item["bin"].set("B", std::string("\x00\x01", 2));
  item["num"].set("N", "1.5");
  Value out;
  out.set("Item", item);
  out["ConsumedCapacity"].set("TableName", "t").set("CapacityUnits", 0.5);
  HttpResponse r = codec_for("json").encode(model, *model.operation("GetItem"), out, meta("rid"));
  CHECK(r.status == 200);
  CHECK(r.body ==
        R"({"Item":{"pk":{"S":"a\"b\n"},"bin":{"B":"AAE="},"num":{"N":"1.5"}},)"
        R"("ConsumedCapacity":{"TableName":"t","CapacityUnits":0.5}})");
  REQUIRE(r.header("x-amz-crc32"));
  CHECK(*r.header("x-amz-crc32") == std::to_string(crc32(r.body)));
  CHECK(*r.header("Content-Type") == "application/x-amz-json-1.0");
  CHECK(*r.header("x-amzn-RequestId") == "rid");
}

TEST_CASE("json encode: timestamps are epoch seconds, no output shape is {}") {
  const ServiceModel& model = builtin_model("dynamodb");
  Value desc;
  desc.set("TableName", "t").set("CreationDateTime", Value::timestamp(1700000000.25))
      .set("ItemCount", int64_t{7});
  Value out;
  out.set("Table", desc);
  HttpResponse r = codec_for("json").encode(model, *model.operation("DescribeTable"), out, meta());
  rapidjson::Document doc;
  doc.Parse(r.body.c_str());
  REQUIRE(doc.IsObject());
  CHECK(doc["Table"]["CreationDateTime"].GetDouble() == 1700000000.25);
  CHECK(doc["Table"]["ItemCount"].GetInt64() == 7);

  const ServiceModel& sqs = builtin_model("sqs");
  HttpResponse empty =
      codec_for("json").encode(sqs, *sqs.operation("DeleteQueue"), Value::map(), meta());
  CHECK(empty.body == "{}");
  CHECK(*empty.header("x-amz-crc32") == std::to_string(crc32("{}")));
}

TEST_CASE("json encode: SQS ListQueues writes member names") {
  const ServiceModel& model = builtin_model("sqs");
  Value out;
  out.set("QueueUrls", ValueList{Value("http://h/1/a")});
  HttpResponse r = codec_for("json").encode(model, *model.operation("ListQueues"), out, meta());
  CHECK(r.body == R"({"QueueUrls":["http://h/1/a"]})");
}

TEST_CASE("json encode_error: DynamoDB __type and message with x-amz-crc32") {
  const ServiceModel& model = builtin_model("dynamodb");
  ApiError e(400, "ResourceNotFoundException", "Requested resource not found");
  HttpResponse r = codec_for("json").encode_error(model, e, meta("rid"));
  CHECK(r.status == 400);
  CHECK(r.body ==
        R"({"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",)"
        R"("message":"Requested resource not found"})");
  CHECK(*r.header("x-amz-crc32") == std::to_string(crc32(r.body)));
  CHECK(r.header("x-amzn-query-error") == nullptr);

  ApiError coral(400, "SerializationException", "bad");
  coral.json_type = "com.amazon.coral.service#SerializationException";
  CHECK(codec_for("json").encode_error(model, coral, meta()).body ==
        R"({"__type":"com.amazon.coral.service#SerializationException","message":"bad"})");

  const ServiceModel& streams = builtin_model("dynamodbstreams");
  CHECK(codec_for("json").encode_error(streams, e, meta()).body.find(
            "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException") != std::string::npos);
}

TEST_CASE("json encode_error: extra_json members follow message, typed by the error shape") {
  const ServiceModel& model = builtin_model("dynamodb");
  ApiError e(400, "TransactionCanceledException", "Transaction cancelled");
  Value none;
  none.set("Code", "None");
  Value failed;
  failed.set("Code", "ConditionalCheckFailed").set("Message", "The conditional request failed");
  failed["Item"]["pk"].set("S", "k");
  failed["Item"]["bin"].set("B", std::string("\x00\x01", 2));
  e.extra_json.set("CancellationReasons", ValueList{none, failed});
  HttpResponse r = codec_for("json").encode_error(model, e, meta());
  CHECK(r.body ==
        R"({"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException",)"
        R"("message":"Transaction cancelled","CancellationReasons":[{"Code":"None"},)"
        R"({"Item":{"pk":{"S":"k"},"bin":{"B":"AAE="}},"Code":"ConditionalCheckFailed",)"
        R"("Message":"The conditional request failed"}]})");
  CHECK(*r.header("x-amz-crc32") == std::to_string(crc32(r.body)));

  // A code the model does not know still gets its members, written by their own kinds.
  ApiError odd(400, "OddException", "odd");
  odd.extra_json.set("Count", 2).set("Skipped", Value());
  CHECK(codec_for("json").encode_error(model, odd, meta()).body ==
        R"({"__type":"com.amazonaws.dynamodb.v20120810#OddException","message":"odd","Count":2})");
}

TEST_CASE("json encode_error: SQS adds x-amzn-query-error with the legacy code and fault") {
  const ServiceModel& model = builtin_model("sqs");
  ApiError e(400, "QueueDoesNotExist", "The specified queue does not exist.");
  e.query_code = "AWS.SimpleQueueService.NonExistentQueue";
  HttpResponse r = codec_for("json").encode_error(model, e, meta());
  CHECK(r.body ==
        R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist",)"
        R"("message":"The specified queue does not exist."})");
  REQUIRE(r.header("x-amzn-query-error"));
  CHECK(*r.header("x-amzn-query-error") == "AWS.SimpleQueueService.NonExistentQueue;Sender");

  ApiError internal(500, "InternalError", "oops", false);
  HttpResponse ir = codec_for("json").encode_error(model, internal, meta());
  CHECK(ir.status == 500);
  CHECK(*ir.header("x-amzn-query-error") == "InternalError;Receiver");
}

TEST_CASE("json decode: hostile nesting is refused, not followed down the stack") {
  std::string deep_item;
  for (int i = 0; i < 5000; ++i) deep_item += R"({"L":[)";
  deep_item += R"({"S":"x"})";
  for (int i = 0; i < 5000; ++i) deep_item += "]}";
  ApiError e = decode_error("dynamodb",
                            json_request("DynamoDB_20120810.PutItem",
                                         R"({"TableName":"t","Item":{"a":)" + deep_item + "}}"));
  CHECK(e.code == "SerializationException");

  std::string brackets(200000, '[');
  ApiError raw = decode_error("dynamodb", json_request("DynamoDB_20120810.PutItem", brackets));
  CHECK(raw.code == "SerializationException");
}
