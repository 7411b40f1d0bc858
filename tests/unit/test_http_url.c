#include <errno.h>

#include "common/http_url.h"
#include "testutil.h"

START_TEST(test_http_url_parse_forms)
{
    struct http_url u;
    ck_assert_int_eq(http_url_parse("http://www.lab/a/b?c=d#frag", &u), 0);
    ck_assert_str_eq(u.host, "www.lab");
    ck_assert_uint_eq(u.port, 80);
    ck_assert_str_eq(u.target, "/a/b?c=d");
    ck_assert_int_eq(http_url_parse("HTTP://10.0.0.1:8080", &u), 0);
    ck_assert_str_eq(u.host, "10.0.0.1");
    ck_assert_uint_eq(u.port, 8080);
    ck_assert_str_eq(u.target, "/");
    ck_assert_int_eq(http_url_parse("http://[::1]:8080/x", &u), 0);
    ck_assert_str_eq(u.host, "::1");
    ck_assert(u.host_is_v6);
    char h[64];
    http_url_host_header(&u, h, sizeof(h));
    ck_assert_str_eq(h, "[::1]:8080");
    ck_assert_int_eq(http_url_parse("localhost:8080/p", &u), 0);
    ck_assert_str_eq(u.target, "/p");
    ck_assert_int_eq(http_url_parse("http://h?q=1", &u), 0);
    ck_assert_str_eq(u.target, "/?q=1");
    http_url_host_header(&u, h, sizeof(h));
    ck_assert_str_eq(h, "h");
}
END_TEST

START_TEST(test_http_url_rejects)
{
    struct http_url u;
    ck_assert_int_eq(http_url_parse("https://x/", &u), -ENOTSUP);
    ck_assert_int_eq(http_url_parse("ftp://x/", &u), -ENOTSUP);
    ck_assert_int_eq(http_url_parse("http://user:pw@x/", &u), -ENOTSUP);
    const char *bad[] = {"http://",       "http://:80/",   "http://x:0/",   "http://x:65536/",
                         "http://x:8a/",  "http://[::1/",  "http://[::g]/", "http://x/a b",
                         "http://x/\x01", "http://a_b$c/", "http://x:/"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(http_url_parse(bad[i], &u) == -EBADMSG, "accepted %s", bad[i]);
}
END_TEST

START_TEST(test_http_url_resolve_location)
{
    struct http_url base, out;
    ck_assert_int_eq(http_url_parse("http://lab:8080/dir/page?x=1", &base), 0);
    ck_assert_int_eq(http_url_resolve(&base, "/other", 6, &out), 0);
    ck_assert_str_eq(out.host, "lab");
    ck_assert_uint_eq(out.port, 8080);
    ck_assert_str_eq(out.target, "/other");
    ck_assert_int_eq(http_url_resolve(&base, "next?y", 6, &out), 0);
    ck_assert_str_eq(out.target, "/dir/next?y");
    ck_assert_int_eq(http_url_resolve(&base, "http://b/c", 10, &out), 0);
    ck_assert_str_eq(out.host, "b");
    ck_assert_uint_eq(out.port, 80);
    ck_assert_int_eq(http_url_resolve(&base, "//c:81/d", 8, &out), 0);
    ck_assert_str_eq(out.host, "c");
    ck_assert_uint_eq(out.port, 81);
    ck_assert_int_eq(http_url_resolve(&base, "https://x/", 10, &out), -ENOTSUP);
    ck_assert_int_eq(http_url_resolve(&base, "/a\r\nX: y", 9, &out), -EBADMSG);
    ck_assert_int_eq(http_url_resolve(&base, "", 0, &out), -EBADMSG);
}
END_TEST

static Suite *url_suite(void)
{
    Suite *s = suite_create("http_url");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_http_url_parse_forms);
    tcase_add_test(tc, test_http_url_rejects);
    tcase_add_test(tc, test_http_url_resolve_location);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(url_suite)
