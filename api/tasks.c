/*
 * tasks.c - RunTask, StartTask, StopTask, DescribeTasks and ListTasks: the
 * DESIRED side of tasks. A handler checks the request as ECS does, places
 * the tasks on container instances (resources, constraints, strategies) and
 * writes each one as a Task document plus the frozen spec of what to run
 * (notes/tasks-contract.md); then it answers at once with lastStatus
 * PROVISIONING. The scheduler reads those rows, starts the containers and
 * writes what it OBSERVES into the same documents. Nothing here talks to
 * Docker.
 *
 *   RunTask/StartTask ──> PROVISIONING, desired RUNNING ──(scheduler)──> ...
 *   StopTask ───────────> desired STOPPED, stoppingAt ────(scheduler)──> STOPPED
 *
 * Placement accounting never stores counters: what an instance has left is
 * computed from the tasks on it that are not STOPPED (store_instance_usage),
 * and a task holds its task-level cpu and memory, or the sum of its
 * containers' (memory: the hard limit, else the reservation), plus the
 * static host ports of its port mappings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

#define MAX_COUNT 10              /* tasks per RunTask */
#define MAX_START 10              /* instances per StartTask */
#define MAX_DESCRIBE 100
#define MAX_CONSTRAINTS 10        /* task definition's and the request's */
#define MAX_STRATEGIES 5
#define MAX_OVERRIDES_LEN 8192    /* ECS's cap on the overrides JSON */
#define MAX_REASON 1024
#define RUN_STARTED_BY_MAX 128
#define START_STARTED_BY_MAX 36
#define FARGATE_PLATFORM "1.4.0"

/* What every task of one RunTask or StartTask shares. */
struct launch {
	char cluster[256];
	char *cluster_arn;
	json_t *td;               /* the task definition document (owned) */
	const char *td_arn;
	char family[256];
	const char *launch_type;  /* EC2, FARGATE or EXTERNAL */
	const char *provider;     /* capacityProviderName, or NULL */
	const char *network_mode; /* bridge, host, none, awsvpc */
	json_t *netconf;          /* networkConfiguration as given, or NULL */
	json_t *overrides;        /* the request's overrides, or {} (owned) */
	json_t *containers;       /* effective definitions (owned) */
	long task_cpu, task_mem;  /* task-level size, 0 when none */
	long long need_cpu, need_mem; /* what placement reserves */
	json_t *tcp, *udp;        /* static host ports it holds (owned) */
	char group[300];
	const char *started_by;
	json_t *tags;             /* the task's tags (owned) */
	json_t *constraints;      /* task definition's + request's (owned) */
	json_t *strategies;       /* borrowed from the request */
	int exec;                 /* enableExecuteCommand */
	json_t *tasks, *failures; /* the response lists (borrowed) */
};

static void
launch_free(struct launch *L)
{
	free(L->cluster_arn);
	json_decref(L->td);
	json_decref(L->overrides);
	json_decref(L->containers);
	json_decref(L->tcp);
	json_decref(L->udp);
	json_decref(L->tags);
	json_decref(L->constraints);
}

static const char *
str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static long long
num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? (long long)json_number_value(v) : 0;
}

static int
same(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* ---- overrides ---- */

static json_t *
find_named(json_t *list, const char *key, const char *name)
{
	json_t *e;
	size_t i;

	json_array_foreach(list, i, e) {
		if (same(str(e, key), name))
			return e;
	}
	return NULL;
}

/* Replaces same-keyed entries of base with those of over, appends the rest. */
static void
merge_by(json_t *base, json_t *over, const char *key)
{
	json_t *e;
	size_t i;

	json_array_foreach(over, i, e) {
		json_t *old = NULL, *b;
		size_t j;

		json_array_foreach(base, j, b) {
			if (same(str(b, key), str(e, key))) {
				old = b;
				break;
			}
		}
		if (old != NULL)
			json_array_set(base, j, e);
		else
			json_array_append(base, e);
	}
}

/* Applies one containerOverride to a copy of its container definition. */
static void
apply_override(json_t *ct, json_t *ov)
{
	static const char *const replaced[] = { "command", "environmentFiles",
	    "cpu", "memory", "memoryReservation" };
	json_t *v;

	for (size_t i = 0; i < sizeof replaced / sizeof replaced[0]; i++) {
		v = json_object_get(ov, replaced[i]);
		if (v != NULL && !json_is_null(v))
			json_object_set(ct, replaced[i], v);
	}
	v = json_object_get(ov, "environment");
	if (json_is_array(v)) {
		json_t *env = json_object_get(ct, "environment");

		if (!json_is_array(env)) {
			env = json_array();
			json_object_set_new(ct, "environment", env);
		}
		merge_by(env, v, "name");
	}
	v = json_object_get(ov, "resourceRequirements");
	if (json_is_array(v)) {
		json_t *rr = json_object_get(ct, "resourceRequirements");

		if (!json_is_array(rr)) {
			rr = json_array();
			json_object_set_new(ct, "resourceRequirements", rr);
		}
		merge_by(rr, v, "type");
	}
}

/*
 * The effective container definitions: the definition's, in order, with
 * the request's containerOverrides merged in; and the task-level size.
 */
static int
build_containers(struct req *r, struct launch *L)
{
	json_t *defs = json_object_get(L->td, "containerDefinitions");
	json_t *ovs = json_object_get(L->overrides, "containerOverrides");
	json_t *ov, *ct;
	size_t i;
	char *text;
	size_t len;

	text = json_dumps(L->overrides, JSON_COMPACT);
	len = text != NULL ? strlen(text) : 0;
	free(text);
	if (len > MAX_OVERRIDES_LEN)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Container Overrides "
		    "length must be at most %d characters.", MAX_OVERRIDES_LEN);
	json_array_foreach(ovs, i, ov) {
		const char *name = str(ov, "name");

		if (name == NULL)
			return api_fail(r, ECS_ERR_INVALID_PARAMETER, "A container "
			    "override must name its container.");
		if (find_named(defs, "name", name) == NULL)
			return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Override for "
			    "container named %s is not a container in the "
			    "TaskDefinition.", name);
	}
	L->containers = json_array();
	json_array_foreach(defs, i, ct) {
		json_t *copy = json_deep_copy(ct);
		size_t j;

		json_array_foreach(ovs, j, ov) {
			if (same(str(ov, "name"), str(ct, "name")))
				apply_override(copy, ov);
		}
		if (num(copy, "memory") > 0 && num(copy, "memoryReservation") >
		    num(copy, "memory")) {
			json_decref(copy);
			return api_fail(r, ECS_ERR_INVALID_PARAMETER, "The memory "
			    "reservation of container %s must not exceed its memory "
			    "limit.", str(ct, "name"));
		}
		json_array_append_new(L->containers, copy);
	}
	return 0;
}

