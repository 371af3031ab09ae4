"""Container instances through boto3 and aws-cli: the local Docker host as
every cluster's instance (resources of this machine, the agent's attributes),
filters in the cluster query language, DRAINING, instances registered by the
caller, deregistration. Assertions hold whether or not tasks ever run."""
import os
import re

import ecsd

CLUSTER = "fleet"
INSTANCE_ARN = re.compile(
    r"^arn:aws:ecs:us-east-1:\d{12}:container-instance/fleet/[0-9a-f]{32}$")


def mem_total_mib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    return 0


def resource(ci, which, name):
    return [r for r in ci[which] if r["name"] == name][0]


def attrs(ci):
    return {a["name"]: a.get("value") for a in ci["attributes"]}


class ContainerInstances(ecsd.TestCase):
    def setUp(self):
        super().setUp()
        self.ecs.create_cluster(clusterName=CLUSTER)
        self.ecs.register_task_definition(
            family="tiny", containerDefinitions=[{
                "name": "c", "image": "ecsd-test/none:ci", "memory": 16}])
        # the first RunTask registers the local engine if CreateCluster
        # did not already
        self.ecs.run_task(cluster=CLUSTER, taskDefinition="tiny")

    def local(self):
        arns = self.ecs.list_container_instances(
            cluster=CLUSTER)["containerInstanceArns"]
        self.assertEqual(len(arns), 1)
        return arns[0]

    def describe(self, *arns, **kw):
        return self.ecs.describe_container_instances(
            cluster=CLUSTER, containerInstances=list(arns), **kw)

    def test_local_engine_is_the_instance(self):
        arn = self.local()
        self.assertRegex(arn, INSTANCE_ARN)
        out = self.describe(arn, include=["CONTAINER_INSTANCE_HEALTH", "TAGS"])
        self.assertEqual(out["failures"], [])
        ci = out["containerInstances"][0]
        self.assertEqual(ci["containerInstanceArn"], arn)
        self.assertEqual(ci["status"], "ACTIVE")
        self.assertTrue(ci["agentConnected"])
        self.assertEqual(resource(ci, "registeredResources", "CPU")
                         ["integerValue"], os.cpu_count() * 1024)
        self.assertEqual(resource(ci, "registeredResources", "MEMORY")
                         ["integerValue"], mem_total_mib())
        self.assertEqual(sorted(resource(ci, "registeredResources", "PORTS")
                                ["stringSetValue"]),
                         sorted(["22", "2375", "2376", "51678", "51679"]))
        self.assertEqual(resource(ci, "registeredResources", "PORTS_UDP")
                         ["stringSetValue"], [])
        a = attrs(ci)
        self.assertEqual(a["ecs.os-type"], "linux")
        self.assertIn(a["ecs.cpu-architecture"], ("x86_64", "arm64"))
        self.assertIn("ecs.capability.container-health-check", a)
        self.assertIn("com.amazonaws.ecs.capability.docker-remote-api.1.17", a)
        self.assertEqual(ci["healthStatus"]["overallStatus"], "OK")
        self.assertIsInstance(ci["runningTasksCount"], int)
        self.assertIsInstance(ci["pendingTasksCount"], int)
        self.assertNotIn("capacityProviderName", ci)
        # remaining never exceeds registered, and it is reported
        self.assertLessEqual(resource(ci, "remainingResources", "MEMORY")
                             ["integerValue"], mem_total_mib())

        missing = arn.rsplit("/", 1)[0] + "/" + "a" * 32
        out = self.describe(arn.rsplit("/", 1)[1], "a" * 32)
        self.assertEqual(len(out["containerInstances"]), 1)
        self.assertEqual(out["failures"], [{"arn": missing,
                                            "reason": "MISSING"}])
        out = self.d.aws("ecs", "describe-container-instances", "--cluster",
                         CLUSTER, "--container-instances", arn)
        self.assertEqual(out["containerInstances"][0]["containerInstanceArn"],
                         arn)

    def test_filters_in_the_cluster_query_language(self):
        arn = self.local()

        def listed(expr):
            return self.d.aws("ecs", "list-container-instances", "--cluster",
                              CLUSTER, "--filter", expr)["containerInstanceArns"]

        self.assertEqual(listed("attribute:ecs.os-type == linux"), [arn])
        self.assertEqual(listed("attribute:ecs.os-type == windows"), [])
        self.assertEqual(listed("attribute:ecs.cpu-architecture in "
                                "[x86_64, arm64] and agentConnected == true"),
                         [arn])
        self.assertEqual(listed("not(attribute:ecs.os-type exists)"), [])
        status, doc = self.d.raw("ListContainerInstances", {
            "cluster": CLUSTER, "filter": "attribute:ecs.os-type =="})
        self.assertEqual((status, doc["__type"]),
                         (400, "InvalidParameterException"))
        self.assertEcsError("ClusterNotFoundException",
                            self.ecs.list_container_instances, cluster="nope")

    def test_draining_takes_no_new_tasks(self):
        arn = self.local()
        out = self.d.aws("ecs", "update-container-instances-state",
                         "--cluster", CLUSTER, "--container-instances", arn,
                         "--status", "DRAINING")
        self.assertEqual(out["failures"], [])
        self.assertEqual(out["containerInstances"][0]["status"], "DRAINING")
        run = self.ecs.run_task(cluster=CLUSTER, taskDefinition="tiny")
        self.assertEqual(run["tasks"], [])
        self.assertEqual(run["failures"], [{"arn": arn, "reason": "DRAINING"}])
        self.assertEqual(self.ecs.list_container_instances(
            cluster=CLUSTER, status="DRAINING")["containerInstanceArns"], [arn])
        self.assertEqual(self.ecs.list_container_instances(
            cluster=CLUSTER, status="ACTIVE")["containerInstanceArns"], [])

        out = self.ecs.update_container_instances_state(
            cluster=CLUSTER, containerInstances=[arn, "b" * 32],
            status="ACTIVE")
        self.assertEqual(out["containerInstances"][0]["status"], "ACTIVE")
        self.assertEqual(out["failures"][0]["reason"], "MISSING")
        run = self.ecs.run_task(cluster=CLUSTER, taskDefinition="tiny")
        self.assertEqual(len(run["tasks"]), 1)
        status, doc = self.d.raw("UpdateContainerInstancesState", {
            "cluster": CLUSTER, "containerInstances": [arn],
            "status": "REGISTERING"})
        self.assertEqual(doc["__type"], "InvalidParameterException")

    def test_registered_instance_lifecycle(self):
        local = self.local()
        ci = self.ecs.register_container_instance(
            cluster=CLUSTER,
            totalResources=[
                {"name": "CPU", "type": "INTEGER", "integerValue": 2048},
                {"name": "MEMORY", "type": "INTEGER", "integerValue": 3768},
                {"name": "PORTS", "type": "STRINGSET",
                 "stringSetValue": ["22"]}],
            versionInfo={"agentVersion": "1.80.0",
                         "dockerVersion": "DockerVersion: 20.10"},
            attributes=[{"name": "stack", "value": "blue"}],
            tags=[{"key": "owner", "value": "me"}])["containerInstance"]
        arn = ci["containerInstanceArn"]
        self.assertRegex(arn, INSTANCE_ARN)
        self.assertFalse(ci["agentConnected"])
        self.assertEqual(ci["status"], "ACTIVE")
        self.assertEqual(ci["versionInfo"]["agentVersion"], "1.80.0")
        self.assertEqual(resource(ci, "registeredResources", "MEMORY")
                         ["integerValue"], 3768)
        self.assertEqual(attrs(ci)["stack"], "blue")
        self.assertEqual(self.ecs.list_container_instances(
            cluster=CLUSTER, filter="attribute:stack == blue")
            ["containerInstanceArns"], [arn])
        self.assertEqual(sorted(self.ecs.list_container_instances(
            cluster=CLUSTER)["containerInstanceArns"]), sorted([arn, local]))
        d = self.describe(arn, include=["TAGS"])["containerInstances"][0]
        self.assertEqual(d["tags"], [{"key": "owner", "value": "me"}])

        # no agent of ecsd's runs there: it takes no tasks
        out = self.ecs.start_task(cluster=CLUSTER, taskDefinition="tiny",
                                  containerInstances=[arn])
        self.assertEqual(out["tasks"], [])
        self.assertEqual(out["failures"], [{"arn": arn, "reason": "AGENT"}])

        out = self.d.aws("ecs", "deregister-container-instance", "--cluster",
                         CLUSTER, "--container-instance", arn)
        self.assertEqual(out["containerInstance"]["status"], "INACTIVE")
        d = self.describe(arn)["containerInstances"][0]
        self.assertEqual(d["status"], "INACTIVE")
        self.assertEqual(self.ecs.list_container_instances(
            cluster=CLUSTER)["containerInstanceArns"], [local])
        err = self.assertEcsError(
            "InvalidParameterException",
            self.ecs.deregister_container_instance, cluster=CLUSTER,
            containerInstance="c" * 32)
        self.assertIn("not found", err["Message"])

    def test_force_deregistering_the_local_engine(self):
        local = self.local()
        out = self.ecs.deregister_container_instance(
            cluster=CLUSTER, containerInstance=local, force=True)
        self.assertEqual(out["containerInstance"]["status"], "INACTIVE")
        # what ran there was told to stop
        arns = self.ecs.list_tasks(cluster=CLUSTER,
                                   containerInstance=local)["taskArns"]
        self.assertEqual(arns, [])
        # the engine registers again, as an agent that restarts does
        t = self.ecs.run_task(cluster=CLUSTER, taskDefinition="tiny")["tasks"]
        self.assertEqual(len(t), 1)
        self.assertNotEqual(t[0]["containerInstanceArn"], local)
        self.assertEqual(self.local(), t[0]["containerInstanceArn"])
