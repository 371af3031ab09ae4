/*
 * account_settings.c - PutAccountSetting, PutAccountSettingDefault,
 * DeleteAccountSetting and ListAccountSettings, and the effective value
 * other operations read (account_setting_effective).
 *
 * A setting's effective value for a principal is, first found wins:
 *
 *   the principal's own value ──> the account default ──> AWS's default
 *   (PutAccountSetting with         (PutAccountSettingDefault, or the
 *    principalArn of a user/role)     root user's own PutAccountSetting)
 *
 * ecsd has no IAM: every caller is the account's root user,
 * arn:aws:iam::<account>:root. So a PutAccountSetting without principalArn
 * sets the account default, exactly as it does for a root caller in AWS.
 * Settings are kept per (account, region), like everything else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

#define SET_ROOT_ONLY   0x1   /* only the root user (account default) */
#define SET_AWS_MANAGED 0x2   /* read-only: AWS sets it (type aws_managed) */
#define SET_NO_DISABLE  0x4   /* "disabled" is refused: long ARNs for good */

/*
 * Every setting of the model's SettingName enum, sorted by name (the order
 * ListAccountSettings answers in), with the values ECS accepts and the
 * value AWS gives an account that never set it.
 */
static const struct setting {
	const char *name;
	const char *values[4];    /* accepted values, NULL-terminated */
	const char *def;          /* AWS's default */
	unsigned flags;
} settings[] = {
	{ "awsvpcTrunking", { "enabled", "disabled" }, "disabled", 0 },
	{ "containerInsights", { "enabled", "disabled", "enhanced" },
	  "disabled", 0 },
	{ "containerInstanceLongArnFormat", { "enabled", "disabled" },
	  "enabled", SET_NO_DISABLE },
	/* non-blocking since 25 June 2025; blocking before. */
	{ "defaultLogDriverMode", { "blocking", "non-blocking" },
	  "non-blocking", 0 },
	{ "fargateEventWindows", { "enabled", "disabled" }, "disabled", 0 },
	{ "fargateFIPSMode", { "enabled", "disabled" }, "disabled",
	  SET_ROOT_ONLY },
	{ "fargateTaskRetirementWaitPeriod", { "0", "7", "14" }, "7",
	  SET_ROOT_ONLY },
	{ "guardDutyActivate", { "on", "off" }, "off", SET_AWS_MANAGED },
	{ "serviceLongArnFormat", { "enabled", "disabled" }, "enabled",
	  SET_NO_DISABLE },
	{ "tagResourceAuthorization", { "on", "off" }, "on", 0 },
	{ "taskLongArnFormat", { "enabled", "disabled" }, "enabled",
	  SET_NO_DISABLE },
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

#define MAX_PAGE 10

static const struct setting *
setting_find(const char *name)
{
	for (size_t i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].name, name) == 0)
			return &settings[i];
	return NULL;
}

static int
value_accepted(const struct setting *s, const char *value)
{
	for (int i = 0; s->values[i] != NULL; i++)
		if (strcmp(s->values[i], value) == 0)
			return 1;
	return 0;
}

/* arn:aws:iam::<account>:root, on the heap. */
static char *
root_arn(struct req *r)
{
	char *s;

	xasprintf(&s, "arn:aws:iam::%s:root", r->part.account);
	return s;
}

/*
 * The principal a request names, as the store keys it: "" for the root
 * user (whose settings are the account default), else the IAM ARN of a
 * user or role of the caller's account. No principalArn means the caller,
 * who is the root user. Returns 0, or -1 with InvalidParameterException.
 */
