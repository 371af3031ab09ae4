/*
 * test-services-sched.c - the service scheduler's pass (scheduler/
 * services.c) on an in-memory store, with the task chains played by the
 * test: services_pass starts tasks through the RunTask path, the test moves
 * them to RUNNING or STOPPED as Docker would, and the next pass must count,
 * replace, complete deployments, trip the circuit breaker and roll back.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "../../api/api.h"
#include "../../scheduler/sched.h"
#include "../../store/store.h"
#include "unit.h"

#define CLUSTER "c1"

static const struct part us = { "123456789012", "us-east-1" };
static int status;

static json_t *
call(const char *op, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static json_t *
call(const char *op, const char *fmt, ...)
{
	static char body[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	return unit_call_region(op, "us-east-1", body, &status);
}

static void
ok(json_t *doc)
{
	if (status != 200)
		UNIT_FAIL("status %d: %s", status, json_dumps(doc, 0));
	json_decref(doc);
}

/* A scheduler with no Docker: only what services_pass uses. */
struct harness {
	uv_loop_t loop;
	struct config cfg;
	struct sched s;
};

static void
harness_init(struct harness *h)
{
	memset(h, 0, sizeof *h);
	unit_store_setup();
	uv_loop_init(&h->loop);
	h->cfg.task_retention = 3600;
	h->cfg.account = "123456789012";
	h->cfg.region = "us-east-1";
	h->s.loop = &h->loop;
	h->s.store = api_store();
	h->s.cfg = &h->cfg;
	uv_timer_init(&h->loop, &h->s.kick_timer);
	ok(call("CreateCluster", "{\"clusterName\":\"" CLUSTER "\"}"));
	ok(call("RegisterTaskDefinition", "{\"family\":\"web\","
	    "\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\","
	    "\"memory\":32}]}"));
	ok(call("RegisterTaskDefinition", "{\"family\":\"web\","
	    "\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"bad\","
	    "\"memory\":32}]}"));
}

static void
harness_close(struct harness *h)
{
	uv_close((uv_handle_t *)&h->s.kick_timer, NULL);
	json_decref(h->s.kick_tasks);     /* services in motion asked again */
	json_decref(h->s.kick_services);
	uv_run(&h->loop, UV_RUN_DEFAULT);
	uv_loop_close(&h->loop);
}

static void
pass(struct harness *h)
{
	services_pass(&h->s);
}

static json_t *
service(void)
{
	json_t *out = call("DescribeServices", "{\"cluster\":\"" CLUSTER "\","
	    "\"services\":[\"web\"]}");
	json_t *svc = json_incref(json_array_get(json_object_get(out,
	    "services"), 0));

	json_decref(out);
	return svc;
}

struct walk {
	const char *want_desired;
	json_t *ids;
};

static void
walk_cb(void *arg, struct task_row *row, double stopped_at)
{
	struct walk *w = arg;

	(void)stopped_at;
	if (w->want_desired == NULL || strcmp(json_string_value(json_object_get(
	    row->doc, "desiredStatus")), w->want_desired) == 0)
		json_array_append_new(w->ids, json_string(row->id));
}

/* Ids of the service's live tasks (desiredStatus want, NULL: any). */
static json_t *
live_tasks(struct harness *h, const char *want)
{
	struct walk w = { want, json_array() };

	store_service_tasks(h->s.store, &us, CLUSTER, "web", 1e18, walk_cb, &w);
	return w.ids;
}

/* Plays the task chain: sets lastStatus (and what comes with it). */
static void
task_set(struct harness *h, const char *id, const char *last,
    const char *code)
{
	struct task_row row;
	double now = now_epoch();

	ASSERT_INT_EQ(store_begin(h->s.store, 1), 0);
	ASSERT_INT_EQ(store_task_get(h->s.store, &us, CLUSTER, id, &row),
	    STORE_OK);
	json_object_set_new(row.doc, "lastStatus", json_string(last));
	if (strcmp(last, "RUNNING") == 0)
		json_object_set_new(row.doc, "startedAt", json_real(now));
	if (strcmp(last, "STOPPED") == 0) {
		json_object_set_new(row.doc, "desiredStatus", json_string("STOPPED"));
		json_object_set_new(row.doc, "stoppedAt", json_real(now));
		if (code != NULL && json_object_get(row.doc, "stopCode") == NULL)
			json_object_set_new(row.doc, "stopCode", json_string(code));
	}
	ASSERT_INT_EQ(store_task_save(h->s.store, &us, CLUSTER, id, row.doc),
	    STORE_OK);
	ASSERT_INT_EQ(store_commit(h->s.store), 0);
	store_task_row_free(&row);
}

