#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include "common/http_etag.h"
#include "testutil.h"

/* The preconditions on exact-size copies of both inputs. */
static int inm(const char *field, const char *etag)
{
    size_t fn = strlen(field), en = strlen(etag);
    char *f = test_exact_copy(field, fn);
    char *e = test_exact_copy(etag, en);
    int r = http_etag_if_none_match(f, fn, e, en);
    free(f);
    free(e);
    return r;
}

static int im(const char *field, const char *etag)
{
    size_t fn = strlen(field), en = strlen(etag);
    char *f = test_exact_copy(field, fn);
    char *e = test_exact_copy(etag, en);
    int r = http_etag_if_match(f, fn, e, en);
    free(f);
    free(e);
    return r;
}

START_TEST(test_http_etag_make_golden)
{
    char buf[HTTP_ETAG_BUFSZ];
    ck_assert_int_eq(http_etag_make(buf, sizeof(buf), 0x1234, 1000, 1700000000123456789, NULL, 0),
                     0);
    ck_assert_str_eq(buf, "\"1234-3e8-17979cfe3d85cd15\"");
    ck_assert_int_eq(http_etag_make(buf, sizeof(buf), 0, 0, 0, NULL, 0), 0);
    ck_assert_str_eq(buf, "\"0-0-0\"");
    ck_assert_int_eq(http_etag_make(buf, sizeof(buf), 0x1234, 1000, 1, "br", 2), 0);
    ck_assert_str_eq(buf, "\"1234-3e8-1:br\"");
    ck_assert_int_eq(http_etag_make(buf, sizeof(buf), 1, 2, -1, "en-US", 5), 0);
    ck_assert_str_eq(buf, "\"1-2-ffffffffffffffff:en-US\"");
}
END_TEST

/* The longest tag fits HTTP_ETAG_BUFSZ exactly; one byte less is refused
 * with nothing written past the buffer (exact allocations). */
