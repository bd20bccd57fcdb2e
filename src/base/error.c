/* error.c - error objects */

#include "error.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int code_of(int errnum)
{
    return errnum > 0 ? -errnum : -EINVAL;
}

static int vset(struct berr **err, enum berr_kind kind, int errnum, const char *suffix,
                const char *fmt, va_list ap)
{
    if (!err || *err)
        return code_of(errnum);
    struct berr *e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    char *m = NULL;
    if (vasprintf(&m, fmt, ap) < 0)
        m = NULL;
    if (m && suffix) {
        char *m2 = NULL;
        if (asprintf(&m2, "%s: %s", m, suffix) >= 0) {
            free(m);
            m = m2;
        }
    }
    e->msg = m ? m : strdup("out of memory");
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
    int r = vset(err, kind, errnum, strerror(errnum), fmt, ap);
    va_end(ap);
    return r;
}

int berr_prefix(struct berr **err, const char *fmt, ...)
{
    if (!err || !*err)
        return -EINVAL;
    char *pre = NULL, *m = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&pre, fmt, ap);
    va_end(ap);
    if (n >= 0 && asprintf(&m, "%s: %s", pre, (*err)->msg) >= 0) {
        free((*err)->msg);
        (*err)->msg = m;
    }
    free(pre);
    return berr_code(*err);
}

int berr_code(const struct berr *e)
{
    return e ? code_of(e->errnum) : 0;
}

void berr_free(struct berr *e)
{
    if (!e)
        return;
    free(e->msg);
    free(e);
}
