/*
 * api.h - the api part: HTTP on the libuv loop, the ECS JSON 1.1 envelope,
 * the one table of operations, model-driven validation, ARNs, pagination and
 * one file of handlers per resource. Handlers record desired state in the
 * store and answer; they never talk to Docker.
 */
#ifndef ECSD_API_H
#define ECSD_API_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "../daemon/daemon.h"
#include "../store/store.h"

struct store;
struct uv_loop_s;

/*
 * Every ECS exception ecsd sends, with its HTTP status. The names are the
 * modeled exception shapes of botocore's ECS model: botocore maps __type to
 * a typed exception only when it is one of those.
 */
#define ECS_ERRORS(X)                                                       \
	X(ACCESS_DENIED, "AccessDeniedException", 400)                        \
	X(ATTRIBUTE_LIMIT, "AttributeLimitExceededException", 400)            \
	X(BLOCKED, "BlockedException", 400)                                   \
	X(CLIENT, "ClientException", 400)                                     \
	X(CLUSTER_HAS_CP, "ClusterContainsCapacityProviderException", 400)    \
	X(CLUSTER_HAS_INSTANCES, "ClusterContainsContainerInstancesException", 400) \
	X(CLUSTER_HAS_SERVICES, "ClusterContainsServicesException", 400)      \
	X(CLUSTER_HAS_TASKS, "ClusterContainsTasksException", 400)            \
	X(CLUSTER_NOT_FOUND, "ClusterNotFoundException", 400)                 \
	X(CONFLICT, "ConflictException", 400)                                 \
	X(INVALID_PARAMETER, "InvalidParameterException", 400)                \
	X(LIMIT_EXCEEDED, "LimitExceededException", 400)                      \
	X(MISSING_VERSION, "MissingVersionException", 400)                    \
	X(NAMESPACE_NOT_FOUND, "NamespaceNotFoundException", 400)             \
	X(NO_UPDATE, "NoUpdateAvailableException", 400)                       \
	X(PLATFORM_INCOMPATIBLE, "PlatformTaskDefinitionIncompatibilityException", 400) \
	X(PLATFORM_UNKNOWN, "PlatformUnknownException", 400)                  \
	X(RESOURCE_IN_USE, "ResourceInUseException", 400)                     \
	X(RESOURCE_NOT_FOUND, "ResourceNotFoundException", 400)               \
	X(SERVER, "ServerException", 500)                                     \
	X(DEPLOYMENT_NOT_FOUND, "ServiceDeploymentNotFoundException", 400)    \
	X(SERVICE_NOT_ACTIVE, "ServiceNotActiveException", 400)               \
	X(SERVICE_NOT_FOUND, "ServiceNotFoundException", 400)                 \
	X(TARGET_NOT_CONNECTED, "TargetNotConnectedException", 400)           \
	X(TARGET_NOT_FOUND, "TargetNotFoundException", 400)                   \
	X(TASK_SET_NOT_FOUND, "TaskSetNotFoundException", 400)                \
	X(UNSUPPORTED, "UnsupportedFeatureException", 400)                    \
	X(UPDATE_IN_PROGRESS, "UpdateInProgressException", 400)

enum ecs_error {
	ECS_OK = 0,
#define X(id, name, status) ECS_ERR_##id,
	ECS_ERRORS(X)
#undef X
	ECS_ERR_COUNT
};

/* A growable buffer of JSON text (jtext.c). */
struct jbuf {
	char *s;                  /* NUL-terminated text (heap), or NULL */
	size_t len;
	size_t cap;
	int over;                 /* grew past its cap: the text is cut */
};

/* One member of a JSON object text, as jtext_next finds it. */
struct jmember {
	const char *key;          /* the key's text, inside its quotes */
	size_t klen;
	const char *val;          /* the value's text */
	size_t vlen;
};

/* Where jtext_next reads next in an object text. */
struct jscan {
	const char *p;
	const char *end;
};

/* One ECS request on its way through dispatch. */
struct req {
	const struct op *op;      /* the table row, NULL for unknown targets */
	struct part part;         /* account and region of the caller */
	char region_buf[32];      /* storage behind part.region */
	char request_id[37];      /* x-amzn-RequestId */
	double now;               /* epoch seconds when the request arrived */
	json_t *in;               /* validated input object */
	json_t *out;              /* output object the handler fills */
	struct jbuf *text;        /* or the answer as built text (api_text) */
	struct store *store;
	int scheduler;            /* made by the service scheduler, not a
	                             client: may run INACTIVE revisions, as
	                             ECS services keep doing */
	enum ecs_error err;       /* ECS_OK or the exception to send */
	char *err_msg;            /* its message (heap) */
};

