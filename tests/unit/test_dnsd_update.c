/* dnsd DNS UPDATE (RFC 2136) with TSIG (RFC 8945) through the query path:
 * access, zone and key checks, every prerequisite and update rule,
 * atomicity, answers from the dynamic data, snapshots and the state file. */
#include "testutil.h"

#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "common/dns_text.h"
#include "common/dns_tsig.h"
#include "common/dns_update.h"
#include "common/dns_write.h"
#include "dnsd/conf.h"
#include "dnsd/dynzone.h"
#include "dnsd/localzone.h"
#include "dnsd/server.h"

#define SECRET  "cQOmrKVdBkMfbfdPvSy3BDlVhmLbJ7emcGLKJPLhpbs="
#define SECRET2 "c2Vjb25kIGtleSBmb3IgdGVzdHMgb25seSEhISEhISE="
#define NOW     1700000000u

static const char *const base_conf = "[server]\n"
                                     "allow = 10.1.0.0/16\n"
                                     "[local]\n"
                                     "zones = lab. 0.77.10.in-addr.arpa. corp.\n"
                                     "record = www.lab. A 10.77.0.1\n"
                                     "record = alias.lab. CNAME www.lab.\n"
                                     "record = lab. NS ns.lab.\n"
                                     "[update]\n"
                                     "key = hmac-sha256:ddns:" SECRET "\n"
                                     "key = hmac-sha512:other:" SECRET2 "\n"
                                     "zones = lab. 0.77.10.in-addr.arpa.\n";

static struct dnsd_conf *conf_load(const char *text)
{
    struct dnsd_conf *c;
    ck_assert_int_eq(dnsd_conf_load_string("t.conf", text, NULL, stderr, &c), 0);
    return c;
}

struct env {
    struct dnsd_conf *c;
    struct dynzone *dz;
    struct dynzone_snap *snap;
};

static void env_init(struct env *e, const char *text, const char *path)
{
    memset(e, 0, sizeof(*e));
    e->c = conf_load(text ? text : base_conf);
    char err[256] = "";
    ck_assert_msg(dynzone_new(path, &e->dz, err, sizeof(err)) == 0, "%s", err);
    ck_assert_int_eq(dynzone_rebase(e->dz, e->c), 0);
}

static void env_deinit(struct env *e)
{
    dynzone_snap_release(e->snap);
    dynzone_free(e->dz);
    dnsd_conf_release(e->c);
}

static const uint8_t *N(const char *text)
{
    static uint8_t bufs[4][DNS_NAME_MAXLEN];
    static int k;
    uint8_t *b = bufs[k++ & 3];
    size_t l;
    ck_assert_int_eq(dns_name_from_text(text, strlen(text), b, &l), 0);
    return b;
}

static struct dns_tsig_key key_of(const char *spec)
{
    struct dns_tsig_key k;
    ck_assert_int_eq(dns_tsig_key_parse(&k, spec, NULL, 0), 0);
    return k;
}

/* ---- building and sending updates ---- */

struct upd {
    uint8_t buf[4096];
    struct dns_wr d;
};

static void upd_begin(struct upd *u, const char *zone)
{
    ck_assert_int_eq(dns_update_begin(&u->d, u->buf, sizeof(u->buf), 0x4242, N(zone)), 0);
}

static void upd_rr(struct upd *u, int sec, const char *owner, uint16_t type, uint16_t rclass,
                   uint32_t ttl, const void *rd, uint16_t rdlen)
{
    dns_wr_rrset_begin(&u->d, sec);
    dns_wr_rr(&u->d, N(owner), type, rclass, ttl, rd, rdlen);
    ck_assert_int_eq(dns_wr_rrset_end(&u->d), 0);
}

static void upd_a(struct upd *u, int sec, const char *owner, uint16_t rclass, uint32_t ttl,
                  const char *addr)
{
    uint8_t a[4];
    ck_assert_int_eq(inet_pton(AF_INET, addr, a), 1);
    upd_rr(u, sec, owner, DNS_TYPE_A, rclass, ttl, a, 4);
}

struct reply {
    enum server_verdict v;
    enum server_event ev;
    uint8_t out[65535];
    size_t len;
    uint8_t rcode;
    bool has_tsig;
    struct dns_tsig_info t;
    struct dns_msg m;
    struct dns_question qd[2];
    struct dns_rr rr[64];
};

static struct reply rep;
static uint8_t req_mac[DNS_TSIG_MAC_MAX];
static size_t req_mac_len;

static struct reply *run(struct env *e, const char *peer, bool tcp, const uint8_t *msg, size_t len,
                         uint64_t now)
{
    struct net_addr p;
    ck_assert_int_eq(net_addr_parse_ip(&p, peer), 0);
    struct server_ctx ctx = {
        .conf = e->c,
        .dyn = e->dz,
        .local = dynzone_snap_refresh(e->dz, &e->snap),
        .wall_s = now,
    };
    struct server_query q;
    uint8_t *copy = test_exact_copy(msg, len);
    memset(&rep, 0, sizeof(rep));
    rep.v = server_query_handle(&ctx, &p, tcp, copy, len, &q, rep.out, sizeof(rep.out), &rep.len,
                                &rep.ev);
    free(copy);
    ck_assert_int_eq(rep.v, SERVER_REPLY);
    rep.m = (struct dns_msg){.qd = rep.qd, .qd_cap = 2, .rr = rep.rr, .rr_cap = 64};
    ck_assert_int_eq(dns_msg_parse(&rep.m, rep.out, rep.len), 0);
    ck_assert(rep.m.hdr.qr);
    rep.rcode = rep.m.hdr.rcode;
    int f = dns_tsig_find(&rep.m, &rep.t);
    ck_assert_int_ge(f, 0);
    rep.has_tsig = f == 1;
    return &rep;
}

/* Finishes u, signs it with key (NULL: unsigned) at time signed_at, and
 * sends it at NOW from peer. */
static struct reply *upd_send_from(struct env *e, struct upd *u, const char *key,
                                   uint64_t signed_at, const char *peer, bool tcp)
{
    size_t len;
    ck_assert_int_eq(dns_wr_finish(&u->d, &len), 0);
    req_mac_len = 0;
    if (key) {
        struct dns_tsig_key k = key_of(key);
        ck_assert_int_eq(dns_tsig_sign(u->buf, &len, sizeof(u->buf), &k, signed_at, 300, 0, NULL, 0,
                                       req_mac, &req_mac_len),
                         0);
    }
    struct reply *r = run(e, peer, tcp, u->buf, len, NOW);
    ck_assert_uint_eq(r->m.hdr.id, 0x4242);
    ck_assert_uint_eq(r->m.hdr.opcode, DNS_OPCODE_UPDATE);
    return r;
}

