"""boto3 against nimbus DynamoDB: PartiQL (ExecuteStatement, BatchExecuteStatement,
ExecuteTransaction).

Behaviour from the developer guide's "PartiQL - a SQL-compatible query language for Amazon
DynamoDB" reference (ql-reference.select/insert/update/delete, ql-functions, ql-operators,
ql-reference.multiplestatements.transactions / .batching) and the API reference of the three
operations (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-reference.html).
"""
import unittest
import uuid

from botocore.exceptions import ClientError

from harness import boto3_client, dynamodb_keys, ServerTestCase, unique


class DynamoDbPartiqlTests(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client = boto3_client(cls.server, "dynamodb")

    def create(self, with_range=True, **extra):
        name = unique("pq")
        keys, defs = dynamodb_keys("N" if with_range else None)
        defs += extra.pop("extra_defs", [])
        self.client.create_table(TableName=name, KeySchema=keys, AttributeDefinitions=defs,
                                 BillingMode="PAY_PER_REQUEST", **extra)
        return name

    def run_sql(self, statement, *params, **kwargs):
        if params:
            kwargs["Parameters"] = list(params)
        return self.client.execute_statement(Statement=statement, **kwargs)

    def error(self, fn, *args, **kwargs):
        with self.assertRaises(ClientError) as cm:
            fn(*args, **kwargs)
        return cm.exception.response

    def sql_error(self, statement, *params, **kwargs):
        response = self.error(self.run_sql, statement, *params, **kwargs)
        return response["Error"]["Code"], response["Error"]["Message"]

    def get(self, table, pk, sk=None):
        key = {"pk": {"S": pk}}
        if sk is not None:
            key["sk"] = {"N": str(sk)}
        return self.client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")

    # -- statements -------------------------------------------------------------------------------
    def test_insert_and_select_literals_of_every_kind(self):
        t = self.create()
        self.run_sql("INSERT INTO \"%s\" VALUE {'pk': 'a', 'sk': 1, 's': 'it''s', 'n': 1.50, "
                     "'neg': -3, 'b': true, 'z': null, 'l': [1, 'x', [false]], "
                     "'m': {'k': {'deep': 'v'}}, 'ss': <<'r', 'g'>>, 'ns': <<1, 2>>, "
                     "'gone': MISSING}" % t)
        item = self.get(t, "a", 1)
        self.assertEqual(item["s"], {"S": "it's"})
        self.assertEqual(item["n"], {"N": "1.5"})
        self.assertEqual(item["neg"], {"N": "-3"})
        self.assertEqual(item["b"], {"BOOL": True})
        self.assertEqual(item["z"], {"NULL": True})
        self.assertEqual(item["l"], {"L": [{"N": "1"}, {"S": "x"}, {"L": [{"BOOL": False}]}]})
        self.assertEqual(item["m"], {"M": {"k": {"M": {"deep": {"S": "v"}}}}})
        self.assertEqual(sorted(item["ss"]["SS"]), ["g", "r"])
        self.assertEqual(sorted(item["ns"]["NS"]), ["1", "2"])
        self.assertNotIn("gone", item)
        items = self.run_sql("select * from \"%s\" where pk = 'a' and sk = 1" % t)["Items"]
        self.assertEqual(items, [item])

    def test_parameters_of_every_type_bind_and_round_trip(self):
        t = self.create()
        values = {"s": {"S": "text ? not a parameter"}, "n": {"N": "12345678901234567890.5"},
                  "b": {"B": b"\x00\xffbin"}, "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2"]},
                  "bs": {"BS": [b"\x01", b"\x02"]}, "m": {"M": {"k": {"S": "v"}}},
                  "l": {"L": [{"N": "1"}, {"S": "two"}]}, "z": {"NULL": True},
                  "t": {"BOOL": True}}
        names = sorted(values)
        body = ", ".join("'%s': ?" % n for n in names)
        self.run_sql("INSERT INTO \"%s\" VALUE {'pk': ?, 'sk': ?, %s}" % (t, body),
                     {"S": "p"}, {"N": "7"}, *[values[n] for n in names])
        items = self.run_sql("SELECT * FROM \"%s\" WHERE pk = ? AND sk = ?" % t,
                             {"S": "p"}, {"N": "7"})["Items"]
        self.assertEqual(len(items), 1)
        for n in names:
            got, want = items[0][n], values[n]
            if "SS" in want or "NS" in want or "BS" in want:
                kind = next(iter(want))
                self.assertEqual(sorted(got[kind]), sorted(want[kind]))
            else:
                self.assertEqual(got, want, n)
        # A parameter is a value in a WHERE too, and a count that differs is refused.
        found = self.run_sql("SELECT pk FROM \"%s\" WHERE m.k = ? AND contains(ss, ?)" % t,
                             {"S": "v"}, {"S": "x"})["Items"]
        self.assertEqual(found, [{"pk": {"S": "p"}}])
        code, message = self.sql_error("SELECT * FROM \"%s\" WHERE pk = ? AND sk = ?" % t,
                                       {"S": "p"})
        self.assertEqual((code, message), ("ValidationException",
                                           "Number of parameters in request and statement "
                                           "don't match."))
        code, _ = self.sql_error("SELECT * FROM \"%s\" WHERE pk = ?" % t, {"S": "p"}, {"S": "q"})
        self.assertEqual(code, "ValidationException")

    def test_select_where_operators_projection_and_nested_paths(self):
        t = self.create()
        for sk, n, s in [(1, 5, "apple"), (2, 10, "banana"), (3, 15, "cherry")]:
            self.run_sql("INSERT INTO \"%s\" VALUE {'pk': 'a', 'sk': ?, 'n': ?, 's': ?, "
                         "'doc': {'list': [?, 'x']}}" % t, {"N": str(sk)}, {"N": str(n)},
                         {"S": s}, {"N": str(n)})
        self.run_sql("INSERT INTO \"%s\" VALUE {'pk': 'b', 'sk': 1, 'other': true}" % t)

        def sks(where, *params):
            items = self.run_sql("SELECT sk FROM \"%s\" WHERE %s" % (t, where), *params)["Items"]
            return sorted(int(i["sk"]["N"]) for i in items if "sk" in i)
        self.assertEqual(sks("pk = 'a' AND n > 5"), [2, 3])
        self.assertEqual(sks("pk = 'a' AND n <> 10"), [1, 3])
        self.assertEqual(sks("pk = 'a' AND sk BETWEEN 2 AND 3"), [2, 3])
        self.assertEqual(sks("pk = 'a' AND s IN ['apple', 'cherry']"), [1, 3])
        self.assertEqual(sks("pk = 'a' AND NOT (n = 5 OR n = 15)"), [2])
        self.assertEqual(sks("pk = 'a' AND begins_with(s, 'ba')"), [2])
        self.assertEqual(sks("pk = 'a' AND contains(s, 'err')"), [3])
        self.assertEqual(sks("pk = 'a' AND size(s) = 5"), [1])
        self.assertEqual(sks("pk = 'a' AND doc.list[0] >= 10"), [2, 3])
        self.assertEqual(sks("attribute_type(n, 'N') AND n < 11"), [1, 2])
        self.assertEqual(sks("other IS NOT MISSING"), [1])
        self.assertEqual(sks("pk = 'a' AND other IS MISSING AND s IS STRING"), [1, 2, 3])
        self.assertEqual(sks("pk IN ['a', 'b'] AND sk = 1"), [1, 1])
        items = self.run_sql("SELECT s, doc.list[1] FROM \"%s\" WHERE pk = 'a' AND sk = 2"
                             % t)["Items"]
        self.assertEqual(items, [{"s": {"S": "banana"}, "list": {"S": "x"}}])

    def test_order_by_sort_key_and_partitions(self):
        t = self.create()
        for pk in ("a", "b"):
            for sk in (1, 2, 3):
                self.run_sql("INSERT INTO \"%s\" VALUE {'pk': ?, 'sk': ?}" % t,
                             {"S": pk}, {"N": str(sk)})
        items = self.run_sql("SELECT * FROM \"%s\" WHERE pk = 'a' ORDER BY sk DESC" % t)["Items"]
        self.assertEqual([i["sk"]["N"] for i in items], ["3", "2", "1"])
        items = self.run_sql("SELECT * FROM \"%s\" WHERE pk IN ['a', 'b'] ORDER BY pk DESC, sk"
                             % t)["Items"]
        self.assertEqual([(i["pk"]["S"], i["sk"]["N"]) for i in items],
                         [("b", "1"), ("b", "2"), ("b", "3"), ("a", "1"), ("a", "2"), ("a", "3")])
        code, message = self.sql_error("SELECT * FROM \"%s\" WHERE sk = 1 ORDER BY sk" % t)
        self.assertEqual(code, "ValidationException")
        self.assertIn("hash key condition", message)
        code, message = self.sql_error("SELECT * FROM \"%s\" WHERE pk = 'a' ORDER BY other" % t)
        self.assertEqual(message, "Variable reference other in ORDER BY clause must be part of "
                                  "the primary key")

    def test_limit_and_next_token_page_scans_and_partitions(self):
        t = self.create()
        for pk in ("a", "b", "c"):
            for sk in range(3):
                self.run_sql("INSERT INTO \"%s\" VALUE {'pk': ?, 'sk': ?, 'v': 'x'}" % t,
                             {"S": pk}, {"N": str(sk)})
        for statement in ("SELECT * FROM \"%s\"" % t,
                          "SELECT * FROM \"%s\" WHERE pk IN ['c', 'a']" % t,
                          "SELECT * FROM \"%s\" WHERE v = 'x'" % t):
            seen, token, pages = [], None, 0
            while True:
                kwargs = {"Limit": 2}
                if token:
                    kwargs["NextToken"] = token
                out = self.run_sql(statement, **kwargs)
                self.assertLessEqual(len(out["Items"]), 2)
                seen += [(i["pk"]["S"], i["sk"]["N"]) for i in out["Items"]]
                pages += 1
                token = out.get("NextToken")
                if not token:
                    break
            expected = 6 if "IN" in statement else 9
            self.assertEqual(len(seen), expected, statement)
            self.assertEqual(len(set(seen)), expected, statement)
            self.assertGreaterEqual(pages, expected // 2)
        # ExecuteStatement: a read that stopped says where, as LastEvaluatedKey, with NextToken.
        out = self.run_sql("SELECT * FROM \"%s\" WHERE pk = 'b'" % t, Limit=2)
        self.assertEqual(out["LastEvaluatedKey"], {"pk": {"S": "b"}, "sk": {"N": "1"}})
        self.assertIn("NextToken", out)
        self.assertNotIn("LastEvaluatedKey", self.run_sql("SELECT * FROM \"%s\" WHERE pk = 'b'"
                                                          % t))
        # A NextToken belongs to its statement.
        token = self.run_sql("SELECT * FROM \"%s\"" % t, Limit=1)["NextToken"]
        code, message = self.sql_error("SELECT * FROM \"%s\" WHERE pk = 'a'" % t,
                                       NextToken=token)
        self.assertEqual((code, message), ("ValidationException",
                                           "NextToken does not match request"))
        code, message = self.sql_error("SELECT * FROM \"%s\"" % t, NextToken="garbage")
        self.assertEqual(message, "Invalid NextToken")

    def filled_table(self):
        """A table of 30 items of 3 KB, so a Scan consumes far more than a Query of one key."""
        t = self.create()
        for i in range(30):
            self.client.put_item(TableName=t, Item={"pk": {"S": "other%d" % i}, "sk": {"N": "0"},
                                                    "f": {"S": "x" * 3000}})
        return t

    def test_select_on_the_partition_key_reads_by_key_not_the_whole_table(self):
        t = self.filled_table()
        self.client.put_item(TableName=t, Item={"pk": {"S": "me"}, "sk": {"N": "1"}})
        by_key = self.run_sql("SELECT * FROM \"%s\" WHERE pk = 'me'" % t,
                              ReturnConsumedCapacity="TOTAL")
        self.assertEqual(len(by_key["Items"]), 1)
        self.assertEqual(by_key["ConsumedCapacity"]["TableName"], t)
        self.assertEqual(by_key["ConsumedCapacity"]["CapacityUnits"], 0.5)
        scan = self.run_sql("SELECT * FROM \"%s\" WHERE sk = 1" % t, ConsistentRead=True,
                            ReturnConsumedCapacity="TOTAL")
        self.assertEqual(len(scan["Items"]), 1)
        self.assertGreater(scan["ConsumedCapacity"]["CapacityUnits"], 10)

    def test_select_on_an_or_of_partition_keys_reads_by_key(self):
        # ql-reference.select: "SELECT * FROM Orders WHERE OrderID = 100 or OrderID = 200" does
        # not result in a full table scan; "OrderID = 100 OR Address='some address'" does.
        t = self.filled_table()
        for pk in ("me", "you"):
            self.client.put_item(TableName=t, Item={"pk": {"S": pk}, "sk": {"N": "1"}})
        by_key = self.run_sql("SELECT * FROM \"%s\" WHERE pk = 'me' OR pk = ?" % t,
                              {"S": "you"}, ReturnConsumedCapacity="TOTAL")
        self.assertEqual(sorted(i["pk"]["S"] for i in by_key["Items"]), ["me", "you"])
        self.assertEqual(by_key["ConsumedCapacity"]["CapacityUnits"], 1.0)  # two 0.5 Queries
        mixed = self.run_sql("SELECT * FROM \"%s\" WHERE (pk = 'me' AND sk = 1) OR "
                             "(pk = 'you' AND sk = 2)" % t, ReturnConsumedCapacity="TOTAL")
        self.assertEqual([i["pk"]["S"] for i in mixed["Items"]], ["me"])
        self.assertEqual(mixed["ConsumedCapacity"]["CapacityUnits"], 1.0)
        scan = self.run_sql("SELECT * FROM \"%s\" WHERE pk = 'me' OR sk = 2" % t,
                            ReturnConsumedCapacity="TOTAL")
        self.assertEqual([i["pk"]["S"] for i in scan["Items"]], ["me"])
        self.assertGreater(scan["ConsumedCapacity"]["CapacityUnits"], 10)

    def test_select_from_an_index(self):
        t = self.create(extra_defs=[{"AttributeName": "g", "AttributeType": "S"}],
                        GlobalSecondaryIndexes=[{
                            "IndexName": "ByG",
                            "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                            "Projection": {"ProjectionType": "ALL"}}])
        self.run_sql("INSERT INTO \"%s\" VALUE {'pk': 'a', 'sk': 1, 'g': 'blue'}" % t)
        self.run_sql("INSERT INTO \"%s\" VALUE {'pk': 'b', 'sk': 1, 'g': 'red'}" % t)
        items = self.run_sql("SELECT pk FROM \"%s\".\"ByG\" WHERE g = 'red'" % t)["Items"]
        self.assertEqual(items, [{"pk": {"S": "b"}}])
        code, message = self.sql_error("SELECT pk FROM \"%s\".\"ByG\" WHERE g = 'red'" % t,
                                       ConsistentRead=True)
        self.assertEqual(message, "Strongly consistent read is not supported on Global "
                                  "Secondary Indexes")
        code, _ = self.sql_error("INSERT INTO \"%s\".\"ByG\" VALUE {'pk': 'c', 'sk': 1}" % t)
        self.assertEqual(code, "ValidationException")
        code, _ = self.sql_error("SELECT * FROM \"%s\".\"Nope\"" % t)
        self.assertEqual(code, "ValidationException")

    def test_insert_of_an_existing_key_is_a_duplicate_and_changes_nothing(self):
        t = self.create()
        self.run_sql("INSERT INTO \"%s\" VALUE {'pk': 'a', 'sk': 1, 'v': 'first'}" % t)
        code, message = self.sql_error("INSERT INTO \"%s\" VALUE {'pk': 'a', 'sk': 1, "
                                       "'v': 'second'}" % t)
        self.assertEqual((code, message), ("DuplicateItemException",
                                           "Duplicate primary key exists in table"))
        self.assertEqual(self.get(t, "a", 1)["v"], {"S": "first"})
        code, message = self.sql_error("INSERT INTO \"%s\" VALUE {'pk': 'a'}" % t)
        self.assertEqual(message, "Key attribute should be present in the item: Key sk")
        code, message = self.sql_error("INSERT INTO \"%s\" VALUE {'pk': 'a', 'sk': 'x'}" % t)
        self.assertEqual(message, "Key attribute's data type should match its data type in "
                                  "table's schema: Key sk")

    def test_update_set_remove_functions_and_returning(self):
        t = self.create()
        self.run_sql("INSERT INTO \"%s\" VALUE {'pk': 'a', 'sk': 1, 'n': 1, 'l': [1], "
                     "'tags': <<'x', 'y'>>, 'gone': 'soon', 'doc': {'a': 1}}" % t)
        out = self.run_sql("UPDATE \"%s\" SET n = n + 2 SET l = list_append(l, [2, 3]) "
                           "SET tags = set_add(tags, <<'z'>>) REMOVE gone SET doc.b = ? "
                           "WHERE pk = 'a' AND sk = 1 RETURNING ALL NEW *" % t, {"S": "new"})
        item = out["Items"][0]
        self.assertEqual(item["n"], {"N": "3"})
        self.assertEqual(item["l"], {"L": [{"N": "1"}, {"N": "2"}, {"N": "3"}]})
        self.assertEqual(sorted(item["tags"]["SS"]), ["x", "y", "z"])
        self.assertNotIn("gone", item)
        self.assertEqual(item["doc"], {"M": {"a": {"N": "1"}, "b": {"S": "new"}}})
        self.assertEqual(self.get(t, "a", 1), item)
        out = self.run_sql("UPDATE \"%s\" SET tags = set_delete(tags, <<'x'>>) "
                           "WHERE pk = 'a' AND sk = 1 RETURNING MODIFIED OLD *" % t)
        self.assertEqual(sorted(out["Items"][0]["tags"]["SS"]), ["x", "y", "z"])
        self.assertEqual(list(out["Items"][0]), ["tags"])
        out = self.run_sql("UPDATE \"%s\" SET n = 10 WHERE pk = 'a' AND sk = 1 "
                           "RETURNING MODIFIED NEW *" % t)
        self.assertEqual(out["Items"], [{"n": {"N": "10"}}])
        out = self.run_sql("UPDATE \"%s\" SET n = 11 WHERE pk = 'a' AND sk = 1 "
                           "RETURNING ALL OLD *" % t)
        self.assertEqual(out["Items"][0]["n"], {"N": "10"})
        out = self.run_sql("UPDATE \"%s\" SET n = 12 WHERE pk = 'a' AND sk = 1" % t)
        self.assertEqual(out["Items"], [])
        self.assertEqual(self.get(t, "a", 1)["n"], {"N": "12"})

    def test_update_conditions_and_missing_items_fail_and_change_nothing(self):
        t = self.create()
        self.run_sql("INSERT INTO \"%s\" VALUE {'pk': 'a', 'sk': 1, 'n': 1}" % t)
        code, message = self.sql_error("UPDATE \"%s\" SET n = 2 WHERE pk = 'a' AND sk = 1 "
                                       "AND n = 5" % t)
        self.assertEqual((code, message), ("ConditionalCheckFailedException",
                                           "The conditional request failed"))
        self.assertEqual(self.get(t, "a", 1)["n"], {"N": "1"})
        response = self.error(self.run_sql, "UPDATE \"%s\" SET n = 2 WHERE pk = 'a' AND sk = 1 "
                              "AND n > 1" % t, ReturnValuesOnConditionCheckFailure="ALL_OLD")
        self.assertEqual(response["Item"]["n"], {"N": "1"})
        self.run_sql("UPDATE \"%s\" SET n = 2 WHERE pk = 'a' AND sk = 1 AND n = 1" % t)
        self.assertEqual(self.get(t, "a", 1)["n"], {"N": "2"})
        # UPDATE never creates an item.
        code, _ = self.sql_error("UPDATE \"%s\" SET n = 1 WHERE pk = 'zz' AND sk = 1" % t)
        self.assertEqual(code, "ConditionalCheckFailedException")
        self.assertIsNone(self.get(t, "zz", 1))
        code, message = self.sql_error("UPDATE \"%s\" SET n = 1 WHERE pk = 'a'" % t)
        self.assertEqual((code, message), ("ValidationException",
                                           "Where clause does not contain a mandatory equality "
                                           "on all key attributes"))
        code, message = self.sql_error("UPDATE \"%s\" SET sk = 5 WHERE pk = 'a' AND sk = 2" % t)
        self.assertEqual(code, "ValidationException")
        self.assertIn("part of the key", message)
        self.assertEqual(self.get(t, "a", 1)["n"], {"N": "2"})

    def test_delete_with_returning_and_conditions(self):
        t = self.create()
        self.run_sql("INSERT INTO \"%s\" VALUE {'pk': 'a', 'sk': 1, 'n': 1}" % t)
        code, _ = self.sql_error("DELETE FROM \"%s\" WHERE pk = 'a' AND sk = 1 AND n = 2" % t)
        self.assertEqual(code, "ConditionalCheckFailedException")
        self.assertIsNotNone(self.get(t, "a", 1))
        out = self.run_sql("DELETE FROM \"%s\" WHERE pk = 'a' AND sk = 1 RETURNING ALL OLD *" % t)
        self.assertEqual(out["Items"], [{"pk": {"S": "a"}, "sk": {"N": "1"}, "n": {"N": "1"}}])
        self.assertIsNone(self.get(t, "a", 1))
        self.assertEqual(self.run_sql("DELETE FROM \"%s\" WHERE pk = 'a' AND sk = 1" % t)["Items"],
                         [])
        code, message = self.sql_error("DELETE FROM \"%s\" WHERE pk = 'a' AND sk = 1 RETURNING "
                                       "MODIFIED OLD *" % t)
        self.assertEqual(message, "Invalid returning clause: RETURNING MODIFIED OLD *. Only "
                                  "RETURNING ALL OLD * is allowed in DELETE statements.")

    def test_bad_statements_get_validation_errors_and_unknown_tables_not_found(self):
        t = self.create(with_range=False)
        self.run_sql("INSERT INTO \"%s\" VALUE {'pk': 'a'}" % t)
        code, message = self.sql_error("SELEC * FROM \"%s\"" % t)
        self.assertEqual((code, message), ("ValidationException",
                                           "Statement wasn't well formed, can't be processed: "
                                           "Expected data manipulation"))
        code, message = self.sql_error("SELECT * FROM \"%s\" WHERE" % t)
        self.assertTrue(message.startswith("Statement wasn't well formed, can't be processed: "))
        # A stray non-ASCII character: the error body stays UTF-8 that the client can read.
        code, message = self.sql_error("SELECT * FROM \"%s\" WHERE \u00e9 = 1" % t)
        self.assertEqual((code, message), ("ValidationException",
                                           "Statement wasn't well formed, can't be processed: "
                                           "Unexpected character: \u00e9"))
        code, message = self.sql_error("SELECT * FROM \"%s\" WHERE x = MISSING" % t)
        self.assertEqual(message, "MISSING must be compared using IS operator")
        code, message = self.sql_error("SELECT * FROM \"%s\" WHERE pk = 1" % t)
        self.assertEqual(message, "Key attribute's data type should match its data type in "
                                  "table's schema: Key pk")
        code, message = self.sql_error("EXISTS(SELECT * FROM \"%s\" WHERE pk = 'a')" % t)
        self.assertEqual(message, "EXISTS can only be used in ExecuteTransaction write requests.")
        code, _ = self.sql_error("SELECT * FROM \"nope-%s\"" % t)
        self.assertEqual(code, "ResourceNotFoundException")

    def test_comments_and_semicolon_are_allowed(self):
        t = self.create(with_range=False)
        self.run_sql("INSERT INTO \"%s\" VALUE {'pk': 'a'}" % t)
        items = self.run_sql("/* all */ SELECT * FROM \"%s\" -- everything\n;" % t)["Items"]
        self.assertEqual(items, [{"pk": {"S": "a"}}])

    # -- BatchExecuteStatement ---------------------------------------------------------------------
    def test_batch_writes_apply_each_and_report_the_failing_one(self):
        t = self.create()
        self.run_sql("INSERT INTO \"%s\" VALUE {'pk': 'dup', 'sk': 1, 'v': 'kept'}" % t)
        out = self.client.batch_execute_statement(Statements=[
            {"Statement": "INSERT INTO \"%s\" VALUE {'pk': ?, 'sk': 1}" % t,
             "Parameters": [{"S": "new"}]},
            {"Statement": "INSERT INTO \"%s\" VALUE {'pk': 'dup', 'sk': 1, 'v': 'lost'}" % t},
            {"Statement": "UPDATE \"%s\" SET v = 'x' WHERE pk = 'absent' AND sk = 1" % t},
            {"Statement": "DELETE FROM \"%s\" WHERE pk = 'dup' AND sk = 2" % t},
            {"Statement": "INSERT INTO \"nope-%s\" VALUE {'pk': 'a', 'sk': 1}" % t},
            {"Statement": "INSERT INTO oops"},
        ])["Responses"]
        self.assertEqual(out[0], {"TableName": t})
        self.assertEqual(out[1]["Error"]["Code"], "DuplicateItem")
        self.assertEqual(out[1]["TableName"], t)
        self.assertEqual(out[2]["Error"]["Code"], "ConditionalCheckFailed")
        self.assertEqual(out[3], {"TableName": t})
        self.assertEqual(out[4]["Error"]["Code"], "ResourceNotFound")
        self.assertEqual(out[5]["Error"]["Code"], "ValidationError")
        self.assertIsNotNone(self.get(t, "new", 1))
        self.assertEqual(self.get(t, "dup", 1)["v"], {"S": "kept"})
        self.assertIsNone(self.get(t, "absent", 1))

    def test_batch_reads_get_items_by_full_key(self):
        t = self.create()
        self.run_sql("INSERT INTO \"%s\" VALUE {'pk': 'a', 'sk': 1, 'v': 1}" % t)
        out = self.client.batch_execute_statement(Statements=[
            {"Statement": "SELECT * FROM \"%s\" WHERE pk = 'a' AND sk = 1" % t,
             "ConsistentRead": True},
            {"Statement": "SELECT v FROM \"%s\" WHERE pk = ? AND sk = ?" % t,
             "Parameters": [{"S": "a"}, {"N": "1"}]},
            {"Statement": "SELECT * FROM \"%s\" WHERE pk = 'missing' AND sk = 1" % t},
            {"Statement": "SELECT * FROM \"%s\" WHERE pk = 'a'" % t},
        ])["Responses"]
        self.assertEqual(out[0]["Item"], {"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"N": "1"}})
        self.assertEqual(out[1], {"TableName": t, "Item": {"v": {"N": "1"}}})
        self.assertEqual(out[2], {"TableName": t})
        self.assertEqual(out[3]["Error"]["Code"], "ValidationError")

    def test_batch_limits_and_mixing_reads_with_writes(self):
        t = self.create()
        read = {"Statement": "SELECT * FROM \"%s\" WHERE pk = 'a' AND sk = 1" % t}
        write = {"Statement": "INSERT INTO \"%s\" VALUE {'pk': 'a', 'sk': 1}" % t}
        response = self.error(self.client.batch_execute_statement, Statements=[read, write])
        self.assertEqual(response["Error"]["Code"], "ValidationException")
        self.assertEqual(response["Error"]["Message"],
                         "Read and write requests together in the same batch is not supported.")
        self.assertIsNone(self.get(t, "a", 1))
        response = self.error(self.client.batch_execute_statement, Statements=[read] * 26)
        self.assertEqual(response["Error"]["Code"], "ValidationException")

    # -- ExecuteTransaction ------------------------------------------------------------------------
    def test_transaction_of_writes_applies_all(self):
        t = self.create()
        self.run_sql("INSERT INTO \"%s\" VALUE {'pk': 'u', 'sk': 1, 'n': 1}" % t)
        self.run_sql("INSERT INTO \"%s\" VALUE {'pk': 'd', 'sk': 1}" % t)
        self.run_sql("INSERT INTO \"%s\" VALUE {'pk': 'c', 'sk': 1, 'ok': true}" % t)
        self.client.execute_transaction(TransactStatements=[
            {"Statement": "INSERT INTO \"%s\" VALUE {'pk': 'i', 'sk': 1}" % t},
            {"Statement": "UPDATE \"%s\" SET n = n + 1 WHERE pk = ? AND sk = 1" % t,
             "Parameters": [{"S": "u"}]},
            {"Statement": "DELETE FROM \"%s\" WHERE pk = 'd' AND sk = 1" % t},
            {"Statement": "EXISTS(SELECT * FROM \"%s\" WHERE pk = 'c' AND sk = 1 AND ok = true)"
                          % t},
        ])
        self.assertIsNotNone(self.get(t, "i", 1))
        self.assertEqual(self.get(t, "u", 1)["n"], {"N": "2"})
        self.assertIsNone(self.get(t, "d", 1))

    def test_transactions_report_consumed_capacity(self):
        # ExecuteTransaction's output has ConsumedCapacity (one per table) when asked for, as
        # TransactWriteItems and TransactGetItems have: two units per transactional item.
        t = self.create()
        self.run_sql("INSERT INTO \"%s\" VALUE {'pk': 'u', 'sk': 1}" % t)
        out = self.client.execute_transaction(TransactStatements=[
            {"Statement": "INSERT INTO \"%s\" VALUE {'pk': 'i', 'sk': 1}" % t},
            {"Statement": "UPDATE \"%s\" SET n = 1 WHERE pk = 'u' AND sk = 1" % t},
        ], ReturnConsumedCapacity="TOTAL")
        self.assertEqual(out["ConsumedCapacity"], [{"TableName": t, "CapacityUnits": 4.0,
                                                     "WriteCapacityUnits": 4.0}])
        out = self.client.execute_transaction(TransactStatements=[
            {"Statement": "SELECT * FROM \"%s\" WHERE pk = 'u' AND sk = 1" % t},
        ], ReturnConsumedCapacity="TOTAL")
        self.assertEqual(out["ConsumedCapacity"], [{"TableName": t, "CapacityUnits": 2.0,
                                                     "ReadCapacityUnits": 2.0}])
        out = self.client.execute_transaction(TransactStatements=[
            {"Statement": "SELECT * FROM \"%s\" WHERE pk = 'u' AND sk = 1" % t}])
        self.assertNotIn("ConsumedCapacity", out)

    def test_transaction_cancellation_reports_reasons_and_writes_nothing(self):
        t = self.create()
        self.run_sql("INSERT INTO \"%s\" VALUE {'pk': 'dup', 'sk': 1, 'n': 1}" % t)
        self.run_sql("INSERT INTO \"%s\" VALUE {'pk': 'c', 'sk': 1, 'ok': false}" % t)
        response = self.error(self.client.execute_transaction, TransactStatements=[
            {"Statement": "INSERT INTO \"%s\" VALUE {'pk': 'new', 'sk': 1}" % t},
            {"Statement": "INSERT INTO \"%s\" VALUE {'pk': 'dup', 'sk': 1}" % t},
            {"Statement": "UPDATE \"%s\" SET n = 1 WHERE pk = 'absent' AND sk = 1" % t},
            {"Statement": "EXISTS(SELECT * FROM \"%s\" WHERE pk = 'c' AND sk = 1 AND ok = true)"
                          % t},
            {"Statement": "UPDATE \"%s\" SET n = 5 WHERE pk = 'dup' AND sk = 2 AND n = 9" % t,
             "ReturnValuesOnConditionCheckFailure": "ALL_OLD"},
        ])
        self.assertEqual(response["Error"]["Code"], "TransactionCanceledException")
        codes = [r["Code"] for r in response["CancellationReasons"]]
        self.assertEqual(codes, ["None", "DuplicateItem", "ConditionalCheckFailed",
                                 "ConditionalCheckFailed", "ConditionalCheckFailed"])
        self.assertIn("[None, DuplicateItem, ConditionalCheckFailed", response["Error"]["Message"])
        self.assertIsNone(self.get(t, "new", 1))
        self.assertIsNone(self.get(t, "absent", 1))

    def test_transaction_client_request_token_is_idempotent(self):
        t = self.create()
        self.run_sql("INSERT INTO \"%s\" VALUE {'pk': 'a', 'sk': 1, 'n': 0}" % t)
        statements = [{"Statement": "UPDATE \"%s\" SET n = n + 1 WHERE pk = 'a' AND sk = 1" % t}]
        token = uuid.uuid4().hex
        self.client.execute_transaction(TransactStatements=statements, ClientRequestToken=token)
        self.client.execute_transaction(TransactStatements=statements, ClientRequestToken=token)
        self.assertEqual(self.get(t, "a", 1)["n"], {"N": "1"})
        other = [{"Statement": "UPDATE \"%s\" SET n = n + 5 WHERE pk = 'a' AND sk = 1" % t}]
        response = self.error(self.client.execute_transaction, TransactStatements=other,
                              ClientRequestToken=token)
        self.assertEqual(response["Error"]["Code"], "IdempotentParameterMismatchException")
        self.client.execute_transaction(TransactStatements=statements)
        self.assertEqual(self.get(t, "a", 1)["n"], {"N": "2"})

    def test_transaction_of_reads_and_refused_mixes(self):
        t = self.create()
        self.run_sql("INSERT INTO \"%s\" VALUE {'pk': 'a', 'sk': 1, 'v': 'x'}" % t)
        out = self.client.execute_transaction(TransactStatements=[
            {"Statement": "SELECT v FROM \"%s\" WHERE pk = 'a' AND sk = 1" % t},
            {"Statement": "SELECT * FROM \"%s\" WHERE pk = 'b' AND sk = 1" % t},
        ])["Responses"]
        self.assertEqual(out, [{"Item": {"v": {"S": "x"}}}, {}])
        response = self.error(self.client.execute_transaction, TransactStatements=[
            {"Statement": "SELECT * FROM \"%s\" WHERE pk = 'a' AND sk = 1" % t},
            {"Statement": "INSERT INTO \"%s\" VALUE {'pk': 'z', 'sk': 1}" % t},
        ])
        self.assertEqual(response["Error"]["Message"],
                         "ExecuteTransaction API does not support both read and write operations "
                         "in the same request.")
        self.assertIsNone(self.get(t, "z", 1))
        response = self.error(self.client.execute_transaction, TransactStatements=[
            {"Statement": "SELECT * FROM \"%s\" WHERE pk = 'a'" % t}])
        self.assertEqual(response["Error"]["Message"],
                         "Select statements within ExecuteTransaction must specify the primary "
                         "key in the where clause.")
        response = self.error(self.client.execute_transaction, TransactStatements=[
            {"Statement": "INSERT INTO \"%s\" VALUE {'pk': 'y', 'sk': 1}" % t},
            {"Statement": "UPDATE \"%s\" SET v = 'y' WHERE pk = 'y' AND sk = 1" % t}])
        self.assertEqual(response["Error"]["Code"], "ValidationException")
        response = self.error(self.client.execute_transaction, TransactStatements=[
            {"Statement": "UPDATE \"%s\" SET v = 'y' WHERE pk = 'a' AND sk = 1 RETURNING ALL NEW *"
                          % t}])
        self.assertEqual(response["Error"]["Code"], "ValidationException")
        self.assertEqual(self.get(t, "a", 1)["v"], {"S": "x"})
        self.assertIsNone(self.get(t, "y", 1))


if __name__ == "__main__":
    unittest.main()
