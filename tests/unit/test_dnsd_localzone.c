/* dnsd local data: record syntax, hosts files, and authoritative answers
 * (AA, NXDOMAIN/NODATA with the synthesized SOA, CNAME chains, TC). */
#include "testutil.h"

#include <errno.h>

#include "common/dns_msg.h"
#include "common/dns_text.h"
#include "dnsd/localzone.h"

static void wname(const char *s, uint8_t *out)
{
    size_t l;
    ck_assert_int_eq(dns_name_from_text(s, strlen(s), out, &l), 0);
}

static struct localzone *lab(void)
{
    struct localzone *lz = localzone_new();
    ck_assert_ptr_nonnull(lz);
    uint8_t z[DNS_NAME_MAXLEN];
    wname("lab.", z);
    ck_assert_int_eq(localzone_zone_add(lz, z), 0);
    wname("10.in-addr.arpa", z);
    ck_assert_int_eq(localzone_zone_add(lz, z), 0);
    static const char *const recs[] = {
        "www.lab. 300 IN A 10.0.0.1",
        "www.lab. AAAA fd00::1",
        "www.lab 60 A 10.0.0.11",
        "lab. MX 10 mail.lab.",
        "mail.lab. A 10.0.0.2",
        "_http._tcp.lab. SRV 0 5 80 www.lab.",
        "lab. TXT \"v=spf1 -all\" two \"with \\\"quote\\\"\"",
        "alias.lab. CNAME www.lab.",
        "alias2.lab. CNAME alias.lab.",
        "dangling.lab. CNAME nothere.lab.",
        "away.lab. CNAME example.com.",
        "a.b.deep.lab. A 10.0.0.3",
        "outside.example. A 192.0.2.1",
    };
    char err[256];
    for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
        ck_assert_msg(localzone_record_parse(lz, recs[i], err, sizeof(err)) == 0, "%s: %s", recs[i],
                      err);
    static const char hosts[] = "# comment\n"
                                "10.0.0.5   printer.lab printer  # trailing\n"
                                "\n"
                                "10.0.0.6\tnas.lab\n"
                                "fd00::6    nas.lab\n"
                                "10.0.0.6   second.lab\n";
    ck_assert_int_eq(localzone_hosts_parse(lz, "hosts", hosts, strlen(hosts), err, sizeof(err)), 0);
    ck_assert_int_eq(localzone_finish(lz, err, sizeof(err)), 0);
    return lz;
}

struct reply {
    uint8_t buf[4096];
    size_t len;
    struct dns_msg m;
    struct dns_question qd[2];
    struct dns_rr rr[128];
};

/* Runs a local answer as the server would: header and question first. */
static int ask(const struct localzone *lz, const char *qname, uint16_t qtype, size_t limit,
               struct reply *r)
{
    uint8_t q[DNS_NAME_MAXLEN];
    wname(qname, q);
    struct dns_wr d;
    dns_wr_init(&d, r->buf, sizeof(r->buf), limit);
    struct dns_hdr h = {.id = 7, .qr = true};
    dns_wr_header(&d, &h);
    dns_wr_question(&d, q, qtype, DNS_CLASS_IN);
    int rc = localzone_answer(lz, q, qtype, DNS_CLASS_IN, &d);
    ck_assert_int_eq(dns_wr_finish(&d, &r->len), 0);
    r->m = (struct dns_msg){.qd = r->qd, .qd_cap = 2, .rr = r->rr, .rr_cap = 128};
    ck_assert_int_eq(dns_msg_parse(&r->m, r->buf, r->len), 0);
    return rc;
}

/* The i-th record of the reply as presentation text. */
static const char *rr_text(struct reply *r, size_t i)
{
    static char out[1024];
    ck_assert_uint_lt(i, r->m.rr_n);
    ck_assert_int_eq(dns_rr_to_text(&r->m, &r->m.rr[i], out, sizeof(out)), 0);
    return out;
}

