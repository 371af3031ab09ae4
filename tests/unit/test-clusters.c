/*
 * test-clusters.c - the cluster operations through the real dispatch on an
 * in-memory store: validation, idempotency, include flags, pagination,
 * regions, the ACTIVE check other operations use, and the counts and
 * DeleteCluster refusals computed from rows of services, tasks and
 * container instances (inserted here the way their own store files will).
 */
#include <jansson.h>
#include <string.h>

#include "../../api/api.h"
#include "../../store/store.h"
#include "unit.h"

#define ACCOUNT "123456789012"
#define ARN_PREFIX "arn:aws:ecs:us-east-1:" ACCOUNT ":cluster/"

static json_t *
ok(const char *op, const char *body)
{
	int st = 0;
	json_t *doc = unit_call(op, body, &st);

	if (st != 200)
		UNIT_FAIL("%s %s: %d %s: %s", op, body, st, unit_error_type(doc),
		    json_string_value(json_object_get(doc, "message")));
	return doc;
}

static void
fails(const char *op, const char *body, const char *type)
{
	int st = 0;
	json_t *doc = unit_call(op, body, &st);

	if (unit_error_type(doc) == NULL || strcmp(unit_error_type(doc), type))
		UNIT_FAIL("%s %s: wanted %s, got %d %s", op, body, type, st,
		    json_dumps(doc, 0));
	ASSERT_INT_EQ(st, 400);
	json_decref(doc);
}

static const char *
str_at(json_t *doc, const char *path1, const char *path2)
{
	json_t *v = json_object_get(doc, path1);

	return json_string_value(path2 ? json_object_get(v, path2) : v);
}

static void
create(const char *name)
{
	char body[512];

	snprintf(body, sizeof body, "{\"clusterName\":\"%s\"}", name);
	json_decref(ok("CreateCluster", body));
}

/* Rows other parts will write; inserted here with their minimal columns. */
static void
add_task(const char *cluster, const char *id, const char *last,
    const char *launch)
{
	static const char sql[] =
	    "INSERT INTO tasks (account, region, cluster, id, arn, family, "
	    "revision, desired_status, last_status, launch_type, created_at, doc) "
	    "VALUES ('" ACCOUNT "', 'us-east-1', ?1, ?2, ?2, 'fam', 1, "
	    "'RUNNING', ?3, ?4, 0, '{}')";
	sqlite3_stmt *s = store_stmt(api_store(), sql);

	store_bind_text(s, 1, cluster);
	store_bind_text(s, 2, id);
	store_bind_text(s, 3, last);
	store_bind_text(s, 4, launch);
	ASSERT_INT_EQ(store_step_done(api_store(), s), STORE_OK);
}

static void
add_service(const char *cluster, const char *name, const char *status,
    const char *launch)
{
	static const char sql[] =
	    "INSERT INTO services (account, region, cluster, name, arn, status, "
	    "launch_type, created_at, doc) VALUES ('" ACCOUNT "', 'us-east-1', "
	    "?1, ?2, ?2, ?3, ?4, 0, '{}')";
	sqlite3_stmt *s = store_stmt(api_store(), sql);

	store_bind_text(s, 1, cluster);
	store_bind_text(s, 2, name);
	store_bind_text(s, 3, status);
	store_bind_text(s, 4, launch);
	ASSERT_INT_EQ(store_step_done(api_store(), s), STORE_OK);
}

static void
add_instance(const char *cluster, const char *id, const char *status)
{
	static const char sql[] =
	    "INSERT INTO container_instances (account, region, cluster, id, arn, "
	    "status, doc) VALUES ('" ACCOUNT "', 'us-east-1', ?1, ?2, ?2, ?3, "
	    "'{}')";
	sqlite3_stmt *s = store_stmt(api_store(), sql);

	store_bind_text(s, 1, cluster);
	store_bind_text(s, 2, id);
	store_bind_text(s, 3, status);
	ASSERT_INT_EQ(store_step_done(api_store(), s), STORE_OK);
}

static void
delete_rows(void)
{
	static const char tasks[] = "DELETE FROM tasks";
	static const char services[] = "DELETE FROM services";
	static const char instances[] = "DELETE FROM container_instances";

	store_step_done(api_store(), store_stmt(api_store(), tasks));
	store_step_done(api_store(), store_stmt(api_store(), services));
	store_step_done(api_store(), store_stmt(api_store(), instances));
}

static const char *
stat_of(json_t *cluster, const char *name)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(cluster, "statistics"), i, e)
		if (strcmp(str_at(e, "name", NULL), name) == 0)
			return str_at(e, "value", NULL);
	return NULL;
}

