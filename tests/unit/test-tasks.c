/*
 * test-tasks.c - tasks: the store functions the scheduler relies on
 * (notes/tasks-contract.md) on :memory:, and RunTask, StartTask, StopTask,
 * DescribeTasks and ListTasks through the real dispatch.
 */
#include <jansson.h>
#include <string.h>

#include "../../api/api.h"
#include "../../store/store.h"
#include "unit.h"

static const struct part us = { "123456789012", "us-east-1" };

static json_t *
task_doc(const char *id, const char *desired, const char *last)
{
	char arn[160];

	snprintf(arn, sizeof arn,
	    "arn:aws:ecs:us-east-1:123456789012:task/c1/%s", id);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:s, s:s, s:s}",
	    "taskArn", arn,
	    "taskDefinitionArn",
	    "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3",
	    "containerInstanceArn", "arn:aws:ecs:us-east-1:123456789012:"
	    "container-instance/c1/0123456789abcdef0123456789abcdef",
	    "desiredStatus", desired, "lastStatus", last, "createdAt", 1000.0,
	    "group", "family:web", "launchType", "EC2", "startedBy", "me");
}

static void
collect_cb(void *arg, struct task_row *row)
{
	json_t *ids = arg;

	ASSERT_NOT_NULL(row->doc);
	ASSERT_NOT_NULL(store_task_row_spec(row));
	ASSERT_STR_EQ(row->account, "123456789012");
	ASSERT(strcmp(row->id, "a4") == 0 ?
	    strcmp(row->region, "eu-west-1") == 0 :
	    strcmp(row->region, "us-east-1") == 0);
	ASSERT_STR_EQ(row->cluster, "c1");
	json_array_append_new(ids, json_string(row->id));
}

/* A callback that writes while the scan runs, as the scheduler does. */
static void
stop_cb(void *arg, struct task_row *row)
{
	struct store *st = arg;
	struct part p = { row->account, row->region };

	json_object_set_new(row->doc, "lastStatus", json_string("STOPPED"));
	json_object_set_new(row->doc, "desiredStatus", json_string("STOPPED"));
	ASSERT_INT_EQ(store_task_save(st, &p, row->cluster, row->id, row->doc),
	    STORE_OK);
}

TEST(store_task_insert_get_save)
{
	struct store *st;
	struct task_row row;
	json_t *doc, *spec;

	unit_store_setup();
	st = api_store();
	doc = task_doc("aaaa", "RUNNING", "PROVISIONING");
	spec = json_pack("{s:s, s:[]}", "cluster", "c1", "containers");
	ASSERT_INT_EQ(store_task_insert(st, &us, "c1", "aaaa", NULL, doc, spec),
	    STORE_OK);
	json_decref(doc);
	json_decref(spec);

	ASSERT_INT_EQ(store_task_get(st, &us, "c1", "nope", &row),
	    STORE_NOTFOUND);
	ASSERT_NULL(row.doc);
	store_task_row_free(&row);
	ASSERT_INT_EQ(store_task_get(st, &(struct part){ "123456789012",
	    "eu-west-1" }, "c1", "aaaa", &row), STORE_NOTFOUND);
	ASSERT_INT_EQ(store_task_get(st, &us, "c1", "aaaa", &row), STORE_OK);
	ASSERT_STR_EQ(row.id, "aaaa");
	ASSERT_STR_EQ(row.cluster, "c1");
	ASSERT_STR_EQ(row.arn,
	    "arn:aws:ecs:us-east-1:123456789012:task/c1/aaaa");
	ASSERT_STR_EQ(json_string_value(json_object_get(row.doc, "lastStatus")),
	    "PROVISIONING");
	ASSERT_STR_EQ(json_string_value(json_object_get(row.spec, "cluster")),
	    "c1");

	json_object_set_new(row.doc, "lastStatus", json_string("RUNNING"));
	ASSERT_INT_EQ(store_task_save(st, &us, "c1", "aaaa", row.doc), STORE_OK);
	ASSERT_INT_EQ(store_task_save(st, &us, "c1", "gone", row.doc),
	    STORE_NOTFOUND);
	store_task_row_free(&row);
	store_task_row_free(&row);    /* twice is harmless */
	store_task_row_free(NULL);

	ASSERT_INT_EQ(store_task_get(st, &us, "c1", "aaaa", &row), STORE_OK);
	ASSERT_STR_EQ(json_string_value(json_object_get(row.doc, "lastStatus")),
	    "RUNNING");
	/* save never touches the spec */
	ASSERT_STR_EQ(json_string_value(json_object_get(row.spec, "cluster")),
	    "c1");
	store_task_row_free(&row);
}

/* The scheduler's reads parse no more than they are asked for; the spec
 * (the whole task definition) only when store_task_row_spec wants it. */
