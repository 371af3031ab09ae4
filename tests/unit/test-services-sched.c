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
	uv_close((uv_handle_t *)&h.s.kick_timer, NULL);
	json_decref(h.s.kick_tasks);      /* services in motion asked again */
	json_decref(h.s.kick_services);
	uv_run(&h.loop, UV_RUN_DEFAULT);
	uv_loop_close(&h.loop);
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
	uv_close((uv_handle_t *)&h.s.kick_timer, NULL);
	json_decref(h.s.kick_tasks);      /* services in motion asked again */
	json_decref(h.s.kick_services);
	uv_run(&h.loop, UV_RUN_DEFAULT);
	uv_loop_close(&h.loop);
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
	uv_close((uv_handle_t *)&h.s.kick_timer, NULL);
	json_decref(h.s.kick_tasks);      /* services in motion asked again */
	json_decref(h.s.kick_services);
	uv_run(&h.loop, UV_RUN_DEFAULT);
	uv_loop_close(&h.loop);
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
	uv_close((uv_handle_t *)&h.s.kick_timer, NULL);
	json_decref(h.s.kick_tasks);      /* services in motion asked again */
	json_decref(h.s.kick_services);
	uv_run(&h.loop, UV_RUN_DEFAULT);
	uv_loop_close(&h.loop);
}
