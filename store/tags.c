/*
 * tags.c - tags of every taggable resource, keyed by the resource's ARN
 * (which already carries account and region). Tags come and go as the JSON
 * list ECS uses: [{"key": "...", "value": "..."}], in the order first set.
 */
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
