/*
 * clusters.c - CreateCluster, DescribeClusters, ListClusters, UpdateCluster,
 * UpdateClusterSettings, PutClusterCapacityProviders, DeleteCluster, and
 * the check every cluster-scoped operation makes first
 * (clusters_require_active).
 *
 * A cluster is stored as the parts of the ECS Cluster shape the user
 * chooses (settings, configuration, serviceConnectDefaults, capacity
 * providers and the default strategy) plus ARN, name and status. What ECS
 * computes (the four counts and the statistics) comes from COUNT queries
 * over the rows of services, tasks and container instances each time a
 * cluster is shown; tags live in the tags table.
 *
 *   CreateCluster ──> ACTIVE ──DeleteCluster──> INACTIVE
 *                       ^                          │
 *                       └──────CreateCluster───────┘  (same ARN)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

#define MAX_DESCRIBE 100

/* What a cluster view shows beyond the members it always has. */
#define SHOW_ATTACHMENTS 0x01
#define SHOW_CONFIGURATIONS 0x02
#define SHOW_SETTINGS 0x04
#define SHOW_STATISTICS 0x08
#define SHOW_TAGS 0x10
/* What Create/Update/Put/Delete answer with. */
#define SHOW_WRITE (SHOW_CONFIGURATIONS | SHOW_SETTINGS | SHOW_TAGS)

static const char *const insights_values[] = {
	"enabled", "disabled", "enhanced", NULL
};

/*
 * Resolves the `cluster` parameter of a request (absent means "default",
 * name or ARN) into name, and checks that the cluster exists and is ACTIVE
 * in the caller's partition. Otherwise records ClusterNotFoundException and
 * returns -1.
 */
int
clusters_require_active(struct req *r, const char *name_or_arn, char *name,
    size_t size)
{
	if (cluster_name_of(r, name_or_arn, name, size) != 0)
		return -1;
	if (store_cluster_active(r->store, &r->part, name) != STORE_OK)
		return api_fail(r, ECS_ERR_CLUSTER_NOT_FOUND, "Cluster not found.");
	return 0;
}

/* The cluster doc of an ACTIVE cluster named by the request's `cluster`. */
static json_t *
active_doc(struct req *r, char *name, size_t size)
{
	json_t *doc = NULL;

	if (clusters_require_active(r, in_str(r, "cluster"), name, size) != 0)
		return NULL;
	if (store_cluster_get(r->store, &r->part, name, &doc) != STORE_OK) {
		api_fail(r, ECS_ERR_CLUSTER_NOT_FOUND, "Cluster not found.");
		return NULL;
	}
	return doc;
}

static void
add_stat(json_t *list, const char *name, int value)
{
	char buf[16];

	snprintf(buf, sizeof buf, "%d", value);
	json_array_append_new(list, json_pack("{s:s, s:s}", "name", name,
	    "value", buf));
}

/*
 * The Cluster shape for doc with the members `show` asks for. ECS always
 * sends the counts, `statistics` and `tags` (empty unless asked for), the
 * capacity providers and the default strategy.
 */
static json_t *
cluster_view(struct req *r, json_t *doc, unsigned show)
{
	const char *name = json_string_value(json_object_get(doc, "clusterName"));
	const char *arn = json_string_value(json_object_get(doc, "clusterArn"));
	struct cluster_counts c;
	json_t *out, *v, *stats = json_array();

	if (store_cluster_counts(r->store, &r->part, name, &c) != STORE_OK)
		memset(&c, 0, sizeof c);
	out = json_pack("{s:s, s:s, s:O, s:i, s:i, s:i, s:i}",
	    "clusterArn", arn, "clusterName", name,
	    "status", json_object_get(doc, "status"),
	    "registeredContainerInstancesCount", c.instances,
	    "runningTasksCount", c.running, "pendingTasksCount", c.pending,
	    "activeServicesCount", c.services);
	if (show & SHOW_STATISTICS) {
		add_stat(stats, "runningFargateTasksCount", c.running_fargate);
		add_stat(stats, "runningEC2TasksCount", c.running_ec2);
		add_stat(stats, "pendingFargateTasksCount", c.pending_fargate);
		add_stat(stats, "pendingEC2TasksCount", c.pending_ec2);
		add_stat(stats, "activeFargateServiceCount", c.active_fargate);
		add_stat(stats, "activeEC2ServiceCount", c.active_ec2);
		add_stat(stats, "drainingFargateServiceCount", c.draining_fargate);
		add_stat(stats, "drainingEC2ServiceCount", c.draining_ec2);
	}
	json_object_set_new(out, "statistics", stats);
	json_object_set_new(out, "tags", (show & SHOW_TAGS) ?
	    store_tags_get(r->store, arn) : json_array());
	v = json_object_get(doc, "settings");
	if ((show & SHOW_SETTINGS) && v != NULL)
		json_object_set(out, "settings", v);
	v = json_object_get(doc, "configuration");
	if ((show & SHOW_CONFIGURATIONS) && v != NULL)
		json_object_set(out, "configuration", v);
	v = json_object_get(doc, "capacityProviders");
	json_object_set_new(out, "capacityProviders", v != NULL ?
	    json_incref(v) : json_array());
	v = json_object_get(doc, "defaultCapacityProviderStrategy");
	json_object_set_new(out, "defaultCapacityProviderStrategy", v != NULL ?
	    json_incref(v) : json_array());
	if (show & SHOW_ATTACHMENTS)
		json_object_set_new(out, "attachments", json_array());
	v = json_object_get(doc, "serviceConnectDefaults");
	if (v != NULL)
		json_object_set(out, "serviceConnectDefaults", v);
	return out;
}

