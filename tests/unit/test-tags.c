/*
 * test-tags.c - TagResource, UntagResource and ListTagsForResource through
 * the real dispatch: the ECS tag rules, every taggable resource type found
 * in its own table, and the answers for ARNs that are malformed, short,
 * missing, of a deleted cluster or of another region. Resources are rows
 * inserted straight into the store, so these tests do not depend on the
 * operations that create them.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../../api/api.h"
#include "../../store/store.h"
#include "unit.h"

#define ACCT "123456789012"
#define CLUSTER_ARN "arn:aws:ecs:us-east-1:" ACCT ":cluster/c1"

/* Runs one static SQL statement with n text parameters. */
static void
sql_run(const char *sql, int n, ...)
{
	sqlite3_stmt *s = store_stmt(api_store(), sql);
	va_list ap;

	va_start(ap, n);
	for (int i = 1; i <= n; i++)
		store_bind_text(s, i, va_arg(ap, const char *));
	va_end(ap);
	if (store_step_done(api_store(), s) != STORE_OK)
		UNIT_FAIL("insert failed: %s", store_errmsg(api_store()));
}

static void
add_cluster(const char *region, const char *name, const char *status)
{
	char arn[256];

	snprintf(arn, sizeof arn, "arn:aws:ecs:%s:" ACCT ":cluster/%s", region,
	    name);
	sql_run("INSERT INTO clusters (account, region, name, arn, status, "
	    "created_at, doc) VALUES ('" ACCT "', ?1, ?2, ?3, ?4, 0, '{}')", 4,
	    region, name, arn, status);
}

/* A row in one of the cluster-scoped tables: services, tasks, instances. */
static void
add_service(const char *cluster, const char *name, const char *doc)
{
	char arn[256];

	snprintf(arn, sizeof arn, "arn:aws:ecs:us-east-1:" ACCT ":service/%s/%s",
	    cluster, name);
	sql_run("INSERT INTO services (account, region, cluster, name, arn, "
	    "status, created_at, doc) VALUES ('" ACCT "', 'us-east-1', ?1, ?2, "
	    "?3, 'ACTIVE', 0, ?4)", 4, cluster, name, arn, doc);
}

static void
add_task(const char *cluster, const char *id)
{
	char arn[256];

	snprintf(arn, sizeof arn, "arn:aws:ecs:us-east-1:" ACCT ":task/%s/%s",
	    cluster, id);
	sql_run("INSERT INTO tasks (account, region, cluster, id, arn, family, "
	    "revision, desired_status, last_status, created_at, doc) VALUES "
	    "('" ACCT "', 'us-east-1', ?1, ?2, ?3, 'f', 1, 'RUNNING', "
	    "'PENDING', 0, '{}')", 3, cluster, id, arn);
}

static void
add_instance(const char *cluster, const char *id)
{
	char arn[256];

	snprintf(arn, sizeof arn, "arn:aws:ecs:us-east-1:" ACCT
	    ":container-instance/%s/%s", cluster, id);
	sql_run("INSERT INTO container_instances (account, region, cluster, id, "
	    "arn, status, doc) VALUES ('" ACCT "', 'us-east-1', ?1, ?2, ?3, "
	    "'ACTIVE', '{}')", 3, cluster, id, arn);
}

static void
add_task_definition(const char *family, const char *rev)
{
	char arn[256];

	snprintf(arn, sizeof arn, "arn:aws:ecs:us-east-1:" ACCT
	    ":task-definition/%s:%s", family, rev);
	sql_run("INSERT INTO task_definitions (account, region, family, "
	    "revision, arn, status, registered_at, doc) VALUES ('" ACCT "', "
	    "'us-east-1', ?1, CAST(?2 AS INTEGER), ?3, 'ACTIVE', 0, '{}')", 3,
	    family, rev, arn);
}

static void
add_capacity_provider(const char *name)
{
	char arn[256];

	snprintf(arn, sizeof arn, "arn:aws:ecs:us-east-1:" ACCT
	    ":capacity-provider/%s", name);
	sql_run("INSERT INTO capacity_providers (account, region, name, arn, "
	    "status, doc) VALUES ('" ACCT "', 'us-east-1', ?1, ?2, 'ACTIVE', "
	    "'{}')", 2, name, arn);
}

static int status;           /* HTTP status of the last call */

