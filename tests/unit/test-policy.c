/*
 * test-policy.c - what a task may ask of the host (api/policy.c): a table
 * of task definitions against --deny-privileged, --allowed-bind-roots and
 * --deny-host-network; host paths resolved through symbolic links; and the
 * hook in RunTask/StartTask through the real dispatch.
 */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../api/api.h"
#include "unit.h"

enum { DENY_PRIV = 1, DENY_HOST = 2, ROOTS = 4 };

/* One task definition, the options on, and the refusal expected (a part
 * of the message) or NULL when it is allowed. */
struct policy_case {
	const char *td;
	int opts;
	const char *refused;
};

#define C(x) "{\"networkMode\":\"bridge\",\"containerDefinitions\":[" x "]}"
#define APP "\"name\":\"app\",\"image\":\"busybox\""
#define ALL (DENY_PRIV | DENY_HOST | ROOTS)

static const struct policy_case cases[] = {
	/* everything passes when nothing is asked for */
	{ C("{" APP ",\"privileged\":true}"), 0, NULL },
	{ "{\"networkMode\":\"host\",\"pidMode\":\"host\",\"ipcMode\":\"host\","
	  "\"volumes\":[{\"name\":\"etc\",\"host\":{\"sourcePath\":\"/etc\"}}],"
	  "\"containerDefinitions\":[{" APP "}]}", 0, NULL },
	/* a plain task passes everything */
	{ C("{" APP ",\"privileged\":false,\"linuxParameters\":{\"capabilities\":"
	  "{\"add\":[\"NET_BIND_SERVICE\",\"CAP_CHOWN\",\"sys_nice\"],"
	  "\"drop\":[\"ALL\"]},\"initProcessEnabled\":true},"
	  "\"dockerSecurityOptions\":[\"no-new-privileges\"]}"), ALL, NULL },
	{ C("{" APP ",\"privileged\":true}"), DENY_PRIV,
	  "Container 'app' is privileged" },
	{ C("{" APP "},{\"name\":\"side\",\"image\":\"x\",\"privileged\":true}"),
	  DENY_PRIV, "Container 'side' is privileged" },
	{ C("{" APP ",\"privileged\":true}"), DENY_HOST | ROOTS, NULL },
	{ C("{" APP ",\"linuxParameters\":{\"capabilities\":{\"add\":"
	  "[\"SYS_ADMIN\"]}}}"), DENY_PRIV,
	  "Container 'app' adds the Linux capability SYS_ADMIN" },
	{ C("{" APP ",\"linuxParameters\":{\"capabilities\":{\"add\":"
	  "[\"CHOWN\",\"ALL\"]}}}"), DENY_PRIV, "capability ALL" },
	{ C("{" APP ",\"linuxParameters\":{\"capabilities\":{\"add\":"
	  "[\"CAP_NET_ADMIN\"]}}}"), DENY_PRIV, "capability CAP_NET_ADMIN" },
	{ C("{" APP ",\"linuxParameters\":{\"capabilities\":{\"add\":"
	  "[\"SYS_PTRACE\"]}}}"), DENY_PRIV, "capability SYS_PTRACE" },
	{ C("{" APP ",\"linuxParameters\":{\"devices\":[{\"hostPath\":"
	  "\"/dev/sda\"}]}}"), DENY_PRIV,
	  "Container 'app' maps the host device /dev/sda" },
	{ C("{" APP ",\"dockerSecurityOptions\":[\"seccomp:unconfined\"]}"),
	  DENY_PRIV, "security option 'seccomp:unconfined'" },
	{ C("{" APP ",\"dockerSecurityOptions\":[\"apparmor=Unconfined\"]}"),
	  DENY_PRIV, "security option 'apparmor=Unconfined'" },
	{ C("{" APP ",\"dockerSecurityOptions\":[\"label:disable\"]}"),
	  DENY_PRIV, "security option 'label:disable'" },
	{ C("{" APP ",\"dockerSecurityOptions\":[\"label:type:svirt_t\"]}"),
	  DENY_PRIV, NULL },
	{ "{\"pidMode\":\"host\",\"containerDefinitions\":[{" APP "}]}",
	  DENY_PRIV, "uses pidMode host" },
	{ "{\"pidMode\":\"task\",\"ipcMode\":\"task\",\"containerDefinitions\":"
	  "[{" APP "}]}", DENY_PRIV, NULL },
	{ "{\"ipcMode\":\"host\",\"containerDefinitions\":[{" APP "}]}",
	  DENY_PRIV, "uses ipcMode host" },
	{ "{\"networkMode\":\"host\",\"containerDefinitions\":[{" APP "}]}",
	  DENY_PRIV | ROOTS, NULL },
	{ "{\"networkMode\":\"host\",\"containerDefinitions\":[{" APP "}]}",
	  DENY_HOST, "uses networkMode host" },
	{ "{\"networkMode\":\"awsvpc\",\"containerDefinitions\":[{" APP "}]}",
	  DENY_HOST, NULL },
	/* volumes: host paths against the roots (set to @ROOT@ below) */
	{ "{\"volumes\":[{\"name\":\"etc\",\"host\":{\"sourcePath\":\"/etc\"}}],"
	  "\"containerDefinitions\":[{" APP "}]}", ROOTS,
	  "Volume 'etc' mounts the host path /etc, which is outside" },
	{ "{\"volumes\":[{\"name\":\"etc\",\"host\":{\"sourcePath\":\"/etc\"}}],"
	  "\"containerDefinitions\":[{" APP "}]}", DENY_PRIV | DENY_HOST, NULL },
	{ "{\"volumes\":[{\"name\":\"ok\",\"host\":{\"sourcePath\":"
	  "\"@ROOT@/data\"}},{\"name\":\"managed\",\"host\":{}},"
	  "{\"name\":\"dv\",\"dockerVolumeConfiguration\":{\"scope\":\"task\","
	  "\"driver\":\"local\"}}],\"containerDefinitions\":[{" APP "}]}",
	  ALL, NULL },
	{ "{\"volumes\":[{\"name\":\"up\",\"host\":{\"sourcePath\":"
	  "\"@ROOT@/../etc\"}}],\"containerDefinitions\":[{" APP "}]}", ROOTS,
	  "Volume 'up' mounts the host path" },
	{ "{\"volumes\":[{\"name\":\"b\",\"dockerVolumeConfiguration\":{"
	  "\"driver\":\"local\",\"driverOpts\":{\"type\":\"none\",\"o\":"
	  "\"bind\",\"device\":\"/root\"}}}],\"containerDefinitions\":"
	  "[{" APP "}]}", ROOTS,
	  "Volume 'b' binds the host path /root through its driver options" },
	{ "{\"volumes\":[{\"name\":\"b\",\"dockerVolumeConfiguration\":{"
	  "\"driver\":\"local\",\"driverOpts\":{\"type\":\"none\",\"o\":"
	  "\"ro,rbind\",\"device\":\"@ROOT@/data\"}}}],\"containerDefinitions\":"
	  "[{" APP "}]}", ALL, NULL },
	{ "{\"volumes\":[{\"name\":\"disk\",\"dockerVolumeConfiguration\":{"
	  "\"driver\":\"local\",\"driverOpts\":{\"type\":\"ext4\",\"device\":"
	  "\"/dev/sda1\"}}}],\"containerDefinitions\":[{" APP "}]}", DENY_PRIV,
	  "Volume 'disk' mounts the device /dev/sda1" },
	{ "{\"volumes\":[{\"name\":\"disk\",\"dockerVolumeConfiguration\":{"
	  "\"driver\":\"local\",\"driverOpts\":{\"type\":\"ext4\",\"device\":"
	  "\"/dev/sda1\"}}}],\"containerDefinitions\":[{" APP "}]}", ROOTS,
	  NULL },
};

