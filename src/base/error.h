/* error.h - error objects: a message and a kind, built up with context on the way up.
 *
 * The contract (crun's): a fallible function takes `struct berr **err` last and `err` is
 * never NULL; a caller that does not care passes `&e` of a local
 * `_cleanup_berr_ struct berr *e = NULL;`. Every failure (a negative return or NULL) sets
 * *err, so berr_code(*err) after a failed call is always an error. Out of memory is not an
 * error here: it aborts (base/xalloc.h). */
#pragma once
#include <stdarg.h>
#include <stddef.h>

enum berr_kind {
    BERR_INTERNAL = 0, /* something failed that the user did not cause */
    BERR_INVALID,      /* bad input: config, flags, arguments */
    BERR_NOT_FOUND,    /* a named thing does not exist */
    BERR_CONFLICT,     /* a named thing exists already, or is in the wrong state */
    BERR_UNSUPPORTED,  /* valid, but not possible on this host or not implemented */
    BERR_NOT_MODIFIED, /* already in the state asked for: start of a running container, stop
                        * of a stopped one (docker's HTTP 304; not a failure for the CLI's
                        * stop, which prints the name, but one for exec or attach) */
    /* the two failures of a container's own command that docker gives exit codes of their
     * own: set where the command is looked up, carried over the sync socket and the
     * monitor's pipe as a kind, never recognised by the message's text */
    BERR_CMD_NOT_FOUND,    /* the command does not exist (exit code 127) */
    BERR_CMD_NOT_RUNNABLE, /* the command exists but cannot be run (exit code 126) */
};

struct berr {
    enum berr_kind kind;
    int errnum; /* errno that caused it, or 0 */
    char *msg;
};

/* Sets *err (unless an error is there already: the first cause is kept) and returns -errnum
 * (or -EINVAL if errnum is 0). Aborts if err is NULL. */
int berr_set(struct berr **err, enum berr_kind kind, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Like berr_set with kind BERR_INTERNAL and ": strerror(errnum)" appended. */
int berr_sys(struct berr **err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes "<context>: " to the message; returns the negative errno stored in it. A failure
 * that set no error (a bug) becomes "<context>: unknown error" rather than a success. */
int berr_prefix(struct berr **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void berr_free(struct berr *e);
static inline void berr_freep(struct berr **e)
{
    berr_free(*e);
    *e = NULL;
}
#define _cleanup_berr_ __attribute__((cleanup(berr_freep)))
/* Negative errno of an error (for returning) */
int berr_code(const struct berr *e);
/* The exit code a front end gives for an error, docker's: 127 and 126 for the container's
 * command (the two BERR_CMD_ kinds), 125 for every other error (NULL too). The one place
 * where kinds become exit codes. */
int berr_exit_code(const struct berr *e);
