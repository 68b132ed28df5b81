"""AWS CLI v1 `aws sqs ...` against nimbus SQS (JSON protocol), run as a subprocess with the
credentials in the environment and --endpoint-url, as CLIENTS.md describes. Each test cites the
CLI reference behaviour it reproduces.
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import ACCESS_KEY, SECRET_KEY, Nimbus

AWS = shutil.which("aws")


@unittest.skipIf(AWS is None, "the aws CLI is not installed")
class CliSqsTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Nimbus()
        cls.home = tempfile.mkdtemp(prefix="nimbus-cli-")
        cls.env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        cls.env.update({
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.path.join(cls.home, "config"),
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(cls.home, "credentials"),
            "AWS_MAX_ATTEMPTS": "1",
        })

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        shutil.rmtree(cls.home, ignore_errors=True)

    def aws(self, *args, check=True):
        p = subprocess.run([AWS, "--endpoint-url", self.server.endpoint, "--output", "json",
                            "sqs"] + list(args), env=self.env, capture_output=True, text=True,
                           timeout=60)
        if check and p.returncode != 0:
            self.fail("aws sqs %s failed: %s" % (" ".join(args), p.stderr))
        return p

    def json(self, *args):
        out = self.aws(*args).stdout
        return json.loads(out) if out.strip() else {}

    def test_create_send_receive_delete(self):
        # aws sqs create-queue / send-message / receive-message / delete-message.
        url = self.json("create-queue", "--queue-name", "cli-q",
                        "--attributes", "VisibilityTimeout=45")["QueueUrl"]
        self.assertTrue(url.endswith("/000000000000/cli-q"))
        self.assertIn(url, self.json("list-queues")["QueueUrls"])
        sent = self.json("send-message", "--queue-url", url, "--message-body", "from cli",
                         "--message-attributes",
                         '{"k":{"DataType":"String","StringValue":"v"}}')
        import hashlib
        self.assertEqual(sent["MD5OfMessageBody"], hashlib.md5(b"from cli").hexdigest())
        got = self.json("receive-message", "--queue-url", url, "--message-attribute-names",
                        "All", "--attribute-names", "All")["Messages"][0]
        self.assertEqual(got["Body"], "from cli")
        self.assertEqual(got["MessageAttributes"]["k"]["StringValue"], "v")
        self.assertEqual(got["MD5OfMessageAttributes"], sent["MD5OfMessageAttributes"])
        self.aws("delete-message", "--queue-url", url, "--receipt-handle", got["ReceiptHandle"])
        attrs = self.json("get-queue-attributes", "--queue-url", url, "--attribute-names",
                          "All")["Attributes"]
        self.assertEqual(attrs["VisibilityTimeout"], "45")
        self.assertEqual(attrs["ApproximateNumberOfMessages"], "0")
        self.aws("set-queue-attributes", "--queue-url", url, "--attributes", "DelaySeconds=5")
        attrs = self.json("get-queue-attributes", "--queue-url", url, "--attribute-names",
                          "DelaySeconds")["Attributes"]
        self.assertEqual(attrs["DelaySeconds"], "5")
        self.aws("delete-queue", "--queue-url", url)

    def test_errors_show_the_legacy_code(self):
        p = self.aws("get-queue-url", "--queue-name", "missing", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("AWS.SimpleQueueService.NonExistentQueue", p.stderr)

    def test_send_message_batch(self):
        url = self.json("create-queue", "--queue-name", "cli-batch")["QueueUrl"]
        out = self.json("send-message-batch", "--queue-url", url, "--entries",
                        json.dumps([{"Id": str(i), "MessageBody": "b%d" % i} for i in range(3)]))
        self.assertEqual(len(out["Successful"]), 3)
        self.aws("purge-queue", "--queue-url", url)
        attrs = self.json("get-queue-attributes", "--queue-url", url, "--attribute-names",
                          "ApproximateNumberOfMessages")["Attributes"]
        self.assertEqual(attrs["ApproximateNumberOfMessages"], "0")


if __name__ == "__main__":
    unittest.main()
