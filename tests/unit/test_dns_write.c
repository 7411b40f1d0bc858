#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dns_msg.h"
#include "common/dns_name.h"
#include "common/dns_write.h"
#include "common/wire.h"
#include "testutil.h"

/* Reads tests/data/dns/<name>: hex octets, '#' comments to end of line. */
static uint8_t *load_hex(const char *name, size_t *len)
{
    return test_load_hex("dns", name, "", len);
}

static const char *const goldens[] = {
    "query.hex", "answer_compressed.hex", "referral.hex", "nxdomain.hex", "opt.hex", "txt.hex",
    "srv.hex",   "truncated_tc.hex",      "ptr.hex",      "ns.hex",
};
#define NGOLDEN (sizeof(goldens) / sizeof(goldens[0]))

static struct dns_question g_qd[8];
static struct dns_rr g_rr[512];

static int parse(struct dns_msg *m, const uint8_t *buf, size_t len)
{
    memset(m, 0, sizeof(*m));
    m->qd = g_qd;
    m->qd_cap = 8;
    m->rr = g_rr;
    m->rr_cap = 512;
    return dns_msg_parse(m, buf, len);
}

static void wire_name(const char *s, uint8_t *out)
{
    size_t n;
    ck_assert_int_eq(dns_name_from_text(s, strlen(s), out, &n), 0);
}

/* Re-encodes a parsed message with the writer: same header, questions and
 * records, consecutive records of one owner/type/class as one RRset. */
static int reencode(const struct dns_msg *m, uint8_t *out, size_t cap, size_t *len)
{
    struct dns_wr d;
    dns_wr_init(&d, out, cap, cap);
    dns_wr_header(&d, &m->hdr);
    for (size_t i = 0; i < m->qd_n; i++) {
        uint8_t q[DNS_NAME_MAXLEN];
        ck_assert_int_eq(dns_msg_qname(m, &m->qd[i], q, NULL), 0);
        dns_wr_question(&d, q, m->qd[i].qtype, m->qd[i].qclass);
    }
    for (int sec = DNS_SEC_AN; sec < DNS_SEC_COUNT; sec++) {
        size_t n;
        const struct dns_rr *rr = dns_msg_section(m, sec, &n);
        for (size_t i = 0; i < n; i++) {
            dns_wr_rrset_begin(&d, sec);
            ck_assert_int_eq(dns_wr_rr_copy(&d, m, &rr[i]), 0);
            if (dns_wr_rrset_end(&d) != 0)
                break;
        }
    }
    return dns_wr_finish(&d, len);
}

START_TEST(test_dns_write_golden_round_trips)
{
    for (size_t g = 0; g < NGOLDEN; g++) {
        size_t len;
        uint8_t *buf = load_hex(goldens[g], &len);
        struct dns_msg m;
        ck_assert_int_eq(parse(&m, buf, len), 0);
        uint8_t out[4096];
        size_t olen;
        ck_assert_int_eq(reencode(&m, out, sizeof(out), &olen), 0);
        ck_assert_msg(olen == len, "%s: %zu octets, want %zu", goldens[g], olen, len);
        ck_assert_msg(memcmp(out, buf, len) == 0, "%s differs", goldens[g]);
        /* Exactly enough room works; one octet less drops the last RRset
         * (or, for the bare query, fails). */
        ck_assert_int_eq(reencode(&m, out, len, &olen), 0);
        ck_assert_uint_eq(olen, len);
        int rc = reencode(&m, out, len - 1, &olen);
        if (m.rr_n == 0) {
            ck_assert_int_eq(rc, -EMSGSIZE);
        } else {
            ck_assert_int_eq(rc, 0);
            ck_assert_uint_lt(olen, len);
            struct dns_msg m2;
            ck_assert_int_eq(parse(&m2, out, olen), 0);
            ck_assert_uint_eq(m2.rr_n, m.rr_n - 1);
        }
        free(buf);
    }
}
END_TEST

