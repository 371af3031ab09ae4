/*
 * test-docker.c - the driver's core and transport (scheduler/docker.c)
 * without Docker: the stream splitter with canned bytes cut at every
 * point, HTTP status and message mapping, endpoints, and the libcurl
 * transport on the loop against a small canned HTTP server on a unix
 * socket (answers, errors, caps, timeouts, a refused connection, the
 * in-flight limit, streamed pulls, an event stream that breaks and comes
 * back, cancel on close).
 */
#include <signal.h>
#include <unistd.h>

#include "../../scheduler/docker_int.h"
#include "test-docker.h"

/*
 * The splitter.
 */
struct collected {
	json_t *values;
	int stop_after;           /* make fn fail after this many; 0: never */
};

static int
collect(void *arg, const char *p, size_t n)
{
	struct collected *c = arg;
	json_t *v = json_loadb(p, n, 0, NULL);

	ASSERT_NOT_NULL(v);
	json_array_append_new(c->values, v);
	if (c->stop_after > 0 && (int)json_array_size(c->values) >= c->stop_after)
		return 7;
	return 0;
}

/* Feeds text in two pieces cut at `cut`; returns the values found. */
static json_t *
split_two(const char *text, size_t cut, int *rc)
{
	struct docker_split s = { .max = 1 << 20 };
	struct collected c = { json_array(), 0 };
	size_t n = strlen(text);

	*rc = docker_split_feed(&s, text, cut, collect, &c);
	if (*rc == 0)
		*rc = docker_split_feed(&s, text + cut, n - cut, collect, &c);
	docker_split_free(&s);
	return c.values;
}

TEST(docker_split_values_cut_anywhere)
{
	static const char text[] =
	    "{\"status\":\"start\",\"id\":\"a}\\\"{\"}\r\n"
	    "\n  {\"a\":[1,{\"b\":\"]\"}],\"c\":\"\\\\\"}"
	    "{\"glued\":true}\n"
	    "[1,2]\n";
	json_t *first = NULL;

	for (size_t cut = 0; cut <= strlen(text); cut++) {
		int rc;
		json_t *v = split_two(text, cut, &rc);

		ASSERT_INT_EQ(rc, 0);
		ASSERT_INT_EQ(json_array_size(v), 4);
		if (first == NULL)
			first = json_incref(v);
		ASSERT(json_equal(v, first));
		json_decref(v);
	}
	ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(first, 0),
	    "id")), "a}\"{");
	ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(first, 1),
	    "c")), "\\");
	json_decref(first);
}

TEST(docker_split_byte_by_byte_keeps_little)
{
	static const char text[] = "{\"x\":1}\n{\"y\":\"two\"}\n{\"z\":";
	struct docker_split s = { .max = 64 };
	struct collected c = { json_array(), 0 };

	for (size_t i = 0; i < strlen(text); i++)
		ASSERT_INT_EQ(docker_split_feed(&s, text + i, 1, collect, &c), 0);
	ASSERT_INT_EQ(json_array_size(c.values), 2);
	/* Only the unfinished value is held. */
	ASSERT_INT_EQ(s.len, strlen("{\"z\":"));
	docker_split_free(&s);
	json_decref(c.values);
}

TEST(docker_split_rejects)
{
	struct docker_split s = { .max = 16 };
	struct collected c = { json_array(), 0 };

	ASSERT_INT_EQ(docker_split_feed(&s, "OK", 2, collect, &c),
	    DOCKER_SPLIT_MALFORMED);
	docker_split_free(&s);
	s.max = 16;
	ASSERT_INT_EQ(docker_split_feed(&s, "{\"a\":\"0123456789abcdef", 22,
	    collect, &c), DOCKER_SPLIT_TOOBIG);
	docker_split_free(&s);
	s.max = 16;
	c.stop_after = 1;
	ASSERT_INT_EQ(docker_split_feed(&s, "{}{}{}", 6, collect, &c), 7);
	ASSERT_INT_EQ(json_array_size(c.values), 1);
	docker_split_free(&s);
	json_decref(c.values);
}

