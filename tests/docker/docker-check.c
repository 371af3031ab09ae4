/*
 * docker-check.c - drives the Docker driver (scheduler/docker*.c) against a
 * real engine, one scenario per run, and prints one JSON object per line
 * for tests/integration/test_docker_driver.py to judge. It is a program
 * rather than a unit test because it needs a real engine and a test image.
 *
 *   docker-check [--endpoint E] [--run ID] [--image I] [--count N] SCENARIO
 *
 * SCENARIO: info, lifecycle, errors, concurrent, down, reconnect.
 * Every container it creates is named ecsd-check-<run>-... and labelled
 * ecsd.test=1 and ecsd.test.run=<run>; the caller removes them by the run
 * label whatever happens. The last line is {"step":"done"} on success.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "../../daemon/daemon.h"
#include "../../scheduler/docker.h"

static uv_loop_t loop;
static struct docker *dk;
static const char *run_id = "0";
static const char *image = "ecsd-test/busybox:latest";
static int count = 20;
static json_t *events;            /* every container event seen */
static int stream_state = -1;     /* last DOCKER_EVENT_(DIS)CONNECTED */
static int reconnects;            /* CONNECTED with reconnected set */
static char *stream_err;

struct res {
	int done;
	int status;
	json_t *result;
	char *err;
	double took;                  /* seconds from call to answer */
	double t0;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
res_cb(void *arg, int status, json_t *result, const char *err)
{
	struct res *r = arg;

	r->done = 1;
	r->status = status;
	r->result = json_incref(result);
	r->err = err != NULL ? xstrdup(err) : NULL;
	r->took = now() - r->t0;
}

static struct res *
res_new(void)
{
	struct res *r = xcalloc(1, sizeof *r);

	r->t0 = now();
	return r;
}

static void
res_free(struct res *r)
{
	if (r == NULL)
		return;
	json_decref(r->result);
	free(r->err);
	free(r);
}

static void
tick_cb(uv_timer_t *t)
{
	(void)t;
}

/* Runs the loop until *flag or the deadline; returns *flag. */
static int
run_until(int *flag, double seconds)
{
	uv_timer_t tick;
	double deadline = now() + seconds;

	uv_timer_init(&loop, &tick);
	uv_timer_start(&tick, tick_cb, 50, 50);
	while (!*flag && now() < deadline)
		uv_run(&loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&tick, NULL);
	uv_run(&loop, UV_RUN_NOWAIT);
	return *flag;
}

static struct res *
wait_res(struct res *r, double seconds)
{
	run_until(&r->done, seconds);
	return r;
}

/* Prints {"step": step, "status": ..., "err": ..., extra...}. */
static void
report(const char *step, struct res *r, json_t *extra)
{
	json_t *o = extra != NULL ? extra : json_object();
	char *s;

	json_object_set_new(o, "step", json_string(step));
	if (r != NULL) {
		json_object_set_new(o, "status", json_string(r->done ?
		    docker_errname(r->status) : "NOT_ANSWERED"));
		if (r->err != NULL)
			json_object_set_new(o, "err", json_string(r->err));
		json_object_set_new(o, "took", json_real(r->took));
	}
	s = json_dumps(o, JSON_COMPACT);
	printf("%s\n", s);
	fflush(stdout);
	free(s);
	json_decref(o);
}

static void
event_cb(void *arg, const struct docker_event *ev)
{
	json_t *e;

	(void)arg;
	if (ev->type == DOCKER_EVENT_CONNECTED ||
	    ev->type == DOCKER_EVENT_DISCONNECTED) {
		stream_state = ev->type;
		if (ev->type == DOCKER_EVENT_CONNECTED && ev->reconnected)
			reconnects++;
		free(stream_err);
		stream_err = ev->err != NULL ? xstrdup(ev->err) : NULL;
		report(ev->type == DOCKER_EVENT_CONNECTED ? "stream-connected" :
		    "stream-disconnected", NULL, json_pack("{s:b, s:s?}",
		    "reconnected", ev->reconnected, "err", ev->err));
		return;
	}
	if (ev->type != DOCKER_EVENT_CONTAINER)
		return;
	e = json_pack("{s:s?, s:s?, s:s?, s:i, s:i, s:s?, s:s?, s:I}",
	    "action", ev->action_name, "id", ev->id, "name", ev->name,
	    "exitCode", ev->exit_code, "signal", ev->signal, "health",
	    ev->health, "run", docker_event_label(ev, "ecsd.test.run"),
	    "timeNano", (json_int_t)ev->time_nano);
	json_object_set_new(e, "kind", json_integer(ev->action));
	json_array_append_new(events, e);
}

/* The first event of kind for container id (or name) seen so far. */
static json_t *
find_event(int kind, const char *who)
{
	size_t i;
	json_t *e;

	json_array_foreach(events, i, e) {
		const char *id = json_string_value(json_object_get(e, "id"));
		const char *name = json_string_value(json_object_get(e, "name"));

		if (json_integer_value(json_object_get(e, "kind")) != kind)
			continue;
		if ((id != NULL && strcmp(id, who) == 0) ||
		    (name != NULL && strcmp(name, who) == 0))
			return e;
	}
	return NULL;
}

static json_t *
wait_event(int kind, const char *who, double seconds)
{
	double deadline = now() + seconds;
	json_t *e;
	int never = 0;

	while ((e = find_event(kind, who)) == NULL && now() < deadline)
		run_until(&never, 0.05);
	return e;
}

static int
count_events(int kind)
{
	size_t i, n = 0;
	json_t *e;

	json_array_foreach(events, i, e)
		if (json_integer_value(json_object_get(e, "kind")) == kind)
			n++;
	return (int)n;
}

static int
wait_stream(int state, double seconds)
{
	double deadline = now() + seconds;
	int never = 0;

	while (stream_state != state && now() < deadline)
		run_until(&never, 0.05);
	return stream_state == state;
}

static json_t *
labels(void)
{
	return json_pack("{s:s, s:s, s:s}", "ecsd.test", "1", "ecsd.test.run",
	    run_id, "com.amazonaws.ecs.task-arn",
	    "arn:aws:ecs:us-east-1:123456789012:task/check/0123456789abcdef");
}

static json_t *
run_filter(void)
{
	char *f;
	json_t *o;

	xasprintf(&f, "ecsd.test.run=%s", run_id);
	o = json_pack("{s:[s]}", "label", f);
	free(f);
	return o;
}

static char *
cname(const char *what)
{
	char *s;

	xasprintf(&s, "ecsd-check-%s-%s", run_id, what);
	return s;
}

static json_t *
config(const char *shell)
{
	return json_pack("{s:s, s:[s,s,s], s:o, s:{}}", "Image", image, "Cmd",
	    "sh", "-c", shell, "Labels", labels(), "HostConfig");
}

/* create + start; returns the id (caller frees) or NULL. */
static char *
create_start(const char *name, json_t *cfg, const char *step)
{
	struct res *r = res_new();
	char *id = NULL;

	docker_container_create(dk, name, cfg, res_cb, r);
	json_decref(cfg);
	wait_res(r, 60);
	report(step, r, json_pack("{s:s?}", "id", json_string_value(
	    json_object_get(r->result, "Id"))));
	if (r->status == DOCKER_OK)
		id = xstrdup(json_string_value(json_object_get(r->result, "Id")));
	res_free(r);
	if (id == NULL)
		return NULL;
	r = res_new();
	docker_container_start(dk, id, res_cb, r);
	wait_res(r, 60);
	report("start", r, NULL);
	res_free(r);
	return id;
}

static int
scenario_info(void)
{
	struct res *r = res_new(), *v = res_new(), *p = res_new();

	docker_info(dk, res_cb, r);
	docker_version(dk, res_cb, v);
	docker_ping(dk, res_cb, p);
	wait_res(r, 30);
	wait_res(v, 30);
	wait_res(p, 30);
	report("info", r, json_pack("{s:O?, s:O?, s:O?, s:O?}",
	    "NCPU", json_object_get(r->result, "NCPU"),
	    "MemTotal", json_object_get(r->result, "MemTotal"),
	    "OSType", json_object_get(r->result, "OSType"),
	    "Architecture", json_object_get(r->result, "Architecture")));
	report("version", v, json_pack("{s:O?}", "ApiVersion",
	    json_object_get(v->result, "ApiVersion")));
	report("ping", p, json_pack("{s:b}", "result_null", p->result == NULL));
	report("connected", NULL, json_pack("{s:i}", "connected",
	    docker_connected(dk)));
	res_free(r);
	res_free(v);
	res_free(p);
	return 0;
}

static void
docker_container_stop_default(struct docker *d, const char *id, docker_cb cb,
    void *arg)
{
	docker_container_stop(d, id, 1, cb, arg);
}

static void
docker_container_remove_force(struct docker *d, const char *id, docker_cb cb,
    void *arg)
{
	docker_container_remove(d, id, DOCKER_RM_FORCE | DOCKER_RM_VOLUMES, cb,
	    arg);
}

static void
simple(const char *step, void (*fn)(struct docker *, const char *, docker_cb,
    void *), const char *id)
{
	struct res *r = res_new();

	fn(dk, id, res_cb, r);
	wait_res(r, 60);
	report(step, r, NULL);
	res_free(r);
}

static int
scenario_lifecycle(void)
{
	json_t *filters = run_filter(), *e, *hc;
	char *life = cname("life"), *three = cname("three"), *trap = cname("trap");
	char *healthy = cname("healthy");
	char *id, *id3, *idt, *idh;
	struct res *r;
	double t0;

	docker_events_start(dk, filters, event_cb, NULL);
	json_decref(filters);
	report("events", NULL, json_pack("{s:b}", "connected",
	    wait_stream(DOCKER_EVENT_CONNECTED, 10)));

	id = create_start(life, config("sleep 300"), "create");
	if (id == NULL)
		return 1;
	e = wait_event(DOCKER_ACTION_START, id, 10);
	report("start-event", NULL, json_pack("{s:O?}", "event", e));
	simple("start-again", docker_container_start, id);

	r = res_new();
	docker_container_inspect(dk, id, res_cb, r);
	wait_res(r, 30);
	report("inspect-running", r, json_pack("{s:O?, s:O?}", "Running",
	    json_object_get(json_object_get(r->result, "State"), "Running"),
	    "Name", json_object_get(r->result, "Name")));
	res_free(r);

	r = res_new();
	filters = run_filter();
	docker_container_list(dk, 0, filters, res_cb, r);
	json_decref(filters);
	wait_res(r, 30);
	report("list", r, json_pack("{s:i}", "count",
	    (int)json_array_size(r->result)));
	res_free(r);

	t0 = now();
	r = res_new();
	docker_container_stop(dk, id, 1, res_cb, r);
	wait_res(r, 60);
	e = wait_event(DOCKER_ACTION_DIE, id, 10);
	report("stop", r, json_pack("{s:f, s:O?}", "elapsed", now() - t0,
	    "die", e));
	res_free(r);
	simple("stop-again", docker_container_stop_default, id);

	r = res_new();
	docker_container_inspect(dk, id, res_cb, r);
	wait_res(r, 30);
	report("inspect-exited", r, json_pack("{s:O?, s:O?}", "Running",
	    json_object_get(json_object_get(r->result, "State"), "Running"),
	    "ExitCode",
	    json_object_get(json_object_get(r->result, "State"), "ExitCode")));
	res_free(r);

	/* A container that exits by itself with a code. */
	id3 = create_start(three, config("exit 3"), "create-exit3");
	if (id3 == NULL)
		return 1;
	r = res_new();
	docker_container_wait(dk, id3, res_cb, r);
	wait_res(r, 30);
	e = wait_event(DOCKER_ACTION_DIE, id3, 10);
	report("wait-exit3", r, json_pack("{s:O?, s:O?}", "StatusCode",
	    json_object_get(r->result, "StatusCode"), "die", e));
	res_free(r);

	/* A signal the container handles: kill with SIGTERM, exit 7. */
	idt = create_start(trap, config("trap 'exit 7' TERM; "
	    "while true; do sleep 0.1; done"), "create-trap");
	if (idt == NULL)
		return 1;
	wait_event(DOCKER_ACTION_START, idt, 10);
	r = res_new();
	docker_container_kill(dk, idt, "SIGTERM", res_cb, r);
	wait_res(r, 30);
	e = wait_event(DOCKER_ACTION_DIE, idt, 10);
	report("kill-term", r, json_pack("{s:O?, s:O?}", "die", e, "kill",
	    find_event(DOCKER_ACTION_KILL, idt)));
	res_free(r);

	/* Health checks report through the stream. */
	hc = config("sleep 300");
	json_object_set_new(hc, "Healthcheck", json_pack("{s:[s,s], s:I, s:I, "
	    "s:I, s:i}", "Test", "CMD-SHELL", "true", "Interval",
	    (json_int_t)200000000, "Timeout", (json_int_t)2000000000,
	    "StartPeriod", (json_int_t)0, "Retries", 1));
	idh = create_start(healthy, hc, "create-healthy");
	if (idh == NULL)
		return 1;
	e = wait_event(DOCKER_ACTION_HEALTH, idh, 20);
	report("health", NULL, json_pack("{s:O?}", "event", e));

	/* Removal: each gives a destroy event. */
	r = res_new();
	docker_container_remove(dk, idh, 0, res_cb, r);
	wait_res(r, 30);
	report("remove-running", r, NULL);
	res_free(r);
	simple("remove", docker_container_remove_force, id);
	simple("remove", docker_container_remove_force, id3);
	simple("remove", docker_container_remove_force, idt);
	simple("remove", docker_container_remove_force, idh);
	report("destroy-events", NULL, json_pack("{s:b, s:b, s:b, s:b}",
	    "life", wait_event(DOCKER_ACTION_DESTROY, id, 10) != NULL,
	    "three", wait_event(DOCKER_ACTION_DESTROY, id3, 10) != NULL,
	    "trap", wait_event(DOCKER_ACTION_DESTROY, idt, 10) != NULL,
	    "healthy", wait_event(DOCKER_ACTION_DESTROY, idh, 10) != NULL));
	simple("inspect-removed", docker_container_inspect, id);
	free(id);
	free(id3);
	free(idt);
	free(idh);
	free(life);
	free(three);
	free(trap);
	free(healthy);
	return 0;
}

static int
scenario_errors(void)
{
	char *dup = cname("dup"), *missing = cname("missing"), *img;
	struct res *r;
	json_t *cfg;
	char *id;

	simple("inspect-missing", docker_container_inspect, missing);
	simple("start-missing", docker_container_start, missing);
	xasprintf(&img, "ecsd-test/no-such-image-%s:none", run_id);
	simple("image-inspect-missing", docker_image_inspect, img);
	simple("image-inspect", docker_image_inspect, image);

	r = res_new();
	cfg = json_pack("{s:s, s:o}", "Image", img, "Labels", labels());
	docker_container_create(dk, missing, cfg, res_cb, r);
	json_decref(cfg);
	wait_res(r, 30);
	report("create-missing-image", r, NULL);
	res_free(r);

	r = res_new();
	docker_image_pull(dk, img, NULL, res_cb, r);
	wait_res(r, 120);
	report("pull-missing", r, NULL);
	res_free(r);

	id = create_start(dup, config("sleep 300"), "create-dup-first");
	r = res_new();
	cfg = config("true");
	docker_container_create(dk, dup, cfg, res_cb, r);
	json_decref(cfg);
	wait_res(r, 30);
	report("create-dup", r, NULL);
	res_free(r);
	r = res_new();
	docker_container_remove(dk, id, 0, res_cb, r);
	wait_res(r, 30);
	report("remove-running", r, NULL);
	res_free(r);
	r = res_new();
	docker_container_kill(dk, id, NULL, res_cb, r);
	wait_res(r, 30);
	report("kill", r, NULL);
	res_free(r);
	r = res_new();
	docker_container_wait(dk, id, res_cb, r);
	wait_res(r, 30);
	res_free(r);
	r = res_new();
	docker_container_kill(dk, id, NULL, res_cb, r);
	wait_res(r, 30);
	report("kill-stopped", r, NULL);
	res_free(r);
	simple("remove", docker_container_remove_force, id);

	r = res_new();
	docker_request(dk, "BREW", "/coffee", NULL, 0, res_cb, r);
	wait_res(r, 5);
	report("bad-method", r, NULL);
	res_free(r);
	r = res_new();
	docker_request(dk, "GET", "/no/such/route", NULL, 0, res_cb, r);
	wait_res(r, 5);
	report("bad-route", r, NULL);
	res_free(r);
	free(id);
	free(img);
	free(dup);
	free(missing);
	return 0;
}

/* N containers created and started at once, listed, removed at once. */
static int
scenario_concurrent(void)
{
	struct res **r = xcalloc((size_t)count, sizeof *r);
	char **ids = xcalloc((size_t)count, sizeof *ids);
	json_t *filters = run_filter();
	double t0 = now();
	int ok = 0, all;
	size_t peak = 0;

	docker_events_start(dk, filters, event_cb, NULL);
	json_decref(filters);
	wait_stream(DOCKER_EVENT_CONNECTED, 10);
	for (int i = 0; i < count; i++) {
		char what[32], *name;
		json_t *cfg = config("sleep 300");

		snprintf(what, sizeof what, "many-%d", i);
		name = cname(what);
		r[i] = res_new();
		docker_container_create(dk, name, cfg, res_cb, r[i]);
		json_decref(cfg);
		free(name);
	}
	peak = docker_pending(dk);
	for (int i = 0; i < count; i++) {
		wait_res(r[i], 120);
		if (r[i]->status == DOCKER_OK) {
			ids[i] = xstrdup(json_string_value(json_object_get(
			    r[i]->result, "Id")));
			ok++;
		}
		res_free(r[i]);
	}
	report("create-many", NULL, json_pack("{s:i, s:i, s:f}", "ok", ok,
	    "pending_at_once", (int)peak, "seconds", now() - t0));
	t0 = now();
	for (int i = 0; i < count; i++) {
		r[i] = res_new();
		docker_container_start(dk, ids[i] != NULL ? ids[i] : "none", res_cb,
		    r[i]);
	}
	ok = 0;
	for (int i = 0; i < count; i++) {
		wait_res(r[i], 120);
		ok += r[i]->status == DOCKER_OK;
		res_free(r[i]);
	}
	all = 1;
	for (int i = 0; i < count; i++)
		if (ids[i] == NULL || wait_event(DOCKER_ACTION_START, ids[i], 30) ==
		    NULL)
			all = 0;
	report("start-many", NULL, json_pack("{s:i, s:b, s:f}", "ok", ok,
	    "all_start_events", all, "seconds", now() - t0));

	r[0] = res_new();
	filters = run_filter();
	docker_container_list(dk, 1, filters, res_cb, r[0]);
	json_decref(filters);
	wait_res(r[0], 30);
	report("list-many", r[0], json_pack("{s:i}", "count",
	    (int)json_array_size(r[0]->result)));
	res_free(r[0]);

	t0 = now();
	for (int i = 0; i < count; i++) {
		r[i] = res_new();
		docker_container_remove(dk, ids[i] != NULL ? ids[i] : "none",
		    DOCKER_RM_FORCE | DOCKER_RM_VOLUMES, res_cb, r[i]);
	}
	ok = 0;
	for (int i = 0; i < count; i++) {
		wait_res(r[i], 120);
		ok += r[i]->status == DOCKER_OK;
		res_free(r[i]);
	}
	all = 1;
	for (int i = 0; i < count; i++)
		if (ids[i] == NULL || wait_event(DOCKER_ACTION_DESTROY, ids[i], 30) ==
		    NULL)
			all = 0;
	report("remove-many", NULL, json_pack("{s:i, s:b, s:i, s:f}", "ok", ok,
	    "all_destroy_events", all, "die_events", count_events(
	    DOCKER_ACTION_DIE), "seconds", now() - t0));
	for (int i = 0; i < count; i++)
		free(ids[i]);
	free(ids);
	free(r);
	return 0;
}

/* An engine that is not there: fast, clear failures; the stream says so. */
static int
scenario_down(void)
{
	struct res *r[50];
	double t0 = now();
	int unreachable = 0, all_named = 1;

	docker_events_start(dk, NULL, event_cb, NULL);
	for (int i = 0; i < 50; i++) {
		r[i] = res_new();
		docker_info(dk, res_cb, r[i]);
	}
	for (int i = 0; i < 50; i++) {
		wait_res(r[i], 30);
		unreachable += r[i]->status == DOCKER_EUNREACHABLE;
		if (r[i]->err == NULL || strstr(r[i]->err,
		    "Docker engine not reachable at") == NULL)
			all_named = 0;
	}
	report("calls-down", r[0], json_pack("{s:i, s:b, s:f, s:i}",
	    "unreachable", unreachable, "all_named", all_named, "seconds",
	    now() - t0, "connected", docker_connected(dk)));
	for (int i = 0; i < 50; i++)
		res_free(r[i]);
	report("stream-down", NULL, json_pack("{s:b, s:s?}", "told",
	    wait_stream(DOCKER_EVENT_DISCONNECTED, 10), "err", stream_err));
	return 0;
}

/*
 * The stream survives the engine going away: the caller (through a proxy it
 * controls) cuts the connection when it sees "stream-connected", starts a
 * labelled container meanwhile, and restores the proxy; the container's
 * start must still arrive (replayed with since=), after a reconnect.
 */
static int
scenario_reconnect(void)
{
	json_t *filters = run_filter(), *e;
	char *name = cname("during-gap");

	docker_events_start(dk, filters, event_cb, NULL);
	json_decref(filters);
	if (!wait_stream(DOCKER_EVENT_CONNECTED, 10))
		return 1;
	report("ready", NULL, NULL);
	if (!wait_stream(DOCKER_EVENT_DISCONNECTED, 30))
		return 1;
	if (!wait_stream(DOCKER_EVENT_CONNECTED, 60))
		return 1;
	e = wait_event(DOCKER_ACTION_START, name, 20);
	report("replayed", NULL, json_pack("{s:i, s:O?, s:i}", "reconnects",
	    reconnects, "event", e, "starts", count_events(DOCKER_ACTION_START)));
	free(name);
	return 0;
}

static void
closed_cb(void *arg)
{
	*(int *)arg = 1;
}

int
main(int argc, char **argv)
{
	struct docker_options opt = { 0 };
	const char *scenario = NULL;
	char *err = NULL;
	int rc = 2, closed = 0;

	xjson_init();
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--endpoint") == 0 && i + 1 < argc)
			opt.endpoint = argv[++i];
		else if (strcmp(argv[i], "--run") == 0 && i + 1 < argc)
			run_id = argv[++i];
		else if (strcmp(argv[i], "--image") == 0 && i + 1 < argc)
			image = argv[++i];
		else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
			count = atoi(argv[++i]);
		else
			scenario = argv[i];
	}
	if (scenario == NULL || count < 1) {
		fprintf(stderr, "usage: docker-check [--endpoint E] [--run ID] "
		    "[--image I] [--count N] info|lifecycle|errors|concurrent|"
		    "down|reconnect\n");
		return 2;
	}
	uv_loop_init(&loop);
	opt.retry_min_ms = 50;
	opt.retry_max_ms = 500;
	dk = docker_new(&loop, &opt, &err);
	if (dk == NULL) {
		fprintf(stderr, "docker-check: %s\n", err);
		free(err);
		return 2;
	}
	events = json_array();
	if (strcmp(scenario, "info") == 0)
		rc = scenario_info();
	else if (strcmp(scenario, "lifecycle") == 0)
		rc = scenario_lifecycle();
	else if (strcmp(scenario, "errors") == 0)
		rc = scenario_errors();
	else if (strcmp(scenario, "concurrent") == 0)
		rc = scenario_concurrent();
	else if (strcmp(scenario, "down") == 0)
		rc = scenario_down();
	else if (strcmp(scenario, "reconnect") == 0)
		rc = scenario_reconnect();
	else
		fprintf(stderr, "docker-check: no scenario %s\n", scenario);
	docker_close(dk, closed_cb, &closed);
	run_until(&closed, 30);
	report("closed", NULL, json_pack("{s:b}", "closed", closed));
	if (uv_loop_close(&loop) != 0) {
		uv_run(&loop, UV_RUN_DEFAULT);
		if (uv_loop_close(&loop) != 0)
			report("loop-not-empty", NULL, NULL);
	}
	json_decref(events);
	free(stream_err);
	if (rc == 0)
		report("done", NULL, NULL);
	return rc;
}
