/*
 * options.c - every option of ecsd, declared once as data: its flag, its
 * ECSD_* environment variable, its type, its default and its help. Flags win
 * over the environment, which wins over the default. --help prints this table.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

enum opt_type { OPT_STR, OPT_INT, OPT_BOOL };

struct option_entry {
	const char *name;      /* --name on the command line */
	const char *env;       /* ECSD_NAME in the environment */
	enum opt_type type;
	const char *def;       /* default, parsed like user input; NULL = computed */
	size_t off;            /* where the value lives in struct config */
	const char *help;
};

#define OFF(m) offsetof(struct config, m)

static const struct option_entry options_table[] = {
	{ "listen", "ECSD_LISTEN", OPT_STR, "127.0.0.1", OFF(listen),
	  "address to listen on; anything but loopback also needs --allow-remote" },
	{ "port", "ECSD_PORT", OPT_INT, "4599", OFF(port),
	  "TCP port of the ECS endpoint (0 picks a free port and logs it)" },
	{ "data-dir", "ECSD_DATA_DIR", OPT_STR, NULL, OFF(data_dir),
	  "directory of the SQLite store (default $XDG_DATA_HOME/ecsd or "
	  "~/.local/share/ecsd); ':memory:' keeps nothing" },
	{ "region", "ECSD_REGION", OPT_STR, "us-east-1", OFF(region),
	  "region of requests that carry no SigV4 credential scope" },
	{ "account", "ECSD_ACCOUNT", OPT_STR, "000000000000", OFF(account),
	  "12-digit account id used in every ARN" },
	{ "log-level", "ECSD_LOG_LEVEL", OPT_STR, "info", OFF(log_level),
	  "error, warn, info or debug (debug logs one line per request)" },
	{ "max-body", "ECSD_MAX_BODY", OPT_INT, "1048576", OFF(max_body),
	  "largest request body accepted, in bytes (larger gets HTTP 413)" },
	{ "max-connections", "ECSD_MAX_CONNECTIONS", OPT_INT, "512",
	  OFF(max_connections), "concurrent HTTP connections" },
	{ "connection-timeout", "ECSD_CONNECTION_TIMEOUT", OPT_INT, "30",
	  OFF(conn_timeout), "seconds before an idle or stalled connection is closed" },
	{ "check-output", "ECSD_CHECK_OUTPUT", OPT_BOOL, "false", OFF(check_output),
	  "validate every response against botocore's model (tests use it)" },
	{ "docker-host", "ECSD_DOCKER_HOST", OPT_STR, NULL, OFF(docker_host),
	  "Docker endpoint, unix:///path or tcp://host:port (default "
	  "$DOCKER_HOST, else unix:///var/run/docker.sock)" },
	{ "secrets-file", "ECSD_SECRETS_FILE", OPT_STR, "", OFF(secrets_file),
	  "JSON file mapping secret ARNs or names to values, for "
	  "containerDefinitions secrets" },
	{ "task-retention", "ECSD_TASK_RETENTION", OPT_INT, "3600",
	  OFF(task_retention), "seconds a STOPPED task stays describable" },
	{ "container-retention", "ECSD_CONTAINER_RETENTION", OPT_INT, "600",
	  OFF(container_retention),
	  "seconds a stopped task's containers are kept (for docker logs) "
	  "before ecsd removes them" },
	{ "reconcile-interval", "ECSD_RECONCILE_INTERVAL", OPT_INT, "5000",
	  OFF(reconcile_ms), "milliseconds between the scheduler's full passes "
	  "(changes and Docker events trigger passes at once)" },
	{ "allow-remote", "ECSD_ALLOW_REMOTE", OPT_BOOL, "false", OFF(allow_remote),
	  "permit a --listen address beyond loopback (the API can start "
	  "privileged containers: it is root on this host)" },
	{ "auth-keys", "ECSD_AUTH_KEYS", OPT_STR, "", OFF(auth_keys),
	  "JSON file of access key id -> secret (or {secretAccessKey, "
	  "account}); when set, every request must carry a valid SigV4 "
	  "signature by one of them (docs/security.md)" },
	{ "deny-privileged", "ECSD_DENY_PRIVILEGED", OPT_BOOL, "false",
	  OFF(deny_privileged), "RunTask/StartTask refuse privileged "
	  "containers, extra capabilities, host devices, pidMode/ipcMode host, "
	  "unconfined security options and device-backed volumes" },
	{ "allowed-bind-roots", "ECSD_ALLOWED_BIND_ROOTS", OPT_STR, "",
	  OFF(bind_roots), "colon-separated absolute host directories that "
	  "host volumes may mount from (empty: any path)" },
	{ "deny-host-network", "ECSD_DENY_HOST_NETWORK", OPT_BOOL, "false",
	  OFF(deny_host_network), "RunTask/StartTask refuse networkMode host "
	  "(such tasks share the host's loopback, ecsd's API included)" },
};

#define N_OPTIONS (sizeof options_table / sizeof options_table[0])

