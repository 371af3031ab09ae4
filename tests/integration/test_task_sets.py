"""Task sets of a service run by the EXTERNAL deployment controller, and
ListServicesByNamespace, against a real daemon with real containers,
through boto3 and aws-cli:

- a blue/green hand-over the way an external controller does it: a task set
  at 100 % runs desiredCount tasks (startedBy = the task set id, group
  service:<name>) and turns STEADY_STATE, becomes PRIMARY (the service shows
  its task definition), a green task set comes up beside it, takes PRIMARY,
  the blue one scales to 0 and is deleted (DRAINING, then gone, its tasks
  stopped by the scheduler);
- the errors ECS gives (not EXTERNAL, unknown or malformed task sets,
  missing cluster or service, the five-task-set limit, delete without
  force), and Describe's MISSING failures;
- the same operations through aws-cli;
- services listed by their Service Connect namespace across clusters."""
import ecsd
from ecsd import TEST_IMAGE, docker, wait_for

CLUSTER = "ts-cluster"
SERVICE = "ext"


def running_containers(d):
    """Ids of this daemon's containers that are running (stopped tasks'
    containers stay until the scheduler's clean-up removes them)."""
    owner = d.admin("GET", "info")["owner"]
    out = docker("ps", "-q", "--no-trunc", "--filter",
                 "label=ecsd.owner=%s" % owner)
    return [line for line in out.splitlines() if line]


