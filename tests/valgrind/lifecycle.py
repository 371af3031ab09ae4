#!/usr/bin/env python3
"""lifecycle.py - a whole daemon lifetime under valgrind, with no leak and no
memory error: `make valgrind`.

ecsd runs under
    valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect
             --error-exitcode=99
and boto3 drives every implemented resource through it: account settings,
clusters, capacity providers, task definitions, tags, container instances,
attributes, tasks as real containers (RunTask of two, StartTask, StopTask, a
task that exits by itself, an awsvpc task with its pause container),
services (a rolling update), task sets, errors and Describe failures. Then
SIGTERM with tasks still running, a second start on the same store (the
scheduler adopts the running containers), StopTask, the admin reset (which
removes every container) and SIGTERM again. Each lifetime must end with exit
status 0 and valgrind's "ERROR SUMMARY: 0 errors".

Ends with the line "N passed, N failed" like every suite.
    ECSD_BUILD=build python3 tests/valgrind/lifecycle.py
"""
import os
import re
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

import ecsd  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from ecsd import TEST_IMAGE, owned_containers, wait_for  # noqa: E402

VALGRIND = ["valgrind", "--leak-check=full", "--show-leak-kinds=definite,indirect",
            "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99",
            "--num-callers=30"]
LOOP = "trap 'exit 0' TERM; while true; do sleep 1; done"
ACCOUNT = "000000000000"
SLOW = 120    # seconds for anything the scheduler does, under valgrind


class ValgrindDaemon(ecsd.Daemon):
    """The fixture's daemon, started under valgrind with its own log."""

    lives = 0

    def start(self, timeout=90):
        self.lives += 1
        self.vg_log = os.path.join(self.data_dir, "valgrind.%d.log" % self.lives)
        self.port = self.port or ecsd.free_port()
        cmd = VALGRIND + ["--log-file=" + self.vg_log, ecsd.BINARY,
                          "--port", str(self.port), "--data-dir", self.data_dir,
                          "--log-level", "debug", "--check-output",
                          "--reconcile-interval", "1000"]
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=log,
                                     stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("ecsd under valgrind exited with %s:\n%s" %
                                   (self.proc.returncode, self.log_tail()))
            try:
                self.admin("GET", "health")
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("ecsd under valgrind did not answer in %ss" % timeout)

    def stop(self, sig=None, timeout=120):
        import signal
        return super().stop(sig or signal.SIGTERM, timeout)

    def verdict(self):
        """(exit status, valgrind's summary lines, the report if unclean)."""
        with open(self.vg_log, errors="replace") as f:
            text = f.read()
        summary = [line for line in text.splitlines()
                   if "ERROR SUMMARY" in line or "definitely lost" in line or
                   "indirectly lost" in line]
        return text, summary


def container(name="app", command=LOOP, **kw):
    c = {"name": name, "image": TEST_IMAGE, "memory": 32,
         "command": ["sh", "-c", command]}
    c.update(kw)
    return c


