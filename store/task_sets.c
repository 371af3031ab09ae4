/*
 * task_sets.c - what task sets need from the tasks table. A task set has
 * no table of its own: it is an entry of its service's taskSets[] (the
 * Service document, store/services.c), where DescribeServices shows it and
 * store/tags.c finds it by ARN. Its tasks are ordinary service tasks whose
 * started_by is the task set's id (`ecs-svc/<digits>`), so counting and
 * choosing them are indexed queries on tasks (tasks_started_by).
 */
#include <stdlib.h>
#include <string.h>

#include "../daemon/daemon.h"
#include "store.h"

/*
 * How many of a task set's tasks are running, on their way up, and being
 * stopped. Tasks the scheduler wants (desiredStatus RUNNING) count as
 * running once lastStatus is RUNNING and as pending before; tasks asked to
 * stop count as stopping until they are STOPPED.
 */
int
store_task_set_counts(struct store *st, const struct part *p,
    const char *cluster, const char *started_by, struct task_set_counts *out)
{
	static const char sql[] =
	    "SELECT "
	    "  sum(desired_status = 'RUNNING' AND last_status = 'RUNNING'), "
	    "  sum(desired_status = 'RUNNING' AND last_status IN "
	    "    ('PROVISIONING', 'PENDING', 'ACTIVATING')), "
	    "  sum(desired_status = 'STOPPED' AND last_status <> 'STOPPED') "
	    "FROM tasks WHERE account = ?1 AND region = ?2 AND cluster = ?3 "
	    "AND started_by = ?4 AND desired_status IN ('RUNNING', 'STOPPED')";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	memset(out, 0, sizeof *out);
	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, started_by);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->running = sqlite3_column_int(s, 0);
		out->pending = sqlite3_column_int(s, 1);
		out->stopping = sqlite3_column_int(s, 2);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW) {
		log_error("store: %s", store_errmsg(st));
		return STORE_ERR;
	}
	return STORE_OK;
}

/*
 * Appends to ids the ids of the task set's tasks the scheduler still wants
 * (desiredStatus RUNNING, not STOPPED), in the order a scale-in stops them:
 * those not RUNNING yet first, then the newest. Returns how many, or
 * STORE_ERR.
 */
int
store_task_set_wanted(struct store *st, const struct part *p,
    const char *cluster, const char *started_by, json_t *ids)
{
	static const char sql[] =
	    "SELECT id FROM tasks WHERE account = ?1 AND region = ?2 "
	    "AND cluster = ?3 AND started_by = ?4 AND desired_status = 'RUNNING' "
	    "AND last_status <> 'STOPPED' "
	    "ORDER BY last_status = 'RUNNING', created_at DESC, id DESC";
	sqlite3_stmt *s = store_stmt(st, sql);
	int n = 0, rc;

	store_bind_part(s, p);
	store_bind_text(s, 3, cluster);
	store_bind_text(s, 4, started_by);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_array_append_new(ids, json_string(
		    (const char *)sqlite3_column_text(s, 0)));
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_error("store: %s", store_errmsg(st));
		return STORE_ERR;
	}
	return n;
}
