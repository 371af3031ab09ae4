/*
 * docker_api.c - the typed Docker Engine API calls the scheduler makes:
 * each builds a method, an escaped path with its query and a body, picks
 * a time limit, and hands the call to the core (docker.c). Paths carry no
 * API version, so the engine answers in its own current version; the
 * fields ecsd reads have been stable across the versions that matter.
 *
 * Pull and import answer with a stream of progress lines whose last one may
 * be an error although the status was 200; pull_value turns that into
 * DOCKER_EPULL.
 */
#include <stdlib.h>
#include <string.h>

#include "../daemon/daemon.h"
#include "docker_int.h"

#define PULL_TIMEOUT_MS (60L * 60 * 1000)   /* an hour for a large image */
#define PULL_SILENCE_S 300L                  /* ...but never five mute minutes */

/* Percent-encodes all but RFC 3986's unreserved bytes (and '/' ':' '@'). */
char *
docker_escape(const char *s, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *out = xmalloc(n * 3 + 1), *p = out;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		    c == '~' || (keep_slash && (c == '/' || c == ':' || c == '@'))) {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	*p = '\0';
	return out;
}

static struct docker_call *
call(struct docker *d, const char *method, docker_cb cb, void *arg,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static struct docker_call *
call(struct docker *d, const char *method, docker_cb cb, void *arg,
    const char *fmt, ...)
{
	va_list ap;
	char *path;

	va_start(ap, fmt);
	if (vasprintf(&path, fmt, ap) < 0)
		abort();
	va_end(ap);
	return docker_call_new(d, method, path, cb, arg);
}

static void
json_body(struct docker_call *c, json_t *body)
{
	char *s;

	if (body == NULL)
		return;
	s = json_dumps(body, JSON_COMPACT);
	docker_call_body(c, s, strlen(s), "application/json");
}

/* An escaped path segment for the duration of one call. */
#define SEGMENT(var, s, keep) char *var = docker_escape((s) != NULL ? (s) : "", keep)

void
docker_request(struct docker *d, const char *method, const char *path,
    json_t *body, long timeout_ms, docker_cb cb, void *arg)
{
	static const char *const methods[] = { "GET", "POST", "DELETE", "PUT",
	    "HEAD" };
	const char *m = NULL;
	struct docker_call *c;

	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (method != NULL && strcmp(method, methods[i]) == 0)
			m = methods[i];
	c = docker_call_new(d, m != NULL ? m : "GET",
	    xstrdup(path != NULL ? path : "/"), cb, arg);
	if (m == NULL || path == NULL || path[0] != '/') {
		docker_call_reject(c, DOCKER_EINVALID, "docker_request needs a "
		    "method (GET, POST, DELETE, PUT, HEAD) and a path from /");
		return;
	}
	if (timeout_ms != 0)
		c->timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
	json_body(c, body);
	docker_call_submit(c);
}

void
docker_ping(struct docker *d, docker_cb cb, void *arg)
{
	docker_call_submit(call(d, "GET", cb, arg, "/_ping"));
}

void
docker_version(struct docker *d, docker_cb cb, void *arg)
{
	docker_call_submit(call(d, "GET", cb, arg, "/version"));
}

void
docker_info(struct docker *d, docker_cb cb, void *arg)
{
	docker_call_submit(call(d, "GET", cb, arg, "/info"));
}

void
docker_image_inspect(struct docker *d, const char *image, docker_cb cb,
    void *arg)
{
	SEGMENT(name, image, 1);

	docker_call_submit(call(d, "GET", cb, arg, "/images/%s/json", name));
	free(name);
}

/* A progress line: an error ends the pull; anything else is progress. */
static int
pull_value(struct docker_call *c, json_t *line)
{
	json_t *err = json_object_get(line, "error");
	struct docker_note *n;

	if (!json_is_string(err))
		err = json_object_get(json_object_get(line, "errorDetail"),
		    "message");
	if (json_is_string(err)) {
		docker_call_fail(c, DOCKER_EPULL, "%s", json_string_value(err));
		return -1;
	}
	json_decref(c->stream_result);
	c->stream_result = json_incref(line);
	if (c->progress != NULL) {
		n = xcalloc(1, sizeof *n);
		n->kind = NOTE_PROGRESS;
		n->call = c;
		n->json = json_incref(line);
		docker_note_push(c->d, n);
	}
	return 0;
}

/* Any refusal of a pull is a failed pull, whatever the HTTP status. */
static void
pull_end(struct docker_call *c)
{
	char *msg;

	if (c->http < 400)
		return;
	msg = docker_http_message(c->http, c->buf, c->len);
	docker_call_fail(c, DOCKER_EPULL, "%s", msg);
	free(msg);
}

/* name[:tag] or name@digest, the tag defaulting to latest. */
static void
split_reference(const char *image, char **repo, char **tag)
{
	const char *at = strchr(image, '@');
	const char *colon = strrchr(image, ':');
	const char *slash = strrchr(image, '/');

	if (at != NULL) {
		*repo = xstrndup(image, (size_t)(at - image));
		*tag = xstrdup(at + 1);
	} else if (colon != NULL && (slash == NULL || colon > slash)) {
		*repo = xstrndup(image, (size_t)(colon - image));
		*tag = xstrdup(colon + 1);
	} else {
		*repo = xstrdup(image);
		*tag = xstrdup("latest");
	}
}

void
docker_image_pull(struct docker *d, const char *image,
    docker_progress_cb progress, docker_cb cb, void *arg)
{
	struct docker_call *c;
	char *repo, *tag, *erepo, *etag;

	split_reference(image != NULL ? image : "", &repo, &tag);
	erepo = docker_escape(repo, 0);
	etag = docker_escape(tag, 0);
	c = call(d, "POST", cb, arg, "/images/create?fromImage=%s&tag=%s",
	    erepo, etag);
	c->flags |= CALL_STREAM;
	c->progress = progress;
	c->value_hook = pull_value;
	c->end_hook = pull_end;
	c->timeout_ms = PULL_TIMEOUT_MS;
	c->low_speed_s = PULL_SILENCE_S;
	free(repo);
	free(tag);
	free(erepo);
	free(etag);
	docker_call_submit(c);
}

void
docker_image_import(struct docker *d, const char *image, const void *tar,
    size_t len, docker_cb cb, void *arg)
{
	struct docker_call *c;
	char *repo, *tag, *erepo, *etag, *body;

	split_reference(image != NULL ? image : "", &repo, &tag);
	erepo = docker_escape(repo, 0);
	etag = docker_escape(tag, 0);
	c = call(d, "POST", cb, arg, "/images/create?fromSrc=-&repo=%s&tag=%s",
	    erepo, etag);
	c->flags |= CALL_STREAM;
	c->value_hook = pull_value;
	c->end_hook = pull_end;
	body = xmalloc(len);
	memcpy(body, tar, len);
	docker_call_body(c, body, len, "application/x-tar");
	free(repo);
	free(tag);
	free(erepo);
	free(etag);
	docker_call_submit(c);
}

void
docker_image_remove(struct docker *d, const char *image, int force,
    docker_cb cb, void *arg)
{
	SEGMENT(name, image, 1);

	docker_call_submit(call(d, "DELETE", cb, arg, "/images/%s%s", name,
	    force ? "?force=1" : ""));
	free(name);
}

void
docker_container_create(struct docker *d, const char *name, json_t *config,
    docker_cb cb, void *arg)
{
	struct docker_call *c;

	if (name != NULL && name[0] != '\0') {
		SEGMENT(n, name, 0);

		c = call(d, "POST", cb, arg, "/containers/create?name=%s", n);
		free(n);
	} else {
		c = call(d, "POST", cb, arg, "/containers/create");
	}
	json_body(c, config);
	if (config == NULL)
		docker_call_body(c, xstrdup("{}"), 2, "application/json");
	docker_call_submit(c);
}

void
docker_container_start(struct docker *d, const char *id, docker_cb cb,
    void *arg)
{
	SEGMENT(e, id, 0);

	docker_call_submit(call(d, "POST", cb, arg, "/containers/%s/start", e));
	free(e);
}

void
docker_container_stop(struct docker *d, const char *id, int timeout_s,
    docker_cb cb, void *arg)
{
	struct docker_call *c;
	SEGMENT(e, id, 0);

	if (timeout_s >= 0) {
		c = call(d, "POST", cb, arg, "/containers/%s/stop?t=%d", e,
		    timeout_s);
		c->timeout_ms += timeout_s * 1000L;
	} else {
		/* The container's own StopTimeout, at most Docker's default. */
		c = call(d, "POST", cb, arg, "/containers/%s/stop", e);
		c->timeout_ms += 120 * 1000L;
	}
	free(e);
	docker_call_submit(c);
}

void
docker_container_kill(struct docker *d, const char *id, const char *signal,
    docker_cb cb, void *arg)
{
	SEGMENT(e, id, 0);
	SEGMENT(s, signal != NULL ? signal : "SIGKILL", 0);

	docker_call_submit(call(d, "POST", cb, arg,
	    "/containers/%s/kill?signal=%s", e, s));
	free(e);
	free(s);
}

void
docker_container_remove(struct docker *d, const char *id, int flags,
    docker_cb cb, void *arg)
{
	SEGMENT(e, id, 0);

	docker_call_submit(call(d, "DELETE", cb, arg,
	    "/containers/%s?force=%d&v=%d", e, (flags & DOCKER_RM_FORCE) != 0,
	    (flags & DOCKER_RM_VOLUMES) != 0));
	free(e);
}

void
docker_container_inspect(struct docker *d, const char *id, docker_cb cb,
    void *arg)
{
	SEGMENT(e, id, 0);

	docker_call_submit(call(d, "GET", cb, arg, "/containers/%s/json", e));
	free(e);
}

void
docker_container_list(struct docker *d, int all, json_t *filters,
    docker_cb cb, void *arg)
{
	char *f = NULL, *ef = NULL;

	if (filters != NULL && json_object_size(filters) > 0) {
		f = json_dumps(filters, JSON_COMPACT);
		ef = docker_escape(f, 0);
	}
	docker_call_submit(call(d, "GET", cb, arg, "/containers/json?all=%d%s%s",
	    all != 0, ef != NULL ? "&filters=" : "", ef != NULL ? ef : ""));
	free(f);
	free(ef);
}

void
docker_container_wait(struct docker *d, const char *id, docker_cb cb,
    void *arg)
{
	struct docker_call *c;
	SEGMENT(e, id, 0);

	c = call(d, "POST", cb, arg, "/containers/%s/wait?condition=not-running",
	    e);
	c->flags |= CALL_UNCAPPED;
	c->timeout_ms = 0;
	free(e);
	docker_call_submit(c);
}

void
docker_network_create(struct docker *d, json_t *config, docker_cb cb,
    void *arg)
{
	struct docker_call *c = call(d, "POST", cb, arg, "/networks/create");

	json_body(c, config);
	docker_call_submit(c);
}

void
docker_network_remove(struct docker *d, const char *id, docker_cb cb,
    void *arg)
{
	SEGMENT(e, id, 0);

	docker_call_submit(call(d, "DELETE", cb, arg, "/networks/%s", e));
	free(e);
}

void
docker_volume_create(struct docker *d, json_t *config, docker_cb cb,
    void *arg)
{
	struct docker_call *c = call(d, "POST", cb, arg, "/volumes/create");

	json_body(c, config);
	docker_call_submit(c);
}

void
docker_volume_inspect(struct docker *d, const char *name, docker_cb cb,
    void *arg)
{
	SEGMENT(e, name, 0);

	docker_call_submit(call(d, "GET", cb, arg, "/volumes/%s", e));
	free(e);
}

void
docker_volume_remove(struct docker *d, const char *name, int force,
    docker_cb cb, void *arg)
{
	SEGMENT(e, name, 0);

	docker_call_submit(call(d, "DELETE", cb, arg, "/volumes/%s%s", e,
	    force ? "?force=1" : ""));
	free(e);
}
