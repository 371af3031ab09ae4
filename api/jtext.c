/*
 * jtext.c - answers built as JSON text, with stored documents spliced in.
 *
 * The store keeps every document as the compact JSON text jansson wrote,
 * already in the shape ECS answers with. Parsing that text into a json_t
 * and dumping it again costs jansson some 200 instructions a byte, and a
 * Describe answer is mostly such text unchanged. So a Describe handler
 * writes its answer into a jbuf instead of r->out: literal text, quoted
 * strings, a json_t where it computed one, and the stored document's
 * members copied byte for byte (jbuf_members), leaving out those it
 * replaces. Only the members a handler changes are parsed (jtext_member
 * finds their text). The envelope sends the built text as the body.
 *
 * The scanner trusts its input to be the JSON jansson wrote into the store;
 * it only needs to find where each top-level member starts and ends, so it
 * tracks strings and brackets and nothing else. Text it cannot read leaves
 * the buffer as it was (the member list is empty), as store_column_json
 * answers {} for a document it cannot parse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

/* An answer larger than this is a bug or a store gone wrong: refuse it. */
#define JBUF_MAX ((size_t)256 * 1024 * 1024)

void
jbuf_free(struct jbuf *b)
{
	if (b == NULL)
		return;
	free(b->s);
	memset(b, 0, sizeof *b);
}

