/*
 * test-services-api.c - the service operations through the real dispatch on
 * an in-memory store (responses checked against the model): what
 * CreateService stores and echoes, idempotency, which UpdateService changes
 * make a deployment, DeleteService's rules, DescribeServices failures and
 * tags, ListServices filters and pages, service deployments and revisions as
 * Terraform pairs them, StopServiceDeployment.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../../api/api.h"
#include "../../store/store.h"
#include "unit.h"

#define ACCT "123456789012"
#define SVC_ARN(c, s) "arn:aws:ecs:us-east-1:" ACCT ":service/" c "/" s

static int status;

static json_t *
call(const char *op, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static json_t *
call(const char *op, const char *fmt, ...)
{
	static char body[65536];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	return unit_call_region(op, "us-east-1", body, &status);
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
expect_error(json_t *doc, const char *type, const char *needle)
{
	const char *msg = json_string_value(json_object_get(doc, "message"));

	if (status == 200 || unit_error_type(doc) == NULL ||
	    strcmp(unit_error_type(doc), type) != 0)
		UNIT_FAIL("want %s, got %d %s: %s", type, status,
		    unit_error_type(doc), msg);
	if (needle != NULL && (msg == NULL || strstr(msg, needle) == NULL))
		UNIT_FAIL("message \"%s\" lacks \"%s\"", msg, needle);
	json_decref(doc);
}

static const char *
s_of(json_t *o, const char *path)
{
	return json_string_value(json_object_get(o, path));
}

static void
setup(void)
{
	unit_store_setup();
	json_decref(ok(call("CreateCluster", "{\"clusterName\":\"c1\"}")));
	json_decref(ok(call("RegisterTaskDefinition", "{\"family\":\"web\","
	    "\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\","
	    "\"memory\":64}]}")));
	json_decref(ok(call("RegisterTaskDefinition", "{\"family\":\"web\","
	    "\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox:2\","
	    "\"memory\":64}]}")));
	json_decref(ok(call("RegisterTaskDefinition", "{\"family\":\"vpc\","
	    "\"networkMode\":\"awsvpc\",\"requiresCompatibilities\":[\"FARGATE\"],"
	    "\"cpu\":\"256\",\"memory\":\"512\",\"containerDefinitions\":"
	    "[{\"name\":\"app\",\"image\":\"busybox\"}]}")));
}

static json_t *
create(const char *name, const char *extra)
{
	json_t *out = ok(call("CreateService", "{\"cluster\":\"c1\","
	    "\"serviceName\":\"%s\",\"taskDefinition\":\"web:1\","
	    "\"desiredCount\":2%s}", name, extra));
	json_t *svc = json_incref(json_object_get(out, "service"));

	json_decref(out);
	return svc;
}

static json_t *
describe(const char *name)
{
	json_t *out = ok(call("DescribeServices", "{\"cluster\":\"c1\","
	    "\"services\":[\"%s\"],\"include\":[\"TAGS\"]}", name));
	json_t *svc = json_incref(json_array_get(json_object_get(out,
	    "services"), 0));

	json_decref(out);
	return svc;
}

TEST(service_create_echoes_what_terraform_reads)
{
	json_t *svc, *dep, *dc;

	setup();
	svc = create("web", ",\"clientToken\":\"t1\",\"schedulingStrategy\":"
	    "\"REPLICA\",\"capacityProviderStrategy\":[],"
	    "\"availabilityZoneRebalancing\":\"DISABLED\","
	    "\"vpcLatticeConfigurations\":[],\"tags\":[{\"key\":\"team\","
	    "\"value\":\"a\"}]");
	ASSERT_STR_EQ(s_of(svc, "serviceArn"), SVC_ARN("c1", "web"));
	ASSERT_STR_EQ(s_of(svc, "status"), "ACTIVE");
	ASSERT_STR_EQ(s_of(svc, "launchType"), "EC2");
	ASSERT_STR_EQ(s_of(svc, "schedulingStrategy"), "REPLICA");
	ASSERT_STR_EQ(s_of(svc, "propagateTags"), "NONE");
	ASSERT_STR_EQ(s_of(svc, "availabilityZoneRebalancing"), "DISABLED");
	ASSERT_STR_EQ(s_of(json_object_get(svc, "deploymentController"), "type"),
	    "ECS");
	ASSERT_NULL(json_object_get(svc, "networkConfiguration"));
	ASSERT_NULL(json_object_get(svc, "capacityProviderStrategy"));
	ASSERT_STR_EQ(s_of(svc, "taskDefinition"), "arn:aws:ecs:us-east-1:" ACCT
	    ":task-definition/web:1");
	dc = json_object_get(svc, "deploymentConfiguration");
	ASSERT_INT_EQ(json_integer_value(json_object_get(dc, "maximumPercent")),
	    200);
	ASSERT_INT_EQ(json_integer_value(json_object_get(dc,
	    "minimumHealthyPercent")), 100);
	ASSERT(json_is_false(json_object_get(json_object_get(dc,
	    "deploymentCircuitBreaker"), "enable")));
	ASSERT_INT_EQ(json_array_size(json_object_get(svc, "deployments")), 1);
	dep = json_array_get(json_object_get(svc, "deployments"), 0);
	ASSERT_STR_EQ(s_of(dep, "status"), "PRIMARY");
	ASSERT_STR_EQ(s_of(dep, "rolloutState"), "IN_PROGRESS");
	ASSERT_INT_EQ(strlen(s_of(dep, "id")), 8 + 19);
	ASSERT(strncmp(s_of(dep, "id"), "ecs-svc/", 8) == 0);
	{
		char want[128];

		snprintf(want, sizeof want, "ECS deployment %s in progress.",
		    s_of(dep, "id"));
		ASSERT_STR_EQ(s_of(dep, "rolloutStateReason"), want);
	}
	ASSERT_INT_EQ(json_integer_value(json_object_get(dep, "desiredCount")),
	    2);
	json_decref(svc);

	svc = describe("web");
	ASSERT_STR_EQ(s_of(json_array_get(json_object_get(svc, "tags"), 0),
	    "key"), "team");
	ASSERT_INT_EQ(json_integer_value(json_object_get(svc, "runningCount")),
	    0);
	json_decref(svc);
}

TEST(service_create_idempotency)
{
	json_t *a, *b;

	setup();
	a = create("web", ",\"clientToken\":\"t1\"");
	/* the same request again (another token): the same service */
	b = create("web", ",\"clientToken\":\"t2\"");
	ASSERT_STR_EQ(s_of(a, "serviceArn"), s_of(b, "serviceArn"));
	ASSERT_STR_EQ(s_of(json_array_get(json_object_get(a, "deployments"), 0),
	    "id"), s_of(json_array_get(json_object_get(b, "deployments"), 0),
	    "id"));
	json_decref(a);
	json_decref(b);
	expect_error(call("CreateService", "{\"cluster\":\"c1\","
	    "\"serviceName\":\"web\",\"taskDefinition\":\"web:2\","
	    "\"desiredCount\":2}"), "InvalidParameterException",
	    "Creation of service was not idempotent.");
}

