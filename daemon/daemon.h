/*
 * daemon.h - the daemon part: configuration (options as a table), logging,
 * the out-of-memory-is-fatal allocator and small utilities every part uses.
 */
#ifndef ECSD_DAEMON_H
#define ECSD_DAEMON_H

#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#define ECSD_VERSION "0.1.0"
#define ECSD_DEFAULT_PORT 4599

struct config {
	char *listen;          /* address to bind, 127.0.0.1 unless told */
	int port;              /* TCP port of the ECS endpoint */
	char *data_dir;        /* where ecsd.db lives */
	char *region;          /* region of unsigned requests */
	char *account;         /* 12-digit account id of every ARN */
	char *log_level;       /* error, warn, info, debug */
	int max_body;          /* request body cap in bytes */
	int max_connections;   /* concurrent HTTP connections */
	int conn_timeout;      /* seconds an idle or slow connection may live */
	int check_output;      /* validate every response against the model */
	int allow_remote;      /* listening beyond loopback was asked for */
	char *docker_host;     /* Docker endpoint: unix:///path or tcp://host:port */
	char *secrets_file;    /* JSON object: secret ARN or name -> value */
	int task_retention;    /* seconds a STOPPED task stays describable */
	int container_retention; /* seconds before a stopped task's containers go */
	int reconcile_ms;      /* period of the scheduler's safety-net pass */
	char *auth_keys;       /* JSON file of SigV4 access keys; "" = no check */
	int deny_privileged;   /* refuse privileged and host-reaching tasks */
	char *bind_roots;      /* colon-separated host paths binds may use; "" = any */
	int deny_host_network; /* refuse networkMode host */
};

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* options.c */
int options_parse(struct config *, int, char **, char **);
void options_usage(FILE *);
void options_free(struct config *);

/* log.c */
extern enum log_level log_level;
int log_set_level(const char *);
void log_msg(enum log_level, const char *, ...)
    __attribute__((format(printf, 2, 3)));
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) \
	do { if (log_level >= LOG_DEBUG) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)

/* xmalloc.c */
void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
int xasprintf(char **, const char *, ...) __attribute__((format(printf, 2, 3)));
void xjson_init(void);

/* util.c */
double now_epoch(void);
void random_hex(char *, size_t);
void uuid4(char *);
int mkdir_p(const char *);

#endif