START_TEST(test_dnsd_localzone_answers_each_type)
{
    struct localzone *lz = lab();
    struct reply r;
    ck_assert_int_eq(ask(lz, "www.lab", DNS_TYPE_A, 512, &r), 1);
    ck_assert(r.m.hdr.aa);
    ck_assert_int_eq(r.m.hdr.rcode, DNS_RCODE_NOERROR);
    ck_assert_uint_eq(r.m.sec_n[DNS_SEC_AN], 2);
    ck_assert_str_eq(rr_text(&r, 0), "www.lab.\t300\tIN\tA\t10.0.0.1");
    ck_assert_str_eq(rr_text(&r, 1), "www.lab.\t60\tIN\tA\t10.0.0.11");
    ck_assert_int_eq(ask(lz, "www.lab", DNS_TYPE_AAAA, 512, &r), 1);
    ck_assert_str_eq(rr_text(&r, 0), "www.lab.\t300\tIN\tAAAA\tfd00::1");
    ck_assert_int_eq(ask(lz, "lab", DNS_TYPE_MX, 512, &r), 1);
    ck_assert_str_eq(rr_text(&r, 0), "lab.\t300\tIN\tMX\t10 mail.lab.");
    ck_assert_int_eq(ask(lz, "_http._tcp.lab", DNS_TYPE_SRV, 512, &r), 1);
    ck_assert_str_eq(rr_text(&r, 0), "_http._tcp.lab.\t300\tIN\tSRV\t0 5 80 www.lab.");
    ck_assert_int_eq(ask(lz, "lab", DNS_TYPE_TXT, 512, &r), 1);
    ck_assert_str_eq(rr_text(&r, 0), "lab.\t300\tIN\tTXT\t\"v=spf1 -all\" \"two\" "
                                     "\"with \\\"quote\\\"\"");
    ck_assert_int_eq(ask(lz, "5.0.0.10.in-addr.arpa", DNS_TYPE_PTR, 512, &r), 1);
    ck_assert_str_eq(rr_text(&r, 0), "5.0.0.10.in-addr.arpa.\t300\tIN\tPTR\tprinter.lab.");
    ck_assert_int_eq(ask(lz, "printer", DNS_TYPE_A, 512, &r), 1); /* a bare alias */
    ck_assert_str_eq(rr_text(&r, 0), "printer.\t300\tIN\tA\t10.0.0.5");
    ck_assert_int_eq(ask(lz, "nas.lab", DNS_TYPE_AAAA, 512, &r), 1);
    ck_assert_str_eq(rr_text(&r, 0), "nas.lab.\t300\tIN\tAAAA\tfd00::6");
    ck_assert_int_eq(ask(lz,
                         "6.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa",
                         DNS_TYPE_PTR, 512, &r),
                     1);
    ck_assert_str_eq(rr_text(&r, 0) + strlen(rr_text(&r, 0)) - 8, "nas.lab.");
    /* The first hosts line for an address owns its PTR. */
    ck_assert_int_eq(ask(lz, "6.0.0.10.in-addr.arpa", DNS_TYPE_PTR, 512, &r), 1);
    ck_assert_uint_eq(r.m.sec_n[DNS_SEC_AN], 1);
    ck_assert_str_eq(rr_text(&r, 0), "6.0.0.10.in-addr.arpa.\t300\tIN\tPTR\tnas.lab.");
    ck_assert_int_eq(ask(lz, "www.lab", DNS_TYPE_ANY, 512, &r), 1);
    ck_assert_uint_eq(r.m.sec_n[DNS_SEC_AN], 3);
    localzone_free(lz);
}
END_TEST