TEST(clusters_create_default_and_named)
{
	json_t *doc, *c;

	unit_store_setup();
	doc = ok("CreateCluster", "{}");
	c = json_object_get(doc, "cluster");
	ASSERT_STR_EQ(str_at(c, "clusterName", NULL), "default");
	ASSERT_STR_EQ(str_at(c, "clusterArn", NULL), ARN_PREFIX "default");
	ASSERT_STR_EQ(str_at(c, "status", NULL), "ACTIVE");
	/* The local Docker engine is every cluster's container instance. */
	ASSERT_INT_EQ(json_integer_value(json_object_get(c,
	    "registeredContainerInstancesCount")), 1);
	ASSERT(json_is_array(json_object_get(c, "statistics")));
	ASSERT(json_is_array(json_object_get(c, "tags")));
	/* Without settings a cluster gets the account's containerInsights. */
	ASSERT_STR_EQ(str_at(json_array_get(json_object_get(c, "settings"), 0),
	    "value", NULL), "disabled");
	ASSERT_NULL(json_object_get(c, "configuration"));
	ASSERT_NULL(json_object_get(c, "serviceConnectDefaults"));
	json_decref(doc);

	doc = ok("CreateCluster", "{\"clusterName\":\"My_cluster-1\"}");
	ASSERT_STR_EQ(str_at(doc, "cluster", "clusterArn"),
	    ARN_PREFIX "My_cluster-1");
	json_decref(doc);
}

TEST(clusters_take_container_insights_from_account_setting)
{
	json_t *doc;

	unit_store_setup();
	json_decref(ok("PutAccountSetting", "{\"name\":\"containerInsights\","
	    "\"value\":\"enhanced\"}"));
	doc = ok("CreateCluster", "{\"clusterName\":\"ci\"}");
	ASSERT_STR_EQ(str_at(json_array_get(json_object_get(json_object_get(doc,
	    "cluster"), "settings"), 0), "value", NULL), "enhanced");
	json_decref(doc);
	/* The cluster's own setting wins over the account's. */
	doc = ok("CreateCluster", "{\"clusterName\":\"own\",\"settings\":[{"
	    "\"name\":\"containerInsights\",\"value\":\"disabled\"}]}");
	ASSERT_STR_EQ(str_at(json_array_get(json_object_get(json_object_get(doc,
	    "cluster"), "settings"), 0), "value", NULL), "disabled");
	json_decref(doc);
}

TEST(clusters_create_rejects_bad_names)
{
	char body[400];

	unit_store_setup();
	fails("CreateCluster", "{\"clusterName\":\"has space\"}",
	    "InvalidParameterException");
	fails("CreateCluster", "{\"clusterName\":\"a/b\"}",
	    "InvalidParameterException");
	fails("CreateCluster", "{\"clusterName\":\"caf\xc3\xa9\"}",
	    "InvalidParameterException");
	snprintf(body, sizeof body, "{\"clusterName\":\"%0256d\"}", 0);
	fails("CreateCluster", body, "InvalidParameterException");
	snprintf(body, sizeof body, "{\"clusterName\":\"%0255d\"}", 0);
	json_decref(ok("CreateCluster", body));
}

