#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include "common/http_range.h"
#include "testutil.h"

/* Parses from an exact-size copy, so ASan sees any over-read. */
static int rparse(const char *v, uint64_t length, struct http_range *out, size_t cap, size_t *count)
{
    size_t n = strlen(v);
    char *buf = test_exact_copy(v, n);
    int r = http_range_parse(buf, n, length, out, cap, count);
    free(buf);
    return r;
}

struct want {
    const char *v;
    uint64_t length;
    int ret;
    size_t count;
    struct http_range r[4];
};

static void check_table(const struct want *w, size_t nw)
{
    for (size_t i = 0; i < nw; i++) {
        struct http_range out[HTTP_RANGE_MAX];
        size_t count = 0;
        int r = rparse(w[i].v, w[i].length, out, HTTP_RANGE_MAX, &count);
        ck_assert_msg(r == w[i].ret, "\"%s\" len %llu: got %d want %d", w[i].v,
                      (unsigned long long)w[i].length, r, w[i].ret);
        if (r != 0)
            continue;
        ck_assert_msg(count == w[i].count, "\"%s\": %zu ranges", w[i].v, count);
        for (size_t k = 0; k < count; k++) {
            ck_assert_msg(out[k].first == w[i].r[k].first && out[k].last == w[i].r[k].last,
                          "\"%s\" range %zu: %llu-%llu", w[i].v, k,
                          (unsigned long long)out[k].first, (unsigned long long)out[k].last);
        }
    }
}

START_TEST(test_http_range_parse_valid)
{
    static const struct want w[] = {
        /* RFC 9110 14.1.2's examples, on a 10000-byte representation. */
        {"bytes=0-499", 10000, 0, 1, {{0, 499}}},
        {"bytes=500-999", 10000, 0, 1, {{500, 999}}},
        {"bytes=-500", 10000, 0, 1, {{9500, 9999}}},
        {"bytes=9500-", 10000, 0, 1, {{9500, 9999}}},
        {"bytes=0-0,-1", 10000, 0, 2, {{0, 0}, {9999, 9999}}},
        {"bytes=500-600,601-999", 10000, 0, 1, {{500, 999}}},
        {"bytes=500-700,601-999", 10000, 0, 1, {{500, 999}}},
        /* Case-insensitive unit, OWS, empty elements. */
        {"BYTES=0-1", 10000, 0, 1, {{0, 1}}},
        {"Bytes=0-1", 10000, 0, 1, {{0, 1}}},
        {" bytes=0-1 ,, , 200-300\t", 10000, 0, 2, {{0, 1}, {200, 300}}},
        {"bytes=,0-1", 10000, 0, 1, {{0, 1}}},
        /* Clamping at the end, suffix longer than the body. */
        {"bytes=0-20000", 10000, 0, 1, {{0, 9999}}},
        {"bytes=-20000", 10000, 0, 1, {{0, 9999}}},
        {"bytes=9999-9999", 10000, 0, 1, {{9999, 9999}}},
        {"bytes=0-", 1, 0, 1, {{0, 0}}},
        {"bytes=-1", 1, 0, 1, {{0, 0}}},
        /* Leading zeros are just digits. */
        {"bytes=000000000000000000000000005-0000000000000000000000010", 100, 0, 1, {{5, 10}}},
        /* Unsatisfiable members are dropped when others are satisfiable. */
        {"bytes=10000-,0-9", 10000, 0, 1, {{0, 9}}},
        {"bytes=-0,0-9", 10000, 0, 1, {{0, 9}}},
        /* Ascending order, whatever the request order. */
        {"bytes=900-999,0-99", 10000, 0, 2, {{0, 99}, {900, 999}}},
        {"bytes=-100,0-99,5000-5099", 10000, 0, 3, {{0, 99}, {5000, 5099}, {9900, 9999}}},
        /* Coalescing: gaps of 80 bytes stay apart, 79 merge. */
        {"bytes=0-9,90-99", 10000, 0, 2, {{0, 9}, {90, 99}}},
        {"bytes=0-9,89-99", 10000, 0, 1, {{0, 99}}},
        {"bytes=0-9,10-19", 10000, 0, 1, {{0, 19}}},
        {"bytes=0-99,10-19", 10000, 0, 1, {{0, 99}}},
        {"bytes=0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-", 10000, 0, 1, {{0, 9999}}},
        {"bytes=0-0,2-2,4-4,6-6,8-8", 10000, 0, 1, {{0, 8}}},
    };
    check_table(w, sizeof(w) / sizeof(w[0]));
}
END_TEST

