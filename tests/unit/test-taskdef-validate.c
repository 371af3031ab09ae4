/*
 * test-taskdef-validate.c - the pure rules of api/taskdef_validate.c as
 * tables: each case is a RegisterTaskDefinition document, the exception ECS
 * sends for it (or none) and a piece of the message.
 */
#include <jansson.h>
#include <string.h>

#include "../../api/api.h"
#include "unit.h"

/* A small valid base every case edits: two bridge containers, one volume. */
#define C_APP "{\"name\":\"app\",\"image\":\"busybox\",\"memory\":128"
#define C_SIDE "{\"name\":\"side\",\"image\":\"busybox\",\"memory\":64," \
	"\"essential\":false"
#define C_N(n) "{\"name\":\"" n "\",\"image\":\"x\",\"memory\":4}"

struct vcase {
	const char *doc;          /* the request document */
	const char *error;        /* NULL: valid; else the exception name */
	const char *needle;       /* a piece of the message */
};

static const struct vcase cases[] = {
	/* valid ones */
	{ "{\"family\":\"web\",\"containerDefinitions\":[" C_APP "}]}", NULL, NULL },
	{ "{\"family\":\"a_B-9\",\"containerDefinitions\":[" C_APP "}," C_SIDE
	  "}]}", NULL, NULL },
	{ "{\"family\":\"f\",\"memory\":\"512\",\"containerDefinitions\":"
	  "[{\"name\":\"a\",\"image\":\"x\"}]}", NULL, NULL },
	{ "{\"family\":\"f\",\"networkMode\":\"awsvpc\",\"cpu\":\"1 vCPU\","
	  "\"memory\":\"2 GB\",\"requiresCompatibilities\":[\"FARGATE\"],"
	  "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\","
	  "\"portMappings\":[{\"containerPort\":80}]}]}", NULL, NULL },
	{ "{\"family\":\"f\",\"networkMode\":\"awsvpc\",\"containerDefinitions\":"
	  "[" C_APP ",\"portMappings\":[{\"containerPort\":80,\"hostPort\":80}]}]}",
	  NULL, NULL },
	{ "{\"family\":\"f\",\"networkMode\":\"awsvpc\",\"containerDefinitions\":"
	  "[" C_APP ",\"portMappings\":[{\"containerPort\":80,\"hostPort\":0}]}]}",
	  NULL, NULL },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"portMappings\":"
	  "[{\"containerPort\":80},{\"containerPort\":80,\"protocol\":\"udp\"}]}]}",
	  NULL, NULL },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"links\":"
	  "[\"side:db\"]}," C_SIDE "}]}", NULL, NULL },
	{ "{\"family\":\"f\",\"volumes\":[{\"name\":\"data\"}],"
	  "\"containerDefinitions\":[" C_APP ",\"mountPoints\":[{\"sourceVolume\":"
	  "\"data\",\"containerPath\":\"/d\"}],\"volumesFrom\":[{\"sourceContainer\":"
	  "\"side\"}]}," C_SIDE "}]}", NULL, NULL },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"dependsOn\":"
	  "[{\"containerName\":\"side\",\"condition\":\"SUCCESS\"}]}," C_SIDE
	  "}]}", NULL, NULL },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"dependsOn\":"
	  "[{\"containerName\":\"side\",\"condition\":\"HEALTHY\"}]}," C_SIDE
	  ",\"healthCheck\":{\"command\":[\"CMD-SHELL\",\"true\"],\"interval\":5,"
	  "\"timeout\":60,\"retries\":10,\"startPeriod\":300}}]}", NULL, NULL },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"dependsOn\":"
	  "[{\"containerName\":\"side\",\"condition\":\"START\"}]},"
	  "{\"name\":\"side\",\"image\":\"x\",\"memory\":64}]}", NULL, NULL },
	{ "{\"family\":\"f\",\"cpu\":\"1024\",\"memory\":\"256\","
	  "\"containerDefinitions\":[" C_APP ",\"cpu\":512}," C_SIDE
	  ",\"cpu\":512}]}", NULL, NULL },
	{ "{\"family\":\"f\",\"networkMode\":\"host\",\"containerDefinitions\":"
	  "[" C_APP ",\"portMappings\":[{\"containerPort\":8080,"
	  "\"hostPort\":8080}]}]}", NULL, NULL },
	{ "{\"family\":\"f\",\"networkMode\":\"awsvpc\",\"containerDefinitions\":"
	  "[" C_APP ",\"portMappings\":[{\"containerPortRange\":\"8000-8010\"}]}]}",
	  NULL, NULL },

	/* names */
	{ "{\"family\":\"bad name\",\"containerDefinitions\":[" C_APP "}]}",
	  "ClientException", "Invalid family" },
	{ "{\"family\":\"\",\"containerDefinitions\":[" C_APP "}]}",
	  "ClientException", "Invalid family" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[]}",
	  "ClientException", "Container list cannot be empty" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[{\"image\":\"x\","
	  "\"memory\":1}]}", "ClientException", "Container.name should not be" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a.b\","
	  "\"image\":\"x\",\"memory\":1}]}", "ClientException",
	  "Invalid container name" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a\","
	  "\"memory\":1}]}", "ClientException", "Container.image should not be" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP "}," C_APP "}]}",
	  "ClientException", "must be unique" },
	{ "{\"family\":\"f\",\"containerDefinitions\":["
	  C_N("a") "," C_N("b") "," C_N("c") "," C_N("d") "," C_N("e") ","
	  C_N("f") "," C_N("g") "," C_N("h") "," C_N("i") "," C_N("j") ","
	  C_N("k") "]}", "ClientException", "at most 10 containers" },

	/* memory and cpu */
	{ "{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a\","
	  "\"image\":\"x\"}]}", "ClientException",
	  "Invalid setting for container 'a'. At least one of 'memory' or "
	  "'memoryReservation' must be specified." },
	{ "{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a\","
	  "\"image\":\"x\",\"memory\":64,\"memoryReservation\":128}]}",
	  "ClientException", "'memoryReservation' (128 MiB) must be less than" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a\","
	  "\"image\":\"x\",\"memory\":0}]}", "ClientException",
	  "Invalid 'memory' setting for container 'a'" },
	{ "{\"family\":\"f\",\"memory\":\"100\",\"containerDefinitions\":"
	  "[" C_APP "}]}", "ClientException", "more than the task's memory" },
	{ "{\"family\":\"f\",\"memory\":\"150\",\"containerDefinitions\":"
	  "[" C_APP "}," C_SIDE "}]}", "ClientException",
	  "memory reservations add up to 192 MiB" },
	{ "{\"family\":\"f\",\"cpu\":\"256\",\"containerDefinitions\":[" C_APP
	  ",\"cpu\":200}," C_SIDE ",\"cpu\":100}]}", "ClientException",
	  "cpu values add up to 300" },
	{ "{\"family\":\"f\",\"cpu\":\"\",\"containerDefinitions\":[" C_APP "}]}",
	  "InvalidParameterException", "Invalid 'cpu' setting for task." },
	{ "{\"family\":\"f\",\"cpu\":\"lots\",\"containerDefinitions\":[" C_APP
	  "}]}", "InvalidParameterException", "Invalid 'cpu' setting for task." },
	{ "{\"family\":\"f\",\"cpu\":\"64\",\"containerDefinitions\":[" C_APP
	  "}]}", "InvalidParameterException", "Invalid 'cpu' setting for task." },
	{ "{\"family\":\"f\",\"memory\":\"2 TB\",\"containerDefinitions\":[" C_APP
	  "}]}", "InvalidParameterException",
	  "Invalid 'memory' setting for task." },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"cpu\":-1}]}",
	  "ClientException", "Invalid 'cpu' setting for container 'app'" },

	/* ports */
	{ "{\"family\":\"f\",\"networkMode\":\"awsvpc\",\"containerDefinitions\":"
	  "[" C_APP ",\"portMappings\":[{\"containerPort\":80,\"hostPort\":8080}]"
	  "}]}", "ClientException", "When networkMode=awsvpc, the host ports and "
	  "container ports in port mappings must match." },
	{ "{\"family\":\"f\",\"networkMode\":\"host\",\"containerDefinitions\":"
	  "[" C_APP ",\"portMappings\":[{\"containerPort\":80,\"hostPort\":81}]"
	  "}]}", "ClientException", "When networkMode=host" },
	{ "{\"family\":\"f\",\"networkMode\":\"none\",\"containerDefinitions\":"
	  "[" C_APP ",\"portMappings\":[{\"containerPort\":80}]}]}",
	  "ClientException", "networkMode=none" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"portMappings\":"
	  "[{\"containerPort\":0}]}]}", "ClientException",
	  "Invalid 'containerPort'" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"portMappings\":"
	  "[{\"containerPort\":65536}]}]}", "ClientException",
	  "Invalid 'containerPort'" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"portMappings\":"
	  "[{}]}]}", "ClientException", "Invalid 'containerPort'" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"portMappings\":"
	  "[{\"containerPort\":80,\"hostPort\":70000}]}]}", "ClientException",
	  "Invalid 'hostPort'" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"portMappings\":"
	  "[{\"containerPort\":80},{\"containerPort\":80,\"protocol\":\"tcp\","
	  "\"hostPort\":8080}]}]}", "ClientException", "80/tcp more than once" },
	{ "{\"family\":\"f\",\"networkMode\":\"awsvpc\",\"containerDefinitions\":"
	  "[" C_APP ",\"portMappings\":[{\"containerPortRange\":\"90-80\"}]}]}",
	  "ClientException", "invalid containerPortRange" },

	/* links, mounts, volumes */
	{ "{\"family\":\"f\",\"networkMode\":\"awsvpc\",\"containerDefinitions\":"
	  "[" C_APP ",\"links\":[\"side\"]}," C_SIDE "}]}", "ClientException",
	  "Links are not supported when networkMode=awsvpc." },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"links\":"
	  "[\"db\"]}]}", "ClientException", "links to 'db'" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"mountPoints\":"
	  "[{\"sourceVolume\":\"data\",\"containerPath\":\"/d\"}]}]}",
	  "ClientException", "sourceVolume 'data' is not a volume" },
	{ "{\"family\":\"f\",\"volumes\":[{\"name\":\"data\"}],"
	  "\"containerDefinitions\":[" C_APP ",\"mountPoints\":[{\"sourceVolume\":"
	  "\"data\"}]}]}", "ClientException", "needs a sourceVolume and a "
	  "containerPath" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"volumesFrom\":"
	  "[{\"sourceContainer\":\"ghost\"}]}]}", "ClientException",
	  "sourceContainer 'ghost'" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"volumesFrom\":"
	  "[{\"sourceContainer\":\"app\"}]}]}", "ClientException",
	  "sourceContainer 'app'" },
	{ "{\"family\":\"f\",\"volumes\":[{\"name\":\"v\"},{\"name\":\"v\"}],"
	  "\"containerDefinitions\":[" C_APP "}]}", "ClientException",
	  "Volume name 'v' is used more than once" },
	{ "{\"family\":\"f\",\"volumes\":[{\"name\":\"v/x\"}],"
	  "\"containerDefinitions\":[" C_APP "}]}", "ClientException",
	  "Invalid volume name" },
	{ "{\"family\":\"f\",\"volumes\":[{\"name\":\"v\",\"host\":{},"
	  "\"dockerVolumeConfiguration\":{}}],\"containerDefinitions\":[" C_APP
	  "}]}", "ClientException", "more than one of" },

	/* health checks */
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"healthCheck\":"
	  "{\"command\":[\"CMD-SHELL\",\"true\"],\"interval\":4}}]}",
	  "ClientException", "interval must be from 5 to 300" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"healthCheck\":"
	  "{\"command\":[\"CMD-SHELL\",\"true\"],\"interval\":301}}]}",
	  "ClientException", "interval must be from 5 to 300" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"healthCheck\":"
	  "{\"command\":[\"CMD\",\"true\"],\"timeout\":1}}]}",
	  "ClientException", "timeout must be from 2 to 60" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"healthCheck\":"
	  "{\"command\":[\"CMD\",\"true\"],\"timeout\":61}}]}",
	  "ClientException", "timeout must be from 2 to 60" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"healthCheck\":"
	  "{\"command\":[\"CMD\",\"true\"],\"retries\":0}}]}",
	  "ClientException", "retries must be from 1 to 10" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"healthCheck\":"
	  "{\"command\":[\"CMD\",\"true\"],\"retries\":11}}]}",
	  "ClientException", "retries must be from 1 to 10" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"healthCheck\":"
	  "{\"command\":[\"CMD\",\"true\"],\"startPeriod\":301}}]}",
	  "ClientException", "startPeriod must be from 0 to 300" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"healthCheck\":"
	  "{\"command\":[\"curl\",\"localhost\"]}}]}",
	  "ClientException", "must start with CMD or CMD-SHELL" },

	/* dependsOn and essential */
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"dependsOn\":"
	  "[{\"containerName\":\"db\",\"condition\":\"START\"}]}]}",
	  "ClientException", "containerName 'db'" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"dependsOn\":"
	  "[{\"containerName\":\"app\",\"condition\":\"START\"}]}]}",
	  "ClientException", "containerName 'app'" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"dependsOn\":"
	  "[{\"containerName\":\"side\",\"condition\":\"COMPLETE\"}]},"
	  "{\"name\":\"side\",\"image\":\"x\",\"memory\":64}]}",
	  "ClientException", "COMPLETE condition cannot be set on an essential" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"dependsOn\":"
	  "[{\"containerName\":\"side\",\"condition\":\"SUCCESS\"}]},"
	  "{\"name\":\"side\",\"image\":\"x\",\"memory\":64,\"essential\":true}]}",
	  "ClientException", "SUCCESS condition cannot be set on an essential" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"dependsOn\":"
	  "[{\"containerName\":\"side\",\"condition\":\"HEALTHY\"}]}," C_SIDE
	  "}]}", "ClientException", "needs container 'side' to have a "
	  "healthCheck" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP ",\"dependsOn\":"
	  "[{\"containerName\":\"side\",\"condition\":\"START\"}]}," C_SIDE
	  ",\"dependsOn\":[{\"containerName\":\"app\",\"condition\":\"START\"}]}]}",
	  "ClientException", "form a cycle" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP
	  ",\"essential\":false}]}", "ClientException",
	  "at least one essential container" },
	{ "{\"family\":\"f\",\"containerDefinitions\":[" C_APP
	  ",\"stopTimeout\":121}]}", "ClientException", "stopTimeout" },

	/* Fargate */
	{ "{\"family\":\"f\",\"cpu\":\"256\",\"memory\":\"512\","
	  "\"requiresCompatibilities\":[\"FARGATE\"],\"containerDefinitions\":"
	  "[" C_APP "}]}", "ClientException",
	  "Fargate only supports network mode \xe2\x80\x98" "awsvpc"
	  "\xe2\x80\x99." },
	{ "{\"family\":\"f\",\"networkMode\":\"awsvpc\",\"memory\":\"512\","
	  "\"requiresCompatibilities\":[\"FARGATE\"],\"containerDefinitions\":"
	  "[" C_APP "}]}", "ClientException",
	  "Fargate requires that 'cpu' be defined at the task level." },
	{ "{\"family\":\"f\",\"networkMode\":\"awsvpc\",\"cpu\":\"256\","
	  "\"requiresCompatibilities\":[\"FARGATE\"],\"containerDefinitions\":"
	  "[" C_APP "}]}", "ClientException",
	  "Fargate requires that 'memory' be defined at the task level." },
	{ "{\"family\":\"f\",\"networkMode\":\"awsvpc\",\"cpu\":\"1024\","
	  "\"memory\":\"1024\",\"requiresCompatibilities\":[\"FARGATE\"],"
	  "\"containerDefinitions\":[" C_APP "}]}", "ClientException",
	  "No Fargate configuration exists for given values: 1024 CPU, 1024 "
	  "memory. See the Amazon ECS documentation for the valid values." },
	{ "{\"family\":\"f\",\"networkMode\":\"awsvpc\",\"cpu\":\"256\","
	  "\"memory\":\"512\",\"requiresCompatibilities\":[\"FARGATE\"],"
	  "\"containerDefinitions\":[" C_APP ",\"logConfiguration\":{\"logDriver\":"
	  "\"awslogs\"}}]}", "ClientException", "Fargate requires task "
	  "definition to have execution role ARN to support log driver awslogs." },
	{ "{\"family\":\"f\",\"networkMode\":\"awsvpc\",\"cpu\":\"256\","
	  "\"memory\":\"512\",\"requiresCompatibilities\":[\"FARGATE\"],"
	  "\"containerDefinitions\":[" C_APP ",\"privileged\":true}]}",
	  "ClientException", "privileged" },
	{ "{\"family\":\"f\",\"networkMode\":\"awsvpc\",\"cpu\":\"256\","
	  "\"memory\":\"512\",\"requiresCompatibilities\":[\"FARGATE\"],"
	  "\"volumes\":[{\"name\":\"v\",\"host\":{\"sourcePath\":\"/x\"}}],"
	  "\"containerDefinitions\":[" C_APP "}]}", "ClientException",
	  "host volumes" },
	{ "{\"family\":\"f\",\"networkMode\":\"awsvpc\",\"requiresCompatibilities\":"
	  "[\"EXTERNAL\"],\"containerDefinitions\":[" C_APP "}]}",
	  "ClientException", "External instances" },

	/* task extras */
	{ "{\"family\":\"f\",\"ephemeralStorage\":{\"sizeInGiB\":20},"
	  "\"containerDefinitions\":[" C_APP "}]}", "ClientException",
	  "ephemeralStorage" },
	{ "{\"family\":\"f\",\"proxyConfiguration\":{\"containerName\":\"envoy\"},"
	  "\"containerDefinitions\":[" C_APP "}]}", "ClientException",
	  "proxyConfiguration names container 'envoy'" },
	{ "{\"family\":\"f\",\"placementConstraints\":[{\"type\":\"memberOf\"}],"
	  "\"containerDefinitions\":[" C_APP "}]}", "ClientException",
	  "needs an expression" },
};

