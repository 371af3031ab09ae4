/*
 * dispatch.c - the ECS JSON 1.1 envelope around every operation.
 *
 *   X-Amz-Target ──> ops_find ──> parse body ──> model_check_input
 *        │                                            │
 *        └── unknown: ClientException                 ▼
 *                              store_begin ──> op->fn ──> store_commit
 *                                                 │ error    │ failed
 *                                                 ▼          ▼
 *                                          store_rollback  ServerException
 *
 * A handler answers by filling r->out, or by building the answer's text
 * (api_text, jtext.c) when it splices stored documents into it; the text is
 * then sent as it is, and checked against the model by parsing it.
 *
 * Every operation runs inside one transaction (a write one for OP_WRITE
 * rows), so a failure halfway leaves nothing half-written. The region comes
 * from the SigV4 credential scope; unsigned requests get the default region.
 * With --auth-keys the signature is verified (sigv4.c) before anything
 * else, and the key may name the account its requests act in. After a
 * write commits, the scheduler is told what changed, as the row's .kick
 * says (kick()).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../store/store.h"
#include "api.h"

#define TARGET_PREFIX "AmazonEC2ContainerServiceV20141113."
#define MAX_DEPTH 64

static struct {
	struct store *store;
	void (*kick)(void *, json_t *); /* tells the scheduler what changed:
	                             task and service ARNs, NULL for anything */
	void *kick_arg;
	const struct config *cfg;
} api;

static const struct {
	const char *name;
	int status;
} errors[] = {
	[ECS_OK] = { "", 200 },
#define X(id, name, status) [ECS_ERR_##id] = { name, status },
	ECS_ERRORS(X)
#undef X
};

void
api_init(struct store *store, const struct config *cfg,
    void (*kick)(void *, json_t *), void *kick_arg)
{
	api.store = store;
	api.cfg = cfg;
	api.kick = kick;
	api.kick_arg = kick_arg;
}

const struct config *
api_config(void)
{
	return api.cfg;
}

struct store *
api_store(void)
{
	return api.store;
}

const char *
api_error_name(enum ecs_error e)
{
	return e > ECS_OK && e < ECS_ERR_COUNT ? errors[e].name : "ServerException";
}

int
api_error_status(enum ecs_error e)
{
	return e > ECS_OK && e < ECS_ERR_COUNT ? errors[e].status : 500;
}

/* Records the exception to send; handlers `return api_fail(...)`. */
int
api_fail(struct req *r, enum ecs_error err, const char *fmt, ...)
{
	va_list ap;

	free(r->err_msg);
	r->err = err;
	va_start(ap, fmt);
	if (vasprintf(&r->err_msg, fmt, ap) < 0)
		r->err_msg = NULL;
	va_end(ap);
	return -1;
}

/*
 * The buffer a handler builds its answer's text in, instead of r->out; the
 * envelope sends that text as the body.
 */
struct jbuf *
api_text(struct req *r)
{
	if (r->text == NULL)
		r->text = xcalloc(1, sizeof *r->text);
	return r->text;
}

/* The answer as a json_t, for --check-output: r->out, or the text parsed. */
static json_t *
answer_json(struct req *r)
{
	if (r->text == NULL)
		return json_incref(r->out);
	if (r->text->over || r->text->s == NULL)
		return NULL;
	return json_loadb(r->text->s, r->text->len, 0, NULL);
}

/*
 * Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261122/eu-west-1/ecs/
 * aws4_request, SignedHeaders=..., Signature=...  The third field is the
 * region. Anything we cannot read leaves the default.
 */
