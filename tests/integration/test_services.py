"""The service operations through the real clients (boto3, aws-cli, raw
signed requests), with services that run no task (desiredCount 0): what
CreateService stores and DescribeServices echoes for Terraform, idempotency,
the server's own validation, which updates make a deployment, ListServices
pages, service deployments and revisions, StopServiceDeployment, regions and
a restart. Real containers are test_services_run.py's."""
import json
import os
import tempfile

import ecsd

CLUSTER = "app01"
ACCT = "000000000000"


def arn(kind, rest, region="us-east-1"):
    return "arn:aws:ecs:%s:%s:%s/%s" % (region, ACCT, kind, rest)


class Services(ecsd.TestCase):
    def setUp(self):
        super().setUp()
        self.ecs.create_cluster(clusterName=CLUSTER)
        self.td = self.ecs.register_task_definition(
            family="web", containerDefinitions=[{
                "name": "app", "image": "busybox", "memory": 32}])[
            "taskDefinition"]["taskDefinitionArn"]

    def create(self, name, **kw):
        args = dict(cluster=CLUSTER, serviceName=name, taskDefinition="web",
                    desiredCount=0)
        args.update(kw)
        return self.ecs.create_service(**args)["service"]

    def describe(self, *names, **kw):
        return self.ecs.describe_services(cluster=CLUSTER,
                                          services=list(names), **kw)

    def test_terraform_create_and_read_back(self):
        # exactly what the Terraform AWS provider sends
        body = {"cluster": CLUSTER, "serviceName": "tf", "taskDefinition":
                self.td, "desiredCount": 0, "clientToken": "terraform-1",
                "availabilityZoneRebalancing": "DISABLED",
                "capacityProviderStrategy": [], "schedulingStrategy":
                "REPLICA", "vpcLatticeConfigurations": [],
                "deploymentConfiguration": {"maximumPercent": 200,
                                            "minimumHealthyPercent": 100},
                "enableECSManagedTags": False, "enableExecuteCommand": False,
                "launchType": "EC2", "propagateTags": "NONE",
                "tags": [{"key": "Name", "value": "tf"}],
                "placementConstraints": []}
        status, out = self.d.raw("CreateService", body)
        self.assertEqual(status, 200, out)
        status, again = self.d.raw("CreateService", dict(body,
                                                         clientToken="t2"))
        self.assertEqual(status, 200, again)
        self.assertEqual(again["service"]["deployments"][0]["id"],
                         out["service"]["deployments"][0]["id"])
        got = self.describe("tf", include=["TAGS"])
        self.assertEqual(got["failures"], [])
        s = got["services"][0]
        for k, v in (("schedulingStrategy", "REPLICA"),
                     ("availabilityZoneRebalancing", "DISABLED"),
                     ("propagateTags", "NONE"), ("launchType", "EC2"),
                     ("taskDefinition", self.td), ("status", "ACTIVE"),
                     ("enableECSManagedTags", False),
                     ("enableExecuteCommand", False)):
            self.assertEqual(s[k], v, k)
        self.assertEqual(s["deploymentController"], {"type": "ECS"})
        self.assertNotIn("networkConfiguration", s)
        self.assertNotIn("capacityProviderStrategy", s)
        self.assertEqual(s["tags"], [{"key": "Name", "value": "tf"}])
        self.assertEqual(s["deploymentConfiguration"], {
            "deploymentCircuitBreaker": {"enable": False, "rollback": False},
            "maximumPercent": 200, "minimumHealthyPercent": 100})
        self.assertEqual(s["serviceArn"], arn("service", CLUSTER + "/tf"))
        self.assertEqual(s["clusterArn"], arn("cluster", CLUSTER))
        self.assertEqual(s["loadBalancers"], [])
        self.assertEqual(s["serviceRegistries"], [])
        status, err = self.d.raw("CreateService", dict(body, desiredCount=3))
        self.assertEqual(status, 400)
        self.assertEqual(err["__type"], "InvalidParameterException")
        self.assertEqual(err["message"],
                         "Creation of service was not idempotent.")

    def test_defaults_through_aws_cli(self):
        out = self.d.aws("ecs", "create-service", "--cluster", CLUSTER,
                         "--service-name", "cli", "--task-definition", "web",
                         "--desired-count", "0")["service"]
        self.assertEqual(out["availabilityZoneRebalancing"], "ENABLED")
        self.assertEqual(out["propagateTags"], "NONE")
        self.assertEqual(out["launchType"], "EC2")
        self.assertEqual(out["createdBy"], "arn:aws:iam::%s:root" % ACCT)
        d = out["deployments"][0]
        self.assertEqual(d["status"], "PRIMARY")
        self.assertEqual(d["rolloutState"], "IN_PROGRESS")
        self.assertEqual(d["rolloutStateReason"],
                         "ECS deployment %s in progress." % d["id"])
        out = self.d.aws("ecs", "describe-services", "--cluster", CLUSTER,
                         "--services", "cli", "nope")
        self.assertEqual(out["failures"], [{"arn": arn(
            "service", CLUSTER + "/nope"), "reason": "MISSING"}])
        s = ecsd.wait_for(lambda: [x for x in self.describe("cli")[
            "services"] if x["deployments"][0]["rolloutState"] ==
            "COMPLETED"], timeout=15, what="empty deployment completed")[0]
        self.assertEqual(s["deployments"][0]["rolloutStateReason"],
                         "ECS deployment %s completed." % d["id"])
        self.assertEqual(s["events"][0]["message"],
                         "(service cli) has reached a steady state.")

    def test_fargate_awsvpc_service(self):
        self.ecs.register_task_definition(
            family="vpc", networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[{"name": "app", "image": "busybox"}])
        nc = {"awsvpcConfiguration": {"subnets": ["subnet-1"],
                                      "securityGroups": ["sg-1"],
                                      "assignPublicIp": "DISABLED"}}
        s = self.create("f", taskDefinition="vpc", launchType="FARGATE",
                        networkConfiguration=nc)
        self.assertEqual(s["networkConfiguration"], nc)
        self.assertEqual(s["platformVersion"], "LATEST")
        self.assertEqual(s["deployments"][0]["networkConfiguration"], nc)
        self.assertEqual(self.ecs.list_services(
            cluster=CLUSTER, launchType="FARGATE")["serviceArns"],
            [s["serviceArn"]])
        err = self.assertEcsError("InvalidParameterException", self.create,
                                  "g", taskDefinition="vpc",
                                  launchType="FARGATE")
        self.assertIn("Network Configuration must be provided", err["Message"])

    def test_server_validation(self):
        cases = [
            ({"cluster": CLUSTER, "serviceName": "x", "taskDefinition": "web"},
             "InvalidParameterException"),
            ({"cluster": "nope", "serviceName": "x", "taskDefinition": "web",
              "desiredCount": 1}, "ClusterNotFoundException"),
            ({"cluster": CLUSTER, "serviceName": "x", "taskDefinition":
              "nope:1", "desiredCount": 1}, "ClientException"),
            ({"cluster": CLUSTER, "serviceName": "x", "taskDefinition": "web",
              "desiredCount": -1}, "InvalidParameterException"),
            ({"cluster": CLUSTER, "serviceName": "x y", "taskDefinition":
              "web", "desiredCount": 1}, "InvalidParameterException"),
            ({"cluster": CLUSTER, "serviceName": "x", "taskDefinition": "web",
              "desiredCount": 1, "launchType": "EC2",
              "capacityProviderStrategy": [{"capacityProvider": "FARGATE"}]},
             "InvalidParameterException"),
            ({"cluster": CLUSTER, "serviceName": "x", "taskDefinition": "web",
              "desiredCount": 1, "placementStrategy": [{"type": "binpack"}]},
             "InvalidParameterException"),
            ({"cluster": CLUSTER, "serviceName": "x", "taskDefinition": "web",
              "schedulingStrategy": "DAEMON", "placementStrategy":
              [{"type": "random"}]}, "InvalidParameterException"),
        ]
        for body, code in cases:
            status, out = self.d.raw("CreateService", body)
            self.assertEqual((status, out.get("__type")), (400, code), body)
        status, out = self.d.raw("ListServices", {"cluster": CLUSTER,
                                                  "maxResults": 0})
        self.assertEqual((status, out["__type"]),
                         (400, "InvalidParameterException"))
        status, out = self.d.raw("DescribeServices", {"cluster": CLUSTER,
                                                      "services": []})
        self.assertEqual((status, out["__type"]),
                         (400, "InvalidParameterException"))
        status, out = self.d.raw("UpdateService", {"cluster": CLUSTER,
                                                   "service": "nope"})
        self.assertEqual((status, out["__type"], out["message"]),
                         (400, "ServiceNotFoundException",
                          "Service not found."))

    def test_update_deployments_and_history(self):
        s = self.create("u")
        first = s["deployments"][0]["id"]
        s = self.ecs.update_service(cluster=CLUSTER, service="u",
                                    desiredCount=0)["service"]
        self.assertEqual([d["id"] for d in s["deployments"]], [first])
        v2 = self.ecs.register_task_definition(
            family="web", containerDefinitions=[{
                "name": "app", "image": "busybox:2", "memory": 32}])[
            "taskDefinition"]["taskDefinitionArn"]
        s = self.d.aws("ecs", "update-service", "--cluster", CLUSTER,
                       "--service", arn("service", CLUSTER + "/u"),
                       "--task-definition", "web:2")["service"]
        self.assertEqual(s["taskDefinition"], v2)
        second = s["deployments"][0]["id"]
        self.assertNotEqual(second, first)
        s = self.ecs.update_service(cluster=CLUSTER, service="u",
                                    forceNewDeployment=True)["service"]
        third = s["deployments"][0]["id"]
        # history: newest first, one page at a time
        seen = []
        token = None
        while True:
            kw = {"cluster": CLUSTER, "service": "u", "maxResults": 1}
            if token:
                kw["nextToken"] = token
            out = self.ecs.list_service_deployments(**kw)
            seen += out["serviceDeployments"]
            token = out.get("nextToken")
            if not token:
                break
        self.assertEqual(len(seen), 3)
        self.assertTrue(seen[0]["targetServiceRevisionArn"].endswith(
            third.split("/")[1]))
        self.assertTrue(seen[2]["targetServiceRevisionArn"].endswith(
            first.split("/")[1]))
        revs = self.d.aws("ecs", "describe-service-revisions",
                          "--service-revision-arns",
                          seen[1]["targetServiceRevisionArn"])
        self.assertEqual(revs["serviceRevisions"][0]["taskDefinition"], v2)
        self.assertEqual(revs["failures"], [])
        sd = self.d.aws("ecs", "describe-service-deployments",
                        "--service-deployment-arns",
                        seen[0]["serviceDeploymentArn"])["serviceDeployments"][0]
        self.assertEqual(sd["sourceServiceRevisions"][0]["arn"],
                         seen[1]["targetServiceRevisionArn"])
        missing = self.ecs.describe_service_deployments(
            serviceDeploymentArns=[seen[0]["serviceDeploymentArn"] + "x"])
        self.assertEqual(missing["failures"][0]["reason"], "MISSING")
        filtered = self.ecs.list_service_deployments(
            cluster=CLUSTER, service="u",
            status=["SUCCESSFUL"])["serviceDeployments"]
        self.assertTrue(all(d["status"] == "SUCCESSFUL" for d in filtered))

    def test_stop_service_deployment_rolls_back(self):
        # tasks no instance can hold keep both deployments IN_PROGRESS
        # (and start no container)
        big = [{"name": "app", "image": "busybox", "memory": 100000000}]
        v1 = self.ecs.register_task_definition(
            family="big", containerDefinitions=big)["taskDefinition"][
            "taskDefinitionArn"]
        self.create("r", taskDefinition=v1, desiredCount=1)
        self.ecs.register_task_definition(
            family="big", containerDefinitions=[dict(big[0], cpu=2)])
        self.ecs.update_service(cluster=CLUSTER, service="r",
                                taskDefinition="big:2")
        sd = self.ecs.list_service_deployments(
            cluster=CLUSTER, service="r")["serviceDeployments"][0]
        self.assertIn(sd["status"], ("PENDING", "IN_PROGRESS"))
        out = self.d.aws("ecs", "stop-service-deployment",
                         "--service-deployment-arn",
                         sd["serviceDeploymentArn"], "--stop-type", "ROLLBACK")
        self.assertEqual(out["serviceDeploymentArn"],
                         sd["serviceDeploymentArn"])
        s = self.describe("r")["services"][0]
        self.assertEqual(s["taskDefinition"], v1)
        # older deployments without a task have already left
        self.assertEqual(s["deployments"][0]["taskDefinition"], v1)
        self.assertEqual(s["deployments"][0]["status"], "PRIMARY")
        got = self.ecs.describe_service_deployments(
            serviceDeploymentArns=[sd["serviceDeploymentArn"]])[
            "serviceDeployments"][0]
        self.assertEqual(got["status"], "ROLLBACK_IN_PROGRESS")
        self.assertTrue(got["rollback"]["serviceRevisionArn"].endswith(
            s["deployments"][0]["id"].split("/")[1]))
        err = self.assertEcsError(
            "ConflictException", self.ecs.stop_service_deployment,
            serviceDeploymentArn=sd["serviceDeploymentArn"])
        self.assertIn("only a PENDING or IN_PROGRESS", err["Message"])
        self.assertEcsError(
            "ServiceDeploymentNotFoundException",
            self.ecs.stop_service_deployment, serviceDeploymentArn=arn(
                "service-deployment", CLUSTER + "/r/nope"))
        # the first deployment has nothing to roll back to
        first = self.ecs.list_service_deployments(
            cluster=CLUSTER, service="r")["serviceDeployments"][-1]
        self.assertEqual(first["status"], "STOPPED")
        self.ecs.delete_service(cluster=CLUSTER, service="r", force=True)

    def test_list_pages_filters_regions_and_restart(self):
        for i in range(7):
            self.create("s%d" % i)
        # a DAEMON service with no task: its one instance is DRAINING
        ci = self.ecs.list_container_instances(
            cluster=CLUSTER)["containerInstanceArns"]
        if ci:
            self.ecs.update_container_instances_state(
                cluster=CLUSTER, containerInstances=ci, status="DRAINING")
        self.ecs.create_service(cluster=CLUSTER, serviceName="d",
                                taskDefinition="web",
                                schedulingStrategy="DAEMON")
        arns = self.d.aws("ecs", "list-services", "--cluster", CLUSTER,
                          "--page-size", "3")["serviceArns"]
        self.assertEqual(len(arns), 8)
        self.assertEqual(arns, sorted(arns))
        pages = list(self.ecs.get_paginator("list_services").paginate(
            cluster=CLUSTER, PaginationConfig={"PageSize": 2}))
        self.assertEqual(len(pages), 4)
        self.assertEqual(sum(len(p["serviceArns"]) for p in pages), 8)
        daemon = self.ecs.list_services(cluster=CLUSTER,
                                        schedulingStrategy="DAEMON")
        self.assertEqual(daemon["serviceArns"],
                         [arn("service", CLUSTER + "/d")])
        # another region sees none of it
        eu = self.d.boto3("eu-west-1")
        self.assertEcsError("ClusterNotFoundException", eu.list_services,
                            cluster=CLUSTER)
        eu.create_cluster(clusterName=CLUSTER)
        eu.register_task_definition(family="web", containerDefinitions=[{
            "name": "app", "image": "busybox", "memory": 32}])
        e = eu.create_service(cluster=CLUSTER, serviceName="s0",
                              taskDefinition="web", desiredCount=0)["service"]
        self.assertEqual(e["serviceArn"], arn("service", CLUSTER + "/s0",
                                              "eu-west-1"))
        self.assertEqual(len(eu.list_services(cluster=CLUSTER)[
            "serviceArns"]), 1)
        # everything survives a restart
        before = self.describe("s3")["services"][0]
        self.d.restart()
        self.ecs = self.d.boto3()
        after = self.describe("s3")["services"][0]
        self.assertEqual(after["deployments"][0]["id"],
                         before["deployments"][0]["id"])
        self.assertEqual(after["createdAt"], before["createdAt"])
        self.assertEqual(len(self.ecs.list_services(
            cluster=CLUSTER, maxResults=100)["serviceArns"]), 8)

    def test_delete_and_describe_inactive(self):
        self.create("gone", tags=[{"key": "k", "value": "v"}])
        out = self.d.aws("ecs", "delete-service", "--cluster", CLUSTER,
                         "--service", "gone")
        self.assertEqual(out["service"]["status"], "DRAINING")
        self.ecs.get_waiter("services_inactive").wait(
            cluster=CLUSTER, services=["gone"],
            WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        s = self.describe("gone")["services"][0]
        self.assertEqual(s["status"], "INACTIVE")
        self.assertEcsError("ServiceNotActiveException",
                            self.ecs.delete_service, cluster=CLUSTER,
                            service="gone")
        self.assertEqual(self.ecs.list_services(cluster=CLUSTER)[
            "serviceArns"], [])
        # a new service of that name starts afresh
        s = self.create("gone")
        self.assertEqual(s["status"], "ACTIVE")
        self.assertNotIn("tags", self.describe("gone", include=["TAGS"])[
            "services"][0])
        # the cluster cannot go while a service is ACTIVE
        self.assertEcsError("ClusterContainsServicesException",
                            self.ecs.delete_cluster, cluster=CLUSTER)

    def test_cli_input_json_tutorial_create(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json",
                                         delete=False) as f:
            json.dump({"cluster": CLUSTER, "serviceName": "location",
                       "taskDefinition": "web", "desiredCount": 0,
                       "deploymentConfiguration": {
                           "maximumPercent": 200,
                           "minimumHealthyPercent": 50,
                           "deploymentCircuitBreaker": {"enable": True,
                                                        "rollback": True}},
                       "propagateTags": "SERVICE",
                       "loadBalancers": [{
                           "targetGroupArn": "arn:aws:elasticloadbalancing:"
                           "us-east-1:%s:targetgroup/t/1" % ACCT,
                           "containerName": "app", "containerPort": 80}]}, f)
        s = self.d.aws("ecs", "create-service", "--cli-input-json",
                       "file://" + f.name)["service"]
        os.unlink(f.name)
        self.assertEqual(s["deploymentConfiguration"]["minimumHealthyPercent"],
                         50)
        self.assertTrue(s["deploymentConfiguration"][
            "deploymentCircuitBreaker"]["rollback"])
        self.assertEqual(s["loadBalancers"][0]["containerPort"], 80)
        self.assertEqual(s["propagateTags"], "SERVICE")
