// AttributeValue: DynamoDB's ten data types as a typed tree, converted from and to the codec's
// Value ({"S": "x"}, {"M": {...}}), validated with AWS's messages, sized as AWS bills them,
// compared as the expression language does, and serialized compactly for storage.
//
// Thread-safety: plain value types and pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/value.h"

namespace nimbus::ddb {

enum class Type : uint8_t { S, N, B, SS, NS, BS, M, L, NUL, BOOL };

struct Attr {
  Type type = Type::NUL;
  std::string s;                   // S, N (normalized), B (raw bytes)
  std::vector<std::string> set;    // SS, NS (normalized), BS
  std::vector<Attr> list;          // L
  std::map<std::string, Attr> map; // M
  bool b = true;                   // BOOL (and NULL, always true)

  static Attr str(std::string v) { Attr a; a.type = Type::S; a.s = std::move(v); return a; }
  static Attr num(std::string v) { Attr a; a.type = Type::N; a.s = std::move(v); return a; }
};
using Item = std::map<std::string, Attr>;

const char* type_name(Type t);  // "S", "N", ..., "NULL", "BOOL"
bool parse_type_name(std::string_view name, Type* out);
bool is_set(Type t);
bool is_scalar_key_type(Type t);  // S, N, B

// Converts and validates one AttributeValue / an item (a map of them). Throws
// ValidationException with AWS's message.
Attr attr_from_value(const Value& v);
Item item_from_value(const Value& v);
Value attr_to_value(const Attr& a);
Value item_to_value(const Item& item);
Value item_to_value(Item&& item);  // the same Value, moving the item's strings into it

bool equal(const Attr& a, const Attr& b);
// Ordering of two scalars of one type (S, N, B): <0, 0, >0. Callers check the types first.
int compare_scalar(const Attr& a, const Attr& b);

// AWS's size accounting (attribute names + values), for the 400 KB limit and capacity units.
size_t attr_size(const Attr& a);
size_t item_size(const Item& item);

// Order-preserving key bytes of an S, N or B value (memcmp order == DynamoDB's key order).
std::string key_bytes(const Attr& a);

// Compact binary storage form of an item.
std::string encode_item(const Item& item);
Item decode_item(std::string_view bytes);

// The AWS text form used in some error messages: {S:x}, {N:5}.
std::string describe(const Attr& a);

}  // namespace nimbus::ddb
