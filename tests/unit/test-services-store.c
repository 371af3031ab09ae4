/*
 * test-services-store.c - store/services.c on :memory:: services put and
 * get with their mirrored columns, ListServices filters and pages, the
 * scheduler's scan, INACTIVE expiry, service deployments (filters, order,
 * pages) and revisions, and the tasks of a service.
 */
#include <jansson.h>
#include <string.h>

#include "../../store/store.h"
#include "unit.h"

static const struct part us = { "123456789012", "us-east-1" };
static const struct part eu = { "123456789012", "eu-west-1" };

static struct store *
open_store(void)
{
	struct store *st;
	char *err = NULL;

	if (store_open(":memory:", &st, &err) != 0)
		UNIT_FAIL("store: %s", err);
	return st;
}

static json_t *
service_doc(const struct part *p, const char *cluster, const char *name,
    const char *status, const char *lt, const char *strategy, int desired)
{
	char arn[256];

	snprintf(arn, sizeof arn, "arn:aws:ecs:%s:%s:service/%s/%s", p->region,
	    p->account, cluster, name);
	json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:i, s:f, s:[]}",
	    "serviceArn", arn, "serviceName", name, "status", status,
	    "schedulingStrategy", strategy, "desiredCount", desired,
	    "createdAt", 1000.5, "deployments");

	if (lt != NULL)
		json_object_set_new(doc, "launchType", json_string(lt));
	return doc;
}

static void
put(struct store *st, const struct part *p, const char *cluster,
    const char *name, const char *status, const char *lt,
    const char *strategy)
{
	json_t *doc = service_doc(p, cluster, name, status, lt, strategy, 2);
	json_t *state = json_pack("{s:s}", "clientToken", name);

	ASSERT_INT_EQ(store_service_put(st, p, cluster, name, doc, state),
	    STORE_OK);
	json_decref(doc);
	json_decref(state);
}

TEST(store_service_put_get)
{
	struct store *st = open_store();
	struct service_row row;
	struct cluster_counts c;
	json_t *doc;

	ASSERT_INT_EQ(store_service_get(st, &us, "c1", "web", &row),
	    STORE_NOTFOUND);
	put(st, &us, "c1", "web", "ACTIVE", "EC2", "REPLICA");
	ASSERT_INT_EQ(store_service_get(st, &us, "c1", "web", &row), STORE_OK);
	ASSERT_STR_EQ(row.status, "ACTIVE");
	ASSERT_STR_EQ(row.cluster, "c1");
	ASSERT_STR_EQ(row.name, "web");
	ASSERT_STR_EQ(row.arn,
	    "arn:aws:ecs:us-east-1:123456789012:service/c1/web");
	ASSERT_STR_EQ(json_string_value(json_object_get(row.state,
	    "clientToken")), "web");
	ASSERT_INT_EQ(json_integer_value(json_object_get(row.doc,
	    "desiredCount")), 2);
	ASSERT(row.deleted_at == 0);
	/* other regions do not see it */
	store_service_row_free(&row);
	ASSERT_INT_EQ(store_service_get(st, &eu, "c1", "web", &row),
	    STORE_NOTFOUND);

	/* NULL state keeps the stored one; INACTIVE sets deleted_at */
	doc = service_doc(&us, "c1", "web", "INACTIVE", "EC2", "REPLICA", 0);
	ASSERT_INT_EQ(store_service_put(st, &us, "c1", "web", doc, NULL),
	    STORE_OK);
	json_decref(doc);
	ASSERT_INT_EQ(store_service_get(st, &us, "c1", "web", &row), STORE_OK);
	ASSERT_STR_EQ(row.status, "INACTIVE");
	ASSERT(row.deleted_at > 0);
	ASSERT_STR_EQ(json_string_value(json_object_get(row.state,
	    "clientToken")), "web");
	store_service_row_free(&row);

	/* the cluster counts read the columns */
	put(st, &us, "c1", "api", "ACTIVE", "FARGATE", "REPLICA");
	put(st, &us, "c1", "old", "DRAINING", "EC2", "REPLICA");
	ASSERT_INT_EQ(store_cluster_counts(st, &us, "c1", &c), STORE_OK);
	ASSERT_INT_EQ(c.services, 1);
	ASSERT_INT_EQ(c.active_fargate, 1);
	ASSERT_INT_EQ(c.draining_ec2, 1);
	ASSERT_INT_EQ(c.live_services, 2);
	store_close(st);
}