TEST(service_create_checks)
{
	setup();
	expect_error(call("CreateService", "{\"cluster\":\"nope\","
	    "\"serviceName\":\"s\",\"taskDefinition\":\"web\","
	    "\"desiredCount\":1}"), "ClusterNotFoundException",
	    "Cluster not found.");
	expect_error(call("CreateService", "{\"cluster\":\"c1\","
	    "\"serviceName\":\"s\",\"taskDefinition\":\"web:9\","
	    "\"desiredCount\":1}"), "ClientException", NULL);
	expect_error(call("CreateService", "{\"cluster\":\"c1\","
	    "\"serviceName\":\"s\",\"taskDefinition\":\"web\"}"),
	    "InvalidParameterException", "desiredCount");
	expect_error(call("CreateService", "{\"cluster\":\"c1\","
	    "\"serviceName\":\"bad name\",\"taskDefinition\":\"web\","
	    "\"desiredCount\":1}"), "InvalidParameterException", NULL);
	expect_error(call("CreateService", "{\"cluster\":\"c1\","
	    "\"serviceName\":\"s\",\"taskDefinition\":\"web\","
	    "\"desiredCount\":1,\"launchType\":\"EC2\","
	    "\"capacityProviderStrategy\":[{\"capacityProvider\":\"FARGATE\"}]}"),
	    "InvalidParameterException", "Specifying both");
	expect_error(call("CreateService", "{\"cluster\":\"c1\","
	    "\"serviceName\":\"s\",\"taskDefinition\":\"vpc\","
	    "\"desiredCount\":1,\"launchType\":\"FARGATE\"}"),
	    "InvalidParameterException", "Network Configuration must be provided");
	expect_error(call("CreateService", "{\"cluster\":\"c1\","
	    "\"serviceName\":\"s\",\"taskDefinition\":\"web\","
	    "\"desiredCount\":1,\"launchType\":\"FARGATE\"}"),
	    "InvalidParameterException", "does not support launch_type FARGATE");
	expect_error(call("CreateService", "{\"cluster\":\"c1\","
	    "\"serviceName\":\"s\",\"taskDefinition\":\"web\","
	    "\"desiredCount\":1,\"deploymentConfiguration\":"
	    "{\"minimumHealthyPercent\":150}}"), "InvalidParameterException",
	    "minimumHealthyPercent");
	expect_error(call("CreateService", "{\"cluster\":\"c1\","
	    "\"serviceName\":\"s\",\"taskDefinition\":\"web\","
	    "\"desiredCount\":1,\"platformVersion\":\"1.4.0\"}"),
	    "InvalidParameterException", "platform version must be null");
}