TEST(docker_http_mapping)
{
	char *m;

	ASSERT_INT_EQ(docker_http_status(200), DOCKER_OK);
	ASSERT_INT_EQ(docker_http_status(201), DOCKER_OK);
	ASSERT_INT_EQ(docker_http_status(204), DOCKER_OK);
	ASSERT_INT_EQ(docker_http_status(304), DOCKER_OK);
	ASSERT_INT_EQ(docker_http_status(400), DOCKER_EINVALID);
	ASSERT_INT_EQ(docker_http_status(404), DOCKER_ENOTFOUND);
	ASSERT_INT_EQ(docker_http_status(409), DOCKER_ECONFLICT);
	ASSERT_INT_EQ(docker_http_status(500), DOCKER_ESERVER);
	ASSERT_INT_EQ(docker_http_status(503), DOCKER_ESERVER);
	ASSERT_INT_EQ(docker_http_status(403), DOCKER_ESERVER);
	ASSERT_INT_EQ(docker_http_status(302), DOCKER_EPROTO);
	m = docker_http_message(404, "{\"message\":\"No such container: x\"}",
	    34);
	ASSERT_STR_EQ(m, "No such container: x");
	free(m);
	m = docker_http_message(500, "boom\r\n", 6);
	ASSERT_STR_EQ(m, "boom");
	free(m);
	m = docker_http_message(502, "", 0);
	ASSERT_STR_EQ(m, "HTTP 502 from the Docker engine");
	free(m);
	ASSERT_STR_EQ(docker_errname(DOCKER_ENOTFOUND), "DOCKER_ENOTFOUND");
	ASSERT_STR_EQ(docker_errname(DOCKER_OK), "DOCKER_OK");
	ASSERT_STR_EQ(docker_strerror(DOCKER_EUNREACHABLE),
	    "Docker engine not reachable");
}

TEST(docker_escape_paths)
{
	char *e = docker_escape("a b/c:d@e?f&g=%", 0);

	ASSERT_STR_EQ(e, "a%20b%2Fc%3Ad%40e%3Ff%26g%3D%25");
	free(e);
	e = docker_escape("reg:5000/team/app:1", 1);
	ASSERT_STR_EQ(e, "reg:5000/team/app:1");
	free(e);
}

TEST(docker_endpoints)
{
	static const struct {
		const char *given;
		const char *canonical;   /* NULL: refused */
	} cases[] = {
		{ "unix:///var/run/docker.sock", "unix:///var/run/docker.sock" },
		{ "/tmp/d.sock", "unix:///tmp/d.sock" },
		{ "tcp://10.0.0.1", "tcp://10.0.0.1:2375" },
		{ "tcp://10.0.0.1:2376", "tcp://10.0.0.1:2376" },
		{ "http://[::1]", "tcp://[::1]:2375" },
		{ "http://[::1]:80/", "tcp://[::1]:80" },
		{ "unix://relative.sock", NULL },
		{ "ssh://me@host", NULL },
		{ "https://host:2376", NULL },
		{ "tcp://", NULL },
	};
	uv_loop_t loop;

	uv_loop_init(&loop);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct docker_options o = { .endpoint = cases[i].given };
		char *err = NULL;
		struct docker *d = docker_new(&loop, &o, &err);

		if (cases[i].canonical == NULL) {
			ASSERT_NULL(d);
			ASSERT_NOT_NULL(err);
			ASSERT(strstr(err, cases[i].given) != NULL);
			free(err);
			continue;
		}
		ASSERT_NOT_NULL(d);
		ASSERT_STR_EQ(docker_endpoint(d), cases[i].canonical);
		ASSERT_INT_EQ(docker_connected(d), -1);
		docker_close(d, NULL, NULL);
		uv_run(&loop, UV_RUN_DEFAULT);
	}
	setenv("DOCKER_HOST", "tcp://docker.example:2375", 1);
	{
		char *err = NULL;
		struct docker *d = docker_new(&loop, NULL, &err);

		ASSERT_STR_EQ(docker_endpoint(d), "tcp://docker.example:2375");
		docker_close_all(&loop, d);
	}
}

/*
 * A canned HTTP server on a unix socket, on the same loop.
 */
struct conn;

struct srv {
	uv_pipe_t pipe;
	char path[108];
	int requests;             /* received */
	int open;                 /* received, not yet answered */
	int max_open;
	int events_connects;
	int slow;                 /* /slow requests received */
	char since[64];           /* the since= of the last /events */
	struct conn *conns;       /* still open */
};

