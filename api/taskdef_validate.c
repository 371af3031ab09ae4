/*
 * taskdef_validate.c - the rules RegisterTaskDefinition enforces beyond the
 * model's shapes, and what ECS computes from a definition (compatibilities,
 * requiresAttributes), as pure functions of the request document: no store,
 * no request, so unit tests drive them as tables.
 *
 * The document is the RegisterTaskDefinition input (model-checked, nulls
 * removed). taskdef_validate stops at the first problem, as ECS does, and
 * says which exception and message ECS would send: ClientException for
 * almost everything; InvalidParameterException for unreadable task cpu or
 * memory and malformed revision numbers, as ECS does.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

#define MAX_CONTAINERS 10        /* ECS quota: containers per task definition */
#define MAX_CONSTRAINTS 10       /* placement constraints per task */
#define NAME_MAX_LEN 255         /* family, container and volume names */
#define EC2_CPU_MIN 128          /* task cpu units ECS accepts off Fargate */
#define EC2_CPU_MAX 196608

static int
bad(struct td_check *c, enum ecs_error code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
bad(struct td_check *c, enum ecs_error code, const char *fmt, ...)
{
	va_list ap;

	c->code = code;
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof c->msg, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *
str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int
has(json_t *o, const char *key)
{
	return json_object_get(o, key) != NULL;
}

/* An integer member, or def when absent. */
static long long
num(json_t *o, const char *key, long long def)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? (long long)json_number_value(v) : def;
}

static int
truthy(json_t *o, const char *key, int def)
{
	json_t *v = json_object_get(o, key);

	return json_is_boolean(v) ? json_is_true(v) : def;
}

static const char *
network_mode(json_t *td)
{
	const char *m = str(td, "networkMode");

	return m != NULL ? m : "bridge";
}

/*
 * "<number>[ ]<unit>" or "<number>": a plain decimal number (digits, at
 * most one point with digits after it), optionally followed by unit
 * (case-insensitive), which scales it by 1024. The result must be a
 * positive whole number. 0 or -1.
 */
static int
parse_units(const char *s, const char *unit, long *out)
{
	double v = 0, scale = 1;
	int digits = 0;

	*out = 0;
	if (s == NULL)
		return -1;
	while (isspace((unsigned char)*s))
		s++;
	for (; isdigit((unsigned char)*s); s++, digits++)
		v = v * 10 + (*s - '0');
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return -1;
		for (; isdigit((unsigned char)*s); s++, digits++)
			v += (*s - '0') * (scale /= 10);
	}
	if (digits == 0 || digits > 15)
		return -1;
	while (isspace((unsigned char)*s))
		s++;
	if (*s != '\0') {
		size_t n = strlen(unit);

		if (strncasecmp(s, unit, n) != 0)
			return -1;
		s += n;
		while (isspace((unsigned char)*s))
			s++;
		if (*s != '\0')
			return -1;
		v *= 1024;
	}
	if (v <= 0 || v > (double)INT_MAX || v != floor(v))
		return -1;
	*out = (long)v;
	return 0;
}

/* Task cpu: "1024", "1 vCPU", "0.25 vcpu" -> CPU units. */
int
taskdef_cpu_parse(const char *s, long *units)
{
	return parse_units(s, "vcpu", units);
}

/* Task memory: "2048", "2 GB", "0.5GB" -> MiB. */
int
taskdef_memory_parse(const char *s, long *mib)
{
	return parse_units(s, "gb", mib);
}

/*
 * Fargate's task sizes: each cpu allows memory from lo to hi (MiB) in
 * steps; 256 lists its three sizes.
 */
static const struct {
	long cpu, lo, hi, step;
} fargate_sizes[] = {
	{ 256, 512, 512, 1 }, { 256, 1024, 1024, 1 }, { 256, 2048, 2048, 1 },
	{ 512, 1024, 4096, 1024 },
	{ 1024, 2048, 8192, 1024 },
	{ 2048, 4096, 16384, 1024 },
	{ 4096, 8192, 30720, 1024 },
	{ 8192, 16384, 61440, 4096 },
	{ 16384, 32768, 122880, 8192 },
};

int
taskdef_fargate_size_valid(long cpu, long mem)
{
	for (size_t i = 0; i < sizeof fargate_sizes / sizeof fargate_sizes[0];
	    i++) {
		if (fargate_sizes[i].cpu == cpu && mem >= fargate_sizes[i].lo &&
		    mem <= fargate_sizes[i].hi &&
		    (mem - fargate_sizes[i].lo) % fargate_sizes[i].step == 0)
			return 1;
	}
	return 0;
}

