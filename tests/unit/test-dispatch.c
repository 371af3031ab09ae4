/*
 * test-dispatch.c - the JSON 1.1 envelope: targets, bodies, model
 * validation, error shapes and regions, and what a write tells the
 * scheduler.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "../../api/api.h"
#include "unit.h"

static void
expect_error(const char *op, const char *body, const char *type, int status)
{
	int st = 0;
	json_t *doc = unit_call(op, body, &st);

	ASSERT_STR_EQ(unit_error_type(doc), type);
	ASSERT_INT_EQ(st, status);
	ASSERT(json_is_string(json_object_get(doc, "message")));
	ASSERT(json_string_length(json_object_get(doc, "message")) > 0);
	json_decref(doc);
}

TEST(dispatch_rejects_bad_bodies)
{
	unit_store_setup();
	expect_error("ListClusters", "{", "ClientException", 400);
	expect_error("ListClusters", "[]", "ClientException", 400);
	expect_error("ListClusters", "{\"a\":\"\xff\"}", "ClientException", 400);
	expect_error("ListClusters", "{\"maxResults\":\"7\"}", "ClientException",
	    400);
	expect_error("ListClusters", "{\"maxResults\":1.5}", "ClientException",
	    400);
	expect_error("ListTasks", "{\"desiredStatus\":\"FOO\"}",
	    "InvalidParameterException", 400);
	expect_error("RegisterTaskDefinition", "{\"family\":\"x\"}",
	    "InvalidParameterException", 400);
	expect_error("NoSuchOperation", "{}", "ClientException", 400);
}

TEST(dispatch_rejects_deep_nesting)
{
	char body[300];
	size_t n = 0;

	unit_store_setup();
	body[n++] = '{';
	body[n++] = '"';
	body[n++] = 'a';
	body[n++] = '"';
	body[n++] = ':';
	for (int i = 0; i < 100; i++)
		body[n++] = '[';
	for (int i = 0; i < 100; i++)
		body[n++] = ']';
	body[n++] = '}';
	body[n] = '\0';
	expect_error("ListClusters", body, "ClientException", 400);
}

TEST(dispatch_unimplemented_is_unsupported)
{
	int st = 0;
	json_t *doc;

	unit_store_setup();
	doc = unit_call("ExecuteCommand", "{\"command\":\"sh\",\"interactive\":"
	    "true,\"task\":\"t\"}", &st);
	ASSERT_STR_EQ(unit_error_type(doc), "UnsupportedFeatureException");
	ASSERT_STR_EQ(json_string_value(json_object_get(doc, "message")),
	    "ecsd does not implement ExecuteCommand yet.");
	json_decref(doc);
}

TEST(dispatch_error_names_are_modeled)
{
	char *err = NULL;

	ASSERT_INT_EQ(model_init(&err), 0);
	for (int e = ECS_OK + 1; e < ECS_ERR_COUNT; e++)
		if (!model_is_exception(api_error_name((enum ecs_error)e)))
			UNIT_FAIL("%s is not a modeled exception",
			    api_error_name((enum ecs_error)e));
	ASSERT_INT_EQ(api_error_status(ECS_ERR_SERVER), 500);
	ASSERT_INT_EQ(api_error_status(ECS_ERR_CLUSTER_NOT_FOUND), 400);
}

/*
 * An X-Amz-Target that is not UTF-8 used to be quoted as is in the message:
 * json_pack refused it, the body was NULL and strlen crashed the daemon.
 */
TEST(dispatch_non_utf8_target_is_a_clear_error)
{
	struct api_response resp = { 0 };
	json_t *doc;

	unit_store_setup();
	api_handle("AmazonEC2ContainerServiceV20141113.List\xec\xff\xc0\xafs",
	    NULL, "{}", 2, &resp);
	ASSERT_INT_EQ(resp.status, 400);
	ASSERT_NOT_NULL(resp.body);
	doc = json_loadb(resp.body, resp.len, 0, NULL);
	ASSERT_NOT_NULL(doc);
	ASSERT_STR_EQ(unit_error_type(doc), "ClientException");
	ASSERT_STR_EQ(json_string_value(json_object_get(doc, "message")),
	    "Unknown operation 'AmazonEC2ContainerServiceV20141113.List????s'.");
	json_decref(doc);
	free(resp.body);
}

