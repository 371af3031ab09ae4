/*
 * test-capacity-providers.c - the capacity provider operations through the
 * real dispatch on an in-memory store: names, the built-in FARGATE and
 * FARGATE_SPOT, duplicates, defaults, describe and its pages, update,
 * delete (refused while associated with a cluster, as ECS reports it), and
 * Managed Instances providers that live in one cluster.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../../api/api.h"
#include "../../store/store.h"
#include "unit.h"

#define ACCOUNT "123456789012"
#define CP_ARN "arn:aws:ecs:us-east-1:" ACCOUNT ":capacity-provider/"
#define ASG "arn:aws:autoscaling:us-east-1:" ACCOUNT ":autoScalingGroup:" \
	"1a2b:autoScalingGroupName/"

static json_t *
ok(const char *op, const char *body)
{
	int st = 0;
	json_t *doc = unit_call(op, body, &st);

	if (st != 200)
		UNIT_FAIL("%s %s: %d %s: %s", op, body, st, unit_error_type(doc),
		    json_string_value(json_object_get(doc, "message")));
	return doc;
}

static json_t *
fails(const char *op, const char *body, const char *type)
{
	int st = 0;
	json_t *doc = unit_call(op, body, &st);

	if (unit_error_type(doc) == NULL || strcmp(unit_error_type(doc), type))
		UNIT_FAIL("%s %s: wanted %s, got %d %s", op, body, type, st,
		    json_dumps(doc, 0));
	ASSERT_INT_EQ(st, 400);
	return doc;
}

static void
fails_free(const char *op, const char *body, const char *type)
{
	json_decref(fails(op, body, type));
}

static const char *
str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static void
create_asg(const char *name, const char *group)
{
	char body[512];

	snprintf(body, sizeof body, "{\"name\":\"%s\",\"autoScalingGroupProvider\""
	    ":{\"autoScalingGroupArn\":\"" ASG "%s\"}}", name, group);
	json_decref(ok("CreateCapacityProvider", body));
}

static json_t *
describe(const char *body)
{
	return ok("DescribeCapacityProviders", body);
}

TEST(cp_create_with_defaults)
{
	json_t *doc, *cp, *asg, *ms;

	unit_store_setup();
	doc = ok("CreateCapacityProvider", "{\"name\":\"cp1\","
	    "\"autoScalingGroupProvider\":{\"autoScalingGroupArn\":\"" ASG "g1\","
	    "\"managedScaling\":{\"status\":\"ENABLED\",\"targetCapacity\":80}},"
	    "\"tags\":[{\"key\":\"team\",\"value\":\"a\"}]}");
	cp = json_object_get(doc, "capacityProvider");
	ASSERT_STR_EQ(str(cp, "capacityProviderArn"), CP_ARN "cp1");
	ASSERT_STR_EQ(str(cp, "name"), "cp1");
	ASSERT_STR_EQ(str(cp, "status"), "ACTIVE");
	ASSERT_STR_EQ(str(cp, "type"), "EC2_AUTOSCALING");
	ASSERT_NULL(json_object_get(cp, "cluster"));
	asg = json_object_get(cp, "autoScalingGroupProvider");
	ASSERT_STR_EQ(str(asg, "managedTerminationProtection"), "DISABLED");
	ASSERT_STR_EQ(str(asg, "managedDraining"), "ENABLED");
	ms = json_object_get(asg, "managedScaling");
	ASSERT_STR_EQ(str(ms, "status"), "ENABLED");
	ASSERT_INT_EQ(json_integer_value(json_object_get(ms, "targetCapacity")),
	    80);
	ASSERT_INT_EQ(json_integer_value(json_object_get(ms,
	    "minimumScalingStepSize")), 1);
	ASSERT_INT_EQ(json_integer_value(json_object_get(ms,
	    "maximumScalingStepSize")), 10000);
	ASSERT_INT_EQ(json_integer_value(json_object_get(ms,
	    "instanceWarmupPeriod")), 300);
	ASSERT_STR_EQ(str(json_array_get(json_object_get(cp, "tags"), 0), "key"),
	    "team");
	json_decref(doc);
}

TEST(cp_create_validation)
{
	char body[600];
	json_t *doc;

	unit_store_setup();
	fails_free("CreateCapacityProvider", "{\"name\":\"bad name\","
	    "\"autoScalingGroupProvider\":{\"autoScalingGroupArn\":\"" ASG "g\"}}",
	    "InvalidParameterException");
	for (int i = 0; i < 5; i++) {
		static const char *const names[] = { "aws1", "ECSx", "fargate-x",
		    "FARGATE", "FARGATE_SPOT" };

		snprintf(body, sizeof body, "{\"name\":\"%s\",\"autoScalingGroup"
		    "Provider\":{\"autoScalingGroupArn\":\"" ASG "g\"}}", names[i]);
		fails_free("CreateCapacityProvider", body,
		    "InvalidParameterException");
	}
	fails_free("CreateCapacityProvider", "{\"name\":\"x\"}",
	    "InvalidParameterException");
	fails_free("CreateCapacityProvider", "{\"name\":\"x\","
	    "\"autoScalingGroupProvider\":{\"autoScalingGroupArn\":\"" ASG "g\","
	    "\"managedScaling\":{\"minimumScalingStepSize\":5,"
	    "\"maximumScalingStepSize\":2}}}", "InvalidParameterException");
	fails_free("CreateCapacityProvider", "{\"name\":\"x\",\"cluster\":\"c\","
	    "\"autoScalingGroupProvider\":{\"autoScalingGroupArn\":\"" ASG "g\"}}",
	    "InvalidParameterException");

	/* Duplicates: the name, then the Auto Scaling group. */
	create_asg("one", "g1");
	doc = fails("CreateCapacityProvider", "{\"name\":\"one\","
	    "\"autoScalingGroupProvider\":{\"autoScalingGroupArn\":\"" ASG "g9\"}}",
	    "ClientException");
	ASSERT_STR_EQ(str(doc, "message"), "The specified capacity provider "
	    "already exists. To change the configuration of an existing capacity "
	    "provider, update the capacity provider.");
	json_decref(doc);
	fails_free("CreateCapacityProvider", "{\"name\":\"two\","
	    "\"autoScalingGroupProvider\":{\"autoScalingGroupArn\":\"" ASG "g1\"}}",
	    "ClientException");
	fails_free("DescribeCapacityProviders", "{\"maxResults\":11}",
	    "InvalidParameterException");
}

