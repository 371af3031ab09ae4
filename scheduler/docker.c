/*
 * docker.c - the Docker driver's core and its transport: calls, their
 * queue and delivery, and the Docker Engine API over HTTP with libcurl's
 * multi interface driven by ecsd's libuv loop (one uv_poll per socket curl
 * opens, one uv_timer for curl's timeouts), to a unix socket or over TCP.
 *
 * Why this shape:
 * - Nothing blocks: a RunTask of 50 is hundreds of calls in flight. At most
 *   max_inflight go on the wire at once (each is a connection to dockerd);
 *   the rest wait in order. Long-lived calls (the event stream, wait) do not
 *   take a slot, or they could starve everything else.
 * - Callbacks never run inside libcurl (curl forbids re-entering the multi
 *   handle from its callbacks) nor inside the call that started them: every
 *   answer becomes a note that pump_cb, a uv_idle, delivers in order, a
 *   bounded batch per loop turn.
 * - When the engine refused a connection, calls fail fast for a second with
 *   "Docker engine not reachable at ..." instead of each trying again.
 * - Every body has a cap; a stream is split into JSON values as it arrives
 *   (docker_split_feed) so an endless /events never grows a buffer.
 *
 * Shutdown (docker_close): cancel every call (callbacks get
 * DOCKER_ECANCELLED), deliver, then close the handles; the struct is freed
 * in the last close callback, never inside one of its own callbacks.
 */
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <uv.h>

#include "../daemon/daemon.h"
#include "docker_int.h"

#define PUMP_BATCH 256            /* notes delivered per loop turn */
#define CONNECT_TIMEOUT_MS 5000

static const struct {
	int status;
	const char *name;
	const char *text;
} errors[] = {
#define X(name, value, text) { value, "DOCKER_E" #name, text },
	DOCKER_ERRNO_MAP(X)
#undef X
};

const char *
docker_strerror(int status)
{
	if (status == DOCKER_OK)
		return "ok";
	for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
		if (errors[i].status == status)
			return errors[i].text;
	return "unknown Docker driver status";
}

const char *
docker_errname(int status)
{
	if (status == DOCKER_OK)
		return "DOCKER_OK";
	for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
		if (errors[i].status == status)
			return errors[i].name;
	return "DOCKER_E?";
}

/*
 * The stream splitter. Docker writes one JSON object per line, but nothing
 * promises the newline, and chunks split values anywhere; so values are
 * found by their brackets (strings and escapes tracked) and handed to fn
 * whole. Only the unfinished value is kept.
 */
int
docker_split_feed(struct docker_split *s, const char *data, size_t n,
    docker_split_fn fn, void *arg)
{
	size_t keep;
	int rc = 0;

	if (s->len + n + 1 > s->cap) {
		s->cap = (s->len + n + 1) * 2;
		s->buf = xrealloc(s->buf, s->cap);
	}
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	for (size_t i = s->scan; i < s->len && rc == 0; i++) {
		char c = s->buf[i];

		s->scan = i + 1;
		if (s->depth == 0) {
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
				continue;
			if (c != '{' && c != '[') {
				rc = DOCKER_SPLIT_MALFORMED;
				break;
			}
			s->start = i;
			s->depth = 1;
		} else if (s->in_str) {
			if (s->esc)
				s->esc = 0;
			else if (c == '\\')
				s->esc = 1;
			else if (c == '"')
				s->in_str = 0;
		} else if (c == '"') {
			s->in_str = 1;
		} else if (c == '{' || c == '[') {
			s->depth++;
		} else if (c == '}' || c == ']') {
			s->depth--;
			if (s->depth == 0)
				rc = fn(arg, s->buf + s->start, i + 1 - s->start);
		}
	}
	if (rc != 0)
		return rc;
	/* Drop what is consumed; keep the value being read. */
	keep = s->depth > 0 ? s->start : s->len;
	memmove(s->buf, s->buf + keep, s->len - keep);
	s->len -= keep;
	s->scan -= keep;
	s->start = 0;
	if (s->max > 0 && s->len > s->max)
		return DOCKER_SPLIT_TOOBIG;
	return 0;
}

void
docker_split_free(struct docker_split *s)
{
	free(s->buf);
	memset(s, 0, sizeof *s);
}

/* HTTP answers to statuses. 304 means "already so", which is success. */
int
docker_http_status(long http)
{
	if ((http >= 200 && http < 300) || http == 304)
		return DOCKER_OK;
	switch (http) {
	case 400:
		return DOCKER_EINVALID;
	case 404:
		return DOCKER_ENOTFOUND;
	case 409:
		return DOCKER_ECONFLICT;
	}
	if (http >= 400)
		return DOCKER_ESERVER;
	return DOCKER_EPROTO;
}