static void
region_from_auth(struct req *r, const char *auth)
{
	const char *p, *start, *end;
	size_t len;

	if (auth == NULL || (p = strstr(auth, "Credential=")) == NULL)
		return;
	p += strlen("Credential=");
	for (int field = 0; field < 2; field++) {
		p = strchr(p, '/');
		if (p == NULL)
			return;
		p++;
	}
	start = p;
	end = strchr(start, '/');
	if (end == NULL)
		return;
	len = (size_t)(end - start);
	if (len == 0 || len >= sizeof r->region_buf)
		return;
	for (size_t i = 0; i < len; i++) {
		char c = start[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return;
	}
	memcpy(r->region_buf, start, len);
	r->region_buf[len] = '\0';
	r->part.region = r->region_buf;
}

/* Nesting depth of a JSON text, counting only brackets outside strings. */
static int
json_depth(const char *s, size_t len)
{
	int depth = 0, max = 0, in_str = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > max)
				max = depth;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return max;
}

static json_t *
parse_body(struct req *r, const char *body, size_t len)
{
	json_error_t jerr;
	json_t *in;
	size_t i = 0;

	while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' ||
	    body[i] == '\t'))
		i++;
	if (i == len)
		return json_object();   /* an empty body means no parameters */
	/* JSON text never holds a raw NUL, and jansson swallows one that
	 * follows a number or a literal ({"a":1<NUL>} loads as {"a":1}). */
	if (memchr(body, '\0', len) != NULL) {
		api_fail(r, ECS_ERR_CLIENT, "The request body is not valid JSON: "
		    "it contains a NUL byte.");
		return NULL;
	}
	if (json_depth(body, len) > MAX_DEPTH) {
		api_fail(r, ECS_ERR_CLIENT, "The request body nests deeper than %d "
		    "levels.", MAX_DEPTH);
		return NULL;
	}
	in = json_loadb(body, len, 0, &jerr);
	if (in == NULL) {
		api_fail(r, ECS_ERR_CLIENT, "The request body is not valid JSON: %s "
		    "(line %d, column %d).", jerr.text, jerr.line, jerr.column);
		return NULL;
	}
	if (!json_is_object(in)) {
		json_decref(in);
		api_fail(r, ECS_ERR_CLIENT, "The request body must be a JSON object.");
		return NULL;
	}
	return in;
}

/* --check-output: the answer must match the model's output shape. */
static void
check_output(struct req *r)
{
	json_t *out = answer_json(r);
	char *msg = NULL;

	if (out == NULL)
		msg = xstrdup("the built text is not JSON");
	else
		model_check_output(r->op->name, out, &msg);
	json_decref(out);
	if (msg == NULL)
		return;
	log_error("%s: response does not match the model: %s", r->op->name, msg);
	api_fail(r, ECS_ERR_SERVER, "ecsd built a response that does not "
	    "match the ECS model: %s", msg);
	free(msg);
}

static void
arn_add(json_t *arns, json_t *obj, const char *key)
{
	json_t *arn = json_object_get(obj, key);

	if (json_is_string(arn))
		json_array_append(arns, arn);
}

/*
 * After a successful write, tells the scheduler what the row's .kick says
 * changed: the ARNs in the answer, or NULL (a full pass) when the answer
 * names none where it should. An empty list (RunTask that placed nothing)
 * needs no pass.
 */
static void
kick(struct req *r)
{
	json_t *arns = json_array(), *v, *tasks = json_object_get(r->out,
	    "tasks");
	size_t i;

	if (r->op->kick == KICK_NONE) {
		json_decref(arns);
		return;
	}
	if (r->op->kick == KICK_TASKS && json_is_array(tasks)) {
		json_array_foreach(tasks, i, v)
			arn_add(arns, v, "taskArn");
	} else if (r->op->kick == KICK_TASKS) {
		arn_add(arns, json_object_get(r->out, "task"), "taskArn");
	} else if (r->op->kick == KICK_SERVICE) {
		arn_add(arns, json_object_get(r->out, "service"), "serviceArn");
		arn_add(arns, json_object_get(r->out, "taskSet"), "serviceArn");
	}
	if (json_array_size(arns) == 0 && !(r->op->kick == KICK_TASKS &&
	    json_is_array(tasks))) {
		json_decref(arns);
		arns = NULL;
	}
	if (arns == NULL || json_array_size(arns) > 0)
		api.kick(api.kick_arg, arns);
	json_decref(arns);
}

