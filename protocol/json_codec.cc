// The json codec (awsJson 1.0/1.1: DynamoDB, DynamoDB Streams, SQS for boto3 and newer SDKs).
// decode() picks the operation from X-Amz-Target ("{targetPrefix}.{Op}") and walks the input
// shape over the JSON body (RapidJSON); encode() writes the output Value back as JSON walking the
// output shape; encode_error() writes {"__type": "<ns>#<Code>", "message": ...}, with SQS's
// x-amzn-query-error header. Every response carries x-amz-crc32 (botocore checks it for
// DynamoDB). Entry point: json_codec() (protocol/json_codec.h), via codec_for("json").
//
// Members are named by their model names only: the awsJson protocols do not rename members, and
// the Query-era locationNames that tools/model_overrides adds to SQS must not leak into JSON.
#include "protocol/json_codec.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "common/encoding.h"
#include "common/hash.h"
#include "common/time.h"

namespace nimbus {

namespace {

using Json = rapidjson::Value;
using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>,
                                     rapidjson::UTF8<>, rapidjson::CrtAllocator,
                                     rapidjson::kWriteNanAndInfFlag>;

bool is_dynamodb(const ServiceModel& model) {
  return model.service == "dynamodb" || model.service == "dynamodbstreams";
}

// Errors the codec itself raises (malformed input, unknown target). DynamoDB names them in the
// coral namespace, as the real service does.
ApiError codec_error(const ServiceModel& model, std::string code, std::string message) {
  ApiError error(400, code, std::move(message));
  if (is_dynamodb(model)) error.json_type = "com.amazon.coral.service#" + code;
  return error;
}

ApiError serialization_error(const ServiceModel& model, std::string message) {
  return codec_error(model, "SerializationException", std::move(message));
}

std::string json_kind(const Json& v) {
  if (v.IsObject()) return "START_OBJECT";
  if (v.IsArray()) return "START_ARRAY";
  if (v.IsString()) return "VALUE_STRING";
  if (v.IsBool()) return v.GetBool() ? "VALUE_TRUE" : "VALUE_FALSE";
  if (v.IsNumber()) return v.IsDouble() ? "VALUE_NUMBER_FLOAT" : "VALUE_NUMBER_INT";
  return "VALUE_NULL";
}

const char* type_name(Shape::Type type) {
  switch (type) {
    case Shape::Type::String: return "String";
    case Shape::Type::Integer: return "Integer";
    case Shape::Type::Long: return "Long";
    case Shape::Type::Boolean: return "Boolean";
    case Shape::Type::Double: return "Double";
    case Shape::Type::Float: return "Float";
    case Shape::Type::Blob: return "Blob";
    case Shape::Type::Timestamp: return "Timestamp";
    case Shape::Type::List: return "List";
    case Shape::Type::Map: return "Map";
    case Shape::Type::Structure: return "Structure";
  }
  return "value";
}

// ---- decoding -------------------------------------------------------------------------------

// Where a value sits in the request ("Item.name.M.first", "Keys[2]"), kept as a chain of frames
// on the stack and spelled out only when an error message needs it.
struct Path {
  const Path* parent = nullptr;
  std::string_view name;  // a member or map key; empty for a list element
  size_t index = 0;       // a list element's position
  bool element = false;

  std::string str() const {
    std::string out = parent ? parent->str() : std::string();
    if (element) return out + "[" + std::to_string(index) + "]";
    if (!out.empty() && !name.empty()) out += '.';
    out.append(name);
    return out;
  }
};

class Decoder {
 public:
  explicit Decoder(const ServiceModel& model) : model_(model) {}