#define KEY      "hmac-sha256:ddns:" SECRET
#define KEY2     "hmac-sha512:other:" SECRET2
#define BAD_NAME "hmac-sha256:nobody:" SECRET
#define BAD_SEC  "hmac-sha256:ddns:" SECRET2

static struct reply *upd_send(struct env *e, struct upd *u)
{
    return upd_send_from(e, u, KEY, NOW, "127.0.0.1", false);
}

/* The reply is signed by key over the request's MAC. */
static void assert_signed(struct reply *r, const char *key)
{
    ck_assert(r->has_tsig);
    struct dns_tsig_key k = key_of(key);
    ck_assert_int_eq(dns_tsig_verify(&r->m, &r->t, &k, 1, NOW, req_mac, req_mac_len, NULL), 0);
}

/* ---- queries ---- */

struct answer {
    uint8_t rcode;
    bool aa;
    size_t an, ns;
    uint32_t ttl0;   /* of the first answer */
    uint8_t rd0[64]; /* its RDATA (first 64 octets) */
    uint32_t serial; /* of an SOA in the authority or answer section */
};

static struct answer ask(struct env *e, const char *name, uint16_t qtype)
{
    uint8_t q[512];
    size_t len;
    ck_assert_int_eq(
        dns_query_make(q, sizeof(q), 7, N(name), qtype, DNS_CLASS_IN, true, NULL, &len), 0);
    struct reply *r = run(e, "127.0.0.1", false, q, len, NOW);
    struct answer a = {.rcode = r->rcode, .aa = r->m.hdr.aa};
    a.an = r->m.sec_n[DNS_SEC_AN];
    a.ns = r->m.sec_n[DNS_SEC_NS];
    for (size_t i = 0; i < r->m.rr_n; i++) {
        const struct dns_rr *rr = &r->m.rr[i];
        if (rr->type == DNS_TYPE_SOA) {
            struct dns_soa soa;
            ck_assert_int_eq(dns_rr_soa(&r->m, rr, &soa), 0);
            a.serial = soa.serial;
        }
    }
    if (a.an) {
        const struct dns_rr *rr = &r->m.rr[r->m.sec_first[DNS_SEC_AN]];
        a.ttl0 = rr->ttl;
        memcpy(a.rd0, r->out + rr->rdata_off, rr->rdlength < 64 ? rr->rdlength : 64);
    }
    return a;
}

static size_t count_a(struct env *e, const char *name)
{
    struct answer a = ask(e, name, DNS_TYPE_A);
    return a.rcode == DNS_RCODE_NOERROR ? a.an : 0;
}

/* ---- TSIG and access ---- */

START_TEST(test_dnsd_update_tsig_good_is_signed_reply)
{
    struct env e;
    env_init(&e, NULL, NULL);
    struct upd u;
    upd_begin(&u, "lab.");
    upd_a(&u, DNS_UPD_SEC_UP, "host1.lab.", DNS_CLASS_IN, 300, "10.77.0.5");
    struct reply *r = upd_send(&e, &u);
    ck_assert_uint_eq(r->rcode, DNS_RCODE_NOERROR);
    ck_assert_int_eq(r->ev, SERVER_EV_UPDATED);
    assert_signed(r, KEY);
    ck_assert_uint_eq(r->t.error, 0);
    /* The same reply does not verify over another request MAC. */
    struct dns_tsig_key k = key_of(KEY);
    uint8_t other[32] = {1};
    ck_assert_int_eq(dns_tsig_verify(&r->m, &r->t, &k, 1, NOW, other, 32, NULL), DNS_TSIG_BADSIG);
    struct answer a = ask(&e, "host1.lab.", DNS_TYPE_A);
    ck_assert_uint_eq(a.rcode, DNS_RCODE_NOERROR);
    ck_assert(a.aa);
    ck_assert_uint_eq(a.an, 1);
    ck_assert_mem_eq(a.rd0, "\x0a\x4d\x00\x05", 4);
    /* The second key, another algorithm, works too; over TCP as well. */
    upd_begin(&u, "lab.");
    upd_a(&u, DNS_UPD_SEC_UP, "host2.lab.", DNS_CLASS_IN, 300, "10.77.0.6");
    r = upd_send_from(&e, &u, KEY2, NOW, "127.0.0.1", true);
    ck_assert_uint_eq(r->rcode, DNS_RCODE_NOERROR);
    assert_signed(r, KEY2);
    ck_assert_uint_eq(count_a(&e, "host2.lab."), 1);
    env_deinit(&e);
}
END_TEST

