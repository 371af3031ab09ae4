/*
 * task_sets.c - task sets, the unit of deployment of a service whose
 * deploymentController is EXTERNAL: CreateTaskSet, UpdateTaskSet,
 * DeleteTaskSet, DescribeTaskSets, UpdateServicePrimaryTaskSet, and the
 * two calls the service part makes: task_sets_refresh (recount before
 * showing a service) and task_sets_reconcile (the scheduler's pass).
 *
 * A task set is an entry of its service's taskSets[] (the Service document
 * of store/services.c, written back whole with store_service_put), in the
 * botocore TaskSet shape without tags (they live in the tags table under
 * the task set's ARN). Its tasks are service tasks with startedBy = the
 * task set's id `ecs-svc/<19 digits>` and group `service:<name>`; what it
 * has (runningCount, pendingCount) is counted from those task rows, what it
 * wants is computedDesiredCount = ceil(service desiredCount * scale% / 100),
 * and it is STEADY_STATE when it has exactly that with nothing pending or
 * stopping.
 *
 *   CreateTaskSet ──> ACTIVE ──UpdateServicePrimaryTaskSet──> PRIMARY
 *                       ^ │                                      │
 *                       │ └────────────DeleteTaskSet───────┐     │ another
 *                       └──────────────────────────────────┼─────┘ becomes
 *                                                          v       PRIMARY
 *                  removed from taskSets[] <──(no task)── DRAINING
 *
 * The reconcile pass (task_sets_reconcile) starts missing tasks through
 * op_run_task and stops extra ones as the service scheduler does
 * (ServiceSchedulerInitiated); a DRAINING task set wants none, and leaves
 * taskSets[] once its last task is STOPPED (task_sets_refresh hides it from
 * then on even before a pass writes that).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

#define MAX_TASK_SETS 5           /* ECS: task sets per service */
#define TS_PREFIX "ecs-svc/"
#define TS_DIGITS 19
#define RUN_BATCH 10              /* RunTask's count limit */
#define FARGATE_PLATFORM "1.4.0"

/* The service a task set request names, loaded. */
struct svc_ctx {
	char cluster[256];        /* cluster name */
	char name[256];           /* service name */
	struct service_row row;   /* the service (doc owned) */
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

/* ---- finding the service and the task set ---- */

/* Which service states a request accepts. */
enum need { NEED_LIVE, NEED_ACTIVE };

/*
 * Loads the service named by the request's `cluster` and `service` into c:
 * the cluster must be ACTIVE, the service there, ACTIVE (or, for NEED_LIVE,
 * DRAINING), and run by the EXTERNAL deployment controller.
 */
static int
svc_open(struct req *r, enum need need, struct svc_ctx *c)
{
	const char *ref = in_str(r, "service");
	const char *controller;
	struct arn a;
	int rc;

	memset(c, 0, sizeof *c);
	if (clusters_require_active(r, in_str(r, "cluster"), c->cluster,
	    sizeof c->cluster) != 0)
		return -1;
	if (ref != NULL && strncmp(ref, "arn:", 4) == 0 &&
	    (arn_parse(ref, &a) != 0 || a.kind != ARN_SERVICE ||
	    !same(a.region, r->part.region) || !same(a.account, r->part.account)))
		return api_fail(r, ECS_ERR_SERVICE_NOT_FOUND, "Service not found.");
	if (arn_name(ref, "service", c->name, sizeof c->name) != 0)
		return api_fail(r, ECS_ERR_SERVICE_NOT_FOUND, "Service not found.");
	rc = store_service_get(r->store, &r->part, c->cluster, c->name, &c->row);
	if (rc == STORE_NOTFOUND)
		return api_fail(r, ECS_ERR_SERVICE_NOT_FOUND, "Service not found.");
	if (rc != STORE_OK)
		return api_fail(r, ECS_ERR_SERVER, "The store could not read the "
		    "service: %s", store_errmsg(r->store));
	if (same(c->row.status, "INACTIVE") ||
	    (need == NEED_ACTIVE && !same(c->row.status, "ACTIVE")))
		return api_fail(r, ECS_ERR_SERVICE_NOT_ACTIVE,
		    "Service was not ACTIVE.");
	controller = str(json_object_get(c->row.doc, "deploymentController"),
	    "type");
	if (!same(controller, "EXTERNAL"))
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Amazon ECS only "
		    "supports task set management on services configured to use "
		    "external deployment controllers.");
	return 0;
}

