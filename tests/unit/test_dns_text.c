#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dns_msg.h"
#include "common/dns_name.h"
#include "common/dns_text.h"
#include "common/dns_write.h"
#include "testutil.h"

/* Reads tests/data/dns/<name>: hex octets, '#' comments to end of line. */
static uint8_t *load_hex(const char *name, size_t *len)
{
    return test_load_hex("dns", name, "", len);
}

static struct dns_question g_qd[4];
static struct dns_rr g_rr[32];

static void parse_golden(const char *name, struct dns_msg *m, uint8_t **buf)
{
    size_t len;
    *buf = load_hex(name, &len);
    memset(m, 0, sizeof(*m));
    m->qd = g_qd;
    m->qd_cap = 4;
    m->rr = g_rr;
    m->rr_cap = 32;
    ck_assert_int_eq(dns_msg_parse(m, *buf, len), 0);
}

/* Each golden record, printed as dig prints it (tabs between fields). */
START_TEST(test_dns_text_golden_records)
{
    static const struct {
        const char *file;
        size_t idx;
        const char *want;
    } cases[] = {
        {"answer_compressed.hex", 0, "www.example.com.\t300\tIN\tCNAME\tweb.example.com."},
        {"answer_compressed.hex", 1, "web.example.com.\t60\tIN\tA\t192.0.2.1"},
        {"referral.hex", 0, "example.com.\t172800\tIN\tNS\tns1.example.com."},
        {"referral.hex", 3, "ns2.example.com.\t172800\tIN\tAAAA\t2001:db8::53"},
        {"nxdomain.hex", 0,
         "example.com.\t300\tIN\tSOA\tns1.example.com. hostmaster.example.com. 2024010101 7200 "
         "3600 1209600 300"},
        {"opt.hex", 0, "example.com.\t3600\tIN\tMX\t10 mail.example.com."},
        {"opt.hex", 1, "; EDNS: version: 0, flags: do; udp: 1232; OPT=10: 0102030405060708"},
        {"txt.hex", 0, "example.com.\t300\tIN\tTXT\t\"v=spf1 -all\" \"hello world\" \"\""},
        {"txt.hex", 1, "example.com.\t300\tIN\tTXT\t\"a\\\"b\\\\c\\009\""},
        {"srv.hex", 0, "_sip._tcp.example.com.\t86400\tIN\tSRV\t10 60 5060 sipserver.example.com."},
        {"ptr.hex", 0, "1.2.0.192.in-addr.arpa.\t3600\tIN\tPTR\thost.example.com."},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct dns_msg m;
        uint8_t *buf;
        parse_golden(cases[i].file, &m, &buf);
        char out[512];
        ck_assert_int_eq(dns_rr_to_text(&m, &g_rr[cases[i].idx], out, sizeof(out)), 0);
        ck_assert_str_eq(out, cases[i].want);
        /* One octet short of room: nothing but an empty string. */
        size_t need = strlen(cases[i].want) + 1;
        ck_assert_int_eq(dns_rr_to_text(&m, &g_rr[cases[i].idx], out, need - 1), -EMSGSIZE);
        ck_assert_str_eq(out, "");
        ck_assert_int_eq(dns_rr_to_text(&m, &g_rr[cases[i].idx], out, need), 0);
        free(buf);
    }
    struct dns_msg m;
    uint8_t *buf;
    parse_golden("query.hex", &m, &buf);
    char out[128];
    ck_assert_int_eq(dns_question_to_text(&m, &g_qd[0], out, sizeof(out)), 0);
    ck_assert_str_eq(out, ";www.example.com.\t\tIN\tA");
    free(buf);
}
END_TEST

/* RFC 3597 5: unknown types, and known types whose RDATA does not decode
 * (checked only through dns_rdata_to_text, as parse rejects them). */
