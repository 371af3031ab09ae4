/*
 * container_instances.c - ListContainerInstances, DescribeContainerInstances,
 * RegisterContainerInstance, DeregisterContainerInstance and
 * UpdateContainerInstancesState; the local Docker engine as every cluster's
 * container instance (instances_ensure_local); what placement needs to know
 * of an instance (instances_hosts_load); and the cluster query language
 * (instances_query) that ListContainerInstances filters and memberOf
 * placement constraints are written in.
 *
 * The local instance is the machine ecsd runs on: its registered CPU is
 * online cores x 1024, its memory MemTotal in MiB, its ports the ones the
 * ECS agent reserves. Instances a caller registers itself are recorded with
 * the resources it gives, but no agent stands behind them (agentConnected
 * false), so ecsd never places tasks there: only the local engine runs
 * containers. Remaining resources and task counts are always computed from
 * the tasks on the instance (store_instance_usage), never stored.
 */
#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "api.h"

#define MAX_DESCRIBE 100
#define MAX_UPDATE 10
#define EXPR_MAX 2000

/* Ports the ECS agent reserves on every instance it registers. */
static const int agent_ports[] = { 22, 2375, 2376, 51678, 51679 };

/* Capabilities of the agent that ecsd honours on the local engine. */
static const char *const local_capabilities[] = {
	"com.amazonaws.ecs.capability.ecr-auth",
	"com.amazonaws.ecs.capability.logging-driver.json-file",
	"com.amazonaws.ecs.capability.logging-driver.none",
	"com.amazonaws.ecs.capability.privileged-container",
	"ecs.capability.container-health-check",
	"ecs.capability.container-ordering",
	"ecs.capability.docker-plugin.local",
	"ecs.capability.execution-role-ecr-pull",
	"ecs.capability.secrets.asm.environment-variables",
	"ecs.capability.secrets.ssm.environment-variables",
	"ecs.capability.task-eni",
};
#define DOCKER_API_MIN 17      /* docker-remote-api.1.17 .. 1.44 */
#define DOCKER_API_MAX 44

static json_t *attributes_of(struct req *, const char *,
    struct instance_row *);

/* ---- resources ---- */

static json_t *
resource_int(const char *name, long long v)
{
	return json_pack("{s:s, s:s, s:f, s:I, s:I}", "name", name,
	    "type", "INTEGER", "doubleValue", 0.0, "longValue", (json_int_t)0,
	    "integerValue", (json_int_t)v);
}

/* A STRINGSET resource; takes the reference to set (strings). */
static json_t *
resource_set(const char *name, json_t *set)
{
	return json_pack("{s:s, s:s, s:f, s:I, s:I, s:o}", "name", name,
	    "type", "STRINGSET", "doubleValue", 0.0, "longValue", (json_int_t)0,
	    "integerValue", (json_int_t)0, "stringSetValue", set);
}

static json_t *
resource_get(json_t *resources, const char *name)
{
	json_t *r;
	size_t i;

	json_array_foreach(resources, i, r) {
		const char *n = json_string_value(json_object_get(r, "name"));

		if (n != NULL && strcmp(n, name) == 0)
			return r;
	}
	return NULL;
}

static long long
resource_number(json_t *resources, const char *name)
{
	json_t *r = resource_get(resources, name);
	json_t *v;

	if (r == NULL)
		return 0;
	v = json_object_get(r, "integerValue");
	if (json_integer_value(v) != 0)
		return json_integer_value(v);
	v = json_object_get(r, "longValue");
	if (json_integer_value(v) != 0)
		return json_integer_value(v);
	return (long long)json_number_value(json_object_get(r, "doubleValue"));
}

/* The ports of a STRINGSET resource as a new list of integers. */
static json_t *
resource_ports(json_t *resources, const char *name)
{
	json_t *r = resource_get(resources, name);
	json_t *out = json_array(), *v;
	size_t i;

	json_array_foreach(json_object_get(r, "stringSetValue"), i, v) {
		const char *s = json_string_value(v);

		if (s != NULL && atoi(s) > 0)
			json_array_append_new(out, json_integer(atoi(s)));
	}
	return out;
}

static int
port_in(json_t *ports, long long port)
{
	json_t *v;
	size_t i;

	json_array_foreach(ports, i, v) {
		if (json_integer_value(v) == port)
			return 1;
	}
	return 0;
}

/* The union of two integer port lists, as the strings ECS reports. */
static json_t *
ports_strings(json_t *a, json_t *b)
{
	json_t *out = json_array(), *seen = json_array(), *v;
	size_t i;

	json_array_foreach(a, i, v) {
		if (!port_in(seen, json_integer_value(v)))
			json_array_append(seen, v);
	}
	json_array_foreach(b, i, v) {
		if (!port_in(seen, json_integer_value(v)))
			json_array_append(seen, v);
	}
	json_array_foreach(seen, i, v) {
		char buf[16];

		snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
		json_array_append_new(out, json_string(buf));
	}
	json_decref(seen);
	return out;
}

/* ---- the machine ecsd runs on ---- */

/*
 * A fact the scheduler learnt from `docker info` (scheduler/engine.c keeps
 * engine.cpu, engine.memory, engine.version in the meta table), or 0.
 */
static long long
engine_fact(struct req *r, const char *key)
{
	char *v = store_meta_get(r->store, key);
	long long n = v != NULL ? atoll(v) : 0;

	free(v);
	return n;
}

static long long
host_memory_mib(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long long kb = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "MemTotal: %lld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb / 1024;
}

static long long
host_cpu_units(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return (n > 0 ? n : 1) * 1024LL;
}

/* ecs.cpu-architecture as the agent names it: x86_64 or arm64. */
const char *
instances_host_arch(void)
{
	static char arch[80];
	struct utsname u;

	if (arch[0] != '\0')
		return arch;
	if (uname(&u) != 0)
		snprintf(arch, sizeof arch, "x86_64");
	else if (strcmp(u.machine, "aarch64") == 0 ||
	    strcmp(u.machine, "arm64") == 0)
		snprintf(arch, sizeof arch, "arm64");
	else
		snprintf(arch, sizeof arch, "%s", u.machine);
	return arch;
}

static void
attr_put(struct req *r, const char *cluster, const char *arn,
    const char *name, const char *value, int *rc)
{
	if (*rc == 0 && store_attribute_put(r->store, &r->part, cluster,
	    "container-instance", arn, name, value) != STORE_OK)
		*rc = -1;
}