/*
 * Why this definition cannot run on Fargate, in ECS's words where known;
 * NULL when it can. buf holds messages that name things.
 */
const char *
taskdef_fargate_misfit(json_t *td, char *buf, size_t size)
{
	json_t *containers = json_object_get(td, "containerDefinitions");
	json_t *volumes = json_object_get(td, "volumes");
	const char *pid = str(td, "pidMode");
	json_t *c, *v;
	long cpu = 0, mem = 0;
	size_t i;

	if (strcmp(network_mode(td), "awsvpc") != 0)
		return "Fargate only supports network mode \xe2\x80\x98" "awsvpc"
		    "\xe2\x80\x99.";
	if (!has(td, "cpu"))
		return "Fargate requires that 'cpu' be defined at the task level.";
	if (!has(td, "memory"))
		return "Fargate requires that 'memory' be defined at the task "
		    "level.";
	if (taskdef_cpu_parse(str(td, "cpu"), &cpu) != 0 ||
	    taskdef_memory_parse(str(td, "memory"), &mem) != 0 ||
	    !taskdef_fargate_size_valid(cpu, mem)) {
		snprintf(buf, size, "No Fargate configuration exists for given "
		    "values: %ld CPU, %ld memory. See the Amazon ECS "
		    "documentation for the valid values.", cpu, mem);
		return buf;
	}
	if (has(td, "ipcMode"))
		return "Fargate does not support 'ipcMode'.";
	if (pid != NULL && strcmp(pid, "task") != 0)
		return "Fargate only supports pidMode 'task'.";
	if (json_array_size(json_object_get(td, "placementConstraints")) > 0)
		return "Fargate does not support task placement constraints.";
	if (json_array_size(json_object_get(td, "inferenceAccelerators")) > 0)
		return "Fargate does not support inference accelerators.";
	json_array_foreach(volumes, i, v) {
		json_t *host = json_object_get(v, "host");

		if (has(host, "sourcePath")) {
			snprintf(buf, size, "Volume '%s' sets host.sourcePath: Fargate "
			    "does not support host volumes.", str(v, "name"));
			return buf;
		}
		if (has(v, "dockerVolumeConfiguration")) {
			snprintf(buf, size, "Volume '%s' sets dockerVolumeConfiguration: "
			    "Fargate does not support Docker volumes.", str(v, "name"));
			return buf;
		}
	}
	json_array_foreach(containers, i, c) {
		const char *driver = str(json_object_get(c, "logConfiguration"),
		    "logDriver");

		if (truthy(c, "privileged", 0)) {
			snprintf(buf, size, "Container '%s' is privileged: Fargate does "
			    "not support privileged containers.", str(c, "name"));
			return buf;
		}
		if (driver != NULL && strcmp(driver, "awslogs") == 0 &&
		    !has(td, "executionRoleArn"))
			return "Fargate requires task definition to have execution "
			    "role ARN to support log driver awslogs.";
	}
	return NULL;
}

/* Index of the container named name, or -1. */
static int
container_index(json_t *containers, const char *name)
{
	json_t *c;
	size_t i;

	if (name == NULL)
		return -1;
	json_array_foreach(containers, i, c) {
		const char *n = str(c, "name");

		if (n != NULL && strcmp(n, name) == 0)
			return (int)i;
	}
	return -1;
}

static int
volume_exists(json_t *volumes, const char *name)
{
	json_t *v;
	size_t i;

	if (name == NULL)
		return 0;
	json_array_foreach(volumes, i, v) {
		const char *n = str(v, "name");

		if (n != NULL && strcmp(n, name) == 0)
			return 1;
	}
	return 0;
}

static int
check_family_and_sizes(json_t *td, struct td_check *c, long *cpu, long *mem)
{
	json_t *containers = json_object_get(td, "containerDefinitions");
	const char *family = str(td, "family");

	*cpu = *mem = 0;
	if (!name_valid(family, NAME_MAX_LEN))
		return bad(c, ECS_ERR_CLIENT, "Invalid family '%.300s'. Up to 255 "
		    "letters (uppercase and lowercase), numbers, underscores, and "
		    "hyphens are allowed.", family ? family : "");
	if (json_array_size(containers) == 0)
		return bad(c, ECS_ERR_CLIENT, "Container list cannot be empty.");
	if (json_array_size(containers) > MAX_CONTAINERS)
		return bad(c, ECS_ERR_CLIENT, "A task definition can have at most "
		    "%d containers; this one has %zu.", MAX_CONTAINERS,
		    json_array_size(containers));
	if (has(td, "cpu") && (taskdef_cpu_parse(str(td, "cpu"), cpu) != 0 ||
	    *cpu < EC2_CPU_MIN || *cpu > EC2_CPU_MAX))
		return bad(c, ECS_ERR_INVALID_PARAMETER, "Invalid 'cpu' setting "
		    "for task. Give CPU units (1024) or vCPUs (1 vCPU), from %d to "
		    "%d units.", EC2_CPU_MIN, EC2_CPU_MAX);
	if (has(td, "memory") && taskdef_memory_parse(str(td, "memory"), mem) !=
	    0)
		return bad(c, ECS_ERR_INVALID_PARAMETER, "Invalid 'memory' setting "
		    "for task. Give MiB (2048) or GB (2 GB).");
	return 0;
}

