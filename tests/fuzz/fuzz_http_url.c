/* Fuzz target: URL parsing and Location resolution. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/http_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 6000)
        return 0;
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    struct http_url u, base, out;
    if (http_url_parse(s, &u) == 0) {
        char h[HTTP_URL_HOST_MAX + 16];
        http_url_host_header(&u, h, sizeof(h));
        if (u.target[0] != '/')
            abort();
    }
    if (http_url_parse("http://base.lab:8080/d/p?q", &base) == 0 &&
        http_url_resolve(&base, (const char *)data, strnlen(s, size), &out) == 0 &&
        out.target[0] != '/')
        abort();
    free(s);
    return 0;
}
