/* ctr-query.h - reading containers: list (ps), inspect, logs, top, stats and port, with
 * results in the Engine API's shapes (ContainerSummary, ContainerJSON, the top and stats
 * bodies) so a daemon can send them as they are and the CLI formats them. Nothing here
 * changes a container. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "base/error.h"

struct engine;

/* Checks one docker ps filter "KEY=VALUE" (id, name, label, status, exited, before, since,
 * ancestor, volume, network, health, is-task) and adds VALUE to filters[KEY] (an array;
 * the values of one key are alternatives, keys all apply). BERR_INVALID if it is not one. */
int ctr_filter_add(json_t *filters, const char *arg, struct berr **err);

struct ctr_list_opts {
    bool all;        /* stopped containers too (a status filter implies it) */
    long last;       /* >= 0: only the last N created, in any state; -1: no limit */
    bool size;       /* SizeRw and SizeRootFs (walks each container's layer) */
    json_t *filters; /* as ctr_filter_add makes it (borrowed), or NULL */
};
/* GET /containers/json: ContainerSummary rows, newest first (Id, Names, Image, ImageID,
 * Command, Created, State, Status, Ports, Labels, SizeRw, SizeRootFs, HostConfig, Mounts).
 * A before= or since= container that does not exist is BERR_NOT_FOUND. */
json_t *ctr_list(struct engine *e, const struct ctr_list_opts *o, struct berr **err);

/* GET /containers/{ref}/json: ContainerJSON; size: with SizeRw and SizeRootFs. */
json_t *ctr_inspect(struct engine *e, const char *ref, bool size, struct berr **err);

/* Where log output goes: stream 1 (stdout) or 2 (stderr) of the container, one entry (with
 * its timestamp first if asked) per call. A negative return stops ctr_logs with that code. */
typedef int (*ctr_log_fn)(void *ctx, int stream, const char *data, size_t len);
struct ctr_logs_opts {
    double since, until; /* seconds since the epoch; 0: not given */
    long tail;           /* the last N entries only; -1: all */
    bool timestamps;     /* each entry preceded by its RFC 3339 time and a space */
    bool follow;         /* then what comes, until the container stops */
    int stop_fd;         /* readable or hung up: stop following (a client gone); -1: none */
    ctr_log_fn out;
    void *ctx;
};
/* GET /containers/{ref}/logs: its json.log (rotated files first). BERR_UNSUPPORTED if its
 * logging driver keeps nothing to read. Following waits on inotify (the log, its rotation,
 * state.json) and the container's process, never by polling. */
int ctr_logs(struct engine *e, const char *ref, const struct ctr_logs_opts *o, struct berr **err);
/* A --since or --until value: RFC 3339 (UTC), Unix seconds, or a duration back from now
 * (10m, 1h, 30s); false if it is none of them. */
bool ctr_logs_time(const char *s, double *ret);

/* GET /containers/{ref}/top: {Titles, Processes} of ps (ps_args: its options, NULL or empty
 * for -ef) for the container's processes. BERR_CONFLICT if it is not running. */
json_t *ctr_top(struct engine *e, const char *ref, char *const *ps_args, struct berr **err);

/* GET /containers/{ref}/stats?stream=false: one sample (read, id, name, cpu_stats with
 * system_cpu_usage and online_cpus, memory_stats, pids_stats). A container that is not
 * running has empty memory_stats and zero counters. A rate (CPU %) takes two samples. */
json_t *ctr_stats(struct engine *e, const char *ref, struct berr **err);

/* The container's published ports (NetworkSettings.Ports): berth publishes none yet, so
 * this is an empty object, as docker's for such a container. */
json_t *ctr_port(struct engine *e, const char *ref, struct berr **err);

/* Docker's human durations: "Less than a second", "5 seconds", "About a minute", "3 hours"
 * (what Status says, and the CLI's "ago" columns). */
void ctr_human_duration(long seconds, char *buf, size_t len);