/* "name": number, for the text answer. */
static void
text_int(struct jbuf *b, const char *name, int value)
{
	char num[16];

	snprintf(num, sizeof num, "%d", value);
	jbuf_key(b, name);
	jbuf_puts(b, num);
}

/* "name": the member's stored text, or dflt ("[]") or nothing when absent. */
static void
text_member(struct jbuf *b, const char *name, const struct jmember *m,
    const char *dflt)
{
	if (m->val == NULL && dflt == NULL)
		return;
	jbuf_key(b, name);
	if (m->val != NULL)
		jbuf_add(b, m->val, m->vlen);
	else
		jbuf_puts(b, dflt);
}

/*
 * cluster_view for DescribeClusters, appended to b from the stored text:
 * the same members in the same order, the document's own values copied as
 * they are, never parsed.
 */
static void
cluster_view_text(struct req *r, const struct store_text *t,
    const char *status, unsigned show, struct jbuf *b)
{
	enum { NAME, ARN, SETTINGS, CONFIGURATION, PROVIDERS, STRATEGY,
	    CONNECT, NKEYS };
	static const char *const keys[NKEYS] = { "clusterName", "clusterArn",
	    "settings", "configuration", "capacityProviders",
	    "defaultCapacityProviderStrategy", "serviceConnectDefaults" };
	struct jmember got[NKEYS], m;
	struct cluster_counts c;
	struct jscan sc;
	char *name = NULL;
	json_t *v;

	memset(got, 0, sizeof got);
	if (jtext_open(&sc, t->doc, t->len) == 0) {
		while (jtext_next(&sc, &m) == 1)
			for (int k = 0; k < NKEYS; k++)
				if (jtext_key_is(&m, keys[k]))
					got[k] = m;
	}
	if (got[NAME].val != NULL) {
		v = json_loadb(got[NAME].val, got[NAME].vlen, JSON_DECODE_ANY, NULL);
		if (json_is_string(v))
			name = xstrdup(json_string_value(v));
		json_decref(v);
	}
	if (name == NULL || store_cluster_counts(r->store, &r->part, name, &c) !=
	    STORE_OK)
		memset(&c, 0, sizeof c);
	jbuf_sep(b);
	jbuf_puts(b, "{");
	text_member(b, "clusterArn", &got[ARN], "null");
	text_member(b, "clusterName", &got[NAME], "null");
	jbuf_key(b, "status");
	jbuf_str(b, status);
	text_int(b, "registeredContainerInstancesCount", c.instances);
	text_int(b, "runningTasksCount", c.running);
	text_int(b, "pendingTasksCount", c.pending);
	text_int(b, "activeServicesCount", c.services);
	v = json_array();
	if (show & SHOW_STATISTICS) {
		add_stat(v, "runningFargateTasksCount", c.running_fargate);
		add_stat(v, "runningEC2TasksCount", c.running_ec2);
		add_stat(v, "pendingFargateTasksCount", c.pending_fargate);
		add_stat(v, "pendingEC2TasksCount", c.pending_ec2);
		add_stat(v, "activeFargateServiceCount", c.active_fargate);
		add_stat(v, "activeEC2ServiceCount", c.active_ec2);
		add_stat(v, "drainingFargateServiceCount", c.draining_fargate);
		add_stat(v, "drainingEC2ServiceCount", c.draining_ec2);
	}
	jbuf_key(b, "statistics");
	jbuf_json(b, v);
	json_decref(v);
	jbuf_key(b, "tags");
	if (show & SHOW_TAGS) {
		v = store_tags_get(r->store, t->arn);
		jbuf_json(b, v);
		json_decref(v);
	} else {
		jbuf_puts(b, "[]");
	}
	if (show & SHOW_SETTINGS)
		text_member(b, "settings", &got[SETTINGS], NULL);
	if (show & SHOW_CONFIGURATIONS)
		text_member(b, "configuration", &got[CONFIGURATION], NULL);
	text_member(b, "capacityProviders", &got[PROVIDERS], "[]");
	text_member(b, "defaultCapacityProviderStrategy", &got[STRATEGY], "[]");
	if (show & SHOW_ATTACHMENTS) {
		jbuf_key(b, "attachments");
		jbuf_puts(b, "[]");
	}
	text_member(b, "serviceConnectDefaults", &got[CONNECT], NULL);
	jbuf_puts(b, "}");
	free(name);
}

