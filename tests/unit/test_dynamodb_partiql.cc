// PartiQL for DynamoDB: parsing with parameters, AWS's validation messages, and the plans that
// turn statements into item-operation inputs (services/dynamodb/partiql.h). The plans'
// expressions are parsed and evaluated by the expression language, as the operations do.
#include <doctest/doctest.h>

#include "common/error.h"
#include "services/dynamodb/partiql.h"

using namespace nimbus::ddb;
using namespace nimbus::ddb::partiql;  // (not `nimbus`: its Statement is SQLite's)
using nimbus::ApiError;
using nimbus::Value;

namespace {

const KeyDef kHash{"pk", Type::S};
const KeyDef kRange{"sk", Type::N};
const KeyDef kNone{"", Type::S};

std::string error_of(const char* text, const std::vector<Attr>& params = {},
                     const KeyDef& range = kRange) {
  try {
    plan(parse(text, params), kHash, range);
  } catch (const ApiError& e) {
    CHECK(e.code == "ValidationException");
    return e.message;
  }
  return "";
}

Plan plan_of(const char* text, const std::vector<Attr>& params = {},
             const KeyDef& range = kRange) {
  return plan(parse(text, params), kHash, range);
}

// Evaluates an input's expression member against item, as the operation would.
bool holds(const Value& input, const char* member, const Item& item) {
  ExpressionContext ctx(input.find("ExpressionAttributeNames"),
                        input.find("ExpressionAttributeValues"));
  Condition c = parse_condition(*input.get_string(member), ctx, member);
  return evaluate(c, item);
}

Item sample() {
  Item item;
  item["pk"] = Attr::str("a");
  item["sk"] = Attr::num("1");
  item["n"] = Attr::num("5");
  item["s"] = Attr::str("hello");
  Attr list;
  list.type = Type::L;
  list.list = {Attr::num("1"), Attr::str("two")};
  Attr map;
  map.type = Type::M;
  map.map["list"] = list;
  item["m"] = map;
  Attr nul;
  nul.type = Type::NUL;
  item["z"] = nul;
  return item;
}

}  // namespace

TEST_CASE("partiql: INSERT literals of every type become the item") {
  Statement s = parse(
      "insert into \"my-table\" value {'pk': 'it''s', 'n': -1.50e1, 'b': TRUE, 'f': false, "
      "'z': NULL, 'gone': MISSING, 'l': [1, 'x', [true]], 'm': {'k': {'deep': 2}}, "
      "'ss': <<'a', 'b'>>, 'ns': <<3, 1.0>>}",
      {});
  CHECK(s.kind == Statement::Kind::Insert);
  CHECK(s.table == "my-table");
  CHECK(s.item.at("pk").s == "it's");
  CHECK(s.item.at("n").type == Type::N);
  CHECK(s.item.at("n").s == "-15");
  CHECK(s.item.at("b").type == Type::BOOL);
  CHECK(s.item.at("b").b);
  CHECK_FALSE(s.item.at("f").b);
  CHECK(s.item.at("z").type == Type::NUL);
  CHECK(s.item.count("gone") == 0);
  CHECK(s.item.at("l").list.size() == 3);
  CHECK(s.item.at("l").list[2].list[0].type == Type::BOOL);
  CHECK(s.item.at("m").map.at("k").map.at("deep").s == "2");
  CHECK(s.item.at("ss").type == Type::SS);
  CHECK(s.item.at("ns").type == Type::NS);
  CHECK(s.item.at("ns").set == std::vector<std::string>{"3", "1"});
}

TEST_CASE("partiql: parameters bind in order, anywhere a value goes, and must match in count") {
  Attr bin;
  bin.type = Type::B;
  bin.s = std::string("\x00\x01", 2);
  Statement s = parse("INSERT INTO tbl VALUE {'pk': ?, 'b': ?, 'l': [?, 'q'] } ; -- done",
                      {Attr::str("k"), bin, Attr::num("7")});
  CHECK(s.item.at("pk").s == "k");
  CHECK(s.item.at("b").type == Type::B);
  CHECK(s.item.at("b").s == bin.s);
  CHECK(s.item.at("l").list[0].s == "7");
  const char* mismatch = "Number of parameters in request and statement don't match.";
  CHECK(error_of("SELECT * FROM tbl WHERE pk = ?") == mismatch);
  CHECK(error_of("SELECT * FROM tbl WHERE pk = 'x'", {Attr::str("extra")}) == mismatch);
  CHECK(error_of("SELECT * FROM tbl WHERE pk = '?'", {}) == "");
}