/* Docker's error bodies are {"message": "..."}; older ones plain text. */
char *
docker_http_message(long http, const char *body, size_t len)
{
	json_t *doc = NULL, *msg;
	char *out = NULL;

	if (len > 0)
		doc = json_loadb(body, len, 0, NULL);
	msg = json_object_get(doc, "message");
	if (json_is_string(msg) && json_string_length(msg) > 0) {
		out = xstrdup(json_string_value(msg));
	} else if (doc == NULL && len > 0) {
		while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r' ||
		    body[len - 1] == ' '))
			len--;
		if (len > 0)
			out = xstrndup(body, len > 512 ? 512 : len);
	}
	if (out == NULL)
		xasprintf(&out, "HTTP %ld from the Docker engine", http);
	json_decref(doc);
	return out;
}

/* Handles: counted, so the struct is freed after the last one closed. */
void
docker_handle_opened(struct docker *d)
{
	d->open_handles++;
}

void
docker_handle_closed(struct docker *d)
{
	d->open_handles--;
	if (d->open_handles > 0 || !d->finalizing)
		return;
	if (d->closed_cb != NULL)
		d->closed_cb(d->closed_arg);
	json_decref(d->ev.filters);
	free(d->endpoint);
	free(d->down_reason);
	free(d);
}

static void
own_handle_closed_cb(uv_handle_t *h)
{
	docker_handle_closed(h->data);
}

void
docker_set_up(struct docker *d)
{
	d->connected = 1;
	free(d->down_reason);
	d->down_reason = NULL;
}

void
docker_set_down(struct docker *d, const char *reason)
{
	d->connected = 0;
	d->down_at = uv_now(d->loop);
	free(d->down_reason);
	d->down_reason = xstrdup(reason);
}

static void pump_cb(uv_idle_t *);

static void
pump_kick(struct docker *d)
{
	if (!d->finalizing)
		uv_idle_start(&d->pump, pump_cb);
}

void
docker_note_push(struct docker *d, struct docker_note *n)
{
	TAILQ_INSERT_TAIL(&d->notes, n, link);
	pump_kick(d);
}

static void
note_free(struct docker_note *n)
{
	json_decref(n->json);
	free(n->err);
	free(n);
}

static void
call_free(struct docker_call *c)
{
	if (c == NULL)
		return;
	if (c->ctx_free != NULL)
		c->ctx_free(c->ctx);
	json_decref(c->stream_result);
	docker_split_free(&c->split);
	free(c->path);
	free(c->body);
	free(c->buf);
	free(c->fail_err);
	free(c);
}

struct docker_call *
docker_call_new(struct docker *d, const char *method, char *path, docker_cb cb,
    void *arg)
{
	struct docker_call *c = xcalloc(1, sizeof *c);

	c->d = d;
	c->method = method;
	c->path = path;
	c->cb = cb;
	c->arg = arg;
	c->timeout_ms = d->call_timeout_ms;
	c->split.max = DOCKER_STREAM_VALUE_MAX;
	return c;
}

void
docker_call_body(struct docker_call *c, char *body, size_t len,
    const char *content_type)
{
	free(c->body);
	c->body = body;
	c->body_len = len;
	c->content_type = content_type;
}

/* The call is answered: queue its report. Takes result and err. */
static void
call_finish(struct docker_call *c, int status, json_t *result, char *err)
{
	struct docker_note *n = xcalloc(1, sizeof *n);

	c->where = CALL_DONE;
	n->kind = NOTE_DONE;
	n->call = c;
	n->status = status;
	n->json = result;
	n->err = err;
	if (status != DOCKER_OK && n->err == NULL)
		n->err = xstrdup(docker_strerror(status));
	docker_note_push(c->d, n);
}

void
docker_call_submit(struct docker_call *c)
{
	struct docker *d = c->d;

	if (d->closing) {
		call_finish(c, DOCKER_ECANCELLED,
		    NULL, xstrdup("cancelled: the Docker driver is shutting down"));
		return;
	}
	c->where = CALL_QUEUED;
	TAILQ_INSERT_TAIL(&d->queued, c, link);
	pump_kick(d);
}

static void
running_remove(struct docker *d, struct docker_call *c)
{
	TAILQ_REMOVE(&d->running, c, link);
	if (!(c->flags & CALL_UNCAPPED))
		d->capped_running--;
}

