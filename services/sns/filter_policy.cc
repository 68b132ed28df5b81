// FilterPolicy: parses SNS filter policies into a tree of fields and conditions, validates them
// with AWS's error messages, and evaluates them against message attributes or a JSON body.
// Entry points: FilterPolicy::parse, matches_attributes, matches_body.
#include "services/sns/filter_policy.h"

#include <arpa/inet.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <optional>
#include <vector>

#include "services/sns/errors.h"

namespace nimbus::sns {
namespace {

constexpr size_t kMaxKeys = 5;
constexpr size_t kMaxCombinations = 150;

// A value a condition is tested against: one leaf of the message.
struct Leaf {
  enum class Kind { String, Number, Bool, Null, Other } kind = Kind::Other;
  std::string text;   // String
  double number = 0;  // Number
  bool boolean = false;
};

struct NumericBound {
  std::string op;  // "=", "<", "<=", ">", ">="
  double value = 0;
};

struct Condition {
  enum class Kind {
    ExactString, ExactNumber, ExactNull, ExactBool, Prefix, Suffix, AnythingBut,
    AnythingButPrefix, AnythingButSuffix, Numeric, Exists, EqualsIgnoreCase, Cidr
  } kind;
  std::string text;

  explicit Condition(Kind k, std::string t = "") : kind(k), text(std::move(t)) {}
  double number = 0;
  bool flag = false;
  std::vector<Leaf> values;            // AnythingBut
  std::vector<NumericBound> bounds;    // Numeric
  std::string network;                 // Cidr: address bytes (4 or 16)
  int prefix_bits = 0;
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<std::string> parse_ip(const std::string& text) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, text.c_str(), buf) == 1) return std::string(reinterpret_cast<char*>(buf), 4);
  if (inet_pton(AF_INET6, text.c_str(), buf) == 1)
    return std::string(reinterpret_cast<char*>(buf), 16);
  return std::nullopt;
}

bool in_network(const std::string& address, const Condition& c) {
  if (address.size() != c.network.size()) return false;
  int bits = c.prefix_bits;
  for (size_t i = 0; i < address.size() && bits > 0; ++i, bits -= 8) {
    unsigned char mask = bits >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - bits));
    if ((address[i] & mask) != (c.network[i] & mask)) return false;
  }
  return true;
}

bool leaf_equals(const Leaf& a, const Leaf& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Leaf::Kind::String: return a.text == b.text;
    case Leaf::Kind::Number: return a.number == b.number;
    case Leaf::Kind::Bool: return a.boolean == b.boolean;
    case Leaf::Kind::Null: return true;
    default: return false;
  }
}

bool numeric_ok(double v, const NumericBound& b) {
  if (b.op == "=") return v == b.value;
  if (b.op == "<") return v < b.value;
  if (b.op == "<=") return v <= b.value;
  if (b.op == ">") return v > b.value;
  return v >= b.value;
}

// Whether one present leaf satisfies a (non-exists) condition.
bool condition_matches(const Condition& c, const Leaf& leaf) {
  using K = Condition::Kind;
  bool is_string = leaf.kind == Leaf::Kind::String;
  switch (c.kind) {
    case K::ExactString: return is_string && leaf.text == c.text;
    case K::ExactNumber: return leaf.kind == Leaf::Kind::Number && leaf.number == c.number;
    case K::ExactNull: return leaf.kind == Leaf::Kind::Null;
    case K::ExactBool: return leaf.kind == Leaf::Kind::Bool && leaf.boolean == c.flag;
    case K::Prefix: return is_string && leaf.text.starts_with(c.text);
    case K::Suffix: return is_string && leaf.text.ends_with(c.text);
    case K::EqualsIgnoreCase: return is_string && lower(leaf.text) == lower(c.text);
    case K::AnythingBut:
      return std::none_of(c.values.begin(), c.values.end(),
                          [&](const Leaf& v) { return leaf_equals(v, leaf); });
    case K::AnythingButPrefix: return is_string && !leaf.text.starts_with(c.text);
    case K::AnythingButSuffix: return is_string && !leaf.text.ends_with(c.text);
    case K::Numeric:
      return leaf.kind == Leaf::Kind::Number &&
             std::all_of(c.bounds.begin(), c.bounds.end(),
                         [&](const NumericBound& b) { return numeric_ok(leaf.number, b); });
    case K::Cidr: {
      if (!is_string) return false;
      std::optional<std::string> ip = parse_ip(leaf.text);
      return ip && in_network(*ip, c);
    }
    case K::Exists: return c.flag;
  }
  return false;
}