TEST(store_service_launch_type_from_strategy)
{
	struct store *st = open_store();
	json_t *doc = service_doc(&us, "c1", "cp", "ACTIVE", NULL, "REPLICA", 1);
	json_t *arns = json_array();

	json_object_set_new(doc, "capacityProviderStrategy",
	    json_pack("[{s:s, s:i}]", "capacityProvider", "FARGATE_SPOT",
	    "weight", 1));
	ASSERT_INT_EQ(store_service_put(st, &us, "c1", "cp", doc, NULL),
	    STORE_OK);
	ASSERT_INT_EQ(store_services_list(st, &us, "c1", "FARGATE", NULL, NULL,
	    10, arns), 1);
	json_decref(doc);
	json_decref(arns);
	store_close(st);
}

TEST(store_services_list_filters_pages)
{
	struct store *st = open_store();
	json_t *arns = json_array();
	const char *last;

	put(st, &us, "c1", "a", "ACTIVE", "EC2", "REPLICA");
	put(st, &us, "c1", "b", "ACTIVE", "FARGATE", "REPLICA");
	put(st, &us, "c1", "c", "DRAINING", "EC2", "DAEMON");
	put(st, &us, "c1", "d", "INACTIVE", "EC2", "REPLICA");
	put(st, &us, "c2", "e", "ACTIVE", "EC2", "REPLICA");
	put(st, &eu, "c1", "f", "ACTIVE", "EC2", "REPLICA");

	ASSERT_INT_EQ(store_services_list(st, &us, "c1", NULL, NULL, NULL, 100,
	    arns), 3);
	json_array_clear(arns);
	ASSERT_INT_EQ(store_services_list(st, &us, "c1", "EC2", NULL, NULL, 100,
	    arns), 2);
	json_array_clear(arns);
	ASSERT_INT_EQ(store_services_list(st, &us, "c1", NULL, "DAEMON", NULL,
	    100, arns), 1);
	ASSERT_STR_EQ(json_string_value(json_array_get(arns, 0)),
	    "arn:aws:ecs:us-east-1:123456789012:service/c1/c");
	json_array_clear(arns);
	ASSERT_INT_EQ(store_services_list(st, &us, "c1", NULL, NULL, NULL, 2,
	    arns), 2);
	last = json_string_value(json_array_get(arns, 1));
	ASSERT_STR_EQ(last, "arn:aws:ecs:us-east-1:123456789012:service/c1/b");
	ASSERT_INT_EQ(store_services_list(st, &us, "c1", NULL, NULL, last, 2,
	    arns), 1);
	ASSERT_STR_EQ(json_string_value(json_array_get(arns, 2)),
	    "arn:aws:ecs:us-east-1:123456789012:service/c1/c");
	json_decref(arns);
	store_close(st);
}

static struct store *live_store;

static void
live_put_cb(void *arg, struct service_row *row)
{
	json_t *names = arg;
	struct part p = { row->account, row->region };
	struct service_row full;

	/* the scan hands out keys only; the documents are read apart */
	ASSERT_NULL(row->doc);
	ASSERT_NULL(row->state);
	ASSERT_NOT_NULL(row->arn);
	json_array_append_new(names, json_string(row->name));
	ASSERT_INT_EQ(store_service_get(live_store, &p, row->cluster, row->name,
	    &full), STORE_OK);
	json_object_set_new(full.state, "seen", json_true());
	ASSERT_INT_EQ(store_service_put(live_store, &p, row->cluster, row->name,
	    full.doc, full.state), STORE_OK);
	store_service_row_free(&full);
}

TEST(store_services_live_scan)
{
	struct store *st = open_store();
	json_t *names = json_array();
	struct service_row row;

	live_store = st;
	put(st, &us, "c1", "a", "ACTIVE", "EC2", "REPLICA");
	put(st, &us, "c1", "b", "DRAINING", "EC2", "REPLICA");
	put(st, &us, "c1", "c", "INACTIVE", "EC2", "REPLICA");
	put(st, &eu, "c9", "d", "ACTIVE", "EC2", "REPLICA");
	ASSERT_INT_EQ(store_services_live(st, live_put_cb, names), STORE_OK);
	ASSERT_INT_EQ(json_array_size(names), 3);
	/* (account, region, cluster, name) order: eu-west-1 first */
	ASSERT_STR_EQ(json_string_value(json_array_get(names, 0)), "d");
	ASSERT_STR_EQ(json_string_value(json_array_get(names, 1)), "a");
	ASSERT_STR_EQ(json_string_value(json_array_get(names, 2)), "b");
	ASSERT_INT_EQ(store_service_get(st, &eu, "c9", "d", &row), STORE_OK);
	ASSERT(json_is_true(json_object_get(row.state, "seen")));
	store_service_row_free(&row);
	json_decref(names);
	store_close(st);
}

