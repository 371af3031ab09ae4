/*
 * task.c - one task's life on Docker, as the ECS agent lives it.
 *
 * A task with work to do gets a `struct trun` and ONE chain of Docker calls
 * at a time; every callback re-reads the task's document from the store,
 * changes it in one transaction, and calls chain_next, which decides the
 * next call from the stored document alone. The spec (what to run, frozen
 * at creation, embedding the whole task definition) never changes: it is
 * parsed once when the chain starts and kept in the trun. Nothing the
 * chain needs lives only in memory, so after a crash the next pass simply
 * starts the chain again: container names are derived from the task
 * (spec.c), a create that finds its name taken adopts that container, and
 * starting a running container is a no-op.
 *
 *   PROVISIONING ──chain_next──> PENDING ──create/start each container──┐
 *        (pullStartedAt)          │ volumes, awsvpc pause container     │
 *                                 │ dependsOn: START COMPLETE SUCCESS   │
 *                                 │ HEALTHY, in definition order        ▼
 *                                 │              all essential RUNNING: RUNNING
 *                                 │                                     │
 *   desiredStatus STOPPED (StopTask, essential exit, failure to start) ─┘
 *        ──> STOPPING ──stop each, dependents first (stopTimeout)──>
 *        DEPROVISIONING ──pause last──> STOPPED (stoppedAt)
 *
 *   PROVISIONING with desiredStatus STOPPED ──chain_next──> STOPPED at once:
 *   nothing reached Docker before PENDING, so this works with the engine
 *   down (task_advance lets only such tasks move then).
 *
 * Docker events (task_event) record starts, exits with their codes, OOM
 * kills and health; an essential container's exit turns the task's
 * desiredStatus to STOPPED with EssentialContainerExited.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched.h"
#include "spec.h"

#define OOM_REASON "OutOfMemoryError: Container killed due to memory usage"
#define VANISHED_REASON "DockerContainerVanished: the container was " \
	"removed outside ecsd or lost with the Docker engine"

static void chain_next(struct trun *);

/* ---- documents ----------------------------------------------------- */

static const char *
str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int
str_is(json_t *o, const char *key, const char *want)
{
	const char *v = str(o, key);

	return v != NULL && strcmp(v, want) == 0;
}

json_t *
doc_container(json_t *doc, const char *name)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(doc, "containers"), i, c)
		if (str_is(c, "name", name))
			return c;
	return NULL;
}

static json_t *
cdef_of(struct trun *t, const char *name)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(t->spec, "containers"), i, c)
		if (str_is(c, "name", name))
			return c;
	return NULL;
}

static int
essential(json_t *cdef)
{
	json_t *e = json_object_get(cdef, "essential");

	return e == NULL || json_is_true(e);
}

static void
set_now(json_t *o, const char *key)
{
	json_object_set_new(o, key, json_real(now_epoch()));
}

/* The task's health over its essential containers: UNHEALTHY beats UNKNOWN
 * beats HEALTHY; no health check on any essential container is UNKNOWN. */
static void
task_health(json_t *doc, json_t *spec)
{
	const char *h = NULL;
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(spec, "containers"), i, c) {
		json_t *dc = doc_container(doc, str(c, "name"));
		const char *ch;

		if (!essential(c) || json_object_get(c, "healthCheck") == NULL ||
		    dc == NULL)
			continue;
		ch = str(dc, "healthStatus");
		if (ch == NULL)
			ch = "UNKNOWN";
		if (h == NULL || strcmp(ch, "UNHEALTHY") == 0 ||
		    (strcmp(ch, "UNKNOWN") == 0 && strcmp(h, "HEALTHY") == 0))
			h = ch;
	}
	json_object_set_new(doc, "healthStatus", json_string(h ? h : "UNKNOWN"));
}

/* ---- the store ----------------------------------------------------- */

typedef int (*mutate_fn)(json_t *doc, void *arg);
typedef int (*mutate_row_fn)(struct task_row *row, void *arg);

/*
 * Loads the task (what says how much of it), lets fn change its document
 * (fn returns 1 when it did), saves it with version + 1, all in one
 * transaction. STORE_NOTFOUND when the task is gone (an admin reset, or
 * expiry).
 */
static int
mutate_row(struct sched *s, const struct part *p, const char *cluster,
    const char *id, enum store_task_what what, mutate_row_fn fn, void *arg)
{
	struct task_row row;
	int rc;

	memset(&row, 0, sizeof row);
	if (store_begin(s->store, 1) != 0) {
		log_error("sched: cannot begin: %s", store_errmsg(s->store));
		return STORE_ERR;
	}
	rc = store_task_read(s->store, p, cluster, id, what, &row);
	if (rc == STORE_OK && fn(&row, arg)) {
		json_object_set_new(row.doc, "version", json_integer(
		    json_integer_value(json_object_get(row.doc, "version")) + 1));
		rc = store_task_save(s->store, p, cluster, id, row.doc);
	}
	if (rc == STORE_OK && store_commit(s->store) != 0) {
		log_error("sched: cannot commit: %s", store_errmsg(s->store));
		rc = STORE_ERR;
	}
	if (rc != STORE_OK)
		store_rollback(s->store);
	store_task_row_free(&row);
	return rc;
}

struct doc_change {
	mutate_fn fn;
	void *arg;
};

static int
doc_change(struct task_row *row, void *arg)
{
	struct doc_change *c = arg;

	return c->fn(row->doc, c->arg);
}

/* mutate_row for a change of the document alone: the spec is not read. */
static int
mutate(struct sched *s, const struct part *p, const char *cluster,
    const char *id, mutate_fn fn, void *arg)
{
	struct doc_change c = { fn, arg };

	return mutate_row(s, p, cluster, id, STORE_TASK_DOC, doc_change, &c);
}

/* A failed write (disk full, read-only store) ends the chain at its next
 * step: the store still shows the old state, so going on would repeat the
 * same Docker call forever. The next pass retries from the store. */
static int
trun_mutate(struct trun *t, mutate_fn fn, void *arg)
{
	int rc = mutate(t->s, &t->part, t->cluster, t->id, fn, arg);

	if (rc == STORE_ERR)
		t->store_failed = 1;
	return rc;
}

