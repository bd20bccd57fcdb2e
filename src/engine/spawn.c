/* spawn.c - a named job in a helper process, forked (the CLI) or forked and exec'd (a daemon) */
#include "spawn.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "engine/engine.h"
#include "linux/selfexe.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/close_range.h>

extern char **environ;

static spawn_job_fn probe_job;

/* sealed: the job's process may be seen from a container's pid namespace, so it runs from a
 * copy of berth nobody can write (linux/selfexe.h) */
static const struct job_entry {
    const char *name;
    spawn_job_fn *fn;
    bool sealed;
} jobs[] = {
    {"monitor", monitor_job, false},       {"create", ctr_create_job, false},
    {"export", ctr_export_job, false},     {"copy", ctr_copy_job, false},
    {"exec", ctr_exec_job, true},          {"probe", probe_job, false},
    {"image-mount", img_mount_job, false},
};

/* the fds a berth-spawn finds: the report pipe, the document, then the ones handed over */
enum { FD_REPORT = 3, FD_DOC = 4, FD_FIRST = 5 };

struct spawn {
    pid_t pid;
    int rfd; /* the report pipe's read end */
    int flags;
    const char *job; /* a name of the table */
};

static const struct job_entry *find_job(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(jobs); i++)
        if (!strcmp(jobs[i].name, name))
            return &jobs[i];
    return NULL;
}

void spawn_report(struct spawn_job *j, const struct berr *err)
{
    if (j->report < 0)
        return;
    if (err)
        dprintf(j->report, "1 %d %d %s", (int)err->kind, err->errnum,
                err->msg ? err->msg : "unknown error");
    else
        dprintf(j->report, "0");
    close(j->report);
    j->report = -1;
}

/* The job, then the helper's end. Never returns. */
static _Noreturn void run_job(const struct job_entry *je, struct spawn_job *j)
{
    struct berr *err = NULL;
    int r = je->fn(j, &err);
    if (r < 0) {
        /* a failure that set no error (a bug) is still reported as one */
        struct berr unknown = {.kind = BERR_INTERNAL, .errnum = EIO, .msg = (char *)"failed"};
        spawn_report(j, err ? err : &unknown);
        _exit(1);
    }
    spawn_report(j, NULL);
    _exit(r & 0xff);
}

/* All fds from 3 up but those in keep: what the caller holds is none of the helper's
 * business (a shell's $(berth ...) must not wait for it, nor may it hold their locks) */
static void close_except(const int *keep, size_t n)
{
    int sorted[SPAWN_MAX_FDS + 1];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int fd = keep[i];
        size_t at = k;
        while (at > 0 && sorted[at - 1] > fd) {
            sorted[at] = sorted[at - 1];
            at--;
        }
        sorted[at] = fd;
        k++;
    }
    unsigned from = 3;
    for (size_t i = 0; i < k; i++) {
        if (sorted[i] < (int)from)
            continue;
        if (sorted[i] > (int)from)
            close_range(from, sorted[i] - 1, 0);
        from = sorted[i] + 1;
    }
    close_range(from, ~0U, 0);
}

/* Forks the helper: 0 in it (with no signal blocked, and killed with the caller if asked:
 * async-signal-safe steps only), its pid in the caller, or -1 with err */
static pid_t fork_helper(const char *job, int flags, struct berr **err)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        berr_sys(err, errno, "%s: fork", job);
        return -1;
    }
    if (pid > 0 && (flags & SPAWN_ORPHAN)) {
        /* the middle process has forked the helper and gone: init (or the nearest
         * subreaper) reaps the helper, never the long-lived caller */
        int ws;
        while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
            ;
        if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
            berr_set(err, BERR_INTERNAL, EAGAIN, "%s: fork", job);
            return -1;
        }
        return pid;
    }
    if (pid == 0 && (flags & SPAWN_ORPHAN)) {
        pid_t helper = fork();
        if (helper != 0)
            _exit(helper < 0 ? 1 : 0);
    }
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if ((flags & SPAWN_DIE_WITH_CALLER) &&
            (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent))
            _exit(1);
    }
    return pid;
}

