/*
 * test-spec.c - the task -> Docker mapping: names, labels, environment
 * precedence, ports per network mode, volumes and mounts, Linux parameters,
 * health checks, and the failures a task cannot get past.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../daemon/daemon.h"
#include "../../scheduler/spec.h"
#include "unit.h"

static json_t *
load(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);

	if (v == NULL)
		UNIT_FAIL("bad test JSON: %s", e.text);
	return v;
}

static struct spec_task
task(json_t *def, const char *mode)
{
	struct spec_task t = {
		.task_arn = "arn:aws:ecs:us-east-1:123456789012:task/c1/"
		    "0123456789abcdef0123456789abcdef",
		.task_id = "0123456789abcdef0123456789abcdef",
		.cluster_arn = "arn:aws:ecs:us-east-1:123456789012:cluster/c1",
		.family = "web", .revision = 3, .region = "us-east-1",
		.launch_type = "EC2", .network_mode = mode, .owner = "owner1",
		.definition = def,
		.containers = json_object_get(def, "containerDefinitions"),
	};
	return t;
}

static const char *
env_of(json_t *body, const char *name)
{
	json_t *e;
	size_t i, n = strlen(name);

	json_array_foreach(json_object_get(body, "Env"), i, e) {
		const char *s = json_string_value(e);

		if (strncmp(s, name, n) == 0 && s[n] == '=')
			return s + n + 1;
	}
	return NULL;
}

TEST(spec_names_are_the_agents_and_stable)
{
	json_t *def = load("{\"containerDefinitions\":[]}");
	struct spec_task t = task(def, "bridge");
	char *a = spec_docker_name(&t, "my_app.1");
	char *b = spec_docker_name(&t, "my_app.1");
	char *c = spec_docker_name(&t, "other");

	ASSERT(strncmp(a, "ecs-web-3-myapp1-", 17) == 0);
	ASSERT_INT_EQ(strlen(a), 17 + 20);
	ASSERT_STR_EQ(a, b);
	ASSERT(strcmp(a, c) != 0);
	free(a);
	free(b);
	free(c);
	json_decref(def);
}

TEST(spec_ecr_images_resolve_locally)
{
	char *a = spec_image("123456789012.dkr.ecr.us-east-1.amazonaws.com/"
	    "team/web:1.2");
	char *b = spec_image("busybox:latest");

	ASSERT_STR_EQ(a, "team/web:1.2");
	ASSERT_STR_EQ(b, "busybox:latest");
	free(a);
	free(b);
}

TEST(spec_container_bridge_fields)
{
	json_t *def = load("{\"containerDefinitions\":[{\"name\":\"web\","
	    "\"image\":\"busybox\",\"memory\":128,\"memoryReservation\":64,"
	    "\"cpu\":1,\"command\":[\"httpd\",\"-f\"],\"entryPoint\":[\"sh\"],"
	    "\"workingDirectory\":\"/srv\",\"user\":\"nobody\",\"hostname\":\"h\","
	    "\"readonlyRootFilesystem\":true,\"privileged\":true,"
	    "\"interactive\":true,\"pseudoTerminal\":true,\"stopTimeout\":7,"
	    "\"dockerLabels\":{\"team\":\"a\",\"com.amazonaws.ecs.cluster\":\"x\"},"
	    "\"portMappings\":[{\"containerPort\":80,\"hostPort\":0},"
	    "{\"containerPort\":53,\"hostPort\":5353,\"protocol\":\"udp\"}],"
	    "\"links\":[\"db:database\"],"
	    "\"extraHosts\":[{\"hostname\":\"x\",\"ipAddress\":\"1.2.3.4\"}],"
	    "\"dnsServers\":[\"9.9.9.9\"],\"dnsSearchDomains\":[\"local\"],"
	    "\"ulimits\":[{\"name\":\"nofile\",\"softLimit\":10,\"hardLimit\":20}],"
	    "\"systemControls\":[{\"namespace\":\"net.core.somaxconn\","
	    "\"value\":\"511\"}],"
	    "\"healthCheck\":{\"command\":[\"CMD-SHELL\",\"true\"],\"interval\":5,"
	    "\"retries\":2},"
	    "\"linuxParameters\":{\"initProcessEnabled\":true,\"capabilities\":"
	    "{\"add\":[\"NET_ADMIN\"],\"drop\":[\"MKNOD\"]},\"sharedMemorySize\":"
	    "64,\"tmpfs\":[{\"containerPath\":\"/t\",\"size\":16,"
	    "\"mountOptions\":[\"noexec\"]}]},"
	    "\"logConfiguration\":{\"logDriver\":\"awslogs\",\"options\":{"
	    "\"awslogs-group\":\"/ecs/web\",\"awslogs-stream-prefix\":\"ecs\"}}}]}");
	struct spec_task t = task(def, "bridge");
	json_t *body, *host;
	char *err = NULL;

	ASSERT_INT_EQ(spec_container(&t, json_array_get(t.containers, 0), &body,
	    &err), 0);
	host = json_object_get(body, "HostConfig");
	ASSERT_STR_EQ(json_string_value(json_object_get(body, "Image")),
	    "busybox");
	ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(body,
	    "Cmd"), 1)), "-f");
	ASSERT_STR_EQ(json_string_value(json_object_get(body, "WorkingDir")),
	    "/srv");
	ASSERT_STR_EQ(json_string_value(json_object_get(body, "Hostname")), "h");
	ASSERT_INT_EQ(json_integer_value(json_object_get(body, "StopTimeout")), 7);
	ASSERT(json_is_true(json_object_get(body, "Tty")));
	ASSERT_INT_EQ(json_integer_value(json_object_get(host, "Memory")),
	    128LL << 20);
	ASSERT_INT_EQ(json_integer_value(json_object_get(host,
	    "MemoryReservation")), 64LL << 20);
	ASSERT_INT_EQ(json_integer_value(json_object_get(host, "CpuShares")), 2);
	ASSERT(json_is_true(json_object_get(host, "ReadonlyRootfs")));
	ASSERT(json_is_true(json_object_get(host, "Privileged")));
	ASSERT(json_is_true(json_object_get(host, "Init")));
	ASSERT_STR_EQ(json_string_value(json_object_get(host, "NetworkMode")),
	    "bridge");
	/* labels: ours win over dockerLabels, theirs are kept */
	ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(body,
	    "Labels"), "com.amazonaws.ecs.cluster")), t.cluster_arn);
	ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(body,
	    "Labels"), "team")), "a");
	ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(body,
	    "Labels"), "com.amazonaws.ecs.task-definition-version")), "3");
	/* ports: dynamic = empty HostPort; udp kept */
	ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(
	    json_object_get(json_object_get(host, "PortBindings"), "80/tcp"), 0),
	    "HostPort")), "");
	ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(
	    json_object_get(json_object_get(host, "PortBindings"), "53/udp"), 0),
	    "HostPort")), "5353");
	ASSERT_NOT_NULL(json_object_get(json_object_get(body, "ExposedPorts"),
	    "80/tcp"));
	ASSERT(strncmp(json_string_value(json_array_get(json_object_get(host,
	    "Links"), 0)), "ecs-web-3-db-", 13) == 0);
	ASSERT(strstr(json_string_value(json_array_get(json_object_get(host,
	    "Links"), 0)), ":database") != NULL);
	ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(host,
	    "ExtraHosts"), 0)), "x:1.2.3.4");
	ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(host,
	    "Dns"), 0)), "9.9.9.9");
	ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(
	    json_object_get(host, "Ulimits"), 0), "Name")), "nofile");
	ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(host,
	    "Sysctls"), "net.core.somaxconn")), "511");
	ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(host,
	    "CapAdd"), 0)), "NET_ADMIN");
	ASSERT_INT_EQ(json_integer_value(json_object_get(host, "ShmSize")),
	    64LL << 20);
	ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(host,
	    "Tmpfs"), "/t")), "size=16m,noexec");
	ASSERT_INT_EQ(json_integer_value(json_object_get(json_object_get(body,
	    "Healthcheck"), "Interval")), 5000000000LL);
	ASSERT_INT_EQ(json_integer_value(json_object_get(json_object_get(body,
	    "Healthcheck"), "Retries")), 2);
	ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(host,
	    "LogConfig"), "Type")), "json-file");
	ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(body,
	    "Labels"), "ecsd.awslogs-group")), "/ecs/web");
	ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(body,
	    "Labels"), "ecsd.awslogs-stream")),
	    "ecs/web/0123456789abcdef0123456789abcdef");
	json_decref(body);
	json_decref(def);
}

