"""Load while reconciling: 32 concurrent clients mix reads and writes for a
bounded time while tasks start and stop on the real engine and a service
rolls one deployment after another. No request that
should succeed fails, no write is lost (every registered revision is there,
in order, with what its client wrote), and ecsd's memory is flat afterwards
(VmRSS from /proc/<pid>/status after a second, equal round).

ECSD_LOAD_SECONDS sets each round's length (default 15), ECSD_LOAD_ROUNDS
how many rounds (default 3; the last two are compared)."""
import os
import random
import threading
import time

from botocore.exceptions import ClientError

import ecsd
import faults
from faults import container

CLUSTER = "load"
CLIENTS = 32
SECONDS = float(os.environ.get("ECSD_LOAD_SECONDS",
                               "8" if faults.SANITIZED else "15"))
ROUNDS = max(3, int(os.environ.get("ECSD_LOAD_ROUNDS", "3")))


class Client(threading.Thread):
    def __init__(self, d, n, round_no, deadline, td):
        super().__init__()
        self.ecs = d.boto3()
        self.n = n
        self.round = round_no
        self.deadline = deadline
        self.td = td
        self.family = "load-%02d" % n
        self.rng = random.Random(n * 1000 + round_no)
        self.registered = []      # the marker of each acknowledged revision
        self.errors = []
        self.calls = 0
        self.mine = []            # tasks this client started

    def call(self, fn, **kw):
        self.calls += 1
        try:
            return fn(**kw)
        except ClientError as e:
            self.errors.append("%s: %s %s" % (
                fn.__name__, e.response["Error"]["Code"],
                e.response["Error"].get("Message")))
        except Exception as e:  # noqa: BLE001 - counted as a failure
            self.errors.append("%s: %r" % (fn.__name__, e))
        return None

    def run(self):
        ecs = self.ecs
        while time.time() < self.deadline:
            r = self.rng.random()
            if r < 0.25:
                marker = "%d-%d" % (self.round, len(self.registered))
                out = self.call(ecs.register_task_definition,
                                family=self.family,
                                containerDefinitions=[container(
                                    "main", environment=[
                                        {"name": "MARK", "value": marker}])])
                if out is not None:
                    self.registered.append(marker)
            elif r < 0.32 and len(self.mine) < 2:
                out = self.call(ecs.run_task, cluster=CLUSTER,
                                taskDefinition=self.td, startedBy=self.family)
                if out is not None:
                    if out["failures"]:
                        self.errors.append("run_task failures %r" %
                                           out["failures"])
                    self.mine += [t["taskArn"] for t in out["tasks"]]
            elif r < 0.38 and self.mine:
                arn = self.mine.pop(0)
                self.call(ecs.stop_task, cluster=CLUSTER, task=arn,
                          reason="load")
            elif r < 0.45:
                self.call(ecs.tag_resource, resourceArn=self.td_arn(),
                          tags=[{"key": "c%02d" % self.n,
                                 "value": str(self.calls)}])
            elif r < 0.65:
                self.call(ecs.list_tasks, cluster=CLUSTER)
            elif r < 0.8:
                if self.mine:
                    self.call(ecs.describe_tasks, cluster=CLUSTER,
                              tasks=self.mine)
                else:
                    self.call(ecs.describe_clusters, clusters=[CLUSTER])
            elif r < 0.9:
                self.call(ecs.list_task_definitions, familyPrefix=self.family)
            else:
                self.call(ecs.describe_task_definition,
                          taskDefinition=self.td)

    def td_arn(self):
        return self.td


