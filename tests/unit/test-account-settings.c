/*
 * test-account-settings.c - PutAccountSetting, PutAccountSettingDefault,
 * DeleteAccountSetting and ListAccountSettings through the real dispatch:
 * AWS's defaults, accepted values, principals, effective values, paging,
 * regions kept apart, and account_setting_effective for other operations.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../../api/api.h"
#include "unit.h"

#define ROOT "arn:aws:iam::123456789012:root"
#define USER "arn:aws:iam::123456789012:user/alice"

static int status;            /* HTTP status of the last call */

static json_t *
call(const char *op, const char *region, const char *fmt, ...)
{
	char body[2048];
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
expect_error(json_t *doc, const char *type, const char *msg)
{
	ASSERT_INT_EQ(status, 400);
	ASSERT_STR_EQ(unit_error_type(doc), type);
	if (msg != NULL)
		ASSERT_STR_EQ(json_string_value(json_object_get(doc, "message")),
		    msg);
	json_decref(doc);
}

static const char *
member(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* The value of setting name in a ListAccountSettings answer, or NULL. */
static const char *
value_in(json_t *doc, const char *name, const char **principal)
{
	json_t *s;
	size_t i;

	json_array_foreach(json_object_get(doc, "settings"), i, s) {
		if (strcmp(member(s, "name"), name) == 0) {
			if (principal != NULL)
				*principal = member(s, "principalArn");
			return member(s, "value");
		}
	}
	return NULL;
}

/* Every effective setting, following nextToken. */
static json_t *
effective_all(const char *region, const char *principal)
{
	json_t *all = json_object(), *list = json_array();
	char *token = NULL;

	json_object_set_new(all, "settings", list);
	do {
		char extra[512] = "";
		json_t *doc;

		if (principal != NULL)
			snprintf(extra, sizeof extra, ",\"principalArn\":\"%s\"",
			    principal);
		if (token != NULL)
			snprintf(extra + strlen(extra), sizeof extra - strlen(extra),
			    ",\"nextToken\":\"%s\"", token);
		doc = ok(call("ListAccountSettings", region,
		    "{\"effectiveSettings\":true%s}", extra));
		free(token);
		token = NULL;
		json_array_extend(list, json_object_get(doc, "settings"));
		if (member(doc, "nextToken") != NULL)
			token = strdup(member(doc, "nextToken"));
		json_decref(doc);
	} while (token != NULL);
	return all;
}

TEST(settings_aws_defaults)
{
	static const char *const want[][2] = {
		{ "awsvpcTrunking", "disabled" },
		{ "containerInsights", "disabled" },
		{ "containerInstanceLongArnFormat", "enabled" },
		{ "defaultLogDriverMode", "non-blocking" },
		{ "fargateEventWindows", "disabled" },
		{ "fargateFIPSMode", "disabled" },
		{ "fargateTaskRetirementWaitPeriod", "7" },
		{ "guardDutyActivate", "off" },
		{ "serviceLongArnFormat", "enabled" },
		{ "tagResourceAuthorization", "on" },
		{ "taskLongArnFormat", "enabled" },
	};
	json_t *all, *s, *doc;
	size_t i;

	unit_store_setup();
	/* Nothing set explicitly: the plain listing is empty. */
	doc = ok(call("ListAccountSettings", "us-east-1", "{}"));
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "settings")), 0);
	ASSERT_NULL(json_object_get(doc, "nextToken"));
	json_decref(doc);
	all = effective_all("us-east-1", NULL);
	ASSERT_INT_EQ(json_array_size(json_object_get(all, "settings")), 11);
	json_array_foreach(json_object_get(all, "settings"), i, s) {
		ASSERT_STR_EQ(member(s, "name"), want[i][0]);
		ASSERT_STR_EQ(member(s, "value"), want[i][1]);
		ASSERT_STR_EQ(member(s, "principalArn"), ROOT);
		ASSERT_STR_EQ(member(s, "type"), strcmp(want[i][0],
		    "guardDutyActivate") == 0 ? "aws_managed" : "user");
	}
	json_decref(all);
}