static int
check_volumes(json_t *td, struct td_check *c)
{
	json_t *volumes = json_object_get(td, "volumes");
	static const char *const kinds[] = { "host", "dockerVolumeConfiguration",
	    "efsVolumeConfiguration", "fsxWindowsFileServerVolumeConfiguration",
	    "s3filesVolumeConfiguration" };
	json_t *v, *w;
	size_t i, j;

	json_array_foreach(volumes, i, v) {
		const char *name = str(v, "name");
		int n = 0;

		if (!name_valid(name, NAME_MAX_LEN))
			return bad(c, ECS_ERR_CLIENT, "Invalid volume name '%.300s'. Up "
			    "to 255 letters (uppercase and lowercase), numbers, "
			    "underscores, and hyphens are allowed.", name ? name : "");
		json_array_foreach(volumes, j, w) {
			if (j < i && strcmp(name, str(w, "name") ? str(w, "name") : "")
			    == 0)
				return bad(c, ECS_ERR_CLIENT, "Volume name '%s' is used more "
				    "than once. Volume names must be unique within a task "
				    "definition.", name);
		}
		for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
			n += has(v, kinds[k]);
		if (n > 1)
			return bad(c, ECS_ERR_CLIENT, "Volume '%s' sets more than one of "
			    "host, dockerVolumeConfiguration, efsVolumeConfiguration, "
			    "fsxWindowsFileServerVolumeConfiguration and "
			    "s3filesVolumeConfiguration; give one.", name);
		if (has(v, "efsVolumeConfiguration") &&
		    str(json_object_get(v, "efsVolumeConfiguration"),
		    "fileSystemId") == NULL)
			return bad(c, ECS_ERR_CLIENT, "Volume '%s': "
			    "efsVolumeConfiguration needs a fileSystemId.", name);
	}
	return 0;
}

static int
check_names(json_t *containers, struct td_check *c)
{
	json_t *ct;
	size_t i;

	json_array_foreach(containers, i, ct) {
		const char *name = str(ct, "name");
		const char *image = str(ct, "image");

		if (name == NULL || *name == '\0')
			return bad(c, ECS_ERR_CLIENT, "Container.name should not be "
			    "null or empty.");
		if (!name_valid(name, NAME_MAX_LEN))
			return bad(c, ECS_ERR_CLIENT, "Invalid container name '%.300s'. "
			    "Up to 255 letters (uppercase and lowercase), numbers, "
			    "underscores, and hyphens are allowed.", name);
		if (container_index(containers, name) != (int)i)
			return bad(c, ECS_ERR_CLIENT, "Container name '%s' is used more "
			    "than once. Container names must be unique within a task "
			    "definition.", name);
		if (image == NULL || *image == '\0')
			return bad(c, ECS_ERR_CLIENT, "Container.image should not be "
			    "null or empty.");
	}
	return 0;
}

static int
check_memory(json_t *ct, long task_mem, struct td_check *c)
{
	const char *name = str(ct, "name");
	long long mem = num(ct, "memory", -1);
	long long res = num(ct, "memoryReservation", -1);
	long long cpu = num(ct, "cpu", 0);

	if (cpu < 0)
		return bad(c, ECS_ERR_CLIENT, "Invalid 'cpu' setting for container "
		    "'%s'. It must not be negative.", name);
	if (has(ct, "memory") && mem <= 0)
		return bad(c, ECS_ERR_CLIENT, "Invalid 'memory' setting for "
		    "container '%s'. It must be a positive number of MiB.", name);
	if (has(ct, "memoryReservation") && res <= 0)
		return bad(c, ECS_ERR_CLIENT, "Invalid 'memoryReservation' setting "
		    "for container '%s'. It must be a positive number of MiB.",
		    name);
	if (mem < 0 && res < 0 && task_mem == 0)
		return bad(c, ECS_ERR_CLIENT, "Invalid setting for container '%s'. "
		    "At least one of 'memory' or 'memoryReservation' must be "
		    "specified.", name);
	if (mem > 0 && res > mem)
		return bad(c, ECS_ERR_CLIENT, "Invalid setting for container '%s'. "
		    "'memoryReservation' (%lld MiB) must be less than or equal to "
		    "'memory' (%lld MiB).", name, res, mem);
	if (task_mem > 0 && mem > task_mem)
		return bad(c, ECS_ERR_CLIENT, "Invalid 'memory' setting for "
		    "container '%s'. The container's memory (%lld MiB) is more than "
		    "the task's memory (%ld MiB).", name, mem, task_mem);
	return 0;
}