void
docker_call_fail(struct docker_call *c, int status, const char *fmt, ...)
{
	va_list ap;

	if (c->fail_status != 0)
		return;
	c->fail_status = status;
	va_start(ap, fmt);
	if (vasprintf(&c->fail_err, fmt, ap) < 0)
		c->fail_err = NULL;
	va_end(ap);
}

void
docker_call_head(struct docker_call *c, long http)
{
	c->http = http;
	if ((c->flags & CALL_STREAM) && http >= 200 && http < 300 &&
	    c->head_hook != NULL)
		c->head_hook(c);
}

static int
split_value(void *arg, const char *p, size_t n)
{
	struct docker_call *c = arg;
	json_error_t e;
	json_t *v;
	int rc = 0;

	v = json_loadb(p, n, 0, &e);
	if (v == NULL) {
		docker_call_fail(c, DOCKER_EPROTO, "the Docker engine sent "
		    "malformed JSON in the answer to %s %s: %s", c->method, c->path,
		    e.text);
		return -1;
	}
	if (c->value_hook != NULL)
		rc = c->value_hook(c, v);
	json_decref(v);
	return rc;
}

/* Body bytes from the backend; non-zero means "stop this transfer". */
int
docker_call_data(struct docker_call *c, const char *p, size_t n)
{
	struct docker *d = c->d;
	int rc;

	if ((c->flags & CALL_STREAM) && c->http >= 200 && c->http < 300) {
		rc = docker_split_feed(&c->split, p, n, split_value, c);
		if (rc == DOCKER_SPLIT_MALFORMED)
			docker_call_fail(c, DOCKER_EPROTO, "the Docker engine's "
			    "answer to %s %s is not a stream of JSON objects",
			    c->method, c->path);
		else if (rc == DOCKER_SPLIT_TOOBIG)
			docker_call_fail(c, DOCKER_ETOOBIG, "a line of the Docker "
			    "engine's answer to %s %s exceeded %zu bytes", c->method,
			    c->path, c->split.max);
		return rc;
	}
	if (c->len + n > d->max_body) {
		docker_call_fail(c, DOCKER_ETOOBIG, "the Docker engine's answer "
		    "to %s %s exceeded %zu bytes", c->method, c->path, d->max_body);
		return -1;
	}
	c->buf = xrealloc(c->buf, c->len + n + 1);
	memcpy(c->buf + c->len, p, n);
	c->len += n;
	c->buf[c->len] = '\0';
	return 0;
}

/* The exchange is over; status is the backend's (0: look at the answer). */
void
docker_call_end(struct docker_call *c, int status, const char *err)
{
	struct docker *d = c->d;
	json_t *result = NULL;
	json_error_t e;
	char *msg = NULL;
	int st;

	running_remove(d, c);
	if (c->http > 0)
		docker_set_up(d);
	if (c->end_hook != NULL)
		c->end_hook(c);
	if (status != DOCKER_OK) {
		call_finish(c, status, NULL, xstrdup(err != NULL ? err :
		    docker_strerror(status)));
	} else if (c->fail_status != DOCKER_OK) {
		msg = c->fail_err;
		c->fail_err = NULL;
		call_finish(c, c->fail_status, NULL, msg);
	} else if ((st = docker_http_status(c->http)) != DOCKER_OK) {
		call_finish(c, st, NULL, docker_http_message(c->http, c->buf,
		    c->len));
	} else if (c->flags & CALL_STREAM) {
		result = c->stream_result;
		c->stream_result = NULL;
		call_finish(c, DOCKER_OK, result, NULL);
	} else if (c->len > 0 && (c->buf[0] == '{' || c->buf[0] == '[')) {
		result = json_loadb(c->buf, c->len, 0, &e);
		if (result == NULL) {
			xasprintf(&msg, "the Docker engine sent malformed JSON in "
			    "the answer to %s %s: %s", c->method, c->path, e.text);
			call_finish(c, DOCKER_EPROTO, NULL, msg);
		} else {
			call_finish(c, DOCKER_OK, result, NULL);
		}
	} else {
		call_finish(c, DOCKER_OK, NULL, NULL);
	}
	pump_kick(d);
}

void
docker_call_unreachable(struct docker_call *c, const char *reason)
{
	char *msg;

	docker_set_down(c->d, reason);
	xasprintf(&msg, "Docker engine not reachable at %s: %s", c->d->endpoint,
	    reason);
	docker_call_end(c, DOCKER_EUNREACHABLE, msg);
	free(msg);
}