/* The task's current document (new reference), or NULL when it is gone. */
static json_t *
trun_doc(struct trun *t)
{
	struct task_row row;
	json_t *doc = NULL;

	memset(&row, 0, sizeof row);
	if (store_begin(t->s->store, 0) != 0)
		return NULL;
	if (store_task_read(t->s->store, &t->part, t->cluster, t->id,
	    STORE_TASK_DOC, &row) == STORE_OK)
		doc = json_incref(row.doc);
	store_commit(t->s->store);
	store_task_row_free(&row);
	return doc;
}

/* ---- mutations ----------------------------------------------------- */

struct cstate {
	const char *name;         /* container, or NULL for the task only */
	const char *runtime_id;
	const char *status;       /* container lastStatus */
	int exit_code;            /* >= 0 to record */
	const char *reason;
	json_t *bindings;         /* networkBindings */
	const char *health;
	int clear_runtime;        /* forget runtimeId: the container is gone */
};

static int
set_container(json_t *doc, void *arg)
{
	struct cstate *c = arg;
	json_t *dc = doc_container(doc, c->name);

	if (dc == NULL)
		return 0;
	if (c->clear_runtime)
		json_object_del(dc, "runtimeId");
	if (c->runtime_id != NULL)
		json_object_set_new(dc, "runtimeId", json_string(c->runtime_id));
	if (c->status != NULL)
		json_object_set_new(dc, "lastStatus", json_string(c->status));
	if (c->exit_code >= 0)
		json_object_set_new(dc, "exitCode", json_integer(c->exit_code));
	if (c->reason != NULL)
		json_object_set_new(dc, "reason", json_string(c->reason));
	if (c->bindings != NULL)
		json_object_set(dc, "networkBindings", c->bindings);
	if (c->health != NULL)
		json_object_set_new(dc, "healthStatus", json_string(c->health));
	return 1;
}

struct stopreq {
	const char *code;         /* stopCode */
	const char *reason;       /* stoppedReason */
};

/* desiredStatus STOPPED, unless someone asked first (their reason wins). */
static int
set_stop(json_t *doc, void *arg)
{
	struct stopreq *r = arg;

	if (str_is(doc, "desiredStatus", "STOPPED"))
		return 0;
	json_object_set_new(doc, "desiredStatus", json_string("STOPPED"));
	json_object_set_new(doc, "stopCode", json_string(r->code));
	json_object_set_new(doc, "stoppedReason", json_string(r->reason));
	set_now(doc, "stoppingAt");
	return 1;
}

static void
fail_task(struct trun *t, const char *container, const char *reason)
{
	struct cstate c = { .name = container, .reason = reason, .exit_code = -1 };
	struct stopreq r = { "TaskFailedToStart", reason };

	log_info("sched: task %s failed to start: %s", t->id, reason);
	if (container != NULL)
		trun_mutate(t, set_container, &c);
	trun_mutate(t, set_stop, &r);
}

static int
set_pending(json_t *doc, void *arg)
{
	(void)arg;
	if (!str_is(doc, "lastStatus", "PROVISIONING"))
		return 0;
	json_object_set_new(doc, "lastStatus", json_string("PENDING"));
	set_now(doc, "pullStartedAt");
	return 1;
}

static int
set_running(json_t *doc, void *arg)
{
	struct trun *t = arg;

	if (str_is(doc, "lastStatus", "RUNNING"))
		return 0;
	json_object_set_new(doc, "lastStatus", json_string("RUNNING"));
	if (json_object_get(doc, "pullStoppedAt") == NULL)
		set_now(doc, "pullStoppedAt");
	set_now(doc, "startedAt");
	json_object_set_new(doc, "connectivity", json_string("CONNECTED"));
	set_now(doc, "connectivityAt");
	task_health(doc, t->spec);
	return 1;
}

static int
set_stopping(json_t *doc, void *arg)
{
	(void)arg;
	if (str_is(doc, "lastStatus", "STOPPING") ||
	    str_is(doc, "lastStatus", "DEPROVISIONING") ||
	    str_is(doc, "lastStatus", "STOPPED"))
		return 0;
	json_object_set_new(doc, "lastStatus", json_string("STOPPING"));
	return 1;
}

static int
set_stopped(json_t *doc, void *arg)
{
	json_t *c;
	size_t i;

	(void)arg;
	if (str_is(doc, "lastStatus", "STOPPED"))
		return 0;
	json_array_foreach(json_object_get(doc, "containers"), i, c)
		json_object_set_new(c, "lastStatus", json_string("STOPPED"));
	json_object_set_new(doc, "lastStatus", json_string("STOPPED"));
	if (json_object_get(doc, "stoppingAt") == NULL)
		set_now(doc, "stoppingAt");
	set_now(doc, "executionStoppedAt");
	set_now(doc, "stoppedAt");
	if (json_object_get(doc, "connectivity") != NULL)
		json_object_set_new(doc, "connectivity",
		    json_string("DISCONNECTED"));
	return 1;
}

/* ---- trun ---------------------------------------------------------- */

struct trun *
task_find(struct sched *s, const char *arn)
{
	for (struct trun *t = s->runs; t != NULL; t = t->next)
		if (strcmp(t->arn, arn) == 0)
			return t;
	return NULL;
}

void
task_free(struct trun *t)
{
	if (t == NULL)
		return;
	free(t->account);
	free(t->region);
	free(t->cluster);
	free(t->id);
	free(t->arn);
	free(t->cur);
	free(t->cur_id);
	free(t->pause_name);
	json_decref(t->spec);
	free(t);
}

static void
trun_done(struct trun *t)
{
	struct sched *s = t->s;

	for (struct trun **p = &s->runs; *p != NULL; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			break;
		}
	}
	docker_forget(s->docker, t);
	task_free(t);
}

/* The container being worked on; name and id may alias the old values. */
static void
set_cur(struct trun *t, const char *name, const char *id)
{
	char *n = name ? xstrdup(name) : NULL;
	char *i = id ? xstrdup(id) : NULL;

	if (t->cur == NULL || n == NULL || strcmp(t->cur, n) != 0)
		t->pulled = 0;
	free(t->cur);
	free(t->cur_id);
	t->cur = n;
	t->cur_id = i;
}

