"""Services keep their promise with real containers: scaling 0 -> 4 -> 1 -> 0
through aws-cli, a task killed with `docker kill` is replaced, rolling updates
stay inside the minimumHealthyPercent / maximumPercent window (health-gated),
the circuit breaker trips on a missing image with and without rollback, the
start back-off, DAEMON services, the services-stable and services-inactive
waiters, DeleteService rules, service deployments as Terraform polls them, tag
propagation, placement failures as events, task scale-in protection.
Every test leaves no container.
"""
import json
import os
import tempfile
import time

import ecsd
from ecsd import TEST_IMAGE, docker, wait_for

CLUSTER = "app01"
# busybox sh as PID 1 ignores SIGTERM unless trapped: stop promptly
LOOP = "trap 'exit 0' TERM; while true; do sleep 1; done"
BREAKER_REASON = "ECS deployment circuit breaker: tasks failed to start."


def container(name="app", command=LOOP, **kw):
    c = {"name": name, "image": TEST_IMAGE, "memory": 32,
         "command": ["sh", "-c", command]}
    c.update(kw)
    return c


class ServiceCase(ecsd.DockerTestCase):
    def setUp(self):
        super().setUp()
        self.ecs.create_cluster(clusterName=CLUSTER)

    def register(self, family, *containers, **kw):
        return self.ecs.register_task_definition(
            family=family, containerDefinitions=list(containers) or
            [container()], **kw)["taskDefinition"]["taskDefinitionArn"]

    def svc(self, name):
        out = self.ecs.describe_services(cluster=CLUSTER, services=[name],
                                         include=["TAGS"])
        self.assertEqual(out["failures"], [])
        return out["services"][0]

    def wait_svc(self, name, pred, timeout=90, what="service"):
        seen = {}

        def check():
            s = seen["s"] = self.svc(name)
            return s if pred(s) else None
        try:
            return wait_for(check, timeout=timeout, interval=0.3, what=what)
        except AssertionError:
            s = seen.get("s", {})
            raise AssertionError("%s: running %s pending %s deployments %s "
                                 "events %s" % (
                                     what, s.get("runningCount"),
                                     s.get("pendingCount"),
                                     [(d["status"], d["rolloutState"],
                                       d["runningCount"], d["failedTasks"])
                                      for d in s.get("deployments", [])],
                                     [e["message"] for e in
                                      s.get("events", [])][:5]))

    def stable(self, name, timeout=90):
        return self.wait_svc(
            name, lambda s: len(s["deployments"]) == 1 and
            s["deployments"][0]["rolloutState"] == "COMPLETED" and
            s["runningCount"] == s["desiredCount"] and
            s["pendingCount"] == 0, timeout, "%s stable" % name)

    def tasks(self, name, status="RUNNING"):
        arns = self.ecs.list_tasks(cluster=CLUSTER, serviceName=name,
                                   desiredStatus=status)["taskArns"]
        if not arns:
            return []
        return self.ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"]

    def events(self, name):
        return [e["message"] for e in self.svc(name)["events"]]

    def cleanup_service(self, name):
        self.ecs.delete_service(cluster=CLUSTER, service=name, force=True)
        self.wait_svc(name, lambda s: s["status"] == "INACTIVE", 90,
                      "%s INACTIVE" % name)