START_TEST(test_http_range_parse_results)
{
    static const struct want w[] = {
        /* 416: nothing satisfiable. */
        {"bytes=10000-", 10000, -ERANGE, 0, {{0}}},
        {"bytes=10000-10001", 10000, -ERANGE, 0, {{0}}},
        {"bytes=-0", 10000, -ERANGE, 0, {{0}}},
        {"bytes=0-0", 0, -ERANGE, 0, {{0}}},
        {"bytes=0-", 0, -ERANGE, 0, {{0}}},
        {"bytes=-0,5-", 5, -ERANGE, 0, {{0}}},
        /* An empty body: a suffix range selects all of it, i.e. 200. */
        {"bytes=-5", 0, -ENOTSUP, 0, {{0}}},
        {"bytes=0-,-5", 0, -ENOTSUP, 0, {{0}}},
        /* Other units: ignored. */
        {"items=0-1", 10000, -ENOTSUP, 0, {{0}}},
        {"byte=0-1", 10000, -ENOTSUP, 0, {{0}}},
        {"bytesx=0-1", 10000, -ENOTSUP, 0, {{0}}},
        {"none=", 10000, -ENOTSUP, 0, {{0}}},
        /* Malformed: ignored. */
        {"", 10000, -EBADMSG, 0, {{0}}},
        {"bytes", 10000, -EBADMSG, 0, {{0}}},
        {"bytes=", 10000, -EBADMSG, 0, {{0}}},
        {"bytes= ", 10000, -EBADMSG, 0, {{0}}},
        {"bytes=,, ,", 10000, -EBADMSG, 0, {{0}}},
        {"bytes=-", 10000, -EBADMSG, 0, {{0}}},
        {"bytes=5-4", 10000, -EBADMSG, 0, {{0}}},
        {"bytes=0-1,5-4", 10000, -EBADMSG, 0, {{0}}},
        {"bytes=a-b", 10000, -EBADMSG, 0, {{0}}},
        {"bytes=0--1", 10000, -EBADMSG, 0, {{0}}},
        {"bytes=0-1-2", 10000, -EBADMSG, 0, {{0}}},
        {"bytes=0 -1", 10000, -EBADMSG, 0, {{0}}},
        {"bytes=0- 1", 10000, -EBADMSG, 0, {{0}}},
        {"bytes =0-1", 10000, -EBADMSG, 0, {{0}}},
        {"=0-1", 10000, -EBADMSG, 0, {{0}}},
        {"bytes=+1-2", 10000, -EBADMSG, 0, {{0}}},
        {"bytes=0x10-", 10000, -EBADMSG, 0, {{0}}},
        {"bytes=1.5-2", 10000, -EBADMSG, 0, {{0}}},
        {"bytes=0-1;q=1", 10000, -EBADMSG, 0, {{0}}},
        {"bytes=0-1 2-3", 10000, -EBADMSG, 0, {{0}}},
        {"bytes=--1", 10000, -EBADMSG, 0, {{0}}},
        {"bytes=0-1\r\n", 10000, -EBADMSG, 0, {{0}}},
    };
    check_table(w, sizeof(w) / sizeof(w[0]));
}
END_TEST

