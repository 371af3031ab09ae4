/*
 * docker_fake.c - an in-memory Docker engine behind the driver's interface,
 * so scheduler unit tests can script what the engine does (an image that is
 * missing, a container that exits with code N, an engine that goes away)
 * without Docker.
 *
 * It is a backend of the same core as the real transport: the typed calls
 * (docker_api.c) build the same requests, and the fake answers them at the
 * HTTP level with Docker's status codes, bodies and messages, so the error
 * mapping, the stream splitting and the event decoding under test are the
 * real ones. Answers and events are produced synchronously when a call
 * starts and delivered through the core's queue, so everything happens in
 * one order that depends only on the calls made: ids are a counter through
 * a mixing function, dynamic host ports count up from 32768.
 *
 * Containers run until a test says otherwise: docker_fake_exit, _oom,
 * _health, or rules set beforehand (docker_fake_on_start_exit, ...).
 * Stop sends SIGTERM, which ends a container with 143 unless it was told to
 * ignore it (docker_fake_ignore_sigterm): then the stop kills it, 137. The
 * grace period is not waited for.
 */
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../daemon/daemon.h"
#include "docker_int.h"

#define FAKE_ENDPOINT "fake://engine"
#define FIRST_DYNAMIC_PORT 32768
#define HISTORY_MAX 256

struct fake_container {
	TAILQ_ENTRY(fake_container) link;
	char id[65];
	char *name;               /* without the leading slash */
	char *image;              /* as given to create */
	json_t *config;           /* the create body */
	json_t *ports;            /* NetworkSettings.Ports while running */
	char *status;             /* created, running, exited (static) */
	int exit_code;
	int oom_killed;
	int pid;
	char *health;             /* NULL, or starting, healthy, unhealthy */
	int paused;               /* running but frozen (docker pause) */
	int ignore_sigterm;
	char created[64];
	char started[64];
	char finished[64];
};

TAILQ_HEAD(fake_containers, fake_container);

/* A call the fake keeps open: an event stream or a wait. */
struct fake_open {
	TAILQ_ENTRY(fake_open) link;
	struct docker_call *call;
	json_t *filters;          /* streams: decoded filters */
	char *wait_id;            /* waits: the container's id */
};

TAILQ_HEAD(fake_opens, fake_open);

struct fake {
	struct docker *d;
	struct fake_containers containers;   /* newest first, as Docker lists */
	struct fake_opens open;
	json_t *images;           /* reference -> image document */
	json_t *pullable;         /* reference -> true */
	json_t *info;             /* /info */
	json_t *networks;         /* name -> document */
	json_t *volumes;          /* name -> document */
	json_t *rules;            /* [{kind, match, code, health}] */
	json_t *fails;            /* [{glob, http, message, times}] */
	json_t *calls;            /* ["METHOD /path?query", ...] */
	json_t *history;          /* the last events, for since= */
	int down;
	uint64_t seq;             /* ids */
	int next_port;
	int64_t last_nano;
};

static struct fake *
fake_of(struct docker *d)
{
	return d->be;
}

/*
 * Small helpers.
 */
static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void
make_id(struct fake *f, char *out)
{
	uint64_t n = ++f->seq;

	snprintf(out, 65, "%016" PRIx64 "%016" PRIx64 "%016" PRIx64
	    "%016" PRIx64, mix(n), mix(n + 1000003), mix(n + 2000003),
	    mix(n + 3000017));
}

/* Wall time, but strictly increasing, so event times never tie. */
static int64_t
fake_now(struct fake *f)
{
	struct timespec ts;
	int64_t ns;

	clock_gettime(CLOCK_REALTIME, &ts);
	ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	if (ns <= f->last_nano)
		ns = f->last_nano + 1;
	f->last_nano = ns;
	return ns;
}

static void
rfc3339(int64_t ns, char *out, size_t n)
{
	time_t s = (time_t)(ns / 1000000000);
	struct tm tm;
	char base[32];

	gmtime_r(&s, &tm);
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, n, "%s.%09" PRId64 "Z", base, ns % 1000000000);
}

/* busybox and busybox:latest are one image. */
static char *
normal_ref(const char *ref)
{
	const char *slash = strrchr(ref, '/');
	const char *colon = strrchr(ref, ':');
	char *out;

	if (strchr(ref, '@') != NULL || (colon != NULL && (slash == NULL ||
	    colon > slash)))
		return xstrdup(ref);
	xasprintf(&out, "%s:latest", ref);
	return out;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char *
unescape(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *p = out;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			*p++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else if (s[i] == '+') {
			*p++ = ' ';
		} else {
			*p++ = s[i];
		}
	}
	*p = '\0';
	return out;
}

/* "a=1&b=x%20y" -> {"a":"1","b":"x y"} */
static json_t *
parse_query(const char *q)
{
	json_t *o = json_object();

	while (q != NULL && *q != '\0') {
		size_t n = strcspn(q, "&");
		const char *eq = memchr(q, '=', n);
		char *k, *v;

		if (eq != NULL) {
			k = unescape(q, (size_t)(eq - q));
			v = unescape(eq + 1, n - (size_t)(eq - q) - 1);
		} else {
			k = unescape(q, n);
			v = xstrdup("");
		}
		json_object_set_new(o, k, json_string(v));
		free(k);
		free(v);
		q += n;
		if (*q == '&')
			q++;
	}
	return o;
}

static int
query_bool(json_t *q, const char *key)
{
	const char *v = json_string_value(json_object_get(q, key));

	return v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
}

/*
 * Answers.
 */
static void
reply(struct docker_call *c, long http, json_t *body)
{
	char *s;

	docker_call_head(c, http);
	if (body != NULL) {
		s = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
		docker_call_data(c, s, strlen(s));
		free(s);
		json_decref(body);
	}
	docker_call_end(c, DOCKER_OK, NULL);
}

