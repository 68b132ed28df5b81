"""boto3 against nimbus SNS: topics, attributes, tags, permissions, subscriptions, the e-mail/SMS
outbox (GET /_nimbus/sns/outbox), Publish / PublishBatch validation, filter policies, FIFO
topics and persistence across a restart.

Runs under the machine's python3 with boto3 (CLIENTS.md set-up). Behaviour follows the Amazon
SNS API reference (https://docs.aws.amazon.com/sns/latest/api/API_<Operation>.html) and the
developer guide pages cited per test.
"""
import json
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from harness import (ACCESS_KEY, ACCOUNT_ID, SECOND_ACCESS_KEY, SECOND_ACCOUNT_ID,
                     SECOND_SECRET_KEY, SECRET_KEY, Nimbus)


def client(server, key=ACCESS_KEY, secret=SECRET_KEY, region="us-east-1"):
    return boto3.client("sns", endpoint_url=server.endpoint, region_name=region,
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(retries={"total_max_attempts": 1}))


def name(prefix="t"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:12])


def outbox(server, endpoint=None):
    url = server.endpoint + "/_nimbus/sns/outbox"
    if endpoint:
        url += "?endpoint=" + urllib.parse.quote(endpoint)
    with urllib.request.urlopen(url) as r:
        return json.loads(r.read())["messages"]


class SnsCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Nimbus()
        cls.sns = client(cls.server)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def assertError(self, code, fn, *args, **kwargs):
        with self.assertRaises(ClientError) as cm:
            fn(*args, **kwargs)
        self.assertEqual(cm.exception.response["Error"]["Code"], code,
                         cm.exception.response["Error"])
        return cm.exception.response["Error"]["Message"]


