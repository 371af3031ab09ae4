/*
 * tags.c - tags on every taggable resource: the rules ECS applies to them
 * (used at creation by every resource) and TagResource, UntagResource and
 * ListTagsForResource.
 */
#include <string.h>

#include "api.h"

#define MAX_TAGS 50

/*
 * Checks a `tags` list from a request against ECS's rules: keys unique,
 * not under the reserved aws: prefix, and at most 50 on the resource once
 * merged with the `existing` ones (NULL at creation).
 */
int
tags_validate(struct req *r, json_t *tags, json_t *existing)
{
	size_t i, j, n = json_array_size(tags);
	json_t *t, *u;
	size_t total;

	json_array_foreach(tags, i, t) {
		const char *key = json_string_value(json_object_get(t, "key"));

		if (key == NULL || *key == '\0')
			return api_fail(r, ECS_ERR_INVALID_PARAMETER,
			    "Tag keys must be between 1 and 128 characters.");
		if (strncasecmp(key, "aws:", 4) == 0)
			return api_fail(r, ECS_ERR_INVALID_PARAMETER,
			    "Tag keys may not begin with 'aws:': that prefix is "
			    "reserved for AWS use.");
		for (j = i + 1; j < n; j++) {
			u = json_array_get(tags, j);
			if (strcmp(key, json_string_value(json_object_get(u, "key")))
			    == 0)
				return api_fail(r, ECS_ERR_INVALID_PARAMETER,
				    "Tag key '%s' is given more than once.", key);
		}
	}
	total = n;
	json_array_foreach(existing, i, u) {
		const char *key = json_string_value(json_object_get(u, "key"));
		int replaced = 0;

		json_array_foreach(tags, j, t)
			if (strcmp(key, json_string_value(json_object_get(t, "key")))
			    == 0)
				replaced = 1;
		if (!replaced)
			total++;
	}
	if (total > MAX_TAGS)
		return api_fail(r, ECS_ERR_INVALID_PARAMETER,
		    "A resource can have at most %d tags; this would make %zu.",
		    MAX_TAGS, total);
	return 0;
}
