/*
 * spec.c - from an ECS task to Docker Engine API bodies.
 *
 * Names and labels are the ECS agent's: `ecs-<family>-<rev>-<name>-<20 hex>`
 * with the com.amazonaws.ecs.* labels set last so they win over dockerLabels.
 * The 20 hex digits are derived from the task id and container name, so the
 * same task always maps to the same Docker names: after a crash the
 * scheduler finds (or re-creates without duplicating) what it had started.
 *
 * Every containerDefinitions field Docker can honour is mapped here; a field
 * that cannot be honoured locally (an S3 environment file, an EFS volume, an
 * unknown secret) fails the container with a reason ECS users recognise,
 * which the scheduler turns into the task's stoppedReason.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/api.h"
#include "../api/api.h"
#include "../daemon/daemon.h"
#include "spec.h"

#define MIB (1024LL * 1024LL)
#define NS_PER_S 1000000000LL
#define MAX_ENV_FILE (256 * 1024)
#define MAX_PORT_RANGE 1000

static uint64_t
fnv1a(const char *a, const char *b, uint64_t seed)
{
	uint64_t h = 1469598103934665603ULL ^ seed;

	for (const char *p = a; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ '/') * 1099511628211ULL;
	for (const char *p = b; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h;
}

/* ecs-<family>-<rev>-<name without [^A-Za-z0-9-]>-<20 hex>, on the heap. */
char *
spec_docker_name(const struct spec_task *t, const char *container)
{
	char clean[256], *out;
	size_t n = 0;

	for (const char *p = container; *p && n < sizeof clean - 1; p++)
		if (isalnum((unsigned char)*p) || *p == '-')
			clean[n++] = *p;
	clean[n] = '\0';
	xasprintf(&out, "ecs-%s-%d-%s-%016llx%04llx", t->family, t->revision,
	    clean, (unsigned long long)fnv1a(t->task_id, container, 0),
	    (unsigned long long)(fnv1a(t->task_id, container, 7) & 0xffff));
	return out;
}

/* The Docker volume behind a task-scoped volume of this task. */
char *
spec_volume_name(const struct spec_task *t, const char *volume)
{
	char *out;

	xasprintf(&out, "ecs-%s-%d-%s-%s", t->family, t->revision, volume,
	    t->task_id);
	return out;
}

/*
 * <account>.dkr.ecr.<region>.amazonaws.com/<repo>[:tag|@digest] resolves to
 * the local <repo>[:tag|@digest], so definitions written for AWS run here.
 */
char *
spec_image(const char *image)
{
	const char *slash = strchr(image, '/');

	if (slash != NULL && strstr(image, ".dkr.ecr.") != NULL &&
	    strstr(image, ".amazonaws.com") != NULL &&
	    strstr(image, ".amazonaws.com") < slash)
		return xstrdup(slash + 1);
	return xstrdup(image);
}

json_t *
spec_labels(const struct spec_task *t, const char *container)
{
	char rev[16];

	snprintf(rev, sizeof rev, "%d", t->revision);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
	    LABEL_TASK_ARN, t->task_arn, LABEL_CONTAINER, container,
	    LABEL_FAMILY, t->family, LABEL_VERSION, rev,
	    LABEL_CLUSTER, t->cluster_arn, LABEL_OWNER, t->owner);
}

static int
fail(char **err, const char *fmt, const char *arg)
{
	xasprintf(err, fmt, arg);
	return -1;
}