TEST(clusters_create_validates_members)
{
	unit_store_setup();
	fails("CreateCluster", "{\"clusterName\":\"a\",\"settings\":[{\"name\":"
	    "\"containerInsights\",\"value\":\"maybe\"}]}",
	    "InvalidParameterException");
	fails("CreateCluster", "{\"clusterName\":\"a\",\"settings\":[{\"name\":"
	    "\"containerInsights\"}]}", "InvalidParameterException");
	fails("CreateCluster", "{\"clusterName\":\"a\",\"configuration\":{"
	    "\"executeCommandConfiguration\":{\"logging\":\"OVERRIDE\"}}}",
	    "InvalidParameterException");
	fails("CreateCluster", "{\"clusterName\":\"a\",\"configuration\":{"
	    "\"executeCommandConfiguration\":{\"logging\":\"DEFAULT\","
	    "\"logConfiguration\":{\"s3BucketName\":\"b\"}}}}",
	    "InvalidParameterException");
	fails("CreateCluster", "{\"clusterName\":\"a\",\"tags\":[{\"key\":"
	    "\"aws:x\",\"value\":\"v\"}]}", "InvalidParameterException");
	fails("CreateCluster", "{\"clusterName\":\"a\",\"serviceConnectDefaults\""
	    ":{\"namespace\":\"arn:aws:servicediscovery:eu-west-1:" ACCOUNT
	    ":namespace/ns-x\"}}", "NamespaceNotFoundException");
	fails("CreateCluster", "{\"clusterName\":\"a\",\"capacityProviders\":"
	    "[\"nope\"]}", "InvalidParameterException");
	fails("CreateCluster", "{\"clusterName\":\"a\",\"capacityProviders\":"
	    "[\"FARGATE\",\"FARGATE\"]}", "InvalidParameterException");
	fails("CreateCluster", "{\"clusterName\":\"a\",\"capacityProviders\":"
	    "[\"FARGATE\"],\"defaultCapacityProviderStrategy\":[{"
	    "\"capacityProvider\":\"FARGATE_SPOT\"}]}",
	    "InvalidParameterException");
	fails("CreateCluster", "{\"clusterName\":\"a\",\"capacityProviders\":"
	    "[\"FARGATE\",\"FARGATE_SPOT\"],\"defaultCapacityProviderStrategy\":"
	    "[{\"capacityProvider\":\"FARGATE\",\"base\":1},{\"capacityProvider\""
	    ":\"FARGATE_SPOT\",\"base\":2}]}", "InvalidParameterException");
	/* None of the refused requests left a cluster behind. */
	fails("UpdateClusterSettings", "{\"cluster\":\"a\",\"settings\":[]}",
	    "ClusterNotFoundException");
}

TEST(clusters_create_keeps_what_was_given)
{
	json_t *doc, *c, *s;

	unit_store_setup();
	doc = ok("CreateCluster", "{\"clusterName\":\"c\",\"settings\":[{"
	    "\"name\":\"containerInsights\",\"value\":\"enhanced\"}],"
	    "\"configuration\":{\"executeCommandConfiguration\":{\"logging\":"
	    "\"OVERRIDE\",\"logConfiguration\":{\"s3BucketName\":\"b\"}}},"
	    "\"serviceConnectDefaults\":{\"namespace\":\"svc\"},"
	    "\"capacityProviders\":[\"FARGATE\",\"FARGATE_SPOT\"],"
	    "\"defaultCapacityProviderStrategy\":[{\"capacityProvider\":"
	    "\"FARGATE\",\"weight\":1,\"base\":2},{\"capacityProvider\":"
	    "\"FARGATE_SPOT\"}],\"tags\":[{\"key\":\"k\",\"value\":\"v\"}]}");
	c = json_object_get(doc, "cluster");
	ASSERT_STR_EQ(str_at(json_array_get(json_object_get(c, "settings"), 0),
	    "value", NULL), "enhanced");
	ASSERT_STR_EQ(str_at(json_object_get(json_object_get(c,
	    "configuration"), "executeCommandConfiguration"), "logging", NULL),
	    "OVERRIDE");
	ASSERT(strncmp(str_at(c, "serviceConnectDefaults", "namespace"),
	    "arn:aws:servicediscovery:us-east-1:" ACCOUNT ":namespace/ns-",
	    56) == 0);
	s = json_object_get(c, "defaultCapacityProviderStrategy");
	ASSERT_INT_EQ(json_array_size(s), 2);
	ASSERT_INT_EQ(json_integer_value(json_object_get(json_array_get(s, 0),
	    "base")), 2);
	/* Members not given are filled in as ECS reports them. */
	ASSERT_INT_EQ(json_integer_value(json_object_get(json_array_get(s, 1),
	    "weight")), 0);
	ASSERT_INT_EQ(json_integer_value(json_object_get(json_array_get(s, 1),
	    "base")), 0);
	ASSERT_STR_EQ(str_at(json_array_get(json_object_get(c, "tags"), 0),
	    "key", NULL), "k");
	json_decref(doc);
}

TEST(clusters_create_is_idempotent)
{
	const char *body = "{\"clusterName\":\"i\",\"settings\":[{\"name\":"
	    "\"containerInsights\",\"value\":\"enabled\"}],\"tags\":[{\"key\":"
	    "\"a\",\"value\":\"1\"},{\"key\":\"b\",\"value\":\"2\"}]}";
	json_t *a, *b;

	unit_store_setup();
	a = ok("CreateCluster", body);
	b = ok("CreateCluster", body);
	ASSERT(json_equal(json_object_get(a, "cluster"),
	    json_object_get(b, "cluster")));
	json_decref(b);
	/* Tags in another order are the same tags; no members at all asks
	 * for nothing different. */
	json_decref(ok("CreateCluster", "{\"clusterName\":\"i\",\"tags\":[{"
	    "\"key\":\"b\",\"value\":\"2\"},{\"key\":\"a\",\"value\":\"1\"}]}"));
	json_decref(ok("CreateCluster", "{\"clusterName\":\"i\"}"));
	fails("CreateCluster", "{\"clusterName\":\"i\",\"settings\":[{\"name\":"
	    "\"containerInsights\",\"value\":\"disabled\"}]}",
	    "InvalidParameterException");
	fails("CreateCluster", "{\"clusterName\":\"i\",\"tags\":[{\"key\":\"a\","
	    "\"value\":\"other\"}]}", "InvalidParameterException");
	fails("CreateCluster", "{\"clusterName\":\"i\",\"capacityProviders\":"
	    "[\"FARGATE\"]}", "InvalidParameterException");
	json_decref(a);
}

