/*
 * test-task-definitions.c - the task definition operations through the real
 * dispatch on an in-memory store: what register stores and describe
 * returns, revisions, status changes, lists and their pages, tags, regions,
 * and taskdef_resolve.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../../api/api.h"
#include "../../store/store.h"
#include "unit.h"

#define ACCT "123456789012"
#define ARN(x) "arn:aws:ecs:us-east-1:" ACCT ":task-definition/" x

static int status;

static json_t *
callr(const char *op, const char *region, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static json_t *
callr(const char *op, const char *region, const char *fmt, ...)
{
	static char body[200000];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	return unit_call_region(op, region, body, &status);
}

#define call(op, ...) callr(op, "us-east-1", __VA_ARGS__)

static json_t *
ok(json_t *doc)
{
	if (status != 200)
		UNIT_FAIL("status %d: %s: %s", status, unit_error_type(doc),
		    json_string_value(json_object_get(doc, "message")));
	return doc;
}

static void
expect_error(json_t *doc, const char *type, const char *needle)
{
	const char *msg = json_string_value(json_object_get(doc, "message"));

	if (status != 400 || unit_error_type(doc) == NULL ||
	    strcmp(unit_error_type(doc), type) != 0)
		UNIT_FAIL("want %s, got %d %s: %s", type, status,
		    unit_error_type(doc), msg);
	if (needle != NULL && (msg == NULL || strstr(msg, needle) == NULL))
		UNIT_FAIL("message \"%s\" lacks \"%s\"", msg, needle);
	json_decref(doc);
}

static json_t *
td_of(json_t *doc)
{
	return json_object_get(doc, "taskDefinition");
}

static const char *
s_at(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Registers a minimal bridge definition of family; returns its revision. */
static int
reg(const char *family)
{
	json_t *doc = ok(call("RegisterTaskDefinition", "{\"family\":\"%s\","
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"busybox\","
	    "\"memory\":32}]}", family));
	int rev = (int)json_integer_value(json_object_get(td_of(doc),
	    "revision"));

	json_decref(doc);
	return rev;
}

static void
dereg(const char *ref)
{
	json_decref(ok(call("DeregisterTaskDefinition", "{\"taskDefinition\":"
	    "\"%s\"}", ref)));
}

static const char full[] =
    "{\"family\":\"web\",\"networkMode\":\"awsvpc\",\"cpu\":\"0.25 vCPU\","
    "\"memory\":\"0.5 GB\",\"executionRoleArn\":\"arn:aws:iam::1:role/x\","
    "\"volumes\":[{\"name\":\"data\"},{\"name\":\"dv\","
    "\"dockerVolumeConfiguration\":{\"driver\":\"local\"}}],"
    "\"containerDefinitions\":["
    "{\"name\":\"web\",\"image\":\"busybox\",\"portMappings\":"
    "[{\"containerPort\":8080},{\"containerPort\":53,\"protocol\":\"udp\","
    "\"hostPort\":53}],\"environment\":[{\"name\":\"B\",\"value\":\"2\"},"
    "{\"name\":\"A\",\"value\":\"1\"}],\"mountPoints\":[{\"sourceVolume\":"
    "\"data\",\"containerPath\":\"/data\"}],\"healthCheck\":{\"command\":"
    "[\"CMD-SHELL\",\"true\"],\"interval\":10},\"dependsOn\":[{\"containerName\":"
    "\"init\",\"condition\":\"SUCCESS\"}],\"dockerLabels\":{\"k\":\"v\"}},"
    "{\"name\":\"init\",\"image\":\"busybox\",\"essential\":false,"
    "\"command\":[\"true\"],\"cpu\":10}]}";

