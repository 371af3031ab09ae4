/*
 * services.c - CreateService, UpdateService, DeleteService,
 * DescribeServices, ListServices, ListServiceDeployments,
 * DescribeServiceDeployments, DescribeServiceRevisions and
 * StopServiceDeployment: the DESIRED side of services
 * (notes/services-contract.md).
 *
 * A handler checks the request as ECS does and records what the user wants
 * in the Service document: desiredCount, and a new PRIMARY deployment (a
 * deployments[] entry, a service revision and a service deployment) when a
 * change needs one. The service scheduler (scheduler/services.c) keeps the
 * promise with real tasks and writes what it observes into the same
 * document. Nothing here starts or stops a task.
 *
 *   CreateService ──> ACTIVE, deployment PRIMARY IN_PROGRESS ─(scheduler)─>
 *   UpdateService ──> new PRIMARY (old one ACTIVE) only for a new task
 *                     definition, network configuration, load balancers,
 *                     service registries, platform version, capacity
 *                     provider strategy or forceNewDeployment
 *   DeleteService ──> DRAINING, desiredCount 0 ─(scheduler: tasks gone)─>
 *                     INACTIVE (still describable until expiry)
 *
 * loadBalancers and serviceRegistries are stored, described and part of a
 * revision, but nothing routes traffic to the tasks.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"

#define SERVICE_NAME_MAX 255
#define DESCRIBE_MAX 10           /* services per DescribeServices */
#define HISTORY_DESCRIBE_MAX 20   /* ARNs per Describe*Deployments/Revisions */
#define EVENTS_MAX 100

/* ---- small helpers ---- */

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

static long long
num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? (long long)json_number_value(v) : 0;
}

/* Sets key to a copy of v, or removes key when v is NULL. */
static void
set_or_del(json_t *o, const char *key, json_t *v)
{
	if (v != NULL)
		json_object_set_new(o, key, json_deep_copy(v));
	else
		json_object_del(o, key);
}

/* A new deployment id: ecs-svc/ and 19 digits, the first not 0. */
void
services_deployment_id_new(char *out, size_t size)
{
	char hex[20];

	random_hex(hex, 19);
	for (int i = 0; i < 19; i++) {
		int v = hex[i] <= '9' ? hex[i] - '0' : hex[i] - 'a' + 10;

		hex[i] = (char)('0' + (i == 0 ? 1 + v % 9 : v % 10));
	}
	snprintf(out, size, "ecs-svc/%.19s", hex);
}

/* A service deployment id: 21 characters of [A-Za-z0-9_-], as ECS's. */
static void
sd_id_new(char out[22])
{
	static const char set[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char hex[43];

	random_hex(hex, 42);
	for (int i = 0; i < 21; i++) {
		char pair[3] = { hex[2 * i], hex[2 * i + 1], '\0' };

		out[i] = set[strtol(pair, NULL, 16) % 64];
	}
	/* ECS's ids start with a letter or digit */
	if (out[0] == '-' || out[0] == '_')
		out[0] = 'A';
	out[21] = '\0';
}

/* Prepends an event (newest first), keeping at most EVENTS_MAX. */
void
services_event_add(json_t *svc, double now, const char *fmt, ...)
{
	json_t *events = json_object_get(svc, "events");
	char id[37], *msg;
	va_list ap;

	if (!json_is_array(events)) {
		events = json_array();
		json_object_set_new(svc, "events", events);
	}
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg == NULL)
		return;
	uuid4(id);
	json_array_insert_new(events, 0, json_pack("{s:s, s:f, s:s}", "id", id,
	    "createdAt", now, "message", msg));
	while (json_array_size(events) > EVENTS_MAX)
		json_array_remove(events, json_array_size(events) - 1);
	free(msg);
}

/* The deployments[] entry with id, or NULL. */
json_t *
services_deployment_find(json_t *svc, const char *id)
{
	json_t *d;
	size_t i;

	json_array_foreach(json_object_get(svc, "deployments"), i, d)
		if (same(str(d, "id"), id))
			return d;
	return NULL;
}

/* The ARN of the service revision behind deployment `id` (heap). */
char *
services_revision_arn(const struct part *p, const char *cluster,
    const char *service, const char *deployment_id)
{
	const char *digits = strncmp(deployment_id, "ecs-svc/", 8) == 0 ?
	    deployment_id + 8 : deployment_id;
	char *rest, *arn;

	xasprintf(&rest, "%s/%s/%s", cluster, service, digits);
	arn = arn_make(p, "service-revision", rest);
	free(rest);
	return arn;
}

/* ---- counts from the task rows ---- */

struct counts {
	json_t *by;               /* startedBy -> [running, pending] */
	int running, pending;
};

static void
count_cb(void *arg, const char *by, const char *last, const char *desired)
{
	struct counts *c = arg;
	int running = same(last, "RUNNING");
	int pending = !running && !same(last, "STOPPED") &&
	    same(desired, "RUNNING") &&
	    !same(last, "DEACTIVATING") && !same(last, "STOPPING") &&
	    !same(last, "DEPROVISIONING");
	json_t *pair;

	if (by == NULL || (!running && !pending))
		return;
	pair = json_object_get(c->by, by);
	if (pair == NULL) {
		pair = json_pack("[i, i]", 0, 0);
		json_object_set_new(c->by, by, pair);
	}
	json_array_set_new(pair, running ? 0 : 1, json_integer(
	    json_integer_value(json_array_get(pair, running ? 0 : 1)) + 1));
	if (running)
		c->running++;
	else
		c->pending++;
}

/*
 * Writes runningCount and pendingCount of the service and of each
 * deployment, and currentServiceRevisions, from the service's task rows:
 * RUNNING counts as running, on the way up (desired RUNNING) as pending.
 * The task rows' status columns are enough: no task document is read.
 */
int
services_counts_refresh(struct store *st, const struct part *p,
    const char *cluster, json_t *svc)
{
	struct counts c = { json_object(), 0, 0 };
	const char *name = str(svc, "serviceName");
	json_t *d, *revs = json_array();
	size_t i;
	int rc;

	rc = store_service_task_states(st, p, cluster, name, count_cb, &c);
	json_object_set_new(svc, "runningCount", json_integer(c.running));
	json_object_set_new(svc, "pendingCount", json_integer(c.pending));
	json_array_foreach(json_object_get(svc, "deployments"), i, d) {
		json_t *pair = json_object_get(c.by, str(d, "id"));
		char *rev = services_revision_arn(p, cluster, name, str(d, "id"));

		json_object_set_new(d, "runningCount",
		    json_integer(json_integer_value(json_array_get(pair, 0))));
		json_object_set_new(d, "pendingCount",
		    json_integer(json_integer_value(json_array_get(pair, 1))));
		json_array_append_new(revs, json_pack("{s:s, s:I, s:I, s:I}",
		    "arn", rev, "requestedTaskCount", (json_int_t)num(d,
		    "desiredCount"), "runningTaskCount",
		    (json_int_t)num(d, "runningCount"), "pendingTaskCount",
		    (json_int_t)num(d, "pendingCount")));
		free(rev);
	}
	if (json_array_size(revs) > 0)
		json_object_set_new(svc, "currentServiceRevisions", revs);
	else
		json_decref(revs);
	json_decref(c.by);
	return rc;
}

/* ---- deployments ---- */

/* The members of a deployment / revision a configuration carries. */
static const char *const cfg_keys[] = {
	"taskDefinition", "launchType", "capacityProviderStrategy",
	"platformVersion", "platformFamily", "networkConfiguration",
};

/*
 * Starts a new PRIMARY deployment of d->cfg (taskDefinition, launchType or
 * capacityProviderStrategy, platformVersion/platformFamily,
 * networkConfiguration, loadBalancers, serviceRegistries, containerImages):
 * the deployments[] entry, its service revision and its service deployment
 * (or, for a rollback, the failing service deployment turned
 * ROLLBACK_IN_PROGRESS). Older deployments become ACTIVE.
 */