TEST(clusters_deleted_comes_back_with_same_arn)
{
	json_t *doc, *c;

	unit_store_setup();
	json_decref(ok("CreateCluster", "{\"clusterName\":\"x\",\"tags\":[{"
	    "\"key\":\"old\",\"value\":\"1\"}],\"settings\":[{\"name\":"
	    "\"containerInsights\",\"value\":\"enabled\"}]}"));
	doc = ok("DeleteCluster", "{\"cluster\":\"x\"}");
	ASSERT_STR_EQ(str_at(doc, "cluster", "status"), "INACTIVE");
	json_decref(doc);
	/* INACTIVE: still described, with its tags; not listed; not usable. */
	doc = ok("DescribeClusters", "{\"clusters\":[\"x\"],\"include\":"
	    "[\"TAGS\"]}");
	c = json_array_get(json_object_get(doc, "clusters"), 0);
	ASSERT_STR_EQ(str_at(c, "status", NULL), "INACTIVE");
	ASSERT_INT_EQ(json_array_size(json_object_get(c, "tags")), 1);
	json_decref(doc);
	doc = ok("ListClusters", "{}");
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "clusterArns")), 0);
	json_decref(doc);
	fails("DeleteCluster", "{\"cluster\":\"x\"}", "ClusterNotFoundException");
	fails("UpdateCluster", "{\"cluster\":\"x\"}", "ClusterNotFoundException");

	/* Created again: ACTIVE, same ARN, what the new request says. */
	doc = ok("CreateCluster", "{\"clusterName\":\"x\",\"tags\":[{\"key\":"
	    "\"new\",\"value\":\"2\"}]}");
	c = json_object_get(doc, "cluster");
	ASSERT_STR_EQ(str_at(c, "status", NULL), "ACTIVE");
	ASSERT_STR_EQ(str_at(c, "clusterArn", NULL), ARN_PREFIX "x");
	ASSERT_INT_EQ(json_array_size(json_object_get(c, "tags")), 1);
	ASSERT_STR_EQ(str_at(json_array_get(json_object_get(c, "tags"), 0),
	    "key", NULL), "new");
	ASSERT_STR_EQ(str_at(json_array_get(json_object_get(c, "settings"), 0),
	    "value", NULL), "disabled");
	json_decref(doc);
}

TEST(clusters_describe_include_flags)
{
	json_t *doc, *c;

	unit_store_setup();
	json_decref(ok("CreateCluster", "{\"clusterName\":\"d\",\"tags\":[{"
	    "\"key\":\"k\",\"value\":\"v\"}],\"configuration\":{"
	    "\"managedStorageConfiguration\":{\"kmsKeyId\":\"key\"}}}"));
	doc = ok("DescribeClusters", "{\"clusters\":[\"d\"]}");
	c = json_array_get(json_object_get(doc, "clusters"), 0);
	ASSERT_INT_EQ(json_array_size(json_object_get(c, "tags")), 0);
	ASSERT_INT_EQ(json_array_size(json_object_get(c, "statistics")), 0);
	ASSERT_NULL(json_object_get(c, "settings"));
	ASSERT_NULL(json_object_get(c, "configuration"));
	ASSERT_NULL(json_object_get(c, "attachments"));
	ASSERT(json_is_array(json_object_get(c, "capacityProviders")));
	json_decref(doc);

	doc = ok("DescribeClusters", "{\"clusters\":[\"d\"],\"include\":[\"TAGS\","
	    "\"CONFIGURATIONS\",\"SETTINGS\",\"STATISTICS\",\"ATTACHMENTS\"]}");
	c = json_array_get(json_object_get(doc, "clusters"), 0);
	ASSERT_INT_EQ(json_array_size(json_object_get(c, "tags")), 1);
	ASSERT_INT_EQ(json_array_size(json_object_get(c, "statistics")), 8);
	ASSERT_INT_EQ(json_array_size(json_object_get(c, "settings")), 1);
	ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(
	    json_object_get(c, "configuration"), "managedStorageConfiguration"),
	    "kmsKeyId")), "key");
	ASSERT(json_is_array(json_object_get(c, "attachments")));
	json_decref(doc);
}

