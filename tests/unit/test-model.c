/*
 * test-model.c - model-driven validation of requests (api/model.c): what
 * the model says about types, and that members it does not know are
 * dropped before any handler sees them.
 */
#include <jansson.h>

#include "../../api/api.h"
#include "unit.h"

/*
 * An unknown member inside a structure the handler stores as it came
 * (CreateCapacityProvider's autoScalingGroupProvider) used to be echoed
 * back: a ServerException under --check-output, junk in the store without.
 * The fuzzer found it.
 */
TEST(model_unknown_members_are_dropped_at_every_depth)
{
	int st = 0;
	json_t *doc, *asg;

	unit_store_setup();
	doc = unit_call("CreateCapacityProvider", "{\"name\":\"cp\",\"junk\":1,"
	    "\"autoScalingGroupProvider\":{\"autoScalingGroupArn\":"
	    "\"arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:"
	    "0b9e1f5c-1a2b-4c3d-8e9f-0a1b2c3d4e5f:autoScalingGroupName/asg\","
	    "\"managedScalinc\":{\"x\":1},\"managedScaling\":{\"status\":"
	    "\"ENABLED\",\"bogus\":[1]}}}", &st);
	ASSERT_INT_EQ(st, 200);
	asg = json_object_get(json_object_get(doc, "capacityProvider"),
	    "autoScalingGroupProvider");
	ASSERT_NOT_NULL(asg);
	ASSERT_NULL(json_object_get(asg, "managedScalinc"));
	ASSERT_NULL(json_object_get(json_object_get(asg, "managedScaling"),
	    "bogus"));
	json_decref(doc);

	doc = unit_call("DescribeCapacityProviders", "{\"capacityProviders\":"
	    "[\"cp\"]}", &st);
	ASSERT_INT_EQ(st, 200);
	json_decref(doc);
}

TEST(model_drops_unknown_members_in_lists_and_keeps_map_keys)
{
	json_t *in;
	char *err = NULL, *msg = NULL;
	enum ecs_error e = ECS_OK;

	ASSERT_INT_EQ(model_init(&err), 0);
	in = json_loads("{\"family\":\"f\",\"nope\":true,\"containerDefinitions\":"
	    "[{\"name\":\"a\",\"image\":\"x\",\"x.y\":1,\"dockerLabels\":"
	    "{\"free.form\":\"kept\"}}]}", 0, NULL);
	ASSERT_INT_EQ(model_check_input("RegisterTaskDefinition", in, &e, &msg),
	    0);
	ASSERT_NULL(json_object_get(in, "nope"));
	ASSERT_NULL(json_object_get(json_array_get(json_object_get(in,
	    "containerDefinitions"), 0), "x.y"));
	ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(
	    json_array_get(json_object_get(in, "containerDefinitions"), 0),
	    "dockerLabels"), "free.form")), "kept");
	json_decref(in);
}

TEST(model_type_errors_are_client_exceptions)
{
	json_t *in = json_loads("{\"clusters\":{\"a\":1}}", 0, NULL);
	char *err = NULL, *msg = NULL;
	enum ecs_error e = ECS_OK;

	ASSERT_INT_EQ(model_init(&err), 0);
	ASSERT_INT_EQ(model_check_input("DescribeClusters", in, &e, &msg), -1);
	ASSERT_INT_EQ(e, ECS_ERR_CLIENT);
	ASSERT_STR_EQ(msg, "Value at 'clusters' must be a list, not an object.");
	free(msg);
	json_decref(in);
}

/* A real too large for any integer (the fuzzer's 8e080 as a port). */
TEST(model_huge_reals_are_not_integers)
{
	json_t *in = json_loads("{\"family\":\"web\",\"containerDefinitions\":"
	    "[{\"name\":\"web\",\"portMappings\":[{\"containerPort\":8e080}"
	    "]}]}", 0, NULL);
	char *err = NULL, *msg = NULL;
	enum ecs_error e = ECS_OK;

	ASSERT_INT_EQ(model_init(&err), 0);
	ASSERT_INT_EQ(model_check_input("RegisterTaskDefinition", in, &e, &msg),
	    -1);
	ASSERT_INT_EQ(e, ECS_ERR_CLIENT);
	ASSERT(strstr(msg, "must be an integer") != NULL);
	free(msg);
	json_decref(in);
}