int
services_deploy(struct store *st, const struct part *p,
    struct services_deploy *d)
{
	json_t *svc = d->svc, *deps = json_object_get(svc, "deployments");
	json_t *sdeps = json_object_get(d->state, "deployments");
	const char *name = str(svc, "serviceName");
	char id[32], sdid[22], *rest, *rev_arn, *sd_arn = NULL;
	json_t *dep, *rev, *sd = NULL, *sources = json_array(), *old;
	json_t *dc = json_object_get(svc, "deploymentConfiguration");
	int desired = (int)num(svc, "desiredCount"), rc = STORE_ERR;
	size_t i;

	if (!json_is_array(deps)) {
		deps = json_array();
		json_object_set_new(svc, "deployments", deps);
	}
	if (!json_is_object(sdeps)) {
		sdeps = json_object();
		json_object_set_new(d->state, "deployments", sdeps);
	}
	/* clocks tick in milliseconds: keep deployments strictly in order */
	if (json_number_value(json_object_get(d->state, "lastDeployAt")) >=
	    d->now)
		d->now = json_number_value(json_object_get(d->state,
		    "lastDeployAt")) + 0.001;
	json_object_set_new(d->state, "lastDeployAt", json_real(d->now));
	services_deployment_id_new(id, sizeof id);
	rev_arn = services_revision_arn(p, d->cluster, name, id);

	/* the entry */
	dep = json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:f, s:f, s:s}",
	    "id", id, "status", "PRIMARY", "desiredCount", desired,
	    "pendingCount", 0, "runningCount", 0, "failedTasks", 0,
	    "createdAt", d->now, "updatedAt", d->now, "rolloutState",
	    "IN_PROGRESS");
	for (i = 0; i < sizeof cfg_keys / sizeof cfg_keys[0]; i++)
		set_or_del(dep, cfg_keys[i], json_object_get(d->cfg, cfg_keys[i]));
	set_or_del(dep, "serviceConnectConfiguration", json_object_get(d->cfg,
	    "serviceConnectConfiguration"));
	json_object_set_new(dep, "rolloutStateReason", json_sprintf(
	    "ECS deployment %s in progress.", id));
	json_array_foreach(deps, i, old) {
		char *arn = services_revision_arn(p, d->cluster, name,
		    str(old, "id"));

		json_object_set_new(old, "status", json_string("ACTIVE"));
		json_array_append_new(sources, json_pack("{s:s, s:I, s:I, s:I}",
		    "arn", arn, "requestedTaskCount",
		    (json_int_t)num(old, "desiredCount"), "runningTaskCount",
		    (json_int_t)num(old, "runningCount"), "pendingTaskCount",
		    (json_int_t)num(old, "pendingCount")));
		free(arn);
	}
	json_array_insert_new(deps, 0, dep);

	/* the revision */
	rev = json_pack("{s:s, s:s, s:s, s:b, s:f}", "serviceRevisionArn",
	    rev_arn, "serviceArn", str(svc, "serviceArn"), "clusterArn",
	    str(svc, "clusterArn"), "guardDutyEnabled", 0, "createdAt", d->now);
	for (i = 0; i < sizeof cfg_keys / sizeof cfg_keys[0]; i++)
		set_or_del(rev, cfg_keys[i], json_object_get(d->cfg, cfg_keys[i]));
	json_object_set_new(rev, "loadBalancers", json_deep_copy(
	    json_object_get(d->cfg, "loadBalancers")));
	json_object_set_new(rev, "serviceRegistries", json_deep_copy(
	    json_object_get(d->cfg, "serviceRegistries")));
	if (!json_is_array(json_object_get(rev, "loadBalancers")))
		json_object_set_new(rev, "loadBalancers", json_array());
	if (!json_is_array(json_object_get(rev, "serviceRegistries")))
		json_object_set_new(rev, "serviceRegistries", json_array());
	set_or_del(rev, "containerImages", json_object_get(d->cfg,
	    "containerImages"));
	set_or_del(rev, "serviceConnectConfiguration", json_object_get(d->cfg,
	    "serviceConnectConfiguration"));
	if (store_service_revision_put(st, p, d->cluster, name, id + 8, rev) !=
	    STORE_OK)
		goto out;

	/* the service deployment */
	if (d->rollback_sd != NULL) {
		json_decref(sources);
		sources = NULL;
		snprintf(sdid, sizeof sdid, "%s", d->rollback_sd);
		if (store_service_deployment_get(st, p, d->cluster, name, sdid,
		    &sd) != STORE_OK)
			goto out;
		json_object_set_new(sd, "status",
		    json_string("ROLLBACK_IN_PROGRESS"));
		json_object_set_new(sd, "rollback", json_pack("{s:s, s:f, s:s}",
		    "reason", d->reason ? d->reason : "Rollback requested.",
		    "startedAt", d->now, "serviceRevisionArn", rev_arn));
		if (d->reason != NULL)
			json_object_set_new(sd, "statusReason",
			    json_string(d->reason));
		json_object_set_new(sd, "updatedAt", json_real(d->now));
	} else {
		int enable = json_is_true(json_object_get(json_object_get(dc,
		    "deploymentCircuitBreaker"), "enable"));

		sd_id_new(sdid);
		xasprintf(&rest, "%s/%s/%s", d->cluster, name, sdid);
		sd_arn = arn_make(p, "service-deployment", rest);
		free(rest);
		sd = json_pack("{s:s, s:s, s:s, s:f, s:f, s:o, s:{s:s, s:i, s:i, "
		    "s:i}, s:s, s:o, s:{s:s, s:i, s:i}, s:{s:s}}",
		    "serviceDeploymentArn", sd_arn,
		    "serviceArn", str(svc, "serviceArn"),
		    "clusterArn", str(svc, "clusterArn"),
		    "createdAt", d->now, "updatedAt", d->now,
		    "sourceServiceRevisions", sources,
		    "targetServiceRevision", "arn", rev_arn,
		    "requestedTaskCount", desired, "runningTaskCount", 0,
		    "pendingTaskCount", 0,
		    "status", "PENDING",
		    "deploymentConfiguration", dc != NULL ? json_deep_copy(dc) :
		    json_object(),
		    "deploymentCircuitBreaker", "status", enable ? "MONITORING" :
		    "DISABLED", "failureCount", 0, "threshold",
		    services_breaker_threshold(desired),
		    "alarms", "status", "DISABLED");
		sources = NULL;
		/* an unfinished older service deployment is superseded */
		json_array_foreach(deps, i, old) {
			json_t *info = json_object_get(sdeps, str(old, "id"));
			const char *oid = str(info, "serviceDeployment");
			json_t *osd = NULL;

			if (i == 0 || oid == NULL || store_service_deployment_get(st,
			    p, d->cluster, name, oid, &osd) != STORE_OK)
				continue;
			if (same(str(osd, "status"), "PENDING") ||
			    same(str(osd, "status"), "IN_PROGRESS")) {
				json_object_set_new(osd, "status", json_string("STOPPED"));
				json_object_set_new(osd, "statusReason", json_string(
				    "Service deployment was superseded by a newer "
				    "service deployment."));
				json_object_set_new(osd, "stoppedAt", json_real(d->now));
				json_object_set_new(osd, "updatedAt", json_real(d->now));
				if (store_service_deployment_put(st, p, d->cluster, name,
				    oid, str(old, "id"), osd) != STORE_OK) {
					json_decref(osd);
					goto out;
				}
			}
			json_decref(osd);
		}
	}
	if (store_service_deployment_put(st, p, d->cluster, name, sdid, id, sd) !=
	    STORE_OK)
		goto out;
	json_object_set_new(sdeps, id, json_pack("{s:s}", "serviceDeployment",
	    sdid));
	/* a new task definition ends the start back-off */
	if (!same(str(svc, "taskDefinition"), str(d->cfg, "taskDefinition"))) {
		json_object_del(d->state, "failures");
		json_object_del(d->state, "backoffUntil");
	}
	for (i = 0; i < sizeof cfg_keys / sizeof cfg_keys[0]; i++)
		set_or_del(svc, cfg_keys[i], json_object_get(d->cfg, cfg_keys[i]));
	json_object_set_new(svc, "loadBalancers", json_deep_copy(
	    json_object_get(rev, "loadBalancers")));
	json_object_set_new(svc, "serviceRegistries", json_deep_copy(
	    json_object_get(rev, "serviceRegistries")));
	json_object_set(svc, "currentServiceDeployment",
	    json_object_get(sd, "serviceDeploymentArn"));
	json_object_set_new(d->state, "steady", json_false());
	rc = STORE_OK;
