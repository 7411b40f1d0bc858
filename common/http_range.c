#include "common/http_range.h"
#include "common/http_chars.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/http_date.h"
#include "common/http_etag.h"

/* A decimal number from the header: its value saturated at UINT64_MAX and
 * its digits, for an exact comparison when two numbers both saturate. */
struct num {
    uint64_t v;
    bool sat;
    const char *d;
    size_t len;
};

/* Reads 1*DIGIT at s[*p..n); returns false when there is no digit. */
static bool scan_num(const char *s, size_t n, size_t *p, struct num *x)
{
    size_t i = *p;
    x->v = 0;
    x->sat = false;
    x->d = s + i;
    while (i < n && http_is_digit(s[i])) {
        unsigned dgt = (unsigned)(s[i] - '0');
        if (!x->sat && x->v > (UINT64_MAX - dgt) / 10)
            x->sat = true;
        x->v = x->sat ? UINT64_MAX : x->v * 10 + dgt;
        i++;
    }
    x->len = i - *p;
    *p = i;
    return x->len > 0;
}

/* a > b, exactly, for any number of digits. */
static bool num_gt(const struct num *a, const struct num *b)
{
    if (!a->sat || !b->sat)
        return a->v > b->v || (a->sat && !b->sat);
    const char *ad = a->d, *bd = b->d;
    size_t al = a->len, bl = b->len;
    while (al > 1 && ad[0] == '0') {
        ad++;
        al--;
    }
    while (bl > 1 && bd[0] == '0') {
        bd++;
        bl--;
    }
    if (al != bl)
        return al > bl;
    return memcmp(ad, bd, al) > 0;
}

static bool unit_is_bytes(const char *s, size_t n)
{
    static const char bytes[] = "bytes";
    if (n != sizeof(bytes) - 1)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != bytes[i])
            return false;
    }
    return true;
}

int http_range_parse(const char *s, size_t n, uint64_t length, struct http_range *out, size_t cap,
                     size_t *count)
{
    if (cap == 0)
        return -EINVAL;
    http_trim_ows(&s, &n);

    /* ranges-specifier = range-unit "=" range-set; no OWS around "=". */
    size_t p = 0;
    while (p < n && http_is_tchar(s[p]))
        p++;
    if (p == 0 || p >= n || s[p] != '=')
        return -EBADMSG;
    /* RFC 9110 14.2: an origin ignores a Range with a unit it does not know
     * (range units are case-insensitive, 14.1). */
    if (!unit_is_bytes(s, p))
        return -ENOTSUP;
    p++;

    size_t specs = 0, nsat = 0;
    bool empty_suffix = false;
    for (;;) {
        /* RFC 9110 5.6.1: empty list elements and OWS around commas. */
        while (p < n && (http_is_ows(s[p]) || s[p] == ','))
            p++;
        if (p == n)
            break;
        /* The cap bounds the work before the spec is even read. */
        if (++specs > cap)
            return -E2BIG;
        struct num a = {0}, b = {0};
        bool have_first = false, have_last = false;
        if (s[p] == '-') {
            p++;
            if (!scan_num(s, n, &p, &b))
                return -EBADMSG;
        } else {
            if (!scan_num(s, n, &p, &a))
                return -EBADMSG;
            have_first = true;
            if (p >= n || s[p] != '-')
                return -EBADMSG;
            p++;
            have_last = p < n && http_is_digit(s[p]);
            if (have_last)
                scan_num(s, n, &p, &b);
        }
        while (p < n && http_is_ows(s[p]))
            p++;
        if (p < n && s[p] != ',')
            return -EBADMSG;

        struct http_range r;
        if (have_first) {
            /* RFC 9110 14.1.1: last-pos below first-pos is invalid. */
            if (have_last && num_gt(&a, &b))
                return -EBADMSG;
            /* Satisfiable only when first-pos < length; a saturated first
             * is UINT64_MAX, never below length. */
            if (a.v >= length)
                continue;
            r.first = a.v;
            r.last = have_last && b.v < length - 1 ? b.v : length - 1;
        } else {
            /* suffix-range: the last b bytes; all of them if b >= length. */
            if (b.v == 0)
                continue;
            if (length == 0) {
                empty_suffix = true;
                continue;
            }
            r.first = b.v >= length ? 0 : length - b.v;
            r.last = length - 1;
        }
        out[nsat++] = r; /* nsat <= specs <= cap */
    }
    if (specs == 0)
        return -EBADMSG; /* range-set = 1#range-spec */
    if (nsat == 0)
        return empty_suffix ? -ENOTSUP : -ERANGE;

    /* Insertion sort by first byte: nsat <= cap, and usually 1. */
    for (size_t i = 1; i < nsat; i++) {
        struct http_range key = out[i];
        size_t j = i;
        while (j > 0 && out[j - 1].first > key.first) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = key;
    }
    /* Coalesce overlapping, adjacent and nearby ranges (RFC 9110 14.2).
     * Subtraction only after the order is known, so no overflow. */
    size_t k = 0;
    for (size_t i = 1; i < nsat; i++) {
        if (out[i].first <= out[k].last ||
            out[i].first - out[k].last <= (uint64_t)HTTP_RANGE_COALESCE_GAP) {
            if (out[i].last > out[k].last)
                out[k].last = out[i].last;
        } else {
            out[++k] = out[i];
        }
    }
    *count = k + 1;
    return 0;
}

int http_range_format(char *buf, size_t cap, const struct http_range *r, uint64_t length)
{
    if (cap > 0)
        buf[0] = '\0';
    if (r->first > r->last || r->last >= length)
        return -EINVAL;
    int k = snprintf(buf, cap, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, r->first, r->last, length);
    if (k < 0 || (size_t)k >= cap) {
        if (cap > 0)
            buf[0] = '\0';
        return -EMSGSIZE;
    }
    return 0;
}

int http_range_format_unsatisfied(char *buf, size_t cap, uint64_t length)
{
    int k = snprintf(buf, cap, "bytes */%" PRIu64, length);
    if (k < 0 || (size_t)k >= cap) {
        if (cap > 0)
            buf[0] = '\0';
        return -EMSGSIZE;
    }
    return 0;
}

bool http_range_if_range(const char *s, size_t n, const char *etag, size_t etag_len,
                         const time_t *last_modified, time_t now)
{
    http_trim_ows(&s, &n);
    if (n == 0)
        return false;
    /* RFC 9110 13.1.5: If-Range = entity-tag / HTTP-date; an entity-tag
     * starts with DQUOTE or W/, a date never does. */
    if (s[0] == '"' || (n >= 2 && s[0] == 'W' && s[1] == '/')) {
        struct http_etag given, cur;
        if (etag == NULL || http_etag_parse(s, n, &given) != 0 ||
            http_etag_parse(etag, etag_len, &cur) != 0)
            return false;
        return http_etag_eq_strong(&given, &cur);
    }
    if (last_modified == NULL)
        return false;
    time_t d;
    if (http_date_parse(s, n, now, &d) != 0)
        return false;
    /* Exact match, and Last-Modified strong (RFC 9110 8.8.2.2): its second
     * is over, so the file cannot change again within it unnoticed. */
    return d == *last_modified && now > *last_modified;
}
