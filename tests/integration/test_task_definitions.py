"""Task definitions through the clients users use: aws-cli (register with
--cli-input-json, describe, list with its own paging, deregister) and boto3
(paginators, delete, errors), plus raw requests for the server's own
validation, regions kept apart and revisions surviving a restart."""
import json
import os
import tempfile

import ecsd

WEB = {
    "family": "web",
    "networkMode": "awsvpc",
    "cpu": "256",
    "memory": "512",
    "requiresCompatibilities": ["FARGATE"],
    "volumes": [{"name": "data"}],
    "containerDefinitions": [
        {
            "name": "web",
            "image": "busybox:latest",
            "portMappings": [{"containerPort": 8080}],
            "environment": [{"name": "MODE", "value": "prod"}],
            "mountPoints": [{"sourceVolume": "data", "containerPath": "/data"}],
            "healthCheck": {"command": ["CMD-SHELL", "wget -q -O- localhost:8080"]},
            "dependsOn": [{"containerName": "init", "condition": "SUCCESS"}],
        },
        {
            "name": "init",
            "image": "busybox:latest",
            "essential": False,
            "command": ["true"],
        },
    ],
    "tags": [{"key": "team", "value": "blue"}],
}


def small(family, **extra):
    d = {"family": family,
         "containerDefinitions": [{"name": "a", "image": "busybox", "memory": 32}]}
    d.update(extra)
    return d