TEST(cp_builtins_are_described)
{
	json_t *doc, *list, *cp;

	unit_store_setup();
	doc = describe("{\"capacityProviders\":[\"FARGATE\",\"" CP_ARN
	    "FARGATE_SPOT\",\"nope\"]}");
	list = json_object_get(doc, "capacityProviders");
	ASSERT_INT_EQ(json_array_size(list), 2);
	cp = json_array_get(list, 0);
	ASSERT_STR_EQ(str(cp, "capacityProviderArn"), CP_ARN "FARGATE");
	ASSERT_STR_EQ(str(cp, "status"), "ACTIVE");
	ASSERT_STR_EQ(str(cp, "type"), "FARGATE");
	ASSERT_NULL(json_object_get(cp, "autoScalingGroupProvider"));
	ASSERT_STR_EQ(str(json_array_get(list, 1), "type"), "FARGATE_SPOT");
	cp = json_array_get(json_object_get(doc, "failures"), 0);
	ASSERT_STR_EQ(str(cp, "arn"), CP_ARN "nope");
	ASSERT_STR_EQ(str(cp, "reason"), "MISSING");
	json_decref(doc);
	/* They cannot be changed or deleted. */
	fails_free("DeleteCapacityProvider", "{\"capacityProvider\":\"FARGATE\"}",
	    "ClientException");
	fails_free("UpdateCapacityProvider", "{\"name\":\"FARGATE_SPOT\","
	    "\"autoScalingGroupProvider\":{}}", "ClientException");
}

