/*
 * test-sched.c - the task state machine (scheduler/task.c, sched.c) on the
 * fake engine: RunTask through the real dispatch, then the loop runs until
 * the scheduler has done its work. Covers start and RUNNING, essential
 * exits, StopTask, missing and pullable images, dependsOn SUCCESS, adoption
 * after a restart, an engine that is down (a task stopped before it
 * reached the engine stops without it), the admin reset, and kicks that
 * name what changed: with the periodic pass out of the way, writes that
 * change nothing run no pass, and tasks and services still get where they
 * should on targeted passes alone.
 */
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "../../api/api.h"
#include "../../scheduler/docker.h"
#include "../../scheduler/sched.h"
#include "../../store/store.h"
#include "unit.h"

static uv_loop_t loop;
static struct config cfg;
static struct store *store;
static struct docker *fake;
static struct sched *sched;

static void
noop_cb(uv_timer_t *t)
{
	(void)t;
}

/* Runs the loop until pred() holds or ms pass; returns whether it held. */
static int
run_until_pred(int (*pred)(void *), void *arg, int ms)
{
	uv_timer_t tick;
	uint64_t deadline;
	int ok = 0;

	uv_timer_init(&loop, &tick);
	uv_timer_start(&tick, noop_cb, 5, 5);
	uv_update_time(&loop);
	deadline = uv_now(&loop) + (uint64_t)ms;
	while (uv_now(&loop) < deadline) {
		if (pred(arg)) {
			ok = 1;
			break;
		}
		uv_run(&loop, UV_RUN_ONCE);
	}
	uv_close((uv_handle_t *)&tick, NULL);
	uv_run(&loop, UV_RUN_NOWAIT);
	return ok;
}

static void
start_sched(void)
{
	char *err = NULL;

	sched = sched_new(&loop, store, fake, &cfg, &err);
	if (sched == NULL)
		UNIT_FAIL("sched_new: %s", err);
	api_init(store, &cfg, sched_kick_arns, sched);
	admin_on_reset(sched_reset, sched);
}

/* A scheduler whose periodic full pass comes every `every` ms. */
static void
setup_every(int every)
{
	char *err = NULL;

	cfg.account = "123456789012";
	cfg.region = "us-east-1";
	cfg.check_output = 1;
	cfg.task_retention = 3600;
	cfg.container_retention = 600;
	cfg.reconcile_ms = every;
	uv_loop_init(&loop);
	if (model_init(&err) != 0 || store_open(":memory:", &store, &err) != 0)
		UNIT_FAIL("setup: %s", err);
	fake = docker_fake_new(&loop);
	docker_fake_image_add(fake, "app:1");
	start_sched();
	json_decref(unit_call("CreateCluster", "{\"clusterName\":\"c\"}", NULL));
}

static void
setup(void)
{
	setup_every(50);
}

static void
closed_cb(void *arg)
{
	*(int *)arg = 1;
}

static int
flag_set(void *arg)
{
	return *(int *)arg;
}

static void
stop_sched(void)
{
	int closed = 0;

	sched_close(sched, closed_cb, &closed);
	ASSERT(run_until_pred(flag_set, &closed, 2000));
	sched = NULL;
}

static void
register_def(const char *body)
{
	int status = 0;
	json_t *doc = unit_call("RegisterTaskDefinition", body, &status);

	if (status != 200)
		UNIT_FAIL("register: %s", json_dumps(doc, 0));
	json_decref(doc);
}

/* RunTask of family in cluster c; returns the task ARN (static buffer). */
static const char *
run_task(const char *family)
{
	static char arn[256];
	char body[256];
	int status = 0;
	json_t *doc;

	snprintf(body, sizeof body, "{\"cluster\":\"c\",\"taskDefinition\":\"%s\"}",
	    family);
	doc = unit_call("RunTask", body, &status);
	if (status != 200 || json_array_size(json_object_get(doc, "tasks")) != 1)
		UNIT_FAIL("run-task: %s", json_dumps(doc, 0));
	snprintf(arn, sizeof arn, "%s", json_string_value(json_object_get(
	    json_array_get(json_object_get(doc, "tasks"), 0), "taskArn")));
	json_decref(doc);
	return arn;
}