static void
reply_error(struct docker_call *c, long http, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
reply_error(struct docker_call *c, long http, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	reply(c, http, json_pack("{s:s}", "message", msg));
	free(msg);
}

/* A stream answer: 200 and one JSON line per value. */
static void
reply_lines(struct docker_call *c, json_t *lines)
{
	size_t i;
	json_t *v;

	docker_call_head(c, 200);
	json_array_foreach(lines, i, v) {
		char *s = json_dumps(v, JSON_COMPACT);

		docker_call_data(c, s, strlen(s));
		docker_call_data(c, "\r\n", 2);
		free(s);
	}
	json_decref(lines);
	docker_call_end(c, DOCKER_OK, NULL);
}

static void
open_free(struct fake_open *o)
{
	json_decref(o->filters);
	free(o->wait_id);
	free(o);
}

/* Ends an open call as the given status, taking it off the open list. */
static void
open_end(struct fake *f, struct fake_open *o, int status, const char *err)
{
	struct docker_call *c = o->call;

	TAILQ_REMOVE(&f->open, o, link);
	c->be = NULL;
	open_free(o);
	docker_call_end(c, status, err);
}

/*
 * Events.
 */
static int
filter_has(json_t *filters, const char *key)
{
	return json_array_size(json_object_get(filters, key)) > 0;
}

static int
filter_any(json_t *filters, const char *key, const char *value)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(filters, key), i, v)
		if (value != NULL && json_is_string(v) &&
		    strcmp(json_string_value(v), value) == 0)
			return 1;
	return 0;
}

/* Every label filter ("k" or "k=v") must hold. */
static int
labels_match(json_t *filters, json_t *labels)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(filters, "label"), i, v) {
		const char *want = json_string_value(v), *eq, *have;
		char *key;

		if (want == NULL)
			return 0;
		eq = strchr(want, '=');
		key = eq != NULL ? xstrndup(want, (size_t)(eq - want)) :
		    xstrdup(want);
		have = json_string_value(json_object_get(labels, key));
		free(key);
		if (have == NULL || (eq != NULL && strcmp(have, eq + 1) != 0))
			return 0;
	}
	return 1;
}

/* "health_status: healthy" is matched by the filter "health_status". */
static const char *
base_action(const char *action)
{
	static char base[64];

	if (action == NULL)
		return NULL;
	snprintf(base, sizeof base, "%.*s", (int)strcspn(action, ":"), action);
	return base;
}

static int
event_matches(json_t *filters, json_t *ev)
{
	json_t *attrs = json_object_get(json_object_get(ev, "Actor"),
	    "Attributes");
	const char *type = json_string_value(json_object_get(ev, "Type"));
	const char *action = json_string_value(json_object_get(ev, "Action"));
	const char *id = json_string_value(json_object_get(json_object_get(ev,
	    "Actor"), "ID"));

	if (filters == NULL)
		return 1;
	if (filter_has(filters, "type") && !filter_any(filters, "type", type))
		return 0;
	if (filter_has(filters, "event") && !filter_any(filters, "event",
	    action) && !filter_any(filters, "event", base_action(action)))
		return 0;
	if (filter_has(filters, "container") && !filter_any(filters,
	    "container", id) && !filter_any(filters, "container",
	    json_string_value(json_object_get(attrs, "name"))))
		return 0;
	return labels_match(filters, attrs);
}

static void
send_event(struct docker_call *c, json_t *ev)
{
	char *s = json_dumps(ev, JSON_COMPACT);

	docker_call_data(c, s, strlen(s));
	docker_call_data(c, "\n", 1);
	free(s);
}

static void
emit(struct fake *f, struct fake_container *fc, const char *action,
    json_t *extra)
{
	json_t *attrs, *ev;
	struct fake_open *o;
	int64_t ns = fake_now(f);

	attrs = json_deep_copy(json_object_get(fc->config, "Labels"));
	if (!json_is_object(attrs)) {
		json_decref(attrs);
		attrs = json_object();
	}
	json_object_set_new(attrs, "image", json_string(fc->image));
	json_object_set_new(attrs, "name", json_string(fc->name));
	if (extra != NULL) {
		json_object_update(attrs, extra);
		json_decref(extra);
	}
	ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:o}, s:s, s:I, "
	    "s:I}", "status", action, "id", fc->id, "from", fc->image, "Type",
	    "container", "Action", action, "Actor", "ID", fc->id, "Attributes",
	    attrs, "scope", "local", "time", (json_int_t)(ns / 1000000000),
	    "timeNano", (json_int_t)ns);
	json_array_append(f->history, ev);
	if (json_array_size(f->history) > HISTORY_MAX)
		json_array_remove(f->history, 0);
	TAILQ_FOREACH(o, &f->open, link)
		if (o->wait_id == NULL && event_matches(o->filters, ev))
			send_event(o->call, ev);
	json_decref(ev);
}

static void
stream_open(struct fake *f, struct docker_call *c, json_t *q)
{
	struct fake_open *o = xcalloc(1, sizeof *o);
	const char *filters = json_string_value(json_object_get(q, "filters"));
	const char *since = json_string_value(json_object_get(q, "since"));
	size_t i;
	json_t *ev;

	o->call = c;
	if (filters != NULL)
		o->filters = json_loads(filters, 0, NULL);
	c->be = o;
	TAILQ_INSERT_TAIL(&f->open, o, link);
	c->engine_ns = fake_now(f);
	docker_call_head(c, 200);
	if (since == NULL)
		return;
	/* since=seconds.nanoseconds: replay what is remembered from then. */
	{
		char *dot;
		int64_t from = (int64_t)strtoll(since, &dot, 10) * 1000000000;

		if (*dot == '.')
			from += (int64_t)strtoll(dot + 1, NULL, 10);
		json_array_foreach(f->history, i, ev)
			if (json_integer_value(json_object_get(ev, "timeNano")) >=
			    from && event_matches(o->filters, ev))
				send_event(c, ev);
	}
}

/*
 * Containers.
 */
static struct fake_container *
find(struct fake *f, const char *ref)
{
	struct fake_container *fc, *prefix = NULL;
	int prefixes = 0;

	if (ref == NULL || *ref == '\0')
		return NULL;
	if (ref[0] == '/')
		ref++;
	TAILQ_FOREACH(fc, &f->containers, link) {
		if (strcmp(fc->id, ref) == 0 || strcmp(fc->name, ref) == 0)
			return fc;
		if (strncmp(fc->id, ref, strlen(ref)) == 0) {
			prefix = fc;
			prefixes++;
		}
	}
	return prefixes == 1 ? prefix : NULL;
}

static void
container_free(struct fake_container *fc)
{
	free(fc->name);
	free(fc->image);
	json_decref(fc->config);
	json_decref(fc->ports);
	free(fc->health);
	free(fc);
}

static int
matches(struct fake_container *fc, const char *match)
{
	char *a, *b;
	int same;

	if (strcmp(match, fc->name) == 0 || strcmp(match, fc->id) == 0)
		return 1;
	a = normal_ref(match);
	b = normal_ref(fc->image);
	same = strcmp(a, b) == 0;
	free(a);
	free(b);
	return same;
}

