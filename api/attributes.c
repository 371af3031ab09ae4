/*
 * attributes.c - PutAttributes, DeleteAttributes and ListAttributes:
 * name/value attributes on container instances, which placement
 * constraints (memberOf, attribute:...) and spread strategies select on.
 *
 * Rules ECS applies (its documentation of Attribute and the operations):
 *   - the cluster must exist and be ACTIVE (ClusterNotFoundException);
 *   - 1 to 10 attributes a call (InvalidParameterException otherwise);
 *   - names: 1-128 letters, numbers, - _ / \ . ;
 *     values: 1-128 letters, numbers, - _ . @ / \ : and spaces, not at
 *     either end; a value may be left out;
 *   - targetId is the container instance's id or ARN; a bare id needs
 *     targetType; the instance must be in the cluster
 *     (TargetNotFoundException otherwise);
 *   - a container instance holds at most 10 custom attributes (the ecs.*
 *     ones the agent sets do not count): AttributeLimitExceededException,
 *     and nothing of the call is applied.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"

#define MAX_PER_CALL 10
#define MAX_CUSTOM 10
#define MAX_LEN 128
#define TARGET_TYPE "container-instance"

static int
alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static int
attr_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > MAX_LEN)
		return 0;
	for (; *s != '\0'; s++)
		if (!alnum(*s) && strchr("-_/\\.", *s) == NULL)
			return 0;
	return 1;
}

static int
attr_value_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > MAX_LEN || s[0] == ' ' || s[n - 1] == ' ')
		return 0;
	for (; *s != '\0'; s++)
		if (!alnum(*s) && strchr("-_.@/\\: ", *s) == NULL)
			return 0;
	return 1;
}

/* Checks the attributes list of a Put (values allowed) or Delete. */
static int
check_list(struct req *r, json_t *attrs)
{
	json_t *a;
	size_t i;

	if (json_array_size(attrs) == 0 || json_array_size(attrs) > MAX_PER_CALL)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "attributes must hold "
		    "between 1 and %d attributes; this request has %zu.",
		    MAX_PER_CALL, json_array_size(attrs));
	json_array_foreach(attrs, i, a) {
		const char *name = json_string_value(json_object_get(a, "name"));
		json_t *value = json_object_get(a, "value");

		if (!attr_name_valid(name))
			return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Attribute name "
			    "'%.200s' is not valid: it must have 1 to 128 letters, "
			    "numbers, hyphens, underscores, slashes, backslashes or "
			    "periods.", name);
		if (json_is_string(value) &&
		    !attr_value_valid(json_string_value(value)))
			return api_fail(r, ECS_ERR_INVALID_PARAMETER, "The value of "
			    "attribute '%s' is not valid: it must have 1 to 128 "
			    "letters, numbers, hyphens, underscores, periods, at signs, "
			    "slashes, backslashes, colons or spaces, and not begin or "
			    "end with a space.", name);
		if (json_string_value(json_object_get(a, "targetId")) == NULL)
			return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Attribute '%s' "
			    "has no targetId: name the container instance by its id or "
			    "ARN.", name);
	}
	return 0;
}

/*
 * The container instance ARN (heap) an attribute's targetId names in
 * cluster. A bare id needs targetType; an ARN must be a container
 * instance's of the caller's partition and, in the long format, of this
 * cluster. Returns 0 with *arn set, or -1 with the exception recorded.
 */
static int
target_of(struct req *r, const char *cluster, json_t *attr, char **arn)
{
	const char *id = json_string_value(json_object_get(attr, "targetId"));
	const char *type = json_string_value(json_object_get(attr, "targetType"));
	struct arn a;

	*arn = NULL;
	if (strncmp(id, "arn:", 4) == 0) {
		if (tags_arn_parse(id, &a) != 0 ||
		    a.kind != ARN_CONTAINER_INSTANCE ||
		    strcmp(a.region, r->part.region) != 0 ||
		    strcmp(a.account, r->part.account) != 0 ||
		    (a.cluster[0] != '\0' && strcmp(a.cluster, cluster) != 0))
			goto notfound;
		id = a.name;
	} else if (type == NULL) {
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "targetType is "
		    "required when targetId '%.200s' is an id and not an ARN.", id);
	}
	if (store_attribute_target(r->store, &r->part, cluster, id, arn) ==
	    STORE_OK)
		return 0;
notfound:
	return api_fail(r, ECS_ERR_TARGET_NOT_FOUND, "Could not find %.300s in "
	    "cluster %s.", json_string_value(json_object_get(attr, "targetId")),
	    cluster);
}

/*
 * An Attribute object for the answer: the request's name, targetType and
 * targetId, and value, or v instead when v is not NULL (JSON null: none).
 */
static json_t *
echo(json_t *attr, json_t *v)
{
	static const char *const keys[] = { "name", "targetType", "targetId" };
	json_t *o = json_object();
	json_t *value = v != NULL ? v : json_object_get(attr, "value");

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		json_t *m = json_object_get(attr, keys[i]);

		if (json_is_string(m))
			json_object_set(o, keys[i], m);
	}
	if (json_is_string(value))
		json_object_set(o, "value", value);
	return o;
}

