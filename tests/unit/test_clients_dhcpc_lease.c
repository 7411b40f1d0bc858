/* Check suite for clients/dhcpc_lease: lease extraction, the shell and
 * JSON printers against hostile server strings (the shell output is
 * evaluated by a real /bin/sh and must give back the exact bytes), the
 * hook environment and the lease file. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clients/dhcpc_lease.h"
#include "common/dhcp_build.h"
#include "common/dhcp_msg.h"
#include "testutil.h"

static struct dhcpc_lease sample(void)
{
    struct dhcpc_lease l = {
        .addr = test_ip4("10.0.0.10"),
        .mask = test_ip4("255.255.255.0"),
        .broadcast = test_ip4("10.0.0.255"),
        .server_id = test_ip4("10.0.0.1"),
        .routers = {test_ip4("10.0.0.1")},
        .n_routers = 1,
        .dns = {test_ip4("10.0.0.53"), test_ip4("10.0.0.54")},
        .n_dns = 2,
        .lease_s = 3600,
        .t1_s = 1800,
        .t2_s = 3150,
    };
    memcpy(l.domain, "lab.example", 11);
    l.domain_len = 11;
    return l;
}

static char *print(int (*fn)(FILE *, const struct dhcpc_lease *, const char *),
                   const struct dhcpc_lease *l)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fn(f, l, "eth0"), 0);
    ck_assert_int_eq(fclose(f), 0);
    return text;
}

START_TEST(test_dhcpc_lease_prefix)
{
    ck_assert_int_eq(dhcpc_lease_prefix(test_ip4("255.255.255.0")), 24);
    ck_assert_int_eq(dhcpc_lease_prefix(test_ip4("255.255.255.255")), 32);
    ck_assert_int_eq(dhcpc_lease_prefix(test_ip4("0.0.0.0")), 0);
    ck_assert_int_eq(dhcpc_lease_prefix(test_ip4("255.255.128.0")), 17);
    ck_assert_int_eq(dhcpc_lease_prefix(test_ip4("255.0.255.0")), -1);
    ck_assert_int_eq(dhcpc_lease_prefix(test_ip4("0.255.255.255")), -1);
}
END_TEST

START_TEST(test_dhcpc_lease_shell_golden)
{
    struct dhcpc_lease l = sample();
    char *t = print(dhcpc_lease_print_shell, &l);
    ck_assert_str_eq(t, "interface='eth0'\nip='10.0.0.10'\nsubnet='255.255.255.0'\nmask='24'\n"
                        "broadcast='10.0.0.255'\nrouter='10.0.0.1'\n"
                        "dns='10.0.0.53 10.0.0.54'\ndomain='lab.example'\nhostname=''\n"
                        "lease='3600'\nt1='1800'\nt2='3150'\nserverid='10.0.0.1'\n");
    free(t);
}
END_TEST

/* The shell output goes through a real sh: the hostile domain must come
 * back byte for byte and no command in it may run. */
START_TEST(test_dhcpc_lease_shell_output_survives_eval)
{
    static const char *const hostile[] = {
        "x'; touch PWNED; '",  "a\nb'\n$(touch PWNED)\n`touch PWNED`",
        "'''\\'\\\\\"$HOME\"", "tab\there;touch PWNED #",
        "\x7f\x80\xff'",
    };
    char dir[] = "/tmp/dhcpc-shell-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        struct dhcpc_lease l = sample();
        l.domain_len = strlen(hostile[i]);
        memcpy(l.domain, hostile[i], l.domain_len);
        memcpy(l.hostname, hostile[i], l.domain_len);
        l.hostname_len = l.domain_len;
        char *t = print(dhcpc_lease_print_shell, &l);
        char script[600], out[300];
        snprintf(script, sizeof(script), "%s/lease.sh", dir);
        FILE *f = fopen(script, "w");
        ck_assert_ptr_nonnull(f);
        fputs(t, f);
        fclose(f);
        char cmd[800];
        snprintf(cmd, sizeof(cmd),
                 "cd %s && sh -c 'eval \"$(cat lease.sh)\"; printf %%s \"$domain\"; "
                 "printf %%s \"$hostname\" >host.out'",
                 dir);
        FILE *p = popen(cmd, "r");
        ck_assert_ptr_nonnull(p);
        size_t n = fread(out, 1, sizeof(out), p);
        ck_assert_int_eq(pclose(p), 0);
        ck_assert_uint_eq(n, l.domain_len);
        ck_assert_mem_eq(out, hostile[i], n);
        char pwned[600];
        snprintf(pwned, sizeof(pwned), "%s/PWNED", dir);
        ck_assert_msg(access(pwned, F_OK) != 0, "server text ran a command: case %zu", i);
        free(t);
    }
    char rm[600];
    snprintf(rm, sizeof(rm), "rm -rf %s", dir);
    ck_assert_int_eq(system(rm), 0);
}
END_TEST

