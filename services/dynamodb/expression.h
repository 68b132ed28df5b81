// DynamoDB's expression language: a tokenizer and recursive-descent parser for condition,
// filter, key-condition, projection and update expressions, the evaluator for conditions, the
// update applier, and projection. Placeholders (#name, :value) are resolved while parsing
// through ExpressionContext, which records which ones were used so the caller can report unused
// ones as AWS does (ExpressionContext::check_unused). The legacy parameters (Expected,
// QueryFilter, KeyConditions, AttributeUpdates, ...) are translated by the service into these
// same trees.
//
// Errors are ValidationException with AWS's messages, prefixed "Invalid <Kind>: " where AWS
// prefixes them. Thread-safety: plain values and pure functions.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/value.h"
#include "services/dynamodb/attribute.h"

namespace nimbus::ddb {

struct PathElem {
  std::string name;  // a map key (attribute name), when index < 0
  int index = -1;    // a list index
};
using Path = std::vector<PathElem>;
std::string path_text(const Path& p);  // "[a, b, [0]]"-style pieces: "a, b, [0]"

struct Operand {
  enum class Kind { PathRef, Literal, Size, IfNotExists, ListAppend, Plus, Minus };
  Kind kind = Kind::Literal;
  Path path;
  Attr literal;
  std::vector<Operand> args;
};

struct Condition {
  enum class Kind { And, Or, Not, Compare, Between, In, Exists, NotExists, TypeIs, BeginsWith,
                    Contains };
  Kind kind = Kind::And;
  std::string op;  // Compare: "=", "<>", "<", "<=", ">", ">="
  std::vector<Condition> children;
  std::vector<Operand> operands;
};

struct UpdateAction {
  enum class Kind { Set, Remove, Add, Delete };
  Kind kind = Kind::Set;
  Path path;
  Operand value;
};

// Placeholder resolution for one request (ExpressionAttributeNames / ExpressionAttributeValues).
class ExpressionContext {
 public:
  // names/values are the request's maps (or null values when absent). Validates the values.
  ExpressionContext(const Value* names, const Value* values);
  std::string name(const std::string& placeholder, const std::string& kind);
  const Attr& value(const std::string& placeholder, const std::string& kind);
  // Throws AWS's "unused in expressions" errors.
  void check_unused() const;

 private:
  const Value* names_;
  std::vector<std::pair<std::string, Attr>> values_;
  std::set<std::string> used_names_, used_values_;
};

// kind is the request member, used in messages: "ConditionExpression", "FilterExpression",
// "KeyConditionExpression", "UpdateExpression", "ProjectionExpression".
Condition parse_condition(std::string_view text, ExpressionContext& ctx, const std::string& kind);
std::vector<Path> parse_projection(std::string_view text, ExpressionContext& ctx);
std::vector<UpdateAction> parse_update(std::string_view text, ExpressionContext& ctx);

// Evaluation against an item (missing attributes make comparisons false, as AWS does).
bool evaluate(const Condition& c, const Item& item);
const Attr* resolve(const Item& item, const Path& path);
// Applies actions to item (computing every operand against the original item first). Throws
// ValidationException for type errors and invalid document paths.
void apply_update(Item& item, const std::vector<UpdateAction>& actions);
// The item restricted to paths (nested maps keep their structure; list elements compact).
Item project(const Item& item, const std::vector<Path>& paths);

}  // namespace nimbus::ddb
