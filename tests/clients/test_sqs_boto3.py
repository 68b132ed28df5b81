"""SQS through boto3 1.43 (JSON protocol: X-Amz-Target AmazonSQS.*, x-amzn-query-error).

Each test cites the SQS behaviour it reproduces (SQS API Reference / Developer Guide).
"""
import threading
import time
import unittest

import boto3
import botocore.config
from botocore.exceptions import ClientError

from harness import Nimbus, ACCESS_KEY, SECRET_KEY


def client(server, region="us-east-1"):
    return boto3.client("sqs", endpoint_url=server.endpoint, region_name=region,
                        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                        config=botocore.config.Config(retries={"max_attempts": 0},
                                                      read_timeout=30))


class SqsBoto3Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Nimbus()
        cls.sqs = client(cls.server)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def error(self, fn, **kwargs):
        with self.assertRaises(ClientError) as cm:
            fn(**kwargs)
        return cm.exception.response["Error"]

    def test_queues_belong_to_the_region_the_request_was_signed_for(self):
        # Queues are regional (SQS developer guide, "Queue and message identifiers"): the
        # region in the SigV4 credential scope decides where a queue lives.
        eu = client(self.server, "eu-west-1")
        url = eu.create_queue(QueueName="regional")["QueueUrl"]
        arn = eu.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
        self.assertEqual(arn["QueueArn"], "arn:aws:sqs:eu-west-1:000000000000:regional")
        self.assertNotIn("QueueUrls", self.sqs.list_queues(QueueNamePrefix="regional"))

    def test_queue_lifecycle(self):
        # CreateQueue is idempotent; GetQueueUrl, ListQueues with a prefix, DeleteQueue.
        url = self.sqs.create_queue(QueueName="life")["QueueUrl"]
        self.assertEqual(url, "%s/000000000000/life" % self.server.endpoint)
        self.assertEqual(self.sqs.create_queue(QueueName="life")["QueueUrl"], url)
        self.assertEqual(self.sqs.get_queue_url(QueueName="life")["QueueUrl"], url)
        self.assertIn(url, self.sqs.list_queues(QueueNamePrefix="li")["QueueUrls"])
        self.sqs.delete_queue(QueueUrl=url)
        err = self.error(self.sqs.get_queue_url, QueueName="life")
        # botocore maps x-amzn-query-error back to the legacy code.
        self.assertEqual(err["Code"], "AWS.SimpleQueueService.NonExistentQueue")
        self.assertEqual(err["QueryErrorCode"], "QueueDoesNotExist")

    def test_queue_already_exists_with_other_attributes(self):
        self.sqs.create_queue(QueueName="attrq", Attributes={"VisibilityTimeout": "40"})
        err = self.error(self.sqs.create_queue, QueueName="attrq",
                         Attributes={"VisibilityTimeout": "41"})
        self.assertEqual(err["Code"], "QueueAlreadyExists")

    def test_send_receive_delete_with_md5s(self):
        url = self.sqs.create_queue(QueueName="msgs")["QueueUrl"]
        sent = self.sqs.send_message(
            QueueUrl=url, MessageBody="hello",
            MessageAttributes={"k": {"DataType": "String", "StringValue": "v"},
                               "b": {"DataType": "Binary", "BinaryValue": b"\x00\xff"}},
            MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String",
                                                        "StringValue": "Root=1-abc"}})
        self.assertEqual(sent["MD5OfMessageBody"], "5d41402abc4b2a76b9719d911017c592")
        self.assertIn("MD5OfMessageAttributes", sent)
        self.assertIn("MD5OfMessageSystemAttributes", sent)
        got = self.sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"],
                                       MessageSystemAttributeNames=["All"])["Messages"]
        self.assertEqual(len(got), 1)
        m = got[0]
        self.assertEqual(m["Body"], "hello")
        self.assertEqual(m["MD5OfMessageAttributes"], sent["MD5OfMessageAttributes"])
        self.assertEqual(m["MessageAttributes"]["b"]["BinaryValue"], b"\x00\xff")
        self.assertEqual(m["Attributes"]["AWSTraceHeader"], "Root=1-abc")
        self.assertEqual(m["Attributes"]["ApproximateReceiveCount"], "1")
        self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        self.assertEqual(attrs["ApproximateNumberOfMessages"], "0")
        self.assertEqual(attrs["ApproximateNumberOfMessagesNotVisible"], "0")

    def test_batches_and_batch_errors(self):
        url = self.sqs.create_queue(QueueName="batches")["QueueUrl"]
        out = self.sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": "m%d" % i} for i in range(10)])
        self.assertEqual(len(out["Successful"]), 10)
        err = self.error(self.sqs.send_message_batch, QueueUrl=url, Entries=[
            {"Id": "a", "MessageBody": "1"}, {"Id": "a", "MessageBody": "2"}])
        self.assertEqual(err["Code"], "AWS.SimpleQueueService.BatchEntryIdsNotDistinct")
        err = self.error(self.sqs.send_message_batch, QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": "x"} for i in range(11)])
        self.assertEqual(err["Code"], "AWS.SimpleQueueService.TooManyEntriesInBatchRequest")
        handles = []
        while len(handles) < 10:
            got = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
            handles += [m["ReceiptHandle"] for m in got.get("Messages", [])]
        out = self.sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
            {"Id": "x", "ReceiptHandle": handles[0], "VisibilityTimeout": 0}])
        self.assertEqual(len(out["Successful"]), 1)
        out = self.sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(handles)])
        self.assertEqual(len(out["Successful"]), 10)
        attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        self.assertEqual(attrs["ApproximateNumberOfMessages"], "0")
        self.assertEqual(attrs["ApproximateNumberOfMessagesNotVisible"], "0")

    def test_invalid_input_errors(self):
        url = self.sqs.create_queue(QueueName="invalid")["QueueUrl"]
        err = self.error(self.sqs.receive_message, QueueUrl=url, MaxNumberOfMessages=11)
        self.assertEqual(err["Code"], "InvalidParameterValue")
        err = self.error(self.sqs.send_message, QueueUrl=url, MessageBody="bad \x01")
        self.assertEqual(err["Code"], "InvalidMessageContents")
        err = self.error(self.sqs.set_queue_attributes, QueueUrl=url,
                         Attributes={"VisibilityTimeout": "99999"})
        self.assertEqual(err["Code"], "InvalidAttributeValue")
        err = self.error(self.sqs.delete_message, QueueUrl=url, ReceiptHandle="garbage")
        self.assertEqual(err["Code"], "ReceiptHandleIsInvalid")

    def test_visibility_timeout_and_release(self):
        url = self.sqs.create_queue(QueueName="vis", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
        self.sqs.send_message(QueueUrl=url, MessageBody="v")
        first = self.sqs.receive_message(QueueUrl=url)["Messages"][0]
        self.assertNotIn("Messages", self.sqs.receive_message(QueueUrl=url))
        time.sleep(1.2)
        second = self.sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])
        self.assertEqual(second["Messages"][0]["Attributes"]["ApproximateReceiveCount"], "2")
        err = self.error(self.sqs.change_message_visibility, QueueUrl=url,
                         ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=5)
        self.assertEqual(err["Code"], "InvalidParameterValue")
        self.sqs.change_message_visibility(QueueUrl=url,
                                           ReceiptHandle=second["Messages"][0]["ReceiptHandle"],
                                           VisibilityTimeout=0)
        self.assertIn("Messages", self.sqs.receive_message(QueueUrl=url))

    def test_long_poll_returns_as_soon_as_a_message_arrives(self):
        url = self.sqs.create_queue(QueueName="longpoll")["QueueUrl"]
        result = {}

        def poll():
            start = time.monotonic()
            result["out"] = client(self.server).receive_message(QueueUrl=url, WaitTimeSeconds=10)
            result["elapsed"] = time.monotonic() - start

        t = threading.Thread(target=poll)
        t.start()
        time.sleep(0.5)
        self.sqs.send_message(QueueUrl=url, MessageBody="wake")
        t.join(15)
        self.assertEqual(result["out"]["Messages"][0]["Body"], "wake")
        self.assertLess(result["elapsed"], 3)
        # An empty queue waits the whole WaitTimeSeconds, then answers with no messages.
        start = time.monotonic()
        out = self.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
        self.assertNotIn("Messages", out)
        self.assertGreaterEqual(time.monotonic() - start, 0.9)

    def test_delayed_message_wakes_a_long_poll_when_due(self):
        url = self.sqs.create_queue(QueueName="delayed")["QueueUrl"]
        self.sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
        start = time.monotonic()
        out = self.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)
        self.assertEqual(out["Messages"][0]["Body"], "later")
        self.assertGreaterEqual(time.monotonic() - start, 0.8)
        self.assertLess(time.monotonic() - start, 3)

    def test_dead_letter_queue_and_move_task(self):
        dlq = self.sqs.create_queue(QueueName="dead")["QueueUrl"]
        dlq_arn = self.sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        src = self.sqs.create_queue(QueueName="live", Attributes={
            "VisibilityTimeout": "0",
            "RedrivePolicy": '{"deadLetterTargetArn":"%s","maxReceiveCount":"1"}' % dlq_arn,
        })["QueueUrl"]
        self.sqs.send_message(QueueUrl=src, MessageBody="poison")
        self.assertIn("Messages", self.sqs.receive_message(QueueUrl=src))
        self.assertNotIn("Messages", self.sqs.receive_message(QueueUrl=src))
        self.assertEqual(self.sqs.receive_message(QueueUrl=dlq)["Messages"][0]["Body"], "poison")
        self.assertEqual(self.sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"], [src])
        time.sleep(0.01)
        self.sqs.start_message_move_task(SourceArn=dlq_arn)
        # The task runs in the background (without a rate, at once in batches).
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            tasks = self.sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
            if tasks[0]["Status"] != "RUNNING":
                break
            time.sleep(0.02)
        self.assertEqual(tasks[0]["Status"], "COMPLETED")
        self.assertEqual(tasks[0]["ApproximateNumberOfMessagesMoved"], 1)
        attrs = self.sqs.get_queue_attributes(QueueUrl=src, AttributeNames=["All"])["Attributes"]
        self.assertEqual(int(attrs["ApproximateNumberOfMessages"]) +
                         int(attrs["ApproximateNumberOfMessagesNotVisible"]), 1)

    def test_fifo_queue(self):
        url = self.sqs.create_queue(QueueName="q.fifo", Attributes={
            "FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
        first = self.sqs.send_message(QueueUrl=url, MessageBody="one", MessageGroupId="g")
        again = self.sqs.send_message(QueueUrl=url, MessageBody="one", MessageGroupId="g")
        self.assertEqual(first["MessageId"], again["MessageId"])
        self.sqs.send_message(QueueUrl=url, MessageBody="two", MessageGroupId="g")
        got = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                       AttributeNames=["SequenceNumber", "MessageGroupId"])
        self.assertEqual([m["Body"] for m in got["Messages"]], ["one", "two"])
        self.assertEqual(got["Messages"][0]["Attributes"]["MessageGroupId"], "g")
        self.assertNotIn("Messages", self.sqs.receive_message(QueueUrl=url))
        attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        self.assertEqual(attrs["FifoQueue"], "true")
        self.assertEqual(attrs["DeduplicationScope"], "queue")

    def test_tags_purge_and_permissions(self):
        url = self.sqs.create_queue(QueueName="misc", tags={"a": "1"})["QueueUrl"]
        self.sqs.tag_queue(QueueUrl=url, Tags={"b": "2"})
        self.assertEqual(self.sqs.list_queue_tags(QueueUrl=url)["Tags"], {"a": "1", "b": "2"})
        self.sqs.untag_queue(QueueUrl=url, TagKeys=["a"])
        self.assertEqual(self.sqs.list_queue_tags(QueueUrl=url)["Tags"], {"b": "2"})
        self.sqs.send_message(QueueUrl=url, MessageBody="x")
        self.sqs.purge_queue(QueueUrl=url)
        err = self.error(self.sqs.purge_queue, QueueUrl=url)
        self.assertEqual(err["Code"], "AWS.SimpleQueueService.PurgeQueueInProgress")
        self.sqs.add_permission(QueueUrl=url, Label="l1", AWSAccountIds=["111111111111"],
                                Actions=["SendMessage"])
        policy = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
        self.assertIn("SQS:SendMessage", policy["Attributes"]["Policy"])
        self.sqs.remove_permission(QueueUrl=url, Label="l1")

    def test_resource_api(self):
        sqs = boto3.resource("sqs", endpoint_url=self.server.endpoint, region_name="us-east-1",
                             aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
        queue = sqs.create_queue(QueueName="resource")
        queue.send_message(MessageBody="r1")
        self.assertEqual(queue.attributes["VisibilityTimeout"], "30")
        messages = queue.receive_messages(MaxNumberOfMessages=1)
        self.assertEqual(messages[0].body, "r1")
        messages[0].delete()
        self.assertIn(queue.url, [q.url for q in sqs.queues.filter(QueueNamePrefix="reso")])


class SqsPersistenceTest(unittest.TestCase):
    def test_survives_restart_and_kill9(self):
        server = Nimbus()
        try:
            sqs = client(server)
            url = sqs.create_queue(QueueName="durable")["QueueUrl"]
            for i in range(20):
                sqs.send_message(QueueUrl=url, MessageBody="m%d" % i)
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=5)["Messages"]
            for m in got:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            server.restart()
            sqs = client(server)
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            self.assertEqual(attrs["ApproximateNumberOfMessages"], "15")
            inflight = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3,
                                           VisibilityTimeout=300)["Messages"]
            server.kill9()
            server.start()
            sqs = client(server)
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            self.assertEqual(attrs["ApproximateNumberOfMessages"], "12")
            self.assertEqual(attrs["ApproximateNumberOfMessagesNotVisible"], "3")
            # Handles issued before the crash still work.
            for m in inflight:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            bodies = set()
            while True:
                out = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
                if "Messages" not in out:
                    break
                bodies.update(m["Body"] for m in out["Messages"])
            deleted = {m["Body"] for m in got} | {m["Body"] for m in inflight}
            self.assertEqual(len(bodies), 12)
            self.assertFalse(bodies & deleted)
        finally:
            server.close()



class SqsMoveTaskTest(unittest.TestCase):
    """StartMessageMoveTask at MaxNumberOfMessagesPerSecond moves over time: RUNNING with
    ApproximateNumberOfMessagesMoved growing, survives a restart, and CancelMessageMoveTask stops
    it (CANCELLING, then CANCELLED). SQS Developer Guide: "Learn how to configure a dead-letter
    queue redrive"; API_StartMessageMoveTask, API_CancelMessageMoveTask."""

    def setUp(self):
        self.server = Nimbus()
        self.sqs = client(self.server)

    def tearDown(self):
        self.server.close()

    def task(self, arn):
        return self.sqs.list_message_move_tasks(SourceArn=arn)["Results"][0]

    def test_slow_task_runs_resumes_and_cancels(self):
        dlq = self.sqs.create_queue(QueueName="slow-dlq")["QueueUrl"]
        dlq_arn = self.sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        self.sqs.create_queue(QueueName="slow-src", Attributes={
            "RedrivePolicy": '{"deadLetterTargetArn":"%s","maxReceiveCount":"3"}' % dlq_arn})
        dest = self.sqs.create_queue(QueueName="slow-dest")["QueueUrl"]
        dest_arn = self.sqs.get_queue_attributes(QueueUrl=dest, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        for i in range(0, 30, 10):
            self.sqs.send_message_batch(QueueUrl=dlq, Entries=[
                {"Id": str(j), "MessageBody": "m%d" % (i + j)} for j in range(10)])
        handle = self.sqs.start_message_move_task(
            SourceArn=dlq_arn, DestinationArn=dest_arn,
            MaxNumberOfMessagesPerSecond=2)["TaskHandle"]
        time.sleep(1.2)
        task = self.task(dlq_arn)
        self.assertEqual(task["Status"], "RUNNING")
        self.assertEqual(task["TaskHandle"], handle)
        self.assertEqual(task["ApproximateNumberOfMessagesToMove"], 30)
        self.assertEqual(task["MaxNumberOfMessagesPerSecond"], 2)
        self.assertIn(task["ApproximateNumberOfMessagesMoved"], (2, 4, 6))
        # A restart does not lose it: it is still RUNNING and keeps moving.
        self.server.restart()
        before = self.task(dlq_arn)["ApproximateNumberOfMessagesMoved"]
        self.assertEqual(self.task(dlq_arn)["Status"], "RUNNING")
        time.sleep(1.2)
        moved = self.task(dlq_arn)["ApproximateNumberOfMessagesMoved"]
        self.assertGreater(moved, before)
        self.assertLess(moved, 30)
        out = self.sqs.cancel_message_move_task(TaskHandle=handle)
        self.assertGreaterEqual(out["ApproximateNumberOfMessagesMoved"], moved)
        deadline = time.monotonic() + 5
        while self.task(dlq_arn)["Status"] == "CANCELLING" and time.monotonic() < deadline:
            time.sleep(0.02)
        task = self.task(dlq_arn)
        self.assertEqual(task["Status"], "CANCELLED")
        self.assertNotIn("TaskHandle", task)
        final = task["ApproximateNumberOfMessagesMoved"]
        time.sleep(1.1)
        self.assertEqual(self.task(dlq_arn)["ApproximateNumberOfMessagesMoved"], final)
        attrs = self.sqs.get_queue_attributes(QueueUrl=dest, AttributeNames=[
            "ApproximateNumberOfMessages"])["Attributes"]
        self.assertEqual(int(attrs["ApproximateNumberOfMessages"]), final)
        left = self.sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=[
            "ApproximateNumberOfMessages"])["Attributes"]
        self.assertEqual(int(left["ApproximateNumberOfMessages"]), 30 - final)
        err = self.sqs.cancel_message_move_task
        with self.assertRaises(ClientError) as cm:
            err(TaskHandle=handle)
        self.assertEqual(cm.exception.response["Error"]["QueryErrorCode"], "UnsupportedOperation")


if __name__ == "__main__":
    unittest.main()