/* A private directory tree: ROOT/data, ROOT/escape -> /etc, a dangling
 * link, and a sibling ROOTx that shares ROOT's prefix. */
static char root[PATH_MAX];

static void
make_tree(void)
{
	char p[PATH_MAX + 32];

	snprintf(root, sizeof root, "/tmp/ecsd-policy-XXXXXX");
	ASSERT_NOT_NULL(mkdtemp(root));
	snprintf(p, sizeof p, "%s/data", root);
	ASSERT_INT_EQ(mkdir(p, 0700), 0);
	snprintf(p, sizeof p, "%s/escape", root);
	ASSERT_INT_EQ(symlink("/etc", p), 0);
	snprintf(p, sizeof p, "%s/dangling", root);
	ASSERT_INT_EQ(symlink("/nonexistent/ecsd/x", p), 0);
	snprintf(p, sizeof p, "%sx", root);
	ASSERT(mkdir(p, 0700) == 0);
}

static void
remove_tree(void)
{
	char p[PATH_MAX + 32];

	snprintf(p, sizeof p, "%s/data", root);
	rmdir(p);
	snprintf(p, sizeof p, "%s/escape", root);
	unlink(p);
	snprintf(p, sizeof p, "%s/dangling", root);
	unlink(p);
	rmdir(root);
	snprintf(p, sizeof p, "%sx", root);
	rmdir(p);
}

