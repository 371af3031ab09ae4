/*
 * task_definitions.c - task definition revisions and their families.
 *
 * A family row holds the last revision ever handed out, so revisions count
 * up from 1 and are never reused, even once revisions are deleted. A
 * revision row keeps the whole document ECS describes (what the user
 * registered plus what ECS computed) next to real columns for what lists
 * filter and sort on: family, revision, status. Lists are keyset-paged on
 * (family, revision) over the index (account, region, status, family,
 * revision), so a page costs what a page holds.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../daemon/daemon.h"
#include "store.h"

/* Hands out the next revision of family, creating the family at 1. */
int
store_taskdef_next_revision(struct store *st, const struct part *p,
    const char *family, int *rev)
{
	static const char sql[] =
	    "INSERT INTO task_definition_families (account, region, family, "
	    "last_revision) VALUES (?1, ?2, ?3, 1) "
	    "ON CONFLICT (account, region, family) DO UPDATE "
	    "SET last_revision = last_revision + 1 RETURNING last_revision";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc = STORE_ERR;

	*rev = 0;
	store_bind_part(s, p);
	store_bind_text(s, 3, family);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*rev = sqlite3_column_int(s, 0);
		rc = STORE_OK;
	} else {
		log_error("store: next revision of %s: %s", family,
		    store_errmsg(st));
	}
	sqlite3_reset(s);
	return rc;
}

int
store_taskdef_insert(struct store *st, const struct part *p, const char *family,
    int rev, const char *arn, const char *status, double registered_at,
    json_t *doc)
{
	static const char sql[] =
	    "INSERT INTO task_definitions (account, region, family, revision, "
	    "arn, status, registered_at, doc) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
	sqlite3_stmt *s = store_stmt(st, sql);

	store_bind_part(s, p);
	store_bind_text(s, 3, family);
	sqlite3_bind_int(s, 4, rev);
	store_bind_text(s, 5, arn);
	store_bind_text(s, 6, status);
	sqlite3_bind_double(s, 7, registered_at);
	store_bind_json(s, 8, doc);
	return store_step_done(st, s);
}

/*
 * The document of family:rev, or with rev 0 of the family's latest ACTIVE
 * revision. STORE_OK with *doc set (the caller frees it), or STORE_NOTFOUND.
 */
int
store_taskdef_get(struct store *st, const struct part *p, const char *family,
    int rev, json_t **doc)
{
	static const char by_rev[] =
	    "SELECT doc FROM task_definitions WHERE account = ?1 AND "
	    "region = ?2 AND family = ?3 AND revision = ?4";
	static const char latest[] =
	    "SELECT doc FROM task_definitions WHERE account = ?1 AND "
	    "region = ?2 AND status = 'ACTIVE' AND family = ?3 "
	    "ORDER BY revision DESC LIMIT 1";
	sqlite3_stmt *s = store_stmt(st, rev > 0 ? by_rev : latest);
	int rc = STORE_NOTFOUND;

	*doc = NULL;
	store_bind_part(s, p);
	store_bind_text(s, 3, family);
	if (rev > 0)
		sqlite3_bind_int(s, 4, rev);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*doc = store_column_json(s, 0);
		rc = STORE_OK;
	}
	sqlite3_reset(s);
	return rc;
}

/* The same as text: store_taskdef_get without parsing the document. */
int
store_taskdef_text(struct store *st, const struct part *p, const char *family,
    int rev, struct store_text *out)
{
	static const char by_rev[] =
	    "SELECT arn, doc FROM task_definitions WHERE account = ?1 AND "
	    "region = ?2 AND family = ?3 AND revision = ?4";
	static const char latest[] =
	    "SELECT arn, doc FROM task_definitions WHERE account = ?1 AND "
	    "region = ?2 AND status = 'ACTIVE' AND family = ?3 "
	    "ORDER BY revision DESC LIMIT 1";
	sqlite3_stmt *s = store_stmt(st, rev > 0 ? by_rev : latest);
	int rc = STORE_NOTFOUND;

	memset(out, 0, sizeof *out);
	store_bind_part(s, p);
	store_bind_text(s, 3, family);
	if (rev > 0)
		sqlite3_bind_int(s, 4, rev);
	if (sqlite3_step(s) == SQLITE_ROW) {
		store_text_read(s, 0, 1, out);
		rc = STORE_OK;
	}
	sqlite3_reset(s);
	return rc;
}

