/* filters.h - what docker's list and events filters share (`-f label=...` of ps, images,
 * volume ls, events; the daemon's `filters` query parameter) */
#pragma once
#include <stdbool.h>
#include <jansson.h>

/* label=KEY or label=KEY=VALUE, each of want (an array of strings; NULL: none) matching
 * labels (an object of strings): KEY present, with VALUE if one is given. */
bool filter_labels_match(json_t *want, json_t *labels);