START_TEST(test_dns_write_query_make)
{
    size_t len;
    uint8_t *want = load_hex("query.hex", &len);
    uint8_t q[DNS_NAME_MAXLEN], out[512];
    wire_name("www.example.com", q);
    size_t olen;
    ck_assert_int_eq(
        dns_query_make(out, sizeof(out), 0x1234, q, DNS_TYPE_A, DNS_CLASS_IN, true, NULL, &olen),
        0);
    ck_assert_uint_eq(olen, len);
    ck_assert_mem_eq(out, want, len);
    /* Too small at every length below. */
    for (size_t cap = 0; cap < len; cap++)
        ck_assert_int_eq(
            dns_query_make(out, cap, 0x1234, q, DNS_TYPE_A, DNS_CLASS_IN, true, NULL, &olen),
            -EMSGSIZE);
    /* With EDNS: an OPT record follows. */
    struct dns_edns e = {.udp_size = 1232, .dnssec_ok = true};
    ck_assert_int_eq(
        dns_query_make(out, sizeof(out), 7, q, DNS_TYPE_AAAA, DNS_CLASS_IN, false, &e, &olen), 0);
    ck_assert_uint_eq(olen, len + DNS_OPT_FIXED_LEN);
    struct dns_msg m;
    ck_assert_int_eq(parse(&m, out, olen), 0);
    ck_assert(m.has_opt);
    ck_assert(!m.hdr.rd);
    struct dns_edns got;
    ck_assert_int_eq(dns_rr_opt(&m, &m.opt, &got), 0);
    ck_assert_uint_eq(got.udp_size, 1232);
    ck_assert(got.dnssec_ok);
    free(want);
}
END_TEST

/* The truncated golden, made the way a server would: the CNAME fits in
 * 512 octets, the 40-address RRset after it does not. */
START_TEST(test_dns_write_truncates_at_rrset)
{
    size_t len;
    uint8_t *want = load_hex("truncated_tc.hex", &len);
    uint8_t qn[DNS_NAME_MAXLEN], pool[DNS_NAME_MAXLEN], qbuf[512], out[4096];
    wire_name("big.example.com", qn);
    wire_name("pool.example.com", pool);
    size_t qlen;
    ck_assert_int_eq(
        dns_query_make(qbuf, sizeof(qbuf), 0x0a0a, qn, DNS_TYPE_A, DNS_CLASS_IN, true, NULL, &qlen),
        0);
    struct dns_msg q;
    ck_assert_int_eq(parse(&q, qbuf, qlen), 0);
    struct dns_wr d;
    ck_assert_int_eq(dns_reply_begin(&d, out, sizeof(out), 512, &q), 0);
    d.hdr.ra = true;
    dns_wr_rrset_begin(&d, DNS_SEC_AN);
    dns_wr_rr_begin(&d, qn, DNS_TYPE_CNAME, DNS_CLASS_IN, 300);
    dns_wr_rdata_name(&d, pool);
    dns_wr_rr_end(&d);
    ck_assert_int_eq(dns_wr_rrset_end(&d), 0);
    dns_wr_rrset_begin(&d, DNS_SEC_AN);
    for (uint8_t i = 0; i < 40; i++) {
        uint8_t a[4] = {192, 0, 2, i};
        dns_wr_rr(&d, pool, DNS_TYPE_A, DNS_CLASS_IN, 60, a, 4);
    }
    ck_assert_int_eq(dns_wr_rrset_end(&d), -EMSGSIZE);
    /* Writing has stopped: later RRsets are refused. */
    dns_wr_rrset_begin(&d, DNS_SEC_NS);
    dns_wr_rr(&d, pool, DNS_TYPE_A, DNS_CLASS_IN, 60, "abcd", 4);
    ck_assert_int_eq(dns_wr_rrset_end(&d), -EMSGSIZE);
    size_t olen;
    ck_assert_int_eq(dns_wr_finish(&d, &olen), 0);
    ck_assert_uint_eq(olen, len);
    ck_assert_mem_eq(out, want, len);
    free(want);
}
END_TEST

/* RFC 2181 9: additional data that does not fit is left out without TC;
 * the OPT record still goes in the room reserved for it. */