/* KEY=VALUE lines; blank lines and # comments skipped, as ECS documents. */
static int
read_env_file(const char *path, json_t *env, char **err)
{
	FILE *f;
	char line[8192];
	long total = 0;

	if (strncmp(path, "arn:", 4) == 0 || strncmp(path, "s3://", 5) == 0)
		return fail(err, "ResourceInitializationError: ecsd reads "
		    "environment files from local paths only, not %s", path);
	f = fopen(path, "r");
	if (f == NULL)
		return fail(err, "ResourceInitializationError: cannot read the "
		    "environment file %s", path);
	while (fgets(line, sizeof line, f) != NULL) {
		char *eq, *end;

		total += (long)strlen(line);
		if (total > MAX_ENV_FILE)
			break;
		end = line + strlen(line);
		while (end > line && (end[-1] == '\n' || end[-1] == '\r'))
			*--end = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		eq = strchr(line, '=');
		if (eq == NULL || eq == line)
			continue;
		*eq = '\0';
		json_object_set_new(env, line, json_string(eq + 1));
	}
	fclose(f);
	return 0;
}

/*
 * The container's environment in ECS's precedence: what ecsd injects, then
 * environment files, then `environment`, then secrets.
 */
static int
build_env(const struct spec_task *t, json_t *cdef, json_t *body, char **err)
{
	json_t *env = json_object(), *list = json_array(), *e, *v;
	const char *k;
	size_t i;
	int rc = -1;

	json_object_update(env, t->env_extra);
	json_array_foreach(json_object_get(cdef, "environmentFiles"), i, e)
		if (read_env_file(json_string_value(json_object_get(e, "value")),
		    env, err) != 0)
			goto out;
	json_array_foreach(json_object_get(cdef, "environment"), i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *value = json_string_value(json_object_get(e, "value"));

		if (name != NULL)
			json_object_set_new(env, name, json_string(value ? value : ""));
	}
	json_array_foreach(json_object_get(cdef, "secrets"), i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *from = json_string_value(json_object_get(e,
		    "valueFrom"));
		json_t *secret = from ? json_object_get(t->secrets, from) : NULL;

		if (!json_is_string(secret)) {
			fail(err, "ResourceInitializationError: unable to pull secrets "
			    "or registry auth: secret %s is not in the ecsd secrets "
			    "file", from ? from : "(none)");
			goto out;
		}
		json_object_set(env, name, secret);
	}
	json_object_foreach(env, k, v) {
		char *kv;

		xasprintf(&kv, "%s=%s", k, json_string_value(v));
		json_array_append_new(list, json_string(kv));
		free(kv);
	}
	json_object_set(body, "Env", list);
	rc = 0;
out:
	json_decref(list);
	json_decref(env);
	return rc;
}

static void
copy_list(json_t *dst, const char *dkey, json_t *src, const char *skey)
{
	json_t *v = json_object_get(src, skey);

	if (json_is_array(v) && json_array_size(v) > 0)
		json_object_set(dst, dkey, v);
}

static void
add_port(json_t *exposed, json_t *bindings, long cport, long hport,
    const char *proto)
{
	char key[32], host[24];

	snprintf(key, sizeof key, "%ld/%s", cport, proto);
	json_object_set_new(exposed, key, json_object());
	if (bindings == NULL)
		return;
	if (hport > 0)
		snprintf(host, sizeof host, "%ld", hport);
	else
		host[0] = '\0';   /* empty: Docker picks from the ephemeral range */
	json_object_set_new(bindings, key, json_pack("[{s:s}]", "HostPort",
	    host));
}

