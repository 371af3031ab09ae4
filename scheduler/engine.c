/*
 * engine.c - what the Docker engine says about itself. On every
 * (re)connection `docker info` gives the engine's CPUs, memory and version;
 * they are kept in the store's meta table (engine.cpu, engine.memory,
 * engine.version), where the api reads them when it registers the local
 * instance of a new cluster, and every existing local instance's
 * registeredResources and versionInfo are brought up to date. The engine
 * may be another machine (--docker-host tcp://...), so /proc of ecsd's own
 * host is only the fallback before the first answer.
 *
 * The libnetwork of Docker 17 to 20.10 can deadlock when containers leave
 * a network at the same moment (moby/moby#42545): every later start, stop
 * and `docker info` hangs until dockerd is killed. ecsd cannot prevent that
 * from outside, so it says so once per connection to such an engine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched.h"

struct facts {
	long long cpu;            /* CPU units: cores x 1024 */
	long long memory;         /* MiB */
	char version[64];         /* "DockerVersion: 20.10.24", as the agent */
};

static void
set_int_resource(json_t *resources, const char *name, long long v)
{
	json_t *r;
	size_t i;

	json_array_foreach(resources, i, r) {
		if (strcmp(json_string_value(json_object_get(r, "name")) ?
		    json_string_value(json_object_get(r, "name")) : "", name) == 0)
			json_object_set_new(r, "integerValue", json_integer(v));
	}
}

static void
refresh_cb(void *arg, const struct part *p, const char *cluster,
    struct instance_row *row)
{
	struct sched *s = arg;
	const struct facts *f = s->engine_facts;
	json_t *vi = json_object_get(row->doc, "versionInfo");

	set_int_resource(json_object_get(row->doc, "registeredResources"), "CPU",
	    f->cpu);
	set_int_resource(json_object_get(row->doc, "registeredResources"),
	    "MEMORY", f->memory);
	if (json_is_object(vi))
		json_object_set_new(vi, "dockerVersion", json_string(f->version));
	store_instance_save(s->store, p, cluster, row->id, row->status, row->doc);
}

/* Docker 17.03 to 20.10 ("20.10.24+dfsg1"); not 23.0 on, nor Podman's 4.x. */
int
engine_libnetwork_flawed(const char *server_version)
{
	int major = atoi(server_version);

	return major >= 17 && major < 23;
}

static void
info_cb(void *arg, int status, json_t *info, const char *err)
{
	struct sched *s = arg;
	const char *server;
	struct facts f;
	char num[32];

	if (status != DOCKER_OK) {
		if (status != DOCKER_ECANCELLED)
			log_warn("sched: docker info: %s", err);
		return;
	}
	server = json_string_value(json_object_get(info, "ServerVersion"));
	if (server == NULL)
		server = "";
	if (engine_libnetwork_flawed(server))
		log_warn("sched: Docker %s can deadlock when containers stop "
		    "together (moby/moby#42545); Docker 23 or later is advised "
		    "(docs/differences.md)", server);
	f.cpu = json_integer_value(json_object_get(info, "NCPU")) * 1024;
	f.memory = json_integer_value(json_object_get(info, "MemTotal")) /
	    (1024 * 1024);
	snprintf(f.version, sizeof f.version, "DockerVersion: %s", server);
	if (f.cpu <= 0 || f.memory <= 0)
		return;
	if (store_begin(s->store, 1) != 0)
		return;
	snprintf(num, sizeof num, "%lld", f.cpu);
	store_meta_set(s->store, "engine.cpu", num);
	snprintf(num, sizeof num, "%lld", f.memory);
	store_meta_set(s->store, "engine.memory", num);
	store_meta_set(s->store, "engine.version", f.version);
	s->engine_facts = &f;
	store_instances_local_each(s->store, refresh_cb, s);
	s->engine_facts = NULL;
	if (store_commit(s->store) != 0)
		store_rollback(s->store);
	log_debug("sched: engine has %lld CPU units, %lld MiB, %s", f.cpu,
	    f.memory, f.version);
}

/* Asks the engine about itself; called when the event stream connects. */
void
engine_refresh(struct sched *s)
{
	docker_info(s->docker, info_cb, s);
}
