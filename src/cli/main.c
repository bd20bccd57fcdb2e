/* main.c - the berth binary: a multi-call program (berth, berth-runtime) */
#include "cli.h"
#include "engine/monitor.h"
#include "engine/spawn.h"
#include "base/cleanup.h"
#include "engine/containers.h"
#include "engine/engine.h"
#include "base/fs.h"
#include "base/log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char **cli_argv;

char **cli_env_arg(char **env, const char *arg)
{
    if (strchr(arg, '='))
        return strv_append(env, arg);
    if (!getenv(arg))
        return env;
    char *kv = xasprintf("%s=%s", arg, getenv(arg));
    env = strv_append(env, kv);
    free(kv);
    return env;
}

int cli_fail(struct berr *err, int code)
{
    log_msg(LOG_LVL_ERROR, "%s", err && err->msg ? err->msg : "unknown error");
    berr_free(err);
    return code;
}

/* Execs berth-registry (next to this binary, else on PATH) with the roots and the
 * configuration as options, then the command line from the verb on. Returns only on failure. */
static int cli_exec_registry(const char *root, const char *runroot, const char *config, int argc,
                             char **argv)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    self[n > 0 ? n : 0] = 0;
    _cleanup_free_ char *prog = engine_helper_path(self, "berth-registry");
    char **args = xcalloc(argc + 8, sizeof(char *));
    int k = 0;
    args[k++] = "berth-registry";
    args[k++] = "--root";
    args[k++] = (char *)root;
    args[k++] = "--runroot";
    args[k++] = (char *)runroot;
    if (config) {
        args[k++] = "--config";
        args[k++] = (char *)config;
    }
    for (int a = 0; a < argc; a++)
        args[k++] = argv[a];
    args[k] = NULL;
    if (strchr(prog, '/'))
        execv(prog, args);
    else
        execvp(prog, args);
    fprintf(stderr,
            "berth: %s: berth-registry is not installed (not next to berth, not on PATH): "
            "run 'make install'\n",
            argv[0]);
    free(args);
    return 125;
}

static void usage(FILE *f)
{
    fputs("Usage: berth [OPTIONS] COMMAND\n"
          "\n"
          "A container engine built directly on the kernel's primitives.\n"
          "\n"
          "Container commands:\n"
          "  run         run a command in a new container (-d in the background, or --rm)\n"
          "  create      create a container, to start later\n"
          "  start       start created or stopped containers\n"
          "  restart     stop and start containers\n"
          "  pause       freeze every process of containers (unpause: thaw)\n"
          "  rename      give a container another name\n"
          "  top         show a container's processes\n"
          "  port        list a container's published ports (none until bridge networking)\n"
          "  stats       CPU, memory and PIDs of containers (--no-stream)\n"
          "  export      write a container's file system as a tarball\n"
          "  cp          copy files between a container and the host (- : a tar stream)\n"
          "  diff        list the files a container added, changed and deleted\n"
          "  commit      make an image of a container's changes\n"
          "  ps          list containers (-a: stopped ones too; -f KEY=VALUE; --format)\n"
          "  logs        show a container's output (-f to follow)\n"
          "  exec        run a command in a running container\n"
          "  attach      attach to a running container's input and output (ctrl-p ctrl-q: detach)\n"
          "  stop        stop containers (SIGTERM, then SIGKILL after -t seconds)\n"
          "  kill        send a signal to containers\n"
          "  rm          remove containers (-f: running ones too)\n"
          "  wait        wait for containers to exit and print their exit codes\n"
          "  inspect     show containers, images or volumes as JSON (-f: a Go template)\n"
          "  events      show events as they happen (--since, --until, -f KEY=VALUE, --format)\n"
          "  volume      volume commands: create, ls, inspect, rm, prune\n"
          "  container   container commands: create, start, restart, ls, logs, exec, stop, kill, "
          "rm, wait, inspect, cp\n"
          "\n"
          "Image commands:\n"
          "  images      list images (-f KEY=VALUE; --format)\n"
          "  import      make an image from a root filesystem tarball\n"
          "  tag         give an image another name\n"
          "  rmi         remove images\n"
          "  history     show the history of an image\n"
          "  save        write images to an archive (docker save or OCI layout)\n"
          "  load        load images from an archive\n"
          "  image       image commands: ls, import, tag, rm, inspect, history, save, load,\n"
          "              prune, mount, unmount\n"
          "\n"
          "Other commands:\n"
          "  runtime     the OCI runtime (runc-compatible; also installed as berth-runtime)\n"
          "  info        show the engine's configuration and what it holds (-f: a Go template)\n"
          "  system      system commands: info, df [-v], prune [-a] [--volumes] [-f]\n"
          "  version     show the client's and the engine's versions\n"
          "\n"
          "Options:\n"
          "  --root DIR      state root (default /var/lib/berth, or $BERTH_ROOT)\n"
          "  --runroot DIR   run root (default /run/berth, or $BERTH_RUNROOT)\n"
          "  --config FILE   configuration (default /etc/berth/berth.json, or $BERTH_CONFIG)\n"
          "  --debug         debug logging\n"
          "\n"
          "Run 'berth runtime --help' for the runtime's commands.\n",
          f);
}

