/*
 * test-container-instances.c - the local engine as a cluster's container
 * instance, remaining resources and task counts computed from the tasks on
 * it, the container instance operations through the real dispatch, and the
 * cluster query language as a table.
 */
#include <jansson.h>
#include <string.h>
#include <unistd.h>

#include "../../api/api.h"
#include "../../store/store.h"
#include "unit.h"

#define ARN "arn:aws:ecs:us-east-1:123456789012:"

static const struct part us = { "123456789012", "us-east-1" };

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
fails(const char *op, const char *body, const char *type)
{
	int st = 0;
	json_t *doc = unit_call(op, body, &st);

	if (unit_error_type(doc) == NULL || strcmp(unit_error_type(doc), type))
		UNIT_FAIL("%s %s: wanted %s, got %d %s", op, body, type, st,
		    json_dumps(doc, 0));
	json_decref(doc);
}

static const char *
sget(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* What CreateCluster (or the first RunTask) does for cluster. */
static void
ensure_local(const char *cluster)
{
	struct req r;

	memset(&r, 0, sizeof r);
	r.store = api_store();
	r.part = us;
	r.now = 1700000000;
	ASSERT_INT_EQ(instances_ensure_local(&r, cluster), 0);
	free(r.err_msg);
}

static void
setup(void)
{
	unit_store_setup();
	json_decref(ok("CreateCluster", "{\"clusterName\":\"c1\"}"));
	json_decref(ok("RegisterTaskDefinition", "{\"family\":\"web\","
	    "\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\","
	    "\"memory\":128,\"cpu\":10,"
	    "\"portMappings\":[{\"containerPort\":80,\"hostPort\":8080},"
	    "{\"containerPort\":53,\"hostPort\":5353,\"protocol\":\"udp\"}]},"
	    "{\"name\":\"side\",\"image\":\"busybox\",\"memoryReservation\":64,"
	    "\"essential\":false}]}"));
	ensure_local("c1");
}

/* The cluster's only instance, described. */
static json_t *
describe_local(const char *include)
{
	json_t *l = ok("ListContainerInstances", "{\"cluster\":\"c1\"}");
	json_t *d, *ci;
	char body[400];

	ASSERT_INT_EQ(json_array_size(json_object_get(l,
	    "containerInstanceArns")), 1);
	snprintf(body, sizeof body, "{\"cluster\":\"c1\",\"containerInstances\":"
	    "[\"%s\"]%s}", json_string_value(json_array_get(json_object_get(l,
	    "containerInstanceArns"), 0)), include);
	json_decref(l);
	d = ok("DescribeContainerInstances", body);
	ci = json_incref(json_array_get(json_object_get(d, "containerInstances"),
	    0));
	ASSERT_NOT_NULL(ci);
	json_decref(d);
	return ci;
}

static json_t *
resource(json_t *list, const char *name)
{
	json_t *r;
	size_t i;

	json_array_foreach(list, i, r) {
		if (strcmp(sget(r, "name"), name) == 0)
			return r;
	}
	UNIT_FAIL("no resource %s", name);
	return NULL;
}

static long long
int_of(json_t *ci, const char *which, const char *name)
{
	return json_integer_value(json_object_get(resource(json_object_get(ci,
	    which), name), "integerValue"));
}

static int
has_port(json_t *ci, const char *which, const char *name, const char *port)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(resource(json_object_get(ci, which),
	    name), "stringSetValue"), i, v) {
		if (strcmp(json_string_value(v), port) == 0)
			return 1;
	}
	return 0;
}

static const char *
attr(json_t *ci, const char *name)
{
	json_t *a;
	size_t i;

	json_array_foreach(json_object_get(ci, "attributes"), i, a) {
		if (strcmp(sget(a, "name"), name) == 0)
			return sget(a, "value") ? sget(a, "value") : "";
	}
	return NULL;
}