/* The service's taskSets[] (created when missing). */
static json_t *
sets_of(json_t *doc)
{
	json_t *sets = json_object_get(doc, "taskSets");

	if (!json_is_array(sets)) {
		sets = json_array();
		json_object_set_new(doc, "taskSets", sets);
	}
	return sets;
}

/* "ecs-svc/" and 1 to 20 digits. */
static int
id_valid(const char *s)
{
	size_t n = strlen(TS_PREFIX), i;

	if (s == NULL || strncmp(s, TS_PREFIX, n) != 0)
		return 0;
	for (i = n; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
	}
	return i > n && i - n <= 20;
}

/*
 * The task set id a reference names: the id itself, or a task-set ARN. 0
 * with id filled; 1 when the reference is well formed but cannot name a
 * task set of this service (another cluster, service, region or account);
 * -1 when it is no task set identifier at all.
 */
static int
ref_id(struct req *r, const struct svc_ctx *c, const char *ref, char *id,
    size_t size)
{
	struct arn a;
	const char *slash;

	if (ref == NULL)
		return -1;
	if (strncmp(ref, "arn:", 4) != 0) {
		if (!id_valid(ref) || strlen(ref) >= size)
			return -1;
		snprintf(id, size, "%s", ref);
		return 0;
	}
	if (arn_parse(ref, &a) != 0 || a.kind != ARN_TASK_SET)
		return -1;
	slash = strchr(a.name, '/');
	if (slash == NULL || !id_valid(slash + 1) || strlen(slash + 1) >= size)
		return -1;
	if (!same(a.region, r->part.region) || !same(a.account,
	    r->part.account) || !same(a.cluster, c->cluster) ||
	    strncmp(a.name, c->name, (size_t)(slash - a.name)) != 0 ||
	    c->name[slash - a.name] != '\0')
		return 1;
	snprintf(id, size, "%s", slash + 1);
	return 0;
}

static char *
ts_arn(struct req *r, const struct svc_ctx *c, const char *id)
{
	char rest[600];

	snprintf(rest, sizeof rest, "%s/%s/%s", c->cluster, c->name, id);
	return arn_make(&r->part, "task-set", rest);
}

static json_t *
ts_find(json_t *doc, const char *id, size_t *index)
{
	json_t *sets = json_object_get(doc, "taskSets"), *ts;
	size_t i;

	json_array_foreach(sets, i, ts) {
		if (same(str(ts, "id"), id)) {
			if (index != NULL)
				*index = i;
			return ts;
		}
	}
	return NULL;
}

/*
 * The task set a single-task-set operation names (`member`), or -1 with
 * InvalidParameterException (not an identifier) or TaskSetNotFoundException.
 */
static json_t *
ts_named(struct req *r, const struct svc_ctx *c, const char *member)
{
	char id[64];
	json_t *ts = NULL;
	int rc = ref_id(r, c, in_str(r, member), id, sizeof id);

	if (rc < 0) {
		api_fail(r, ECS_ERR_INVALID_PARAMETER, "Task Set Identifier is "
		    "invalid");
		return NULL;
	}
	if (rc == 0)
		ts = ts_find(c->row.doc, id, NULL);
	if (ts == NULL)
		api_fail(r, ECS_ERR_TASK_SET_NOT_FOUND, "The specified task set "
		    "does not exist.");
	return ts;
}

/* ---- what a task set has and wants ---- */

static double
scale_of(json_t *ts)
{
	return json_number_value(json_object_get(json_object_get(ts, "scale"),
	    "value"));
}