START_TEST(test_dns_write_additional_truncation_keeps_opt)
{
    uint8_t qn[DNS_NAME_MAXLEN], out[600];
    wire_name("example.com", qn);
    struct dns_wr d;
    struct dns_hdr h = {.id = 1, .qr = true};
    dns_wr_init(&d, out, sizeof(out), 100);
    dns_wr_reserve(&d, DNS_OPT_FIXED_LEN);
    dns_wr_header(&d, &h);
    dns_wr_question(&d, qn, DNS_TYPE_NS, DNS_CLASS_IN);
    dns_wr_rrset_begin(&d, DNS_SEC_AN);
    dns_wr_rr(&d, qn, DNS_TYPE_A, DNS_CLASS_IN, 1, "\x01\x02\x03\x04", 4);
    ck_assert_int_eq(dns_wr_rrset_end(&d), 0);
    dns_wr_rrset_begin(&d, DNS_SEC_AR);
    for (int i = 0; i < 5; i++)
        dns_wr_rr(&d, qn, DNS_TYPE_A, DNS_CLASS_IN, 1, "\x01\x02\x03\x04", 4);
    ck_assert_int_eq(dns_wr_rrset_end(&d), -EMSGSIZE);
    struct dns_edns e = {.udp_size = 1232};
    ck_assert_int_eq(dns_wr_opt(&d, &e), 0);
    size_t len;
    ck_assert_int_eq(dns_wr_finish(&d, &len), 0);
    ck_assert_uint_le(len, 100);
    struct dns_msg m;
    ck_assert_int_eq(parse(&m, out, len), 0);
    ck_assert(!m.hdr.tc);
    ck_assert(m.has_opt);
    ck_assert_uint_eq(m.hdr.count[DNS_SEC_AN], 1);
    ck_assert_uint_eq(m.hdr.count[DNS_SEC_AR], 1);
    /* An OPT that does not fit the limit is left out, reported. */
    dns_wr_init(&d, out, sizeof(out), 20);
    dns_wr_header(&d, &h);
    ck_assert_int_eq(dns_wr_opt(&d, &e), -EMSGSIZE);
    ck_assert_int_eq(dns_wr_finish(&d, &len), -EMSGSIZE);
}
END_TEST

/* Names in RDATA: compressed for MX, CNAME, NS, PTR, SOA only; SRV,
 * DNAME and unknown types carry them in full, and are not used as pointer
 * targets either. */
START_TEST(test_dns_write_rdata_compression_rules)
{
    uint8_t zone[DNS_NAME_MAXLEN], tgt[DNS_NAME_MAXLEN], out[1024];
    wire_name("example.com", zone);
    wire_name("t.example.com", tgt);
    struct dns_wr d;
    struct dns_hdr h = {.id = 9, .qr = true};
    dns_wr_init(&d, out, sizeof(out), sizeof(out));
    dns_wr_header(&d, &h);
    dns_wr_question(&d, zone, DNS_TYPE_ANY, DNS_CLASS_IN);
    static const uint16_t types[] = {DNS_TYPE_SRV, DNS_TYPE_DNAME, 65280, DNS_TYPE_MX};
    size_t rdata_at[4];
    for (int i = 0; i < 4; i++) {
        dns_wr_rrset_begin(&d, DNS_SEC_AN);
        dns_wr_rr_begin(&d, zone, types[i], DNS_CLASS_IN, 1);
        rdata_at[i] = wire_wr_len(&d.w);
        if (types[i] == DNS_TYPE_SRV || types[i] == DNS_TYPE_MX)
            wire_wr_zero(&d.w, types[i] == DNS_TYPE_SRV ? 6 : 2);
        dns_wr_rdata_name(&d, tgt);
        dns_wr_rr_end(&d);
        ck_assert_int_eq(dns_wr_rrset_end(&d), 0);
    }
    size_t len;
    ck_assert_int_eq(dns_wr_finish(&d, &len), 0);
    /* SRV target in full after priority/weight/port. */
    ck_assert_mem_eq(out + rdata_at[0] + 6, tgt, 15);
    ck_assert_mem_eq(out + rdata_at[1], tgt, 15);
    ck_assert_mem_eq(out + rdata_at[2], tgt, 15);
    /* MX: "t" + pointer to example.com in the question (offset 12), not
     * into the SRV target. */
    static const uint8_t mx[] = {1, 't', 0xc0, 12};
    ck_assert_mem_eq(out + rdata_at[3] + 2, mx, sizeof(mx));
    struct dns_msg m;
    ck_assert_int_eq(parse(&m, out, len), 0);
    struct dns_srv srv;
    ck_assert_int_eq(dns_rr_srv(&m, &g_rr[0], &srv), 0);
    ck_assert(dns_name_eq(srv.target, tgt));
    /* Owner names always compress: every owner is a pointer to 12. */
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(out[g_rr[i].owner_off], 0xc0);
}
END_TEST