START_TEST(test_dhcpc_lease_json_escapes)
{
    struct dhcpc_lease l = sample();
    static const char d[] = "q\"b\\s\nn\x01\x7f\xc3";
    memcpy(l.domain, d, sizeof(d) - 1);
    l.domain_len = sizeof(d) - 1;
    char *t = print(dhcpc_lease_print_json, &l);
    ck_assert_msg(strstr(t, "\"domain\": \"q\\\"b\\\\s\\u000an\\u0001\\u007f\\u00c3\"") != NULL,
                  "%s", t);
    ck_assert_str_eq(t + strlen(t) - 2, "}\n");
    /* One line, nothing but printable ASCII: no raw control byte leaks. */
    for (const char *p = t; p[1]; p++)
        ck_assert(*p >= 0x20 && *p < 0x7f);
    ck_assert_ptr_nonnull(strstr(t, "\"routers\": [\"10.0.0.1\"], \"dns\": [\"10.0.0.53\", "
                                    "\"10.0.0.54\"]"));
    ck_assert_ptr_nonnull(strstr(t, "\"lease_time\": 3600, \"t1\": 1800, \"t2\": 3150"));
    free(t);
}
END_TEST

static const char *env_get(char **env, const char *name)
{
    size_t n = strlen(name);
    for (; *env; env++)
        if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
            return *env + n + 1;
    return NULL;
}

START_TEST(test_dhcpc_lease_env)
{
    struct dhcpc_lease l = sample();
    char buf[2048];
    char *env[40];
    int n = dhcpc_lease_env(&l, "eth0", buf, sizeof(buf), env, 40);
    ck_assert_int_gt(n, 10);
    ck_assert_ptr_null(env[n]);
    ck_assert_str_eq(env_get(env, "ip"), "10.0.0.10");
    ck_assert_str_eq(env_get(env, "mask"), "24");
    ck_assert_str_eq(env_get(env, "router"), "10.0.0.1");
    ck_assert_str_eq(env_get(env, "dns"), "10.0.0.53 10.0.0.54");
    ck_assert_str_eq(env_get(env, "domain"), "lab.example");
    ck_assert_str_eq(env_get(env, "serverid"), "10.0.0.1");
    ck_assert_str_eq(env_get(env, "interface"), "eth0");
    /* A newline would let a script write a second resolv.conf line. */
    memcpy(l.domain, "evil\nnameserver 6.6.6.6", 24);
    l.domain_len = 24;
    n = dhcpc_lease_env(&l, "eth0", buf, sizeof(buf), env, 40);
    ck_assert_int_gt(n, 0);
    ck_assert_ptr_null(env_get(env, "domain"));
    /* No lease (deconfig): the interface only. */
    ck_assert_int_eq(dhcpc_lease_env(NULL, "eth0", buf, sizeof(buf), env, 40), 1);
    /* Too small. */
    ck_assert_int_eq(dhcpc_lease_env(&l, "eth0", buf, 40, env, 40), -EMSGSIZE);
    ck_assert_int_eq(dhcpc_lease_env(&l, "eth0", buf, sizeof(buf), env, 3), -EMSGSIZE);
}
END_TEST

static size_t mk_ack(uint8_t *buf, size_t cap, const struct dhcp_opt_val *opts, size_t n)
{
    uint8_t rq[600];
    size_t rlen, len;
    struct dhcp_request r = {
        .type = DHCP_REQUEST, .xid = 7, .htype = 1, .hlen = 6, .state = DHCP_REQ_SELECTING};
    r.requested = test_ip4("192.168.5.5");
    r.server_id = test_ip4("192.168.5.1");
    ck_assert_int_eq(dhcp_build_request(&r, rq, sizeof(rq), &rlen), 0);
    struct dhcp_msg req;
    ck_assert_int_eq(dhcp_msg_parse(&req, rq, rlen), 0);
    struct dhcp_reply rep = {.type = DHCP_ACK,
                             .server_id = test_ip4("192.168.5.1"),
                             .yiaddr = test_ip4("192.168.5.5"),
                             .opts = opts,
                             .nopts = n};
    ck_assert_int_eq(dhcp_build_reply(&req, &rep, buf, cap, &len), 0);
    return len;
}