  Value value(const Json& json, const Shape& shape, const Path& path, int depth = 0) const {
    // DynamoDB's AttributeValue is recursive (M, L); the stack must not follow a hostile body.
    if (depth > kMaxDepth)
      throw serialization_error(model_, "The request nests values deeper than " +
                                            std::to_string(kMaxDepth) + " levels.");
    switch (shape.type) {
      case Shape::Type::Structure: {
        if (!json.IsObject()) throw mismatch(json, shape, path);
        Value out = Value::map();
        for (const Member& member : shape.members) {
          if (!member.shape) continue;
          auto it = json.FindMember(rapidjson::StringRef(member.name.data(), member.name.size()));
          if (it == json.MemberEnd() || it->value.IsNull()) continue;
          Path here{&path, member.name};
          out.set(member.name, value(it->value, *member.shape, here, depth + 1));
        }
        return out;
      }
      case Shape::Type::List: {
        if (!json.IsArray()) throw mismatch(json, shape, path);
        Value out = Value::list();
        if (!shape.list_member.shape) return out;
        size_t i = 0;
        for (const Json& element : json.GetArray()) {
          Path here{&path, {}, i++, true};
          if (element.IsNull()) {
            out.push_back(Value());
            continue;
          }
          out.push_back(value(element, *shape.list_member.shape, here, depth + 1));
        }
        return out;
      }
      case Shape::Type::Map: {
        if (!json.IsObject()) throw mismatch(json, shape, path);
        Value out = Value::map();
        if (!shape.map_value.shape) return out;
        for (const auto& entry : json.GetObject()) {
          std::string_view key(entry.name.GetString(), entry.name.GetStringLength());
          if (entry.value.IsNull()) {
            out.set(key, Value());
            continue;
          }
          Path here{&path, key};
          Value v = value(entry.value, *shape.map_value.shape, here, depth + 1);
          out.set(key, std::move(v));
        }
        return out;
      }
      case Shape::Type::String:
        if (!json.IsString()) throw mismatch(json, shape, path);
        return Value(std::string(json.GetString(), json.GetStringLength()));
      case Shape::Type::Blob: {
        if (!json.IsString()) throw mismatch(json, shape, path);
        std::optional<std::string> bytes =
            base64_decode(std::string_view(json.GetString(), json.GetStringLength()));
        if (!bytes)
          throw serialization_error(model_, "Base64 encoded length is expected a multiple of 4 "
                                            "bytes but found: " +
                                                std::to_string(json.GetStringLength()) + " (" +
                                                path.str() + ")");
        return Value(std::move(*bytes));
      }
      case Shape::Type::Boolean:
        if (!json.IsBool()) throw mismatch(json, shape, path);
        return Value(json.GetBool());
      case Shape::Type::Integer:
      case Shape::Type::Long:
        if (json.IsInt64()) return Value(json.GetInt64());
        if (json.IsDouble() && std::isfinite(json.GetDouble()) &&
            json.GetDouble() == std::trunc(json.GetDouble()) && std::fabs(json.GetDouble()) < 9e18)
          return Value(static_cast<int64_t>(json.GetDouble()));
        throw mismatch(json, shape, path);
      case Shape::Type::Double:
      case Shape::Type::Float:
        if (!json.IsNumber()) throw mismatch(json, shape, path);
        return Value(json.GetDouble());
      case Shape::Type::Timestamp: {
        if (json.IsNumber()) return Value::timestamp(json.GetDouble());
        if (json.IsString()) {
          std::string text(json.GetString(), json.GetStringLength());
          if (std::optional<EpochMillis> ms = parse_iso8601(text))
            return Value::timestamp(static_cast<double>(*ms) / 1000.0);
          char* end = nullptr;
          double seconds = text.empty() ? 0 : std::strtod(text.c_str(), &end);
          if (!text.empty() && end == text.c_str() + text.size() && std::isfinite(seconds))
            return Value::timestamp(seconds);
        }
        throw mismatch(json, shape, path);
      }
    }
    throw mismatch(json, shape, path);
  }

 private:
  static constexpr int kMaxDepth = 128;

  ApiError mismatch(const Json& json, const Shape& shape, const Path& path) const {
    if (json.IsObject() && shape.type != Shape::Type::Structure &&
        shape.type != Shape::Type::Map)
      return serialization_error(model_, "Start of structure or map found where not expected.");
    if (json.IsArray() && shape.type != Shape::Type::List)
      return serialization_error(model_, "Start of list found where not expected.");
    return serialization_error(model_, json_kind(json) + " can not be converted to " +
                                           type_name(shape.type) + " (" + path.str() + ")");
  }