class Scaling(ServiceCase):
    def test_scale_0_4_1_0_through_aws_cli(self):
        self.register("location")
        out = self.d.aws("ecs", "create-service", "--cluster", CLUSTER,
                         "--service-name", "location", "--task-definition",
                         "location", "--desired-count", "0")
        svc = out["service"]
        self.assertEqual(svc["status"], "ACTIVE")
        dep = svc["deployments"][0]["id"]
        self.assertRegex(dep, r"^ecs-svc/\d{19}$")
        self.stable("location")

        self.d.aws("ecs", "update-service", "--cluster", CLUSTER, "--service",
                   "location", "--desired-count", "4")
        s = self.stable("location")
        self.assertEqual(s["runningCount"], 4)
        self.assertEqual(s["deployments"][0]["id"], dep)  # no new deployment
        tasks = self.tasks("location")
        self.assertEqual(len(tasks), 4)
        for t in tasks:
            self.assertEqual(t["startedBy"], dep)
            self.assertEqual(t["group"], "service:location")
            self.assertEqual(t["lastStatus"], "RUNNING")
        ids = sorted(t["taskArn"].split("/")[-1] for t in tasks)
        started = [e for e in self.events("location") if "has started" in e]
        self.assertTrue(any(e.startswith("(service location) has started 4 "
                                         "tasks: (task ") for e in started),
                        started)
        listed = self.d.aws("ecs", "list-tasks", "--cluster", CLUSTER,
                            "--service-name", "location")["taskArns"]
        self.assertEqual(len(listed), 4)
        clusters = self.ecs.describe_clusters(clusters=[CLUSTER])["clusters"]
        self.assertEqual(clusters[0]["activeServicesCount"], 1)

        self.d.aws("ecs", "update-service", "--cluster", CLUSTER, "--service",
                   "location", "--desired-count", "1")
        s = self.wait_svc("location", lambda s: s["runningCount"] == 1 and
                          len(self.tasks("location")) == 1, what="scaled to 1")
        stopped = [t for t in self.tasks("location", "STOPPED")]
        self.assertEqual(len(stopped), 3)
        for t in stopped:
            self.assertEqual(t["stopCode"], "ServiceSchedulerInitiated")
            self.assertEqual(t["stoppedReason"],
                             "Scaling activity initiated by (deployment %s)"
                             % dep)
            self.assertIn(t["taskArn"].split("/")[-1], ids)
        msgs = self.events("location")
        self.assertTrue(any(m.startswith("(service location) has stopped 3 "
                                         "running tasks: (task ")
                            for m in msgs), msgs)

        self.d.aws("ecs", "update-service", "--cluster", CLUSTER, "--service",
                   "location", "--desired-count", "0")
        self.wait_svc("location", lambda s: s["runningCount"] == 0 and
                      s["pendingCount"] == 0 and not self.tasks("location"),
                      what="scaled to 0")
        self.wait_svc("location", lambda s: s["events"][0]["message"] ==
                      "(service location) has reached a steady state.",
                      what="steady state once the tasks are gone")
        self.d.aws("ecs", "delete-service", "--cluster", CLUSTER,
                   "--service", "location")
        self.d.aws("ecs", "wait", "services-inactive", "--cluster", CLUSTER,
                   "--services", "location")
        wait_for(lambda: not [c for c in ecsd.owned_containers(self.d)
                              if docker("inspect", "-f", "{{.State.Running}}",
                                        c) == "true"],
                 timeout=30, what="no running container")

    def test_docker_kill_is_replaced(self):
        self.register("web")
        self.ecs.create_service(cluster=CLUSTER, serviceName="web",
                                taskDefinition="web", desiredCount=2)
        self.stable("web")
        victim = self.tasks("web")[0]
        docker("kill", victim["containers"][0]["runtimeId"])
        arn = victim["taskArn"]
        t = self.wait_status(arn, CLUSTER, "STOPPED")
        self.assertEqual(t["stopCode"], "EssentialContainerExited")

        def replaced():
            running = self.tasks("web")
            return len(running) == 2 and arn not in [x["taskArn"]
                                                     for x in running]
        wait_for(replaced, timeout=60, what="a replacement task")
        s = self.stable("web")
        self.assertEqual(s["runningCount"], 2)
        started = [e for e in s["events"] if "has started 1 tasks" in e["message"]]
        self.assertTrue(started, [e["message"] for e in s["events"]])
        self.cleanup_service("web")


