/*
 * util.c - clocks, random identifiers and directories.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

/* Epoch seconds with milliseconds: ECS timestamps are JSON numbers. */
double
now_epoch(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)(ts.tv_nsec / 1000000) / 1000.0;
}

static void
random_bytes(unsigned char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom(buf + got, n - got, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			/* getrandom cannot fail on Linux >= 3.17; be loud if it does. */
			perror("getrandom");
			_exit(1);
		}
		got += (size_t)r;
	}
}

/* Writes n lowercase hex digits and a NUL: out must hold n + 1 bytes. */
void
random_hex(char *out, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char buf[64];

	while (n > 0) {
		size_t chunk = n > 128 ? 128 : n;

		random_bytes(buf, (chunk + 1) / 2);
		for (size_t i = 0; i < chunk; i++)
			*out++ = digits[(buf[i / 2] >> ((i & 1) ? 0 : 4)) & 0xf];
		n -= chunk;
	}
	*out = '\0';
}

/* A random (version 4) UUID in its 36-character text form; out holds 37. */
void
uuid4(char *out)
{
	unsigned char b[16];

	random_bytes(b, sizeof b);
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
	    b[11], b[12], b[13], b[14], b[15]);
}

int
mkdir_p(const char *path)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}
