/*
 * http.c - libmicrohttpd on the libuv loop, one thread, no locks.
 *
 * MHD runs in external epoll mode: a uv_poll watches MHD's epoll fd and a
 * uv_timer follows MHD_get_timeout (0 means "run again at once", which MHD
 * asks for while it has ready connections). Bodies are collected up to the
 * cap and handed, with the raw request target and every header line (what
 * SigV4 signs), to api_handle_request (ECS) or admin_handle (/_ecsd/...);
 * both answer synchronously, so a response is queued on the last upload
 * call. The keys of --auth-keys are loaded here, before anything listens.
 *
 * Deadlines: MHD's --connection-timeout only closes a connection that is
 * silent that long, so a client sending a byte a second would hold one
 * forever. Every connection is therefore also on a list (conn_cb) with the
 * time its current request began (accept or the end of the previous
 * response, then its request line); run() shuts down any that has not
 * sent all of its request within --connection-timeout, and schedule()
 * wakes it at least every second while connections are open.
 *
 * Shutdown: http_stop quiesces (no new connections), waits until no request
 * is in flight (or a grace period ends), then stops MHD and closes handles.
 */
#include <arpa/inet.h>
#include <glob.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "api.h"

#define STOP_GRACE_MS 5000

struct http {
	struct MHD_Daemon *mhd;
	uv_poll_t poll;           /* MHD's epoll fd became readable */
	uv_timer_t timer;         /* MHD_get_timeout expired */
	const struct config *cfg;
	int port;                 /* the port actually bound */
	int in_flight;            /* requests begun and not completed */
	int stopping;             /* http_stop was called */
	uint64_t stop_deadline;   /* loop time after which we stop anyway */
	int open_handles;         /* handles still to close */
	struct conn *conns;       /* every open connection, for deadlines */
	void (*done)(void *);     /* called once everything is closed */
	void *done_arg;
};

/*
 * A body over the cap is read and thrown away when its declared length is
 * modest, so the client gets a clean 413 instead of a reset while it is
 * still sending; a huge one is answered at once and the connection closed.
 */
#define DISCARD 1
#define ANSWERED 2
#define DISCARD_FACTOR 16

/* Per-request state, MHD's con_cls, made when the request line arrives. */
struct body {
	char *uri;                /* the request target as sent (SigV4 signs it) */
	char *buf;
	size_t len;
	size_t cap;
	int started;              /* access_cb has seen the headers */
	int rejected;             /* over the cap: DISCARD or ANSWERED */
};

/* Header lines collected for api_request, at most API_MAX_HEADERS. */
struct headers {
	struct api_header h[API_MAX_HEADERS];
	size_t n;
	int over;                 /* more lines than that */
};

/* One open connection (MHD's socket context), for the request deadline. */
struct conn {
	MHD_socket fd;
	uint64_t since;           /* loop time its current request began */
	int answering;            /* the request is in: no deadline until done */
	int cut;                  /* shut down for being too slow */
	struct conn *prev, *next;
};

static void schedule(struct http *);

/* The connection's entry on h->conns (its MHD socket context), or NULL. */
static struct conn *
conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

static void
mark_answering(struct MHD_Connection *c)
{
	struct conn *k = conn_of(c);

	if (k != NULL)
		k->answering = 1;
}

static enum MHD_Result
send_json(struct MHD_Connection *c, int status, const char *json, size_t len,
    const char *request_id)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;

	resp = MHD_create_response_from_buffer(len, (void *)json,
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type",
	    "application/x-amz-json-1.1");
	if (request_id != NULL)
		MHD_add_response_header(resp, "x-amzn-RequestId", request_id);
	rc = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result
send_error(struct MHD_Connection *c, int status, const char *type,
    const char *msg)
{
	json_t *doc = json_pack("{s:s, s:s}", "__type", type, "message", msg);
	char *text = json_dumps(doc, JSON_COMPACT);
	char id[37];
	enum MHD_Result rc;

	uuid4(id);
	rc = send_json(c, status, text, strlen(text), id);
	free(text);
	json_decref(doc);
	return rc;
}

static enum MHD_Result
too_large(struct http *h, struct MHD_Connection *c)
{
	char msg[128];

	snprintf(msg, sizeof msg, "The request body is larger than %d bytes, "
	    "the most ecsd accepts (--max-body).", h->cfg->max_body);
	return send_error(c, 413, "ClientException", msg);
}

static enum MHD_Result
header_cb(void *cls, enum MHD_ValueKind kind, const char *name,
    const char *value)
{
	struct headers *hs = cls;

	(void)kind;
	if (hs->n == API_MAX_HEADERS) {
		hs->over = 1;
		return MHD_NO;
	}
	hs->h[hs->n].name = name;
	hs->h[hs->n].value = value != NULL ? value : "";
	hs->n++;
	return MHD_YES;
}

