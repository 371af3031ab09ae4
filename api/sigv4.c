/*
 * sigv4.c - AWS Signature Version 4 verification, for --auth-keys.
 *
 * Off by default: ecsd then accepts any credentials, as the emulators
 * users know do. With a keys file, every request must be signed the way
 * AWS checks it for the JSON protocols, and gets the answer AWS's front end
 * gives when it is not (docs/security.md cites where each one comes from):
 *
 *   Authorization header ──> parse ──> credential scope ──> access key
 *        │ none               │ bad       │ bad                │ unknown
 *        ▼                    ▼           ▼                    ▼
 *   MissingAuthentication  Incomplete  InvalidSignature  UnrecognizedClient
 *   TokenException         Signature
 *                                           ┌── date skew > 15 min ──> Invalid
 *   canonical request ──> string to sign ──> HMAC chain ──> compare ─┤
 *   (method, URI, query, signed headers, body hash)    constant time └─> ok
 *
 * SHA-256 and HMAC come from OpenSSL's libcrypto (docs/security.md says
 * why). Everything built here is capped: at most API_MAX_HEADERS header
 * lines and CANON_MAX bytes of canonical request; the body is hashed where
 * it lies, never copied.
 */
#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "api.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define TERMINATOR "aws4_request"
#define SKEW_SECONDS 900          /* 15 minutes each way */
#define CANON_MAX 262144u         /* canonical request, headers included */
#define KEYS_FILE_MAX 1048576
#define MAX_KEYS 4096
#define KEY_ID_MAX 128
#define SECRET_MAX 512
#define SHOW_MAX 512              /* header text quoted back in messages */

/* One configured access key. */
struct key {
	char *id;
	char *secret;
	char account[13];         /* "" = the daemon's --account */
};

static struct {
	struct key *keys;
	size_t n;
	int enabled;              /* a keys file was loaded */
} ks;

/* ---- a capped string builder ---- */

struct sb {
	char *buf;
	size_t len, cap;
	int over;                 /* CANON_MAX was reached: the text is void */
};

static void
sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->over)
		return;
	if (b->len + n + 1 > CANON_MAX) {
		b->over = 1;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (cap > CANON_MAX)
			cap = CANON_MAX;
		b->buf = xrealloc(b->buf, cap);
		b->cap = cap;
	}
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

static void
sb_str(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void
sb_chr(struct sb *b, char c)
{
	sb_add(b, &c, 1);
}

/* The text, or NULL (and nothing to free) when it went over the cap. */
static char *
sb_take(struct sb *b)
{
	if (b->over) {
		free(b->buf);
		return NULL;
	}
	if (b->buf == NULL)
		return xstrdup("");
	return b->buf;
}

/* ---- hashing ---- */

static void
hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/* Lowercase hex SHA-256 of data into out (65 bytes). */
void
sigv4_sha256_hex(const void *data, size_t len, char *out)
{
	unsigned char md[32];
	unsigned int n = 0;

	if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32) {
		log_error("sigv4: SHA-256 failed in libcrypto");
		abort();
	}
	hex(md, 32, out);
}

void
sigv4_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
    unsigned char *out)
{
	unsigned int n = 0;

	if (HMAC(EVP_sha256(), key, (int)klen, msg, mlen, out, &n) == NULL ||
	    n != 32) {
		log_error("sigv4: HMAC-SHA256 failed in libcrypto");
		abort();
	}
}

/*
 * The signature: kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" secret, date),
 * region), service), "aws4_request"), then HMAC(kSigning, string to sign)
 * in lowercase hex into out (65 bytes).
 */
