/* test-reference.c - image reference parsing against Docker's behaviour: tables of accepted and
 * refused references, error messages, round trips, and random input checked against an
 * independent oracle built from distribution/reference's regular expressions */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <regex.h>
#include "base/cleanup.h"
#include "image/reference.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DGST "sha256:" HEX64

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static char *concat(const char *a, const char *b)
{
    char *s = NULL;
    assert_true(asprintf(&s, "%s%s", a, b) >= 0);
    return s;
}

/* ---- accepted references ---- */

struct ok_case {
    const char *in;
    const char *domain, *path, *tag, *digest; /* tag/digest NULL when absent */
    const char *string;                       /* ref_string */
    const char *familiar;                     /* ref_familiar */
};

static const struct ok_case ok_cases[] = {
    {"busybox", "docker.io", "library/busybox", "latest", NULL, "docker.io/library/busybox:latest",
     "busybox"},
    {"busybox:1.36", "docker.io", "library/busybox", "1.36", NULL, "docker.io/library/busybox:1.36",
     "busybox"},
    {"user/app:1.0", "docker.io", "user/app", "1.0", NULL, "docker.io/user/app:1.0", "user/app"},
    {"library/busybox", "docker.io", "library/busybox", "latest", NULL,
     "docker.io/library/busybox:latest", "busybox"},
    {"docker.io/busybox", "docker.io", "library/busybox", "latest", NULL,
     "docker.io/library/busybox:latest", "busybox"},
    {"docker.io/library/busybox", "docker.io", "library/busybox", "latest", NULL,
     "docker.io/library/busybox:latest", "busybox"},
    {"index.docker.io/library/busybox", "docker.io", "library/busybox", "latest", NULL,
     "docker.io/library/busybox:latest", "busybox"},
    {"index.docker.io/busybox:musl", "docker.io", "library/busybox", "musl", NULL,
     "docker.io/library/busybox:musl", "busybox"},
    {"docker.io/user/app", "docker.io", "user/app", "latest", NULL, "docker.io/user/app:latest",
     "user/app"},
    /* only library/<one component> shortens */
    {"docker.io/library/a/b", "docker.io", "library/a/b", "latest", NULL,
     "docker.io/library/a/b:latest", "library/a/b"},
    {"localhost/x", "localhost", "x", "latest", NULL, "localhost/x:latest", "localhost/x"},
    {"localhost:5000/a/b@" DGST, "localhost:5000", "a/b", NULL, DGST, "localhost:5000/a/b@" DGST,
     "localhost:5000/a/b"},
    {"host.example.com/a", "host.example.com", "a", "latest", NULL, "host.example.com/a:latest",
     "host.example.com/a"},
    {"a/b/c/d", "docker.io", "a/b/c/d", "latest", NULL, "docker.io/a/b/c/d:latest", "a/b/c/d"},
    {"[::1]:5000/x:y", "[::1]:5000", "x", "y", NULL, "[::1]:5000/x:y", "[::1]:5000/x"},
    {"[fe80::1]/x", "[fe80::1]", "x", "latest", NULL, "[fe80::1]/x:latest", "[fe80::1]/x"},
    {"127.0.0.1:5000/team/app:v1", "127.0.0.1:5000", "team/app", "v1", NULL,
     "127.0.0.1:5000/team/app:v1", "127.0.0.1:5000/team/app"},
    {"my-registry.local:443/t/app:v1.2.3-rc_1", "my-registry.local:443", "t/app", "v1.2.3-rc_1",
     NULL, "my-registry.local:443/t/app:v1.2.3-rc_1", "my-registry.local:443/t/app"},
    {"busybox@" DGST, "docker.io", "library/busybox", NULL, DGST, "docker.io/library/busybox@" DGST,
     "busybox"},
    {"busybox:1.36@" DGST, "docker.io", "library/busybox", "1.36", DGST,
     "docker.io/library/busybox:1.36@" DGST, "busybox"},
    {"a_b/c__d/e--f/g.h/i-j", "docker.io", "a_b/c__d/e--f/g.h/i-j", "latest", NULL,
     "docker.io/a_b/c__d/e--f/g.h/i-j:latest", "a_b/c__d/e--f/g.h/i-j"},
    /* tags may have uppercase and start with "_" */
    {"busybox:Latest", "docker.io", "library/busybox", "Latest", NULL,
     "docker.io/library/busybox:Latest", "busybox"},
    {"busybox:_x.Y-z", "docker.io", "library/busybox", "_x.Y-z", NULL,
     "docker.io/library/busybox:_x.Y-z", "busybox"},
    /* domains may have uppercase; an uppercase first component is a domain, as in Docker */
    {"Registry.Example.com/x", "Registry.Example.com", "x", "latest", NULL,
     "Registry.Example.com/x:latest", "Registry.Example.com/x"},
    {"Foo/bar", "Foo", "bar", "latest", NULL, "Foo/bar:latest", "Foo/bar"},
    /* one component is never a domain: these are Hub names with a tag, as in Docker */
    {"localhost", "docker.io", "library/localhost", "latest", NULL,
     "docker.io/library/localhost:latest", "localhost"},
    {"localhost:5000", "docker.io", "library/localhost", "5000", NULL,
     "docker.io/library/localhost:5000", "localhost"},
    {"host.com:5000", "docker.io", "library/host.com", "5000", NULL,
     "docker.io/library/host.com:5000", "host.com"},
    /* "sha256:<hex>" alone is library/sha256 tagged <hex>: callers try IDs with
     * ref_looks_like_id, as Docker does */
    {DGST, "docker.io", "library/sha256", HEX64, NULL, "docker.io/library/sha256:" HEX64, "sha256"},
    /* 63 and 65 hex digits are names; only exactly 64 is refused */
    {"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", "docker.io",
     "library/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", "latest", NULL,
     "docker.io/library/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde:latest",
     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde"},
    /* only the whole input is checked for 64 hex digits, as in Docker */
    {HEX64 ":v1", "docker.io", "library/" HEX64, "v1", NULL, "docker.io/library/" HEX64 ":v1",
     HEX64},
    /* the first "/" decides the domain even in what looks like a tag, as in Docker */
    {"busybox:1/x", "busybox:1", "x", "latest", NULL, "busybox:1/x:latest", "busybox:1/x"},
};

static void test_parse_ok(void **state)
{
    for (size_t i = 0; i < ARRAY_SIZE(ok_cases); i++) {
        const struct ok_case *c = &ok_cases[i];
        struct berr *err = NULL;
        _cleanup_(ref_freep) struct ref *r = ref_parse(c->in, &err);
        if (!r)
            fail_msg("%s: %s", c->in, err->msg);
        assert_null(err);
        assert_string_equal(r->domain, c->domain);
        assert_string_equal(r->path, c->path);
        if (c->tag)
            assert_string_equal(r->tag, c->tag);
        else
            assert_null(r->tag);
        if (c->digest)
            assert_string_equal(r->digest, c->digest);
        else
            assert_null(r->digest);
        _cleanup_free_ char *s = ref_string(r);
        _cleanup_free_ char *f = ref_familiar(r);
        _cleanup_free_ char *n = ref_name(r);
        _cleanup_free_ char *want_name = NULL;
        assert_true(asprintf(&want_name, "%s/%s", c->domain, c->path) >= 0);
        assert_string_equal(s, c->string);
        assert_string_equal(f, c->familiar);
        assert_string_equal(n, want_name);
    }
}

static void check_accepted(const char *in, const struct ref *r);

/* The full form parses to itself, and the familiar name to the same repository. */
static void test_round_trip(void **state)
{
    for (size_t i = 0; i < ARRAY_SIZE(ok_cases); i++) {
        _cleanup_berr_ struct berr *e = NULL;
        _cleanup_(ref_freep) struct ref *r = ref_parse(ok_cases[i].in, &e);
        assert_non_null(r);
        check_accepted(ok_cases[i].in, r);
    }
}

/* ---- refused references ---- */

struct bad_case {
    const char *in;
    const char *msg; /* the whole message, or NULL to check only its prefix */
};

static const struct bad_case bad_cases[] = {
    {"", "invalid reference format \"\": empty"},
    {"Busybox", "invalid reference format \"Busybox\": repository name must be lowercase"},
    {"UPPER", "invalid reference format \"UPPER\": repository name must be lowercase"},
    {"user/App:1", "invalid reference format \"user/App:1\": repository name must be lowercase"},
    {"host.com/a/B",
     "invalid reference format \"host.com/a/B\": repository name must be lowercase"},
    {"a:b:c", "invalid reference format \"a:b:c\""},
    {HEX64, "invalid reference format \"" HEX64
            "\": cannot use a 64-character hex string as a repository name"},
    {"a@sha256:short", "invalid reference format \"a@sha256:short\": invalid digest"},
    {"a@sha256:" HEX64 "0", "invalid reference format \"a@sha256:" HEX64 "0\": invalid digest"},
    {"a@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", NULL},
    {"a@SHA256:" HEX64, NULL},
    {"a@sha512:" HEX64 HEX64, NULL},
    {"a@md5:0123456789abcdef0123456789abcdef", NULL},
    {"a@" HEX64, NULL},
    {"a@b@" DGST, NULL},
    {"busybox:", NULL},
    {"busybox@", NULL},
    {"busybox:tag@", NULL},
    {"busybox:.x", NULL},
    {"busybox:-x", NULL},
    {"busybox:a/b", NULL},
    {"busybox:t t", NULL},
    {":tag", NULL},
    {"@" DGST, NULL},
    {"/a", NULL},
    {"a/", NULL},
    {"a//b", NULL},
    {"a/b/", NULL},
    {"-a", NULL},
    {"a-", NULL},
    {"_a", NULL},
    {"a..b", NULL},
    {"a___b", NULL},
    {"a._b", NULL},
    {"a-.b", NULL},
    {"a b", NULL},
    {"a\tb", "invalid reference format \"a\\x09b\""},
    {"a\"b", "invalid reference format \"a\\\"b\""},
    {"host:port/x", NULL},
    {"host:/x", NULL},
    {"host:5000:6000/x", NULL},
    {"[]:5000/x", NULL},
    {"[::1/x", NULL},
    {"[::1]:/x", NULL},
    {"[::g]/x", NULL},
    {"[::1]x/y", NULL},
    {"-host.com/x", NULL},
    {"host-.com/x", NULL},
    {"host..com/x", NULL},
    {".host.com/x", NULL},
    {"host_name.com/x", NULL}, /* Docker reads this as a path with no domain; we refuse it */
    {"localhost/", NULL},
    {"localhost:5000/", NULL},
    {"docker.io/", NULL},
    {"a/b:c/d", NULL},
};

static void test_parse_bad(void **state)
{
    for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
        const struct bad_case *c = &bad_cases[i];
        struct berr *err = NULL;
        struct ref *r = ref_parse(c->in, &err);
        if (r)
            fail_msg("accepted \"%s\"", c->in);
        assert_non_null(err);
        assert_int_equal(err->kind, BERR_INVALID);
        assert_int_equal(berr_code(err), -EINVAL);
        if (c->msg)
            assert_string_equal(err->msg, c->msg);
        else
            assert_true(strncmp(err->msg, "invalid reference format \"", 26) == 0);
        assert_null(strchr(err->msg, '\n'));
        berr_free(err);
    }
    /* NULL input is refused, not a crash */
    struct berr *err = NULL;
    assert_null(ref_parse(NULL, &err));
    assert_non_null(err);
    berr_free(err);
}

