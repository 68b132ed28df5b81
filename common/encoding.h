// The one place for byte/text encodings: URL (RFC 3986) percent-encoding and decoding,
// form-urlencoded parsing, base64 and hex. Everything else calls these.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nimbus {

// RFC 3986 encoding: unreserved characters (A-Z a-z 0-9 - _ . ~) stay, everything else becomes
// %XX (upper-case hex). With encode_slash=false, '/' stays too (SigV4 paths, S3 keys in URLs).
std::string uri_encode(std::string_view in, bool encode_slash = true);
// Decodes %XX sequences; with plus_as_space, '+' becomes ' ' (form bodies). Malformed escapes
// are kept literally.
std::string uri_decode(std::string_view in, bool plus_as_space = false);

// Parses "a=1&b=2&c" (query string or form body) into decoded pairs, in order. A key without
// '=' gets an empty value. Empty segments are skipped.
using QueryParams = std::vector<std::pair<std::string, std::string>>;
// Splits "a=1&b=2&c" into its non-empty segments, still percent-encoded: fn(key, value) for each
// in order, value nullopt when the segment has no '='; stops when fn returns false.
using QuerySegmentFn =
    std::function<bool(std::string_view key, std::optional<std::string_view> value)>;
void split_query(std::string_view query, const QuerySegmentFn& fn);
QueryParams parse_query(std::string_view query, bool plus_as_space = true);
// First value of a key, if present.
std::optional<std::string> query_param(const QueryParams& params, std::string_view key);
// The same as query_param(parse_query(query, plus_as_space), key), decoding only the keys and
// the value found: for a look-up or two in a large body.
std::optional<std::string> find_query_param(std::string_view query, std::string_view key,
                                            bool plus_as_space = true);

std::string base64_encode(std::string_view bytes);
// Returns nullopt when the input is not valid base64.
std::optional<std::string> base64_decode(std::string_view text);

std::string hex_encode(std::string_view bytes);  // lower-case
std::optional<std::string> hex_decode(std::string_view hex);

}  // namespace nimbus
