/*
 * store.h - the store part: SQLite (WAL) as the single source of truth, and
 * the only place SQL lives. One file per entity; every statement is a static
 * string prepared once and cached (store_stmt). Rows are keyed by
 * (account, region); documents are JSON text next to real columns for
 * everything that is filtered, sorted or counted.
 */
#ifndef ECSD_STORE_H
#define ECSD_STORE_H

#include <jansson.h>
#include <sqlite3.h>

/* Resource partition: every row belongs to one (account, region). */
struct part {
	const char *account;
	const char *region;
};

/* Results of store calls. */
#define STORE_OK 0
#define STORE_NOTFOUND 1
#define STORE_ERR (-1)

struct store;

/* db.c */
int store_open(const char *, struct store **, char **);
void store_close(struct store *);
int store_begin(struct store *, int);
int store_commit(struct store *);
void store_rollback(struct store *);
int store_reset(struct store *);
const char *store_errmsg(struct store *);
int store_schema_version(struct store *);
sqlite3_stmt *store_stmt(struct store *, const char *);
void store_bind_part(sqlite3_stmt *, const struct part *);
void store_bind_text(sqlite3_stmt *, int, const char *);
void store_bind_json(sqlite3_stmt *, int, json_t *);
json_t *store_column_json(sqlite3_stmt *, int);
/* A row's ARN and stored document as text, for answers that splice the
 * document in instead of parsing it (api/jtext.c). */
struct store_text {
	char *arn;                /* heap */
	char *doc;                /* the document's JSON text (heap) */
	size_t len;               /* its length */
};
void store_text_read(sqlite3_stmt *, int, int, struct store_text *);
void store_text_free(struct store_text *);
int store_step_done(struct store *, sqlite3_stmt *);
int store_step_found(struct store *, sqlite3_stmt *);

/* clusters.c */
struct cluster_counts {
	int instances;            /* container instances ACTIVE or DRAINING */
	int running;              /* tasks RUNNING */
	int pending;              /* tasks PROVISIONING, PENDING, ACTIVATING */
	int services;             /* services ACTIVE */
	int running_ec2, running_fargate;
	int pending_ec2, pending_fargate;
	int active_ec2, active_fargate;     /* ACTIVE services by launch type */
	int draining_ec2, draining_fargate; /* DRAINING services */
	int live_tasks;           /* tasks not yet STOPPED */
	int live_services;        /* services ACTIVE or DRAINING */
};
int store_cluster_active(struct store *, const struct part *, const char *);
int store_cluster_text(struct store *, const struct part *, const char *,
    struct store_text *, char *, size_t);
int store_cluster_get(struct store *, const struct part *, const char *,
    json_t **);
int store_cluster_put(struct store *, const struct part *, const char *,
    json_t *, double);
int store_cluster_list(struct store *, const struct part *, const char *, int,
    json_t *);
int store_cluster_counts(struct store *, const struct part *, const char *,
    struct cluster_counts *);
int store_cluster_with_provider(struct store *, const struct part *,
    const char *, const char *, char *, size_t);
int store_cluster_provider_in_use(struct store *, const struct part *,
    const char *, const char *);

/* capacity_providers.c */
int store_cp_get(struct store *, const struct part *, const char *,
    json_t **);
int store_cp_put(struct store *, const struct part *, const char *, json_t *);
int store_cp_list(struct store *, const struct part *, const char *,
    const char *, int, json_t *);
int store_cp_asg_used(struct store *, const struct part *, const char *,
    const char *);

/* account_settings.c */
int store_setting_put(struct store *, const struct part *, const char *,
    const char *, const char *);
char *store_setting_get(struct store *, const struct part *, const char *,
    const char *);
int store_setting_delete(struct store *, const struct part *, const char *,
    const char *);
json_t *store_settings_list(struct store *, const struct part *,
    const char *, const char *);

/* attributes.c */
int store_attribute_target(struct store *, const struct part *,
    const char *, const char *, char **);
int store_attribute_put(struct store *, const struct part *, const char *,
    const char *, const char *, const char *, const char *);
int store_attribute_delete(struct store *, const struct part *,
    const char *, const char *, const char *, json_t **);
int store_attributes_custom_count(struct store *, const struct part *,
    const char *, const char *);
json_t *store_attributes_list(struct store *, const struct part *,
    const char *, const char *, const char *, const char *, const char *,
    const char *, int, int *);
