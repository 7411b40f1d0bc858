#include <ares.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dns_msg.h"
#include "common/dns_name.h"
#include "common/dns_write.h"
#include "common/wire.h"
#include "testutil.h"

/* Reads tests/data/dns/<name>: hex octets, '#' comments to end of line.
 * Returns an exact-size allocation. */
static uint8_t *load_hex(const char *name, size_t *len)
{
    return test_load_hex("dns", name, "", len);
}

static const char *const goldens[] = {
    "query.hex", "answer_compressed.hex", "referral.hex", "nxdomain.hex", "opt.hex", "txt.hex",
    "srv.hex",   "truncated_tc.hex",      "ptr.hex",      "ns.hex",
};
#define NGOLDEN (sizeof(goldens) / sizeof(goldens[0]))

struct parsed {
    struct dns_msg m;
    struct dns_question qd[4];
    struct dns_rr rr[32];
};

static int parse(struct parsed *p, const uint8_t *buf, size_t len)
{
    memset(p, 0, sizeof(*p));
    p->m.qd = p->qd;
    p->m.qd_cap = 4;
    p->m.rr = p->rr;
    p->m.rr_cap = 32;
    return dns_msg_parse(&p->m, buf, len);
}

static void wire_name(const char *s, uint8_t *out)
{
    size_t n;
    ck_assert_int_eq(dns_name_from_text(s, strlen(s), out, &n), 0);
}

static void assert_owner(const struct dns_msg *m, const struct dns_rr *rr, const char *s)
{
    uint8_t got[DNS_NAME_MAXLEN], want[DNS_NAME_MAXLEN];
    ck_assert_int_eq(dns_msg_rr_owner(m, rr, got, NULL), 0);
    wire_name(s, want);
    ck_assert(dns_name_eq(got, want));
}

static void assert_name(const uint8_t *got, const char *s)
{
    uint8_t want[DNS_NAME_MAXLEN];
    wire_name(s, want);
    ck_assert_mem_eq(got, want, dns_name_len(want));
}

START_TEST(test_dns_msg_parse_query)
{
    size_t len;
    uint8_t *buf = load_hex("query.hex", &len);
    struct parsed p;
    ck_assert_int_eq(parse(&p, buf, len), 0);
    ck_assert_uint_eq(p.m.hdr.id, 0x1234);
    ck_assert(!p.m.hdr.qr);
    ck_assert(p.m.hdr.rd);
    ck_assert_uint_eq(p.m.hdr.opcode, DNS_OPCODE_QUERY);
    ck_assert_uint_eq(p.m.qd_n, 1);
    ck_assert_uint_eq(p.m.rr_n, 0);
    ck_assert_uint_eq(p.qd[0].qtype, DNS_TYPE_A);
    ck_assert_uint_eq(p.qd[0].qclass, DNS_CLASS_IN);
    uint8_t q[DNS_NAME_MAXLEN];
    ck_assert_int_eq(dns_msg_qname(&p.m, &p.qd[0], q, NULL), 0);
    assert_name(q, "www.example.com.");
    ck_assert(!p.m.has_opt);
    ck_assert_uint_eq(p.m.end, len);
    free(buf);
}
END_TEST

START_TEST(test_dns_msg_parse_answer_compressed)
{
    size_t len;
    uint8_t *buf = load_hex("answer_compressed.hex", &len);
    struct parsed p;
    ck_assert_int_eq(parse(&p, buf, len), 0);
    ck_assert(p.m.hdr.qr && p.m.hdr.rd && p.m.hdr.ra && !p.m.hdr.aa && !p.m.hdr.tc);
    ck_assert_uint_eq(dns_msg_rcode(&p.m), DNS_RCODE_NOERROR);
    size_t n;
    const struct dns_rr *an = dns_msg_section(&p.m, DNS_SEC_AN, &n);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(an[0].type, DNS_TYPE_CNAME);
    ck_assert_uint_eq(an[0].ttl, 300);
    assert_owner(&p.m, &an[0], "www.example.com");
    uint8_t name[DNS_NAME_MAXLEN];
    size_t nl;
    ck_assert_int_eq(dns_rr_name(&p.m, &an[0], name, &nl), 0);
    ck_assert_uint_eq(nl, 17);
    assert_name(name, "web.example.com.");
    for (int i = 1; i <= 2; i++) {
        uint8_t a[4];
        ck_assert_uint_eq(an[i].section, DNS_SEC_AN);
        assert_owner(&p.m, &an[i], "web.example.com");
        ck_assert_int_eq(dns_rr_a(&p.m, &an[i], a), 0);
        ck_assert_uint_eq(a[3], (unsigned)i);
        ck_assert_uint_eq(an[i].ttl, 60);
        /* Typed views check the type. */
        ck_assert_int_eq(dns_rr_name(&p.m, &an[i], name, &nl), -ENOTSUP);
    }
    dns_msg_section(&p.m, DNS_SEC_NS, &n);
    ck_assert_uint_eq(n, 0);
    free(buf);
}
END_TEST

