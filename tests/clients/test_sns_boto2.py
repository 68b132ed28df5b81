"""boto 2 (Debian's /usr/bin/python3 with python3-boto) against nimbus SNS: create_topic,
get_all_topics, subscribe, get_all_subscriptions_by_topic, publish, unsubscribe, delete_topic,
and subscribe_sqs_queue with the envelope read back from the queue (when SQS runs).

boto 2's SNSConnection asks for JSON responses (ContentType=JSON) and signs with SigV4 for a
scope derived from the host name; CLIENTS.md describes the set-up: BOTO_CONFIG=/dev/null before
importing boto, and no retries.
"""
import json
import os
import unittest
import urllib.request

os.environ["BOTO_CONFIG"] = "/dev/null"

import boto  # noqa: E402
import boto.regioninfo  # noqa: E402
import boto.sns  # noqa: E402
import boto.sqs.connection  # noqa: E402
import boto.sqs.regioninfo  # noqa: E402

if not boto.config.has_section("Boto"):
    boto.config.add_section("Boto")
boto.config.set("Boto", "num_retries", "0")

from harness import ACCESS_KEY, SECRET_KEY, Nimbus  # noqa: E402


def sqs_available(server):
    with urllib.request.urlopen(server.endpoint + "/_nimbus/health") as r:
        return json.loads(r.read())["services"].get("sqs") == "running"


class SnsBoto2Tests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Nimbus()
        cls.conn = boto.sns.SNSConnection(
            ACCESS_KEY, SECRET_KEY,
            region=boto.regioninfo.RegionInfo(name="us-east-1", endpoint=cls.server.host),
            port=cls.server.port, is_secure=False)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def topic(self, name):
        r = self.conn.create_topic(name)
        return r["CreateTopicResponse"]["CreateTopicResult"]["TopicArn"]

    def test_topic_lifecycle(self):
        arn = self.topic("boto2-topic")
        self.assertTrue(arn.endswith(":boto2-topic"))
        topics = self.conn.get_all_topics()["ListTopicsResponse"]["ListTopicsResult"]["Topics"]
        self.assertIn(arn, [t["TopicArn"] for t in topics])
        attrs = self.conn.get_topic_attributes(arn)
        attrs = attrs["GetTopicAttributesResponse"]["GetTopicAttributesResult"]["Attributes"]
        self.assertEqual(attrs["TopicArn"], arn)
        self.conn.delete_topic(arn)
        topics = self.conn.get_all_topics()["ListTopicsResponse"]["ListTopicsResult"]["Topics"]
        self.assertNotIn(arn, [t["TopicArn"] for t in topics])

    def test_subscribe_publish_unsubscribe(self):
        arn = self.topic("boto2-subs")
        r = self.conn.subscribe(arn, "sms", "+15555550199")
        sub = r["SubscribeResponse"]["SubscribeResult"]["SubscriptionArn"]
        subs = self.conn.get_all_subscriptions_by_topic(arn)
        subs = subs["ListSubscriptionsByTopicResponse"]["ListSubscriptionsByTopicResult"]
        self.assertEqual([s["SubscriptionArn"] for s in subs["Subscriptions"]], [sub])
        r = self.conn.publish(topic=arn, message="from boto 2", subject="s")
        self.assertIn("MessageId", r["PublishResponse"]["PublishResult"])
        with urllib.request.urlopen(self.server.endpoint +
                                    "/_nimbus/sns/outbox?endpoint=%2B15555550199") as resp:
            bodies = [m["body"] for m in json.loads(resp.read())["messages"]]
        self.assertEqual(bodies, ["from boto 2"])
        self.conn.unsubscribe(sub)
        subs = self.conn.get_all_subscriptions_by_topic(arn)
        subs = subs["ListSubscriptionsByTopicResponse"]["ListSubscriptionsByTopicResult"]
        self.assertEqual(subs["Subscriptions"], [])

    def test_errors_come_back(self):
        with self.assertRaises(boto.exception.BotoServerError) as cm:
            self.conn.get_topic_attributes("arn:aws:sns:us-east-1:000000000000:missing")
        self.assertEqual(cm.exception.status, 404)
        self.assertEqual(cm.exception.error_code, "NotFound")

    def test_subscribe_sqs_queue(self):
        if not sqs_available(self.server):
            self.skipTest("SQS is not part of this build yet")
        sqs = boto.sqs.connection.SQSConnection(
            ACCESS_KEY, SECRET_KEY,
            region=boto.sqs.regioninfo.SQSRegionInfo(name="us-east-1", endpoint=self.server.host),
            port=self.server.port, is_secure=False)
        queue = sqs.create_queue("boto2-fanout")
        arn = self.topic("boto2-fanout")
        self.conn.subscribe_sqs_queue(arn, queue)
        self.conn.publish(topic=arn, message="to the queue", subject="subj")
        messages = queue.get_messages(1, wait_time_seconds=5)
        self.assertEqual(len(messages), 1)
        envelope = json.loads(messages[0].get_body())
        self.assertEqual(envelope["Type"], "Notification")
        self.assertEqual(envelope["Message"], "to the queue")
        self.assertEqual(envelope["Subject"], "subj")
        self.assertEqual(envelope["TopicArn"], arn)


if __name__ == "__main__":
    unittest.main()
