/*
 * sched.h - the scheduler part: the reconcile loop that turns desired state
 * in the store into containers on Docker and records what it observes. It
 * is the only part that talks to Docker (through docker.h's driver).
 */
#ifndef ECSD_SCHED_H
#define ECSD_SCHED_H

#include <jansson.h>
#include <stddef.h>
#include <uv.h>

#include "../daemon/daemon.h"
#include "../store/store.h"
#include "docker.h"

struct sched;

/* A task whose Docker work is under way: one chain of calls at a time. */
struct trun {
	struct sched *s;
	char *account;
	char *region;
	struct part part;         /* points at account and region */
	char *cluster;
	char *id;
	char *arn;
	json_t *spec;             /* what to run (store row's spec) */
	int stopping;             /* running the stop chain, else the start one */
	char *cur;                /* container being worked on */
	char *cur_id;             /* its Docker id */
	char *pause_name;         /* awsvpc: the pause container's name */
	int pulled;               /* a pull was tried for cur */
	size_t vol;               /* next task volume to create */
	int store_failed;         /* a write failed: end the chain (task.c) */
	struct trun *next;
};

struct sched {
	uv_loop_t *loop;
	struct store *store;
	struct docker *docker;
	const struct config *cfg;
	char owner[33];           /* labels every container this store owns */
	json_t *secrets;          /* --secrets-file, or NULL */
	uv_timer_t kick_timer;    /* coalesces kicks into one pass */
	uv_timer_t tick_timer;    /* the periodic safety-net pass */
	int kick_all;             /* the next kicked pass is a full one */
	json_t *kick_tasks;       /* task ARNs it advances (object of true) */
	json_t *kick_services;    /* service ARNs it reconciles (the same) */
	int pause_ready;          /* 1 the pause image is there, 0 not yet */
	int pause_busy;           /* checking or importing it */
	int resync_busy;          /* a container list is in flight */
	int engine_up;            /* the event stream is connected */
	unsigned passes;          /* how many full passes ran */
	unsigned targeted;        /* how many targeted passes ran */
	unsigned ticks;           /* how many periodic timer runs */
	json_t *oom;              /* Docker ids that were OOM-killed */
	struct trun *runs;        /* tasks with a chain in flight */
	const void *engine_facts; /* engine.c, during a refresh only */
	int closing;
	int open_handles;
	void (*closed_cb)(void *);
	void *closed_arg;
};

/* sched.c */
struct sched *sched_new(uv_loop_t *, struct store *, struct docker *,
    const struct config *, char **);
void sched_kick(void *);
void sched_kick_arns(void *, json_t *);
void sched_kick_task(struct sched *, const char *);
void sched_kick_service(struct sched *, const char *, unsigned);
void sched_reset(void *);
const char *sched_owner(const struct sched *);
void sched_close(struct sched *, void (*)(void *), void *);

/* task.c */
struct trun *task_find(struct sched *, const char *);
void task_advance(struct sched *, struct task_row *);
int task_arn_parse(const char *, char *, char *, char *, char *);
void task_free(struct trun *);
int task_event(struct sched *, const struct docker_event *);
int task_observe(struct sched *, struct task_row *, const char *,
    const char *, int, int);
int task_check_vanished(struct sched *, struct task_row *, json_t *);
json_t *doc_container(json_t *, const char *);

/* engine.c */
void engine_refresh(struct sched *);
int engine_libnetwork_flawed(const char *);

/* services.c - the service scheduler (notes/services-contract.md) */
/* What a service has, for services_plan. */
struct rollout {
	int desired;              /* desiredCount (0 while DRAINING) */
	int min_pct, max_pct;     /* minimumHealthyPercent, maximumPercent */
	int primary_up;           /* PRIMARY tasks desired RUNNING, not STOPPED */
	int primary_healthy;      /* of those, RUNNING and healthy */
	int old_up, old_healthy;  /* the same for older deployments */
	int live;                 /* every task not STOPPED, stopping ones too */
};
/* What services_plan decides. */
struct rollout_plan {
	int start;                /* PRIMARY tasks to start */
	int stop_primary;         /* PRIMARY tasks above desiredCount */
	int stop_old_unhealthy;   /* older tasks not (yet) healthy */
	int stop_old_healthy;     /* healthy older tasks the minimum allows */
};
void services_plan(const struct rollout *, struct rollout_plan *);
int services_backoff_seconds(int);
void services_pass(struct sched *);
void services_reconcile_arn(struct sched *, const char *, json_t *);
char *services_arn(const struct part *, const char *, const char *);

/* pause_image.c */
unsigned char *pause_image_tar(size_t *);

#endif
