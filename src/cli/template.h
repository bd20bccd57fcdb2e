/* template.h - Go's text/template over JSON values, as docker's --format uses it.
 *
 * The language: text and {{actions}} with {{- -}} trimming, and comments; pipelines
 * of commands joined by |; .Field chains, $variables ($x := ..., $x = ...), (sub pipelines);
 * string, raw string, character, number, true/false/nil constants; if/else if/with/else
 * with/range/else/break/continue/end. The functions: text/template's and, or, not, len,
 * index, slice, print, printf, println, eq, ne, lt, le, gt, ge; docker's json, join, split,
 * lower, upper, title, pad, truncate. Not: define, template, block, html, js, urlquery, call.
 * Errors are worded as Go words them ("template: :1: unclosed action"). */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include "base/error.h"

struct tmpl;
struct tmpl *tmpl_parse(const char *text, struct berr **err);
void tmpl_free(struct tmpl *t);
static inline void tmpl_freep(struct tmpl **t)
{
    tmpl_free(*t);
}
#define _cleanup_tmpl_ __attribute__((cleanup(tmpl_freep)))

struct tmpl_opts {
    /* methods of the top level that take one argument, as objects: {"Label": {"a": "1"}}
     * makes {{.Label "a"}} "1", and "" for a key the object lacks (docker's ps .Label) */
    json_t *methods;
    /* fields of the top level that {{json .}} does not show: a Go struct's fields whose JSON
     * names differ ({"Time": 1} for the "time" key of an event) */
    json_t *fields;
    /* a table's header row: data maps fields to column names; json, join, split, lower,
     * upper, title and truncate give their argument back; .Label "com.x.a-b" gives "a b" */
    bool header;
};

/* Executes t over data (o may be NULL), writing to out; on an error, what came before it is
 * written. data's top level stands for a Go struct: a field it lacks is an error. Objects
 * below it are maps: a key one lacks prints "<no value>". Numbers print as Go prints them. */
int tmpl_exec(const struct tmpl *t, json_t *data, const struct tmpl_opts *o, FILE *out,
              struct berr **err);
/* The same into a malloc'd string, or NULL. */
char *tmpl_render(const struct tmpl *t, json_t *data, const struct tmpl_opts *o, struct berr **err);
/* s as Go's strconv.Quote writes it ("a\"b\n"), malloc'd */
char *tmpl_quote(const char *s);