void
sigv4_signature(const char *secret, const char *date, const char *region,
    const char *service, const char *sts, char *out)
{
	unsigned char k[32], k2[32];
	char *seed;

	xasprintf(&seed, "AWS4%s", secret);
	sigv4_hmac_sha256(seed, strlen(seed), date, strlen(date), k);
	OPENSSL_cleanse(seed, strlen(seed));
	free(seed);
	sigv4_hmac_sha256(k, 32, region, strlen(region), k2);
	sigv4_hmac_sha256(k2, 32, service, strlen(service), k);
	sigv4_hmac_sha256(k, 32, TERMINATOR, strlen(TERMINATOR), k2);
	sigv4_hmac_sha256(k2, 32, sts, strlen(sts), k);
	hex(k, 32, out);
	OPENSSL_cleanse(k2, sizeof k2);
}

/* ---- the canonical request ---- */

static int
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

/* AWS's URI encoding: all but the unreserved characters (and '/', when
 * asked) become %XX with uppercase hex. */
static void
uri_encode(struct sb *b, const char *s, size_t n, int keep_slash)
{
	static const char digits[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[3];

		if (unreserved(c) || (keep_slash && c == '/')) {
			sb_chr(b, (char)c);
			continue;
		}
		esc[0] = '%';
		esc[1] = digits[c >> 4];
		esc[2] = digits[c & 0xf];
		sb_add(b, esc, 3);
	}
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes s[0..n) into a new string; a '%' not followed by two
 * hex digits stays as it is. *out_len gets the decoded length. */
static char *
uri_decode(const char *s, size_t n, size_t *out_len)
{
	char *out = xmalloc(n + 1);
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			out[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

/*
 * The canonical URI: the path with its dot segments and empty segments
 * removed (what botocore and AWS do), then URI-encoded once more, keeping
 * '/'. An empty path is "/".
 */
static void
canonical_uri(struct sb *b, const char *path)
{
	const char *p = path;
	size_t n = strlen(path);
	const char **seg;
	size_t *seglen, nseg = 0, maxseg = n / 2 + 2;
	int lead, trail;

	if (n == 0) {
		sb_chr(b, '/');
		return;
	}
	seg = xcalloc(maxseg, sizeof *seg);
	seglen = xcalloc(maxseg, sizeof *seglen);
	while (*p != '\0') {
		size_t len = strcspn(p, "/");

		if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (nseg > 0)
				nseg--;
		} else if (len > 0 && !(len == 1 && p[0] == '.')) {
			seg[nseg] = p;
			seglen[nseg] = len;
			nseg++;
		}
		p += len;
		if (*p == '/')
			p++;
	}
	lead = path[0] == '/';
	trail = path[n - 1] == '/' && nseg > 0;
	if (lead)
		sb_chr(b, '/');
	for (size_t i = 0; i < nseg; i++) {
		if (i > 0)
			sb_chr(b, '/');
		uri_encode(b, seg[i], seglen[i], 0);
	}
	if (trail)
		sb_chr(b, '/');
	free(seg);
	free(seglen);
}

struct qparam {
	char *key;                /* encoded as AWS wants it */
	char *value;
};

static int
qparam_cmp(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c != 0 ? c : strcmp(x->value, y->value);
}

static char *
encode_part(const char *s, size_t n)
{
	struct sb b = { 0 };
	size_t dlen;
	char *dec = uri_decode(s, n, &dlen);

	uri_encode(&b, dec, dlen, 0);
	free(dec);
	return sb_take(&b);
}

/* The canonical query: every name=value decoded and encoded again the
 * AWS way, sorted by name, then value. */
static void
canonical_query(struct sb *b, const char *query)
{
	struct qparam *params;
	size_t n = 0, max = 1;
	const char *p;

	for (p = query; *p != '\0'; p++)
		if (*p == '&')
			max++;
	params = xcalloc(max, sizeof *params);
	p = query;
	while (*p != '\0') {
		size_t len = strcspn(p, "&");
		const char *eq = memchr(p, '=', len);
		size_t klen = eq != NULL ? (size_t)(eq - p) : len;

		if (len > 0) {
			params[n].key = encode_part(p, klen);
			params[n].value = eq != NULL ? encode_part(eq + 1,
			    len - klen - 1) : xstrdup("");
			if (params[n].key == NULL || params[n].value == NULL)
				b->over = 1;
			n++;
		}
		p += len;
		if (*p == '&')
			p++;
	}
	if (!b->over) {
		qsort(params, n, sizeof *params, qparam_cmp);
		for (size_t i = 0; i < n; i++) {
			if (i > 0)
				sb_chr(b, '&');
			sb_str(b, params[i].key);
			sb_chr(b, '=');
			sb_str(b, params[i].value);
		}
	}
	for (size_t i = 0; i < n; i++) {
		free(params[i].key);
		free(params[i].value);
	}
	free(params);
}

/* The value of the first header line with this name (any case), or NULL. */
const char *
api_request_header(const struct api_request *r, const char *name)
{
	for (size_t i = 0; i < r->n_headers; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

/* A header's value trimmed, with every run of white space made one space. */
static void
header_value(struct sb *b, const char *v)
{
	int space = 0, any = 0;

	for (; *v != '\0'; v++) {
		if (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n') {
			space = any;
			continue;
		}
		if (space)
			sb_chr(b, ' ');
		space = 0;
		any = 1;
		sb_chr(b, *v);
	}
}

/*
 * The canonical request for these signed headers (';'-separated, as the
 * Authorization header lists them) and payload hash:
 *
 *   METHOD \n URI \n QUERY \n name:value \n ... \n \n SIGNED;HEADERS \n HASH
 *
 * Several lines of one header join with ',', in the order sent. Returns
 * NULL when it would exceed CANON_MAX.
 */
char *
sigv4_canonical_request(const struct api_request *r, const char *signed_headers,
    const char *payload_hash)
{
	struct sb b = { 0 };
	const char *p = signed_headers;

	sb_str(&b, r->method);
	sb_chr(&b, '\n');
	canonical_uri(&b, r->path ? r->path : "/");
	sb_chr(&b, '\n');
	canonical_query(&b, r->query ? r->query : "");
	sb_chr(&b, '\n');
	while (*p != '\0') {
		size_t len = strcspn(p, ";");
		int first = 1;

		sb_add(&b, p, len);
		sb_chr(&b, ':');
		for (size_t i = 0; i < r->n_headers; i++) {
			const char *name = r->headers[i].name;

			if (strlen(name) != len || strncasecmp(name, p, len) != 0)
				continue;
			if (!first)
				sb_chr(&b, ',');
			header_value(&b, r->headers[i].value);
			first = 0;
		}
		sb_chr(&b, '\n');
		p += len;
		if (*p == ';')
			p++;
	}
	sb_chr(&b, '\n');
	sb_str(&b, signed_headers);
	sb_chr(&b, '\n');
	sb_str(&b, payload_hash);
	return sb_take(&b);
}

/* "AWS4-HMAC-SHA256 \n <amz date> \n <scope> \n hex(SHA-256(canonical))" */
char *
sigv4_string_to_sign(const char *amz_date, const char *scope,
    const char *canonical)
{
	char h[65], *out;

	sigv4_sha256_hex(canonical, strlen(canonical), h);
	xasprintf(&out, "%s\n%s\n%s\n%s", ALGORITHM, amz_date, scope, h);
	return out;
}

/* ---- dates ---- */

/* "20150830T123600Z" (X-Amz-Date) or an HTTP date (Date) as epoch
 * seconds. Returns 0, or -1 when it is neither. */
int
sigv4_time_parse(const char *s, time_t *out)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof tm);
	if (s == NULL)
		return -1;
	if (strlen(s) == 16 && s[8] == 'T' && s[15] == 'Z') {
		end = strptime(s, "%Y%m%dT%H%M%SZ", &tm);
		if (end == NULL || *end != '\0')
			return -1;
	} else {
		end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
		if (end == NULL || *end != '\0')
			return -1;
	}
	*out = timegm(&tm);
	return 0;
}

static void
iso_basic(time_t t, char *out, size_t n)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y%m%dT%H%M%SZ", &tm);
}

/* ---- keys ---- */

static int
key_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > KEY_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)id[i];

		if (!(isalnum(c) || c == '_' || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

static void
keys_clear(struct key *keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (keys[i].secret != NULL)
			OPENSSL_cleanse(keys[i].secret, strlen(keys[i].secret));
		free(keys[i].id);
		free(keys[i].secret);
	}
	free(keys);
}

/*
 * Takes the keys from a JSON object: {"AKID": "secret"} or {"AKID":
 * {"secretAccessKey": "...", "account": "123456789012"}}. Replaces the keys
 * in use only when every entry is valid.
 */
int
sigv4_keys_parse(json_t *doc, char **err)
{
	struct key *keys;
	const char *id;
	json_t *v;
	size_t n = 0;

	*err = NULL;
	if (!json_is_object(doc) || json_object_size(doc) == 0) {
		xasprintf(err, "the keys file must be a JSON object of at least "
		    "one access key id -> secret");
		return -1;
	}
	if (json_object_size(doc) > MAX_KEYS) {
		xasprintf(err, "the keys file holds more than %d keys", MAX_KEYS);
		return -1;
	}
	keys = xcalloc(json_object_size(doc), sizeof *keys);
	json_object_foreach(doc, id, v) {
		const char *secret = json_string_value(v);
		const char *account = NULL;

		if (json_is_object(v)) {
			secret = json_string_value(json_object_get(v,
			    "secretAccessKey"));
			account = json_string_value(json_object_get(v, "account"));
			if (json_object_get(v, "account") != NULL && (account == NULL
			    || strlen(account) != 12 ||
			    strspn(account, "0123456789") != 12)) {
				xasprintf(err, "key '%.*s': account must be 12 digits",
				    KEY_ID_MAX, id);
				goto fail;
			}
		}
		if (!key_id_valid(id)) {
			xasprintf(err, "key '%.*s': an access key id is 1 to %d "
			    "letters, digits, '.', '_' or '-'", KEY_ID_MAX, id,
			    KEY_ID_MAX);
			goto fail;
		}
		if (secret == NULL || *secret == '\0' ||
		    strlen(secret) > SECRET_MAX) {
			xasprintf(err, "key '%s': the secret must be a string of 1 "
			    "to %d characters (or {\"secretAccessKey\": ..., "
			    "\"account\": ...})", id, SECRET_MAX);
			goto fail;
		}
		keys[n].id = xstrdup(id);
		keys[n].secret = xstrdup(secret);
		if (account != NULL)
			memcpy(keys[n].account, account, 13);
		n++;
	}
	keys_clear(ks.keys, ks.n);
	ks.keys = keys;
	ks.n = n;
	ks.enabled = 1;
	return 0;
fail:
	keys_clear(keys, n);
	return -1;
}

/* Reads the keys file; warns when others may read it. */
int
sigv4_keys_load(const char *path, char **err)
{
	struct stat st;
	json_error_t jerr;
	json_t *doc;
	char *why = NULL;
	int rc;

	*err = NULL;
	if (stat(path, &st) != 0) {
		xasprintf(err, "--auth-keys %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > KEYS_FILE_MAX) {
		xasprintf(err, "--auth-keys %s: not a regular file of at most %d "
		    "bytes", path, KEYS_FILE_MAX);
		return -1;
	}
	if ((st.st_mode & 077) != 0)
		log_warn("--auth-keys %s can be read by other users (mode %03o): "
		    "chmod 600 it", path, (unsigned)(st.st_mode & 0777));
	doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		xasprintf(err, "--auth-keys %s: line %d: %s", path, jerr.line,
		    jerr.text);
		return -1;
	}
	rc = sigv4_keys_parse(doc, &why);
	json_decref(doc);
	if (rc != 0) {
		xasprintf(err, "--auth-keys %s: %s", path, why);
		free(why);
		return -1;
	}
	log_info("SigV4 verification on: %zu access key%s from %s", ks.n,
	    ks.n == 1 ? "" : "s", path);
	return 0;
}

void
sigv4_keys_free(void)
{
	keys_clear(ks.keys, ks.n);
	ks.keys = NULL;
	ks.n = 0;
	ks.enabled = 0;
}

int
sigv4_enabled(void)
{
	return ks.enabled;
}

static const struct key *
key_find(const char *id)
{
	for (size_t i = 0; i < ks.n; i++)
		if (strcmp(ks.keys[i].id, id) == 0)
			return &ks.keys[i];
	return NULL;
}

/* ---- verification ---- */

static int
fail(struct sigv4_result *res, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct sigv4_result *res, const char *type, const char *fmt, ...)
{
	va_list ap;

	res->type = type;
	res->status = 400;
	va_start(ap, fmt);
	vsnprintf(res->msg, sizeof res->msg, fmt, ap);
	va_end(ap);
	return -1;
}

#define INCOMPLETE "IncompleteSignatureException"
#define INVALID "InvalidSignatureException"

/* The parts of "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
 * Signature=..." (heap copies). */
struct auth_parts {
	char *credential;
	char *signed_headers;
	char *signature;
};

static void
auth_parts_free(struct auth_parts *a)
{
	free(a->credential);
	free(a->signed_headers);
	free(a->signature);
}

static int
auth_parse(const char *auth, int have_date, struct auth_parts *a,
    struct sigv4_result *res)
{
	size_t alen = strlen(ALGORITHM);
	char missing[512] = "";
	size_t used = 0;

	memset(a, 0, sizeof *a);
	if (strncmp(auth, ALGORITHM, alen) == 0 &&
	    (auth[alen] == ' ' || auth[alen] == '\t')) {
		const char *p = auth + alen;

		while (*p != '\0') {
			/* AWS splits at commas and at white space alike. */
			size_t len = strcspn(p, ", \t");
			char *item = xstrndup(p, len);
			char *eq = strchr(item, '=');
			char **slot = NULL;

			if (eq == NULL && *item != '\0') {
				fail(res, INCOMPLETE, "'%.*s' not a valid key=value pair "
				    "(missing equal-sign) in Authorization header: "
				    "'%.*s'.", SHOW_MAX / 2, item, SHOW_MAX, auth);
				free(item);
				return -1;
			}
			if (eq != NULL) {
				*eq = '\0';
				if (strcmp(item, "Credential") == 0)
					slot = &a->credential;
				else if (strcmp(item, "SignedHeaders") == 0)
					slot = &a->signed_headers;
				else if (strcmp(item, "Signature") == 0)
					slot = &a->signature;
			}
			if (slot != NULL) {
				free(*slot);
				*slot = xstrdup(eq + 1);
			}
			free(item);
			p += len;
			if (*p != '\0')
				p++;
		}
	}
	if (a->credential != NULL && a->signature != NULL &&
	    a->signed_headers != NULL && have_date)
		return 0;
	/* Four fixed sentences, 200 bytes together: missing[] holds them. */
	if (a->credential == NULL)
		used += (size_t)snprintf(missing + used, sizeof missing - used,
		    "Authorization header requires 'Credential' parameter. ");
	if (a->signature == NULL)
		used += (size_t)snprintf(missing + used, sizeof missing - used,
		    "Authorization header requires 'Signature' parameter. ");
	if (a->signed_headers == NULL)
		used += (size_t)snprintf(missing + used, sizeof missing - used,
		    "Authorization header requires 'SignedHeaders' parameter. ");
	if (!have_date)
		snprintf(missing + used, sizeof missing - used, "Authorization "
		    "header requires existence of either a 'X-Amz-Date' or a "
		    "'Date' header. ");
	fail(res, INCOMPLETE, "%sAuthorization=%.*s", missing, SHOW_MAX, auth);
	return -1;
}

static int
region_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= sizeof ((struct sigv4_result *)0)->region)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')
		    || s[i] == '-'))
			return 0;
	return 1;
}