TEST(clusters_describe_missing_default_and_arns)
{
	json_t *doc, *f;

	unit_store_setup();
	/* No `clusters`: the default cluster, which does not exist yet. */
	doc = ok("DescribeClusters", "{}");
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "clusters")), 0);
	f = json_array_get(json_object_get(doc, "failures"), 0);
	ASSERT_STR_EQ(str_at(f, "arn", NULL), ARN_PREFIX "default");
	ASSERT_STR_EQ(str_at(f, "reason", NULL), "MISSING");
	json_decref(doc);

	create("default");
	create("b");
	doc = ok("DescribeClusters", "{\"clusters\":[\"" ARN_PREFIX "b\",\"nope\","
	    "\"arn:aws:ecs:eu-west-1:" ACCOUNT ":cluster/b\","
	    "\"arn:aws:ecs:us-east-1:" ACCOUNT ":service/b/s\"]}");
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "clusters")), 1);
	ASSERT_STR_EQ(str_at(json_array_get(json_object_get(doc, "clusters"), 0),
	    "clusterName", NULL), "b");
	f = json_object_get(doc, "failures");
	ASSERT_INT_EQ(json_array_size(f), 3);
	ASSERT_STR_EQ(str_at(json_array_get(f, 0), "arn", NULL),
	    ARN_PREFIX "nope");
	ASSERT_STR_EQ(str_at(json_array_get(f, 1), "arn", NULL),
	    "arn:aws:ecs:eu-west-1:" ACCOUNT ":cluster/b");
	json_decref(doc);
	doc = ok("DescribeClusters", "{}");
	ASSERT_STR_EQ(str_at(json_array_get(json_object_get(doc, "clusters"), 0),
	    "clusterName", NULL), "default");
	json_decref(doc);
}

TEST(clusters_list_pages)
{
	char name[16];
	json_t *doc, *all = json_array();
	const char *token = NULL;
	char body[512];

	unit_store_setup();
	for (int i = 0; i < 25; i++) {
		snprintf(name, sizeof name, "c%02d", (i * 7) % 25);
		create(name);
	}
	fails("ListClusters", "{\"maxResults\":0}", "InvalidParameterException");
	fails("ListClusters", "{\"maxResults\":101}",
	    "InvalidParameterException");
	fails("ListClusters", "{\"nextToken\":\"garbage!\"}",
	    "InvalidParameterException");
	doc = NULL;
	for (int page = 0; page < 10; page++) {
		json_t *arns, *e;
		size_t i;

		if (token != NULL)
			snprintf(body, sizeof body, "{\"maxResults\":10,"
			    "\"nextToken\":\"%s\"}", token);
		else
			snprintf(body, sizeof body, "{\"maxResults\":10}");
		json_decref(doc);
		doc = ok("ListClusters", body);
		arns = json_object_get(doc, "clusterArns");
		ASSERT(json_array_size(arns) == (page < 2 ? 10 : 5));
		json_array_foreach(arns, i, e)
			json_array_append(all, e);
		token = str_at(doc, "nextToken", NULL);
		if (token == NULL)
			break;
		/* A cluster added behind the cursor does not shift the pages. */
		if (page == 0)
			create("a-first");
	}
	json_decref(doc);
	ASSERT_INT_EQ(json_array_size(all), 25);
	for (int i = 0; i < 25; i++) {
		snprintf(name, sizeof name, "c%02d", i);
		ASSERT_STR_EQ(strrchr(json_string_value(json_array_get(all,
		    (size_t)i)), '/') + 1, name);
	}
	json_decref(all);
	doc = ok("ListClusters", "{}");
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "clusterArns")), 26);
	ASSERT_NULL(json_object_get(doc, "nextToken"));
	json_decref(doc);
}

TEST(clusters_regions_are_apart)
{
	int st;
	json_t *doc;

	unit_store_setup();
	doc = unit_call_region("CreateCluster", "eu-west-1",
	    "{\"clusterName\":\"eu\"}", &st);
	ASSERT_INT_EQ(st, 200);
	ASSERT_STR_EQ(str_at(doc, "cluster", "clusterArn"),
	    "arn:aws:ecs:eu-west-1:" ACCOUNT ":cluster/eu");
	json_decref(doc);
	doc = ok("ListClusters", "{}");
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "clusterArns")), 0);
	json_decref(doc);
	fails("UpdateCluster", "{\"cluster\":\"eu\"}", "ClusterNotFoundException");
	fails("UpdateCluster", "{\"cluster\":\"arn:aws:ecs:eu-west-1:" ACCOUNT
	    ":cluster/eu\"}", "ClusterNotFoundException");
	doc = unit_call_region("ListClusters", "eu-west-1", "{}", &st);
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "clusterArns")), 1);
	json_decref(doc);
}