static int
fail_fast(struct docker *d, struct docker_call *c)
{
	return d->connected == 0 && !(c->flags & CALL_INTERNAL) &&
	    uv_now(d->loop) - d->down_at < DOCKER_DOWN_RETRY_MS;
}

/* Moves calls from queued to running while slots allow; returns how many. */
static int
start_queued(struct docker *d)
{
	struct docker_call *c, *next;
	char *msg;
	int n = 0;

	for (c = TAILQ_FIRST(&d->queued); c != NULL; c = next) {
		next = TAILQ_NEXT(c, link);
		if (!(c->flags & CALL_UNCAPPED) &&
		    d->capped_running >= d->max_inflight)
			continue;
		TAILQ_REMOVE(&d->queued, c, link);
		n++;
		if (fail_fast(d, c)) {
			xasprintf(&msg, "Docker engine not reachable at %s: %s",
			    d->endpoint, d->down_reason);
			call_finish(c, DOCKER_EUNREACHABLE, NULL, msg);
			continue;
		}
		c->where = CALL_RUNNING;
		TAILQ_INSERT_TAIL(&d->running, c, link);
		if (!(c->flags & CALL_UNCAPPED))
			d->capped_running++;
		d->backend->start(d, c);
	}
	return n;
}

static void
deliver(struct docker *d, struct docker_note *n)
{
	struct docker_call *c = n->call;

	switch (n->kind) {
	case NOTE_DONE:
		if (c->cb != NULL)
			c->cb(c->arg, n->status, n->json, n->err);
		call_free(c);
		break;
	case NOTE_PROGRESS:
		if (c->progress != NULL)
			c->progress(c->arg, n->json);
		break;
	case NOTE_EVENT:
	case NOTE_STREAM:
		docker_events_deliver(d, n);
		break;
	}
	note_free(n);
}

static void
maybe_finalize(struct docker *d)
{
	if (!d->closing || d->finalizing || !TAILQ_EMPTY(&d->queued) ||
	    !TAILQ_EMPTY(&d->running) || !TAILQ_EMPTY(&d->notes))
		return;
	d->finalizing = 1;
	uv_idle_stop(&d->pump);
	uv_timer_stop(&d->ev.retry);
	d->backend->close(d);
	uv_close((uv_handle_t *)&d->ev.retry, own_handle_closed_cb);
	uv_close((uv_handle_t *)&d->pump, own_handle_closed_cb);
}

static int
can_start(struct docker *d)
{
	struct docker_call *c;

	TAILQ_FOREACH(c, &d->queued, link)
		if ((c->flags & CALL_UNCAPPED) ||
		    d->capped_running < d->max_inflight)
			return 1;
	return 0;
}

static void
pump_cb(uv_idle_t *h)
{
	struct docker *d = h->data;
	struct docker_note *n;

	for (int budget = PUMP_BATCH; budget > 0; budget--) {
		n = TAILQ_FIRST(&d->notes);
		if (n == NULL) {
			if (start_queued(d) == 0)
				break;
			continue;
		}
		TAILQ_REMOVE(&d->notes, n, link);
		deliver(d, n);
	}
	start_queued(d);
	if (TAILQ_EMPTY(&d->notes) && !can_start(d))
		uv_idle_stop(h);
	maybe_finalize(d);
}

/* Calls a caller no longer wants: never report them. */
static int
mine(struct docker_call *c, void *arg)
{
	return c != NULL && c->arg == arg && !(c->flags & CALL_INTERNAL);
}

void
docker_forget(struct docker *d, void *arg)
{
	struct docker_note *n, *nn;
	struct docker_call *c, *next;

	for (n = TAILQ_FIRST(&d->notes); n != NULL; n = nn) {
		nn = TAILQ_NEXT(n, link);
		if (!mine(n->call, arg))
			continue;
		TAILQ_REMOVE(&d->notes, n, link);
		if (n->kind == NOTE_DONE)
			call_free(n->call);
		note_free(n);
	}
	for (c = TAILQ_FIRST(&d->queued); c != NULL; c = next) {
		next = TAILQ_NEXT(c, link);
		if (!mine(c, arg))
			continue;
		TAILQ_REMOVE(&d->queued, c, link);
		call_free(c);
	}
	for (c = TAILQ_FIRST(&d->running); c != NULL; c = next) {
		next = TAILQ_NEXT(c, link);
		if (!mine(c, arg))
			continue;
		d->backend->abort(d, c);
		running_remove(d, c);
		call_free(c);
	}
	pump_kick(d);
}

