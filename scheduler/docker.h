/*
 * docker.h - the Docker driver: the only code in ecsd that talks to a Docker
 * engine, asynchronous on ecsd's one libuv loop.
 *
 * A `struct docker` is one engine (one container instance). Every call
 * returns at once and reports later, through the loop, to a completion
 * callback:
 *
 *     void cb(void *arg, int status, json_t *result, const char *err);
 *
 *   status  0 on success, else one of the DOCKER_E* codes below.
 *   result  the decoded JSON answer (see each call) or NULL; BORROWED: it is
 *           freed when cb returns, json_incref it to keep it.
 *   err     NULL on success, else a sentence for people (Docker's own
 *           message where it sent one); borrowed like result.
 *
 * Contract:
 * - cb is called exactly once per call, never from inside the call that
 *   started it, and never from inside libcurl. It may start new calls.
 * - Calls made while the engine is known to be down fail fast with
 *   DOCKER_EUNREACHABLE "Docker engine not reachable at <endpoint>: ...".
 * - docker_forget(d, arg) drops every outstanding call made with that arg
 *   without calling back (use it before freeing the object arg points at);
 *   docker_cancel(d, arg) makes them call back with DOCKER_ECANCELLED.
 * - docker_close cancels everything (callbacks get DOCKER_ECANCELLED), stops
 *   the event stream, closes every handle and frees d; closed_cb runs last.
 * - Idempotence for reconciling: starting a running container and stopping
 *   a stopped one succeed (Docker's 304 is not an error).
 * - json_t arguments are borrowed: the driver serialises them at once.
 *
 * The same interface is served by a real engine (docker_new: libcurl multi
 * on the loop, docker.c) or by an in-memory fake for unit tests
 * (docker_fake_new, docker_fake.c); callers cannot tell them apart.
 */
#ifndef ECSD_DOCKER_H
#define ECSD_DOCKER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct docker;

/*
 * Status codes, one list: name, value, default description. HTTP statuses
 * map as 400 INVALID, 404 NOTFOUND, 409 CONFLICT, other 4xx/5xx SERVER.
 */
#define DOCKER_ERRNO_MAP(X)                                                  \
	X(INVALID, -1, "the engine rejected the request as invalid")          \
	X(NOTFOUND, -2, "no such object")                                     \
	X(CONFLICT, -3, "conflict with the object's current state")           \
	X(SERVER, -4, "the engine failed the request")                        \
	X(UNREACHABLE, -5, "Docker engine not reachable")                     \
	X(TIMEDOUT, -6, "the call timed out")                                 \
	X(CANCELLED, -7, "cancelled")                                         \
	X(TOOBIG, -8, "the response exceeded the size cap")                   \
	X(PROTO, -9, "the engine sent something that is not its API")         \
	X(PULL, -10, "the image pull failed")

enum docker_status {
	DOCKER_OK = 0,
#define X(name, value, text) DOCKER_E##name = value,
	DOCKER_ERRNO_MAP(X)
#undef X
};

typedef void (*docker_cb)(void *arg, int status, json_t *result,
    const char *err);
/* Pull progress: one decoded progress line ({"status":..., "id":...}). */
typedef void (*docker_progress_cb)(void *arg, json_t *line);

struct docker_options {
	const char *endpoint;     /* unix:///path, /path, tcp://h:p, http://h:p;
	                             NULL: $DOCKER_HOST, else the default socket */
	long call_timeout_ms;     /* ordinary calls; 0: 60 s */
	size_t max_body;          /* response body cap; 0: 8 MiB */
	int max_inflight;         /* calls on the wire at once; 0: 64. Further
	                             calls wait in order (events and wait do not
	                             count) */
	long retry_min_ms;        /* event stream back-off, first step; 0: 100 */
	long retry_max_ms;        /* event stream back-off, last step; 0: 5000 */
};

/* docker.c. docker_new fails only on a malformed endpoint (*err says why;
 * free it); an engine that is not there shows in calls and events. The
 * loop must run after docker_close until closed_cb is called. */
