/* dnsd query path as a pure function: bytes in, verdict and reply bytes
 * out (FORMERR, NOTIMP, REFUSED, BADVERS, OPT echo rules, TC, AA). */
#include "testutil.h"

#include <errno.h>

#include "common/dns_text.h"
#include "common/dns_write.h"
#include "dnsd/conf.h"
#include "dnsd/server.h"

static struct dnsd_conf *conf_with(const char *extra)
{
    char text[4096];
    snprintf(text, sizeof(text),
             "[server]\n"
             "allow = 10.1.0.0/16\n"
             "deny = 10.66.0.0/16\n"
             "%s\n"
             "[local]\n"
             "zones = lab.\n"
             "record = www.lab. A 10.0.0.1\n"
             "record = lab. MX 10 mail.lab.\n",
             extra);
    for (int i = 0; i < 60; i++) {
        size_t n = strlen(text);
        snprintf(text + n, sizeof(text) - n, "record = big.lab. TXT %040d\n", i);
    }
    struct dnsd_conf *c;
    ck_assert_int_eq(dnsd_conf_load_string("t.conf", text, NULL, stderr, &c), 0);
    return c;
}

static struct net_addr ip(const char *s)
{
    struct net_addr a;
    ck_assert_int_eq(net_addr_parse_ip(&a, s), 0);
    return a;
}

/* A query: name, type, optional EDNS (udp size, version, DO). */
static size_t mkq(uint8_t *buf, const char *name, uint16_t qtype, int edns_size, uint8_t version,
                  bool dnssec_ok)
{
    uint8_t q[DNS_NAME_MAXLEN];
    size_t l;
    ck_assert_int_eq(dns_name_from_text(name, strlen(name), q, &l), 0);
    struct dns_edns e = {
        .udp_size = (uint16_t)edns_size, .version = version, .dnssec_ok = dnssec_ok};
    size_t len;
    ck_assert_int_eq(
        dns_query_make(buf, 512, 0x1234, q, qtype, DNS_CLASS_IN, true, edns_size ? &e : NULL, &len),
        0);
    return len;
}

struct result {
    enum server_verdict v;
    enum server_event ev;
    struct server_query q;
    uint8_t out[65535];
    size_t len;
    struct dns_msg m;
    struct dns_question qd[2];
    struct dns_rr rr[128];
    struct dns_edns e;
};

static struct result res;

/* Runs the query path on msg (copied to an exact-size allocation). */
static struct result *run(const struct dnsd_conf *c, const char *peer, bool tcp, const uint8_t *msg,
                          size_t len, uint64_t now)
{
    struct server_ctx ctx = {.conf = c, .resolver = NULL, .now_ms = now};
    struct net_addr p = ip(peer);
    uint8_t *copy = test_exact_copy(msg, len);
    memset(&res, 0, sizeof(res));
    res.v = server_query_handle(&ctx, &p, tcp, copy, len, &res.q, res.out, sizeof(res.out),
                                &res.len, &res.ev);
    free(copy);
    if (res.v == SERVER_REPLY) {
        res.m = (struct dns_msg){.qd = res.qd, .qd_cap = 2, .rr = res.rr, .rr_cap = 128};
        ck_assert_int_eq(dns_msg_parse(&res.m, res.out, res.len), 0);
        ck_assert(res.m.hdr.qr);
        if (res.m.has_opt)
            ck_assert_int_eq(dns_rr_opt(&res.m, &res.m.opt, &res.e), 0);
    }
    return &res;
}