/* The container's process ended: record it, tell listeners and waiters. */
static void
container_exited(struct fake *f, struct fake_container *fc, int code)
{
	struct fake_open *o, *next;
	char buf[16];

	fc->status = "exited";
	fc->exit_code = code;
	fc->paused = 0;
	fc->pid = 0;
	json_decref(fc->ports);
	fc->ports = NULL;
	rfc3339(fake_now(f), fc->finished, sizeof fc->finished);
	snprintf(buf, sizeof buf, "%d", code);
	emit(f, fc, "die", json_pack("{s:s}", "exitCode", buf));
	for (o = TAILQ_FIRST(&f->open); o != NULL; o = next) {
		next = TAILQ_NEXT(o, link);
		if (o->wait_id == NULL || strcmp(o->wait_id, fc->id) != 0)
			continue;
		TAILQ_REMOVE(&f->open, o, link);
		o->call->be = NULL;
		reply(o->call, 200, json_pack("{s:i, s:n}", "StatusCode", code,
		    "Error"));
		open_free(o);
	}
}

static void
kill_signal(struct fake *f, struct fake_container *fc, int sig)
{
	char buf[16];

	snprintf(buf, sizeof buf, "%d", sig);
	emit(f, fc, "kill", json_pack("{s:s}", "signal", buf));
	if (sig == 15 && fc->ignore_sigterm)
		return;
	container_exited(f, fc, 128 + sig);
}

static const char *
network_mode(struct fake_container *fc)
{
	const char *m = json_string_value(json_object_get(json_object_get(
	    fc->config, "HostConfig"), "NetworkMode"));

	return m != NULL && *m != '\0' && strcmp(m, "default") != 0 ? m :
	    "bridge";
}

static json_t *
networks_doc(struct fake *f, struct fake_container *fc)
{
	const char *mode = network_mode(fc);
	int running = strcmp(fc->status, "running") == 0;
	struct fake_container *x;
	char ip[32] = "";
	int n = 0;

	if (strncmp(mode, "container:", 10) == 0)
		return json_object();
	/* A stable address from the container's place in creation order. */
	TAILQ_FOREACH_REVERSE(x, &f->containers, fake_containers, link) {
		n++;
		if (x == fc)
			break;
	}
	if (running && strcmp(mode, "host") != 0 && strcmp(mode, "none") != 0)
		snprintf(ip, sizeof ip, "172.17.%d.%d", (n + 1) / 250,
		    (n + 1) % 250 + 2);
	return json_pack("{s:{s:s, s:s, s:s}}", mode, "NetworkID", mode,
	    "IPAddress", ip, "Gateway", ip[0] != '\0' ? "172.17.0.1" : "");
}

static json_t *
inspect_doc(struct fake *f, struct fake_container *fc)
{
	json_t *cfg = json_deep_copy(fc->config), *host, *state, *doc;
	char *name, *image_id;
	json_t *img;

	host = json_incref(json_object_get(cfg, "HostConfig"));
	if (!json_is_object(host)) {
		json_decref(host);
		host = json_object();
	}
	json_object_del(cfg, "HostConfig");
	json_object_del(cfg, "NetworkingConfig");
	if (json_object_get(cfg, "Labels") == NULL)
		json_object_set_new(cfg, "Labels", json_object());
	state = json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:s, "
	    "s:s}", "Status", fc->status, "Running",
	    strcmp(fc->status, "running") == 0, "Paused", fc->paused,
	    "Restarting", 0,
	    "OOMKilled", fc->oom_killed, "Dead", 0, "Pid", fc->pid, "ExitCode",
	    fc->exit_code, "Error", "", "StartedAt", fc->started, "FinishedAt",
	    fc->finished);
	if (fc->health != NULL)
		json_object_set_new(state, "Health", json_pack("{s:s, s:i, s:[]}",
		    "Status", fc->health, "FailingStreak",
		    strcmp(fc->health, "unhealthy") == 0 ? 1 : 0, "Log"));
	xasprintf(&name, "/%s", fc->name);
	img = json_object_get(f->images, fc->image);
	if (img == NULL) {
		char *ref = normal_ref(fc->image);

		img = json_object_get(f->images, ref);
		free(ref);
	}
	image_id = xstrdup(img != NULL ? json_string_value(json_object_get(img,
	    "Id")) : "sha256:0");
	doc = json_pack("{s:s, s:s, s:o, s:s, s:s, s:i, s:o, s:o, s:{s:o, s:o}}",
	    "Id", fc->id, "Created", fc->created, "State", state, "Image",
	    image_id, "Name", name, "RestartCount", 0, "HostConfig", host,
	    "Config", cfg, "NetworkSettings", "Ports",
	    fc->ports != NULL ? json_deep_copy(fc->ports) : json_object(),
	    "Networks", networks_doc(f, fc));
	free(name);
	free(image_id);
	return doc;
}

static json_t *
summary_doc(struct fake *f, struct fake_container *fc)
{
	json_t *ports = json_array(), *labels, *bindings, *b;
	const char *key;
	char status[64];
	size_t i;

	json_object_foreach(fc->ports, key, bindings) {
		int port = atoi(key);
		const char *proto = strchr(key, '/');

		json_array_foreach(bindings, i, b)
			json_array_append_new(ports, json_pack("{s:s, s:i, s:i, s:s}",
			    "IP", "0.0.0.0", "PrivatePort", port, "PublicPort",
			    atoi(json_string_value(json_object_get(b, "HostPort"))),
			    "Type", proto != NULL ? proto + 1 : "tcp"));
	}
	if (strcmp(fc->status, "running") == 0)
		snprintf(status, sizeof status, "Up Less than a second%s",
		    fc->paused ? " (Paused)" : "");
	else if (strcmp(fc->status, "exited") == 0)
		snprintf(status, sizeof status, "Exited (%d) Less than a second "
		    "ago", fc->exit_code);
	else
		snprintf(status, sizeof status, "Created");
	labels = json_object_get(fc->config, "Labels");
	return json_pack("{s:s, s:[s+], s:s, s:O, s:s, s:s, s:o, s:{s:s}, "
	    "s:{s:o}}", "Id", fc->id, "Names", "/", fc->name, "Image", fc->image,
	    "Labels", json_is_object(labels) ? labels : json_object(), "State",
	    fc->paused ? "paused" : fc->status, "Status", status, "Ports", ports,
	    "HostConfig",
	    "NetworkMode", network_mode(fc), "NetworkSettings", "Networks",
	    networks_doc(f, fc));
}

