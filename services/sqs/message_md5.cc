// MD5OfMessageBody / MD5OfMessageAttributes / MD5OfMessageSystemAttributes (see message_md5.h for
// the byte layout AWS hashes). Entry points: md5_of_body(), md5_of_attributes().
#include "services/sqs/message_md5.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/encoding.h"
#include "common/hash.h"

namespace nimbus::sqs {
namespace {

void append_length_prefixed(std::string& out, std::string_view bytes) {
  auto n = static_cast<uint32_t>(bytes.size());
  out.push_back(static_cast<char>((n >> 24) & 0xff));
  out.push_back(static_cast<char>((n >> 16) & 0xff));
  out.push_back(static_cast<char>((n >> 8) & 0xff));
  out.push_back(static_cast<char>(n & 0xff));
  out.append(bytes);
}

}  // namespace

std::string md5_of_body(std::string_view body) { return hex_encode(md5(body)); }

std::string md5_of_attributes(const Value& attributes) {
  if (!attributes.is_map() || attributes.size() == 0) return "";
  std::vector<const std::pair<std::string, Value>*> sorted;
  for (const auto& entry : attributes.as_map()) sorted.push_back(&entry);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  std::string buffer;
  for (const auto* entry : sorted) {
    const Value& v = entry->second;
    append_length_prefixed(buffer, entry->first);
    append_length_prefixed(buffer, v.string_or("DataType", ""));
    if (auto s = v.get_string("StringValue")) {
      buffer.push_back(1);
      append_length_prefixed(buffer, *s);
    } else if (auto b = v.get_string("BinaryValue")) {
      buffer.push_back(2);
      append_length_prefixed(buffer, *b);
    } else if (const Value* list = v.find("StringListValues"); list && list->is_list()) {
      buffer.push_back(3);
      for (const Value& e : list->as_list()) append_length_prefixed(buffer, e.as_string());
    } else if (const Value* list = v.find("BinaryListValues"); list && list->is_list()) {
      buffer.push_back(4);
      for (const Value& e : list->as_list()) append_length_prefixed(buffer, e.as_string());
    }
  }
  return hex_encode(md5(buffer));
}

}  // namespace nimbus::sqs