struct docker *docker_new(uv_loop_t *, const struct docker_options *,
    char **err);
void docker_close(struct docker *, void (*closed_cb)(void *), void *arg);
const char *docker_endpoint(const struct docker *);
int docker_connected(const struct docker *);   /* 1 up, 0 down, -1 unknown */
size_t docker_pending(const struct docker *);  /* calls not yet reported */
void docker_forget(struct docker *, void *arg);
void docker_cancel(struct docker *, void *arg);
const char *docker_strerror(int status);
const char *docker_errname(int status);

/* docker_api.c: the typed calls. `id` is a container id, id prefix or name. */
#define DOCKER_RM_FORCE 0x1       /* kill it first if it runs */
#define DOCKER_RM_VOLUMES 0x2     /* remove its anonymous volumes too */

/* Any other Engine API call: method GET, POST, DELETE, PUT or HEAD; path
 * unversioned and already escaped ("/containers/x/top?ps_args=aux");
 * timeout_ms 0: the default, < 0: none. */
void docker_request(struct docker *, const char *method, const char *path,
    json_t *body, long timeout_ms, docker_cb, void *arg);
void docker_ping(struct docker *, docker_cb, void *);           /* NULL */
void docker_version(struct docker *, docker_cb, void *);        /* /version */
void docker_info(struct docker *, docker_cb, void *);           /* /info */
void docker_image_inspect(struct docker *, const char *image, docker_cb,
    void *);
/* Pull: progress (may be NULL) gets each line; result is the last one.
 * Any refusal by the engine or its registry is DOCKER_EPULL with the
 * engine's reason; transport failures keep their own status. */
void docker_image_pull(struct docker *, const char *image, docker_progress_cb,
    docker_cb, void *);
void docker_image_import(struct docker *, const char *image, const void *tar,
    size_t len, docker_cb, void *);
void docker_image_remove(struct docker *, const char *image, int force,
    docker_cb, void *);
void docker_container_create(struct docker *, const char *name,
    json_t *config, docker_cb, void *);   /* {"Id":..., "Warnings":[...]} */
void docker_container_start(struct docker *, const char *id, docker_cb,
    void *);
void docker_container_stop(struct docker *, const char *id, int timeout_s,
    docker_cb, void *);       /* timeout_s < 0: the container's own */
void docker_container_kill(struct docker *, const char *id,
    const char *signal, docker_cb, void *);   /* signal NULL: SIGKILL */
void docker_container_remove(struct docker *, const char *id, int flags,
    docker_cb, void *);
void docker_container_inspect(struct docker *, const char *id, docker_cb,
    void *);
void docker_container_list(struct docker *, int all, json_t *filters,
    docker_cb, void *);       /* filters: {"label":["k=v"]}; result array */
void docker_container_wait(struct docker *, const char *id, docker_cb,
    void *);                  /* {"StatusCode":n}; no time limit */
void docker_network_create(struct docker *, json_t *config, docker_cb,
    void *);
void docker_network_remove(struct docker *, const char *id, docker_cb,
    void *);
void docker_volume_create(struct docker *, json_t *config, docker_cb,
    void *);
void docker_volume_inspect(struct docker *, const char *name, docker_cb,
    void *);
void docker_volume_remove(struct docker *, const char *name, int force,
    docker_cb, void *);

/*
 * docker_events.c: the /events stream, reconnected with back-off. One
 * subscription per engine. After a break it resumes with since= from the
 * newest event seen (already-seen replays are dropped), but CONNECTED with
 * reconnected=1 still means "resync": an engine restart forgets history.
 * Filters are Docker's, e.g. {"type":["container"], "label":["k=v"],
 * "event":["create","start","die","oom","health_status","destroy"]}; the
 * event filter keeps health-check exec_* noise out.
 */