out:
	json_decref(sources);
	json_decref(rev);
	json_decref(sd);
	free(rev_arn);
	free(sd_arn);
	return rc;
}

/* Circuit breaker threshold: max(3, min(200, ceil(0.5 * desired))). */
int
services_breaker_threshold(int desired)
{
	int half = (desired + 1) / 2;

	if (half > 200)
		half = 200;
	return half < 3 ? 3 : half;
}

/* ---- looking things up ---- */

/*
 * The name behind a service name-or-ARN in `cluster`: -1 when it is an ARN
 * of another kind, partition or cluster (the caller's not-found answer).
 */
static int
service_name_of(struct req *r, const char *ref, const char *cluster,
    char *out, size_t size)
{
	struct arn a;

	if (ref == NULL || *ref == '\0')
		return -1;
	if (strncmp(ref, "arn:", 4) != 0) {
		if (strlen(ref) >= size)
			return -1;
		snprintf(out, size, "%s", ref);
		return 0;
	}
	if (arn_parse(ref, &a) != 0 || a.kind != ARN_SERVICE ||
	    !same(a.region, r->part.region) || !same(a.account, r->part.account) ||
	    (a.cluster[0] != '\0' && !same(a.cluster, cluster)) ||
	    strlen(a.name) >= size)
		return -1;
	snprintf(out, size, "%s", a.name);
	return 0;
}

/*
 * The service a request names (`cluster` and `service` members) into row:
 * ClusterNotFoundException, ServiceNotFoundException, and when active is
 * set, ServiceNotActiveException for a service that is not ACTIVE.
 */
static int
service_load(struct req *r, const char *member, int active, char *cluster,
    size_t csize, struct service_row *row)
{
	char name[SERVICE_NAME_MAX + 1];

	memset(row, 0, sizeof *row);
	if (clusters_require_active(r, in_str(r, "cluster"), cluster, csize) != 0)
		return -1;
	if (service_name_of(r, in_str(r, member), cluster, name,
	    sizeof name) != 0 || store_service_get(r->store, &r->part, cluster,
	    name, row) != STORE_OK)
		return api_fail(r, ECS_ERR_SERVICE_NOT_FOUND, "Service not found.");
	if (active && !same(row->status, "ACTIVE"))
		return api_fail(r, ECS_ERR_SERVICE_NOT_ACTIVE,
		    "Service was not ACTIVE.");
	return 0;
}

/* The service as an answer shows it: counts from the rows, tags if asked. */
static json_t *
service_out(struct req *r, const char *cluster, json_t *doc, int tags)
{
	json_t *out = json_deep_copy(doc);

	services_counts_refresh(r->store, &r->part, cluster, out);
	if (same(str(json_object_get(out, "deploymentController"), "type"),
	    "EXTERNAL"))
		task_sets_refresh(r, cluster, out);
	if (tags) {
		json_t *t = store_tags_get(r->store, str(out, "serviceArn"));

		if (json_array_size(t) > 0)
			json_object_set_new(out, "tags", t);
		else
			json_decref(t);
	}
	return out;
}

/* A JSON number or string value's text as a number (0 if it is none). */
static long long
text_num(const struct jmember *m)
{
	char buf[32];

	if (m->val == NULL || m->vlen == 0 || m->vlen >= sizeof buf)
		return 0;
	memcpy(buf, m->val, m->vlen);
	buf[m->vlen] = '\0';
	return strtoll(buf, NULL, 10);
}

/* A string value's text as a C string (NULL if it is no string). */
static char *
text_str(const struct jmember *m)
{
	json_t *v = json_loadb(m->val, m->vlen, JSON_DECODE_ANY, NULL);
	char *out = json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;

	json_decref(v);
	return out;
}

/*
 * deployments[] of a service as service_out shows it, from the stored text
 * of the array: each entry copied as it is but for its runningCount and
 * pendingCount, counted from c; and the matching currentServiceRevisions
 * entries appended to revs. -1 (nothing appended) if it cannot be read.
 */
static int
deployments_text(struct req *r, const char *cluster, const char *name,
    const struct jmember *deps, struct counts *c, struct jbuf *b,
    json_t *revs)
{
	static const char *const counted[] = { "runningCount", "pendingCount",
	    NULL };
	size_t mark = b->len;
	struct jscan sc, dsc;
	struct jmember d, m;
	int rc;

	if (jtext_open_array(&sc, deps->val, deps->vlen) != 0)
		return -1;
	jbuf_key(b, "deployments");
	jbuf_puts(b, "[");
	while ((rc = jtext_next_value(&sc, &d)) == 1) {
		struct jmember id = { 0 }, desired = { 0 };
		json_t *pair;
		char *ids, *rev, num[48];
		long long running, pending;

		if (jtext_open(&dsc, d.val, d.vlen) != 0) {
			rc = -1;
			break;
		}
		while (jtext_next(&dsc, &m) == 1) {
			if (jtext_key_is(&m, "id"))
				id = m;
			else if (jtext_key_is(&m, "desiredCount"))
				desired = m;
		}
		ids = id.val != NULL ? text_str(&id) : NULL;
		pair = ids != NULL ? json_object_get(c->by, ids) : NULL;
		running = json_integer_value(json_array_get(pair, 0));
		pending = json_integer_value(json_array_get(pair, 1));
		jbuf_sep(b);
		jbuf_puts(b, "{");
		jbuf_members(b, d.val, d.vlen, counted);
		snprintf(num, sizeof num, "%lld", running);
		jbuf_key(b, "runningCount");
		jbuf_puts(b, num);
		snprintf(num, sizeof num, "%lld", pending);
		jbuf_key(b, "pendingCount");
		jbuf_puts(b, num);
		jbuf_puts(b, "}");
		rev = services_revision_arn(&r->part, cluster, name,
		    ids != NULL ? ids : "");
		json_array_append_new(revs, json_pack("{s:s, s:I, s:I, s:I}",
		    "arn", rev, "requestedTaskCount", (json_int_t)text_num(&desired),
		    "runningTaskCount", (json_int_t)running, "pendingTaskCount",
		    (json_int_t)pending));
		free(rev);
		free(ids);
	}
	if (rc < 0) {
		b->len = mark;
		if (b->s != NULL)
			b->s[mark] = '\0';
		json_array_clear(revs);
		return -1;
	}
	jbuf_puts(b, "]");
	return 0;
}

/*
 * service_out for DescribeServices, appended to b from the stored text:
 * every member is copied as it is but those service_out computes, which
 * are written from the task rows' counts: runningCount, pendingCount, the
 * counts inside deployments[], currentServiceRevisions, and tags. An
 * EXTERNAL service's task sets are recounted too, so it takes the parsed
 * way.
 */
static void
service_out_text(struct req *r, const char *cluster, const char *name,
    const struct store_text *t, int tags, struct jbuf *b)
{
	const char *skip[8];
	struct counts c = { json_object(), 0, 0 };
	json_t *ctl = NULL, *tl = NULL, *revs = json_array();
	struct jmember deps = { 0 }, m;
	struct jscan sc;
	size_t n = 0;
	char num[32];

	if (jtext_open(&sc, t->doc, t->len) == 0) {
		while (jtext_next(&sc, &m) == 1) {
			if (jtext_key_is(&m, "deployments"))
				deps = m;
			else if (jtext_key_is(&m, "deploymentController"))
				ctl = json_loadb(m.val, m.vlen, 0, NULL);
		}
	}
	if (same(str(ctl, "type"), "EXTERNAL")) {
		json_t *doc = json_loadb(t->doc, t->len, 0, NULL), *out;

		out = service_out(r, cluster, doc != NULL ? doc : json_object(),
		    tags);
		jbuf_sep(b);
		jbuf_json(b, out);
		json_decref(out);
		json_decref(doc);
		goto out;
	}
	store_service_task_states(r->store, &r->part, cluster, name, count_cb,
	    &c);
	jbuf_sep(b);
	jbuf_puts(b, "{");
	skip[n++] = "runningCount";
	skip[n++] = "pendingCount";
	/* An array it cannot read is copied as stored, like the rest. */
	if (deps.val != NULL && deployments_text(r, cluster, name, &deps, &c, b,
	    revs) == 0)
		skip[n++] = "deployments";
	if (tags) {
		tl = store_tags_get(r->store, t->arn);
		if (json_array_size(tl) > 0)
			skip[n++] = "tags";
	}
	if (json_array_size(revs) > 0)
		skip[n++] = "currentServiceRevisions";
	skip[n] = NULL;
	jbuf_members(b, t->doc, t->len, skip);
	snprintf(num, sizeof num, "%d", c.running);
	jbuf_key(b, "runningCount");
	jbuf_puts(b, num);
	snprintf(num, sizeof num, "%d", c.pending);
	jbuf_key(b, "pendingCount");
	jbuf_puts(b, num);
	if (json_array_size(revs) > 0) {
		jbuf_key(b, "currentServiceRevisions");
		jbuf_json(b, revs);
	}
	if (json_array_size(tl) > 0) {
		jbuf_key(b, "tags");
		jbuf_json(b, tl);
	}
	jbuf_puts(b, "}");
out:
	json_decref(c.by);
	json_decref(revs);
	json_decref(tl);
	json_decref(ctl);
}