static void test_tag_length(void **state)
{
    _cleanup_free_ char *t128 = repeat('t', 128), *t129 = repeat('t', 129);
    _cleanup_free_ char *ok = concat("busybox:", t128), *bad = concat("busybox:", t129);
    _cleanup_berr_ struct berr *e = NULL;
    _cleanup_(ref_freep) struct ref *r = ref_parse(ok, &e);
    assert_non_null(r);
    assert_string_equal(r->tag, t128);

    struct berr *err = NULL;
    assert_null(ref_parse(bad, &err));
    assert_non_null(err);
    assert_non_null(strstr(err->msg, "tag is longer than 128 characters"));
    berr_free(err);
}

/* 255 characters in domain/path, counted after normalisation as Docker does */
static void test_name_length(void **state)
{
    const size_t prefix = strlen("docker.io/library/");
    _cleanup_free_ char *fit = repeat('a', 255 - prefix), *over = repeat('a', 256 - prefix);
    _cleanup_berr_ struct berr *e = NULL;
    _cleanup_(ref_freep) struct ref *r = ref_parse(fit, &e);
    assert_non_null(r);
    _cleanup_free_ char *n = ref_name(r);
    assert_int_equal(strlen(n), 255);

    struct berr *err = NULL;
    assert_null(ref_parse(over, &err));
    assert_non_null(err);
    assert_non_null(strstr(err->msg, "must not be more than 255 characters"));
    berr_free(err);

    /* and a long input is cut short in the message */
    _cleanup_free_ char *huge = repeat('A', 5000);
    err = NULL;
    assert_null(ref_parse(huge, &err));
    assert_non_null(err);
    assert_true(strlen(err->msg) < 300);
    assert_non_null(strstr(err->msg, "...\""));
    berr_free(err);
}