TEST_CASE("partiql: names, indexes and nested paths") {
  Statement s = parse("/* c */ SELECT a.\"b c\"[2], x['y'].z FROM \"Tbl\".\"ByX\" WHERE x = 1", {});
  CHECK(s.table == "Tbl");
  CHECK(s.index == "ByX");
  REQUIRE(s.projection.size() == 2);
  CHECK(path_text(s.projection[0]) == path_text({{"a", -1}, {"b c", -1}, {"", 2}}));
  CHECK(path_text(s.projection[1]) == path_text({{"x", -1}, {"y", -1}, {"z", -1}}));
  CHECK(result_name(s.projection[0]) == "b c");
  CHECK(result_name(s.projection[1]) == "z");
}

TEST_CASE("partiql: malformed statements get AWS's messages") {
  const std::string bad = "Statement wasn't well formed, can't be processed: ";
  CHECK(error_of("SELEC * FROM tbl") == bad + "Expected data manipulation");
  CHECK(error_of("") == bad + "Expected data manipulation");
  CHECK(error_of("SELECT * FROM tbl WHERE") == bad + "Unexpected end of statement");
  CHECK(error_of("SELECT * FROM tbl garbage") == bad + "Unexpected token: garbage");
  // A character outside ASCII is named whole, so the message stays valid UTF-8.
  CHECK(error_of("SELECT * FROM tbl WHERE \xc3\xa9 = 1") ==
        bad + "Unexpected character: \xc3\xa9");
  CHECK(error_of("SELECT * FROM tbl WHERE \xe2\x82\xac") ==
        bad + "Unexpected character: \xe2\x82\xac");
  CHECK(error_of("SELECT * FROM tbl; SELECT * FROM tbl") == bad + "Unexpected token: SELECT");
  CHECK(error_of("SELECT * FROM tbl WHERE pk = 'open").rfind(bad, 0) == 0);
  CHECK(error_of("SELECT *, a FROM tbl") ==
        "Other attributes should not be present in the projection when '*' is used.");
  CHECK(error_of("SELECT * FROM ab") ==
        "Table name should be within the length [3, 255] and only contain 'a-z', 'A-Z', '0-9', "
        "'-', '_', '.'.");
  CHECK(error_of("INSERT INTO tbl VALUE {'pk': 'a', 'e': <<>>}") == "Empty bags are not supported");
  CHECK(error_of("INSERT INTO tbl VALUE {'pk': 'a', 'e': <<1, 'x'>>}") ==
        "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags");
  CHECK(error_of("INSERT INTO tbl VALUE [1]") ==
        "Unsupported format in item expression. Please use struct format {...} to express item "
        "values for insert statement.");
  CHECK(error_of("INSERT INTO tbl VALUE {'pk': 'a', 'pk': 'b'}") ==
        "Duplicate keys in tuple. Key: pk under struct");
  CHECK(error_of("SELECT * FROM tbl WHERE pk = 'a' AND x = MISSING") ==
        "MISSING must be compared using IS operator");
  CHECK(error_of("SELECT * FROM tbl WHERE nosuch(x)") == "Unrecognized function: nosuch");
  CHECK(error_of("SELECT * FROM tbl WHERE x IS WEIRD").rfind("Unsupported data type for IS", 0) ==
        0);
  CHECK(error_of("DELETE FROM tbl WHERE pk = 'a' AND sk = 1 RETURNING ALL NEW *") ==
        "Invalid returning clause: RETURNING ALL NEW *. Only RETURNING ALL OLD * is allowed in "
        "DELETE statements.");
  CHECK(error_of("UPDATE tbl SET a = 1 WHERE pk = 'a' AND sk = 1 RETURNING ALL NEW") ==
        "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause");
  CHECK(error_of(("SELECT * FROM tbl WHERE " + std::string(5000, '(') + "n = 1" +
                  std::string(5000, ')')).c_str()) == bad + "Statement is nested too deeply");
  CHECK(error_of(("INSERT INTO tbl VALUE {'pk': 'a', 'sk': 1, 'l': " + std::string(5000, '[') +
                  std::string(5000, ']') + "}").c_str()) == bad + "Statement is nested too deeply");
  CHECK(error_of("SELECT * FROM tbl WHERE n = 1e999").find("Number overflow") !=
        std::string::npos);
}