/* Splits "AKID/20150830/us-east-1/ecs/aws4_request" into 5 parts, in place. */
static int
scope_split(char *cred, char **parts)
{
	int n = 0;
	char *p = cred;

	for (;;) {
		char *slash = strchr(p, '/');

		if (n == 5)
			return -1;
		parts[n++] = p;
		if (slash == NULL)
			break;
		*slash = '\0';
		p = slash + 1;
	}
	return n == 5 ? 0 : -1;
}

static int
signed_headers_valid(const char *list, int *has_host)
{
	size_t count = 0;
	const char *p = list;

	*has_host = 0;
	if (*list == '\0')
		return 0;
	while (*p != '\0') {
		size_t len = strcspn(p, ";");

		if (len == 0 || ++count > API_MAX_HEADERS)
			return 0;
		for (size_t i = 0; i < len; i++)
			if (isupper((unsigned char)p[i]) || p[i] == ':' ||
			    isspace((unsigned char)p[i]))
				return 0;
		if (len == 4 && strncmp(p, "host", 4) == 0)
			*has_host = 1;
		p += len;
		if (*p == ';')
			p++;
	}
	return 1;
}

/* Checks the date against now, both ways. */
static int
check_skew(time_t t, time_t now, struct sigv4_result *res)
{
	char given[20], limit[20], base[20];

	iso_basic(t, given, sizeof given);
	if (t < now - SKEW_SECONDS) {
		iso_basic(now - SKEW_SECONDS, limit, sizeof limit);
		iso_basic(now, base, sizeof base);
		return fail(res, INVALID, "Signature expired: %s is now earlier "
		    "than %s (%s - 15 min.)", given, limit, base);
	}
	if (t > now + SKEW_SECONDS) {
		iso_basic(now + SKEW_SECONDS, limit, sizeof limit);
		iso_basic(now, base, sizeof base);
		return fail(res, INVALID, "Signature not yet current: %s is still "
		    "later than %s (%s + 15 min.)", given, limit, base);
	}
	return 0;
}

