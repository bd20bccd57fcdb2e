/* attach.h - the client end of a container's monitor: a terminal (or pipes) relayed to and
 * from a running container, as `run` in the foreground and `start -a` do */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#define ATTACH_DETACHED (-1) /* attach_client's result when the user pressed the detach keys */

struct attach_client_opts {
    bool tty;         /* the container has a terminal: raw mode, window size, detach keys */
    bool stdin_open;  /* our stdin goes to the container (-i) */
    bool sig_proxy;   /* signals sent to us go to the container (--sig-proxy) */
    const char *keys; /* the detach sequence (from attach_parse_keys) */
    size_t nkeys;     /* its length; 0: none */
};

/* Docker's --detach-keys: "ctrl-p,ctrl-q", "ctrl-@", "a,ctrl-b" ... into the bytes they send.
 * Returns 0, or -1 for a bad spec. */
int attach_parse_keys(const char *spec, char *ret, size_t *ret_len, size_t max);

/* Relays until the container ends (returns its exit code), the user detaches
 * (ATTACH_DETACHED), or the monitor goes away (125, after a message). */
int attach_client(int sock, const struct attach_client_opts *o);
