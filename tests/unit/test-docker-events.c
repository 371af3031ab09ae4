/*
 * test-docker-events.c - decoding the engine's events (docker_events.c)
 * from lines as Docker 20.10 writes them on GET /events, and the
 * subscription's rules (one at a time, nothing after stop).
 */
#include "test-docker.h"

#define ID "527f999e0f282c185252237a471d336cc426ca1bebc9205e2c3c520505a94af9"
#define ACTOR(extra) "\"Actor\":{\"ID\":\"" ID "\",\"Attributes\":{"          \
	"\"com.amazonaws.ecs.task-arn\":\"arn:aws:ecs:us-east-1:1:task/c/t\","  \
	extra "\"image\":\"ecsd-test/busybox:latest\",\"name\":\"web-1\"}}"

static json_t *
line(const char *s)
{
	json_t *v = json_loads(s, 0, NULL);

	ASSERT_NOT_NULL(v);
	return v;
}

TEST(docker_event_decode_container_actions)
{
	static const struct {
		const char *json;
		enum docker_action action;
		int exit_code;
		int signal;
		const char *health;
	} cases[] = {
		{ "{\"status\":\"create\",\"id\":\"" ID "\",\"from\":\"ecsd-test/"
		  "busybox:latest\",\"Type\":\"container\",\"Action\":\"create\","
		  ACTOR("") ",\"scope\":\"local\",\"time\":1795312397,"
		  "\"timeNano\":1795312397434512403}",
		  DOCKER_ACTION_CREATE, -1, 0, NULL },
		{ "{\"Type\":\"container\",\"Action\":\"start\"," ACTOR("")
		  ",\"timeNano\":1795312398431075951}",
		  DOCKER_ACTION_START, -1, 0, NULL },
		{ "{\"Type\":\"container\",\"Action\":\"kill\","
		  ACTOR("\"signal\":\"15\",") ",\"timeNano\":1}",
		  DOCKER_ACTION_KILL, -1, 15, NULL },
		{ "{\"Type\":\"container\",\"Action\":\"die\","
		  ACTOR("\"exitCode\":\"137\",") ",\"timeNano\":2}",
		  DOCKER_ACTION_DIE, 137, 0, NULL },
		{ "{\"Type\":\"container\",\"Action\":\"oom\"," ACTOR("")
		  ",\"timeNano\":3}", DOCKER_ACTION_OOM, -1, 0, NULL },
		{ "{\"Type\":\"container\",\"Action\":\"stop\"," ACTOR("")
		  ",\"timeNano\":4}", DOCKER_ACTION_STOP, -1, 0, NULL },
		{ "{\"status\":\"health_status: healthy\",\"Type\":\"container\","
		  "\"Action\":\"health_status: healthy\"," ACTOR("")
		  ",\"time\":1795312399,\"timeNano\":1795312399529769478}",
		  DOCKER_ACTION_HEALTH, -1, 0, "healthy" },
		{ "{\"Type\":\"container\",\"Action\":\"health_status: unhealthy\","
		  ACTOR("") ",\"timeNano\":5}",
		  DOCKER_ACTION_HEALTH, -1, 0, "unhealthy" },
		{ "{\"Type\":\"container\",\"Action\":\"destroy\"," ACTOR("")
		  ",\"timeNano\":6}", DOCKER_ACTION_DESTROY, -1, 0, NULL },
		/* An exec's exit is not the container's. */
		{ "{\"Type\":\"container\",\"Action\":\"exec_die\","
		  ACTOR("\"execID\":\"c9\",\"exitCode\":\"0\",") ",\"timeNano\":7}",
		  DOCKER_ACTION_OTHER, -1, 0, NULL },
		{ "{\"Type\":\"container\",\"Action\":\"exec_create: /bin/sh -c true\","
		  ACTOR("") ",\"timeNano\":8}", DOCKER_ACTION_OTHER, -1, 0, NULL },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *raw = line(cases[i].json);
		struct docker_event ev;

		ASSERT_INT_EQ(docker_event_decode(raw, &ev), 0);
		ASSERT_INT_EQ(ev.type, DOCKER_EVENT_CONTAINER);
		ASSERT_INT_EQ(ev.action, cases[i].action);
		ASSERT_INT_EQ(ev.exit_code, cases[i].exit_code);
		ASSERT_INT_EQ(ev.signal, cases[i].signal);
		if (cases[i].health == NULL)
			ASSERT_NULL(ev.health);
		else
			ASSERT_STR_EQ(ev.health, cases[i].health);
		ASSERT_STR_EQ(ev.id, ID);
		ASSERT_STR_EQ(ev.name, "web-1");
		ASSERT_STR_EQ(ev.image, "ecsd-test/busybox:latest");
		ASSERT_STR_EQ(docker_event_label(&ev, "com.amazonaws.ecs.task-arn"),
		    "arn:aws:ecs:us-east-1:1:task/c/t");
		ASSERT_NULL(docker_event_label(&ev, "no.such.label"));
		ASSERT(ev.raw == raw);
		ASSERT(ev.time_nano > 0);
		json_decref(raw);
	}
}