static int
list_matches(struct fake_container *fc, json_t *filters, int all)
{
	size_t i;
	json_t *v;
	int ok;

	if (!all && strcmp(fc->status, "running") != 0 &&
	    !filter_has(filters, "status"))
		return 0;
	if (filter_has(filters, "status") && !filter_any(filters, "status",
	    fc->status))
		return 0;
	if (filter_has(filters, "name")) {
		ok = 0;
		json_array_foreach(json_object_get(filters, "name"), i, v)
			if (json_is_string(v) && strstr(fc->name,
			    json_string_value(v)[0] == '/' ? json_string_value(v) + 1 :
			    json_string_value(v)) != NULL)
				ok = 1;
		if (!ok)
			return 0;
	}
	if (filter_has(filters, "id")) {
		ok = 0;
		json_array_foreach(json_object_get(filters, "id"), i, v)
			if (json_is_string(v) && strncmp(fc->id, json_string_value(v),
			    json_string_length(v)) == 0)
				ok = 1;
		if (!ok)
			return 0;
	}
	return labels_match(filters, json_object_get(fc->config, "Labels"));
}

static void
containers_list(struct fake *f, struct docker_call *c, json_t *q)
{
	const char *fs = json_string_value(json_object_get(q, "filters"));
	json_t *filters = NULL, *out = json_array();
	struct fake_container *fc;

	if (fs != NULL) {
		filters = json_loads(fs, 0, NULL);
		if (!json_is_object(filters)) {
			json_decref(filters);
			json_decref(out);
			reply_error(c, 400, "invalid filter '%s'", fs);
			return;
		}
	}
	TAILQ_FOREACH(fc, &f->containers, link)
		if (list_matches(fc, filters, query_bool(q, "all")))
			json_array_append_new(out, summary_doc(f, fc));
	json_decref(filters);
	reply(c, 200, out);
}

static int
valid_name(const char *n)
{
	if (!((n[0] >= 'a' && n[0] <= 'z') || (n[0] >= 'A' && n[0] <= 'Z') ||
	    (n[0] >= '0' && n[0] <= '9')) || n[1] == '\0')
		return 0;
	for (const char *p = n + 1; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' ||
		    *p == '-'))
			return 0;
	return 1;
}

static json_t *
image_get(struct fake *f, const char *ref)
{
	char *n = normal_ref(ref);
	json_t *img = json_object_get(f->images, n);

	free(n);
	return img;
}

