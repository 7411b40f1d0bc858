/* Check suite for clients/dhcpc_fsm: the client state machine without
 * sockets.  Server replies are built with common/dhcp_build from the very
 * request the machine sent, as a server would. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "clients/dhcpc_fsm.h"
#include "common/dhcp_build.h"
#include "common/dhcp_msg.h"
#include "testutil.h"

static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static struct dhcpc_conf base_conf(void)
{
    struct dhcpc_conf k = {
        .mode = DHCPC_MODE_OBTAIN,
        .htype = DHCP_HTYPE_ETHER,
        .hlen = 6,
        .backoff_ms = 4000,
        .backoff_max_ms = 64000,
        .jitter_ms = 1000,
        .tries = 5,
        .renew_min_ms = 60000,
        .max_naks = 3,
        .seed = 42,
    };
    memcpy(k.chaddr, mac, 6);
    return k;
}

struct srv_reply {
    uint8_t type;
    const char *yiaddr;
    const char *server; /* NULL: reply without option 54 is not buildable, see nosid */
    uint32_t lease;     /* 0: no option 51 */
    bool t1t2;          /* add T1 = 10 s, T2 = 20 s */
};

/* Builds the server's reply to the message in *req into buf. */
static size_t mk_reply(const struct dhcpc_out *req, const struct srv_reply *r, uint8_t *buf,
                       size_t cap)
{
    struct dhcp_msg m;
    ck_assert_uint_gt(req->pkt_len, 0);
    ck_assert_int_eq(dhcp_msg_parse(&m, req->pkt, req->pkt_len), 0);
    static const uint8_t mask[] = {255, 255, 255, 0}, router[] = {10, 0, 0, 1},
                         dns[] = {10, 0, 0, 53, 10, 0, 0, 54};
    uint8_t lease[4] = {(uint8_t)(r->lease >> 24), (uint8_t)(r->lease >> 16),
                        (uint8_t)(r->lease >> 8), (uint8_t)r->lease};
    static const uint8_t t1[] = {0, 0, 0, 10}, t2[] = {0, 0, 0, 20};
    struct dhcp_opt_val opts[8];
    size_t n = 0;
    opts[n++] = (struct dhcp_opt_val){DHCP_OPT_SUBNET_MASK, true, mask, 4};
    opts[n++] = (struct dhcp_opt_val){DHCP_OPT_ROUTERS, true, router, 4};
    opts[n++] = (struct dhcp_opt_val){DHCP_OPT_DNS_SERVERS, true, dns, 8};
    if (r->lease)
        opts[n++] = (struct dhcp_opt_val){DHCP_OPT_LEASE_TIME, true, lease, 4};
    if (r->t1t2) {
        opts[n++] = (struct dhcp_opt_val){DHCP_OPT_T1, true, t1, 4};
        opts[n++] = (struct dhcp_opt_val){DHCP_OPT_T2, true, t2, 4};
    }
    struct dhcp_reply rep = {
        .type = r->type,
        .server_id = test_ip4(r->server),
        .yiaddr = r->yiaddr ? test_ip4(r->yiaddr) : 0,
        .opts = opts,
        .nopts = n,
    };
    size_t len;
    ck_assert_int_eq(dhcp_build_reply(&m, &rep, buf, cap, &len), 0);
    return len;
}

/* Feeds reply bytes in an exact-size allocation (ASan sees over-reads). */
static void feed(struct dhcpc *c, uint64_t now, const uint8_t *buf, size_t len,
                 struct dhcpc_out *out)
{
    uint8_t *copy = test_exact_copy(buf, len);
    dhcpc_input(c, now, copy, len, out);
    free(copy);
}

static void reply(struct dhcpc *c, uint64_t now, const struct dhcpc_out *req, struct srv_reply r,
                  struct dhcpc_out *out)
{
    uint8_t buf[1024];
    size_t len = mk_reply(req, &r, buf, sizeof(buf));
    feed(c, now, buf, len, out);
}

static struct dhcp_msg sent(const struct dhcpc_out *out, uint8_t want_type)
{
    struct dhcp_msg m;
    uint8_t t;
    ck_assert_uint_gt(out->pkt_len, 0);
    ck_assert_int_eq(dhcp_msg_parse(&m, out->pkt, out->pkt_len), 0);
    ck_assert_int_eq(dhcp_msg_type(&m, &t), 0);
    ck_assert_uint_eq(t, want_type);
    ck_assert_uint_eq(out->pkt_type, want_type);
    ck_assert_mem_eq(m.chaddr, mac, 6);
    return m;
}

static uint32_t opt_addr(const struct dhcp_msg *m, uint8_t code)
{
    uint32_t a = 0;
    (void)dhcp_msg_get_addr(m, code, &a);
    return a;
}

/* The lease a previous run left in the lease file. */
static void prev_lease(struct dhcpc_conf *k)
{
    k->prev.addr = test_ip4("10.0.0.10");
    k->prev.server_id = test_ip4("10.0.0.1");
    k->prev.mask = test_ip4("255.255.255.0");
}

/* Drives a fresh one-shot or persistent machine through DORA at t=0/10 ms;
 * returns the ACK's out. */
static void dora(struct dhcpc *c, const struct dhcpc_conf *k, struct dhcpc_out *out, uint32_t lease)
{
    static struct dhcpc_out d, o;
    ck_assert_int_eq(dhcpc_init(c, k), 0);
    dhcpc_start(c, 0, &d);
    reply(c, 5, &d, (struct srv_reply){DHCP_OFFER, "10.0.0.10", "10.0.0.1", lease, false}, &o);
    ck_assert_int_eq(c->state, DHCPC_ST_REQUESTING);
    reply(c, 10, &o, (struct srv_reply){DHCP_ACK, "10.0.0.10", "10.0.0.1", lease, false}, out);
}

