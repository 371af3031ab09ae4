/*
 * sched.c - the reconcile loop on libuv.
 *
 * A pass reads every unsettled task from the store and gives each that has
 * work a chain of Docker calls (task.c). Passes run at once after a kick
 * (every API write kicks; kicks coalesce into one pass), after every Docker
 * event of ours, and on a timer as the safety net. Every pass is idempotent
 * and cheap when nothing changed.
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

/* ---- the pass -------------------------------------------------------- */

struct collected {
	struct task_row *rows;
	size_t n, cap;
};

static void
collect_cb(void *arg, struct task_row *row)
{
	struct collected *c = arg;
	struct task_row *r;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 32;
		c->rows = xrealloc(c->rows, c->cap * sizeof *c->rows);
	}
	r = &c->rows[c->n++];
	r->account = xstrdup(row->account);
	r->region = xstrdup(row->region);
	r->cluster = xstrdup(row->cluster);
	r->id = xstrdup(row->id);
	r->arn = xstrdup(row->arn);
	r->doc = json_incref(row->doc);
	r->spec = json_incref(row->spec);
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

static void
pass(struct sched *s)
{
	struct collected c;

	if (s->closing)
		return;
	s->passes++;
	services_pass(s);
	if (unsettled(s, &c) != 0)
		return;
	for (size_t i = 0; i < c.n; i++)
		task_advance(s, &c.rows[i]);
	collected_free(&c);
}

static void
kick_cb(uv_timer_t *timer)
{
	pass(timer->data);
}

/* Asks for a pass soon; many kicks in one loop turn make one pass. */
void
sched_kick(void *arg)
{
	struct sched *s = arg;

	if (s == NULL || s->closing || (uv_is_active((uv_handle_t *)
	    &s->kick_timer) && uv_timer_get_due_in(&s->kick_timer) == 0))
		return;
	uv_timer_start(&s->kick_timer, kick_cb, 0, 0);
}

/* Asks for a pass within ms unless one is due sooner (services in motion). */
void
sched_kick_after(struct sched *s, unsigned ms)
{
	if (s == NULL || s->closing || (uv_is_active((uv_handle_t *)
	    &s->kick_timer) && uv_timer_get_due_in(&s->kick_timer) <= ms))
		return;
	uv_timer_start(&s->kick_timer, kick_cb, ms, 0);
}

/* ---- resync ---------------------------------------------------------- */

static int
parse_task_arn(const char *arn, char *account, char *region, char *cluster,
    char *id)
{
	return arn != NULL && sscanf(arn, "arn:aws:ecs:%31[^:]:%15[^:]:task/"
	    "%255[^/]/%63s", region, account, cluster, id) == 4 ? 0 : -1;
}

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
	int rc, changed = 0, running = state && strcmp(state, "running") == 0;

	if (id == NULL || parse_task_arn(arn, account, region, cluster, tid) != 0) {
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
		if (task_event(s, ev))
			sched_kick(s);
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
	pass(s);
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
	if (load_owner(s, err) != 0 || load_secrets(s, err) != 0) {
		json_decref(s->oom);
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