/* "80-90": 1 <= lo < hi <= 65535. */
static int
port_range_valid(const char *s)
{
	long lo, hi;
	char *end;

	if (s == NULL || !isdigit((unsigned char)*s))
		return 0;
	lo = strtol(s, &end, 10);
	if (*end != '-' || !isdigit((unsigned char)end[1]))
		return 0;
	hi = strtol(end + 1, &end, 10);
	return *end == '\0' && lo >= 1 && hi <= 65535 && lo < hi;
}

static int
check_ports(json_t *ct, const char *mode, struct td_check *c)
{
	json_t *maps = json_object_get(ct, "portMappings");
	const char *name = str(ct, "name");
	json_t *m, *o;
	size_t i, j;

	if (json_array_size(maps) > 0 && strcmp(mode, "none") == 0)
		return bad(c, ECS_ERR_CLIENT, "Port mappings are not supported when "
		    "networkMode=none (container '%s').", name);
	json_array_foreach(maps, i, m) {
		long long cport = num(m, "containerPort", -1);
		long long hport = num(m, "hostPort", 0);
		const char *proto = str(m, "protocol");
		const char *range = str(m, "containerPortRange");

		if (proto == NULL)
			proto = "tcp";
		if (range != NULL) {
			if (has(m, "containerPort"))
				return bad(c, ECS_ERR_CLIENT, "Container '%s': a port "
				    "mapping gives both containerPort and "
				    "containerPortRange; give one.", name);
			if (!port_range_valid(range))
				return bad(c, ECS_ERR_CLIENT, "Container '%s': invalid "
				    "containerPortRange '%.64s'. Give two ports from 1 to "
				    "65535 as low-high.", name, range);
			if (hport != 0)
				return bad(c, ECS_ERR_CLIENT, "Container '%s': a port "
				    "mapping with containerPortRange cannot set hostPort.",
				    name);
			continue;
		}
		if (cport < 1 || cport > 65535)
			return bad(c, ECS_ERR_CLIENT, "Invalid 'containerPort' setting "
			    "for container '%s'. It must be from 1 to 65535.", name);
		if (hport < 0 || hport > 65535)
			return bad(c, ECS_ERR_CLIENT, "Invalid 'hostPort' setting for "
			    "container '%s'. It must be from 0 to 65535.", name);
		if (hport != 0 && hport != cport && strcmp(mode, "awsvpc") == 0)
			return bad(c, ECS_ERR_CLIENT, "When networkMode=awsvpc, the host "
			    "ports and container ports in port mappings must match.");
		if (hport != 0 && hport != cport && strcmp(mode, "host") == 0)
			return bad(c, ECS_ERR_CLIENT, "When networkMode=host, the host "
			    "ports and container ports in port mappings must match.");
		json_array_foreach(maps, j, o) {
			const char *op = str(o, "protocol");

			if (j >= i)
				break;
			if (num(o, "containerPort", -1) == cport &&
			    strcmp(op != NULL ? op : "tcp", proto) == 0)
				return bad(c, ECS_ERR_CLIENT, "Container '%s' maps container "
				    "port %lld/%s more than once.", name, cport, proto);
		}
	}
	return 0;
}

