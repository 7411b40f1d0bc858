#include <errno.h>
#include <stdio.h>

#include "common/cli.h"
#include "common/log.h"
#include "testutil.h"

static int port_seen;

static int extra(void *ud, int opt, const char *arg)
{
    (void)ud;
    if (opt == 'p') {
        port_seen = atoi(arg);
        return 0;
    }
    return -EINVAL;
}

static const struct option extra_long[] = {{"port", required_argument, NULL, 'p'}, {0}};

static const struct cli_prog prog = {
    .name = "labnet-test",
    .summary = "test program",
    .args = "[name]",
    .extra_help = "  -p, --port N       port\n",
    .is_daemon = true,
    .extra_short = "p:",
    .extra_long = extra_long,
    .extra = extra,
};

#define ARGV(...)     ((char *[]){"labnet-test", __VA_ARGS__, NULL})
#define ARGC(...)     ((int)(sizeof((char *[]){"labnet-test", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(o, ...) cli_parse(&prog, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), o)

START_TEST(test_cli_common_options)
{
    struct cli_opts o;
    ck_assert_int_eq(PARSE(&o, "-c", "/etc/labnet/x.conf", "-t", "-f", "-v", "-v"), 0);
    ck_assert_str_eq(o.config_path, "/etc/labnet/x.conf");
    ck_assert(o.test_config);
    ck_assert(o.foreground);
    ck_assert_int_eq(o.log_level, LOG_LVL_DEBUG); /* INFO + 2, capped */
    ck_assert_int_eq(PARSE(&o, "--config=a.conf", "--quiet", "--quiet", "--foreground"), 0);
    ck_assert_str_eq(o.config_path, "a.conf");
    ck_assert_int_eq(o.log_level, LOG_LVL_WARN); /* INFO - 2 */
    ck_assert(!o.test_config);
}
END_TEST

START_TEST(test_cli_extra_options_and_positionals)
{
    struct cli_opts o;
    port_seen = 0;
    ck_assert_int_eq(PARSE(&o, "www.lab", "-p", "8080", "AAAA"), 0);
    ck_assert_int_eq(port_seen, 8080);
    /* getopt permutes: positionals end up after the options. */
    ck_assert_int_eq(o.argi, 3);
}
END_TEST

START_TEST(test_cli_help_and_version_exit_zero)
{
    struct cli_opts o;
    fflush(stdout);
    ck_assert_ptr_nonnull(freopen("/dev/null", "w", stdout));
    ck_assert_int_eq(PARSE(&o, "--help"), 1);
    ck_assert_int_eq(PARSE(&o, "--version"), 1);
    ck_assert_int_eq(PARSE(&o, "-h"), 1);
}
END_TEST

START_TEST(test_cli_usage_errors)
{
    struct cli_opts o;
    ck_assert_ptr_nonnull(freopen("/dev/null", "w", stderr));
    ck_assert_int_eq(PARSE(&o, "-x"), -EINVAL);
    ck_assert_int_eq(PARSE(&o, "-c"), -EINVAL);
    ck_assert_int_eq(PARSE(&o, "--bogus"), -EINVAL);
    ck_assert_int_eq(PARSE(&o, "--port"), -EINVAL);
}
END_TEST

static const char *jar_seen;

static int jar_extra(void *ud, int opt, const char *arg)
{
    (void)ud;
    if (opt == 'c') {
        jar_seen = arg;
        return 0;
    }
    return -EINVAL;
}

/* labnet-fetch takes -c for curl's cookie jar; --config stays the config. */
START_TEST(test_cli_config_long_only)
{
    static const struct cli_prog fetch = {
        .name = "labnet-fetch",
        .summary = "x",
        .config_long_only = true,
        .extra_short = "c:",
        .extra = jar_extra,
    };
    struct cli_opts o;
    char *argv[] = {"labnet-fetch", "-c", "jar.txt", "--config", "f.conf", "http://x/", NULL};
    jar_seen = NULL;
    ck_assert_int_eq(cli_parse(&fetch, 6, argv, &o), 0);
    ck_assert_str_eq(jar_seen, "jar.txt");
    ck_assert_str_eq(o.config_path, "f.conf");
    char *argv2[] = {"labnet-fetch", "--config=g.conf", NULL};
    ck_assert_int_eq(cli_parse(&fetch, 2, argv2, &o), 0);
    ck_assert_str_eq(o.config_path, "g.conf");
    /* And for everyone else -c is the config file. */
    struct cli_opts o2;
    ck_assert_int_eq(PARSE(&o2, "-c", "h.conf"), 0);
    ck_assert_str_eq(o2.config_path, "h.conf");
}
END_TEST

START_TEST(test_cli_usage_lists_options)
{
    char buf[2048] = {0};
    FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
    ck_assert_ptr_nonnull(f);
    cli_usage(&prog, f);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "Usage: labnet-test [options] [name]"));
    ck_assert_ptr_nonnull(strstr(buf, "--test"));
    ck_assert_ptr_nonnull(strstr(buf, "--foreground"));
    ck_assert_ptr_nonnull(strstr(buf, "--port N"));
}
END_TEST

static Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_cli_common_options);
    tcase_add_test(tc, test_cli_extra_options_and_positionals);
    tcase_add_test(tc, test_cli_help_and_version_exit_zero);
    tcase_add_test(tc, test_cli_usage_errors);
    tcase_add_test(tc, test_cli_usage_lists_options);
    tcase_add_test(tc, test_cli_config_long_only);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(cli_suite)
