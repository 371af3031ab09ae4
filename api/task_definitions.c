/*
 * task_definitions.c - RegisterTaskDefinition, DescribeTaskDefinition,
 * ListTaskDefinitions, ListTaskDefinitionFamilies, DeregisterTaskDefinition
 * and DeleteTaskDefinitions; and taskdef_resolve, which RunTask and the
 * service operations use to turn a reference into a definition.
 *
 * A revision is stored as the document DescribeTaskDefinition returns: what
 * the user registered, exactly, plus the defaults ECS fills in and the
 * fields it computes. Nothing is recomputed on describe, so a register ->
 * describe round trip shows no drift (Terraform's plan after apply stays
 * empty). The defaults are the ones real ECS returns (seen in its
 * responses and in how the Terraform AWS provider normalises them):
 *
 *   container   cpu 0, essential true, portMappings/environment/
 *               mountPoints/volumesFrom/systemControls []
 *   portMapping protocol "tcp"; hostPort = containerPort under awsvpc and
 *               host, 0 under bridge (a dynamic port)
 *   healthCheck interval 30, timeout 5, retries 3 (startPeriod stays unset)
 *   task        volumes/placementConstraints []; a volume with no
 *               configuration gets host {}; a Docker volume scope "task";
 *               cpu "1 vCPU" -> "1024", memory "2 GB" -> "2048";
 *               networkMode stays unset when not given
 *
 * Lifecycle of a revision (status):
 *
 *   register ──> ACTIVE ──deregister──> INACTIVE ──delete──> DELETE_IN_PROGRESS
 *
 *   register    op_register_task_definition (revision = family's last + 1)
 *   deregister  op_deregister_task_definition (deregisteredAt)
 *   delete      op_delete_task_definitions (deleteRequestedAt)
 *
 * Revisions are never removed, so their numbers are never reused and
 * INACTIVE ones stay describable by revision.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../store/store.h"
#include "api.h"

#define MAX_TASKDEF_BYTES 65536   /* ECS's cap on a task definition */
#define MAX_DELETE 10             /* DeleteTaskDefinitions references per call */
#define FAMILY_SIZE 256

/* The members of RegisterTaskDefinitionRequest that make the definition. */
static const char *const definition_members[] = {
	"containerDefinitions", "cpu", "enableFaultInjection", "ephemeralStorage",
	"executionRoleArn", "family", "inferenceAccelerators", "ipcMode",
	"memory", "networkMode", "pidMode", "placementConstraints",
	"proxyConfiguration", "requiresCompatibilities", "runtimePlatform",
	"taskRoleArn", "volumes",
};

/* Removes JSON nulls at any depth: they mean "not given". */
static void
prune_nulls(json_t *v)
{
	const char *key;
	json_t *m;
	void *tmp;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach_safe(v, tmp, key, m) {
			if (json_is_null(m))
				json_object_del(v, key);
			else
				prune_nulls(m);
		}
	} else if (json_is_array(v)) {
		for (i = json_array_size(v); i > 0; i--) {
			m = json_array_get(v, i - 1);
			if (json_is_null(m))
				json_array_remove(v, i - 1);
			else
				prune_nulls(m);
		}
	}
}

/*
 * The definition part of the request, without nulls. Unknown members are
 * gone already: the model check drops them from the request, and the
 * request's definition members have the very shapes of TaskDefinition.
 */
static json_t *
definition_of(struct req *r)
{
	json_t *td = json_object();

	for (size_t i = 0; i < sizeof definition_members /
	    sizeof definition_members[0]; i++) {
		json_t *v = in_get(r, definition_members[i]);

		if (v != NULL)
			json_object_set_new(td, definition_members[i],
			    json_deep_copy(v));
	}
	prune_nulls(td);
	return td;
}

static void
set_default(json_t *o, const char *key, json_t *value)
{
	if (json_object_get(o, key) == NULL)
		json_object_set_new(o, key, value);
	else
		json_decref(value);
}

