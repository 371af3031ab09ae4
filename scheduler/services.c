/*
 * services.c - the service scheduler: every pass brings each ACTIVE or
 * DRAINING service one step closer to its promise, the way ECS's service
 * scheduler does (ECS-SEMANTICS.md, "Services"; notes/services-contract.md).
 *
 * One service, one write transaction (reconcile): read the Service document
 * and the service's task rows, decide, act, write the document back. It
 * makes tasks ONLY through op_run_task (the RunTask path: placement,
 * documents, specs) and stops them only by setting desiredStatus STOPPED
 * with stopCode ServiceSchedulerInitiated; the task chains (task.c) do the
 * Docker work. Every decision is recomputed from rows, so a pass after a
 * crash simply carries on.
 *
 *   account ──> tasks that STOPPED since the watermark: failed starts count
 *     │         for the deployment's circuit breaker and the back-off
 *     ▼
 *   health ───> RUNNING tasks UNHEALTHY past the grace period are stopped
 *     │
 *   breaker ──> PRIMARY IN_PROGRESS with failedTasks >= threshold: FAILED;
 *     │         with rollback a new PRIMARY from the last COMPLETED revision
 *     ▼
 *   plan ─────> services_plan: how many PRIMARY tasks to start (within
 *     │         maximumPercent), which to stop (surplus, older deployments
 *     │         down to minimumHealthyPercent); starts wait out a back-off
 *     ▼
 *   finish ───> drained older deployments leave deployments[]; the PRIMARY
 *               COMPLETED when it alone runs desiredCount healthy tasks; the
 *               service deployment SUCCESSFUL (ROLLBACK_SUCCESSFUL); steady
 *               state; a DRAINING service with no task left turns INACTIVE
 *
 * Services with the EXTERNAL deployment controller are handed to the task
 * sets part (task_sets_reconcile). While tasks are on their way up or down
 * the service asks to be reconciled again in a second (sched_kick_service),
 * because a task reaching RUNNING or STOPPED does not always come with a
 * Docker event. A full pass (services_pass) reconciles every live service;
 * a targeted one (services_reconcile_arn) only those a kick named.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/api.h"
#include "sched.h"

#define BACKOFF_AFTER 3           /* consecutive failed starts, then throttle */
#define BACKOFF_BASE 10           /* seconds of the first back-off */
#define BACKOFF_MAX 900           /* 15 minutes, as ECS */
#define BACKOFF_STABLE 30.0       /* healthy this long ends the failure run */
#define QUICK_EXIT 30.0           /* stopped on its own this soon: a failure */
#define STEADY_REPEAT (6 * 3600.0)
#define PROBLEM_REPEAT 300.0      /* the same problem event at most so often */
#define RUN_BATCH 10              /* RunTask's count limit */
#define FLUX_POLL_MS 1000
#define EXPIRE_EVERY 60.0
#define HEALTH_REASON "Task failed container health checks"
#define BREAKER_REASON "ECS deployment circuit breaker: tasks failed to start."

/* ---- the arithmetic (pure; unit-tested) ------------------------------ */

/*
 * What to do next for desired count D with minimumHealthyPercent and
 * maximumPercent: at least ceil(D*min/100) healthy tasks stay, never more
 * than floor(D*max/100) tasks exist (stopping ones count until STOPPED).
 */
void
services_plan(const struct rollout *in, struct rollout_plan *out)
{
	int d = in->desired < 0 ? 0 : in->desired;
	int min_healthy = (d * in->min_pct + 99) / 100;
	int max_tasks = d * in->max_pct / 100;
	int up, healthy, room;

	memset(out, 0, sizeof *out);
	out->stop_primary = in->primary_up > d ? in->primary_up - d : 0;
	up = in->primary_up - out->stop_primary;
	healthy = in->primary_healthy < up ? in->primary_healthy : up;
	room = max_tasks - in->live;
	out->start = d - up < room ? d - up : room;
	if (out->start < 0)
		out->start = 0;
	out->stop_old_unhealthy = in->old_up - in->old_healthy;
	healthy += in->old_healthy;
	out->stop_old_healthy = healthy - min_healthy;
	if (out->stop_old_healthy > in->old_healthy)
		out->stop_old_healthy = in->old_healthy;
	if (out->stop_old_healthy < 0)
		out->stop_old_healthy = 0;
}

/* Seconds to wait before the next start after `failures` failed in a row. */
int
services_backoff_seconds(int failures)
{
	int s = BACKOFF_BASE;

	if (failures < BACKOFF_AFTER)
		return 0;
	for (int i = BACKOFF_AFTER; i < failures && s < BACKOFF_MAX; i++)
		s *= 2;
	return s > BACKOFF_MAX ? BACKOFF_MAX : s;
}

/* ---- one service's pass ---------------------------------------------- */

/* A task of the service as the pass sees it. */
struct stask {
	struct task_row row;
	const char *dep;          /* startedBy: its deployment */
	double stopped_at;        /* > 0: STOPPED since the watermark */
	int primary;              /* of the PRIMARY deployment */
	int live;                 /* lastStatus not STOPPED */
	int up;                   /* live and desired RUNNING */
	int running;              /* up and lastStatus RUNNING */
	int healthy;              /* running, essential health checks pass */
	int unhealthy;            /* running, a health check fails */
	int guarded;              /* up and protected from scale-in
	                             (UpdateTaskProtection) */
	int stop;                 /* chosen to stop in this pass */
	const char *why;          /* its stoppedReason */
};

struct spass {
	struct sched *s;
	struct part part;
	struct service_row *row;
	json_t *svc, *state;      /* the row's doc and state */
	const char *name, *cluster;
	double now;
	struct stask *t;
	size_t n, cap;
	json_t *started;          /* task ids started in this pass */
	json_t *touched;          /* targeted pass: ARNs of the tasks started
	                             or stopped, for it to advance; or NULL */
	json_t *checks;           /* taskDefinitionArn -> has a health check */
	int held;                 /* a protected task held back a stop the
	                             plan wanted: an event */
	int flux;                 /* tasks in motion: poll again soon */
	int again;                /* the document changed shape: pass again */
};

