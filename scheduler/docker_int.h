/*
 * docker_int.h - what the Docker driver's own files share: the call object,
 * the delivery queue, the stream splitter and the backend seam. Nothing
 * outside scheduler/docker*.c includes this; the scheduler uses docker.h.
 *
 * Life of a call (docker.c):
 *
 *   docker_call_new ─ docker_call_submit ─► queued ─ pump_cb ─► running
 *        (api, events)                          │  backend->start  │
 *                                               │                  ▼
 *   callback ◄─ pump_cb ◄─ note (DONE) ◄─ docker_call_end ◄─ head/data/end
 *
 * A backend (the curl transport in docker.c, or the fake in docker_fake.c)
 * answers a running call with docker_call_head (status line), any number
 * of docker_call_data (body bytes) and one docker_call_end. None of these
 * runs user code: everything the caller sees goes through a note on
 * d->notes and is delivered by pump_cb, outside libcurl.
 */
#ifndef ECSD_DOCKER_INT_H
#define ECSD_DOCKER_INT_H

#include <sys/queue.h>

#include "docker.h"

#define DOCKER_DEFAULT_SOCKET "/var/run/docker.sock"
#define DOCKER_DEFAULT_TIMEOUT_MS 60000
#define DOCKER_DEFAULT_MAX_BODY (8u << 20)
#define DOCKER_DEFAULT_MAX_INFLIGHT 64
#define DOCKER_STREAM_VALUE_MAX (1u << 20)  /* one event or progress line */
#define DOCKER_DOWN_RETRY_MS 1000   /* fail fast this long after a refusal */

/* Splits a byte stream into top-level JSON objects or arrays. */
struct docker_split {
	char *buf;                /* unconsumed bytes */
	size_t len;               /* bytes in buf */
	size_t cap;               /* allocated */
	size_t scan;              /* bytes of buf already scanned */
	size_t start;             /* where the value being read began */
	int depth;                /* nesting inside the current value */
	int in_str;               /* inside a string */
	int esc;                  /* the previous byte was a backslash */
	size_t max;               /* longest value accepted */
};

#define DOCKER_SPLIT_MALFORMED -1
#define DOCKER_SPLIT_TOOBIG -2

typedef int (*docker_split_fn)(void *, const char *, size_t);
int docker_split_feed(struct docker_split *, const char *, size_t,
    docker_split_fn, void *);
void docker_split_free(struct docker_split *);

/* Flags of a call. */
#define CALL_STREAM 0x1           /* a 2xx body is a stream of JSON values */
#define CALL_UNCAPPED 0x2         /* long-lived: not counted in max_inflight */
#define CALL_INTERNAL 0x4         /* the driver's own (the event stream) */

enum call_where { CALL_NEW, CALL_QUEUED, CALL_RUNNING, CALL_DONE };

struct docker_call {
	TAILQ_ENTRY(docker_call) link;  /* in d->queued or d->running */
	struct docker *d;
	enum call_where where;
	const char *method;       /* GET, POST, DELETE (static strings) */
	char *path;               /* /containers/x/start?t=1, unversioned */
	char *body;               /* request body or NULL */
	size_t body_len;
	const char *content_type; /* of body */
	long timeout_ms;          /* whole call; 0: none */
	long low_speed_s;         /* fail when silent this long; 0: never */
	int flags;                /* CALL_* */
	docker_cb cb;
	docker_progress_cb progress;   /* pull progress, or NULL */
	void *arg;

	/* Hooks of the file that made the call (no user code in them). */
	void (*head_hook)(struct docker_call *);      /* 2xx stream began */
	int (*value_hook)(struct docker_call *, json_t *);  /* non-zero aborts */
	void (*end_hook)(struct docker_call *);       /* before the result */
	void *ctx;                /* the hooks' state */
	void (*ctx_free)(void *);

	/* The answer. */
	long http;                /* status code, 0 until the head arrived */
	int64_t engine_ns;        /* the engine's clock then (Date), or 0 */
	char *buf;                /* body (or an error body of a stream) */
	size_t len;
	struct docker_split split;
	int fail_status;          /* set by hooks or the cap; wins over http */
	char *fail_err;
	json_t *stream_result;    /* what a stream call reports on success */

