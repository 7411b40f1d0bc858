#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "testutil.h"

/* Runs fn with log output captured from a pipe; returns what was written. */
static char captured[4096];

static const char *capture_begin(int *fds)
{
    ck_assert_int_eq(pipe(fds), 0);
    return captured;
}

static const char *capture_end(int *fds)
{
    close(fds[1]);
    ssize_t n = read(fds[0], captured, sizeof(captured) - 1);
    close(fds[0]);
    captured[n > 0 ? n : 0] = '\0';
    return captured;
}

START_TEST(test_log_stderr_form_has_timestamp_ident_level)
{
    int fds[2];
    capture_begin(fds);
    log_init("/usr/sbin/labnet-test", LOG_LVL_INFO);
    log_set_output(fds[1], false);
    log_warn("disk %s", "full");
    const char *out = capture_end(fds);
    /* 2026-11-24T04:55:35.123Z labnet-test[pid] warn: disk full */
    ck_assert_int_eq(out[4], '-');
    ck_assert_int_eq(out[10], 'T');
    ck_assert_int_eq(out[23], 'Z');
    char want[64];
    snprintf(want, sizeof(want), " labnet-test[%ld] warn: disk full\n", (long)getpid());
    ck_assert_str_eq(out + 24, want);
}
END_TEST

START_TEST(test_log_journal_form_has_priority_prefix)
{
    int fds[2];
    capture_begin(fds);
    log_init("t", LOG_LVL_DEBUG);
    log_set_output(fds[1], true);
    log_err("a");
    log_debug("b %d", 2);
    const char *out = capture_end(fds);
    ck_assert_str_eq(out, "<3>a\n<7>b 2\n");
}
END_TEST

START_TEST(test_log_level_filters)
{
    int fds[2];
    capture_begin(fds);
    log_init("t", LOG_LVL_WARN);
    log_set_output(fds[1], true);
    log_info("hidden");
    log_debug("hidden");
    log_warn("shown");
    ck_assert(!log_enabled(LOG_LVL_INFO));
    const char *out = capture_end(fds);
    ck_assert_str_eq(out, "<4>shown\n");
}
END_TEST

START_TEST(test_log_one_line_per_event)
{
    int fds[2];
    capture_begin(fds);
    log_init("t", LOG_LVL_INFO);
    log_set_output(fds[1], true);
    /* A peer-supplied string with a newline must not forge a second entry. */
    log_notice("query for %s", "evil\n<0>forged\x1b[31m");
    char big[3000];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    log_notice("%s", big);
    const char *out = capture_end(fds);
    ck_assert_ptr_nonnull(strstr(out, "<5>query for evil?<0>forged?[31m\n"));
    const char *second = strchr(out, '\n') + 1;
    ck_assert_int_eq(second[0], '<');
    const char *end = strchr(second, '\n');
    ck_assert_ptr_nonnull(end);
    ck_assert_int_eq(end[1], '\0');
    ck_assert(end - second < 1024);
    ck_assert_int_eq(strncmp(end - 3, "...", 3), 0);
}
END_TEST

START_TEST(test_log_journal_detection)
{
    struct stat st;
    ck_assert_int_eq(fstat(STDERR_FILENO, &st), 0);
    char env[64];
    snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    int fds[2];
    /* JOURNAL_STREAM names stderr: journal form. */
    setenv("JOURNAL_STREAM", env, 1);
    log_init("t", LOG_LVL_INFO);
    capture_begin(fds);
    dup2(fds[1], STDERR_FILENO);
    log_info("x");
    const char *out = capture_end(fds);
    ck_assert_str_eq(out, "<6>x\n");
    /* Stale variable (stderr is now another file): plain form. */
    log_init("t", LOG_LVL_INFO);
    capture_begin(fds);
    log_set_output(fds[1], false);
    log_info("y");
    out = capture_end(fds);
    ck_assert_int_ne(out[0], '<');
    unsetenv("JOURNAL_STREAM");
}
END_TEST

START_TEST(test_log_ratelimit)
{
    struct log_ratelimit rl = {0};
    uint32_t supp = 99;
    ck_assert(log_ratelimit_allow(&rl, 1000, 2, 1000, &supp));
    ck_assert_uint_eq(supp, 0);
    ck_assert(log_ratelimit_allow(&rl, 1001, 2, 1000, NULL));
    ck_assert(!log_ratelimit_allow(&rl, 1002, 2, 1000, NULL));
    ck_assert(!log_ratelimit_allow(&rl, 1999, 2, 1000, NULL));
    ck_assert(log_ratelimit_allow(&rl, 2000, 2, 1000, &supp));
    ck_assert_uint_eq(supp, 2);
    /* A clock that goes backwards starts a new window rather than
     * silencing the call site forever. */
    ck_assert(log_ratelimit_allow(&rl, 5, 2, 1000, NULL));
}
END_TEST

static Suite *log_suite(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_log_stderr_form_has_timestamp_ident_level);
    tcase_add_test(tc, test_log_journal_form_has_priority_prefix);
    tcase_add_test(tc, test_log_level_filters);
    tcase_add_test(tc, test_log_one_line_per_event);
    tcase_add_test(tc, test_log_journal_detection);
    tcase_add_test(tc, test_log_ratelimit);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(log_suite)
