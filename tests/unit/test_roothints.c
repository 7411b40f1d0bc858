/* unit.dnsd_roothints: the built-in IANA root hints and the named.root
 * parser. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "common/dns_name.h"
#include "common/roothints.h"
#include "testutil.h"

static int parse(struct roothints *h, const char *text, char *err, size_t errcap)
{
    size_t n = strlen(text);
    char *p = test_exact_copy(text, n); /* no NUL: the parser must not need one */
    int rc = roothints_parse(h, p, n, err, errcap);
    free(p);
    return rc;
}

static void expect_error(const char *text, const char *want)
{
    struct roothints h;
    char err[256];
    ck_assert_int_eq(parse(&h, text, err, sizeof(err)), -EBADMSG);
    ck_assert_msg(strcmp(err, want) == 0, "error '%s', want '%s'", err, want);
    ck_assert_uint_eq(h.nns, 0);
}

/* a, formatted, is want. */
static void assert_addr(const struct net_addr *a, const char *want)
{
    char ip[NET_ADDR_STRLEN];
    ck_assert_int_eq(net_addr_format(a, ip, sizeof(ip)), 0);
    ck_assert_str_eq(ip, want);
}

START_TEST(test_roothints_builtin)
{
    struct roothints h;
    roothints_builtin(&h);
    ck_assert_uint_eq(h.nns, 13);
    for (size_t i = 0; i < h.nns; i++) {
        ck_assert_uint_eq(h.ns[i].naddr, 2);
        ck_assert_int_eq(h.ns[i].addr[0].family, AF_INET);
        ck_assert_int_eq(h.ns[i].addr[1].family, AF_INET6);
    }
    char text[DNS_NAME_TEXT_MAX];
    ck_assert_int_eq(dns_name_to_text(h.ns[0].name, text, sizeof(text), NULL), 0);
    ck_assert_str_eq(text, "A.ROOT-SERVERS.NET.");
    assert_addr(&h.ns[0].addr[0], "198.41.0.4");
    assert_addr(&h.ns[12].addr[1], "2001:dc3::35");
}
END_TEST

START_TEST(test_roothints_load_good_file)
{
    struct roothints h;
    char err[256];
    ck_assert_int_eq(roothints_load(&h, TEST_DATA_DIR "/dnsd/named.root", err, sizeof(err)), 0);
    ck_assert_uint_eq(h.nns, 2); /* c.root.test has no address */
    ck_assert_uint_eq(h.ns[0].naddr, 2);
    ck_assert_uint_eq(h.ns[1].naddr, 1);
    assert_addr(&h.ns[1].addr[0], "127.0.0.3");
    assert_addr(&h.ns[0].addr[1], "::1");
}
END_TEST

