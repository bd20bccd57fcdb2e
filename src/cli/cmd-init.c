/* cmd-init.c - `run --init`: berth as the container's PID 1, as docker-init (tini) and
 * catatonit are. The static berth binary is bound read-only at /dev/init, and the process
 * is `/dev/init -- CMD...`: it starts CMD, passes every signal it gets on to it, reaps every
 * orphan the container's processes leave, and exits with CMD's exit code. */
#include "cli.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int cmd_init(int argc, char **argv)
{
    int first = 1;
    if (first < argc && !strcmp(argv[first], "--"))
        first++;
    if (first >= argc) {
        fprintf(stderr, "init: usage: /dev/init -- COMMAND [ARG...]\n");
        return 125;
    }
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t child = fork();
    if (child < 0) {
        perror("init: fork");
        return 125;
    }
    if (child == 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        /* its own process group, in front on the terminal: ^C reaches it as without init */
        setpgid(0, 0);
        if (isatty(STDIN_FILENO))
            tcsetpgrp(STDIN_FILENO, getpgrp());
        execvp(argv[first], argv + first);
        int e = errno;
        fprintf(stderr, "init: exec %s: %s\n", argv[first], strerror(e));
        _exit(e == ENOENT ? 127 : 126);
    }
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&all, &si);
        if (sig < 0)
            continue;
        if (sig != SIGCHLD) {
            /* to the command (and its group, for a shell's pipeline) */
            kill(child, sig);
            continue;
        }
        int status;
        pid_t w;
        while ((w = waitpid(-1, &status, WNOHANG)) > 0)
            if (w == child) {
                /* the rest of the group goes with it, then we end with its code */
                kill(-child, SIGKILL);
                while (waitpid(-1, NULL, WNOHANG) > 0)
                    ;
                return WIFEXITED(status)     ? WEXITSTATUS(status)
                       : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                             : 255;
            }
    }
}