TEST(cp_describe_pages_and_tags)
{
	char name[16];
	json_t *doc, *seen = json_array(), *e;
	char body[512];
	const char *token = NULL;
	size_t i;

	unit_store_setup();
	for (int i = 0; i < 12; i++) {
		char group[16];

		snprintf(name, sizeof name, "cp%02d", 11 - i);
		snprintf(group, sizeof group, "g%d", i);
		create_asg(name, group);
	}
	doc = NULL;
	for (int page = 0; page < 10; page++) {
		if (token != NULL)
			snprintf(body, sizeof body, "{\"maxResults\":5,\"nextToken\":"
			    "\"%s\"}", token);
		else
			snprintf(body, sizeof body, "{\"maxResults\":5}");
		json_decref(doc);
		doc = describe(body);
		ASSERT_INT_EQ(json_array_size(json_object_get(doc,
		    "capacityProviders")), page < 2 ? 5 : 4);
		json_array_foreach(json_object_get(doc, "capacityProviders"), i, e)
			json_array_append_new(seen, json_string(str(e, "name")));
		token = str(doc, "nextToken");
		if (token == NULL)
			break;
	}
	json_decref(doc);
	/* The account's own in name order, then the two built-in ones. */
	ASSERT_INT_EQ(json_array_size(seen), 14);
	ASSERT_STR_EQ(json_string_value(json_array_get(seen, 0)), "cp00");
	ASSERT_STR_EQ(json_string_value(json_array_get(seen, 11)), "cp11");
	ASSERT_STR_EQ(json_string_value(json_array_get(seen, 12)), "FARGATE");
	ASSERT_STR_EQ(json_string_value(json_array_get(seen, 13)),
	    "FARGATE_SPOT");
	json_decref(seen);
	doc = describe("{}");
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "capacityProviders")),
	    10);
	ASSERT(str(doc, "nextToken") != NULL);
	json_decref(doc);
	fails_free("DescribeCapacityProviders", "{\"nextToken\":\"zz\"}",
	    "InvalidParameterException");

	json_decref(ok("CreateCapacityProvider", "{\"name\":\"tagged\","
	    "\"autoScalingGroupProvider\":{\"autoScalingGroupArn\":\"" ASG "t\"},"
	    "\"tags\":[{\"key\":\"k\",\"value\":\"v\"}]}"));
	doc = describe("{\"capacityProviders\":[\"tagged\"]}");
	ASSERT_INT_EQ(json_array_size(json_object_get(json_array_get(
	    json_object_get(doc, "capacityProviders"), 0), "tags")), 0);
	json_decref(doc);
	doc = describe("{\"capacityProviders\":[\"tagged\"],\"include\":"
	    "[\"TAGS\"]}");
	ASSERT_INT_EQ(json_array_size(json_object_get(json_array_get(
	    json_object_get(doc, "capacityProviders"), 0), "tags")), 1);
	json_decref(doc);
}

TEST(cp_update)
{
	json_t *doc, *cp, *ms;

	unit_store_setup();
	create_asg("u", "g");
	doc = ok("UpdateCapacityProvider", "{\"name\":\"u\","
	    "\"autoScalingGroupProvider\":{\"managedScaling\":{\"status\":"
	    "\"ENABLED\",\"targetCapacity\":50},\"managedDraining\":"
	    "\"DISABLED\"}}");
	cp = json_object_get(doc, "capacityProvider");
	ASSERT_STR_EQ(str(cp, "updateStatus"), "UPDATE_IN_PROGRESS");
	ms = json_object_get(json_object_get(cp, "autoScalingGroupProvider"),
	    "managedScaling");
	ASSERT_INT_EQ(json_integer_value(json_object_get(ms, "targetCapacity")),
	    50);
	ASSERT_INT_EQ(json_integer_value(json_object_get(ms,
	    "maximumScalingStepSize")), 10000);
	json_decref(doc);
	/* The update is done by the time anyone looks. */
	doc = describe("{\"capacityProviders\":[\"" CP_ARN "u\"]}");
	cp = json_array_get(json_object_get(doc, "capacityProviders"), 0);
	ASSERT_STR_EQ(str(cp, "updateStatus"), "UPDATE_COMPLETE");
	ASSERT_STR_EQ(str(json_object_get(cp, "autoScalingGroupProvider"),
	    "managedDraining"), "DISABLED");
	json_decref(doc);
	fails_free("UpdateCapacityProvider", "{\"name\":\"nope\","
	    "\"autoScalingGroupProvider\":{}}", "ClientException");
	fails_free("UpdateCapacityProvider", "{\"name\":\"u\","
	    "\"managedInstancesProvider\":{\"infrastructureRoleArn\":\"r\","
	    "\"instanceLaunchTemplate\":{}}}", "InvalidParameterException");
}

