/*
 * schema.c - the migrations, in order. PRAGMA user_version holds how many
 * have run; store_open runs the rest, each in its own transaction. Never
 * edit a migration that has shipped: add one.
 */
#include <stddef.h>

#include "store.h"

const char *const store_migrations[] = {
	/* 1: clusters, task definitions, tags, settings, capacity providers,
	 * attributes; and the rows clusters count (services, tasks, instances). */
	"CREATE TABLE clusters ("
	"  account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,"
	"  arn TEXT NOT NULL, status TEXT NOT NULL,"
	"  created_at REAL NOT NULL, doc TEXT NOT NULL,"
	"  PRIMARY KEY (account, region, name));"
	"CREATE INDEX clusters_arn ON clusters (account, region, status, arn);"

	"CREATE TABLE task_definition_families ("
	"  account TEXT NOT NULL, region TEXT NOT NULL, family TEXT NOT NULL,"
	"  last_revision INTEGER NOT NULL,"
	"  PRIMARY KEY (account, region, family));"
	"CREATE TABLE task_definitions ("
	"  account TEXT NOT NULL, region TEXT NOT NULL, family TEXT NOT NULL,"
	"  revision INTEGER NOT NULL, arn TEXT NOT NULL, status TEXT NOT NULL,"
	"  registered_at REAL NOT NULL, deregistered_at REAL,"
	"  doc TEXT NOT NULL,"
	"  PRIMARY KEY (account, region, family, revision));"
	"CREATE INDEX task_definitions_status ON task_definitions"
	"  (account, region, status, family, revision);"

	"CREATE TABLE tags ("
	"  arn TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
	"  PRIMARY KEY (arn, key));"

	"CREATE TABLE account_settings ("
	"  account TEXT NOT NULL, region TEXT NOT NULL,"
	"  principal TEXT NOT NULL," /* '' for the account default */
	"  name TEXT NOT NULL, value TEXT NOT NULL,"
	"  PRIMARY KEY (account, region, principal, name));"

	"CREATE TABLE capacity_providers ("
	"  account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,"
	"  arn TEXT NOT NULL, status TEXT NOT NULL, doc TEXT NOT NULL,"
	"  PRIMARY KEY (account, region, name));"

	"CREATE TABLE attributes ("
	"  account TEXT NOT NULL, region TEXT NOT NULL, cluster TEXT NOT NULL,"
	"  target_type TEXT NOT NULL, target_id TEXT NOT NULL,"
	"  name TEXT NOT NULL, value TEXT,"
	"  PRIMARY KEY (account, region, cluster, target_id, name));"
	"CREATE INDEX attributes_name ON attributes"
	"  (account, region, cluster, target_type, name, value);"

	"CREATE TABLE services ("
	"  account TEXT NOT NULL, region TEXT NOT NULL, cluster TEXT NOT NULL,"
	"  name TEXT NOT NULL, arn TEXT NOT NULL, status TEXT NOT NULL,"
	"  launch_type TEXT, scheduling_strategy TEXT,"
	"  desired_count INTEGER NOT NULL DEFAULT 0,"
	"  created_at REAL NOT NULL, doc TEXT NOT NULL,"
	"  PRIMARY KEY (account, region, cluster, name));"
	"CREATE INDEX services_status ON services"
	"  (account, region, cluster, status, arn);"

	"CREATE TABLE tasks ("
	"  account TEXT NOT NULL, region TEXT NOT NULL, cluster TEXT NOT NULL,"
	"  id TEXT NOT NULL, arn TEXT NOT NULL, family TEXT NOT NULL,"
	"  revision INTEGER NOT NULL, service TEXT, started_by TEXT,"
	"  grp TEXT, container_instance TEXT, launch_type TEXT,"
	"  desired_status TEXT NOT NULL, last_status TEXT NOT NULL,"
	"  created_at REAL NOT NULL, doc TEXT NOT NULL,"
	"  PRIMARY KEY (account, region, cluster, id));"
	"CREATE INDEX tasks_status ON tasks"
	"  (account, region, cluster, last_status, launch_type);"

	"CREATE TABLE container_instances ("
	"  account TEXT NOT NULL, region TEXT NOT NULL, cluster TEXT NOT NULL,"
	"  id TEXT NOT NULL, arn TEXT NOT NULL, status TEXT NOT NULL,"
	"  doc TEXT NOT NULL,"
	"  PRIMARY KEY (account, region, cluster, id));",

	/* 2: what tasks and container instances need beyond migration 1: the
	 * task's frozen run spec and timestamps (tasks-contract.md), the
	 * indexes ListTasks and the scheduler's scan use, and instance columns
	 * (which one is the local Docker engine, registration time). */
	"ALTER TABLE tasks ADD COLUMN spec TEXT NOT NULL DEFAULT '{}';"
	"ALTER TABLE tasks ADD COLUMN updated_at REAL;"
	"ALTER TABLE tasks ADD COLUMN stopped_at REAL;"
	"CREATE INDEX tasks_unsettled ON tasks (desired_status, last_status);"
	"CREATE INDEX tasks_stopped ON tasks (last_status, stopped_at);"
	"CREATE INDEX tasks_desired ON tasks"
	"  (account, region, cluster, desired_status, created_at, id);"
	"CREATE INDEX tasks_family ON tasks"
	"  (account, region, cluster, family, desired_status);"
	"CREATE INDEX tasks_service ON tasks"
	"  (account, region, cluster, service, desired_status);"
	"CREATE INDEX tasks_started_by ON tasks"
	"  (account, region, cluster, started_by, desired_status);"
	"CREATE INDEX tasks_instance ON tasks"
	"  (account, region, cluster, container_instance, last_status);"
	"ALTER TABLE container_instances ADD COLUMN local INTEGER NOT NULL"
	"  DEFAULT 0;"
	"ALTER TABLE container_instances ADD COLUMN registered_at REAL;"
	"CREATE INDEX container_instances_status ON container_instances"
	"  (account, region, cluster, status, registered_at, id);",

	/* 3: facts about this store itself, such as the owner id that labels
	 * every container it starts (so two ecsd on one engine never touch
	 * each other's containers). Not emptied by the admin reset. */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",

	/* 4: services (notes/services-contract.md): the service scheduler's
	 * bookkeeping next to the Service document, when it was last written
	 * and deleted (INACTIVE retention), its Cloud Map namespace for
	 * ListServicesByNamespace; service deployments and service revisions
	 * as ListServiceDeployments, DescribeServiceDeployments and
	 * DescribeServiceRevisions report them. */
	"ALTER TABLE services ADD COLUMN state TEXT NOT NULL DEFAULT '{}';"
	"ALTER TABLE services ADD COLUMN updated_at REAL;"
	"ALTER TABLE services ADD COLUMN deleted_at REAL;"
	"ALTER TABLE services ADD COLUMN namespace TEXT;"
	"CREATE INDEX services_live ON services (status, deleted_at);"
	"CREATE INDEX services_list ON services"
	"  (account, region, cluster, status, launch_type, scheduling_strategy,"
	"  arn);"
	"CREATE INDEX services_namespace ON services"
	"  (account, region, namespace, status, arn);"
	"CREATE TABLE service_deployments ("
	"  account TEXT NOT NULL, region TEXT NOT NULL, cluster TEXT NOT NULL,"
	"  service TEXT NOT NULL, id TEXT NOT NULL, arn TEXT NOT NULL,"
	"  deployment_id TEXT NOT NULL, status TEXT NOT NULL,"
	"  created_at REAL NOT NULL, doc TEXT NOT NULL,"
	"  PRIMARY KEY (account, region, cluster, service, id));"
	"CREATE INDEX service_deployments_created ON service_deployments"
	"  (account, region, cluster, service, created_at, id);"
	"CREATE INDEX service_deployments_deployment ON service_deployments"
	"  (account, region, cluster, service, deployment_id);"
	"CREATE TABLE service_revisions ("
	"  account TEXT NOT NULL, region TEXT NOT NULL, cluster TEXT NOT NULL,"
	"  service TEXT NOT NULL, id TEXT NOT NULL, arn TEXT NOT NULL,"
	"  created_at REAL NOT NULL, doc TEXT NOT NULL,"
	"  PRIMARY KEY (account, region, cluster, service, id));",
	/* 5: list pages that cost what a page costs (docs/performance.md,
	 * "Scale"). A ListTaskDefinitions page of one family reads one range
	 * of task_definitions_list and never the table; it replaces
	 * task_definitions_status, its prefix. A ListServices page walks
	 * services_arn in arn order and checks status, launch type and
	 * strategy in the index, instead of sorting every service of the
	 * cluster. */
	"CREATE INDEX task_definitions_list ON task_definitions"
	"  (account, region, status, family, revision, arn);"
	"DROP INDEX task_definitions_status;"
	"CREATE INDEX services_arn ON services"
	"  (account, region, cluster, arn, status, launch_type,"
	"  scheduling_strategy);",
	/* 6: task scale-in protection (UpdateTaskProtection): when it ends, in
	 * epoch seconds; NULL when the task was never protected. A column, not
	 * a member of the task document, because DescribeTasks does not show
	 * it and the service scheduler reads it with the task rows. */
	"ALTER TABLE tasks ADD COLUMN protected_until REAL;",
};

const int store_migration_count =
    (int)(sizeof store_migrations / sizeof store_migrations[0]);

/* Every table, for the admin reset. */
const char *const store_tables[] = {
	"clusters", "task_definition_families", "task_definitions", "tags",
	"account_settings", "capacity_providers", "attributes", "services",
	"tasks", "container_instances", "service_deployments",
	"service_revisions", NULL
};