typedef int (*op_fn)(struct req *);

#define OP_WRITE 0x1   /* changes state: runs in a write transaction */

/*
 * What a successful write asks of the scheduler (dispatch.c kicks it). The
 * default is a full pass, so a write that declares nothing is never missed.
 */
enum op_kick {
	KICK_ALL = 0,             /* anything may have changed: a full pass */
	KICK_NONE,                /* nothing the scheduler acts on changed */
	KICK_TASKS,               /* the answer's tasks (tasks[], task) */
	KICK_SERVICE              /* the answer's service (service, taskSet) */
};

struct op {
	const char *name;         /* botocore operation name */
	op_fn fn;                 /* NULL: answered with UnsupportedFeatureException */
	unsigned flags;
	enum op_kick kick;        /* OP_WRITE rows: what the scheduler hears */
	const char *help;         /* one line for the coverage document */
};

/* ops.c */
extern const struct op ops_table[];
extern const size_t ops_count;
const struct op *ops_find(const char *, size_t);

/* dispatch.c */
struct api_response {
	int status;               /* HTTP status */
	char *body;               /* JSON text (heap) */
	size_t len;
	char request_id[37];      /* x-amzn-RequestId */
};
/* One header line of a request, as sent. */
struct api_header {
	const char *name;
	const char *value;
};
/* One HTTP request as http.c received it: everything SigV4 signs. */
struct api_request {
	const char *method;       /* "POST" */
	const char *path;         /* request path as sent, still percent-encoded */
	const char *query;        /* what followed '?', as sent; "" when none */
	const struct api_header *headers; /* every header line, in order */
	size_t n_headers;
	const char *body;
	size_t len;
};
#define API_MAX_HEADERS 128       /* header lines a request may carry */
void api_init(struct store *, const struct config *,
    void (*)(void *, json_t *), void *);
void api_handle(const char *target, const char *authorization,
    const char *body, size_t len, struct api_response *);
void api_handle_request(const struct api_request *, struct api_response *);
int api_authorize(const struct api_request *, struct api_response *);
const char *api_request_header(const struct api_request *, const char *);
int api_fail(struct req *, enum ecs_error, const char *, ...)
    __attribute__((format(printf, 3, 4)));
const char *api_error_name(enum ecs_error);
int api_error_status(enum ecs_error);
const struct config *api_config(void);
struct jbuf *api_text(struct req *);

struct store *api_store(void);

/* admin.c - endpoints outside the ECS protocol */
#define ADMIN_PREFIX "/_ecsd/"
void admin_handle(const char *, const char *, struct api_response *);
void admin_on_reset(void (*)(void *), void *);
void admin_started(const char *);

/* jtext.c */
void jbuf_free(struct jbuf *);
void jbuf_add(struct jbuf *, const char *, size_t);
void jbuf_puts(struct jbuf *, const char *);
void jbuf_sep(struct jbuf *);
void jbuf_str(struct jbuf *, const char *);
void jbuf_strn(struct jbuf *, const char *, size_t);
void jbuf_key(struct jbuf *, const char *);
void jbuf_json(struct jbuf *, const json_t *);
int jbuf_members(struct jbuf *, const char *, size_t, const char *const *);
int jtext_open(struct jscan *, const char *, size_t);
int jtext_next(struct jscan *, struct jmember *);
int jtext_open_array(struct jscan *, const char *, size_t);
int jtext_next_value(struct jscan *, struct jmember *);
int jtext_key_is(const struct jmember *, const char *);
int jtext_member(const char *, size_t, const char *, struct jmember *);
json_t *jtext_member_json(const char *, size_t, const char *);

/* model.c */
int model_init(char **);
void model_free(void);
int model_has_operation(const char *);
int model_is_exception(const char *);
int model_check_input(const char *op, json_t *in, enum ecs_error *,
    char **msg);
int model_check_output(const char *op, json_t *out, char **msg);
json_t *model_operations(void);

/* http.c */
struct http;
struct http *http_start(struct uv_loop_s *, const struct config *, char **);
int http_port(struct http *);
void http_stop(struct http *, void (*)(void *), void *);

