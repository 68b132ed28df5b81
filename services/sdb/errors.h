// SimpleDB's error codes: one named factory per AWS error, with the HTTP status and message text
// of the SimpleDB Developer Guide's "API Error Codes" table (and the botocore model's error
// shapes). Every SimpleDB error nimbus raises is built here, so the wording lives in one place.
// The query codec writes them as <Response><Errors><Error><Code/><Message/><BoxUsage/>...
#pragma once

#include <cstdint>
#include <string>

#include "common/error.h"

namespace nimbus::sdb_errors {

inline ApiError missing_parameter(const std::string& name) {
  return ApiError(400, "MissingParameter", "The request must contain the parameter " + name);
}
inline ApiError invalid_parameter_value(const std::string& message) {
  return ApiError(400, "InvalidParameterValue", message);
}
// "Value (x) for parameter P is invalid. <why>"
inline ApiError invalid_parameter(const std::string& parameter, const std::string& value,
                                  const std::string& why) {
  return invalid_parameter_value("Value (" + value + ") for parameter " + parameter +
                                 " is invalid. " + why);
}
inline ApiError no_such_domain() {
  return ApiError(400, "NoSuchDomain", "The specified domain does not exist.");
}
inline ApiError number_domains_exceeded(int limit) {
  return ApiError(409, "NumberDomainsExceeded",
                  "Domain limit (" + std::to_string(limit) + ") exceeded for this account.");
}
inline ApiError number_domain_bytes_exceeded(int64_t limit) {
  return ApiError(409, "NumberDomainBytesExceeded",
                  "Too many bytes in this domain: a domain holds at most " +
                      std::to_string(limit) + " bytes of item names, attribute names and values.");
}
inline ApiError number_domain_attributes_exceeded(int64_t limit) {
  return ApiError(409, "NumberDomainAttributesExceeded",
                  "Too many attributes in this domain: a domain holds at most " +
                      std::to_string(limit) + " attribute name/value pairs.");
}
inline ApiError number_item_attributes_exceeded(const std::string& item) {
  return ApiError(409, "NumberItemAttributesExceeded",
                  "Too many attributes in this item (" + item +
                      "): an item holds at most 256 attribute name/value pairs.");
}
inline ApiError number_submitted_attributes_exceeded(const std::string& item) {
  return ApiError(409, "NumberSubmittedAttributesExceeded",
                  "Too many attributes for item " + item +
                      " in a single call. Up to 256 attributes per call allowed.");
}
inline ApiError number_submitted_items_exceeded() {
  return ApiError(409, "NumberSubmittedItemsExceeded",
                  "Too many items in a single call. Up to 25 items per call allowed.");
}
inline ApiError duplicate_item_name(const std::string& item) {
  return ApiError(400, "DuplicateItemName", "Item " + item + " was specified more than once.");
}
inline ApiError attribute_does_not_exist(const std::string& name) {
  return ApiError(404, "AttributeDoesNotExist", "Attribute (" + name + ") does not exist");
}
inline ApiError conditional_check_failed(const std::string& message) {
  return ApiError(409, "ConditionalCheckFailed", "Conditional check failed. " + message);
}
inline ApiError multi_valued_attribute(const std::string& name) {
  return ApiError(409, "MultiValuedAttribute",
                  "Attribute (" + name +
                      ") is multi-valued. Conditional check can only be performed on a "
                      "single-valued attribute");
}
inline ApiError exists_and_expected_value() {
  return ApiError(400, "ExistsAndExpectedValue",
                  "Expected.Exists=false and Expected.Value cannot be specified together");
}
inline ApiError incomplete_expected_expression() {
  return ApiError(400, "IncompleteExpectedExpression",
                  "If Expected.Exists=true or unspecified, then Expected.Value has to be "
                  "specified");
}
inline ApiError invalid_next_token() {
  return ApiError(400, "InvalidNextToken", "The specified next token is not valid.");
}
// A malformed Select or Query expression; `detail` says what and where.
inline ApiError invalid_query_expression(const std::string& detail) {
  return ApiError(400, "InvalidQueryExpression",
                  "The specified query expression syntax is not valid. " + detail);
}
inline ApiError invalid_sort_expression() {
  return ApiError(400, "InvalidSortExpression",
                  "The sort attribute must be present in at least one of the predicates, and the "
                  "predicate cannot include the is null comparison operator.");
}
inline ApiError invalid_number_predicates() {
  return ApiError(400, "InvalidNumberPredicates",
                  "Too many predicates in the query expression (at most 20).");
}
inline ApiError invalid_number_value_tests() {
  return ApiError(400, "InvalidNumberValueTests",
                  "Too many value tests per predicate in the query expression (at most 20).");
}
inline ApiError request_timeout(const std::string& domain, const std::string& expression) {
  return ApiError(408, "RequestTimeout",
                  "A timeout occurred when attempting to query domain " + domain +
                      " with query expression " + expression +
                      " (queries run for at most 5 seconds; narrow it or sort by item name).");
}
inline ApiError too_many_requested_attributes() {
  return ApiError(400, "TooManyRequestedAttributes",
                  "Too many attributes requested (at most 256).");
}

}  // namespace nimbus::sdb_errors