/* ceil(desired * percent / 100); DRAINING task sets and services want none. */
static int
computed_desired(json_t *svc_doc, json_t *ts)
{
	double want;

	if (!same(str(svc_doc, "status"), "ACTIVE") ||
	    same(str(ts, "status"), "DRAINING"))
		return 0;
	want = (double)json_integer_value(json_object_get(svc_doc,
	    "desiredCount")) * scale_of(ts) / 100.0;
	/* 1e-9: 3 x 33.333333% is 1, not 2 through a rounding error. */
	return (int)ceil(want - 1e-9);
}

static int
set_int(json_t *o, const char *key, json_int_t v)
{
	json_t *old = json_object_get(o, key);

	if (json_is_integer(old) && json_integer_value(old) == v)
		return 0;
	json_object_set_new(o, key, json_integer(v));
	return 1;
}

/*
 * Writes the computed members of one task set from its task rows. *gone is
 * set when it is DRAINING with no task left (it leaves taskSets[]).
 * Returns 1 when a member changed, 0 when none did, -1 on a store error.
 */
static int
refresh_one(struct req *r, const char *cluster, json_t *svc_doc, json_t *ts,
    int *gone)
{
	struct task_set_counts n;
	const char *stability;
	int want = computed_desired(svc_doc, ts), changed = 0;

	*gone = 0;
	if (store_task_set_counts(r->store, &r->part, cluster, str(ts, "id"),
	    &n) != STORE_OK)
		return api_fail(r, ECS_ERR_SERVER, "The store could not count the "
		    "task set's tasks: %s", store_errmsg(r->store));
	changed |= set_int(ts, "computedDesiredCount", want);
	changed |= set_int(ts, "runningCount", n.running);
	changed |= set_int(ts, "pendingCount", n.pending);
	stability = n.running == want && n.pending == 0 && n.stopping == 0 ?
	    "STEADY_STATE" : "STABILIZING";
	if (!same(str(ts, "stabilityStatus"), stability)) {
		json_object_set_new(ts, "stabilityStatus", json_string(stability));
		json_object_set_new(ts, "stabilityStatusAt", json_real(r->now));
		changed = 1;
	}
	if (same(str(ts, "status"), "DRAINING") &&
	    n.running + n.pending + n.stopping == 0) {
		*gone = 1;
		changed = 1;
	}
	return changed;
}

/*
 * Recounts every task set of a service document (doc, the service in
 * `cluster` of the request's partition) from the task rows, and drops the
 * DRAINING ones that have no task left; for DescribeServices and every
 * answer here. `removed` (may be NULL) receives the ARNs of the dropped
 * ones. Returns 1 if doc changed, 0 if not, -1 on a store error.
 */
static int
refresh_all(struct req *r, const char *cluster, json_t *doc, json_t *removed)
{
	json_t *sets = json_object_get(doc, "taskSets"), *ts;
	size_t i = 0;
	int changed = 0, gone, rc;

	while (i < json_array_size(sets)) {
		ts = json_array_get(sets, i);
		rc = refresh_one(r, cluster, doc, ts, &gone);
		if (rc < 0)
			return -1;
		changed |= rc;
		if (gone) {
			if (removed != NULL)
				json_array_append(removed, json_object_get(ts,
				    "taskSetArn"));
			json_array_remove(sets, i);
			continue;
		}
		i++;
	}
	return changed;
}

int
task_sets_refresh(struct req *r, const char *cluster, json_t *doc)
{
	return refresh_all(r, cluster, doc, NULL) < 0 ? -1 : 0;
}

/* Forgets the tags of task sets that left taskSets[]. */
static int
tags_forget(struct req *r, json_t *arns)
{
	json_t *v;
	size_t i;

	json_array_foreach(arns, i, v) {
		if (store_tags_clear(r->store, json_string_value(v)) != STORE_OK)
			return api_fail(r, ECS_ERR_SERVER, "The tags could not be "
			    "removed.");
	}
	return 0;
}

/* Refreshes the loaded doc and drops what drained, with its tags. */
static int
prune(struct req *r, struct svc_ctx *c)
{
	json_t *removed = json_array();
	int rc = -1;

	if (refresh_all(r, c->cluster, c->row.doc, removed) >= 0 &&
	    tags_forget(r, removed) == 0)
		rc = 0;
	json_decref(removed);
	return rc;
}

