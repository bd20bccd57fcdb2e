/* cli.h - shared bits of the command-line front end */
#pragma once
struct engine;
#include "base/error.h"
#include <getopt.h>
#include <stdbool.h>

/* getopt_long as docker parses (getopt.c): whole long names only (no prefixes), `--flag=true`
 * and `--flag=false` for booleans, docker's messages for unknown flags and missing values */
int cli_getopt_long(int argc, char *const argv[], const char *shorts, const struct option *longs,
                    int *longindex);
#define getopt_long cli_getopt_long

/* Prints the error as one line (and to the log file) and returns the exit code for it. */
int cli_fail(struct berr *err, int code);
/* The runc-compatible runtime CLI: `berth-runtime ...` and `berth runtime ...`. */
int cmd_runtime(int argc, char **argv);
/* main()'s argv, for re-executing ourselves */
extern char **cli_argv;
/* Image verbs: import, images, tag, rmi, inspect, history, save, load, mount, unmount, prune */
int cmd_image(struct engine *e, const char *verb, int argc, char **argv);
/* berth run, and berth create (argv[0] "create") */
int cmd_run(struct engine *e, int argc, char **argv);
/* berth start: created or exited containers, detached, each under a new monitor */
int cmd_start(struct engine *e, int argc, char **argv);
/* berth attach [--no-stdin] [--sig-proxy=false] [--detach-keys K] CONTAINER */
int cmd_attach(struct engine *e, int argc, char **argv);
/* Container verbs: ps, logs, stop, kill, rm, wait, inspect, container ... */
int cmd_container(struct engine *e, const char *verb, int argc, char **argv);
/* -e KEY=VALUE appended to env; -e KEY takes KEY's value from our environment (if set) */
char **cli_env_arg(char **env, const char *arg);
/* berth volume create, ls, inspect, rm, prune */
int cmd_volume(struct engine *e, int argc, char **argv);
/* berth export [-o FILE] CONTAINER */
int cmd_export(struct engine *e, int argc, char **argv);
/* berth cp [-a] [-L] [-q] CONTAINER:SRC DEST|- and SRC|- CONTAINER:DEST */
int cmd_cp(struct engine *e, int argc, char **argv);
/* PID 1 of a `run --init` container (argv[0] "init"): /dev/init -- CMD... */
int cmd_init(int argc, char **argv);
/* inspect: type "container", "image", "volume", or NULL for whichever the name is (--type) */
int cmd_inspect(struct engine *e, const char *type, int argc, char **argv);
/* berth info, version, system info|df|prune (verb: "info", "version", "df", "prune") */
int cmd_system(struct engine *e, const char *verb, int argc, char **argv);
/* berth diff CONTAINER; berth commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]] (cmd-commit.c) */
int cmd_diff(struct engine *e, int argc, char **argv);
int cmd_commit(struct engine *e, int argc, char **argv);
/* berth events [--since T] [--until T] [-f KEY=VALUE]... [--format F] */
int cmd_engine_events(struct engine *e, int argc, char **argv);