static int
local_attributes(struct req *r, const char *cluster, const char *arn)
{
	char name[128], az[48];
	int rc = 0;

	snprintf(az, sizeof az, "%sa", r->part.region);
	attr_put(r, cluster, arn, "ecs.os-type", "linux", &rc);
	attr_put(r, cluster, arn, "ecs.os-family", "LINUX", &rc);
	attr_put(r, cluster, arn, "ecs.cpu-architecture", instances_host_arch(),
	    &rc);
	attr_put(r, cluster, arn, "ecs.availability-zone", az, &rc);
	for (int v = DOCKER_API_MIN; v <= DOCKER_API_MAX; v++) {
		snprintf(name, sizeof name,
		    "com.amazonaws.ecs.capability.docker-remote-api.1.%d", v);
		attr_put(r, cluster, arn, name, NULL, &rc);
	}
	for (size_t i = 0; i < sizeof local_capabilities /
	    sizeof local_capabilities[0]; i++)
		attr_put(r, cluster, arn, local_capabilities[i], NULL, &rc);
	return rc;
}

/*
 * Registers the local Docker engine as a container instance of cluster
 * unless the cluster has one already (ACTIVE or DRAINING). A local instance
 * that was deregistered comes back as a new instance, as an agent that
 * registers again does. Must run in a write transaction: RunTask, StartTask
 * and CreateCluster call it. 0, or -1 with the exception recorded.
 */
int
instances_ensure_local(struct req *r, const char *cluster)
{
	struct instance_row row;
	json_t *ports, *res;
	char id[33], rest[300], *docker_version;
	long long cpu, mem;
	int rc;

	if (store_instance_local(r->store, &r->part, cluster, &row) == STORE_OK) {
		store_instance_row_free(&row);
		return 0;
	}
	random_hex(id, 32);
	id[32] = '\0';
	snprintf(rest, sizeof rest, "%s/%s", cluster, id);
	ports = json_array();
	for (size_t i = 0; i < sizeof agent_ports / sizeof agent_ports[0]; i++) {
		char buf[8];

		snprintf(buf, sizeof buf, "%d", agent_ports[i]);
		json_array_append_new(ports, json_string(buf));
	}
	cpu = engine_fact(r, "engine.cpu");
	mem = engine_fact(r, "engine.memory");
	docker_version = store_meta_get(r->store, "engine.version");
	res = json_pack("[o, o, o, o]", resource_int("CPU", cpu > 0 ? cpu :
	    host_cpu_units()), resource_int("MEMORY", mem > 0 ? mem :
	    host_memory_mib()),
	    resource_set("PORTS", ports), resource_set("PORTS_UDP", json_array()));
	row.id = id;
	row.arn = arn_make(&r->part, "container-instance", rest);
	row.status = "ACTIVE";
	row.local = 1;
	row.registered_at = r->now;
	row.doc = json_pack("{s:s, s:I, s:{s:s, s:s}, s:o, s:s, s:b, s:f, "
	    "s:[]}", "containerInstanceArn", row.arn, "version", (json_int_t)1,
	    "versionInfo", "agentVersion", ECSD_VERSION, "agentHash", "ecsd",
	    "registeredResources", res, "status", "ACTIVE", "agentConnected", 1,
	    "registeredAt", r->now, "attachments");
	if (docker_version != NULL)
		json_object_set_new(json_object_get(row.doc, "versionInfo"),
		    "dockerVersion", json_string(docker_version));
	free(docker_version);
	rc = store_instance_insert(r->store, &r->part, cluster, &row);
	if (rc == STORE_OK)
		rc = local_attributes(r, cluster, row.arn);
	free(row.arn);
	json_decref(row.doc);
	if (rc != STORE_OK)
		return api_fail(r, ECS_ERR_SERVER, "Could not register the local "
		    "container instance: %s", store_errmsg(r->store));
	return 0;
}

/*
 * Deregisters the cluster's local-engine instance when no task that is not
 * STOPPED is placed on it: what DeleteCluster calls before it counts the
 * cluster's instances, since ecsd registered that one by itself. 0, or -1
 * with the exception recorded.
 */
int
instances_release_local(struct req *r, const char *cluster)
{
	struct instance_row row;
	struct instance_usage u;
	int rc = 0;

	if (store_instance_local(r->store, &r->part, cluster, &row) != STORE_OK)
		return 0;
	if (store_instance_usage(r->store, &r->part, cluster, row.id, &u) !=
	    STORE_OK) {
		rc = api_fail(r, ECS_ERR_SERVER, "Could not read the tasks of the "
		    "local container instance: %s", store_errmsg(r->store));
	} else if (u.live == 0) {
		json_object_set_new(row.doc, "attributes",
		    attributes_of(r, cluster, &row));
		json_object_set_new(row.doc, "status", json_string("INACTIVE"));
		json_object_set_new(row.doc, "agentConnected", json_false());
		json_object_set_new(row.doc, "version", json_integer(
		    json_integer_value(json_object_get(row.doc, "version")) + 1));
		if (store_attributes_clear(r->store, &r->part, cluster, row.arn) !=
		    STORE_OK || store_instance_save(r->store, &r->part, cluster,
		    row.id, "INACTIVE", row.doc) != STORE_OK)
			rc = api_fail(r, ECS_ERR_SERVER, "Could not deregister the "
			    "local container instance: %s", store_errmsg(r->store));
	}
	store_instance_usage_free(&u);
	store_instance_row_free(&row);
	return rc;
}

/* ---- identifiers ---- */

/*
 * The id behind an id-or-ARN of a resource of `type` ("task",
 * "container-instance") in cluster. -1 when s is an ARN that cannot name
 * one there (another type, partition or cluster): the caller treats that
 * as not found.
 */
