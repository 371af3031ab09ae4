"""Clusters through the clients users use (boto3 and aws-cli): create,
describe with and without include, list and its pages, update, settings,
capacity providers, delete and re-create, errors, regions kept apart, and
state kept across a daemon restart."""
import os
import shutil
import subprocess
import tempfile

import ecsd

ACCOUNT = "000000000000"


def arn(name, region="us-east-1"):
    return "arn:aws:ecs:%s:%s:cluster/%s" % (region, ACCOUNT, name)


class Clusters(ecsd.TestCase):
    def test_create_describe_list_with_boto3(self):
        c = self.ecs.create_cluster(clusterName="web")["cluster"]
        self.assertEqual(c["clusterArn"], arn("web"))
        self.assertEqual(c["clusterName"], "web")
        self.assertEqual(c["status"], "ACTIVE")
        for k in ("runningTasksCount", "pendingTasksCount",
                  "activeServicesCount"):
            self.assertEqual(c[k], 0)
        # The local Docker engine is every cluster's container instance.
        self.assertEqual(c["registeredContainerInstancesCount"], 1)
        self.assertEqual(len(self.ecs.list_container_instances(
            cluster="web")["containerInstanceArns"]), 1)
        self.assertEqual(c["settings"], [{"name": "containerInsights",
                                          "value": "disabled"}])
        out = self.ecs.describe_clusters(clusters=["web", arn("web")])
        self.assertEqual([x["clusterName"] for x in out["clusters"]],
                         ["web", "web"])
        self.assertEqual(out["failures"], [])
        self.assertEqual(self.ecs.list_clusters()["clusterArns"], [arn("web")])

    def test_create_describe_list_with_cli(self):
        c = self.d.aws("ecs", "create-cluster", "--cluster-name", "cli",
                       "--tags", "key=team,value=blue",
                       "--settings", "name=containerInsights,value=enabled")
        self.assertEqual(c["cluster"]["clusterArn"], arn("cli"))
        self.assertEqual(c["cluster"]["tags"], [{"key": "team",
                                                 "value": "blue"}])
        out = self.d.aws("ecs", "describe-clusters", "--clusters", "cli",
                         "missing", "--include", "TAGS", "SETTINGS")
        self.assertEqual(out["clusters"][0]["tags"],
                         [{"key": "team", "value": "blue"}])
        self.assertEqual(out["clusters"][0]["settings"],
                         [{"name": "containerInsights", "value": "enabled"}])
        self.assertEqual(out["failures"], [{"arn": arn("missing"),
                                            "reason": "MISSING"}])
        self.assertEqual(self.d.aws("ecs", "list-clusters")["clusterArns"],
                         [arn("cli")])

    def test_default_cluster(self):
        # No name means "default"; no `clusters` describes it.
        out = self.ecs.describe_clusters()
        self.assertEqual(out["clusters"], [])
        self.assertEqual(out["failures"], [{"arn": arn("default"),
                                            "reason": "MISSING"}])
        c = self.d.aws("ecs", "create-cluster")["cluster"]
        self.assertEqual(c["clusterName"], "default")
        out = self.d.aws("ecs", "describe-clusters")
        self.assertEqual(out["clusters"][0]["clusterArn"], arn("default"))
        self.assertEqual(out["failures"], [])

    def test_invalid_names(self):
        for bad in ("has space", "a/b", "x" * 256, "dot.ted"):
            err = self.assertEcsError("InvalidParameterException",
                                      self.ecs.create_cluster, clusterName=bad)
            self.assertIn("255", err["Message"])
        self.ecs.create_cluster(clusterName="x" * 255)
        rc, out, err = self.d.aws("ecs", "create-cluster", "--cluster-name",
                                  "bad name", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("InvalidParameterException", err)
        self.assertEqual(self.ecs.list_clusters()["clusterArns"],
                         [arn("x" * 255)])

    def test_server_validates_without_the_client(self):
        status, doc = self.d.raw("CreateCluster", {"clusterName": "a",
                                                   "settings": "nope"})
        self.assertEqual((status, doc["__type"]), (400, "ClientException"))
        loose = self.d.boto3(validate=False)
        self.assertEcsError("InvalidParameterException", loose.list_clusters,
                            maxResults=0)
        self.assertEcsError("InvalidParameterException", loose.list_clusters,
                            maxResults=101)
        self.assertEcsError("InvalidParameterException", loose.list_clusters,
                            nextToken="not-a-token")
        self.assertEcsError("InvalidParameterException", loose.create_cluster,
                            clusterName="c", settings=[{"name":
                                                        "containerInsights",
                                                        "value": "sometimes"}])
        self.assertEcsError("InvalidParameterException", loose.create_cluster,
                            clusterName="c", settings=[{"name":
                                                        "notASetting",
                                                        "value": "enabled"}])

    def test_idempotent_create(self):
        args = dict(clusterName="idem",
                    tags=[{"key": "a", "value": "1"}],
                    settings=[{"name": "containerInsights", "value": "enhanced"}],
                    capacityProviders=["FARGATE"],
                    defaultCapacityProviderStrategy=[
                        {"capacityProvider": "FARGATE", "weight": 1}])
        first = self.ecs.create_cluster(**args)["cluster"]
        again = self.ecs.create_cluster(**args)["cluster"]
        self.assertEqual(first, again)
        self.assertEqual(self.ecs.create_cluster(clusterName="idem")["cluster"],
                         first)
        changed = dict(args, settings=[{"name": "containerInsights",
                                        "value": "disabled"}])
        err = self.assertEcsError("InvalidParameterException",
                                  self.ecs.create_cluster, **changed)
        self.assertEqual(err["Message"], "Arguments on this idempotent request "
                         "are inconsistent with arguments used in previous "
                         "request(s).")
        self.assertEcsError("InvalidParameterException", self.ecs.create_cluster,
                            clusterName="idem",
                            tags=[{"key": "a", "value": "2"}])
        self.assertEqual(len(self.ecs.list_clusters()["clusterArns"]), 1)

    def test_include_flags(self):
        self.ecs.create_cluster(
            clusterName="inc", tags=[{"key": "k", "value": "v"}],
            configuration={"executeCommandConfiguration": {
                "kmsKeyId": "key-1", "logging": "OVERRIDE",
                "logConfiguration": {"cloudWatchLogGroupName": "grp",
                                     "cloudWatchEncryptionEnabled": True}}})
        bare = self.ecs.describe_clusters(clusters=["inc"])["clusters"][0]
        self.assertEqual(bare["tags"], [])
        self.assertEqual(bare["statistics"], [])
        for member in ("settings", "configuration", "attachments"):
            self.assertNotIn(member, bare)
        full = self.ecs.describe_clusters(
            clusters=["inc"], include=["ATTACHMENTS", "CONFIGURATIONS",
                                       "SETTINGS", "STATISTICS",
                                       "TAGS"])["clusters"][0]
        self.assertEqual(full["tags"], [{"key": "k", "value": "v"}])
        self.assertEqual(full["configuration"]["executeCommandConfiguration"],
                         {"kmsKeyId": "key-1", "logging": "OVERRIDE",
                          "logConfiguration": {
                              "cloudWatchLogGroupName": "grp",
                              "cloudWatchEncryptionEnabled": True}})
        self.assertEqual(full["settings"], [{"name": "containerInsights",
                                             "value": "disabled"}])
        self.assertEqual(full["attachments"], [])
        stats = {s["name"]: s["value"] for s in full["statistics"]}
        self.assertEqual(stats, {n: "0" for n in (
            "runningFargateTasksCount", "runningEC2TasksCount",
            "pendingFargateTasksCount", "pendingEC2TasksCount",
            "activeFargateServiceCount", "activeEC2ServiceCount",
            "drainingFargateServiceCount", "drainingEC2ServiceCount")})

    def test_terraform_round_trip(self):
        # What the AWS provider sends on create, then reads back with
        # include [TAGS, CONFIGURATIONS, SETTINGS]: it must see exactly that.
        created = self.ecs.create_cluster(
            clusterName="tf", tags=[{"key": "Name", "value": "tf"}],
            settings=[{"name": "containerInsights", "value": "enabled"}],
            configuration={"executeCommandConfiguration": {"logging": "DEFAULT"}},
            serviceConnectDefaults={"namespace": "arn:aws:servicediscovery:"
                                    "us-east-1:%s:namespace/ns-abc" % ACCOUNT})
        read = self.ecs.describe_clusters(
            clusters=[created["cluster"]["clusterArn"]],
            include=["TAGS", "CONFIGURATIONS", "SETTINGS"])["clusters"][0]
        self.assertEqual(read, created["cluster"])
        self.assertEqual(read["configuration"], {
            "executeCommandConfiguration": {"logging": "DEFAULT"}})
        self.assertEqual(read["serviceConnectDefaults"]["namespace"],
                         "arn:aws:servicediscovery:us-east-1:%s:namespace/"
                         "ns-abc" % ACCOUNT)

    def test_list_pages_with_boto3_paginator(self):
        names = ["p%02d" % i for i in range(25)]
        for n in reversed(names):
            self.ecs.create_cluster(clusterName=n)
        pages = list(self.ecs.get_paginator("list_clusters").paginate(
            PaginationConfig={"PageSize": 10}))
        self.assertEqual([len(p["clusterArns"]) for p in pages], [10, 10, 5])
        self.assertEqual([a for p in pages for a in p["clusterArns"]],
                         [arn(n) for n in names])
        first = self.ecs.list_clusters(maxResults=10)
        self.assertIn("nextToken", first)
        # Clusters added behind the cursor do not disturb the next page.
        self.ecs.create_cluster(clusterName="a-new")
        second = self.ecs.list_clusters(maxResults=10,
                                        nextToken=first["nextToken"])
        self.assertEqual(second["clusterArns"], [arn(n) for n in names[10:20]])
        everything = self.ecs.list_clusters()
        self.assertEqual(len(everything["clusterArns"]), 26)
        self.assertNotIn("nextToken", everything)

    def test_list_pages_with_cli(self):
        names = ["q%02d" % i for i in range(25)]
        for n in names:
            self.ecs.create_cluster(clusterName=n)
        out = self.d.aws("ecs", "list-clusters", "--page-size", "10")
        self.assertEqual(out["clusterArns"], [arn(n) for n in names])
        seen, token = [], None
        for _ in range(5):
            args = ["ecs", "list-clusters", "--max-items", "10",
                    "--page-size", "10"]
            if token:
                args += ["--starting-token", token]
            out = self.d.aws(*args)
            seen += out["clusterArns"]
            token = out.get("NextToken")
            if not token:
                break
        self.assertEqual(seen, [arn(n) for n in names])
        out = self.d.aws("ecs", "list-clusters", "--max-items", "7",
                         "--page-size", "3")
        self.assertEqual(out["clusterArns"], [arn(n) for n in names[:7]])
        self.assertIn("NextToken", out)

    def test_update_cluster_and_settings(self):
        self.ecs.create_cluster(clusterName="u")
        c = self.ecs.update_cluster_settings(
            cluster="u", settings=[{"name": "containerInsights",
                                    "value": "enabled"}])["cluster"]
        self.assertEqual(c["settings"], [{"name": "containerInsights",
                                          "value": "enabled"}])
        c = self.d.aws("ecs", "update-cluster", "--cluster", arn("u"),
                       "--configuration",
                       '{"executeCommandConfiguration":{"logging":"NONE"}}',
                       "--service-connect-defaults", "namespace=shop")["cluster"]
        self.assertEqual(c["configuration"], {
            "executeCommandConfiguration": {"logging": "NONE"}})
        ns = c["serviceConnectDefaults"]["namespace"]
        self.assertTrue(ns.startswith("arn:aws:servicediscovery:us-east-1:%s:"
                                      "namespace/ns-" % ACCOUNT), ns)
        # The same name is the same namespace.
        again = self.ecs.update_cluster(cluster="u", serviceConnectDefaults={
            "namespace": "shop"})["cluster"]
        self.assertEqual(again["serviceConnectDefaults"]["namespace"], ns)
        self.assertEqual(again["settings"][0]["value"], "enabled")
        gone = self.ecs.update_cluster(cluster="u", serviceConnectDefaults={
            "namespace": ""})["cluster"]
        self.assertNotIn("serviceConnectDefaults", gone)
        c = self.d.aws("ecs", "update-cluster-settings", "--cluster", "u",
                       "--settings", "name=containerInsights,value=disabled")
        self.assertEqual(c["cluster"]["settings"][0]["value"], "disabled")
        self.assertEcsError("ClusterNotFoundException",
                            self.ecs.update_cluster, cluster="nope")
        self.assertEcsError("ClusterNotFoundException",
                            self.ecs.update_cluster_settings, cluster="nope",
                            settings=[])
        self.assertEcsError("InvalidParameterException",
                            self.ecs.update_cluster, cluster="u",
                            configuration={"executeCommandConfiguration": {
                                "logging": "OVERRIDE"}})
        self.assertEcsError("NamespaceNotFoundException",
                            self.ecs.update_cluster, cluster="u",
                            serviceConnectDefaults={
                                "namespace": "arn:aws:servicediscovery:"
                                "eu-west-1:%s:namespace/ns-x" % ACCOUNT})

    def test_put_cluster_capacity_providers(self):
        self.ecs.create_cluster(clusterName="cp")
        c = self.d.aws("ecs", "put-cluster-capacity-providers", "--cluster",
                       "cp", "--capacity-providers", "FARGATE", "FARGATE_SPOT",
                       "--default-capacity-provider-strategy",
                       "capacityProvider=FARGATE,weight=1,base=1",
                       "capacityProvider=FARGATE_SPOT,weight=4")["cluster"]
        self.assertEqual(c["capacityProviders"], ["FARGATE", "FARGATE_SPOT"])
        self.assertEqual(c["defaultCapacityProviderStrategy"], [
            {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
            {"capacityProvider": "FARGATE_SPOT", "weight": 4, "base": 0}])
        described = self.ecs.describe_clusters(clusters=["cp"])["clusters"][0]
        self.assertEqual(described["capacityProviders"],
                         ["FARGATE", "FARGATE_SPOT"])
        err = self.assertEcsError(
            "InvalidParameterException",
            self.ecs.put_cluster_capacity_providers, cluster="cp",
            capacityProviders=["FARGATE"],
            defaultCapacityProviderStrategy=[{"capacityProvider":
                                              "FARGATE_SPOT"}])
        self.assertIn("not associated with the cluster", err["Message"])
        self.assertEcsError("InvalidParameterException",
                            self.ecs.put_cluster_capacity_providers,
                            cluster="cp", capacityProviders=["nope"],
                            defaultCapacityProviderStrategy=[])
        self.assertEcsError("ClusterNotFoundException",
                            self.ecs.put_cluster_capacity_providers,
                            cluster="nope", capacityProviders=[],
                            defaultCapacityProviderStrategy=[])
        c = self.d.aws("ecs", "put-cluster-capacity-providers", "--cluster",
                       "cp", "--capacity-providers", "[]",
                       "--default-capacity-provider-strategy", "[]")["cluster"]
        self.assertEqual(c["capacityProviders"], [])
        self.assertEqual(c["defaultCapacityProviderStrategy"], [])

    def test_delete_and_create_again(self):
        self.ecs.create_cluster(clusterName="d",
                                tags=[{"key": "keep", "value": "me"}])
        c = self.d.aws("ecs", "delete-cluster", "--cluster", "d")["cluster"]
        self.assertEqual(c["status"], "INACTIVE")
        self.assertEqual(c["registeredContainerInstancesCount"], 0)
        self.assertEqual(c["clusterArn"], arn("d"))
        # Still described (with its tags), no longer listed or usable.
        out = self.ecs.describe_clusters(clusters=["d"], include=["TAGS"])
        self.assertEqual(out["clusters"][0]["status"], "INACTIVE")
        self.assertEqual(out["clusters"][0]["tags"], [{"key": "keep",
                                                       "value": "me"}])
        self.assertEqual(self.ecs.list_clusters()["clusterArns"], [])
        err = self.assertEcsError("ClusterNotFoundException",
                                  self.ecs.delete_cluster, cluster="d")
        self.assertEqual(err["Message"], "Cluster not found.")
        self.assertEcsError("ClusterNotFoundException",
                            self.ecs.delete_cluster, cluster="never")
        rc, _, err = self.d.aws("ecs", "delete-cluster", "--cluster", "d",
                                check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("ClusterNotFoundException", err)
        c = self.ecs.create_cluster(clusterName="d")["cluster"]
        self.assertEqual((c["status"], c["clusterArn"]), ("ACTIVE", arn("d")))
        self.assertEqual(self.ecs.list_clusters()["clusterArns"], [arn("d")])

    def test_delete_refused_while_tasks_are_active(self):
        if not self._implemented("RunTask", {"taskDefinition": "none:1"}):
            self.skipTest("RunTask is not implemented yet")
        # A daemon of its own without a Docker engine: the task stays as
        # RunTask left it, whatever the scheduler would do with it.
        d = ecsd.Daemon(args=["--docker-host",
                              "unix:///nonexistent/ecsd-test.sock"]).start()
        try:
            ecs = d.boto3()
            ecs.create_cluster(clusterName="busy")
            ecs.register_task_definition(family="sleep", containerDefinitions=[
                {"name": "app", "image": "ecsd-test-none:latest",
                 "memory": 64, "command": ["sleep", "3600"]}])
            ecs.run_task(cluster="busy", taskDefinition="sleep")
            err = self.assertEcsError("ClusterContainsTasksException",
                                      ecs.delete_cluster, cluster="busy")
            self.assertEqual(err["Message"], "The Cluster cannot be deleted "
                             "while Tasks are active.")
        finally:
            d.cleanup()

    def _implemented(self, op, body):
        """Whether op has a handler yet (another engineer's operation)."""
        status, doc = self.d.raw(op, body)
        return doc.get("__type") != "UnsupportedFeatureException"

    def test_regions_are_apart(self):
        eu = self.d.boto3("eu-west-1")
        self.ecs.create_cluster(clusterName="shared")
        c = eu.create_cluster(clusterName="only-eu")["cluster"]
        self.assertEqual(c["clusterArn"], arn("only-eu", "eu-west-1"))
        self.assertEqual(self.ecs.list_clusters()["clusterArns"],
                         [arn("shared")])
        self.assertEqual(eu.list_clusters()["clusterArns"],
                         [arn("only-eu", "eu-west-1")])
        out = eu.describe_clusters(clusters=["shared", arn("shared")])
        self.assertEqual(out["clusters"], [])
        self.assertEqual(len(out["failures"]), 2)
        self.assertEcsError("ClusterNotFoundException", eu.delete_cluster,
                            cluster="shared")
        self.assertEcsError("ClusterNotFoundException", self.ecs.update_cluster,
                            cluster=arn("only-eu", "eu-west-1"))
        # The same name in each region: two clusters.
        eu.create_cluster(clusterName="shared")
        eu.delete_cluster(cluster="shared")
        self.assertEqual(self.ecs.describe_clusters(
            clusters=["shared"])["clusters"][0]["status"], "ACTIVE")
        out = self.d.aws("ecs", "list-clusters", region="eu-west-1")
        self.assertEqual(out["clusterArns"], [arn("only-eu", "eu-west-1")])

    def test_state_survives_restart(self):
        self.ecs.create_cluster(
            clusterName="kept", tags=[{"key": "k", "value": "v"}],
            settings=[{"name": "containerInsights", "value": "enabled"}],
            capacityProviders=["FARGATE"],
            defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE",
                                              "weight": 2}])
        self.ecs.create_cluster(clusterName="dropped")
        self.ecs.delete_cluster(cluster="dropped")
        eu = self.d.boto3("eu-west-1")
        eu.create_cluster(clusterName="eu")
        before = self.ecs.describe_clusters(
            clusters=["kept", "dropped"],
            include=["TAGS", "SETTINGS", "CONFIGURATIONS"])["clusters"]
        self.d.restart()
        self.ecs = self.d.boto3()
        after = self.ecs.describe_clusters(
            clusters=["kept", "dropped"],
            include=["TAGS", "SETTINGS", "CONFIGURATIONS"])["clusters"]
        self.assertEqual(after, before)
        self.assertEqual(self.ecs.list_clusters()["clusterArns"], [arn("kept")])
        self.assertEqual(self.d.boto3("eu-west-1").list_clusters()["clusterArns"],
                         [arn("eu", "eu-west-1")])


TF_MAIN = """
terraform {
  required_providers { aws = { source = "hashicorp/aws" } }
}
provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  endpoints { ecs = "%(url)s" }
}
resource "aws_ecs_capacity_provider" "cp" {
  name = "tf-cp"
  auto_scaling_group_provider {
    auto_scaling_group_arn = "arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:a:autoScalingGroupName/tf"
    managed_scaling {
      status          = "ENABLED"
      target_capacity = %(target)d
    }
  }
  tags = { team = "a" }
}
resource "aws_ecs_cluster" "c" {
  name = "tf-cluster"
  setting {
    name  = "containerInsights"
    value = "%(insights)s"
  }
  configuration {
    execute_command_configuration {
      logging = "OVERRIDE"
      log_configuration { cloud_watch_log_group_name = "grp" }
    }
  }
  tags = { env = "test" }
}
resource "aws_ecs_cluster" "plain" {
  name = "tf-plain"
}
resource "aws_ecs_cluster_capacity_providers" "fargate" {
  cluster_name       = aws_ecs_cluster.c.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]
  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    base              = 1
    weight            = 100
  }
}
resource "aws_ecs_cluster_capacity_providers" "asg" {
  cluster_name       = aws_ecs_cluster.plain.name
  capacity_providers = [aws_ecs_capacity_provider.cp.name]
  default_capacity_provider_strategy {
    capacity_provider = aws_ecs_capacity_provider.cp.name
  }
}
"""


class TerraformClusters(ecsd.TestCase):
    """The AWS provider's create -> read -> plan cycle shows no drift, an
    update applies in place, and destroy leaves nothing ACTIVE."""

    def setUp(self):
        super().setUp()
        self.plugins = next((p for p in ("/opt/tf-plugins", "/usr/share/tf-plugins",
                                         "/root/tf-plugins")
                             if os.path.isdir(p)), None)
        if shutil.which("terraform") is None or self.plugins is None:
            self.skipTest("terraform or its tf-plugins mirror is not installed")

    def tf(self, workdir, *args):
        env = dict(ecsd.ENV, TF_CLI_CONFIG_FILE=os.path.join(workdir, "cli.tfrc"),
                   TF_IN_AUTOMATION="1")
        return subprocess.run(["terraform"] + list(args) + ["-input=false",
                                                            "-no-color"],
                              cwd=workdir, env=env, capture_output=True,
                              text=True, timeout=600)

    def test_apply_plan_update_destroy(self):
        work = tempfile.mkdtemp(prefix="ecsd-tf-")
        try:
            with open(os.path.join(work, "cli.tfrc"), "w") as f:
                f.write('provider_installation {\n filesystem_mirror {\n'
                        '  path = "%s"\n }\n}\n' % self.plugins)

            def write(target, insights):
                with open(os.path.join(work, "main.tf"), "w") as f:
                    f.write(TF_MAIN % {"url": self.d.url, "target": target,
                                       "insights": insights})
            write(80, "enabled")
            p = self.tf(work, "init")
            self.assertEqual(p.returncode, 0, p.stderr)
            p = self.tf(work, "apply", "-auto-approve")
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            p = self.tf(work, "plan", "-detailed-exitcode")
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            c = self.ecs.describe_clusters(clusters=["tf-cluster"],
                                           include=["TAGS"])["clusters"][0]
            self.assertEqual(c["tags"], [{"key": "env", "value": "test"}])
            self.assertEqual(sorted(c["capacityProviders"]),
                             ["FARGATE", "FARGATE_SPOT"])

            write(60, "enhanced")
            p = self.tf(work, "apply", "-auto-approve")
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("0 added, 2 changed, 0 destroyed", p.stdout)
            p = self.tf(work, "plan", "-detailed-exitcode")
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

            p = self.tf(work, "destroy", "-auto-approve")
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertEqual(self.ecs.list_clusters()["clusterArns"], [])
            cp = self.ecs.describe_capacity_providers(
                capacityProviders=["tf-cp"])["capacityProviders"][0]
            self.assertEqual(cp["status"], "INACTIVE")
        finally:
            shutil.rmtree(work, ignore_errors=True)
