// ServiceModel loading: parses a botocore service-2.json document (RapidJSON) into shapes,
// members and operations, resolves member shape references to pointers, and caches the embedded
// models of protocol/generated/models.cc per name (builtin_model, thread-safe, parsed once).
#include "protocol/model.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <array>
#include <mutex>
#include <stdexcept>
#include <utility>

namespace nimbus {

const Member* Shape::member(std::string_view member_name) const {
  for (const Member& m : members)
    if (m.name == member_name) return &m;
  return nullptr;
}

bool Shape::is_required(std::string_view member_name) const {
  for (const std::string& r : required)
    if (r == member_name) return true;
  return false;
}

const Operation* ServiceModel::operation(std::string_view name) const {
  auto it = operations.find(name);
  return it == operations.end() ? nullptr : &it->second;
}

const Shape* ServiceModel::shape(std::string_view name) const {
  auto it = shapes.find(name);
  return it == shapes.end() ? nullptr : it->second.get();
}

namespace {

using JsonValue = rapidjson::Value;

[[noreturn]] void fail(std::string_view service, const std::string& what) {
  throw std::runtime_error("model " + std::string(service) + ": " + what);
}

std::string get_string(const JsonValue& obj, const char* key) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

bool get_bool(const JsonValue& obj, const char* key) {
  auto it = obj.FindMember(key);
  return it != obj.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

bool has_number(const JsonValue& obj, const char* key, double* out) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsNumber()) return false;
  *out = it->value.GetDouble();
  return true;
}

// xmlNamespace is either a bare URI string or {"uri": ..., "prefix": ...}.
void read_namespace(const JsonValue& obj, std::string* uri, std::string* prefix) {
  auto it = obj.FindMember("xmlNamespace");
  if (it == obj.MemberEnd()) return;
  if (it->value.IsString()) {
    *uri = it->value.GetString();
  } else if (it->value.IsObject()) {
    *uri = get_string(it->value, "uri");
    *prefix = get_string(it->value, "prefix");
  }
}

Location parse_location(std::string_view service, const std::string& text) {
  if (text.empty()) return Location::Body;
  if (text == "header") return Location::Header;
  if (text == "headers") return Location::Headers;
  if (text == "querystring") return Location::QueryString;
  if (text == "uri") return Location::Uri;
  if (text == "statusCode") return Location::StatusCode;
  fail(service, "unknown member location \"" + text + "\"");
}

Shape::Type parse_type(std::string_view service, const std::string& shape_name,
                       const std::string& text) {
  static const std::pair<const char*, Shape::Type> kTypes[] = {
      {"structure", Shape::Type::Structure}, {"list", Shape::Type::List},
      {"map", Shape::Type::Map},             {"string", Shape::Type::String},
      {"integer", Shape::Type::Integer},     {"long", Shape::Type::Long},
      {"boolean", Shape::Type::Boolean},     {"double", Shape::Type::Double},
      {"float", Shape::Type::Float},         {"blob", Shape::Type::Blob},
      {"timestamp", Shape::Type::Timestamp},
  };
  for (const auto& [name, type] : kTypes)
    if (text == name) return type;
  fail(service, "shape " + shape_name + " has unknown type \"" + text + "\"");
}

// A member reference ({"shape": ..., "location": ..., ...}). The shape pointer is resolved after
// every shape exists; *shape_name receives the name to resolve.
Member read_member(std::string_view service, std::string name, const JsonValue& obj,
                   std::string* shape_name) {
  if (!obj.IsObject()) fail(service, "member " + name + " is not an object");
  Member m;
  m.name = std::move(name);
  m.location = parse_location(service, get_string(obj, "location"));
  m.location_name = get_string(obj, "locationName");
  m.query_name = get_string(obj, "queryName");
  read_namespace(obj, &m.xml_namespace, &m.xml_namespace_prefix);
  m.xml_attribute = get_bool(obj, "xmlAttribute");
  m.flattened = get_bool(obj, "flattened");
  m.idempotency_token = get_bool(obj, "idempotencyToken");
  m.streaming = get_bool(obj, "streaming");
  m.json_value = get_bool(obj, "jsonvalue");
  m.timestamp_format = get_string(obj, "timestampFormat");
  if (get_bool(obj, "hostLabel")) m.host_label = m.name;
  *shape_name = get_string(obj, "shape");
  if (shape_name->empty()) fail(service, "member " + m.name + " names no shape");
  return m;
}

void read_shape(std::string_view service, const std::string& name, const JsonValue& obj,
                Shape* shape, std::vector<std::pair<Member*, std::string>>* refs) {
  if (!obj.IsObject()) fail(service, "shape " + name + " is not an object");
  shape->name = name;
  shape->type = parse_type(service, name, get_string(obj, "type"));

  auto member_ref = [&](std::string member_name, const JsonValue& m) {
    std::string shape_name;
    Member member = read_member(service, std::move(member_name), m, &shape_name);
    return std::make_pair(std::move(member), std::move(shape_name));
  };

  std::vector<std::pair<std::size_t, std::string>> member_shapes;  // index → shape name
  if (auto it = obj.FindMember("members"); it != obj.MemberEnd()) {
    if (!it->value.IsObject()) fail(service, "shape " + name + " members is not an object");
    shape->members.reserve(it->value.MemberCount());
    for (auto m = it->value.MemberBegin(); m != it->value.MemberEnd(); ++m) {
      auto [member, shape_name] = member_ref(m->name.GetString(), m->value);
      shape->members.push_back(std::move(member));
      member_shapes.emplace_back(shape->members.size() - 1, std::move(shape_name));
    }
  }
  // Pointers into shape->members are stable from here on (the vector is complete).
  for (auto& [index, shape_name] : member_shapes)
    refs->emplace_back(&shape->members[index], std::move(shape_name));

  if (auto it = obj.FindMember("required"); it != obj.MemberEnd() && it->value.IsArray())
    for (const auto& r : it->value.GetArray())
      if (r.IsString()) shape->required.emplace_back(r.GetString());
  shape->payload = get_string(obj, "payload");
  shape->is_exception = get_bool(obj, "exception");
  shape->error_code = name;
  if (get_bool(obj, "fault")) shape->error_sender_fault = false;
  if (auto it = obj.FindMember("error"); it != obj.MemberEnd() && it->value.IsObject()) {
    std::string code = get_string(it->value, "code");
    if (!code.empty()) shape->error_code = std::move(code);
    double status = 0;
    if (has_number(it->value, "httpStatusCode", &status))
      shape->error_http_status = static_cast<int>(status);
    if (auto sf = it->value.FindMember("senderFault");
        sf != it->value.MemberEnd() && sf->value.IsBool())
      shape->error_sender_fault = sf->value.GetBool();
  }
  shape->is_union = get_bool(obj, "union");

  if (auto it = obj.FindMember("member"); it != obj.MemberEnd()) {
    auto [member, shape_name] = member_ref("member", it->value);
    shape->list_member = std::move(member);
    refs->emplace_back(&shape->list_member, std::move(shape_name));
  }
  if (auto it = obj.FindMember("key"); it != obj.MemberEnd()) {
    auto [member, shape_name] = member_ref("key", it->value);
    shape->map_key = std::move(member);
    refs->emplace_back(&shape->map_key, std::move(shape_name));
  }
  if (auto it = obj.FindMember("value"); it != obj.MemberEnd()) {
    auto [member, shape_name] = member_ref("value", it->value);
    shape->map_value = std::move(member);
    refs->emplace_back(&shape->map_value, std::move(shape_name));
  }
  shape->flattened = get_bool(obj, "flattened");

  if (auto it = obj.FindMember("enum"); it != obj.MemberEnd() && it->value.IsArray())
    for (const auto& e : it->value.GetArray())
      if (e.IsString()) shape->enum_values.emplace_back(e.GetString(), e.GetStringLength());
  shape->streaming = get_bool(obj, "streaming");
  shape->has_min = has_number(obj, "min", &shape->min);
  shape->has_max = has_number(obj, "max", &shape->max);
  shape->pattern = get_string(obj, "pattern");
  shape->timestamp_format = get_string(obj, "timestampFormat");
  shape->location_name = get_string(obj, "locationName");
  read_namespace(obj, &shape->xml_namespace, &shape->xml_namespace_prefix);
}

const Shape* resolve(std::string_view service, const ServiceModel& model,
                     const std::string& name, const std::string& context) {
  const Shape* s = model.shape(name);
  if (!s) fail(service, context + " refers to unknown shape " + name);
  return s;
}

void read_operation(std::string_view service, const ServiceModel& model,
                    const std::string& name, const JsonValue& obj, Operation* op) {
  if (!obj.IsObject()) fail(service, "operation " + name + " is not an object");
  op->name = name;
  if (auto it = obj.FindMember("http"); it != obj.MemberEnd() && it->value.IsObject()) {
    op->http_method = get_string(it->value, "method");
    op->request_uri = get_string(it->value, "requestUri");
    double code = 0;
    if (has_number(it->value, "responseCode", &code)) op->response_code = static_cast<int>(code);
  }
  op->deprecated = get_bool(obj, "deprecated");
  if (auto it = obj.FindMember("input"); it != obj.MemberEnd() && it->value.IsObject())
    op->input = resolve(service, model, get_string(it->value, "shape"), "operation " + name);
  if (auto it = obj.FindMember("output"); it != obj.MemberEnd() && it->value.IsObject()) {
    op->output = resolve(service, model, get_string(it->value, "shape"), "operation " + name);
    op->result_wrapper = get_string(it->value, "resultWrapper");
  }
  if (auto it = obj.FindMember("errors"); it != obj.MemberEnd() && it->value.IsArray())
    for (const auto& e : it->value.GetArray())
      if (e.IsObject())
        op->errors.push_back(
            resolve(service, model, get_string(e, "shape"), "operation " + name + " error"));
  if (auto it = obj.FindMember("httpChecksum"); it != obj.MemberEnd() && it->value.IsObject()) {
    op->http_checksum_required = get_bool(it->value, "requestChecksumRequired");
    op->request_algorithm_member = get_string(it->value, "requestAlgorithmMember");
  }
}

}  // namespace

