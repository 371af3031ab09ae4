/*
 * capacity_providers.c - CreateCapacityProvider, DescribeCapacityProviders,
 * UpdateCapacityProvider and DeleteCapacityProvider.
 *
 * FARGATE and FARGATE_SPOT exist in every partition without being created
 * and are never stored. Other providers are stored with the CapacityProvider
 * shape as their document: an Auto Scaling group provider belongs to the
 * account and region and may be associated with one cluster; a Managed
 * Instances provider is created inside one cluster and lives there.
 *
 *   CreateCapacityProvider ──> ACTIVE ──DeleteCapacityProvider──> INACTIVE
 *                                 │  (associated with a cluster:
 *                                 └── stays ACTIVE, updateStatus DELETE_FAILED)
 *
 * ECS answers Update and Delete while its work is still in progress
 * (UPDATE_IN_PROGRESS, DELETE_IN_PROGRESS); ecsd has nothing to wait for,
 * so it answers the same and stores the finished state (UPDATE_COMPLETE,
 * INACTIVE with DELETE_COMPLETE) that the next describe shows.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"

#define MAX_DESCRIBE 100
#define PAGE_MAX 10

static const char *const builtins[] = { "FARGATE", "FARGATE_SPOT", NULL };

int
capacity_provider_builtin(const char *name)
{
	for (int i = 0; builtins[i] != NULL; i++)
		if (strcmp(name, builtins[i]) == 0)
			return 1;
	return 0;
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

static json_t *
builtin_doc(struct req *r, const char *name)
{
	char *arn = arn_make(&r->part, "capacity-provider", name);
	json_t *doc = json_pack("{s:s, s:s, s:s, s:s}", "capacityProviderArn",
	    arn, "name", name, "status", "ACTIVE", "type", name);

	free(arn);
	return doc;
}

/*
 * The short name behind a capacity provider name or ARN of the caller's
 * partition into out; -1 when the ARN is not one of ours.
 */
static int
cp_name_of(struct req *r, const char *id, char *out, size_t size)
{
	char *prefix = arn_make(&r->part, "capacity-provider", "");
	const char *name = id;
	int ours = strncmp(id, prefix, strlen(prefix)) == 0;

	if (ours)
		name = id + strlen(prefix);
	free(prefix);
	if ((!ours && strncmp(id, "arn:", 4) == 0) || *name == '\0' ||
	    strchr(name, '/') != NULL || strlen(name) >= size)
		return -1;
	memcpy(out, name, strlen(name) + 1);
	return 0;
}

/* The CapacityProvider shape of doc; tags only when asked for. */
static json_t *
cp_view(struct req *r, json_t *doc, int with_tags)
{
	json_t *out = json_deep_copy(doc);
	const char *arn = json_string_value(json_object_get(doc,
	    "capacityProviderArn"));

	json_object_set_new(out, "tags", with_tags ? store_tags_get(r->store,
	    arn) : json_array());
	return out;
}

static int
answer(struct req *r, json_t *doc)
{
	json_object_set_new(r->out, "capacityProvider", cp_view(r, doc, 1));
	return 0;
}

/* ECS's rule for names it lets users create. */
static int
check_name(struct req *r, const char *name)
{
	static const char *const reserved[] = { "aws", "ecs", "fargate", NULL };

	if (!name_valid(name, 255))
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Invalid capacity "
		    "provider name '%.300s': up to 255 letters (uppercase and "
		    "lowercase), numbers, underscores, and hyphens are allowed.",
		    name);
	for (int i = 0; reserved[i] != NULL; i++)
		if (strncasecmp(name, reserved[i], strlen(reserved[i])) == 0)
			return api_fail(r, ECS_ERR_INVALID_PARAMETER, "The capacity "
			    "provider name can't be prefixed with \"aws\", \"ecs\", or "
			    "\"fargate\".");
	return 0;
}

static void
default_int(json_t *obj, const char *key, json_int_t v)
{
	if (!json_is_integer(json_object_get(obj, key)))
		json_object_set_new(obj, key, json_integer(v));
}

static void
default_str(json_t *obj, const char *key, const char *v)
{
	if (!json_is_string(json_object_get(obj, key)))
		json_object_set_new(obj, key, json_string(v));
}

/*
 * Fills what ECS fills in an Auto Scaling group provider (managed scaling
 * with its documented defaults, termination protection off, managed
 * draining on) and checks the step sizes.
 */