/* Task-level cpu and memory: the definition's, or the override's. */
static int
task_size(struct req *r, struct launch *L)
{
	const char *cpu = str(L->overrides, "cpu");
	const char *mem = str(L->overrides, "memory");

	if (cpu == NULL)
		cpu = str(L->td, "cpu");
	if (mem == NULL)
		mem = str(L->td, "memory");
	if (cpu != NULL && taskdef_cpu_parse(cpu, &L->task_cpu) != 0)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Invalid 'cpu' setting "
		    "for task.");
	if (mem != NULL && taskdef_memory_parse(mem, &L->task_mem) != 0)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Invalid 'memory' "
		    "setting for task.");
	if (same(L->launch_type, "FARGATE") &&
	    !taskdef_fargate_size_valid(L->task_cpu, L->task_mem))
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "No Fargate "
		    "configuration exists for given values: %ld CPU, %ld memory. "
		    "See the Amazon ECS documentation for the valid values.",
		    L->task_cpu, L->task_mem);
	return 0;
}

static void
port_add(json_t *list, long long port)
{
	json_t *v;
	size_t i;

	json_array_foreach(list, i, v) {
		if (json_integer_value(v) == port)
			return;
	}
	json_array_append_new(list, json_integer(port));
}

/* What placement reserves for one task: cpu, memory, static host ports. */
static void
task_needs(struct launch *L)
{
	json_t *ct, *pm;
	size_t i, j;

	L->need_cpu = L->task_cpu;
	L->need_mem = L->task_mem;
	L->tcp = json_array();
	L->udp = json_array();
	json_array_foreach(L->containers, i, ct) {
		long long mem = num(ct, "memory");

		if (L->task_cpu == 0)
			L->need_cpu += num(ct, "cpu");
		if (L->task_mem == 0)
			L->need_mem += mem > 0 ? mem : num(ct, "memoryReservation");
		json_array_foreach(json_object_get(ct, "portMappings"), j, pm) {
			long long port = num(pm, "hostPort");

			if (same(L->network_mode, "host") && port == 0)
				port = num(pm, "containerPort");
			else if (!same(L->network_mode, "bridge") &&
			    !same(L->network_mode, "host"))
				continue;
			if (port > 0)
				port_add(same(str(pm, "protocol"), "udp") ? L->udp : L->tcp,
				    port);
		}
	}
}

/* ---- checking the request ---- */

static int
launch_type_of(struct req *r, struct launch *L)
{
	const char *lt = in_str(r, "launchType");
	json_t *cps = in_get(r, "capacityProviderStrategy"), *item, *pick = NULL;
	size_t i;

	if (lt != NULL && json_array_size(cps) > 0)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Specifying both a "
		    "launch type and capacity provider strategy is not supported. "
		    "Remove one and try again.");
	if (lt != NULL && same(lt, "MANAGED_INSTANCES"))
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "The launch type "
		    "MANAGED_INSTANCES needs a capacity provider strategy.");
	L->launch_type = lt != NULL ? lt : "EC2";
	if (json_array_size(cps) > 20)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "A capacity provider "
		    "strategy can contain at most 20 capacity providers.");
	/* The provider the task goes to: the first with a base, else the
	 * heaviest. Every task of the call goes to the same one. */
	json_array_foreach(cps, i, item) {
		if (num(item, "base") > 0) {
			pick = item;
			break;
		}
		if (pick == NULL || num(item, "weight") > num(pick, "weight"))
			pick = item;
	}
	if (pick != NULL) {
		L->provider = str(pick, "capacityProvider");
		L->launch_type = same(L->provider, "FARGATE") ||
		    same(L->provider, "FARGATE_SPOT") ? "FARGATE" : "EC2";
	}
	return 0;
}

