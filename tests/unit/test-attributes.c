/*
 * test-attributes.c - PutAttributes, DeleteAttributes and ListAttributes
 * through the real dispatch, on clusters and container instances inserted
 * straight into the store: name and value rules, targets by id and ARN,
 * the per-call and per-instance limits, filters, paging and regions.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../../api/api.h"
#include "../../store/store.h"
#include "unit.h"

#define ACCT "123456789012"
#define CI_ARN(c, id) "arn:aws:ecs:us-east-1:" ACCT ":container-instance/" c "/" id

static int status;            /* HTTP status of the last call */

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
add_cluster(const char *region, const char *name, const char *status_)
{
	char arn[256];

	snprintf(arn, sizeof arn, "arn:aws:ecs:%s:" ACCT ":cluster/%s", region,
	    name);
	sql_run("INSERT INTO clusters (account, region, name, arn, status, "
	    "created_at, doc) VALUES ('" ACCT "', ?1, ?2, ?3, ?4, 0, '{}')", 4,
	    region, name, arn, status_);
}

static void
add_instance(const char *region, const char *cluster, const char *id,
    const char *status_)
{
	char arn[256];

	snprintf(arn, sizeof arn, "arn:aws:ecs:%s:" ACCT
	    ":container-instance/%s/%s", region, cluster, id);
	sql_run("INSERT INTO container_instances (account, region, cluster, id, "
	    "arn, status, doc) VALUES ('" ACCT "', ?1, ?2, ?3, ?4, ?5, '{}')", 5,
	    region, cluster, id, arn, status_);
}

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

static json_t *
ok(json_t *doc)
{
	if (status != 200)
		UNIT_FAIL("status %d: %s: %s", status, unit_error_type(doc),
		    json_string_value(json_object_get(doc, "message")));
	return doc;
}

static void
expect_error(json_t *doc, const char *type)
{
	if (status != 400 || unit_error_type(doc) == NULL ||
	    strcmp(unit_error_type(doc), type) != 0)
		UNIT_FAIL("wanted %s, got %d %s: %s", type, status,
		    unit_error_type(doc),
		    json_string_value(json_object_get(doc, "message")));
	json_decref(doc);
}

/* The attributes a ListAttributes answer holds, as "target:name=value,...". */
static char *
flat(json_t *doc, char *buf, size_t size)
{
	json_t *a;
	size_t i, off = 0;

	buf[0] = '\0';
	json_array_foreach(json_object_get(doc, "attributes"), i, a) {
		const char *id = json_string_value(json_object_get(a, "targetId"));
		const char *v = json_string_value(json_object_get(a, "value"));

		off += (size_t)snprintf(buf + off, size - off, "%s%s:%s%s%s",
		    i ? "," : "", strrchr(id, '/') + 1,
		    json_string_value(json_object_get(a, "name")), v ? "=" : "",
		    v ? v : "");
	}
	return buf;
}

static char *
list(const char *region, const char *extra, char *buf, size_t size)
{
	json_t *doc = ok(call("ListAttributes", region, "{\"cluster\":\"c1\","
	    "\"targetType\":\"container-instance\"%s}", extra));

	flat(doc, buf, size);
	json_decref(doc);
	return buf;
}

static void
setup(void)
{
	unit_store_setup();
	add_cluster("us-east-1", "c1", "ACTIVE");
	add_cluster("us-east-1", "c2", "ACTIVE");
	add_cluster("us-east-1", "old", "INACTIVE");
	add_instance("us-east-1", "c1", "aaa", "ACTIVE");
	add_instance("us-east-1", "c1", "bbb", "DRAINING");
	add_instance("us-east-1", "c1", "gone", "INACTIVE");
	add_instance("us-east-1", "c2", "ccc", "ACTIVE");
}