/*
 * PutAttributes: creates or replaces each attribute; answers with the
 * attributes as given. The custom-attribute limit is checked once all are
 * written, so a call that overflows a target leaves nothing behind.
 */
int
op_put_attributes(struct req *r)
{
	json_t *attrs = in_get(r, "attributes");
	json_t *out, *targets, *a;
	char cluster[256];
	const char *t;
	size_t i;

	if (clusters_require_active(r, in_str(r, "cluster"), cluster,
	    sizeof cluster) != 0 || check_list(r, attrs) != 0)
		return -1;
	out = json_array();
	targets = json_object();
	json_array_foreach(attrs, i, a) {
		const char *value = json_string_value(json_object_get(a, "value"));
		char *arn;

		if (target_of(r, cluster, a, &arn) != 0)
			goto fail;
		if (store_attribute_put(r->store, &r->part, cluster, TARGET_TYPE,
		    arn, json_string_value(json_object_get(a, "name")), value) !=
		    STORE_OK) {
			free(arn);
			api_fail(r, ECS_ERR_SERVER, "The attributes could not be saved.");
			goto fail;
		}
		json_object_set_new(targets, arn, json_true());
		json_array_append_new(out, echo(a, NULL));
		free(arn);
	}
	json_object_foreach(targets, t, a) {
		int n = store_attributes_custom_count(r->store, &r->part, cluster, t);

		if (n > MAX_CUSTOM) {
			api_fail(r, ECS_ERR_ATTRIBUTE_LIMIT, "You can apply up to %d "
			    "custom attributes to a resource; %s would have %d.",
			    MAX_CUSTOM, t, n);
			goto fail;
		}
	}
	json_decref(targets);
	json_object_set_new(r->out, "attributes", out);
	return 0;
fail:
	json_decref(targets);
	json_decref(out);
	return -1;
}

/*
 * DeleteAttributes: removes each attribute (values in the request are not
 * compared); answers with the attributes that were deleted, with the
 * values they had.
 */
int
op_delete_attributes(struct req *r)
{
	json_t *attrs = in_get(r, "attributes");
	json_t *out, *a;
	char cluster[256];
	size_t i;

	if (clusters_require_active(r, in_str(r, "cluster"), cluster,
	    sizeof cluster) != 0 || check_list(r, attrs) != 0)
		return -1;
	out = json_array();
	json_array_foreach(attrs, i, a) {
		json_t *old = NULL;
		char *arn;
		int rc;

		if (target_of(r, cluster, a, &arn) != 0) {
			json_decref(out);
			return -1;
		}
		rc = store_attribute_delete(r->store, &r->part, cluster, arn,
		    json_string_value(json_object_get(a, "name")), &old);
		free(arn);
		if (rc == STORE_ERR) {
			json_decref(out);
			return api_fail(r, ECS_ERR_SERVER,
			    "The attributes could not be deleted.");
		}
		if (rc == STORE_OK)
			json_array_append_new(out, echo(a, old));
		json_decref(old);
	}
	json_object_set_new(r->out, "attributes", out);
	return 0;
}

/*
 * ListAttributes: a cluster's attributes of targetType, optionally only
 * those called attributeName (and with attributeValue), ordered by target
 * and name, maxResults (1-100, default 100) a page. The page token holds
 * the last target and name shown, joined by a newline (which neither can
 * contain).
 */
int
op_list_attributes(struct req *r)
{
	const char *name = in_str(r, "attributeName");
	const char *value = in_str(r, "attributeValue");
	char cluster[256];
	char *after = NULL, *after_name = NULL;
	json_t *list;
	int max, more;

	if (clusters_require_active(r, in_str(r, "cluster"), cluster,
	    sizeof cluster) != 0)
		return -1;
	if (value != NULL && name == NULL)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "attributeValue can "
		    "only be used together with attributeName.");
	if (in_max_results(r, 100, 100, &max) != 0 ||
	    page_token_read(r, in_str(r, "nextToken"), &after) != 0)
		return -1;
	if (after != NULL) {
		after_name = strchr(after, '\n');
		if (after_name == NULL) {
			free(after);
			return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Invalid "
			    "nextToken: it was not returned by a previous call of this "
			    "operation.");
		}
		*after_name++ = '\0';
	}
	list = store_attributes_list(r->store, &r->part, cluster,
	    in_str(r, "targetType"), name, value, after, after_name, max, &more);
	if (more) {
		json_t *last = json_array_get(list, json_array_size(list) - 1);
		char *key, *token;

		xasprintf(&key, "%s\n%s",
		    json_string_value(json_object_get(last, "targetId")),
		    json_string_value(json_object_get(last, "name")));
		token = page_token_make(key);
		json_object_set_new(r->out, "nextToken", json_string(token));
		free(token);
		free(key);
	}
	json_object_set_new(r->out, "attributes", list);
	free(after);
	return 0;
}
