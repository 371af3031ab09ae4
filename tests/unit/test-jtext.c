/*
 * test-jtext.c - answers built as text: stored documents spliced member by
 * member must read back as the same JSON, strings must be quoted as jansson
 * quotes them, and the Describe answers built this way must hold what was
 * stored.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../../api/api.h"
#include "unit.h"

/* A document as the store writes it: compact, keys sorted. */
static char *
stored(const char *json)
{
	json_t *doc = json_loads(json, 0, NULL);
	char *text;

	ASSERT_NOT_NULL(doc);
	text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(doc);
	return text;
}

/* "{" + the members of text but skip + "}", parsed. */
static json_t *
spliced(const char *text, const char *const *skip)
{
	struct jbuf b = { 0 };
	json_t *out;

	jbuf_puts(&b, "{");
	ASSERT_INT_EQ(jbuf_members(&b, text, strlen(text), skip), 0);
	jbuf_puts(&b, "}");
	out = json_loadb(b.s, b.len, 0, NULL);
	if (out == NULL)
		UNIT_FAIL("not JSON: %s", b.s);
	jbuf_free(&b);
	return out;
}

static const char doc_text[] =
    "{\"name\":\"caf\\u00e9 \\ud83d\\ude00 \xc3\xa9\","
    "\"quote\":\"a \\\"b\\\" c\\\\ d\\n\\t\\u0001 }{][,:\","
    "\"nested\":{\"a\":[1,2.5,-3e+20,{\"b\":\"}\"}],\"c\":{},\"d\":[]},"
    "\"list\":[[[]],{\"x\":null},true,false,\"]\"],"
    "\"n\":0,\"real\":1795324472.845,\"empty\":\"\",\"t\":true,\"z\":null}";

TEST(jtext_splice_round_trips)
{
	char *text = stored(doc_text);
	json_t *want = json_loads(doc_text, 0, NULL), *got;

	ASSERT_NOT_NULL(want);
	got = spliced(text, NULL);
	ASSERT(json_equal(got, want));
	json_decref(got);
	/* the raw (unsorted, as written above) text splices the same way */
	got = spliced(doc_text, NULL);
	ASSERT(json_equal(got, want));
	json_decref(got);
	json_decref(want);
	free(text);
}

TEST(jtext_splice_skips_top_level_members_only)
{
	static const char *const skip[] = { "nested", "b", "z", NULL };
	char *text = stored(doc_text);
	json_t *want = json_loads(doc_text, 0, NULL), *got;

	json_object_del(want, "nested");
	json_object_del(want, "z");
	got = spliced(text, skip);
	ASSERT(json_equal(got, want));
	ASSERT_NULL(json_object_get(got, "nested"));
	ASSERT_NOT_NULL(json_object_get(got, "list"));
	json_decref(got);
	json_decref(want);
	free(text);
}

TEST(jtext_member_finds_values)
{
	char *text = stored(doc_text);
	struct jmember m;
	json_t *v;

	ASSERT_INT_EQ(jtext_member(text, strlen(text), "n", &m), 0);
	ASSERT_INT_EQ(m.vlen, 1);
	ASSERT(memcmp(m.val, "0", 1) == 0);
	ASSERT_INT_EQ(jtext_member(text, strlen(text), "b", &m), -1);
	v = jtext_member_json(text, strlen(text), "nested");
	ASSERT(json_is_object(v));
	ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(
	    json_object_get(v, "a"), 3), "b")), "}");
	json_decref(v);
	v = jtext_member_json(text, strlen(text), "name");
	ASSERT_STR_EQ(json_string_value(v), "caf\xc3\xa9 \xf0\x9f\x98\x80 "
	    "\xc3\xa9");
	json_decref(v);
	free(text);
}

TEST(jtext_unreadable_text_adds_nothing)
{
	static const char *const bad[] = { "", "[]", "{", "{\"a\":", "{\"a\"}",
	    "{\"a\":\"open}", "{\"a\":[1,2}", "nope", NULL };
	struct jbuf b = { 0 };

	jbuf_puts(&b, "{\"x\":1");
	for (int i = 0; bad[i] != NULL; i++) {
		ASSERT_INT_EQ(jbuf_members(&b, bad[i], strlen(bad[i]), NULL), -1);
		ASSERT_STR_EQ(b.s, "{\"x\":1");
	}
	ASSERT_INT_EQ(jbuf_members(&b, "{}", 2, NULL), 0);
	jbuf_puts(&b, "}");
	ASSERT_STR_EQ(b.s, "{\"x\":1}");
	jbuf_free(&b);
}

TEST(jtext_strings_quote_as_jansson_does)
{
	static const char *const strs[] = { "", "plain", "a\"b\\c/d",
	    "\n\r\t\b\f\x01\x1f\x7f", "caf\xc3\xa9 \xf0\x9f\x98\x80", NULL };

	for (int i = 0; strs[i] != NULL; i++) {
		json_t *s = json_string(strs[i]);
		char *want = json_dumps(s, JSON_COMPACT | JSON_ENCODE_ANY);
		struct jbuf b = { 0 };

		jbuf_str(&b, strs[i]);
		ASSERT_STR_EQ(b.s, want);
		jbuf_free(&b);
		free(want);
		json_decref(s);
	}
}