START_TEST(test_dhcpc_backoff_schedule_rfc2131)
{
    struct dhcpc_conf k = base_conf();
    static const uint64_t want[] = {4000, 8000, 16000, 32000, 64000, 64000, 64000};
    for (unsigned i = 0; i < 7; i++)
        ck_assert_uint_eq(dhcpc_backoff(&k, i), want[i]);
    k.backoff_ms = 300;
    k.backoff_max_ms = 4800;
    ck_assert_uint_eq(dhcpc_backoff(&k, 0), 300);
    ck_assert_uint_eq(dhcpc_backoff(&k, 4), 4800);
    ck_assert_uint_eq(dhcpc_backoff(&k, 1000), 4800); /* no overflow for large n */
}
END_TEST

/* DISCOVERs at 0, ~4, ~12, ~28, ~60 s (each wait +-1 s), same xid, then
 * a timeout. */
START_TEST(test_dhcpc_discover_retransmits_then_times_out)
{
    struct dhcpc c;
    struct dhcpc_conf k = base_conf();
    static struct dhcpc_out out;
    ck_assert_int_eq(dhcpc_init(&c, &k), 0);
    dhcpc_start(&c, 1000, &out);
    struct dhcp_msg m = sent(&out, DHCP_DISCOVER);
    uint32_t xid = m.xid;
    ck_assert(!out.unicast);
    ck_assert_uint_eq(m.ciaddr, 0);
    ck_assert(!dhcp_msg_opt_has(&m, DHCP_OPT_REQUESTED_ADDR));
    uint64_t now = 1000;
    for (unsigned i = 0; i < 4; i++) {
        uint64_t base = dhcpc_backoff(&k, i);
        ck_assert_uint_ge(out.timer_at, now + base - 1000);
        ck_assert_uint_le(out.timer_at, now + base + 1000);
        /* Early: nothing happens. */
        dhcpc_timer(&c, out.timer_at - 1, &out);
        ck_assert_uint_eq(out.pkt_len, 0);
        now = out.timer_at;
        dhcpc_timer(&c, now, &out);
        m = sent(&out, DHCP_DISCOVER);
        ck_assert_uint_eq(m.xid, xid);
        /* RFC 2131 table 5: secs is the time since the exchange began. */
        ck_assert_uint_eq(m.secs, (now - 1000) / 1000);
        ck_assert_int_eq(out.ev, DHCPC_EV_NONE);
    }
    dhcpc_timer(&c, out.timer_at, &out);
    ck_assert_uint_eq(out.pkt_len, 0);
    ck_assert_int_eq(out.ev, DHCPC_EV_TIMEOUT);
    ck_assert_int_eq(c.state, DHCPC_ST_FAILED);
    ck_assert_int_eq(c.result, DHCPC_EV_TIMEOUT);
    ck_assert_uint_eq(out.timer_at, DHCPC_NO_TIMER);
}
END_TEST

START_TEST(test_dhcpc_jitter_varies_and_stays_within_one_second)
{
    uint64_t seen_min = UINT64_MAX, seen_max = 0;
    for (uint64_t seed = 1; seed < 200; seed++) {
        struct dhcpc c;
        struct dhcpc_conf k = base_conf();
        static struct dhcpc_out out;
        k.seed = seed;
        ck_assert_int_eq(dhcpc_init(&c, &k), 0);
        dhcpc_start(&c, 0, &out);
        seen_min = out.timer_at < seen_min ? out.timer_at : seen_min;
        seen_max = out.timer_at > seen_max ? out.timer_at : seen_max;
    }
    ck_assert_uint_ge(seen_min, 3000);
    ck_assert_uint_le(seen_max, 5000);
    ck_assert_uint_gt(seen_max - seen_min, 1000); /* really randomized */
}
END_TEST

START_TEST(test_dhcpc_timeout_bounds_one_shot)
{
    struct dhcpc c;
    struct dhcpc_conf k = base_conf();
    static struct dhcpc_out out;
    k.timeout_ms = 2500;
    k.tries = 100;
    ck_assert_int_eq(dhcpc_init(&c, &k), 0);
    dhcpc_start(&c, 500, &out);
    ck_assert_uint_le(out.timer_at, 3000);
    while (out.ev == DHCPC_EV_NONE) {
        ck_assert_uint_le(out.timer_at, 3000);
        dhcpc_timer(&c, out.timer_at, &out);
    }
    ck_assert_int_eq(out.ev, DHCPC_EV_TIMEOUT);
    ck_assert_int_eq(c.state, DHCPC_ST_FAILED);
}
END_TEST

