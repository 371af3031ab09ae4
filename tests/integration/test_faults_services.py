"""Services under faults: kill -9 of ecsd in the middle of rolling
deployments (a bounded loop), and a Docker engine that comes back empty.
While it happens a monitor samples Docker and the store: no service ever
has more tasks than maximumPercent allows (stopping ones count until
STOPPED, as ECS counts them). After each restart the service converges to
one COMPLETED deployment of the newest revision with exactly desiredCount
tasks (no duplicate from a start that was made but not recorded), and the
audit in faults.py finds no orphan container and nothing unaccounted for.

ECSD_FAULT_LOOPS sets the number of kill -9 rounds (default 5)."""
import os
import random
import shutil
import threading
import time
import unittest

import ecsd
import faults
from ecsd import wait_for
from faults import container

CLUSTER = "svcfaults"
LOOPS = faults.loops(5)


class Monitor(threading.Thread):
    """Samples the count of live tasks (store) and running containers
    (Docker) of the daemon's owner until stopped; keeps the maxima."""

    def __init__(self, test, host=None):
        super().__init__(daemon=True)
        self.test = test
        self.host = host
        self.stop_flag = threading.Event()
        self.max_docker = 0
        self.max_live = 0
        self.samples = 0

    def run(self):
        while not self.stop_flag.is_set():
            try:
                owner = self.test.owner
                n = len(faults.docker_on(self.host, "ps", "-q", "--filter",
                                         "label=ecsd.owner=%s" % owner,
                                         check=False).split())
                self.max_docker = max(self.max_docker, n)
                live = self.test.live_tasks()
                if live is not None:
                    self.max_live = max(self.max_live, live)
                self.samples += 1
            except Exception:  # noqa: BLE001 - ecsd may be down right now
                pass
            time.sleep(0.15)

    def stop(self):
        self.stop_flag.set()
        self.join(10)


class ServiceFaults(unittest.TestCase):
    host = None
    desired = 4
    max_pct = 150
    min_pct = 50

    def setUp(self):
        ecsd.ensure_test_image()
        self.d = faults.own_daemon(docker_host=self.host).start()
        self.ecs = self.d.boto3()
        self.owner = self.d.admin("GET", "info")["owner"]
        self.ecs.create_cluster(clusterName=CLUSTER)
        self.rng = random.Random(int(os.environ.get(
            "ECSD_FAULT_SEED", str(int(time.time())))))

    def tearDown(self):
        if self.d.proc is None:
            self.d.start()
        self.d.reset()
        try:
            wait_for(lambda: not faults.containers_of(self.owner, self.host),
                     timeout=90, what="containers removed at reset")
        finally:
            self.d.stop()
            shutil.rmtree(self.d.data_dir, ignore_errors=True)
            faults.leave_nothing(self, self.owner, self.host)

    def register(self, marker):
        return self.ecs.register_task_definition(
            family="roll", containerDefinitions=[container(
                "app", environment=[{"name": "MARK", "value": marker}])])[
            "taskDefinition"]["taskDefinitionArn"]

    def live_tasks(self):
        """Service tasks not yet STOPPED, in ONE snapshot of the store (a
        read-only SQLite reader beside ecsd: API calls one after another
        would count a task that stopped and its replacement together)."""
        import sqlite3
        path = os.path.join(self.d.data_dir, "ecsd.db")
        try:
            con = sqlite3.connect("file:%s?mode=ro" % path, uri=True,
                                  timeout=5)
            try:
                return con.execute(
                    "SELECT count(*) FROM tasks WHERE service = 'web' "
                    "AND last_status != 'STOPPED'").fetchone()[0]
            finally:
                con.close()
        except sqlite3.Error:
            return None

    def svc(self):
        return self.ecs.describe_services(cluster=CLUSTER,
                                          services=["web"])["services"][0]

    def wait_stable(self, td, timeout=120):
        seen = {}

        def check():
            s = seen["s"] = self.svc()
            deps = s["deployments"]
            return s if (len(deps) == 1 and deps[0]["taskDefinition"] == td
                         and deps[0]["rolloutState"] == "COMPLETED"
                         and s["runningCount"] == self.desired
                         and s["pendingCount"] == 0) else None
        try:
            return wait_for(check, timeout=timeout, interval=0.3,
                            what="service stable on %s" % td)
        except AssertionError:
            s = seen.get("s", {})
            raise AssertionError("not stable: running %s pending %s deps %r "
                                 "events %r\nlog:\n%s" % (
                                     s.get("runningCount"),
                                     s.get("pendingCount"),
                                     [(d["taskDefinition"][-8:], d["status"],
                                       d["rolloutState"], d["runningCount"])
                                      for d in s.get("deployments", [])],
                                     [e["message"] for e in
                                      s.get("events", [])][:4],
                                     self.d.log_tail(20)))

    def check_service(self, td, timeout=180):
        """Exactly desiredCount RUNNING tasks of td, all accounted for.
        After an engine came back, ecsd learns only at its reconnect that
        containers died meanwhile: until then the service looks stable on
        tasks that are gone, and once they are STOPPED their replacements
        are still to come. So the check repeats until it holds or time is
        up."""
        deadline = time.time() + timeout
        while True:
            tasks, _ = faults.audit(self, self.d, CLUSTER, host=self.host,
                                    timeout=120)
            mine = [t for t in tasks if t.get("group") == "service:web"]
            up = [t for t in mine if t["desiredStatus"] == "RUNNING"]
            if len(up) == self.desired or time.time() > deadline:
                break
            time.sleep(1)
            self.wait_stable(td)
        self.assertEqual(len(up), self.desired,
                         "service tasks: %r" % [(t["taskArn"][-6:],
                                                 t["lastStatus"])
                                                for t in up])
        self.assertEqual({t["taskDefinitionArn"] for t in up}, {td})
        for t in mine:
            if t["lastStatus"] == "STOPPED":
                self.assertTrue(t.get("stoppedReason"))

    def create(self, td):
        self.ecs.create_service(
            cluster=CLUSTER, serviceName="web", taskDefinition=td,
            desiredCount=self.desired, deploymentConfiguration={
                "maximumPercent": self.max_pct,
                "minimumHealthyPercent": self.min_pct})

    def limit(self):
        return self.desired * self.max_pct // 100