int
instances_ref_id(struct req *r, const char *s, const char *type,
    const char *cluster, char *id, size_t size)
{
	char prefix[160];
	size_t n;
	const char *rest, *slash;

	if (s == NULL || *s == '\0')
		return -1;
	if (strncmp(s, "arn:", 4) != 0) {
		if (strlen(s) >= size || strchr(s, '/') != NULL)
			return -1;
		memcpy(id, s, strlen(s) + 1);
		return 0;
	}
	/* arn:aws:ecs:<region>:<account>:<type>/[<cluster>/]<id>; parsed here
	 * because struct arn's type field is too short for
	 * "container-instance" */
	n = (size_t)snprintf(prefix, sizeof prefix, "arn:aws:ecs:%s:%s:%s/",
	    r->part.region, r->part.account, type);
	if (n >= sizeof prefix || strncmp(s, prefix, n) != 0)
		return -1;
	rest = s + n;
	slash = strchr(rest, '/');
	if (slash != NULL) {
		if ((size_t)(slash - rest) != strlen(cluster) ||
		    strncmp(rest, cluster, strlen(cluster)) != 0)
			return -1;
		rest = slash + 1;
	}
	if (*rest == '\0' || strlen(rest) >= size || strchr(rest, '/') != NULL)
		return -1;
	memcpy(id, rest, strlen(rest) + 1);
	return 0;
}

/* The ARN a reference would have: itself when an ARN, else built (heap). */
char *
instances_ref_arn(struct req *r, const char *s, const char *type,
    const char *cluster)
{
	char rest[600];

	if (strncmp(s, "arn:", 4) == 0)
		return xstrdup(s);
	snprintf(rest, sizeof rest, "%s/%s", cluster, s);
	return arn_make(&r->part, type, rest);
}

/* ---- describing ---- */

/* The instance's attributes as ECS shows them on the instance: name, value. */
static json_t *
attributes_of(struct req *r, const char *cluster, struct instance_row *row)
{
	json_t *list, *a;
	size_t i;

	if (strcmp(row->status, "INACTIVE") == 0) {
		list = json_object_get(row->doc, "attributes");
		return list != NULL ? json_deep_copy(list) : json_array();
	}
	list = store_attributes_of(r->store, &r->part, cluster, row->arn);
	json_array_foreach(list, i, a) {
		json_object_del(a, "targetType");
		json_object_del(a, "targetId");
	}
	return list;
}

/*
 * The ContainerInstance document: the stored one plus what is computed
 * (remainingResources, task counts, attributes) and, when asked, tags and
 * health.
 */
json_t *
instances_describe(struct req *r, const char *cluster,
    struct instance_row *row, int with_tags, int with_health)
{
	json_t *out = json_deep_copy(row->doc);
	json_t *reg = json_object_get(out, "registeredResources");
	json_t *rem = json_array(), *res, *tcp, *udp;
	struct instance_usage u;
	size_t i;

	if (store_instance_usage(r->store, &r->part, cluster, row->id, &u) !=
	    STORE_OK)
		log_warn("usage of %s: %s", row->arn, store_errmsg(r->store));
	json_array_foreach(reg, i, res) {
		const char *name = json_string_value(json_object_get(res, "name"));

		if (name == NULL)
			continue;
		if (strcmp(name, "CPU") == 0 || strcmp(name, "MEMORY") == 0) {
			long long used = name[0] == 'C' ? u.cpu : u.memory;
			long long left = resource_number(reg, name) - used;

			json_array_append_new(rem, resource_int(name, left > 0 ? left :
			    0));
		} else if (strcmp(name, "PORTS") == 0 ||
		    strcmp(name, "PORTS_UDP") == 0) {
			json_t *own = resource_ports(reg, name);

			json_array_append_new(rem, resource_set(name, ports_strings(own,
			    name[5] == '\0' ? u.tcp : u.udp)));
			json_decref(own);
		} else {
			json_array_append(rem, res);
		}
	}
	/* ports held by tasks even when the instance registered no PORTS */
	tcp = resource_get(reg, "PORTS");
	udp = resource_get(reg, "PORTS_UDP");
	if (tcp == NULL && json_array_size(u.tcp) > 0)
		json_array_append_new(rem, resource_set("PORTS",
		    ports_strings(u.tcp, NULL)));
	if (udp == NULL && json_array_size(u.udp) > 0)
		json_array_append_new(rem, resource_set("PORTS_UDP",
		    ports_strings(u.udp, NULL)));
	json_object_set_new(out, "remainingResources", rem);
	json_object_set_new(out, "runningTasksCount", json_integer(u.running));
	json_object_set_new(out, "pendingTasksCount", json_integer(u.pending));
	json_object_set_new(out, "attributes", attributes_of(r, cluster, row));
	if (with_tags)
		json_object_set_new(out, "tags", store_tags_get(r->store, row->arn));
	if (with_health) {
		int live = json_is_true(json_object_get(out, "agentConnected"));

		json_object_set_new(out, "healthStatus", live ?
		    json_pack("{s:s, s:[{s:s, s:s, s:f, s:f}]}",
		    "overallStatus", "OK", "details", "type", "CONTAINER_RUNTIME",
		    "status", "OK", "lastUpdated", r->now, "lastStatusChange",
		    row->registered_at) :
		    json_pack("{s:s, s:[]}", "overallStatus", "INSUFFICIENT_DATA",
		    "details"));
	}
	store_instance_usage_free(&u);
	return out;
}

/* ---- placement's view of instances ---- */

static int
host_fill(struct req *r, const char *cluster, struct ci_host *h)
{
	json_t *reg = json_object_get(h->row.doc, "registeredResources");

	h->attrs = attributes_of(r, cluster, &h->row);
	h->cpu_total = resource_number(reg, "CPU");
	h->mem_total = resource_number(reg, "MEMORY");
	h->own_tcp = resource_ports(reg, "PORTS");
	h->own_udp = resource_ports(reg, "PORTS_UDP");
	h->connected = json_is_true(json_object_get(h->row.doc,
	    "agentConnected")) && h->row.local;
	if (store_instance_usage(r->store, &r->part, cluster, h->row.id,
	    &h->use) != STORE_OK)
		return api_fail(r, ECS_ERR_SERVER, "Could not read what the tasks "
		    "of %s use: %s", h->row.arn, store_errmsg(r->store));
	return 0;
}

void
instances_hosts_free(struct ci_host *hosts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		store_instance_row_free(&hosts[i].row);
		store_instance_usage_free(&hosts[i].use);
		json_decref(hosts[i].attrs);
		json_decref(hosts[i].own_tcp);
		json_decref(hosts[i].own_udp);
	}
	free(hosts);
}

/*
 * Every registered (ACTIVE or DRAINING) instance of cluster with what it
 * has and what its tasks use. 0, or -1 with the exception recorded.
 */