TEST(taskdef_register_fills_what_ecs_fills)
{
	json_t *doc, *td, *web, *init, *pm, *hc, *vol;
	char *a, *b;

	unit_store_setup();
	doc = ok(call("RegisterTaskDefinition", "%s", full));
	td = td_of(doc);
	ASSERT_STR_EQ(s_at(td, "taskDefinitionArn"), ARN("web:1"));
	ASSERT_INT_EQ(json_integer_value(json_object_get(td, "revision")), 1);
	ASSERT_STR_EQ(s_at(td, "status"), "ACTIVE");
	ASSERT_STR_EQ(s_at(td, "cpu"), "256");
	ASSERT_STR_EQ(s_at(td, "memory"), "512");
	ASSERT_STR_EQ(s_at(td, "networkMode"), "awsvpc");
	ASSERT_STR_EQ(s_at(td, "registeredBy"), "arn:aws:iam::" ACCT ":root");
	ASSERT(json_is_number(json_object_get(td, "registeredAt")));
	ASSERT_NULL(json_object_get(td, "requiresCompatibilities"));
	ASSERT_NULL(json_object_get(td, "deregisteredAt"));
	/* awsvpc and a Fargate size, but a Docker volume: not Fargate */
	a = json_dumps(json_object_get(td, "compatibilities"), JSON_COMPACT);
	ASSERT_STR_EQ(a, "[\"EC2\"]");
	free(a);
	ASSERT(json_array_size(json_object_get(td, "requiresAttributes")) > 0);
	ASSERT_INT_EQ(json_array_size(json_object_get(td, "placementConstraints")),
	    0);

	vol = json_array_get(json_object_get(td, "volumes"), 0);
	ASSERT(json_is_object(json_object_get(vol, "host")));
	vol = json_array_get(json_object_get(td, "volumes"), 1);
	ASSERT_STR_EQ(s_at(json_object_get(vol, "dockerVolumeConfiguration"),
	    "scope"), "task");
	ASSERT_NULL(json_object_get(vol, "host"));

	web = json_array_get(json_object_get(td, "containerDefinitions"), 0);
	init = json_array_get(json_object_get(td, "containerDefinitions"), 1);
	ASSERT_STR_EQ(s_at(web, "name"), "web");
	ASSERT_INT_EQ(json_integer_value(json_object_get(web, "cpu")), 0);
	ASSERT(json_is_true(json_object_get(web, "essential")));
	ASSERT_INT_EQ(json_array_size(json_object_get(web, "volumesFrom")), 0);
	ASSERT_INT_EQ(json_array_size(json_object_get(web, "systemControls")), 0);
	/* environment comes back as registered, in its order */
	ASSERT_STR_EQ(s_at(json_array_get(json_object_get(web, "environment"), 0),
	    "name"), "B");
	pm = json_array_get(json_object_get(web, "portMappings"), 0);
	ASSERT_INT_EQ(json_integer_value(json_object_get(pm, "hostPort")), 8080);
	ASSERT_STR_EQ(s_at(pm, "protocol"), "tcp");
	pm = json_array_get(json_object_get(web, "portMappings"), 1);
	ASSERT_STR_EQ(s_at(pm, "protocol"), "udp");
	hc = json_object_get(web, "healthCheck");
	ASSERT_INT_EQ(json_integer_value(json_object_get(hc, "interval")), 10);
	ASSERT_INT_EQ(json_integer_value(json_object_get(hc, "timeout")), 5);
	ASSERT_INT_EQ(json_integer_value(json_object_get(hc, "retries")), 3);
	ASSERT_NULL(json_object_get(hc, "startPeriod"));
	ASSERT_INT_EQ(json_integer_value(json_object_get(init, "cpu")), 10);
	ASSERT(json_is_false(json_object_get(init, "essential")));
	ASSERT_INT_EQ(json_array_size(json_object_get(init, "portMappings")), 0);
	ASSERT_INT_EQ(json_array_size(json_object_get(init, "environment")), 0);
	ASSERT_INT_EQ(json_array_size(json_object_get(init, "mountPoints")), 0);

	/* describe returns exactly what register returned, by every name */
	a = json_dumps(td, JSON_SORT_KEYS);
	json_decref(doc);
	static const char *const refs[] = { "web", "web:1", ARN("web:1") };
	for (size_t i = 0; i < 3; i++) {
		doc = ok(call("DescribeTaskDefinition", "{\"taskDefinition\":"
		    "\"%s\"}", refs[i]));
		b = json_dumps(td_of(doc), JSON_SORT_KEYS);
		ASSERT_STR_EQ(b, a);
		ASSERT_NULL(json_object_get(doc, "tags"));
		free(b);
		json_decref(doc);
	}
	free(a);
}