static int
check_compatibility(struct req *r, struct launch *L)
{
	json_t *compat = json_object_get(L->td, "compatibilities"), *e;
	size_t i;
	int ok = 0;

	if (!json_is_array(compat))
		return 0;
	json_array_foreach(compat, i, e) {
		if (same(json_string_value(e), L->launch_type))
			ok = 1;
	}
	if (!ok)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Task definition does "
		    "not support launch_type %s.", L->launch_type);
	return 0;
}

static int
check_network(struct req *r, struct launch *L)
{
	json_t *nc = in_get(r, "networkConfiguration");
	json_t *vpc = json_object_get(nc, "awsvpcConfiguration");

	L->network_mode = str(L->td, "networkMode");
	if (L->network_mode == NULL)
		L->network_mode = "bridge";
	if (same(L->network_mode, "awsvpc")) {
		if (!json_is_object(vpc))
			return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Network "
			    "Configuration must be provided when networkMode 'awsvpc' "
			    "is specified.");
		if (json_array_size(json_object_get(vpc, "subnets")) == 0)
			return api_fail(r, ECS_ERR_INVALID_PARAMETER,
			    "subnets can not be empty.");
		if (json_array_size(json_object_get(vpc, "subnets")) > 16)
			return api_fail(r, ECS_ERR_INVALID_PARAMETER, "At most 16 "
			    "subnets can be given.");
		if (json_array_size(json_object_get(vpc, "securityGroups")) > 5)
			return api_fail(r, ECS_ERR_INVALID_PARAMETER, "At most 5 "
			    "security groups can be given.");
		L->netconf = nc;
	} else if (json_is_object(vpc)) {
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Network "
		    "Configuration is not valid for the given networkMode of this "
		    "task definition.");
	}
	return 0;
}

/*
 * Placement constraints and strategies as ECS checks them, for tasks and
 * services alike (`what` names the resource in the limit's message).
 */
int
placement_validate(struct req *r, json_t *constraints, json_t *strategies,
    const char *launch_type, const char *what)
{
	json_t *c;
	size_t i;

	if (same(launch_type, "FARGATE") &&
	    (json_array_size(constraints) > 0 || json_array_size(strategies) > 0))
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Task placement "
		    "constraints and strategies are not supported for the FARGATE "
		    "launch type.");
	if (json_array_size(constraints) > MAX_CONSTRAINTS)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "A %s can have at "
		    "most %d placement constraints.", what, MAX_CONSTRAINTS);
	if (json_array_size(strategies) > MAX_STRATEGIES)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "At most %d placement "
		    "strategies can be given.", MAX_STRATEGIES);
	json_array_foreach(constraints, i, c) {
		const char *type = str(c, "type"), *e = str(c, "expression");

		if (same(type, "distinctInstance")) {
			if (e != NULL)
				return api_fail(r, ECS_ERR_INVALID_PARAMETER, "A "
				    "distinctInstance constraint takes no expression.");
		} else if (same(type, "memberOf")) {
			if (e == NULL || *e == '\0')
				return api_fail(r, ECS_ERR_INVALID_PARAMETER, "A memberOf "
				    "constraint needs an expression.");
			if (instances_query(r, "placement constraint", e, NULL) < 0)
				return -1;
		} else {
			return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Placement "
			    "constraint type must be distinctInstance or memberOf.");
		}
	}
	json_array_foreach(strategies, i, c) {
		const char *type = str(c, "type"), *f = str(c, "field");

		if (same(type, "random"))
			continue;
		if (same(type, "binpack")) {
			if (f == NULL || (strcasecmp(f, "cpu") != 0 &&
			    strcasecmp(f, "memory") != 0))
				return api_fail(r, ECS_ERR_INVALID_PARAMETER, "The binpack "
				    "placement strategy needs the field cpu or memory.");
		} else if (same(type, "spread")) {
			if (f == NULL || (strcasecmp(f, "instanceId") != 0 &&
			    strcasecmp(f, "host") != 0 &&
			    (strncmp(f, "attribute:", 10) != 0 || f[10] == '\0')))
				return api_fail(r, ECS_ERR_INVALID_PARAMETER, "The spread "
				    "placement strategy needs the field instanceId, host or "
				    "attribute:<name>.");
		} else {
			return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Placement "
			    "strategy type must be random, spread or binpack.");
		}
	}
	return 0;
}

/* The task's constraints: its definition's and the request's together. */
static int
check_placement(struct req *r, struct launch *L)
{
	L->constraints = json_array();
	json_array_extend(L->constraints, json_object_get(L->td,
	    "placementConstraints"));
	json_array_extend(L->constraints, in_get(r, "placementConstraints"));
	L->strategies = in_get(r, "placementStrategy");
	return placement_validate(r, L->constraints, L->strategies,
	    L->launch_type, "task");
}