/* Numbers beyond 64 bits saturate; first > last is still detected exactly. */
START_TEST(test_http_range_parse_overflow)
{
    static const struct want w[] = {
        {"bytes=0-99999999999999999999", 1000, 0, 1, {{0, 999}}},
        {"bytes=0-18446744073709551615", 1000, 0, 1, {{0, 999}}},
        {"bytes=0-18446744073709551616", 1000, 0, 1, {{0, 999}}},
        {"bytes=-99999999999999999999", 1000, 0, 1, {{0, 999}}},
        {"bytes=-18446744073709551616", 1000, 0, 1, {{0, 999}}},
        {"bytes=99999999999999999999-", 1000, -ERANGE, 0, {{0}}},
        {"bytes=18446744073709551615-", 1000, -ERANGE, 0, {{0}}},
        {"bytes=99999999999999999998-99999999999999999999", 1000, -ERANGE, 0, {{0}}},
        {"bytes=99999999999999999999-99999999999999999998", 1000, -EBADMSG, 0, {{0}}},
        {"bytes=18446744073709551616-18446744073709551615", 1000, -EBADMSG, 0, {{0}}},
        {"bytes=18446744073709551615-18446744073709551616", 1000, -ERANGE, 0, {{0}}},
        {"bytes=0000099999999999999999999-99999999999999999999", 1000, -ERANGE, 0, {{0}}},
        {"bytes=100000000000000000000-99999999999999999999", 1000, -EBADMSG, 0, {{0}}},
        /* Representation lengths at the top of the range. */
        {"bytes=18446744073709551613-", UINT64_MAX, 0, 1, {{UINT64_MAX - 2, UINT64_MAX - 1}}},
        {"bytes=-1", UINT64_MAX, 0, 1, {{UINT64_MAX - 1, UINT64_MAX - 1}}},
        {"bytes=0-0,18446744073709551614-",
         UINT64_MAX,
         0,
         2,
         {{0, 0}, {UINT64_MAX - 1, UINT64_MAX - 1}}},
        {"bytes=18446744073709551614-99999999999999999999999",
         UINT64_MAX,
         0,
         1,
         {{UINT64_MAX - 1, UINT64_MAX - 1}}},
        {"bytes=18446744073709551615-", UINT64_MAX, -ERANGE, 0, {{0}}},
    };
    check_table(w, sizeof(w) / sizeof(w[0]));
}
END_TEST

/* The range-spec cap is the array size: cap specs pass, cap + 1 refuse the
 * header, however they would coalesce; the Apache Killer request too. */
START_TEST(test_http_range_parse_cap)
{
    struct http_range out[HTTP_RANGE_MAX];
    size_t count;
    char v[8192];
    size_t n = (size_t)snprintf(v, sizeof(v), "bytes=0-0");
    for (int i = 1; i < HTTP_RANGE_MAX; i++)
        n += (size_t)snprintf(v + n, sizeof(v) - n, ",%d-%d", i * 1000, i * 1000);
    ck_assert_int_eq(rparse(v, 100000, out, HTTP_RANGE_MAX, &count), 0);
    ck_assert_uint_eq(count, HTTP_RANGE_MAX);
    for (size_t k = 0; k < count; k++)
        ck_assert(out[k].first == k * 1000 && out[k].last == k * 1000);
    snprintf(v + n, sizeof(v) - n, ",99999-99999");
    ck_assert_int_eq(rparse(v, 100000, out, HTTP_RANGE_MAX, &count), -E2BIG);
    /* Smaller arrays, smaller caps. */
    ck_assert_int_eq(rparse("bytes=0-1,5-6", 100, out, 1, &count), -E2BIG);
    ck_assert_int_eq(rparse("bytes=0-1,,", 100, out, 1, &count), 0);
    ck_assert_int_eq(rparse("bytes=0-1", 100, out, 0, &count), -EINVAL);
    /* CVE-2011-3192 sent "bytes=0-,5-0,5-1,5-2,...,5-1299": "5-0" is invalid
     * (RFC 9110 14.1.1), so the header is ignored; and the same attack
     * with valid overlapping specs exceeds the cap. */
    n = (size_t)snprintf(v, sizeof(v), "bytes=0-");
    for (int i = 0; i < 1300 && n + 16 < sizeof(v); i++)
        n += (size_t)snprintf(v + n, sizeof(v) - n, ",5-%d", i);
    ck_assert_int_eq(rparse(v, 1000000, out, HTTP_RANGE_MAX, &count), -EBADMSG);
    n = (size_t)snprintf(v, sizeof(v), "bytes=0-");
    for (int i = 5; i < 1300 && n + 16 < sizeof(v); i++)
        n += (size_t)snprintf(v + n, sizeof(v) - n, ",5-%d", i);
    ck_assert_int_eq(rparse(v, 1000000, out, HTTP_RANGE_MAX, &count), -E2BIG);
}
END_TEST