class KillNineDuringDeployments(ServiceFaults):
    def test_kill9_during_rolling_deployments_loop(self):
        td = self.register("v0")
        self.create(td)
        self.wait_stable(td)
        mon = Monitor(self, self.host)
        mon.start()
        kills = 0
        try:
            deadline = time.time() + 600
            for i in range(1, LOOPS + 1):
                if time.time() > deadline:
                    break
                td = self.register("v%d" % i)
                self.ecs.update_service(cluster=CLUSTER, service="web",
                                        taskDefinition=td)
                time.sleep(self.rng.uniform(0.2, 3.0))
                self.d.kill9()
                kills += 1
                time.sleep(self.rng.uniform(0.0, 1.0))
                self.d.start()
                self.ecs = self.d.boto3()
                self.wait_stable(td)
                self.check_service(td)
        finally:
            mon.stop()
        print("\nkill -9 during deployments survived: %d; monitor samples "
              "%d, most containers running %d, most live tasks %d (limit %d)"
              % (kills, mon.samples, mon.max_docker, mon.max_live,
                 self.limit()))
        self.assertGreaterEqual(kills, min(LOOPS, 2))
        self.assertGreater(mon.samples, 10)
        self.assertLessEqual(mon.max_docker, self.limit(),
                             "more containers than maximumPercent allows")
        self.assertLessEqual(mon.max_live, self.limit(),
                             "more live tasks than maximumPercent allows")

    def test_kill9_right_after_update_and_after_scale(self):
        """Killed at once after UpdateService, and after a scale-up: the
        restart neither loses the deployment nor starts a task twice."""
        td = self.register("a")
        self.create(td)
        self.wait_stable(td)
        td = self.register("b")
        self.ecs.update_service(cluster=CLUSTER, service="web",
                                taskDefinition=td)
        self.d.kill9()
        self.d.start()
        self.ecs = self.d.boto3()
        self.wait_stable(td)
        self.check_service(td)
        self.desired = 7
        self.ecs.update_service(cluster=CLUSTER, service="web",
                                desiredCount=7)
        time.sleep(0.3)
        self.d.kill9()
        self.d.start()
        self.ecs = self.d.boto3()
        self.wait_stable(td)
        self.check_service(td)


@unittest.skipUnless(shutil.which("dockerd") and shutil.which("unshare"),
                     "needs dockerd and unshare")
class EngineLost(ServiceFaults):
    """The engine comes back empty: the service's containers vanished;
    their tasks are STOPPED with the reason and the service replaces them."""

    @classmethod
    def setUpClass(cls):
        cls.engine = faults.PrivateEngine().start()
        cls.engine.load_test_image()
        cls.host = cls.engine.host

    @classmethod
    def tearDownClass(cls):
        cls.engine.destroy()

    def test_engine_replaced_service_replaces_tasks(self):
        td = self.register("e")
        self.create(td)
        self.wait_stable(td)
        before = {t for t in self.ecs.list_tasks(
            cluster=CLUSTER, serviceName="web")["taskArns"]}
        self.engine.replace()
        wait_for(lambda: not before & set(self.ecs.list_tasks(
            cluster=CLUSTER, serviceName="web")["taskArns"]), timeout=60,
            what="the lost tasks to leave the service")
        self.wait_stable(td)
        self.check_service(td)
        lost = self.ecs.describe_tasks(cluster=CLUSTER, tasks=list(before))[
            "tasks"]
        for t in lost:
            self.assertEqual(t["lastStatus"], "STOPPED")
            self.assertIn("DockerContainerVanished",
                          t["containers"][0].get("reason", ""))

    def test_engine_down_during_deployment(self):
        td = self.register("f0")
        self.create(td)
        self.wait_stable(td)
        td = self.register("f1")
        self.ecs.update_service(cluster=CLUSTER, service="web",
                                taskDefinition=td)
        time.sleep(self.rng.uniform(0.2, 1.5))
        self.engine.kill()
        # the API answers while the engine is away
        self.assertEqual(self.svc()["taskDefinition"], td)
        time.sleep(2)
        self.engine.start()
        self.wait_stable(td, timeout=180)
        self.check_service(td)


if __name__ == "__main__":
    unittest.main()