TEST(spec_environment_precedence_and_secrets)
{
	char path[] = "/tmp/ecsd-envfile-XXXXXX";
	int fd = mkstemp(path);
	json_t *def, *body = NULL;
	struct spec_task t;
	char *err = NULL, *text;

	ASSERT(fd >= 0);
	ASSERT(write(fd, "# comment\nA=file\nB=file\n\n", 25) == 25);
	close(fd);
	xasprintf(&text, "{\"containerDefinitions\":[{\"name\":\"c\",\"image\":"
	    "\"i\",\"environmentFiles\":[{\"value\":\"%s\",\"type\":\"s3\"}],"
	    "\"environment\":[{\"name\":\"B\",\"value\":\"env\"},{\"name\":"
	    "\"AWS_REGION\",\"value\":\"mine\"}],\"secrets\":[{\"name\":\"S\","
	    "\"valueFrom\":\"arn:aws:secretsmanager:us-east-1:1:secret:db\"}]}]}",
	    path);
	def = load(text);
	free(text);
	t = task(def, "bridge");
	t.env_extra = load("{\"AWS_REGION\":\"us-east-1\",\"AWS_EXECUTION_ENV\":"
	    "\"AWS_ECS_EC2\"}");
	t.secrets = load("{\"arn:aws:secretsmanager:us-east-1:1:secret:db\":"
	    "\"hunter2\"}");
	ASSERT_INT_EQ(spec_container(&t, json_array_get(t.containers, 0), &body,
	    &err), 0);
	ASSERT_STR_EQ(env_of(body, "A"), "file");
	ASSERT_STR_EQ(env_of(body, "B"), "env");
	ASSERT_STR_EQ(env_of(body, "AWS_REGION"), "mine");
	ASSERT_STR_EQ(env_of(body, "AWS_EXECUTION_ENV"), "AWS_ECS_EC2");
	ASSERT_STR_EQ(env_of(body, "S"), "hunter2");
	json_decref(body);
	/* an unknown secret fails the container with a reason */
	json_object_clear(t.secrets);
	ASSERT_INT_EQ(spec_container(&t, json_array_get(t.containers, 0), &body,
	    &err), -1);
	ASSERT(strstr(err, "ResourceInitializationError") != NULL);
	free(err);
	unlink(path);
	json_decref(t.secrets);
	json_decref(t.env_extra);
	json_decref(def);
}