START_TEST(test_dns_write_reply_begin)
{
    size_t len;
    uint8_t *qbuf = load_hex("query.hex", &len);
    /* A 0x20-randomised question keeps its case. */
    qbuf[13] = 'W';
    qbuf[19] = 'M';
    qbuf[3] |= 0x10; /* CD */
    struct dns_msg q;
    ck_assert_int_eq(parse(&q, qbuf, len), 0);
    uint8_t out[512];
    struct dns_wr d;
    ck_assert_int_eq(dns_reply_begin(&d, out, sizeof(out), 512, &q), 0);
    d.hdr.rcode = DNS_RCODE_REFUSED;
    size_t olen;
    ck_assert_int_eq(dns_wr_finish(&d, &olen), 0);
    ck_assert_uint_eq(olen, len);
    ck_assert_mem_eq(out + 12, qbuf + 12, len - 12);
    static struct dns_question q2[1];
    static struct dns_rr r2[1];
    struct dns_msg m = {.qd = q2, .qd_cap = 1, .rr = r2, .rr_cap = 1};
    ck_assert_int_eq(dns_msg_parse(&m, out, olen), 0);
    ck_assert_uint_eq(m.hdr.id, 0x1234);
    ck_assert(m.hdr.qr && m.hdr.rd && m.hdr.cd);
    ck_assert(!m.hdr.aa && !m.hdr.tc && !m.hdr.ra);
    ck_assert_uint_eq(m.hdr.rcode, DNS_RCODE_REFUSED);
    ck_assert_uint_eq(m.qd_n, 1);
    /* No room for the question. */
    ck_assert_int_eq(dns_reply_begin(&d, out, len - 1, 512, &q), -EMSGSIZE);
    free(qbuf);
}
END_TEST

START_TEST(test_dns_write_misuse_and_limits)
{
    uint8_t out[64], n[DNS_NAME_MAXLEN];
    wire_name("a", n);
    struct dns_wr d;
    struct dns_hdr h = {.id = 1};
    size_t len;
    /* No room for the header. */
    dns_wr_init(&d, out, 11, 11);
    dns_wr_header(&d, &h);
    ck_assert_int_eq(dns_wr_finish(&d, &len), -EMSGSIZE);
    /* A record outside an RRset. */
    dns_wr_init(&d, out, sizeof(out), sizeof(out));
    dns_wr_header(&d, &h);
    dns_wr_rr(&d, n, DNS_TYPE_A, DNS_CLASS_IN, 0, "abcd", 4);
    ck_assert_int_eq(dns_wr_finish(&d, &len), -EINVAL);
    /* Sections going backwards; questions after records. */
    dns_wr_init(&d, out, sizeof(out), sizeof(out));
    dns_wr_header(&d, &h);
    dns_wr_rrset_begin(&d, DNS_SEC_NS);
    ck_assert_int_eq(dns_wr_rrset_end(&d), 0);
    dns_wr_rrset_begin(&d, DNS_SEC_AN);
    ck_assert_int_eq(dns_wr_finish(&d, &len), -EINVAL);
    dns_wr_init(&d, out, sizeof(out), sizeof(out));
    dns_wr_header(&d, &h);
    dns_wr_rrset_begin(&d, DNS_SEC_AN);
    dns_wr_rrset_end(&d);
    dns_wr_question(&d, n, 1, 1);
    ck_assert_int_eq(dns_wr_finish(&d, &len), -EINVAL);
    /* Header twice. */
    dns_wr_init(&d, out, sizeof(out), sizeof(out));
    dns_wr_header(&d, &h);
    dns_wr_header(&d, &h);
    ck_assert_int_eq(dns_wr_finish(&d, &len), -EINVAL);
    /* An unclosed RRset is closed (and checked) by finish. */
    dns_wr_init(&d, out, sizeof(out), sizeof(out));
    dns_wr_header(&d, &h);
    dns_wr_rrset_begin(&d, DNS_SEC_AN);
    dns_wr_rr(&d, n, DNS_TYPE_A, DNS_CLASS_IN, 0, "abcd", 4);
    ck_assert_int_eq(dns_wr_finish(&d, &len), 0);
    ck_assert_uint_eq(len, 12 + 3 + 10 + 4);
    /* A question that did not fit stays an error even after an RRset is
     * rolled back (which clears the buffer's own no-room error). */
    dns_wr_init(&d, out, 14, 14);
    dns_wr_header(&d, &h);
    dns_wr_question(&d, n, 1, 1);
    dns_wr_rrset_begin(&d, DNS_SEC_AN);
    dns_wr_rr(&d, n, DNS_TYPE_A, DNS_CLASS_IN, 0, "abcd", 4);
    ck_assert_int_eq(dns_wr_rrset_end(&d), -EMSGSIZE);
    ck_assert_int_eq(dns_wr_finish(&d, &len), -EMSGSIZE);
    /* The question must fit the limit too, not only the buffer. */
    dns_wr_init(&d, out, sizeof(out), 14);
    dns_wr_header(&d, &h);
    dns_wr_question(&d, n, 1, 1);
    ck_assert_int_eq(dns_wr_finish(&d, &len), -EMSGSIZE);
    dns_wr_init(&d, out, sizeof(out), 11);
    dns_wr_header(&d, &h);
    ck_assert_int_eq(dns_wr_finish(&d, &len), -EMSGSIZE);
    /* Limit above capacity is clamped. */
    dns_wr_init(&d, out, sizeof(out), 100000);
    ck_assert_uint_eq(d.limit, sizeof(out));
}
END_TEST