/* xorshift64 for the property test. */
static uint64_t rng_state = 0x2545f4914f6cdd1du;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Random small range sets against a byte map: the result is ascending,
 * disjoint, separated by >= HTTP_RANGE_COALESCE_GAP bytes, covers every
 * requested byte, and adds only bytes inside gaps shorter than that. */
START_TEST(test_http_range_parse_property)
{
    for (int iter = 0; iter < 6000; iter++) {
        uint64_t length = rng() % 400;
        size_t nspec = 1 + (size_t)(rng() % HTTP_RANGE_MAX);
        char v[1024];
        size_t n = (size_t)snprintf(v, sizeof(v), "bytes=");
        bool want[400] = {false};
        bool any_sat = false, empty_suffix = false;
        for (size_t s = 0; s < nspec; s++) {
            uint64_t a = rng() % 450, b = a + rng() % 200;
            int kind = (int)(rng() % 3);
            if (kind == 0) {
                n += (size_t)snprintf(v + n, sizeof(v) - n, "%s%llu-%llu", s ? ", " : "",
                                      (unsigned long long)a, (unsigned long long)b);
                for (uint64_t x = a; x <= b && x < length; x++)
                    want[x] = any_sat = true;
            } else if (kind == 1) {
                n += (size_t)snprintf(v + n, sizeof(v) - n, "%s%llu-", s ? "," : "",
                                      (unsigned long long)a);
                for (uint64_t x = a; x < length; x++)
                    want[x] = any_sat = true;
            } else {
                uint64_t k = rng() % 60;
                n += (size_t)snprintf(v + n, sizeof(v) - n, "%s-%llu", s ? " ,," : "",
                                      (unsigned long long)k);
                if (k > 0 && length == 0)
                    empty_suffix = true;
                for (uint64_t x = length > k ? length - k : 0; k > 0 && x < length; x++)
                    want[x] = any_sat = true;
            }
        }
        struct http_range out[HTTP_RANGE_MAX];
        size_t count = 0;
        int r = rparse(v, length, out, HTTP_RANGE_MAX, &count);
        if (!any_sat) {
            ck_assert_int_eq(r, empty_suffix ? -ENOTSUP : -ERANGE);
            continue;
        }
        ck_assert_msg(r == 0, "%s: %d", v, r);
        ck_assert(count >= 1 && count <= nspec);
        bool got[400] = {false};
        for (size_t k = 0; k < count; k++) {
            ck_assert(out[k].first <= out[k].last && out[k].last < length);
            if (k > 0)
                ck_assert(out[k].first > out[k - 1].last + HTTP_RANGE_COALESCE_GAP);
            for (uint64_t x = out[k].first; x <= out[k].last; x++)
                got[x] = true;
            /* Each range starts and ends on a requested byte. */
            ck_assert(want[out[k].first] && want[out[k].last]);
        }
        for (uint64_t x = 0; x < length; x++) {
            if (want[x])
                ck_assert_msg(got[x], "%s: byte %llu lost", v, (unsigned long long)x);
        }
        /* Added bytes only fill gaps shorter than HTTP_RANGE_COALESCE_GAP. */
        uint64_t run = 0;
        for (uint64_t x = 0; x < length; x++) {
            if (got[x] && !want[x]) {
                run++;
                ck_assert(run < HTTP_RANGE_COALESCE_GAP);
            } else {
                run = 0;
            }
        }
    }
}
END_TEST

