"""Starts and stops a nimbus server for the client tests (standard library only, so both the
machine's python3 with boto3 and Debian's /usr/bin/python3 with boto 2 can import it).

    from harness import Nimbus, ACCESS_KEY, SECRET_KEY
    with Nimbus() as server:
        boto3.client("s3", endpoint_url=server.endpoint, ...)
        server.restart()   # SIGTERM, wait, start again on the same data dir and port
        server.kill9()     # SIGKILL, wait; call server.start() to bring it back

The binary is $NIMBUS_BIN, else ../../build/nimbus next to this file. Every server gets its own
temporary data directory (removed on close), a free port on 127.0.0.1, the repository's
conf/credentials and no HTTPS listener.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CREDENTIALS = os.path.join(REPO, "conf", "credentials")

# The key pairs in conf/credentials.
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"           # account 000000000000
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ACCOUNT_ID = "000000000000"
TEST_ACCESS_KEY = "test"                       # also account 000000000000
TEST_SECRET_KEY = "test"
SECOND_ACCESS_KEY = "AKIAI44QH8DHBEXAMPLE"     # account 111111111111
SECOND_SECRET_KEY = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
SECOND_ACCOUNT_ID = "111111111111"

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


def unique(prefix):
    """A name no other test run uses: <prefix>-<10 hex digits>."""
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


def boto3_client(server, service, key=ACCESS_KEY, secret=SECRET_KEY, region="us-east-1",
                 **kwargs):
    """A boto3 client of `service` pointed at `server` (the machine's python3 only)."""
    import boto3  # imported here: the boto 2 tests run under an interpreter without it
    return boto3.client(service, endpoint_url=server.endpoint, region_name=region,
                        aws_access_key_id=key, aws_secret_access_key=secret, **kwargs)


def nimbus_binary():
    path = os.environ.get("NIMBUS_BIN") or os.path.join(REPO, "build", "nimbus")
    if not os.access(path, os.X_OK):
        raise RuntimeError("nimbus binary not found at %s (build it or set NIMBUS_BIN)" % path)
    return path


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nimbus:
    """One nimbus server process on 127.0.0.1 with its own data directory."""

    def __init__(self, port=None, extra_args=()):
        self.binary = nimbus_binary()
        self.data_dir = tempfile.mkdtemp(prefix="nimbus-data-")
        self._log_dir = tempfile.mkdtemp(prefix="nimbus-log-")
        self.port = port or free_port()
        self.extra_args = list(extra_args)
        self.process = None
        self._log = None
        self._log_path = None
        self._starts = 0
        self.start()

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    @property
    def host(self):
        return "127.0.0.1"

    def _environment(self):
        # NIMBUS_<OPTION> variables would override the command line's choices; drop them.
        env = {k: v for k, v in os.environ.items() if not k.startswith("NIMBUS_")}
        return env

    def start(self):
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError("nimbus is already running")
        self._starts += 1
        self._log_path = os.path.join(self._log_dir, "output-%d.log" % self._starts)
        self._log = open(self._log_path, "wb")
        args = [self.binary, "serve", "--host", "127.0.0.1", "--port", str(self.port),
                "--data-dir", self.data_dir, "--credentials", CREDENTIALS, "--tls-port", "0",
                "--log-level", "warn"] + self.extra_args
        self.process = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, env=self._environment())
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("nimbus exited with status %d:\n%s"
                                   % (self.process.returncode, self.output()))
            if self._healthy():
                return
            time.sleep(0.05)
        self._terminate(signal.SIGKILL)
        raise RuntimeError("nimbus did not answer /_nimbus/health within %.0f s:\n%s"
                           % (START_TIMEOUT, self.output()))

    def _healthy(self):
        try:
            with urllib.request.urlopen(self.endpoint + "/_nimbus/health", timeout=1) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def output(self):
        """What the current server process wrote to stdout/stderr so far."""
        if self._log_path is None:
            return ""
        if self._log is not None:
            self._log.flush()
        try:
            with open(self._log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def _terminate(self, sig):
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise RuntimeError("nimbus did not stop within %.0f s after signal %d:\n%s"
                                   % (STOP_TIMEOUT, sig, self.output()))
        code = self.process.returncode
        if self._log is not None:
            self._log.close()
            self._log = None
        return code

    def stop(self):
        """SIGTERM and wait; returns the exit status (0 for a clean shutdown)."""
        return self._terminate(signal.SIGTERM)

    def kill9(self):
        """SIGKILL and wait, as a crash would; start() brings the server back."""
        return self._terminate(signal.SIGKILL)

    def restart(self):
        code = self.stop()
        if code != 0:
            raise RuntimeError("nimbus exited with status %s on SIGTERM:\n%s"
                               % (code, self.output()))
        self.start()

    def close(self):
        try:
            self._terminate(signal.SIGTERM)
        finally:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            shutil.rmtree(self._log_dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def dynamodb_keys(range_type=None):
    """KeySchema and AttributeDefinitions of a table keyed by the string `pk`, and by `sk` of
    range_type ("S", "N" or "B") when given."""
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
    defs = [{"AttributeName": "pk", "AttributeType": "S"}]
    if range_type:
        keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
        defs.append({"AttributeName": "sk", "AttributeType": range_type})
    return keys, defs


class ServerTestCase(unittest.TestCase):
    """A test class sharing one server (cls.server), started before its first test and closed
    after its last; subclasses add their clients in setUpClass after calling super()."""

    @classmethod
    def setUpClass(cls):
        cls.server = Nimbus()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
