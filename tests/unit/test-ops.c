/*
 * test-ops.c - the operation table against botocore's model: sorted,
 * unique, complete; and the coverage document generated from it.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "../../api/api.h"
#include "unit.h"

TEST(ops_table_sorted_and_unique)
{
	for (size_t i = 1; i < ops_count; i++)
		if (strcmp(ops_table[i - 1].name, ops_table[i].name) >= 0)
			UNIT_FAIL("%s is not before %s", ops_table[i - 1].name,
			    ops_table[i].name);
}

TEST(ops_table_matches_model)
{
	char *err = NULL;
	const char *name;
	json_t *v;

	if (model_init(&err) != 0)
		UNIT_FAIL("%s", err);
	ASSERT_INT_EQ(json_object_size(model_operations()), ops_count);
	json_object_foreach(model_operations(), name, v) {
		if (ops_find(name, strlen(name)) == NULL)
			UNIT_FAIL("operation %s of the model is not in the table", name);
	}
	for (size_t i = 0; i < ops_count; i++) {
		ASSERT(model_has_operation(ops_table[i].name));
		ASSERT(ops_table[i].help != NULL && ops_table[i].help[0] != '\0');
	}
}

TEST(ops_find_by_length)
{
	ASSERT_NOT_NULL(ops_find("ListClusters", 12));
	ASSERT_NULL(ops_find("ListCluster", 11));
	ASSERT_NULL(ops_find("ListClustersX", 13));
	ASSERT_NULL(ops_find("", 0));
}

/* `unit --coverage`: docs/api-coverage.md, generated from the table. */
int
coverage_print(void)
{
	size_t done = 0;

	for (size_t i = 0; i < ops_count; i++)
		if (ops_table[i].fn != NULL)
			done++;
	printf("# API coverage\n\n"
	    "Generated from the operation table (`api/ops.c`) by `make docs`; do "
	    "not edit.\n\n"
	    "ecsd implements %zu of the %zu operations of botocore's ECS model. "
	    "The others answer `UnsupportedFeatureException` (\"ecsd does not "
	    "implement X yet\"), never a fake success.\n\n"
	    "| operation | implemented | what it does |\n|---|---|---|\n",
	    done, ops_count);
	for (size_t i = 0; i < ops_count; i++)
		printf("| %s | %s | %s |\n", ops_table[i].name,
		    ops_table[i].fn ? "yes" : "no", ops_table[i].help);
	return 0;
}
