/*
 * capacity_providers.c - the capacity_providers table: one row per
 * (account, region, name), the ECS CapacityProvider shape (without tags) as
 * the document, status as a column. FARGATE and FARGATE_SPOT are built in
 * and never stored. Deleted providers stay as INACTIVE rows until a new
 * provider takes the name.
 */
#include <string.h>

#include "../daemon/daemon.h"
#include "store.h"

/* The document of provider `name` (any status) into *doc, or NOTFOUND. */
int
store_cp_get(struct store *st, const struct part *p, const char *name,
    json_t **doc)
{
	static const char sql[] =
	    "SELECT doc, status FROM capacity_providers WHERE account = ?1 "
	    "AND region = ?2 AND name = ?3";
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

/* Writes provider `name` (insert or replace); arn and status from the doc. */
int
store_cp_put(struct store *st, const struct part *p, const char *name,
    json_t *doc)
{
	static const char sql[] =
	    "INSERT INTO capacity_providers (account, region, name, arn, status, "
	    "doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
	    "ON CONFLICT (account, region, name) DO UPDATE SET "
	    "arn = excluded.arn, status = excluded.status, doc = excluded.doc";
	sqlite3_stmt *s = store_stmt(st, sql);
	const char *arn = json_string_value(json_object_get(doc,
	    "capacityProviderArn"));
	const char *status = json_string_value(json_object_get(doc, "status"));

	if (arn == NULL || status == NULL)
		return STORE_ERR;
	store_bind_part(s, p);
	store_bind_text(s, 3, name);
	store_bind_text(s, 4, arn);
	store_bind_text(s, 5, status);
	store_bind_json(s, 6, doc);
	return store_step_done(st, s);
}

/*
 * Documents of ACTIVE providers in name order, strictly after `after` (NULL:
 * from the start), at most `limit`, appended to `docs`. With `cluster`
 * NULL only account-wide providers (no cluster of their own) are listed;
 * with a cluster, only that cluster's own (cluster-scoped) ones. Returns
 * how many were appended, or STORE_ERR.
 */
int
store_cp_list(struct store *st, const struct part *p, const char *cluster,
    const char *after, int limit, json_t *docs)
{
	static const char sql[] =
	    "SELECT doc, status FROM capacity_providers WHERE account = ?1 "
	    "AND region = ?2 AND status = 'ACTIVE' AND name > ?3 "
	    "AND coalesce(json_extract(doc, '$.cluster'), '') = ?4 "
	    "ORDER BY name LIMIT ?5";
	sqlite3_stmt *s = store_stmt(st, sql);
	int n = 0, rc;

	store_bind_part(s, p);
	store_bind_text(s, 3, after != NULL ? after : "");
	store_bind_text(s, 4, cluster != NULL ? cluster : "");
	sqlite3_bind_int(s, 5, limit);
	for (rc = sqlite3_step(s); rc == SQLITE_ROW; rc = sqlite3_step(s)) {
		json_t *doc = store_column_json(s, 0);

		json_object_set_new(doc, "status", json_string(
		    (const char *)sqlite3_column_text(s, 1)));
		json_array_append_new(docs, doc);
		n++;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? n : STORE_ERR;
}

/*
 * Whether an ACTIVE provider other than `except` already uses the Auto
 * Scaling group `asg` (ARN or name, compared as given): STORE_OK if so.
 */
int
store_cp_asg_used(struct store *st, const struct part *p, const char *asg,
    const char *except)
{
	static const char sql[] =
	    "SELECT 1 FROM capacity_providers WHERE account = ?1 AND region = ?2 "
	    "AND status = 'ACTIVE' AND name <> ?4 AND json_extract(doc, "
	    "'$.autoScalingGroupProvider.autoScalingGroupArn') = ?3 LIMIT 1";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	store_bind_part(s, p);
	store_bind_text(s, 3, asg);
	store_bind_text(s, 4, except != NULL ? except : "");
	rc = sqlite3_step(s) == SQLITE_ROW ? STORE_OK : STORE_NOTFOUND;
	sqlite3_reset(s);
	return rc;
}