/* The task's tags: the request's, over the definition's when propagated. */
static int
task_tags(struct req *r, struct launch *L, int start)
{
	const char *prop = in_str(r, "propagateTags");
	json_t *tags = in_get(r, "tags"), *td_tags = NULL, *t;
	size_t i;

	if (same(prop, "SERVICE"))
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "The propagateTags "
		    "value SERVICE is only valid for tasks a service starts; %s "
		    "accepts TASK_DEFINITION or NONE.", start ? "StartTask" :
		    "RunTask");
	if (same(prop, "TASK_DEFINITION"))
		td_tags = store_tags_get(r->store, L->td_arn);
	if (tags_validate(r, tags, td_tags) != 0) {
		json_decref(td_tags);
		return -1;
	}
	L->tags = json_array();
	json_array_foreach(td_tags, i, t) {
		if (find_named(tags, "key", str(t, "key")) == NULL)
			json_array_append(L->tags, t);
	}
	json_array_extend(L->tags, tags);
	json_decref(td_tags);
	return 0;
}

/* Everything RunTask and StartTask check before placing anything. */
static int
launch_prepare(struct req *r, struct launch *L, int start)
{
	const char *by = in_str(r, "startedBy");
	const char *group = in_str(r, "group");
	const char *status;
	size_t by_max = start ? START_STARTED_BY_MAX : RUN_STARTED_BY_MAX;

	if (clusters_require_active(r, in_str(r, "cluster"), L->cluster,
	    sizeof L->cluster) != 0)
		return -1;
	L->cluster_arn = arn_make(&r->part, "cluster", L->cluster);
	if (!start && launch_type_of(r, L) != 0)
		return -1;
	if (start)
		L->launch_type = "EC2";
	if (taskdef_resolve(r, in_str(r, "taskDefinition"), &L->td) != 0)
		return -1;
	L->td_arn = str(L->td, "taskDefinitionArn");
	status = str(L->td, "status");
	/* Clients cannot run a deregistered revision; a service that uses one
	 * keeps launching it (ECS), so the service scheduler may. */
	if (status != NULL && !same(status, "ACTIVE") &&
	    !(r->scheduler && same(status, "INACTIVE")))
		return api_fail(r, ECS_ERR_CLIENT, "TaskDefinition is inactive");
	snprintf(L->family, sizeof L->family, "%s", str(L->td, "family") ?
	    str(L->td, "family") : "");
	if (check_compatibility(r, L) != 0 || check_network(r, L) != 0)
		return -1;
	L->overrides = in_get(r, "overrides") ? json_deep_copy(in_get(r,
	    "overrides")) : json_object();
	if (build_containers(r, L) != 0 || task_size(r, L) != 0)
		return -1;
	if (policy_check(r, L->td, L->containers) != 0)
		return -1;            /* --deny-privileged and friends (policy.c) */
	task_needs(L);
	if (by != NULL && strlen(by) > by_max)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "startedBy must be at "
		    "most %zu characters.", by_max);
	L->started_by = by;
	if (group != NULL && (strlen(group) == 0 || strlen(group) > 255))
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "group must be 1 to "
		    "255 characters.");
	if (group != NULL)
		snprintf(L->group, sizeof L->group, "%s", group);
	else
		snprintf(L->group, sizeof L->group, "family:%s", L->family);
	if (!start && check_placement(r, L) != 0)
		return -1;
	if (task_tags(r, L, start) != 0)
		return -1;
	L->exec = in_bool(r, "enableExecuteCommand", 0);
	return 0;
}

/* ---- the task document and spec ---- */

static json_t *
container_doc(struct launch *L, json_t *ct, const char *task_arn,
    const char *task_id, const struct part *p)
{
	char uuid[37], rest[400], buf[32], *arn;
	json_t *o;

	uuid4(uuid);
	snprintf(rest, sizeof rest, "%s/%s/%s", L->cluster, task_id, uuid);
	arn = arn_make(p, "container", rest);
	snprintf(buf, sizeof buf, "%lld", num(ct, "cpu"));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[]}", "containerArn", arn,
	    "taskArn", task_arn, "name", str(ct, "name"), "image",
	    str(ct, "image") ? str(ct, "image") : "", "lastStatus", "PENDING",
	    "cpu", buf, "networkInterfaces");
	free(arn);
	if (num(ct, "memory") > 0) {
		snprintf(buf, sizeof buf, "%lld", num(ct, "memory"));
		json_object_set_new(o, "memory", json_string(buf));
	}
	if (num(ct, "memoryReservation") > 0) {
		snprintf(buf, sizeof buf, "%lld", num(ct, "memoryReservation"));
		json_object_set_new(o, "memoryReservation", json_string(buf));
	}
	if (json_object_get(ct, "healthCheck") != NULL)
		json_object_set_new(o, "healthStatus", json_string("UNKNOWN"));
	return o;
}

/* The overrides member of a Task: one entry per container, as ECS shows. */
static json_t *
overrides_doc(struct launch *L)
{
	json_t *out = json_deep_copy(L->overrides), *list = json_array(), *ct;
	json_t *given = json_object_get(L->overrides, "containerOverrides");
	size_t i;

	json_array_foreach(L->containers, i, ct) {
		json_t *ov = find_named(given, "name", str(ct, "name"));

		json_array_append_new(list, ov != NULL ? json_deep_copy(ov) :
		    json_pack("{s:s}", "name", str(ct, "name")));
	}
	json_object_set_new(out, "containerOverrides", list);
	if (json_object_get(out, "inferenceAcceleratorOverrides") == NULL)
		json_object_set_new(out, "inferenceAcceleratorOverrides",
		    json_array());
	return out;
}