/* Every live task reaches RUNNING; those asked to stop reach STOPPED. */
static void
settle(struct harness *h)
{
	json_t *ids = live_tasks(h, NULL), *v;
	size_t i;

	json_array_foreach(ids, i, v) {
		struct task_row row;
		int stop;

		store_task_get(h->s.store, &us, CLUSTER, json_string_value(v), &row);
		stop = strcmp(json_string_value(json_object_get(row.doc,
		    "desiredStatus")), "STOPPED") == 0;
		store_task_row_free(&row);
		task_set(h, json_string_value(v), stop ? "STOPPED" : "RUNNING",
		    NULL);
	}
	json_decref(ids);
}

static const char *
s_of(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int
has_event(json_t *svc, const char *prefix)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(svc, "events"), i, e)
		if (strncmp(s_of(e, "message"), prefix, strlen(prefix)) == 0)
			return 1;
	return 0;
}

TEST(services_pass_scales_replaces_and_completes)
{
	struct harness h;
	json_t *svc, *ids;

	harness_init(&h);
	ok(call("CreateService", "{\"cluster\":\"" CLUSTER "\",\"serviceName\":"
	    "\"web\",\"taskDefinition\":\"web:1\",\"desiredCount\":3}"));
	pass(&h);
	ids = live_tasks(&h, "RUNNING");
	ASSERT_INT_EQ(json_array_size(ids), 3);
	json_decref(ids);
	svc = service();
	ASSERT_INT_EQ(json_integer_value(json_object_get(svc, "pendingCount")), 3);
	ASSERT(has_event(svc, "(service web) has started 3 tasks: (task "));
	json_decref(svc);
	pass(&h);                 /* idempotent: nothing more */
	ids = live_tasks(&h, NULL);
	ASSERT_INT_EQ(json_array_size(ids), 3);
	json_decref(ids);

	settle(&h);
	pass(&h);
	svc = service();
	ASSERT_INT_EQ(json_integer_value(json_object_get(svc, "runningCount")), 3);
	ASSERT_STR_EQ(s_of(json_array_get(json_object_get(svc, "deployments"), 0),
	    "rolloutState"), "COMPLETED");
	ASSERT_STR_EQ(s_of(json_array_get(json_object_get(svc, "events"), 0),
	    "message"), "(service web) has reached a steady state.");
	json_decref(svc);

	/* a task dies on its own after running: replaced, no failure */
	ids = live_tasks(&h, "RUNNING");
	task_set(&h, json_string_value(json_array_get(ids, 0)), "STOPPED",
	    "EssentialContainerExited");
	json_decref(ids);
	pass(&h);
	ids = live_tasks(&h, "RUNNING");
	ASSERT_INT_EQ(json_array_size(ids), 3);
	json_decref(ids);
	svc = service();
	ASSERT_INT_EQ(json_integer_value(json_object_get(json_array_get(
	    json_object_get(svc, "deployments"), 0), "failedTasks")), 0);
	json_decref(svc);

	/* scale in: the scheduler's own stops */
	ok(call("UpdateService", "{\"cluster\":\"" CLUSTER "\",\"service\":"
	    "\"web\",\"desiredCount\":1}"));
	settle(&h);
	pass(&h);
	ids = live_tasks(&h, "STOPPED");
	ASSERT_INT_EQ(json_array_size(ids), 2);
	json_decref(ids);
	settle(&h);
	pass(&h);
	svc = service();
	ASSERT_INT_EQ(json_integer_value(json_object_get(svc, "runningCount")), 1);
	ASSERT(has_event(svc, "(service web) has stopped 2 running tasks: "));
	json_decref(svc);
	harness_close(&h);
}