TEST(attributes_put_list_delete)
{
	char buf[1024];
	json_t *doc, *a;

	setup();
	doc = ok(call("PutAttributes", "us-east-1", "{\"cluster\":\"c1\","
	    "\"attributes\":[{\"name\":\"stack\",\"value\":\"prod\","
	    "\"targetType\":\"container-instance\",\"targetId\":\"aaa\"},"
	    "{\"name\":\"gpu\",\"targetId\":\"aaa\",\"targetType\":"
	    "\"container-instance\"},{\"name\":\"stack\",\"value\":\"dev\","
	    "\"targetId\":\"bbb\",\"targetType\":\"container-instance\"}]}"));
	/* The answer echoes the attributes as given. */
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "attributes")), 3);
	a = json_array_get(json_object_get(doc, "attributes"), 1);
	ASSERT_STR_EQ(json_string_value(json_object_get(a, "targetId")), "aaa");
	ASSERT_NULL(json_object_get(a, "value"));
	json_decref(doc);
	ASSERT_STR_EQ(list("us-east-1", "", buf, sizeof buf),
	    "aaa:gpu,aaa:stack=prod,bbb:stack=dev");
	/* ListAttributes shows the target's ARN. */
	doc = ok(call("ListAttributes", "us-east-1", "{\"cluster\":\"c1\","
	    "\"targetType\":\"container-instance\",\"attributeName\":\"gpu\"}"));
	a = json_array_get(json_object_get(doc, "attributes"), 0);
	ASSERT_STR_EQ(json_string_value(json_object_get(a, "targetId")),
	    CI_ARN("c1", "aaa"));
	json_decref(doc);
	ASSERT_STR_EQ(list("us-east-1", ",\"attributeName\":\"stack\","
	    "\"attributeValue\":\"dev\"", buf, sizeof buf), "bbb:stack=dev");
	/* Replacing a value. */
	json_decref(ok(call("PutAttributes", "us-east-1", "{\"cluster\":\"c1\","
	    "\"attributes\":[{\"name\":\"stack\",\"value\":\"qa\",\"targetType\":"
	    "\"container-instance\",\"targetId\":\"bbb\"}]}")));
	ASSERT_STR_EQ(list("us-east-1", ",\"attributeName\":\"stack\"", buf,
	    sizeof buf), "aaa:stack=prod,bbb:stack=qa");
	/* Delete answers with what was deleted, values included. */
	doc = ok(call("DeleteAttributes", "us-east-1", "{\"cluster\":\"c1\","
	    "\"attributes\":[{\"name\":\"stack\",\"targetType\":"
	    "\"container-instance\",\"targetId\":\"aaa\"},{\"name\":\"nope\","
	    "\"targetType\":\"container-instance\",\"targetId\":\"aaa\"}]}"));
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "attributes")), 1);
	a = json_array_get(json_object_get(doc, "attributes"), 0);
	ASSERT_STR_EQ(json_string_value(json_object_get(a, "value")), "prod");
	json_decref(doc);
	ASSERT_STR_EQ(list("us-east-1", "", buf, sizeof buf),
	    "aaa:gpu,bbb:stack=qa");
	/* Other clusters are apart. */
	doc = ok(call("ListAttributes", "us-east-1", "{\"cluster\":\"c2\","
	    "\"targetType\":\"container-instance\"}"));
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "attributes")), 0);
	json_decref(doc);
}

