/*
 * test-task-sets.c - api/task_sets.c through the real dispatch on an
 * in-memory store: the five task set operations on a service of the
 * EXTERNAL deployment controller (written here with store_service_put, as
 * the services part writes one), their errors, the computed counts and
 * stability from task rows, tags, and the scheduler's pass
 * (task_sets_reconcile) starting, stopping and forgetting tasks.
 */
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "../../api/api.h"
#include "../../store/store.h"
#include "unit.h"

#define ACCOUNT "123456789012"
#define PREFIX "arn:aws:ecs:us-east-1:" ACCOUNT ":"
#define SVC "{\"cluster\":\"c1\",\"service\":\"web\""

static const struct part us = { ACCOUNT, "us-east-1" };

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

static void
fails(const char *op, const char *body, const char *type, const char *msg)
{
	int st = 0;
	json_t *doc = unit_call(op, body, &st);
	const char *m = json_string_value(json_object_get(doc, "message"));

	if (unit_error_type(doc) == NULL || strcmp(unit_error_type(doc), type))
		UNIT_FAIL("%s %s: wanted %s, got %d %s", op, body, type, st,
		    json_dumps(doc, 0));
	if (msg != NULL && (m == NULL || strstr(m, msg) == NULL))
		UNIT_FAIL("%s: message \"%s\" lacks \"%s\"", op, m, msg);
	ASSERT_INT_EQ(st, 400);
	json_decref(doc);
}