START_TEST(test_dnsd_update_tsig_failures_change_nothing)
{
    struct env e;
    env_init(&e, NULL, NULL);
    struct upd u;
    uint32_t serial = dynzone_serial(e.dz);
    /* Missing: REFUSED, unsigned. */
    upd_begin(&u, "lab.");
    upd_a(&u, DNS_UPD_SEC_UP, "x.lab.", DNS_CLASS_IN, 300, "10.77.0.9");
    struct reply *r = upd_send_from(&e, &u, NULL, NOW, "127.0.0.1", false);
    ck_assert_uint_eq(r->rcode, DNS_RCODE_REFUSED);
    ck_assert(!r->has_tsig);
    ck_assert_int_eq(r->ev, SERVER_EV_UPDATE_FAIL);
    /* Unknown key: NOTAUTH, TSIG with BADKEY and no MAC. */
    upd_begin(&u, "lab.");
    upd_a(&u, DNS_UPD_SEC_UP, "x.lab.", DNS_CLASS_IN, 300, "10.77.0.9");
    r = upd_send_from(&e, &u, BAD_NAME, NOW, "127.0.0.1", false);
    ck_assert_uint_eq(r->rcode, DNS_RCODE_NOTAUTH);
    ck_assert(r->has_tsig);
    ck_assert_uint_eq(r->t.error, DNS_TSIG_BADKEY);
    ck_assert_uint_eq(r->t.mac_len, 0);
    ck_assert(dns_name_eq(r->t.key_name, N("nobody.")));
    /* Wrong secret: NOTAUTH, BADSIG, no MAC. */
    upd_begin(&u, "lab.");
    upd_a(&u, DNS_UPD_SEC_UP, "x.lab.", DNS_CLASS_IN, 300, "10.77.0.9");
    r = upd_send_from(&e, &u, BAD_SEC, NOW, "127.0.0.1", false);
    ck_assert_uint_eq(r->rcode, DNS_RCODE_NOTAUTH);
    ck_assert_uint_eq(r->t.error, DNS_TSIG_BADSIG);
    ck_assert_uint_eq(r->t.mac_len, 0);
    /* Signed an hour ago: NOTAUTH, BADTIME, signed over the request MAC. */
    upd_begin(&u, "lab.");
    upd_a(&u, DNS_UPD_SEC_UP, "x.lab.", DNS_CLASS_IN, 300, "10.77.0.9");
    r = upd_send_from(&e, &u, KEY, NOW - 3600, "127.0.0.1", false);
    ck_assert_uint_eq(r->rcode, DNS_RCODE_NOTAUTH);
    ck_assert_uint_eq(r->t.error, DNS_TSIG_BADTIME);
    ck_assert_uint_eq(r->t.time_signed, NOW);
    assert_signed(r, KEY);
    /* A tampered message (one octet of the record changed after signing). */
    upd_begin(&u, "lab.");
    upd_a(&u, DNS_UPD_SEC_UP, "x.lab.", DNS_CLASS_IN, 300, "10.77.0.9");
    size_t len;
    ck_assert_int_eq(dns_wr_finish(&u.d, &len), 0);
    struct dns_tsig_key k = key_of(KEY);
    ck_assert_int_eq(
        dns_tsig_sign(u.buf, &len, sizeof(u.buf), &k, NOW, 300, 0, NULL, 0, NULL, NULL), 0);
    u.buf[len - 100] ^= 1; /* inside the A record's owner or RDATA */
    r = run(&e, "127.0.0.1", false, u.buf, len, NOW);
    ck_assert(r->rcode == DNS_RCODE_NOTAUTH || r->rcode == DNS_RCODE_FORMERR ||
              r->rcode == DNS_RCODE_NOTZONE);
    ck_assert_uint_eq(count_a(&e, "x.lab."), 0);
    ck_assert_uint_eq(dynzone_count(e.dz), 0);
    ck_assert_uint_eq(dynzone_serial(e.dz), serial);
    env_deinit(&e);
}
END_TEST

START_TEST(test_dnsd_update_access_and_zones)
{
    struct env e;
    env_init(&e, NULL, NULL);
    struct upd u;
    /* 10.1/16 is in [server] allow, so also in the default update allow. */
    upd_begin(&u, "lab.");
    upd_a(&u, DNS_UPD_SEC_UP, "a.lab.", DNS_CLASS_IN, 300, "10.77.0.9");
    ck_assert_uint_eq(upd_send_from(&e, &u, KEY, NOW, "10.1.2.3", false)->rcode, 0);
    /* Not allowed to query at all: REFUSED by the server's rules. */
    upd_begin(&u, "lab.");
    upd_a(&u, DNS_UPD_SEC_UP, "b.lab.", DNS_CLASS_IN, 300, "10.77.0.9");
    ck_assert_uint_eq(upd_send_from(&e, &u, KEY, NOW, "192.0.2.1", false)->rcode,
                      DNS_RCODE_REFUSED);
    /* A local zone not in [update] zones, a zone that is not local, a
     * name inside a local zone that is not a zone itself: NOTAUTH. */
    const char *zones[] = {"corp.", "example.com.", "sub.lab."};
    for (size_t i = 0; i < 3; i++) {
        upd_begin(&u, zones[i]);
        char owner[64];
        snprintf(owner, sizeof(owner), "h.%s", zones[i]);
        upd_a(&u, DNS_UPD_SEC_UP, owner, DNS_CLASS_IN, 300, "10.77.0.9");
        ck_assert_uint_eq(upd_send(&e, &u)->rcode, DNS_RCODE_NOTAUTH);
    }
    /* A record outside the zone: NOTZONE. */
    upd_begin(&u, "lab.");
    upd_a(&u, DNS_UPD_SEC_UP, "h.corp.", DNS_CLASS_IN, 300, "10.77.0.9");
    ck_assert_uint_eq(upd_send(&e, &u)->rcode, DNS_RCODE_NOTZONE);
    /* A meta type added: FORMERR (prescan). */
    upd_begin(&u, "lab.");
    upd_rr(&u, DNS_UPD_SEC_UP, "h.lab.", DNS_TYPE_ANY, DNS_CLASS_IN, 300, NULL, 0);
    ck_assert_uint_eq(upd_send(&e, &u)->rcode, DNS_RCODE_FORMERR);
    ck_assert_uint_eq(dynzone_count(e.dz), 1);
    env_deinit(&e);

    /* [update] allow replaces the default; no key means no updates. */
    char text[2048];
    snprintf(text, sizeof(text), "%s%s", base_conf, "allow = 10.9.0.0/16\n");
    env_init(&e, text, NULL);
    upd_begin(&u, "lab.");
    upd_a(&u, DNS_UPD_SEC_UP, "a.lab.", DNS_CLASS_IN, 300, "10.77.0.9");
    ck_assert_uint_eq(upd_send(&e, &u)->rcode, DNS_RCODE_REFUSED);
    env_deinit(&e);
    env_init(&e, "[local]\nzones = lab.\n", NULL);
    upd_begin(&u, "lab.");
    upd_a(&u, DNS_UPD_SEC_UP, "a.lab.", DNS_CLASS_IN, 300, "10.77.0.9");
    struct reply *r = upd_send(&e, &u);
    ck_assert_uint_eq(r->rcode, DNS_RCODE_NOTAUTH);
    ck_assert_uint_eq(r->t.error, DNS_TSIG_BADKEY);
    ck_assert_uint_eq(dynzone_count(e.dz), 0);
    env_deinit(&e);
}
END_TEST

