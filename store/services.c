/*
 * services.c - the services table and its history: service deployments and
 * service revisions (notes/services-contract.md).
 *
 * A service is one row per (account, region, cluster, name). `doc` is the
 * ECS Service shape without tags (those live in the tags table) and is the
 * truth, deployments[] included; the columns (arn, status, launch type,
 * scheduling strategy, desired count, namespace) mirror it so that
 * ListServices, the cluster counts and the scheduler's scan are indexed
 * queries. `state` is the service scheduler's own bookkeeping, never shown.
 * A deleted service stays as an INACTIVE row (deleted_at) so that it can
 * still be described, until store_services_expire forgets it.
 *
 * Service deployments (ServiceDeployment shape) and service revisions
 * (ServiceRevision shape) are rows of their own, keyed by the service and
 * their id, because they outlive the deployments[] entry they belong to.
 * The count of a service's tasks comes from the tasks table: a service's
 * tasks have the `service` column set (store/tasks.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../daemon/daemon.h"
#include "store.h"

static const char *
doc_str(json_t *doc, const char *key)
{
	return json_string_value(json_object_get(doc, key));
}

static char *
column_dup(sqlite3_stmt *s, int i)
{
	const char *v = (const char *)sqlite3_column_text(s, i);

	return v != NULL ? xstrdup(v) : NULL;
}

/* Steps a statement to its end, counting rows; STORE_ERR on failure. */
static int
step_count(struct store *st, sqlite3_stmt *s)
{
	int n = 0, rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		n++;
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_error("store: %s", store_errmsg(st));
		return STORE_ERR;
	}
	return n;
}

/* ---- services -------------------------------------------------------- */

void
store_service_row_free(struct service_row *row)
{
	if (row == NULL)
		return;
	free(row->account);
	free(row->region);
	free(row->cluster);
	free(row->name);
	free(row->arn);
	free(row->status);
	json_decref(row->doc);
	json_decref(row->state);
	memset(row, 0, sizeof *row);
}

/* Reads a row selected as account, region, cluster, name, arn, status, doc,
 * state, deleted_at. */
static void
service_read(sqlite3_stmt *s, struct service_row *out)
{
	out->account = column_dup(s, 0);
	out->region = column_dup(s, 1);
	out->cluster = column_dup(s, 2);
	out->name = column_dup(s, 3);
	out->arn = column_dup(s, 4);
	out->status = column_dup(s, 5);
	out->doc = store_column_json(s, 6);
	out->state = store_column_json(s, 7);
	out->deleted_at = sqlite3_column_type(s, 8) == SQLITE_NULL ? 0 :
	    sqlite3_column_double(s, 8);
}

/* Service `name` of a cluster (any status); STORE_NOTFOUND if none. */
int
store_service_get(struct store *st, const struct part *p, const char *cluster,
    const char *name, struct service_row *out)
{
	static const char sql[] =
	    "SELECT account, region, cluster, name, arn, status, doc, state, "
	    "deleted_at FROM services WHERE account = ?1 AND region = ?2 "
	    "AND cluster = ?3 AND name = ?4";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc = STORE_NOTFOUND;

	memset(out, 0, sizeof *out);
	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, name);
	if (sqlite3_step(s) == SQLITE_ROW) {
		service_read(s, out);
		rc = STORE_OK;
	}
	sqlite3_reset(s);
	return rc;
}

/* Service `name`'s ARN and document as text, without its state; for
 * DescribeServices. STORE_NOTFOUND if there is none. */
int
store_service_text(struct store *st, const struct part *p,
    const char *cluster, const char *name, struct store_text *out)
{
	static const char sql[] =
	    "SELECT arn, doc FROM services WHERE account = ?1 AND region = ?2 "
	    "AND cluster = ?3 AND name = ?4";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc = STORE_NOTFOUND;

	memset(out, 0, sizeof *out);
	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, name);
	if (sqlite3_step(s) == SQLITE_ROW) {
		store_text_read(s, 0, 1, out);
		rc = STORE_OK;
	}
	sqlite3_reset(s);
	return rc;
}