/* The task as DescribeTasks answers it (new reference). */
static json_t *
describe(const char *arn)
{
	char body[320];
	json_t *doc, *t;

	snprintf(body, sizeof body, "{\"cluster\":\"c\",\"tasks\":[\"%s\"]}", arn);
	doc = unit_call("DescribeTasks", body, NULL);
	t = json_incref(json_array_get(json_object_get(doc, "tasks"), 0));
	json_decref(doc);
	return t;
}

struct want {
	const char *arn;
	const char *status;
};

static int
has_status(void *arg)
{
	struct want *w = arg;
	json_t *t = describe(w->arn);
	int ok = t != NULL && strcmp(json_string_value(json_object_get(t,
	    "lastStatus")), w->status) == 0;

	json_decref(t);
	return ok;
}

static json_t *
wait_status(const char *arn, const char *status)
{
	struct want w = { arn, status };
	json_t *t;

	if (!run_until_pred(has_status, &w, 5000)) {
		t = describe(arn);
		UNIT_FAIL("task never reached %s: %s", status, json_dumps(t, 0));
	}
	return describe(arn);
}

static const char *
container_field(json_t *task, int i, const char *key)
{
	return json_string_value(json_object_get(json_array_get(
	    json_object_get(task, "containers"), (size_t)i), key));
}

#define WEB "{\"family\":\"web\",\"containerDefinitions\":[{\"name\":\"web\"," \
	"\"image\":\"app:1\",\"memory\":64,\"portMappings\":[{\"containerPort\":80," \
	"\"hostPort\":0}]}]}"

TEST(sched_runs_a_task_to_running)
{
	const char *arn;
	json_t *t;

	setup();
	register_def(WEB);
	arn = run_task("web");
	t = wait_status(arn, "RUNNING");
	ASSERT_INT_EQ(docker_fake_count(fake, "POST /containers/create*"), 1);
	ASSERT_INT_EQ(docker_fake_count(fake, "POST /containers/*/start"), 1);
	ASSERT_STR_EQ(container_field(t, 0, "lastStatus"), "RUNNING");
	ASSERT_NOT_NULL(container_field(t, 0, "runtimeId"));
	ASSERT_NOT_NULL(json_object_get(t, "startedAt"));
	ASSERT_NOT_NULL(json_object_get(t, "pullStartedAt"));
	ASSERT(json_integer_value(json_object_get(json_array_get(
	    json_object_get(json_array_get(json_object_get(t, "containers"), 0),
	    "networkBindings"), 0), "hostPort")) > 0);
	json_decref(t);
}

TEST(sched_essential_exit_stops_the_task)
{
	const char *arn;
	json_t *t;

	setup();
	register_def(WEB);
	arn = run_task("web");
	t = wait_status(arn, "RUNNING");
	ASSERT_INT_EQ(docker_fake_exit(fake, container_field(t, 0, "runtimeId"),
	    3), 0);
	json_decref(t);
	t = wait_status(arn, "STOPPED");
	ASSERT_STR_EQ(json_string_value(json_object_get(t, "stopCode")),
	    "EssentialContainerExited");
	ASSERT_STR_EQ(json_string_value(json_object_get(t, "stoppedReason")),
	    "Essential container in task exited");
	ASSERT_INT_EQ(json_integer_value(json_object_get(json_array_get(
	    json_object_get(t, "containers"), 0), "exitCode")), 3);
	json_decref(t);
}

TEST(sched_stop_task_stops_the_containers)
{
	char body[320];
	const char *arn;
	json_t *t;

	setup();
	register_def(WEB);
	arn = run_task("web");
	json_decref(wait_status(arn, "RUNNING"));
	snprintf(body, sizeof body, "{\"cluster\":\"c\",\"task\":\"%s\"}", arn);
	json_decref(unit_call("StopTask", body, NULL));
	t = wait_status(arn, "STOPPED");
	ASSERT_STR_EQ(json_string_value(json_object_get(t, "stopCode")),
	    "UserInitiated");
	ASSERT_INT_EQ(docker_fake_count(fake, "POST /containers/*/stop*"), 1);
	ASSERT_INT_EQ(json_integer_value(json_object_get(json_array_get(
	    json_object_get(t, "containers"), 0), "exitCode")), 143);
	ASSERT_NOT_NULL(json_object_get(t, "stoppedAt"));
	json_decref(t);
}