TEST(service_create_fargate_and_daemon)
{
	json_t *svc;

	setup();
	svc = ok(call("CreateService", "{\"cluster\":\"c1\",\"serviceName\":"
	    "\"f\",\"taskDefinition\":\"vpc\",\"desiredCount\":1,"
	    "\"launchType\":\"FARGATE\",\"networkConfiguration\":"
	    "{\"awsvpcConfiguration\":{\"subnets\":[\"subnet-1\"]}}}"));
	ASSERT_STR_EQ(s_of(json_object_get(svc, "service"), "platformVersion"),
	    "LATEST");
	ASSERT_NOT_NULL(json_object_get(json_object_get(svc, "service"),
	    "networkConfiguration"));
	json_decref(svc);
	svc = ok(call("CreateService", "{\"cluster\":\"c1\",\"serviceName\":"
	    "\"d\",\"taskDefinition\":\"web\",\"schedulingStrategy\":\"DAEMON\"}"));
	ASSERT_INT_EQ(json_integer_value(json_object_get(json_object_get(
	    json_object_get(svc, "service"), "deploymentConfiguration"),
	    "maximumPercent")), 100);
	ASSERT_INT_EQ(json_integer_value(json_object_get(json_object_get(
	    json_object_get(svc, "service"), "deploymentConfiguration"),
	    "minimumHealthyPercent")), 0);
	json_decref(svc);
}

static const char *
primary_id(json_t *svc)
{
	return s_of(json_array_get(json_object_get(svc, "deployments"), 0), "id");
}

