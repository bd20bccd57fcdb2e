/* error.h - error objects: a message and a kind, built up with context on the way up */
#pragma once
#include <stdarg.h>
#include <stddef.h>

enum berr_kind {
    BERR_INTERNAL = 0, /* something failed that the user did not cause */
    BERR_INVALID,      /* bad input: config, flags, arguments */
    BERR_NOT_FOUND,    /* a named thing does not exist */
    BERR_CONFLICT,     /* a named thing exists already, or is in the wrong state */
    BERR_UNSUPPORTED,  /* valid, but not possible on this host or not implemented */
};

struct berr {
    enum berr_kind kind;
    int errnum; /* errno that caused it, or 0 */
    char *msg;
};

/* Sets *err (if err and *err is NULL) and returns -errnum (or -EINVAL if errnum is 0). */
int berr_set(struct berr **err, enum berr_kind kind, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Like berr_set with kind BERR_INTERNAL and ": strerror(errnum)" appended. */
int berr_sys(struct berr **err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes "<context>: " to the message; returns the negative errno stored in it. */
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
