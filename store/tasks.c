/*
 * tasks.c - the tasks table: one row per task, keyed by (account, region,
 * cluster, id). `doc` is the ECS Task shape and the truth; the columns
 * (family, revision, desired and last status, container instance, startedBy,
 * group, launch type) mirror it so that ListTasks, counting and the
 * scheduler's scan are indexed queries; `service` is set once, by whoever
 * made the task. `spec` is what to run, frozen when
 * the task was created. The api writes desired state, the scheduler observed
 * state, both through these functions (notes/tasks-contract.md).
 */
#include <stdlib.h>
#include <string.h>

#include "../daemon/daemon.h"
#include "store.h"

/* The columns a task doc mirrors, pointing into the doc. */
struct mirror {
	char family[256];         /* from taskDefinitionArn */
	int revision;
	const char *desired;      /* desiredStatus */
	const char *last;         /* lastStatus */
	char instance[64];        /* container instance id, "" if none */
	const char *started_by;
	const char *group;
	const char *launch_type;
	double created_at;
};

static const char *
doc_str(json_t *doc, const char *key)
{
	return json_string_value(json_object_get(doc, key));
}

/* The text after the last '/' of an ARN (or the whole string). */
static const char *
last_part(const char *s)
{
	const char *slash = s != NULL ? strrchr(s, '/') : NULL;

	return slash != NULL ? slash + 1 : s;
}

static void
copy_str(char *dst, size_t size, const char *src)
{
	size_t n = src != NULL ? strlen(src) : 0;

	if (n >= size)
		n = size - 1;
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

static void
mirror_of(json_t *doc, struct mirror *m)
{
	const char *td = last_part(doc_str(doc, "taskDefinitionArn"));
	const char *colon = td != NULL ? strrchr(td, ':') : NULL;
	const char *group = doc_str(doc, "group");
	const char *by = doc_str(doc, "startedBy");

	memset(m, 0, sizeof *m);
	if (colon != NULL) {
		size_t n = (size_t)(colon - td);

		if (n >= sizeof m->family)
			n = sizeof m->family - 1;
		memcpy(m->family, td, n);
		m->family[n] = '\0';
		m->revision = atoi(colon + 1);
	} else {
		copy_str(m->family, sizeof m->family, td);
	}
	m->desired = doc_str(doc, "desiredStatus");
	if (m->desired == NULL)
		m->desired = "RUNNING";
	m->last = doc_str(doc, "lastStatus");
	if (m->last == NULL)
		m->last = "PROVISIONING";
	copy_str(m->instance, sizeof m->instance,
	    last_part(doc_str(doc, "containerInstanceArn")));
	m->started_by = by;
	m->group = group;
	m->launch_type = doc_str(doc, "launchType");
	m->created_at = json_number_value(json_object_get(doc, "createdAt"));
}

void
store_task_row_free(struct task_row *row)
{
	if (row == NULL)
		return;
	free(row->account);
	free(row->region);
	free(row->cluster);
	free(row->id);
	free(row->arn);
	free(row->service);
	json_decref(row->doc);
	json_decref(row->spec);
	free(row->spec_text);
	memset(row, 0, sizeof *row);
}

/*
 * The row's spec (borrowed). Rows of the scheduler's reads carry it as text
 * and parse it here, the first time it is asked for: it embeds the whole
 * task definition, and most reads never look at it.
 */
json_t *
store_task_row_spec(struct task_row *row)
{
	if (row->spec == NULL && row->spec_text != NULL)
		row->spec = json_loads(row->spec_text, 0, NULL);
	if (row->spec == NULL)
		row->spec = json_object();
	free(row->spec_text);
	row->spec_text = NULL;
	return row->spec;
}

/*
 * Insert a new task (RunTask/StartTask, the service scheduler), filed
 * under service `service` (NULL: a standalone task) for good: only the
 * scheduler says which service a task is of, since a client's RunTask may
 * give any group and startedBy.
 */
int
store_task_insert(struct store *st, const struct part *p, const char *cluster,
    const char *id, const char *service, json_t *doc, json_t *spec)
{
	static const char sql[] =
	    "INSERT INTO tasks (account, region, cluster, id, arn, family, "
	    "revision, service, started_by, grp, container_instance, "
	    "launch_type, desired_status, last_status, created_at, doc, spec, "
	    "updated_at, stopped_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
	    "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
	    "CASE WHEN ?14 = 'STOPPED' THEN ?18 END)";
	sqlite3_stmt *s = store_stmt(st, sql);
	json_t *empty = json_object();
	struct mirror m;
	int rc;

	mirror_of(doc, &m);
	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, id);
	store_bind_text(s, 5, doc_str(doc, "taskArn"));
	store_bind_text(s, 6, m.family);
	sqlite3_bind_int(s, 7, m.revision);
	store_bind_text(s, 8, service);
	store_bind_text(s, 9, m.started_by);
	store_bind_text(s, 10, m.group);
	store_bind_text(s, 11, m.instance[0] ? m.instance : NULL);
	store_bind_text(s, 12, m.launch_type);
	store_bind_text(s, 13, m.desired);
	store_bind_text(s, 14, m.last);
	sqlite3_bind_double(s, 15, m.created_at);
	store_bind_json(s, 16, doc);
	store_bind_json(s, 17, spec != NULL ? spec : empty);
	sqlite3_bind_double(s, 18, now_epoch());
	rc = store_step_done(st, s);
	json_decref(empty);
	return rc;
}

