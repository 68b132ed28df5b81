// The rest-xml codec (S3). decode() picks the operation from the method, the path form (service
// root, bucket, object), the literal query keys of each operation's requestUri and its required
// query/header members, then builds the input Value from the uri labels, headers, query string
// and the XML or raw payload, walking the model's input shape. encode() writes header members and
// the XML body (S3's root element names, model member order, flattened lists, xsi attributes);
// encode_error() writes S3's <Error> document. Entry points: rest_xml_codec(), s3_root_element().
#include "protocol/rest_xml_codec.h"

#include <tinyxml2.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/encoding.h"
#include "common/http.h"
#include "common/hash.h"
#include "common/time.h"
#include "common/xml.h"

namespace nimbus {

namespace {

constexpr std::string_view kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

// ---- small helpers -------------------------------------------------------------------------

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}


// The element or attribute name without a namespace prefix ("s3:Key" → "Key").
std::string_view local_name(std::string_view name) {
  size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

const std::string& wire_name(const Member& m) {
  return m.location_name.empty() ? m.name : m.location_name;
}

bool is_flattened(const Member& m) { return m.flattened || (m.shape && m.shape->flattened); }

std::string timestamp_format(const Member* m, const Shape& s, std::string_view fallback) {
  if (m && !m->timestamp_format.empty()) return m->timestamp_format;
  if (!s.timestamp_format.empty()) return s.timestamp_format;
  return std::string(fallback);
}

ApiError malformed_xml() {
  return ApiError(400, "MalformedXML",
                  "The XML you provided was not well-formed or did not validate against our "
                  "published schema");
}

ApiError invalid_argument(std::string_view name, std::string_view value, std::string message) {
  ApiError e(400, "InvalidArgument", std::move(message));
  e.with("ArgumentName", std::string(name)).with("ArgumentValue", std::string(value));
  return e;
}

// ---- text → typed scalar ---------------------------------------------------------------------

std::optional<int64_t> parse_int(std::string_view text) {
  text = trim_ows(text);
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

std::optional<double> parse_double(std::string_view text) {
  std::string s(trim_ows(text));
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  return v;
}

std::optional<EpochMillis> parse_timestamp(std::string_view text, std::string_view format) {
  text = trim_ows(text);
  auto as_unix = [&]() -> std::optional<EpochMillis> {
    auto d = parse_double(text);
    if (!d || !std::isfinite(*d)) return std::nullopt;
    return static_cast<EpochMillis>(std::llround(*d * 1000.0));
  };
  std::optional<EpochMillis> t;
  if (format == "rfc822") t = parse_http_date(text);
  else if (format == "unixTimestamp") t = as_unix();
  else t = parse_iso8601(text);
  // Clients are not always exact about the form; accept the others before refusing.
  if (!t) t = parse_iso8601(text);
  if (!t) t = parse_http_date(text);
  if (!t) t = as_unix();
  return t;
}

enum class Where { Header, Query, Body };

// The Value of a scalar shape from its wire text; nullopt when the text does not fit the shape.
// Blobs are base64 in XML bodies and raw elsewhere.
std::optional<Value> scalar_from_text(const Shape& shape, const Member* member,
                                      std::string_view text, Where where) {
  switch (shape.type) {
    case Shape::Type::String:
      return Value(text);
    case Shape::Type::Integer:
    case Shape::Type::Long: {
      auto v = parse_int(text);
      if (!v) return std::nullopt;
      if (shape.type == Shape::Type::Integer && (*v < std::numeric_limits<int32_t>::min() ||
                                                 *v > std::numeric_limits<int32_t>::max()))
        return std::nullopt;
      return Value(*v);
    }
    case Shape::Type::Double:
    case Shape::Type::Float: {
      auto v = parse_double(text);
      if (!v) return std::nullopt;
      return Value(*v);
    }
    case Shape::Type::Boolean: {
      std::string t = lower(trim_ows(text));
      if (t == "true") return Value(true);
      if (t == "false") return Value(false);
      return std::nullopt;
    }
    case Shape::Type::Timestamp: {
      auto t = parse_timestamp(
          text, timestamp_format(member, shape, where == Where::Header ? "rfc822" : "iso8601"));
      if (!t) return std::nullopt;
      return Value::timestamp(static_cast<double>(*t) / 1000.0);
    }
    case Shape::Type::Blob: {
      if (where != Where::Body) return Value(text);
      auto bytes = base64_decode(trim_ows(text));
      if (!bytes) return std::nullopt;
      return Value(std::move(*bytes));
    }
    default:
      return std::nullopt;
  }
}

// ---- XML body → Value ---------------------------------------------------------------------

// All text (and CDATA) directly inside an element.
std::string element_text(const tinyxml2::XMLElement& el) {
  std::string out;
  for (const tinyxml2::XMLNode* n = el.FirstChild(); n; n = n->NextSibling())
    if (const tinyxml2::XMLText* t = n->ToText()) out += t->Value();
  return out;
}

Value parse_xml(const Shape& shape, const Member* member, const tinyxml2::XMLElement& el);

std::vector<const tinyxml2::XMLElement*> children_named(const tinyxml2::XMLElement& parent,
                                                        std::string_view name) {
  std::vector<const tinyxml2::XMLElement*> out;
  for (const auto* c = parent.FirstChildElement(); c; c = c->NextSiblingElement())
    if (local_name(c->Name()) == name) out.push_back(c);
  return out;
}

// One map entry (<entry><key/><value/></entry>, or the flattened element itself) into `map`.
void parse_map_entry(const Shape& map_shape, const tinyxml2::XMLElement& entry, Value& map) {
  const std::string key_name =
      map_shape.map_key.location_name.empty() ? "key" : map_shape.map_key.location_name;
  const std::string value_name =
      map_shape.map_value.location_name.empty() ? "value" : map_shape.map_value.location_name;
  std::optional<std::string> key;
  Value value;
  for (const auto* c = entry.FirstChildElement(); c; c = c->NextSiblingElement()) {
    std::string_view n = local_name(c->Name());
    if (n == key_name) key = element_text(*c);
    else if (n == value_name)
      value = parse_xml(*map_shape.map_value.shape, &map_shape.map_value, *c);
  }
  if (!key) throw malformed_xml();
  map.set(*key, std::move(value));
}

Value parse_structure(const Shape& shape, const tinyxml2::XMLElement& el) {
  Value out = Value::map();
  for (const Member& m : shape.members) {
    if (m.location != Location::Body) continue;
    const Shape& ms = *m.shape;
    if (m.xml_attribute) {
      const std::string& attr = wire_name(m);
      for (const auto* a = el.FirstAttribute(); a; a = a->Next()) {
        if (a->Name() == attr || local_name(a->Name()) == local_name(attr)) {
          auto v = scalar_from_text(ms, &m, a->Value(), Where::Body);
          if (!v) throw malformed_xml();
          out.set(m.name, std::move(*v));
          break;
        }
      }
      continue;
    }
    if (ms.type == Shape::Type::List && is_flattened(m)) {
      const std::string& name =
          ms.list_member.location_name.empty() ? wire_name(m) : ms.list_member.location_name;
      auto items = children_named(el, name);
      if (items.empty()) continue;
      Value list = Value::list();
      for (const auto* item : items)
        list.push_back(parse_xml(*ms.list_member.shape, &ms.list_member, *item));
      out.set(m.name, std::move(list));
    } else if (ms.type == Shape::Type::Map && is_flattened(m)) {
      auto entries = children_named(el, wire_name(m));
      if (entries.empty()) continue;
      Value map = Value::map();
      for (const auto* entry : entries) parse_map_entry(ms, *entry, map);
      out.set(m.name, std::move(map));
    } else {
      auto found = children_named(el, wire_name(m));
      if (found.empty()) continue;
      out.set(m.name, parse_xml(ms, &m, *found.front()));
    }
  }
  return out;
}

Value parse_xml(const Shape& shape, const Member* member, const tinyxml2::XMLElement& el) {
  switch (shape.type) {
    case Shape::Type::Structure:
      return parse_structure(shape, el);
    case Shape::Type::List: {
      // A wrapped list: every child element is an item (named by the member's locationName).
      Value list = Value::list();
      for (const auto* c = el.FirstChildElement(); c; c = c->NextSiblingElement())
        list.push_back(parse_xml(*shape.list_member.shape, &shape.list_member, *c));
      return list;
    }
    case Shape::Type::Map: {
      Value map = Value::map();
      for (const auto* c = el.FirstChildElement(); c; c = c->NextSiblingElement())
        parse_map_entry(shape, *c, map);
      return map;
    }
    default: {
      auto v = scalar_from_text(shape, member, element_text(el), Where::Body);
      if (!v) throw malformed_xml();
      return std::move(*v);
    }
  }
}

// Parses an XML request body; the root element is the structure `shape`.
Value parse_xml_body(const Shape& shape, std::string_view body) {
  tinyxml2::XMLDocument doc(true, tinyxml2::PRESERVE_WHITESPACE);
  if (doc.Parse(body.data(), body.size()) != tinyxml2::XML_SUCCESS) throw malformed_xml();
  const tinyxml2::XMLElement* root = doc.RootElement();
  if (!root) throw malformed_xml();
  return parse_xml(shape, nullptr, *root);
}

bool blank(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  return true;
}

// ---- operation selection ------------------------------------------------------------------

enum class PathForm { Root, Bucket, Object, Literal };

struct UriTemplate {
  PathForm form = PathForm::Literal;
  std::string_view literal_path;  // PathForm::Literal only ("/WriteGetObjectResponse")
  // The requestUri's literal query ("uploads", "list-type=2&..."): keys, with the value they
  // must have when given. Kept as text and scanned by for_each_query_item, since this runs for
  // every operation of the model on every request and must not allocate.
  std::string_view query;
};

UriTemplate parse_template(std::string_view uri) {
  UriTemplate t;
  size_t q = uri.find('?');
  std::string_view path = uri.substr(0, q);
  if (path == "/") t.form = PathForm::Root;
  else if (path == "/{Bucket}") t.form = PathForm::Bucket;
  else if (path == "/{Bucket}/{Key+}") t.form = PathForm::Object;
  else t.literal_path = path;
  if (q != std::string_view::npos) t.query = uri.substr(q + 1);
  return t;
}

// Calls fn(key, value) for each item of a template's query, value nullopt for a bare key; stops
// when fn returns false, and then returns false.
template <class F>
bool for_each_query_item(std::string_view rest, F&& fn) {
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view item = rest.substr(0, amp);
    if (!item.empty()) {
      size_t eq = item.find('=');
      bool go = eq == std::string_view::npos
                    ? fn(item, std::optional<std::string_view>())
                    : fn(item.substr(0, eq), std::optional<std::string_view>(item.substr(eq + 1)));
      if (!go) return false;
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return true;
}

struct Target {
  PathForm form = PathForm::Root;
  std::string path;    // the percent-encoded path (for literal-path operations)
  std::string bucket;  // decoded
  std::string key;     // decoded; '+' stays '+'
};

Target parse_target(const HttpRequest& request, const DecodeHints& hints) {
  Target t;
  t.path = request.path.empty() ? "/" : request.path;
  std::string_view rest = t.path;
  if (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  if (!hints.bucket_from_host.empty()) {
    t.bucket = hints.bucket_from_host;
    t.key = uri_decode(rest, false);
    t.form = t.key.empty() ? PathForm::Bucket : PathForm::Object;
    return t;
  }
  if (rest.empty()) {
    t.form = PathForm::Root;
    return t;
  }
  size_t slash = rest.find('/');
  t.bucket = uri_decode(rest.substr(0, slash), false);
  if (slash != std::string_view::npos) t.key = uri_decode(rest.substr(slash + 1), false);
  t.form = t.key.empty() ? PathForm::Bucket : PathForm::Object;
  return t;
}

bool form_matches(const UriTemplate& tpl, const Target& target, const DecodeHints& hints) {
  if (tpl.form == PathForm::Literal)
    return hints.bucket_from_host.empty() && tpl.literal_path == target.path;
  return tpl.form == target.form;
}

const std::string* find_query(const QueryParams& params, std::string_view key) {
  for (const auto& [k, v] : params)
    if (k == key) return &v;
  return nullptr;
}

// S3 Express operations that share a request form with a classic one and lose the tie.
bool low_priority(std::string_view op) { return op == "ListDirectoryBuckets"; }

const char* resource_type(PathForm form) {
  switch (form) {
    case PathForm::Root: return "SERVICE";
    case PathForm::Bucket: return "BUCKET";
    default: return "OBJECT";
  }
}

const Operation& select_operation(const HttpRequest& request, const ServiceModel& model,
                                  const DecodeHints& hints, const Target& target,
                                  const QueryParams& params) {
  const Operation* best = nullptr;
  int best_score = -1;
  auto better = [&](const Operation& op, int score) {
    if (!best) return true;
    if (score != best_score) return score > best_score;
    if (op.deprecated != best->deprecated) return !op.deprecated;
    return low_priority(best->name) && !low_priority(op.name);
  };
  bool form_known = false;
  for (const auto& [name, op] : model.operations) {
    UriTemplate tpl = parse_template(op.request_uri);
    if (!form_matches(tpl, target, hints)) continue;
    form_known = true;
    if (op.http_method != request.method) continue;
    int score = tpl.form == PathForm::Literal ? 1 : 0;
    bool ok = for_each_query_item(tpl.query, [&](std::string_view key,
                                                 std::optional<std::string_view> value) {
      const std::string* got = find_query(params, key);
      if (!got || (value && *got != *value)) return false;
      ++score;
      return true;
    });
    if (ok && op.input) {
      for (const Member& m : op.input->members) {
        if (!op.input->is_required(m.name)) continue;
        if (m.location == Location::QueryString) {
          if (!find_query(params, wire_name(m))) ok = false;
        } else if (m.location == Location::Header) {
          if (!request.header(wire_name(m))) ok = false;
        } else {
          continue;
        }
        if (!ok) break;
        ++score;
      }
    }
    if (ok && better(op, score)) {
      best = &op;
      best_score = score;
    }
  }
  if (best) return *best;
  if (form_known) {
    ApiError e(405, "MethodNotAllowed",
               "The specified method is not allowed against this resource.");
    e.with("Method", request.method).with("ResourceType", resource_type(target.form));
    throw e;
  }
  throw ApiError(501, "NotImplemented",
                 "A header or query parameter you provided implies functionality that is not "
                 "implemented.",
                 false);
}

// ---- request → input Value ---------------------------------------------------------------

Value typed_param(const Member& m, std::string_view text, Where where) {
  const Shape& s = *m.shape;
  if (s.type == Shape::Type::List) {
    // A list in a header is comma-separated (x-amz-object-attributes: ETag,Checksum).
    Value list = Value::list();
    std::string_view rest = text;
    while (true) {
      size_t comma = rest.find(',');
      std::string_view item = trim_ows(rest.substr(0, comma));
      if (!item.empty()) list.push_back(typed_param(s.list_member, item, where));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    return list;
  }
  auto v = scalar_from_text(s, &m, text, where);
  if (v) return std::move(*v);
  const std::string& name = wire_name(m);
  switch (s.type) {
    case Shape::Type::Integer:
    case Shape::Type::Long:
      throw invalid_argument(name, text,
                             "Provided " + name + " not an integer or within integer range");
    case Shape::Type::Boolean:
      throw invalid_argument(name, text, "Invalid value for " + name + ": must be true or false");
    default:
      throw invalid_argument(name, text, "Invalid value for " + name + ": " + std::string(text));
  }
}

void decode_headers(const HttpRequest& request, const Member& m, Value& input) {
  if (m.location == Location::Headers) {
    std::string prefix = lower(m.location_name);
    Value map = Value::map();
    for (const Header& h : request.headers) {
      std::string name = lower(h.name);
      if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
      std::string key = name.substr(prefix.size());
      if (Value* existing = map.find(key)) existing->as_string() += "," + h.value;
      else map.set(key, Value(h.value));
    }
    if (map.size() > 0) input.set(m.name, std::move(map));
    return;
  }
  const std::string* value = request.header(wire_name(m));
  if (!value) return;
  if (m.shape->type == Shape::Type::Timestamp) {
    // Unparseable dates are ignored, as RFC 7232 asks of If-Modified-Since and S3 does of Expires.
    if (auto v = scalar_from_text(*m.shape, &m, *value, Where::Header)) input.set(m.name, *v);
    return;
  }
  input.set(m.name, typed_param(m, *value, Where::Header));
}

void decode_query(const QueryParams& params, const Member& m, Value& input) {
  const Shape& s = *m.shape;
  if (s.type == Shape::Type::Map) {
    Value map = Value::map();
    for (const auto& [k, v] : params) {
      if (s.map_value.shape->type == Shape::Type::List) {
        map[k].push_back(Value(v));
      } else if (!map.has(k)) {
        map.set(k, Value(v));
      }
    }
    if (map.size() > 0) input.set(m.name, std::move(map));
    return;
  }
  const std::string& key = wire_name(m);
  if (s.type == Shape::Type::List) {
    Value list = Value::list();
    for (const auto& [k, v] : params)
      if (k == key) list.push_back(typed_param(s.list_member, v, Where::Query));
    if (list.size() > 0) input.set(m.name, std::move(list));
    return;
  }
  if (const std::string* v = find_query(params, key))
    input.set(m.name, typed_param(m, *v, Where::Query));
}

void decode_payload(const HttpRequest& request, const Shape& in, Value& input) {
  if (!in.payload.empty()) {
    const Member* p = in.member(in.payload);
    if (!p || p->streaming) return;  // streamed payloads are read by the service itself
    if (!request.body_buffered) return;
    const Shape& ps = *p->shape;
    if (ps.type == Shape::Type::Structure) {
      if (blank(request.body)) {
        if (in.is_required(p->name)) throw malformed_xml();
        return;
      }
      input.set(p->name, parse_xml_body(ps, request.body));
    } else if (!request.body.empty() || in.is_required(p->name)) {
      input.set(p->name, Value(request.body));
    }
    return;
  }
  // No payload member: body members, if any, are the children of one root element.
  bool has_body_members = false;
  for (const Member& m : in.members)
    if (m.location == Location::Body) has_body_members = true;
  if (!has_body_members || !request.body_buffered || blank(request.body)) return;
  Value parsed = parse_xml_body(in, request.body);
  for (auto& [k, v] : parsed.as_map()) input.set(k, std::move(v));
}

Value build_input(const HttpRequest& request, const Operation& op, const Target& target,
                  const QueryParams& params) {
  Value input = Value::map();
  if (!op.input) return input;
  for (const Member& m : op.input->members) {
    switch (m.location) {
      case Location::Uri:
        if (m.location_name == "Bucket" && !target.bucket.empty()) input.set(m.name, target.bucket);
        else if (m.location_name == "Key" && !target.key.empty()) input.set(m.name, target.key);
        break;
      case Location::Header:
      case Location::Headers:
        decode_headers(request, m, input);
        break;
      case Location::QueryString:
        decode_query(params, m, input);
        break;
      default:
        break;
    }
  }
  decode_payload(request, *op.input, input);
  return input;
}

// ---- Value → wire text ---------------------------------------------------------------------

std::string format_number(double d) {
  if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15)
    return std::to_string(static_cast<int64_t>(d));
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return ec == std::errc() ? std::string(buf, ptr) : std::string();
}

std::string format_timestamp(double seconds, std::string_view format) {
  EpochMillis ms = static_cast<EpochMillis>(std::llround(seconds * 1000.0));
  if (format == "rfc822") return format_http_date(ms);
  if (format == "unixTimestamp") return format_number(static_cast<double>(ms) / 1000.0);
  return format_iso8601_ms(ms);
}

std::string scalar_text(const Shape& s, const Member* m, const Value& v, Where where) {
  const std::string ts_format =
      timestamp_format(m, s, where == Where::Header ? "rfc822" : "iso8601");
  switch (v.kind()) {
    case Value::Kind::String:
      if (s.type == Shape::Type::Blob && where == Where::Body) return base64_encode(v.as_string());
      return v.as_string();
    case Value::Kind::Bool:
      return v.as_bool() ? "true" : "false";
    case Value::Kind::Integer:
    case Value::Kind::Double:
      if (s.type == Shape::Type::Timestamp)
        return format_timestamp(v.as_double(), ts_format);
      if (v.is_integer()) return std::to_string(v.as_int());
      return format_number(v.as_double());
    case Value::Kind::Timestamp:
      return format_timestamp(v.as_timestamp(), ts_format);
    default:
      return {};
  }
}

XmlWriter::Attributes namespace_attributes(const Member* m, const Shape& s) {
  std::string uri = m && !m->xml_namespace.empty() ? m->xml_namespace : s.xml_namespace;
  std::string prefix =
      m && !m->xml_namespace_prefix.empty() ? m->xml_namespace_prefix : s.xml_namespace_prefix;
  if (uri.empty()) return {};
  if (!prefix.empty()) return {{"xmlns:" + prefix, uri}};
  if (uri == kS3Namespace) return {};  // already declared on the root
  return {{"xmlns", uri}};
}

void write_named(XmlWriter& w, std::string_view name, const Member& m, const Value& v);

std::string flattened_item_name(const Member& m) {
  const Shape& ms = *m.shape;
  return ms.list_member.location_name.empty() ? wire_name(m) : ms.list_member.location_name;
}

// The flattened lists `order` names (see kElementOrder), element by element in its order.
void write_interleaved(XmlWriter& w, const Shape& s, const Value& v, const ValueList& order) {
  std::vector<std::pair<const Member*, size_t>> next;  // each list's member and next element
  for (const Value& name : order) {
    if (!name.is_string()) continue;
    auto it = std::find_if(next.begin(), next.end(),
                           [&](const auto& n) { return n.first->name == name.as_string(); });
    if (it == next.end()) {
      auto m = std::find_if(s.members.begin(), s.members.end(),
                            [&](const Member& m) { return m.name == name.as_string(); });
      if (m == s.members.end()) continue;
      next.emplace_back(&*m, 0);
      it = next.end() - 1;
    }
    const Value* list = v.find(it->first->name);
    if (!list || !list->is_list() || it->second >= list->as_list().size()) continue;
    write_named(w, flattened_item_name(*it->first), it->first->shape->list_member,
                list->as_list()[it->second++]);
  }
}

void write_structure(XmlWriter& w, std::string_view name, const Shape& s, const Value& v,
                     XmlWriter::Attributes attributes) {
  const Value* order = v.find(kElementOrder);
  if (order && !order->is_list()) order = nullptr;
  bool interleaved = false;
  auto in_order = [&](const Member& m) {
    if (!order) return false;
    const ValueList& names = order->as_list();
    return std::any_of(names.begin(), names.end(), [&](const Value& n) {
      return n.is_string() && n.as_string() == m.name;
    });
  };
  for (const Member& m : s.members) {
    if (!m.xml_attribute || m.location != Location::Body) continue;
    const Value* mv = v.find(m.name);
    if (mv && !mv->is_null())
      attributes.emplace_back(wire_name(m), scalar_text(*m.shape, &m, *mv, Where::Body));
  }
  w.open(name, attributes);
  for (const Member& m : s.members) {
    if (m.xml_attribute || m.location != Location::Body) continue;
    const Value* mv = v.find(m.name);
    if (!mv || mv->is_null()) continue;
    const Shape& ms = *m.shape;
    if (ms.type == Shape::Type::List && is_flattened(m) && in_order(m)) {
      if (!interleaved) write_interleaved(w, s, v, order->as_list());
      interleaved = true;
    } else if (ms.type == Shape::Type::List && is_flattened(m)) {
      const std::string item = flattened_item_name(m);
      if (mv->is_list())
        for (const Value& e : mv->as_list()) write_named(w, item, ms.list_member, e);
    } else if (ms.type == Shape::Type::Map && is_flattened(m)) {
      const std::string key = ms.map_key.location_name.empty() ? "key" : ms.map_key.location_name;
      const std::string value =
          ms.map_value.location_name.empty() ? "value" : ms.map_value.location_name;
      if (mv->is_map()) {
        for (const auto& [k, e] : mv->as_map()) {
          w.open(wire_name(m));
          w.element(key, k);
          write_named(w, value, ms.map_value, e);
          w.close();
        }
      }
    } else {
      write_named(w, wire_name(m), m, *mv);
    }
  }
  w.close();
}

// Writes one value as the element `name`, following the member's shape.
void write_named(XmlWriter& w, std::string_view name, const Member& m, const Value& v) {
  const Shape& s = *m.shape;
  switch (s.type) {
    case Shape::Type::Structure:
      write_structure(w, name, s, v, namespace_attributes(&m, s));
      return;
    case Shape::Type::List: {
      w.open(name, namespace_attributes(&m, s));
      const std::string item =
          s.list_member.location_name.empty() ? "member" : s.list_member.location_name;
      if (v.is_list())
        for (const Value& e : v.as_list()) write_named(w, item, s.list_member, e);
      w.close();
      return;
    }
    case Shape::Type::Map: {
      w.open(name, namespace_attributes(&m, s));
      const std::string key = s.map_key.location_name.empty() ? "key" : s.map_key.location_name;
      const std::string value =
          s.map_value.location_name.empty() ? "value" : s.map_value.location_name;
      if (v.is_map()) {
        for (const auto& [k, e] : v.as_map()) {
          w.open("entry");
          w.element(key, k);
          write_named(w, value, s.map_value, e);
          w.close();
        }
      }
      w.close();
      return;
    }
    default:
      w.element(name, scalar_text(s, &m, v, Where::Body), namespace_attributes(&m, s));
  }
}

std::string host_id(std::string_view request_id) {
  return base64_encode(sha256(std::string("nimbus/") + std::string(request_id)));
}

void add_common_headers(HttpResponse& r, const ResponseMeta& meta) {
  r.add_header("x-amz-request-id", meta.request_id);
  r.add_header("x-amz-id-2", host_id(meta.request_id));
}

void encode_header_member(HttpResponse& r, const Member& m, const Value& v) {
  if (m.location == Location::Headers) {
    if (!v.is_map()) return;
    for (const auto& [k, e] : v.as_map())
      r.add_header(m.location_name + k, scalar_text(*m.shape->map_value.shape, nullptr, e,
                                                    Where::Header));
    return;
  }
  const Shape& s = *m.shape;
  if (s.type == Shape::Type::List) {
    if (!v.is_list()) return;
    std::string joined;
    for (const Value& e : v.as_list()) {
      if (!joined.empty()) joined += ",";
      joined += scalar_text(*s.list_member.shape, &s.list_member, e, Where::Header);
    }
    r.add_header(wire_name(m), joined);
    return;
  }
  r.add_header(wire_name(m), scalar_text(s, &m, v, Where::Header));
}

class RestXmlCodec : public Codec {
 public:
  DecodedRequest decode(const HttpRequest& request, const ServiceModel& model,
                        const DecodeHints& hints) const override {
    Target target = parse_target(request, hints);
    QueryParams params = parse_query(request.query, true);
    DecodedRequest out;
    out.operation = &select_operation(request, model, hints, target, params);
    out.input = build_input(request, *out.operation, target, params);
    return out;
  }

  HttpResponse encode(const ServiceModel& model, const Operation& op, const Value& output,
                      const ResponseMeta& meta) const override {
    HttpResponse r;
    r.status = op.response_code;
    add_common_headers(r, meta);
    if (!op.output) return r;
    const Shape& out = *op.output;
    bool has_body_members = false;
    for (const Member& m : out.members) {
      const Value* v = output.find(m.name);
      if (m.location == Location::Body) has_body_members = true;
      if (!v || v->is_null()) continue;
      if (m.location == Location::Header || m.location == Location::Headers) {
        encode_header_member(r, m, *v);
      } else if (m.location == Location::StatusCode && v->is_number()) {
        r.status = static_cast<int>(v->as_int());
      }
    }

    if (!out.payload.empty()) {
      const Member* p = out.member(out.payload);
      const Value* pv = p ? output.find(p->name) : nullptr;
      if (p && pv && !pv->is_null()) {
        if (p->shape->type == Shape::Type::Structure) {
          std::string root = p->location_name;
          if (root.empty()) root = p->shape->location_name;
          if (root.empty()) root = p->name;
          XmlWriter w;
          w.declaration();
          w.raw("\n");
          XmlWriter::Attributes attrs = namespace_attributes(p, *p->shape);
          if (attrs.empty()) attrs.emplace_back("xmlns", std::string(kS3Namespace));
          write_structure(w, root, *p->shape, *pv, std::move(attrs));
          r.body = w.take();
          r.set_header("Content-Type", "application/xml");
        } else if (pv->is_string()) {
          r.body = pv->as_string();
        }
      }
    } else if (has_body_members) {
      XmlWriter w;
      w.declaration();
      w.raw("\n");
      XmlWriter::Attributes ns = {{"xmlns", std::string(kS3Namespace)}};
      if (op.name == "GetBucketLocation") {
        // <LocationConstraint xmlns="...">eu-west-1</LocationConstraint>; empty for us-east-1.
        const Value* lc = output.find("LocationConstraint");
        std::string region = lc && lc->is_string() ? lc->as_string() : "";
        if (region.empty() || region == "us-east-1") w.empty_element("LocationConstraint", ns);
        else w.element("LocationConstraint", region, ns);
      } else {
        write_structure(w, s3_root_element(op), out, output, std::move(ns));
      }
      r.body = w.take();
      r.set_header("Content-Type", "application/xml");
    }
    if (meta.head_request) r.body.clear();
    return r;
  }

  HttpResponse encode_error(const ServiceModel& model, const ApiError& error,
                            const ResponseMeta& meta) const override {
    HttpResponse r;
    r.status = error.http_status;
    add_common_headers(r, meta);
    r.add_header("Content-Type", "application/xml");
    for (const Header& h : error.headers) r.add_header(h.name, h.value);
    if (meta.head_request) return r;
    XmlWriter w;
    w.declaration();
    w.raw("\n");
    w.open("Error");
    w.element("Code", error.code.empty() ? "InternalError" : error.code);
    w.element("Message", error.message);
    for (const auto& [name, value] : error.details) w.element(name, value);
    w.element("RequestId", meta.request_id);
    w.element("HostId", host_id(meta.request_id));
    w.close();
    r.body = w.take();
    return r;
  }
};

}  // namespace

std::string s3_root_element(const Operation& op) {
  // The document element S3 writes for each operation whose output has no payload member
  // (Amazon S3 API Reference, "Response Syntax" of each action).
  static const std::pair<std::string_view, std::string_view> kRoots[] = {
      {"ListBuckets", "ListAllMyBucketsResult"},
      {"ListDirectoryBuckets", "ListAllMyDirectoryBucketsResult"},
      {"ListObjects", "ListBucketResult"},
      {"ListObjectsV2", "ListBucketResult"},
      {"ListObjectVersions", "ListVersionsResult"},
      {"GetBucketAcl", "AccessControlPolicy"},
      {"GetObjectAcl", "AccessControlPolicy"},
      {"CreateMultipartUpload", "InitiateMultipartUploadResult"},
      {"CompleteMultipartUpload", "CompleteMultipartUploadResult"},
      {"ListParts", "ListPartsResult"},
      {"ListMultipartUploads", "ListMultipartUploadsResult"},
      {"DeleteObjects", "DeleteResult"},
      {"GetBucketTagging", "Tagging"},
      {"GetObjectTagging", "Tagging"},
      {"GetBucketVersioning", "VersioningConfiguration"},
      {"GetObjectAttributes", "GetObjectAttributesResponse"},
      {"GetBucketCors", "CORSConfiguration"},
      {"GetBucketLifecycle", "LifecycleConfiguration"},
      {"GetBucketLifecycleConfiguration", "LifecycleConfiguration"},
      {"GetBucketWebsite", "WebsiteConfiguration"},
      {"GetBucketLogging", "BucketLoggingStatus"},
      {"GetBucketNotification", "NotificationConfiguration"},
      {"GetBucketNotificationConfiguration", "NotificationConfiguration"},
      {"GetBucketRequestPayment", "RequestPaymentConfiguration"},
      {"GetBucketAccelerateConfiguration", "AccelerateConfiguration"},
      {"GetBucketLocation", "LocationConstraint"},
      {"ListBucketAnalyticsConfigurations", "ListBucketAnalyticsConfigurationResult"},
      {"ListBucketInventoryConfigurations", "ListInventoryConfigurationsResult"},
      {"ListBucketMetricsConfigurations", "ListMetricsConfigurationsResult"},
      {"ListBucketIntelligentTieringConfigurations",
       "ListBucketIntelligentTieringConfigurationsOutput"},
      {"CreateSession", "CreateSessionResult"},
  };
  for (const auto& [name, root] : kRoots)
    if (op.name == name) return std::string(root);
  if (op.output) {
    if (!op.output->location_name.empty()) return op.output->location_name;
    std::string_view n = op.output->name;
    if (n.size() > 6 && n.substr(n.size() - 6) == "Output") n.remove_suffix(6);
    return std::string(n);
  }
  return op.name;
}

const Codec& rest_xml_codec() {
  static const RestXmlCodec codec;
  return codec;
}

}  // namespace nimbus