TEST(sched_missing_image_cannot_pull)
{
	const char *arn;
	json_t *t;

	setup();
	register_def("{\"family\":\"gone\",\"containerDefinitions\":[{\"name\":"
	    "\"x\",\"image\":\"nowhere:1\",\"memory\":16}]}");
	arn = run_task("gone");
	t = wait_status(arn, "STOPPED");
	ASSERT_STR_EQ(json_string_value(json_object_get(t, "stopCode")),
	    "TaskFailedToStart");
	ASSERT(strncmp(json_string_value(json_object_get(t, "stoppedReason")),
	    "CannotPullContainerError", 24) == 0);
	json_decref(t);
}

TEST(sched_pulls_a_pullable_image)
{
	const char *arn;

	setup();
	docker_fake_image_pullable(fake, "remote:2");
	register_def("{\"family\":\"pull\",\"containerDefinitions\":[{\"name\":"
	    "\"x\",\"image\":\"remote:2\",\"memory\":16}]}");
	arn = run_task("pull");
	json_decref(wait_status(arn, "RUNNING"));
	ASSERT(docker_fake_count(fake, "POST /images/create?fromImage=*") >= 1);
}

TEST(sched_depends_on_success_orders_the_start)
{
	const char *arn;
	json_t *t, *calls, *c;
	size_t i;
	long init_start = -1, app_create = -1;

	setup();
	docker_fake_image_add(fake, "init:1");
	docker_fake_on_start_exit(fake, "init:1", 0);
	register_def("{\"family\":\"dep\",\"containerDefinitions\":[{\"name\":"
	    "\"init\",\"image\":\"init:1\",\"memory\":16,\"essential\":false},"
	    "{\"name\":\"app\",\"image\":\"app:1\",\"memory\":16,\"dependsOn\":"
	    "[{\"containerName\":\"init\",\"condition\":\"SUCCESS\"}]}]}");
	arn = run_task("dep");
	t = wait_status(arn, "RUNNING");
	ASSERT_INT_EQ(json_integer_value(json_object_get(json_array_get(
	    json_object_get(t, "containers"), 0), "exitCode")), 0);
	calls = docker_fake_calls(fake);
	json_array_foreach(calls, i, c) {
		const char *s = json_string_value(c);

		if (strstr(s, "/start") != NULL && init_start < 0)
			init_start = (long)i;
		if (strstr(s, "create?name=ecs-dep-1-app-") != NULL)
			app_create = (long)i;
	}
	ASSERT(init_start >= 0 && app_create > init_start);
	json_decref(t);
}

TEST(sched_restart_adopts_running_containers)
{
	const char *arn;
	json_t *t;

	setup();
	register_def(WEB);
	arn = run_task("web");
	json_decref(wait_status(arn, "RUNNING"));
	stop_sched();
	start_sched();
	t = wait_status(arn, "RUNNING");
	ASSERT_INT_EQ(docker_fake_count(fake, "POST /containers/create*"), 1);
	/* events still reach the task after the restart */
	ASSERT_INT_EQ(docker_fake_exit(fake, container_field(t, 0, "runtimeId"),
	    0), 0);
	json_decref(t);
	json_decref(wait_status(arn, "STOPPED"));
}

static int
never(void *arg)
{
	(void)arg;
	return 0;
}

/* The agent reports a paused container as running, and so does ecsd: the
 * resync lists it as "paused", which is not an exit. */
