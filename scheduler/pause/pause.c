/*
 * pause.c - the program of ecsd's pause image. An awsvpc task's pause
 * container owns the task's network namespace; the task's containers join
 * it. It must do nothing, forever, and exit at once on SIGTERM or SIGINT.
 * Built statically and embedded in ecsd, which imports it into Docker as
 * ecsd/pause:latest, because no registry can be assumed.
 */
#include <signal.h>
#include <unistd.h>

static void
stop(int sig)
{
	(void)sig;
	_exit(0);
}

int
main(void)
{
	signal(SIGTERM, stop);
	signal(SIGINT, stop);
	for (;;)
		pause();
}