/* Every proper prefix of a valid header, from an exact-size allocation. */
START_TEST(test_http_range_parse_prefixes)
{
    const char *v = "bytes=0-9,200-299, -5";
    size_t n = strlen(v);
    for (size_t k = 0; k < n; k++) {
        char *buf = test_exact_copy(v, k);
        struct http_range out[HTTP_RANGE_MAX];
        size_t count;
        int r = http_range_parse(buf, k, 1000, out, HTTP_RANGE_MAX, &count);
        if (k <= 7 || (k >= 11 && k <= 13) || k == 15 || k == 16 || k == 20)
            ck_assert_msg(r == -EBADMSG, "prefix %zu: %d", k, r);
        else
            ck_assert_msg(r == 0, "prefix %zu: %d", k, r);
        free(buf);
    }
}
END_TEST

START_TEST(test_http_range_format)
{
    char buf[HTTP_RANGE_CONTENT_RANGE_BUFSZ];
    struct http_range r = {0, 99};
    ck_assert_int_eq(http_range_format(buf, sizeof(buf), &r, 1234), 0);
    ck_assert_str_eq(buf, "bytes 0-99/1234");
    r = (struct http_range){1233, 1233};
    ck_assert_int_eq(http_range_format(buf, sizeof(buf), &r, 1234), 0);
    ck_assert_str_eq(buf, "bytes 1233-1233/1234");
    r = (struct http_range){UINT64_MAX - 1, UINT64_MAX - 1};
    ck_assert_int_eq(http_range_format(buf, sizeof(buf), &r, UINT64_MAX), 0);
    ck_assert_str_eq(buf, "bytes 18446744073709551614-18446744073709551614/18446744073709551615");
    ck_assert_int_eq(http_range_format_unsatisfied(buf, sizeof(buf), 1234), 0);
    ck_assert_str_eq(buf, "bytes */1234");
    ck_assert_int_eq(http_range_format_unsatisfied(buf, sizeof(buf), 0), 0);
    ck_assert_str_eq(buf, "bytes */0");
    /* Invalid ranges. */
    r = (struct http_range){5, 4};
    ck_assert_int_eq(http_range_format(buf, sizeof(buf), &r, 10), -EINVAL);
    r = (struct http_range){0, 10};
    ck_assert_int_eq(http_range_format(buf, sizeof(buf), &r, 10), -EINVAL);
    r = (struct http_range){0, 0};
    ck_assert_int_eq(http_range_format(buf, sizeof(buf), &r, 0), -EINVAL);
    /* Exact room: "bytes 0-99/1234" is 15 characters. */
    r = (struct http_range){0, 99};
    char *small = malloc(16);
    ck_assert_ptr_nonnull(small);
    ck_assert_int_eq(http_range_format(small, 16, &r, 1234), 0);
    ck_assert_str_eq(small, "bytes 0-99/1234");
    ck_assert_int_eq(http_range_format(small, 15, &r, 1234), -EMSGSIZE);
    ck_assert_str_eq(small, "");
    ck_assert_int_eq(http_range_format_unsatisfied(small, 12, 1234), -EMSGSIZE);
    ck_assert_str_eq(small, "");
    ck_assert_int_eq(http_range_format_unsatisfied(small, 13, 1234), 0);
    free(small);
}
END_TEST

/* Parse -> format -> compare with the request for single ranges. */
START_TEST(test_http_range_round_trip)
{
    for (uint64_t len = 1; len < 300; len += 7) {
        for (uint64_t a = 0; a < len; a += 5) {
            char v[64], cr[HTTP_RANGE_CONTENT_RANGE_BUFSZ], want[96];
            uint64_t b = a + (len - a) / 2;
            snprintf(v, sizeof(v), "bytes=%llu-%llu", (unsigned long long)a, (unsigned long long)b);
            struct http_range out[1];
            size_t count;
            ck_assert_int_eq(rparse(v, len, out, 1, &count), 0);
            ck_assert_int_eq(http_range_format(cr, sizeof(cr), &out[0], len), 0);
            snprintf(want, sizeof(want), "bytes %llu-%llu/%llu", (unsigned long long)a,
                     (unsigned long long)b, (unsigned long long)len);
            ck_assert_str_eq(cr, want);
        }
    }
}
END_TEST

