// Shared machinery of the query and ec2 codecs (protocol/query_common.h): request_params()
// gathers the form parameters, decode_params() walks an input shape over a tree of the dotted
// parameter names, write_members() writes an output Value as XML, scalar_text() formats scalars.
//
// Decoding builds a ParamNode tree first ("A.member.2.B=x" becomes A -> member -> 2 -> B = x), so
// each shape looks only at its own subtree and list/map indices can be sorted numerically.
#include "protocol/query_common.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/time.h"

namespace nimbus::query {

namespace {

// ---- the parameter tree ---------------------------------------------------------------------

struct ParamNode {
  std::optional<std::string> value;
  std::map<std::string, ParamNode, std::less<>> children;

  const ParamNode* child(std::string_view name) const {
    auto it = children.find(name);
    return it == children.end() ? nullptr : &it->second;
  }
};

bool is_index(std::string_view segment) {
  if (segment.empty() || segment.size() > 9) return false;
  return std::all_of(segment.begin(), segment.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

// The children of `node` whose names are indices, in numeric order.
std::vector<const ParamNode*> indexed_children(const ParamNode& node) {
  std::vector<std::pair<long, const ParamNode*>> found;
  for (const auto& [name, child] : node.children)
    if (is_index(name)) found.emplace_back(std::strtol(name.c_str(), nullptr, 10), &child);
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<const ParamNode*> out;
  out.reserve(found.size());
  for (const auto& entry : found) out.push_back(entry.second);
  return out;
}

bool is_protocol_param(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "Action", "Version", "AWSAccessKeyId", "Signature", "SignatureMethod", "SignatureVersion",
      "Timestamp", "Expires", "SecurityToken", "ContentType"};
  for (std::string_view n : kNames)
    if (name == n) return true;
  return name.size() >= 6 && iequals(name.substr(0, 6), "X-Amz-");
}

// No shape nimbus speaks nests deeper than a dozen segments ("Item.1.Attribute.2.Name"); longer
// keys cannot name a member, and skipping them keeps the tree (and its recursive destructor)
// shallow whatever a client sends.
constexpr size_t kMaxSegments = 32;

ParamNode build_tree(const QueryParams& params) {
  ParamNode root;
  for (const auto& [key, value] : params) {
    if (key.empty() || is_protocol_param(key)) continue;
    if (static_cast<size_t>(std::count(key.begin(), key.end(), '.')) >= kMaxSegments) continue;
    ParamNode* node = &root;
    std::string_view rest = key;
    while (true) {
      size_t dot = rest.find('.');
      std::string_view segment = rest.substr(0, dot);
      node = &node->children[std::string(segment)];
      if (dot == std::string_view::npos) break;
      rest = rest.substr(dot + 1);
    }
    // A repeated name keeps its first value (the query string comes before the form body).
    if (!node->value) node->value = value;
  }
  return root;
}

// ---- names ----------------------------------------------------------------------------------

std::string capitalized(std::string_view name) {
  std::string out(name);
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

// A member's (or list element's, or map key's) name on the wire, with `fallback` when the model
// names none (botocore's _get_serialized_name).
std::string wire_name(const Member& member, std::string_view fallback, Dialect dialect) {
  if (dialect == Dialect::Ec2) {
    if (!member.query_name.empty()) return member.query_name;
    if (!member.location_name.empty()) return capitalized(member.location_name);
    return std::string(fallback);
  }
  if (!member.location_name.empty()) return member.location_name;
  return std::string(fallback);
}

bool is_flattened(const Member& member) {
  return member.flattened || (member.shape && member.shape->flattened);
}

// ---- decoding -------------------------------------------------------------------------------

class Decoder {
 public:
  explicit Decoder(Dialect dialect) : dialect_(dialect) {}

  Value structure(const ParamNode& node, const Shape& shape, const std::string& path) const {
    const ParamNode* source = &node;
    // SimpleDB's documented form "Expected.1.Name" puts an index in front of a lone structure.
    if (!path.empty() && !has_any_member(node, shape)) {
      std::vector<const ParamNode*> indexed = indexed_children(node);
      if (!indexed.empty()) source = indexed.front();
    }
    Value out = Value::map();
    for (const Member& member : shape.members) {
      if (!member.shape) continue;
      std::optional<Value> v = member_value(*source, member, path);
      if (v) out.set(member.name, std::move(*v));
    }
    return out;
  }

 private:
  bool has_any_member(const ParamNode& node, const Shape& shape) const {
    for (const Member& member : shape.members)
      for (const std::string& name : member_names(member))
        if (node.child(name)) return true;
    return false;
  }

  // The names a member may appear under, preferred first.
  std::vector<std::string> member_names(const Member& member) const {
    std::string own = wire_name(member, member.name, dialect_);
    std::vector<std::string> names;
    if (dialect_ == Dialect::Query && member.shape->type == Shape::Type::List &&
        is_flattened(member) && !member.shape->list_member.location_name.empty()) {
      // botocore replaces the member's name by the element's locationName ("AttributeName.1").
      names.push_back(member.shape->list_member.location_name);
    }
    names.push_back(own);
    if (own != member.name) names.push_back(member.name);
    return names;
  }

  std::optional<Value> member_value(const ParamNode& parent, const Member& member,
                                    const std::string& path) const {
    for (const std::string& name : member_names(member)) {
      const ParamNode* node = parent.child(name);
      if (!node) continue;
      std::string child_path = path.empty() ? name : path + "." + name;
      return value(*node, *member.shape, is_flattened(member), child_path);
    }
    return std::nullopt;
  }

  std::optional<Value> value(const ParamNode& node, const Shape& shape, bool flattened,
                             const std::string& path) const {
    switch (shape.type) {
      case Shape::Type::Structure:
        return structure(node, shape, path);
      case Shape::Type::List:
        return list(node, shape, flattened, path);
      case Shape::Type::Map:
        return map(node, shape, flattened, path);
      default:
        if (!node.value) {
          // "Name.1=x" where the model has a scalar: take the first indexed value.
          for (const ParamNode* element : indexed_children(node))
            if (element->value) return scalar(*element->value, shape, path);
          return std::nullopt;
        }
        return scalar(*node.value, shape, path);
    }
  }

  Value list(const ParamNode& node, const Shape& shape, bool flattened,
             const std::string& path) const {
    const Member& element = shape.list_member;
    std::vector<const ParamNode*> elements;
    std::string element_path = path;
    if (dialect_ == Dialect::Query && !flattened) {
      std::string name = element.location_name.empty() ? "member" : element.location_name;
      if (const ParamNode* container = node.child(name)) {
        elements = indexed_children(*container);
        element_path += "." + name;
      }
    }
    if (elements.empty()) elements = indexed_children(node);
    Value out = Value::list();
    if (!element.shape) return out;
    if (elements.empty()) {
      // "AttributeName=X" (boto 2) is a one-element list; "Name=" (botocore) an empty one.
      if (node.value && !node.value->empty() && element.shape->type != Shape::Type::Structure)
        if (std::optional<Value> v = value(node, *element.shape, false, path))
          out.push_back(std::move(*v));
      return out;
    }
    size_t n = 0;
    for (const ParamNode* e : elements) {
      ++n;
      std::optional<Value> v =
          value(*e, *element.shape, false, element_path + "." + std::to_string(n));
      if (v) out.push_back(std::move(*v));
    }
    return out;
  }

  Value map(const ParamNode& node, const Shape& shape, bool flattened,
            const std::string& path) const {
    std::string key_name = wire_name(shape.map_key, "key", dialect_);
    std::string value_name = wire_name(shape.map_value, "value", dialect_);
    const ParamNode* container = &node;
    if (const ParamNode* entry = node.child("entry"); entry && !flattened) container = entry;
    std::vector<const ParamNode*> entries = indexed_children(*container);
    if (entries.empty() && container == &node) {
      if (const ParamNode* entry = node.child("entry")) entries = indexed_children(*entry);
    }
    // "Attribute.Name=x&Attribute.Value=y" (boto 2's SetQueueAttributes): one unindexed entry.
    if (entries.empty() && node.child(key_name)) entries.push_back(&node);
    Value out = Value::map();
    for (const ParamNode* entry : entries) {
      const ParamNode* key = entry->child(key_name);
      if (!key || !key->value) continue;
      const ParamNode* val = entry->child(value_name);
      std::optional<Value> v;
      if (val && shape.map_value.shape)
        v = value(*val, *shape.map_value.shape, is_flattened(shape.map_value),
                  path + "." + key_name);
      out.set(*key->value, v ? std::move(*v) : Value());
    }
    return out;
  }

  static Value scalar(const std::string& text, const Shape& shape, const std::string& path) {
    switch (shape.type) {
      case Shape::Type::Integer:
      case Shape::Type::Long: {
        std::string_view t = trimmed(text);
        if (!t.empty() && t.front() == '+') t.remove_prefix(1);
        int64_t n = 0;
        auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
        if (t.empty() || ec != std::errc() || end != t.data() + t.size())
          throw invalid(text, path, "Must be an integer.");
        return Value(n);
      }
      case Shape::Type::Double:
      case Shape::Type::Float: {
        std::string t(trimmed(text));
        char* end = nullptr;
        double d = t.empty() ? 0 : std::strtod(t.c_str(), &end);
        if (t.empty() || end != t.c_str() + t.size() || !std::isfinite(d))
          throw invalid(text, path, "Must be a number.");
        return Value(d);
      }
      case Shape::Type::Boolean: {
        std::string_view t = trimmed(text);
        if (iequals(t, "true")) return Value(true);
        if (iequals(t, "false")) return Value(false);
        throw invalid(text, path, "Must be true or false.");
      }
      case Shape::Type::Timestamp: {
        std::string_view t = trimmed(text);
        if (std::optional<EpochMillis> ms = parse_iso8601(t))
          return Value::timestamp(static_cast<double>(*ms) / 1000.0);
        std::string s(t);
        char* end = nullptr;
        double d = s.empty() ? 0 : std::strtod(s.c_str(), &end);
        if (!s.empty() && end == s.c_str() + s.size() && std::isfinite(d))
          return Value::timestamp(d);
        throw invalid(text, path, "Must be an ISO 8601 timestamp.");
      }
      case Shape::Type::Blob: {
        std::optional<std::string> bytes = base64_decode(text);
        if (!bytes) throw invalid(text, path, "Must be base64-encoded.");
        return Value(std::move(*bytes));
      }
      default:
        return Value(text);
    }
  }

  static std::string_view trimmed(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
  }

  static ApiError invalid(const std::string& text, const std::string& path,
                          std::string_view expected) {
    std::string shown = text.size() > 64 ? text.substr(0, 64) + "..." : text;
    return ApiError(400, "InvalidParameterValue",
                    "Value (" + shown + ") for parameter " + path + " is invalid. " +
                        std::string(expected));
  }

  Dialect dialect_;
};

// ---- encoding -------------------------------------------------------------------------------

void write_value(XmlWriter& w, const std::string& name, const Member& member, const Value& v,
                 Dialect dialect);

std::string element_name(const Member& list_member, Dialect dialect) {
  if (!list_member.location_name.empty()) return list_member.location_name;
  return dialect == Dialect::Ec2 ? "item" : "member";
}

// Elements of a list Value; a lone non-list value counts as a one-element list.
template <typename F>
void for_each_element(const Value& v, F&& f) {
  if (v.is_list()) {
    for (const Value& e : v.as_list()) f(e);
  } else if (!v.is_null()) {
    f(v);
  }
}

void write_map_entry(XmlWriter& w, const Shape& shape, const std::string& key, const Value& v,
                     Dialect dialect) {
  std::string key_name = shape.map_key.location_name.empty() ? "key"
                                                              : shape.map_key.location_name;
  std::string value_name =
      shape.map_value.location_name.empty() ? "value" : shape.map_value.location_name;
  w.element(key_name, key);
  if (shape.map_value.shape && !v.is_null())
    write_value(w, value_name, shape.map_value, v, dialect);
}

void write_member(XmlWriter& w, const Member& member, const Value& v, Dialect dialect) {
  const Shape& shape = *member.shape;
  std::string name = member.location_name.empty() ? member.name : member.location_name;
  if (shape.type == Shape::Type::List && is_flattened(member)) {
    const Member& element = shape.list_member;
    std::string repeated = element.location_name.empty() ? name : element.location_name;
    if (element.shape)
      for_each_element(v, [&](const Value& e) { write_value(w, repeated, element, e, dialect); });
    return;
  }
  if (shape.type == Shape::Type::Map && is_flattened(member)) {
    if (!v.is_map()) return;
    for (const auto& [key, entry] : v.as_map()) {
      w.open(name);
      write_map_entry(w, shape, key, entry, dialect);
      w.close();
    }
    return;
  }
  write_value(w, name, member, v, dialect);
}

void write_value(XmlWriter& w, const std::string& name, const Member& member, const Value& v,
                 Dialect dialect) {
  const Shape& shape = *member.shape;
  switch (shape.type) {
    case Shape::Type::Structure:
      w.open(name);
      write_members(w, shape, v, dialect);
      w.close();
      return;
    case Shape::Type::List: {
      w.open(name);
      const Member& element = shape.list_member;
      std::string element_tag = element_name(element, dialect);
      if (element.shape)
        for_each_element(v,
                         [&](const Value& e) { write_value(w, element_tag, element, e, dialect); });
      w.close();
      return;
    }
    case Shape::Type::Map:
      w.open(name);
      if (v.is_map()) {
        for (const auto& [key, entry] : v.as_map()) {
          w.open("entry");
          write_map_entry(w, shape, key, entry, dialect);
          w.close();
        }
      }
      w.close();
      return;
    default: {
      std::string_view format =
          member.timestamp_format.empty() ? shape.timestamp_format : member.timestamp_format;
      w.element(name, scalar_text(shape, v, format));
    }
  }
}

std::string format_double(double d) {
  if (!std::isfinite(d)) return std::isnan(d) ? "NaN" : (d > 0 ? "Infinity" : "-Infinity");
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d);
  return ec == std::errc() ? std::string(buffer, end) : std::to_string(d);
}

}  // namespace

namespace {

// Whether the body holds parameters: a buffered form, or a body without a Content-Type.
bool form_body(const HttpRequest& request) {
  if (!request.body_buffered || request.body.empty()) return false;
  const std::string* type = request.header("Content-Type");
  if (!type || type->empty()) return true;
  std::string lower(*type);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find("application/x-www-form-urlencoded") != std::string::npos;
}

}  // namespace

QueryParams request_params(const HttpRequest& request) {
  QueryParams params = parse_query(request.query, true);
  if (form_body(request)) {
    QueryParams body = parse_query(request.body, true);
    params.insert(params.end(), std::make_move_iterator(body.begin()),
                  std::make_move_iterator(body.end()));
  }
  return params;
}

std::optional<std::string> request_param(const HttpRequest& request, std::string_view key) {
  std::optional<std::string> v = find_query_param(request.query, key);
  if (!v && form_body(request)) v = find_query_param(request.body, key);
  return v;
}

Value decode_params(const QueryParams& params, const Shape& input, Dialect dialect) {
  ParamNode root = build_tree(params);
  return Decoder(dialect).structure(root, input, "");
}

void write_members(XmlWriter& writer, const Shape& shape, const Value& value, Dialect dialect) {
  if (!value.is_map()) return;
  for (const Member& member : shape.members) {
    if (!member.shape) continue;
    const Value* v = value.find(member.name);
    if (!v || v->is_null()) continue;
    write_member(writer, member, *v, dialect);
  }
}

std::string scalar_text(const Shape& shape, const Value& value, std::string_view timestamp_format) {
  switch (value.kind()) {
    case Value::Kind::Null:
      return "";
    case Value::Kind::Bool:
      return value.as_bool() ? "true" : "false";
    case Value::Kind::Integer:
      if (shape.type == Shape::Type::Timestamp && timestamp_format != "unixTimestamp")
        return format_iso8601_ms(value.as_int() * 1000);
      return std::to_string(value.as_int());
    case Value::Kind::Double:
      return format_double(value.as_double());
    case Value::Kind::Timestamp: {
      double seconds = value.as_timestamp();
      if (timestamp_format == "unixTimestamp") return format_double(seconds);
      auto ms = static_cast<EpochMillis>(std::llround(seconds * 1000.0));
      if (timestamp_format == "rfc822") return format_http_date(ms);
      return format_iso8601_ms(ms);
    }
    case Value::Kind::String:
      if (shape.type == Shape::Type::Blob) return base64_encode(value.as_string());
      return value.as_string();
    default:
      return "";
  }
}

DecodedRequest decode_request(const HttpRequest& request, const ServiceModel& model,
                              Dialect dialect, const char* where) {
  QueryParams params = request_params(request);
  std::optional<std::string> action = query_param(params, "Action");
  if (!action || action->empty())
    throw ApiError(400, "MissingAction", "The request must contain the parameter Action.");
  const Operation* operation = model.operation(*action);
  if (!operation)
    throw ApiError(400, "InvalidAction",
                   "The action " + *action + " is not valid for this " + where + ".");
  DecodedRequest out;
  out.operation = operation;
  out.input = operation->input ? decode_params(params, *operation->input, dialect) : Value::map();
  return out;
}

}  // namespace nimbus::query
