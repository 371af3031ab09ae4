/*
 * sched.c - the reconcile loop on libuv.
 *
 * A full pass reconciles every live service (services.c), then reads every
 * unsettled task from the store and gives each that has work a chain of
 * Docker calls (task.c). It runs on a timer as the safety net, when the
 * engine (re)connects or the pause image becomes ready, and after a resync
 * changed something.
 *
 * A kick names what changed, and the pass it asks for does only that work:
 * an API write that changed tasks or services (api/ops.c says which do)
 * names their ARNs; a Docker event names its task. A targeted pass
 * reconciles the named services and the services of the named tasks, then
 * advances the named tasks and the tasks those services started or
 * stopped. Writes that change nothing the scheduler acts on (task
 * definitions, tags, settings) do not kick at all; a write that may change
 * anything (container instances, attributes, capacity) asks for a full
 * pass. Kicks in one loop turn coalesce into one pass. Every pass is
 * idempotent. What a targeted pass does not look at waits for the periodic
 * one: a task that stopped frees room on its instance, and another
 * service whose tasks found no room (not in motion, so not polled) tries
 * again then.
 *
 * Observed state comes from Docker's event stream (filtered to containers
 * labelled with this store's owner id). When the stream (re)connects, and
 * periodically, a resync lists our containers: it adopts containers a crash
 * left unrecorded, records exits the stream missed, marks containers that
 * vanished, and removes containers no task needs any more (tasks that were
 * reset or expired, or stopped longer than --container-retention ago).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched.h"
#include "spec.h"

#define RESYNC_EVERY 6            /* ticks between periodic resyncs */

/* ---- passes ---------------------------------------------------------- */

struct collected {
	struct task_row *rows;
	size_t n, cap;
};

/* Takes the row the store hands out (the store then frees nothing). */
static void
collect_cb(void *arg, struct task_row *row)
{
	struct collected *c = arg;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 32;
		c->rows = xrealloc(c->rows, c->cap * sizeof *c->rows);
	}
	c->rows[c->n++] = *row;
	memset(row, 0, sizeof *row);
}

static void
collected_free(struct collected *c)
{
	for (size_t i = 0; i < c->n; i++)
		store_task_row_free(&c->rows[i]);
	free(c->rows);
}

/* Every task that is not (desired STOPPED and last STOPPED). */
static int
unsettled(struct sched *s, struct collected *c)
{
	memset(c, 0, sizeof *c);
	if (store_begin(s->store, 0) != 0)
		return -1;
	store_tasks_unsettled(s->store, collect_cb, c);
	store_commit(s->store);
	return 0;
}

/* Every live service, then every unsettled task: the safety net. */
static void
full_pass(struct sched *s)
{
	struct collected c;

	s->passes++;
	services_pass(s);
	if (unsettled(s, &c) != 0)
		return;
	for (size_t i = 0; i < c.n; i++)
		task_advance(s, &c.rows[i]);
	collected_free(&c);
}

/* One task by its ARN: a chain if it has work and none runs yet. */
static void
advance_arn(struct sched *s, const char *arn)
{
	char account[16], region[32], cluster[256], id[64];
	struct part p = { account, region };
	struct task_row row;
	int rc;

	if (task_find(s, arn) != NULL || task_arn_parse(arn, account, region,
	    cluster, id) != 0 || store_begin(s->store, 0) != 0)
		return;
	rc = store_task_read(s->store, &p, cluster, id, STORE_TASK_SPEC, &row);
	store_commit(s->store);
	if (rc == STORE_OK)
		task_advance(s, &row);
	store_task_row_free(&row);
}

/*
 * A pass over what the kicks named. A named task's service is reconciled
 * with the named services (the full pass would have seen it too: a task
 * that stopped wants a replacement, one that runs counts); then the named
 * tasks, and those the services started or stopped, are advanced.
 */