START_TEST(test_dnsd_localzone_negative_answers_carry_soa)
{
    struct localzone *lz = lab();
    struct reply r;
    ck_assert_int_eq(ask(lz, "nope.lab", DNS_TYPE_A, 512, &r), 1);
    ck_assert(r.m.hdr.aa);
    ck_assert_int_eq(r.m.hdr.rcode, DNS_RCODE_NXDOMAIN);
    ck_assert_uint_eq(r.m.sec_n[DNS_SEC_AN], 0);
    ck_assert_uint_eq(r.m.sec_n[DNS_SEC_NS], 1);
    ck_assert_str_eq(rr_text(&r, 0), "lab.\t300\tIN\tSOA\tlab. hostmaster.lab. 1 3600 900 "
                                     "604800 300");
    /* NODATA: the name exists, not the type. */
    ck_assert_int_eq(ask(lz, "mail.lab", DNS_TYPE_AAAA, 512, &r), 1);
    ck_assert_int_eq(r.m.hdr.rcode, DNS_RCODE_NOERROR);
    ck_assert_uint_eq(r.m.sec_n[DNS_SEC_AN], 0);
    ck_assert_uint_eq(r.m.sec_n[DNS_SEC_NS], 1);
    /* An empty non-terminal exists too (RFC 8020). */
    ck_assert_int_eq(ask(lz, "deep.lab", DNS_TYPE_A, 512, &r), 1);
    ck_assert_int_eq(r.m.hdr.rcode, DNS_RCODE_NOERROR);
    ck_assert_int_eq(ask(lz, "b.deep.lab", DNS_TYPE_A, 512, &r), 1);
    ck_assert_int_eq(r.m.hdr.rcode, DNS_RCODE_NOERROR);
    ck_assert_int_eq(ask(lz, "c.deep.lab", DNS_TYPE_A, 512, &r), 1);
    ck_assert_int_eq(r.m.hdr.rcode, DNS_RCODE_NXDOMAIN);
    /* The apex has its SOA; the most specific zone wins for reverse. */
    ck_assert_int_eq(ask(lz, "lab", DNS_TYPE_SOA, 512, &r), 1);
    ck_assert_uint_eq(r.m.sec_n[DNS_SEC_AN], 1);
    ck_assert_int_eq(ask(lz, "9.9.9.10.in-addr.arpa", DNS_TYPE_PTR, 512, &r), 1);
    ck_assert_int_eq(r.m.hdr.rcode, DNS_RCODE_NXDOMAIN);
    ck_assert_str_eq(rr_text(&r, 0), "10.in-addr.arpa.\t300\tIN\tSOA\t10.in-addr.arpa. "
                                     "hostmaster.10.in-addr.arpa. 1 3600 900 604800 300");
    localzone_free(lz);
}
END_TEST

START_TEST(test_dnsd_localzone_outside_zones_is_transparent)
{
    struct localzone *lz = lab();
    struct reply r;
    ck_assert_int_eq(ask(lz, "outside.example", DNS_TYPE_A, 512, &r), 1);
    ck_assert_str_eq(rr_text(&r, 0), "outside.example.\t300\tIN\tA\t192.0.2.1");
    /* NODATA without an SOA: there is no zone to name. */
    ck_assert_int_eq(ask(lz, "outside.example", DNS_TYPE_MX, 512, &r), 1);
    ck_assert_int_eq(r.m.hdr.rcode, DNS_RCODE_NOERROR);
    ck_assert_uint_eq(r.m.rr_n, 0);
    /* Everything else is the resolver's, and d is untouched. */
    ck_assert_int_eq(ask(lz, "other.example", DNS_TYPE_A, 512, &r), 0);
    ck_assert(!r.m.hdr.aa);
    ck_assert_int_eq(ask(lz, "example", DNS_TYPE_A, 512, &r), 0);
    ck_assert_int_eq(ask(lz, "badlab", DNS_TYPE_A, 512, &r), 0);
    /* Other classes are not local. */
    uint8_t q[DNS_NAME_MAXLEN], buf[512];
    wname("www.lab", q);
    struct dns_wr d;
    dns_wr_init(&d, buf, sizeof(buf), sizeof(buf));
    struct dns_hdr h = {0};
    dns_wr_header(&d, &h);
    ck_assert_int_eq(localzone_answer(lz, q, DNS_TYPE_A, DNS_CLASS_CH, &d), 0);
    localzone_free(lz);
}
END_TEST