void
jbuf_add(struct jbuf *b, const char *s, size_t n)
{
	if (b->over)
		return;
	if (n > JBUF_MAX - b->len) {
		b->over = 1;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->s = xrealloc(b->s, cap);
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
jbuf_puts(struct jbuf *b, const char *s)
{
	jbuf_add(b, s, strlen(s));
}

/* A comma, unless the buffer ends where a first member or element goes. */
void
jbuf_sep(struct jbuf *b)
{
	char last = b->len > 0 ? b->s[b->len - 1] : '\0';

	if (last != '{' && last != '[' && last != ':' && last != '\0')
		jbuf_add(b, ",", 1);
}

/* s as a JSON string, escaped as jansson escapes it (UTF-8 kept). */
void
jbuf_str(struct jbuf *b, const char *s)
{
	jbuf_strn(b, s, strlen(s));
}

/* The same for n bytes (a json_t string may hold a NUL: \u0000). */
void
jbuf_strn(struct jbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *run = s, *end = s + n;

	jbuf_add(b, "\"", 1);
	for (; s < end; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[7];
		size_t elen = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		jbuf_add(b, run, (size_t)(s - run));
		run = s + 1;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			elen = 6;
		}
		jbuf_add(b, esc, elen);
	}
	jbuf_add(b, run, (size_t)(s - run));
	jbuf_add(b, "\"", 1);
}

/* "key": with the separator before it. */
void
jbuf_key(struct jbuf *b, const char *key)
{
	jbuf_sep(b);
	jbuf_str(b, key);
	jbuf_add(b, ":", 1);
}

/*
 * A real as jansson writes it: %.17g; ".0" appended when that has neither
 * a dot nor an exponent; the exponent without '+' or leading zeros
 * ("1e+20" is 1e20, "1e-05" is 1e-5).
 */
static void
add_real(struct jbuf *b, double d)
{
	char num[64], *e, *digits;
	int n = snprintf(num, sizeof num, "%.17g", d);

	if (n < 0 || (size_t)n >= sizeof num - 3) {
		jbuf_add(b, "null", 4);
		return;
	}
	if (strchr(num, '.') == NULL && strchr(num, 'e') == NULL) {
		memcpy(num + n, ".0", 3);
		n += 2;
	}
	e = strchr(num, 'e');
	if (e != NULL) {
		e++;
		if (*e == '-')
			e++;
		digits = *e == '+' ? e + 1 : e;
		while (*digits == '0' && digits[1] != '\0')
			digits++;
		memmove(e, digits, strlen(digits) + 1);
		n = (int)strlen(num);
	}
	jbuf_add(b, num, (size_t)n);
}

/*
 * A value as compact JSON, written as json_dumps(JSON_COMPACT) writes it
 * (members in insertion order, strings and numbers formatted alike; a unit
 * test holds the two to the same bytes), only without jansson's per-call
 * costs: dumping was half of what a List answer cost. Answers are trees
 * we built, so no loop check; depth is capped all the same.
 */
static void
add_value(struct jbuf *b, const json_t *v, int depth)
{
	char num[32];
	const char *key;
	json_t *e;
	size_t i;

	if (depth > 256) {
		jbuf_add(b, "null", 4);
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		jbuf_add(b, "{", 1);
		json_object_foreach((json_t *)v, key, e) {
			if (b->s[b->len - 1] != '{')
				jbuf_add(b, ",", 1);
			jbuf_str(b, key);
			jbuf_add(b, ":", 1);
			add_value(b, e, depth + 1);
		}
		jbuf_add(b, "}", 1);
		break;
	case JSON_ARRAY:
		jbuf_add(b, "[", 1);
		json_array_foreach(v, i, e) {
			if (i > 0)
				jbuf_add(b, ",", 1);
			add_value(b, e, depth + 1);
		}
		jbuf_add(b, "]", 1);
		break;
	case JSON_STRING:
		jbuf_strn(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		jbuf_puts(b, num);
		break;
	case JSON_REAL:
		add_real(b, json_real_value(v));
		break;
	case JSON_TRUE:
		jbuf_add(b, "true", 4);
		break;
	case JSON_FALSE:
		jbuf_add(b, "false", 5);
		break;
	default:
		jbuf_add(b, "null", 4);
	}
}

/* A value as compact JSON (any json_t, scalars included; NULL is null). */
void
jbuf_json(struct jbuf *b, const json_t *v)
{
	if (v == NULL)
		jbuf_add(b, "null", 4);
	else
		add_value(b, v, 0);
}

/* ---- the scanner ---- */

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	return p;
}

/* Past the string whose opening quote is at p, or NULL. */
static const char *
skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* Past the value that starts at p, or NULL. */
static const char *
skip_value(const char *p, const char *end)
{
	int depth = 0;

	if (p >= end)
		return NULL;
	if (*p == '"')
		return skip_string(p, end);
	if (*p != '{' && *p != '[') {
		while (p < end && *p != ',' && *p != '}' && *p != ']' &&
		    *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t')
			p++;
		return p;
	}
	for (; p < end; p++) {
		if (*p == '"') {
			p = skip_string(p, end);
			if (p == NULL)
				return NULL;
			p--;
		} else if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			if (--depth == 0)
				return p + 1;
		}
	}
	return NULL;
}

/* Opens text at its opening bracket (open is '{' or '['); 0, or -1. */
static int
open_at(struct jscan *sc, const char *text, size_t len, char open)
{
	const char *end = text + len;
	const char *p = text != NULL ? skip_ws(text, end) : NULL;

	sc->p = NULL;
	sc->end = end;
	if (p == NULL || p == end || *p != open)
		return -1;
	sc->p = p + 1;
	return 0;
}

int
jtext_open(struct jscan *sc, const char *text, size_t len)
{
	return open_at(sc, text, len, '{');
}

/*
 * Steps past white space and a separating comma to the next item of the
 * object or array being scanned (close is '}' or ']'): 1 with *at on the
 * item, 0 past the closing bracket, -1 on text it cannot read.
 */
static int
next_item(struct jscan *sc, char close, const char **at)
{
	const char *p = sc->p, *end = sc->end;

	if (p == NULL)
		return -1;
	p = skip_ws(p, end);
	if (p < end && *p == ',')
		p = skip_ws(p + 1, end);
	if (p < end && *p == close) {
		sc->p = p + 1;
		return 0;
	}
	*at = p;
	return p < end ? 1 : -1;
}

/* The value at p into m->val and m->vlen, the scanner moved past it. */
static int
take_value(struct jscan *sc, const char *p, struct jmember *m)
{
	m->val = p;
	p = skip_value(p, sc->end);
	if (p == NULL || p == m->val)
		return -1;
	m->vlen = (size_t)(p - m->val);
	sc->p = p;
	return 1;
}

/* The next member into m: 1, 0 after the last, -1 on text it cannot read. */
int
jtext_next(struct jscan *sc, struct jmember *m)
{
	const char *p = NULL, *end = sc->end;
	int rc = next_item(sc, '}', &p);

	if (rc != 1)
		return rc;
	if (*p != '"')
		return -1;
	m->key = p + 1;
	p = skip_string(p, end);
	if (p == NULL)
		return -1;
	m->klen = (size_t)(p - 1 - m->key);
	p = skip_ws(p, end);
	if (p >= end || *p != ':')
		return -1;
	return take_value(sc, skip_ws(p + 1, end), m);
}

/* Opens an array text for jtext_next_value; 0, or -1 if it is none. */
int
jtext_open_array(struct jscan *sc, const char *text, size_t len)
{
	return open_at(sc, text, len, '[');
}

/* The next element's text into m->val and m->vlen (no key): 1, 0 after
 * the last, -1 on text it cannot read. */
int
jtext_next_value(struct jscan *sc, struct jmember *m)
{
	const char *p = NULL;
	int rc = next_item(sc, ']', &p);

	if (rc != 1)
		return rc;
	m->key = NULL;
	m->klen = 0;
	return take_value(sc, p, m);
}

int
jtext_key_is(const struct jmember *m, const char *key)
{
	return strlen(key) == m->klen && memcmp(m->key, key, m->klen) == 0;
}

/* The text of member key of the object text; 0, or -1 if it has none. */
int
jtext_member(const char *text, size_t len, const char *key,
    struct jmember *out)
{
	struct jscan sc;
	struct jmember m;

	if (jtext_open(&sc, text, len) != 0)
		return -1;
	while (jtext_next(&sc, &m) == 1) {
		if (jtext_key_is(&m, key)) {
			*out = m;
			return 0;
		}
	}
	return -1;
}

/* Member key of the object text parsed (NULL if it has none). */
json_t *
jtext_member_json(const char *text, size_t len, const char *key)
{
	struct jmember m;

	if (jtext_member(text, len, key, &m) != 0)
		return NULL;
	return json_loadb(m.val, m.vlen, JSON_DECODE_ANY, NULL);
}

static int
listed(const struct jmember *m, const char *const *skip)
{
	for (; skip != NULL && *skip != NULL; skip++)
		if (jtext_key_is(m, *skip))
			return 1;
	return 0;
}

/*
 * Appends the members of the object text (each after a separator), except
 * those named in skip (NULL-terminated, or NULL). The caller writes the
 * braces around them. Returns 0, or -1 with nothing appended when the text
 * is not an object it can read.
 */
int
jbuf_members(struct jbuf *b, const char *text, size_t len,
    const char *const *skip)
{
	size_t mark = b->len;
	struct jscan sc;
	struct jmember m;
	int rc;

	if (jtext_open(&sc, text, len) != 0)
		return -1;
	while ((rc = jtext_next(&sc, &m)) == 1) {
		if (listed(&m, skip))
			continue;
		jbuf_sep(b);
		jbuf_add(b, m.key - 1, (size_t)(m.val + m.vlen - (m.key - 1)));
	}
	if (rc < 0) {
		b->len = mark;
		if (b->s != NULL)
			b->s[mark] = '\0';
		return -1;
	}
	return 0;
}