/* portMappings: bridge publishes (hostPort 0 or absent = dynamic). */
static void
build_ports(const struct spec_task *t, json_t *cdef, json_t *body,
    json_t *host)
{
	json_t *exposed = json_object(), *e;
	json_t *bindings = strcmp(t->network_mode, "bridge") == 0 ?
	    json_object() : NULL;
	size_t i;

	/* awsvpc: ports belong to the task's namespace, not to a container
	 * (Docker refuses to expose ports on a container that joins one). */
	if (strcmp(t->network_mode, "awsvpc") == 0) {
		json_decref(exposed);
		return;
	}
	json_array_foreach(json_object_get(cdef, "portMappings"), i, e) {
		const char *proto = json_string_value(json_object_get(e,
		    "protocol"));
		const char *range = json_string_value(json_object_get(e,
		    "containerPortRange"));
		long cport = (long)json_integer_value(json_object_get(e,
		    "containerPort"));
		long hport = (long)json_integer_value(json_object_get(e,
		    "hostPort"));
		long lo, hi;

		if (proto == NULL)
			proto = "tcp";
		if (range != NULL && sscanf(range, "%ld-%ld", &lo, &hi) == 2 &&
		    lo > 0 && hi >= lo && hi - lo < MAX_PORT_RANGE) {
			for (long p = lo; p <= hi; p++)
				add_port(exposed, bindings, p, 0, proto);
		} else if (cport > 0) {
			add_port(exposed, bindings, cport, hport, proto);
		}
	}
	if (json_object_size(exposed) > 0)
		json_object_set(body, "ExposedPorts", exposed);
	if (bindings != NULL && json_object_size(bindings) > 0)
		json_object_set(host, "PortBindings", bindings);
	json_decref(exposed);
	json_decref(bindings);
}

static json_t *
find_volume(const struct spec_task *t, const char *name)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(t->definition, "volumes"), i, v) {
		const char *n = json_string_value(json_object_get(v, "name"));

		if (n != NULL && strcmp(n, name) == 0)
			return v;
	}
	return NULL;
}

/* The Docker volume name or host path behind a task volume, and its type. */
static int
volume_source(const struct spec_task *t, json_t *vol, char **source,
    const char **type, char **err)
{
	const char *name = json_string_value(json_object_get(vol, "name"));
	json_t *hostv = json_object_get(vol, "host");
	json_t *dvc = json_object_get(vol, "dockerVolumeConfiguration");
	const char *path = json_string_value(json_object_get(hostv, "sourcePath"));

	if (json_object_get(vol, "efsVolumeConfiguration") != NULL ||
	    json_object_get(vol, "fsxWindowsFileServerVolumeConfiguration") !=
	    NULL)
		return fail(err, "ResourceInitializationError: ecsd cannot mount "
		    "EFS or FSx volumes locally (volume %s)", name);
	if (path != NULL) {
		char real[PATH_MAX];

		/* RunTask checked the path; a task may have swapped a directory
		 * under an allowed root for a symbolic link since. Check again,
		 * and hand Docker the resolved path, not one to resolve later. */
		if (!policy_path_allowed(t->bind_roots, path)) {
			xasprintf(err, "ResourceInitializationError: volume %s: the "
			    "host path %s is outside --allowed-bind-roots (%s)", name,
			    path, t->bind_roots);
			return -1;
		}
		*type = "bind";
		*source = xstrdup(t->bind_roots != NULL && *t->bind_roots != '\0' &&
		    realpath(path, real) != NULL ? real : path);
		return 0;
	}
	*type = "volume";
	if (dvc != NULL && json_is_string(json_object_get(dvc, "scope")) &&
	    strcmp(json_string_value(json_object_get(dvc, "scope")), "shared")
	    == 0)
		*source = xstrdup(name);
	else
		*source = spec_volume_name(t, name);
	return 0;
}

static int
build_mounts(const struct spec_task *t, json_t *cdef, json_t *host,
    char **err)
{
	json_t *mounts = json_array(), *from = json_array(), *e;
	size_t i;
	int rc = -1;

	json_array_foreach(json_object_get(cdef, "mountPoints"), i, e) {
		const char *vname = json_string_value(json_object_get(e,
		    "sourceVolume"));
		const char *path = json_string_value(json_object_get(e,
		    "containerPath"));
		json_t *vol = vname ? find_volume(t, vname) : NULL;
		const char *type;
		char *source;

		if (vol == NULL || path == NULL) {
			fail(err, "ResourceInitializationError: mount point names "
			    "an unknown volume %s", vname ? vname : "(none)");
			goto out;
		}
		if (volume_source(t, vol, &source, &type, err) != 0)
			goto out;
		json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:b}",
		    "Type", type, "Source", source, "Target", path, "ReadOnly",
		    json_is_true(json_object_get(e, "readOnly"))));
		free(source);
	}
	json_array_foreach(json_object_get(cdef, "volumesFrom"), i, e) {
		const char *src = json_string_value(json_object_get(e,
		    "sourceContainer"));
		char *dname, *spec;

		if (src == NULL)
			continue;
		dname = spec_docker_name(t, src);
		xasprintf(&spec, "%s:%s", dname,
		    json_is_true(json_object_get(e, "readOnly")) ? "ro" : "rw");
		json_array_append_new(from, json_string(spec));
		free(spec);
		free(dname);
	}
	if (json_array_size(mounts) > 0)
		json_object_set(host, "Mounts", mounts);
	if (json_array_size(from) > 0)
		json_object_set(host, "VolumesFrom", from);
	rc = 0;
