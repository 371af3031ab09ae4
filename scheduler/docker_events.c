/*
 * docker_events.c - the engine's event stream (GET /events), kept open for
 * as long as the subscription lasts, decoded into struct docker_event.
 *
 *            docker_events_start
 *                    │
 *                    ▼        ev_head (2xx)
 *   ┌──────────► connect ──────────────────► up: CONNECTED, then events
 *   │                │                          │
 *   │   retry_cb     │ stream_done_cb           │ stream_done_cb
 *   │                ▼ (refused, error)         ▼ (closed, dropped)
 *   └───────────── waiting ◄──────────────── DISCONNECTED (once an outage)
 *                 (back-off doubles from retry_min_ms to retry_max_ms)
 *
 * A reconnection asks for the events since the newest one seen (or, if
 * none was, since the engine's Date when the stream came up), so a short
 * break loses nothing the engine still remembers; what was seen already is
 * skipped when replayed. The caller is told CONNECTED with reconnected set all the
 * same, because an engine restart forgets its history: resync from a list.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../daemon/daemon.h"
#include "docker_int.h"

static void connect_stream(struct docker *);

static void
push_stream_note(struct docker *d, int type, int reconnected, const char *err)
{
	struct docker_note *n = xcalloc(1, sizeof *n);

	n->kind = NOTE_STREAM;
	n->status = type;
	n->reconnected = reconnected;
	n->err = err != NULL ? xstrdup(err) : NULL;
	docker_note_push(d, n);
}

static void
ev_head(struct docker_call *c)
{
	struct docker *d = c->d;

	docker_set_up(d);
	/* Events seen or not, a break resumes from no earlier than now. */
	if (c->engine_ns > d->ev.resume_ns)
		d->ev.resume_ns = c->engine_ns;
	d->ev.up = 1;
	d->ev.down_told = 0;
	d->ev.backoff_ms = d->retry_min_ms;
	push_stream_note(d, DOCKER_EVENT_CONNECTED, d->ev.ever_up, NULL);
	d->ev.ever_up = 1;
}

static int64_t
event_time(json_t *raw)
{
	json_t *t = json_object_get(raw, "timeNano");

	if (json_is_integer(t))
		return (int64_t)json_integer_value(t);
	t = json_object_get(raw, "time");
	if (json_is_integer(t))
		return (int64_t)json_integer_value(t) * 1000000000;
	return 0;
}

static int
ev_value(struct docker_call *c, json_t *raw)
{
	struct docker *d = c->d;
	int64_t *replayed_until = c->ctx;
	struct docker_note *n;
	int64_t t = event_time(raw);

	/* What the "since" replay sends again, we have seen. */
	if (t != 0 && t <= *replayed_until)
		return 0;
	if (t > d->ev.last_nano)
		d->ev.last_nano = t;
	if (t > d->ev.resume_ns)
		d->ev.resume_ns = t;
	n = xcalloc(1, sizeof *n);
	n->kind = NOTE_EVENT;
	n->json = json_incref(raw);
	docker_note_push(d, n);
	return 0;
}

static void
retry_cb(uv_timer_t *t)
{
	struct docker *d = t->data;

	if (d->ev.active && !d->closing && d->ev.call == NULL)
		connect_stream(d);
}

/* The stream ended, or never began: tell once per outage, then retry. */
static void
stream_done_cb(void *arg, int status, json_t *result, const char *err)
{
	struct docker *d = arg;
	int was_up = d->ev.up;

	(void)result;
	d->ev.call = NULL;
	d->ev.up = 0;
	if (!d->ev.active || d->closing)
		return;
	if (was_up || !d->ev.down_told) {
		struct docker_event e = { .type = DOCKER_EVENT_DISCONNECTED,
		    .exit_code = -1 };

		e.err = status == DOCKER_OK ?
		    "the Docker engine ended the event stream" : err;
		d->ev.down_told = 1;
		log_warn("docker: event stream from %s lost: %s", d->endpoint,
		    e.err);
		d->ev.cb(d->ev.arg, &e);
		if (!d->ev.active || d->closing)
			return;
	}
	uv_timer_start(&d->ev.retry, retry_cb, (uint64_t)d->ev.backoff_ms, 0);
	d->ev.backoff_ms *= 2;
	if (d->ev.backoff_ms > d->retry_max_ms)
		d->ev.backoff_ms = d->retry_max_ms;
}

static void
connect_stream(struct docker *d)
{
	struct docker_call *c;
	char *filters = NULL, *ef = NULL, *path, since[48] = "";
	int64_t *replayed_until = xmalloc(sizeof *replayed_until);

	*replayed_until = d->ev.last_nano;
	if (d->ev.filters != NULL && json_object_size(d->ev.filters) > 0) {
		filters = json_dumps(d->ev.filters, JSON_COMPACT);
		ef = docker_escape(filters, 0);
	}
	if (d->ev.resume_ns > 0)
		snprintf(since, sizeof since, "since=%" PRId64 ".%09" PRId64,
		    d->ev.resume_ns / 1000000000, d->ev.resume_ns % 1000000000);
	xasprintf(&path, "/events%s%s%s%s%s", ef != NULL || since[0] != '\0' ?
	    "?" : "", ef != NULL ? "filters=" : "", ef != NULL ? ef : "",
	    ef != NULL && since[0] != '\0' ? "&" : "", since);
	c = docker_call_new(d, "GET", path, stream_done_cb, d);
	c->flags |= CALL_STREAM | CALL_UNCAPPED | CALL_INTERNAL;
	c->timeout_ms = 0;
	c->head_hook = ev_head;
	c->value_hook = ev_value;
	c->ctx = replayed_until;
	c->ctx_free = free;
	d->ev.call = c;
	free(filters);
	free(ef);
	docker_call_submit(c);
}