START_TEST(test_dns_text_generic_rdata)
{
    uint8_t buf[512], owner[DNS_NAME_MAXLEN];
    size_t n;
    ck_assert_int_eq(dns_name_from_text("x.", 2, owner, &n), 0);
    struct dns_wr d;
    struct dns_hdr h = {.qr = true};
    dns_wr_init(&d, buf, sizeof(buf), sizeof(buf));
    dns_wr_header(&d, &h);
    dns_wr_rrset_begin(&d, DNS_SEC_AN);
    dns_wr_rr(&d, owner, 12345, 3, 7, "\x01\xab\xff", 3);
    dns_wr_rr(&d, owner, DNS_TYPE_CAA, DNS_CLASS_IN, 7, NULL, 0);
    dns_wr_rrset_end(&d);
    size_t len;
    ck_assert_int_eq(dns_wr_finish(&d, &len), 0);
    struct dns_msg m = {.rr = g_rr, .rr_cap = 32};
    ck_assert_int_eq(dns_msg_parse(&m, buf, len), 0);
    char out[256];
    ck_assert_int_eq(dns_rr_to_text(&m, &g_rr[0], out, sizeof(out)), 0);
    ck_assert_str_eq(out, "x.\t7\tCH\tTYPE12345\t\\# 3 01abff");
    ck_assert_int_eq(dns_rr_to_text(&m, &g_rr[1], out, sizeof(out)), 0);
    ck_assert_str_eq(out, "x.\t7\tIN\tCAA\t\\# 0");
    /* An A view over 3 octets prints generically. */
    struct dns_rr bad = g_rr[0];
    bad.type = DNS_TYPE_A;
    ck_assert_int_eq(dns_rdata_to_text(&m, &bad, out, sizeof(out)), 0);
    ck_assert_str_eq(out, "\\# 3 01abff");
    /* A view outside the message. */
    bad.rdata_off = len;
    bad.rdlength = 1;
    ck_assert_int_eq(dns_rdata_to_text(&m, &bad, out, sizeof(out)), 0);
    ck_assert_str_eq(out, "\\# 0");
    bad.owner_off = len;
    ck_assert_int_eq(dns_rr_to_text(&m, &bad, out, sizeof(out)), -EBADMSG);
}
END_TEST