int
instances_hosts_load(struct req *r, const char *cluster,
    struct ci_host **out, size_t *n)
{
	struct instance_row *rows;
	struct ci_host *hosts;
	size_t nrows, k = 0;

	*out = NULL;
	*n = 0;
	if (store_instances_list(r->store, &r->part, cluster, NULL, 0, NULL,
	    &rows, &nrows) != STORE_OK)
		return api_fail(r, ECS_ERR_SERVER, "Could not list the container "
		    "instances: %s", store_errmsg(r->store));
	hosts = xcalloc(nrows ? nrows : 1, sizeof *hosts);
	for (size_t i = 0; i < nrows; i++) {
		if (strcmp(rows[i].status, "ACTIVE") != 0 &&
		    strcmp(rows[i].status, "DRAINING") != 0) {
			store_instance_row_free(&rows[i]);
			continue;
		}
		hosts[k].row = rows[i];
		memset(&rows[i], 0, sizeof rows[i]);
		if (host_fill(r, cluster, &hosts[k++]) != 0) {
			store_instance_rows_free(rows, nrows);
			instances_hosts_free(hosts, k);
			return -1;
		}
	}
	store_instance_rows_free(rows, nrows);
	*out = hosts;
	*n = k;
	return 0;
}

/* One instance by id as a host; 1 when there is no such instance. */
int
instances_host_load(struct req *r, const char *cluster, const char *id,
    struct ci_host *h)
{
	memset(h, 0, sizeof *h);
	if (store_instance_get(r->store, &r->part, cluster, id, &h->row) !=
	    STORE_OK)
		return 1;
	return host_fill(r, cluster, h);
}

/* ---- the cluster query language ----
 *
 *   expr    := and { ("or" | "||") and }
 *   and     := unary { ("and" | "&&") unary }
 *   unary   := ("not" | "!") unary | "(" expr ")" | compare
 *   compare := subject op value | subject ("in" | "not_in") list
 *            | subject ("exists" | "!exists" | "not_exists")
 *   subject := attribute:<name> | ec2InstanceId | registeredAt
 *            | runningTasksCount | task:group | agentConnected | agentVersion
 *   op      := == equals != not_equals > greater_than >= greater_than_equal
 *              < less_than <= less_than_equal =~ matches !~ not_matches
 *
 * It is evaluated while it is parsed, over every operand (no short cut),
 * so a syntax error anywhere is always reported.
 */

enum tok { T_END, T_WORD, T_OP, T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK,
	T_COMMA };

struct cql {
	const char *s, *p;        /* the expression and where we are */
	enum tok tok;             /* the current token */
	char text[256];           /* its text (T_WORD, T_OP) */
	const struct ci_host *h;  /* NULL: check the syntax only */
	char err[200];
};

static int
op_char(char c)
{
	return c == '=' || c == '!' || c == '<' || c == '>' || c == '~' ||
	    c == '&' || c == '|';
}

static int
cql_fail(struct cql *q, const char *what)
{
	if (q->err[0] == '\0')
		snprintf(q->err, sizeof q->err, "%s at position %d", what,
		    (int)(q->p - q->s));
	return -1;
}

static int
next(struct cql *q)
{
	size_t n = 0;

	while (isspace((unsigned char)*q->p))
		q->p++;
	q->text[0] = '\0';
	switch (*q->p) {
	case '\0':
		q->tok = T_END;
		return 0;
	case '(': q->tok = T_LPAREN; q->p++; return 0;
	case ')': q->tok = T_RPAREN; q->p++; return 0;
	case '[': q->tok = T_LBRACK; q->p++; return 0;
	case ']': q->tok = T_RBRACK; q->p++; return 0;
	case ',': q->tok = T_COMMA; q->p++; return 0;
	case '"':
	case '\'': {
		char quote = *q->p++;

		while (*q->p != quote) {
			if (*q->p == '\0' || n + 1 >= sizeof q->text)
				return cql_fail(q, "unterminated string");
			q->text[n++] = *q->p++;
		}
		q->p++;
		q->text[n] = '\0';
		q->tok = T_WORD;
		return 0;
	}
	}
	if (op_char(*q->p)) {
		while (op_char(*q->p) && n + 1 < sizeof q->text)
			q->text[n++] = *q->p++;
		q->text[n] = '\0';
		q->tok = T_OP;
		return 0;
	}
	while (*q->p != '\0' && !isspace((unsigned char)*q->p) &&
	    strchr("()[],\"'", *q->p) == NULL && !op_char(*q->p)) {
		if (n + 1 >= sizeof q->text)
			return cql_fail(q, "word too long");
		q->text[n++] = *q->p++;
	}
	q->text[n] = '\0';
	q->tok = T_WORD;
	return 0;
}

static int
is_word(struct cql *q, const char *w)
{
	return q->tok == T_WORD && strcasecmp(q->text, w) == 0;
}

/* "2018-01-01", "2018-01-01T00:00:00Z" or a number: epoch seconds. */
static int
parse_time(const char *s, double *out)
{
	struct tm tm;
	const char *end;
	char *nend;

	*out = strtod(s, &nend);
	if (nend != s && *nend == '\0')
		return 0;
	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL) {
		memset(&tm, 0, sizeof tm);
		end = strptime(s, "%Y-%m-%d", &tm);
	}
	if (end == NULL || (*end != '\0' && strcmp(end, "Z") != 0))
		return -1;
	*out = (double)timegm(&tm);
	return 0;
}