/*
 * Writes doc and the columns it mirrors (the service stays what
 * store_task_insert filed); stopped_at is set the first time lastStatus
 * is STOPPED. STORE_NOTFOUND when the task is gone.
 */
int
store_task_save(struct store *st, const struct part *p, const char *cluster,
    const char *id, json_t *doc)
{
	static const char sql[] =
	    "UPDATE tasks SET started_by = ?5, grp = ?6, "
	    "container_instance = ?7, launch_type = ?8, desired_status = ?9, "
	    "last_status = ?10, doc = ?11, updated_at = ?12, "
	    "stopped_at = CASE WHEN ?10 = 'STOPPED' "
	    "THEN coalesce(stopped_at, ?12) END "
	    "WHERE account = ?1 AND region = ?2 AND cluster = ?3 AND id = ?4 "
	    "RETURNING 1";
	sqlite3_stmt *s = store_stmt(st, sql);
	struct mirror m;

	mirror_of(doc, &m);
	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, id);
	store_bind_text(s, 5, m.started_by);
	store_bind_text(s, 6, m.group);
	store_bind_text(s, 7, m.instance[0] ? m.instance : NULL);
	store_bind_text(s, 8, m.launch_type);
	store_bind_text(s, 9, m.desired);
	store_bind_text(s, 10, m.last);
	store_bind_json(s, 11, doc);
	sqlite3_bind_double(s, 12, now_epoch());
	return store_step_found(st, s);
}

static char *
column_dup(sqlite3_stmt *s, int i)
{
	const char *v = (const char *)sqlite3_column_text(s, i);

	return v != NULL ? xstrdup(v) : NULL;
}

/*
 * Reads a row selected as account, region, cluster, id, arn, service, doc,
 * spec (the last two when the statement has them): the spec as text only,
 * unless parse_spec.
 */
static void
row_read(sqlite3_stmt *s, struct task_row *out, int parse_spec)
{
	int cols = sqlite3_column_count(s);

	memset(out, 0, sizeof *out);
	out->account = column_dup(s, 0);
	out->region = column_dup(s, 1);
	out->cluster = column_dup(s, 2);
	out->id = column_dup(s, 3);
	out->arn = column_dup(s, 4);
	out->service = column_dup(s, 5);
	if (cols > 6)
		out->doc = store_column_json(s, 6);
	if (cols > 7 && parse_spec)
		out->spec = store_column_json(s, 7);
	else if (cols > 7)
		out->spec_text = column_dup(s, 7);
}

/* One task by partition, cluster and id, its spec parsed; STORE_NOTFOUND
 * if there is none. */
int
store_task_get(struct store *st, const struct part *p, const char *cluster,
    const char *id, struct task_row *out)
{
	int rc = store_task_read(st, p, cluster, id, STORE_TASK_SPEC, out);

	if (rc == STORE_OK)
		store_task_row_spec(out);
	return rc;
}

/*
 * The scheduler's read of one task: only what `what` says, so that a
 * chain's step does not parse the spec (the whole task definition) and a
 * kick that only needs the task's service parses nothing.
 */
