/*
 * policy.c - what a task may ask of the host, for users who run task
 * definitions they did not write. RunTask and StartTask (and so every
 * service launch that goes through them) call policy_check on the effective
 * container definitions before anything is placed; a refusal is a
 * ClientException naming the container or volume at fault.
 *
 *   --deny-privileged     privileged, capabilities beyond the allowed set
 *                         (caps[] below), host devices, pidMode/ipcMode host,
 *                         unconfined seccomp/AppArmor/SELinux options, and
 *                         volumes whose driver options mount a device
 *   --allowed-bind-roots  host paths of volumes (host.sourcePath, and local
 *                         driver binds) must lie under one of these roots,
 *                         after symbolic links are resolved
 *   --deny-host-network   networkMode host (it shares the host's loopback,
 *                         where ecsd's own API listens)
 *
 * Everything is off by default: ecsd then runs what ECS would run.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "api.h"

/*
 * Capabilities a container may add under --deny-privileged: Docker's
 * default set (adding them again changes nothing) and a few that do not
 * reach beyond the container's own namespaces or resources.
 */
static const char *const caps[] = {
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL",
	"MKNOD", "NET_BIND_SERVICE", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP",
	"SETUID", "SYS_CHROOT",
	"IPC_LOCK", "IPC_OWNER", "LEASE", "NET_BROADCAST", "SYS_NICE",
	"WAKE_ALARM",
};

#define N_CAPS (sizeof caps / sizeof caps[0])

