/*
 * services_ns.c - ListServicesByNamespace: the services of every cluster of
 * the caller's partition that are in a Service Connect namespace, in ARN
 * order with opaque page tokens. The namespace is the one a service names
 * in serviceConnectConfiguration (enabled), as the services part records it
 * in the services table's namespace column (store_services_by_namespace).
 *
 * ecsd has no Cloud Map: a namespace is a name (or ARN) services use, not
 * a resource of its own. So a namespace nobody uses lists no services
 * rather than being NamespaceNotFoundException, and a name and an ARN of
 * the same namespace are two different namespaces. An ARN must be a Cloud
 * Map namespace ARN; one of another region or account is not found.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"

#define NS_ARN "arn:aws:servicediscovery:"

/*
 * A namespace ARN is arn:aws:servicediscovery:<region>:<account>:
 * namespace/<id>. 0 when ns is a name or such an ARN of the caller's
 * partition, else -1 with the exception recorded.
 */
static int
namespace_check(struct req *r, const char *ns)
{
	char region[64], account[64];
	const char *p, *colon, *rest;
	size_t n;

	if (strncmp(ns, "arn:", 4) != 0)
		return 0;
	if (strncmp(ns, NS_ARN, strlen(NS_ARN)) != 0)
		goto bad;
	p = ns + strlen(NS_ARN);
	colon = strchr(p, ':');
	n = colon != NULL ? (size_t)(colon - p) : 0;
	if (n == 0 || n >= sizeof region)
		goto bad;
	memcpy(region, p, n);
	region[n] = '\0';
	p = colon + 1;
	colon = strchr(p, ':');
	n = colon != NULL ? (size_t)(colon - p) : 0;
	if (n == 0 || n >= sizeof account)
		goto bad;
	memcpy(account, p, n);
	account[n] = '\0';
	rest = colon + 1;
	if (strncmp(rest, "namespace/", 10) != 0 || rest[10] == '\0')
		goto bad;
	if (strcmp(region, r->part.region) != 0 ||
	    strcmp(account, r->part.account) != 0)
		return api_fail(r, ECS_ERR_NAMESPACE_NOT_FOUND, "Namespace not "
		    "found.");
	return 0;
bad:
	return api_fail(r, ECS_ERR_INVALID_PARAMETER, "The namespace must be a "
	    "Cloud Map namespace name or ARN.");
}

int
op_list_services_by_namespace(struct req *r)
{
	const char *ns = in_str(r, "namespace");
	json_t *arns = json_array();
	char *after = NULL, *token;
	int max, n;

	json_object_set_new(r->out, "serviceArns", arns);
	if (ns == NULL || *ns == '\0')
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "The namespace must "
		    "not be empty.");
	if (namespace_check(r, ns) != 0 || in_max_results(r, 10, 100, &max) != 0 ||
	    page_token_read(r, in_str(r, "nextToken"), &after) != 0)
		return -1;
	n = store_services_by_namespace(r->store, &r->part, ns, after, max + 1,
	    arns);
	free(after);
	if (n < 0)
		return api_fail(r, ECS_ERR_SERVER, "The store could not list the "
		    "services.");
	if (n > max) {
		json_array_remove(arns, (size_t)max);
		token = page_token_make(json_string_value(json_array_get(arns,
		    (size_t)max - 1)));
		json_object_set_new(r->out, "nextToken", json_string(token));
		free(token);
	}
	return 0;
}