class Protection(ServiceCase):
    def test_protected_task_survives_scale_in_and_deployment(self):
        self.register("worker")
        self.ecs.create_service(cluster=CLUSTER, serviceName="worker",
                                taskDefinition="worker", desiredCount=2)
        self.stable("worker")
        keep, other = sorted(self.tasks("worker"),
                             key=lambda t: t["createdAt"], reverse=True)
        kid = keep["taskArn"].split("/")[-1]
        out = self.d.aws("ecs", "update-task-protection", "--cluster",
                         CLUSTER, "--tasks", kid, "--protection-enabled",
                         "--expires-in-minutes", "30")
        self.assertEqual(out["failures"], [])
        p = out["protectedTasks"][0]
        self.assertEqual(p["taskArn"], keep["taskArn"])
        self.assertTrue(p["protectionEnabled"])
        got = self.ecs.get_task_protection(
            cluster=CLUSTER, tasks=[keep["taskArn"], other["taskArn"]])
        self.assertEqual([t["protectionEnabled"]
                          for t in got["protectedTasks"]], [True, False])
        self.assertIn("expirationDate", got["protectedTasks"][0])

        # scale-in takes the unprotected task, though the newest is
        # protected
        self.ecs.update_service(cluster=CLUSTER, service="worker",
                                desiredCount=1)
        self.stable("worker")
        self.assertEqual([t["taskArn"] for t in self.tasks("worker")],
                         [keep["taskArn"]])
        self.wait_status(other["taskArn"], CLUSTER, "STOPPED")

        # a new revision: the protected task keeps running, the deployment
        # waits for it, with an event
        self.register("worker", container(environment=[
            {"name": "V", "value": "2"}]))
        self.ecs.update_service(cluster=CLUSTER, service="worker",
                                taskDefinition="worker:2")
        self.wait_svc("worker", lambda s: any(
            "was unable to scale in: 1 of its tasks are protected" in e[
                "message"] for e in s["events"]) and s["runningCount"] == 2,
            what="the deployment held by the protected task")
        s = self.svc("worker")
        self.assertEqual(len(s["deployments"]), 2)
        self.assertEqual(s["deployments"][0]["rolloutState"], "IN_PROGRESS")
        running = docker("inspect", "-f", "{{.State.Running}}",
                         keep["containers"][0]["runtimeId"])
        self.assertEqual(running, "true")

        # protection cleared: the deployment completes
        out = self.d.aws("ecs", "update-task-protection", "--cluster",
                         CLUSTER, "--tasks", kid, "--no-protection-enabled")
        self.assertFalse(out["protectedTasks"][0]["protectionEnabled"])
        s = self.stable("worker")
        self.assertTrue(s["taskDefinition"].endswith("worker:2"))
        t = self.wait_status(keep["taskArn"], CLUSTER, "STOPPED")
        self.assertEqual(t["stopCode"], "ServiceSchedulerInitiated")

        # a standalone task cannot be protected
        run = self.ecs.run_task(cluster=CLUSTER, taskDefinition="worker:1")
        arn = run["tasks"][0]["taskArn"]
        out = self.ecs.update_task_protection(cluster=CLUSTER, tasks=[arn],
                                              protectionEnabled=True)
        self.assertEqual(out["protectedTasks"], [])
        self.assertEqual(out["failures"][0]["reason"], "TASK_NOT_VALID")
        self.ecs.stop_task(cluster=CLUSTER, task=arn)
        self.cleanup_service("worker")

    def test_lookalike_run_task_is_not_the_services(self):
        # a RunTask may give any group and startedBy; only the scheduler
        # makes a task its service's
        self.register("web")
        self.ecs.create_service(cluster=CLUSTER, serviceName="web",
                                taskDefinition="web", desiredCount=1)
        self.stable("web")
        out = self.d.aws("ecs", "run-task", "--cluster", CLUSTER,
                         "--task-definition", "web", "--group", "service:web",
                         "--started-by", "ecs-svc/1")
        arn = out["tasks"][0]["taskArn"]
        self.wait_status(arn, CLUSTER, "RUNNING")
        listed = self.ecs.list_tasks(cluster=CLUSTER,
                                     serviceName="web")["taskArns"]
        self.assertEqual(len(listed), 1)
        self.assertNotIn(arn, listed)
        time.sleep(2)     # past a reconcile of the service
        s = self.stable("web")
        self.assertEqual(s["runningCount"], 1)
        self.assertEqual(self.task(arn, CLUSTER)["desiredStatus"], "RUNNING")
        self.ecs.stop_task(cluster=CLUSTER, task=arn)
        self.cleanup_service("web")


