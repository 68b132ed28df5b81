// Value: the protocol-neutral tree that codecs build from wire bytes (a request's parameters)
// and that services return (a response's output). It mirrors the botocore shape types:
// structures and maps are Map, lists are List, strings and blobs (raw bytes) are String,
// timestamps carry epoch seconds. Codecs decide the wire form from the operation's shapes, so a
// service never sees XML, JSON or form encoding.
//
// Thread-safety: a Value is a plain value type; share it read-only or copy it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace nimbus {

class Value;
using ValueList = std::vector<Value>;

// An output structure may carry this member (a list of member names, one per element) to
// interleave its flattened lists in one document order: the XML codec writes the n-th element
// from the list the n-th name names, where the first of those lists would stand. S3 needs it
// for ListObjectVersions, whose Version and DeleteMarker elements follow one key order. No model
// has a member of this name, so other codecs never write it.
inline constexpr std::string_view kElementOrder = "$element-order";
// Insertion-ordered so that XML output keeps the model's member order when built in that order.
using ValueMap = std::vector<std::pair<std::string, Value>>;

class Value {
 public:
  enum class Kind { Null, Bool, Integer, Double, String, Timestamp, List, Map };

  Value() = default;
  Value(bool b) : data_(b) {}
  Value(int i) : data_(static_cast<int64_t>(i)) {}
  Value(int64_t i) : data_(i) {}
  Value(uint64_t i) : data_(static_cast<int64_t>(i)) {}
  Value(double d) : data_(d) {}
  Value(std::string s) : data_(std::move(s)) {}
  Value(std::string_view s) : data_(std::string(s)) {}
  Value(const char* s) : data_(std::string(s)) {}
  Value(ValueList l) : data_(std::move(l)) {}
  Value(ValueMap m) : data_(std::move(m)) {}

  static Value timestamp(double epoch_seconds) {
    Value v;
    v.data_ = TimestampValue{epoch_seconds};
    return v;
  }
  static Value list() { return Value(ValueList{}); }
  static Value map() { return Value(ValueMap{}); }

  Kind kind() const { return static_cast<Kind>(data_.index()); }
  bool is_null() const { return kind() == Kind::Null; }
  bool is_bool() const { return kind() == Kind::Bool; }
  bool is_integer() const { return kind() == Kind::Integer; }
  bool is_double() const { return kind() == Kind::Double; }
  bool is_number() const { return is_integer() || is_double(); }
  bool is_string() const { return kind() == Kind::String; }
  bool is_timestamp() const { return kind() == Kind::Timestamp; }
  bool is_list() const { return kind() == Kind::List; }
  bool is_map() const { return kind() == Kind::Map; }

  // Typed access. Throws std::bad_variant_access on a kind mismatch (a programming error);
  // services validate input kinds through the optional-returning helpers below.
  bool as_bool() const { return std::get<bool>(data_); }
  int64_t as_int() const;  // Integer, or Double truncated
  double as_double() const;  // Integer or Double
  double as_timestamp() const { return std::get<TimestampValue>(data_).epoch_seconds; }
  const std::string& as_string() const { return std::get<std::string>(data_); }
  std::string& as_string() { return std::get<std::string>(data_); }
  const ValueList& as_list() const { return std::get<ValueList>(data_); }
  ValueList& as_list() { return std::get<ValueList>(data_); }
  const ValueMap& as_map() const { return std::get<ValueMap>(data_); }
  ValueMap& as_map() { return std::get<ValueMap>(data_); }

  // Map helpers. find() returns nullptr when this is not a map or the key is absent.
  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  bool has(std::string_view key) const { return find(key) != nullptr; }
  // Inserts a Null member when absent; turns a Null value into an empty Map first.
  Value& operator[](std::string_view key);
  // Sets (replacing) a member; turns a Null value into a Map first. Returns *this for chaining.
  Value& set(std::string_view key, Value v);
  bool erase(std::string_view key);

  // List helper: appends; turns a Null value into an empty List first.
  Value& push_back(Value v);
  size_t size() const;  // members of a Map, elements of a List, else 0

  // Convenience lookups for service code: absent or wrong kind gives nullopt / the default.
  std::optional<std::string> get_string(std::string_view key) const;
  std::optional<int64_t> get_int(std::string_view key) const;
  std::optional<bool> get_bool(std::string_view key) const;
  std::string string_or(std::string_view key, std::string_view fallback) const;

  bool operator==(const Value& other) const;

 private:
  struct TimestampValue {
    double epoch_seconds;
    bool operator==(const TimestampValue& o) const { return epoch_seconds == o.epoch_seconds; }
  };
  std::variant<std::monostate, bool, int64_t, double, std::string, TimestampValue, ValueList,
               ValueMap>
      data_;
};

}  // namespace nimbus