static void
targeted_pass(struct sched *s, json_t *tasks, json_t *services)
{
	json_t *touched = json_object(), *v;
	const char *arn;

	s->targeted++;
	json_object_foreach(tasks, arn, v) {
		char account[16], region[32], cluster[256], id[64];
		struct part p = { account, region };
		struct task_row row;
		char *sarn;

		json_object_set_new(touched, arn, json_true());
		if (task_arn_parse(arn, account, region, cluster, id) != 0 ||
		    store_begin(s->store, 0) != 0)
			continue;
		if (store_task_read(s->store, &p, cluster, id, STORE_TASK_KEYS,
		    &row) == STORE_OK && row.service != NULL) {
			sarn = services_arn(&p, cluster, row.service);
			json_object_set_new(services, sarn, json_true());
			free(sarn);
		}
		store_commit(s->store);
		store_task_row_free(&row);
	}
	json_object_foreach(services, arn, v)
		services_reconcile_arn(s, arn, touched);
	json_object_foreach(touched, arn, v)
		advance_arn(s, arn);
	json_decref(touched);
}

static void
kick_cb(uv_timer_t *timer)
{
	struct sched *s = timer->data;
	json_t *tasks = s->kick_tasks, *services = s->kick_services;
	int all = s->kick_all;

	/* Kicks during the pass are for the next one. */
	s->kick_tasks = json_object();
	s->kick_services = json_object();
	s->kick_all = 0;
	if (!s->closing && all)
		full_pass(s);
	else if (!s->closing)
		targeted_pass(s, tasks, services);
	json_decref(tasks);
	json_decref(services);
}

/* Runs the kicked pass within ms, unless it is due sooner. */
static void
arm(struct sched *s, unsigned ms)
{
	if (uv_is_active((uv_handle_t *)&s->kick_timer) &&
	    uv_timer_get_due_in(&s->kick_timer) <= ms)
		return;
	uv_timer_start(&s->kick_timer, kick_cb, ms, 0);
}

static void
want(json_t **set, const char *arn)
{
	if (*set == NULL)
		*set = json_object();
	json_object_set_new(*set, arn, json_true());
}

/* Asks for a full pass soon; many kicks in one loop turn make one pass. */
void
sched_kick(void *arg)
{
	struct sched *s = arg;

	if (s == NULL || s->closing)
		return;
	s->kick_all = 1;
	arm(s, 0);
}

/* Asks for a pass soon that advances this task (and reconciles its
 * service); kicks in one loop turn make one pass. */
void
sched_kick_task(struct sched *s, const char *arn)
{
	if (s == NULL || s->closing || arn == NULL)
		return;
	want(&s->kick_tasks, arn);
	arm(s, 0);
}

/* Asks for a pass within ms that reconciles this service (and advances
 * the tasks it starts or stops); a pass that comes sooner does it then. */
void
sched_kick_service(struct sched *s, const char *arn, unsigned ms)
{
	if (s == NULL || s->closing || arn == NULL)
		return;
	want(&s->kick_services, arn);
	arm(s, ms);
}

/* The ARN's resource part ("task/c/id"), or "" when it has none. */
static const char *
arn_resource(const char *arn)
{
	const char *p = arn;

	for (int colons = 0; p != NULL && colons < 5; colons++) {
		p = strchr(p, ':');
		if (p != NULL)
			p++;
	}
	return p != NULL ? p : "";
}

/*
 * The api's kick after a write (api_init): arns names the tasks and
 * services the write changed; NULL, or an ARN of any other kind, asks for
 * a full pass.
 */
void
sched_kick_arns(void *arg, json_t *arns)
{
	struct sched *s = arg;
	json_t *v;
	size_t i;

	if (arns == NULL) {
		sched_kick(s);
		return;
	}
	json_array_foreach(arns, i, v) {
		const char *arn = json_string_value(v);
		const char *res = arn_resource(arn);

		if (strncmp(res, "task/", 5) == 0)
			sched_kick_task(s, arn);
		else if (strncmp(res, "service/", 8) == 0)
			sched_kick_service(s, arn, 0);
		else
			sched_kick(s);
	}
}

/* ---- resync ---------------------------------------------------------- */