TEST(taskdef_validate_table)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_error_t jerr;
		json_t *doc = json_loads(cases[i].doc, 0, &jerr);
		struct td_check chk;
		int rc;

		if (doc == NULL)
			UNIT_FAIL("case %zu is not JSON: %s", i, jerr.text);
		rc = taskdef_validate(doc, &chk);
		if (cases[i].error == NULL && rc != 0)
			UNIT_FAIL("case %zu should be valid: %s", i, chk.msg);
		if (cases[i].error != NULL) {
			if (rc == 0)
				UNIT_FAIL("case %zu should fail with %s", i, cases[i].error);
			if (strcmp(api_error_name(chk.code), cases[i].error) != 0)
				UNIT_FAIL("case %zu: %s, want %s (%s)", i,
				    api_error_name(chk.code), cases[i].error, chk.msg);
			if (strstr(chk.msg, cases[i].needle) == NULL)
				UNIT_FAIL("case %zu: message \"%s\" lacks \"%s\"", i,
				    chk.msg, cases[i].needle);
		}
		json_decref(doc);
	}
}

TEST(taskdef_cpu_and_memory_strings)
{
	static const struct {
		const char *s;
		int cpu;              /* 1: parse as cpu, 0: as memory */
		long want;            /* -1: invalid */
	} t[] = {
		{ "1024", 1, 1024 }, { "1 vCPU", 1, 1024 }, { "1 vcpu", 1, 1024 },
		{ "1vCPU", 1, 1024 }, { "0.25 vCPU", 1, 256 }, { "2 VCPU", 1, 2048 },
		{ " 512 ", 1, 512 }, { "", 1, -1 }, { "vCPU", 1, -1 },
		{ "1 GB", 1, -1 }, { "-256", 1, -1 }, { "0", 1, -1 },
		{ "1.5", 1, -1 }, { "256 vCPUs", 1, -1 }, { "0x100", 1, -1 },
		{ "2048", 0, 2048 }, { "2 GB", 0, 2048 }, { "2GB", 0, 2048 },
		{ "0.5 gb", 0, 512 }, { "30 GB", 0, 30720 }, { "2 MB", 0, -1 },
		{ "1e3", 0, -1 }, { "inf", 1, -1 }, { "1.", 1, -1 }, { "99999999999", 0, -1 },
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		long v = 0;
		int rc = t[i].cpu ? taskdef_cpu_parse(t[i].s, &v) :
		    taskdef_memory_parse(t[i].s, &v);

		if (t[i].want < 0 && rc == 0)
			UNIT_FAIL("\"%s\" should not parse (got %ld)", t[i].s, v);
		if (t[i].want >= 0 && (rc != 0 || v != t[i].want))
			UNIT_FAIL("\"%s\": rc %d value %ld, want %ld", t[i].s, rc, v,
			    t[i].want);
	}
	ASSERT(taskdef_cpu_parse(NULL, &(long){ 0 }) != 0);
}