static void test_is_digest(void **state)
{
    assert_true(ref_is_digest(DGST));
    assert_false(ref_is_digest(NULL));
    assert_false(ref_is_digest(""));
    assert_false(ref_is_digest(HEX64));
    assert_false(ref_is_digest("sha256:"));
    assert_false(ref_is_digest("sha256:abc"));
    assert_false(ref_is_digest(DGST "0"));
    assert_false(
        ref_is_digest("sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
    assert_false(ref_is_digest("sha512:" HEX64));
    assert_false(ref_is_digest("sha256:" HEX64 "\n"));
}

static void test_looks_like_id(void **state)
{
    assert_true(ref_looks_like_id("a"));
    assert_true(ref_looks_like_id("abc123"));
    assert_true(ref_looks_like_id(HEX64));
    assert_true(ref_looks_like_id("sha256:abc123"));
    assert_true(ref_looks_like_id(DGST));
    assert_false(ref_looks_like_id(NULL));
    assert_false(ref_looks_like_id(""));
    assert_false(ref_looks_like_id("sha256:"));
    assert_false(ref_looks_like_id(HEX64 "0"));
    assert_false(ref_looks_like_id("ABC123"));
    assert_false(ref_looks_like_id("abcg"));
    assert_false(ref_looks_like_id("busybox"));
    assert_false(ref_looks_like_id("sha512:abc"));
    assert_false(ref_looks_like_id("sha256:sha256:abc"));
}

/* ---- random input ---- */

/* Checks what must hold of any reference ref_parse accepts. */
static void check_accepted(const char *in, const struct ref *r)
{
    assert_non_null(r->domain);
    assert_non_null(r->path);
    assert_true(r->tag || r->digest);
    for (const char *p = r->path; *p; p++)
        assert_false(*p >= 'A' && *p <= 'Z');
    if (r->digest)
        assert_true(ref_is_digest(r->digest));
    _cleanup_free_ char *s = ref_string(r);
    _cleanup_berr_ struct berr *e = NULL;
    _cleanup_(ref_freep) struct ref *r2 = ref_parse(s, &e);
    if (!r2)
        fail_msg("\"%s\" -> \"%s\" does not parse back", in, s);
    _cleanup_free_ char *s2 = ref_string(r2);
    assert_string_equal(s, s2);
    /* with its tag, as `docker images` shows it and users type it back: a bare 64-hex
     * familiar name ("<hex>:v1" is a valid reference) would be refused on its own */
    _cleanup_free_ char *f = NULL;
    _cleanup_free_ char *fam = ref_familiar(r);
    assert_true(asprintf(&f, "%s%s%s", fam, r->tag ? ":" : "@", r->tag ? r->tag : r->digest) >= 0);
    _cleanup_(ref_freep) struct ref *r3 = ref_parse(f, &e);
    if (!r3)
        fail_msg("\"%s\": familiar \"%s\" does not parse back", in, f);
    assert_string_equal(r3->domain, r->domain);
    assert_string_equal(r3->path, r->path);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static void test_random_bytes(void **state)
{
    char buf[400];
    for (int i = 0; i < 10000; i++) {
        size_t n = rnd() % (sizeof(buf) - 1);
        for (size_t k = 0; k < n; k++)
            buf[k] = (char)(1 + rnd() % 255);
        buf[n] = '\0';
        struct berr *err = NULL;
        struct ref *r = ref_parse(buf, &err);
        if (r) {
            assert_null(err);
            check_accepted(buf, r);
            ref_free(r);
        } else {
            assert_non_null(err);
            assert_null(strchr(err->msg, '\n'));
            berr_free(err);
        }
    }
}

/* The oracle: Docker's ParseNormalizedNamed written out the way Docker writes it, with
 * distribution/reference's regular expressions translated to POSIX ERE. Its only departures
 * from Docker are ours on purpose: the domain is required to be one (no "a_b.com/x" read as a
 * path) and the digest is sha256 only. */
#define O_COMP "[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*"
#define O_LABEL "([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
#define O_DOMAIN "(" O_LABEL "(\\." O_LABEL ")*|\\[[a-fA-F0-9:]+\\])(:[0-9]+)?"
#define O_TAG "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
#define O_REF "^" O_DOMAIN "/" O_COMP "(/" O_COMP ")*(:" O_TAG ")?(@sha256:[a-f0-9]{64})?$"

static regex_t oracle_re;

/* Returns the normalised string Docker would print, or NULL if Docker would refuse s. */
static char *oracle(const char *s)
{
    if (!*s)
        return NULL;
    regex_t hex;
    assert_int_equal(regcomp(&hex, "^[a-f0-9]{64}$", REG_EXTENDED | REG_NOSUB), 0);
    bool is_id = regexec(&hex, s, 0, NULL, 0) == 0;
    regfree(&hex);
    if (is_id)
        return NULL;

    /* splitDockerDomain */
    _cleanup_free_ char *domain = NULL, *rest = NULL;
    const char *slash = strchr(s, '/');
    if (slash) {
        _cleanup_free_ char *first = strndup(s, slash - s), *lower = strdup(first);
        for (char *p = lower; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p += 'a' - 'A';
        if (strcmp(first, "localhost") == 0 || strpbrk(first, ".:") || strcmp(first, lower) != 0) {
            domain = TAKE_PTR(first);
            rest = strdup(slash + 1);
        }
    }
    if (!domain) {
        domain = strdup("docker.io");
        rest = strdup(s);
    }
    if (strcmp(domain, "index.docker.io") == 0) {
        free(domain);
        domain = strdup("docker.io");
    }
    if (strcmp(domain, "docker.io") == 0 && !strchr(rest, '/')) {
        char *r = concat("library/", rest);
        free(rest);
        rest = r;
    }
    char *norm = NULL;
    assert_true(asprintf(&norm, "%s/%s", domain, rest) >= 0);
    if (regexec(&oracle_re, norm, 0, NULL, 0) != 0)
        return free(norm), NULL;
    /* the name is what precedes the tag and digest: path components have no ':' */
    size_t name_len = strcspn(rest, ":@");
    if (strlen(domain) + 1 + name_len > 255)
        return free(norm), NULL;
    if (!strpbrk(rest, ":@")) {
        char *t = concat(norm, ":latest");
        free(norm);
        norm = t;
    }
    return norm;
}

static const char *const pieces[] = {
    "a",         "b",
    "z",         "0",
    "9",         "A",
    "Z",         ".",
    "_",         "__",
    "-",         "--",
    "/",         "/",
    ":",         ":",
    "@",         "[",
    "]",         "::1",
    ":5000",     "latest",
    "localhost", "library",
    "docker.io", "index.docker.io",
    "sha256:",   HEX64,
    "@" DGST,    "f",
    " ",         "\x7f",
    "\xc3\xa9",
};

static void test_random_vs_oracle(void **state)
{
    assert_int_equal(regcomp(&oracle_re, O_REF, REG_EXTENDED | REG_NOSUB), 0);
    char buf[1024];
    size_t accepted = 0;
    for (int i = 0; i < 50000; i++) {
        size_t n = 0, count = 1 + rnd() % 12;
        buf[0] = '\0';
        for (size_t k = 0; k < count; k++) {
            const char *p = pieces[rnd() % ARRAY_SIZE(pieces)];
            size_t len = strlen(p);
            if (n + len >= sizeof(buf))
                break;
            memcpy(buf + n, p, len + 1);
            n += len;
        }
        _cleanup_free_ char *want = oracle(buf);
        struct berr *err = NULL;
        _cleanup_(ref_freep) struct ref *r = ref_parse(buf, &err);
        if (!want && r)
            fail_msg("\"%s\": accepted, Docker refuses", buf);
        if (want && !r)
            fail_msg("\"%s\": refused (%s), Docker gives \"%s\"", buf, err->msg, want);
        if (r) {
            _cleanup_free_ char *got = ref_string(r);
            assert_string_equal(got, want);
            check_accepted(buf, r);
            accepted++;
        }
        berr_free(err);
    }
    regfree(&oracle_re);
    /* the generator must reach the accepting side often enough to mean something */
    assert_true(accepted > 2000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ok),         cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_parse_bad),        cmocka_unit_test(test_tag_length),
        cmocka_unit_test(test_name_length),      cmocka_unit_test(test_is_digest),
        cmocka_unit_test(test_looks_like_id),    cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_random_vs_oracle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