static int
principal_of(struct req *r, const char **out)
{
	const char *arn = in_str(r, "principalArn");
	char prefix[64];
	size_t plen;

	*out = "";
	if (arn == NULL)
		return 0;
	plen = (size_t)snprintf(prefix, sizeof prefix, "arn:aws:iam::%s:",
	    r->part.account);
	if (strncmp(arn, prefix, plen) == 0) {
		const char *rest = arn + plen;

		if (strcmp(rest, "root") == 0)
			return 0;
		if ((strncmp(rest, "user/", 5) == 0 && rest[5] != '\0') ||
		    (strncmp(rest, "role/", 5) == 0 && rest[5] != '\0')) {
			*out = arn;
			return 0;
		}
	}
	return api_fail(r, ECS_ERR_INVALID_PARAMETER, "principalArn '%.256s' is "
	    "not valid: it must be the ARN of an IAM user, an IAM role or the "
	    "root user (arn:aws:iam::%s:root) of this account.", arn,
	    r->part.account);
}

/* A Setting object: principal "" is shown as the root user's ARN. */
static json_t *
setting_json(struct req *r, const struct setting *s, const char *value,
    const char *principal)
{
	char *root = *principal == '\0' ? root_arn(r) : NULL;
	json_t *o;

	o = json_pack("{s:s, s:s, s:s, s:s}", "name", s->name, "value", value,
	    "principalArn", root != NULL ? root : principal,
	    "type", (s->flags & SET_AWS_MANAGED) ? "aws_managed" : "user");
	free(root);
	return o;
}

/*
 * The effective value of s for principal (heap) and, in *from, the
 * principal it comes from: principal itself when it set it, else "" (the
 * account default, or AWS's default under the root user's name).
 */
static char *
effective_value(struct req *r, const struct setting *s,
    const char *principal, const char **from)
{
	char *v = NULL;

	*from = principal;
	if (*principal != '\0')
		v = store_setting_get(r->store, &r->part, principal, s->name);
	if (v != NULL)
		return v;
	*from = "";
	v = store_setting_get(r->store, &r->part, "", s->name);
	return v != NULL ? v : xstrdup(s->def);
}

/*
 * The value of the setting called name that applies to the caller (the
 * root user) in its region, into out. Returns 0, or -1 for a name that is
 * not a setting. For other operations: containerInsights at CreateCluster,
 * defaultLogDriverMode when a task starts, and so on.
 */
int
account_setting_effective(struct req *r, const char *name, char *out,
    size_t size)
{
	const struct setting *s = setting_find(name);
	const char *from;
	char *v;

	if (s == NULL || size == 0)
		return -1;
	v = effective_value(r, s, "", &from);
	snprintf(out, size, "%s", v);
	free(v);
	return 0;
}

/* The checks PutAccountSetting and PutAccountSettingDefault share. */
static int
put_check(struct req *r, const struct setting *s, const char *value,
    const char *principal)
{
	if (s->flags & SET_AWS_MANAGED)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "%s is managed by "
		    "AWS and cannot be changed: it shows whether Amazon GuardDuty "
		    "Runtime Monitoring is turned on for the account.", s->name);
	if (!value_accepted(s, value)) {
		char list[128] = "";
		size_t off = 0;

		for (int i = 0; s->values[i] != NULL && off < sizeof list; i++)
			off += (size_t)snprintf(list + off, sizeof list - off, "%s%s",
			    i ? ", " : "", s->values[i]);
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "'%.64s' is not a "
		    "valid value for %s: it accepts %s.", value, s->name, list);
	}
	if ((s->flags & SET_NO_DISABLE) && strcmp(value, "disabled") == 0)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER,
		    "You can no longer disable Long Arn settings");
	if ((s->flags & SET_ROOT_ONLY) && *principal != '\0')
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "%s can only be set "
		    "for the whole account, by the root user: leave principalArn "
		    "out or name the root user.", s->name);
	return 0;
}

static int
put_setting(struct req *r, const char *principal)
{
	const struct setting *s = setting_find(in_str(r, "name"));
	const char *value = in_str(r, "value");

	if (s == NULL)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER,
		    "Unknown account setting name.");
	if (put_check(r, s, value, principal) != 0)
		return -1;
	if (store_setting_put(r->store, &r->part, principal, s->name, value) !=
	    STORE_OK)
		return api_fail(r, ECS_ERR_SERVER, "The setting could not be saved.");
	json_object_set_new(r->out, "setting", setting_json(r, s, value,
	    principal));
	return 0;
}