/* Prunes the loaded doc and writes it back. */
static int
svc_save(struct req *r, struct svc_ctx *c)
{
	if (prune(r, c) != 0)
		return -1;
	if (store_service_put(r->store, &r->part, c->cluster, c->name,
	    c->row.doc, NULL) != STORE_OK)
		return api_fail(r, ECS_ERR_SERVER, "The store could not save the "
		    "service: %s", store_errmsg(r->store));
	return 0;
}

/* The task set as an answer shows it, with its tags when asked. */
static json_t *
ts_view(struct req *r, json_t *ts, int with_tags)
{
	json_t *v = json_deep_copy(ts), *tags;

	if (with_tags) {
		tags = store_tags_get(r->store, str(ts, "taskSetArn"));
		json_object_set_new(v, "tags", tags != NULL ? tags : json_array());
	}
	return v;
}

static void
svc_close(struct svc_ctx *c)
{
	store_service_row_free(&c->row);
}

/* ---- validation shared by CreateTaskSet and UpdateTaskSet ---- */

static int
scale_check(struct req *r, json_t *scale)
{
	double v = json_number_value(json_object_get(scale, "value"));

	if (scale != NULL && (!json_is_number(json_object_get(scale, "value")) ||
	    v < 0 || v > 100 || isnan(v)))
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "The scale value "
		    "must be a percentage between 0 and 100.");
	return 0;
}

static json_t *
scale_doc(json_t *scale)
{
	double v = scale != NULL ? json_number_value(json_object_get(scale,
	    "value")) : 0.0;

	return json_pack("{s:f, s:s}", "value", v, "unit", "PERCENT");
}

/* The launch type tasks of the request run with: launchType, else from the
 * capacity provider strategy, else EC2. */
static const char *
launch_type_of(struct req *r)
{
	json_t *cps = in_get(r, "capacityProviderStrategy"), *item;
	const char *lt = in_str(r, "launchType");
	size_t i;

	if (lt != NULL)
		return lt;
	json_array_foreach(cps, i, item) {
		const char *cp = str(item, "capacityProvider");

		if (cp != NULL && strncmp(cp, "FARGATE", 7) == 0)
			return "FARGATE";
	}
	return "EC2";
}

/* What RunTask would refuse for these tasks, refused now rather than on
 * every pass of the scheduler. */
static int
launch_check(struct req *r, json_t *td, const char *lt)
{
	json_t *compat = json_object_get(td, "compatibilities"), *e;
	json_t *nc = in_get(r, "networkConfiguration");
	json_t *vpc = json_object_get(nc, "awsvpcConfiguration");
	const char *mode = str(td, "networkMode");
	size_t i;
	int ok = !json_is_array(compat);

	if (in_str(r, "launchType") != NULL &&
	    json_array_size(in_get(r, "capacityProviderStrategy")) > 0)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Specifying both a "
		    "launch type and capacity provider strategy is not supported. "
		    "Remove one and try again.");
	json_array_foreach(compat, i, e) {
		if (same(json_string_value(e), lt))
			ok = 1;
	}
	if (!ok)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Task definition does "
		    "not support launch_type %s.", lt);
	if (same(mode, "awsvpc") && (!json_is_object(vpc) ||
	    json_array_size(json_object_get(vpc, "subnets")) == 0))
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Network "
		    "Configuration must be provided when networkMode 'awsvpc' is "
		    "specified.");
	if (!same(mode, "awsvpc") && json_is_object(vpc))
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Network "
		    "Configuration is not valid for the given networkMode of this "
		    "task definition.");
	return 0;
}

/* A new task set id: "ecs-svc/" and 19 digits, the first not 0. */
static void
new_id(char *out, size_t size)
{
	char hex[17];
	unsigned long long v;

	random_hex(hex, 16);
	v = strtoull(hex, NULL, 16) % 9000000000000000000ULL +
	    1000000000000000000ULL;
	snprintf(out, size, TS_PREFIX "%llu", v);
}

/* The networkConfiguration a task set keeps: as given, assignPublicIp
 * DISABLED unless given. */
