/* server.h - `berth registry serve`: an OCI distribution-spec v1.1 registry on libmicrohttpd,
 * one thread per connection (a slow client holds only its own thread), storage in regstore.h */
#pragma once
#include <stdbool.h>
#include "base/error.h"

struct server_opts {
    const char *addr;     /* HOST:PORT, [V6]:PORT or :PORT */
    const char *root;     /* the store's directory */
    const char *tls_cert; /* PEM files, both or neither */
    const char *tls_key;
    const char *htpasswd; /* bcrypt entries; NULL: anonymous */
    bool read_only;
};

/* Serves until SIGINT or SIGTERM; logs a line per request on stderr. */
int server_run(const struct server_opts *o, struct berr **err);
