/*
 * fuzz_request.c - a libFuzzer target for the request path: api_handle on a
 * store opened on :memory:, with the model's validation and every handler.
 * No HTTP and no Docker: api_init gets a NULL kick, so the scheduler never
 * runs; handlers only record desired state, which is all the API part does.
 *
 * Input: the first line is the operation name (what follows
 * "AmazonEC2ContainerServiceV20141113." in X-Amz-Target), the rest is the
 * body, byte for byte. Every input starts from the same store: a small
 * baseline (two clusters, task definitions, a task, a tag, a capacity
 * provider, an account setting, a service, an EXTERNAL service with a task
 * set), so handlers see rows to find, describe, update and delete, and
 * every input reproduces on its own. The baseline is written again only
 * after a write operation that may have committed (dispatch rolls back
 * every failure, and reads change nothing), which keeps the fuzzer fast.
 *
 * What counts as a crash: a sanitizer report, or an answer that is not a
 * JSON object, or one that carries a ServerException. A 500 from a handler
 * on bad input is a bug (bad input gets a clear 4xx), and --check-output is
 * on, so a response that drifts from botocore's model is a 500 too.
 * tests/fuzz/known.txt lists 500s already reported and waiting for their
 * fix (a line is a piece of the message); they are printed once and do not
 * stop the run. ECSD_FUZZ_KNOWN names another such file;
 * ECSD_FUZZ_ALLOW_500=1 tolerates every 500 (and prints each kind once).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../api/api.h"
#include "../../store/store.h"

#define TARGET_PREFIX "AmazonEC2ContainerServiceV20141113."
#define MAX_OP 128
#define MAX_KNOWN 64
#define MAX_SEEN 256

static struct config cfg;
static struct store *store;
static int allow_500;
static int dirty = 1;          /* the store may differ from the baseline */
static char *known[MAX_KNOWN]; /* pieces of 500 messages already reported */
static size_t n_known;
static char *seen[MAX_SEEN];   /* 500 messages printed so far (their start) */
static size_t n_seen;

/* The rows every input starts from; each must succeed. */
static const struct {
	const char *op;
	const char *body;
} baseline[] = {
	{ "CreateCluster", "{\"clusterName\":\"default\"}" },
	{ "CreateCluster", "{\"clusterName\":\"c1\",\"tags\":[{\"key\":\"k\","
	    "\"value\":\"v\"}],\"settings\":[{\"name\":\"containerInsights\","
	    "\"value\":\"enabled\"}]}" },
	{ "RegisterTaskDefinition", "{\"family\":\"web\",\"containerDefinitions\":"
	    "[{\"name\":\"app\",\"image\":\"busybox\",\"memory\":64,"
	    "\"essential\":true,\"portMappings\":[{\"containerPort\":80}]}]}" },
	{ "RegisterTaskDefinition", "{\"family\":\"vpc\",\"networkMode\":"
	    "\"awsvpc\",\"requiresCompatibilities\":[\"FARGATE\"],\"cpu\":\"256\","
	    "\"memory\":\"512\",\"containerDefinitions\":[{\"name\":\"a\","
	    "\"image\":\"busybox\",\"essential\":true}]}" },
	{ "RunTask", "{\"cluster\":\"c1\",\"taskDefinition\":\"web\","
	    "\"startedBy\":\"fuzz\"}" },
	{ "CreateCapacityProvider", "{\"name\":\"cp1\","
	    "\"autoScalingGroupProvider\":{\"autoScalingGroupArn\":"
	    "\"arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:"
	    "0b9e1f5c-1a2b-4c3d-8e9f-0a1b2c3d4e5f:autoScalingGroupName/asg\"}}" },
	{ "PutAccountSetting", "{\"name\":\"containerInsights\","
	    "\"value\":\"enabled\"}" },
	{ "CreateService", "{\"cluster\":\"c1\",\"serviceName\":\"svc\","
	    "\"taskDefinition\":\"web:1\",\"desiredCount\":1}" },
	{ "CreateService", "{\"cluster\":\"c1\",\"serviceName\":\"ext\","
	    "\"desiredCount\":0,\"deploymentController\":{\"type\":\"EXTERNAL\"}}" },
	{ "CreateTaskSet", "{\"cluster\":\"c1\",\"service\":\"ext\","
	    "\"taskDefinition\":\"web:1\"}" },
};

static int
call(const char *op, size_t oplen, const char *body, size_t len,
    struct api_response *resp)
{
	char target[sizeof TARGET_PREFIX + MAX_OP];