/* What spec.c needs, pointing into t and its spec; env is a new object. */
static void
spec_task_of(struct trun *t, struct spec_task *st, json_t *doc)
{
	json_t *def = json_object_get(t->spec, "taskDefinition");
	const char *lt = str(doc, "launchType");

	memset(st, 0, sizeof *st);
	st->task_arn = t->arn;
	st->task_id = t->id;
	st->cluster_arn = str(t->spec, "clusterArn");
	st->family = str(def, "family");
	st->revision = (int)json_integer_value(json_object_get(def, "revision"));
	st->region = t->region;
	st->launch_type = lt ? lt : "EC2";
	st->network_mode = str(t->spec, "networkMode");
	if (st->network_mode == NULL)
		st->network_mode = "bridge";
	st->owner = t->s->owner;
	st->definition = def;
	st->containers = json_object_get(t->spec, "containers");
	st->secrets = t->s->secrets;
	st->bind_roots = t->s->cfg->bind_roots;
	st->env_extra = json_pack("{s:s, s:s, s:s}", "AWS_REGION", t->region,
	    "AWS_DEFAULT_REGION", t->region, "AWS_EXECUTION_ENV",
	    strcmp(st->launch_type, "FARGATE") == 0 ? "AWS_ECS_FARGATE" :
	    "AWS_ECS_EC2");
	if (st->cluster_arn == NULL)
		st->cluster_arn = "";
	if (st->family == NULL)
		st->family = "task";
	/* awsvpc containers join the pause container by its (stable) name. */
	if (t->pause_name == NULL)
		t->pause_name = spec_docker_name(st, PAUSE_NAME);
	st->pause_id = t->pause_name;
}

/* ---- the start chain ----------------------------------------------- */

/* dependsOn of cdef: 1 met, 0 wait, -1 can never be met (reason set). */
static int
deps_met(struct trun *t, json_t *doc, json_t *cdef, char *reason, size_t n)
{
	json_t *d;
	size_t i;
	int met = 1;

	json_array_foreach(json_object_get(cdef, "dependsOn"), i, d) {
		const char *dep = str(d, "containerName");
		const char *cond = str(d, "condition");
		json_t *dc = dep ? doc_container(doc, dep) : NULL;
		const char *st = dc ? str(dc, "lastStatus") : NULL;
		int stopped = st != NULL && strcmp(st, "STOPPED") == 0;
		int running = st != NULL && strcmp(st, "RUNNING") == 0;

		if (dc == NULL || cond == NULL)
			continue;
		if (strcmp(cond, "START") == 0) {
			if (!running && !stopped)
				met = 0;
		} else if (strcmp(cond, "COMPLETE") == 0) {
			if (!stopped)
				met = 0;
		} else if (strcmp(cond, "SUCCESS") == 0) {
			if (stopped && json_integer_value(json_object_get(dc,
			    "exitCode")) != 0) {
				snprintf(reason, n, "TaskFailedToStart: dependency %s "
				    "exited with code %lld (dependsOn SUCCESS)", dep,
				    (long long)json_integer_value(json_object_get(dc,
				    "exitCode")));
				return -1;
			}
			if (!stopped)
				met = 0;
		} else if (strcmp(cond, "HEALTHY") == 0) {
			if (stopped) {
				snprintf(reason, n, "TaskFailedToStart: dependency %s "
				    "stopped before it was healthy (dependsOn HEALTHY)",
				    dep);
				return -1;
			}
			if (!str_is(dc, "healthStatus", "HEALTHY"))
				met = 0;
		}
		if (!met) {
			json_t *dep_def = cdef_of(t, dep);
			json_t *to = json_object_get(dep_def, "startTimeout");
			double since = json_number_value(json_object_get(doc,
			    "pullStartedAt"));

			if (json_is_integer(to) && since > 0 &&
			    now_epoch() - since > (double)json_integer_value(to)) {
				snprintf(reason, n, "TaskFailedToStart: dependency %s did "
				    "not reach %s within its startTimeout of %llds", dep,
				    cond, (long long)json_integer_value(to));
				return -1;
			}
			return 0;
		}
	}
	return 1;
}

static void
after_call(struct trun *t, int status, const char *err, const char *what)
{
	if (status == DOCKER_ECANCELLED)
		return;           /* closing: t is freed by the scheduler */
	if (status == DOCKER_EUNREACHABLE || status == DOCKER_ETIMEDOUT) {
		log_warn("sched: task %s: %s: %s (will retry)", t->id, what, err);
		trun_done(t);     /* the next pass after the engine returns retries */
		return;
	}
	chain_next(t);
}

/* Network bindings from an inspect answer, as ECS reports them. */
static json_t *
bindings_of(json_t *inspect, const char *netmode, json_t *cdef)
{
	json_t *ports = json_object_get(json_object_get(inspect,
	    "NetworkSettings"), "Ports");
	json_t *out = json_array(), *list, *b, *pm;
	const char *key;
	size_t i;

	if (strcmp(netmode, "host") == 0) {
		json_array_foreach(json_object_get(cdef, "portMappings"), i, pm) {
			json_t *cp = json_object_get(pm, "containerPort");

			if (!json_is_integer(cp))
				continue;
			json_array_append_new(out, json_pack("{s:s, s:O, s:O, s:s}",
			    "bindIP", "0.0.0.0", "containerPort", cp, "hostPort", cp,
			    "protocol", str(pm, "protocol") ? str(pm, "protocol") :
			    "tcp"));
		}
		return out;
	}
	json_object_foreach(ports, key, list) {
		long cport = atol(key);
		const char *slash = strchr(key, '/');

		json_array_foreach(list, i, b)
			json_array_append_new(out, json_pack("{s:s, s:i, s:i, s:s}",
			    "bindIP", str(b, "HostIp") ? str(b, "HostIp") : "0.0.0.0",
			    "containerPort", (int)cport,
			    "hostPort", atoi(str(b, "HostPort") ? str(b, "HostPort") :
			    "0"), "protocol", slash ? slash + 1 : "tcp"));
	}
	return out;
}

