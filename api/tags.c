/*
 * tags.c - tags on every taggable resource: the rules ECS applies to them
 * (used at creation by every resource) and TagResource, UntagResource and
 * ListTagsForResource.
 *
 * The tagging operations name their resource by ARN only. What they answer
 * when it is not one ecsd holds (real ECS's answers where they are known):
 *
 *   not an ECS ARN of a taggable type ..... InvalidParameterException
 *                                            "The ARN provided is invalid."
 *   short (old format) service, task or
 *   container instance ARN ................ InvalidParameterException
 *                         "Long arn format must be used for tagging operations"
 *   cluster missing (also the cluster of
 *   a service, task, ... in the ARN) ...... ClusterNotFoundException
 *   cluster deleted (INACTIVE) ............ InvalidParameterException "The
 *          specified cluster is inactive. Specify an active cluster and try
 *          again." (what Terraform's CheckDestroy expects after a destroy)
 *   anything else missing ................. ResourceNotFoundException
 *
 * An ARN of another region or account is not in the caller's partition, so
 * it is missing there. FARGATE and FARGATE_SPOT are capacity providers AWS
 * owns in every account: they list no tags and refuse changes with the
 * ClientException the other changes to them get ("... is reserved and
 * can't be ...").
 */
#include <stdio.h>
#include <string.h>

#include "api.h"

#define MAX_TAGS 50

/*
 * The characters ECS allows in tag keys and values: letters, numbers and
 * separators of any script (\p{L}\p{Z}\p{N}) and _ . : / = + - @. Bytes of
 * multi-byte UTF-8 sequences are let through: without a Unicode table we
 * cannot tell a letter from a symbol there, and refusing a real letter
 * would be worse than accepting a rare symbol.
 */
static int
tag_text_valid(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr(" _.:/=+-@", c) != NULL)
			continue;
		return 0;
	}
	return 1;
}

/* Keys under aws: belong to AWS: users may not set or remove them. */
static int
tag_key_reserved(const char *key)
{
	return strncasecmp(key, "aws:", 4) == 0;
}

/*
 * Checks a `tags` list from a request against ECS's rules: keys unique,
 * made of the allowed characters, not under the reserved aws: prefix, and
 * at most 50 on the resource once merged with the `existing` ones (NULL at
 * creation). Tags AWS set itself (aws:...) do not count towards the 50.
 */
int
tags_validate(struct req *r, json_t *tags, json_t *existing)
{
	size_t i, j, n = json_array_size(tags);
	json_t *t, *u;
	size_t total;

	/* Every key first: the checks below compare keys with each other. */
	json_array_foreach(tags, i, t) {
		const char *key = json_string_value(json_object_get(t, "key"));

		if (key == NULL || *key == '\0')
			return api_fail(r, ECS_ERR_INVALID_PARAMETER,
			    "Tag keys must be between 1 and 128 characters.");
	}
	json_array_foreach(tags, i, t) {
		const char *key = json_string_value(json_object_get(t, "key"));
		const char *value = json_string_value(json_object_get(t, "value"));

		if (tag_key_reserved(key))
			return api_fail(r, ECS_ERR_INVALID_PARAMETER,
			    "Tag keys may not begin with 'aws:': that prefix is "
			    "reserved for AWS use.");
		if (!tag_text_valid(key) || (value != NULL && !tag_text_valid(value)))
			return api_fail(r, ECS_ERR_INVALID_PARAMETER,
			    "Tag '%.128s' has characters ECS does not allow: keys and "
			    "values may hold letters, numbers, spaces and _ . : / = + "
			    "- @ only.", key);
		for (j = i + 1; j < n; j++) {
			u = json_array_get(tags, j);
			if (strcmp(key, json_string_value(json_object_get(u, "key")))
			    == 0)
				return api_fail(r, ECS_ERR_INVALID_PARAMETER,
				    "Tag key '%s' is given more than once.", key);
		}
	}
	total = n;
	json_array_foreach(existing, i, u) {
		const char *key = json_string_value(json_object_get(u, "key"));
		int replaced = 0;

		if (key == NULL || tag_key_reserved(key))
			continue;
		json_array_foreach(tags, j, t)
			if (strcmp(key, json_string_value(json_object_get(t, "key")))
			    == 0)
				replaced = 1;
		if (!replaced)
			total++;
	}
	if (total > MAX_TAGS)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER,
		    "A resource can have at most %d tags; this would make %zu.",
		    MAX_TAGS, total);
	return 0;
}

