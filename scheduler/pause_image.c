/*
 * pause_image.c - the pause image as a tar stream for Docker's image import
 * (POST /images/create?fromSrc=-). The static pause program is embedded in
 * ecsd at build time; the tar holds just /pause, so the image is a few KB
 * and needs no registry.
 */
#include <stdio.h>
#include <string.h>

#include "../daemon/daemon.h"
#include "sched.h"

__asm__(".section .rodata\n"
	".global ecsd_pause_bin\n"
	".global ecsd_pause_bin_end\n"
	"ecsd_pause_bin:\n"
	".incbin \"" ECSD_PAUSE_PATH "\"\n"
	"ecsd_pause_bin_end:\n"
	".previous\n");
extern const unsigned char ecsd_pause_bin[];
extern const unsigned char ecsd_pause_bin_end[];

#define BLOCK 512

static void
octal(char *dst, size_t width, unsigned long long v)
{
	snprintf(dst, width, "%0*llo", (int)width - 1, v);
}

/* A ustar archive with one executable file /pause; *len gets its size. */
unsigned char *
pause_image_tar(size_t *len)
{
	/* The two ends of one .incbin blob (cppcheck cannot know that). */
	/* cppcheck-suppress comparePointers */
	size_t size = (size_t)(ecsd_pause_bin_end - ecsd_pause_bin);
	size_t data = (size + BLOCK - 1) / BLOCK * BLOCK;
	size_t total = BLOCK + data + 2 * BLOCK;
	unsigned char *tar = xcalloc(1, total);
	char *h = (char *)tar;
	unsigned sum = 0;

	memcpy(h, "pause", 5);                  /* name */
	octal(h + 100, 8, 0755);                /* mode */
	octal(h + 108, 8, 0);                   /* uid */
	octal(h + 116, 8, 0);                   /* gid */
	octal(h + 124, 12, size);               /* size */
	octal(h + 136, 12, 0);                  /* mtime */
	memset(h + 148, ' ', 8);                /* checksum, blank while summing */
	h[156] = '0';                           /* regular file */
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (int i = 0; i < BLOCK; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
	memcpy(tar + BLOCK, ecsd_pause_bin, size);
	*len = total;
	return tar;
}