static void
container_defaults(json_t *ct, const char *mode)
{
	int same_port = strcmp(mode, "awsvpc") == 0 || strcmp(mode, "host") == 0;
	json_t *hc = json_object_get(ct, "healthCheck");
	json_t *m;
	size_t i;

	set_default(ct, "cpu", json_integer(0));
	set_default(ct, "essential", json_true());
	set_default(ct, "portMappings", json_array());
	set_default(ct, "environment", json_array());
	set_default(ct, "mountPoints", json_array());
	set_default(ct, "volumesFrom", json_array());
	set_default(ct, "systemControls", json_array());
	json_array_foreach(json_object_get(ct, "portMappings"), i, m) {
		json_t *cport = json_object_get(m, "containerPort");
		json_int_t hport = json_integer_value(json_object_get(m, "hostPort"));

		set_default(m, "protocol", json_string("tcp"));
		if (cport == NULL)
			continue;     /* a containerPortRange: ports come at run time */
		if (same_port && hport == 0)
			json_object_set_new(m, "hostPort",
			    json_integer(json_integer_value(cport)));
		else
			set_default(m, "hostPort", json_integer(0));
	}
	if (hc != NULL) {
		set_default(hc, "interval", json_integer(30));
		set_default(hc, "timeout", json_integer(5));
		set_default(hc, "retries", json_integer(3));
	}
}

/* What ECS fills in and computes for a definition that passed validation. */
static void
fill_defaults(json_t *td)
{
	const char *mode = json_string_value(json_object_get(td, "networkMode"));
	json_t *ct, *v;
	char num[32];
	long n;
	size_t i;

	if (mode == NULL)
		mode = "bridge";
	if (taskdef_cpu_parse(json_string_value(json_object_get(td, "cpu")),
	    &n) == 0) {
		snprintf(num, sizeof num, "%ld", n);
		json_object_set_new(td, "cpu", json_string(num));
	}
	if (taskdef_memory_parse(json_string_value(json_object_get(td, "memory")),
	    &n) == 0) {
		snprintf(num, sizeof num, "%ld", n);
		json_object_set_new(td, "memory", json_string(num));
	}
	json_array_foreach(json_object_get(td, "containerDefinitions"), i, ct)
		container_defaults(ct, mode);
	set_default(td, "volumes", json_array());
	set_default(td, "placementConstraints", json_array());
	json_array_foreach(json_object_get(td, "volumes"), i, v) {
		json_t *dv = json_object_get(v, "dockerVolumeConfiguration");

		if (dv != NULL)
			set_default(dv, "scope", json_string("task"));
		else if (json_object_get(v, "efsVolumeConfiguration") == NULL &&
		    json_object_get(v, "fsxWindowsFileServerVolumeConfiguration") ==
		    NULL &&
		    json_object_get(v, "s3filesVolumeConfiguration") == NULL &&
		    !json_is_true(json_object_get(v, "configuredAtLaunch")))
			set_default(v, "host", json_object());
	}
	json_object_set_new(td, "compatibilities", taskdef_compatibilities(td));
	json_object_set_new(td, "requiresAttributes",
	    taskdef_requires_attributes(td));
}

/*
 * Finds the revision a reference names (family alone: the latest ACTIVE
 * one). 0 with *doc set; STORE_NOTFOUND (nothing recorded); -1 with
 * InvalidParameterException for a revision that is not a number.
 */
static int
lookup(struct req *r, const char *ref, char *family, int *rev, json_t **doc)
{
	int rc = taskdef_ref_parse(ref, &r->part, family, FAMILY_SIZE, rev);

	*doc = NULL;
	if (rc == -2)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Invalid revision "
		    "number. Number: %.64s", strrchr(ref, ':') + 1);
	if (rc != 0)
		return STORE_NOTFOUND;
	return store_taskdef_get(r->store, &r->part, family, *rev, doc) ==
	    STORE_OK ? 0 : STORE_NOTFOUND;
}

static const char *
doc_status(json_t *doc)
{
	const char *s = json_string_value(json_object_get(doc, "status"));

	return s != NULL ? s : "";
}

/*
 * Answers {"taskDefinition": <the stored document>, "tags": [...]}: the
 * stored text spliced in, never parsed. 0, or -1 with ClientException when
 * the revision is not there.
 */