static const char *
s_at(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static long long
i_at(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* A service as store/services.c keeps it, without going through
 * CreateService. */
static void
service(const char *name, const char *controller, int desired,
    const char *status)
{
	char arn[256];
	json_t *doc;

	snprintf(arn, sizeof arn, PREFIX "service/c1/%s", name);
	doc = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:f, s:s, "
	    "s:{s:s}, s:[], s:[], s:s}",
	    "serviceArn", arn, "serviceName", name, "clusterArn",
	    PREFIX "cluster/c1", "status", status, "desiredCount", desired,
	    "runningCount", 0, "pendingCount", 0, "createdAt", 1000.0,
	    "schedulingStrategy", "REPLICA", "deploymentController", "type",
	    controller, "deployments", "events", "propagateTags", "NONE");
	ASSERT_INT_EQ(store_service_put(api_store(), &us, "c1", name, doc, NULL),
	    STORE_OK);
	json_decref(doc);
}

static void
setup(void)
{
	unit_store_setup();
	json_decref(ok("CreateCluster", "{\"clusterName\":\"c1\"}"));
	json_decref(ok("RegisterTaskDefinition", "{\"family\":\"app\","
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"busybox\","
	    "\"memory\":32}]}"));
	json_decref(ok("RegisterTaskDefinition", "{\"family\":\"app\","
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"busybox\","
	    "\"memory\":48}]}"));
	service("web", "EXTERNAL", 4, "ACTIVE");
}

/* Creates a task set of td; returns its id (static buffer). */
static const char *
create_td(const char *td, const char *extra)
{
	static char id[64];
	char body[1024];
	json_t *doc;

	snprintf(body, sizeof body, SVC ",\"taskDefinition\":\"%s\"%s}", td,
	    extra);
	doc = ok("CreateTaskSet", body);
	snprintf(id, sizeof id, "%s", s_at(json_object_get(doc, "taskSet"),
	    "id"));
	json_decref(doc);
	return id;
}

static const char *
create(const char *extra)
{
	return create_td("app:1", extra);
}

/* The service's desiredCount changes (as UpdateService writes it). */
static void
desire(const char *name, int n)
{
	struct service_row row;

	memset(&row, 0, sizeof row);
	ASSERT_INT_EQ(store_service_get(api_store(), &us, "c1", name, &row),
	    STORE_OK);
	json_object_set_new(row.doc, "desiredCount", json_integer(n));
	ASSERT_INT_EQ(store_service_put(api_store(), &us, "c1", name, row.doc,
	    NULL), STORE_OK);
	store_service_row_free(&row);
}

static json_t *
describe_one(const char *id)
{
	char body[512];
	json_t *doc, *ts;

	snprintf(body, sizeof body, SVC ",\"taskSets\":[\"%s\"]}", id);
	doc = ok("DescribeTaskSets", body);
	ts = json_incref(json_array_get(json_object_get(doc, "taskSets"), 0));
	json_decref(doc);
	if (ts == NULL)
		UNIT_FAIL("task set %s is not described", id);
	return ts;
}

/* The scheduler's pass over the service, in its own transaction. */
static int
reconcile(const char *name)
{
	struct service_row row;
	struct req r;
	int changed = 0;

	memset(&r, 0, sizeof r);
	memset(&row, 0, sizeof row);
	r.part = us;
	r.store = api_store();
	r.now = 2000.0;
	r.out = json_object();
	ASSERT_INT_EQ(store_begin(r.store, 1), 0);
	ASSERT_INT_EQ(store_service_get(r.store, &us, "c1", name, &row), STORE_OK);
	ASSERT_INT_EQ(task_sets_reconcile(&r, &row, &changed), 0);
	if (changed)
		ASSERT_INT_EQ(store_service_put(r.store, &us, "c1", name, row.doc,
		    NULL), STORE_OK);
	ASSERT_INT_EQ(store_commit(r.store), 0);
	store_service_row_free(&row);
	json_decref(r.out);
	free(r.err_msg);
	return changed;
}

/* The service's tasks the scheduler wants (desiredStatus RUNNING). */
static json_t *
tasks(const char *started_by)
{
	char body[256];
	json_t *list, *arns, *out;

	snprintf(body, sizeof body, "{\"cluster\":\"c1\",\"startedBy\":\"%s\"}",
	    started_by);
	list = ok("ListTasks", body);
	arns = json_object_get(list, "taskArns");
	if (json_array_size(arns) == 0) {
		json_decref(list);
		return json_array();
	}
	out = json_pack("{s:s, s:O}", "cluster", "c1", "tasks", arns);
	json_decref(list);
	{
		char *b = json_dumps(out, 0);
		json_t *d = ok("DescribeTasks", b);

		free(b);
		json_decref(out);
		out = json_incref(json_object_get(d, "tasks"));
		json_decref(d);
	}
	return out;
}

/* What the scheduler would write once the containers are up or gone. */
static void
set_last(json_t *task, const char *last)
{
	const char *arn = s_at(task, "taskArn");
	struct task_row t;

	ASSERT_INT_EQ(store_task_get(api_store(), &us, "c1", strrchr(arn, '/') + 1,
	    &t), STORE_OK);
	json_object_set_new(t.doc, "lastStatus", json_string(last));
	ASSERT_INT_EQ(store_task_save(api_store(), &us, "c1", t.id, t.doc),
	    STORE_OK);
	store_task_row_free(&t);
}

static void
all_last(const char *started_by, const char *last)
{
	json_t *list = tasks(started_by), *t;
	size_t i;

	json_array_foreach(list, i, t)
		set_last(t, last);
	json_decref(list);
}

/* Every task asked to stop reaches STOPPED. */
static void
stopped_ones_stop(const char *started_by)
{
	char body[256];
	json_t *list, *d, *t;
	size_t i;

	snprintf(body, sizeof body, "{\"cluster\":\"c1\",\"startedBy\":\"%s\","
	    "\"desiredStatus\":\"STOPPED\"}", started_by);
	list = ok("ListTasks", body);
	if (json_array_size(json_object_get(list, "taskArns")) > 0) {
		json_t *q = json_pack("{s:s, s:O}", "cluster", "c1", "tasks",
		    json_object_get(list, "taskArns"));
		char *b = json_dumps(q, 0);

		d = ok("DescribeTasks", b);
		json_array_foreach(json_object_get(d, "tasks"), i, t)
			set_last(t, "STOPPED");
		json_decref(d);
		free(b);
		json_decref(q);
	}
	json_decref(list);
}

TEST(task_set_create_shape_and_defaults)
{
	json_t *doc, *ts;
	const char *id;

	setup();
	doc = ok("CreateTaskSet", SVC ",\"taskDefinition\":\"app\","
	    "\"externalId\":\"blue\",\"tags\":[{\"key\":\"k\",\"value\":\"v\"}]}");
	ts = json_object_get(doc, "taskSet");
	id = s_at(ts, "id");
	ASSERT(strncmp(id, "ecs-svc/", 8) == 0);
	ASSERT_INT_EQ(strlen(id), 8 + 19);
	ASSERT(id[8] != '0');
	{
		char want[256];

		snprintf(want, sizeof want, PREFIX "task-set/c1/web/%s", id);
		ASSERT_STR_EQ(s_at(ts, "taskSetArn"), want);
	}
	ASSERT_STR_EQ(s_at(ts, "serviceArn"), PREFIX "service/c1/web");
	ASSERT_STR_EQ(s_at(ts, "clusterArn"), PREFIX "cluster/c1");
	ASSERT_STR_EQ(s_at(ts, "status"), "ACTIVE");
	/* family alone: the latest ACTIVE revision */
	ASSERT_STR_EQ(s_at(ts, "taskDefinition"), PREFIX "task-definition/app:2");
	ASSERT_STR_EQ(s_at(ts, "externalId"), "blue");
	ASSERT_STR_EQ(s_at(ts, "launchType"), "EC2");
	ASSERT_NULL(json_object_get(ts, "startedBy"));
	ASSERT_INT_EQ(json_array_size(json_object_get(ts, "loadBalancers")), 0);
	ASSERT_INT_EQ(json_array_size(json_object_get(ts, "serviceRegistries")), 0);
	/* no scale given: 0 % as ECS shows it, so nothing to run: steady */
	ASSERT(json_number_value(json_object_get(json_object_get(ts, "scale"),
	    "value")) == 0.0);
	ASSERT_STR_EQ(s_at(json_object_get(ts, "scale"), "unit"), "PERCENT");
	ASSERT_INT_EQ(i_at(ts, "computedDesiredCount"), 0);
	ASSERT_INT_EQ(i_at(ts, "runningCount"), 0);
	ASSERT_INT_EQ(i_at(ts, "pendingCount"), 0);
	ASSERT_STR_EQ(s_at(ts, "stabilityStatus"), "STEADY_STATE");
	ASSERT(json_is_number(json_object_get(ts, "createdAt")));
	ASSERT(json_is_number(json_object_get(ts, "stabilityStatusAt")));
	ASSERT_STR_EQ(s_at(json_array_get(json_object_get(ts, "tags"), 0), "key"),
	    "k");
	json_decref(doc);
}

static void
scale(const char *id, const char *value)
{
	char body[512];

	snprintf(body, sizeof body, SVC ",\"taskSet\":\"%s\",\"scale\":"
	    "{\"value\":%s,\"unit\":\"PERCENT\"}}", id, value);
	json_decref(ok("UpdateTaskSet", body));
}

static long long
computed(const char *id)
{
	json_t *ts = describe_one(id);
	long long n = i_at(ts, "computedDesiredCount");

	json_decref(ts);
	return n;
}

TEST(task_set_computed_desired_count_rounds_up)
{
	json_t *ts;
	const char *id;

	setup();
	id = create(",\"scale\":{\"value\":50,\"unit\":\"PERCENT\"}");
	ts = describe_one(id);
	ASSERT_INT_EQ(i_at(ts, "computedDesiredCount"), 2);
	ASSERT_STR_EQ(s_at(ts, "stabilityStatus"), "STABILIZING");
	ASSERT(json_number_value(json_object_get(json_object_get(ts, "scale"),
	    "value")) == 50.0);
	json_decref(ts);
	scale(id, "33.4");            /* 1.336 tasks */
	ASSERT_INT_EQ(computed(id), 2);
	scale(id, "25");              /* exactly 1 */
	ASSERT_INT_EQ(computed(id), 1);
	scale(id, "100");
	ASSERT_INT_EQ(computed(id), 4);
	scale(id, "0");
	ASSERT_INT_EQ(computed(id), 0);
	/* the service's desiredCount is what the percentage is of */
	desire("web", 3);
	scale(id, "33.333333333");    /* 3 x 1/3: 1, not 2 by rounding */
	ASSERT_INT_EQ(computed(id), 1);
}

TEST(task_set_errors)
{
	const char *id;
	char body[512];
	int i;

	setup();
	fails("CreateTaskSet", "{\"cluster\":\"nope\",\"service\":\"web\","
	    "\"taskDefinition\":\"app\"}", "ClusterNotFoundException",
	    "Cluster not found.");
	fails("CreateTaskSet", "{\"cluster\":\"c1\",\"service\":\"nope\","
	    "\"taskDefinition\":\"app\"}", "ServiceNotFoundException",
	    "Service not found.");
	fails("CreateTaskSet", "{\"cluster\":\"c1\",\"service\":\"" PREFIX
	    "task/c1/abc\",\"taskDefinition\":\"app\"}",
	    "ServiceNotFoundException", NULL);
	service("rolling", "ECS", 1, "ACTIVE");
	fails("CreateTaskSet", "{\"cluster\":\"c1\",\"service\":\"rolling\","
	    "\"taskDefinition\":\"app\"}", "InvalidParameterException",
	    "Amazon ECS only supports task set management on services "
	    "configured to use external deployment controllers.");
	fails("DescribeTaskSets", "{\"cluster\":\"c1\",\"service\":\"rolling\"}",
	    "InvalidParameterException", "external deployment controllers");
	service("gone", "EXTERNAL", 1, "DRAINING");
	fails("CreateTaskSet", "{\"cluster\":\"c1\",\"service\":\"gone\","
	    "\"taskDefinition\":\"app\"}", "ServiceNotActiveException",
	    "Service was not ACTIVE.");
	json_decref(ok("DescribeTaskSets", "{\"cluster\":\"c1\","
	    "\"service\":\"gone\"}"));
	service("gone", "EXTERNAL", 1, "INACTIVE");
	fails("DescribeTaskSets", "{\"cluster\":\"c1\",\"service\":\"gone\"}",
	    "ServiceNotActiveException", NULL);
	fails("CreateTaskSet", SVC ",\"taskDefinition\":\"other\"}",
	    "ClientException", "TaskDefinition not found.");
	json_decref(ok("DeregisterTaskDefinition", "{\"taskDefinition\":"
	    "\"app:1\"}"));
	fails("CreateTaskSet", SVC ",\"taskDefinition\":\"app:1\"}",
	    "ClientException", "inactive");
	fails("CreateTaskSet", SVC ",\"taskDefinition\":\"app\",\"scale\":"
	    "{\"value\":150,\"unit\":\"PERCENT\"}}", "InvalidParameterException",
	    "between 0 and 100");
	fails("CreateTaskSet", SVC ",\"taskDefinition\":\"app\",\"launchType\":"
	    "\"EC2\",\"capacityProviderStrategy\":[{\"capacityProvider\":"
	    "\"FARGATE\"}]}", "InvalidParameterException", "both");
	fails("CreateTaskSet", SVC ",\"taskDefinition\":\"app\",\"launchType\":"
	    "\"FARGATE\"}", "InvalidParameterException",
	    "does not support launch_type FARGATE");
	fails("CreateTaskSet", SVC ",\"taskDefinition\":\"app\","
	    "\"networkConfiguration\":{\"awsvpcConfiguration\":{\"subnets\":"
	    "[\"s-1\"]}}}", "InvalidParameterException", "networkMode");
	fails("CreateTaskSet", SVC ",\"taskDefinition\":\"app\",\"tags\":"
	    "[{\"key\":\"aws:x\",\"value\":\"v\"}]}", "InvalidParameterException",
	    NULL);

	id = create_td("app", "");
	snprintf(body, sizeof body, "%s", id);
	for (i = 1; i < 5; i++)
		create_td("app", "");
	fails("CreateTaskSet", SVC ",\"taskDefinition\":\"app\"}",
	    "InvalidParameterException", "5 deployments exist on the service. "
	    "Unable to create new TaskSet since this exceeds the maximum limit.");

	fails("UpdateTaskSet", SVC ",\"taskSet\":\"ecs-svc/1234\",\"scale\":"
	    "{\"value\":1,\"unit\":\"PERCENT\"}}", "TaskSetNotFoundException",
	    NULL);
	fails("UpdateTaskSet", SVC ",\"taskSet\":\"" PREFIX "task/c1/abc\","
	    "\"scale\":{\"value\":1,\"unit\":\"PERCENT\"}}",
	    "InvalidParameterException", "Task Set Identifier is invalid");
	fails("UpdateTaskSet", SVC ",\"taskSet\":\"" PREFIX "task-set/c1/other/"
	    "ecs-svc/1\",\"scale\":{\"value\":1,\"unit\":\"PERCENT\"}}",
	    "TaskSetNotFoundException", NULL);
	fails("UpdateServicePrimaryTaskSet", SVC ",\"primaryTaskSet\":"
	    "\"ecs-svc/99\"}", "TaskSetNotFoundException", NULL);
	fails("DeleteTaskSet", SVC ",\"taskSet\":\"nope\"}",
	    "InvalidParameterException", "Task Set Identifier is invalid");
	scale(body, "10");
	{
		char del[1024];

		snprintf(del, sizeof del, SVC ",\"taskSet\":\"%s\"}", body);
		fails("DeleteTaskSet", del, "InvalidParameterException",
		    "scale it to 0 first");
	}
}

TEST(task_set_describe_by_id_arn_missing_and_tags)
{
	char a[64], b[64], q[1024], arn[256];
	json_t *doc, *sets, *f;

	setup();
	snprintf(a, sizeof a, "%s", create(",\"tags\":[{\"key\":\"team\","
	    "\"value\":\"blue\"}]"));
	snprintf(b, sizeof b, "%s", create(""));
	snprintf(arn, sizeof arn, PREFIX "task-set/c1/web/%s", b);

	doc = ok("DescribeTaskSets", SVC "}");
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "taskSets")), 2);
	ASSERT_NULL(json_object_get(json_array_get(json_object_get(doc,
	    "taskSets"), 0), "tags"));
	json_decref(doc);

	snprintf(q, sizeof q, SVC ",\"taskSets\":[\"%s\",\"ecs-svc/42\",\"%s\","
	    "\"" PREFIX "task-set/c1/other/ecs-svc/7\"],\"include\":[\"TAGS\"]}",
	    arn, a);
	doc = ok("DescribeTaskSets", q);
	sets = json_object_get(doc, "taskSets");
	ASSERT_INT_EQ(json_array_size(sets), 2);
	ASSERT_STR_EQ(s_at(json_array_get(sets, 0), "id"), b);
	ASSERT_INT_EQ(json_array_size(json_object_get(json_array_get(sets, 0),
	    "tags")), 0);
	ASSERT_STR_EQ(s_at(json_array_get(sets, 1), "id"), a);
	ASSERT_STR_EQ(s_at(json_array_get(json_object_get(json_array_get(sets, 1),
	    "tags"), 0), "value"), "blue");
	f = json_object_get(doc, "failures");
	ASSERT_INT_EQ(json_array_size(f), 2);
	ASSERT_STR_EQ(s_at(json_array_get(f, 0), "arn"),
	    PREFIX "task-set/c1/web/ecs-svc/42");
	ASSERT_STR_EQ(s_at(json_array_get(f, 0), "reason"), "MISSING");
	ASSERT_STR_EQ(s_at(json_array_get(f, 1), "arn"),
	    PREFIX "task-set/c1/other/ecs-svc/7");
	json_decref(doc);

	fails("DescribeTaskSets", SVC ",\"taskSets\":[\"" PREFIX "task/c1/x\"]}",
	    "InvalidParameterException", "Task Set Identifier is invalid");

	/* the service by ARN, the cluster by ARN */
	doc = ok("DescribeTaskSets", "{\"cluster\":\"" PREFIX "cluster/c1\","
	    "\"service\":\"" PREFIX "service/c1/web\"}");
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "taskSets")), 2);
	json_decref(doc);

	/* tags reach the task set through TagResource's lookup too */
	snprintf(q, sizeof q, "{\"resourceArn\":\"%s\"}", arn);
	doc = ok("ListTagsForResource", q);
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "tags")), 0);
	json_decref(doc);
}

