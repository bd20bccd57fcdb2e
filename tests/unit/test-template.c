/* test-template.c - Go text/template over JSON: what docker users write in --format */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "cli/format.h"
#include "cli/template.h"
#include "cli/table.h"

static const char *ctr =
    "{\"ID\":\"0123456789ab\",\"Names\":\"web\",\"State\":{\"Pid\":42,\"Running\":true,"
    "\"Status\":\"running\",\"ExitCode\":0,\"Ratio\":0.5,\"Big\":1234567.0},"
    "\"Config\":{\"Labels\":{\"a.b\":\"1\",\"c\":\"x\"},\"Env\":[\"A=1\",\"B=2\"],"
    "\"Entrypoint\":null},\"Args\":[\"-c\",\"echo hi\"],\"Mounts\":[{\"Source\":\"/s1\"},"
    "{\"Source\":\"/s2\"}],\"Empty\":[],\"Name\":\"Web\"}";

static char *render_opts(const char *text, const char *json, const struct tmpl_opts *o,
                         struct berr **err)
{
    json_t *data = json_loads(json, 0, NULL);
    assert_non_null(data);
    struct tmpl *t = tmpl_parse(text, err);
    char *out = t ? tmpl_render(t, data, o, err) : NULL;
    tmpl_free(t);
    json_decref(data);
    return out;
}

static void ok(const char *text, const char *want)
{
    struct berr *err = NULL;
    char *out = render_opts(text, ctr, NULL, &err);
    if (!out)
        fail_msg("%s: %s", text, err->msg);
    assert_string_equal(out, want);
    free(out);
}

/* fails with a message that contains part */
static void bad(const char *text, const char *part)
{
    struct berr *err = NULL;
    char *out = render_opts(text, ctr, NULL, &err);
    if (out)
        fail_msg("%s: no error but \"%s\"", text, out);
    assert_non_null(err);
    if (!strstr(err->msg, part))
        fail_msg("%s: \"%s\" lacks \"%s\"", text, err->msg, part);
    berr_free(err);
}

static void test_fields(void **state)
{
    ok("{{.ID}}\t{{.Names}}", "0123456789ab\tweb");
    ok("{{.State.Pid}}", "42");
    ok("{{.State.Running}} {{.State.Ratio}} {{.State.Big}}", "true 0.5 1.234567e+06");
    ok("{{.Config.Labels.c}}", "x");
    ok("{{.Config.Labels.nope}}", "<no value>");
    ok("{{.Config.Entrypoint}}|{{.Config.Entrypoint.x}}", "<nil>|<no value>");
    ok("{{.Args}} {{.Config.Labels}}", "[-c echo hi] map[a.b:1 c:x]");
    ok("{{.}}", "map[Args:[-c echo hi] Config:map[Entrypoint:<nil> Env:[A=1 B=2] "
                "Labels:map[a.b:1 c:x]] Empty:[] ID:0123456789ab Mounts:[map[Source:/s1] "
                "map[Source:/s2]] Name:Web Names:web State:map[Big:1.234567e+06 ExitCode:0 "
                "Pid:42 Ratio:0.5 Running:true Status:running]]");
    ok("plain text, no actions", "plain text, no actions");
    ok("", "");
    /* the top level stands for docker's struct: an unknown field is a mistake, said so */
    bad("{{.Nope}}", "template: :1:2: executing \"\" at <.Nope>: can't evaluate field Nope");
    bad("{{.ID.x}}", "can't evaluate field x in type string");
    bad("{{.State.Nope.x}}", "nil pointer evaluating interface {}.x");
}

