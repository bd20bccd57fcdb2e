/* main.c - the berth binary: a multi-call program (berth, berth-runtime) */
#include "cli.h"
#include "base/log.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

char **cli_argv;

int cli_fail(struct berr *err, int code)
{
    log_msg(LOG_LVL_ERROR, "%s", err && err->msg ? err->msg : "unknown error");
    berr_free(err);
    return code;
}

static void usage(FILE *f)
{
    fputs("Usage: berth COMMAND [OPTIONS]\n"
          "\n"
          "A container engine built directly on the kernel's primitives.\n"
          "\n"
          "Commands:\n"
          "  runtime     the OCI runtime (runc-compatible; also installed as berth-runtime)\n"
          "  version     show the version\n"
          "\n"
          "Run 'berth runtime --help' for the runtime's commands.\n",
          f);
}

int main(int argc, char **argv)
{
    cli_argv = argv;
    const char *self = strrchr(argv[0], '/');
    self = self ? self + 1 : argv[0];
    if (strcmp(self, "berth-runtime") == 0) {
        log_set_program("berth-runtime");
        return cmd_runtime(argc, argv);
    }
    log_set_program("berth");
    if (argc < 2) {
        usage(stderr);
        return 125;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "runtime") == 0) {
        log_set_program("berth runtime");
        return cmd_runtime(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0 || strcmp(cmd, "-v") == 0) {
        printf("berth version %s\n", BERTH_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "berth: '%s' is not a berth command: see 'berth --help'\n", cmd);
    return 125;
}
