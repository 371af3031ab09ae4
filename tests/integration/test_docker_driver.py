"""test_docker_driver.py - the Docker driver (scheduler/docker*.c) against
the real engine on this machine, through build/docker-check, a small C
program linked with the driver that runs one scenario and prints one JSON
object per step. Needs a Docker engine and the local test image
(tests/images/build.sh, run here).

Every container is labelled ecsd.test=1 and ecsd.test.run=<this test's
run id>, and removed by that run label when the test ends, whatever
happened; containers of other runs are never touched.
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("ECSD_BUILD", "build")
CHECK = os.path.join(ROOT, BUILD, "docker-check")
IMAGE = "ecsd-test/busybox:latest"
DOCKER_SOCK = "/var/run/docker.sock"


def docker(*args, check=True):
    return subprocess.run(["docker"] + list(args), capture_output=True,
                          text=True, check=check, timeout=120)


def steps_of(out):
    """{step: [objects]} from docker-check's output."""
    steps = {}
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("{"):
            o = json.loads(line)
            steps.setdefault(o["step"], []).append(o)
    return steps


class Proxy:
    """A unix-socket proxy to the engine that the test can cut and restore,
    to make the engine "go away" for the driver without touching dockerd."""

    def __init__(self, path):
        self.path = path
        self.listener = None
        self.conns = []
        self.lock = threading.Lock()

    def start(self):
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(64)
        threading.Thread(target=self._accept, args=(self.listener,),
                         daemon=True).start()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(DOCKER_SOCK)
            with self.lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b),
                                 daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        """Stop listening and drop every connection: the engine is gone."""
        self.listener.close()
        os.unlink(self.path)
        with self.lock:
            conns, self.conns = self.conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


class DockerDriverTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(CHECK):
            subprocess.run(["make", "-C", ROOT, "--no-print-directory",
                            os.path.join(BUILD, "docker-check")], check=True)
        if docker("info", check=False).returncode != 0:
            raise RuntimeError("no Docker engine answers; run tools/bootstrap.sh")
        subprocess.run([os.path.join(ROOT, "tests/images/build.sh")],
                       check=True, stdout=subprocess.DEVNULL)

    def setUp(self):
        self.run_id = "r" + uuid.uuid4().hex[:12]
        self.addCleanup(self.remove_mine)

    def remove_mine(self):
        ids = docker("ps", "-aq", "--filter",
                     "label=ecsd.test.run=" + self.run_id).stdout.split()
        if ids:
            docker("rm", "-f", "-v", *ids, check=False)

    def mine(self):
        return docker("ps", "-aq", "--filter",
                      "label=ecsd.test.run=" + self.run_id).stdout.split()

    def check(self, scenario, *args, endpoint=None, wrap=(), timeout=300):
        cmd = list(wrap) + [CHECK, "--run", self.run_id, "--image", IMAGE]
        if endpoint:
            cmd += ["--endpoint", endpoint]
        cmd += list(args) + [scenario]
        p = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=timeout)
        steps = steps_of(p.stdout)
        self.assertIn("done", steps, "docker-check %s failed (%d):\n%s\n%s" %
                      (scenario, p.returncode, p.stdout, p.stderr[-3000:]))
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        self.assertTrue(steps["closed"][0]["closed"])
        self.assertNotIn("loop-not-empty", steps)
        return steps

    def one(self, steps, name, status="DOCKER_OK"):
        self.assertIn(name, steps)
        s = steps[name][0]
        if status is not None:
            self.assertEqual(s.get("status"), status, s)
        return s

    def test_info_version_ping(self):
        steps = self.check("info")
        info = self.one(steps, "info")
        real = json.loads(docker("info", "--format", "{{json .}}").stdout)
        self.assertEqual(info["NCPU"], real["NCPU"])
        self.assertEqual(info["MemTotal"], real["MemTotal"])
        self.assertEqual(info["OSType"], "linux")
        self.assertEqual(info["Architecture"], real["Architecture"])
        self.assertRegex(self.one(steps, "version")["ApiVersion"], r"^1\.\d+$")
        self.assertTrue(self.one(steps, "ping")["result_null"])
        self.assertEqual(steps["connected"][0]["connected"], 1)

    def test_container_lifecycle_and_events(self):
        steps = self.check("lifecycle")
        self.assertFalse(steps["stream-connected"][0]["reconnected"])
        self.assertTrue(steps["events"][0]["connected"])
        cid = self.one(steps, "create")["id"]
        self.assertRegex(cid, r"^[0-9a-f]{64}$")
        for s in steps["start"]:
            self.assertEqual(s["status"], "DOCKER_OK")
        ev = steps["start-event"][0]["event"]
        self.assertEqual((ev["action"], ev["id"], ev["run"]),
                         ("start", cid, self.run_id))
        self.assertEqual(ev["name"], "ecsd-check-%s-life" % self.run_id)
        self.one(steps, "start-again")           # 304 is success
        running = self.one(steps, "inspect-running")
        self.assertIs(running["Running"], True)
        self.assertEqual(running["Name"], "/ecsd-check-%s-life" % self.run_id)
        self.assertEqual(self.one(steps, "list")["count"], 1)
        # stop: SIGTERM is ignored by PID 1, so SIGKILL after the timeout.
        stop = self.one(steps, "stop")
        self.assertGreaterEqual(stop["elapsed"], 0.9)
        self.assertLess(stop["elapsed"], 15)
        self.assertEqual(stop["die"]["exitCode"], 137)
        self.one(steps, "stop-again")
        exited = self.one(steps, "inspect-exited")
        self.assertEqual((exited["Running"], exited["ExitCode"]), (False, 137))
        wait3 = self.one(steps, "wait-exit3")
        self.assertEqual(wait3["StatusCode"], 3)
        self.assertEqual(wait3["die"]["exitCode"], 3)
        term = self.one(steps, "kill-term")
        self.assertEqual(term["kill"]["signal"], 15)
        self.assertEqual(term["die"]["exitCode"], 7)
        health = steps["health"][0]["event"]
        self.assertEqual((health["health"], health["action"]),
                         ("healthy", "health_status: healthy"))
        # Docker's own words, which vary by version (20.10: "You cannot
        # remove a running container ..."; 26: "cannot remove container
        # ...: container is running: ...").
        conflict = self.one(steps, "remove-running", "DOCKER_ECONFLICT")
        self.assertRegex(conflict["err"], r"cannot remove .*running")
        self.assertEqual([s["status"] for s in steps["remove"]],
                         ["DOCKER_OK"] * 4)
        destroy = steps["destroy-events"][0]
        self.assertTrue(all(destroy[k] for k in
                            ("life", "three", "trap", "healthy")), destroy)
        gone = self.one(steps, "inspect-removed", "DOCKER_ENOTFOUND")
        self.assertIn("No such container", gone["err"])
        self.assertEqual(self.mine(), [])

    def test_errors_are_mapped(self):
        steps = self.check("errors")
        self.assertIn("No such container",
                      self.one(steps, "inspect-missing", "DOCKER_ENOTFOUND")["err"])
        self.one(steps, "start-missing", "DOCKER_ENOTFOUND")
        self.one(steps, "image-inspect-missing", "DOCKER_ENOTFOUND")
        self.one(steps, "image-inspect")
        self.assertIn("No such image", self.one(
            steps, "create-missing-image", "DOCKER_ENOTFOUND")["err"])
        # No registry here: the pull fails, as a pull, with Docker's reason.
        pull = self.one(steps, "pull-missing", "DOCKER_EPULL")
        self.assertTrue(pull["err"])
        self.assertIn("already in use",
                      self.one(steps, "create-dup", "DOCKER_ECONFLICT")["err"])
        self.one(steps, "remove-running", "DOCKER_ECONFLICT")
        self.one(steps, "kill")
        self.assertIn("is not running",
                      self.one(steps, "kill-stopped", "DOCKER_ECONFLICT")["err"])
        self.one(steps, "bad-method", "DOCKER_EINVALID")
        self.one(steps, "bad-route", "DOCKER_ENOTFOUND")
        self.assertEqual(self.mine(), [])

    def test_twenty_containers_at_once(self):
        steps = self.check("concurrent", "--count", "20")
        create = steps["create-many"][0]
        self.assertEqual(create["ok"], 20)
        self.assertEqual(create["pending_at_once"], 20)  # all in flight
        start = steps["start-many"][0]
        self.assertEqual(start["ok"], 20)
        self.assertTrue(start["all_start_events"])
        self.assertEqual(self.one(steps, "list-many")["count"], 20)
        remove = steps["remove-many"][0]
        self.assertEqual(remove["ok"], 20)
        self.assertTrue(remove["all_destroy_events"])
        self.assertEqual(remove["die_events"], 20)
        self.assertEqual(self.mine(), [])

    def test_engine_not_there(self):
        sock = os.path.join(tempfile.gettempdir(),
                            "ecsd-no-engine-%s.sock" % self.run_id)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        for endpoint in ("unix://" + sock, "tcp://127.0.0.1:%d" % port):
            steps = self.check("down", endpoint=endpoint, timeout=60)
            calls = steps["calls-down"][0]
            self.assertEqual(calls["unreachable"], 50)
            self.assertTrue(calls["all_named"])
            self.assertIn("Docker engine not reachable at " + endpoint,
                          calls["err"])
            self.assertLess(calls["seconds"], 2)
            self.assertEqual(calls["connected"], 0)
            down = steps["stream-down"][0]
            self.assertTrue(down["told"])
            self.assertIn(endpoint, down["err"])

    def test_event_stream_survives_the_engine_going_away(self):
        path = os.path.join(tempfile.gettempdir(),
                            "ecsd-proxy-%s.sock" % self.run_id)
        proxy = Proxy(path)
        proxy.start()
        self.addCleanup(lambda: os.path.exists(path) and os.unlink(path))
        cmd = [CHECK, "--run", self.run_id, "--image", IMAGE, "--endpoint",
               "unix://" + path, "reconnect"]
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        self.addCleanup(p.kill)
        lines = []
        deadline = time.time() + 30
        while time.time() < deadline:
            line = p.stdout.readline()
            if not line:
                break
            lines.append(line)
            if '"step":"ready"' in line:
                break
        self.assertTrue(any('"ready"' in l for l in lines), lines)
        proxy.cut()
        # While the driver cannot see the engine, a container starts.
        docker("run", "-d", "--label", "ecsd.test=1", "--label",
               "ecsd.test.run=" + self.run_id, "--name",
               "ecsd-check-%s-during-gap" % self.run_id, IMAGE, "sleep", "300")
        time.sleep(1)
        proxy.start()
        out, err = p.communicate(timeout=120)
        steps = steps_of("".join(lines) + out)
        self.assertIn("done", steps, err[-3000:])
        self.assertTrue(steps["stream-disconnected"])
        self.assertEqual([s["reconnected"] for s in steps["stream-connected"]],
                         [False, True])
        replay = steps["replayed"][0]
        self.assertGreaterEqual(replay["reconnects"], 1)
        self.assertEqual(replay["event"]["action"], "start")
        self.assertEqual(replay["starts"], 1)    # once, not twice
        proxy.cut()

    @unittest.skipUnless(shutil.which("valgrind"), "valgrind is not installed")
    @unittest.skipIf("asan" in BUILD, "the sanitizer build checks leaks itself")
    def test_no_leaks_under_valgrind(self):
        wrap = ["valgrind", "--quiet", "--leak-check=full",
                "--errors-for-leak-kinds=definite,indirect",
                "--error-exitcode=99"]
        steps = self.check("lifecycle", wrap=wrap, timeout=600)
        self.one(steps, "inspect-removed", "DOCKER_ENOTFOUND")
        steps = self.check("concurrent", "--count", "10", wrap=wrap,
                           timeout=600)
        self.assertEqual(steps["remove-many"][0]["ok"], 10)
        self.assertEqual(self.mine(), [])


if __name__ == "__main__":
    unittest.main()