/* The values of a subject on the host (strings), into vals; -1: unknown. */
static int
subject_values(struct cql *q, const char *subject, json_t *vals, int *is_time)
{
	const struct ci_host *h = q->h;
	char buf[64];

	*is_time = 0;
	if (strncmp(subject, "attribute:", 10) == 0 && subject[10] != '\0') {
		json_t *a;
		size_t i;

		json_array_foreach(h ? h->attrs : NULL, i, a) {
			const char *name = json_string_value(json_object_get(a, "name"));
			const char *value = json_string_value(json_object_get(a,
			    "value"));

			if (name != NULL && strcmp(name, subject + 10) == 0)
				json_array_append_new(vals, json_string(value ? value :
				    ""));
		}
		return 0;
	}
	if (strcmp(subject, "task:group") == 0) {
		if (h != NULL)
			json_array_extend(vals, h->use.groups);
		return 0;
	}
	if (strcmp(subject, "ec2InstanceId") == 0) {
		const char *v = h ? json_string_value(json_object_get(h->row.doc,
		    "ec2InstanceId")) : NULL;

		if (v != NULL)
			json_array_append_new(vals, json_string(v));
		return 0;
	}
	if (strcmp(subject, "agentVersion") == 0) {
		const char *v = h ? json_string_value(json_object_get(
		    json_object_get(h->row.doc, "versionInfo"), "agentVersion")) :
		    NULL;

		if (v != NULL)
			json_array_append_new(vals, json_string(v));
		return 0;
	}
	if (h == NULL) {
		return strcmp(subject, "registeredAt") == 0 ||
		    strcmp(subject, "runningTasksCount") == 0 ||
		    strcmp(subject, "agentConnected") == 0 ? 0 : -1;
	}
	if (strcmp(subject, "registeredAt") == 0) {
		*is_time = 1;
		snprintf(buf, sizeof buf, "%.6f", h->row.registered_at);
	} else if (strcmp(subject, "runningTasksCount") == 0) {
		snprintf(buf, sizeof buf, "%d", h->use.running);
	} else if (strcmp(subject, "agentConnected") == 0) {
		snprintf(buf, sizeof buf, "%s", h->connected ? "true" : "false");
	} else {
		return -1;
	}
	json_array_append_new(vals, json_string(buf));
	return 0;
}

/* strcmp-like: numerically (or as times) when both sides read so. */
static int
compare(const char *a, const char *b, int is_time)
{
	char *ea, *eb;
	double x = strtod(a, &ea), y;

	if (is_time) {
		if (parse_time(b, &y) == 0)
			return x < y ? -1 : x > y;
		return strcmp(a, b);
	}
	y = strtod(b, &eb);
	if (ea != a && *ea == '\0' && eb != b && *eb == '\0')
		return x < y ? -1 : x > y;
	return strcmp(a, b);
}

static const struct {
	const char *sym, *word;
	enum { C_EQ, C_NE, C_GT, C_GE, C_LT, C_LE, C_MATCH, C_NOMATCH } op;
} cmp_ops[] = {
	{ "==", "equals", C_EQ }, { "!=", "not_equals", C_NE },
	{ ">", "greater_than", C_GT }, { ">=", "greater_than_equal", C_GE },
	{ "<", "less_than", C_LT }, { "<=", "less_than_equal", C_LE },
	{ "=~", "matches", C_MATCH }, { "!~", "not_matches", C_NOMATCH },
};

static int
any_match(struct cql *q, json_t *vals, const char *pattern)
{
	regex_t re;
	char *anchored;
	json_t *v;
	size_t i;
	int hit = 0;

	xasprintf(&anchored, "^(%s)$", pattern);
	if (regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB) != 0) {
		free(anchored);
		return cql_fail(q, "invalid pattern");
	}
	free(anchored);
	json_array_foreach(vals, i, v) {
		if (regexec(&re, json_string_value(v), 0, NULL, 0) == 0)
			hit = 1;
	}
	regfree(&re);
	return hit;
}

static int
compare_values(struct cql *q, json_t *vals, int op, const char *value,
    int is_time)
{
	json_t *v;
	size_t i;
	int hit = 0;

	if (op == C_MATCH || op == C_NOMATCH) {
		hit = any_match(q, vals, value);
		if (hit < 0)
			return -1;
		return op == C_MATCH ? hit : !hit;
	}
	json_array_foreach(vals, i, v) {
		int c = compare(json_string_value(v), value, is_time);

		if ((op == C_EQ && c == 0) || (op == C_NE && c == 0) ||
		    (op == C_GT && c > 0) || (op == C_GE && c >= 0) ||
		    (op == C_LT && c < 0) || (op == C_LE && c <= 0))
			hit = 1;
	}
	return op == C_NE ? !hit : hit;
}

static int expr(struct cql *);

/* in / not_in: a bracketed list (or one value) of which any may match. */
static int
list_compare(struct cql *q, json_t *vals, int negate, int is_time)
{
	int hit = 0, bracket = q->tok == T_LBRACK;

	if (bracket && next(q) != 0)
		return -1;
	for (;;) {
		if (q->tok != T_WORD)
			return cql_fail(q, "expected a value");
		if (compare_values(q, vals, C_EQ, q->text, is_time) == 1)
			hit = 1;
		if (next(q) != 0)
			return -1;
		if (!bracket)
			break;
		if (q->tok == T_RBRACK)
			break;
		if (q->tok != T_COMMA)
			return cql_fail(q, "expected ',' or ']'");
		if (next(q) != 0)
			return -1;
	}
	if (bracket && next(q) != 0)
		return -1;
	return negate ? !hit : hit;
}

static int
comparison(struct cql *q)
{
	char subject[256];
	json_t *vals;
	int is_time, rc = -1;
	size_t i;

	if (q->tok != T_WORD)
		return cql_fail(q, "expected an attribute");
	snprintf(subject, sizeof subject, "%s", q->text);
	vals = json_array();
	if (subject_values(q, subject, vals, &is_time) != 0) {
		json_decref(vals);
		return cql_fail(q, "unknown attribute");
	}
	if (next(q) != 0)
		goto out;
	if (is_word(q, "exists") || is_word(q, "not_exists") ||
	    (q->tok == T_OP && strcmp(q->text, "!") == 0)) {
		int negate = !is_word(q, "exists");

		if (q->tok == T_OP && (next(q) != 0 || !is_word(q, "exists"))) {
			rc = cql_fail(q, "expected 'exists'");
			goto out;
		}
		if (next(q) != 0)
			goto out;
		rc = negate ? json_array_size(vals) == 0 :
		    json_array_size(vals) > 0;
		goto out;
	}
	if (is_word(q, "in") || is_word(q, "not_in")) {
		int negate = is_word(q, "not_in");

		if (next(q) != 0)
			goto out;
		rc = list_compare(q, vals, negate, is_time);
		goto out;
	}
	for (i = 0; i < sizeof cmp_ops / sizeof cmp_ops[0]; i++) {
		if ((q->tok == T_OP && strcmp(q->text, cmp_ops[i].sym) == 0) ||
		    is_word(q, cmp_ops[i].word))
			break;
	}
	if (i == sizeof cmp_ops / sizeof cmp_ops[0]) {
		rc = cql_fail(q, "expected an operator");
		goto out;
	}
	if (next(q) != 0)
		goto out;
	if (q->tok != T_WORD) {
		rc = cql_fail(q, "expected a value");
		goto out;
	}
	rc = compare_values(q, vals, cmp_ops[i].op, q->text, is_time);
	if (rc >= 0 && next(q) != 0)
		rc = -1;
out:
	json_decref(vals);
	return rc;
}

