/* Tests for common/dns_tsig: key parsing, sign/verify round trips, every
 * refusal, and interoperability with BIND's dig -y (an independent TSIG
 * implementation) in both directions. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/dns_msg.h"
#include "common/dns_tsig.h"
#include "common/dns_write.h"
#include "testutil.h"

/* 32 octets, base64. */
#define SECRET "cQOmrKVdBkMfbfdPvSy3BDlVhmLbJ7emcGLKJPLhpbs="
#define OTHER  "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE="

static struct dns_tsig_key key(const char *spec)
{
    struct dns_tsig_key k;
    char err[128];
    ck_assert_msg(dns_tsig_key_parse(&k, spec, err, sizeof(err)) == 0, "%s: %s", spec, err);
    return k;
}

static size_t make_query(uint8_t *buf, size_t cap, uint16_t id)
{
    size_t len;
    ck_assert_int_eq(dns_query_make(buf, cap, id, (const uint8_t *)"\x03lab\x00", DNS_TYPE_SOA,
                                    DNS_CLASS_IN, false, NULL, &len),
                     0);
    return len;
}

/* Parses buf and returns its TSIG find result, filling m/t. */
static int parse_find(const uint8_t *buf, size_t len, struct dns_msg *m, struct dns_rr *rr,
                      size_t rr_cap, struct dns_tsig_info *t)
{
    static struct dns_question qd[4];
    memset(m, 0, sizeof(*m));
    m->qd = qd;
    m->qd_cap = 4;
    m->rr = rr;
    m->rr_cap = rr_cap;
    ck_assert_int_eq(dns_msg_parse(m, buf, len), 0);
    return dns_tsig_find(m, t);
}

START_TEST(test_dns_tsig_key_parse)
{
    struct dns_tsig_key k = key("ddns-key.lab:" SECRET);
    ck_assert_int_eq(k.alg, DNS_TSIG_HMAC_SHA256);
    ck_assert(dns_name_eq(k.name, (const uint8_t *)"\x08"
                                                   "ddns-key\x03lab\x00"));
    ck_assert_uint_eq(k.secret_len, 32);
    k = key("HMAC-SHA512:Key.:" OTHER);
    ck_assert_int_eq(k.alg, DNS_TSIG_HMAC_SHA512);
    ck_assert(memcmp(k.name, "\x03key\x00", 5) == 0); /* lower-cased */
    k = key("hmac-sha1:k:YQ==");
    ck_assert_uint_eq(k.secret_len, 1);
    const char *bad[] = {
        "nocolon",
        "hmac-md5:k:" SECRET, /* refused algorithm */
        "k:not base64!",
        "k:YQ=",                    /* bad length */
        "k:Y===",                   /* too much padding */
        "k:YQ=a",                   /* data after padding */
        "k:",                       /* empty secret */
        ":" SECRET,                 /* empty name */
        "hmac-sha256:a..b:" SECRET, /* bad name */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[128] = "";
        ck_assert_msg(dns_tsig_key_parse(&k, bad[i], err, sizeof(err)) == -EINVAL, "%s", bad[i]);
        ck_assert_msg(err[0] != '\0', "%s: no reason given", bad[i]);
    }
}
END_TEST

