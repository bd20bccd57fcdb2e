/* xalloc.c - allocation that aborts when memory runs out */

#include "xalloc.h"
#include "log.h"
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

_Noreturn void oom_abort(void)
{
    /* no stdio: it may itself need memory */
    const char *prog = log_program();
    const char *msg = ": out of memory\n";
    if (write(STDERR_FILENO, prog, strlen(prog)) < 0 || write(STDERR_FILENO, msg, strlen(msg)) < 0)
        abort();
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom_abort();
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom_abort();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom_abort();
    return q;
}

void *xreallocarray(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        oom_abort();
    return xrealloc(p, n * size);
}

char *xstrdup(const char *s)
{
    char *c = strdup(s);
    if (!c)
        oom_abort();
    return c;
}

char *xstrndup(const char *s, size_t n)
{
    char *c = strndup(s, n);
    if (!c)
        oom_abort();
    return c;
}

char *xasprintf(const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (r < 0)
        oom_abort();
    return s;
}

static void *json_xmalloc(size_t n)
{
    return xmalloc(n);
}

void xalloc_setup_jansson(void)
{
    json_set_alloc_funcs(json_xmalloc, free);
}