TEST_CASE("partiql: a SELECT on the partition key is a Query, otherwise a Scan") {
  Plan scan = plan_of("SELECT * FROM tbl WHERE n > 3 OR pk = 'a'");
  CHECK_FALSE(scan.query);
  REQUIRE(scan.reads.size() == 1);
  CHECK_FALSE(scan.reads[0].has("KeyConditionExpression"));
  CHECK(holds(scan.reads[0], "FilterExpression", sample()));

  Plan all = plan_of("SELECT * FROM tbl");
  CHECK(all.reads[0].size() == 1);  // TableName only

  Plan q = plan_of("SELECT n, m.list[1] FROM tbl WHERE n = 5 AND pk = ? AND sk >= 1",
                   {Attr::str("a")});
  CHECK(q.query);
  REQUIRE(q.reads.size() == 1);
  CHECK(holds(q.reads[0], "KeyConditionExpression", sample()));
  CHECK(holds(q.reads[0], "FilterExpression", sample()));
  CHECK_FALSE(q.reads[0].has("ProjectionExpression"));  // applied to whole items
  CHECK_FALSE(q.full_key);
  CHECK(q.get.is_null());

  Plan in = plan_of("SELECT * FROM tbl WHERE pk IN ['b', 'a', 'b'] ORDER BY pk DESC, sk DESC");
  REQUIRE(in.reads.size() == 2);  // one Query per distinct partition, in key order
  CHECK(in.reads[0].find("ExpressionAttributeValues")->find(":v0")->find("S")->as_string() ==
        "b");
  CHECK(in.reads[1].find("ExpressionAttributeValues")->find(":v0")->find("S")->as_string() ==
        "a");
  CHECK(in.reads[0].get_bool("ScanIndexForward") == false);

  Plan get = plan_of("SELECT s FROM tbl WHERE sk = 1 AND pk = 'a'");
  CHECK(get.full_key);
  CHECK(get.get.find("Key")->find("sk")->find("N")->as_string() == "1");
  CHECK_FALSE(get.get.has("KeyConditionExpression"));

  Plan index = plan(parse("SELECT * FROM tbl.\"ByN\" WHERE n = 5", {}), KeyDef{"n", Type::N},
                    kNone);
  CHECK(index.query);
  CHECK(index.reads[0].get_string("IndexName") == "ByN");
  CHECK(error_of("SELECT * FROM tbl WHERE pk = 5") ==
        "Key attribute's data type should match its data type in table's schema: Key pk");
}