TEST(settings_pages_of_ten)
{
	json_t *doc, *next;
	char token[512];

	unit_store_setup();
	doc = ok(call("ListAccountSettings", "us-east-1",
	    "{\"effectiveSettings\":true}"));
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "settings")), 10);
	ASSERT_NOT_NULL(member(doc, "nextToken"));
	snprintf(token, sizeof token, "%s", member(doc, "nextToken"));
	json_decref(doc);
	next = ok(call("ListAccountSettings", "us-east-1",
	    "{\"effectiveSettings\":true,\"nextToken\":\"%s\"}", token));
	ASSERT_INT_EQ(json_array_size(json_object_get(next, "settings")), 1);
	ASSERT_STR_EQ(value_in(next, "taskLongArnFormat", NULL), "enabled");
	ASSERT_NULL(json_object_get(next, "nextToken"));
	json_decref(next);
	doc = ok(call("ListAccountSettings", "us-east-1",
	    "{\"effectiveSettings\":true,\"maxResults\":3}"));
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "settings")), 3);
	json_decref(doc);
	expect_error(call("ListAccountSettings", "us-east-1",
	    "{\"maxResults\":11}"), "InvalidParameterException", NULL);
	expect_error(call("ListAccountSettings", "us-east-1",
	    "{\"maxResults\":0}"), "InvalidParameterException", NULL);
	expect_error(call("ListAccountSettings", "us-east-1",
	    "{\"nextToken\":\"garbage!\"}"), "InvalidParameterException", NULL);
}

TEST(settings_put_and_default)
{
	json_t *doc, *s;

	unit_store_setup();
	doc = ok(call("PutAccountSetting", "us-east-1",
	    "{\"name\":\"containerInsights\",\"value\":\"enhanced\"}"));
	s = json_object_get(doc, "setting");
	ASSERT_STR_EQ(member(s, "name"), "containerInsights");
	ASSERT_STR_EQ(member(s, "value"), "enhanced");
	/* ecsd's caller is the root user: its setting is the account's. */
	ASSERT_STR_EQ(member(s, "principalArn"), ROOT);
	ASSERT_STR_EQ(member(s, "type"), "user");
	json_decref(doc);
	doc = ok(call("ListAccountSettings", "us-east-1", "{}"));
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "settings")), 1);
	ASSERT_STR_EQ(value_in(doc, "containerInsights", NULL), "enhanced");
	json_decref(doc);
	doc = ok(call("PutAccountSettingDefault", "us-east-1",
	    "{\"name\":\"awsvpcTrunking\",\"value\":\"enabled\"}"));
	ASSERT_STR_EQ(member(json_object_get(doc, "setting"), "principalArn"),
	    ROOT);
	json_decref(doc);
	doc = ok(call("ListAccountSettings", "us-east-1", "{\"name\":"
	    "\"awsvpcTrunking\",\"principalArn\":\"" ROOT "\"}"));
	ASSERT_STR_EQ(value_in(doc, "awsvpcTrunking", NULL), "enabled");
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "settings")), 1);
	json_decref(doc);
	/* Filter by value (needs a name). */
	doc = ok(call("ListAccountSettings", "us-east-1", "{\"name\":"
	    "\"awsvpcTrunking\",\"value\":\"disabled\",\"effectiveSettings\":"
	    "true}"));
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "settings")), 0);
	json_decref(doc);
	expect_error(call("ListAccountSettings", "us-east-1",
	    "{\"value\":\"enabled\"}"), "InvalidParameterException", NULL);
}