TEST(attributes_target_by_arn)
{
	char buf[1024];

	setup();
	json_decref(ok(call("PutAttributes", "us-east-1", "{\"cluster\":\"c1\","
	    "\"attributes\":[{\"name\":\"a\",\"value\":\"1\",\"targetId\":"
	    "\"" CI_ARN("c1", "aaa") "\"}]}")));
	/* The short (old) ARN format names the instance by id alone. */
	json_decref(ok(call("PutAttributes", "us-east-1", "{\"cluster\":\"c1\","
	    "\"attributes\":[{\"name\":\"b\",\"targetId\":\"arn:aws:ecs:"
	    "us-east-1:" ACCT ":container-instance/bbb\"}]}")));
	ASSERT_STR_EQ(list("us-east-1", "", buf, sizeof buf), "aaa:a=1,bbb:b");
	/* An instance of another cluster, region or account is not a target. */
	expect_error(call("PutAttributes", "us-east-1", "{\"cluster\":\"c1\","
	    "\"attributes\":[{\"name\":\"a\",\"targetId\":"
	    "\"" CI_ARN("c2", "ccc") "\"}]}"), "TargetNotFoundException");
	expect_error(call("PutAttributes", "us-east-1", "{\"cluster\":\"c1\","
	    "\"attributes\":[{\"name\":\"a\",\"targetId\":\"ccc\",\"targetType\":"
	    "\"container-instance\"}]}"), "TargetNotFoundException");
	expect_error(call("PutAttributes", "us-east-1", "{\"cluster\":\"c1\","
	    "\"attributes\":[{\"name\":\"a\",\"targetId\":\"arn:aws:ecs:"
	    "eu-west-1:" ACCT ":container-instance/c1/aaa\"}]}"),
	    "TargetNotFoundException");
	expect_error(call("PutAttributes", "us-east-1", "{\"cluster\":\"c1\","
	    "\"attributes\":[{\"name\":\"a\",\"targetId\":\"arn:aws:ecs:"
	    "us-east-1:" ACCT ":task/c1/aaa\"}]}"), "TargetNotFoundException");
	expect_error(call("DeleteAttributes", "us-east-1", "{\"cluster\":\"c1\","
	    "\"attributes\":[{\"name\":\"a\",\"targetId\":\"zzz\",\"targetType\":"
	    "\"container-instance\"}]}"), "TargetNotFoundException");
	/* Deregistered instances are no target. */
	expect_error(call("PutAttributes", "us-east-1", "{\"cluster\":\"c1\","
	    "\"attributes\":[{\"name\":\"a\",\"targetId\":\"gone\",\"targetType\":"
	    "\"container-instance\"}]}"), "TargetNotFoundException");
	/* A bare id needs targetType; every attribute needs a target. */
	expect_error(call("PutAttributes", "us-east-1", "{\"cluster\":\"c1\","
	    "\"attributes\":[{\"name\":\"a\",\"targetId\":\"aaa\"}]}"),
	    "InvalidParameterException");
	expect_error(call("PutAttributes", "us-east-1", "{\"cluster\":\"c1\","
	    "\"attributes\":[{\"name\":\"a\",\"targetType\":"
	    "\"container-instance\"}]}"), "InvalidParameterException");
	/* A failed call leaves nothing behind. */
	expect_error(call("PutAttributes", "us-east-1", "{\"cluster\":\"c1\","
	    "\"attributes\":[{\"name\":\"new\",\"targetId\":\"aaa\",\"targetType\":"
	    "\"container-instance\"},{\"name\":\"a\",\"targetId\":\"zzz\","
	    "\"targetType\":\"container-instance\"}]}"), "TargetNotFoundException");
	ASSERT_STR_EQ(list("us-east-1", "", buf, sizeof buf), "aaa:a=1,bbb:b");
}

TEST(attributes_clusters)
{
	setup();
	expect_error(call("PutAttributes", "us-east-1", "{\"cluster\":\"nope\","
	    "\"attributes\":[{\"name\":\"a\",\"targetId\":\"aaa\",\"targetType\":"
	    "\"container-instance\"}]}"), "ClusterNotFoundException");
	expect_error(call("ListAttributes", "us-east-1", "{\"cluster\":\"old\","
	    "\"targetType\":\"container-instance\"}"), "ClusterNotFoundException");
	/* No cluster means "default", which does not exist here. */
	expect_error(call("ListAttributes", "us-east-1",
	    "{\"targetType\":\"container-instance\"}"), "ClusterNotFoundException");
	expect_error(call("DeleteAttributes", "us-east-1", "{\"cluster\":"
	    "\"arn:aws:ecs:us-east-1:" ACCT ":cluster/nope\",\"attributes\":"
	    "[{\"name\":\"a\",\"targetId\":\"aaa\",\"targetType\":"
	    "\"container-instance\"}]}"), "ClusterNotFoundException");
	/* The cluster by ARN. */
	json_decref(ok(call("ListAttributes", "us-east-1", "{\"cluster\":"
	    "\"arn:aws:ecs:us-east-1:" ACCT ":cluster/c1\",\"targetType\":"
	    "\"container-instance\"}")));
	/* targetType is required and must be container-instance. */
	expect_error(call("ListAttributes", "us-east-1", "{\"cluster\":\"c1\"}"),
	    "InvalidParameterException");
	expect_error(call("ListAttributes", "us-east-1", "{\"cluster\":\"c1\","
	    "\"targetType\":\"task\"}"), "InvalidParameterException");
	expect_error(call("ListAttributes", "us-east-1", "{\"cluster\":\"c1\","
	    "\"targetType\":\"container-instance\",\"attributeValue\":\"x\"}"),
	    "InvalidParameterException");
}