static int
normalise_asg(struct req *r, json_t *asg)
{
	json_t *ms = json_object_get(asg, "managedScaling");

	if (!json_is_object(ms)) {
		ms = json_object();
		json_object_set_new(asg, "managedScaling", ms);
	}
	default_str(ms, "status", "DISABLED");
	default_int(ms, "targetCapacity", 100);
	default_int(ms, "minimumScalingStepSize", 1);
	default_int(ms, "maximumScalingStepSize", 10000);
	default_int(ms, "instanceWarmupPeriod", 300);
	default_str(asg, "managedTerminationProtection", "DISABLED");
	default_str(asg, "managedDraining", "ENABLED");
	if (json_integer_value(json_object_get(ms, "minimumScalingStepSize")) >
	    json_integer_value(json_object_get(ms, "maximumScalingStepSize")))
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "The managed scaling "
		    "minimumScalingStepSize must not be greater than "
		    "maximumScalingStepSize.");
	return 0;
}

/* Adds (or removes) provider `cp` to (from) cluster `cluster`'s lists. */
static int
cluster_attach(struct req *r, const char *cluster, const char *cp, int add)
{
	json_t *doc, *list, *strategy, *e;
	size_t i;
	int rc;

	if (store_cluster_get(r->store, &r->part, cluster, &doc) != STORE_OK)
		return STORE_OK;
	list = json_object_get(doc, "capacityProviders");
	if (!json_is_array(list)) {
		list = json_array();
		json_object_set_new(doc, "capacityProviders", list);
	}
	strategy = json_object_get(doc, "defaultCapacityProviderStrategy");
	if (add) {
		json_array_append_new(list, json_string(cp));
	} else {
		for (i = json_array_size(list); i-- > 0;)
			if (strcmp(json_string_value(json_array_get(list, i)), cp)
			    == 0)
				json_array_remove(list, i);
		for (i = json_array_size(strategy); i-- > 0;) {
			e = json_array_get(strategy, i);
			if (strcmp(json_string_value(json_object_get(e,
			    "capacityProvider")), cp) == 0)
				json_array_remove(strategy, i);
		}
	}
	rc = store_cluster_put(r->store, &r->part, cluster, doc, r->now);
	json_decref(doc);
	return rc;
}

int
op_create_capacity_provider(struct req *r)
{
	const char *name = in_str(r, "name");
	const char *cluster = in_str(r, "cluster");
	json_t *asg = in_get(r, "autoScalingGroupProvider");
	json_t *mi = in_get(r, "managedInstancesProvider");
	json_t *tags = in_get(r, "tags"), *doc = NULL, *old = NULL;
	char cname[256], *arn = NULL;
	int rc = -1;

	if (check_name(r, name) != 0 || tags_validate(r, tags, NULL) != 0)
		return -1;
	if ((asg == NULL) == (mi == NULL))
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Specify exactly one "
		    "of autoScalingGroupProvider and managedInstancesProvider.");
	if (asg != NULL && cluster != NULL)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "The cluster "
		    "parameter is only for Amazon ECS Managed Instances capacity "
		    "providers; an Auto Scaling group provider is associated with a "
		    "cluster through PutClusterCapacityProviders.");
	if (mi != NULL && cluster == NULL)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "An Amazon ECS "
		    "Managed Instances capacity provider needs the cluster it is "
		    "created in.");
	if (mi != NULL && clusters_require_active(r, cluster, cname,
	    sizeof cname) != 0)
		return -1;
	if (store_cp_get(r->store, &r->part, name, &old) == STORE_OK &&
	    strcmp(json_string_value(json_object_get(old, "status")),
	    "INACTIVE") != 0) {
		json_decref(old);
		return api_fail(r, ECS_ERR_CLIENT, "The specified capacity provider "
		    "already exists. To change the configuration of an existing "
		    "capacity provider, update the capacity provider.");
	}
	json_decref(old);
	arn = arn_make(&r->part, "capacity-provider", name);
	doc = json_pack("{s:s, s:s, s:s}", "capacityProviderArn", arn, "name",
	    name, "status", "ACTIVE");
	if (asg != NULL) {
		asg = json_deep_copy(asg);
		json_object_set_new(doc, "autoScalingGroupProvider", asg);
		json_object_set_new(doc, "type", json_string("EC2_AUTOSCALING"));
		if (normalise_asg(r, asg) != 0)
			goto out;
		if (store_cp_asg_used(r->store, &r->part, json_string_value(
		    json_object_get(asg, "autoScalingGroupArn")), name) ==
		    STORE_OK) {
			api_fail(r, ECS_ERR_CLIENT, "The specified Auto Scaling group "
			    "ARN is already being used by another capacity provider. "
			    "Specify a unique Auto Scaling group ARN and try again.");
			goto out;
		}
	} else {
		json_object_set_new(doc, "cluster", json_string(cname));
		json_object_set(doc, "managedInstancesProvider", mi);
		json_object_set_new(doc, "type", json_string("MANAGED_INSTANCES"));
	}
	if (store_cp_put(r->store, &r->part, name, doc) != STORE_OK ||
	    store_tags_clear(r->store, arn) != STORE_OK ||
	    store_tags_set(r->store, arn, tags) != STORE_OK ||
	    (mi != NULL && cluster_attach(r, cname, name, 1) != STORE_OK)) {
		api_fail(r, ECS_ERR_SERVER, "The store could not save capacity "
		    "provider %s.", name);
		goto out;
	}
	rc = answer(r, doc);