/* ---- checking what a service runs ---- */

/* The launch type tasks of a configuration get. */
static const char *
cfg_launch_type(json_t *cfg)
{
	json_t *cps = json_object_get(cfg, "capacityProviderStrategy"), *item;
	const char *lt = str(cfg, "launchType");
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

static json_t *
container_images(json_t *td)
{
	json_t *out = json_array(), *c;
	size_t i;

	json_array_foreach(json_object_get(td, "containerDefinitions"), i, c) {
		json_array_append_new(out, json_pack("{s:s, s:s}", "containerName",
		    str(c, "name") ? str(c, "name") : "", "image", str(c, "image") ?
		    str(c, "image") : ""));
	}
	return out;
}

/*
 * Checks a configuration against its task definition as CreateService and
 * UpdateService must: launch type compatibility, the awsvpc network
 * configuration, the platform version; fills platformVersion and
 * platformFamily for Fargate and containerImages.
 */
static int
cfg_check(struct req *r, json_t *cfg, json_t *td)
{
	const char *lt = cfg_launch_type(cfg), *mode = str(td, "networkMode");
	json_t *compat = json_object_get(td, "compatibilities"), *e;
	json_t *vpc = json_object_get(json_object_get(cfg,
	    "networkConfiguration"), "awsvpcConfiguration");
	int ok = !json_is_array(compat);
	size_t i;

	json_array_foreach(compat, i, e)
		if (same(json_string_value(e), lt))
			ok = 1;
	if (!ok)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Task definition does "
		    "not support launch_type %s.", lt);
	if (same(mode, "awsvpc")) {
		if (!json_is_object(vpc))
			return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Network "
			    "Configuration must be provided when networkMode 'awsvpc' "
			    "is specified.");
		if (json_array_size(json_object_get(vpc, "subnets")) == 0)
			return api_fail(r, ECS_ERR_INVALID_PARAMETER,
			    "subnets can not be empty.");
		if (json_array_size(json_object_get(vpc, "subnets")) > 16)
			return api_fail(r, ECS_ERR_INVALID_PARAMETER, "At most 16 "
			    "subnets can be given.");
		if (json_array_size(json_object_get(vpc, "securityGroups")) > 5)
			return api_fail(r, ECS_ERR_INVALID_PARAMETER, "At most 5 "
			    "security groups can be given.");
	} else if (json_is_object(vpc)) {
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Network "
		    "Configuration is not valid for the given networkMode of this "
		    "task definition.");
	}
	if (json_object_get(cfg, "networkConfiguration") != NULL &&
	    !json_is_object(vpc))
		json_object_del(cfg, "networkConfiguration");
	if (same(lt, "FARGATE")) {
		if (str(cfg, "platformVersion") == NULL)
			json_object_set_new(cfg, "platformVersion",
			    json_string("LATEST"));
		json_object_set_new(cfg, "platformFamily", json_string("Linux"));
	} else {
		if (str(cfg, "platformVersion") != NULL)
			return api_fail(r, ECS_ERR_INVALID_PARAMETER, "The platform "
			    "version must be null when specifying an EC2 launch "
			    "type.");
		json_object_del(cfg, "platformFamily");
	}
	json_object_set_new(cfg, "containerImages", container_images(td));
	return 0;
}

/* The task definition a service runs: resolved and ACTIVE. */
static int
td_active(struct req *r, const char *ref, json_t **td)
{
	*td = NULL;
	if (taskdef_resolve(r, ref, td) != 0)
		return -1;
	if (!same(str(*td, "status"), "ACTIVE")) {
		json_decref(*td);
		*td = NULL;
		return api_fail(r, ECS_ERR_CLIENT, "TaskDefinition is inactive");
	}
	return 0;
}

static int
check_deployment_configuration(struct req *r, json_t *dc, const char *strategy)
{
	json_t *max = json_object_get(dc, "maximumPercent");
	json_t *min = json_object_get(dc, "minimumHealthyPercent");
	const char *how = str(dc, "strategy");
	int daemon = same(strategy, "DAEMON");

	if (min != NULL && (json_integer_value(min) < 0 ||
	    json_integer_value(min) > 100))
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "minimumHealthyPercent "
		    "must be between 0 and 100.");
	if (max != NULL && json_integer_value(max) < (daemon ? 100 : 1))
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "maximumPercent must "
		    "be at least %d.", daemon ? 100 : 1);
	if (max != NULL && daemon && json_integer_value(max) != 100)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "The maximumPercent of "
		    "a service with the DAEMON scheduling strategy must be 100.");
	if (how != NULL && !same(how, "ROLLING"))
		return api_fail(r, ECS_ERR_UNSUPPORTED, "ecsd supports only the "
		    "ROLLING deployment strategy.");
	return 0;
}

static int
check_placement(struct req *r, json_t *constraints, json_t *strategies,
    const char *lt, const char *sched)
{
	if (same(sched, "DAEMON") && json_array_size(strategies) > 0)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Placement strategies "
		    "are not supported with the DAEMON scheduling strategy.");
	return placement_validate(r, constraints, strategies, lt, "service");
}

/*
 * The launch of a new service: launchType or capacityProviderStrategy as
 * asked, else the cluster's default capacity provider strategy, else EC2
 * (none for the EXTERNAL controller, whose task sets say).
 */
static int
launch_of(struct req *r, const char *cluster, json_t *cfg, int external)
{
	const char *lt = in_str(r, "launchType");
	json_t *cps = in_get(r, "capacityProviderStrategy"), *cdoc = NULL, *def;

	if (lt != NULL && json_array_size(cps) > 0)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Specifying both a "
		    "launch type and capacity provider strategy is not supported. "
		    "Remove one and try again.");
	if (json_array_size(cps) > 20)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "A capacity provider "
		    "strategy can contain at most 20 capacity providers.");
	if (lt != NULL) {
		json_object_set_new(cfg, "launchType", json_string(lt));
		return 0;
	}
	if (json_array_size(cps) > 0) {
		json_object_set(cfg, "capacityProviderStrategy", cps);
		return 0;
	}
	if (external)
		return 0;
	store_cluster_get(r->store, &r->part, cluster, &cdoc);
	def = json_object_get(cdoc, "defaultCapacityProviderStrategy");
	if (json_array_size(def) > 0)
		json_object_set(cfg, "capacityProviderStrategy", def);
	else
		json_object_set_new(cfg, "launchType", json_string("EC2"));
	json_decref(cdoc);
	return 0;
}

/*
 * serviceConnectConfiguration as a deployment keeps it (the Service shape
 * has none: it lives in deployments[] and revisions): enabled without a
 * namespace takes the cluster's serviceConnectDefaults namespace, as ECS.
 */
