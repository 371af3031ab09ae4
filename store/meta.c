/*
 * meta.c - facts about the store itself (table meta), e.g. the owner id
 * the scheduler labels its containers with. The admin reset keeps them.
 */
#include "../daemon/daemon.h"
#include "store.h"

/* The value of key as a new string, or NULL when unset. */
char *
store_meta_get(struct store *st, const char *key)
{
	static const char sql[] = "SELECT value FROM meta WHERE key = ?1";
	sqlite3_stmt *s = store_stmt(st, sql);
	char *v = NULL;

	store_bind_text(s, 1, key);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	return v;
}

int
store_meta_set(struct store *st, const char *key, const char *value)
{
	static const char sql[] =
	    "INSERT INTO meta (key, value) VALUES (?1, ?2) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value";
	sqlite3_stmt *s = store_stmt(st, sql);

	store_bind_text(s, 1, key);
	store_bind_text(s, 2, value);
	return store_step_done(st, s);
}
