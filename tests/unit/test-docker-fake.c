/*
 * test-docker-fake.c - the fake engine (scheduler/docker_fake.c) through
 * the driver's interface, as the scheduler's tests will use it: container
 * lifecycle and events, scripted exits, health and OOM, missing images and
 * pulls, conflicts, ports, injected failures, an engine that goes down, and
 * the call contract (asynchronous, ordered, forget, cancel, close).
 */
#include "test-docker.h"

static uv_loop_t loop;
static json_t *seen;              /* events: {type, action, name, exit, ...} */

static void
event_cb(void *arg, const struct docker_event *ev)
{
	(void)arg;
	json_array_append_new(seen, json_pack("{s:i, s:i, s:s?, s:s?, s:s?, "
	    "s:i, s:s?, s:s?, s:b, s:s?, s:I}", "type", ev->type, "action",
	    ev->action, "action_name", ev->action_name, "name", ev->name, "id",
	    ev->id, "exit", ev->exit_code, "health", ev->health, "arn",
	    ev->type == DOCKER_EVENT_CONTAINER ? docker_event_label(ev,
	    "com.amazonaws.ecs.task-arn") : NULL, "reconnected", ev->reconnected,
	    "err", ev->err, "t", (json_int_t)ev->time_nano));
}

static struct docker *
setup(void)
{
	struct docker *d;

	uv_loop_init(&loop);
	d = docker_fake_new(&loop);
	seen = json_array();
	docker_fake_image_add(d, "app:1");
	ASSERT_STR_EQ(docker_endpoint(d), "fake://engine");
	return d;
}

static void
teardown(struct docker *d)
{
	docker_close_all(&loop, d);
	json_decref(seen);
}

/* How many events of this action for this container name. */
static int
count(int action, const char *name)
{
	size_t i, n = 0;
	json_t *e;

	json_array_foreach(seen, i, e) {
		const char *en = json_string_value(json_object_get(e, "name"));

		if (json_integer_value(json_object_get(e, "type")) !=
		    DOCKER_EVENT_CONTAINER ||
		    json_integer_value(json_object_get(e, "action")) != action)
			continue;
		if (name == NULL || (en != NULL && strcmp(en, name) == 0))
			n++;
	}
	return (int)n;
}

static json_t *
last(void)
{
	return json_array_get(seen, json_array_size(seen) - 1);
}

static json_t *
spec(const char *image)
{
	return json_pack("{s:s, s:[s,s,s], s:{s:s, s:s}}", "Image", image,
	    "Cmd", "sh", "-c", "sleep 1000", "Labels",
	    "com.amazonaws.ecs.task-arn", "arn:aws:ecs:us-east-1:1:task/c/t1",
	    "ecsd.test", "1");
}

/* Makes a call, runs the loop until it answers, returns the answer. */
#define CALL(a, expr) do {                                              \
	answer_clear(a);                                                    \
	expr;                                                               \
	ASSERT_INT_EQ((a)->calls, 0);                                       \
	ASSERT(run_until(&loop, &(a)->calls, 2000));                        \
	ASSERT_INT_EQ((a)->calls, 1);                                       \
} while (0)

static char *
create(struct docker *d, const char *name, json_t *config)
{
	struct answer a = { 0 };
	char *id;

	CALL(&a, docker_container_create(d, name, config, answer_cb, &a));
	json_decref(config);
	ASSERT_INT_EQ(a.status, DOCKER_OK);
	id = xstrdup(json_string_value(json_object_get(a.result, "Id")));
	ASSERT_INT_EQ(strlen(id), 64);
	answer_clear(&a);
	return id;
}

/* A create whose answer the test judges; the config is consumed. */
static void
create_call(struct docker *d, const char *name, json_t *cfg, struct answer *a)
{
	CALL(a, docker_container_create(d, name, cfg, answer_cb, a));
	json_decref(cfg);
}

static int
call_status(struct docker *d, void (*fn)(struct docker *, const char *,
    docker_cb, void *), const char *id, char **err)
{
	struct answer a = { 0 };
	int st;

	CALL(&a, fn(d, id, answer_cb, &a));
	st = a.status;
	if (err != NULL)
		*err = a.err != NULL ? xstrdup(a.err) : NULL;
	answer_clear(&a);
	return st;
}