out:
	json_decref(mounts);
	json_decref(from);
	return rc;
}

static void
build_linux(json_t *cdef, json_t *host)
{
	json_t *lp = json_object_get(cdef, "linuxParameters"), *e;
	json_t *caps = json_object_get(lp, "capabilities");
	json_t *tmpfs = json_object(), *devices = json_array();
	size_t i;

	if (lp == NULL)
		goto out;
	if (json_is_true(json_object_get(lp, "initProcessEnabled")))
		json_object_set_new(host, "Init", json_true());
	copy_list(host, "CapAdd", caps, "add");
	copy_list(host, "CapDrop", caps, "drop");
	if (json_is_integer(json_object_get(lp, "sharedMemorySize")))
		json_object_set_new(host, "ShmSize", json_integer(
		    json_integer_value(json_object_get(lp, "sharedMemorySize")) *
		    MIB));
	json_array_foreach(json_object_get(lp, "tmpfs"), i, e) {
		const char *path = json_string_value(json_object_get(e,
		    "containerPath"));
		json_t *opt;
		size_t j;
		char opts[512];
		int n = snprintf(opts, sizeof opts, "size=%lldm",
		    (long long)json_integer_value(json_object_get(e, "size")));

		json_array_foreach(json_object_get(e, "mountOptions"), j, opt)
			if (n > 0 && (size_t)n < sizeof opts)
				n += snprintf(opts + n, sizeof opts - (size_t)n, ",%s",
				    json_string_value(opt));
		if (path != NULL)
			json_object_set_new(tmpfs, path, json_string(opts));
	}
	json_array_foreach(json_object_get(lp, "devices"), i, e) {
		char perms[4] = "";
		size_t np = 0;
		json_t *p;
		size_t j;
		const char *hp = json_string_value(json_object_get(e, "hostPath"));
		const char *cp = json_string_value(json_object_get(e,
		    "containerPath"));

		json_array_foreach(json_object_get(e, "permissions"), j, p) {
			const char *s = json_string_value(p);

			if (s != NULL && np < sizeof perms - 1)
				perms[np++] = strcmp(s, "read") == 0 ? 'r' :
				    strcmp(s, "write") == 0 ? 'w' : 'm';
		}
		if (hp != NULL)
			json_array_append_new(devices, json_pack("{s:s, s:s, s:s}",
			    "PathOnHost", hp, "PathInContainer", cp ? cp : hp,
			    "CgroupPermissions", perms[0] ? perms : "rwm"));
	}
	if (json_object_size(tmpfs) > 0)
		json_object_set(host, "Tmpfs", tmpfs);
	if (json_array_size(devices) > 0)
		json_object_set(host, "Devices", devices);
	if (json_is_integer(json_object_get(lp, "swappiness")))
		json_object_set(host, "MemorySwappiness", json_object_get(lp,
		    "swappiness"));
	if (json_is_integer(json_object_get(lp, "maxSwap")) &&
	    json_is_integer(json_object_get(host, "Memory")))
		json_object_set_new(host, "MemorySwap", json_integer(
		    json_integer_value(json_object_get(host, "Memory")) +
		    json_integer_value(json_object_get(lp, "maxSwap")) * MIB));
out:
	json_decref(tmpfs);
	json_decref(devices);
}

