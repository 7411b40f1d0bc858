#include <errno.h>
#include <stdio.h>

#include "common/http_accept.h"
#include "testutil.h"

#define BOTH (HTTP_CODING_HAVE_BR | HTTP_CODING_HAVE_GZIP)
#define GZ   HTTP_CODING_HAVE_GZIP
#define BR   HTTP_CODING_HAVE_BR

static int enc(const char *v, unsigned have, enum http_coding *out)
{
    size_t n = strlen(v);
    char *buf = test_exact_copy(v, n);
    int r = http_accept_encoding_choose(buf, n, have, out);
    free(buf);
    return r;
}

START_TEST(test_http_accept_encoding_table)
{
    static const struct {
        const char *v;
        unsigned have;
        int ret;
        enum http_coding want;
    } cases[] = {
        {"gzip, deflate, br", BOTH, 0, HTTP_CODING_BR}, /* tie: br first */
        {"gzip, deflate, br", GZ, 0, HTTP_CODING_GZIP},
        {"gzip, deflate, br", BR, 0, HTTP_CODING_BR},
        {"gzip, deflate, br", 0, 0, HTTP_CODING_IDENTITY},
        {"gzip, deflate, br, zstd", BOTH, 0, HTTP_CODING_BR},
        {"br;q=0.5, gzip", BOTH, 0, HTTP_CODING_GZIP},
        {"br;q=0.5, gzip;q=0.499", BOTH, 0, HTTP_CODING_BR},
        {"br;q=0.5", BOTH, 0, HTTP_CODING_BR}, /* identity is the fallback */
        {"br;q=0.001", BOTH, 0, HTTP_CODING_BR},
        {"br;q=0", BR, 0, HTTP_CODING_IDENTITY},
        {"br;q=0, gzip;q=0", BOTH, 0, HTTP_CODING_IDENTITY},
        {"GZIP", GZ, 0, HTTP_CODING_GZIP}, /* case-insensitive */
        {"x-gzip", GZ, 0, HTTP_CODING_GZIP},
        {"X-GZip ; Q=1.000", GZ, 0, HTTP_CODING_GZIP},
        {"deflate", BOTH, 0, HTTP_CODING_IDENTITY},
        {"", BOTH, 0, HTTP_CODING_IDENTITY}, /* empty: identity only */
        {" , ,", BOTH, 0, HTTP_CODING_IDENTITY},
        {"*", BOTH, 0, HTTP_CODING_BR},
        {"*", GZ, 0, HTTP_CODING_GZIP},
        {"*", 0, 0, HTTP_CODING_IDENTITY},
        {"*;q=0", BOTH, 0, HTTP_CODING_NONE},
        {"*;q=0", 0, 0, HTTP_CODING_NONE},
        {"*;q=0, identity", BOTH, 0, HTTP_CODING_IDENTITY},
        {"*;q=0, gzip;q=0.1", BOTH, 0, HTTP_CODING_GZIP},
        {"identity;q=0", 0, 0, HTTP_CODING_NONE},
        {"identity;q=0", GZ, 0, HTTP_CODING_NONE},
        {"identity;q=0, gzip", GZ, 0, HTTP_CODING_GZIP},
        {"identity;q=0.5, *;q=0", GZ, 0, HTTP_CODING_IDENTITY},
        {"identity, gzip;q=0.9", GZ, 0, HTTP_CODING_IDENTITY}, /* identity listed higher */
        {"identity, gzip", GZ, 0, HTTP_CODING_GZIP},           /* tie: gzip before identity */
        {"gzip;q=0.2, *", GZ, 0, HTTP_CODING_IDENTITY},        /* "*" covers identity */
        {"gzip;q=0.2, *;q=0.1", BOTH, 0, HTTP_CODING_GZIP},
        {"br;q=0.3, *;q=0.4", BOTH, 0, HTTP_CODING_GZIP},
        {"gzip;q=0, gzip", GZ, 0, HTTP_CODING_IDENTITY}, /* first occurrence counts */
        {"gzip, gzip;q=0", GZ, 0, HTTP_CODING_GZIP},
        {"gzip;q=1., br;q=0.", BOTH, 0, HTTP_CODING_GZIP},
        {"\tgzip\t;\tq=0.5\t,br;q=0.25 ", BOTH, 0, HTTP_CODING_GZIP},
        /* Malformed: identity, with the error. */
        {"gzip;q=0.5000", BOTH, -EBADMSG, HTTP_CODING_IDENTITY},
        {"gzip;q=1.001", BOTH, -EBADMSG, HTTP_CODING_IDENTITY},
        {"gzip;q=2", BOTH, -EBADMSG, HTTP_CODING_IDENTITY},
        {"gzip;q=.5", BOTH, -EBADMSG, HTTP_CODING_IDENTITY},
        {"gzip;q=", BOTH, -EBADMSG, HTTP_CODING_IDENTITY},
        {"gzip;q=-1", BOTH, -EBADMSG, HTTP_CODING_IDENTITY},
        {"gzip;q = 1", BOTH, -EBADMSG, HTTP_CODING_IDENTITY},
        {"gzip;level=9", BOTH, -EBADMSG, HTTP_CODING_IDENTITY},
        {"gzip;", BOTH, -EBADMSG, HTTP_CODING_IDENTITY},
        {"gzip br", BOTH, -EBADMSG, HTTP_CODING_IDENTITY},
        {"gzip;q=0.5;q=1", BOTH, -EBADMSG, HTTP_CODING_IDENTITY},
        {"gz\"ip", BOTH, -EBADMSG, HTTP_CODING_IDENTITY},
        {";q=1", BOTH, -EBADMSG, HTTP_CODING_IDENTITY},
        {"*;q=0, gzip;q=0.5x", GZ, -EBADMSG, HTTP_CODING_IDENTITY},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum http_coding c = (enum http_coding)99;
        int r = enc(cases[i].v, cases[i].have, &c);
        ck_assert_msg(r == cases[i].ret && c == cases[i].want, "\"%s\" have %u: %d, %d", cases[i].v,
                      cases[i].have, r, (int)c);
    }
    enum http_coding c = HTTP_CODING_NONE;
    ck_assert_int_eq(http_accept_encoding_choose(NULL, 0, BOTH, &c), 0); /* absent */
    ck_assert_int_eq(c, HTTP_CODING_IDENTITY);
}
END_TEST