/* Calls op with body (printf format) in region; returns the response. */
static json_t *
call(const char *op, const char *region, const char *fmt, ...)
{
	char body[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	return unit_call_region(op, region, body, &status);
}

static void
expect_error(json_t *doc, const char *type, const char *msg)
{
	ASSERT_INT_EQ(status, 400);
	ASSERT_STR_EQ(unit_error_type(doc), type);
	if (msg != NULL)
		ASSERT_STR_EQ(json_string_value(json_object_get(doc, "message")),
		    msg);
	json_decref(doc);
}

static void
expect_ok(json_t *doc)
{
	if (status != 200)
		UNIT_FAIL("status %d: %s", status,
		    json_string_value(json_object_get(doc, "message")));
	json_decref(doc);
}

/* The tags of arn, as "k=v,k=v" in list order. */
static char *
tags_of(const char *arn, char *buf, size_t size)
{
	json_t *doc = call("ListTagsForResource", "us-east-1",
	    "{\"resourceArn\":\"%s\"}", arn);
	json_t *t;
	size_t i, off = 0;

	if (status != 200)
		UNIT_FAIL("ListTagsForResource %s: %d %s", arn, status,
		    unit_error_type(doc));
	buf[0] = '\0';
	json_array_foreach(json_object_get(doc, "tags"), i, t)
		off += (size_t)snprintf(buf + off, size - off, "%s%s=%s",
		    i ? "," : "", json_string_value(json_object_get(t, "key")),
		    json_string_value(json_object_get(t, "value")));
	json_decref(doc);
	return buf;
}

TEST(tags_tag_list_untag_cluster)
{
	char buf[512];

	unit_store_setup();
	add_cluster("us-east-1", "c1", "ACTIVE");
	ASSERT_STR_EQ(tags_of(CLUSTER_ARN, buf, sizeof buf), "");
	expect_ok(call("TagResource", "us-east-1", "{\"resourceArn\":\"%s\","
	    "\"tags\":[{\"key\":\"env\",\"value\":\"dev\"},{\"key\":\"team\","
	    "\"value\":\"a b\"}]}", CLUSTER_ARN));
	ASSERT_STR_EQ(tags_of(CLUSTER_ARN, buf, sizeof buf), "env=dev,team=a b");
	/* New values replace old ones in place; new keys come last. */
	expect_ok(call("TagResource", "us-east-1", "{\"resourceArn\":\"%s\","
	    "\"tags\":[{\"key\":\"env\",\"value\":\"prod\"},{\"key\":\"x\","
	    "\"value\":\"\"}]}", CLUSTER_ARN));
	ASSERT_STR_EQ(tags_of(CLUSTER_ARN, buf, sizeof buf),
	    "env=prod,team=a b,x=");
	/* Removing a key the resource lacks is no error. */
	expect_ok(call("UntagResource", "us-east-1", "{\"resourceArn\":"
	    "\"%s\",\"tagKeys\":[\"team\",\"nope\"]}", CLUSTER_ARN));
	ASSERT_STR_EQ(tags_of(CLUSTER_ARN, buf, sizeof buf), "env=prod,x=");
}

TEST(tags_fifty_after_merge)
{
	char body[8192], buf[4096];
	size_t off;

	unit_store_setup();
	add_cluster("us-east-1", "c1", "ACTIVE");
	off = (size_t)snprintf(body, sizeof body, "{\"resourceArn\":\"%s\","
	    "\"tags\":[", CLUSTER_ARN);
	for (int i = 0; i < 49; i++)
		off += (size_t)snprintf(body + off, sizeof body - off,
		    "%s{\"key\":\"k%d\",\"value\":\"v\"}", i ? "," : "", i);
	snprintf(body + off, sizeof body - off, "]}");
	expect_ok(unit_call("TagResource", body, &status));
	/* 49 + 2 new keys = 51: refused, and nothing of it is kept. */
	expect_error(call("TagResource", "us-east-1", "{\"resourceArn\":"
	    "\"%s\",\"tags\":[{\"key\":\"n1\",\"value\":\"v\"},{\"key\":\"n2\","
	    "\"value\":\"v\"}]}", CLUSTER_ARN), "InvalidParameterException",
	    NULL);
	ASSERT(strstr(tags_of(CLUSTER_ARN, buf, sizeof buf), "n1") == NULL);
	/* Overwriting one and adding one makes 50: allowed. */
	expect_ok(call("TagResource", "us-east-1", "{\"resourceArn\":\"%s\","
	    "\"tags\":[{\"key\":\"k0\",\"value\":\"w\"},{\"key\":\"n1\","
	    "\"value\":\"v\"}]}", CLUSTER_ARN));
	expect_error(call("TagResource", "us-east-1", "{\"resourceArn\":"
	    "\"%s\",\"tags\":[{\"key\":\"n2\",\"value\":\"v\"}]}", CLUSTER_ARN), "InvalidParameterException", NULL);
	/* Tags AWS set (aws:...) do not count towards the 50. */
	{
		json_t *t = json_pack("[{s:s, s:s}]", "key", "aws:ecs:clusterName",
		    "value", "c1");

		ASSERT_INT_EQ(store_tags_set(api_store(), CLUSTER_ARN, t), STORE_OK);
		json_decref(t);
	}
	expect_ok(call("TagResource", "us-east-1", "{\"resourceArn\":\"%s\","
	    "\"tags\":[{\"key\":\"k1\",\"value\":\"again\"}]}", CLUSTER_ARN));
}

TEST(tags_rules)
{

	unit_store_setup();
	add_cluster("us-east-1", "c1", "ACTIVE");
	expect_error(call("TagResource", "us-east-1", "{\"resourceArn\":"
	    "\"%s\",\"tags\":[{\"key\":\"aws:x\",\"value\":\"v\"}]}",
	    CLUSTER_ARN), "InvalidParameterException", NULL);
	expect_error(call("TagResource", "us-east-1", "{\"resourceArn\":"
	    "\"%s\",\"tags\":[{\"key\":\"AWS:x\",\"value\":\"v\"}]}",
	    CLUSTER_ARN), "InvalidParameterException", NULL);
	expect_error(call("TagResource", "us-east-1", "{\"resourceArn\":"
	    "\"%s\",\"tags\":[{\"key\":\"a\",\"value\":\"1\"},{\"key\":\"a\","
	    "\"value\":\"2\"}]}", CLUSTER_ARN), "InvalidParameterException",
	    NULL);
	expect_error(call("TagResource", "us-east-1", "{\"resourceArn\":"
	    "\"%s\",\"tags\":[{\"key\":\"a!b\",\"value\":\"1\"}]}", CLUSTER_ARN), "InvalidParameterException", NULL);
	expect_error(call("TagResource", "us-east-1", "{\"resourceArn\":"
	    "\"%s\",\"tags\":[{\"key\":\"a\",\"value\":\"x#y\"}]}", CLUSTER_ARN), "InvalidParameterException", NULL);
	expect_error(call("TagResource", "us-east-1", "{\"resourceArn\":"
	    "\"%s\",\"tags\":[{\"value\":\"x\"}]}", CLUSTER_ARN),
	    "InvalidParameterException", NULL);
	/* A keyless tag after a good one (compared with it: once a crash). */
	expect_error(call("TagResource", "us-east-1", "{\"resourceArn\":"
	    "\"%s\",\"tags\":[{\"key\":\"a\"},{\"value\":\"x\"}]}",
	    CLUSTER_ARN), "InvalidParameterException", NULL);
	/* The characters ECS allows, and letters of other scripts. */
	expect_ok(call("TagResource", "us-east-1", "{\"resourceArn\":\"%s\","
	    "\"tags\":[{\"key\":\"a_b.c:d/e=f+g-h@i j\",\"value\":"
	    "\"\\u00e9t\\u00e9 1\"}]}", CLUSTER_ARN));
	expect_error(call("UntagResource", "us-east-1", "{\"resourceArn\":"
	    "\"%s\",\"tagKeys\":[\"aws:ecs:clusterName\"]}", CLUSTER_ARN),
	    "InvalidParameterException", NULL);
	/* The model's own limits: key length and list size. */
	expect_error(call("TagResource", "us-east-1", "{\"resourceArn\":"
	    "\"%s\",\"tags\":[{\"key\":\"\",\"value\":\"1\"}]}", CLUSTER_ARN),
	    "InvalidParameterException", NULL);
	expect_error(unit_call("TagResource", "{\"resourceArn\":\"x\"}", &status),
	    "InvalidParameterException", NULL);
}

TEST(tags_malformed_arns)
{
	static const char *const bad[] = {
		"bogus",
		"arn:aws:ecr:us-east-1:" ACCT ":repository/x",
		"arn:aws:ecs:us-east-1:" ACCT ":container/c1/t/x",
		"arn:aws:ecs:us-east-1:" ACCT ":cluster",
		"arn:aws:ecs:us-east-1:" ACCT ":cluster/a/b",
		"arn:aws:ecs:us-east-1:" ACCT ":task-definition/web",
		"arn:aws:ecs:us-east-1:" ACCT ":task-definition/web:0",
		"arn:aws:ecs:us-east-1:" ACCT ":task-definition/web:x",
		"arn:aws:ecs:us-east-1:" ACCT ":task-set/c1/svc",
		"arn:aws:ecs:us-east-1:" ACCT ":task-set/c1/svc/",
		"arn:aws:ecs:us-east-1:" ACCT ":service/c1/s/x",
	};

	unit_store_setup();
	add_cluster("us-east-1", "c1", "ACTIVE");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		expect_error(call("ListTagsForResource", "us-east-1",
		    "{\"resourceArn\":\"%s\"}", bad[i]),
		    "InvalidParameterException", "The ARN provided is invalid.");
		expect_error(call("TagResource", "us-east-1",
		    "{\"resourceArn\":\"%s\",\"tags\":[]}", bad[i]),
		    "InvalidParameterException", "The ARN provided is invalid.");
	}
	/* Old short ARNs of cluster-scoped resources cannot be tagged. */
	expect_error(call("TagResource", "us-east-1", "{\"resourceArn\":"
	    "\"arn:aws:ecs:us-east-1:" ACCT ":service/web\",\"tags\":[]}"),
	    "InvalidParameterException",
	    "Long arn format must be used for tagging operations");
	expect_error(call("ListTagsForResource", "us-east-1",
	    "{\"resourceArn\":\"arn:aws:ecs:us-east-1:" ACCT ":task/0123\"}"), "InvalidParameterException",
	    "Long arn format must be used for tagging operations");
}