/* Answers {"cluster": <view>} and frees doc. */
static int
answer(struct req *r, json_t *doc, unsigned show)
{
	json_object_set_new(r->out, "cluster", cluster_view(r, doc, show));
	json_decref(doc);
	return 0;
}

/* The containerInsights value a new cluster gets when none is given. */
static json_t *
default_settings(struct req *r)
{
	char value[32];

	if (account_setting_effective(r, "containerInsights", value,
	    sizeof value) != 0)
		snprintf(value, sizeof value, "disabled");
	return json_pack("[{s:s, s:s}]", "name", "containerInsights",
	    "value", value);
}

/*
 * Merges the `settings` list of a request into current (a list, changed in
 * place): each named setting replaces the one of the same name.
 */
static int
merge_settings(struct req *r, json_t *given, json_t *current)
{
	json_t *s, *c;
	size_t i, j;

	json_array_foreach(given, i, s) {
		const char *name = json_string_value(json_object_get(s, "name"));
		const char *value = json_string_value(json_object_get(s, "value"));
		int ok = 0, found = 0;

		if (name == NULL)
			return api_fail(r, ECS_ERR_INVALID_PARAMETER,
			    "A cluster setting needs a name.");
		for (int k = 0; value != NULL && insights_values[k] != NULL; k++)
			if (strcmp(value, insights_values[k]) == 0)
				ok = 1;
		if (!ok)
			return api_fail(r, ECS_ERR_INVALID_PARAMETER,
			    "The value of cluster setting '%s' must be enabled, "
			    "disabled or enhanced.", name);
		json_array_foreach(current, j, c) {
			if (strcmp(json_string_value(json_object_get(c, "name")),
			    name) == 0) {
				json_object_set_new(c, "value", json_string(value));
				found = 1;
			}
		}
		if (!found)
			json_array_append_new(current, json_pack("{s:s, s:s}",
			    "name", name, "value", value));
	}
	return 0;
}

/* The rules of executeCommandConfiguration's logging. */
static int
check_configuration(struct req *r, json_t *conf)
{
	json_t *exec = json_object_get(conf, "executeCommandConfiguration");
	const char *logging = json_string_value(json_object_get(exec, "logging"));
	json_t *logconf = json_object_get(exec, "logConfiguration");

	if (exec == NULL)
		return 0;
	if (logging != NULL && strcmp(logging, "OVERRIDE") == 0 &&
	    logconf == NULL)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "When logging is "
		    "OVERRIDE, executeCommandConfiguration needs a "
		    "logConfiguration.");
	if (logconf != NULL && (logging == NULL ||
	    strcmp(logging, "OVERRIDE") != 0))
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "A logConfiguration "
		    "can only be given when logging is OVERRIDE.");
	return 0;
}

/*
 * Merges a request's `configuration` into the doc: each part given
 * (executeCommandConfiguration, managedStorageConfiguration) replaces the
 * stored one; an empty configuration stores nothing.
 */