START_TEST(test_http_etag_make_limits)
{
    char variant[HTTP_ETAG_VARIANT_MAX + 1];
    memset(variant, 'v', sizeof(variant));
    char *buf = malloc(HTTP_ETAG_BUFSZ);
    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(http_etag_make(buf, HTTP_ETAG_BUFSZ, UINT64_MAX, UINT64_MAX, INT64_MIN,
                                    variant, HTTP_ETAG_VARIANT_MAX),
                     0);
    ck_assert_uint_eq(strlen(buf), HTTP_ETAG_BUFSZ - 1);
    free(buf);
    buf = malloc(HTTP_ETAG_BUFSZ - 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(http_etag_make(buf, HTTP_ETAG_BUFSZ - 1, UINT64_MAX, UINT64_MAX, INT64_MIN,
                                    variant, HTTP_ETAG_VARIANT_MAX),
                     -EMSGSIZE);
    ck_assert_str_eq(buf, "");
    free(buf);
    char b[HTTP_ETAG_BUFSZ];
    ck_assert_int_eq(http_etag_make(b, sizeof(b), 1, 1, 1, variant, HTTP_ETAG_VARIANT_MAX + 1),
                     -EINVAL);
    static const char *const bad[] = {"g\"z", "a b", "x,y", "a/b", "\x80", ":", "W/"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_int_eq(http_etag_make(b, sizeof(b), 1, 1, 1, bad[i], strlen(bad[i])), -EINVAL);
    ck_assert_int_eq(http_etag_make(b, sizeof(b), 1, 1, 1, NULL, 3), -EINVAL);
    ck_assert_int_eq(http_etag_make(NULL, 0, 1, 1, 1, NULL, 0), -EMSGSIZE);
}
END_TEST

/* Different files, sizes, times and variants give different tags, and each
 * made tag parses as one strong entity-tag. */
START_TEST(test_http_etag_make_distinct_and_parsable)
{
    char a[HTTP_ETAG_BUFSZ], b[HTTP_ETAG_BUFSZ];
    const uint64_t inos[] = {0, 1, 0x10, UINT64_MAX};
    const int64_t mt[] = {0, 1, -1, INT64_MAX, INT64_MIN};
    const char *vars[] = {NULL, "gz", "br", "en"};
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < 5; j++)
            for (size_t v = 0; v < 4; v++) {
                ck_assert_int_eq(http_etag_make(a, sizeof(a), inos[i], 7, mt[j], vars[v],
                                                vars[v] ? strlen(vars[v]) : 0),
                                 0);
                struct http_etag t;
                ck_assert_int_eq(http_etag_parse(a, strlen(a), &t), 0);
                ck_assert(!t.weak);
                ck_assert_uint_eq(t.len, strlen(a));
                for (size_t v2 = 0; v2 < 4; v2++) {
                    if (v2 == v)
                        continue;
                    http_etag_make(b, sizeof(b), inos[i], 7, mt[j], vars[v2],
                                   vars[v2] ? strlen(vars[v2]) : 0);
                    ck_assert_str_ne(a, b);
                }
                http_etag_make(b, sizeof(b), inos[i], 8, mt[j], vars[v],
                               vars[v] ? strlen(vars[v]) : 0);
                ck_assert_str_ne(a, b);
            }
}
END_TEST

START_TEST(test_http_etag_parse_single)
{
    struct http_etag t;
    ck_assert_int_eq(http_etag_parse("\"xyzzy\"", 7, &t), 0);
    ck_assert(!t.weak);
    ck_assert_uint_eq(t.len, 7);
    ck_assert_int_eq(http_etag_parse(" W/\"xyzzy\"\t", 11, &t), 0);
    ck_assert(t.weak);
    ck_assert_uint_eq(t.len, 7);
    ck_assert_int_eq(memcmp(t.opaque, "\"xyzzy\"", 7), 0);
    ck_assert_int_eq(http_etag_parse("\"\"", 2, &t), 0);         /* empty opaque-tag is valid */
    ck_assert_int_eq(http_etag_parse("\"\x80\xff\"", 4, &t), 0); /* obs-text */
    static const char *const bad[] = {"",        "\"",       "xyzzy",       "\"a\"b",    "w/\"a\"",
                                      "W/a",     "W/",       "\"a\" \"b\"", "\"a\",",    "\"a b\"",
                                      "\"a\"\"", "W /\"a\"", "*",           "\"a\x7f\"", "\"\t\""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t n = strlen(bad[i]);
        char *buf = test_exact_copy(bad[i], n);
        ck_assert_msg(http_etag_parse(buf, n, &t) == -EBADMSG, "accepted %s", bad[i]);
        free(buf);
    }
}
END_TEST

START_TEST(test_http_etag_list_parse_forms)
{
    struct http_etag tags[8];
    size_t count = 99;
    bool any = true;
    const char *v = " \"a\" ,W/\"b\",, ,\t\"c\" , ";
    ck_assert_int_eq(http_etag_list_parse(v, strlen(v), tags, 8, &count, &any), 0);
    ck_assert(!any);
    ck_assert_uint_eq(count, 3);
    ck_assert(!tags[0].weak && tags[0].len == 3 && memcmp(tags[0].opaque, "\"a\"", 3) == 0);
    ck_assert(tags[1].weak && memcmp(tags[1].opaque, "\"b\"", 3) == 0);
    ck_assert(!tags[2].weak && memcmp(tags[2].opaque, "\"c\"", 3) == 0);
    ck_assert_int_eq(http_etag_list_parse(" * ", 3, tags, 8, &count, &any), 0);
    ck_assert(any);
    ck_assert_uint_eq(count, 0);
    ck_assert_int_eq(http_etag_list_parse("", 0, tags, 8, &count, &any), 0);
    ck_assert(!any);
    ck_assert_uint_eq(count, 0);
    ck_assert_int_eq(http_etag_list_parse(",,", 2, tags, 8, &count, &any), 0);
    ck_assert_uint_eq(count, 0);
    /* A comma inside a tag is part of the tag (etagc includes it). */
    ck_assert_int_eq(http_etag_list_parse("\"a,b\"", 5, tags, 8, &count, &any), 0);
    ck_assert_uint_eq(count, 1);
    ck_assert_uint_eq(tags[0].len, 5);
    static const char *const bad[] = {"*, \"a\"",  "\"a\", *", "**",    "\"a\" \"b\"", "a",
                                      "\"a\";q=1", "\"a",      "W/\"a", "\"a\"x",      "\"a\",b"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t n = strlen(bad[i]);
        char *buf = test_exact_copy(bad[i], n);
        ck_assert_msg(http_etag_list_parse(buf, n, tags, 8, &count, &any) == -EBADMSG,
                      "accepted %s", bad[i]);
        free(buf);
    }
    /* More tags than room. */
    ck_assert_int_eq(http_etag_list_parse("\"a\",\"b\",\"c\"", 11, tags, 2, &count, &any), -E2BIG);
    ck_assert_int_eq(http_etag_list_parse("\"a\",\"b\"", 7, tags, 2, &count, &any), 0);
}
END_TEST

/* RFC 9110 8.8.3.2's comparison table. */
START_TEST(test_http_etag_comparison_table)
{
    static const struct {
        const char *a, *b;
        bool strong, weak;
    } cases[] = {
        {"W/\"1\"", "W/\"1\"", false, true},
        {"W/\"1\"", "W/\"2\"", false, false},
        {"W/\"1\"", "\"1\"", false, true},
        {"\"1\"", "\"1\"", true, true},
    };
    for (size_t i = 0; i < 4; i++) {
        struct http_etag a, b;
        ck_assert_int_eq(http_etag_parse(cases[i].a, strlen(cases[i].a), &a), 0);
        ck_assert_int_eq(http_etag_parse(cases[i].b, strlen(cases[i].b), &b), 0);
        ck_assert(http_etag_eq_strong(&a, &b) == cases[i].strong);
        ck_assert(http_etag_eq_strong(&b, &a) == cases[i].strong);
        ck_assert(http_etag_eq_weak(&a, &b) == cases[i].weak);
        ck_assert(http_etag_eq_weak(&b, &a) == cases[i].weak);
    }
}
END_TEST

START_TEST(test_http_etag_if_none_match_table)
{
    static const struct {
        const char *field, *etag;
        int want;
    } cases[] = {
        {"\"abc\"", "\"abc\"", 1},
        {"W/\"abc\"", "\"abc\"", 1}, /* weak comparison */
        {"\"abc\"", "W/\"abc\"", 1},
        {"\"abd\"", "\"abc\"", 0},
        {"\"ABC\"", "\"abc\"", 0}, /* octets, case-sensitive */
        {"\"x\", \"y\" , W/\"abc\"", "\"abc\"", 1},
        {",,\"abc\",,", "\"abc\"", 1},
        {"*", "\"abc\"", 1},
        {" * ", "\"abc\"", 1},
        {"", "\"abc\"", 0},
        {"\"abc", "\"abc\"", -EBADMSG},
        {"abc", "\"abc\"", -EBADMSG},
        {"\"abc\" junk", "\"abc\"", -EBADMSG},
        {"junk, \"abc\"", "\"abc\"", -EBADMSG}, /* validated before matching */
        {"\"abc\", junk", "\"abc\"", -EBADMSG},
        {"*, \"abc\"", "\"abc\"", -EBADMSG},
        {"\"abc\"", "abc", -EINVAL}, /* the current tag is bad */
        {"\"abc\"", "", -EINVAL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ck_assert_msg(inm(cases[i].field, cases[i].etag) == cases[i].want, "INM %s vs %s",
                      cases[i].field, cases[i].etag);
}
END_TEST

START_TEST(test_http_etag_if_match_table)
{
    static const struct {
        const char *field, *etag;
        int want;
    } cases[] = {
        {"\"abc\"", "\"abc\"", 1},
        {"W/\"abc\"", "\"abc\"", 0}, /* strong comparison */
        {"\"abc\"", "W/\"abc\"", 0},
        {"W/\"abc\"", "W/\"abc\"", 0},
        {"\"abd\"", "\"abc\"", 0},
        {"\"x\", \"abc\"", "\"abc\"", 1},
        {"W/\"abc\", \"abc\"", "\"abc\"", 1},
        {"*", "\"abc\"", 1},
        {"", "\"abc\"", 0},
        {"\"abc\",", "\"abc\"", 1},
        {"\"abc\" ;", "\"abc\"", -EBADMSG},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ck_assert_msg(im(cases[i].field, cases[i].etag) == cases[i].want, "IM %s vs %s",
                      cases[i].field, cases[i].etag);
}
END_TEST

/* HTTP_ETAG_LIST_MAX members are examined; one more refuses the value,
 * even when the match is among the first. */
START_TEST(test_http_etag_list_cap)
{
    char field[HTTP_ETAG_LIST_MAX * 8 + 16];
    size_t n = 0;
    for (int i = 0; i < HTTP_ETAG_LIST_MAX; i++)
        n += (size_t)snprintf(field + n, sizeof(field) - n, "%s\"%d\"", i ? ", " : "", i);
    ck_assert_int_eq(inm(field, "\"63\""), 1);
    ck_assert_int_eq(inm(field, "\"0\""), 1);
    ck_assert_int_eq(im(field, "\"64\""), 0);
    /* Empty elements do not count as members. */
    snprintf(field + n, sizeof(field) - n, ",,,");
    ck_assert_int_eq(inm(field, "\"63\""), 1);
    snprintf(field + n, sizeof(field) - n, ", \"64\"");
    ck_assert_int_eq(inm(field, "\"0\""), -E2BIG);
    ck_assert_int_eq(im(field, "\"64\""), -E2BIG);
}
END_TEST

/* Every proper prefix of a valid list, from an exact-size allocation:
 * a cut inside a tag is malformed, a cut between tags a shorter list. */
START_TEST(test_http_etag_prefixes)
{
    const char *v = "W/\"one\", \"two\" ,\"abc\"";
    size_t n = strlen(v);
    for (size_t k = 0; k < n; k++) {
        char *buf = test_exact_copy(v, k);
        int r = http_etag_if_none_match(buf, k, "\"abc\"", 5);
        ck_assert_int_ne(r, 1);
        r = http_etag_if_none_match(buf, k, "\"one\"", 5);
        int want = k == 0 ? 0 : (k >= 7 && k <= 9) || (k >= 14 && k <= 16) ? 1 : -EBADMSG;
        ck_assert_msg(r == want, "prefix %zu: %d", k, r);
        free(buf);
    }
}
END_TEST

static Suite *http_etag_suite(void)
{
    Suite *s = suite_create("http_etag");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_http_etag_make_golden);
    tcase_add_test(tc, test_http_etag_make_limits);
    tcase_add_test(tc, test_http_etag_make_distinct_and_parsable);
    tcase_add_test(tc, test_http_etag_parse_single);
    tcase_add_test(tc, test_http_etag_list_parse_forms);
    tcase_add_test(tc, test_http_etag_comparison_table);
    tcase_add_test(tc, test_http_etag_if_none_match_table);
    tcase_add_test(tc, test_http_etag_if_match_table);
    tcase_add_test(tc, test_http_etag_list_cap);
    tcase_add_test(tc, test_http_etag_prefixes);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(http_etag_suite)
