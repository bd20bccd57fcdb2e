/* template.c - Go's text/template over JSON values (docker's --format) */
#include "template.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* --- the parsed template -------------------------------------------------------------- */

enum arg_kind { A_DOT, A_FIELD, A_VAR, A_FUNC, A_LIT, A_NIL, A_PIPE };

struct exec;
struct cmd;
struct func {
    const char *name;
    int (*fn)(struct exec *x, const struct cmd *c, json_t **a, size_t n, json_t **ret);
    int min, max;  /* arguments; max -1: any number */
    bool identity; /* in a table header, gives its first argument back */
};

/* an operand: .A.B, $x.A, "lit", (pipeline).A, a function's name */
struct arg {
    enum arg_kind kind;
    size_t pos, end; /* its text in the source, for messages */
    char *name;      /* A_VAR: "$x"; A_FUNC: the function's name */
    const struct func *fn;
    json_t *lit;      /* A_LIT, owned by the template's lits */
    struct pipe *sub; /* A_PIPE */
    char *chain;      /* "A.B": the fields after it (for A_FIELD, of dot), or NULL */
    struct arg *next;
};

struct cmd {
    size_t pos, end;
    struct arg *args;
    struct cmd *next;
};

struct pipe {
    size_t pos, end;
    char *decl[2]; /* $i, $e := ... */
    int ndecl;
    bool assign; /* = rather than := */
    struct cmd *cmds;
};

enum node_kind { N_TEXT, N_ACTION, N_IF, N_WITH, N_RANGE, N_BREAK, N_CONTINUE };

struct node {
    enum node_kind kind;
    size_t pos, len; /* N_TEXT: the text in the source */
    struct pipe *pipe;
    struct node *list, *elselist, *next;
};

struct tmpl {
    char *src;
    void **mem; /* every node, pipe, command, argument and name: freed together */
    size_t nmem;
    json_t *lits;
    struct node *root;
};

/* Out of memory in the middle of a parse: the CLI cannot do anything useful any more. */
static void *xalloc(struct tmpl *t, size_t n)
{
    void *p = calloc(1, n);
    void **m = realloc(t->mem, (t->nmem + 1) * sizeof(void *));
    if (!p || !m)
        abort();
    t->mem = m;
    t->mem[t->nmem++] = p;
    return p;
}

static char *xstrndup(struct tmpl *t, const char *s, size_t n)
{
    char *p = xalloc(t, n + 1);
    memcpy(p, s, n);
    return p;
}

void tmpl_free(struct tmpl *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nmem; i++)
        free(t->mem[i]);
    free(t->mem);
    json_decref(t->lits);
    free(t->src);
    free(t);
}

static int line_of(const char *src, size_t pos)
{
    int line = 1;
    for (size_t i = 0; i < pos && src[i]; i++)
        line += src[i] == '\n';
    return line;
}

/* --- lexer ---------------------------------------------------------------------------- */

enum tok_kind {
    K_EOF,
    K_TEXT,
    K_LEFT,
    K_RIGHT,
    K_FIELD,
    K_VAR,
    K_IDENT,
    K_DOT,
    K_STRING,
    K_RAW,
    K_CHAR,
    K_NUMBER,
    K_PIPE,
    K_LPAREN,
    K_RPAREN,
    K_DECLARE,
    K_ASSIGN,
    K_COMMA,
};

struct tok {
    enum tok_kind kind;
    size_t pos, len;
    bool spaced; /* whitespace before it: ".A .B" are two operands, ".A.B" one */
};

struct parser {
    struct tmpl *t;
    const char *s;
    struct tok *toks;
    size_t ntoks, i;
    char **vars; /* declared so far, for "undefined variable" */
    size_t nvars;
    int in_range;
    struct berr **err;
};

