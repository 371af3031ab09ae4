/*
 * tags.c - tags of every taggable resource, keyed by the resource's ARN
 * (which already carries account and region). Tags come and go as the JSON
 * list ECS uses: [{"key": "...", "value": "..."}], in the order first set.
 * Also the look-up the tagging operations make first: whether the resource
 * an ARN names exists, in whichever table holds its type.
 */
#include <stdlib.h>
#include <string.h>

#include "../daemon/daemon.h"
#include "store.h"

/* Adds or overwrites each {key, value} of tags on arn. */
int
store_tags_set(struct store *st, const char *arn, json_t *tags)
{
	static const char sql[] =
	    "INSERT INTO tags (arn, key, value) VALUES (?1, ?2, ?3) "
	    "ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value";
	json_t *t;
	size_t i;

	json_array_foreach(tags, i, t) {
		sqlite3_stmt *s = store_stmt(st, sql);
		const char *value = json_string_value(json_object_get(t, "value"));

		store_bind_text(s, 1, arn);
		store_bind_text(s, 2, json_string_value(json_object_get(t, "key")));
		store_bind_text(s, 3, value != NULL ? value : "");
		if (store_step_done(st, s) != STORE_OK)
			return STORE_ERR;
	}
	return STORE_OK;
}

/* The tags of arn as a new JSON list (empty when it has none). */
json_t *
store_tags_get(struct store *st, const char *arn)
{
	static const char sql[] =
	    "SELECT key, value FROM tags WHERE arn = ?1 ORDER BY rowid";
	sqlite3_stmt *s = store_stmt(st, sql);
	json_t *list = json_array();

	store_bind_text(s, 1, arn);
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(list, json_pack("{s:s, s:s}",
		    "key", (const char *)sqlite3_column_text(s, 0),
		    "value", (const char *)sqlite3_column_text(s, 1)));
	sqlite3_reset(s);
	return list;
}

int
store_tags_count(struct store *st, const char *arn)
{
	static const char sql[] = "SELECT count(*) FROM tags WHERE arn = ?1";
	sqlite3_stmt *s = store_stmt(st, sql);
	int n = 0;

	store_bind_text(s, 1, arn);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return n;
}

/* Removes the listed keys (a JSON list of strings) from arn. */
int
store_tags_remove(struct store *st, const char *arn, json_t *keys)
{
	static const char sql[] = "DELETE FROM tags WHERE arn = ?1 AND key = ?2";
	json_t *k;
	size_t i;

	json_array_foreach(keys, i, k) {
		sqlite3_stmt *s = store_stmt(st, sql);

		store_bind_text(s, 1, arn);
		store_bind_text(s, 2, json_string_value(k));
		if (store_step_done(st, s) != STORE_OK)
			return STORE_ERR;
	}
	return STORE_OK;
}

/* Forgets every tag of arn (the resource itself is gone for good). */
int
store_tags_clear(struct store *st, const char *arn)
{
	static const char sql[] = "DELETE FROM tags WHERE arn = ?1";
	sqlite3_stmt *s = store_stmt(st, sql);

	store_bind_text(s, 1, arn);
	return store_step_done(st, s);
}

/* Whether the cluster a resource lives in exists, and is ACTIVE. */
static int
cluster_state(struct store *st, const struct part *p, const char *name)
{
	static const char sql[] =
	    "SELECT status FROM clusters WHERE account = ?1 AND region = ?2 "
	    "AND name = ?3";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc = STORE_TARGET_NO_CLUSTER;

	store_bind_part(s, p);
	store_bind_text(s, 3, name);
	if (sqlite3_step(s) == SQLITE_ROW)
		rc = strcmp((const char *)sqlite3_column_text(s, 0), "ACTIVE") == 0 ?
		    STORE_TARGET_FOUND : STORE_TARGET_CLUSTER_INACTIVE;
	sqlite3_reset(s);
	return rc;
}

/* Steps a prepared existence query: a row means the resource is there. */
static int
row_exists(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s) == SQLITE_ROW ? STORE_TARGET_FOUND :
	    STORE_TARGET_MISSING;

	sqlite3_reset(s);
	return rc;
}

static int
service_exists(struct store *st, const struct part *p, const char *cluster,
    const char *name)
{
	static const char sql[] =
	    "SELECT 1 FROM services WHERE account = ?1 AND region = ?2 "
	    "AND cluster = ?3 AND name = ?4";
	sqlite3_stmt *s = store_stmt(st, sql);

	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, name);
	return row_exists(s);
}