class LoadWhileReconciling(ecsd.DockerTestCase):
    def setUp(self):
        ecsd.ensure_test_image()
        self.d = faults.own_daemon(args=["--max-connections", "512"]).start()
        self.ecs = self.d.boto3()
        self.ecs.create_cluster(clusterName=CLUSTER)
        self.td = self.ecs.register_task_definition(
            family="loadtask", containerDefinitions=[container("main")])[
            "taskDefinition"]["taskDefinitionArn"]
        self.roller_td = self.ecs.register_task_definition(
            family="roller", containerDefinitions=[container("main")])[
            "taskDefinition"]["taskDefinitionArn"]
        self.ecs.create_service(cluster=CLUSTER, serviceName="roller",
                                taskDefinition=self.roller_td, desiredCount=4)
        self.updates = 0

    def roller_stable(self):
        def check():
            s = self.ecs.describe_services(cluster=CLUSTER,
                                           services=["roller"])["services"][0]
            deps = s["deployments"]
            return s if (len(deps) == 1 and deps[0]["rolloutState"] ==
                         "COMPLETED" and deps[0]["taskDefinition"] ==
                         self.roller_td and s["runningCount"] == 4) else None
        ecsd.wait_for(check, timeout=120, interval=0.5,
                      what="the rolling service to finish")
        up = self.ecs.list_tasks(cluster=CLUSTER, serviceName="roller")[
            "taskArns"]
        self.assertEqual(len(up), 4)

    def tearDown(self):
        owner = self.d.admin("GET", "info")["owner"]
        self.d.cleanup()
        faults.leave_nothing(self, owner)

    def round(self, no):
        deadline = time.time() + SECONDS
        clients = [Client(self.d, n, no, deadline, self.td)
                   for n in range(CLIENTS)]
        for c in clients:
            c.start()
        # meanwhile a deployment rolls: a new revision every few seconds
        while time.time() < deadline - 1:
            self.roller_td = self.ecs.register_task_definition(
                family="roller", containerDefinitions=[container(
                    "main", environment=[{"name": "R", "value": str(
                        time.time())}])])["taskDefinition"][
                "taskDefinitionArn"]
            self.ecs.update_service(cluster=CLUSTER, service="roller",
                                    taskDefinition=self.roller_td)
            self.updates += 1
            time.sleep(3)
        for c in clients:
            c.join(SECONDS + 120)
        # stop what is left, so the next round starts alike
        for c in clients:
            for arn in c.mine:
                self.ecs.stop_task(cluster=CLUSTER, task=arn, reason="round")
        return clients

    def check_writes(self, rounds):
        for n in range(CLIENTS):
            family = "load-%02d" % n
            markers = [m for r in rounds for m in r[n].registered]
            arns = []
            for page in self.ecs.get_paginator("list_task_definitions") \
                    .paginate(familyPrefix=family, sort="ASC"):
                arns += page["taskDefinitionArns"]
            revs = [int(a.rsplit(":", 1)[1]) for a in arns]
            self.assertEqual(revs, list(range(1, len(markers) + 1)),
                             "%s: revisions lost or out of order" % family)
            for rev in self.rng.sample(revs, min(5, len(revs))):
                td = self.ecs.describe_task_definition(
                    taskDefinition="%s:%d" % (family, rev))["taskDefinition"]
                env = td["containerDefinitions"][0]["environment"]
                self.assertEqual(env, [{"name": "MARK",
                                        "value": markers[rev - 1]}])
        tags = {t["key"] for t in self.ecs.list_tags_for_resource(
            resourceArn=self.td)["tags"]}
        self.assertTrue(tags, "no tag written under load survived")

    def test_32_clients_while_tasks_start_and_stop(self):
        self.rng = random.Random(5)
        pid = self.d.proc.pid
        rounds = []
        rss = []
        for no in range(ROUNDS):
            clients = self.round(no)
            rounds.append(clients)
            errors = [e for c in clients for e in c.errors]
            calls = sum(c.calls for c in clients)
            self.assertEqual(errors, [], "requests failed under load")
            self.assertGreater(calls, CLIENTS * 10)
            # the scheduler catches up: the deployment finishes, every task
            # settles, Docker agrees
            self.roller_stable()
            faults.audit(self, self.d, CLUSTER, timeout=120)
            rss.append(faults.rss_kib(pid))
            print("\nround %d: %d calls, %d registered, %d deployments, "
                  "RSS %d KiB" % (no, calls, sum(len(c.registered)
                                                 for c in clients),
                                  self.updates, rss[-1]))
        self.check_writes(rounds)
        # round 0 warms caches; the last two rounds do the same work
        self.assertLess(rss[-1] - rss[-2], max(8192, rss[-2] // 5),
                        "RSS grows round after round: %r" % rss)
        # and through aws-cli, the client users script with
        out = self.d.aws("ecs", "list-task-definitions", "--family-prefix",
                         "load-00")
        self.assertEqual(len(out["taskDefinitionArns"]),
                         sum(len(r[0].registered) for r in rounds))


if __name__ == "__main__":
    import unittest
    unittest.main()
