/*
 * unit.h - our small test runner's interface. TEST(name) defines and
 * registers a test; each runs in a forked child with a timeout. Assertions
 * print both operands and the line, then fail the test.
 */
#ifndef ECSD_UNIT_H
#define ECSD_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
	struct unit_test *next;
};

void unit_register(struct unit_test *);

#define TEST(name)                                                      \
	static void test_##name(void);                                      \
	static struct unit_test unit_##name = { #name, test_##name, NULL }; \
	__attribute__((constructor)) static void reg_##name(void)           \
	{ unit_register(&unit_##name); }                                    \
	static void test_##name(void)

#define UNIT_FAIL(...) do {                                             \
	fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__);                   \
	fprintf(stderr, __VA_ARGS__);                                       \
	fputc('\n', stderr);                                                \
	exit(1);                                                            \
} while (0)

#define ASSERT(c) do { if (!(c)) UNIT_FAIL("assertion failed: %s", #c); } while (0)

#define ASSERT_INT_EQ(a, b) do {                                        \
	long long a_ = (long long)(a), b_ = (long long)(b);                 \
	if (a_ != b_)                                                       \
		UNIT_FAIL("%s == %s: %lld != %lld", #a, #b, a_, b_);            \
} while (0)

#define ASSERT_STR_EQ(a, b) do {                                        \
	const char *a_ = (a), *b_ = (b);                                    \
	if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)                \
		UNIT_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b,                 \
		    a_ ? a_ : "(null)", b_ ? b_ : "(null)");                    \
} while (0)

#define ASSERT_NULL(a) do { if ((a) != NULL) UNIT_FAIL("%s is not NULL", #a); } while (0)
#define ASSERT_NOT_NULL(a) do { if ((a) == NULL) UNIT_FAIL("%s is NULL", #a); } while (0)

/* Helpers for tests that drive operations through api_handle. */
struct json_t;
void unit_store_setup(void);
struct json_t *unit_call(const char *op, const char *body, int *status);
struct json_t *unit_call_region(const char *op, const char *region,
    const char *body, int *status);
const char *unit_error_type(struct json_t *);

#endif
