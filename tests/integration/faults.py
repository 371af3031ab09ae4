"""faults.py - what the fault suites (test_faults*.py) share: a daemon of
their own on a private data directory, an audit that compares the store with
Docker after a fault, and a private Docker engine that tests may kill.

The audit is the definition of "nothing lost" used by every fault test:
- every task a client was told about is still in the store;
- every task is settled (lastStatus equals desiredStatus, RUNNING or STOPPED);
- a STOPPED task has a stoppedReason and no running container;
- a RUNNING task's essential containers run in Docker under the runtimeId
  the store recorded;
- every container labelled with the store's owner id belongs to a task in
  the store, and no task has two containers of the same name (orphans and
  duplicates).
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import ecsd
from ecsd import TEST_IMAGE, wait_for

TERM_TRAP = "trap 'exit 0' TERM; sleep 600 & wait"
# Under the sanitizer build (make asan) everything is slower: fewer rounds.
SANITIZED = "asan" in os.environ.get("ECSD_BUILD", "")


def loops(default):
    """How many rounds a fault loop runs: ECSD_FAULT_LOOPS, else default
    (halved under the sanitizer build)."""
    n = os.environ.get("ECSD_FAULT_LOOPS")
    if n:
        return int(n)
    return max(2, default // 2) if SANITIZED else default


def container(name, command=TERM_TRAP, **kw):
    c = {"name": name, "image": TEST_IMAGE, "memory": 16,
         "command": ["sh", "-c", command]}
    c.update(kw)
    return c


def own_daemon(data_dir=None, args=(), docker_host=None, interval=1000):
    """A daemon of the test's own (not the shared one): it may be killed.
    interval is --reconcile-interval in ms; a resync comes every 6 of them."""
    extra = ["--reconcile-interval", str(interval)] + list(args)
    if docker_host:
        extra += ["--docker-host", docker_host]
    return ecsd.Daemon(data_dir=data_dir, args=extra)


def docker_on(host, *args, check=True, timeout=120):
    cmd = ["docker"] + (["-H", host] if host else []) + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("docker %s: %s" % (" ".join(args), p.stderr))
    return p.stdout.strip()


def containers_of(owner, host=None):
    """Every container (running or not) labelled with this owner id, as
    docker inspect describes them."""
    ids = docker_on(host, "ps", "-aq", "--no-trunc", "--filter",
                    "label=ecsd.owner=%s" % owner).split()
    if not ids:
        return []
    p = subprocess.run(["docker"] + (["-H", host] if host else []) +
                       ["inspect"] + ids, capture_output=True, text=True,
                       timeout=120)
    # a container may go between ps and inspect: inspect prints the rest
    try:
        return json.loads(p.stdout or "[]")
    except ValueError:
        return []


def leave_nothing(test, owner, host=None):
    """After a test's own daemon was cleaned up: no container of its owner
    may stay on the engine. Any left are removed (by that owner label
    only) and the test fails."""
    left = containers_of(owner, host)
    if left:
        docker_on(host, "rm", "-f", *[c["Id"] for c in left], check=False)
        test.fail("cleanup left %d containers: %r" % (
            len(left), [c["Name"] for c in left]))


def all_tasks(ecs, cluster):
    arns = []
    for desired in ("RUNNING", "STOPPED"):
        for page in ecs.get_paginator("list_tasks").paginate(
                cluster=cluster, desiredStatus=desired):
            arns += page["taskArns"]
    tasks = []
    for i in range(0, len(arns), 100):
        out = ecs.describe_tasks(cluster=cluster, tasks=arns[i:i + 100])
        tasks += out["tasks"]
    return tasks


def settled(ecs, cluster):
    """All tasks when every one of them is settled, else None."""
    tasks = all_tasks(ecs, cluster)
    for t in tasks:
        if t["lastStatus"] != t["desiredStatus"]:
            return None
        if t["lastStatus"] == "RUNNING" and any(
                c["lastStatus"] == "PENDING" for c in t["containers"]):
            return None
    return tasks


def wait_settled(ecs, cluster, timeout=90):
    seen = {}

    def check():
        seen["tasks"] = all_tasks(ecs, cluster)
        return settled(ecs, cluster)
    try:
        return wait_for(check, timeout=timeout, interval=0.3,
                        what="every task to settle")
    except AssertionError:
        raise AssertionError("tasks never settled: %r" % [
            (t["taskArn"][-8:], t["lastStatus"], t["desiredStatus"],
             [(c["name"], c["lastStatus"], c.get("reason"))
              for c in t["containers"]])
            for t in seen.get("tasks", [])
            if t["lastStatus"] != t["desiredStatus"]])


def audit(test, d, cluster, expected_arns=(), host=None, timeout=90):
    """Checks the store against Docker once everything settled; returns
    (tasks, containers). Fails the test with what is wrong. Each round
    lists the containers first and the tasks second: a container's task
    exists before the container does, so a service's replacement started
    between the two lists cannot pass for an orphan."""
    ecs = d.boto3()
    wait_settled(ecs, cluster, timeout)
    owner = d.admin("GET", "info")["owner"]
    last = {}

    def agree():
        cs = containers_of(owner, host)
        tasks = settled(ecs, cluster)
        if tasks is None:
            last["problems"] = ["tasks are not settled"]
            return None
        by_arn = {t["taskArn"]: t for t in tasks}
        problems = []
        seen = {}
        for c in cs:
            labels = c["Config"]["Labels"]
            arn = labels.get("com.amazonaws.ecs.task-arn")
            name = labels.get("com.amazonaws.ecs.container-name")
            if arn not in by_arn:
                problems.append("orphan %s (%s)" % (c["Name"], arn))
                continue
            key = (arn, name)
            if key in seen:
                problems.append("duplicate %s of task %s" % (name, arn[-8:]))
            seen[key] = c
            t = by_arn[arn]
            if t["lastStatus"] == "STOPPED" and c["State"]["Running"]:
                problems.append("stopped task %s has running %s" %
                                (arn[-8:], name))
        for t in tasks:
            if t["lastStatus"] == "STOPPED":
                if not t.get("stoppedReason"):
                    problems.append("task %s STOPPED without a reason" %
                                    t["taskArn"][-8:])
                continue
            for tc in t["containers"]:
                c = seen.get((t["taskArn"], tc["name"]))
                if tc["lastStatus"] != "RUNNING":
                    continue
                if c is None:
                    problems.append("task %s: %s RUNNING in the store but "
                                    "not in Docker" % (t["taskArn"][-8:],
                                                       tc["name"]))
                elif not c["State"]["Running"]:
                    problems.append("task %s: %s RUNNING in the store but "
                                    "%s in Docker" % (t["taskArn"][-8:],
                                                      tc["name"],
                                                      c["State"]["Status"]))
                elif c["Id"] != tc.get("runtimeId"):
                    problems.append("task %s: %s runtimeId %s but Docker "
                                    "runs %s" % (t["taskArn"][-8:],
                                                 tc["name"],
                                                 tc.get("runtimeId"), c["Id"]))
        last["problems"] = problems
        return None if problems else (tasks, cs)

    try:
        tasks, cs = wait_for(agree, timeout=max(timeout, 30), interval=0.5,
                             what="Docker to agree with the store")
    except AssertionError:
        cs = containers_of(owner, host)
        raise AssertionError("store and Docker disagree: %s; containers %r; "
                             "log:\n%s" % (
                                 "; ".join(last.get("problems", [])),
                                 [(c["Name"], c["State"]["Status"])
                                  for c in cs], d.log_tail(30)))
    missing = set(expected_arns) - {t["taskArn"] for t in tasks}
    test.assertEqual(missing, set(), "tasks the store lost")
    return tasks, cs


# ---- a private Docker engine -------------------------------------------

class PrivateEngine:
    """A dockerd of the test's own, on its own socket, data and exec roots,
    in a network namespace of its own (unshare --net) and without iptables,
    so it leaves the machine's network alone: a second dockerd in the host's
    namespace would fight the shared one over docker0 (and --bridge none
    makes dockerd DELETE docker0 at start). The machine's shared engine is
    never touched: this one may be killed."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="ecsd-engine-")
        self.sock = os.path.join(self.root, "docker.sock")
        self.host = "unix://" + self.sock
        self.proc = None
        self.log_path = os.path.join(self.root, "dockerd.log")
        self.generation = 0       # data-root in use: data, data1, ...

    def start(self, timeout=60):
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            ["unshare", "--net", "--", "dockerd",
             "--data-root", self.data_root(),
             "--exec-root", os.path.join(self.root, "exec"),
             "--pidfile", os.path.join(self.root, "dockerd.pid"),
             "--host", self.host, "--iptables=false", "--ip6tables=false"],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL,
            start_new_session=True)
        log.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("private dockerd exited: %s" %
                                   self.log_tail())
            p = subprocess.run(["docker", "-H", self.host, "version"],
                               capture_output=True, timeout=30)
            if p.returncode == 0:
                return self
            time.sleep(0.3)
        raise RuntimeError("private dockerd did not answer: %s" %
                           self.log_tail())

    def data_root(self):
        return os.path.join(self.root, "data%s" % (self.generation or ""))

    def replace(self):
        """kill -9, then an engine that lost everything comes up on the
        same socket (a new data root): every container is gone."""
        self.kill()
        self.generation += 1
        self.start()
        self.load_test_image()

    def load_test_image(self):
        ecsd.ensure_test_image()
        save = subprocess.Popen(["docker", "save", TEST_IMAGE],
                                stdout=subprocess.PIPE)
        subprocess.run(["docker", "-H", self.host, "load"], stdin=save.stdout,
                       check=True, capture_output=True, timeout=120)
        save.wait()

    def kill(self):
        """kill -9: the engine vanishes; its containerd goes with it, the
        containers' shims stay until the engine returns and reaps them."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None
        self.wait_containerd_gone()

    def wait_containerd_gone(self, timeout=15):
        """The engine's containerd dies with it, but not at once; a dockerd
        started before it is gone finds it "still running" and times out
        talking to it. Waits for it (and kills it past the timeout). Where
        nothing reaps orphans (a container's init), it stays a zombie, which
        dockerd's kill(pid, 0) also takes for alive: so the stale pid file
        goes."""
        pidfile = os.path.join(self.root, "exec", "containerd",
                               "containerd.pid")
        try:
            with open(pidfile) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return
        deadline = time.time() + timeout
        while True:
            try:
                with open("/proc/%d/stat" % pid) as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
            except OSError:
                break
            if state == "Z":
                break
            if time.time() > deadline:
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.1)
        try:
            os.unlink(pidfile)
        except OSError:
            pass

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def destroy(self):
        """Stops it, removes every container it still has, and its files."""
        if self.proc is None:
            try:
                self.start()
            except RuntimeError as e:
                print("private engine would not restart: %s" % e)
        if self.proc is not None:
            ids = docker_on(self.host, "ps", "-aq", check=False).split()
            if ids:
                docker_on(self.host, "rm", "-f", *ids, check=False)
        self.stop()
        self.reap_shims()
        mounts = []
        with open("/proc/self/mounts") as f:
            for line in f:
                where = line.split()[1]
                if where.startswith(self.root + "/"):
                    mounts.append(where)
        for where in sorted(mounts, reverse=True):
            subprocess.run(["umount", "-l", where], capture_output=True)
        if os.environ.get("ECSD_KEEP_DATA") != "1":
            shutil.rmtree(self.root, ignore_errors=True)

    def reap_shims(self):
        """Kills what an engine that would not come back left running: the
        containerd shims of THIS engine (found by its socket path in their
        command line) and their containers, each by its pid."""
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    cmd = f.read().decode(errors="replace")
            except OSError:
                continue
            if "containerd-shim" not in cmd or self.root + "/" not in cmd:
                continue
            try:
                with open("/proc/%s/task/%s/children" % (pid, pid)) as f:
                    kids = [int(k) for k in f.read().split()]
            except OSError:
                kids = []
            for k in kids + [int(pid)]:
                try:
                    os.kill(k, signal.SIGKILL)
                except OSError:
                    pass

    def log_tail(self, n=20):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0
