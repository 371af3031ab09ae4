/*
 * ops.c - THE operation table: every operation of botocore's ECS model, one
 * row each, sorted by name so dispatch is a binary search. A row without a
 * handler answers UnsupportedFeatureException ("ecsd does not implement X
 * yet"), never a fake success. Unit tests check this table against the model
 * (sorted, unique, complete) and docs/api-coverage.md is generated from it.
 *
 * `.kick` says what a successful write changed for the scheduler: nothing
 * (KICK_NONE: task definitions, tags, settings, clusters' own fields), the
 * tasks or the service its answer names (KICK_TASKS, KICK_SERVICE: a pass
 * for those alone), or, by default, anything (a full pass: container
 * instances, attributes and capacity change where tasks can be placed).
 */
#include <string.h>

#include "api.h"

const struct op ops_table[] = {
	{ .name = "ContinueServiceDeployment", .flags = OP_WRITE,
	  .help = "Continues or rolls back an Amazon ECS service deployment that is paused at a lifecycle hook." },
	{ .name = "CreateCapacityProvider", .fn = op_create_capacity_provider, .flags = OP_WRITE,
	  .kick = KICK_NONE,
	  .help = "Creates a capacity provider." },
	{ .name = "CreateCluster", .fn = op_create_cluster, .flags = OP_WRITE,
	  .kick = KICK_NONE,
	  .help = "Creates a new Amazon ECS cluster." },
	{ .name = "CreateDaemon", .flags = OP_WRITE,
	  .help = "Creates a new daemon in the specified cluster and capacity providers." },
	{ .name = "CreateExpressGatewayService", .flags = OP_WRITE,
	  .help = "Creates an Express service that simplifies deploying containerized web applications on Amazon ECS with..." },
	{ .name = "CreateService", .fn = op_create_service, .flags = OP_WRITE,
	  .kick = KICK_SERVICE,
	  .help = "Runs and maintains your desired number of tasks from a specified task definition." },
	{ .name = "CreateTaskSet", .fn = op_create_task_set, .flags = OP_WRITE,
	  .kick = KICK_SERVICE,
	  .help = "Create a task set in the specified cluster and service." },
	{ .name = "DeleteAccountSetting", .fn = op_delete_account_setting, .flags = OP_WRITE,
	  .kick = KICK_NONE,
	  .help = "Disables an account setting for a specified user, role, or the root user for an account." },
	{ .name = "DeleteAttributes", .fn = op_delete_attributes, .flags = OP_WRITE,
	  .help = "Deletes one or more custom attributes from an Amazon ECS resource." },
	{ .name = "DeleteCapacityProvider", .fn = op_delete_capacity_provider, .flags = OP_WRITE,
	  .help = "Deletes the specified capacity provider." },
	{ .name = "DeleteCluster", .fn = op_delete_cluster, .flags = OP_WRITE,
	  .help = "Deletes the specified cluster." },
	{ .name = "DeleteDaemon", .flags = OP_WRITE,
	  .help = "Deletes the specified daemon." },
	{ .name = "DeleteDaemonTaskDefinition", .flags = OP_WRITE,
	  .help = "Deletes the specified daemon task definition." },
	{ .name = "DeleteExpressGatewayService", .flags = OP_WRITE,
	  .help = "Deletes an Express service and removes all associated Amazon Web Services resources." },
	{ .name = "DeleteService", .fn = op_delete_service, .flags = OP_WRITE,
	  .kick = KICK_SERVICE,
	  .help = "Deletes a specified service within a cluster." },
	{ .name = "DeleteTaskDefinitions", .fn = op_delete_task_definitions, .flags = OP_WRITE,
	  .kick = KICK_NONE,
	  .help = "Deletes one or more task definitions." },
	{ .name = "DeleteTaskSet", .fn = op_delete_task_set, .flags = OP_WRITE,
	  .kick = KICK_SERVICE,
	  .help = "Deletes a specified task set within a service." },
	{ .name = "DeregisterContainerInstance",
	  .fn = op_deregister_container_instance, .flags = OP_WRITE,
	  .help = "Deregisters an Amazon ECS container instance from the specified cluster." },
	{ .name = "DeregisterTaskDefinition", .fn = op_deregister_task_definition, .flags = OP_WRITE,
	  .kick = KICK_NONE,
	  .help = "Deregisters the specified task definition by family and revision." },
	{ .name = "DescribeCapacityProviders", .fn = op_describe_capacity_providers,
	  .help = "Describes one or more of your capacity providers." },
	{ .name = "DescribeClusters", .fn = op_describe_clusters,
	  .help = "Describes one or more of your clusters." },
	{ .name = "DescribeContainerInstances", .fn = op_describe_container_instances,
	  .help = "Describes one or more container instances." },
	{ .name = "DescribeDaemon",
	  .help = "Describes the specified daemon." },
	{ .name = "DescribeDaemonDeployments",
	  .help = "Describes one or more of your daemon deployments." },
	{ .name = "DescribeDaemonRevisions",
	  .help = "Describes one or more of your daemon revisions." },
	{ .name = "DescribeDaemonTaskDefinition",
	  .help = "Describes a daemon task definition." },
	{ .name = "DescribeExpressGatewayService",
	  .help = "Retrieves detailed information about an Express service, including current status, configuration, managed..." },
	{ .name = "DescribeServiceDeployments", .fn = op_describe_service_deployments,
	  .help = "Describes one or more of your service deployments." },
	{ .name = "DescribeServiceRevisions", .fn = op_describe_service_revisions,
	  .help = "Describes one or more service revisions." },
	{ .name = "DescribeServices", .fn = op_describe_services,
	  .help = "Describes the specified services running in your cluster." },
	{ .name = "DescribeTaskDefinition", .fn = op_describe_task_definition,
	  .help = "Describes a task definition." },
	{ .name = "DescribeTaskSets", .fn = op_describe_task_sets,
	  .help = "Describes the task sets in the specified cluster and service." },
	{ .name = "DescribeTasks", .fn = op_describe_tasks,
	  .help = "Describes a specified task or tasks." },
	{ .name = "DiscoverPollEndpoint",
	  .help = "This action is only used by the Amazon ECS agent, and it is not intended for use outside of the agent." },
	{ .name = "ExecuteCommand", .flags = OP_WRITE,
	  .help = "Runs a command remotely on a container within a task." },
	{ .name = "GetTaskProtection", .fn = op_get_task_protection,
	  .help = "Retrieves the protection status of tasks in an Amazon ECS service." },
	{ .name = "ListAccountSettings", .fn = op_list_account_settings,
	  .help = "Lists the account settings for a specified principal." },
	{ .name = "ListAttributes", .fn = op_list_attributes,
	  .help = "Lists the attributes for Amazon ECS resources within a specified target type and cluster." },
	{ .name = "ListClusters", .fn = op_list_clusters,
	  .help = "Returns a list of existing clusters." },
	{ .name = "ListContainerInstances", .fn = op_list_container_instances,
	  .help = "Returns a list of container instances in a specified cluster." },
	{ .name = "ListDaemonDeployments",
	  .help = "Returns a list of daemon deployments for a specified daemon." },
	{ .name = "ListDaemonTaskDefinitions",
	  .help = "Returns a list of daemon task definitions that are registered to your account." },
	{ .name = "ListDaemons",
	  .help = "Returns a list of daemons." },
	{ .name = "ListServiceDeployments", .fn = op_list_service_deployments,
	  .help = "This operation lists all the service deployments that meet the specified filter criteria." },
	{ .name = "ListServices", .fn = op_list_services,
	  .help = "Returns a list of services." },
	{ .name = "ListServicesByNamespace", .fn = op_list_services_by_namespace,
	  .help = "This operation lists all of the services that are associated with a Cloud Map namespace." },
	{ .name = "ListTagsForResource", .fn = op_list_tags_for_resource,
	  .help = "List the tags for an Amazon ECS resource." },
	{ .name = "ListTaskDefinitionFamilies", .fn = op_list_task_definition_families,
	  .help = "Returns a list of task definition families that are registered to your account." },
	{ .name = "ListTaskDefinitions", .fn = op_list_task_definitions,
	  .help = "Returns a list of task definitions that are registered to your account." },
	{ .name = "ListTasks", .fn = op_list_tasks,
	  .help = "Returns a list of tasks." },
	{ .name = "PutAccountSetting", .fn = op_put_account_setting, .flags = OP_WRITE,
	  .kick = KICK_NONE,
	  .help = "Modifies an account setting." },
	{ .name = "PutAccountSettingDefault", .fn = op_put_account_setting_default, .flags = OP_WRITE,
	  .kick = KICK_NONE,
	  .help = "Modifies an account setting for all users on an account for whom no individual account setting has been..." },
	{ .name = "PutAttributes", .fn = op_put_attributes, .flags = OP_WRITE,
	  .help = "Create or update an attribute on an Amazon ECS resource." },
	{ .name = "PutClusterCapacityProviders", .fn = op_put_cluster_capacity_providers, .flags = OP_WRITE,
	  .help = "Modifies the available capacity providers and the default capacity provider strategy for a cluster." },
	{ .name = "RegisterContainerInstance",
	  .fn = op_register_container_instance, .flags = OP_WRITE,
	  .help = "This action is only used by the Amazon ECS agent, and it is not intended for use outside of the agent." },
	{ .name = "RegisterDaemonTaskDefinition", .flags = OP_WRITE,
	  .help = "Registers a new daemon task definition from the supplied family and containerDefinitions." },
	{ .name = "RegisterTaskDefinition", .fn = op_register_task_definition, .flags = OP_WRITE,
	  .kick = KICK_NONE,
	  .help = "Registers a new task definition from the supplied family and containerDefinitions." },
	{ .name = "RunTask", .fn = op_run_task, .flags = OP_WRITE,
	  .kick = KICK_TASKS,
	  .help = "Starts a new task using the specified task definition." },
	{ .name = "StartTask", .fn = op_start_task, .flags = OP_WRITE,
	  .kick = KICK_TASKS,
	  .help = "Starts a new task from the specified task definition on the specified container instance or instances." },
	{ .name = "StopServiceDeployment", .fn = op_stop_service_deployment, .flags = OP_WRITE,
	  .help = "Stops an ongoing service deployment." },
	{ .name = "StopTask", .fn = op_stop_task, .flags = OP_WRITE,
	  .kick = KICK_TASKS,
	  .help = "Stops a running task." },
	{ .name = "SubmitAttachmentStateChanges", .flags = OP_WRITE,
	  .help = "This action is only used by the Amazon ECS agent, and it is not intended for use outside of the agent." },
	{ .name = "SubmitContainerStateChange", .flags = OP_WRITE,
	  .help = "This action is only used by the Amazon ECS agent, and it is not intended for use outside of the agent." },
	{ .name = "SubmitTaskStateChange", .flags = OP_WRITE,
	  .help = "This action is only used by the Amazon ECS agent, and it is not intended for use outside of the agent." },
	{ .name = "TagResource", .fn = op_tag_resource, .flags = OP_WRITE,
	  .kick = KICK_NONE,
	  .help = "Associates the specified tags to a resource with the specified resourceArn." },
	{ .name = "UntagResource", .fn = op_untag_resource, .flags = OP_WRITE,
	  .kick = KICK_NONE,
	  .help = "Deletes specified tags from a resource." },
	{ .name = "UpdateCapacityProvider", .fn = op_update_capacity_provider, .flags = OP_WRITE,
	  .help = "Modifies the parameters for a capacity provider." },
	{ .name = "UpdateCluster", .fn = op_update_cluster, .flags = OP_WRITE,
	  .kick = KICK_NONE,
	  .help = "Updates the cluster." },
	{ .name = "UpdateClusterSettings", .fn = op_update_cluster_settings, .flags = OP_WRITE,
	  .kick = KICK_NONE,
	  .help = "Modifies the settings to use for a cluster." },
	{ .name = "UpdateContainerAgent", .flags = OP_WRITE,
	  .help = "Updates the Amazon ECS container agent on a specified container instance." },
	{ .name = "UpdateContainerInstancesState",
	  .fn = op_update_container_instances_state, .flags = OP_WRITE,
	  .help = "Modifies the status of an Amazon ECS container instance." },
	{ .name = "UpdateDaemon", .flags = OP_WRITE,
	  .help = "Updates the specified daemon." },
	{ .name = "UpdateExpressGatewayService", .flags = OP_WRITE,
	  .help = "Updates an existing Express service configuration." },
	{ .name = "UpdateService", .fn = op_update_service, .flags = OP_WRITE,
	  .kick = KICK_SERVICE,
	  .help = "Modifies the parameters of a service." },
	{ .name = "UpdateServicePrimaryTaskSet", .fn = op_update_service_primary_task_set, .flags = OP_WRITE,
	  .kick = KICK_SERVICE,
	  .help = "Modifies which task set in a service is the primary task set." },
	{ .name = "UpdateTaskProtection", .fn = op_update_task_protection,
	  .flags = OP_WRITE, /* a full pass: a service may stop what it held */
	  .help = "Updates the protection status of a task." },
	{ .name = "UpdateTaskSet", .fn = op_update_task_set, .flags = OP_WRITE,
	  .kick = KICK_SERVICE,
	  .help = "Modifies a task set." },
};

const size_t ops_count = sizeof ops_table / sizeof ops_table[0];

const struct op *
ops_find(const char *name, size_t len)
{
	size_t lo = 0, hi = ops_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *n = ops_table[mid].name;
		size_t nlen = strlen(n);
		int c = strncmp(name, n, len < nlen ? len : nlen);

		if (c == 0)
			c = len < nlen ? -1 : len > nlen ? 1 : 0;
		if (c == 0)
			return &ops_table[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}