TEST(cp_delete_and_associations)
{
	json_t *doc, *cp;

	unit_store_setup();
	create_asg("d", "g");
	json_decref(ok("CreateCluster", "{\"clusterName\":\"c\","
	    "\"capacityProviders\":[\"d\"],\"defaultCapacityProviderStrategy\":"
	    "[{\"capacityProvider\":\"d\",\"weight\":1}]}"));
	/* One cluster at a time for an Auto Scaling group provider. */
	fails_free("CreateCluster", "{\"clusterName\":\"c2\","
	    "\"capacityProviders\":[\"d\"]}", "InvalidParameterException");
	/* No mixing Fargate and Auto Scaling groups in a strategy. */
	fails_free("PutClusterCapacityProviders", "{\"cluster\":\"c\","
	    "\"capacityProviders\":[\"d\",\"FARGATE\"],"
	    "\"defaultCapacityProviderStrategy\":[{\"capacityProvider\":\"d\"},"
	    "{\"capacityProvider\":\"FARGATE\"}]}", "InvalidParameterException");

	/* Associated: ECS takes the call and reports DELETE_FAILED. */
	doc = ok("DeleteCapacityProvider", "{\"capacityProvider\":\"d\"}");
	cp = json_object_get(doc, "capacityProvider");
	ASSERT_STR_EQ(str(cp, "status"), "ACTIVE");
	ASSERT_STR_EQ(str(cp, "updateStatus"), "DELETE_FAILED");
	ASSERT_STR_EQ(str(cp, "updateStatusReason"), "The capacity provider "
	    "cannot be deleted because it is associated with cluster: c. Remove "
	    "the capacity provider from the cluster and try again.");
	json_decref(doc);

	json_decref(ok("PutClusterCapacityProviders", "{\"cluster\":\"c\","
	    "\"capacityProviders\":[],\"defaultCapacityProviderStrategy\":[]}"));
	doc = ok("DeleteCapacityProvider", "{\"capacityProvider\":\"" CP_ARN
	    "d\"}");
	cp = json_object_get(doc, "capacityProvider");
	ASSERT_STR_EQ(str(cp, "updateStatus"), "DELETE_IN_PROGRESS");
	json_decref(doc);
	doc = describe("{\"capacityProviders\":[\"d\"]}");
	cp = json_array_get(json_object_get(doc, "capacityProviders"), 0);
	ASSERT_STR_EQ(str(cp, "status"), "INACTIVE");
	ASSERT_STR_EQ(str(cp, "updateStatus"), "DELETE_COMPLETE");
	json_decref(doc);
	/* Gone from listings and from use; its name and group are free. */
	doc = describe("{}");
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "capacityProviders")),
	    2);
	json_decref(doc);
	doc = fails("DeleteCapacityProvider", "{\"capacityProvider\":\"d\"}",
	    "ClientException");
	ASSERT_STR_EQ(str(doc, "message"), "The specified capacity provider "
	    "does not exist. Specify a valid name or ARN and try again.");
	json_decref(doc);
	fails_free("PutClusterCapacityProviders", "{\"cluster\":\"c\","
	    "\"capacityProviders\":[\"d\"],\"defaultCapacityProviderStrategy\":[]}",
	    "InvalidParameterException");
	create_asg("d", "g");
	create_asg("e", "g2");

	/* Deleting a cluster lets go of its providers. */
	json_decref(ok("PutClusterCapacityProviders", "{\"cluster\":\"c\","
	    "\"capacityProviders\":[\"e\"],\"defaultCapacityProviderStrategy\":"
	    "[]}"));
	json_decref(ok("DeleteCluster", "{\"cluster\":\"c\"}"));
	doc = ok("DeleteCapacityProvider", "{\"capacityProvider\":\"e\"}");
	ASSERT_NULL(json_object_get(json_object_get(doc, "capacityProvider"),
	    "updateStatusReason"));
	json_decref(doc);
}