static void test_functions(void **state)
{
    ok("{{index .Config.Labels \"a.b\"}}|{{index .Config.Labels \"zz\"}}|", "1||");
    ok("{{index .Args 1}} {{index .Mounts 1 \"Source\"}}", "echo hi /s2");
    bad("{{index .Args 5}}", "error calling index: index out of range: 5");
    ok("{{json .Config.Labels}} {{json .Args}} {{json .State.Pid}} {{json .ID}}",
       "{\"a.b\":\"1\",\"c\":\"x\"} [\"-c\",\"echo hi\"] 42 \"0123456789ab\"");
    ok("{{len .Args}} {{len .Config.Labels}} {{len .ID}} {{len .Empty}}", "2 2 12 0");
    ok("{{join .Args \",\"}}|{{join .Config.Env \" \"}}|{{join .Config.Entrypoint \",\"}}",
       "-c,echo hi|A=1 B=2|");
    ok("{{lower .Name}} {{upper .Name}} {{title \"hello big-world\"}}", "web WEB Hello Big-World");
    ok("{{.Name | lower}} {{.Name | lower | upper}}", "web WEB");
    ok("{{split \"a,b,,c\" \",\"}} {{len (split .ID \"\")}}", "[a b  c] 12");
    ok("{{pad .Name 2 1}}|{{pad \"\" 2 2}}|{{truncate .ID 4}}|{{truncate .ID 40}}",
       "  Web ||0123|0123456789ab");
    ok("{{slice .ID 0 4}} {{slice .ID 8}} {{slice .Args 1}}", "0123 89ab [echo hi]");
    ok("{{println .Name}}{{print .State.Pid .State.Pid \"x\" 1}}", "Web\n42 42x1");
    ok("{{printf \"%s=%d %5.1f|%-4s|%q %v %x\" .Name .State.Pid .State.Ratio \"ab\" .ID .Args "
       "255}}",
       "Web=42   0.5|ab  |\"0123456789ab\" [-c echo hi] ff");
    ok("{{printf \"%d\" .Name}} {{printf \"%s\"}} {{printf \"x\" 1}}",
       "%!d(string=Web) %!s(MISSING) x%!(EXTRA int=1)");
    ok("{{eq .State.Status \"exited\"}} {{eq .State.Status \"exited\" \"running\"}}", "false true");
    ok("{{ne .State.Pid 0}} {{eq .State.ExitCode 0}} {{lt 1 2}} {{ge \"b\" \"a\"}} {{le 2 1}}",
       "true true true true false");
    ok("{{not .State.Running}} {{and 1 0 2}} {{or 0 \"\" .Name}} {{and .Name .ID}}",
       "false 0 Web 0123456789ab");
    /* and/or stop at their answer: the index out of range is never evaluated */
    ok("{{or .Name (index .Empty 3)}}{{and .Empty (index .Empty 3)}}", "Web[]");
    bad("{{eq .State.Pid \"42\"}}", "incompatible types for comparison");
    bad("{{lt .Args 1}}", "non-comparable type");
    bad("{{lower .State.Pid}}", "wrong type for value; expected string; got int");
    bad("{{len 3}}", "error calling len: len of int");
    bad("{{upper}}", "wrong number of args for upper: want 1 got 0");
    ok("{{eq .Config.Labels.nope nil}} {{eq .Name nil}}", "true false");
}

static void test_control(void **state)
{
    ok("{{if .State.Running}}up{{else}}down{{end}}", "up");
    ok("{{if not .State.Running}}up{{else if .Empty}}empty{{else}}neither{{end}}", "neither");
    ok("{{if eq .State.Status \"exited\"}}E{{else if eq .State.Status \"running\"}}R{{end}}", "R");
    ok("{{range .Mounts}}{{.Source}} {{end}}", "/s1 /s2 ");
    ok("{{range $i, $m := .Mounts}}{{$i}}={{$m.Source}};{{end}}", "0=/s1;1=/s2;");
    ok("{{range $k, $v := .Config.Labels}}{{$k}}:{{$v}} {{end}}", "a.b:1 c:x ");
    ok("{{range $v := .Config.Labels}}{{$v}}{{end}}", "1x");
    ok("{{range .Empty}}x{{else}}none{{end}}", "none");
    ok("{{range .Config.Entrypoint}}x{{end}}.", ".");
    ok("{{range .Args}}{{if eq . \"-c\"}}{{continue}}{{end}}{{.}}{{break}}{{end}}", "echo hi");
    ok("{{range 3}}{{.}}{{end}}", "012");
    ok("{{with .State}}{{.Pid}}/{{$.ID}}{{end}}", "42/0123456789ab");
    ok("{{with .Empty}}x{{else with .Name}}{{.}}{{end}}", "Web");
    ok("{{$n := .Name}}{{$n}} {{$n = \"other\"}}{{$n}}", "Web other");
    ok("{{range .Mounts}}{{$.Name}}{{end}}", "WebWeb");
    ok("{{(index .Mounts 0).Source}}", "/s1");
    ok("{{/* a comment */}}a {{- /* trimmed */ -}} b", "ab");
    ok("a  {{- .Name -}}  \n b", "aWebb");
    ok("{{3}} {{-1}} {{1.5}} {{0x10}} {{'a'}} {{\"q\\t\\\"\\u00e9\"}} {{`raw\\n`}} {{true}}",
       "3 -1 1.5 16 97 q\t\"\xc3\xa9 raw\\n true");
    bad("{{range .Name}}{{end}}", "range can't iterate over Web");
}