static void
inspected_cb(void *arg, int status, json_t *result, const char *err)
{
	struct trun *t = arg;
	json_t *cdef = cdef_of(t, t->cur);
	const char *mode = str(t->spec, "networkMode");
	struct cstate c = { .name = t->cur, .status = "RUNNING", .exit_code = -1 };

	if (status == DOCKER_OK)
		c.bindings = bindings_of(result, mode ? mode : "bridge", cdef);
	trun_mutate(t, set_container, &c);
	json_decref(c.bindings);
	after_call(t, status == DOCKER_ENOTFOUND ? DOCKER_OK : status, err,
	    "inspect");
}

static void
started_cb(void *arg, int status, json_t *result, const char *err)
{
	struct trun *t = arg;
	json_t *cdef = cdef_of(t, t->cur);
	struct cstate c = { .name = t->cur, .exit_code = -1 };
	char *reason;

	(void)result;
	if (status == DOCKER_OK) {
		if (json_array_size(json_object_get(cdef, "portMappings")) > 0) {
			docker_container_inspect(t->s->docker, t->cur_id, inspected_cb,
			    t);
			return;
		}
		c.status = "RUNNING";
		trun_mutate(t, set_container, &c);
	} else if (status == DOCKER_ENOTFOUND) {
		/* It vanished between create and start: create it again. */
		c.clear_runtime = 1;
		trun_mutate(t, set_container, &c);
	} else if (status != DOCKER_EUNREACHABLE && status != DOCKER_ETIMEDOUT &&
	    status != DOCKER_ECANCELLED) {
		xasprintf(&reason, "CannotStartContainerError: %s", err);
		fail_task(t, t->cur, reason);
		free(reason);
	}
	after_call(t, status == DOCKER_ENOTFOUND ? DOCKER_OK : status, err,
	    "start");
}

static void
orphan_removed_cb(void *arg, int status, json_t *result, const char *err)
{
	(void)arg;
	(void)result;
	if (status != DOCKER_OK && status != DOCKER_ENOTFOUND &&
	    status != DOCKER_ECANCELLED)
		log_warn("sched: could not remove a container whose task is "
		    "gone: %s (the next resync retries)", err);
}

/* Records the new container's id. When the task went while Docker made it
 * (an admin reset), the container is removed at once rather than left for
 * the next periodic resync. */
static void
created(struct trun *t, const char *id)
{
	struct cstate c = { .name = t->cur, .runtime_id = id, .exit_code = -1 };

	if (trun_mutate(t, set_container, &c) == STORE_NOTFOUND && id != NULL) {
		log_debug("sched: task %s is gone; removing its new container "
		    "%.12s", t->id, id);
		docker_container_remove(t->s->docker, id, DOCKER_RM_FORCE |
		    DOCKER_RM_VOLUMES, orphan_removed_cb, t->s);
	}
}

static void
adopt_cb(void *arg, int status, json_t *result, const char *err)
{
	struct trun *t = arg;

	if (status == DOCKER_OK && str(result, "Id") != NULL)
		created(t, str(result, "Id"));
	after_call(t, status, err, "inspect");
}

static void create_container(struct trun *, json_t *);

static void
pulled_cb(void *arg, int status, json_t *result, const char *err)
{
	struct trun *t = arg;
	char *reason;

	(void)result;
	if (status == DOCKER_ECANCELLED)
		return;
	if (status != DOCKER_OK && status != DOCKER_EUNREACHABLE) {
		xasprintf(&reason, "CannotPullContainerError: %s", err ? err :
		    "pull failed");
		fail_task(t, t->cur, reason);
		free(reason);
	}
	after_call(t, status, err, "pull");
}

static void
created_cb(void *arg, int status, json_t *result, const char *err)
{
	struct trun *t = arg;
	char *reason, *image;

	if (status == DOCKER_OK)
		created(t, str(result, "Id"));
	if (status == DOCKER_ECONFLICT) {
		/* Our name is taken: we made it before a crash. Adopt it. */
		docker_container_inspect(t->s->docker, t->cur_id, adopt_cb, t);
		return;
	}
	if (status == DOCKER_ENOTFOUND && !t->pulled) {
		t->pulled = 1;
		image = spec_image(str(cdef_of(t, t->cur), "image"));
		log_info("sched: task %s: image %s is not local; pulling", t->id,
		    image);
		docker_image_pull(t->s->docker, image, NULL, pulled_cb, t);
		free(image);
		return;
	}
	if (status == DOCKER_ENOTFOUND) {
		xasprintf(&reason, "CannotPullContainerError: %s", err);
		fail_task(t, t->cur, reason);
		free(reason);
	} else if (status != DOCKER_OK && status != DOCKER_EUNREACHABLE &&
	    status != DOCKER_ETIMEDOUT && status != DOCKER_ECANCELLED) {
		xasprintf(&reason, "CannotCreateContainerError: %s", err);
		fail_task(t, t->cur, reason);
		free(reason);
	}
	after_call(t, status, err, "create");
}

static void
create_container(struct trun *t, json_t *doc)
{
	struct spec_task st;
	json_t *body = NULL;
	char *err = NULL, *name;

	spec_task_of(t, &st, doc);
	if (spec_container(&st, cdef_of(t, t->cur), &body, &err) != 0) {
		fail_task(t, t->cur, err);
		free(err);
		json_decref(st.env_extra);
		chain_next(t);
		return;
	}
	name = spec_docker_name(&st, t->cur);
	set_cur(t, t->cur, name);  /* by name until Docker tells the id */
	docker_container_create(t->s->docker, name, body, created_cb, t);
	free(name);
	json_decref(body);
	json_decref(st.env_extra);
}

/* ---- awsvpc: the pause container owns the network namespace ---------- */