START_TEST(test_dns_tsig_round_trip_and_refusals)
{
    struct dns_tsig_key keys[2] = {key("other.:" OTHER), key("ddns.lab.:" SECRET)};
    uint8_t buf[512];
    size_t len = make_query(buf, sizeof(buf), 0x4242);
    size_t unsigned_len = len;
    uint8_t mac[DNS_TSIG_MAC_MAX];
    size_t mac_len;
    uint64_t now = 1795000000;
    ck_assert_int_eq(
        dns_tsig_sign(buf, &len, sizeof(buf), &keys[1], now, 300, 0, NULL, 0, mac, &mac_len), 0);
    ck_assert_uint_eq(mac_len, 32);
    ck_assert_uint_gt(len, unsigned_len);
    struct dns_msg m;
    struct dns_rr rr[8];
    struct dns_tsig_info t;
    ck_assert_int_eq(parse_find(buf, len, &m, rr, 8, &t), 1);
    ck_assert_uint_eq(t.rr_off, unsigned_len);
    ck_assert_uint_eq(t.orig_id, 0x4242);
    ck_assert_uint_eq(t.time_signed, now);
    size_t which = 99;
    ck_assert_int_eq(dns_tsig_verify(&m, &t, keys, 2, now, NULL, 0, &which), 0);
    ck_assert_uint_eq(which, 1);
    /* Time: inside the fudge on both sides, then outside. */
    ck_assert_int_eq(dns_tsig_verify(&m, &t, keys, 2, now + 300, NULL, 0, NULL), 0);
    ck_assert_int_eq(dns_tsig_verify(&m, &t, keys, 2, now - 300, NULL, 0, NULL), 0);
    ck_assert_int_eq(dns_tsig_verify(&m, &t, keys, 2, now + 301, NULL, 0, NULL), DNS_TSIG_BADTIME);
    ck_assert_int_eq(dns_tsig_verify(&m, &t, keys, 2, now - 301, NULL, 0, NULL), DNS_TSIG_BADTIME);
    /* Unknown key name, and right name with another algorithm. */
    ck_assert_int_eq(dns_tsig_verify(&m, &t, keys, 1, now, NULL, 0, NULL), DNS_TSIG_BADKEY);
    struct dns_tsig_key sha1 = key("hmac-sha1:ddns.lab.:" SECRET);
    ck_assert_int_eq(dns_tsig_verify(&m, &t, &sha1, 1, now, NULL, 0, NULL), DNS_TSIG_BADKEY);
    /* Same name, wrong secret. */
    struct dns_tsig_key wrong = key("ddns.lab.:" OTHER);
    ck_assert_int_eq(dns_tsig_verify(&m, &t, &wrong, 1, now, NULL, 0, NULL), DNS_TSIG_BADSIG);
    /* Any signed octet changed (header, question, TSIG variables, MAC). */
    for (size_t i = 0; i < len; i++) {
        if (i < 2 || (i >= 10 && i < 12))
            continue; /* the ID is not signed (the original ID in the TSIG
                         is, RFC 8945 4.3.1); ARCOUNT: breaks the parse */
        uint8_t copy[512];
        memcpy(copy, buf, len);
        copy[i] ^= 0x01;
        struct dns_msg m2;
        struct dns_rr rr2[8];
        struct dns_tsig_info t2;
        static struct dns_question qd[4];
        memset(&m2, 0, sizeof(m2));
        m2.qd = qd;
        m2.qd_cap = 4;
        m2.rr = rr2;
        m2.rr_cap = 8;
        if (dns_msg_parse(&m2, copy, len) != 0 || dns_tsig_find(&m2, &t2) != 1)
            continue; /* no longer a message with a TSIG: refused anyway */
        int e = dns_tsig_verify(&m2, &t2, keys, 2, now, NULL, 0, NULL);
        ck_assert_msg(e != 0, "flipping octet %zu still verifies", i);
    }
    /* A response chains the request's MAC; without it, it fails. */
    uint8_t resp[512];
    memcpy(resp, buf, unsigned_len);
    resp[2] |= 0x80; /* QR */
    resp[11] = 0;    /* ARCOUNT without the request's TSIG */
    size_t rlen = unsigned_len;
    uint8_t rmac[DNS_TSIG_MAC_MAX];
    size_t rmac_len;
    ck_assert_int_eq(dns_tsig_sign(resp, &rlen, sizeof(resp), &keys[1], now, 300, 0, mac, mac_len,
                                   rmac, &rmac_len),
                     0);
    ck_assert_int_eq(parse_find(resp, rlen, &m, rr, 8, &t), 1);
    ck_assert_int_eq(dns_tsig_verify(&m, &t, keys, 2, now, mac, mac_len, NULL), 0);
    ck_assert_int_eq(dns_tsig_verify(&m, &t, keys, 2, now, NULL, 0, NULL), DNS_TSIG_BADSIG);
    /* BADSIG/BADKEY answers are unsigned; BADTIME carries the server time. */
    rlen = unsigned_len;
    resp[11] = 0;
    ck_assert_int_eq(dns_tsig_sign(resp, &rlen, sizeof(resp), &keys[1], now, 300, DNS_TSIG_BADSIG,
                                   mac, mac_len, rmac, &rmac_len),
                     0);
    ck_assert_uint_eq(rmac_len, 0);
    ck_assert_int_eq(parse_find(resp, rlen, &m, rr, 8, &t), 1);
    ck_assert_uint_eq(t.mac_len, 0);
    ck_assert_uint_eq(t.error, DNS_TSIG_BADSIG);
    ck_assert_int_eq(dns_tsig_verify(&m, &t, keys, 2, now, mac, mac_len, NULL), DNS_TSIG_BADSIG);
    rlen = unsigned_len;
    resp[11] = 0;
    ck_assert_int_eq(dns_tsig_sign(resp, &rlen, sizeof(resp), &keys[1], now, 300, DNS_TSIG_BADTIME,
                                   mac, mac_len, NULL, NULL),
                     0);
    ck_assert_int_eq(parse_find(resp, rlen, &m, rr, 8, &t), 1);
    ck_assert_uint_eq(t.other_len, 6);
    ck_assert_int_eq(dns_tsig_verify(&m, &t, keys, 2, now, mac, mac_len, NULL), 0);
    /* No room: the message is left as it was. */
    uint8_t small[64];
    size_t slen = make_query(small, sizeof(small), 1);
    size_t before = slen;
    ck_assert_int_eq(
        dns_tsig_sign(small, &slen, sizeof(small), &keys[1], now, 300, 0, NULL, 0, NULL, NULL),
        -EMSGSIZE);
    ck_assert_uint_eq(slen, before);
    ck_assert_uint_eq(small[11], 0);
}
END_TEST