/* A call reported without going on the wire (bad arguments, say). */
void
docker_call_reject(struct docker_call *c, int status, const char *err)
{
	call_finish(c, status, NULL, xstrdup(err));
}

/* One call, wherever it is, gone without a report. */
void
docker_call_drop(struct docker_call *c)
{
	struct docker *d = c->d;
	struct docker_note *n;

	switch (c->where) {
	case CALL_NEW:
		break;
	case CALL_QUEUED:
		TAILQ_REMOVE(&d->queued, c, link);
		break;
	case CALL_RUNNING:
		d->backend->abort(d, c);
		running_remove(d, c);
		break;
	case CALL_DONE:
		TAILQ_FOREACH(n, &d->notes, link)
			if (n->kind == NOTE_DONE && n->call == c)
				break;
		if (n == NULL)
			return;   /* being delivered: freed after its callback */
		TAILQ_REMOVE(&d->notes, n, link);
		note_free(n);
		break;
	}
	call_free(c);
}

void
docker_notes_drop_events(struct docker *d)
{
	struct docker_note *n, *nn;

	for (n = TAILQ_FIRST(&d->notes); n != NULL; n = nn) {
		nn = TAILQ_NEXT(n, link);
		if (n->kind != NOTE_EVENT && n->kind != NOTE_STREAM)
			continue;
		TAILQ_REMOVE(&d->notes, n, link);
		note_free(n);
	}
}

static void
cancel_where(struct docker *d, int all, void *arg, const char *why)
{
	struct docker_call *c, *next;

	for (c = TAILQ_FIRST(&d->queued); c != NULL; c = next) {
		next = TAILQ_NEXT(c, link);
		if (!all && !mine(c, arg))
			continue;
		TAILQ_REMOVE(&d->queued, c, link);
		call_finish(c, DOCKER_ECANCELLED, NULL, xstrdup(why));
	}
	for (c = TAILQ_FIRST(&d->running); c != NULL; c = next) {
		next = TAILQ_NEXT(c, link);
		if (!all && !mine(c, arg))
			continue;
		d->backend->abort(d, c);
		running_remove(d, c);
		call_finish(c, DOCKER_ECANCELLED, NULL, xstrdup(why));
	}
}

void
docker_cancel(struct docker *d, void *arg)
{
	cancel_where(d, 0, arg, "cancelled");
}

void
docker_close(struct docker *d, void (*closed_cb)(void *), void *arg)
{
	if (d == NULL || d->closing)
		return;
	d->closing = 1;
	d->closed_cb = closed_cb;
	d->closed_arg = arg;
	docker_events_stop(d);
	cancel_where(d, 1, NULL, "cancelled: the Docker driver is shutting down");
	pump_kick(d);
}

const char *
docker_endpoint(const struct docker *d)
{
	return d->endpoint;
}

int
docker_connected(const struct docker *d)
{
	return d->connected;
}

size_t
docker_pending(const struct docker *d)
{
	const struct docker_call *c;
	const struct docker_note *n;
	size_t count = 0;

	TAILQ_FOREACH(c, &d->queued, link)
		count += !(c->flags & CALL_INTERNAL);
	TAILQ_FOREACH(c, &d->running, link)
		count += !(c->flags & CALL_INTERNAL);
	TAILQ_FOREACH(n, &d->notes, link)
		count += n->kind == NOTE_DONE && !(n->call->flags & CALL_INTERNAL);
	return count;
}

struct docker *
docker_alloc(uv_loop_t *loop, const struct docker_options *opt,
    const struct docker_backend *backend, const char *endpoint)
{
	struct docker *d = xcalloc(1, sizeof *d);
	struct docker_options none = { 0 };

	if (opt == NULL)
		opt = &none;
	d->loop = loop;
	d->backend = backend;
	d->endpoint = xstrdup(endpoint);
	d->call_timeout_ms = opt->call_timeout_ms > 0 ? opt->call_timeout_ms :
	    DOCKER_DEFAULT_TIMEOUT_MS;
	d->max_body = opt->max_body > 0 ? opt->max_body :
	    DOCKER_DEFAULT_MAX_BODY;
	d->max_inflight = opt->max_inflight > 0 ? opt->max_inflight :
	    DOCKER_DEFAULT_MAX_INFLIGHT;
	d->retry_min_ms = opt->retry_min_ms > 0 ? opt->retry_min_ms : 100;
	d->retry_max_ms = opt->retry_max_ms > 0 ? opt->retry_max_ms : 5000;
	if (d->retry_max_ms < d->retry_min_ms)
		d->retry_max_ms = d->retry_min_ms;
	d->connected = -1;
	TAILQ_INIT(&d->queued);
	TAILQ_INIT(&d->running);
	TAILQ_INIT(&d->notes);
	uv_idle_init(loop, &d->pump);
	d->pump.data = d;
	docker_handle_opened(d);
	uv_timer_init(loop, &d->ev.retry);
	d->ev.retry.data = d;
	docker_handle_opened(d);
	return d;
}

