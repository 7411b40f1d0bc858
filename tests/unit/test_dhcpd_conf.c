/* dhcpd configuration: defaults, every option, the command-line quick
 * setup, and the mistakes it must refuse. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dhcp_msg.h"
#include "dhcpd/conf.h"
#include "dhcpd/lease.h"
#include "testutil.h"

static const struct dhcpd_optref *opt(const struct dhcpd_subnet *s, uint8_t code)
{
    for (size_t i = 0; i < s->n_opts; i++)
        if (s->opts[i].code == code)
            return &s->opts[i];
    return NULL;
}

START_TEST(test_dhcpd_conf_defaults)
{
    struct dhcpd_conf *c;
    unsetenv("STATE_DIRECTORY");
    ck_assert_int_eq(dhcpd_conf_load_string("", NULL, &c), 0);
    ck_assert_str_eq(c->state_dir, "/var/lib/labnet");
    ck_assert_uint_eq(c->offer_hold_s, 5);
    ck_assert_uint_eq(c->n_subnets, 0);
    dhcpd_conf_free(c);
    /* systemd's StateDirectory= (several are ':'-separated). */
    setenv("STATE_DIRECTORY", "/var/lib/labnet-dhcpd:/var/lib/other", 1);
    ck_assert_int_eq(dhcpd_conf_load_string("", NULL, &c), 0);
    ck_assert_str_eq(c->state_dir, "/var/lib/labnet-dhcpd");
    dhcpd_conf_free(c);
    unsetenv("STATE_DIRECTORY");
}
END_TEST

START_TEST(test_dhcpd_conf_full_subnet)
{
    struct dhcpd_conf *c;
    ck_assert_int_eq(dhcpd_conf_load_string("[server]\n"
                                            "interfaces = eth0, eth1\n"
                                            "state-dir = /tmp/x\n"
                                            "decline-quarantine = 1h\n"
                                            "[subnet 192.168.7.0/24]\n"
                                            "pool = 192.168.7.100 - 192.168.7.199\n"
                                            "pool = 192.168.7.20-192.168.7.29\n"
                                            "router = 192.168.7.1\n"
                                            "dns = 192.168.7.1 9.9.9.9\n"
                                            "domain = home.test\n"
                                            "ntp = 192.168.7.1\n"
                                            "lease-time = 2h\n"
                                            "t1 = 30m\n"
                                            "t2 = 90m\n",
                                            NULL, &c),
                     0);
    ck_assert_uint_eq(c->n_ifaces, 2);
    ck_assert_str_eq(c->ifaces[1], "eth1");
    ck_assert_uint_eq(c->decline_quarantine_s, 3600);
    const struct dhcpd_subnet *s = &c->subnets[0];
    ck_assert_uint_eq(s->n_pools, 2);
    ck_assert_uint_eq(s->lease_s, 7200);
    ck_assert_uint_eq(s->t1_s, 1800);
    ck_assert_uint_eq(s->t2_s, 5400);
    ck_assert(dhcpd_subnet_in_pool(s, test_ip4("192.168.7.150")));
    ck_assert(!dhcpd_subnet_in_pool(s, test_ip4("192.168.7.50")));
    const struct dhcpd_optref *o = opt(s, DHCP_OPT_DNS_SERVERS);
    ck_assert_ptr_nonnull(o);
    ck_assert_uint_eq(o->len, 8);
    o = opt(s, DHCP_OPT_SUBNET_MASK);
    static const uint8_t mask[] = {255, 255, 255, 0};
    ck_assert_mem_eq(s->optbuf + o->off, mask, 4);
    o = opt(s, DHCP_OPT_BROADCAST);
    static const uint8_t bcast[] = {192, 168, 7, 255};
    ck_assert_mem_eq(s->optbuf + o->off, bcast, 4);
    ck_assert_ptr_eq(dhcpd_conf_subnet_of(c, test_ip4("192.168.7.3")), s);
    ck_assert_ptr_null(dhcpd_conf_subnet_of(c, test_ip4("192.168.8.3")));
    struct lease_table *t;
    ck_assert_int_eq(lease_table_new(c, &t), 0);
    ck_assert_uint_eq(t->n, 110);
    lease_table_free(t);
    dhcpd_conf_free(c);
}
END_TEST

