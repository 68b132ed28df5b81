"""Smoke test of nimbus-bench (bench/): runs it for 2 seconds against a fresh nimbus for S3 PUT
and GET and checks the run is valid (zero errors, some requests) and its JSON is well formed.
The bench binary sits next to $NIMBUS_BIN in the build directory."""
import json
import os
import subprocess
import unittest

from harness import Nimbus, ACCESS_KEY, SECRET_KEY, nimbus_binary


def bench_binary():
    path = os.path.join(os.path.dirname(nimbus_binary()), "nimbus-bench")
    if not os.access(path, os.X_OK):
        raise RuntimeError("nimbus-bench not found at %s (build it)" % path)
    return path


class BenchSmoke(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Nimbus()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

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

    def test_refuses_non_loopback_endpoints(self):
        done = subprocess.run([bench_binary(), "--endpoint", "http://example.com:80",
                               "--operation", "s3-get"], capture_output=True, text=True,
                              timeout=10)
        self.assertEqual(done.returncode, 2)
        self.assertIn("127.0.0.1", done.stderr)


if __name__ == "__main__":
    unittest.main()