TEST(local_instance_is_the_machine)
{
	json_t *ci;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	setup();
	ensure_local("c1");        /* a second call adds nothing */
	ci = describe_local("");
	ASSERT(strncmp(sget(ci, "containerInstanceArn"),
	    ARN "container-instance/c1/", strlen(ARN "container-instance/c1/"))
	    == 0);
	ASSERT_STR_EQ(sget(ci, "status"), "ACTIVE");
	ASSERT(json_is_true(json_object_get(ci, "agentConnected")));
	ASSERT_INT_EQ(int_of(ci, "registeredResources", "CPU"), cores * 1024);
	ASSERT(int_of(ci, "registeredResources", "MEMORY") > 0);
	ASSERT(has_port(ci, "registeredResources", "PORTS", "22"));
	ASSERT(has_port(ci, "registeredResources", "PORTS", "51679"));
	ASSERT_INT_EQ(json_array_size(json_object_get(resource(json_object_get(ci,
	    "registeredResources"), "PORTS_UDP"), "stringSetValue")), 0);
	ASSERT_INT_EQ(int_of(ci, "remainingResources", "CPU"), cores * 1024);
	ASSERT_INT_EQ(json_integer_value(json_object_get(ci,
	    "runningTasksCount")), 0);
	ASSERT_STR_EQ(attr(ci, "ecs.os-type"), "linux");
	ASSERT_STR_EQ(attr(ci, "ecs.availability-zone"), "us-east-1a");
	ASSERT_STR_EQ(attr(ci, "ecs.cpu-architecture"), instances_host_arch());
	ASSERT_NOT_NULL(attr(ci, "ecs.capability.container-health-check"));
	ASSERT_NOT_NULL(attr(ci,
	    "com.amazonaws.ecs.capability.docker-remote-api.1.44"));
	ASSERT_NULL(json_object_get(ci, "capacityProviderName"));
	ASSERT_NULL(json_object_get(ci, "healthStatus"));
	json_decref(ci);
	ci = describe_local(",\"include\":[\"CONTAINER_INSTANCE_HEALTH\","
	    "\"TAGS\"]");
	ASSERT_STR_EQ(sget(json_object_get(ci, "healthStatus"), "overallStatus"),
	    "OK");
	ASSERT(json_is_array(json_object_get(ci, "tags")));
	json_decref(ci);
}

/* Saves the task (by ARN) with a new lastStatus, as the scheduler would. */
static void
observe(const char *arn, const char *last)
{
	struct task_row t;

	ASSERT_INT_EQ(store_task_get(api_store(), &us, "c1", strrchr(arn, '/') + 1,
	    &t), STORE_OK);
	json_object_set_new(t.doc, "lastStatus", json_string(last));
	ASSERT_INT_EQ(store_task_save(api_store(), &us, "c1", t.id, t.doc),
	    STORE_OK);
	store_task_row_free(&t);
}