/* "Exited (137) 3 seconds ago" -> 137; -1 when it does not say. */
static int
exit_code_of(const char *status)
{
	int code;

	if (status != NULL && sscanf(status, "Exited (%d)", &code) == 1)
		return code;
	return -1;
}

static void
removed_cb(void *arg, int status, json_t *result, const char *err)
{
	(void)arg;
	(void)result;
	if (status != DOCKER_OK && status != DOCKER_ENOTFOUND &&
	    status != DOCKER_ECANCELLED)
		log_warn("sched: could not remove a container: %s", err);
}

static void
remove_container(struct sched *s, const char *id, const char *why)
{
	log_debug("sched: removing container %.12s (%s)", id, why);
	docker_container_remove(s->docker, id, DOCKER_RM_FORCE | DOCKER_RM_VOLUMES,
	    removed_cb, s);
}

/* One listed container: keep, adopt, record its exit, or remove it. */
static int
resync_one(struct sched *s, json_t *c)
{
	json_t *labels = json_object_get(c, "Labels");
	const char *id = json_string_value(json_object_get(c, "Id"));
	const char *arn = json_string_value(json_object_get(labels,
	    LABEL_TASK_ARN));
	const char *name = json_string_value(json_object_get(labels,
	    LABEL_CONTAINER));
	const char *state = json_string_value(json_object_get(c, "State"));
	char account[16], region[32], cluster[256], tid[64];
	struct part p = { account, region };
	struct task_row row;
	/* A paused container is running, as the ECS agent reports it. */
	int rc, changed = 0, running = state && (strcmp(state, "running") == 0 ||
	    strcmp(state, "paused") == 0);

	if (id == NULL || task_arn_parse(arn, account, region, cluster, tid) !=
	    0) {
		if (id != NULL)
			remove_container(s, id, "no task label");
		return 0;
	}
	memset(&row, 0, sizeof row);
	if (store_begin(s->store, 0) != 0)
		return 0;
	rc = store_task_get(s->store, &p, cluster, tid, &row);
	store_commit(s->store);
	if (rc == STORE_NOTFOUND) {
		remove_container(s, id, "its task is gone");
	} else if (rc == STORE_OK) {
		json_t *doc = row.doc;
		const char *last = json_string_value(json_object_get(doc,
		    "lastStatus"));
		double stopped = json_number_value(json_object_get(doc,
		    "stoppedAt"));

		if (last != NULL && strcmp(last, "STOPPED") == 0) {
			if (now_epoch() - stopped >= s->cfg->container_retention)
				remove_container(s, id, "retention over");
			else if (running)
				docker_container_stop(s->docker, id, 10, removed_cb, s);
		} else if (name != NULL && strcmp(name, PAUSE_NAME) != 0) {
			changed = task_observe(s, &row, name, id, running,
			    exit_code_of(json_string_value(json_object_get(c,
			    "Status"))));
		}
	}
	store_task_row_free(&row);
	return changed;
}

static void
listed_cb(void *arg, int status, json_t *result, const char *err)
{
	struct sched *s = arg;
	struct collected c;
	json_t *seen, *e;
	size_t i;
	int changed = 0;

	s->resync_busy = 0;
	if (status != DOCKER_OK) {
		if (status != DOCKER_ECANCELLED)
			log_warn("sched: resync: %s", err);
		return;
	}
	seen = json_object();
	json_array_foreach(result, i, e) {
		const char *id = json_string_value(json_object_get(e, "Id"));

		if (id != NULL)
			json_object_set_new(seen, id, json_true());
		changed |= resync_one(s, e);
	}
	if (unsettled(s, &c) == 0) {
		for (size_t j = 0; j < c.n; j++)
			changed |= task_check_vanished(s, &c.rows[j], seen);
		collected_free(&c);
	}
	json_decref(seen);
	if (changed)
		sched_kick(s);
}

static void
resync(struct sched *s)
{
	json_t *filters;
	char label[64];

	if (s->resync_busy || s->closing)
		return;
	s->resync_busy = 1;
	snprintf(label, sizeof label, "%s=%s", LABEL_OWNER, s->owner);
	filters = json_pack("{s:[s]}", "label", label);
	docker_container_list(s->docker, 1, filters, listed_cb, s);
	json_decref(filters);
}