static int perr(struct parser *ps, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int perr(struct parser *ps, size_t pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m = NULL;
    if (vasprintf(&m, fmt, ap) < 0)
        m = NULL;
    va_end(ap);
    berr_set(ps->err, BERR_INVALID, EINVAL, "template: :%d: %s", line_of(ps->s, pos),
             m ? m : "out of memory");
    free(m);
    return -1;
}

static void push_tok(struct parser *ps, enum tok_kind kind, size_t pos, size_t len, bool spaced)
{
    struct tok *n = realloc(ps->toks, (ps->ntoks + 1) * sizeof(*n));
    if (!n)
        abort();
    ps->toks = n;
    ps->toks[ps->ntoks++] = (struct tok){kind, pos, len, spaced};
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_word(char c)
{
    return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

/* the end of a quoted string, character constant or raw string starting at p, or 0 */
static size_t quoted_end(const char *s, size_t p)
{
    char q = s[p];
    for (size_t i = p + 1; s[i]; i++) {
        if (q != '`' && s[i] == '\\' && s[i + 1])
            i++;
        else if (q != '`' && s[i] == '\n')
            return 0;
        else if (s[i] == q)
            return i + 1;
    }
    return 0;
}

/* The tokens of one action, from p (after "{{" and its trim marker) to its "}}". */
static int lex_action(struct parser *ps, size_t start, size_t *p, bool *trim_next)
{
    const char *s = ps->s;
    size_t i = *p;
    for (;;) {
        bool sp = false;
        while (is_space(s[i])) {
            i++;
            sp = true;
        }
        if (!s[i])
            return perr(ps, start, "unclosed action");
        if (sp && !strncmp(s + i, "-}}", 3)) {
            push_tok(ps, K_RIGHT, i, 3, sp);
            *trim_next = true;
            *p = i + 3;
            return 0;
        }
        if (!strncmp(s + i, "}}", 2)) {
            push_tok(ps, K_RIGHT, i, 2, sp);
            *p = i + 2;
            return 0;
        }
        char c = s[i];
        size_t j = i + 1;
        enum tok_kind k;
        if (c == '|' || c == '(' || c == ')' || c == ',' || c == '=') {
            k = c == '|'   ? K_PIPE
                : c == '(' ? K_LPAREN
                : c == ')' ? K_RPAREN
                : c == ',' ? K_COMMA
                           : K_ASSIGN;
        } else if (c == ':') {
            if (s[j] != '=')
                return perr(ps, i, "expected :=");
            k = K_DECLARE, j++;
        } else if (c == '"' || c == '`' || c == '\'') {
            j = quoted_end(s, i);
            if (!j)
                return perr(ps, i,
                            c == '"'   ? "unterminated quoted string"
                            : c == '`' ? "unterminated raw quoted string"
                                       : "unterminated character constant");
            k = c == '"' ? K_STRING : c == '`' ? K_RAW : K_CHAR;
        } else if (isdigit((unsigned char)c) ||
                   ((c == '-' || c == '+' || c == '.') && isdigit((unsigned char)s[j]))) {
            while (is_word(s[j]) || s[j] == '.' ||
                   ((s[j] == '+' || s[j] == '-') && strchr("eEpP", s[j - 1])))
                j++;
            k = K_NUMBER;
        } else if (c == '.') {
            while (is_word(s[j]))
                j++;
            k = j > i + 1 ? K_FIELD : K_DOT;
        } else if (c == '$') {
            while (is_word(s[j]))
                j++;
            k = K_VAR;
        } else if (is_word(c)) {
            while (is_word(s[j]))
                j++;
            k = K_IDENT;
        } else {
            return perr(ps, i, "unexpected \"%c\" in command", c);
        }
        push_tok(ps, k, i, j - i, sp);
        i = j;
    }
}

static int lex(struct parser *ps)
{
    const char *s = ps->s;
    size_t i = 0, n = strlen(s);
    bool trim_next = false;
    for (;;) {
        const char *l = strstr(s + i, "{{");
        size_t j = l ? (size_t)(l - s) : n, a = i, b = j;
        bool ltrim = l && s[j + 2] == '-' && is_space(s[j + 3]);
        if (trim_next)
            while (a < b && is_space(s[a]))
                a++;
        if (ltrim)
            while (b > a && is_space(s[b - 1]))
                b--;
        if (b > a)
            push_tok(ps, K_TEXT, a, b - a, false);
        trim_next = false;
        if (!l)
            break;
        size_t p = j + 2 + (ltrim ? 2 : 0);
        if (!strncmp(s + p, "/*", 2)) {
            const char *e = strstr(s + p + 2, "*/");
            if (!e)
                return perr(ps, j, "unclosed comment");
            p = e - s + 2;
            if (!strncmp(s + p, " -}}", 4))
                trim_next = true, p += 4;
            else if (!strncmp(s + p, "}}", 2))
                p += 2;
            else
                return perr(ps, j, "comment ends before closing delimiter");
        } else {
            push_tok(ps, K_LEFT, j, 2, false);
            if (lex_action(ps, j, &p, &trim_next) < 0)
                return -1;
        }
        i = p;
    }
    push_tok(ps, K_EOF, n, 0, false);
    return 0;
}

/* --- parser --------------------------------------------------------------------------- */

static const struct func funcs[];

static struct tok *peek(struct parser *ps)
{
    return &ps->toks[ps->i];
}

static struct tok *next_tok(struct parser *ps)
{
    struct tok *t = &ps->toks[ps->i];
    if (t->kind != K_EOF)
        ps->i++;
    return t;
}

static bool is_ident(struct parser *ps, const struct tok *t, const char *word)
{
    return t->kind == K_IDENT && t->len == strlen(word) && !strncmp(ps->s + t->pos, word, t->len);
}

static const char *const keywords[] = {"if",     "else",  "end",   "range",    "with",
                                       "define", "block", "break", "continue", "template"};

static int expect_right(struct parser *ps, const char *what)
{
    struct tok *t = next_tok(ps);
    if (t->kind == K_RIGHT)
        return 0;
    if (t->kind == K_EOF)
        return perr(ps, t->pos, "unclosed action");
    return perr(ps, t->pos, "unexpected \"%.*s\" in %s", (int)t->len, ps->s + t->pos, what);
}

static void declare(struct parser *ps, char *name)
{
    char **n = realloc(ps->vars, (ps->nvars + 1) * sizeof(char *));
    if (!n)
        abort();
    ps->vars = n;
    ps->vars[ps->nvars++] = name;
}

static bool declared(struct parser *ps, const char *name, size_t len)
{
    if (len == 1)
        return true; /* $: the data */
    for (size_t i = 0; i < ps->nvars; i++)
        if (strlen(ps->vars[i]) == len && !strncmp(ps->vars[i], name, len))
            return true;
    return false;
}

static void put_utf8(char **o, unsigned long u)
{
    char *p = *o;
    if (u < 0x80)
        *p++ = u;
    else if (u < 0x800)
        *p++ = 0xc0 | (u >> 6), *p++ = 0x80 | (u & 0x3f);
    else if (u < 0x10000)
        *p++ = 0xe0 | (u >> 12), *p++ = 0x80 | ((u >> 6) & 0x3f), *p++ = 0x80 | (u & 0x3f);
    else
        *p++ = 0xf0 | (u >> 18), *p++ = 0x80 | ((u >> 12) & 0x3f), *p++ = 0x80 | ((u >> 6) & 0x3f),
        *p++ = 0x80 | (u & 0x3f);
    *o = p;
}

/* The escape after a backslash at s[i] (before end): its value, and whether that is a byte
 * (\x, \ooo) rather than a character. Returns the index after it, or 0 if malformed. */
static size_t escape(const char *s, size_t i, size_t end, unsigned long *val, bool *byte)
{
    static const char from[] = "abfnrtv\\'\"", to[] = "\a\b\f\n\r\t\v\\'\"";
    char c = s[i];
    const char *k = c ? strchr(from, c) : NULL;
    *byte = false;
    if (k) {
        *val = (unsigned char)to[k - from];
        return i + 1;
    }
    bool oct = c >= '0' && c <= '7';
    int digits = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : oct ? 3 : 0;
    size_t start = oct ? i : i + 1;
    if (!digits || start + digits > end)
        return 0;
    *val = 0;
    for (int d = 0; d < digits; d++) {
        char h = s[start + d];
        if (oct ? !(h >= '0' && h <= '7') : !isxdigit((unsigned char)h))
            return 0;
        *val =
            *val * (oct ? 8 : 16) + (isdigit((unsigned char)h) ? h - '0' : (h | 0x20) - 'a' + 10);
    }
    if (*val > (oct ? 255 : 0x10ffff))
        return 0;
    *byte = c == 'x' || oct;
    return start + digits;
}

/* A literal's value: "..." with Go's escapes, `raw`, 'c' (its code point), a number */
static json_t *literal(const struct tok *t, const char *s)
{
    size_t len = t->len;
    unsigned long u;
    bool byte;
    if (t->kind == K_RAW)
        return json_stringn(s + 1, len - 2);
    if (t->kind == K_CHAR) {
        size_t j = 2;
        if (s[1] == '\\') {
            j = escape(s, 2, len - 1, &u, &byte);
        } else {
            const unsigned char *b = (const unsigned char *)s + 1;
            int n = b[0] < 0x80 ? 1 : b[0] < 0xe0 ? 2 : b[0] < 0xf0 ? 3 : 4;
            u = n > 1 ? b[0] & (0x7f >> n) : b[0];
            for (int k = 1; k < n; k++)
                u = u << 6 | (b[k] & 0x3f);
            j = 1 + n;
        }
        return j && j == len - 1 ? json_integer(u) : NULL;
    }
    char *out = malloc(len * 2 + 1), *o = out;
    if (!out)
        abort();
    for (size_t i = 1; i + 1 < len; i++) {
        if (s[i] != '\\') {
            *o++ = s[i];
            continue;
        }
        size_t j = escape(s, i + 1, len - 1, &u, &byte);
        if (!j) {
            free(out);
            return NULL;
        }
        if (byte)
            *o++ = (char)u;
        else
            put_utf8(&o, u);
        i = j - 1;
    }
    json_t *v = json_stringn(out, o - out);
    free(out);
    return v;
}

static json_t *number(const char *s, size_t len)
{
    char buf[64], *end;
    if (len >= sizeof(buf))
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] != '_')
            buf[n++] = s[i];
    buf[n] = 0;
    errno = 0;
    long long i = strtoll(buf, &end, 0);
    if (!*end && !errno)
        return json_integer(i);
    double d = strtod(buf, &end);
    return *end ? NULL : json_real(d);
}

static int parse_pipe(struct parser *ps, const char *ctx, bool range, struct pipe **ret);

/* the .Field tokens right after an operand: (x).A.B, $v.A */
static char *parse_chain(struct parser *ps, const char *first, size_t flen, size_t *end)
{
    char buf[4096];
    size_t n = 0;
    if (first && flen < sizeof(buf))
        memcpy(buf, first, flen), n = flen;
    while (peek(ps)->kind == K_FIELD && !peek(ps)->spaced) {
        struct tok *f = next_tok(ps);
        if (n + f->len + 1 >= sizeof(buf))
            break;
        if (n)
            buf[n++] = '.';
        memcpy(buf + n, ps->s + f->pos + 1, f->len - 1);
        n += f->len - 1;
        *end = f->pos + f->len;
    }
    return n ? xstrndup(ps->t, buf, n) : NULL;
}

static int parse_operand(struct parser *ps, struct arg **ret)
{
    struct tok *t = next_tok(ps);
    struct arg *a = xalloc(ps->t, sizeof(*a));
    a->pos = t->pos;
    a->end = t->pos + t->len;
    const char *text = ps->s + t->pos;
    switch (t->kind) {
    case K_DOT: a->kind = A_DOT; break;
    case K_FIELD:
        a->kind = A_FIELD;
        a->chain = parse_chain(ps, text + 1, t->len - 1, &a->end);
        break;
    case K_VAR:
        if (!declared(ps, text, t->len))
            return perr(ps, t->pos, "undefined variable \"%.*s\"", (int)t->len, text);
        a->kind = A_VAR;
        a->name = xstrndup(ps->t, text, t->len);
        a->chain = parse_chain(ps, NULL, 0, &a->end);
        break;
    case K_LPAREN:
        a->kind = A_PIPE;
        if (parse_pipe(ps, "parenthesized pipeline", false, &a->sub) < 0)
            return -1;
        t = next_tok(ps);
        if (t->kind != K_RPAREN)
            return perr(ps, t->pos, "unclosed left paren");
        a->end = t->pos + 1;
        a->chain = parse_chain(ps, NULL, 0, &a->end);
        break;
    case K_STRING:
    case K_RAW:
    case K_CHAR:
    case K_NUMBER:
        a->kind = A_LIT;
        a->lit = t->kind == K_NUMBER ? number(text, t->len) : literal(t, text);
        if (!a->lit)
            return perr(ps, t->pos, "%s syntax: %.*s",
                        t->kind == K_NUMBER ? "bad number" : "malformed quoted string", (int)t->len,
                        text);
        json_array_append_new(ps->t->lits, a->lit);
        break;
    case K_IDENT:
        if (is_ident(ps, t, "true") || is_ident(ps, t, "false")) {
            a->kind = A_LIT;
            a->lit = json_boolean(*text == 't');
            json_array_append_new(ps->t->lits, a->lit);
            break;
        }
        if (is_ident(ps, t, "nil")) {
            a->kind = A_NIL;
            break;
        }
        for (size_t k = 0; k < sizeof(keywords) / sizeof(*keywords); k++)
            if (is_ident(ps, t, keywords[k]))
                return perr(ps, t->pos, "unexpected <%s> in operand", keywords[k]);
        a->kind = A_FUNC;
        a->name = xstrndup(ps->t, text, t->len);
        for (a->fn = funcs; a->fn->name && strcmp(a->fn->name, a->name); a->fn++)
            ;
        if (!a->fn->name)
            return perr(ps, t->pos, "function \"%s\" not defined", a->name);
        break;
    case K_EOF: return perr(ps, t->pos, "unclosed action");
    default: return perr(ps, t->pos, "unexpected \"%.*s\" in operand", (int)t->len, text);
    }
    *ret = a;
    return 0;
}

static int parse_cmd(struct parser *ps, struct cmd **ret)
{
    struct cmd *c = xalloc(ps->t, sizeof(*c));
    struct arg **tail = &c->args;
    c->pos = peek(ps)->pos;
    for (;;) {
        enum tok_kind k = peek(ps)->kind;
        if (k == K_RIGHT || k == K_RPAREN || k == K_PIPE)
            break;
        if (parse_operand(ps, tail) < 0)
            return -1;
        c->end = (*tail)->end;
        tail = &(*tail)->next;
    }
    if (!c->args)
        return perr(ps, c->pos, "missing value for command");
    *ret = c;
    return 0;
}

static int parse_pipe(struct parser *ps, const char *ctx, bool range, struct pipe **ret)
{
    struct pipe *p = xalloc(ps->t, sizeof(*p));
    p->pos = peek(ps)->pos;
    /* $x := ..., $x = ..., and in a range $i, $e := ... */
    struct tok *t = ps->toks + ps->i;
    int nd = 0;
    if (t[0].kind == K_VAR && (t[1].kind == K_DECLARE || t[1].kind == K_ASSIGN))
        nd = 1;
    else if (range && t[0].kind == K_VAR && t[1].kind == K_COMMA && t[2].kind == K_VAR &&
             (t[3].kind == K_DECLARE || t[3].kind == K_ASSIGN))
        nd = 2;
    if (nd) {
        p->assign = t[nd == 1 ? 1 : 3].kind == K_ASSIGN;
        for (int k = 0; k < nd; k++) {
            struct tok *v = &t[2 * k];
            p->decl[k] = xstrndup(ps->t, ps->s + v->pos, v->len);
            if (p->assign && !declared(ps, p->decl[k], v->len))
                return perr(ps, v->pos, "undefined variable \"%s\"", p->decl[k]);
        }
        p->ndecl = nd;
        ps->i += nd == 1 ? 2 : 4;
    }
    struct cmd **tail = &p->cmds;
    for (int stage = 1;; stage++) {
        enum tok_kind k = peek(ps)->kind;
        if (k == K_RIGHT || k == K_RPAREN) {
            if (!p->cmds)
                return perr(ps, peek(ps)->pos, "missing value for %s", ctx);
            break;
        }
        if (parse_cmd(ps, tail) < 0)
            return -1;
        enum arg_kind first = (*tail)->args->kind;
        if (stage > 1 && (first == A_LIT || first == A_DOT || first == A_NIL))
            return perr(ps, (*tail)->pos, "non executable command in pipeline stage %d", stage);
        p->end = (*tail)->end;
        tail = &(*tail)->next;
        if (peek(ps)->kind == K_PIPE) {
            next_tok(ps);
            if (peek(ps)->kind == K_RIGHT || peek(ps)->kind == K_RPAREN)
                return perr(ps, peek(ps)->pos, "missing command after |");
        }
    }
    /* declared after the pipeline, as Go does: {{$x := $x}} is an error */
    if (!p->assign)
        for (int k = 0; k < p->ndecl; k++)
            declare(ps, p->decl[k]);
    *ret = p;
    return 0;
}

enum { END_EOF, END_END, END_ELSE };
static int parse_list(struct parser *ps, struct node **ret, int *how);

/* if, with, range: the pipeline, the list, {{else}} (or {{else if}}, {{else with}}), {{end}} */
static int parse_control(struct parser *ps, enum node_kind kind, size_t pos, struct node **ret)
{
    static const char *names[] = {[N_IF] = "if", [N_WITH] = "with", [N_RANGE] = "range"};
    struct node *n = xalloc(ps->t, sizeof(*n));
    n->kind = kind;
    n->pos = pos;
    size_t mark = ps->nvars;
    int how, r = -1;
    if (parse_pipe(ps, names[kind], kind == N_RANGE, &n->pipe) < 0 ||
        expect_right(ps, names[kind]) < 0)
        goto out;
    ps->in_range += kind == N_RANGE;
    r = parse_list(ps, &n->list, &how);
    ps->in_range -= kind == N_RANGE;
    if (r < 0)
        goto out;
    r = -1;
    if (how == END_EOF) {
        perr(ps, strlen(ps->s), "unexpected EOF");
        goto out;
    }
    if (how == END_ELSE) {
        struct tok *t = peek(ps);
        if (kind != N_RANGE && is_ident(ps, t, names[kind])) {
            /* {{else if x}}...{{end}}: an if in the else branch that takes the one end */
            next_tok(ps);
            if (parse_control(ps, kind, t->pos, &n->elselist) < 0)
                goto out;
        } else {
            if (expect_right(ps, "else") < 0 || parse_list(ps, &n->elselist, &how) < 0)
                goto out;
            if (how != END_END) {
                perr(ps, how == END_EOF ? strlen(ps->s) : ps->toks[ps->i - 1].pos,
                     how == END_EOF ? "unexpected EOF" : "expected end; found {{else}}");
                goto out;
            }
        }
    }
    r = 0;
    *ret = n;
out:
    ps->nvars = mark;
    return r;
}

/* Items up to the end of the template, an {{end}} or an {{else}} (how says which: after
 * {{else}}, the parser stands before the rest of that action). */
static int parse_list(struct parser *ps, struct node **ret, int *how)
{
    struct node *head = NULL, **tail = &head;
    for (;;) {
        struct tok *t = next_tok(ps);
        if (t->kind == K_EOF) {
            *how = END_EOF;
            break;
        }
        if (t->kind == K_TEXT) {
            *tail = xalloc(ps->t, sizeof(**tail));
            (*tail)->kind = N_TEXT, (*tail)->pos = t->pos, (*tail)->len = t->len;
            tail = &(*tail)->next;
            continue;
        }
        /* an action */
        struct tok *w = peek(ps);
        if (is_ident(ps, w, "end") || is_ident(ps, w, "else")) {
            next_tok(ps);
            *how = is_ident(ps, w, "end") ? END_END : END_ELSE;
            if (*how == END_END && expect_right(ps, "end") < 0)
                return -1;
            break;
        }
        if (is_ident(ps, w, "if") || is_ident(ps, w, "with") || is_ident(ps, w, "range")) {
            next_tok(ps);
            enum node_kind k = is_ident(ps, w, "if")     ? N_IF
                               : is_ident(ps, w, "with") ? N_WITH
                                                         : N_RANGE;
            if (parse_control(ps, k, w->pos, tail) < 0)
                return -1;
        } else if (is_ident(ps, w, "break") || is_ident(ps, w, "continue")) {
            next_tok(ps);
            bool brk = is_ident(ps, w, "break");
            if (!ps->in_range)
                return perr(ps, w->pos, "{{%s}} outside {{range}}", brk ? "break" : "continue");
            if (expect_right(ps, brk ? "break" : "continue") < 0)
                return -1;
            *tail = xalloc(ps->t, sizeof(**tail));
            (*tail)->kind = brk ? N_BREAK : N_CONTINUE;
        } else if (is_ident(ps, w, "define") || is_ident(ps, w, "template") ||
                   is_ident(ps, w, "block")) {
            return perr(ps, w->pos, "{{%.*s}} is not supported", (int)w->len, ps->s + w->pos);
        } else {
            *tail = xalloc(ps->t, sizeof(**tail));
            (*tail)->kind = N_ACTION;
            (*tail)->pos = w->pos;
            if (parse_pipe(ps, "command", false, &(*tail)->pipe) < 0 ||
                expect_right(ps, "command") < 0)
                return -1;
        }
        tail = &(*tail)->next;
    }
    *ret = head;
    return 0;
}

struct tmpl *tmpl_parse(const char *text, struct berr **err)
{
    struct tmpl *t = calloc(1, sizeof(*t));
    if (!t || !(t->src = strdup(text)) || !(t->lits = json_array())) {
        tmpl_free(t);
        berr_set(err, BERR_INTERNAL, ENOMEM, "template: out of memory");
        return NULL;
    }
    struct parser ps = {.t = t, .s = t->src, .err = err};
    int how = END_EOF;
    int r = lex(&ps);
    if (r == 0)
        r = parse_list(&ps, &t->root, &how);
    if (r == 0 && how != END_EOF)
        r = perr(&ps, ps.toks[ps.i - 1].pos, "unexpected {{%s}}", how == END_END ? "end" : "else");
    free(ps.toks);
    free(ps.vars);
    if (r < 0) {
        tmpl_free(t);
        return NULL;
    }
    return t;
}

/* --- values as Go prints them ---------------------------------------------------------- */

/* %v of a float64: the shortest digits that read back, in %e form outside 1e-4..1e6 */
static void go_float(FILE *f, double d)
{
    if (isnan(d) || isinf(d)) {
        fputs(isnan(d) ? "NaN" : d > 0 ? "+Inf" : "-Inf", f);
        return;
    }
    char e[64];
    int nd;
    for (nd = 1; nd < 17; nd++) {
        snprintf(e, sizeof(e), "%.*e", nd - 1, d);
        if (strtod(e, NULL) == d)
            break;
    }
    snprintf(e, sizeof(e), "%.*e", nd - 1, d);
    int exp = atoi(strchr(e, 'e') + 1);
    if (d != 0 && (exp < -4 || exp >= 6))
        fputs(e, f);
    else
        fprintf(f, "%.*f", nd - 1 - exp > 0 ? nd - 1 - exp : 0, d);
}

static const char *type_name(const json_t *v)
{
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "int";
    case JSON_REAL: return "float64";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    case JSON_ARRAY: return "[]interface {}";
    case JSON_OBJECT: return "map[string]interface {}";
    default: return "<nil>";
    }
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* an object's keys, sorted (Go ranges over and prints maps in key order) */
static const char **sorted_keys(json_t *o, size_t *n)
{
    *n = json_object_size(o);
    const char **keys = calloc(*n + 1, sizeof(char *));
    if (!keys)
        abort();
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) keys[i++] = k;
    qsort(keys, *n, sizeof(char *), cmp_keys);
    return keys;
}