static int
unary(struct cql *q)
{
	int v;

	if (is_word(q, "not") || (q->tok == T_OP && strcmp(q->text, "!") == 0)) {
		if (next(q) != 0)
			return -1;
		v = unary(q);
		return v < 0 ? -1 : !v;
	}
	if (q->tok == T_LPAREN) {
		if (next(q) != 0)
			return -1;
		v = expr(q);
		if (v < 0)
			return -1;
		if (q->tok != T_RPAREN)
			return cql_fail(q, "expected ')'");
		if (next(q) != 0)
			return -1;
		return v;
	}
	return comparison(q);
}

static int
and_expr(struct cql *q)
{
	int v = unary(q), w;

	while (v >= 0 && (is_word(q, "and") ||
	    (q->tok == T_OP && strcmp(q->text, "&&") == 0))) {
		if (next(q) != 0)
			return -1;
		w = unary(q);
		v = w < 0 ? -1 : (v && w);
	}
	return v;
}

static int
expr(struct cql *q)
{
	int v = and_expr(q), w;

	while (v >= 0 && (is_word(q, "or") ||
	    (q->tok == T_OP && strcmp(q->text, "||") == 0))) {
		if (next(q) != 0)
			return -1;
		w = and_expr(q);
		v = w < 0 ? -1 : (v || w);
	}
	return v;
}

/*
 * Evaluates a cluster query language expression against host (NULL: only
 * checks it). 1 or 0; -1 with InvalidParameterException recorded when the
 * expression is not valid. `what` names it in the message.
 */
int
instances_query(struct req *r, const char *what, const char *s,
    const struct ci_host *host)
{
	struct cql q;
	int v;

	memset(&q, 0, sizeof q);
	q.s = q.p = s;
	q.h = host;
	if (strlen(s) > EXPR_MAX)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "The %s expression "
		    "is longer than %d characters.", what, EXPR_MAX);
	v = next(&q) != 0 ? -1 : expr(&q);
	if (v >= 0 && q.tok != T_END)
		v = cql_fail(&q, "unexpected text");
	if (v < 0)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "The %s expression "
		    "'%s' is not valid: %s.", what, s, q.err[0] ? q.err :
		    "syntax error");
	return v;
}

/* ---- operations ---- */

/* "<registered_at>/<id>": the keyset position of an instance. */
static char *
instance_key(const struct instance_row *row)
{
	char *key;

	xasprintf(&key, "%.17g/%s", row->registered_at, row->id);
	return key;
}

int
op_list_container_instances(struct req *r)
{
	char cluster[256], *key = NULL, *slash = NULL;
	const char *filter = in_str(r, "filter");
	struct instance_row *rows = NULL;
	double after_at = 0;
	size_t n = 0, i;
	json_t *arns;
	int max, rc = -1, taken = 0;

	if (clusters_require_active(r, in_str(r, "cluster"), cluster,
	    sizeof cluster) != 0 || in_max_results(r, 100, 100, &max) != 0 ||
	    page_token_read(r, in_str(r, "nextToken"), &key) != 0)
		return -1;
	if (filter != NULL && instances_query(r, "filter", filter, NULL) < 0)
		goto out;
	if (key != NULL) {
		slash = strchr(key, '/');
		if (slash == NULL) {
			page_token_refuse(r);
			goto out;
		}
		*slash = '\0';
		after_at = strtod(key, NULL);
	}
	if (store_instances_list(r->store, &r->part, cluster,
	    in_str(r, "status"), after_at, key ? slash + 1 : NULL, &rows, &n) !=
	    STORE_OK) {
		api_fail(r, ECS_ERR_SERVER, "Could not list the container "
		    "instances: %s", store_errmsg(r->store));
		goto out;
	}
	arns = json_array();
	json_object_set_new(r->out, "containerInstanceArns", arns);
	for (i = 0; i < n; i++) {
		if (filter != NULL) {
			struct ci_host h;
			int m;

			memset(&h, 0, sizeof h);
			h.row = rows[i];
			m = host_fill(r, cluster, &h) != 0 ? -1 :
			    instances_query(r, "filter", filter, &h);
			json_decref(h.attrs);
			json_decref(h.own_tcp);
			json_decref(h.own_udp);
			store_instance_usage_free(&h.use);
			if (m < 0)
				goto out;
			if (m == 0)
				continue;
		}
		if (taken == max) {
			/* the key of the row before this one: rows between the last
			 * one taken and this one were filtered out */
			char *k = instance_key(&rows[i - 1]);
			char *tok;

			tok = page_token_make(k);
			json_object_set_new(r->out, "nextToken", json_string(tok));
			free(tok);
			free(k);
			break;
		}
		json_array_append_new(arns, json_string(rows[i].arn));
		taken++;
	}
	rc = 0;
out:
	store_instance_rows_free(rows, n);
	free(key);
	return rc;
}

int
op_describe_container_instances(struct req *r)
{
	char cluster[256], id[64];
	json_t *list = in_get(r, "containerInstances"), *out, *failures, *v;
	int tags = in_has(r, "include", "TAGS");
	int health = in_has(r, "include", "CONTAINER_INSTANCE_HEALTH");
	size_t i;

	if (clusters_require_active(r, in_str(r, "cluster"), cluster,
	    sizeof cluster) != 0)
		return -1;
	if (json_array_size(list) == 0)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER,
		    "Container instances cannot be empty.");
	if (json_array_size(list) > MAX_DESCRIBE)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "At most %d container "
		    "instances can be described at once.", MAX_DESCRIBE);
	out = json_array();
	failures = json_array();
	json_object_set_new(r->out, "containerInstances", out);
	json_object_set_new(r->out, "failures", failures);
	json_array_foreach(list, i, v) {
		const char *ref = json_string_value(v);
		struct instance_row row;

		if (instances_ref_id(r, ref, "container-instance", cluster, id,
		    sizeof id) == 0 && store_instance_get(r->store, &r->part,
		    cluster, id, &row) == STORE_OK) {
			json_array_append_new(out, instances_describe(r, cluster, &row,
			    tags, health));
			store_instance_row_free(&row);
		} else {
			char *arn = instances_ref_arn(r, ref, "container-instance",
			    cluster);

			json_array_append_new(failures, json_pack("{s:s, s:s}", "arn",
			    arn, "reason", "MISSING"));
			free(arn);
		}
	}
	return 0;
}