/* text with every @ROOT@ replaced by the tree's root */
static char *
with_root(const char *text)
{
	char *out = xstrdup(text), *at;

	while ((at = strstr(out, "@ROOT@")) != NULL) {
		char *next;

		*at = '\0';
		xasprintf(&next, "%s%s%s", out, root, at + 6);
		free(out);
		out = next;
	}
	return out;
}

TEST(policy_table)
{
	char msg[1024], roots[PATH_MAX + 32];

	make_tree();
	snprintf(roots, sizeof roots, "/nonexistent/root:%s", root);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct policy_case *c = &cases[i];
		struct config cfg;
		char *text = with_root(c->td);
		json_t *td = json_loads(text, 0, NULL);
		int rc;

		if (td == NULL)
			UNIT_FAIL("case %zu: bad JSON %s", i, text);
		memset(&cfg, 0, sizeof cfg);
		cfg.deny_privileged = (c->opts & DENY_PRIV) != 0;
		cfg.deny_host_network = (c->opts & DENY_HOST) != 0;
		cfg.bind_roots = (c->opts & ROOTS) ? roots : "";
		msg[0] = '\0';
		rc = policy_violation(&cfg, td, NULL, msg, sizeof msg);
		if (c->refused == NULL && rc != 0)
			UNIT_FAIL("case %zu refused: %s", i, msg);
		if (c->refused != NULL && (rc == 0 || strstr(msg, c->refused) ==
		    NULL))
			UNIT_FAIL("case %zu: wanted a refusal with \"%s\", got %d "
			    "\"%s\"", i, c->refused, rc, msg);
		json_decref(td);
		free(text);
	}
	remove_tree();
}