static json_int_t
int_or(json_t *obj, const char *key, json_int_t def)
{
	json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? json_integer_value(v) : def;
}

/* healthCheck -> Docker Healthcheck; ECS's defaults, durations in ns. */
static void
build_health(json_t *cdef, json_t *body)
{
	json_t *hc = json_object_get(cdef, "healthCheck");

	if (!json_is_array(json_object_get(hc, "command")))
		return;
	json_object_set_new(body, "Healthcheck", json_pack(
	    "{s:O, s:I, s:I, s:I, s:I}",
	    "Test", json_object_get(hc, "command"),
	    "Interval", int_or(hc, "interval", 30) * NS_PER_S,
	    "Timeout", int_or(hc, "timeout", 5) * NS_PER_S,
	    "Retries", int_or(hc, "retries", 3),
	    "StartPeriod", int_or(hc, "startPeriod", 0) * NS_PER_S));
}

static void
build_misc_host(const struct spec_task *t, json_t *cdef, json_t *host)
{
	json_t *e, *ul = json_array(), *sysctl = json_object(), *extra =
	    json_array(), *links = json_array(), *log;
	const char *driver;
	size_t i;

	json_array_foreach(json_object_get(cdef, "ulimits"), i, e)
		json_array_append_new(ul, json_pack("{s:O, s:O, s:O}", "Name",
		    json_object_get(e, "name"), "Soft", json_object_get(e,
		    "softLimit"), "Hard", json_object_get(e, "hardLimit")));
	json_array_foreach(json_object_get(cdef, "systemControls"), i, e)
		if (json_is_string(json_object_get(e, "namespace")))
			json_object_set(sysctl, json_string_value(json_object_get(e,
			    "namespace")), json_object_get(e, "value"));
	json_array_foreach(json_object_get(cdef, "extraHosts"), i, e) {
		char *s;

		xasprintf(&s, "%s:%s", json_string_value(json_object_get(e,
		    "hostname")), json_string_value(json_object_get(e,
		    "ipAddress")));
		json_array_append_new(extra, json_string(s));
		free(s);
	}
	json_array_foreach(json_object_get(cdef, "links"), i, e) {
		const char *l = json_string_value(e);
		const char *colon = l ? strchr(l, ':') : NULL;
		char *name, *dname, *s;

		if (l == NULL)
			continue;
		name = colon ? xstrndup(l, (size_t)(colon - l)) : xstrdup(l);
		dname = spec_docker_name(t, name);
		xasprintf(&s, "%s:%s", dname, colon ? colon + 1 : name);
		json_array_append_new(links, json_string(s));
		free(s);
		free(dname);
		free(name);
	}
	if (json_array_size(ul) > 0)
		json_object_set(host, "Ulimits", ul);
	if (json_object_size(sysctl) > 0)
		json_object_set(host, "Sysctls", sysctl);
	if (strcmp(t->network_mode, "awsvpc") != 0) {
		/* In awsvpc these belong to the pause container (spec_pause). */
		if (json_array_size(extra) > 0)
			json_object_set(host, "ExtraHosts", extra);
		copy_list(host, "Dns", cdef, "dnsServers");
		copy_list(host, "DnsSearch", cdef, "dnsSearchDomains");
	}
	if (json_array_size(links) > 0 && strcmp(t->network_mode, "bridge") == 0)
		json_object_set(host, "Links", links);
	copy_list(host, "SecurityOpt", cdef, "dockerSecurityOptions");
	/* Logs stay local: json-file unless a local driver was asked for. */
	log = json_object_get(cdef, "logConfiguration");
	driver = json_string_value(json_object_get(log, "logDriver"));
	if (driver != NULL && (strcmp(driver, "json-file") == 0 ||
	    strcmp(driver, "none") == 0 || strcmp(driver, "local") == 0))
		json_object_set_new(host, "LogConfig", json_pack("{s:s, s:O}",
		    "Type", driver, "Config", json_object_get(log, "options") ?
		    json_object_get(log, "options") : json_object()));
	else
		json_object_set_new(host, "LogConfig", json_pack("{s:s, s:{}}",
		    "Type", "json-file", "Config"));
	json_decref(ul);
	json_decref(sysctl);
	json_decref(extra);
	json_decref(links);
}