/* fmt's %v */
static void go_print(FILE *f, json_t *v)
{
    size_t i, n;
    json_t *e;
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_STRING: fwrite(json_string_value(v), 1, json_string_length(v), f); break;
    case JSON_INTEGER: fprintf(f, "%lld", (long long)json_integer_value(v)); break;
    case JSON_REAL: go_float(f, json_real_value(v)); break;
    case JSON_TRUE: fputs("true", f); break;
    case JSON_FALSE: fputs("false", f); break;
    case JSON_ARRAY:
        fputc('[', f);
        json_array_foreach(v, i, e)
        {
            if (i)
                fputc(' ', f);
            go_print(f, e);
        }
        fputc(']', f);
        break;
    case JSON_OBJECT: {
        const char **keys = sorted_keys(v, &n);
        fputs("map[", f);
        for (i = 0; i < n; i++) {
            fprintf(f, "%s%s:", i ? " " : "", keys[i]);
            go_print(f, json_object_get(v, keys[i]));
        }
        fputc(']', f);
        free(keys);
        break;
    }
    default: fputs("<nil>", f);
    }
}

static bool truth(json_t *v)
{
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_STRING: return json_string_length(v) > 0;
    case JSON_INTEGER: return json_integer_value(v) != 0;
    case JSON_REAL: return json_real_value(v) != 0;
    case JSON_TRUE: return true;
    case JSON_ARRAY: return json_array_size(v) > 0;
    case JSON_OBJECT: return json_object_size(v) > 0;
    default: return false;
    }
}

