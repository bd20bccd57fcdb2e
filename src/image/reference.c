/* reference.c - Docker image references: the distribution/reference grammar and normalisation
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [ domain "/" ] component ( "/" component )*      (at most 255 chars in all)
 *   domain     := ( domain-name | "[" [a-fA-F0-9:]+ "]" ) [ ":" [0-9]+ ]
 *   domain-name:= label ( "." label )*,  label := [a-zA-Z0-9] ( [a-zA-Z0-9-]* [a-zA-Z0-9] )?
 *   component  := [a-z0-9]+ ( separator [a-z0-9]+ )*,  separator := "." | "_" | "__" | "-"+
 *   tag        := [\w][\w.-]{0,127}
 *   digest     := "sha256:" [a-f0-9]{64}      (go-digest also knows sha384/sha512; we do not)
 *
 * Whether the first component is a domain is decided as Docker's splitDockerDomain does, before
 * the grammar is checked: it is if it is "localhost", contains "." or ":", or has an uppercase
 * letter (Docker Hub namespaces are lowercase). Where Docker would then quietly read an invalid
 * domain such as "a_b.com" as a path component with an empty domain, we refuse it.
 */

#include "image/reference.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/cleanup.h"
#include "base/quote.h"

#define DEFAULT_DOMAIN "docker.io"
#define LEGACY_DEFAULT_DOMAIN "index.docker.io"
#define OFFICIAL_PREFIX "library/"
#define NAME_TOTAL_MAX 255
#define TAG_MAX 128
#define QUOTE_MAX 200

/* Locale-independent classes: the grammar is ASCII whatever LC_CTYPE says. */
static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
static bool is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}
static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}
static bool is_alnum(char c)
{
    return is_lower_alnum(c) || is_upper(c);
}
static bool is_word(char c)
{
    return is_alnum(c) || c == '_';
}
static bool is_lower_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f');
}
static bool is_hex(char c)
{
    return is_lower_hex(c) || (c >= 'A' && c <= 'F');
}

static void *invalid(struct berr **err, const char *s, const char *why)
{
    char q[QUOTE_MAX + 16];
    quote_str(q, sizeof(q), s);
    berr_set(err, BERR_INVALID, EINVAL, "invalid reference format %s%s%s", q, why ? ": " : "",
             why ? why : "");
    return NULL;
}

static void *oom(struct berr **err)
{
    berr_set(err, BERR_INTERNAL, ENOMEM, "out of memory");
    return NULL;
}

/* [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )* over s[0..len) */
static bool valid_component(const char *s, size_t len)
{
    size_t i = 0;
    for (;;) {
        size_t start = i;
        while (i < len && is_lower_alnum(s[i]))
            i++;
        if (i == start)
            return false;
        if (i == len)
            return true;
        start = i;
        while (i < len && !is_lower_alnum(s[i]))
            i++;
        size_t n = i - start;
        const char *sep = s + start;
        bool ok =
            (n == 1 && (*sep == '.' || *sep == '_')) || (n == 2 && sep[0] == '_' && sep[1] == '_');
        if (!ok) {
            ok = true;
            for (size_t k = 0; k < n; k++)
                ok = ok && sep[k] == '-';
        }
        if (!ok)
            return false;
    }
}

static bool valid_path(const char *s)
{
    for (;;) {
        const char *slash = strchr(s, '/');
        size_t len = slash ? (size_t)(slash - s) : strlen(s);
        if (!valid_component(s, len))
            return false;
        if (!slash)
            return true;
        s = slash + 1;
    }
}

/* label ( "." label )*; returns the length matched, 0 if none */
static size_t match_domain_name(const char *s)
{
    size_t i = 0;
    for (;;) {
        size_t start = i;
        while (is_alnum(s[i]) || s[i] == '-')
            i++;
        if (i == start || s[start] == '-' || s[i - 1] == '-')
            return 0;
        if (s[i] != '.')
            return i;
        i++;
    }
}

/* ( domain-name | "[" [a-fA-F0-9:]+ "]" ) [ ":" [0-9]+ ] over the whole of s */
static bool valid_domain(const char *s)
{
    size_t i;
    if (s[0] == '[') {
        i = 1;
        while (is_hex(s[i]) || s[i] == ':')
            i++;
        if (i == 1 || s[i] != ']')
            return false;
        i++;
    } else {
        i = match_domain_name(s);
        if (i == 0)
            return false;
    }
    if (s[i] == '\0')
        return true;
    if (s[i] != ':' || !is_digit(s[i + 1]))
        return false;
    for (i++; is_digit(s[i]); i++)
        ;
    return s[i] == '\0';
}

/* [\w][\w.-]{0,127} */
static bool valid_tag(const char *s)
{
    if (!is_word(s[0]))
        return false;
    size_t i;
    for (i = 1; s[i]; i++)
        if (!is_word(s[i]) && s[i] != '.' && s[i] != '-')
            return false;
    return i <= TAG_MAX;
}

static bool is_lower_hex_n(const char *s, size_t min, size_t max)
{
    size_t i;
    for (i = 0; s[i]; i++)
        if (i >= max || !is_lower_hex(s[i]))
            return false;
    return i >= min;
}

bool ref_is_digest(const char *s)
{
    return s && strncmp(s, "sha256:", 7) == 0 && is_lower_hex_n(s + 7, 64, 64);
}

