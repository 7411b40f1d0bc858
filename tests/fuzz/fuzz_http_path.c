/* Fuzz target: http_path_normalize under every option combination, with
 * the invariants the server relies on checked on every success, and the
 * encode/normalise round trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/http_path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_output(const char *out, size_t len, bool keep_slash)
{
    if (len == 0 || strlen(out) != len)
        abort();
    if (out[0] == '/' || out[len - 1] == '/')
        abort();
    if (len == 1 && out[0] == '.')
        return;
    /* Every segment is non-empty and neither "." nor "..". */
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && out[i] != '/') {
            unsigned char c = (unsigned char)out[i];
            if (c < 0x20 || c == 0x7f)
                abort();
            continue;
        }
        size_t n = i - start;
        if (n == 0 || (n == 1 && out[start] == '.') ||
            (n == 2 && out[start] == '.' && out[start + 1] == '.'))
            abort();
        start = i + 1;
    }
    (void)keep_slash;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size ? size : 1);
    if (!in)
        return 0;
    if (size)
        memcpy(in, data, size);
    for (int mode = 0; mode < 4; mode++) {
        struct http_path_opts o = {.keep_encoded_slash = mode & 1, .allow_backslash = mode & 2};
        char out[512];
        struct http_path r;
        int rc = http_path_normalize(in, size, &o, out, sizeof(out), &r);
        if (rc != 0)
            continue;
        check_output(out, r.len, o.keep_encoded_slash);
        if (!o.allow_backslash && memchr(out, '\\', r.len))
            abort();
        if (r.query && (r.query < in || r.query + r.query_len != in + size))
            abort();
        /* Encoding the result and normalising it again gives it back. */
        char enc[3 * 512 + 2];
        enc[0] = '/';
        if (http_path_encode(out, r.len, enc + 1, sizeof(enc) - 1, NULL) != 0)
            abort();
        char again[512];
        struct http_path r2;
        if (strcmp(out, ".") != 0) {
            if (http_path_normalize(enc, strlen(enc), &o, again, sizeof(again), &r2) != 0)
                abort();
            if (strcmp(again, out) != 0 ||
                (r2.flags & HTTP_PATH_DOTFILE) != (r.flags & HTTP_PATH_DOTFILE))
                abort();
        }
        char html[6 * 512 + 1];
        if (http_path_html_escape(out, r.len, html, sizeof(html), NULL) != 0)
            abort();
        if (strpbrk(html, "<>\"'"))
            abort();
    }
    free(in);
    return 0;
}