START_TEST(test_dhcpc_dora_binds)
{
    struct dhcpc c;
    struct dhcpc_conf k = base_conf();
    static struct dhcpc_out d, o, a;
    const char *host = "labhost";
    k.hostname = host;
    ck_assert_int_eq(dhcpc_init(&c, &k), 0);
    dhcpc_start(&c, 0, &d);
    struct dhcp_msg dm = sent(&d, DHCP_DISCOVER);
    ck_assert(dhcp_msg_opt_has(&dm, DHCP_OPT_PARAM_LIST));
    ck_assert_uint_eq(dhcp_msg_opt_len(&dm, DHCP_OPT_HOST_NAME), strlen(host));

    reply(&c, 100, &d, (struct srv_reply){DHCP_OFFER, "10.0.0.10", "10.0.0.1", 3600, false}, &o);
    ck_assert_int_eq(o.drop, DHCPC_DROP_NONE);
    struct dhcp_msg rm = sent(&o, DHCP_REQUEST);
    /* RFC 2131 section 4.4.1: same xid, 50 and 54 set, ciaddr 0. */
    ck_assert_uint_eq(rm.xid, dm.xid);
    ck_assert_uint_eq(opt_addr(&rm, DHCP_OPT_REQUESTED_ADDR), test_ip4("10.0.0.10"));
    ck_assert_uint_eq(opt_addr(&rm, DHCP_OPT_SERVER_ID), test_ip4("10.0.0.1"));
    ck_assert_uint_eq(rm.ciaddr, 0);
    ck_assert(!o.unicast);

    reply(&c, 200, &o, (struct srv_reply){DHCP_ACK, "10.0.0.10", "10.0.0.1", 3600, false}, &a);
    ck_assert_int_eq(a.ev, DHCPC_EV_BOUND);
    ck_assert_int_eq(c.state, DHCPC_ST_DONE);
    ck_assert_uint_eq(a.timer_at, DHCPC_NO_TIMER);
    ck_assert_uint_eq(c.lease.addr, test_ip4("10.0.0.10"));
    ck_assert_uint_eq(c.lease.server_id, test_ip4("10.0.0.1"));
    ck_assert_uint_eq(c.lease.mask, test_ip4("255.255.255.0"));
    ck_assert_uint_eq(c.lease.n_dns, 2);
    ck_assert_uint_eq(c.lease.lease_s, 3600);
    ck_assert_uint_eq(c.lease.t1_s, 1800); /* RFC 2131 4.4.5 defaults */
    ck_assert_uint_eq(c.lease.t2_s, 3150);
    /* A late duplicate ACK changes nothing. */
    reply(&c, 300, &o, (struct srv_reply){DHCP_ACK, "10.0.0.11", "10.0.0.1", 3600, false}, &a);
    ck_assert_int_eq(a.drop, DHCPC_DROP_UNEXPECTED);
    ck_assert_uint_eq(c.lease.addr, test_ip4("10.0.0.10"));
}
END_TEST

START_TEST(test_dhcpc_request_option_goes_in_discover)
{
    struct dhcpc c;
    struct dhcpc_conf k = base_conf();
    static struct dhcpc_out d;
    k.requested = test_ip4("10.0.0.42");
    ck_assert_int_eq(dhcpc_init(&c, &k), 0);
    dhcpc_start(&c, 0, &d);
    struct dhcp_msg m = sent(&d, DHCP_DISCOVER);
    ck_assert_uint_eq(opt_addr(&m, DHCP_OPT_REQUESTED_ADDR), test_ip4("10.0.0.42"));
}
END_TEST

/* Replies for another transaction or another client, requests, and
 * malformed datagrams are ignored and change nothing. */
START_TEST(test_dhcpc_ignores_other_xid_chaddr_and_junk)
{
    struct dhcpc c;
    struct dhcpc_conf k = base_conf();
    static struct dhcpc_out d, o;
    ck_assert_int_eq(dhcpc_init(&c, &k), 0);
    dhcpc_start(&c, 0, &d);
    uint8_t buf[1024];
    size_t len = mk_reply(&d, &(struct srv_reply){DHCP_OFFER, "10.0.0.10", "10.0.0.1", 3600, false},
                          buf, sizeof(buf));
    uint8_t bad[1024];

    memcpy(bad, buf, len);
    bad[4] ^= 1; /* xid */
    feed(&c, 1, bad, len, &o);
    ck_assert_int_eq(o.drop, DHCPC_DROP_XID);

    memcpy(bad, buf, len);
    bad[28 + 5] ^= 1; /* chaddr */
    feed(&c, 1, bad, len, &o);
    ck_assert_int_eq(o.drop, DHCPC_DROP_CHADDR);

    memcpy(bad, buf, len);
    bad[2] = 7; /* hlen: a longer hardware address is another client */
    feed(&c, 1, bad, len, &o);
    ck_assert_int_eq(o.drop, DHCPC_DROP_CHADDR);

    memcpy(bad, buf, len);
    bad[0] = DHCP_OP_REQUEST; /* our own broadcast, or another client's */
    feed(&c, 1, bad, len, &o);
    ck_assert_int_eq(o.drop, DHCPC_DROP_NOT_REPLY);

    /* Every proper prefix is malformed (no end option) and ignored. */
    for (size_t n = 0; n < len; n++) {
        feed(&c, 1, buf, n, &o);
        if (o.drop != DHCPC_DROP_MALFORMED) {
            /* Padding after the end option: a prefix that keeps the end
             * option is a whole message. */
            ck_assert_int_eq(o.drop, DHCPC_DROP_NONE);
            break;
        }
        ck_assert_uint_eq(o.pkt_len, 0);
        ck_assert_int_eq(c.state, DHCPC_ST_SELECTING);
    }
    ck_assert_int_eq(c.state, DHCPC_ST_REQUESTING);
}
END_TEST

