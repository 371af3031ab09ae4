/*
 * db.c - the SQLite connection: open with pragmas, run migrations by
 * user_version, cache prepared statements, wrap transactions.
 *
 * WAL with synchronous=NORMAL survives a kill -9 of ecsd with every
 * committed transaction intact (only power loss may drop the newest ones,
 * and so may a file system that turns read-only after an error before the
 * kernel wrote them back).
 *
 * A write the disk refuses (full, read-only, I/O error) fails its
 * transaction, which SQLite rolls back whole: the store stays as it was
 * and the caller answers ServerException. store_errmsg then names the
 * system's reason too ("database or disk is full (No space left on
 * device: <path>)"), so the log line says what to fix.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../daemon/daemon.h"
#include "store.h"

/* The transaction statements, run on every request: prepared once, since
 * sqlite3_exec would parse them again each time. */
enum { TX_BEGIN, TX_BEGIN_WRITE, TX_COMMIT, TX_ROLLBACK, TX_COUNT };
static const char *const tx_sql[TX_COUNT] = {
	[TX_BEGIN] = "BEGIN",
	[TX_BEGIN_WRITE] = "BEGIN IMMEDIATE",
	[TX_COMMIT] = "COMMIT",
	[TX_ROLLBACK] = "ROLLBACK",
};

struct cached {
	const char *sql;          /* the static string: its address is the key */
	sqlite3_stmt *stmt;
};

struct store {
	sqlite3 *db;
	struct cached *cache;
	size_t ncache;
	size_t capcache;
	int in_tx;                /* a transaction is open */
	sqlite3_stmt *tx[TX_COUNT]; /* BEGIN, COMMIT, ROLLBACK, prepared once */
	char *path;               /* the database file, for messages */
	char errbuf[512];         /* store_errmsg's answer */
};

static int
exec(struct store *st, const char *sql)
{
	return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* Runs one of the transaction statements; 0 or -1 (store_errmsg says why). */
static int
tx_run(struct store *st, int which)
{
	sqlite3_stmt *s = st->tx[which];
	int rc;

	if (s == NULL) {
		if (sqlite3_prepare_v3(st->db, tx_sql[which], -1,
		    SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK)
			return -1;
		st->tx[which] = s;
	}
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_schema_version(struct store *st)
{
	sqlite3_stmt *s;
	int v = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) !=
	    SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

static int
migrate(struct store *st, char **err)
{
	int v = store_schema_version(st);

	if (v < 0) {
		xasprintf(err, "cannot read the schema version: %s",
		    sqlite3_errmsg(st->db));
		return -1;
	}
	if (v > store_migration_count) {
		xasprintf(err, "the store has schema version %d but this ecsd knows "
		    "only %d: it was written by a newer ecsd", v,
		    store_migration_count);
		return -1;
	}
	for (; v < store_migration_count; v++) {
		char pragma[64];

		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
		if (exec(st, "BEGIN IMMEDIATE") != 0 ||
		    exec(st, store_migrations[v]) != 0 || exec(st, pragma) != 0) {
			xasprintf(err, "migration %d failed: %s", v + 1,
			    sqlite3_errmsg(st->db));
			exec(st, "ROLLBACK");
			return -1;
		}
		if (exec(st, "COMMIT") != 0) {
			xasprintf(err, "migration %d did not commit: %s", v + 1,
			    sqlite3_errmsg(st->db));
			exec(st, "ROLLBACK");
			return -1;
		}
	}
	return 0;
}

/* Opens (creating if needed) the store at path; ":memory:" keeps nothing. */
int
store_open(const char *path, struct store **out, char **err)
{
	struct store *st = xcalloc(1, sizeof *st);
	int rc = -1;

	*err = NULL;
	*out = NULL;
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		xasprintf(err, "cannot open %s: %s", path, st->db ?
		    sqlite3_errmsg(st->db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(st->db, 5000);
	if (exec(st, "PRAGMA journal_mode = WAL") != 0 ||
	    exec(st, "PRAGMA synchronous = NORMAL") != 0 ||
	    exec(st, "PRAGMA foreign_keys = ON") != 0) {
		xasprintf(err, "cannot set up %s: %s", path,
		    sqlite3_errmsg(st->db));
		goto out;
	}
	if (migrate(st, err) != 0)
		goto out;
	st->path = xstrdup(path);
	if (sqlite3_db_readonly(st->db, "main") == 1)
		log_warn("store: %s is read-only (%s): ecsd answers reads, and "
		    "every change fails with ServerException until it runs on a "
		    "writable store again", path, strerror(EROFS));
	rc = 0;
out:
	if (rc == 0)
		*out = st;
	else
		store_close(st);
	return rc;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->ncache; i++)
		sqlite3_finalize(st->cache[i].stmt);
	free(st->cache);
	for (int i = 0; i < TX_COUNT; i++)
		sqlite3_finalize(st->tx[i]);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

/*
 * SQLite does not keep the errno of a failed write (its own rollback comes
 * between), and an ext4 turned read-only by an error still passes
 * access(W_OK): so write one byte beside the store, as the store would,
 * and report what the file system says. Only on a path that already
 * failed.
 */
static int
why_refused(const char *path)
{
	char *probe;
	int fd, err = 0;

	if (path == NULL || strcmp(path, ":memory:") == 0)
		return 0;
	xasprintf(&probe, "%s.probe", path);
	fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = errno;
	} else {
		if (write(fd, "x", 1) != 1)
			err = errno ? errno : EIO;
		close(fd);
		unlink(probe);
	}
	free(probe);
	return err;
}

/* SQLite's message for the last failure, with the system's reason and the
 * file when the disk refused: "disk I/O error" alone does not say that the
 * file system went read-only. Valid until the next call. */
const char *
store_errmsg(struct store *st)
{
	int code = sqlite3_errcode(st->db) & 0xff;
	int sys = sqlite3_system_errno(st->db);
	const char *msg = sqlite3_errmsg(st->db);

	switch (code) {
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
		if (sys == 0)
			sys = why_refused(st->path);
		if (sys == 0 && code == SQLITE_FULL)
			sys = ENOSPC;
		snprintf(st->errbuf, sizeof st->errbuf, "%s (%s%s%s)", msg,
		    sys ? strerror(sys) : code == SQLITE_READONLY ?
		    "the store is read-only" : "the disk refused the write",
		    st->path ? ": " : "", st->path ? st->path : "");
		return st->errbuf;
	default:
		return msg;
	}
}

/*
 * The prepared statement for sql, reset and with bindings cleared. sql must
 * be a string with static storage: its address is the cache key.
 */
sqlite3_stmt *
store_stmt(struct store *st, const char *sql)
{
	sqlite3_stmt *s;

	for (size_t i = 0; i < st->ncache; i++) {
		if (st->cache[i].sql == sql) {
			s = st->cache[i].stmt;
			sqlite3_reset(s);
			sqlite3_clear_bindings(s);
			return s;
		}
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s,
	    NULL) != SQLITE_OK) {
		/* Our SQL is static: failing to prepare it is a bug. */
		log_error("store: cannot prepare [%s]: %s", sql,
		    sqlite3_errmsg(st->db));
		abort();
	}
	if (st->ncache == st->capcache) {
		st->capcache = st->capcache ? st->capcache * 2 : 64;
		st->cache = xrealloc(st->cache, st->capcache * sizeof *st->cache);
	}
	st->cache[st->ncache].sql = sql;
	st->cache[st->ncache].stmt = s;
	st->ncache++;
	return s;
}

/* Binds the partition to ?1 (account) and ?2 (region). */
void
store_bind_part(sqlite3_stmt *s, const struct part *p)
{
	sqlite3_bind_text(s, 1, p->account, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, p->region, -1, SQLITE_STATIC);
}

/* Binds text that outlives the statement's next reset; NULL binds NULL. */
void
store_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

void
store_bind_json(sqlite3_stmt *s, int i, json_t *doc)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);

	sqlite3_bind_text(s, i, text, -1, free);
}

/* Copies the ARN (column arn_col) and the document (doc_col) of the row. */
void
store_text_read(sqlite3_stmt *s, int arn_col, int doc_col,
    struct store_text *out)
{
	const char *arn = (const char *)sqlite3_column_text(s, arn_col);
	const char *doc = (const char *)sqlite3_column_text(s, doc_col);
	size_t len = (size_t)sqlite3_column_bytes(s, doc_col);

	out->arn = xstrdup(arn != NULL ? arn : "");
	if (doc == NULL) {
		doc = "{}";
		len = 2;
	}
	out->doc = xmalloc(len + 1);
	memcpy(out->doc, doc, len);
	out->doc[len] = '\0';
	out->len = len;
}

void
store_text_free(struct store_text *t)
{
	if (t == NULL)
		return;
	free(t->arn);
	free(t->doc);
	memset(t, 0, sizeof *t);
}

json_t *
store_column_json(sqlite3_stmt *s, int i)
{
	const char *text = (const char *)sqlite3_column_text(s, i);
	json_t *doc;

	if (text == NULL)
		return json_object();
	doc = json_loadb(text, (size_t)sqlite3_column_bytes(s, i), 0, NULL);
	return doc != NULL ? doc : json_object();
}

/* Steps a statement that returns no rows; STORE_OK or STORE_ERR. */
int
store_step_done(struct store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE) {
		log_error("store: write failed: %s", store_errmsg(st));
		sqlite3_reset(s);
		return STORE_ERR;
	}
	sqlite3_reset(s);
	return STORE_OK;
}