out:
	json_decref(doc);
	free(arn);
	return rc;
}

/*
 * The ACTIVE stored provider a request names (member `key`), checked
 * against the optional `cluster` member (a Managed Instances provider lives
 * in one cluster; others have none). NULL with ClientException otherwise.
 */
static json_t *
named_provider(struct req *r, const char *key, const char *verb)
{
	const char *id = in_str(r, key), *cluster = in_str(r, "cluster");
	const char *own;
	char name[512], cname[256];
	json_t *doc = NULL;

	if (cp_name_of(r, id, name, sizeof name) == 0 &&
	    capacity_provider_builtin(name)) {
		api_fail(r, ECS_ERR_CLIENT, "The %s capacity provider is reserved "
		    "and can't be %s.", name, verb);
		return NULL;
	}
	if (cp_name_of(r, id, name, sizeof name) != 0 ||
	    store_cp_get(r->store, &r->part, name, &doc) != STORE_OK ||
	    strcmp(json_string_value(json_object_get(doc, "status")),
	    "INACTIVE") == 0) {
		json_decref(doc);
		api_fail(r, ECS_ERR_CLIENT, "The specified capacity provider does "
		    "not exist. Specify a valid name or ARN and try again.");
		return NULL;
	}
	if (cluster == NULL)
		return doc;
	if (clusters_require_active(r, cluster, cname, sizeof cname) != 0) {
		json_decref(doc);
		return NULL;
	}
	own = json_string_value(json_object_get(doc, "cluster"));
	if (own == NULL || strcmp(own, cname) != 0) {
		json_decref(doc);
		api_fail(r, ECS_ERR_INVALID_PARAMETER, "The capacity provider %s is "
		    "not a Managed Instances capacity provider of cluster %s.", name,
		    cname);
		return NULL;
	}
	return doc;
}

/* Applies an UpdateManagedInstancesProviderConfiguration to the stored one. */
static void
update_mi(json_t *stored, json_t *given)
{
	const char *key;
	json_t *v, *tmpl = json_object_get(stored, "instanceLaunchTemplate");

	json_object_foreach(given, key, v) {
		if (strcmp(key, "instanceLaunchTemplate") == 0 &&
		    json_is_object(tmpl))
			json_object_update(tmpl, v);
		else
			json_object_set(stored, key, v);
	}
}

int
op_update_capacity_provider(struct req *r)
{
	json_t *doc = named_provider(r, "name", "updated"), *out;
	json_t *asg = in_get(r, "autoScalingGroupProvider");
	json_t *mi = in_get(r, "managedInstancesProvider"), *stored, *ms;
	const char *key;
	json_t *v;

	if (doc == NULL)
		return -1;
	if ((asg != NULL && json_object_get(doc, "autoScalingGroupProvider") ==
	    NULL) || (mi != NULL && json_object_get(doc,
	    "managedInstancesProvider") == NULL)) {
		api_fail(r, ECS_ERR_INVALID_PARAMETER, "The update does not match "
		    "the type of capacity provider %s.", json_string_value(
		    json_object_get(doc, "name")));
		json_decref(doc);
		return -1;
	}
	if (asg != NULL) {
		stored = json_object_get(doc, "autoScalingGroupProvider");
		json_object_foreach(asg, key, v) {
			if (strcmp(key, "managedScaling") == 0) {
				ms = json_object_get(stored, "managedScaling");
				json_object_update(ms, v);
			} else {
				json_object_set(stored, key, v);
			}
		}
		if (normalise_asg(r, stored) != 0) {
			json_decref(doc);
			return -1;
		}
	}
	if (mi != NULL)
		update_mi(json_object_get(doc, "managedInstancesProvider"), mi);
	json_object_set_new(doc, "updateStatus", json_string("UPDATE_COMPLETE"));
	json_object_del(doc, "updateStatusReason");
	if (store_cp_put(r->store, &r->part, json_string_value(json_object_get(
	    doc, "name")), doc) != STORE_OK) {
		json_decref(doc);
		return api_fail(r, ECS_ERR_SERVER, "The store could not save the "
		    "capacity provider.");
	}
	out = cp_view(r, doc, 1);
	json_object_set_new(out, "updateStatus", json_string(
	    "UPDATE_IN_PROGRESS"));
	json_object_set_new(r->out, "capacityProvider", out);
	json_decref(doc);
	return 0;
}