TEST(task_set_primary_hands_its_settings_to_the_service)
{
	char a[64], b[64], q[512];
	struct service_row row;
	json_t *doc, *ts;

	setup();
	snprintf(a, sizeof a, "%s", create(",\"scale\":{\"value\":100,"
	    "\"unit\":\"PERCENT\"}"));
	snprintf(q, sizeof q, SVC ",\"taskDefinition\":\"app:2\","
	    "\"loadBalancers\":[{\"targetGroupArn\":\"arn:aws:elasticloadbalancing:"
	    "us-east-1:" ACCOUNT ":targetgroup/tg/1\",\"containerName\":\"a\","
	    "\"containerPort\":80}]}");
	doc = ok("CreateTaskSet", q);
	snprintf(b, sizeof b, "%s", s_at(json_object_get(doc, "taskSet"), "id"));
	json_decref(doc);

	snprintf(q, sizeof q, SVC ",\"primaryTaskSet\":\"%s\"}", a);
	doc = ok("UpdateServicePrimaryTaskSet", q);
	ts = json_object_get(doc, "taskSet");
	ASSERT_STR_EQ(s_at(ts, "status"), "PRIMARY");
	ASSERT_STR_EQ(s_at(ts, "id"), a);
	json_decref(doc);
	memset(&row, 0, sizeof row);
	ASSERT_INT_EQ(store_service_get(api_store(), &us, "c1", "web", &row),
	    STORE_OK);
	ASSERT_STR_EQ(s_at(row.doc, "taskDefinition"),
	    PREFIX "task-definition/app:1");
	ASSERT_STR_EQ(s_at(row.doc, "launchType"), "EC2");
	ASSERT_INT_EQ(json_array_size(json_object_get(row.doc, "loadBalancers")),
	    0);
	store_service_row_free(&row);

	/* the other one takes over; the first is ACTIVE again */
	snprintf(q, sizeof q, SVC ",\"primaryTaskSet\":\"" PREFIX
	    "task-set/c1/web/%s\"}", b);
	json_decref(ok("UpdateServicePrimaryTaskSet", q));
	ts = describe_one(a);
	ASSERT_STR_EQ(s_at(ts, "status"), "ACTIVE");
	json_decref(ts);
	ts = describe_one(b);
	ASSERT_STR_EQ(s_at(ts, "status"), "PRIMARY");
	json_decref(ts);
	ASSERT_INT_EQ(store_service_get(api_store(), &us, "c1", "web", &row),
	    STORE_OK);
	ASSERT_STR_EQ(s_at(row.doc, "taskDefinition"),
	    PREFIX "task-definition/app:2");
	ASSERT_STR_EQ(s_at(json_array_get(json_object_get(row.doc,
	    "loadBalancers"), 0), "containerName"), "a");
	store_service_row_free(&row);

	/* a DRAINING one cannot become primary */
	snprintf(q, sizeof q, SVC ",\"taskSet\":\"%s\",\"force\":true}", a);
	doc = ok("DeleteTaskSet", q);
	ASSERT_STR_EQ(s_at(json_object_get(doc, "taskSet"), "status"),
	    "DRAINING");
	json_decref(doc);
}

