// PartiQL for DynamoDB: the parser of one statement (SELECT, INSERT, UPDATE, DELETE, and
// EXISTS(SELECT ...) as a transaction's condition check), with its `?` parameters bound, and the
// planner that turns a statement into the inputs of the item operations nimbus already has
// (Query/Scan, PutItem, UpdateItem, DeleteItem, a TransactWriteItems ConditionCheck, a
// TransactGetItems Get): paths become #placeholders and values :placeholders in their
// expression members, so every check, index, capacity count and the single write path of those
// operations apply unchanged. services/dynamodb/partiql_exec.h runs the plans.
//
// Errors are ValidationException with AWS's messages ("Statement wasn't well formed, can't be
// processed: ...", "Where clause does not contain a mandatory equality on all key attributes").
// Thread-safety: plain values and pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/value.h"
#include "services/dynamodb/attribute.h"
#include "services/dynamodb/expression.h"
#include "services/dynamodb/table.h"

namespace nimbus::ddb::partiql {

// An expression of a WHERE clause or of a SET value, parameters already bound.
struct Expr {
  enum class Kind { Path, Literal, Missing, Compare, Between, In, And, Or, Not, Is, Call, Plus,
                    Minus };
  Kind kind = Kind::Literal;
  Path path;            // Path
  Attr literal;         // Literal
  std::string op;       // Compare: = <> < <= > >=; Is: MISSING or an attribute type (S, N, ...);
                        // Call: the function name in lower case
  bool negated = false; // Is: IS NOT; Between/In: NOT BETWEEN / NOT IN
  std::vector<Expr> args;
};

struct Assignment {
  bool remove = false;  // REMOVE path, else SET path = value
  Path path;
  Expr value;
};

struct Statement {
  enum class Kind { Select, Insert, Update, Delete, Exists };
  Kind kind = Kind::Select;
  std::string table, index;        // FROM "table"."index"
  std::vector<Path> projection;    // SELECT a, b.c (empty: *)
  bool has_where = false;
  Expr where;
  struct Order {
    std::string name;
    bool descending = false;
  };
  std::vector<Order> order_by;
  Item item;                        // INSERT's VALUE
  std::vector<Assignment> updates;  // UPDATE's SET and REMOVE, in order
  std::string returning;            // UpdateItem's ReturnValues (ALL_OLD, UPDATED_NEW, ...) or ""
  bool is_read() const { return kind == Kind::Select; }
};

// Parses one statement (comments and a final ';' allowed), binding each `?` to the next of
// params; a count that differs is a ValidationException.
Statement parse(std::string_view text, const std::vector<Attr>& params);

// The operation inputs of a statement against a table (or, for a SELECT from an index, the
// index) whose keys are hash and range (range.name empty when there is none).
struct Plan {
  // SELECT: Query inputs, one per partition-key value (`pk = v`, each of `pk IN [...]`, or
  // each of an OR of those), in the order to read them; or a single Scan input when the WHERE
  // names no partition key.
  bool query = false;
  std::vector<Value> reads;
  // INSERT: PutItem; UPDATE: UpdateItem; DELETE: DeleteItem; EXISTS: ConditionCheck.
  Value write;
  // SELECT naming the whole primary key by equality and nothing else: the Get of a transaction
  // (TableName, Key); null otherwise. A SELECT's projection is not part of its reads: the
  // executor applies it to whole items (see result_name), as PartiQL names results.
  Value get;
  bool full_key = false;  // the WHERE names the whole primary key by equality
};
Plan plan(const Statement& s, const KeyDef& hash, const KeyDef& range);

// A projection path's name in a SELECT's result: its last attribute name (SELECT a.b -> "b").
std::string result_name(const Path& path);

}  // namespace nimbus::ddb::partiql