static json_t *
netconf_doc(json_t *nc)
{
	json_t *copy = json_deep_copy(nc);
	json_t *vpc = json_object_get(copy, "awsvpcConfiguration");

	if (json_is_object(vpc) && json_object_get(vpc, "assignPublicIp") == NULL)
		json_object_set_new(vpc, "assignPublicIp", json_string("DISABLED"));
	return copy;
}

/* ---- operations ---- */

int
op_create_task_set(struct req *r)
{
	struct svc_ctx c;
	json_t *td = NULL, *tags = in_get(r, "tags"), *ts, *sets, *v;
	const char *lt;
	char id[64], *arn = NULL;
	int rc = -1;

	if (svc_open(r, NEED_ACTIVE, &c) != 0)
		goto out;
	if (taskdef_resolve(r, in_str(r, "taskDefinition"), &td) != 0)
		goto out;
	if (!same(str(td, "status"), "ACTIVE")) {
		api_fail(r, ECS_ERR_CLIENT, "TaskDefinition is inactive");
		goto out;
	}
	lt = launch_type_of(r);
	if (launch_check(r, td, lt) != 0 || scale_check(r, in_get(r, "scale")) !=
	    0 || tags_validate(r, tags, NULL) != 0)
		goto out;
	if (prune(r, &c) != 0)
		goto out;
	sets = sets_of(c.row.doc);
	if (json_array_size(sets) >= MAX_TASK_SETS) {
		api_fail(r, ECS_ERR_INVALID_PARAMETER, "%zu deployments exist on "
		    "the service. Unable to create new TaskSet since this exceeds "
		    "the maximum limit.", json_array_size(sets));
		goto out;
	}
	do {
		new_id(id, sizeof id);
	} while (ts_find(c.row.doc, id, NULL) != NULL);
	arn = ts_arn(r, &c, id);
	ts = json_pack("{s:s, s:s, s:O, s:O, s:s, s:O, s:i, s:i, s:i, "
	    "s:f, s:f, s:o, s:s, s:f}",
	    "id", id, "taskSetArn", arn,
	    "serviceArn", json_object_get(c.row.doc, "serviceArn"),
	    "clusterArn", json_object_get(c.row.doc, "clusterArn"),
	    "status", "ACTIVE",
	    "taskDefinition", json_object_get(td, "taskDefinitionArn"),
	    "computedDesiredCount", 0, "pendingCount", 0, "runningCount", 0,
	    "createdAt", r->now, "updatedAt", r->now,
	    "scale", scale_doc(in_get(r, "scale")),
	    "stabilityStatus", "STABILIZING", "stabilityStatusAt", r->now);
	if (in_str(r, "externalId") != NULL)
		json_object_set(ts, "externalId", in_get(r, "externalId"));
	v = in_get(r, "capacityProviderStrategy");
	if (json_array_size(v) > 0)
		json_object_set(ts, "capacityProviderStrategy", v);
	else
		json_object_set_new(ts, "launchType", json_string(lt));
	if (same(lt, "FARGATE")) {
		const char *pv = in_str(r, "platformVersion");

		json_object_set_new(ts, "platformVersion", json_string(pv == NULL ||
		    same(pv, "LATEST") ? FARGATE_PLATFORM : pv));
		json_object_set_new(ts, "platformFamily", json_string("Linux"));
	}
	if (in_get(r, "networkConfiguration") != NULL)
		json_object_set_new(ts, "networkConfiguration",
		    netconf_doc(in_get(r, "networkConfiguration")));
	v = in_get(r, "loadBalancers");
	json_object_set_new(ts, "loadBalancers", v != NULL ? json_deep_copy(v) :
	    json_array());
	v = in_get(r, "serviceRegistries");
	json_object_set_new(ts, "serviceRegistries", v != NULL ?
	    json_deep_copy(v) : json_array());
	json_array_append_new(sets, ts);
	if (json_array_size(tags) > 0 &&
	    store_tags_set(r->store, arn, tags) != STORE_OK) {
		api_fail(r, ECS_ERR_SERVER, "The tags could not be saved.");
		goto out;
	}
	if (svc_save(r, &c) != 0)
		goto out;
	json_object_set_new(r->out, "taskSet", ts_view(r, ts_find(c.row.doc, id,
	    NULL), json_array_size(tags) > 0));
	rc = 0;
out:
	free(arn);
	json_decref(td);
	svc_close(&c);
	return rc;
}