struct conn {
	uv_pipe_t h;
	uv_timer_t later;         /* a delayed answer */
	struct srv *s;
	struct conn *next;
	char *buf;
	size_t len;
	int answered;
	int closing;
	int handles;              /* open: freed when both are closed */
};

static uv_loop_t loop;
static struct srv srv;

static void
conn_closed_cb(uv_handle_t *h)
{
	struct conn *c = h->data;

	if (--c->handles > 0)
		return;
	free(c->buf);
	free(c);
}

static void
conn_close(struct conn *c)
{
	struct conn **p;

	if (c->closing)
		return;
	c->closing = 1;
	for (p = &c->s->conns; *p != NULL; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	if (!c->answered)
		c->s->open--;
	uv_close((uv_handle_t *)&c->later, conn_closed_cb);
	uv_close((uv_handle_t *)&c->h, conn_closed_cb);
}

struct wreq {
	uv_write_t req;
	char *data;
	struct conn *c;
	int close_after;
};

static void
written_cb(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;

	(void)status;
	if (w->close_after)
		conn_close(w->c);
	free(w->data);
	free(w);
}

static void
send_bytes(struct conn *c, const char *p, size_t n, int close_after)
{
	struct wreq *w = xcalloc(1, sizeof *w);
	uv_buf_t b;

	if (c->closing) {
		free(w);
		return;
	}
	w->data = xmalloc(n + 1);
	memcpy(w->data, p, n);
	w->c = c;
	w->close_after = close_after;
	b = uv_buf_init(w->data, (unsigned)n);
	uv_write(&w->req, (uv_stream_t *)&c->h, &b, 1, written_cb);
}

static void
answer(struct conn *c, int status, const char *type, const char *body)
{
	char *head;

	if (!c->answered) {
		c->answered = 1;
		c->s->open--;
	}
	xasprintf(&head, "HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: "
	    "%zu\r\nConnection: close\r\n\r\n", status, type, strlen(body));
	send_bytes(c, head, strlen(head), 0);
	send_bytes(c, body, strlen(body), 1);
	free(head);
}

static void
chunk(struct conn *c, const char *data)
{
	char *s;

	xasprintf(&s, "%zx\r\n%s\r\n", strlen(data), data);
	send_bytes(c, s, strlen(s), 0);
	free(s);
}

static void
start_chunked(struct conn *c)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: "
	    "application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

	c->answered = 1;
	c->s->open--;
	send_bytes(c, head, sizeof head - 1, 0);
}

#define EV(name, t) "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":" \
	"{\"ID\":\"id-" name "\",\"Attributes\":{\"name\":\"" name "\"}},"      \
	"\"timeNano\":" #t "}\n"

static void
events(struct conn *c, const char *target)
{
	const char *since = strstr(target, "since=");

	c->s->events_connects++;
	snprintf(c->s->since, sizeof c->s->since, "%.*s", since != NULL ?
	    (int)strcspn(since + 6, "&") : 0, since != NULL ? since + 6 : "");
	start_chunked(c);
	if (c->s->events_connects == 1) {
		/* Two events cut mid-value across chunks, then the engine dies. */
		static const char two[] = EV("one", 1700000000000000001)
		    EV("two", 1700000000000000002);

		chunk(c, "\r\n");
		for (size_t i = 0; i < sizeof two - 1; i += 37) {
			char part[38];

			snprintf(part, sizeof part, "%.*s", 37, two + i);
			chunk(c, part);
		}
		send_bytes(c, "", 0, 1);
		return;
	}
	/* The replay repeats "two"; "three" is new. The stream stays open. */
	chunk(c, EV("two", 1700000000000000002) EV("three",
	    1700000000000000003));
}

static void
later_cb(uv_timer_t *t)
{
	struct conn *c = t->data;

	answer(c, 200, "application/json", "{\"held\":true}");
}