class Lifecycle(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        ecsd.ensure_test_image()
        cls.d = ValgrindDaemon()

    @classmethod
    def tearDownClass(cls):
        d = cls.d
        if d.proc is not None:
            try:
                d.reset()
                wait_for(lambda: not owned_containers(d), timeout=SLOW,
                         what="containers removed")
            except Exception as e:  # noqa: BLE001 - best effort
                print("cleanup: %s" % e)
        d.stop()
        if os.environ.get("ECSD_KEEP_DATA") != "1":
            import shutil
            shutil.rmtree(d.data_dir, ignore_errors=True)

    def ecs(self, region="us-east-1"):
        return self.d.boto3(region)

    def assertClean(self, rc):
        text, summary = self.d.verdict()
        report = "\n".join(text.splitlines()[-200:])
        self.assertEqual(rc, 0, "ecsd exited with %s under valgrind:\n%s\n%s" %
                         (rc, report, self.d.log_tail()))
        self.assertTrue(any(re.search(r"ERROR SUMMARY: 0 errors", s)
                            for s in summary), report)
        print("  valgrind: %s" % "; ".join(s.split("== ", 1)[-1]
                                            for s in summary))

    def wait_task(self, ecs, cluster, arn, status):
        def check():
            t = ecs.describe_tasks(cluster=cluster, tasks=[arn])["tasks"][0]
            return t if t["lastStatus"] == status else None
        return wait_for(check, timeout=SLOW, interval=0.5,
                        what="task %s %s" % (arn, status))

    def maybe(self, fn, *args, **kw):
        """Calls an operation that another part may not implement yet."""
        try:
            return fn(*args, **kw)
        except ClientError as e:
            if e.response["Error"]["Code"] == "UnsupportedFeatureException":
                return None
            raise

    # -- the first lifetime: every resource, real tasks ------------------------

    def test_1_every_resource_then_sigterm(self):
        d = self.d.start()
        ecs = self.ecs()
        # account settings
        ecs.put_account_setting_default(name="containerInsights", value="enabled")
        ecs.put_account_setting(name="awsvpcTrunking", value="enabled")
        ecs.list_account_settings(effectiveSettings=True)
        ecs.delete_account_setting(name="awsvpcTrunking")
        # clusters
        ecs.create_cluster(clusterName="vg", tags=[{"key": "a", "value": "b"}],
                           settings=[{"name": "containerInsights",
                                      "value": "disabled"}])
        ecs.create_cluster(clusterName="other")
        self.ecs("eu-west-1").create_cluster(clusterName="vg")
        ecs.describe_clusters(clusters=["vg", "other", "missing",
                                        "arn:aws:ecs:us-east-1:%s:cluster/x" % ACCOUNT],
                              include=["ATTACHMENTS", "CONFIGURATIONS",
                                       "SETTINGS", "STATISTICS", "TAGS"])
        ecs.list_clusters(maxResults=1)
        ecs.update_cluster(cluster="other", settings=[
            {"name": "containerInsights", "value": "enabled"}])
        ecs.update_cluster_settings(cluster="other", settings=[
            {"name": "containerInsights", "value": "disabled"}])
        # capacity providers
        ecs.create_capacity_provider(name="cp", autoScalingGroupProvider={
            "autoScalingGroupArn": "arn:aws:autoscaling:us-east-1:%s:"
            "autoScalingGroup:0b9e1f5c-1a2b-4c3d-8e9f-0a1b2c3d4e5f:"
            "autoScalingGroupName/asg" % ACCOUNT})
        ecs.describe_capacity_providers()
        ecs.update_capacity_provider(name="cp", autoScalingGroupProvider={
            "managedScaling": {"status": "ENABLED", "targetCapacity": 90}})
        ecs.put_cluster_capacity_providers(
            cluster="other", capacityProviders=["FARGATE", "cp"],
            defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE",
                                              "weight": 1}])
        ecs.put_cluster_capacity_providers(cluster="other", capacityProviders=[],
                                           defaultCapacityProviderStrategy=[])
        ecs.delete_capacity_provider(capacityProvider="cp")
        # task definitions
        full = ecs.register_task_definition(
            family="vg", tags=[{"key": "t", "value": "1"}],
            volumes=[{"name": "scratch"}],
            containerDefinitions=[
                container("app", portMappings=[{"containerPort": 8080,
                                                "hostPort": 0}],
                          environment=[{"name": "A", "value": "1"}],
                          mountPoints=[{"sourceVolume": "scratch",
                                        "containerPath": "/scratch"}],
                          healthCheck={"command": ["CMD-SHELL", "true"],
                                       "interval": 5, "retries": 3},
                          dependsOn=[{"containerName": "init",
                                      "condition": "SUCCESS"}]),
                container("init", command="exit 0", essential=False)])
        td1 = full["taskDefinition"]["taskDefinitionArn"]
        td2 = ecs.register_task_definition(
            family="vg", containerDefinitions=[container()])[
                "taskDefinition"]["taskDefinitionArn"]
        vpc = ecs.register_task_definition(
            family="vpc", networkMode="awsvpc",
            containerDefinitions=[container()])["taskDefinition"]["taskDefinitionArn"]
        exits = ecs.register_task_definition(
            family="exits", containerDefinitions=[container(command="exit 3")])[
                "taskDefinition"]["taskDefinitionArn"]
        ecs.describe_task_definition(taskDefinition="vg:1", include=["TAGS"])
        ecs.list_task_definitions(familyPrefix="vg", maxResults=1)
        ecs.list_task_definition_families(status="ALL")
        gone = ecs.register_task_definition(
            family="gone", containerDefinitions=[container()])[
                "taskDefinition"]["taskDefinitionArn"]
        ecs.deregister_task_definition(taskDefinition=gone)
        ecs.delete_task_definitions(taskDefinitions=[gone, "nope:1"])
        # tags
        cl = "arn:aws:ecs:us-east-1:%s:cluster/vg" % ACCOUNT
        ecs.tag_resource(resourceArn=cl, tags=[{"key": "k%d" % i, "value": "v"}
                                               for i in range(10)])
        ecs.untag_resource(resourceArn=cl, tagKeys=["k1", "k2"])
        ecs.list_tags_for_resource(resourceArn=td1)
        # container instances and attributes
        cis = ecs.list_container_instances(cluster="vg")["containerInstanceArns"]
        ecs.describe_container_instances(cluster="vg", containerInstances=cis +
                                         ["0123456789abcdef0123456789abcdef"],
                                         include=["TAGS"])
        ext = ecs.register_container_instance(
            cluster="other", totalResources=[
                {"name": "CPU", "type": "INTEGER", "integerValue": 1024},
                {"name": "MEMORY", "type": "INTEGER", "integerValue": 2048}],
            attributes=[{"name": "zone", "value": "a"}])["containerInstance"]
        ecs.update_container_instances_state(
            cluster="other", containerInstances=[ext["containerInstanceArn"]],
            status="DRAINING")
        ecs.put_attributes(cluster="vg", attributes=[
            {"name": "stack", "value": "blue", "targetId": cis[0]}])
        ecs.list_attributes(cluster="vg", targetType="container-instance")
        ecs.delete_attributes(cluster="vg", attributes=[
            {"name": "stack", "targetId": cis[0]}])
        ecs.deregister_container_instance(
            cluster="other", containerInstance=ext["containerInstanceArn"],
            force=True)
        # errors on the way
        for op, body in (("ListClusters", b"{"), ("Nope", b"{}"),
                         ("DescribeTasks", b'{"cluster":"missing","tasks":["x"]}'),
                         ("RunTask", b'{"taskDefinition":"vg:99"}'),
                         ("CreateCluster", b'{"clusterName":"bad name"}')):
            status, _ = d.raw(op, body)
            self.assertEqual(status, 400, op)
        # tasks as real containers
        run = ecs.run_task(cluster="vg", taskDefinition=td2, count=2,
                           startedBy="valgrind", tags=[{"key": "r", "value": "1"}])
        self.assertEqual(run["failures"], [])
        arns = [t["taskArn"] for t in run["tasks"]]
        one = ecs.run_task(cluster="vg", taskDefinition=td1)["tasks"][0]["taskArn"]
        ex = ecs.run_task(cluster="vg", taskDefinition=exits)["tasks"][0]["taskArn"]
        av = ecs.run_task(cluster="vg", taskDefinition=vpc, networkConfiguration={
            "awsvpcConfiguration": {"subnets": ["subnet-1"]}})["tasks"][0]["taskArn"]
        st = ecs.start_task(cluster="vg", taskDefinition=td2,
                            containerInstances=cis)["tasks"][0]["taskArn"]
        for a in arns + [one, av, st]:
            self.wait_task(ecs, "vg", a, "RUNNING")
        self.wait_task(ecs, "vg", ex, "STOPPED")
        ecs.describe_tasks(cluster="vg", tasks=arns + [ex, "nope"], include=["TAGS"])
        ecs.list_tasks(cluster="vg", startedBy="valgrind")
        ecs.list_tasks(cluster="vg", desiredStatus="STOPPED")
        ecs.stop_task(cluster="vg", task=arns[0], reason="valgrind")
        self.wait_task(ecs, "vg", arns[0], "STOPPED")
        for a in (one, av, st):
            ecs.stop_task(cluster="vg", task=a)
        for a in (one, av, st):
            self.wait_task(ecs, "vg", a, "STOPPED")
        # services: a rolling update, then down to zero and deleted
        svc = self.maybe(ecs.create_service, cluster="vg", serviceName="web",
                         taskDefinition=td2, desiredCount=1,
                         deploymentConfiguration={"maximumPercent": 200,
                                                  "minimumHealthyPercent": 100})
        if svc is not None:
            def running(n):
                s = ecs.describe_services(cluster="vg", services=["web"])[
                    "services"][0]
                return s if (s["runningCount"] == n and
                             len(s["deployments"]) == 1) else None
            wait_for(lambda: running(1), timeout=SLOW, interval=0.5,
                     what="service running 1")
            ecs.update_service(cluster="vg", service="web", taskDefinition=td1)
            wait_for(lambda: running(1), timeout=SLOW, interval=0.5,
                     what="rolling update done")
            ecs.list_services(cluster="vg")
            deps = self.maybe(ecs.list_service_deployments, cluster="vg",
                              service="web")
            if deps and deps.get("serviceDeployments"):
                ecs.describe_service_deployments(serviceDeploymentArns=[
                    x["serviceDeploymentArn"] for x in deps["serviceDeployments"]])
            svcd = ecs.describe_services(cluster="vg", services=["web", "nope"],
                                         include=["TAGS"])["services"][0]
            if svcd.get("deployments"):
                rev = svcd["deployments"][0].get("serviceRevisionArn")
                if rev:
                    self.maybe(ecs.describe_service_revisions,
                               serviceRevisionArns=[rev])
            ecs.update_service(cluster="vg", service="web", desiredCount=0)
            wait_for(lambda: running(0), timeout=SLOW, interval=0.5,
                     what="service scaled to 0")
            ecs.delete_service(cluster="vg", service="web")
        # task sets on an EXTERNAL service
        ext_svc = self.maybe(ecs.create_service, cluster="other",
                             serviceName="ext", desiredCount=0,
                             deploymentController={"type": "EXTERNAL"})
        if ext_svc is not None:
            ts = self.maybe(ecs.create_task_set, cluster="other", service="ext",
                            taskDefinition=td2, scale={"value": 0,
                                                       "unit": "PERCENT"})
            if ts is not None:
                tsa = ts["taskSet"]["taskSetArn"]
                ecs.describe_task_sets(cluster="other", service="ext",
                                       taskSets=[tsa])
                ecs.update_task_set(cluster="other", service="ext", taskSet=tsa,
                                    scale={"value": 0, "unit": "PERCENT"})
                ecs.update_service_primary_task_set(
                    cluster="other", service="ext", primaryTaskSet=tsa)
            ecs.delete_service(cluster="other", service="ext", force=True)
        # Stop with tasks still running: the next start adopts them.
        self.assertEqual(len(owned_containers(d)) >= 1, True)
        self.assertClean(d.stop())

    # -- the second lifetime: the same store, adoption, reset ------------------

    def test_2_restart_adopts_then_reset_and_sigterm(self):
        d = self.d.start()
        ecs = self.ecs()
        running = ecs.list_tasks(cluster="vg", desiredStatus="RUNNING")["taskArns"]
        self.assertEqual(len(running), 1)
        self.wait_task(ecs, "vg", running[0], "RUNNING")
        ecs.stop_task(cluster="vg", task=running[0])
        self.wait_task(ecs, "vg", running[0], "STOPPED")
        again = ecs.run_task(cluster="vg", taskDefinition="vg:2")["tasks"][0][
            "taskArn"]
        self.wait_task(ecs, "vg", again, "RUNNING")
        d.reset()
        wait_for(lambda: not owned_containers(d), timeout=SLOW,
                 what="the reset to remove every container")
        self.assertEqual(ecs.list_clusters()["clusterArns"], [])
        self.assertClean(d.stop())


def main():
    suite = unittest.TestLoader().loadTestsFromTestCase(Lifecycle)
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout,
                                     failfast=True).run(suite)
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