static bool ifr(const char *v, const char *etag, const time_t *lm, time_t now)
{
    size_t n = strlen(v);
    char *buf = test_exact_copy(v, n);
    bool r = http_range_if_range(buf, n, etag, etag ? strlen(etag) : 0, lm, now);
    free(buf);
    return r;
}

START_TEST(test_http_range_if_range)
{
    const time_t lm = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */
    const time_t later = lm + 3600;
    const char *tag = "\"1-2-3\"";
    /* Entity tags: strong comparison only. */
    ck_assert(ifr("\"1-2-3\"", tag, &lm, later));
    ck_assert(ifr(" \"1-2-3\" ", tag, &lm, later));
    ck_assert(!ifr("W/\"1-2-3\"", tag, &lm, later));
    ck_assert(!ifr("\"1-2-3\"", "W/\"1-2-3\"", &lm, later));
    ck_assert(!ifr("\"1-2-4\"", tag, &lm, later));
    ck_assert(!ifr("\"1-2-3\"", NULL, &lm, later));
    ck_assert(!ifr("\"1-2-3\", \"x\"", tag, &lm, later)); /* one tag, not a list */
    ck_assert(!ifr("\"1-2-3", tag, &lm, later));
    ck_assert(!ifr("*", tag, &lm, later));
    /* Dates: exact match with a strong Last-Modified, any of the forms. */
    ck_assert(ifr("Sun, 06 Nov 1994 08:49:37 GMT", tag, &lm, later));
    ck_assert(ifr("Sunday, 06-Nov-94 08:49:37 GMT", tag, &lm, later));
    ck_assert(ifr("Sun Nov  6 08:49:37 1994", tag, &lm, later));
    ck_assert(ifr("Sun, 06 Nov 1994 08:49:37 GMT", NULL, &lm, lm + 1));
    ck_assert(!ifr("Sun, 06 Nov 1994 08:49:38 GMT", tag, &lm, later)); /* newer */
    ck_assert(!ifr("Sun, 06 Nov 1994 08:49:36 GMT", tag, &lm, later)); /* older */
    ck_assert(!ifr("Sun, 06 Nov 1994 08:49:37 GMT", tag, NULL, later));
    /* Last-Modified in the current second is weak (RFC 9110 8.8.2.2). */
    ck_assert(!ifr("Sun, 06 Nov 1994 08:49:37 GMT", tag, &lm, lm));
    ck_assert(!ifr("Sun, 06 Nov 1994 08:49:37 GMT", tag, &lm, lm - 10));
    /* Neither a tag nor a date. */
    ck_assert(!ifr("", tag, &lm, later));
    ck_assert(!ifr("   ", tag, &lm, later));
    ck_assert(!ifr("Sun, 06 Nov 1994 08:49:37 GMTx", tag, &lm, later));
    ck_assert(!ifr("784111777", tag, &lm, later));
    ck_assert(!ifr("1-2-3", tag, &lm, later));
}
END_TEST

static Suite *http_range_suite(void)
{
    Suite *s = suite_create("http_range");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_http_range_parse_valid);
    tcase_add_test(tc, test_http_range_parse_results);
    tcase_add_test(tc, test_http_range_parse_overflow);
    tcase_add_test(tc, test_http_range_parse_cap);
    tcase_add_test(tc, test_http_range_parse_property);
    tcase_add_test(tc, test_http_range_parse_prefixes);
    tcase_add_test(tc, test_http_range_format);
    tcase_add_test(tc, test_http_range_round_trip);
    tcase_add_test(tc, test_http_range_if_range);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(http_range_suite)