int
store_task_read(struct store *st, const struct part *p, const char *cluster,
    const char *id, enum store_task_what what, struct task_row *out)
{
	static const char keys_sql[] =
	    "SELECT account, region, cluster, id, arn, service FROM tasks "
	    "WHERE account = ?1 AND region = ?2 AND cluster = ?3 AND id = ?4";
	static const char doc_sql[] =
	    "SELECT account, region, cluster, id, arn, service, doc FROM tasks "
	    "WHERE account = ?1 AND region = ?2 AND cluster = ?3 AND id = ?4";
	static const char spec_sql[] =
	    "SELECT account, region, cluster, id, arn, service, doc, spec "
	    "FROM tasks "
	    "WHERE account = ?1 AND region = ?2 AND cluster = ?3 AND id = ?4";
	sqlite3_stmt *s = store_stmt(st, what == STORE_TASK_KEYS ? keys_sql :
	    what == STORE_TASK_DOC ? doc_sql : spec_sql);
	int rc = STORE_NOTFOUND;

	memset(out, 0, sizeof *out);
	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		row_read(s, out, 0);
		rc = STORE_OK;
	}
	sqlite3_reset(s);
	return rc;
}

/*
 * Task id's ARN and document as text, for DescribeTasks: neither the spec
 * nor a parse of the document. STORE_NOTFOUND if there is no such task.
 */
int
store_task_text(struct store *st, const struct part *p, const char *cluster,
    const char *id, struct store_text *out)
{
	static const char sql[] =
	    "SELECT arn, doc FROM tasks WHERE account = ?1 AND region = ?2 "
	    "AND cluster = ?3 AND id = ?4";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc = STORE_NOTFOUND;

	memset(out, 0, sizeof *out);
	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		store_text_read(s, 0, 1, out);
		rc = STORE_OK;
	}
	sqlite3_reset(s);
	return rc;
}

/*
 * Sets when task id's scale-in protection ends (epoch seconds), or clears
 * it with 0. STORE_NOTFOUND when the task is gone.
 */
int
store_task_protect(struct store *st, const struct part *p, const char *cluster,
    const char *id, double until)
{
	static const char sql[] =
	    "UPDATE tasks SET protected_until = ?5 WHERE account = ?1 "
	    "AND region = ?2 AND cluster = ?3 AND id = ?4 RETURNING 1";
	sqlite3_stmt *s = store_stmt(st, sql);

	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, id);
	if (until > 0)
		sqlite3_bind_double(s, 5, until);
	else
		sqlite3_bind_null(s, 5);
	return store_step_found(st, s);
}

/* When task id's protection ends, 0 if it has none. */
int
store_task_protection(struct store *st, const struct part *p,
    const char *cluster, const char *id, double *until)
{
	static const char sql[] =
	    "SELECT coalesce(protected_until, 0) FROM tasks WHERE account = ?1 "
	    "AND region = ?2 AND cluster = ?3 AND id = ?4";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	*until = 0;
	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*until = sqlite3_column_double(s, 0);
	rc = rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOTFOUND :
	    STORE_ERR;
	sqlite3_reset(s);
	return rc;
}

/*
 * How many tasks of service `service` still meant to run (desiredStatus
 * RUNNING) are protected past `now`, task `except` (an id, or NULL) aside.
 */
int
store_service_protected(struct store *st, const struct part *p,
    const char *cluster, const char *service, const char *except, double now,
    int *count)
{
	static const char sql[] =
	    "SELECT count(*) FROM tasks WHERE account = ?1 AND region = ?2 "
	    "AND cluster = ?3 AND service = ?4 AND desired_status = 'RUNNING' "
	    "AND protected_until > ?5 AND id <> ?6";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	*count = 0;
	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, service);
	sqlite3_bind_double(s, 5, now);
	store_bind_text(s, 6, except != NULL ? except : "");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*count = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? STORE_OK : STORE_ERR;
}

/*
 * Calls cb for every task, in every partition, the scheduler must work on:
 * all but those both desired and last STOPPED. The rows are read first and
 * handed out afterwards, so cb may save tasks (or even scan again) without
 * disturbing the statement. The spec comes as text (store_task_row_spec);
 * cb may take members of the row, leaving NULL behind.
 */
int
store_tasks_unsettled(struct store *st, void (*cb)(void *, struct task_row *),
    void *arg)
{
	static const char sql[] =
	    "SELECT account, region, cluster, id, arn, service, doc, spec "
	    "FROM tasks "
	    "WHERE desired_status <> 'STOPPED' OR last_status <> 'STOPPED' "
	    "ORDER BY created_at, id";
	sqlite3_stmt *s = store_stmt(st, sql);
	struct task_row *rows = NULL;
	size_t n = 0, cap = 0;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			rows = xrealloc(rows, cap * sizeof *rows);
		}
		row_read(s, &rows[n++], 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_error("store: %s", store_errmsg(st));
		rc = STORE_ERR;
	} else {
		rc = STORE_OK;
	}
	for (size_t i = 0; i < n; i++) {
		if (rc == STORE_OK)
			cb(arg, &rows[i]);
		store_task_row_free(&rows[i]);
	}
	free(rows);
	return rc;
}