/* Many distinct names: the compression table fills up and stays bounded;
 * the message stays valid, and no pointer targets an offset past 0x3fff. */
START_TEST(test_dns_write_compression_table_bounded)
{
    static uint8_t out[65535];
    struct dns_wr d;
    struct dns_hdr h = {.id = 1, .qr = true};
    dns_wr_init(&d, out, sizeof(out), sizeof(out));
    dns_wr_header(&d, &h);
    uint8_t names[600][DNS_NAME_MAXLEN];
    for (int i = 0; i < 600; i++) {
        char txt[64];
        (void)snprintf(txt, sizeof(txt), "host%d.zone%d.example", i, i % 7);
        wire_name(txt, names[i]);
    }
    dns_wr_rrset_begin(&d, DNS_SEC_AN);
    /* Each name twice, far apart, with padding so offsets pass 0x3fff. */
    static uint8_t pad[8];
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 600; i++)
            dns_wr_rr(&d, names[i], 65280, DNS_CLASS_IN, 0, pad, sizeof(pad));
    ck_assert_int_eq(dns_wr_rrset_end(&d), 0);
    ck_assert_uint_le(d.ncomp, DNS_WR_COMP_MAX);
    size_t len;
    ck_assert_int_eq(dns_wr_finish(&d, &len), 0);
    ck_assert_uint_gt(len, 0x4000);
    struct dns_msg m;
    static struct dns_rr rr[1200];
    memset(&m, 0, sizeof(m));
    m.rr = rr;
    m.rr_cap = 1200;
    ck_assert_int_eq(dns_msg_parse(&m, out, len), 0);
    for (int i = 0; i < 1200; i++) {
        uint8_t got[DNS_NAME_MAXLEN];
        ck_assert_int_eq(dns_msg_rr_owner(&m, &rr[i], got, NULL), 0);
        ck_assert_mem_eq(got, names[i % 600], dns_name_len(names[i % 600]));
    }
}
END_TEST