TEST(cp_describe_by_cluster)
{
	json_t *doc, *list;

	unit_store_setup();
	create_asg("mine", "g1");
	create_asg("theirs", "g2");
	json_decref(ok("CreateCluster", "{\"clusterName\":\"c\","
	    "\"capacityProviders\":[\"FARGATE_SPOT\",\"mine\"]}"));
	doc = describe("{\"cluster\":\"c\"}");
	list = json_object_get(doc, "capacityProviders");
	ASSERT_INT_EQ(json_array_size(list), 2);
	ASSERT_STR_EQ(str(json_array_get(list, 0), "name"), "FARGATE_SPOT");
	ASSERT_STR_EQ(str(json_array_get(list, 1), "name"), "mine");
	json_decref(doc);
	doc = describe("{\"cluster\":\"c\",\"maxResults\":1}");
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "capacityProviders")),
	    1);
	ASSERT(str(doc, "nextToken") != NULL);
	json_decref(doc);
	doc = describe("{\"cluster\":\"c\",\"capacityProviders\":[\"theirs\","
	    "\"mine\"]}");
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "capacityProviders")),
	    1);
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "failures")), 1);
	json_decref(doc);
	fails_free("DescribeCapacityProviders", "{\"cluster\":\"nope\"}",
	    "ClusterNotFoundException");
}

/*
 * A token that decodes but carries a key of another shape is refused, not
 * read past its end (the fuzzer found "s", a one-byte key, read at +2) or
 * used as an index past the built-in providers.
 */
TEST(cp_forged_page_keys_are_refused)
{
	static const char *const all[] = { "s", "b", "b:", "b:9", "b:-1",
	    "b:1x", "c:0", "p:", "x:1", "" };
	static const char *const of_cluster[] = { "c", "c:", "c:-3", "b:0",
	    "p:mine" };
	char body[256];

	unit_store_setup();
	json_decref(ok("CreateCluster", "{\"clusterName\":\"c\"}"));
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		char *token = page_token_make(all[i]);

		snprintf(body, sizeof body, "{\"nextToken\":\"%s\"}", token);
		fails_free("DescribeCapacityProviders", body,
		    "InvalidParameterException");
		free(token);
	}
	for (size_t i = 0; i < sizeof of_cluster / sizeof of_cluster[0]; i++) {
		char *token = page_token_make(of_cluster[i]);

		snprintf(body, sizeof body, "{\"cluster\":\"c\","
		    "\"nextToken\":\"%s\"}", token);
		fails_free("DescribeCapacityProviders", body,
		    "InvalidParameterException");
		free(token);
	}
	/* The last built-in position is a real (empty) page, as is b:0. */
	for (int n = 0; n <= 2; n++) {
		char key[8], *token;
		json_t *doc;

		snprintf(key, sizeof key, "b:%d", n);
		token = page_token_make(key);
		snprintf(body, sizeof body, "{\"nextToken\":\"%s\"}", token);
		doc = describe(body);
		ASSERT_INT_EQ(json_array_size(json_object_get(doc,
		    "capacityProviders")), (size_t)(2 - n));
		json_decref(doc);
		free(token);
	}
}