/*
 * Forgets STOPPED tasks stopped before `before` (retention), with their
 * tags. Returns how many went, or STORE_ERR.
 */
int
store_tasks_expire(struct store *st, double before)
{
	static const char tags_sql[] =
	    "DELETE FROM tags WHERE arn IN (SELECT arn FROM tasks "
	    "WHERE last_status = 'STOPPED' AND stopped_at < ?1)";
	static const char sql[] =
	    "DELETE FROM tasks WHERE last_status = 'STOPPED' AND stopped_at < ?1 "
	    "RETURNING 1";
	sqlite3_stmt *s = store_stmt(st, tags_sql);
	int n = 0, rc;

	sqlite3_bind_double(s, 1, before);
	if (store_step_done(st, s) != STORE_OK)
		return STORE_ERR;
	s = store_stmt(st, sql);
	sqlite3_bind_double(s, 1, before);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		n++;
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_error("store: %s", store_errmsg(st));
		return STORE_ERR;
	}
	return n;
}

/*
 * One page of ListTasks: the ARNs of the cluster's tasks with the given
 * desired status that match every filter set in f, in (created_at, id)
 * order strictly after the key (after_id NULL: from the start), at most
 * limit of them. keys gets each row's key as "<created_at>/<id>" so the
 * caller can make the next page's token.
 */
int
store_tasks_list(struct store *st, const struct part *p, const char *cluster,
    const struct task_filter *f, double after_at, const char *after_id,
    int limit, json_t *arns, json_t *keys)
{
	static const char sql[] =
	    "SELECT arn, created_at, id FROM tasks WHERE account = ?1 "
	    "AND region = ?2 AND cluster = ?3 AND desired_status = ?4 "
	    "AND (?5 IS NULL OR family = ?5) AND (?6 IS NULL OR service = ?6) "
	    "AND (?7 IS NULL OR started_by = ?7) "
	    "AND (?8 IS NULL OR container_instance = ?8) "
	    "AND (?9 IS NULL OR launch_type = ?9) "
	    "AND (?11 IS NULL OR created_at > ?10 "
	    "OR (created_at = ?10 AND id > ?11)) "
	    "ORDER BY created_at, id LIMIT ?12";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, f->desired);
	store_bind_text(s, 5, f->family);
	store_bind_text(s, 6, f->service);
	store_bind_text(s, 7, f->started_by);
	store_bind_text(s, 8, f->instance);
	store_bind_text(s, 9, f->launch_type);
	sqlite3_bind_double(s, 10, after_at);
	store_bind_text(s, 11, after_id);
	sqlite3_bind_int(s, 12, limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		char *key;

		json_array_append_new(arns, json_string(
		    (const char *)sqlite3_column_text(s, 0)));
		xasprintf(&key, "%.17g/%s", sqlite3_column_double(s, 1),
		    (const char *)sqlite3_column_text(s, 2));
		json_array_append_new(keys, json_string(key));
		free(key);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_error("store: %s", store_errmsg(st));
		return STORE_ERR;
	}
	return STORE_OK;
}

/*
 * Calls cb for every task on a container instance that is not STOPPED yet
 * (rows read first, as in store_tasks_unsettled, so cb may save them; the
 * spec as text there too).
 */
int
store_tasks_on_instance(struct store *st, const struct part *p,
    const char *cluster, const char *instance,
    void (*cb)(void *, struct task_row *), void *arg)
{
	static const char sql[] =
	    "SELECT account, region, cluster, id, arn, service, doc, spec "
	    "FROM tasks "
	    "WHERE account = ?1 AND region = ?2 AND cluster = ?3 "
	    "AND container_instance = ?4 AND last_status <> 'STOPPED' "
	    "ORDER BY created_at, id";
	sqlite3_stmt *s = store_stmt(st, sql);
	struct task_row *rows = NULL;
	size_t n = 0, cap = 0;
	int rc;

	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, instance);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			rows = xrealloc(rows, cap * sizeof *rows);
		}
		row_read(s, &rows[n++], 0);
	}
	sqlite3_reset(s);
	rc = rc == SQLITE_DONE ? STORE_OK : STORE_ERR;
	for (size_t i = 0; i < n; i++) {
		if (rc == STORE_OK)
			cb(arg, &rows[i]);
		store_task_row_free(&rows[i]);
	}
	free(rows);
	return rc;
}
