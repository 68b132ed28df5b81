"""boto3 against nimbus DynamoDB: error bodies with extra members (CancellationReasons, Item),
TransactWriteItems ClientRequestToken idempotency, and Time to Live expiry.

References: DynamoDB API reference, TransactWriteItems ("CancellationReasons",
"ClientRequestToken"), PutItem ("ReturnValuesOnConditionCheckFailure"), and the developer guide's
"Time to Live (TTL)" chapter.
"""
import time
import unittest
import uuid

from botocore.exceptions import ClientError

from harness import boto3_client, ServerTestCase, unique


class DynamoDbExtrasTests(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client = boto3_client(cls.server, "dynamodb")

    def create(self):
        name = unique("tbl")
        self.client.create_table(TableName=name,
                                 KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                                 AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                                 BillingMode="PAY_PER_REQUEST")
        self.client.get_waiter("table_exists").wait(TableName=name)
        return name

    def error(self, fn, **kwargs):
        with self.assertRaises(ClientError) as cm:
            fn(**kwargs)
        return cm.exception.response

    # -- error bodies ------------------------------------------------------------------------
    def test_conditional_check_failed_returns_old_item_when_asked(self):
        t = self.create()
        item = {"pk": {"S": "a"}, "n": {"N": "1"}, "b": {"B": b"\x00\x01"}}
        self.client.put_item(TableName=t, Item=item)
        r = self.error(self.client.put_item, TableName=t, Item={"pk": {"S": "a"}},
                       ConditionExpression="attribute_not_exists(pk)",
                       ReturnValuesOnConditionCheckFailure="ALL_OLD")
        self.assertEqual(r["Error"]["Code"], "ConditionalCheckFailedException")
        self.assertEqual(r["Item"], item)
        # Without the parameter (or NONE) there is no Item; nothing was changed.
        r = self.error(self.client.delete_item, TableName=t, Key={"pk": {"S": "a"}},
                       ConditionExpression="n = :two",
                       ExpressionAttributeValues={":two": {"N": "2"}})
        self.assertNotIn("Item", r)
        r = self.error(self.client.update_item, TableName=t, Key={"pk": {"S": "a"}},
                       UpdateExpression="SET n = :two", ConditionExpression="n = :two",
                       ExpressionAttributeValues={":two": {"N": "2"}},
                       ReturnValuesOnConditionCheckFailure="ALL_OLD")
        self.assertEqual(r["Item"], item)
        # No old item: the failure carries no Item.
        r = self.error(self.client.delete_item, TableName=t, Key={"pk": {"S": "zz"}},
                       ConditionExpression="attribute_exists(pk)",
                       ReturnValuesOnConditionCheckFailure="ALL_OLD")
        self.assertNotIn("Item", r)
        self.assertEqual(self.client.get_item(TableName=t, Key={"pk": {"S": "a"}})["Item"], item)

    def test_transaction_canceled_carries_cancellation_reasons(self):
        t = self.create()
        self.client.put_item(TableName=t, Item={"pk": {"S": "x"}, "v": {"N": "1"}})
        r = self.error(self.client.transact_write_items, TransactItems=[
            {"Put": {"TableName": t, "Item": {"pk": {"S": "new"}}}},
            {"ConditionCheck": {"TableName": t, "Key": {"pk": {"S": "x"}},
                                "ConditionExpression": "v = :two",
                                "ExpressionAttributeValues": {":two": {"N": "2"}},
                                "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
            {"Delete": {"TableName": t, "Key": {"pk": {"S": "missing"}},
                        "ConditionExpression": "attribute_exists(pk)"}},
        ])
        self.assertEqual(r["Error"]["Code"], "TransactionCanceledException")
        self.assertEqual(r["CancellationReasons"], [
            {"Code": "None"},
            {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed",
             "Item": {"pk": {"S": "x"}, "v": {"N": "1"}}},
            {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"},
        ])
        self.assertIn("[None, ConditionalCheckFailed, ConditionalCheckFailed]",
                      r["Error"]["Message"])
        self.assertNotIn("Item", self.client.get_item(TableName=t, Key={"pk": {"S": "new"}}))

    def test_invalid_return_values_on_condition_check_failure(self):
        t = self.create()
        r = self.error(self.client.put_item, TableName=t, Item={"pk": {"S": "a"}},
                       ReturnValuesOnConditionCheckFailure="ALL_NEW")
        self.assertEqual(r["Error"]["Code"], "ValidationException")
        self.assertNotIn("Item", self.client.get_item(TableName=t, Key={"pk": {"S": "a"}}))

    # -- ClientRequestToken ------------------------------------------------------------------
    def test_transact_write_client_request_token_is_idempotent(self):
        t = self.create()
        items = [{"Update": {"TableName": t, "Key": {"pk": {"S": "c"}},
                             "UpdateExpression": "ADD n :one",
                             "ExpressionAttributeValues": {":one": {"N": "1"}}}}]
        token = uuid.uuid4().hex
        for _ in range(3):
            self.client.transact_write_items(TransactItems=items, ClientRequestToken=token)
        got = self.client.get_item(TableName=t, Key={"pk": {"S": "c"}})["Item"]
        self.assertEqual(got["n"], {"N": "1"})  # applied once
        other = [{"Put": {"TableName": t, "Item": {"pk": {"S": "d"}}}}]
        r = self.error(self.client.transact_write_items, TransactItems=other,
                       ClientRequestToken=token)
        self.assertEqual(r["Error"]["Code"], "IdempotentParameterMismatchException")
        self.assertNotIn("Item", self.client.get_item(TableName=t, Key={"pk": {"S": "d"}}))
        # A new token applies again; no token applies every time.
        self.client.transact_write_items(TransactItems=items, ClientRequestToken=uuid.uuid4().hex)
        self.client.transact_write_items(TransactItems=items)
        got = self.client.get_item(TableName=t, Key={"pk": {"S": "c"}})["Item"]
        self.assertEqual(got["n"], {"N": "3"})

    def test_cancelled_transaction_does_not_consume_its_token(self):
        t = self.create()
        token = uuid.uuid4().hex
        items = [{"Put": {"TableName": t, "Item": {"pk": {"S": "e"}},
                          "ConditionExpression": "attribute_exists(pk)"}}]
        self.error(self.client.transact_write_items, TransactItems=items, ClientRequestToken=token)
        # The token was not recorded, so a different request with it is accepted.
        self.client.transact_write_items(
            TransactItems=[{"Put": {"TableName": t, "Item": {"pk": {"S": "f"}}}}],
            ClientRequestToken=token)
        self.assertIn("Item", self.client.get_item(TableName=t, Key={"pk": {"S": "f"}}))

    # -- Time to Live ------------------------------------------------------------------------
    def test_expired_items_are_deleted_in_the_background(self):
        t = self.create()
        self.client.update_time_to_live(
            TableName=t, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
        now = int(time.time())
        put = lambda pk, **a: self.client.put_item(TableName=t, Item=dict(pk={"S": pk}, **a))
        put("soon", exp={"N": str(now + 1)})
        put("past", exp={"N": str(now - 100)})
        put("later", exp={"N": str(now + 3600)})
        put("string", exp={"S": str(now - 100)})       # not a number: never expires
        put("ancient", exp={"N": str(now - 6 * 366 * 86400)})  # > 5 years ago: ignored
        put("none")
        deadline = time.time() + 10
        while time.time() < deadline:
            keys = {i["pk"]["S"] for i in self.client.scan(TableName=t)["Items"]}
            if keys == {"later", "string", "ancient", "none"}:
                break
            time.sleep(0.25)
        self.assertEqual(keys, {"later", "string", "ancient", "none"})
        self.assertEqual(self.client.describe_table(TableName=t)["Table"]["ItemCount"], 4)

    def test_tables_without_ttl_keep_expired_looking_items(self):
        t = self.create()
        self.client.put_item(TableName=t, Item={"pk": {"S": "a"}, "exp": {"N": "1"}})
        self.client.update_time_to_live(
            TableName=t, TimeToLiveSpecification={"Enabled": True, "AttributeName": "other"})
        time.sleep(2.5)
        self.assertIn("Item", self.client.get_item(TableName=t, Key={"pk": {"S": "a"}}))


if __name__ == "__main__":
    unittest.main()