START_TEST(test_roothints_load_missing_file)
{
    struct roothints h;
    char err[256];
    ck_assert_int_eq(roothints_load(&h, "/nonexistent/named.root", err, sizeof(err)), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/named.root"));
}
END_TEST

START_TEST(test_roothints_errors_name_the_line)
{
    expect_error("; ok\n. NS a.root.\nexample. NS a.root.\n", "3: NS record not owned by the root");
    expect_error(". NS a.root.\na.root. A 300.1.1.1\n", "2: bad IPv4 address");
    expect_error(". NS a.root.\na.root. A ::1\n", "2: bad IPv4 address");
    expect_error(". NS a.root.\na.root. AAAA 127.0.0.1\n", "2: bad IPv6 address");
    expect_error(". NS a.root.\na.root. MX 10 x.\n", "2: expected TYPE and RDATA after the owner");
    expect_error(". NS a.root.\na.root. TXT x\n", "2: type must be NS, A or AAAA");
    expect_error("\n\n$TTL 3600\n", "3: directives are not supported");
    expect_error("   A 127.0.0.1\n", "1: missing owner name");
    expect_error("a..b. A 127.0.0.1\n", "1: bad owner name");
    expect_error(". NS a..root.\n", "1: bad NS name");
    expect_error(". 99999999999 NS a.root.\n", "1: expected TYPE and RDATA after the owner");
    expect_error(". 1 IN NS a.root. extra\n", "1: expected TYPE and RDATA after the owner");
    expect_error(". 1 IN NS a.root. 1 2 3\n", "1: too many fields");
    expect_error(". IN IN NS a.root.\n", "1: expected TYPE and RDATA after the owner");
    expect_error(". 1 2 NS a.root.\n", "1: expected TYPE and RDATA after the owner");
    expect_error("; nothing\n", "0: no root server with an address");
    expect_error(". NS a.root.\n", "0: no root server with an address");
    /* A NUL inside a line is an error, not an early end. */
    struct roothints h;
    char err[256];
    static const char nul[] = ". NS a.root.\na.root. A 127.0.0.1\0\n";
    ck_assert_int_eq(roothints_parse(&h, nul, sizeof(nul) - 1, err, sizeof(err)), -EBADMSG);
    ck_assert_str_eq(err, "2: NUL byte");
    /* Over-long lines. */
    char *lng = malloc(ROOTHINTS_MAX_LINE + 16);
    memset(lng, ' ', ROOTHINTS_MAX_LINE + 15);
    memcpy(lng, ". NS a.root.", 12);
    lng[ROOTHINTS_MAX_LINE + 15] = '\0';
    expect_error(lng, "1: line too long");
    free(lng);
}
END_TEST

START_TEST(test_roothints_limits)
{
    /* Too many servers. */
    size_t cap = (ROOTHINTS_MAX_NS + 2) * 32;
    char *t = malloc(cap);
    size_t n = 0;
    for (int i = 0; i <= ROOTHINTS_MAX_NS; i++)
        n += (size_t)snprintf(t + n, cap - n, ". NS s%d.root.\n", i);
    expect_error(t, "33: more than 32 root servers");
    /* Addresses beyond the per-server cap are ignored; duplicates kept once. */
    n = (size_t)snprintf(t, cap, ". NS a.root.\n. NS A.ROOT.\n");
    for (int i = 0; i < 6; i++)
        n += (size_t)snprintf(t + n, cap - n, "a.root. A 127.0.0.%d\na.root. A 127.0.0.%d\n", i + 1,
                              i + 1);
    struct roothints h;
    char err[256];
    ck_assert_int_eq(parse(&h, t, err, sizeof(err)), 0);
    ck_assert_uint_eq(h.nns, 1);
    ck_assert_uint_eq(h.ns[0].naddr, ROOTHINTS_MAX_ADDR);
    free(t);
    /* No trailing newline, CRLF, tabs. */
    ck_assert_int_eq(parse(&h, ".\tNS\ta.root.\r\na.root. 5 in a 127.0.0.1", err, sizeof(err)), 0);
    ck_assert_uint_eq(h.nns, 1);
}
END_TEST

/* Every prefix of a good file either parses or fails cleanly (under ASan
 * in an exact-size copy). */
START_TEST(test_roothints_prefixes)
{
    static const char good[] = ". NS a.root.\na.root. A 127.0.0.1\na.root. AAAA ::1\n";
    for (size_t i = 0; i < sizeof(good) - 1; i++) {
        char *p = test_exact_copy(good, i);
        struct roothints h;
        char err[64];
        int rc = roothints_parse(&h, p, i, err, sizeof(err));
        ck_assert(rc == 0 || rc == -EBADMSG);
        free(p);
    }
}
END_TEST

static Suite *roothints_suite(void)
{
    Suite *s = suite_create("dnsd_roothints");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_roothints_builtin);
    tcase_add_test(tc, test_roothints_load_good_file);
    tcase_add_test(tc, test_roothints_load_missing_file);
    tcase_add_test(tc, test_roothints_errors_name_the_line);
    tcase_add_test(tc, test_roothints_limits);
    tcase_add_test(tc, test_roothints_prefixes);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(roothints_suite)