/*
 * The request as SigV4 sees it: the raw target split at '?', every header
 * line (MHD's strings, valid until the response is queued) and the body.
 * The path and query are cut into path_buf, a copy of b->uri.
 */
static void
request_of(struct MHD_Connection *c, const char *method, struct body *b,
    struct headers *hs, char *path_buf, struct api_request *hr)
{
	char *q = strchr(path_buf, '?');
	char *frag = strchr(q != NULL ? q : path_buf, '#');

	if (frag != NULL)
		*frag = '\0';
	if (q != NULL)
		*q++ = '\0';
	hs->n = 0;
	hs->over = 0;
	MHD_get_connection_values(c, MHD_HEADER_KIND, header_cb, hs);
	memset(hr, 0, sizeof *hr);
	hr->method = method;
	hr->path = path_buf;
	hr->query = q != NULL ? q : "";
	hr->headers = hs->h;
	hr->n_headers = hs->n;
	hr->body = b->buf ? b->buf : "";
	hr->len = b->len;
}

static enum MHD_Result
finish(struct MHD_Connection *c, const char *url, const char *method,
    struct body *b)
{
	struct api_response resp = { 0 };
	struct api_request hr;
	struct headers hs;
	char *path;
	enum MHD_Result rc;
	int admin = strncmp(url, ADMIN_PREFIX, strlen(ADMIN_PREFIX)) == 0;

	if (!admin && strcmp(method, "POST") != 0)
		return send_error(c, 405, "ClientException", "ECS requests are "
		    "POST / with an X-Amz-Target header.");
	path = xstrdup(b->uri != NULL ? b->uri : url);
	request_of(c, method, b, &hs, path, &hr);
	if (hs.over) {
		rc = send_error(c, 400, "ClientException", "The request has more "
		    "header lines than ecsd accepts (128).");
	} else if (admin) {
		/* Reading is open; a change (POST /_ecsd/reset) is an API call
		 * and, with --auth-keys, must be signed like one. */
		if (strcmp(method, "POST") != 0 || api_authorize(&hr, &resp) == 0)
			admin_handle(method, url, &resp);
		rc = send_json(c, resp.status, resp.body, resp.len, resp.request_id);
	} else {
		api_handle_request(&hr, &resp);
		rc = send_json(c, resp.status, resp.body, resp.len, resp.request_id);
	}
	free(resp.body);
	free(path);
	return rc;
}

