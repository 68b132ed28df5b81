// Tests for sns::FilterPolicy (services/sns/filter_policy.h): each operator of the SNS filter
// policy language on message attributes and on JSON bodies, $or, nesting, and the validation
// errors AWS returns for bad policies ("Amazon SNS message filtering").
#include <doctest/doctest.h>

#include <string>

#include "common/error.h"
#include "services/sns/filter_policy.h"

using namespace nimbus;
using sns::FilterPolicy;

namespace {

Value attr(const std::string& type, const std::string& value) {
  return Value(ValueMap{{"DataType", Value(type)}, {"StringValue", Value(value)}});
}

bool on_attrs(const std::string& policy, const Value& attributes) {
  return FilterPolicy::parse(policy, FilterPolicy::Scope::MessageAttributes)
      .matches_attributes(attributes);
}

bool on_body(const std::string& policy, const std::string& body) {
  return FilterPolicy::parse(policy, FilterPolicy::Scope::MessageBody).matches_body(body);
}

std::string error_of(const std::string& policy,
                     FilterPolicy::Scope scope = FilterPolicy::Scope::MessageAttributes) {
  try {
    FilterPolicy::parse(policy, scope);
  } catch (const ApiError& e) {
    CHECK(e.code == "InvalidParameter");
    CHECK(e.http_status == 400);
    return e.message;
  }
  return "";
}

}  // namespace

TEST_CASE("filter policy: exact strings, numbers and AND across keys") {
  Value a(ValueMap{{"store", attr("String", "example_corp")}, {"price", attr("Number", "100")}});
  CHECK(on_attrs(R"({"store": ["example_corp", "other"]})", a));
  CHECK_FALSE(on_attrs(R"({"store": ["other"]})", a));
  CHECK(on_attrs(R"({"price": [100]})", a));
  CHECK(on_attrs(R"({"price": [100.0], "store": ["example_corp"]})", a));
  CHECK_FALSE(on_attrs(R"({"price": [100], "store": ["nope"]})", a));
  CHECK_FALSE(on_attrs(R"({"missing": ["x"]})", a));
  CHECK_FALSE(on_attrs(R"({"store": [100]})", a));  // a number never equals a String attribute
}

TEST_CASE("filter policy: prefix, suffix, equals-ignore-case, anything-but") {
  Value a(ValueMap{{"event", attr("String", "order-placed")}});
  CHECK(on_attrs(R"({"event": [{"prefix": "order-"}]})", a));
  CHECK_FALSE(on_attrs(R"({"event": [{"prefix": "ship-"}]})", a));
  CHECK(on_attrs(R"({"event": [{"suffix": "-placed"}]})", a));
  CHECK(on_attrs(R"({"event": [{"equals-ignore-case": "ORDER-PLACED"}]})", a));
  CHECK(on_attrs(R"({"event": [{"anything-but": ["order-cancelled"]}]})", a));
  CHECK_FALSE(on_attrs(R"({"event": [{"anything-but": "order-placed"}]})", a));
  CHECK_FALSE(on_attrs(R"({"event": [{"anything-but": {"prefix": "order"}}]})", a));
  CHECK(on_attrs(R"({"event": [{"anything-but": {"suffix": "cancelled"}}]})", a));
}

TEST_CASE("filter policy: numeric ranges") {
  Value a(ValueMap{{"price", attr("Number", "150.5")}});
  CHECK(on_attrs(R"({"price": [{"numeric": [">", 100, "<=", 200]}]})", a));
  CHECK_FALSE(on_attrs(R"({"price": [{"numeric": ["<", 100]}]})", a));
  CHECK(on_attrs(R"({"price": [{"numeric": ["=", 150.5]}]})", a));
  CHECK(on_attrs(R"({"price": [{"numeric": [">=", 150.5]}]})", a));
  Value text(ValueMap{{"price", attr("String", "150")}});
  CHECK_FALSE(on_attrs(R"({"price": [{"numeric": [">", 1]}]})", text));
}