/* Every proper prefix up to the end option is refused. */
START_TEST(test_dhcpc_prefixes_of_ack_refused)
{
    struct dhcpc c;
    struct dhcpc_conf k = base_conf();
    static struct dhcpc_out d, o, a;
    ck_assert_int_eq(dhcpc_init(&c, &k), 0);
    dhcpc_start(&c, 0, &d);
    reply(&c, 1, &d, (struct srv_reply){DHCP_OFFER, "10.0.0.10", "10.0.0.1", 60, false}, &o);
    uint8_t buf[1024];
    size_t len = mk_reply(&o, &(struct srv_reply){DHCP_ACK, "10.0.0.10", "10.0.0.1", 60, false},
                          buf, sizeof(buf));
    struct dhcp_msg m;
    ck_assert_int_eq(dhcp_msg_parse(&m, buf, len), 0);
    /* Find the end option: the message proper stops there. */
    size_t end = len;
    while (end > DHCP_OPT_OFF && buf[end - 1] == 0)
        end--;
    for (size_t n = 0; n < end; n++) {
        feed(&c, 2, buf, n, &a);
        ck_assert_int_eq(a.drop, DHCPC_DROP_MALFORMED);
        ck_assert_int_eq(c.state, DHCPC_ST_REQUESTING);
    }
    feed(&c, 2, buf, end, &a);
    ck_assert_int_eq(a.ev, DHCPC_EV_BOUND);
}
END_TEST

START_TEST(test_dhcpc_offer_selection_rejects_unusable)
{
    static const char *const bad_addrs[] = {"0.0.0.0",   "127.0.0.1", "255.255.255.255",
                                            "224.0.0.1", "240.0.0.1", "0.1.2.3"};
    struct dhcpc c;
    struct dhcpc_conf k = base_conf();
    static struct dhcpc_out d, o;
    ck_assert_int_eq(dhcpc_init(&c, &k), 0);
    dhcpc_start(&c, 0, &d);
    for (size_t i = 0; i < sizeof(bad_addrs) / sizeof(bad_addrs[0]); i++) {
        reply(&c, 1, &d, (struct srv_reply){DHCP_OFFER, bad_addrs[i], "10.0.0.1", 60, false}, &o);
        ck_assert_int_eq(o.drop, DHCPC_DROP_BAD_OFFER);
        ck_assert_uint_eq(o.pkt_len, 0);
    }
    /* A server id we could never answer. */
    reply(&c, 1, &d, (struct srv_reply){DHCP_OFFER, "10.0.0.9", "0.0.0.0", 60, false}, &o);
    ck_assert_int_eq(o.drop, DHCPC_DROP_BAD_OFFER);
    /* ACK and NAK while selecting are not ours to act on. */
    reply(&c, 1, &d, (struct srv_reply){DHCP_ACK, "10.0.0.9", "10.0.0.1", 60, false}, &o);
    ck_assert_int_eq(o.drop, DHCPC_DROP_UNEXPECTED);
    reply(&c, 1, &d, (struct srv_reply){DHCP_NAK, NULL, "10.0.0.1", 0, false}, &o);
    ck_assert_int_eq(o.drop, DHCPC_DROP_UNEXPECTED);
    ck_assert_int_eq(c.state, DHCPC_ST_SELECTING);
    /* The first good OFFER wins; a second one is ignored. */
    reply(&c, 2, &d, (struct srv_reply){DHCP_OFFER, "10.0.0.20", "10.0.0.2", 60, false}, &o);
    ck_assert_int_eq(o.drop, DHCPC_DROP_NONE);
    struct dhcp_msg m = sent(&o, DHCP_REQUEST);
    ck_assert_uint_eq(opt_addr(&m, DHCP_OPT_SERVER_ID), test_ip4("10.0.0.2"));
    static struct dhcpc_out o2;
    reply(&c, 3, &d, (struct srv_reply){DHCP_OFFER, "10.0.0.30", "10.0.0.3", 60, false}, &o2);
    ck_assert_int_eq(o2.drop, DHCPC_DROP_SERVER);
    /* An ACK from a server we did not choose is dropped. */
    reply(&c, 4, &o, (struct srv_reply){DHCP_ACK, "10.0.0.20", "10.0.0.3", 60, false}, &o2);
    ck_assert_int_eq(o2.drop, DHCPC_DROP_SERVER);
    /* An ACK without a lease time (RFC 2131 table 3: MUST) is unusable. */
    reply(&c, 4, &o, (struct srv_reply){DHCP_ACK, "10.0.0.20", "10.0.0.2", 0, false}, &o2);
    ck_assert_int_eq(o2.drop, DHCPC_DROP_BAD_ACK);
    ck_assert_int_eq(c.state, DHCPC_ST_REQUESTING);
}
END_TEST

/* RFC 2131 section 3.1 step 5: NAK -> INIT, a fresh DISCOVER with a new
 * xid and without the refused request; one-shot gives up after max_naks. */