/*
 * Steps a write that ends in "RETURNING 1": STORE_OK when it touched a
 * row, STORE_NOTFOUND when there was none, STORE_ERR (logged) otherwise.
 */
int
store_step_found(struct store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		rc = sqlite3_step(s) == SQLITE_DONE ? STORE_OK : STORE_ERR;
	else
		rc = rc == SQLITE_DONE ? STORE_NOTFOUND : STORE_ERR;
	if (rc == STORE_ERR)
		log_error("store: write failed: %s", store_errmsg(st));
	sqlite3_reset(s);
	return rc;
}

int
store_begin(struct store *st, int write)
{
	if (st->in_tx)
		return -1;
	if (tx_run(st, write ? TX_BEGIN_WRITE : TX_BEGIN) != 0)
		return -1;
	st->in_tx = 1;
	return 0;
}

int
store_commit(struct store *st)
{
	if (!st->in_tx)
		return -1;
	if (tx_run(st, TX_COMMIT) != 0) {
		/* A full or failing disk can make SQLite roll back by itself;
		 * then no transaction is open, and the next begin must work. */
		if (sqlite3_get_autocommit(st->db))
			st->in_tx = 0;
		return -1;
	}
	st->in_tx = 0;
	return 0;
}

void
store_rollback(struct store *st)
{
	if (!st->in_tx)
		return;
	tx_run(st, TX_ROLLBACK);
	st->in_tx = 0;
}

/* Empties every table in one transaction: the admin reset. */
int
store_reset(struct store *st)
{
	char sql[128];

	if (store_begin(st, 1) != 0)
		return -1;
	for (int i = 0; store_tables[i] != NULL; i++) {
		snprintf(sql, sizeof sql, "DELETE FROM %s", store_tables[i]);
		if (exec(st, sql) != 0) {
			store_rollback(st);
			return -1;
		}
	}
	return store_commit(st);
}