using Json = rapidjson::Value;

bool is_number(const Json& v) { return v.IsNumber(); }

// ---- parsing ------------------------------------------------------------------------------

Condition parse_numeric(const Json& spec) {
  if (!spec.IsArray() || spec.Empty())
    throw sns_errors::filter_policy("Value of numeric must be an array.");
  Condition c{Condition::Kind::Numeric};
  if (spec.Size() > 4)
    throw sns_errors::filter_policy("Too many elements in numeric expression");
  if (spec.Size() % 2 != 0)
    throw sns_errors::filter_policy("Value of " +
                                    std::string(spec[0].IsString() ? spec[0].GetString() : "numeric") +
                                    " must be numeric");
  for (rapidjson::SizeType i = 0; i < spec.Size(); i += 2) {
    if (!spec[i].IsString())
      throw sns_errors::filter_policy("Invalid member in numeric match: " +
                                      std::string(is_number(spec[i]) ? "number" : "value"));
    std::string op = spec[i].GetString();
    static const char* ops[] = {"=", "<", "<=", ">", ">="};
    if (std::find_if(std::begin(ops), std::end(ops), [&](const char* o) { return op == o; }) ==
        std::end(ops))
      throw sns_errors::filter_policy("Unrecognized numeric range operator: " + op);
    if (!is_number(spec[i + 1])) throw sns_errors::filter_policy("Value of " + op + " must be numeric");
    c.bounds.push_back({op, spec[i + 1].GetDouble()});
  }
  if (c.bounds.size() == 2) {
    const NumericBound& a = c.bounds[0];
    const NumericBound& b = c.bounds[1];
    bool a_lower = a.op == ">" || a.op == ">=";
    bool b_upper = b.op == "<" || b.op == "<=";
    if (!a_lower || !b_upper)
      throw sns_errors::filter_policy("Bad numeric range operator: " + b.op);
    if (a.value >= b.value) throw sns_errors::filter_policy("Bottom must be less than top");
  } else if (c.bounds[0].op == "=" && spec.Size() != 2) {
    throw sns_errors::filter_policy("Too many elements in numeric expression");
  }
  return c;
}

Leaf leaf_of(const Json& v) {
  Leaf l;
  if (v.IsString()) {
    l.kind = Leaf::Kind::String;
    l.text.assign(v.GetString(), v.GetStringLength());
  } else if (v.IsNumber()) {
    l.kind = Leaf::Kind::Number;
    l.number = v.GetDouble();
  } else if (v.IsBool()) {
    l.kind = Leaf::Kind::Bool;
    l.boolean = v.GetBool();
  } else if (v.IsNull()) {
    l.kind = Leaf::Kind::Null;
  }
  return l;
}

