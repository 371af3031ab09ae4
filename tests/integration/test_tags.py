"""TagResource, UntagResource and ListTagsForResource through boto3, aws-cli
and raw signed requests: every taggable resource ecsd can create, the ECS tag
rules, the answers for malformed, short, missing and deleted resources,
regions kept apart, and tags surviving a restart."""
import ecsd

ASG = ("arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:"
       "x:autoScalingGroupName/asg")


def tags(**kv):
    return [{"key": k, "value": v} for k, v in kv.items()]


class Tags(ecsd.TestCase):
    def account(self):
        arn = self.ecs.create_cluster(clusterName="probe")["cluster"]["clusterArn"]
        return arn.split(":")[4]

    def cluster(self, name="c1", region="us-east-1", **kw):
        ecs = self.d.boto3(region)
        return ecs.create_cluster(clusterName=name, **kw)["cluster"]["clusterArn"]

    def listed(self, arn, ecs=None):
        return (ecs or self.ecs).list_tags_for_resource(resourceArn=arn)["tags"]

    def test_cluster_tags_with_boto3(self):
        arn = self.cluster(tags=tags(created="yes"))
        self.assertEqual(self.listed(arn), tags(created="yes"))
        self.ecs.tag_resource(resourceArn=arn, tags=tags(env="dev", team="a b"))
        self.ecs.tag_resource(resourceArn=arn, tags=tags(env="prod"))
        self.assertEqual(self.listed(arn),
                         tags(created="yes", env="prod", team="a b"))
        self.ecs.untag_resource(resourceArn=arn, tagKeys=["created", "nope"])
        self.assertEqual(self.listed(arn), tags(env="prod", team="a b"))
        # DescribeClusters sees the same tags.
        c = self.ecs.describe_clusters(clusters=["c1"], include=["TAGS"])
        self.assertEqual(c["clusters"][0]["tags"], tags(env="prod", team="a b"))

    def test_cluster_tags_with_aws_cli(self):
        arn = self.cluster()
        out = self.d.aws("ecs", "tag-resource", "--resource-arn", arn,
                         "--tags", "key=env,value=dev", "key=tier,value=web")
        self.assertIsNone(out)
        out = self.d.aws("ecs", "list-tags-for-resource", "--resource-arn", arn)
        self.assertEqual(out, {"tags": tags(env="dev", tier="web")})
        self.d.aws("ecs", "untag-resource", "--resource-arn", arn,
                   "--tag-keys", "env")
        out = self.d.aws("ecs", "list-tags-for-resource", "--resource-arn", arn)
        self.assertEqual(out, {"tags": tags(tier="web")})
        rc, _, err = self.d.aws("ecs", "list-tags-for-resource",
                                "--resource-arn", arn + "x", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("ClusterNotFoundException", err)
        rc, _, err = self.d.aws("ecs", "tag-resource", "--resource-arn",
                                "not-an-arn", "--tags", "key=a,value=b",
                                check=False)
        self.assertIn("InvalidParameterException", err)
        self.assertIn("The ARN provided is invalid.", err)

    def test_task_definition_and_capacity_provider(self):
        td = self.ecs.register_task_definition(
            family="web", containerDefinitions=[
                {"name": "a", "image": "busybox", "memory": 64}],
            tags=tags(v="1"))["taskDefinition"]["taskDefinitionArn"]
        self.ecs.tag_resource(resourceArn=td, tags=tags(w="2"))
        self.assertEqual(self.listed(td), tags(v="1", w="2"))
        self.assertEqual(self.d.aws("ecs", "list-tags-for-resource",
                                    "--resource-arn", td)["tags"],
                         tags(v="1", w="2"))
        cp = self.ecs.create_capacity_provider(
            name="cp1", autoScalingGroupProvider={"autoScalingGroupArn": ASG}
        )["capacityProvider"]["capacityProviderArn"]
        self.ecs.tag_resource(resourceArn=cp, tags=tags(k="v"))
        self.assertEqual(self.listed(cp), tags(k="v"))
        self.ecs.untag_resource(resourceArn=cp, tagKeys=["k"])
        self.assertEqual(self.listed(cp), [])
        # A revision never registered is a missing resource.
        self.assertEcsError("ResourceNotFoundException",
                            self.ecs.list_tags_for_resource,
                            resourceArn=td[:-1] + "7")

    def test_container_instance_tags(self):
        self.cluster()
        ci = self.ecs.register_container_instance(
            cluster="c1", totalResources=[
                {"name": "CPU", "type": "INTEGER", "integerValue": 1024},
                {"name": "MEMORY", "type": "INTEGER", "integerValue": 2048}],
            tags=tags(at="registration"))["containerInstance"]
        arn = ci["containerInstanceArn"]
        self.assertEqual(self.listed(arn), tags(at="registration"))
        self.d.aws("ecs", "tag-resource", "--resource-arn", arn, "--tags",
                   "key=rack,value=r1")
        self.assertEqual(self.listed(arn), tags(at="registration", rack="r1"))
        self.ecs.untag_resource(resourceArn=arn, tagKeys=["at"])
        got = self.ecs.describe_container_instances(
            cluster="c1", containerInstances=[arn], include=["TAGS"])
        self.assertEqual(got["containerInstances"][0]["tags"], tags(rack="r1"))
        self.assertEcsError("ResourceNotFoundException",
                            self.ecs.list_tags_for_resource,
                            resourceArn=arn[:-4] + "0000")

    def test_fargate_providers_are_reserved(self):
        acct = self.account()
        fargate = "arn:aws:ecs:us-east-1:%s:capacity-provider/FARGATE" % acct
        self.assertEqual(self.listed(fargate), [])
        err = self.assertEcsError("ClientException", self.ecs.tag_resource,
                                  resourceArn=fargate, tags=tags(a="b"))
        self.assertIn("reserved", err["Message"])
        self.assertEcsError("ClientException", self.ecs.untag_resource,
                            resourceArn=fargate + "_SPOT", tagKeys=["a"])

    def test_missing_and_deleted_resources(self):
        arn = self.cluster()
        acct = arn.split(":")[4]
        base = "arn:aws:ecs:us-east-1:%s:" % acct
        err = self.assertEcsError("ClusterNotFoundException",
                                  self.ecs.list_tags_for_resource,
                                  resourceArn=base + "cluster/nope")
        self.assertEqual(err["Message"], "Cluster not found.")
        self.assertEcsError("ClusterNotFoundException", self.ecs.tag_resource,
                            resourceArn=base + "service/nope/web",
                            tags=tags(a="b"))
        err = self.assertEcsError("ResourceNotFoundException",
                                  self.ecs.tag_resource,
                                  resourceArn=base + "service/c1/web",
                                  tags=tags(a="b"))
        self.assertEqual(err["Message"], "The specified service wasn't found.")
        self.assertEcsError("ResourceNotFoundException",
                            self.ecs.list_tags_for_resource,
                            resourceArn=base + "task/c1/0123456789abcdef0123456789abcdef")
        self.assertEcsError("ResourceNotFoundException",
                            self.ecs.list_tags_for_resource,
                            resourceArn=base + "capacity-provider/nope")
        # What Terraform checks after destroying a cluster.
        self.ecs.tag_resource(resourceArn=arn, tags=tags(a="b"))
        self.ecs.delete_cluster(cluster="c1")
        err = self.assertEcsError("InvalidParameterException",
                                  self.ecs.list_tags_for_resource,
                                  resourceArn=arn)
        self.assertEqual(err["Message"], "The specified cluster is inactive. "
                         "Specify an active cluster and try again.")

    def test_malformed_and_short_arns(self):
        acct = self.account()
        for bad in ("bogus", "arn:aws:ecr:us-east-1:%s:repository/x" % acct,
                    "arn:aws:ecs:us-east-1:%s:container/c/t/x" % acct,
                    "arn:aws:ecs:us-east-1:%s:task-definition/web" % acct):
            status, doc = self.d.raw("ListTagsForResource", {"resourceArn": bad})
            self.assertEqual((status, doc["__type"], doc["message"]),
                             (400, "InvalidParameterException",
                              "The ARN provided is invalid."), bad)
        status, doc = self.d.raw("TagResource", {
            "resourceArn": "arn:aws:ecs:us-east-1:%s:service/web" % acct,
            "tags": tags(a="b")})
        self.assertEqual(doc["message"],
                         "Long arn format must be used for tagging operations")
        # The model's own checks, which aws-cli would make before sending.
        status, doc = self.d.raw("TagResource", {"resourceArn": "x"})
        self.assertEqual((status, doc["__type"]),
                         (400, "InvalidParameterException"))
        self.assertIn("tags", doc["message"])

    def test_tag_rules(self):
        arn = self.cluster()
        raw = self.d.boto3(validate=False)
        for bad in (tags(**{"aws:x": "1"}), tags(**{"AWS:x": "1"}),
                    [{"key": "a", "value": "1"}, {"key": "a", "value": "2"}],
                    tags(**{"a!b": "1"}), tags(a="x#y"), [{"value": "v"}],
                    tags(**{"": "v"}), tags(**{"k" * 129: "v"}),
                    tags(a="v" * 257)):
            self.assertEcsError("InvalidParameterException", raw.tag_resource,
                                resourceArn=arn, tags=bad)
        self.assertEcsError("InvalidParameterException", raw.untag_resource,
                            resourceArn=arn, tagKeys=["aws:ecs:clusterName"])
        self.ecs.tag_resource(resourceArn=arn, tags=tags(
            **{"a_b.c:d/e=f+g-h@i j": "\u00e9t\u00e9 1", "empty": ""}))
        self.assertEqual(len(self.listed(arn)), 2)
        self.assertEqual(raw.describe_clusters(clusters=[arn], include=["TAGS"])
                         ["clusters"][0]["tags"][1], {"key": "empty", "value": ""})

    def test_fifty_tags_after_merge(self):
        arn = self.cluster(tags=[{"key": "k%d" % i, "value": "v"}
                                 for i in range(49)])
        err = self.assertEcsError("InvalidParameterException",
                                  self.ecs.tag_resource, resourceArn=arn,
                                  tags=tags(n1="v", n2="v"))
        self.assertIn("50", err["Message"])
        self.assertEqual(len(self.listed(arn)), 49)
        # Replacing a key does not count; 50 is the most.
        self.ecs.tag_resource(resourceArn=arn, tags=tags(k0="w", n1="v"))
        self.assertEqual(len(self.listed(arn)), 50)
        self.assertEcsError("InvalidParameterException", self.ecs.tag_resource,
                            resourceArn=arn, tags=tags(n2="v"))
        self.ecs.untag_resource(resourceArn=arn, tagKeys=["n1"])
        self.ecs.tag_resource(resourceArn=arn, tags=tags(n2="v"))

    def test_regions_apart(self):
        east = self.cluster()
        west = self.cluster(region="eu-west-1")
        self.assertNotEqual(east, west)
        eu = self.d.boto3("eu-west-1")
        self.ecs.tag_resource(resourceArn=east, tags=tags(r="east"))
        eu.tag_resource(resourceArn=west, tags=tags(r="west"))
        self.assertEqual(self.listed(east), tags(r="east"))
        self.assertEqual(self.listed(west, eu), tags(r="west"))
        # Each region's ARN is unknown to the other region's callers.
        self.assertEcsError("ClusterNotFoundException", eu.tag_resource,
                            resourceArn=east, tags=tags(x="y"))
        rc, _, err = self.d.aws("ecs", "list-tags-for-resource",
                                "--resource-arn", west, check=False)
        self.assertIn("ClusterNotFoundException", err)
        out = self.d.aws("ecs", "list-tags-for-resource", "--resource-arn",
                         west, region="eu-west-1")
        self.assertEqual(out["tags"], tags(r="west"))

    def test_tags_survive_restart(self):
        arn = self.cluster()
        self.ecs.tag_resource(resourceArn=arn, tags=tags(keep="me", b="2"))
        self.ecs.untag_resource(resourceArn=arn, tagKeys=["b"])
        self.d.restart()
        self.ecs = self.d.boto3()
        self.assertEqual(self.listed(arn), tags(keep="me"))