enum docker_event_type {
	DOCKER_EVENT_CONNECTED,    /* the stream is up: resync from a list now */
	DOCKER_EVENT_DISCONNECTED, /* it broke (err says why); retrying */
	DOCKER_EVENT_CONTAINER,    /* a container event, decoded below */
	DOCKER_EVENT_OTHER,        /* any other type: only raw is set */
};

enum docker_action {
	DOCKER_ACTION_OTHER,       /* action_name says which */
	DOCKER_ACTION_CREATE,
	DOCKER_ACTION_START,
	DOCKER_ACTION_KILL,        /* signal set */
	DOCKER_ACTION_DIE,         /* exit_code set */
	DOCKER_ACTION_OOM,
	DOCKER_ACTION_STOP,
	DOCKER_ACTION_HEALTH,      /* health set */
	DOCKER_ACTION_DESTROY,
};

struct docker_event {
	enum docker_event_type type;
	int reconnected;           /* CONNECTED: not the first connection, so
	                              events may have been missed */
	const char *err;           /* DISCONNECTED: why */
	enum docker_action action;
	const char *action_name;   /* Docker's Action, e.g. "health_status:
	                              healthy" */
	const char *id;            /* the container's full id */
	const char *name;          /* its name, without the leading slash */
	const char *image;         /* the image it was created from */
	json_t *attributes;        /* Actor.Attributes: its labels plus name,
	                              image, exitCode, signal */
	int exit_code;             /* DIE: the exit code; else -1 */
	int signal;                /* KILL: the signal number; else 0 */
	const char *health;        /* HEALTH: healthy, unhealthy or starting */
	int64_t time_nano;         /* when the engine saw it */
	json_t *raw;               /* the whole event as the engine sent it */
};

/* Called once per stream change or event; ev and its strings are borrowed. */
typedef void (*docker_event_cb)(void *arg, const struct docker_event *ev);

int docker_events_start(struct docker *, json_t *filters, docker_event_cb,
    void *);
void docker_events_stop(struct docker *);
const char *docker_event_label(const struct docker_event *, const char *key);
int docker_event_decode(json_t *raw, struct docker_event *);

/*
 * docker_fake.c: an in-memory engine behind the same interface, for unit
 * tests. Deterministic: ids, host ports and event order depend only on the
 * calls made. Containers run until told otherwise by the script calls below.
 * `match` is a container name or an image reference.
 */
struct docker *docker_fake_new(uv_loop_t *);
void docker_fake_image_add(struct docker *, const char *image);  /* local */
void docker_fake_image_pullable(struct docker *, const char *image);
void docker_fake_set_info(struct docker *, json_t *info);   /* merged in */
/* Down: calls fail DOCKER_EUNREACHABLE, streams and waits break. Up again:
 * calls work at once, the event stream reconnects (reconnected=1). */
void docker_fake_set_down(struct docker *, int down);
/* The next `times` calls (< 0: all) whose "METHOD /path?query" or
 * "METHOD /path" matches the fnmatch glob answer http_status + message;
 * 0 means connection refused, 200 an error inside a pull's stream. */
void docker_fake_fail(struct docker *, const char *method_path_glob,
    int http_status, const char *message, int times);
/* Rules for containers created or started later: */
void docker_fake_on_start_exit(struct docker *, const char *match, int code);
void docker_fake_on_start_health(struct docker *, const char *match,
    const char *health);
void docker_fake_ignore_sigterm(struct docker *, const char *match);
/* Things that happen to a running container now (-1: none such): */
int docker_fake_exit(struct docker *, const char *id, int code);
int docker_fake_oom(struct docker *, const char *id);       /* exit 137 */
int docker_fake_health(struct docker *, const char *id, const char *health);
int docker_fake_pause(struct docker *, const char *id, int paused);
void docker_fake_drop_streams(struct docker *);   /* engine stays up */
/* Looking at what the driver did: */
const char *docker_fake_id(struct docker *, const char *name);
json_t *docker_fake_calls(struct docker *);   /* borrowed ["POST /x", ...] */
int docker_fake_count(struct docker *, const char *method_path_glob);
size_t docker_fake_containers(struct docker *);

#endif
