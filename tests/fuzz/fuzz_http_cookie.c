/* Fuzz target: the Cookie iterator and find, the Set-Cookie parser, the
 * signed-id verifier, and the Set-Cookie builder round trip.  The first
 * input byte selects nothing: every parser sees every input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/http_cookie.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool inside(const char *p, size_t n, const char *buf, size_t len)
{
    return p >= buf && n <= len && (size_t)(p - buf) <= len - n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size ? size : 1);
    if (!in)
        return 0;
    if (size)
        memcpy(in, data, size);

    struct http_cookie_iter it;
    struct http_cookie_pair p;
    unsigned n = 0;
    http_cookie_iter_init(&it, in, size);
    while (http_cookie_next(&it, &p)) {
        if (!inside(p.name, p.name_len, in, size) || !inside(p.value, p.value_len, in, size) ||
            p.name_len == 0 || ++n > HTTP_COOKIE_MAX_PAIRS)
            abort();
        const char *v;
        size_t vl;
        if (http_cookie_find(in, size, p.name, p.name_len, &v, &vl) != 0)
            abort();
        /* Every pair yielded is one the builder accepts back unless its
         * value holds bytes outside cookie-octet; when it does build, the
         * parser reads the same name and value. */
        char out[512];
        size_t ol;
        if (p.name_len < 200 && p.value_len < 200 &&
            http_cookie_set_format(p.name, p.name_len, p.value, p.value_len, NULL, out, sizeof(out),
                                   &ol) == 0) {
            struct http_set_cookie sc;
            if (http_cookie_set_parse(out, ol, &sc) != 0 || sc.name_len != p.name_len ||
                memcmp(sc.name, p.name, p.name_len) != 0 || sc.value_len != p.value_len ||
                memcmp(sc.value, p.value, p.value_len) != 0)
                abort();
        }
    }

    struct http_set_cookie sc;
    if (http_cookie_set_parse(in, size, &sc) == 0) {
        if (!inside(sc.name, sc.name_len, in, size) || !inside(sc.value, sc.value_len, in, size))
            abort();
        if (sc.path && (!inside(sc.path, sc.path_len, in, size) || sc.path[0] != '/'))
            abort();
        if (sc.domain && !inside(sc.domain, sc.domain_len, in, size))
            abort();
        if (sc.expires && !inside(sc.expires, sc.expires_len, in, size))
            abort();
        if (sc.has_max_age && sc.max_age < 0)
            abort();
    }

    struct http_cookie_key key;
    memset(&key, 0x42, sizeof(key));
    uint8_t id[HTTP_COOKIE_ID_LEN];
    if (http_cookie_id_verify(&key, in, size, id) == 0) {
        /* Only a value this key signed verifies: re-signing gives it back. */
        char again[HTTP_COOKIE_SIGNED_LEN + 1];
        if (http_cookie_id_sign(&key, id, again, sizeof(again)) != 0 ||
            size != HTTP_COOKIE_SIGNED_LEN || memcmp(again, in, size) != 0)
            abort();
    }
    (void)http_cookie_key_from_hex(in, size, &key);
    free(in);
    return 0;
}