START_TEST(test_dnsd_update_conf_errors)
{
    static const char *const bad[] = {
        "[local]\nzones = lab.\n[update]\nkey = hmac-md5:k:" SECRET "\n",
        "[local]\nzones = lab.\n[update]\nkey = k\n",
        "[local]\nzones = lab.\n[update]\nzones = corp.\n",
        "[local]\nzones = lab.\n[update]\nallow = nonsense\n",
        "[local]\nzones = lab.\n[update]\nkey = a:" SECRET "\nkey = a:" SECRET2 "\n",
        "[update]\nsurprise = 1\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct dnsd_conf *c = NULL;
        ck_assert_msg(dnsd_conf_load_string("t.conf", bad[i], NULL, NULL, &c) == -EINVAL, "%s",
                      bad[i]);
    }
    struct dnsd_conf *c = conf_load(base_conf);
    ck_assert_uint_eq(c->update.n_keys, 2);
    ck_assert_uint_eq(c->update.n_zones, 2);
    dnsd_conf_release(c);
    /* Default zones: every local zone. */
    c = conf_load("[local]\nzones = a. b.\n[update]\nkey = k:" SECRET "\n");
    ck_assert_uint_eq(c->update.n_zones, 2);
    ck_assert_uint_eq(c->update.keys[0].alg, DNS_TSIG_HMAC_SHA256);
    dnsd_conf_release(c);
}
END_TEST

/* ---- prerequisites (RFC 2136 2.4, 3.2) ---- */

static uint8_t prereq_then_add(struct env *e, int kind, const char *name, uint16_t type,
                               const char *addr)
{
    struct upd u;
    upd_begin(&u, "lab.");
    uint8_t a[4] = {0};
    if (addr)
        ck_assert_int_eq(inet_pton(AF_INET, addr, a), 1);
    switch (kind) {
    case DNS_PRE_NAME_IN_USE:
        upd_rr(&u, DNS_UPD_SEC_PR, name, DNS_TYPE_ANY, DNS_CLASS_ANY, 0, NULL, 0);
        break;
    case DNS_PRE_NAME_NOT_IN_USE:
        upd_rr(&u, DNS_UPD_SEC_PR, name, DNS_TYPE_ANY, DNS_CLASS_NONE, 0, NULL, 0);
        break;
    case DNS_PRE_RRSET_EXISTS:
        upd_rr(&u, DNS_UPD_SEC_PR, name, type, DNS_CLASS_ANY, 0, NULL, 0);
        break;
    case DNS_PRE_RRSET_ABSENT:
        upd_rr(&u, DNS_UPD_SEC_PR, name, type, DNS_CLASS_NONE, 0, NULL, 0);
        break;
    default:
        upd_rr(&u, DNS_UPD_SEC_PR, name, DNS_TYPE_A, DNS_CLASS_IN, 0, a, 4);
    }
    upd_a(&u, DNS_UPD_SEC_UP, "marker.lab.", DNS_CLASS_IN, 60, "10.77.0.99");
    uint8_t rc = upd_send(e, &u)->rcode;
    /* The update applies exactly when the prerequisite held. */
    ck_assert_uint_eq(count_a(e, "marker.lab."), rc == 0 ? 1 : 0);
    if (rc == 0) {
        upd_begin(&u, "lab.");
        upd_rr(&u, DNS_UPD_SEC_UP, "marker.lab.", DNS_TYPE_ANY, DNS_CLASS_ANY, 0, NULL, 0);
        ck_assert_uint_eq(upd_send(e, &u)->rcode, 0);
    }
    return rc;
}

START_TEST(test_dnsd_update_prerequisites)
{
    struct env e;
    env_init(&e, NULL, NULL);
    struct upd u;
    upd_begin(&u, "lab.");
    upd_a(&u, DNS_UPD_SEC_UP, "h.lab.", DNS_CLASS_IN, 300, "10.77.0.5");
    upd_a(&u, DNS_UPD_SEC_UP, "h.lab.", DNS_CLASS_IN, 300, "10.77.0.6");
    ck_assert_uint_eq(upd_send(&e, &u)->rcode, 0);

    /* Name in use: dynamic, static, apex (its SOA); absent: NXDOMAIN. */
    ck_assert_uint_eq(prereq_then_add(&e, DNS_PRE_NAME_IN_USE, "h.lab.", 0, NULL), 0);
    ck_assert_uint_eq(prereq_then_add(&e, DNS_PRE_NAME_IN_USE, "www.lab.", 0, NULL), 0);
    ck_assert_uint_eq(prereq_then_add(&e, DNS_PRE_NAME_IN_USE, "lab.", 0, NULL), 0);
    ck_assert_uint_eq(prereq_then_add(&e, DNS_PRE_NAME_IN_USE, "nope.lab.", 0, NULL),
                      DNS_RCODE_NXDOMAIN);
    /* Name not in use. */
    ck_assert_uint_eq(prereq_then_add(&e, DNS_PRE_NAME_NOT_IN_USE, "nope.lab.", 0, NULL), 0);
    ck_assert_uint_eq(prereq_then_add(&e, DNS_PRE_NAME_NOT_IN_USE, "h.lab.", 0, NULL),
                      DNS_RCODE_YXDOMAIN);
    ck_assert_uint_eq(prereq_then_add(&e, DNS_PRE_NAME_NOT_IN_USE, "alias.lab.", 0, NULL),
                      DNS_RCODE_YXDOMAIN);
    /* RRset exists / absent. */
    ck_assert_uint_eq(prereq_then_add(&e, DNS_PRE_RRSET_EXISTS, "h.lab.", DNS_TYPE_A, NULL), 0);
    ck_assert_uint_eq(prereq_then_add(&e, DNS_PRE_RRSET_EXISTS, "lab.", DNS_TYPE_SOA, NULL), 0);
    ck_assert_uint_eq(prereq_then_add(&e, DNS_PRE_RRSET_EXISTS, "h.lab.", DNS_TYPE_AAAA, NULL),
                      DNS_RCODE_NXRRSET);
    ck_assert_uint_eq(prereq_then_add(&e, DNS_PRE_RRSET_ABSENT, "h.lab.", DNS_TYPE_AAAA, NULL), 0);
    ck_assert_uint_eq(prereq_then_add(&e, DNS_PRE_RRSET_ABSENT, "www.lab.", DNS_TYPE_A, NULL),
                      DNS_RCODE_YXRRSET);
    /* RRset equals: one record is only part of h's RRset; the static
     * www.lab. A 10.77.0.1 is the whole of its own. */
    ck_assert_uint_eq(prereq_then_add(&e, DNS_PRE_RRSET_EQUALS, "h.lab.", 0, "10.77.0.5"),
                      DNS_RCODE_NXRRSET);
    ck_assert_uint_eq(prereq_then_add(&e, DNS_PRE_RRSET_EQUALS, "www.lab.", 0, "10.77.0.1"), 0);
    ck_assert_uint_eq(prereq_then_add(&e, DNS_PRE_RRSET_EQUALS, "www.lab.", 0, "10.77.0.2"),
                      DNS_RCODE_NXRRSET);
    /* The full set, with a repeated value, in any order: equal. */
    upd_begin(&u, "lab.");
    upd_a(&u, DNS_UPD_SEC_PR, "h.lab.", DNS_CLASS_IN, 0, "10.77.0.6");
    upd_a(&u, DNS_UPD_SEC_PR, "h.lab.", DNS_CLASS_IN, 0, "10.77.0.5");
    upd_a(&u, DNS_UPD_SEC_PR, "h.lab.", DNS_CLASS_IN, 0, "10.77.0.6");
    upd_a(&u, DNS_UPD_SEC_UP, "m2.lab.", DNS_CLASS_IN, 60, "10.77.0.98");
    ck_assert_uint_eq(upd_send(&e, &u)->rcode, 0);
    ck_assert_uint_eq(count_a(&e, "m2.lab."), 1);
    /* A superset is not equal. */
    upd_begin(&u, "lab.");
    upd_a(&u, DNS_UPD_SEC_PR, "h.lab.", DNS_CLASS_IN, 0, "10.77.0.6");
    upd_a(&u, DNS_UPD_SEC_PR, "h.lab.", DNS_CLASS_IN, 0, "10.77.0.5");
    upd_a(&u, DNS_UPD_SEC_PR, "h.lab.", DNS_CLASS_IN, 0, "10.77.0.7");
    upd_a(&u, DNS_UPD_SEC_UP, "m3.lab.", DNS_CLASS_IN, 60, "10.77.0.98");
    ck_assert_uint_eq(upd_send(&e, &u)->rcode, DNS_RCODE_NXRRSET);
    ck_assert_uint_eq(count_a(&e, "m3.lab."), 0);
    /* A later failing prerequisite stops an earlier good one. */
    upd_begin(&u, "lab.");
    upd_rr(&u, DNS_UPD_SEC_PR, "h.lab.", DNS_TYPE_ANY, DNS_CLASS_ANY, 0, NULL, 0);
    upd_rr(&u, DNS_UPD_SEC_PR, "nope.lab.", DNS_TYPE_ANY, DNS_CLASS_ANY, 0, NULL, 0);
    upd_a(&u, DNS_UPD_SEC_UP, "m4.lab.", DNS_CLASS_IN, 60, "10.77.0.98");
    ck_assert_uint_eq(upd_send(&e, &u)->rcode, DNS_RCODE_NXDOMAIN);
    ck_assert_uint_eq(count_a(&e, "m4.lab."), 0);
    env_deinit(&e);
}
END_TEST