static int
check_links_and_mounts(json_t *td, json_t *ct, struct td_check *c)
{
	json_t *containers = json_object_get(td, "containerDefinitions");
	json_t *volumes = json_object_get(td, "volumes");
	const char *mode = network_mode(td);
	const char *name = str(ct, "name");
	json_t *e;
	size_t i;

	if (json_array_size(json_object_get(ct, "links")) > 0 &&
	    strcmp(mode, "bridge") != 0)
		return bad(c, ECS_ERR_CLIENT, "Links are not supported when "
		    "networkMode=%s.", mode);
	json_array_foreach(json_object_get(ct, "links"), i, e) {
		const char *link = json_string_value(e);
		const char *colon = link != NULL ? strchr(link, ':') : NULL;
		char target[NAME_MAX_LEN + 1];
		size_t n = colon != NULL ? (size_t)(colon - link) :
		    (link != NULL ? strlen(link) : 0);

		if (n == 0 || n > NAME_MAX_LEN)
			return bad(c, ECS_ERR_CLIENT, "Container '%s' has an empty or "
			    "invalid link.", name);
		memcpy(target, link, n);
		target[n] = '\0';
		if (container_index(containers, target) < 0 ||
		    strcmp(target, name) == 0)
			return bad(c, ECS_ERR_CLIENT, "Container '%s' links to '%s', "
			    "which is not another container of this task definition.",
			    name, target);
	}
	json_array_foreach(json_object_get(ct, "mountPoints"), i, e) {
		const char *src = str(e, "sourceVolume");
		const char *path = str(e, "containerPath");

		if (src == NULL || *src == '\0' || path == NULL || *path == '\0')
			return bad(c, ECS_ERR_CLIENT, "Invalid 'mountPoints' setting for "
			    "container '%s'. Each mount point needs a sourceVolume and "
			    "a containerPath.", name);
		if (!volume_exists(volumes, src))
			return bad(c, ECS_ERR_CLIENT, "Invalid 'mountPoints' setting for "
			    "container '%s'. sourceVolume '%.300s' is not a volume of "
			    "this task definition.", name, src);
	}
	json_array_foreach(json_object_get(ct, "volumesFrom"), i, e) {
		const char *src = str(e, "sourceContainer");

		if (container_index(containers, src) < 0 ||
		    strcmp(src, name) == 0)
			return bad(c, ECS_ERR_CLIENT, "Invalid 'volumesFrom' setting for "
			    "container '%s'. sourceContainer '%.300s' is not another "
			    "container of this task definition.", name,
			    src != NULL ? src : "");
	}
	return 0;
}

static int
check_health(json_t *ct, struct td_check *c)
{
	static const struct {
		const char *key;
		long long lo, hi;
	} ranges[] = {
		{ "interval", 5, 300 }, { "timeout", 2, 60 }, { "retries", 1, 10 },
		{ "startPeriod", 0, 300 },
	};
	json_t *hc = json_object_get(ct, "healthCheck");
	const char *name = str(ct, "name");
	const char *first;

	if (hc == NULL)
		return 0;
	first = json_string_value(json_array_get(json_object_get(hc, "command"),
	    0));
	if (first == NULL || (strcmp(first, "CMD") != 0 &&
	    strcmp(first, "CMD-SHELL") != 0) ||
	    json_array_size(json_object_get(hc, "command")) < 2)
		return bad(c, ECS_ERR_CLIENT, "Invalid 'healthCheck' setting for "
		    "container '%s'. The command must start with CMD or CMD-SHELL "
		    "followed by the command to run.", name);
	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
		long long v = num(hc, ranges[i].key, ranges[i].lo);

		if (v < ranges[i].lo || v > ranges[i].hi)
			return bad(c, ECS_ERR_CLIENT, "Invalid 'healthCheck' setting for "
			    "container '%s'. %s must be from %lld to %lld, not %lld.",
			    name, ranges[i].key, ranges[i].lo, ranges[i].hi, v);
	}
	return 0;
}

static int
check_depends(json_t *containers, json_t *ct, struct td_check *c)
{
	const char *name = str(ct, "name");
	json_t *d;
	size_t i;

	json_array_foreach(json_object_get(ct, "dependsOn"), i, d) {
		const char *target = str(d, "containerName");
		const char *cond = str(d, "condition");
		int t = container_index(containers, target);
		json_t *tc = json_array_get(containers, (size_t)t);

		if (t < 0 || strcmp(target, name) == 0)
			return bad(c, ECS_ERR_CLIENT, "Invalid 'dependsOn' setting for "
			    "container '%s'. containerName '%.300s' is not another "
			    "container of this task definition.", name,
			    target != NULL ? target : "");
		if (cond == NULL)
			return bad(c, ECS_ERR_CLIENT, "Invalid 'dependsOn' setting for "
			    "container '%s'. A condition is required.", name);
		if ((strcmp(cond, "COMPLETE") == 0 || strcmp(cond, "SUCCESS") == 0) &&
		    truthy(tc, "essential", 1))
			return bad(c, ECS_ERR_CLIENT, "Invalid 'dependsOn' setting for "
			    "container '%s'. The %s condition cannot be set on an "
			    "essential container ('%s').", name, cond, target);
		if (strcmp(cond, "HEALTHY") == 0 && !has(tc, "healthCheck"))
			return bad(c, ECS_ERR_CLIENT, "Invalid 'dependsOn' setting for "
			    "container '%s'. The HEALTHY condition needs container '%s' "
			    "to have a healthCheck.", name, target);
	}
	return 0;
}