START_TEST(test_dhcpc_nak_restarts_then_fails)
{
    struct dhcpc c;
    struct dhcpc_conf k = base_conf();
    static struct dhcpc_out d, o, n;
    k.requested = test_ip4("10.0.0.99");
    k.max_naks = 1;
    ck_assert_int_eq(dhcpc_init(&c, &k), 0);
    dhcpc_start(&c, 0, &d);
    uint32_t xid1 = sent(&d, DHCP_DISCOVER).xid;
    reply(&c, 1, &d, (struct srv_reply){DHCP_OFFER, "10.0.0.99", "10.0.0.1", 60, false}, &o);
    reply(&c, 2, &o, (struct srv_reply){DHCP_NAK, NULL, "10.0.0.1", 0, false}, &n);
    ck_assert_int_eq(n.ev, DHCPC_EV_NAK);
    ck_assert_int_eq(c.state, DHCPC_ST_SELECTING);
    struct dhcp_msg m = sent(&n, DHCP_DISCOVER);
    ck_assert_uint_ne(m.xid, xid1);
    ck_assert(!dhcp_msg_opt_has(&m, DHCP_OPT_REQUESTED_ADDR));
    /* A NAK for the old xid is ignored now. */
    static struct dhcpc_out x;
    reply(&c, 3, &o, (struct srv_reply){DHCP_NAK, NULL, "10.0.0.1", 0, false}, &x);
    ck_assert_int_eq(x.drop, DHCPC_DROP_XID);
    /* Second NAK: over max_naks. */
    memcpy(&d, &n, sizeof(d));
    reply(&c, 4, &d, (struct srv_reply){DHCP_OFFER, "10.0.0.98", "10.0.0.1", 60, false}, &o);
    reply(&c, 5, &o, (struct srv_reply){DHCP_NAK, NULL, "10.0.0.1", 0, false}, &n);
    ck_assert_int_eq(n.ev, DHCPC_EV_NAK);
    ck_assert_int_eq(c.state, DHCPC_ST_FAILED);
    ck_assert_int_eq(c.result, DHCPC_EV_NAK);
    ck_assert_uint_eq(n.pkt_len, 0);
}
END_TEST

/* -d: T1 -> RENEWING (unicast, ciaddr), ACK -> BOUND with new clocks;
 * then no answers: T2 -> REBINDING (broadcast), expiry -> EXPIRED and a
 * new DISCOVER. */
START_TEST(test_dhcpc_persist_t1_t2_expiry)
{
    struct dhcpc c;
    struct dhcpc_conf k = base_conf();
    static struct dhcpc_out a, r, r2;
    k.persist = true;
    k.renew_min_ms = 1000;
    dora(&c, &k, &a, 100);
    ck_assert_int_eq(a.ev, DHCPC_EV_BOUND);
    ck_assert_int_eq(c.state, DHCPC_ST_BOUND);
    /* The lease counts from the REQUEST (sent at t=5). */
    ck_assert_uint_eq(a.timer_at, 5 + 50000);
    ck_assert_uint_eq(c.t2_at, 5 + 87000); /* 7/8 of 100 s, whole seconds */
    ck_assert_uint_eq(c.expire_at, 5 + 100000);

    dhcpc_timer(&c, a.timer_at, &r);
    ck_assert_int_eq(c.state, DHCPC_ST_RENEWING);
    struct dhcp_msg m = sent(&r, DHCP_REQUEST);
    ck_assert(r.unicast);
    ck_assert_uint_eq(r.dst, test_ip4("10.0.0.1"));
    ck_assert_uint_eq(m.ciaddr, test_ip4("10.0.0.10"));
    ck_assert_uint_eq(r.src, test_ip4("10.0.0.10"));
    ck_assert(!dhcp_msg_opt_has(&m, DHCP_OPT_REQUESTED_ADDR));
    ck_assert(!dhcp_msg_opt_has(&m, DHCP_OPT_SERVER_ID));
    /* RFC 2131 4.4.5: retransmit after half the time left to T2. */
    ck_assert_uint_eq(r.timer_at, 50005 + (87005 - 50005) / 2);

    reply(&c, 50100, &r, (struct srv_reply){DHCP_ACK, "10.0.0.10", "10.0.0.1", 100, false}, &r2);
    ck_assert_int_eq(r2.ev, DHCPC_EV_RENEWED);
    ck_assert_int_eq(c.state, DHCPC_ST_BOUND);
    ck_assert_uint_eq(r2.timer_at, 50005 + 50000);

    /* Now nobody answers. */
    uint64_t now = r2.timer_at;
    dhcpc_timer(&c, now, &r);
    ck_assert_int_eq(c.state, DHCPC_ST_RENEWING);
    unsigned guard = 0;
    bool saw_rebind = false;
    while (r.ev != DHCPC_EV_EXPIRED) {
        ck_assert_uint_lt(++guard, 100);
        ck_assert_uint_gt(r.timer_at, now);
        now = r.timer_at;
        dhcpc_timer(&c, now, &r);
        if (c.state == DHCPC_ST_REBINDING) {
            ck_assert_uint_ge(now, c.t2_at);
            ck_assert(!r.unicast);
            m = sent(&r, DHCP_REQUEST);
            ck_assert_uint_eq(m.ciaddr, test_ip4("10.0.0.10"));
            saw_rebind = true;
        }
    }
    ck_assert(saw_rebind);
    ck_assert_uint_eq(now, 50005 + 100000);
    ck_assert_int_eq(c.state, DHCPC_ST_SELECTING);
    sent(&r, DHCP_DISCOVER);
    ck_assert_uint_eq(c.lease.addr, 0);
}
END_TEST

START_TEST(test_dhcpc_persist_nak_while_renewing_restarts)
{
    struct dhcpc c;
    struct dhcpc_conf k = base_conf();
    static struct dhcpc_out a, r, n;
    k.persist = true;
    dora(&c, &k, &a, 100);
    dhcpc_timer(&c, a.timer_at, &r);
    /* A NAK from another server while RENEWING is not ours. */
    reply(&c, a.timer_at + 1, &r, (struct srv_reply){DHCP_NAK, NULL, "10.0.0.2", 0, false}, &n);
    ck_assert_int_eq(n.drop, DHCPC_DROP_SERVER);
    reply(&c, a.timer_at + 1, &r, (struct srv_reply){DHCP_NAK, NULL, "10.0.0.1", 0, false}, &n);
    ck_assert_int_eq(n.ev, DHCPC_EV_NAK);
    ck_assert_int_eq(c.state, DHCPC_ST_SELECTING);
    sent(&n, DHCP_DISCOVER);
}
END_TEST

