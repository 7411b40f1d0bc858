/*
 * Fuzz target: the conditional-request and negotiation header values
 * (http_date, http_etag, http_range, http_accept).  The first byte picks
 * the parser (and a parameter); the rest is the header value, in an
 * exact-size buffer.  Beyond "no crash", each branch checks the documented
 * invariants and aborts when one fails.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/http_accept.h"
#include "common/http_date.h"
#include "common/http_etag.h"
#include "common/http_range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW ((time_t)1767225600) /* 2026-01-01 */

static void check(int cond)
{
    if (!cond)
        abort();
}

static void fuzz_date(const char *s, size_t n)
{
    time_t t;
    if (http_date_parse(s, n, NOW, &t) == 0) {
        /* Round trip: the formatted date parses back to the same time. */
        char buf[HTTP_DATE_BUFSZ];
        check(http_date_format(t, buf, sizeof(buf)) == 0);
        check(strlen(buf) == HTTP_DATE_LEN);
        time_t back;
        check(http_date_parse(buf, HTTP_DATE_LEN, NOW, &back) == 0 && back == t);
    }
    (void)http_date_parse(s, n, (time_t)INT64_MAX, &t);
    (void)http_date_parse(s, n, (time_t)INT64_MIN, &t);
}

static void fuzz_etag(const char *s, size_t n)
{
    static const char cur_text[] = "\"1-2-3\"";
    struct http_etag cur;
    check(http_etag_parse(cur_text, sizeof(cur_text) - 1, &cur) == 0);
    struct http_etag tags[HTTP_ETAG_LIST_MAX];
    size_t count = 0;
    bool any = false;
    int lr = http_etag_list_parse(s, n, tags, HTTP_ETAG_LIST_MAX, &count, &any);
    int inm = http_etag_if_none_match(s, n, cur_text, sizeof(cur_text) - 1);
    int im = http_etag_if_match(s, n, cur_text, sizeof(cur_text) - 1);
    /* The list parser and the precondition walkers agree. */
    if (lr < 0) {
        check(inm == lr && im == lr);
        return;
    }
    check(count <= HTTP_ETAG_LIST_MAX);
    bool weak = any, strong = any;
    for (size_t i = 0; i < count; i++) {
        check(tags[i].opaque >= s && tags[i].len >= 2 &&
              (size_t)(tags[i].opaque - s) + tags[i].len <= n);
        check(tags[i].opaque[0] == '"' && tags[i].opaque[tags[i].len - 1] == '"');
        weak |= http_etag_eq_weak(&tags[i], &cur);
        strong |= http_etag_eq_strong(&tags[i], &cur);
    }
    check(inm == (weak ? 1 : 0));
    check(im == (strong ? 1 : 0));
    /* A single entity-tag, if the value is one. */
    struct http_etag one;
    if (http_etag_parse(s, n, &one) == 0)
        check(count == 1 && !any);
}

static void fuzz_range(const char *s, size_t n, unsigned sel)
{
    static const uint64_t lengths[] = {0, 1, 100, 10000, UINT64_MAX};
    uint64_t length = lengths[sel % 5];
    size_t cap = 1 + sel / 5 % HTTP_RANGE_MAX;
    struct http_range out[HTTP_RANGE_MAX];
    size_t count = 0;
    int r = http_range_parse(s, n, length, out, cap, &count);
    check(r == 0 || r == -EBADMSG || r == -ENOTSUP || r == -ERANGE || r == -E2BIG);
    if (r == 0) {
        check(count >= 1 && count <= cap);
        for (size_t i = 0; i < count; i++) {
            check(out[i].first <= out[i].last && out[i].last < length);
            if (i > 0)
                check(out[i].first - out[i - 1].last > HTTP_RANGE_COALESCE_GAP &&
                      out[i].first > out[i - 1].last);
            char cr[HTTP_RANGE_CONTENT_RANGE_BUFSZ];
            check(http_range_format(cr, sizeof(cr), &out[i], length) == 0);
        }
    }
    time_t lm = NOW - 100;
    (void)http_range_if_range(s, n, "\"1-2-3\"", 7, &lm, NOW);
    (void)http_range_if_range(s, n, NULL, 0, NULL, NOW);
}

static void fuzz_accept(const char *s, size_t n, unsigned sel)
{
    enum http_coding c = HTTP_CODING_NONE;
    int r = http_accept_encoding_choose(s, n, sel & 3u, &c);
    check(r == 0 || r == -EBADMSG || r == -E2BIG);
    check(c == HTTP_CODING_NONE || c == HTTP_CODING_IDENTITY || c == HTTP_CODING_GZIP ||
          c == HTTP_CODING_BR);
    if (r != 0)
        check(c == HTTP_CODING_IDENTITY);
    if (c == HTTP_CODING_BR)
        check((sel & HTTP_CODING_HAVE_BR) != 0);
    if (c == HTTP_CODING_GZIP)
        check((sel & HTTP_CODING_HAVE_GZIP) != 0);
    static const char *const tags[] = {"en", "en-US", "fr", "de-CH", "zh-Hant-TW", "x"};
    size_t idx = 99;
    r = http_accept_language_choose(s, n, tags, 6, &idx);
    check(r == 0 || r == -EBADMSG || r == -E2BIG || r == -ENOENT);
    check(r == 0 ? idx < 6 : idx == 99);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned sel = data[0];
    size_t n = size - 1;
    /* An exact-size copy: the parsers get a pointer and a length, never a
     * NUL, and any over-read hits the allocation's end. */
    char *s = malloc(n ? n : 1);
    if (!s)
        return 0;
    memcpy(s, data + 1, n);
    switch (sel % 4) {
    case 0:
        fuzz_date(s, n);
        break;
    case 1:
        fuzz_etag(s, n);
        break;
    case 2:
        fuzz_range(s, n, sel / 4);
        break;
    default:
        fuzz_accept(s, n, sel / 4);
        break;
    }
    free(s);
    return 0;
}
