/* table.c - docker-style tables */
#include "table.h"
#include "engine/ctr-query.h"
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

struct table {
    int ncols;
    size_t nrows;
    char **cells; /* nrows * ncols */
};

struct table *table_new(int ncols)
{
    struct table *t = calloc(1, sizeof(*t));
    if (t)
        t->ncols = ncols;
    return t;
}

void table_add(struct table *t, const char *const *cells)
{
    char **n = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(char *));
    if (!n)
        return;
    t->cells = n;
    for (int c = 0; c < t->ncols; c++)
        t->cells[t->nrows * t->ncols + c] = strdup(cells[c] ? cells[c] : "");
    t->nrows++;
}

/* columns of a cell: UTF-8 characters, not bytes ("…" is one) */
static size_t cell_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

void table_print(struct table *t, FILE *f, const char *const *header)
{
    size_t *w = calloc(t->ncols, sizeof(size_t));
    for (int c = 0; f && c < t->ncols; c++) {
        w[c] = cell_width(header[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            size_t l = cell_width(t->cells[r * t->ncols + c]);
            if (l > w[c])
                w[c] = l;
        }
    }
    for (size_t r = 0; f && r <= t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            const char *s = r == 0 ? header[c] : t->cells[(r - 1) * t->ncols + c];
            if (c == t->ncols - 1)
                fprintf(f, "%s\n", s);
            else
                fprintf(f, "%s%*s", s, (int)(w[c] - cell_width(s) + 3), "");
        }
    }
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(w);
    free(t);
}

void table_duration(long d, char *buf, size_t len)
{
    ctr_human_duration(d, buf, len);
}

long table_age(const char *rfc3339)
{
    struct tm tm = {0};
    if (!rfc3339 || !strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm))
        return -1;
    long d = (long)(time(NULL) - timegm(&tm));
    return d < 0 ? 0 : d;
}

void table_since(const char *rfc3339, char *buf, size_t len)
{
    long d = table_age(rfc3339);
    if (d < 0) {
        snprintf(buf, len, "N/A");
        return;
    }
    table_duration(d, buf, len);
    size_t n = strlen(buf);
    snprintf(buf + n, len - n, " ago");
}

static void size_prec(unsigned long long n, int prec, char *buf, size_t len)
{
    static const char *u[] = {"B", "kB", "MB", "GB", "TB"};
    double v = (double)n;
    int i = 0;
    while (v >= 1000 && i < 4) {
        v /= 1000;
        i++;
    }
    if (i == 0)
        snprintf(buf, len, "%lluB", n);
    else
        snprintf(buf, len, "%.*g%s", prec, v, u[i]);
}

void table_size(unsigned long long n, char *buf, size_t len)
{
    size_prec(n, 3, buf, len);
}

void table_size4(unsigned long long n, char *buf, size_t len)
{
    size_prec(n, 4, buf, len);
}

void table_bytes(unsigned long long n, char *buf, size_t len)
{
    static const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = (double)n;
    size_t i = 0;
    while (v >= 1024 && i + 1 < sizeof(u) / sizeof(*u)) {
        v /= 1024;
        i++;
    }
    snprintf(buf, len, "%.4g%s", v, u[i]);
}

void table_go_time(const char *rfc3339, char *buf, size_t len)
{
    struct tm tm = {0}, local;
    time_t t;
    if (!rfc3339 || !strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm) || (t = timegm(&tm)) == -1 ||
        !localtime_r(&t, &local) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S %z %Z", &local))
        snprintf(buf, len, "%s", "");
}