class TaskSets(ecsd.DockerTestCase):
    def setUp(self):
        super().setUp()
        self.ecs.create_cluster(clusterName=CLUSTER)
        self.td = {}
        for tag in ("blue", "green"):
            self.td[tag] = self.ecs.register_task_definition(
                family="ts-" + tag, containerDefinitions=[{
                    "name": "app", "image": TEST_IMAGE, "memory": 32,
                    "command": ["sleep", "3600"],
                    "environment": [{"name": "COLOR", "value": tag}]}],
            )["taskDefinition"]["taskDefinitionArn"]

    def external_service(self, desired=2, name=SERVICE):
        return self.ecs.create_service(
            cluster=CLUSTER, serviceName=name, desiredCount=desired,
            deploymentController={"type": "EXTERNAL"})["service"]

    def task_set(self, ts_id):
        out = self.ecs.describe_task_sets(cluster=CLUSTER, service=SERVICE,
                                          taskSets=[ts_id])
        self.assertEqual(out["failures"], [])
        return out["taskSets"][0]

    def wait_steady(self, ts_id, running, timeout=60):
        def check():
            ts = self.task_set(ts_id)
            ok = (ts["stabilityStatus"] == "STEADY_STATE" and
                  ts["runningCount"] == running)
            return ts if ok else None
        return wait_for(check, timeout=timeout, interval=0.3,
                        what="task set %s STEADY_STATE with %d running" % (
                            ts_id, running))

    def tasks_of(self, started_by, desired="RUNNING"):
        arns = self.ecs.list_tasks(cluster=CLUSTER, startedBy=started_by,
                                   desiredStatus=desired)["taskArns"]
        if not arns:
            return []
        return self.ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"]

    def test_blue_green_hand_over(self):
        svc = self.external_service(desired=2)
        self.assertEqual(svc["deploymentController"], {"type": "EXTERNAL"})

        blue = self.ecs.create_task_set(
            cluster=CLUSTER, service=SERVICE, taskDefinition=self.td["blue"],
            externalId="deploy-1", scale={"value": 100.0, "unit": "PERCENT"},
            tags=[{"key": "color", "value": "blue"}])["taskSet"]
        self.assertRegex(blue["id"], r"^ecs-svc/\d{19}$")
        self.assertEqual(blue["taskSetArn"],
                         svc["serviceArn"].replace(":service/", ":task-set/") +
                         "/" + blue["id"])
        self.assertEqual(blue["status"], "ACTIVE")
        self.assertEqual(blue["computedDesiredCount"], 2)
        self.assertEqual(blue["externalId"], "deploy-1")
        self.assertEqual(blue["taskDefinition"], self.td["blue"])
        self.assertEqual(blue["tags"], [{"key": "color", "value": "blue"}])

        self.wait_steady(blue["id"], 2)
        tasks = self.tasks_of(blue["id"])
        self.assertEqual(len(tasks), 2)
        for t in tasks:
            self.assertEqual(t["lastStatus"], "RUNNING")
            self.assertEqual(t["group"], "service:" + SERVICE)
            self.assertEqual(t["taskDefinitionArn"], self.td["blue"])
        self.assertEqual(len(running_containers(self.d)), 2)

        primary = self.ecs.update_service_primary_task_set(
            cluster=CLUSTER, service=SERVICE,
            primaryTaskSet=blue["taskSetArn"])["taskSet"]
        self.assertEqual(primary["status"], "PRIMARY")
        s = self.ecs.describe_services(cluster=CLUSTER, services=[SERVICE])[
            "services"][0]
        self.assertEqual(s["taskDefinition"], self.td["blue"])
        self.assertEqual([(x["id"], x["status"]) for x in s["taskSets"]],
                         [(blue["id"], "PRIMARY")])
        self.assertEqual(s["runningCount"], 2)

        # green beside blue, then it takes over
        green = self.ecs.create_task_set(
            cluster=CLUSTER, service=SERVICE, taskDefinition=self.td["green"],
            scale={"value": 50.0, "unit": "PERCENT"})["taskSet"]
        self.wait_steady(green["id"], 1)
        self.ecs.update_task_set(cluster=CLUSTER, service=SERVICE,
                                 taskSet=green["id"],
                                 scale={"value": 100.0, "unit": "PERCENT"})
        self.wait_steady(green["id"], 2)
        self.ecs.update_service_primary_task_set(
            cluster=CLUSTER, service=SERVICE, primaryTaskSet=green["id"])
        self.assertEqual(self.task_set(blue["id"])["status"], "ACTIVE")
        self.assertEqual(self.ecs.describe_services(
            cluster=CLUSTER, services=[SERVICE])["services"][0]
            ["taskDefinition"], self.td["green"])

        # blue scales to 0 and goes
        self.ecs.update_task_set(cluster=CLUSTER, service=SERVICE,
                                 taskSet=blue["taskSetArn"],
                                 scale={"value": 0.0, "unit": "PERCENT"})
        self.wait_steady(blue["id"], 0)
        stopped = self.tasks_of(blue["id"], desired="STOPPED")
        self.assertEqual(len(stopped), 2)
        for t in stopped:
            self.assertEqual(t["stopCode"], "ServiceSchedulerInitiated")
        gone = self.ecs.delete_task_set(cluster=CLUSTER, service=SERVICE,
                                        taskSet=blue["id"])["taskSet"]
        self.assertEqual(gone["status"], "DRAINING")
        wait_for(lambda: self.ecs.describe_task_sets(
            cluster=CLUSTER, service=SERVICE, taskSets=[blue["id"]])["failures"],
            timeout=30, what="blue to leave the service")
        left = self.ecs.describe_task_sets(cluster=CLUSTER, service=SERVICE)
        self.assertEqual([x["id"] for x in left["taskSets"]], [green["id"]])
        self.assertEqual(left["taskSets"][0]["status"], "PRIMARY")
        wait_for(lambda: len(running_containers(self.d)) == 2, timeout=60,
                 what="only green's two containers to be left running")

        # the service goes, and its task sets' tasks with it
        self.ecs.update_service(cluster=CLUSTER, service=SERVICE, desiredCount=0)
        self.ecs.delete_service(cluster=CLUSTER, service=SERVICE)
        wait_for(lambda: not self.tasks_of(green["id"]), timeout=60,
                 what="green's tasks to be stopped")

    def test_errors_and_missing(self):
        self.ecs.create_service(cluster=CLUSTER, serviceName="rolling",
                                taskDefinition=self.td["blue"], desiredCount=0)
        err = self.assertEcsError(
            "InvalidParameterException", self.ecs.create_task_set,
            cluster=CLUSTER, service="rolling", taskDefinition=self.td["blue"])
        self.assertIn("external deployment controllers", err["Message"])
        self.assertEcsError("ClusterNotFoundException", self.ecs.create_task_set,
                            cluster="nope", service=SERVICE,
                            taskDefinition=self.td["blue"])
        self.assertEcsError("ServiceNotFoundException", self.ecs.describe_task_sets,
                            cluster=CLUSTER, service="nope")

        self.external_service(desired=0)
        self.assertEcsError("ClientException", self.ecs.create_task_set,
                            cluster=CLUSTER, service=SERVICE,
                            taskDefinition="no-such-family")
        ids = [self.ecs.create_task_set(cluster=CLUSTER, service=SERVICE,
                                        taskDefinition=self.td["blue"])
               ["taskSet"]["id"] for _ in range(5)]
        err = self.assertEcsError(
            "InvalidParameterException", self.ecs.create_task_set,
            cluster=CLUSTER, service=SERVICE, taskDefinition=self.td["blue"])
        self.assertIn("5 deployments exist on the service", err["Message"])

        self.assertEcsError("TaskSetNotFoundException", self.ecs.update_task_set,
                            cluster=CLUSTER, service=SERVICE,
                            taskSet="ecs-svc/1234567890123456789",
                            scale={"value": 10.0, "unit": "PERCENT"})
        self.assertEcsError("InvalidParameterException",
                            self.ecs.describe_task_sets, cluster=CLUSTER,
                            service=SERVICE, taskSets=["not-a-task-set"])
        out = self.ecs.describe_task_sets(
            cluster=CLUSTER, service=SERVICE,
            taskSets=[ids[0], "ecs-svc/1234567890123456789"])
        self.assertEqual([x["id"] for x in out["taskSets"]], [ids[0]])
        self.assertEqual(out["failures"][0]["reason"], "MISSING")
        self.assertTrue(out["failures"][0]["arn"].endswith(
            ":task-set/%s/%s/ecs-svc/1234567890123456789" % (CLUSTER, SERVICE)))

        self.ecs.update_task_set(cluster=CLUSTER, service=SERVICE,
                                 taskSet=ids[0],
                                 scale={"value": 10.0, "unit": "PERCENT"})
        self.assertEcsError("InvalidParameterException", self.ecs.delete_task_set,
                            cluster=CLUSTER, service=SERVICE, taskSet=ids[0])
        self.assertEqual(self.ecs.delete_task_set(
            cluster=CLUSTER, service=SERVICE, taskSet=ids[0], force=True)
            ["taskSet"]["status"], "DRAINING")

        # the server's own checks, past boto3's validation
        status, doc = self.d.raw("UpdateTaskSet", {
            "cluster": CLUSTER, "service": SERVICE, "taskSet": ids[1],
            "scale": {"value": 250, "unit": "PERCENT"}})
        self.assertEqual((status, doc["__type"]), (400, "InvalidParameterException"))

    def test_through_aws_cli(self):
        aws = self.d.aws
        self.external_service(desired=2)
        ts = aws("ecs", "create-task-set", "--cluster", CLUSTER, "--service",
                 SERVICE, "--task-definition", "ts-blue:1", "--scale",
                 "value=50,unit=PERCENT")["taskSet"]
        self.assertEqual(ts["scale"], {"value": 50.0, "unit": "PERCENT"})
        self.assertEqual(ts["computedDesiredCount"], 1)
        out = aws("ecs", "describe-task-sets", "--cluster", CLUSTER,
                  "--service", SERVICE, "--task-sets", ts["taskSetArn"],
                  "--include", "TAGS")
        self.assertEqual(out["taskSets"][0]["id"], ts["id"])
        self.assertEqual(out["taskSets"][0]["tags"], [])
        up = aws("ecs", "update-task-set", "--cluster", CLUSTER, "--service",
                 SERVICE, "--task-set", ts["id"], "--scale",
                 "value=0,unit=PERCENT")["taskSet"]
        self.assertEqual(up["computedDesiredCount"], 0)
        p = aws("ecs", "update-service-primary-task-set", "--cluster", CLUSTER,
                "--service", SERVICE, "--primary-task-set", ts["id"])["taskSet"]
        self.assertEqual(p["status"], "PRIMARY")
        d = aws("ecs", "delete-task-set", "--cluster", CLUSTER, "--service",
                SERVICE, "--task-set", ts["id"])["taskSet"]
        self.assertEqual(d["status"], "DRAINING")
        wait_for(lambda: aws("ecs", "describe-task-sets", "--cluster", CLUSTER,
                             "--service", SERVICE)["taskSets"] == [],
                 timeout=60, what="the task set to be gone")


