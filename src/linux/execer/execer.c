/* execer.c - the trampoline a container's process is exec'd through.
 *
 * Built freestanding (no libc: it starts in microseconds) and embedded in berth, which
 * runs it from a sealed memfd as the last step of setting up a container's process:
 *     argv = { FD, TARGET, ARG0, ARG1, ... }
 *       -> fcntl(FD, F_SETFD, FD_CLOEXEC); execve(TARGET, { ARG0, ARG1, ... }, envp)
 * FD (decimal, 0 for none) is the descriptor that tells berth the program started (exec.fifo,
 * the sync socket): it is left open across the exec of this trampoline and closes at the
 * program's own exec. fcntl, not close_range: seccomp profiles written for older kernels
 * (the OCI test suite's, for one) do not allow close_range.
 * Why: if the container's program is a script whose interpreter is /proc/self/exe (the
 * CVE-2019-5736 attack), the kernel runs whatever image the exec'ing process has. That is
 * this sealed copy, never the host's berth binary, so nothing in the container can get a
 * writable handle on the host's binary. */

#if defined(__x86_64__)
#define SYS_EXECVE 59
#define SYS_EXIT 60
#define SYS_WRITE 1
#define SYS_FCNTL 72
static long sys3(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}
__asm__(".text\n"
        ".globl _start\n"
        "_start:\n"
        "  xor %rbp, %rbp\n"
        "  mov %rsp, %rdi\n"
        "  and $-16, %rsp\n"
        "  call execer_main\n"
        "  hlt\n");
#elif defined(__aarch64__)
#define SYS_EXECVE 221
#define SYS_EXIT 93
#define SYS_WRITE 64
#define SYS_FCNTL 25
static long sys3(long n, long a, long b, long c)
{
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    return x0;
}
__asm__(".text\n"
        ".globl _start\n"
        "_start:\n"
        "  mov x29, #0\n"
        "  mov x0, sp\n"
        "  bl execer_main\n");
#else
#error "execer: unsupported architecture"
#endif

static unsigned long len(const char *s)
{
    unsigned long n = 0;
    while (s[n])
        n++;
    return n;
}

__attribute__((noreturn, used)) void execer_main(long *sp)
{
    long argc = sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    /* argv[0] must be the descriptor number berth passes: anything else (this image run as
     * a script's interpreter, say) is refused */
    long fd = 0;
    const char *p = argc >= 3 ? argv[0] : "";
    if (!*p)
        fd = -1;
    for (; *p && fd >= 0; p++)
        fd = (*p >= '0' && *p <= '9') ? fd * 10 + (*p - '0') : -1;
    if (fd >= 0) {
        if (fd >= 3)
            sys3(SYS_FCNTL, fd, 2 /* F_SETFD */, 1 /* FD_CLOEXEC */);
        long r = sys3(SYS_EXECVE, (long)argv[1], (long)(argv + 2), (long)envp);
        /* the same codes as berth's own exec failure: 127 not found, 126 else */
        static const char pre[] = "berth: exec \"";
        static const char post[] = "\": failed\n";
        sys3(SYS_WRITE, 2, (long)pre, sizeof(pre) - 1);
        sys3(SYS_WRITE, 2, (long)argv[2], (long)len(argv[2]));
        sys3(SYS_WRITE, 2, (long)post, sizeof(post) - 1);
        sys3(SYS_EXIT, r == -2 ? 127 : 126, 0, 0);
    }
    sys3(SYS_EXIT, 127, 0, 0);
    for (;;)
        ;
}