json_t *store_attributes_of(struct store *, const struct part *,
    const char *, const char *);
int store_attributes_clear(struct store *, const struct part *,
    const char *, const char *);

/* tags.c */
int store_tags_set(struct store *, const char *, json_t *);
json_t *store_tags_get(struct store *, const char *);
int store_tags_count(struct store *, const char *);
int store_tags_remove(struct store *, const char *, json_t *);
int store_tags_clear(struct store *, const char *);
enum store_target {
	STORE_TARGET_FOUND,           /* the resource exists */
	STORE_TARGET_NO_CLUSTER,      /* its cluster does not exist */
	STORE_TARGET_CLUSTER_INACTIVE, /* its cluster was deleted */
	STORE_TARGET_MISSING          /* the cluster is there, the resource not */
};
int store_tags_resource(struct store *, const struct part *, const char *,
    const char *, const char *, const char *);

/* tasks.c - the contract with the scheduler: notes/tasks-contract.md */
struct task_row {
	char *account, *region, *cluster, *id, *arn;
	char *service;            /* its service's name, NULL if none */
	json_t *doc;              /* Task shape (without tags), owned */
	json_t *spec;             /* what to run, frozen at creation, owned;
	                             NULL until store_task_row_spec when the
	                             row came from a scheduler read */
	char *spec_text;          /* the spec as text (store_task_row_spec) */
	double protected_until;   /* scale-in protection ends (epoch s), 0 if
	                             none; read by store_service_tasks only */
};
void store_task_row_free(struct task_row *);
json_t *store_task_row_spec(struct task_row *);
/* What store_task_read reads besides the keys and the service. */
enum store_task_what {
	STORE_TASK_KEYS,          /* nothing more: no JSON is parsed */
	STORE_TASK_DOC,           /* doc */
	STORE_TASK_SPEC           /* doc and spec_text (parsed on demand) */
};
int store_task_read(struct store *, const struct part *, const char *,
    const char *, enum store_task_what, struct task_row *);
int store_task_insert(struct store *, const struct part *, const char *,
    const char *, const char *, json_t *, json_t *);
int store_task_save(struct store *, const struct part *, const char *,
    const char *, json_t *);
int store_task_text(struct store *, const struct part *, const char *,
    const char *, struct store_text *);
/* Task scale-in protection: until (epoch s) or 0 to clear it. */
int store_task_protect(struct store *, const struct part *, const char *,
    const char *, double until);
int store_task_protection(struct store *, const struct part *, const char *,
    const char *, double *until);
/* Tasks of a service meant to run, protected past `now`, but `except`. */
int store_service_protected(struct store *, const struct part *,
    const char *, const char *, const char *, double, int *);
int store_task_get(struct store *, const struct part *, const char *,
    const char *, struct task_row *);
int store_tasks_unsettled(struct store *, void (*)(void *, struct task_row *),
    void *);
int store_tasks_expire(struct store *, double);
/* ListTasks filters; NULL members do not filter. */
struct task_filter {
	const char *desired;      /* desiredStatus, always set */
	const char *family;
	const char *service;
	const char *started_by;
	const char *instance;     /* container instance id */
	const char *launch_type;
};
int store_tasks_list(struct store *, const struct part *, const char *,
    const struct task_filter *, double, const char *, int, json_t *,
    json_t *);
int store_tasks_on_instance(struct store *, const struct part *,
    const char *, const char *, void (*)(void *, struct task_row *), void *);

/* container_instances.c */
struct instance_row {
	char *id, *arn, *status;
	int local;                /* the local Docker engine ecsd runs tasks on */
	double registered_at;
	json_t *doc;              /* ContainerInstance shape without the
	                           * computed members, attributes and tags */
};
/* What the live (not STOPPED) tasks on an instance use. */
struct instance_usage {
	long long cpu, memory;    /* cpu units and MiB reserved */
	int running, pending;     /* lastStatus RUNNING; on their way up */
	int live;                 /* every task not STOPPED */
	json_t *tcp, *udp;        /* host ports held (integers) */
	json_t *groups;           /* distinct task groups (strings) */
};
void store_instance_row_free(struct instance_row *);
void store_instance_rows_free(struct instance_row *, size_t);
int store_instances_local_each(struct store *, void (*)(void *,
    const struct part *, const char *, struct instance_row *), void *);