static void
container_create(struct fake *f, struct docker_call *c, json_t *q)
{
	const char *name = json_string_value(json_object_get(q, "name"));
	struct fake_container *fc, *other;
	json_t *cfg;
	const char *image;
	char gen[32];

	cfg = c->body != NULL ? json_loadb(c->body, c->body_len, 0, NULL) : NULL;
	if (!json_is_object(cfg)) {
		json_decref(cfg);
		reply_error(c, 400, "config cannot be empty in order to create a "
		    "container");
		return;
	}
	image = json_string_value(json_object_get(cfg, "Image"));
	if (image == NULL || *image == '\0') {
		json_decref(cfg);
		reply_error(c, 400, "No command specified");
		return;
	}
	if (name != NULL && name[0] == '/')
		name++;
	if (name != NULL && *name != '\0' && !valid_name(name)) {
		reply_error(c, 400, "Invalid container name (%s), only "
		    "[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name);
		json_decref(cfg);
		return;
	}
	if (name != NULL && *name != '\0' && (other = find(f, name)) != NULL &&
	    strcmp(other->name, name) == 0) {
		reply_error(c, 409, "Conflict. The container name \"/%s\" is "
		    "already in use by container \"%s\". You have to remove (or "
		    "rename) that container to be able to reuse that name.", name,
		    other->id);
		json_decref(cfg);
		return;
	}
	if (image_get(f, image) == NULL) {
		reply_error(c, 404, "No such image: %s", image);
		json_decref(cfg);
		return;
	}
	fc = xcalloc(1, sizeof *fc);
	make_id(f, fc->id);
	if (name == NULL || *name == '\0') {
		snprintf(gen, sizeof gen, "fake_%" PRIu64, f->seq);
		name = gen;
	}
	fc->name = xstrdup(name);
	fc->image = xstrdup(image);
	fc->config = cfg;
	fc->status = "created";
	rfc3339(fake_now(f), fc->created, sizeof fc->created);
	strcpy(fc->started, "0001-01-01T00:00:00Z");
	strcpy(fc->finished, "0001-01-01T00:00:00Z");
	TAILQ_INSERT_HEAD(&f->containers, fc, link);
	{
		size_t i;
		json_t *r;

		json_array_foreach(f->rules, i, r)
			if (strcmp(json_string_value(json_object_get(r, "kind")),
			    "ignore_sigterm") == 0 && matches(fc,
			    json_string_value(json_object_get(r, "match"))))
				fc->ignore_sigterm = 1;
	}
	emit(f, fc, "create", NULL);
	reply(c, 201, json_pack("{s:s, s:[]}", "Id", fc->id, "Warnings"));
}

/* A host port another running container already holds, or 0. */
static int
port_taken(struct fake *f, const char *host_port, const char *proto)
{
	struct fake_container *fc;
	const char *key;
	json_t *bindings, *b;
	size_t i;

	TAILQ_FOREACH(fc, &f->containers, link) {
		json_object_foreach(fc->ports, key, bindings) {
			const char *p = strchr(key, '/');

			if (strcmp(p != NULL ? p + 1 : "tcp", proto) != 0)
				continue;
			json_array_foreach(bindings, i, b)
				if (strcmp(json_string_value(json_object_get(b,
				    "HostPort")), host_port) == 0)
					return 1;
		}
	}
	return 0;
}

/* PortBindings to NetworkSettings.Ports; NULL and *err on a clash. */
static json_t *
bind_ports(struct fake *f, struct fake_container *fc, char **err)
{
	json_t *pb = json_object_get(json_object_get(fc->config, "HostConfig"),
	    "PortBindings"), *out = json_object(), *bindings, *b;
	const char *key;
	size_t i;

	*err = NULL;
	json_object_foreach(pb, key, bindings) {
		const char *proto = strchr(key, '/');
		json_t *list = json_array();

		proto = proto != NULL ? proto + 1 : "tcp";
		json_array_foreach(bindings, i, b) {
			const char *hp = json_string_value(json_object_get(b,
			    "HostPort"));
			char port[16];

			if (hp == NULL || *hp == '\0' || strcmp(hp, "0") == 0) {
				do
					snprintf(port, sizeof port, "%d", f->next_port++);
				while (port_taken(f, port, proto));
			} else {
				snprintf(port, sizeof port, "%s", hp);
				if (port_taken(f, port, proto)) {
					xasprintf(err, "driver failed programming external "
					    "connectivity on endpoint %s (%s): Bind for "
					    "0.0.0.0:%s failed: port is already allocated",
					    fc->name, fc->id, port);
					json_decref(list);
					json_decref(out);
					return NULL;
				}
			}
			json_array_append_new(list, json_pack("{s:s, s:s}", "HostIp",
			    "0.0.0.0", "HostPort", port));
		}
		json_object_set_new(out, key, list);
	}
	return out;
}

static int
has_healthcheck(struct fake_container *fc)
{
	json_t *test = json_object_get(json_object_get(fc->config,
	    "Healthcheck"), "Test");

	return json_array_size(test) > 0 && strcmp(json_string_value(
	    json_array_get(test, 0)), "NONE") != 0;
}

static void
container_start(struct fake *f, struct docker_call *c,
    struct fake_container *fc)
{
	json_t *r, *ports;
	char *err;
	size_t i;

	if (strcmp(fc->status, "running") == 0) {
		reply(c, 304, NULL);
		return;
	}
	ports = bind_ports(f, fc, &err);
	if (ports == NULL) {
		reply_error(c, 500, "%s", err);
		free(err);
		return;
	}
	fc->ports = ports;
	fc->status = "running";
	fc->exit_code = 0;
	fc->oom_killed = 0;
	fc->pid = 1000 + (int)(f->seq % 30000);
	rfc3339(fake_now(f), fc->started, sizeof fc->started);
	strcpy(fc->finished, "0001-01-01T00:00:00Z");
	free(fc->health);
	fc->health = has_healthcheck(fc) ? xstrdup("starting") : NULL;
	emit(f, fc, "start", NULL);
	reply(c, 204, NULL);
	/* What the test scripted for this container happens right after. */
	json_array_foreach(f->rules, i, r) {
		const char *kind = json_string_value(json_object_get(r, "kind"));

		if (!matches(fc, json_string_value(json_object_get(r, "match"))) ||
		    strcmp(fc->status, "running") != 0)
			continue;
		if (strcmp(kind, "health") == 0)
			docker_fake_health(f->d, fc->id, json_string_value(
			    json_object_get(r, "health")));
		else if (strcmp(kind, "exit") == 0)
			container_exited(f, fc, (int)json_integer_value(
			    json_object_get(r, "code")));
	}
}

static int
signal_number(const char *s)
{
	static const struct { const char *name; int n; } sigs[] = {
		{ "HUP", 1 }, { "INT", 2 }, { "QUIT", 3 }, { "KILL", 9 },
		{ "USR1", 10 }, { "USR2", 12 }, { "TERM", 15 },
	};
	char *end;
	long n;

	if (s == NULL || *s == '\0')
		return 9;
	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (strcmp(s, sigs[i].name) == 0)
			return sigs[i].n;
	n = strtol(s, &end, 10);
	return *end == '\0' && n > 0 && n < 65 ? (int)n : -1;
}

static void
container_stop(struct fake *f, struct docker_call *c,
    struct fake_container *fc)
{
	if (strcmp(fc->status, "running") != 0) {
		reply(c, 304, NULL);
		return;
	}
	kill_signal(f, fc, 15);
	if (strcmp(fc->status, "running") == 0)
		kill_signal(f, fc, 9);
	emit(f, fc, "stop", NULL);
	reply(c, 204, NULL);
}

static void
container_kill(struct fake *f, struct docker_call *c,
    struct fake_container *fc, json_t *q)
{
	int sig = signal_number(json_string_value(json_object_get(q, "signal")));

	if (sig < 0) {
		reply_error(c, 400, "Invalid signal: %s", json_string_value(
		    json_object_get(q, "signal")));
		return;
	}
	if (strcmp(fc->status, "running") != 0) {
		reply_error(c, 409, "Cannot kill container: %s: Container %s is "
		    "not running", fc->id, fc->id);
		return;
	}
	kill_signal(f, fc, sig);
	reply(c, 204, NULL);
}

static void
container_remove(struct fake *f, struct docker_call *c,
    struct fake_container *fc, json_t *q)
{
	if (strcmp(fc->status, "running") == 0) {
		if (!query_bool(q, "force")) {
			reply_error(c, 409, "You cannot remove a running container %s. "
			    "Stop the container before attempting removal or force "
			    "remove", fc->id);
			return;
		}
		kill_signal(f, fc, 9);
	}
	emit(f, fc, "destroy", NULL);
	TAILQ_REMOVE(&f->containers, fc, link);
	container_free(fc);
	reply(c, 204, NULL);
}

static void
container_wait(struct fake *f, struct docker_call *c,
    struct fake_container *fc)
{
	struct fake_open *o;

	if (strcmp(fc->status, "running") != 0) {
		reply(c, 200, json_pack("{s:i, s:n}", "StatusCode", fc->exit_code,
		    "Error"));
		return;
	}
	o = xcalloc(1, sizeof *o);
	o->call = c;
	o->wait_id = xstrdup(fc->id);
	c->be = o;
	TAILQ_INSERT_TAIL(&f->open, o, link);
}

/* /containers/{id}/{op} and DELETE /containers/{id}. */
static void
container_route(struct fake *f, struct docker_call *c, const char *rest,
    json_t *q)
{
	size_t n = strcspn(rest, "/");
	char *ref = unescape(rest, n);
	const char *op = rest[n] == '/' ? rest + n + 1 : "";
	struct fake_container *fc = find(f, ref);
	int post = strcmp(c->method, "POST") == 0;

	if (fc == NULL) {
		reply_error(c, 404, "No such container: %s", ref);
	} else if (strcmp(c->method, "DELETE") == 0 && *op == '\0') {
		container_remove(f, c, fc, q);
	} else if (strcmp(c->method, "GET") == 0 && strcmp(op, "json") == 0) {
		reply(c, 200, inspect_doc(f, fc));
	} else if (post && strcmp(op, "start") == 0) {
		container_start(f, c, fc);
	} else if (post && strcmp(op, "stop") == 0) {
		container_stop(f, c, fc);
	} else if (post && strcmp(op, "kill") == 0) {
		container_kill(f, c, fc, q);
	} else if (post && strcmp(op, "wait") == 0) {
		container_wait(f, c, fc);
	} else {
		reply_error(c, 404, "page not found");
	}
	free(ref);
}

/*
 * Images, networks, volumes.
 */
static json_t *
image_doc(struct fake *f, const char *ref)
{
	char id[65];

	make_id(f, id);
	return json_pack("{s:s+, s:[s], s:s, s:s, s:{s:[s], s:[s]}}", "Id",
	    "sha256:", id, "RepoTags", ref, "Os", "linux", "Architecture",
	    "amd64", "Config", "Env", "PATH=/usr/local/sbin:/usr/local/bin:"
	    "/usr/sbin:/usr/bin:/sbin:/bin", "Cmd", "sh");
}

static void
image_create(struct fake *f, struct docker_call *c, json_t *q)
{
	const char *from = json_string_value(json_object_get(q, "fromImage"));
	const char *src = json_string_value(json_object_get(q, "fromSrc"));
	const char *tag = json_string_value(json_object_get(q, "tag"));
	char *ref, *norm;

	if (src != NULL) {
		const char *repo = json_string_value(json_object_get(q, "repo"));

		xasprintf(&ref, "%s:%s", repo != NULL ? repo : "imported",
		    tag != NULL && *tag != '\0' ? tag : "latest");
		json_object_set_new(f->images, ref, image_doc(f, ref));
		reply_lines(c, json_pack("[{s:O}]", "status", json_object_get(
		    json_object_get(f->images, ref), "Id")));
		free(ref);
		return;
	}
	if (from == NULL || *from == '\0') {
		reply_error(c, 400, "fromImage or fromSrc is required");
		return;
	}
	if (tag == NULL || *tag == '\0')
		ref = xstrdup(from);
	else
		xasprintf(&ref, "%s%s%s", from, strncmp(tag, "sha256:", 7) == 0 ?
		    "@" : ":", tag);
	norm = normal_ref(ref);
	if (json_object_get(f->pullable, norm) == NULL) {
		reply_error(c, 404, "pull access denied for %s, repository does "
		    "not exist or may require 'docker login': denied: requested "
		    "access to the resource is denied", from);
	} else {
		json_object_set_new(f->images, norm, image_doc(f, norm));
		reply_lines(c, json_pack("[{s:s+, s:s}, {s:s}, {s:s+}]", "status",
		    "Pulling from ", from, "id", tag != NULL ? tag : "latest",
		    "status", "Digest: sha256:0", "status",
		    "Status: Downloaded newer image for ", norm));
	}
	free(ref);
	free(norm);
}

/* /images/{ref}/json and DELETE /images/{ref}; refs hold slashes. */
static void
image_route(struct fake *f, struct docker_call *c, const char *rest,
    json_t *q)
{
	size_t n = strlen(rest);
	int inspect = strcmp(c->method, "GET") == 0 && n > 5 &&
	    strcmp(rest + n - 5, "/json") == 0;
	char *ref = unescape(rest, inspect ? n - 5 : n), *norm = normal_ref(ref);
	json_t *img = json_object_get(f->images, norm);

	if (img == NULL && inspect)
		reply_error(c, 404, "no such image: %s: No such image: %s", ref, ref);
	else if (img == NULL)
		reply_error(c, 404, "No such image: %s", ref);
	else if (inspect)
		reply(c, 200, json_deep_copy(img));
	else if (strcmp(c->method, "DELETE") == 0) {
		(void)q;
		reply(c, 200, json_pack("[{s:s}]", "Untagged", norm));
		json_object_del(f->images, norm);
	} else
		reply_error(c, 404, "page not found");
	free(ref);
	free(norm);
}

static void
object_create(struct fake *f, struct docker_call *c, json_t *store,
    int volume)
{
	json_t *cfg = c->body != NULL ? json_loadb(c->body, c->body_len, 0,
	    NULL) : NULL;
	const char *name = json_string_value(json_object_get(cfg, "Name"));
	char id[65], *gen = NULL;
	json_t *doc;

	make_id(f, id);
	if (name == NULL || *name == '\0') {
		if (!volume) {
			json_decref(cfg);
			reply_error(c, 400, "network name is required");
			return;
		}
		gen = xstrdup(id);
		name = gen;
	}
	if (json_object_get(store, name) != NULL) {
		if (volume)
			reply(c, 201, json_deep_copy(json_object_get(store, name)));
		else
			reply_error(c, 409, "network with name %s already exists",
			    name);
		json_decref(cfg);
		free(gen);
		return;
	}
	if (volume)
		doc = json_pack("{s:s, s:s, s:s+, s:O?, s:s}", "Name", name,
		    "Driver", "local", "Mountpoint", "/var/lib/docker/volumes/",
		    name, "Labels", json_object_get(cfg, "Labels"), "Scope", "local");
	else
		doc = json_pack("{s:s, s:s, s:O?}", "Name", name, "Id", id,
		    "Labels", json_object_get(cfg, "Labels"));
	json_object_set_new(store, name, doc);
	if (volume)
		reply(c, 201, json_deep_copy(doc));
	else
		reply(c, 201, json_pack("{s:s, s:s}", "Id", id, "Warning", ""));
	json_decref(cfg);
	free(gen);
}

static void
object_route(struct fake *f, struct docker_call *c, json_t *store,
    const char *rest, int volume)
{
	char *name = unescape(rest, strlen(rest));
	json_t *doc = json_object_get(store, name);
	const char *key;
	json_t *v;

	(void)f;
	/* Networks are also found by id. */
	if (doc == NULL && !volume)
		json_object_foreach(store, key, v)
			if (strcmp(json_string_value(json_object_get(v, "Id")),
			    name) == 0) {
				free(name);
				name = xstrdup(key);
				doc = v;
				break;
			}
	if (doc == NULL)
		reply_error(c, 404, volume ? "get %s: no such volume" :
		    "network %s not found", name);
	else if (strcmp(c->method, "GET") == 0)
		reply(c, 200, json_deep_copy(doc));
	else if (strcmp(c->method, "DELETE") == 0) {
		json_object_del(store, name);
		reply(c, 204, NULL);
	} else
		reply_error(c, 404, "page not found");
	free(name);
}

static json_t *
info_doc(struct fake *f)
{
	struct fake_container *fc;
	json_t *info = json_deep_copy(f->info);
	int total = 0, running = 0;

	TAILQ_FOREACH(fc, &f->containers, link) {
		total++;
		running += strcmp(fc->status, "running") == 0;
	}
	json_object_set_new(info, "Containers", json_integer(total));
	json_object_set_new(info, "ContainersRunning", json_integer(running));
	json_object_set_new(info, "ContainersStopped",
	    json_integer(total - running));
	json_object_set_new(info, "Images",
	    json_integer((json_int_t)json_object_size(f->images)));
	return info;
}

/* A scripted failure for this call, if one is left. */
static int
scripted_failure(struct fake *f, struct docker_call *c, const char *line,
    const char *bare)
{
	size_t i;
	json_t *r;

	json_array_foreach(f->fails, i, r) {
		const char *glob = json_string_value(json_object_get(r, "glob"));
		json_int_t times = json_integer_value(json_object_get(r, "times"));
		int http = (int)json_integer_value(json_object_get(r, "http"));
		const char *msg = json_string_value(json_object_get(r, "message"));

		if (times == 0 || (fnmatch(glob, line, 0) != 0 &&
		    fnmatch(glob, bare, 0) != 0))
			continue;
		json_object_set_new(r, "times", json_integer(times > 0 ?
		    times - 1 : times));
		if (http == 0) {
			docker_call_unreachable(c, msg);
		} else if (http == 200 && (c->flags & CALL_STREAM)) {
			/* A stream that fails half way, as pulls do. */
			reply_lines(c, json_pack("[{s:s}, {s:s, s:{s:s}}]", "status",
			    "Pulling fs layer", "error", msg, "errorDetail",
			    "message", msg));
		} else {
			reply_error(c, http, "%s", msg);
		}
		return 1;
	}
	return 0;
}

static void
route(struct fake *f, struct docker_call *c, const char *bare, json_t *q)
{
	int get = strcmp(c->method, "GET") == 0;
	int post = strcmp(c->method, "POST") == 0;

	if (get && strcmp(bare, "/_ping") == 0) {
		docker_call_head(c, 200);
		docker_call_data(c, "OK", 2);
		docker_call_end(c, DOCKER_OK, NULL);
	} else if (get && strcmp(bare, "/version") == 0) {
		reply(c, 200, json_pack("{s:s, s:s, s:s, s:s, s:s}", "Version",
		    "20.10.24", "ApiVersion", "1.41", "MinAPIVersion", "1.12", "Os",
		    "linux", "Arch", "amd64"));
	} else if (get && strcmp(bare, "/info") == 0) {
		reply(c, 200, info_doc(f));
	} else if (get && strcmp(bare, "/events") == 0) {
		stream_open(f, c, q);
	} else if (post && strcmp(bare, "/images/create") == 0) {
		image_create(f, c, q);
	} else if (strncmp(bare, "/images/", 8) == 0) {
		image_route(f, c, bare + 8, q);
	} else if (post && strcmp(bare, "/containers/create") == 0) {
		container_create(f, c, q);
	} else if (get && strcmp(bare, "/containers/json") == 0) {
		containers_list(f, c, q);
	} else if (strncmp(bare, "/containers/", 12) == 0) {
		container_route(f, c, bare + 12, q);
	} else if (post && strcmp(bare, "/networks/create") == 0) {
		object_create(f, c, f->networks, 0);
	} else if (strncmp(bare, "/networks/", 10) == 0) {
		object_route(f, c, f->networks, bare + 10, 0);
	} else if (post && strcmp(bare, "/volumes/create") == 0) {
		object_create(f, c, f->volumes, 1);
	} else if (strncmp(bare, "/volumes/", 9) == 0) {
		object_route(f, c, f->volumes, bare + 9, 1);
	} else {
		reply_error(c, 404, "page not found");
	}
}

static void
fake_start(struct docker *d, struct docker_call *c)
{
	struct fake *f = fake_of(d);
	const char *qm = strchr(c->path, '?');
	char *bare = qm != NULL ? xstrndup(c->path, (size_t)(qm - c->path)) :
	    xstrdup(c->path);
	char *line, *bare_line;
	json_t *q = parse_query(qm != NULL ? qm + 1 : NULL);

	xasprintf(&line, "%s %s", c->method, c->path);
	xasprintf(&bare_line, "%s %s", c->method, bare);
	json_array_append_new(f->calls, json_string(line));
	if (f->down)
		docker_call_unreachable(c, "Connection refused");
	else if (!scripted_failure(f, c, line, bare_line))
		route(f, c, bare, q);
	json_decref(q);
	free(line);
	free(bare_line);
	free(bare);
}

static void
fake_abort(struct docker *d, struct docker_call *c)
{
	struct fake *f = fake_of(d);
	struct fake_open *o = c->be;

	if (o == NULL)
		return;
	TAILQ_REMOVE(&f->open, o, link);
	open_free(o);
	c->be = NULL;
}

static void
fake_close(struct docker *d)
{
	struct fake *f = fake_of(d);
	struct fake_container *fc;
	struct fake_open *o;

	while ((o = TAILQ_FIRST(&f->open)) != NULL) {
		TAILQ_REMOVE(&f->open, o, link);
		o->call->be = NULL;
		open_free(o);
	}
	while ((fc = TAILQ_FIRST(&f->containers)) != NULL) {
		TAILQ_REMOVE(&f->containers, fc, link);
		container_free(fc);
	}
	json_decref(f->images);
	json_decref(f->pullable);
	json_decref(f->info);
	json_decref(f->networks);
	json_decref(f->volumes);
	json_decref(f->rules);
	json_decref(f->fails);
	json_decref(f->calls);
	json_decref(f->history);
	free(f);
	d->be = NULL;
}

static const struct docker_backend fake_backend = {
	.name = "fake",
	.start = fake_start,
	.abort = fake_abort,
	.close = fake_close,
};

struct docker *
docker_fake_new(uv_loop_t *loop)
{
	struct docker_options opt = { .retry_min_ms = 1, .retry_max_ms = 20 };
	struct docker *d = docker_alloc(loop, &opt, &fake_backend,
	    FAKE_ENDPOINT);
	struct fake *f = xcalloc(1, sizeof *f);

	f->d = d;
	TAILQ_INIT(&f->containers);
	TAILQ_INIT(&f->open);
	f->images = json_object();
	f->pullable = json_object();
	f->info = json_pack("{s:s, s:s, s:i, s:I, s:s, s:s, s:s, s:s, s:s, "
	    "s:s}", "ID", "FAKE:ENGINE", "Name", "fake-engine", "NCPU", 2,
	    "MemTotal", (json_int_t)4 * 1024 * 1024 * 1024, "OSType", "linux",
	    "Architecture", "x86_64", "OperatingSystem", "Fake Linux",
	    "KernelVersion", "6.1.0-fake", "ServerVersion", "20.10.24",
	    "Driver", "overlay2");
	f->networks = json_pack("{s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s}}",
	    "bridge", "Name", "bridge", "Id", "bridge", "host", "Name", "host",
	    "Id", "host", "none", "Name", "none", "Id", "none");
	f->volumes = json_object();
	f->rules = json_array();
	f->fails = json_array();
	f->calls = json_array();
	f->history = json_array();
	f->next_port = FIRST_DYNAMIC_PORT;
	d->be = f;
	return d;
}

/*
 * Scripting, for tests.
 */
void
docker_fake_image_add(struct docker *d, const char *image)
{
	struct fake *f = fake_of(d);
	char *ref = normal_ref(image);

	json_object_set_new(f->images, ref, image_doc(f, ref));
	free(ref);
}

void
docker_fake_image_pullable(struct docker *d, const char *image)
{
	char *ref = normal_ref(image);

	json_object_set_new(fake_of(d)->pullable, ref, json_true());
	free(ref);
}

void
docker_fake_set_info(struct docker *d, json_t *info)
{
	json_object_update(fake_of(d)->info, info);
}

/* Down: every call is refused and open streams break. Up: calls go again,
 * and the event stream reconnects on its own back-off. */
void
docker_fake_set_down(struct docker *d, int down)
{
	struct fake *f = fake_of(d);
	char *msg;

	f->down = down;
	if (!down) {
		d->connected = -1;
		return;
	}
	xasprintf(&msg, "Docker engine at %s dropped the connection: the fake "
	    "engine went down", d->endpoint);
	while (!TAILQ_EMPTY(&f->open))
		open_end(f, TAILQ_FIRST(&f->open), DOCKER_EUNREACHABLE, msg);
	free(msg);
	docker_set_down(d, "Connection refused");
}

/* Breaks the event streams while the engine stays up (a proxy hiccup). */
void
docker_fake_drop_streams(struct docker *d)
{
	struct fake *f = fake_of(d);
	struct fake_open *o, *next;

	for (o = TAILQ_FIRST(&f->open); o != NULL; o = next) {
		next = TAILQ_NEXT(o, link);
		if (o->wait_id == NULL)
			open_end(f, o, DOCKER_EUNREACHABLE, "the fake engine dropped "
			    "the event stream");
	}
}

/* The next `times` calls matching "METHOD /path" (fnmatch) fail with
 * http_status and message; times < 0: always. http_status 0 means the
 * connection is refused; 200 on a pull means an error in the stream. */
void
docker_fake_fail(struct docker *d, const char *glob, int http_status,
    const char *message, int times)
{
	json_array_append_new(fake_of(d)->fails, json_pack("{s:s, s:i, s:s, "
	    "s:i}", "glob", glob, "http", http_status, "message", message,
	    "times", times));
}

void
docker_fake_on_start_exit(struct docker *d, const char *match, int code)
{
	json_array_append_new(fake_of(d)->rules, json_pack("{s:s, s:s, s:i}",
	    "kind", "exit", "match", match, "code", code));
}

void
docker_fake_on_start_health(struct docker *d, const char *match,
    const char *health)
{
	json_array_append_new(fake_of(d)->rules, json_pack("{s:s, s:s, s:s}",
	    "kind", "health", "match", match, "health", health));
}

void
docker_fake_ignore_sigterm(struct docker *d, const char *match)
{
	struct fake *f = fake_of(d);
	struct fake_container *fc;

	json_array_append_new(f->rules, json_pack("{s:s, s:s}", "kind",
	    "ignore_sigterm", "match", match));
	TAILQ_FOREACH(fc, &f->containers, link)
		if (matches(fc, match))
			fc->ignore_sigterm = 1;
}

static struct fake_container *
running(struct docker *d, const char *id)
{
	struct fake_container *fc = find(fake_of(d), id);

	return fc != NULL && strcmp(fc->status, "running") == 0 ? fc : NULL;
}

int
docker_fake_exit(struct docker *d, const char *id, int code)
{
	struct fake_container *fc = running(d, id);

	if (fc == NULL)
		return -1;
	container_exited(fake_of(d), fc, code);
	return 0;
}

int
docker_fake_oom(struct docker *d, const char *id)
{
	struct fake_container *fc = running(d, id);

	if (fc == NULL)
		return -1;
	emit(fake_of(d), fc, "oom", NULL);
	fc->oom_killed = 1;
	container_exited(fake_of(d), fc, 137);
	return 0;
}

int
docker_fake_pause(struct docker *d, const char *id, int paused)
{
	struct fake_container *fc = running(d, id);

	if (fc == NULL)
		return -1;
	fc->paused = paused;
	emit(fake_of(d), fc, paused ? "pause" : "unpause", NULL);
	return 0;
}

int
docker_fake_health(struct docker *d, const char *id, const char *health)
{
	struct fake_container *fc = running(d, id);
	char *action;

	if (fc == NULL || health == NULL)
		return -1;
	free(fc->health);
	fc->health = xstrdup(health);
	xasprintf(&action, "health_status: %s", health);
	emit(fake_of(d), fc, action, NULL);
	free(action);
	return 0;
}

const char *
docker_fake_id(struct docker *d, const char *name)
{
	struct fake_container *fc = find(fake_of(d), name);

	return fc != NULL ? fc->id : NULL;
}

json_t *
docker_fake_calls(struct docker *d)
{
	return fake_of(d)->calls;
}

int
docker_fake_count(struct docker *d, const char *glob)
{
	json_t *calls = fake_of(d)->calls, *v;
	size_t i;
	int n = 0;

	json_array_foreach(calls, i, v) {
		const char *line = json_string_value(v);
		const char *qm = strchr(line, '?');
		char *bare = qm != NULL ? xstrndup(line, (size_t)(qm - line)) :
		    xstrdup(line);

		if (fnmatch(glob, line, 0) == 0 || fnmatch(glob, bare, 0) == 0)
			n++;
		free(bare);
	}
	return n;
}

size_t
docker_fake_containers(struct docker *d)
{
	struct fake_container *fc;
	size_t n = 0;

	TAILQ_FOREACH(fc, &fake_of(d)->containers, link)
		n++;
	return n;
}