TEST(services_pass_rolls_out_within_the_window)
{
	struct harness h;
	json_t *svc;
	int steps = 0;

	harness_init(&h);
	ok(call("CreateService", "{\"cluster\":\"" CLUSTER "\",\"serviceName\":"
	    "\"web\",\"taskDefinition\":\"web:1\",\"desiredCount\":4,"
	    "\"deploymentConfiguration\":{\"maximumPercent\":150,"
	    "\"minimumHealthyPercent\":75}}"));
	pass(&h);
	settle(&h);
	pass(&h);
	ok(call("RegisterTaskDefinition", "{\"family\":\"web\","
	    "\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox:3\","
	    "\"memory\":32}]}"));
	ok(call("UpdateService", "{\"cluster\":\"" CLUSTER "\",\"service\":"
	    "\"web\",\"taskDefinition\":\"web:3\"}"));
	for (;;) {
		json_t *all, *running;
		const char *state;

		pass(&h);
		all = live_tasks(&h, NULL);
		running = live_tasks(&h, "RUNNING");
		/* at most floor(4*1.5)=6 tasks exist */
		ASSERT(json_array_size(all) <= 6);
		json_decref(all);
		json_decref(running);
		svc = service();
		/* at least ceil(4*0.75)=3 run */
		ASSERT(json_integer_value(json_object_get(svc, "runningCount")) >= 3);
		state = s_of(json_array_get(json_object_get(svc, "deployments"), 0),
		    "rolloutState");
		if (strcmp(state, "COMPLETED") == 0 && json_array_size(
		    json_object_get(svc, "deployments")) == 1) {
			json_decref(svc);
			break;
		}
		json_decref(svc);
		settle(&h);
		ASSERT(++steps < 20);
	}
	ASSERT(steps >= 2);
	svc = service();
	ASSERT_STR_EQ(s_of(svc, "taskDefinition"),
	    "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3");
	json_decref(svc);
	harness_close(&h);
}

TEST(services_pass_circuit_breaker_rolls_back)
{
	struct harness h;
	json_t *svc, *ids, *v;
	size_t i;
	int rounds = 0;

	harness_init(&h);
	ok(call("CreateService", "{\"cluster\":\"" CLUSTER "\",\"serviceName\":"
	    "\"web\",\"taskDefinition\":\"web:1\",\"desiredCount\":2,"
	    "\"deploymentConfiguration\":{\"deploymentCircuitBreaker\":"
	    "{\"enable\":true,\"rollback\":true}}}"));
	pass(&h);
	settle(&h);
	pass(&h);
	ok(call("UpdateService", "{\"cluster\":\"" CLUSTER "\",\"service\":"
	    "\"web\",\"taskDefinition\":\"web:2\"}"));
	/* every task of web:2 fails to start */
	for (;;) {
		struct task_row row;

		pass(&h);
		svc = service();
		if (strcmp(s_of(json_array_get(json_object_get(svc, "deployments"),
		    0), "taskDefinition"), "arn:aws:ecs:us-east-1:123456789012:"
		    "task-definition/web:2") != 0) {
			json_decref(svc);
			break;
		}
		json_decref(svc);
		ids = live_tasks(&h, NULL);
		json_array_foreach(ids, i, v) {
			store_task_get(h.s.store, &us, CLUSTER, json_string_value(v),
			    &row);
			if (strstr(s_of(row.doc, "taskDefinitionArn"), "web:2"))
				task_set(&h, json_string_value(v), "STOPPED",
				    "TaskFailedToStart");
			store_task_row_free(&row);
		}
		json_decref(ids);
		ASSERT(++rounds < 10);
	}
	svc = service();
	ASSERT(has_event(svc, "(service web) rolling back to deployment "));
	ASSERT(has_event(svc, "(service web) (deployment ecs-svc/"));
	/* the failed deployment had no task left: it has already gone; the
	 * original one still runs its tasks */
	ASSERT_INT_EQ(json_array_size(json_object_get(svc, "deployments")), 2);
	ASSERT_STR_EQ(s_of(json_array_get(json_object_get(svc, "deployments"), 1),
	    "rolloutState"), "COMPLETED");
	json_decref(svc);
	{
		json_t *list = call("ListServiceDeployments", "{\"cluster\":\""
		    CLUSTER "\",\"service\":\"web\"}"), *sd;
		char body[512];

		sd = json_array_get(json_object_get(list, "serviceDeployments"), 0);
		ASSERT_STR_EQ(s_of(sd, "status"), "ROLLBACK_IN_PROGRESS");
		snprintf(body, sizeof body, "{\"serviceDeploymentArns\":[\"%s\"]}",
		    s_of(sd, "serviceDeploymentArn"));
		json_decref(list);
		list = unit_call_region("DescribeServiceDeployments", "us-east-1",
		    body, &status);
		sd = json_array_get(json_object_get(list, "serviceDeployments"), 0);
		ASSERT_STR_EQ(s_of(json_object_get(sd, "deploymentCircuitBreaker"),
		    "status"), "TRIGGERED");
		/* two tasks fail per round: the threshold of 3 is passed at 4 */
		ASSERT_INT_EQ(json_integer_value(json_object_get(json_object_get(sd,
		    "deploymentCircuitBreaker"), "failureCount")), 4);
		ASSERT_INT_EQ(json_integer_value(json_object_get(json_object_get(sd,
		    "deploymentCircuitBreaker"), "threshold")), 3);
		ASSERT_STR_EQ(s_of(json_object_get(sd, "rollback"), "reason"),
		    "ECS deployment circuit breaker: tasks failed to start.");
		json_decref(list);
	}
	/* the old tasks kept running (minimum 100%); the rollback completes:
	 * its tasks start, then the original deployment's stop */
	for (int k = 0; k < 3; k++) {
		pass(&h);
		settle(&h);
	}
	pass(&h);
	svc = service();
	ASSERT_INT_EQ(json_array_size(json_object_get(svc, "deployments")), 1);
	ASSERT_STR_EQ(s_of(json_array_get(json_object_get(svc, "deployments"), 0),
	    "rolloutState"), "COMPLETED");
	ASSERT_INT_EQ(json_integer_value(json_object_get(svc, "runningCount")), 2);
	json_decref(svc);
	{
		json_t *list = call("ListServiceDeployments", "{\"cluster\":\""
		    CLUSTER "\",\"service\":\"web\"}");

		ASSERT_STR_EQ(s_of(json_array_get(json_object_get(list,
		    "serviceDeployments"), 0), "status"), "ROLLBACK_SUCCESSFUL");
		json_decref(list);
	}
	harness_close(&h);
}