static int
set_value(struct config *cfg, const struct option_entry *o, const char *val,
    char **err)
{
	char *p = (char *)cfg + o->off;
	char *end;
	long n;

	switch (o->type) {
	case OPT_STR:
		free(*(char **)p);
		*(char **)p = xstrdup(val);
		return 0;
	case OPT_INT:
		errno = 0;
		n = strtol(val, &end, 10);
		if (errno != 0 || *val == '\0' || *end != '\0' || n < 0 ||
		    n > INT_MAX) {
			xasprintf(err, "--%s wants a non-negative integer, not '%s'",
			    o->name, val);
			return -1;
		}
		*(int *)p = (int)n;
		return 0;
	case OPT_BOOL:
		if (strcmp(val, "true") == 0 || strcmp(val, "1") == 0 ||
		    strcmp(val, "yes") == 0)
			*(int *)p = 1;
		else if (strcmp(val, "false") == 0 || strcmp(val, "0") == 0 ||
		    strcmp(val, "no") == 0)
			*(int *)p = 0;
		else {
			xasprintf(err, "--%s wants true or false, not '%s'", o->name,
			    val);
			return -1;
		}
		return 0;
	}
	return -1;
}

static char *
default_data_dir(void)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	char *dir;

	if (xdg != NULL && *xdg != '\0')
		xasprintf(&dir, "%s/ecsd", xdg);
	else if (home != NULL && *home != '\0')
		xasprintf(&dir, "%s/.local/share/ecsd", home);
	else
		dir = xstrdup("./ecsd-data");
	return dir;
}

/* Every --allowed-bind-roots entry is an absolute path. */
static int
check_bind_roots(const char *roots, char **err)
{
	const char *p = roots;

	while (*p != '\0') {
		size_t len = strcspn(p, ":");

		if (len > 0 && p[0] != '/') {
			xasprintf(err, "--allowed-bind-roots wants absolute paths "
			    "separated by ':', not '%.*s'", (int)len, p);
			return -1;
		}
		p += len;
		if (*p == ':')
			p++;
	}
	return 0;
}

static const struct option_entry *
find_option(const char *name, size_t len)
{
	for (size_t i = 0; i < N_OPTIONS; i++) {
		if (strlen(options_table[i].name) == len &&
		    strncmp(options_table[i].name, name, len) == 0)
			return &options_table[i];
	}
	return NULL;
}

/*
 * Fills cfg from defaults, the environment and argv. Returns 0, 1 when the
 * caller should exit successfully (--help, --version printed), or -1 with
 * *err set.
 */
int
options_parse(struct config *cfg, int argc, char **argv, char **err)
{
	*err = NULL;
	memset(cfg, 0, sizeof *cfg);
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct option_entry *o = &options_table[i];
		const char *env = getenv(o->env);

		if (o->def != NULL && set_value(cfg, o, o->def, err) != 0)
			return -1;
		if (env != NULL && set_value(cfg, o, env, err) != 0)
			return -1;
	}
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const struct option_entry *o;
		const char *eq, *val;
		size_t len;

		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			options_usage(stdout);
			return 1;
		}
		if (strcmp(arg, "--version") == 0) {
			printf("ecsd %s\n", ECSD_VERSION);
			return 1;
		}
		if (strncmp(arg, "--", 2) != 0) {
			xasprintf(err, "unexpected argument '%s' (see --help)", arg);
			return -1;
		}
		arg += 2;
		eq = strchr(arg, '=');
		len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
		o = find_option(arg, len);
		if (o == NULL) {
			xasprintf(err, "unknown option '--%.*s' (see --help)", (int)len,
			    arg);
			return -1;
		}
		if (eq != NULL)
			val = eq + 1;
		else if (o->type == OPT_BOOL)
			val = "true";
		else if (i + 1 < argc)
			val = argv[++i];
		else {
			xasprintf(err, "option '--%s' needs a value", o->name);
			return -1;
		}
		if (set_value(cfg, o, val, err) != 0)
			return -1;
	}
	if (cfg->data_dir == NULL)
		cfg->data_dir = default_data_dir();
	if (cfg->docker_host == NULL) {
		const char *env = getenv("DOCKER_HOST");

		cfg->docker_host = xstrdup(env != NULL && *env != '\0' ? env :
		    "unix:///var/run/docker.sock");
	}
	if (log_set_level(cfg->log_level) != 0) {
		xasprintf(err, "unknown log level '%s' (error, warn, info, debug)",
		    cfg->log_level);
		return -1;
	}
	if (strlen(cfg->account) != 12 ||
	    strspn(cfg->account, "0123456789") != 12) {
		xasprintf(err, "--account wants 12 digits, not '%s'", cfg->account);
		return -1;
	}
	if (check_bind_roots(cfg->bind_roots, err) != 0)
		return -1;
	if (cfg->port > 65535) {
		xasprintf(err, "--port %d is not a TCP port", cfg->port);
		return -1;
	}
	return 0;
}

void
options_usage(FILE *f)
{
	fprintf(f, "usage: ecsd [--option value | --option=value]...\n\n"
	    "A local Amazon ECS control plane: point aws-cli, boto3 or Terraform\n"
	    "at http://127.0.0.1:%d and tasks run as real Docker containers.\n\n"
	    "options (each also read from the environment variable shown):\n",
	    ECSD_DEFAULT_PORT);
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct option_entry *o = &options_table[i];

		fprintf(f, "  --%-20s %s\n  %-22s   %s%s%s\n", o->name, o->help, "",
		    o->env, o->def ? ", default " : "", o->def ? o->def : "");
	}
	fprintf(f, "  --%-20s %s\n  --%-20s %s\n", "help", "print this help",
	    "version", "print the version");
}

void
options_free(struct config *cfg)
{
	for (size_t i = 0; i < N_OPTIONS; i++) {
		if (options_table[i].type == OPT_STR) {
			char **p = (char **)((char *)cfg + options_table[i].off);

			free(*p);
			*p = NULL;
		}
	}
}