class ServicesByNamespace(ecsd.TestCase):
    def test_list_by_namespace_boto3_and_cli(self):
        for c in ("ns-a", "ns-b"):
            self.ecs.create_cluster(clusterName=c)
        td = self.ecs.register_task_definition(
            family="ns-app", containerDefinitions=[{
                "name": "app", "image": TEST_IMAGE, "memory": 32}],
        )["taskDefinition"]["taskDefinitionArn"]
        made = []
        for cluster, name, ns in (("ns-a", "api", "shop"), ("ns-b", "web", "shop"),
                                  ("ns-b", "blog", "blog"), ("ns-a", "none", None)):
            kw = {}
            if ns:
                kw["serviceConnectConfiguration"] = {"enabled": True,
                                                     "namespace": ns}
            arn = self.ecs.create_service(cluster=cluster, serviceName=name,
                                          taskDefinition=td, desiredCount=0,
                                          **kw)["service"]["serviceArn"]
            if ns == "shop":
                made.append(arn)
        out = self.ecs.list_services_by_namespace(namespace="shop")
        self.assertEqual(sorted(out["serviceArns"]), sorted(made))
        pages = self.ecs.get_paginator("list_services_by_namespace").paginate(
            namespace="shop", PaginationConfig={"PageSize": 1})
        self.assertEqual(sorted(a for p in pages for a in p["serviceArns"]),
                         sorted(made))
        out = self.d.aws("ecs", "list-services-by-namespace", "--namespace", "shop")
        self.assertEqual(sorted(out["serviceArns"]), sorted(made))
        self.assertEqual(self.ecs.list_services_by_namespace(
            namespace="nobody")["serviceArns"], [])
        self.assertEcsError("NamespaceNotFoundException",
                            self.ecs.list_services_by_namespace,
                            namespace="arn:aws:servicediscovery:eu-west-1:"
                                      "000000000000:namespace/ns-1")