class TopicTests(SnsCase):
    def test_create_is_idempotent_and_listed(self):
        # API_CreateTopic: "This action is idempotent".
        n = name()
        arn = self.sns.create_topic(Name=n)["TopicArn"]
        self.assertEqual(arn, "arn:aws:sns:us-east-1:%s:%s" % (ACCOUNT_ID, n))
        self.assertEqual(self.sns.create_topic(Name=n)["TopicArn"], arn)
        arns = [t["TopicArn"] for t in self.sns.list_topics()["Topics"]]
        self.assertIn(arn, arns)

    def test_create_with_different_attributes_fails(self):
        n = name()
        self.sns.create_topic(Name=n, Attributes={"DisplayName": "a"})
        msg = self.assertError("InvalidParameter", self.sns.create_topic, Name=n,
                               Attributes={"DisplayName": "b"})
        self.assertIn("already exists with different attributes", msg)

    def test_bad_names(self):
        self.assertError("InvalidParameter", self.sns.create_topic, Name="bad name!")
        self.assertError("InvalidParameter", self.sns.create_topic, Name="x.fifo")
        self.assertError("InvalidParameter", self.sns.create_topic, Name="nofifo",
                         Attributes={"FifoTopic": "true"})

    def test_list_topics_pages(self):
        c = client(self.server, region="eu-west-3")
        arns = {c.create_topic(Name="p%03d" % i)["TopicArn"] for i in range(105)}
        page = c.list_topics()
        self.assertEqual(len(page["Topics"]), 100)
        rest = c.list_topics(NextToken=page["NextToken"])
        self.assertNotIn("NextToken", rest)
        self.assertEqual({t["TopicArn"] for t in page["Topics"] + rest["Topics"]}, arns)

    def test_attributes_and_counts(self):
        arn = self.sns.create_topic(Name=name())["TopicArn"]
        self.sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName",
                                      AttributeValue="Orders")
        self.sns.subscribe(TopicArn=arn, Protocol="sms", Endpoint="+15555550100")
        self.sns.subscribe(TopicArn=arn, Protocol="email", Endpoint="a@example.com")
        sub = self.sns.subscribe(TopicArn=arn, Protocol="sms", Endpoint="+15555550101",
                                 ReturnSubscriptionArn=True)["SubscriptionArn"]
        self.sns.unsubscribe(SubscriptionArn=sub)
        attrs = self.sns.get_topic_attributes(TopicArn=arn)["Attributes"]
        self.assertEqual(attrs["DisplayName"], "Orders")
        self.assertEqual(attrs["Owner"], ACCOUNT_ID)
        self.assertEqual(attrs["TopicArn"], arn)
        self.assertEqual(attrs["SubscriptionsConfirmed"], "1")
        self.assertEqual(attrs["SubscriptionsPending"], "1")
        self.assertEqual(attrs["SubscriptionsDeleted"], "1")
        self.assertIn("Statement", json.loads(attrs["Policy"]))
        self.assertIn("http", json.loads(attrs["EffectiveDeliveryPolicy"]))
        self.assertError("InvalidParameter", self.sns.set_topic_attributes, TopicArn=arn,
                         AttributeName="Nope", AttributeValue="x")

    def test_unknown_topic(self):
        arn = "arn:aws:sns:us-east-1:%s:missing" % ACCOUNT_ID
        self.assertEqual(self.assertError("NotFound", self.sns.get_topic_attributes,
                                          TopicArn=arn), "Topic does not exist")
        self.assertError("NotFound", self.sns.publish, TopicArn=arn, Message="x")
        self.assertError("NotFound", self.sns.subscribe, TopicArn=arn, Protocol="sms",
                         Endpoint="+15555550100")
        self.sns.delete_topic(TopicArn=arn)  # idempotent

    def test_delete_topic_removes_subscriptions(self):
        arn = self.sns.create_topic(Name=name())["TopicArn"]
        self.sns.subscribe(TopicArn=arn, Protocol="sms", Endpoint="+15555550100")
        self.sns.delete_topic(TopicArn=arn)
        self.assertError("NotFound", self.sns.list_subscriptions_by_topic, TopicArn=arn)
        subs = [s for s in self.sns.list_subscriptions()["Subscriptions"] if s["TopicArn"] == arn]
        self.assertEqual(subs, [])

    def test_tags(self):
        arn = self.sns.create_topic(Name=name(), Tags=[{"Key": "a", "Value": "1"}])["TopicArn"]
        self.sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "b", "Value": "2"},
                                                     {"Key": "a", "Value": "3"}])
        tags = {t["Key"]: t["Value"] for t in self.sns.list_tags_for_resource(ResourceArn=arn)["Tags"]}
        self.assertEqual(tags, {"a": "3", "b": "2"})
        self.sns.untag_resource(ResourceArn=arn, TagKeys=["a"])
        tags = self.sns.list_tags_for_resource(ResourceArn=arn)["Tags"]
        self.assertEqual(tags, [{"Key": "b", "Value": "2"}])
        self.assertError("TagLimitExceeded", self.sns.tag_resource, ResourceArn=arn,
                         Tags=[{"Key": "k%d" % i, "Value": "v"} for i in range(50)])
        self.assertError("ResourceNotFound", self.sns.list_tags_for_resource,
                         ResourceArn=arn + "-missing")

    def test_permissions_grant_another_account(self):
        # API_AddPermission: the statement lets the other account publish.
        arn = self.sns.create_topic(Name=name())["TopicArn"]
        other = client(self.server, SECOND_ACCESS_KEY, SECOND_SECRET_KEY)
        self.assertError("AuthorizationError", other.publish, TopicArn=arn, Message="hi")
        self.sns.add_permission(TopicArn=arn, Label="let-publish",
                                AWSAccountId=[SECOND_ACCOUNT_ID], ActionName=["Publish"])
        self.assertIn("MessageId", other.publish(TopicArn=arn, Message="hi"))
        self.assertError("AuthorizationError", other.get_topic_attributes, TopicArn=arn)
        self.assertError("InvalidParameter", self.sns.add_permission, TopicArn=arn,
                         Label="let-publish", AWSAccountId=[SECOND_ACCOUNT_ID],
                         ActionName=["Publish"])
        self.sns.remove_permission(TopicArn=arn, Label="let-publish")
        self.assertError("AuthorizationError", other.publish, TopicArn=arn, Message="hi")

    def test_unsigned_requests_refused(self):
        req = urllib.request.Request(self.server.endpoint + "/?Action=ListTopics&Version=2010-03-31")
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(req)
        self.assertEqual(cm.exception.code, 403)