static void test_parse_errors(void **state)
{
    bad("{{.ID", "template: :1: unclosed action");
    bad("x\n{{.ID}}{{if .ID}}", "template: :2: unexpected EOF");
    bad("{{end}}", "unexpected {{end}}");
    bad("{{else}}", "unexpected {{else}}");
    bad("{{nosuch .ID}}", "function \"nosuch\" not defined");
    bad("{{$x}}", "undefined variable \"$x\"");
    bad("{{}}", "missing value for command");
    bad("{{if}}{{end}}", "missing value for if");
    bad("{{.ID | 3}}", "non executable command in pipeline stage 2");
    bad("{{(.ID}}", "unclosed left paren");
    bad("{{\"abc}}", "unterminated quoted string");
    bad("{{break}}", "{{break}} outside {{range}}");
    bad("{{template \"x\"}}", "{{template}} is not supported");
    bad("{{if 1}}{{else}}{{else}}{{end}}", "expected end; found {{else}}");
    bad("{{.ID %}}", "unexpected \"%\" in command");
    bad("{{/* open", "unclosed comment");
    bad("{{.Name 1}}", "Name is not a method but has arguments");
    bad("{{\"x\" 1}}", "can't give argument to non-function \"x\"");
}

static void test_methods_and_header(void **state)
{
    json_t *m = json_pack("{s:{s:s}}", "Label", "com.x.role", "db");
    struct tmpl_opts o = {.methods = m};
    struct berr *err = NULL;
    char *out = render_opts(
        "{{.Label \"com.x.role\"}}|{{.Label \"none\"}}|{{\"com.x.role\" | .Label}}", ctr, &o, &err);
    assert_string_equal(out, "db||db");
    free(out);
    out = render_opts("{{.Label}}", ctr, &o, &err);
    assert_null(out);
    assert_non_null(strstr(err->msg, "wrong number of args for Label: want 1 got 0"));
    berr_free(err);
    err = NULL;
    json_decref(m);
    /* a table's header: field names map to columns; docker's functions leave them be */
    struct tmpl_opts h = {.header = true};
    out = render_opts("{{.ID}}\t{{.Names | lower}}\t{{json .Size}}\t{{.Label \"com.x.some-role\"}}",
                      "{\"ID\":\"CONTAINER ID\",\"Names\":\"NAMES\",\"Size\":\"SIZE\"}", &h, &err);
    assert_string_equal(out, "CONTAINER ID\tNAMES\tSIZE\tsome role");
    free(out);
}

static void test_quote(void **state)
{
    char *q = tmpl_quote("sh -c \"echo\\hi\"\n\x01\xc3\xa9\xff");
    assert_string_equal(q, "\"sh -c \\\"echo\\\\hi\\\"\\n\\x01\xc3\xa9\\xff\"");
    free(q);
}

