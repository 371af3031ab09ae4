/*
 * clusters.c - the clusters table: one row per (account, region, name), the
 * cluster as a JSON document (the ECS Cluster shape without the counts,
 * statistics and tags, which are computed or live elsewhere) next to the
 * columns that are filtered and sorted (status, arn). Deleted clusters stay
 * as INACTIVE rows so they can still be described and come back with the
 * same ARN.
 *
 * The counts a cluster reports (registered instances, running and pending
 * tasks, active services, the per-launch-type statistics) and the checks
 * DeleteCluster and PutClusterCapacityProviders make are COUNT queries over
 * the real rows of services, tasks and container_instances, whose `cluster`
 * column holds the cluster's name.
 */
#include <stdio.h>
#include <string.h>

#include "../daemon/daemon.h"
#include "store.h"

/* STORE_OK when the cluster exists and is ACTIVE, else STORE_NOTFOUND. */
int
store_cluster_active(struct store *st, const struct part *p, const char *name)
{
	static const char sql[] =
	    "SELECT 1 FROM clusters WHERE account = ?1 AND region = ?2 "
	    "AND name = ?3 AND status = 'ACTIVE'";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	store_bind_part(s, p);
	store_bind_text(s, 3, name);
	rc = sqlite3_step(s) == SQLITE_ROW ? STORE_OK : STORE_NOTFOUND;
	sqlite3_reset(s);
	return rc;
}

/*
 * The document of cluster `name` (any status) into *doc (new reference), or
 * STORE_NOTFOUND. The doc's "status" is the row's status.
 */
int
store_cluster_get(struct store *st, const struct part *p, const char *name,
    json_t **doc)
{
	static const char sql[] =
	    "SELECT doc, status FROM clusters WHERE account = ?1 AND region = ?2 "
	    "AND name = ?3";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc = STORE_NOTFOUND;

	*doc = NULL;
	store_bind_part(s, p);
	store_bind_text(s, 3, name);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*doc = store_column_json(s, 0);
		json_object_set_new(*doc, "status", json_string(
		    (const char *)sqlite3_column_text(s, 1)));
		rc = STORE_OK;
	}
	sqlite3_reset(s);
	return rc;
}

/* Cluster `name`'s document as text and its status column (which wins
 * over the document's), for DescribeClusters. STORE_NOTFOUND if none. */
int
store_cluster_text(struct store *st, const struct part *p, const char *name,
    struct store_text *out, char *status, size_t size)
{
	static const char sql[] =
	    "SELECT arn, doc, status FROM clusters WHERE account = ?1 AND "
	    "region = ?2 AND name = ?3";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc = STORE_NOTFOUND;

	memset(out, 0, sizeof *out);
	store_bind_part(s, p);
	store_bind_text(s, 3, name);
	if (sqlite3_step(s) == SQLITE_ROW) {
		store_text_read(s, 0, 1, out);
		snprintf(status, size, "%s", (const char *)sqlite3_column_text(s,
		    2));
		rc = STORE_OK;
	}
	sqlite3_reset(s);
	return rc;
}

/*
 * Writes cluster `name` (insert or replace). The ARN and status columns come
 * from the doc's clusterArn and status; created_at is kept from the first
 * insert.
 */
int
store_cluster_put(struct store *st, const struct part *p, const char *name,
    json_t *doc, double now)
{
	static const char sql[] =
	    "INSERT INTO clusters (account, region, name, arn, status, "
	    "created_at, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
	    "ON CONFLICT (account, region, name) DO UPDATE SET "
	    "arn = excluded.arn, status = excluded.status, doc = excluded.doc";
	sqlite3_stmt *s = store_stmt(st, sql);
	const char *arn = json_string_value(json_object_get(doc, "clusterArn"));
	const char *status = json_string_value(json_object_get(doc, "status"));

	if (arn == NULL || status == NULL)
		return STORE_ERR;
	store_bind_part(s, p);
	store_bind_text(s, 3, name);
	store_bind_text(s, 4, arn);
	store_bind_text(s, 5, status);
	sqlite3_bind_double(s, 6, now);
	store_bind_json(s, 7, doc);
	return store_step_done(st, s);
}

/*
 * ARNs of ACTIVE clusters in ARN order, strictly after `after` (NULL: from
 * the start), at most `limit` of them, appended to `arns`. Returns how many
 * were appended, or STORE_ERR.
 */