/*
 * arn_parse for every taggable type. struct arn keeps the type word in 16
 * bytes, too few for "capacity-provider" and "container-instance", so
 * arn_parse refuses their ARNs. Until it takes them, such an ARN is parsed
 * with a stand-in type word of the same shape (no cluster part, or one) and
 * the kind set back and a->resource left empty, so callers go by a->kind
 * (type_word) rather than a->resource.
 */
int
tags_arn_parse(const char *s, struct arn *a)
{
	static const struct {
		const char *word, *standin;
		enum arn_kind kind;
	} longs[] = {
		{ "capacity-provider/", "cluster/", ARN_CAPACITY_PROVIDER },
		{ "container-instance/", "service/", ARN_CONTAINER_INSTANCE },
	};
	const char *type;
	char buf[1024];

	if (arn_parse(s, a) == 0)
		return 0;
	type = strrchr(s, ':');
	if (strncmp(s, "arn:aws:ecs:", 12) != 0 || type == NULL)
		return -1;
	type++;
	for (size_t i = 0; i < sizeof longs / sizeof longs[0]; i++) {
		size_t wlen = strlen(longs[i].word);

		if (strncmp(type, longs[i].word, wlen) != 0 ||
		    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(type - s), s,
		    longs[i].standin, type + wlen) >= (int)sizeof buf ||
		    arn_parse(buf, a) != 0)
			continue;
		a->kind = longs[i].kind;
		a->resource[0] = '\0';
		return 0;
	}
	return -1;
}

/* The type word of an ARN kind, as ARNs spell it. */
static const char *
type_word(enum arn_kind kind)
{
	switch (kind) {
	case ARN_CLUSTER: return "cluster";
	case ARN_TASK_DEFINITION: return "task-definition";
	case ARN_SERVICE: return "service";
	case ARN_TASK: return "task";
	case ARN_CONTAINER_INSTANCE: return "container-instance";
	case ARN_CAPACITY_PROVIDER: return "capacity-provider";
	case ARN_TASK_SET: return "task-set";
	case ARN_OTHER: break;
	}
	return "";
}

/* The words ECS uses for a resource type in its messages. */
static const char *
kind_words(enum arn_kind kind)
{
	switch (kind) {
	case ARN_CLUSTER: return "cluster";
	case ARN_TASK_DEFINITION: return "task definition";
	case ARN_SERVICE: return "service";
	case ARN_TASK: return "task";
	case ARN_CONTAINER_INSTANCE: return "container instance";
	case ARN_CAPACITY_PROVIDER: return "capacity provider";
	case ARN_TASK_SET: return "task set";
	case ARN_OTHER: break;
	}
	return "resource";
}