static int
merge_configuration(struct req *r, json_t *given, json_t *doc)
{
	json_t *conf = json_object_get(doc, "configuration");
	const char *key;
	json_t *v;

	if (given == NULL)
		return 0;
	if (check_configuration(r, given) != 0)
		return -1;
	conf = conf != NULL ? json_deep_copy(conf) : json_object();
	json_object_foreach(given, key, v) {
		if (!json_is_null(v))
			json_object_set(conf, key, v);
	}
	if (json_object_size(conf) > 0)
		json_object_set_new(doc, "configuration", conf);
	else
		json_decref(conf);
	return 0;
}

/*
 * Service Connect defaults: a Cloud Map namespace ARN (of this account and
 * region) is kept; a name stands for the HTTP namespace ECS would create,
 * given a stable id derived from the name. An empty name removes the
 * defaults.
 */
static int
set_namespace(struct req *r, json_t *given, json_t *doc)
{
	const char *ns = json_string_value(json_object_get(given, "namespace"));
	char prefix[128], *arn = NULL;
	unsigned long long h = 1469598103934665603ULL;
	char id[20];

	if (given == NULL)
		return 0;
	if (ns == NULL || *ns == '\0') {
		json_object_del(doc, "serviceConnectDefaults");
		return 0;
	}
	snprintf(prefix, sizeof prefix, "arn:aws:servicediscovery:%s:%s:"
	    "namespace/", r->part.region, r->part.account);
	if (strncmp(ns, "arn:", 4) == 0) {
		if (strncmp(ns, prefix, strlen(prefix)) != 0 ||
		    strlen(ns) == strlen(prefix))
			return api_fail(r, ECS_ERR_NAMESPACE_NOT_FOUND,
			    "Namespace not found: %s is not a Cloud Map namespace "
			    "of this account and region.", ns);
		arn = xstrdup(ns);
	} else {
		if (strlen(ns) > 1024 || strpbrk(ns, "<>\"/") != NULL)
			return api_fail(r, ECS_ERR_INVALID_PARAMETER,
			    "A namespace name has up to 1024 characters and no "
			    "<, >, \" or /.");
		for (const char *p = ns; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
		for (int i = 0; i < 16; i++)
			id[i] = "abcdefghijklmnopqrstuvwxyz234567"[(h >> (i * 4)) &
			    31];
		id[16] = '\0';
		xasprintf(&arn, "%sns-%s", prefix, id);
	}
	json_object_set_new(doc, "serviceConnectDefaults",
	    json_pack("{s:s}", "namespace", arn));
	free(arn);
	return 0;
}

static int
is_fargate(const char *name)
{
	return strcmp(name, "FARGATE") == 0 || strcmp(name, "FARGATE_SPOT") == 0;
}

static int
in_list(json_t *list, const char *name)
{
	json_t *e;
	size_t i;

	json_array_foreach(list, i, e)
		if (json_is_string(e) && strcmp(json_string_value(e), name) == 0)
			return 1;
	return 0;
}

/*
 * Checks the capacity providers a cluster is to have (providers, names) and
 * the default strategy, and returns the normalised strategy (weight and
 * base filled in) or NULL with the exception recorded. Every provider must
 * be FARGATE, FARGATE_SPOT, or an ACTIVE provider of the partition not
 * associated with another cluster (a Managed Instances one only in its own
 * cluster).
 */
static json_t *
check_providers(struct req *r, const char *cluster, json_t *providers,
    json_t *strategy)
{
	json_t *e, *norm = json_array();
	size_t i, j;
	int with_base = 0, fargate = 0, other = 0;

	json_array_foreach(providers, i, e) {
		const char *name = json_string_value(e);
		json_t *cp;
		const char *own;
		char other_cluster[256];

		for (j = 0; j < i; j++)
			if (strcmp(json_string_value(json_array_get(providers, j)),
			    name) == 0)
				goto dup;
		if (is_fargate(name))
			continue;
		if (store_cp_get(r->store, &r->part, name, &cp) != STORE_OK) {
			api_fail(r, ECS_ERR_INVALID_PARAMETER, "The specified "
			    "capacity provider '%s' does not exist. Specify a valid "
			    "name or ARN and try again.", name);
			goto fail;
		}
		if (strcmp(json_string_value(json_object_get(cp, "status")),
		    "ACTIVE") != 0) {
			json_decref(cp);
			api_fail(r, ECS_ERR_INVALID_PARAMETER, "The specified "
			    "capacity provider '%s' is not in an ACTIVE state. "
			    "Specify a valid capacity provider and try again.", name);
			goto fail;
		}
		own = json_string_value(json_object_get(cp, "cluster"));
		if (own != NULL && strcmp(own, cluster) != 0) {
			api_fail(r, ECS_ERR_INVALID_PARAMETER, "The capacity provider "
			    "'%s' belongs to cluster '%s': a Managed Instances "
			    "capacity provider can only be used in its own cluster.",
			    name, own);
			json_decref(cp);
			goto fail;
		}
		json_decref(cp);
		if (own == NULL && store_cluster_with_provider(r->store, &r->part,
		    name, cluster, other_cluster, sizeof other_cluster) ==
		    STORE_OK) {
			api_fail(r, ECS_ERR_INVALID_PARAMETER, "The capacity provider "
			    "'%s' is already associated with cluster '%s'. A capacity "
			    "provider that uses an Auto Scaling group can be "
			    "associated with one cluster only.", name, other_cluster);
			goto fail;
		}
	}
	json_array_foreach(strategy, i, e) {
		const char *name = json_string_value(json_object_get(e,
		    "capacityProvider"));
		json_t *w = json_object_get(e, "weight"), *b = json_object_get(e,
		    "base");
		json_int_t base = json_is_integer(b) ? json_integer_value(b) : 0;

		if (!in_list(providers, name)) {
			api_fail(r, ECS_ERR_INVALID_PARAMETER, "The specified capacity "
			    "provider strategy cannot contain a capacity provider that "
			    "is not associated with the cluster. Associate the "
			    "capacity provider with the cluster or specify a valid "
			    "capacity provider and try again.");
			goto fail;
		}
		for (j = 0; j < i; j++)
			if (strcmp(json_string_value(json_object_get(
			    json_array_get(strategy, j), "capacityProvider")),
			    name) == 0) {
				api_fail(r, ECS_ERR_INVALID_PARAMETER, "The capacity "
				    "provider '%s' appears more than once in the "
				    "capacity provider strategy.", name);
				goto fail;
			}
		if (base > 0 && with_base++ > 0) {
			api_fail(r, ECS_ERR_INVALID_PARAMETER, "Only one capacity "
			    "provider in a capacity provider strategy can have a base "
			    "defined.");
			goto fail;
		}
		if (is_fargate(name))
			fargate = 1;
		else
			other = 1;
		json_array_append_new(norm, json_pack("{s:s, s:I, s:I}",
		    "capacityProvider", name, "weight", json_is_integer(w) ?
		    json_integer_value(w) : (json_int_t)0, "base", base));
	}
	if (fargate && other) {
		api_fail(r, ECS_ERR_INVALID_PARAMETER, "The specified capacity "
		    "provider strategy cannot contain a mix of capacity providers "
		    "using Auto Scaling groups and Fargate providers. Specify one "
		    "or the other and try again.");
		goto fail;
	}
	return norm;
dup:
	api_fail(r, ECS_ERR_INVALID_PARAMETER, "The capacity provider '%s' is "
	    "listed more than once.", json_string_value(e));
fail:
	json_decref(norm);
	return NULL;
}

/*
 * The doc a CreateCluster request describes, for the cluster `name` with
 * ARN `arn`; NULL with the exception recorded.
 */
static json_t *
doc_from_request(struct req *r, const char *name, const char *arn)
{
	json_t *doc, *settings = default_settings(r), *strategy;
	json_t *providers = in_get(r, "capacityProviders");

	doc = json_pack("{s:s, s:s, s:s}", "clusterArn", arn, "clusterName",
	    name, "status", "ACTIVE");
	if (merge_settings(r, in_get(r, "settings"), settings) != 0 ||
	    merge_configuration(r, in_get(r, "configuration"), doc) != 0 ||
	    set_namespace(r, in_get(r, "serviceConnectDefaults"), doc) != 0) {
		json_decref(settings);
		json_decref(doc);
		return NULL;
	}
	json_object_set_new(doc, "settings", settings);
	strategy = check_providers(r, name, providers,
	    in_get(r, "defaultCapacityProviderStrategy"));
	if (strategy == NULL) {
		json_decref(doc);
		return NULL;
	}
	json_object_set_new(doc, "capacityProviders", providers != NULL ?
	    json_deep_copy(providers) : json_array());
	json_object_set_new(doc, "defaultCapacityProviderStrategy", strategy);
	return doc;
}

/* Whether two tag lists hold the same keys and values, in any order. */
static int
same_tags(json_t *a, json_t *b)
{
	json_t *t, *u;
	size_t i, j;

	if (json_array_size(a) != json_array_size(b))
		return 0;
	json_array_foreach(a, i, t) {
		int found = 0;

		json_array_foreach(b, j, u)
			if (json_equal(json_object_get(t, "key"),
			    json_object_get(u, "key"))) {
				const char *v1 = json_string_value(json_object_get(t,
				    "value"));
				const char *v2 = json_string_value(json_object_get(u,
				    "value"));

				found = strcmp(v1 ? v1 : "", v2 ? v2 : "") == 0;
			}
		if (!found)
			return 0;
	}
	return 1;
}

/*
 * CreateCluster on an ACTIVE cluster is idempotent: every member the
 * request gives must match what the cluster has.
 */
static int
same_as_existing(struct req *r, json_t *want, json_t *have)
{
	static const struct {
		const char *in;       /* request member */
		const char *doc;      /* doc member it becomes */
	} members[] = {
		{ "settings", "settings" },
		{ "configuration", "configuration" },
		{ "serviceConnectDefaults", "serviceConnectDefaults" },
		{ "capacityProviders", "capacityProviders" },
		{ "defaultCapacityProviderStrategy",
		  "defaultCapacityProviderStrategy" },
	};
	json_t *tags;
	int same;

	for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
		json_t *a = json_object_get(want, members[i].doc);
		json_t *b = json_object_get(have, members[i].doc);

		if (in_get(r, members[i].in) == NULL)
			continue;
		if (!(a == NULL && b == NULL) && !json_equal(a, b))
			return 0;
	}
	if (in_get(r, "tags") == NULL)
		return 1;
	tags = store_tags_get(r->store, json_string_value(json_object_get(have,
	    "clusterArn")));
	same = same_tags(in_get(r, "tags"), tags);
	json_decref(tags);
	return same;
}