static json_t *
deployment_doc(const char *cluster, const char *service, const char *id,
    const char *status, double created)
{
	char arn[256], rev[256];

	snprintf(arn, sizeof arn, "arn:aws:ecs:us-east-1:123456789012:"
	    "service-deployment/%s/%s/%s", cluster, service, id);
	snprintf(rev, sizeof rev, "arn:aws:ecs:us-east-1:123456789012:"
	    "service-revision/%s/%s/%s", cluster, service, "1234");
	return json_pack("{s:s, s:s, s:f, s:{s:s}}", "serviceDeploymentArn",
	    arn, "status", status, "createdAt", created,
	    "targetServiceRevision", "arn", rev);
}

TEST(store_service_deployments)
{
	struct store *st = open_store();
	json_t *docs = json_array(), *keys = json_array(), *doc, *statuses;
	char id[64];
	double at;
	const char *key;

	for (int i = 0; i < 5; i++) {
		char sid[16], dep[32];

		snprintf(sid, sizeof sid, "d%d", i);
		snprintf(dep, sizeof dep, "ecs-svc/%d", i);
		doc = deployment_doc("c1", "web", sid, i == 4 ? "IN_PROGRESS" :
		    "SUCCESSFUL", 100.0 + i);
		ASSERT_INT_EQ(store_service_deployment_put(st, &us, "c1", "web",
		    sid, dep, doc), STORE_OK);
		json_decref(doc);
	}
	doc = deployment_doc("c1", "api", "x", "SUCCESSFUL", 500);
	ASSERT_INT_EQ(store_service_deployment_put(st, &us, "c1", "api", "x",
	    "ecs-svc/9", doc), STORE_OK);
	json_decref(doc);

	/* newest first, only the service's */
	ASSERT_INT_EQ(store_service_deployments_list(st, &us, "c1", "web", NULL,
	    0, 0, 0, NULL, 100, docs, keys), STORE_OK);
	ASSERT_INT_EQ(json_array_size(docs), 5);
	ASSERT(json_number_value(json_object_get(json_array_get(docs, 0),
	    "createdAt")) == 104.0);
	/* status filter */
	json_array_clear(docs);
	json_array_clear(keys);
	statuses = json_pack("[s]", "IN_PROGRESS");
	ASSERT_INT_EQ(store_service_deployments_list(st, &us, "c1", "web",
	    statuses, 0, 0, 0, NULL, 100, docs, keys), STORE_OK);
	ASSERT_INT_EQ(json_array_size(docs), 1);
	json_decref(statuses);
	/* createdAt window */
	json_array_clear(docs);
	json_array_clear(keys);
	ASSERT_INT_EQ(store_service_deployments_list(st, &us, "c1", "web", NULL,
	    101, 103, 0, NULL, 100, docs, keys), STORE_OK);
	ASSERT_INT_EQ(json_array_size(docs), 3);
	/* pages by key */
	json_array_clear(docs);
	json_array_clear(keys);
	ASSERT_INT_EQ(store_service_deployments_list(st, &us, "c1", "web", NULL,
	    0, 0, 0, NULL, 2, docs, keys), STORE_OK);
	ASSERT_INT_EQ(json_array_size(docs), 2);
	key = json_string_value(json_array_get(keys, 1));
	ASSERT_STR_EQ(key, "103/d3");
	at = 103;
	ASSERT_INT_EQ(store_service_deployments_list(st, &us, "c1", "web", NULL,
	    0, 0, at, "d3", 10, docs, keys), STORE_OK);
	ASSERT_INT_EQ(json_array_size(docs), 5);
	/* by id and by deployment */
	ASSERT_INT_EQ(store_service_deployment_get(st, &us, "c1", "web", "d2",
	    &doc), STORE_OK);
	ASSERT(json_number_value(json_object_get(doc, "createdAt")) == 102.0);
	json_decref(doc);
	ASSERT_INT_EQ(store_service_deployment_get(st, &us, "c1", "web", "zz",
	    &doc), STORE_NOTFOUND);
	ASSERT_INT_EQ(store_service_deployment_of(st, &us, "c1", "web",
	    "ecs-svc/4", &doc, id, sizeof id), STORE_OK);
	ASSERT_STR_EQ(id, "d4");
	json_decref(doc);
	/* a name used again forgets the old history */
	ASSERT_INT_EQ(store_service_history_clear(st, &us, "c1", "web"),
	    STORE_OK);
	ASSERT_INT_EQ(store_service_deployment_get(st, &us, "c1", "web", "d2",
	    &doc), STORE_NOTFOUND);
	ASSERT_INT_EQ(store_service_deployment_get(st, &us, "c1", "api", "x",
	    &doc), STORE_OK);
	json_decref(doc);
	json_decref(docs);
	json_decref(keys);
	store_close(st);
}

