"""servers.py - the two servers under test and the clients the benchmark
drives them with.

  Server("ecsd", workdir)   build/ecsd on a private loopback port with a
                            fresh temporary --data-dir
  Server("moto", workdir)   moto_server on a private loopback port
  Ecs(port)                 a keep-alive ECS JSON 1.1 client that sends what
                            an SDK sends (X-Amz-Target, a SigV4-looking
                            Authorization header with a credential scope)
  Docker()                  the Docker Engine API over its unix socket, for
                            the launch floor and for cleaning up by label

Only the standard library: the benchmark must run where PyPI is out of reach.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = "AmazonEC2ContainerServiceV20141113."
AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDBENCHMARK0000/20240101/%s/ecs/"
        "aws4_request, SignedHeaders=content-type;host;x-amz-date;"
        "x-amz-target, Signature=9d3f1c0b5e6a7d8c9b0a1f2e3d4c5b6a7980f1e2"
        "d3c4b5a69788f9e0d1c2b3a4")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EcsError(Exception):
    def __init__(self, status, kind, message):
        super().__init__("%s %s: %s" % (status, kind, message))
        self.status = status
        self.kind = kind or ""
        self.message = message or ""

    @property
    def unsupported(self):
        return "UnsupportedFeature" in self.kind or self.status == 501


class Ecs:
    """One keep-alive connection (re-opened when the server closes it, as
    moto's does after every answer)."""

    def __init__(self, port, region="us-east-1", timeout=120):
        self.port = port
        self.region = region
        self.timeout = timeout
        self.conn = None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _send(self, op, data):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                   timeout=self.timeout)
        self.conn.request("POST", "/", data, {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": TARGET + op,
            "X-Amz-Date": "20240101T000000Z",
            "Authorization": AUTH % self.region,
            "User-Agent": "ecsd-bench/1 (python)",
        })
        r = self.conn.getresponse()
        raw = r.read()
        if r.getheader("Connection", "").lower() == "close":
            self.close()
        return r.status, raw

    def call(self, op, body=None):
        data = json.dumps(body or {}).encode()
        try:
            status, raw = self._send(op, data)
        except (http.client.HTTPException, ConnectionError):
            self.close()                 # a stale keep-alive: once more
            status, raw = self._send(op, data)
        try:
            doc = json.loads(raw) if raw else {}
        except ValueError:
            doc = {"message": raw[:200].decode(errors="replace")}
        if status != 200:
            kind = str(doc.get("__type", "")).split("#")[-1]
            raise EcsError(status, kind, doc.get("message") or
                           doc.get("Message"))
        return doc


def _moto_binary():
    """moto_server, resolved past a pyenv shim (the shim is a shell script
    that would add its own start-up to moto's)."""
    path = shutil.which("moto_server")
    if path is None:
        return None
    if "/shims/" in path and shutil.which("pyenv"):
        p = subprocess.run(["pyenv", "which", "moto_server"],
                           capture_output=True, text=True)
        if p.returncode == 0 and p.stdout.strip():
            return p.stdout.strip()
    return path


def proc_status(pid, key):
    """A kB figure (VmRSS, VmHWM) of /proc/<pid>/status, or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class Server:
    def __init__(self, kind, workdir, ecsd_binary=None):
        self.kind = kind
        self.workdir = workdir
        self.port = None
        self.proc = None
        self.data_dir = None
        self.log = None
        self.ecsd_binary = (ecsd_binary or os.environ.get("ECSD_BINARY") or
                            os.path.join(ROOT, "build", "ecsd"))
        self.startup_s = None
        self.wrapper = []       # e.g. valgrind (bench/profile.py)

    def command(self):
        if self.kind == "ecsd":
            self.data_dir = tempfile.mkdtemp(prefix="ecsd-data-",
                                             dir=self.workdir)
            return [self.ecsd_binary, "--port", str(self.port), "--data-dir",
                    self.data_dir, "--log-level", "info"]
        moto = _moto_binary()
        if moto is None:
            raise RuntimeError("moto_server is not installed "
                               "(pip install 'moto[server]')")
        return [moto, "-H", "127.0.0.1", "-p", str(self.port)]

    def start(self, timeout=60):
        """Spawns the server and returns seconds from spawn to the first
        successful ECS answer (ListClusters)."""
        self.port = free_port()
        cmd = self.wrapper + self.command()
        self.log = os.path.join(self.workdir, "%s-%d.log" % (self.kind,
                                                            self.port))
        out = open(self.log, "ab")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(cmd, stdout=out, stderr=out,
                                     stdin=subprocess.DEVNULL)
        out.close()
        deadline = t0 + timeout
        while True:
            c = Ecs(self.port, timeout=5)
            try:
                c.call("ListClusters", {})
                self.startup_s = time.perf_counter() - t0
                c.close()
                return self.startup_s
            except (OSError, http.client.HTTPException):
                c.close()
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with %s; see %s" % (
                    self.kind, self.proc.returncode, self.log))
            if time.perf_counter() > deadline:
                raise RuntimeError("%s did not answer in %ss" % (self.kind,
                                                                 timeout))
            time.sleep(0.001)

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def rss_kb(self):
        return proc_status(self.pid, "VmRSS")

    def hwm_kb(self):
        return proc_status(self.pid, "VmHWM")

    def client(self, region="us-east-1"):
        return Ecs(self.port, region)

    def admin(self, method, what):
        """ecsd's /_ecsd/ endpoints."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            c.request(method, "/_ecsd/" + what, b"" if method == "POST"
                      else None)
            r = c.getresponse()
            return json.loads(r.read() or b"{}")
        finally:
            c.close()

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self.data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None


# ---- Docker Engine API over the unix socket -------------------------------

class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


def docker_socket():
    host = os.environ.get("DOCKER_HOST", "")
    if host.startswith("unix://"):
        return host[len("unix://"):]
    return "/var/run/docker.sock"


class Docker:
    """One connection; make one per thread."""

    def __init__(self, path=None, timeout=180):
        self.path = path or docker_socket()
        self.timeout = timeout
        self.conn = None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def call(self, method, path, body=None, ok=(200, 201, 204, 304)):
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data else {}
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = _UnixConnection(self.path, self.timeout)
            try:
                self.conn.request(method, path, data, headers)
                r = self.conn.getresponse()
                raw = r.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.close()
                if attempt:
                    raise
        try:
            doc = json.loads(raw) if raw else None
        except ValueError:
            doc = raw
        if r.status not in ok:
            raise RuntimeError("docker %s %s: %s %s" % (method, path, r.status,
                                                        doc))
        return doc

    def containers(self, label):
        """Ids of every container (running or not) carrying label k=v."""
        q = json.dumps({"label": [label]})
        out = self.call("GET", "/containers/json?all=1&filters=" +
                        urllib_quote(q))
        return [c["Id"] for c in out or []]


def urllib_quote(s):
    import urllib.parse
    return urllib.parse.quote(s, safe="")