TEST(taskdef_bridge_defaults_and_unset_network_mode)
{
	json_t *doc, *td, *pm;

	unit_store_setup();
	doc = ok(call("RegisterTaskDefinition", "{\"family\":\"b\","
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\","
	    "\"memory\":10,\"portMappings\":[{\"containerPort\":80},"
	    "{\"containerPort\":81,\"hostPort\":8081}]}]}"));
	td = td_of(doc);
	ASSERT_NULL(json_object_get(td, "networkMode"));
	ASSERT_NULL(json_object_get(td, "cpu"));
	pm = json_object_get(json_array_get(json_object_get(td,
	    "containerDefinitions"), 0), "portMappings");
	ASSERT_INT_EQ(json_integer_value(json_object_get(json_array_get(pm, 0),
	    "hostPort")), 0);
	ASSERT_INT_EQ(json_integer_value(json_object_get(json_array_get(pm, 1),
	    "hostPort")), 8081);
	ASSERT_INT_EQ(json_array_size(json_object_get(td, "compatibilities")), 2);
	ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(td,
	    "compatibilities"), 0)), "EXTERNAL");
	json_decref(doc);
}

TEST(taskdef_revisions_count_up_and_are_never_reused)
{
	json_t *doc;

	unit_store_setup();
	ASSERT_INT_EQ(reg("app"), 1);
	ASSERT_INT_EQ(reg("app"), 2);
	ASSERT_INT_EQ(reg("other"), 1);
	ASSERT_INT_EQ(reg("app"), 3);
	dereg("app:3");
	dereg("app:2");
	doc = ok(call("DeleteTaskDefinitions", "{\"taskDefinitions\":"
	    "[\"app:2\",\"app:3\"]}"));
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "taskDefinitions")), 2);
	json_decref(doc);
	ASSERT_INT_EQ(reg("app"), 4);
}

TEST(taskdef_describe_family_means_latest_active)
{
	json_t *doc;

	unit_store_setup();
	reg("fam");
	reg("fam");
	dereg("fam:2");
	doc = ok(call("DescribeTaskDefinition", "{\"taskDefinition\":\"fam\"}"));
	ASSERT_INT_EQ(json_integer_value(json_object_get(td_of(doc), "revision")),
	    1);
	json_decref(doc);
	/* an INACTIVE revision stays describable by revision */
	doc = ok(call("DescribeTaskDefinition", "{\"taskDefinition\":\"fam:2\"}"));
	ASSERT_STR_EQ(s_at(td_of(doc), "status"), "INACTIVE");
	ASSERT(json_is_number(json_object_get(td_of(doc), "deregisteredAt")));
	json_decref(doc);
	dereg("fam:1");
	expect_error(call("DescribeTaskDefinition", "{\"taskDefinition\":\"fam\"}"),
	    "ClientException", "Unable to describe task definition.");
	expect_error(call("DescribeTaskDefinition", "{\"taskDefinition\":"
	    "\"nope\"}"), "ClientException", "Unable to describe task definition.");
	expect_error(call("DescribeTaskDefinition", "{\"taskDefinition\":"
	    "\"fam:9\"}"), "ClientException", "Unable to describe task definition.");
	expect_error(call("DescribeTaskDefinition", "{\"taskDefinition\":"
	    "\"arn:aws:ecs:eu-west-1:" ACCT ":task-definition/fam:1\"}"),
	    "ClientException", "Unable to describe task definition.");
	expect_error(call("DescribeTaskDefinition", "{\"taskDefinition\":"
	    "\"fam:x\"}"), "InvalidParameterException",
	    "Invalid revision number. Number: x");
}

