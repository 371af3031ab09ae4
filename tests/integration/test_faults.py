"""Faults ecsd must survive, on the machine's Docker engine: kill -9 of ecsd
at random moments (in the middle of a RunTask of 10, of starts and stops),
and interference from outside (docker rm -f, stop, pause of a task's
container, a container killed for memory). After each fault the audit in
faults.py checks that nothing was lost: every task accounted for, running
containers adopted, vanished ones STOPPED with a reason, no orphan and no
duplicate container.

ECSD_FAULT_LOOPS sets how many kill -9 rounds run (default 6)."""
import os
import random
import threading
import time
import unittest

import ecsd
import faults
from ecsd import docker, wait_for
from faults import container

CLUSTER = "faults"
LOOPS = faults.loops(6)


class KillNine(ecsd.DockerTestCase):
    """kill -9 of ecsd, restarted on the same --data-dir."""

    def setUp(self):
        ecsd.ensure_test_image()
        self.d = faults.own_daemon().start()
        self.owner = self.d.admin("GET", "info")["owner"]
        self.ecs = self.d.boto3()
        self.ecs.create_cluster(clusterName=CLUSTER)
        self.rng = random.Random(int(os.environ.get("ECSD_FAULT_SEED",
                                                    str(int(time.time())))))

    def tearDown(self):
        if self.d.proc is None:
            self.d.start()
        self.d.cleanup()
        faults.leave_nothing(self, self.owner)

    def register(self, family, containers, **kw):
        return self.ecs.register_task_definition(
            family=family, containerDefinitions=containers,
            **kw)["taskDefinition"]["taskDefinitionArn"]

    def run_in_background(self, td, count, told, cluster=CLUSTER, **kw):
        """RunTask on a thread: the daemon may die under it. ARNs of an
        answered call go into told."""
        ecs = self.d.boto3()

        def go():
            try:
                out = ecs.run_task(cluster=cluster, taskDefinition=td,
                                   count=count, **kw)
                told.extend(t["taskArn"] for t in out["tasks"])
            except Exception:  # noqa: BLE001 - killed under it
                pass
        th = threading.Thread(target=go)
        th.start()
        return th

    def test_kill9_during_run_task_of_ten_loop(self):
        """RunTask of 10 (and StopTask of earlier tasks) with ecsd killed at
        a random moment; on restart every task is accounted for."""
        td = self.register("k9", [container("main")])
        # awsvpc: a pause container first, two containers in order
        vpc = self.register("k9vpc", [container("web"), container(
            "side", essential=False, dependsOn=[{"containerName": "web",
                                                  "condition": "START"}])],
            networkMode="awsvpc")
        net = {"awsvpcConfiguration": {"subnets": ["subnet-12345678"]}}
        told = []
        kills = 0
        self.ecs.run_task(cluster=CLUSTER, taskDefinition=td, count=4)
        deadline = time.time() + 600
        for i in range(LOOPS):
            if time.time() > deadline:
                break
            running = [t["taskArn"] for t in faults.all_tasks(self.ecs, CLUSTER)
                       if t["desiredStatus"] == "RUNNING"]
            # stop some, so kills also land in stop chains
            for arn in self.rng.sample(running, min(len(running), 5)):
                self.ecs.stop_task(cluster=CLUSTER, task=arn,
                                   reason="loop %d" % i)
            if i % 2:
                th = self.run_in_background(vpc, 10, told,
                                            networkConfiguration=net)
            else:
                th = self.run_in_background(td, 10, told)
            time.sleep(self.rng.uniform(0.0, 1.5))
            self.d.kill9()
            kills += 1
            th.join(30)
            self.d.start()
            tasks, cs = faults.audit(self, self.d, CLUSTER, told)
            n = len(tasks)
            # RunTask is one transaction: all ten or none of them
            self.assertEqual((n - 4) % 10, 0, "a RunTask of 10 half-stored")
        print("\nkill -9 rounds survived: %d, tasks audited %d" % (kills, n))
        self.assertGreaterEqual(kills, min(LOOPS, 2))

    def test_kill9_while_containers_start_adopts_them(self):
        """Killed while ten tasks are between create and start: the restart
        adopts every container by its labels, none is made twice."""
        td = self.register("adopt", [container("a"), container(
            "b", essential=False, dependsOn=[{"containerName": "a",
                                               "condition": "START"}])])
        out = self.ecs.run_task(cluster=CLUSTER, taskDefinition=td, count=10)
        arns = [t["taskArn"] for t in out["tasks"]]
        owner = self.d.admin("GET", "info")["owner"]
        # kill once Docker has some of them, but not all
        wait_for(lambda: len(faults.containers_of(owner)) >= 3, timeout=60,
                 interval=0.02, what="first containers")
        self.d.kill9()
        before = {c["Id"] for c in faults.containers_of(owner)}
        self.d.start()
        tasks, cs = faults.audit(self, self.d, CLUSTER, arns)
        self.assertEqual({t["lastStatus"] for t in tasks}, {"RUNNING"})
        self.assertEqual(len(cs), 20)
        # what Docker had before the restart was adopted, not remade
        self.assertTrue(before <= {c["Id"] for c in cs},
                        "containers made before the kill were replaced")

    def test_kill9_during_startup_and_resync(self):
        """kill -9 again and again while ecsd starts up and resyncs (tasks
        starting and stopping): the last start finds everything."""
        td = self.register("boot", [container("main")])
        arns = [t["taskArn"] for t in self.ecs.run_task(
            cluster=CLUSTER, taskDefinition=td, count=10)["tasks"]]
        for arn in arns[:3]:
            self.ecs.stop_task(cluster=CLUSTER, task=arn)
        kills = 0
        for i in range(6):
            time.sleep(self.rng.uniform(0.0, 0.4))
            self.d.kill9()
            kills += 1
            self.d.start()
            if i == 2:
                arns += [t["taskArn"] for t in self.d.boto3().run_task(
                    cluster=CLUSTER, taskDefinition=td, count=5)["tasks"]]
        tasks, cs = faults.audit(self, self.d, CLUSTER, arns)
        by = {t["taskArn"]: t for t in tasks}
        for arn in arns[:3]:
            self.assertEqual(by[arn]["lastStatus"], "STOPPED")
        self.assertEqual(sum(1 for t in tasks if t["lastStatus"] == "RUNNING"),
                         12)
        self.assertEqual(kills, 6)

    def test_containers_removed_while_ecsd_is_down(self):
        """kill -9, then containers go while ecsd is down: one removed, one
        exited. On restart both tasks are STOPPED with a clear reason, the
        third is adopted as it runs."""
        td = self.register("down", [container("main")])
        out = self.ecs.run_task(cluster=CLUSTER, taskDefinition=td, count=3)
        arns = [t["taskArn"] for t in out["tasks"]]
        for arn in arns:
            self.wait_status(arn, CLUSTER, "RUNNING")
        tasks = {t["taskArn"]: t for t in faults.all_tasks(self.ecs, CLUSTER)}
        rid = [tasks[a]["containers"][0]["runtimeId"] for a in arns]
        self.d.kill9()
        docker("rm", "-f", rid[0])
        docker("kill", "-s", "KILL", rid[1])
        self.d.start()
        tasks, cs = faults.audit(self, self.d, CLUSTER, arns)
        by = {t["taskArn"]: t for t in tasks}
        gone, died, kept = by[arns[0]], by[arns[1]], by[arns[2]]
        self.assertEqual(gone["lastStatus"], "STOPPED")
        self.assertEqual(gone["stopCode"], "EssentialContainerExited")
        self.assertIn("DockerContainerVanished",
                      gone["containers"][0].get("reason", ""))
        self.assertEqual(died["lastStatus"], "STOPPED")
        self.assertEqual(died["containers"][0].get("exitCode"), 137)
        self.assertEqual(kept["lastStatus"], "RUNNING")
        self.assertEqual(kept["containers"][0]["runtimeId"], rid[2])