TEST(store_task_read_parses_only_what_is_asked)
{
	struct store *st;
	struct task_row row;
	json_t *doc, *spec;

	unit_store_setup();
	st = api_store();
	doc = task_doc("svc1", "RUNNING", "RUNNING");
	json_object_set_new(doc, "group", json_string("service:web"));
	json_object_set_new(doc, "startedBy", json_string("ecs-svc/123"));
	spec = json_pack("{s:s, s:[]}", "cluster", "c1", "containers");
	ASSERT_INT_EQ(store_task_insert(st, &us, "c1", "svc1", "web", doc,
	    spec),
	    STORE_OK);
	json_decref(doc);
	json_decref(spec);

	ASSERT_INT_EQ(store_task_read(st, &us, "c1", "nope", STORE_TASK_SPEC,
	    &row), STORE_NOTFOUND);
	ASSERT_INT_EQ(store_task_read(st, &us, "c1", "svc1", STORE_TASK_KEYS,
	    &row), STORE_OK);
	ASSERT_STR_EQ(row.service, "web");
	ASSERT_STR_EQ(row.arn, "arn:aws:ecs:us-east-1:123456789012:task/c1/svc1");
	ASSERT_NULL(row.doc);
	ASSERT_NULL(row.spec);
	ASSERT_NULL(row.spec_text);
	store_task_row_free(&row);
	ASSERT_INT_EQ(store_task_read(st, &us, "c1", "svc1", STORE_TASK_DOC,
	    &row), STORE_OK);
	ASSERT_STR_EQ(json_string_value(json_object_get(row.doc, "lastStatus")),
	    "RUNNING");
	ASSERT_NULL(row.spec);
	ASSERT_NULL(row.spec_text);
	store_task_row_free(&row);
	ASSERT_INT_EQ(store_task_read(st, &us, "c1", "svc1", STORE_TASK_SPEC,
	    &row), STORE_OK);
	ASSERT_NOT_NULL(row.doc);
	ASSERT_NULL(row.spec);
	ASSERT_NOT_NULL(row.spec_text);
	ASSERT_STR_EQ(json_string_value(json_object_get(store_task_row_spec(&row),
	    "cluster")), "c1");
	ASSERT_NULL(row.spec_text);
	ASSERT(store_task_row_spec(&row) == row.spec);   /* parsed once */
	store_task_row_free(&row);
	/* a task that is no service's */
	doc = task_doc("solo", "RUNNING", "RUNNING");
	ASSERT_INT_EQ(store_task_insert(st, &us, "c1", "solo", NULL, doc, NULL),
	    STORE_OK);
	json_decref(doc);
	ASSERT_INT_EQ(store_task_read(st, &us, "c1", "solo", STORE_TASK_KEYS,
	    &row), STORE_OK);
	ASSERT_NULL(row.service);
	store_task_row_free(&row);
}

TEST(store_tasks_unsettled_and_expire)
{
	struct store *st;
	json_t *ids = json_array(), *doc;
	struct task_row row;

	unit_store_setup();
	st = api_store();
	doc = task_doc("a1", "RUNNING", "RUNNING");
	store_task_insert(st, &us, "c1", "a1", NULL, doc, NULL);
	json_decref(doc);
	doc = task_doc("a2", "STOPPED", "RUNNING");
	store_task_insert(st, &us, "c1", "a2", NULL, doc, NULL);
	json_decref(doc);
	doc = task_doc("a3", "STOPPED", "STOPPED");
	store_task_insert(st, &us, "c1", "a3", NULL, doc, NULL);
	json_decref(doc);
	doc = task_doc("a4", "RUNNING", "PROVISIONING");
	store_task_insert(st, &(struct part){ "123456789012", "eu-west-1" },
	    "c1", "a4", NULL, doc, NULL);
	json_decref(doc);

	ASSERT_INT_EQ(store_tasks_unsettled(st, collect_cb, ids), STORE_OK);
	ASSERT_INT_EQ(json_array_size(ids), 3);
	ASSERT_STR_EQ(json_string_value(json_array_get(ids, 0)), "a1");
	ASSERT_STR_EQ(json_string_value(json_array_get(ids, 1)), "a2");
	ASSERT_STR_EQ(json_string_value(json_array_get(ids, 2)), "a4");
	json_decref(ids);

	/* a3 was inserted STOPPED: it has a stopped_at already; a1 gets one
	 * when saved STOPPED. Nothing stopped before the epoch. */
	ASSERT_INT_EQ(store_tasks_expire(st, 0), 0);
	ASSERT_INT_EQ(store_tasks_unsettled(st, stop_cb, st), STORE_OK);
	ids = json_array();
	ASSERT_INT_EQ(store_tasks_unsettled(st, collect_cb, ids), STORE_OK);
	ASSERT_INT_EQ(json_array_size(ids), 0);
	json_decref(ids);

	doc = json_pack("[{s:s, s:s}]", "key", "k", "value", "v");
	store_tags_set(st, "arn:aws:ecs:us-east-1:123456789012:task/c1/a1", doc);
	json_decref(doc);
	ASSERT_INT_EQ(store_tasks_expire(st, now_epoch() + 10), 4);
	ASSERT_INT_EQ(store_tags_count(st,
	    "arn:aws:ecs:us-east-1:123456789012:task/c1/a1"), 0);
	ASSERT_INT_EQ(store_task_get(st, &us, "c1", "a1", &row),
	    STORE_NOTFOUND);
	store_task_row_free(&row);
}