TEST(taskdef_deregister_rules)
{
	json_t *doc;
	double at;

	unit_store_setup();
	reg("d");
	expect_error(call("DeregisterTaskDefinition", "{\"taskDefinition\":"
	    "\"d\"}"), "ClientException", "Revision is missing.");
	expect_error(call("DeregisterTaskDefinition", "{\"taskDefinition\":"
	    "\"d:7\"}"), "ClientException", "does not exist");
	doc = ok(call("DeregisterTaskDefinition", "{\"taskDefinition\":"
	    "\"" ARN("d:1") "\"}"));
	ASSERT_STR_EQ(s_at(td_of(doc), "status"), "INACTIVE");
	at = json_number_value(json_object_get(td_of(doc), "deregisteredAt"));
	ASSERT(at > 0);
	json_decref(doc);
	/* again: still INACTIVE, same time */
	doc = ok(call("DeregisterTaskDefinition", "{\"taskDefinition\":\"d:1\"}"));
	ASSERT(json_number_value(json_object_get(td_of(doc), "deregisteredAt")) ==
	    at);
	json_decref(doc);
	json_decref(ok(call("DeleteTaskDefinitions",
	    "{\"taskDefinitions\":[\"d:1\"]}")));
	expect_error(call("DeregisterTaskDefinition", "{\"taskDefinition\":"
	    "\"d:1\"}"), "ClientException", "in the process of being deleted");
}

static const char *
failure_reason(json_t *doc, const char *arn)
{
	json_t *f;
	size_t i;

	json_array_foreach(json_object_get(doc, "failures"), i, f)
		if (strcmp(s_at(f, "arn"), arn) == 0)
			return s_at(f, "reason");
	return NULL;
}

TEST(taskdef_delete_moves_inactive_to_delete_in_progress)
{
	json_t *doc, *td;

	unit_store_setup();
	reg("x");
	reg("x");
	dereg("x:1");
	doc = ok(call("DeleteTaskDefinitions", "{\"taskDefinitions\":"
	    "[\"x:1\",\"x:2\",\"x:5\",\"x\",\"bad name\"]}"));
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "taskDefinitions")), 1);
	td = json_array_get(json_object_get(doc, "taskDefinitions"), 0);
	ASSERT_STR_EQ(s_at(td, "status"), "DELETE_IN_PROGRESS");
	ASSERT(json_is_number(json_object_get(td, "deleteRequestedAt")));
	ASSERT(json_is_number(json_object_get(td, "deregisteredAt")));
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "failures")), 4);
	ASSERT_STR_EQ(failure_reason(doc, ARN("x:2")), "The specified task "
	    "definition is still in ACTIVE status. Please deregister the target "
	    "and try again.");
	ASSERT_STR_EQ(failure_reason(doc, ARN("x:5")), "The specified task "
	    "definition does not exist. Specify a valid account, family, revision "
	    "and try again.");
	ASSERT_STR_EQ(failure_reason(doc, "x"), "The specified task definition "
	    "identifier is invalid. Specify a valid name or ARN and try again.");
	ASSERT_NOT_NULL(failure_reason(doc, "bad name"));
	json_decref(doc);
	doc = ok(call("DescribeTaskDefinition", "{\"taskDefinition\":\"x:1\"}"));
	ASSERT_STR_EQ(s_at(td_of(doc), "status"), "DELETE_IN_PROGRESS");
	json_decref(doc);
	expect_error(call("DeleteTaskDefinitions", "{\"taskDefinitions\":[]}"),
	    "InvalidParameterException", "greater than 0");
	expect_error(call("DeleteTaskDefinitions", "{\"taskDefinitions\":"
	    "[\"a:1\",\"a:2\",\"a:3\",\"a:4\",\"a:5\",\"a:6\",\"a:7\",\"a:8\","
	    "\"a:9\",\"a:10\",\"a:11\"]}"), "InvalidParameterException",
	    "cannot exceed 10");
}

/* Every ARN of a ListTaskDefinitions walk with this body and page size. */
static json_t *
list_all(const char *extra, int page, int *pages)
{
	json_t *all = json_array();
	char *token = NULL;

	*pages = 0;
	do {
		char tok[512] = "";
		json_t *doc, *e;
		size_t i;

		if (token != NULL)
			snprintf(tok, sizeof tok, ",\"nextToken\":\"%s\"", token);
		doc = ok(call("ListTaskDefinitions", "{\"maxResults\":%d%s%s}", page,
		    extra, tok));
		(*pages)++;
		json_array_foreach(json_object_get(doc, "taskDefinitionArns"), i, e)
			json_array_append(all, e);
		free(token);
		token = json_object_get(doc, "nextToken") ? xstrdup(s_at(doc,
		    "nextToken")) : NULL;
		json_decref(doc);
	} while (token != NULL && *pages < 100);
	return all;
}

