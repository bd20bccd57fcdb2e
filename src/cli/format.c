/* format.c - --format for list commands and inspect, as docker's formatter reads it */
#include "format.h"
#include "table.h"
#include "template.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct listfmt {
    struct tmpl *t;
    bool table;
    json_t *header;
    char *buf;
    size_t len;
    FILE *rows;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static struct tmpl *parse(const char *text, struct berr **err)
{
    struct tmpl *t = tmpl_parse(text, err);
    if (!t)
        berr_prefix(err, "template parsing error");
    return t;
}

struct listfmt *listfmt_new(const char *format, const char *def, json_t *header, struct berr **err)
{
    if (!format || !*format || !strcmp(format, "table"))
        format = def;
    bool table = !strcmp(format, "json") ? false : !strncmp(format, "table", 5);
    /* what docker does to it: "table" off, spaces trimmed, \t and \n made characters */
    char *text = strdup(!strcmp(format, "json") ? "{{json .}}" : format + (table ? 5 : 0));
    char *s = text, *o = text;
    while (s && *s == ' ')
        s++;
    for (; s && *s; s++) {
        if (s[0] == '\\' && (s[1] == 't' || s[1] == 'n'))
            *o++ = *++s == 't' ? '\t' : '\n';
        else
            *o++ = *s;
    }
    while (o > text && o[-1] == ' ')
        o--;
    if (text)
        *o = 0;
    struct listfmt *f = calloc(1, sizeof(*f));
    if (!text || !f) {
        free(text);
        free(f);
        berr_set(err, BERR_INTERNAL, ENOMEM, "out of memory");
        return NULL;
    }
    f->t = parse(text, err);
    free(text);
    f->table = table;
    f->header = json_incref(header);
    f->rows = f->t ? open_memstream(&f->buf, &f->len) : NULL;
    if (!f->rows) {
        if (f->t)
            berr_sys(err, errno, "format");
        listfmt_end(f, NULL);
        return NULL;
    }
    return f;
}

int listfmt_add(struct listfmt *f, json_t *row, json_t *methods, struct berr **err)
{
    struct tmpl_opts o = {.methods = methods};
    if (tmpl_exec(f->t, row, &o, f->rows, err) < 0)
        return berr_prefix(err, "template parsing error");
    fputc('\n', f->rows);
    return 0;
}

/* Lines of tab-separated cells as a table, the first its header: as many columns as the
 * most cells a line has */
static void print_table(char *text, FILE *out)
{
    int ncols = 1, c = 1;
    for (char *p = text; *p; p++) {
        c = *p == '\n' ? 1 : c + (*p == '\t');
        ncols = c > ncols ? c : ncols;
    }
    struct table *t = table_new(ncols);
    const char **cells = calloc(ncols, sizeof(char *)), **header = calloc(ncols, sizeof(char *));
    char *line = text, *nl;
    for (bool first = true; t && cells && header && (nl = strchr(line, '\n')); first = false) {
        *nl = 0;
        const char **row = first ? header : cells;
        for (int k = 0; k < ncols; k++) {
            char *tab = line ? strchr(line, '\t') : NULL;
            row[k] = line ? line : "";
            if (tab)
                *tab = 0;
            line = tab ? tab + 1 : NULL;
        }
        if (!first)
            table_add(t, cells);
        line = nl + 1;
    }
    if (t)
        table_print(t, header ? out : NULL, header);
    free(cells);
    free(header);
}

void listfmt_end(struct listfmt *f, FILE *out)
{
    if (f->rows)
        fclose(f->rows);
    if (out && f->table) {
        /* the header: the template over the columns' names; a part it cannot render (a
         * function of a field) ends it there, as with docker */
        char *hb = NULL, *all = NULL;
        size_t hl = 0;
        FILE *h = open_memstream(&hb, &hl);
        struct tmpl_opts o = {.header = true};
        struct berr *e = NULL;
        if (h) {
            tmpl_exec(f->t, f->header, &o, h, &e);
            fclose(h);
        }
        berr_free(e);
        if (asprintf(&all, "%s\n%.*s", hb ? hb : "", (int)f->len, f->buf ? f->buf : "") >= 0)
            print_table(all, out);
        free(hb);
        free(all);
    } else if (out && f->buf) {
        fwrite(f->buf, 1, f->len, out);
    }
    tmpl_free(f->t);
    json_decref(f->header);
    free(f->buf);
    free(f);
}

json_t *listfmt_labels(json_t *labels)
{
    size_t n = json_object_size(labels), i = 0;
    const char **keys = calloc(n + 1, sizeof(char *)), *k;
    json_t *v;
    json_object_foreach(labels, k, v)
    {
        if (keys)
            keys[i++] = k;
    }
    if (keys)
        qsort(keys, n, sizeof(char *), cmp_str);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    for (i = 0; f && keys && i < n; i++)
        fprintf(f, "%s%s=%s", i ? "," : "", keys[i],
                json_string_value(json_object_get(labels, keys[i])) ?: "");
    if (f)
        fclose(f);
    json_t *s = json_string(buf ? buf : "");
    free(buf);
    free(keys);
    return s;
}

struct inspectfmt {
    struct tmpl *t;
    bool compact;
    size_t n;
    char *buf;
    size_t len;
    FILE *out;
};

struct inspectfmt *inspectfmt_new(const char *format, struct berr **err)
{
    struct inspectfmt *f = calloc(1, sizeof(*f));
    if (!f) {
        berr_set(err, BERR_INTERNAL, ENOMEM, "out of memory");
        return NULL;
    }
    f->compact = format && !strcmp(format, "json");
    if (format && !f->compact && !(f->t = parse(format, err))) {
        free(f);
        return NULL;
    }
    f->out = open_memstream(&f->buf, &f->len);
    if (!f->out) {
        berr_sys(err, errno, "format");
        inspectfmt_end(f, NULL);
        return NULL;
    }
    return f;
}

int inspectfmt_add(struct inspectfmt *f, json_t *obj, bool sort, struct berr **err)
{
    if (f->t) {
        /* an object the template fails on shows nothing */
        char *line = tmpl_render(f->t, obj, NULL, err);
        if (!line)
            return berr_prefix(err, "template parsing error");
        fprintf(f->out, "%s\n", line);
        free(line);
        f->n++;
        return 0;
    }
    size_t flags = (f->compact ? JSON_COMPACT : JSON_INDENT(4)) | (sort ? JSON_SORT_KEYS : 0);
    char *text = json_dumps(obj, flags);
    if (!text)
        return berr_set(err, BERR_INTERNAL, ENOMEM, "out of memory");
    fputs(f->n ? (f->compact ? "," : ",\n") : (f->compact ? "[" : "[\n"), f->out);
    /* an element of the indented array: one level in */
    for (char *line = text, *nl; !f->compact && line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        fprintf(f->out, "    %.*s%s", nl ? (int)(nl - line) : (int)strlen(line), line,
                nl ? "\n" : "");
    }
    if (f->compact)
        fputs(text, f->out);
    free(text);
    f->n++;
    return 0;
}

void inspectfmt_end(struct inspectfmt *f, FILE *out)
{
    if (f->out) {
        if (!f->t)
            fputs(f->n ? (f->compact ? "]\n" : "\n]\n") : "[]\n", f->out);
        else if (ftell(f->out) == 0)
            fputc('\n', f->out); /* docker's empty line when nothing could be shown */
        fclose(f->out);
    }
    if (out && f->buf)
        fwrite(f->buf, 1, f->len, out);
    tmpl_free(f->t);
    free(f->buf);
    free(f);
}