/*
 * The curl transport.
 */
struct curl_be {
	struct docker *d;
	CURLM *multi;
	uv_timer_t timer;         /* curl's timeout */
	char *socket_path;        /* unix socket, or NULL for TCP */
	char *base_url;           /* http://localhost or http://host:port */
	LIST_HEAD(, sock_ctx) socks;
};

/* One socket curl asked us to watch. */
struct sock_ctx {
	uv_poll_t poll;
	curl_socket_t fd;
	struct curl_be *be;
	struct docker *d;         /* outlives be: close callbacks run last first */
	LIST_ENTRY(sock_ctx) link;
};

/* Per-call transfer state. */
struct xfer {
	CURL *easy;
	struct curl_slist *headers;
	char *url;
	char errbuf[CURL_ERROR_SIZE];
};

static int curl_users;            /* curl_global_init is reference counted */

static void
xfer_free(struct xfer *x)
{
	if (x == NULL)
		return;
	curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	free(x->url);
	free(x);
}

static void
transfer_done(struct curl_be *be, CURL *easy, CURLcode code)
{
	struct docker_call *c = NULL;
	struct xfer *x;
	char reason[CURL_ERROR_SIZE + 64];
	curl_off_t connect_us = 0;
	long http = 0, os_errno = 0;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&c);
	x = c->be;
	curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connect_us);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &http);
	curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
	/* curl speaks of "localhost port 80" for a unix socket: say the path. */
	if (code == CURLE_COULDNT_CONNECT && os_errno != 0)
		snprintf(reason, sizeof reason, "%s", strerror((int)os_errno));
	else
		snprintf(reason, sizeof reason, "%s",
		    x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror(code));
	curl_multi_remove_handle(be->multi, easy);
	xfer_free(x);
	c->be = NULL;
	if (code == CURLE_OK || (code == CURLE_WRITE_ERROR && c->fail_status)) {
		docker_call_end(c, DOCKER_OK, NULL);
	} else if (code == CURLE_COULDNT_CONNECT ||
	    code == CURLE_COULDNT_RESOLVE_HOST ||
	    (code == CURLE_OPERATION_TIMEDOUT && connect_us == 0 && http == 0)) {
		docker_call_unreachable(c, reason);
	} else if (code == CURLE_OPERATION_TIMEDOUT) {
		char *msg;

		xasprintf(&msg, "Docker call %s %s timed out after %ld ms",
		    c->method, c->path, c->timeout_ms);
		docker_call_end(c, DOCKER_ETIMEDOUT, msg);
		free(msg);
	} else if (code == CURLE_GOT_NOTHING || code == CURLE_RECV_ERROR ||
	    code == CURLE_SEND_ERROR || code == CURLE_PARTIAL_FILE) {
		char *msg;

		xasprintf(&msg, "Docker engine at %s dropped the connection "
		    "during %s %s: %s", be->d->endpoint, c->method, c->path, reason);
		docker_call_end(c, DOCKER_EUNREACHABLE, msg);
		free(msg);
	} else {
		char *msg;

		xasprintf(&msg, "Docker call %s %s failed: %s", c->method, c->path,
		    reason);
		docker_call_end(c, DOCKER_EPROTO, msg);
		free(msg);
	}
}

static void
check_multi_info(struct curl_be *be)
{
	CURLMsg *m;
	int pending;

	while ((m = curl_multi_info_read(be->multi, &pending)) != NULL) {
		if (m->msg == CURLMSG_DONE)
			transfer_done(be, m->easy_handle, m->data.result);
	}
}

static void
poll_cb(uv_poll_t *p, int status, int events)
{
	struct sock_ctx *s = p->data;
	struct curl_be *be = s->be;
	int flags = 0, running;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	else {
		if (events & UV_READABLE)
			flags |= CURL_CSELECT_IN;
		if (events & UV_WRITABLE)
			flags |= CURL_CSELECT_OUT;
	}
	curl_multi_socket_action(be->multi, s->fd, flags, &running);
	check_multi_info(be);
}