TEST(spec_s3_environment_file_fails_clearly)
{
	json_t *def = load("{\"containerDefinitions\":[{\"name\":\"c\",\"image\":"
	    "\"i\",\"environmentFiles\":[{\"value\":\"arn:aws:s3:::b/x.env\","
	    "\"type\":\"s3\"}]}]}");
	struct spec_task t = task(def, "bridge");
	json_t *body = NULL;
	char *err = NULL;

	ASSERT_INT_EQ(spec_container(&t, json_array_get(t.containers, 0), &body,
	    &err), -1);
	ASSERT(strstr(err, "local paths only") != NULL);
	ASSERT_NULL(body);
	free(err);
	json_decref(def);
}

TEST(spec_awsvpc_joins_the_pause_container)
{
	json_t *def = load("{\"networkMode\":\"awsvpc\",\"containerDefinitions\":"
	    "[{\"name\":\"a\",\"image\":\"i\",\"hostname\":\"h1\",\"portMappings\":"
	    "[{\"containerPort\":8080,\"hostPort\":8080}],\"dnsServers\":"
	    "[\"1.1.1.1\"]}]}");
	struct spec_task t = task(def, "awsvpc");
	json_t *body, *pause;
	char *err = NULL;

	t.pause_id = "abc123";
	ASSERT_INT_EQ(spec_container(&t, json_array_get(t.containers, 0), &body,
	    &err), 0);
	ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(body,
	    "HostConfig"), "NetworkMode")), "container:abc123");
	ASSERT_NULL(json_object_get(json_object_get(body, "HostConfig"),
	    "PortBindings"));
	ASSERT_NULL(json_object_get(body, "Hostname"));
	ASSERT_NULL(json_object_get(json_object_get(body, "HostConfig"), "Dns"));
	pause = spec_pause(&t);
	ASSERT_STR_EQ(json_string_value(json_object_get(pause, "Image")),
	    PAUSE_IMAGE);
	ASSERT_STR_EQ(json_string_value(json_object_get(pause, "Hostname")), "h1");
	ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(
	    json_object_get(pause, "HostConfig"), "Dns"), 0)), "1.1.1.1");
	ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(pause,
	    "Labels"), LABEL_CONTAINER)), PAUSE_NAME);
	json_decref(pause);
	json_decref(body);
	json_decref(def);
}