/*
 * Writes service `name` (insert or replace). Columns come from the doc:
 * serviceArn, status, launchType (from capacityProviderStrategy's FARGATE
 * providers when there is no launchType: FARGATE, else EC2), schedulingStrategy,
 * desiredCount, createdAt, the namespace of serviceConnectConfiguration
 * (of the doc, else of its PRIMARY deployment, where ECS shows it). state may
 * be NULL to keep the stored one. deleted_at is set the first time status is
 * INACTIVE and cleared when it is not.
 */
int
store_service_put(struct store *st, const struct part *p, const char *cluster,
    const char *name, json_t *doc, json_t *state)
{
	static const char sql[] =
	    "INSERT INTO services (account, region, cluster, name, arn, status, "
	    "launch_type, scheduling_strategy, desired_count, created_at, doc, "
	    "state, updated_at, deleted_at, namespace) VALUES (?1, ?2, ?3, ?4, "
	    "?5, ?6, ?7, ?8, ?9, ?10, ?11, coalesce(?12, '{}'), ?13, "
	    "CASE WHEN ?6 = 'INACTIVE' THEN ?13 END, ?14) "
	    "ON CONFLICT (account, region, cluster, name) DO UPDATE SET "
	    "arn = excluded.arn, status = excluded.status, "
	    "launch_type = excluded.launch_type, "
	    "scheduling_strategy = excluded.scheduling_strategy, "
	    "desired_count = excluded.desired_count, "
	    "created_at = excluded.created_at, doc = excluded.doc, "
	    "state = coalesce(?12, services.state), "
	    "updated_at = excluded.updated_at, "
	    "deleted_at = CASE WHEN excluded.status = 'INACTIVE' "
	    "THEN coalesce(services.deleted_at, excluded.updated_at) END, "
	    "namespace = excluded.namespace";
	sqlite3_stmt *s = store_stmt(st, sql);
	const char *arn = doc_str(doc, "serviceArn");
	const char *status = doc_str(doc, "status");
	const char *lt = doc_str(doc, "launchType");
	const char *strategy = doc_str(doc, "schedulingStrategy");
	json_t *scc = json_object_get(doc, "serviceConnectConfiguration");
	json_t *primary = json_array_get(json_object_get(doc, "deployments"), 0);
	json_t *cps = json_object_get(doc, "capacityProviderStrategy"), *item;
	size_t i;

	if (arn == NULL || status == NULL)
		return STORE_ERR;
	/* service connect lives in the PRIMARY deployment (Deployment shape) */
	if (scc == NULL)
		scc = json_object_get(primary, "serviceConnectConfiguration");
	if (lt == NULL) {
		json_array_foreach(cps, i, item) {
			const char *cp = doc_str(item, "capacityProvider");

			if (cp != NULL && strncmp(cp, "FARGATE", 7) == 0)
				lt = "FARGATE";
		}
		if (lt == NULL && json_array_size(cps) > 0)
			lt = "EC2";
	}
	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, name);
	store_bind_text(s, 5, arn);
	store_bind_text(s, 6, status);
	store_bind_text(s, 7, lt);
	store_bind_text(s, 8, strategy != NULL ? strategy : "REPLICA");
	sqlite3_bind_int64(s, 9, json_integer_value(json_object_get(doc,
	    "desiredCount")));
	sqlite3_bind_double(s, 10, json_number_value(json_object_get(doc,
	    "createdAt")));
	store_bind_json(s, 11, doc);
	if (state != NULL)
		store_bind_json(s, 12, state);
	sqlite3_bind_double(s, 13, now_epoch());
	store_bind_text(s, 14, json_is_true(json_object_get(scc, "enabled")) ?
	    doc_str(scc, "namespace") : NULL);
	return store_step_done(st, s);
}

/*
 * ListServices: ARNs of the cluster's services that are ACTIVE or DRAINING,
 * filtered by launch type and scheduling strategy when not NULL, in ARN
 * order strictly after `after` (NULL: from the start), at most limit of
 * them, appended to arns. Returns how many, or STORE_ERR. The unary plus
 * keeps SQLite off the status indexes: the page walks services_arn in arn
 * order from `after` and checks each row's status in the index, so it
 * reads about a page of rows instead of sorting the whole cluster.
 */
