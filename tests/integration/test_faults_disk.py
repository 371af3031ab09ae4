"""The data directory's disk fills up, or turns read-only, under a running
ecsd. A write then fails with ServerException (HTTP 500, which clients
retry) and a clear log line; reads keep answering; the scheduler does not
spin on a write it cannot make; nothing is corrupted (PRAGMA
integrity_check), every write that was acknowledged is still there, and
service resumes when space returns (full) or the file system is back
(read-only: ext4 mounted errors=remount-ro and made to fail on purpose).

Needs root: it mounts a small tmpfs and an ext4 image on a loop device."""
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import unittest

from botocore.exceptions import ClientError

import ecsd
import faults
from ecsd import wait_for
from faults import container

CLUSTER = "disk"


def can_mount():
    if os.geteuid() != 0 or shutil.which("mkfs.ext4") is None:
        return False
    d = tempfile.mkdtemp(prefix="ecsd-mnt-")
    try:
        ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs",
                             d], capture_output=True).returncode == 0
        if ok:
            subprocess.run(["umount", d], capture_output=True)
        return ok
    finally:
        os.rmdir(d)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def integrity(db):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def revisions(ecs, family):
    out = []
    for page in ecs.get_paginator("list_task_definitions").paginate(
            familyPrefix=family, sort="ASC"):
        out += [int(a.rsplit(":", 1)[1]) for a in page["taskDefinitionArns"]]
    return out


def is_server_error(e):
    return isinstance(e, ClientError) and \
        e.response["Error"]["Code"] == "ServerException"