TEST(store_task_stopped_at_follows_last_status)
{
	struct store *st;
	json_t *doc;

	unit_store_setup();
	st = api_store();
	doc = task_doc("b1", "STOPPED", "STOPPED");
	store_task_insert(st, &us, "c1", "b1", NULL, doc, NULL);
	ASSERT_INT_EQ(store_task_save(st, &us, "c1", "b1", doc), STORE_OK);
	/* back to RUNNING (an adopted container) forgets stopped_at */
	json_object_set_new(doc, "lastStatus", json_string("RUNNING"));
	ASSERT_INT_EQ(store_task_save(st, &us, "c1", "b1", doc), STORE_OK);
	ASSERT_INT_EQ(store_tasks_expire(st, now_epoch() + 3600), 0);
	json_object_set_new(doc, "lastStatus", json_string("STOPPED"));
	ASSERT_INT_EQ(store_task_save(st, &us, "c1", "b1", doc), STORE_OK);
	ASSERT_INT_EQ(store_tasks_expire(st, now_epoch() - 3600), 0);
	ASSERT_INT_EQ(store_tasks_expire(st, now_epoch() + 3600), 1);
	json_decref(doc);
}

/* ---- the operations, through the real dispatch ---- */

#define ARN "arn:aws:ecs:us-east-1:123456789012:"

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

/* The call fails with type; msg (when not NULL) is the exact message. */
static void
fails(const char *op, const char *body, const char *type, const char *msg)
{
	int st = 0;
	json_t *doc = unit_call(op, body, &st);
	const char *m = json_string_value(json_object_get(doc, "message"));

	if (unit_error_type(doc) == NULL || strcmp(unit_error_type(doc), type))
		UNIT_FAIL("%s %s: wanted %s, got %d %s", op, body, type, st,
		    json_dumps(doc, 0));
	if (msg != NULL)
		ASSERT_STR_EQ(m, msg);
	json_decref(doc);
}

static const char *
sget(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A cluster c1 and the definition web:1 (128 MiB, cpu 10, 8080->80). */
static void
setup(void)
{
	unit_store_setup();
	json_decref(ok("CreateCluster", "{\"clusterName\":\"c1\"}"));
	json_decref(ok("RegisterTaskDefinition", "{\"family\":\"web\","
	    "\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\","
	    "\"memory\":128,\"cpu\":10,\"command\":[\"httpd\"],"
	    "\"environment\":[{\"name\":\"A\",\"value\":\"1\"},"
	    "{\"name\":\"B\",\"value\":\"2\"}],"
	    "\"portMappings\":[{\"containerPort\":80,\"hostPort\":8080}]},"
	    "{\"name\":\"side\",\"image\":\"busybox\",\"memoryReservation\":64,"
	    "\"essential\":false,\"healthCheck\":{\"command\":[\"CMD\",\"true\"]}}"
	    "]}"));
	json_decref(ok("RegisterTaskDefinition", "{\"family\":\"plain\","
	    "\"containerDefinitions\":[{\"name\":\"c\",\"image\":\"busybox\","
	    "\"memory\":32}]}"));
}

static json_t *
run(const char *body)
{
	return ok("RunTask", body);
}

/* The task (or its spec) as stored, by ARN. */
static void
stored(const char *arn, struct task_row *row)
{
	const char *id = strrchr(arn, '/') + 1;

	ASSERT_INT_EQ(store_task_get(api_store(), &us, "c1", id, row), STORE_OK);
}

TEST(run_task_records_provisioning_tasks)
{
	json_t *out, *t, *c;
	struct task_row row;
	const char *arn;

	setup();
	out = run("{\"cluster\":\"c1\",\"taskDefinition\":\"plain\","
	    "\"count\":3,\"startedBy\":\"me\"}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "tasks")), 3);
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "failures")), 0);
	t = json_array_get(json_object_get(out, "tasks"), 0);
	arn = sget(t, "taskArn");
	ASSERT(strncmp(arn, ARN "task/c1/", strlen(ARN "task/c1/")) == 0);
	ASSERT_INT_EQ(strlen(arn), strlen(ARN "task/c1/") + 32);
	ASSERT_STR_EQ(sget(t, "lastStatus"), "PROVISIONING");
	ASSERT_STR_EQ(sget(t, "desiredStatus"), "RUNNING");
	ASSERT_STR_EQ(sget(t, "clusterArn"), ARN "cluster/c1");
	ASSERT_STR_EQ(sget(t, "taskDefinitionArn"), ARN "task-definition/plain:1");
	ASSERT_STR_EQ(sget(t, "group"), "family:plain");
	ASSERT_STR_EQ(sget(t, "startedBy"), "me");
	ASSERT_STR_EQ(sget(t, "launchType"), "EC2");
	ASSERT_STR_EQ(sget(t, "memory"), "32");
	ASSERT_STR_EQ(sget(t, "cpu"), "0");
	ASSERT_STR_EQ(sget(t, "availabilityZone"), "us-east-1a");
	ASSERT(strncmp(sget(t, "containerInstanceArn"),
	    ARN "container-instance/c1/", strlen(ARN "container-instance/c1/"))
	    == 0);
	c = json_array_get(json_object_get(t, "containers"), 0);
	ASSERT_STR_EQ(sget(c, "name"), "c");
	ASSERT_STR_EQ(sget(c, "lastStatus"), "PENDING");
	ASSERT_STR_EQ(sget(c, "taskArn"), arn);
	ASSERT(strncmp(sget(c, "containerArn"), ARN "container/c1/",
	    strlen(ARN "container/c1/")) == 0);
	ASSERT_STR_EQ(sget(c, "memory"), "32");

	stored(arn, &row);
	ASSERT_STR_EQ(sget(row.spec, "cluster"), "c1");
	ASSERT_STR_EQ(sget(row.spec, "networkMode"), "bridge");
	ASSERT_STR_EQ(sget(row.spec, "containerInstanceId"),
	    strrchr(sget(t, "containerInstanceArn"), '/') + 1);
	ASSERT(json_is_null(json_object_get(row.spec, "cpu")));
	ASSERT_STR_EQ(sget(json_object_get(row.spec, "taskDefinition"),
	    "family"), "plain");
	ASSERT_INT_EQ(json_array_size(json_object_get(row.spec, "containers")),
	    1);
	store_task_row_free(&row);
	json_decref(out);
}

