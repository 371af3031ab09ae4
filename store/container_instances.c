/*
 * container_instances.c - the container_instances table (one row per
 * instance: the ContainerInstance document, its status, whether it is the
 * local Docker engine) and what an instance's tasks use. Attributes live in
 * the shared attributes table (store/attributes.c), keyed by instance ARN.
 *
 * Remaining resources and task counts are never stored: they are computed
 * here from the tasks placed on the instance that are not STOPPED, so they
 * cannot drift from the tasks themselves.
 */
#include <stdlib.h>
#include <string.h>

#include "../daemon/daemon.h"
#include "store.h"

static char *
column_dup(sqlite3_stmt *s, int i)
{
	const char *v = (const char *)sqlite3_column_text(s, i);

	return v != NULL ? xstrdup(v) : NULL;
}

void
store_instance_row_free(struct instance_row *row)
{
	if (row == NULL)
		return;
	free(row->id);
	free(row->arn);
	free(row->status);
	json_decref(row->doc);
	memset(row, 0, sizeof *row);
}

void
store_instance_rows_free(struct instance_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_instance_row_free(&rows[i]);
	free(rows);
}

/* Reads a row selected as id, arn, status, local, registered_at, doc. */
static void
row_read(sqlite3_stmt *s, struct instance_row *out)
{
	out->id = column_dup(s, 0);
	out->arn = column_dup(s, 1);
	out->status = column_dup(s, 2);
	out->local = sqlite3_column_int(s, 3);
	out->registered_at = sqlite3_column_double(s, 4);
	out->doc = store_column_json(s, 5);
}

/* A new instance from row's id, arn, status, local, registered_at, doc. */
int
store_instance_insert(struct store *st, const struct part *p,
    const char *cluster, const struct instance_row *row)
{
	static const char sql[] =
	    "INSERT INTO container_instances (account, region, cluster, id, arn, "
	    "status, local, registered_at, doc) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
	sqlite3_stmt *s = store_stmt(st, sql);

	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, row->id);
	store_bind_text(s, 5, row->arn);
	store_bind_text(s, 6, row->status);
	sqlite3_bind_int(s, 7, row->local);
	sqlite3_bind_double(s, 8, row->registered_at);
	store_bind_json(s, 9, row->doc);
	return store_step_done(st, s);
}

/* Writes status and doc of an instance; STORE_NOTFOUND if it is gone. */
int
store_instance_save(struct store *st, const struct part *p,
    const char *cluster, const char *id, const char *status, json_t *doc)
{
	static const char sql[] =
	    "UPDATE container_instances SET status = ?5, doc = ?6 "
	    "WHERE account = ?1 AND region = ?2 AND cluster = ?3 AND id = ?4 "
	    "RETURNING 1";
	sqlite3_stmt *s = store_stmt(st, sql);

	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, id);
	store_bind_text(s, 5, status);
	store_bind_json(s, 6, doc);
	return store_step_found(st, s);
}

int
store_instance_get(struct store *st, const struct part *p, const char *cluster,
    const char *id, struct instance_row *out)
{
	static const char sql[] =
	    "SELECT id, arn, status, local, registered_at, doc "
	    "FROM container_instances "
	    "WHERE account = ?1 AND region = ?2 AND cluster = ?3 AND id = ?4";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc = STORE_NOTFOUND;

	memset(out, 0, sizeof *out);
	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		row_read(s, out);
		rc = STORE_OK;
	}
	sqlite3_reset(s);
	return rc;
}

/* The cluster's registered (ACTIVE or DRAINING) local-engine instance. */
int
store_instance_local(struct store *st, const struct part *p,
    const char *cluster, struct instance_row *out)
{
	static const char sql[] =
	    "SELECT id, arn, status, local, registered_at, doc "
	    "FROM container_instances WHERE account = ?1 AND region = ?2 "
	    "AND cluster = ?3 AND local = 1 AND status IN ('ACTIVE', 'DRAINING') "
	    "ORDER BY registered_at LIMIT 1";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc = STORE_NOTFOUND;

	memset(out, 0, sizeof *out);
	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	if (sqlite3_step(s) == SQLITE_ROW) {
		row_read(s, out);
		rc = STORE_OK;
	}
	sqlite3_reset(s);
	return rc;
}

/*
 * The instances of a cluster in (registered_at, id) order, strictly after
 * the key (after_id NULL: from the start). status NULL means every status
 * but INACTIVE, as ListContainerInstances defaults to. *rows is a new array
 * (store_instance_rows_free).
 */
int
store_instances_list(struct store *st, const struct part *p,
    const char *cluster, const char *status, double after_at,
    const char *after_id, struct instance_row **rows, size_t *n)
{
	static const char sql[] =
	    "SELECT id, arn, status, local, registered_at, doc "
	    "FROM container_instances WHERE account = ?1 AND region = ?2 "
	    "AND cluster = ?3 "
	    "AND (CASE WHEN ?4 IS NULL THEN status <> 'INACTIVE' "
	    "ELSE status = ?4 END) "
	    "AND (?6 IS NULL OR registered_at > ?5 "
	    "OR (registered_at = ?5 AND id > ?6)) "
	    "ORDER BY registered_at, id";
	sqlite3_stmt *s = store_stmt(st, sql);
	size_t cap = 0;
	int rc;

	*rows = NULL;
	*n = 0;
	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, status);
	sqlite3_bind_double(s, 5, after_at);
	store_bind_text(s, 6, after_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			*rows = xrealloc(*rows, cap * sizeof **rows);
		}
		memset(&(*rows)[*n], 0, sizeof **rows);
		row_read(s, &(*rows)[(*n)++]);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_error("store: %s", store_errmsg(st));
		return STORE_ERR;
	}
	return STORE_OK;
}