static int
answer_stored(struct req *r, const char *family, int rev, int with_tags)
{
	struct store_text td;
	struct jbuf *b;

	if (store_taskdef_text(r->store, &r->part, family, rev, &td) !=
	    STORE_OK)
		return api_fail(r, ECS_ERR_CLIENT, "Unable to describe task "
		    "definition.");
	b = api_text(r);
	jbuf_puts(b, "{\"taskDefinition\":");
	jbuf_add(b, td.doc, td.len);
	if (with_tags) {
		json_t *tags = store_tags_get(r->store, td.arn);

		jbuf_key(b, "tags");
		jbuf_json(b, tags);
		json_decref(tags);
	}
	jbuf_puts(b, "}");
	store_text_free(&td);
	return 0;
}

int
op_register_task_definition(struct req *r)
{
	json_t *tags = in_get(r, "tags");
	json_t *td = definition_of(r);
	struct td_check chk;
	const char *family;
	char *text, *arn = NULL, *by = NULL, *rest = NULL;
	size_t len;
	int rev, rc = -1;

	text = json_dumps(td, JSON_COMPACT);
	len = text != NULL ? strlen(text) : 0;
	free(text);
	if (len > MAX_TASKDEF_BYTES) {
		api_fail(r, ECS_ERR_CLIENT, "Actual length: '%zu'. Max allowed "
		    "length is '%d' bytes.", len, MAX_TASKDEF_BYTES);
		goto out;
	}
	if (taskdef_validate(td, &chk) != 0) {
		api_fail(r, chk.code, "%s", chk.msg);
		goto out;
	}
	if (tags != NULL && json_array_size(tags) == 0) {
		api_fail(r, ECS_ERR_CLIENT, "Tags can not be empty.");
		goto out;
	}
	if (tags_validate(r, tags, NULL) != 0)
		goto out;
	fill_defaults(td);
	family = json_string_value(json_object_get(td, "family"));
	if (store_taskdef_next_revision(r->store, &r->part, family, &rev) !=
	    STORE_OK) {
		api_fail(r, ECS_ERR_SERVER, "The store could not number the new "
		    "revision.");
		goto out;
	}
	xasprintf(&rest, "%s:%d", family, rev);
	arn = arn_make(&r->part, "task-definition", rest);
	xasprintf(&by, "arn:aws:iam::%s:root", r->part.account);
	json_object_set_new(td, "taskDefinitionArn", json_string(arn));
	json_object_set_new(td, "revision", json_integer(rev));
	json_object_set_new(td, "status", json_string("ACTIVE"));
	json_object_set_new(td, "registeredAt", json_real(r->now));
	json_object_set_new(td, "registeredBy", json_string(by));
	if (store_taskdef_insert(r->store, &r->part, family, rev, arn, "ACTIVE",
	    r->now, td) != STORE_OK ||
	    store_tags_set(r->store, arn, tags) != STORE_OK) {
		api_fail(r, ECS_ERR_SERVER, "The store could not save the task "
		    "definition.");
		goto out;
	}
	/* The answer is what DescribeTaskDefinition will show: the text just
	 * stored, spliced in (writing td out again would cost as much). */
	rc = answer_stored(r, family, rev, json_array_size(tags) > 0);
out:
	json_decref(td);
	free(rest);
	free(arn);
	free(by);
	return rc;
}

int
op_describe_task_definition(struct req *r)
{
	const char *ref = in_str(r, "taskDefinition");
	char family[FAMILY_SIZE];
	int rev, rc;

	rc = taskdef_ref_parse(ref, &r->part, family, FAMILY_SIZE, &rev);
	if (rc == -2)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Invalid revision "
		    "number. Number: %.64s", strrchr(ref, ':') + 1);
	if (rc != 0)
		return api_fail(r, ECS_ERR_CLIENT, "Unable to describe task "
		    "definition.");
	return answer_stored(r, family, rev, in_has(r, "include", "TAGS"));
}

/*
 * The revision named by a reference, for RunTask, CreateService and
 * UpdateService: family alone is the latest ACTIVE revision; family:rev or
 * the ARN is that revision whatever its status (the caller decides what an
 * INACTIVE or DELETE_IN_PROGRESS one may still do). 0 with *doc set (the
 * caller frees it), or -1 with ClientException "TaskDefinition not found."
 */