/* input.c - reading validated input members */
const char *in_str(struct req *, const char *);
json_t *in_get(struct req *, const char *);
int in_int(struct req *, const char *, int);
int in_bool(struct req *, const char *, int);
int in_has(struct req *, const char *, const char *);
int in_max_results(struct req *, int, int, int *);

/* arn.c */
enum arn_kind {
	ARN_CLUSTER, ARN_TASK_DEFINITION, ARN_SERVICE, ARN_TASK,
	ARN_CONTAINER_INSTANCE, ARN_CAPACITY_PROVIDER, ARN_TASK_SET,
	ARN_OTHER
};
struct arn {
	enum arn_kind kind;
	char region[32];
	char account[16];
	char resource[32];        /* the type word: cluster, task, ... */
	char cluster[256];        /* cluster name where the ARN has one */
	char name[512];           /* the rest after the type and cluster */
};
int arn_parse(const char *, struct arn *);
char *arn_make(const struct part *, const char *, const char *);
int arn_name(const char *, const char *, char *, size_t);
int name_valid(const char *, size_t);
int cluster_name_of(struct req *, const char *, char *, size_t);

/* page.c */
char *page_token_make(const char *);
int page_token_read(struct req *, const char *, char **);
int page_token_refuse(struct req *);

/* task_protection.c */
int op_update_task_protection(struct req *);
int op_get_task_protection(struct req *);

/* clusters.c */
int clusters_require_active(struct req *, const char *, char *, size_t);
int op_create_cluster(struct req *);
int op_describe_clusters(struct req *);
int op_list_clusters(struct req *);
int op_update_cluster(struct req *);
int op_update_cluster_settings(struct req *);
int op_put_cluster_capacity_providers(struct req *);
int op_delete_cluster(struct req *);

/* capacity_providers.c */
int capacity_provider_builtin(const char *);
int op_create_capacity_provider(struct req *);
int op_describe_capacity_providers(struct req *);
int op_update_capacity_provider(struct req *);
int op_delete_capacity_provider(struct req *);

/* account_settings.c */
int account_setting_effective(struct req *, const char *, char *, size_t);
int op_put_account_setting(struct req *);
int op_put_account_setting_default(struct req *);
int op_delete_account_setting(struct req *);
int op_list_account_settings(struct req *);

/* attributes.c */
int op_put_attributes(struct req *);
int op_delete_attributes(struct req *);
int op_list_attributes(struct req *);

/* tags.c */
int tags_validate(struct req *, json_t *, json_t *);
int tags_arn_parse(const char *, struct arn *);
int op_tag_resource(struct req *);
int op_untag_resource(struct req *);
int op_list_tags_for_resource(struct req *);

/* task_definitions.c */
int op_register_task_definition(struct req *);
int op_describe_task_definition(struct req *);
int op_list_task_definitions(struct req *);
int op_list_task_definition_families(struct req *);
int op_deregister_task_definition(struct req *);
int op_delete_task_definitions(struct req *);
int taskdef_resolve(struct req *, const char *, json_t **);

/* taskdef_validate.c - pure checks of a RegisterTaskDefinition document */
struct td_check {
	enum ecs_error code;      /* the exception to send */
	char msg[512];            /* its message */
};
int taskdef_cpu_parse(const char *, long *);
int taskdef_memory_parse(const char *, long *);
int taskdef_fargate_size_valid(long, long);
const char *taskdef_fargate_misfit(json_t *, char *, size_t);
int taskdef_validate(json_t *, struct td_check *);
json_t *taskdef_compatibilities(json_t *);
json_t *taskdef_requires_attributes(json_t *);
int taskdef_ref_parse(const char *, const struct part *, char *, size_t,
    int *);

/* container_instances.c */
/* A container instance as placement sees it. */
struct ci_host {
	struct instance_row row;
	json_t *attrs;            /* [{name[, value]}] */
	struct instance_usage use; /* what its live tasks hold */
	long long cpu_total;      /* registered CPU units */
	long long mem_total;      /* registered MiB */
	json_t *own_tcp, *own_udp; /* ports reserved at registration */
	int connected;            /* the local engine, agentConnected */
};
int instances_ensure_local(struct req *, const char *);
int instances_release_local(struct req *, const char *);
const char *instances_host_arch(void);
int instances_ref_id(struct req *, const char *, const char *, const char *,
    char *, size_t);