TEST(taskdef_list_sorts_filters_and_pages)
{
	json_t *all;
	int pages;

	unit_store_setup();
	for (int i = 0; i < 3; i++)
		reg("b");
	for (int i = 0; i < 2; i++)
		reg("a");
	reg("bb");
	dereg("b:2");

	all = list_all("", 2, &pages);
	ASSERT_INT_EQ(json_array_size(all), 5);
	ASSERT_INT_EQ(pages, 3);
	ASSERT_STR_EQ(json_string_value(json_array_get(all, 0)), ARN("a:1"));
	ASSERT_STR_EQ(json_string_value(json_array_get(all, 1)), ARN("a:2"));
	ASSERT_STR_EQ(json_string_value(json_array_get(all, 2)), ARN("b:1"));
	ASSERT_STR_EQ(json_string_value(json_array_get(all, 3)), ARN("b:3"));
	ASSERT_STR_EQ(json_string_value(json_array_get(all, 4)), ARN("bb:1"));
	json_decref(all);

	all = list_all(",\"sort\":\"DESC\"", 4, &pages);
	ASSERT_INT_EQ(json_array_size(all), 5);
	ASSERT_INT_EQ(pages, 2);
	ASSERT_STR_EQ(json_string_value(json_array_get(all, 0)), ARN("bb:1"));
	ASSERT_STR_EQ(json_string_value(json_array_get(all, 1)), ARN("b:3"));
	ASSERT_STR_EQ(json_string_value(json_array_get(all, 4)), ARN("a:1"));
	json_decref(all);

	/* familyPrefix is the exact family */
	all = list_all(",\"familyPrefix\":\"b\"", 1, &pages);
	ASSERT_INT_EQ(json_array_size(all), 2);
	ASSERT_INT_EQ(pages, 2);
	json_decref(all);
	all = list_all(",\"status\":\"INACTIVE\"", 100, &pages);
	ASSERT_INT_EQ(json_array_size(all), 1);
	ASSERT_STR_EQ(json_string_value(json_array_get(all, 0)), ARN("b:2"));
	json_decref(all);
	all = list_all(",\"familyPrefix\":\"no such!\"", 100, &pages);
	ASSERT_INT_EQ(json_array_size(all), 0);
	json_decref(all);

	expect_error(call("ListTaskDefinitions", "{\"maxResults\":0}"),
	    "InvalidParameterException", "maxResults");
	expect_error(call("ListTaskDefinitions", "{\"maxResults\":101}"),
	    "InvalidParameterException", "maxResults");
	expect_error(call("ListTaskDefinitions", "{\"nextToken\":\"garbage\"}"),
	    "InvalidParameterException", "nextToken");
}

static json_t *
families(const char *body)
{
	json_t *doc = ok(call("ListTaskDefinitionFamilies", "%s", body));
	json_t *f = json_incref(json_object_get(doc, "families"));

	json_decref(doc);
	return f;
}

static void
expect_list(json_t *list, const char *want)
{
	char *got = json_dumps(list, JSON_COMPACT);

	ASSERT_STR_EQ(got, want);
	free(got);
	json_decref(list);
}

TEST(taskdef_families_by_prefix_and_status)
{
	json_t *doc;

	unit_store_setup();
	reg("web");
	reg("web-api");
	reg("worker");
	reg("db");
	dereg("worker:1");
	expect_list(families("{}"), "[\"db\",\"web\",\"web-api\",\"worker\"]");
	expect_list(families("{\"status\":\"ALL\"}"),
	    "[\"db\",\"web\",\"web-api\",\"worker\"]");
	expect_list(families("{\"status\":\"ACTIVE\"}"),
	    "[\"db\",\"web\",\"web-api\"]");
	expect_list(families("{\"status\":\"INACTIVE\"}"), "[\"worker\"]");
	expect_list(families("{\"familyPrefix\":\"w\"}"),
	    "[\"web\",\"web-api\",\"worker\"]");
	expect_list(families("{\"familyPrefix\":\"web\"}"),
	    "[\"web\",\"web-api\"]");
	expect_list(families("{\"familyPrefix\":\"x\"}"), "[]");
	expect_list(families("{\"familyPrefix\":\"w%%\"}"), "[]");

	doc = ok(call("ListTaskDefinitionFamilies", "{\"maxResults\":3}"));
	expect_list(json_incref(json_object_get(doc, "families")),
	    "[\"db\",\"web\",\"web-api\"]");
	ASSERT_NOT_NULL(json_object_get(doc, "nextToken"));
	{
		json_t *next = ok(call("ListTaskDefinitionFamilies", "{\"maxResults\":"
		    "3,\"nextToken\":\"%s\"}", s_at(doc, "nextToken")));

		expect_list(json_incref(json_object_get(next, "families")),
		    "[\"worker\"]");
		ASSERT_NULL(json_object_get(next, "nextToken"));
		json_decref(next);
	}
	json_decref(doc);
}