static int
set_eni(json_t *doc, void *arg)
{
	json_t *inspect = arg, *att = NULL, *a, *c, *details;
	json_t *ns = json_object_get(inspect, "NetworkSettings");
	const char *ip = str(ns, "IPAddress");
	const char *mac = str(ns, "MacAddress");
	char eni[32], hex[18], uuid[37];
	size_t i;

	json_array_foreach(json_object_get(doc, "attachments"), i, a)
		if (str_is(a, "type", "ElasticNetworkInterface"))
			att = a;
	if (att == NULL) {
		uuid4(uuid);
		att = json_pack("{s:s, s:s}", "id", uuid, "type",
		    "ElasticNetworkInterface");
		if (!json_is_array(json_object_get(doc, "attachments")))
			json_object_set_new(doc, "attachments", json_array());
		json_array_append_new(json_object_get(doc, "attachments"), att);
	}
	random_hex(hex, 17);
	snprintf(eni, sizeof eni, "eni-%s", hex);
	details = json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]",
	    "name", "networkInterfaceId", "value", eni,
	    "name", "macAddress", "value", mac ? mac : "",
	    "name", "privateIPv4Address", "value", ip ? ip : "");
	json_array_foreach(json_object_get(att, "details"), i, a)
		if (str_is(a, "name", "subnetId"))
			json_array_append(details, a);
	json_object_set_new(att, "details", details);
	json_object_set_new(att, "status", json_string("ATTACHED"));
	json_array_foreach(json_object_get(doc, "containers"), i, c)
		json_object_set_new(c, "networkInterfaces", json_pack(
		    "[{s:s, s:s}]", "attachmentId", str(att, "id"),
		    "privateIpv4Address", ip ? ip : ""));
	return 1;
}

static int
eni_ready(json_t *doc)
{
	json_t *a;
	size_t i;

	json_array_foreach(json_object_get(doc, "attachments"), i, a)
		if (str_is(a, "type", "ElasticNetworkInterface") &&
		    str_is(a, "status", "ATTACHED"))
			return 1;
	return 0;
}

static void
pause_inspected_cb(void *arg, int status, json_t *result, const char *err)
{
	struct trun *t = arg;

	if (status == DOCKER_OK)
		trun_mutate(t, set_eni, result);
	after_call(t, status, err, "inspect pause");
}

static void
pause_started_cb(void *arg, int status, json_t *result, const char *err)
{
	struct trun *t = arg;
	char *reason;

	(void)result;
	if (status == DOCKER_OK) {
		docker_container_inspect(t->s->docker, t->cur_id,
		    pause_inspected_cb, t);
		return;
	}
	if (status != DOCKER_EUNREACHABLE && status != DOCKER_ETIMEDOUT &&
	    status != DOCKER_ECANCELLED) {
		xasprintf(&reason, "ResourceInitializationError: the task network "
		    "could not start: %s", err);
		fail_task(t, NULL, reason);
		free(reason);
	}
	after_call(t, status, err, "start pause");
}

static void
pause_created_cb(void *arg, int status, json_t *result, const char *err)
{
	struct trun *t = arg;
	char *reason;

	(void)result;
	if (status == DOCKER_OK || status == DOCKER_ECONFLICT) {
		/* By name: a conflict means we made it before a crash. */
		docker_container_start(t->s->docker, t->cur_id, pause_started_cb,
		    t);
		return;
	}
	if (status != DOCKER_EUNREACHABLE && status != DOCKER_ETIMEDOUT &&
	    status != DOCKER_ECANCELLED) {
		xasprintf(&reason, "ResourceInitializationError: the task network "
		    "could not be created: %s", err);
		fail_task(t, NULL, reason);
		free(reason);
	}
	after_call(t, status, err, "create pause");
}

static void
start_pause(struct trun *t, json_t *doc)
{
	struct spec_task st;
	json_t *body;
	char *name;

	spec_task_of(t, &st, doc);
	name = spec_docker_name(&st, PAUSE_NAME);
	set_cur(t, PAUSE_NAME, name);
	body = spec_pause(&st);
	docker_container_create(t->s->docker, name, body, pause_created_cb, t);
	json_decref(body);
	json_decref(st.env_extra);
	free(name);
}

/* ---- task volumes ---------------------------------------------------- */

static void
volume_cb(void *arg, int status, json_t *result, const char *err)
{
	struct trun *t = arg;
	char *reason;

	(void)result;
	if (status == DOCKER_OK) {
		t->vol++;
	} else if (status != DOCKER_EUNREACHABLE && status != DOCKER_ETIMEDOUT &&
	    status != DOCKER_ECANCELLED) {
		xasprintf(&reason, "ResourceInitializationError: a task volume "
		    "could not be prepared: %s", err);
		fail_task(t, NULL, reason);
		free(reason);
	}
	after_call(t, status, err, "volume");
}

/* Creates the next task volume; 0 when there is none left. */
static int
next_volume(struct trun *t, json_t *doc)
{
	struct spec_task st;
	json_t *vols, *v;
	int started = 0;

	spec_task_of(t, &st, doc);
	vols = spec_volumes(&st);
	v = json_array_get(vols, t->vol);
	if (v != NULL && str(v, "refused") != NULL) {
		fail_task(t, NULL, str(v, "refused"));
		json_decref(vols);
		json_decref(st.env_extra);
		chain_next(t);
		return 1;
	}
	if (v != NULL) {
		json_t *body = json_object_get(v, "body");

		started = 1;
		if (json_is_true(json_object_get(v, "shared")) &&
		    !json_is_true(json_object_get(v, "autoprovision")))
			docker_volume_inspect(t->s->docker, str(body, "Name"),
			    volume_cb, t);
		else
			docker_volume_create(t->s->docker, body, volume_cb, t);
	}
	json_decref(vols);
	json_decref(st.env_extra);
	return started;
}

/* ---- choosing the next step ------------------------------------------- */

/* Starts work on the next container that can move; 0 when none can. */
static int
next_container(struct trun *t, json_t *doc)
{
	json_t *cdef;
	size_t i;
	char reason[512];

	json_array_foreach(json_object_get(t->spec, "containers"), i, cdef) {
		const char *name = str(cdef, "name");
		json_t *dc = doc_container(doc, name);
		const char *rid = dc ? str(dc, "runtimeId") : NULL;
		int met;

		if (dc == NULL || !str_is(dc, "lastStatus", "PENDING"))
			continue;
		met = deps_met(t, doc, cdef, reason, sizeof reason);
		if (met < 0) {
			fail_task(t, name, reason);
			chain_next(t);
			return 1;
		}
		if (met == 0)
			continue;
		if (rid != NULL && *rid != '\0') {
			set_cur(t, name, rid);
			docker_container_start(t->s->docker, rid, started_cb, t);
		} else {
			set_cur(t, name, NULL);
			create_container(t, doc);
		}
		return 1;
	}
	return 0;
}

