/* error.c - error objects */

#include "error.h"
#include "log.h"
#include "xalloc.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int code_of(int errnum)
{
    return errnum > 0 ? -errnum : -EINVAL;
}

/* err is never NULL (crun's rule): a NULL here is a bug in the caller, found at once
 * rather than as a failure that reports success */
static void check_err_arg(struct berr **err, const char *fn)
{
    if (!err) {
        fprintf(stderr, "%s: %s called with err == NULL\n", log_program(), fn);
        abort();
    }
}

static int vset(struct berr **err, enum berr_kind kind, int errnum, const char *suffix,
                const char *fmt, va_list ap)
{
    check_err_arg(err, "berr_set");
    if (*err)
        return code_of(errnum);
    struct berr *e = xcalloc(1, sizeof(*e));
    char *m = NULL;
    if (vasprintf(&m, fmt, ap) < 0)
        oom_abort();
    if (suffix) {
        char *m2 = xasprintf("%s: %s", m, suffix);
        free(m);
        m = m2;
    }
    e->msg = m;
    e->kind = kind;
    e->errnum = errnum;
    *err = e;
    return code_of(errnum);
}

int berr_set(struct berr **err, enum berr_kind kind, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vset(err, kind, errnum, NULL, fmt, ap);
    va_end(ap);
    return r;
}

int berr_sys(struct berr **err, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    enum berr_kind kind = BERR_INTERNAL;
    if (errnum == ENOENT)
        kind = BERR_NOT_FOUND;
    else if (errnum == EEXIST)
        kind = BERR_CONFLICT;
    char buf[64]; /* strerror's text of an unknown errno is in a buffer threads share */
    int r = vset(err, kind, errnum, strerror_r(errnum, buf, sizeof(buf)), fmt, ap);
    va_end(ap);
    return r;
}

int berr_prefix(struct berr **err, const char *fmt, ...)
{
    check_err_arg(err, "berr_prefix");
    /* a failure that set no error is a bug too, but one the user should still hear of */
    if (!*err)
        berr_set(err, BERR_INTERNAL, 0, "unknown error");
    char *pre = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&pre, fmt, ap);
    va_end(ap);
    if (n < 0)
        oom_abort();
    char *m = xasprintf("%s: %s", pre, (*err)->msg);
    free((*err)->msg);
    (*err)->msg = m;
    free(pre);
    return berr_code(*err);
}

int berr_code(const struct berr *e)
{
    return e ? code_of(e->errnum) : 0;
}

int berr_exit_code(const struct berr *e)
{
    switch (e ? e->kind : BERR_INTERNAL) {
    case BERR_CMD_NOT_FOUND: return 127;
    case BERR_CMD_NOT_RUNNABLE: return 126;
    default: return 125;
    }
}

void berr_free(struct berr *e)
{
    if (!e)
        return;
    free(e->msg);
    free(e);
}