static enum MHD_Result
count_length_cb(void *cls, enum MHD_ValueKind kind, const char *name,
    const char *value)
{
	int *n = cls;

	(void)kind;
	(void)value;
	if (name != NULL && strcasecmp(name, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		(*n)++;
	return MHD_YES;
}

/* How many Content-Length lines the request has (MHD reads the first). */
static int
content_lengths(struct MHD_Connection *c)
{
	int n = 0;

	MHD_get_connection_values(c, MHD_HEADER_KIND, count_length_cb, &n);
	return n;
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct http *h = cls;
	struct body *b = *con_cls;
	const char *cl;

	(void)version;
	if (b == NULL) {
		/* uri_cb always runs first; this is only a safety net. */
		b = xcalloc(1, sizeof *b);
		*con_cls = b;
		h->in_flight++;
	}
	if (!b->started) {
		b->started = 1;
		if (content_lengths(c) > 1) {
			/* Which one frames the body is what request smuggling
			 * plays on: refuse them both. */
			b->rejected = ANSWERED;
			return send_error(c, 400, "ClientException", "The request "
			    "has more than one Content-Length header.");
		}
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL) {
			unsigned long long n = strtoull(cl, NULL, 10);
			unsigned long long cap = (unsigned long long)h->cfg->max_body;

			if (n > cap * DISCARD_FACTOR) {
				b->rejected = ANSWERED;
				return too_large(h, c);
			}
			if (n > cap)
				b->rejected = DISCARD;
		}
		return MHD_YES;
	}
	if (*upload_size != 0) {
		size_t n = *upload_size;

		*upload_size = 0;
		if (b->rejected)
			return MHD_YES;
		if (b->len + n > (size_t)h->cfg->max_body) {
			/* No Content-Length told us in time (chunked): MHD cannot
			 * answer mid-upload, so the connection is cut off. */
			log_debug("http: chunked body over %d bytes: closing",
			    h->cfg->max_body);
			return MHD_NO;
		}
		if (b->len + n + 1 > b->cap) {
			b->cap = (b->len + n + 1) * 2;
			if (b->cap > (size_t)h->cfg->max_body + 1)
				b->cap = (size_t)h->cfg->max_body + 1;
			b->buf = xrealloc(b->buf, b->cap);
		}
		memcpy(b->buf + b->len, upload, n);
		b->len += n;
		b->buf[b->len] = '\0';
		return MHD_YES;
	}
	/* All of the request is in: however long the answer takes (a big
	 * body under a sanitizer), the client is no longer the slow one. */
	mark_answering(c);
	if (b->rejected == DISCARD) {
		b->rejected = ANSWERED;
		return too_large(h, c);
	}
	if (b->rejected == ANSWERED)
		return MHD_YES;
	return finish(c, url, method, b);
}

/*
 * A request's deadline runs from the end of the previous response (or the
 * accept), and again from its request line: a client that idled almost
 * --connection-timeout on a kept-alive connection still gets the whole
 * time for the request it then sends.
 */
static void
restart_deadline(struct http *h, struct MHD_Connection *c)
{
	struct conn *k = conn_of(c);

	if (k != NULL) {
		k->since = uv_now(h->timer.loop);
		k->answering = 0;
	}
}

/*
 * Called with the request target before MHD parses (and unescapes) it: the
 * raw text is what SigV4 signs. MHD keeps the return value as con_cls and
 * calls completed_cb for it in every case.
 */
static void *
uri_cb(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct http *h = cls;
	struct body *b = xcalloc(1, sizeof *b);

	b->uri = xstrdup(uri != NULL ? uri : "/");
	h->in_flight++;
	restart_deadline(h, c);
	return b;
}

static void
completed_cb(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	struct body *b = *con_cls;

	(void)toe;
	restart_deadline(h, c);   /* the next request gets its own */
	if (b == NULL)
		return;
	free(b->uri);
	free(b->buf);
	free(b);
	*con_cls = NULL;
	h->in_flight--;
}

/* Keeps h->conns: every connection from accept to close. */
static void
conn_cb(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	struct http *h = cls;
	struct conn *k = *socket_context;
	const union MHD_ConnectionInfo *ci;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		k = xcalloc(1, sizeof *k);
		k->fd = ci != NULL ? ci->connect_fd : MHD_INVALID_SOCKET;
		k->since = uv_now(h->timer.loop);
		k->next = h->conns;
		if (h->conns != NULL)
			h->conns->prev = k;
		h->conns = k;
		*socket_context = k;
		return;
	}
	if (k == NULL)
		return;
	if (k->prev != NULL)
		k->prev->next = k->next;
	else
		h->conns = k->next;
	if (k->next != NULL)
		k->next->prev = k->prev;
	free(k);
	*socket_context = NULL;
}

/*
 * Shuts down every connection whose request has taken longer than
 * --connection-timeout; MHD then sees the end of the stream and closes it
 * the ordinary way (completed_cb, conn_cb).
 */
static void
reap(struct http *h)
{
	uint64_t now = uv_now(h->timer.loop);
	uint64_t limit = (uint64_t)h->cfg->conn_timeout * 1000;

	if (limit == 0)
		return;   /* --connection-timeout 0: no deadline, as for MHD */
	for (struct conn *k = h->conns; k != NULL; k = k->next) {
		if (k->cut || k->answering || k->fd == MHD_INVALID_SOCKET ||
		    now - k->since < limit)
			continue;
		log_debug("http: a connection was idle or its request unfinished "
		    "for %d s: closing it", h->cfg->conn_timeout);
		shutdown(k->fd, SHUT_RDWR);
		k->cut = 1;
	}
}

static void
mhd_log_cb(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	(void)cls;
	vsnprintf(line, sizeof line, fmt, ap);
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	log_debug("http: %s", line);
}

static void
close_cb(uv_handle_t *handle)
{
	struct http *h = handle->data;

	if (--h->open_handles == 0) {
		void (*done)(void *) = h->done;
		void *arg = h->done_arg;

		free(h);
		if (done != NULL)
			done(arg);
	}
}

static void
finish_stop(struct http *h)
{
	if (h->mhd == NULL)
		return;
	uv_poll_stop(&h->poll);
	uv_timer_stop(&h->timer);
	MHD_stop_daemon(h->mhd);
	h->mhd = NULL;
	sigv4_keys_free();
	h->open_handles = 2;
	uv_close((uv_handle_t *)&h->poll, close_cb);
	uv_close((uv_handle_t *)&h->timer, close_cb);
}

static void
run(struct http *h)
{
	reap(h);
	MHD_run(h->mhd);
	if (h->stopping && (h->in_flight == 0 ||
	    uv_now(h->timer.loop) >= h->stop_deadline)) {
		finish_stop(h);
		return;
	}
	schedule(h);
}

static void
poll_cb(uv_poll_t *p, int status, int events)
{
	(void)status;
	(void)events;
	run(p->data);
}

static void
timer_cb(uv_timer_t *t)
{
	run(t->data);
}