static int
all_essential_running(struct trun *t, json_t *doc)
{
	json_t *cdef;
	size_t i;

	json_array_foreach(json_object_get(t->spec, "containers"), i, cdef) {
		json_t *dc = doc_container(doc, str(cdef, "name"));

		if (essential(cdef) && (dc == NULL || !str_is(dc, "lastStatus",
		    "RUNNING")))
			return 0;
	}
	return 1;
}

static void
stopped_cb(void *arg, int status, json_t *result, const char *err);

/* The container to stop next: running, and no running container depends on
 * it (dependents stop first); NULL when none is left. */
static json_t *
next_to_stop(struct trun *t, json_t *doc)
{
	json_t *cdef, *other, *d, *last = NULL;
	size_t i, j, k;

	for (i = json_array_size(json_object_get(t->spec, "containers")); i > 0;
	    i--) {
		int needed = 0;
		json_t *dc;

		cdef = json_array_get(json_object_get(t->spec, "containers"), i - 1);
		dc = doc_container(doc, str(cdef, "name"));
		if (dc == NULL || str(dc, "runtimeId") == NULL ||
		    str_is(dc, "lastStatus", "STOPPED"))
			continue;
		last = cdef;
		json_array_foreach(json_object_get(t->spec, "containers"), j,
		    other) {
			json_t *odc = doc_container(doc, str(other, "name"));

			if (other == cdef || odc == NULL ||
			    str(odc, "runtimeId") == NULL ||
			    str_is(odc, "lastStatus", "STOPPED"))
				continue;
			json_array_foreach(json_object_get(other, "dependsOn"), k, d)
				if (str_is(d, "containerName", str(cdef, "name")))
					needed = 1;
		}
		if (!needed)
			return cdef;
	}
	return last;
}

static void
pause_stopped_cb(void *arg, int status, json_t *result, const char *err)
{
	struct trun *t = arg;

	(void)result;
	(void)err;
	if (status == DOCKER_ECANCELLED)
		return;
	if (status == DOCKER_EUNREACHABLE || status == DOCKER_ETIMEDOUT) {
		trun_done(t);
		return;
	}
	trun_mutate(t, set_stopped, NULL);
	trun_done(t);
}

static void
finish_stop(struct trun *t, json_t *doc)
{
	struct spec_task st;
	const char *mode = str(t->spec, "networkMode");
	char *name;

	if (mode != NULL && strcmp(mode, "awsvpc") == 0) {
		spec_task_of(t, &st, doc);
		name = spec_docker_name(&st, PAUSE_NAME);
		json_decref(st.env_extra);
		set_cur(t, PAUSE_NAME, name);
		free(name);
		docker_container_stop(t->s->docker, t->cur_id, 2, pause_stopped_cb,
		    t);
		return;
	}
	trun_mutate(t, set_stopped, NULL);
	trun_done(t);
}

static void
chain_stop(struct trun *t, json_t *doc)
{
	json_t *cdef;
	json_t *dc;

	if (trun_mutate(t, set_stopping, NULL) == STORE_NOTFOUND) {
		trun_done(t);
		return;
	}
	cdef = next_to_stop(t, doc);
	if (cdef == NULL) {
		finish_stop(t, doc);
		return;
	}
	dc = doc_container(doc, str(cdef, "name"));
	set_cur(t, str(cdef, "name"), str(dc, "runtimeId"));
	docker_container_stop(t->s->docker, t->cur_id,
	    (int)spec_stop_timeout(cdef), stopped_cb, t);
}

static void
chain_next(struct trun *t)
{
	json_t *doc = trun_doc(t);
	const char *mode = str(t->spec, "networkMode");

	if (doc == NULL || t->store_failed) {
		/* gone (reset or expired), or the store refused a write */
		if (doc != NULL)
			log_warn("sched: task %s: the store refused a write; the "
			    "next pass retries", t->id);
		json_decref(doc);
		trun_done(t);
		return;
	}
	if (str_is(doc, "desiredStatus", "STOPPED")) {
		t->stopping = 1;
		if (str_is(doc, "lastStatus", "PROVISIONING"))
			trun_mutate(t, set_stopped, NULL);  /* nothing on Docker */
		if (str_is(doc, "lastStatus", "STOPPED") ||
		    str_is(doc, "lastStatus", "PROVISIONING"))
			trun_done(t);
		else
			chain_stop(t, doc);
		json_decref(doc);
		return;
	}
	if (str_is(doc, "lastStatus", "PROVISIONING")) {
		trun_mutate(t, set_pending, NULL);
		json_decref(doc);
		chain_next(t);
		return;
	}
	if (next_volume(t, doc)) {
		json_decref(doc);
		return;
	}
	if (mode != NULL && strcmp(mode, "awsvpc") == 0 && !eni_ready(doc)) {
		if (t->s->pause_ready)
			start_pause(t, doc);
		else
			trun_done(t);     /* waits for the pause image */
		json_decref(doc);
		return;
	}
	if (next_container(t, doc)) {
		json_decref(doc);
		return;
	}
	if (all_essential_running(t, doc))
		trun_mutate(t, set_running, t);
	json_decref(doc);
	trun_done(t);
}

/* ---- the stop chain's callbacks ------------------------------------- */

static int
record_exit(json_t *doc, void *arg)
{
	json_t *inspect = arg, *state = json_object_get(inspect, "State");
	const char *name = json_string_value(json_object_get(json_object_get(
	    inspect, "Config"), "Labels") ? json_object_get(json_object_get(
	    json_object_get(inspect, "Config"), "Labels"), LABEL_CONTAINER) :
	    NULL);
	json_t *dc = name ? doc_container(doc, name) : NULL;

	if (dc == NULL)
		return 0;
	json_object_set_new(dc, "lastStatus", json_string("STOPPED"));
	if (json_is_integer(json_object_get(state, "ExitCode")))
		json_object_set(dc, "exitCode", json_object_get(state, "ExitCode"));
	if (json_is_true(json_object_get(state, "OOMKilled")))
		json_object_set_new(dc, "reason", json_string(OOM_REASON));
	return 1;
}

