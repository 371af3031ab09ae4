"""The seed tutorial's service flow, end to end through aws-cli, with real
containers (issue 4, "What a user can do when this is done"):

  aws ecs create-cluster --cluster-name app01
  aws ecs register-task-definition --cli-input-json file://location.json
  aws ecs create-service --cluster app01 --service-name location \\
    --task-definition location --desired-count 4 \\
    --deployment-configuration maximumPercent=200,minimumHealthyPercent=50
  aws ecs describe-services --cluster app01 --services location  # running 4
  aws ecs register-task-definition --cli-input-json file://location-v2.json
  aws ecs update-service --cluster app01 --service location \\
    --task-definition location:2
  aws ecs wait services-stable --cluster app01 --services location

and then the clean-up a user does: scale to 0, delete the service, wait for
services-inactive and tasks-stopped, deregister, delete the cluster. While the
roll-out runs the test samples the tasks the scheduler wants and checks
they never leave the window minimumHealthyPercent=50 / maximumPercent=200
allows: at least 2 RUNNING, at most 8 RUNNING or PENDING, for 4 desired."""
import json
import os
import shutil
import tempfile
import threading
import time
import urllib.request

import ecsd
from ecsd import TEST_IMAGE, docker, wait_for

CLUSTER = "app01"
SERVICE = "location"


def running_containers(d):
    """Ids of this daemon's containers that are running (a stopped task's
    containers stay until the scheduler's retention removes them)."""
    owner = d.admin("GET", "info")["owner"]
    out = docker("ps", "-q", "--no-trunc", "--filter",
                 "label=ecsd.owner=%s" % owner)
    return [line for line in out.splitlines() if line]


def location(version):
    """The tutorial's task definition: one web container on a dynamic host
    port; v2 differs in its environment, which makes a new revision."""
    return {
        "family": "location",
        "containerDefinitions": [{
            "name": "location",
            "image": TEST_IMAGE,
            "essential": True,
            "memory": 32,
            "command": ["httpd", "-f", "-p", "8080", "-h", "/www"],
            "portMappings": [{"containerPort": 8080, "hostPort": 0,
                              "protocol": "tcp"}],
            "environment": [{"name": "VERSION", "value": version}],
        }],
    }


