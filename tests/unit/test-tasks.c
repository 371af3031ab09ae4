/*
 * test-tasks.c - tasks: the store functions the scheduler relies on
 * (notes/tasks-contract.md) on :memory:, and RunTask, StartTask, StopTask,
 * DescribeTasks and ListTasks through the real dispatch.
 */
#include <jansson.h>
#include <string.h>

#include "../../api/api.h"
#include "../../store/store.h"
#include "unit.h"

static const struct part us = { "123456789012", "us-east-1" };

static json_t *
task_doc(const char *id, const char *desired, const char *last)
{
	char arn[160];

	snprintf(arn, sizeof arn,
	    "arn:aws:ecs:us-east-1:123456789012:task/c1/%s", id);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:s, s:s, s:s}",
	    "taskArn", arn,
	    "taskDefinitionArn",
	    "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3",
	    "containerInstanceArn", "arn:aws:ecs:us-east-1:123456789012:"
	    "container-instance/c1/0123456789abcdef0123456789abcdef",
	    "desiredStatus", desired, "lastStatus", last, "createdAt", 1000.0,
	    "group", "family:web", "launchType", "EC2", "startedBy", "me");
}

static void
collect_cb(void *arg, struct task_row *row)
{
	json_t *ids = arg;

	ASSERT_NOT_NULL(row->doc);
	ASSERT_NOT_NULL(row->spec);
	ASSERT_STR_EQ(row->account, "123456789012");
	ASSERT(strcmp(row->id, "a4") == 0 ?
	    strcmp(row->region, "eu-west-1") == 0 :
	    strcmp(row->region, "us-east-1") == 0);
	ASSERT_STR_EQ(row->cluster, "c1");
	json_array_append_new(ids, json_string(row->id));
}

/* A callback that writes while the scan runs, as the scheduler does. */
static void
stop_cb(void *arg, struct task_row *row)
{
	struct store *st = arg;
	struct part p = { row->account, row->region };

	json_object_set_new(row->doc, "lastStatus", json_string("STOPPED"));
	json_object_set_new(row->doc, "desiredStatus", json_string("STOPPED"));
	ASSERT_INT_EQ(store_task_save(st, &p, row->cluster, row->id, row->doc),
	    STORE_OK);
}

TEST(store_task_insert_get_save)
{
	struct store *st;
	struct task_row row;
	json_t *doc, *spec;

	unit_store_setup();
	st = api_store();
	doc = task_doc("aaaa", "RUNNING", "PROVISIONING");
	spec = json_pack("{s:s, s:[]}", "cluster", "c1", "containers");
	ASSERT_INT_EQ(store_task_insert(st, &us, "c1", "aaaa", doc, spec),
	    STORE_OK);
	json_decref(doc);
	json_decref(spec);

	ASSERT_INT_EQ(store_task_get(st, &us, "c1", "nope", &row),
	    STORE_NOTFOUND);
	ASSERT_NULL(row.doc);
	store_task_row_free(&row);
	ASSERT_INT_EQ(store_task_get(st, &(struct part){ "123456789012",
	    "eu-west-1" }, "c1", "aaaa", &row), STORE_NOTFOUND);
	ASSERT_INT_EQ(store_task_get(st, &us, "c1", "aaaa", &row), STORE_OK);
	ASSERT_STR_EQ(row.id, "aaaa");
	ASSERT_STR_EQ(row.cluster, "c1");
	ASSERT_STR_EQ(row.arn,
	    "arn:aws:ecs:us-east-1:123456789012:task/c1/aaaa");
	ASSERT_STR_EQ(json_string_value(json_object_get(row.doc, "lastStatus")),
	    "PROVISIONING");
	ASSERT_STR_EQ(json_string_value(json_object_get(row.spec, "cluster")),
	    "c1");

	json_object_set_new(row.doc, "lastStatus", json_string("RUNNING"));
	ASSERT_INT_EQ(store_task_save(st, &us, "c1", "aaaa", row.doc), STORE_OK);
	ASSERT_INT_EQ(store_task_save(st, &us, "c1", "gone", row.doc),
	    STORE_NOTFOUND);
	store_task_row_free(&row);
	store_task_row_free(&row);    /* twice is harmless */
	store_task_row_free(NULL);

	ASSERT_INT_EQ(store_task_get(st, &us, "c1", "aaaa", &row), STORE_OK);
	ASSERT_STR_EQ(json_string_value(json_object_get(row.doc, "lastStatus")),
	    "RUNNING");
	/* save never touches the spec */
	ASSERT_STR_EQ(json_string_value(json_object_get(row.spec, "cluster")),
	    "c1");
	store_task_row_free(&row);
}

