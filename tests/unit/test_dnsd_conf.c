/* dnsd configuration: defaults, every key, overrides, and errors that
 * name file:line. */
#include "testutil.h"

#include <errno.h>
#include <unistd.h>

#include "dnsd/conf.h"
#include "dnsd/localzone.h"

/* Loads text; returns the rc and the error output in errs. */
static int load(const char *text, const struct dnsd_overrides *ov, struct dnsd_conf **c, char *errs,
                size_t cap)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    *c = NULL;
    int rc = dnsd_conf_load_string("dnsd.conf", text, ov, f, c);
    fclose(f);
    snprintf(errs, cap, "%s", buf ? buf : "");
    free(buf);
    return rc;
}

START_TEST(test_dnsd_conf_defaults)
{
    struct dnsd_conf *c;
    char errs[2048];
    ck_assert_int_eq(load("", NULL, &c, errs, sizeof(errs)), 0);
    ck_assert_uint_eq(c->n_listen, 2);
    char a[NET_ADDR_STRLEN];
    net_addr_format_port(&c->listen[0], a, sizeof(a));
    ck_assert_str_eq(a, "127.0.0.1:5353");
    net_addr_format_port(&c->listen[1], a, sizeof(a));
    ck_assert_str_eq(a, "[::1]:5353");
    ck_assert_uint_eq(c->threads, 1);
    ck_assert_uint_eq(c->edns_size, 1232);
    ck_assert_uint_eq(c->tcp_idle_ms, 10000);
    ck_assert_uint_eq(c->max_pending, DNSD_DEFAULT_MAX_PENDING);
    ck_assert_uint_eq(c->rate_limit, 0);
    ck_assert_ptr_null(c->rl);
    ck_assert_ptr_null(c->resolver.root_hints);
    ck_assert_uint_eq(c->resolver.timeout_ms, 3000);
    ck_assert_uint_eq(c->resolver.max_cname, 12);
    ck_assert(!c->resolver.use_0x20);
    ck_assert_uint_eq(c->cache.max_bytes, 64u << 20);
    ck_assert_uint_eq(c->cache.max_ttl, 86400);
    ck_assert_uint_eq(c->cache.neg_max_ttl, 3600);
    ck_assert(!c->cache.serve_stale);
    struct net_addr lo, lan;
    net_addr_parse_ip(&lo, "127.0.0.1");
    net_addr_parse_ip(&lan, "10.0.0.1");
    ck_assert_int_eq(acl_addr_check(&c->acl, &lo), ACL_ALLOW);
    ck_assert_int_eq(acl_addr_check(&c->acl, &lan), ACL_REFUSE);
    ck_assert_uint_eq(localzone_count(c->local), 0);
    dnsd_conf_release(c);
}
END_TEST