TEST(service_update_deployments)
{
	json_t *svc, *out;
	char first[64];

	setup();
	svc = create("web", "");
	snprintf(first, sizeof first, "%s", primary_id(svc));
	json_decref(svc);

	/* desiredCount alone: no new deployment */
	out = ok(call("UpdateService", "{\"cluster\":\"c1\",\"service\":\"web\","
	    "\"desiredCount\":5}"));
	svc = json_object_get(out, "service");
	ASSERT_INT_EQ(json_array_size(json_object_get(svc, "deployments")), 1);
	ASSERT_STR_EQ(primary_id(svc), first);
	ASSERT_INT_EQ(json_integer_value(json_object_get(svc, "desiredCount")), 5);
	ASSERT_INT_EQ(json_integer_value(json_object_get(json_array_get(
	    json_object_get(svc, "deployments"), 0), "desiredCount")), 5);
	json_decref(out);

	/* the same task definition: none either */
	out = ok(call("UpdateService", "{\"cluster\":\"c1\",\"service\":"
	    "\"" SVC_ARN("c1", "web") "\",\"taskDefinition\":\"web:1\"}"));
	ASSERT_INT_EQ(json_array_size(json_object_get(json_object_get(out,
	    "service"), "deployments")), 1);
	json_decref(out);

	/* a new task definition: a new PRIMARY, the old one ACTIVE */
	out = ok(call("UpdateService", "{\"cluster\":\"c1\",\"service\":\"web\","
	    "\"taskDefinition\":\"web:2\"}"));
	svc = json_object_get(out, "service");
	ASSERT_INT_EQ(json_array_size(json_object_get(svc, "deployments")), 2);
	ASSERT(strcmp(primary_id(svc), first) != 0);
	ASSERT_STR_EQ(s_of(json_array_get(json_object_get(svc, "deployments"), 1),
	    "status"), "ACTIVE");
	ASSERT_STR_EQ(s_of(json_array_get(json_object_get(svc, "deployments"), 1),
	    "id"), first);
	ASSERT_STR_EQ(s_of(svc, "taskDefinition"), "arn:aws:ecs:us-east-1:" ACCT
	    ":task-definition/web:2");
	json_decref(out);

	/* forceNewDeployment: another */
	out = ok(call("UpdateService", "{\"cluster\":\"c1\",\"service\":\"web\","
	    "\"forceNewDeployment\":true}"));
	ASSERT_INT_EQ(json_array_size(json_object_get(json_object_get(out,
	    "service"), "deployments")), 3);
	json_decref(out);

	/* placement and the deployment configuration change in place */
	out = ok(call("UpdateService", "{\"cluster\":\"c1\",\"service\":\"web\","
	    "\"deploymentConfiguration\":{\"maximumPercent\":150},"
	    "\"placementStrategy\":[{\"type\":\"binpack\",\"field\":\"memory\"}]}"));
	svc = json_object_get(out, "service");
	ASSERT_INT_EQ(json_array_size(json_object_get(svc, "deployments")), 3);
	ASSERT_INT_EQ(json_integer_value(json_object_get(json_object_get(svc,
	    "deploymentConfiguration"), "maximumPercent")), 150);
	ASSERT_INT_EQ(json_integer_value(json_object_get(json_object_get(svc,
	    "deploymentConfiguration"), "minimumHealthyPercent")), 100);
	json_decref(out);

	expect_error(call("UpdateService", "{\"cluster\":\"c1\",\"service\":"
	    "\"nope\",\"desiredCount\":1}"), "ServiceNotFoundException",
	    "Service not found.");
	expect_error(call("UpdateService", "{\"cluster\":\"c2\",\"service\":"
	    "\"web\",\"desiredCount\":1}"), "ClusterNotFoundException", NULL);
}

TEST(service_delete_rules)
{
	json_t *out, *svc;

	setup();
	json_decref(create("web", ""));
	expect_error(call("DeleteService", "{\"cluster\":\"c1\",\"service\":"
	    "\"web\"}"), "InvalidParameterException",
	    "The service cannot be stopped while it is scaled above 0.");
	json_decref(ok(call("UpdateService", "{\"cluster\":\"c1\",\"service\":"
	    "\"web\",\"desiredCount\":0}")));
	out = ok(call("DeleteService", "{\"cluster\":\"c1\",\"service\":\"web\","
	    "\"force\":false}"));
	ASSERT_STR_EQ(s_of(json_object_get(out, "service"), "status"),
	    "DRAINING");
	json_decref(out);
	expect_error(call("DeleteService", "{\"cluster\":\"c1\",\"service\":"
	    "\"web\"}"), "ServiceNotActiveException", "Service was not ACTIVE.");
	expect_error(call("UpdateService", "{\"cluster\":\"c1\",\"service\":"
	    "\"web\",\"desiredCount\":1}"), "ServiceNotActiveException", NULL);
	/* the name is taken while DRAINING */
	expect_error(call("CreateService", "{\"cluster\":\"c1\",\"serviceName\":"
	    "\"web\",\"taskDefinition\":\"web:1\",\"desiredCount\":2}"),
	    "InvalidParameterException", "not idempotent");

	/* force deletes a scaled service */
	json_decref(create("api", ""));
	out = ok(call("DeleteService", "{\"cluster\":\"c1\",\"service\":\"api\","
	    "\"force\":true}"));
	svc = json_object_get(out, "service");
	ASSERT_STR_EQ(s_of(svc, "status"), "DRAINING");
	ASSERT_INT_EQ(json_integer_value(json_object_get(svc, "desiredCount")), 0);
	json_decref(out);

	/* ListServices shows DRAINING ones; DescribeClusters counts ACTIVE */
	out = ok(call("ListServices", "{\"cluster\":\"c1\"}"));
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "serviceArns")), 2);
	json_decref(out);
}