TEST(cp_managed_instances_live_in_their_cluster)
{
	static const char mi[] = "\"managedInstancesProvider\":{"
	    "\"infrastructureRoleArn\":\"arn:aws:iam::" ACCOUNT ":role/infra\","
	    "\"instanceLaunchTemplate\":{\"ec2InstanceProfileArn\":"
	    "\"arn:aws:iam::" ACCOUNT ":instance-profile/p\","
	    "\"networkConfiguration\":{\"subnets\":[\"subnet-1\"]}}}";
	char body[1024];
	json_t *doc, *cp;

	unit_store_setup();
	snprintf(body, sizeof body, "{\"name\":\"mi\",%s}", mi);
	fails_free("CreateCapacityProvider", body, "InvalidParameterException");
	snprintf(body, sizeof body, "{\"name\":\"mi\",\"cluster\":\"c\",%s}", mi);
	fails_free("CreateCapacityProvider", body, "ClusterNotFoundException");
	json_decref(ok("CreateCluster", "{\"clusterName\":\"c\"}"));
	doc = ok("CreateCapacityProvider", body);
	cp = json_object_get(doc, "capacityProvider");
	ASSERT_STR_EQ(str(cp, "type"), "MANAGED_INSTANCES");
	ASSERT_STR_EQ(str(cp, "cluster"), "c");
	json_decref(doc);

	/* The cluster has it, keeps it through PutClusterCapacityProviders,
	 * and cannot be deleted while it is there. */
	doc = ok("PutClusterCapacityProviders", "{\"cluster\":\"c\","
	    "\"capacityProviders\":[\"FARGATE\"],"
	    "\"defaultCapacityProviderStrategy\":[]}");
	ASSERT_INT_EQ(json_array_size(json_object_get(json_object_get(doc,
	    "cluster"), "capacityProviders")), 2);
	json_decref(doc);
	json_decref(ok("CreateCluster", "{\"clusterName\":\"other\"}"));
	fails_free("PutClusterCapacityProviders", "{\"cluster\":\"other\","
	    "\"capacityProviders\":[\"mi\"],\"defaultCapacityProviderStrategy\":"
	    "[]}", "InvalidParameterException");
	fails_free("DeleteCluster", "{\"cluster\":\"c\"}", "ClientException");
	/* Not listed account-wide; listed with its cluster. */
	doc = describe("{}");
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "capacityProviders")),
	    2);
	json_decref(doc);
	fails_free("DeleteCapacityProvider", "{\"capacityProvider\":\"mi\","
	    "\"cluster\":\"other\"}", "InvalidParameterException");
	doc = ok("UpdateCapacityProvider", "{\"name\":\"mi\",\"cluster\":\"c\","
	    "\"managedInstancesProvider\":{\"infrastructureRoleArn\":"
	    "\"arn:aws:iam::" ACCOUNT ":role/infra2\",\"instanceLaunchTemplate\":"
	    "{\"monitoring\":\"DETAILED\"}}}");
	cp = json_object_get(json_object_get(doc, "capacityProvider"),
	    "managedInstancesProvider");
	ASSERT_STR_EQ(str(cp, "infrastructureRoleArn"),
	    "arn:aws:iam::" ACCOUNT ":role/infra2");
	ASSERT_STR_EQ(str(json_object_get(cp, "instanceLaunchTemplate"),
	    "monitoring"), "DETAILED");
	ASSERT_STR_EQ(str(json_object_get(cp, "instanceLaunchTemplate"),
	    "ec2InstanceProfileArn"), "arn:aws:iam::" ACCOUNT
	    ":instance-profile/p");
	json_decref(doc);
	json_decref(ok("DeleteCapacityProvider", "{\"capacityProvider\":\"mi\"}"));
	doc = ok("DeleteCluster", "{\"cluster\":\"c\"}");
	ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(doc,
	    "cluster"), "status")), "INACTIVE");
	json_decref(doc);
}

TEST(cp_regions_are_apart)
{
	int st;
	json_t *doc;

	unit_store_setup();
	create_asg("here", "g");
	doc = unit_call_region("DescribeCapacityProviders", "eu-west-1",
	    "{\"capacityProviders\":[\"here\",\"" CP_ARN "here\",\"FARGATE\"]}",
	    &st);
	ASSERT_INT_EQ(st, 200);
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "capacityProviders")),
	    1);
	ASSERT_STR_EQ(str(json_array_get(json_object_get(doc,
	    "capacityProviders"), 0), "capacityProviderArn"),
	    "arn:aws:ecs:eu-west-1:" ACCOUNT ":capacity-provider/FARGATE");
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "failures")), 2);
	json_decref(doc);
	/* The same name and group are free in another region. */
	doc = unit_call_region("CreateCapacityProvider", "eu-west-1",
	    "{\"name\":\"here\",\"autoScalingGroupProvider\":{"
	    "\"autoScalingGroupArn\":\"" ASG "g\"}}", &st);
	ASSERT_INT_EQ(st, 200);
	json_decref(doc);
}
