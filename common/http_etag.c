#include "common/http_etag.h"
#include "common/http_chars.h"

#include <errno.h>
#include <string.h>

static bool is_variant_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

/* Appends v in lowercase hex without leading zeros; p has room for 16. */
static size_t put_hex(char *p, uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    char tmp[16];
    size_t k = 0;
    do {
        tmp[k++] = digits[v & 0xf];
        v >>= 4;
    } while (v != 0);
    for (size_t i = 0; i < k; i++)
        p[i] = tmp[k - 1 - i];
    return k;
}

int http_etag_make(char *buf, size_t cap, uint64_t ino, uint64_t size, int64_t mtime_ns,
                   const char *variant, size_t variant_len)
{
    if (cap > 0)
        buf[0] = '\0';
    if (variant_len > HTTP_ETAG_VARIANT_MAX || (variant_len > 0 && variant == NULL))
        return -EINVAL;
    for (size_t i = 0; i < variant_len; i++) {
        if (!is_variant_char(variant[i]))
            return -EINVAL;
    }
    /* Built in a local buffer of the largest size, then copied, so the
     * room check is one comparison. */
    char tmp[HTTP_ETAG_BUFSZ];
    size_t k = 0;
    tmp[k++] = '"';
    k += put_hex(tmp + k, ino);
    tmp[k++] = '-';
    k += put_hex(tmp + k, size);
    tmp[k++] = '-';
    /* Two's complement keeps pre-1970 times distinct and the tag opaque. */
    k += put_hex(tmp + k, (uint64_t)mtime_ns);
    if (variant_len > 0) {
        tmp[k++] = ':';
        memcpy(tmp + k, variant, variant_len);
        k += variant_len;
    }
    tmp[k++] = '"';
    tmp[k++] = '\0';
    if (k > cap)
        return -EMSGSIZE;
    memcpy(buf, tmp, k);
    return 0;
}

/* Reads one entity-tag at s[*pos..n) and advances *pos past it. */
static int scan_tag(const char *s, size_t n, size_t *pos, struct http_etag *t)
{
    size_t p = *pos;
    bool weak = false;
    /* RFC 9110 8.8.3: weak = %s"W/", case-sensitive. */
    if (n - p >= 2 && s[p] == 'W' && s[p + 1] == '/') {
        weak = true;
        p += 2;
    }
    if (p >= n || s[p] != '"')
        return -EBADMSG;
    size_t start = p++;
    const char *q = memchr(s + p, '"', n - p);
    if (!q)
        return -EBADMSG;
    size_t end = (size_t)(q - s);
    /* RFC 9110 8.8.3: etagc = %x21 / %x23-7E / obs-text.  With '"' ruled
     * out by the search, that is any byte above SP but DEL: one flag over
     * the whole tag, not a branch per byte (every 304 reads a tag or two). */
    unsigned bad = 0;
    for (size_t k = p; k < end; k++) {
        unsigned char u = (unsigned char)s[k];
        bad |= (unsigned)(u <= 0x20) | (unsigned)(u == 0x7f);
    }
    if (bad)
        return -EBADMSG;
    p = end + 1;
    t->opaque = s + start;
    t->len = p - start;
    t->weak = weak;
    *pos = p;
    return 0;
}

int http_etag_parse(const char *s, size_t n, struct http_etag *out)
{
    http_trim_ows(&s, &n);
    size_t pos = 0;
    struct http_etag t;
    if (scan_tag(s, n, &pos, &t) != 0 || pos != n)
        return -EBADMSG;
    *out = t;
    return 0;
}

/* Walks a #entity-tag list (RFC 9110 5.6.1: recipients accept empty
 * elements and OWS around commas).  Returns 1 with the next tag, 0 at the
 * end, or -EBADMSG. */
struct list_iter {
    const char *s;
    size_t n;
    size_t pos;
};

static int list_next(struct list_iter *it, struct http_etag *t)
{
    while (it->pos < it->n && (http_is_ows(it->s[it->pos]) || it->s[it->pos] == ','))
        it->pos++;
    if (it->pos == it->n)
        return 0;
    if (scan_tag(it->s, it->n, &it->pos, t) != 0)
        return -EBADMSG;
    while (it->pos < it->n && http_is_ows(it->s[it->pos]))
        it->pos++;
    if (it->pos < it->n && it->s[it->pos] != ',')
        return -EBADMSG;
    return 1;
}

int http_etag_list_parse(const char *s, size_t n, struct http_etag *tags, size_t cap, size_t *count,
                         bool *any)
{
    http_trim_ows(&s, &n);
    *count = 0;
    *any = false;
    if (n == 1 && s[0] == '*') {
        *any = true;
        return 0;
    }
    struct list_iter it = {.s = s, .n = n, .pos = 0};
    struct http_etag t;
    int r;
    while ((r = list_next(&it, &t)) == 1) {
        if (*count >= cap)
            return -E2BIG;
        tags[(*count)++] = t;
    }
    return r;
}

bool http_etag_eq_strong(const struct http_etag *a, const struct http_etag *b)
{
    return !a->weak && !b->weak && a->len == b->len && memcmp(a->opaque, b->opaque, a->len) == 0;
}

bool http_etag_eq_weak(const struct http_etag *a, const struct http_etag *b)
{
    return a->len == b->len && memcmp(a->opaque, b->opaque, a->len) == 0;
}

/* Shared body of the two preconditions.  The whole value is validated (and
 * the member cap enforced) before a match counts. */
static int eval_list(const char *field, size_t n, const char *etag, size_t etag_len, bool strong)
{
    struct http_etag cur;
    if (http_etag_parse(etag, etag_len, &cur) != 0)
        return -EINVAL;
    http_trim_ows(&field, &n);
    /* RFC 9110 13.1.1, 13.1.2: "*" matches any current representation. */
    if (n == 1 && field[0] == '*')
        return 1;
    struct list_iter it = {.s = field, .n = n, .pos = 0};
    struct http_etag t;
    size_t members = 0;
    bool match = false;
    int r;
    while ((r = list_next(&it, &t)) == 1) {
        if (++members > HTTP_ETAG_LIST_MAX)
            return -E2BIG;
        if (strong ? http_etag_eq_strong(&t, &cur) : http_etag_eq_weak(&t, &cur))
            match = true;
    }
    if (r < 0)
        return r;
    return match ? 1 : 0;
}

int http_etag_if_none_match(const char *field, size_t n, const char *etag, size_t etag_len)
{
    return eval_list(field, n, etag, etag_len, false);
}

int http_etag_if_match(const char *field, size_t n, const char *etag, size_t etag_len)
{
    return eval_list(field, n, etag, etag_len, true);
}