static uint32_t rng = 777;
static uint32_t rnd(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

/* Random messages: written, parsed, re-encoded; the bytes come back. */
START_TEST(test_dns_write_random_round_trips)
{
    static const char *zones[] = {"example.com.", "Example.COM.", "a.b.example.com.", "org.", "."};
    static const uint16_t types[] = {
        DNS_TYPE_A,   DNS_TYPE_NS,   DNS_TYPE_CNAME, DNS_TYPE_SOA,   DNS_TYPE_PTR, DNS_TYPE_MX,
        DNS_TYPE_TXT, DNS_TYPE_AAAA, DNS_TYPE_SRV,   DNS_TYPE_DNAME, 99,           DNS_TYPE_CAA};
    for (int iter = 0; iter < 2000; iter++) {
        uint8_t names[6][DNS_NAME_MAXLEN];
        for (int i = 0; i < 6; i++) {
            char txt[80];
            const char *z = zones[rnd() % 5];
            if (rnd() % 3)
                (void)snprintf(txt, sizeof(txt), "h%u.%s", rnd() % 5, z[1] ? z : "");
            else
                (void)snprintf(txt, sizeof(txt), "%s", z);
            wire_name(txt, names[i]);
        }
        uint8_t buf[4096];
        struct dns_wr d;
        struct dns_hdr h = {.id = (uint16_t)rnd(), .qr = true, .aa = rnd() % 2 != 0};
        dns_wr_init(&d, buf, sizeof(buf), sizeof(buf));
        dns_wr_header(&d, &h);
        dns_wr_question(&d, names[0], (uint16_t)rnd(), DNS_CLASS_IN);
        int nrr = (int)(rnd() % 12);
        for (int i = 0; i < nrr; i++) {
            uint16_t t = types[rnd() % 12];
            dns_wr_rrset_begin(&d, DNS_SEC_AN + (int)(i * 3 / (nrr + 1)));
            dns_wr_rr_begin(&d, names[rnd() % 6], t, DNS_CLASS_IN, rnd());
            const uint8_t *n1 = names[rnd() % 6], *n2 = names[rnd() % 6];
            switch (t) {
            case DNS_TYPE_A:
                wire_wr_u32(&d.w, rnd());
                break;
            case DNS_TYPE_AAAA:
                wire_wr_zero(&d.w, 16);
                break;
            case DNS_TYPE_SOA:
                dns_wr_rdata_name(&d, n1);
                dns_wr_rdata_name(&d, n2);
                wire_wr_zero(&d.w, 20);
                break;
            case DNS_TYPE_MX:
                wire_wr_u16(&d.w, 5);
                dns_wr_rdata_name(&d, n1);
                break;
            case DNS_TYPE_SRV:
                wire_wr_zero(&d.w, 6);
                dns_wr_rdata_name(&d, n1);
                break;
            case DNS_TYPE_TXT:
                wire_wr_u8(&d.w, 2);
                wire_wr_u16(&d.w, (uint16_t)rnd());
                break;
            case 99:
            case DNS_TYPE_CAA:
                /* Opaque, even if it looks like a compressed name. */
                wire_wr_u16(&d.w, 0xc00c);
                break;
            default:
                dns_wr_rdata_name(&d, n1);
                break;
            }
            dns_wr_rr_end(&d);
            ck_assert_int_eq(dns_wr_rrset_end(&d), 0);
        }
        size_t len;
        ck_assert_int_eq(dns_wr_finish(&d, &len), 0);
        struct dns_msg m;
        ck_assert_int_eq(parse(&m, buf, len), 0);
        ck_assert_uint_eq(m.rr_n, (size_t)nrr);
        uint8_t out[4096];
        size_t olen;
        ck_assert_int_eq(reencode(&m, out, sizeof(out), &olen), 0);
        ck_assert_uint_eq(olen, len);
        ck_assert_mem_eq(out, buf, len);
    }
}
END_TEST

static Suite *dns_write_suite(void)
{
    Suite *s = suite_create("dns_write");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_dns_write_golden_round_trips);
    tcase_add_test(tc, test_dns_write_query_make);
    tcase_add_test(tc, test_dns_write_truncates_at_rrset);
    tcase_add_test(tc, test_dns_write_additional_truncation_keeps_opt);
    tcase_add_test(tc, test_dns_write_rdata_compression_rules);
    tcase_add_test(tc, test_dns_write_reply_begin);
    tcase_add_test(tc, test_dns_write_misuse_and_limits);
    tcase_add_test(tc, test_dns_write_compression_table_bounded);
    tcase_add_test(tc, test_dns_write_random_round_trips);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dns_write_suite)