TEST(task_set_delete_drains_and_is_forgotten)
{
	char id[64], q[512], arn[256];
	json_t *doc;

	setup();
	snprintf(id, sizeof id, "%s", create(",\"tags\":[{\"key\":\"k\","
	    "\"value\":\"v\"}]"));
	snprintf(arn, sizeof arn, PREFIX "task-set/c1/web/%s", id);
	snprintf(q, sizeof q, SVC ",\"taskSet\":\"%s\"}", arn);
	doc = ok("DeleteTaskSet", q);
	ASSERT_STR_EQ(s_at(json_object_get(doc, "taskSet"), "status"),
	    "DRAINING");
	json_decref(doc);
	/* no task to drain: it is gone at once, its tags with it */
	doc = ok("DescribeTaskSets", SVC "}");
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "taskSets")), 0);
	json_decref(doc);
	fails("DeleteTaskSet", q, "TaskSetNotFoundException", NULL);
	snprintf(q, sizeof q, "{\"resourceArn\":\"%s\"}", arn);
	fails("ListTagsForResource", q, "ResourceNotFoundException", NULL);
	ASSERT_INT_EQ(store_tags_count(api_store(), arn), 0);
}

TEST(task_set_tags_go_with_a_drained_task_set)
{
	char id[64], q[512], arn[256];
	json_t *doc;

	setup();
	snprintf(id, sizeof id, "%s", create(",\"scale\":{\"value\":25,"
	    "\"unit\":\"PERCENT\"},\"tags\":[{\"key\":\"k\",\"value\":\"v\"}]"));
	snprintf(arn, sizeof arn, PREFIX "task-set/c1/web/%s", id);
	reconcile("web");
	all_last(id, "RUNNING");
	snprintf(q, sizeof q, SVC ",\"taskSet\":\"%s\",\"force\":true}", id);
	doc = ok("DeleteTaskSet", q);
	ASSERT_STR_EQ(s_at(json_object_get(doc, "taskSet"), "status"),
	    "DRAINING");
	ASSERT_INT_EQ(i_at(json_object_get(doc, "taskSet"), "runningCount"), 1);
	json_decref(doc);
	ASSERT_INT_EQ(store_tags_count(api_store(), arn), 1);
	reconcile("web");
	stopped_ones_stop(id);
	/* a later write on the service forgets it and its tags */
	create("");
	ASSERT_INT_EQ(store_tags_count(api_store(), arn), 0);
	doc = ok("DescribeTaskSets", SVC "}");
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "taskSets")), 1);
	json_decref(doc);
}

