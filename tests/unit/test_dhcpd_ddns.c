/* Tests for dhcpd/ddns: the DNS label a lease publishes (reservation, option
 * 81, option 12, hostile names), reverse names and zones, the UPDATE
 * messages (parsed back with dns_msg_parse + dns_update_prescan, TSIG
 * verified), reply judging, the sender on a loop against a fake server
 * (good reply, bad TSIG, silence), the [ddns] configuration and the lease
 * database migration. */
#include <check.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "common/dhcp_build.h"
#include "common/dhcp_msg.h"
#include "common/dhcp_opt.h"
#include "common/dns_msg.h"
#include "common/dns_tsig.h"
#include "common/dns_update.h"
#include "common/dns_write.h"
#include "dhcpd/conf.h"
#include "dhcpd/ddns.h"
#include "dhcpd/engine.h"
#include "dhcpd/lease.h"
#include "dhcpd/store.h"
#include "testutil.h"

#define SECRET "cQOmrKVdBkMfbfdPvSy3BDlVhmLbJ7emcGLKJPLhpbs="
#define KEY    "hmac-sha256:ddns.lab.:" SECRET
#define WRONG  "hmac-sha256:ddns.lab.:AAAArKVdBkMfbfdPvSy3BDlVhmLbJ7emcGLKJPLhpbs="

static struct dns_tsig_key key(const char *spec)
{
    struct dns_tsig_key k;
    ck_assert_int_eq(dns_tsig_key_parse(&k, spec, NULL, 0), 0);
    return k;
}

static int pick(const char *reserved, const void *f, size_t flen, const char *h, char *out)
{
    return ddns_label_pick(reserved, f, flen, (const uint8_t *)h, h ? strlen(h) : 0, out);
}

/* ---- names ------------------------------------------------------------ */

