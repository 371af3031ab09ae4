/*
 * task_protection.c - task scale-in protection: UpdateTaskProtection and
 * GetTaskProtection.
 *
 * A task of a service may be protected for 1 to 2,880 minutes (120 when
 * the request does not say); asking again sets a new end, asking with
 * protectionEnabled false clears it, and it lapses on its own. While it
 * holds, the service scheduler does not choose the task when it scales in
 * or stops an older deployment's tasks (scheduler/services.c), so a
 * deployment waits for it. A standalone task cannot be protected
 * (TASK_NOT_VALID), and protecting more of a service's tasks than its
 * desiredCount would block its deployments (DEPLOYMENT_BLOCKED), as in ECS.
 *
 * When protection ends is the tasks row's protected_until column, not a
 * member of the task document: DescribeTasks does not show it.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"

#define MAX_UPDATE 10             /* tasks per UpdateTaskProtection */
#define MAX_GET 100               /* tasks per GetTaskProtection */
#define DEFAULT_MINUTES 120
#define MAX_MINUTES 2880          /* 48 hours */

/* A task a request names, once found. */
struct ptask {
	struct task_row row;
	double until;             /* protection ends, 0 if none */
};

static void
failure(json_t *failures, struct req *r, const char *cluster, const char *ref,
    const char *reason, const char *detail)
{
	char *arn = instances_ref_arn(r, ref, "task", cluster);
	json_t *f = json_pack("{s:s, s:s}", "arn", arn, "reason", reason);

	if (detail != NULL)
		json_object_set_new(f, "detail", json_string(detail));
	json_array_append_new(failures, f);
	free(arn);
}

/*
 * Finds the task ref names in the cluster, into t (the caller frees
 * t->row in every case). 1 when found; 0 with a failure added (MISSING,
 * or TASK_NOT_VALID for a standalone task); -1 with ServerException when
 * the store fails.
 */
static int
find(struct req *r, const char *cluster, const char *ref, struct ptask *t,
    json_t *failures)
{
	char id[64];
	int rc = STORE_NOTFOUND;

	memset(t, 0, sizeof *t);
	if (instances_ref_id(r, ref, "task", cluster, id, sizeof id) == 0)
		rc = store_task_read(r->store, &r->part, cluster, id,
		    STORE_TASK_DOC, &t->row);
	if (rc == STORE_OK)
		rc = store_task_protection(r->store, &r->part, cluster, id,
		    &t->until);
	if (rc == STORE_ERR)
		return api_fail(r, ECS_ERR_SERVER, "The store could not read the "
		    "task: %s", store_errmsg(r->store));
	if (rc == STORE_NOTFOUND) {
		failure(failures, r, cluster, ref, "MISSING", NULL);
		return 0;
	}
	if (t->row.service == NULL) {
		failure(failures, r, cluster, ref, "TASK_NOT_VALID", "The task is "
		    "not part of a service: only a service's tasks can be "
		    "protected from scale-in.");
		return 0;
	}
	return 1;
}

/* The ProtectedTask shape; expirationDate only while protected. */
static json_t *
protected_task(struct req *r, struct ptask *t)
{
	int on = t->until > r->now;
	json_t *o = json_pack("{s:s, s:b}", "taskArn", t->row.arn,
	    "protectionEnabled", on);

	if (on)
		json_object_set_new(o, "expirationDate", json_real(t->until));
	return o;
}

static int
tasks_in(struct req *r, char *cluster, size_t size, int max, json_t **list)
{
	if (clusters_require_active(r, in_str(r, "cluster"), cluster, size) != 0)
		return -1;
	*list = in_get(r, "tasks");
	if (json_array_size(*list) == 0)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "tasks must name at "
		    "least one task.");
	if (json_array_size(*list) > (size_t)max)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "At most %d tasks can "
		    "be named at once.", max);
	return 0;
}

/*
 * Enabling protection: a task must still be meant to run, and the
 * service's protected tasks may not outnumber its desiredCount.
 */