TEST(policy_paths_resolve_links_and_components)
{
	char roots[PATH_MAX + 16], p[PATH_MAX + 64];

	make_tree();
	snprintf(roots, sizeof roots, "%s", root);
	ASSERT_INT_EQ(policy_path_allowed("", "/etc"), 1);
	ASSERT_INT_EQ(policy_path_allowed(roots, root), 1);
	snprintf(p, sizeof p, "%s/data", root);
	ASSERT_INT_EQ(policy_path_allowed(roots, p), 1);
	snprintf(p, sizeof p, "%s//data/./", root);
	ASSERT_INT_EQ(policy_path_allowed(roots, p), 1);
	/* not there yet: judged by the part that exists */
	snprintf(p, sizeof p, "%s/data/new/dir", root);
	ASSERT_INT_EQ(policy_path_allowed(roots, p), 1);
	/* a link out of the root, and anything below it */
	snprintf(p, sizeof p, "%s/escape", root);
	ASSERT_INT_EQ(policy_path_allowed(roots, p), 0);
	snprintf(p, sizeof p, "%s/escape/ssl", root);
	ASSERT_INT_EQ(policy_path_allowed(roots, p), 0);
	snprintf(p, sizeof p, "%s/dangling", root);
	ASSERT_INT_EQ(policy_path_allowed(roots, p), 0);
	snprintf(p, sizeof p, "%s/data/../data", root);
	ASSERT_INT_EQ(policy_path_allowed(roots, p), 0);
	/* a sibling sharing the prefix is not under the root */
	snprintf(p, sizeof p, "%sx", root);
	ASSERT_INT_EQ(policy_path_allowed(roots, p), 0);
	ASSERT_INT_EQ(policy_path_allowed(roots, "relative/path"), 0);
	ASSERT_INT_EQ(policy_path_allowed(roots, "/"), 0);
	/* a root that is itself a link is taken where it points */
	snprintf(p, sizeof p, "%s/escape", root);
	ASSERT_INT_EQ(policy_path_allowed(p, "/etc/ssl"), 1);
	ASSERT_INT_EQ(policy_path_allowed("/", "/anything"), 1);
	remove_tree();
}

static json_t *
call(const char *op, const char *body, int status_wanted)
{
	int status;
	json_t *out = unit_call(op, body, &status);

	if (status != status_wanted)
		UNIT_FAIL("%s: status %d: %s", op, status,
		    json_dumps(out, JSON_COMPACT));
	return out;
}

TEST(policy_refuses_run_task_and_start_task)
{
	struct config *cfg;
	json_t *out, *list;
	char body[512];

	unit_store_setup();
	/* each test runs in its own child: changing the options is local */
	cfg = (struct config *)api_config();
	cfg->deny_privileged = 1;
	json_decref(call("CreateCluster", "{\"clusterName\":\"c1\"}", 200));
	json_decref(call("RegisterTaskDefinition", "{\"family\":\"root\","
	    "\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\","
	    "\"memory\":32},{\"name\":\"evil\",\"image\":\"busybox\","
	    "\"memory\":32,\"privileged\":true}]}", 200));
	json_decref(call("RegisterTaskDefinition", "{\"family\":\"plain\","
	    "\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\","
	    "\"memory\":32}]}", 200));

	out = call("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"root\"}",
	    400);
	ASSERT_STR_EQ(unit_error_type(out), "ClientException");
	ASSERT_STR_EQ(json_string_value(json_object_get(out, "message")),
	    "Container 'evil' is privileged, which this ecsd refuses "
	    "(--deny-privileged).");
	json_decref(out);

	out = call("ListContainerInstances", "{\"cluster\":\"c1\"}", 200);
	list = json_object_get(out, "containerInstanceArns");
	ASSERT_INT_EQ(json_array_size(list), 1);
	snprintf(body, sizeof body, "{\"cluster\":\"c1\",\"taskDefinition\":"
	    "\"root\",\"containerInstances\":[\"%s\"]}",
	    json_string_value(json_array_get(list, 0)));
	json_decref(out);
	out = call("StartTask", body, 400);
	ASSERT_STR_EQ(unit_error_type(out), "ClientException");
	json_decref(out);

	/* nothing was recorded; a plain task still runs */
	out = call("ListTasks", "{\"cluster\":\"c1\"}", 200);
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "taskArns")), 0);
	json_decref(out);
	json_decref(call("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":"
	    "\"plain\"}", 200));
	cfg->deny_privileged = 0;
	json_decref(call("RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":"
	    "\"root\"}", 200));
}