TEST(run_task_merges_overrides_into_the_spec)
{
	json_t *out, *t, *ct, *env, *ov;
	struct task_row row;

	setup();
	out = run("{\"cluster\":\"c1\",\"taskDefinition\":\"web:1\","
	    "\"overrides\":{\"containerOverrides\":[{\"name\":\"app\","
	    "\"command\":[\"sleep\",\"9\"],\"memory\":256,"
	    "\"environment\":[{\"name\":\"B\",\"value\":\"x\"},"
	    "{\"name\":\"C\",\"value\":\"3\"}]}],\"cpu\":\"512\"}}");
	t = json_array_get(json_object_get(out, "tasks"), 0);
	ASSERT_NOT_NULL(t);
	ASSERT_STR_EQ(sget(t, "cpu"), "512");
	/* 256 (app's new hard limit) + 64 (side's reservation) */
	ASSERT_STR_EQ(sget(t, "memory"), "320");
	ov = json_object_get(json_object_get(t, "overrides"),
	    "containerOverrides");
	ASSERT_INT_EQ(json_array_size(ov), 2);
	ASSERT_STR_EQ(sget(json_array_get(ov, 1), "name"), "side");
	ASSERT_STR_EQ(sget(json_array_get(json_object_get(t, "containers"), 1),
	    "healthStatus"), "UNKNOWN");
	ASSERT_NULL(json_object_get(json_array_get(json_object_get(t,
	    "containers"), 0), "healthStatus"));

	stored(sget(t, "taskArn"), &row);
	ct = json_array_get(json_object_get(row.spec, "containers"), 0);
	ASSERT_STR_EQ(sget(ct, "name"), "app");
	ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(ct,
	    "command"), 0)), "sleep");
	ASSERT_INT_EQ(json_integer_value(json_object_get(ct, "memory")), 256);
	env = json_object_get(ct, "environment");
	ASSERT_INT_EQ(json_array_size(env), 3);
	ASSERT_STR_EQ(sget(json_array_get(env, 0), "value"), "1");
	ASSERT_STR_EQ(sget(json_array_get(env, 1), "value"), "x");
	ASSERT_STR_EQ(sget(json_array_get(env, 2), "name"), "C");
	ASSERT_INT_EQ(json_integer_value(json_object_get(row.spec, "cpu")), 512);
	ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(
	    json_array_get(json_object_get(json_object_get(row.spec,
	    "taskDefinition"), "containerDefinitions"), 0), "command"), 0)),
	    "httpd");
	store_task_row_free(&row);
	json_decref(out);

	fails("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"web\","
	    "\"overrides\":{\"containerOverrides\":[{\"name\":\"nope\"}]}}",
	    "InvalidParameterException", "Override for container named nope is "
	    "not a container in the TaskDefinition.");
}

