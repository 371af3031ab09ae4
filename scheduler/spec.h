/*
 * spec.h - turning an ECS task into Docker Engine API bodies: container
 * names and labels as the ECS agent makes them, container create bodies for
 * every containerDefinitions field Docker can honour, the awsvpc pause
 * container, and task-scoped volumes. Pure functions of their input (plus
 * reading local environment files), so unit tests need no engine.
 */
#ifndef ECSD_SPEC_H
#define ECSD_SPEC_H

#include <jansson.h>

#define PAUSE_IMAGE "ecsd/pause:latest"
#define LABEL_TASK_ARN "com.amazonaws.ecs.task-arn"
#define LABEL_CONTAINER "com.amazonaws.ecs.container-name"
#define LABEL_FAMILY "com.amazonaws.ecs.task-definition-family"
#define LABEL_VERSION "com.amazonaws.ecs.task-definition-version"
#define LABEL_CLUSTER "com.amazonaws.ecs.cluster"
#define LABEL_OWNER "ecsd.owner"          /* the ecsd store that owns it */
#define PAUSE_NAME "~internal~ecs~pause"  /* the agent's name for it */

/* What a task's containers have in common. */
struct spec_task {
	const char *task_arn;
	const char *task_id;      /* 32 hex */
	const char *cluster_arn;
	const char *family;
	int revision;
	const char *region;
	const char *launch_type;  /* EC2, FARGATE, EXTERNAL */
	const char *network_mode; /* bridge, host, none, awsvpc */
	const char *owner;        /* ecsd instance id for LABEL_OWNER */
	const char *pause_id;     /* awsvpc: the pause container's Docker id */
	json_t *definition;       /* the task definition document */
	json_t *containers;       /* effective container definitions */
	json_t *secrets;          /* name or ARN -> value, or NULL */
	json_t *env_extra;        /* object of variables injected everywhere */
	const char *bind_roots;   /* --allowed-bind-roots, checked again right
	                             before a create; NULL or "": any path */
};

char *spec_docker_name(const struct spec_task *, const char *container);
char *spec_volume_name(const struct spec_task *, const char *volume);
char *spec_image(const char *);
int spec_container(const struct spec_task *, json_t *cdef, json_t **body,
    char **err);
json_t *spec_pause(const struct spec_task *);
json_t *spec_volumes(const struct spec_task *);
json_t *spec_labels(const struct spec_task *, const char *container);
long long spec_stop_timeout(json_t *cdef);

#endif