int
op_update_task_set(struct req *r)
{
	struct svc_ctx c;
	json_t *ts;
	int rc = -1;

	if (svc_open(r, NEED_ACTIVE, &c) != 0)
		goto out;
	if (scale_check(r, in_get(r, "scale")) != 0)
		goto out;
	ts = ts_named(r, &c, "taskSet");
	if (ts == NULL)
		goto out;
	if (same(str(ts, "status"), "DRAINING")) {
		api_fail(r, ECS_ERR_INVALID_PARAMETER, "The task set is DRAINING: "
		    "it is being deleted and cannot be updated.");
		goto out;
	}
	json_object_set_new(ts, "scale", scale_doc(in_get(r, "scale")));
	json_object_set_new(ts, "updatedAt", json_real(r->now));
	json_incref(ts);
	if (svc_save(r, &c) == 0) {
		json_object_set_new(r->out, "taskSet", ts_view(r, ts, 0));
		rc = 0;
	}
	json_decref(ts);
out:
	svc_close(&c);
	return rc;
}

int
op_delete_task_set(struct req *r)
{
	struct svc_ctx c;
	json_t *ts;
	int rc = -1, gone;

	if (svc_open(r, NEED_LIVE, &c) != 0)
		goto out;
	ts = ts_named(r, &c, "taskSet");
	if (ts == NULL)
		goto out;
	if (!same(str(ts, "status"), "DRAINING")) {
		if (!in_bool(r, "force", 0) && scale_of(ts) > 0) {
			api_fail(r, ECS_ERR_INVALID_PARAMETER, "The task set is scaled "
			    "to %g%%: scale it to 0 first, or delete it with force.",
			    scale_of(ts));
			goto out;
		}
		json_object_set_new(ts, "status", json_string("DRAINING"));
		json_object_set_new(ts, "updatedAt", json_real(r->now));
	}
	/* The answer shows it DRAINING even when it has no task to drain and
	 * so leaves taskSets[] (and its tags the store) with this very write. */
	if (refresh_one(r, c.cluster, c.row.doc, ts, &gone) < 0)
		goto out;
	json_object_set_new(r->out, "taskSet", ts_view(r, ts, 0));
	if (svc_save(r, &c) == 0)
		rc = 0;
out:
	svc_close(&c);
	return rc;
}

int
op_describe_task_sets(struct req *r)
{
	struct svc_ctx c;
	json_t *refs = in_get(r, "taskSets"), *sets, *failures, *v, *ts;
	int tags = in_has(r, "include", "TAGS"), rc = -1;
	size_t i;
	char id[64];

	if (svc_open(r, NEED_LIVE, &c) != 0)
		goto out;
	if (refresh_all(r, c.cluster, c.row.doc, NULL) < 0)
		goto out;
	sets = json_array();
	failures = json_array();
	json_object_set_new(r->out, "taskSets", sets);
	json_object_set_new(r->out, "failures", failures);
	if (refs == NULL) {
		json_array_foreach(json_object_get(c.row.doc, "taskSets"), i, ts)
			json_array_append_new(sets, ts_view(r, ts, tags));
		rc = 0;
		goto out;
	}
	json_array_foreach(refs, i, v) {
		const char *ref = json_string_value(v);
		int got = ref_id(r, &c, ref, id, sizeof id);
		char *arn;

		if (got < 0) {
			api_fail(r, ECS_ERR_INVALID_PARAMETER, "Task Set Identifier "
			    "is invalid");
			goto out;
		}
		ts = got == 0 ? ts_find(c.row.doc, id, NULL) : NULL;
		if (ts != NULL) {
			json_array_append_new(sets, ts_view(r, ts, tags));
			continue;
		}
		arn = strncmp(ref, "arn:", 4) == 0 ? xstrdup(ref) :
		    ts_arn(r, &c, ref);
		json_array_append_new(failures, json_pack("{s:s, s:s}", "arn", arn,
		    "reason", "MISSING"));
		free(arn);
	}
	rc = 0;
out:
	svc_close(&c);
	return rc;
}