// ql-reference.select: "WHERE OrderID = 100 or OrderID = 200" is not a full table scan; an OR
// with a disjunct that does not name the partition key ("OrderID = 100 OR Address = ...") is.
TEST_CASE("partiql: an OR of partition-key equalities is one Query per partition") {
  Plan two = plan_of("SELECT * FROM tbl WHERE pk = 'a' OR pk = 'b'");
  CHECK(two.query);
  REQUIRE(two.reads.size() == 2);
  CHECK(two.reads[0].find("ExpressionAttributeValues")->find(":v0")->find("S")->as_string() ==
        "a");
  CHECK(two.reads[1].find("ExpressionAttributeValues")->find(":v0")->find("S")->as_string() ==
        "b");
  CHECK_FALSE(two.full_key);
  CHECK(two.get.is_null());

  // Disjuncts may say more than the key and use IN; each Query still filters by the whole OR.
  Plan mixed = plan_of("SELECT * FROM tbl WHERE n = 5 AND ((pk = 'a' AND s = 'no') OR "
                       "pk IN ['c', 'a'] OR (sk = 1 AND pk = ?))",
                       {Attr::str("d")});
  CHECK(mixed.query);
  REQUIRE(mixed.reads.size() == 3);  // a, c, d: each partition once
  Item other = sample();
  other["s"] = Attr::str("no");
  other["n"] = Attr::num("4");
  for (const Value& read : mixed.reads) {
    CHECK(read.has("KeyConditionExpression"));
    CHECK(holds(read, "FilterExpression", sample()));
    CHECK_FALSE(holds(read, "FilterExpression", other));
  }

  Plan sorted = plan_of("SELECT * FROM tbl WHERE pk = 'b' OR pk = 'a' ORDER BY pk");
  REQUIRE(sorted.reads.size() == 2);
  CHECK(sorted.reads[0].find("ExpressionAttributeValues")->find(":v0")->find("S")->as_string() ==
        "a");

  for (const char* text : {"SELECT * FROM tbl WHERE pk = 'a' OR n = 5",
                           "SELECT * FROM tbl WHERE pk = 'a' OR NOT pk = 'b'",
                           "SELECT * FROM tbl WHERE pk = 'a' OR pk > 'b'"}) {
    CAPTURE(text);
    Plan scan = plan_of(text);
    CHECK_FALSE(scan.query);
    CHECK(holds(scan.reads[0], "FilterExpression", sample()));
  }
  std::string fifty = "'0'";
  for (int i = 1; i < 50; ++i) fifty += ", '" + std::to_string(i) + "'";
  CHECK(plan_of(("SELECT * FROM tbl WHERE pk IN [" + fifty + "]").c_str()).reads.size() == 50);
  CHECK(error_of(("SELECT * FROM tbl WHERE pk IN [" + fifty + ", 'x']").c_str()) ==
        "The IN operator is provided with too many partition key values; number of values: 51, "
        "at most 50");
  std::string ors = "pk = '0'";
  for (int i = 1; i < 50; ++i) ors += " OR pk = '" + std::to_string(i) + "'";
  CHECK(plan_of(("SELECT * FROM tbl WHERE " + ors).c_str()).reads.size() == 50);
  CHECK_FALSE(plan_of(("SELECT * FROM tbl WHERE " + ors + " OR pk = 'x'").c_str()).query);
  CHECK(error_of("SELECT * FROM tbl WHERE pk = 'a' OR pk = 5") ==
        "Key attribute's data type should match its data type in table's schema: Key pk");
}

TEST_CASE("partiql: ORDER BY needs the partition key in the WHERE and orders by key only") {
  CHECK(error_of("SELECT * FROM tbl ORDER BY sk") ==
        "Must have WHERE clause in the statement when using ORDER BY clause.");
  CHECK(error_of("SELECT * FROM tbl WHERE n = 1 ORDER BY sk") ==
        "Must have at least one non-optional hash key condition in WHERE clause when using "
        "ORDER BY clause.");
  CHECK(error_of("SELECT * FROM tbl WHERE pk = 'a' ORDER BY n") ==
        "Variable reference n in ORDER BY clause must be part of the primary key");
  CHECK_FALSE(plan_of("SELECT * FROM tbl WHERE pk = 'a' ORDER BY sk ASC").reads[0].has(
      "ScanIndexForward"));
}

TEST_CASE("partiql: WHERE operators render as condition expressions with the same meaning") {
  Item item = sample();
  auto where = [&](const char* cond) {
    std::string text = std::string("SELECT * FROM tbl WHERE ") + cond;
    Plan p = plan(parse(text, {}), kHash, kRange);
    return holds(p.reads[0], "FilterExpression", item);
  };
  CHECK(where("n = 5 AND s <> 'x' AND n < 6 AND n <= 5 AND n > 4 AND n >= 5"));
  CHECK(where("n != 4"));
  CHECK(where("n BETWEEN 1 AND 9"));
  CHECK_FALSE(where("n NOT BETWEEN 1 AND 9"));
  CHECK(where("s IN ('x', 'hello')"));
  CHECK(where("n NOT IN [1, 2]"));
  CHECK(where("NOT (n = 4) AND (n = 4 OR s = 'hello')"));
  CHECK(where("gone IS MISSING AND n IS NOT MISSING"));
  CHECK(where("z IS NULL AND n IS NOT NULL AND s IS STRING AND n IS NUMERIC AND m IS STRUCT"));
  CHECK(where("m.list IS LIST AND m.list[1] = 'two'"));
  CHECK(where("begins_with(s, 'he') AND contains(s, 'll') AND contains(m.list, 1)"));
  CHECK(where("attribute_type(s, 'S') AND size(s) = 5 AND size(m.list) > 1"));
  CHECK(where("attribute_exists(n) AND attribute_not_exists(gone)"));
  CHECK_FALSE(where("begins_with(s, 'x')"));
  CHECK(where("\"n\" = 5"));
}