/* Depth-first search for a dependsOn cycle; state 1 = on the path. */
static int
dep_cycle(json_t *containers, int at, int *state)
{
	json_t *d;
	size_t i;

	if (state[at] == 1)
		return 1;
	if (state[at] == 2)
		return 0;
	state[at] = 1;
	json_array_foreach(json_object_get(json_array_get(containers,
	    (size_t)at), "dependsOn"), i, d) {
		int t = container_index(containers, str(d, "containerName"));

		if (t >= 0 && dep_cycle(containers, t, state))
			return 1;
	}
	state[at] = 2;
	return 0;
}

static int
check_containers(json_t *td, long task_cpu, long task_mem,
    struct td_check *c)
{
	json_t *containers = json_object_get(td, "containerDefinitions");
	long long cpu_sum = 0, mem_sum = 0;
	int essential = 0;
	int state[MAX_CONTAINERS] = { 0 };
	json_t *ct;
	size_t i;

	if (check_names(containers, c) != 0)
		return -1;
	json_array_foreach(containers, i, ct) {
		long long stop = num(ct, "stopTimeout", 0);

		if (check_memory(ct, task_mem, c) != 0 ||
		    check_ports(ct, network_mode(td), c) != 0 ||
		    check_links_and_mounts(td, ct, c) != 0 ||
		    check_health(ct, c) != 0 ||
		    check_depends(containers, ct, c) != 0)
			return -1;
		if (stop < 0 || stop > 120)
			return bad(c, ECS_ERR_CLIENT, "Invalid 'stopTimeout' setting for "
			    "container '%s'. It must be from 0 to 120 seconds.",
			    str(ct, "name"));
		if (num(ct, "startTimeout", 0) < 0)
			return bad(c, ECS_ERR_CLIENT, "Invalid 'startTimeout' setting "
			    "for container '%s'. It must not be negative.",
			    str(ct, "name"));
		essential += truthy(ct, "essential", 1);
		cpu_sum += num(ct, "cpu", 0);
		mem_sum += num(ct, "memoryReservation", num(ct, "memory", 0));
	}
	if (essential == 0)
		return bad(c, ECS_ERR_CLIENT, "Task definition must have at least one "
		    "essential container.");
	if (task_cpu > 0 && cpu_sum > task_cpu)
		return bad(c, ECS_ERR_CLIENT, "The containers' cpu values add up to "
		    "%lld, more than the task's cpu of %ld.", cpu_sum, task_cpu);
	if (task_mem > 0 && mem_sum > task_mem)
		return bad(c, ECS_ERR_CLIENT, "The containers' memory reservations "
		    "add up to %lld MiB, more than the task's memory of %ld MiB.",
		    mem_sum, task_mem);
	for (i = 0; i < json_array_size(containers); i++) {
		if (dep_cycle(containers, (int)i, state))
			return bad(c, ECS_ERR_CLIENT, "The dependsOn settings of the "
			    "containers form a cycle through container '%s'.",
			    str(json_array_get(containers, i), "name"));
	}
	return 0;
}

static int
check_task_extras(json_t *td, struct td_check *c)
{
	json_t *containers = json_object_get(td, "containerDefinitions");
	json_t *constraints = json_object_get(td, "placementConstraints");
	json_t *proxy = json_object_get(td, "proxyConfiguration");
	json_t *eph = json_object_get(td, "ephemeralStorage");
	json_t *pc;
	size_t i;

	if (json_array_size(constraints) > MAX_CONSTRAINTS)
		return bad(c, ECS_ERR_CLIENT, "A task definition can have at most %d "
		    "placement constraints.", MAX_CONSTRAINTS);
	json_array_foreach(constraints, i, pc) {
		const char *expr = str(pc, "expression");

		if (expr == NULL || *expr == '\0')
			return bad(c, ECS_ERR_CLIENT, "A memberOf placement constraint "
			    "needs an expression.");
	}
	if (proxy != NULL && container_index(containers,
	    str(proxy, "containerName")) < 0)
		return bad(c, ECS_ERR_CLIENT, "proxyConfiguration names container "
		    "'%.300s', which is not a container of this task definition.",
		    str(proxy, "containerName") ? str(proxy, "containerName") : "");
	if (eph != NULL && (num(eph, "sizeInGiB", 0) < 21 ||
	    num(eph, "sizeInGiB", 0) > 200))
		return bad(c, ECS_ERR_CLIENT, "Invalid 'ephemeralStorage' setting. "
		    "sizeInGiB must be from 21 to 200.");
	return 0;
}