static void
service_connect(struct req *r, const char *cluster, json_t *cfg, json_t *v)
{
	json_t *scc = json_deep_copy(v), *cdoc = NULL;
	const char *ns;

	if (json_is_true(json_object_get(scc, "enabled")) &&
	    str(scc, "namespace") == NULL) {
		store_cluster_get(r->store, &r->part, cluster, &cdoc);
		ns = str(json_object_get(cdoc, "serviceConnectDefaults"),
		    "namespace");
		if (ns != NULL)
			json_object_set_new(scc, "namespace", json_string(ns));
		json_decref(cdoc);
	}
	json_object_set_new(cfg, "serviceConnectConfiguration", scc);
}

static char *
role_arn(struct req *r, const char *role)
{
	char *arn;

	if (strncmp(role, "arn:", 4) == 0)
		return xstrdup(role);
	xasprintf(&arn, "arn:aws:iam::%s:role/%s", r->part.account, role);
	return arn;
}

/* ---- CreateService ---- */

/* deploymentConfiguration as given, with ECS's defaults filled in. */
static json_t *
deployment_configuration(json_t *given, const char *strategy)
{
	json_t *dc = given ? json_deep_copy(given) : json_object();
	int daemon = same(strategy, "DAEMON");

	if (json_object_get(dc, "maximumPercent") == NULL)
		json_object_set_new(dc, "maximumPercent", json_integer(daemon ? 100 :
		    200));
	if (json_object_get(dc, "minimumHealthyPercent") == NULL)
		json_object_set_new(dc, "minimumHealthyPercent", json_integer(daemon ?
		    0 : 100));
	if (json_object_get(dc, "deploymentCircuitBreaker") == NULL)
		json_object_set_new(dc, "deploymentCircuitBreaker", json_pack(
		    "{s:b, s:b}", "enable", 0, "rollback", 0));
	return dc;
}

/* What CreateService must compare for idempotency: the request without
 * its clientToken. */
static json_t *
create_canon(struct req *r)
{
	json_t *c = json_deep_copy(r->in);

	json_object_del(c, "clientToken");
	return c;
}

static int
create_existing(struct req *r, const char *cluster, struct service_row *old)
{
	json_t *canon = create_canon(r);
	int equal = json_equal(canon, json_object_get(old->state, "create"));

	json_decref(canon);
	if (!equal || !same(old->status, "ACTIVE"))
		return api_fail(r, ECS_ERR_INVALID_PARAMETER,
		    "Creation of service was not idempotent.");
	json_object_set_new(r->out, "service", service_out(r, cluster, old->doc,
	    1));
	return 0;
}

int
op_create_service(struct req *r)
{
	const char *name = in_str(r, "serviceName");
	const char *sched = in_str(r, "schedulingStrategy");
	const char *ctl = str(in_get(r, "deploymentController"), "type");
	json_t *tags = in_get(r, "tags"), *td = NULL, *cfg = json_object();
	json_t *doc = NULL, *state = NULL, *dc = NULL, *v;
	char cluster[256], *cluster_arn = NULL, *arn = NULL, *rest = NULL;
	struct service_row old;
	int rc = -1, external;
	long long desired = 0;

	memset(&old, 0, sizeof old);
	if (sched == NULL)
		sched = "REPLICA";
	if (ctl == NULL)
		ctl = "ECS";
	external = same(ctl, "EXTERNAL");
	if (clusters_require_active(r, in_str(r, "cluster"), cluster,
	    sizeof cluster) != 0)
		goto out;
	if (!name_valid(name, SERVICE_NAME_MAX)) {
		api_fail(r, ECS_ERR_INVALID_PARAMETER, "Service names can have up "
		    "to 255 letters (uppercase and lowercase), numbers, hyphens "
		    "and underscores.");
		goto out;
	}
	if (store_service_get(r->store, &r->part, cluster, name, &old) ==
	    STORE_OK && !same(old.status, "INACTIVE")) {
		rc = create_existing(r, cluster, &old);
		goto out;
	}
	cluster_arn = arn_make(&r->part, "cluster", cluster);
	xasprintf(&rest, "%s/%s", cluster, name);
	arn = arn_make(&r->part, "service", rest);

	/* what it runs */
	if (in_str(r, "taskDefinition") != NULL) {
		if (td_active(r, in_str(r, "taskDefinition"), &td) != 0)
			goto out;
		json_object_set(cfg, "taskDefinition",
		    json_object_get(td, "taskDefinitionArn"));
	} else if (!external) {
		api_fail(r, ECS_ERR_INVALID_PARAMETER, "A task definition must be "
		    "specified for a service that uses the %s deployment "
		    "controller.", ctl);
		goto out;
	}
	if (launch_of(r, cluster, cfg, external) != 0)
		goto out;
	if (in_str(r, "platformVersion") != NULL)
		json_object_set_new(cfg, "platformVersion",
		    json_string(in_str(r, "platformVersion")));
	if (in_get(r, "networkConfiguration") != NULL)
		json_object_set(cfg, "networkConfiguration",
		    in_get(r, "networkConfiguration"));
	if (td != NULL && cfg_check(r, cfg, td) != 0)
		goto out;
	json_object_set_new(cfg, "loadBalancers", in_get(r, "loadBalancers") ?
	    json_deep_copy(in_get(r, "loadBalancers")) : json_array());
	json_object_set_new(cfg, "serviceRegistries",
	    in_get(r, "serviceRegistries") ?
	    json_deep_copy(in_get(r, "serviceRegistries")) : json_array());

	/* how many, and how it rolls */
	if (same(sched, "REPLICA")) {
		if (in_get(r, "desiredCount") == NULL) {
			api_fail(r, ECS_ERR_INVALID_PARAMETER, "desiredCount is "
			    "required when the scheduling strategy is REPLICA.");
			goto out;
		}
		desired = (long long)json_number_value(in_get(r, "desiredCount"));
		if (desired < 0) {
			api_fail(r, ECS_ERR_INVALID_PARAMETER, "desiredCount must be "
			    "0 or more.");
			goto out;
		}
	} else if (same(cfg_launch_type(cfg), "FARGATE")) {
		api_fail(r, ECS_ERR_INVALID_PARAMETER, "The DAEMON scheduling "
		    "strategy is not supported with the FARGATE launch type.");
		goto out;
	}
	if (check_deployment_configuration(r, in_get(r,
	    "deploymentConfiguration"), sched) != 0)
		goto out;
	dc = deployment_configuration(in_get(r, "deploymentConfiguration"),
	    sched);
	if (check_placement(r, in_get(r, "placementConstraints"),
	    in_get(r, "placementStrategy"), cfg_launch_type(cfg), sched) != 0)
		goto out;
	if (in_get(r, "healthCheckGracePeriodSeconds") != NULL &&
	    in_int(r, "healthCheckGracePeriodSeconds", 0) < 0) {
		api_fail(r, ECS_ERR_INVALID_PARAMETER,
		    "healthCheckGracePeriodSeconds must be 0 or more.");
		goto out;
	}
	if (tags_validate(r, tags, NULL) != 0)
		goto out;

	/* the document */
	doc = json_pack("{s:s, s:s, s:s, s:s, s:I, s:i, s:i, s:o, s:[], s:[], "
	    "s:f, s:O, s:O, s:s, s:{s:s}, s:b, s:s, s:b, s:s}",
	    "serviceArn", arn, "serviceName", name, "clusterArn", cluster_arn,
	    "status", "ACTIVE", "desiredCount", (json_int_t)desired,
	    "runningCount", 0, "pendingCount", 0,
	    "deploymentConfiguration", dc, "deployments", "events",
	    "createdAt", r->now,
	    "loadBalancers", json_object_get(cfg, "loadBalancers"),
	    "serviceRegistries", json_object_get(cfg, "serviceRegistries"),
	    "schedulingStrategy", sched, "deploymentController", "type", ctl,
	    "enableECSManagedTags", in_bool(r, "enableECSManagedTags", 0),
	    "propagateTags", in_str(r, "propagateTags") ?
	    in_str(r, "propagateTags") : "NONE",
	    "enableExecuteCommand", in_bool(r, "enableExecuteCommand", 0),
	    "availabilityZoneRebalancing",
	    in_str(r, "availabilityZoneRebalancing") ?
	    in_str(r, "availabilityZoneRebalancing") : "ENABLED");
	dc = NULL;
	{
		char *by;

		xasprintf(&by, "arn:aws:iam::%s:root", r->part.account);
		json_object_set_new(doc, "createdBy", json_string(by));
		free(by);
	}
	for (size_t i = 0; i < sizeof cfg_keys / sizeof cfg_keys[0]; i++)
		set_or_del(doc, cfg_keys[i], json_object_get(cfg, cfg_keys[i]));
	json_object_set_new(doc, "placementConstraints",
	    in_get(r, "placementConstraints") ?
	    json_deep_copy(in_get(r, "placementConstraints")) : json_array());
	json_object_set_new(doc, "placementStrategy",
	    in_get(r, "placementStrategy") ?
	    json_deep_copy(in_get(r, "placementStrategy")) : json_array());
	if ((v = in_get(r, "healthCheckGracePeriodSeconds")) != NULL)
		json_object_set(doc, "healthCheckGracePeriodSeconds", v);
	if (in_str(r, "role") != NULL) {
		char *role = role_arn(r, in_str(r, "role"));

		json_object_set_new(doc, "roleArn", json_string(role));
		free(role);
	}
	if ((v = in_get(r, "serviceConnectConfiguration")) != NULL)
		service_connect(r, cluster, cfg, v);
	if (external || same(ctl, "CODE_DEPLOY"))
		json_object_set_new(doc, "taskSets", json_array());
	state = json_pack("{s:O, s:f, s:{}}", "create", json_null(),
	    "watermark", r->now, "deployments");
	json_object_set_new(state, "create", create_canon(r));
	if (in_str(r, "clientToken") != NULL)
		json_object_set_new(state, "clientToken",
		    json_string(in_str(r, "clientToken")));

	/* a name used again: the old service's history and tags go */
	if (old.arn != NULL && (store_service_history_clear(r->store, &r->part,
	    cluster, name) != STORE_OK || store_tags_clear(r->store, arn) !=
	    STORE_OK))
		goto store_err;
	if (same(ctl, "ECS")) {
		struct services_deploy d = { cluster, doc, state, cfg, r->now,
		    NULL, NULL };

		if (services_deploy(r->store, &r->part, &d) != STORE_OK)
			goto store_err;
	}
	if (store_service_put(r->store, &r->part, cluster, name, doc, state) !=
	    STORE_OK || (json_array_size(tags) > 0 && store_tags_set(r->store,
	    arn, tags) != STORE_OK))
		goto store_err;
	json_object_set_new(r->out, "service", service_out(r, cluster, doc, 1));
	rc = 0;
	goto out;
store_err:
	api_fail(r, ECS_ERR_SERVER, "The store could not save the service: %s",
	    store_errmsg(r->store));
out:
	store_service_row_free(&old);
	json_decref(td);
	json_decref(cfg);
	json_decref(dc);
	json_decref(doc);
	json_decref(state);
	free(cluster_arn);
	free(arn);
	free(rest);
	return rc;
}

