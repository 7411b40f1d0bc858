/* labnet-fetch's cookie jar: RFC 6265 storage and matching, and the
 * Netscape file format round trip. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "clients/cookiejar.h"
#include "testutil.h"

static struct http_url url(const char *s)
{
    struct http_url u;
    ck_assert_int_eq(http_url_parse(s, &u), 0);
    return u;
}

static const char *header(struct cookiejar *j, const char *s, time_t now)
{
    static char buf[1024];
    struct http_url u = url(s);
    cookiejar_header(j, &u, now, buf, sizeof(buf));
    return buf;
}

#define STORE(j, u, v, now)                         \
    do {                                            \
        struct http_url u_ = url(u);                \
        cookiejar_store(j, &u_, v, strlen(v), now); \
    } while (0)

START_TEST(test_cookiejar_host_only_and_domain)
{
    struct cookiejar j;
    cookiejar_init(&j);
    STORE(&j, "http://www.lab/", "a=1", 1000);
    STORE(&j, "http://www.lab/", "b=2; Domain=lab", 1000);
    ck_assert_str_eq(header(&j, "http://www.lab/x", 1000), "a=1; b=2");
    /* Host-only a=1 is not sent to a sibling; domain cookie b=2 is. */
    ck_assert_str_eq(header(&j, "http://mail.lab/", 1000), "b=2");
    ck_assert_str_eq(header(&j, "http://evil-lab/", 1000), "");
    /* A Domain the host is not inside is refused. */
    struct http_url u = url("http://www.lab/");
    ck_assert_int_eq(cookiejar_store(&j, &u, "c=3; Domain=other.org", 18, 1000), -EBADMSG);
    ck_assert_uint_eq(j.n, 2);
    cookiejar_free(&j);
}
END_TEST

START_TEST(test_cookiejar_path_and_order)
{
    struct cookiejar j;
    cookiejar_init(&j);
    STORE(&j, "http://h/docs/a/page", "deep=1", 0); /* default path /docs/a */
    STORE(&j, "http://h/", "root=1; Path=/", 0);
    STORE(&j, "http://h/", "docs=1; Path=/docs", 0);
    ck_assert_str_eq(header(&j, "http://h/docs/a/x", 0), "deep=1; docs=1; root=1");
    ck_assert_str_eq(header(&j, "http://h/docsX", 0), "root=1"); /* path-match needs a '/' */
    ck_assert_str_eq(header(&j, "http://h/docs", 0), "docs=1; root=1");
    cookiejar_free(&j);
}
END_TEST

START_TEST(test_cookiejar_expiry_secure_and_replace)
{
    struct cookiejar j;
    cookiejar_init(&j);
    STORE(&j, "http://h/", "a=1; Max-Age=10", 1000);
    STORE(&j, "http://h/", "s=1; Secure", 1000);
    STORE(&j, "http://h/", "e=1; Expires=Sun, 06 Nov 1994 08:49:37 GMT", 1000000000);
    ck_assert_str_eq(header(&j, "http://h/", 1005), "a=1"); /* never Secure over http */
    ck_assert_str_eq(header(&j, "http://h/", 1010), "");    /* Max-Age over */
    STORE(&j, "http://h/", "a=2; Max-Age=100", 1000);
    ck_assert_str_eq(header(&j, "http://h/", 1050), "a=2"); /* replaced, not added */
    STORE(&j, "http://h/", "a=x; Max-Age=0", 1050);         /* deletes */
    ck_assert_str_eq(header(&j, "http://h/", 1050), "");
    cookiejar_free(&j);
}
END_TEST

START_TEST(test_cookiejar_file_round_trip)
{
    char path[] = "/tmp/labnet-jar-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    struct cookiejar j;
    cookiejar_init(&j);
    STORE(&j, "http://www.lab/", "uid=abc.def; Path=/; HttpOnly; Max-Age=3600", 1000);
    STORE(&j, "http://www.lab/", "d=1; Domain=lab", 1000);
    ck_assert_int_eq(cookiejar_save(&j, path, 1000), 0);
    cookiejar_free(&j);
    FILE *f = fopen(path, "r");
    char text[1024] = {0};
    ck_assert_uint_gt(fread(text, 1, sizeof(text) - 1, f), 0);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "#HttpOnly_www.lab\tFALSE\t/\tFALSE\t4600\tuid\tabc.def\n"));
    ck_assert_ptr_nonnull(strstr(text, ".lab\tTRUE\t/\tFALSE\t0\td\t1\n"));
    cookiejar_init(&j);
    ck_assert_int_eq(cookiejar_load(&j, path), 0);
    ck_assert_str_eq(header(&j, "http://www.lab/", 2000), "uid=abc.def; d=1");
    ck_assert_str_eq(header(&j, "http://x.lab/", 2000), "d=1");
    ck_assert(j.c[0].http_only);
    cookiejar_free(&j);
    unlink(path);
    cookiejar_init(&j);
    ck_assert_int_eq(cookiejar_load(&j, "/nonexistent/jar"), 0); /* missing = empty */
    ck_assert_uint_eq(j.n, 0);
}
END_TEST

static Suite *jar_suite(void)
{
    Suite *s = suite_create("clients_cookiejar");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_cookiejar_host_only_and_domain);
    tcase_add_test(tc, test_cookiejar_path_and_order);
    tcase_add_test(tc, test_cookiejar_expiry_secure_and_replace);
    tcase_add_test(tc, test_cookiejar_file_round_trip);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(jar_suite)