char *instances_ref_arn(struct req *, const char *, const char *,
    const char *);
json_t *instances_describe(struct req *, const char *, struct instance_row *,
    int, int);
int instances_hosts_load(struct req *, const char *, struct ci_host **,
    size_t *);
int instances_host_load(struct req *, const char *, const char *,
    struct ci_host *);
void instances_hosts_free(struct ci_host *, size_t);
int instances_query(struct req *, const char *, const char *,
    const struct ci_host *);
int op_list_container_instances(struct req *);
int op_describe_container_instances(struct req *);
int op_register_container_instance(struct req *);
int op_deregister_container_instance(struct req *);
int op_update_container_instances_state(struct req *);

/* sigv4.c - AWS Signature Version 4 verification (--auth-keys) */
struct sigv4_result {
	const char *type;         /* exception name when verification failed */
	int status;               /* its HTTP status */
	char msg[1024];           /* its message */
	char access_key[129];     /* the caller's access key id */
	char region[32];          /* the credential scope's region */
	char account[13];         /* the key's account; "" means --account */
};
int sigv4_keys_load(const char *, char **);
int sigv4_keys_parse(json_t *, char **);
void sigv4_keys_free(void);
int sigv4_enabled(void);
int sigv4_verify(const struct api_request *, const char *, time_t,
    struct sigv4_result *);
char *sigv4_canonical_request(const struct api_request *, const char *,
    const char *);
char *sigv4_string_to_sign(const char *, const char *, const char *);
void sigv4_signature(const char *, const char *, const char *, const char *,
    const char *, char *);
void sigv4_sha256_hex(const void *, size_t, char *);
void sigv4_hmac_sha256(const void *, size_t, const void *, size_t,
    unsigned char *);
int sigv4_time_parse(const char *, time_t *);

/* policy.c - what a task may ask of the host (--deny-privileged, ...) */
int policy_violation(const struct config *, json_t *, json_t *, char *,
    size_t);
int policy_path_allowed(const char *, const char *);
int policy_check(struct req *, json_t *, json_t *);

/* services.c */
/* A new PRIMARY deployment of a service (services_deploy). */
struct services_deploy {
	const char *cluster;      /* cluster name */
	json_t *svc;              /* the Service document, changed in place */
	json_t *state;            /* its scheduler state, changed in place */
	json_t *cfg;              /* what it runs: taskDefinition, launchType or
	                           * capacityProviderStrategy, platformVersion,
	                           * platformFamily, networkConfiguration,
	                           * loadBalancers, serviceRegistries,
	                           * containerImages */
	double now;
	const char *rollback_sd;  /* service deployment rolling back, or NULL */
	const char *reason;       /* why it rolls back */
};
int services_deploy(struct store *, const struct part *,
    struct services_deploy *);
void services_deployment_id_new(char *, size_t);
void services_event_add(json_t *, double, const char *, ...)
    __attribute__((format(printf, 3, 4)));
json_t *services_deployment_find(json_t *, const char *);
char *services_revision_arn(const struct part *, const char *, const char *,
    const char *);
int services_counts_refresh(struct store *, const struct part *,
    const char *, json_t *);
int services_breaker_threshold(int);
int op_create_service(struct req *);
int op_update_service(struct req *);
int op_delete_service(struct req *);
int op_describe_services(struct req *);
int op_list_services(struct req *);
int op_list_service_deployments(struct req *);
int op_describe_service_deployments(struct req *);
int op_describe_service_revisions(struct req *);
int op_stop_service_deployment(struct req *);

/* tasks.c */
int op_run_task(struct req *);
int placement_validate(struct req *, json_t *, json_t *, const char *,
    const char *);
int op_start_task(struct req *);
int op_stop_task(struct req *);
int op_describe_tasks(struct req *);
int op_list_tasks(struct req *);

/* task_sets.c */
int task_sets_refresh(struct req *, const char *, json_t *);
int task_sets_reconcile(struct req *, struct service_row *, int *);
int op_create_task_set(struct req *);
int op_update_task_set(struct req *);
int op_delete_task_set(struct req *);
int op_describe_task_sets(struct req *);
int op_update_service_primary_task_set(struct req *);

/* services_ns.c */
int op_list_services_by_namespace(struct req *);

#endif