/*
 * Verifies r's signature for this service at time now. Returns 0 and fills
 * the caller's key, region and account, or -1 with the exception AWS would
 * send in res.
 */
int
sigv4_verify(const struct api_request *r, const char *service, time_t now,
    struct sigv4_result *res)
{
	const char *auth = api_request_header(r, "Authorization");
	const char *amz_date = api_request_header(r, "X-Amz-Date");
	const char *date_hdr = api_request_header(r, "Date");
	const char *content_sha = api_request_header(r, "X-Amz-Content-Sha256");
	const char *date_src = amz_date ? "X-Amz-Date" : "Date";
	const struct key *key;
	struct auth_parts a;
	char *parts[5], *cred = NULL, *canon = NULL, *sts = NULL, *scope = NULL;
	char body_hash[65], want[65], iso[20];
	time_t t;
	int has_host, rc = -1;

	memset(res, 0, sizeof *res);
	if (auth == NULL || *auth == '\0')
		return fail(res, "MissingAuthenticationTokenException",
		    "Missing Authentication Token");
	if (auth_parse(auth, amz_date != NULL || date_hdr != NULL, &a, res) != 0)
		goto out;
	cred = xstrdup(a.credential);
	if (scope_split(cred, parts) != 0) {
		fail(res, INCOMPLETE, "Credential must have exactly 5 "
		    "slash-delimited elements, e.g. keyid/date/region/service/term,"
		    " got '%.*s'", SHOW_MAX, a.credential);
		goto out;
	}
	if (sigv4_time_parse(amz_date ? amz_date : date_hdr, &t) != 0) {
		fail(res, INCOMPLETE, "Date must be in ISO-8601 'basic format'. "
		    "Got '%.*s'. See http://en.wikipedia.org/wiki/ISO_8601",
		    SHOW_MAX, amz_date ? amz_date : date_hdr);
		goto out;
	}
	iso_basic(t, iso, sizeof iso);
	if (strcmp(parts[4], TERMINATOR) != 0) {
		fail(res, INVALID, "Credential should be scoped with a valid "
		    "terminator: '%s', not '%.*s'. ", TERMINATOR, SHOW_MAX, parts[4]);
		goto out;
	}
	if (strcmp(parts[3], service) != 0) {
		fail(res, INVALID, "Credential should be scoped to correct "
		    "service: '%s'. ", service);
		goto out;
	}
	if (!region_valid(parts[2])) {
		fail(res, INVALID, "Credential should be scoped to a valid region, "
		    "not '%.*s'. ", SHOW_MAX, parts[2]);
		goto out;
	}
	if (strlen(parts[1]) != 8 || strncmp(parts[1], iso, 8) != 0) {
		fail(res, INVALID, "Date in Credential scope does not match "
		    "YYYYMMDD from ISO-8601 version of date from HTTP: '%.*s' != "
		    "'%.8s', from '%s'.", SHOW_MAX, parts[1], iso, date_src);
		goto out;
	}
	key = key_find(parts[0]);
	if (key == NULL) {
		fail(res, "UnrecognizedClientException", "The security token "
		    "included in the request is invalid.");
		goto out;
	}
	if (check_skew(t, now, res) != 0)
		goto out;
	if (!signed_headers_valid(a.signed_headers, &has_host)) {
		fail(res, INCOMPLETE, "SignedHeaders must be lowercase header names "
		    "separated by ';', at most %d: '%.*s'.", API_MAX_HEADERS,
		    SHOW_MAX, a.signed_headers);
		goto out;
	}
	if (!has_host) {
		fail(res, INCOMPLETE, "'Host' or ':authority' must be a "
		    "'SignedHeader' in the AWS Authorization.");
		goto out;
	}
	sigv4_sha256_hex(r->body, r->len, body_hash);
	if (content_sha != NULL && strcasecmp(content_sha, body_hash) != 0) {
		fail(res, INVALID, "The provided 'x-amz-content-sha256' header "
		    "does not match what was computed.");
		goto out;
	}
	canon = sigv4_canonical_request(r, a.signed_headers, body_hash);
	if (canon == NULL) {
		fail(res, INCOMPLETE, "The signed part of the request is larger "
		    "than %u bytes.", CANON_MAX);
		goto out;
	}
	xasprintf(&scope, "%s/%s/%s/%s", parts[1], parts[2], parts[3], parts[4]);
	sts = sigv4_string_to_sign(iso, scope, canon);
	sigv4_signature(key->secret, parts[1], parts[2], parts[3], sts, want);
	if (strlen(a.signature) != 64 ||
	    CRYPTO_memcmp(a.signature, want, 64) != 0) {
		log_debug("sigv4: key %s: signature mismatch; canonical request "
		    "was:\n%s\nstring to sign:\n%s", key->id, canon, sts);
		fail(res, INVALID, "The request signature we calculated does not "
		    "match the signature you provided. Check your AWS Secret Access "
		    "Key and signing method. Consult the service documentation for "
		    "details.");
		goto out;
	}
	snprintf(res->access_key, sizeof res->access_key, "%s", key->id);
	snprintf(res->region, sizeof res->region, "%s", parts[2]);
	memcpy(res->account, key->account, sizeof res->account);
	rc = 0;
out:
	OPENSSL_cleanse(want, sizeof want);
	free(cred);
	free(canon);
	free(sts);
	free(scope);
	auth_parts_free(&a);
	return rc;
}
