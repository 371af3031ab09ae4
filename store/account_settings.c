/*
 * account_settings.c - the account_settings table: the values users and
 * roles set explicitly, per (account, region, principal, name). The
 * principal '' holds the account default (what the root user sets);
 * settings nobody set are not stored at all: the api part knows AWS's
 * defaults and works out the effective value.
 */
#include "../daemon/daemon.h"
#include "store.h"

/* Sets name to value for principal, replacing what it had. */
int
store_setting_put(struct store *st, const struct part *p,
    const char *principal, const char *name, const char *value)
{
	static const char sql[] =
	    "INSERT INTO account_settings (account, region, principal, name, "
	    "value) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (account, region, "
	    "principal, name) DO UPDATE SET value = excluded.value";
	sqlite3_stmt *s = store_stmt(st, sql);

	store_bind_part(s, p);
	store_bind_text(s, 3, principal);
	store_bind_text(s, 4, name);
	store_bind_text(s, 5, value);
	return store_step_done(st, s);
}

/* The value principal set for name (heap), or NULL when it set none. */
char *
store_setting_get(struct store *st, const struct part *p,
    const char *principal, const char *name)
{
	static const char sql[] =
	    "SELECT value FROM account_settings WHERE account = ?1 "
	    "AND region = ?2 AND principal = ?3 AND name = ?4";
	sqlite3_stmt *s = store_stmt(st, sql);
	char *value = NULL;

	store_bind_part(s, p);
	store_bind_text(s, 3, principal);
	store_bind_text(s, 4, name);
	if (sqlite3_step(s) == SQLITE_ROW)
		value = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	return value;
}

/* Forgets principal's own value of name: STORE_OK, or STORE_NOTFOUND. */
int
store_setting_delete(struct store *st, const struct part *p,
    const char *principal, const char *name)
{
	static const char sql[] =
	    "DELETE FROM account_settings WHERE account = ?1 AND region = ?2 "
	    "AND principal = ?3 AND name = ?4";
	sqlite3_stmt *s = store_stmt(st, sql);

	store_bind_part(s, p);
	store_bind_text(s, 3, principal);
	store_bind_text(s, 4, name);
	if (store_step_done(st, s) != STORE_OK)
		return STORE_ERR;
	return sqlite3_changes(sqlite3_db_handle(s)) > 0 ? STORE_OK :
	    STORE_NOTFOUND;
}

/*
 * What principal set explicitly, as a new JSON list of {name, value} sorted
 * by name; only name when it is not NULL. A principal has at most one row
 * per setting name, so the list is short.
 */
json_t *
store_settings_list(struct store *st, const struct part *p,
    const char *principal, const char *name)
{
	static const char sql[] =
	    "SELECT name, value FROM account_settings WHERE account = ?1 "
	    "AND region = ?2 AND principal = ?3 AND (?4 IS NULL OR name = ?4) "
	    "ORDER BY name";
	sqlite3_stmt *s = store_stmt(st, sql);
	json_t *list = json_array();

	store_bind_part(s, p);
	store_bind_text(s, 3, principal);
	store_bind_text(s, 4, name);
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(list, json_pack("{s:s, s:s}",
		    "name", (const char *)sqlite3_column_text(s, 0),
		    "value", (const char *)sqlite3_column_text(s, 1)));
	sqlite3_reset(s);
	return list;
}