START_TEST(test_dnsd_conf_every_key)
{
    char hosts[] = "/tmp/test_dnsd_conf_hostsXXXXXX";
    int fd = mkstemp(hosts);
    ck_assert_int_ge(fd, 0);
    static const char h[] = "10.0.0.5 printer.lab\n";
    ck_assert_int_eq(write(fd, h, sizeof(h) - 1), (ssize_t)(sizeof(h) - 1));
    close(fd);
    char text[4096];
    snprintf(text, sizeof(text),
             "[server]\n"
             "listen = 127.0.0.1:53 [::1]:53 10.0.0.1\n"
             "threads = 4\n"
             "allow = 10.0.0.0/8 fd00::/8\n"
             "refuse = 10.9.0.0/16\n"
             "deny = 10.66.0.0/16\n"
             "rate-limit = 100\n"
             "rate-limit-slip = 3\n"
             "edns-size = 1400\n"
             "tcp-idle-timeout = 2s\n"
             "max-tcp-connections = 50\n"
             "max-pending = 500\n"
             "user = nobody\n"
             "pid-file = /run/dnsd.pid\n"
             "[resolver]\n"
             "root-hints = /etc/labnet/named.root\n"
             "timeout = 1500ms\n"
             "max-referrals = 20\n"
             "max-cname = 8\n"
             "max-upstream = 40\n"
             "use-0x20 = yes\n"
             "prefetch = yes\n"
             "[cache]\n"
             "size = 16M\n"
             "min-ttl = 10\n"
             "max-ttl = 1d\n"
             "neg-max-ttl = 5m\n"
             "serve-stale = yes\n"
             "[local]\n"
             "zones = lab. 10.in-addr.arpa.\n"
             "hosts-file = %s\n"
             "record = www.lab. 300 IN A 10.0.0.1\n"
             "record = lab. MX 10 mail.lab.\n"
             "[forward corp.example.]\n"
             "servers = 192.0.2.53 [2001:db8::53]:5300\n",
             hosts);
    struct dnsd_conf *c;
    char errs[2048];
    ck_assert_msg(load(text, NULL, &c, errs, sizeof(errs)) == 0, "%s", errs);
    unlink(hosts);
    ck_assert_uint_eq(c->n_listen, 3);
    ck_assert_uint_eq(c->listen[2].port, 53);
    ck_assert_uint_eq(c->threads, 4);
    struct net_addr x;
    net_addr_parse_ip(&x, "10.1.1.1");
    ck_assert_int_eq(acl_addr_check(&c->acl, &x), ACL_ALLOW);
    net_addr_parse_ip(&x, "10.9.1.1");
    ck_assert_int_eq(acl_addr_check(&c->acl, &x), ACL_REFUSE);
    net_addr_parse_ip(&x, "10.66.1.1");
    ck_assert_int_eq(acl_addr_check(&c->acl, &x), ACL_DENY);
    net_addr_parse_ip(&x, "fd12::1");
    ck_assert_int_eq(acl_addr_check(&c->acl, &x), ACL_ALLOW);
    ck_assert_uint_eq(c->rate_limit, 100);
    ck_assert_uint_eq(c->rate_limit_slip, 3);
    ck_assert_ptr_nonnull(c->rl);
    ck_assert_uint_eq(c->edns_size, 1400);
    ck_assert_uint_eq(c->tcp_idle_ms, 2000);
    ck_assert_uint_eq(c->max_tcp, 50);
    ck_assert_uint_eq(c->max_pending, 500);
    ck_assert_str_eq(c->user, "nobody");
    ck_assert_str_eq(c->pid_file, "/run/dnsd.pid");
    ck_assert_str_eq(c->resolver.root_hints, "/etc/labnet/named.root");
    ck_assert_uint_eq(c->resolver.timeout_ms, 1500);
    ck_assert_uint_eq(c->resolver.max_referrals, 20);
    ck_assert_uint_eq(c->resolver.max_cname, 8);
    ck_assert_uint_eq(c->resolver.max_upstream, 40);
    ck_assert(c->resolver.use_0x20);
    ck_assert(c->resolver.prefetch);
    ck_assert_uint_eq(c->cache.max_bytes, 16u << 20);
    ck_assert_uint_eq(c->cache.min_ttl, 10);
    ck_assert_uint_eq(c->cache.max_ttl, 86400);
    ck_assert_uint_eq(c->cache.neg_max_ttl, 300);
    ck_assert(c->cache.serve_stale);
    ck_assert_uint_eq(localzone_count(c->local), 4); /* 2 records, A + PTR from hosts */
    ck_assert_uint_eq(c->resolver.nforwards, 1);
    ck_assert_ptr_eq(c->resolver.forwards, c->forwards);
    ck_assert_mem_eq(c->forwards[0].zone, "\4corp\7example", 14);
    ck_assert_uint_eq(c->forwards[0].nservers, 2);
    ck_assert_uint_eq(c->forwards[0].servers[0].port, 53);
    ck_assert_uint_eq(c->forwards[0].servers[1].port, 5300);
    dnsd_conf_release(dnsd_conf_retain(c));
    dnsd_conf_release(c);
}
END_TEST