/* ---- updates (RFC 2136 3.4.2) ---- */

START_TEST(test_dnsd_update_add_replace_delete)
{
    struct env e;
    env_init(&e, NULL, NULL);
    struct upd u;
    uint32_t s0 = ask(&e, "lab.", DNS_TYPE_SOA).serial;
    upd_begin(&u, "lab.");
    upd_a(&u, DNS_UPD_SEC_UP, "h.lab.", DNS_CLASS_IN, 300, "10.77.0.5");
    upd_a(&u, DNS_UPD_SEC_UP, "h.lab.", DNS_CLASS_IN, 300, "10.77.0.6");
    upd_rr(&u, DNS_UPD_SEC_UP, "h.lab.", DNS_TYPE_TXT, DNS_CLASS_IN, 300, "\3abc", 4);
    ck_assert_uint_eq(upd_send(&e, &u)->rcode, 0);
    ck_assert_uint_eq(count_a(&e, "h.lab."), 2);
    uint32_t s1 = ask(&e, "lab.", DNS_TYPE_SOA).serial;
    ck_assert_uint_eq(s1, s0 + 1);
    /* A duplicate is a no-op: the serial stays. */
    upd_begin(&u, "lab.");
    upd_a(&u, DNS_UPD_SEC_UP, "h.lab.", DNS_CLASS_IN, 300, "10.77.0.5");
    ck_assert_uint_eq(upd_send(&e, &u)->rcode, 0);
    ck_assert_uint_eq(count_a(&e, "h.lab."), 2);
    ck_assert_uint_eq(dynzone_serial(e.dz), s1);
    /* The last add sets the RRset's TTL (RFC 2181 5.2). */
    upd_begin(&u, "lab.");
    upd_a(&u, DNS_UPD_SEC_UP, "h.lab.", DNS_CLASS_IN, 60, "10.77.0.5");
    ck_assert_uint_eq(upd_send(&e, &u)->rcode, 0);
    ck_assert_uint_eq(ask(&e, "h.lab.", DNS_TYPE_A).ttl0, 60);
    ck_assert_uint_eq(dynzone_serial(e.dz), s1 + 1);
    /* Delete one RR. */
    upd_begin(&u, "lab.");
    upd_a(&u, DNS_UPD_SEC_UP, "h.lab.", DNS_CLASS_NONE, 0, "10.77.0.5");
    ck_assert_uint_eq(upd_send(&e, &u)->rcode, 0);
    struct answer a = ask(&e, "h.lab.", DNS_TYPE_A);
    ck_assert_uint_eq(a.an, 1);
    ck_assert_mem_eq(a.rd0, "\x0a\x4d\x00\x06", 4);
    /* Replace: delete the RRset and add, in one message. */
    upd_begin(&u, "lab.");
    upd_rr(&u, DNS_UPD_SEC_UP, "h.lab.", DNS_TYPE_A, DNS_CLASS_ANY, 0, NULL, 0);
    upd_a(&u, DNS_UPD_SEC_UP, "h.lab.", DNS_CLASS_IN, 300, "10.77.0.7");
    ck_assert_uint_eq(upd_send(&e, &u)->rcode, 0);
    a = ask(&e, "h.lab.", DNS_TYPE_A);
    ck_assert_uint_eq(a.an, 1);
    ck_assert_mem_eq(a.rd0, "\x0a\x4d\x00\x07", 4);
    /* Delete the RRset: NODATA with the SOA, the TXT stays. */
    upd_begin(&u, "lab.");
    upd_rr(&u, DNS_UPD_SEC_UP, "h.lab.", DNS_TYPE_A, DNS_CLASS_ANY, 0, NULL, 0);
    ck_assert_uint_eq(upd_send(&e, &u)->rcode, 0);
    a = ask(&e, "h.lab.", DNS_TYPE_A);
    ck_assert_uint_eq(a.rcode, DNS_RCODE_NOERROR);
    ck_assert_uint_eq(a.an, 0);
    ck_assert_uint_eq(a.ns, 1);
    ck_assert(a.aa);
    ck_assert_uint_eq(ask(&e, "h.lab.", DNS_TYPE_TXT).an, 1);
    /* Delete the name: NXDOMAIN with the SOA. */
    upd_begin(&u, "lab.");
    upd_rr(&u, DNS_UPD_SEC_UP, "h.lab.", DNS_TYPE_ANY, DNS_CLASS_ANY, 0, NULL, 0);
    ck_assert_uint_eq(upd_send(&e, &u)->rcode, 0);
    a = ask(&e, "h.lab.", DNS_TYPE_TXT);
    ck_assert_uint_eq(a.rcode, DNS_RCODE_NXDOMAIN);
    ck_assert_uint_eq(a.ns, 1);
    ck_assert_uint_gt(a.serial, s1);
    ck_assert_uint_eq(dynzone_count(e.dz), 0);
    /* PTR in the reverse zone, its name compressed against the owner. */
    upd_begin(&u, "0.77.10.in-addr.arpa.");
    upd_rr(&u, DNS_UPD_SEC_UP, "5.0.77.10.in-addr.arpa.", DNS_TYPE_PTR, DNS_CLASS_IN, 300,
           N("h.lab."), 7);
    ck_assert_uint_eq(upd_send(&e, &u)->rcode, 0);
    a = ask(&e, "5.0.77.10.in-addr.arpa.", DNS_TYPE_PTR);
    ck_assert_uint_eq(a.an, 1);
    env_deinit(&e);
}
END_TEST