int main(int argc, char **argv)
{
    cli_argv = argv;
    xalloc_setup_jansson(); /* before any JSON value: out of memory aborts there too */
    const char *self = strrchr(argv[0], '/');
    self = self ? self + 1 : argv[0];
    if (strcmp(self, "berth-runtime") == 0) {
        log_set_program("berth-runtime");
        return cmd_runtime(argc, argv);
    }
    if (strcmp(self, "init") == 0 && argc > 1 && strcmp(argv[1], "--") == 0)
        return cmd_init(argc, argv);
    if (strcmp(self, "berth-monitor") == 0)
        return monitor_resume(argc, argv);
    /* a helper the engine forked and exec'd (engine/spawn.h) */
    if (strcmp(self, "berth-spawn") == 0)
        return spawn_main(argc, argv);
    log_set_program("berth");
    const char *root = getenv("BERTH_ROOT") ? getenv("BERTH_ROOT") : "/var/lib/berth";
    const char *runroot = getenv("BERTH_RUNROOT") && *getenv("BERTH_RUNROOT")
                              ? getenv("BERTH_RUNROOT")
                              : "/run/berth";
    const char *config =
        getenv("BERTH_CONFIG") && *getenv("BERTH_CONFIG") ? getenv("BERTH_CONFIG") : NULL;
    int i = 1;
    /* global options before the command, docker-style */
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--root") && i + 1 < argc)
            root = argv[++i];
        else if (!strncmp(a, "--root=", 7))
            root = a + 7;
        else if (!strcmp(a, "--runroot") && i + 1 < argc)
            runroot = argv[++i];
        else if (!strncmp(a, "--runroot=", 10))
            runroot = a + 10;
        else if (!strcmp(a, "--config") && i + 1 < argc)
            config = argv[++i];
        else if (!strncmp(a, "--config=", 9))
            config = a + 9;
        else if (!strcmp(a, "--debug") || !strcmp(a, "-D"))
            log_setup(NULL, false, LOG_LVL_DEBUG);
        else if (!strcmp(a, "--version") || !strcmp(a, "-v")) {
            printf("berth version %s\n", BERTH_VERSION);
            return 0;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "berth: unknown option %s: see 'berth --help'\n", a);
            return 125;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 125;
    }
    /* the root, absolute and free of the characters that separate mount options */
    if (root[0] != '/') {
        _cleanup_free_ char *cwd = getcwd(NULL, 0);
        char *absroot = NULL;
        if (!cwd || asprintf(&absroot, "%s/%s", cwd, root) < 0) {
            fprintf(stderr, "berth: --root %s: cannot resolve it\n", root);
            return 125;
        }
        root = absroot; /* for the life of the process */
    }
    if (strlen(root) > FS_ROOT_MAX) {
        fprintf(stderr, "berth: --root %s: path is too long (over %d bytes)\n", root, FS_ROOT_MAX);
        return 125;
    }
    if (runroot[0] != '/') {
        fprintf(stderr, "berth: --runroot %s: give an absolute path\n", runroot);
        return 125;
    }
    if (strlen(runroot) > FS_ROOT_MAX) {
        fprintf(stderr, "berth: --runroot %s: path is too long (over %d bytes)\n", runroot,
                FS_ROOT_MAX);
        return 125;
    }
    if (strpbrk(root, ",:")) {
        fprintf(stderr, "berth: --root %s: a root path must not contain ',' or ':'\n", root);
        return 125;
    }
    const char *cmd = argv[i];
    if (strcmp(cmd, "runtime") == 0) {
        log_set_program("berth runtime");
        return cmd_runtime(argc - i, argv + i);
    }
    if (strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    /* the registry's verbs are berth-registry's, a program of its own: it links libcurl and
     * libmicrohttpd, which cannot be linked statically, and berth stays one static binary
     * (copied into a sealed memfd at every start, bound into containers by --init) */
    static const char *registry_verbs[] = {"pull", "push", "login", "logout", "registry"};
    for (size_t k = 0; k < sizeof(registry_verbs) / sizeof(*registry_verbs); k++)
        if (strcmp(cmd, registry_verbs[k]) == 0)
            return cli_exec_registry(root, runroot, config, argc - i, argv + i);
    /* one handle for the command's life: the roots and the configuration, read once */
    struct berr *err = NULL;
    _cleanup_engine_ struct engine *e = engine_new(root, runroot, config, &err);
    if (!e) {
        berr_prefix(&err, "%s", cmd); /* "berth: run: config FILE: ..." */
        return cli_fail(err, 125);
    }
    int sub_argc = argc - i;
    char **sub_argv = argv + i;
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "info") == 0)
        return cmd_system(e, cmd, sub_argc, sub_argv);
    if (strcmp(cmd, "system") == 0)
        return cmd_system(e, sub_argc > 1 ? sub_argv[1] : "", sub_argc - 1, sub_argv + 1);
    if (strcmp(cmd, "run") == 0 || strcmp(cmd, "create") == 0)
        return cmd_run(e, sub_argc, sub_argv);
    if (strcmp(cmd, "export") == 0)
        return cmd_export(e, sub_argc, sub_argv);
    if (strcmp(cmd, "cp") == 0)
        return cmd_cp(e, sub_argc, sub_argv);
    if (strcmp(cmd, "start") == 0)
        return cmd_start(e, sub_argc, sub_argv);
    if (strcmp(cmd, "diff") == 0 || strcmp(cmd, "commit") == 0)
        return (cmd[0] == 'd' ? cmd_diff : cmd_commit)(e, sub_argc, sub_argv);
    static const char *container_verbs[] = {"ps",     "logs", "exec",    "stop",   "kill",
                                            "rm",     "wait", "restart", "pause",  "unpause",
                                            "rename", "top",  "stats",   "attach", "port"};
    for (size_t k = 0; k < sizeof(container_verbs) / sizeof(*container_verbs); k++)
        if (strcmp(cmd, container_verbs[k]) == 0)
            return cmd_container(e, cmd, sub_argc, sub_argv);
    if (strcmp(cmd, "container") == 0) {
        if (sub_argc < 2) {
            fprintf(stderr, "berth: container: give a command (create, start, restart, ls, logs, "
                            "exec, stop, kill, rm, wait, "
                            "inspect)\n");
            return 125;
        }
        if (!strcmp(sub_argv[1], "diff") || !strcmp(sub_argv[1], "commit"))
            return (sub_argv[1][0] == 'd' ? cmd_diff : cmd_commit)(e, sub_argc - 1, sub_argv + 1);
        return cmd_container(e, sub_argv[1], sub_argc - 1, sub_argv + 1);
    }
    if (strcmp(cmd, "events") == 0)
        return cmd_engine_events(e, sub_argc, sub_argv);
    if (strcmp(cmd, "volume") == 0)
        return cmd_volume(e, sub_argc, sub_argv);
    /* inspect: a container, an image or a volume, whichever has the name, as docker does */
    if (strcmp(cmd, "inspect") == 0)
        return cmd_inspect(e, NULL, sub_argc, sub_argv);
    static const char *image_verbs[] = {"import",  "images", "tag", "rmi",
                                        "history", "save",   "load"};
    for (size_t k = 0; k < sizeof(image_verbs) / sizeof(*image_verbs); k++)
        if (strcmp(cmd, image_verbs[k]) == 0)
            return cmd_image(e, cmd, sub_argc, sub_argv);
    if (strcmp(cmd, "image") == 0) {
        if (sub_argc < 2) {
            fprintf(stderr,
                    "berth: image: give a command (ls, import, tag, rm, inspect, history)\n");
            return 125;
        }
        return cmd_image(e, sub_argv[1], sub_argc - 1, sub_argv + 1);
    }
    fprintf(stderr, "berth: '%s' is not a berth command: see 'berth --help'\n", cmd);
    return 125;
}