TEST(settings_values_checked)
{
	unit_store_setup();
	expect_error(call("PutAccountSetting", "us-east-1", "{\"name\":"
	    "\"containerInsights\",\"value\":\"on\"}"),
	    "InvalidParameterException", NULL);
	expect_error(call("PutAccountSettingDefault", "us-east-1", "{\"name\":"
	    "\"tagResourceAuthorization\",\"value\":\"enabled\"}"),
	    "InvalidParameterException", NULL);
	expect_error(call("PutAccountSettingDefault", "us-east-1", "{\"name\":"
	    "\"fargateTaskRetirementWaitPeriod\",\"value\":\"3\"}"),
	    "InvalidParameterException", NULL);
	expect_error(call("PutAccountSettingDefault", "us-east-1", "{\"name\":"
	    "\"defaultLogDriverMode\",\"value\":\"enabled\"}"),
	    "InvalidParameterException", NULL);
	expect_error(call("PutAccountSetting", "us-east-1", "{\"name\":"
	    "\"serviceLongArnFormat\",\"value\":\"disabled\"}"),
	    "InvalidParameterException",
	    "You can no longer disable Long Arn settings");
	expect_error(call("PutAccountSetting", "us-east-1", "{\"name\":"
	    "\"guardDutyActivate\",\"value\":\"on\"}"),
	    "InvalidParameterException", NULL);
	expect_error(call("DeleteAccountSetting", "us-east-1", "{\"name\":"
	    "\"guardDutyActivate\"}"), "InvalidParameterException", NULL);
	/* Names outside the model's enum never reach the handler. */
	expect_error(call("PutAccountSetting", "us-east-1", "{\"name\":"
	    "\"dualStackIPv6\",\"value\":\"enabled\"}"),
	    "InvalidParameterException", NULL);
	expect_error(call("PutAccountSetting", "us-east-1", "{\"name\":"
	    "\"containerInsights\"}"), "InvalidParameterException", NULL);
	json_decref(ok(call("PutAccountSettingDefault", "us-east-1", "{\"name\":"
	    "\"fargateTaskRetirementWaitPeriod\",\"value\":\"14\"}")));
	json_decref(ok(call("PutAccountSettingDefault", "us-east-1", "{\"name\":"
	    "\"defaultLogDriverMode\",\"value\":\"blocking\"}")));
	json_decref(ok(call("PutAccountSettingDefault", "us-east-1", "{\"name\":"
	    "\"tagResourceAuthorization\",\"value\":\"off\"}")));
	json_decref(ok(call("PutAccountSetting", "us-east-1", "{\"name\":"
	    "\"taskLongArnFormat\",\"value\":\"enabled\"}")));
}

TEST(settings_principals)
{
	json_t *doc, *all;
	const char *from;

	unit_store_setup();
	json_decref(ok(call("PutAccountSettingDefault", "us-east-1",
	    "{\"name\":\"containerInsights\",\"value\":\"enabled\"}")));
	doc = ok(call("PutAccountSetting", "us-east-1", "{\"name\":"
	    "\"containerInsights\",\"value\":\"disabled\",\"principalArn\":"
	    "\"" USER "\"}"));
	ASSERT_STR_EQ(member(json_object_get(doc, "setting"), "principalArn"),
	    USER);
	json_decref(doc);
	/* The user's own listing holds what it set; the root's is apart. */
	doc = ok(call("ListAccountSettings", "us-east-1",
	    "{\"principalArn\":\"" USER "\"}"));
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "settings")), 1);
	ASSERT_STR_EQ(value_in(doc, "containerInsights", &from), "disabled");
	ASSERT_STR_EQ(from, USER);
	json_decref(doc);
	doc = ok(call("ListAccountSettings", "us-east-1", "{}"));
	ASSERT_STR_EQ(value_in(doc, "containerInsights", NULL), "enabled");
	json_decref(doc);
	/* Effective for the user: its own, else the account default. */
	json_decref(ok(call("PutAccountSettingDefault", "us-east-1",
	    "{\"name\":\"awsvpcTrunking\",\"value\":\"enabled\"}")));
	all = effective_all("us-east-1", USER);
	ASSERT_STR_EQ(value_in(all, "containerInsights", &from), "disabled");
	ASSERT_STR_EQ(from, USER);
	ASSERT_STR_EQ(value_in(all, "awsvpcTrunking", &from), "enabled");
	ASSERT_STR_EQ(from, ROOT);
	ASSERT_STR_EQ(value_in(all, "tagResourceAuthorization", &from), "on");
	json_decref(all);
	/* Deleting the user's setting: the default applies again. */
	doc = ok(call("DeleteAccountSetting", "us-east-1", "{\"name\":"
	    "\"containerInsights\",\"principalArn\":\"" USER "\"}"));
	ASSERT_STR_EQ(member(json_object_get(doc, "setting"), "value"),
	    "disabled");
	json_decref(doc);
	all = effective_all("us-east-1", USER);
	ASSERT_STR_EQ(value_in(all, "containerInsights", &from), "enabled");
	ASSERT_STR_EQ(from, ROOT);
	json_decref(all);
	/* Root-only settings, and principals that are not of this account. */
	expect_error(call("PutAccountSetting", "us-east-1", "{\"name\":"
	    "\"fargateTaskRetirementWaitPeriod\",\"value\":\"0\","
	    "\"principalArn\":\"" USER "\"}"), "InvalidParameterException", NULL);
	json_decref(ok(call("PutAccountSetting", "us-east-1", "{\"name\":"
	    "\"fargateTaskRetirementWaitPeriod\",\"value\":\"0\","
	    "\"principalArn\":\"" ROOT "\"}")));
	expect_error(call("PutAccountSetting", "us-east-1", "{\"name\":"
	    "\"containerInsights\",\"value\":\"enabled\",\"principalArn\":"
	    "\"arn:aws:iam::999999999999:user/bob\"}"),
	    "InvalidParameterException", NULL);
	expect_error(call("ListAccountSettings", "us-east-1", "{\"principalArn\":"
	    "\"arn:aws:sts::123456789012:assumed-role/r/s\"}"),
	    "InvalidParameterException", NULL);
	expect_error(call("DeleteAccountSetting", "us-east-1", "{\"name\":"
	    "\"containerInsights\",\"principalArn\":\"bob\"}"),
	    "InvalidParameterException", NULL);
}

