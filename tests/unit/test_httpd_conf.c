/* Tests for httpd/conf: values that are words, not paths. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "httpd/conf.h"
#include "testutil.h"

static struct httpd_conf *load(const char *text, char *dir)
{
    strcpy(dir, "/tmp/labnet-httpd-conf-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/httpd.conf", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "[server]\nroot = %s\n%s", dir, text);
    fclose(f);
    struct httpd_conf *c = NULL;
    ck_assert_int_eq(httpd_conf_load(path, NULL, &c), 0);
    unlink(path);
    return c;
}

START_TEST(test_httpd_conf_access_log_off)
{
    char dir[64];
    /* "off" turns the log off; it is not a file named "off" next to the
     * configuration (a bug the benchmark found). */
    struct httpd_conf *c = load("access-log = off\n", dir);
    ck_assert_str_eq(c->access_log, "");
    httpd_conf_release(c);
    rmdir(dir);
    /* A relative path is relative to the configuration file's folder. */
    c = load("access-log = access.log\n", dir);
    char want[128];
    snprintf(want, sizeof(want), "%s/access.log", dir);
    ck_assert_str_eq(c->access_log, want);
    httpd_conf_release(c);
    rmdir(dir);
}
END_TEST

static Suite *httpd_conf_suite(void)
{
    Suite *s = suite_create("httpd_conf");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_httpd_conf_access_log_off);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(httpd_conf_suite)
