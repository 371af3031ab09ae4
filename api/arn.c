/*
 * arn.c - ECS ARNs in the long format, and the name-or-ARN rule: every
 * parameter that names a resource takes the short name or the full ARN.
 *
 *   arn:aws:ecs:<region>:<account>:<type>/<rest>
 *   cluster/<name>                     task-definition/<family>:<revision>
 *   service/<cluster>/<name>           task/<cluster>/<32 hex>
 *   container-instance/<cluster>/<id>  capacity-provider/<name>
 *   task-set/<cluster>/<service>/<id>
 */
#include <stdio.h>
#include <string.h>

#include "api.h"

static const struct {
	const char *word;
	enum arn_kind kind;
	int has_cluster;          /* long format: first path part is the cluster */
} kinds[] = {
	{ "cluster", ARN_CLUSTER, 0 },
	{ "task-definition", ARN_TASK_DEFINITION, 0 },
	{ "service", ARN_SERVICE, 1 },
	{ "task", ARN_TASK, 1 },
	{ "container-instance", ARN_CONTAINER_INSTANCE, 1 },
	{ "capacity-provider", ARN_CAPACITY_PROVIDER, 0 },
	{ "task-set", ARN_TASK_SET, 1 },
};

static int
copy_field(char *dst, size_t size, const char *src, size_t len)
{
	if (len == 0 || len >= size)
		return -1;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

/* Parses an ECS ARN; 0 on success, -1 when s is not one. */
int
arn_parse(const char *s, struct arn *a)
{
	const char *p, *colon, *slash, *rest;
	size_t i;

	memset(a, 0, sizeof *a);
	if (strncmp(s, "arn:aws:ecs:", 12) != 0)
		return -1;
	p = s + 12;
	colon = strchr(p, ':');
	if (colon == NULL || copy_field(a->region, sizeof a->region, p,
	    (size_t)(colon - p)) != 0)
		return -1;
	p = colon + 1;
	colon = strchr(p, ':');
	if (colon == NULL || copy_field(a->account, sizeof a->account, p,
	    (size_t)(colon - p)) != 0)
		return -1;
	p = colon + 1;
	slash = strchr(p, '/');
	if (slash == NULL || copy_field(a->resource, sizeof a->resource, p,
	    (size_t)(slash - p)) != 0)
		return -1;
	rest = slash + 1;
	a->kind = ARN_OTHER;
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if (strcmp(a->resource, kinds[i].word) == 0)
			break;
	}
	if (i < sizeof kinds / sizeof kinds[0]) {
		a->kind = kinds[i].kind;
		slash = kinds[i].has_cluster ? strchr(rest, '/') : NULL;
		if (slash != NULL) {
			if (copy_field(a->cluster, sizeof a->cluster, rest,
			    (size_t)(slash - rest)) != 0)
				return -1;
			rest = slash + 1;
		}
	}
	return copy_field(a->name, sizeof a->name, rest, strlen(rest));
}

/* arn:aws:ecs:<region>:<account>:<type>/<rest>, on the heap. */
char *
arn_make(const struct part *p, const char *type, const char *rest)
{
	char *s;

	xasprintf(&s, "arn:aws:ecs:%s:%s:%s/%s", p->region, p->account, type,
	    rest);
	return s;
}

/* Letters, digits, hyphens and underscores, 1 to max characters. */
int
name_valid(const char *s, size_t max)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

/*
 * The short name behind a name-or-ARN of the given type word ("cluster",
 * "capacity-provider", ...). An ARN of another type, region or account is
 * not ours: -1. The caller turns -1 into its own not-found answer.
 */
int
arn_name(const char *s, const char *type, char *out, size_t size)
{
	struct arn a;

	if (s == NULL)
		return -1;
	if (strncmp(s, "arn:", 4) != 0) {
		if (strlen(s) >= size)
			return -1;
		memcpy(out, s, strlen(s) + 1);
		return 0;
	}
	if (arn_parse(s, &a) != 0 || strcmp(a.resource, type) != 0)
		return -1;
	if (strlen(a.name) >= size)
		return -1;
	memcpy(out, a.name, strlen(a.name) + 1);
	return 0;
}

/*
 * The cluster a request names (`cluster` member: name or ARN; absent means
 * "default"). Checks the ARN belongs to the caller's partition. On failure
 * records ClusterNotFoundException and returns -1; existence is the
 * caller's to check.
 */
int
cluster_name_of(struct req *r, const char *s, char *out, size_t size)
{
	struct arn a;

	if (s == NULL || *s == '\0')
		s = "default";
	if (strncmp(s, "arn:", 4) == 0) {
		if (arn_parse(s, &a) != 0 || a.kind != ARN_CLUSTER ||
		    strcmp(a.region, r->part.region) != 0 ||
		    strcmp(a.account, r->part.account) != 0 ||
		    strlen(a.name) >= size)
			return api_fail(r, ECS_ERR_CLUSTER_NOT_FOUND,
			    "Cluster not found.");
		memcpy(out, a.name, strlen(a.name) + 1);
		return 0;
	}
	if (strlen(s) >= size)
		return api_fail(r, ECS_ERR_CLUSTER_NOT_FOUND, "Cluster not found.");
	memcpy(out, s, strlen(s) + 1);
	return 0;
}
