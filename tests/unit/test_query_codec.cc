// Tests for the query codec (protocol/query_codec.cc): SNS, SimpleDB and boto 2's SQS requests
// decoded into the model's input shapes, responses and errors written in the XML shapes botocore
// and boto 2 parse.
#include <doctest/doctest.h>
#include <tinyxml2.h>

#include <string>
#include <vector>

#include "common/encoding.h"
#include "protocol/codec.h"
#include "protocol/model.h"
#include "protocol/query_codec.h"

using namespace nimbus;

namespace {

HttpRequest get_request(std::string path, std::string query) {
  HttpRequest r;
  r.method = "GET";
  r.path = std::move(path);
  r.query = std::move(query);
  r.target = r.path + (r.query.empty() ? "" : "?" + r.query);
  r.headers.push_back({"Host", "localhost:4566"});
  return r;
}

HttpRequest form_request(std::string body) {
  HttpRequest r;
  r.method = "POST";
  r.path = "/";
  r.target = "/";
  r.headers.push_back({"Host", "localhost:4566"});
  r.headers.push_back({"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"});
  r.body = std::move(body);
  return r;
}

DecodedRequest decode(const char* service, const HttpRequest& request) {
  const ServiceModel& model = builtin_model(service);
  return codec_for("query").decode(request, model, DecodeHints{});
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

// Parses a response body; the caller keeps the document alive while it uses elements.
const tinyxml2::XMLElement* parse(tinyxml2::XMLDocument& doc, const std::string& body) {
  REQUIRE(doc.Parse(body.data(), body.size()) == tinyxml2::XML_SUCCESS);
  return doc.RootElement();
}

std::string text_of(const tinyxml2::XMLElement* e) {
  return e && e->GetText() ? e->GetText() : "";
}

std::vector<const tinyxml2::XMLElement*> children(const tinyxml2::XMLElement* parent,
                                                  const char* name) {
  std::vector<const tinyxml2::XMLElement*> out;
  for (auto* e = parent->FirstChildElement(name); e; e = e->NextSiblingElement(name))
    out.push_back(e);
  return out;
}

ResponseMeta meta(std::string id = "req-1") {
  ResponseMeta m;
  m.request_id = std::move(id);
  return m;
}

}  // namespace

TEST_CASE("query decode: SNS Publish reads MessageAttributes in the map entry form") {
  DecodedRequest d = decode(
      "sns", form_request("Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1"
                          "%3A123456789012%3At&Message=hello+world"
                          "&MessageAttributes.entry.1.Name=color"
                          "&MessageAttributes.entry.1.Value.DataType=String"
                          "&MessageAttributes.entry.1.Value.StringValue=blue"
                          "&MessageAttributes.entry.2.Name=raw"
                          "&MessageAttributes.entry.2.Value.DataType=Binary"
                          "&MessageAttributes.entry.2.Value.BinaryValue=aGk%3D"));
  REQUIRE(d.operation);
  CHECK(d.operation->name == "Publish");
  CHECK(d.input.string_or("TopicArn", "") == "arn:aws:sns:us-east-1:123456789012:t");
  CHECK(d.input.string_or("Message", "") == "hello world");
  const Value* attrs = d.input.find("MessageAttributes");
  REQUIRE(attrs);
  REQUIRE(attrs->size() == 2);
  CHECK(attrs->find("color")->string_or("DataType", "") == "String");
  CHECK(attrs->find("color")->string_or("StringValue", "") == "blue");
  CHECK(attrs->find("raw")->string_or("BinaryValue", "") == "hi");  // base64-decoded
}

TEST_CASE("query decode: SNS non-flattened lists read Name.member.N") {
  DecodedRequest d = decode("sns", form_request("Action=CreateTopic&Name=t"
                                                "&Tags.member.2.Key=b&Tags.member.2.Value=2"
                                                "&Tags.member.1.Key=a&Tags.member.1.Value=1"
                                                "&Attributes.entry.1.key=DisplayName"
                                                "&Attributes.entry.1.value=Mine"));
  const Value* tags = d.input.find("Tags");
  REQUIRE(tags);
  REQUIRE(tags->size() == 2);
  CHECK(tags->as_list()[0].string_or("Key", "") == "a");
  CHECK(tags->as_list()[1].string_or("Value", "") == "2");
  CHECK(d.input["Attributes"].string_or("DisplayName", "") == "Mine");
}

TEST_CASE("query decode: an empty list parameter is an empty list") {
  DecodedRequest d = decode("sns", form_request("Action=CreateTopic&Name=t&Tags="));
  REQUIRE(d.input.find("Tags"));
  CHECK(d.input["Tags"].is_list());
  CHECK(d.input["Tags"].size() == 0);
}

TEST_CASE("query decode: SimpleDB PutAttributes reads Attribute.N.Name/Value/Replace") {
  DecodedRequest d = decode(
      "sdb", get_request("/", "Action=PutAttributes&Version=2009-04-15&DomainName=d&ItemName=i"
                              "&Attribute.1.Name=color&Attribute.1.Value=red"
                              "&Attribute.1.Replace=true&Attribute.3.Name=size"
                              "&Attribute.3.Value=10&Attribute.0.Name=first&Attribute.0.Value=0"
                              "&Expected.1.Name=color&Expected.1.Exists=false"
                              "&AWSAccessKeyId=AKID&SignatureVersion=2&Signature=abc"
                              "&Timestamp=2026-01-01T00%3A00%3A00Z"));
  CHECK(d.operation->name == "PutAttributes");
  const Value& attrs = d.input["Attributes"];
  REQUIRE(attrs.size() == 3);
  // Indices are sorted numerically, whether they start at 0 or skip numbers.
  CHECK(attrs.as_list()[0].string_or("Name", "") == "first");
  CHECK(attrs.as_list()[1].string_or("Name", "") == "color");
  CHECK(attrs.as_list()[1].get_bool("Replace") == true);
  CHECK(attrs.as_list()[2].string_or("Value", "") == "10");
  CHECK_FALSE(attrs.as_list()[2].has("Replace"));
  // SimpleDB's documented Expected.1.* form fills the Expected structure.
  CHECK(d.input["Expected"].string_or("Name", "") == "color");
  CHECK(d.input["Expected"].get_bool("Exists") == false);
  // Signature parameters never become members.
  CHECK(d.input.size() == 4);
}

TEST_CASE("query decode: boto 2's AttributeName=X without an index is a one-element list") {
  DecodedRequest d = decode("sdb", get_request("/", "Action=GetAttributes&DomainName=d&ItemName=i"
                                                    "&AttributeName=color&ConsistentRead=true"));
  REQUIRE(d.input["AttributeNames"].size() == 1);
  CHECK(d.input["AttributeNames"].as_list()[0].as_string() == "color");
  CHECK(d.input.get_bool("ConsistentRead") == true);

  DecodedRequest d2 = decode("sdb", get_request("/", "Action=GetAttributes&DomainName=d&ItemName=i"
                                                     "&AttributeName.1=a&AttributeName.2=b"));
  REQUIRE(d2.input["AttributeNames"].size() == 2);
  CHECK(d2.input["AttributeNames"].as_list()[1].as_string() == "b");
}

TEST_CASE("query decode: SimpleDB BatchPutAttributes reads Item.N.ItemName and nested lists") {
  DecodedRequest d = decode("sdb", form_request("Action=BatchPutAttributes&DomainName=d"
                                                "&Item.1.ItemName=one&Item.1.Attribute.1.Name=a"
                                                "&Item.1.Attribute.1.Value=x"
                                                "&Item.2.ItemName=two&Item.2.Attribute.1.Name=b"
                                                "&Item.2.Attribute.1.Value=y"
                                                "&Item.2.Attribute.1.Replace=true"));
  const Value& items = d.input["Items"];
  REQUIRE(items.size() == 2);
  CHECK(items.as_list()[0].string_or("Name", "") == "one");
  CHECK(items.as_list()[1].find("Attributes")->as_list()[0].get_bool("Replace") == true);
}

TEST_CASE("query decode: SQS SendMessage with boto 2's MessageAttribute.N names") {
  DecodedRequest d = decode(
      "sqs", get_request("/123456789012/jobs",
                         "Action=SendMessage&Version=2012-11-05&MessageBody=hi%20there"
                         "&DelaySeconds=5"
                         "&MessageAttribute.1.Name=kind&MessageAttribute.1.Value.DataType=String"
                         "&MessageAttribute.1.Value.StringValue=job"
                         "&MessageAttribute.2.Name=blob&MessageAttribute.2.Value.DataType=Binary"
                         "&MessageAttribute.2.Value.BinaryValue=AAEC"
                         "&MessageSystemAttribute.1.Name=AWSTraceHeader"
                         "&MessageSystemAttribute.1.Value.DataType=String"
                         "&MessageSystemAttribute.1.Value.StringValue=Root%3D1"));
  CHECK(d.operation->name == "SendMessage");
  CHECK(d.input.string_or("MessageBody", "") == "hi there");
  CHECK(d.input.get_int("DelaySeconds") == 5);
  // boto 2 addresses the queue by its path instead of a QueueUrl parameter.
  CHECK(d.input.string_or("QueueUrl", "") == "http://localhost:4566/123456789012/jobs");
  const Value& attrs = d.input["MessageAttributes"];
  REQUIRE(attrs.size() == 2);
  CHECK(attrs.find("kind")->string_or("StringValue", "") == "job");
  CHECK(attrs.find("blob")->string_or("BinaryValue", "") == std::string("\0\1\2", 3));
  CHECK(d.input["MessageSystemAttributes"]["AWSTraceHeader"].string_or("StringValue", "") ==
        "Root=1");
}

TEST_CASE("query decode: SQS legacy list and map names") {
  DecodedRequest r = decode("sqs", get_request("/123456789012/q",
                                               "Action=ReceiveMessage&AttributeName=All"
                                               "&MessageAttributeName.1=kind"
                                               "&MessageAttributeName.2=color"
                                               "&MaxNumberOfMessages=10&WaitTimeSeconds=0"));
  REQUIRE(r.input["AttributeNames"].size() == 1);
  CHECK(r.input["AttributeNames"].as_list()[0].as_string() == "All");
  CHECK(r.input["MessageAttributeNames"].size() == 2);
  CHECK(r.input.get_int("MaxNumberOfMessages") == 10);

  // SetQueueAttributes: boto 2 sends one unindexed Attribute.Name / Attribute.Value pair.
  DecodedRequest s = decode("sqs", get_request("/123456789012/q",
                                               "Action=SetQueueAttributes"
                                               "&Attribute.Name=VisibilityTimeout"
                                               "&Attribute.Value=60"));
  CHECK(s.input["Attributes"].string_or("VisibilityTimeout", "") == "60");

  DecodedRequest c = decode("sqs", form_request("Action=CreateQueue&QueueName=q"
                                                "&Attribute.1.Name=DelaySeconds"
                                                "&Attribute.1.Value=3&Tag.1.Key=team"
                                                "&Tag.1.Value=core"));
  CHECK(c.input["Attributes"].string_or("DelaySeconds", "") == "3");
  CHECK(c.input["tags"].string_or("team", "") == "core");
  CHECK_FALSE(c.input.has("QueueUrl"));  // the path is "/"

  DecodedRequest u = decode("sqs", form_request("Action=UntagQueue&QueueUrl=http%3A%2F%2Fh%2Fq"
                                                "&TagKey.1=team&TagKey.2=env"));
  CHECK(u.input.string_or("QueueUrl", "") == "http://h/q");
  CHECK(u.input["TagKeys"].size() == 2);
}

TEST_CASE("query decode: SQS batch entries use the Query API entry names") {
  DecodedRequest d = decode(
      "sqs", form_request("Action=SendMessageBatch&QueueUrl=http%3A%2F%2Fh%2F1%2Fq"
                          "&SendMessageBatchRequestEntry.1.Id=a"
                          "&SendMessageBatchRequestEntry.1.MessageBody=one"
                          "&SendMessageBatchRequestEntry.1.DelaySeconds=0"
                          "&SendMessageBatchRequestEntry.2.Id=b"
                          "&SendMessageBatchRequestEntry.2.MessageBody=two"
                          "&SendMessageBatchRequestEntry.2.MessageAttribute.1.Name=k"
                          "&SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.DataType="
                          "Number"
                          "&SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.StringValue="
                          "1"));
  const Value& entries = d.input["Entries"];
  REQUIRE(entries.size() == 2);
  CHECK(entries.as_list()[0].string_or("MessageBody", "") == "one");
  CHECK(entries.as_list()[0].get_int("DelaySeconds") == 0);
  CHECK(entries.as_list()[1].find("MessageAttributes")->find("k")->string_or("DataType", "") ==
        "Number");

  DecodedRequest del =
      decode("sqs", form_request("Action=DeleteMessageBatch&QueueUrl=u"
                                 "&DeleteMessageBatchRequestEntry.1.Id=x"
                                 "&DeleteMessageBatchRequestEntry.1.ReceiptHandle=r"));
  CHECK(del.input["Entries"].as_list()[0].string_or("ReceiptHandle", "") == "r");

  DecodedRequest chg = decode(
      "sqs", form_request("Action=ChangeMessageVisibilityBatch&QueueUrl=u"
                          "&ChangeMessageVisibilityBatchRequestEntry.1.Id=x"
                          "&ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle=r"
                          "&ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout=30"));
  CHECK(chg.input["Entries"].as_list()[0].get_int("VisibilityTimeout") == 30);
}

TEST_CASE("query decode: GET query string and POST form give the same input") {
  std::string params = "Action=PutAttributes&DomainName=d&ItemName=i"
                       "&Attribute.1.Name=n&Attribute.1.Value=a%2Bb+c";
  DecodedRequest g = decode("sdb", get_request("/", params));
  DecodedRequest p = decode("sdb", form_request(params));
  CHECK(g.input == p.input);
  CHECK(g.input["Attributes"].as_list()[0].string_or("Value", "") == "a+b c");
  // Parameters split across the URL and the form body are merged.
  HttpRequest split = form_request("ItemName=i&Attribute.1.Name=n&Attribute.1.Value=a%2Bb+c");
  split.query = "Action=PutAttributes&DomainName=d";
  CHECK(decode("sdb", split).input == p.input);
}

TEST_CASE("query decode: an unknown action is InvalidAction") {
  ApiError e = decode_error("sns", form_request("Action=Frobnicate&Version=2010-03-31"));
  CHECK(e.http_status == 400);
  CHECK(e.code == "InvalidAction");
  CHECK(e.message == "The action Frobnicate is not valid for this endpoint.");
  ApiError s = decode_error("sdb", get_request("/", "Action=DropEverything"));
  CHECK(s.code == "InvalidAction");
  ApiError m = decode_error("sqs", get_request("/", "QueueName=x"));
  CHECK(m.code == "MissingAction");
}

TEST_CASE("query decode: a malformed typed value names the parameter") {
  ApiError e = decode_error("sqs", get_request("/1/q", "Action=ReceiveMessage"
                                                       "&MaxNumberOfMessages=ten"));
  CHECK(e.http_status == 400);
  CHECK(e.code == "InvalidParameterValue");
  CHECK(e.message.find("MaxNumberOfMessages") != std::string::npos);
  ApiError b = decode_error("sdb", get_request("/", "Action=GetAttributes&DomainName=d"
                                                    "&ItemName=i&ConsistentRead=maybe"));
  CHECK(b.code == "InvalidParameterValue");
  ApiError blob =
      decode_error("sns", form_request("Action=Publish&Message=m"
                                       "&MessageAttributes.entry.1.Name=b"
                                       "&MessageAttributes.entry.1.Value.DataType=Binary"
                                       "&MessageAttributes.entry.1.Value.BinaryValue=%25%25"));
  CHECK(blob.code == "InvalidParameterValue");
}

TEST_CASE("query encode: SQS ReceiveMessage writes repeated Message elements as boto 2 reads") {
  const ServiceModel& model = builtin_model("sqs");
  const Operation* op = model.operation("ReceiveMessage");
  REQUIRE(op);
  Value msg1;
  msg1.set("MessageId", "m1").set("ReceiptHandle", "rh1").set("MD5OfBody", "abc")
      .set("Body", "a<b>&c");
  msg1["Attributes"].set("SenderId", "123").set("ApproximateReceiveCount", "1");
  Value attr;
  attr.set("StringValue", "job").set("DataType", "String");
  msg1["MessageAttributes"].set("kind", attr);
  Value bin;
  bin.set("BinaryValue", std::string("\x01\x02", 2)).set("DataType", "Binary");
  msg1["MessageAttributes"].set("raw", bin);
  Value msg2;
  msg2.set("MessageId", "m2").set("Body", "second");
  Value out;
  out.set("Messages", ValueList{msg1, msg2});

  HttpResponse r = codec_for("query").encode(model, *op, out, meta("rid"));
  CHECK(r.status == 200);
  REQUIRE(r.header("Content-Type"));
  CHECK(*r.header("Content-Type") == "text/xml");
  tinyxml2::XMLDocument doc;
  auto* root = parse(doc, r.body);
  CHECK(std::string(root->Name()) == "ReceiveMessageResponse");
  CHECK(std::string(root->Attribute("xmlns")) == "http://queue.amazonaws.com/doc/2012-11-05/");
  auto* result = root->FirstChildElement("ReceiveMessageResult");
  REQUIRE(result);
  auto messages = children(result, "Message");
  REQUIRE(messages.size() == 2);
  CHECK(text_of(messages[0]->FirstChildElement("Body")) == "a<b>&c");
  CHECK(text_of(messages[0]->FirstChildElement("ReceiptHandle")) == "rh1");
  auto attributes = children(messages[0], "Attribute");
  REQUIRE(attributes.size() == 2);
  CHECK(text_of(attributes[0]->FirstChildElement("Name")) == "SenderId");
  CHECK(text_of(attributes[0]->FirstChildElement("Value")) == "123");
  auto mattrs = children(messages[0], "MessageAttribute");
  REQUIRE(mattrs.size() == 2);
  CHECK(text_of(mattrs[0]->FirstChildElement("Name")) == "kind");
  auto* value = mattrs[0]->FirstChildElement("Value");
  REQUIRE(value);
  CHECK(text_of(value->FirstChildElement("StringValue")) == "job");
  CHECK(text_of(value->FirstChildElement("DataType")) == "String");
  CHECK(text_of(mattrs[1]->FirstChildElement("Value")->FirstChildElement("BinaryValue")) ==
        base64_encode(std::string("\x01\x02", 2)));
  CHECK(children(messages[1], "Attribute").empty());
  CHECK(text_of(root->FirstChildElement("ResponseMetadata")->FirstChildElement("RequestId")) ==
        "rid");
}

TEST_CASE("query encode: SQS GetQueueAttributes writes Attribute Name/Value pairs") {
  const ServiceModel& model = builtin_model("sqs");
  Value out;
  out["Attributes"].set("VisibilityTimeout", "30").set("DelaySeconds", "0");
  HttpResponse r =
      codec_for("query").encode(model, *model.operation("GetQueueAttributes"), out, meta());
  CHECK(r.body ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><GetQueueAttributesResponse "
        "xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><GetQueueAttributesResult>"
        "<Attribute><Name>VisibilityTimeout</Name><Value>30</Value></Attribute>"
        "<Attribute><Name>DelaySeconds</Name><Value>0</Value></Attribute>"
        "</GetQueueAttributesResult><ResponseMetadata><RequestId>req-1</RequestId>"
        "</ResponseMetadata></GetQueueAttributesResponse>");
}

TEST_CASE("query encode: SQS ListQueues repeats QueueUrl") {
  const ServiceModel& model = builtin_model("sqs");
  Value out;
  out.set("QueueUrls", ValueList{Value("http://h/1/a"), Value("http://h/1/b")});
  HttpResponse r = codec_for("query").encode(model, *model.operation("ListQueues"), out, meta());
  tinyxml2::XMLDocument doc;
  auto* result = parse(doc, r.body)->FirstChildElement("ListQueuesResult");
  REQUIRE(result);
  auto urls = children(result, "QueueUrl");
  REQUIRE(urls.size() == 2);
  CHECK(text_of(urls[1]) == "http://h/1/b");
}

TEST_CASE("query encode: batch results use the Query API entry names") {
  const ServiceModel& model = builtin_model("sqs");
  Value ok;
  ok.set("Id", "a").set("MessageId", "m").set("MD5OfMessageBody", "d");
  Value failed;
  failed.set("Id", "b").set("SenderFault", true).set("Code", "InvalidParameterValue")
      .set("Message", "bad");
  Value out;
  out.set("Successful", ValueList{ok}).set("Failed", ValueList{failed});
  HttpResponse r =
      codec_for("query").encode(model, *model.operation("SendMessageBatch"), out, meta());
  tinyxml2::XMLDocument doc;
  auto* result = parse(doc, r.body)->FirstChildElement("SendMessageBatchResult");
  REQUIRE(result);
  CHECK(text_of(result->FirstChildElement("SendMessageBatchResultEntry")
                    ->FirstChildElement("MessageId")) == "m");
  CHECK(text_of(result->FirstChildElement("BatchResultErrorEntry")
                    ->FirstChildElement("SenderFault")) == "true");
}

TEST_CASE("query encode: an operation without output still sends ResponseMetadata") {
  const ServiceModel& model = builtin_model("sqs");
  HttpResponse r =
      codec_for("query").encode(model, *model.operation("DeleteQueue"), Value::map(), meta());
  CHECK(r.body ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><DeleteQueueResponse "
        "xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><ResponseMetadata>"
        "<RequestId>req-1</RequestId></ResponseMetadata></DeleteQueueResponse>");
}

TEST_CASE("query encode: SNS uses resultWrapper, member lists and entry maps") {
  const ServiceModel& model = builtin_model("sns");
  Value topic;
  topic.set("TopicArn", "arn:aws:sns:us-east-1:1:t");
  Value out;
  out.set("Topics", ValueList{topic}).set("NextToken", "n");
  HttpResponse r = codec_for("query").encode(model, *model.operation("ListTopics"), out, meta());
  CHECK(r.body.find("<ListTopicsResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">"
                    "<ListTopicsResult><Topics><member><TopicArn>arn:aws:sns:us-east-1:1:t"
                    "</TopicArn></member></Topics><NextToken>n</NextToken></ListTopicsResult>") !=
        std::string::npos);

  Value attrs;
  attrs["Attributes"].set("Owner", "1");
  HttpResponse a =
      codec_for("query").encode(model, *model.operation("GetTopicAttributes"), attrs, meta());
  CHECK(a.body.find("<Attributes><entry><key>Owner</key><value>1</value></entry></Attributes>") !=
        std::string::npos);
}

TEST_CASE("query encode: SimpleDB adds BoxUsage and repeats Item and Attribute") {
  const ServiceModel& model = builtin_model("sdb");
  Value attr;
  attr.set("Name", "color").set("Value", "red");
  Value item;
  item.set("Name", "i1").set("Attributes", ValueList{attr});
  Value out;
  out.set("Items", ValueList{item});
  ResponseMeta m = meta();
  m.box_usage = "0.0000219907";
  HttpResponse r = codec_for("query").encode(model, *model.operation("Select"), out, m);
  CHECK(r.body.find("<SelectResult><Item><Name>i1</Name><Attribute><Name>color</Name>"
                    "<Value>red</Value></Attribute></Item></SelectResult><ResponseMetadata>"
                    "<RequestId>req-1</RequestId><BoxUsage>0.0000219907</BoxUsage>"
                    "</ResponseMetadata>") != std::string::npos);

  Value meta_out;
  meta_out.set("ItemCount", 3).set("Timestamp", 1700000000);
  HttpResponse d =
      codec_for("query").encode(model, *model.operation("DomainMetadata"), meta_out, m);
  CHECK(d.body.find("<DomainMetadataResult><ItemCount>3</ItemCount>"
                    "<Timestamp>1700000000</Timestamp></DomainMetadataResult>") !=
        std::string::npos);
}

TEST_CASE("query encode_error: ErrorResponse with Type, Code, Message and RequestId") {
  const ServiceModel& model = builtin_model("sns");
  ApiError e(404, "NotFound", "Topic does not exist");
  e.headers.push_back({"x-extra", "1"});
  HttpResponse r = codec_for("query").encode_error(model, e, meta("rid"));
  CHECK(r.status == 404);
  CHECK(r.body ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ErrorResponse "
        "xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error><Type>Sender</Type>"
        "<Code>NotFound</Code><Message>Topic does not exist</Message></Error>"
        "<RequestId>rid</RequestId></ErrorResponse>");
  REQUIRE(r.header("x-extra"));
  CHECK(*r.header("Content-Type") == "text/xml");

  ApiError server(500, "InternalError", "boom", false);
  CHECK(codec_for("query").encode_error(model, server, meta()).body.find(
            "<Type>Receiver</Type>") != std::string::npos);
}

TEST_CASE("query encode_error: SQS uses the legacy Query code") {
  const ServiceModel& model = builtin_model("sqs");
  ApiError e(400, "QueueDoesNotExist", "The specified queue does not exist.");
  e.query_code = "AWS.SimpleQueueService.NonExistentQueue";
  HttpResponse r = codec_for("query").encode_error(model, e, meta());
  CHECK(r.body.find("<Code>AWS.SimpleQueueService.NonExistentQueue</Code>") != std::string::npos);
  CHECK(r.body.find("xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"") != std::string::npos);
}

TEST_CASE("query encode_error: SimpleDB writes Response/Errors/Error with BoxUsage") {
  const ServiceModel& model = builtin_model("sdb");
  ResponseMeta m = meta("rid");
  m.box_usage = "0.0000137200";
  HttpResponse r = codec_for("query").encode_error(
      model, ApiError(400, "NoSuchDomain", "The specified domain does not exist."), m);
  CHECK(r.status == 400);
  CHECK(r.body ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error>"
        "<Code>NoSuchDomain</Code><Message>The specified domain does not exist.</Message>"
        "<BoxUsage>0.0000137200</BoxUsage></Error></Errors><RequestID>rid</RequestID>"
        "</Response>");
}

TEST_CASE("query JSON rendering: ContentType=JSON gets the Query API's JSON form") {
  CHECK(wants_json_response(form_request("Action=ListTopics&ContentType=JSON")));
  CHECK_FALSE(wants_json_response(form_request("Action=ListTopics")));
  // ContentType is a protocol parameter, never a member.
  CHECK(decode("sns", form_request("Action=ListTopics&ContentType=JSON")).input.size() == 0);

  const ServiceModel& model = builtin_model("sns");
  Value topic;
  topic.set("TopicArn", "arn:t");
  Value out;
  out.set("Topics", ValueList{topic});
  HttpResponse r = encode_query_json(model, *model.operation("ListTopics"), out, meta("rid"));
  CHECK(r.body ==
        R"({"ListTopicsResponse":{"ListTopicsResult":{"Topics":[{"TopicArn":"arn:t"}],)"
        R"("NextToken":null},"ResponseMetadata":{"RequestId":"rid"}}})");
  CHECK(*r.header("Content-Type") == "application/json");

  Value attrs;
  attrs["Attributes"].set("Owner", "1");
  CHECK(encode_query_json(model, *model.operation("GetTopicAttributes"), attrs, meta()).body ==
        R"({"GetTopicAttributesResponse":{"GetTopicAttributesResult":{"Attributes":)"
        R"({"Owner":"1"}},"ResponseMetadata":{"RequestId":"req-1"}}})");

  HttpResponse e = encode_query_json_error(model, ApiError(404, "NotFound", "no topic"), meta());
  CHECK(e.status == 404);
  CHECK(e.body ==
        R"({"Error":{"Type":"Sender","Code":"NotFound","Message":"no topic"},)"
        R"("RequestId":"req-1"})");
}

TEST_CASE("query decode: absurdly deep parameter names are ignored") {
  std::string key = "Attribute";
  for (int i = 0; i < 100000; ++i) key += ".1";
  DecodedRequest d = decode("sdb", form_request("Action=PutAttributes&DomainName=d&ItemName=i&" +
                                                key + "=x"));
  CHECK(d.input.size() == 2);
}