START_TEST(test_dns_msg_parse_referral)
{
    size_t len;
    uint8_t *buf = load_hex("referral.hex", &len);
    struct parsed p;
    ck_assert_int_eq(parse(&p, buf, len), 0);
    size_t n;
    const struct dns_rr *ns = dns_msg_section(&p.m, DNS_SEC_NS, &n);
    ck_assert_uint_eq(n, 2);
    uint8_t name[DNS_NAME_MAXLEN], zone[DNS_NAME_MAXLEN];
    wire_name("example.com", zone);
    for (size_t i = 0; i < n; i++) {
        assert_owner(&p.m, &ns[i], "example.com");
        ck_assert_int_eq(dns_rr_name(&p.m, &ns[i], name, NULL), 0);
        ck_assert(dns_name_is_sub(name, zone)); /* in-bailiwick glue needed */
        ck_assert_uint_eq(ns[i].ttl, 172800);
    }
    const struct dns_rr *ar = dns_msg_section(&p.m, DNS_SEC_AR, &n);
    ck_assert_uint_eq(n, 2);
    uint8_t a6[16];
    ck_assert_int_eq(dns_rr_aaaa(&p.m, &ar[1], a6), 0);
    ck_assert_uint_eq(a6[15], 0x53);
    assert_owner(&p.m, &ar[1], "ns2.example.com");
    ck_assert_int_eq(dns_rr_aaaa(&p.m, &ar[0], a6), -ENOTSUP);
    free(buf);
}
END_TEST

START_TEST(test_dns_msg_parse_nxdomain_soa)
{
    size_t len;
    uint8_t *buf = load_hex("nxdomain.hex", &len);
    struct parsed p;
    ck_assert_int_eq(parse(&p, buf, len), 0);
    ck_assert_uint_eq(dns_msg_rcode(&p.m), DNS_RCODE_NXDOMAIN);
    ck_assert(p.m.hdr.aa);
    size_t n;
    const struct dns_rr *ns = dns_msg_section(&p.m, DNS_SEC_NS, &n);
    ck_assert_uint_eq(n, 1);
    struct dns_soa soa;
    ck_assert_int_eq(dns_rr_soa(&p.m, &ns[0], &soa), 0);
    assert_name(soa.mname, "ns1.example.com");
    assert_name(soa.rname, "hostmaster.example.com");
    ck_assert_uint_eq(soa.serial, 2024010101u);
    ck_assert_uint_eq(soa.refresh, 7200);
    ck_assert_uint_eq(soa.retry, 3600);
    ck_assert_uint_eq(soa.expire, 1209600);
    ck_assert_uint_eq(soa.minimum, 300);
    free(buf);
}
END_TEST

START_TEST(test_dns_msg_parse_opt)
{
    size_t len;
    uint8_t *buf = load_hex("opt.hex", &len);
    struct parsed p;
    ck_assert_int_eq(parse(&p, buf, len), 0);
    ck_assert(p.m.hdr.ad);
    ck_assert(p.m.has_opt);
    struct dns_edns e;
    ck_assert_int_eq(dns_rr_opt(&p.m, &p.m.opt, &e), 0);
    ck_assert_uint_eq(e.udp_size, 1232);
    ck_assert(e.dnssec_ok);
    ck_assert_uint_eq(e.version, 0);
    ck_assert_uint_eq(e.ext_rcode, 0);
    ck_assert_uint_eq(e.z, 0);
    struct wire_rd it;
    wire_rd_init(&it, e.options, e.options_len);
    uint16_t code, olen;
    const uint8_t *data;
    ck_assert_int_eq(dns_edns_opt_next(&it, &code, &data, &olen), 1);
    ck_assert_uint_eq(code, 10);
    ck_assert_uint_eq(olen, 8);
    ck_assert_mem_eq(data, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    ck_assert_int_eq(dns_edns_opt_next(&it, &code, &data, &olen), 0);
    size_t n;
    const struct dns_rr *an = dns_msg_section(&p.m, DNS_SEC_AN, &n);
    struct dns_mx mx;
    ck_assert_int_eq(dns_rr_mx(&p.m, &an[0], &mx), 0);
    ck_assert_uint_eq(mx.preference, 10);
    assert_name(mx.exchange, "mail.example.com");

    /* Extended RCODE: OPT's upper 8 bits over the header's 4. */
    /* The OPT record is the last 23 octets; its TTL starts 5 in. */
    buf[len - 23 + 5] = 1; /* EXTENDED-RCODE 1 over rcode 0: BADVERS */
    ck_assert_int_eq(parse(&p, buf, len), 0);
    ck_assert_uint_eq(dns_msg_rcode(&p.m), DNS_RCODE_BADVERS);
    free(buf);
}
END_TEST

START_TEST(test_dns_msg_parse_txt)
{
    size_t len;
    uint8_t *buf = load_hex("txt.hex", &len);
    struct parsed p;
    ck_assert_int_eq(parse(&p, buf, len), 0);
    size_t n;
    const struct dns_rr *an = dns_msg_section(&p.m, DNS_SEC_AN, &n);
    ck_assert_uint_eq(n, 2);
    struct wire_rd it;
    ck_assert_int_eq(dns_rr_txt(&p.m, &an[0], &it), 0);
    static const char *want[] = {"v=spf1 -all", "hello world", ""};
    const uint8_t *s;
    size_t sl;
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(dns_txt_next(&it, &s, &sl), 1);
        ck_assert_uint_eq(sl, strlen(want[i]));
        ck_assert_mem_eq(s, want[i], sl);
    }
    ck_assert_int_eq(dns_txt_next(&it, &s, &sl), 0);
    free(buf);
}
END_TEST

