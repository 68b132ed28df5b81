"""Smoke test of nimbus-bench (bench/): runs it for 2 seconds against a fresh nimbus for S3 PUT
and GET and checks the run is valid (zero errors, some requests) and its JSON is well formed;
checks that sns-publish-only's end-of-run delivery count catches a missing or an extra message,
and that sdb-select-selective refuses a Select with the wrong number of items.
The bench binary sits next to $NIMBUS_BIN in the build directory."""
import json
import os
import subprocess
import time
import unittest

import boto3

from harness import ACCESS_KEY, SECRET_KEY, ServerTestCase, nimbus_binary


def bench_binary():
    path = os.path.join(os.path.dirname(nimbus_binary()), "nimbus-bench")
    if not os.access(path, os.X_OK):
        raise RuntimeError("nimbus-bench not found at %s (build it)" % path)
    return path


class BenchSmoke(ServerTestCase):

    def run_bench(self, *args):
        cmd = [bench_binary(), "--endpoint", self.server.endpoint, "--access-key", ACCESS_KEY,
               "--secret-key", SECRET_KEY, "--json"] + list(args)
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        return done.returncode, done.stdout, done.stderr

    def check_valid(self, operation):
        code, out, err = self.run_bench("--operation", operation, "--duration", "2",
                                        "--warmup", "0.2", "--connections", "4",
                                        "--size", "1024")
        self.assertEqual(code, 0, out + err)
        result = json.loads(out)
        self.assertEqual(result["status"], "ok", out)
        self.assertTrue(result["valid"])
        self.assertEqual(result["errors"], 0)
        self.assertGreater(result["requests"], 0)
        self.assertGreater(result["requests_per_s"], 0)
        self.assertGreater(result["bytes_per_s"], 0)
        lat = result["latency_ms"]
        self.assertLessEqual(lat["p50"], lat["p99"])
        self.assertLessEqual(lat["p99"], lat["max"])

    def test_s3_put(self):
        self.check_valid("s3-put")

    def test_s3_get(self):
        self.check_valid("s3-get")

    def test_sdb_select_selective(self):
        # Seeds 60 items in groups of 10; every Select must return exactly its group's 10.
        code, out, err = self.run_bench("--operation", "sdb-select-selective", "--duration", "1",
                                        "--warmup", "0", "--connections", "2", "--size", "64",
                                        "--seed-items", "60", "--name", "smoke-selective")
        self.assertEqual(code, 0, out + err)
        result = json.loads(out)
        self.assertEqual(result["status"], "ok", out)
        self.assertEqual(result["errors"], 0)
        self.assertGreater(result["requests"], 0)
        # One more item joins group grp-0: its Selects now return 11 items, which the bench
        # must report as errors rather than count as valid.
        sdb = boto3.client("sdb", endpoint_url=self.server.endpoint, region_name="us-east-1",
                           aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
        sdb.put_attributes(DomainName="smoke-selective", ItemName="extra",
                           Attributes=[{"Name": "grp", "Value": "grp-0", "Replace": True}])
        code, out, err = self.run_bench("--operation", "sdb-select-selective", "--requests", "12",
                                        "--warmup", "0", "--connections", "1", "--size", "64",
                                        "--seed-items", "60", "--name", "smoke-selective")
        result = json.loads(out)
        self.assertGreater(result["errors"], 0, out)
        self.assertIn("11 items, not 10", out)

    def test_server_cpu_over_the_measured_window(self):
        code, out, err = self.run_bench("--operation", "s3-head", "--duration", "1",
                                        "--warmup", "0.2", "--connections", "2",
                                        "--server-pid", str(self.server.process.pid))
        self.assertEqual(code, 0, out + err)
        result = json.loads(out)
        self.assertGreater(result["server_cpu_s"], 0)
        # Within the measured window: at most every core for its length (plus a clock tick).
        self.assertLessEqual(result["server_cpu_s"],
                             len(os.sched_getaffinity(0)) * result["elapsed_s"] + 0.02)

    def test_request_count(self):
        code, out, err = self.run_bench("--operation", "s3-head", "--requests", "200",
                                        "--warmup", "0", "--connections", "2")
        self.assertEqual(code, 0, out + err)
        self.assertEqual(json.loads(out)["requests"], 200)

    def test_wrong_secret_makes_the_run_invalid(self):
        cmd = [bench_binary(), "--endpoint", self.server.endpoint, "--access-key", ACCESS_KEY,
               "--secret-key", "wrong", "--json", "--operation", "s3-put", "--duration", "0.5",
               "--warmup", "0"]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        result = json.loads(done.stdout)
        self.assertFalse(result["valid"])

    def sqs(self):
        return boto3.client("sqs", endpoint_url=self.server.endpoint, region_name="us-east-1",
                            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)

    def sns_publish_only(self, name, subscribers, duration):
        return [bench_binary(), "--endpoint", self.server.endpoint, "--access-key", ACCESS_KEY,
                "--secret-key", SECRET_KEY, "--json", "--operation", "sns-publish-only",
                "--name", name, "--subscribers", str(subscribers), "--connections", "2",
                "--duration", str(duration), "--warmup", "0.2", "--size", "256"]

    def test_sns_publish_only(self):
        done = subprocess.run(self.sns_publish_only("po-ok", 3, 1.5), capture_output=True,
                              text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        result = json.loads(done.stdout)
        self.assertEqual(result["status"], "ok", done.stdout)
        self.assertGreater(result["requests"], 0)
        self.assertEqual(result["http_requests"], result["requests"])  # the unit is one Publish
        # The run deletes its topic and queues once it has counted the deliveries.
        self.assertNotIn("QueueUrls", self.sqs().list_queues(QueueNamePrefix="po-ok"))

    def tampered_run(self, name, tamper):
        """sns-publish-only while `tamper(sqs, queue_url)` changes one subscribed queue."""
        bench = subprocess.Popen(self.sns_publish_only(name, 2, 3), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        try:
            sqs = self.sqs()
            deadline = time.monotonic() + 20
            urls = []
            while len(urls) < 4 and time.monotonic() < deadline:  # 2 connections x 2 queues
                urls = sqs.list_queues(QueueNamePrefix=name).get("QueueUrls", [])
                time.sleep(0.05)
            self.assertEqual(len(urls), 4, urls)
            tamper(sqs, sorted(urls)[0])
            out, err = bench.communicate(timeout=60)
        finally:
            if bench.poll() is None:
                bench.kill()
                bench.communicate()
        self.assertEqual(bench.returncode, 1, out + err)
        result = json.loads(out)
        self.assertEqual(result["status"], "invalid", out)
        return result["first_error"]

    def test_sns_publish_only_counts_a_missing_delivery(self):
        def take_one(sqs, url):
            got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5).get("Messages", [])
            self.assertEqual(len(got), 1)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
        self.assertIn("deliveries are missing", self.tampered_run("po-missing", take_one))

    def test_sns_publish_only_counts_an_extra_delivery(self):
        def add_one(sqs, url):
            sqs.send_message(QueueUrl=url, MessageBody="not published")
        self.assertIn("deliveries are duplicated", self.tampered_run("po-extra", add_one))

    def test_refuses_non_loopback_endpoints(self):
        done = subprocess.run([bench_binary(), "--endpoint", "http://example.com:80",
                               "--operation", "s3-get"], capture_output=True, text=True,
                              timeout=10)
        self.assertEqual(done.returncode, 2)
        self.assertIn("127.0.0.1", done.stderr)


if __name__ == "__main__":
    unittest.main()