Condition parse_anything_but(const Json& spec) {
  Condition c{Condition::Kind::AnythingBut};
  if (spec.IsObject()) {
    if (spec.MemberCount() != 1)
      throw sns_errors::filter_policy("Value of anything-but must be an array or single string/number value.");
    auto m = spec.MemberBegin();
    std::string key = m->name.GetString();
    if ((key != "prefix" && key != "suffix") || !m->value.IsString() ||
        m->value.GetStringLength() == 0)
      throw sns_errors::filter_policy("Unsupported anything-but pattern: " + key);
    c.kind = key == "prefix" ? Condition::Kind::AnythingButPrefix : Condition::Kind::AnythingButSuffix;
    c.text = m->value.GetString();
    return c;
  }
  if (spec.IsString() || spec.IsNumber()) {
    c.values.push_back(leaf_of(spec));
    return c;
  }
  if (spec.IsArray() && !spec.Empty()) {
    for (const Json& v : spec.GetArray()) {
      if (!v.IsString() && !v.IsNumber())
        throw sns_errors::filter_policy(
            "Inside anything but list, start|null|boolean is not supported.");
      c.values.push_back(leaf_of(v));
    }
    return c;
  }
  throw sns_errors::filter_policy(
      "Value of anything-but must be an array or single string/number value.");
}

Condition parse_condition(const Json& v, FilterPolicy::Scope scope) {
  using K = Condition::Kind;
  if (v.IsString()) return Condition{K::ExactString, std::string(v.GetString(), v.GetStringLength())};
  if (v.IsNumber()) {
    Condition c{K::ExactNumber};
    c.number = v.GetDouble();
    return c;
  }
  if (v.IsNull()) return Condition{K::ExactNull};
  if (v.IsBool()) {
    if (scope == FilterPolicy::Scope::MessageAttributes)
      throw sns_errors::filter_policy("Match value must be String, number, true, false, or null");
    Condition c{K::ExactBool};
    c.flag = v.GetBool();
    return c;
  }
  if (!v.IsObject())
    throw sns_errors::filter_policy("Match value must be String, number, true, false, or null");
  if (v.MemberCount() != 1)
    throw sns_errors::filter_policy("Only one key allowed in match expression");
  auto m = v.MemberBegin();
  std::string keyword(m->name.GetString(), m->name.GetStringLength());
  const Json& spec = m->value;
  if (keyword == "prefix" || keyword == "suffix" || keyword == "equals-ignore-case") {
    if (!spec.IsString())
      throw sns_errors::filter_policy(keyword + " match pattern must be a string");
    Condition c{keyword == "prefix"   ? K::Prefix
                : keyword == "suffix" ? K::Suffix
                                      : K::EqualsIgnoreCase};
    c.text = spec.GetString();
    return c;
  }
  if (keyword == "anything-but") return parse_anything_but(spec);
  if (keyword == "numeric") return parse_numeric(spec);
  if (keyword == "exists") {
    if (!spec.IsBool())
      throw sns_errors::filter_policy("exists match pattern must be either true or false.");
    Condition c{K::Exists};
    c.flag = spec.GetBool();
    return c;
  }
  if (keyword == "cidr") {
    if (!spec.IsString()) throw sns_errors::filter_policy("prefix match pattern must be a string");
    std::string text = spec.GetString();
    auto slash = text.find('/');
    if (slash == std::string::npos)
      throw sns_errors::filter_policy("Malformed CIDR, one '/' required");
    std::optional<std::string> ip = parse_ip(text.substr(0, slash));
    std::string bits = text.substr(slash + 1);
    bool digits = !bits.empty() && bits.size() <= 3 &&
                  std::all_of(bits.begin(), bits.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); });
    if (!ip || !digits || std::stoi(bits) > static_cast<int>(ip->size() * 8))
      throw sns_errors::filter_policy("Nonstandard IP address: " + text);
    Condition c{K::Cidr};
    c.network = *ip;
    c.prefix_bits = std::stoi(bits);
    return c;
  }
  throw sns_errors::filter_policy("Unrecognized match type " + keyword);
}

}  // namespace

struct FilterPolicy::Node {
  struct Field {
    std::string key;
    std::vector<Condition> conditions;  // a leaf field
    std::shared_ptr<Node> nested;       // a nested object (body scope)
  };
  std::vector<Field> fields;
  std::vector<std::vector<std::shared_ptr<Node>>> ors;  // each "$or": alternatives