START_TEST(test_dhcpc_persist_infinite_lease_never_renews)
{
    struct dhcpc c;
    struct dhcpc_conf k = base_conf();
    static struct dhcpc_out a;
    k.persist = true;
    dora(&c, &k, &a, DHCPC_LEASE_INFINITE);
    ck_assert_int_eq(a.ev, DHCPC_EV_BOUND);
    ck_assert_uint_eq(a.timer_at, DHCPC_NO_TIMER);
}
END_TEST

START_TEST(test_dhcpc_t1_t2_from_server_and_sanity)
{
    struct dhcpc c;
    struct dhcpc_conf k = base_conf();
    static struct dhcpc_out d, o, a;
    k.persist = true;
    ck_assert_int_eq(dhcpc_init(&c, &k), 0);
    dhcpc_start(&c, 0, &d);
    reply(&c, 0, &d, (struct srv_reply){DHCP_OFFER, "10.0.0.10", "10.0.0.1", 100, true}, &o);
    reply(&c, 0, &o, (struct srv_reply){DHCP_ACK, "10.0.0.10", "10.0.0.1", 100, true}, &a);
    ck_assert_uint_eq(c.lease.t1_s, 10);
    ck_assert_uint_eq(c.lease.t2_s, 20);
    ck_assert_uint_eq(a.timer_at, 10000);
    /* T1/T2 beyond the lease fall back to the defaults. */
    ck_assert_int_eq(dhcpc_init(&c, &k), 0);
    dhcpc_start(&c, 0, &d);
    reply(&c, 0, &d, (struct srv_reply){DHCP_OFFER, "10.0.0.10", "10.0.0.1", 15, true}, &o);
    reply(&c, 0, &o, (struct srv_reply){DHCP_ACK, "10.0.0.10", "10.0.0.1", 15, true}, &a);
    ck_assert_uint_eq(c.lease.t2_s, 13);
    ck_assert_uint_eq(c.lease.t1_s, 10);
}
END_TEST

START_TEST(test_dhcpc_one_shot_renew_and_rebind)
{
    struct dhcpc c;
    struct dhcpc_conf k = base_conf();
    static struct dhcpc_out r, a;
    k.mode = DHCPC_MODE_RENEW;
    prev_lease(&k);
    ck_assert_int_eq(dhcpc_init(&c, &k), 0);
    dhcpc_start(&c, 0, &r);
    struct dhcp_msg m = sent(&r, DHCP_REQUEST);
    ck_assert(r.unicast);
    ck_assert_uint_eq(r.dst, k.prev.server_id);
    ck_assert_uint_eq(m.ciaddr, k.prev.addr);
    reply(&c, 1, &r, (struct srv_reply){DHCP_ACK, "10.0.0.10", "10.0.0.1", 600, false}, &a);
    ck_assert_int_eq(a.ev, DHCPC_EV_RENEWED);
    ck_assert_int_eq(c.state, DHCPC_ST_DONE);

    /* NAK: the lease is gone, exit with NAK. */
    ck_assert_int_eq(dhcpc_init(&c, &k), 0);
    dhcpc_start(&c, 0, &r);
    reply(&c, 1, &r, (struct srv_reply){DHCP_NAK, NULL, "10.0.0.1", 0, false}, &a);
    ck_assert_int_eq(a.ev, DHCPC_EV_NAK);
    ck_assert_int_eq(c.state, DHCPC_ST_FAILED);
    ck_assert_int_eq(c.result, DHCPC_EV_NAK);

    /* Rebind: broadcast, any server's answer counts. */
    k.mode = DHCPC_MODE_REBIND;
    ck_assert_int_eq(dhcpc_init(&c, &k), 0);
    dhcpc_start(&c, 0, &r);
    m = sent(&r, DHCP_REQUEST);
    ck_assert(!r.unicast);
    ck_assert_uint_eq(r.src, k.prev.addr);
    reply(&c, 1, &r, (struct srv_reply){DHCP_ACK, "10.0.0.10", "10.0.0.7", 600, false}, &a);
    ck_assert_int_eq(a.ev, DHCPC_EV_RENEWED);
    ck_assert_uint_eq(c.lease.server_id, test_ip4("10.0.0.7"));

    /* No answer: back-off and tries apply. */
    k.tries = 2;
    ck_assert_int_eq(dhcpc_init(&c, &k), 0);
    dhcpc_start(&c, 0, &r);
    dhcpc_timer(&c, r.timer_at, &r);
    sent(&r, DHCP_REQUEST);
    dhcpc_timer(&c, r.timer_at, &r);
    ck_assert_int_eq(r.ev, DHCPC_EV_TIMEOUT);
}
END_TEST

/* RFC 2131 section 3.2 / 4.3.2: with a remembered lease, a REQUEST
 * without server id first; ACK binds, NAK starts over, silence falls back
 * to DISCOVER (still asking for the address). */