TEST(jtext_separators_and_values)
{
	struct jbuf b = { 0 };
	json_t *arr = json_pack("[i, s, {}]", 1, "x");

	jbuf_puts(&b, "{");
	jbuf_key(&b, "a");
	jbuf_json(&b, arr);
	jbuf_key(&b, "b");
	jbuf_puts(&b, "[");
	jbuf_sep(&b);
	jbuf_str(&b, "one");
	jbuf_sep(&b);
	jbuf_json(&b, NULL);
	jbuf_puts(&b, "]}");
	ASSERT_STR_EQ(b.s, "{\"a\":[1,\"x\",{}],\"b\":[\"one\",null]}");
	jbuf_free(&b);
	json_decref(arr);
}

/* Registered with unicode and nested members, described back unchanged. */
TEST(jtext_describe_task_definition_splices_the_stored_document)
{
	static const char body[] = "{\"family\":\"uni\",\"containerDefinitions\":"
	    "[{\"name\":\"c\",\"image\":\"busybox\",\"memory\":64,\"environment\":"
	    "[{\"name\":\"E\",\"value\":\"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\" "
	    "}{\"}],\"dockerLabels\":{\"k\":\"v\\n\"}}],\"tags\":[{\"key\":\"a\","
	    "\"value\":\"\\u00fc\"}]}";
	json_t *reg, *desc, *env;
	int st = 0;

	unit_store_setup();
	reg = unit_call("RegisterTaskDefinition", body, &st);
	ASSERT_INT_EQ(st, 200);
	desc = unit_call("DescribeTaskDefinition", "{\"taskDefinition\":\"uni\","
	    "\"include\":[\"TAGS\"]}", &st);
	ASSERT_INT_EQ(st, 200);
	ASSERT(json_equal(json_object_get(desc, "taskDefinition"),
	    json_object_get(reg, "taskDefinition")));
	ASSERT(json_equal(json_object_get(desc, "tags"),
	    json_object_get(reg, "tags")));
	env = json_array_get(json_object_get(json_array_get(json_object_get(
	    json_object_get(desc, "taskDefinition"), "containerDefinitions"), 0),
	    "environment"), 0);
	ASSERT_STR_EQ(json_string_value(json_object_get(env, "value")),
	    "caf\xc3\xa9 \xf0\x9f\x98\x80 \"q\" }{");
	json_decref(desc);
	desc = unit_call("DescribeTaskDefinition", "{\"taskDefinition\":\"uni:1\"}",
	    &st);
	ASSERT_NULL(json_object_get(desc, "tags"));
	ASSERT(json_equal(json_object_get(desc, "taskDefinition"),
	    json_object_get(reg, "taskDefinition")));
	json_decref(desc);
	desc = unit_call("DescribeTaskDefinition", "{\"taskDefinition\":\"uni:9\"}",
	    &st);
	ASSERT_INT_EQ(st, 400);
	ASSERT_STR_EQ(unit_error_type(desc), "ClientException");
	json_decref(desc);
	json_decref(reg);
}

/* A task row of service web, started by deployment `by`. */
static void
add_task(const char *id, const char *by, const char *last)
{
	json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:s}",
	    "taskArn", id, "taskDefinitionArn",
	    "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1",
	    "lastStatus", last, "desiredStatus", "RUNNING", "group",
	    "service:web", "createdAt", 1.5, "startedBy", by);
	json_t *spec = json_object();
	struct part us = { "123456789012", "us-east-1" };

	ASSERT_INT_EQ(store_task_insert(api_store(), &us, "c1", id, "web", doc,
	    spec), STORE_OK);
	json_decref(doc);
	json_decref(spec);
}

/*
 * DescribeServices splices the stored Service and writes the counts in: it
 * must show what UpdateService, which builds the same view from the parsed
 * document, answered a moment before.
 */