/* ---- UpdateService ---- */

/* The configuration the PRIMARY deployment runs, with the service's
 * load balancers and registries. */
static json_t *
primary_cfg(json_t *doc)
{
	json_t *primary = json_array_get(json_object_get(doc, "deployments"), 0);
	json_t *src = primary != NULL ? primary : doc, *cfg = json_object();

	for (size_t i = 0; i < sizeof cfg_keys / sizeof cfg_keys[0]; i++)
		set_or_del(cfg, cfg_keys[i], json_object_get(src, cfg_keys[i]));
	set_or_del(cfg, "serviceConnectConfiguration", primary != NULL ?
	    json_object_get(primary, "serviceConnectConfiguration") : NULL);
	json_object_set(cfg, "loadBalancers", json_object_get(doc,
	    "loadBalancers"));
	json_object_set(cfg, "serviceRegistries", json_object_get(doc,
	    "serviceRegistries"));
	return cfg;
}

/* Applies one member that makes a new deployment when it changes. */
static int
cfg_change(struct req *r, json_t *cfg, const char *key)
{
	json_t *v = in_get(r, key), *cur = json_object_get(cfg, key);

	if (v == NULL)
		return 0;
	if (cur == NULL && json_is_array(v) && json_array_size(v) == 0)
		return 0;
	if (cur != NULL && json_equal(cur, v))
		return 0;
	json_object_set(cfg, key, v);
	return 1;
}

int
op_update_service(struct req *r)
{
	char cluster[256];
	struct service_row row;
	json_t *doc, *cfg = NULL, *td = NULL, *v, *dc;
	const char *sched, *ctl;
	int rc = -1, redeploy, desired_changed = 0;

	if (service_load(r, "service", 1, cluster, sizeof cluster, &row) != 0)
		goto out;
	doc = row.doc;
	sched = str(doc, "schedulingStrategy");
	ctl = str(json_object_get(doc, "deploymentController"), "type");
	if (ctl != NULL && !same(ctl, "ECS") && (in_get(r, "taskDefinition") ||
	    in_get(r, "networkConfiguration") || in_get(r, "platformVersion") ||
	    in_bool(r, "forceNewDeployment", 0))) {
		api_fail(r, ECS_ERR_INVALID_PARAMETER, "Unable to update the task "
		    "definition, network configuration or platform version of a "
		    "service with the %s deployment controller: update its task "
		    "sets instead.", ctl);
		goto out;
	}
	cfg = primary_cfg(doc);
	redeploy = in_bool(r, "forceNewDeployment", 0);

	if (in_get(r, "desiredCount") != NULL && same(sched, "REPLICA")) {
		long long want = (long long)json_number_value(in_get(r,
		    "desiredCount"));

		if (want < 0) {
			api_fail(r, ECS_ERR_INVALID_PARAMETER, "desiredCount must be "
			    "0 or more.");
			goto out;
		}
		desired_changed = want != num(doc, "desiredCount");
		json_object_set_new(doc, "desiredCount", json_integer(want));
	}
	if (in_str(r, "taskDefinition") != NULL) {
		if (td_active(r, in_str(r, "taskDefinition"), &td) != 0)
			goto out;
		if (!same(str(cfg, "taskDefinition"), str(td, "taskDefinitionArn"))) {
			json_object_set(cfg, "taskDefinition",
			    json_object_get(td, "taskDefinitionArn"));
			redeploy = 1;
		}
	}
	if (in_get(r, "capacityProviderStrategy") != NULL &&
	    json_array_size(in_get(r, "capacityProviderStrategy")) > 0 &&
	    cfg_change(r, cfg, "capacityProviderStrategy")) {
		json_object_del(cfg, "launchType");
		redeploy = 1;
	}
	if ((v = in_get(r, "serviceConnectConfiguration")) != NULL) {
		json_t *scc = json_object();

		service_connect(r, cluster, scc, v);
		if (!json_equal(json_object_get(scc, "serviceConnectConfiguration"),
		    json_object_get(cfg, "serviceConnectConfiguration"))) {
			json_object_set(cfg, "serviceConnectConfiguration",
			    json_object_get(scc, "serviceConnectConfiguration"));
			redeploy = 1;
		}
		json_decref(scc);
	}
	redeploy |= cfg_change(r, cfg, "networkConfiguration");
	redeploy |= cfg_change(r, cfg, "platformVersion");
	redeploy |= cfg_change(r, cfg, "loadBalancers");
	redeploy |= cfg_change(r, cfg, "serviceRegistries");
	if (redeploy && str(cfg, "taskDefinition") != NULL) {
		if (td == NULL && taskdef_resolve(r, str(cfg, "taskDefinition"),
		    &td) != 0)
			goto out;
		if (cfg_check(r, cfg, td) != 0)
			goto out;
	}

	/* what changes in place */
	if ((v = in_get(r, "deploymentConfiguration")) != NULL) {
		const char *key;
		json_t *val;

		if (check_deployment_configuration(r, v, sched) != 0)
			goto out;
		dc = json_object_get(doc, "deploymentConfiguration");
		json_object_foreach(v, key, val)
			json_object_set(dc, key, val);
	}
	if (check_placement(r, in_get(r, "placementConstraints") ?
	    in_get(r, "placementConstraints") : json_object_get(doc,
	    "placementConstraints"), in_get(r, "placementStrategy") ?
	    in_get(r, "placementStrategy") : json_object_get(doc,
	    "placementStrategy"), cfg_launch_type(cfg), sched) != 0)
		goto out;
	if (in_get(r, "healthCheckGracePeriodSeconds") != NULL &&
	    in_int(r, "healthCheckGracePeriodSeconds", 0) < 0) {
		api_fail(r, ECS_ERR_INVALID_PARAMETER,
		    "healthCheckGracePeriodSeconds must be 0 or more.");
		goto out;
	}
	{
		static const char *const in_place[] = { "placementConstraints",
		    "placementStrategy", "healthCheckGracePeriodSeconds",
		    "enableExecuteCommand", "enableECSManagedTags", "propagateTags",
		    "availabilityZoneRebalancing", "deploymentController",
		    "loadBalancers", "serviceRegistries" };

		for (size_t i = 0; i < sizeof in_place / sizeof in_place[0]; i++)
			if ((v = in_get(r, in_place[i])) != NULL)
				json_object_set(doc, in_place[i], v);
	}
	if (redeploy) {
		for (size_t i = 0; i < sizeof cfg_keys / sizeof cfg_keys[0]; i++)
			set_or_del(doc, cfg_keys[i], json_object_get(cfg,
			    cfg_keys[i]));
	}
	if (redeploy && same(str(json_object_get(doc, "deploymentController"),
	    "type"), "ECS")) {
		struct services_deploy d = { cluster, doc, row.state, cfg, r->now,
		    NULL, NULL };

		if (services_deploy(r->store, &r->part, &d) != STORE_OK) {
			api_fail(r, ECS_ERR_SERVER, "The store could not save the "
			    "deployment: %s", store_errmsg(r->store));
			goto out;
		}
	} else {
		json_t *primary = json_array_get(json_object_get(doc,
		    "deployments"), 0);

		if (primary != NULL)
			json_object_set(primary, "desiredCount",
			    json_object_get(doc, "desiredCount"));
		if (desired_changed)
			json_object_set_new(row.state, "steady", json_false());
	}
	if (store_service_put(r->store, &r->part, cluster, row.name, doc,
	    row.state) != STORE_OK) {
		api_fail(r, ECS_ERR_SERVER, "The store could not save the service: "
		    "%s", store_errmsg(r->store));
		goto out;
	}
	json_object_set_new(r->out, "service", service_out(r, cluster, doc, 0));
	rc = 0;
out:
	store_service_row_free(&row);
	json_decref(cfg);
	json_decref(td);
	return rc;
}