bool ref_looks_like_id(const char *s)
{
    if (!s)
        return false;
    if (strncmp(s, "sha256:", 7) == 0)
        s += 7;
    return is_lower_hex_n(s, 1, 64);
}

void ref_free(struct ref *r)
{
    if (!r)
        return;
    free(r->domain);
    free(r->path);
    free(r->tag);
    free(r->digest);
    free(r);
}

/* Docker's splitDockerDomain: the domain, and the rest with "library/" added for
 * one-component Docker Hub names. */
static int split_domain(const char *s, char **ret_domain, char **ret_rest)
{
    _cleanup_free_ char *domain = NULL, *rest = NULL;
    const char *slash = strchr(s, '/');
    bool has_domain = false;
    if (slash) {
        size_t n = (size_t)(slash - s);
        bool upper = false;
        for (size_t i = 0; i < n; i++)
            upper = upper || is_upper(s[i]);
        has_domain = (n == 9 && memcmp(s, "localhost", 9) == 0) || memchr(s, '.', n) ||
                     memchr(s, ':', n) || upper;
        if (has_domain) {
            domain = strndup(s, n);
            if (!domain)
                return -ENOMEM;
            s = slash + 1;
        }
    }
    if (!domain || strcmp(domain, LEGACY_DEFAULT_DOMAIN) == 0) {
        free(domain);
        domain = strdup(DEFAULT_DOMAIN);
        if (!domain)
            return -ENOMEM;
    }
    if (strcmp(domain, DEFAULT_DOMAIN) == 0 && !strchr(s, '/')) {
        if (asprintf(&rest, "%s%s", OFFICIAL_PREFIX, s) < 0)
            rest = NULL;
    } else {
        rest = strdup(s);
    }
    if (!rest)
        return -ENOMEM;
    *ret_domain = TAKE_PTR(domain);
    *ret_rest = TAKE_PTR(rest);
    return 0;
}

struct ref *ref_parse(const char *s, struct berr **err)
{
    if (!s || !*s)
        return invalid(err, s ? s : "", "empty");
    /* a full image ID is never a name, so "docker run <id>" cannot mean a Hub repository */
    if (is_lower_hex_n(s, 64, 64))
        return invalid(err, s, "cannot use a 64-character hex string as a repository name");

    _cleanup_(ref_freep) struct ref *r = calloc(1, sizeof(*r));
    _cleanup_free_ char *rest = NULL;
    if (!r || split_domain(s, &r->domain, &rest) < 0)
        return oom(err);

    /* None of the path, the tag or the digest's algorithm can hold "@", so the first "@"
     * starts the digest; the path cannot hold ":", so the first ":" before it starts the tag. */
    char *at = strchr(rest, '@');
    if (at)
        *at = '\0';
    char *colon = strchr(rest, ':');
    if (colon)
        *colon = '\0';

    for (const char *p = rest; *p; p++)
        if (is_upper(*p))
            return invalid(err, s, "repository name must be lowercase");
    if (!valid_path(rest) || !valid_domain(r->domain))
        return invalid(err, s, NULL);
    if (colon && !valid_tag(colon + 1))
        return invalid(err, s,
                       strlen(colon + 1) > TAG_MAX ? "tag is longer than 128 characters" : NULL);
    if (at && !ref_is_digest(at + 1))
        return invalid(err, s, "invalid digest");
    if (strlen(r->domain) + 1 + strlen(rest) > NAME_TOTAL_MAX)
        return invalid(err, s, "repository name must not be more than 255 characters");

    /* Docker's TagNameOnly: "latest" only when there is neither a tag nor a digest */
    const char *tag = colon ? colon + 1 : at ? NULL : "latest";
    r->path = strdup(rest);
    r->tag = tag ? strdup(tag) : NULL;
    r->digest = at ? strdup(at + 1) : NULL;
    if (!r->path || (tag && !r->tag) || (at && !r->digest))
        return oom(err);
    return TAKE_PTR(r);
}

char *ref_name(const struct ref *r)
{
    char *s = NULL;
    if (asprintf(&s, "%s/%s", r->domain, r->path) < 0)
        return NULL;
    return s;
}

char *ref_string(const struct ref *r)
{
    char *s = NULL;
    if (asprintf(&s, "%s/%s%s%s%s%s", r->domain, r->path, r->tag ? ":" : "", r->tag ? r->tag : "",
                 r->digest ? "@" : "", r->digest ? r->digest : "") < 0)
        return NULL;
    return s;
}

char *ref_familiar(const struct ref *r)
{
    if (strcmp(r->domain, DEFAULT_DOMAIN) != 0)
        return ref_name(r);
    char *s = strdup(r->path);
    if (!s)
        return NULL;
    size_t pl = strlen(OFFICIAL_PREFIX);
    /* only "library/x" shortens: a nested "library/a/b" would not parse back the same */
    if (strncmp(s, OFFICIAL_PREFIX, pl) == 0 && !strchr(s + pl, '/'))
        memmove(s, s + pl, strlen(s + pl) + 1);
    return s;
}

char *ref_familiar_tagged(const char *name)
{
    _cleanup_berr_ struct berr *e = NULL;
    struct ref *r = ref_parse(name, &e);
    if (!r)
        return NULL;
    _cleanup_free_ char *fam = ref_familiar(r);
    char *s = fam ? xasprintf("%s:%s", fam, r->tag ? r->tag : "latest") : NULL;
    ref_free(r);
    return s;
}
