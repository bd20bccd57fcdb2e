/* state.h - a container's state on disk (<root>/<id>/state.json) and its true status */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include "base/error.h"

enum rt_status { RT_CREATING = 0, RT_CREATED, RT_RUNNING, RT_PAUSED, RT_STOPPED };

struct rt_state {
    char *id;
    char *dir; /* <root>/<id> */
    pid_t pid;
    uint64_t start_time; /* of pid, to tell it from a reused pid */
    char *bundle;
    char *rootfs;
    char *created;            /* RFC 3339 */
    char *cgroup;             /* cgroup path */
    char **cgroup_created_in; /* hierarchies where create made the cgroup (NULL: unknown) */
    char *owner;
    bool written; /* state.json exists (create finished) */
};

/* Checks an ID: 1..1024 chars of [A-Za-z0-9_.+-], not "." or "..". */
int rt_check_id(const char *id, struct berr **err);
/* Loads <root>/<id>; BERR_NOT_FOUND "container \"x\" does not exist" if absent. */
struct rt_state *rt_state_load(const char *root, const char *id, struct berr **err);
int rt_state_save(const struct rt_state *st, struct berr **err);
void rt_state_free(struct rt_state *st);
static inline void rt_state_freep(struct rt_state **s)
{
    rt_state_free(*s);
}
#define _cleanup_rt_state_ __attribute__((cleanup(rt_state_freep)))
/* The status, looked up now: process alive? exec.fifo still there? cgroup frozen? */
enum rt_status rt_state_status(const struct rt_state *st);
const char *rt_status_name(enum rt_status s);
/* The runtime-spec state JSON for `state` and hooks (with annotations from the saved config). */
json_t *rt_state_json(const struct rt_state *st);
/* RFC 3339 timestamp of now with nanoseconds. */
void rt_now_rfc3339(char *buf, size_t len);