TEST(service_describe_missing_and_list_pages)
{
	json_t *out, *f, *arns;
	char token[512];

	setup();
	json_decref(create("a", ""));
	json_decref(create("b", ",\"launchType\":\"EC2\""));
	json_decref(create("c", ""));
	json_decref(ok(call("CreateService", "{\"cluster\":\"c1\","
	    "\"serviceName\":\"d\",\"taskDefinition\":\"web\","
	    "\"schedulingStrategy\":\"DAEMON\"}")));
	out = ok(call("DescribeServices", "{\"cluster\":\"c1\",\"services\":"
	    "[\"a\",\"zz\",\"" SVC_ARN("c1", "b") "\"]}"));
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "services")), 2);
	f = json_array_get(json_object_get(out, "failures"), 0);
	ASSERT_STR_EQ(s_of(f, "arn"), SVC_ARN("c1", "zz"));
	ASSERT_STR_EQ(s_of(f, "reason"), "MISSING");
	json_decref(out);
	expect_error(call("DescribeServices", "{\"cluster\":\"nope\","
	    "\"services\":[\"a\"]}"), "ClusterNotFoundException", NULL);

	out = ok(call("ListServices", "{\"cluster\":\"c1\",\"maxResults\":3}"));
	arns = json_object_get(out, "serviceArns");
	ASSERT_INT_EQ(json_array_size(arns), 3);
	snprintf(token, sizeof token, "%s", s_of(out, "nextToken"));
	json_decref(out);
	out = ok(call("ListServices", "{\"cluster\":\"c1\",\"nextToken\":"
	    "\"%s\"}", token));
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "serviceArns")), 1);
	ASSERT_NULL(json_object_get(out, "nextToken"));
	json_decref(out);
	out = ok(call("ListServices", "{\"cluster\":\"c1\","
	    "\"schedulingStrategy\":\"DAEMON\"}"));
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "serviceArns")), 1);
	json_decref(out);
	out = ok(call("ListServices", "{\"cluster\":\"c1\","
	    "\"launchType\":\"FARGATE\"}"));
	ASSERT_INT_EQ(json_array_size(json_object_get(out, "serviceArns")), 0);
	json_decref(out);
	expect_error(call("ListServices", "{\"cluster\":\"c1\",\"maxResults\":"
	    "101}"), "InvalidParameterException", NULL);
	expect_error(call("ListServices", "{\"cluster\":\"c1\",\"nextToken\":"
	    "\"junk\"}"), "InvalidParameterException", NULL);
}