int
op_create_cluster(struct req *r)
{
	const char *name = in_str(r, "clusterName");
	json_t *tags = in_get(r, "tags"), *want, *have = NULL;
	char *arn;
	int rc = -1;

	if (name == NULL || *name == '\0')
		name = "default";
	if (!name_valid(name, 255))
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Invalid cluster "
		    "name '%.300s': up to 255 letters (uppercase and lowercase), "
		    "numbers, underscores, and hyphens are allowed.", name);
	if (tags_validate(r, tags, NULL) != 0)
		return -1;
	arn = arn_make(&r->part, "cluster", name);
	want = doc_from_request(r, name, arn);
	if (want == NULL)
		goto out;
	if (store_cluster_get(r->store, &r->part, name, &have) == STORE_OK &&
	    strcmp(json_string_value(json_object_get(have, "status")),
	    "ACTIVE") == 0) {
		if (!same_as_existing(r, want, have)) {
			api_fail(r, ECS_ERR_INVALID_PARAMETER, "Arguments on this "
			    "idempotent request are inconsistent with arguments used "
			    "in previous request(s).");
			goto out;
		}
		rc = answer(r, have, SHOW_WRITE);
		have = NULL;
		goto out;
	}
	/*
	 * New, or an INACTIVE one coming back under its old ARN. The local
	 * Docker engine is every cluster's container instance.
	 */
	if (store_cluster_put(r->store, &r->part, name, want, r->now) !=
	    STORE_OK || store_tags_clear(r->store, arn) != STORE_OK ||
	    store_tags_set(r->store, arn, tags) != STORE_OK) {
		api_fail(r, ECS_ERR_SERVER, "The store could not save cluster "
		    "%s.", name);
		goto out;
	}
	if (instances_ensure_local(r, name) != 0)
		goto out;
	rc = answer(r, want, SHOW_WRITE);
	want = NULL;