TEST(tags_missing_resources)
{

	unit_store_setup();
	add_cluster("us-east-1", "c1", "ACTIVE");
	add_cluster("us-east-1", "gone", "INACTIVE");
	expect_error(call("ListTagsForResource", "us-east-1",
	    "{\"resourceArn\":\"arn:aws:ecs:us-east-1:" ACCT ":cluster/nope\"}"), "ClusterNotFoundException", "Cluster not found.");
	expect_error(call("TagResource", "us-east-1", "{\"resourceArn\":"
	    "\"arn:aws:ecs:us-east-1:" ACCT ":service/nope/s\",\"tags\":[]}"),
	    "ClusterNotFoundException", "Cluster not found.");
	expect_error(call("ListTagsForResource", "us-east-1",
	    "{\"resourceArn\":\"arn:aws:ecs:us-east-1:" ACCT ":cluster/gone\"}"), "InvalidParameterException", "The specified cluster is inactive. "
	    "Specify an active cluster and try again.");
	expect_error(call("UntagResource", "us-east-1", "{\"resourceArn\":"
	    "\"arn:aws:ecs:us-east-1:" ACCT ":task/gone/0123\",\"tagKeys\":[]}"), "InvalidParameterException", "The specified cluster is inactive. "
	    "Specify an active cluster and try again.");
	expect_error(call("TagResource", "us-east-1", "{\"resourceArn\":"
	    "\"arn:aws:ecs:us-east-1:" ACCT ":service/c1/nope\",\"tags\":[]}"),
	    "ResourceNotFoundException", "The specified service wasn't found.");
	expect_error(call("ListTagsForResource", "us-east-1",
	    "{\"resourceArn\":\"arn:aws:ecs:us-east-1:" ACCT
	    ":task-definition/web:3\"}"), "ResourceNotFoundException",
	    "The specified task definition wasn't found.");
	expect_error(call("ListTagsForResource", "us-east-1",
	    "{\"resourceArn\":\"arn:aws:ecs:us-east-1:" ACCT
	    ":capacity-provider/cp\"}"), "ResourceNotFoundException", NULL);
	expect_error(call("ListTagsForResource", "us-east-1",
	    "{\"resourceArn\":\"arn:aws:ecs:us-east-1:" ACCT
	    ":container-instance/c1/abc\"}"), "ResourceNotFoundException",
	    NULL);
	expect_error(call("ListTagsForResource", "us-east-1",
	    "{\"resourceArn\":\"arn:aws:ecs:us-east-1:" ACCT
	    ":task-set/c1/s/ecs-svc/1\"}"), "ResourceNotFoundException",
	    "The specified task set wasn't found.");
}