class ResetRace(unittest.TestCase):
    """The admin reset while containers are being made: a container whose
    task went while Docker created it is removed at once, not left for the
    periodic resync (30 s at the default --reconcile-interval)."""

    def setUp(self):
        ecsd.ensure_test_image()
        self.d = ecsd.Daemon().start()
        self.owner = self.d.admin("GET", "info")["owner"]
        self.ecs = self.d.boto3()

    def tearDown(self):
        self.d.cleanup()
        faults.leave_nothing(self, self.owner)

    def test_reset_while_containers_are_created(self):
        self.ecs.create_cluster(clusterName=CLUSTER)
        td = self.ecs.register_task_definition(
            family="race", containerDefinitions=[container("a"), container(
                "b", essential=False)])["taskDefinition"]["taskDefinitionArn"]
        worst = 0.0
        for i in range(3):
            self.ecs.run_task(cluster=CLUSTER, taskDefinition=td, count=10)
            wait_for(lambda: faults.containers_of(self.owner), timeout=30,
                     interval=0.01, what="a first container")
            self.d.reset()
            t0 = time.time()
            wait_for(lambda: not faults.containers_of(self.owner), timeout=25,
                     interval=0.2, what="every container removed after the "
                     "reset")
            worst = max(worst, time.time() - t0)
            self.ecs.create_cluster(clusterName=CLUSTER)
            td = self.ecs.register_task_definition(
                family="race", containerDefinitions=[container("a")])[
                "taskDefinition"]["taskDefinitionArn"]
        self.assertLess(worst, 15)