static void
curl_timer_cb(uv_timer_t *t)
{
	struct curl_be *be = t->data;
	int running;

	curl_multi_socket_action(be->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_multi_info(be);
}

static int
timer_fn(CURLM *multi, long ms, void *arg)
{
	struct curl_be *be = arg;

	(void)multi;
	if (ms < 0)
		uv_timer_stop(&be->timer);
	else
		uv_timer_start(&be->timer, curl_timer_cb, (uint64_t)ms, 0);
	return 0;
}

static void
sock_closed_cb(uv_handle_t *h)
{
	struct sock_ctx *s = h->data;
	struct docker *d = s->d;

	free(s);
	docker_handle_closed(d);
}

static void
sock_close(struct sock_ctx *s)
{
	LIST_REMOVE(s, link);
	uv_poll_stop(&s->poll);
	uv_close((uv_handle_t *)&s->poll, sock_closed_cb);
}

static int
socket_fn(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct curl_be *be = arg;
	struct sock_ctx *s = sockp;
	int events = 0, rc;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			curl_multi_assign(be->multi, fd, NULL);
			sock_close(s);
		}
		return 0;
	}
	if (s == NULL) {
		s = xcalloc(1, sizeof *s);
		s->fd = fd;
		s->be = be;
		s->d = be->d;
		rc = uv_poll_init_socket(be->d->loop, &s->poll, fd);
		if (rc != 0) {
			log_error("docker: cannot watch socket %d: %s", (int)fd,
			    uv_strerror(rc));
			free(s);
			return -1;
		}
		s->poll.data = s;
		docker_handle_opened(be->d);
		LIST_INSERT_HEAD(&be->socks, s, link);
		curl_multi_assign(be->multi, fd, s);
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= UV_READABLE;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= UV_WRITABLE;
	uv_poll_start(&s->poll, events, poll_cb);
	return 0;
}

static size_t
write_fn(char *p, size_t size, size_t n, void *arg)
{
	struct docker_call *c = arg;

	return docker_call_data(c, p, size * n) == 0 ? size * n : 0;
}

/* The empty line after the headers: the status is final (not a 1xx). */
static size_t
header_fn(char *p, size_t size, size_t n, void *arg)
{
	struct docker_call *c = arg;
	struct xfer *x = c->be;
	long http = 0;

	/* The engine's clock, for resuming the event stream without gaps. */
	if (size * n > 5 && strncasecmp(p, "Date:", 5) == 0) {
		char *v = xstrndup(p + 5, size * n - 5);
		time_t t = curl_getdate(v, NULL);

		if (t > 0)
			c->engine_ns = (int64_t)t * 1000000000;
		free(v);
	}
	if (size * n <= 2 && (p[0] == '\r' || p[0] == '\n')) {
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &http);
		if (http >= 200)
			docker_call_head(c, http);
	}
	return size * n;
}

static void
curl_start(struct docker *d, struct docker_call *c)
{
	struct curl_be *be = d->be;
	struct xfer *x = xcalloc(1, sizeof *x);
	CURL *e;
	char *ct;

	c->be = x;
	x->easy = e = curl_easy_init();
	if (e == NULL) {
		c->be = NULL;
		free(x);
		docker_call_end(c, DOCKER_EPROTO, "libcurl cannot make a handle");
		return;
	}
	xasprintf(&x->url, "%s%s", be->base_url, c->path);
	curl_easy_setopt(e, CURLOPT_URL, x->url);
	if (be->socket_path != NULL)
		curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, be->socket_path);
	else
		curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)c);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_fn);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_fn);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
	if (c->timeout_ms > 0)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	if (c->low_speed_s > 0) {
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, c->low_speed_s);
	}
	/* Go's server answers Expect: 100-continue, but it costs a turn. */
	x->headers = curl_slist_append(x->headers, "Expect:");
	if (strcmp(c->method, "POST") == 0) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body != NULL ? c->body :
		    "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)c->body_len);
	} else if (strcmp(c->method, "GET") != 0) {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, c->method);
	}
	if (c->content_type != NULL) {
		xasprintf(&ct, "Content-Type: %s", c->content_type);
		x->headers = curl_slist_append(x->headers, ct);
		free(ct);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
	if (curl_multi_add_handle(be->multi, e) != CURLM_OK) {
		xfer_free(x);
		c->be = NULL;
		docker_call_end(c, DOCKER_EPROTO, "libcurl refused the transfer");
	}
}

static void
curl_abort(struct docker *d, struct docker_call *c)
{
	struct curl_be *be = d->be;
	struct xfer *x = c->be;

	if (x == NULL)
		return;
	curl_multi_remove_handle(be->multi, x->easy);
	xfer_free(x);
	c->be = NULL;
}