std::unique_ptr<ServiceModel> ServiceModel::from_json(std::string_view service,
                                                      std::string_view json_text) {
  rapidjson::Document doc;
  doc.Parse(json_text.data(), json_text.size());
  if (doc.HasParseError())
    fail(service, std::string("invalid JSON at offset ") + std::to_string(doc.GetErrorOffset()) +
                      ": " + rapidjson::GetParseError_En(doc.GetParseError()));
  if (!doc.IsObject()) fail(service, "document is not an object");

  auto model = std::make_unique<ServiceModel>();
  model->service = std::string(service);

  if (auto it = doc.FindMember("metadata"); it != doc.MemberEnd() && it->value.IsObject()) {
    const JsonValue& md = it->value;
    model->protocol = get_string(md, "protocol");
    model->api_version = get_string(md, "apiVersion");
    model->target_prefix = get_string(md, "targetPrefix");
    model->json_version = get_string(md, "jsonVersion");
    model->xml_namespace = get_string(md, "xmlNamespace");
    model->endpoint_prefix = get_string(md, "endpointPrefix");
    model->signing_name = get_string(md, "signingName");
    if (model->signing_name.empty()) model->signing_name = model->endpoint_prefix;
    model->aws_query_compatible = md.HasMember("awsQueryCompatible");
  } else {
    fail(service, "no metadata");
  }

  std::vector<std::pair<Member*, std::string>> refs;
  if (auto it = doc.FindMember("shapes"); it != doc.MemberEnd() && it->value.IsObject()) {
    for (auto s = it->value.MemberBegin(); s != it->value.MemberEnd(); ++s) {
      std::string name(s->name.GetString(), s->name.GetStringLength());
      auto shape = std::make_unique<Shape>();
      read_shape(service, name, s->value, shape.get(), &refs);
      model->shapes.emplace(std::move(name), std::move(shape));
    }
  }
  // Shapes are heap-allocated, so member pointers collected above stay valid.
  for (auto& [member, shape_name] : refs) {
    member->shape = resolve(service, *model, shape_name, "member " + member->name);
    if (member->shape->streaming) member->streaming = true;
  }

  if (auto it = doc.FindMember("operations"); it != doc.MemberEnd() && it->value.IsObject()) {
    for (auto o = it->value.MemberBegin(); o != it->value.MemberEnd(); ++o) {
      std::string name(o->name.GetString(), o->name.GetStringLength());
      Operation op;
      read_operation(service, *model, name, o->value, &op);
      model->operations.emplace(std::move(name), std::move(op));
    }
  }
  return model;
}

const ServiceModel& builtin_model(std::string_view name) {
  static constexpr std::array<std::string_view, 6> kNames = {
      "s3", "sqs", "sns", "sdb", "dynamodb", "dynamodbstreams"};
  struct Slot {
    std::once_flag once;
    std::unique_ptr<ServiceModel> model;
  };
  static std::array<Slot, kNames.size()> slots;
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] != name) continue;
    Slot& slot = slots[i];
    std::call_once(slot.once, [&] {
      const char* json = builtin_model_json(kNames[i]);
      if (!json) throw std::out_of_range("no embedded model for " + std::string(name));
      slot.model = ServiceModel::from_json(kNames[i], json);
    });
    return *slot.model;
  }
  throw std::out_of_range("no built-in model named \"" + std::string(name) + "\"");
}

}  // namespace nimbus