	memset(resp, 0, sizeof *resp);
	snprintf(target, sizeof target, "%s%.*s", TARGET_PREFIX, (int)oplen, op);
	api_handle(target, "AWS4-HMAC-SHA256 Credential=test/20261122/us-east-1/"
	    "ecs/aws4_request, SignedHeaders=host, Signature=00", body, len,
	    resp);
	return resp->status;
}

static void
known_load(void)
{
	const char *path = getenv("ECSD_FUZZ_KNOWN");
	char line[512];
	FILE *f;

	f = fopen(path != NULL ? path : "tests/fuzz/known.txt", "r");
	if (f == NULL)
		return;
	while (n_known < MAX_KNOWN && fgets(line, sizeof line, f) != NULL) {
		size_t n = strcspn(line, "\n");

		line[n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		known[n_known++] = strdup(line);
	}
	fclose(f);
}

/* Whether a 500 may pass: known, or all allowed. Prints each kind once. */
static int
tolerated(const char *msg)
{
	int ok = allow_500;
	char head[200];

	for (size_t i = 0; i < n_known && !ok; i++)
		if (strstr(msg, known[i]) != NULL)
			ok = 1;
	if (!ok)
		return 0;
	snprintf(head, sizeof head, "%s", msg);
	for (size_t i = 0; i < n_seen; i++)
		if (strcmp(seen[i], head) == 0)
			return 1;
	if (n_seen < MAX_SEEN)
		seen[n_seen++] = strdup(head);
	fprintf(stderr, "fuzz: tolerated 500: %s\n", msg);
	return 1;
}

static void
check_answer(const struct api_response *resp)
{
	json_t *doc = json_loadb(resp->body, resp->len, 0, NULL);
	const char *type;

	if (!json_is_object(doc)) {
		fprintf(stderr, "fuzz: the answer is not a JSON object: %.*s\n",
		    (int)resp->len, resp->body);
		abort();
	}
	type = json_string_value(json_object_get(doc, "__type"));
	if (resp->status != 200 && (type == NULL || !model_is_exception(type))) {
		fprintf(stderr, "fuzz: status %d without a modeled __type: %s\n",
		    resp->status, resp->body);
		abort();
	}
	if (resp->status >= 500 && !tolerated(resp->body)) {
		fprintf(stderr, "fuzz: a ServerException for client input: %s\n",
		    resp->body);
		abort();
	}
	json_decref(doc);
}

static void
setup_baseline(void)
{
	struct api_response resp;

	if (store_reset(store) != 0) {
		fprintf(stderr, "fuzz: store_reset failed\n");
		abort();
	}
	for (size_t i = 0; i < sizeof baseline / sizeof baseline[0]; i++) {
		if (call(baseline[i].op, strlen(baseline[i].op), baseline[i].body,
		    strlen(baseline[i].body), &resp) != 200) {
			fprintf(stderr, "fuzz: baseline %s failed: %s\n",
			    baseline[i].op, resp.body);
			abort();
		}
		free(resp.body);
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *err = NULL;
	const char *e = getenv("ECSD_FUZZ_ALLOW_500");

	(void)argc;
	(void)argv;
	allow_500 = e != NULL && strcmp(e, "1") == 0;
	known_load();
	xjson_init();
	log_level = LOG_ERROR;
	cfg.account = "123456789012";
	cfg.region = "us-east-1";
	cfg.check_output = 1;
	if (model_init(&err) != 0 || store_open(":memory:", &store, &err) != 0) {
		fprintf(stderr, "fuzz: %s\n", err);
		exit(1);
	}
	api_init(store, &cfg, NULL, NULL);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	const char *nl = memchr(in, '\n', size);
	size_t oplen = nl != NULL ? (size_t)(nl - in) : size;
	struct api_response resp;
	const struct op *op;
	char *body;
	size_t blen;

	if (oplen > MAX_OP)
		return 0;    /* no operation is that long */
	blen = nl != NULL ? size - oplen - 1 : 0;
	/* A copy of exactly the body, so ASan sees any read past its end. */
	body = malloc(blen ? blen : 1);
	if (blen)
		memcpy(body, nl + 1, blen);
	if (dirty)
		setup_baseline();
	call(in, oplen, body, blen, &resp);
	op = ops_find(in, oplen);
	dirty = op != NULL && (op->flags & OP_WRITE) &&
	    (resp.status < 400 || resp.status >= 500);
	check_answer(&resp);
	free(resp.body);
	free(body);
	return 0;
}