static json_t *
attachments_doc(struct launch *L)
{
	json_t *vpc = json_object_get(L->netconf, "awsvpcConfiguration");
	char uuid[37];

	if (!same(L->network_mode, "awsvpc"))
		return json_array();
	uuid4(uuid);
	return json_pack("[{s:s, s:s, s:s, s:[{s:s, s:s}]}]", "id", uuid,
	    "type", "ElasticNetworkInterface", "status", "PRECREATED", "details",
	    "name", "subnetId", "value",
	    json_string_value(json_array_get(json_object_get(vpc, "subnets"), 0)));
}

/*
 * Creates one task on host (NULL: Fargate, which has no instance; local is
 * then the engine that will run it) and adds it to the response.
 */
static int
task_create(struct req *r, struct launch *L, struct ci_host *host,
    const char *local_id)
{
	char id[33], rest[300], az[48], buf[32];
	json_t *doc, *spec, *containers, *ct, *resp;
	char *arn;
	size_t i;
	int rc;

	random_hex(id, 32);
	id[32] = '\0';
	snprintf(rest, sizeof rest, "%s/%s", L->cluster, id);
	arn = arn_make(&r->part, "task", rest);
	snprintf(az, sizeof az, "%sa", r->part.region);
	containers = json_array();
	json_array_foreach(L->containers, i, ct)
		json_array_append_new(containers, container_doc(L, ct, arn, id,
		    &r->part));
	doc = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:f, s:I, s:s, s:s, "
	    "s:b, s:s, s:[{s:s, s:s}], s:o, s:s, s:o}",
	    "taskArn", arn, "clusterArn", L->cluster_arn,
	    "taskDefinitionArn", L->td_arn, "overrides", overrides_doc(L),
	    "lastStatus", "PROVISIONING", "desiredStatus", "RUNNING",
	    "createdAt", r->now, "version", (json_int_t)1,
	    "launchType", L->launch_type, "group", L->group,
	    "enableExecuteCommand", L->exec, "availabilityZone", az,
	    "attributes", "name", "ecs.cpu-architecture", "value",
	    instances_host_arch(), "containers", containers,
	    "healthStatus", "UNKNOWN", "attachments", attachments_doc(L));
	snprintf(buf, sizeof buf, "%lld", L->need_cpu);
	json_object_set_new(doc, "cpu", json_string(buf));
	snprintf(buf, sizeof buf, "%lld", L->need_mem);
	json_object_set_new(doc, "memory", json_string(buf));
	if (host != NULL)
		json_object_set_new(doc, "containerInstanceArn",
		    json_string(host->row.arn));
	if (L->started_by != NULL)
		json_object_set_new(doc, "startedBy", json_string(L->started_by));
	if (L->provider != NULL)
		json_object_set_new(doc, "capacityProviderName",
		    json_string(L->provider));
	if (same(L->launch_type, "FARGATE")) {
		const char *pv = in_str(r, "platformVersion");

		json_object_set_new(doc, "platformVersion", json_string(pv == NULL ||
		    same(pv, "LATEST") ? FARGATE_PLATFORM : pv));
		json_object_set_new(doc, "platformFamily", json_string("Linux"));
		json_object_set_new(doc, "ephemeralStorage",
		    json_pack("{s:i}", "sizeInGiB", 20));
	}
	spec = json_pack("{s:O, s:O, s:O, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "taskDefinition", L->td, "overrides", L->overrides,
	    "containers", L->containers, "networkMode", L->network_mode,
	    "region", r->part.region, "account", r->part.account,
	    "cluster", L->cluster, "clusterArn", L->cluster_arn,
	    "containerInstanceId", host != NULL ? host->row.id :
	    (local_id != NULL ? local_id : ""), "launchType", L->launch_type);
	json_object_set_new(spec, "cpu", L->task_cpu > 0 ?
	    json_integer(L->task_cpu) : json_null());
	json_object_set_new(spec, "memory", L->task_mem > 0 ?
	    json_integer(L->task_mem) : json_null());
	if (L->netconf != NULL)
		json_object_set(spec, "networkConfiguration", L->netconf);
	/* filed under a service only when its scheduler made it */
	rc = store_task_insert(r->store, &r->part, L->cluster, id,
	    r->scheduler && strncmp(L->group, "service:", 8) == 0 ?
	    L->group + 8 : NULL, doc, spec);
	if (rc == STORE_OK && json_array_size(L->tags) > 0)
		rc = store_tags_set(r->store, arn, L->tags);
	if (rc == STORE_OK) {
		resp = json_deep_copy(doc);
		if (json_array_size(L->tags) > 0)
			json_object_set(resp, "tags", L->tags);
		json_array_append_new(L->tasks, resp);
	}
	json_decref(doc);
	json_decref(spec);
	free(arn);
	if (rc != STORE_OK)
		return api_fail(r, ECS_ERR_SERVER, "The store could not save the "
		    "task: %s", store_errmsg(r->store));
	return 0;
}

