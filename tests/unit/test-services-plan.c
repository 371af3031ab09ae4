/*
 * test-services-plan.c - the service scheduler's arithmetic
 * (scheduler/services.c): services_plan's windows for rolling updates,
 * scaling and DAEMON replacement, checked step by step on a simulated
 * service until it converges, and the start back-off.
 */
#include <string.h>

#include "../../scheduler/sched.h"
#include "unit.h"

TEST(services_plan_scale_up_and_down)
{
	struct rollout in = { .desired = 4, .min_pct = 100, .max_pct = 200 };
	struct rollout_plan p;

	services_plan(&in, &p);
	ASSERT_INT_EQ(p.start, 4);
	ASSERT_INT_EQ(p.stop_primary, 0);

	/* 4 running, desired 1: stop 3 */
	in.desired = 1;
	in.primary_up = in.primary_healthy = in.live = 4;
	services_plan(&in, &p);
	ASSERT_INT_EQ(p.start, 0);
	ASSERT_INT_EQ(p.stop_primary, 3);

	/* desired 0 */
	in.desired = 0;
	services_plan(&in, &p);
	ASSERT_INT_EQ(p.stop_primary, 4);

	/* a stopped task is replaced at once */
	in.desired = 4;
	in.primary_up = in.primary_healthy = in.live = 3;
	services_plan(&in, &p);
	ASSERT_INT_EQ(p.start, 1);
}

TEST(services_plan_windows)
{
	struct rollout in;
	struct rollout_plan p;

	/* D=4, min 50, max 200: start 4 new, stop 2 old at once */
	memset(&in, 0, sizeof in);
	in.desired = 4;
	in.min_pct = 50;
	in.max_pct = 200;
	in.old_up = in.old_healthy = in.live = 4;
	services_plan(&in, &p);
	ASSERT_INT_EQ(p.start, 4);
	ASSERT_INT_EQ(p.stop_old_healthy, 2);

	/* min 100, max 100 at D=1: nothing can move (ECS stalls too) */
	memset(&in, 0, sizeof in);
	in.desired = 1;
	in.min_pct = 100;
	in.max_pct = 100;
	in.old_up = in.old_healthy = in.live = 1;
	services_plan(&in, &p);
	ASSERT_INT_EQ(p.start, 0);
	ASSERT_INT_EQ(p.stop_old_healthy, 0);

	/* min 100, max 150, D=4: two extra at a time; stopping tasks count */
	memset(&in, 0, sizeof in);
	in.desired = 4;
	in.min_pct = 100;
	in.max_pct = 150;
	in.old_up = in.old_healthy = 4;
	in.live = 5;              /* one more still stopping */
	services_plan(&in, &p);
	ASSERT_INT_EQ(p.start, 1);
	ASSERT_INT_EQ(p.stop_old_healthy, 0);

	/* older tasks that never became healthy go regardless */
	memset(&in, 0, sizeof in);
	in.desired = 2;
	in.min_pct = 100;
	in.max_pct = 200;
	in.old_up = 2;
	in.live = 2;
	services_plan(&in, &p);
	ASSERT_INT_EQ(p.stop_old_unhealthy, 2);
	ASSERT_INT_EQ(p.start, 2);

	/* DAEMON defaults (0/100): stop the old first, start when it is gone */
	memset(&in, 0, sizeof in);
	in.desired = 1;
	in.min_pct = 0;
	in.max_pct = 100;
	in.old_up = in.old_healthy = in.live = 1;
	services_plan(&in, &p);
	ASSERT_INT_EQ(p.start, 0);
	ASSERT_INT_EQ(p.stop_old_healthy, 1);
	in.old_up = in.old_healthy = 0;
	in.live = 0;
	services_plan(&in, &p);
	ASSERT_INT_EQ(p.start, 1);
}

/*
 * A simulated rolling update: started tasks are pending for one step and
 * healthy after; stopped tasks take two steps to be gone. At every step the
 * healthy tasks stay >= ceil(D*min/100) and all tasks <= floor(D*max/100).
 */
static void
simulate(int d, int min_pct, int max_pct)
{
	int old_healthy = d, new_pending = 0, new_healthy = 0;
	int stopping_a = 0, stopping_b = 0, steps = 0;
	int min_healthy = (d * min_pct + 99) / 100, max_tasks = d * max_pct / 100;

	while (old_healthy > 0 || new_healthy < d || new_pending > 0 ||
	    stopping_a + stopping_b > 0) {
		struct rollout in = { .desired = d, .min_pct = min_pct,
		    .max_pct = max_pct };
		struct rollout_plan p;
		int live;

		if (++steps > 100)
			UNIT_FAIL("no convergence: D=%d min=%d max=%d", d, min_pct,
			    max_pct);
		in.primary_up = new_pending + new_healthy;
		in.primary_healthy = new_healthy;
		in.old_up = in.old_healthy = old_healthy;
		in.live = in.primary_up + old_healthy + stopping_a + stopping_b;
		services_plan(&in, &p);
		ASSERT_INT_EQ(p.stop_primary, 0);
		ASSERT_INT_EQ(p.stop_old_unhealthy, 0);
		/* act */
		old_healthy -= p.stop_old_healthy;
		/* time passes: stopping ones go, pending ones get healthy */
		stopping_b = stopping_a;
		stopping_a = p.stop_old_healthy;
		new_healthy += new_pending;
		new_pending = p.start;
		live = old_healthy + new_healthy + new_pending + stopping_a +
		    stopping_b;
		if (old_healthy + new_healthy < min_healthy)
			UNIT_FAIL("D=%d min=%d max=%d step %d: %d healthy < %d", d,
			    min_pct, max_pct, steps, old_healthy + new_healthy,
			    min_healthy);
		if (live > max_tasks && live > d)
			UNIT_FAIL("D=%d min=%d max=%d step %d: %d tasks > %d", d,
			    min_pct, max_pct, steps, live, max_tasks);
	}
}

TEST(services_plan_rolling_update_stays_in_window)
{
	static const int windows[][2] = { { 100, 200 }, { 50, 200 },
	    { 0, 100 }, { 50, 150 }, { 100, 150 }, { 75, 125 }, { 0, 200 } };

	for (int d = 1; d <= 12; d++)
		for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++) {
			/* no room above D and no healthy task to spare: nothing
			 * can move (ECS stalls too), e.g. D=1 at 50/150 */
			if (d * windows[w][1] / 100 <= d &&
			    (d * windows[w][0] + 99) / 100 >= d)
				continue;
			simulate(d, windows[w][0], windows[w][1]);
		}
}

TEST(services_backoff)
{
	ASSERT_INT_EQ(services_backoff_seconds(0), 0);
	ASSERT_INT_EQ(services_backoff_seconds(2), 0);
	ASSERT_INT_EQ(services_backoff_seconds(3), 10);
	ASSERT_INT_EQ(services_backoff_seconds(4), 20);
	ASSERT_INT_EQ(services_backoff_seconds(5), 40);
	ASSERT_INT_EQ(services_backoff_seconds(9), 640);
	ASSERT_INT_EQ(services_backoff_seconds(10), 900);
	ASSERT_INT_EQ(services_backoff_seconds(1000), 900);
}