TEST(store_service_revisions_and_expiry)
{
	struct store *st = open_store();
	json_t *doc = json_pack("{s:s, s:f}", "serviceRevisionArn",
	    "arn:aws:ecs:us-east-1:123456789012:service-revision/c1/web/77",
	    "createdAt", 10.0), *got;

	ASSERT_INT_EQ(store_service_revision_put(st, &us, "c1", "web", "77",
	    doc), STORE_OK);
	ASSERT_INT_EQ(store_service_revision_get(st, &us, "c1", "web", "77",
	    &got), STORE_OK);
	ASSERT_STR_EQ(json_string_value(json_object_get(got,
	    "serviceRevisionArn")),
	    "arn:aws:ecs:us-east-1:123456789012:service-revision/c1/web/77");
	json_decref(got);
	ASSERT_INT_EQ(store_service_revision_get(st, &us, "c1", "web", "78",
	    &got), STORE_NOTFOUND);

	put(st, &us, "c1", "web", "INACTIVE", "EC2", "REPLICA");
	put(st, &us, "c1", "live", "ACTIVE", "EC2", "REPLICA");
	ASSERT_INT_EQ(store_services_expire(st, 1), 0);    /* not old enough */
	ASSERT_INT_EQ(store_services_expire(st, 4e9), 1);
	ASSERT_INT_EQ(store_service_revision_get(st, &us, "c1", "web", "77",
	    &got), STORE_NOTFOUND);
	{
		struct service_row row;

		ASSERT_INT_EQ(store_service_get(st, &us, "c1", "live", &row),
		    STORE_OK);
		store_service_row_free(&row);
	}
	json_decref(doc);
	store_close(st);
}

static json_t *
svc_task(const char *id, const char *service, const char *by,
    const char *last)
{
	char arn[160], group[64];

	snprintf(arn, sizeof arn,
	    "arn:aws:ecs:us-east-1:123456789012:task/c1/%s", id);
	snprintf(group, sizeof group, "service:%s", service);
	return json_pack("{s:s, s:s, s:s, s:s, s:f, s:s, s:s, s:s}",
	    "taskArn", arn, "taskDefinitionArn",
	    "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3",
	    "desiredStatus", strcmp(last, "STOPPED") == 0 ? "STOPPED" :
	    "RUNNING", "lastStatus", last, "createdAt", 1000.0, "group", group,
	    "launchType", "EC2", "startedBy", by);
}

static void
ids_cb(void *arg, struct task_row *row, double stopped_at)
{
	ASSERT(strcmp(row->id, "t2") == 0 ? stopped_at > 0 : stopped_at == 0);
	json_array_append_new(arg, json_string(row->id));
}

TEST(store_service_tasks_since)
{
	struct store *st = open_store();
	json_t *ids = json_array(), *doc;
	const char *const spec[][4] = {
		{ "t1", "web", "ecs-svc/1", "RUNNING" },
		{ "t2", "web", "ecs-svc/1", "STOPPED" },
		{ "t3", "api", "ecs-svc/2", "RUNNING" },
		{ "t4", "web", "me", "RUNNING" },     /* not a service task */
	};

	for (size_t i = 0; i < 4; i++) {
		doc = svc_task(spec[i][0], spec[i][1], spec[i][2], spec[i][3]);
		ASSERT_INT_EQ(store_task_insert(st, &us, "c1", spec[i][0],
		    strncmp(spec[i][2], "ecs-svc/", 8) == 0 ? spec[i][1] : NULL, doc,
		    NULL), STORE_OK);
		json_decref(doc);
	}
	ASSERT_INT_EQ(store_service_tasks(st, &us, "c1", "web", 0, ids_cb, ids),
	    STORE_OK);
	ASSERT_INT_EQ(json_array_size(ids), 2);
	json_array_clear(ids);
	/* stopped before `since`: left out */
	ASSERT_INT_EQ(store_service_tasks(st, &us, "c1", "web", 4e9, ids_cb,
	    ids), STORE_OK);
	ASSERT_INT_EQ(json_array_size(ids), 1);
	ASSERT_STR_EQ(json_string_value(json_array_get(ids, 0)), "t1");
	json_decref(ids);
	store_close(st);
}

TEST(store_services_namespace)
{
	struct store *st = open_store();
	json_t *doc = service_doc(&us, "c1", "sc", "ACTIVE", "EC2", "REPLICA", 1);
	json_t *arns = json_array();

	json_object_set_new(doc, "serviceConnectConfiguration",
	    json_pack("{s:b, s:s}", "enabled", 1, "namespace", "ns1"));
	ASSERT_INT_EQ(store_service_put(st, &us, "c1", "sc", doc, NULL),
	    STORE_OK);
	put(st, &us, "c1", "plain", "ACTIVE", "EC2", "REPLICA");
	ASSERT_INT_EQ(store_services_by_namespace(st, &us, "ns1", NULL, 10,
	    arns), 1);
	ASSERT_INT_EQ(store_services_by_namespace(st, &us, "ns2", NULL, 10,
	    arns), 0);
	json_decref(doc);
	json_decref(arns);
	store_close(st);
}