class Tutorial(ecsd.DockerTestCase):
    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="ecsd-tutorial-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def cli_json(self, name, doc):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            json.dump(doc, f)
        return "file://" + path

    def describe(self):
        out = self.d.aws("ecs", "describe-services", "--cluster", CLUSTER,
                         "--services", SERVICE)
        self.assertEqual(out["failures"], [])
        return out["services"][0]

    def tasks(self, desired="RUNNING"):
        arns = self.ecs.list_tasks(cluster=CLUSTER, serviceName=SERVICE,
                                   desiredStatus=desired)["taskArns"]
        if not arns:
            return []
        return self.ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"]

    def wait_stable(self):
        rc, out, err = self.d.aws("ecs", "wait", "services-stable", "--cluster",
                                  CLUSTER, "--services", SERVICE, check=False)
        if rc != 0:
            s = self.describe()
            self.fail("services-stable failed (%d): %s\nservice: desired %s "
                      "running %s pending %s deployments %s\nevents %s" % (
                          rc, err, s["desiredCount"], s["runningCount"],
                          s["pendingCount"], s["deployments"],
                          [e["message"] for e in s.get("events", [])[:8]]))

    def sample(self, stop, seen):
        """Until stop is set, records (running, live) over the tasks the
        scheduler wants (desiredStatus RUNNING): running = lastStatus
        RUNNING (the healthy ones: no health check here), live = not yet
        STOPPED (what maximumPercent bounds: RUNNING or PENDING)."""
        client = self.d.boto3()
        while not stop.is_set():
            try:
                arns = client.list_tasks(cluster=CLUSTER, serviceName=SERVICE,
                                         desiredStatus="RUNNING")["taskArns"]
                tasks = []
                for i in range(0, len(arns), 100):
                    tasks += client.describe_tasks(cluster=CLUSTER,
                                                   tasks=arns[i:i + 100])["tasks"]
                tasks = [t for t in tasks if t["desiredStatus"] == "RUNNING"]
                running = sum(1 for t in tasks if t["lastStatus"] == "RUNNING")
                live = sum(1 for t in tasks if t["lastStatus"] != "STOPPED")
                seen.append((running, live))
            except Exception as e:  # noqa: BLE001 - recorded, checked after
                seen.append(("error", str(e)))
            time.sleep(0.2)

    def test_seed_tutorial_service_flow(self):
        aws = self.d.aws
        aws("ecs", "create-cluster", "--cluster-name", CLUSTER)
        td = aws("ecs", "register-task-definition", "--cli-input-json",
                 self.cli_json("location.json", location("1")))["taskDefinition"]
        self.assertEqual(td["revision"], 1)

        out = aws("ecs", "create-service", "--cluster", CLUSTER,
                  "--service-name", SERVICE, "--task-definition", "location",
                  "--desired-count", "4", "--deployment-configuration",
                  "maximumPercent=200,minimumHealthyPercent=50")["service"]
        self.assertEqual(out["status"], "ACTIVE")
        self.assertEqual(out["desiredCount"], 4)
        self.assertTrue(out["taskDefinition"].endswith("task-definition/location:1"))
        self.assertEqual(out["deploymentConfiguration"]["maximumPercent"], 200)
        self.assertEqual(out["deploymentConfiguration"]["minimumHealthyPercent"], 50)

        wait_for(lambda: self.describe()["runningCount"] == 4, timeout=90,
                 interval=0.5, what="runningCount 4")
        s = self.describe()
        self.assertEqual((s["desiredCount"], s["runningCount"], s["pendingCount"]),
                         (4, 4, 0))
        self.assertEqual(len(s["deployments"]), 1)
        first = self.tasks()
        self.assertEqual(len(first), 4)
        for t in first:
            self.assertEqual(t["lastStatus"], "RUNNING")
            self.assertEqual(t["group"], "service:location")
            self.assertEqual(t["startedBy"], s["deployments"][0]["id"])
            port = t["containers"][0]["networkBindings"][0]["hostPort"]
            body = wait_for(lambda: self.get("http://127.0.0.1:%d/" % port),
                            timeout=10, what="location httpd to answer")
            self.assertIn("ecsd test image", body)
        self.assertEqual(len(running_containers(self.d)), 4)
        self.wait_stable()

        # -- version 2: a new revision rolled out within 50%..200% --------
        td2 = aws("ecs", "register-task-definition", "--cli-input-json",
                  self.cli_json("location-v2.json", location("2")))["taskDefinition"]
        self.assertEqual(td2["revision"], 2)
        seen, stop = [], threading.Event()
        sampler = threading.Thread(target=self.sample, args=(stop, seen))
        sampler.start()
        try:
            out = aws("ecs", "update-service", "--cluster", CLUSTER, "--service",
                      SERVICE, "--task-definition", "location:2")["service"]
            self.assertTrue(out["taskDefinition"].endswith("location:2"))
            self.assertEqual(len(out["deployments"]), 2)
            self.assertEqual(out["deployments"][0]["status"], "PRIMARY")
            self.assertEqual(out["deployments"][0]["rolloutState"], "IN_PROGRESS")
            self.wait_stable()
        finally:
            stop.set()
            sampler.join(30)
        errors = [x for x in seen if x[0] == "error"]
        self.assertEqual(errors, [])
        self.assertTrue(seen)
        self.assertGreaterEqual(min(r for r, _ in seen), 2, seen)
        self.assertLessEqual(max(live for _, live in seen), 8, seen)

        s = self.describe()
        self.assertTrue(s["taskDefinition"].endswith("task-definition/location:2"))
        self.assertEqual((s["desiredCount"], s["runningCount"]), (4, 4))
        self.assertEqual(len(s["deployments"]), 1)
        self.assertEqual(s["deployments"][0]["rolloutState"], "COMPLETED")
        msgs = [e["message"] for e in s["events"]]
        self.assertIn("(service location) has reached a steady state.", msgs)
        now = self.tasks()
        self.assertEqual(len(now), 4)
        for t in now:
            self.assertTrue(t["taskDefinitionArn"].endswith("location:2"))
            self.assertEqual(t["lastStatus"], "RUNNING")
        for t in self.ecs.describe_tasks(
                cluster=CLUSTER, tasks=[t["taskArn"] for t in first])["tasks"]:
            self.assertEqual(t["desiredStatus"], "STOPPED")
            self.assertEqual(t["stopCode"], "ServiceSchedulerInitiated")

        # -- clean up the way a user does ----------------------------------
        aws("ecs", "update-service", "--cluster", CLUSTER, "--service", SERVICE,
            "--desired-count", "0")
        out = aws("ecs", "delete-service", "--cluster", CLUSTER, "--service",
                  SERVICE)["service"]
        self.assertEqual(out["status"], "DRAINING")
        aws("ecs", "wait", "services-inactive", "--cluster", CLUSTER,
            "--services", SERVICE)
        arns = [t["taskArn"] for t in first + now]
        aws("ecs", "wait", "tasks-stopped", "--cluster", CLUSTER, "--tasks", *arns)
        for rev in ("location:1", "location:2"):
            aws("ecs", "deregister-task-definition", "--task-definition", rev)
        out = aws("ecs", "delete-cluster", "--cluster", CLUSTER)["cluster"]
        self.assertEqual(out["status"], "INACTIVE")
        wait_for(lambda: not running_containers(self.d), timeout=60,
                 what="every container of the tutorial to stop")

    @staticmethod
    def get(url):
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.read().decode()
        except OSError:
            return None
