// Tests for the rest-xml codec (protocol/rest_xml_codec) against the builtin S3 model: operation
// selection, key and parameter decoding, XML payloads, response and error encoding in the forms
// botocore's RestXMLParser reads.
#include <doctest/doctest.h>

#include <string>

#include "common/error.h"
#include "protocol/model.h"
#include "protocol/rest_xml_codec.h"

namespace nimbus {
namespace {

const ServiceModel& s3() { return builtin_model("s3"); }
const Codec& codec() { return rest_xml_codec(); }

HttpRequest make_request(std::string method, std::string target, Headers headers = {},
                         std::string body = "") {
  HttpRequest r;
  r.method = std::move(method);
  r.target = target;
  size_t q = target.find('?');
  r.path = target.substr(0, q);
  r.query = q == std::string::npos ? "" : target.substr(q + 1);
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

DecodedRequest decode(std::string method, std::string target, Headers headers = {},
                      std::string body = "", std::string host_bucket = "") {
  DecodeHints hints;
  hints.bucket_from_host = std::move(host_bucket);
  return codec().decode(make_request(std::move(method), std::move(target), std::move(headers),
                                     std::move(body)),
                        s3(), hints);
}

std::string op_name(std::string method, std::string target, Headers headers = {},
                    std::string body = "") {
  return decode(std::move(method), std::move(target), std::move(headers), std::move(body))
      .operation->name;
}

ApiError decode_error(std::string method, std::string target, Headers headers = {},
                      std::string body = "") {
  try {
    decode(std::move(method), std::move(target), std::move(headers), std::move(body));
  } catch (const ApiError& e) {
    return e;
  }
  FAIL("expected an ApiError");
  return {};
}

HttpResponse encode(std::string_view op, const Value& output, bool head = false) {
  ResponseMeta meta;
  meta.request_id = "REQ123";
  meta.head_request = head;
  return codec().encode(s3(), *s3().operation(op), output, meta);
}

constexpr const char* kDecl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
constexpr const char* kNs = " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"";

// 2026-11-22T04:35:17Z
constexpr double kTime = 1795322117.0;

}  // namespace

TEST_CASE("rest-xml: GET / is ListBuckets") { CHECK(op_name("GET", "/") == "ListBuckets"); }

TEST_CASE("rest-xml: bucket GETs pick ListObjects, ListObjectsV2 or a sub-resource") {
  CHECK(op_name("GET", "/b") == "ListObjects");
  CHECK(op_name("GET", "/b/") == "ListObjects");
  CHECK(op_name("GET", "/b?prefix=x&max-keys=3") == "ListObjects");
  CHECK(op_name("GET", "/b?list-type=2") == "ListObjectsV2");
  CHECK(op_name("GET", "/b?list-type=2&prefix=a") == "ListObjectsV2");
  CHECK(op_name("GET", "/b?acl") == "GetBucketAcl");
  CHECK(op_name("GET", "/b?acl=") == "GetBucketAcl");
  CHECK(op_name("GET", "/b?location") == "GetBucketLocation");
  CHECK(op_name("GET", "/b?versions") == "ListObjectVersions");
  CHECK(op_name("GET", "/b?uploads") == "ListMultipartUploads");
  CHECK(op_name("GET", "/b?lifecycle") == "GetBucketLifecycleConfiguration");
  CHECK(op_name("GET", "/b?analytics") == "ListBucketAnalyticsConfigurations");
  CHECK(op_name("GET", "/b?analytics&id=x") == "GetBucketAnalyticsConfiguration");
}

TEST_CASE("rest-xml: object PUTs pick PutObject, CopyObject, UploadPart or UploadPartCopy") {
  Headers copy = {{"x-amz-copy-source", "/src/key"}};
  CHECK(op_name("PUT", "/b/k") == "PutObject");
  CHECK(op_name("PUT", "/b/k", copy) == "CopyObject");
  CHECK(op_name("PUT", "/b/k?partNumber=1&uploadId=u") == "UploadPart");
  CHECK(op_name("PUT", "/b/k?partNumber=1&uploadId=u", copy) == "UploadPartCopy");
  CHECK(op_name("PUT", "/b/k?tagging", {}, "<Tagging><TagSet/></Tagging>") ==
        "PutObjectTagging");
  CHECK(op_name("PUT", "/b") == "CreateBucket");
  CHECK(op_name("PUT", "/b?versioning", {},
                "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>") ==
        "PutBucketVersioning");
}

TEST_CASE("rest-xml: HEAD requests match HEAD operations") {
  CHECK(op_name("HEAD", "/b/k") == "HeadObject");
  CHECK(op_name("HEAD", "/b") == "HeadBucket");
}

TEST_CASE("rest-xml: POST sub-resources pick DeleteObjects and multipart operations") {
  CHECK(op_name("POST", "/b?delete", {{"Content-MD5", "x"}},
                "<Delete><Object><Key>k</Key></Object></Delete>") == "DeleteObjects");
  CHECK(op_name("POST", "/b/k?uploads") == "CreateMultipartUpload");
  CHECK(op_name("POST", "/b/k?uploadId=u") == "CompleteMultipartUpload");
  CHECK(op_name("GET", "/b/k?uploadId=u") == "ListParts");
  CHECK(op_name("DELETE", "/b/k?uploadId=u") == "AbortMultipartUpload");
  CHECK(op_name("DELETE", "/b/k") == "DeleteObject");
  CHECK(op_name("DELETE", "/b") == "DeleteBucket");
}

TEST_CASE("rest-xml: every item of a request URI's query must match, values included") {
  // SelectObjectContent's requestUri is /{Bucket}/{Key+}?select&select-type=2.
  const std::string select = "<SelectObjectContentRequest/>";
  CHECK(op_name("POST", "/b/k?select&select-type=2", {}, select) == "SelectObjectContent");
  CHECK(decode_error("POST", "/b/k?select&select-type=3", {}, select).http_status != 200);
  CHECK(op_name("GET", "/b?list-type=2") == "ListObjectsV2");
  CHECK(op_name("GET", "/b?list-type=1") == "ListObjects");
}

TEST_CASE("rest-xml: a virtual-host bucket makes the whole path the key") {
  DecodedRequest list = decode("GET", "/", {}, "", "vbucket");
  CHECK(list.operation->name == "ListObjects");
  CHECK(list.input.string_or("Bucket", "") == "vbucket");
  DecodedRequest get = decode("GET", "/dir/file.txt", {}, "", "vbucket");
  CHECK(get.operation->name == "GetObject");
  CHECK(get.input.string_or("Bucket", "") == "vbucket");
  CHECK(get.input.string_or("Key", "") == "dir/file.txt");
}

TEST_CASE("rest-xml: a wrong method on a known resource is MethodNotAllowed") {
  ApiError e = decode_error("POST", "/b/k");
  CHECK(e.http_status == 405);
  CHECK(e.code == "MethodNotAllowed");
  CHECK(e.message == "The specified method is not allowed against this resource.");
  CHECK(decode_error("PUT", "/").code == "MethodNotAllowed");
  CHECK(decode_error("PATCH", "/b").http_status == 405);
}

TEST_CASE("rest-xml: keys are percent-decoded and keep '+', '//', '../' and unicode") {
  auto key = [](std::string path) { return decode("GET", path).input.string_or("Key", ""); };
  CHECK(key("/b/my%20file.txt") == "my file.txt");
  CHECK(key("/b/a+b") == "a+b");
  CHECK(key("/b/a%2Bb") == "a+b");
  CHECK(key("/b/%E2%9C%93%20caf%C3%A9") == "\xE2\x9C\x93 caf\xC3\xA9");
  CHECK(key("/b/a//b/../c/./d/") == "a//b/../c/./d/");
  CHECK(key("/b/../../etc/passwd") == "../../etc/passwd");
  CHECK(key("/b//leading") == "/leading");
  CHECK(decode("GET", "/b/k").input.string_or("Bucket", "") == "b");
}

TEST_CASE("rest-xml: headers decode by shape, x-amz-meta-* into Metadata") {
  DecodedRequest d = decode("PUT", "/b/k",
                            {{"Content-Length", "5"},
                             {"Content-Type", "text/plain"},
                             {"X-Amz-Meta-Color", "red"},
                             {"x-amz-meta-size", "L"},
                             {"x-amz-tagging", "a=b"}});
  CHECK(d.input.get_int("ContentLength") == 5);
  CHECK(d.input.find("ContentLength")->is_integer());
  CHECK(d.input.string_or("ContentType", "") == "text/plain");
  const Value* meta = d.input.find("Metadata");
  REQUIRE(meta);
  CHECK(meta->string_or("color", "") == "red");
  CHECK(meta->string_or("size", "") == "L");
  CHECK(meta->size() == 2);
  CHECK_FALSE(d.input.has("Body"));  // streamed: the service reads CallContext::body

  DecodedRequest head =
      decode("HEAD", "/b/k", {{"If-Modified-Since", "Sun, 22 Nov 2026 04:35:17 GMT"}});
  const Value* since = head.input.find("IfModifiedSince");
  REQUIRE(since);
  REQUIRE(since->is_timestamp());
  CHECK(since->as_timestamp() == kTime);
}

TEST_CASE("rest-xml: comma-separated header lists decode to a list") {
  DecodedRequest d = decode("GET", "/b/k?attributes",
                            {{"x-amz-object-attributes", "ETag, ObjectSize,StorageClass"}});
  CHECK(d.operation->name == "GetObjectAttributes");
  const Value* attrs = d.input.find("ObjectAttributes");
  REQUIRE(attrs);
  REQUIRE(attrs->size() == 3);
  CHECK(attrs->as_list()[1].as_string() == "ObjectSize");
}

TEST_CASE("rest-xml: query parameters decode by shape") {
  DecodedRequest d = decode("GET", "/b?list-type=2&max-keys=10&prefix=a%2Fb%20c&fetch-owner=true");
  CHECK(d.input.get_int("MaxKeys") == 10);
  CHECK(d.input.string_or("Prefix", "") == "a/b c");
  CHECK(d.input.get_bool("FetchOwner") == true);
  CHECK_FALSE(d.input.has("ContinuationToken"));
}

TEST_CASE("rest-xml: a non-numeric max-keys is InvalidArgument naming the parameter") {
  ApiError e = decode_error("GET", "/b?max-keys=ten");
  CHECK(e.http_status == 400);
  CHECK(e.code == "InvalidArgument");
  CHECK(e.message.find("max-keys") != std::string::npos);
  REQUIRE(e.details.size() == 2);
  CHECK(e.details[0] == std::pair<std::string, std::string>("ArgumentName", "max-keys"));
  CHECK(e.details[1] == std::pair<std::string, std::string>("ArgumentValue", "ten"));
  CHECK(decode_error("GET", "/b?max-keys=99999999999").code == "InvalidArgument");
}

TEST_CASE("rest-xml: CreateBucketConfiguration payload decodes LocationConstraint") {
  DecodedRequest d = decode(
      "PUT", "/b", {},
      "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>");
  CHECK(d.operation->name == "CreateBucket");
  const Value* config = d.input.find("CreateBucketConfiguration");
  REQUIRE(config);
  CHECK(config->string_or("LocationConstraint", "") == "eu-west-1");

  CHECK_FALSE(decode("PUT", "/b").input.has("CreateBucketConfiguration"));
  CHECK_FALSE(decode("PUT", "/b", {}, "\r\n").input.has("CreateBucketConfiguration"));
}

TEST_CASE("rest-xml: a Delete payload decodes its Object entries and Quiet") {
  DecodedRequest d = decode("POST", "/b?delete", {{"Content-MD5", "x"}},
                            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                            "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                            "<Object><Key>a.txt</Key></Object>"
                            "<Object><Key> spaced &amp; odd </Key><VersionId>v1</VersionId>"
                            "</Object><Object><Key>dir/</Key></Object>"
                            "<Quiet>true</Quiet></Delete>");
  const Value* del = d.input.find("Delete");
  REQUIRE(del);
  CHECK(del->get_bool("Quiet") == true);
  const Value* objects = del->find("Objects");
  REQUIRE(objects);
  REQUIRE(objects->size() == 3);
  CHECK(objects->as_list()[0].string_or("Key", "") == "a.txt");
  CHECK(objects->as_list()[1].string_or("Key", "") == " spaced & odd ");
  CHECK(objects->as_list()[1].string_or("VersionId", "") == "v1");
  CHECK(objects->as_list()[2].string_or("Key", "") == "dir/");
}

TEST_CASE("rest-xml: wrapped lists in payloads decode (Tagging/TagSet/Tag)") {
  DecodedRequest d = decode("PUT", "/b?tagging", {},
                            "<Tagging><TagSet><Tag><Key>k1</Key><Value>v1</Value></Tag>"
                            "<Tag><Key>k2</Key><Value></Value></Tag></TagSet></Tagging>");
  CHECK(d.operation->name == "PutBucketTagging");
  const Value* tags = d.input.find("Tagging");
  REQUIRE(tags);
  const Value* set = tags->find("TagSet");
  REQUIRE(set);
  REQUIRE(set->size() == 2);
  CHECK(set->as_list()[1].string_or("Key", "") == "k2");
  CHECK(set->as_list()[1].string_or("Value", "x") == "");
}

TEST_CASE("rest-xml: malformed or missing required XML is MalformedXML") {
  ApiError e = decode_error("POST", "/b?delete", {{"Content-MD5", "x"}},
                            "<Delete><Object><Key>a</Key></Object>");
  CHECK(e.http_status == 400);
  CHECK(e.code == "MalformedXML");
  CHECK(e.message ==
        "The XML you provided was not well-formed or did not validate against our published "
        "schema");
  CHECK(decode_error("POST", "/b?delete", {{"Content-MD5", "x"}}, "").code == "MalformedXML");
  CHECK(decode_error("POST", "/b?delete", {{"Content-MD5", "x"}},
                     "<Delete><Quiet>maybe</Quiet></Delete>")
            .code == "MalformedXML");
}

TEST_CASE("rest-xml: a string payload is the raw body") {
  DecodedRequest d = decode("PUT", "/b?policy", {}, "{\"Version\":\"2012-10-17\"}");
  CHECK(d.operation->name == "PutBucketPolicy");
  CHECK(d.input.string_or("Policy", "") == "{\"Version\":\"2012-10-17\"}");
}

TEST_CASE("rest-xml: ListBuckets encodes ListAllMyBucketsResult") {
  Value bucket;
  bucket.set("Name", "alpha").set("CreationDate", Value::timestamp(kTime));
  Value owner;
  owner.set("DisplayName", "dev").set("ID", "abc123");
  Value out;
  out.set("Buckets", ValueList{bucket}).set("Owner", owner);
  HttpResponse r = encode("ListBuckets", out);
  CHECK(r.status == 200);
  CHECK(*r.header("Content-Type") == "application/xml");
  CHECK(*r.header("x-amz-request-id") == "REQ123");
  CHECK_FALSE(r.header("x-amz-id-2")->empty());
  CHECK(r.body == std::string(kDecl) + "<ListAllMyBucketsResult" + kNs +
                      "><Buckets><Bucket><Name>alpha</Name>"
                      "<CreationDate>2026-11-22T04:35:17.000Z</CreationDate></Bucket></Buckets>"
                      "<Owner><DisplayName>dev</DisplayName><ID>abc123</ID></Owner>"
                      "</ListAllMyBucketsResult>");
}

TEST_CASE("rest-xml: ListObjectsV2 flattens Contents and CommonPrefixes") {
  Value obj;
  obj.set("Key", "a & b.txt")
      .set("LastModified", Value::timestamp(kTime + 0.25))
      .set("ETag", "\"d41d8cd98f00b204e9800998ecf8427e\"")
      .set("Size", int64_t{0})
      .set("StorageClass", "STANDARD");
  Value obj2 = obj;
  obj2.set("Key", "b.txt");
  Value prefix;
  prefix.set("Prefix", "dir/");
  Value out;
  out.set("IsTruncated", false)
      .set("Contents", ValueList{obj, obj2})
      .set("Name", "b")
      .set("Prefix", "")
      .set("Delimiter", "/")
      .set("MaxKeys", 1000)
      .set("CommonPrefixes", ValueList{prefix})
      .set("KeyCount", 3);
  HttpResponse r = encode("ListObjectsV2", out);
  CHECK(r.body == std::string(kDecl) + "<ListBucketResult" + kNs +
                      "><IsTruncated>false</IsTruncated>"
                      "<Contents><Key>a &amp; b.txt</Key>"
                      "<LastModified>2026-11-22T04:35:17.250Z</LastModified>"
                      "<ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag>"
                      "<Size>0</Size><StorageClass>STANDARD</StorageClass></Contents>"
                      "<Contents><Key>b.txt</Key>"
                      "<LastModified>2026-11-22T04:35:17.250Z</LastModified>"
                      "<ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag>"
                      "<Size>0</Size><StorageClass>STANDARD</StorageClass></Contents>"
                      "<Name>b</Name><Prefix></Prefix><Delimiter>/</Delimiter>"
                      "<MaxKeys>1000</MaxKeys>"
                      "<CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes>"
                      "<KeyCount>3</KeyCount></ListBucketResult>");
}

TEST_CASE("rest-xml: GetBucketAcl writes Grantee with xsi:type") {
  Value owner;
  owner.set("DisplayName", "dev").set("ID", "abc");
  Value grantee;
  grantee.set("DisplayName", "dev").set("ID", "abc").set("Type", "CanonicalUser");
  Value grant;
  grant.set("Grantee", grantee).set("Permission", "FULL_CONTROL");
  Value out;
  out.set("Owner", owner).set("Grants", ValueList{grant});
  HttpResponse r = encode("GetBucketAcl", out);
  CHECK(r.body ==
        std::string(kDecl) + "<AccessControlPolicy" + kNs +
            "><Owner><DisplayName>dev</DisplayName><ID>abc</ID></Owner>"
            "<AccessControlList><Grant>"
            "<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
            "xsi:type=\"CanonicalUser\"><DisplayName>dev</DisplayName><ID>abc</ID></Grantee>"
            "<Permission>FULL_CONTROL</Permission></Grant></AccessControlList>"
            "</AccessControlPolicy>");
}

TEST_CASE("rest-xml: GetBucketLocation is a bare LocationConstraint element") {
  HttpResponse east = encode("GetBucketLocation", Value::map());
  CHECK(east.body == std::string(kDecl) + "<LocationConstraint" + kNs + "/>");
  Value out;
  out.set("LocationConstraint", "eu-west-1");
  CHECK(encode("GetBucketLocation", out).body ==
        std::string(kDecl) + "<LocationConstraint" + kNs + ">eu-west-1</LocationConstraint>");
}

TEST_CASE("rest-xml: header outputs: ETag, RFC 1123 Last-Modified, lengths, x-amz-meta-*") {
  Value meta;
  meta.set("color", "red");
  Value out;
  out.set("ETag", "\"abc\"")
      .set("LastModified", Value::timestamp(kTime))
      .set("ContentLength", int64_t{42})
      .set("ContentType", "text/plain")
      .set("Metadata", meta)
      .set("DeleteMarker", false);
  HttpResponse r = encode("HeadObject", out, true);
  CHECK(r.status == 200);
  CHECK(*r.header("ETag") == "\"abc\"");
  CHECK(*r.header("Last-Modified") == "Sun, 22 Nov 2026 04:35:17 GMT");
  CHECK(*r.header("Content-Length") == "42");
  CHECK(*r.header("Content-Type") == "text/plain");
  CHECK(*r.header("x-amz-meta-color") == "red");
  CHECK(*r.header("x-amz-delete-marker") == "false");
  CHECK(r.body.empty());
}

TEST_CASE("rest-xml: GetObject's blob payload is the raw body") {
  Value out;
  out.set("Body", std::string("bytes\0here", 10)).set("ContentLength", int64_t{10});
  HttpResponse r = encode("GetObject", out);
  CHECK(r.body == std::string("bytes\0here", 10));
  CHECK(r.header("Content-Type") == nullptr);
  CHECK(encode("GetObject", out, true).body.empty());
}

TEST_CASE("rest-xml: a structure payload is the document root (CopyObjectResult)") {
  Value result;
  result.set("ETag", "\"e\"").set("LastModified", Value::timestamp(kTime));
  Value out;
  out.set("CopyObjectResult", result).set("VersionId", "v9");
  HttpResponse r = encode("CopyObject", out);
  CHECK(*r.header("x-amz-version-id") == "v9");
  CHECK(r.body == std::string(kDecl) + "<CopyObjectResult" + kNs +
                      "><ETag>&quot;e&quot;</ETag>"
                      "<LastModified>2026-11-22T04:35:17.000Z</LastModified></CopyObjectResult>");
}

TEST_CASE("rest-xml: DeleteObject answers 204 with no body") {
  Value out;
  out.set("DeleteMarker", true).set("VersionId", "v1");
  HttpResponse r = encode("DeleteObject", out);
  CHECK(r.status == 204);
  CHECK(*r.header("x-amz-delete-marker") == "true");
  CHECK(r.body.empty());
  CHECK(r.header("Content-Type") == nullptr);
}

TEST_CASE("rest-xml: DeleteObjects result flattens Deleted and Error entries") {
  Value deleted;
  deleted.set("Key", "a");
  Value error;
  error.set("Key", "b").set("Code", "AccessDenied").set("Message", "Access Denied");
  Value out;
  out.set("Deleted", ValueList{deleted}).set("Errors", ValueList{error});
  CHECK(encode("DeleteObjects", out).body ==
        std::string(kDecl) + "<DeleteResult" + kNs +
            "><Deleted><Key>a</Key></Deleted><Error><Key>b</Key><Code>AccessDenied</Code>"
            "<Message>Access Denied</Message></Error></DeleteResult>");
}

TEST_CASE("rest-xml: kElementOrder interleaves Version and DeleteMarker elements") {
  auto entry = [](const char* key, const char* id) {
    return Value::map().set("Key", key).set("VersionId", id);
  };
  Value out;
  out.set("IsTruncated", false);
  out.set("Versions", ValueList{entry("a", "1"), entry("b", "3")});
  out.set("DeleteMarkers", ValueList{entry("a", "2"), entry("b", "4")});
  out.set(kElementOrder, ValueList{Value("DeleteMarkers"), Value("Versions"),
                                   Value("Versions"), Value("DeleteMarkers")});
  out.set("Name", "bk");
  CHECK(encode("ListObjectVersions", out).body ==
        std::string(kDecl) + "<ListVersionsResult" + kNs +
            "><IsTruncated>false</IsTruncated>"
            "<DeleteMarker><Key>a</Key><VersionId>2</VersionId></DeleteMarker>"
            "<Version><Key>a</Key><VersionId>1</VersionId></Version>"
            "<Version><Key>b</Key><VersionId>3</VersionId></Version>"
            "<DeleteMarker><Key>b</Key><VersionId>4</VersionId></DeleteMarker>"
            "<Name>bk</Name></ListVersionsResult>");
  // Without it, each list in model order.
  out.erase(kElementOrder);
  std::string body = encode("ListObjectVersions", out).body;
  CHECK(body.find("<DeleteMarker>") > body.rfind("<Version>"));
}

TEST_CASE("rest-xml: root element names follow S3 for body outputs") {
  auto root = [](std::string_view op) { return s3_root_element(*s3().operation(op)); };
  CHECK(root("ListObjects") == "ListBucketResult");
  CHECK(root("ListObjectVersions") == "ListVersionsResult");
  CHECK(root("CreateMultipartUpload") == "InitiateMultipartUploadResult");
  CHECK(root("CompleteMultipartUpload") == "CompleteMultipartUploadResult");
  CHECK(root("GetObjectTagging") == "Tagging");
  CHECK(root("GetBucketVersioning") == "VersioningConfiguration");
  CHECK(root("ListBucketAnalyticsConfigurations") == "ListBucketAnalyticsConfigurationResult");
}

TEST_CASE("rest-xml: errors carry code, message, details, request and host ids") {
  ApiError e(404, "NoSuchKey", "The specified key does not exist.");
  e.with("Key", "a<b").with("BucketName", "b");
  e.headers.push_back({"x-amz-delete-marker", "true"});
  ResponseMeta meta;
  meta.request_id = "REQ9";
  HttpResponse r = codec().encode_error(s3(), e, meta);
  CHECK(r.status == 404);
  CHECK(*r.header("Content-Type") == "application/xml");
  CHECK(*r.header("x-amz-request-id") == "REQ9");
  CHECK(*r.header("x-amz-delete-marker") == "true");
  const std::string host = *r.header("x-amz-id-2");
  CHECK(r.body == std::string(kDecl) +
                      "<Error><Code>NoSuchKey</Code>"
                      "<Message>The specified key does not exist.</Message>"
                      "<Key>a&lt;b</Key><BucketName>b</BucketName>"
                      "<RequestId>REQ9</RequestId><HostId>" + host + "</HostId></Error>");
}

TEST_CASE("rest-xml: HEAD errors have headers and no body") {
  ResponseMeta meta;
  meta.request_id = "REQ10";
  meta.head_request = true;
  HttpResponse r =
      codec().encode_error(s3(), ApiError(404, "NotFound", "Not Found"), meta);
  CHECK(r.status == 404);
  CHECK(*r.header("x-amz-request-id") == "REQ10");
  CHECK(r.body.empty());
}

}  // namespace nimbus