START_TEST(test_dnsd_localzone_cname_chains)
{
    struct localzone *lz = lab();
    struct reply r;
    ck_assert_int_eq(ask(lz, "alias2.lab", DNS_TYPE_A, 512, &r), 1);
    ck_assert_uint_eq(r.m.sec_n[DNS_SEC_AN], 4);
    ck_assert_str_eq(rr_text(&r, 0), "alias2.lab.\t300\tIN\tCNAME\talias.lab.");
    ck_assert_str_eq(rr_text(&r, 1), "alias.lab.\t300\tIN\tCNAME\twww.lab.");
    ck_assert_str_eq(rr_text(&r, 2), "www.lab.\t300\tIN\tA\t10.0.0.1");
    /* Asked for the CNAME itself: not followed. */
    ck_assert_int_eq(ask(lz, "alias.lab", DNS_TYPE_CNAME, 512, &r), 1);
    ck_assert_uint_eq(r.m.sec_n[DNS_SEC_AN], 1);
    /* RFC 6604: the rcode is the last name's. */
    ck_assert_int_eq(ask(lz, "dangling.lab", DNS_TYPE_A, 512, &r), 1);
    ck_assert_int_eq(r.m.hdr.rcode, DNS_RCODE_NXDOMAIN);
    ck_assert_uint_eq(r.m.sec_n[DNS_SEC_AN], 1);
    /* Leaving local data: the chain so far, NOERROR. */
    ck_assert_int_eq(ask(lz, "away.lab", DNS_TYPE_A, 512, &r), 1);
    ck_assert_int_eq(r.m.hdr.rcode, DNS_RCODE_NOERROR);
    ck_assert_uint_eq(r.m.rr_n, 1);
    localzone_free(lz);

    /* A loop stops at the chain limit. */
    lz = localzone_new();
    char err[128];
    ck_assert_int_eq(localzone_record_parse(lz, "a.loop. CNAME b.loop.", err, sizeof(err)), 0);
    ck_assert_int_eq(localzone_record_parse(lz, "b.loop. CNAME a.loop.", err, sizeof(err)), 0);
    ck_assert_int_eq(localzone_finish(lz, err, sizeof(err)), 0);
    ck_assert_int_eq(ask(lz, "a.loop", DNS_TYPE_A, 4096, &r), 1);
    ck_assert_uint_eq(r.m.sec_n[DNS_SEC_AN], LOCALZONE_MAX_CHAIN + 1);
    localzone_free(lz);
}
END_TEST

START_TEST(test_dnsd_localzone_keeps_question_case_and_truncates)
{
    struct localzone *lz = localzone_new();
    char err[128], line[300];
    for (int i = 0; i < 60; i++) {
        snprintf(line, sizeof(line), "big.lab. TXT \"%040d\"", i);
        ck_assert_int_eq(localzone_record_parse(lz, line, err, sizeof(err)), 0);
    }
    ck_assert_int_eq(localzone_record_parse(lz, "Www.Lab. A 10.0.0.1", err, sizeof(err)), 0);
    ck_assert_int_eq(localzone_finish(lz, err, sizeof(err)), 0);
    struct reply r;
    ck_assert_int_eq(ask(lz, "wWW.lAB", DNS_TYPE_A, 512, &r), 1);
    ck_assert_str_eq(rr_text(&r, 0), "wWW.lAB.\t300\tIN\tA\t10.0.0.1");
    /* 60 x 41-octet strings do not fit 512: the RRset goes, TC is set. */
    ck_assert_int_eq(ask(lz, "big.lab", DNS_TYPE_TXT, 512, &r), 1);
    ck_assert(r.m.hdr.tc);
    ck_assert_uint_eq(r.m.sec_n[DNS_SEC_AN], 0);
    ck_assert_int_eq(ask(lz, "big.lab", DNS_TYPE_TXT, 4096, &r), 1);
    ck_assert(!r.m.hdr.tc);
    ck_assert_uint_eq(r.m.sec_n[DNS_SEC_AN], 60);
    localzone_free(lz);
}
END_TEST