/*
 * Logs stay in Docker, but what awslogs would have used is recorded on the
 * container (labels ecsd.awslogs-group and ecsd.awslogs-stream), with the
 * stream named as ECS names it: <prefix>/<container name>/<task id>.
 */
static void
awslogs_labels(const struct spec_task *t, json_t *cdef, json_t *labels)
{
	json_t *log = json_object_get(cdef, "logConfiguration");
	json_t *opts = json_object_get(log, "options");
	const char *group = json_string_value(json_object_get(opts,
	    "awslogs-group"));
	const char *prefix = json_string_value(json_object_get(opts,
	    "awslogs-stream-prefix"));
	char *stream;

	if (json_string_value(json_object_get(log, "logDriver")) == NULL ||
	    strcmp(json_string_value(json_object_get(log, "logDriver")),
	    "awslogs") != 0 || group == NULL)
		return;
	json_object_set_new(labels, "ecsd.awslogs-group", json_string(group));
	if (prefix == NULL)
		return;
	xasprintf(&stream, "%s/%s/%s", prefix, json_string_value(json_object_get(
	    cdef, "name")), t->task_id);
	json_object_set_new(labels, "ecsd.awslogs-stream", json_string(stream));
	free(stream);
}

static void
set_str(json_t *dst, const char *dkey, json_t *src, const char *skey)
{
	json_t *v = json_object_get(src, skey);

	if (json_is_string(v))
		json_object_set(dst, dkey, v);
}

static void
set_bool(json_t *dst, const char *dkey, json_t *src, const char *skey)
{
	if (json_is_true(json_object_get(src, skey)))
		json_object_set_new(dst, dkey, json_true());
}