START_TEST(test_dhcpd_ddns_label_sources)
{
    char out[DNS_LABEL_MAXLEN + 1];
    /* Option 81 in wire form: flags S, rcodes, "c81.example." */
    static const uint8_t f81[] = {
        DHCP_FQDN_S | DHCP_FQDN_E, 0, 0, 3, 'C', '8', '1', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
    ck_assert_int_eq(pick(NULL, NULL, 0, NULL, out), 0);
    ck_assert_int_eq(pick(NULL, NULL, 0, "c12", out), 1);
    ck_assert_str_eq(out, "c12");
    /* 81 before 12, lower-cased, the client's domain dropped. */
    ck_assert_int_eq(pick(NULL, f81, sizeof(f81), "c12", out), 1);
    ck_assert_str_eq(out, "c81");
    /* A reservation's hostname before both. */
    ck_assert_int_eq(pick("Printer", f81, sizeof(f81), "c12", out), 1);
    ck_assert_str_eq(out, "printer");
    ck_assert_int_eq(pick("", NULL, 0, "c12", out), 1);
    ck_assert_str_eq(out, "c12");
    /* N set: the client wants no update, whatever else it sent. */
    uint8_t fn[sizeof(f81)];
    memcpy(fn, f81, sizeof(fn));
    fn[0] = DHCP_FQDN_N | DHCP_FQDN_E;
    ck_assert_int_eq(pick("printer", fn, sizeof(fn), "c12", out), 0);
    ck_assert_str_eq(out, "");
    /* An empty 81 name ("pick one") falls back to option 12. */
    static const uint8_t fempty[] = {DHCP_FQDN_S | DHCP_FQDN_E, 0, 0};
    ck_assert_int_eq(pick(NULL, fempty, sizeof(fempty), "c12", out), 1);
    ck_assert_str_eq(out, "c12");
    static const uint8_t froot[] = {DHCP_FQDN_E, 0, 0, 0};
    ck_assert_int_eq(pick(NULL, froot, sizeof(froot), NULL, out), 0);
    /* The deprecated ASCII form (E clear). */
    static const uint8_t fascii[] = {0, 0, 0, 'w', 's', '1', '.', 'c', 'o', 'r', 'p'};
    ck_assert_int_eq(pick(NULL, fascii, sizeof(fascii), NULL, out), 1);
    ck_assert_str_eq(out, "ws1");
    /* A malformed option 81 (a label crossing the end) is refused. */
    static const uint8_t fbad[] = {DHCP_FQDN_E, 0, 0, 9, 'a'};
    ck_assert_int_eq(pick(NULL, fbad, sizeof(fbad), "c12", out), -EINVAL);
    ck_assert_int_eq(pick(NULL, fbad, 2, "c12", out), -EINVAL);
    /* Option 12 "host.domain": the first label. */
    ck_assert_int_eq(pick(NULL, NULL, 0, "Laptop.home.arpa", out), 1);
    ck_assert_str_eq(out, "laptop");
}
END_TEST

START_TEST(test_dhcpd_ddns_label_hostile)
{
    char out[DNS_LABEL_MAXLEN + 1];
    static const char *const bad[] = {
        "bad_name", "a b", "-lead", "trail-", ".dot", "semi;colon", "new\nline", "quote\"",
        "back\\slash", "\xc3\xa9t\xc3\xa9", "%00", "a*", "\x7f",
        /* 64 characters: one over the label limit */
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(pick(NULL, NULL, 0, bad[i], out) == -EINVAL, "accepted \"%s\"", bad[i]);
        ck_assert_int_eq(pick(bad[i], NULL, 0, "ok", out), -EINVAL);
    }
    /* 63 is fine; digits-only and inner hyphens too. */
    ck_assert_int_eq(
        pick(NULL, NULL, 0, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", out),
        1);
    ck_assert_uint_eq(strlen(out), 63);
    ck_assert_int_eq(pick(NULL, NULL, 0, "123", out), 1);
    ck_assert_int_eq(pick(NULL, NULL, 0, "a-b--c", out), 1);
    /* Option 12 with an embedded NUL: RFC 2132 trailing NULs are allowed
     * by the text decoder, an inner one is not a label character. */
    static const uint8_t nul[] = {'a', 0, 'b'};
    ck_assert_int_lt(ddns_label_pick(NULL, NULL, 0, nul, sizeof(nul), out), 0);
    /* Wire-form 81 with a hostile first label. */
    static const uint8_t f[] = {DHCP_FQDN_E, 0, 0, 3, 'a', '.', 'b', 0};
    ck_assert_int_eq(pick(NULL, f, sizeof(f), NULL, out), -EINVAL);
    static const uint8_t f2[] = {DHCP_FQDN_E, 0, 0, 3, 'a', 0, 'b', 0};
    ck_assert_int_eq(pick(NULL, f2, sizeof(f2), NULL, out), -EINVAL);
}
END_TEST

START_TEST(test_dhcpd_ddns_reverse)
{
    uint8_t n[DNS_NAME_MAXLEN];
    char t[DNS_NAME_TEXT_MAX];
    ddns_reverse_name(test_ip4("10.77.0.100"), n);
    ck_assert_int_eq(dns_name_to_text(n, t, sizeof(t), NULL), 0);
    ck_assert_str_eq(t, "100.0.77.10.in-addr.arpa.");
    ddns_reverse_name(test_ip4("255.0.9.1"), n);
    dns_name_to_text(n, t, sizeof(t), NULL);
    ck_assert_str_eq(t, "1.9.0.255.in-addr.arpa.");
    ck_assert_int_eq(ddns_reverse_zone(test_ip4("10.77.0.0"), 24, n), 0);
    dns_name_to_text(n, t, sizeof(t), NULL);
    ck_assert_str_eq(t, "0.77.10.in-addr.arpa.");
    ck_assert_int_eq(ddns_reverse_zone(test_ip4("172.16.0.0"), 16, n), 0);
    dns_name_to_text(n, t, sizeof(t), NULL);
    ck_assert_str_eq(t, "16.172.in-addr.arpa.");
    ck_assert_int_eq(ddns_reverse_zone(test_ip4("10.0.0.0"), 8, n), 0);
    dns_name_to_text(n, t, sizeof(t), NULL);
    ck_assert_str_eq(t, "10.in-addr.arpa.");
    ck_assert_int_eq(ddns_reverse_zone(test_ip4("10.77.0.0"), 20, n), -ENOTSUP);
    ck_assert_int_eq(ddns_reverse_zone(test_ip4("10.77.0.0"), 25, n), -ENOTSUP);
    /* label + zone, and the 255 limit. */
    ck_assert_int_eq(ddns_fqdn("c1", (const uint8_t *)"\003lab\000", n), 0);
    dns_name_to_text(n, t, sizeof(t), NULL);
    ck_assert_str_eq(t, "c1.lab.");
    uint8_t big[DNS_NAME_MAXLEN];
    size_t bl;
    char text[300];
    memset(text, 'a', sizeof(text));
    for (int i = 63; i < 250; i += 64)
        text[i] = '.';
    text[250] = '\0'; /* 250 characters: a 251-byte wire name */
    ck_assert_int_eq(dns_name_from_text(text, strlen(text), big, &bl), 0);
    ck_assert_uint_eq(bl, 252);
    ck_assert_int_eq(ddns_fqdn("abc", big, n), -EMSGSIZE);
    ck_assert_int_eq(ddns_fqdn("ab", big, n), 0);
    ck_assert_uint_eq(dns_name_len(n), DNS_NAME_MAXLEN);
}
END_TEST

/* ---- messages --------------------------------------------------------- */

struct parsed {
    struct dns_msg m;
    struct dns_question qd[4];
    struct dns_rr rr[16];
};

static void parse(struct parsed *p, const uint8_t *buf, size_t len)
{
    memset(&p->m, 0, sizeof(p->m));
    p->m.qd = p->qd;
    p->m.qd_cap = 4;
    p->m.rr = p->rr;
    p->m.rr_cap = 16;
    ck_assert_int_eq(dns_msg_parse(&p->m, buf, len), 0);
}

static struct ddns_rec rec(bool add)
{
    struct ddns_rec r;
    memset(&r, 0, sizeof(r));
    r.add = add;
    r.addr = test_ip4("10.77.0.100");
    r.ttl = 300;
    ck_assert_int_eq(ddns_fqdn("c1", (const uint8_t *)"\003lab\004test\000", r.fqdn), 0);
    ddns_reverse_name(r.addr, r.ptr);
    ck_assert_int_eq(ddns_reverse_zone(test_ip4("10.77.0.0"), 24, r.rev_zone), 0);
    r.has_ptr = true;
    return r;
}

/* Builds one half, parses it back, prescans and verifies the TSIG. */
static void build_check(const struct ddns_rec *r, bool reverse, struct parsed *p, uint8_t *buf,
                        const char *zone_text)
{
    struct dns_tsig_key k = key(KEY);
    size_t len, mac_len;
    uint8_t mac[DNS_TSIG_MAC_MAX];
    uint64_t now = (uint64_t)time(NULL);
    ck_assert_int_eq(
        ddns_msg_build(r, reverse, 0x1234, &k, now, buf, DDNS_MSG_MAX, &len, mac, &mac_len), 0);
    ck_assert_uint_eq(mac_len, 32);
    uint8_t *copy = test_exact_copy(buf, len);
    memcpy(buf, copy, len);
    free(copy);
    parse(p, buf, len);
    ck_assert_uint_eq(p->m.hdr.id, 0x1234);
    ck_assert_uint_eq(p->m.hdr.opcode, DNS_OPCODE_UPDATE);
    uint8_t zone[DNS_NAME_MAXLEN];
    char zt[DNS_NAME_TEXT_MAX];
    ck_assert_uint_eq(dns_update_prescan(&p->m, zone), DNS_RCODE_NOERROR);
    dns_name_to_text(zone, zt, sizeof(zt), NULL);
    ck_assert_str_eq(zt, zone_text);
    size_t npr;
    dns_msg_section(&p->m, DNS_UPD_SEC_PR, &npr);
    ck_assert_uint_eq(npr, 0);
    struct dns_tsig_info t;
    ck_assert_int_eq(dns_tsig_find(&p->m, &t), 1);
    ck_assert_int_eq(dns_tsig_verify(&p->m, &t, &k, 1, now, NULL, 0, NULL), 0);
    ck_assert_int_eq(memcmp(t.mac, mac, mac_len), 0);
    struct dns_tsig_key w = key(WRONG);
    ck_assert_int_eq(dns_tsig_verify(&p->m, &t, &w, 1, now, NULL, 0, NULL), DNS_TSIG_BADSIG);
}

static void owner_is(const struct parsed *p, const struct dns_rr *rr, const char *text)
{
    uint8_t o[DNS_NAME_MAXLEN];
    char t[DNS_NAME_TEXT_MAX];
    ck_assert_int_eq(dns_msg_rr_owner(&p->m, rr, o, NULL), 0);
    dns_name_to_text(o, t, sizeof(t), NULL);
    ck_assert_str_eq(t, text);
}

START_TEST(test_dhcpd_ddns_msg_forward)
{
    uint8_t buf[DDNS_MSG_MAX], a[4];
    struct parsed p;
    size_t n;
    struct ddns_rec r = rec(true);
    build_check(&r, false, &p, buf, "lab.test.");
    const struct dns_rr *up = dns_msg_section(&p.m, DNS_UPD_SEC_UP, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(dns_update_op(&up[0]), DNS_UPD_DELETE_RRSET);
    ck_assert_uint_eq(up[0].type, DNS_TYPE_A);
    owner_is(&p, &up[0], "c1.lab.test.");
    ck_assert_int_eq(dns_update_op(&up[1]), DNS_UPD_ADD);
    ck_assert_int_eq(dns_rr_a(&p.m, &up[1], a), 0);
    ck_assert_int_eq(memcmp(a, &r.addr, 4), 0);
    ck_assert_uint_eq(up[1].ttl, 300);
    owner_is(&p, &up[1], "c1.lab.test.");

    r = rec(false);
    build_check(&r, false, &p, buf, "lab.test.");
    up = dns_msg_section(&p.m, DNS_UPD_SEC_UP, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(dns_update_op(&up[0]), DNS_UPD_DELETE_RR);
    ck_assert_int_eq(dns_rr_a(&p.m, &up[0], a), 0);
    ck_assert_int_eq(memcmp(a, &r.addr, 4), 0);
}
END_TEST

START_TEST(test_dhcpd_ddns_msg_reverse)
{
    uint8_t buf[DDNS_MSG_MAX], name[DNS_NAME_MAXLEN];
    char t[DNS_NAME_TEXT_MAX];
    struct parsed p;
    size_t n;
    struct ddns_rec r = rec(true);
    build_check(&r, true, &p, buf, "0.77.10.in-addr.arpa.");
    const struct dns_rr *up = dns_msg_section(&p.m, DNS_UPD_SEC_UP, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(dns_update_op(&up[0]), DNS_UPD_DELETE_RRSET);
    ck_assert_uint_eq(up[0].type, DNS_TYPE_PTR);
    owner_is(&p, &up[0], "100.0.77.10.in-addr.arpa.");
    ck_assert_int_eq(dns_update_op(&up[1]), DNS_UPD_ADD);
    ck_assert_int_eq(dns_rr_name(&p.m, &up[1], name, NULL), 0);
    dns_name_to_text(name, t, sizeof(t), NULL);
    ck_assert_str_eq(t, "c1.lab.test.");

    r = rec(false);
    build_check(&r, true, &p, buf, "0.77.10.in-addr.arpa.");
    up = dns_msg_section(&p.m, DNS_UPD_SEC_UP, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(dns_update_op(&up[0]), DNS_UPD_DELETE_RRSET);

    /* No reverse zone: no reverse message; a tiny buffer: -EMSGSIZE. */
    struct dns_tsig_key k = key(KEY);
    size_t len, ml;
    uint8_t mac[DNS_TSIG_MAC_MAX];
    r.has_ptr = false;
    ck_assert_int_eq(ddns_msg_build(&r, true, 1, &k, 0, buf, sizeof(buf), &len, mac, &ml), -EINVAL);
    r = rec(true);
    for (size_t cap = 0; cap < 60; cap += 7)
        ck_assert_int_eq(ddns_msg_build(&r, false, 1, &k, 0, buf, cap, &len, mac, &ml), -EMSGSIZE);
    /* A name directly under the root would update the root zone: no. */
    memcpy(r.fqdn, "\002c1\000", 4);
    ck_assert_int_eq(ddns_msg_build(&r, false, 1, &k, 0, buf, sizeof(buf), &len, mac, &ml),
                     -EINVAL);
}
END_TEST

/* A server's reply to request (id, mac): rcode, signed with k (or not),
 * TSIG error terr. */
static size_t reply(uint8_t *out, uint16_t id, uint8_t rcode, const struct dns_tsig_key *k,
                    uint16_t terr, const uint8_t *mac, size_t mac_len)
{
    struct dns_wr d;
    size_t len;
    ck_assert_int_eq(dns_update_begin(&d, out, 512, id, (const uint8_t *)"\003lab\004test\000"), 0);
    d.hdr.qr = true;
    d.hdr.rcode = rcode;
    ck_assert_int_eq(dns_wr_finish(&d, &len), 0);
    if (k)
        ck_assert_int_eq(dns_tsig_sign(out, &len, 512, k, (uint64_t)time(NULL), 300, terr, mac,
                                       mac_len, NULL, NULL),
                         0);
    return len;
}

START_TEST(test_dhcpd_ddns_reply_check)
{
    struct dns_tsig_key k = key(KEY), w = key(WRONG);
    uint8_t req[DDNS_MSG_MAX], mac[DNS_TSIG_MAC_MAX], resp[512];
    size_t len, ml;
    struct ddns_rec r = rec(true);
    uint64_t now = (uint64_t)time(NULL);
    ck_assert_int_eq(ddns_msg_build(&r, false, 77, &k, now, req, sizeof(req), &len, mac, &ml), 0);
    uint16_t rc, te;
    size_t n = reply(resp, 77, 0, &k, 0, mac, ml);
    uint8_t *x = test_exact_copy(resp, n);
    ck_assert_int_eq(ddns_reply_check(x, n, 77, &k, now, mac, ml, &rc, &te), DDNS_REPLY_OK);
    ck_assert_uint_eq(rc, 0);
    /* Another ID, or our own request echoed back (QR clear): not ours. */
    ck_assert_int_eq(ddns_reply_check(x, n, 78, &k, now, mac, ml, &rc, &te), DDNS_REPLY_NOT_OURS);
    ck_assert_int_eq(ddns_reply_check(req, len, 77, &k, now, mac, ml, &rc, &te),
                     DDNS_REPLY_NOT_OURS);
    /* Signed over another MAC (a reply to some other request). */
    uint8_t other[DNS_TSIG_MAC_MAX];
    memcpy(other, mac, ml);
    other[0] ^= 1;
    ck_assert_int_eq(ddns_reply_check(x, n, 77, &k, now, other, ml, &rc, &te), DDNS_REPLY_BAD_TSIG);
    /* Every proper prefix: never OK, never a crash (exact-size copies). */
    for (size_t i = 0; i < n; i++) {
        uint8_t *y = test_exact_copy(resp, i);
        ck_assert_int_ne(ddns_reply_check(y, i, 77, &k, now, mac, ml, &rc, &te), DDNS_REPLY_OK);
        free(y);
    }
    /* A flipped bit anywhere: never OK -- except the case of a letter in
     * the TSIG's key or algorithm name, which the MAC covers in canonical
     * (lower-case) form (RFC 8945 4.3.3). */
    for (size_t i = 0; i < n * 8; i++) {
        uint8_t orig = x[i / 8];
        x[i / 8] ^= (uint8_t)(1u << (i % 8));
        enum ddns_reply v = ddns_reply_check(x, n, 77, &k, now, mac, ml, &rc, &te);
        bool case_flip = (1u << (i % 8)) == 0x20 && ((orig | 0x20) >= 'a' && (orig | 0x20) <= 'z');
        ck_assert_msg(v != DDNS_REPLY_OK || case_flip, "bit %zu accepted", i);
        x[i / 8] = orig;
    }
    free(x);
    /* REFUSED, properly signed: OK with the rcode. */
    n = reply(resp, 77, DNS_RCODE_REFUSED, &k, 0, mac, ml);
    ck_assert_int_eq(ddns_reply_check(resp, n, 77, &k, now, mac, ml, &rc, &te), DDNS_REPLY_OK);
    ck_assert_uint_eq(rc, DNS_RCODE_REFUSED);
    /* Signed with another key: BAD_TSIG. */
    n = reply(resp, 77, 0, &w, 0, mac, ml);
    ck_assert_int_eq(ddns_reply_check(resp, n, 77, &k, now, mac, ml, &rc, &te),
                     DDNS_REPLY_BAD_TSIG);
    ck_assert_uint_eq(te, DNS_TSIG_BADSIG);
    /* Unsigned. */
    n = reply(resp, 77, 0, NULL, 0, mac, ml);
    ck_assert_int_eq(ddns_reply_check(resp, n, 77, &k, now, mac, ml, &rc, &te),
                     DDNS_REPLY_UNSIGNED);
    /* The server's BADSIG (unsigned error record). */
    n = reply(resp, 77, DNS_RCODE_NOTAUTH, &w, DNS_TSIG_BADSIG, NULL, 0);
    ck_assert_int_eq(ddns_reply_check(resp, n, 77, &k, now, mac, ml, &rc, &te),
                     DDNS_REPLY_TSIG_ERROR);
    ck_assert_uint_eq(te, DNS_TSIG_BADSIG);
    ck_assert_uint_eq(rc, DNS_RCODE_NOTAUTH);
    /* Too old a signature: BADTIME on our side. */
    n = reply(resp, 77, 0, &k, 0, mac, ml);
    ck_assert_int_eq(ddns_reply_check(resp, n, 77, &k, now + 3600, mac, ml, &rc, &te),
                     DDNS_REPLY_BAD_TSIG);
    ck_assert_uint_eq(te, DNS_TSIG_BADTIME);
}
END_TEST

/* ---- the sender against a fake server on the same loop ---------------- */

enum mode { GOOD, BADKEY, SILENT, REFUSE };

struct fake {
    uv_udp_t udp;
    uv_timer_t poll;
    enum mode mode;
    struct dns_tsig_key k;
    int got;
    uint64_t want_jobs;
    struct ddns_client *c;
    char lines[8][128];
};

static void fake_alloc(uv_handle_t *h, size_t s, uv_buf_t *b)
{
    (void)h;
    (void)s;
    static char slab[4096];
    *b = uv_buf_init(slab, sizeof(slab));
}

static void fake_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
                      unsigned flags)
{
    struct fake *f = h->data;
    (void)flags;
    if (nread <= 0)
        return;
    struct parsed p;
    parse(&p, (const uint8_t *)buf->base, (size_t)nread);
    uint8_t zone[DNS_NAME_MAXLEN];
    ck_assert_uint_eq(dns_update_prescan(&p.m, zone), 0);
    struct dns_tsig_info t;
    ck_assert_int_eq(dns_tsig_find(&p.m, &t), 1);
    ck_assert_int_eq(dns_tsig_verify(&p.m, &t, &f->k, 1, (uint64_t)time(NULL), NULL, 0, NULL), 0);
    if (f->got < 8)
        dns_name_to_text(zone, f->lines[f->got], sizeof(f->lines[0]), NULL);
    f->got++;
    if (f->mode == SILENT)
        return;
    struct dns_tsig_key w = key(WRONG);
    uint8_t resp[512];
    size_t n = reply(resp, p.m.hdr.id, f->mode == REFUSE ? DNS_RCODE_REFUSED : 0,
                     f->mode == BADKEY ? &w : &f->k, 0, t.mac, t.mac_len);
    uv_buf_t b = uv_buf_init((char *)resp, (unsigned)n);
    ck_assert_int_eq(uv_udp_try_send(&f->udp, &b, 1, from), (int)n);
}

static void fake_poll(uv_timer_t *t)
{
    struct fake *f = t->data;
    if (f->c->st.done + f->c->st.failed < f->want_jobs)
        return;
    ddns_client_stop(f->c);
    uv_close((uv_handle_t *)&f->udp, NULL);
    uv_close((uv_handle_t *)&f->poll, NULL);
}

/* Runs two jobs (an add with PTR, a delete without) against a fake server
 * in mode m; returns the client's stats. */
static struct ddns_stats run_client(enum mode m, struct fake *f)
{
    uv_loop_t loop;
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    memset(f, 0, sizeof(*f));
    f->mode = m;
    f->k = key(KEY);
    uv_udp_init(&loop, &f->udp);
    f->udp.data = f;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
    ck_assert_int_eq(uv_udp_bind(&f->udp, (struct sockaddr *)&sa, 0), 0);
    int sl = sizeof(sa);
    ck_assert_int_eq(uv_udp_getsockname(&f->udp, (struct sockaddr *)&sa, &sl), 0);
    uv_udp_recv_start(&f->udp, fake_alloc, fake_recv);

    struct dhcpd_ddns_conf conf;
    memset(&conf, 0, sizeof(conf));
    conf.enabled = true;
    conf.key = f->k;
    conf.ttl_s = 300;
    ck_assert_int_eq(net_addr_parse_ip(&conf.server, "127.0.0.1"), 0);
    conf.server.port = ntohs(sa.sin_port);
    struct ddns_client *c = calloc(1, sizeof(*c));
    ck_assert_int_eq(ddns_client_start(c, &loop, &conf, NULL, NULL), 0);
    /* Silence needs a short wait; answers a long one (the first HMAC on a
     * loaded machine can be slow). */
    c->timeout_ms = m == SILENT ? 30 : 2000;
    f->c = c;
    f->want_jobs = 2;
    struct ddns_rec r1 = rec(true), r2 = rec(false);
    r2.has_ptr = false;
    ck_assert_int_eq(ddns_client_submit(c, &r1), 0);
    ck_assert_int_eq(ddns_client_submit(c, &r2), 0);
    ck_assert_int_eq(f->got, 0); /* nothing leaves before the kick */
    ddns_client_kick(c);
    uv_timer_init(&loop, &f->poll);
    f->poll.data = f;
    uv_timer_start(&f->poll, fake_poll, 5, 5);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(c->open_handles, 0);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
    struct ddns_stats st = c->st;
    ddns_client_free(c);
    free(c);
    return st;
}

START_TEST(test_dhcpd_ddns_client_good)
{
    struct fake f;
    struct ddns_stats st = run_client(GOOD, &f);
    ck_assert_uint_eq(st.done, 2);
    ck_assert_uint_eq(st.failed, 0);
    ck_assert_uint_eq(st.sends, 3); /* A, PTR; then A only */
    ck_assert_int_eq(f.got, 3);
    /* In order: the forward zone, the reverse zone, the forward zone. */
    ck_assert_str_eq(f.lines[0], "lab.test.");
    ck_assert_str_eq(f.lines[1], "0.77.10.in-addr.arpa.");
    ck_assert_str_eq(f.lines[2], "lab.test.");
}
END_TEST

START_TEST(test_dhcpd_ddns_client_bad_tsig)
{
    struct fake f;
    struct ddns_stats st = run_client(BADKEY, &f);
    ck_assert_uint_eq(st.done, 0);
    ck_assert_uint_eq(st.failed, 2);
    /* Each half tried DDNS_TRIES times, each reply refused. */
    ck_assert_uint_eq(st.sends, 3 * DDNS_TRIES);
    ck_assert_uint_eq(st.bad_replies, 3 * DDNS_TRIES);
    ck_assert_uint_eq(st.timeouts, 0);
}
END_TEST

START_TEST(test_dhcpd_ddns_client_timeout)
{
    struct fake f;
    struct ddns_stats st = run_client(SILENT, &f);
    ck_assert_uint_eq(st.failed, 2);
    ck_assert_uint_eq(st.sends, 3 * DDNS_TRIES);
    ck_assert_uint_eq(st.timeouts, 3 * DDNS_TRIES);
    ck_assert_int_eq(f.got, 3 * DDNS_TRIES);
}
END_TEST

START_TEST(test_dhcpd_ddns_client_refused)
{
    /* An authentic REFUSED is final: no retry. */
    struct fake f;
    struct ddns_stats st = run_client(REFUSE, &f);
    ck_assert_uint_eq(st.failed, 2);
    ck_assert_uint_eq(st.sends, 3);
}
END_TEST

START_TEST(test_dhcpd_ddns_client_queue_cap)
{
    uv_loop_t loop;
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    struct dhcpd_ddns_conf conf;
    memset(&conf, 0, sizeof(conf));
    struct ddns_client *c = calloc(1, sizeof(*c));
    struct ddns_rec r = rec(true);
    /* Off: nothing is queued. */
    ck_assert_int_eq(ddns_client_start(c, &loop, &conf, NULL, NULL), 0);
    ck_assert_int_eq(ddns_client_submit(c, &r), -ENOTCONN);
    ddns_client_stop(c);
    uv_run(&loop, UV_RUN_DEFAULT);
    ddns_client_free(c);
    /* On (a server nobody listens on): the queue stops at its cap. */
    conf.enabled = true;
    conf.key = key(KEY);
    ck_assert_int_eq(net_addr_parse_hostport(&conf.server, "127.0.0.1:9", 53), 0);
    ck_assert_int_eq(ddns_client_start(c, &loop, &conf, NULL, NULL), 0);
    for (int i = 0; i < DDNS_QUEUE_MAX; i++)
        ck_assert_int_eq(ddns_client_submit(c, &r), 0);
    ck_assert_int_eq(ddns_client_submit(c, &r), -E2BIG);
    ck_assert_uint_eq(c->st.dropped, 1);
    ddns_client_stop(c);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
    ddns_client_free(c);
    free(c);
}
END_TEST

/* ---- the engine: what an ACK asks to publish, and option 81 back -------- */

struct efx {
    struct dhcpd_conf *conf;
    struct lease_table *t;
    struct dhcpd_engine e;
    struct dhcpd_iface ifc;
    struct dhcpd_out out;
    struct dhcp_msg reply;
};

static void efx_init(struct efx *f, bool ddns)
{
    char text[1024];
    snprintf(text, sizeof(text),
             "[server]\ninterfaces = eth0\n[subnet 10.0.0.0/24]\npool = 10.0.0.100-10.0.0.109\n"
             "domain = Lab.Test\n[host printer]\nmac = 02:00:00:00:00:99\naddress = "
             "10.0.0.20\nhostname = printer\n%s",
             ddns ? "[ddns]\nserver = 127.0.0.1\nkey = " KEY "\n" : "");
    ck_assert_int_eq(dhcpd_conf_load_string(text, NULL, &f->conf), 0);
    ck_assert_int_eq(lease_table_new(f->conf, &f->t), 0);
    dhcpd_engine_init(&f->e, f->conf, f->t);
    memset(&f->ifc, 0, sizeof(f->ifc));
    snprintf(f->ifc.name, sizeof(f->ifc.name), "eth0");
    f->ifc.index = 2;
    f->ifc.addr = test_ip4("10.0.0.1");
}

static void efx_free(struct efx *f)
{
    lease_table_free(f->t);
    dhcpd_conf_free(f->conf);
}

/* DISCOVER + REQUEST from 02:..:mac with option 12 host (or NULL) and
 * option 81 fqdn[0..flen) (or NULL); returns the lease ACKed. */
static struct lease *dora(struct efx *f, uint8_t mac, const char *host, const uint8_t *fqdn,
                          size_t flen)
{
    static const uint8_t prl[] = {1, 3, 6, 12, 15, 81};
    struct dhcp_opt_val x = {DHCP_OPT_CLIENT_FQDN, false, fqdn, flen};
    struct dhcp_request rq = {.type = DHCP_DISCOVER,
                              .xid = 7u + mac,
                              .htype = 1,
                              .hlen = 6,
                              .chaddr = {2, 0, 0, 0, 0, mac},
                              .prl = prl,
                              .prl_len = sizeof(prl),
                              .host_name = (const uint8_t *)host,
                              .host_name_len = host ? strlen(host) : 0,
                              .extra = fqdn ? &x : NULL,
                              .nextra = fqdn ? 1 : 0};
    uint8_t buf[600];
    size_t len;
    ck_assert_int_eq(dhcp_build_request(&rq, buf, sizeof(buf), &len), 0);
    ck_assert_int_eq(dhcpd_engine_handle(&f->e, &f->ifc, buf, len, 1000, &f->out), 1);
    ck_assert_int_eq(dhcp_msg_parse(&f->reply, f->out.buf, f->out.len), 0);
    rq.type = DHCP_REQUEST;
    rq.state = DHCP_REQ_SELECTING;
    rq.requested = f->reply.yiaddr;
    rq.server_id = f->ifc.addr;
    ck_assert_int_eq(dhcp_build_request(&rq, buf, sizeof(buf), &len), 0);
    ck_assert_int_eq(dhcpd_engine_handle(&f->e, &f->ifc, buf, len, 1001, &f->out), 1);
    ck_assert_int_eq(dhcp_msg_parse(&f->reply, f->out.buf, f->out.len), 0);
    uint8_t type;
    ck_assert_int_eq(dhcp_msg_type(&f->reply, &type), 0);
    ck_assert_uint_eq(type, DHCP_ACK);
    struct lease *l = lease_table_find_addr(f->t, f->reply.yiaddr);
    ck_assert_ptr_nonnull(l);
    return l;
}

/* The option 81 of the last reply. */
static size_t reply_fqdn(struct efx *f, uint8_t *out)
{
    const uint8_t *v;
    size_t n;
    ck_assert_int_eq(dhcp_msg_opt_get(&f->reply, DHCP_OPT_CLIENT_FQDN, NULL, 0, &v, &n), 0);
    memcpy(out, v, n);
    return n;
}

START_TEST(test_dhcpd_ddns_engine_names)
{
    struct efx f;
    efx_init(&f, true);
    uint8_t v[300];
    /* Option 12 only: label stored, no option 81 in the reply. */
    struct lease *l = dora(&f, 1, "Laptop", NULL, 0);
    ck_assert_str_eq(l->ddns_label, "laptop");
    ck_assert(!dhcp_msg_opt_has(&f.reply, DHCP_OPT_CLIENT_FQDN));
    /* Option 81, client wants to do A itself (S=0), wire form: we do it
     * anyway (S and O set) and name the FQDN we publish. */
    static const uint8_t f81[] = {DHCP_FQDN_E, 0, 0, 3, 'c', '8', '1', 0};
    l = dora(&f, 2, "ignored", f81, sizeof(f81));
    ck_assert_str_eq(l->ddns_label, "c81");
    size_t n = reply_fqdn(&f, v);
    static const uint8_t want[] = {DHCP_FQDN_E | DHCP_FQDN_S | DHCP_FQDN_O,
                                   255,
                                   255,
                                   3,
                                   'c',
                                   '8',
                                   '1',
                                   3,
                                   'l',
                                   'a',
                                   'b',
                                   4,
                                   't',
                                   'e',
                                   's',
                                   't',
                                   0};
    ck_assert_uint_eq(n, sizeof(want));
    ck_assert_mem_eq(v, want, n);
    /* N=1: nothing to publish, N echoed. */
    static const uint8_t fn[] = {DHCP_FQDN_E | DHCP_FQDN_N, 0, 0, 3, 'c', 'n', 'n', 0};
    l = dora(&f, 3, "cnn", fn, sizeof(fn));
    ck_assert_str_eq(l->ddns_label, "");
    ck_assert_uint_eq(reply_fqdn(&f, v), 3);
    ck_assert_uint_eq(v[0], DHCP_FQDN_E | DHCP_FQDN_N);
    /* ASCII form, S=1: S set, no O, the name in text. */
    static const uint8_t fa[] = {DHCP_FQDN_S, 0, 0, 'w', 's'};
    l = dora(&f, 4, NULL, fa, sizeof(fa));
    n = reply_fqdn(&f, v);
    ck_assert_uint_eq(v[0], DHCP_FQDN_S);
    ck_assert_uint_eq(n, 3 + strlen("ws.lab.test."));
    ck_assert_mem_eq(v + 3, "ws.lab.test.", n - 3);
    /* The reservation's name wins over 81 and 12. */
    l = dora(&f, 0x99, "other", f81, sizeof(f81));
    ck_assert_uint_eq(l->addr, test_ip4("10.0.0.20"));
    ck_assert_str_eq(l->ddns_label, "printer");
    /* A hostile name: no label, N in the answer. */
    static const uint8_t fb[] = {DHCP_FQDN_E | DHCP_FQDN_S, 0, 0, 3, 'a', '_', 'b', 0};
    l = dora(&f, 5, NULL, fb, sizeof(fb));
    ck_assert_str_eq(l->ddns_label, "");
    ck_assert_uint_eq(reply_fqdn(&f, v), 3);
    ck_assert_uint_eq(v[0], DHCP_FQDN_E | DHCP_FQDN_N);
    /* A renewal with another name replaces the label. */
    l = dora(&f, 1, "desk", NULL, 0);
    ck_assert_str_eq(l->ddns_label, "desk");
    efx_free(&f);
    /* [ddns] off: the label is still noted, option 81 says N. */
    efx_init(&f, false);
    l = dora(&f, 2, NULL, f81, sizeof(f81));
    ck_assert_str_eq(l->ddns_label, "c81");
    ck_assert_uint_eq(reply_fqdn(&f, v), 3);
    ck_assert_uint_eq(v[0], DHCP_FQDN_E | DHCP_FQDN_N);
    efx_free(&f);
}
END_TEST

/* ---- configuration and storage ---------------------------------------- */

static int conf_rc(const char *text, struct dhcpd_conf **out)
{
    return dhcpd_conf_load_string(text, NULL, out);
}

START_TEST(test_dhcpd_ddns_conf)
{
    struct dhcpd_conf *c;
    const char *base = "[server]\ninterfaces = eth0\n[subnet 10.77.0.0/24]\npool = "
                       "10.77.0.100-10.77.0.150\ndomain = Lab.Test\n";
    char text[1024];
    /* No [ddns]: off. */
    ck_assert_int_eq(conf_rc(base, &c), 0);
    ck_assert(!c->ddns.enabled);
    ck_assert_str_eq(c->subnets[0].domain, "Lab.Test");
    dhcpd_conf_free(c);
    snprintf(text, sizeof(text),
             "%s[ddns]\nserver = 127.0.0.1:5353\nkey = " KEY "\nforward-zone = corp.\n"
             "reverse-zone = 77.10.in-addr.arpa\nttl = 60\n",
             base);
    ck_assert_int_eq(conf_rc(text, &c), 0);
    ck_assert(c->ddns.enabled);
    ck_assert_uint_eq(c->ddns.server.port, 5353);
    ck_assert_uint_eq(c->ddns.ttl_s, 60);
    ck_assert(c->ddns.has_fwd_zone && c->ddns.has_rev_zone);
    ck_assert(dns_name_eq(c->ddns.fwd_zone, (const uint8_t *)"\004corp\000"));
    dhcpd_conf_free(c);
    snprintf(text, sizeof(text), "%s[ddns]\nserver = 127.0.0.1\nkey = " KEY "\n", base);
    ck_assert_int_eq(conf_rc(text, &c), 0);
    ck_assert_uint_eq(c->ddns.server.port, 53);
    ck_assert_uint_eq(c->ddns.ttl_s, 300);
    ck_assert(!c->ddns.has_fwd_zone && !c->ddns.has_rev_zone);
    dhcpd_conf_free(c);
    /* Mistakes. */
    static const char *const bad[] = {
        "[ddns]\nserver = 127.0.0.1\n",                                     /* no key */
        "[ddns]\nserver = 127.0.0.1\nkey = hmac-md5:k.:" SECRET "\n",       /* refused alg */
        "[ddns]\nserver = 127.0.0.1\nkey = k.:!!!\n",                       /* bad base64 */
        "[ddns]\nserver = nowhere\nkey = " KEY "\n",                        /* not an address */
        "[ddns]\nserver = 127.0.0.1\nkey = " KEY "\nreverse-zone = lab.\n", /* not arpa */
        "[ddns]\nserver = 127.0.0.1\nkey = " KEY "\nforward-zone = a..b\n",
        "[ddns]\nserver = 127.0.0.1\nkey = " KEY "\nttl = -1\n",
        "[ddns]\nserver = 127.0.0.1\nkey = " KEY "\nzone = lab.\n", /* unknown key */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(text, sizeof(text), "%s%s", base, bad[i]);
        ck_assert_msg(conf_rc(text, &c) == -EINVAL, "accepted: %s", bad[i]);
    }
}
END_TEST

START_TEST(test_dhcpd_ddns_store_migration)
{
    char dir[] = "/tmp/labnet-ddns-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, LEASE_STORE_FILE);
    /* A database as labnet-dhcpd wrote it before DDNS (schema 1 without
     * the ddns_name column), with one bound lease. */
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db,
                                  "CREATE TABLE leases (address TEXT PRIMARY KEY, state TEXT NOT "
                                  "NULL, htype INTEGER NOT NULL, hwaddr BLOB NOT NULL, client_id "
                                  "BLOB, hostname TEXT, expires INTEGER NOT NULL, updated INTEGER "
                                  "NOT NULL); PRAGMA user_version = 1;"
                                  "INSERT INTO leases VALUES ('10.77.0.100', 'bound', 1, "
                                  "x'020000000001', NULL, 'c1', 4000000000, 1);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);

    struct dhcpd_conf *c;
    ck_assert_int_eq(conf_rc("[server]\ninterfaces = eth0\n[subnet 10.77.0.0/24]\npool = "
                             "10.77.0.100-10.77.0.101\n",
                             &c),
                     0);
    struct lease_table *t;
    ck_assert_int_eq(lease_table_new(c, &t), 0);
    struct lease_store *s;
    char err[256];
    size_t loaded, ignored;
    ck_assert_int_eq(lease_store_open(path, &s, err, sizeof(err)), 0);
    ck_assert_int_eq(lease_store_load(s, t, &loaded, &ignored, err, sizeof(err)), 0);
    ck_assert_uint_eq(loaded, 1);
    struct lease *l = lease_table_find_addr(t, test_ip4("10.77.0.100"));
    ck_assert_ptr_null(l->ddns_pub);
    /* Publish, commit, reload: the name comes back. */
    ck_assert_int_eq(lease_set_ddns_pub(l, "c1.lab.test."), 0);
    lease_table_mark_dirty(t, l);
    ck_assert_int_eq(lease_store_commit(s, t, 2, err, sizeof(err)), 0);
    lease_store_close(s);
    lease_table_free(t);
    ck_assert_int_eq(lease_table_new(c, &t), 0);
    ck_assert_int_eq(lease_store_open(path, &s, err, sizeof(err)), 0);
    ck_assert_int_eq(lease_store_load(s, t, &loaded, &ignored, err, sizeof(err)), 0);
    l = lease_table_find_addr(t, test_ip4("10.77.0.100"));
    ck_assert_ptr_nonnull(l->ddns_pub);
    ck_assert_str_eq(l->ddns_pub, "c1.lab.test.");
    /* Withdrawn: NULL again after a commit and reload. */
    ck_assert_int_eq(lease_set_ddns_pub(l, NULL), 0);
    lease_table_mark_dirty(t, l);
    ck_assert_int_eq(lease_store_commit(s, t, 3, err, sizeof(err)), 0);
    lease_store_close(s);
    lease_table_free(t);
    ck_assert_int_eq(lease_table_new(c, &t), 0);
    ck_assert_int_eq(lease_store_open(path, &s, err, sizeof(err)), 0);
    ck_assert_int_eq(lease_store_load(s, t, &loaded, &ignored, err, sizeof(err)), 0);
    ck_assert_ptr_null(lease_table_find_addr(t, test_ip4("10.77.0.100"))->ddns_pub);
    lease_store_close(s);
    lease_table_free(t);
    dhcpd_conf_free(c);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *dhcpd_ddns_suite(void)
{
    Suite *s = suite_create("dhcpd_ddns");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_dhcpd_ddns_label_sources);
    tcase_add_test(tc, test_dhcpd_ddns_label_hostile);
    tcase_add_test(tc, test_dhcpd_ddns_reverse);
    tcase_add_test(tc, test_dhcpd_ddns_msg_forward);
    tcase_add_test(tc, test_dhcpd_ddns_msg_reverse);
    tcase_add_test(tc, test_dhcpd_ddns_reply_check);
    tcase_add_test(tc, test_dhcpd_ddns_client_good);
    tcase_add_test(tc, test_dhcpd_ddns_client_bad_tsig);
    tcase_add_test(tc, test_dhcpd_ddns_client_timeout);
    tcase_add_test(tc, test_dhcpd_ddns_client_refused);
    tcase_add_test(tc, test_dhcpd_ddns_client_queue_cap);
    tcase_add_test(tc, test_dhcpd_ddns_engine_names);
    tcase_add_test(tc, test_dhcpd_ddns_conf);
    tcase_add_test(tc, test_dhcpd_ddns_store_migration);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dhcpd_ddns_suite)