/* Every qvalue the grammar allows is accepted, in each of its spellings,
 * and ranks as its value: gzip at q beats br at q - 0.001. */
static void check_q(const char *qtext, int q)
{
    char v[64];
    snprintf(v, sizeof(v), "gzip;q=%s, br;q=0.%03d", qtext, q > 0 ? q - 1 : 0);
    enum http_coding c;
    ck_assert_msg(enc(v, BOTH, &c) == 0, "rejected %s", v);
    ck_assert_msg(c == (q == 0 ? HTTP_CODING_IDENTITY : HTTP_CODING_GZIP), "%s: %d", v, (int)c);
}

START_TEST(test_http_accept_qvalues)
{
    char q[16];
    for (int k = 0; k < 1000; k++) {
        snprintf(q, sizeof(q), "0.%03d", k);
        check_q(q, k);
        if (k % 10 == 0) {
            snprintf(q, sizeof(q), "0.%02d", k / 10);
            check_q(q, k);
        }
        if (k % 100 == 0) {
            snprintf(q, sizeof(q), "0.%d", k / 100);
            check_q(q, k);
        }
    }
    check_q("0", 0);
    check_q("0.", 0);
    static const char *const one[] = {"1", "1.", "1.0", "1.00", "1.000"};
    for (size_t i = 0; i < 5; i++)
        check_q(one[i], 1000);
}
END_TEST

START_TEST(test_http_accept_encoding_cap)
{
    char v[HTTP_ACCEPT_MAX_MEMBERS * 8 + 32];
    size_t n = 0;
    for (int i = 0; i < HTTP_ACCEPT_MAX_MEMBERS - 1; i++)
        n += (size_t)snprintf(v + n, sizeof(v) - n, "x%d, ", i);
    n += (size_t)snprintf(v + n, sizeof(v) - n, "gzip");
    enum http_coding c;
    ck_assert_int_eq(enc(v, GZ, &c), 0);
    ck_assert_int_eq(c, HTTP_CODING_GZIP);
    snprintf(v + n, sizeof(v) - n, ", br");
    ck_assert_int_eq(enc(v, BOTH, &c), -E2BIG);
    ck_assert_int_eq(c, HTTP_CODING_IDENTITY);
}
END_TEST

static int lang(const char *v, const char *const *tags, size_t ntags, size_t *idx)
{
    size_t n = strlen(v);
    char *buf = test_exact_copy(v, n);
    int r = http_accept_language_choose(buf, n, tags, ntags, idx);
    free(buf);
    return r;
}