static void
handle(struct conn *c, const char *method, const char *target,
    const char *ctype, const char *body, size_t body_len)
{
	if (strcmp(target, "/info") == 0) {
		answer(c, 200, "application/json", "{\"NCPU\":4,\"OSType\":\"linux\"}");
	} else if (strcmp(target, "/containers/nope/json") == 0) {
		answer(c, 404, "application/json",
		    "{\"message\":\"No such container: nope\"}");
	} else if (strcmp(target, "/containers/busy/start") == 0) {
		answer(c, 409, "application/json", "{\"message\":\"busy\"}");
	} else if (strcmp(target, "/containers/done/start") == 0) {
		static const char h[] = "HTTP/1.1 304 Not Modified\r\n"
		    "Connection: close\r\n\r\n";

		c->answered = 1;
		c->s->open--;
		send_bytes(c, h, sizeof h - 1, 1);
	} else if (strcmp(target, "/oops") == 0) {
		answer(c, 500, "text/plain", "boom\n");
	} else if (strcmp(target, "/garbage") == 0) {
		answer(c, 200, "application/json", "{not json");
	} else if (strcmp(target, "/big") == 0) {
		char *big = xmalloc(2 << 20);

		memset(big, ' ', 2 << 20);
		big[0] = '[';
		big[(2 << 20) - 2] = ']';
		big[(2 << 20) - 1] = '\0';
		answer(c, 200, "application/json", big);
		free(big);
	} else if (strcmp(target, "/slow") == 0) {
		c->s->slow++;     /* never answered */
	} else if (strcmp(target, "/hold") == 0) {
		uv_timer_start(&c->later, later_cb, 30, 0);
	} else if (strcmp(method, "POST") == 0 && strcmp(target, "/echo") == 0) {
		json_t *o = json_pack("{s:s, s:s, s:s%}", "method", method,
		    "ctype", ctype, "body", body, body_len);
		char *s = json_dumps(o, JSON_COMPACT);

		answer(c, 200, "application/json", s);
		free(s);
		json_decref(o);
	} else if (strncmp(target, "/images/create?", 15) == 0) {
		start_chunked(c);
		chunk(c, "{\"status\":\"Pulling from x\"}\r\n");
		chunk(c, "{\"status\":\"Downloading\",\"progressDetail\":{}}\r\n");
		if (strstr(target, "fromImage=bad") != NULL)
			chunk(c, "{\"errorDetail\":{\"message\":\"manifest unknown\"},"
			    "\"error\":\"manifest unknown\"}\r\n");
		else
			chunk(c, "{\"status\":\"Status: Downloaded\"}\r\n");
		send_bytes(c, "0\r\n\r\n", 5, 1);
	} else if (strncmp(target, "/events", 7) == 0) {
		events(c, target);
	} else {
		answer(c, 404, "application/json", "{\"message\":\"page not found\"}");
	}
}

static void
alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	(void)h;
	b->base = xmalloc(hint);
	b->len = hint;
}

static char *
header(const char *head, const char *name)
{
	const char *p = strcasestr(head, name);

	if (p == NULL)
		return xstrdup("");
	p += strlen(name);
	while (*p == ' ' || *p == ':')
		p++;
	return xstrndup(p, strcspn(p, "\r\n"));
}

static void
read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct conn *c = st->data;
	char *end, method[16], target[1024], *len, *ctype;
	size_t head_len, body_len;

	if (n < 0) {
		free(b->base);
		conn_close(c);
		return;
	}
	c->buf = xrealloc(c->buf, c->len + (size_t)n + 1);
	memcpy(c->buf + c->len, b->base, (size_t)n);
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	free(b->base);
	end = strstr(c->buf, "\r\n\r\n");
	if (end == NULL || c->answered)
		return;
	head_len = (size_t)(end - c->buf) + 4;
	len = header(c->buf, "\r\nContent-Length");
	body_len = (size_t)atol(len);
	free(len);
	if (c->len < head_len + body_len)
		return;
	if (sscanf(c->buf, "%15s %1023s", method, target) != 2)
		return;
	uv_read_stop(st);
	c->s->requests++;
	c->s->open++;
	if (c->s->open > c->s->max_open)
		c->s->max_open = c->s->open;
	ctype = header(c->buf, "\r\nContent-Type");
	handle(c, method, target, ctype, c->buf + head_len, body_len);
	free(ctype);
}

static void
accept_cb(uv_stream_t *server, int status)
{
	struct srv *s = server->data;
	struct conn *c = xcalloc(1, sizeof *c);

	ASSERT_INT_EQ(status, 0);
	c->s = s;
	uv_pipe_init(&loop, &c->h, 0);
	uv_timer_init(&loop, &c->later);
	c->h.data = c->later.data = c;
	c->handles = 2;
	ASSERT_INT_EQ(uv_accept(server, (uv_stream_t *)&c->h), 0);
	c->next = s->conns;
	s->conns = c;
	uv_read_start((uv_stream_t *)&c->h, alloc_cb, read_cb);
}

