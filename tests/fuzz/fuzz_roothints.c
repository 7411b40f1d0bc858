/* Fuzz target: the named.root parser of labnet-dnsd. */
#include <stdint.h>
#include <stdlib.h>

#include "common/roothints.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exact-size copy so ASan sees any read past the end. */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    if (size)
        memcpy(text, data, size);
    struct roothints *h = malloc(sizeof(*h));
    if (h) {
        char err[128];
        if (roothints_parse(h, text, size, err, sizeof(err)) == 0 && h->nns == 0)
            abort(); /* success means at least one usable server */
        free(h);
    }
    free(text);
    return 0;
}