TEST_CASE("partiql: writes need the whole key and carry AWS's implicit conditions") {
  Item item = sample();
  Plan insert = plan_of("INSERT INTO tbl VALUE {'pk': 'a', 'sk': 1, 'v': 1}");
  CHECK(insert.write.find("Item")->find("v")->find("N")->as_string() == "1");
  CHECK_FALSE(holds(insert.write, "ConditionExpression", item));  // the key exists: duplicate
  CHECK(holds(insert.write, "ConditionExpression", Item{}));
  CHECK(error_of("INSERT INTO tbl VALUE {'pk': 'a'}") ==
        "Key attribute should be present in the item: Key sk");
  CHECK(error_of("INSERT INTO tbl VALUE {'pk': 'a', 'sk': 'one'}") ==
        "Key attribute's data type should match its data type in table's schema: Key sk");
  CHECK(error_of("INSERT INTO tbl VALUE {'pk': 'a', 'sk': 1} RETURNING ALL OLD *") ==
        "RETURNING is not supported in INSERT");

  Plan update = plan_of(
      "UPDATE tbl SET n = n + 1, l = list_append(l, [2]) SET tags = set_add(tags, <<'x'>>) "
      "REMOVE s SET old = set_delete(old, <<1>>) WHERE pk = 'a' AND sk = 1 AND n = 5 "
      "RETURNING MODIFIED NEW *");
  CHECK(update.write.find("Key")->size() == 2);
  CHECK(update.write.get_string("ReturnValues") == "UPDATED_NEW");
  {
    Item target = item;
    Attr list;
    list.type = Type::L;
    target["l"] = list;
    Attr ns;
    ns.type = Type::NS;
    ns.set = {"1", "2"};
    target["old"] = ns;
    ExpressionContext ctx(update.write.find("ExpressionAttributeNames"),
                          update.write.find("ExpressionAttributeValues"));
    apply_update(target, parse_update(*update.write.get_string("UpdateExpression"), ctx));
    CHECK(target.at("n").s == "6");
    CHECK(target.at("l").list.size() == 1);
    CHECK(target.at("tags").type == Type::SS);
    CHECK(target.at("old").set == std::vector<std::string>{"2"});
    CHECK(target.count("s") == 0);
  }
  CHECK(holds(update.write, "ConditionExpression", item));
  CHECK_FALSE(holds(update.write, "ConditionExpression", Item{}));  // UPDATE never creates
  CHECK(error_of("UPDATE tbl SET a = set_add(b, <<'x'>>) WHERE pk = 'a' AND sk = 1") ==
        "The first argument to SET_ADD must equal the assignment value");
  CHECK(error_of("UPDATE tbl SET a = set_add(a, 'x') WHERE pk = 'a' AND sk = 1") ==
        "The second argument to SET_ADD must be a value with type SET");

  Plan del = plan_of("DELETE FROM tbl WHERE pk = 'a' AND sk = 1 RETURNING ALL OLD *");
  CHECK(del.write.get_string("ReturnValues") == "ALL_OLD");
  CHECK_FALSE(del.write.has("ConditionExpression"));  // a missing item deletes nothing
  Plan del_if = plan_of("DELETE FROM tbl WHERE pk = 'a' AND sk = 1 AND n > 9");
  CHECK_FALSE(holds(del_if.write, "ConditionExpression", item));

  const char* incomplete = "Where clause does not contain a mandatory equality on all key "
                           "attributes";
  CHECK(error_of("DELETE FROM tbl WHERE pk = 'a'") == incomplete);
  CHECK(error_of("UPDATE tbl SET n = 1 WHERE pk = 'a' OR sk = 1") == incomplete);
  CHECK(error_of("DELETE FROM tbl WHERE pk = 'a' AND sk > 1") == incomplete);
  CHECK(error_of("DELETE FROM tbl") == incomplete);
  CHECK(error_of("DELETE FROM tbl WHERE pk = 'a' AND pk = 'b' AND sk = 1") ==
        "Multiple conditions on same key pk. Only single item Update/Insert/Delete are supported");
  CHECK(error_of("DELETE FROM tbl WHERE pk = 'a'", {}, kNone) == "");

  Plan exists = plan_of("EXISTS(SELECT * FROM tbl WHERE pk = 'a' AND sk = 1 AND n = 5)");
  CHECK(exists.write.has("Key"));
  CHECK(holds(exists.write, "ConditionExpression", item));
  CHECK_FALSE(holds(exists.write, "ConditionExpression", Item{}));
}
