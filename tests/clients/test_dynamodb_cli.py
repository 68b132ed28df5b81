"""The AWS CLI (`aws dynamodb ...`) against nimbus DynamoDB: create-table with the waiter,
put-item, get-item, query with an expression, scan and delete-table, as the CLI user guide's
DynamoDB examples run them."""
import json
import os
import subprocess
import unittest
import uuid

from harness import ACCESS_KEY, SECRET_KEY, Nimbus


class DynamoDbCliTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Nimbus()
        cls.env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
                       AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
                       AWS_SHARED_CREDENTIALS_FILE="/dev/null")

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def aws(self, *args, check=True):
        p = subprocess.run(["aws", "--endpoint-url", self.server.endpoint, "--output", "json",
                            "dynamodb"] + list(args), env=self.env, capture_output=True,
                           text=True, timeout=60)
        if check and p.returncode != 0:
            self.fail("aws %s failed: %s" % (" ".join(args), p.stderr))
        return json.loads(p.stdout) if p.stdout.strip() else p

    def test_table_and_item_round_trip(self):
        name = "cli-" + uuid.uuid4().hex[:8]
        self.aws("create-table", "--table-name", name,
                 "--attribute-definitions", "AttributeName=Artist,AttributeType=S",
                 "AttributeName=SongTitle,AttributeType=S",
                 "--key-schema", "AttributeName=Artist,KeyType=HASH",
                 "AttributeName=SongTitle,KeyType=RANGE",
                 "--billing-mode", "PAY_PER_REQUEST")
        self.aws("wait", "table-exists", "--table-name", name)
        for title in ["Call Me Today", "Happy Day", "Buy Me"]:
            self.aws("put-item", "--table-name", name, "--item", json.dumps(
                {"Artist": {"S": "No One You Know"}, "SongTitle": {"S": title},
                 "Year": {"N": "2020"}}))
        got = self.aws("get-item", "--table-name", name, "--key", json.dumps(
            {"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Happy Day"}}))
        self.assertEqual(got["Item"]["Year"], {"N": "2020"})
        q = self.aws("query", "--table-name", name,
                     "--key-condition-expression", "Artist = :a AND begins_with(SongTitle, :t)",
                     "--expression-attribute-values",
                     json.dumps({":a": {"S": "No One You Know"}, ":t": {"S": "Ca"}}))
        self.assertEqual([i["SongTitle"]["S"] for i in q["Items"]], ["Call Me Today"])
        # The CLI paginates scans by itself through LastEvaluatedKey.
        s = self.aws("scan", "--table-name", name, "--page-size", "1")
        self.assertEqual(s["Count"], 3)
        failed = self.aws("get-item", "--table-name", name, "--key", "{}", check=False)
        self.assertIn("ValidationException", failed.stderr)
        self.aws("delete-table", "--table-name", name)
        self.aws("wait", "table-not-exists", "--table-name", name)


if __name__ == "__main__":
    unittest.main()