int
docker_events_start(struct docker *d, json_t *filters, docker_event_cb cb,
    void *arg)
{
	if (d->closing || d->ev.active || cb == NULL)
		return -1;
	d->ev.active = 1;
	d->ev.cb = cb;
	d->ev.arg = arg;
	json_decref(d->ev.filters);
	d->ev.filters = filters != NULL ? json_deep_copy(filters) : NULL;
	d->ev.backoff_ms = d->retry_min_ms;
	d->ev.up = 0;
	d->ev.down_told = 0;
	connect_stream(d);
	return 0;
}

/* No callback about the stream comes after this returns. */
void
docker_events_stop(struct docker *d)
{
	if (!d->ev.active)
		return;
	d->ev.active = 0;
	d->ev.up = 0;
	uv_timer_stop(&d->ev.retry);
	if (d->ev.call != NULL) {
		docker_call_drop(d->ev.call);
		d->ev.call = NULL;
	}
	docker_notes_drop_events(d);
}

void
docker_events_deliver(struct docker *d, struct docker_note *n)
{
	struct docker_event e;

	if (!d->ev.active)
		return;
	if (n->kind == NOTE_STREAM) {
		memset(&e, 0, sizeof e);
		e.type = (enum docker_event_type)n->status;
		e.reconnected = n->reconnected;
		e.err = n->err;
		e.exit_code = -1;
		d->ev.cb(d->ev.arg, &e);
		return;
	}
	if (docker_event_decode(n->json, &e) != 0) {
		log_warn("docker: ignoring an event that is not an object");
		return;
	}
	d->ev.cb(d->ev.arg, &e);
}

static const struct {
	const char *name;
	enum docker_action action;
} actions[] = {
	{ "create", DOCKER_ACTION_CREATE },
	{ "start", DOCKER_ACTION_START },
	{ "kill", DOCKER_ACTION_KILL },
	{ "die", DOCKER_ACTION_DIE },
	{ "oom", DOCKER_ACTION_OOM },
	{ "stop", DOCKER_ACTION_STOP },
	{ "destroy", DOCKER_ACTION_DESTROY },
};

static const char *
str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int
attr_int(json_t *attrs, const char *key, int dflt)
{
	const char *s = str(attrs, key);
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return dflt;
	v = strtol(s, &end, 10);
	return *end == '\0' ? (int)v : dflt;
}

/* Fills ev from one decoded event; every pointer borrows from raw. */
int
docker_event_decode(json_t *raw, struct docker_event *ev)
{
	json_t *actor;
	const char *type, *action;

	memset(ev, 0, sizeof *ev);
	ev->exit_code = -1;
	if (!json_is_object(raw))
		return -1;
	ev->raw = raw;
	ev->time_nano = event_time(raw);
	type = str(raw, "Type");
	if (type == NULL)
		type = str(raw, "type");
	action = str(raw, "Action");
	if (action == NULL)
		action = str(raw, "status");
	ev->action_name = action;
	actor = json_object_get(raw, "Actor");
	ev->attributes = json_object_get(actor, "Attributes");
	ev->id = str(actor, "ID");
	if (ev->id == NULL)
		ev->id = str(raw, "id");
	if (type == NULL || strcmp(type, "container") != 0) {
		ev->type = DOCKER_EVENT_OTHER;
		return 0;
	}
	ev->type = DOCKER_EVENT_CONTAINER;
	ev->name = str(ev->attributes, "name");
	ev->image = str(ev->attributes, "image");
	if (ev->image == NULL)
		ev->image = str(raw, "from");
	if (action == NULL)
		return 0;
	for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
		if (strcmp(action, actions[i].name) == 0)
			ev->action = actions[i].action;
	if (strncmp(action, "health_status", 13) == 0) {
		ev->action = DOCKER_ACTION_HEALTH;
		ev->health = action + 13;
		while (*ev->health == ':' || *ev->health == ' ')
			ev->health++;
		if (*ev->health == '\0')
			ev->health = str(ev->attributes, "health_status");
	}
	if (ev->action == DOCKER_ACTION_DIE)
		ev->exit_code = attr_int(ev->attributes, "exitCode", -1);
	if (ev->action == DOCKER_ACTION_KILL)
		ev->signal = attr_int(ev->attributes, "signal", 0);
	return 0;
}

const char *
docker_event_label(const struct docker_event *ev, const char *key)
{
	return str(ev->attributes, key);
}