/* Rewrites status and document of family:rev (deregister, delete). */
int
store_taskdef_update(struct store *st, const struct part *p, const char *family,
    int rev, const char *status, double deregistered_at, json_t *doc)
{
	static const char sql[] =
	    "UPDATE task_definitions SET status = ?5, deregistered_at = ?6, "
	    "doc = ?7 WHERE account = ?1 AND region = ?2 AND family = ?3 AND "
	    "revision = ?4";
	sqlite3_stmt *s = store_stmt(st, sql);

	store_bind_part(s, p);
	store_bind_text(s, 3, family);
	sqlite3_bind_int(s, 4, rev);
	store_bind_text(s, 5, status);
	if (deregistered_at > 0)
		sqlite3_bind_double(s, 6, deregistered_at);
	else
		sqlite3_bind_null(s, 6);
	store_bind_json(s, 7, doc);
	return store_step_done(st, s);
}

/*
 * Binds the keyset bound ?4 (family) ?5 (revision): strictly after it in
 * the listing order. With no bound, ascending pages start above ("", 0)
 * and descending ones below a BLOB, which sorts after every TEXT value.
 */
static void
bind_after(sqlite3_stmt *s, int desc, const char *after_family, int after_rev)
{
	static const char top = (char)0xff;

	if (after_family != NULL) {
		store_bind_text(s, 4, after_family);
		sqlite3_bind_int(s, 5, after_rev);
	} else if (desc) {
		sqlite3_bind_blob(s, 4, &top, 1, SQLITE_STATIC);
		sqlite3_bind_int(s, 5, 0);
	} else {
		sqlite3_bind_text(s, 4, "", 0, SQLITE_STATIC);
		sqlite3_bind_int(s, 5, 0);
	}
}

/*
 * Appends to arns up to limit ARNs of revisions with this status (of one
 * family when family is not NULL), ordered by family then revision, up or
 * down, strictly after (after_family, after_rev) when that is given.
 */
int
store_taskdef_list(struct store *st, const struct part *p, const char *family,
    const char *status, int desc, const char *after_family, int after_rev,
    int limit, json_t *arns)
{
	/* Every family: the keyset is the pair (family, revision). */
#define TD_LIST(cmp, dir)                                                 \
	"SELECT arn FROM task_definitions WHERE account = ?1 AND "            \
	"region = ?2 AND status = ?3 AND (family, revision) " cmp " (?4, ?5) " \
	"ORDER BY family " dir ", revision " dir " LIMIT ?7"
	static const char asc_all[] = TD_LIST(">", "ASC");
	static const char desc_all[] = TD_LIST("<", "DESC");
#undef TD_LIST
	/* One family: the keyset is the revision alone, so a page is one
	 * range of the covering index task_definitions_list however many
	 * revisions come before it (migration 5). */
#define TD_LIST_ONE(cmp, dir)                                             \
	"SELECT arn FROM task_definitions WHERE account = ?1 AND "            \
	"region = ?2 AND status = ?3 AND family = ?6 AND revision " cmp " ?5 " \
	"ORDER BY revision " dir " LIMIT ?7"
	static const char asc_one[] = TD_LIST_ONE(">", "ASC");
	static const char desc_one[] = TD_LIST_ONE("<", "DESC");
#undef TD_LIST_ONE
	const char *sql;
	sqlite3_stmt *s;
	int rc;

	if (family != NULL) {
		/* The pair's order, read for one family: a token of an earlier
		 * family leaves all of it, one of a later family none. */
		int cmp = after_family != NULL ? strcmp(family, after_family) : 0;

		if (after_family == NULL || cmp != 0)
			after_rev = desc ? INT_MAX : 0;
		if (after_family != NULL && (desc ? cmp > 0 : cmp < 0))
			return STORE_OK;
		s = store_stmt(st, desc ? desc_one : asc_one);
		store_bind_part(s, p);
		store_bind_text(s, 3, status);
		sqlite3_bind_int(s, 5, after_rev);
		store_bind_text(s, 6, family);
	} else {
		sql = desc ? desc_all : asc_all;
		s = store_stmt(st, sql);
		store_bind_part(s, p);
		store_bind_text(s, 3, status);
		bind_after(s, desc, after_family, after_rev);
	}
	sqlite3_bind_int(s, 7, limit);
	for (rc = sqlite3_step(s); rc == SQLITE_ROW; rc = sqlite3_step(s))
		json_array_append_new(arns,
		    json_string((const char *)sqlite3_column_text(s, 0)));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_error("store: list task definitions: %s", store_errmsg(st));
		return STORE_ERR;
	}
	return STORE_OK;
}

