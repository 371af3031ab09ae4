/*
 * test-services-inactive.c - a service whose task definition revision was
 * deregistered keeps launching it (as ECS services do), while RunTask from a
 * client refuses it. The service pass runs on an in-memory store.
 */
#include <jansson.h>
#include <string.h>

#include "../../api/api.h"
#include "../../scheduler/sched.h"
#include "unit.h"



static void
ok(const char *op, const char *body)
{
	int status = 0;
	json_t *doc = unit_call(op, body, &status);

	if (status != 200)
		UNIT_FAIL("%s: %s", op, json_dumps(doc, 0));
	json_decref(doc);
}

static size_t
count_tasks(void)
{
	json_t *doc = unit_call("ListTasks", "{\"cluster\":\"c\"}", NULL);
	size_t n = json_array_size(json_object_get(doc, "taskArns"));

	json_decref(doc);
	return n;
}

TEST(services_keep_launching_a_deregistered_revision)
{
	struct sched s;
	struct config cfg;
	uv_loop_t loop;
	int status = 0;
	json_t *doc;

	unit_store_setup();
	memset(&s, 0, sizeof s);
	memset(&cfg, 0, sizeof cfg);
	cfg.task_retention = 3600;
	uv_loop_init(&loop);
	s.loop = &loop;
	s.store = api_store();
	s.cfg = &cfg;
	uv_timer_init(&loop, &s.kick_timer);   /* services_pass may kick */
	ok("CreateCluster", "{\"clusterName\":\"c\"}");
	ok("RegisterTaskDefinition", "{\"family\":\"web\",\"containerDefinitions\":"
	    "[{\"name\":\"web\",\"image\":\"app:1\",\"memory\":16}]}");
	ok("CreateService", "{\"cluster\":\"c\",\"serviceName\":\"web\","
	    "\"taskDefinition\":\"web:1\",\"desiredCount\":1}");
	ok("DeregisterTaskDefinition", "{\"taskDefinition\":\"web:1\"}");
	/* a client may not run it any more */
	doc = unit_call("RunTask", "{\"cluster\":\"c\",\"taskDefinition\":"
	    "\"web:1\"}", &status);
	ASSERT_INT_EQ(status, 400);
	ASSERT_STR_EQ(unit_error_type(doc), "ClientException");
	json_decref(doc);
	/* the service still starts its task */
	services_pass(&s);
	ASSERT_INT_EQ(count_tasks(), 1);
	/* what the pass asked of the next one (sched_close frees these) */
	json_decref(s.kick_services);
	json_decref(s.kick_tasks);
	uv_close((uv_handle_t *)&s.kick_timer, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_INT_EQ(uv_loop_close(&loop), 0);
}