START_TEST(test_dns_msg_parse_srv_and_tc)
{
    size_t len;
    uint8_t *buf = load_hex("srv.hex", &len);
    struct parsed p;
    ck_assert_int_eq(parse(&p, buf, len), 0);
    struct dns_srv srv;
    ck_assert_int_eq(dns_rr_srv(&p.m, &p.rr[0], &srv), 0);
    ck_assert_uint_eq(srv.priority, 10);
    ck_assert_uint_eq(srv.weight, 60);
    ck_assert_uint_eq(srv.port, 5060);
    assert_name(srv.target, "sipserver.example.com");
    free(buf);

    buf = load_hex("truncated_tc.hex", &len);
    ck_assert_int_eq(parse(&p, buf, len), 0);
    ck_assert(p.m.hdr.tc);
    ck_assert_uint_eq(p.m.rr_n, 1);
    free(buf);
}
END_TEST

/* Every proper prefix of every golden message is malformed, read from an
 * exact-size buffer (ASan sees any over-read). */
START_TEST(test_dns_msg_every_prefix_fails)
{
    for (size_t g = 0; g < NGOLDEN; g++) {
        size_t len;
        uint8_t *buf = load_hex(goldens[g], &len);
        struct parsed p;
        ck_assert_int_eq(parse(&p, buf, len), 0);
        for (size_t k = 0; k < len; k++) {
            uint8_t *pre = test_exact_copy(buf, k);
            ck_assert_msg(parse(&p, pre, k) == -EBADMSG, "%s prefix %zu", goldens[g], k);
            free(pre);
        }
        free(buf);
    }
}
END_TEST

/* Fewer slots than records: the first ones are filled, the rest still
 * validated, and -E2BIG reported. */
START_TEST(test_dns_msg_capacity_is_respected)
{
    size_t len;
    uint8_t *buf = load_hex("referral.hex", &len);
    struct dns_msg m;
    struct dns_rr rr[3];
    memset(&m, 0, sizeof(m));
    m.rr = rr;
    m.rr_cap = 3;
    ck_assert_int_eq(dns_msg_parse(&m, buf, len), -E2BIG);
    ck_assert(m.truncated);
    ck_assert_uint_eq(m.qd_n, 0);
    ck_assert_uint_eq(m.rr_n, 3);
    ck_assert_uint_eq(m.sec_n[DNS_SEC_NS], 2);
    ck_assert_uint_eq(m.sec_n[DNS_SEC_AR], 1);
    ck_assert_uint_eq(m.end, len);
    /* No arrays at all: validation only. */
    memset(&m, 0, sizeof(m));
    ck_assert_int_eq(dns_msg_parse(&m, buf, len), -E2BIG);
    ck_assert_uint_eq(m.rr_n, 0);
    /* Malformation wins over capacity. */
    memset(&m, 0, sizeof(m));
    ck_assert_int_eq(dns_msg_parse(&m, buf, len - 1), -EBADMSG);
    free(buf);
    /* OPT is found even without room for it. */
    buf = load_hex("opt.hex", &len);
    memset(&m, 0, sizeof(m));
    m.rr = rr;
    m.rr_cap = 1;
    ck_assert_int_eq(dns_msg_parse(&m, buf, len), -E2BIG);
    ck_assert(m.has_opt);
    ck_assert_uint_eq(m.opt.rclass, 1232);
    free(buf);
}
END_TEST

/* Builds a message: header with counts, then raw body bytes. */
static uint8_t *mk(const uint16_t counts[4], const uint8_t *body, size_t blen, size_t *len)
{
    uint8_t tmp[1024];
    memset(tmp, 0, DNS_HDR_LEN);
    tmp[0] = 0xab;
    tmp[2] = 0x81;
    for (int s = 0; s < 4; s++) {
        tmp[4 + 2 * s] = (uint8_t)(counts[s] >> 8);
        tmp[5 + 2 * s] = (uint8_t)counts[s];
    }
    if (blen)
        memcpy(tmp + DNS_HDR_LEN, body, blen);
    *len = DNS_HDR_LEN + blen;
    return test_exact_copy(tmp, *len);
}

static int parse_body(const uint16_t counts[4], const uint8_t *body, size_t blen)
{
    size_t len;
    uint8_t *buf = mk(counts, body, blen, &len);
    struct parsed p;
    int rc = parse(&p, buf, len);
    free(buf);
    return rc;
}

/* Question "a." A IN, then one answer record of the given type/rdata with
 * owner pointer to the question. */
static int parse_one_rr(uint16_t type, const uint8_t *rdata, size_t rdlen, uint16_t rdlength)
{
    uint8_t body[600];
    size_t n = 0;
    static const uint8_t q[] = {1, 'a', 0, 0, 1, 0, 1};
    memcpy(body, q, sizeof(q));
    n += sizeof(q);
    uint8_t rr[] = {0xc0, 12, (uint8_t)(type >> 8),     (uint8_t)type,    0, 1, 0, 0,
                    0,    60, (uint8_t)(rdlength >> 8), (uint8_t)rdlength};
    memcpy(body + n, rr, sizeof(rr));
    n += sizeof(rr);
    memcpy(body + n, rdata, rdlen);
    n += rdlen;
    static const uint16_t c[4] = {1, 1, 0, 0};
    return parse_body(c, body, n);
}