TEST(settings_delete_root)
{
	json_t *doc, *all;

	unit_store_setup();
	json_decref(ok(call("PutAccountSetting", "us-east-1",
	    "{\"name\":\"containerInsights\",\"value\":\"enabled\"}")));
	doc = ok(call("DeleteAccountSetting", "us-east-1",
	    "{\"name\":\"containerInsights\"}"));
	ASSERT_STR_EQ(member(json_object_get(doc, "setting"), "value"),
	    "enabled");
	ASSERT_STR_EQ(member(json_object_get(doc, "setting"), "principalArn"),
	    ROOT);
	json_decref(doc);
	all = effective_all("us-east-1", NULL);
	ASSERT_STR_EQ(value_in(all, "containerInsights", NULL), "disabled");
	json_decref(all);
	/* Deleting what was never set answers with the value in force. */
	doc = ok(call("DeleteAccountSetting", "us-east-1",
	    "{\"name\":\"awsvpcTrunking\"}"));
	ASSERT_STR_EQ(member(json_object_get(doc, "setting"), "value"),
	    "disabled");
	json_decref(doc);
}

TEST(settings_regions_apart)
{
	json_t *all;
	char v[32];
	struct req r;

	unit_store_setup();
	json_decref(ok(call("PutAccountSettingDefault", "eu-west-1",
	    "{\"name\":\"containerInsights\",\"value\":\"enhanced\"}")));
	all = effective_all("us-east-1", NULL);
	ASSERT_STR_EQ(value_in(all, "containerInsights", NULL), "disabled");
	json_decref(all);
	all = effective_all("eu-west-1", NULL);
	ASSERT_STR_EQ(value_in(all, "containerInsights", NULL), "enhanced");
	json_decref(all);
	/* What other operations read. */
	memset(&r, 0, sizeof r);
	r.store = api_store();
	r.part.account = "123456789012";
	r.part.region = "eu-west-1";
	ASSERT_INT_EQ(account_setting_effective(&r, "containerInsights", v,
	    sizeof v), 0);
	ASSERT_STR_EQ(v, "enhanced");
	ASSERT_INT_EQ(account_setting_effective(&r, "defaultLogDriverMode", v,
	    sizeof v), 0);
	ASSERT_STR_EQ(v, "non-blocking");
	ASSERT_INT_EQ(account_setting_effective(&r, "nope", v, sizeof v), -1);
	r.part.region = "us-east-1";
	ASSERT_INT_EQ(account_setting_effective(&r, "containerInsights", v,
	    sizeof v), 0);
	ASSERT_STR_EQ(v, "disabled");
}
