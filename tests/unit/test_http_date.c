#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "common/http_date.h"
#include "testutil.h"

/* 2026-01-01T00:00:00Z, the "now" for RFC 850 years unless a test says. */
#define NOW_2026 ((time_t)1767225600)

static const char *const wd_short[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const wd_long[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                       "Thursday", "Friday", "Saturday"};
static const char *const mon[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Parses text from an exact-size copy, so ASan sees any over-read. */
static int parse_at(const char *text, size_t n, time_t now, time_t *out)
{
    char *buf = test_exact_copy(text, n);
    int r = http_date_parse(buf, n, now, out);
    free(buf);
    return r;
}

static int parse(const char *text, time_t *out)
{
    return parse_at(text, strlen(text), NOW_2026, out);
}

/* The three forms of t, built from glibc's gmtime_r: an oracle independent
 * of the civil-date arithmetic under test. */
static void oracle_forms(time_t t, char *imf, char *r850, char *asc)
{
    struct tm tm;
    ck_assert_ptr_nonnull(gmtime_r(&t, &tm));
    long y = (long)tm.tm_year + 1900;
    snprintf(imf, 64, "%s, %02d %s %04ld %02d:%02d:%02d GMT", wd_short[tm.tm_wday], tm.tm_mday,
             mon[tm.tm_mon], y, tm.tm_hour, tm.tm_min, tm.tm_sec);
    snprintf(r850, 64, "%s, %02d-%s-%02ld %02d:%02d:%02d GMT", wd_long[tm.tm_wday], tm.tm_mday,
             mon[tm.tm_mon], y % 100, tm.tm_hour, tm.tm_min, tm.tm_sec);
    snprintf(asc, 64, "%s %s %2d %02d:%02d:%02d %04ld", wd_short[tm.tm_wday], mon[tm.tm_mon],
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, y);
}

/* xorshift64: deterministic pseudo-random times. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

#define T_MIN ((time_t)-62167219200) /* 0000-01-01T00:00:00Z */
#define T_MAX ((time_t)253402300799) /* 9999-12-31T23:59:59Z */

START_TEST(test_http_date_format_golden)
{
    static const struct {
        time_t t;
        const char *s;
    } cases[] = {
        {784111777, "Sun, 06 Nov 1994 08:49:37 GMT"},
        {0, "Thu, 01 Jan 1970 00:00:00 GMT"},
        {-1, "Wed, 31 Dec 1969 23:59:59 GMT"},
        {2147483647, "Tue, 19 Jan 2038 03:14:07 GMT"},
        {2147483648, "Tue, 19 Jan 2038 03:14:08 GMT"},
        {4294967296, "Sun, 07 Feb 2106 06:28:16 GMT"},
        {951782400, "Tue, 29 Feb 2000 00:00:00 GMT"},
        {1709164800, "Thu, 29 Feb 2024 00:00:00 GMT"},
        {4107542400, "Mon, 01 Mar 2100 00:00:00 GMT"}, /* 2100 is no leap year */
        {T_MAX, "Fri, 31 Dec 9999 23:59:59 GMT"},
        {T_MIN, "Sat, 01 Jan 0000 00:00:00 GMT"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[HTTP_DATE_BUFSZ];
        ck_assert_int_eq(http_date_format(cases[i].t, buf, sizeof(buf)), 0);
        ck_assert_str_eq(buf, cases[i].s);
        ck_assert_uint_eq(strlen(buf), HTTP_DATE_LEN);
    }
}
END_TEST

START_TEST(test_http_date_format_limits)
{
    char buf[64];
    ck_assert_int_eq(http_date_format(T_MAX + 1, buf, sizeof(buf)), -ERANGE);
    ck_assert_str_eq(buf, "");
    ck_assert_int_eq(http_date_format(T_MIN - 1, buf, sizeof(buf)), -ERANGE);
    ck_assert_int_eq(http_date_format((time_t)INT64_MAX, buf, sizeof(buf)), -ERANGE);
    ck_assert_int_eq(http_date_format((time_t)INT64_MIN, buf, sizeof(buf)), -ERANGE);
    /* One byte short of the NUL: no room, nothing half-written. */
    char *small = malloc(HTTP_DATE_LEN);
    ck_assert_ptr_nonnull(small);
    ck_assert_int_eq(http_date_format(0, small, HTTP_DATE_LEN), -EMSGSIZE);
    ck_assert_str_eq(small, "");
    free(small);
    ck_assert_int_eq(http_date_format(0, NULL, 0), -EMSGSIZE);
    /* Exactly HTTP_DATE_BUFSZ fits (exact allocation: ASan checks it). */
    char *exact = malloc(HTTP_DATE_BUFSZ);
    ck_assert_ptr_nonnull(exact);
    ck_assert_int_eq(http_date_format(0, exact, HTTP_DATE_BUFSZ), 0);
    free(exact);
}
END_TEST

/* Formatting agrees with gmtime_r at random times over all of 0000..9999
 * and parsing every form gives the time back. */
START_TEST(test_http_date_differential_gmtime)
{
    const uint64_t span = (uint64_t)(T_MAX - T_MIN) + 1;
    for (int i = 0; i < 20000; i++) {
        time_t t = T_MIN + (time_t)(rng() % span);
        if (i < 4)
            t = (time_t[]){T_MIN, T_MAX, 0, -1}[i];
        char imf[64], r850[64], asc[64], got[HTTP_DATE_BUFSZ];
        oracle_forms(t, imf, r850, asc);
        ck_assert_int_eq(http_date_format(t, got, sizeof(got)), 0);
        ck_assert_str_eq(got, imf);
        time_t back = 12345;
        ck_assert_int_eq(parse(imf, &back), 0);
        ck_assert_int_eq((long long)back, (long long)t);
        ck_assert_int_eq(parse(asc, &back), 0);
        ck_assert_int_eq((long long)back, (long long)t);
        /* RFC 850 holds a two-digit year: parse it with "now" in the same
         * year, so the window (Y-50, Y+50] gives the year back. */
        ck_assert_int_eq(parse_at(r850, strlen(r850), t, &back), 0);
        ck_assert_int_eq((long long)back, (long long)t);
    }
}
END_TEST

/* Every day of a full 400-year Gregorian cycle (and more), against timegm. */
START_TEST(test_http_date_every_day_of_a_cycle)
{
    const time_t start = -2208988800; /* 1900-01-01 */
    for (time_t t = start; t < start + (time_t)(146097 + 800) * 86400; t += 86400) {
        char imf[64], r850[64], asc[64];
        oracle_forms(t + 45296, imf, r850, asc); /* 12:34:56 */
        time_t back;
        ck_assert_int_eq(parse(imf, &back), 0);
        ck_assert_int_eq((long long)back, (long long)(t + 45296));
    }
}
END_TEST

START_TEST(test_http_date_parse_three_forms)
{
    static const char *const forms[] = {
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
        "Sun Nov 06 08:49:37 1994",           /* asctime day as 2DIGIT */
        "  Sun, 06 Nov 1994 08:49:37 GMT\t ", /* OWS around the value */
    };
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        time_t t = 0;
        ck_assert_msg(parse(forms[i], &t) == 0, "rejected \"%s\"", forms[i]);
        ck_assert_int_eq((long long)t, 784111777);
    }
}
END_TEST

START_TEST(test_http_date_parse_rejects)
{
    static const char *const bad[] = {
        "",
        "   ",
        "Sun, 06 Nov 1994 08:49:37 GMTx",    /* trailing junk */
        "Sun, 06 Nov 1994 08:49:37 GMT,",    /* trailing junk */
        "Sun, 06 Nov 1994 08:49:37",         /* no zone */
        "Sun, 06 Nov 1994 08:49:37 UTC",     /* wrong zone */
        "Sun, 06 Nov 1994 08:49:37 gmt",     /* case-sensitive */
        "sun, 06 Nov 1994 08:49:37 GMT",     /* case-sensitive day */
        "Sun, 06 nov 1994 08:49:37 GMT",     /* case-sensitive month */
        "Mon, 06 Nov 1994 08:49:37 GMT",     /* wrong weekday */
        "Sux, 06 Nov 1994 08:49:37 GMT",     /* no such weekday */
        "Sun, 06 Nox 1994 08:49:37 GMT",     /* no such month */
        "Sun, 6 Nov 1994 08:49:37 GMT",      /* one-digit day */
        "Sun, 06 Nov 94 08:49:37 GMT",       /* two-digit year */
        "Sun, 06 Nov 01994 08:49:37 GMT",    /* five-digit year */
        "Sun,  06 Nov 1994 08:49:37 GMT",    /* extra space */
        "Sun,06 Nov 1994 08:49:37 GMT",      /* missing space */
        "Sun, 06 Nov 1994 8:49:37 GMT",      /* one-digit hour */
        "Sun, 06 Nov 1994 24:00:00 GMT",     /* hour 24 */
        "Sun, 06 Nov 1994 23:60:00 GMT",     /* minute 60 */
        "Sun, 06 Nov 1994 23:59:61 GMT",     /* second 61 */
        "Sun, 06 Nov 1994 08-49-37 GMT",     /* separators */
        "Sun, 00 Nov 1994 08:49:37 GMT",     /* day 0 */
        "Thu, 31 Nov 1994 08:49:37 GMT",     /* Nov has 30 days */
        "Thu, 29 Feb 2001 00:00:00 GMT",     /* 2001 is no leap year */
        "Thu, 01 Mar 2001 00:00:00 GMT\r\n", /* CRLF is not OWS */
        "Sun, 06 Nov 1994 08:49:37 +0000",   /* numeric zone */
        "Sun, 06 Nov -994 08:49:37 GMT",     /* sign */
        "Sun, +6 Nov 1994 08:49:37 GMT",     /* sign */
        "Sunday, 06 Nov 1994 08:49:37 GMT",  /* long name, fixdate layout */
        "Sun, 06-Nov-94 08:49:37 GMT",       /* short name, RFC 850 layout */
        "Sunday, 06-Nov-1994 08:49:37 GMT",  /* RFC 850 with 4-digit year */
        "Sunday, 06-Nov-94 08:49:37",        /* RFC 850 without GMT */
        "Sunday, 6-Nov-94 08:49:37 GMT",     /* RFC 850 one-digit day */
        "Sundax, 06-Nov-94 08:49:37 GMT",    /* no such weekday */
        "Monday, 06-Nov-94 08:49:37 GMT",    /* wrong weekday */
        "Sun Nov 6 08:49:37 1994",           /* asctime single space */
        "Sun Nov  6 08:49:37 94",            /* asctime 2-digit year */
        "Sun Nov  6 08:49:37 1994 GMT",      /* asctime with zone */
        "Sun Nov   6 08:49:37 1994",         /* three spaces */
        "Mon Nov  6 08:49:37 1994",          /* wrong weekday */
        "Sun Nov  0 08:49:37 1994",          /* day 0 */
        "1994-11-06T08:49:37Z",              /* ISO 8601 */
        "784111777",                         /* epoch seconds */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        time_t t = 42;
        int r = parse_at(bad[i], strlen(bad[i]), NOW_2026, &t);
        ck_assert_msg(r == -EBADMSG, "accepted \"%s\" (%d)", bad[i], r);
        ck_assert_int_eq((long long)t, 42); /* untouched on error */
    }
    /* An embedded NUL inside the given length is junk, not an end. */
    time_t t;
    ck_assert_int_eq(parse_at("Sun, 06 Nov 1994 08:49:37 GMT", 30, NOW_2026, &t), -EBADMSG);
    ck_assert_int_eq(parse_at("Sun, 06 Nov 1994"
                              "\0"
                              "08:49:37 GMT",
                              29, NOW_2026, &t),
                     -EBADMSG);
}
END_TEST

/* Feb 29 of a non-leap year is rejected whatever weekday it claims; of a
 * leap year (including 400-year ones) it is accepted. */
START_TEST(test_http_date_feb29)
{
    static const int non_leap[] = {1900, 2001, 2023, 2100, 2200, 2300, 1970, 9999};
    for (size_t i = 0; i < sizeof(non_leap) / sizeof(non_leap[0]); i++) {
        for (int w = 0; w < 7; w++) {
            char s[64];
            time_t t;
            snprintf(s, sizeof(s), "%s, 29 Feb %04d 00:00:00 GMT", wd_short[w], non_leap[i]);
            ck_assert_int_eq(parse(s, &t), -EBADMSG);
            snprintf(s, sizeof(s), "%s Feb 29 00:00:00 %04d", wd_short[w], non_leap[i]);
            ck_assert_int_eq(parse(s, &t), -EBADMSG);
        }
    }
    time_t t;
    ck_assert_int_eq(parse("Tue, 29 Feb 2000 00:00:00 GMT", &t), 0);
    ck_assert_int_eq((long long)t, 951782400);
    ck_assert_int_eq(parse("Thu, 29 Feb 2024 00:00:00 GMT", &t), 0);
    ck_assert_int_eq(parse("Tue, 29 Feb 2028 00:00:00 GMT", &t), 0);
    ck_assert_int_eq(parse("Tue, 29 Feb 2400 00:00:00 GMT", &t), 0);
    ck_assert_int_eq(parse("Thu, 29 Feb 1996 00:00:00 GMT", &t), 0);
}
END_TEST

START_TEST(test_http_date_boundaries)
{
    time_t t;
    ck_assert_int_eq(parse("Thu, 01 Jan 1970 00:00:00 GMT", &t), 0);
    ck_assert_int_eq((long long)t, 0);
    ck_assert_int_eq(parse("Wed, 31 Dec 1969 23:59:59 GMT", &t), 0);
    ck_assert_int_eq((long long)t, -1);
    ck_assert_int_eq(parse("Tue, 19 Jan 2038 03:14:07 GMT", &t), 0);
    ck_assert_int_eq((long long)t, 2147483647);
    ck_assert_int_eq(parse("Tue, 19 Jan 2038 03:14:08 GMT", &t), 0);
    ck_assert_int_eq((long long)t, 2147483648);
    ck_assert_int_eq(parse("Fri, 31 Dec 9999 23:59:59 GMT", &t), 0);
    ck_assert_int_eq((long long)t, (long long)T_MAX);
    ck_assert_int_eq(parse("Sat, 01 Jan 0000 00:00:00 GMT", &t), 0);
    ck_assert_int_eq((long long)t, (long long)T_MIN);
    /* A leap second is the first second of the next minute. */
    ck_assert_int_eq(parse("Sat, 31 Dec 2016 23:59:60 GMT", &t), 0);
    ck_assert_int_eq((long long)t, 1483228800);
}
END_TEST

/* RFC 9110 5.6.7: a two-digit year more than 50 years ahead is in the past. */
START_TEST(test_http_date_rfc850_year_window)
{
    static const struct {
        time_t now;
        const char *s;
        int year;
    } cases[] = {
        {NOW_2026, "Sunday, 06-Nov-94 08:49:37 GMT", 1994},
        {NOW_2026, "Monday, 06-Nov-00 08:49:37 GMT", 2000},
        {NOW_2026, "Friday, 06-Nov-26 08:49:37 GMT", 2026},
        {NOW_2026, "Friday, 06-Nov-76 08:49:37 GMT", 2076}, /* 50 ahead: future */
        {NOW_2026, "Sunday, 06-Nov-77 08:49:37 GMT", 1977}, /* 51 ahead: past */
        {NOW_2026, "Saturday, 06-Nov-99 08:49:37 GMT", 1999},
        {(time_t)4070908800, "Saturday, 01-Jan-01 00:00:00 GMT", 2101}, /* now 2099 */
        {(time_t)4070908800, "Wednesday, 01-Jan-49 00:00:00 GMT", 2149},
        {(time_t)4070908800, "Saturday, 01-Jan-50 00:00:00 GMT", 2050},
        {(time_t)0, "Thursday, 01-Jan-70 00:00:00 GMT", 1970}, /* now 1970 */
        {(time_t)0, "Wednesday, 01-Jan-20 00:00:00 GMT", 2020},
        {(time_t)0, "Saturday, 01-Jan-21 00:00:00 GMT", 1921},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        time_t t = 0;
        ck_assert_msg(parse_at(cases[i].s, strlen(cases[i].s), cases[i].now, &t) == 0,
                      "rejected \"%s\"", cases[i].s);
        struct tm tm;
        gmtime_r(&t, &tm);
        ck_assert_int_eq(tm.tm_year + 1900, cases[i].year);
    }
    /* The weekday is checked against the resolved year: 06-Nov-94 was a
     * Sunday in 1994, a Saturday in 2094. */
    time_t t;
    const char *s = "Saturday, 06-Nov-94 08:49:37 GMT";
    ck_assert_int_eq(parse_at(s, strlen(s), NOW_2026, &t), -EBADMSG);
    ck_assert_int_eq(parse_at(s, strlen(s), (time_t)4070908800, &t), 0);
    /* An absurd "now" cannot overflow the arithmetic. */
    s = "Sunday, 06-Nov-94 08:49:37 GMT";
    int r = parse_at(s, strlen(s), (time_t)INT64_MAX, &t);
    ck_assert(r == -ERANGE || r == -EBADMSG);
    r = parse_at(s, strlen(s), (time_t)INT64_MIN, &t);
    ck_assert(r == -ERANGE || r == -EBADMSG);
}
END_TEST

/* Every proper prefix of a valid date is rejected, read from an exact-size
 * allocation (no over-read), and so is every one-byte extension. */
START_TEST(test_http_date_prefixes_and_extensions)
{
    static const char *const good[] = {
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Wednesday, 09-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
    };
    for (size_t g = 0; g < 3; g++) {
        size_t n = strlen(good[g]);
        for (size_t k = 0; k < n; k++) {
            time_t t;
            ck_assert_msg(parse_at(good[g], k, NOW_2026, &t) == -EBADMSG, "prefix %zu of %s", k,
                          good[g]);
        }
        char ext[64];
        for (int c = 1; c < 256; c++) {
            if (c == ' ' || c == '\t')
                continue;
            memcpy(ext, good[g], n);
            ext[n] = (char)c;
            time_t t;
            ck_assert_int_eq(parse_at(ext, n + 1, NOW_2026, &t), -EBADMSG);
        }
    }
}
END_TEST

/* No dependence on TZ: results are the same in another zone. */
START_TEST(test_http_date_ignores_tz)
{
    setenv("TZ", "America/New_York", 1);
    tzset();
    char buf[HTTP_DATE_BUFSZ];
    ck_assert_int_eq(http_date_format(784111777, buf, sizeof(buf)), 0);
    ck_assert_str_eq(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
    time_t t;
    ck_assert_int_eq(parse("Sun, 06 Nov 1994 08:49:37 GMT", &t), 0);
    ck_assert_int_eq((long long)t, 784111777);
}
END_TEST

static Suite *http_date_suite(void)
{
    Suite *s = suite_create("http_date");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_http_date_format_golden);
    tcase_add_test(tc, test_http_date_format_limits);
    tcase_add_test(tc, test_http_date_differential_gmtime);
    tcase_add_test(tc, test_http_date_every_day_of_a_cycle);
    tcase_add_test(tc, test_http_date_parse_three_forms);
    tcase_add_test(tc, test_http_date_parse_rejects);
    tcase_add_test(tc, test_http_date_feb29);
    tcase_add_test(tc, test_http_date_boundaries);
    tcase_add_test(tc, test_http_date_rfc850_year_window);
    tcase_add_test(tc, test_http_date_prefixes_and_extensions);
    tcase_add_test(tc, test_http_date_ignores_tz);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(http_date_suite)