static int
refuse(char *msg, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
refuse(char *msg, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, n, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *
str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int
cap_allowed(const char *cap)
{
	if (strncasecmp(cap, "CAP_", 4) == 0)
		cap += 4;
	for (size_t i = 0; i < N_CAPS; i++)
		if (strcasecmp(cap, caps[i]) == 0)
			return 1;
	return 0;
}

/* seccomp/apparmor/systempaths "unconfined", SELinux "label:disable". */
static int
security_opt_denied(const char *opt)
{
	char low[256];
	size_t n = strlen(opt);

	if (n >= sizeof low)
		return 1;
	for (size_t i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)opt[i]);
	return strstr(low, "unconfined") != NULL ||
	    strcmp(low, "label:disable") == 0 || strcmp(low, "label=disable") == 0;
}

/*
 * path resolved as the kernel would when Docker mounts it: the longest
 * prefix that exists goes through realpath (symbolic links), the rest is
 * appended. Refused (-1): relative paths, paths with a ".." segment (after
 * a symbolic link, ".." does not mean what it looks like) and dangling
 * links, whose target is anyone's guess.
 */
static int
resolve(const char *path, char *out)
{
	char buf[PATH_MAX];
	const char *p = path, *rest;
	struct stat st;
	size_t cut, n;

	if (path[0] != '/' || strlen(path) >= sizeof buf)
		return -1;
	while (*p != '\0') {
		size_t len = strcspn(p, "/");

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return -1;
		p += len;
		if (*p == '/')
			p++;
	}
	snprintf(buf, sizeof buf, "%s", path);
	cut = strlen(buf);
	while (realpath(buf, out) == NULL) {
		char *slash;

		if ((errno != ENOENT && errno != ENOTDIR) || lstat(buf, &st) == 0)
			return -1;
		slash = strrchr(buf, '/');
		cut = (size_t)(slash - buf);
		if (slash == buf) {
			snprintf(buf, sizeof buf, "/");
			continue;
		}
		*slash = '\0';
	}
	rest = path + cut;
	n = strlen(out);
	while (*rest != '\0') {
		size_t len = strcspn(rest, "/");

		if (len > 0 && !(len == 1 && rest[0] == '.')) {
			if (n + 1 + len >= PATH_MAX)
				return -1;
			if (n > 1)
				out[n++] = '/';
			memcpy(out + n, rest, len);
			n += len;
			out[n] = '\0';
		}
		rest += len;
		if (*rest == '/')
			rest++;
	}
	return 0;
}

/* Whether the host path lies under one of the ':'-separated roots (each
 * resolved too). Every path is allowed when roots is empty. */
int
policy_path_allowed(const char *roots, const char *path)
{
	char real[PATH_MAX], root[PATH_MAX], rreal[PATH_MAX];
	const char *p = roots;

	if (roots == NULL || *roots == '\0')
		return 1;
	if (path == NULL || resolve(path, real) != 0)
		return 0;
	while (*p != '\0') {
		size_t len = strcspn(p, ":"), rn;

		if (len > 0 && len < sizeof root) {
			memcpy(root, p, len);
			root[len] = '\0';
			if (resolve(root, rreal) == 0) {
				rn = strlen(rreal);
				if (strcmp(rreal, "/") == 0 ||
				    (strncmp(real, rreal, rn) == 0 &&
				    (real[rn] == '\0' || real[rn] == '/')))
					return 1;
			}
		}
		p += len;
		if (*p == ':')
			p++;
	}
	return 0;
}

/* The local driver's "o" options name a bind mount. */
static int
opts_bind(const char *o)
{
	const char *p = o;

	while (p != NULL && *p != '\0') {
		size_t len = strcspn(p, ",");

		if ((len == 4 && strncmp(p, "bind", 4) == 0) ||
		    (len == 5 && strncmp(p, "rbind", 5) == 0))
			return 1;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

static int
check_volumes(const struct config *cfg, json_t *td, char *msg, size_t n)
{
	const char *roots = cfg->bind_roots ? cfg->bind_roots : "";
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(td, "volumes"), i, v) {
		const char *name = str(v, "name") ? str(v, "name") : "(unnamed)";
		const char *src = str(json_object_get(v, "host"), "sourcePath");
		json_t *opts = json_object_get(json_object_get(v,
		    "dockerVolumeConfiguration"), "driverOpts");
		const char *device = str(opts, "device");

		if (src != NULL && !policy_path_allowed(roots, src))
			return refuse(msg, n, "Volume '%s' mounts the host path %s, "
			    "which is outside the directories this ecsd lets tasks "
			    "mount (--allowed-bind-roots %s).", name, src, roots);
		if (device == NULL)
			continue;
		if (opts_bind(str(opts, "o"))) {
			if (!policy_path_allowed(roots, device))
				return refuse(msg, n, "Volume '%s' binds the host path %s "
				    "through its driver options, which is outside the "
				    "directories this ecsd lets tasks mount "
				    "(--allowed-bind-roots %s).", name, device, roots);
		} else if (cfg->deny_privileged) {
			return refuse(msg, n, "Volume '%s' mounts the device %s through "
			    "its driver options, which this ecsd refuses "
			    "(--deny-privileged).", name, device);
		}
	}
	return 0;
}

static int
check_container(json_t *ct, char *msg, size_t n)
{
	const char *name = str(ct, "name") ? str(ct, "name") : "(unnamed)";
	json_t *lp = json_object_get(ct, "linuxParameters"), *v;
	size_t i;

	if (json_is_true(json_object_get(ct, "privileged")))
		return refuse(msg, n, "Container '%s' is privileged, which this "
		    "ecsd refuses (--deny-privileged).", name);
	json_array_foreach(json_object_get(json_object_get(lp, "capabilities"),
	    "add"), i, v) {
		const char *cap = json_string_value(v);

		if (cap != NULL && !cap_allowed(cap))
			return refuse(msg, n, "Container '%s' adds the Linux capability "
			    "%s, which this ecsd refuses (--deny-privileged allows "
			    "Docker's default set and IPC_LOCK, IPC_OWNER, LEASE, "
			    "NET_BROADCAST, SYS_NICE, WAKE_ALARM).", name, cap);
	}
	json_array_foreach(json_object_get(lp, "devices"), i, v) {
		const char *dev = str(v, "hostPath");

		return refuse(msg, n, "Container '%s' maps the host device %s, "
		    "which this ecsd refuses (--deny-privileged).", name,
		    dev ? dev : "(none)");
	}
	json_array_foreach(json_object_get(ct, "dockerSecurityOptions"), i, v) {
		const char *opt = json_string_value(v);

		if (opt != NULL && security_opt_denied(opt))
			return refuse(msg, n, "Container '%s' sets the Docker security "
			    "option '%s', which this ecsd refuses (--deny-privileged).",
			    name, opt);
	}
	return 0;
}

/*
 * Checks a task definition and its effective container definitions
 * (containers; the definition's own when NULL) against cfg. Returns 0, or
 * -1 with a sentence for the user in msg.
 */
int
policy_violation(const struct config *cfg, json_t *td, json_t *containers,
    char *msg, size_t n)
{
	const char *net = str(td, "networkMode");
	json_t *ct;
	size_t i;

	if (containers == NULL)
		containers = json_object_get(td, "containerDefinitions");
	if (cfg->deny_host_network && net != NULL && strcmp(net, "host") == 0)
		return refuse(msg, n, "The task definition uses networkMode host, "
		    "which this ecsd refuses (--deny-host-network): such tasks "
		    "share the host's network, ecsd's own API included.");
	if (cfg->deny_privileged) {
		if (str(td, "pidMode") != NULL && strcmp(str(td, "pidMode"),
		    "host") == 0)
			return refuse(msg, n, "The task definition uses pidMode host, "
			    "which this ecsd refuses (--deny-privileged).");
		if (str(td, "ipcMode") != NULL && strcmp(str(td, "ipcMode"),
		    "host") == 0)
			return refuse(msg, n, "The task definition uses ipcMode host, "
			    "which this ecsd refuses (--deny-privileged).");
		json_array_foreach(containers, i, ct) {
			if (check_container(ct, msg, n) != 0)
				return -1;
		}
	}
	return check_volumes(cfg, td, msg, n);
}

/* The RunTask/StartTask hook: a refusal is a ClientException. */
int
policy_check(struct req *r, json_t *td, json_t *containers)
{
	const struct config *cfg = api_config();
	char msg[1024];

	if (cfg == NULL)
		return 0;
	if (policy_violation(cfg, td, containers, msg, sizeof msg) != 0)
		return api_fail(r, ECS_ERR_CLIENT, "%s", msg);
	return 0;
}