TEST(tags_every_resource_type)
{
	static const char *const arns[] = {
		CLUSTER_ARN,
		"arn:aws:ecs:us-east-1:" ACCT ":service/c1/web",
		"arn:aws:ecs:us-east-1:" ACCT ":task/c1/0123456789abcdef0123456789abcdef",
		"arn:aws:ecs:us-east-1:" ACCT ":container-instance/c1/feedface",
		"arn:aws:ecs:us-east-1:" ACCT ":task-definition/web:2",
		"arn:aws:ecs:us-east-1:" ACCT ":capacity-provider/mine",
		"arn:aws:ecs:us-east-1:" ACCT ":task-set/c1/web/ecs-svc/123",
	};
	char want[32], got[256];

	unit_store_setup();
	add_cluster("us-east-1", "c1", "ACTIVE");
	add_service("c1", "web", "{\"taskSets\":[{\"taskSetArn\":"
	    "\"arn:aws:ecs:us-east-1:" ACCT ":task-set/c1/web/ecs-svc/123\"}]}");
	add_task("c1", "0123456789abcdef0123456789abcdef");
	add_instance("c1", "feedface");
	add_task_definition("web", "2");
	add_capacity_provider("mine");
	for (size_t i = 0; i < sizeof arns / sizeof arns[0]; i++) {
		expect_ok(call("TagResource", "us-east-1", "{\"resourceArn\":"
		    "\"%s\",\"tags\":[{\"key\":\"n\",\"value\":\"%zu\"}]}", arns[i],
		    i));
		snprintf(want, sizeof want, "n=%zu", i);
		ASSERT_STR_EQ(tags_of(arns[i], got, sizeof got), want);
	}
	/* Another task set of the same service is not there. */
	expect_error(call("ListTagsForResource", "us-east-1",
	    "{\"resourceArn\":\"arn:aws:ecs:us-east-1:" ACCT
	    ":task-set/c1/web/ecs-svc/9\"}"), "ResourceNotFoundException",
	    "The specified task set wasn't found.");
	/* Nor a revision that was never registered. */
	expect_error(call("ListTagsForResource", "us-east-1",
	    "{\"resourceArn\":\"arn:aws:ecs:us-east-1:" ACCT
	    ":task-definition/web:1\"}"), "ResourceNotFoundException", NULL);
}