TEST(clusters_require_active_check)
{
	struct req r;
	char name[256];

	unit_store_setup();
	create("default");
	create("gone");
	json_decref(ok("DeleteCluster", "{\"cluster\":\"gone\"}"));
	memset(&r, 0, sizeof r);
	r.store = api_store();
	r.part.account = ACCOUNT;
	r.part.region = "us-east-1";
	ASSERT_INT_EQ(store_begin(r.store, 0), 0);
	ASSERT_INT_EQ(clusters_require_active(&r, NULL, name, sizeof name), 0);
	ASSERT_STR_EQ(name, "default");
	ASSERT_INT_EQ(clusters_require_active(&r, ARN_PREFIX "default", name,
	    sizeof name), 0);
	ASSERT_STR_EQ(name, "default");
	ASSERT_INT_EQ(clusters_require_active(&r, "gone", name, sizeof name), -1);
	ASSERT_INT_EQ(r.err, ECS_ERR_CLUSTER_NOT_FOUND);
	ASSERT_STR_EQ(r.err_msg, "Cluster not found.");
	ASSERT_INT_EQ(clusters_require_active(&r, "never", name, sizeof name),
	    -1);
	r.part.region = "eu-west-1";
	ASSERT_INT_EQ(clusters_require_active(&r, NULL, name, sizeof name), -1);
	store_rollback(r.store);
	free(r.err_msg);
}

TEST(clusters_update_and_settings)
{
	json_t *doc, *c;

	unit_store_setup();
	create("u");
	doc = ok("UpdateClusterSettings", "{\"cluster\":\"u\",\"settings\":[{"
	    "\"name\":\"containerInsights\",\"value\":\"enabled\"}]}");
	ASSERT_STR_EQ(str_at(json_array_get(json_object_get(json_object_get(doc,
	    "cluster"), "settings"), 0), "value", NULL), "enabled");
	json_decref(doc);
	fails("UpdateClusterSettings", "{\"cluster\":\"u\",\"settings\":[{"
	    "\"name\":\"containerInsights\",\"value\":\"on\"}]}",
	    "InvalidParameterException");
	doc = ok("UpdateCluster", "{\"cluster\":\"" ARN_PREFIX "u\","
	    "\"configuration\":{\"executeCommandConfiguration\":{\"kmsKeyId\":"
	    "\"k\",\"logging\":\"NONE\"}},\"serviceConnectDefaults\":{"
	    "\"namespace\":\"arn:aws:servicediscovery:us-east-1:" ACCOUNT
	    ":namespace/ns-abc\"}}");
	c = json_object_get(doc, "cluster");
	ASSERT_STR_EQ(str_at(c, "serviceConnectDefaults", "namespace"),
	    "arn:aws:servicediscovery:us-east-1:" ACCOUNT ":namespace/ns-abc");
	ASSERT_STR_EQ(str_at(json_array_get(json_object_get(c, "settings"), 0),
	    "value", NULL), "enabled");
	json_decref(doc);
	/* An empty namespace removes the Service Connect defaults. */
	doc = ok("UpdateCluster", "{\"cluster\":\"u\",\"serviceConnectDefaults\":"
	    "{\"namespace\":\"\"}}");
	c = json_object_get(doc, "cluster");
	ASSERT_NULL(json_object_get(c, "serviceConnectDefaults"));
	ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(
	    json_object_get(c, "configuration"), "executeCommandConfiguration"),
	    "kmsKeyId")), "k");
	json_decref(doc);
	fails("UpdateCluster", "{\"cluster\":\"nope\"}",
	    "ClusterNotFoundException");
	fails("UpdateClusterSettings", "{\"cluster\":\"nope\",\"settings\":[]}",
	    "ClusterNotFoundException");
}

