"""The tasks API through boto3 and aws-cli: RunTask answers at once with
PROVISIONING tasks and the failures array, StartTask, StopTask, DescribeTasks,
ListTasks and their validation. Whether containers start is the scheduler's
part (test_tasks_run.py): these tests assert only what the API itself
decides, so they hold whether or not a task ever runs."""
import re

import ecsd

CLUSTER = "app01"
TASK_ARN = re.compile(r"^arn:aws:ecs:us-east-1:\d{12}:task/app01/[0-9a-f]{32}$")
INSTANCE_ARN = re.compile(
    r"^arn:aws:ecs:us-east-1:\d{12}:container-instance/app01/[0-9a-f]{32}$")
CONTAINER_ARN = re.compile(
    r"^arn:aws:ecs:us-east-1:\d{12}:container/app01/[0-9a-f]{32}/[0-9a-f-]{36}$")
IMAGE = "ecsd-test/none:api"     # never started by these tests' assertions


def container(name, **kw):
    c = {"name": name, "image": IMAGE, "memory": 32,
         "command": ["sleep", "3600"]}
    c.update(kw)
    return c


class TasksApi(ecsd.TestCase):
    def setUp(self):
        super().setUp()
        self.ecs.create_cluster(clusterName=CLUSTER)
        self.register("web", [
            container("app", portMappings=[{"containerPort": 80}],
                      environment=[{"name": "A", "value": "1"}]),
            container("side", essential=False, memory=None,
                      memoryReservation=16)])

    def register(self, family, containers, **kw):
        for c in containers:
            for k in [k for k, v in c.items() if v is None]:
                del c[k]
        return self.ecs.register_task_definition(
            family=family, containerDefinitions=containers,
            **kw)["taskDefinition"]["taskDefinitionArn"]

    def instance_arn(self):
        arns = self.ecs.list_container_instances(
            cluster=CLUSTER)["containerInstanceArns"]
        self.assertEqual(len(arns), 1)
        return arns[0]

    def all_listed(self, **kw):
        """Every task ARN ListTasks shows, either desired status, sorted.
        The tasks' image does not exist, so they stop meanwhile: asking for
        RUNNING first and STOPPED second finds each task at least once (a
        task may be in both answers, hence the set)."""
        arns = set()
        pages = self.ecs.get_paginator("list_tasks")
        for status in ("RUNNING", "STOPPED"):
            for page in pages.paginate(cluster=CLUSTER, desiredStatus=status,
                                       PaginationConfig={"PageSize": 2}, **kw):
                arns.update(page["taskArns"])
        return sorted(arns)

    def test_run_task_answers_provisioning_tasks(self):
        out = self.ecs.run_task(cluster=CLUSTER, taskDefinition="web",
                                count=3, startedBy="ci-job", group="batch")
        self.assertEqual(out["failures"], [])
        self.assertEqual(len(out["tasks"]), 3)
        instance = self.instance_arn()
        for t in out["tasks"]:
            self.assertRegex(t["taskArn"], TASK_ARN)
            self.assertEqual(t["lastStatus"], "PROVISIONING")
            self.assertEqual(t["desiredStatus"], "RUNNING")
            self.assertEqual(t["launchType"], "EC2")
            self.assertEqual(t["startedBy"], "ci-job")
            self.assertEqual(t["group"], "batch")
            self.assertEqual(t["containerInstanceArn"], instance)
            self.assertTrue(t["taskDefinitionArn"].endswith(
                ":task-definition/web:1"))
            self.assertEqual(t["memory"], "48")
            self.assertEqual(t["version"], 1)
            self.assertEqual([c["name"] for c in t["containers"]],
                             ["app", "side"])
            for c in t["containers"]:
                self.assertRegex(c["containerArn"], CONTAINER_ARN)
                self.assertEqual(c["taskArn"], t["taskArn"])
                self.assertEqual(c["lastStatus"], "PENDING")
            self.assertEqual(t["overrides"]["containerOverrides"],
                             [{"name": "app"}, {"name": "side"}])
        self.assertEqual(len({t["taskArn"] for t in out["tasks"]}), 3)

    def test_run_task_with_aws_cli(self):
        out = self.d.aws("ecs", "run-task", "--cluster", CLUSTER,
                         "--task-definition", "web:1", "--started-by", "cli",
                         "--overrides",
                         '{"containerOverrides":[{"name":"app",'
                         '"command":["echo","hi"],"memory":64}]}')
        self.assertEqual(out["failures"], [])
        t = out["tasks"][0]
        self.assertRegex(t["taskArn"], TASK_ARN)
        self.assertEqual(t["lastStatus"], "PROVISIONING")
        self.assertEqual(t["memory"], "80")
        self.assertEqual(t["overrides"]["containerOverrides"][0],
                         {"name": "app", "command": ["echo", "hi"],
                          "memory": 64})
        self.assertEqual(t["containers"][0]["memory"], "64")

    def test_placement_failures_as_ecs_reports_them(self):
        self.register("huge", [container("c", memory=50000000)])
        out = self.d.aws("ecs", "run-task", "--cluster", CLUSTER,
                         "--task-definition", "huge")
        self.assertEqual(out["tasks"], [])
        self.assertEqual(out["failures"],
                         [{"arn": self.instance_arn(),
                           "reason": "RESOURCE:MEMORY"}])

        self.register("port", [container("c", portMappings=[
            {"containerPort": 80, "hostPort": 18080}])])
        out = self.ecs.run_task(cluster=CLUSTER, taskDefinition="port",
                                count=2)
        self.assertEqual(len(out["tasks"]), 1)
        self.assertEqual(out["failures"],
                         [{"arn": self.instance_arn(),
                           "reason": "RESOURCE:PORTS"}])

        out = self.ecs.run_task(
            cluster=CLUSTER, taskDefinition="web",
            placementConstraints=[{"type": "memberOf", "expression":
                                   "attribute:ecs.os-type == windows"}])
        self.assertEqual(out["tasks"], [])
        self.assertEqual(out["failures"][0]["reason"],
                         "MemberOf placement constraint unsatisfied.")
        out = self.ecs.run_task(
            cluster=CLUSTER, taskDefinition="web",
            placementConstraints=[{"type": "memberOf", "expression":
                                   "attribute:ecs.os-type == linux"}],
            placementStrategy=[{"type": "spread", "field": "instanceId"},
                               {"type": "binpack", "field": "memory"}])
        self.assertEqual(len(out["tasks"]), 1)

    def test_fargate_task(self):
        self.register("vpc", [container("c", memory=None)],
                      networkMode="awsvpc", cpu="256", memory="512",
                      requiresCompatibilities=["FARGATE"])
        out = self.ecs.run_task(
            cluster=CLUSTER, taskDefinition="vpc", launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {
                "subnets": ["subnet-12345"], "assignPublicIp": "ENABLED"}})
        t = out["tasks"][0]
        self.assertEqual(out["failures"], [])
        self.assertEqual(t["launchType"], "FARGATE")
        self.assertEqual(t["platformVersion"], "1.4.0")
        self.assertEqual((t["cpu"], t["memory"]), ("256", "512"))
        self.assertNotIn("containerInstanceArn", t)
        self.assertEqual(t["attachments"][0]["type"], "ElasticNetworkInterface")
        self.assertEqual(t["attachments"][0]["details"],
                         [{"name": "subnetId", "value": "subnet-12345"}])
        self.assertEcsError("InvalidParameterException", self.ecs.run_task,
                            cluster=CLUSTER, taskDefinition="vpc",
                            launchType="FARGATE")

    def test_describe_tasks_with_tags_and_failures(self):
        out = self.ecs.run_task(cluster=CLUSTER, taskDefinition="web",
                                tags=[{"key": "team", "value": "a"}])
        arn = out["tasks"][0]["taskArn"]
        self.assertEqual(out["tasks"][0]["tags"],
                         [{"key": "team", "value": "a"}])
        tid = arn.rsplit("/", 1)[1]
        missing = "0" * 32
        d = self.ecs.describe_tasks(cluster=CLUSTER, tasks=[arn, tid, missing],
                                    include=["TAGS"])
        self.assertEqual([t["taskArn"] for t in d["tasks"]], [arn, arn])
        self.assertEqual(d["tasks"][0]["tags"], [{"key": "team", "value": "a"}])
        self.assertEqual(d["failures"], [{
            "arn": arn.rsplit("/", 1)[0] + "/" + missing,
            "reason": "MISSING"}])
        d = self.ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])
        self.assertNotIn("tags", d["tasks"][0])
        self.assertEqual(self.ecs.list_tags_for_resource(
            resourceArn=arn)["tags"], [{"key": "team", "value": "a"}])
        err = self.assertEcsError("InvalidParameterException",
                                  self.ecs.describe_tasks, cluster=CLUSTER,
                                  tasks=[])
        self.assertEqual(err["Message"], "Tasks cannot be empty.")
        out = self.d.aws("ecs", "describe-tasks", "--cluster", CLUSTER,
                         "--tasks", arn)
        self.assertEqual(out["tasks"][0]["taskArn"], arn)
        self.assertEqual(out["failures"], [])

    def test_stop_task(self):
        arn = self.ecs.run_task(cluster=CLUSTER,
                                taskDefinition="web")["tasks"][0]["taskArn"]
        out = self.d.aws("ecs", "stop-task", "--cluster", CLUSTER,
                         "--task", arn, "--reason", "done")
        t = out["task"]
        self.assertEqual(t["taskArn"], arn)
        self.assertEqual(t["desiredStatus"], "STOPPED")
        # The scheduler may have stopped it first (no image here); a task
        # StopTask itself stopped carries the caller's reason.
        if t["stopCode"] == "UserInitiated":
            self.assertEqual(t["stoppedReason"], "done")
            self.assertIn("stoppingAt", t)
        else:
            self.assertEqual(t["stopCode"], "TaskFailedToStart")
        d = self.ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"][0]
        self.assertEqual(d["desiredStatus"], "STOPPED")
        self.assertEqual(d["stoppedReason"], t["stoppedReason"])
        self.assertIn(arn, self.all_listed())
        self.assertIn(arn, self.ecs.list_tasks(
            cluster=CLUSTER, desiredStatus="STOPPED")["taskArns"])

        arn2 = self.ecs.run_task(cluster=CLUSTER,
                                 taskDefinition="web")["tasks"][0]["taskArn"]
        t = self.ecs.stop_task(cluster=CLUSTER,
                               task=arn2.rsplit("/", 1)[1])["task"]
        self.assertEqual(t["desiredStatus"], "STOPPED")
        if t["stopCode"] == "UserInitiated":
            self.assertEqual(t["stoppedReason"], "Task stopped by user")

        err = self.assertEcsError("InvalidParameterException",
                                  self.ecs.stop_task, cluster=CLUSTER,
                                  task="f" * 32)
        self.assertEqual(err["Message"], "The referenced task was not found.")
        self.assertEcsError("ClusterNotFoundException", self.ecs.stop_task,
                            cluster="nope", task=arn)

    def test_list_tasks_filters_and_pages(self):
        made = []
        for _ in range(5):
            made += [t["taskArn"] for t in self.ecs.run_task(
                cluster=CLUSTER, taskDefinition="web",
                startedBy="pager")["tasks"]]
        self.register("other", [container("c")])
        other = self.ecs.run_task(cluster=CLUSTER,
                                  taskDefinition="other")["tasks"][0]["taskArn"]
        self.assertEqual(self.all_listed(startedBy="pager"), sorted(made))
        self.assertEqual(self.all_listed(family="web"), sorted(made))
        self.assertEqual(self.all_listed(family="other"), [other])
        self.assertEqual(self.all_listed(
            containerInstance=self.instance_arn()), sorted(made + [other]))
        self.assertEqual(self.all_listed(launchType="FARGATE"), [])
        self.assertEqual(self.ecs.list_tasks(
            cluster=CLUSTER, desiredStatus="PENDING")["taskArns"], [])

        page = self.ecs.list_tasks(cluster=CLUSTER, startedBy="pager",
                                   desiredStatus="RUNNING", maxResults=1)
        if len(page["taskArns"]) == 1 and "nextToken" in page:
            nxt = self.ecs.list_tasks(cluster=CLUSTER, startedBy="pager",
                                      desiredStatus="RUNNING",
                                      nextToken=page["nextToken"])
            self.assertNotIn(page["taskArns"][0], nxt["taskArns"])

        running = self.d.aws("ecs", "list-tasks", "--cluster", CLUSTER,
                             "--family", "other")
        out = self.d.aws("ecs", "list-tasks", "--cluster", CLUSTER,
                         "--family", "other", "--desired-status", "STOPPED")
        self.assertEqual(set(out["taskArns"] + running["taskArns"]), {other})

        status, doc = self.d.raw("ListTasks", {"cluster": CLUSTER,
                                               "nextToken": "bogus"})
        self.assertEqual((status, doc["__type"]),
                         (400, "InvalidParameterException"))
        self.assertEcsError("ClusterNotFoundException", self.ecs.list_tasks,
                            cluster="nope")

    def test_server_side_validation(self):
        def raw(body, code, message=None):
            status, doc = self.d.raw("RunTask", body)
            self.assertEqual((status, doc.get("__type")), (400, code), doc)
            if message is not None:
                self.assertEqual(doc["message"], message)

        raw({"cluster": CLUSTER, "taskDefinition": "web", "count": 11},
            "InvalidParameterException")
        raw({"cluster": CLUSTER, "taskDefinition": "web", "launchType": "EC2",
             "capacityProviderStrategy": [{"capacityProvider": "FARGATE"}]},
            "InvalidParameterException",
            "Specifying both a launch type and capacity provider strategy is "
            "not supported. Remove one and try again.")
        raw({"cluster": CLUSTER, "taskDefinition": "web", "overrides": {
            "containerOverrides": [{"name": "ghost"}]}},
            "InvalidParameterException",
            "Override for container named ghost is not a container in the "
            "TaskDefinition.")
        raw({"cluster": CLUSTER, "taskDefinition": "web",
             "propagateTags": "SERVICE"}, "InvalidParameterException")
        raw({"cluster": CLUSTER, "taskDefinition": "web",
             "networkConfiguration": {"awsvpcConfiguration": {
                 "subnets": ["s"]}}},
            "InvalidParameterException",
            "Network Configuration is not valid for the given networkMode of "
            "this task definition.")
        raw({"cluster": CLUSTER, "taskDefinition": "web",
             "placementConstraints": [{"type": "memberOf",
                                       "expression": "attribute:x =="}]},
            "InvalidParameterException")
        raw({"cluster": CLUSTER, "taskDefinition": "nope:9"},
            "ClientException")
        raw({"cluster": "nope", "taskDefinition": "web"},
            "ClusterNotFoundException", "Cluster not found.")
        self.register("vpc", [container("c")], networkMode="awsvpc")
        raw({"cluster": CLUSTER, "taskDefinition": "vpc"},
            "InvalidParameterException",
            "Network Configuration must be provided when networkMode "
            "'awsvpc' is specified.")
        # nothing was created by the refused calls
        self.assertEqual(self.all_listed(), [])

    def test_start_task_on_named_instance(self):
        self.ecs.run_task(cluster=CLUSTER, taskDefinition="web")
        inst = self.instance_arn()
        out = self.ecs.start_task(cluster=CLUSTER, taskDefinition="web",
                                  containerInstances=[inst.rsplit("/", 1)[1],
                                                      "f" * 32],
                                  startedBy="starter")
        self.assertEqual(len(out["tasks"]), 1)
        t = out["tasks"][0]
        self.assertEqual((t["containerInstanceArn"], t["startedBy"],
                          t["lastStatus"]), (inst, "starter", "PROVISIONING"))
        self.assertEqual(out["failures"], [{
            "arn": inst.rsplit("/", 1)[0] + "/" + "f" * 32,
            "reason": "MISSING"}])
        out = self.d.aws("ecs", "start-task", "--cluster", CLUSTER,
                         "--task-definition", "web",
                         "--container-instances", inst)
        self.assertEqual(len(out["tasks"]), 1)

    def test_regions_are_apart(self):
        eu = self.d.boto3("eu-west-1")
        eu.create_cluster(clusterName=CLUSTER)
        eu.register_task_definition(family="web",
                                    containerDefinitions=[container("c")])
        t = eu.run_task(cluster=CLUSTER, taskDefinition="web")["tasks"][0]
        self.assertTrue(t["taskArn"].startswith("arn:aws:ecs:eu-west-1:"))
        self.assertEqual(self.all_listed(), [])
        d = self.ecs.describe_tasks(cluster=CLUSTER, tasks=[t["taskArn"]])
        self.assertEqual(d["failures"][0]["reason"], "MISSING")
