/* client-test-main.c - TEST ONLY: a stand-in for berth-registry's main (src/registry/main.c,
 * written elsewhere) so that the client's verbs can be run before the two meet:
 *   berth-registry-client-test --root R --runroot RR [--config F] pull|push|login|logout ...
 * Never installed. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include "base/xalloc.h"
#include "engine/engine.h"
#include "registry/client.h"

int main(int argc, char **argv)
{
    const char *root = NULL, *runroot = NULL, *config = NULL;
    int i = 1;
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (!strcmp(argv[i], "--root"))
            root = argv[i + 1];
        else if (!strcmp(argv[i], "--runroot"))
            runroot = argv[i + 1];
        else if (!strcmp(argv[i], "--config"))
            config = argv[i + 1];
        else
            break;
    }
    if (!root || !runroot || i >= argc) {
        fprintf(stderr, "usage: %s --root R --runroot RR [--config F] VERB ARGS...\n", argv[0]);
        return 125;
    }
    xalloc_setup_jansson();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct berr *err = NULL;
    struct engine *e = engine_new(root, runroot, config, &err);
    if (!e) {
        fprintf(stderr, "berth: %s\n", err->msg);
        return 125;
    }
    int (*fn)(struct engine *, int, char **) = NULL;
    if (!strcmp(argv[i], "pull"))
        fn = reg_pull_main;
    else if (!strcmp(argv[i], "push"))
        fn = reg_push_main;
    else if (!strcmp(argv[i], "login"))
        fn = reg_login_main;
    else if (!strcmp(argv[i], "logout"))
        fn = reg_logout_main;
    int rc = 125;
    if (fn)
        rc = fn(e, argc - i, argv + i);
    else
        fprintf(stderr, "berth: unknown verb %s\n", argv[i]);
    engine_free(e);
    curl_global_cleanup();
    return rc;
}