static json_t *
inspect(struct docker *d, const char *id)
{
	struct answer a = { 0 };
	json_t *doc;

	CALL(&a, docker_container_inspect(d, id, answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_OK);
	doc = json_incref(a.result);
	answer_clear(&a);
	return doc;
}

static int
state_int(json_t *doc, const char *key)
{
	return (int)json_integer_value(json_object_get(json_object_get(doc,
	    "State"), key));
}

TEST(docker_fake_lifecycle_and_events)
{
	struct docker *d = setup();
	struct answer a = { 0 };
	json_t *doc, *filters;
	char *id;

	ASSERT_INT_EQ(docker_events_start(d, NULL, event_cb, NULL), 0);
	ASSERT_INT_EQ(docker_events_start(d, NULL, event_cb, NULL), -1);
	run_for(&loop, 5);
	ASSERT_INT_EQ(json_integer_value(json_object_get(last(), "type")),
	    DOCKER_EVENT_CONNECTED);
	ASSERT(!json_is_true(json_object_get(last(), "reconnected")));

	id = create(d, "web-1", spec("app:1"));
	ASSERT_STR_EQ(docker_fake_id(d, "web-1"), id);
	ASSERT_INT_EQ(call_status(d, docker_container_start, "web-1", NULL),
	    DOCKER_OK);
	run_for(&loop, 5);
	ASSERT_INT_EQ(count(DOCKER_ACTION_CREATE, "web-1"), 1);
	ASSERT_INT_EQ(count(DOCKER_ACTION_START, "web-1"), 1);
	ASSERT_STR_EQ(json_string_value(json_object_get(last(), "arn")),
	    "arn:aws:ecs:us-east-1:1:task/c/t1");
	ASSERT_STR_EQ(json_string_value(json_object_get(last(), "id")), id);

	doc = inspect(d, id);
	ASSERT(json_is_true(json_object_get(json_object_get(doc, "State"),
	    "Running")));
	ASSERT_STR_EQ(json_string_value(json_object_get(doc, "Name")),
	    "/web-1");
	ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(
	    json_object_get(doc, "Config"), "Labels"), "ecsd.test")), "1");
	json_decref(doc);

	/* A unique prefix of the id works as Docker's does. */
	doc = inspect(d, "web-1");
	json_decref(doc);
	{
		char prefix[13];

		memcpy(prefix, id, 12);
		prefix[12] = '\0';
		doc = inspect(d, prefix);
		json_decref(doc);
	}

	filters = json_pack("{s:[s]}", "label", "ecsd.test=1");
	CALL(&a, docker_container_list(d, 0, filters, answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_OK);
	ASSERT_INT_EQ(json_array_size(a.result), 1);
	ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(
	    json_array_get(a.result, 0), "Names"), 0)), "/web-1");
	json_decref(filters);

	/* Stop: SIGTERM ends it with 143; then stop again is fine. */
	CALL(&a, docker_container_stop(d, id, 10, answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_OK);
	ASSERT_INT_EQ(docker_fake_count(d, "POST /containers/*/stop?t=10"), 1);
	run_for(&loop, 5);
	ASSERT_INT_EQ(count(DOCKER_ACTION_KILL, "web-1"), 1);
	ASSERT_INT_EQ(count(DOCKER_ACTION_DIE, "web-1"), 1);
	ASSERT_INT_EQ(count(DOCKER_ACTION_STOP, "web-1"), 1);
	CALL(&a, docker_container_stop(d, id, 10, answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_OK);
	doc = inspect(d, id);
	ASSERT_INT_EQ(state_int(doc, "ExitCode"), 143);
	ASSERT(json_is_false(json_object_get(json_object_get(doc, "State"),
	    "Running")));
	json_decref(doc);

	/* Stopped containers are listed only with all. */
	CALL(&a, docker_container_list(d, 0, NULL, answer_cb, &a));
	ASSERT_INT_EQ(json_array_size(a.result), 0);
	CALL(&a, docker_container_list(d, 1, NULL, answer_cb, &a));
	ASSERT_INT_EQ(json_array_size(a.result), 1);
	ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(a.result,
	    0), "State")), "exited");

	CALL(&a, docker_container_remove(d, id, DOCKER_RM_VOLUMES, answer_cb,
	    &a));
	ASSERT_INT_EQ(a.status, DOCKER_OK);
	ASSERT_INT_EQ(docker_fake_count(d, "DELETE /containers/*?force=0&v=1"),
	    1);
	run_for(&loop, 5);
	ASSERT_INT_EQ(count(DOCKER_ACTION_DESTROY, "web-1"), 1);
	ASSERT_INT_EQ(docker_fake_containers(d), 0);
	CALL(&a, docker_container_inspect(d, id, answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_ENOTFOUND);
	ASSERT(strstr(a.err, "No such container") != NULL);
	answer_clear(&a);
	free(id);
	teardown(d);
}

