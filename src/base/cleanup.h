/* cleanup.h - scope-bound ownership helpers (cleanup attributes, TAKE_PTR/TAKE_FD) */
#pragma once
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include "xalloc.h"

static inline void freep(void *p)
{
    free(*(void **)p);
}
static inline void closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}
static inline void fclosep(FILE **f)
{
    if (*f)
        fclose(*f);
}
static inline void closedirp(DIR **d)
{
    if (*d)
        closedir(*d);
}
/* frees a NULL-terminated array of strings and the array itself */
static inline void strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}
static inline void strv_freep(char ***v)
{
    strv_free(*v);
}
/* Appends a copy of s to the NULL-terminated array v (which may be NULL); returns the new
 * array. Aborts if out of memory: a NULL here once replaced the list (a lost --cap-drop). */
static inline char **strv_append(char **v, const char *s)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    char *copy = xstrdup(s);
    char **nv = (char **)xreallocarray(v, n + 2, sizeof(char *));
    nv[n] = copy;
    nv[n + 1] = NULL;
    return nv;
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)
#define _cleanup_strv_ _cleanup_(strv_freep)

#define TAKE_PTR(p)                                                                                \
    ({                                                                                             \
        __typeof__(p) _p = (p);                                                                    \
        (p) = NULL;                                                                                \
        _p;                                                                                        \
    })
#define TAKE_FD(fd)                                                                                \
    ({                                                                                             \
        int _fd = (fd);                                                                            \
        (fd) = -1;                                                                                 \
        _fd;                                                                                       \
    })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define _unused_ __attribute__((unused))