TEST(tags_builtin_capacity_providers)
{
	json_t *doc;

	unit_store_setup();
	doc = call("ListTagsForResource", "us-east-1", "{\"resourceArn\":"
	    "\"arn:aws:ecs:us-east-1:" ACCT ":capacity-provider/FARGATE_SPOT\"}");
	ASSERT_INT_EQ(status, 200);
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "tags")), 0);
	json_decref(doc);
	expect_error(call("TagResource", "us-east-1", "{\"resourceArn\":"
	    "\"arn:aws:ecs:us-east-1:" ACCT ":capacity-provider/FARGATE\","
	    "\"tags\":[{\"key\":\"a\",\"value\":\"b\"}]}"), "ClientException",
	    "The FARGATE capacity provider is reserved and can't be tagged.");
	expect_error(call("UntagResource", "us-east-1", "{\"resourceArn\":"
	    "\"arn:aws:ecs:us-east-1:" ACCT ":capacity-provider/FARGATE\","
	    "\"tagKeys\":[\"a\"]}"), "ClientException", NULL);
}

TEST(tags_regions_apart)
{
	char buf[256];

	unit_store_setup();
	add_cluster("us-east-1", "c1", "ACTIVE");
	add_cluster("eu-west-1", "c1", "ACTIVE");
	expect_ok(call("TagResource", "us-east-1", "{\"resourceArn\":\"%s\","
	    "\"tags\":[{\"key\":\"r\",\"value\":\"use1\"}]}", CLUSTER_ARN));
	/* The us-east-1 ARN is not a resource of eu-west-1 callers. */
	expect_error(call("ListTagsForResource", "eu-west-1",
	    "{\"resourceArn\":\"%s\"}", CLUSTER_ARN),
	    "ClusterNotFoundException", NULL);
	expect_error(call("TagResource", "eu-west-1", "{\"resourceArn\":"
	    "\"%s\",\"tags\":[]}", CLUSTER_ARN), "ClusterNotFoundException",
	    NULL);
	expect_error(call("ListTagsForResource", "us-east-1",
	    "{\"resourceArn\":\"arn:aws:ecs:us-east-1:999999999999:cluster/c1\"}"), "ClusterNotFoundException", NULL);
	expect_error(call("ListTagsForResource", "eu-west-1",
	    "{\"resourceArn\":\"arn:aws:ecs:us-east-1:" ACCT
	    ":task-definition/web:1\"}"), "ResourceNotFoundException", NULL);
	expect_ok(call("TagResource", "eu-west-1", "{\"resourceArn\":"
	    "\"arn:aws:ecs:eu-west-1:" ACCT ":cluster/c1\",\"tags\":[{\"key\":"
	    "\"r\",\"value\":\"euw1\"}]}"));
	ASSERT_STR_EQ(tags_of(CLUSTER_ARN, buf, sizeof buf), "r=use1");
}