int
taskdef_resolve(struct req *r, const char *ref, json_t **doc)
{
	char family[FAMILY_SIZE];
	int rev, rc;

	rc = lookup(r, ref, family, &rev, doc);
	if (rc < 0)
		return -1;
	if (rc == STORE_NOTFOUND)
		return api_fail(r, ECS_ERR_CLIENT, "TaskDefinition not found.");
	return 0;
}

/* "family:revision" of a task definition ARN (the text after the slash). */
static const char *
arn_tail(const char *arn)
{
	const char *slash = arn != NULL ? strrchr(arn, '/') : NULL;

	return slash != NULL ? slash + 1 : "";
}

int
op_list_task_definitions(struct req *r)
{
	const char *family = in_str(r, "familyPrefix");
	const char *status = in_str(r, "status");
	const char *sort = in_str(r, "sort");
	int desc = sort != NULL && strcmp(sort, "DESC") == 0;
	char after_family[FAMILY_SIZE], *key = NULL;
	json_t *arns = json_array();
	int limit, after_rev = 0, rc = -1;

	if (status == NULL)
		status = "ACTIVE";
	if (in_max_results(r, 100, 100, &limit) != 0 ||
	    page_token_read(r, in_str(r, "nextToken"), &key) != 0)
		goto out;
	if (key != NULL && (taskdef_ref_parse(key, &r->part, after_family,
	    sizeof after_family, &after_rev) != 0 || after_rev == 0)) {
		page_token_refuse(r);
		goto out;
	}
	/* familyPrefix is the whole family name here, as in ECS. */
	if (family == NULL || name_valid(family, FAMILY_SIZE - 1)) {
		if (store_taskdef_list(r->store, &r->part, family, status, desc,
		    key != NULL ? after_family : NULL, after_rev, limit + 1, arns) !=
		    STORE_OK) {
			api_fail(r, ECS_ERR_SERVER, "The store could not list task "
			    "definitions.");
			goto out;
		}
	}
	if (json_array_size(arns) > (size_t)limit) {
		char *token;

		json_array_remove(arns, (size_t)limit);
		token = page_token_make(arn_tail(json_string_value(
		    json_array_get(arns, (size_t)limit - 1))));
		json_object_set_new(r->out, "nextToken", json_string(token));
		free(token);
	}
	json_object_set(r->out, "taskDefinitionArns", arns);
	rc = 0;
out:
	json_decref(arns);
	free(key);
	return rc;
}

/* A family prefix can match something only if it uses name characters. */
static int
prefix_usable(const char *prefix)
{
	return prefix == NULL || *prefix == '\0' ||
	    name_valid(prefix, FAMILY_SIZE - 1);
}

int
op_list_task_definition_families(struct req *r)
{
	const char *prefix = in_str(r, "familyPrefix");
	const char *status = in_str(r, "status");
	json_t *families = json_array();
	char *key = NULL;
	int limit, rc = -1;

	if (in_max_results(r, 100, 100, &limit) != 0 ||
	    page_token_read(r, in_str(r, "nextToken"), &key) != 0)
		goto out;
	if (key != NULL && !name_valid(key, FAMILY_SIZE - 1)) {
		page_token_refuse(r);
		goto out;
	}
	if (prefix_usable(prefix) && store_taskdef_families(r->store, &r->part,
	    prefix, status, key, limit + 1, families) != STORE_OK) {
		api_fail(r, ECS_ERR_SERVER, "The store could not list task "
		    "definition families.");
		goto out;
	}
	if (json_array_size(families) > (size_t)limit) {
		char *token;

		json_array_remove(families, (size_t)limit);
		token = page_token_make(json_string_value(json_array_get(families,
		    (size_t)limit - 1)));
		json_object_set_new(r->out, "nextToken", json_string(token));
		free(token);
	}
	json_object_set(r->out, "families", families);
	rc = 0;
out:
	json_decref(families);
	free(key);
	return rc;
}

