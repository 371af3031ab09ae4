"""Tasks are real containers: RunTask -> RUNNING on the local Docker engine,
reached over its dynamic host port, stopped with the ECS stop codes; essential
and dependsOn semantics, health, awsvpc, stopTimeout, missing images, docker
kill from outside. Driven through aws-cli and boto3 against a real daemon."""
import json
import os
import tempfile
import time
import urllib.request

import ecsd
from ecsd import TEST_IMAGE, docker, wait_for

CLUSTER = "app01"


def container(name, command, **kw):
    c = {"name": name, "image": TEST_IMAGE, "memory": 64,
         "command": ["sh", "-c", command]}
    c.update(kw)
    return c


class RunTask(ecsd.DockerTestCase):
    def setUp(self):
        super().setUp()
        self.ecs.create_cluster(clusterName=CLUSTER)

    def register(self, family, containers, **kw):
        return self.ecs.register_task_definition(
            family=family, containerDefinitions=containers,
            **kw)["taskDefinition"]["taskDefinitionArn"]

    def run_one(self, td, **kw):
        out = self.ecs.run_task(cluster=CLUSTER, taskDefinition=td, **kw)
        self.assertEqual(out["failures"], [])
        return out["tasks"][0]

    def test_web_task_runs_is_reachable_and_stops_by_aws_cli(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"family": "web", "containerDefinitions": [container(
                "web", "httpd -f -p 8080 -h /www",
                portMappings=[{"containerPort": 8080, "hostPort": 0}],
                environment=[{"name": "GREETING", "value": "hello"}])]}, f)
        self.d.aws("ecs", "register-task-definition", "--cli-input-json",
                   "file://" + f.name)
        os.unlink(f.name)
        out = self.d.aws("ecs", "run-task", "--cluster", CLUSTER,
                         "--task-definition", "web:1", "--count", "2")
        self.assertEqual(out["failures"], [])
        arns = [t["taskArn"] for t in out["tasks"]]
        self.assertEqual({t["lastStatus"] for t in out["tasks"]},
                         {"PROVISIONING"})
        self.d.aws("ecs", "wait", "tasks-running", "--cluster", CLUSTER,
                   "--tasks", *arns)
        tasks = self.d.aws("ecs", "describe-tasks", "--cluster", CLUSTER,
                           "--tasks", *arns)["tasks"]
        for t in tasks:
            self.assertEqual(t["lastStatus"], "RUNNING")
            for k in ("pullStartedAt", "pullStoppedAt", "startedAt"):
                self.assertIn(k, t)
            c = t["containers"][0]
            self.assertEqual(c["lastStatus"], "RUNNING")
            port = [b["hostPort"] for b in c["networkBindings"]
                    if b["containerPort"] == 8080][0]
            self.assertGreater(port, 0)
            body = wait_for(lambda: self._get("http://127.0.0.1:%d/" % port),
                            timeout=10, what="httpd to answer")
            self.assertIn("ecsd test image", body)
            # named and labelled as the ECS agent does
            info = json.loads(docker("inspect", c["runtimeId"]))[0]
            self.assertTrue(info["Name"].startswith("/ecs-web-1-web-"))
            labels = info["Config"]["Labels"]
            self.assertEqual(labels["com.amazonaws.ecs.task-arn"], t["taskArn"])
            self.assertEqual(labels["com.amazonaws.ecs.container-name"], "web")
            self.assertEqual(labels["com.amazonaws.ecs.task-definition-family"], "web")
            self.assertEqual(labels["com.amazonaws.ecs.task-definition-version"], "1")
            env = docker("exec", c["runtimeId"], "env")
            self.assertIn("GREETING=hello", env)
            self.assertIn("AWS_REGION=us-east-1", env)
            self.assertIn("AWS_DEFAULT_REGION=us-east-1", env)
            self.assertIn("AWS_EXECUTION_ENV=AWS_ECS_EC2", env)
        self.d.aws("ecs", "stop-task", "--cluster", CLUSTER, "--task", arns[0],
                   "--reason", "done")
        self.d.aws("ecs", "wait", "tasks-stopped", "--cluster", CLUSTER,
                   "--tasks", arns[0])
        t = self.task(arns[0], CLUSTER)
        self.assertEqual(t["stopCode"], "UserInitiated")
        self.assertEqual(t["stoppedReason"], "done")
        self.assertEqual(t["desiredStatus"], "STOPPED")
        for k in ("stoppingAt", "executionStoppedAt", "stoppedAt"):
            self.assertIn(k, t)
        self.assertIn("exitCode", t["containers"][0])

    @staticmethod
    def _get(url):
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.read().decode()
        except OSError:
            return None

    def test_essential_exit_stops_the_task_with_its_exit_code(self):
        td = self.register("exits", [container("main", "exit 3")])
        t = self.run_one(td)
        t = self.wait_status(t["taskArn"], CLUSTER, "STOPPED")
        self.assertEqual(t["stopCode"], "EssentialContainerExited")
        self.assertEqual(t["stoppedReason"], "Essential container in task exited")
        self.assertEqual(t["containers"][0]["exitCode"], 3)

    def test_non_essential_exit_keeps_the_task_running(self):
        td = self.register("sidecar", [
            container("main", "sleep 300"),
            container("side", "exit 0", essential=False)])
        t = self.run_one(td)
        arn = t["taskArn"]
        self.wait_status(arn, CLUSTER, "RUNNING")
        side = wait_for(lambda: [c for c in self.task(arn, CLUSTER)["containers"]
                                 if c["name"] == "side"
                                 and c["lastStatus"] == "STOPPED"],
                        what="side container to exit")[0]
        self.assertEqual(side["exitCode"], 0)
        time.sleep(1)
        self.assertEqual(self.task(arn, CLUSTER)["lastStatus"], "RUNNING")

    def test_missing_image_is_cannot_pull(self):
        td = self.register("noimage", [{"name": "main", "memory": 32,
                                        "image": "ecsd-test/does-not-exist:1"}])
        t = self.run_one(td)
        t = self.wait_status(t["taskArn"], CLUSTER, "STOPPED")
        self.assertEqual(t["stopCode"], "TaskFailedToStart")
        self.assertTrue(t["stoppedReason"].startswith("CannotPullContainerError"),
                        t["stoppedReason"])

    def test_docker_kill_from_outside_stops_the_task(self):
        td = self.register("victim", [container("main", "sleep 300")])
        arn = self.run_one(td)["taskArn"]
        t = self.wait_status(arn, CLUSTER, "RUNNING")
        docker("kill", t["containers"][0]["runtimeId"])
        t = self.wait_status(arn, CLUSTER, "STOPPED")
        self.assertEqual(t["containers"][0]["exitCode"], 137)
        self.assertEqual(t["stopCode"], "EssentialContainerExited")

    def test_depends_on_order(self):
        td = self.register("ordered", [
            container("init", "sleep 1; exit 0", essential=False),
            container("app", "sleep 300",
                      dependsOn=[{"containerName": "init",
                                  "condition": "SUCCESS"}]),
            container("watch", "sleep 300", essential=False,
                      dependsOn=[{"containerName": "app",
                                  "condition": "START"}])])
        arn = self.run_one(td)["taskArn"]
        t = self.wait_status(arn, CLUSTER, "RUNNING")
        by = {c["name"]: c for c in t["containers"]}
        init = json.loads(docker("inspect", by["init"]["runtimeId"]))[0]
        app = json.loads(docker("inspect", by["app"]["runtimeId"]))[0]
        self.assertEqual(by["init"]["exitCode"], 0)
        self.assertGreaterEqual(app["State"]["StartedAt"],
                                init["State"]["FinishedAt"])
        wait_for(lambda: [c for c in self.task(arn, CLUSTER)["containers"]
                          if c["name"] == "watch" and c["lastStatus"] == "RUNNING"],
                 what="watch to start after app")

    def test_depends_on_complete_accepts_any_exit_code(self):
        td = self.register("complete", [
            container("job", "exit 5", essential=False),
            container("app", "sleep 300", dependsOn=[
                {"containerName": "job", "condition": "COMPLETE"}])])
        arn = self.run_one(td)["taskArn"]
        t = self.wait_status(arn, CLUSTER, "RUNNING")
        by = {c["name"]: c for c in t["containers"]}
        self.assertEqual(by["job"]["exitCode"], 5)
        job = json.loads(docker("inspect", by["job"]["runtimeId"]))[0]
        app = json.loads(docker("inspect", by["app"]["runtimeId"]))[0]
        self.assertGreaterEqual(app["State"]["StartedAt"],
                                job["State"]["FinishedAt"])

    def test_depends_on_success_failure_fails_the_task(self):
        td = self.register("badinit", [
            container("init", "exit 4", essential=False),
            container("app", "sleep 300",
                      dependsOn=[{"containerName": "init",
                                  "condition": "SUCCESS"}])])
        arn = self.run_one(td)["taskArn"]
        t = self.wait_status(arn, CLUSTER, "STOPPED")
        self.assertEqual(t["stopCode"], "TaskFailedToStart")
        app = [c for c in t["containers"] if c["name"] == "app"][0]
        self.assertNotIn("runtimeId", app)

    def test_health_healthy_and_unhealthy(self):
        td = self.register("health", [
            container("good", "sleep 300", healthCheck={
                "command": ["CMD-SHELL", "true"], "interval": 5,
                "timeout": 2, "retries": 1}),
            container("bad", "sleep 300", essential=False, healthCheck={
                "command": ["CMD-SHELL", "exit 1"], "interval": 5,
                "timeout": 2, "retries": 1})])
        arn = self.run_one(td)["taskArn"]
        self.wait_status(arn, CLUSTER, "RUNNING")

        def healths():
            t = self.task(arn, CLUSTER)
            h = {c["name"]: c.get("healthStatus") for c in t["containers"]}
            if h.get("good") == "HEALTHY" and h.get("bad") == "UNHEALTHY":
                return t
        t = wait_for(healths, timeout=40, what="health checks")
        self.assertEqual(t["healthStatus"], "HEALTHY")

    def test_healthy_dependency(self):
        td = self.register("healthdep", [
            container("db", "sleep 300", healthCheck={
                "command": ["CMD-SHELL", "true"], "interval": 5,
                "timeout": 2, "retries": 1}),
            container("app", "sleep 300", dependsOn=[
                {"containerName": "db", "condition": "HEALTHY"}])])
        arn = self.run_one(td)["taskArn"]
        t = self.wait_status(arn, CLUSTER, "RUNNING", timeout=60)
        by = {c["name"]: c for c in t["containers"]}
        self.assertEqual(by["db"]["healthStatus"], "HEALTHY")

    def test_stop_timeout_is_honoured(self):
        td = self.register("stubborn", [container(
            "main", "trap '' TERM; sleep 300 & wait; sleep 300", stopTimeout=2)])
        arn = self.run_one(td)["taskArn"]
        self.wait_status(arn, CLUSTER, "RUNNING")
        start = time.time()
        self.ecs.stop_task(cluster=CLUSTER, task=arn)
        t = self.wait_status(arn, CLUSTER, "STOPPED")
        self.assertGreaterEqual(time.time() - start, 1.5)
        self.assertEqual(t["containers"][0]["exitCode"], 137)
        self.assertEqual(t["stoppedReason"], "Task stopped by user")

    def test_awsvpc_containers_share_localhost(self):
        td = self.register("vpc", [
            container("web", "httpd -f -p 8080 -h /www",
                      portMappings=[{"containerPort": 8080, "hostPort": 8080}]),
            container("probe",
                      "i=0; while test $i -lt 50; do wget -q -O /dev/null "
                      "http://127.0.0.1:8080/ && exit 0; sleep 0.2; "
                      "i=$((i+1)); done; exit 1",
                      essential=False, dependsOn=[
                          {"containerName": "web", "condition": "START"}])],
            networkMode="awsvpc")
        arn = self.run_one(td, networkConfiguration={"awsvpcConfiguration": {
            "subnets": ["subnet-12345678"]}})["taskArn"]
        self.wait_status(arn, CLUSTER, "RUNNING")
        probe = wait_for(lambda: [c for c in self.task(arn, CLUSTER)["containers"]
                                  if c["name"] == "probe"
                                  and c["lastStatus"] == "STOPPED"],
                         what="probe to finish")[0]
        self.assertEqual(probe["exitCode"], 0)
        t = self.task(arn, CLUSTER)
        eni = [a for a in t["attachments"] if a["type"] == "ElasticNetworkInterface"][0]
        details = {d["name"]: d["value"] for d in eni["details"]}
        self.assertTrue(details["privateIPv4Address"])
        self.assertEqual(t["containers"][0]["networkInterfaces"][0]
                         ["privateIpv4Address"], details["privateIPv4Address"])

    def test_waiters_through_boto3_and_reset_removes_containers(self):
        td = self.register("waiter", [container("main", "sleep 300")])
        out = self.ecs.run_task(cluster=CLUSTER, taskDefinition=td, count=3)
        arns = [t["taskArn"] for t in out["tasks"]]
        self.ecs.get_waiter("tasks_running").wait(
            cluster=CLUSTER, tasks=arns, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        self.assertEqual(len(ecsd.owned_containers(self.d)), 3)
        self.d.reset()
        wait_for(lambda: not ecsd.owned_containers(self.d), timeout=60,
                 what="reset to remove every container")