TEST(jtext_describe_services_shows_what_the_parsed_view_shows)
{
	json_t *out, *upd, *desc, *dep;
	const char *dep_id;
	int st = 0;

	unit_store_setup();
	json_decref(unit_call("CreateCluster", "{\"clusterName\":\"c1\"}", &st));
	json_decref(unit_call("RegisterTaskDefinition", "{\"family\":\"web\","
	    "\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\","
	    "\"memory\":32,\"environment\":[{\"name\":\"U\",\"value\":"
	    "\"\\u00e9\\n\\\"\"}]}]}", &st));
	out = unit_call("CreateService", "{\"cluster\":\"c1\",\"serviceName\":"
	    "\"web\",\"taskDefinition\":\"web\",\"desiredCount\":3,\"tags\":"
	    "[{\"key\":\"k\",\"value\":\"\\u00fc\"}]}", &st);
	ASSERT_INT_EQ(st, 200);
	dep = json_array_get(json_object_get(json_object_get(out, "service"),
	    "deployments"), 0);
	dep_id = json_string_value(json_object_get(dep, "id"));
	ASSERT_NOT_NULL(dep_id);
	add_task("t1", dep_id, "RUNNING");
	add_task("t2", dep_id, "RUNNING");
	add_task("t3", dep_id, "PENDING");
	add_task("t4", dep_id, "STOPPED");
	add_task("t5", "ecs-svc/999", "RUNNING");
	json_decref(out);

	upd = unit_call("UpdateService", "{\"cluster\":\"c1\",\"service\":"
	    "\"web\",\"desiredCount\":3}", &st);
	ASSERT_INT_EQ(st, 200);
	desc = unit_call("DescribeServices", "{\"cluster\":\"c1\",\"services\":"
	    "[\"web\",\"nope\"]}", &st);
	ASSERT_INT_EQ(st, 200);
	out = json_array_get(json_object_get(desc, "services"), 0);
	if (!json_equal(out, json_object_get(upd, "service"))) {
		char *a = json_dumps(out, JSON_SORT_KEYS);
		char *b = json_dumps(json_object_get(upd, "service"),
		    JSON_SORT_KEYS);

		UNIT_FAIL("describe %s\n  update   %s", a, b);
	}
	ASSERT_INT_EQ(json_integer_value(json_object_get(out, "runningCount")),
	    3);
	ASSERT_INT_EQ(json_integer_value(json_object_get(out, "pendingCount")),
	    1);
	dep = json_array_get(json_object_get(out, "deployments"), 0);
	ASSERT_INT_EQ(json_integer_value(json_object_get(dep, "runningCount")),
	    2);
	ASSERT_INT_EQ(json_integer_value(json_object_get(dep, "pendingCount")),
	    1);
	ASSERT_INT_EQ(json_array_size(json_object_get(out,
	    "currentServiceRevisions")), 1);
	ASSERT_NULL(json_object_get(out, "tags"));
	ASSERT_INT_EQ(json_array_size(json_object_get(desc, "failures")), 1);
	json_decref(desc);

	desc = unit_call("DescribeServices", "{\"cluster\":\"c1\",\"services\":"
	    "[\"web\"],\"include\":[\"TAGS\"]}", &st);
	out = json_array_get(json_object_get(desc, "services"), 0);
	ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(
	    json_object_get(out, "tags"), 0), "value")), "\xc3\xbc");
	json_object_del(out, "tags");
	ASSERT(json_equal(out, json_object_get(upd, "service")));
	json_decref(desc);
	json_decref(upd);
}

/* jbuf_json writes every value exactly as json_dumps(JSON_COMPACT) does. */
TEST(jtext_json_writes_what_jansson_writes)
{
	static const double reals[] = { 0.0, -0.0, 1.0, 1.5, -2.25, 0.1,
	    1795324472.845, 1e20, 1e21, 1e-5, 1.5e-7, 123456789012345678.0,
	    5e-324, 1.7976931348623157e308, 3.0e100, -4.5e-300, 1e15, 1e16,
	    1e17 };
	json_t *doc = json_object(), *list = json_array(), *v;
	struct jbuf b = { 0 };
	char *want;

	for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++)
		json_array_append_new(list, json_real(reals[i]));
	json_array_append_new(list, json_integer(0));
	json_array_append_new(list, json_integer(-9223372036854775807LL - 1));
	json_array_append_new(list, json_integer(9223372036854775807LL));
	json_array_append_new(list, json_stringn("a\0b", 3));
	json_array_append_new(list, json_string("\"\\/\b\f\n\r\t\x01\x1f"
	    "caf\xc3\xa9 \xf0\x9f\x98\x80"));
	json_array_append_new(list, json_true());
	json_array_append_new(list, json_false());
	json_array_append_new(list, json_null());
	json_array_append_new(list, json_object());
	json_array_append_new(list, json_array());
	json_object_set_new(doc, "z", list);
	json_object_set_new(doc, "a\n\"key\"", json_pack("{s:[{}], s:{s:i}}",
	    "x", "y", "n", 7));
	json_object_set_new(doc, "", json_string(""));
	want = json_dumps(doc, JSON_COMPACT);
	jbuf_json(&b, doc);
	ASSERT_STR_EQ(b.s, want);
	v = json_loadb(b.s, b.len, JSON_ALLOW_NUL, NULL);
	ASSERT(json_equal(v, doc));
	json_decref(v);
	free(want);
	jbuf_free(&b);
	for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++) {
		v = json_real(reals[i]);
		want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		jbuf_json(&b, v);
		ASSERT_STR_EQ(b.s, want);
		jbuf_free(&b);
		free(want);
		json_decref(v);
	}
	json_decref(doc);
}