TEST(spec_volumes_and_mounts)
{
	json_t *def = load("{\"volumes\":[{\"name\":\"scratch\"},{\"name\":"
	    "\"data\",\"host\":{\"sourcePath\":\"/srv/data\"}},{\"name\":"
	    "\"shared\",\"dockerVolumeConfiguration\":{\"scope\":\"shared\","
	    "\"autoprovision\":true,\"driver\":\"local\"}},{\"name\":\"efs\","
	    "\"efsVolumeConfiguration\":{\"fileSystemId\":\"fs-1\"}}],"
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"i\","
	    "\"mountPoints\":[{\"sourceVolume\":\"scratch\",\"containerPath\":"
	    "\"/s\"},{\"sourceVolume\":\"data\",\"containerPath\":\"/d\","
	    "\"readOnly\":true},{\"sourceVolume\":\"shared\",\"containerPath\":"
	    "\"/sh\"}],\"volumesFrom\":[{\"sourceContainer\":\"b\",\"readOnly\":"
	    "true}]},{\"name\":\"b\",\"image\":\"i\",\"mountPoints\":[{"
	    "\"sourceVolume\":\"efs\",\"containerPath\":\"/e\"}]}]}");
	struct spec_task t = task(def, "bridge");
	json_t *body, *mounts, *vols;
	char *err = NULL;

	ASSERT_INT_EQ(spec_container(&t, json_array_get(t.containers, 0), &body,
	    &err), 0);
	mounts = json_object_get(json_object_get(body, "HostConfig"), "Mounts");
	ASSERT_INT_EQ(json_array_size(mounts), 3);
	ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(mounts,
	    0), "Type")), "volume");
	ASSERT(strstr(json_string_value(json_object_get(json_array_get(mounts,
	    0), "Source")), t.task_id) != NULL);
	ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(mounts,
	    1), "Source")), "/srv/data");
	ASSERT(json_is_true(json_object_get(json_array_get(mounts, 1),
	    "ReadOnly")));
	ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(mounts,
	    2), "Source")), "shared");
	ASSERT(strstr(json_string_value(json_array_get(json_object_get(
	    json_object_get(body, "HostConfig"), "VolumesFrom"), 0)), ":ro")
	    != NULL);
	json_decref(body);
	/* a host path outside the allowed roots fails right before the mount */
	t.bind_roots = "/var/lib/ecsd-volumes";
	ASSERT_INT_EQ(spec_container(&t, json_array_get(t.containers, 0), &body,
	    &err), -1);
	ASSERT(strstr(err, "--allowed-bind-roots") != NULL);
	free(err);
	t.bind_roots = NULL;
	/* EFS cannot be honoured locally */
	ASSERT_INT_EQ(spec_container(&t, json_array_get(t.containers, 1), &body,
	    &err), -1);
	ASSERT(strstr(err, "EFS") != NULL);
	free(err);
	vols = spec_volumes(&t);
	ASSERT_INT_EQ(json_array_size(vols), 2);
	ASSERT(!json_is_true(json_object_get(json_array_get(vols, 0), "shared")));
	ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(
	    json_object_get(json_array_get(vols, 0), "body"), "Labels"),
	    LABEL_TASK_ARN)), t.task_arn);
	ASSERT(json_is_true(json_object_get(json_array_get(vols, 1), "shared")));
	ASSERT(json_is_true(json_object_get(json_array_get(vols, 1),
	    "autoprovision")));
	json_decref(vols);
	json_decref(def);
}