static void
stop_inspected_cb(void *arg, int status, json_t *result, const char *err)
{
	struct trun *t = arg;
	struct cstate c = { .name = t->cur, .status = "STOPPED", .exit_code = -1 };

	if (status == DOCKER_OK)
		trun_mutate(t, record_exit, result);
	else if (status == DOCKER_ENOTFOUND)
		trun_mutate(t, set_container, &c);
	after_call(t, status == DOCKER_ENOTFOUND ? DOCKER_OK : status, err,
	    "inspect");
}

static void
stopped_cb(void *arg, int status, json_t *result, const char *err)
{
	struct trun *t = arg;
	struct cstate c = { .name = t->cur, .status = "STOPPED", .exit_code = -1,
	    .reason = VANISHED_REASON };

	(void)result;
	if (status == DOCKER_OK || status == DOCKER_ECONFLICT) {
		docker_container_inspect(t->s->docker, t->cur_id, stop_inspected_cb,
		    t);
		return;
	}
	if (status == DOCKER_ENOTFOUND) {
		trun_mutate(t, set_container, &c);
		status = DOCKER_OK;
	}
	after_call(t, status, err, "stop");
}

/* ---- entry points --------------------------------------------------- */

/* Whether a stored task has work for a chain. */
static int
has_work(struct task_row *row)
{
	json_t *doc = row->doc, *c;
	size_t i;

	if (str_is(doc, "desiredStatus", "STOPPED"))
		return !str_is(doc, "lastStatus", "STOPPED");
	if (!str_is(doc, "lastStatus", "RUNNING"))
		return 1;
	/* RUNNING: containers still waiting on dependsOn */
	json_array_foreach(json_object_get(doc, "containers"), i, c)
		if (str_is(c, "lastStatus", "PENDING"))
			return 1;
	return 0;
}

/* Called by the pass for every unsettled task: starts a chain if needed. */
void
task_advance(struct sched *s, struct task_row *row)
{
	struct trun *t;

	if (task_find(s, row->arn) != NULL || !has_work(row))
		return;
	/* Without the engine only a task that never reached it can move: it
	 * stops without a Docker call (chain_next). */
	if (!s->engine_up && !(str_is(row->doc, "desiredStatus", "STOPPED") &&
	    str_is(row->doc, "lastStatus", "PROVISIONING")))
		return;
	t = xcalloc(1, sizeof *t);
	t->s = s;
	t->account = xstrdup(row->account);
	t->region = xstrdup(row->region);
	t->part.account = t->account;
	t->part.region = t->region;
	t->cluster = xstrdup(row->cluster);
	t->id = xstrdup(row->id);
	t->arn = xstrdup(row->arn);
	t->spec = json_incref(store_task_row_spec(row));  /* while it runs */
	t->next = s->runs;
	s->runs = t;
	chain_next(t);
}

/* ---- Docker events and resync --------------------------------------- */

int
task_arn_parse(const char *arn, char *account, char *region, char *cluster,
    char *id)
{
	/* arn:aws:ecs:<region>:<account>:task/<cluster>/<id> */
	return arn != NULL && sscanf(arn, "arn:aws:ecs:%31[^:]:%15[^:]:task/"
	    "%255[^/]/%63s", region, account, cluster, id) == 4 ? 0 : -1;
}

struct evapply {
	const struct docker_event *ev;
	const char *container;    /* ECS container name */
	json_t *spec;             /* its chain's spec, or NULL: the row's */
	int oom;
	int essential_exit;       /* out: an essential container exited */
};

static int
apply_event(json_t *doc, void *arg)
{
	struct evapply *a = arg;
	const struct docker_event *ev = a->ev;
	json_t *dc = doc_container(doc, a->container);
	const char *rid = dc ? str(dc, "runtimeId") : NULL;

	if (dc == NULL)
		return 0;
	if (rid != NULL && strcmp(rid, ev->id) != 0)
		return 0;         /* an older container of the same name */
	switch (ev->action) {
	case DOCKER_ACTION_START:
		if (rid == NULL)
			json_object_set_new(dc, "runtimeId", json_string(ev->id));
		if (str_is(dc, "lastStatus", "STOPPED"))
			return rid == NULL;
		json_object_set_new(dc, "lastStatus", json_string("RUNNING"));
		return 1;
	case DOCKER_ACTION_DIE:
		json_object_set_new(dc, "lastStatus", json_string("STOPPED"));
		if (ev->exit_code >= 0)
			json_object_set_new(dc, "exitCode",
			    json_integer(ev->exit_code));
		if (a->oom)
			json_object_set_new(dc, "reason", json_string(OOM_REASON));
		return 1;
	case DOCKER_ACTION_DESTROY:
		if (str_is(dc, "lastStatus", "STOPPED"))
			return 0;
		json_object_set_new(dc, "lastStatus", json_string("STOPPED"));
		json_object_set_new(dc, "reason", json_string(VANISHED_REASON));
		return 1;
	case DOCKER_ACTION_HEALTH:
		json_object_set_new(dc, "healthStatus", json_string(
		    ev->health && strcmp(ev->health, "healthy") == 0 ? "HEALTHY" :
		    ev->health && strcmp(ev->health, "unhealthy") == 0 ?
		    "UNHEALTHY" : "UNKNOWN"));
		return 1;
	default:
		return 0;
	}
}

struct essential_exit {
	json_t *spec;
	const char *container;
};

/* An essential container stopped while the task should run: stop it. */
static int
stop_on_essential_exit(json_t *doc, void *arg)
{
	struct essential_exit *e = arg;
	json_t *c;
	size_t i;
	struct stopreq r = { "EssentialContainerExited",
	    "Essential container in task exited" };

	if (!str_is(doc, "desiredStatus", "RUNNING"))
		return 0;
	json_array_foreach(json_object_get(e->spec, "containers"), i, c) {
		json_t *dc = doc_container(doc, str(c, "name"));

		if (essential(c) && dc != NULL && str_is(dc, "lastStatus",
		    "STOPPED") && str(dc, "runtimeId") != NULL)
			return set_stop(doc, &r);
	}
	return 0;
}