int
op_delete_capacity_provider(struct req *r)
{
	json_t *doc = named_provider(r, "capacityProvider", "deleted"), *out;
	const char *name, *own;
	char cluster[256], *reason = NULL;
	int rc = -1;

	if (doc == NULL)
		return -1;
	name = json_string_value(json_object_get(doc, "name"));
	own = json_string_value(json_object_get(doc, "cluster"));
	if (own == NULL && store_cluster_with_provider(r->store, &r->part, name,
	    NULL, cluster, sizeof cluster) == STORE_OK)
		xasprintf(&reason, "The capacity provider cannot be deleted "
		    "because it is associated with cluster: %s. Remove the "
		    "capacity provider from the cluster and try again.", cluster);
	else if (own != NULL && store_cluster_provider_in_use(r->store,
	    &r->part, own, name) == STORE_OK)
		xasprintf(&reason, "The capacity provider cannot be deleted "
		    "because it is in use by a service or task of cluster: %s.",
		    own);
	if (reason != NULL) {
		/* ECS accepts the call and reports the failure on the provider. */
		json_object_set_new(doc, "updateStatus", json_string(
		    "DELETE_FAILED"));
		json_object_set_new(doc, "updateStatusReason", json_string(reason));
	} else {
		json_object_set_new(doc, "status", json_string("INACTIVE"));
		json_object_set_new(doc, "updateStatus", json_string(
		    "DELETE_COMPLETE"));
		json_object_del(doc, "updateStatusReason");
	}
	if (store_cp_put(r->store, &r->part, name, doc) != STORE_OK ||
	    (reason == NULL && own != NULL && cluster_attach(r, own, name, 0) !=
	    STORE_OK)) {
		api_fail(r, ECS_ERR_SERVER, "The store could not save the capacity "
		    "provider.");
		goto out;
	}
	out = cp_view(r, doc, 1);
	if (reason == NULL) {
		json_object_set_new(out, "status", json_string("ACTIVE"));
		json_object_set_new(out, "updateStatus", json_string(
		    "DELETE_IN_PROGRESS"));
	}
	json_object_set_new(r->out, "capacityProvider", out);
	rc = 0;
out:
	free(reason);
	json_decref(doc);
	return rc;
}

/*
 * One named provider of DescribeCapacityProviders into providers or
 * failures. With a cluster, only the providers associated with it count.
 */
static void
describe_one(struct req *r, const char *id, json_t *cluster_doc,
    int with_tags, json_t *providers, json_t *failures)
{
	char name[512], *arn;
	json_t *doc = NULL;

	if (cp_name_of(r, id, name, sizeof name) != 0) {
		json_array_append_new(failures, json_pack("{s:s, s:s}", "arn", id,
		    "reason", "MISSING"));
		return;
	}
	if (cluster_doc == NULL || in_list(json_object_get(cluster_doc,
	    "capacityProviders"), name)) {
		if (capacity_provider_builtin(name))
			doc = builtin_doc(r, name);
		else if (store_cp_get(r->store, &r->part, name, &doc) != STORE_OK)
			doc = NULL;
	}
	if (doc != NULL) {
		json_array_append_new(providers, cp_view(r, doc, with_tags));
		json_decref(doc);
		return;
	}
	arn = arn_make(&r->part, "capacity-provider", name);
	json_array_append_new(failures, json_pack("{s:s, s:s}", "arn", arn,
	    "reason", "MISSING"));
	free(arn);
}

/*
 * A page of every provider: the account's own in name order, then FARGATE
 * and FARGATE_SPOT. Page keys: "p:<name>" after a stored provider, "b:<n>"
 * before the n-th built-in one.
 */