  const ServiceModel& model_;
};

// ---- encoding -------------------------------------------------------------------------------

void write_timestamp(JsonWriter& w, double seconds) {
  if (seconds == std::trunc(seconds) && std::fabs(seconds) < 9e15) {
    w.Int64(static_cast<int64_t>(seconds));
  } else {
    w.Double(seconds);
  }
}

void write_string(JsonWriter& w, const std::string& s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// Writes v as the shape says; a Value of another kind than the shape expects is written by its
// own kind (services build outputs by hand, and a number where a string belongs must not crash).
void write_value(JsonWriter& w, const Shape* shape, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Null:
      w.Null();
      return;
    case Value::Kind::Bool:
      w.Bool(v.as_bool());
      return;
    case Value::Kind::Integer:
      if (shape && shape->type == Shape::Type::String) {
        write_string(w, std::to_string(v.as_int()));
      } else if (shape && (shape->type == Shape::Type::Double ||
                           shape->type == Shape::Type::Float)) {
        w.Double(v.as_double());
      } else {
        w.Int64(v.as_int());
      }
      return;
    case Value::Kind::Double:
      if (shape && (shape->type == Shape::Type::Integer || shape->type == Shape::Type::Long)) {
        w.Int64(v.as_int());
      } else {
        w.Double(v.as_double());
      }
      return;
    case Value::Kind::Timestamp:
      write_timestamp(w, v.as_timestamp());
      return;
    case Value::Kind::String:
      if (shape && shape->type == Shape::Type::Blob) {
        write_string(w, base64_encode(v.as_string()));
      } else {
        write_string(w, v.as_string());
      }
      return;
    case Value::Kind::List: {
      const Shape* element = shape && shape->type == Shape::Type::List
                                 ? shape->list_member.shape : nullptr;
      w.StartArray();
      for (const Value& e : v.as_list()) write_value(w, element, e);
      w.EndArray();
      return;
    }
    case Value::Kind::Map: {
      w.StartObject();
      if (shape && shape->type == Shape::Type::Structure) {
        // Model order first, then anything the model does not name is left out.
        for (const Member& member : shape->members) {
          const Value* m = v.find(member.name);
          if (!m || m->is_null()) continue;
          write_string(w, member.name);
          write_value(w, member.shape, *m);
        }
      } else {
        const Shape* element =
            shape && shape->type == Shape::Type::Map ? shape->map_value.shape : nullptr;
        for (const auto& [key, m] : v.as_map()) {
          write_string(w, key);
          write_value(w, element, m);
        }
      }
      w.EndObject();
      return;
    }
  }
}

std::string content_type(const ServiceModel& model) {
  return "application/x-amz-json-" + (model.json_version.empty() ? "1.0" : model.json_version);
}

void finish(HttpResponse& response, const ServiceModel& model, const ResponseMeta& meta) {
  response.set_header("Content-Type", content_type(model));
  if (!meta.request_id.empty()) response.set_header("x-amzn-RequestId", meta.request_id);
  response.set_header("x-amz-crc32", std::to_string(crc32(response.body)));
}

std::string error_namespace(const ServiceModel& model) {
  if (is_dynamodb(model)) return "com.amazonaws.dynamodb.v20120810";
  if (model.service == "sqs") return "com.amazonaws.sqs";
  return "";
}

class JsonCodec : public Codec {
 public:
  DecodedRequest decode(const HttpRequest& request, const ServiceModel& model,
                        const DecodeHints& hints) const override {
    const Operation* operation = nullptr;
    if (const std::string* target = request.header("X-Amz-Target")) {
      std::string_view t = *target;
      size_t dot = t.rfind('.');
      if (dot != std::string_view::npos && t.substr(0, dot) == model.target_prefix)
        operation = model.operation(t.substr(dot + 1));
    }
    if (!operation) {
      throw codec_error(model, "UnknownOperationException",
                        model.service == "sqs"
                            ? "The action or operation requested is invalid. Verify that the "
                              "action is typed correctly."
                            : "");
    }
    DecodedRequest out;
    out.operation = operation;
    std::string_view body = request.body;
    bool blank = body.find_first_not_of(" \t\r\n") == std::string_view::npos;
    if (blank) {
      out.input = Value::map();
      return out;
    }
    rapidjson::Document doc;
    // Iterative parsing: nesting depth in the body cannot exhaust the stack.
    doc.Parse<rapidjson::kParseFullPrecisionFlag | rapidjson::kParseIterativeFlag>(body.data(),
                                                                                 body.size());
    if (doc.HasParseError()) {
      throw serialization_error(
          model, std::string("Could not parse request body into json: ") +
                     rapidjson::GetParseError_En(doc.GetParseError()) + " (at offset " +
                     std::to_string(doc.GetErrorOffset()) + ")");
    }
    if (!doc.IsObject())
      throw serialization_error(model, "The request body must be a JSON object.");
    if (!operation->input) {
      out.input = Value::map();
      return out;
    }
    out.input = Decoder(model).value(doc, *operation->input, Path{});
    return out;
  }

  HttpResponse encode(const ServiceModel& model, const Operation& operation, const Value& output,
                      const ResponseMeta& meta) const override {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    if (operation.output && output.is_map()) {
      write_value(w, operation.output, output);
    } else {
      w.StartObject();
      w.EndObject();
    }
    HttpResponse response;
    response.status = operation.response_code ? operation.response_code : 200;
    response.body.assign(buffer.GetString(), buffer.GetSize());
    finish(response, model, meta);
    return response;
  }

  HttpResponse encode_error(const ServiceModel& model, const ApiError& error,
                            const ResponseMeta& meta) const override {
    std::string type = error.json_type;
    if (type.empty()) {
      std::string ns = error_namespace(model);
      type = ns.empty() ? error.code : ns + "#" + error.code;
    }
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    w.Key("__type");
    write_string(w, type);
    w.Key("message");
    write_string(w, error.message);
    if (error.extra_json.is_map()) {
      const Shape* shape = model.shape(error.code);
      for (const auto& [name, member] : error.extra_json.as_map()) {
        if (name == "__type" || name == "message" || member.is_null()) continue;
        const Shape* member_shape = nullptr;
        if (shape && shape->type == Shape::Type::Structure) {
          for (const Member& m : shape->members)
            if (m.name == name) member_shape = m.shape;
        }
        write_string(w, name);
        write_value(w, member_shape, member);
      }
    }
    w.EndObject();
    HttpResponse response;
    response.status = error.http_status;
    response.body.assign(buffer.GetString(), buffer.GetSize());
    if (model.aws_query_compatible) {
      response.set_header("x-amzn-query-error",
                          (error.query_code.empty() ? error.code : error.query_code) + ";" +
                              (error.sender_fault ? "Sender" : "Receiver"));
    }
    for (const Header& h : error.headers) response.add_header(h.name, h.value);
    finish(response, model, meta);
    return response;
  }
};

}  // namespace

const Codec& json_codec() {
  static const JsonCodec codec;
  return codec;
}

}  // namespace nimbus