static const char *
str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int
same(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static double
numf(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static long long
num(json_t *o, const char *key)
{
	return (long long)json_number_value(json_object_get(o, key));
}

static const char *
task_id_of(const char *arn)
{
	const char *slash = arn != NULL ? strrchr(arn, '/') : NULL;

	return slash != NULL ? slash + 1 : "";
}

/* The scheduler's record of a deployment: state.deployments[id]. */
static json_t *
dep_info(struct spass *sp, const char *id)
{
	json_t *all = json_object_get(sp->state, "deployments"), *info;

	if (!json_is_object(all)) {
		all = json_object();
		json_object_set_new(sp->state, "deployments", all);
	}
	info = json_object_get(all, id);
	if (info == NULL) {
		info = json_object();
		json_object_set_new(all, id, info);
	}
	return info;
}

/* Whether an essential container of the task has a health check. */
static int
has_health_check(json_t *spec)
{
	json_t *c, *e;
	size_t i;

	json_array_foreach(json_object_get(spec, "containers"), i, c) {
		e = json_object_get(c, "essential");
		if ((e == NULL || json_is_true(e)) &&
		    json_object_get(c, "healthCheck") != NULL)
			return 1;
	}
	return 0;
}

/*
 * Whether the task's essential containers have a health check. That
 * follows from its task definition alone, so the spec (the whole
 * definition) is parsed once per definition and pass, not per task.
 */
static int
health_checked(struct spass *sp, struct task_row *row)
{
	const char *def = str(row->doc, "taskDefinitionArn");
	json_t *known = def != NULL ? json_object_get(sp->checks, def) : NULL;
	int checked;

	if (known != NULL)
		return json_is_true(known);
	checked = has_health_check(store_task_row_spec(row));
	if (def != NULL)
		json_object_set_new(sp->checks, def, json_boolean(checked));
	return checked;
}

static void
collect_cb(void *arg, struct task_row *row, double stopped_at)
{
	struct spass *sp = arg;
	struct stask *t;
	json_t *doc = row->doc;
	const char *last = str(doc, "lastStatus");

	if (sp->n == sp->cap) {
		sp->cap = sp->cap ? sp->cap * 2 : 16;
		sp->t = xrealloc(sp->t, sp->cap * sizeof *sp->t);
	}
	t = &sp->t[sp->n++];
	memset(t, 0, sizeof *t);
	t->row.account = xstrdup(row->account);
	t->row.region = xstrdup(row->region);
	t->row.cluster = xstrdup(row->cluster);
	t->row.id = xstrdup(row->id);
	t->row.arn = xstrdup(row->arn);
	t->row.doc = json_incref(row->doc);
	t->dep = str(doc, "startedBy");
	t->stopped_at = stopped_at;
	t->live = !same(last, "STOPPED");
	t->up = t->live && same(str(doc, "desiredStatus"), "RUNNING");
	t->running = t->up && same(last, "RUNNING");
	t->guarded = t->up && row->protected_until > sp->now;
	if (t->running) {
		int checked = health_checked(sp, row);
		const char *h = str(doc, "healthStatus");

		t->healthy = !checked || same(h, "HEALTHY");
		t->unhealthy = checked && same(h, "UNHEALTHY");
	}
}

static void
spass_free(struct spass *sp)
{
	for (size_t i = 0; i < sp->n; i++)
		store_task_row_free(&sp->t[i].row);
	free(sp->t);
	json_decref(sp->started);
	json_decref(sp->checks);
}

/* An event, unless the same problem was told less than PROBLEM_REPEAT ago. */
static void
problem_event(struct spass *sp, const char *msg)
{
	json_t *last = json_object_get(sp->state, "problem");

	if (same(str(last, "message"), msg) &&
	    sp->now - numf(last, "at") < PROBLEM_REPEAT)
		return;
	services_event_add(sp->svc, sp->now, "%s", msg);
	json_object_set_new(sp->state, "problem", json_pack("{s:s, s:f}",
	    "message", msg, "at", sp->now));
}

/* Several task ids as ECS lists them: "(task a) (task b)". */
static char *
task_list(json_t *ids)
{
	size_t i, len = 1;
	json_t *v;
	char *out, *p;

	json_array_foreach(ids, i, v)
		len += strlen(json_string_value(v)) + 8;
	out = p = xmalloc(len);
	*p = '\0';
	json_array_foreach(ids, i, v)
		p += sprintf(p, "%s(task %s)", i > 0 ? " " : "",
		    json_string_value(v));
	return out;
}

/* ---- accounting what stopped ---- */

/* One more failed start in a row, for the back-off; for the deployment's
 * circuit breaker too while none of its tasks has run. */
static void
count_failure(struct spass *sp, json_t *dep, const char *dep_id)
{
	int failures = (int)num(sp->state, "failures") + 1;

	if (dep != NULL && !json_is_true(json_object_get(dep_info(sp, dep_id),
	    "succeeded")))
		json_object_set_new(dep, "failedTasks", json_integer(
		    num(dep, "failedTasks") + 1));
	json_object_set_new(sp->state, "failures", json_integer(failures));
}

/* Throttles the next starts once failures come in a row. */
static void
maybe_back_off(struct spass *sp)
{
	int failures = (int)num(sp->state, "failures");

	if (failures < BACKOFF_AFTER)
		return;
	json_object_set_new(sp->state, "backoffUntil", json_real(sp->now +
	    services_backoff_seconds(failures)));
	services_event_add(sp->svc, sp->now, "(service %s) is unable to "
	    "consistently start tasks successfully.", sp->name);
}

/* The RunTask path refused to launch a task of dep. */
static void
launch_failed(struct spass *sp, json_t *dep)
{
	count_failure(sp, dep, str(dep, "id"));
	maybe_back_off(sp);
}

static int
failed_start(json_t *doc)
{
	const char *code = str(doc, "stopCode");
	const char *why = str(doc, "stoppedReason");

	if (same(why, HEALTH_REASON))
		return 1;
	if (same(code, "ServiceSchedulerInitiated") || same(code,
	    "UserInitiated"))
		return 0;
	return json_object_get(doc, "startedAt") == NULL ||
	    same(code, "TaskFailedToStart");
}

/* Stopped on its own soon after it started (a crash loop). */
static int
exited_soon(json_t *doc)
{
	const char *code = str(doc, "stopCode");

	return same(code, "EssentialContainerExited") &&
	    json_object_get(doc, "startedAt") != NULL &&
	    numf(doc, "stoppedAt") - numf(doc, "startedAt") < QUICK_EXIT;
}

static void
account(struct spass *sp)
{
	double mark = numf(sp->state, "watermark");
	int newly = 0;

	for (size_t i = 0; i < sp->n; i++) {
		struct stask *t = &sp->t[i];

		if (t->stopped_at <= 0)
			continue;
		if (t->stopped_at > mark)
			mark = t->stopped_at;
		if (failed_start(t->row.doc)) {
			count_failure(sp, services_deployment_find(sp->svc, t->dep),
			    t->dep);
			newly++;
		} else if (exited_soon(t->row.doc)) {
			count_failure(sp, NULL, NULL);
			newly++;
		}
	}
	json_object_set_new(sp->state, "watermark", json_real(mark));
	if (newly > 0)
		maybe_back_off(sp);
}

/* A deployment with a healthy task has succeeded: its failures no longer
 * count; a task healthy for a while ends the service's failure run. */
static void
note_healthy(struct spass *sp)
{
	for (size_t i = 0; i < sp->n; i++) {
		struct stask *t = &sp->t[i];
		json_t *dep;

		if (!t->healthy)
			continue;
		dep = services_deployment_find(sp->svc, t->dep);
		if (dep != NULL) {
			json_object_set_new(dep_info(sp, t->dep), "succeeded",
			    json_true());
			json_object_set_new(dep, "failedTasks", json_integer(0));
		}
		if (sp->now - numf(t->row.doc, "startedAt") >= BACKOFF_STABLE &&
		    num(sp->state, "failures") > 0) {
			json_object_set_new(sp->state, "failures", json_integer(0));
			json_object_del(sp->state, "backoffUntil");
		}
	}
}

/* ---- stopping ---- */

static int
stop_task(struct spass *sp, struct stask *t, const char *reason)
{
	json_t *doc = t->row.doc;

	if (!same(str(doc, "desiredStatus"), "RUNNING"))
		return 0;
	json_object_set_new(doc, "desiredStatus", json_string("STOPPED"));
	json_object_set_new(doc, "stopCode",
	    json_string("ServiceSchedulerInitiated"));
	json_object_set_new(doc, "stoppedReason", json_string(reason));
	json_object_set_new(doc, "stoppingAt", json_real(sp->now));
	json_object_set_new(doc, "version", json_integer(num(doc, "version") +
	    1));
	t->stop = 1;
	t->up = t->running = t->healthy = t->unhealthy = 0;
	if (sp->touched != NULL)
		json_object_set_new(sp->touched, t->row.arn, json_true());
	return store_task_save(sp->s->store, &sp->part, t->row.cluster,
	    t->row.id, doc) == STORE_ERR ? -1 : 0;
}

static int
stop_chosen_event(struct spass *sp, json_t *ids)
{
	char *list;

	if (json_array_size(ids) == 0)
		return 0;
	list = task_list(ids);
	services_event_add(sp->svc, sp->now, "(service %s) has stopped %zu "
	    "running tasks: %s.", sp->name, json_array_size(ids), list);
	free(list);
	json_object_set_new(sp->state, "steady", json_false());
	return 0;
}

/*
 * Stops up to n tasks of the PRIMARY deployment (primary) or of older ones,
 * in order of preference. A task protected from scale-in is never chosen
 * (unless the service is being deleted); when one held back a stop that
 * was wanted, sp->held says so.
 */
static int
stop_some(struct spass *sp, int n, int primary, json_t *ids)
{
	int skipped = 0, draining = same(sp->row->status, "DRAINING");

	/* preference: not running yet, then unhealthy, then healthy; newest
	 * first within each */
	for (int pass = 0; pass < 3 && n > 0; pass++) {
		for (size_t k = sp->n; k > 0 && n > 0; k--) {
			struct stask *t = &sp->t[k - 1];
			char why[160];

			if (!t->up || t->primary != primary)
				continue;
			if (t->guarded && !draining) {
				skipped = 1;
				continue;
			}
			if ((pass == 0 && t->running) || (pass == 1 &&
			    (!t->running || t->healthy)) || (pass == 2 && !t->healthy))
				continue;
			snprintf(why, sizeof why, "Scaling activity initiated by "
			    "(deployment %s)", t->dep ? t->dep : "");
			if (stop_task(sp, t, why) != 0)
				return -1;
			json_array_append_new(ids, json_string(t->row.id));
			n--;
		}
	}
	if (n > 0 && skipped)
		sp->held = 1;
	return 0;
}

/* RUNNING tasks whose health check fails, past the grace period. */
static int
stop_unhealthy(struct spass *sp, json_t *ids)
{
	double grace = numf(sp->svc, "healthCheckGracePeriodSeconds");

	for (size_t i = 0; i < sp->n; i++) {
		struct stask *t = &sp->t[i];

		if (!t->unhealthy || sp->now - numf(t->row.doc, "startedAt") <
		    grace)
			continue;
		services_event_add(sp->svc, sp->now, "(service %s) (task %s) failed "
		    "container health checks.", sp->name, t->row.id);
		if (stop_task(sp, t, HEALTH_REASON) != 0)
			return -1;
		json_array_append_new(ids, json_string(t->row.id));
	}
	return 0;
}

/* DAEMON: tasks on container instances that are no longer ACTIVE. */
static int
stop_off_instances(struct spass *sp, json_t *active, json_t *ids)
{
	for (size_t i = 0; i < sp->n; i++) {
		struct stask *t = &sp->t[i];
		const char *ci = task_id_of(str(t->row.doc, "containerInstanceArn"));
		char why[160];

		if (!t->up || json_object_get(active, ci) != NULL)
			continue;
		snprintf(why, sizeof why, "Scaling activity initiated by "
		    "(deployment %s)", t->dep ? t->dep : "");
		if (stop_task(sp, t, why) != 0)
			return -1;
		json_array_append_new(ids, json_string(t->row.id));
	}
	return 0;
}

/* ---- starting ---- */

/* The tags a new task gets: the service's or its definition's. */
static json_t *
task_tags(struct spass *sp, json_t *dep)
{
	const char *prop = str(sp->svc, "propagateTags");

	if (same(prop, "SERVICE"))
		return store_tags_get(sp->s->store, str(sp->svc, "serviceArn"));
	if (same(prop, "TASK_DEFINITION"))
		return store_tags_get(sp->s->store, str(dep, "taskDefinition"));
	return json_array();
}

/* A RunTask request for n tasks of deployment dep. */
static json_t *
run_input(struct spass *sp, json_t *dep, int n)
{
	char group[300];
	json_t *in, *v, *constraints;

	snprintf(group, sizeof group, "service:%s", sp->name);
	in = json_pack("{s:s, s:s, s:i, s:s, s:s, s:b, s:o}", "cluster",
	    sp->cluster, "taskDefinition", str(dep, "taskDefinition"), "count", n,
	    "startedBy", str(dep, "id"), "group", group, "enableExecuteCommand",
	    json_is_true(json_object_get(sp->svc, "enableExecuteCommand")),
	    "tags", task_tags(sp, dep));
	if ((v = json_object_get(dep, "launchType")) != NULL)
		json_object_set(in, "launchType", v);
	if (json_array_size(v = json_object_get(dep,
	    "capacityProviderStrategy")) > 0)
		json_object_set(in, "capacityProviderStrategy", v);
	if ((v = json_object_get(dep, "platformVersion")) != NULL)
		json_object_set(in, "platformVersion", v);
	if ((v = json_object_get(dep, "networkConfiguration")) != NULL)
		json_object_set(in, "networkConfiguration", v);
	constraints = json_deep_copy(json_object_get(sp->svc,
	    "placementConstraints"));
	if (!json_is_array(constraints))
		constraints = json_array();
	if (same(str(sp->svc, "schedulingStrategy"), "DAEMON"))
		json_array_append_new(constraints, json_pack("{s:s}", "type",
		    "distinctInstance"));
	if (json_array_size(constraints) > 0)
		json_object_set(in, "placementConstraints", constraints);
	json_decref(constraints);
	if (json_array_size(v = json_object_get(sp->svc, "placementStrategy")) > 0)
		json_object_set(in, "placementStrategy", v);
	return in;
}

/* ECS's words for why no instance could take a task. */
static void
placement_event(struct spass *sp, json_t *failures)
{
	json_t *f = json_array_get(failures, 0);
	const char *reason = str(f, "reason");
	const char *ci = task_id_of(str(f, "arn"));
	char msg[1024], detail[512];

	if (same(reason, "RESOURCE:CPU"))
		snprintf(detail, sizeof detail, "The closest matching "
		    "(container-instance %s) has insufficient CPU units available.",
		    ci);
	else if (same(reason, "RESOURCE:MEMORY"))
		snprintf(detail, sizeof detail, "The closest matching "
		    "(container-instance %s) has insufficient memory available.",
		    ci);
	else if (same(reason, "RESOURCE:PORTS"))
		snprintf(detail, sizeof detail, "The closest matching "
		    "(container-instance %s) is already using a port required by "
		    "your task.", ci);
	else if (same(reason, "DRAINING") || same(reason, "AGENT"))
		snprintf(detail, sizeof detail, "Reason: No Container Instances "
		    "were found in your cluster.");
	else
		snprintf(detail, sizeof detail, "The closest matching "
		    "(container-instance %s) encountered error \"%s\".", ci,
		    reason ? reason : "unknown");
	snprintf(msg, sizeof msg, "(service %s) was unable to place a task "
	    "because no container instance met all of its requirements. %s For "
	    "more information, see the Troubleshooting section of the Amazon ECS "
	    "Developer Guide.", sp->name, detail);
	problem_event(sp, msg);
}

/* Managed tags (enableECSManagedTags) on a task the service started. */
static int
managed_tags(struct spass *sp, const char *task_arn)
{
	json_t *tags = json_pack("[{s:s, s:s}, {s:s, s:s}]", "key",
	    "aws:ecs:serviceName", "value", sp->name, "key",
	    "aws:ecs:clusterName", "value", sp->cluster);
	int rc = store_tags_set(sp->s->store, task_arn, tags);

	json_decref(tags);
	return rc == STORE_OK ? 0 : -1;
}

/*
 * Starts n tasks of dep through op_run_task. -1 only for a store failure
 * (the caller rolls back); a refusal becomes an event and a failed start.
 */
static int
start_tasks(struct spass *sp, json_t *dep, int n)
{
	while (n > 0) {
		int batch = n > RUN_BATCH ? RUN_BATCH : n, rc, fail = 0;
		struct req r;
		json_t *t;
		size_t i;

		memset(&r, 0, sizeof r);
		r.part = sp->part;
		r.store = sp->s->store;
		r.now = now_epoch();
		r.in = run_input(sp, dep, batch);
		r.out = json_object();
		r.scheduler = 1;
		rc = op_run_task(&r);
		if (rc != 0 && r.err == ECS_ERR_SERVER) {
			log_error("sched: service %s: %s", sp->name, r.err_msg ?
			    r.err_msg : "RunTask failed");
			json_decref(r.in);
			json_decref(r.out);
			free(r.err_msg);
			return -1;
		}
		if (rc != 0) {
			char msg[1024];

			snprintf(msg, sizeof msg, "(service %s) failed to launch a task "
			    "with (error %s).", sp->name, r.err_msg ? r.err_msg : "");
			problem_event(sp, msg);
			launch_failed(sp, dep);
			n = 0;
		} else {
			json_array_foreach(json_object_get(r.out, "tasks"), i, t) {
				const char *arn = str(t, "taskArn");

				json_array_append_new(sp->started,
				    json_string(task_id_of(arn)));
				if (sp->touched != NULL && arn != NULL)
					json_object_set_new(sp->touched, arn,
					    json_true());
				if (json_is_true(json_object_get(sp->svc,
				    "enableECSManagedTags")) && managed_tags(sp, arn) != 0)
					fail = 1;
			}
			if (json_array_size(json_object_get(r.out, "tasks")) <
			    (size_t)batch) {
				placement_event(sp, json_object_get(r.out, "failures"));
				n = 0;
			} else {
				n -= batch;
			}
		}
		json_decref(r.in);
		json_decref(r.out);
		free(r.err_msg);
		if (fail)
			return -1;
	}
	return 0;
}

/* ---- deployments and service deployments ---- */

static int
sd_load(struct spass *sp, const char *dep_id, json_t **sd, char *sdid,
    size_t size)
{
	const char *id = str(dep_info(sp, dep_id), "serviceDeployment");

	*sd = NULL;
	if (id == NULL)
		return STORE_NOTFOUND;
	snprintf(sdid, size, "%s", id);
	return store_service_deployment_get(sp->s->store, &sp->part, sp->cluster,
	    sp->name, id, sd);
}

static int
sd_save(struct spass *sp, const char *sdid, const char *dep_id, json_t *sd)
{
	return store_service_deployment_put(sp->s->store, &sp->part, sp->cluster,
	    sp->name, sdid, dep_id, sd) == STORE_OK ? 0 : -1;
}

/* The PRIMARY's service deployment follows its deployment. */
static int
sd_follow(struct spass *sp, json_t *primary)
{
	json_t *sd, *before, *target, *cb;
	char sdid[64];
	const char *id = str(primary, "id");
	int rc = 0;

	if (sd_load(sp, id, &sd, sdid, sizeof sdid) != STORE_OK)
		return 0;
	before = json_deep_copy(sd);
	if (same(str(sd, "status"), "PENDING")) {
		json_object_set_new(sd, "status", json_string("IN_PROGRESS"));
		json_object_set_new(sd, "startedAt", json_real(sp->now));
	}
	target = json_object_get(sd, "targetServiceRevision");
	if (json_object_get(sd, "rollback") == NULL && target != NULL) {
		json_object_set(target, "requestedTaskCount",
		    json_object_get(primary, "desiredCount"));
		json_object_set(target, "runningTaskCount",
		    json_object_get(primary, "runningCount"));
		json_object_set(target, "pendingTaskCount",
		    json_object_get(primary, "pendingCount"));
	}
	cb = json_object_get(sd, "deploymentCircuitBreaker");
	if (cb != NULL && json_object_get(sd, "rollback") == NULL)
		json_object_set(cb, "failureCount",
		    json_object_get(primary, "failedTasks"));
	if (!json_equal(before, sd)) {
		json_object_set_new(sd, "updatedAt", json_real(sp->now));
		rc = sd_save(sp, sdid, id, sd);
	}
	json_decref(before);
	json_decref(sd);
	return rc;
}

/* The PRIMARY finished: COMPLETED, its service deployment SUCCESSFUL. */
static int
complete(struct spass *sp, json_t *primary)
{
	const char *id = str(primary, "id");
	json_t *sd, *cb;
	char sdid[64], *rev;
	int rc = 0;

	json_object_set_new(primary, "rolloutState", json_string("COMPLETED"));
	json_object_set_new(primary, "rolloutStateReason", json_sprintf(
	    "ECS deployment %s completed.", id));
	json_object_set_new(primary, "updatedAt", json_real(sp->now));
	services_event_add(sp->svc, sp->now, "(service %s) (deployment %s) "
	    "deployment completed.", sp->name, id);
	rev = services_revision_arn(&sp->part, sp->cluster, sp->name, id);
	json_object_set_new(sp->state, "lastCompleted", json_pack("{s:s, s:s}",
	    "deployment", id, "revision", rev));
	free(rev);
	if (sd_load(sp, id, &sd, sdid, sizeof sdid) == STORE_OK) {
		const char *status = str(sd, "status");

		if (same(status, "ROLLBACK_IN_PROGRESS"))
			json_object_set_new(sd, "status",
			    json_string("ROLLBACK_SUCCESSFUL"));
		else if (same(status, "PENDING") || same(status, "IN_PROGRESS"))
			json_object_set_new(sd, "status", json_string("SUCCESSFUL"));
		if (json_object_get(sd, "startedAt") == NULL)
			json_object_set_new(sd, "startedAt", json_real(sp->now));
		json_object_set_new(sd, "finishedAt", json_real(sp->now));
		json_object_set_new(sd, "updatedAt", json_real(sp->now));
		cb = json_object_get(sd, "deploymentCircuitBreaker");
		if (same(str(cb, "status"), "MONITORING"))
			json_object_set_new(cb, "status",
			    json_string("MONITORING_COMPLETE"));
		rc = sd_save(sp, sdid, id, sd);
		json_decref(sd);
	}
	return rc;
}

/*
 * The circuit breaker trips: the PRIMARY FAILED; with rollback a new
 * PRIMARY from the last COMPLETED revision.
 */
static int
trip(struct spass *sp, json_t *primary, int rollback)
{
	char id[40], sdid[64], rev_id[32];
	json_t *sd = NULL, *rev = NULL, *cb;
	json_t *last = json_object_get(sp->state, "lastCompleted");
	const char *rev_arn = str(last, "revision"), *slash;
	int rc = -1;

	snprintf(id, sizeof id, "%s", str(primary, "id"));
	json_object_set_new(primary, "rolloutState", json_string("FAILED"));
	json_object_set_new(primary, "rolloutStateReason",
	    json_string(BREAKER_REASON));
	json_object_set_new(primary, "updatedAt", json_real(sp->now));
	services_event_add(sp->svc, sp->now, "(service %s) (deployment %s) "
	    "deployment failed: tasks failed to start.", sp->name, id);
	slash = rev_arn != NULL ? strrchr(rev_arn, '/') : NULL;
	if (slash != NULL)
		snprintf(rev_id, sizeof rev_id, "%s", slash + 1);
	if (rollback && slash != NULL && store_service_revision_get(
	    sp->s->store, &sp->part, sp->cluster, sp->name, rev_id, &rev) ==
	    STORE_OK && sd_load(sp, id, &sd, sdid, sizeof sdid) == STORE_OK) {
		struct services_deploy d = { sp->cluster, sp->svc, sp->state, rev,
		    sp->now, sdid, BREAKER_REASON };

		cb = json_object_get(sd, "deploymentCircuitBreaker");
		if (cb != NULL) {
			json_object_set_new(cb, "status", json_string("TRIGGERED"));
			json_object_set(cb, "failureCount",
			    json_object_get(primary, "failedTasks"));
			if (sd_save(sp, sdid, id, sd) != 0)
				goto out;
		}
		services_event_add(sp->svc, sp->now, "(service %s) rolling back to "
		    "deployment %s.", sp->name, str(last, "deployment"));
		if (services_deploy(sp->s->store, &sp->part, &d) != STORE_OK)
			goto out;
		sp->again = 1;
		rc = 0;
		goto out;
	}
	if (sd_load(sp, id, &sd, sdid, sizeof sdid) == STORE_OK) {
		json_object_set_new(sd, "status", json_string("STOPPED"));
		json_object_set_new(sd, "statusReason", json_string(BREAKER_REASON));
		json_object_set_new(sd, "stoppedAt", json_real(sp->now));
		json_object_set_new(sd, "finishedAt", json_real(sp->now));
		json_object_set_new(sd, "updatedAt", json_real(sp->now));
		cb = json_object_get(sd, "deploymentCircuitBreaker");
		if (cb != NULL) {
			json_object_set_new(cb, "status", json_string("TRIGGERED"));
			json_object_set(cb, "failureCount",
			    json_object_get(primary, "failedTasks"));
		}
		if (sd_save(sp, sdid, id, sd) != 0)
			goto out;
	}
	rc = 0;
out:
	json_decref(sd);
	json_decref(rev);
	return rc;
}

/* Older deployments with no task left leave deployments[]. */
static void
drop_drained(struct spass *sp)
{
	json_t *deps = json_object_get(sp->svc, "deployments");
	json_t *infos = json_object_get(sp->state, "deployments");

	for (size_t i = json_array_size(deps); i > 1; i--) {
		const char *id = str(json_array_get(deps, i - 1), "id");
		int live = 0;

		for (size_t k = 0; k < sp->n; k++)
			if (sp->t[k].live && same(sp->t[k].dep, id))
				live = 1;
		if (live)
			continue;
		json_object_del(infos, id);
		json_array_remove(deps, i - 1);
	}
}

/* ---- the pass over one service ---- */

/* DAEMON: the ids of the cluster's ACTIVE container instances. */
static json_t *
active_instances(struct spass *sp)
{
	struct instance_row *rows = NULL;
	json_t *ids = json_object();
	size_t n = 0;

	if (store_instances_list(sp->s->store, &sp->part, sp->cluster, "ACTIVE",
	    0, NULL, &rows, &n) == STORE_OK) {
		for (size_t i = 0; i < n; i++)
			json_object_set_new(ids, rows[i].id, json_true());
	}
	store_instance_rows_free(rows, n);
	return ids;
}

static int
decide(struct spass *sp)
{
	json_t *deps = json_object_get(sp->svc, "deployments");
	json_t *primary = json_array_get(deps, 0);
	json_t *dc = json_object_get(sp->svc, "deploymentConfiguration");
	json_t *cbreak = json_object_get(dc, "deploymentCircuitBreaker");
	json_t *stopped = json_array(), *active = NULL;
	int draining = same(sp->row->status, "DRAINING");
	int daemon = same(str(sp->svc, "schedulingStrategy"), "DAEMON");
	struct rollout in;
	struct rollout_plan plan;
	int rc = -1, desired;

	if (primary == NULL) {
		rc = 0;
		goto out;
	}
	if (daemon) {
		active = active_instances(sp);
		if (!draining) {
			json_object_set_new(sp->svc, "desiredCount",
			    json_integer((json_int_t)json_object_size(active)));
			json_object_set(primary, "desiredCount",
			    json_object_get(sp->svc, "desiredCount"));
		}
		if (stop_off_instances(sp, active, stopped) != 0)
			goto out;
	}
	desired = draining ? 0 : (int)num(sp->svc, "desiredCount");
	if (stop_unhealthy(sp, stopped) != 0)
		goto out;

	/* the circuit breaker */
	if (!draining && same(str(primary, "rolloutState"), "IN_PROGRESS") &&
	    json_is_true(json_object_get(cbreak, "enable")) &&
	    num(primary, "failedTasks") >= services_breaker_threshold(desired)) {
		if (trip(sp, primary, json_is_true(json_object_get(cbreak,
		    "rollback"))) != 0)
			goto out;
		if (sp->again) {
			rc = stop_chosen_event(sp, stopped);
			goto out;
		}
	}

	/* the plan */
	memset(&in, 0, sizeof in);
	in.desired = desired;
	in.min_pct = (int)num(dc, "minimumHealthyPercent");
	in.max_pct = json_object_get(dc, "maximumPercent") ?
	    (int)num(dc, "maximumPercent") : 200;
	for (size_t i = 0; i < sp->n; i++) {
		struct stask *t = &sp->t[i];

		t->primary = same(t->dep, str(primary, "id"));
		if (t->live)
			in.live++;
		if (!t->up)
			continue;
		if (t->primary) {
			in.primary_up++;
			in.primary_healthy += t->healthy;
		} else {
			in.old_up++;
			in.old_healthy += t->healthy;
		}
	}
	services_plan(&in, &plan);
	if (stop_some(sp, plan.stop_primary, 1, stopped) != 0)
		goto out;
	/* older tasks not healthy first, then healthy ones minimum allows */
	if (stop_some(sp, plan.stop_old_unhealthy, 0, stopped) != 0)
		goto out;
	if (stop_some(sp, plan.stop_old_healthy, 0, stopped) != 0)
		goto out;
	stop_chosen_event(sp, stopped);
	if (sp->held) {
		char msg[256];
		int guarded = 0;

		for (size_t i = 0; i < sp->n; i++)
			guarded += sp->t[i].guarded;
		snprintf(msg, sizeof msg, "(service %s) was unable to scale in: "
		    "%d of its tasks are protected from scale-in.", sp->name,
		    guarded);
		problem_event(sp, msg);
	}
	if (plan.start > 0 && numf(sp->state, "backoffUntil") <= sp->now) {
		if (start_tasks(sp, primary, plan.start) != 0)
			goto out;
		if (json_array_size(sp->started) > 0) {
			char *list = task_list(sp->started);

			services_event_add(sp->svc, sp->now, "(service %s) has started "
			    "%zu tasks: %s.", sp->name, json_array_size(sp->started),
			    list);
			free(list);
			json_object_set_new(sp->state, "steady", json_false());
			sp->flux = 1;
		}
	}
	if (json_array_size(stopped) > 0)
		sp->flux = 1;
	rc = 0;
out:
	json_decref(stopped);
	json_decref(active);
	return rc;
}

/* After acting: drained deployments, completion, steady state, INACTIVE. */
static int
finish(struct spass *sp)
{
	json_t *deps = json_object_get(sp->svc, "deployments");
	json_t *primary;
	int draining = same(sp->row->status, "DRAINING"), live = 0, up = 0;
	int healthy = 0, desired;

	drop_drained(sp);
	for (size_t i = 0; i < sp->n; i++) {
		struct stask *t = &sp->t[i];

		live += t->live;
		if (t->live && !t->running)
			sp->flux = 1;
		if (t->primary) {
			up += t->up;
			healthy += t->healthy;
		}
	}
	if (services_counts_refresh(sp->s->store, &sp->part, sp->cluster,
	    sp->svc) != STORE_OK)
		return -1;
	if (draining) {
		if (live == 0 && json_array_size(sp->started) == 0) {
			json_object_set_new(sp->svc, "status", json_string("INACTIVE"));
			return 0;
		}
		sp->flux = 1;
		return 0;
	}
	primary = json_array_get(deps, 0);
	if (primary == NULL)
		return 0;
	desired = (int)num(sp->svc, "desiredCount");
	if (same(str(primary, "rolloutState"), "IN_PROGRESS") &&
	    json_array_size(deps) == 1 && up == desired && healthy == desired &&
	    json_array_size(sp->started) == 0 && complete(sp, primary) != 0)
		return -1;
	if (sd_follow(sp, primary) != 0)
		return -1;
	if (json_array_size(deps) == 1 && !same(str(primary, "rolloutState"),
	    "IN_PROGRESS") && num(sp->svc, "runningCount") == desired &&
	    num(sp->svc, "pendingCount") == 0 && live == desired &&
	    (!json_is_true(json_object_get(sp->state, "steady")) ||
	    sp->now - numf(sp->state, "steadyAt") >= STEADY_REPEAT)) {
		services_event_add(sp->svc, sp->now, "(service %s) has reached a "
		    "steady state.", sp->name);
		json_object_set_new(sp->state, "steady", json_true());
		json_object_set_new(sp->state, "steadyAt", json_real(sp->now));
	}
	return 0;
}

/* Deployment updatedAt follows any change of its counts. */
static void
touch_changed(json_t *before, json_t *svc, double now)
{
	json_t *d;
	size_t i;

	json_array_foreach(json_object_get(svc, "deployments"), i, d) {
		json_t *old = services_deployment_find(before, str(d, "id"));

		if (old != NULL && (num(old, "runningCount") != num(d,
		    "runningCount") || num(old, "pendingCount") != num(d,
		    "pendingCount") || num(old, "failedTasks") != num(d,
		    "failedTasks")))
			json_object_set_new(d, "updatedAt", json_real(now));
	}
}

/* EXTERNAL (and CODE_DEPLOY) services: task sets do the work. */
static int
reconcile_task_sets(struct spass *sp, int *changed)
{
	struct req r;
	int rc = 0;

	*changed = 0;
	if (!same(str(json_object_get(sp->svc, "deploymentController"), "type"),
	    "EXTERNAL"))
		return 0;
	memset(&r, 0, sizeof r);
	r.part = sp->part;
	r.store = sp->s->store;
	r.now = sp->now;
	r.out = json_object();
	if (task_sets_reconcile(&r, sp->row, changed) != 0) {
		log_warn("sched: service %s: task sets: %s", sp->name,
		    r.err_msg ? r.err_msg : "failed");
		rc = r.err == ECS_ERR_SERVER ? -1 : 0;
	}
	json_decref(r.out);
	free(r.err_msg);
	return rc;
}

static void
live_cb(void *arg, struct task_row *row, double stopped_at)
{
	(void)stopped_at;
	json_object_set_new(arg, row->arn, json_true());
}

/*
 * One service, one transaction. 1 when it wants another pass soon. With
 * touched (a targeted pass), the ARNs of the tasks it started or stopped
 * are added there for the pass to advance.
 */
static int
reconcile(struct sched *s, const struct part *p, const char *cluster,
    const char *name, json_t *touched)
{
	struct service_row row;
	struct spass sp;
	json_t *before = NULL, *state_before = NULL;
	const char *ctl;
	int rc = -1, changed = 0;

	memset(&row, 0, sizeof row);
	memset(&sp, 0, sizeof sp);
	if (store_begin(s->store, 1) != 0)
		return 0;
	if (store_service_get(s->store, p, cluster, name, &row) != STORE_OK ||
	    same(row.status, "INACTIVE")) {
		rc = 0;
		goto out;
	}
	sp.s = s;
	sp.part = *p;
	sp.row = &row;
	sp.svc = row.doc;
	sp.state = row.state;
	sp.name = row.name;
	sp.cluster = row.cluster;
	sp.now = now_epoch();
	sp.started = json_array();
	sp.checks = json_object();
	sp.touched = touched;
	before = json_deep_copy(row.doc);
	state_before = json_deep_copy(row.state);
	if (store_service_tasks(s->store, p, cluster, name,
	    numf(row.state, "watermark"), collect_cb, &sp) != STORE_OK)
		goto out;
	ctl = str(json_object_get(row.doc, "deploymentController"), "type");
	if (ctl != NULL && !same(ctl, "ECS")) {
		int live = 0;

		if (reconcile_task_sets(&sp, &changed) != 0)
			goto out;
		/* The task sets part does not say which tasks it started or
		 * stopped: the pass advances every live one. */
		if (touched != NULL && store_service_tasks(s->store, p, cluster,
		    name, 1e18, live_cb, touched) != STORE_OK)
			goto out;
		for (size_t i = 0; i < sp.n; i++)
			live += sp.t[i].live;
		if (same(row.status, "DRAINING") && live == 0)
			json_object_set_new(row.doc, "status", json_string("INACTIVE"));
		sp.flux = live > 0 && same(row.status, "DRAINING");
	} else {
		account(&sp);
		note_healthy(&sp);
		if (decide(&sp) != 0 || finish(&sp) != 0)
			goto out;
		touch_changed(before, row.doc, sp.now);
	}
	if ((changed || !json_equal(before, row.doc) ||
	    !json_equal(state_before, row.state)) && store_service_put(s->store,
	    p, cluster, name, row.doc, row.state) != STORE_OK)
		goto out;
	rc = 0;
out:
	if (rc == 0 && store_commit(s->store) != 0)
		rc = -1;
	if (rc != 0) {
		log_error("sched: service %s/%s: %s", cluster, name,
		    store_errmsg(s->store));
		store_rollback(s->store);
	}
	json_decref(before);
	json_decref(state_before);
	spass_free(&sp);
	store_service_row_free(&row);
	return rc == 0 && (sp.flux || sp.again);
}

/* ---- the pass over every service --------------------------------------- */

struct svc_key {
	char *account, *region, *cluster, *name;
};

struct svc_keys {
	struct svc_key *k;
	size_t n, cap;
};

static void
key_cb(void *arg, struct service_row *row)
{
	struct svc_keys *ks = arg;

	if (ks->n == ks->cap) {
		ks->cap = ks->cap ? ks->cap * 2 : 16;
		ks->k = xrealloc(ks->k, ks->cap * sizeof *ks->k);
	}
	ks->k[ks->n].account = xstrdup(row->account);
	ks->k[ks->n].region = xstrdup(row->region);
	ks->k[ks->n].cluster = xstrdup(row->cluster);
	ks->k[ks->n].name = xstrdup(row->name);
	ks->n++;
}

static void
expire(struct sched *s, double now)
{
	static double last;
	int n;

	if (now - last < EXPIRE_EVERY)
		return;
	last = now;
	if (store_begin(s->store, 1) != 0)
		return;
	n = store_services_expire(s->store, now - s->cfg->task_retention);
	if (n < 0 || store_commit(s->store) != 0)
		store_rollback(s->store);
	else if (n > 0)
		log_debug("sched: forgot %d INACTIVE services past retention", n);
}

/* arn:aws:ecs:<region>:<account>:service/<cluster>/<name> (heap). */
char *
services_arn(const struct part *p, const char *cluster, const char *name)
{
	char *arn;

	xasprintf(&arn, "arn:aws:ecs:%s:%s:service/%s/%s", p->region,
	    p->account, cluster, name);
	return arn;
}

/* One service again within FLUX_POLL_MS, by itself (a targeted pass). */
static void
poll_again(struct sched *s, const struct part *p, const char *cluster,
    const char *name)
{
	char *arn = services_arn(p, cluster, name);

	sched_kick_service(s, arn, FLUX_POLL_MS);
	free(arn);
}

/*
 * A targeted pass: the service an ARN names, if it is ACTIVE or DRAINING;
 * the ARNs of the tasks it starts or stops go into touched.
 */
void
services_reconcile_arn(struct sched *s, const char *arn, json_t *touched)
{
	char account[16], region[32], cluster[256], name[256];
	struct part p = { account, region };

	if (arn == NULL || sscanf(arn, "arn:aws:ecs:%31[^:]:%15[^:]:service/"
	    "%255[^/]/%255s", region, account, cluster, name) != 4)
		return;
	if (reconcile(s, &p, cluster, name, touched))
		poll_again(s, &p, cluster, name);
}

/*
 * Called at the start of every full pass: each ACTIVE or DRAINING service
 * gets its reconcile, before the task chains look at the tasks it started
 * or stopped. A service in motion is polled again by itself.
 */
void
services_pass(struct sched *s)
{
	struct svc_keys ks;

	memset(&ks, 0, sizeof ks);
	expire(s, now_epoch());
	if (store_begin(s->store, 0) != 0)
		return;
	store_services_live(s->store, key_cb, &ks);
	store_commit(s->store);
	for (size_t i = 0; i < ks.n; i++) {
		struct part p = { ks.k[i].account, ks.k[i].region };

		if (reconcile(s, &p, ks.k[i].cluster, ks.k[i].name, NULL))
			poll_again(s, &p, ks.k[i].cluster, ks.k[i].name);
		free(ks.k[i].account);
		free(ks.k[i].region);
		free(ks.k[i].cluster);
		free(ks.k[i].name);
	}
	free(ks.k);
}