START_TEST(test_dhcpd_conf_command_line)
{
    struct dhcpd_conf *c;
    struct dhcpd_overrides ov = {.iface = "veth0",
                                 .subnet = "10.0.0.0/24",
                                 .pool = "10.0.0.10-10.0.0.20",
                                 .router = "10.0.0.1",
                                 .dns = "10.0.0.1,10.0.0.2",
                                 .state_dir = "/tmp/s"};
    ck_assert_int_eq(dhcpd_conf_load_string("[subnet 172.16.0.0/16]\npool = 172.16.0.5\n", &ov, &c),
                     0);
    ck_assert_uint_eq(c->n_ifaces, 1);
    ck_assert_str_eq(c->ifaces[0], "veth0");
    ck_assert_str_eq(c->state_dir, "/tmp/s");
    ck_assert_uint_eq(c->n_subnets, 1); /* replaced the file's */
    ck_assert_uint_eq(c->subnets[0].net, test_ip4("10.0.0.0"));
    ck_assert_ptr_nonnull(opt(&c->subnets[0], DHCP_OPT_ROUTERS));
    ck_assert_uint_eq(opt(&c->subnets[0], DHCP_OPT_DNS_SERVERS)->len, 8);
    dhcpd_conf_free(c);
    /* --pool without --subnet, and a --subnet without --pool. */
    struct dhcpd_overrides bad = {.pool = "10.0.0.10-10.0.0.20"};
    ck_assert_int_eq(dhcpd_conf_load_string("", &bad, &c), -EINVAL);
    struct dhcpd_overrides bad2 = {.subnet = "10.0.0.0/24"};
    ck_assert_int_eq(dhcpd_conf_load_string("", &bad2, &c), -EINVAL);
}
END_TEST

START_TEST(test_dhcpd_conf_refuses_mistakes)
{
    static const char *const bad[] = {
        "[subnet 10.0.0.0/24]\npool = 10.0.1.5-10.0.1.9\n",     /* outside */
        "[subnet 10.0.0.0/24]\npool = 10.0.0.9-10.0.0.5\n",     /* backwards */
        "[subnet 10.0.0.0/24]\npool = 10.0.0.0-10.0.0.5\n",     /* network address */
        "[subnet 10.0.0.0/24]\npool = 10.0.0.200-10.0.0.255\n", /* broadcast */
        /* (a section without keys is not seen at all: give each one) */
        "[subnet 10.0.0.0/33]\nlease-time = 1h\n",
        "[subnet 2001:db8::/64]\nlease-time = 1h\n",
        "[subnet 10.0.0.0/16]\nlease-time = 1h\n[subnet 10.0.5.0/24]\nlease-time = 1h\n",
        "[subnet 10.0.0.0/24]\nlease-time = 1h\nt1 = 2h\n",
        "[subnet 10.0.0.0/24]\nrouter = 2001:db8::1\n",
        "[subnet 10.0.0.0/24]\nroute = 10.1.0.0/16\n",
        "[subnet 10.0.0.0/24]\nsearch = a..b\n",
        "[subnet 10.0.0.0/24]\nbogus = 1\n",
        "[host x]\nmac = 02:00:00:00:00:01\naddress = 10.0.0.5\n", /* no subnet */
        "[subnet 10.0.0.0/24]\n[host x]\naddress = 10.0.0.5\n",    /* no mac */
        "[subnet 10.0.0.0/24]\n[host x]\nmac = 02:00:00:00:01\naddress = 10.0.0.5\n",
        ("[subnet 10.0.0.0/24]\n[host x]\nmac = 02:00:00:00:00:01\naddress = 10.0.0.5\n"
         "[host y]\nmac = 02:00:00:00:00:02\naddress = 10.0.0.5\n"), /* reserved twice */
        "[subnet 10.0.0.0/8]\npool = 10.0.0.1-10.255.0.1\n",         /* too many addresses */
        "[server]\noffer-hold = 1h\n",
        "[nonsense]\nx = 1\n",
    };
    FILE *saved = stderr;
    stderr = fopen("/dev/null", "w");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct dhcpd_conf *c = NULL;
        int rc = dhcpd_conf_load_string(bad[i], NULL, &c);
        ck_assert_msg(rc == -EINVAL, "accepted: %s", bad[i]);
    }
    fclose(stderr);
    stderr = saved;
}
END_TEST

static Suite *dhcpd_conf_suite(void)
{
    Suite *s = suite_create("dhcpd_conf");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_dhcpd_conf_defaults);
    tcase_add_test(tc, test_dhcpd_conf_full_subnet);
    tcase_add_test(tc, test_dhcpd_conf_command_line);
    tcase_add_test(tc, test_dhcpd_conf_refuses_mistakes);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dhcpd_conf_suite)