START_TEST(test_dns_msg_hostile_counts)
{
    static const uint16_t big[4] = {0xffff, 0xffff, 0xffff, 0xffff};
    ck_assert_int_eq(parse_body(big, NULL, 0), -EBADMSG);
    static const uint8_t q[] = {0, 0, 1, 0, 1};
    ck_assert_int_eq(parse_body(big, q, sizeof(q)), -EBADMSG);
    static const uint16_t an[4] = {1, 2, 0, 0};
    /* The question is there, the answers are not. */
    ck_assert_int_eq(parse_body(an, q, sizeof(q)), -EBADMSG);
    /* Header alone, 11 octets. */
    static const uint8_t h[11] = {0};
    struct parsed p;
    ck_assert_int_eq(parse(&p, h, sizeof(h)), -EBADMSG);
    ck_assert_int_eq(parse(&p, NULL, 0), -EBADMSG);
    /* Lots of root questions: bounded work, all validated, capacity kept. */
    uint8_t many[5 * 1000];
    for (size_t i = 0; i < 1000; i++)
        memcpy(many + 5 * i, q, 5);
    static const uint16_t k[4] = {1000, 0, 0, 0};
    ck_assert_int_eq(parse_body(k, many, 0), -EBADMSG);
    size_t len;
    uint8_t tmp[DNS_HDR_LEN + sizeof(many)];
    memset(tmp, 0, DNS_HDR_LEN);
    tmp[4] = 1000 >> 8;
    tmp[5] = 1000 & 0xff;
    memcpy(tmp + DNS_HDR_LEN, many, sizeof(many));
    len = sizeof(tmp);
    ck_assert_int_eq(parse(&p, tmp, len), -E2BIG);
    ck_assert_uint_eq(p.m.qd_n, 4);
}
END_TEST

START_TEST(test_dns_msg_hostile_rdata)
{
    static const uint8_t ip5[] = {1, 2, 3, 4, 5};
    ck_assert_int_eq(parse_one_rr(DNS_TYPE_A, ip5, 4, 4), 0);
    ck_assert_int_eq(parse_one_rr(DNS_TYPE_A, ip5, 5, 5), -EBADMSG);
    ck_assert_int_eq(parse_one_rr(DNS_TYPE_A, ip5, 3, 3), -EBADMSG);
    static const uint8_t ip6[17] = {0};
    ck_assert_int_eq(parse_one_rr(DNS_TYPE_AAAA, ip6, 16, 16), 0);
    ck_assert_int_eq(parse_one_rr(DNS_TYPE_AAAA, ip6, 15, 15), -EBADMSG);
    ck_assert_int_eq(parse_one_rr(DNS_TYPE_AAAA, ip6, 17, 17), -EBADMSG);
    /* RDLENGTH crossing the end of the message. */
    ck_assert_int_eq(parse_one_rr(DNS_TYPE_A, ip5, 4, 5), -EBADMSG);
    ck_assert_int_eq(parse_one_rr(99, ip5, 4, 0xffff), -EBADMSG);
    /* Unknown types are opaque, whatever their length. */
    ck_assert_int_eq(parse_one_rr(99, ip5, 5, 5), 0);
    ck_assert_int_eq(parse_one_rr(99, ip5, 0, 0), 0);

    /* Names in RDATA: pointer past the message, forward, into itself. */
    static const uint8_t past[] = {0xc0, 0xff};
    ck_assert_int_eq(parse_one_rr(DNS_TYPE_CNAME, past, 2, 2), -EBADMSG);
    static const uint8_t fwd[] = {0xc0, 33, 0};
    ck_assert_int_eq(parse_one_rr(DNS_TYPE_NS, fwd, 3, 3), -EBADMSG);
    static const uint8_t self[] = {0xc0, 31};
    ck_assert_int_eq(parse_one_rr(DNS_TYPE_PTR, self, 2, 2), -EBADMSG);
    static const uint8_t back[] = {0xc0, 12};
    ck_assert_int_eq(parse_one_rr(DNS_TYPE_PTR, back, 2, 2), 0);
    /* The name must fill RDATA exactly: not shorter, not running past. */
    static const uint8_t extra[] = {0xc0, 12, 0};
    ck_assert_int_eq(parse_one_rr(DNS_TYPE_CNAME, extra, 3, 3), -EBADMSG);
    static const uint8_t longer[] = {1, 'x', 0, 0, 0};
    ck_assert_int_eq(parse_one_rr(DNS_TYPE_DNAME, longer, 5, 2), -EBADMSG);
    ck_assert_int_eq(parse_one_rr(DNS_TYPE_DNAME, longer, 3, 3), 0);
    /* MX too short, MX with the name crossing RDATA. */
    static const uint8_t mx[] = {0, 10, 0};
    ck_assert_int_eq(parse_one_rr(DNS_TYPE_MX, mx, 3, 3), 0);
    ck_assert_int_eq(parse_one_rr(DNS_TYPE_MX, mx, 2, 2), -EBADMSG);
    static const uint8_t mx2[] = {0, 10, 1, 'm', 0};
    ck_assert_int_eq(parse_one_rr(DNS_TYPE_MX, mx2, 5, 4), -EBADMSG);
    /* SOA: fixed part one octet short, one octet long. */
    uint8_t soa[32] = {0};
    ck_assert_int_eq(parse_one_rr(DNS_TYPE_SOA, soa, 22, 22), 0);
    ck_assert_int_eq(parse_one_rr(DNS_TYPE_SOA, soa, 21, 21), -EBADMSG);
    ck_assert_int_eq(parse_one_rr(DNS_TYPE_SOA, soa, 23, 23), -EBADMSG);
    /* SRV: short; compressed target accepted (lenient, documented). */
    static const uint8_t srv[] = {0, 1, 0, 2, 0, 3, 0xc0, 12};
    ck_assert_int_eq(parse_one_rr(DNS_TYPE_SRV, srv, 8, 8), 0);
    ck_assert_int_eq(parse_one_rr(DNS_TYPE_SRV, srv, 6, 6), -EBADMSG);
    /* TXT: string crossing RDATA, empty RDATA. */
    static const uint8_t txt[] = {3, 'a', 'b', 'c', 5, 'x'};
    ck_assert_int_eq(parse_one_rr(DNS_TYPE_TXT, txt, 4, 4), 0);
    ck_assert_int_eq(parse_one_rr(DNS_TYPE_TXT, txt, 3, 3), -EBADMSG);
    ck_assert_int_eq(parse_one_rr(DNS_TYPE_TXT, txt, 6, 6), -EBADMSG);
    ck_assert_int_eq(parse_one_rr(DNS_TYPE_TXT, txt, 0, 0), -EBADMSG);
    /* Bad owner name: 64-octet label. */
    uint8_t body[100] = {0, 0, 1, 0, 1, 64};
    memset(body + 6, 'a', 64);
    static const uint16_t c[4] = {1, 1, 0, 0};
    ck_assert_int_eq(parse_body(c, body, 100), -EBADMSG);
}
END_TEST