/* What a placed task now holds on its host, for the next placement. */
static void
host_take(struct launch *L, struct ci_host *h)
{
	json_t *v;
	size_t i;

	h->use.cpu += L->need_cpu;
	h->use.memory += L->need_mem;
	h->use.live++;
	h->use.pending++;
	json_array_foreach(L->tcp, i, v)
		port_add(h->use.tcp, json_integer_value(v));
	json_array_foreach(L->udp, i, v)
		port_add(h->use.udp, json_integer_value(v));
	json_array_foreach(h->use.groups, i, v) {
		if (same(json_string_value(v), L->group))
			return;
	}
	json_array_append_new(h->use.groups, json_string(L->group));
}

static int
ports_clash(json_t *need, json_t *own, json_t *used)
{
	json_t *v, *w;
	size_t i, j;

	json_array_foreach(need, i, v) {
		json_array_foreach(own, j, w) {
			if (json_integer_value(v) == json_integer_value(w))
				return 1;
		}
		json_array_foreach(used, j, w) {
			if (json_integer_value(v) == json_integer_value(w))
				return 1;
		}
	}
	return 0;
}

/*
 * Why the task cannot go on host, in ECS's words, or NULL when it can.
 * -1 (exception recorded) only for a broken memberOf expression.
 */
static int
host_misfit(struct req *r, struct launch *L, struct ci_host *h,
    int constraints, const char **why)
{
	json_t *c, *g;
	size_t i;

	*why = NULL;
	if (same(h->row.status, "DRAINING")) {
		*why = "DRAINING";
		return 0;
	}
	if (!h->connected) {
		*why = "AGENT";
		return 0;
	}
	json_array_foreach(constraints ? L->constraints : NULL, i, c) {
		if (same(str(c, "type"), "memberOf")) {
			int m = instances_query(r, "placement constraint",
			    str(c, "expression"), h);

			if (m < 0)
				return -1;
			if (m == 0) {
				*why = "MemberOf placement constraint unsatisfied.";
				return 0;
			}
		} else if (same(str(c, "type"), "distinctInstance")) {
			size_t j;

			json_array_foreach(h->use.groups, j, g) {
				if (same(json_string_value(g), L->group)) {
					*why = "DistinctInstance placement constraint "
					    "unsatisfied.";
					return 0;
				}
			}
		}
	}
	if (h->cpu_total - h->use.cpu < L->need_cpu)
		*why = "RESOURCE:CPU";
	else if (h->mem_total - h->use.memory < L->need_mem)
		*why = "RESOURCE:MEMORY";
	else if (ports_clash(L->tcp, h->own_tcp, h->use.tcp) ||
	    ports_clash(L->udp, h->own_udp, h->use.udp))
		*why = "RESOURCE:PORTS";
	return 0;
}

/* One failures entry per (arn, reason). */
static void
failure_add(json_t *failures, const char *arn, const char *reason)
{
	json_t *f;
	size_t i;

	json_array_foreach(failures, i, f) {
		if (same(str(f, "arn"), arn) && same(str(f, "reason"), reason))
			return;
	}
	json_array_append_new(failures, json_pack("{s:s, s:s}", "arn", arn,
	    "reason", reason));
}

/* The value a spread field takes on a host. */
static const char *
spread_value(struct ci_host *h, const char *field)
{
	json_t *a;
	size_t i;

	if (strncmp(field, "attribute:", 10) != 0)
		return h->row.id;
	json_array_foreach(h->attrs, i, a) {
		if (same(str(a, "name"), field + 10))
			return str(a, "value") ? str(a, "value") : "";
	}
	return "";
}

/* Tasks on the hosts that share h's value of a spread field. */
static long long
spread_load(struct ci_host *hosts, size_t n, struct ci_host *h,
    const char *field)
{
	const char *v = spread_value(h, field);
	long long load = 0;

	for (size_t i = 0; i < n; i++) {
		if (same(spread_value(&hosts[i], field), v))
			load += hosts[i].use.live;
	}
	return load;
}

/*
 * Whether host a goes before host b under the strategies, in order; the
 * first that tells them apart decides, then registration order.
 */
static int
better(struct launch *L, struct ci_host *hosts, size_t n, size_t a, size_t b,
    const long *rnd)
{
	json_t *s;
	size_t i;

	json_array_foreach(L->strategies, i, s) {
		const char *type = str(s, "type"), *field = str(s, "field");
		long long x, y;

		if (same(type, "random")) {
			x = rnd[a];
			y = rnd[b];
		} else if (same(type, "binpack")) {
			int cpu = strcasecmp(field, "cpu") == 0;

			x = cpu ? hosts[a].cpu_total - hosts[a].use.cpu :
			    hosts[a].mem_total - hosts[a].use.memory;
			y = cpu ? hosts[b].cpu_total - hosts[b].use.cpu :
			    hosts[b].mem_total - hosts[b].use.memory;
		} else {
			x = spread_load(hosts, n, &hosts[a], field);
			y = spread_load(hosts, n, &hosts[b], field);
		}
		if (x != y)
			return x < y;
	}
	return a < b;
}