static void
be_closed_cb(uv_handle_t *h)
{
	struct curl_be *be = h->data;
	struct docker *d = be->d;

	free(be->socket_path);
	free(be->base_url);
	free(be);
	docker_handle_closed(d);
}

static void
curl_close(struct docker *d)
{
	struct curl_be *be = d->be;

	curl_multi_cleanup(be->multi);
	while (!LIST_EMPTY(&be->socks))
		sock_close(LIST_FIRST(&be->socks));
	uv_timer_stop(&be->timer);
	uv_close((uv_handle_t *)&be->timer, be_closed_cb);
	if (--curl_users == 0)
		curl_global_cleanup();
}

static const struct docker_backend curl_backend = {
	.name = "curl",
	.start = curl_start,
	.abort = curl_abort,
	.close = curl_close,
};

/*
 * Endpoints as Docker's own client spells them: unix:///path, a bare
 * /path, tcp://host[:port] (2375 when omitted) or http://host[:port].
 * TLS (https, DOCKER_TLS_VERIFY) and ssh:// are not supported.
 */
static int
parse_endpoint(const char *ep, char **canon, char **sock, char **base,
    char **err)
{
	const char *rest, *colon, *bracket;
	size_t n;

	*canon = *sock = *base = NULL;
	if (strncmp(ep, "unix://", 7) == 0 || ep[0] == '/') {
		rest = ep[0] == '/' ? ep : ep + 7;
		if (rest[0] != '/' || strlen(rest) >= 108) {
			xasprintf(err, "Docker endpoint %s: a unix socket needs an "
			    "absolute path shorter than 108 bytes", ep);
			return -1;
		}
		xasprintf(canon, "unix://%s", rest);
		*sock = xstrdup(rest);
		*base = xstrdup("http://localhost");
		return 0;
	}
	if (strncmp(ep, "tcp://", 6) == 0)
		rest = ep + 6;
	else if (strncmp(ep, "http://", 7) == 0)
		rest = ep + 7;
	else {
		xasprintf(err, "Docker endpoint %s is not supported: use "
		    "unix:///path or tcp://host:port (TLS and ssh are not "
		    "supported)", ep);
		return -1;
	}
	n = strcspn(rest, "/");
	if (n == 0) {
		xasprintf(err, "Docker endpoint %s has no host", ep);
		return -1;
	}
	colon = memrchr(rest, ':', n);
	bracket = memrchr(rest, ']', n);
	if (colon != NULL && (bracket == NULL || colon > bracket))
		xasprintf(canon, "tcp://%.*s", (int)n, rest);
	else
		xasprintf(canon, "tcp://%.*s:2375", (int)n, rest);
	xasprintf(base, "http://%s", *canon + 6);
	return 0;
}

struct docker *
docker_new(uv_loop_t *loop, const struct docker_options *opt, char **err)
{
	struct docker *d;
	struct curl_be *be;
	const char *ep = opt != NULL ? opt->endpoint : NULL;
	char *canon, *sock, *base;

	if (ep == NULL || ep[0] == '\0')
		ep = getenv("DOCKER_HOST");
	if (ep == NULL || ep[0] == '\0')
		ep = "unix://" DOCKER_DEFAULT_SOCKET;
	if (parse_endpoint(ep, &canon, &sock, &base, err) != 0)
		return NULL;
	if (curl_users++ == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		curl_users--;
		xasprintf(err, "libcurl failed to initialise");
		free(canon);
		free(sock);
		free(base);
		return NULL;
	}
	d = docker_alloc(loop, opt, &curl_backend, canon);
	free(canon);
	be = xcalloc(1, sizeof *be);
	be->d = d;
	be->socket_path = sock;
	be->base_url = base;
	LIST_INIT(&be->socks);
	be->multi = curl_multi_init();
	curl_multi_setopt(be->multi, CURLMOPT_SOCKETFUNCTION, socket_fn);
	curl_multi_setopt(be->multi, CURLMOPT_SOCKETDATA, be);
	curl_multi_setopt(be->multi, CURLMOPT_TIMERFUNCTION, timer_fn);
	curl_multi_setopt(be->multi, CURLMOPT_TIMERDATA, be);
	curl_multi_setopt(be->multi, CURLMOPT_MAXCONNECTS, (long)d->max_inflight);
	uv_timer_init(loop, &be->timer);
	be->timer.data = be;
	docker_handle_opened(d);
	d->be = be;
	return d;
}