/* Members the PRIMARY task set hands on to its service. */
static const char *const primary_members[] = {
	"taskDefinition", "launchType", "capacityProviderStrategy",
	"platformVersion", "platformFamily", "networkConfiguration",
	"loadBalancers", "serviceRegistries", NULL
};

int
op_update_service_primary_task_set(struct req *r)
{
	struct svc_ctx c;
	json_t *ts, *other, *v;
	size_t i;
	int rc = -1;

	if (svc_open(r, NEED_ACTIVE, &c) != 0)
		goto out;
	ts = ts_named(r, &c, "primaryTaskSet");
	if (ts == NULL)
		goto out;
	if (same(str(ts, "status"), "DRAINING")) {
		api_fail(r, ECS_ERR_INVALID_PARAMETER, "The task set is DRAINING: "
		    "it is being deleted and cannot become the primary task set.");
		goto out;
	}
	json_array_foreach(json_object_get(c.row.doc, "taskSets"), i, other) {
		if (other != ts && same(str(other, "status"), "PRIMARY")) {
			json_object_set_new(other, "status", json_string("ACTIVE"));
			json_object_set_new(other, "updatedAt", json_real(r->now));
		}
	}
	if (!same(str(ts, "status"), "PRIMARY")) {
		json_object_set_new(ts, "status", json_string("PRIMARY"));
		json_object_set_new(ts, "updatedAt", json_real(r->now));
	}
	for (i = 0; primary_members[i] != NULL; i++) {
		v = json_object_get(ts, primary_members[i]);
		if (v != NULL)
			json_object_set(c.row.doc, primary_members[i], v);
		else
			json_object_del(c.row.doc, primary_members[i]);
	}
	json_incref(ts);
	if (svc_save(r, &c) == 0) {
		json_object_set_new(r->out, "taskSet", ts_view(r, ts, 0));
		rc = 0;
	}
	json_decref(ts);
out:
	svc_close(&c);
	return rc;
}

/* ---- the scheduler's pass ---- */

/* Starts count tasks of a task set through RunTask, as the service
 * scheduler starts its deployments' tasks. */
static void
launch(struct req *r, struct service_row *svc, json_t *ts, int count)
{
	json_t *doc = svc->doc, *in, *v;
	const char *prop = str(doc, "propagateTags");
	char group[300];

	snprintf(group, sizeof group, "service:%s", svc->name);
	while (count > 0) {
		struct req sub;
		int n = count > RUN_BATCH ? RUN_BATCH : count;

		memset(&sub, 0, sizeof sub);
		sub.scheduler = 1;
		sub.op = r->op;
		sub.part = r->part;
		sub.store = r->store;
		sub.now = r->now;
		memcpy(sub.request_id, r->request_id, sizeof sub.request_id);
		in = json_pack("{s:s, s:O, s:i, s:O, s:s, s:b}",
		    "cluster", svc->cluster,
		    "taskDefinition", json_object_get(ts, "taskDefinition"),
		    "count", n, "startedBy", json_object_get(ts, "id"),
		    "group", group, "enableExecuteCommand",
		    json_is_true(json_object_get(doc, "enableExecuteCommand")));
		v = json_object_get(ts, "capacityProviderStrategy");
		if (v != NULL)
			json_object_set(in, "capacityProviderStrategy", v);
		else if ((v = json_object_get(ts, "launchType")) != NULL)
			json_object_set(in, "launchType", v);
		if ((v = json_object_get(ts, "networkConfiguration")) != NULL)
			json_object_set(in, "networkConfiguration", v);
		if ((v = json_object_get(ts, "platformVersion")) != NULL)
			json_object_set(in, "platformVersion", v);
		if (same(prop, "TASK_DEFINITION"))
			json_object_set_new(in, "propagateTags",
			    json_string("TASK_DEFINITION"));
		if (same(prop, "SERVICE")) {
			json_t *tags = store_tags_get(r->store, str(doc, "serviceArn"));

			if (json_array_size(tags) > 0)
				json_object_set(in, "tags", tags);
			json_decref(tags);
		}
		sub.in = in;
		sub.out = json_object();
		if (op_run_task(&sub) != 0)
			log_debug("task set %s of service %s: %s",
			    str(ts, "id"), svc->name, sub.err_msg != NULL ?
			    sub.err_msg : "RunTask failed");
		else if (json_array_size(json_object_get(sub.out, "failures")) > 0)
			log_debug("task set %s of service %s: no room for %d tasks",
			    str(ts, "id"), svc->name, n);
		json_decref(sub.in);
		json_decref(sub.out);
		free(sub.err_msg);
		count -= n;
	}
}