int
op_deregister_task_definition(struct req *r)
{
	const char *ref = in_str(r, "taskDefinition");
	char family[FAMILY_SIZE];
	json_t *doc;
	int rev, rc;

	if (taskdef_ref_parse(ref, &r->part, family, sizeof family, &rev) == 0 &&
	    rev == 0)
		return api_fail(r, ECS_ERR_CLIENT, "Revision is missing. Name the "
		    "task definition as family:revision or by its full ARN.");
	rc = lookup(r, ref, family, &rev, &doc);
	if (rc < 0)
		return -1;
	if (rc == STORE_NOTFOUND)
		return api_fail(r, ECS_ERR_CLIENT, "The specified task definition "
		    "does not exist. Specify a valid account, family, revision and "
		    "try again.");
	if (strcmp(doc_status(doc), "DELETE_IN_PROGRESS") == 0) {
		json_decref(doc);
		return api_fail(r, ECS_ERR_CLIENT, "The specified task definition "
		    "is in the process of being deleted.");
	}
	if (strcmp(doc_status(doc), "ACTIVE") == 0) {
		json_object_set_new(doc, "status", json_string("INACTIVE"));
		json_object_set_new(doc, "deregisteredAt", json_real(r->now));
		if (store_taskdef_update(r->store, &r->part, family, rev, "INACTIVE",
		    r->now, doc) != STORE_OK) {
			json_decref(doc);
			return api_fail(r, ECS_ERR_SERVER, "The store could not "
			    "deregister the task definition.");
		}
	}
	json_object_set_new(r->out, "taskDefinition", doc);
	return 0;
}

static void
add_failure(json_t *failures, const char *arn, const char *reason)
{
	json_array_append_new(failures, json_pack("{s:s, s:s}", "arn", arn,
	    "reason", reason));
}

/* Moves one INACTIVE revision to DELETE_IN_PROGRESS, or records why not. */
static int
delete_one(struct req *r, const char *ref, json_t *done, json_t *failures)
{
	char family[FAMILY_SIZE], rest[FAMILY_SIZE + 16], *arn;
	json_t *doc = NULL;
	double at;
	int rev, rc;

	rc = taskdef_ref_parse(ref, &r->part, family, sizeof family, &rev);
	if (rc != 0 || rev == 0) {
		add_failure(failures, ref, "The specified task definition "
		    "identifier is invalid. Specify a valid name or ARN and try "
		    "again.");
		return 0;
	}
	snprintf(rest, sizeof rest, "%s:%d", family, rev);
	arn = arn_make(&r->part, "task-definition", rest);
	if (store_taskdef_get(r->store, &r->part, family, rev, &doc) !=
	    STORE_OK) {
		add_failure(failures, arn, "The specified task definition does not "
		    "exist. Specify a valid account, family, revision and try "
		    "again.");
	} else if (strcmp(doc_status(doc), "ACTIVE") == 0) {
		add_failure(failures, arn, "The specified task definition is still "
		    "in ACTIVE status. Please deregister the target and try again.");
	} else {
		if (strcmp(doc_status(doc), "INACTIVE") == 0) {
			at = json_number_value(json_object_get(doc, "deregisteredAt"));
			json_object_set_new(doc, "status",
			    json_string("DELETE_IN_PROGRESS"));
			json_object_set_new(doc, "deleteRequestedAt", json_real(r->now));
			if (store_taskdef_update(r->store, &r->part, family, rev,
			    "DELETE_IN_PROGRESS", at, doc) != STORE_OK) {
				json_decref(doc);
				free(arn);
				return api_fail(r, ECS_ERR_SERVER, "The store could not "
				    "delete the task definition.");
			}
		}
		json_array_append(done, doc);
	}
	json_decref(doc);
	free(arn);
	return 0;
}

int
op_delete_task_definitions(struct req *r)
{
	json_t *refs = in_get(r, "taskDefinitions");
	json_t *done, *failures, *e;
	size_t i;

	if (json_array_size(refs) == 0)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "size of "
		    "TaskDefinition references list must be greater than 0");
	if (json_array_size(refs) > MAX_DELETE)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Size of "
		    "TaskDefinition references list cannot exceed %d", MAX_DELETE);
	done = json_array();
	failures = json_array();
	json_object_set_new(r->out, "taskDefinitions", done);
	json_object_set_new(r->out, "failures", failures);
	json_array_foreach(refs, i, e) {
		if (delete_one(r, json_string_value(e), done, failures) != 0)
			return -1;
	}
	return 0;
}