/* The caller's side of a helper forked with report pipe p */
static struct spawn *started(pid_t pid, int p[2], int flags, const char *job)
{
    close(p[1]);
    struct spawn *s = xcalloc(1, sizeof(*s));
    *s = (struct spawn){.pid = pid, .rfd = p[0], .flags = flags, .job = job};
    return s;
}

/* In the child of fork+exec: only async-signal-safe calls from here to the exec (another
 * thread of the caller may have held any lock at the fork). src: the report pipe, the
 * document, the fds handed over; each goes to FD_REPORT + its index. */
static _Noreturn void exec_child(int bfd, const int *src, int *tmp, int n, char **argv)
{
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            sigaction(sig, &dfl, NULL); /* an ignored signal would stay ignored across exec */
    /* out of the way of the targets first: a source may sit on another's target */
    int above = FD_REPORT + n;
    for (int i = 0; i < n; i++)
        if ((tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, above)) < 0)
            goto fail;
    if ((bfd = fcntl(bfd, F_DUPFD_CLOEXEC, above)) < 0)
        goto fail;
    for (int i = 0; i < n; i++)
        if (dup2(tmp[i], FD_REPORT + i) < 0) /* without close-on-exec */
            goto fail;
    /* everything else closes at the exec (bfd too: an ELF binary runs from a closed fd) */
    close_range(above, ~0U, CLOSE_RANGE_CLOEXEC);
    syscall(SYS_execveat, bfd, "", argv, environ, AT_EMPTY_PATH);
fail:;
    /* the report, without printf: "1 0 <errno> ..." */
    char msg[96] = "1 0 ", num[16];
    int e = errno, len = 4, k = 0;
    do
        num[k++] = '0' + e % 10;
    while ((e /= 10) && k < 15);
    while (k)
        msg[len++] = num[--k];
    const char *what = " the helper could not exec berth";
    for (const char *c = what; *c && len < (int)sizeof(msg) - 1; c++)
        msg[len++] = *c;
    (void)!write(src[0], msg, len);
    _exit(127);
}

static struct spawn *start_exec(struct engine *e, const struct job_entry *je, json_t *args,
                                const int *fds, size_t nfds, int flags, int p[2], struct berr **err)
{
    json_t *doc __attribute__((cleanup(json_decrefp))) =
        json_pack("{s:s,s:s,s:s,s:s?,s:s,s:b,s:i,s:O}", "job", je->name, "root", e->root, "runroot",
                  e->runroot, "config", e->config_path, "berth", e->berth, "debug",
                  log_debug_enabled(), "nfds", (int)nfds, "args", args);
    _cleanup_free_ char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    _cleanup_close_ int afd = memfd_create("berth-spawn", MFD_CLOEXEC);
    _cleanup_close_ int bfd = open(e->berth, O_PATH | O_CLOEXEC);
    if (!text) {
        berr_set(err, BERR_INVALID, EINVAL, "%s: its arguments cannot be encoded", je->name);
        goto fail;
    }
    if (afd < 0 || fs_write_all(afd, text, strlen(text)) < 0) {
        berr_sys(err, errno, "%s: its arguments", je->name);
        goto fail;
    }
    if (bfd < 0) {
        berr_sys(err, errno, "%s: %s", je->name, e->berth);
        goto fail;
    }
    char *argv[] = {"berth-spawn", (char *)je->name, NULL};
    int src[2 + SPAWN_MAX_FDS], tmp[2 + SPAWN_MAX_FDS];
    src[0] = p[1];
    src[1] = afd;
    for (size_t i = 0; i < nfds; i++)
        src[2 + i] = fds[i];
    pid_t pid = fork_helper(je->name, flags, err);
    if (pid < 0)
        goto fail;
    if (pid == 0)
        exec_child(bfd, src, tmp, 2 + (int)nfds, argv);
    return started(pid, p, flags, je->name);
fail:
    close(p[0]);
    close(p[1]);
    return NULL;
}