START_TEST(test_dnsd_conf_errors_name_file_and_line)
{
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"[server]\nthreads = 0\n", "dnsd.conf:2: [server] threads"},
        {"[server]\n\nedns-size = 100\n", "dnsd.conf:3: [server] edns-size"},
        {"[server]\nallow = 10.0.0.0/33\n", "dnsd.conf:2: [server] allow"},
        {"[server]\nlisten = nowhere\n", "dnsd.conf:2: [server] listen"},
        {"[server]\ntcp-idle-timeout = forever\n", "dnsd.conf:2: [server] tcp-idle-timeout"},
        {"[server]\nbogus = 1\n", "dnsd.conf:2: [server] bogus: unknown key"},
        {"[nonsense]\nx = 1\n", "dnsd.conf:2: unknown section [nonsense]"},
        {"[resolver]\nuse-0x20 = maybe\n", "dnsd.conf:2: [resolver] use-0x20"},
        {"[cache]\nsize = 1\n", "dnsd.conf:2: [cache] size"},
        {"[cache]\nmin-ttl = 2h\nmax-ttl = 1h\n", "dnsd.conf:2: [cache] min-ttl: is above max-ttl"},
        {"[local]\nrecord = www.lab. A 10.0.0.1\nrecord = www.lab. A 300.0.0.1\n",
         "dnsd.conf:3: [local] record: A RDATA: expected an IPv4 address"},
        {"[local]\nzones = lab. a..b\n",
         "dnsd.conf:2: [local] zones: \"a..b\" is not a domain name"},
        {"[local]\nhosts-file = /nonexistent/hosts\n",
         "dnsd.conf:2: [local] hosts-file: /nonexistent/hosts: No such file or directory"},
        {"[local]\nrecord = a.lab. CNAME b.lab.\nrecord = a.lab. A 10.0.0.1\n",
         "a.lab. has a CNAME and other data"},
        {"[forward corp.]\nserver = 1.2.3.4\n", "dnsd.conf:2: [forward corp.] server: unknown key"},
        {"[forward corp.]\nservers = 1.2.3.4\n[forward Corp]\nservers = 1.2.3.5\n",
         "dnsd.conf:4: [forward Corp] servers: zone Corp is forwarded twice"},
        {"[forward corp.]\nservers = 1 2 3 4 5 6 7 8 9\n", "dnsd.conf:2: [forward corp.] servers"},
        {"[server]\nlisten =\n", "[server] listen"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct dnsd_conf *c;
        char errs[2048];
        ck_assert_msg(load(bad[i].text, NULL, &c, errs, sizeof(errs)) == -EINVAL, "%s",
                      bad[i].text);
        ck_assert_ptr_null(c);
        ck_assert_msg(strstr(errs, bad[i].msg) != NULL, "want \"%s\" in \"%s\"", bad[i].msg, errs);
    }
}
END_TEST

START_TEST(test_dnsd_conf_overrides)
{
    struct dnsd_overrides ov = {
        .listen = {"127.0.0.2:5300", "[::1]"},
        .n_listen = 2,
        .allow = {"192.0.2.0/24"},
        .n_allow = 1,
        .root_hints = "/tmp/hints",
        .threads = 3,
    };
    struct dnsd_conf *c;
    char errs[2048];
    ck_assert_int_eq(
        load("[server]\nlisten = 127.0.0.1:99\nthreads = 2\n", &ov, &c, errs, sizeof(errs)), 0);
    ck_assert_uint_eq(c->n_listen, 2);
    ck_assert_uint_eq(c->listen[0].port, 5300);
    ck_assert_uint_eq(c->listen[1].port, 53);
    ck_assert_uint_eq(c->threads, 3);
    ck_assert_str_eq(c->resolver.root_hints, "/tmp/hints");
    struct net_addr x;
    net_addr_parse_ip(&x, "192.0.2.9");
    ck_assert_int_eq(acl_addr_check(&c->acl, &x), ACL_ALLOW);
    dnsd_conf_release(c);

    struct dnsd_overrides bad = {.listen = {"nowhere"}, .n_listen = 1};
    ck_assert_int_eq(load("", &bad, &c, errs, sizeof(errs)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(errs, "--listen nowhere"));
    struct dnsd_overrides bad2 = {.allow = {"10/8"}, .n_allow = 1};
    ck_assert_int_eq(load("", &bad2, &c, errs, sizeof(errs)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(errs, "--allow 10/8"));
    dnsd_conf_release(NULL);
}
END_TEST

START_TEST(test_dnsd_conf_missing_file)
{
    struct dnsd_conf *c = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(dnsd_conf_load("/nonexistent/dnsd.conf", NULL, f, &c), -EINVAL);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "/nonexistent/dnsd.conf"));
    free(buf);
}
END_TEST

static Suite *dnsd_conf_suite(void)
{
    Suite *s = suite_create("dnsd_conf");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_dnsd_conf_defaults);
    tcase_add_test(tc, test_dnsd_conf_every_key);
    tcase_add_test(tc, test_dnsd_conf_errors_name_file_and_line);
    tcase_add_test(tc, test_dnsd_conf_overrides);
    tcase_add_test(tc, test_dnsd_conf_missing_file);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dnsd_conf_suite)
