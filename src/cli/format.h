/* format.h - --format, as docker's formatter reads it: for list commands (ps, images, volume
 * ls) and for inspect */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include "base/error.h"

/* A list command's --format: NULL or "table" (def: the command's default table), "json" (an
 * object a line), "table TEMPLATE" (a header row of the columns' names, then the rows,
 * their tab-separated cells aligned) or TEMPLATE (a line a row). The two characters \t and
 * \n in it stand for a tab and a newline. header maps each field to its column's name. */
struct listfmt;
struct listfmt *listfmt_new(const char *format, const char *def, json_t *header, struct berr **err);
/* Renders a row: an object of the fields; methods as in struct tmpl_opts (may be NULL). */
int listfmt_add(struct listfmt *f, json_t *row, json_t *methods, struct berr **err);
/* Writes what was rendered to out (the table with its header), unless out is NULL, and
 * frees f. Nothing is written before: a template that fails prints nothing but its error. */
void listfmt_end(struct listfmt *f, FILE *out);
static inline void listfmt_endp(struct listfmt **f)
{
    if (*f)
        listfmt_end(*f, NULL);
}
#define _cleanup_listfmt_ __attribute__((cleanup(listfmt_endp)))

/* Labels as docker's list templates show them: "a=1,b=2", sorted (a JSON string) */
json_t *listfmt_labels(json_t *labels);

/* inspect's --format: NULL (an indented JSON array of every object), "json" (the array on
 * one line) or a template (a line an object; \t stays as it is, as with docker) */
struct inspectfmt;
struct inspectfmt *inspectfmt_new(const char *format, struct berr **err);
/* Adds an object; sort: its keys sorted in the JSON (else in their order) */
int inspectfmt_add(struct inspectfmt *f, json_t *obj, bool sort, struct berr **err);
/* Writes it all to out and frees f. */
void inspectfmt_end(struct inspectfmt *f, FILE *out);
