/*
 * page.c - opaque pagination tokens. A token carries the sort key of the
 * last row of the page (keyset pagination), so pages stay stable while rows
 * are added: the next page starts strictly after that key. Tokens are
 * base64url text; one we did not make is an InvalidParameterException.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"

#define TOKEN_MAGIC "ecsd1:"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *
page_token_make(const char *key)
{
	size_t klen = strlen(key), mlen = strlen(TOKEN_MAGIC);
	size_t n = klen + mlen;
	unsigned char *src = xmalloc(n);
	char *out = xmalloc((n + 2) / 3 * 4 + 1), *o = out;

	memcpy(src, TOKEN_MAGIC, mlen);
	memcpy(src + mlen, key, klen);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)src[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)src[i + 1] << 8;
		if (i + 2 < n)
			v |= src[i + 2];
		*o++ = b64[(v >> 18) & 63];
		*o++ = b64[(v >> 12) & 63];
		if (i + 1 < n)
			*o++ = b64[(v >> 6) & 63];
		if (i + 2 < n)
			*o++ = b64[v & 63];
	}
	*o = '\0';
	free(src);
	return out;
}

static int
b64_value(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p != NULL ? (int)(p - b64) : -1;
}

/*
 * Decodes token into *key (heap). A NULL token means the first page: *key is
 * NULL. Returns -1 with InvalidParameterException for a token not ours.
 */
int
page_token_read(struct req *r, const char *token, char **key)
{
	size_t n, mlen = strlen(TOKEN_MAGIC);
	unsigned char *buf;
	size_t len = 0;
	unsigned v = 0;
	int bits = 0;

	*key = NULL;
	if (token == NULL)
		return 0;
	n = strlen(token);
	buf = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		int d = b64_value(token[i]);

		if (d < 0)
			goto bad;
		v = (v << 6) | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[len++] = (unsigned char)(v >> bits);
			v &= (1u << bits) - 1;
		}
	}
	if (len < mlen || memcmp(buf, TOKEN_MAGIC, mlen) != 0 ||
	    memchr(buf, '\0', len) != NULL)
		goto bad;
	*key = xstrndup((char *)buf + mlen, len - mlen);
	free(buf);
	return 0;
bad:
	free(buf);
	return page_token_refuse(r);
}

/* The error for a token that decodes but whose key is not one we made. */
int
page_token_refuse(struct req *r)
{
	return api_fail(r, ECS_ERR_INVALID_PARAMETER, "Invalid nextToken: it "
	    "was not returned by a previous call of this operation.");
}