/* what a listfmt prints for rows of {"ID", "Names"} */
static char *list(const char *format, const char *rows)
{
    json_t *header = json_pack("{s:s,s:s}", "ID", "CONTAINER ID", "Names", "NAMES");
    json_t *r = json_loads(rows, 0, NULL);
    struct berr *err = NULL;
    struct listfmt *f = listfmt_new(format, "table {{.ID}}\t{{.Names}}", header, &err);
    if (!f)
        fail_msg("%s: %s", format, err->msg);
    size_t i;
    json_t *row;
    json_array_foreach(r, i, row) assert_int_equal(listfmt_add(f, row, NULL, &err), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    listfmt_end(f, out);
    fclose(out);
    json_decref(r);
    json_decref(header);
    return buf;
}

static void test_listfmt(void **state)
{
    const char *rows = "[{\"ID\":\"abc\",\"Names\":\"web\"},{\"ID\":\"0123456789ab\","
                       "\"Names\":\"quick\"}]";
    char *out = list(NULL, rows);
    assert_string_equal(out, "CONTAINER ID   NAMES\n"
                             "abc            web\n"
                             "0123456789ab   quick\n");
    free(out);
    /* "table TEMPLATE": \t typed as two characters is a column; the header from the names */
    out = list("table {{.Names}}\\t{{.ID}}\\t{{.Names | upper}}", rows);
    assert_string_equal(out, "NAMES   CONTAINER ID   NAMES\n"
                             "web     abc            WEB\n"
                             "quick   0123456789ab   QUICK\n");
    free(out);
    out = list("{{.ID}}\\t{{.Names}}\\n", rows);
    assert_string_equal(out, "abc\tweb\n\n0123456789ab\tquick\n\n");
    free(out);
    out = list("json", rows);
    assert_string_equal(out, "{\"ID\":\"abc\",\"Names\":\"web\"}\n"
                             "{\"ID\":\"0123456789ab\",\"Names\":\"quick\"}\n");
    free(out);
    out = list("table", "[]");
    assert_string_equal(out, "CONTAINER ID   NAMES\n");
    free(out);
    struct berr *err = NULL;
    assert_null(listfmt_new("{{.ID", "", NULL, &err));
    assert_string_equal(err->msg, "template parsing error: template: :1: unclosed action");
    berr_free(err);
    json_t *labels = json_pack("{s:s,s:s}", "z", "1", "a.b", "x=y");
    json_t *l = listfmt_labels(labels);
    assert_string_equal(json_string_value(l), "a.b=x=y,z=1");
    json_decref(l);
    json_decref(labels);
}

static void test_inspectfmt(void **state)
{
    json_t *a = json_pack("{s:s,s:{s:i}}", "Name", "web", "State", "Pid", 42);
    json_t *b = json_pack("{s:s,s:[i,i]}", "Name", "db", "Args", 1, 2);
    const char *formats[] = {NULL, "json", "{{.Name}}\\t{{json .}}"};
    for (int k = 0; k < 3; k++) {
        struct berr *err = NULL;
        struct inspectfmt *f = inspectfmt_new(formats[k], &err);
        assert_non_null(f);
        assert_int_equal(inspectfmt_add(f, a, true, &err), 0);
        assert_int_equal(inspectfmt_add(f, b, true, &err), 0);
        char *buf = NULL, *want = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&buf, &len);
        inspectfmt_end(f, out);
        fclose(out);
        /* the JSON is what jansson writes for the array of them */
        json_t *arr = json_pack("[O,O]", a, b);
        char *text = json_dumps(arr, (k ? JSON_COMPACT : JSON_INDENT(4)) | JSON_SORT_KEYS);
        json_decref(arr);
        if (k < 2)
            assert_true(asprintf(&want, "%s\n", text) > 0);
        else
            want = strdup("web\\t{\"Name\":\"web\",\"State\":{\"Pid\":42}}\n"
                          "db\\t{\"Args\":[1,2],\"Name\":\"db\"}\n");
        assert_string_equal(buf, want);
        free(text);
        free(want);
        free(buf);
    }
    /* nothing found: docker's empty array, or its empty line */
    for (int k = 0; k < 2; k++) {
        struct berr *err = NULL;
        struct inspectfmt *f = inspectfmt_new(k ? "{{.Name}}" : NULL, &err);
        char *buf = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&buf, &len);
        inspectfmt_end(f, out);
        fclose(out);
        assert_string_equal(buf, k ? "\n" : "[]\n");
        free(buf);
    }
    json_decref(a);
    json_decref(b);
}

/* docker's size formats: ps's and images' (3 digits), system df's (4), info's Total Memory
 * (1024-based) */
static void test_sizes(void **state)
{
    (void)state;
    static const struct {
        unsigned long long n;
        const char *si, *si4, *bin;
    } cases[] = {
        {0, "0B", "0B", "0B"},
        {999, "999B", "999B", "999B"},
        {1200, "1.2kB", "1.2kB", "1.172KiB"},
        {4261000, "4.26MB", "4.261MB", "4.064MiB"},
        {1000000, "1MB", "1MB", "976.6KiB"},
        {2087354368ULL, "2.09GB", "2.087GB", "1.944GiB"},
        {1024ULL * 1024 * 1024, "1.07GB", "1.074GB", "1GiB"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        char buf[32];
        table_size(cases[i].n, buf, sizeof(buf));
        assert_string_equal(buf, cases[i].si);
        table_size4(cases[i].n, buf, sizeof(buf));
        assert_string_equal(buf, cases[i].si4);
        table_bytes(cases[i].n, buf, sizeof(buf));
        assert_string_equal(buf, cases[i].bin);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_functions),
        cmocka_unit_test(test_control),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_methods_and_header),
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_listfmt),
        cmocka_unit_test(test_inspectfmt),
        cmocka_unit_test(test_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