START_TEST(test_dns_text_mnemonics_both_ways)
{
    static const struct {
        uint16_t num;
        const char *name;
    } types[] = {
        {DNS_TYPE_A, "A"},         {DNS_TYPE_NS, "NS"},     {DNS_TYPE_CNAME, "CNAME"},
        {DNS_TYPE_SOA, "SOA"},     {DNS_TYPE_PTR, "PTR"},   {DNS_TYPE_MX, "MX"},
        {DNS_TYPE_TXT, "TXT"},     {DNS_TYPE_AAAA, "AAAA"}, {DNS_TYPE_SRV, "SRV"},
        {DNS_TYPE_DNAME, "DNAME"}, {DNS_TYPE_OPT, "OPT"},   {DNS_TYPE_DS, "DS"},
        {DNS_TYPE_RRSIG, "RRSIG"}, {DNS_TYPE_NSEC, "NSEC"}, {DNS_TYPE_DNSKEY, "DNSKEY"},
        {DNS_TYPE_HTTPS, "HTTPS"}, {DNS_TYPE_SVCB, "SVCB"}, {DNS_TYPE_CAA, "CAA"},
        {DNS_TYPE_ANY, "ANY"},     {12345, "TYPE12345"},    {0, "TYPE0"},
        {65535, "TYPE65535"},
    };
    char out[DNS_MNEMONIC_MAX];
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        dns_type_to_text(types[i].num, out);
        ck_assert_str_eq(out, types[i].name);
        uint16_t v = 1;
        ck_assert_int_eq(dns_type_from_text(types[i].name, &v), 0);
        ck_assert_uint_eq(v, types[i].num);
    }
    uint16_t v;
    ck_assert_int_eq(dns_type_from_text("aaaa", &v), 0);
    ck_assert_uint_eq(v, DNS_TYPE_AAAA);
    ck_assert_int_eq(dns_type_from_text("type28", &v), 0);
    ck_assert_uint_eq(v, DNS_TYPE_AAAA);
    ck_assert_int_eq(dns_type_from_text("TYPE65536", &v), -EBADMSG);
    ck_assert_int_eq(dns_type_from_text("TYPE", &v), -EBADMSG);
    ck_assert_int_eq(dns_type_from_text("TYPE-1", &v), -EBADMSG);
    ck_assert_int_eq(dns_type_from_text("TYPE1x", &v), -EBADMSG);
    ck_assert_int_eq(dns_type_from_text("TYPE000001", &v), -EBADMSG);
    ck_assert_int_eq(dns_type_from_text("", &v), -EBADMSG);
    ck_assert_int_eq(dns_type_from_text("NOPE", &v), -EBADMSG);

    dns_class_to_text(DNS_CLASS_IN, out);
    ck_assert_str_eq(out, "IN");
    dns_class_to_text(DNS_CLASS_CH, out);
    ck_assert_str_eq(out, "CH");
    dns_class_to_text(1232, out);
    ck_assert_str_eq(out, "CLASS1232");
    ck_assert_int_eq(dns_class_from_text("class1232", &v), 0);
    ck_assert_uint_eq(v, 1232);
    ck_assert_int_eq(dns_class_from_text("hs", &v), 0);
    ck_assert_uint_eq(v, DNS_CLASS_HS);
    ck_assert_int_eq(dns_class_from_text("TYPE1", &v), -EBADMSG);

    dns_rcode_to_text(DNS_RCODE_NXDOMAIN, out);
    ck_assert_str_eq(out, "NXDOMAIN");
    dns_rcode_to_text(DNS_RCODE_BADVERS, out);
    ck_assert_str_eq(out, "BADVERS");
    dns_rcode_to_text(4000, out);
    ck_assert_str_eq(out, "4000");
    ck_assert_int_eq(dns_rcode_from_text("servfail", &v), 0);
    ck_assert_uint_eq(v, DNS_RCODE_SERVFAIL);
    ck_assert_int_eq(dns_rcode_from_text("4095", &v), 0);
    ck_assert_int_eq(dns_rcode_from_text("4096", &v), -EBADMSG);

    uint8_t op;
    dns_opcode_to_text(DNS_OPCODE_NOTIFY, out);
    ck_assert_str_eq(out, "NOTIFY");
    dns_opcode_to_text(15, out);
    ck_assert_str_eq(out, "15");
    ck_assert_int_eq(dns_opcode_from_text("update", &op), 0);
    ck_assert_uint_eq(op, DNS_OPCODE_UPDATE);
    ck_assert_int_eq(dns_opcode_from_text("16", &op), -EBADMSG);

    /* Every number round-trips through its text. */
    for (unsigned t = 0; t <= 65535; t++) {
        dns_type_to_text((uint16_t)t, out);
        ck_assert_int_eq(dns_type_from_text(out, &v), 0);
        ck_assert_uint_eq(v, t);
        dns_class_to_text((uint16_t)t, out);
        ck_assert_int_eq(dns_class_from_text(out, &v), 0);
        ck_assert_uint_eq(v, t);
    }
}
END_TEST

/* Every buffer size below what a record needs fails cleanly, never
 * writing past cap (the buffer is an exact-size allocation). */
START_TEST(test_dns_text_small_buffers)
{
    static const char *files[] = {"nxdomain.hex", "txt.hex", "opt.hex", "referral.hex"};
    for (size_t f = 0; f < 4; f++) {
        struct dns_msg m;
        uint8_t *buf;
        parse_golden(files[f], &m, &buf);
        for (size_t i = 0; i < m.rr_n; i++) {
            char full[1024];
            ck_assert_int_eq(dns_rr_to_text(&m, &g_rr[i], full, sizeof(full)), 0);
            size_t need = strlen(full) + 1;
            for (size_t cap = 0; cap <= need; cap++) {
                char *out = malloc(cap ? cap : 1);
                ck_assert_ptr_nonnull(out);
                int rc = dns_rr_to_text(&m, &g_rr[i], out, cap);
                if (cap < need) {
                    ck_assert_int_eq(rc, -EMSGSIZE);
                    if (cap > 0)
                        ck_assert_str_eq(out, "");
                } else {
                    ck_assert_int_eq(rc, 0);
                    ck_assert_str_eq(out, full);
                }
                free(out);
            }
        }
        free(buf);
    }
}
END_TEST

static Suite *dns_text_suite(void)
{
    Suite *s = suite_create("dns_text");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_dns_text_golden_records);
    tcase_add_test(tc, test_dns_text_generic_rdata);
    tcase_add_test(tc, test_dns_text_mnemonics_both_ways);
    tcase_add_test(tc, test_dns_text_small_buffers);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dns_text_suite)