/* Normalises totalResources into the Resource objects ECS reports. */
static json_t *
registered_resources(json_t *total)
{
	json_t *out = json_array(), *res;
	size_t i;

	json_array_foreach(total, i, res) {
		const char *name = json_string_value(json_object_get(res, "name"));
		const char *type = json_string_value(json_object_get(res, "type"));
		json_t *o;

		if (name == NULL)
			continue;
		o = json_pack("{s:s, s:s, s:f, s:I, s:I}", "name", name,
		    "type", type ? type : "INTEGER",
		    "doubleValue", json_number_value(json_object_get(res,
		    "doubleValue")),
		    "longValue", json_integer_value(json_object_get(res, "longValue")),
		    "integerValue", json_integer_value(json_object_get(res,
		    "integerValue")));
		if (json_object_get(res, "stringSetValue") != NULL)
			json_object_set(o, "stringSetValue", json_object_get(res,
			    "stringSetValue"));
		else if (type != NULL && strcmp(type, "STRINGSET") == 0)
			json_object_set_new(o, "stringSetValue", json_array());
		json_array_append_new(out, o);
	}
	return out;
}

/*
 * RegisterContainerInstance: what the ECS agent calls. ecsd records the
 * instance with the resources, attributes and version the caller gives; no
 * agent of ecsd's runs there, so it reports agentConnected false and takes
 * no tasks. Given the ARN of one of the cluster's registered instances, it
 * registers that one again (new resources and attributes, version + 1).
 */
int
op_register_container_instance(struct req *r)
{
	char cluster[256], id[64], rest[320];
	const char *doc_text = in_str(r, "instanceIdentityDocument");
	const char *again = in_str(r, "containerInstanceArn");
	json_t *tags = in_get(r, "tags"), *attrs = in_get(r, "attributes");
	json_t *ident = NULL, *a;
	struct instance_row row, old;
	int existing = 0, rc = -1;
	size_t i;

	memset(&row, 0, sizeof row);
	memset(&old, 0, sizeof old);
	if (clusters_require_active(r, in_str(r, "cluster"), cluster,
	    sizeof cluster) != 0 || tags_validate(r, tags, NULL) != 0)
		return -1;
	if (doc_text != NULL) {
		ident = json_loads(doc_text, 0, NULL);
		if (!json_is_object(ident)) {
			json_decref(ident);
			return api_fail(r, ECS_ERR_INVALID_PARAMETER, "The instance "
			    "identity document is not a JSON object.");
		}
	}
	if (again != NULL) {
		if (instances_ref_id(r, again, "container-instance", cluster, id,
		    sizeof id) != 0 || store_instance_get(r->store, &r->part,
		    cluster, id, &old) != STORE_OK ||
		    strcmp(old.status, "INACTIVE") == 0) {
			api_fail(r, ECS_ERR_INVALID_PARAMETER, "The container instance "
			    "%s is not registered in this cluster.", again);
			goto out;
		}
		existing = 1;
	} else {
		random_hex(id, 32);
		id[32] = '\0';
	}
	snprintf(rest, sizeof rest, "%s/%s", cluster, id);
	row.id = id;
	row.arn = arn_make(&r->part, "container-instance", rest);
	row.status = "ACTIVE";
	row.registered_at = existing ? old.registered_at : r->now;
	row.doc = json_pack("{s:s, s:I, s:o, s:s, s:b, s:f, s:[]}",
	    "containerInstanceArn", row.arn, "version",
	    (json_int_t)(existing ? json_integer_value(json_object_get(old.doc,
	    "version")) + 1 : 1),
	    "registeredResources", registered_resources(in_get(r,
	    "totalResources")), "status", "ACTIVE", "agentConnected", 0,
	    "registeredAt", row.registered_at, "attachments");
	if (in_get(r, "versionInfo") != NULL)
		json_object_set(row.doc, "versionInfo", in_get(r, "versionInfo"));
	if (json_is_string(json_object_get(ident, "instanceId")))
		json_object_set(row.doc, "ec2InstanceId", json_object_get(ident,
		    "instanceId"));
	if (existing)
		rc = store_instance_save(r->store, &r->part, cluster, id, "ACTIVE",
		    row.doc);
	else
		rc = store_instance_insert(r->store, &r->part, cluster, &row);
	if (rc == STORE_OK && json_is_string(json_object_get(ident,
	    "availabilityZone")))
		attr_put(r, cluster, row.arn, "ecs.availability-zone",
		    json_string_value(json_object_get(ident, "availabilityZone")),
		    &rc);
	if (rc == STORE_OK && json_is_string(json_object_get(ident,
	    "instanceType")))
		attr_put(r, cluster, row.arn, "ecs.instance-type",
		    json_string_value(json_object_get(ident, "instanceType")), &rc);
	json_array_foreach(attrs, i, a)
		attr_put(r, cluster, row.arn, json_string_value(json_object_get(a,
		    "name")), json_string_value(json_object_get(a, "value")), &rc);
	if (rc == STORE_OK && json_array_size(tags) > 0)
		rc = store_tags_set(r->store, row.arn, tags);
	if (rc != STORE_OK) {
		api_fail(r, ECS_ERR_SERVER, "Could not register the container "
		    "instance: %s", store_errmsg(r->store));
		rc = -1;
		goto out;
	}
	json_object_set_new(r->out, "containerInstance", instances_describe(r,
	    cluster, &row, json_array_size(tags) > 0, 0));
	rc = 0;
out:
	free(row.arn);
	json_decref(row.doc);
	json_decref(ident);
	store_instance_row_free(&old);
	return rc;
}