/* The POST /containers/create body for one container definition. */
int
spec_container(const struct spec_task *t, json_t *cdef, json_t **out,
    char **err)
{
	json_t *body = json_object(), *host = json_object(), *labels, *v;
	json_t *ecs_labels;
	const char *name = json_string_value(json_object_get(cdef, "name"));
	const char *image = json_string_value(json_object_get(cdef, "image"));
	char *img, *netmode;
	int rc = -1;

	*out = NULL;
	*err = NULL;
	if (name == NULL || image == NULL) {
		fail(err, "%s", "ResourceInitializationError: a container has no "
		    "name or image");
		goto out;
	}
	img = spec_image(image);
	json_object_set_new(body, "Image", json_string(img));
	free(img);
	copy_list(body, "Entrypoint", cdef, "entryPoint");
	copy_list(body, "Cmd", cdef, "command");
	set_str(body, "WorkingDir", cdef, "workingDirectory");
	set_str(body, "User", cdef, "user");
	if (strcmp(t->network_mode, "awsvpc") != 0 &&
	    strcmp(t->network_mode, "host") != 0)
		set_str(body, "Hostname", cdef, "hostname");
	set_bool(body, "Tty", cdef, "pseudoTerminal");
	set_bool(body, "OpenStdin", cdef, "interactive");
	if (json_is_integer(v = json_object_get(cdef, "stopTimeout")))
		json_object_set(body, "StopTimeout", v);
	if (build_env(t, cdef, body, err) != 0)
		goto out;
	labels = json_deep_copy(json_object_get(cdef, "dockerLabels"));
	if (!json_is_object(labels)) {
		json_decref(labels);
		labels = json_object();
	}
	awslogs_labels(t, cdef, labels);
	ecs_labels = spec_labels(t, name);
	json_object_update(labels, ecs_labels);   /* ours win, as the agent's do */
	json_decref(ecs_labels);
	json_object_set_new(body, "Labels", labels);
	build_health(cdef, body);

	if (json_is_integer(v = json_object_get(cdef, "memory")) &&
	    json_integer_value(v) > 0)
		json_object_set_new(host, "Memory", json_integer(
		    json_integer_value(v) * MIB));
	if (json_is_integer(v = json_object_get(cdef, "memoryReservation")) &&
	    json_integer_value(v) > 0)
		json_object_set_new(host, "MemoryReservation", json_integer(
		    json_integer_value(v) * MIB));
	if (json_is_integer(v = json_object_get(cdef, "cpu")) &&
	    json_integer_value(v) > 0)
		json_object_set_new(host, "CpuShares", json_integer(
		    json_integer_value(v) < 2 ? 2 : json_integer_value(v)));
	set_bool(host, "ReadonlyRootfs", cdef, "readonlyRootFilesystem");
	set_bool(host, "Privileged", cdef, "privileged");
	if (strcmp(t->network_mode, "awsvpc") == 0) {
		xasprintf(&netmode, "container:%s", t->pause_id ? t->pause_id : "");
		json_object_set_new(host, "NetworkMode", json_string(netmode));
		free(netmode);
	} else {
		json_object_set_new(host, "NetworkMode",
		    json_string(t->network_mode));
	}
	build_ports(t, cdef, body, host);
	if (build_mounts(t, cdef, host, err) != 0)
		goto out;
	build_linux(cdef, host);
	build_misc_host(t, cdef, host);
	if (json_is_string(v = json_object_get(t->definition, "pidMode")) &&
	    strcmp(json_string_value(v), "host") == 0)
		json_object_set_new(host, "PidMode", json_string("host"));
	if (json_is_string(v = json_object_get(t->definition, "ipcMode")) &&
	    (strcmp(json_string_value(v), "host") == 0 ||
	    strcmp(json_string_value(v), "none") == 0))
		json_object_set(host, "IpcMode", v);
	json_object_set(body, "HostConfig", host);
	*out = json_incref(body);
	rc = 0;
out:
	json_decref(host);
	json_decref(body);
	return rc;
}

/*
 * The awsvpc pause container: it owns the task's network namespace (the
 * app containers join it), so hostname, DNS and extra hosts go here.
 */
json_t *
spec_pause(const struct spec_task *t)
{
	json_t *body, *host = json_pack("{s:s}", "NetworkMode", "bridge");
	json_t *c, *extra = json_array(), *dns = json_array(), *search =
	    json_array(), *e;
	const char *hostname = NULL;
	size_t i, j;

	json_array_foreach(t->containers, i, c) {
		if (hostname == NULL)
			hostname = json_string_value(json_object_get(c, "hostname"));
		json_array_foreach(json_object_get(c, "extraHosts"), j, e) {
			char *s;

			xasprintf(&s, "%s:%s", json_string_value(json_object_get(e,
			    "hostname")), json_string_value(json_object_get(e,
			    "ipAddress")));
			json_array_append_new(extra, json_string(s));
			free(s);
		}
		if (json_is_array(json_object_get(c, "dnsServers")))
			json_array_extend(dns, json_object_get(c, "dnsServers"));
		if (json_is_array(json_object_get(c, "dnsSearchDomains")))
			json_array_extend(search, json_object_get(c,
			    "dnsSearchDomains"));
	}
	if (json_array_size(extra))
		json_object_set(host, "ExtraHosts", extra);
	if (json_array_size(dns))
		json_object_set(host, "Dns", dns);
	if (json_array_size(search))
		json_object_set(host, "DnsSearch", search);
	body = json_pack("{s:s, s:[s], s:o, s:o}", "Image", PAUSE_IMAGE,
	    "Entrypoint", "/pause", "Labels", spec_labels(t, PAUSE_NAME),
	    "HostConfig", host);
	if (hostname != NULL)
		json_object_set_new(body, "Hostname", json_string(hostname));
	json_decref(extra);
	json_decref(dns);
	json_decref(search);
	return body;
}

