/* hooks.c - OCI hooks */
#include "hooks.h"
#include "base/cleanup.h"
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *hook_names[HOOK__MAX] = {"prestart",       "createRuntime", "createContainer",
                                            "startContainer", "poststart",     "poststop"};

json_t *hook_state_json(const struct hook_state *st)
{
    json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "ociVersion", "1.2.0", "id", st->id, "status",
                          st->status, "bundle", st->bundle ? st->bundle : "");
    if (st->pid > 0)
        json_object_set_new(o, "pid", json_integer(st->pid));
    json_t *ann = json_object();
    for (size_t i = 0; st->spec && i < st->spec->n_annotations; i++)
        json_object_set_new(ann, st->spec->annotations[i].key,
                            json_string(st->spec->annotations[i].value));
    if (json_object_size(ann))
        json_object_set_new(o, "annotations", ann);
    else
        json_decref(ann);
    return o;
}

static int run_one(const struct spec_hook *h, const char *field, const char *state,
                   struct berr **err)
{
    int in[2];
    if (pipe2(in, O_CLOEXEC) < 0)
        return berr_sys(err, errno, "%s: pipe", field);
    pid_t pid = fork();
    if (pid < 0) {
        close(in[0]);
        close(in[1]);
        return berr_sys(err, errno, "%s: fork", field);
    }
    if (pid == 0) {
        dup2(in[0], STDIN_FILENO);
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        char *const *argv = h->args && h->args[0] ? h->args : (char *[]){h->path, NULL};
        execve(h->path, argv, h->env ? h->env : (char *[]){NULL});
        _exit(127);
    }
    close(in[0]);
    /* the hook may not read its stdin at all: never let that kill or block us */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    sigaction(SIGPIPE, &ign, &old);
    size_t len = strlen(state);
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    ssize_t w = write(in[1], state, len);
    (void)w;
    close(in[1]);
    sigaction(SIGPIPE, &old, NULL);

    int pidfd = syscall(SYS_pidfd_open, pid, 0);
    int timeout_ms = h->timeout.set ? (int)(h->timeout.v * 1000) : -1;
    if (pidfd >= 0) {
        struct pollfd p = {.fd = pidfd, .events = POLLIN};
        int n;
        do
            n = poll(&p, 1, timeout_ms);
        while (n < 0 && errno == EINTR);
        close(pidfd);
        if (n == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            return berr_set(err, BERR_INTERNAL, ETIMEDOUT, "%s %s: timed out after %llds", field,
                            h->path, (long long)h->timeout.v);
        }
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return berr_sys(err, errno, "%s: wait", field);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127 && access(h->path, X_OK) < 0)
        return berr_sys(err, errno, "%s %s", field, h->path);
    if (WIFEXITED(st))
        return berr_set(err, BERR_INTERNAL, EIO, "%s %s: exited with status %d", field, h->path,
                        WEXITSTATUS(st));
    return berr_set(err, BERR_INTERNAL, EIO, "%s %s: killed by signal %d", field, h->path,
                    WTERMSIG(st));
}

int hooks_run(const struct spec *s, enum spec_hook_kind kind, const struct hook_state *st,
              struct berr **err)
{
    if (!s->hooks.n[kind])
        return 0;
    json_t *o = hook_state_json(st);
    _cleanup_free_ char *state = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    /* poststart and poststop failures do not stop the lifecycle: the remaining hooks still
     * run, and the caller gets every failure in one error to warn about */
    bool keep_going = kind == HOOK_POSTSTART || kind == HOOK_POSTSTOP;
    int first = 0;
    for (size_t i = 0; i < s->hooks.n[kind]; i++) {
        char field[64];
        snprintf(field, sizeof(field), "hooks.%s[%zu]", hook_names[kind], i);
        struct berr *e = NULL;
        int r = run_one(&s->hooks.list[kind][i], field, state ? state : "{}", &e);
        if (r >= 0)
            continue;
        if (!keep_going) {
            *err = e;
            return r;
        }
        if (!first) {
            first = r;
            *err = e;
        } else {
            char *m = NULL;
            if (asprintf(&m, "%s; %s", (*err)->msg, e->msg) >= 0) {
                free((*err)->msg);
                (*err)->msg = m;
            }
            berr_free(e);
        }
    }
    return first;
}