@unittest.skipUnless(can_mount(), "needs root and mount")
class DiskFull(unittest.TestCase):
    def setUp(self):
        self.mnt = tempfile.mkdtemp(prefix="ecsd-full-")
        # room for the store and its WAL once the filler is gone; the filler
        # takes the rest
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs",
                        self.mnt], check=True)
        self.d = faults.own_daemon(data_dir=self.mnt)
        # the log goes elsewhere: a full disk must not take it with it
        self.d.log_path = os.path.join(tempfile.mkdtemp(prefix="ecsd-log-"),
                                       "ecsd.log")
        self.d.start()
        self.owner = self.d.admin("GET", "info")["owner"]
        self.ecs = self.d.boto3()
        self.ecs.create_cluster(clusterName=CLUSTER)

    def tearDown(self):
        if self.d.proc is None:
            self.d.start()
        fill = os.path.join(self.mnt, "fill")
        if os.path.exists(fill):
            os.unlink(fill)
        self.d.cleanup()
        faults.leave_nothing(self, self.owner)
        subprocess.run(["umount", self.mnt], capture_output=True)
        os.rmdir(self.mnt)
        shutil.rmtree(os.path.dirname(self.d.log_path), ignore_errors=True)

    def fill(self):
        subprocess.run(["dd", "if=/dev/zero", "of=" + os.path.join(
            self.mnt, "fill"), "bs=64k"], capture_output=True)

    def register(self, i):
        env = [{"name": "V%03d" % k, "value": "x" * 200} for k in range(20)]
        return self.ecs.register_task_definition(
            family="full", containerDefinitions=[container(
                "main", environment=env + [{"name": "I", "value": str(i)}])])

    def test_disk_full_write_fails_reads_work_and_service_resumes(self):
        ok = 0
        for i in range(20):
            self.register(i)
            ok += 1
        ecsd.ensure_test_image()
        td = self.ecs.describe_task_definition(taskDefinition="full")[
            "taskDefinition"]["taskDefinitionArn"]
        arn = self.ecs.run_task(cluster=CLUSTER, taskDefinition=td)[
            "tasks"][0]["taskArn"]
        wait_for(lambda: self.ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])
                 ["tasks"][0]["lastStatus"] == "RUNNING", timeout=60,
                 what="task RUNNING")
        self.ecs.create_service(cluster=CLUSTER, serviceName="svc",
                                taskDefinition=td, desiredCount=2)
        wait_for(lambda: self.ecs.describe_services(
            cluster=CLUSTER, services=["svc"])["services"][0][
            "runningCount"] == 2, timeout=60, what="service running 2")
        self.fill()
        failures = 0
        for i in range(20, 400):
            try:
                self.register(i)
                ok += 1
            except ClientError as e:
                self.assertTrue(is_server_error(e), e.response)
                self.assertIn("could not", e.response["Error"]["Message"])
                failures += 1
                if failures >= 5:
                    break
        self.assertGreaterEqual(failures, 5, "the disk never looked full")
        # reads answer while the disk is full
        self.assertEqual(revisions(self.ecs, "full"), list(range(1, ok + 1)))
        self.assertEqual(len(self.ecs.list_tasks(cluster=CLUSTER)["taskArns"]),
                         3)
        # the container dies meanwhile: the store cannot record it yet
        rid = self.ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"][
            0]["containers"][0]["runtimeId"]
        ecsd.docker("kill", rid)
        svc_task = self.ecs.describe_tasks(
            cluster=CLUSTER, tasks=self.ecs.list_tasks(
                cluster=CLUSTER, serviceName="svc")["taskArns"][:1])["tasks"][0]
        ecsd.docker("kill", svc_task["containers"][0]["runtimeId"])
        cpu0 = cpu_seconds(self.d.proc.pid)
        time.sleep(3)
        self.assertLess(cpu_seconds(self.d.proc.pid) - cpu0, 1.5,
                        "ecsd spins while the disk is full")
        with open(self.d.log_path) as f:
            log = f.read()
        self.assertIn("database or disk is full", log)
        # space returns: writes work, the missed exit is caught up
        os.unlink(os.path.join(self.mnt, "fill"))
        self.register(ok)
        ok += 1
        self.assertEqual(revisions(self.ecs, "full"), list(range(1, ok + 1)))
        t = wait_for(lambda: (lambda t: t["lastStatus"] == "STOPPED" and t)(
            self.ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"][0]),
            timeout=60, what="the missed exit to be recorded")
        self.assertEqual(t["containers"][0]["exitCode"], 137)
        # the service kept its promise through it: two tasks, no more
        svc = wait_for(lambda: (lambda s: s["runningCount"] == 2 and
                                s["pendingCount"] == 0 and s)(
            self.ecs.describe_services(cluster=CLUSTER, services=["svc"])[
                "services"][0]), timeout=60, what="service steady")
        self.assertEqual(len(self.ecs.list_tasks(
            cluster=CLUSTER, serviceName="svc")["taskArns"]), 2)
        self.assertEqual(len(svc["deployments"]), 1)
        self.assertNotIn(svc_task["taskArn"], self.ecs.list_tasks(
            cluster=CLUSTER, serviceName="svc")["taskArns"])
        faults.audit(self, self.d, CLUSTER, [arn])
        self.d.stop()
        self.assertEqual(integrity(os.path.join(self.mnt, "ecsd.db")), "ok")
        self.d.start()
        self.assertEqual(revisions(self.d.boto3(), "full"),
                         list(range(1, ok + 1)))


@unittest.skipUnless(can_mount() and shutil.which("valgrind") and
                     not faults.SANITIZED,
                     "needs root, mount, valgrind and a build without ASan")
class FailurePathsUnderValgrind(unittest.TestCase):
    """The failure paths (engine down, a task stopped without it, writes
    refused by a full disk, recovery) leak nothing and touch no memory they
    should not: ecsd under valgrind, stopped with SIGTERM."""

    def setUp(self):
        self.mnt = tempfile.mkdtemp(prefix="ecsd-vg-")
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs",
                        self.mnt], check=True)
        self.logdir = tempfile.mkdtemp(prefix="ecsd-vglog-")

    def tearDown(self):
        subprocess.run(["umount", self.mnt], capture_output=True)
        os.rmdir(self.mnt)
        shutil.rmtree(self.logdir, ignore_errors=True)

    def test_disk_full_and_engine_down_under_valgrind(self):
        port = ecsd.free_port()
        log = os.path.join(self.logdir, "vg.log")
        proc = subprocess.Popen(
            ["valgrind", "--leak-check=full",
             "--errors-for-leak-kinds=definite", "--error-exitcode=9",
             ecsd.BINARY, "--port", str(port), "--data-dir", self.mnt,
             "--docker-host", "unix://%s/no-engine.sock" % self.logdir,
             "--reconcile-interval", "200", "--check-output"],
            stdout=open(log, "wb"), stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
        try:
            d = ecsd.Daemon(data_dir=self.mnt)
            d.port = port
            wait_for(lambda: self._up(d), timeout=60, interval=0.3,
                     what="ecsd under valgrind")
            ecs = d.boto3()
            ecs.create_cluster(clusterName=CLUSTER)
            td = ecs.register_task_definition(
                family="vg", containerDefinitions=[container("a")])[
                "taskDefinition"]["taskDefinitionArn"]
            arn = ecs.run_task(cluster=CLUSTER, taskDefinition=td)[
                "tasks"][0]["taskArn"]
            ecs.stop_task(cluster=CLUSTER, task=arn)
            wait_for(lambda: ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])[
                "tasks"][0]["lastStatus"] == "STOPPED", timeout=30,
                what="the task to stop without the engine")
            ecs.run_task(cluster=CLUSTER, taskDefinition=td, count=3)
            subprocess.run(["dd", "if=/dev/zero", "of=" + os.path.join(
                self.mnt, "fill"), "bs=64k"], capture_output=True)
            refused = 0
            for i in range(60):
                try:
                    ecs.register_task_definition(
                        family="vg", containerDefinitions=[container(
                            "a", environment=[{"name": "A",
                                               "value": "x" * 3000}])])
                except ClientError as e:
                    self.assertTrue(is_server_error(e))
                    refused += 1
                    if refused >= 3:
                        break
            self.assertGreaterEqual(refused, 3)
            os.unlink(os.path.join(self.mnt, "fill"))
            ecs.register_task_definition(
                family="vg", containerDefinitions=[container("a")])
            time.sleep(1)
        finally:
            proc.terminate()
            rc = proc.wait(60)
        with open(log, errors="replace") as f:
            out = f.read()
        self.assertEqual(rc, 0, out[-3000:])
        self.assertIn("ERROR SUMMARY: 0 errors", out)

    @staticmethod
    def _up(d):
        try:
            d.admin("GET", "health")
            return True
        except OSError:
            return False