/* ---- the pause image ------------------------------------------------- */

static void
imported_cb(void *arg, int status, json_t *result, const char *err)
{
	struct sched *s = arg;

	(void)result;
	s->pause_busy = 0;
	if (status == DOCKER_OK) {
		log_info("sched: imported the pause image %s", PAUSE_IMAGE);
		s->pause_ready = 1;
		sched_kick(s);
	} else if (status != DOCKER_ECANCELLED) {
		log_warn("sched: cannot import the pause image: %s", err);
	}
}

static void
pause_checked_cb(void *arg, int status, json_t *result, const char *err)
{
	struct sched *s = arg;
	unsigned char *tar;
	size_t len;

	(void)result;
	if (status == DOCKER_OK) {
		s->pause_busy = 0;
		s->pause_ready = 1;
		sched_kick(s);
		return;
	}
	if (status != DOCKER_ENOTFOUND) {
		s->pause_busy = 0;
		if (status != DOCKER_ECANCELLED)
			log_warn("sched: cannot check the pause image: %s", err);
		return;
	}
	tar = pause_image_tar(&len);
	docker_image_import(s->docker, PAUSE_IMAGE, tar, len, imported_cb, s);
	free(tar);
}

static void
ensure_pause(struct sched *s)
{
	if (s->pause_ready || s->pause_busy)
		return;
	s->pause_busy = 1;
	docker_image_inspect(s->docker, PAUSE_IMAGE, pause_checked_cb, s);
}

/* ---- events and the clock -------------------------------------------- */

static void
event_cb(void *arg, const struct docker_event *ev)
{
	struct sched *s = arg;

	switch (ev->type) {
	case DOCKER_EVENT_CONNECTED:
		log_info("sched: Docker engine at %s is %s",
		    docker_endpoint(s->docker), ev->reconnected ? "back" :
		    "connected");
		s->engine_up = 1;
		s->pause_ready = 0;   /* the engine may have lost it */
		ensure_pause(s);
		engine_refresh(s);
		resync(s);
		sched_kick(s);
		break;
	case DOCKER_EVENT_DISCONNECTED:
		if (s->engine_up)
			log_warn("sched: Docker engine at %s went away: %s",
			    docker_endpoint(s->docker), ev->err ? ev->err : "");
		s->engine_up = 0;
		break;
	case DOCKER_EVENT_CONTAINER:
		/* What an event changes belongs to its task (and the task's
		 * service): a targeted pass, not a full one. */
		if (task_event(s, ev))
			sched_kick_task(s, docker_event_label(ev,
			    LABEL_TASK_ARN));
		break;
	default:
		break;
	}
}

static void
expire(struct sched *s)
{
	int n;

	if (store_begin(s->store, 1) != 0)
		return;
	n = store_tasks_expire(s->store, now_epoch() - s->cfg->task_retention);
	if (store_commit(s->store) != 0)
		store_rollback(s->store);
	else if (n > 0)
		log_debug("sched: forgot %d stopped tasks past retention", n);
}

static void
tick_cb(uv_timer_t *timer)
{
	struct sched *s = timer->data;

	if (++s->ticks % RESYNC_EVERY == 0 && s->engine_up)
		resync(s);
	expire(s);
	if (s->closing)
		return;
	/* The full pass does whatever kicked passes were asked for. */
	s->kick_all = 0;
	json_object_clear(s->kick_tasks);
	json_object_clear(s->kick_services);
	full_pass(s);
}

/* ---- lifecycle --------------------------------------------------------- */

