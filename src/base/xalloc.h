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

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* xrealloc for an array of n elements of `size` bytes, checking the multiplication */
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Makes jansson allocate through xmalloc, so that a json_* constructor never returns NULL
 * for lack of memory. Called once at the start of each front end's main (and by unit tests
 * that build JSON), before any JSON value exists. */
void xalloc_setup_jansson(void);
