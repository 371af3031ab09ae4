/*
 * input.c - reading members of a request that model.c already validated, so
 * types are known to be right and absent (or null) members read as defaults.
 */
#include <string.h>

#include "api.h"

json_t *
in_get(struct req *r, const char *key)
{
	json_t *v = json_object_get(r->in, key);

	return json_is_null(v) ? NULL : v;
}

const char *
in_str(struct req *r, const char *key)
{
	return json_string_value(in_get(r, key));
}

int
in_int(struct req *r, const char *key, int def)
{
	json_t *v = in_get(r, key);

	return v != NULL ? (int)json_number_value(v) : def;
}

int
in_bool(struct req *r, const char *key, int def)
{
	json_t *v = in_get(r, key);

	return v != NULL ? json_is_true(v) : def;
}

/* Whether the list member key holds the string want (for `include`). */
int
in_has(struct req *r, const char *key, const char *want)
{
	json_t *list = in_get(r, key);
	json_t *e;
	size_t i;

	json_array_foreach(list, i, e) {
		if (json_is_string(e) && strcmp(json_string_value(e), want) == 0)
			return 1;
	}
	return 0;
}

/*
 * maxResults: def when absent, else it must lie in 1..max as ECS demands.
 * Returns 0 with *out set, or -1 with the exception recorded.
 */
int
in_max_results(struct req *r, int def, int max, int *out)
{
	json_t *v = in_get(r, "maxResults");
	long long n;

	*out = def;
	if (v == NULL)
		return 0;
	n = (long long)json_number_value(v);
	if (n < 1 || n > max)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER,
		    "maxResults must be between 1 and %d.", max);
	*out = (int)n;
	return 0;
}