TEST(sched_a_paused_container_stays_running_through_resyncs)
{
	const char *arn;
	json_t *t;
	char *rid;

	setup();      /* a pass every 50 ms: a resync every 300 ms */
	register_def(WEB);
	arn = run_task("web");
	t = wait_status(arn, "RUNNING");
	rid = xstrdup(container_field(t, 0, "runtimeId"));
	json_decref(t);
	ASSERT_INT_EQ(docker_fake_pause(fake, rid, 1), 0);
	run_until_pred(never, NULL, 1000);
	t = describe(arn);
	ASSERT_STR_EQ(json_string_value(json_object_get(t, "lastStatus")),
	    "RUNNING");
	ASSERT_STR_EQ(container_field(t, 0, "lastStatus"), "RUNNING");
	json_decref(t);
	ASSERT_INT_EQ(docker_fake_pause(fake, rid, 0), 0);
	ASSERT_INT_EQ(docker_fake_exit(fake, rid, 0), 0);
	json_decref(wait_status(arn, "STOPPED"));
	free(rid);
}

TEST(sched_waits_for_an_engine_that_is_down)
{
	const char *arn;
	json_t *t;

	setup();
	register_def(WEB);
	docker_fake_set_down(fake, 1);
	arn = run_task("web");
	run_until_pred(flag_set, &(int){ 0 }, 300);
	t = describe(arn);
	ASSERT(strcmp(json_string_value(json_object_get(t, "lastStatus")),
	    "RUNNING") != 0);
	ASSERT(strcmp(json_string_value(json_object_get(t, "lastStatus")),
	    "STOPPED") != 0);
	json_decref(t);
	docker_fake_set_down(fake, 0);
	json_decref(wait_status(arn, "RUNNING"));
}

TEST(sched_stops_a_task_that_never_reached_the_down_engine)
{
	char body[320];
	const char *arn;
	json_t *t;

	setup();
	register_def(WEB);
	docker_fake_set_down(fake, 1);
	arn = run_task("web");
	run_until_pred(flag_set, &(int){ 0 }, 200);
	snprintf(body, sizeof body, "{\"cluster\":\"c\",\"task\":\"%s\","
	    "\"reason\":\"not now\"}", arn);
	json_decref(unit_call("StopTask", body, NULL));
	/* STOPPED while the engine is still down, without a Docker call */
	t = wait_status(arn, "STOPPED");
	ASSERT_STR_EQ(json_string_value(json_object_get(t, "stoppedReason")),
	    "not now");
	ASSERT(json_object_get(t, "stoppedAt") != NULL);
	ASSERT_STR_EQ(container_field(t, 0, "lastStatus"), "STOPPED");
	ASSERT_INT_EQ(docker_fake_count(fake, "POST /containers/create*"), 0);
	json_decref(t);
	docker_fake_set_down(fake, 0);
	run_until_pred(flag_set, &(int){ 0 }, 200);
	ASSERT_INT_EQ(docker_fake_count(fake, "POST /containers/create*"), 0);
}

static void
set_query_only(int on)
{
	static const char on_sql[] = "PRAGMA query_only = 1";
	static const char off_sql[] = "PRAGMA query_only = 0";
	sqlite3_stmt *st = store_stmt(store, on ? on_sql : off_sql);

	sqlite3_step(st);
	sqlite3_reset(st);
}

/* A store that refuses writes (disk full, read-only) ends each chain at
 * its first write instead of repeating the step forever; the task carries
 * on once writes work again. */
TEST(sched_gives_up_a_step_the_store_refuses)
{
	const char *arn;
	json_t *t;

	setup();
	register_def(WEB);
	docker_fake_set_down(fake, 1);
	arn = run_task("web");
	run_until_pred(flag_set, &(int){ 0 }, 100);
	set_query_only(1);
	docker_fake_set_down(fake, 0);
	run_until_pred(flag_set, &(int){ 0 }, 400);
	t = describe(arn);
	ASSERT_STR_EQ(json_string_value(json_object_get(t, "lastStatus")),
	    "PROVISIONING");
	json_decref(t);
	ASSERT_INT_EQ(docker_fake_count(fake, "POST /containers/create*"), 0);
	ASSERT(sched->runs == NULL);
	set_query_only(0);
	json_decref(wait_status(arn, "RUNNING"));
	ASSERT_INT_EQ(docker_fake_count(fake, "POST /containers/create*"), 1);
}

static int
no_containers(void *arg)
{
	(void)arg;
	return docker_fake_containers(fake) == 0;
}