static int
list_all(struct req *r, const char *key, int max, int with_tags,
    json_t *providers, char **next)
{
	json_t *docs = json_array(), *doc;
	int builtin = 0, n = 0;
	size_t i;

	if (key != NULL && key[0] == 'b') {
		builtin = atoi(key + 2);
	} else {
		n = store_cp_list(r->store, &r->part, NULL, key != NULL ? key + 2 :
		    NULL, max + 1, docs);
		if (n < 0) {
			json_decref(docs);
			return api_fail(r, ECS_ERR_SERVER, "The store could not list "
			    "capacity providers.");
		}
	}
	json_array_foreach(docs, i, doc) {
		if ((int)i == max) {
			xasprintf(next, "p:%s", json_string_value(json_object_get(
			    json_array_get(docs, i - 1), "name")));
			break;
		}
		json_array_append_new(providers, cp_view(r, doc, with_tags));
	}
	json_decref(docs);
	for (; *next == NULL && builtins[builtin] != NULL; builtin++) {
		if ((int)json_array_size(providers) == max) {
			xasprintf(next, "b:%d", builtin);
			break;
		}
		doc = builtin_doc(r, builtins[builtin]);
		json_array_append_new(providers, cp_view(r, doc, with_tags));
		json_decref(doc);
	}
	return 0;
}

/*
 * A page of the providers associated with one cluster, in the cluster's
 * order. Page key: "c:<n>", the position to go on from.
 */
static int
list_cluster(struct req *r, json_t *cluster_doc, const char *key, int max,
    int with_tags, json_t *providers, json_t *failures, char **next)
{
	json_t *list = json_object_get(cluster_doc, "capacityProviders");
	size_t i = key != NULL ? (size_t)atoi(key + 2) : 0;

	for (; i < json_array_size(list); i++) {
		if ((int)json_array_size(providers) == max) {
			xasprintf(next, "c:%zu", i);
			break;
		}
		describe_one(r, json_string_value(json_array_get(list, i)),
		    cluster_doc, with_tags, providers, failures);
	}
	return 0;
}

/*
 * A page key is ours only in one of the shapes above: "p:<name>" or
 * "b:<n>" (n at most the number of built-in providers) when listing them
 * all, "c:<n>" when listing a cluster's. A token decoded from anything else
 * (a forged one, or one from the other listing) is refused before a key is
 * read past its end.
 */
static int
page_key_valid(const char *key, int of_cluster)
{
	size_t digits;

	if (key == NULL)
		return 1;
	if (key[0] == '\0' || key[1] != ':')
		return 0;
	if (key[0] == 'p')
		return !of_cluster && key[2] != '\0';
	digits = strspn(key + 2, "0123456789");
	if (digits == 0 || digits > 6 || key[2 + digits] != '\0')
		return 0;
	if (key[0] == 'c')
		return of_cluster;
	return key[0] == 'b' && !of_cluster &&
	    atoi(key + 2) < (int)(sizeof builtins / sizeof builtins[0]);
}

int
op_describe_capacity_providers(struct req *r)
{
	json_t *ids = in_get(r, "capacityProviders"), *e, *cluster_doc = NULL;
	json_t *providers = json_array(), *failures = json_array();
	int with_tags = in_has(r, "include", "TAGS"), max, rc = 0;
	char cname[256], *key = NULL, *next = NULL;
	size_t i;

	json_object_set_new(r->out, "capacityProviders", providers);
	json_object_set_new(r->out, "failures", failures);
	if (json_array_size(ids) > MAX_DESCRIBE)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "At most %d capacity "
		    "providers can be described at once.", MAX_DESCRIBE);
	if (in_max_results(r, PAGE_MAX, PAGE_MAX, &max) != 0 ||
	    page_token_read(r, in_str(r, "nextToken"), &key) != 0)
		return -1;
	if (in_str(r, "cluster") != NULL) {
		if (clusters_require_active(r, in_str(r, "cluster"), cname,
		    sizeof cname) != 0 || store_cluster_get(r->store, &r->part,
		    cname, &cluster_doc) != STORE_OK) {
			free(key);
			return -1;
		}
	}
	if (json_array_size(ids) == 0 && !page_key_valid(key,
	    cluster_doc != NULL)) {
		rc = page_token_refuse(r);
	} else if (json_array_size(ids) > 0) {
		json_array_foreach(ids, i, e)
			describe_one(r, json_string_value(e), cluster_doc, with_tags,
			    providers, failures);
	} else if (cluster_doc != NULL) {
		rc = list_cluster(r, cluster_doc, key, max, with_tags, providers,
		    failures, &next);
	} else {
		rc = list_all(r, key, max, with_tags, providers, &next);
	}
	if (rc == 0 && next != NULL) {
		char *token = page_token_make(next);

		json_object_set_new(r->out, "nextToken", json_string(token));
		free(token);
	}
	free(next);
	free(key);
	json_decref(cluster_doc);
	return rc;
}