START_TEST(test_dns_tsig_find_refuses_misplaced)
{
    struct dns_tsig_key k = key("ddns.lab.:" SECRET);
    uint8_t buf[512];
    size_t len = make_query(buf, sizeof(buf), 7);
    ck_assert_int_eq(dns_tsig_sign(buf, &len, sizeof(buf), &k, 1000, 300, 0, NULL, 0, NULL, NULL),
                     0);
    /* A record after the TSIG: the TSIG is no longer last. */
    static const uint8_t a_rr[] = {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 10, 0, 0, 1};
    memcpy(buf + len, a_rr, sizeof(a_rr));
    len += sizeof(a_rr);
    buf[11]++;
    struct dns_msg m;
    struct dns_rr rr[8];
    struct dns_tsig_info t;
    ck_assert_int_eq(parse_find(buf, len, &m, rr, 8, &t), -EBADMSG);
    /* No TSIG at all. */
    len = make_query(buf, sizeof(buf), 7);
    ck_assert_int_eq(parse_find(buf, len, &m, rr, 8, &t), 0);
    /* TTL not 0. */
    len = make_query(buf, sizeof(buf), 7);
    size_t qlen = len;
    ck_assert_int_eq(dns_tsig_sign(buf, &len, sizeof(buf), &k, 1000, 300, 0, NULL, 0, NULL, NULL),
                     0);
    size_t ttl_at = qlen + dns_name_len(k.name) + 4;
    buf[ttl_at + 3] = 1;
    ck_assert_int_eq(parse_find(buf, len, &m, rr, 8, &t), -EBADMSG);
    /* Every proper prefix of the signed message's TSIG RDATA is refused. */
    len = make_query(buf, sizeof(buf), 7);
    ck_assert_int_eq(dns_tsig_sign(buf, &len, sizeof(buf), &k, 1000, 300, 0, NULL, 0, NULL, NULL),
                     0);
    size_t rdlen_at = qlen + dns_name_len(k.name) + 8;
    uint16_t rdlen = (uint16_t)(buf[rdlen_at] << 8 | buf[rdlen_at + 1]);
    for (uint16_t cut = 1; cut <= rdlen; cut++) {
        uint8_t *copy = test_exact_copy(buf, len - cut);
        uint16_t nl = (uint16_t)(rdlen - cut);
        copy[rdlen_at] = (uint8_t)(nl >> 8);
        copy[rdlen_at + 1] = (uint8_t)nl;
        struct dns_msg m2;
        struct dns_question qd[2];
        memset(&m2, 0, sizeof(m2));
        m2.qd = qd;
        m2.qd_cap = 2;
        m2.rr = rr;
        m2.rr_cap = 8;
        if (dns_msg_parse(&m2, copy, len - cut) == 0)
            ck_assert_int_eq(dns_tsig_find(&m2, &t), -EBADMSG);
        free(copy);
    }
}
END_TEST

/* --- interoperability with BIND's dig -y ------------------------------- */