/* A forced deregistration stops what still runs on the instance. */
static void
stop_orphan_cb(void *arg, struct task_row *t)
{
	struct req *r = arg;
	const char *desired = json_string_value(json_object_get(t->doc,
	    "desiredStatus"));
	json_int_t version = json_integer_value(json_object_get(t->doc,
	    "version"));

	if (desired != NULL && strcmp(desired, "STOPPED") == 0)
		return;
	json_object_set_new(t->doc, "desiredStatus", json_string("STOPPED"));
	json_object_set_new(t->doc, "stoppingAt", json_real(r->now));
	json_object_set_new(t->doc, "stopCode", json_string("UserInitiated"));
	json_object_set_new(t->doc, "stoppedReason", json_string(
	    "The container instance was deregistered."));
	json_object_set_new(t->doc, "version", json_integer(version + 1));
	store_task_save(r->store, &r->part, t->cluster, t->id, t->doc);
}

int
op_deregister_container_instance(struct req *r)
{
	char cluster[256], id[64];
	const char *ref = in_str(r, "containerInstance");
	struct instance_row row;
	struct instance_usage u;
	json_t *attrs;
	int rc = -1;

	if (clusters_require_active(r, in_str(r, "cluster"), cluster,
	    sizeof cluster) != 0)
		return -1;
	if (instances_ref_id(r, ref, "container-instance", cluster, id,
	    sizeof id) != 0 || store_instance_get(r->store, &r->part, cluster,
	    id, &row) != STORE_OK)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER,
		    "The referenced container instance was not found.");
	if (strcmp(row.status, "INACTIVE") == 0) {
		json_object_set_new(r->out, "containerInstance",
		    instances_describe(r, cluster, &row, 0, 0));
		store_instance_row_free(&row);
		return 0;
	}
	if (store_instance_usage(r->store, &r->part, cluster, id, &u) !=
	    STORE_OK) {
		api_fail(r, ECS_ERR_SERVER, "Could not read the instance's tasks: "
		    "%s", store_errmsg(r->store));
		goto out;
	}
	if (u.live > 0 && !in_bool(r, "force", 0)) {
		api_fail(r, ECS_ERR_INVALID_PARAMETER, "The container instance has "
		    "%d task%s that %s not stopped. Stop them first, or "
		    "deregister with force.", u.live, u.live == 1 ? "" : "s",
		    u.live == 1 ? "is" : "are");
		store_instance_usage_free(&u);
		goto out;
	}
	store_instance_usage_free(&u);
	if (store_tasks_on_instance(r->store, &r->part, cluster, id,
	    stop_orphan_cb, r) != STORE_OK) {
		api_fail(r, ECS_ERR_SERVER, "Could not stop the instance's tasks.");
		goto out;
	}
	/* The attributes go (ListAttributes no longer shows them); the
	 * document keeps a copy so the INACTIVE instance still describes. */
	attrs = attributes_of(r, cluster, &row);
	json_object_set_new(row.doc, "attributes", attrs);
	json_object_set_new(row.doc, "status", json_string("INACTIVE"));
	json_object_set_new(row.doc, "agentConnected", json_false());
	json_object_set_new(row.doc, "version", json_integer(
	    json_integer_value(json_object_get(row.doc, "version")) + 1));
	free(row.status);
	row.status = xstrdup("INACTIVE");
	if (store_attributes_clear(r->store, &r->part, cluster, row.arn) !=
	    STORE_OK || store_instance_save(r->store, &r->part, cluster, id,
	    "INACTIVE", row.doc) != STORE_OK) {
		api_fail(r, ECS_ERR_SERVER, "Could not deregister the container "
		    "instance: %s", store_errmsg(r->store));
		goto out;
	}
	json_object_set_new(r->out, "containerInstance", instances_describe(r,
	    cluster, &row, 0, 0));
	rc = 0;
out:
	store_instance_row_free(&row);
	return rc;
}

int
op_update_container_instances_state(struct req *r)
{
	char cluster[256], id[64];
	const char *status = in_str(r, "status");
	json_t *list = in_get(r, "containerInstances"), *out, *failures, *v;
	size_t i;

	if (clusters_require_active(r, in_str(r, "cluster"), cluster,
	    sizeof cluster) != 0)
		return -1;
	if (strcmp(status, "ACTIVE") != 0 && strcmp(status, "DRAINING") != 0)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Container instances "
		    "can only be set to ACTIVE or DRAINING.");
	if (json_array_size(list) == 0)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER,
		    "Container instances cannot be empty.");
	if (json_array_size(list) > MAX_UPDATE)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "At most %d container "
		    "instances can be updated at once.", MAX_UPDATE);
	out = json_array();
	failures = json_array();
	json_object_set_new(r->out, "containerInstances", out);
	json_object_set_new(r->out, "failures", failures);
	json_array_foreach(list, i, v) {
		const char *ref = json_string_value(v);
		struct instance_row row;
		const char *reason = NULL;

		if (instances_ref_id(r, ref, "container-instance", cluster, id,
		    sizeof id) != 0 || store_instance_get(r->store, &r->part,
		    cluster, id, &row) != STORE_OK) {
			char *arn = instances_ref_arn(r, ref, "container-instance",
			    cluster);

			json_array_append_new(failures, json_pack("{s:s, s:s}", "arn",
			    arn, "reason", "MISSING"));
			free(arn);
			continue;
		}
		if (strcmp(row.status, "ACTIVE") != 0 &&
		    strcmp(row.status, "DRAINING") != 0)
			reason = row.status;
		if (reason != NULL) {
			json_array_append_new(failures, json_pack("{s:s, s:s, s:s}",
			    "arn", row.arn, "reason", reason, "detail", "Only an ACTIVE "
			    "or DRAINING container instance can change its status."));
			store_instance_row_free(&row);
			continue;
		}
		if (strcmp(row.status, status) != 0) {
			json_object_set_new(row.doc, "status", json_string(status));
			json_object_set_new(row.doc, "version", json_integer(
			    json_integer_value(json_object_get(row.doc, "version")) + 1));
			if (store_instance_save(r->store, &r->part, cluster, id, status,
			    row.doc) != STORE_OK) {
				store_instance_row_free(&row);
				return api_fail(r, ECS_ERR_SERVER, "Could not update the "
				    "container instance: %s", store_errmsg(r->store));
			}
			free(row.status);
			row.status = xstrdup(status);
		}
		json_array_append_new(out, instances_describe(r, cluster, &row, 0, 0));
		store_instance_row_free(&row);
	}
	return 0;
}