static int
task_exists(struct store *st, const struct part *p, const char *cluster,
    const char *id)
{
	static const char sql[] =
	    "SELECT 1 FROM tasks WHERE account = ?1 AND region = ?2 "
	    "AND cluster = ?3 AND id = ?4";
	sqlite3_stmt *s = store_stmt(st, sql);

	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, id);
	return row_exists(s);
}

static int
instance_exists(struct store *st, const struct part *p, const char *cluster,
    const char *id)
{
	static const char sql[] =
	    "SELECT 1 FROM container_instances WHERE account = ?1 "
	    "AND region = ?2 AND cluster = ?3 AND id = ?4";
	sqlite3_stmt *s = store_stmt(st, sql);

	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, id);
	return row_exists(s);
}

/*
 * Task sets have no table of their own: they live in their service's
 * document (taskSets[], as DescribeServices shows them), so the set is
 * found by its ARN there. name is "<service>/<task set id>".
 */
static int
task_set_exists(struct store *st, const struct part *p, const char *cluster,
    const char *name, const char *arn)
{
	static const char sql[] =
	    "SELECT 1 FROM services, json_each(services.doc, '$.taskSets') AS ts "
	    "WHERE account = ?1 AND region = ?2 AND cluster = ?3 AND name = ?4 "
	    "AND json_valid(services.doc) "
	    "AND json_extract(ts.value, '$.taskSetArn') = ?5";
	const char *slash = strchr(name, '/');
	sqlite3_stmt *s;
	char *service;
	int rc;

	if (slash == NULL)
		return STORE_TARGET_MISSING;
	service = xstrndup(name, (size_t)(slash - name));
	s = store_stmt(st, sql);
	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, service);
	store_bind_text(s, 5, arn);
	rc = row_exists(s);
	free(service);
	return rc;
}

/* name is "<family>:<revision>". */
static int
task_definition_exists(struct store *st, const struct part *p,
    const char *name)
{
	static const char sql[] =
	    "SELECT 1 FROM task_definitions WHERE account = ?1 AND region = ?2 "
	    "AND family = ?3 AND revision = ?4";
	const char *colon = strrchr(name, ':');
	sqlite3_stmt *s;
	char *family, *end;
	long long rev;
	int rc;

	if (colon == NULL || colon[1] == '\0')
		return STORE_TARGET_MISSING;
	rev = strtoll(colon + 1, &end, 10);
	if (*end != '\0' || rev < 1)
		return STORE_TARGET_MISSING;
	family = xstrndup(name, (size_t)(colon - name));
	s = store_stmt(st, sql);
	store_bind_part(s, p);
	store_bind_text(s, 3, family);
	sqlite3_bind_int64(s, 4, rev);
	rc = row_exists(s);
	free(family);
	return rc;
}

static int
capacity_provider_exists(struct store *st, const struct part *p,
    const char *name)
{
	static const char sql[] =
	    "SELECT 1 FROM capacity_providers WHERE account = ?1 "
	    "AND region = ?2 AND name = ?3";
	sqlite3_stmt *s = store_stmt(st, sql);

	store_bind_part(s, p);
	store_bind_text(s, 3, name);
	return row_exists(s);
}

/*
 * Where the taggable resource behind an ARN stands in partition p, looked
 * up by the parts of its ARN in the table of its type: `type` is the ARN's
 * type word, `cluster` the cluster part of a long ARN ("" for types without
 * one), `name` the rest, `arn` the whole ARN. Resources inside a cluster
 * exist only while their cluster does; a cluster deleted (INACTIVE) takes
 * them out of reach. Returns a STORE_TARGET_* value.
 */
int
store_tags_resource(struct store *st, const struct part *p, const char *type,
    const char *cluster, const char *name, const char *arn)
{
	int rc;

	if (strcmp(type, "cluster") == 0)
		return cluster_state(st, p, name);
	if (strcmp(type, "task-definition") == 0)
		return task_definition_exists(st, p, name);
	if (strcmp(type, "capacity-provider") == 0)
		return capacity_provider_exists(st, p, name);
	rc = cluster_state(st, p, cluster);
	if (rc != STORE_TARGET_FOUND)
		return rc;
	if (strcmp(type, "service") == 0)
		return service_exists(st, p, cluster, name);
	if (strcmp(type, "task") == 0)
		return task_exists(st, p, cluster, name);
	if (strcmp(type, "container-instance") == 0)
		return instance_exists(st, p, cluster, name);
	if (strcmp(type, "task-set") == 0)
		return task_set_exists(st, p, cluster, name, arn);
	return STORE_TARGET_MISSING;
}