/* Places and creates L's tasks one at a time over the cluster's hosts. */
static int
place_tasks(struct req *r, struct launch *L, int count)
{
	struct ci_host *hosts;
	size_t n;
	long *rnd;
	int rc = -1;

	if (instances_hosts_load(r, L->cluster, &hosts, &n) != 0)
		return -1;
	if (n == 0) {
		instances_hosts_free(hosts, n);
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "No Container "
		    "Instances were found in your cluster.");
	}
	rnd = xcalloc(n, sizeof *rnd);
	for (int k = 0; k < count; k++) {
		json_t *reasons = json_array();
		size_t best = n;

		for (size_t i = 0; i < n; i++) {
			const char *why;

			if (host_misfit(r, L, &hosts[i], 1, &why) != 0) {
				json_decref(reasons);
				goto out;
			}
			if (why != NULL) {
				failure_add(reasons, hosts[i].row.arn, why);
				continue;
			}
			rnd[i] = random();
			if (best == n || better(L, hosts, n, i, best, rnd))
				best = i;
		}
		if (best == n) {
			json_array_extend(L->failures, reasons);
			json_decref(reasons);
			break;
		}
		json_decref(reasons);
		if (task_create(r, L, &hosts[best], NULL) != 0)
			goto out;
		host_take(L, &hosts[best]);
	}
	rc = 0;
out:
	free(rnd);
	instances_hosts_free(hosts, n);
	return rc;
}

/* ---- operations ---- */

int
op_run_task(struct req *r)
{
	struct launch L;
	struct instance_row local;
	int count = in_int(r, "count", 1), rc = -1;

	memset(&L, 0, sizeof L);
	memset(&local, 0, sizeof local);
	if (count < 1 || count > MAX_COUNT)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "count must be "
		    "between 1 and %d.", MAX_COUNT);
	if (launch_prepare(r, &L, 0) != 0)
		goto out;
	if (instances_ensure_local(r, L.cluster) != 0)
		goto out;
	L.tasks = json_array();
	L.failures = json_array();
	json_object_set_new(r->out, "tasks", L.tasks);
	json_object_set_new(r->out, "failures", L.failures);
	if (same(L.launch_type, "FARGATE")) {
		/* Fargate has room for everything; the local engine runs it. */
		store_instance_local(r->store, &r->part, L.cluster, &local);
		for (int k = 0; k < count; k++) {
			if (task_create(r, &L, NULL, local.id) != 0)
				goto out;
		}
	} else if (place_tasks(r, &L, count) != 0) {
		goto out;
	}
	rc = 0;
out:
	store_instance_row_free(&local);
	launch_free(&L);
	return rc;
}

static void
host_release(struct ci_host *h)
{
	store_instance_row_free(&h->row);
	store_instance_usage_free(&h->use);
	json_decref(h->attrs);
	json_decref(h->own_tcp);
	json_decref(h->own_udp);
}

int
op_start_task(struct req *r)
{
	json_t *list = in_get(r, "containerInstances"), *v;
	struct launch L;
	char id[64];
	size_t i;
	int rc = -1;

	memset(&L, 0, sizeof L);
	if (json_array_size(list) == 0 || json_array_size(list) > MAX_START)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "containerInstances "
		    "must name 1 to %d container instances.", MAX_START);
	if (launch_prepare(r, &L, 1) != 0)
		goto out;
	if (instances_ensure_local(r, L.cluster) != 0)
		goto out;
	L.tasks = json_array();
	L.failures = json_array();
	json_object_set_new(r->out, "tasks", L.tasks);
	json_object_set_new(r->out, "failures", L.failures);
	json_array_foreach(list, i, v) {
		const char *ref = json_string_value(v), *why = NULL;
		struct ci_host h;
		int got;

		memset(&h, 0, sizeof h);
		if (instances_ref_id(r, ref, "container-instance", L.cluster, id,
		    sizeof id) != 0)
			got = 1;
		else
			got = instances_host_load(r, L.cluster, id, &h);
		if (got == 1) {
			char *arn = instances_ref_arn(r, ref, "container-instance",
			    L.cluster);

			failure_add(L.failures, arn, "MISSING");
			free(arn);
			continue;
		}
		if (got == 0 && same(h.row.status, "INACTIVE"))
			why = "INACTIVE";
		else if (got == 0)
			got = host_misfit(r, &L, &h, 0, &why);
		if (got == 0 && why != NULL)
			failure_add(L.failures, h.row.arn, why);
		else if (got == 0)
			got = task_create(r, &L, &h, NULL);
		host_release(&h);
		if (got != 0)
			goto out;
	}
	rc = 0;
out:
	launch_free(&L);
	return rc;
}

/* The task a StopTask or DescribeTasks reference names, into out. */
static int
task_lookup(struct req *r, const char *cluster, const char *ref,
    struct task_row *out)
{
	char id[64];

	memset(out, 0, sizeof *out);
	if (instances_ref_id(r, ref, "task", cluster, id, sizeof id) != 0)
		return STORE_NOTFOUND;
	return store_task_get(r->store, &r->part, cluster, id, out);
}