TEST(clusters_counts_come_from_rows)
{
	json_t *doc, *c;

	unit_store_setup();
	create("n");
	create("other");
	add_task("n", "t1", "RUNNING", "FARGATE");
	add_task("n", "t2", "RUNNING", "EC2");
	add_task("n", "t3", "RUNNING", "EC2");
	add_task("n", "t4", "PENDING", "FARGATE");
	add_task("n", "t5", "PROVISIONING", "EC2");
	add_task("n", "t6", "STOPPED", "EC2");
	add_task("other", "t7", "RUNNING", "EC2");
	add_service("n", "s1", "ACTIVE", "FARGATE");
	add_service("n", "s2", "ACTIVE", "EC2");
	add_service("n", "s3", "DRAINING", "EC2");
	add_service("n", "s4", "INACTIVE", "EC2");
	add_instance("n", "i1", "ACTIVE");
	add_instance("n", "i2", "DRAINING");
	add_instance("n", "i3", "INACTIVE");

	doc = ok("DescribeClusters", "{\"clusters\":[\"n\"],\"include\":"
	    "[\"STATISTICS\"]}");
	c = json_array_get(json_object_get(doc, "clusters"), 0);
	/* i1, i2 and the local engine's instance; not the INACTIVE i3. */
	ASSERT_INT_EQ(json_integer_value(json_object_get(c,
	    "registeredContainerInstancesCount")), 3);
	ASSERT_INT_EQ(json_integer_value(json_object_get(c, "runningTasksCount")),
	    3);
	ASSERT_INT_EQ(json_integer_value(json_object_get(c, "pendingTasksCount")),
	    2);
	ASSERT_INT_EQ(json_integer_value(json_object_get(c,
	    "activeServicesCount")), 2);
	ASSERT_STR_EQ(stat_of(c, "runningFargateTasksCount"), "1");
	ASSERT_STR_EQ(stat_of(c, "runningEC2TasksCount"), "2");
	ASSERT_STR_EQ(stat_of(c, "pendingFargateTasksCount"), "1");
	ASSERT_STR_EQ(stat_of(c, "pendingEC2TasksCount"), "1");
	ASSERT_STR_EQ(stat_of(c, "activeFargateServiceCount"), "1");
	ASSERT_STR_EQ(stat_of(c, "activeEC2ServiceCount"), "1");
	ASSERT_STR_EQ(stat_of(c, "drainingFargateServiceCount"), "0");
	ASSERT_STR_EQ(stat_of(c, "drainingEC2ServiceCount"), "1");
	json_decref(doc);

	/* The same names in another region count nothing. */
	doc = unit_call_region("CreateCluster", "eu-west-1",
	    "{\"clusterName\":\"n\"}", NULL);
	c = json_object_get(doc, "cluster");
	ASSERT_INT_EQ(json_integer_value(json_object_get(c, "runningTasksCount")),
	    0);
	json_decref(doc);
}

TEST(clusters_delete_refuses_while_in_use)
{
	json_t *doc;
	int st;

	unit_store_setup();
	create("busy");
	add_service("busy", "s", "DRAINING", "EC2");
	add_task("busy", "t", "STOPPING", "EC2");
	add_instance("busy", "i", "DRAINING");
	fails("DeleteCluster", "{\"cluster\":\"busy\"}",
	    "ClusterContainsServicesException");
	delete_rows();
	add_task("busy", "t", "STOPPING", "EC2");
	add_instance("busy", "i", "DRAINING");
	fails("DeleteCluster", "{\"cluster\":\"busy\"}",
	    "ClusterContainsTasksException");
	delete_rows();
	add_instance("busy", "i", "ACTIVE");
	doc = unit_call("DeleteCluster", "{\"cluster\":\"busy\"}", &st);
	ASSERT_STR_EQ(unit_error_type(doc), "ClusterContainsContainerInstancesException");
	ASSERT_STR_EQ(json_string_value(json_object_get(doc, "message")),
	    "The Cluster cannot be deleted while Container Instances are active "
	    "or draining.");
	json_decref(doc);
	delete_rows();
	/* What is left of a cluster once it is done does not hold it. */
	add_service("busy", "s", "INACTIVE", "EC2");
	add_task("busy", "t", "STOPPED", "EC2");
	add_instance("busy", "i", "INACTIVE");
	doc = ok("DeleteCluster", "{\"cluster\":\"busy\"}");
	ASSERT_STR_EQ(str_at(doc, "cluster", "status"), "INACTIVE");
	json_decref(doc);
}

