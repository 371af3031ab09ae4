/*
 * admin.c - endpoints outside the ECS protocol, all under /_ecsd/:
 *
 *   GET  /_ecsd/health   the process answers (for scripts to wait on)
 *   GET  /_ecsd/ready    the store answers too
 *   GET  /_ecsd/info     version, account, default region, coverage
 *   POST /_ecsd/reset    empties all state (between integration tests)
 *
 * The reset also runs the hooks other parts register (the scheduler's
 * removes the containers ecsd started).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

#define MAX_RESET_HOOKS 4

static struct {
	void (*fn)(void *);
	void *arg;
} reset_hooks[MAX_RESET_HOOKS];
static int n_reset_hooks;
static double started_at;
static char owner[40];

void
admin_on_reset(void (*fn)(void *), void *arg)
{
	if (n_reset_hooks < MAX_RESET_HOOKS) {
		reset_hooks[n_reset_hooks].fn = fn;
		reset_hooks[n_reset_hooks].arg = arg;
		n_reset_hooks++;
	}
}

void
admin_started(const char *owner_id)
{
	started_at = now_epoch();
	snprintf(owner, sizeof owner, "%s", owner_id ? owner_id : "");
}

static json_t *
info(void)
{
	const struct config *cfg = api_config();
	size_t implemented = 0;

	for (size_t i = 0; i < ops_count; i++)
		if (ops_table[i].fn != NULL)
			implemented++;
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:f, s:{s:i, s:i}}",
	    "name", "ecsd", "version", ECSD_VERSION, "owner", owner,
	    "account", cfg->account, "defaultRegion", cfg->region,
	    "schemaVersion", store_schema_version(api_store()),
	    "uptimeSeconds", now_epoch() - started_at,
	    "operations", "total", (int)ops_count, "implemented",
	    (int)implemented);
}

static json_t *
ready(int *status)
{
	if (store_schema_version(api_store()) > 0)
		return json_pack("{s:s}", "status", "ready");
	*status = 503;
	return json_pack("{s:s}", "status", "store unavailable");
}

static json_t *
reset(int *status)
{
	if (store_reset(api_store()) != 0) {
		*status = 500;
		return json_pack("{s:s, s:s}", "__type", "ServerException",
		    "message", "The store could not be emptied.");
	}
	for (int i = 0; i < n_reset_hooks; i++)
		reset_hooks[i].fn(reset_hooks[i].arg);
	log_info("admin: state reset");
	return json_pack("{s:s}", "status", "reset");
}

void
admin_handle(const char *method, const char *url, struct api_response *resp)
{
	const char *what = url + strlen(ADMIN_PREFIX);
	int get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
	int status = 200;
	json_t *doc;

	uuid4(resp->request_id);
	if (strcmp(what, "health") == 0 && get)
		doc = json_pack("{s:s}", "status", "ok");
	else if (strcmp(what, "ready") == 0 && get)
		doc = ready(&status);
	else if (strcmp(what, "info") == 0 && get)
		doc = info();
	else if (strcmp(what, "reset") == 0 && post)
		doc = reset(&status);
	else {
		status = 404;
		doc = json_pack("{s:s}", "message", "No such admin endpoint: try "
		    "GET /_ecsd/health, /_ecsd/ready, /_ecsd/info or "
		    "POST /_ecsd/reset.");
	}
	resp->status = status;
	resp->body = json_dumps(doc, JSON_COMPACT);
	resp->len = strlen(resp->body);
	json_decref(doc);
}