class SubscriptionTests(SnsCase):
    def test_email_confirmation_through_outbox(self):
        # sns-email-notifications: the confirmation e-mail carries a link that confirms.
        arn = self.sns.create_topic(Name=name())["TopicArn"]
        address = "%s@example.com" % name("u")
        self.assertEqual(self.sns.subscribe(TopicArn=arn, Protocol="email",
                                            Endpoint=address)["SubscriptionArn"],
                         "pending confirmation")
        [mail] = outbox(self.server, address)
        self.assertEqual(mail["type"], "SubscriptionConfirmation")
        link = [l for l in mail["body"].split("\n") if l.startswith("http")][0]
        self.assertIn("Action=ConfirmSubscription", link)
        subs = self.sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
        self.assertEqual(subs[0]["SubscriptionArn"], "PendingConfirmation")
        with urllib.request.urlopen(link) as r:  # unsigned, as a mail reader would
            body = r.read().decode()
        self.assertIn("<SubscriptionArn>%s:" % arn, body)
        subs = self.sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
        sub_arn = subs[0]["SubscriptionArn"]
        self.assertTrue(sub_arn.startswith(arn + ":"))
        self.sns.publish(TopicArn=arn, Message="hello there", Subject="Greetings")
        mails = outbox(self.server, address)
        self.assertEqual(len(mails), 2)
        self.assertEqual(mails[1]["subject"], "Greetings")
        self.assertTrue(mails[1]["body"].startswith("hello there"))
        unsubscribe = [l for l in mails[1]["body"].split("\n") if "Action=Unsubscribe" in l][0]
        urllib.request.urlopen(unsubscribe).read()
        self.assertEqual(self.sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"], [])

    def test_confirm_with_bad_token(self):
        arn = self.sns.create_topic(Name=name())["TopicArn"]
        self.assertError("InvalidParameter", self.sns.confirm_subscription, TopicArn=arn,
                         Token="00ff")

    def test_email_json_is_the_envelope(self):
        arn = self.sns.create_topic(Name=name())["TopicArn"]
        address = "%s@example.com" % name("j")
        self.sns.subscribe(TopicArn=arn, Protocol="email-json", Endpoint=address)
        confirmation = json.loads(outbox(self.server, address)[0]["body"])
        self.assertEqual(confirmation["Type"], "SubscriptionConfirmation")
        self.sns.confirm_subscription(TopicArn=arn, Token=confirmation["Token"])
        self.sns.publish(TopicArn=arn, Message="m1",
                         MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
        note = json.loads(outbox(self.server, address)[-1]["body"])
        self.assertEqual(note["Type"], "Notification")
        self.assertEqual(note["Message"], "m1")
        self.assertEqual(note["MessageAttributes"], {"k": {"Type": "String", "Value": "v"}})

    def test_invalid_protocols_and_endpoints(self):
        arn = self.sns.create_topic(Name=name())["TopicArn"]
        for protocol, endpoint in [("carrier-pigeon", "x"), ("email", "not-an-address"),
                                   ("sqs", "not-an-arn"), ("http", "https://example.com/"),
                                   ("sms", "call me")]:
            self.assertError("InvalidParameter", self.sns.subscribe, TopicArn=arn,
                             Protocol=protocol, Endpoint=endpoint)
        self.assertEqual(self.sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"], [])

    def test_subscription_attributes(self):
        arn = self.sns.create_topic(Name=name())["TopicArn"]
        queue = "arn:aws:sqs:us-east-1:%s:q-%s" % (ACCOUNT_ID, uuid.uuid4().hex[:8])
        sub = self.sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue,
                                 Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"]
        # sqs subscriptions in this server are confirmed at once.
        self.assertTrue(sub.startswith(arn + ":"))
        attrs = self.sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
        self.assertEqual(attrs["RawMessageDelivery"], "true")
        self.assertEqual(attrs["PendingConfirmation"], "false")
        self.assertEqual(attrs["Endpoint"], queue)
        self.sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                             AttributeValue='{"color": ["red"]}')
        attrs = self.sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
        self.assertEqual(json.loads(attrs["FilterPolicy"]), {"color": ["red"]})
        self.assertEqual(attrs["FilterPolicyScope"], "MessageAttributes")
        # Same subscription again: same ARN.
        again = self.sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue,
                                   Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"]
        self.assertEqual(again, sub)
        self.assertError("InvalidParameter", self.sns.set_subscription_attributes,
                         SubscriptionArn=sub, AttributeName="RawMessageDelivery",
                         AttributeValue="maybe")
        self.assertError("InvalidParameter", self.sns.set_subscription_attributes,
                         SubscriptionArn=sub, AttributeName="RedrivePolicy",
                         AttributeValue='{"deadLetterTargetArn": "nope"}')
        self.assertError("NotFound", self.sns.get_subscription_attributes,
                         SubscriptionArn=arn + ":00000000-0000-0000-0000-000000000000")

    def test_bad_filter_policies_are_refused(self):
        # sns-subscription-filter-policy-constraints.
        arn = self.sns.create_topic(Name=name())["TopicArn"]
        cases = [
            '{"a": "b"}',
            '{"a": [{"numeric": [">", "x"]}]}',
            '{"a": [{"numeric": ["<", 5, ">", 1]}]}',
            '{"a": [{"exists": "yes"}]}',
            '{"a": [{"wildcard-ish": 1}]}',
            '{"a":[1],"b":[1],"c":[1],"d":[1],"e":[1],"f":[1]}',
            '{"a": {"nested": ["x"]}}',
            'not json',
        ]
        for policy in cases:
            msg = self.assertError("InvalidParameter", self.sns.subscribe, TopicArn=arn,
                                   Protocol="sms", Endpoint="+15555550100",
                                   Attributes={"FilterPolicy": policy})
            self.assertTrue(msg.startswith("Invalid parameter: "), msg)
        too_complex = json.dumps({k: list(range(6)) for k in "abc"})
        self.assertIn("too complex", self.assertError(
            "InvalidParameter", self.sns.subscribe, TopicArn=arn, Protocol="sms",
            Endpoint="+15555550100", Attributes={"FilterPolicy": too_complex}))
        self.assertEqual(self.sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"], [])


class PublishTests(SnsCase):
    def setUp(self):
        self.arn = self.sns.create_topic(Name=name())["TopicArn"]
        self.phone = "+1555%07d" % (uuid.uuid4().int % 10000000)
        self.sns.subscribe(TopicArn=self.arn, Protocol="sms", Endpoint=self.phone)

    def texts(self):
        return [m["body"] for m in outbox(self.server, self.phone)]

    def test_publish_reaches_sms(self):
        mid = self.sns.publish(TopicArn=self.arn, Message="hi")["MessageId"]
        self.assertRegex(mid, r"^[0-9a-f-]{36}$")
        self.assertEqual(self.texts(), ["hi"])

    def test_message_structure_json(self):
        self.sns.publish(TopicArn=self.arn, MessageStructure="json",
                         Message=json.dumps({"default": "d", "sms": "short"}))
        self.sns.publish(TopicArn=self.arn, MessageStructure="json",
                         Message=json.dumps({"default": "only default"}))
        self.assertEqual(self.texts(), ["short", "only default"])
        self.assertError("InvalidParameter", self.sns.publish, TopicArn=self.arn,
                         MessageStructure="json", Message='{"sms": "x"}')
        self.assertError("InvalidParameter", self.sns.publish, TopicArn=self.arn,
                         MessageStructure="json", Message='{not json')
        self.assertEqual(len(self.texts()), 2)

    def test_bad_messages(self):
        self.assertError("InvalidParameter", self.sns.publish, TopicArn=self.arn,
                         Message="x" * (256 * 1024 + 1))
        self.assertError("InvalidParameter", self.sns.publish, TopicArn=self.arn, Message="")
        self.assertError("InvalidParameter", self.sns.publish, TopicArn=self.arn, Message="m",
                         Subject="line\nbreak")
        self.assertError("InvalidParameterValue", self.sns.publish, TopicArn=self.arn,
                         Message="m", MessageAttributes={"n": {"DataType": "Number",
                                                               "StringValue": "abc"}})
        self.assertError("InvalidParameterValue", self.sns.publish, TopicArn=self.arn,
                         Message="m", MessageAttributes={"n": {"DataType": "Blob",
                                                               "StringValue": "abc"}})
        self.assertEqual(self.texts(), [])

    def test_filter_policy_on_attributes(self):
        # sns-subscription-filter-policies: attribute matching.
        phone = "+1666%07d" % (uuid.uuid4().int % 10000000)
        self.sns.subscribe(TopicArn=self.arn, Protocol="sms", Endpoint=phone, Attributes={
            "FilterPolicy": json.dumps({"store": ["example_corp"],
                                        "price": [{"numeric": [">=", 100]}]})})

        def send(message, store, price):
            self.sns.publish(TopicArn=self.arn, Message=message, MessageAttributes={
                "store": {"DataType": "String", "StringValue": store},
                "price": {"DataType": "Number", "StringValue": str(price)}})
        send("yes", "example_corp", 150)
        send("cheap", "example_corp", 5)
        send("other", "acme", 500)
        self.assertEqual([m["body"] for m in outbox(self.server, phone)], ["yes"])

    def test_filter_policy_on_body(self):
        phone = "+1777%07d" % (uuid.uuid4().int % 10000000)
        self.sns.subscribe(TopicArn=self.arn, Protocol="sms", Endpoint=phone, Attributes={
            "FilterPolicyScope": "MessageBody",
            "FilterPolicy": json.dumps({"order": {"kind": [{"prefix": "vip-"}]}})})
        self.sns.publish(TopicArn=self.arn, Message=json.dumps({"order": {"kind": "vip-gold"}}))
        self.sns.publish(TopicArn=self.arn, Message=json.dumps({"order": {"kind": "plain"}}))
        self.sns.publish(TopicArn=self.arn, Message="not json")
        bodies = [json.loads(m["body"]) for m in outbox(self.server, phone)]
        self.assertEqual(bodies, [{"order": {"kind": "vip-gold"}}])

    def test_publish_to_phone_number(self):
        phone = "+1888%07d" % (uuid.uuid4().int % 10000000)
        self.sns.publish(PhoneNumber=phone, Message="code 1234")
        self.assertEqual([m["body"] for m in outbox(self.server, phone)], ["code 1234"])
        self.assertError("InvalidParameter", self.sns.publish, PhoneNumber="abc", Message="x")

    def test_publish_batch(self):
        out = self.sns.publish_batch(TopicArn=self.arn, PublishBatchRequestEntries=[
            {"Id": "one", "Message": "first"},
            {"Id": "two", "Message": ""},
            {"Id": "three", "Message": "third"}])
        self.assertEqual([s["Id"] for s in out["Successful"]], ["one", "three"])
        self.assertEqual([(f["Id"], f["Code"], f["SenderFault"]) for f in out["Failed"]],
                         [("two", "InvalidParameter", True)])
        self.assertEqual(self.texts(), ["first", "third"])
        self.assertError("BatchEntryIdsNotDistinct", self.sns.publish_batch, TopicArn=self.arn,
                         PublishBatchRequestEntries=[{"Id": "a", "Message": "x"},
                                                     {"Id": "a", "Message": "y"}])
        self.assertError("TooManyEntriesInBatchRequest", self.sns.publish_batch,
                         TopicArn=self.arn,
                         PublishBatchRequestEntries=[{"Id": "i%d" % i, "Message": "x"}
                                                     for i in range(11)])
        self.assertError("InvalidBatchEntryId", self.sns.publish_batch, TopicArn=self.arn,
                         PublishBatchRequestEntries=[{"Id": "bad id!", "Message": "x"}])


class FifoTests(SnsCase):
    def test_fifo_topic_rules(self):
        # sns-fifo-topics: group id required, dedup by id or content.
        n = name() + ".fifo"
        arn = self.sns.create_topic(Name=n, Attributes={"FifoTopic": "true"})["TopicArn"]
        attrs = self.sns.get_topic_attributes(TopicArn=arn)["Attributes"]
        self.assertEqual(attrs["FifoTopic"], "true")
        self.assertEqual(attrs["ContentBasedDeduplication"], "false")
        self.assertError("InvalidParameter", self.sns.publish, TopicArn=arn, Message="m",
                         MessageDeduplicationId="d")
        self.assertError("InvalidParameter", self.sns.publish, TopicArn=arn, Message="m",
                         MessageGroupId="g")
        first = self.sns.publish(TopicArn=arn, Message="m", MessageGroupId="g",
                                 MessageDeduplicationId="d1")
        again = self.sns.publish(TopicArn=arn, Message="m", MessageGroupId="g",
                                 MessageDeduplicationId="d1")
        second = self.sns.publish(TopicArn=arn, Message="m", MessageGroupId="g",
                                  MessageDeduplicationId="d2")
        self.assertEqual(first["MessageId"], again["MessageId"])
        self.assertEqual(len(first["SequenceNumber"]), 20)
        self.assertGreater(int(second["SequenceNumber"]), int(first["SequenceNumber"]))
        self.sns.set_topic_attributes(TopicArn=arn, AttributeName="ContentBasedDeduplication",
                                      AttributeValue="true")
        a = self.sns.publish(TopicArn=arn, Message="same body", MessageGroupId="g")
        b = self.sns.publish(TopicArn=arn, Message="same body", MessageGroupId="h")
        self.assertEqual(a["MessageId"], b["MessageId"])
        # FIFO topics deliver to SQS only.
        self.assertError("InvalidParameter", self.sns.subscribe, TopicArn=arn, Protocol="email",
                         Endpoint="a@example.com")
        # Standard topics refuse FIFO queues and dedup ids.
        std = self.sns.create_topic(Name=name())["TopicArn"]
        self.assertError("InvalidParameter", self.sns.subscribe, TopicArn=std, Protocol="sqs",
                         Endpoint="arn:aws:sqs:us-east-1:%s:q.fifo" % ACCOUNT_ID)


class CertificateAndRestartTests(unittest.TestCase):
    def test_state_and_certificate_survive_restart(self):
        with Nimbus() as server:
            sns = client(server)
            arn = sns.create_topic(Name="kept", Tags=[{"Key": "k", "Value": "v"}])["TopicArn"]
            sub = sns.subscribe(TopicArn=arn, Protocol="sms", Endpoint="+15555550123",
                                Attributes={"FilterPolicy": '{"a": ["b"]}'})["SubscriptionArn"]
            with urllib.request.urlopen(server.endpoint +
                                        "/_nimbus/sns/SimpleNotificationService-nimbus.pem") as r:
                pem = r.read()
            self.assertTrue(pem.startswith(b"-----BEGIN CERTIFICATE-----"))
            sns.publish(TopicArn=arn, Message="before", MessageAttributes={
                "a": {"DataType": "String", "StringValue": "b"}})
            server.restart()
            sns = client(server)
            self.assertEqual([t["TopicArn"] for t in sns.list_topics()["Topics"]], [arn])
            self.assertEqual(sns.list_tags_for_resource(ResourceArn=arn)["Tags"],
                             [{"Key": "k", "Value": "v"}])
            attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
            self.assertEqual(attrs["FilterPolicy"], '{"a": ["b"]}')
            self.assertEqual([m["body"] for m in outbox(server)], ["before"])
            with urllib.request.urlopen(server.endpoint +
                                        "/_nimbus/sns/SimpleNotificationService-nimbus.pem") as r:
                self.assertEqual(r.read(), pem)


if __name__ == "__main__":
    unittest.main()