TEST(remaining_resources_are_computed_from_tasks)
{
	json_t *ci, *out;
	long long cpu, mem;
	char arn[200];

	setup();
	ci = describe_local("");
	cpu = int_of(ci, "registeredResources", "CPU");
	mem = int_of(ci, "registeredResources", "MEMORY");
	json_decref(ci);

	out = ok("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"web\"}");
	snprintf(arn, sizeof arn, "%s", sget(json_array_get(json_object_get(out,
	    "tasks"), 0), "taskArn"));
	json_decref(out);
	ci = describe_local("");
	ASSERT_INT_EQ(int_of(ci, "remainingResources", "CPU"), cpu - 10);
	ASSERT_INT_EQ(int_of(ci, "remainingResources", "MEMORY"), mem - 192);
	ASSERT(has_port(ci, "remainingResources", "PORTS", "8080"));
	ASSERT(has_port(ci, "remainingResources", "PORTS", "22"));
	ASSERT(has_port(ci, "remainingResources", "PORTS_UDP", "5353"));
	ASSERT(!has_port(ci, "registeredResources", "PORTS", "8080"));
	ASSERT_INT_EQ(json_integer_value(json_object_get(ci,
	    "pendingTasksCount")), 1);
	ASSERT_INT_EQ(json_integer_value(json_object_get(ci,
	    "runningTasksCount")), 0);
	json_decref(ci);

	observe(arn, "RUNNING");
	ci = describe_local("");
	ASSERT_INT_EQ(json_integer_value(json_object_get(ci,
	    "pendingTasksCount")), 0);
	ASSERT_INT_EQ(json_integer_value(json_object_get(ci,
	    "runningTasksCount")), 1);
	json_decref(ci);

	observe(arn, "STOPPED");
	ci = describe_local("");
	ASSERT_INT_EQ(int_of(ci, "remainingResources", "CPU"), cpu);
	ASSERT_INT_EQ(int_of(ci, "remainingResources", "MEMORY"), mem);
	ASSERT(!has_port(ci, "remainingResources", "PORTS", "8080"));
	ASSERT_INT_EQ(json_integer_value(json_object_get(ci,
	    "runningTasksCount")), 0);
	json_decref(ci);
	/* and the port is free for the next task */
	out = ok("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"web\"}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "tasks")), 1);
	json_decref(out);
}

TEST(describe_container_instances_failures)
{
	json_t *d, *f;

	setup();
	fails("DescribeContainerInstances", "{\"cluster\":\"c1\","
	    "\"containerInstances\":[]}", "InvalidParameterException");
	fails("DescribeContainerInstances", "{\"cluster\":\"nope\","
	    "\"containerInstances\":[\"x\"]}", "ClusterNotFoundException");
	d = ok("DescribeContainerInstances", "{\"cluster\":\"c1\","
	    "\"containerInstances\":[\"feedfeedfeedfeedfeedfeedfeedfeed\"]}");
	ASSERT_INT_EQ(json_array_size(json_object_get(d, "containerInstances")),
	    0);
	f = json_array_get(json_object_get(d, "failures"), 0);
	ASSERT_STR_EQ(sget(f, "arn"),
	    ARN "container-instance/c1/feedfeedfeedfeedfeedfeedfeedfeed");
	ASSERT_STR_EQ(sget(f, "reason"), "MISSING");
	json_decref(d);
}

/* The ARN of the local instance. */
static void
local_arn(char *buf, size_t size)
{
	json_t *l = ok("ListContainerInstances", "{\"cluster\":\"c1\"}");

	snprintf(buf, size, "%s", json_string_value(json_array_get(
	    json_object_get(l, "containerInstanceArns"), 0)));
	json_decref(l);
}

TEST(draining_takes_no_tasks)
{
	json_t *out;
	char arn[200], body[400];

	setup();
	local_arn(arn, sizeof arn);
	snprintf(body, sizeof body, "{\"cluster\":\"c1\",\"containerInstances\":"
	    "[\"%s\",\"feedfeedfeedfeedfeedfeedfeedfeed\"],\"status\":"
	    "\"DRAINING\"}", strrchr(arn, '/') + 1);
	out = ok("UpdateContainerInstancesState", body);
	ASSERT_STR_EQ(sget(json_array_get(json_object_get(out,
	    "containerInstances"), 0), "status"), "DRAINING");
	ASSERT_INT_EQ(json_integer_value(json_object_get(json_array_get(
	    json_object_get(out, "containerInstances"), 0), "version")), 2);
	ASSERT_STR_EQ(sget(json_array_get(json_object_get(out, "failures"), 0),
	    "reason"), "MISSING");
	json_decref(out);

	out = ok("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"web\"}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "tasks")), 0);
	ASSERT_STR_EQ(sget(json_array_get(json_object_get(out, "failures"), 0),
	    "reason"), "DRAINING");
	ASSERT_STR_EQ(sget(json_array_get(json_object_get(out, "failures"), 0),
	    "arn"), arn);
	json_decref(out);
	out = ok("ListContainerInstances", "{\"cluster\":\"c1\",\"status\":"
	    "\"ACTIVE\"}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out,
	    "containerInstanceArns")), 0);
	json_decref(out);
	out = ok("ListContainerInstances", "{\"cluster\":\"c1\",\"status\":"
	    "\"DRAINING\"}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out,
	    "containerInstanceArns")), 1);
	json_decref(out);

	snprintf(body, sizeof body, "{\"cluster\":\"c1\",\"containerInstances\":"
	    "[\"%s\"],\"status\":\"REGISTERING\"}", arn);
	fails("UpdateContainerInstancesState", body, "InvalidParameterException");
	snprintf(body, sizeof body, "{\"cluster\":\"c1\",\"containerInstances\":"
	    "[\"%s\"],\"status\":\"ACTIVE\"}", arn);
	json_decref(ok("UpdateContainerInstancesState", body));
	out = ok("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"web\"}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "tasks")), 1);
	json_decref(out);
}