START_TEST(test_dns_msg_hostile_opt)
{
    /* Root question, then OPT records in various places. */
    uint8_t body[64];
    static const uint8_t q[] = {0, 0, 1, 0, 1};
    static const uint8_t opt[] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};
    size_t n = 0;
    memcpy(body, q, 5);
    n = 5;
    memcpy(body + n, opt, 11);
    n += 11;
    static const uint16_t ar1[4] = {1, 0, 0, 1}, an1[4] = {1, 1, 0, 0};
    ck_assert_int_eq(parse_body(ar1, body, n), 0);
    ck_assert_int_eq(parse_body(an1, body, n), -EBADMSG); /* OPT in answer */
    memcpy(body + n, opt, 11);
    static const uint16_t ar2[4] = {1, 0, 0, 2};
    ck_assert_int_eq(parse_body(ar2, body, n + 11), -EBADMSG); /* two OPTs */
    /* Owner not the root: a pointer to the root is still not allowed. */
    uint8_t b2[64] = {0, 0, 1, 0, 1, 0xc0, 12, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0};
    ck_assert_int_eq(parse_body(ar1, b2, 17), -EBADMSG);
    /* An option crossing the end of the option area. */
    uint8_t b3[64] = {0, 0, 1, 0, 1, 0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 6, 0, 10, 0, 4, 1, 2};
    ck_assert_int_eq(parse_body(ar1, b3, 22), -EBADMSG);
    b3[19] = 2;
    ck_assert_int_eq(parse_body(ar1, b3, 22), 0);
}
END_TEST

/* ---- Differential test against c-ares 1.18 ---- */

static uint16_t cur_qtype;

/* c-ares' text name (no trailing dot, "" for the root) against ours. */
static void assert_ares_name(const char *txt, const uint8_t *wire)
{
    uint8_t back[DNS_NAME_MAXLEN];
    size_t bn;
    if (txt[0] == '\0') {
        back[0] = 0;
    } else {
        ck_assert_int_eq(dns_name_from_text(txt, strlen(txt), back, &bn), 0);
    }
    char ours[DNS_NAME_TEXT_MAX];
    ck_assert_int_eq(dns_name_to_text(wire, ours, sizeof(ours), NULL), 0);
    ck_assert_msg(dns_name_eq(back, wire), "c-ares name %s, ours %s (qtype %u)", txt, ours,
                  (unsigned)cur_qtype);
}

