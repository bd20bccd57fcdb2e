/* fuzz-reference.c - libFuzzer target for image reference parsing: whatever the input, no crash
 * and no leak, and an accepted reference prints to a string that parses back to itself */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "base/cleanup.h"
#include "image/reference.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    _cleanup_free_ char *s = strndup((const char *)data, size);
    if (!s)
        return 0;
    _cleanup_berr_ struct berr *err = NULL;
    _cleanup_(ref_freep) struct ref *r = ref_parse(s, &err);
    if (!r)
        return 0;
    _cleanup_free_ char *full = ref_string(r);
    _cleanup_free_ char *name = ref_name(r);
    _cleanup_free_ char *familiar = ref_familiar(r);
    _cleanup_(ref_freep) struct ref *again = full ? ref_parse(full, NULL) : NULL;
    _cleanup_free_ char *full2 = again ? ref_string(again) : NULL;
    if (full && (!full2 || strcmp(full, full2) != 0))
        abort();
    /* the name is the string's prefix, and the familiar name a suffix of the name */
    if (full && name && strncmp(full, name, strlen(name)) != 0)
        abort();
    if (name && familiar &&
        (strlen(familiar) > strlen(name) ||
         strcmp(name + strlen(name) - strlen(familiar), familiar) != 0))
        abort();
    (void)ref_is_digest(s);
    (void)ref_looks_like_id(s);
    return 0;
}
