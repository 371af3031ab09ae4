"""PutAttributes, DeleteAttributes and ListAttributes through boto3, aws-cli
and raw signed requests, on container instances registered with
RegisterContainerInstance: names and values, targets by id and ARN, the
per-call and per-instance limits, filters, pagination, clusters and regions
kept apart, and attributes surviving a restart."""
import ecsd

CI = "container-instance"


def custom(attrs):
    """The attributes a user set (ECS's own are named ecs.* and
    com.amazonaws.ecs.*), as sorted (instance id, name, value) tuples."""
    return sorted((a["targetId"].rsplit("/", 1)[1], a["name"], a.get("value"))
                  for a in attrs if not a["name"].startswith(
                      ("ecs.", "com.amazonaws.ecs.")))


class Attributes(ecsd.TestCase):
    def register(self, cluster="c1", region="us-east-1"):
        ecs = self.d.boto3(region)
        ci = ecs.register_container_instance(
            cluster=cluster, totalResources=[
                {"name": "CPU", "type": "INTEGER", "integerValue": 1024},
                {"name": "MEMORY", "type": "INTEGER", "integerValue": 2048}],
        )["containerInstance"]
        return ci["containerInstanceArn"]

    def setUp(self):
        super().setUp()
        self.ecs.create_cluster(clusterName="c1")
        self.ecs.create_cluster(clusterName="c2")
        self.a = self.register()
        self.b = self.register()
        self.aid = self.a.rsplit("/", 1)[1]
        self.bid = self.b.rsplit("/", 1)[1]

    def listed(self, ecs=None, cluster="c1", **kw):
        pages = (ecs or self.ecs).get_paginator("list_attributes")
        out = []
        for page in pages.paginate(cluster=cluster, targetType=CI, **kw):
            out.extend(page["attributes"])
        return out

    def test_put_list_delete_with_boto3(self):
        out = self.ecs.put_attributes(cluster="c1", attributes=[
            {"name": "stack", "value": "prod", "targetId": self.a},
            {"name": "gpu", "targetId": self.aid, "targetType": CI},
            {"name": "stack", "value": "dev", "targetId": self.b}])
        self.assertEqual(out["attributes"][1],
                         {"name": "gpu", "targetId": self.aid,
                          "targetType": CI})
        self.assertEqual(custom(self.listed()), sorted([
            (self.aid, "gpu", None), (self.aid, "stack", "prod"),
            (self.bid, "stack", "dev")]))
        # ListAttributes names targets by ARN.
        got = self.listed(attributeName="stack", attributeValue="dev")
        self.assertEqual(got, [{"name": "stack", "value": "dev",
                                "targetId": self.b}])
        out = self.ecs.delete_attributes(cluster="c1", attributes=[
            {"name": "stack", "targetId": self.a},
            {"name": "never-set", "targetId": self.a}])
        self.assertEqual(out["attributes"], [
            {"name": "stack", "value": "prod", "targetId": self.a}])
        self.assertEqual(custom(self.listed()), sorted([
            (self.aid, "gpu", None), (self.bid, "stack", "dev")]))
        # DescribeContainerInstances shows them on the instance.
        ci = self.ecs.describe_container_instances(
            cluster="c1", containerInstances=[self.a])["containerInstances"][0]
        self.assertIn("gpu", [a["name"] for a in ci["attributes"]])

    def test_with_aws_cli(self):
        out = self.d.aws("ecs", "put-attributes", "--cluster", "c1",
                         "--attributes",
                         "name=stack,value=production,targetId=%s" % self.a)
        self.assertEqual(out["attributes"], [
            {"name": "stack", "value": "production", "targetId": self.a}])
        out = self.d.aws("ecs", "list-attributes", "--cluster", "c1",
                         "--target-type", CI, "--attribute-name", "stack",
                         "--attribute-value", "production")
        self.assertEqual(out["attributes"], [
            {"name": "stack", "value": "production", "targetId": self.a}])
        out = self.d.aws("ecs", "delete-attributes", "--cluster", "c1",
                         "--attributes", "name=stack,targetId=%s" % self.a)
        self.assertEqual(out["attributes"][0]["value"], "production")
        rc, _, err = self.d.aws("ecs", "put-attributes", "--cluster", "c1",
                                "--attributes",
                                "name=x,targetId=%s" % self.a.replace(
                                    self.aid, "0" * 32), check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("TargetNotFoundException", err)
        rc, _, err = self.d.aws("ecs", "list-attributes", "--cluster", "nope",
                                "--target-type", CI, check=False)
        self.assertIn("ClusterNotFoundException", err)

    def test_targets(self):
        other = self.register(cluster="c2")
        # An instance of another cluster is no target here.
        self.assertEcsError("TargetNotFoundException", self.ecs.put_attributes,
                            cluster="c1", attributes=[
                                {"name": "x", "targetId": other}])
        self.assertEcsError("TargetNotFoundException", self.ecs.put_attributes,
                            cluster="c1", attributes=[
                                {"name": "x", "targetId": other.rsplit("/", 1)[1],
                                 "targetType": CI}])
        # A bare id needs targetType; every attribute needs a target.
        self.assertEcsError("InvalidParameterException",
                            self.ecs.put_attributes, cluster="c1",
                            attributes=[{"name": "x", "targetId": self.aid}])
        self.assertEcsError("InvalidParameterException",
                            self.ecs.put_attributes, cluster="c1",
                            attributes=[{"name": "x"}])
        # A failing call leaves nothing behind.
        self.assertEcsError("TargetNotFoundException", self.ecs.put_attributes,
                            cluster="c1", attributes=[
                                {"name": "new", "targetId": self.a},
                                {"name": "x", "targetId": other}])
        self.assertEqual(custom(self.listed()), [])
        # Deregistered instances lose their attributes and are no target.
        self.ecs.put_attributes(cluster="c1", attributes=[
            {"name": "x", "targetId": self.b}])
        self.ecs.deregister_container_instance(cluster="c1",
                                               containerInstance=self.b)
        self.assertEqual(custom(self.listed()), [])
        self.assertEcsError("TargetNotFoundException", self.ecs.put_attributes,
                            cluster="c1", attributes=[
                                {"name": "x", "targetId": self.b}])

    def test_clusters(self):
        self.assertEcsError("ClusterNotFoundException",
                            self.ecs.list_attributes, cluster="nope",
                            targetType=CI)
        self.assertEcsError("ClusterNotFoundException", self.ecs.put_attributes,
                            attributes=[{"name": "x", "targetId": self.a}])
        self.assertEcsError("ClusterNotFoundException",
                            self.ecs.delete_attributes, cluster="nope",
                            attributes=[{"name": "x", "targetId": self.a}])
        arn = self.ecs.describe_clusters(clusters=["c1"])["clusters"][0]["clusterArn"]
        self.ecs.put_attributes(cluster=arn, attributes=[
            {"name": "x", "targetId": self.a}])
        self.assertEqual(len(custom(self.listed(cluster=arn))), 1)
        self.assertEqual(custom(self.listed(cluster="c2")), [])
        status, doc = self.d.raw("ListAttributes", {"cluster": "c1"})
        self.assertEqual((status, doc["__type"]),
                         (400, "InvalidParameterException"))
        status, doc = self.d.raw("ListAttributes", {"cluster": "c1",
                                                     "targetType": "task"})
        self.assertEqual(doc["__type"], "InvalidParameterException")
        status, doc = self.d.raw("ListAttributes", {
            "cluster": "c1", "targetType": CI, "attributeValue": "x"})
        self.assertEqual(doc["__type"], "InvalidParameterException")

    def test_names_and_values(self):
        raw = self.d.boto3(validate=False)
        for name in ("", "a b", "a:b", "a@b", "a" * 129):
            self.assertEcsError("InvalidParameterException", raw.put_attributes,
                                cluster="c1", attributes=[
                                    {"name": name, "targetId": self.a}])
        for value in ("", " a", "a ", "a!b", "a=b", "v" * 129):
            self.assertEcsError("InvalidParameterException", raw.put_attributes,
                                cluster="c1", attributes=[
                                    {"name": "n", "value": value,
                                     "targetId": self.a}])
        self.ecs.put_attributes(cluster="c1", attributes=[
            {"name": "A-z_0/9\\x.y", "value": "v-1_2.3@h/p\\q:r s",
             "targetId": self.a}])
        self.assertEqual(custom(self.listed()), [
            (self.aid, "A-z_0/9\\x.y", "v-1_2.3@h/p\\q:r s")])

    def test_limits(self):
        eleven = [{"name": "n%d" % i, "targetId": self.a} for i in range(11)]
        err = self.assertEcsError("InvalidParameterException",
                                  self.ecs.put_attributes, cluster="c1",
                                  attributes=eleven)
        self.assertIn("10", err["Message"])
        self.assertEcsError("InvalidParameterException",
                            self.ecs.delete_attributes, cluster="c1",
                            attributes=eleven)
        self.assertEcsError("InvalidParameterException",
                            self.ecs.put_attributes, cluster="c1",
                            attributes=[])
        self.ecs.put_attributes(cluster="c1", attributes=eleven[:10])
        self.assertEcsError("AttributeLimitExceededException",
                            self.ecs.put_attributes, cluster="c1",
                            attributes=[{"name": "more", "targetId": self.a}])
        # Replacing one is fine, and so is another instance.
        self.ecs.put_attributes(cluster="c1", attributes=[
            {"name": "n1", "value": "x", "targetId": self.a},
            {"name": "more", "targetId": self.b}])
        self.assertEqual(len(custom(self.listed())), 11)

    def test_pages(self):
        for target in (self.a, self.b):
            self.ecs.put_attributes(cluster="c1", attributes=[
                {"name": "n%d" % i, "targetId": target} for i in range(7)])
        everything = self.listed()
        self.assertEqual(len(custom(everything)), 14)
        page = self.ecs.list_attributes(cluster="c1", targetType=CI,
                                        maxResults=5)
        self.assertEqual(len(page["attributes"]), 5)
        # A row added before the cursor does not move the pages after it:
        # "-" sorts before every other character a name may have.
        self.ecs.put_attributes(cluster="c1", attributes=[
            {"name": "-", "targetId": page["attributes"][0]["targetId"]}])
        seen = page["attributes"]
        while "nextToken" in page:
            page = self.ecs.list_attributes(cluster="c1", targetType=CI,
                                            maxResults=5,
                                            nextToken=page["nextToken"])
            seen.extend(page["attributes"])
        self.assertEqual(seen, everything)
        out = self.d.aws("ecs", "list-attributes", "--cluster", "c1",
                         "--target-type", CI, "--page-size", "3")
        self.assertEqual(len(custom(out["attributes"])), 15)
        status, doc = self.d.raw("ListAttributes", {
            "cluster": "c1", "targetType": CI, "maxResults": 101})
        self.assertEqual(doc["__type"], "InvalidParameterException")
        status, doc = self.d.raw("ListAttributes", {
            "cluster": "c1", "targetType": CI, "nextToken": "bogus"})
        self.assertEqual(doc["__type"], "InvalidParameterException")

    def test_regions_apart_and_restart(self):
        eu = self.d.boto3("eu-west-1")
        eu.create_cluster(clusterName="c1")
        w = self.register(region="eu-west-1")
        eu.put_attributes(cluster="c1", attributes=[
            {"name": "r", "value": "west", "targetId": w}])
        self.ecs.put_attributes(cluster="c1", attributes=[
            {"name": "r", "value": "east", "targetId": self.a}])
        # An instance of the other region is no target.
        self.assertEcsError("TargetNotFoundException", self.ecs.put_attributes,
                            cluster="c1", attributes=[
                                {"name": "x", "targetId": w}])
        self.assertEqual([a["value"] for a in self.listed(attributeName="r")],
                         ["east"])
        self.assertEqual([a["value"] for a in self.listed(eu, attributeName="r")],
                         ["west"])
        self.d.restart()
        self.ecs, eu = self.d.boto3(), self.d.boto3("eu-west-1")
        self.assertEqual([a["value"] for a in self.listed(eu, attributeName="r")],
                         ["west"])
        self.assertEqual(custom(self.listed()), [(self.aid, "r", "east")])