class TaskDefinitions(ecsd.TestCase):
    def cli_json(self, doc):
        f = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump(doc, f)
        f.close()
        self.addCleanup(os.unlink, f.name)
        return "file://" + f.name

    def test_register_with_cli_input_json_and_describe_round_trip(self):
        out = self.d.aws("ecs", "register-task-definition",
                         "--cli-input-json", self.cli_json(WEB))
        td = out["taskDefinition"]
        self.assertRegex(td["taskDefinitionArn"],
                         r"^arn:aws:ecs:us-east-1:\d{12}:task-definition/web:1$")
        self.assertEqual(td["revision"], 1)
        self.assertEqual(td["status"], "ACTIVE")
        self.assertEqual(td["compatibilities"], ["EC2", "FARGATE"])
        self.assertEqual(td["requiresCompatibilities"], ["FARGATE"])
        self.assertEqual(out["tags"], [{"key": "team", "value": "blue"}])
        web = td["containerDefinitions"][0]
        # what ECS fills in
        self.assertEqual(web["cpu"], 0)
        self.assertTrue(web["essential"])
        self.assertEqual(web["portMappings"],
                         [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}])
        self.assertEqual(web["healthCheck"]["interval"], 30)
        self.assertEqual(web["healthCheck"]["timeout"], 5)
        self.assertEqual(web["healthCheck"]["retries"], 3)
        self.assertNotIn("startPeriod", web["healthCheck"])
        self.assertEqual(web["volumesFrom"], [])
        init = td["containerDefinitions"][1]
        self.assertEqual(init["environment"], [])
        self.assertEqual(init["portMappings"], [])
        self.assertFalse(init["essential"])
        # what was registered comes back as registered
        self.assertEqual(web["environment"], [{"name": "MODE", "value": "prod"}])
        self.assertEqual(web["dependsOn"], WEB["containerDefinitions"][0]["dependsOn"])
        self.assertEqual(td["volumes"], [{"name": "data", "host": {}}])

        # describe through both clients, by family, family:rev and ARN
        for ref in ("web", "web:1", td["taskDefinitionArn"]):
            got = self.ecs.describe_task_definition(taskDefinition=ref)
            self.assertNotIn("tags", got)
            got = got["taskDefinition"]
            got["registeredAt"] = got["registeredAt"].timestamp()
            want = dict(td, registeredAt=got["registeredAt"])
            self.assertEqual(got, want)
        cli = self.d.aws("ecs", "describe-task-definition", "--task-definition",
                         "web:1", "--include", "TAGS")
        self.assertEqual(cli["tags"], [{"key": "team", "value": "blue"}])
        self.assertEqual(cli["taskDefinition"]["containerDefinitions"],
                         td["containerDefinitions"])

    def test_cpu_and_memory_strings_are_converted(self):
        td = self.ecs.register_task_definition(
            family="conv", networkMode="awsvpc", cpu="1 vCPU", memory="2 GB",
            containerDefinitions=[{"name": "a", "image": "x"}])["taskDefinition"]
        self.assertEqual((td["cpu"], td["memory"]), ("1024", "2048"))
        self.assertEqual(td["compatibilities"], ["EC2", "FARGATE"])

    def test_list_pages_over_25_revisions(self):
        for _ in range(25):
            self.ecs.register_task_definition(**small("many"))
        self.ecs.register_task_definition(**small("aaa"))
        arns = []
        pages = 0
        for page in self.ecs.get_paginator("list_task_definitions").paginate(
                familyPrefix="many", PaginationConfig={"PageSize": 10}):
            pages += 1
            arns += page["taskDefinitionArns"]
        self.assertEqual(pages, 3)
        self.assertEqual([int(a.rsplit(":", 1)[1]) for a in arns], list(range(1, 26)))
        # aws-cli follows nextToken itself; DESC lists the newest first
        out = self.d.aws("ecs", "list-task-definitions", "--sort", "DESC",
                         "--page-size", "7")
        got = [a.rsplit("/", 1)[1] for a in out["taskDefinitionArns"]]
        self.assertEqual(got, ["many:%d" % i for i in range(25, 0, -1)] + ["aaa:1"])
        # one page by hand with a token
        first = self.ecs.list_task_definitions(maxResults=20)
        self.assertEqual(len(first["taskDefinitionArns"]), 20)
        rest = self.ecs.list_task_definitions(maxResults=20, nextToken=first["nextToken"])
        self.assertEqual(len(rest["taskDefinitionArns"]), 6)
        self.assertNotIn("nextToken", rest)
        self.assertEqual(len(set(first["taskDefinitionArns"] + rest["taskDefinitionArns"])), 26)

    def test_families_with_the_cli(self):
        for fam in ("api", "api-worker", "batch"):
            self.ecs.register_task_definition(**small(fam))
        self.ecs.deregister_task_definition(taskDefinition="batch:1")
        out = self.d.aws("ecs", "list-task-definition-families")
        self.assertEqual(out["families"], ["api", "api-worker", "batch"])
        out = self.d.aws("ecs", "list-task-definition-families", "--status", "ACTIVE",
                         "--family-prefix", "api")
        self.assertEqual(out["families"], ["api", "api-worker"])
        out = self.d.aws("ecs", "list-task-definition-families", "--status", "INACTIVE")
        self.assertEqual(out["families"], ["batch"])
        pages = list(self.ecs.get_paginator("list_task_definition_families").paginate(
            PaginationConfig={"PageSize": 2}))
        self.assertEqual([p["families"] for p in pages], [["api", "api-worker"], ["batch"]])

    def test_deregister_and_delete(self):
        for _ in range(3):
            self.ecs.register_task_definition(**small("life"))
        out = self.d.aws("ecs", "deregister-task-definition", "--task-definition", "life:1")
        self.assertEqual(out["taskDefinition"]["status"], "INACTIVE")
        self.assertIn("deregisteredAt", out["taskDefinition"])
        # family alone now means revision 3; revision 1 is still describable
        self.assertEqual(self.ecs.describe_task_definition(taskDefinition="life")
                         ["taskDefinition"]["revision"], 3)
        self.assertEqual(self.ecs.describe_task_definition(taskDefinition="life:1")
                         ["taskDefinition"]["status"], "INACTIVE")
        inactive = self.ecs.list_task_definitions(status="INACTIVE")["taskDefinitionArns"]
        self.assertEqual([a.rsplit("/", 1)[1] for a in inactive], ["life:1"])

        out = self.ecs.delete_task_definitions(taskDefinitions=["life:1", "life:2", "life:9"])
        self.assertEqual([t["revision"] for t in out["taskDefinitions"]], [1])
        self.assertEqual(out["taskDefinitions"][0]["status"], "DELETE_IN_PROGRESS")
        reasons = {f["arn"].rsplit("/", 1)[1]: f["reason"] for f in out["failures"]}
        self.assertIn("still in ACTIVE status", reasons["life:2"])
        self.assertIn("does not exist", reasons["life:9"])
        deleting = self.ecs.list_task_definitions(status="DELETE_IN_PROGRESS")
        self.assertEqual(len(deleting["taskDefinitionArns"]), 1)
        err = self.assertEcsError("ClientException", self.ecs.deregister_task_definition,
                                  taskDefinition="life:1")
        self.assertIn("in the process of being deleted", err["Message"])
        # the number is never handed out again
        td = self.ecs.register_task_definition(**small("life"))["taskDefinition"]
        self.assertEqual(td["revision"], 4)
        err = self.assertEcsError("InvalidParameterException",
                                  self.ecs.delete_task_definitions,
                                  taskDefinitions=["life:%d" % i for i in range(1, 12)])
        self.assertIn("cannot exceed 10", err["Message"])

    def test_errors_clients_see(self):
        err = self.assertEcsError("ClientException", self.ecs.describe_task_definition,
                                  taskDefinition="ghost")
        self.assertEqual(err["Message"], "Unable to describe task definition.")
        rc, _, stderr = self.d.aws("ecs", "describe-task-definition",
                                   "--task-definition", "ghost:3", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("Unable to describe task definition.", stderr)
        err = self.assertEcsError("ClientException", self.ecs.deregister_task_definition,
                                  taskDefinition="ghost")
        self.assertIn("Revision is missing", err["Message"])
        err = self.assertEcsError(
            "ClientException", self.ecs.register_task_definition,
            family="p", networkMode="awsvpc",
            containerDefinitions=[{"name": "a", "image": "x", "memory": 8,
                                   "portMappings": [{"containerPort": 80, "hostPort": 81}]}])
        self.assertEqual(err["Message"], "When networkMode=awsvpc, the host ports and "
                         "container ports in port mappings must match.")
        err = self.assertEcsError(
            "ClientException", self.ecs.register_task_definition,
            family="m", containerDefinitions=[{"name": "a", "image": "x"}])
        self.assertEqual(err["Message"], "Invalid setting for container 'a'. At least one "
                         "of 'memory' or 'memoryReservation' must be specified.")
        err = self.assertEcsError(
            "ClientException", self.ecs.register_task_definition,
            family="f", networkMode="awsvpc", cpu="1024", memory="1024",
            requiresCompatibilities=["FARGATE"],
            containerDefinitions=[{"name": "a", "image": "x"}])
        self.assertIn("No Fargate configuration exists for given values: 1024 CPU, "
                      "1024 memory.", err["Message"])
        # what aws-cli and boto3 would refuse to send, straight to the server
        status, doc = self.d.raw("RegisterTaskDefinition", {
            "family": "bad family", "containerDefinitions": [{"name": "a", "image": "x",
                                                             "memory": 8}]})
        self.assertEqual((status, doc["__type"]), (400, "ClientException"))
        self.assertIn("Invalid family", doc["message"])
        status, doc = self.d.raw("RegisterTaskDefinition", {
            "family": "t", "cpu": "", "containerDefinitions": [{"name": "a", "image": "x",
                                                               "memory": 8}]})
        self.assertEqual((status, doc["__type"]), (400, "InvalidParameterException"))
        self.assertEqual(doc["message"].split(". ")[0], "Invalid 'cpu' setting for task")
        loose = self.d.boto3(validate=False)
        err = self.assertEcsError("InvalidParameterException", loose.describe_task_definition,
                                  taskDefinition="web:latest")
        self.assertIn("Invalid revision number", err["Message"])
        # nothing above registered anything
        self.assertEqual(self.ecs.list_task_definition_families()["families"], [])

    def test_regions_are_apart(self):
        west = self.d.boto3("eu-west-1")
        td = west.register_task_definition(**small("r"))["taskDefinition"]
        self.assertIn(":eu-west-1:", td["taskDefinitionArn"])
        self.assertEqual(self.ecs.list_task_definitions()["taskDefinitionArns"], [])
        self.assertEcsError("ClientException", self.ecs.describe_task_definition,
                            taskDefinition=td["taskDefinitionArn"])
        self.assertEqual(self.ecs.register_task_definition(**small("r"))
                         ["taskDefinition"]["revision"], 1)
        out = self.d.aws("ecs", "list-task-definitions", region="eu-west-1")
        self.assertEqual(out["taskDefinitionArns"], [td["taskDefinitionArn"]])

    def test_revisions_survive_a_restart(self):
        self.ecs.register_task_definition(**dict(WEB))
        self.ecs.register_task_definition(**small("web"))
        self.ecs.deregister_task_definition(taskDefinition="web:2")
        before = self.ecs.describe_task_definition(taskDefinition="web:1",
                                                   include=["TAGS"])
        self.d.restart()
        ecs = self.d.boto3()
        after = ecs.describe_task_definition(taskDefinition="web:1", include=["TAGS"])
        self.assertEqual(after["taskDefinition"], before["taskDefinition"])
        self.assertEqual(after["tags"], before["tags"])
        self.assertEqual(ecs.describe_task_definition(taskDefinition="web:2")
                         ["taskDefinition"]["status"], "INACTIVE")
        self.assertEqual(ecs.register_task_definition(**small("web"))
                         ["taskDefinition"]["revision"], 3)