TEST(sched_reset_removes_every_container)
{
	struct api_response resp = { 0 };

	setup();
	register_def(WEB);
	json_decref(wait_status(run_task("web"), "RUNNING"));
	json_decref(wait_status(run_task("web"), "RUNNING"));
	ASSERT_INT_EQ(docker_fake_containers(fake), 2);
	admin_handle("POST", "/_ecsd/reset", &resp);
	ASSERT_INT_EQ(resp.status, 200);
	free(resp.body);
	ASSERT(run_until_pred(no_containers, NULL, 5000));
}

static int
instance_cpu_is(void *arg)
{
	json_t *list = unit_call("ListContainerInstances", "{\"cluster\":\"c\"}",
	    NULL), *doc, *res, *r;
	char body[400];
	long long want = *(long long *)arg, cpu = -1;
	size_t i;

	snprintf(body, sizeof body, "{\"cluster\":\"c\",\"containerInstances\":"
	    "[\"%s\"]}", json_string_value(json_array_get(json_object_get(list,
	    "containerInstanceArns"), 0)));
	doc = unit_call("DescribeContainerInstances", body, NULL);
	res = json_object_get(json_array_get(json_object_get(doc,
	    "containerInstances"), 0), "registeredResources");
	json_array_foreach(res, i, r)
		if (strcmp(json_string_value(json_object_get(r, "name")), "CPU") == 0)
			cpu = json_integer_value(json_object_get(r, "integerValue"));
	json_decref(doc);
	json_decref(list);
	return cpu == want;
}

TEST(sched_local_instance_takes_the_engines_resources)
{
	long long want = 8 * 1024;
	json_t *info = json_pack("{s:i, s:I, s:s}", "NCPU", 8, "MemTotal",
	    (json_int_t)8 << 30, "ServerVersion", "99.1");

	setup();
	docker_fake_set_info(fake, info);
	json_decref(info);
	stop_sched();
	start_sched();   /* a new connection asks docker info again */
	ASSERT(run_until_pred(instance_cpu_is, &want, 5000));
	/* a cluster made afterwards registers with the same facts */
	json_decref(unit_call("CreateCluster", "{\"clusterName\":\"d\"}", NULL));
}

TEST(sched_libnetwork_flaw_is_docker_17_to_20_10)
{
	ASSERT(engine_libnetwork_flawed("20.10.24+dfsg1"));
	ASSERT(engine_libnetwork_flawed("17.03.1-ce"));
	ASSERT(engine_libnetwork_flawed("19.03.15"));
	ASSERT(!engine_libnetwork_flawed("23.0.1"));
	ASSERT(!engine_libnetwork_flawed("26.1.5+dfsg1"));
	ASSERT(!engine_libnetwork_flawed("4.9.3"));      /* Podman */
	ASSERT(!engine_libnetwork_flawed(""));
}

/* ---- targeted passes: the periodic pass never comes ---- */

static int
first_pass_done(void *arg)
{
	(void)arg;
	return sched->passes >= 1;
}

/* The engine's connection ran its full pass; none comes after it. */
static void
setup_quiet(void)
{
	setup_every(600000);
	ASSERT(run_until_pred(first_pass_done, NULL, 2000));
}

static int
kick_pending(void)
{
	return uv_is_active((uv_handle_t *)&sched->kick_timer);
}

TEST(sched_writes_that_change_nothing_run_no_pass)
{
	unsigned full, targeted;

	setup_quiet();
	full = sched->passes;
	targeted = sched->targeted;
	register_def(WEB);
	ASSERT(!kick_pending());
	json_decref(unit_call("TagResource", "{\"resourceArn\":\"arn:aws:ecs:"
	    "us-east-1:123456789012:cluster/c\",\"tags\":[{\"key\":\"k\","
	    "\"value\":\"v\"}]}", NULL));
	json_decref(unit_call("DeregisterTaskDefinition", "{\"taskDefinition\":"
	    "\"web:1\"}", NULL));
	ASSERT(!kick_pending());
	run_until_pred(flag_set, &(int){ 0 }, 200);
	ASSERT_INT_EQ(sched->passes, full);
	ASSERT_INT_EQ(sched->targeted, targeted);
}

