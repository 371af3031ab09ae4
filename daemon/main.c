/*
 * main.c - ecsd: parse options, open the store, wire the parts onto one
 * libuv loop, run until SIGINT or SIGTERM, then shut down in order: stop
 * accepting, let in-flight requests finish, stop the scheduler (its work
 * resumes from the store next time), close the Docker driver, close the
 * store. Containers keep running across a restart and are adopted.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "../api/api.h"
#include "../scheduler/sched.h"
#include "../store/store.h"
#include "daemon.h"

struct daemon {
	struct config cfg;
	uv_loop_t loop;
	uv_signal_t sigint;
	uv_signal_t sigterm;
	struct store *store;
	struct http *http;
	struct docker *docker;
	struct sched *sched;
	int stopping;
};

static void
docker_closed_cb(void *arg)
{
	struct daemon *d = arg;

	d->docker = NULL;
	uv_close((uv_handle_t *)&d->sigint, NULL);
	uv_close((uv_handle_t *)&d->sigterm, NULL);
}

static void
sched_closed_cb(void *arg)
{
	struct daemon *d = arg;

	d->sched = NULL;
	docker_close(d->docker, docker_closed_cb, d);
}

static void
http_stopped_cb(void *arg)
{
	struct daemon *d = arg;

	d->http = NULL;
	sched_close(d->sched, sched_closed_cb, d);
}

static void
signal_cb(uv_signal_t *s, int signum)
{
	struct daemon *d = s->data;

	if (d->stopping) {
		log_warn("second signal %d: exiting now", signum);
		exit(1);
	}
	d->stopping = 1;
	log_info("signal %d: shutting down", signum);
	http_stop(d->http, http_stopped_cb, d);
}

static int
is_loopback(const char *addr)
{
	return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0 ||
	    strcmp(addr, "localhost") == 0;
}

static char *
store_path(const struct config *cfg)
{
	char *path;

	if (strcmp(cfg->data_dir, ":memory:") == 0)
		return xstrdup(":memory:");
	if (mkdir_p(cfg->data_dir) != 0)
		return NULL;
	xasprintf(&path, "%s/ecsd.db", cfg->data_dir);
	return path;
}

static int
start_scheduler(struct daemon *d, char **err)
{
	struct docker_options opts;

	memset(&opts, 0, sizeof opts);
	opts.endpoint = d->cfg.docker_host;
	d->docker = docker_new(&d->loop, &opts, err);
	if (d->docker == NULL)
		return -1;
	d->sched = sched_new(&d->loop, d->store, d->docker, &d->cfg, err);
	if (d->sched == NULL) {
		docker_close(d->docker, NULL, NULL);
		uv_run(&d->loop, UV_RUN_DEFAULT);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct daemon d;
	char *err = NULL, *path = NULL;
	int rc, status = 1;

	memset(&d, 0, sizeof d);
	xjson_init();
	rc = options_parse(&d.cfg, argc, argv, &err);
	if (rc != 0) {
		if (rc < 0)
			fprintf(stderr, "ecsd: %s\n", err);
		free(err);
		options_free(&d.cfg);
		return rc > 0 ? 0 : 2;
	}
	if (!is_loopback(d.cfg.listen)) {
		if (!d.cfg.allow_remote) {
			fprintf(stderr, "ecsd: refusing to listen on %s: the ECS API "
			    "can start privileged containers, so anyone who reaches "
			    "it is root on this host. Add --allow-remote if you mean "
			    "it.\n", d.cfg.listen);
			goto out;
		}
		log_warn("listening on %s, beyond loopback: whoever reaches this "
		    "port controls Docker on this host", d.cfg.listen);
	}
	signal(SIGPIPE, SIG_IGN);
	if (model_init(&err) != 0) {
		log_error("%s", err);
		goto out;
	}
	path = store_path(&d.cfg);
	if (path == NULL) {
		log_error("cannot create the data directory %s", d.cfg.data_dir);
		goto out;
	}
	if (store_open(path, &d.store, &err) != 0) {
		log_error("store: %s", err);
		goto out;
	}
	uv_loop_init(&d.loop);
	if (start_scheduler(&d, &err) != 0) {
		log_error("%s", err);
		goto out_loop;
	}
	api_init(d.store, &d.cfg, sched_kick_arns, d.sched);
	admin_on_reset(sched_reset, d.sched);
	d.http = http_start(&d.loop, &d.cfg, &err);
	if (d.http == NULL) {
		log_error("%s", err);
		sched_close(d.sched, NULL, NULL);
		docker_close(d.docker, NULL, NULL);
		uv_run(&d.loop, UV_RUN_DEFAULT);
		goto out_loop;
	}
	uv_signal_init(&d.loop, &d.sigint);
	uv_signal_init(&d.loop, &d.sigterm);
	d.sigint.data = d.sigterm.data = &d;
	uv_signal_start(&d.sigint, signal_cb, SIGINT);
	uv_signal_start(&d.sigterm, signal_cb, SIGTERM);
	admin_started(sched_owner(d.sched));
	log_info("ecsd %s listening on http://%s:%d (account %s, region %s, "
	    "store %s)", ECSD_VERSION, d.cfg.listen, http_port(d.http),
	    d.cfg.account, d.cfg.region, path);
	uv_run(&d.loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&d.loop) != 0)
		log_warn("the loop closed with handles still open");
	log_info("stopped");
	status = 0;
	goto out;
out_loop:
	uv_loop_close(&d.loop);
out:
	store_close(d.store);
	model_free();
	free(path);
	free(err);
	options_free(&d.cfg);
	return status;
}
