"""Capacity providers through boto3 and aws-cli: the built-in FARGATE and
FARGATE_SPOT, Auto Scaling group providers (create, describe and its pages,
update, delete with and without a cluster), Managed Instances providers that
live in one cluster, errors, regions kept apart, and a daemon restart."""
import ecsd

ACCOUNT = "000000000000"
ASG = ("arn:aws:autoscaling:us-east-1:%s:autoScalingGroup:0d6c:"
       "autoScalingGroupName/" % ACCOUNT)
MI = {"infrastructureRoleArn": "arn:aws:iam::%s:role/infra" % ACCOUNT,
      "instanceLaunchTemplate": {
          "ec2InstanceProfileArn":
              "arn:aws:iam::%s:instance-profile/ecs" % ACCOUNT,
          "networkConfiguration": {"subnets": ["subnet-1"],
                                   "securityGroups": ["sg-1"]}}}


def cp_arn(name, region="us-east-1"):
    return "arn:aws:ecs:%s:%s:capacity-provider/%s" % (region, ACCOUNT, name)


class CapacityProviders(ecsd.TestCase):
    def create(self, name, group=None, client=None, **extra):
        client = client or self.ecs
        return client.create_capacity_provider(
            name=name, autoScalingGroupProvider=dict(
                autoScalingGroupArn=ASG + (group or name), **extra)
        )["capacityProvider"]

    def test_builtins(self):
        out = self.ecs.describe_capacity_providers()
        self.assertEqual(out["capacityProviders"], [
            {"capacityProviderArn": cp_arn("FARGATE"), "name": "FARGATE",
             "status": "ACTIVE", "type": "FARGATE", "tags": []},
            {"capacityProviderArn": cp_arn("FARGATE_SPOT"),
             "name": "FARGATE_SPOT", "status": "ACTIVE",
             "type": "FARGATE_SPOT", "tags": []}])
        out = self.d.aws("ecs", "describe-capacity-providers",
                         "--capacity-providers", cp_arn("FARGATE_SPOT"))
        self.assertEqual(out["capacityProviders"][0]["name"], "FARGATE_SPOT")
        err = self.assertEcsError("ClientException",
                                  self.ecs.delete_capacity_provider,
                                  capacityProvider="FARGATE")
        self.assertIn("reserved", err["Message"])
        self.assertEcsError("ClientException",
                            self.ecs.update_capacity_provider,
                            name="FARGATE_SPOT", autoScalingGroupProvider={})

    def test_create_and_describe_with_boto3(self):
        cp = self.ecs.create_capacity_provider(
            name="web", autoScalingGroupProvider={
                "autoScalingGroupArn": ASG + "web",
                "managedScaling": {"status": "ENABLED", "targetCapacity": 90},
                "managedTerminationProtection": "ENABLED"},
            tags=[{"key": "team", "value": "a"}])["capacityProvider"]
        self.assertEqual(cp["capacityProviderArn"], cp_arn("web"))
        self.assertEqual(cp["status"], "ACTIVE")
        self.assertEqual(cp["type"], "EC2_AUTOSCALING")
        self.assertEqual(cp["tags"], [{"key": "team", "value": "a"}])
        self.assertEqual(cp["autoScalingGroupProvider"], {
            "autoScalingGroupArn": ASG + "web",
            "managedScaling": {"status": "ENABLED", "targetCapacity": 90,
                               "minimumScalingStepSize": 1,
                               "maximumScalingStepSize": 10000,
                               "instanceWarmupPeriod": 300},
            "managedTerminationProtection": "ENABLED",
            "managedDraining": "ENABLED"})
        out = self.ecs.describe_capacity_providers(
            capacityProviders=["web", cp_arn("web"), "nope",
                               cp_arn("web", "eu-west-1")])
        self.assertEqual([c["name"] for c in out["capacityProviders"]],
                         ["web", "web"])
        self.assertEqual(out["capacityProviders"][0]["tags"], [])
        self.assertEqual(out["failures"], [
            {"arn": cp_arn("nope"), "reason": "MISSING"},
            {"arn": cp_arn("web", "eu-west-1"), "reason": "MISSING"}])
        tagged = self.ecs.describe_capacity_providers(
            capacityProviders=["web"], include=["TAGS"])
        self.assertEqual(tagged["capacityProviders"][0], cp)

    def test_create_with_cli(self):
        out = self.d.aws(
            "ecs", "create-capacity-provider", "--name", "cli",
            "--auto-scaling-group-provider",
            "autoScalingGroupArn=%scli,managedScaling={status=ENABLED,"
            "targetCapacity=100},managedTerminationProtection=DISABLED" % ASG,
            "--tags", "key=k,value=v")
        self.assertEqual(out["capacityProvider"]["capacityProviderArn"],
                         cp_arn("cli"))
        out = self.d.aws("ecs", "describe-capacity-providers",
                         "--capacity-providers", "cli", "--include", "TAGS")
        self.assertEqual(out["capacityProviders"][0]["tags"],
                         [{"key": "k", "value": "v"}])
        rc, _, err = self.d.aws(
            "ecs", "create-capacity-provider", "--name", "cli",
            "--auto-scaling-group-provider",
            "autoScalingGroupArn=%sother" % ASG, check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("ClientException", err)
        self.assertIn("already exists", err)

    def test_create_errors(self):
        for name in ("aws-x", "ecsThing", "Fargate2", "bad name", "x" * 256):
            self.assertEcsError("InvalidParameterException", self.create, name,
                                group="g")
        self.create("one", group="g1")
        err = self.assertEcsError("ClientException", self.create, "one",
                                  group="g2")
        self.assertEqual(err["Message"], "The specified capacity provider "
                         "already exists. To change the configuration of an "
                         "existing capacity provider, update the capacity "
                         "provider.")
        err = self.assertEcsError("ClientException", self.create, "two",
                                  group="g1")
        self.assertIn("Auto Scaling group ARN is already being used",
                      err["Message"])
        loose = self.d.boto3(validate=False)
        self.assertEcsError("InvalidParameterException",
                            loose.create_capacity_provider, name="none")
        self.assertEcsError("InvalidParameterException",
                            loose.describe_capacity_providers, maxResults=11)
        self.assertEcsError("InvalidParameterException",
                            loose.describe_capacity_providers, nextToken="bad")

    def test_describe_pages(self):
        names = ["cp%02d" % i for i in range(13)]
        for i, n in enumerate(reversed(names)):
            self.create(n)
        seen, token, sizes = [], None, []
        for _ in range(10):
            kw = {"maxResults": 4}
            if token:
                kw["nextToken"] = token
            page = self.ecs.describe_capacity_providers(**kw)
            sizes.append(len(page["capacityProviders"]))
            seen += [c["name"] for c in page["capacityProviders"]]
            token = page.get("nextToken")
            if not token:
                break
        self.assertEqual(sizes, [4, 4, 4, 3])
        self.assertEqual(seen, names + ["FARGATE", "FARGATE_SPOT"])
        first = self.d.aws("ecs", "describe-capacity-providers")
        self.assertEqual(len(first["capacityProviders"]), 10)
        rest = self.d.aws("ecs", "describe-capacity-providers",
                          "--next-token", first["nextToken"])
        self.assertEqual([c["name"] for c in rest["capacityProviders"]],
                         names[10:] + ["FARGATE", "FARGATE_SPOT"])
        self.assertNotIn("nextToken", rest)

    def test_update(self):
        self.create("u")
        out = self.d.aws(
            "ecs", "update-capacity-provider", "--name", "u",
            "--auto-scaling-group-provider",
            "managedScaling={status=ENABLED,targetCapacity=50,"
            "minimumScalingStepSize=2,maximumScalingStepSize=30,"
            "instanceWarmupPeriod=200},managedTerminationProtection=DISABLED,"
            "managedDraining=DISABLED")["capacityProvider"]
        self.assertEqual(out["updateStatus"], "UPDATE_IN_PROGRESS")
        now = self.ecs.describe_capacity_providers(
            capacityProviders=[cp_arn("u")])["capacityProviders"][0]
        self.assertEqual(now["updateStatus"], "UPDATE_COMPLETE")
        self.assertEqual(now["autoScalingGroupProvider"]["managedScaling"], {
            "status": "ENABLED", "targetCapacity": 50,
            "minimumScalingStepSize": 2, "maximumScalingStepSize": 30,
            "instanceWarmupPeriod": 200})
        self.assertEqual(now["autoScalingGroupProvider"]["managedDraining"],
                         "DISABLED")
        self.assertEcsError("ClientException",
                            self.ecs.update_capacity_provider, name="nope",
                            autoScalingGroupProvider={})
        self.assertEcsError("InvalidParameterException",
                            self.ecs.update_capacity_provider, name="u",
                            autoScalingGroupProvider={"managedScaling": {
                                "minimumScalingStepSize": 40}})

    def test_delete(self):
        self.create("d")
        self.ecs.create_cluster(clusterName="c", capacityProviders=["d"],
                                defaultCapacityProviderStrategy=[
                                    {"capacityProvider": "d", "weight": 1}])
        # While associated, ECS accepts the call and reports the failure.
        cp = self.ecs.delete_capacity_provider(
            capacityProvider="d")["capacityProvider"]
        self.assertEqual((cp["status"], cp["updateStatus"]),
                         ("ACTIVE", "DELETE_FAILED"))
        self.assertEqual(cp["updateStatusReason"],
                         "The capacity provider cannot be deleted because it "
                         "is associated with cluster: c. Remove the capacity "
                         "provider from the cluster and try again.")
        self.assertEqual(self.ecs.describe_capacity_providers(
            capacityProviders=["d"])["capacityProviders"][0]["updateStatus"],
            "DELETE_FAILED")
        self.ecs.put_cluster_capacity_providers(
            cluster="c", capacityProviders=[],
            defaultCapacityProviderStrategy=[])
        cp = self.d.aws("ecs", "delete-capacity-provider",
                        "--capacity-provider", cp_arn("d"))["capacityProvider"]
        self.assertEqual(cp["updateStatus"], "DELETE_IN_PROGRESS")
        gone = self.ecs.describe_capacity_providers(
            capacityProviders=["d"])["capacityProviders"][0]
        self.assertEqual((gone["status"], gone["updateStatus"]),
                         ("INACTIVE", "DELETE_COMPLETE"))
        self.assertNotIn("d", [c["name"] for c in
                               self.ecs.describe_capacity_providers()[
                                   "capacityProviders"]])
        err = self.assertEcsError("ClientException",
                                  self.ecs.delete_capacity_provider,
                                  capacityProvider="d")
        self.assertIn("capacity provider does not exist", err["Message"])
        self.assertEcsError("InvalidParameterException",
                            self.ecs.put_cluster_capacity_providers,
                            cluster="c", capacityProviders=["d"],
                            defaultCapacityProviderStrategy=[])
        # The name and the Auto Scaling group can be used again.
        self.assertEqual(self.create("d")["status"], "ACTIVE")

    def test_one_cluster_per_auto_scaling_group_provider(self):
        self.create("only")
        self.ecs.create_cluster(clusterName="a", capacityProviders=["only"])
        err = self.assertEcsError("InvalidParameterException",
                                  self.ecs.create_cluster, clusterName="b",
                                  capacityProviders=["only"])
        self.assertIn("already associated with cluster 'a'", err["Message"])
        # Deleting the cluster lets go of it.
        self.ecs.delete_cluster(cluster="a")
        self.ecs.create_cluster(clusterName="b", capacityProviders=["only"])
        self.assertEcsError("InvalidParameterException",
                            self.ecs.put_cluster_capacity_providers,
                            cluster="b", capacityProviders=["only", "FARGATE"],
                            defaultCapacityProviderStrategy=[
                                {"capacityProvider": "only"},
                                {"capacityProvider": "FARGATE"}])

    def test_managed_instances_provider(self):
        self.assertEcsError("ClusterNotFoundException",
                            self.ecs.create_capacity_provider, name="mi",
                            cluster="c", managedInstancesProvider=MI)
        self.assertEcsError("InvalidParameterException",
                            self.ecs.create_capacity_provider, name="mi",
                            managedInstancesProvider=MI)
        self.ecs.create_cluster(clusterName="c")
        cp = self.ecs.create_capacity_provider(
            name="mi", cluster="c", managedInstancesProvider=MI,
            tags=[{"key": "k", "value": "v"}])["capacityProvider"]
        self.assertEqual((cp["type"], cp["cluster"]), ("MANAGED_INSTANCES", "c"))
        self.assertEqual(cp["managedInstancesProvider"], MI)
        self.assertIn("mi", self.ecs.describe_clusters(
            clusters=["c"])["clusters"][0]["capacityProviders"])
        listed = self.ecs.describe_capacity_providers(cluster="c")
        self.assertEqual([c["name"] for c in listed["capacityProviders"]],
                         ["mi"])
        self.assertNotIn("mi", [c["name"] for c in self.ecs.
                                describe_capacity_providers()[
                                    "capacityProviders"]])
        err = self.assertEcsError("ClientException", self.ecs.delete_cluster,
                                  cluster="c")
        self.assertIn("Cluster Scoped Capacity Providers", err["Message"])
        self.ecs.delete_capacity_provider(capacityProvider="mi", cluster="c")
        self.assertEqual(self.ecs.describe_clusters(
            clusters=["c"])["clusters"][0]["capacityProviders"], [])
        self.assertEqual(self.ecs.delete_cluster(cluster="c")["cluster"]
                         ["status"], "INACTIVE")

    def test_regions_are_apart(self):
        eu = self.d.boto3("eu-west-1")
        self.create("here")
        out = eu.describe_capacity_providers(capacityProviders=["here"])
        self.assertEqual(out["capacityProviders"], [])
        self.assertEqual(out["failures"], [{"arn": cp_arn("here", "eu-west-1"),
                                            "reason": "MISSING"}])
        self.assertEqual([c["capacityProviderArn"] for c in
                          eu.describe_capacity_providers()["capacityProviders"]],
                         [cp_arn("FARGATE", "eu-west-1"),
                          cp_arn("FARGATE_SPOT", "eu-west-1")])
        self.assertEcsError("ClientException", eu.delete_capacity_provider,
                            capacityProvider=cp_arn("here"))
        # Same name and group in another region: a different provider.
        self.assertEqual(self.create("here", client=eu)["capacityProviderArn"],
                         cp_arn("here", "eu-west-1"))

    def test_state_survives_restart(self):
        self.ecs.create_capacity_provider(
            name="kept", autoScalingGroupProvider={
                "autoScalingGroupArn": ASG + "kept"},
            tags=[{"key": "k", "value": "v"}])
        self.create("gone")
        self.ecs.delete_capacity_provider(capacityProvider="gone")
        self.ecs.create_cluster(clusterName="c", capacityProviders=["kept"])
        before = self.ecs.describe_capacity_providers(
            capacityProviders=["kept", "gone"], include=["TAGS"])
        self.d.restart()
        self.ecs = self.d.boto3()
        after = self.ecs.describe_capacity_providers(
            capacityProviders=["kept", "gone"], include=["TAGS"])
        self.assertEqual(after["capacityProviders"],
                         before["capacityProviders"])
        self.assertEqual(after["capacityProviders"][1]["status"], "INACTIVE")
        self.assertEqual(self.ecs.describe_clusters(
            clusters=["c"])["clusters"][0]["capacityProviders"], ["kept"])