int store_instance_insert(struct store *, const struct part *, const char *,
    const struct instance_row *);
int store_instance_save(struct store *, const struct part *, const char *,
    const char *, const char *, json_t *);
int store_instance_get(struct store *, const struct part *, const char *,
    const char *, struct instance_row *);
int store_instance_local(struct store *, const struct part *, const char *,
    struct instance_row *);
int store_instances_list(struct store *, const struct part *, const char *,
    const char *, double, const char *, struct instance_row **, size_t *);
int store_instance_usage(struct store *, const struct part *, const char *,
    const char *, struct instance_usage *);
void store_instance_usage_free(struct instance_usage *);

/* task_definitions.c */
int store_taskdef_next_revision(struct store *, const struct part *,
    const char *, int *);
int store_taskdef_insert(struct store *, const struct part *, const char *,
    int, const char *, const char *, double, json_t *);
int store_taskdef_get(struct store *, const struct part *, const char *, int,
    json_t **);
int store_taskdef_text(struct store *, const struct part *, const char *,
    int, struct store_text *);
int store_taskdef_update(struct store *, const struct part *, const char *,
    int, const char *, double, json_t *);
int store_taskdef_list(struct store *, const struct part *, const char *,
    const char *, int, const char *, int, int, json_t *);
int store_taskdef_families(struct store *, const struct part *, const char *,
    const char *, const char *, int, json_t *);

/* services.c - services, service deployments, service revisions:
 * notes/services-contract.md */
struct service_row {
	char *account, *region, *cluster, *name, *arn;
	char *status;             /* ACTIVE, DRAINING or INACTIVE */
	json_t *doc;              /* Service shape without tags, owned */
	json_t *state;            /* the service scheduler's bookkeeping, owned */
	double deleted_at;        /* when it became INACTIVE, 0 if not */
};
void store_service_row_free(struct service_row *);
int store_service_task_states(struct store *, const struct part *,
    const char *, const char *,
    void (*)(void *, const char *, const char *, const char *), void *);
int store_service_text(struct store *, const struct part *, const char *,
    const char *, struct store_text *);
int store_service_get(struct store *, const struct part *, const char *,
    const char *, struct service_row *);
int store_service_put(struct store *, const struct part *, const char *,
    const char *, json_t *, json_t *);
int store_services_list(struct store *, const struct part *, const char *,
    const char *, const char *, const char *, int, json_t *);
int store_services_by_namespace(struct store *, const struct part *,
    const char *, const char *, int, json_t *);
int store_services_live(struct store *,
    void (*)(void *, struct service_row *), void *);
int store_services_expire(struct store *, double);
int store_service_history_clear(struct store *, const struct part *,
    const char *, const char *);
int store_service_tasks(struct store *, const struct part *, const char *,
    const char *, double, void (*)(void *, struct task_row *, double),
    void *);
int store_service_deployment_put(struct store *, const struct part *,
    const char *, const char *, const char *, const char *, json_t *);
int store_service_deployment_get(struct store *, const struct part *,
    const char *, const char *, const char *, json_t **);
int store_service_deployment_of(struct store *, const struct part *,
    const char *, const char *, const char *, json_t **, char *, size_t);
int store_service_deployments_list(struct store *, const struct part *,
    const char *, const char *, json_t *, double, double, double,
    const char *, int, json_t *, json_t *);
int store_service_revision_put(struct store *, const struct part *,
    const char *, const char *, const char *, json_t *);
int store_service_revision_get(struct store *, const struct part *,
    const char *, const char *, const char *, json_t **);

/* task_sets.c - a task set's tasks (task sets live in their service's
 * taskSets[]; api/task_sets.c) */
struct task_set_counts {
	int running;              /* wanted and RUNNING */
	int pending;              /* wanted, not RUNNING yet */
	int stopping;             /* asked to stop, not STOPPED yet */
};
int store_task_set_counts(struct store *, const struct part *, const char *,
    const char *, struct task_set_counts *);
int store_task_set_wanted(struct store *, const struct part *, const char *,
    const char *, json_t *);

/* meta.c */
char *store_meta_get(struct store *, const char *);
int store_meta_set(struct store *, const char *, const char *);

/* schema.c */
extern const char *const store_migrations[];
extern const int store_migration_count;
extern const char *const store_tables[];

#endif