TEST(sched_tasks_start_exit_and_stop_on_targeted_passes)
{
	char body[320];
	const char *arn;
	char first[256];
	unsigned full;
	json_t *t;

	setup_quiet();
	register_def(WEB);
	full = sched->passes;
	arn = run_task("web");
	ASSERT(kick_pending());
	snprintf(first, sizeof first, "%s", arn);
	t = wait_status(first, "RUNNING");
	/* a Docker event kicks its task */
	ASSERT_INT_EQ(docker_fake_exit(fake, container_field(t, 0, "runtimeId"),
	    3), 0);
	json_decref(t);
	json_decref(wait_status(first, "STOPPED"));
	/* StopTask kicks its task */
	arn = run_task("web");
	json_decref(wait_status(arn, "RUNNING"));
	snprintf(body, sizeof body, "{\"cluster\":\"c\",\"task\":\"%s\"}", arn);
	json_decref(unit_call("StopTask", body, NULL));
	t = wait_status(arn, "STOPPED");
	ASSERT_STR_EQ(json_string_value(json_object_get(t, "stopCode")),
	    "UserInitiated");
	json_decref(t);
	ASSERT_INT_EQ(sched->passes, full);
	ASSERT(sched->targeted >= 4);
}

/* The service's tasks, desired RUNNING (new reference). */
static json_t *
service_tasks(void)
{
	json_t *doc = unit_call("ListTasks", "{\"cluster\":\"c\","
	    "\"serviceName\":\"s\"}", NULL);
	json_t *arns = json_incref(json_object_get(doc, "taskArns"));

	json_decref(doc);
	return arns;
}

/* The service has `want` tasks RUNNING, and only those. */
static int
service_runs(void *arg)
{
	int want = *(int *)arg, running = 0;
	json_t *arns = service_tasks(), *v;
	size_t i;

	json_array_foreach(arns, i, v) {
		json_t *t = describe(json_string_value(v));

		running += strcmp(json_string_value(json_object_get(t,
		    "lastStatus")), "RUNNING") == 0;
		json_decref(t);
	}
	i = json_array_size(arns);
	json_decref(arns);
	return running == want && i == (size_t)want;
}

TEST(sched_service_converges_on_targeted_passes)
{
	int two = 2, zero = 0;
	char body[320], gone[256];
	unsigned full;
	json_t *arns, *t;
	int status = 0;

	setup_quiet();
	register_def(WEB);
	full = sched->passes;
	json_decref(unit_call("CreateService", "{\"cluster\":\"c\","
	    "\"serviceName\":\"s\",\"taskDefinition\":\"web\","
	    "\"desiredCount\":2}", &status));
	ASSERT_INT_EQ(status, 200);
	ASSERT(run_until_pred(service_runs, &two, 5000));
	/* a task of the service stopped: the service replaces it */
	arns = service_tasks();
	snprintf(gone, sizeof gone, "%s", json_string_value(json_array_get(arns,
	    0)));
	json_decref(arns);
	snprintf(body, sizeof body, "{\"cluster\":\"c\",\"task\":\"%s\"}",
	    gone);
	json_decref(unit_call("StopTask", body, NULL));
	json_decref(wait_status(gone, "STOPPED"));
	ASSERT(run_until_pred(service_runs, &two, 5000));
	arns = service_tasks();
	ASSERT(strcmp(json_string_value(json_array_get(arns, 0)), gone) != 0);
	ASSERT(strcmp(json_string_value(json_array_get(arns, 1)), gone) != 0);
	json_decref(arns);
	/* scaled to zero: every task stops */
	json_decref(unit_call("UpdateService", "{\"cluster\":\"c\","
	    "\"service\":\"s\",\"desiredCount\":0}", &status));
	ASSERT_INT_EQ(status, 200);
	ASSERT(run_until_pred(service_runs, &zero, 5000));
	t = describe(gone);
	ASSERT_STR_EQ(json_string_value(json_object_get(t, "lastStatus")),
	    "STOPPED");
	json_decref(t);
	ASSERT_INT_EQ(sched->passes, full);
}
