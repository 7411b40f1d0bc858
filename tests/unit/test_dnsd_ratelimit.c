/* dnsd rate limit: token bucket per client address, slip, bounded table. */
#include "testutil.h"

#include "dnsd/ratelimit.h"

static struct net_addr ip(const char *s)
{
    struct net_addr a;
    ck_assert_int_eq(net_addr_parse_ip(&a, s), 0);
    return a;
}

START_TEST(test_dnsd_ratelimit_bucket_refills)
{
    struct ratelimit *rl = ratelimit_new(10, 0, 100);
    ck_assert_ptr_nonnull(rl);
    struct net_addr a = ip("10.0.0.1");
    uint64_t t = 1000000;
    /* A full bucket: one second's worth passes at once. */
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(ratelimit_check(rl, &a, t), RATELIMIT_PASS);
    ck_assert_int_eq(ratelimit_check(rl, &a, t), RATELIMIT_DROP);
    ck_assert_int_eq(ratelimit_check(rl, &a, t + 50), RATELIMIT_DROP);
    /* 100 ms later one token (10/s) is back. */
    ck_assert_int_eq(ratelimit_check(rl, &a, t + 100), RATELIMIT_PASS);
    ck_assert_int_eq(ratelimit_check(rl, &a, t + 100), RATELIMIT_DROP);
    /* Others are still served. */
    struct net_addr b = ip("10.0.0.2");
    ck_assert_int_eq(ratelimit_check(rl, &b, t + 100), RATELIMIT_PASS);
    /* A long pause refills to the cap only. */
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(ratelimit_check(rl, &a, t + 100000), RATELIMIT_PASS);
    ck_assert_int_eq(ratelimit_check(rl, &a, t + 100000), RATELIMIT_DROP);
    /* Half used, then a long pause: back to the cap, not beyond. */
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(ratelimit_check(rl, &a, t + 200000), RATELIMIT_PASS);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(ratelimit_check(rl, &a, t + 300000), RATELIMIT_PASS);
    ck_assert_int_eq(ratelimit_check(rl, &a, t + 300000), RATELIMIT_DROP);
    /* A clock going backwards gives nothing. */
    ck_assert_int_eq(ratelimit_check(rl, &a, t + 250000), RATELIMIT_DROP);
    ratelimit_free(rl);
}
END_TEST

START_TEST(test_dnsd_ratelimit_slip_every_nth)
{
    struct ratelimit *rl = ratelimit_new(1, 2, 100);
    struct net_addr a = ip("2001:db8::1");
    ck_assert_int_eq(ratelimit_check(rl, &a, 5000), RATELIMIT_PASS);
    ck_assert_int_eq(ratelimit_check(rl, &a, 5000), RATELIMIT_DROP);
    ck_assert_int_eq(ratelimit_check(rl, &a, 5000), RATELIMIT_SLIP);
    ck_assert_int_eq(ratelimit_check(rl, &a, 5000), RATELIMIT_DROP);
    ck_assert_int_eq(ratelimit_check(rl, &a, 5000), RATELIMIT_SLIP);
    ratelimit_free(rl);
}
END_TEST

START_TEST(test_dnsd_ratelimit_mapped_is_ipv4)
{
    struct ratelimit *rl = ratelimit_new(1, 0, 100);
    struct net_addr a = ip("192.0.2.1"), m = ip("::ffff:192.0.2.1");
    ck_assert_int_eq(ratelimit_check(rl, &a, 1000), RATELIMIT_PASS);
    ck_assert_int_eq(ratelimit_check(rl, &m, 1000), RATELIMIT_DROP);
    ratelimit_free(rl);
}
END_TEST

START_TEST(test_dnsd_ratelimit_table_bounded_forgets_idle)
{
    /* Many more clients than room: memory stays fixed, and a client that
     * was pushed out comes back with a full bucket (never worse off). */
    struct ratelimit *rl = ratelimit_new(2, 0, 64);
    struct net_addr a = ip("10.9.9.9");
    ck_assert_int_eq(ratelimit_check(rl, &a, 1000), RATELIMIT_PASS);
    ck_assert_int_eq(ratelimit_check(rl, &a, 1000), RATELIMIT_PASS);
    ck_assert_int_eq(ratelimit_check(rl, &a, 1000), RATELIMIT_DROP);
    for (uint32_t i = 0; i < 100000; i++) {
        struct net_addr x = {.family = AF_INET};
        x.ip[0] = 10;
        x.ip[1] = (uint8_t)(i >> 16);
        x.ip[2] = (uint8_t)(i >> 8);
        x.ip[3] = (uint8_t)i;
        (void)ratelimit_check(rl, &x, 1001 + i / 1000);
    }
    /* Either forgotten (full bucket) or refilled by the time passed. */
    ck_assert_int_eq(ratelimit_check(rl, &a, 1101), RATELIMIT_PASS);
    ratelimit_free(rl);
    ratelimit_free(NULL);
}
END_TEST

static Suite *dnsd_ratelimit_suite(void)
{
    Suite *s = suite_create("dnsd_ratelimit");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_dnsd_ratelimit_bucket_refills);
    tcase_add_test(tc, test_dnsd_ratelimit_slip_every_nth);
    tcase_add_test(tc, test_dnsd_ratelimit_mapped_is_ipv4);
    tcase_add_test(tc, test_dnsd_ratelimit_table_bounded_forgets_idle);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dnsd_ratelimit_suite)