TEST(services_pass_drains_to_inactive)
{
	struct harness h;
	json_t *svc, *ids;

	harness_init(&h);
	ok(call("CreateService", "{\"cluster\":\"" CLUSTER "\",\"serviceName\":"
	    "\"web\",\"taskDefinition\":\"web:1\",\"desiredCount\":2}"));
	pass(&h);
	settle(&h);
	pass(&h);
	ok(call("DeleteService", "{\"cluster\":\"" CLUSTER "\",\"service\":"
	    "\"web\",\"force\":true}"));
	pass(&h);
	ids = live_tasks(&h, "STOPPED");
	ASSERT_INT_EQ(json_array_size(ids), 2);
	json_decref(ids);
	svc = service();
	ASSERT_STR_EQ(s_of(svc, "status"), "DRAINING");
	json_decref(svc);
	settle(&h);
	pass(&h);
	svc = service();
	ASSERT_STR_EQ(s_of(svc, "status"), "INACTIVE");
	json_decref(svc);
	harness_close(&h);
}

/* ---- task scale-in protection ---------------------------------------- */

/* UpdateTaskProtection on one task; the answer. */
static json_t *
protect(const char *id, int on, const char *extra)
{
	return call("UpdateTaskProtection", "{\"cluster\":\"" CLUSTER "\","
	    "\"tasks\":[\"%s\"],\"protectionEnabled\":%s%s}", id,
	    on ? "true" : "false", extra ? extra : "");
}

static const char *
failure_reason(json_t *doc)
{
	return s_of(json_array_get(json_object_get(doc, "failures"), 0),
	    "reason");
}

static int
is_stopping(struct harness *h, const char *id)
{
	struct task_row row;
	int stopping;

	ASSERT_INT_EQ(store_task_get(h->s.store, &us, CLUSTER, id, &row),
	    STORE_OK);
	stopping = strcmp(s_of(row.doc, "desiredStatus"), "STOPPED") == 0;
	store_task_row_free(&row);
	return stopping;
}