out:
	json_decref(want);
	json_decref(have);
	free(arn);
	return rc;
}

/* The SHOW_ bits a DescribeClusters `include` asks for. */
static unsigned
show_of(struct req *r)
{
	static const struct {
		const char *word;
		unsigned bit;
	} words[] = {
		{ "ATTACHMENTS", SHOW_ATTACHMENTS },
		{ "CONFIGURATIONS", SHOW_CONFIGURATIONS },
		{ "SETTINGS", SHOW_SETTINGS },
		{ "STATISTICS", SHOW_STATISTICS },
		{ "TAGS", SHOW_TAGS },
	};
	unsigned show = 0;

	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (in_has(r, "include", words[i].word))
			show |= words[i].bit;
	return show;
}

/*
 * One name or ARN of DescribeClusters into clusters or failures. An ARN of
 * another region or account, or of something else, is MISSING as given.
 */
static void
describe_one(struct req *r, const char *id, unsigned show, struct jbuf *b,
    json_t *failures)
{
	struct arn a;
	const char *name = id;
	struct store_text t;
	char status[32], *arn;

	if (strncmp(id, "arn:", 4) == 0) {
		if (arn_parse(id, &a) != 0 || a.kind != ARN_CLUSTER ||
		    strcmp(a.region, r->part.region) != 0 ||
		    strcmp(a.account, r->part.account) != 0) {
			json_array_append_new(failures, json_pack("{s:s, s:s}",
			    "arn", id, "reason", "MISSING"));
			return;
		}
		name = a.name;
	}
	if (store_cluster_text(r->store, &r->part, name, &t, status,
	    sizeof status) == STORE_OK) {
		cluster_view_text(r, &t, status, show, b);
		store_text_free(&t);
		return;
	}
	arn = arn_make(&r->part, "cluster", name);
	json_array_append_new(failures, json_pack("{s:s, s:s}", "arn", arn,
	    "reason", "MISSING"));
	free(arn);
}

