/*
 * clusters.c - the clusters table: one row per (account, region, name), the
 * cluster as a JSON document next to the columns that are filtered and
 * sorted (status, arn). Deleted clusters stay as INACTIVE rows so they can
 * still be described and come back with the same ARN.
 */
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
