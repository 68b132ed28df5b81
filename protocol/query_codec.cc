// The query codec (SNS, SimpleDB, and SQS for boto 2): decode() maps Action to the operation and
// walks its input shape over the URL and form parameters; encode() writes
// <OpResponse><OpResult>…</OpResult><ResponseMetadata/></OpResponse>; encode_error() writes
// <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>, or for
// SimpleDB <Response><Errors><Error><Code/><Message/><BoxUsage/></Error></Errors><RequestID/>.
// Entry point: query_codec() (protocol/query_codec.h), reached through codec_for("query").
// encode_query_json() and encode_query_json_error() render the same responses as JSON for
// clients that send ContentType=JSON (boto 2's SNS).
#include "protocol/query_codec.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/xml.h"
#include "protocol/query_common.h"

namespace nimbus {

namespace {

std::string response_namespace(const ServiceModel& model) {
  if (!model.xml_namespace.empty()) return model.xml_namespace;
  if (model.service == "sqs") return "http://queue.amazonaws.com/doc/" + model.api_version + "/";
  return "http://" + model.service + ".amazonaws.com/doc/" + model.api_version + "/";
}

bool is_sdb(const ServiceModel& model) { return model.service == "sdb"; }

std::string box_usage(const ResponseMeta& meta) {
  return meta.box_usage.empty() ? "0.0000000000" : meta.box_usage;
}

void set_common_headers(HttpResponse& response, const ResponseMeta& meta) {
  response.set_header("Content-Type", "text/xml");
  if (!meta.request_id.empty()) response.set_header("x-amzn-RequestId", meta.request_id);
}

// The SQS Query API addresses a queue by its URL: boto 2 sends every queue call to the queue's
// path (GET /123456789012/name?Action=SendMessage) without a QueueUrl parameter.
void queue_url_from_path(const HttpRequest& request, const Operation& operation, Value& input) {
  if (!operation.input || !operation.input->member("QueueUrl") || input.has("QueueUrl")) return;
  if (request.path.empty() || request.path == "/") return;
  std::string host = request.header_or("Host");
  if (host.empty()) return;
  input.set("QueueUrl", std::string(request.secure ? "https://" : "http://") + host + request.path);
}

class QueryCodec : public Codec {
 public:
  DecodedRequest decode(const HttpRequest& request, const ServiceModel& model,
                        const DecodeHints& hints) const override {
    DecodedRequest out = query::decode_request(request, model, query::Dialect::Query, "endpoint");
    if (model.service == "sqs") queue_url_from_path(request, *out.operation, out.input);
    return out;
  }

  HttpResponse encode(const ServiceModel& model, const Operation& operation, const Value& output,
                      const ResponseMeta& meta) const override {
    XmlWriter w;
    w.declaration();
    w.open(operation.name + "Response", {{"xmlns", response_namespace(model)}});
    if (operation.output) {
      w.open(operation.result_wrapper.empty() ? operation.name + "Result"
                                              : operation.result_wrapper);
      query::write_members(w, *operation.output, output, query::Dialect::Query);
      w.close();
    }
    w.open("ResponseMetadata");
    w.element("RequestId", meta.request_id);
    if (is_sdb(model)) w.element("BoxUsage", box_usage(meta));
    w.close();
    HttpResponse response;
    response.status = operation.response_code ? operation.response_code : 200;
    response.body = w.take();
    set_common_headers(response, meta);
    return response;
  }

