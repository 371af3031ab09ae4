/*
 * attributes.c - the attributes table: name/value attributes on container
 * instances (the only target type ECS has), one row per (account, region,
 * cluster, target, name). The target is kept as its full ARN, which is what
 * ListAttributes shows. Attributes named ecs.* or com.amazonaws.ecs.* are
 * the ones ECS (the agent) sets itself; the rest are custom, and those are
 * what the 10-per-resource limit counts.
 */
#include "../daemon/daemon.h"
#include "store.h"

/*
 * The ARN (heap) of the container instance id_or_arn names in cluster: a
 * bare id, or the ARN as stored. Deregistered (INACTIVE) instances are no
 * target any more. Returns STORE_OK with *arn set, or STORE_NOTFOUND.
 */
int
store_attribute_target(struct store *st, const struct part *p,
    const char *cluster, const char *id, char **arn)
{
	static const char sql[] =
	    "SELECT arn FROM container_instances WHERE account = ?1 "
	    "AND region = ?2 AND cluster = ?3 AND id = ?4 "
	    "AND status <> 'INACTIVE'";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc = STORE_NOTFOUND;

	*arn = NULL;
	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*arn = xstrdup((const char *)sqlite3_column_text(s, 0));
		rc = STORE_OK;
	}
	sqlite3_reset(s);
	return rc;
}

/* Sets attribute name of target to value (NULL: an attribute without one). */
int
store_attribute_put(struct store *st, const struct part *p,
    const char *cluster, const char *target_type, const char *target,
    const char *name, const char *value)
{
	static const char sql[] =
	    "INSERT INTO attributes (account, region, cluster, target_type, "
	    "target_id, name, value) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
	    "ON CONFLICT (account, region, cluster, target_id, name) "
	    "DO UPDATE SET value = excluded.value, "
	    "target_type = excluded.target_type";
	sqlite3_stmt *s = store_stmt(st, sql);

	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, target_type);
	store_bind_text(s, 5, target);
	store_bind_text(s, 6, name);
	store_bind_text(s, 7, value);
	return store_step_done(st, s);
}

/*
 * Removes attribute name from target. STORE_OK with *value the value it
 * had (a new JSON string, or JSON null for none), or STORE_NOTFOUND when
 * the target had no such attribute.
 */
int
store_attribute_delete(struct store *st, const struct part *p,
    const char *cluster, const char *target, const char *name,
    json_t **value)
{
	static const char sql[] =
	    "DELETE FROM attributes WHERE account = ?1 AND region = ?2 "
	    "AND cluster = ?3 AND target_id = ?4 AND name = ?5 RETURNING value";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	*value = NULL;
	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, target);
	store_bind_text(s, 5, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(s, 0);

		*value = v != NULL ? json_string(v) : json_null();
		rc = sqlite3_step(s);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		json_decref(*value);
		*value = NULL;
		log_error("store: %s", store_errmsg(st));
		return STORE_ERR;
	}
	return *value != NULL ? STORE_OK : STORE_NOTFOUND;
}

/* How many custom (not ecs.*) attributes target has. */
int
store_attributes_custom_count(struct store *st, const struct part *p,
    const char *cluster, const char *target)
{
	static const char sql[] =
	    "SELECT count(*) FROM attributes WHERE account = ?1 AND region = ?2 "
	    "AND cluster = ?3 AND target_id = ?4 AND name NOT GLOB 'ecs.*' "
	    "AND name NOT GLOB 'com.amazonaws.ecs.*'";
	sqlite3_stmt *s = store_stmt(st, sql);
	int n = 0;

	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, target);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return n;
}

/* One row as an Attribute object; with_type adds targetType. */
static json_t *
row_json(sqlite3_stmt *s, int with_type)
{
	json_t *o = json_object();
	const char *value = (const char *)sqlite3_column_text(s, 1);

	json_object_set_new(o, "name",
	    json_string((const char *)sqlite3_column_text(s, 0)));
	if (value != NULL)
		json_object_set_new(o, "value", json_string(value));
	if (with_type)
		json_object_set_new(o, "targetType",
		    json_string((const char *)sqlite3_column_text(s, 2)));
	json_object_set_new(o, "targetId",
	    json_string((const char *)sqlite3_column_text(s, 3)));
	return o;
}

/*
 * One page of a cluster's attributes of target_type, ordered by (target,
 * name), strictly after (after_target, after_name) when those are not NULL,
 * filtered by name and value when those are not NULL. At most limit
 * Attribute objects {name, value, targetId}; *more tells whether rows
 * follow the page.
 */
json_t *
store_attributes_list(struct store *st, const struct part *p,
    const char *cluster, const char *target_type, const char *name,
    const char *value, const char *after_target, const char *after_name,
    int limit, int *more)
{
	static const char sql[] =
	    "SELECT name, value, target_type, target_id FROM attributes "
	    "WHERE account = ?1 AND region = ?2 AND cluster = ?3 "
	    "AND target_type = ?4 AND (?5 IS NULL OR name = ?5) "
	    "AND (?6 IS NULL OR value = ?6) "
	    "AND (?7 IS NULL OR (target_id, name) > (?7, ?8)) "
	    "ORDER BY target_id, name LIMIT ?9";
	sqlite3_stmt *s = store_stmt(st, sql);
	json_t *list = json_array();
	int n = 0;

	*more = 0;
	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, target_type);
	store_bind_text(s, 5, name);
	store_bind_text(s, 6, value);
	store_bind_text(s, 7, after_target);
	store_bind_text(s, 8, after_name != NULL ? after_name : "");
	sqlite3_bind_int(s, 9, limit + 1);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (n == limit) {
			*more = 1;
			break;
		}
		json_array_append_new(list, row_json(s, 0));
		n++;
	}
	sqlite3_reset(s);
	return list;
}

/*
 * Every attribute of one target, sorted by name, as Attribute objects
 * {name, value, targetType, targetId}: for DescribeContainerInstances.
 */
json_t *
store_attributes_of(struct store *st, const struct part *p,
    const char *cluster, const char *target)
{
	static const char sql[] =
	    "SELECT name, value, target_type, target_id FROM attributes "
	    "WHERE account = ?1 AND region = ?2 AND cluster = ?3 "
	    "AND target_id = ?4 ORDER BY name";
	sqlite3_stmt *s = store_stmt(st, sql);
	json_t *list = json_array();

	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, target);
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(list, row_json(s, 1));
	sqlite3_reset(s);
	return list;
}

/* Forgets every attribute of target: for DeregisterContainerInstance. */
int
store_attributes_clear(struct store *st, const struct part *p,
    const char *cluster, const char *target)
{
	static const char sql[] =
	    "DELETE FROM attributes WHERE account = ?1 AND region = ?2 "
	    "AND cluster = ?3 AND target_id = ?4";
	sqlite3_stmt *s = store_stmt(st, sql);

	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, target);
	return store_step_done(st, s);
}