static uint32_t rng = 4242;
static uint32_t rnd(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

/* What c-ares' A/AAAA parsing keeps (ares__parse_into_addrinfo): a single
 * pass over the answers, following CNAMEs whose owner is the current name,
 * taking addresses of the wanted type owned by the current name. */
static void compare_addr(const struct dns_msg *m, const uint8_t *abuf, int alen, uint16_t type)
{
    uint8_t cur[DNS_NAME_MAXLEN], canon[DNS_NAME_MAXLEN];
    ck_assert_int_eq(dns_msg_qname(m, &m->qd[0], cur, NULL), 0);
    memcpy(canon, cur, sizeof(canon));
    bool seen_cname = false;
    uint8_t want[32][16];
    uint32_t want_ttl[32];
    size_t nwant = 0;
    uint32_t cname_ttl = UINT32_MAX;
    size_t n;
    const struct dns_rr *an = dns_msg_section(m, DNS_SEC_AN, &n);
    for (size_t i = 0; i < n; i++) {
        uint8_t owner[DNS_NAME_MAXLEN];
        ck_assert_int_eq(dns_msg_rr_owner(m, &an[i], owner, NULL), 0);
        if (an[i].rclass != DNS_CLASS_IN || !dns_name_eq(owner, cur))
            continue;
        if (an[i].type == DNS_TYPE_CNAME) {
            ck_assert_int_eq(dns_rr_name(m, &an[i], cur, NULL), 0);
            if (!seen_cname)
                memcpy(canon, cur, sizeof(canon));
            seen_cname = true;
            if (an[i].ttl < cname_ttl)
                cname_ttl = an[i].ttl;
        } else if (an[i].type == type && nwant < 32) {
            if (type == DNS_TYPE_A)
                ck_assert_int_eq(dns_rr_a(m, &an[i], want[nwant]), 0);
            else
                ck_assert_int_eq(dns_rr_aaaa(m, &an[i], want[nwant]), 0);
            want_ttl[nwant++] = an[i].ttl;
        }
    }
    for (size_t i = 0; i < nwant; i++)
        if (cname_ttl < want_ttl[i])
            want_ttl[i] = cname_ttl;
    struct hostent *he = NULL;
    int nttl = 32;
    int st;
    if (type == DNS_TYPE_A) {
        struct ares_addrttl ttls[32];
        st = ares_parse_a_reply(abuf, alen, &he, ttls, &nttl);
        if (nwant == 0) {
            /* c-ares succeeds with no addresses when a CNAME was seen. */
            ck_assert(st != ARES_SUCCESS || nttl == 0);
            if (he)
                ares_free_hostent(he);
            return;
        }
        ck_assert_int_eq(st, ARES_SUCCESS);
        ck_assert_int_eq(nttl, (int)nwant);
        for (size_t i = 0; i < nwant; i++) {
            ck_assert_mem_eq(&ttls[i].ipaddr, want[i], 4);
            ck_assert_int_eq(ttls[i].ttl, (int)want_ttl[i]);
        }
    } else {
        struct ares_addr6ttl ttls[32];
        st = ares_parse_aaaa_reply(abuf, alen, &he, ttls, &nttl);
        if (nwant == 0) {
            ck_assert(st != ARES_SUCCESS || nttl == 0);
            if (he)
                ares_free_hostent(he);
            return;
        }
        ck_assert_int_eq(st, ARES_SUCCESS);
        ck_assert_int_eq(nttl, (int)nwant);
        for (size_t i = 0; i < nwant; i++) {
            ck_assert_mem_eq(&ttls[i].ip6addr, want[i], 16);
            ck_assert_int_eq(ttls[i].ttl, (int)want_ttl[i]);
        }
    }
    /* c-ares 1.18 names the hostent after the first CNAME's target (the
     * question name without one), not the end of the chain. */
    assert_ares_name(he->h_name, canon);
    ares_free_hostent(he);
}

/* Records of one type and class IN from the answer section, in order. */
static size_t answers_of(const struct dns_msg *m, uint16_t type, const struct dns_rr **out,
                         size_t cap)
{
    size_t n, k = 0;
    const struct dns_rr *an = dns_msg_section(m, DNS_SEC_AN, &n);
    for (size_t i = 0; i < n && k < cap; i++)
        if (an[i].type == type && an[i].rclass == DNS_CLASS_IN)
            out[k++] = &an[i];
    return k;
}

static void compare_mx(const struct dns_msg *m, const uint8_t *abuf, int alen)
{
    const struct dns_rr *rr[32];
    size_t k = answers_of(m, DNS_TYPE_MX, rr, 32);
    struct ares_mx_reply *mx = NULL;
    int st = ares_parse_mx_reply(abuf, alen, &mx);
    if (k == 0) {
        ck_assert_int_ne(st, ARES_SUCCESS);
        return;
    }
    ck_assert_int_eq(st, ARES_SUCCESS);
    struct ares_mx_reply *it = mx;
    for (size_t i = 0; i < k; i++, it = it->next) {
        ck_assert_ptr_nonnull(it);
        struct dns_mx ours;
        ck_assert_int_eq(dns_rr_mx(m, rr[i], &ours), 0);
        ck_assert_uint_eq(it->priority, ours.preference);
        assert_ares_name(it->host, ours.exchange);
    }
    ck_assert_ptr_null(it);
    ares_free_data(mx);
}

static void compare_srv(const struct dns_msg *m, const uint8_t *abuf, int alen)
{
    const struct dns_rr *rr[32];
    size_t k = answers_of(m, DNS_TYPE_SRV, rr, 32);
    struct ares_srv_reply *srv = NULL;
    int st = ares_parse_srv_reply(abuf, alen, &srv);
    if (k == 0) {
        ck_assert_int_ne(st, ARES_SUCCESS);
        return;
    }
    ck_assert_int_eq(st, ARES_SUCCESS);
    struct ares_srv_reply *it = srv;
    for (size_t i = 0; i < k; i++, it = it->next) {
        ck_assert_ptr_nonnull(it);
        struct dns_srv ours;
        ck_assert_int_eq(dns_rr_srv(m, rr[i], &ours), 0);
        ck_assert_uint_eq(it->priority, ours.priority);
        ck_assert_uint_eq(it->weight, ours.weight);
        ck_assert_uint_eq(it->port, ours.port);
        assert_ares_name(it->host, ours.target);
    }
    ck_assert_ptr_null(it);
    ares_free_data(srv);
}

static void compare_txt(const struct dns_msg *m, const uint8_t *abuf, int alen)
{
    const struct dns_rr *rr[32];
    size_t k = answers_of(m, DNS_TYPE_TXT, rr, 32);
    struct ares_txt_ext *txt = NULL;
    int st = ares_parse_txt_reply_ext(abuf, alen, &txt);
    if (k == 0) {
        ck_assert_int_ne(st, ARES_SUCCESS);
        return;
    }
    ck_assert_int_eq(st, ARES_SUCCESS);
    struct ares_txt_ext *it = txt;
    for (size_t i = 0; i < k; i++) {
        struct wire_rd strs;
        ck_assert_int_eq(dns_rr_txt(m, rr[i], &strs), 0);
        const uint8_t *s;
        size_t sl;
        bool first = true;
        while (dns_txt_next(&strs, &s, &sl) == 1) {
            ck_assert_ptr_nonnull(it);
            ck_assert_uint_eq(it->record_start, first);
            ck_assert_uint_eq(it->length, sl);
            ck_assert_mem_eq(it->txt, s, sl);
            first = false;
            it = it->next;
        }
    }
    ck_assert_ptr_null(it);
    ares_free_data(txt);
}

static void compare_soa(const struct dns_msg *m, const uint8_t *abuf, int alen)
{
    const struct dns_rr *rr[1];
    size_t k = answers_of(m, DNS_TYPE_SOA, rr, 1);
    struct ares_soa_reply *soa = NULL;
    int st = ares_parse_soa_reply(abuf, alen, &soa);
    if (k == 0) {
        if (st == ARES_SUCCESS)
            ares_free_data(soa);
        return; /* c-ares 1.18 may look into the authority section too */
    }
    ck_assert_int_eq(st, ARES_SUCCESS);
    struct dns_soa ours;
    ck_assert_int_eq(dns_rr_soa(m, rr[0], &ours), 0);
    assert_ares_name(soa->nsname, ours.mname);
    assert_ares_name(soa->hostmaster, ours.rname);
    ck_assert_uint_eq(soa->serial, ours.serial);
    ck_assert_uint_eq(soa->refresh, ours.refresh);
    ck_assert_uint_eq(soa->retry, ours.retry);
    ck_assert_uint_eq(soa->expire, ours.expire);
    ck_assert_uint_eq(soa->minttl, ours.minimum);
    ares_free_data(soa);
}

/* NS and PTR: c-ares returns the names as the hostent's aliases. */
static void compare_names(const struct dns_msg *m, const uint8_t *abuf, int alen, uint16_t type)
{
    const struct dns_rr *rr[32];
    size_t k = answers_of(m, type, rr, 32);
    struct hostent *he = NULL;
    int st;
    if (type == DNS_TYPE_NS) {
        st = ares_parse_ns_reply(abuf, alen, &he);
    } else {
        static const uint8_t addr[4] = {192, 0, 2, 1};
        st = ares_parse_ptr_reply(abuf, alen, addr, 4, AF_INET, &he);
    }
    if (k == 0) {
        ck_assert_int_ne(st, ARES_SUCCESS);
        return;
    }
    ck_assert_int_eq(st, ARES_SUCCESS);
    for (size_t i = 0; i < k; i++) {
        uint8_t name[DNS_NAME_MAXLEN];
        ck_assert_int_eq(dns_rr_name(m, rr[i], name, NULL), 0);
        ck_assert_ptr_nonnull(he->h_aliases[i]);
        assert_ares_name(he->h_aliases[i], name);
    }
    ck_assert_ptr_null(he->h_aliases[k]);
    if (type == DNS_TYPE_PTR) {
        /* c-ares 1.18 keeps the last PTR target as the hostent's name. */
        uint8_t last[DNS_NAME_MAXLEN];
        ck_assert_int_eq(dns_rr_name(m, rr[k - 1], last, NULL), 0);
        assert_ares_name(he->h_name, last);
    }
    ares_free_hostent(he);
}

static void compare_with_ares(const uint8_t *buf, size_t len)
{
    struct parsed p;
    ck_assert_int_eq(parse(&p, buf, len), 0);
    if (p.m.qd_n != 1)
        return;
    uint8_t *abuf = test_exact_copy(buf, len);
    int alen = (int)len;
    cur_qtype = p.qd[0].qtype;
    switch (p.qd[0].qtype) {
    case DNS_TYPE_A:
    case DNS_TYPE_AAAA:
        compare_addr(&p.m, abuf, alen, p.qd[0].qtype);
        break;
    case DNS_TYPE_MX:
        compare_mx(&p.m, abuf, alen);
        break;
    case DNS_TYPE_SRV:
        compare_srv(&p.m, abuf, alen);
        break;
    case DNS_TYPE_TXT:
        compare_txt(&p.m, abuf, alen);
        break;
    case DNS_TYPE_SOA:
        compare_soa(&p.m, abuf, alen);
        break;
    case DNS_TYPE_NS:
    case DNS_TYPE_PTR:
        compare_names(&p.m, abuf, alen, p.qd[0].qtype);
        break;
    default:
        break;
    }
    free(abuf);
}

START_TEST(test_dns_msg_matches_ares_on_goldens)
{
    for (size_t g = 0; g < NGOLDEN; g++) {
        size_t len;
        uint8_t *buf = load_hex(goldens[g], &len);
        compare_with_ares(buf, len);
        free(buf);
    }
}
END_TEST

static void rand_name(uint8_t *out, const char *zone)
{
    char txt[128];
    size_t n = 0;
    size_t labels = 1 + rnd() % 3;
    for (size_t l = 0; l < labels; l++) {
        size_t ll = 1 + rnd() % 10;
        for (size_t k = 0; k < ll; k++) {
            char c = (char)('a' + rnd() % 26);
            txt[n++] = rnd() % 4 ? c : (char)(c - 32);
        }
        txt[n++] = '.';
    }
    (void)snprintf(txt + n, sizeof(txt) - n, "%s", zone);
    size_t wl;
    ck_assert_int_eq(dns_name_from_text(txt, strlen(txt), out, &wl), 0);
}

/* Random but valid answers, built with our writer, parsed by both. */
START_TEST(test_dns_msg_matches_ares_on_random)
{
    static const uint16_t qtypes[] = {DNS_TYPE_A,   DNS_TYPE_AAAA, DNS_TYPE_MX, DNS_TYPE_SRV,
                                      DNS_TYPE_TXT, DNS_TYPE_SOA,  DNS_TYPE_NS, DNS_TYPE_PTR};
    for (int iter = 0; iter < 3000; iter++) {
        uint16_t qt = qtypes[rnd() % 8];
        uint8_t qname[DNS_NAME_MAXLEN], cur[DNS_NAME_MAXLEN];
        rand_name(qname, rnd() % 2 ? "example.com." : "test.");
        memcpy(cur, qname, sizeof(cur));
        uint8_t buf[4096];
        struct dns_wr d;
        struct dns_hdr h;
        memset(&h, 0, sizeof(h));
        h.id = (uint16_t)rnd();
        h.qr = h.rd = h.ra = true;
        dns_wr_init(&d, buf, sizeof(buf), sizeof(buf));
        dns_wr_header(&d, &h);
        dns_wr_question(&d, qname, qt, DNS_CLASS_IN);
        /* Maybe a CNAME chain first (c-ares follows it for A/AAAA/PTR). */
        size_t chain = (qt == DNS_TYPE_A || qt == DNS_TYPE_AAAA) ? rnd() % 3 : 0;
        for (size_t c = 0; c < chain; c++) {
            uint8_t next[DNS_NAME_MAXLEN];
            rand_name(next, "example.net.");
            dns_wr_rrset_begin(&d, DNS_SEC_AN);
            dns_wr_rr_begin(&d, cur, DNS_TYPE_CNAME, DNS_CLASS_IN, rnd() % 100000);
            dns_wr_rdata_name(&d, next);
            dns_wr_rr_end(&d);
            ck_assert_int_eq(dns_wr_rrset_end(&d), 0);
            memcpy(cur, next, sizeof(cur));
        }
        size_t nrr = qt == DNS_TYPE_SOA ? 1 : 1 + rnd() % 5;
        dns_wr_rrset_begin(&d, DNS_SEC_AN);
        for (size_t i = 0; i < nrr; i++) {
            uint8_t target[DNS_NAME_MAXLEN];
            rand_name(target, rnd() % 2 ? "example.com." : "example.org.");
            /* TTLs below 2^31: c-ares reports them as int. */
            dns_wr_rr_begin(&d, cur, qt, DNS_CLASS_IN, rnd() % 0x7fffffffu);
            switch (qt) {
            case DNS_TYPE_A:
                wire_wr_u32(&d.w, rnd());
                break;
            case DNS_TYPE_AAAA:
                for (int k = 0; k < 4; k++)
                    wire_wr_u32(&d.w, rnd() ^ rnd() << 16);
                break;
            case DNS_TYPE_MX:
                wire_wr_u16(&d.w, (uint16_t)rnd());
                dns_wr_rdata_name(&d, target);
                break;
            case DNS_TYPE_SRV:
                wire_wr_u16(&d.w, (uint16_t)rnd());
                wire_wr_u16(&d.w, (uint16_t)rnd());
                wire_wr_u16(&d.w, (uint16_t)rnd());
                dns_wr_rdata_name(&d, target);
                break;
            case DNS_TYPE_TXT: {
                size_t ns = 1 + rnd() % 4;
                for (size_t s = 0; s < ns; s++) {
                    uint8_t sl = (uint8_t)(rnd() % 40);
                    wire_wr_u8(&d.w, sl);
                    for (uint8_t k = 0; k < sl; k++)
                        wire_wr_u8(&d.w, (uint8_t)(' ' + rnd() % 95));
                }
                break;
            }
            case DNS_TYPE_SOA:
                dns_wr_rdata_name(&d, target);
                rand_name(target, "example.com.");
                dns_wr_rdata_name(&d, target);
                for (int k = 0; k < 5; k++)
                    wire_wr_u32(&d.w, rnd() ^ rnd() << 16);
                break;
            default: /* NS, PTR */
                dns_wr_rdata_name(&d, target);
                break;
            }
            dns_wr_rr_end(&d);
        }
        ck_assert_int_eq(dns_wr_rrset_end(&d), 0);
        size_t len;
        ck_assert_int_eq(dns_wr_finish(&d, &len), 0);
        compare_with_ares(buf, len);
    }
}
END_TEST

static Suite *dns_msg_suite(void)
{
    Suite *s = suite_create("dns_msg");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_dns_msg_parse_query);
    tcase_add_test(tc, test_dns_msg_parse_answer_compressed);
    tcase_add_test(tc, test_dns_msg_parse_referral);
    tcase_add_test(tc, test_dns_msg_parse_nxdomain_soa);
    tcase_add_test(tc, test_dns_msg_parse_opt);
    tcase_add_test(tc, test_dns_msg_parse_txt);
    tcase_add_test(tc, test_dns_msg_parse_srv_and_tc);
    tcase_add_test(tc, test_dns_msg_every_prefix_fails);
    tcase_add_test(tc, test_dns_msg_capacity_is_respected);
    tcase_add_test(tc, test_dns_msg_hostile_counts);
    tcase_add_test(tc, test_dns_msg_hostile_rdata);
    tcase_add_test(tc, test_dns_msg_hostile_opt);
    tcase_add_test(tc, test_dns_msg_matches_ares_on_goldens);
    tcase_add_test(tc, test_dns_msg_matches_ares_on_random);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dns_msg_suite)