TEST(run_task_validation)
{
	setup();
	fails("RunTask", "{\"cluster\":\"nope\",\"taskDefinition\":\"web\"}",
	    "ClusterNotFoundException", "Cluster not found.");
	fails("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"nope\"}",
	    "ClientException", NULL);
	fails("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"web\","
	    "\"count\":11}", "InvalidParameterException", NULL);
	fails("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"web\","
	    "\"count\":0}", "InvalidParameterException", NULL);
	fails("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"web\","
	    "\"launchType\":\"EC2\",\"capacityProviderStrategy\":"
	    "[{\"capacityProvider\":\"FARGATE\"}]}", "InvalidParameterException",
	    "Specifying both a launch type and capacity provider strategy is "
	    "not supported. Remove one and try again.");
	fails("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"web\","
	    "\"launchType\":\"FARGATE\"}", "InvalidParameterException",
	    "Task definition does not support launch_type FARGATE.");
	fails("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"web\","
	    "\"networkConfiguration\":{\"awsvpcConfiguration\":{\"subnets\":"
	    "[\"s\"]}}}", "InvalidParameterException", "Network Configuration is "
	    "not valid for the given networkMode of this task definition.");
	fails("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"web\","
	    "\"propagateTags\":\"SERVICE\"}", "InvalidParameterException", NULL);
	fails("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"web\","
	    "\"startedBy\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxx\"}", "InvalidParameterException", NULL);
	fails("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"web\","
	    "\"placementConstraints\":[{\"type\":\"memberOf\","
	    "\"expression\":\"attribute:ecs.os-type ==\"}]}",
	    "InvalidParameterException", NULL);
	fails("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"web\","
	    "\"placementConstraints\":[{\"type\":\"distinctInstance\","
	    "\"expression\":\"x == y\"}]}", "InvalidParameterException", NULL);
	fails("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"web\","
	    "\"placementStrategy\":[{\"type\":\"binpack\",\"field\":\"disk\"}]}",
	    "InvalidParameterException", NULL);
	fails("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"web\","
	    "\"placementStrategy\":[{\"type\":\"spread\"}]}",
	    "InvalidParameterException", NULL);
	fails("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"web\","
	    "\"overrides\":{\"cpu\":\"lots\"}}", "InvalidParameterException",
	    NULL);

	json_decref(ok("RegisterTaskDefinition", "{\"family\":\"vpc\","
	    "\"networkMode\":\"awsvpc\",\"requiresCompatibilities\":[\"FARGATE\"],"
	    "\"cpu\":\"256\",\"memory\":\"512\",\"containerDefinitions\":"
	    "[{\"name\":\"c\",\"image\":\"busybox\"}]}"));
	fails("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"vpc\","
	    "\"launchType\":\"FARGATE\"}", "InvalidParameterException",
	    "Network Configuration must be provided when networkMode 'awsvpc' "
	    "is specified.");
	fails("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"vpc\","
	    "\"launchType\":\"FARGATE\",\"networkConfiguration\":"
	    "{\"awsvpcConfiguration\":{\"subnets\":[]}}}",
	    "InvalidParameterException", "subnets can not be empty.");
	fails("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"vpc\","
	    "\"launchType\":\"FARGATE\",\"overrides\":{\"memory\":\"100\"},"
	    "\"networkConfiguration\":{\"awsvpcConfiguration\":"
	    "{\"subnets\":[\"s\"]}}}", "InvalidParameterException", NULL);
	json_decref(ok("DeregisterTaskDefinition", "{\"taskDefinition\":"
	    "\"plain:1\"}"));
	fails("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"plain:1\"}",
	    "ClientException", "TaskDefinition is inactive");

	/* nothing of the failed calls was written */
	{
		json_t *l = ok("ListTasks", "{\"cluster\":\"c1\"}");

		ASSERT_INT_EQ(json_array_size(json_object_get(l, "taskArns")), 0);
		json_decref(l);
	}
}

