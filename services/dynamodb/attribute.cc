// AttributeValue conversion, validation, sizing, comparison, key bytes and the binary storage
// form (tag byte, varint lengths). See attribute.h.
#include "services/dynamodb/attribute.h"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <type_traits>

#include "services/dynamodb/errors.h"
#include "services/dynamodb/number.h"

namespace nimbus::ddb {
namespace {

constexpr const char* kTypeNames[] = {"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"};

std::string normalized_number(const std::string& text) {
  std::string error;
  auto d = Decimal::parse(text, &error);
  if (!d) throw ddb_errors::validation(error);
  return d->str();
}

void check_duplicates(const std::vector<std::string>& values, const std::vector<std::string>& raw) {
  std::set<std::string> seen(values.begin(), values.end());
  if (seen.size() == values.size()) return;
  std::string list;
  for (const std::string& r : raw) list += (list.empty() ? "" : ", ") + r;
  throw ddb_errors::validation("One or more parameter values were invalid: Input collection [" +
                               list + "] contains duplicates.");
}

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_bytes(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

void encode_attr(std::string& out, const Attr& a) {
  out.push_back(static_cast<char>(a.type));
  switch (a.type) {
    case Type::S: case Type::N: case Type::B: put_bytes(out, a.s); break;
    case Type::SS: case Type::NS: case Type::BS:
      put_varint(out, a.set.size());
      for (const std::string& s : a.set) put_bytes(out, s);
      break;
    case Type::L:
      put_varint(out, a.list.size());
      for (const Attr& e : a.list) encode_attr(out, e);
      break;
    case Type::M:
      put_varint(out, a.map.size());
      for (const auto& [k, v] : a.map) {
        put_bytes(out, k);
        encode_attr(out, v);
      }
      break;
    case Type::NUL: break;
    case Type::BOOL: out.push_back(a.b ? 1 : 0); break;
  }
}

struct Reader {
  std::string_view in;
  size_t pos = 0;
  uint64_t varint() {
    uint64_t v = 0;
    int shift = 0;
    while (true) {
      if (pos >= in.size()) throw std::runtime_error("corrupt item");
      uint8_t b = static_cast<uint8_t>(in[pos++]);
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
      shift += 7;
    }
  }
  std::string bytes() {
    uint64_t n = varint();
    if (pos + n > in.size()) throw std::runtime_error("corrupt item");
    std::string s(in.substr(pos, n));
    pos += n;
    return s;
  }
  Attr attr() {
    if (pos >= in.size()) throw std::runtime_error("corrupt item");
    Attr a;
    a.type = static_cast<Type>(in[pos++]);
    switch (a.type) {
      case Type::S: case Type::N: case Type::B: a.s = bytes(); break;
      case Type::SS: case Type::NS: case Type::BS: {
        uint64_t n = varint();
        for (uint64_t i = 0; i < n; ++i) a.set.push_back(bytes());
        break;
      }
      case Type::L: {
        uint64_t n = varint();
        for (uint64_t i = 0; i < n; ++i) a.list.push_back(attr());
        break;
      }
      case Type::M: {
        uint64_t n = varint();
        for (uint64_t i = 0; i < n; ++i) {
          std::string k = bytes();
          a.map.emplace(std::move(k), attr());
        }
        break;
      }
      case Type::NUL: break;
      case Type::BOOL: a.b = in[pos++] != 0; break;
    }
    return a;
  }
};

size_t number_size(const std::string& n) {
  size_t digits = 0;
  for (char c : n) digits += (c >= '0' && c <= '9');
  // Leading zeros of "0.00x" are not significant.
  size_t first = n.find_first_of("123456789");
  if (first == std::string::npos) return 1;
  size_t significant = 0;
  for (size_t i = first; i < n.size(); ++i) significant += (n[i] >= '0' && n[i] <= '9');
  size_t last = n.find_last_of("123456789");
  size_t trailing = 0;  // trailing zeros of an integer are not significant either
  if (n.find('.') == std::string::npos)
    for (size_t i = last + 1; i < n.size(); ++i) trailing += n[i] == '0';
  significant -= trailing;
  (void)digits;
  return (significant + 1) / 2 + 1;
}

}  // namespace

const char* type_name(Type t) { return kTypeNames[static_cast<int>(t)]; }

bool parse_type_name(std::string_view name, Type* out) {
  for (int i = 0; i < 10; ++i)
    if (name == kTypeNames[i]) {
      *out = static_cast<Type>(i);
      return true;
    }
  return false;
}

bool is_set(Type t) { return t == Type::SS || t == Type::NS || t == Type::BS; }
bool is_scalar_key_type(Type t) { return t == Type::S || t == Type::N || t == Type::B; }

Attr attr_from_value(const Value& v) {
  if (!v.is_map() || v.as_map().empty())
    throw ddb_errors::validation(
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
  const ValueMap& m = v.as_map();
  if (m.size() > 1)
    throw ddb_errors::validation(
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the "
        "supported datatypes");
  const auto& [name, inner] = m.front();
  Attr a;
  if (!parse_type_name(name, &a.type))
    throw ddb_errors::validation(
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
  switch (a.type) {
    case Type::S: case Type::B: a.s = inner.is_string() ? inner.as_string() : ""; break;
    case Type::N:
      if (!inner.is_string()) throw ddb_errors::validation("The parameter cannot be converted to a numeric value");
      a.s = normalized_number(inner.as_string());
      break;
    case Type::SS: case Type::NS: case Type::BS: {
      std::vector<std::string> raw;
      if (inner.is_list())
        for (const Value& e : inner.as_list()) raw.push_back(e.is_string() ? e.as_string() : "");
      if (raw.empty()) {
        const char* what = a.type == Type::SS ? "string" : a.type == Type::NS ? "number" : "binary";
        throw ddb_errors::validation(std::string("One or more parameter values were invalid: An ") +
                                     what + " set  may not be empty");
      }
      for (const std::string& r : raw)
        a.set.push_back(a.type == Type::NS ? normalized_number(r) : r);
      check_duplicates(a.set, a.type == Type::BS ? a.set : raw);
      break;
    }
    case Type::L:
      if (inner.is_list())
        for (const Value& e : inner.as_list()) a.list.push_back(attr_from_value(e));
      break;
    case Type::M:
      if (inner.is_map())
        for (const auto& [k, e] : inner.as_map()) a.map[k] = attr_from_value(e);
      break;
    case Type::NUL:
      if (!inner.is_bool() || !inner.as_bool())
        throw ddb_errors::validation(
            "One or more parameter values were invalid: Null attribute value types must have the "
            "true value");
      break;
    case Type::BOOL: a.b = inner.is_bool() && inner.as_bool(); break;
  }
  return a;
}

Item item_from_value(const Value& v) {
  Item item;
  if (!v.is_map()) return item;
  for (const auto& [k, e] : v.as_map()) item[k] = attr_from_value(e);
  return item;
}

namespace {

// One conversion for both entry points: A is `const Attr` (its strings are copied) or `Attr`
// (an item the caller gives up: its strings are moved, GetItem's fresh decode).
template <class A>
Value to_value(A& a) {
  auto take = [](auto& s) -> std::string {
    if constexpr (std::is_const_v<A>) return s;
    else return std::move(s);
  };
  Value inner;
  switch (a.type) {
    case Type::S: case Type::N: case Type::B: inner = Value(take(a.s)); break;
    case Type::SS: case Type::NS: case Type::BS: {
      ValueList list;
      list.reserve(a.set.size());
      for (auto& s : a.set) list.emplace_back(take(s));
      inner = Value(std::move(list));
      break;
    }
    case Type::L: {
      ValueList list;
      list.reserve(a.list.size());
      for (auto& e : a.list) list.push_back(to_value(e));
      inner = Value(std::move(list));
      break;
    }
    case Type::M: {
      ValueMap map;
      map.reserve(a.map.size());
      for (auto& [k, v] : a.map) map.emplace_back(k, to_value(v));
      inner = Value(std::move(map));
      break;
    }
    case Type::NUL: inner = Value(true); break;
    case Type::BOOL: inner = Value(a.b); break;
  }
  ValueMap out;
  out.emplace_back(type_name(a.type), std::move(inner));
  return Value(std::move(out));
}

template <class I>
Value item_value(I& item) {
  ValueMap m;
  m.reserve(item.size());
  for (auto& [k, v] : item) m.emplace_back(k, to_value(v));
  return Value(std::move(m));
}

}  // namespace

Value attr_to_value(const Attr& a) { return to_value(a); }
Value item_to_value(const Item& item) { return item_value(item); }
Value item_to_value(Item&& item) { return item_value(item); }

bool equal(const Attr& a, const Attr& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case Type::S: case Type::N: case Type::B: return a.s == b.s;
    case Type::SS: case Type::NS: case Type::BS: {
      if (a.set.size() != b.set.size()) return false;
      std::set<std::string> x(a.set.begin(), a.set.end());
      for (const std::string& s : b.set)
        if (!x.count(s)) return false;
      return true;
    }
    case Type::L:
      if (a.list.size() != b.list.size()) return false;
      for (size_t i = 0; i < a.list.size(); ++i)
        if (!equal(a.list[i], b.list[i])) return false;
      return true;
    case Type::M: {
      if (a.map.size() != b.map.size()) return false;
      for (const auto& [k, v] : a.map) {
        auto it = b.map.find(k);
        if (it == b.map.end() || !equal(v, it->second)) return false;
      }
      return true;
    }
    case Type::NUL: return true;
    case Type::BOOL: return a.b == b.b;
  }
  return false;
}

int compare_scalar(const Attr& a, const Attr& b) {
  if (a.type == Type::N) {
    auto x = Decimal::parse(a.s), y = Decimal::parse(b.s);
    if (x && y) return compare(*x, *y);
    return 0;
  }
  int c = a.s.compare(b.s);  // std::string compares as unsigned char: UTF-8 / byte order
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

size_t attr_size(const Attr& a) {
  switch (a.type) {
    case Type::S: case Type::B: return a.s.size();
    case Type::N: return number_size(a.s);
    case Type::SS: case Type::BS: {
      size_t n = 0;
      for (const std::string& s : a.set) n += s.size();
      return n;
    }
    case Type::NS: {
      size_t n = 0;
      for (const std::string& s : a.set) n += number_size(s);
      return n;
    }
    case Type::L: {
      size_t n = 3;
      for (const Attr& e : a.list) n += attr_size(e) + 1;
      return n;
    }
    case Type::M: {
      size_t n = 3;
      for (const auto& [k, v] : a.map) n += k.size() + attr_size(v) + 1;
      return n;
    }
    case Type::NUL: case Type::BOOL: return 1;
  }
  return 0;
}

size_t item_size(const Item& item) {
  size_t n = 0;
  for (const auto& [k, v] : item) n += k.size() + attr_size(v);
  return n;
}

std::string key_bytes(const Attr& a) {
  if (a.type == Type::N) {
    auto d = Decimal::parse(a.s);
    return d ? d->key_bytes() : std::string();
  }
  return a.s;
}

std::string encode_item(const Item& item) {
  std::string out;
  out.reserve(64);
  put_varint(out, item.size());
  for (const auto& [k, v] : item) {
    put_bytes(out, k);
    encode_attr(out, v);
  }
  return out;
}

Item decode_item(std::string_view bytes) {
  Reader r{bytes};
  Item item;
  uint64_t n = r.varint();
  for (uint64_t i = 0; i < n; ++i) {
    std::string k = r.bytes();
    item.emplace(std::move(k), r.attr());
  }
  return item;
}

std::string describe(const Attr& a) {
  std::string body;
  switch (a.type) {
    case Type::S: case Type::N: body = a.s; break;
    case Type::B: body = "0x..."; break;
    default: body = "..."; break;
  }
  return std::string("{") + type_name(a.type) + ":" + body + "}";
}

}  // namespace nimbus::ddb