START_TEST(test_dnsd_update_cname_apex_static_rules)
{
    struct env e;
    env_init(&e, NULL, NULL);
    struct upd u;
    /* A CNAME beside other data is ignored; so is data beside a CNAME. */
    upd_begin(&u, "lab.");
    upd_a(&u, DNS_UPD_SEC_UP, "h.lab.", DNS_CLASS_IN, 300, "10.77.0.5");
    upd_rr(&u, DNS_UPD_SEC_UP, "h.lab.", DNS_TYPE_CNAME, DNS_CLASS_IN, 300, N("www.lab."), 9);
    upd_rr(&u, DNS_UPD_SEC_UP, "c.lab.", DNS_TYPE_CNAME, DNS_CLASS_IN, 300, N("www.lab."), 9);
    upd_a(&u, DNS_UPD_SEC_UP, "c.lab.", DNS_CLASS_IN, 300, "10.77.0.6");
    upd_a(&u, DNS_UPD_SEC_UP, "alias.lab.", DNS_CLASS_IN, 300, "10.77.0.6"); /* static CNAME */
    ck_assert_uint_eq(upd_send(&e, &u)->rcode, 0);
    ck_assert_uint_eq(dynzone_count(e.dz), 2);
    ck_assert_uint_eq(ask(&e, "h.lab.", DNS_TYPE_CNAME).an, 0);
    struct answer a = ask(&e, "c.lab.", DNS_TYPE_A);
    ck_assert_uint_eq(a.an, 2); /* the CNAME, then www's A */
    /* A CNAME replaces a dynamic CNAME. */
    upd_begin(&u, "lab.");
    upd_rr(&u, DNS_UPD_SEC_UP, "c.lab.", DNS_TYPE_CNAME, DNS_CLASS_IN, 300, N("h.lab."), 7);
    ck_assert_uint_eq(upd_send(&e, &u)->rcode, 0);
    a = ask(&e, "c.lab.", DNS_TYPE_CNAME);
    ck_assert_uint_eq(a.an, 1);
    ck_assert_mem_eq(a.rd0, "\1h", 2); /* then a pointer to lab. */
    ck_assert_uint_eq(dynzone_count(e.dz), 2);
    /* The apex keeps its NS and SOA: deleting them is ignored; the NS of
     * the configuration and the synthesized SOA stay. */
    upd_begin(&u, "lab.");
    upd_rr(&u, DNS_UPD_SEC_UP, "lab.", DNS_TYPE_NS, DNS_CLASS_IN, 300, N("ns2.lab."), 9);
    upd_rr(&u, DNS_UPD_SEC_UP, "lab.", DNS_TYPE_NS, DNS_CLASS_ANY, 0, NULL, 0);
    upd_rr(&u, DNS_UPD_SEC_UP, "lab.", DNS_TYPE_SOA, DNS_CLASS_ANY, 0, NULL, 0);
    upd_rr(&u, DNS_UPD_SEC_UP, "lab.", DNS_TYPE_ANY, DNS_CLASS_ANY, 0, NULL, 0);
    ck_assert_uint_eq(upd_send(&e, &u)->rcode, 0);
    ck_assert_uint_eq(ask(&e, "lab.", DNS_TYPE_NS).an, 2);
    ck_assert_uint_eq(ask(&e, "lab.", DNS_TYPE_SOA).an, 1);
    /* The last NS is not deleted; one of two is. */
    upd_begin(&u, "lab.");
    upd_rr(&u, DNS_UPD_SEC_UP, "lab.", DNS_TYPE_NS, DNS_CLASS_NONE, 0, N("ns2.lab."), 9);
    ck_assert_uint_eq(upd_send(&e, &u)->rcode, 0);
    ck_assert_uint_eq(ask(&e, "lab.", DNS_TYPE_NS).an, 1);
    upd_begin(&u, "lab.");
    upd_rr(&u, DNS_UPD_SEC_UP, "lab.", DNS_TYPE_NS, DNS_CLASS_NONE, 0, N("ns.lab."), 8);
    ck_assert_uint_eq(upd_send(&e, &u)->rcode, 0);
    ck_assert_uint_eq(ask(&e, "lab.", DNS_TYPE_NS).an, 1);
    /* Configured records are read-only; an SOA add is ignored. */
    upd_begin(&u, "lab.");
    upd_rr(&u, DNS_UPD_SEC_UP, "www.lab.", DNS_TYPE_ANY, DNS_CLASS_ANY, 0, NULL, 0);
    upd_a(&u, DNS_UPD_SEC_UP, "www.lab.", DNS_CLASS_NONE, 0, "10.77.0.1");
    ck_assert_uint_eq(upd_send(&e, &u)->rcode, 0);
    ck_assert_uint_eq(count_a(&e, "www.lab."), 1);
    env_deinit(&e);
}
END_TEST

