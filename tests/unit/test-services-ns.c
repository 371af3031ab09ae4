/*
 * test-services-ns.c - ListServicesByNamespace through the real dispatch on
 * an in-memory store: services of every cluster whose Service Connect
 * configuration names the namespace (written with store_service_put, as
 * the services part writes them), by name or ARN, only while ACTIVE or
 * DRAINING, apart per region, in pages; bad namespaces and page sizes.
 */
#include <jansson.h>
#include <string.h>

#include "../../api/api.h"
#include "../../store/store.h"
#include "unit.h"

#define ACCOUNT "123456789012"
#define PREFIX "arn:aws:ecs:us-east-1:" ACCOUNT ":"
#define NS_ARN "arn:aws:servicediscovery:us-east-1:" ACCOUNT \
	":namespace/ns-abcdef"

static const struct part us = { ACCOUNT, "us-east-1" };
static const struct part eu = { ACCOUNT, "eu-west-1" };

static json_t *
call(const char *body, int want)
{
	int st = 0;
	json_t *doc = unit_call("ListServicesByNamespace", body, &st);

	if (st != want)
		UNIT_FAIL("%s: %d %s", body, st, json_dumps(doc, 0));
	return doc;
}

static void
service(const struct part *p, const char *cluster, const char *name,
    const char *status, const char *ns, int enabled)
{
	char arn[256];
	json_t *doc;

	snprintf(arn, sizeof arn, "arn:aws:ecs:%s:%s:service/%s/%s", p->region,
	    p->account, cluster, name);
	doc = json_pack("{s:s, s:s, s:s, s:i, s:f, s:s}", "serviceArn", arn,
	    "serviceName", name, "status", status, "desiredCount", 0,
	    "createdAt", 1.0, "schedulingStrategy", "REPLICA");
	if (ns != NULL)
		json_object_set_new(doc, "serviceConnectConfiguration", json_pack(
		    "{s:b, s:s}", "enabled", enabled, "namespace", ns));
	ASSERT_INT_EQ(store_service_put(api_store(), p, cluster, name, doc, NULL),
	    STORE_OK);
	json_decref(doc);
}

static size_t
count(json_t *doc)
{
	return json_array_size(json_object_get(doc, "serviceArns"));
}

static const char *
arn_at(json_t *doc, size_t i)
{
	return json_string_value(json_array_get(json_object_get(doc,
	    "serviceArns"), i));
}

TEST(services_by_namespace_across_clusters)
{
	json_t *doc;

	unit_store_setup();
	service(&us, "c1", "api", "ACTIVE", "shop", 1);
	service(&us, "c2", "web", "DRAINING", "shop", 1);
	service(&us, "c2", "old", "INACTIVE", "shop", 1);
	service(&us, "c1", "off", "ACTIVE", "shop", 0);
	service(&us, "c1", "other", "ACTIVE", "blog", 1);
	service(&us, "c1", "plain", "ACTIVE", NULL, 0);
	service(&us, "c3", "byarn", "ACTIVE", NS_ARN, 1);
	service(&eu, "c1", "far", "ACTIVE", "shop", 1);

	doc = call("{\"namespace\":\"shop\"}", 200);
	ASSERT_INT_EQ(count(doc), 2);
	ASSERT_STR_EQ(arn_at(doc, 0), PREFIX "service/c1/api");
	ASSERT_STR_EQ(arn_at(doc, 1), PREFIX "service/c2/web");
	ASSERT_NULL(json_object_get(doc, "nextToken"));
	json_decref(doc);

	doc = call("{\"namespace\":\"" NS_ARN "\"}", 200);
	ASSERT_INT_EQ(count(doc), 1);
	ASSERT_STR_EQ(arn_at(doc, 0), PREFIX "service/c3/byarn");
	json_decref(doc);

	doc = call("{\"namespace\":\"nobody\"}", 200);
	ASSERT_INT_EQ(count(doc), 0);
	json_decref(doc);

	doc = unit_call_region("ListServicesByNamespace", "eu-west-1",
	    "{\"namespace\":\"shop\"}", NULL);
	ASSERT_INT_EQ(count(doc), 1);
	json_decref(doc);
}

TEST(services_by_namespace_pages)
{
	char body[512], name[16];
	json_t *doc, *seen = json_array();
	const char *token = NULL;
	char *tok = NULL;
	int pages = 0;

	unit_store_setup();
	for (int i = 0; i < 25; i++) {
		snprintf(name, sizeof name, "s%02d", i);
		service(&us, "c1", name, "ACTIVE", "shop", 1);
	}
	doc = call("{\"namespace\":\"shop\"}", 200);
	ASSERT_INT_EQ(count(doc), 10);          /* 10 when maxResults is absent */
	ASSERT_NOT_NULL(json_object_get(doc, "nextToken"));
	json_decref(doc);
	do {
		if (token == NULL)
			snprintf(body, sizeof body, "{\"namespace\":\"shop\","
			    "\"maxResults\":7}");
		else
			snprintf(body, sizeof body, "{\"namespace\":\"shop\","
			    "\"maxResults\":7,\"nextToken\":\"%s\"}", token);
		doc = call(body, 200);
		json_array_extend(seen, json_object_get(doc, "serviceArns"));
		free(tok);
		tok = NULL;
		if (json_object_get(doc, "nextToken") != NULL)
			tok = strdup(json_string_value(json_object_get(doc,
			    "nextToken")));
		token = tok;
		json_decref(doc);
		pages++;
	} while (token != NULL && pages < 10);
	ASSERT_INT_EQ(pages, 4);
	ASSERT_INT_EQ(json_array_size(seen), 25);
	ASSERT_STR_EQ(json_string_value(json_array_get(seen, 24)),
	    PREFIX "service/c1/s24");
	json_decref(seen);
}

TEST(services_by_namespace_errors)
{
	json_t *doc;

	unit_store_setup();
	doc = call("{\"namespace\":\"arn:aws:ecs:us-east-1:" ACCOUNT
	    ":cluster/c1\"}", 400);
	ASSERT_STR_EQ(unit_error_type(doc), "InvalidParameterException");
	json_decref(doc);
	doc = call("{\"namespace\":\"arn:aws:servicediscovery:eu-west-1:"
	    ACCOUNT ":namespace/ns-1\"}", 400);
	ASSERT_STR_EQ(unit_error_type(doc), "NamespaceNotFoundException");
	json_decref(doc);
	doc = call("{\"namespace\":\"arn:aws:servicediscovery:us-east-1:"
	    "999999999999:namespace/ns-1\"}", 400);
	ASSERT_STR_EQ(unit_error_type(doc), "NamespaceNotFoundException");
	json_decref(doc);
	doc = call("{\"namespace\":\"\"}", 400);
	ASSERT_STR_EQ(unit_error_type(doc), "InvalidParameterException");
	json_decref(doc);
	doc = call("{\"namespace\":\"shop\",\"maxResults\":101}", 400);
	ASSERT_STR_EQ(unit_error_type(doc), "InvalidParameterException");
	json_decref(doc);
	doc = call("{\"namespace\":\"shop\",\"nextToken\":\"garbage!\"}", 400);
	ASSERT_STR_EQ(unit_error_type(doc), "InvalidParameterException");
	json_decref(doc);
}