char *tmpl_quote(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        const char *k = strchr("\a\b\f\n\r\t\v\\\"", *p);
        if (k) {
            fprintf(f, "\\%c", "abfnrtv\\\""[k - "\a\b\f\n\r\t\v\\\""]);
        } else if (*p < 0x20 || *p == 0x7f) {
            fprintf(f, "\\x%02x", *p);
        } else if (*p < 0x80) {
            fputc(*p, f);
        } else {
            /* a whole UTF-8 sequence stays; a stray byte is written \xNN */
            int n = *p >= 0xf0 && *p < 0xf8 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc2 ? 2 : 0;
            int k2 = 1;
            while (n && k2 < n && (p[k2] & 0xc0) == 0x80)
                k2++;
            if (n && k2 == n && *p < 0xf8) {
                fwrite(p, 1, n, f);
                p += n - 1;
            } else {
                fprintf(f, "\\x%02x", *p);
            }
        }
    }
    fputc('"', f);
    fclose(f);
    return buf;
}

/* --- execution ------------------------------------------------------------------------ */

struct var {
    const char *name;
    json_t *v;
};

struct exec {
    const struct tmpl *t;
    const struct tmpl_opts *o;
    FILE *out;
    json_t *root;
    struct var *vars;
    size_t nvars;
    int brk; /* 1 after {{break}}, 2 after {{continue}}, until their range sees it */
    struct berr **err;
};