START_TEST(test_dnsd_update_atomic)
{
    struct env e;
    env_init(&e, NULL, NULL);
    struct upd u;
    upd_begin(&u, "lab.");
    upd_a(&u, DNS_UPD_SEC_UP, "keep.lab.", DNS_CLASS_IN, 300, "10.77.0.1");
    ck_assert_uint_eq(upd_send(&e, &u)->rcode, 0);
    uint32_t serial = dynzone_serial(e.dz);
    /* Good updates, then a type local data cannot hold (HINFO): REFUSED,
     * and neither the add nor the delete before it took effect. */
    upd_begin(&u, "lab.");
    upd_a(&u, DNS_UPD_SEC_UP, "new.lab.", DNS_CLASS_IN, 300, "10.77.0.2");
    upd_rr(&u, DNS_UPD_SEC_UP, "keep.lab.", DNS_TYPE_ANY, DNS_CLASS_ANY, 0, NULL, 0);
    upd_a(&u, DNS_UPD_SEC_UP, "keep.lab.", DNS_CLASS_IN, 60, "10.77.0.1");
    upd_rr(&u, DNS_UPD_SEC_UP, "new.lab.", 13, DNS_CLASS_IN, 300, "\1a\1b", 4);
    struct reply *r = upd_send(&e, &u);
    ck_assert_uint_eq(r->rcode, DNS_RCODE_REFUSED);
    assert_signed(r, KEY); /* a signed request gets a signed refusal */
    ck_assert_uint_eq(count_a(&e, "new.lab."), 0);
    ck_assert_uint_eq(count_a(&e, "keep.lab."), 1);
    ck_assert_uint_eq(ask(&e, "keep.lab.", DNS_TYPE_A).ttl0, 300);
    ck_assert_uint_eq(dynzone_serial(e.dz), serial);
    /* Bad RDATA late in the message: FORMERR, nothing applied. */
    upd_begin(&u, "lab.");
    upd_a(&u, DNS_UPD_SEC_UP, "new.lab.", DNS_CLASS_IN, 300, "10.77.0.2");
    upd_rr(&u, DNS_UPD_SEC_UP, "new.lab.", DNS_TYPE_DHCID, DNS_CLASS_IN, 300, "\1", 1);
    ck_assert_uint_eq(upd_send(&e, &u)->rcode, DNS_RCODE_FORMERR);
    ck_assert_uint_eq(count_a(&e, "new.lab."), 0);
    ck_assert_uint_eq(dynzone_count(e.dz), 1);
    /* DHCID (what DHCP servers publish) is held. */
    upd_begin(&u, "lab.");
    upd_rr(&u, DNS_UPD_SEC_UP, "new.lab.", DNS_TYPE_DHCID, DNS_CLASS_IN, 300, "\0\1\2\3", 4);
    ck_assert_uint_eq(upd_send(&e, &u)->rcode, 0);
    ck_assert_uint_eq(ask(&e, "new.lab.", DNS_TYPE_DHCID).an, 1);
    env_deinit(&e);
}
END_TEST

/* ---- snapshots, reload, the state file ---- */

START_TEST(test_dnsd_update_snapshot_and_rebase)
{
    struct env e;
    env_init(&e, NULL, NULL);
    struct dynzone_snap *old = NULL;
    const struct localzone *lz0 = dynzone_snap_refresh(e.dz, &old);
    ck_assert_ptr_nonnull(lz0);
    struct upd u;
    upd_begin(&u, "lab.");
    upd_a(&u, DNS_UPD_SEC_UP, "h.lab.", DNS_CLASS_IN, 300, "10.77.0.5");
    ck_assert_uint_eq(upd_send(&e, &u)->rcode, 0);
    /* A held snapshot is unchanged and alive; a refresh sees the update. */
    ck_assert_uint_eq(localzone_count(lz0), 3);
    struct dynzone_snap *cur = old;
    const struct localzone *lz1 = dynzone_snap_refresh(e.dz, &cur);
    ck_assert_ptr_ne(lz1, lz0);
    ck_assert_uint_eq(localzone_count(lz1), 4);
    ck_assert_ptr_eq(dynzone_snap_refresh(e.dz, &cur), lz1); /* no change, same one */
    dynzone_snap_release(cur);
    /* A reload's new static data keeps the dynamic records. */
    struct dnsd_conf *nc = conf_load("[local]\nzones = lab.\nrecord = new.lab. A 10.77.0.50\n"
                                     "[update]\nkey = hmac-sha256:ddns:" SECRET "\n");
    ck_assert_int_eq(dynzone_rebase(e.dz, nc), 0);
    dnsd_conf_release(e.c);
    e.c = nc;
    ck_assert_uint_eq(count_a(&e, "h.lab."), 1);
    ck_assert_uint_eq(count_a(&e, "new.lab."), 1);
    ck_assert_uint_eq(count_a(&e, "www.lab."), 0);
    /* Dropping the zone hides its records; they come back with it. */
    nc = conf_load("[local]\nzones = corp.\n");
    ck_assert_int_eq(dynzone_rebase(e.dz, nc), 0);
    dnsd_conf_release(e.c);
    e.c = nc;
    struct dynzone_snap *sn = NULL;
    ck_assert_uint_eq(localzone_count(dynzone_snap_refresh(e.dz, &sn)), 0);
    dynzone_snap_release(sn);
    ck_assert_uint_eq(dynzone_count(e.dz), 1);
    env_deinit(&e);
}
END_TEST

static char tmpdir[64];