TEST(clusters_put_capacity_providers)
{
	json_t *doc, *c;

	unit_store_setup();
	create("p");
	doc = ok("PutClusterCapacityProviders", "{\"cluster\":\"p\","
	    "\"capacityProviders\":[\"FARGATE_SPOT\",\"FARGATE\"],"
	    "\"defaultCapacityProviderStrategy\":[{\"capacityProvider\":"
	    "\"FARGATE_SPOT\",\"weight\":4}]}");
	c = json_object_get(doc, "cluster");
	ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(c,
	    "capacityProviders"), 0)), "FARGATE_SPOT");
	ASSERT_INT_EQ(json_integer_value(json_object_get(json_array_get(
	    json_object_get(c, "defaultCapacityProviderStrategy"), 0), "weight")),
	    4);
	json_decref(doc);
	fails("PutClusterCapacityProviders", "{\"cluster\":\"p\","
	    "\"capacityProviders\":[\"FARGATE\"],\"defaultCapacityProviderStrategy\""
	    ":[{\"capacityProvider\":\"FARGATE_SPOT\"}]}",
	    "InvalidParameterException");
	fails("PutClusterCapacityProviders", "{\"cluster\":\"nope\","
	    "\"capacityProviders\":[],\"defaultCapacityProviderStrategy\":[]}",
	    "ClusterNotFoundException");

	/* A provider a service's strategy uses cannot leave the cluster. */
	{
		static const char sql[] =
		    "INSERT INTO services (account, region, cluster, name, arn, "
		    "status, created_at, doc) VALUES ('" ACCOUNT "', 'us-east-1', "
		    "'p', 's', 's', 'ACTIVE', 0, '{\"capacityProviderStrategy\":"
		    "[{\"capacityProvider\":\"FARGATE_SPOT\",\"weight\":1}]}')";

		ASSERT_INT_EQ(store_step_done(api_store(), store_stmt(api_store(),
		    sql)), STORE_OK);
	}
	fails("PutClusterCapacityProviders", "{\"cluster\":\"p\","
	    "\"capacityProviders\":[\"FARGATE\"],"
	    "\"defaultCapacityProviderStrategy\":[]}", "ResourceInUseException");
	doc = ok("PutClusterCapacityProviders", "{\"cluster\":\"p\","
	    "\"capacityProviders\":[\"FARGATE_SPOT\"],"
	    "\"defaultCapacityProviderStrategy\":[]}");
	ASSERT_INT_EQ(json_array_size(json_object_get(json_object_get(doc,
	    "cluster"), "capacityProviders")), 1);
	json_decref(doc);
}

/* The status of the cluster's local-engine instance, or NULL. */
static const char *
local_status(const char *cluster, char *buf, size_t size)
{
	static const char sql[] =
	    "SELECT status FROM container_instances WHERE account = '" ACCOUNT
	    "' AND region = 'us-east-1' AND cluster = ?1 AND local = 1 "
	    "ORDER BY registered_at DESC, rowid DESC LIMIT 1";
	sqlite3_stmt *s = store_stmt(api_store(), sql);
	const char *out = NULL;

	store_bind_text(s, 1, cluster);
	if (sqlite3_step(s) == SQLITE_ROW) {
		snprintf(buf, size, "%s", (const char *)sqlite3_column_text(s, 0));
		out = buf;
	}
	sqlite3_reset(s);
	return out;
}

TEST(clusters_delete_releases_the_local_instance)
{
	static const char on_local[] =
	    "UPDATE tasks SET container_instance = (SELECT id FROM "
	    "container_instances WHERE cluster = 'l' AND local = 1) "
	    "WHERE id = 't'";
	char buf[32];
	json_t *doc;

	unit_store_setup();
	create("l");
	ASSERT_STR_EQ(local_status("l", buf, sizeof buf), "ACTIVE");
	/* A live task on the local instance holds it, and the cluster. */
	add_task("l", "t", "RUNNING", "EC2");
	ASSERT_INT_EQ(store_step_done(api_store(), store_stmt(api_store(),
	    on_local)), STORE_OK);
	fails("DeleteCluster", "{\"cluster\":\"l\"}",
	    "ClusterContainsTasksException");
	ASSERT_STR_EQ(local_status("l", buf, sizeof buf), "ACTIVE");
	delete_rows();
	create("m");
	doc = ok("DeleteCluster", "{\"cluster\":\"m\"}");
	ASSERT_INT_EQ(json_integer_value(json_object_get(json_object_get(doc,
	    "cluster"), "registeredContainerInstancesCount")), 0);
	json_decref(doc);
	ASSERT_STR_EQ(local_status("m", buf, sizeof buf), "INACTIVE");
	/* Created again, the cluster gets the engine back. */
	doc = ok("CreateCluster", "{\"clusterName\":\"m\"}");
	ASSERT_INT_EQ(json_integer_value(json_object_get(json_object_get(doc,
	    "cluster"), "registeredContainerInstancesCount")), 1);
	json_decref(doc);
}
