/*
 * test-docker.h - what the Docker driver's unit tests share: a completion
 * that records its answer, and running the loop until something happened
 * (bounded in time, so a hang fails the test instead of the runner).
 */
#ifndef ECSD_TEST_DOCKER_H
#define ECSD_TEST_DOCKER_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "../../daemon/daemon.h"
#include "../../scheduler/docker.h"
#include "unit.h"

struct answer {
	int calls;                /* how many times the callback ran */
	int status;
	json_t *result;
	char *err;
	int order;                /* when it came, counting from 1 */
};

static int answers_seen;

static void __attribute__((unused))
answer_cb(void *arg, int status, json_t *result, const char *err)
{
	struct answer *a = arg;

	a->calls++;
	a->status = status;
	json_decref(a->result);
	a->result = json_incref(result);
	free(a->err);
	a->err = err != NULL ? xstrdup(err) : NULL;
	a->order = ++answers_seen;
}

static void __attribute__((unused))
answer_clear(struct answer *a)
{
	json_decref(a->result);
	free(a->err);
	memset(a, 0, sizeof *a);
}

static void __attribute__((unused))
tick_cb(uv_timer_t *t)
{
	(void)t;
}

/* Runs the loop until *flag is non-zero or ms pass; returns *flag. */
static int __attribute__((unused))
run_until(uv_loop_t *loop, int *flag, int ms)
{
	uv_timer_t tick;
	uint64_t deadline;

	uv_update_time(loop);
	deadline = uv_now(loop) + (uint64_t)ms;
	uv_timer_init(loop, &tick);
	uv_timer_start(&tick, tick_cb, 5, 5);
	while (!*flag && uv_now(loop) < deadline)
		uv_run(loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&tick, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	return *flag;
}

/* Runs the loop for ms whatever happens. */
static void __attribute__((unused))
run_for(uv_loop_t *loop, int ms)
{
	int never = 0;

	run_until(loop, &never, ms);
}

static void __attribute__((unused))
closed_cb(void *arg)
{
	*(int *)arg = 1;
}

/* Closes the driver and checks everything on the loop is gone. */
static void __attribute__((unused))
docker_close_all(uv_loop_t *loop, struct docker *d)
{
	int closed = 0;

	docker_close(d, closed_cb, &closed);
	ASSERT(run_until(loop, &closed, 5000));
	uv_run(loop, UV_RUN_NOWAIT);
	ASSERT_INT_EQ(uv_loop_close(loop), 0);
}

#endif