TEST(registered_instance_takes_no_tasks)
{
	json_t *out, *ci;
	char arn[200], local[200], body[800];

	setup();
	local_arn(local, sizeof local);
	out = ok("RegisterContainerInstance", "{\"cluster\":\"c1\","
	    "\"instanceIdentityDocument\":\"{\\\"instanceId\\\":\\\"i-0abc\\\","
	    "\\\"availabilityZone\\\":\\\"us-east-1b\\\"}\","
	    "\"totalResources\":[{\"name\":\"CPU\",\"type\":\"INTEGER\","
	    "\"integerValue\":2048},{\"name\":\"MEMORY\",\"type\":\"INTEGER\","
	    "\"integerValue\":4096},{\"name\":\"PORTS\",\"type\":\"STRINGSET\","
	    "\"stringSetValue\":[\"22\"]}],"
	    "\"versionInfo\":{\"agentVersion\":\"1.80.0\"},"
	    "\"attributes\":[{\"name\":\"color\",\"value\":\"blue\"}],"
	    "\"tags\":[{\"key\":\"k\",\"value\":\"v\"}]}");
	ci = json_object_get(out, "containerInstance");
	snprintf(arn, sizeof arn, "%s", sget(ci, "containerInstanceArn"));
	ASSERT_STR_EQ(sget(ci, "ec2InstanceId"), "i-0abc");
	ASSERT(json_is_false(json_object_get(ci, "agentConnected")));
	ASSERT_INT_EQ(int_of(ci, "remainingResources", "MEMORY"), 4096);
	ASSERT_STR_EQ(attr(ci, "color"), "blue");
	ASSERT_STR_EQ(attr(ci, "ecs.availability-zone"), "us-east-1b");
	ASSERT_INT_EQ(json_array_size(json_object_get(ci, "tags")), 1);
	json_decref(out);

	snprintf(body, sizeof body, "{\"cluster\":\"c1\",\"taskDefinition\":"
	    "\"web\",\"containerInstances\":[\"%s\",\"%s\","
	    "\"feedfeedfeedfeedfeedfeedfeedfeed\"]}", arn, local);
	out = ok("StartTask", body);
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "tasks")), 1);
	ASSERT_STR_EQ(sget(json_array_get(json_object_get(out, "tasks"), 0),
	    "containerInstanceArn"), local);
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "failures")), 2);
	ASSERT_STR_EQ(sget(json_array_get(json_object_get(out, "failures"), 0),
	    "reason"), "AGENT");
	ASSERT_STR_EQ(sget(json_array_get(json_object_get(out, "failures"), 1),
	    "reason"), "MISSING");
	json_decref(out);
	fails("StartTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"web\","
	    "\"containerInstances\":[]}", "InvalidParameterException");

	/* registering again with the ARN updates it */
	snprintf(body, sizeof body, "{\"cluster\":\"c1\",\"containerInstanceArn\":"
	    "\"%s\",\"totalResources\":[{\"name\":\"CPU\",\"type\":\"INTEGER\","
	    "\"integerValue\":1024}]}", arn);
	out = ok("RegisterContainerInstance", body);
	ci = json_object_get(out, "containerInstance");
	ASSERT_STR_EQ(sget(ci, "containerInstanceArn"), arn);
	ASSERT_INT_EQ(json_integer_value(json_object_get(ci, "version")), 2);
	ASSERT_INT_EQ(int_of(ci, "registeredResources", "CPU"), 1024);
	json_decref(out);

	out = ok("ListContainerInstances", "{\"cluster\":\"c1\",\"filter\":"
	    "\"attribute:color == blue\"}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out,
	    "containerInstanceArns")), 1);
	ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(out,
	    "containerInstanceArns"), 0)), arn);
	json_decref(out);
	out = ok("ListContainerInstances", "{\"cluster\":\"c1\",\"filter\":"
	    "\"runningTasksCount == 0 and agentConnected == false\"}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out,
	    "containerInstanceArns")), 1);
	json_decref(out);
	out = ok("ListContainerInstances", "{\"cluster\":\"c1\",\"filter\":"
	    "\"attribute:ecs.os-type == linux\"}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out,
	    "containerInstanceArns")), 1);
	ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(out,
	    "containerInstanceArns"), 0)), local);
	json_decref(out);
	fails("ListContainerInstances", "{\"cluster\":\"c1\",\"filter\":"
	    "\"attribute:color ==\"}", "InvalidParameterException");
}