int
store_services_list(struct store *st, const struct part *p,
    const char *cluster, const char *launch_type, const char *strategy,
    const char *after, int limit, json_t *arns)
{
	static const char sql[] =
	    "SELECT arn FROM services WHERE account = ?1 AND region = ?2 "
	    "AND cluster = ?3 AND +status IN ('ACTIVE', 'DRAINING') "
	    "AND (?4 IS NULL OR launch_type = ?4) "
	    "AND (?5 IS NULL OR scheduling_strategy = ?5) "
	    "AND arn > ?6 ORDER BY arn LIMIT ?7";
	sqlite3_stmt *s = store_stmt(st, sql);
	int n = 0, rc;

	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, launch_type);
	store_bind_text(s, 5, strategy);
	store_bind_text(s, 6, after != NULL ? after : "");
	sqlite3_bind_int(s, 7, limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_array_append_new(arns, json_string(
		    (const char *)sqlite3_column_text(s, 0)));
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_error("store: %s", store_errmsg(st));
		return STORE_ERR;
	}
	return n;
}

/*
 * Calls cb for every ACTIVE or DRAINING service in every partition, in
 * (account, region, cluster, name) order: the keys, ARN and status only
 * (doc and state stay NULL), because the scheduler's full pass reads each
 * service again in its own transaction, and parsing every document twice
 * was a third of that pass. The rows are read first, so cb may write (the
 * row is only valid during the call).
 */
int
store_services_live(struct store *st, void (*cb)(void *, struct service_row *),
    void *arg)
{
	static const char sql[] =
	    "SELECT account, region, cluster, name, arn, status "
	    "FROM services WHERE status IN ('ACTIVE', 'DRAINING') "
	    "ORDER BY account, region, cluster, name";
	sqlite3_stmt *s = store_stmt(st, sql);
	struct service_row *rows = NULL;
	size_t n = 0, cap = 0;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			rows = xrealloc(rows, cap * sizeof *rows);
		}
		memset(&rows[n], 0, sizeof rows[n]);
		rows[n].account = column_dup(s, 0);
		rows[n].region = column_dup(s, 1);
		rows[n].cluster = column_dup(s, 2);
		rows[n].name = column_dup(s, 3);
		rows[n].arn = column_dup(s, 4);
		rows[n].status = column_dup(s, 5);
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_error("store: %s", store_errmsg(st));
		rc = STORE_ERR;
	} else {
		rc = STORE_OK;
	}
	for (size_t i = 0; i < n; i++) {
		if (rc == STORE_OK)
			cb(arg, &rows[i]);
		store_service_row_free(&rows[i]);
	}
	free(rows);
	return rc;
}

/*
 * Forgets INACTIVE services deleted before `before`, with their tags,
 * service deployments and service revisions. Returns how many services
 * went, or STORE_ERR.
 */
int
store_services_expire(struct store *st, double before)
{
	static const char tags_sql[] =
	    "DELETE FROM tags WHERE arn IN (SELECT arn FROM services "
	    "WHERE status = 'INACTIVE' AND deleted_at < ?1)";
	static const char deps_sql[] =
	    "DELETE FROM service_deployments WHERE (account, region, cluster, "
	    "service) IN (SELECT account, region, cluster, name FROM services "
	    "WHERE status = 'INACTIVE' AND deleted_at < ?1)";
	static const char revs_sql[] =
	    "DELETE FROM service_revisions WHERE (account, region, cluster, "
	    "service) IN (SELECT account, region, cluster, name FROM services "
	    "WHERE status = 'INACTIVE' AND deleted_at < ?1)";
	static const char sql[] =
	    "DELETE FROM services WHERE status = 'INACTIVE' AND deleted_at < ?1 "
	    "RETURNING 1";
	const char *const pre[] = { tags_sql, deps_sql, revs_sql };
	sqlite3_stmt *s;

	for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++) {
		s = store_stmt(st, pre[i]);
		sqlite3_bind_double(s, 1, before);
		if (store_step_done(st, s) != STORE_OK)
			return STORE_ERR;
	}
	s = store_stmt(st, sql);
	sqlite3_bind_double(s, 1, before);
	return step_count(st, s);
}