struct spawn *spawn_start(struct engine *e, const char *job, json_t *args, const int *fds,
                          size_t nfds, int flags, struct berr **err)
{
    const struct job_entry *je = find_job(job);
    if (!je) {
        berr_set(err, BERR_NOT_FOUND, ENOENT, "no helper job \"%s\"", job);
        return NULL;
    }
    if (nfds > SPAWN_MAX_FDS) {
        berr_set(err, BERR_INVALID, EINVAL, "%s: too many fds for a helper", job);
        return NULL;
    }
    json_t *none __attribute__((cleanup(json_decrefp))) = args ? NULL : json_object();
    if (!args)
        args = none;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        berr_sys(err, errno, "%s: pipe", job);
        return NULL;
    }
    /* a long-lived caller would collect its detached helpers as zombies */
    if (e->exec_helpers && (flags & SPAWN_DETACH))
        flags |= SPAWN_ORPHAN;
    if (e->exec_helpers)
        return start_exec(e, je, args, fds, nfds, flags, p, err);
    fflush(NULL);
    pid_t pid = fork_helper(je->name, flags, err);
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return NULL;
    }
    if (pid == 0) {
        int keep[SPAWN_MAX_FDS + 1];
        keep[0] = p[1];
        for (size_t i = 0; i < nfds; i++)
            keep[1 + i] = fds[i];
        close_except(keep, 1 + nfds);
        struct spawn_job j = {.e = e, .args = args, .fds = fds, .nfds = nfds, .report = p[1]};
        run_job(je, &j);
    }
    return started(pid, p, flags, je->name);
}

pid_t spawn_pid(const struct spawn *s)
{
    return s->pid;
}