/* jansson loads {"a":1<NUL>} as {"a":1}: a raw NUL anywhere is refused. */
TEST(dispatch_raw_nul_is_not_json)
{
	static const struct {
		const char *body;
		size_t len;
	} bodies[] = {
		{ "{\"maxResults\":1\0}", 17 },
		{ "{\"maxResults\":1\0,\"a\":2}", 24 },
		{ "{\"a\":true\0}", 11 },
		{ "{}\0", 3 },
		{ "\0{}", 3 },
	};

	unit_store_setup();
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		struct api_response resp = { 0 };
		json_t *doc;

		api_handle("AmazonEC2ContainerServiceV20141113.ListClusters", NULL,
		    bodies[i].body, bodies[i].len, &resp);
		ASSERT_INT_EQ(resp.status, 400);
		doc = json_loadb(resp.body, resp.len, 0, NULL);
		ASSERT_STR_EQ(unit_error_type(doc), "ClientException");
		ASSERT(strstr(json_string_value(json_object_get(doc, "message")),
		    "NUL byte") != NULL);
		json_decref(doc);
		free(resp.body);
	}
}

/* "%.200s" may cut a character in two: the half left is scrubbed, too. */
TEST(dispatch_message_cut_inside_a_character_is_utf8)
{
	struct api_response resp = { 0 };
	char target[400];
	json_t *doc;
	const char *msg;

	unit_store_setup();
	/* 199 bytes of target, then a two-byte character, then more. */
	snprintf(target, sizeof target, "AmazonEC2ContainerServiceV20141113.%s"
	    "\xc3\xa9tail", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	ASSERT_INT_EQ(strlen(target), 199 + 6);
	api_handle(target, NULL, "{}", 2, &resp);
	ASSERT_INT_EQ(resp.status, 400);
	doc = json_loadb(resp.body, resp.len, 0, NULL);
	ASSERT_NOT_NULL(doc);
	msg = json_string_value(json_object_get(doc, "message"));
	ASSERT_NOT_NULL(msg);
	ASSERT(strstr(msg, "aaaa?'.") != NULL);
	json_decref(doc);
	free(resp.body);
}

/* ---- what a write tells the scheduler (api/ops.c's .kick) ---- */

static int kicks;                 /* how many kicks */
static json_t *kicked;            /* the last kick's ARNs, or null for all */

static void
record_kick(void *arg, json_t *arns)
{
	(void)arg;
	kicks++;
	json_decref(kicked);
	kicked = arns != NULL ? json_deep_copy(arns) : json_null();
}

static json_t *
call_ok(const char *op, const char *body)
{
	int st = 0;
	json_t *doc = unit_call(op, body, &st);

	if (st != 200)
		UNIT_FAIL("%s: %d %s", op, st, json_dumps(doc, 0));
	return doc;
}

/* Runs op and checks it kicked n times (0 or 1) with one ARN of want's
 * kind ("task/", "service/"), or NULL: a full pass. */
static void
expect_kick(const char *op, const char *body, int n, const char *want)
{
	int before = kicks;
	const char *arn;

	json_decref(call_ok(op, body));
	ASSERT_INT_EQ(kicks - before, n);
	if (n == 0)
		return;
	if (want == NULL) {
		ASSERT(json_is_null(kicked));
		return;
	}
	ASSERT_INT_EQ(json_array_size(kicked), 1);
	arn = json_string_value(json_array_get(kicked, 0));
	ASSERT_NOT_NULL(arn);
	ASSERT_NOT_NULL(strstr(arn, want));
}

TEST(dispatch_kicks_the_scheduler_for_what_changed)
{
	json_t *doc;
	char body[512], task[256], instance[256];

	unit_store_setup();
	api_init(api_store(), api_config(), record_kick, NULL);
	/* nothing the scheduler acts on: no kick, so no pass */
	expect_kick("CreateCluster", "{\"clusterName\":\"c\"}", 0, NULL);
	expect_kick("RegisterTaskDefinition", "{\"family\":\"f\","
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"busybox\","
	    "\"memory\":32}]}", 0, NULL);
	expect_kick("TagResource", "{\"resourceArn\":\"arn:aws:ecs:us-east-1:"
	    "123456789012:cluster/c\",\"tags\":[{\"key\":\"k\","
	    "\"value\":\"v\"}]}", 0, NULL);
	expect_kick("PutAccountSetting", "{\"name\":\"containerInsights\","
	    "\"value\":\"enabled\"}", 0, NULL);
	expect_kick("UpdateClusterSettings", "{\"cluster\":\"c\",\"settings\":"
	    "[{\"name\":\"containerInsights\",\"value\":\"enabled\"}]}", 0,
	    NULL);
	expect_kick("ListClusters", "{}", 0, NULL);

	/* tasks: the tasks the answer names */
	doc = call_ok("RunTask", "{\"cluster\":\"c\","
	    "\"taskDefinition\":\"f\"}");
	ASSERT_INT_EQ(kicks, 1);
	snprintf(task, sizeof task, "%s", json_string_value(json_object_get(
	    json_array_get(json_object_get(doc, "tasks"), 0), "taskArn")));
	json_decref(doc);
	ASSERT_STR_EQ(json_string_value(json_array_get(kicked, 0)), task);
	snprintf(body, sizeof body, "{\"cluster\":\"c\",\"task\":\"%s\"}", task);
	expect_kick("StopTask", body, 1, "task/");
	ASSERT_STR_EQ(json_string_value(json_array_get(kicked, 0)), task);
	/* a RunTask that placed nothing changed nothing */
	expect_kick("RunTask", "{\"cluster\":\"c\",\"taskDefinition\":\"f\","
	    "\"placementConstraints\":[{\"type\":\"memberOf\",\"expression\":"
	    "\"attribute:stack == nowhere\"}]}", 0, NULL);

	/* services and task sets: the service */
	expect_kick("CreateService", "{\"cluster\":\"c\",\"serviceName\":\"s\","
	    "\"taskDefinition\":\"f\",\"desiredCount\":1}", 1, "service/c/s");
	expect_kick("UpdateService", "{\"cluster\":\"c\",\"service\":\"s\","
	    "\"desiredCount\":2}", 1, "service/c/s");
	expect_kick("CreateService", "{\"cluster\":\"c\",\"serviceName\":\"x\","
	    "\"taskDefinition\":\"f\",\"desiredCount\":0,"
	    "\"deploymentController\":{\"type\":\"EXTERNAL\"}}", 1,
	    "service/c/x");
	expect_kick("CreateTaskSet", "{\"cluster\":\"c\",\"service\":\"x\","
	    "\"taskDefinition\":\"f\"}", 1, "service/c/x");
	expect_kick("DeleteService", "{\"cluster\":\"c\",\"service\":\"s\","
	    "\"force\":true}", 1, "service/c/s");

	/* where tasks may be placed: everything */
	doc = call_ok("ListContainerInstances", "{\"cluster\":\"c\"}");
	snprintf(instance, sizeof instance, "%s", json_string_value(
	    json_array_get(json_object_get(doc, "containerInstanceArns"), 0)));
	json_decref(doc);
	snprintf(body, sizeof body, "{\"cluster\":\"c\",\"attributes\":[{"
	    "\"name\":\"stack\",\"value\":\"prod\",\"targetId\":\"%s\"}]}",
	    instance);
	expect_kick("PutAttributes", body, 1, NULL);
	json_decref(kicked);
	kicked = NULL;
}

/* Every write with a handler says what it changes, or gets a full pass:
 * the rows that name tasks or a service answer with them (the kick reads
 * the answer), which the test above checks one by one. */
TEST(dispatch_kick_rows_are_writes)
{
	for (size_t i = 0; i < ops_count; i++)
		if (ops_table[i].kick != KICK_ALL)
			ASSERT(ops_table[i].flags & OP_WRITE);
}
