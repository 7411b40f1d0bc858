#include <arpa/inet.h>
#include <errno.h>

#include "common/addr.h"
#include "testutil.h"

static void check_fmt(const struct net_addr *a, const char *want)
{
    char buf[NET_ADDR_STRLEN];
    ck_assert_int_eq(net_addr_format_port(a, buf, sizeof(buf)), 0);
    ck_assert_str_eq(buf, want);
}

START_TEST(test_addr_parse_ip_v4_v6)
{
    struct net_addr a;
    ck_assert_int_eq(net_addr_parse_ip(&a, "192.0.2.1"), 0);
    ck_assert_int_eq(a.family, AF_INET);
    ck_assert_uint_eq(a.ip[0], 192);
    ck_assert_uint_eq(a.ip[3], 1);
    ck_assert_int_eq(net_addr_parse_ip(&a, "2001:db8::1"), 0);
    ck_assert_int_eq(a.family, AF_INET6);
    ck_assert_uint_eq(a.ip[0], 0x20);
    ck_assert_uint_eq(a.ip[15], 1);
    ck_assert_int_eq(net_addr_parse_ip(&a, "fe80::1%7"), 0);
    ck_assert_uint_eq(a.scope_id, 7);
    ck_assert_int_eq(net_addr_parse_ip(&a, "fe80::1%lo"), 0);
    ck_assert_uint_ne(a.scope_id, 0);
}
END_TEST

START_TEST(test_addr_parse_ip_rejects_junk)
{
    const char *bad[] = {"",
                         "1.2.3",
                         "1.2.3.4.5",
                         "256.1.1.1",
                         "1.2.3.4 ",
                         " 1.2.3.4",
                         "::g",
                         "1.2.3.4:53",
                         "[::1]",
                         "fe80::1%",
                         "fe80::1%nosuchif0",
                         "01.2.3.4",
                         "1.2.3.4/8",
                         "aaaa:bbbb:cccc:dddd:eeee:ffff:0000:1111:2222"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct net_addr a;
        ck_assert_msg(net_addr_parse_ip(&a, bad[i]) == -EINVAL, "accepted \"%s\"", bad[i]);
    }
    struct net_addr a;
    ck_assert_int_eq(net_addr_parse_ip(&a, NULL), -EINVAL);
}
END_TEST

START_TEST(test_addr_parse_hostport_forms)
{
    struct net_addr a;
    ck_assert_int_eq(net_addr_parse_hostport(&a, "127.0.0.1", 53), 0);
    check_fmt(&a, "127.0.0.1:53");
    ck_assert_int_eq(net_addr_parse_hostport(&a, "127.0.0.1:5353", 53), 0);
    check_fmt(&a, "127.0.0.1:5353");
    ck_assert_int_eq(net_addr_parse_hostport(&a, "::1", 53), 0);
    check_fmt(&a, "[::1]:53");
    ck_assert_int_eq(net_addr_parse_hostport(&a, "[::1]", 80), 0);
    check_fmt(&a, "[::1]:80");
    ck_assert_int_eq(net_addr_parse_hostport(&a, "[2001:db8::5]:65535", 53), 0);
    check_fmt(&a, "[2001:db8::5]:65535");
    ck_assert_int_eq(net_addr_parse_hostport(&a, "0.0.0.0:0", 53), 0);
    ck_assert_uint_eq(a.port, 0);
    ck_assert(net_addr_is_any(&a));
}
END_TEST

START_TEST(test_addr_parse_hostport_rejects_junk)
{
    const char *bad[] = {
        "",           "1.2.3.4:",       "1.2.3.4:65536", "1.2.3.4:-1", "1.2.3.4:+5",
        "1.2.3.4:5x", "[::1",           "[::1]:",        "[::1]x",     "[1.2.3.4]:5",
        "::1:99999",  "1.2.3.4:000053", "host:53",       "[::1]:53:1", ":53"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct net_addr a;
        ck_assert_msg(net_addr_parse_hostport(&a, bad[i], 1) == -EINVAL, "accepted \"%s\"", bad[i]);
    }
}
END_TEST

START_TEST(test_addr_format_small_buffer)
{
    struct net_addr a;
    char buf[8] = "xxxxxxx";
    ck_assert_int_eq(net_addr_parse_hostport(&a, "[2001:db8::1]:53", 0), 0);
    ck_assert_int_eq(net_addr_format_port(&a, buf, sizeof(buf)), -ENOSPC);
    ck_assert_str_eq(buf, "");
    ck_assert_int_eq(net_addr_format(&a, buf, 4), -ENOSPC);
    ck_assert_str_eq(buf, "");
    struct net_addr unset = {0};
    ck_assert_int_eq(net_addr_format(&unset, buf, sizeof(buf)), -EINVAL);
}
END_TEST