int spawn_wait(struct spawn *s, int *ret_wstatus, struct berr **err)
{
    char buf[4096], rest[256];
    size_t len = 0;
    for (;;) {
        /* to the end (EOF: the helper's last copy of the pipe is gone), past the buffer too */
        bool full = len == sizeof(buf) - 1;
        ssize_t n = full ? read(s->rfd, rest, sizeof(rest))
                         : read(s->rfd, buf + len, sizeof(buf) - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (!full)
            len += n;
    }
    buf[len] = 0;
    close(s->rfd);
    bool ok = strcmp(buf, "0") == 0;
    int ws = -1;
    if (!ok || !(s->flags & SPAWN_DETACH))
        while (waitpid(s->pid, &ws, 0) < 0 && errno == EINTR)
            ;
    if (ret_wstatus)
        *ret_wstatus = ws;
    const char *job = s->job;
    free(s);
    if (ok)
        return 0;
    int kind = BERR_INTERNAL, errnum = EIO, off = 0;
    if (sscanf(buf, "1 %d %d %n", &kind, &errnum, &off) >= 2 && off)
        return berr_set(err, (enum berr_kind)kind, errnum, "%s", buf + off);
    char how[64];
    if (ws != -1 && WIFSIGNALED(ws))
        snprintf(how, sizeof(how), "%s", strsignal(WTERMSIG(ws)));
    else
        snprintf(how, sizeof(how), "exit status %d", ws != -1 ? WEXITSTATUS(ws) : -1);
    berr_set(err, BERR_INTERNAL, EIO, "the %s helper ended without a word (%s)", job, how);
    return SPAWN_DIED;
}

int spawn_run(struct engine *e, const char *job, json_t *args, const int *fds, size_t nfds,
              int flags, int *ret_status, struct berr **err)
{
    struct spawn *s = spawn_start(e, job, args, fds, nfds, flags, err);
    if (!s)
        return berr_code(*err);
    int ws;
    int r = spawn_wait(s, &ws, err);
    if (r != 0)
        return r < 0 ? r : berr_code(*err);
    if (ret_status)
        *ret_status = ws != -1 && WIFEXITED(ws) ? WEXITSTATUS(ws) : 0;
    return 0;
}

/* Whether fd is what `prefix` names (its /proc/self/fd link begins with it) */
static bool fd_is(int fd, const char *prefix)
{
    char p[64], what[128];
    snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(p, what, sizeof(what) - 1);
    if (n <= 0)
        return false;
    what[n] = 0;
    return !strncmp(what, prefix, strlen(prefix));
}

int spawn_main(int argc, char **argv)
{
    log_set_program("berth-spawn");
    /* only spawn_start execs this, with the report pipe and the document at fixed fds: a
     * berth-spawn run by hand (a link of that name) does nothing */
    if (argc != 2 || !fd_is(FD_REPORT, "pipe:") || !fd_is(FD_DOC, "/memfd:berth-spawn")) {
        fprintf(stderr, "berth-spawn: started by berth's engine only\n");
        return 125;
    }
    struct spawn_job j = {.report = FD_REPORT};
    struct berr *err = NULL;
    const struct job_entry *je = find_job(argv[1]);
    int r;
    if (!je) {
        berr_set(&err, BERR_NOT_FOUND, ENOENT, "no helper job \"%s\"", argv[1]);
        goto fail;
    }
    /* before anything is read: the fds pass the exec as they passed ours */
    if (je->sealed && (r = selfexe_reexec(argv)) < 0) {
        berr_sys(&err, -r, "%s: a sealed copy of berth", je->name);
        goto fail;
    }
    fcntl(FD_REPORT, F_SETFD, FD_CLOEXEC);
    struct stat st;
    _cleanup_free_ char *text = NULL;
    if (fstat(FD_DOC, &st) < 0) {
        berr_sys(&err, errno, "%s: its arguments", je->name);
        goto fail;
    }
    if (st.st_size > (1 << 26)) {
        berr_set(&err, BERR_INTERNAL, EFBIG, "%s: its arguments are too long", je->name);
        goto fail;
    }
    text = xmalloc(st.st_size + 1);
    for (off_t off = 0; off < st.st_size;) {
        ssize_t n = pread(FD_DOC, text + off, st.st_size - off, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            berr_sys(&err, n < 0 ? errno : EIO, "%s: its arguments", je->name);
            goto fail;
        }
        off += n;
    }
    close(FD_DOC);
    json_t *doc = json_loadb(text, st.st_size, 0, NULL);
    const char *job = json_string_value(json_object_get(doc, "job"));
    const char *berth = json_string_value(json_object_get(doc, "berth"));
    json_int_t nfds = json_integer_value(json_object_get(doc, "nfds"));
    if (!doc || !job || strcmp(job, je->name) != 0 || !berth || nfds < 0 || nfds > SPAWN_MAX_FDS) {
        berr_set(&err, BERR_INTERNAL, EINVAL, "%s: its arguments are not readable", je->name);
        goto fail;
    }
    if (json_is_true(json_object_get(doc, "debug")))
        log_setup(NULL, false, LOG_LVL_DEBUG);
    struct engine *e = engine_new(json_string_value(json_object_get(doc, "root")),
                                  json_string_value(json_object_get(doc, "runroot")),
                                  json_string_value(json_object_get(doc, "config")), &err);
    if (!e)
        goto fail;
    e->exec_helpers = true;
    free(e->berth);
    e->berth = xstrdup(berth);
    int fds[SPAWN_MAX_FDS];
    for (int i = 0; i < nfds; i++) {
        fds[i] = FD_FIRST + i;
        fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    }
    j = (struct spawn_job){.e = e,
                           .args = json_object_get(doc, "args"),
                           .fds = fds,
                           .nfds = nfds,
                           .report = FD_REPORT};
    run_job(je, &j);
fail:
    spawn_report(&j, err);
    _exit(1);
}

/* A job that tests use (tests/unit/test-spawn.c): writes args.write to each fd handed over
 * (args.mask: how many signals the helper has blocked, and its parent's pid), fails with
 * args.fail ({kind, errno, message}), or ends with exit status args.status. */
static int probe_job(struct spawn_job *j, struct berr **err)
{
    json_t *a = j->args;
    const char *w = json_string_value(json_object_get(a, "write"));
    char line[64] = "";
    if (json_is_true(json_object_get(a, "mask"))) {
        sigset_t set;
        sigprocmask(SIG_SETMASK, NULL, &set);
        int blocked = 0;
        for (int sig = 1; sig < NSIG; sig++)
            blocked += sigismember(&set, sig) == 1;
        snprintf(line, sizeof(line), "%d", blocked);
        w = line;
    }
    for (size_t i = 0; w && i < j->nfds; i++)
        if (fs_write_all(j->fds[i], w, strlen(w)) < 0)
            return berr_sys(err, errno, "probe: write");
    json_t *f = json_object_get(a, "fail");
    if (f)
        return berr_set(err, (enum berr_kind)json_integer_value(json_object_get(f, "kind")),
                        (int)json_integer_value(json_object_get(f, "errno")), "%s",
                        json_string_value(json_object_get(f, "message")) ?: "probe failed");
    return (int)json_integer_value(json_object_get(a, "status"));
}
