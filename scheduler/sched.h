/*
 * sched.h - the scheduler part: the reconcile loop that turns desired state
 * in the store into containers on Docker and records what it observes. It
 * is the only part that talks to Docker (through docker.h's driver).
 */
#ifndef ECSD_SCHED_H
#define ECSD_SCHED_H

#include <stddef.h>

/* pause_image.c */
unsigned char *pause_image_tar(size_t *);

#endif
