"""ecsd.py - the integration-test fixture: a real ecsd on a private port and
data directory, and the clients users use (boto3, aws-cli, raw signed HTTP).

    import ecsd
    d = ecsd.shared()            # one daemon for the whole run, reset per test
    ecs = d.boto3("eu-west-1")   # a boto3 ECS client pointed at it
    out = d.aws("ecs", "list-clusters")   # aws-cli, parsed JSON
    status, doc = d.raw("ListClusters", b"{}")   # exact bytes, SigV4-signed

Daemons are always stopped at exit; each writes its log next to its data.
"""
import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("ECSD_BUILD", "build")
BINARY = os.path.join(ROOT, BUILD, "ecsd")
TARGET = "AmazonEC2ContainerServiceV20141113."
ENV = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
           AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="")
for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
    ENV.pop(k, None)
os.environ.update({k: ENV[k] for k in ("AWS_ACCESS_KEY_ID",
                                       "AWS_SECRET_ACCESS_KEY",
                                       "AWS_DEFAULT_REGION")})


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    def __init__(self, data_dir=None, args=()):
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="ecsd-test-")
        self.args = list(args)
        self.port = None
        self.proc = None
        self.log_path = os.path.join(self.data_dir, "ecsd.log")

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self, timeout=10):
        self.port = self.port or free_port()
        cmd = [BINARY, "--port", str(self.port), "--data-dir", self.data_dir,
               "--log-level", "debug", "--check-output"] + self.args
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=log,
                                     stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("ecsd exited with %s; log:\n%s" %
                                   (self.proc.returncode, self.log_tail()))
            try:
                self.admin("GET", "health")
                return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("ecsd did not answer in %ss" % timeout)

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode
        self.proc = None
        return rc

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def restart(self):
        self.stop()
        return self.start()

    def cleanup(self):
        # Leave no container behind: reset, let the scheduler remove them.
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.reset()
                wait_for(lambda: not owned_containers(self), timeout=60,
                         what="containers to be removed at cleanup")
            except Exception as e:  # noqa: BLE001 - best effort at exit
                print("ecsd cleanup: %s" % e)
        self.stop()
        if self.own_dir and os.environ.get("ECSD_KEEP_DATA") != "1":
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def log_tail(self, n=40):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def admin(self, method, what):
        req = urllib.request.Request("%s/_ecsd/%s" % (self.url, what),
                                     method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def reset(self):
        return self.admin("POST", "reset")

    def boto3(self, region="us-east-1", validate=True):
        cfg = botocore.config.Config(
            retries={"max_attempts": 1, "mode": "standard"},
            parameter_validation=validate)
        return boto3.client("ecs", region_name=region, endpoint_url=self.url,
                            aws_access_key_id="test",
                            aws_secret_access_key="test", config=cfg)

    def aws(self, *args, region="us-east-1", check=True):
        """Runs aws-cli; returns parsed JSON (or None for empty output).
        With check=False returns (returncode, stdout, stderr)."""
        cmd = ["aws", "--endpoint-url", self.url, "--region", region,
               "--output", "json"] + list(args)
        p = subprocess.run(cmd, env=ENV, capture_output=True, text=True,
                           timeout=120)
        if not check:
            return p.returncode, p.stdout, p.stderr
        if p.returncode != 0:
            raise AssertionError("%s failed (%d): %s" % (" ".join(args),
                                                         p.returncode, p.stderr))
        return json.loads(p.stdout) if p.stdout.strip() else None

    def raw(self, op, body, region="us-east-1", headers=None, sign=True):
        """Sends exactly these bytes as ECS operation op, SigV4-signed like an
        SDK would. Returns (http status, parsed JSON or raw bytes)."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        h = {"X-Amz-Target": TARGET + op if op else None,
             "Content-Type": "application/x-amz-json-1.1"}
        h = {k: v for k, v in h.items() if v is not None}
        h.update(headers or {})
        req = botocore.awsrequest.AWSRequest(method="POST", url=self.url + "/",
                                             data=body, headers=h)
        if sign:
            creds = botocore.credentials.Credentials("test", "test")
            botocore.auth.SigV4Auth(creds, "ecs", region).add_auth(req)
        prepared = req.prepare()
        r = urllib.request.Request(prepared.url, data=prepared.body,
                                   headers=dict(prepared.headers), method="POST")
        try:
            with urllib.request.urlopen(r, timeout=30) as resp:
                status, data = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, data = e.code, e.read()
        try:
            return status, json.loads(data)
        except ValueError:
            return status, data


_shared = None


def shared():
    """One daemon for the whole test run; tests reset it in setUp."""
    global _shared
    if _shared is None:
        _shared = Daemon().start()
        atexit.register(_shared.cleanup)
    return _shared


class TestCase(unittest.TestCase):
    """A test against the shared daemon, emptied before each test."""

    def setUp(self):
        self.d = shared()
        self.d.reset()
        self.ecs = self.d.boto3()

    def assertEcsError(self, code, fn, *args, **kwargs):
        """fn raises a botocore ClientError with this __type; returns it."""
        from botocore.exceptions import ClientError
        with self.assertRaises(ClientError) as cm:
            fn(*args, **kwargs)
        self.assertEqual(cm.exception.response["Error"]["Code"], code,
                         cm.exception.response["Error"].get("Message"))
        return cm.exception.response["Error"]


# ---- real containers ------------------------------------------------------

TEST_IMAGE = "ecsd-test/busybox:latest"
_image_ready = False


def ensure_test_image():
    """Builds the local busybox test image once per run (no registry here)."""
    global _image_ready
    if not _image_ready:
        subprocess.run([os.path.join(ROOT, "tests", "images", "build.sh")],
                       check=True, capture_output=True, timeout=300)
        _image_ready = True


def docker(*args, check=True):
    p = subprocess.run(["docker"] + list(args), capture_output=True,
                       text=True, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError("docker %s: %s" % (" ".join(args), p.stderr))
    return p.stdout.strip()


def owned_containers(d):
    """Ids of every container (running or not) this daemon's store owns."""
    owner = d.admin("GET", "info")["owner"]
    out = docker("ps", "-aq", "--no-trunc", "--filter",
                 "label=ecsd.owner=%s" % owner)
    return [line for line in out.splitlines() if line]


def wait_for(fn, timeout=30, interval=0.1, what="condition"):
    """Polls fn until it returns something truthy; bounded in time."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out after %ss waiting for %s (last: %r)" %
                         (timeout, what, last))


class DockerTestCase(TestCase):
    """A test that runs real containers: the image is built, the daemon
    reset, and no container of ours may survive the reset."""

    def setUp(self):
        ensure_test_image()
        super().setUp()
        wait_for(lambda: not owned_containers(self.d), timeout=60,
                 what="containers of earlier tests to be removed")

    def task(self, arn, cluster):
        return self.ecs.describe_tasks(cluster=cluster, tasks=[arn])["tasks"][0]

    def wait_status(self, arn, cluster, status, timeout=60):
        seen = {}

        def check():
            t = seen["task"] = self.task(arn, cluster)
            return t if t["lastStatus"] == status else None
        try:
            return wait_for(check, timeout=timeout,
                            what="task %s %s" % (arn, status))
        except AssertionError:
            t = seen.get("task", {})
            raise AssertionError("task never reached %s: last %s, reason %r, "
                                 "containers %r" % (
                                     status, t.get("lastStatus"),
                                     t.get("stoppedReason"),
                                     [(c["name"], c["lastStatus"], c.get("reason"))
                                      for c in t.get("containers", [])]))