static int udp_listener(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    socklen_t sl = sizeof(sa);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* Runs dig -y against our listener: checks dig's signed query verifies
 * with our code, answers it signed (tamper: corrupt the MAC), and returns
 * dig's output in out. */
static void dig_exchange(const char *spec, bool tamper, char *out, size_t cap)
{
    uint16_t port;
    int fd = udp_listener(&port);
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "dig -y '%s' @127.0.0.1 -p %u lab. SOA +tries=1 +time=3 +norecurse 2>&1", spec, port);
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "cannot run dig (package bind9-dnsutils)");
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    ck_assert_msg(poll(&pfd, 1, 5000) == 1, "dig sent nothing (is bind9-dnsutils installed?)");
    uint8_t q[4096];
    struct sockaddr_in from;
    socklen_t fl = sizeof(from);
    ssize_t n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
    ck_assert_int_gt(n, 0);

    struct dns_tsig_key k = key(spec);
    struct dns_msg m;
    struct dns_rr rr[8];
    struct dns_tsig_info t;
    ck_assert_int_eq(parse_find(q, (size_t)n, &m, rr, 8, &t), 1);
    ck_assert_int_eq(dns_tsig_verify(&m, &t, &k, 1, (uint64_t)time(NULL), NULL, 0, NULL), 0);
    /* And dig's query with a wrong key does not. */
    struct dns_tsig_key wrong = k;
    wrong.secret[0] ^= 1;
    ck_assert_int_eq(dns_tsig_verify(&m, &t, &wrong, 1, (uint64_t)time(NULL), NULL, 0, NULL),
                     DNS_TSIG_BADSIG);

    /* The answer: the query without its TSIG, as a response, one SOA. */
    m.truncated = false;
    uint8_t resp[1024];
    struct dns_wr d;
    struct dns_msg qm = m;
    qm.len = t.rr_off;
    ck_assert_int_eq(dns_reply_begin(&d, resp, sizeof(resp), sizeof(resp), &qm), 0);
    d.hdr.aa = true;
    dns_wr_rrset_begin(&d, DNS_SEC_AN);
    dns_wr_rr_begin(&d, (const uint8_t *)"\x03lab\x00", DNS_TYPE_SOA, DNS_CLASS_IN, 300);
    dns_wr_rdata_name(&d, (const uint8_t *)"\x02ns\x03lab\x00");
    dns_wr_rdata_name(&d, (const uint8_t *)"\x05"
                                           "admin\x03lab\x00");
    for (int i = 0; i < 5; i++)
        wire_wr_u32(&d.w, 2026112401u + (uint32_t)i);
    dns_wr_rr_end(&d);
    ck_assert_int_eq(dns_wr_rrset_end(&d), 0);
    size_t rlen;
    ck_assert_int_eq(dns_wr_finish(&d, &rlen), 0);
    ck_assert_int_eq(dns_tsig_sign(resp, &rlen, sizeof(resp), &k, (uint64_t)time(NULL), 300, 0,
                                   t.mac, t.mac_len, NULL, NULL),
                     0);
    if (tamper)
        resp[rlen - 7] ^= 0x40; /* the last MAC octet: 6 octets of trailer follow it */
    ck_assert_int_eq(sendto(fd, resp, rlen, 0, (struct sockaddr *)&from, fl), (ssize_t)rlen);
    size_t got = fread(out, 1, cap - 1, p);
    out[got] = '\0';
    pclose(p);
    close(fd);
}

START_TEST(test_dns_tsig_bind_dig_interop)
{
    static char out[16384];
    const char *specs[] = {"hmac-sha256:ddns-key.lab.:" SECRET, "hmac-sha512:k2.:" OTHER,
                           "hmac-sha1:k3:" SECRET};
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
        dig_exchange(specs[i], false, out, sizeof(out));
        ck_assert_msg(strstr(out, "status: NOERROR") != NULL, "%s:\n%s", specs[i], out);
        ck_assert_msg(strstr(out, "TSIG PSEUDOSECTION") != NULL, "%s:\n%s", specs[i], out);
        ck_assert_msg(strstr(out, "tsig") == NULL && strstr(out, "verify") == NULL,
                      "dig did not accept our signature (%s):\n%s", specs[i], out);
    }
    /* Negative control on the oracle: a corrupted MAC is caught by dig. */
    dig_exchange(specs[0], true, out, sizeof(out));
    ck_assert_msg(strstr(out, "tsig verify failure") != NULL ||
                      strstr(out, "Couldn't verify") != NULL,
                  "dig accepted a corrupted MAC:\n%s", out);
}
END_TEST

static Suite *dns_tsig_suite(void)
{
    Suite *s = suite_create("dns_tsig");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_dns_tsig_key_parse);
    tcase_add_test(tc, test_dns_tsig_round_trip_and_refusals);
    tcase_add_test(tc, test_dns_tsig_find_refuses_misplaced);
    tcase_add_test(tc, test_dns_tsig_bind_dig_interop);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dns_tsig_suite)
