/* dnsd access control: longest prefix wins, later rules win ties, the
 * built-in rules allow loopback only. */
#include "testutil.h"

#include <errno.h>

#include "dnsd/acl.h"

static struct net_addr ip(const char *s)
{
    struct net_addr a;
    ck_assert_int_eq(net_addr_parse_ip(&a, s), 0);
    return a;
}

static struct net_cidr cidr(const char *s)
{
    struct net_cidr c;
    ck_assert_int_eq(net_cidr_parse(&c, s), 0);
    return c;
}

START_TEST(test_dnsd_acl_default_is_loopback_only)
{
    struct acl a;
    acl_init(&a);
    struct net_addr v4lo = ip("127.0.0.1"), v4lo2 = ip("127.3.4.5"), v6lo = ip("::1");
    struct net_addr lan = ip("10.0.0.1"), pub = ip("192.0.2.7"), v6 = ip("2001:db8::1");
    struct net_addr mapped = ip("::ffff:127.0.0.1"), mapped_pub = ip("::ffff:192.0.2.7");
    ck_assert_int_eq(acl_addr_check(&a, &v4lo), ACL_ALLOW);
    ck_assert_int_eq(acl_addr_check(&a, &v4lo2), ACL_ALLOW);
    ck_assert_int_eq(acl_addr_check(&a, &v6lo), ACL_ALLOW);
    ck_assert_int_eq(acl_addr_check(&a, &mapped), ACL_ALLOW);
    /* Never an open resolver. */
    ck_assert_int_eq(acl_addr_check(&a, &lan), ACL_REFUSE);
    ck_assert_int_eq(acl_addr_check(&a, &pub), ACL_REFUSE);
    ck_assert_int_eq(acl_addr_check(&a, &v6), ACL_REFUSE);
    ck_assert_int_eq(acl_addr_check(&a, &mapped_pub), ACL_REFUSE);
    ck_assert_str_eq(acl_action_name(ACL_DENY), "deny");
}
END_TEST

START_TEST(test_dnsd_acl_longest_prefix_wins)
{
    struct acl a;
    acl_init(&a);
    struct net_cidr c = cidr("10.0.0.0/8");
    ck_assert_int_eq(acl_rule_add(&a, &c, ACL_ALLOW), 0);
    c = cidr("10.66.0.0/16");
    ck_assert_int_eq(acl_rule_add(&a, &c, ACL_DENY), 0);
    c = cidr("10.66.1.0/24");
    ck_assert_int_eq(acl_rule_add(&a, &c, ACL_REFUSE), 0);
    c = cidr("10.66.1.7");
    ck_assert_int_eq(acl_rule_add(&a, &c, ACL_ALLOW), 0);
    /* A shorter rule added later does not override a longer one. */
    c = cidr("10.0.0.0/9");
    ck_assert_int_eq(acl_rule_add(&a, &c, ACL_ALLOW), 0);
    struct net_addr x = ip("10.1.2.3");
    ck_assert_int_eq(acl_addr_check(&a, &x), ACL_ALLOW);
    x = ip("10.66.9.9");
    ck_assert_int_eq(acl_addr_check(&a, &x), ACL_DENY);
    x = ip("10.66.1.8");
    ck_assert_int_eq(acl_addr_check(&a, &x), ACL_REFUSE);
    x = ip("10.66.1.7");
    ck_assert_int_eq(acl_addr_check(&a, &x), ACL_ALLOW);
    x = ip("::ffff:10.66.9.9"); /* a mapped client meets IPv4 rules */
    ck_assert_int_eq(acl_addr_check(&a, &x), ACL_DENY);
    x = ip("11.0.0.1");
    ck_assert_int_eq(acl_addr_check(&a, &x), ACL_REFUSE);
}
END_TEST

START_TEST(test_dnsd_acl_configured_rules_override_builtin)
{
    struct acl a;
    acl_init(&a);
    struct net_cidr c = cidr("127.0.0.0/8");
    ck_assert_int_eq(acl_rule_add(&a, &c, ACL_DENY), 0);
    c = cidr("::/0");
    ck_assert_int_eq(acl_rule_add(&a, &c, ACL_ALLOW), 0);
    struct net_addr x = ip("127.0.0.1");
    ck_assert_int_eq(acl_addr_check(&a, &x), ACL_DENY);
    x = ip("::1"); /* /128 built-in beats ::/0 */
    ck_assert_int_eq(acl_addr_check(&a, &x), ACL_ALLOW);
    x = ip("2001:db8::5");
    ck_assert_int_eq(acl_addr_check(&a, &x), ACL_ALLOW);
    x = ip("192.0.2.1"); /* ::/0 is IPv6 only */
    ck_assert_int_eq(acl_addr_check(&a, &x), ACL_REFUSE);
}
END_TEST

START_TEST(test_dnsd_acl_capacity_is_bounded)
{
    struct acl a;
    acl_init(&a);
    struct net_cidr c = cidr("10.0.0.0/8");
    while (a.n < ACL_MAX_RULES)
        ck_assert_int_eq(acl_rule_add(&a, &c, ACL_ALLOW), 0);
    ck_assert_int_eq(acl_rule_add(&a, &c, ACL_ALLOW), -E2BIG);
    ck_assert_uint_eq(a.n, ACL_MAX_RULES);
}
END_TEST

static Suite *dnsd_acl_suite(void)
{
    Suite *s = suite_create("dnsd_acl");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_dnsd_acl_default_is_loopback_only);
    tcase_add_test(tc, test_dnsd_acl_longest_prefix_wins);
    tcase_add_test(tc, test_dnsd_acl_configured_rules_override_builtin);
    tcase_add_test(tc, test_dnsd_acl_capacity_is_bounded);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dnsd_acl_suite)