/* PutAccountSetting: for principalArn, or the caller (the root user). */
int
op_put_account_setting(struct req *r)
{
	const char *principal;

	if (principal_of(r, &principal) != 0)
		return -1;
	return put_setting(r, principal);
}

/* PutAccountSettingDefault: the account default, for everyone not set. */
int
op_put_account_setting_default(struct req *r)
{
	return put_setting(r, "");
}

/*
 * DeleteAccountSetting: forgets principal's own value, so the account
 * default (or for the root user, AWS's default) applies again. Answers
 * with the value that was deleted, or the one in force when there was none.
 */
int
op_delete_account_setting(struct req *r)
{
	const struct setting *s = setting_find(in_str(r, "name"));
	const char *principal, *from;
	char *old;

	if (s == NULL)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER,
		    "Unknown account setting name.");
	if (principal_of(r, &principal) != 0)
		return -1;
	if (s->flags & SET_AWS_MANAGED)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "%s is managed by "
		    "AWS and cannot be deleted.", s->name);
	old = store_setting_get(r->store, &r->part, principal, s->name);
	if (old != NULL && store_setting_delete(r->store, &r->part, principal,
	    s->name) == STORE_ERR) {
		free(old);
		return api_fail(r, ECS_ERR_SERVER,
		    "The setting could not be deleted.");
	}
	if (old == NULL)
		old = effective_value(r, s, principal, &from);
	json_object_set_new(r->out, "setting", setting_json(r, s, old,
	    principal));
	free(old);
	return 0;
}

/* The explicit value principal set for s, if any, as in the store's list. */
static const char *
explicit_value(json_t *rows, const struct setting *s)
{
	json_t *row;
	size_t i;

	json_array_foreach(rows, i, row) {
		if (strcmp(json_string_value(json_object_get(row, "name")),
		    s->name) == 0)
			return json_string_value(json_object_get(row, "value"));
	}
	return NULL;
}

/*
 * ListAccountSettings: without effectiveSettings, what the principal set
 * itself; with it, every setting's effective value. Filtered by name and
 * value, sorted by name, at most maxResults (1-10, default 10) a page. The
 * page token carries the last name shown.
 */
int
op_list_account_settings(struct req *r)
{
	const char *name = in_str(r, "name");
	const char *value = in_str(r, "value");
	int effective = in_bool(r, "effectiveSettings", 0);
	const char *principal;
	json_t *mine, *list;
	char *after = NULL;
	int max, n = 0;
	size_t i;

	if (value != NULL && name == NULL)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER, "You must also "
		    "specify an account setting name to filter by value.");
	if (in_max_results(r, MAX_PAGE, MAX_PAGE, &max) != 0 ||
	    principal_of(r, &principal) != 0 ||
	    page_token_read(r, in_str(r, "nextToken"), &after) != 0)
		return -1;
	mine = store_settings_list(r->store, &r->part, principal, name);
	list = json_array();
	for (i = 0; i < NSETTINGS; i++) {
		const struct setting *s = &settings[i];
		const char *from = principal;
		const char *v = explicit_value(mine, s);
		char *ev = NULL;

		if ((name != NULL && strcmp(name, s->name) != 0) ||
		    (after != NULL && strcmp(s->name, after) <= 0))
			continue;
		if (v == NULL && effective) {
			ev = effective_value(r, s, principal, &from);
			v = ev;
		}
		if (v == NULL || (value != NULL && strcmp(value, v) != 0)) {
			free(ev);
			continue;
		}
		if (n == max) {
			char *token = page_token_make(json_string_value(json_object_get(
			    json_array_get(list, (size_t)n - 1), "name")));

			json_object_set_new(r->out, "nextToken", json_string(token));
			free(token);
			free(ev);
			break;
		}
		json_array_append_new(list, setting_json(r, s, v, from));
		n++;
		free(ev);
	}
	json_object_set_new(r->out, "settings", list);
	json_decref(mine);
	free(after);
	return 0;
}
