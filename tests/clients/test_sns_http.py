"""SNS → HTTP and HTTPS deliveries against a small receiver started by the test (python
http.server on loopback; for https, wrapped in TLS with a self-signed certificate the test makes
with the openssl CLI): the SubscriptionConfirmation POST, confirming by fetching SubscribeURL,
signed Notifications verified with the certificate served at SigningCertURL (openssl CLI), raw
delivery, and retries of a failing endpoint per the delivery policy.

Follows "Use Amazon SNS with HTTP/S endpoints" and "Verifying the signatures of Amazon SNS
messages" in the Amazon SNS developer guide. Runs under the machine's python3 with boto3.
"""
import base64
import http.server
import json
import os
import queue
import ssl
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

import boto3
from botocore.config import Config

from harness import ACCESS_KEY, SECRET_KEY, Nimbus


def self_signed_context(directory):
    """A TLS server context with a fresh self-signed certificate for localhost."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=localhost"], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


class Receiver:
    """Records every POST; answers with the statuses queued in `fail_with`, then 200. With
    tls=True it serves https://localhost:<port>/hook with a self-signed certificate and records
    the server names (SNI) clients asked for in `server_names`."""

    def __init__(self, tls=False):
        self.requests = queue.Queue()
        self.fail_with = []
        self.server_names = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                headers = dict(self.headers)
                headers["tls"] = isinstance(self.connection, ssl.SSLSocket)
                receiver.requests.put((headers, body))
                status = receiver.fail_with.pop(0) if receiver.fail_with else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d/hook" % port
        if tls:
            with tempfile.TemporaryDirectory() as d:
                context = self_signed_context(d)
            context.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            self.url = "https://localhost:%d/hook" % port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self, timeout=10):
        return self.requests.get(timeout=timeout)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def canonical(message):
    if message["Type"] == "Notification":
        keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        keys = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    return "".join("%s\n%s\n" % (k, message[k]) for k in keys if k in message)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def verify(message):
    """Verifies the signature with the certificate at SigningCertURL, using the openssl CLI."""
    with urllib.request.urlopen(message["SigningCertURL"]) as r:
        cert = r.read()
    with tempfile.TemporaryDirectory() as d:
        paths = {n: os.path.join(d, n) for n in ("cert.pem", "key.pem", "sig", "data")}
        write(paths["cert.pem"], cert)
        write(paths["sig"], base64.b64decode(message["Signature"]))
        write(paths["data"], canonical(message).encode())
        key = subprocess.run(["openssl", "x509", "-pubkey", "-noout", "-in", paths["cert.pem"]],
                             check=True, capture_output=True).stdout
        write(paths["key.pem"], key)
        digest = "-sha256" if message["SignatureVersion"] == "2" else "-sha1"
        result = subprocess.run(["openssl", "dgst", digest, "-verify", paths["key.pem"],
                                 "-signature", paths["sig"], paths["data"]], capture_output=True)
        return result.returncode == 0


class HttpDeliveryTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Nimbus()
        cls.sns = boto3.client("sns", endpoint_url=cls.server.endpoint, region_name="us-east-1",
                               aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                               config=Config(retries={"total_max_attempts": 1}))

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def setUp(self):
        self.receiver = Receiver()
        self.addCleanup(self.receiver.close)

    def subscribe_confirmed(self, topic, receiver=None, **attributes):
        receiver = receiver or self.receiver
        self.sns.subscribe(TopicArn=topic, Protocol=receiver.url.split(":")[0],
                           Endpoint=receiver.url, Attributes=attributes)
        headers, body = receiver.next()
        confirmation = json.loads(body)
        self.assertEqual(headers["tls"], receiver.url.startswith("https:"))
        self.assertEqual(headers["x-amz-sns-message-type"], "SubscriptionConfirmation")
        self.assertEqual(confirmation["Type"], "SubscriptionConfirmation")
        self.assertEqual(confirmation["TopicArn"], topic)
        self.assertTrue(verify(confirmation))
        with urllib.request.urlopen(confirmation["SubscribeURL"]) as r:
            self.assertEqual(r.status, 200)
        [sub] = self.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        self.assertTrue(sub["SubscriptionArn"].startswith(topic + ":"))
        return sub["SubscriptionArn"]

    def test_confirmation_and_signed_notification(self):
        topic = self.sns.create_topic(Name="http-signed")["TopicArn"]
        sub = self.subscribe_confirmed(topic)
        started = time.monotonic()
        self.sns.publish(TopicArn=topic, Message="hello http", Subject="Hi",
                         MessageAttributes={"n": {"DataType": "Number", "StringValue": "7"}})
        self.assertLess(time.monotonic() - started, 1.0)  # Publish does not wait for the POST
        headers, body = self.receiver.next()
        note = json.loads(body)
        self.assertEqual(headers["x-amz-sns-message-type"], "Notification")
        self.assertEqual(headers["x-amz-sns-subscription-arn"], sub)
        self.assertEqual(headers["x-amz-sns-message-id"], note["MessageId"])
        self.assertEqual(list(note)[:5], ["Type", "MessageId", "TopicArn", "Subject", "Message"])
        self.assertEqual(note["Message"], "hello http")
        self.assertEqual(note["SignatureVersion"], "1")
        self.assertEqual(note["MessageAttributes"], {"n": {"Type": "Number", "Value": "7"}})
        self.assertRegex(note["Timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertTrue(verify(note))
        tampered = dict(note, Message="hello HTTP")
        self.assertFalse(verify(tampered))
        # SignatureVersion 2 signs with SHA256.
        self.sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion",
                                      AttributeValue="2")
        self.sns.publish(TopicArn=topic, Message="v2")
        note = json.loads(self.receiver.next()[1])
        self.assertEqual(note["SignatureVersion"], "2")
        self.assertTrue(verify(note))
        # The UnsubscribeURL works without credentials, and an UnsubscribeConfirmation follows.
        urllib.request.urlopen(note["UnsubscribeURL"]).read()
        headers, body = self.receiver.next()
        self.assertEqual(json.loads(body)["Type"], "UnsubscribeConfirmation")
        self.assertEqual(self.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"], [])

    def test_https_confirmation_and_signed_notification(self):
        # nimbus does not verify the endpoint's certificate (AWS requires one from a CA it
        # trusts): the self-signed certificate of a local receiver is accepted. SNI is sent.
        receiver = Receiver(tls=True)
        self.addCleanup(receiver.close)
        topic = self.sns.create_topic(Name="https-signed")["TopicArn"]
        sub = self.subscribe_confirmed(topic, receiver)
        self.assertEqual(self.sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
                         ["PendingConfirmation"], "false")
        self.sns.publish(TopicArn=topic, Message="hello https", Subject="Secure")
        headers, body = receiver.next()
        note = json.loads(body)
        self.assertTrue(headers["tls"])
        self.assertEqual(headers["x-amz-sns-message-type"], "Notification")
        self.assertEqual(headers["x-amz-sns-subscription-arn"], sub)
        self.assertEqual(headers["x-amz-sns-message-id"], note["MessageId"])
        self.assertEqual((note["Message"], note["Subject"]), ("hello https", "Secure"))
        self.assertTrue(verify(note))
        self.assertFalse(verify(dict(note, Subject="Insecure")))
        self.assertIn("localhost", receiver.server_names)

    def test_raw_delivery(self):
        topic = self.sns.create_topic(Name="http-raw")["TopicArn"]
        self.subscribe_confirmed(topic, RawMessageDelivery="true")
        self.sns.publish(TopicArn=topic, Message="just the body")
        headers, body = self.receiver.next()
        self.assertEqual(body, "just the body")
        self.assertEqual(headers["x-amz-sns-rawdelivery"], "true")

    def test_retries_then_delivers(self):
        # sns-message-delivery-retries: a failing endpoint is retried per the delivery policy.
        topic = self.sns.create_topic(Name="http-retry")["TopicArn"]
        policy = {"healthyRetryPolicy": {"numRetries": 3, "minDelayTarget": 1,
                                         "maxDelayTarget": 1, "backoffFunction": "linear"}}
        self.subscribe_confirmed(topic, DeliveryPolicy=json.dumps(policy))
        self.receiver.fail_with = [500, 503]
        self.sns.publish(TopicArn=topic, Message="eventually")
        seen = [json.loads(self.receiver.next()[1])["Message"] for _ in range(3)]
        self.assertEqual(seen, ["eventually"] * 3)
        with self.assertRaises(queue.Empty):
            self.receiver.next(timeout=2)

    def test_gives_up_after_retries(self):
        topic = self.sns.create_topic(Name="http-giveup")["TopicArn"]
        policy = {"healthyRetryPolicy": {"numRetries": 1, "minDelayTarget": 1,
                                         "maxDelayTarget": 1}}
        self.subscribe_confirmed(topic, DeliveryPolicy=json.dumps(policy))
        self.receiver.fail_with = [500] * 10
        self.sns.publish(TopicArn=topic, Message="doomed")
        self.receiver.next()
        self.receiver.next()
        with self.assertRaises(queue.Empty):
            self.receiver.next(timeout=2.5)

    def test_pending_delivery_survives_restart(self):
        # Persistence: a delivery waiting for its retry is attempted again after a restart.
        topic = self.sns.create_topic(Name="http-restart")["TopicArn"]
        policy = {"healthyRetryPolicy": {"numRetries": 2, "minDelayTarget": 2,
                                         "maxDelayTarget": 2}}
        self.subscribe_confirmed(topic, DeliveryPolicy=json.dumps(policy))
        self.receiver.fail_with = [500]
        self.sns.publish(TopicArn=topic, Message="durable")
        self.receiver.next()
        self.server.restart()
        headers, body = self.receiver.next(timeout=10)
        self.assertEqual(json.loads(body)["Message"], "durable")


if __name__ == "__main__":
    unittest.main()