/*
 * Forgets the service deployments and revisions of service `name` (a name
 * used again after its INACTIVE service: the new service starts afresh).
 */
int
store_service_history_clear(struct store *st, const struct part *p,
    const char *cluster, const char *name)
{
	static const char deps_sql[] =
	    "DELETE FROM service_deployments WHERE account = ?1 AND region = ?2 "
	    "AND cluster = ?3 AND service = ?4";
	static const char revs_sql[] =
	    "DELETE FROM service_revisions WHERE account = ?1 AND region = ?2 "
	    "AND cluster = ?3 AND service = ?4";
	const char *const sqls[] = { deps_sql, revs_sql };

	for (size_t i = 0; i < 2; i++) {
		sqlite3_stmt *s = store_stmt(st, sqls[i]);

		store_bind_part(s, p);
		store_bind_text(s, 3, cluster);
		store_bind_text(s, 4, name);
		if (store_step_done(st, s) != STORE_OK)
			return STORE_ERR;
	}
	return STORE_OK;
}

/*
 * Calls cb for every task of service `name` that is not STOPPED, and for
 * those that became STOPPED after `since` (stopped_at > since), in
 * (created_at, id) order, with the task's stopped_at (0 when it is not
 * STOPPED). Rows are read first, so cb may save tasks. The spec comes as
 * text: store_task_row_spec parses it when asked.
 */
int
store_service_tasks(struct store *st, const struct part *p,
    const char *cluster, const char *name, double since,
    void (*cb)(void *, struct task_row *, double), void *arg)
{
	static const char sql[] =
	    "SELECT account, region, cluster, id, arn, doc, spec, "
	    "coalesce(stopped_at, 0), coalesce(protected_until, 0) FROM tasks "
	    "WHERE account = ?1 AND region = ?2 AND cluster = ?3 "
	    "AND service = ?4 AND (last_status <> 'STOPPED' OR stopped_at > ?5) "
	    "ORDER BY created_at, id";
	sqlite3_stmt *s = store_stmt(st, sql);
	struct task_row *rows = NULL;
	double *stopped = NULL;
	size_t n = 0, cap = 0;
	int rc;

	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, name);
	sqlite3_bind_double(s, 5, since);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct task_row *r;

		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			rows = xrealloc(rows, cap * sizeof *rows);
			stopped = xrealloc(stopped, cap * sizeof *stopped);
		}
		r = &rows[n];
		memset(r, 0, sizeof *r);
		r->account = column_dup(s, 0);
		r->region = column_dup(s, 1);
		r->cluster = column_dup(s, 2);
		r->id = column_dup(s, 3);
		r->arn = column_dup(s, 4);
		r->service = xstrdup(name);
		r->doc = store_column_json(s, 5);
		r->spec_text = column_dup(s, 6);  /* store_task_row_spec */
		r->protected_until = sqlite3_column_double(s, 8);
		stopped[n++] = sqlite3_column_double(s, 7);
	}
	sqlite3_reset(s);
	rc = rc == SQLITE_DONE ? STORE_OK : STORE_ERR;
	if (rc == STORE_ERR)
		log_error("store: %s", store_errmsg(st));
	for (size_t i = 0; i < n; i++) {
		if (rc == STORE_OK)
			cb(arg, &rows[i], stopped[i]);
		store_task_row_free(&rows[i]);
	}
	free(rows);
	free(stopped);
	return rc;
}

/*
 * Calls cb with startedBy, lastStatus and desiredStatus of every task of
 * service `name` that is not STOPPED, from the columns: what the counts of
 * a service need, without reading or parsing the task documents.
 */
int
store_service_task_states(struct store *st, const struct part *p,
    const char *cluster, const char *name,
    void (*cb)(void *, const char *, const char *, const char *), void *arg)
{
	static const char sql[] =
	    "SELECT started_by, last_status, desired_status FROM tasks "
	    "WHERE account = ?1 AND region = ?2 AND cluster = ?3 "
	    "AND service = ?4 AND last_status <> 'STOPPED'";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, name);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		cb(arg, (const char *)sqlite3_column_text(s, 0),
		    (const char *)sqlite3_column_text(s, 1),
		    (const char *)sqlite3_column_text(s, 2));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_error("store: %s", store_errmsg(st));
		return STORE_ERR;
	}
	return STORE_OK;
}