int
op_stop_task(struct req *r)
{
	char cluster[256];
	const char *reason = in_str(r, "reason");
	struct task_row t;
	int rc = -1;

	if (clusters_require_active(r, in_str(r, "cluster"), cluster,
	    sizeof cluster) != 0)
		return -1;
	if (reason != NULL && strlen(reason) > MAX_REASON)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "reason must be at "
		    "most %d characters.", MAX_REASON);
	if (task_lookup(r, cluster, in_str(r, "task"), &t) != STORE_OK)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER,
		    "The referenced task was not found.");
	if (!same(str(t.doc, "desiredStatus"), "STOPPED")) {
		json_object_set_new(t.doc, "desiredStatus", json_string("STOPPED"));
		json_object_set_new(t.doc, "stoppingAt", json_real(r->now));
		json_object_set_new(t.doc, "stopCode", json_string("UserInitiated"));
		json_object_set_new(t.doc, "stoppedReason", json_string(
		    reason != NULL && *reason != '\0' ? reason :
		    "Task stopped by user"));
		json_object_set_new(t.doc, "version", json_integer(num(t.doc,
		    "version") + 1));
		if (store_task_save(r->store, &r->part, cluster, t.id, t.doc) !=
		    STORE_OK) {
			api_fail(r, ECS_ERR_SERVER, "The store could not save the "
			    "task: %s", store_errmsg(r->store));
			goto out;
		}
	}
	json_object_set(r->out, "task", t.doc);
	rc = 0;
out:
	store_task_row_free(&t);
	return rc;
}

int
op_describe_tasks(struct req *r)
{
	static const char *const no_tags[] = { "tags", NULL };
	char cluster[256];
	json_t *list = in_get(r, "tasks"), *failures, *v;
	int tags = in_has(r, "include", "TAGS");
	struct jbuf *b;
	size_t i;

	if (clusters_require_active(r, in_str(r, "cluster"), cluster,
	    sizeof cluster) != 0)
		return -1;
	if (json_array_size(list) == 0)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER,
		    "Tasks cannot be empty.");
	if (json_array_size(list) > MAX_DESCRIBE)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "At most %d tasks can "
		    "be described at once.", MAX_DESCRIBE);
	/* Each stored task document is spliced into the answer as it is;
	 * with include TAGS its tags replace the stored ones. */
	b = api_text(r);
	failures = json_array();
	jbuf_puts(b, "{\"tasks\":[");
	json_array_foreach(list, i, v) {
		const char *ref = json_string_value(v);
		struct store_text t;
		char id[64];

		if (instances_ref_id(r, ref, "task", cluster, id, sizeof id) == 0 &&
		    store_task_text(r->store, &r->part, cluster, id, &t) ==
		    STORE_OK) {
			jbuf_sep(b);
			jbuf_puts(b, "{");
			jbuf_members(b, t.doc, t.len, tags ? no_tags : NULL);
			if (tags) {
				json_t *tl = store_tags_get(r->store, t.arn);

				jbuf_key(b, "tags");
				jbuf_json(b, tl);
				json_decref(tl);
			}
			jbuf_puts(b, "}");
			store_text_free(&t);
		} else {
			char *arn = instances_ref_arn(r, ref, "task", cluster);

			failure_add(failures, arn, "MISSING");
			free(arn);
		}
	}
	jbuf_puts(b, "],\"failures\":");
	jbuf_json(b, failures);
	jbuf_puts(b, "}");
	json_decref(failures);
	return 0;
}

int
op_list_tasks(struct req *r)
{
	char cluster[256], instance[64], *key = NULL, *slash = NULL;
	const char *ci = in_str(r, "containerInstance");
	struct task_filter f;
	json_t *arns, *keys;
	double after_at = 0;
	int max, rc = -1;

	if (clusters_require_active(r, in_str(r, "cluster"), cluster,
	    sizeof cluster) != 0 || in_max_results(r, 100, 100, &max) != 0 ||
	    page_token_read(r, in_str(r, "nextToken"), &key) != 0)
		return -1;
	memset(&f, 0, sizeof f);
	f.desired = in_str(r, "desiredStatus") ? in_str(r, "desiredStatus") :
	    "RUNNING";
	f.family = in_str(r, "family");
	f.service = in_str(r, "serviceName");
	f.started_by = in_str(r, "startedBy");
	f.launch_type = in_str(r, "launchType");
	arns = json_array();
	json_object_set_new(r->out, "taskArns", arns);
	if (ci != NULL) {
		if (instances_ref_id(r, ci, "container-instance", cluster, instance,
		    sizeof instance) != 0) {
			rc = 0;       /* an ARN that names nothing here: no tasks */
			goto out;
		}
		f.instance = instance;
	}
	if (in_str(r, "daemonName") != NULL) {
		rc = 0;           /* ecsd runs no daemons: none of their tasks */
		goto out;
	}
	if (key != NULL) {
		slash = strchr(key, '/');
		if (slash == NULL) {
			page_token_refuse(r);
			goto out;
		}
		*slash++ = '\0';
		after_at = strtod(key, NULL);
	}
	keys = json_array();
	if (store_tasks_list(r->store, &r->part, cluster, &f, after_at, slash,
	    max + 1, arns, keys) != STORE_OK) {
		json_decref(keys);
		api_fail(r, ECS_ERR_SERVER, "The store could not list the tasks: %s",
		    store_errmsg(r->store));
		goto out;
	}
	if (json_array_size(arns) > (size_t)max) {
		char *tok = page_token_make(json_string_value(json_array_get(keys,
		    max - 1)));

		json_array_remove(arns, max);
		json_object_set_new(r->out, "nextToken", json_string(tok));
		free(tok);
	}
	json_decref(keys);
	rc = 0;
out:
	free(key);
	return rc;
}
