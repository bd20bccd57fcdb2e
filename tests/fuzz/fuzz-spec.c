/* fuzz-spec.c - libFuzzer target: config.json parsing never crashes, leaks or accepts a
 * document its own checks refuse.
 * Build: clang -std=gnu11 -D_GNU_SOURCE -iquote src -fsanitize=fuzzer,address,undefined \
 *          src/base/error.c src/oci/runtime-spec.c tests/fuzz/fuzz-spec.c \
 *          $(pkg-config --cflags --libs jansson libcap) -o fuzz-spec */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "oci/runtime-spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j = json_loadb((const char *)data, size, 0, NULL);
    if (!j)
        return 0;
    struct berr *err = NULL;
    struct spec *s = spec_from_json(j, &err);
    if (s) {
        /* what parsed must be internally consistent */
        if (!s->oci_version || !s->root.path)
            abort();
        for (size_t i = 0; i < s->n_mounts; i++)
            if (!s->mounts[i].destination || s->mounts[i].destination[0] != '/')
                abort();
        if (s->process && (!s->process->args || !s->process->args[0] || s->process->cwd[0] != '/'))
            abort();
        spec_free(s);
    } else if (!err || !err->msg) {
        abort(); /* a refusal always says why */
    }
    berr_free(err);
    json_decref(j);
    return 0;
}