TEST(task_protection_api)
{
	struct harness h;
	json_t *doc, *ids, *pt;
	char standalone[64], a[64], b[64];
	double now = now_epoch(), exp;

	harness_init(&h);
	ok(call("CreateService", "{\"cluster\":\"" CLUSTER "\",\"serviceName\":"
	    "\"web\",\"taskDefinition\":\"web:1\",\"desiredCount\":2}"));
	pass(&h);
	ids = live_tasks(&h, "RUNNING");
	ASSERT_INT_EQ(json_array_size(ids), 2);
	snprintf(a, sizeof a, "%s", json_string_value(json_array_get(ids, 0)));
	snprintf(b, sizeof b, "%s", json_string_value(json_array_get(ids, 1)));
	json_decref(ids);
	doc = call("RunTask", "{\"cluster\":\"" CLUSTER "\",\"taskDefinition\":"
	    "\"web:1\"}");
	snprintf(standalone, sizeof standalone, "%s", strrchr(s_of(json_array_get(
	    json_object_get(doc, "tasks"), 0), "taskArn"), '/') + 1);
	json_decref(doc);

	/* default 120 minutes; the answer and GetTaskProtection agree */
	doc = protect(a, 1, NULL);
	ASSERT_INT_EQ(status, 200);
	pt = json_array_get(json_object_get(doc, "protectedTasks"), 0);
	ASSERT(json_is_true(json_object_get(pt, "protectionEnabled")));
	exp = json_number_value(json_object_get(pt, "expirationDate"));
	ASSERT(exp >= now + 7200 - 5 && exp <= now + 7200 + 60);
	ASSERT(strstr(s_of(pt, "taskArn"), a) != NULL);
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "failures")), 0);
	json_decref(doc);
	doc = call("GetTaskProtection", "{\"cluster\":\"" CLUSTER "\","
	    "\"tasks\":[\"%s\",\"%s\"]}", a, b);
	ASSERT_INT_EQ(status, 200);
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "protectedTasks")), 2);
	pt = json_array_get(json_object_get(doc, "protectedTasks"), 1);
	ASSERT(json_is_false(json_object_get(pt, "protectionEnabled")));
	ASSERT_NULL(json_object_get(pt, "expirationDate"));
	json_decref(doc);
	/* asked again: a new end from now */
	doc = protect(a, 1, ",\"expiresInMinutes\":5");
	exp = json_number_value(json_object_get(json_array_get(json_object_get(
	    doc, "protectedTasks"), 0), "expirationDate"));
	ASSERT(exp >= now + 300 - 5 && exp <= now + 300 + 60);
	json_decref(doc);

	/* failures, per task */
	doc = protect(standalone, 1, NULL);
	ASSERT_STR_EQ(failure_reason(doc), "TASK_NOT_VALID");
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "protectedTasks")), 0);
	json_decref(doc);
	doc = protect("0123456789abcdef0123456789abcdef", 1, NULL);
	ASSERT_STR_EQ(failure_reason(doc), "MISSING");
	json_decref(doc);
	/* more protected tasks than desiredCount would block deployments */
	ok(protect(b, 1, NULL));
	ok(call("UpdateService", "{\"cluster\":\"" CLUSTER "\",\"service\":"
	    "\"web\",\"desiredCount\":1}"));
	doc = protect(a, 1, NULL);
	ASSERT_STR_EQ(failure_reason(doc), "DEPLOYMENT_BLOCKED");
	json_decref(doc);
	/* clearing is always allowed */
	doc = protect(a, 0, NULL);
	pt = json_array_get(json_object_get(doc, "protectedTasks"), 0);
	ASSERT(json_is_false(json_object_get(pt, "protectionEnabled")));
	json_decref(doc);

	/* errors */
	json_decref(protect(a, 1, ",\"expiresInMinutes\":0"));
	ASSERT_INT_EQ(status, 400);
	json_decref(protect(a, 1, ",\"expiresInMinutes\":2881"));
	ASSERT_INT_EQ(status, 400);
	json_decref(call("UpdateTaskProtection", "{\"cluster\":\"" CLUSTER "\","
	    "\"tasks\":[],\"protectionEnabled\":true}"));
	ASSERT_INT_EQ(status, 400);
	json_decref(call("UpdateTaskProtection", "{\"cluster\":\"" CLUSTER "\","
	    "\"tasks\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\","
	    "\"9\",\"10\",\"11\"],\"protectionEnabled\":true}"));
	ASSERT_INT_EQ(status, 400);
	doc = call("GetTaskProtection", "{\"cluster\":\"nope\",\"tasks\":"
	    "[\"%s\"]}", a);
	ASSERT_STR_EQ(unit_error_type(doc), "ClusterNotFoundException");
	json_decref(doc);
	harness_close(&h);
}

/*
 * Scale-in and deployments pass over a protected task: another is chosen,
 * or the service waits (with an event) until the protection is cleared
 * or lapses; deleting the service stops it all the same.
 */
