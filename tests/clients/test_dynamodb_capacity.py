"""boto3 against nimbus DynamoDB: ConsumedCapacity of writes and reads on a table with a global
and a local secondary index, and of transactions.

References: the developer guide's "Provisioned throughput considerations for global secondary
indexes" and for local ones (a write to the table also writes every index whose stored entry
it changes: one write for an entry added, removed or rewritten, two when the index key moves,
none when the entry stays as it was; a read of an index is charged to the index), "Capacity
management for transactions" (transactional reads and writes cost twice), and the API
reference's ConsumedCapacity (TOTAL: the sum; INDEXES: also the Table part and one entry per
index that was charged). Every item here is under 1 KB unless said otherwise.
"""
import unittest
import uuid


from harness import boto3_client, ServerTestCase, unique


class DynamoDbCapacityTests(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client = boto3_client(cls.server, "dynamodb")

    def setUp(self):
        # GSI "gsi" on gk projecting INCLUDE [proj]; LSI "lsi" on (pk, lk), KEYS_ONLY.
        self.table = unique("cap")
        self.client.create_table(
            TableName=self.table, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"}
                                  for a in ("pk", "sk", "gk", "lk")],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[{
                "IndexName": "gsi", "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["proj"]}}],
            LocalSecondaryIndexes=[{
                "IndexName": "lsi", "Projection": {"ProjectionType": "KEYS_ONLY"},
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                              {"AttributeName": "lk", "KeyType": "RANGE"}]}])

    key = {"pk": {"S": "p"}, "sk": {"S": "s"}}

    def expect(self, response, table, gsi=None, lsi=None):
        """The INDEXES ConsumedCapacity: the table's part, and the index parts that exist."""
        want = {"TableName": self.table, "CapacityUnits": table + (gsi or 0) + (lsi or 0),
                "Table": {"CapacityUnits": table}}
        if gsi is not None:
            want["GlobalSecondaryIndexes"] = {"gsi": {"CapacityUnits": gsi}}
        if lsi is not None:
            want["LocalSecondaryIndexes"] = {"lsi": {"CapacityUnits": lsi}}
        self.assertEqual(response["ConsumedCapacity"], want)

    def put(self, item, **kwargs):
        return self.client.put_item(TableName=self.table, Item=item,
                                    ReturnConsumedCapacity="INDEXES", **kwargs)

    def update(self, expression, values=None):
        kwargs = {"ExpressionAttributeValues": values} if values else {}
        return self.client.update_item(TableName=self.table, Key=self.key,
                                       UpdateExpression=expression,
                                       ReturnConsumedCapacity="INDEXES", **kwargs)

    def test_writes_charge_the_indexes_whose_entries_they_change(self):
        item = {**self.key, "gk": {"S": "g1"}, "lk": {"S": "l1"}, "proj": {"S": "a"},
                "note": {"S": "x"}}
        self.expect(self.put(item), table=1.0, gsi=1.0, lsi=1.0)
        # The same item again changes no index entry.
        self.expect(self.put(item), table=1.0)
        # An attribute neither index stores.
        self.expect(self.update("SET note = :v", {":v": {"S": "y"}}), table=1.0)
        # A projected attribute: the GSI entry is rewritten in place.
        self.expect(self.update("SET proj = :v", {":v": {"S": "b"}}), table=1.0, gsi=1.0)
        # The GSI key moves: delete and insert.
        self.expect(self.update("SET gk = :v", {":v": {"S": "g2"}}), table=1.0, gsi=2.0)
        # The LSI key goes: the entry is deleted.
        self.expect(self.update("REMOVE lk"), table=1.0, lsi=1.0)
        # Deleting the item deletes the one entry left.
        r = self.client.delete_item(TableName=self.table, Key=self.key,
                                    ReturnConsumedCapacity="INDEXES")
        self.expect(r, table=1.0, gsi=1.0)
        # TOTAL is the same sum without the parts.
        r = self.client.put_item(TableName=self.table, Item=item, ReturnConsumedCapacity="TOTAL")
        self.assertEqual(r["ConsumedCapacity"], {"TableName": self.table, "CapacityUnits": 3.0})
        # A sparse item is in no index.
        self.expect(self.put({"pk": {"S": "q"}, "sk": {"S": "s"}}), table=1.0)

    def test_index_write_units_follow_the_size_of_the_projected_entry(self):
        # 1500 bytes of projected data: two units on the GSI; the KEYS_ONLY LSI entry stays small.
        item = {**self.key, "gk": {"S": "g"}, "lk": {"S": "l"}, "proj": {"S": "p" * 1500}}
        self.expect(self.put(item), table=2.0, gsi=2.0, lsi=1.0)
        # An unprojected 3000-byte attribute makes the table write bigger, not the indexes'.
        self.expect(self.update("SET big = :v", {":v": {"S": "b" * 3000}}), table=5.0)

    def test_reads_of_an_index_are_charged_to_the_index(self):
        self.put({**self.key, "gk": {"S": "g"}, "lk": {"S": "l"}})
        for index, part in (("gsi", "GlobalSecondaryIndexes"), ("lsi", "LocalSecondaryIndexes")):
            hash_key = "gk" if index == "gsi" else "pk"
            value = "g" if index == "gsi" else "p"
            r = self.client.query(TableName=self.table, IndexName=index,
                                  KeyConditionExpression="%s = :v" % hash_key,
                                  ExpressionAttributeValues={":v": {"S": value}},
                                  ReturnConsumedCapacity="INDEXES")
            self.assertEqual(r["Count"], 1)
            self.assertEqual(r["ConsumedCapacity"], {
                "TableName": self.table, "CapacityUnits": 0.5, "Table": {"CapacityUnits": 0.0},
                part: {index: {"CapacityUnits": 0.5}}})
        r = self.client.scan(TableName=self.table, ReturnConsumedCapacity="INDEXES")
        self.assertEqual(r["ConsumedCapacity"], {"TableName": self.table, "CapacityUnits": 0.5,
                                                 "Table": {"CapacityUnits": 0.5}})

    def test_batch_write_sums_the_parts_it_touched(self):
        r = self.client.batch_write_item(RequestItems={self.table: [
            {"PutRequest": {"Item": {"pk": {"S": "a"}, "sk": {"S": "1"}, "gk": {"S": "g"}}}},
            {"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"S": "1"}}}}]},
            ReturnConsumedCapacity="INDEXES")
        self.assertEqual(r["ConsumedCapacity"], [{
            "TableName": self.table, "CapacityUnits": 3.0, "Table": {"CapacityUnits": 2.0},
            "GlobalSecondaryIndexes": {"gsi": {"CapacityUnits": 1.0}}}])

    def test_transactions_cost_twice_on_the_table_and_name_their_units(self):
        self.put({**self.key, "v": {"S": "x"}})
        r = self.client.transact_write_items(TransactItems=[
            {"Put": {"TableName": self.table,
                     "Item": {"pk": {"S": "t"}, "sk": {"S": "1"}, "gk": {"S": "g"}}}},
            {"ConditionCheck": {"TableName": self.table, "Key": self.key,
                                "ConditionExpression": "attribute_exists(v)"}}],
            ReturnConsumedCapacity="INDEXES")
        self.assertEqual(r["ConsumedCapacity"], [{
            "TableName": self.table, "CapacityUnits": 5.0, "WriteCapacityUnits": 5.0,
            "Table": {"CapacityUnits": 4.0, "WriteCapacityUnits": 4.0},
            "GlobalSecondaryIndexes": {"gsi": {"CapacityUnits": 1.0}}}])
        # Two units per item read, a missing one too.
        r = self.client.transact_get_items(TransactItems=[
            {"Get": {"TableName": self.table, "Key": self.key}},
            {"Get": {"TableName": self.table, "Key": {"pk": {"S": "none"}, "sk": {"S": "1"}}}}],
            ReturnConsumedCapacity="TOTAL")
        self.assertEqual(r["ConsumedCapacity"], [{"TableName": self.table, "CapacityUnits": 4.0,
                                                  "ReadCapacityUnits": 4.0}])
        r = self.client.transact_write_items(TransactItems=[
            {"Delete": {"TableName": self.table, "Key": self.key}}])
        self.assertNotIn("ConsumedCapacity", r)

    def test_a_repeated_transaction_reports_the_reads_of_its_items(self):
        # TransactWriteItems, ClientRequestToken: "the initial TransactWriteItems call returns
        # the amount of write capacity units consumed in making the changes. Subsequent
        # TransactWriteItems calls with the same client token return the number of read
        # capacity units consumed in reading the item."
        put = [{"Put": {"TableName": self.table,
                        "Item": {**self.key, "d": {"S": "x" * 5000}}}}]
        token = uuid.uuid4().hex
        first = self.client.transact_write_items(TransactItems=put, ClientRequestToken=token,
                                                 ReturnConsumedCapacity="TOTAL")
        again = self.client.transact_write_items(TransactItems=put, ClientRequestToken=token,
                                                 ReturnConsumedCapacity="TOTAL")
        self.assertEqual(first["ConsumedCapacity"][0]["WriteCapacityUnits"], 10.0)
        self.assertEqual(again["ConsumedCapacity"], [{"TableName": self.table,
                                                      "CapacityUnits": 2.0,
                                                      "ReadCapacityUnits": 2.0}])

    def test_an_unknown_mode_is_refused_before_anything_is_written(self):
        with self.assertRaises(self.client.exceptions.ClientError) as cm:
            self.client.put_item(TableName=self.table, Item=self.key,
                                 ReturnConsumedCapacity="Garbage")
        self.assertEqual(cm.exception.response["Error"]["Message"],
                         "1 validation error detected: Value 'Garbage' at "
                         "'returnConsumedCapacity' failed to satisfy constraint: Member must "
                         "satisfy enum value set: [INDEXES, TOTAL, NONE]")
        self.assertNotIn("Item", self.client.get_item(TableName=self.table, Key=self.key))


if __name__ == "__main__":
    unittest.main()