TEST(service_deployments_as_terraform_reads_them)
{
	json_t *svc, *out, *brief, *sd, *rev;
	char dep[64], sd_arn[256], rev_arn[256];
	const char *digits;

	setup();
	svc = create("web", "");
	snprintf(dep, sizeof dep, "%s", primary_id(svc));
	json_decref(svc);
	out = ok(call("ListServiceDeployments", "{\"cluster\":\"c1\","
	    "\"service\":\"web\",\"createdAt\":{\"after\":1000}}"));
	ASSERT_INT_EQ(json_array_size(json_object_get(out,
	    "serviceDeployments")), 1);
	brief = json_array_get(json_object_get(out, "serviceDeployments"), 0);
	digits = dep + 8;
	/* the target revision ARN ends in the deployment's number */
	ASSERT(strstr(s_of(brief, "targetServiceRevisionArn"), digits) != NULL);
	ASSERT(strncmp(s_of(brief, "targetServiceRevisionArn"),
	    "arn:aws:ecs:us-east-1:" ACCT ":service-revision/c1/web/", 56) == 0);
	ASSERT(strncmp(s_of(brief, "serviceDeploymentArn"),
	    "arn:aws:ecs:us-east-1:" ACCT ":service-deployment/c1/web/", 58) == 0);
	ASSERT_STR_EQ(s_of(brief, "status"), "PENDING");
	snprintf(sd_arn, sizeof sd_arn, "%s", s_of(brief, "serviceDeploymentArn"));
	snprintf(rev_arn, sizeof rev_arn, "%s",
	    s_of(brief, "targetServiceRevisionArn"));
	json_decref(out);

	/* the createdAt window */
	out = ok(call("ListServiceDeployments", "{\"cluster\":\"c1\","
	    "\"service\":\"web\",\"createdAt\":{\"after\":4000000000}}"));
	ASSERT_INT_EQ(json_array_size(json_object_get(out,
	    "serviceDeployments")), 0);
	json_decref(out);
	out = ok(call("ListServiceDeployments", "{\"cluster\":\"c1\","
	    "\"service\":\"web\",\"status\":[\"SUCCESSFUL\"]}"));
	ASSERT_INT_EQ(json_array_size(json_object_get(out,
	    "serviceDeployments")), 0);
	json_decref(out);
	expect_error(call("ListServiceDeployments", "{\"cluster\":\"c1\","
	    "\"service\":\"nope\"}"), "ServiceNotFoundException", NULL);

	out = ok(call("DescribeServiceDeployments", "{\"serviceDeploymentArns\":"
	    "[\"%s\",\"%sx\"]}", sd_arn, sd_arn));
	sd = json_array_get(json_object_get(out, "serviceDeployments"), 0);
	ASSERT_STR_EQ(s_of(sd, "status"), "PENDING");
	ASSERT_STR_EQ(s_of(json_object_get(sd, "targetServiceRevision"), "arn"),
	    rev_arn);
	ASSERT_INT_EQ(json_array_size(json_object_get(sd,
	    "sourceServiceRevisions")), 0);
	ASSERT_STR_EQ(s_of(json_array_get(json_object_get(out, "failures"), 0),
	    "reason"), "MISSING");
	json_decref(out);

	out = ok(call("DescribeServiceRevisions", "{\"serviceRevisionArns\":"
	    "[\"%s\"]}", rev_arn));
	rev = json_array_get(json_object_get(out, "serviceRevisions"), 0);
	ASSERT_STR_EQ(s_of(rev, "taskDefinition"), "arn:aws:ecs:us-east-1:" ACCT
	    ":task-definition/web:1");
	ASSERT_STR_EQ(s_of(json_array_get(json_object_get(rev,
	    "containerImages"), 0), "image"), "busybox");
	json_decref(out);

	/* a new task definition: the new service deployment names the old
	 * revision as its source; the old one is superseded */
	json_decref(ok(call("UpdateService", "{\"cluster\":\"c1\",\"service\":"
	    "\"web\",\"taskDefinition\":\"web:2\"}")));
	out = ok(call("ListServiceDeployments", "{\"cluster\":\"c1\","
	    "\"service\":\"web\"}"));
	ASSERT_INT_EQ(json_array_size(json_object_get(out,
	    "serviceDeployments")), 2);
	ASSERT_STR_EQ(s_of(json_array_get(json_object_get(out,
	    "serviceDeployments"), 1), "status"), "STOPPED");
	brief = json_array_get(json_object_get(out, "serviceDeployments"), 0);
	snprintf(sd_arn, sizeof sd_arn, "%s", s_of(brief, "serviceDeploymentArn"));
	json_decref(out);
	out = ok(call("DescribeServiceDeployments", "{\"serviceDeploymentArns\":"
	    "[\"%s\"]}", sd_arn));
	sd = json_array_get(json_object_get(out, "serviceDeployments"), 0);
	ASSERT_STR_EQ(s_of(json_array_get(json_object_get(sd,
	    "sourceServiceRevisions"), 0), "arn"), rev_arn);
	json_decref(out);

	/* StopServiceDeployment rolls back to web:1 */
	out = ok(call("StopServiceDeployment", "{\"serviceDeploymentArn\":"
	    "\"%s\"}", sd_arn));
	json_decref(out);
	svc = describe("web");
	ASSERT_INT_EQ(json_array_size(json_object_get(svc, "deployments")), 3);
	ASSERT_STR_EQ(s_of(svc, "taskDefinition"), "arn:aws:ecs:us-east-1:" ACCT
	    ":task-definition/web:1");
	json_decref(svc);
	out = ok(call("DescribeServiceDeployments", "{\"serviceDeploymentArns\":"
	    "[\"%s\"]}", sd_arn));
	sd = json_array_get(json_object_get(out, "serviceDeployments"), 0);
	ASSERT_STR_EQ(s_of(sd, "status"), "ROLLBACK_IN_PROGRESS");
	ASSERT_NOT_NULL(json_object_get(sd, "rollback"));
	json_decref(out);
	expect_error(call("StopServiceDeployment", "{\"serviceDeploymentArn\":"
	    "\"%s\"}", sd_arn), "ConflictException", NULL);
	expect_error(call("StopServiceDeployment", "{\"serviceDeploymentArn\":"
	    "\"arn:aws:ecs:us-east-1:" ACCT ":service-deployment/c1/web/x\"}"),
	    "ServiceDeploymentNotFoundException", NULL);
}