static int
check_compatibilities(json_t *td, struct td_check *c)
{
	char buf[400];
	const char *why;
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(td, "requiresCompatibilities"), i, e) {
		const char *want = json_string_value(e);

		if (strcmp(want, "FARGATE") == 0) {
			why = taskdef_fargate_misfit(td, buf, sizeof buf);
			if (why != NULL)
				return bad(c, ECS_ERR_CLIENT, "%s", why);
		} else if (strcmp(want, "EXTERNAL") == 0 &&
		    strcmp(network_mode(td), "awsvpc") == 0) {
			return bad(c, ECS_ERR_CLIENT, "External instances do not support "
			    "network mode \xe2\x80\x98" "awsvpc" "\xe2\x80\x99.");
		}
	}
	return 0;
}

/*
 * Every rule of RegisterTaskDefinition the model does not express. 0, or -1
 * with c saying which exception and message to send.
 */
int
taskdef_validate(json_t *td, struct td_check *c)
{
	long cpu, mem;

	c->code = ECS_OK;
	c->msg[0] = '\0';
	if (check_family_and_sizes(td, c, &cpu, &mem) != 0 ||
	    check_volumes(td, c) != 0 ||
	    check_containers(td, cpu, mem, c) != 0 ||
	    check_task_extras(td, c) != 0 ||
	    check_compatibilities(td, c) != 0)
		return -1;
	return 0;
}

/*
 * The launch types the definition can run on, as ECS lists them: EC2
 * always; EXTERNAL unless it needs awsvpc; FARGATE when it fits Fargate;
 * MANAGED_INSTANCES when asked for.
 */
json_t *
taskdef_compatibilities(json_t *td)
{
	json_t *out = json_array();
	char buf[400];
	json_t *e;
	size_t i;

	if (strcmp(network_mode(td), "awsvpc") != 0)
		json_array_append_new(out, json_string("EXTERNAL"));
	json_array_append_new(out, json_string("EC2"));
	if (taskdef_fargate_misfit(td, buf, sizeof buf) == NULL)
		json_array_append_new(out, json_string("FARGATE"));
	json_array_foreach(json_object_get(td, "requiresCompatibilities"), i, e) {
		if (strcmp(json_string_value(e), "MANAGED_INSTANCES") == 0)
			json_array_append_new(out, json_string("MANAGED_INSTANCES"));
	}
	return out;
}

static void
attr_add(json_t *list, const char *name)
{
	json_t *a;
	size_t i;

	json_array_foreach(list, i, a) {
		if (strcmp(str(a, "name"), name) == 0)
			return;
	}
	json_array_append_new(list, json_pack("{s:s}", "name", name));
}

#define CAP "com.amazonaws.ecs.capability."