TEST(attributes_names_and_values)
{
	static const char *const bad_names[] = {
		"", "a b", "a:b", "a@b", "a!",
		("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
	};
	static const char *const bad_values[] = {
		"", " a", "a ", "a!b", "a,b", "a=b",
	};
	char buf[1024];

	setup();
	for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++)
		expect_error(call("PutAttributes", "us-east-1", "{\"cluster\":"
		    "\"c1\",\"attributes\":[{\"name\":\"%s\",\"targetId\":\"aaa\","
		    "\"targetType\":\"container-instance\"}]}", bad_names[i]),
		    "InvalidParameterException");
	for (size_t i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++)
		expect_error(call("PutAttributes", "us-east-1", "{\"cluster\":"
		    "\"c1\",\"attributes\":[{\"name\":\"n\",\"value\":\"%s\","
		    "\"targetId\":\"aaa\",\"targetType\":\"container-instance\"}]}",
		    bad_values[i]), "InvalidParameterException");
	json_decref(ok(call("PutAttributes", "us-east-1", "{\"cluster\":\"c1\","
	    "\"attributes\":[{\"name\":\"A-z_0/9\\\\x.y\",\"value\":"
	    "\"v-1_2.3@h/p\\\\q:r s\",\"targetId\":\"aaa\",\"targetType\":"
	    "\"container-instance\"}]}")));
	ASSERT_STR_EQ(list("us-east-1", "", buf, sizeof buf),
	    "aaa:A-z_0/9\\x.y=v-1_2.3@h/p\\q:r s");
}

TEST(attributes_limits)
{
	char body[4096], buf[2048];
	size_t off;
	json_t *doc;

	setup();
	/* More than 10 a call: refused, for Put and Delete; none at all too. */
	off = (size_t)snprintf(body, sizeof body, "{\"cluster\":\"c1\","
	    "\"attributes\":[");
	for (int i = 0; i < 11; i++)
		off += (size_t)snprintf(body + off, sizeof body - off,
		    "%s{\"name\":\"n%d\",\"targetId\":\"aaa\",\"targetType\":"
		    "\"container-instance\"}", i ? "," : "", i);
	snprintf(body + off, sizeof body - off, "]}");
	expect_error(unit_call("PutAttributes", body, &status),
	    "InvalidParameterException");
	expect_error(unit_call("DeleteAttributes", body, &status),
	    "InvalidParameterException");
	expect_error(call("PutAttributes", "us-east-1", "{\"cluster\":\"c1\","
	    "\"attributes\":[]}"), "InvalidParameterException");
	/* 10 custom attributes on one instance is the most. */
	body[0] = '\0';
	off = (size_t)snprintf(body, sizeof body, "{\"cluster\":\"c1\","
	    "\"attributes\":[");
	for (int i = 0; i < 10; i++)
		off += (size_t)snprintf(body + off, sizeof body - off,
		    "%s{\"name\":\"n%d\",\"targetId\":\"aaa\",\"targetType\":"
		    "\"container-instance\"}", i ? "," : "", i);
	snprintf(body + off, sizeof body - off, "]}");
	json_decref(ok(unit_call("PutAttributes", body, &status)));
	expect_error(call("PutAttributes", "us-east-1", "{\"cluster\":\"c1\","
	    "\"attributes\":[{\"name\":\"one-more\",\"targetId\":\"aaa\","
	    "\"targetType\":\"container-instance\"}]}"),
	    "AttributeLimitExceededException");
	/* Replacing one of them is fine, another instance is fine, and the
	 * attributes ECS sets itself (ecs.*) do not count. */
	json_decref(ok(call("PutAttributes", "us-east-1", "{\"cluster\":\"c1\","
	    "\"attributes\":[{\"name\":\"n3\",\"value\":\"x\",\"targetId\":"
	    "\"aaa\",\"targetType\":\"container-instance\"},{\"name\":"
	    "\"one-more\",\"targetId\":\"bbb\",\"targetType\":"
	    "\"container-instance\"}]}")));
	ASSERT_INT_EQ(store_attribute_put(api_store(), &(struct part){ ACCT,
	    "us-east-1" }, "c1", "container-instance", CI_ARN("c1", "aaa"),
	    "ecs.os-type", "linux"), STORE_OK);
	ASSERT_INT_EQ(store_attributes_custom_count(api_store(),
	    &(struct part){ ACCT, "us-east-1" }, "c1", CI_ARN("c1", "aaa")), 10);
	doc = ok(call("ListAttributes", "us-east-1", "{\"cluster\":\"c1\","
	    "\"targetType\":\"container-instance\",\"attributeName\":"
	    "\"ecs.os-type\",\"attributeValue\":\"linux\"}"));
	ASSERT_STR_EQ(flat(doc, buf, sizeof buf), "aaa:ecs.os-type=linux");
	json_decref(doc);
}

