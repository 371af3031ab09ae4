/*
 * clusters.c - CreateCluster, DescribeClusters, ListClusters, UpdateCluster,
 * UpdateClusterSettings, PutClusterCapacityProviders, DeleteCluster, and
 * the check every cluster-scoped operation makes first
 * (clusters_require_active).
 */
#include <string.h>

#include "api.h"

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
