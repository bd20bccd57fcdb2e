/* xalloc.h - allocation that aborts when memory runs out.
 *
 * berth's one out-of-memory policy, as crun's and systemd's: a failed allocation is not an
 * error a caller handles but the end of the process. Half-handled NULL checks are how an
 * OOM silently changes behaviour (a strv_append that returned NULL lost a --cap-drop ALL);
 * with these there is no such path. */
#pragma once
#include <stddef.h>

/* Prints "<program>: out of memory" on stderr and aborts. */
_Noreturn void oom_abort(void);

/* never NULL: the compiler may rely on it */
#define XALLOC_ __attribute__((returns_nonnull, warn_unused_result))
XALLOC_ void *xmalloc(size_t n) __attribute__((malloc, alloc_size(1)));
XALLOC_ void *xcalloc(size_t n, size_t size) __attribute__((malloc, alloc_size(1, 2)));
XALLOC_ void *xrealloc(void *p, size_t n) __attribute__((alloc_size(2)));
/* xrealloc for an array of n elements of `size` bytes, checking the multiplication */
XALLOC_ void *xreallocarray(void *p, size_t n, size_t size) __attribute__((alloc_size(2, 3)));
XALLOC_ char *xstrdup(const char *s) __attribute__((malloc));
XALLOC_ char *xstrndup(const char *s, size_t n) __attribute__((malloc));
XALLOC_ char *xasprintf(const char *fmt, ...) __attribute__((malloc, format(printf, 1, 2)));

/* Makes jansson allocate through xmalloc, so that a json_* constructor never returns NULL
 * for lack of memory. Called once at the start of each front end's main (and by unit tests
 * that build JSON), before any JSON value exists. */
void xalloc_setup_jansson(void);