/* Asks one task of a task set to stop, as a service scale-in does. */
static int
stop(struct req *r, const char *cluster, const char *task_id,
    const char *ts_id)
{
	struct task_row t;
	char reason[128];
	int rc;

	if (store_task_get(r->store, &r->part, cluster, task_id, &t) != STORE_OK)
		return 0;
	snprintf(reason, sizeof reason, "Scaling activity initiated by "
	    "(deployment %s)", ts_id);
	json_object_set_new(t.doc, "desiredStatus", json_string("STOPPED"));
	json_object_set_new(t.doc, "stoppingAt", json_real(r->now));
	json_object_set_new(t.doc, "stopCode",
	    json_string("ServiceSchedulerInitiated"));
	json_object_set_new(t.doc, "stoppedReason", json_string(reason));
	json_object_set_new(t.doc, "version", json_integer(json_integer_value(
	    json_object_get(t.doc, "version")) + 1));
	rc = store_task_save(r->store, &r->part, cluster, t.id, t.doc);
	store_task_row_free(&t);
	if (rc != STORE_OK)
		return api_fail(r, ECS_ERR_SERVER, "The store could not save the "
		    "task: %s", store_errmsg(r->store));
	return 0;
}

/*
 * One task set: start what is missing, stop what is too much. Returns 1 if
 * a task was started or stopped, 0 if none, -1 on a store error.
 */
static int
reconcile_one(struct req *r, struct service_row *svc, json_t *ts)
{
	json_t *ids = json_array();
	int want = computed_desired(svc->doc, ts), have, rc = -1;

	have = store_task_set_wanted(r->store, &r->part, svc->cluster,
	    str(ts, "id"), ids);
	if (have < 0) {
		api_fail(r, ECS_ERR_SERVER, "The store could not list the task "
		    "set's tasks: %s", store_errmsg(r->store));
		goto out;
	}
	if (have < want)
		launch(r, svc, ts, want - have);
	for (int i = 0; i < have - want; i++) {
		if (stop(r, svc->cluster, json_string_value(json_array_get(ids,
		    (size_t)i)), str(ts, "id")) != 0)
			goto out;
	}
	rc = have != want;
out:
	json_decref(ids);
	return rc;
}

/*
 * The scheduler's pass over one service (ACTIVE or DRAINING, any
 * controller; only EXTERNAL ones have task sets): keeps each task set at
 * its computedDesiredCount, refreshes the counts in svc->doc and drops the
 * DRAINING task sets that have no task left. r must be a request of the
 * service's partition (part, store, now) inside the pass's transaction.
 * *changed tells whether svc->doc must be written back.
 */
int
task_sets_reconcile(struct req *r, struct service_row *svc, int *changed)
{
	json_t *sets = json_object_get(svc->doc, "taskSets"), *ts, *removed;
	size_t i;
	int rc;

	*changed = 0;
	if (!same(str(json_object_get(svc->doc, "deploymentController"), "type"),
	    "EXTERNAL") || json_array_size(sets) == 0)
		return 0;
	json_array_foreach(sets, i, ts) {
		if (reconcile_one(r, svc, ts) < 0)
			return -1;
	}
	removed = json_array();
	rc = refresh_all(r, svc->cluster, svc->doc, removed);
	if (rc >= 0 && tags_forget(r, removed) != 0)
		rc = -1;
	json_decref(removed);
	if (rc < 0)
		return -1;
	*changed = rc;
	return 0;
}