/* ---- DeleteService ---- */

int
op_delete_service(struct req *r)
{
	char cluster[256];
	struct service_row row;
	json_t *doc, *d;
	size_t i;
	int rc = -1;

	if (service_load(r, "service", 1, cluster, sizeof cluster, &row) != 0)
		goto out;
	doc = row.doc;
	if (same(str(doc, "schedulingStrategy"), "REPLICA") &&
	    num(doc, "desiredCount") > 0 && !in_bool(r, "force", 0)) {
		api_fail(r, ECS_ERR_INVALID_PARAMETER, "The service cannot be "
		    "stopped while it is scaled above 0.");
		goto out;
	}
	json_object_set_new(doc, "status", json_string("DRAINING"));
	json_object_set_new(doc, "desiredCount", json_integer(0));
	json_array_foreach(json_object_get(doc, "deployments"), i, d)
		json_object_set_new(d, "desiredCount", json_integer(0));
	json_object_set_new(row.state, "steady", json_false());
	if (store_service_put(r->store, &r->part, cluster, row.name, doc,
	    row.state) != STORE_OK) {
		api_fail(r, ECS_ERR_SERVER, "The store could not save the service: "
		    "%s", store_errmsg(r->store));
		goto out;
	}
	json_object_set_new(r->out, "service", service_out(r, cluster, doc, 0));
	rc = 0;
out:
	store_service_row_free(&row);
	return rc;
}

/* ---- DescribeServices, ListServices ---- */

/* The cluster a read names: it must exist (any status). */
static int
cluster_known(struct req *r, char *cluster, size_t size)
{
	struct store_text t;
	char status[32];
	int rc;

	if (cluster_name_of(r, in_str(r, "cluster"), cluster, size) != 0)
		return -1;
	rc = store_cluster_text(r->store, &r->part, cluster, &t, status,
	    sizeof status);
	store_text_free(&t);
	if (rc != STORE_OK)
		return api_fail(r, ECS_ERR_CLUSTER_NOT_FOUND, "Cluster not found.");
	return 0;
}

int
op_describe_services(struct req *r)
{
	json_t *refs = in_get(r, "services"), *ref, *failures;
	int tags = in_has(r, "include", "TAGS");
	struct jbuf *b;
	char cluster[256];
	size_t i;

	if (cluster_known(r, cluster, sizeof cluster) != 0)
		return -1;
	if (json_array_size(refs) == 0)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER,
		    "Services cannot be empty.");
	if (json_array_size(refs) > DESCRIBE_MAX)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "At most %d services "
		    "can be described at once.", DESCRIBE_MAX);
	b = api_text(r);
	failures = json_array();
	jbuf_puts(b, "{\"services\":[");
	json_array_foreach(refs, i, ref) {
		const char *s = json_string_value(ref);
		char name[SERVICE_NAME_MAX + 1];
		struct store_text t;

		if (service_name_of(r, s, cluster, name, sizeof name) == 0 &&
		    store_service_text(r->store, &r->part, cluster, name, &t) ==
		    STORE_OK) {
			service_out_text(r, cluster, name, &t, tags, b);
			store_text_free(&t);
			continue;
		}
		{
			char *rest, *arn;

			if (s != NULL && strncmp(s, "arn:", 4) == 0) {
				arn = xstrdup(s);
			} else {
				xasprintf(&rest, "%s/%s", cluster, s ? s : "");
				arn = arn_make(&r->part, "service", rest);
				free(rest);
			}
			json_array_append_new(failures, json_pack("{s:s, s:s}", "arn",
			    arn, "reason", "MISSING"));
			free(arn);
		}
	}
	jbuf_puts(b, "],\"failures\":");
	jbuf_json(b, failures);
	jbuf_puts(b, "}");
	json_decref(failures);
	return 0;
}

int
op_list_services(struct req *r)
{
	char cluster[256], *after = NULL;
	json_t *arns = json_array();
	int limit, n, rc = -1;

	json_object_set_new(r->out, "serviceArns", arns);
	if (cluster_known(r, cluster, sizeof cluster) != 0 ||
	    in_max_results(r, 10, 100, &limit) != 0 ||
	    page_token_read(r, in_str(r, "nextToken"), &after) != 0)
		goto out;
	n = store_services_list(r->store, &r->part, cluster,
	    in_str(r, "launchType"), in_str(r, "schedulingStrategy"), after,
	    limit + 1, arns);
	if (n < 0) {
		api_fail(r, ECS_ERR_SERVER, "The store could not list services: %s",
		    store_errmsg(r->store));
		goto out;
	}
	if (n > limit) {
		json_array_remove(arns, (size_t)limit);
		char *token = page_token_make(json_string_value(json_array_get(arns,
		    (size_t)limit - 1)));

		json_object_set_new(r->out, "nextToken", json_string(token));
		free(token);
	}
	rc = 0;
out:
	free(after);
	return rc;
}

/* ---- service deployments and revisions ---- */

/* A service-deployment or service-revision ARN into cluster, service and
 * id; -1 when it is not one of ours. */
static int
history_arn(struct req *r, const char *s, const char *type, char *cluster,
    char *service, char *id)
{
	struct arn a;
	char *p, *q;

	if (s == NULL || arn_parse(s, &a) != 0 || !same(a.resource, type) ||
	    !same(a.region, r->part.region) || !same(a.account, r->part.account))
		return -1;
	p = strchr(a.name, '/');
	q = p != NULL ? strchr(p + 1, '/') : NULL;
	if (p == NULL || q == NULL || strchr(q + 1, '/') != NULL ||
	    p - a.name >= 256 || q - p - 1 > SERVICE_NAME_MAX ||
	    strlen(q + 1) >= 64 || q[1] == '\0')
		return -1;
	memcpy(cluster, a.name, (size_t)(p - a.name));
	cluster[p - a.name] = '\0';
	memcpy(service, p + 1, (size_t)(q - p - 1));
	service[q - p - 1] = '\0';
	snprintf(id, 64, "%s", q + 1);
	return 0;
}