	void *be;                 /* the backend's per-call state */
};

TAILQ_HEAD(docker_calls, docker_call);

enum note_kind { NOTE_DONE, NOTE_PROGRESS, NOTE_EVENT, NOTE_STREAM };

/* Something to tell a caller, delivered in order by pump_cb. */
struct docker_note {
	TAILQ_ENTRY(docker_note) link;
	enum note_kind kind;
	struct docker_call *call; /* DONE, PROGRESS */
	int status;               /* DONE; STREAM: the event type */
	json_t *json;             /* DONE: result; PROGRESS, EVENT: the line */
	char *err;                /* DONE, STREAM */
	int reconnected;          /* STREAM */
};

TAILQ_HEAD(docker_notes, docker_note);

struct docker_backend {
	const char *name;
	void (*start)(struct docker *, struct docker_call *);
	void (*abort)(struct docker *, struct docker_call *);   /* no answer */
	void (*close)(struct docker *);   /* free; closed handles report
	                                     docker_handle_closed */
};

/* The event subscription (one per engine). */
struct docker_events {
	int active;               /* docker_events_start was called */
	json_t *filters;          /* as given, or NULL */
	docker_event_cb cb;
	void *arg;
	struct docker_call *call; /* the open GET /events, or NULL */
	uv_timer_t retry;         /* back-off between attempts */
	long backoff_ms;          /* the next wait */
	int64_t last_nano;        /* newest event seen: replays up to it are
	                             dropped */
	int64_t resume_ns;        /* since= of the next connection: the newest
	                             event, or when the stream last came up */
	int ever_up;              /* a connection succeeded once */
	int up;                   /* the stream is established now */
	int down_told;            /* DISCONNECTED was reported for this outage */
};

struct docker {
	uv_loop_t *loop;
	const struct docker_backend *backend;
	void *be;                 /* backend state */
	char *endpoint;           /* canonical, for messages */
	long call_timeout_ms;
	size_t max_body;
	int max_inflight;
	long retry_min_ms;
	long retry_max_ms;

	struct docker_calls queued;  /* waiting for an in-flight slot */
	struct docker_calls running; /* on the wire */
	struct docker_notes notes;   /* to deliver */
	int capped_running;       /* running calls that count in max_inflight */
	uv_idle_t pump;           /* delivers notes, starts queued calls */
	int pumping;              /* inside pump_cb */

	int connected;            /* 1 up, 0 down, -1 not known yet */
	uint64_t down_at;         /* loop time the engine was found down */
	char *down_reason;

	struct docker_events ev;

	int closing;              /* docker_close was called */
	int finalizing;           /* every call is reported; handles closing */
	int open_handles;         /* uv handles not yet closed */
	void (*closed_cb)(void *);
	void *closed_arg;
};

/* docker.c */
struct docker *docker_alloc(uv_loop_t *, const struct docker_options *,
    const struct docker_backend *, const char *endpoint);
struct docker_call *docker_call_new(struct docker *, const char *method,
    char *path, docker_cb, void *);
void docker_call_body(struct docker_call *, char *body, size_t len,
    const char *content_type);
void docker_call_submit(struct docker_call *);
void docker_call_head(struct docker_call *, long http);
int docker_call_data(struct docker_call *, const char *, size_t);
void docker_call_end(struct docker_call *, int status, const char *err);
void docker_call_unreachable(struct docker_call *, const char *reason);
void docker_call_fail(struct docker_call *, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void docker_call_reject(struct docker_call *, int status, const char *err);
void docker_call_drop(struct docker_call *);
void docker_notes_drop_events(struct docker *);
void docker_note_push(struct docker *, struct docker_note *);
void docker_set_up(struct docker *);
void docker_set_down(struct docker *, const char *reason);
void docker_handle_opened(struct docker *);
void docker_handle_closed(struct docker *);
int docker_http_status(long http);
char *docker_http_message(long http, const char *body, size_t len);

/* docker_api.c */
char *docker_escape(const char *, int keep_slash);

/* docker_events.c */
void docker_events_deliver(struct docker *, struct docker_note *);

#endif