START_TEST(test_addr_sockaddr_round_trip)
{
    const char *in[] = {"192.0.2.9:67", "[2001:db8::9]:547", "[fe80::1%3]:5"};
    for (size_t i = 0; i < 3; i++) {
        struct net_addr a, b;
        struct sockaddr_storage ss;
        ck_assert_int_eq(net_addr_parse_hostport(&a, in[i], 0), 0);
        ck_assert_uint_gt(net_addr_to_sockaddr(&a, &ss), 0);
        ck_assert_int_eq(net_addr_from_sockaddr(&b, (struct sockaddr *)&ss), 0);
        ck_assert(net_addr_eq(&a, &b));
        char buf[NET_ADDR_STRLEN];
        ck_assert_int_eq(net_addr_format_port(&b, buf, sizeof(buf)), 0);
        ck_assert_str_eq(buf, in[i]);
    }
    struct sockaddr_storage ss;
    struct net_addr unset = {0};
    ck_assert_uint_eq(net_addr_to_sockaddr(&unset, &ss), 0);
    ss.ss_family = AF_UNIX;
    ck_assert_int_eq(net_addr_from_sockaddr(&unset, (struct sockaddr *)&ss), -EAFNOSUPPORT);
}
END_TEST

START_TEST(test_addr_unmap_and_loopback)
{
    struct net_addr a;
    ck_assert_int_eq(net_addr_parse_ip(&a, "::ffff:127.0.0.2"), 0);
    ck_assert(net_addr_is_loopback(&a));
    net_addr_unmap(&a);
    ck_assert_int_eq(a.family, AF_INET);
    check_fmt(&a, "127.0.0.2:0");
    ck_assert(net_addr_is_loopback(&a));
    ck_assert_int_eq(net_addr_parse_ip(&a, "::1"), 0);
    ck_assert(net_addr_is_loopback(&a));
    ck_assert_int_eq(net_addr_parse_ip(&a, "::2"), 0);
    ck_assert(!net_addr_is_loopback(&a));
    ck_assert_int_eq(net_addr_parse_ip(&a, "10.0.0.1"), 0);
    ck_assert(!net_addr_is_loopback(&a));
}
END_TEST

START_TEST(test_cidr_parse_and_contains)
{
    struct net_cidr c;
    struct net_addr a;
    char buf[NET_ADDR_STRLEN];
    ck_assert_int_eq(net_cidr_parse(&c, "10.1.2.3/8"), 0);
    ck_assert_int_eq(net_cidr_format(&c, buf, sizeof(buf)), 0);
    ck_assert_str_eq(buf, "10.0.0.0/8"); /* host bits cleared */
    net_addr_parse_ip(&a, "10.255.0.1");
    ck_assert(net_cidr_contains(&c, &a));
    net_addr_parse_ip(&a, "11.0.0.0");
    ck_assert(!net_cidr_contains(&c, &a));
    net_addr_parse_ip(&a, "::ffff:10.9.9.9"); /* dual-stack socket view */
    ck_assert(net_cidr_contains(&c, &a));
    net_addr_parse_ip(&a, "2001:db8::1");
    ck_assert(!net_cidr_contains(&c, &a));

    ck_assert_int_eq(net_cidr_parse(&c, "192.168.1.128/25"), 0);
    net_addr_parse_ip(&a, "192.168.1.127");
    ck_assert(!net_cidr_contains(&c, &a));
    net_addr_parse_ip(&a, "192.168.1.255");
    ck_assert(net_cidr_contains(&c, &a));

    ck_assert_int_eq(net_cidr_parse(&c, "2001:db8::/33"), 0);
    net_addr_parse_ip(&a, "2001:db8:7fff::1");
    ck_assert(net_cidr_contains(&c, &a));
    net_addr_parse_ip(&a, "2001:db8:8000::1");
    ck_assert(!net_cidr_contains(&c, &a));

    ck_assert_int_eq(net_cidr_parse(&c, "0.0.0.0/0"), 0);
    net_addr_parse_ip(&a, "203.0.113.7");
    ck_assert(net_cidr_contains(&c, &a));
    ck_assert_int_eq(net_cidr_parse(&c, "::/0"), 0);
    ck_assert(!net_cidr_contains(&c, &a)); /* IPv6 prefix, IPv4 address */

    ck_assert_int_eq(net_cidr_parse(&c, "192.0.2.7"), 0);
    ck_assert_uint_eq(c.prefix, 32);
    net_addr_parse_ip(&a, "192.0.2.7");
    ck_assert(net_cidr_contains(&c, &a));
    net_addr_parse_ip(&a, "192.0.2.6");
    ck_assert(!net_cidr_contains(&c, &a));
}
END_TEST

START_TEST(test_cidr_rejects_junk)
{
    const char *bad[] = {"10.0.0.0/33", "::/129",   "10.0.0.0/",   "10.0.0.0/-1",   "10.0.0.0/8x",
                         "/8",          "10.0.0/8", "fe80::%1/64", "10.0.0.0/0008", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct net_cidr c;
        ck_assert_msg(net_cidr_parse(&c, bad[i]) == -EINVAL, "accepted \"%s\"", bad[i]);
    }
}
END_TEST

static Suite *addr_suite(void)
{
    Suite *s = suite_create("addr");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_addr_parse_ip_v4_v6);
    tcase_add_test(tc, test_addr_parse_ip_rejects_junk);
    tcase_add_test(tc, test_addr_parse_hostport_forms);
    tcase_add_test(tc, test_addr_parse_hostport_rejects_junk);
    tcase_add_test(tc, test_addr_format_small_buffer);
    tcase_add_test(tc, test_addr_sockaddr_round_trip);
    tcase_add_test(tc, test_addr_unmap_and_loopback);
    tcase_add_test(tc, test_cidr_parse_and_contains);
    tcase_add_test(tc, test_cidr_rejects_junk);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(addr_suite)