static json_t *
brief_of(json_t *sd)
{
	static const char *const keys[] = { "serviceDeploymentArn",
	    "serviceArn", "clusterArn", "startedAt", "createdAt", "finishedAt",
	    "status", "statusReason" };
	json_t *b = json_object();

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		json_t *v = json_object_get(sd, keys[i]);

		if (v != NULL)
			json_object_set(b, keys[i], v);
	}
	json_object_set(b, "targetServiceRevisionArn", json_object_get(
	    json_object_get(sd, "targetServiceRevision"), "arn"));
	return b;
}

int
op_list_service_deployments(struct req *r)
{
	char cluster[256], name[SERVICE_NAME_MAX + 1], *key = NULL;
	json_t *docs = json_array(), *keys = json_array(), *list = json_array();
	json_t *created = in_get(r, "createdAt"), *doc;
	double after_at = 0;
	const char *after_id = NULL;
	struct service_row row;
	int limit, rc = -1;
	size_t i;

	memset(&row, 0, sizeof row);
	json_object_set_new(r->out, "serviceDeployments", list);
	if (cluster_known(r, cluster, sizeof cluster) != 0)
		goto out;
	if (service_name_of(r, in_str(r, "service"), cluster, name,
	    sizeof name) != 0 || store_service_get(r->store, &r->part, cluster,
	    name, &row) != STORE_OK) {
		api_fail(r, ECS_ERR_SERVICE_NOT_FOUND, "Service not found.");
		goto out;
	}
	if (in_max_results(r, 20, 100, &limit) != 0 ||
	    page_token_read(r, in_str(r, "nextToken"), &key) != 0)
		goto out;
	if (key != NULL) {
		char *slash = strchr(key, '/');

		if (slash == NULL) {
			page_token_refuse(r);
			goto out;
		}
		*slash = '\0';
		after_at = strtod(key, NULL);
		after_id = slash + 1;
	}
	if (store_service_deployments_list(r->store, &r->part, cluster, name,
	    in_get(r, "status"),
	    json_number_value(json_object_get(created, "after")),
	    json_number_value(json_object_get(created, "before")), after_at,
	    after_id, limit + 1, docs, keys) != STORE_OK) {
		api_fail(r, ECS_ERR_SERVER, "The store could not list service "
		    "deployments: %s", store_errmsg(r->store));
		goto out;
	}
	json_array_foreach(docs, i, doc) {
		if (i == (size_t)limit) {
			char *token = page_token_make(json_string_value(
			    json_array_get(keys, i - 1)));

			json_object_set_new(r->out, "nextToken", json_string(token));
			free(token);
			break;
		}
		json_array_append_new(list, brief_of(doc));
	}
	rc = 0;
out:
	store_service_row_free(&row);
	json_decref(docs);
	json_decref(keys);
	free(key);
	return rc;
}

/* Describe*: one history document per ARN, or a MISSING failure. */
static int
describe_history(struct req *r, const char *member, const char *type,
    const char *out_key, int deployments)
{
	json_t *arns = in_get(r, member), *a, *list, *failures;
	size_t i;

	if (json_array_size(arns) == 0)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "%s cannot be empty.",
		    member);
	if (json_array_size(arns) > HISTORY_DESCRIBE_MAX)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "At most %d ARNs can "
		    "be described at once.", HISTORY_DESCRIBE_MAX);
	list = json_array();
	failures = json_array();
	json_object_set_new(r->out, out_key, list);
	json_object_set_new(r->out, "failures", failures);
	json_array_foreach(arns, i, a) {
		char cluster[256], service[SERVICE_NAME_MAX + 1], id[64];
		json_t *doc = NULL;
		int rc = STORE_NOTFOUND;

		if (history_arn(r, json_string_value(a), type, cluster, service,
		    id) == 0)
			rc = deployments ? store_service_deployment_get(r->store,
			    &r->part, cluster, service, id, &doc) :
			    store_service_revision_get(r->store, &r->part, cluster,
			    service, id, &doc);
		if (rc == STORE_OK)
			json_array_append_new(list, doc);
		else
			json_array_append_new(failures, json_pack("{s:O, s:s}", "arn",
			    a, "reason", "MISSING"));
	}
	return 0;
}

int
op_describe_service_deployments(struct req *r)
{
	return describe_history(r, "serviceDeploymentArns", "service-deployment",
	    "serviceDeployments", 1);
}

int
op_describe_service_revisions(struct req *r)
{
	return describe_history(r, "serviceRevisionArns", "service-revision",
	    "serviceRevisions", 0);
}

/*
 * StopServiceDeployment (ROLLBACK): the deployment's service goes back to
 * the revision it replaced, as a new PRIMARY deployment; the service
 * deployment turns ROLLBACK_IN_PROGRESS and the scheduler finishes it.
 */
int
op_stop_service_deployment(struct req *r)
{
	const char *arn = in_str(r, "serviceDeploymentArn");
	const char *type = in_str(r, "stopType");
	char cluster[256], service[SERVICE_NAME_MAX + 1], id[64];
	json_t *sd = NULL, *rev = NULL, *cfg = NULL, *d;
	struct service_row row;
	const char *src, *status;
	char rev_id[64];
	int rc = -1;

	memset(&row, 0, sizeof row);
	if (history_arn(r, arn, "service-deployment", cluster, service, id) != 0 ||
	    store_service_deployment_get(r->store, &r->part, cluster, service, id,
	    &sd) != STORE_OK) {
		api_fail(r, ECS_ERR_DEPLOYMENT_NOT_FOUND, "The service deployment "
		    "does not exist.");
		goto out;
	}
	if (type != NULL && !same(type, "ROLLBACK")) {
		api_fail(r, ECS_ERR_INVALID_PARAMETER, "The stop type %s is not "
		    "supported; the valid value is ROLLBACK.", type);
		goto out;
	}
	status = str(sd, "status");
	if (!same(status, "PENDING") && !same(status, "IN_PROGRESS")) {
		api_fail(r, ECS_ERR_CONFLICT, "The service deployment is %s; only a "
		    "PENDING or IN_PROGRESS service deployment can be stopped.",
		    status ? status : "finished");
		goto out;
	}
	src = str(json_array_get(json_object_get(sd, "sourceServiceRevisions"),
	    0), "arn");
	if (src == NULL || history_arn(r, src, "service-revision", cluster,
	    service, rev_id) != 0 || store_service_revision_get(r->store,
	    &r->part, cluster, service, rev_id, &rev) != STORE_OK) {
		api_fail(r, ECS_ERR_INVALID_PARAMETER, "The service deployment has "
		    "no earlier service revision to roll back to.");
		goto out;
	}
	if (store_service_get(r->store, &r->part, cluster, service, &row) !=
	    STORE_OK || !same(row.status, "ACTIVE")) {
		api_fail(r, ECS_ERR_SERVICE_NOT_ACTIVE, "Service was not ACTIVE.");
		goto out;
	}
	cfg = json_deep_copy(rev);
	d = json_array_get(json_object_get(row.doc, "deployments"), 0);
	if (d != NULL) {
		json_object_set_new(d, "rolloutState", json_string("FAILED"));
		json_object_set_new(d, "rolloutStateReason", json_sprintf(
		    "ECS deployment %s stopped: a rollback was requested.",
		    str(d, "id")));
	}
	{
		struct services_deploy dep = { cluster, row.doc, row.state, cfg,
		    r->now, id, "Rollback requested by StopServiceDeployment." };

		if (services_deploy(r->store, &r->part, &dep) != STORE_OK)
			goto store_err;
	}
	if (store_service_put(r->store, &r->part, cluster, service, row.doc,
	    row.state) != STORE_OK)
		goto store_err;
	json_object_set_new(r->out, "serviceDeploymentArn", json_string(arn));
	rc = 0;
	goto out;
store_err:
	api_fail(r, ECS_ERR_SERVER, "The store could not save the rollback: %s",
	    store_errmsg(r->store));
out:
	store_service_row_free(&row);
	json_decref(sd);
	json_decref(rev);
	json_decref(cfg);
	return rc;
}