TEST(attributes_pages)
{
	char body[4096], token[1024];
	size_t off;
	json_t *doc, *seen = json_array();
	int pages = 0;

	setup();
	for (int t = 0; t < 2; t++) {
		off = (size_t)snprintf(body, sizeof body, "{\"cluster\":\"c1\","
		    "\"attributes\":[");
		for (int i = 0; i < 7; i++)
			off += (size_t)snprintf(body + off, sizeof body - off,
			    "%s{\"name\":\"n%d\",\"targetId\":\"%s\",\"targetType\":"
			    "\"container-instance\"}", i ? "," : "", i,
			    t ? "bbb" : "aaa");
		snprintf(body + off, sizeof body - off, "]}");
		json_decref(ok(unit_call("PutAttributes", body, &status)));
	}
	token[0] = '\0';
	do {
		char extra[1100];

		snprintf(extra, sizeof extra, ",\"maxResults\":5%s%s%s",
		    token[0] ? ",\"nextToken\":\"" : "", token, token[0] ? "\"" : "");
		doc = ok(call("ListAttributes", "us-east-1", "{\"cluster\":\"c1\","
		    "\"targetType\":\"container-instance\"%s}", extra));
		json_array_extend(seen, json_object_get(doc, "attributes"));
		snprintf(token, sizeof token, "%s", json_string_value(
		    json_object_get(doc, "nextToken")) ?: "");
		/* Rows added behind the page do not shift what follows. */
		if (pages == 0)
			json_decref(ok(call("PutAttributes", "us-east-1",
			    "{\"cluster\":\"c1\",\"attributes\":[{\"name\":\"a0\","
			    "\"targetId\":\"aaa\",\"targetType\":"
			    "\"container-instance\"}]}")));
		json_decref(doc);
		pages++;
	} while (token[0] != '\0' && pages < 10);
	ASSERT_INT_EQ(pages, 3);
	ASSERT_INT_EQ(json_array_size(seen), 14);
	json_decref(seen);
	expect_error(call("ListAttributes", "us-east-1", "{\"cluster\":\"c1\","
	    "\"targetType\":\"container-instance\",\"maxResults\":101}"),
	    "InvalidParameterException");
	expect_error(call("ListAttributes", "us-east-1", "{\"cluster\":\"c1\","
	    "\"targetType\":\"container-instance\",\"nextToken\":\"AAAA\"}"),
	    "InvalidParameterException");
}

TEST(attributes_regions_apart)
{
	char buf[256];

	setup();
	add_cluster("eu-west-1", "c1", "ACTIVE");
	add_instance("eu-west-1", "c1", "aaa", "ACTIVE");
	json_decref(ok(call("PutAttributes", "eu-west-1", "{\"cluster\":\"c1\","
	    "\"attributes\":[{\"name\":\"r\",\"value\":\"euw1\",\"targetId\":"
	    "\"aaa\",\"targetType\":\"container-instance\"}]}")));
	ASSERT_STR_EQ(list("us-east-1", "", buf, sizeof buf), "");
	ASSERT_STR_EQ(list("eu-west-1", "", buf, sizeof buf), "aaa:r=euw1");
	/* Helpers for other operations: an instance's attributes, and forgetting
	 * them when it goes. */
	{
		struct part p = { ACCT, "eu-west-1" };
		json_t *of = store_attributes_of(api_store(), &p, "c1",
		    "arn:aws:ecs:eu-west-1:" ACCT ":container-instance/c1/aaa");

		ASSERT_INT_EQ(json_array_size(of), 1);
		ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(of, 0),
		    "targetType")), "container-instance");
		json_decref(of);
		ASSERT_INT_EQ(store_attributes_clear(api_store(), &p, "c1",
		    "arn:aws:ecs:eu-west-1:" ACCT ":container-instance/c1/aaa"),
		    STORE_OK);
	}
	ASSERT_STR_EQ(list("eu-west-1", "", buf, sizeof buf), "");
}