TEST(docker_fake_exits_with_codes)
{
	struct docker *d = setup();
	struct answer a = { 0 }, w = { 0 };
	json_t *doc;
	char *id;

	docker_events_start(d, NULL, event_cb, NULL);
	docker_fake_on_start_exit(d, "once", 3);
	free(create(d, "once", spec("app:1")));
	ASSERT_INT_EQ(call_status(d, docker_container_start, "once", NULL),
	    DOCKER_OK);
	run_for(&loop, 5);
	ASSERT_INT_EQ(count(DOCKER_ACTION_START, "once"), 1);
	ASSERT_INT_EQ(count(DOCKER_ACTION_DIE, "once"), 1);
	ASSERT_INT_EQ(json_integer_value(json_object_get(last(), "exit")), 3);
	CALL(&a, docker_container_wait(d, "once", answer_cb, &a));
	ASSERT_INT_EQ(json_integer_value(json_object_get(a.result,
	    "StatusCode")), 3);

	/* A wait parked on a running container answers when it exits. */
	id = create(d, "later", spec("app:1"));
	ASSERT_INT_EQ(docker_fake_exit(d, id, 1), -1);   /* not running yet */
	ASSERT_INT_EQ(call_status(d, docker_container_start, id, NULL),
	    DOCKER_OK);
	docker_container_wait(d, id, answer_cb, &w);
	run_for(&loop, 5);
	ASSERT_INT_EQ(w.calls, 0);
	ASSERT_INT_EQ(docker_fake_exit(d, "later", 42), 0);
	ASSERT(run_until(&loop, &w.calls, 1000));
	ASSERT_INT_EQ(json_integer_value(json_object_get(w.result,
	    "StatusCode")), 42);
	ASSERT_INT_EQ(json_integer_value(json_object_get(last(), "exit")), 42);
	doc = inspect(d, id);
	ASSERT_INT_EQ(state_int(doc, "ExitCode"), 42);
	json_decref(doc);

	/* Kill: the signal decides the code. */
	ASSERT_INT_EQ(call_status(d, docker_container_start, id, NULL),
	    DOCKER_OK);
	CALL(&a, docker_container_kill(d, id, "SIGINT", answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_OK);
	run_for(&loop, 5);
	ASSERT_INT_EQ(json_integer_value(json_object_get(last(), "exit")), 130);
	CALL(&a, docker_container_kill(d, id, NULL, answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_ECONFLICT);
	ASSERT(strstr(a.err, "is not running") != NULL);
	answer_clear(&a);
	answer_clear(&w);
	free(id);
	teardown(d);
}

TEST(docker_fake_sigterm_ignored_and_oom)
{
	struct docker *d = setup();
	struct answer a = { 0 };
	json_t *doc;

	docker_events_start(d, NULL, event_cb, NULL);
	docker_fake_ignore_sigterm(d, "stubborn");
	free(create(d, "stubborn", spec("app:1")));
	call_status(d, docker_container_start, "stubborn", NULL);
	CALL(&a, docker_container_stop(d, "stubborn", 30, answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_OK);
	run_for(&loop, 5);
	ASSERT_INT_EQ(count(DOCKER_ACTION_KILL, "stubborn"), 2);
	ASSERT_INT_EQ(count(DOCKER_ACTION_DIE, "stubborn"), 1);
	doc = inspect(d, "stubborn");
	ASSERT_INT_EQ(state_int(doc, "ExitCode"), 137);
	json_decref(doc);

	/* SIGTERM by kill leaves it running. */
	call_status(d, docker_container_start, "stubborn", NULL);
	CALL(&a, docker_container_kill(d, "stubborn", "TERM", answer_cb, &a));
	doc = inspect(d, "stubborn");
	ASSERT(json_is_true(json_object_get(json_object_get(doc, "State"),
	    "Running")));
	json_decref(doc);

	ASSERT_INT_EQ(docker_fake_oom(d, "stubborn"), 0);
	run_for(&loop, 5);
	ASSERT_INT_EQ(count(DOCKER_ACTION_OOM, "stubborn"), 1);
	ASSERT_INT_EQ(json_integer_value(json_object_get(last(), "exit")), 137);
	doc = inspect(d, "stubborn");
	ASSERT(json_is_true(json_object_get(json_object_get(doc, "State"),
	    "OOMKilled")));
	json_decref(doc);
	answer_clear(&a);
	teardown(d);
}

TEST(docker_fake_health)
{
	struct docker *d = setup();
	json_t *cfg, *doc;

	docker_events_start(d, NULL, event_cb, NULL);
	cfg = spec("app:1");
	json_object_set_new(cfg, "Healthcheck", json_pack("{s:[s,s]}", "Test",
	    "CMD-SHELL", "true"));
	free(create(d, "checked", cfg));
	docker_fake_on_start_health(d, "app:1", "healthy");
	call_status(d, docker_container_start, "checked", NULL);
	run_for(&loop, 5);
	ASSERT_INT_EQ(count(DOCKER_ACTION_HEALTH, "checked"), 1);
	ASSERT_STR_EQ(json_string_value(json_object_get(last(), "health")),
	    "healthy");
	ASSERT_STR_EQ(json_string_value(json_object_get(last(), "action_name")),
	    "health_status: healthy");
	ASSERT_INT_EQ(docker_fake_health(d, "checked", "unhealthy"), 0);
	doc = inspect(d, "checked");
	ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(
	    json_object_get(doc, "State"), "Health"), "Status")), "unhealthy");
	json_decref(doc);
	teardown(d);
}