/* family:revision with a family of name characters and a positive number. */
static int
task_definition_name_valid(const char *name)
{
	const char *colon = strrchr(name, ':');
	char family[256];
	size_t flen;

	if (colon == NULL || colon[1] == '\0' || colon[1] == '0')
		return 0;
	for (const char *p = colon + 1; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return 0;
	flen = (size_t)(colon - name);
	if (flen == 0 || flen >= sizeof family)
		return 0;
	memcpy(family, name, flen);
	family[flen] = '\0';
	return name_valid(family, 255);
}

/*
 * The part after the type (and cluster) has the shape of its type: one
 * path segment, except a task set's "<service>/<id>" (whose id,
 * "ecs-svc/<digits>", has a slash of its own); a task definition's is
 * "<family>:<revision>".
 */
static int
name_shape_valid(const struct arn *a)
{
	const char *slash = strchr(a->name, '/');

	if (a->kind == ARN_TASK_SET)
		return slash != NULL && slash != a->name && slash[1] != '\0' &&
		    slash[strlen(slash) - 1] != '/';
	if (slash != NULL)
		return 0;
	if (a->kind == ARN_TASK_DEFINITION)
		return task_definition_name_valid(a->name);
	return 1;
}

static int
is_builtin_provider(const struct arn *a)
{
	return a->kind == ARN_CAPACITY_PROVIDER &&
	    capacity_provider_builtin(a->name);
}

/*
 * Checks that resourceArn names a taggable resource ecsd holds in the
 * caller's partition; fills *a. Returns 0, or -1 with the exception ECS
 * sends recorded (see the table at the top of this file).
 */
static int
resource_check(struct req *r, const char *arn, struct arn *a)
{
	int scoped, rc;

	if (tags_arn_parse(arn, a) != 0 || a->kind == ARN_OTHER)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER,
		    "The ARN provided is invalid.");
	scoped = a->kind == ARN_SERVICE || a->kind == ARN_TASK ||
	    a->kind == ARN_CONTAINER_INSTANCE || a->kind == ARN_TASK_SET;
	if (scoped && a->cluster[0] == '\0')
		return api_fail(r, ECS_ERR_INVALID_PARAMETER,
		    "Long arn format must be used for tagging operations");
	if (!name_shape_valid(a))
		return api_fail(r, ECS_ERR_INVALID_PARAMETER,
		    "The ARN provided is invalid.");
	if (strcmp(a->region, r->part.region) != 0 ||
	    strcmp(a->account, r->part.account) != 0) {
		if (a->kind == ARN_CLUSTER || scoped)
			return api_fail(r, ECS_ERR_CLUSTER_NOT_FOUND,
			    "Cluster not found.");
		return api_fail(r, ECS_ERR_RESOURCE_NOT_FOUND,
		    "The specified %s wasn't found.", kind_words(a->kind));
	}
	if (is_builtin_provider(a))
		return 0;
	rc = store_tags_resource(r->store, &r->part, type_word(a->kind),
	    a->cluster, a->name, arn);
	switch (rc) {
	case STORE_TARGET_FOUND:
		return 0;
	case STORE_TARGET_NO_CLUSTER:
		return api_fail(r, ECS_ERR_CLUSTER_NOT_FOUND, "Cluster not found.");
	case STORE_TARGET_CLUSTER_INACTIVE:
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "The specified "
		    "cluster is inactive. Specify an active cluster and try again.");
	default:
		return api_fail(r, ECS_ERR_RESOURCE_NOT_FOUND,
		    "The specified %s wasn't found.", kind_words(a->kind));
	}
}

static int
builtin_refused(struct req *r, const struct arn *a)
{
	return api_fail(r, ECS_ERR_CLIENT, "The %s capacity provider is "
	    "reserved and can't be tagged.", a->name);
}

/* TagResource: adds tags to a resource, overwriting the values of keys it has. */
int
op_tag_resource(struct req *r)
{
	const char *arn = in_str(r, "resourceArn");
	json_t *tags = in_get(r, "tags");
	json_t *existing;
	struct arn a;
	int rc;

	if (resource_check(r, arn, &a) != 0)
		return -1;
	if (is_builtin_provider(&a))
		return builtin_refused(r, &a);
	existing = store_tags_get(r->store, arn);
	rc = tags_validate(r, tags, existing);
	json_decref(existing);
	if (rc != 0)
		return -1;
	if (store_tags_set(r->store, arn, tags) != STORE_OK)
		return api_fail(r, ECS_ERR_SERVER, "The tags could not be saved.");
	return 0;
}

/* UntagResource: removes the listed keys; keys the resource lacks are no error. */
int
op_untag_resource(struct req *r)
{
	const char *arn = in_str(r, "resourceArn");
	json_t *keys = in_get(r, "tagKeys");
	json_t *k;
	struct arn a;
	size_t i;

	if (resource_check(r, arn, &a) != 0)
		return -1;
	if (is_builtin_provider(&a))
		return builtin_refused(r, &a);
	json_array_foreach(keys, i, k) {
		const char *key = json_string_value(k);

		if (tag_key_reserved(key))
			return api_fail(r, ECS_ERR_INVALID_PARAMETER,
			    "Tag keys beginning with 'aws:' are reserved for AWS use "
			    "and cannot be removed.");
		if (!tag_text_valid(key))
			return api_fail(r, ECS_ERR_INVALID_PARAMETER,
			    "Tag key '%.128s' has characters ECS does not allow: keys "
			    "may hold letters, numbers, spaces and _ . : / = + - @ "
			    "only.", key);
	}
	if (store_tags_remove(r->store, arn, keys) != STORE_OK)
		return api_fail(r, ECS_ERR_SERVER, "The tags could not be removed.");
	return 0;
}

/* ListTagsForResource: the resource's tags in the order they were first set. */
int
op_list_tags_for_resource(struct req *r)
{
	const char *arn = in_str(r, "resourceArn");
	struct arn a;

	if (resource_check(r, arn, &a) != 0)
		return -1;
	json_object_set_new(r->out, "tags", store_tags_get(r->store, arn));
	return 0;
}