TEST(run_task_fargate_and_awsvpc)
{
	json_t *out, *t, *att;
	struct task_row row;

	setup();
	json_decref(ok("RegisterTaskDefinition", "{\"family\":\"vpc\","
	    "\"networkMode\":\"awsvpc\",\"requiresCompatibilities\":[\"FARGATE\"],"
	    "\"cpu\":\"256\",\"memory\":\"512\",\"containerDefinitions\":"
	    "[{\"name\":\"c\",\"image\":\"busybox\","
	    "\"portMappings\":[{\"containerPort\":80}]}]}"));
	out = run("{\"cluster\":\"c1\",\"taskDefinition\":\"vpc\","
	    "\"capacityProviderStrategy\":[{\"capacityProvider\":\"FARGATE\"}],"
	    "\"count\":2,\"networkConfiguration\":{\"awsvpcConfiguration\":"
	    "{\"subnets\":[\"subnet-1\"],\"assignPublicIp\":\"ENABLED\"}}}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "tasks")), 2);
	t = json_array_get(json_object_get(out, "tasks"), 0);
	ASSERT_STR_EQ(sget(t, "launchType"), "FARGATE");
	ASSERT_STR_EQ(sget(t, "capacityProviderName"), "FARGATE");
	ASSERT_STR_EQ(sget(t, "platformVersion"), "1.4.0");
	ASSERT_STR_EQ(sget(t, "platformFamily"), "Linux");
	ASSERT_STR_EQ(sget(t, "cpu"), "256");
	ASSERT_STR_EQ(sget(t, "memory"), "512");
	ASSERT_NULL(json_object_get(t, "containerInstanceArn"));
	att = json_array_get(json_object_get(t, "attachments"), 0);
	ASSERT_STR_EQ(sget(att, "type"), "ElasticNetworkInterface");
	ASSERT_STR_EQ(sget(att, "status"), "PRECREATED");
	stored(sget(t, "taskArn"), &row);
	ASSERT_STR_EQ(sget(row.spec, "networkMode"), "awsvpc");
	ASSERT_STR_EQ(sget(json_object_get(json_object_get(row.spec,
	    "networkConfiguration"), "awsvpcConfiguration"), "assignPublicIp"),
	    "ENABLED");
	ASSERT_INT_EQ(json_integer_value(json_object_get(row.spec, "memory")),
	    512);
	/* the local engine runs Fargate tasks too */
	ASSERT_INT_EQ(strlen(sget(row.spec, "containerInstanceId")), 32);
	store_task_row_free(&row);
	json_decref(out);
}

/* Failure entries of a RunTask answer as "reason,reason,...". */
static void
reasons(json_t *out, char *buf, size_t size)
{
	json_t *f;
	size_t i, n = 0;

	buf[0] = '\0';
	json_array_foreach(json_object_get(out, "failures"), i, f)
		n += snprintf(buf + n, size - n, "%s%s", i ? "," : "",
		    sget(f, "reason"));
}

TEST(run_task_placement_failures)
{
	json_t *out;
	char buf[256];

	setup();
	/* static host port 8080: the second task of the call cannot have it */
	out = run("{\"cluster\":\"c1\",\"taskDefinition\":\"web\","
	    "\"count\":2}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "tasks")), 1);
	reasons(out, buf, sizeof buf);
	ASSERT_STR_EQ(buf, "RESOURCE:PORTS");
	ASSERT(strncmp(sget(json_array_get(json_object_get(out, "failures"), 0),
	    "arn"), ARN "container-instance/c1/",
	    strlen(ARN "container-instance/c1/")) == 0);
	json_decref(out);
	/* ... nor a later call while that task is not STOPPED */
	out = run("{\"cluster\":\"c1\",\"taskDefinition\":\"web\"}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "tasks")), 0);
	json_decref(out);

	json_decref(ok("RegisterTaskDefinition", "{\"family\":\"huge\","
	    "\"containerDefinitions\":[{\"name\":\"c\",\"image\":\"busybox\","
	    "\"memory\":100000000}]}"));
	out = run("{\"cluster\":\"c1\",\"taskDefinition\":\"huge\"}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "tasks")), 0);
	reasons(out, buf, sizeof buf);
	ASSERT_STR_EQ(buf, "RESOURCE:MEMORY");
	json_decref(out);
	json_decref(ok("RegisterTaskDefinition", "{\"family\":\"cpu\","
	    "\"containerDefinitions\":[{\"name\":\"c\",\"image\":\"busybox\","
	    "\"memory\":8,\"cpu\":10000000}]}"));
	out = run("{\"cluster\":\"c1\",\"taskDefinition\":\"cpu\"}");
	reasons(out, buf, sizeof buf);
	ASSERT_STR_EQ(buf, "RESOURCE:CPU");
	json_decref(out);

	out = run("{\"cluster\":\"c1\",\"taskDefinition\":\"plain\","
	    "\"placementConstraints\":[{\"type\":\"memberOf\",\"expression\":"
	    "\"attribute:ecs.os-type == windows\"}]}");
	reasons(out, buf, sizeof buf);
	ASSERT_STR_EQ(buf, "MemberOf placement constraint unsatisfied.");
	json_decref(out);
	out = run("{\"cluster\":\"c1\",\"taskDefinition\":\"plain\","
	    "\"placementConstraints\":[{\"type\":\"memberOf\",\"expression\":"
	    "\"attribute:ecs.os-type == linux and not(task:group == x)\"}],"
	    "\"placementStrategy\":[{\"type\":\"spread\",\"field\":"
	    "\"attribute:ecs.availability-zone\"},{\"type\":\"binpack\","
	    "\"field\":\"memory\"},{\"type\":\"random\"}]}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "tasks")), 1);
	json_decref(out);
	out = run("{\"cluster\":\"c1\",\"taskDefinition\":\"plain\","
	    "\"count\":2,\"group\":\"g\",\"placementConstraints\":"
	    "[{\"type\":\"distinctInstance\"}]}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "tasks")), 1);
	ASSERT_STR_EQ(sget(json_array_get(json_object_get(out, "tasks"), 0),
	    "group"), "g");
	reasons(out, buf, sizeof buf);
	ASSERT_STR_EQ(buf, "DistinctInstance placement constraint unsatisfied.");
	json_decref(out);
}

TEST(run_task_tags_and_propagation)
{
	json_t *out, *d, *tags;
	const char *arn;

	setup();
	json_decref(ok("RegisterTaskDefinition", "{\"family\":\"tagged\","
	    "\"tags\":[{\"key\":\"team\",\"value\":\"a\"},{\"key\":\"env\","
	    "\"value\":\"dev\"}],\"containerDefinitions\":[{\"name\":\"c\","
	    "\"image\":\"busybox\",\"memory\":8}]}"));
	out = run("{\"cluster\":\"c1\",\"taskDefinition\":\"tagged\","
	    "\"propagateTags\":\"TASK_DEFINITION\",\"tags\":[{\"key\":\"env\","
	    "\"value\":\"prod\"}]}");
	arn = sget(json_array_get(json_object_get(out, "tasks"), 0), "taskArn");
	ASSERT_NOT_NULL(arn);
	tags = store_tags_get(api_store(), arn);
	ASSERT_INT_EQ(json_array_size(tags), 2);
	ASSERT_STR_EQ(sget(json_array_get(tags, 0), "key"), "team");
	ASSERT_STR_EQ(sget(json_array_get(tags, 1), "value"), "prod");
	json_decref(tags);
	{
		char body[300];

		snprintf(body, sizeof body, "{\"cluster\":\"c1\",\"tasks\":[\"%s\"],"
		    "\"include\":[\"TAGS\"]}", arn);
		d = ok("DescribeTasks", body);
		ASSERT_INT_EQ(json_array_size(json_object_get(json_array_get(
		    json_object_get(d, "tasks"), 0), "tags")), 2);
		json_decref(d);
		snprintf(body, sizeof body, "{\"cluster\":\"c1\",\"tasks\":[\"%s\"]}",
		    arn);
		d = ok("DescribeTasks", body);
		ASSERT_NULL(json_object_get(json_array_get(json_object_get(d,
		    "tasks"), 0), "tags"));
		json_decref(d);
	}
	json_decref(out);
	fails("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"tagged\","
	    "\"tags\":[{\"key\":\"aws:x\",\"value\":\"y\"}]}",
	    "InvalidParameterException", NULL);
}

TEST(stop_task_sets_desired_state_only)
{
	json_t *out, *t;
	char body[400], arn[200];

	setup();
	out = run("{\"cluster\":\"c1\",\"taskDefinition\":\"plain\","
	    "\"count\":2}");
	snprintf(arn, sizeof arn, "%s", sget(json_array_get(json_object_get(out,
	    "tasks"), 0), "taskArn"));
	json_decref(out);

	snprintf(body, sizeof body, "{\"cluster\":\"c1\",\"task\":\"%s\"}", arn);
	out = ok("StopTask", body);
	t = json_object_get(out, "task");
	ASSERT_STR_EQ(sget(t, "desiredStatus"), "STOPPED");
	ASSERT_STR_EQ(sget(t, "lastStatus"), "PROVISIONING");
	ASSERT_STR_EQ(sget(t, "stopCode"), "UserInitiated");
	ASSERT_STR_EQ(sget(t, "stoppedReason"), "Task stopped by user");
	ASSERT(json_is_number(json_object_get(t, "stoppingAt")));
	ASSERT_INT_EQ(json_integer_value(json_object_get(t, "version")), 2);
	json_decref(out);
	/* again: nothing changes, the first reason stays */
	snprintf(body, sizeof body, "{\"cluster\":\"c1\",\"task\":\"%s\","
	    "\"reason\":\"later\"}", strrchr(arn, '/') + 1);
	out = ok("StopTask", body);
	ASSERT_STR_EQ(sget(json_object_get(out, "task"), "stoppedReason"),
	    "Task stopped by user");
	json_decref(out);

	fails("StopTask", "{\"cluster\":\"c1\",\"task\":\"0123\"}",
	    "InvalidParameterException", "The referenced task was not found.");
	/* the cluster parameter decides, as in ECS: without it, "default" */
	snprintf(body, sizeof body, "{\"task\":\"%s\"}", arn);
	fails("StopTask", body, "ClusterNotFoundException", NULL);
	json_decref(ok("CreateCluster", "{}"));
	fails("StopTask", body, "InvalidParameterException",
	    "The referenced task was not found.");

	out = ok("ListTasks", "{\"cluster\":\"c1\",\"desiredStatus\":\"STOPPED\"}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "taskArns")), 1);
	ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(out,
	    "taskArns"), 0)), arn);
	json_decref(out);
	out = ok("ListTasks", "{\"cluster\":\"c1\"}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "taskArns")), 1);
	json_decref(out);
	out = ok("ListTasks", "{\"cluster\":\"c1\",\"desiredStatus\":\"PENDING\"}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "taskArns")), 0);
	json_decref(out);
}

TEST(describe_tasks_failures_and_validation)
{
	json_t *out, *f;
	char body[400], arn[200];

	setup();
	out = run("{\"cluster\":\"c1\",\"taskDefinition\":\"plain\"}");
	snprintf(arn, sizeof arn, "%s", sget(json_array_get(json_object_get(out,
	    "tasks"), 0), "taskArn"));
	json_decref(out);
	fails("DescribeTasks", "{\"cluster\":\"c1\",\"tasks\":[]}",
	    "InvalidParameterException", "Tasks cannot be empty.");
	snprintf(body, sizeof body, "{\"cluster\":\"c1\",\"tasks\":[\"%s\","
	    "\"%s\",\"feedfeedfeedfeedfeedfeedfeedfeed\","
	    "\"" ARN "task/other/feedfeedfeedfeedfeedfeedfeedfeed\"]}", arn,
	    strrchr(arn, '/') + 1);
	out = ok("DescribeTasks", body);
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "tasks")), 2);
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "failures")), 2);
	f = json_array_get(json_object_get(out, "failures"), 0);
	ASSERT_STR_EQ(sget(f, "arn"), ARN "task/c1/feedfeedfeedfeedfeedfeedfeedfeed");
	ASSERT_STR_EQ(sget(f, "reason"), "MISSING");
	f = json_array_get(json_object_get(out, "failures"), 1);
	ASSERT_STR_EQ(sget(f, "arn"),
	    ARN "task/other/feedfeedfeedfeedfeedfeedfeedfeed");
	json_decref(out);
	fails("DescribeTasks", "{\"cluster\":\"nope\",\"tasks\":[\"x\"]}",
	    "ClusterNotFoundException", NULL);
}