TEST(taskdef_fargate_sizes)
{
	static const struct {
		long cpu, mem;
		int ok;
	} t[] = {
		{ 256, 512, 1 }, { 256, 1024, 1 }, { 256, 2048, 1 },
		{ 256, 1536, 0 }, { 256, 3072, 0 },
		{ 512, 1024, 1 }, { 512, 4096, 1 }, { 512, 512, 0 }, { 512, 5120, 0 },
		{ 1024, 2048, 1 }, { 1024, 8192, 1 }, { 1024, 1024, 0 },
		{ 2048, 4096, 1 }, { 2048, 16384, 1 }, { 2048, 17408, 0 },
		{ 4096, 8192, 1 }, { 4096, 30720, 1 }, { 4096, 31744, 0 },
		{ 4096, 9000, 0 },
		{ 8192, 16384, 1 }, { 8192, 20480, 1 }, { 8192, 61440, 1 },
		{ 8192, 17408, 0 }, { 8192, 65536, 0 },
		{ 16384, 32768, 1 }, { 16384, 40960, 1 }, { 16384, 122880, 1 },
		{ 16384, 36864, 0 }, { 16384, 131072, 0 },
		{ 128, 512, 0 }, { 3072, 8192, 0 },
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (taskdef_fargate_size_valid(t[i].cpu, t[i].mem) != t[i].ok)
			UNIT_FAIL("%ld CPU / %ld MiB: want %s", t[i].cpu, t[i].mem,
			    t[i].ok ? "valid" : "invalid");
}

static json_t *
compat_of(const char *doc)
{
	json_t *td = json_loads(doc, 0, NULL);
	json_t *c;

	ASSERT_NOT_NULL(td);
	c = taskdef_compatibilities(td);
	json_decref(td);
	return c;
}

static void
expect_compat(const char *doc, const char *want)
{
	json_t *c = compat_of(doc);
	char *got = json_dumps(c, JSON_COMPACT);

	ASSERT_STR_EQ(got, want);
	free(got);
	json_decref(c);
}

TEST(taskdef_compatibilities_follow_real_ecs)
{
	expect_compat("{\"containerDefinitions\":[]}", "[\"EXTERNAL\",\"EC2\"]");
	expect_compat("{\"networkMode\":\"host\"}", "[\"EXTERNAL\",\"EC2\"]");
	expect_compat("{\"networkMode\":\"awsvpc\"}", "[\"EC2\"]");
	expect_compat("{\"networkMode\":\"awsvpc\",\"cpu\":\"256\","
	    "\"memory\":\"512\"}", "[\"EC2\",\"FARGATE\"]");
	expect_compat("{\"networkMode\":\"awsvpc\",\"cpu\":\"256\","
	    "\"memory\":\"4096\"}", "[\"EC2\"]");
	expect_compat("{\"networkMode\":\"awsvpc\",\"cpu\":\"256\","
	    "\"memory\":\"512\",\"containerDefinitions\":[{\"privileged\":true}]}",
	    "[\"EC2\"]");
	expect_compat("{\"networkMode\":\"awsvpc\",\"requiresCompatibilities\":"
	    "[\"MANAGED_INSTANCES\"]}", "[\"EC2\",\"MANAGED_INSTANCES\"]");
}

static int
has_attr(json_t *attrs, const char *name)
{
	json_t *a;
	size_t i;

	json_array_foreach(attrs, i, a)
		if (strcmp(json_string_value(json_object_get(a, "name")), name) == 0)
			return 1;
	return 0;
}

TEST(taskdef_requires_attributes_from_features)
{
	json_t *td = json_loads("{\"networkMode\":\"awsvpc\",\"taskRoleArn\":"
	    "\"r\",\"executionRoleArn\":\"e\",\"containerDefinitions\":["
	    "{\"name\":\"a\",\"image\":\"1.dkr.ecr.us-east-1.amazonaws.com/x\","
	    "\"healthCheck\":{\"command\":[\"CMD\",\"true\"]},\"dependsOn\":[],"
	    "\"logConfiguration\":{\"logDriver\":\"awslogs\"},"
	    "\"secrets\":[{\"name\":\"S\",\"valueFrom\":\"arn:aws:ssm:x\"}]}]}",
	    0, NULL);
	json_t *plain = json_loads("{\"containerDefinitions\":[{\"name\":\"a\","
	    "\"image\":\"busybox\",\"memory\":5}]}", 0, NULL);
	json_t *a = taskdef_requires_attributes(td);
	json_t *b = taskdef_requires_attributes(plain);

	ASSERT(has_attr(a, "ecs.capability.task-eni"));
	ASSERT(has_attr(a, "com.amazonaws.ecs.capability.task-iam-role"));
	ASSERT(has_attr(a, "ecs.capability.container-health-check"));
	ASSERT(has_attr(a, "com.amazonaws.ecs.capability.docker-remote-api.1.24"));
	ASSERT(has_attr(a, "ecs.capability.container-ordering"));
	ASSERT(has_attr(a, "com.amazonaws.ecs.capability.logging-driver.awslogs"));
	ASSERT(has_attr(a, "ecs.capability.execution-role-awslogs"));
	ASSERT(has_attr(a, "com.amazonaws.ecs.capability.ecr-auth"));
	ASSERT(has_attr(a, "ecs.capability.execution-role-ecr-pull"));
	ASSERT(has_attr(a, "ecs.capability.secrets.ssm.environment-variables"));
	ASSERT_INT_EQ(json_array_size(b), 0);
	json_decref(a);
	json_decref(b);
	json_decref(td);
	json_decref(plain);
}

TEST(taskdef_references)
{
	static const struct part p = { "123456789012", "us-east-1" };
	static const struct {
		const char *ref;
		int rc;
		const char *family;
		int rev;
	} t[] = {
		{ "web", 0, "web", 0 },
		{ "web:3", 0, "web", 3 },
		{ "arn:aws:ecs:us-east-1:123456789012:task-definition/web:12", 0,
		  "web", 12 },
		{ "arn:aws:ecs:us-east-1:123456789012:task-definition/web", 0,
		  "web", 0 },
		{ "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:1", -1,
		  NULL, 0 },
		{ "arn:aws:ecs:us-east-1:999999999999:task-definition/web:1", -1,
		  NULL, 0 },
		{ "arn:aws:ecs:us-east-1:123456789012:cluster/web", -1, NULL, 0 },
		{ "web:abc", -2, NULL, 0 },
		{ "web:", -2, NULL, 0 },
		{ "web:1x", -2, NULL, 0 },
		{ "web:99999999999", -2, NULL, 0 },
		{ "web:0", -1, NULL, 0 },
		{ "bad name:1", -1, NULL, 0 },
		{ ":1", -1, NULL, 0 },
		{ "", -1, NULL, 0 },
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char family[256];
		int rev = -7;
		int rc = taskdef_ref_parse(t[i].ref, &p, family, sizeof family, &rev);

		if (rc != t[i].rc)
			UNIT_FAIL("\"%s\": rc %d, want %d", t[i].ref, rc, t[i].rc);
		if (rc == 0) {
			ASSERT_STR_EQ(family, t[i].family);
			ASSERT_INT_EQ(rev, t[i].rev);
		}
	}
}