/*
 * Appends to out up to limit family names, in order, strictly after after
 * (NULL: from the start), that begin with prefix (NULL: any). status:
 * "ACTIVE" (families with an ACTIVE revision), "INACTIVE" (families with
 * none) or anything else for all.
 */
int
store_taskdef_families(struct store *st, const struct part *p,
    const char *prefix, const char *status, const char *after, int limit,
    json_t *out)
{
#define TD_FAMILIES(cond)                                                 \
	"SELECT family FROM task_definition_families f WHERE "               \
	"account = ?1 AND region = ?2 AND family > ?3 AND family >= ?4 AND "  \
	"family < ?5 " cond " ORDER BY family LIMIT ?6"
#define TD_HAS_ACTIVE                                                     \
	"EXISTS (SELECT 1 FROM task_definitions t WHERE "                    \
	"t.account = f.account AND t.region = f.region AND "                 \
	"t.status = 'ACTIVE' AND t.family = f.family)"
	static const char all[] = TD_FAMILIES("");
	static const char active[] = TD_FAMILIES("AND " TD_HAS_ACTIVE);
	static const char inactive[] = TD_FAMILIES("AND NOT " TD_HAS_ACTIVE);
#undef TD_FAMILIES
#undef TD_HAS_ACTIVE
	static const char top = (char)0xff;
	const char *sql = all;
	char *upper = NULL;
	sqlite3_stmt *s;
	int rc;

	if (status != NULL && strcmp(status, "ACTIVE") == 0)
		sql = active;
	else if (status != NULL && strcmp(status, "INACTIVE") == 0)
		sql = inactive;
	s = store_stmt(st, sql);
	store_bind_part(s, p);
	store_bind_text(s, 3, after != NULL ? after : "");
	store_bind_text(s, 4, prefix != NULL ? prefix : "");
	if (prefix != NULL && *prefix != '\0') {
		/*
		 * Names are ASCII, so the first string after every name that
		 * starts with prefix is prefix with its last byte raised by one.
		 */
		upper = xstrdup(prefix);
		upper[strlen(upper) - 1]++;
		store_bind_text(s, 5, upper);
	} else {
		sqlite3_bind_blob(s, 5, &top, 1, SQLITE_STATIC);
	}
	sqlite3_bind_int(s, 6, limit);
	for (rc = sqlite3_step(s); rc == SQLITE_ROW; rc = sqlite3_step(s))
		json_array_append_new(out,
		    json_string((const char *)sqlite3_column_text(s, 0)));
	sqlite3_reset(s);
	free(upper);
	if (rc != SQLITE_DONE) {
		log_error("store: list families: %s", store_errmsg(st));
		return STORE_ERR;
	}
	return STORE_OK;
}