static int
may_protect(struct req *r, const char *cluster, const char *ref,
    struct ptask *t, json_t *failures)
{
	struct service_row svc;
	int others = 0, rc;
	const char *desired = json_string_value(json_object_get(t->row.doc,
	    "desiredStatus"));

	if (desired == NULL || strcmp(desired, "RUNNING") != 0) {
		failure(failures, r, cluster, ref, "TASK_NOT_VALID", "The task is "
		    "stopped or stopping.");
		return 0;
	}
	memset(&svc, 0, sizeof svc);
	rc = store_service_get(r->store, &r->part, cluster, t->row.service, &svc);
	if (rc == STORE_OK)
		rc = store_service_protected(r->store, &r->part, cluster,
		    t->row.service, t->row.id, r->now, &others);
	if (rc == STORE_ERR) {
		store_service_row_free(&svc);
		return api_fail(r, ECS_ERR_SERVER, "The store could not read the "
		    "service: %s", store_errmsg(r->store));
	}
	if (rc == STORE_NOTFOUND || svc.status == NULL ||
	    strcmp(svc.status, "ACTIVE") != 0) {
		failure(failures, r, cluster, ref, "TASK_NOT_VALID", "The task's "
		    "service is being deleted.");
		rc = STORE_NOTFOUND;
	} else if (others + 1 > json_integer_value(json_object_get(svc.doc,
	    "desiredCount"))) {
		failure(failures, r, cluster, ref, "DEPLOYMENT_BLOCKED", "The "
		    "service would have more protected tasks than its "
		    "desiredCount.");
		rc = STORE_NOTFOUND;
	}
	store_service_row_free(&svc);
	return rc == STORE_OK;
}

int
op_update_task_protection(struct req *r)
{
	char cluster[256];
	json_t *list, *done, *failures, *v;
	int enable = in_bool(r, "protectionEnabled", 0);
	int minutes = in_int(r, "expiresInMinutes", DEFAULT_MINUTES);
	size_t i;

	if (tasks_in(r, cluster, sizeof cluster, MAX_UPDATE, &list) != 0)
		return -1;
	if (enable && (minutes < 1 || minutes > MAX_MINUTES))
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "expiresInMinutes "
		    "must be between 1 and %d (48 hours).", MAX_MINUTES);
	done = json_array();
	failures = json_array();
	json_object_set_new(r->out, "protectedTasks", done);
	json_object_set_new(r->out, "failures", failures);
	json_array_foreach(list, i, v) {
		const char *ref = json_string_value(v);
		struct ptask t;
		int rc = find(r, cluster, ref, &t, failures);

		if (rc == 1 && enable)
			rc = may_protect(r, cluster, ref, &t, failures);
		if (rc == 1) {
			t.until = enable ? r->now + minutes * 60.0 : 0;
			if (store_task_protect(r->store, &r->part, cluster, t.row.id,
			    t.until) == STORE_ERR)
				rc = api_fail(r, ECS_ERR_SERVER, "The store could not "
				    "save the task: %s", store_errmsg(r->store));
			else
				json_array_append_new(done, protected_task(r, &t));
		}
		store_task_row_free(&t.row);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int
op_get_task_protection(struct req *r)
{
	char cluster[256];
	json_t *list, *found, *failures, *v;
	size_t i;

	if (tasks_in(r, cluster, sizeof cluster, MAX_GET, &list) != 0)
		return -1;
	found = json_array();
	failures = json_array();
	json_object_set_new(r->out, "protectedTasks", found);
	json_object_set_new(r->out, "failures", failures);
	json_array_foreach(list, i, v) {
		struct ptask t;
		int rc = find(r, cluster, json_string_value(v), &t, failures);

		if (rc == 1)
			json_array_append_new(found, protected_task(r, &t));
		store_task_row_free(&t.row);
		if (rc < 0)
			return -1;
	}
	return 0;
}