static struct docker *
serve(int max_inflight)
{
	struct docker_options o = { .max_body = 1 << 20,
	    .max_inflight = max_inflight, .retry_min_ms = 10,
	    .retry_max_ms = 50 };
	char *err = NULL, ep[128];
	struct docker *d;

	signal(SIGPIPE, SIG_IGN);   /* as ecsd does; the server writes late */
	uv_loop_init(&loop);
	memset(&srv, 0, sizeof srv);
	snprintf(srv.path, sizeof srv.path, "/tmp/ecsd-unit-docker-%d.sock",
	    (int)getpid());
	unlink(srv.path);
	uv_pipe_init(&loop, &srv.pipe, 0);
	srv.pipe.data = &srv;
	ASSERT_INT_EQ(uv_pipe_bind(&srv.pipe, srv.path), 0);
	ASSERT_INT_EQ(uv_listen((uv_stream_t *)&srv.pipe, 128, accept_cb), 0);
	snprintf(ep, sizeof ep, "unix://%s", srv.path);
	o.endpoint = ep;
	d = docker_new(&loop, &o, &err);
	ASSERT_NOT_NULL(d);
	return d;
}

static void
unserve(struct docker *d)
{
	int closed = 0;

	docker_close(d, closed_cb, &closed);
	ASSERT(run_until(&loop, &closed, 5000));
	while (srv.conns != NULL)
		conn_close(srv.conns);
	uv_close((uv_handle_t *)&srv.pipe, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_INT_EQ(uv_loop_close(&loop), 0);
	unlink(srv.path);
}

static struct answer *
ask(struct docker *d, const char *method, const char *path, json_t *body,
    long timeout_ms)
{
	struct answer *a = xcalloc(1, sizeof *a);

	docker_request(d, method, path, body, timeout_ms, answer_cb, a);
	ASSERT_INT_EQ(a->calls, 0);
	ASSERT(run_until(&loop, &a->calls, 5000));
	return a;
}

static void
answer_free(struct answer *a)
{
	answer_clear(a);
	free(a);
}

TEST(docker_transport_answers)
{
	struct docker *d = serve(0);
	struct answer *a;
	json_t *body;

	a = ask(d, "GET", "/info", NULL, 0);
	ASSERT_INT_EQ(a->status, DOCKER_OK);
	ASSERT_INT_EQ(json_integer_value(json_object_get(a->result, "NCPU")), 4);
	ASSERT_NULL(a->err);
	ASSERT_INT_EQ(docker_connected(d), 1);
	answer_free(a);

	a = ask(d, "GET", "/containers/nope/json", NULL, 0);
	ASSERT_INT_EQ(a->status, DOCKER_ENOTFOUND);
	ASSERT_STR_EQ(a->err, "No such container: nope");
	ASSERT_NULL(a->result);
	answer_free(a);

	a = ask(d, "POST", "/containers/busy/start", NULL, 0);
	ASSERT_INT_EQ(a->status, DOCKER_ECONFLICT);
	ASSERT_STR_EQ(a->err, "busy");
	answer_free(a);

	a = ask(d, "POST", "/containers/done/start", NULL, 0);
	ASSERT_INT_EQ(a->status, DOCKER_OK);
	ASSERT_NULL(a->result);
	answer_free(a);

	a = ask(d, "GET", "/oops", NULL, 0);
	ASSERT_INT_EQ(a->status, DOCKER_ESERVER);
	ASSERT_STR_EQ(a->err, "boom");
	answer_free(a);

	a = ask(d, "GET", "/garbage", NULL, 0);
	ASSERT_INT_EQ(a->status, DOCKER_EPROTO);
	ASSERT(strstr(a->err, "malformed JSON") != NULL);
	answer_free(a);

	a = ask(d, "GET", "/big", NULL, 0);
	ASSERT_INT_EQ(a->status, DOCKER_ETOOBIG);
	ASSERT(strstr(a->err, "exceeded 1048576 bytes") != NULL);
	answer_free(a);

	body = json_pack("{s:s}", "Image", "x \"y\"");
	a = ask(d, "POST", "/echo", body, 0);
	json_decref(body);
	ASSERT_INT_EQ(a->status, DOCKER_OK);
	ASSERT_STR_EQ(json_string_value(json_object_get(a->result, "ctype")),
	    "application/json");
	ASSERT_STR_EQ(json_string_value(json_object_get(a->result, "body")),
	    "{\"Image\":\"x \\\"y\\\"\"}");
	answer_free(a);
	unserve(d);
}

TEST(docker_transport_timeout)
{
	struct docker *d = serve(0);
	struct answer *a;
	uint64_t t0;

	uv_update_time(&loop);
	t0 = uv_now(&loop);
	a = ask(d, "GET", "/slow", NULL, 200);
	ASSERT_INT_EQ(a->status, DOCKER_ETIMEDOUT);
	ASSERT_STR_EQ(a->err, "Docker call GET /slow timed out after 200 ms");
	ASSERT(uv_now(&loop) - t0 >= 150);
	ASSERT(uv_now(&loop) - t0 < 3000);
	answer_free(a);
	/* A timeout is not an engine that is down. */
	ASSERT_INT_EQ(docker_connected(d), -1);
	unserve(d);
}

TEST(docker_transport_unreachable)
{
	struct docker_options o = {
	    .endpoint = "unix:///tmp/ecsd-unit-no-such-engine.sock" };
	struct answer a = { 0 }, b = { 0 };
	char *err = NULL;
	struct docker *d;

	uv_loop_init(&loop);
	d = docker_new(&loop, &o, &err);
	docker_info(d, answer_cb, &a);
	ASSERT(run_until(&loop, &a.calls, 2000));
	ASSERT_INT_EQ(a.status, DOCKER_EUNREACHABLE);
	ASSERT_STR_EQ(a.err, "Docker engine not reachable at "
	    "unix:///tmp/ecsd-unit-no-such-engine.sock: No such file or "
	    "directory");
	ASSERT_INT_EQ(docker_connected(d), 0);
	/* The next call fails fast with the same sentence. */
	docker_container_inspect(d, "x", answer_cb, &b);
	ASSERT(run_until(&loop, &b.calls, 2000));
	ASSERT_INT_EQ(b.status, DOCKER_EUNREACHABLE);
	ASSERT_STR_EQ(b.err, a.err);
	answer_clear(&a);
	answer_clear(&b);
	docker_close_all(&loop, d);
}

TEST(docker_transport_limits_calls_in_flight)
{
	struct docker *d = serve(4);
	struct answer a[20];
	int last = 0;

	memset(a, 0, sizeof a);
	for (int i = 0; i < 20; i++)
		docker_request(d, "GET", "/hold", NULL, 0, answer_cb, &a[i]);
	ASSERT_INT_EQ(docker_pending(d), 20);
	for (int i = 0; i < 20; i++) {
		ASSERT(run_until(&loop, &a[i].calls, 5000));
		ASSERT_INT_EQ(a[i].status, DOCKER_OK);
		ASSERT(a[i].order > last);   /* FIFO */
		last = a[i].order;
		answer_clear(&a[i]);
	}
	ASSERT_INT_EQ(srv.requests, 20);
	ASSERT(srv.max_open <= 4);
	ASSERT(srv.max_open >= 2);
	ASSERT_INT_EQ(docker_pending(d), 0);
	unserve(d);
}

static int progress_lines;

static void
progress_cb(void *arg, json_t *line)
{
	(void)arg;
	(void)line;
	progress_lines++;
}

TEST(docker_transport_pull_stream)
{
	struct docker *d = serve(0);
	struct answer a = { 0 };

	docker_image_pull(d, "bad:1", progress_cb, answer_cb, &a);
	ASSERT(run_until(&loop, &a.calls, 5000));
	ASSERT_INT_EQ(a.status, DOCKER_EPULL);
	ASSERT_STR_EQ(a.err, "manifest unknown");
	ASSERT_INT_EQ(progress_lines, 2);
	answer_clear(&a);
	progress_lines = 0;
	docker_image_pull(d, "good:1", progress_cb, answer_cb, &a);
	ASSERT(run_until(&loop, &a.calls, 5000));
	ASSERT_INT_EQ(a.status, DOCKER_OK);
	ASSERT_INT_EQ(progress_lines, 3);
	ASSERT_STR_EQ(json_string_value(json_object_get(a.result, "status")),
	    "Status: Downloaded");
	answer_clear(&a);
	unserve(d);
}

static json_t *seen;

static void
event_cb(void *arg, const struct docker_event *ev)
{
	(void)arg;
	json_array_append_new(seen, json_pack("{s:i, s:s?, s:b, s:s?}", "type",
	    ev->type, "name", ev->name, "reconnected", ev->reconnected, "err",
	    ev->err));
}

static const char *
seen_at(size_t i, int *type)
{
	json_t *e = json_array_get(seen, i);

	*type = (int)json_integer_value(json_object_get(e, "type"));
	return json_string_value(json_object_get(e, "name"));
}

TEST(docker_transport_event_stream_reconnects)
{
	struct docker *d = serve(0);
	json_t *filters = json_pack("{s:[s]}", "label", "ecsd.test=1");
	int type, done = 0;

	seen = json_array();
	ASSERT_INT_EQ(docker_events_start(d, filters, event_cb, NULL), 0);
	json_decref(filters);
	for (int i = 0; i < 400 && !done; i++) {
		run_for(&loop, 5);
		done = json_array_size(seen) >= 6;
	}
	ASSERT_INT_EQ(json_array_size(seen), 6);
	seen_at(0, &type);
	ASSERT_INT_EQ(type, DOCKER_EVENT_CONNECTED);
	ASSERT_STR_EQ(seen_at(1, &type), "one");
	ASSERT_INT_EQ(type, DOCKER_EVENT_CONTAINER);
	ASSERT_STR_EQ(seen_at(2, &type), "two");
	seen_at(3, &type);
	ASSERT_INT_EQ(type, DOCKER_EVENT_DISCONNECTED);
	ASSERT(strstr(json_string_value(json_object_get(json_array_get(seen, 3),
	    "err")), "dropped the connection") != NULL);
	seen_at(4, &type);
	ASSERT_INT_EQ(type, DOCKER_EVENT_CONNECTED);
	ASSERT(json_is_true(json_object_get(json_array_get(seen, 4),
	    "reconnected")));
	/* Resumed from the last event seen; its replay was dropped. */
	ASSERT_STR_EQ(srv.since, "1700000000.000000002");
	ASSERT_STR_EQ(seen_at(5, &type), "three");
	ASSERT_INT_EQ(srv.events_connects, 2);
	run_for(&loop, 30);
	ASSERT_INT_EQ(json_array_size(seen), 6);
	/* Stopping ends the stream; nothing more is reported. */
	docker_events_stop(d);
	ASSERT_INT_EQ(docker_pending(d), 0);
	run_for(&loop, 30);
	ASSERT_INT_EQ(json_array_size(seen), 6);
	unserve(d);
	json_decref(seen);
}

TEST(docker_transport_close_cancels_and_forget)
{
	struct docker *d = serve(2);
	struct answer a[5], f = { 0 };
	int closed = 0;

	memset(a, 0, sizeof a);
	seen = json_array();
	docker_events_start(d, NULL, event_cb, NULL);
	docker_request(d, "GET", "/slow", NULL, 0, answer_cb, &f);
	for (int i = 0; i < 5; i++)
		docker_request(d, "GET", "/slow", NULL, 0, answer_cb, &a[i]);
	for (int i = 0; i < 400 && (srv.slow < 2 || srv.events_connects < 1);
	    i++)
		run_for(&loop, 5);
	run_for(&loop, 50);
	ASSERT_INT_EQ(srv.slow, 2);       /* two slots; events take none */
	ASSERT(srv.events_connects >= 1);
	docker_forget(d, &f);
	for (int i = 0; i < 400 && srv.slow < 3; i++)
		run_for(&loop, 5);
	ASSERT_INT_EQ(srv.slow, 3);       /* forgetting freed a slot */
	ASSERT_INT_EQ(docker_pending(d), 5);
	docker_close(d, closed_cb, &closed);
	ASSERT(run_until(&loop, &closed, 5000));
	for (int i = 0; i < 5; i++) {
		ASSERT_INT_EQ(a[i].calls, 1);
		ASSERT_INT_EQ(a[i].status, DOCKER_ECANCELLED);
		answer_clear(&a[i]);
	}
	ASSERT_INT_EQ(f.calls, 0);
	while (srv.conns != NULL)
		conn_close(srv.conns);
	uv_close((uv_handle_t *)&srv.pipe, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_INT_EQ(uv_loop_close(&loop), 0);
	unlink(srv.path);
	json_decref(seen);
}
