"""The HTTP server and the binary, driven over real sockets (machine's python3 with botocore
for signing): command-line behaviour, keep-alive, chunked bodies, Expect: 100-continue answered
only after authentication, malformed HTTP, header limits, idle timeouts, thousands of idle
connections, streamed uploads with flat memory, admin endpoints, access log, TLS, and graceful
shutdown. Requests are signed exactly as AWS's clients sign them (botocore's SigV4 signer)."""
import http.client
import json
import os
import resource
import signal
import socket
import ssl
import subprocess
import time
import unittest
import warnings

warnings.simplefilter("ignore", ResourceWarning)

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials

from harness import ACCESS_KEY, SECRET_KEY, Nimbus, free_port, nimbus_binary


def signed_s3_headers(method, url, headers=None, secret=SECRET_KEY, payload="UNSIGNED-PAYLOAD"):
    """SigV4 headers for an S3 request, as botocore computes them."""
    headers = dict(headers or {})
    headers["Host"] = url.split("/")[2]
    request = botocore.awsrequest.AWSRequest(method=method, url=url, headers=headers)
    request.context["client_config"] = botocore.config.Config(
        s3={"payload_signing_enabled": payload != "UNSIGNED-PAYLOAD"})
    creds = botocore.credentials.Credentials(ACCESS_KEY, secret)
    botocore.auth.S3SigV4Auth(creds, "s3", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def rss_kib(pid, field="VmRSS"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError("no %s for %d" % (field, pid))


def threads_of(pid):
    return rss_kib(pid, "Threads")


def recv_all(sock, timeout=5.0):
    sock.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    return data


class CommandLineTest(unittest.TestCase):
    def run_nimbus(self, *args):
        env = {k: v for k, v in os.environ.items() if not k.startswith("NIMBUS_")}
        return subprocess.run([nimbus_binary()] + list(args), capture_output=True, text=True,
                              timeout=20, env=env)

    def test_help_and_version(self):
        r = self.run_nimbus("--help")
        self.assertEqual(r.returncode, 0)
        for option in ("--port", "--data-dir", "--ephemeral", "--auth", "--tls-port", "--durability"):
            self.assertIn(option, r.stdout)
        r = self.run_nimbus("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^nimbus \d+\.\d+\.\d+\n$")

    def test_bad_option_is_one_line_and_non_zero(self):
        r = self.run_nimbus("serve", "--no-such-option")
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("no-such-option", r.stderr)

    def test_busy_port_is_one_line_and_non_zero(self):
        with socket.socket() as blocker:
            blocker.bind(("127.0.0.1", 0))
            blocker.listen()
            port = blocker.getsockname()[1]
            r = self.run_nimbus("serve", "--ephemeral", "--port", str(port), "--tls-port", "0")
        self.assertEqual(r.returncode, 1)
        lines = [l for l in r.stderr.strip().splitlines() if "cannot listen" in l]
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn(str(port), lines[0])

    def test_a_data_directory_in_use_is_refused_in_one_line(self):
        server = Nimbus()
        try:
            r = self.run_nimbus("serve", "--data-dir", server.data_dir, "--port", str(free_port()),
                                "--tls-port", "0")
            self.assertEqual(r.returncode, 1, r.stderr)
            lines = [l for l in r.stderr.strip().splitlines() if "in use" in l]
            self.assertEqual(len(lines), 1, r.stderr)
            self.assertIn("pid %d" % server.process.pid, lines[0])
            c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            c.request("GET", "/_nimbus/health")
            self.assertEqual(c.getresponse().status, 200, "the first server keeps serving")
        finally:
            server.close()

    def test_environment_variables_set_options(self):
        port = free_port()
        env = dict(os.environ, NIMBUS_PORT=str(port), NIMBUS_EPHEMERAL="true", NIMBUS_TLS_PORT="0",
                   NIMBUS_LOG_LEVEL="warn")
        process = subprocess.Popen([nimbus_binary(), "serve"], env=env, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                    c.request("GET", "/_nimbus/health")
                    body = json.loads(c.getresponse().read())
                    self.assertEqual(body["storage"], "memory")
                    return
                except OSError:
                    time.sleep(0.05)
            self.fail("server did not come up on NIMBUS_PORT")
        finally:
            process.terminate()
            process.wait(10)


class ServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Nimbus(extra_args=["--idle-timeout", "2"])
        cls.s3 = boto3.client("s3", endpoint_url=cls.server.endpoint, region_name="us-east-1",
                              aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
        cls.s3.create_bucket(Bucket="server-tests")

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def connect(self):
        return http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)

    def test_health_reports_version_and_services(self):
        c = self.connect()
        c.request("GET", "/_nimbus/health")
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        body = json.loads(r.read())
        self.assertEqual(body["status"], "ok")
        self.assertIn("version", body)
        self.assertGreaterEqual(body["uptime_seconds"], 0)
        self.assertEqual(body["services"]["s3"], "running")

    def test_reset_is_refused_without_the_flag(self):
        c = self.connect()
        c.request("POST", "/_nimbus/reset")
        r = c.getresponse()
        self.assertEqual(r.status, 403)
        self.assertIn("--enable-reset", r.read().decode())
        self.assertIn("server-tests", [b["Name"] for b in self.s3.list_buckets()["Buckets"]])

    def test_keep_alive_serves_several_requests_on_one_connection(self):
        c = self.connect()
        for i in range(5):
            c.request("GET", "/_nimbus/health")
            r = c.getresponse()
            r.read()
            self.assertEqual(r.status, 200)
            if i == 0:
                first_socket = c.sock
            self.assertIs(c.sock, first_socket)

    def test_chunked_request_body_is_stored_whole(self):
        url = self.server.endpoint + "/server-tests/chunked"
        headers = signed_s3_headers("PUT", url, {"Transfer-Encoding": "chunked"})
        c = self.connect()
        c.putrequest("PUT", "/server-tests/chunked", skip_host=True, skip_accept_encoding=True)
        for k, v in headers.items():
            c.putheader(k, v)
        c.endheaders()
        parts = [b"a" * 1000, b"b" * 70000, b"c" * 5]
        for part in parts:
            c.send(b"%x\r\n%s\r\n" % (len(part), part))
        c.send(b"0\r\n\r\n")
        r = c.getresponse()
        r.read()
        self.assertEqual(r.status, 200)
        body = self.s3.get_object(Bucket="server-tests", Key="chunked")["Body"].read()
        self.assertEqual(body, b"".join(parts))

    def test_expect_continue_is_answered_only_after_authentication(self):
        url = self.server.endpoint + "/server-tests/expect"
        for secret, expect_continue in ((SECRET_KEY, True), ("wrong-secret", False)):
            headers = signed_s3_headers("PUT", url, {"Content-Length": "5", "Expect": "100-continue"},
                                        secret=secret)
            with socket.create_connection(("127.0.0.1", self.server.port)) as s:
                head = "PUT /server-tests/expect HTTP/1.1\r\n" + "".join(
                    "%s: %s\r\n" % kv for kv in headers.items()) + "\r\n"
                s.sendall(head.encode())
                s.settimeout(5)
                first = s.recv(65536)
                if expect_continue:
                    self.assertTrue(first.startswith(b"HTTP/1.1 100 Continue"), first)
                    s.sendall(b"hello")
                    rest = first.split(b"\r\n\r\n", 1)[1] + recv_until(s, b"\r\n\r\n")
                    self.assertTrue(rest.startswith(b"HTTP/1.1 200"), rest)
                else:
                    self.assertTrue(first.startswith(b"HTTP/1.1 403"), first)
                    self.assertIn(b"SignatureDoesNotMatch", first + recv_all(s, 2))
        body = self.s3.get_object(Bucket="server-tests", Key="expect")["Body"].read()
        self.assertEqual(body, b"hello")

    def test_responses_are_framed_for_keep_alive(self):
        """Status line, header fields and Content-Length as HTTP/1.1 keep-alive needs them
        (RFC 9112 section 6): HEAD carries the object's Content-Length and no body, 204 carries
        no Content-Length, and a request that asks to close gets Connection: close."""
        self.s3.put_object(Bucket="server-tests", Key="framed", Body=b"12345",
                           Metadata={"note": "kept"})
        url = self.server.endpoint + "/server-tests/framed"

        def request(sock, method, extra=None):
            headers = signed_s3_headers(method, url, extra)
            sock.sendall(("%s /server-tests/framed HTTP/1.1\r\n" % method + "".join(
                "%s: %s\r\n" % kv for kv in headers.items()) + "\r\n").encode())

        def response(sock, buffered, has_body=True):
            while b"\r\n\r\n" not in buffered[0]:
                chunk = sock.recv(65536)
                self.assertTrue(chunk, "connection closed mid-header")
                buffered[0] += chunk
            head, rest = buffered[0].split(b"\r\n\r\n", 1)
            lines = head.decode().split("\r\n")
            fields = [tuple(line.split(": ", 1)) for line in lines[1:]]
            length = int(dict((k.lower(), v) for k, v in fields).get("content-length", "0"))
            if not has_body:
                length = 0
            while len(rest) < length:
                rest += sock.recv(65536)
            buffered[0] = rest[length:]
            return lines[0], fields, rest[:length]

        with socket.create_connection(("127.0.0.1", self.server.port)) as s:
            s.settimeout(5)
            buffered = [b""]
            request(s, "GET")
            status, fields, body = response(s, buffered)
            self.assertEqual(status, "HTTP/1.1 200 OK")
            self.assertEqual(body, b"12345")
            names = [k for k, _ in fields]
            self.assertEqual(names[-3:], ["Server", "Date", "Content-Length"])
            self.assertIn(("x-amz-meta-note", "kept"), fields)
            self.assertEqual(dict(fields)["Server"], "nimbus")

            request(s, "HEAD")
            status, fields, _ = response(s, buffered, has_body=False)
            self.assertEqual(status, "HTTP/1.1 200 OK")
            self.assertEqual([v for k, v in fields if k.lower() == "content-length"], ["5"])

            request(s, "GET", {"Range": "bytes=9-"})
            status, fields, body = response(s, buffered)
            self.assertEqual(status, "HTTP/1.1 416 Range Not Satisfiable")
            self.assertIn(b"InvalidRange", body)

            request(s, "DELETE")
            status, fields, body = response(s, buffered)
            self.assertEqual(status, "HTTP/1.1 204 No Content")
            self.assertNotIn("content-length", [k.lower() for k, _ in fields])
            self.assertEqual(body, b"")

            request(s, "GET", {"Connection": "close"})
            status, fields, body = response(s, buffered)
            self.assertEqual(status, "HTTP/1.1 404 Not Found")
            self.assertIn(("Connection", "close"), fields)
            self.assertEqual(buffered[0] + recv_all(s, 2), b"")  # and the server closed

    def test_malformed_http_gets_400_and_a_closed_connection(self):
        for garbage in (b"THIS IS NOT HTTP\r\n\r\n", b"GET / HTTP/1.1\r\nHost localhost\r\n\r\n",
                        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40 + b"\r\n\r\n"):
            with socket.create_connection(("127.0.0.1", self.server.port)) as s:
                s.sendall(garbage)
                data = recv_all(s)  # returns when the server closes
                self.assertTrue(data.startswith(b"HTTP/1.1 400"), data[:100])
        self.assertEqual(self.server.process.poll(), None, "server must survive garbage")

    def test_large_headers_are_accepted_and_huge_ones_refused(self):
        url = self.server.endpoint + "/server-tests/big-header"
        meta = {"x-amz-meta-big": "v" * 1500}
        self.s3.put_object(Bucket="server-tests", Key="big-header", Body=b"x", Metadata={"big": "v" * 1500})
        c = self.connect()
        c.request("GET", "/_nimbus/health", headers={"X-Padding": "p" * 20000})
        r = c.getresponse()
        r.read()
        self.assertEqual(r.status, 200, "16 KiB+ of headers must be accepted")
        with socket.create_connection(("127.0.0.1", self.server.port)) as s:
            s.sendall(b"GET /_nimbus/health HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"p" * 200000 + b"\r\n\r\n")
            data = recv_all(s)
            self.assertTrue(data.startswith(b"HTTP/1.1 431") or data.startswith(b"HTTP/1.1 400"), data[:80])

    def test_idle_connections_are_closed_after_the_timeout(self):
        with socket.create_connection(("127.0.0.1", self.server.port)) as s:
            s.settimeout(6)
            start = time.monotonic()
            self.assertEqual(s.recv(10), b"")  # closed by the server (--idle-timeout 2)
            self.assertLess(time.monotonic() - start, 5.5)

    def test_access_log_has_one_line_per_request(self):
        server = Nimbus(extra_args=["--log-level", "info"])
        try:
            s3 = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                              aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
            s3.create_bucket(Bucket="logged-bucket")
            s3.put_object(Bucket="logged-bucket", Key="k", Body=b"12345")
            time.sleep(0.2)
            lines = [l for l in server.output().splitlines() if " s3 " in l]
            put = [l for l in lines if " PutObject " in l]
            self.assertEqual(len(put), 1, lines)
            # time, level, account, service, operation, status, bytes, milliseconds
            self.assertRegex(put[0], r"^\d{4}-\d\d-\d\dT\S+Z INFO 000000000000 s3 PutObject 200 \d+B [\d.]+ms ")
        finally:
            server.close()


def recv_until(sock, marker, timeout=5.0):
    sock.settimeout(timeout)
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


class ScaleTest(unittest.TestCase):
    def test_ten_thousand_idle_connections_cost_no_thread_each(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard < 10500:
            self.skipTest("the open-file limit (%d) is below 10,500" % hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        with Nimbus() as server:
            pid = server.process.pid
            threads_before = threads_of(pid)
            sockets = []
            try:
                for _ in range(10000):
                    sockets.append(socket.create_connection(("127.0.0.1", server.port)))
                time.sleep(0.5)
                c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
                c.request("GET", "/_nimbus/health")
                self.assertEqual(c.getresponse().status, 200)
                self.assertLessEqual(threads_of(pid), threads_before + 2)
            finally:
                for s in sockets:
                    s.close()

    def test_streamed_upload_keeps_memory_flat(self):
        with Nimbus() as server:
            s3 = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                              aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
            s3.create_bucket(Bucket="stream-bucket")
            pid = server.process.pid
            size = 512 << 20
            url = server.endpoint + "/stream-bucket/large"
            headers = signed_s3_headers("PUT", url, {"Content-Length": str(size)})
            before = rss_kib(pid)
            c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            c.putrequest("PUT", "/stream-bucket/large", skip_host=True, skip_accept_encoding=True)
            for k, v in headers.items():
                c.putheader(k, v)
            c.endheaders()
            block = b"z" * (1 << 20)
            for _ in range(size // len(block)):
                c.send(block)
            r = c.getresponse()
            r.read()
            self.assertEqual(r.status, 200)
            peak = rss_kib(pid, "VmHWM")
            self.assertLess(peak - before, 24 * 1024,
                            "a 512 MiB upload raised the server's peak RSS by %d KiB" % (peak - before))
            head = s3.head_object(Bucket="stream-bucket", Key="large")
            self.assertEqual(head["ContentLength"], size)


class LifecycleTest(unittest.TestCase):
    def test_sigterm_finishes_cleanly_and_keeps_data(self):
        with Nimbus() as server:
            s3 = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                              aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
            s3.create_bucket(Bucket="durable")
            s3.put_object(Bucket="durable", Key="k", Body=b"kept")
            self.assertEqual(server.stop(), 0)
            self.assertFalse(os.path.exists(os.path.join(server.data_dir, "nimbus.db-wal")) and
                             os.path.getsize(os.path.join(server.data_dir, "nimbus.db-wal")) > 0,
                             "a clean shutdown checkpoints the WAL")
            server.start()
            self.assertEqual(s3.get_object(Bucket="durable", Key="k")["Body"].read(), b"kept")

    def test_reset_wipes_everything_when_enabled(self):
        with Nimbus(extra_args=["--enable-reset"]) as server:
            s3 = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                              aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
            s3.create_bucket(Bucket="to-be-wiped")
            s3.put_object(Bucket="to-be-wiped", Key="k", Body=b"x")
            c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            c.request("POST", "/_nimbus/reset")
            r = c.getresponse()
            self.assertEqual(r.status, 200)
            self.assertEqual(json.loads(r.read()), {"reset": True})
            self.assertEqual(s3.list_buckets()["Buckets"], [])

    def test_https_port_serves_the_same_api(self):
        tls_port = free_port()
        with Nimbus(extra_args=["--tls-port", str(tls_port)]) as server:
            cert = os.path.join(server.data_dir, "tls", "cert.pem")
            self.assertTrue(os.path.exists(cert), "the self-signed certificate is kept in the data dir")
            s3 = boto3.client("s3", endpoint_url="https://localhost:%d" % tls_port,
                              region_name="us-east-1", verify=cert,
                              aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
            s3.create_bucket(Bucket="over-tls")
            s3.put_object(Bucket="over-tls", Key="k", Body=b"secret bytes")
            self.assertEqual(s3.get_object(Bucket="over-tls", Key="k")["Body"].read(), b"secret bytes")

    def test_auth_off_accepts_any_key_and_maps_twelve_digit_keys_to_accounts(self):
        with Nimbus(extra_args=["--auth", "off"]) as server:
            a = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                             aws_access_key_id="123456789012", aws_secret_access_key="anything")
            a.create_bucket(Bucket="other-emulator-bucket")
            owner = a.list_buckets()["Owner"]
            b = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                             aws_access_key_id="whatever", aws_secret_access_key="x")
            self.assertEqual(b.list_buckets()["Buckets"], [])  # default account 000000000000
            self.assertNotEqual(b.list_buckets()["Owner"]["ID"], owner["ID"])


if __name__ == "__main__":
    unittest.main()
