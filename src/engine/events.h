/* events.h - the events journal: docker's events (container start, image tag, volume
 * create...) as lines of compact JSON in <runroot>/events.log, with one older file
 * (events.log.1) kept when it passes EVENTS_MAX_SIZE.
 *
 * A line is one write() on an O_APPEND fd, at most EVENTS_MAX_LINE bytes (attributes are cut
 * to fit), so many processes append at once without locks and without torn lines; rotation
 * and the readers of the past take <runroot>/events.lock. The shape is the Engine API's
 * (v1.41 /events): status, id, from (the legacy fields), Type, Action, Actor{ID, Attributes},
 * scope, time, timeNano. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "base/error.h"

#define EVENTS_MAX_LINE 4096
#define EVENTS_MAX_SIZE (1024 * 1024)

/* Appends one event: type "container", "image", "volume"...; attrs an object of strings
 * (borrowed, may be NULL). max_size: rotate past this many bytes (0: EVENTS_MAX_SIZE). */
int events_append_max(const char *runroot, const char *type, const char *action,
                      const char *actor_id, json_t *attrs, long max_size, struct berr **err);
int events_append(const char *runroot, const char *type, const char *action, const char *actor_id,
                  json_t *attrs, struct berr **err);

/* The hooks' helpers: they never fail (a journal that cannot be written is a debug line).
 * events_note takes attrs (may be NULL); events_container adds the container's name, image
 * and labels (from its record under root) to extra's attributes (taken, may be NULL). */
void events_note(const char *runroot, const char *type, const char *action, const char *id,
                 json_t *attrs);
void events_container(const char *root, const char *runroot, const char *id, const char *action,
                      json_t *extra);
/* The same from the container's record c (container.json, borrowed; may be NULL). */
void events_ctr_record(const char *runroot, const char *id, json_t *c, const char *action,
                       json_t *extra);
/* The run root of a runtime root (<runroot>/runtime), malloc'd: what the monitor knows. */
char *events_runroot_of(const char *rtroot);

/* Return non-zero to stop reading (events_read then returns 0). ev is borrowed. */
typedef int (*events_cb)(json_t *ev, void *data);

struct events_query {
    int64_t since_ns; /* 0: none (without until, only the future is read, as docker does) */
    int64_t until_ns; /* 0: none */
    /* docker's filters: an object of arrays of strings ({"type": ["image"]}): the values of a
     * key are or'ed, the keys and'ed: container, image, event (action), type, label, volume,
     * scope. NULL: every event. */
    json_t *filters;
    bool follow; /* after the past, the future: until until_ns or stop_fd is readable */
    int stop_fd; /* -1: none */
};

/* Calls cb with each event of the journal q selects, oldest first. */
int events_read(const char *runroot, const struct events_query *q, events_cb cb, void *data,
                struct berr **err);
/* Whether ev passes filters (as above). */
bool events_match(json_t *ev, json_t *filters);
/* Checks a filter key: 0, or BERR_INVALID for one docker does not know. */
int events_check_filter(const char *key, struct berr **err);
