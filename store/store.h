/*
 * store.h - the store part: SQLite (WAL) as the single source of truth, and
 * the only place SQL lives. One file per entity; every statement is a static
 * string prepared once and cached (store_stmt). Rows are keyed by
 * (account, region); documents are JSON text next to real columns for
 * everything that is filtered, sorted or counted.
 */
#ifndef ECSD_STORE_H
#define ECSD_STORE_H

#include <jansson.h>
#include <sqlite3.h>

/* Resource partition: every row belongs to one (account, region). */
struct part {
	const char *account;
	const char *region;
};

/* Results of store calls. */
#define STORE_OK 0
#define STORE_NOTFOUND 1
#define STORE_ERR (-1)

struct store;

/* db.c */
int store_open(const char *, struct store **, char **);
void store_close(struct store *);
int store_begin(struct store *, int);
int store_commit(struct store *);
void store_rollback(struct store *);
int store_reset(struct store *);
const char *store_errmsg(struct store *);
int store_schema_version(struct store *);
sqlite3_stmt *store_stmt(struct store *, const char *);
void store_bind_part(sqlite3_stmt *, const struct part *);
void store_bind_text(sqlite3_stmt *, int, const char *);
void store_bind_json(sqlite3_stmt *, int, json_t *);
json_t *store_column_json(sqlite3_stmt *, int);
int store_step_done(struct store *, sqlite3_stmt *);

/* clusters.c */
int store_cluster_active(struct store *, const struct part *, const char *);

/* tags.c */
int store_tags_set(struct store *, const char *, json_t *);
json_t *store_tags_get(struct store *, const char *);
int store_tags_count(struct store *, const char *);
int store_tags_remove(struct store *, const char *, json_t *);
int store_tags_clear(struct store *, const char *);

/* tasks.c - the contract with the scheduler: notes/tasks-contract.md */
struct task_row {
	char *account, *region, *cluster, *id, *arn;
	json_t *doc;              /* Task shape (without tags), owned */
	json_t *spec;             /* what to run, frozen at creation, owned */
};
void store_task_row_free(struct task_row *);
int store_task_insert(struct store *, const struct part *, const char *,
    const char *, json_t *, json_t *);
int store_task_save(struct store *, const struct part *, const char *,
    const char *, json_t *);
int store_task_get(struct store *, const struct part *, const char *,
    const char *, struct task_row *);
int store_tasks_unsettled(struct store *, void (*)(void *, struct task_row *),
    void *);
int store_tasks_expire(struct store *, double);

/* schema.c */
extern const char *const store_migrations[];
extern const int store_migration_count;
extern const char *const store_tables[];

#endif
