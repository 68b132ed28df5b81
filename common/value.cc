// Value: member lookup, list/map helpers and equality for the protocol-neutral tree.
#include "common/value.h"

namespace nimbus {

int64_t Value::as_int() const {
  if (kind() == Kind::Double) return static_cast<int64_t>(std::get<double>(data_));
  return std::get<int64_t>(data_);
}

double Value::as_double() const {
  if (kind() == Kind::Integer) return static_cast<double>(std::get<int64_t>(data_));
  return std::get<double>(data_);
}

const Value* Value::find(std::string_view key) const {
  if (!is_map()) return nullptr;
  for (const auto& [k, v] : as_map())
    if (k == key) return &v;
  return nullptr;
}

Value* Value::find(std::string_view key) {
  return const_cast<Value*>(static_cast<const Value*>(this)->find(key));
}

Value& Value::operator[](std::string_view key) {
  if (is_null()) data_ = ValueMap{};
  if (Value* v = find(key)) return *v;
  auto& m = as_map();
  m.emplace_back(std::string(key), Value());
  return m.back().second;
}

Value& Value::set(std::string_view key, Value v) {
  (*this)[key] = std::move(v);
  return *this;
}

bool Value::erase(std::string_view key) {
  if (!is_map()) return false;
  auto& m = as_map();
  for (auto it = m.begin(); it != m.end(); ++it) {
    if (it->first == key) {
      m.erase(it);
      return true;
    }
  }
  return false;
}

Value& Value::push_back(Value v) {
  if (is_null()) data_ = ValueList{};
  auto& l = as_list();
  l.push_back(std::move(v));
  return l.back();
}

size_t Value::size() const {
  if (is_map()) return as_map().size();
  if (is_list()) return as_list().size();
  return 0;
}

std::optional<std::string> Value::get_string(std::string_view key) const {
  const Value* v = find(key);
  if (!v || !v->is_string()) return std::nullopt;
  return v->as_string();
}

std::optional<int64_t> Value::get_int(std::string_view key) const {
  const Value* v = find(key);
  if (!v || !v->is_number()) return std::nullopt;
  return v->as_int();
}

std::optional<bool> Value::get_bool(std::string_view key) const {
  const Value* v = find(key);
  if (!v || !v->is_bool()) return std::nullopt;
  return v->as_bool();
}

std::string Value::string_or(std::string_view key, std::string_view fallback) const {
  auto s = get_string(key);
  return s ? *s : std::string(fallback);
}

bool Value::operator==(const Value& other) const { return data_ == other.data_; }

}  // namespace nimbus