static int
load_owner(struct sched *s, char **err)
{
	char *owner;
	int rc = -1;

	if (store_begin(s->store, 1) != 0)
		goto fail;
	owner = store_meta_get(s->store, "owner");
	if (owner == NULL) {
		char fresh[33];

		random_hex(fresh, 32);
		if (store_meta_set(s->store, "owner", fresh) != STORE_OK) {
			store_rollback(s->store);
			goto fail;
		}
		owner = xstrdup(fresh);
	}
	if (store_commit(s->store) != 0) {
		free(owner);
		goto fail;
	}
	snprintf(s->owner, sizeof s->owner, "%s", owner);
	free(owner);
	return 0;
fail:
	xasprintf(err, "cannot read or write the owner id: %s",
	    store_errmsg(s->store));
	return rc;
}

static int
load_secrets(struct sched *s, char **err)
{
	json_error_t jerr;
	const char *path = s->cfg->secrets_file;

	if (path == NULL || *path == '\0')
		return 0;
	s->secrets = json_load_file(path, 0, &jerr);
	if (!json_is_object(s->secrets)) {
		xasprintf(err, "--secrets-file %s: %s", path, s->secrets ?
		    "must hold a JSON object of secret ARN or name -> value" :
		    jerr.text);
		json_decref(s->secrets);
		s->secrets = NULL;
		return -1;
	}
	return 0;
}

struct sched *
sched_new(uv_loop_t *loop, struct store *store, struct docker *docker,
    const struct config *cfg, char **err)
{
	struct sched *s = xcalloc(1, sizeof *s);
	json_t *filters;
	char label[64];

	*err = NULL;
	s->loop = loop;
	s->store = store;
	s->docker = docker;
	s->cfg = cfg;
	s->oom = json_object();
	s->kick_tasks = json_object();
	s->kick_services = json_object();
	if (load_owner(s, err) != 0 || load_secrets(s, err) != 0) {
		json_decref(s->oom);
		json_decref(s->kick_tasks);
		json_decref(s->kick_services);
		free(s);
		return NULL;
	}
	uv_timer_init(loop, &s->kick_timer);
	uv_timer_init(loop, &s->tick_timer);
	s->kick_timer.data = s->tick_timer.data = s;
	uv_timer_start(&s->tick_timer, tick_cb, (uint64_t)cfg->reconcile_ms,
	    (uint64_t)cfg->reconcile_ms);
	snprintf(label, sizeof label, "%s=%s", LABEL_OWNER, s->owner);
	filters = json_pack("{s:[s], s:[s]}", "type", "container", "label",
	    label);
	docker_events_start(docker, filters, event_cb, s);
	json_decref(filters);
	log_info("sched: owner id %s; Docker at %s", s->owner,
	    docker_endpoint(docker));
	return s;
}

/* The id every container of this store is labelled with (ecsd.owner). */
const char *
sched_owner(const struct sched *s)
{
	return s->owner;
}

/* The admin reset emptied the store: every container of ours must go. */
void
sched_reset(void *arg)
{
	struct sched *s = arg;

	s->resync_busy = 0;
	json_object_clear(s->kick_tasks);     /* what they named is gone */
	json_object_clear(s->kick_services);
	if (s->engine_up)
		resync(s);
}

static void
closed_cb(uv_handle_t *h)
{
	struct sched *s = h->data;

	if (--s->open_handles > 0)
		return;
	json_decref(s->oom);
	json_decref(s->secrets);
	json_decref(s->kick_tasks);
	json_decref(s->kick_services);
	if (s->closed_cb != NULL)
		s->closed_cb(s->closed_arg);
	free(s);
}

/* Stops the loop's work; chains in flight are dropped (they are idempotent
 * and resume from the store at the next start). */
void
sched_close(struct sched *s, void (*done)(void *), void *arg)
{
	s->closing = 1;
	s->closed_cb = done;
	s->closed_arg = arg;
	docker_events_stop(s->docker);
	while (s->runs != NULL) {
		struct trun *t = s->runs;

		s->runs = t->next;
		docker_forget(s->docker, t);
		task_free(t);
	}
	docker_forget(s->docker, s);
	uv_timer_stop(&s->kick_timer);
	uv_timer_stop(&s->tick_timer);
	s->open_handles = 2;
	uv_close((uv_handle_t *)&s->kick_timer, closed_cb);
	uv_close((uv_handle_t *)&s->tick_timer, closed_cb);
}