TEST(task_set_reconcile_runs_scales_and_drains)
{
	char id[64], q[512];
	json_t *list, *t, *ts;
	size_t i;

	setup();
	snprintf(id, sizeof id, "%s", create(",\"scale\":{\"value\":50,"
	    "\"unit\":\"PERCENT\"}"));
	/* 50 % of 4: two tasks, of the task set's definition and id */
	ASSERT_INT_EQ(reconcile("web"), 1);
	list = tasks(id);
	ASSERT_INT_EQ(json_array_size(list), 2);
	json_array_foreach(list, i, t) {
		ASSERT_STR_EQ(s_at(t, "startedBy"), id);
		ASSERT_STR_EQ(s_at(t, "group"), "service:web");
		ASSERT_STR_EQ(s_at(t, "taskDefinitionArn"),
		    PREFIX "task-definition/app:1");
		ASSERT_STR_EQ(s_at(t, "launchType"), "EC2");
	}
	json_decref(list);
	ts = describe_one(id);
	ASSERT_INT_EQ(i_at(ts, "pendingCount"), 2);
	ASSERT_INT_EQ(i_at(ts, "runningCount"), 0);
	ASSERT_STR_EQ(s_at(ts, "stabilityStatus"), "STABILIZING");
	json_decref(ts);
	/* a second pass starts nothing more */
	reconcile("web");
	list = tasks(id);
	ASSERT_INT_EQ(json_array_size(list), 2);
	json_decref(list);
	{
		json_t *svc_tasks = ok("ListTasks", "{\"cluster\":\"c1\","
		    "\"serviceName\":\"web\"}");

		ASSERT_INT_EQ(json_array_size(json_object_get(svc_tasks,
		    "taskArns")), 2);
		json_decref(svc_tasks);
	}

	all_last(id, "RUNNING");
	ts = describe_one(id);
	ASSERT_INT_EQ(i_at(ts, "runningCount"), 2);
	ASSERT_INT_EQ(i_at(ts, "pendingCount"), 0);
	ASSERT_STR_EQ(s_at(ts, "stabilityStatus"), "STEADY_STATE");
	json_decref(ts);
	ASSERT_INT_EQ(reconcile("web"), 1);   /* counts written to the doc */
	ASSERT_INT_EQ(reconcile("web"), 0);   /* and then nothing changes */

	/* scale in to 25 %: one task stops as the scheduler stops them */
	scale(id, "25");
	reconcile("web");
	snprintf(q, sizeof q, "{\"cluster\":\"c1\",\"startedBy\":\"%s\","
	    "\"desiredStatus\":\"STOPPED\"}", id);
	list = ok("ListTasks", q);
	ASSERT_INT_EQ(json_array_size(json_object_get(list, "taskArns")), 1);
	{
		json_t *d, *q2 = json_pack("{s:s, s:O}", "cluster", "c1", "tasks",
		    json_object_get(list, "taskArns"));
		char *b = json_dumps(q2, 0);

		d = ok("DescribeTasks", b);
		t = json_array_get(json_object_get(d, "tasks"), 0);
		ASSERT_STR_EQ(s_at(t, "stopCode"), "ServiceSchedulerInitiated");
		ASSERT(strstr(s_at(t, "stoppedReason"), id) != NULL);
		json_decref(d);
		free(b);
		json_decref(q2);
	}
	json_decref(list);
	ts = describe_one(id);
	ASSERT_STR_EQ(s_at(ts, "stabilityStatus"), "STABILIZING");
	json_decref(ts);
	stopped_ones_stop(id);
	ts = describe_one(id);
	ASSERT_INT_EQ(i_at(ts, "runningCount"), 1);
	ASSERT_STR_EQ(s_at(ts, "stabilityStatus"), "STEADY_STATE");
	json_decref(ts);

	/* delete with force: the last task stops, then the set is gone */
	snprintf(q, sizeof q, SVC ",\"taskSet\":\"%s\",\"force\":true}", id);
	json_decref(ok("DeleteTaskSet", q));
	ts = describe_one(id);
	ASSERT_STR_EQ(s_at(ts, "status"), "DRAINING");
	ASSERT_INT_EQ(i_at(ts, "computedDesiredCount"), 0);
	json_decref(ts);
	reconcile("web");
	list = tasks(id);
	ASSERT_INT_EQ(json_array_size(list), 0);
	json_decref(list);
	stopped_ones_stop(id);
	ASSERT_INT_EQ(reconcile("web"), 1);
	{
		struct service_row row;

		memset(&row, 0, sizeof row);
		ASSERT_INT_EQ(store_service_get(api_store(), &us, "c1", "web",
		    &row), STORE_OK);
		ASSERT_INT_EQ(json_array_size(json_object_get(row.doc, "taskSets")),
		    0);
		store_service_row_free(&row);
	}
}

TEST(task_set_reconcile_leaves_other_services_and_drains_deleted_ones)
{
	char id[64];
	json_t *list;

	setup();
	service("rolling", "ECS", 2, "ACTIVE");
	ASSERT_INT_EQ(reconcile("rolling"), 0);
	snprintf(id, sizeof id, "%s", create(",\"scale\":{\"value\":100,"
	    "\"unit\":\"PERCENT\"}"));
	reconcile("web");
	list = tasks(id);
	ASSERT_INT_EQ(json_array_size(list), 4);
	json_decref(list);
	/* DeleteService made it DRAINING: its task sets want nothing */
	{
		struct service_row row;

		memset(&row, 0, sizeof row);
		ASSERT_INT_EQ(store_service_get(api_store(), &us, "c1", "web", &row),
		    STORE_OK);
		json_object_set_new(row.doc, "status", json_string("DRAINING"));
		ASSERT_INT_EQ(store_service_put(api_store(), &us, "c1", "web",
		    row.doc, NULL), STORE_OK);
		store_service_row_free(&row);
	}
	reconcile("web");
	list = tasks(id);
	ASSERT_INT_EQ(json_array_size(list), 0);
	json_decref(list);
}
