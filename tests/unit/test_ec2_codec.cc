// Tests for the ec2 codec (protocol/ec2_codec.cc) against a small hand-written ec2-protocol
// model: EC2 parameter naming on decode, <item> lists and <requestId> on encode, and the
// <Response><Errors> error shape.
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "protocol/codec.h"
#include "protocol/model.h"

using namespace nimbus;

namespace {

const char* kModel = R"({
  "metadata": {"apiVersion": "2016-11-15", "protocol": "ec2", "endpointPrefix": "ec2"},
  "operations": {
    "DescribeInstances": {"name": "DescribeInstances",
      "http": {"method": "POST", "requestUri": "/"},
      "input": {"shape": "DescribeInstancesRequest"},
      "output": {"shape": "DescribeInstancesResult"}},
    "DeleteKeyPair": {"name": "DeleteKeyPair", "http": {"method": "POST", "requestUri": "/"},
      "input": {"shape": "DeleteKeyPairRequest"}}
  },
  "shapes": {
    "DescribeInstancesRequest": {"type": "structure", "members": {
      "Filters": {"shape": "FilterList", "locationName": "Filter"},
      "InstanceIds": {"shape": "InstanceIdStringList", "locationName": "InstanceId"},
      "DryRun": {"shape": "Boolean", "locationName": "dryRun"},
      "MaxResults": {"shape": "Integer", "locationName": "maxResults"},
      "Token": {"shape": "String", "locationName": "clientToken", "queryName": "ClientTokenQ"}}},
    "FilterList": {"type": "list", "member": {"shape": "Filter", "locationName": "Filter"}},
    "Filter": {"type": "structure", "members": {
      "Name": {"shape": "String"},
      "Values": {"shape": "ValueStringList", "locationName": "Value"}}},
    "ValueStringList": {"type": "list", "member": {"shape": "String", "locationName": "item"}},
    "InstanceIdStringList": {"type": "list",
      "member": {"shape": "String", "locationName": "InstanceId"}},
    "DescribeInstancesResult": {"type": "structure", "members": {
      "Reservations": {"shape": "ReservationList", "locationName": "reservationSet"},
      "NextToken": {"shape": "String", "locationName": "nextToken"}}},
    "ReservationList": {"type": "list", "member": {"shape": "Reservation", "locationName": "item"}},
    "Reservation": {"type": "structure", "members": {
      "ReservationId": {"shape": "String", "locationName": "reservationId"},
      "Instances": {"shape": "InstanceList", "locationName": "instancesSet"}}},
    "InstanceList": {"type": "list", "member": {"shape": "Instance", "locationName": "item"}},
    "Instance": {"type": "structure", "members": {
      "InstanceId": {"shape": "String", "locationName": "instanceId"},
      "LaunchTime": {"shape": "DateTime", "locationName": "launchTime"},
      "EbsOptimized": {"shape": "Boolean", "locationName": "ebsOptimized"}}},
    "DeleteKeyPairRequest": {"type": "structure", "members": {
      "KeyName": {"shape": "String"},
      "DryRun": {"shape": "Boolean", "locationName": "dryRun"}}},
    "Boolean": {"type": "boolean"},
    "Integer": {"type": "integer"},
    "String": {"type": "string"},
    "DateTime": {"type": "timestamp"}
  }
})";

const ServiceModel& model() {
  static std::unique_ptr<ServiceModel> m = ServiceModel::from_json("ec2", kModel);
  return *m;
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

ResponseMeta meta() {
  ResponseMeta m;
  m.request_id = "req-ec2";
  return m;
}

}  // namespace

TEST_CASE("ec2 decode: Name.N lists, capitalized locationNames and queryName") {
  DecodedRequest d = codec_for("ec2").decode(
      form_request("Action=DescribeInstances&Version=2016-11-15"
                   "&Filter.1.Name=instance-state-name&Filter.1.Value.1=running"
                   "&Filter.1.Value.2=pending&Filter.2.Name=tag%3Aenv&Filter.2.Value.1=dev"
                   "&InstanceId.2=i-2&InstanceId.1=i-1&DryRun=false&MaxResults=5"
                   "&ClientTokenQ=tok"),
      model(), {});
  CHECK(d.operation->name == "DescribeInstances");
  const Value& filters = *d.input.find("Filters");
  REQUIRE(filters.size() == 2);
  CHECK(filters.as_list()[0].string_or("Name", "") == "instance-state-name");
  REQUIRE(filters.as_list()[0].find("Values")->size() == 2);
  CHECK(filters.as_list()[0].find("Values")->as_list()[1].as_string() == "pending");
  CHECK(filters.as_list()[1].string_or("Name", "") == "tag:env");
  const Value& ids = *d.input.find("InstanceIds");
  REQUIRE(ids.size() == 2);
  CHECK(ids.as_list()[0].as_string() == "i-1");
  CHECK(d.input.get_bool("DryRun") == false);
  CHECK(d.input.get_int("MaxResults") == 5);
  CHECK(d.input.string_or("Token", "") == "tok");
}

TEST_CASE("ec2 decode: an unknown action is InvalidAction") {
  try {
    codec_for("ec2").decode(form_request("Action=LaunchRockets"), model(), {});
    FAIL("no error");
  } catch (const ApiError& e) {
    CHECK(e.http_status == 400);
    CHECK(e.code == "InvalidAction");
  }
}

TEST_CASE("ec2 encode: requestId first, members by locationName, lists of <item>") {
  Value instance;
  instance.set("InstanceId", "i-1").set("LaunchTime", Value::timestamp(1700000000))
      .set("EbsOptimized", false);
  Value reservation;
  reservation.set("ReservationId", "r-1").set("Instances", ValueList{instance});
  Value out;
  out.set("Reservations", ValueList{reservation});
  HttpResponse r =
      codec_for("ec2").encode(model(), *model().operation("DescribeInstances"), out, meta());
  CHECK(r.status == 200);
  CHECK(r.body ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><DescribeInstancesResponse "
        "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>req-ec2</requestId>"
        "<reservationSet><item><reservationId>r-1</reservationId><instancesSet><item>"
        "<instanceId>i-1</instanceId><launchTime>2023-11-14T22:13:20.000Z</launchTime>"
        "<ebsOptimized>false</ebsOptimized></item></instancesSet></item></reservationSet>"
        "</DescribeInstancesResponse>");
}

TEST_CASE("ec2 encode: an operation without output answers <return>true</return>") {
  HttpResponse r = codec_for("ec2").encode(model(), *model().operation("DeleteKeyPair"),
                                           Value::map(), meta());
  CHECK(r.body.find("<requestId>req-ec2</requestId><return>true</return>"
                    "</DeleteKeyPairResponse>") != std::string::npos);
}

TEST_CASE("ec2 encode_error: Response/Errors/Error with RequestID") {
  ApiError e(400, "InvalidInstanceID.NotFound", "The instance ID 'i-9' does not exist");
  HttpResponse r = codec_for("ec2").encode_error(model(), e, meta());
  CHECK(r.status == 400);
  CHECK(r.body ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error>"
        "<Code>InvalidInstanceID.NotFound</Code><Message>The instance ID &apos;i-9&apos; does "
        "not exist</Message></Error></Errors><RequestID>req-ec2</RequestID></Response>");
}