TEST(docker_event_decode_other_and_old_shapes)
{
	struct docker_event ev;
	json_t *raw;

	raw = line("{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":"
	    "{\"ID\":\"n1\",\"Attributes\":{\"container\":\"" ID "\"}},"
	    "\"timeNano\":9}");
	ASSERT_INT_EQ(docker_event_decode(raw, &ev), 0);
	ASSERT_INT_EQ(ev.type, DOCKER_EVENT_OTHER);
	ASSERT_STR_EQ(ev.action_name, "connect");
	ASSERT_STR_EQ(ev.id, "n1");
	ASSERT_NULL(ev.name);
	json_decref(raw);

	/* The pre-1.22 shape: status, id, from, time in seconds. */
	raw = line("{\"status\":\"die\",\"id\":\"" ID "\",\"from\":\"busybox\","
	    "\"type\":\"container\",\"time\":1700000000}");
	ASSERT_INT_EQ(docker_event_decode(raw, &ev), 0);
	ASSERT_INT_EQ(ev.action, DOCKER_ACTION_DIE);
	ASSERT_STR_EQ(ev.id, ID);
	ASSERT_STR_EQ(ev.image, "busybox");
	ASSERT_INT_EQ(ev.exit_code, -1);
	ASSERT(ev.time_nano == 1700000000LL * 1000000000LL);
	json_decref(raw);

	raw = line("[1,2]");
	ASSERT_INT_EQ(docker_event_decode(raw, &ev), -1);
	json_decref(raw);
}

static int events_seen;

static void
count_cb(void *arg, const struct docker_event *ev)
{
	(void)arg;
	(void)ev;
	events_seen++;
}

TEST(docker_events_subscription_rules)
{
	uv_loop_t loop;
	struct docker *d;

	uv_loop_init(&loop);
	d = docker_fake_new(&loop);
	ASSERT_INT_EQ(docker_events_start(d, NULL, NULL, NULL), -1);
	ASSERT_INT_EQ(docker_events_start(d, NULL, count_cb, NULL), 0);
	ASSERT_INT_EQ(docker_events_start(d, NULL, count_cb, NULL), -1);
	/* Stopped before the loop ran: not even CONNECTED is told. */
	docker_events_stop(d);
	run_for(&loop, 20);
	ASSERT_INT_EQ(events_seen, 0);
	/* Started again, it connects again. */
	ASSERT_INT_EQ(docker_events_start(d, NULL, count_cb, NULL), 0);
	run_for(&loop, 20);
	ASSERT_INT_EQ(events_seen, 1);
	ASSERT_INT_EQ(docker_fake_count(d, "GET /events"), 1);
	docker_close_all(&loop, d);
}