@unittest.skipUnless(can_mount(), "needs root, mount and mkfs.ext4")
class ReadOnly(unittest.TestCase):
    """ext4 on a loop device with errors=remount-ro; trigger_fs_error makes
    the kernel turn it read-only under ecsd, as after a disk error."""

    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="ecsd-ro-")
        self.img = os.path.join(self.root, "fs.img")
        self.mnt = os.path.join(self.root, "mnt")
        os.mkdir(self.mnt)
        subprocess.run(["truncate", "-s", "16M", self.img], check=True)
        subprocess.run(["mkfs.ext4", "-q", "-F", self.img], check=True,
                       capture_output=True)
        self.mount()
        self.engine = None
        self.d = None

    def mount(self):
        subprocess.run(["mount", "-o", "loop,errors=remount-ro", self.img,
                        self.mnt], check=True)
        dev = subprocess.run(["findmnt", "-no", "SOURCE", self.mnt],
                             capture_output=True, text=True).stdout.strip()
        self.dev = os.path.basename(dev)

    def umount(self):
        subprocess.run(["umount", self.mnt], capture_output=True)

    def make_read_only(self):
        # What the kernel had not written back when the file system turns
        # read-only is lost, as at a power cut (synchronous=NORMAL; see
        # docs/differences.md): write it back first, as time would have.
        subprocess.run(["sync", "-f", self.mnt], check=True)
        with open("/sys/fs/ext4/%s/trigger_fs_error" % self.dev, "w") as f:
            f.write("ecsd fault test\n")
        opts = subprocess.run(["findmnt", "-no", "OPTIONS", self.mnt],
                              capture_output=True, text=True).stdout
        self.assertIn("ro", opts)

    def repair(self):
        """What an operator does: stop, unmount, fsck, mount again. A mount
        namespace made meanwhile (a container's, anyone's) can hold the old
        mount busy, and a remount of the same device would find the same
        read-only superblock: so the old mount is detached, and a copy of
        the image (what reached the disk) is checked and mounted."""
        if subprocess.run(["umount", self.mnt],
                          capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", self.mnt], capture_output=True)
        self.generation = getattr(self, "generation", 0) + 1
        copy = "%s.%d" % (self.img, self.generation)
        subprocess.run(["cp", "--sparse=always", self.img, copy], check=True)
        self.img = copy
        subprocess.run(["e2fsck", "-fy", self.img], capture_output=True)
        self.mount()
        opts = subprocess.run(["findmnt", "-no", "OPTIONS", self.mnt],
                              capture_output=True, text=True).stdout
        self.assertTrue(opts.startswith("rw"), opts)

    def tearDown(self):
        if self.d is not None:
            if self.d.proc is None:
                try:
                    self.d.start()
                except RuntimeError:
                    pass
            if self.d.proc is not None:
                self.d.cleanup()
        if self.engine is not None:
            self.engine.destroy()
        self.umount()
        shutil.rmtree(self.root, ignore_errors=True)

    def start_daemon(self, **kw):
        self.d = faults.own_daemon(data_dir=self.mnt, **kw)
        self.d.log_path = os.path.join(self.root, "ecsd.log")
        self.d.start()
        self.ecs = self.d.boto3()
        return self.d

    def test_read_only_store_fails_writes_and_recovers_after_repair(self):
        self.start_daemon()
        self.ecs.create_cluster(clusterName=CLUSTER)
        for i in range(5):
            self.ecs.register_task_definition(
                family="ro", containerDefinitions=[container("main")])
        self.make_read_only()
        with self.assertRaises(ClientError) as cm:
            self.ecs.register_task_definition(
                family="ro", containerDefinitions=[container("main")])
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "ServerException")
        with self.assertRaises(ClientError) as cm:
            self.ecs.create_cluster(clusterName="other")
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "ServerException")
        # reads answer
        self.assertEqual(revisions(self.ecs, "ro"), [1, 2, 3, 4, 5])
        self.assertEqual(self.ecs.describe_clusters(clusters=[CLUSTER])[
            "clusters"][0]["status"], "ACTIVE")
        with open(self.d.log_path) as f:
            log = f.read()
        self.assertRegex(log, r"read-only|readonly|disk I/O error")
        self.assertIn("Read-only file system", log)
        # a clean stop works; a start on the read-only store answers reads,
        # fails writes, and says so at once
        self.assertEqual(self.d.stop(), 0)
        self.d.start()
        self.ecs = self.d.boto3()
        with open(self.d.log_path) as f:
            self.assertIn("is read-only", f.read())
        self.assertEqual(revisions(self.ecs, "ro"), [1, 2, 3, 4, 5])
        with self.assertRaises(ClientError) as cm:
            self.ecs.create_cluster(clusterName="other")
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "ServerException")
        self.assertEqual(self.d.stop(), 0)
        self.repair()
        self.assertEqual(integrity(os.path.join(self.mnt, "ecsd.db")), "ok")
        self.d.start()
        self.ecs = self.d.boto3()
        self.assertEqual(revisions(self.ecs, "ro"), [1, 2, 3, 4, 5])
        self.ecs.register_task_definition(
            family="ro", containerDefinitions=[container("main")])
        self.assertEqual(revisions(self.ecs, "ro"), [1, 2, 3, 4, 5, 6])

    @unittest.skipUnless(shutil.which("dockerd") and shutil.which("unshare"),
                         "needs dockerd and unshare")
    def test_scheduler_does_not_spin_on_a_read_only_store(self):
        """Tasks wait for an engine that is down; the store turns read-only;
        the engine returns. The scheduler's first write fails: it must give
        up that chain (and retry on its next pass), not repeat the step
        forever. After the repair the tasks run."""
        self.engine = faults.PrivateEngine().start()
        self.engine.load_test_image()
        self.engine.stop()
        self.start_daemon(docker_host=self.engine.host)
        self.ecs.create_cluster(clusterName=CLUSTER)
        td = self.ecs.register_task_definition(
            family="spin", containerDefinitions=[container("main")])[
            "taskDefinition"]["taskDefinitionArn"]
        arns = [t["taskArn"] for t in self.ecs.run_task(
            cluster=CLUSTER, taskDefinition=td, count=3)["tasks"]]
        self.make_read_only()
        self.engine.start()
        wait_for(lambda: "the store refused a write" in open(
            self.d.log_path).read(), timeout=30,
            what="the scheduler to meet the read-only store")
        self.assertIsNone(self.d.proc.poll(), "ecsd died")
        cpu0 = cpu_seconds(self.d.proc.pid)
        time.sleep(3)
        self.assertLess(cpu_seconds(self.d.proc.pid) - cpu0, 1.5,
                        "the scheduler spins on the read-only store")
        ts = self.ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"]
        self.assertEqual({t["lastStatus"] for t in ts}, {"PROVISIONING"})
        self.assertEqual(self.d.stop(), 0)
        self.repair()
        self.d.start()
        self.ecs = self.d.boto3()
        try:
            wait_for(lambda: {t["lastStatus"] for t in self.ecs.describe_tasks(
                cluster=CLUSTER, tasks=arns)["tasks"]} == {"RUNNING"},
                timeout=60, what="the tasks to run after the repair")
        except AssertionError:
            raise AssertionError("tasks %r; log:\n%s" % (
                [(t["lastStatus"], t.get("stoppedReason")) for t in
                 self.ecs.describe_tasks(cluster=CLUSTER, tasks=arns)[
                     "tasks"]], self.d.log_tail(40)))
        faults.audit(self, self.d, CLUSTER, arns, host=self.engine.host)


if __name__ == "__main__":
    unittest.main()