TEST(store_tasks_unsettled_and_expire)
{
	struct store *st;
	json_t *ids = json_array(), *doc;
	struct task_row row;

	unit_store_setup();
	st = api_store();
	doc = task_doc("a1", "RUNNING", "RUNNING");
	store_task_insert(st, &us, "c1", "a1", doc, NULL);
	json_decref(doc);
	doc = task_doc("a2", "STOPPED", "RUNNING");
	store_task_insert(st, &us, "c1", "a2", doc, NULL);
	json_decref(doc);
	doc = task_doc("a3", "STOPPED", "STOPPED");
	store_task_insert(st, &us, "c1", "a3", doc, NULL);
	json_decref(doc);
	doc = task_doc("a4", "RUNNING", "PROVISIONING");
	store_task_insert(st, &(struct part){ "123456789012", "eu-west-1" },
	    "c1", "a4", doc, NULL);
	json_decref(doc);

	ASSERT_INT_EQ(store_tasks_unsettled(st, collect_cb, ids), STORE_OK);
	ASSERT_INT_EQ(json_array_size(ids), 3);
	ASSERT_STR_EQ(json_string_value(json_array_get(ids, 0)), "a1");
	ASSERT_STR_EQ(json_string_value(json_array_get(ids, 1)), "a2");
	ASSERT_STR_EQ(json_string_value(json_array_get(ids, 2)), "a4");
	json_decref(ids);

	/* a3 was inserted STOPPED: it has a stopped_at already; a1 gets one
	 * when saved STOPPED. Nothing stopped before the epoch. */
	ASSERT_INT_EQ(store_tasks_expire(st, 0), 0);
	ASSERT_INT_EQ(store_tasks_unsettled(st, stop_cb, st), STORE_OK);
	ids = json_array();
	ASSERT_INT_EQ(store_tasks_unsettled(st, collect_cb, ids), STORE_OK);
	ASSERT_INT_EQ(json_array_size(ids), 0);
	json_decref(ids);

	doc = json_pack("[{s:s, s:s}]", "key", "k", "value", "v");
	store_tags_set(st, "arn:aws:ecs:us-east-1:123456789012:task/c1/a1", doc);
	json_decref(doc);
	ASSERT_INT_EQ(store_tasks_expire(st, now_epoch() + 10), 4);
	ASSERT_INT_EQ(store_tags_count(st,
	    "arn:aws:ecs:us-east-1:123456789012:task/c1/a1"), 0);
	ASSERT_INT_EQ(store_task_get(st, &us, "c1", "a1", &row),
	    STORE_NOTFOUND);
	store_task_row_free(&row);
}

TEST(store_task_stopped_at_follows_last_status)
{
	struct store *st;
	json_t *doc;

	unit_store_setup();
	st = api_store();
	doc = task_doc("b1", "STOPPED", "STOPPED");
	store_task_insert(st, &us, "c1", "b1", doc, NULL);
	ASSERT_INT_EQ(store_task_save(st, &us, "c1", "b1", doc), STORE_OK);
	/* back to RUNNING (an adopted container) forgets stopped_at */
	json_object_set_new(doc, "lastStatus", json_string("RUNNING"));
	ASSERT_INT_EQ(store_task_save(st, &us, "c1", "b1", doc), STORE_OK);
	ASSERT_INT_EQ(store_tasks_expire(st, now_epoch() + 3600), 0);
	json_object_set_new(doc, "lastStatus", json_string("STOPPED"));
	ASSERT_INT_EQ(store_task_save(st, &us, "c1", "b1", doc), STORE_OK);
	ASSERT_INT_EQ(store_tasks_expire(st, now_epoch() - 3600), 0);
	ASSERT_INT_EQ(store_tasks_expire(st, now_epoch() + 3600), 1);
	json_decref(doc);
}