TEST(list_container_instances_pages)
{
	json_t *out, *seen = json_array();
	char body[600], token[600] = "";
	int pages = 0;

	setup();
	for (int i = 0; i < 4; i++)
		json_decref(ok("RegisterContainerInstance", "{\"cluster\":\"c1\","
		    "\"attributes\":[{\"name\":\"shape\",\"value\":\"box\"}]}"));
	do {
		if (token[0])
			snprintf(body, sizeof body, "{\"cluster\":\"c1\",\"maxResults\":"
			    "2,\"filter\":\"attribute:shape exists\",\"nextToken\":"
			    "\"%s\"}", token);
		else
			snprintf(body, sizeof body, "{\"cluster\":\"c1\",\"maxResults\":"
			    "2,\"filter\":\"attribute:shape exists\"}");
		out = ok("ListContainerInstances", body);
		json_array_extend(seen, json_object_get(out, "containerInstanceArns"));
		token[0] = '\0';
		if (sget(out, "nextToken"))
			snprintf(token, sizeof token, "%s", sget(out, "nextToken"));
		json_decref(out);
		pages++;
	} while (token[0] && pages < 10);
	ASSERT_INT_EQ(pages, 2);
	ASSERT_INT_EQ(json_array_size(seen), 4);
	ASSERT(!json_equal(json_array_get(seen, 0), json_array_get(seen, 2)));
	json_decref(seen);
	out = ok("ListContainerInstances", "{\"cluster\":\"c1\"}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out,
	    "containerInstanceArns")), 5);
	json_decref(out);
}

TEST(deregister_needs_force_with_tasks)
{
	json_t *out, *ci, *t;
	char arn[200], task[200], body[400];

	setup();
	local_arn(arn, sizeof arn);
	out = ok("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"web\"}");
	snprintf(task, sizeof task, "%s", sget(json_array_get(json_object_get(out,
	    "tasks"), 0), "taskArn"));
	json_decref(out);
	snprintf(body, sizeof body, "{\"cluster\":\"c1\",\"containerInstance\":"
	    "\"%s\"}", arn);
	fails("DeregisterContainerInstance", body, "InvalidParameterException");
	fails("DeregisterContainerInstance", "{\"cluster\":\"c1\","
	    "\"containerInstance\":\"feedfeedfeedfeedfeedfeedfeedfeed\"}",
	    "InvalidParameterException");
	snprintf(body, sizeof body, "{\"cluster\":\"c1\",\"containerInstance\":"
	    "\"%s\",\"force\":true}", arn);
	out = ok("DeregisterContainerInstance", body);
	ci = json_object_get(out, "containerInstance");
	ASSERT_STR_EQ(sget(ci, "status"), "INACTIVE");
	ASSERT_STR_EQ(attr(ci, "ecs.os-type"), "linux");
	json_decref(out);

	/* its task was told to stop */
	snprintf(body, sizeof body, "{\"cluster\":\"c1\",\"tasks\":[\"%s\"]}",
	    task);
	out = ok("DescribeTasks", body);
	t = json_array_get(json_object_get(out, "tasks"), 0);
	ASSERT_STR_EQ(sget(t, "desiredStatus"), "STOPPED");
	json_decref(out);

	/* still describable; gone from the default list and ListAttributes */
	snprintf(body, sizeof body, "{\"cluster\":\"c1\",\"containerInstances\":"
	    "[\"%s\"]}", arn);
	out = ok("DescribeContainerInstances", body);
	ASSERT_STR_EQ(sget(json_array_get(json_object_get(out,
	    "containerInstances"), 0), "status"), "INACTIVE");
	json_decref(out);
	out = ok("ListContainerInstances", "{\"cluster\":\"c1\"}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out,
	    "containerInstanceArns")), 0);
	json_decref(out);

	/* the next RunTask registers the local engine again, as a new one */
	out = ok("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"web\"}");
	t = json_array_get(json_object_get(out, "tasks"), 0);
	ASSERT_NOT_NULL(t);
	ASSERT(strcmp(sget(t, "containerInstanceArn"), arn) != 0);
	json_decref(out);
}

/* ---- the cluster query language ---- */