START_TEST(test_dhcpc_lease_from_msg_defaults_and_junk)
{
    static const uint8_t lease[] = {0, 0, 0, 100}, bad_routers[] = {1, 2, 3},
                         holes[] = {255, 0, 255, 0}, nuls[] = {0, 0};
    const struct dhcp_opt_val opts[] = {
        {DHCP_OPT_LEASE_TIME, true, lease, 4},
        {DHCP_OPT_ROUTERS, true, bad_routers, 3},
        {DHCP_OPT_SUBNET_MASK, true, holes, 4},
        {DHCP_OPT_DOMAIN_NAME, true, nuls, 2},
    };
    uint8_t buf[1024];
    size_t len = mk_ack(buf, sizeof(buf), opts, 4);
    struct dhcp_msg m;
    ck_assert_int_eq(dhcp_msg_parse(&m, buf, len), 0);
    struct dhcpc_lease l;
    ck_assert_int_eq(dhcpc_lease_from_msg(&l, &m, 0, true), 0);
    ck_assert_uint_eq(l.addr, test_ip4("192.168.5.5"));
    ck_assert_uint_eq(l.mask, test_ip4("255.255.255.0")); /* classful C, holes refused */
    ck_assert_uint_eq(l.broadcast, test_ip4("192.168.5.255"));
    ck_assert_uint_eq(l.n_routers, 0);
    ck_assert_uint_eq(l.domain_len, 0);
    ck_assert_uint_eq(l.t1_s, 50);
    ck_assert_uint_eq(l.t2_s, 87);

    /* No lease time where one is needed; a 3-byte lease time. */
    len = mk_ack(buf, sizeof(buf), NULL, 0);
    ck_assert_int_eq(dhcp_msg_parse(&m, buf, len), 0);
    ck_assert_int_eq(dhcpc_lease_from_msg(&l, &m, 0, true), -EBADMSG);
    ck_assert_int_eq(dhcpc_lease_from_msg(&l, &m, 0, false), 0);
    const struct dhcp_opt_val short_lease[] = {{DHCP_OPT_LEASE_TIME, true, lease, 3}};
    len = mk_ack(buf, sizeof(buf), short_lease, 1);
    ck_assert_int_eq(dhcp_msg_parse(&m, buf, len), 0);
    ck_assert_int_eq(dhcpc_lease_from_msg(&l, &m, 0, false), -EBADMSG);
}
END_TEST

START_TEST(test_dhcpc_lease_file_round_trip)
{
    char dir[] = "/tmp/dhcpc-lease-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/dhcp-eth0.lease", dir);
    struct dhcpc_lease l = sample(), r;
    int64_t when;
    ck_assert_int_eq(dhcpc_lease_load(path, &r, &when), -ENOENT);
    ck_assert_int_eq(dhcpc_lease_save(path, &l, "eth0", 1700000000), 0);
    ck_assert_int_eq(dhcpc_lease_load(path, &r, &when), 0);
    ck_assert_int_eq(when, 1700000000);
    ck_assert_uint_eq(r.addr, l.addr);
    ck_assert_uint_eq(r.mask, l.mask);
    ck_assert_uint_eq(r.server_id, l.server_id);
    ck_assert_uint_eq(r.routers[0], l.routers[0]);
    ck_assert_uint_eq(r.lease_s, 3600);
    ck_assert_uint_eq(r.t2_s, 3150);
    ck_assert_int_eq(dhcpc_lease_save(path, &l, "eth0\nip=1.2.3.4", 1), -EINVAL);

    static const char *const bad[] = {
        "ip=10.0.0.1\n",                              /* no serverid */
        "ip=10.0.0.300\nserverid=10.0.0.1\n",         /* bad address */
        "ip=10.0.0.2\nserverid=10.0.0.1\nlease=-1\n", /* bad number */
        "ip=10.0.0.2\nserverid=10.0.0.1\nlease=99999999999\n",
        "ip=10.0.0.2\nserverid=10.0.0.1\nnot a key value line\n",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        FILE *f = fopen(path, "w");
        fputs(bad[i], f);
        fclose(f);
        ck_assert_int_eq(dhcpc_lease_load(path, &r, NULL), -EBADMSG);
    }
    /* An over-long line. */
    FILE *f = fopen(path, "w");
    fputs("ip=10.0.0.2\nserverid=10.0.0.1\nx=", f);
    for (int i = 0; i < 400; i++)
        fputc('a', f);
    fputs("\n", f);
    fclose(f);
    ck_assert_int_eq(dhcpc_lease_load(path, &r, NULL), -EBADMSG);
    unlink(path);
    rmdir(dir);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("clients_dhcpc_lease");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_dhcpc_lease_prefix);
    tcase_add_test(tc, test_dhcpc_lease_shell_golden);
    tcase_add_test(tc, test_dhcpc_lease_shell_output_survives_eval);
    tcase_add_test(tc, test_dhcpc_lease_json_escapes);
    tcase_add_test(tc, test_dhcpc_lease_env);
    tcase_add_test(tc, test_dhcpc_lease_from_msg_defaults_and_junk);
    tcase_add_test(tc, test_dhcpc_lease_file_round_trip);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