class Rolling(ServiceCase):
    def sample_rollout(self, name, desired, min_pct, max_pct, td_arn):
        low = -(-desired * min_pct // 100)
        high = desired * max_pct // 100
        samples = []
        deadline = time.time() + 150
        while time.time() < deadline:
            s = self.svc(name)
            samples.append((s["runningCount"], s["pendingCount"]))
            # never fewer healthy tasks than the minimum, never more than
            # the maximum in all
            self.assertGreaterEqual(s["runningCount"], low, samples[-20:])
            self.assertLessEqual(s["runningCount"] + s["pendingCount"], high,
                                 samples[-20:])
            if (len(s["deployments"]) == 1 and
                    s["deployments"][0]["rolloutState"] == "COMPLETED" and
                    s["deployments"][0]["taskDefinition"] == td_arn and
                    s["runningCount"] == desired):
                return s, samples
            time.sleep(0.2)
        raise AssertionError("rollout did not finish: %s" % samples[-20:])

    def test_seed_tutorial_rolling_update_stays_in_window(self):
        self.register("location")
        self.d.aws("ecs", "create-service", "--cluster", CLUSTER,
                   "--service-name", "location", "--task-definition",
                   "location", "--desired-count", "4",
                   "--deployment-configuration",
                   "maximumPercent=200,minimumHealthyPercent=50")
        s = self.stable("location")
        self.assertEqual(s["runningCount"], 4)
        with tempfile.NamedTemporaryFile("w", suffix=".json",
                                         delete=False) as f:
            json.dump({"family": "location", "containerDefinitions": [
                container(environment=[{"name": "V", "value": "2"}])]}, f)
        v2 = self.d.aws("ecs", "register-task-definition", "--cli-input-json",
                        "file://" + f.name)["taskDefinition"]
        os.unlink(f.name)
        self.assertEqual(v2["revision"], 2)
        out = self.d.aws("ecs", "update-service", "--cluster", CLUSTER,
                         "--service", "location", "--task-definition",
                         "location:2")
        deps = out["service"]["deployments"]
        self.assertEqual([d["status"] for d in deps], ["PRIMARY", "ACTIVE"])
        s, samples = self.sample_rollout("location", 4, 50, 200,
                                         v2["taskDefinitionArn"])
        self.assertGreater(len(samples), 3)
        self.d.aws("ecs", "wait", "services-stable", "--cluster", CLUSTER,
                   "--services", "location")
        for t in self.tasks("location"):
            self.assertEqual(t["taskDefinitionArn"], v2["taskDefinitionArn"])
            self.assertEqual(t["startedBy"], deps[0]["id"])
        msgs = self.events("location")
        self.assertIn("(service location) (deployment %s) deployment "
                      "completed." % deps[0]["id"], msgs)
        # the service deployment Terraform would poll
        sds = self.ecs.list_service_deployments(
            cluster=CLUSTER, service="location")["serviceDeployments"]
        self.assertEqual(sds[0]["status"], "SUCCESSFUL")
        self.assertTrue(sds[0]["targetServiceRevisionArn"].endswith(
            deps[0]["id"].split("/")[1]))
        sd = self.ecs.describe_service_deployments(
            serviceDeploymentArns=[sds[0]["serviceDeploymentArn"]])[
            "serviceDeployments"][0]
        self.assertEqual(sd["sourceServiceRevisions"][0]["arn"],
                         sds[1]["targetServiceRevisionArn"])
        self.assertEqual(sd["targetServiceRevision"]["runningTaskCount"], 4)
        self.assertIn("finishedAt", sd)
        self.cleanup_service("location")

    def test_health_gated_update_keeps_all_healthy(self):
        # the new revision becomes healthy only after a few seconds: with
        # minimumHealthyPercent 100 no old task may stop before that
        self.register("hc")
        self.ecs.create_service(cluster=CLUSTER, serviceName="hc",
                                taskDefinition="hc", desiredCount=2)
        self.stable("hc")
        v2 = self.register("hc", container(
            command="sleep 3; touch /tmp/ok; " + LOOP,
            healthCheck={"command": ["CMD-SHELL", "test -f /tmp/ok"],
                         "interval": 5, "timeout": 2, "retries": 1}))
        self.ecs.update_service(cluster=CLUSTER, service="hc",
                                taskDefinition=v2)
        deadline = time.time() + 120
        while time.time() < deadline:
            tasks = self.tasks("hc")
            healthy = [t for t in tasks if t["lastStatus"] == "RUNNING" and
                       (t["taskDefinitionArn"] != v2 or
                        t["healthStatus"] == "HEALTHY")]
            self.assertGreaterEqual(len(healthy), 2,
                                    [(t["taskDefinitionArn"], t["lastStatus"],
                                      t["healthStatus"]) for t in tasks])
            s = self.svc("hc")
            if (len(s["deployments"]) == 1 and
                    s["deployments"][0]["rolloutState"] == "COMPLETED"):
                break
            time.sleep(0.3)
        else:
            self.fail("rollout did not finish")
        self.assertTrue(all(t["taskDefinitionArn"] == v2 and
                            t["healthStatus"] == "HEALTHY"
                            for t in self.tasks("hc")))
        self.cleanup_service("hc")


class CircuitBreaker(ServiceCase):
    def test_missing_image_rolls_back(self):
        good = self.register("cb")
        self.ecs.create_service(
            cluster=CLUSTER, serviceName="cb", taskDefinition=good,
            desiredCount=2, deploymentConfiguration={
                "deploymentCircuitBreaker": {"enable": True, "rollback": True},
                "maximumPercent": 200, "minimumHealthyPercent": 100})
        first = self.stable("cb")["deployments"][0]["id"]
        bad = self.register("cb", container(image="ecsd-test/missing:nope"))
        out = self.ecs.update_service(cluster=CLUSTER, service="cb",
                                      taskDefinition=bad)
        failing = out["service"]["deployments"][0]["id"]
        s = self.wait_svc("cb", lambda s: any(
            d["id"] == failing and d["rolloutState"] == "FAILED"
            for d in s["deployments"]) or not any(
            d["id"] == failing for d in s["deployments"]), 120,
            "the circuit breaker")
        msgs = self.events("cb")
        self.assertIn("(service cb) (deployment %s) deployment failed: tasks "
                      "failed to start." % failing, msgs)
        self.assertIn("(service cb) rolling back to deployment %s." % first,
                      msgs)
        s = self.stable("cb", 120)
        self.assertEqual(s["taskDefinition"], good)
        self.assertNotEqual(s["deployments"][0]["id"], failing)
        # old tasks were kept the whole time (minimum 100%)
        for t in self.tasks("cb"):
            self.assertEqual(t["taskDefinitionArn"], good)
        sds = self.ecs.list_service_deployments(
            cluster=CLUSTER, service="cb")["serviceDeployments"]
        statuses = {d["status"] for d in sds}
        self.assertIn("ROLLBACK_SUCCESSFUL", statuses)
        rolled = [d for d in sds if d["status"] == "ROLLBACK_SUCCESSFUL"][0]
        sd = self.ecs.describe_service_deployments(
            serviceDeploymentArns=[rolled["serviceDeploymentArn"]])[
            "serviceDeployments"][0]
        self.assertEqual(sd["rollback"]["reason"], BREAKER_REASON)
        self.assertEqual(sd["deploymentCircuitBreaker"]["status"], "TRIGGERED")
        self.assertGreaterEqual(sd["deploymentCircuitBreaker"]["failureCount"], 3)
        self.assertEqual(sd["deploymentCircuitBreaker"]["threshold"], 3)
        failed = [t for t in self.tasks("cb", "STOPPED")
                  if t["taskDefinitionArn"] == bad]
        self.assertGreaterEqual(len(failed), 3)
        self.assertTrue(failed[0]["stoppedReason"].startswith(
            "CannotPullContainerError"))
        self.cleanup_service("cb")

    def test_missing_image_without_rollback_fails_and_backs_off(self):
        bad = self.register("nb", container(image="ecsd-test/missing:nope"))
        out = self.ecs.create_service(
            cluster=CLUSTER, serviceName="nb", taskDefinition=bad,
            desiredCount=1, deploymentConfiguration={
                "deploymentCircuitBreaker": {"enable": True,
                                             "rollback": False}})
        dep = out["service"]["deployments"][0]["id"]
        s = self.wait_svc("nb", lambda s: s["deployments"][0]["rolloutState"]
                          == "FAILED", 120, "FAILED rollout")
        d = s["deployments"][0]
        self.assertEqual(d["id"], dep)
        self.assertEqual(d["rolloutStateReason"], BREAKER_REASON)
        self.assertGreaterEqual(d["failedTasks"], 3)
        msgs = self.events("nb")
        self.assertIn("(service nb) is unable to consistently start tasks "
                      "successfully.", msgs)
        sd = self.ecs.list_service_deployments(
            cluster=CLUSTER, service="nb")["serviceDeployments"][0]
        self.assertEqual(sd["status"], "STOPPED")
        self.assertEqual(sd["statusReason"], BREAKER_REASON)
        # backing off: no start for a while
        n = len(self.tasks("nb", "STOPPED"))
        time.sleep(4)
        self.assertLessEqual(len(self.tasks("nb", "STOPPED")), n + 1)
        # a new task definition resets the back-off and runs at once
        good = self.register("nb")
        self.ecs.update_service(cluster=CLUSTER, service="nb",
                                taskDefinition=good)
        s = self.stable("nb", 60)
        self.assertEqual(s["taskDefinition"], good)
        self.cleanup_service("nb")


class Daemon(ServiceCase):
    def test_daemon_one_task_per_active_instance(self):
        self.register("agent")
        out = self.d.aws("ecs", "create-service", "--cluster", CLUSTER,
                         "--service-name", "agent", "--task-definition",
                         "agent", "--scheduling-strategy", "DAEMON")
        self.assertEqual(out["service"]["schedulingStrategy"], "DAEMON")
        s = self.stable("agent")
        self.assertEqual(s["desiredCount"], 1)
        self.assertEqual(s["runningCount"], 1)
        ci = self.ecs.list_container_instances(
            cluster=CLUSTER)["containerInstanceArns"][0]
        self.assertEqual(self.tasks("agent")[0]["containerInstanceArn"], ci)
        # a new revision: the old task goes first (0% / 100%)
        v2 = self.register("agent", container(environment=[
            {"name": "V", "value": "2"}]))
        self.ecs.update_service(cluster=CLUSTER, service="agent",
                                taskDefinition=v2)
        s = self.wait_svc("agent", lambda s: len(s["deployments"]) == 1 and
                          s["deployments"][0]["rolloutState"] == "COMPLETED"
                          and s["runningCount"] == 1, what="daemon update")
        self.assertEqual(self.tasks("agent")[0]["taskDefinitionArn"], v2)
        # none on a DRAINING instance
        self.ecs.update_container_instances_state(
            cluster=CLUSTER, containerInstances=[ci], status="DRAINING")
        self.wait_svc("agent", lambda s: s["desiredCount"] == 0 and
                      s["runningCount"] == 0 and not self.tasks("agent"),
                      what="no task on the draining instance")
        self.ecs.update_container_instances_state(
            cluster=CLUSTER, containerInstances=[ci], status="ACTIVE")
        self.wait_svc("agent", lambda s: s["desiredCount"] == 1 and
                      s["runningCount"] == 1, what="back on the instance")
        self.d.aws("ecs", "delete-service", "--cluster", CLUSTER,
                   "--service", "agent")
        self.wait_svc("agent", lambda s: s["status"] == "INACTIVE",
                      what="INACTIVE")


class Waiters(ServiceCase):
    def test_services_stable_waiters(self):
        self.register("w")
        self.ecs.create_service(cluster=CLUSTER, serviceName="w",
                                taskDefinition="w", desiredCount=2)
        self.ecs.get_waiter("services_stable").wait(
            cluster=CLUSTER, services=["w"],
            WaiterConfig={"Delay": 1, "MaxAttempts": 90})
        self.assertEqual(self.svc("w")["runningCount"], 2)
        # aws-cli's own waiter (polls every 15 s; stable at the first poll)
        self.d.aws("ecs", "wait", "services-stable", "--cluster", CLUSTER,
                   "--services", "w")
        self.ecs.update_service(cluster=CLUSTER, service="w", desiredCount=0)
        self.ecs.delete_service(cluster=CLUSTER, service="w")
        self.ecs.get_waiter("services_inactive").wait(
            cluster=CLUSTER, services=["w"],
            WaiterConfig={"Delay": 1, "MaxAttempts": 90})

    def test_terraform_steady_state_poll(self):
        # what wait_for_steady_state does: ListServiceDeployments after the
        # operation time, the one whose target revision ends in the PRIMARY
        # deployment's number, DescribeServiceDeployments until SUCCESSFUL
        self.register("tf")
        t0 = time.time() - 1
        svc = self.ecs.create_service(
            cluster=CLUSTER, serviceName="tf", taskDefinition="tf",
            desiredCount=2, clientToken="tok", schedulingStrategy="REPLICA",
            availabilityZoneRebalancing="DISABLED",
            capacityProviderStrategy=[], vpcLatticeConfigurations=[],
            deploymentConfiguration={"maximumPercent": 200,
                                     "minimumHealthyPercent": 100})["service"]
        digits = svc["deployments"][0]["id"].split("/")[1]
        deadline = time.time() + 90
        status = None
        while time.time() < deadline:
            sds = self.ecs.list_service_deployments(
                cluster=CLUSTER, service=svc["serviceArn"].split("/")[-1],
                createdAt={"after": t0})["serviceDeployments"]
            mine = [d for d in sds if digits in d["targetServiceRevisionArn"]]
            self.assertEqual(len(mine), 1, sds)
            sd = self.ecs.describe_service_deployments(
                serviceDeploymentArns=[mine[0]["serviceDeploymentArn"]])[
                "serviceDeployments"][0]
            status = sd["status"]
            self.assertIn(status, ("PENDING", "IN_PROGRESS", "SUCCESSFUL"))
            if status == "SUCCESSFUL":
                break
            time.sleep(0.5)
        self.assertEqual(status, "SUCCESSFUL")
        self.assertEqual(self.svc("tf")["runningCount"], 2)
        # destroy: desiredCount 0, then DeleteService without force succeeds
        # while the tasks are still stopping
        self.ecs.update_service(cluster=CLUSTER, service="tf", desiredCount=0)
        out = self.ecs.delete_service(cluster=CLUSTER, service="tf",
                                      force=False)
        self.assertEqual(out["service"]["status"], "DRAINING")
        self.wait_svc("tf", lambda s: s["status"] == "INACTIVE",
                      what="INACTIVE")


class Deleting(ServiceCase):
    def test_delete_rules_with_running_tasks(self):
        self.register("del")
        self.ecs.create_service(cluster=CLUSTER, serviceName="del",
                                taskDefinition="del", desiredCount=2)
        self.stable("del")
        err = self.assertEcsError("InvalidParameterException",
                                  self.ecs.delete_service, cluster=CLUSTER,
                                  service="del")
        self.assertEqual(err["Message"], "The service cannot be stopped while "
                         "it is scaled above 0.")
        rc, _, stderr = self.d.aws("ecs", "delete-service", "--cluster",
                                   CLUSTER, "--service", "del", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("scaled above 0", stderr)
        out = self.d.aws("ecs", "delete-service", "--cluster", CLUSTER,
                         "--service", "del", "--force")
        self.assertEqual(out["service"]["status"], "DRAINING")
        # the name stays taken while DRAINING
        self.assertEcsError("InvalidParameterException",
                            self.ecs.create_service, cluster=CLUSTER,
                            serviceName="del", taskDefinition="del:1",
                            desiredCount=3)
        s = self.wait_svc("del", lambda s: s["status"] == "INACTIVE",
                          what="INACTIVE")
        self.assertEqual(s["runningCount"], 0)
        for t in self.tasks("del", "STOPPED"):
            self.assertEqual(t["lastStatus"], "STOPPED")
            self.assertEqual(t["stopCode"], "ServiceSchedulerInitiated")
        self.assertEqual(self.ecs.list_services(cluster=CLUSTER)["serviceArns"],
                         [])
        self.assertEqual(self.ecs.describe_clusters(clusters=[CLUSTER])[
            "clusters"][0]["activeServicesCount"], 0)
        # INACTIVE: the name can be used again, with a fresh history
        again = self.ecs.create_service(cluster=CLUSTER, serviceName="del",
                                        taskDefinition="del", desiredCount=0)
        self.assertEqual(again["service"]["status"], "ACTIVE")
        self.assertEqual(len(self.ecs.list_service_deployments(
            cluster=CLUSTER, service="del")["serviceDeployments"]), 1)
        self.ecs.delete_service(cluster=CLUSTER, service="del")


class TagsAndPlacement(ServiceCase):
    def test_propagate_tags_and_managed_tags(self):
        td = self.ecs.register_task_definition(
            family="tagged", containerDefinitions=[container()],
            tags=[{"key": "from", "value": "td"}])["taskDefinition"][
            "taskDefinitionArn"]
        self.ecs.create_service(
            cluster=CLUSTER, serviceName="ts", taskDefinition=td,
            desiredCount=1, propagateTags="SERVICE", enableECSManagedTags=True,
            tags=[{"key": "from", "value": "service"}])
        self.ecs.create_service(
            cluster=CLUSTER, serviceName="tt", taskDefinition=td,
            desiredCount=1, propagateTags="TASK_DEFINITION")
        self.stable("ts")
        self.stable("tt")
        t = self.ecs.describe_tasks(cluster=CLUSTER, include=["TAGS"], tasks=[
            self.tasks("ts")[0]["taskArn"]])["tasks"][0]
        tags = {x["key"]: x["value"] for x in t["tags"]}
        self.assertEqual(tags["from"], "service")
        self.assertEqual(tags["aws:ecs:serviceName"], "ts")
        self.assertEqual(tags["aws:ecs:clusterName"], CLUSTER)
        t = self.ecs.describe_tasks(cluster=CLUSTER, include=["TAGS"], tasks=[
            self.tasks("tt")[0]["taskArn"]])["tasks"][0]
        self.assertEqual({x["key"]: x["value"] for x in t["tags"]},
                         {"from": "td"})
        self.cleanup_service("ts")
        self.cleanup_service("tt")

    def test_placement_failure_is_an_event(self):
        self.register("huge", container(memory=100000000))
        self.ecs.create_service(cluster=CLUSTER, serviceName="huge",
                                taskDefinition="huge", desiredCount=1)
        msg = wait_for(lambda: [m for m in self.events("huge")
                                if "was unable to place a task" in m],
                       timeout=30, what="placement event")[0]
        self.assertRegex(msg, r"^\(service huge\) was unable to place a task "
                         r"because no container instance met all of its "
                         r"requirements\. The closest matching "
                         r"\(container-instance [0-9a-f]+\) has insufficient "
                         r"memory available\.")
        s = self.svc("huge")
        self.assertEqual(s["runningCount"], 0)
        self.assertEqual(s["deployments"][0]["rolloutState"], "IN_PROGRESS")
        self.ecs.delete_service(cluster=CLUSTER, service="huge", force=True)
        self.wait_svc("huge", lambda s: s["status"] == "INACTIVE",
                      what="INACTIVE")