TEST(taskdef_tags_at_registration)
{
	json_t *doc, *tags;

	unit_store_setup();
	doc = ok(call("RegisterTaskDefinition", "{\"family\":\"t\","
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\","
	    "\"memory\":8}],\"tags\":[{\"key\":\"team\",\"value\":\"blue\"}]}"));
	ASSERT_STR_EQ(s_at(json_array_get(json_object_get(doc, "tags"), 0),
	    "key"), "team");
	json_decref(doc);
	doc = ok(call("DescribeTaskDefinition", "{\"taskDefinition\":\"t:1\","
	    "\"include\":[\"TAGS\"]}"));
	tags = json_object_get(doc, "tags");
	ASSERT_INT_EQ(json_array_size(tags), 1);
	ASSERT_STR_EQ(s_at(json_array_get(tags, 0), "value"), "blue");
	json_decref(doc);
	/* no tags asked: the member is absent; none set: an empty list */
	reg("u");
	doc = ok(call("DescribeTaskDefinition", "{\"taskDefinition\":\"u\","
	    "\"include\":[\"TAGS\"]}"));
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "tags")), 0);
	json_decref(doc);
	expect_error(call("RegisterTaskDefinition", "{\"family\":\"t\","
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\","
	    "\"memory\":8}],\"tags\":[]}"), "ClientException",
	    "Tags can not be empty.");
	expect_error(call("RegisterTaskDefinition", "{\"family\":\"t\","
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\","
	    "\"memory\":8}],\"tags\":[{\"key\":\"aws:x\",\"value\":\"y\"}]}"),
	    "InvalidParameterException", "aws:");
	/* the response's tags are the stored ones, in the model's shape */
	doc = ok(call("RegisterTaskDefinition", "{\"family\":\"t\","
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\","
	    "\"memory\":8}],\"tags\":[{\"key\":\"k\",\"value\":\"v\","
	    "\"extra\":1}]}"));
	ASSERT_NULL(json_object_get(json_array_get(json_object_get(doc, "tags"),
	    0), "extra"));
	json_decref(doc);
	/* a failed registration uses up no revision */
	ASSERT_INT_EQ(reg("t"), 3);
}

TEST(taskdef_unknown_members_and_nulls_are_dropped)
{
	json_t *doc, *td, *ct;

	unit_store_setup();
	doc = ok(call("RegisterTaskDefinition", "{\"family\":\"n\","
	    "\"revision\":77,\"status\":\"INACTIVE\",\"compatibilities\":[\"X\"],"
	    "\"pidMode\":null,\"bogus\":{\"a\":1},\"containerDefinitions\":"
	    "[{\"name\":\"a\",\"image\":\"x\",\"memory\":8,\"frobnicate\":true,"
	    "\"command\":null,\"linuxParameters\":{\"capabilities\":{\"add\":"
	    "[\"NET_ADMIN\"],\"zap\":1},\"nope\":[1]},\"portMappings\":"
	    "[{\"containerPort\":1,\"x.y\":2}]}]}"));
	td = td_of(doc);
	ASSERT_INT_EQ(json_integer_value(json_object_get(td, "revision")), 1);
	ASSERT_STR_EQ(s_at(td, "status"), "ACTIVE");
	ASSERT_NULL(json_object_get(td, "bogus"));
	ASSERT_NULL(json_object_get(td, "pidMode"));
	ct = json_array_get(json_object_get(td, "containerDefinitions"), 0);
	ASSERT_NULL(json_object_get(ct, "frobnicate"));
	ASSERT_NULL(json_object_get(ct, "command"));
	ASSERT_NULL(json_object_get(json_object_get(ct, "linuxParameters"),
	    "nope"));
	ASSERT_NOT_NULL(json_object_get(json_object_get(json_object_get(ct,
	    "linuxParameters"), "capabilities"), "add"));
	ASSERT_NULL(json_object_get(json_array_get(json_object_get(ct,
	    "portMappings"), 0), "x.y"));
	json_decref(doc);
}