  // Leaf keys along the widest path and the number of value combinations (AWS's limits).
  size_t keys() const {
    size_t n = 0;
    for (const Field& f : fields) n += f.nested ? f.nested->keys() : 1;
    for (const auto& alternatives : ors) {
      size_t widest = 0;
      for (const auto& a : alternatives) widest = std::max(widest, a->keys());
      n += widest;
    }
    return n;
  }
  size_t combinations() const {
    size_t n = 1;
    for (const Field& f : fields)
      n = std::min<size_t>(n * (f.nested ? f.nested->combinations() : f.conditions.size()), 1u << 30);
    for (const auto& alternatives : ors) {
      size_t sum = 0;
      for (const auto& a : alternatives) sum += a->combinations();
      n = std::min<size_t>(n * sum, 1u << 30);
    }
    return n;
  }
};

namespace {

using Node = FilterPolicy::Node;

std::shared_ptr<Node> parse_node(const Json& object, FilterPolicy::Scope scope, int depth) {
  if (depth > 16) throw sns_errors::filter_policy("Filter policy is too complex");
  auto node = std::make_shared<Node>();
  for (auto m = object.MemberBegin(); m != object.MemberEnd(); ++m) {
    std::string key(m->name.GetString(), m->name.GetStringLength());
    const Json& v = m->value;
    if (key == "$or") {
      if (!v.IsArray() || v.Size() < 2)
        throw sns_errors::filter_policy("Or condition must have at least 2 elements");
      std::vector<std::shared_ptr<Node>> alternatives;
      for (const Json& a : v.GetArray()) {
        if (!a.IsObject())
          throw sns_errors::filter_policy("\"$or\" must be an object or an array");
        alternatives.push_back(parse_node(a, scope, depth + 1));
      }
      node->ors.push_back(std::move(alternatives));
      continue;
    }
    Node::Field field;
    field.key = key;
    if (v.IsArray()) {
      if (v.Empty()) throw sns_errors::filter_policy("Empty arrays are not allowed");
      for (const Json& c : v.GetArray()) field.conditions.push_back(parse_condition(c, scope));
    } else if (v.IsObject()) {
      if (scope == FilterPolicy::Scope::MessageAttributes)
        throw sns_errors::invalid_parameter(
            "Filter policy scope MessageAttributes does not support nested filter policy");
      if (v.MemberCount() == 0) throw sns_errors::filter_policy("Empty objects are not allowed");
      field.nested = parse_node(v, scope, depth + 1);
    } else {
      throw sns_errors::filter_policy("\"" + key + "\" must be an object or an array");
    }
    node->fields.push_back(std::move(field));
  }
  return node;
}

// The leaves of one SNS message attribute.
std::vector<Leaf> attribute_leaves(const Value& attribute) {
  std::vector<Leaf> out;
  std::string type = attribute.string_or("DataType", "");
  std::optional<std::string> text = attribute.get_string("StringValue");
  if (type.starts_with("Binary")) {
    out.push_back(Leaf{});  // present, matches only exists
    return out;
  }
  if (type.starts_with("Number")) {
    Leaf l;
    char* end = nullptr;
    std::string s = text.value_or("");
    double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && end && *end == '\0') {
      l.kind = Leaf::Kind::Number;
      l.number = d;
    }
    out.push_back(l);
    return out;
  }
  if (type == "String.Array") {
    rapidjson::Document doc;
    doc.Parse(text.value_or("").c_str());
    if (!doc.HasParseError() && doc.IsArray()) {
      for (const Json& v : doc.GetArray()) out.push_back(leaf_of(v));
      if (out.empty()) out.push_back(Leaf{});
      return out;
    }
  }
  Leaf l;
  l.kind = Leaf::Kind::String;
  l.text = text.value_or("");
  out.push_back(l);
  return out;
}

