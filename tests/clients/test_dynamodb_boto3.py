"""boto3 (client and resource APIs) against nimbus DynamoDB.

Each test names the behaviour of the DynamoDB API reference / developer guide it reproduces
(https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/ and .../developerguide/).
"""
import decimal
import unittest

import boto3
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from harness import ACCESS_KEY, Nimbus, SECOND_ACCESS_KEY, SECOND_SECRET_KEY, SECRET_KEY, unique


def session_kwargs(server, key=ACCESS_KEY, secret=SECRET_KEY):
    return dict(endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id=key,
                aws_secret_access_key=secret)


class DynamoDbBoto3Tests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Nimbus()
        cls.client = boto3.client("dynamodb", **session_kwargs(cls.server))
        cls.resource = boto3.resource("dynamodb", **session_kwargs(cls.server))

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def create(self, range_type=None, **extra):
        name = unique("tbl")
        keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
        defs = [{"AttributeName": "pk", "AttributeType": "S"}]
        if range_type:
            keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
            defs.append({"AttributeName": "sk", "AttributeType": range_type})
        defs += extra.pop("extra_defs", [])
        table = self.resource.create_table(TableName=name, KeySchema=keys,
                                           AttributeDefinitions=defs,
                                           BillingMode="PAY_PER_REQUEST", **extra)
        table.wait_until_exists()
        return table

    def error(self, fn, *args, **kwargs):
        with self.assertRaises(ClientError) as cm:
            fn(*args, **kwargs)
        return cm.exception.response["Error"]["Code"], cm.exception.response["Error"]["Message"]

    # -- tables ---------------------------------------------------------------------------------
    def test_create_describe_list_delete_table_with_waiters(self):
        table = self.create("N")
        desc = self.client.describe_table(TableName=table.name)["Table"]
        self.assertEqual(desc["TableStatus"], "ACTIVE")
        self.assertEqual(desc["ItemCount"], 0)
        self.assertTrue(desc["TableArn"].endswith(":table/" + table.name))
        self.assertIn(table.name, self.client.list_tables()["TableNames"])
        code, _ = self.error(self.client.create_table, TableName=table.name,
                             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                             BillingMode="PAY_PER_REQUEST")
        self.assertEqual(code, "ResourceInUseException")
        table.delete()
        self.client.get_waiter("table_not_exists").wait(TableName=table.name)
        code, _ = self.error(self.client.describe_table, TableName=table.name)
        self.assertEqual(code, "ResourceNotFoundException")

    def test_list_tables_pages(self):
        names = sorted(self.create().name for _ in range(3))
        seen, start = [], None
        while True:
            kwargs = {"Limit": 2}
            if start:
                kwargs["ExclusiveStartTableName"] = start
            page = self.client.list_tables(**kwargs)
            seen += page["TableNames"]
            start = page.get("LastEvaluatedTableName")
            if not start:
                break
        for n in names:
            self.assertIn(n, seen)

    def test_create_table_validation(self):
        code, message = self.error(
            self.client.create_table, TableName="bad",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "other", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST")
        self.assertEqual(code, "ValidationException")
        self.assertIn("Some index key attributes are not defined in AttributeDefinitions", message)
        code, message = self.error(
            self.client.create_table, TableName="bad",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
        self.assertIn("ReadCapacityUnits and WriteCapacityUnits must both be specified", message)

    def test_tags_limits_endpoints_ttl(self):
        table = self.create()
        arn = table.table_arn
        self.client.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"},
                                                        {"Key": "team", "Value": "a"}])
        self.client.untag_resource(ResourceArn=arn, TagKeys=["team"])
        self.assertEqual(self.client.list_tags_of_resource(ResourceArn=arn)["Tags"],
                         [{"Key": "env", "Value": "dev"}])
        limits = self.client.describe_limits()
        self.assertEqual(limits["TableMaxReadCapacityUnits"], 40000)
        self.assertTrue(self.client.describe_endpoints()["Endpoints"][0]["Address"])
        self.client.update_time_to_live(TableName=table.name, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": "expires"})
        ttl = self.client.describe_time_to_live(TableName=table.name)["TimeToLiveDescription"]
        self.assertEqual(ttl, {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"})

    # -- items ----------------------------------------------------------------------------------
    def test_put_get_all_types_and_number_normalization(self):
        table = self.create()
        item = {"pk": "k", "s": "", "n": decimal.Decimal("1.500"), "b": b"\x00\xff",
                "ss": {"a", "b"}, "ns": {1, 2}, "bs": {b"x"}, "m": {"x": [1, "two", None, True]},
                "big": decimal.Decimal("1E+20"), "neg": decimal.Decimal("-0.0100")}
        table.put_item(Item=item)
        got = table.get_item(Key={"pk": "k"}, ConsistentRead=True)["Item"]
        self.assertEqual(got["n"], decimal.Decimal("1.5"))
        self.assertEqual(got["b"].value, b"\x00\xff")
        self.assertEqual(got["ss"], {"a", "b"})
        self.assertEqual(got["m"], {"x": [1, "two", None, True]})
        raw = self.client.get_item(TableName=table.name, Key={"pk": {"S": "k"}})["Item"]
        self.assertEqual(raw["big"], {"N": "100000000000000000000"})
        self.assertEqual(raw["neg"], {"N": "-0.01"})

    def test_item_validation_messages(self):
        table = self.create("N")
        cases = [
            ({"pk": {"S": "a"}}, "One or more parameter values were invalid: Missing the key sk in the item"),
            ({"pk": {"S": "a"}, "sk": {"S": "x"}},
             "One or more parameter values were invalid: Type mismatch for key sk expected: N actual: S"),
            ({"pk": {"S": ""}, "sk": {"N": "1"}},
             "One or more parameter values are not valid. The AttributeValue for a key attribute "
             "cannot contain an empty string value. Key: pk"),
            ({"pk": {"S": "a"}, "sk": {"N": "x1"}},
             "The parameter cannot be converted to a numeric value: x1"),
            ({"pk": {"S": "a"}, "sk": {"N": "1"}, "ss": {"SS": []}},
             "One or more parameter values were invalid: An string set  may not be empty"),
            ({"pk": {"S": "a"}, "sk": {"N": "1"}, "big": {"S": "x" * 410000}},
             "Item size has exceeded the maximum allowed size"),
        ]
        for item, message in cases:
            code, got = self.error(self.client.put_item, TableName=table.name, Item=item)
            self.assertEqual((code, got), ("ValidationException", message))
        code, message = self.error(self.client.get_item, TableName=table.name,
                                   Key={"pk": {"S": "a"}})
        self.assertEqual(message, "The provided key element does not match the schema")
        self.assertEqual(table.scan()["Count"], 0)

    def test_conditional_writes_and_return_values(self):
        table = self.create()
        table.put_item(Item={"pk": "a", "v": 1})
        code, message = self.error(table.put_item, Item={"pk": "a", "v": 2},
                                   ConditionExpression=Attr("pk").not_exists())
        self.assertEqual((code, message),
                         ("ConditionalCheckFailedException", "The conditional request failed"))
        old = table.put_item(Item={"pk": "a", "v": 3}, ReturnValues="ALL_OLD",
                             ConditionExpression=Attr("v").eq(1))["Attributes"]
        self.assertEqual(old["v"], 1)
        r = table.update_item(Key={"pk": "a"}, UpdateExpression="SET v = v + :d, w = :w",
                              ExpressionAttributeValues={":d": 10, ":w": "x"},
                              ReturnValues="UPDATED_NEW")
        self.assertEqual(r["Attributes"], {"v": 13, "w": "x"})
        r = table.update_item(Key={"pk": "a"}, UpdateExpression="REMOVE w",
                              ReturnValues="UPDATED_OLD")
        self.assertEqual(r["Attributes"], {"w": "x"})
        deleted = table.delete_item(Key={"pk": "a"}, ReturnValues="ALL_OLD")["Attributes"]
        self.assertEqual(deleted, {"pk": "a", "v": 13})
        self.assertNotIn("Item", table.get_item(Key={"pk": "a"}))

    def test_update_expression_errors(self):
        table = self.create()
        code, message = self.error(table.update_item, Key={"pk": "a"},
                                   UpdateExpression="SET status = :s",
                                   ExpressionAttributeValues={":s": "x"})
        self.assertEqual(message, "Invalid UpdateExpression: Attribute name is a reserved keyword; "
                                  "reserved keyword: status")
        code, message = self.error(table.update_item, Key={"pk": "a"},
                                   UpdateExpression="SET a = :a",
                                   ExpressionAttributeValues={":a": 1, ":b": 2})
        self.assertEqual(message, "Value provided in ExpressionAttributeValues unused in "
                                  "expressions: keys: {:b}")
        code, message = self.error(table.update_item, Key={"pk": "a"},
                                   UpdateExpression="SET pk = :a",
                                   ExpressionAttributeValues={":a": "b"})
        self.assertEqual(message, "One or more parameter values were invalid: Cannot update "
                                  "attribute pk. This attribute is part of the key")
        self.assertEqual(table.scan()["Count"], 0)

    # -- query and scan -------------------------------------------------------------------------
    def test_query_ranges_order_and_paging(self):
        table = self.create("N")
        with table.batch_writer() as batch:
            for i in range(-20, 30):
                batch.put_item(Item={"pk": "p", "sk": decimal.Decimal(i) / 4, "odd": i % 2})
            batch.put_item(Item={"pk": "other", "sk": 0})
        items = table.query(KeyConditionExpression=Key("pk").eq("p") &
                            Key("sk").between(decimal.Decimal("-1.5"), 2))["Items"]
        self.assertEqual([i["sk"] for i in items],
                         [decimal.Decimal(i) / 4 for i in range(-6, 9)])
        desc = table.query(KeyConditionExpression=Key("pk").eq("p") & Key("sk").lt(-4),
                           ScanIndexForward=False)["Items"]
        self.assertEqual([i["sk"] for i in desc], [decimal.Decimal(i) / 4 for i in range(-17, -21, -1)])
        seen, start = [], None
        while True:
            kwargs = dict(KeyConditionExpression=Key("pk").eq("p"), Limit=7,
                          FilterExpression=Attr("odd").eq(1))
            if start:
                kwargs["ExclusiveStartKey"] = start
            page = table.query(**kwargs)
            seen += page["Items"]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        self.assertEqual(len(seen), 25)
        count = table.query(KeyConditionExpression=Key("pk").eq("p"), Select="COUNT")
        self.assertEqual((count["Count"], "Items" in count), (50, False))

    def test_query_begins_with_on_strings_and_key_condition_errors(self):
        table = self.create("S")
        for sk in ["a", "ab", "abc", "abd", "b", "\u00e9"]:
            table.put_item(Item={"pk": "p", "sk": sk})
        items = table.query(KeyConditionExpression=Key("pk").eq("p") &
                            Key("sk").begins_with("ab"))["Items"]
        self.assertEqual([i["sk"] for i in items], ["ab", "abc", "abd"])
        last = table.query(KeyConditionExpression=Key("pk").eq("p"), ScanIndexForward=False,
                           Limit=1)["Items"][0]["sk"]
        self.assertEqual(last, "\u00e9")  # UTF-8 byte order
        code, message = self.error(table.query, KeyConditionExpression=Key("sk").eq("a"))
        self.assertEqual(message, "Query condition missed key schema element: pk")

    def test_scan_filters_projection_and_parallel_segments(self):
        table = self.create()
        with table.batch_writer() as batch:
            for i in range(40):
                batch.put_item(Item={"pk": "k%d" % i, "n": i, "m": {"a": i, "b": "x"}})
        r = table.scan(FilterExpression=Attr("n").gte(35), ProjectionExpression="m.a")
        self.assertEqual(sorted(i["m"]["a"] for i in r["Items"]), [35, 36, 37, 38, 39])
        self.assertEqual(r["ScannedCount"], 40)
        total = 0
        for segment in range(3):
            total += table.scan(Segment=segment, TotalSegments=3)["Count"]
        self.assertEqual(total, 40)

    def test_one_megabyte_pages(self):
        table = self.create()
        with table.batch_writer() as batch:
            for i in range(30):
                batch.put_item(Item={"pk": "k%02d" % i, "blob": "x" * 100000})
        first = table.scan()
        self.assertLess(first["Count"], 30)
        self.assertIn("LastEvaluatedKey", first)
        self.assertLessEqual(first["Count"], 11)  # pages stop at 1 MB
        total, start = first["Count"], first["LastEvaluatedKey"]
        while start:
            page = table.scan(ExclusiveStartKey=start)
            total += page["Count"]
            start = page.get("LastEvaluatedKey")
        self.assertEqual(total, 30)

    # -- indexes --------------------------------------------------------------------------------
    def test_global_and_local_secondary_indexes(self):
        table = self.create(
            "S", extra_defs=[{"AttributeName": "g", "AttributeType": "S"},
                             {"AttributeName": "score", "AttributeType": "N"}],
            GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [
                {"AttributeName": "g", "KeyType": "HASH"},
                {"AttributeName": "score", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"}}],
            LocalSecondaryIndexes=[{"IndexName": "by-score", "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "score", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"}}])
        for i in range(6):
            table.put_item(Item={"pk": "p", "sk": "s%d" % i, "g": "even" if i % 2 == 0 else "odd",
                                 "score": 10 - i, "extra": "e"})
        table.put_item(Item={"pk": "p", "sk": "sparse"})  # no index keys: not in the indexes
        r = table.query(IndexName="by-g", KeyConditionExpression=Key("g").eq("even"))
        self.assertEqual([i["score"] for i in r["Items"]], [6, 8, 10])
        self.assertNotIn("extra", r["Items"][0])
        r = table.query(IndexName="by-score", KeyConditionExpression=Key("pk").eq("p") &
                        Key("score").gt(7))
        self.assertEqual([i["sk"] for i in r["Items"]], ["s2", "s1", "s0"])
        table.update_item(Key={"pk": "p", "sk": "s0"}, UpdateExpression="SET g = :o",
                          ExpressionAttributeValues={":o": "odd"})
        r = table.query(IndexName="by-g", KeyConditionExpression=Key("g").eq("odd"))
        self.assertEqual(r["Count"], 4)
        code, message = self.error(table.query, IndexName="by-g", ConsistentRead=True,
                                   KeyConditionExpression=Key("g").eq("odd"))
        self.assertEqual(message, "Consistent reads are not supported on global secondary indexes")

    def test_update_table_adds_gsi_with_backfill_and_deletes_it(self):
        table = self.create()
        for i in range(5):
            table.put_item(Item={"pk": "k%d" % i, "color": "red" if i < 3 else "blue"})
        self.client.update_table(
            TableName=table.name,
            AttributeDefinitions=[{"AttributeName": "color", "AttributeType": "S"}],
            GlobalSecondaryIndexUpdates=[{"Create": {
                "IndexName": "by-color",
                "KeySchema": [{"AttributeName": "color", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"}}}])
        r = table.query(IndexName="by-color", KeyConditionExpression=Key("color").eq("red"))
        self.assertEqual(r["Count"], 3)
        self.client.update_table(TableName=table.name, GlobalSecondaryIndexUpdates=[
            {"Delete": {"IndexName": "by-color"}}])
        code, _ = self.error(table.query, IndexName="by-color",
                             KeyConditionExpression=Key("color").eq("red"))
        self.assertEqual(code, "ValidationException")

    # -- batches and transactions ---------------------------------------------------------------
    def test_batch_get_and_write_limits(self):
        table = self.create()
        with table.batch_writer() as batch:
            for i in range(10):
                batch.put_item(Item={"pk": "k%d" % i})
        r = self.resource.batch_get_item(RequestItems={table.name: {
            "Keys": [{"pk": "k%d" % i} for i in range(12)]}})
        self.assertEqual(len(r["Responses"][table.name]), 10)
        self.assertEqual(r["UnprocessedKeys"], {})
        code, message = self.error(self.client.batch_write_item, RequestItems={table.name: [
            {"PutRequest": {"Item": {"pk": {"S": "x%d" % i}}}} for i in range(26)]})
        self.assertEqual(message, "Too many items requested for the BatchWriteItem call")
        code, message = self.error(self.client.batch_get_item, RequestItems={table.name: {
            "Keys": [{"pk": {"S": "x%d" % i}} for i in range(101)]}})
        self.assertEqual(message, "Too many items requested for the BatchGetItem call")

    def test_transactions_are_atomic(self):
        table = self.create()
        table.put_item(Item={"pk": "acct-a", "balance": 100})
        table.put_item(Item={"pk": "acct-b", "balance": 0})
        def transfer(amount):
            self.client.transact_write_items(TransactItems=[
                {"Update": {"TableName": table.name, "Key": {"pk": {"S": "acct-a"}},
                            "UpdateExpression": "SET balance = balance - :a",
                            "ConditionExpression": "balance >= :a",
                            "ExpressionAttributeValues": {":a": {"N": str(amount)}}}},
                {"Update": {"TableName": table.name, "Key": {"pk": {"S": "acct-b"}},
                            "UpdateExpression": "SET balance = balance + :a",
                            "ExpressionAttributeValues": {":a": {"N": str(amount)}}}}])
        transfer(60)
        code, message = self.error(transfer, 60)
        self.assertEqual(code, "TransactionCanceledException")
        self.assertIn("[ConditionalCheckFailed, None]", message)
        r = self.client.transact_get_items(TransactItems=[
            {"Get": {"TableName": table.name, "Key": {"pk": {"S": "acct-a"}}}},
            {"Get": {"TableName": table.name, "Key": {"pk": {"S": "acct-b"}}}}])
        self.assertEqual([x["Item"]["balance"]["N"] for x in r["Responses"]], ["40", "60"])

    def test_legacy_parameters(self):
        table = self.create("N")
        self.client.put_item(TableName=table.name, Item={"pk": {"S": "a"}, "sk": {"N": "1"},
                                                          "v": {"N": "5"}},
                             Expected={"pk": {"Exists": False}})
        self.client.update_item(TableName=table.name, Key={"pk": {"S": "a"}, "sk": {"N": "1"}},
                                AttributeUpdates={"v": {"Action": "ADD", "Value": {"N": "2"}},
                                                  "w": {"Action": "PUT", "Value": {"S": "x"}}},
                                Expected={"v": {"ComparisonOperator": "EQ",
                                                "AttributeValueList": [{"N": "5"}]}})
        r = self.client.query(TableName=table.name, KeyConditions={
            "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]},
            "sk": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "0"}]}},
            QueryFilter={"v": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "6"}]}},
            AttributesToGet=["v", "w"])
        self.assertEqual(r["Items"], [{"v": {"N": "7"}, "w": {"S": "x"}}])
        code, message = self.error(self.client.put_item, TableName=table.name,
                                   Item={"pk": {"S": "a"}, "sk": {"N": "1"}},
                                   Expected={"pk": {"Exists": False}},
                                   ConditionExpression="attribute_not_exists(pk)")
        self.assertIn("Can not use both expression and non-expression parameters", message)

    def test_consumed_capacity(self):
        table = self.create()
        r = self.client.put_item(TableName=table.name, Item={"pk": {"S": "a"},
                                                              "d": {"S": "x" * 1500}},
                                 ReturnConsumedCapacity="TOTAL")
        self.assertEqual(r["ConsumedCapacity"], {"TableName": table.name, "CapacityUnits": 2.0})
        r = self.client.get_item(TableName=table.name, Key={"pk": {"S": "a"}},
                                 ReturnConsumedCapacity="TOTAL")
        self.assertEqual(r["ConsumedCapacity"]["CapacityUnits"], 0.5)

    # -- auth, accounts, persistence ------------------------------------------------------------
    def test_auth_errors_and_account_isolation(self):
        table = self.create()
        bad = boto3.client("dynamodb", **session_kwargs(self.server, key="AKIANOTAREALKEY00000"))
        code, message = self.error(bad.list_tables)
        self.assertEqual((code, message), ("UnrecognizedClientException",
                                           "The security token included in the request is invalid."))
        wrong = boto3.client("dynamodb", **session_kwargs(self.server, secret="wrong"))
        self.assertEqual(self.error(wrong.list_tables)[0], "InvalidSignatureException")
        other = boto3.client("dynamodb", **session_kwargs(self.server, SECOND_ACCESS_KEY,
                                                          SECOND_SECRET_KEY))
        self.assertNotIn(table.name, other.list_tables()["TableNames"])

    def test_persistence_across_restart_and_kill9(self):
        table = self.create("N")
        table.put_item(Item={"pk": "a", "sk": 1, "v": "one"})
        self.server.restart()
        self.assertEqual(table.get_item(Key={"pk": "a", "sk": 1})["Item"]["v"], "one")
        table.put_item(Item={"pk": "a", "sk": 2, "v": "two"})
        self.server.kill9()
        self.server.start()
        r = table.query(KeyConditionExpression=Key("pk").eq("a"))
        self.assertEqual([i["v"] for i in r["Items"]], ["one", "two"])
        self.assertEqual(self.client.describe_table(TableName=table.name)["Table"]["ItemCount"], 2)


if __name__ == "__main__":
    unittest.main()
