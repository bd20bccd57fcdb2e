/* getopt.c - getopt_long as docker's CLI parses: whole names only, docker's messages.
 *
 * glibc's getopt_long takes any unambiguous prefix of a long option: `--pid 7` would be
 * `--pids-limit 7`, a limit set silently. Every CLI file gets this wrapper through cli.h's
 * macro: a long option is taken only when its whole name was typed; anything else is
 * "unknown flag: --pid" (exit 125 from the caller, as docker). A boolean flag takes
 * `--rm=true` and `--rm=false` (the latter: as if it were not given), as docker's do.
 * Messages are printed only while opterr is set (commands that print their own clear it). */
#include "cli.h"
#include <stdio.h>
#include <string.h>
#undef getopt_long

/* the long option named exactly n bytes of name, or -1 */
static int find_exact(const struct option *longs, const char *name, size_t n)
{
    for (int k = 0; longs && longs[k].name; k++)
        if (strlen(longs[k].name) == n && !strncmp(longs[k].name, name, n))
            return k;
    return -1;
}

/* the option's result as getopt gives it: its val, or 0 after setting *flag */
static int result(const struct option *o)
{
    if (o->flag) {
        *o->flag = o->val;
        return 0;
    }
    return o->val;
}

static bool takes_arg(const char *shorts, int c)
{
    const char *p = c && c != ':' ? strchr(shorts, c) : NULL;
    return p && p[1] == ':';
}

int cli_getopt_long(int argc, char *const argv[], const char *shorts, const struct option *longs,
                    int *longindex)
{
    const char *verb = argc > 0 ? argv[0] : "berth";
    for (;;) {
        int idx = -1, print = opterr;
        opterr = 0;
        int c = getopt_long(argc, argv, shorts, longs, &idx);
        opterr = print;
        if (longindex)
            *longindex = idx;
        if (c == -1)
            return c;
        /* the element that held the option: before its separate argument, if it had one */
        const char *t = optind >= 1 && optind <= argc ? argv[optind - 1] : "";
        if (c != '?' && c != ':' && optarg && optarg == argv[optind - 1] && optind >= 2)
            t = argv[optind - 2];
        bool is_long = t[0] == '-' && t[1] == '-' && t[2];
        const char *name = t + 2;
        size_t n = is_long ? strcspn(name, "=") : 0;
        if (c != '?' && c != ':') {
            if (idx < 0 || !is_long || find_exact(longs, name, n) == idx)
                return c;
            if (print)
                fprintf(stderr, "berth: %s: unknown flag: --%.*s\n", verb, (int)n, name);
            return '?';
        }
        /* an error: a boolean with =true or =false, or docker's words for it */
        int k = is_long ? find_exact(longs, name, n) : -1;
        if (k >= 0 && longs[k].has_arg == no_argument && name[n] == '=') {
            const char *v = name + n + 1;
            if (!strcmp(v, "true") || !strcmp(v, "1")) {
                if (longindex)
                    *longindex = k;
                return result(&longs[k]);
            }
            if (!strcmp(v, "false") || !strcmp(v, "0"))
                continue; /* as if not given */
            if (print)
                fprintf(stderr,
                        "berth: %s: invalid argument \"%s\" for \"--%s\" flag: use true or "
                        "false\n",
                        verb, v, longs[k].name);
            return '?';
        }
        if (!print)
            return c;
        if (k >= 0 && longs[k].has_arg == required_argument)
            fprintf(stderr, "berth: %s: flag needs an argument: --%s\n", verb, longs[k].name);
        else if (is_long)
            fprintf(stderr, "berth: %s: unknown flag: --%.*s\n", verb, (int)n, name);
        else if (optopt && takes_arg(shorts, optopt))
            fprintf(stderr, "berth: %s: flag needs an argument: '%c' in -%c\n", verb, optopt,
                    optopt);
        else if (optopt)
            fprintf(stderr, "berth: %s: unknown shorthand flag: '%c' in %s\n", verb, optopt, t);
        else
            fprintf(stderr, "berth: %s: unknown flag: %s\n", verb, t);
        return c;
    }
}