class Paused(ecsd.DockerTestCase):
    """docker pause of a task's container, on a daemon of its own whose
    periodic resync (which lists a paused container as "paused") comes
    every 1.2 s, so the pause certainly overlaps resyncs."""

    def setUp(self):
        super().setUp()
        self.d = faults.own_daemon(interval=200).start()
        self.owner = self.d.admin("GET", "info")["owner"]
        self.ecs = self.d.boto3()
        self.ecs.create_cluster(clusterName=CLUSTER)

    def tearDown(self):
        self.d.cleanup()
        faults.leave_nothing(self, self.owner)

    def run_one(self, containers):
        return Outside.run_one(self, containers)

    def test_docker_pause_keeps_the_task_running_and_stop_task_works(self):
        # The ECS agent sees a paused container as running; so does ecsd.
        t = self.run_one([container("main", stopTimeout=2)])
        rid = t["containers"][0]["runtimeId"]
        docker("pause", rid)
        try:
            time.sleep(3)     # past two resyncs (one every 6 x 200 ms)
            t = self.task(t["taskArn"], CLUSTER)
            self.assertEqual(t["lastStatus"], "RUNNING")
            self.assertEqual(t["containers"][0]["lastStatus"], "RUNNING")
            docker("unpause", rid)
            time.sleep(1)
            self.assertEqual(self.task(t["taskArn"], CLUSTER)["lastStatus"],
                             "RUNNING")
            docker("pause", rid)
            start = time.time()
            self.ecs.stop_task(cluster=CLUSTER, task=t["taskArn"])
            t = self.wait_status(t["taskArn"], CLUSTER, "STOPPED", timeout=60)
            self.assertLess(time.time() - start, 30)
            self.assertEqual(t["stopCode"], "UserInitiated")
        finally:
            docker("unpause", rid, check=False)
        faults.audit(self, self.d, CLUSTER, [t["taskArn"]])


class Outside(ecsd.DockerTestCase):
    """Someone else's hands on a task's containers."""

    def setUp(self):
        super().setUp()
        self.ecs.create_cluster(clusterName=CLUSTER)

    def run_one(self, containers, **kw):
        td = self.ecs.register_task_definition(
            family="outside", containerDefinitions=containers,
            **kw)["taskDefinition"]["taskDefinitionArn"]
        out = self.ecs.run_task(cluster=CLUSTER, taskDefinition=td)
        arn = out["tasks"][0]["taskArn"]
        return self.wait_status(arn, CLUSTER, "RUNNING")

    def test_docker_rm_f(self):
        t = self.run_one([container("main")])
        docker("rm", "-f", t["containers"][0]["runtimeId"])
        t = self.wait_status(t["taskArn"], CLUSTER, "STOPPED")
        self.assertEqual(t["stopCode"], "EssentialContainerExited")
        self.assertEqual(t["stoppedReason"], "Essential container in task exited")
        faults.audit(self, self.d, CLUSTER, [t["taskArn"]])

    def test_docker_stop(self):
        t = self.run_one([container("main")])
        docker("stop", "-t", "5", t["containers"][0]["runtimeId"])
        t = self.wait_status(t["taskArn"], CLUSTER, "STOPPED")
        self.assertEqual(t["stopCode"], "EssentialContainerExited")
        self.assertEqual(t["containers"][0]["exitCode"], 0)  # its TERM trap
        faults.audit(self, self.d, CLUSTER, [t["taskArn"]])

    def test_docker_stop_of_a_non_essential_container(self):
        t = self.run_one([container("main"),
                          container("side", essential=False)])
        side = [c for c in t["containers"] if c["name"] == "side"][0]
        docker("stop", "-t", "5", side["runtimeId"])
        wait_for(lambda: [c for c in self.task(t["taskArn"], CLUSTER)
                          ["containers"] if c["name"] == "side" and
                          c["lastStatus"] == "STOPPED"],
                 what="side to be STOPPED")
        time.sleep(1)
        self.assertEqual(self.task(t["taskArn"], CLUSTER)["lastStatus"],
                         "RUNNING")
        faults.audit(self, self.d, CLUSTER, [t["taskArn"]])

    def test_killed_for_memory_is_out_of_memory_error(self):
        # 16 MiB hard limit; the shell doubles a string until the kernel
        # kills it
        t = self.run_one([container(
            "hog", "sleep 1; x=0123456789abcdef; while true; do x=$x$x; done",
            memory=16)])
        t = self.wait_status(t["taskArn"], CLUSTER, "STOPPED", timeout=60)
        c = t["containers"][0]
        self.assertEqual(c.get("reason"),
                         "OutOfMemoryError: Container killed due to memory usage")
        self.assertEqual(c.get("exitCode"), 137)
        self.assertEqual(t["stopCode"], "EssentialContainerExited")
        self.assertEqual(t["stoppedReason"], "Essential container in task exited")
        faults.audit(self, self.d, CLUSTER, [t["taskArn"]])


if __name__ == "__main__":
    unittest.main()