// Whether the field's conditions hold for these leaves (nullptr leaves: the key is absent).
bool field_matches(const std::vector<Condition>& conditions, const std::vector<Leaf>* leaves) {
  for (const Condition& c : conditions) {
    if (c.kind == Condition::Kind::Exists) {
      if ((leaves != nullptr) == c.flag) return true;
      continue;
    }
    if (!leaves) continue;
    for (const Leaf& l : *leaves)
      if (condition_matches(c, l)) return true;
  }
  return false;
}

bool node_matches_attributes(const Node& node, const Value& attributes) {
  for (const Node::Field& f : node.fields) {
    const Value* a = attributes.find(f.key);
    std::vector<Leaf> leaves;
    if (a) leaves = attribute_leaves(*a);
    if (!field_matches(f.conditions, a ? &leaves : nullptr)) return false;
  }
  for (const auto& alternatives : node.ors) {
    bool any = std::any_of(alternatives.begin(), alternatives.end(), [&](const auto& n) {
      return node_matches_attributes(*n, attributes);
    });
    if (!any) return false;
  }
  return true;
}

// The JSON values at `key` of the objects in `scopes` (arrays are flattened).
void collect(const Json& v, std::vector<const Json*>& out) {
  if (v.IsArray()) {
    for (const Json& e : v.GetArray()) collect(e, out);
  } else {
    out.push_back(&v);
  }
}

bool node_matches_body(const Node& node, const std::vector<const Json*>& objects) {
  for (const Node::Field& f : node.fields) {
    std::vector<const Json*> values;
    for (const Json* o : objects) {
      if (!o->IsObject()) continue;
      auto it = o->FindMember(f.key.c_str());
      if (it != o->MemberEnd()) collect(it->value, values);
    }
    if (f.nested) {
      if (values.empty() || !node_matches_body(*f.nested, values)) return false;
      continue;
    }
    std::vector<Leaf> leaves;
    for (const Json* v : values)
      if (!v->IsObject()) leaves.push_back(leaf_of(*v));
    if (!field_matches(f.conditions, leaves.empty() ? nullptr : &leaves)) return false;
  }
  for (const auto& alternatives : node.ors) {
    bool any = std::any_of(alternatives.begin(), alternatives.end(),
                           [&](const auto& n) { return node_matches_body(*n, objects); });
    if (!any) return false;
  }
  return true;
}

}  // namespace

FilterPolicy FilterPolicy::parse(std::string_view json, Scope scope) {
  if (json.size() > 256 * 1024) throw sns_errors::filter_policy("Filter policy is too long");
  rapidjson::Document doc;
  std::string text(json);
  doc.Parse(text.c_str());
  if (doc.HasParseError())
    throw sns_errors::filter_policy(std::string("failed to parse JSON. ") +
                                    rapidjson::GetParseError_En(doc.GetParseError()));
  if (!doc.IsObject()) throw sns_errors::filter_policy("Filter policy must be a JSON object");
  FilterPolicy policy;
  auto root = parse_node(doc, scope, 0);
  if (root->keys() > kMaxKeys)
    throw sns_errors::filter_policy("Filter policy can not have more than 5 keys");
  if (root->combinations() > kMaxCombinations)
    throw sns_errors::filter_policy("Filter policy is too complex");
  policy.root_ = std::move(root);
  return policy;
}

bool FilterPolicy::matches_attributes(const Value& message_attributes) const {
  return !root_ || node_matches_attributes(*root_, message_attributes);
}

bool FilterPolicy::matches_body(std::string_view message) const {
  if (!root_) return true;
  rapidjson::Document doc;
  std::string text(message);
  doc.Parse(text.c_str());
  if (doc.HasParseError() || !doc.IsObject()) return root_->fields.empty() && root_->ors.empty();
  std::vector<const Json*> objects{&doc};
  return node_matches_body(*root_, objects);
}

}  // namespace nimbus::sns
