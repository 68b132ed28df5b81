// The DynamoDB expression language: parsing, placeholder checks, AWS's messages, evaluation,
// update semantics and projection (services/dynamodb/expression.h).
#include <doctest/doctest.h>

#include "common/error.h"
#include "services/dynamodb/expression.h"

using namespace nimbus;
using namespace nimbus::ddb;

namespace {

Value av(const char* type, Value v) { return Value::map().set(type, std::move(v)); }
Value list_of(Value v) {
  Value l = Value::list();
  l.push_back(std::move(v));
  return l;
}

struct Fixture {
  Value names = Value::map();
  Value values = Value::map();
  Item item;
  Fixture() {
    item["a"] = Attr::num("5");
    item["s"] = Attr::str("hello world");
    Attr list;
    list.type = Type::L;
    list.list = {Attr::num("1"), Attr::num("2"), Attr::num("3")};
    item["l"] = list;
    Attr map;
    map.type = Type::M;
    map.map["x"] = Attr::str("y");
    item["m"] = map;
    Attr set;
    set.type = Type::SS;
    set.set = {"red", "blue"};
    item["tags"] = set;
  }
  bool eval(const char* text) {
    ExpressionContext ctx(names.size() ? &names : nullptr, values.size() ? &values : nullptr);
    Condition c = parse_condition(text, ctx, "ConditionExpression");
    return evaluate(c, item);
  }
  std::string error(const char* text, const char* kind = "ConditionExpression") {
    try {
      ExpressionContext ctx(names.size() ? &names : nullptr, values.size() ? &values : nullptr);
      if (std::string(kind) == "UpdateExpression") parse_update(text, ctx);
      else if (std::string(kind) == "ProjectionExpression") parse_projection(text, ctx);
      else parse_condition(text, ctx, kind);
      ctx.check_unused();
    } catch (const ApiError& e) {
      return e.message;
    }
    return "";
  }
  void update(const char* text) {
    ExpressionContext ctx(names.size() ? &names : nullptr, values.size() ? &values : nullptr);
    apply_update(item, parse_update(text, ctx));
  }
};

}  // namespace

TEST_CASE("dynamodb expression: comparisons, functions and boolean logic evaluate") {
  Fixture f;
  f.values.set(":five", av("N", "5")).set(":four", av("N", "4.0")).set(":h", av("S", "hello"))
      .set(":red", av("S", "red")).set(":ten", av("N", "10")).set(":t", av("S", "SS"));
  f.names.set("#s", "s");
  CHECK(f.eval("a = :five"));
  CHECK(f.eval("a > :four AND a < :ten"));
  CHECK(f.eval("a BETWEEN :four AND :ten"));
  CHECK(f.eval("a IN (:four, :five)"));
  CHECK(f.eval("begins_with(#s, :h)"));
  CHECK(f.eval("contains(tags, :red)"));
  CHECK(f.eval("attribute_type(tags, :t)"));
  CHECK(f.eval("size(l) < :five"));
  CHECK(f.eval("NOT attribute_exists(nothere) and attribute_exists(m.x)"));
  CHECK(f.eval("l[1] > :four OR (a <> :five)") == false);
  CHECK(f.eval("nothere <> :five"));
  CHECK_FALSE(f.eval("nothere < :five"));
}

TEST_CASE("dynamodb expression: AWS's messages for placeholders, reserved words and syntax") {
  Fixture f;
  CHECK(f.error("status = :v") == "Invalid ConditionExpression: Attribute name is a reserved "
                                  "keyword; reserved keyword: status");
  f.values.set(":v", av("N", "1"));
  f.values.set(":unused", av("N", "1"));
  CHECK(f.error("a = :v") ==
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}");
  CHECK(f.error("a = :nope") == "Invalid ConditionExpression: An expression attribute value used "
                                "in expression is not defined; attribute value: :nope");
  CHECK(f.error("#n = :v", "FilterExpression") ==
        "Invalid FilterExpression: An expression attribute name used in the document path is not "
        "defined; attribute name: #n");
  CHECK(f.error("a = ") ==
        "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"= \"");
  CHECK(f.error("foo(a)") == "Invalid ConditionExpression: Invalid function name; function: foo");
  CHECK(f.error("SET a = :v, a = :unused", "UpdateExpression") ==
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or "
        "rewrite one of these paths; path one: [a], path two: [a]");
  CHECK(f.error("SET m.x = :v REMOVE m[0]", "UpdateExpression").find("Two document paths conflict") !=
        std::string::npos);
  CHECK(f.error("SET a = :v SET l = :unused", "UpdateExpression") ==
        "Invalid UpdateExpression: The \"SET\" section can only be used once in an update "
        "expression;");
  CHECK(f.error("a, a.b", "ProjectionExpression").find("Invalid ProjectionExpression: Two "
                                                       "document paths overlap") == 0);
}

TEST_CASE("dynamodb expression: updates apply SET arithmetic, list_append, REMOVE, ADD, DELETE") {
  Fixture f;
  f.values.set(":one", av("N", "1.5")).set(":more", av("L", list_of(av("N", "4"))))
      .set(":red", av("SS", list_of("red"))).set(":z", av("S", "z"));
  f.update("SET a = a + :one, l = list_append(l, :more), m.y = if_not_exists(m.y, :z) "
           "REMOVE s ADD cnt :one DELETE tags :red");
  f.update("REMOVE l[0], l[2]");  // original indexes: [1,2,3,4] -> [2,4]
  CHECK(f.item["a"].s == "6.5");
  REQUIRE(f.item["l"].list.size() == 2);
  CHECK(f.item["l"].list[0].s == "2");
  CHECK(f.item["l"].list[1].s == "4");
  CHECK(f.item["m"].map["y"].s == "z");
  CHECK_FALSE(f.item.count("s"));
  CHECK(f.item["cnt"].s == "1.5");
  CHECK(f.item["tags"].set == std::vector<std::string>{"blue"});
  CHECK_THROWS_WITH_AS(f.update("SET q.r = :z"),
                       "The document path provided in the update expression is invalid for update",
                       ApiError);
  CHECK_THROWS_WITH_AS(f.update("SET a = s + :one"),
                       "The provided expression refers to an attribute that does not exist in "
                       "the item",
                       ApiError);
}

TEST_CASE("dynamodb expression: projection keeps nested structure and list elements") {
  Fixture f;
  ExpressionContext ctx(nullptr, nullptr);
  Item p = project(f.item, parse_projection("m.x, l[2], l[0], nothere", ctx));
  CHECK(p.size() == 2);
  CHECK(p["m"].map["x"].s == "y");
  REQUIRE(p["l"].list.size() == 2);
  CHECK(p["l"].list[0].s == "1");
  CHECK(p["l"].list[1].s == "3");
}