TEST(cluster_query_language)
{
	static const struct {
		const char *expr;
		int want;            /* 1 true, 0 false, -1 invalid */
	} cases[] = {
		{ "attribute:ecs.os-type == linux", 1 },
		{ "attribute:ecs.os-type==linux", 1 },
		{ "attribute:ecs.os-type equals linux", 1 },
		{ "attribute:ecs.os-type != linux", 0 },
		{ "attribute:ecs.os-type == 'linux'", 1 },
		{ "attribute:color == blue", 0 },
		{ "attribute:color != blue", 1 },
		{ "attribute:color exists", 0 },
		{ "attribute:color !exists", 1 },
		{ "attribute:color not_exists", 1 },
		{ "attribute:flag exists", 1 },
		{ "attribute:ecs.instance-type =~ t2.*", 1 },
		{ "attribute:ecs.instance-type =~ m5.*", 0 },
		{ "attribute:ecs.instance-type !~ m5.*", 1 },
		{ "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]", 1 },
		{ "attribute:ecs.availability-zone not_in [us-east-1a]", 0 },
		{ "task:group == service:web", 1 },
		{ "task:group == database", 0 },
		{ "not(task:group == database)", 1 },
		{ "!(task:group == database) && runningTasksCount > 1", 1 },
		{ "runningTasksCount >= 3 or runningTasksCount < 1", 0 },
		{ "runningTasksCount <= 2 and ec2InstanceId in ['i-1', 'i-2']", 1 },
		{ "registeredAt < 2030-01-01T00:00:00Z", 1 },
		{ "registeredAt > 2030-01-01", 0 },
		{ "agentConnected == true", 1 },
		{ "(attribute:ecs.os-type == linux or attribute:color == red) and "
		  "attribute:flag exists", 1 },
		{ "", -1 },
		{ "attribute:ecs.os-type", -1 },
		{ "attribute:ecs.os-type ==", -1 },
		{ "attribute:ecs.os-type == linux and", -1 },
		{ "(attribute:ecs.os-type == linux", -1 },
		{ "nonsense == 1", -1 },
		{ "attribute:x in [a, b", -1 },
		{ "attribute:x =~ (", -1 },
		{ "attribute:x == 'open", -1 },
		{ "attribute:x == a b", -1 },
	};
	struct ci_host h;
	struct req r;

	memset(&h, 0, sizeof h);
	memset(&r, 0, sizeof r);
	h.attrs = json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}, {s:s}]",
	    "name", "ecs.os-type", "value", "linux",
	    "name", "ecs.instance-type", "value", "t2.micro",
	    "name", "ecs.availability-zone", "value", "us-east-1a",
	    "name", "flag");
	h.use.groups = json_pack("[s, s]", "family:x", "service:web");
	h.use.running = 2;
	h.row.registered_at = 1700000000;
	h.row.doc = json_pack("{s:s}", "ec2InstanceId", "i-2");
	h.connected = 1;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int got = instances_query(&r, "filter", cases[i].expr, &h);
		int syntax = instances_query(&r, "filter", cases[i].expr, NULL);

		if (got != cases[i].want)
			UNIT_FAIL("[%s]: %d, wanted %d (%s)", cases[i].expr, got,
			    cases[i].want, r.err_msg ? r.err_msg : "");
		/* a syntax check alone agrees on what is invalid */
		if ((syntax < 0) != (cases[i].want < 0))
			UNIT_FAIL("[%s]: syntax check says %d", cases[i].expr, syntax);
		if (got < 0)
			ASSERT_STR_EQ(api_error_name(r.err),
			    "InvalidParameterException");
	}
	free(r.err_msg);
	json_decref(h.attrs);
	json_decref(h.use.groups);
	json_decref(h.row.doc);
}

/* What DeleteCluster calls: the local instance goes unless tasks hold it. */
TEST(release_local_only_when_idle)
{
	json_t *out;
	struct req r;
	char arn[200], task[200];

	setup();
	local_arn(arn, sizeof arn);
	out = ok("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"web\"}");
	snprintf(task, sizeof task, "%s", sget(json_array_get(json_object_get(out,
	    "tasks"), 0), "taskArn"));
	json_decref(out);
	memset(&r, 0, sizeof r);
	r.store = api_store();
	r.part = us;
	ASSERT_INT_EQ(instances_release_local(&r, "c1"), 0);
	out = ok("ListContainerInstances", "{\"cluster\":\"c1\"}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out,
	    "containerInstanceArns")), 1);
	json_decref(out);

	observe(task, "STOPPED");
	ASSERT_INT_EQ(instances_release_local(&r, "c1"), 0);
	out = ok("ListContainerInstances", "{\"cluster\":\"c1\"}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out,
	    "containerInstanceArns")), 0);
	json_decref(out);
	out = ok("ListContainerInstances", "{\"cluster\":\"c1\",\"status\":"
	    "\"ACTIVE\"}");
	ASSERT_INT_EQ(json_array_size(json_object_get(out,
	    "containerInstanceArns")), 0);
	json_decref(out);
	ASSERT_INT_EQ(instances_release_local(&r, "c1"), 0);   /* none left */
	free(r.err_msg);
}