static void
schedule(struct http *h)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (MHD_get_timeout(h->mhd, &ms) != MHD_YES) {
		if (!h->stopping && h->conns == NULL) {
			uv_timer_stop(&h->timer);
			return;
		}
		ms = 1000;
	}
	/* While stopping, look at in_flight often even if MHD has no timeout;
	 * while connections are open, look at their deadlines every second. */
	if (h->stopping && ms > 100)
		ms = 100;
	if (h->conns != NULL && ms > 1000)
		ms = 1000;
	uv_timer_start(&h->timer, timer_cb, ms, 0);
}

static int
parse_listen(const struct config *cfg, struct sockaddr_storage *ss,
    char **err)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, cfg->listen, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)cfg->port);
		return 0;
	}
	if (inet_pton(AF_INET6, cfg->listen, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)cfg->port);
		return 0;
	}
	xasprintf(err, "--listen '%s' is not an IPv4 or IPv6 address",
	    cfg->listen);
	return -1;
}

/*
 * Containers on a Docker bridge cannot reach the host's loopback, where
 * ecsd listens by default, unless the kernel routes 127/8 off loopback:
 * net.ipv4.conf.<if>.route_localnet=1 (dockerd sets it on its bridge when
 * run with --userland-proxy=false). Then a container that crafts packets
 * (NET_RAW is in Docker's default set) can reach 127.0.0.1: say so.
 */
static void
warn_route_localnet(void)
{
	glob_t g;

	if (glob("/proc/sys/net/ipv4/conf/*/route_localnet", 0, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		FILE *f = fopen(g.gl_pathv[i], "r");
		int on = 0;

		if (f == NULL)
			continue;
		on = fgetc(f) == '1';
		fclose(f);
		if (on)
			log_warn("%s is 1: containers on that network may reach "
			    "127.0.0.1, ecsd's API included (docs/security.md)",
			    g.gl_pathv[i]);
	}
	globfree(&g);
}

/*
 * MHD clears a connection's whole memory pool between two requests on it,
 * so the pool's size is paid on every keep-alive request (at 64 KiB that
 * memset was 42% of a ListClusters). It must hold the request's header
 * lines: SDKs send 1-2 KB, and 24 KiB still takes a single 20 KB header
 * (larger gets 431). Bodies do not live in it: they reach access_cb in
 * pieces and are copied into struct body.
 */
#define CONN_MEMORY ((size_t)24 * 1024)

struct http *
http_start(uv_loop_t *loop, const struct config *cfg, char **err)
{
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	struct http *h;
	unsigned flags = MHD_USE_EPOLL | MHD_USE_TURBO | MHD_USE_ERROR_LOG;

	*err = NULL;
	if (parse_listen(cfg, &ss, err) != 0)
		return NULL;
	if (cfg->auth_keys != NULL && *cfg->auth_keys != '\0' &&
	    sigv4_keys_load(cfg->auth_keys, err) != 0)
		return NULL;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h = xcalloc(1, sizeof *h);
	h->cfg = cfg;
	h->mhd = MHD_start_daemon(flags, (uint16_t)cfg->port, NULL, NULL,
	    access_cb, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log_cb, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_cb, h,
	    MHD_OPTION_NOTIFY_COMPLETED, completed_cb, h,
	    MHD_OPTION_NOTIFY_CONNECTION, conn_cb, h,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->conn_timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONN_MEMORY,
	    MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
	    MHD_OPTION_END);
	if (h->mhd == NULL) {
		xasprintf(err, "cannot listen on %s port %d (in use, or not an "
		    "address of this host)", cfg->listen, cfg->port);
		sigv4_keys_free();
		free(h);
		return NULL;
	}
	info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info != NULL ? info->port : cfg->port;
	info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	uv_poll_init(loop, &h->poll, info->epoll_fd);
	uv_timer_init(loop, &h->timer);
	h->poll.data = h;
	h->timer.data = h;
	uv_poll_start(&h->poll, UV_READABLE, poll_cb);
	schedule(h);
	if (ss.ss_family == AF_INET6 ? strcmp(cfg->listen, "::1") == 0 :
	    strncmp(cfg->listen, "127.", 4) == 0)
		warn_route_localnet();
	return h;
}

int
http_port(struct http *h)
{
	return h->port;
}

/* Stops accepting, lets in-flight requests finish, then calls done(arg). */
void
http_stop(struct http *h, void (*done)(void *), void *arg)
{
	MHD_socket fd;

	if (h->stopping)
		return;
	h->stopping = 1;
	h->done = done;
	h->done_arg = arg;
	h->stop_deadline = uv_now(h->timer.loop) + STOP_GRACE_MS;
	fd = MHD_quiesce_daemon(h->mhd);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	run(h);
}