START_TEST(test_dnsd_server_local_answer_is_authoritative)
{
    struct dnsd_conf *c = conf_with("");
    uint8_t q[512];
    size_t l = mkq(q, "WwW.lab", DNS_TYPE_A, 0, 0, false);
    struct result *r = run(c, "127.0.0.1", false, q, l, 0);
    ck_assert_int_eq(r->v, SERVER_REPLY);
    ck_assert_int_eq(r->ev, SERVER_EV_NONE);
    ck_assert_uint_eq(r->m.hdr.id, 0x1234);
    ck_assert(r->m.hdr.aa && r->m.hdr.rd && r->m.hdr.ra && !r->m.hdr.tc);
    ck_assert_int_eq(r->m.hdr.rcode, DNS_RCODE_NOERROR);
    ck_assert_uint_eq(r->m.qd_n, 1);
    ck_assert_uint_eq(r->m.sec_n[DNS_SEC_AN], 1);
    ck_assert(!r->m.has_opt); /* RFC 6891 7: no OPT without one in the query */
    /* The question is echoed octet for octet (0x20 case kept). */
    ck_assert_mem_eq(r->out + 12, q + 12, l - 12);
    l = mkq(q, "nothing.lab", DNS_TYPE_A, 0, 0, false);
    r = run(c, "::1", false, q, l, 0);
    ck_assert_int_eq(r->m.hdr.rcode, DNS_RCODE_NXDOMAIN);
    ck_assert(r->m.hdr.aa);
    ck_assert_uint_eq(r->m.sec_n[DNS_SEC_NS], 1);
    dnsd_conf_release(c);
}
END_TEST

START_TEST(test_dnsd_server_opt_echo_rules)
{
    struct dnsd_conf *c = conf_with("");
    uint8_t q[512];
    size_t l = mkq(q, "www.lab", DNS_TYPE_A, 4096, 0, true);
    struct result *r = run(c, "127.0.0.1", false, q, l, 0);
    ck_assert_int_eq(r->v, SERVER_REPLY);
    ck_assert(r->m.has_opt);
    ck_assert_uint_eq(r->e.udp_size, 1232); /* ours, not theirs */
    ck_assert_uint_eq(r->e.version, 0);
    ck_assert(r->e.dnssec_ok);
    ck_assert_uint_eq(r->e.options_len, 0);
    l = mkq(q, "www.lab", DNS_TYPE_A, 1232, 0, false);
    r = run(c, "127.0.0.1", false, q, l, 0);
    ck_assert(r->m.has_opt && !r->e.dnssec_ok);

    /* An unknown option (code 65000) is ignored, not echoed. */
    uint8_t opt_q[512];
    memcpy(opt_q, q, l);
    static const uint8_t option[] = {0xfd, 0xe8, 0x00, 0x02, 0xab, 0xcd};
    memcpy(opt_q + l, option, sizeof(option));
    opt_q[l - 1] = sizeof(option); /* RDLENGTH of the OPT, last field */
    r = run(c, "127.0.0.1", false, opt_q, l + sizeof(option), 0);
    ck_assert_int_eq(r->v, SERVER_REPLY);
    ck_assert_int_eq(r->m.hdr.rcode, DNS_RCODE_NOERROR);
    ck_assert_uint_eq(r->m.sec_n[DNS_SEC_AN], 1);
    ck_assert_uint_eq(r->e.options_len, 0);
    dnsd_conf_release(c);
}
END_TEST

START_TEST(test_dnsd_server_badvers)
{
    struct dnsd_conf *c = conf_with("");
    uint8_t q[512];
    size_t l = mkq(q, "www.lab", DNS_TYPE_A, 1232, 1, true);
    struct result *r = run(c, "127.0.0.1", false, q, l, 0);
    ck_assert_int_eq(r->v, SERVER_REPLY);
    ck_assert_uint_eq(dns_msg_rcode(&r->m), DNS_RCODE_BADVERS);
    ck_assert_uint_eq(r->m.hdr.rcode, 0);
    ck_assert_uint_eq(r->e.ext_rcode, 1);
    ck_assert_uint_eq(r->e.version, 0);
    ck_assert(r->e.dnssec_ok);
    ck_assert_uint_eq(r->m.sec_n[DNS_SEC_AN], 0);
    dnsd_conf_release(c);
}
END_TEST

