/*
 * runner.c - runs every registered test in its own forked child with a
 * timeout, or only the one named on the command line; ends with the line
 * "N passed, N failed". `unit --coverage` prints docs/api-coverage.md from
 * the operation table instead.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../api/api.h"
#include "unit.h"

#define TIMEOUT_SECONDS 30

static struct unit_test *tests;

void
unit_register(struct unit_test *t)
{
	struct unit_test **p = &tests;

	/* Keep them sorted so runs are in a stable order. */
	while (*p != NULL && strcmp((*p)->name, t->name) < 0)
		p = &(*p)->next;
	t->next = *p;
	*p = t;
}

static int
run_one(struct unit_test *t)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		alarm(TIMEOUT_SECONDS);
		t->fn();
		exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0) {
		printf("not ok %s (cannot fork)\n", t->name);
		return 0;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		printf("ok %s\n", t->name);
		return 1;
	}
	if (WIFSIGNALED(status))
		printf("not ok %s (signal %d%s)\n", t->name, WTERMSIG(status),
		    WTERMSIG(status) == SIGALRM ? ": timed out" : "");
	else
		printf("not ok %s\n", t->name);
	return 0;
}

int coverage_print(void);

int
main(int argc, char **argv)
{
	int passed = 0, failed = 0, found = 0;

	xjson_init();
	/* Daemon log lines only on request: ECSD_TEST_LOG=debug|info|warn. */
	log_set_level(getenv("ECSD_TEST_LOG") ? getenv("ECSD_TEST_LOG") :
	    "error");
	if (argc > 1 && strcmp(argv[1], "--coverage") == 0)
		return coverage_print();
	for (struct unit_test *t = tests; t != NULL; t = t->next) {
		if (argc > 1) {
			int wanted = 0;

			for (int i = 1; i < argc; i++)
				if (strcmp(argv[i], t->name) == 0)
					wanted = 1;
			if (!wanted)
				continue;
		}
		found++;
		if (run_one(t))
			passed++;
		else
			failed++;
	}
	if (argc > 1 && found == 0) {
		fprintf(stderr, "no test named %s\n", argv[1]);
		return 2;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