/* --allowed-bind-roots is checked again at create: a directory under an
 * allowed root that became a symbolic link to elsewhere since RunTask is
 * refused, and an allowed path reaches Docker resolved. */
TEST(spec_bind_roots_checked_again_at_create)
{
	char root[] = "/tmp/ecsd-spec-XXXXXX", dir[64], link[64], real[64];
	char defs[1024];
	json_t *def, *body = NULL, *mounts, *vols;
	struct spec_task t;
	char *err = NULL;

	ASSERT(mkdtemp(root) != NULL);
	snprintf(dir, sizeof dir, "%s/data", root);
	snprintf(link, sizeof link, "%s/swapped", root);
	ASSERT_INT_EQ(mkdir(dir, 0700), 0);
	ASSERT_INT_EQ(symlink("/etc", link), 0);
	snprintf(defs, sizeof defs, "{\"volumes\":[{\"name\":\"ok\",\"host\":"
	    "{\"sourcePath\":\"%s/./data\"}},{\"name\":\"bad\",\"host\":"
	    "{\"sourcePath\":\"%s\"}},{\"name\":\"dev\","
	    "\"dockerVolumeConfiguration\":{\"driver\":\"local\",\"driverOpts\":"
	    "{\"type\":\"none\",\"o\":\"bind\",\"device\":\"%s\"}}}],"
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"i\","
	    "\"mountPoints\":[{\"sourceVolume\":\"ok\",\"containerPath\":\"/d\"}]},"
	    "{\"name\":\"b\",\"image\":\"i\",\"mountPoints\":[{\"sourceVolume\":"
	    "\"bad\",\"containerPath\":\"/d\"}]}]}", root, link, link);
	def = load(defs);
	t = task(def, "bridge");
	t.bind_roots = root;
	ASSERT_INT_EQ(spec_container(&t, json_array_get(t.containers, 0), &body,
	    &err), 0);
	mounts = json_object_get(json_object_get(body, "HostConfig"), "Mounts");
	ASSERT(realpath(dir, real) != NULL);
	ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(mounts,
	    0), "Source")), real);
	json_decref(body);
	body = NULL;
	ASSERT_INT_EQ(spec_container(&t, json_array_get(t.containers, 1), &body,
	    &err), -1);
	ASSERT(strstr(err, "ResourceInitializationError") != NULL);
	ASSERT(strstr(err, "outside --allowed-bind-roots") != NULL);
	free(err);
	vols = spec_volumes(&t);
	ASSERT_INT_EQ(json_array_size(vols), 1);
	ASSERT(strstr(json_string_value(json_object_get(json_array_get(vols, 0),
	    "refused")), "outside --allowed-bind-roots") != NULL);
	json_decref(vols);
	/* without roots every path goes as written, nothing refused */
	t.bind_roots = NULL;
	vols = spec_volumes(&t);
	ASSERT(json_object_get(json_array_get(vols, 0), "refused") == NULL);
	json_decref(vols);
	ASSERT_INT_EQ(spec_container(&t, json_array_get(t.containers, 1), &body,
	    &err), 0);
	json_decref(body);
	json_decref(def);
	unlink(link);
	rmdir(dir);
	rmdir(root);
}