int
store_cluster_list(struct store *st, const struct part *p, const char *after,
    int limit, json_t *arns)
{
	static const char sql[] =
	    "SELECT arn FROM clusters WHERE account = ?1 AND region = ?2 "
	    "AND status = 'ACTIVE' AND arn > ?3 ORDER BY arn LIMIT ?4";
	sqlite3_stmt *s = store_stmt(st, sql);
	int n = 0, rc;

	store_bind_part(s, p);
	store_bind_text(s, 3, after != NULL ? after : "");
	sqlite3_bind_int(s, 4, limit);
	for (rc = sqlite3_step(s); rc == SQLITE_ROW; rc = sqlite3_step(s)) {
		json_array_append_new(arns, json_string(
		    (const char *)sqlite3_column_text(s, 0)));
		n++;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? n : STORE_ERR;
}

/* One COUNT-style query over (account, region, cluster) into ints. */
static int
count_into(struct store *st, const char *sql, const struct part *p,
    const char *cluster, int *const out[], int n)
{
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	rc = sqlite3_step(s);
	for (int i = 0; i < n; i++)
		*out[i] = rc == SQLITE_ROW ? sqlite3_column_int(s, i) : 0;
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? STORE_OK : STORE_ERR;
}

/*
 * The counts of cluster `name` from the rows of container_instances, tasks
 * and services. Tasks still on their way up (PROVISIONING, PENDING,
 * ACTIVATING) count as pending, as ECS reports them.
 */
int
store_cluster_counts(struct store *st, const struct part *p, const char *name,
    struct cluster_counts *c)
{
	static const char instances_sql[] =
	    "SELECT count(*) FILTER (WHERE status IN ('ACTIVE', 'DRAINING')) "
	    "FROM container_instances WHERE account = ?1 AND region = ?2 "
	    "AND cluster = ?3";
	/* Spelt out: SQLite runs an IN list of more than two values through
	 * a temporary b-tree built on every execution. */
#define PENDING_SQL "(last_status = 'PROVISIONING' OR " \
	"last_status = 'PENDING' OR last_status = 'ACTIVATING')"
	static const char tasks_sql[] =
	    "SELECT count(*) FILTER (WHERE last_status = 'RUNNING'), "
	    "count(*) FILTER (WHERE " PENDING_SQL "), "
	    "count(*) FILTER (WHERE last_status = 'RUNNING' "
	    "AND launch_type = 'EC2'), "
	    "count(*) FILTER (WHERE last_status = 'RUNNING' "
	    "AND launch_type = 'FARGATE'), "
	    "count(*) FILTER (WHERE " PENDING_SQL " AND launch_type = 'EC2'), "
	    "count(*) FILTER (WHERE " PENDING_SQL " AND launch_type = 'FARGATE'), "
	    "count(*) FILTER (WHERE last_status <> 'STOPPED') "
	    "FROM tasks WHERE account = ?1 AND region = ?2 AND cluster = ?3";
#undef PENDING_SQL
	static const char services_sql[] =
	    "SELECT count(*) FILTER (WHERE status = 'ACTIVE'), "
	    "count(*) FILTER (WHERE status = 'ACTIVE' AND launch_type = 'EC2'), "
	    "count(*) FILTER (WHERE status = 'ACTIVE' "
	    "AND launch_type = 'FARGATE'), "
	    "count(*) FILTER (WHERE status = 'DRAINING' "
	    "AND launch_type = 'EC2'), "
	    "count(*) FILTER (WHERE status = 'DRAINING' "
	    "AND launch_type = 'FARGATE'), "
	    "count(*) FILTER (WHERE status IN ('ACTIVE', 'DRAINING')) "
	    "FROM services WHERE account = ?1 AND region = ?2 AND cluster = ?3";
	int *const inst[] = { &c->instances };
	int *const tasks[] = { &c->running, &c->pending, &c->running_ec2,
	    &c->running_fargate, &c->pending_ec2, &c->pending_fargate,
	    &c->live_tasks };
	int *const svcs[] = { &c->services, &c->active_ec2, &c->active_fargate,
	    &c->draining_ec2, &c->draining_fargate, &c->live_services };

	memset(c, 0, sizeof *c);
	if (count_into(st, instances_sql, p, name, inst, 1) != STORE_OK ||
	    count_into(st, tasks_sql, p, name, tasks, 7) != STORE_OK ||
	    count_into(st, services_sql, p, name, svcs, 6) != STORE_OK)
		return STORE_ERR;
	return STORE_OK;
}

/*
 * The name of an ACTIVE cluster other than `except` (NULL: any) whose
 * capacityProviders list holds `provider`, into out; STORE_NOTFOUND when
 * there is none.
 */
int
store_cluster_with_provider(struct store *st, const struct part *p,
    const char *provider, const char *except, char *out, size_t size)
{
	static const char sql[] =
	    "SELECT c.name FROM clusters c, json_each(c.doc, "
	    "'$.capacityProviders') j WHERE c.account = ?1 AND c.region = ?2 "
	    "AND c.status = 'ACTIVE' AND j.value = ?3 AND c.name <> ?4 "
	    "ORDER BY c.name LIMIT 1";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc = STORE_NOTFOUND;

	store_bind_part(s, p);
	store_bind_text(s, 3, provider);
	store_bind_text(s, 4, except != NULL ? except : "");
	if (sqlite3_step(s) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);

		if (size > 0) {
			size_t n = strlen(name) < size ? strlen(name) : size - 1;

			memcpy(out, name, n);
			out[n] = '\0';
		}
		rc = STORE_OK;
	}
	sqlite3_reset(s);
	return rc;
}

/*
 * Whether capacity provider `provider` is in use in cluster `cluster`: by
 * an ACTIVE or DRAINING service's capacityProviderStrategy, or by a task
 * that has not stopped. STORE_OK when in use, else STORE_NOTFOUND.
 */
int
store_cluster_provider_in_use(struct store *st, const struct part *p,
    const char *cluster, const char *provider)
{
	static const char sql[] =
	    "SELECT 1 FROM services s, json_each(s.doc, "
	    "'$.capacityProviderStrategy') j WHERE s.account = ?1 "
	    "AND s.region = ?2 AND s.cluster = ?3 "
	    "AND s.status IN ('ACTIVE', 'DRAINING') "
	    "AND json_extract(j.value, '$.capacityProvider') = ?4 "
	    "UNION ALL "
	    "SELECT 1 FROM tasks t WHERE t.account = ?1 AND t.region = ?2 "
	    "AND t.cluster = ?3 AND t.last_status <> 'STOPPED' "
	    "AND json_extract(t.doc, '$.capacityProviderName') = ?4 "
	    "LIMIT 1";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, provider);
	rc = sqlite3_step(s) == SQLITE_ROW ? STORE_OK : STORE_NOTFOUND;
	sqlite3_reset(s);
	return rc;
}