START_TEST(test_http_accept_language_table)
{
    static const char *const avail[] = {"en", "en-US", "fr", "de-CH", "zh-Hant-TW"};
    static const struct {
        const char *v;
        int ret;
        size_t idx;
    } cases[] = {
        {"en", 0, 0},
        {"en-US", 0, 1},
        {"en-us", 0, 1}, /* case-insensitive */
        {"EN", 0, 0},
        {"en-GB", -ENOENT, 0}, /* a range is not cut down to "en" */
        {"en-US, en", 0, 1},
        {"en, en-US", 0, 1}, /* equal q: the longer match wins */
        {"en;q=0.5, en-US;q=0.4", 0, 0},
        {"fr, en;q=0.9", 0, 2},
        {"fr;q=0.9, en", 0, 0},
        {"de", 0, 3}, /* "de" matches "de-CH" */
        {"de-ch", 0, 3},
        {"d", -ENOENT, 0}, /* prefix only at a '-' */
        {"zh", 0, 4},
        {"zh-Hant", 0, 4},
        {"zh-hant-tw", 0, 4},
        {"zh-Hans", -ENOENT, 0},
        {"*", 0, 0}, /* first available */
        {"*;q=0.5, fr", 0, 2},
        {"*, fr;q=0.5", 0, 0},
        {"*, en;q=0, fr;q=0.5", 0, 3}, /* en* excluded, "*" wins at q=1 */
        {"en;q=0", -ENOENT, 0},
        {"en;q=0, en-US", 0, 1}, /* more specific range overrides */
        {"*;q=0", -ENOENT, 0},
        {"ja, ko", -ENOENT, 0},
        {"", -ENOENT, 0},
        {" , ", -ENOENT, 0},
        {"fr;q=0.8, de;q=0.8", 0, 2}, /* equal q and length: header order */
        {"de;q=0.8, fr;q=0.8", 0, 3},
        {"es-419, fr;q=0.1", 0, 2}, /* digits in later subtags */
        /* Malformed. */
        {"en_US", -EBADMSG, 0},
        {"123", -EBADMSG, 0},
        {"en-", -EBADMSG, 0},
        {"-en", -EBADMSG, 0},
        {"en--US", -EBADMSG, 0},
        {"abcdefghi", -EBADMSG, 0}, /* subtag over 8 */
        {"en-abcdefghi", -EBADMSG, 0},
        {"en;q=1.5", -EBADMSG, 0},
        {"en;charset=x", -EBADMSG, 0},
        {"en fr", -EBADMSG, 0},
        {"*-US", -EBADMSG, 0},
        {"en-*", -EBADMSG, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t idx = 77;
        int r = lang(cases[i].v, avail, 5, &idx);
        ck_assert_msg(r == cases[i].ret, "\"%s\": %d", cases[i].v, r);
        if (r == 0)
            ck_assert_msg(idx == cases[i].idx, "\"%s\": tag %zu", cases[i].v, idx);
        else
            ck_assert_uint_eq(idx, 77);
    }
    size_t idx;
    ck_assert_int_eq(lang("en", avail, 0, &idx), -ENOENT);
    static const char *const two[] = {"en-GB", "en-US"};
    ck_assert_int_eq(lang("en", two, 2, &idx), 0); /* equal: the caller's order */
    ck_assert_uint_eq(idx, 0);
    ck_assert_int_eq(lang("en, en-us;q=1", two, 2, &idx), 0);
    ck_assert_uint_eq(idx, 1);
}
END_TEST

START_TEST(test_http_accept_language_cap)
{
    static const char *const avail[] = {"fr"};
    char v[HTTP_ACCEPT_MAX_MEMBERS * 8 + 32];
    size_t n = 0;
    for (int i = 0; i < HTTP_ACCEPT_MAX_MEMBERS - 1; i++)
        n += (size_t)snprintf(v + n, sizeof(v) - n, "x%c, ", 'a' + i % 26);
    n += (size_t)snprintf(v + n, sizeof(v) - n, "fr");
    size_t idx;
    ck_assert_int_eq(lang(v, avail, 1, &idx), 0);
    snprintf(v + n, sizeof(v) - n, ", de");
    ck_assert_int_eq(lang(v, avail, 1, &idx), -E2BIG);
}
END_TEST

/* Proper prefixes from exact-size allocations: no over-read, and a result
 * from the documented set. */
START_TEST(test_http_accept_prefixes)
{
    const char *ve = "gzip;q=0.5, br;q=1.0, identity;q=0";
    const char *vl = "en-US;q=0.8, fr;q=0.9, *;q=0.1";
    static const char *const avail[] = {"en-US", "fr"};
    for (size_t k = 0; k <= strlen(ve); k++) {
        char *buf = test_exact_copy(ve, k);
        enum http_coding c;
        int r = http_accept_encoding_choose(buf, k, BOTH, &c);
        ck_assert(r == 0 || r == -EBADMSG);
        free(buf);
    }
    for (size_t k = 0; k <= strlen(vl); k++) {
        char *buf = test_exact_copy(vl, k);
        size_t idx;
        int r = http_accept_language_choose(buf, k, avail, 2, &idx);
        ck_assert(r == 0 || r == -EBADMSG || r == -ENOENT);
        free(buf);
    }
    enum http_coding c;
    ck_assert_int_eq(enc(ve, BOTH, &c), 0);
    ck_assert_int_eq(c, HTTP_CODING_BR);
}
END_TEST

static Suite *http_accept_suite(void)
{
    Suite *s = suite_create("http_accept");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_http_accept_encoding_table);
    tcase_add_test(tc, test_http_accept_qvalues);
    tcase_add_test(tc, test_http_accept_encoding_cap);
    tcase_add_test(tc, test_http_accept_language_table);
    tcase_add_test(tc, test_http_accept_language_cap);
    tcase_add_test(tc, test_http_accept_prefixes);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(http_accept_suite)
