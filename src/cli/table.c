/* table.c - docker-style tables */
#include "table.h"
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

void table_print(struct table *t, FILE *f, const char *const *header)
{
    size_t *w = calloc(t->ncols, sizeof(size_t));
    for (int c = 0; c < t->ncols; c++) {
        w[c] = strlen(header[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            size_t l = strlen(t->cells[r * t->ncols + c]);
            if (l > w[c])
                w[c] = l;
        }
    }
    for (size_t r = 0; r <= t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            const char *s = r == 0 ? header[c] : t->cells[(r - 1) * t->ncols + c];
            if (c == t->ncols - 1)
                fprintf(f, "%s\n", s);
            else
                fprintf(f, "%-*s   ", (int)w[c], s);
        }
    }
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(w);
    free(t);
}