TEST(service_breaker_threshold)
{
	ASSERT_INT_EQ(services_breaker_threshold(0), 3);
	ASSERT_INT_EQ(services_breaker_threshold(1), 3);
	ASSERT_INT_EQ(services_breaker_threshold(6), 3);
	ASSERT_INT_EQ(services_breaker_threshold(7), 4);
	ASSERT_INT_EQ(services_breaker_threshold(10), 5);
	ASSERT_INT_EQ(services_breaker_threshold(400), 200);
	ASSERT_INT_EQ(services_breaker_threshold(1000), 200);
}

TEST(service_events_newest_first_capped)
{
	json_t *svc = json_object();

	for (int i = 0; i < 130; i++)
		services_event_add(svc, 1000.0 + i, "event %d", i);
	ASSERT_INT_EQ(json_array_size(json_object_get(svc, "events")), 100);
	ASSERT_STR_EQ(s_of(json_array_get(json_object_get(svc, "events"), 0),
	    "message"), "event 129");
	ASSERT_STR_EQ(s_of(json_array_get(json_object_get(svc, "events"), 99),
	    "message"), "event 30");
	ASSERT_INT_EQ(strlen(s_of(json_array_get(json_object_get(svc, "events"),
	    0), "id")), 36);
	json_decref(svc);
}

TEST(service_deployment_ids)
{
	char id[32];

	for (int i = 0; i < 50; i++) {
		services_deployment_id_new(id, sizeof id);
		ASSERT_INT_EQ(strlen(id), 27);
		ASSERT(strncmp(id, "ecs-svc/", 8) == 0);
		ASSERT(id[8] >= '1' && id[8] <= '9');
		for (int k = 9; k < 27; k++)
			ASSERT(id[k] >= '0' && id[k] <= '9');
	}
}

TEST(service_external_controller)
{
	json_t *out, *svc;

	setup();
	out = ok(call("CreateService", "{\"cluster\":\"c1\",\"serviceName\":"
	    "\"ext\",\"desiredCount\":2,\"deploymentController\":"
	    "{\"type\":\"EXTERNAL\"}}"));
	svc = json_object_get(out, "service");
	ASSERT_INT_EQ(json_array_size(json_object_get(svc, "deployments")), 0);
	ASSERT_INT_EQ(json_array_size(json_object_get(svc, "taskSets")), 0);
	ASSERT_NULL(json_object_get(svc, "launchType"));
	json_decref(out);
	expect_error(call("UpdateService", "{\"cluster\":\"c1\",\"service\":"
	    "\"ext\",\"taskDefinition\":\"web:2\"}"), "InvalidParameterException",
	    "task sets");
	out = ok(call("UpdateService", "{\"cluster\":\"c1\",\"service\":\"ext\","
	    "\"desiredCount\":3}"));
	ASSERT_INT_EQ(json_integer_value(json_object_get(json_object_get(out,
	    "service"), "desiredCount")), 3);
	json_decref(out);
}

TEST(service_connect_lives_in_the_deployment)
{
	json_t *out, *dep, *arns = json_array();

	setup();
	out = ok(call("CreateService", "{\"cluster\":\"c1\",\"serviceName\":"
	    "\"sc\",\"taskDefinition\":\"web:1\",\"desiredCount\":0,"
	    "\"serviceConnectConfiguration\":{\"enabled\":true,"
	    "\"namespace\":\"shop\"}}"));
	ASSERT_NULL(json_object_get(json_object_get(out, "service"),
	    "serviceConnectConfiguration"));
	dep = json_array_get(json_object_get(json_object_get(out, "service"),
	    "deployments"), 0);
	ASSERT_STR_EQ(s_of(json_object_get(dep, "serviceConnectConfiguration"),
	    "namespace"), "shop");
	json_decref(out);
	{
		struct part p = { ACCT, "us-east-1" };

		ASSERT_INT_EQ(store_services_by_namespace(api_store(), &p, "shop",
		    NULL, 10, arns), 1);
	}
	/* a change of it is a new deployment */
	out = ok(call("UpdateService", "{\"cluster\":\"c1\",\"service\":\"sc\","
	    "\"serviceConnectConfiguration\":{\"enabled\":true,"
	    "\"namespace\":\"shop2\"}}"));
	ASSERT_INT_EQ(json_array_size(json_object_get(json_object_get(out,
	    "service"), "deployments")), 2);
	json_decref(out);
	json_decref(arns);
}
