/*
 * Fuzz target: http_parse.  The first byte picks the mode and a split
 * point, the rest is the message:
 *   mode 0  request head (bit 2: tiny limits)
 *   mode 1  response head (bit 2: the request was HEAD)
 *   mode 2  chunked body, mode 3 the same with tiny limits
 * Beyond "no crash", each mode checks invariants: results never exceed the
 * input, slices stay inside it, and feeding the input in two pieces (at
 * the split point, keeping the parser state) decides exactly as feeding
 * it at once.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NHDRS 64

static void check(int cond)
{
    if (!cond)
        abort();
}

static void slice_in(struct http_slice s, const char *buf, size_t len)
{
    check(s.len == 0 || (s.ptr >= buf && s.len <= len && (size_t)(s.ptr - buf) <= len - s.len));
}

/* Tiny limits, so the limit paths are reached by short inputs too. */
static const struct http_limits small = {
    .max_start_line = 24,
    .max_field_section = 80,
    .max_fields = 3,
    .max_chunk_line = 12,
    .max_trailer = 16,
    .reject_bare_lf = true,
};

static void fuzz_req(const char *buf, size_t len, size_t split, const struct http_limits *lim)
{
    struct http_hdr hdrs[NHDRS];
    struct http_req a, b;
    http_req_init(&a);
    int r = http_req_parse(buf, len, &a, hdrs, NHDRS, lim);
    check(r == -EAGAIN || (r < 0 && a.status >= 400) || (r > 0 && (size_t)r <= len));
    if (r > 0) {
        slice_in(a.method, buf, len);
        slice_in(a.target, buf, len);
        slice_in(a.host, buf, len);
        check(a.nhdrs <= NHDRS);
        for (size_t i = 0; i < a.nhdrs; i++) {
            slice_in(hdrs[i].name, buf, len);
            slice_in(hdrs[i].value, buf, len);
            (void)http_list_has_token(hdrs[i].value.ptr, hdrs[i].value.len, "close");
        }
        (void)http_hdr_find(hdrs, a.nhdrs, "host", NULL);
    }
    http_req_init(&b);
    int r1 = http_req_parse(buf, split, &b, hdrs, NHDRS, lim);
    if (r1 == -EAGAIN)
        r1 = http_req_parse(buf, len, &b, hdrs, NHDRS, lim);
    /* An earlier verdict on a prefix is final: the same on the whole. */
    check(r1 == r && b.status == a.status);
}

static void fuzz_resp(const char *buf, size_t len, size_t split, bool head)
{
    struct http_hdr hdrs[NHDRS];
    struct http_resp a, b;
    http_resp_init(&a);
    int r = http_resp_parse(buf, len, &a, hdrs, NHDRS, NULL, head);
    check(r < 0 || ((size_t)r <= len && a.status >= 100 && a.status <= 599));
    if (r > 0) {
        slice_in(a.reason, buf, len);
        for (size_t i = 0; i < a.nhdrs; i++)
            slice_in(hdrs[i].value, buf, len);
    }
    http_resp_init(&b);
    int r1 = http_resp_parse(buf, split, &b, hdrs, NHDRS, NULL, head);
    if (r1 == -EAGAIN)
        r1 = http_resp_parse(buf, len, &b, hdrs, NHDRS, NULL, head);
    check(r1 == r);
}

/* Decodes in[0..len) from one buffer; returns the result, *used and a
 * checksum of the data. */
static int chunked_all(const char *in, size_t len, const struct http_limits *lim,
                       size_t *used_total, uint64_t *sum, size_t *dlen)
{
    struct http_chunked c;
    http_chunked_init(&c, lim);
    size_t off = 0;
    int r;
    for (;;) {
        size_t used;
        struct http_slice d;
        r = http_chunked_decode(&c, in + off, len - off, &used, &d);
        check(used <= len - off);
        off += used;
        if (r != 1)
            break;
        check(d.len > 0);
        slice_in(d, in, len);
        for (size_t i = 0; i < d.len; i++)
            *sum = *sum * 31 + (unsigned char)d.ptr[i];
        *dlen += d.len;
    }
    *used_total = off;
    return r;
}

static void fuzz_chunked(const char *buf, size_t len, size_t split, const struct http_limits *lim)
{
    size_t used_a = 0, dlen_a = 0;
    uint64_t sum_a = 0;
    int ra = chunked_all(buf, len, lim, &used_a, &sum_a, &dlen_a);
    check(ra == 0 || ra == -EAGAIN || ra == -EBADMSG || ra == -E2BIG);
    if (ra == -EAGAIN)
        check(used_a == len);

    /* The same bytes in two separate buffers. */
    struct http_chunked c;
    http_chunked_init(&c, lim);
    size_t dlen = 0, total = 0;
    uint64_t sum = 0;
    int r = -EAGAIN;
    size_t bounds[2] = {split, len};
    size_t start = 0;
    for (int k = 0; k < 2 && r == -EAGAIN; k++) {
        size_t n = bounds[k] - start;
        char *piece = malloc(n ? n : 1);
        if (!piece)
            return;
        if (n)
            memcpy(piece, buf + start, n);
        size_t off = 0;
        for (;;) {
            size_t used;
            struct http_slice d;
            r = http_chunked_decode(&c, piece + off, n - off, &used, &d);
            off += used;
            if (r != 1)
                break;
            for (size_t i = 0; i < d.len; i++)
                sum = sum * 31 + (unsigned char)d.ptr[i];
            dlen += d.len;
        }
        free(piece);
        total += off;
        start = bounds[k];
    }
    check(r == ra);
    if (r == 0 || r == -EAGAIN)
        check(total == used_a && sum == sum_a && dlen == dlen_a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    size_t len = size - 1;
    /* An exact-size copy, so the sanitizers see any over-read. */
    char *buf = malloc(len ? len : 1);
    if (!buf)
        return 0;
    if (len)
        memcpy(buf, data + 1, len);
    size_t split = len ? (size_t)(sel >> 3) * len / 31 : 0;
    switch (sel & 3) {
    case 0:
        fuzz_req(buf, len, split, (sel & 4) ? &small : NULL);
        break;
    case 1:
        fuzz_resp(buf, len, split, (sel & 4) != 0);
        break;
    default:
        fuzz_chunked(buf, len, split, (sel & 1) ? &small : NULL);
        break;
    }
    free(buf);
    return 0;
}