TEST_CASE("filter policy: exists, String.Array and cidr") {
  Value a(ValueMap{{"tags", attr("String.Array", R"(["a", "b", 3])")},
                   {"ip", attr("String", "10.0.1.7")}});
  CHECK(on_attrs(R"({"tags": [{"exists": true}]})", a));
  CHECK(on_attrs(R"({"other": [{"exists": false}]})", a));
  CHECK_FALSE(on_attrs(R"({"tags": [{"exists": false}]})", a));
  CHECK(on_attrs(R"({"tags": ["b"]})", a));
  CHECK(on_attrs(R"({"tags": [3]})", a));
  CHECK_FALSE(on_attrs(R"({"tags": ["c"]})", a));
  CHECK(on_attrs(R"({"ip": [{"cidr": "10.0.0.0/16"}]})", a));
  CHECK_FALSE(on_attrs(R"({"ip": [{"cidr": "10.1.0.0/16"}]})", a));
  Value v6(ValueMap{{"ip", attr("String", "2001:db8::1")}});
  CHECK(on_attrs(R"({"ip": [{"cidr": "2001:db8::/32"}]})", v6));
}

TEST_CASE("filter policy: $or") {
  std::string policy = R"({"source": ["aws.cloudwatch"], "$or": [{"metric": ["CPU"]}, {"ns": ["EC2"]}]})";
  CHECK(on_attrs(policy, Value(ValueMap{{"source", attr("String", "aws.cloudwatch")},
                                        {"ns", attr("String", "EC2")}})));
  CHECK_FALSE(on_attrs(policy, Value(ValueMap{{"source", attr("String", "aws.cloudwatch")},
                                              {"ns", attr("String", "S3")}})));
}

TEST_CASE("filter policy: message body scope with nesting, arrays, null and booleans") {
  std::string policy = R"({"order": {"kind": [{"prefix": "vip"}], "paid": [true]}, "region": ["eu", null]})";
  CHECK(on_body(policy, R"({"order": {"kind": "vip-gold", "paid": true}, "region": "eu"})"));
  CHECK(on_body(policy, R"({"order": {"kind": "vip-gold", "paid": true}, "region": null})"));
  CHECK(on_body(policy, R"({"order": [{"kind": "plain", "paid": true}, {"kind": "vip"}], "region": ["us", "eu"]})"));
  CHECK_FALSE(on_body(policy, R"({"order": {"kind": "vip-gold", "paid": false}, "region": "eu"})"));
  CHECK_FALSE(on_body(policy, R"({"order": "vip", "region": "eu"})"));
  CHECK_FALSE(on_body(policy, "not json"));
  CHECK(on_body(R"({"a": [{"exists": false}]})", R"({"b": 1})"));
}

TEST_CASE("filter policy: validation errors") {
  CHECK(error_of(R"({"a": "b"})") == "Invalid parameter: FilterPolicy: \"a\" must be an object or an array");
  CHECK(error_of(R"({"a": [{"numeric": [">", "x"]}]})") == "Invalid parameter: FilterPolicy: Value of > must be numeric");
  CHECK(error_of(R"({"a": [{"numeric": ["<", 5, ">", 1]}]})") == "Invalid parameter: FilterPolicy: Bad numeric range operator: >");
  CHECK(error_of(R"({"a": [{"numeric": [">", 5, "<", 1]}]})") == "Invalid parameter: FilterPolicy: Bottom must be less than top");
  CHECK(error_of(R"({"a": [{"numeric": ["~", 5]}]})") == "Invalid parameter: FilterPolicy: Unrecognized numeric range operator: ~");
  CHECK(error_of(R"({"a": [{"exists": 1}]})") == "Invalid parameter: FilterPolicy: exists match pattern must be either true or false.");
  CHECK(error_of(R"({"a": [{"glob": "x"}]})") == "Invalid parameter: FilterPolicy: Unrecognized match type glob");
  CHECK(error_of(R"({"a": [[1]]})") == "Invalid parameter: FilterPolicy: Match value must be String, number, true, false, or null");
  CHECK(error_of(R"({"a":[1],"b":[1],"c":[1],"d":[1],"e":[1],"f":[1]})") == "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys");
  CHECK(error_of(R"({"a":[1,2,3,4,5,6],"b":[1,2,3,4,5,6],"c":[1,2,3,4,5]})") == "Invalid parameter: FilterPolicy: Filter policy is too complex");
  CHECK(error_of(R"({"a": {"b": ["c"]}})") == "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy");
  CHECK(error_of(R"({"a": {"b": ["c"]}})", FilterPolicy::Scope::MessageBody).empty());
  CHECK(error_of(R"({"a": []})") == "Invalid parameter: FilterPolicy: Empty arrays are not allowed");
  CHECK(error_of(R"({"a": [{"cidr": "10.0.0.0"}]})").find("CIDR") != std::string::npos);
  CHECK(error_of("[1]") == "Invalid parameter: FilterPolicy: Filter policy must be a JSON object");
  CHECK(error_of("{nope").starts_with("Invalid parameter: FilterPolicy: failed to parse JSON."));
}