static int xerr(struct exec *x, size_t pos, size_t end, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int xerr(struct exec *x, size_t pos, size_t end, const char *fmt, ...)
{
    const char *s = x->t->src;
    size_t ls = pos;
    while (ls > 0 && s[ls - 1] != '\n')
        ls--;
    va_list ap;
    va_start(ap, fmt);
    char *m = NULL;
    if (vasprintf(&m, fmt, ap) < 0)
        m = NULL;
    va_end(ap);
    berr_set(x->err, BERR_INVALID, EINVAL, "template: :%d:%zu: executing \"\" at <%.*s>: %s",
             line_of(s, pos), pos - ls, (int)(end - pos), s + pos, m ? m : "out of memory");
    free(m);
    return -1;
}

static void push_var(struct exec *x, const char *name, json_t *v)
{
    struct var *n = realloc(x->vars, (x->nvars + 1) * sizeof(*n));
    if (!n)
        abort();
    x->vars = n;
    x->vars[x->nvars++] = (struct var){name, json_incref(v)};
}

static void pop_vars(struct exec *x, size_t mark)
{
    while (x->nvars > mark)
        json_decref(x->vars[--x->nvars].v);
}

static struct var *find_var(struct exec *x, const char *name)
{
    for (size_t i = x->nvars; i > 0; i--)
        if (!strcmp(x->vars[i - 1].name, name))
            return &x->vars[i - 1];
    return NULL;
}

static int eval_pipe(struct exec *x, const struct pipe *p, json_t *dot, bool declare, json_t **ret);
static int eval_arg(struct exec *x, const struct arg *a, json_t *dot, json_t **ret);

/* docker's header for {{.Label "com.example.some-label"}}: "some label" */
static json_t *label_header(const char *key)
{
    const char *last = strrchr(key, '.');
    char *h = strdup(last ? last + 1 : key);
    for (char *p = h; p && *p; p++)
        if (*p == '-' || *p == '_')
            *p = ' ';
    json_t *v = json_string(h ? h : "");
    free(h);
    return v;
}

/* .name of v (owned result, NULL: no value) */
static int field(struct exec *x, const struct arg *a, json_t *v, const char *name, size_t len,
                 json_t **ret)
{
    if (!v)
        return xerr(x, a->pos, a->end, "nil pointer evaluating interface {}.%.*s", (int)len, name);
    if (json_is_null(v)) {
        *ret = NULL; /* a nil map */
        return 0;
    }
    if (!json_is_object(v))
        return xerr(x, a->pos, a->end, "can't evaluate field %.*s in type %s", (int)len, name,
                    type_name(v));
    json_t *f = json_object_getn(v, name, len);
    if (!f && v == x->root && x->o->fields)
        f = json_object_getn(x->o->fields, name, len);
    if (!f && v == x->root && x->o->methods && json_object_getn(x->o->methods, name, len))
        return xerr(x, a->pos, a->end, "wrong number of args for %.*s: want 1 got 0", (int)len,
                    name);
    if (!f && v == x->root && !x->o->header)
        return xerr(x, a->pos, a->end, "can't evaluate field %.*s", (int)len, name);
    *ret = json_incref(f);
    return 0;
}

/* .name with arguments: one of the top level's methods (.Label "key") */
static int method(struct exec *x, const struct arg *a, json_t *v, const char *name, size_t len,
                  const struct arg *margs, bool has_final, json_t *final, json_t *dot, json_t **ret)
{
    json_t *m = v == x->root && x->o->methods ? json_object_getn(x->o->methods, name, len) : NULL;
    bool label = v == x->root && x->o->header && len == 5 && !strncmp(name, "Label", 5);
    if (!m && !label) {
        if (json_is_object(v) || json_is_null(v))
            return xerr(x, a->pos, a->end, "%.*s is not a method but has arguments", (int)len,
                        name);
        return xerr(x, a->pos, a->end, "can't evaluate field %.*s in type %s", (int)len, name,
                    type_name(v));
    }
    size_t n = has_final;
    for (const struct arg *p = margs; p; p = p->next)
        n++;
    if (n != 1)
        return xerr(x, a->pos, a->end, "wrong number of args for %.*s: want 1 got %zu", (int)len,
                    name, n);
    json_t *key = NULL;
    if (margs && eval_arg(x, margs, dot, &key) < 0)
        return -1;
    if (!margs)
        key = json_incref(final);
    int r = 0;
    if (!json_is_string(key))
        r = xerr(x, a->pos, a->end, "wrong type for value; expected string; got %s",
                 type_name(key));
    else if (label)
        *ret = label_header(json_string_value(key));
    else if ((*ret = json_object_get(m, json_string_value(key))))
        json_incref(*ret);
    else
        *ret = json_string("");
    json_decref(key);
    return r;
}

/* base (borrowed) followed by a's field chain; the last field gets margs and final, if any */
static int eval_chain(struct exec *x, const struct arg *a, json_t *base, const struct arg *margs,
                      bool has_final, json_t *final, json_t *dot, json_t **ret)
{
    if (!a->chain) {
        if (margs || has_final)
            return xerr(x, a->pos, a->end, "can't give argument to non-function %.*s",
                        (int)(a->end - a->pos), x->t->src + a->pos);
        *ret = json_incref(base);
        return 0;
    }
    json_t *cur = json_incref(base);
    for (const char *seg = a->chain; seg;) {
        const char *dotp = strchr(seg, '.');
        size_t len = dotp ? (size_t)(dotp - seg) : strlen(seg);
        json_t *nv = NULL;
        int r = !dotp && (margs || has_final)
                    ? method(x, a, cur, seg, len, margs, has_final, final, dot, &nv)
                    : field(x, a, cur, seg, len, &nv);
        json_decref(cur);
        if (r < 0)
            return -1;
        cur = nv;
        seg = dotp ? dotp + 1 : NULL;
    }
    *ret = cur;
    return 0;
}

static int call(struct exec *x, const struct cmd *c, const struct arg *fa, json_t *dot,
                bool has_final, json_t *final, json_t **ret)
{
    const struct func *f = fa->fn;
    const struct arg *args = fa->next;
    size_t n = has_final;
    for (const struct arg *p = args; p; p = p->next)
        n++;
    if ((int)n < f->min || (f->max >= 0 && (int)n > f->max))
        return xerr(x, c->pos, c->end, "wrong number of args for %s: want %s%d got %zu", f->name,
                    f->max < 0 ? "at least " : "", f->min, n);
    json_t **argv = calloc(n + 1, sizeof(json_t *));
    if (!argv)
        abort();
    int r = 0;
    size_t k = 0;
    bool is_and = !strcmp(f->name, "and"), is_or = !strcmp(f->name, "or");
    for (const struct arg *p = args; p && r == 0; p = p->next) {
        r = eval_arg(x, p, dot, &argv[k++]);
        /* and, or: the first false (true) argument, without evaluating the rest */
        if (r == 0 && ((is_and && !truth(argv[k - 1])) || (is_or && truth(argv[k - 1])))) {
            *ret = json_incref(argv[k - 1]);
            goto out;
        }
    }
    if (r < 0)
        goto out;
    if (has_final)
        argv[k++] = json_incref(final);
    if (is_and || is_or)
        *ret = json_incref(argv[n - 1]);
    else if (x->o->header && f->identity)
        *ret = json_incref(argv[0]);
    else
        r = f->fn(x, c, argv, n, ret);
out:
    for (size_t i = 0; i < n; i++)
        json_decref(argv[i]);
    free(argv);
    return r;
}

static int eval_arg(struct exec *x, const struct arg *a, json_t *dot, json_t **ret)
{
    json_t *v = NULL;
    int r;
    switch (a->kind) {
    case A_DOT: *ret = json_incref(dot); return 0;
    case A_LIT: *ret = json_incref(a->lit); return 0;
    case A_NIL: *ret = json_null(); return 0;
    case A_FIELD: return eval_chain(x, a, dot, NULL, false, NULL, dot, ret);
    case A_VAR: {
        struct var *var = find_var(x, a->name);
        if (!var)
            return xerr(x, a->pos, a->end, "undefined variable: %s", a->name);
        return eval_chain(x, a, var->v, NULL, false, NULL, dot, ret);
    }
    case A_PIPE:
        if (eval_pipe(x, a->sub, dot, false, &v) < 0)
            return -1;
        r = eval_chain(x, a, v, NULL, false, NULL, dot, ret);
        json_decref(v);
        return r;
    case A_FUNC: {
        /* a function as an argument is called without arguments: {{upper (lower "x")}} */
        struct arg alone = *a;
        alone.next = NULL;
        struct cmd c = {.pos = a->pos, .end = a->end, .args = &alone};
        return call(x, &c, &alone, dot, false, NULL, ret);
    }
    }
    return -1;
}

static int eval_cmd(struct exec *x, const struct cmd *c, json_t *dot, bool has_final, json_t *final,
                    json_t **ret)
{
    const struct arg *a = c->args;
    json_t *v = NULL;
    int r;
    switch (a->kind) {
    case A_FIELD: return eval_chain(x, a, dot, a->next, has_final, final, dot, ret);
    case A_VAR: {
        struct var *var = find_var(x, a->name);
        if (!var)
            return xerr(x, a->pos, a->end, "undefined variable: %s", a->name);
        return eval_chain(x, a, var->v, a->next, has_final, final, dot, ret);
    }
    case A_PIPE:
        if (eval_pipe(x, a->sub, dot, false, &v) < 0)
            return -1;
        r = eval_chain(x, a, v, a->next, has_final, final, dot, ret);
        json_decref(v);
        return r;
    case A_FUNC: return call(x, c, a, dot, has_final, final, ret);
    case A_NIL: return xerr(x, a->pos, a->end, "nil is not a command");
    default:
        if (a->next || has_final)
            return xerr(x, a->pos, a->end, "can't give argument to non-function %.*s",
                        (int)(a->end - a->pos), x->t->src + a->pos);
        return eval_arg(x, a, dot, ret);
    }
}

static int eval_pipe(struct exec *x, const struct pipe *p, json_t *dot, bool declare, json_t **ret)
{
    json_t *v = NULL;
    bool has = false;
    for (const struct cmd *c = p->cmds; c; c = c->next) {
        json_t *nv = NULL;
        int r = eval_cmd(x, c, dot, has, v, &nv);
        json_decref(v);
        if (r < 0)
            return -1;
        v = nv;
        has = true;
    }
    if (declare && p->ndecl) {
        struct var *var = p->assign ? find_var(x, p->decl[0]) : NULL;
        if (var) {
            json_decref(var->v);
            var->v = json_incref(v);
        } else {
            push_var(x, p->decl[0], v);
        }
    }
    *ret = v;
    return 0;
}

static int walk(struct exec *x, const struct node *n, json_t *dot);

static int walk_range(struct exec *x, const struct node *n, json_t *dot)
{
    json_t *v = NULL;
    if (eval_pipe(x, n->pipe, dot, false, &v) < 0)
        return -1;
    size_t mark = x->nvars, count = 0, nkeys = 0;
    const char **keys = NULL;
    int r = 0;
    if (json_is_object(v))
        keys = sorted_keys(v, &nkeys);
    else if (json_is_array(v))
        count = json_array_size(v);
    else if (json_is_integer(v) && n->pipe->ndecl < 2)
        count = json_integer_value(v) > 0 ? json_integer_value(v) : 0;
    else if (v && !json_is_null(v))
        r = xerr(x, n->pipe->pos, n->pipe->end, "range can't iterate over %s",
                 json_is_string(v) ? json_string_value(v) : type_name(v));
    if (keys)
        count = nkeys;
    for (size_t i = 0; r == 0 && i < count; i++) {
        json_t *key = keys ? json_string(keys[i]) : json_integer(i);
        json_t *e = keys               ? json_object_get(v, keys[i])
                    : json_is_array(v) ? json_array_get(v, i)
                                       : key;
        if (n->pipe->ndecl == 2) {
            push_var(x, n->pipe->decl[0], key);
            push_var(x, n->pipe->decl[1], e);
        } else if (n->pipe->ndecl == 1) {
            push_var(x, n->pipe->decl[0], e);
        }
        r = walk(x, n->list, e);
        json_decref(key);
        pop_vars(x, mark);
        int brk = x->brk;
        x->brk = 0;
        if (brk == 1)
            break;
    }
    if (r == 0 && count == 0 && n->elselist)
        r = walk(x, n->elselist, dot);
    free(keys);
    json_decref(v);
    return r;
}

static int walk(struct exec *x, const struct node *n, json_t *dot)
{
    for (; n && !x->brk; n = n->next) {
        json_t *v = NULL;
        size_t mark = x->nvars;
        int r = 0;
        switch (n->kind) {
        case N_TEXT: fwrite(x->t->src + n->pos, 1, n->len, x->out); break;
        case N_ACTION:
            if (eval_pipe(x, n->pipe, dot, true, &v) < 0)
                return -1;
            if (!n->pipe->ndecl) {
                if (v)
                    go_print(x->out, v);
                else
                    fputs("<no value>", x->out);
            }
            break;
        case N_IF:
        case N_WITH:
            if (eval_pipe(x, n->pipe, dot, true, &v) < 0)
                return -1;
            if (truth(v))
                r = walk(x, n->list, n->kind == N_WITH ? v : dot);
            else if (n->elselist)
                r = walk(x, n->elselist, dot);
            pop_vars(x, mark);
            break;
        case N_RANGE: r = walk_range(x, n, dot); break;
        case N_BREAK: x->brk = 1; break;
        case N_CONTINUE: x->brk = 2; break;
        }
        json_decref(v);
        if (r < 0)
            return -1;
    }
    return 0;
}

int tmpl_exec(const struct tmpl *t, json_t *data, const struct tmpl_opts *o, FILE *out,
              struct berr **err)
{
    static const struct tmpl_opts none;
    struct exec x = {.t = t, .o = o ? o : &none, .out = out, .root = data, .err = err};
    push_var(&x, "$", data);
    int r = walk(&x, t->root, data);
    pop_vars(&x, 0);
    free(x.vars);
    return r;
}

char *tmpl_render(const struct tmpl *t, json_t *data, const struct tmpl_opts *o, struct berr **err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        berr_sys(err, errno, "template");
        return NULL;
    }
    int r = tmpl_exec(t, data, o, f, err);
    fclose(f);
    if (r < 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* --- functions ------------------------------------------------------------------------ */

static int want(struct exec *x, const struct cmd *c, json_t *v, json_type type)
{
    if (v && json_typeof(v) == type)
        return 0;
    return xerr(x, c->pos, c->end, "wrong type for value; expected %s; got %s",
                type == JSON_STRING ? "string" : "int", type_name(v));
}

static int str_arg(struct exec *x, const struct cmd *c, json_t *v)
{
    return want(x, c, v, JSON_STRING);
}

static int int_arg(struct exec *x, const struct cmd *c, json_t *v)
{
    return want(x, c, v, JSON_INTEGER);
}

/* a string made with the stdio functions */
struct sbuf {
    char *buf;
    size_t len;
    FILE *f;
};

static FILE *sbuf_open(struct sbuf *b)
{
    b->buf = NULL;
    b->len = 0;
    b->f = open_memstream(&b->buf, &b->len);
    if (!b->f)
        abort();
    return b->f;
}

static json_t *sbuf_take(struct sbuf *b)
{
    fclose(b->f);
    json_t *v = json_stringn(b->buf, b->len);
    free(b->buf);
    return v;
}

static int fn_not(struct exec *x, const struct cmd *c, json_t **a, size_t n, json_t **ret)
{
    *ret = json_boolean(!truth(a[0]));
    return 0;
}

static int fn_len(struct exec *x, const struct cmd *c, json_t **a, size_t n, json_t **ret)
{
    json_t *v = a[0];
    if (json_is_string(v))
        *ret = json_integer(json_string_length(v));
    else if (json_is_array(v))
        *ret = json_integer(json_array_size(v));
    else if (json_is_object(v))
        *ret = json_integer(json_object_size(v));
    else if (json_is_null(v))
        *ret = json_integer(0);
    else
        return xerr(x, c->pos, c->end, "error calling len: len of %s",
                    v ? type_name(v) : "nil pointer");
    return 0;
}

static int fn_index(struct exec *x, const struct cmd *c, json_t **a, size_t n, json_t **ret)
{
    json_t *v = a[0];
    if (!v)
        return xerr(x, c->pos, c->end, "error calling index: index of untyped nil");
    for (size_t i = 1; i < n; i++) {
        json_t *k = a[i];
        if (json_is_object(v) || json_is_null(v)) {
            if (str_arg(x, c, k) < 0)
                return -1;
            /* a missing key gives the zero value: "" for docker's maps of strings */
            v = json_object_get(v, json_string_value(k));
            if (!v) {
                *ret = json_string("");
                return 0;
            }
        } else if (json_is_array(v) || json_is_string(v)) {
            if (int_arg(x, c, k) < 0)
                return -1;
            long long idx = json_integer_value(k);
            size_t len = json_is_array(v) ? json_array_size(v) : json_string_length(v);
            if (idx < 0 || (size_t)idx >= len)
                return xerr(x, c->pos, c->end, "error calling index: index out of range: %lld",
                            idx);
            if (json_is_string(v)) {
                *ret = json_integer((unsigned char)json_string_value(v)[idx]);
                return 0;
            }
            v = json_array_get(v, idx);
        } else {
            return xerr(x, c->pos, c->end, "error calling index: can't index item of type %s",
                        type_name(v));
        }
    }
    *ret = json_incref(v);
    return 0;
}

static int fn_slice(struct exec *x, const struct cmd *c, json_t **a, size_t n, json_t **ret)
{
    json_t *v = a[0];
    if (!json_is_string(v) && !json_is_array(v))
        return xerr(x, c->pos, c->end, "error calling slice: can't slice item of type %s",
                    type_name(v));
    size_t len = json_is_string(v) ? json_string_length(v) : json_array_size(v);
    long long idx[2] = {0, (long long)len};
    for (size_t i = 1; i < n && i < 3; i++) {
        if (int_arg(x, c, a[i]) < 0)
            return -1;
        idx[i - 1] = json_integer_value(a[i]);
    }
    if (n > 3)
        return xerr(x, c->pos, c->end, "error calling slice: too many slice indexes");
    if (idx[0] < 0 || idx[1] < idx[0] || (size_t)idx[1] > len)
        return xerr(x, c->pos, c->end, "error calling slice: index out of range: %lld",
                    idx[1] < idx[0] ? idx[0] : idx[1]);
    if (json_is_string(v)) {
        *ret = json_stringn(json_string_value(v) + idx[0], idx[1] - idx[0]);
        return 0;
    }
    *ret = json_array();
    for (long long i = idx[0]; i < idx[1]; i++)
        json_array_append(*ret, json_array_get(v, i));
    return 0;
}

/* fmt.Sprint: a space between operands when neither is a string; Sprintln: always, and \n */
static int sprint(json_t **a, size_t n, bool ln, json_t **ret)
{
    struct sbuf b;
    FILE *f = sbuf_open(&b);
    for (size_t i = 0; i < n; i++) {
        if (i && (ln || (!json_is_string(a[i - 1]) && !json_is_string(a[i]))))
            fputc(' ', f);
        go_print(f, a[i]);
    }
    if (ln)
        fputc('\n', f);
    *ret = sbuf_take(&b);
    return 0;
}

static int fn_print(struct exec *x, const struct cmd *c, json_t **a, size_t n, json_t **ret)
{
    return sprint(a, n, false, ret);
}

static int fn_println(struct exec *x, const struct cmd *c, json_t **a, size_t n, json_t **ret)
{
    return sprint(a, n, true, ret);
}

static void bad_verb(FILE *f, char verb, json_t *v)
{
    fprintf(f, "%%!%c(%s=", verb, type_name(v));
    go_print(f, v);
    fputc(')', f);
}

/* one verb of printf: spec is "%" and its flags, width and precision */
static void print_verb(FILE *f, const char *spec, char verb, json_t *v)
{
    char fmt[48];
    if (strchr("dxXoc", verb) && json_is_integer(v)) {
        long long i = json_integer_value(v);
        if (verb == 'c') {
            char u[8], *o = u;
            put_utf8(&o, i >= 0 && i <= 0x10ffff ? (unsigned long)i : 0xfffd);
            *o = 0;
            snprintf(fmt, sizeof(fmt), "%ss", spec);
            fprintf(f, fmt, u);
            return;
        }
        snprintf(fmt, sizeof(fmt), "%sll%c", spec, verb);
        fprintf(f, fmt, i);
    } else if (strchr("xX", verb) && json_is_string(v)) {
        for (const unsigned char *p = (const unsigned char *)json_string_value(v); *p; p++)
            fprintf(f, verb == 'x' ? "%02x" : "%02X", *p);
    } else if (strchr("eEfFgG", verb) && json_is_number(v)) {
        snprintf(fmt, sizeof(fmt), "%s%c", spec, verb);
        fprintf(f, fmt, json_number_value(v));
    } else if (verb == 't' && json_is_boolean(v)) {
        snprintf(fmt, sizeof(fmt), "%ss", spec);
        fprintf(f, fmt, json_is_true(v) ? "true" : "false");
    } else if (verb == 's' || verb == 'v' || verb == 'q') {
        struct sbuf b;
        go_print(sbuf_open(&b), v);
        fclose(b.f);
        char *q = verb == 'q' ? tmpl_quote(b.buf) : NULL;
        snprintf(fmt, sizeof(fmt), "%ss", spec);
        fprintf(f, fmt, q ? q : b.buf);
        free(q);
        free(b.buf);
    } else {
        bad_verb(f, verb, v);
    }
}

static int fn_printf(struct exec *x, const struct cmd *c, json_t **a, size_t n, json_t **ret)
{
    if (str_arg(x, c, a[0]) < 0)
        return -1;
    struct sbuf b;
    FILE *f = sbuf_open(&b);
    size_t k = 1;
    for (const char *p = json_string_value(a[0]); *p; p++) {
        if (*p != '%') {
            fputc(*p, f);
            continue;
        }
        char spec[40] = "%";
        size_t sl = 1;
        for (p++; *p && strchr("+-# 0", *p) && sl < 8; p++)
            spec[sl++] = *p;
        for (; isdigit((unsigned char)*p) && sl < 20; p++)
            spec[sl++] = *p;
        if (*p == '.')
            for (spec[sl++] = *p++; isdigit((unsigned char)*p) && sl < 32; p++)
                spec[sl++] = *p;
        if (!*p) {
            fputs("%!(NOVERB)", f);
            break;
        }
        if (*p == '%')
            fputc('%', f);
        else if (k >= n)
            fprintf(f, "%%!%c(MISSING)", *p);
        else
            print_verb(f, spec, *p, a[k++]);
    }
    if (k < n) {
        fputs("%!(EXTRA ", f);
        for (size_t i = k; i < n; i++) {
            fprintf(f, "%s%s=", i > k ? ", " : "", type_name(a[i]));
            go_print(f, a[i]);
        }
        fputc(')', f);
    }
    *ret = sbuf_take(&b);
    return 0;
}

/* eq, ne, lt, ...: strings with strings, numbers with numbers, bools and nils for eq */
static int compare(struct exec *x, const struct cmd *c, json_t *a, json_t *b, bool eq_only,
                   int *ret)
{
    bool na = !a || json_is_null(a), nb = !b || json_is_null(b);
    if (json_is_array(a) || json_is_object(a) || json_is_array(b) || json_is_object(b))
        return xerr(x, c->pos, c->end, "error calling %s: non-comparable type", c->args->name);
    if (eq_only && (na || nb)) {
        *ret = na == nb ? 0 : 1;
        return 0;
    }
    if (json_is_string(a) && json_is_string(b)) {
        int r = strcmp(json_string_value(a), json_string_value(b));
        *ret = r < 0 ? -1 : r > 0;
    } else if (json_is_integer(a) && json_is_integer(b)) {
        *ret = json_integer_value(a) < json_integer_value(b)
                   ? -1
                   : json_integer_value(a) > json_integer_value(b);
    } else if (json_is_number(a) && json_is_number(b)) {
        double p = json_number_value(a), q = json_number_value(b);
        *ret = p < q ? -1 : p > q;
    } else if (eq_only && json_is_boolean(a) && json_is_boolean(b)) {
        *ret = json_is_true(a) != json_is_true(b);
    } else if (!eq_only && (na || nb || json_is_boolean(a) || json_is_boolean(b))) {
        return xerr(x, c->pos, c->end, "error calling %s: invalid type for comparison",
                    c->args->name);
    } else {
        return xerr(x, c->pos, c->end, "error calling %s: incompatible types for comparison",
                    c->args->name);
    }
    return 0;
}

static int fn_eq(struct exec *x, const struct cmd *c, json_t **a, size_t n, json_t **ret)
{
    bool eq = false;
    for (size_t i = 1; i < n; i++) {
        int r = 1;
        if (compare(x, c, a[0], a[i], true, &r) < 0)
            return -1;
        eq |= r == 0;
    }
    *ret = json_boolean(eq);
    return 0;
}

static int fn_ne(struct exec *x, const struct cmd *c, json_t **a, size_t n, json_t **ret)
{
    int r = 1;
    if (compare(x, c, a[0], a[1], true, &r) < 0)
        return -1;
    *ret = json_boolean(r != 0);
    return 0;
}

static int fn_order(struct exec *x, const struct cmd *c, json_t **a, size_t n, json_t **ret)
{
    int r = 1;
    if (compare(x, c, a[0], a[1], false, &r) < 0)
        return -1;
    const char *f = c->args->name;
    *ret = json_boolean(!strcmp(f, "lt")   ? r < 0
                        : !strcmp(f, "le") ? r <= 0
                        : !strcmp(f, "gt") ? r > 0
                                           : r >= 0);
    return 0;
}

static int fn_json(struct exec *x, const struct cmd *c, json_t **a, size_t n, json_t **ret)
{
    char *s = a[0] ? json_dumps(a[0], JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    *ret = json_string(s ? s : "null");
    free(s);
    return 0;
}

static int fn_join(struct exec *x, const struct cmd *c, json_t **a, size_t n, json_t **ret)
{
    if (str_arg(x, c, a[1]) < 0)
        return -1;
    const char *sep = json_string_value(a[1]);
    struct sbuf b;
    FILE *f = sbuf_open(&b);
    size_t i;
    json_t *e;
    if (json_is_array(a[0])) {
        json_array_foreach(a[0], i, e)
        {
            fputs(i ? sep : "", f);
            go_print(f, e);
        }
    } else if (json_is_object(a[0])) {
        /* the values, sorted, as docker does for maps */
        size_t nv = json_object_size(a[0]), k = 0;
        char **vals = calloc(nv + 1, sizeof(char *));
        const char *key;
        json_object_foreach(a[0], key, e)
        {
            struct sbuf vb;
            go_print(sbuf_open(&vb), e);
            fclose(vb.f);
            vals[k++] = vb.buf;
        }
        qsort(vals, nv, sizeof(char *), cmp_keys);
        for (k = 0; k < nv; k++) {
            fprintf(f, "%s%s", k ? sep : "", vals[k]);
            free(vals[k]);
        }
        free(vals);
    } else if (a[0] && !json_is_null(a[0])) {
        fclose(b.f);
        free(b.buf);
        return xerr(x, c->pos, c->end, "error calling join: expected slice, got %s",
                    type_name(a[0]));
    }
    *ret = sbuf_take(&b);
    return 0;
}

static int fn_split(struct exec *x, const struct cmd *c, json_t **a, size_t n, json_t **ret)
{
    if (str_arg(x, c, a[0]) < 0 || str_arg(x, c, a[1]) < 0)
        return -1;
    const char *s = json_string_value(a[0]), *sep = json_string_value(a[1]);
    size_t sl = strlen(sep);
    *ret = json_array();
    while (!sl && *s) {
        /* no separator: every UTF-8 character */
        size_t k = 1;
        while ((s[k] & 0xc0) == 0x80)
            k++;
        json_array_append_new(*ret, json_stringn(s, k));
        s += k;
    }
    for (const char *e; sl && (e = strstr(s, sep)); s = e + sl)
        json_array_append_new(*ret, json_stringn(s, e - s));
    if (sl)
        json_array_append_new(*ret, json_string(s));
    return 0;
}

static int fn_case(struct exec *x, const struct cmd *c, json_t **a, size_t n, json_t **ret)
{
    if (str_arg(x, c, a[0]) < 0)
        return -1;
    const char *f = c->args->name;
    char *s = strdup(json_string_value(a[0]));
    bool start = true;
    for (char *p = s; p && *p; p++) {
        unsigned char ch = *p;
        if (ch >= 0x80)
            start = false;
        else if (!strcmp(f, "lower"))
            *p = tolower(ch);
        else if (!strcmp(f, "upper"))
            *p = toupper(ch);
        else {
            /* title: the first letter of each word */
            if (start)
                *p = toupper(ch);
            start = !isalnum(ch) && ch != '_';
        }
    }
    *ret = json_string(s ? s : "");
    free(s);
    return 0;
}

static int fn_pad(struct exec *x, const struct cmd *c, json_t **a, size_t n, json_t **ret)
{
    if (str_arg(x, c, a[0]) < 0 || int_arg(x, c, a[1]) < 0 || int_arg(x, c, a[2]) < 0)
        return -1;
    if (!json_string_length(a[0])) {
        *ret = json_incref(a[0]);
        return 0;
    }
    struct sbuf b;
    FILE *f = sbuf_open(&b);
    fprintf(f, "%*s%s%*s", (int)json_integer_value(a[1]), "", json_string_value(a[0]),
            (int)json_integer_value(a[2]), "");
    *ret = sbuf_take(&b);
    return 0;
}

static int fn_truncate(struct exec *x, const struct cmd *c, json_t **a, size_t n, json_t **ret)
{
    if (str_arg(x, c, a[0]) < 0 || int_arg(x, c, a[1]) < 0)
        return -1;
    long long len = json_integer_value(a[1]);
    if (len < 0)
        return xerr(x, c->pos, c->end, "error calling truncate: slice bounds out of range");
    size_t l = json_string_length(a[0]);
    *ret = json_stringn(json_string_value(a[0]), (size_t)len < l ? (size_t)len : l);
    return 0;
}

static const struct func funcs[] = {
    {"and", NULL, 1, -1, false},
    {"or", NULL, 1, -1, false},
    {"not", fn_not, 1, 1, false},
    {"len", fn_len, 1, 1, false},
    {"index", fn_index, 1, -1, false},
    {"slice", fn_slice, 1, -1, false},
    {"print", fn_print, 0, -1, false},
    {"println", fn_println, 0, -1, false},
    {"printf", fn_printf, 1, -1, false},
    {"eq", fn_eq, 2, -1, false},
    {"ne", fn_ne, 2, 2, false},
    {"lt", fn_order, 2, 2, false},
    {"le", fn_order, 2, 2, false},
    {"gt", fn_order, 2, 2, false},
    {"ge", fn_order, 2, 2, false},
    {"json", fn_json, 1, 1, true},
    {"join", fn_join, 2, 2, true},
    {"split", fn_split, 2, 2, true},
    {"lower", fn_case, 1, 1, true},
    {"upper", fn_case, 1, 1, true},
    {"title", fn_case, 1, 1, true},
    {"pad", fn_pad, 3, 3, false},
    {"truncate", fn_truncate, 2, 2, true},
    {NULL, NULL, 0, 0, false},
};