/* ---- service deployments --------------------------------------------- */

/*
 * Writes service deployment `id` of a service (insert or replace): doc is
 * the ServiceDeployment shape; deployment_id is the ecs-svc/<digits> id of
 * the deployments[] entry it tracks. Columns from the doc:
 * serviceDeploymentArn, status, createdAt.
 */
int
store_service_deployment_put(struct store *st, const struct part *p,
    const char *cluster, const char *service, const char *id,
    const char *deployment_id, json_t *doc)
{
	static const char sql[] =
	    "INSERT INTO service_deployments (account, region, cluster, service, "
	    "id, arn, deployment_id, status, created_at, doc) VALUES (?1, ?2, "
	    "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
	    "ON CONFLICT (account, region, cluster, service, id) DO UPDATE SET "
	    "arn = excluded.arn, deployment_id = excluded.deployment_id, "
	    "status = excluded.status, created_at = excluded.created_at, "
	    "doc = excluded.doc";
	sqlite3_stmt *s = store_stmt(st, sql);
	const char *arn = doc_str(doc, "serviceDeploymentArn");
	const char *status = doc_str(doc, "status");

	if (arn == NULL || status == NULL || deployment_id == NULL)
		return STORE_ERR;
	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, service);
	store_bind_text(s, 5, id);
	store_bind_text(s, 6, arn);
	store_bind_text(s, 7, deployment_id);
	store_bind_text(s, 8, status);
	sqlite3_bind_double(s, 9, json_number_value(json_object_get(doc,
	    "createdAt")));
	store_bind_json(s, 10, doc);
	return store_step_done(st, s);
}

/* Service deployment `id` of a service into *doc (new reference). */
int
store_service_deployment_get(struct store *st, const struct part *p,
    const char *cluster, const char *service, const char *id, json_t **doc)
{
	static const char sql[] =
	    "SELECT doc FROM service_deployments WHERE account = ?1 "
	    "AND region = ?2 AND cluster = ?3 AND service = ?4 AND id = ?5";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc = STORE_NOTFOUND;

	*doc = NULL;
	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, service);
	store_bind_text(s, 5, id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*doc = store_column_json(s, 0);
		rc = STORE_OK;
	}
	sqlite3_reset(s);
	return rc;
}

/*
 * The service deployment that tracks deployments[] entry deployment_id
 * (ecs-svc/<digits>) into *doc, and its id into id_out (size bytes) when
 * not NULL.
 */
int
store_service_deployment_of(struct store *st, const struct part *p,
    const char *cluster, const char *service, const char *deployment_id,
    json_t **doc, char *id_out, size_t size)
{
	static const char sql[] =
	    "SELECT doc, id FROM service_deployments WHERE account = ?1 "
	    "AND region = ?2 AND cluster = ?3 AND service = ?4 "
	    "AND deployment_id = ?5 ORDER BY created_at DESC LIMIT 1";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc = STORE_NOTFOUND;

	*doc = NULL;
	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, service);
	store_bind_text(s, 5, deployment_id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*doc = store_column_json(s, 0);
		if (id_out != NULL && size > 0)
			snprintf(id_out, size, "%s",
			    (const char *)sqlite3_column_text(s, 1));
		rc = STORE_OK;
	}
	sqlite3_reset(s);
	return rc;
}

/*
 * One page of ListServiceDeployments: the docs of a service's deployments,
 * newest first ((created_at, id) descending), whose status is one of
 * `statuses` (a JSON array of strings; NULL or empty: any) and whose
 * createdAt lies in [after, before] (pass 0 / 0 for no bound), strictly
 * after the key (after_at, after_id) of the previous page (after_id NULL:
 * from the start), at most limit of them, appended to docs; keys gets each
 * row's key as "<created_at>/<id>".
 */