static void tmp_setup(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/dnsd-upd-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void tmp_path(char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", tmpdir, DYNZONE_FILE);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_ge(fputs(text, f), 0);
    ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_dnsd_update_persistence)
{
    tmp_setup();
    char path[128];
    tmp_path(path, sizeof(path));
    struct env e;
    env_init(&e, NULL, path); /* no file yet: empty */
    struct upd u;
    upd_begin(&u, "lab.");
    upd_a(&u, DNS_UPD_SEC_UP, "h.lab.", DNS_CLASS_IN, 120, "10.77.0.5");
    upd_rr(&u, DNS_UPD_SEC_UP, "h.lab.", DNS_TYPE_TXT, DNS_CLASS_IN, 120, "\2hi", 3);
    ck_assert_uint_eq(upd_send(&e, &u)->rcode, 0);
    uint32_t serial = dynzone_serial(e.dz);
    env_deinit(&e);
    /* The file, exactly. */
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char text[1024];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    ck_assert_int_eq(fclose(f), 0);
    text[n] = '\0';
    ck_assert_str_eq(text, "; labnet-dnsd dynamic records (DNS UPDATE), rewritten on each change\n"
                           "$SERIAL 2\n"
                           "h.lab. 120 IN A \\# 4 0a4d0005\n"
                           "h.lab. 120 IN TXT \\# 3 026869\n");
    char tmp[160];
    snprintf(tmp, sizeof(tmp), "%s.new", path);
    ck_assert_int_ne(access(tmp, F_OK), 0); /* renamed away */
    /* A restart: the records and the serial are back. */
    env_init(&e, NULL, path);
    ck_assert_uint_eq(dynzone_serial(e.dz), serial);
    ck_assert_uint_eq(count_a(&e, "h.lab."), 1);
    ck_assert_uint_eq(ask(&e, "lab.", DNS_TYPE_SOA).serial, serial);
    env_deinit(&e);
    /* Corrupt files: a clear error naming file and line. */
    static const struct {
        const char *text;
        int line;
    } bad[] = {
        {"$SERIAL x\n", 1},
        {"$SERIAL 1\nh.lab. 120 IN A \\# 4 0a4d00\n", 2},
        {"h.lab. 120 IN A \\# 3 0a4d00\n", 1},
        {"\nh.lab. 120 IN A 10.0.0.1\n", 2},
        {"h.lab. 120 IN SOA \\# 0\n", 1},
        {"h..lab. 120 IN A \\# 4 0a4d0005\n", 1},
        {"h.lab. 120 IN A \\# 4 0a4d0g05\n", 1},
        {"h.lab. 99999999999 IN A \\# 4 0a4d0005\n", 1},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_file(path, bad[i].text);
        struct dynzone *dz = NULL;
        char err[512] = "", want[160];
        ck_assert_int_eq(dynzone_new(path, &dz, err, sizeof(err)), -EINVAL);
        snprintf(want, sizeof(want), "%s:%d: ", path, bad[i].line);
        ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%zu: %s", i, err);
    }
    /* An unwritable file: the update fails and nothing changes. */
    write_file(path, "");
    env_init(&e, NULL, path);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(rmdir(tmpdir), 0);
    upd_begin(&u, "lab.");
    upd_a(&u, DNS_UPD_SEC_UP, "h.lab.", DNS_CLASS_IN, 120, "10.77.0.5");
    ck_assert_uint_eq(upd_send(&e, &u)->rcode, DNS_RCODE_SERVFAIL);
    ck_assert_uint_eq(count_a(&e, "h.lab."), 0);
    ck_assert_uint_eq(dynzone_count(e.dz), 0);
    env_deinit(&e);
}
END_TEST

/* Hostile input: every proper prefix of a signed update, and random
 * octet flips, never crash and never apply anything. */
START_TEST(test_dnsd_update_prefixes_and_flips)
{
    struct env e;
    env_init(&e, NULL, NULL);
    struct upd u;
    upd_begin(&u, "lab.");
    upd_rr(&u, DNS_UPD_SEC_PR, "h.lab.", DNS_TYPE_ANY, DNS_CLASS_NONE, 0, NULL, 0);
    upd_a(&u, DNS_UPD_SEC_UP, "h.lab.", DNS_CLASS_IN, 300, "10.77.0.5");
    size_t len;
    ck_assert_int_eq(dns_wr_finish(&u.d, &len), 0);
    struct dns_tsig_key k = key_of(KEY);
    ck_assert_int_eq(
        dns_tsig_sign(u.buf, &len, sizeof(u.buf), &k, NOW, 300, 0, NULL, 0, NULL, NULL), 0);
    struct net_addr p;
    net_addr_parse_ip(&p, "127.0.0.1");
    for (size_t l = 0; l < len; l++) {
        struct server_ctx ctx = {.conf = e.c, .dyn = e.dz, .wall_s = NOW};
        struct server_query q;
        enum server_event ev;
        size_t ol;
        uint8_t *copy = test_exact_copy(u.buf, l);
        server_query_handle(&ctx, &p, false, copy, l, &q, rep.out, sizeof(rep.out), &ol, &ev);
        free(copy);
    }
    srand(7);
    for (int i = 0; i < 2000; i++) {
        uint8_t m[4096];
        memcpy(m, u.buf, len);
        size_t at = 12 + (size_t)rand() % (len - 12);
        m[at] = (uint8_t)rand();
        /* Names compare without case, TSIG's key name included. */
        unsigned lc = u.buf[at] | 0x20u;
        if (m[at] == u.buf[at] || ((m[at] | 0x20u) == lc && lc >= 'a' && lc <= 'z'))
            continue;
        struct server_ctx ctx = {.conf = e.c, .dyn = e.dz, .wall_s = NOW};
        struct server_query q;
        enum server_event ev;
        size_t ol;
        uint8_t *copy = test_exact_copy(m, len);
        server_query_handle(&ctx, &p, false, copy, len, &q, rep.out, sizeof(rep.out), &ol, &ev);
        free(copy);
    }
    ck_assert_uint_eq(dynzone_count(e.dz), 0);
    /* The intact message still works. */
    ck_assert_uint_eq(run(&e, "127.0.0.1", false, u.buf, len, NOW)->rcode, 0);
    ck_assert_uint_eq(dynzone_count(e.dz), 1);
    env_deinit(&e);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dnsd_update");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_dnsd_update_tsig_good_is_signed_reply);
    tcase_add_test(tc, test_dnsd_update_tsig_failures_change_nothing);
    tcase_add_test(tc, test_dnsd_update_access_and_zones);
    tcase_add_test(tc, test_dnsd_update_conf_errors);
    tcase_add_test(tc, test_dnsd_update_prerequisites);
    tcase_add_test(tc, test_dnsd_update_add_replace_delete);
    tcase_add_test(tc, test_dnsd_update_cname_apex_static_rules);
    tcase_add_test(tc, test_dnsd_update_atomic);
    tcase_add_test(tc, test_dnsd_update_snapshot_and_rebase);
    tcase_add_test(tc, test_dnsd_update_persistence);
    tcase_add_test(tc, test_dnsd_update_prefixes_and_flips);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