int
op_describe_clusters(struct req *r)
{
	json_t *ids = in_get(r, "clusters"), *e, *failures;
	unsigned show = show_of(r);
	struct jbuf *b;
	size_t i;

	if (json_array_size(ids) > MAX_DESCRIBE)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "At most %d clusters "
		    "can be described at once.", MAX_DESCRIBE);
	/* Built as text: each cluster's stored members are spliced in. */
	b = api_text(r);
	failures = json_array();
	jbuf_puts(b, "{\"clusters\":[");
	if (json_array_size(ids) == 0)
		describe_one(r, "default", show, b, failures);
	json_array_foreach(ids, i, e)
		describe_one(r, json_string_value(e), show, b, failures);
	jbuf_puts(b, "],\"failures\":");
	jbuf_json(b, failures);
	jbuf_puts(b, "}");
	json_decref(failures);
	return 0;
}

int
op_list_clusters(struct req *r)
{
	json_t *arns = json_array();
	char *after = NULL, *token;
	int max, n;

	json_object_set_new(r->out, "clusterArns", arns);
	if (in_max_results(r, 100, 100, &max) != 0 ||
	    page_token_read(r, in_str(r, "nextToken"), &after) != 0)
		return -1;
	n = store_cluster_list(r->store, &r->part, after, max + 1, arns);
	free(after);
	if (n < 0)
		return api_fail(r, ECS_ERR_SERVER, "The store could not list "
		    "clusters.");
	if (n > max) {
		json_array_remove(arns, (size_t)max);
		token = page_token_make(json_string_value(json_array_get(arns,
		    (size_t)max - 1)));
		json_object_set_new(r->out, "nextToken", json_string(token));
		free(token);
	}
	return 0;
}

/* Saves doc as cluster `name` and answers with it. */
static int
save_and_answer(struct req *r, const char *name, json_t *doc)
{
	if (store_cluster_put(r->store, &r->part, name, doc, r->now) !=
	    STORE_OK) {
		json_decref(doc);
		return api_fail(r, ECS_ERR_SERVER, "The store could not save "
		    "cluster %s.", name);
	}
	return answer(r, doc, SHOW_WRITE);
}

/* settings of a request merged into the doc's own. */
static int
update_settings(struct req *r, json_t *doc)
{
	json_t *settings = json_object_get(doc, "settings");

	if (in_get(r, "settings") == NULL)
		return 0;
	if (settings == NULL) {
		settings = default_settings(r);
		json_object_set_new(doc, "settings", settings);
	}
	return merge_settings(r, in_get(r, "settings"), settings);
}

int
op_update_cluster(struct req *r)
{
	char name[256];
	json_t *doc = active_doc(r, name, sizeof name);

	if (doc == NULL)
		return -1;
	if (update_settings(r, doc) != 0 ||
	    merge_configuration(r, in_get(r, "configuration"), doc) != 0 ||
	    set_namespace(r, in_get(r, "serviceConnectDefaults"), doc) != 0) {
		json_decref(doc);
		return -1;
	}
	return save_and_answer(r, name, doc);
}