static int progress_lines;

static void
progress_cb(void *arg, json_t *line)
{
	(void)arg;
	ASSERT(json_is_string(json_object_get(line, "status")));
	progress_lines++;
}

TEST(docker_fake_images_and_pulls)
{
	struct docker *d = setup();
	struct answer a = { 0 };

	CALL(&a, docker_image_inspect(d, "app:1", answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_OK);
	ASSERT(strncmp(json_string_value(json_object_get(a.result, "Id")),
	    "sha256:", 7) == 0);
	CALL(&a, docker_image_inspect(d, "nginx", answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_ENOTFOUND);

	/* Missing image: create fails, pull is refused. */
	create_call(d, "nginx-1", spec("nginx"), &a);
	ASSERT_INT_EQ(a.status, DOCKER_ENOTFOUND);
	ASSERT_STR_EQ(a.err, "No such image: nginx");
	CALL(&a, docker_image_pull(d, "nginx", progress_cb, answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_EPULL);
	ASSERT(strstr(a.err, "pull access denied for nginx") != NULL);
	ASSERT_INT_EQ(docker_fake_count(d,
	    "POST /images/create?fromImage=nginx&tag=latest"), 1);

	/* A pullable one arrives with progress; then create works. */
	docker_fake_image_pullable(d, "nginx:latest");
	CALL(&a, docker_image_pull(d, "nginx", progress_cb, answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_OK);
	ASSERT_INT_EQ(progress_lines, 3);
	ASSERT(strstr(json_string_value(json_object_get(a.result, "status")),
	    "Downloaded newer image for nginx:latest") != NULL);
	free(create(d, "nginx-1", spec("nginx:latest")));

	/* An error in the middle of a 200 stream is a failed pull. */
	docker_fake_image_pullable(d, "redis:7");
	docker_fake_fail(d, "POST /images/create*", 200, "unexpected EOF", 1);
	CALL(&a, docker_image_pull(d, "redis:7", NULL, answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_EPULL);
	ASSERT_STR_EQ(a.err, "unexpected EOF");
	CALL(&a, docker_image_pull(d, "redis:7", NULL, answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_OK);

	/* A registry path with a port and a digest reference. */
	CALL(&a, docker_image_pull(d, "localhost:5000/team/app@sha256:abc",
	    NULL, answer_cb, &a));
	ASSERT_INT_EQ(docker_fake_count(d, "POST /images/create?fromImage="
	    "localhost%3A5000%2Fteam%2Fapp&tag=sha256%3Aabc"), 1);

	/* Import makes an image from a tar. */
	CALL(&a, docker_image_import(d, "ecsd/pause:1", "tar", 3, answer_cb,
	    &a));
	ASSERT_INT_EQ(a.status, DOCKER_OK);
	CALL(&a, docker_image_inspect(d, "ecsd/pause:1", answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_OK);
	CALL(&a, docker_image_remove(d, "ecsd/pause:1", 1, answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_OK);
	CALL(&a, docker_image_inspect(d, "ecsd/pause:1", answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_ENOTFOUND);
	answer_clear(&a);
	teardown(d);
}

TEST(docker_fake_conflicts)
{
	struct docker *d = setup();
	struct answer a = { 0 };
	char *id = create(d, "dup", spec("app:1"));

	create_call(d, "dup", spec("app:1"), &a);
	ASSERT_INT_EQ(a.status, DOCKER_ECONFLICT);
	ASSERT(strstr(a.err, "is already in use by container") != NULL);
	ASSERT(strstr(a.err, id) != NULL);
	create_call(d, "bad name", spec("app:1"), &a);
	ASSERT_INT_EQ(a.status, DOCKER_EINVALID);
	ASSERT_INT_EQ(call_status(d, docker_container_start, id, NULL),
	    DOCKER_OK);
	ASSERT_INT_EQ(call_status(d, docker_container_start, id, NULL),
	    DOCKER_OK);   /* already running: 304, success */
	CALL(&a, docker_container_remove(d, id, 0, answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_ECONFLICT);
	ASSERT(strstr(a.err, "You cannot remove a running container") != NULL);
	CALL(&a, docker_container_remove(d, id, DOCKER_RM_FORCE, answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_OK);
	ASSERT_INT_EQ(call_status(d, docker_container_start, "dup", NULL),
	    DOCKER_ENOTFOUND);
	answer_clear(&a);
	free(id);
	teardown(d);
}

TEST(docker_fake_ports)
{
	struct docker *d = setup();
	json_t *cfg, *doc, *p;
	char *err = NULL;

	cfg = spec("app:1");
	json_object_set_new(cfg, "HostConfig", json_pack("{s:{s:[{s:s}], "
	    "s:[{s:s}]}}", "PortBindings", "80/tcp", "HostPort", "", "53/udp",
	    "HostPort", "8053"));
	free(create(d, "alpha", cfg));
	call_status(d, docker_container_start, "alpha", NULL);
	doc = inspect(d, "alpha");
	p = json_object_get(json_object_get(doc, "NetworkSettings"), "Ports");
	ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(
	    json_object_get(p, "80/tcp"), 0), "HostPort")), "32768");
	ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(
	    json_object_get(p, "53/udp"), 0), "HostPort")), "8053");
	ASSERT(json_string_length(json_object_get(json_object_get(
	    json_object_get(json_object_get(doc, "NetworkSettings"), "Networks"),
	    "bridge"), "IPAddress")) > 0);
	json_decref(doc);

	/* The same static port twice cannot start. */
	cfg = spec("app:1");
	json_object_set_new(cfg, "HostConfig", json_pack("{s:{s:[{s:s}]}}",
	    "PortBindings", "53/udp", "HostPort", "8053"));
	free(create(d, "bravo", cfg));
	ASSERT_INT_EQ(call_status(d, docker_container_start, "bravo", &err),
	    DOCKER_ESERVER);
	ASSERT(strstr(err, "port is already allocated") != NULL);
	free(err);
	teardown(d);
}

TEST(docker_fake_injected_failures)
{
	struct docker *d = setup();
	char *err = NULL;

	free(create(d, "xray", spec("app:1")));
	docker_fake_fail(d, "POST /containers/*/start", 500, "boom", 1);
	ASSERT_INT_EQ(call_status(d, docker_container_start, "xray", &err),
	    DOCKER_ESERVER);
	ASSERT_STR_EQ(err, "boom");
	free(err);
	ASSERT_INT_EQ(call_status(d, docker_container_start, "xray", NULL),
	    DOCKER_OK);
	docker_fake_fail(d, "GET /containers/xray/json", 0, "Connection refused",
	    1);
	ASSERT_INT_EQ(call_status(d, docker_container_inspect, "xray", &err),
	    DOCKER_EUNREACHABLE);
	ASSERT_STR_EQ(err, "Docker engine not reachable at fake://engine: "
	    "Connection refused");
	free(err);
	ASSERT_INT_EQ(docker_connected(d), 0);
	teardown(d);
}

TEST(docker_fake_engine_down_and_back)
{
	struct docker *d = setup();
	struct answer a = { 0 };
	int ok = 0;

	docker_events_start(d, NULL, event_cb, NULL);
	run_for(&loop, 5);
	CALL(&a, docker_info(d, answer_cb, &a));
	ASSERT_INT_EQ(docker_connected(d), 1);
	docker_fake_set_down(d, 1);
	ASSERT_INT_EQ(docker_connected(d), 0);
	CALL(&a, docker_info(d, answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_EUNREACHABLE);
	ASSERT(strncmp(a.err, "Docker engine not reachable at fake://engine",
	    44) == 0);
	run_for(&loop, 50);
	ASSERT_INT_EQ(json_integer_value(json_object_get(last(), "type")),
	    DOCKER_EVENT_DISCONNECTED);
	ASSERT(json_string_length(json_object_get(last(), "err")) > 0);
	/* Told once per outage, however often the stream retries. */
	ASSERT(docker_fake_count(d, "GET /events*") > 2);
	{
		size_t i, n = 0;
		json_t *e;

		json_array_foreach(seen, i, e)
			n += json_integer_value(json_object_get(e, "type")) ==
			    DOCKER_EVENT_DISCONNECTED;
		ASSERT_INT_EQ(n, 1);
	}
	docker_fake_set_down(d, 0);
	CALL(&a, docker_info(d, answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_OK);
	ASSERT(json_integer_value(json_object_get(a.result, "NCPU")) == 2);
	for (int i = 0; i < 100 && !ok; i++) {
		run_for(&loop, 5);
		ok = json_integer_value(json_object_get(last(), "type")) ==
		    DOCKER_EVENT_CONNECTED;
	}
	ASSERT(ok);
	ASSERT(json_is_true(json_object_get(last(), "reconnected")));
	answer_clear(&a);
	teardown(d);
}

/* Events during a break are replayed once; those seen are not repeated. */
TEST(docker_fake_stream_replays_the_gap)
{
	struct docker *d = setup();
	int ok = 0;

	docker_events_start(d, NULL, event_cb, NULL);
	free(create(d, "before", spec("app:1")));
	run_for(&loop, 5);
	ASSERT_INT_EQ(count(DOCKER_ACTION_CREATE, "before"), 1);
	docker_fake_drop_streams(d);
	free(create(d, "during", spec("app:1")));
	for (int i = 0; i < 100 && !ok; i++) {
		run_for(&loop, 5);
		ok = count(DOCKER_ACTION_CREATE, "during") > 0;
	}
	ASSERT(ok);
	ASSERT_INT_EQ(count(DOCKER_ACTION_CREATE, "during"), 1);
	ASSERT_INT_EQ(count(DOCKER_ACTION_CREATE, "before"), 1);
	ASSERT_INT_EQ(docker_fake_count(d, "GET /events?since=*"), 1);
	free(create(d, "after", spec("app:1")));
	run_for(&loop, 5);
	ASSERT_INT_EQ(count(DOCKER_ACTION_CREATE, "after"), 1);
	teardown(d);
}

TEST(docker_fake_event_filters)
{
	struct docker *d = setup();
	json_t *filters = json_pack("{s:[s], s:[s]}", "type", "container",
	    "label", "ecsd.test=1");
	json_t *other = json_pack("{s:s, s:{s:s}}", "Image", "app:1", "Labels",
	    "ecsd.test", "2");

	docker_events_start(d, filters, event_cb, NULL);
	json_decref(filters);
	free(create(d, "mine", spec("app:1")));
	free(create(d, "theirs", other));
	run_for(&loop, 5);
	ASSERT_INT_EQ(count(DOCKER_ACTION_CREATE, "mine"), 1);
	ASSERT_INT_EQ(count(DOCKER_ACTION_CREATE, "theirs"), 0);
	ASSERT_INT_EQ(docker_fake_count(d, "GET /events?filters=*"), 1);
	teardown(d);
}

/* event=health_status matches "health_status: healthy", as Docker's does. */
TEST(docker_fake_event_filter_by_action)
{
	struct docker *d = setup();
	json_t *filters = json_pack("{s:[s,s]}", "event", "start",
	    "health_status");

	docker_events_start(d, filters, event_cb, NULL);
	json_decref(filters);
	free(create(d, "picky", spec("app:1")));
	call_status(d, docker_container_start, "picky", NULL);
	ASSERT_INT_EQ(docker_fake_health(d, "picky", "healthy"), 0);
	run_for(&loop, 5);
	ASSERT_INT_EQ(count(DOCKER_ACTION_CREATE, "picky"), 0);
	ASSERT_INT_EQ(count(DOCKER_ACTION_START, "picky"), 1);
	ASSERT_INT_EQ(count(DOCKER_ACTION_HEALTH, "picky"), 1);
	teardown(d);
}

/* Answers come later, in order; forget and cancel do what they say. */
TEST(docker_fake_call_contract)
{
	struct docker *d = setup();
	struct answer a[5];
	int x = 0, y = 0;

	memset(a, 0, sizeof a);
	answers_seen = 0;
	for (int i = 0; i < 5; i++)
		docker_container_inspect(d, "nope", answer_cb, &a[i]);
	ASSERT_INT_EQ(docker_pending(d), 5);
	for (int i = 0; i < 5; i++)
		ASSERT_INT_EQ(a[i].calls, 0);
	ASSERT(run_until(&loop, &a[4].calls, 1000));
	for (int i = 0; i < 5; i++) {
		ASSERT_INT_EQ(a[i].calls, 1);
		ASSERT_INT_EQ(a[i].order, i + 1);
		ASSERT_INT_EQ(a[i].status, DOCKER_ENOTFOUND);
		answer_clear(&a[i]);
	}
	ASSERT_INT_EQ(docker_pending(d), 0);

	/* Forget: no callback at all. Cancel: DOCKER_ECANCELLED. */
	docker_info(d, answer_cb, &x);
	docker_info(d, answer_cb, &x);
	docker_info(d, answer_cb, &a[0]);
	docker_forget(d, &x);
	ASSERT_INT_EQ(docker_pending(d), 1);
	free(create(d, "waiter", spec("app:1")));
	ASSERT_INT_EQ(call_status(d, docker_container_start, "waiter", NULL),
	    DOCKER_OK);
	docker_container_wait(d, "waiter", answer_cb, &a[1]);
	docker_container_wait(d, "waiter", answer_cb, &y);
	run_for(&loop, 5);
	ASSERT_INT_EQ(a[1].calls, 0);
	docker_forget(d, &y);
	docker_cancel(d, &a[1]);
	ASSERT(run_until(&loop, &a[1].calls, 1000));
	ASSERT_INT_EQ(a[1].status, DOCKER_ECANCELLED);
	ASSERT_INT_EQ(x, 0);
	ASSERT_INT_EQ(y, 0);
	ASSERT_INT_EQ(a[0].calls, 1);
	answer_clear(&a[0]);
	answer_clear(&a[1]);

	/* A bad generic request is refused, asynchronously too. */
	docker_request(d, "FETCH", "/info", NULL, 0, answer_cb, &a[2]);
	ASSERT_INT_EQ(a[2].calls, 0);
	ASSERT(run_until(&loop, &a[2].calls, 1000));
	ASSERT_INT_EQ(a[2].status, DOCKER_EINVALID);
	answer_clear(&a[2]);
	docker_request(d, "GET", "/info", NULL, 0, answer_cb, &a[2]);
	ASSERT(run_until(&loop, &a[2].calls, 1000));
	ASSERT_INT_EQ(a[2].status, DOCKER_OK);
	answer_clear(&a[2]);
	teardown(d);
}

static void
close_in_callback_cb(void *arg, int status, json_t *result, const char *err)
{
	struct docker **d = arg;

	(void)status;
	(void)result;
	(void)err;
	docker_close(*d, NULL, NULL);
	/* Calls made while closing are cancelled, still called back. */
	docker_info(*d, answer_cb, &((struct answer *)d[1])[0]);
}

/* Close cancels what is open and reports it; the loop ends empty. */
TEST(docker_fake_close_cancels)
{
	struct docker *d = setup();
	struct answer w = { 0 }, late = { 0 };
	void *pair[2];
	int closed = 0;

	free(create(d, "waiter", spec("app:1")));
	call_status(d, docker_container_start, "waiter", NULL);
	docker_events_start(d, NULL, event_cb, NULL);
	docker_container_wait(d, "waiter", answer_cb, &w);
	docker_info(d, answer_cb, &late);
	docker_close(d, closed_cb, &closed);
	ASSERT_INT_EQ(w.calls, 0);
	ASSERT(run_until(&loop, &closed, 1000));
	ASSERT_INT_EQ(w.calls, 1);
	ASSERT_INT_EQ(w.status, DOCKER_ECANCELLED);
	ASSERT_INT_EQ(late.status, DOCKER_ECANCELLED);
	ASSERT_INT_EQ(uv_loop_close(&loop), 0);
	answer_clear(&w);
	answer_clear(&late);

	/* Closing from inside a callback. */
	uv_loop_init(&loop);
	d = docker_fake_new(&loop);
	pair[0] = d;
	pair[1] = &late;
	docker_info(d, close_in_callback_cb, pair);
	run_for(&loop, 20);
	ASSERT_INT_EQ(late.calls, 1);
	ASSERT_INT_EQ(late.status, DOCKER_ECANCELLED);
	ASSERT_INT_EQ(uv_loop_close(&loop), 0);
	answer_clear(&late);
	json_decref(seen);
}

TEST(docker_fake_info_networks_volumes)
{
	struct docker *d = setup();
	struct answer a = { 0 };
	json_t *over = json_pack("{s:i}", "NCPU", 8), *body;

	docker_fake_set_info(d, over);
	json_decref(over);
	CALL(&a, docker_info(d, answer_cb, &a));
	ASSERT_INT_EQ(json_integer_value(json_object_get(a.result, "NCPU")), 8);
	ASSERT_STR_EQ(json_string_value(json_object_get(a.result, "OSType")),
	    "linux");
	CALL(&a, docker_ping(d, answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_OK);
	ASSERT_NULL(a.result);
	CALL(&a, docker_version(d, answer_cb, &a));
	ASSERT_STR_EQ(json_string_value(json_object_get(a.result, "ApiVersion")),
	    "1.41");

	body = json_pack("{s:s}", "Name", "task-net");
	CALL(&a, docker_network_create(d, body, answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_OK);
	CALL(&a, docker_network_create(d, body, answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_ECONFLICT);
	json_decref(body);
	CALL(&a, docker_network_remove(d, "task-net", answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_OK);
	CALL(&a, docker_network_remove(d, "task-net", answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_ENOTFOUND);

	body = json_pack("{s:s, s:{s:s}}", "Name", "data", "Labels", "alpha", "bravo");
	CALL(&a, docker_volume_create(d, body, answer_cb, &a));
	ASSERT_STR_EQ(json_string_value(json_object_get(a.result, "Name")),
	    "data");
	json_decref(body);
	CALL(&a, docker_volume_inspect(d, "data", answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_OK);
	ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(
	    a.result, "Labels"), "alpha")), "bravo");
	CALL(&a, docker_volume_remove(d, "data", 1, answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_OK);
	CALL(&a, docker_volume_inspect(d, "data", answer_cb, &a));
	ASSERT_INT_EQ(a.status, DOCKER_ENOTFOUND);
	answer_clear(&a);
	teardown(d);
}
