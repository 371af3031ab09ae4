"""The Docker engine is down when ecsd starts, or goes away while tasks run.
These tests run a PRIVATE dockerd (faults.PrivateEngine: its own socket,
roots and network namespace) and point ecsd at it with --docker-host, so
they can kill and restart it without touching the machine's shared engine.

What must hold: the API keeps answering; tasks wait (PROVISIONING) while the
engine is away, or stop with a clear reason; ecsd reconnects with back-off
and catches up when the engine returns: tasks that waited run, containers
lost with the engine are STOPPED, StopTask asked meanwhile is honoured."""
import json
import shutil
import time
import unittest

import ecsd
import faults
from ecsd import wait_for
from faults import container

CLUSTER = "engine"


def have_dockerd():
    return shutil.which("dockerd") is not None and \
        shutil.which("unshare") is not None


@unittest.skipUnless(have_dockerd(), "needs dockerd and unshare")
class EngineFaults(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.engine = faults.PrivateEngine().start()
        cls.engine.load_test_image()

    @classmethod
    def tearDownClass(cls):
        cls.engine.destroy()

    def setUp(self):
        if self.engine.proc is None:
            self.engine.start()
        self.d = None

    def tearDown(self):
        if self.engine.proc is None:
            self.engine.start()
        if self.d is not None:
            if self.d.proc is None:
                self.d.start()
            self.d.reset()
            try:
                wait_for(lambda: not self.mine(), timeout=60,
                         what="containers removed at reset")
            finally:
                self.d.stop()
                shutil.rmtree(self.d.data_dir, ignore_errors=True)

    def start_daemon(self):
        self.d = faults.own_daemon(docker_host=self.engine.host).start()
        self.ecs = self.d.boto3()
        self.ecs.create_cluster(clusterName=CLUSTER)
        return self.d

    def mine(self):
        owner = self.d.admin("GET", "info")["owner"]
        return faults.containers_of(owner, self.engine.host)

    def register(self, family="eng", containers=None, **kw):
        return self.ecs.register_task_definition(
            family=family, containerDefinitions=containers or [
                container("main")], **kw)["taskDefinition"]["taskDefinitionArn"]

    def task(self, arn):
        return self.ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"][0]

    def wait_last(self, arns, status, timeout=60):
        def check():
            ts = self.ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"]
            return ts if all(t["lastStatus"] == status for t in ts) else None
        return wait_for(check, timeout=timeout,
                        what="tasks %s" % status)

    def test_engine_down_at_start_tasks_wait_then_run(self):
        self.engine.stop()
        self.start_daemon()
        td = self.register()
        # the API answers while the engine is away, reads and writes
        out = self.ecs.run_task(cluster=CLUSTER, taskDefinition=td, count=3)
        self.assertEqual(out["failures"], [])
        arns = [t["taskArn"] for t in out["tasks"]]
        stop_me = arns.pop()
        self.ecs.stop_task(cluster=CLUSTER, task=stop_me, reason="not needed")
        # a task that never reached Docker stops without it
        t = wait_for(lambda: self.task(stop_me)["lastStatus"] == "STOPPED"
                     and self.task(stop_me), timeout=10,
                     what="the stopped task to be STOPPED with the engine down")
        self.assertEqual(t["stoppedReason"], "not needed")
        time.sleep(2)
        for t in self.ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"]:
            self.assertEqual(t["lastStatus"], "PROVISIONING")
        self.assertEqual(len(self.ecs.list_tasks(cluster=CLUSTER)["taskArns"]),
                         2)
        with open(self.d.log_path) as f:
            log = f.read()
        self.assertIn("not reachable", log)
        self.engine.start()
        self.wait_last(arns, "RUNNING", timeout=60)
        faults.audit(self, self.d, CLUSTER, arns + [stop_me],
                     host=self.engine.host)

    def test_engine_killed_mid_run_containers_lost_are_stopped(self):
        self.start_daemon()
        td = self.register()
        out = self.ecs.run_task(cluster=CLUSTER, taskDefinition=td, count=3)
        arns = [t["taskArn"] for t in out["tasks"]]
        self.wait_last(arns, "RUNNING")
        self.engine.kill()
        # the API keeps answering while the engine is gone
        t0 = time.time()
        more = [t["taskArn"] for t in self.ecs.run_task(
            cluster=CLUSTER, taskDefinition=td, count=2)["tasks"]]
        self.ecs.stop_task(cluster=CLUSTER, task=arns[0], reason="by user")
        self.assertEqual(len(self.ecs.list_tasks(cluster=CLUSTER)["taskArns"]),
                         4)
        self.assertLess(time.time() - t0, 5, "the API stalled")
        time.sleep(3)
        for t in self.ecs.describe_tasks(cluster=CLUSTER, tasks=more)["tasks"]:
            self.assertEqual(t["lastStatus"], "PROVISIONING")
        self.engine.start()
        # the engine's restart killed the old containers: their tasks stop
        tasks, cs = faults.audit(self, self.d, CLUSTER, arns + more,
                                 host=self.engine.host)
        by = {t["taskArn"]: t for t in tasks}
        self.assertEqual(by[arns[0]]["stopCode"], "UserInitiated")
        self.assertEqual(by[arns[0]]["stoppedReason"], "by user")
        for a in arns[1:]:
            self.assertEqual(by[a]["lastStatus"], "STOPPED")
            self.assertEqual(by[a]["stopCode"], "EssentialContainerExited")
            self.assertIsNotNone(by[a]["containers"][0].get("exitCode"))
        for a in more:
            self.assertEqual(by[a]["lastStatus"], "RUNNING")

    def test_engine_replaced_containers_vanished(self):
        """The engine comes back empty (its data lost): every container of
        the running tasks vanished; they are STOPPED with the reason."""
        self.start_daemon()
        td = self.register()
        arns = [t["taskArn"] for t in self.ecs.run_task(
            cluster=CLUSTER, taskDefinition=td, count=2)["tasks"]]
        self.wait_last(arns, "RUNNING")
        self.engine.replace()
        tasks, _ = faults.audit(self, self.d, CLUSTER, arns,
                                host=self.engine.host)
        for t in tasks:
            self.assertEqual(t["lastStatus"], "STOPPED")
            self.assertIn("DockerContainerVanished",
                          t["containers"][0].get("reason", ""))

    def test_engine_killed_during_run_task_of_ten(self):
        self.start_daemon()
        td = self.register(containers=[container("a"), container(
            "b", essential=False, dependsOn=[{"containerName": "a",
                                               "condition": "START"}])])
        arns = [t["taskArn"] for t in self.ecs.run_task(
            cluster=CLUSTER, taskDefinition=td, count=10)["tasks"]]
        wait_for(lambda: len(self.mine()) >= 4, timeout=60, interval=0.02,
                 what="first containers")
        self.engine.kill()
        time.sleep(1)
        self.engine.start()
        tasks, cs = faults.audit(self, self.d, CLUSTER, arns,
                                 host=self.engine.host)
        running = [t for t in tasks if t["lastStatus"] == "RUNNING"]
        stopped = [t for t in tasks if t["lastStatus"] == "STOPPED"]
        self.assertEqual(len(running) + len(stopped), 10)
        for t in stopped:
            self.assertTrue(t.get("stoppedReason"))

    def test_engine_bounces_while_ecsd_is_killed(self):
        """kill -9 of ecsd and of the engine at once; both come back."""
        self.start_daemon()
        td = self.register()
        arns = [t["taskArn"] for t in self.ecs.run_task(
            cluster=CLUSTER, taskDefinition=td, count=4)["tasks"]]
        self.wait_last(arns, "RUNNING")
        self.d.kill9()
        self.engine.kill()
        self.d.start()
        self.ecs = self.d.boto3()
        self.assertEqual(len(self.ecs.list_tasks(cluster=CLUSTER)["taskArns"]),
                         4)
        self.engine.start()
        tasks, _ = faults.audit(self, self.d, CLUSTER, arns,
                                host=self.engine.host)
        self.assertEqual({t["lastStatus"] for t in tasks}, {"STOPPED"})

    def test_engine_hangs_the_api_does_not(self):
        """SIGSTOP of the engine in the middle of a RunTask of 10: calls to it
        hang, not fail. ecsd's one loop must keep answering the API; when
        the engine thaws, every task gets where it should."""
        import signal
        self.start_daemon()
        td = self.register()
        arns = [t["taskArn"] for t in self.ecs.run_task(
            cluster=CLUSTER, taskDefinition=td, count=10)["tasks"]]
        wait_for(lambda: len(self.mine()) >= 2, timeout=60, interval=0.02,
                 what="first containers")
        self.engine.proc.send_signal(signal.SIGSTOP)
        try:
            worst = 0.0
            for i in range(10):
                t0 = time.time()
                self.ecs.list_tasks(cluster=CLUSTER)
                self.ecs.describe_tasks(cluster=CLUSTER, tasks=arns[:5])
                if i == 5:
                    arns += [t["taskArn"] for t in self.ecs.run_task(
                        cluster=CLUSTER, taskDefinition=td)["tasks"]]
                    self.ecs.stop_task(cluster=CLUSTER, task=arns[0])
                worst = max(worst, time.time() - t0)
                time.sleep(0.3)
            self.assertLess(worst, 2.0, "the API stalled behind the engine")
        finally:
            self.engine.proc.send_signal(signal.SIGCONT)
        tasks, _ = faults.audit(self, self.d, CLUSTER, arns,
                                host=self.engine.host, timeout=150)
        by = {t["taskArn"]: t for t in tasks}
        self.assertEqual(by[arns[0]]["lastStatus"], "STOPPED")
        self.assertEqual(sum(1 for t in tasks if t["lastStatus"] == "RUNNING"),
                         10)

    def test_shutdown_with_the_engine_down_is_prompt(self):
        self.start_daemon()
        td = self.register()
        arns = [t["taskArn"] for t in self.ecs.run_task(
            cluster=CLUSTER, taskDefinition=td, count=2)["tasks"]]
        self.wait_last(arns, "RUNNING")
        self.engine.kill()
        self.ecs.stop_task(cluster=CLUSTER, task=arns[0])
        t0 = time.time()
        rc = self.d.stop()
        self.assertEqual(rc, 0)
        self.assertLess(time.time() - t0, 10)
        # and a start with the engine still down answers at once
        self.d.start()
        self.ecs = self.d.boto3()
        ts = self.ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"]
        self.assertEqual(len(ts), 2)
        self.engine.start()
        faults.audit(self, self.d, CLUSTER, arns, host=self.engine.host)


if __name__ == "__main__":
    unittest.main()