int
op_update_cluster_settings(struct req *r)
{
	char name[256];
	json_t *doc = active_doc(r, name, sizeof name);

	if (doc == NULL)
		return -1;
	if (update_settings(r, doc) != 0) {
		json_decref(doc);
		return -1;
	}
	return save_and_answer(r, name, doc);
}

/*
 * Replaces the cluster's capacity providers and default strategy. Its own
 * Managed Instances providers stay whatever the list says (ECS does not let
 * PutClusterCapacityProviders move them); a provider leaving the cluster
 * must not be in use by a service or a task there.
 */
int
op_put_cluster_capacity_providers(struct req *r)
{
	char name[256];
	json_t *doc = active_doc(r, name, sizeof name), *list, *own, *strategy;
	json_t *e;
	size_t i;

	if (doc == NULL)
		return -1;
	list = json_deep_copy(in_get(r, "capacityProviders"));
	own = json_array();
	if (store_cp_list(r->store, &r->part, name, NULL, 1000, own) < 0) {
		api_fail(r, ECS_ERR_SERVER, "The store could not list capacity "
		    "providers.");
		goto fail;
	}
	json_array_foreach(own, i, e) {
		const char *cp = json_string_value(json_object_get(e, "name"));

		if (!in_list(list, cp))
			json_array_append_new(list, json_string(cp));
	}
	strategy = check_providers(r, name, list,
	    in_get(r, "defaultCapacityProviderStrategy"));
	if (strategy == NULL)
		goto fail;
	json_array_foreach(json_object_get(doc, "capacityProviders"), i, e) {
		const char *cp = json_string_value(e);

		if (in_list(list, cp))
			continue;
		if (store_cluster_provider_in_use(r->store, &r->part, name, cp) ==
		    STORE_OK) {
			json_decref(strategy);
			api_fail(r, ECS_ERR_RESOURCE_IN_USE, "The specified capacity "
			    "provider is in use and cannot be removed.");
			goto fail;
		}
	}
	json_object_set_new(doc, "capacityProviders", list);
	json_object_set_new(doc, "defaultCapacityProviderStrategy", strategy);
	json_decref(own);
	return save_and_answer(r, name, doc);
fail:
	json_decref(list);
	json_decref(own);
	json_decref(doc);
	return -1;
}

/*
 * Refuses while services, tasks, container instances (other than the local
 * engine's, released here when no task holds it) or the cluster's own
 * Managed Instances capacity providers are still there; otherwise the
 * cluster turns INACTIVE, lets go of its capacity providers, and keeps its
 * ARN and tags for a later CreateCluster of the same name.
 */
int
op_delete_cluster(struct req *r)
{
	char name[256];
	json_t *doc = active_doc(r, name, sizeof name), *own;
	struct cluster_counts c;
	int n;

	if (doc == NULL)
		return -1;
	/* The local engine's instance ecsd registered by itself goes first. */
	if (instances_release_local(r, name) != 0) {
		json_decref(doc);
		return -1;
	}
	if (store_cluster_counts(r->store, &r->part, name, &c) != STORE_OK) {
		json_decref(doc);
		return api_fail(r, ECS_ERR_SERVER, "The store could not count the "
		    "cluster's resources.");
	}
	if (c.live_services > 0 || c.live_tasks > 0 || c.instances > 0) {
		json_decref(doc);
		if (c.live_services > 0)
			return api_fail(r, ECS_ERR_CLUSTER_HAS_SERVICES, "The Cluster "
			    "cannot be deleted while Services are active.");
		if (c.live_tasks > 0)
			return api_fail(r, ECS_ERR_CLUSTER_HAS_TASKS, "The Cluster "
			    "cannot be deleted while Tasks are active.");
		return api_fail(r, ECS_ERR_CLUSTER_HAS_INSTANCES, "The Cluster "
		    "cannot be deleted while Container Instances are active or "
		    "draining.");
	}
	own = json_array();
	n = store_cp_list(r->store, &r->part, name, NULL, 1, own);
	json_decref(own);
	if (n != 0) {
		json_decref(doc);
		return api_fail(r, n < 0 ? ECS_ERR_SERVER : ECS_ERR_CLIENT, "The "
		    "Cluster cannot be deleted while Cluster Scoped Capacity "
		    "Providers are attached to the cluster.");
	}
	json_object_set_new(doc, "status", json_string("INACTIVE"));
	json_object_set_new(doc, "capacityProviders", json_array());
	json_object_set_new(doc, "defaultCapacityProviderStrategy", json_array());
	return save_and_answer(r, name, doc);
}