START_TEST(test_dhcpc_init_reboot)
{
    struct dhcpc c;
    struct dhcpc_conf k = base_conf();
    static struct dhcpc_out r, a;
    k.reboot = true;
    prev_lease(&k);
    ck_assert_int_eq(dhcpc_init(&c, &k), 0);
    dhcpc_start(&c, 0, &r);
    ck_assert_int_eq(c.state, DHCPC_ST_REBOOTING);
    struct dhcp_msg m = sent(&r, DHCP_REQUEST);
    ck_assert(!r.unicast);
    ck_assert_uint_eq(r.src, 0);
    ck_assert_uint_eq(m.ciaddr, 0);
    ck_assert_uint_eq(opt_addr(&m, DHCP_OPT_REQUESTED_ADDR), k.prev.addr);
    ck_assert_uint_eq(opt_addr(&m, DHCP_OPT_SERVER_ID), 0);
    ck_assert_str_eq(dhcpc_state_name(c.state), "REBOOTING");
    /* Any server may answer; the ACK is a new lease (BOUND). */
    reply(&c, 3, &r, (struct srv_reply){DHCP_ACK, "10.0.0.10", "10.0.0.7", 600, false}, &a);
    ck_assert_int_eq(a.ev, DHCPC_EV_BOUND);
    ck_assert_int_eq(c.state, DHCPC_ST_DONE);
    ck_assert_uint_eq(c.lease.addr, k.prev.addr);
    ck_assert_uint_eq(c.lease.server_id, test_ip4("10.0.0.7"));
    ck_assert_uint_eq(c.lease.lease_s, 600);

    /* NAK (moved to another network): a fresh DISCOVER without 50. */
    ck_assert_int_eq(dhcpc_init(&c, &k), 0);
    dhcpc_start(&c, 0, &r);
    uint32_t xid = c.xid;
    reply(&c, 3, &r, (struct srv_reply){DHCP_NAK, NULL, "10.0.0.1", 0, false}, &a);
    ck_assert_int_eq(a.ev, DHCPC_EV_NAK);
    ck_assert_int_eq(c.state, DHCPC_ST_SELECTING);
    m = sent(&a, DHCP_DISCOVER);
    ck_assert_uint_eq(opt_addr(&m, DHCP_OPT_REQUESTED_ADDR), 0);
    ck_assert_uint_ne(m.xid, xid);

    /* Silence: DHCPC_REBOOT_TRIES REQUESTs, then DISCOVER asking for the
     * same address, with its own back-off from there. */
    ck_assert_int_eq(dhcpc_init(&c, &k), 0);
    dhcpc_start(&c, 0, &r);
    for (unsigned i = 1; i < DHCPC_REBOOT_TRIES; i++) {
        dhcpc_timer(&c, r.timer_at, &r);
        sent(&r, DHCP_REQUEST);
        ck_assert_int_eq(c.state, DHCPC_ST_REBOOTING);
    }
    static struct dhcpc_out last_request;
    last_request = r;
    uint64_t t = r.timer_at;
    dhcpc_timer(&c, t, &r);
    ck_assert_int_eq(r.ev, DHCPC_EV_NONE);
    ck_assert_int_eq(c.state, DHCPC_ST_SELECTING);
    m = sent(&r, DHCP_DISCOVER);
    ck_assert_uint_eq(opt_addr(&m, DHCP_OPT_REQUESTED_ADDR), k.prev.addr);
    ck_assert_uint_ge(r.timer_at, t + 3000);
    /* An ACK to the last REQUEST, arriving late, belongs to another
     * exchange now; the OFFER to the DISCOVER goes on as usual. */
    reply(&c, t + 1, &last_request,
          (struct srv_reply){DHCP_ACK, "10.0.0.10", "10.0.0.1", 600, false}, &a);
    ck_assert_int_eq(a.drop, DHCPC_DROP_XID);
    ck_assert_int_eq(c.state, DHCPC_ST_SELECTING);
    reply(&c, t + 2, &r, (struct srv_reply){DHCP_OFFER, "10.0.0.11", "10.0.0.1", 600, false}, &a);
    ck_assert_int_eq(c.state, DHCPC_ST_REQUESTING);

    /* Only with a lease to ask for, and only when obtaining. */
    k.prev.addr = 0;
    ck_assert_int_eq(dhcpc_init(&c, &k), -EINVAL);
    k.prev.addr = test_ip4("10.0.0.10");
    k.mode = DHCPC_MODE_INFORM;
    k.ciaddr = k.prev.addr;
    ck_assert_int_eq(dhcpc_init(&c, &k), -EINVAL);
}
END_TEST

START_TEST(test_dhcpc_inform)
{
    struct dhcpc c;
    struct dhcpc_conf k = base_conf();
    static struct dhcpc_out r, a;
    k.mode = DHCPC_MODE_INFORM;
    k.ciaddr = test_ip4("10.0.0.77");
    ck_assert_int_eq(dhcpc_init(&c, &k), 0);
    dhcpc_start(&c, 0, &r);
    struct dhcp_msg m = sent(&r, DHCP_INFORM);
    ck_assert_uint_eq(m.ciaddr, k.ciaddr);
    ck_assert_uint_eq(r.src, k.ciaddr);
    reply(&c, 1, &r, (struct srv_reply){DHCP_ACK, NULL, "10.0.0.1", 0, false}, &a);
    ck_assert_int_eq(a.ev, DHCPC_EV_INFORMED);
    ck_assert_uint_eq(c.lease.addr, k.ciaddr);
    ck_assert_uint_eq(c.lease.n_dns, 2);
    ck_assert_int_eq(c.state, DHCPC_ST_DONE);
}
END_TEST