TEST(taskdef_size_is_capped_at_64k)
{
	static char big[70000];
	size_t n;

	unit_store_setup();
	memset(big, 'v', sizeof big - 1);
	n = 60000;
	big[n] = '\0';
	json_decref(ok(call("RegisterTaskDefinition", "{\"family\":\"s\","
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\","
	    "\"memory\":8,\"environment\":[{\"name\":\"V\",\"value\":\"%s\"}]}]}",
	    big)));
	big[n] = 'v';
	big[66000] = '\0';
	expect_error(call("RegisterTaskDefinition", "{\"family\":\"s\","
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\","
	    "\"memory\":8,\"environment\":[{\"name\":\"V\",\"value\":\"%s\"}]}]}",
	    big), "ClientException", "Max allowed length is '65536' bytes.");
}

TEST(taskdef_regions_are_apart)
{
	json_t *doc;

	unit_store_setup();
	reg("r");
	doc = ok(callr("RegisterTaskDefinition", "eu-west-1", "{\"family\":\"r\","
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\","
	    "\"memory\":8}]}"));
	ASSERT_STR_EQ(s_at(td_of(doc), "taskDefinitionArn"),
	    "arn:aws:ecs:eu-west-1:" ACCT ":task-definition/r:1");
	json_decref(doc);
	doc = ok(callr("ListTaskDefinitions", "eu-west-1", "{}"));
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "taskDefinitionArns")),
	    1);
	json_decref(doc);
	expect_error(callr("DescribeTaskDefinition", "eu-west-1",
	    "{\"taskDefinition\":\"" ARN("r:1") "\"}"), "ClientException",
	    "Unable to describe");
}

TEST(taskdef_validation_reaches_the_client)
{
	unit_store_setup();
	expect_error(call("RegisterTaskDefinition", "{\"family\":\"v\","
	    "\"networkMode\":\"awsvpc\",\"containerDefinitions\":[{\"name\":"
	    "\"a\",\"image\":\"x\",\"memory\":8,\"portMappings\":[{"
	    "\"containerPort\":80,\"hostPort\":81}]}]}"), "ClientException",
	    "When networkMode=awsvpc, the host ports and container ports in port "
	    "mappings must match.");
	expect_error(call("RegisterTaskDefinition", "{\"family\":\"v\","
	    "\"cpu\":\"lots\",\"containerDefinitions\":[{\"name\":\"a\","
	    "\"image\":\"x\",\"memory\":8}]}"), "InvalidParameterException",
	    "Invalid 'cpu' setting for task.");
	/* nothing was registered */
	ASSERT_INT_EQ(reg("v"), 1);
}

TEST(taskdef_resolve_for_other_operations)
{
	struct req r;
	json_t *doc = NULL;

	unit_store_setup();
	reg("z");
	reg("z");
	dereg("z:2");
	memset(&r, 0, sizeof r);
	r.part.account = ACCT;
	r.part.region = "us-east-1";
	r.store = api_store();
	ASSERT_INT_EQ(taskdef_resolve(&r, "z", &doc), 0);
	ASSERT_INT_EQ(json_integer_value(json_object_get(doc, "revision")), 1);
	json_decref(doc);
	ASSERT_INT_EQ(taskdef_resolve(&r, ARN("z:2"), &doc), 0);
	ASSERT_STR_EQ(s_at(doc, "status"), "INACTIVE");
	json_decref(doc);
	ASSERT(taskdef_resolve(&r, "z:3", &doc) != 0);
	ASSERT_NULL(doc);
	ASSERT_INT_EQ(r.err, ECS_ERR_CLIENT);
	ASSERT_STR_EQ(r.err_msg, "TaskDefinition not found.");
	free(r.err_msg);
}
