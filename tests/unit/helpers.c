/*
 * helpers.c - seams for unit tests: a store on :memory: behind the real
 * dispatch, and calls through api_handle exactly as HTTP would make them.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../../api/api.h"
#include "../../store/store.h"
#include "unit.h"

static struct config cfg;
static struct store *store;

void
unit_store_setup(void)
{
	char *err = NULL;

	cfg.account = "123456789012";
	cfg.region = "us-east-1";
	cfg.check_output = 1;
	if (model_init(&err) != 0)
		UNIT_FAIL("model: %s", err);
	if (store_open(":memory:", &store, &err) != 0)
		UNIT_FAIL("store: %s", err);
	api_init(store, &cfg, NULL, NULL);
}

json_t *
unit_call_region(const char *op, const char *region, const char *body,
    int *status)
{
	struct api_response resp = { 0 };
	char target[128], auth[256];
	json_t *doc;

	snprintf(target, sizeof target, "AmazonEC2ContainerServiceV20141113.%s",
	    op);
	snprintf(auth, sizeof auth, "AWS4-HMAC-SHA256 Credential=test/20261122/"
	    "%s/ecs/aws4_request, SignedHeaders=host, Signature=00",
	    region ? region : "");
	api_handle(target, region ? auth : NULL, body, strlen(body), &resp);
	doc = json_loadb(resp.body, resp.len, 0, NULL);
	if (doc == NULL)
		UNIT_FAIL("response is not JSON: %s", resp.body);
	if (status != NULL)
		*status = resp.status;
	free(resp.body);
	return doc;
}

json_t *
unit_call(const char *op, const char *body, int *status)
{
	return unit_call_region(op, NULL, body, status);
}

const char *
unit_error_type(json_t *doc)
{
	return json_string_value(json_object_get(doc, "__type"));
}