START_TEST(test_dnsd_server_formerr_and_drops)
{
    struct dnsd_conf *c = conf_with("");
    uint8_t q[512];
    size_t l = mkq(q, "www.lab", DNS_TYPE_A, 1232, 0, false);
    /* QDCOUNT 0 and 2. */
    uint8_t x[512];
    memcpy(x, q, l);
    x[5] = 0;
    struct result *r = run(c, "127.0.0.1", false, x, l, 0);
    ck_assert_int_eq(r->v, SERVER_REPLY);
    ck_assert_int_eq(r->ev, SERVER_EV_MALFORMED);
    ck_assert_int_eq(r->m.hdr.rcode, DNS_RCODE_FORMERR);
    ck_assert_uint_eq(r->m.hdr.id, 0x1234);
    ck_assert_uint_eq(r->len, 12); /* header only */
    x[5] = 2;
    r = run(c, "127.0.0.1", false, x, l, 0);
    ck_assert_int_eq(r->m.hdr.rcode, DNS_RCODE_FORMERR);
    ck_assert_uint_eq(r->len, 12);
    /* A name with a forward compression pointer. */
    memcpy(x, q, l);
    x[12] = 0xc0;
    x[13] = 0x20;
    r = run(c, "127.0.0.1", false, x, l, 0);
    ck_assert_int_eq(r->m.hdr.rcode, DNS_RCODE_FORMERR);
    /* Asking for OPT itself. */
    l = mkq(q, "www.lab", DNS_TYPE_OPT, 0, 0, false);
    r = run(c, "127.0.0.1", false, q, l, 0);
    ck_assert_int_eq(r->m.hdr.rcode, DNS_RCODE_FORMERR);
    /* Shorter than a header: nobody to answer. */
    r = run(c, "127.0.0.1", false, q, 11, 0);
    ck_assert_int_eq(r->v, SERVER_DROP);
    ck_assert_int_eq(r->ev, SERVER_EV_MALFORMED);
    r = run(c, "127.0.0.1", false, q, 0, 0);
    ck_assert_int_eq(r->v, SERVER_DROP);
    /* A response (QR=1) is never answered. */
    memcpy(x, q, l);
    x[2] |= 0x80;
    r = run(c, "127.0.0.1", false, x, l, 0);
    ck_assert_int_eq(r->v, SERVER_DROP);
    ck_assert_int_eq(r->ev, SERVER_EV_RESPONSE);
    dnsd_conf_release(c);
}
END_TEST

START_TEST(test_dnsd_server_every_prefix_is_safe)
{
    struct dnsd_conf *c = conf_with("");
    uint8_t q[512];
    size_t l = mkq(q, "a-rather-long-name.www.lab", DNS_TYPE_MX, 1232, 0, true);
    for (size_t n = 0; n < l; n++) {
        struct result *r = run(c, "127.0.0.1", false, q, n, 0);
        if (n < 12) {
            ck_assert_int_eq(r->v, SERVER_DROP);
        } else {
            ck_assert_int_eq(r->v, SERVER_REPLY);
            ck_assert_int_eq(r->m.hdr.rcode, DNS_RCODE_FORMERR);
            ck_assert_uint_eq(r->len, 12);
        }
    }
    dnsd_conf_release(c);
}
END_TEST

START_TEST(test_dnsd_server_notimp)
{
    struct dnsd_conf *c = conf_with("");
    uint8_t q[512], x[512];
    size_t l = mkq(q, "www.lab", DNS_TYPE_A, 0, 0, false);
    static const uint8_t ops[] = {DNS_OPCODE_IQUERY, DNS_OPCODE_STATUS, DNS_OPCODE_NOTIFY,
                                  DNS_OPCODE_UPDATE, 15};
    for (size_t i = 0; i < sizeof(ops); i++) {
        memcpy(x, q, l);
        x[2] = (uint8_t)((x[2] & 0x87) | ops[i] << 3);
        struct result *r = run(c, "127.0.0.1", false, x, l, 0);
        ck_assert_int_eq(r->v, SERVER_REPLY);
        ck_assert_int_eq(r->ev, SERVER_EV_NOTIMP);
        ck_assert_int_eq(r->m.hdr.rcode, DNS_RCODE_NOTIMP);
        ck_assert_uint_eq(r->m.hdr.opcode, ops[i]);
    }
    /* Even a malformed UPDATE is NOTIMP: the opcode is decided first. */
    x[5] = 0;
    struct result *r = run(c, "127.0.0.1", false, x, 12, 0);
    ck_assert_int_eq(r->m.hdr.rcode, DNS_RCODE_NOTIMP);
    l = mkq(q, "lab", DNS_TYPE_AXFR, 0, 0, false);
    r = run(c, "127.0.0.1", true, q, l, 0);
    ck_assert_int_eq(r->m.hdr.rcode, DNS_RCODE_NOTIMP);
    dnsd_conf_release(c);
}
END_TEST