void
store_instance_usage_free(struct instance_usage *u)
{
	if (u == NULL)
		return;
	json_decref(u->tcp);
	json_decref(u->udp);
	json_decref(u->groups);
	memset(u, 0, sizeof *u);
}

static void
add_port(json_t *list, long long port)
{
	json_t *v;
	size_t i;

	json_array_foreach(list, i, v) {
		if (json_integer_value(v) == port)
			return;
	}
	json_array_append_new(list, json_integer(port));
}

/*
 * The host ports the instance's live tasks hold: static hostPorts of
 * bridge tasks, and the container ports of host-mode tasks (hostPort there
 * equals containerPort). awsvpc tasks have their own network namespace and
 * hold none of the instance's ports, as in ECS; dynamic ports (hostPort 0)
 * are not reserved either.
 */
static int
usage_ports(struct store *st, const struct part *p, const char *cluster,
    const char *id, struct instance_usage *u)
{
	static const char sql[] =
	    "SELECT json_extract(t.spec, '$.networkMode'), "
	    "json_extract(pm.value, '$.hostPort'), "
	    "json_extract(pm.value, '$.containerPort'), "
	    "json_extract(pm.value, '$.protocol') "
	    "FROM tasks t, json_each(t.spec, '$.containers') c, "
	    "json_each(c.value, '$.portMappings') pm "
	    "WHERE t.account = ?1 AND t.region = ?2 AND t.cluster = ?3 "
	    "AND t.container_instance = ?4 AND t.last_status <> 'STOPPED'";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *mode = (const char *)sqlite3_column_text(s, 0);
		const char *proto = (const char *)sqlite3_column_text(s, 3);
		long long port = sqlite3_column_int64(s, 1);

		if (mode == NULL)
			mode = "bridge";
		if (strcmp(mode, "host") == 0) {
			if (port == 0)
				port = sqlite3_column_int64(s, 2);
		} else if (strcmp(mode, "bridge") != 0) {
			continue;
		}
		if (port <= 0)
			continue;
		add_port(proto != NULL && strcmp(proto, "udp") == 0 ? u->udp :
		    u->tcp, port);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? STORE_OK : STORE_ERR;
}

/*
 * What the tasks placed on an instance that are not STOPPED use: cpu units
 * and MiB (the task's cpu and memory as its document reports them), host
 * ports, their groups, and the counts DescribeContainerInstances reports.
 */
int
store_instance_usage(struct store *st, const struct part *p,
    const char *cluster, const char *id, struct instance_usage *u)
{
	static const char sql[] =
	    "SELECT coalesce(sum(CAST(json_extract(doc, '$.cpu') AS INTEGER)), 0), "
	    "coalesce(sum(CAST(json_extract(doc, '$.memory') AS INTEGER)), 0), "
	    "count(*) FILTER (WHERE last_status = 'RUNNING'), "
	    "count(*) FILTER (WHERE last_status IN ('PROVISIONING', 'PENDING', "
	    "'ACTIVATING')), count(*) "
	    "FROM tasks WHERE account = ?1 AND region = ?2 AND cluster = ?3 "
	    "AND container_instance = ?4 AND last_status <> 'STOPPED'";
	static const char groups_sql[] =
	    "SELECT DISTINCT grp FROM tasks WHERE account = ?1 AND region = ?2 "
	    "AND cluster = ?3 AND container_instance = ?4 "
	    "AND last_status <> 'STOPPED' AND grp IS NOT NULL ORDER BY grp";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	memset(u, 0, sizeof *u);
	u->tcp = json_array();
	u->udp = json_array();
	u->groups = json_array();
	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		u->cpu = sqlite3_column_int64(s, 0);
		u->memory = sqlite3_column_int64(s, 1);
		u->running = sqlite3_column_int(s, 2);
		u->pending = sqlite3_column_int(s, 3);
		u->live = sqlite3_column_int(s, 4);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return STORE_ERR;
	s = store_stmt(st, groups_sql);
	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_array_append_new(u->groups, json_string(
		    (const char *)sqlite3_column_text(s, 0)));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return STORE_ERR;
	return usage_ports(st, p, cluster, id, u);
}

/*
 * Calls cb for every registered local-engine instance in every partition
 * (the scheduler refreshes them from `docker info`). Rows are read first,
 * so cb may save.
 */
int
store_instances_local_each(struct store *st, void (*cb)(void *,
    const struct part *, const char *, struct instance_row *), void *arg)
{
	static const char sql[] =
	    "SELECT id, arn, status, local, registered_at, doc, account, region, "
	    "cluster FROM container_instances WHERE local = 1 "
	    "AND status IN ('ACTIVE', 'DRAINING')";
	sqlite3_stmt *s = store_stmt(st, sql);
	struct found {
		struct instance_row row;
		char *account, *region, *cluster;
	} *all = NULL;
	size_t n = 0, cap = 0;

	while (sqlite3_step(s) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			all = xrealloc(all, cap * sizeof *all);
		}
		row_read(s, &all[n].row);
		all[n].account = column_dup(s, 6);
		all[n].region = column_dup(s, 7);
		all[n].cluster = column_dup(s, 8);
		n++;
	}
	sqlite3_reset(s);
	for (size_t i = 0; i < n; i++) {
		struct part p = { all[i].account, all[i].region };

		cb(arg, &p, all[i].cluster, &all[i].row);
		store_instance_row_free(&all[i].row);
		free(all[i].account);
		free(all[i].region);
		free(all[i].cluster);
	}
	free(all);
	return STORE_OK;
}