TEST(services_pass_spares_protected_tasks)
{
	struct harness h;
	json_t *ids, *svc;
	char keep[64], other[64];

	harness_init(&h);
	ok(call("CreateService", "{\"cluster\":\"" CLUSTER "\",\"serviceName\":"
	    "\"web\",\"taskDefinition\":\"web:1\",\"desiredCount\":3}"));
	pass(&h);
	settle(&h);
	pass(&h);
	/* scale-in stops the newest first: protect the newest */
	ids = live_tasks(&h, "RUNNING");
	snprintf(keep, sizeof keep, "%s", json_string_value(json_array_get(ids,
	    2)));
	json_decref(ids);
	ok(protect(keep, 1, NULL));
	ok(call("UpdateService", "{\"cluster\":\"" CLUSTER "\",\"service\":"
	    "\"web\",\"desiredCount\":1}"));
	pass(&h);
	ids = live_tasks(&h, "STOPPED");
	ASSERT_INT_EQ(json_array_size(ids), 2);
	json_decref(ids);
	ASSERT(!is_stopping(&h, keep));
	settle(&h);
	pass(&h);

	/* a new revision: the protected task of the old deployment stays,
	 * and the deployment waits for it */
	ok(call("UpdateService", "{\"cluster\":\"" CLUSTER "\",\"service\":"
	    "\"web\",\"taskDefinition\":\"web:2\"}"));
	for (int k = 0; k < 4; k++) {
		pass(&h);
		settle(&h);
	}
	pass(&h);
	ASSERT(!is_stopping(&h, keep));
	svc = service();
	ASSERT_INT_EQ(json_array_size(json_object_get(svc, "deployments")), 2);
	ASSERT_STR_EQ(s_of(json_array_get(json_object_get(svc, "deployments"), 0),
	    "rolloutState"), "IN_PROGRESS");
	ASSERT(has_event(svc, "(service web) was unable to scale in: 1 of its "
	    "tasks are protected from scale-in."));
	json_decref(svc);
	/* protection lapses: the deployment goes on and completes */
	ASSERT_INT_EQ(store_task_protect(h.s.store, &us, CLUSTER, keep,
	    now_epoch() - 1), STORE_OK);
	pass(&h);
	ASSERT(is_stopping(&h, keep));
	settle(&h);
	pass(&h);
	svc = service();
	ASSERT_INT_EQ(json_array_size(json_object_get(svc, "deployments")), 1);
	ASSERT_STR_EQ(s_of(json_array_get(json_object_get(svc, "deployments"), 0),
	    "rolloutState"), "COMPLETED");
	json_decref(svc);

	/* deleting the service stops protected tasks too */
	ids = live_tasks(&h, "RUNNING");
	ASSERT_INT_EQ(json_array_size(ids), 1);
	snprintf(other, sizeof other, "%s", json_string_value(json_array_get(ids,
	    0)));
	json_decref(ids);
	ok(protect(other, 1, NULL));
	ok(call("DeleteService", "{\"cluster\":\"" CLUSTER "\",\"service\":"
	    "\"web\",\"force\":true}"));
	pass(&h);
	ASSERT(is_stopping(&h, other));
	harness_close(&h);
}

/*
 * Only the scheduler files a task under a service: a client's RunTask that
 * gives a service's group and an "ecs-svc/" startedBy makes a standalone
 * task, which the service neither lists, counts nor stops.
 */
TEST(services_a_lookalike_run_task_is_no_service_task)
{
	struct harness h;
	json_t *doc, *ids;
	char id[64];

	harness_init(&h);
	ok(call("CreateService", "{\"cluster\":\"" CLUSTER "\",\"serviceName\":"
	    "\"web\",\"taskDefinition\":\"web:1\",\"desiredCount\":1}"));
	pass(&h);
	doc = call("RunTask", "{\"cluster\":\"" CLUSTER "\",\"taskDefinition\":"
	    "\"web:1\",\"group\":\"service:web\",\"startedBy\":\"ecs-svc/1\"}");
	ASSERT_INT_EQ(status, 200);
	snprintf(id, sizeof id, "%s", strrchr(s_of(json_array_get(
	    json_object_get(doc, "tasks"), 0), "taskArn"), '/') + 1);
	json_decref(doc);
	settle(&h);
	pass(&h);
	ASSERT(!is_stopping(&h, id));
	ids = live_tasks(&h, NULL);
	ASSERT_INT_EQ(json_array_size(ids), 1);
	json_decref(ids);
	doc = call("ListTasks", "{\"cluster\":\"" CLUSTER "\",\"serviceName\":"
	    "\"web\"}");
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "taskArns")), 1);
	json_decref(doc);
	doc = protect(id, 1, NULL);
	ASSERT_STR_EQ(failure_reason(doc), "TASK_NOT_VALID");
	json_decref(doc);
	harness_close(&h);
}
