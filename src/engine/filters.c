/* filters.c - docker's filters shared by the list operations and the events journal */
#include "engine/filters.h"
#include <string.h>

bool filter_labels_match(json_t *want, json_t *labels)
{
    size_t i;
    json_t *v;
    json_array_foreach(want, i, v)
    {
        const char *l = json_string_value(v);
        if (!l)
            return false;
        const char *eq = strchr(l, '=');
        json_t *have = json_object_getn(labels, l, eq ? (size_t)(eq - l) : strlen(l));
        if (!json_is_string(have) || (eq && strcmp(json_string_value(have), eq + 1) != 0))
            return false;
    }
    return true;
}