START_TEST(test_dnsd_localzone_record_syntax_errors)
{
    static const struct {
        const char *line, *msg;
    } bad[] = {
        {"www.lab.", "expected \"NAME [TTL] [IN] TYPE RDATA\""},
        {"www.lab. A", "expected \"NAME [TTL] [IN] TYPE RDATA\""},
        {"www..lab. A 10.0.0.1", "expected \"NAME [TTL] [IN] TYPE RDATA\""},
        {"www.lab. 300 IN BOGUS 1", "\"BOGUS\" is not a record type"},
        {"www.lab. HINFO a b", "type HINFO is not supported"},
        {"www.lab. A 10.0.0.256", "A RDATA: expected an IPv4 address"},
        {"www.lab. A 10.0.0.1 10.0.0.2", "A RDATA: expected an IPv4 address"},
        {"www.lab. AAAA 10.0.0.1", "AAAA RDATA: expected an IPv6 address"},
        {"www.lab. MX mail.lab.", "MX RDATA: expected PREFERENCE NAME"},
        {"www.lab. MX 70000 mail.lab.", "MX RDATA: expected PREFERENCE NAME"},
        {"www.lab. SRV 1 2 mail.lab.", "SRV RDATA: expected PRIORITY WEIGHT PORT TARGET"},
        {"www.lab. CNAME \"quoted\"", "CNAME RDATA: expected a name"},
        {"www.lab. TXT \"unterminated", "unbalanced quotes"},
        {"www.lab. TXT \"bad\\9\"", "TXT RDATA: expected one or more strings"},
        {"www.lab. 4294967296 A 10.0.0.1", "\"4294967296\" is not a record type"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct localzone *lz = localzone_new();
        char err[256] = "";
        ck_assert_msg(localzone_record_parse(lz, bad[i].line, err, sizeof(err)) == -EINVAL, "%s",
                      bad[i].line);
        ck_assert_msg(strstr(err, bad[i].msg) != NULL, "%s: got \"%s\"", bad[i].line, err);
        ck_assert_uint_eq(localzone_count(lz), 0);
        localzone_free(lz);
    }
    /* A TXT string of 256 octets is one too many. */
    char line[400];
    snprintf(line, sizeof(line), "t.lab. TXT %0256d", 0);
    struct localzone *lz = localzone_new();
    char err[256];
    ck_assert_int_eq(localzone_record_parse(lz, line, err, sizeof(err)), -EINVAL);
    ck_assert_str_eq(err, "TXT RDATA: expected one or more strings of up to 255 octets");
    snprintf(line, sizeof(line), "t.lab. TXT %0255d", 0);
    ck_assert_int_eq(localzone_record_parse(lz, line, err, sizeof(err)), 0);
    /* CNAME and other data at one name (RFC 1034 3.6.2). */
    ck_assert_int_eq(localzone_record_parse(lz, "c.lab. CNAME t.lab.", err, sizeof(err)), 0);
    ck_assert_int_eq(localzone_record_parse(lz, "c.lab. A 10.0.0.1", err, sizeof(err)), 0);
    ck_assert_int_eq(localzone_finish(lz, err, sizeof(err)), -EINVAL);
    ck_assert_str_eq(err, "c.lab. has a CNAME and other data (RFC 1034 3.6.2)");
    localzone_free(lz);
}
END_TEST

START_TEST(test_dnsd_localzone_hosts_errors_name_line)
{
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"10.0.0.1 a\nnot-an-ip b\n", "h:2: \"not-an-ip\" is not an IP address"},
        {"10.0.0.1\n", "h:1: address 10.0.0.1 without a name"},
        {"\n\n10.0.0.1 a..b\n", "h:3: \"a..b\" is not a host name"},
        {"fe80::1%lo x\n", "h:1: \"fe80::1%lo\" is not an IP address"},
        {"10.0.0.1 a\0b\n", "h:1: NUL character"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct localzone *lz = localzone_new();
        char err[256] = "";
        size_t len = i == 4 ? 13 : strlen(bad[i].text);
        char *t = test_exact_copy(bad[i].text, len);
        ck_assert_int_eq(localzone_hosts_parse(lz, "h", t, len, err, sizeof(err)), -EINVAL);
        ck_assert_str_eq(err, bad[i].msg);
        free(t);
        localzone_free(lz);
    }
    /* A line too long for the buffer is an error, not a cut. */
    char *big = malloc(3000);
    memset(big, 'a', 3000);
    memcpy(big, "10.0.0.1 ", 9);
    struct localzone *lz = localzone_new();
    char err[256];
    ck_assert_int_eq(localzone_hosts_parse(lz, "h", big, 3000, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "h:1: line longer than"));
    free(big);
    /* No final newline is fine. */
    ck_assert_int_eq(localzone_hosts_parse(lz, "h", "10.0.0.1 x", 10, err, sizeof(err)), 0);
    ck_assert_int_eq(localzone_hosts_load(lz, "/nonexistent/hosts", err, sizeof(err)), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/hosts"));
    localzone_free(lz);
}
END_TEST

START_TEST(test_dnsd_localzone_rr_add_checks_rdata)
{
    struct localzone *lz = localzone_new();
    uint8_t o[DNS_NAME_MAXLEN];
    wname("x.lab", o);
    static const uint8_t a3[] = {1, 2, 3}, badname[] = {3, 'a', 'b'}, ptr[] = {0xc0, 0x0c},
                         txt_over[] = {5, 'a'}, mx[] = {0, 10, 0};
    ck_assert_int_eq(localzone_rr_add(lz, o, DNS_TYPE_A, 1, a3, 3), -EBADMSG);
    ck_assert_int_eq(localzone_rr_add(lz, o, DNS_TYPE_CNAME, 1, badname, 3), -EBADMSG);
    ck_assert_int_eq(localzone_rr_add(lz, o, DNS_TYPE_PTR, 1, ptr, 2), -EBADMSG);
    ck_assert_int_eq(localzone_rr_add(lz, o, DNS_TYPE_TXT, 1, txt_over, 2), -EBADMSG);
    ck_assert_int_eq(localzone_rr_add(lz, o, DNS_TYPE_TXT, 1, txt_over, 0), -EBADMSG);
    ck_assert_int_eq(localzone_rr_add(lz, o, DNS_TYPE_MX, 1, mx, 3), 0);
    ck_assert_int_eq(localzone_rr_add(lz, o, DNS_TYPE_HINFO, 1, mx, 3), -ENOTSUP);
    for (int i = 0; i < LOCALZONE_MAX_ZONES; i++) {
        char z[32];
        snprintf(z, sizeof(z), "z%d.", i);
        wname(z, o);
        ck_assert_int_eq(localzone_zone_add(lz, o), 0);
    }
    ck_assert_int_eq(localzone_zone_add(lz, o), 0); /* a duplicate */
    wname("one-more.", o);
    ck_assert_int_eq(localzone_zone_add(lz, o), -E2BIG);
    localzone_free(lz);
    localzone_free(NULL);
}
END_TEST

static Suite *dnsd_localzone_suite(void)
{
    Suite *s = suite_create("dnsd_localzone");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_dnsd_localzone_answers_each_type);
    tcase_add_test(tc, test_dnsd_localzone_negative_answers_carry_soa);
    tcase_add_test(tc, test_dnsd_localzone_outside_zones_is_transparent);
    tcase_add_test(tc, test_dnsd_localzone_cname_chains);
    tcase_add_test(tc, test_dnsd_localzone_keeps_question_case_and_truncates);
    tcase_add_test(tc, test_dnsd_localzone_record_syntax_errors);
    tcase_add_test(tc, test_dnsd_localzone_hosts_errors_name_line);
    tcase_add_test(tc, test_dnsd_localzone_rr_add_checks_rdata);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dnsd_localzone_suite)
