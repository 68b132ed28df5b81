"""Legacy boto 2.49 (boto.dynamodb2) against nimbus DynamoDB (Debian's /usr/bin/python3).

boto 2 derives the SigV4 scope from the host name (127.0.0.1 -> service "127", region "0") and
sends only the legacy parameters (KeyConditions, Expected, AttributeUpdates, AttributesToGet,
ScanFilter), so these tests exercise their translation into expressions (DynamoDB API
reference: "Legacy conditional parameters").
"""
import os
import unittest
import uuid

os.environ["BOTO_CONFIG"] = "/dev/null"

import boto  # noqa: E402
from boto.dynamodb2.exceptions import ConditionalCheckFailedException, ItemNotFound  # noqa: E402
from boto.dynamodb2.fields import GlobalAllIndex, HashKey, RangeKey  # noqa: E402
from boto.dynamodb2.layer1 import DynamoDBConnection  # noqa: E402
from boto.dynamodb2.table import Table  # noqa: E402
from boto.dynamodb2.types import NUMBER  # noqa: E402

from harness import ACCESS_KEY, SECRET_KEY, Nimbus  # noqa: E402

if not boto.config.has_section("Boto"):
    boto.config.add_section("Boto")
boto.config.set("Boto", "num_retries", "0")


class Boto2DynamoDbTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Nimbus()
        cls.conn = DynamoDBConnection(aws_access_key_id=ACCESS_KEY,
                                      aws_secret_access_key=SECRET_KEY, host=cls.server.host,
                                      port=cls.server.port, is_secure=False)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def create(self, **kwargs):
        name = "b2-" + uuid.uuid4().hex[:10]
        return Table.create(name, schema=[HashKey("user"), RangeKey("ts", data_type=NUMBER)],
                            throughput={"read": 5, "write": 5}, connection=self.conn, **kwargs)

    def test_create_put_get_delete(self):
        table = self.create()
        self.assertIn(table.table_name, self.conn.list_tables()["TableNames"])
        self.assertTrue(table.put_item(data={"user": "ann", "ts": 1, "msg": "hi",
                                             "tags": set(["a", "b"])}))
        item = table.get_item(user="ann", ts=1)
        self.assertEqual(item["msg"], "hi")
        self.assertEqual(item["tags"], set(["a", "b"]))
        # Expected {"user": {"Exists": false}}: a second put without overwrite fails.
        with self.assertRaises(ConditionalCheckFailedException):
            table.put_item(data={"user": "ann", "ts": 1, "msg": "again"})
        item["msg"] = "changed"
        self.assertTrue(item.partial_save())  # AttributeUpdates + Expected
        self.assertEqual(table.get_item(user="ann", ts=1)["msg"], "changed")
        self.assertTrue(table.delete_item(user="ann", ts=1))
        with self.assertRaises(ItemNotFound):
            table.get_item(user="ann", ts=1)
        self.assertTrue(table.delete())

    def test_query_2_scan_and_batch_write(self):
        table = self.create()
        with table.batch_write() as batch:
            for i in range(30):
                batch.put_item(data={"user": "u%d" % (i % 2), "ts": i, "n": i})
        results = list(table.query_2(user__eq="u0", ts__gte=10, reverse=True))
        self.assertEqual([r["ts"] for r in results], list(range(28, 9, -2)))  # reverse=True: descending
        limited = list(table.query_2(user__eq="u1", ts__between=[3, 9], attributes=["n"]))
        self.assertEqual([r["n"] for r in limited], [3, 5, 7, 9])
        scanned = list(table.scan(n__gt=24))
        self.assertEqual(sorted(r["ts"] for r in scanned), [25, 26, 27, 28, 29])
        self.assertEqual(len(list(table.scan())), 30)
        self.assertEqual(table.query_count(user__eq="u1"), 15)

    def test_global_index_query(self):
        name = "b2-" + uuid.uuid4().hex[:10]
        table = Table.create(name, schema=[HashKey("id")], throughput={"read": 5, "write": 5},
                             global_indexes=[GlobalAllIndex("by-city", parts=[HashKey("city")],
                                                            throughput={"read": 1, "write": 1})],
                             connection=self.conn)
        for i, city in enumerate(["oslo", "rome", "oslo"]):
            table.put_item(data={"id": str(i), "city": city})
        found = list(table.query_2(city__eq="oslo", index="by-city"))
        self.assertEqual(sorted(r["id"] for r in found), ["0", "2"])


if __name__ == "__main__":
    unittest.main()