START_TEST(test_dnsd_server_access_control)
{
    struct dnsd_conf *c = conf_with("");
    uint8_t q[512];
    size_t l = mkq(q, "www.lab", DNS_TYPE_A, 1232, 0, false);
    struct result *r = run(c, "192.0.2.1", false, q, l, 0);
    ck_assert_int_eq(r->v, SERVER_REPLY);
    ck_assert_int_eq(r->ev, SERVER_EV_REFUSED);
    ck_assert_int_eq(r->m.hdr.rcode, DNS_RCODE_REFUSED);
    ck_assert_uint_eq(r->m.sec_n[DNS_SEC_AN], 0);
    ck_assert(r->m.has_opt); /* the query had OPT */
    ck_assert_uint_eq(r->m.qd_n, 1);
    r = run(c, "10.66.0.9", false, q, l, 0);
    ck_assert_int_eq(r->v, SERVER_DROP);
    ck_assert_int_eq(r->ev, SERVER_EV_DENIED);
    r = run(c, "10.66.0.9", true, q, l, 0);
    ck_assert_int_eq(r->v, SERVER_DROP);
    r = run(c, "10.1.2.3", false, q, l, 0);
    ck_assert_int_eq(r->v, SERVER_REPLY);
    ck_assert_int_eq(r->m.hdr.rcode, DNS_RCODE_NOERROR);
    /* Refused before anything else is looked at, even garbage. */
    r = run(c, "192.0.2.1", false, q, 13, 0);
    ck_assert_int_eq(r->m.hdr.rcode, DNS_RCODE_REFUSED);
    dnsd_conf_release(c);
}
END_TEST

START_TEST(test_dnsd_server_resolve_and_servfail)
{
    struct dnsd_conf *c = conf_with("");
    uint8_t q[512];
    size_t l = mkq(q, "ExAmple.com", DNS_TYPE_AAAA, 1400, 0, true);
    struct result *r = run(c, "127.0.0.1", false, q, l, 0);
    ck_assert_int_eq(r->v, SERVER_RESOLVE);
    ck_assert_uint_eq(r->q.qtype, DNS_TYPE_AAAA);
    ck_assert(r->q.has_opt && r->q.dnssec_ok);
    ck_assert_uint_eq(r->q.limit, 1232);
    uint8_t out[4096];
    size_t len;
    ck_assert_int_eq(server_reply_resolved(&r->q, NULL, out, sizeof(out), &len), 0);
    struct dns_msg m = {0};
    struct dns_question qd[1];
    struct dns_rr rr[4];
    m.qd = qd;
    m.qd_cap = 1;
    m.rr = rr;
    m.rr_cap = 4;
    ck_assert_int_eq(dns_msg_parse(&m, out, len), 0);
    ck_assert_int_eq(m.hdr.rcode, DNS_RCODE_SERVFAIL);
    ck_assert(m.hdr.qr && m.hdr.rd && m.hdr.ra && !m.hdr.aa);
    ck_assert(m.has_opt);
    ck_assert_mem_eq(out + 12, q + 12, len - 12 - 11); /* question as asked */
    ck_assert_int_eq(server_reply_resolved(&r->q, NULL, out, 20, &len), -EMSGSIZE);
    dnsd_conf_release(c);
}
END_TEST