START_TEST(test_dhcpc_release_and_decline)
{
    struct dhcpc c;
    struct dhcpc_conf k = base_conf();
    static struct dhcpc_out r;
    k.mode = DHCPC_MODE_RELEASE;
    k.prev.addr = test_ip4("10.0.0.10");
    k.prev.server_id = test_ip4("10.0.0.1");
    ck_assert_int_eq(dhcpc_init(&c, &k), 0);
    dhcpc_start(&c, 0, &r);
    struct dhcp_msg m = sent(&r, DHCP_RELEASE);
    ck_assert_int_eq(r.ev, DHCPC_EV_SENT);
    ck_assert(r.unicast); /* RFC 2131 4.4.6 */
    ck_assert_uint_eq(m.ciaddr, k.prev.addr);
    ck_assert_uint_eq(opt_addr(&m, DHCP_OPT_SERVER_ID), k.prev.server_id);
    ck_assert_int_eq(c.state, DHCPC_ST_DONE);
    ck_assert_uint_eq(r.timer_at, DHCPC_NO_TIMER);

    k.mode = DHCPC_MODE_DECLINE;
    ck_assert_int_eq(dhcpc_init(&c, &k), 0);
    dhcpc_start(&c, 0, &r);
    m = sent(&r, DHCP_DECLINE);
    ck_assert(!r.unicast);
    ck_assert_uint_eq(m.ciaddr, 0);
    ck_assert_uint_eq(opt_addr(&m, DHCP_OPT_REQUESTED_ADDR), k.prev.addr);
}
END_TEST

START_TEST(test_dhcpc_init_rejects_bad_conf)
{
    struct dhcpc c;
    struct dhcpc_conf k = base_conf();
    k.tries = 0;
    ck_assert_int_eq(dhcpc_init(&c, &k), -EINVAL);
    k = base_conf();
    k.hlen = 17;
    ck_assert_int_eq(dhcpc_init(&c, &k), -EINVAL);
    k = base_conf();
    k.mode = DHCPC_MODE_RENEW; /* no previous lease */
    ck_assert_int_eq(dhcpc_init(&c, &k), -EINVAL);
    k = base_conf();
    k.mode = DHCPC_MODE_INFORM;
    ck_assert_int_eq(dhcpc_init(&c, &k), -EINVAL);
    k = base_conf();
    k.backoff_max_ms = 10;
    ck_assert_int_eq(dhcpc_init(&c, &k), -EINVAL);
}
END_TEST

/* Hostile input: random byte flips and truncations of valid replies, in
 * every waiting state, never crash and never bind a lease the server did
 * not offer (ASan/UBSan in the sanitizer build). */
START_TEST(test_dhcpc_mutated_replies_are_harmless)
{
    uint64_t x = 0x1234567;
    for (int round = 0; round < 3000; round++) {
        struct dhcpc c;
        struct dhcpc_conf k = base_conf();
        static struct dhcpc_out d, o, a;
        k.persist = (round & 1) != 0;
        ck_assert_int_eq(dhcpc_init(&c, &k), 0);
        dhcpc_start(&c, 0, &d);
        uint8_t buf[1024];
        const struct dhcpc_out *req = &d;
        uint8_t type = DHCP_OFFER;
        if (round % 3 == 2) {
            reply(&c, 1, &d, (struct srv_reply){DHCP_OFFER, "10.0.0.10", "10.0.0.1", 60, false},
                  &o);
            req = &o;
            type = DHCP_ACK;
        }
        size_t len = mk_reply(req, &(struct srv_reply){type, "10.0.0.10", "10.0.0.1", 60, true},
                              buf, sizeof(buf));
        for (int f = 0; f < 4; f++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[x % len] ^= (uint8_t)(x >> 32);
        }
        size_t n = (x >> 40) % 4 == 0 ? (size_t)((x >> 20) % len) : len;
        feed(&c, 2, buf, n, &a);
        if (a.ev == DHCPC_EV_BOUND)
            ck_assert(dhcpc_lease_addr_usable(c.lease.addr));
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("clients_dhcpc_fsm");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_dhcpc_backoff_schedule_rfc2131);
    tcase_add_test(tc, test_dhcpc_discover_retransmits_then_times_out);
    tcase_add_test(tc, test_dhcpc_jitter_varies_and_stays_within_one_second);
    tcase_add_test(tc, test_dhcpc_timeout_bounds_one_shot);
    tcase_add_test(tc, test_dhcpc_dora_binds);
    tcase_add_test(tc, test_dhcpc_request_option_goes_in_discover);
    tcase_add_test(tc, test_dhcpc_ignores_other_xid_chaddr_and_junk);
    tcase_add_test(tc, test_dhcpc_prefixes_of_ack_refused);
    tcase_add_test(tc, test_dhcpc_offer_selection_rejects_unusable);
    tcase_add_test(tc, test_dhcpc_nak_restarts_then_fails);
    tcase_add_test(tc, test_dhcpc_persist_t1_t2_expiry);
    tcase_add_test(tc, test_dhcpc_persist_nak_while_renewing_restarts);
    tcase_add_test(tc, test_dhcpc_persist_infinite_lease_never_renews);
    tcase_add_test(tc, test_dhcpc_t1_t2_from_server_and_sanity);
    tcase_add_test(tc, test_dhcpc_one_shot_renew_and_rebind);
    tcase_add_test(tc, test_dhcpc_init_reboot);
    tcase_add_test(tc, test_dhcpc_inform);
    tcase_add_test(tc, test_dhcpc_release_and_decline);
    tcase_add_test(tc, test_dhcpc_init_rejects_bad_conf);
    tcase_add_test(tc, test_dhcpc_mutated_replies_are_harmless);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