/* The whole of an event in one transaction: the container's new state,
 * then what it means for the task (an essential exit, its health). */
static int
apply_event_row(struct task_row *row, void *arg)
{
	struct evapply *a = arg;
	enum docker_action act = a->ev->action;
	struct essential_exit e;
	int changed = apply_event(row->doc, a);

	e.spec = a->spec;
	e.container = a->container;
	if (e.spec == NULL && (act == DOCKER_ACTION_DIE || act ==
	    DOCKER_ACTION_DESTROY || act == DOCKER_ACTION_HEALTH))
		e.spec = store_task_row_spec(row);
	if (act == DOCKER_ACTION_DIE || act == DOCKER_ACTION_DESTROY)
		changed |= stop_on_essential_exit(row->doc, &e);
	if (act == DOCKER_ACTION_HEALTH) {
		task_health(row->doc, e.spec);
		changed = 1;
	}
	return changed;
}

/* Applies a container event of one of our tasks; 1 when the task is ours
 * and still there (the caller kicks it). */
int
task_event(struct sched *s, const struct docker_event *ev)
{
	char account[16], region[32], cluster[256], id[64];
	const char *arn = docker_event_label(ev, LABEL_TASK_ARN);
	const char *name = docker_event_label(ev, LABEL_CONTAINER);
	struct part p = { account, region };
	struct evapply a = { .ev = ev, .container = name };
	struct trun *t;

	if (task_arn_parse(arn, account, region, cluster, id) != 0 ||
	    name == NULL || strcmp(name, PAUSE_NAME) == 0)
		return 0;
	if (ev->action == DOCKER_ACTION_OOM) {
		json_object_set_new(s->oom, ev->id, json_true());
		return 0;
	}
	a.oom = json_object_get(s->oom, ev->id) != NULL;
	if (ev->action == DOCKER_ACTION_DIE || ev->action ==
	    DOCKER_ACTION_DESTROY)
		json_object_del(s->oom, ev->id);
	t = task_find(s, arn);
	a.spec = t != NULL ? t->spec : NULL;   /* else read with the row */
	return mutate_row(s, &p, cluster, id, STORE_TASK_SPEC, apply_event_row,
	    &a) == STORE_OK;
}

struct observed {
	const char *name;         /* ECS container name */
	const char *docker_id;
	int running;
	int exit_code;            /* when not running; -1 unknown */
	json_t *seen;             /* resync: set of ids Docker has, or NULL */
};

static int
apply_observed(json_t *doc, void *arg)
{
	struct observed *o = arg;
	json_t *dc = doc_container(doc, o->name);
	const char *rid = dc ? str(dc, "runtimeId") : NULL;
	int changed = 0;

	if (dc == NULL || (rid != NULL && strcmp(rid, o->docker_id) != 0))
		return 0;
	if (rid == NULL) {
		/* Created before a crash, never recorded: adopt it. */
		json_object_set_new(dc, "runtimeId", json_string(o->docker_id));
		changed = 1;
	}
	if (!o->running && str_is(dc, "lastStatus", "RUNNING")) {
		json_object_set_new(dc, "lastStatus", json_string("STOPPED"));
		if (o->exit_code >= 0)
			json_object_set_new(dc, "exitCode", json_integer(o->exit_code));
		changed = 1;
	}
	if (o->running && str_is(dc, "lastStatus", "PENDING") &&
	    !str_is(doc, "desiredStatus", "STOPPED")) {
		json_object_set_new(dc, "lastStatus", json_string("RUNNING"));
		changed = 1;
	}
	return changed;
}

static int
apply_vanished(json_t *doc, void *arg)
{
	struct observed *o = arg;
	json_t *c;
	size_t i;
	int changed = 0;

	json_array_foreach(json_object_get(doc, "containers"), i, c) {
		const char *rid = str(c, "runtimeId");

		if (rid == NULL || str_is(c, "lastStatus", "STOPPED") ||
		    json_object_get(o->seen, rid) != NULL)
			continue;
		json_object_set_new(c, "lastStatus", json_string("STOPPED"));
		json_object_set_new(c, "reason", json_string(VANISHED_REASON));
		changed = 1;
	}
	return changed;
}

static void
after_observe(struct sched *s, const struct part *p, const char *cluster,
    const char *id, json_t *spec)
{
	struct essential_exit e = { spec, NULL };

	mutate(s, p, cluster, id, stop_on_essential_exit, &e);
}

/*
 * Resync, one container Docker listed: adopt it if the task never recorded
 * it, or record that it is no longer running. 1 when the task changed.
 */
int
task_observe(struct sched *s, struct task_row *row, const char *name,
    const char *docker_id, int running, int exit_code)
{
	struct part p = { row->account, row->region };
	struct observed o = { name, docker_id, running, exit_code, NULL };

	if (task_find(s, row->arn) != NULL)
		return 0;         /* its chain is at work; it will see for itself */
	if (mutate(s, &p, row->cluster, row->id, apply_observed, &o) !=
	    STORE_OK)
		return 0;
	after_observe(s, &p, row->cluster, row->id, store_task_row_spec(row));
	return 1;
}

/*
 * Resync, one unsettled task: its containers Docker no longer has (seen is
 * the set of every id Docker listed) are STOPPED as vanished.
 */
int
task_check_vanished(struct sched *s, struct task_row *row, json_t *seen)
{
	struct part p = { row->account, row->region };
	struct observed o = { .seen = seen };
	json_t *c;
	size_t i;
	int missing = 0;

	if (task_find(s, row->arn) != NULL)
		return 0;
	json_array_foreach(json_object_get(row->doc, "containers"), i, c) {
		const char *rid = str(c, "runtimeId");

		if (rid != NULL && !str_is(c, "lastStatus", "STOPPED") &&
		    json_object_get(seen, rid) == NULL)
			missing = 1;
	}
	if (!missing)
		return 0;
	log_warn("sched: task %s lost containers (removed outside ecsd or with "
	    "the engine)", row->id);
	mutate(s, &p, row->cluster, row->id, apply_vanished, &o);
	after_observe(s, &p, row->cluster, row->id, store_task_row_spec(row));
	return 1;
}