/* A local-driver volume whose options bind a host directory outside
 * --allowed-bind-roots (checked at RunTask, again here as for host paths):
 * the reason, or NULL. */
static char *
bind_refused(const struct spec_task *t, json_t *dvc)
{
	json_t *opts = json_object_get(dvc, "driverOpts");
	const char *o = json_string_value(json_object_get(opts, "o"));
	const char *device = json_string_value(json_object_get(opts, "device"));
	char *why = NULL;
	int bind = 0;

	for (const char *p = o; p != NULL && *p != '\0';) {
		size_t len = strcspn(p, ",");

		if ((len == 4 && strncmp(p, "bind", 4) == 0) ||
		    (len == 5 && strncmp(p, "rbind", 5) == 0))
			bind = 1;
		p += len;
		if (*p == ',')
			p++;
	}
	if (bind && device != NULL && !policy_path_allowed(t->bind_roots,
	    device))
		xasprintf(&why, "ResourceInitializationError: a volume binds the "
		    "host path %s, which is outside --allowed-bind-roots (%s)",
		    device, t->bind_roots);
	return why;
}

/*
 * Docker volumes the task needs before its containers are created:
 * [{"body": <POST /volumes/create>, "shared": bool, "autoprovision": bool}].
 * Task-scoped ones (an empty host, or scope "task") are labelled with the
 * task so they go with it; shared ones are created only with autoprovision.
 */
json_t *
spec_volumes(const struct spec_task *t)
{
	json_t *out = json_array(), *v;
	size_t i;

	json_array_foreach(json_object_get(t->definition, "volumes"), i, v) {
		const char *name = json_string_value(json_object_get(v, "name"));
		json_t *dvc = json_object_get(v, "dockerVolumeConfiguration");
		const char *scope = json_string_value(json_object_get(dvc, "scope"));
		int shared = scope != NULL && strcmp(scope, "shared") == 0;
		json_t *body, *labels;
		char *vname, *refused;

		if (name == NULL || json_is_string(json_object_get(
		    json_object_get(v, "host"), "sourcePath")) ||
		    json_object_get(v, "efsVolumeConfiguration") != NULL ||
		    json_object_get(v, "fsxWindowsFileServerVolumeConfiguration")
		    != NULL)
			continue;
		vname = shared ? xstrdup(name) : spec_volume_name(t, name);
		labels = json_deep_copy(json_object_get(dvc, "labels"));
		if (!json_is_object(labels)) {
			json_decref(labels);
			labels = json_object();
		}
		if (!shared) {
			json_object_set_new(labels, LABEL_TASK_ARN,
			    json_string(t->task_arn));
			json_object_set_new(labels, LABEL_OWNER, json_string(t->owner));
		}
		refused = bind_refused(t, dvc);
		body = json_pack("{s:s, s:s, s:o}", "Name", vname, "Driver",
		    json_string_value(json_object_get(dvc, "driver")) ?
		    json_string_value(json_object_get(dvc, "driver")) : "local",
		    "Labels", labels);
		if (json_is_object(json_object_get(dvc, "driverOpts")))
			json_object_set(body, "DriverOpts", json_object_get(dvc,
			    "driverOpts"));
		json_array_append_new(out, json_pack("{s:o, s:b, s:b}", "body", body,
		    "shared", shared, "autoprovision",
		    json_is_true(json_object_get(dvc, "autoprovision"))));
		if (refused != NULL)
			json_object_set_new(json_array_get(out, json_array_size(out) -
			    1), "refused", json_string(refused));
		free(refused);
		free(vname);
	}
	return out;
}

/* Seconds between SIGTERM and SIGKILL: the container's stopTimeout, or 30. */
long long
spec_stop_timeout(json_t *cdef)
{
	json_t *v = json_object_get(cdef, "stopTimeout");

	return json_is_integer(v) ? json_integer_value(v) : 30;
}