static void
run_op(struct req *r)
{
	const struct op *op = r->op;
	int write = (op->flags & OP_WRITE) != 0;
	char *msg = NULL;

	if (model_check_input(op->name, r->in, &r->err, &msg) != 0) {
		r->err_msg = msg;
		return;
	}
	if (op->fn == NULL) {
		api_fail(r, ECS_ERR_UNSUPPORTED, "ecsd does not implement %s yet.",
		    op->name);
		return;
	}
	if (store_begin(r->store, write) != 0) {
		api_fail(r, ECS_ERR_SERVER, "The store could not start a "
		    "transaction: %s", store_errmsg(r->store));
		return;
	}
	r->out = json_object();
	if (op->fn(r) != 0) {
		if (r->err == ECS_OK)
			api_fail(r, ECS_ERR_SERVER, "%s failed.", op->name);
		store_rollback(r->store);
		return;
	}
	if (store_commit(r->store) != 0) {
		log_error("%s: commit failed: %s", op->name, store_errmsg(r->store));
		api_fail(r, ECS_ERR_SERVER, "The store could not save the change: "
		    "%s", store_errmsg(r->store));
		store_rollback(r->store);
		return;
	}
	if (write && api.kick != NULL)
		kick(r);
	if (api.cfg != NULL && api.cfg->check_output)
		check_output(r);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if there is none. */
static size_t
utf8_seq(const unsigned char *s)
{
	unsigned c = s[0];
	size_t n, i;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;   /* also stops at the terminating NUL */
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/*
 * Messages quote what the client sent (an X-Amz-Target header is any
 * bytes) and cut quotes short with %.200s, which can split a character.
 * JSON needs UTF-8, so every byte that does not start a valid sequence
 * becomes '?'.
 */
static void
utf8_scrub(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p != '\0') {
		size_t n = utf8_seq(p);

		if (n == 0) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
}

static void
respond(struct req *r, struct api_response *resp)
{
	json_t *doc;

	/* r->out is written by jtext.c's writer, which costs a fraction of
	 * json_dumps and writes the same bytes. */
	if (r->err == ECS_OK && r->text == NULL && r->out != NULL)
		jbuf_json(api_text(r), r->out);
	if (r->err != ECS_OK) {
		if (r->err_msg != NULL)
			utf8_scrub(r->err_msg);
		doc = json_pack("{s:s, s:s}", "__type", api_error_name(r->err),
		    "message", r->err_msg ? r->err_msg : "");
		resp->status = api_error_status(r->err);
	} else if (r->text != NULL && !r->text->over) {
		/* Built as text: sent as it is ("{}" if nothing was built). */
		resp->status = 200;
		resp->body = r->text->s != NULL ? r->text->s : xstrdup("{}");
		resp->len = r->text->s != NULL ? r->text->len : 2;
		r->text->s = NULL;
		return;
	} else {
		doc = r->text == NULL ? json_incref(r->out) : NULL;
		resp->status = 200;
	}
	resp->body = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
	if (resp->body == NULL) {
		/* Only a bug gets here (json_pack refused): still answer. */
		log_error("%s: the response could not be encoded", r->request_id);
		resp->status = 500;
		resp->body = xstrdup("{\"__type\":\"ServerException\",\"message\":"
		    "\"ecsd could not encode its response.\"}");
	}
	resp->len = strlen(resp->body);
	json_decref(doc);
}

/* The answer to a request whose signature did not verify. */
static void
respond_auth(const struct sigv4_result *v, const char *request_id,
    struct api_response *resp)
{
	json_t *doc = json_pack("{s:s, s:s}", "__type", v->type, "message",
	    v->msg);

	resp->status = v->status;
	resp->body = json_dumps(doc, JSON_COMPACT);
	resp->len = strlen(resp->body);
	memcpy(resp->request_id, request_id, sizeof resp->request_id);
	json_decref(doc);
	log_info("%s refused: %s: %s", request_id, v->type, v->msg);
}

/*
 * With --auth-keys, checks the request's SigV4 signature for ECS. Returns
 * 0 (and who signed it in v), or -1 with resp filled with AWS's answer.
 */
static int
authorize(const struct api_request *hr, const char *request_id,
    struct sigv4_result *v, struct api_response *resp)
{
	memset(v, 0, sizeof *v);
	if (!sigv4_enabled())
		return 0;
	if (sigv4_verify(hr, "ecs", time(NULL), v) == 0)
		return 0;
	respond_auth(v, request_id, resp);
	return -1;
}

/* For requests outside the ECS protocol (the admin endpoints that change
 * state): 0 when they may run, else -1 with resp filled. */
int
api_authorize(const struct api_request *hr, struct api_response *resp)
{
	struct sigv4_result v;
	char id[37];

	uuid4(id);
	return authorize(hr, id, &v, resp);
}

/*
 * Runs one ECS request to completion and fills resp (the caller frees
 * resp->body). Never fails: every problem becomes an ECS exception, or
 * AWS's authentication error when --auth-keys is on and the signature does
 * not verify.
 */
void
api_handle_request(const struct api_request *hr, struct api_response *resp)
{
	const char *target = api_request_header(hr, "X-Amz-Target");
	const char *auth = api_request_header(hr, "Authorization");
	struct sigv4_result who;
	struct req r;
	size_t plen = strlen(TARGET_PREFIX);

	memset(&r, 0, sizeof r);
	uuid4(r.request_id);
	if (authorize(hr, r.request_id, &who, resp) != 0)
		return;
	r.now = now_epoch();
	r.store = api.store;
	r.part.account = api.cfg ? api.cfg->account : "000000000000";
	r.part.region = api.cfg ? api.cfg->region : "us-east-1";
	if (who.region[0] != '\0') {
		memcpy(r.region_buf, who.region, sizeof r.region_buf);
		r.part.region = r.region_buf;
		if (who.account[0] != '\0')
			r.part.account = who.account;
	} else {
		region_from_auth(&r, auth);
	}

	if (target == NULL || *target == '\0')
		api_fail(&r, ECS_ERR_CLIENT, "The request has no X-Amz-Target "
		    "header; ECS expects %s<Operation>.", TARGET_PREFIX);
	else if (strncmp(target, TARGET_PREFIX, plen) != 0 ||
	    (r.op = ops_find(target + plen, strlen(target + plen))) == NULL)
		api_fail(&r, ECS_ERR_CLIENT, "Unknown operation '%.200s'.", target);
	else if ((r.in = parse_body(&r, hr->body, hr->len)) != NULL)
		run_op(&r);

	respond(&r, resp);
	memcpy(resp->request_id, r.request_id, sizeof resp->request_id);
	log_debug("%s %s %s %d%s%s", r.request_id, r.part.region,
	    r.op ? r.op->name : "-", resp->status, r.err ? " " : "",
	    r.err ? api_error_name(r.err) : "");
	if (r.err == ECS_ERR_SERVER)
		log_error("%s %s: %s", r.request_id, r.op ? r.op->name : "-",
		    r.err_msg ? r.err_msg : "");
	json_decref(r.in);
	json_decref(r.out);
	jbuf_free(r.text);
	free(r.text);
	free(r.err_msg);
}

/* The same for a request given as its target, Authorization and body
 * (unit tests, the fuzz target): a POST / with only those headers. */
void
api_handle(const char *target, const char *auth, const char *body, size_t len,
    struct api_response *resp)
{
	struct api_header h[2];
	struct api_request hr = { .method = "POST", .path = "/", .query = "",
	    .headers = h, .body = body, .len = len };

	if (target != NULL)
		h[hr.n_headers++] = (struct api_header){ "X-Amz-Target", target };
	if (auth != NULL)
		h[hr.n_headers++] = (struct api_header){ "Authorization", auth };
	api_handle_request(&hr, resp);
}