int
store_service_deployments_list(struct store *st, const struct part *p,
    const char *cluster, const char *service, json_t *statuses, double after,
    double before, double after_at, const char *after_id, int limit,
    json_t *docs, json_t *keys)
{
	static const char sql[] =
	    "SELECT doc, created_at, id FROM service_deployments "
	    "WHERE account = ?1 AND region = ?2 AND cluster = ?3 "
	    "AND service = ?4 "
	    "AND (?5 IS NULL OR status IN (SELECT value FROM json_each(?5))) "
	    "AND (?6 = 0 OR created_at >= ?6) AND (?7 = 0 OR created_at <= ?7) "
	    "AND (?9 IS NULL OR created_at < ?8 "
	    "OR (created_at = ?8 AND id < ?9)) "
	    "ORDER BY created_at DESC, id DESC LIMIT ?10";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, service);
	if (json_array_size(statuses) > 0)
		store_bind_json(s, 5, statuses);
	sqlite3_bind_double(s, 6, after);
	sqlite3_bind_double(s, 7, before);
	sqlite3_bind_double(s, 8, after_at);
	store_bind_text(s, 9, after_id);
	sqlite3_bind_int(s, 10, limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		char *key;

		json_array_append_new(docs, store_column_json(s, 0));
		xasprintf(&key, "%.17g/%s", sqlite3_column_double(s, 1),
		    (const char *)sqlite3_column_text(s, 2));
		json_array_append_new(keys, json_string(key));
		free(key);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_error("store: %s", store_errmsg(st));
		return STORE_ERR;
	}
	return STORE_OK;
}

/* ---- service revisions ----------------------------------------------- */

/* Writes service revision `id` (the digits of its deployment's id): doc is
 * the ServiceRevision shape; arn and createdAt come from it. */
int
store_service_revision_put(struct store *st, const struct part *p,
    const char *cluster, const char *service, const char *id, json_t *doc)
{
	static const char sql[] =
	    "INSERT INTO service_revisions (account, region, cluster, service, "
	    "id, arn, created_at, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
	    "ON CONFLICT (account, region, cluster, service, id) DO UPDATE SET "
	    "arn = excluded.arn, created_at = excluded.created_at, "
	    "doc = excluded.doc";
	sqlite3_stmt *s = store_stmt(st, sql);
	const char *arn = doc_str(doc, "serviceRevisionArn");

	if (arn == NULL)
		return STORE_ERR;
	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, service);
	store_bind_text(s, 5, id);
	store_bind_text(s, 6, arn);
	sqlite3_bind_double(s, 7, json_number_value(json_object_get(doc,
	    "createdAt")));
	store_bind_json(s, 8, doc);
	return store_step_done(st, s);
}

/* Service revision `id` of a service into *doc (new reference). */
int
store_service_revision_get(struct store *st, const struct part *p,
    const char *cluster, const char *service, const char *id, json_t **doc)
{
	static const char sql[] =
	    "SELECT doc FROM service_revisions WHERE account = ?1 "
	    "AND region = ?2 AND cluster = ?3 AND service = ?4 AND id = ?5";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc = STORE_NOTFOUND;

	*doc = NULL;
	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, service);
	store_bind_text(s, 5, id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*doc = store_column_json(s, 0);
		rc = STORE_OK;
	}
	sqlite3_reset(s);
	return rc;
}

/*
 * ListServicesByNamespace: ARNs of ACTIVE or DRAINING services, in every
 * cluster of the partition, whose namespace column (the
 * serviceConnectConfiguration namespace as stored) is `ns`, in ARN order
 * strictly after `after`, at most limit; returns how many or STORE_ERR.
 */
int
store_services_by_namespace(struct store *st, const struct part *p,
    const char *ns, const char *after, int limit, json_t *arns)
{
	static const char sql[] =
	    "SELECT arn FROM services WHERE account = ?1 AND region = ?2 "
	    "AND namespace = ?3 AND status IN ('ACTIVE', 'DRAINING') "
	    "AND arn > ?4 ORDER BY arn LIMIT ?5";
	sqlite3_stmt *s = store_stmt(st, sql);
	int n = 0, rc;

	store_bind_part(s, p);
	store_bind_text(s, 3, ns);
	store_bind_text(s, 4, after != NULL ? after : "");
	sqlite3_bind_int(s, 5, limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_array_append_new(arns, json_string(
		    (const char *)sqlite3_column_text(s, 0)));
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_error("store: %s", store_errmsg(st));
		return STORE_ERR;
	}
	return n;
}