  HttpResponse encode_error(const ServiceModel& model, const ApiError& error,
                            const ResponseMeta& meta) const override {
    const std::string& code = error.query_code.empty() ? error.code : error.query_code;
    XmlWriter w;
    w.declaration();
    if (is_sdb(model)) {
      w.open("Response");
      w.open("Errors");
      w.open("Error");
      w.element("Code", code);
      w.element("Message", error.message);
      for (const auto& [name, value] : error.details) w.element(name, value);
      w.element("BoxUsage", box_usage(meta));
      w.close();
      w.close();
      w.element("RequestID", meta.request_id);
    } else {
      w.open("ErrorResponse", {{"xmlns", response_namespace(model)}});
      w.open("Error");
      w.element("Type", error.sender_fault ? "Sender" : "Receiver");
      w.element("Code", code);
      w.element("Message", error.message);
      for (const auto& [name, value] : error.details) w.element(name, value);
      w.close();
      w.element("RequestId", meta.request_id);
    }
    HttpResponse response;
    response.status = error.http_status;
    response.body = w.take();
    set_common_headers(response, meta);
    for (const Header& h : error.headers) response.add_header(h.name, h.value);
    return response;
  }
};

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>,
                                     rapidjson::UTF8<>, rapidjson::CrtAllocator,
                                     rapidjson::kWriteNanAndInfFlag>;

void json_string(JsonWriter& w, const std::string& s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void json_value(JsonWriter& w, const Shape* shape, const Value* v) {
  if (!v || v->is_null()) {
    w.Null();
    return;
  }
  if (shape && shape->type == Shape::Type::Structure) {
    w.StartObject();
    for (const Member& member : shape->members) {
      json_string(w, member.name);
      json_value(w, member.shape, v->find(member.name));
    }
    w.EndObject();
    return;
  }
  switch (v->kind()) {
    case Value::Kind::List:
      w.StartArray();
      for (const Value& e : v->as_list())
        json_value(w, shape && shape->type == Shape::Type::List ? shape->list_member.shape
                                                                 : nullptr,
                   &e);
      w.EndArray();
      return;
    case Value::Kind::Map:
      w.StartObject();
      for (const auto& [key, e] : v->as_map()) {
        json_string(w, key);
        json_value(w, shape && shape->type == Shape::Type::Map ? shape->map_value.shape : nullptr,
                   &e);
      }
      w.EndObject();
      return;
    case Value::Kind::Bool:
      w.Bool(v->as_bool());
      return;
    case Value::Kind::Integer:
      if (shape && shape->type == Shape::Type::String) {
        json_string(w, std::to_string(v->as_int()));
      } else {
        w.Int64(v->as_int());
      }
      return;
    case Value::Kind::Double:
      w.Double(v->as_double());
      return;
    default: {
      static const Shape kString;
      const Shape& s = shape ? *shape : kString;
      json_string(w, query::scalar_text(s, *v, s.timestamp_format));
    }
  }
}

}  // namespace

bool wants_json_response(const HttpRequest& request) {
  std::optional<std::string> type = query::request_param(request, "ContentType");
  return type && iequals(*type, "JSON");
}

HttpResponse encode_query_json(const ServiceModel& model, const Operation& operation,
                               const Value& output, const ResponseMeta& meta) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  json_string(w, operation.name + "Response");
  w.StartObject();
  if (operation.output) {
    json_string(w, operation.result_wrapper.empty() ? operation.name + "Result"
                                                    : operation.result_wrapper);
    json_value(w, operation.output, &output);
  }
  w.Key("ResponseMetadata");
  w.StartObject();
  w.Key("RequestId");
  json_string(w, meta.request_id);
  if (is_sdb(model)) {
    w.Key("BoxUsage");
    json_string(w, box_usage(meta));
  }
  w.EndObject();
  w.EndObject();
  w.EndObject();
  HttpResponse response;
  response.status = operation.response_code ? operation.response_code : 200;
  response.body.assign(buffer.GetString(), buffer.GetSize());
  response.set_header("Content-Type", "application/json");
  if (!meta.request_id.empty()) response.set_header("x-amzn-RequestId", meta.request_id);
  return response;
}

HttpResponse encode_query_json_error(const ServiceModel& model, const ApiError& error,
                                     const ResponseMeta& meta) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("Error");
  w.StartObject();
  w.Key("Type");
  w.String(error.sender_fault ? "Sender" : "Receiver");
  w.Key("Code");
  json_string(w, error.query_code.empty() ? error.code : error.query_code);
  w.Key("Message");
  json_string(w, error.message);
  for (const auto& [name, value] : error.details) {
    json_string(w, name);
    json_string(w, value);
  }
  w.EndObject();
  w.Key("RequestId");
  json_string(w, meta.request_id);
  w.EndObject();
  HttpResponse response;
  response.status = error.http_status;
  response.body.assign(buffer.GetString(), buffer.GetSize());
  response.set_header("Content-Type", "application/json");
  if (!meta.request_id.empty()) response.set_header("x-amzn-RequestId", meta.request_id);
  for (const Header& h : error.headers) response.add_header(h.name, h.value);
  return response;
}

const Codec& query_codec() {
  static const QueryCodec codec;
  return codec;
}

}  // namespace nimbus