START_TEST(test_dnsd_server_truncation_limits)
{
    struct dnsd_conf *c = conf_with("");
    uint8_t q[512];
    /* No EDNS: 512. */
    size_t l = mkq(q, "big.lab", DNS_TYPE_TXT, 0, 0, false);
    struct result *r = run(c, "127.0.0.1", false, q, l, 0);
    ck_assert(r->m.hdr.tc);
    ck_assert_uint_le(r->len, 512);
    ck_assert_uint_eq(r->m.sec_n[DNS_SEC_AN], 0);
    /* Over TCP it all fits. */
    r = run(c, "127.0.0.1", true, q, l, 0);
    ck_assert(!r->m.hdr.tc);
    ck_assert_uint_eq(r->m.sec_n[DNS_SEC_AN], 60);
    ck_assert_uint_gt(r->len, 2048);
    /* EDNS 4096 from the client, ours is 1232: ours wins; TC. */
    l = mkq(q, "big.lab", DNS_TYPE_TXT, 4096, 0, false);
    r = run(c, "127.0.0.1", false, q, l, 0);
    ck_assert(r->m.hdr.tc);
    ck_assert(r->m.has_opt); /* OPT survives truncation */
    ck_assert_uint_le(r->len, 1232);
    /* A client size below 512 counts as 512 (RFC 6891 6.2.5). */
    l = mkq(q, "www.lab", DNS_TYPE_A, 100, 0, false);
    r = run(c, "127.0.0.1", false, q, l, 0);
    ck_assert_uint_eq(r->q.limit, 512);
    ck_assert(!r->m.hdr.tc);
    dnsd_conf_release(c);
    /* A larger edns-size lets the whole RRset through. */
    c = conf_with("edns-size = 4096");
    l = mkq(q, "big.lab", DNS_TYPE_TXT, 4096, 0, false);
    r = run(c, "127.0.0.1", false, q, l, 0);
    ck_assert(!r->m.hdr.tc);
    ck_assert_uint_eq(r->e.udp_size, 4096);
    dnsd_conf_release(c);
}
END_TEST

START_TEST(test_dnsd_server_rate_limit)
{
    struct dnsd_conf *c = conf_with("rate-limit = 2\nrate-limit-slip = 2");
    uint8_t q[512];
    size_t l = mkq(q, "www.lab", DNS_TYPE_A, 0, 0, false);
    uint64_t t = 50000;
    ck_assert_int_eq(run(c, "127.0.0.1", false, q, l, t)->v, SERVER_REPLY);
    ck_assert_int_eq(run(c, "127.0.0.1", false, q, l, t)->v, SERVER_REPLY);
    struct result *r = run(c, "127.0.0.1", false, q, l, t);
    ck_assert_int_eq(r->v, SERVER_DROP);
    ck_assert_int_eq(r->ev, SERVER_EV_RATELIMITED);
    r = run(c, "127.0.0.1", false, q, l, t);
    ck_assert_int_eq(r->v, SERVER_REPLY); /* slip */
    ck_assert(r->m.hdr.tc);
    ck_assert_uint_eq(r->m.sec_n[DNS_SEC_AN], 0);
    ck_assert_int_eq(r->ev, SERVER_EV_RATELIMITED);
    /* Another client, and TCP, are still served. */
    r = run(c, "127.0.0.2", false, q, l, t);
    ck_assert_uint_eq(r->m.sec_n[DNS_SEC_AN], 1);
    r = run(c, "127.0.0.1", true, q, l, t);
    ck_assert_uint_eq(r->m.sec_n[DNS_SEC_AN], 1);
    /* A second later the bucket is full again. */
    r = run(c, "127.0.0.1", false, q, l, t + 1000);
    ck_assert_uint_eq(r->m.sec_n[DNS_SEC_AN], 1);
    dnsd_conf_release(c);
}
END_TEST

static Suite *dnsd_server_suite(void)
{
    Suite *s = suite_create("dnsd_server");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_dnsd_server_local_answer_is_authoritative);
    tcase_add_test(tc, test_dnsd_server_opt_echo_rules);
    tcase_add_test(tc, test_dnsd_server_badvers);
    tcase_add_test(tc, test_dnsd_server_formerr_and_drops);
    tcase_add_test(tc, test_dnsd_server_every_prefix_is_safe);
    tcase_add_test(tc, test_dnsd_server_notimp);
    tcase_add_test(tc, test_dnsd_server_access_control);
    tcase_add_test(tc, test_dnsd_server_resolve_and_servfail);
    tcase_add_test(tc, test_dnsd_server_truncation_limits);
    tcase_add_test(tc, test_dnsd_server_rate_limit);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dnsd_server_suite)