TEST(list_tasks_pages_and_filters)
{
	json_t *out, *all = json_array(), *v;
	char body[600], token[600] = "", inst[200];
	int pages = 0;
	size_t i;

	setup();
	for (int k = 0; k < 5; k++)
		json_decref(run("{\"cluster\":\"c1\",\"taskDefinition\":\"plain\","
		    "\"startedBy\":\"batch\"}"));
	out = run("{\"cluster\":\"c1\",\"taskDefinition\":\"web\"}");
	snprintf(inst, sizeof inst, "%s", sget(json_array_get(json_object_get(
	    out, "tasks"), 0), "containerInstanceArn"));
	json_decref(out);

	do {
		if (token[0])
			snprintf(body, sizeof body, "{\"cluster\":\"c1\",\"family\":"
			    "\"plain\",\"maxResults\":2,\"nextToken\":\"%s\"}", token);
		else
			snprintf(body, sizeof body, "{\"cluster\":\"c1\",\"family\":"
			    "\"plain\",\"maxResults\":2}");
		out = ok("ListTasks", body);
		ASSERT(json_array_size(json_object_get(out, "taskArns")) <= 2);
		json_array_foreach(json_object_get(out, "taskArns"), i, v) {
			size_t j;
			json_t *w;

			json_array_foreach(all, j, w)
				ASSERT(!json_equal(v, w));
			json_array_append(all, v);
		}
		token[0] = '\0';
		if (sget(out, "nextToken"))
			snprintf(token, sizeof token, "%s", sget(out, "nextToken"));
		json_decref(out);
		pages++;
	} while (token[0] && pages < 10);
	ASSERT_INT_EQ(pages, 3);
	ASSERT_INT_EQ(json_array_size(all), 5);
	json_decref(all);

	out = ok("ListTasks", "{\"cluster\":\"c1\"}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "taskArns")), 6);
	ASSERT_NULL(json_object_get(out, "nextToken"));
	json_decref(out);
	out = ok("ListTasks", "{\"cluster\":\"c1\",\"startedBy\":\"batch\"}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "taskArns")), 5);
	json_decref(out);
	out = ok("ListTasks", "{\"cluster\":\"c1\",\"family\":\"web\"}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "taskArns")), 1);
	json_decref(out);
	out = ok("ListTasks", "{\"cluster\":\"c1\",\"launchType\":\"FARGATE\"}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "taskArns")), 0);
	json_decref(out);
	out = ok("ListTasks", "{\"cluster\":\"c1\",\"serviceName\":\"svc\"}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "taskArns")), 0);
	json_decref(out);
	snprintf(body, sizeof body, "{\"cluster\":\"c1\",\"containerInstance\":"
	    "\"%s\"}", inst);
	out = ok("ListTasks", body);
	if (json_array_size(json_object_get(out, "taskArns")) != 6)
		UNIT_FAIL("%s -> %s", body, json_dumps(out, 0));
	json_decref(out);
	snprintf(body, sizeof body, "{\"cluster\":\"c1\",\"containerInstance\":"
	    "\"%s\"}", strrchr(inst, '/') + 1);
	out = ok("ListTasks", body);
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "taskArns")), 6);
	json_decref(out);
	fails("ListTasks", "{\"cluster\":\"c1\",\"nextToken\":\"garbage\"}",
	    "InvalidParameterException", NULL);
	fails("ListTasks", "{\"cluster\":\"c1\",\"maxResults\":101}",
	    "InvalidParameterException", NULL);
	/* another region sees none of them */
	{
		int st;

		out = unit_call_region("ListTasks", "eu-west-1",
		    "{\"cluster\":\"c1\"}", &st);
		ASSERT_STR_EQ(unit_error_type(out), "ClusterNotFoundException");
		json_decref(out);
	}
}