/* Attributes a container needs of its instance (the agent's capabilities). */
static void
container_attributes(json_t *td, json_t *ct, json_t *out)
{
	json_t *log = json_object_get(ct, "logConfiguration");
	json_t *hc = json_object_get(ct, "healthCheck");
	const char *image = str(ct, "image");
	const char *driver = str(log, "logDriver");
	json_t *s;
	size_t i;

	if (has(ct, "user"))
		attr_add(out, CAP "docker-remote-api.1.17");
	if (has(ct, "dockerLabels") || has(ct, "ulimits"))
		attr_add(out, CAP "docker-remote-api.1.18");
	if (driver != NULL) {
		char name[128];

		snprintf(name, sizeof name, CAP "logging-driver.%s", driver);
		attr_add(out, name);
		attr_add(out, CAP "docker-remote-api.1.19");
		if (strcmp(driver, "awslogs") == 0 && has(td, "executionRoleArn"))
			attr_add(out, "ecs.capability.execution-role-awslogs");
	}
	if (has(ct, "memoryReservation"))
		attr_add(out, CAP "docker-remote-api.1.21");
	if (hc != NULL) {
		attr_add(out, "ecs.capability.container-health-check");
		attr_add(out, has(hc, "startPeriod") ?
		    CAP "docker-remote-api.1.29" : CAP "docker-remote-api.1.24");
	}
	if (has(ct, "linuxParameters"))
		attr_add(out, CAP "docker-remote-api.1.25");
	if (has(ct, "dependsOn") || has(ct, "startTimeout") ||
	    has(ct, "stopTimeout"))
		attr_add(out, "ecs.capability.container-ordering");
	if (image != NULL && strstr(image, ".dkr.ecr.") != NULL) {
		attr_add(out, CAP "ecr-auth");
		if (has(td, "executionRoleArn"))
			attr_add(out, "ecs.capability.execution-role-ecr-pull");
	}
	if (has(ct, "repositoryCredentials"))
		attr_add(out, CAP "private-registry-authentication.secretsmanager");
	if (has(ct, "environmentFiles"))
		attr_add(out, "ecs.capability.env-files.s3");
	json_array_foreach(json_object_get(ct, "secrets"), i, s) {
		const char *from = str(s, "valueFrom");

		attr_add(out, from != NULL && strstr(from, ":secretsmanager:") ?
		    "ecs.capability.secrets.asm.environment-variables" :
		    "ecs.capability.secrets.ssm.environment-variables");
	}
	if (has(ct, "firelensConfiguration")) {
		char name[128];

		snprintf(name, sizeof name, "ecs.capability.firelens.%s",
		    str(json_object_get(ct, "firelensConfiguration"), "type") ?
		    str(json_object_get(ct, "firelensConfiguration"), "type") :
		    "fluentbit");
		attr_add(out, name);
	}
}

/*
 * requiresAttributes: the container agent capabilities an instance needs to
 * run this definition, derived from what it uses, as ECS derives them.
 */
json_t *
taskdef_requires_attributes(json_t *td)
{
	json_t *out = json_array();
	json_t *ct, *v;
	size_t i;

	if (has(td, "taskRoleArn"))
		attr_add(out, CAP "task-iam-role");
	if (has(td, "networkMode"))
		attr_add(out, CAP "docker-remote-api.1.18");
	if (strcmp(network_mode(td), "awsvpc") == 0)
		attr_add(out, "ecs.capability.task-eni");
	if (has(td, "ipcMode") || has(td, "pidMode"))
		attr_add(out, "ecs.capability.pid-ipc-namespace-sharing");
	json_array_foreach(json_object_get(td, "containerDefinitions"), i, ct)
		container_attributes(td, ct, out);
	json_array_foreach(json_object_get(td, "volumes"), i, v) {
		json_t *efs = json_object_get(v, "efsVolumeConfiguration");

		if (has(v, "dockerVolumeConfiguration"))
			attr_add(out, CAP "docker-remote-api.1.25");
		if (efs != NULL) {
			attr_add(out, "ecs.capability.efs");
			if (has(efs, "authorizationConfig"))
				attr_add(out, "ecs.capability.efsAuth");
		}
	}
	return out;
}

#undef CAP

/*
 * A task definition reference: "family", "family:revision" or the ARN
 * arn:aws:ecs:<region>:<account>:task-definition/family[:revision]. Sets
 * family and *rev (0 when none is given). Returns 0; -1 when the reference
 * cannot name a definition of this partition (the caller's not-found);
 * -2 when the revision is not a number (InvalidParameterException).
 */
int
taskdef_ref_parse(const char *ref, const struct part *p, char *family,
    size_t size, int *rev)
{
	const char *s = ref, *colon;
	struct arn a;
	size_t n;

	*rev = 0;
	if (size > 0)
		family[0] = '\0';
	if (ref == NULL)
		return -1;
	if (strncmp(ref, "arn:", 4) == 0) {
		if (arn_parse(ref, &a) != 0 || a.kind != ARN_TASK_DEFINITION ||
		    strcmp(a.region, p->region) != 0 ||
		    strcmp(a.account, p->account) != 0)
			return -1;
		s = ref + strlen(ref) - strlen(a.name);
	}
	colon = strchr(s, ':');
	n = colon != NULL ? (size_t)(colon - s) : strlen(s);
	if (n == 0 || n >= size)
		return -1;
	memcpy(family, s, n);
	family[n] = '\0';
	if (!name_valid(family, NAME_MAX_LEN))
		return -1;
	if (colon != NULL) {
		const char *digits = colon + 1;
		char *end;
		long v;

		if (!isdigit((unsigned char)*digits))
			return -2;
		errno = 0;
		v = strtol(digits, &end, 10);
		if (*end != '\0' || errno != 0 || v > INT_MAX)
			return -2;
		if (v < 1)
			return -1;
		*rev = (int)v;
	}
	return 0;
}
