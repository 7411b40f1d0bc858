/* The DHCP server's protocol state machine and allocation policy, driven as
 * a pure function: packet in -> reply + lease table changes (RFC 2131). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dhcp_build.h"
#include "common/dhcp_msg.h"
#include "common/log.h"
#include "dhcpd/conf.h"
#include "dhcpd/engine.h"
#include "dhcpd/lease.h"
#include "testutil.h"

#define T0 1700000000

static const char base_conf[] = "[server]\n"
                                "offer-hold = 5s\n"
                                "decline-quarantine = 10m\n"
                                "[subnet 10.0.0.0/24]\n"
                                "pool = 10.0.0.10-10.0.0.19\n"
                                "router = 10.0.0.1\n"
                                "dns = 10.0.0.53, 10.0.0.54\n"
                                "domain = lab.test\n"
                                "search = lab.test, example.test\n"
                                "ntp = 10.0.0.123\n"
                                "route = 192.168.0.0/16 10.0.0.254\n"
                                "lease-time = 1h\n"
                                "max-lease-time = 2h\n"
                                "[subnet 10.5.0.0/24]\n"
                                "pool = 10.5.0.100-10.5.0.101\n"
                                "router = 10.5.0.1\n"
                                "[host printer]\n"
                                "mac = 02:00:00:00:00:99\n"
                                "address = 10.0.0.12\n"
                                "hostname = printer\n"
                                "[host byid]\n"
                                "client-id = ff:00:00:00:01:00:01\n"
                                "address = 10.0.0.50\n";

struct fx {
    struct dhcpd_conf *conf;
    struct lease_table *t;
    struct dhcpd_engine e;
    struct dhcpd_iface ifc;
    struct dhcpd_out out;
    struct dhcp_msg reply;
};

static void fx_init_text(struct fx *f, const char *text)
{
    memset(f, 0, sizeof(*f));
    log_set_output(-1, false);
    ck_assert_int_eq(dhcpd_conf_load_string(text, NULL, &f->conf), 0);
    ck_assert_int_eq(lease_table_new(f->conf, &f->t), 0);
    dhcpd_engine_init(&f->e, f->conf, f->t);
    snprintf(f->ifc.name, sizeof(f->ifc.name), "veth0");
    f->ifc.index = 2;
    f->ifc.addr = test_ip4("10.0.0.1");
}

static void fx_init(struct fx *f)
{
    fx_init_text(f, base_conf);
}

static void fx_free(struct fx *f)
{
    lease_table_free(f->t);
    dhcpd_conf_free(f->conf);
}

static const uint8_t prl_udhcpc[] = {1, 3, 6, 12, 15, 28, 42};

/* A client message with chaddr 02:00:00:00:00:<mac>. */
static struct dhcp_request rq_make(uint8_t type, uint8_t mac)
{
    struct dhcp_request rq = {
        .type = type,
        .xid = 0x1234u + mac,
        .htype = 1,
        .hlen = 6,
        .chaddr = {2, 0, 0, 0, 0, mac},
        .prl = prl_udhcpc,
        .prl_len = sizeof(prl_udhcpc),
    };
    return rq;
}

/* Sends rq (from an exact-size buffer) at time now; returns the engine's
 * result and, on a reply, parses it into f->reply. */
static int fx_send(struct fx *f, const struct dhcp_request *rq, int64_t now)
{
    uint8_t buf[600];
    size_t len;
    ck_assert_int_eq(dhcp_build_request(rq, buf, sizeof(buf), &len), 0);
    uint8_t *p = test_exact_copy(buf, len);
    int rc = dhcpd_engine_handle(&f->e, &f->ifc, p, len, now, &f->out);
    free(p);
    if (rc == 1)
        ck_assert_int_eq(dhcp_msg_parse(&f->reply, f->out.buf, f->out.len), 0);
    return rc;
}

static int fx_send_raw(struct fx *f, const uint8_t *buf, size_t len, int64_t now)
{
    uint8_t *p = test_exact_copy(buf, len);
    int rc = dhcpd_engine_handle(&f->e, &f->ifc, p, len, now, &f->out);
    free(p);
    if (rc == 1)
        ck_assert_int_eq(dhcp_msg_parse(&f->reply, f->out.buf, f->out.len), 0);
    return rc;
}

static uint8_t reply_type(const struct fx *f)
{
    uint8_t t = 0;
    ck_assert_int_eq(dhcp_msg_type(&f->reply, &t), 0);
    return t;
}

/* DISCOVER + REQUEST(SELECTING); returns the bound address. */
static uint32_t fx_bind(struct fx *f, uint8_t mac, int64_t now)
{
    struct dhcp_request rq = rq_make(DHCP_DISCOVER, mac);
    ck_assert_int_eq(fx_send(f, &rq, now), 1);
    ck_assert_uint_eq(reply_type(f), DHCP_OFFER);
    uint32_t a = f->reply.yiaddr;
    rq = rq_make(DHCP_REQUEST, mac);
    rq.state = DHCP_REQ_SELECTING;
    rq.requested = a;
    rq.server_id = f->ifc.addr;
    ck_assert_int_eq(fx_send(f, &rq, now), 1);
    ck_assert_uint_eq(reply_type(f), DHCP_ACK);
    ck_assert_uint_eq(f->reply.yiaddr, a);
    return a;
}

START_TEST(test_dhcpd_engine_discover_offers_first_free)
{
    struct fx f;
    fx_init(&f);
    struct dhcp_request rq = rq_make(DHCP_DISCOVER, 1);
    ck_assert_int_eq(fx_send(&f, &rq, T0), 1);
    ck_assert_uint_eq(reply_type(&f), DHCP_OFFER);
    ck_assert_uint_eq(f.reply.yiaddr, test_ip4("10.0.0.10"));
    ck_assert_uint_eq(f.reply.xid, rq.xid);
    uint32_t sid = 0;
    ck_assert_int_eq(dhcp_msg_get_addr(&f.reply, DHCP_OPT_SERVER_ID, &sid), 0);
    ck_assert_uint_eq(sid, test_ip4("10.0.0.1"));
    /* No broadcast flag: unicast to yiaddr at chaddr (RFC 2131 4.1). */
    ck_assert_int_eq(f.out.dest, DHCPD_DEST_HWADDR);
    ck_assert_uint_eq(f.out.dest_addr, test_ip4("10.0.0.10"));
    ck_assert_uint_eq(f.out.dest_port, 68);
    ck_assert_mem_eq(f.out.chaddr, rq.chaddr, 6);
    /* Offers are never persisted. */
    ck_assert(!f.out.needs_commit);
    ck_assert_uint_eq(f.t->n_dirty, 0);
    struct lease *l = lease_table_find_addr(f.t, test_ip4("10.0.0.10"));
    ck_assert_uint_eq(l->state, LEASE_OFFERED);
    ck_assert_int_eq(l->expires, T0 + 5);
    /* The same client asking again gets the same offer; another gets the
     * next address. */
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 1), 1);
    ck_assert_uint_eq(f.reply.yiaddr, test_ip4("10.0.0.10"));
    rq = rq_make(DHCP_DISCOVER, 2);
    rq.broadcast = true;
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 1), 1);
    ck_assert_uint_eq(f.reply.yiaddr, test_ip4("10.0.0.11"));
    ck_assert_int_eq(f.out.dest, DHCPD_DEST_BROADCAST);
    ck_assert_uint_eq(f.out.dest_addr, 0xffffffffu);
    fx_free(&f);
}
END_TEST

START_TEST(test_dhcpd_engine_options_follow_prl_order)
{
    struct fx f;
    fx_init(&f);
    static const uint8_t prl[] = {6, 121, 3, 58, 1, 119, 15, 59, 42, 77};
    struct dhcp_request rq = rq_make(DHCP_DISCOVER, 1);
    rq.prl = prl;
    rq.prl_len = sizeof(prl);
    ck_assert_int_eq(fx_send(&f, &rq, T0), 1);
    uint8_t seen[32];
    size_t n = 0;
    struct dhcp_opt_iter it;
    struct dhcp_opt o;
    dhcp_msg_opt_iter_init(&it, &f.reply);
    while (dhcp_msg_opt_next(&it, &o) && n < sizeof(seen))
        seen[n++] = o.code;
    /* 53, 54, the requested ones in the client's order (77 we do not
     * have), then the mandatory lease time; nothing unrequested (28). */
    static const uint8_t want[] = {53, 54, 6, 121, 3, 58, 1, 119, 15, 59, 42, 51};
    ck_assert_uint_eq(n, sizeof(want));
    ck_assert_mem_eq(seen, want, sizeof(want));
    uint32_t t1, t2, lt;
    ck_assert_int_eq(dhcp_msg_get_u32(&f.reply, DHCP_OPT_LEASE_TIME, &lt), 0);
    ck_assert_int_eq(dhcp_msg_get_u32(&f.reply, DHCP_OPT_T1, &t1), 0);
    ck_assert_int_eq(dhcp_msg_get_u32(&f.reply, DHCP_OPT_T2, &t2), 0);
    ck_assert_uint_eq(lt, 3600);
    ck_assert_uint_eq(t1, 1800); /* 50% */
    ck_assert_uint_eq(t2, 3150); /* 87.5% */
    const uint8_t *v;
    size_t vl;
    ck_assert_int_eq(dhcp_msg_opt_get(&f.reply, DHCP_OPT_DNS_SERVERS, NULL, 0, &v, &vl), 0);
    ck_assert_uint_eq(vl, 8);
    static const uint8_t dns[] = {10, 0, 0, 53, 10, 0, 0, 54};
    ck_assert_mem_eq(v, dns, 8);
    ck_assert_int_eq(dhcp_msg_opt_get(&f.reply, DHCP_OPT_CLASSLESS_ROUTES, NULL, 0, &v, &vl), 0);
    static const uint8_t routes[] = {16, 192, 168, 10, 0, 0, 254};
    ck_assert_uint_eq(vl, sizeof(routes));
    ck_assert_mem_eq(v, routes, sizeof(routes));
    ck_assert_int_eq(dhcp_msg_opt_get(&f.reply, DHCP_OPT_DOMAIN_SEARCH, NULL, 0, &v, &vl), 0);
    static const uint8_t search[] = "\3lab\4test\0\7example\4test";
    ck_assert_uint_eq(vl, sizeof(search));
    ck_assert_mem_eq(v, search, sizeof(search));
    fx_free(&f);
}
END_TEST

START_TEST(test_dhcpd_engine_lease_time_request_capped)
{
    struct fx f;
    fx_init(&f);
    uint8_t want[4] = {0, 0x01, 0x51, 0x80}; /* 86400 s */
    struct dhcp_opt_val x = {DHCP_OPT_LEASE_TIME, false, want, 4};
    struct dhcp_request rq = rq_make(DHCP_DISCOVER, 1);
    rq.extra = &x;
    rq.nextra = 1;
    ck_assert_int_eq(fx_send(&f, &rq, T0), 1);
    uint32_t lt;
    ck_assert_int_eq(dhcp_msg_get_u32(&f.reply, DHCP_OPT_LEASE_TIME, &lt), 0);
    ck_assert_uint_eq(lt, 7200); /* max-lease-time */
    fx_free(&f);
}
END_TEST

START_TEST(test_dhcpd_engine_selecting_ack_is_committed)
{
    struct fx f;
    fx_init(&f);
    uint32_t a = fx_bind(&f, 1, T0);
    ck_assert(f.out.needs_commit);
    ck_assert_uint_eq(f.t->n_dirty, 1);
    struct lease *l = lease_table_find_addr(f.t, a);
    ck_assert_uint_eq(l->state, LEASE_BOUND);
    ck_assert_int_eq(l->expires, T0 + 3600);
    ck_assert(l->dirty);
    ck_assert_uint_eq(f.e.st.acks, 1);
    fx_free(&f);
}
END_TEST

START_TEST(test_dhcpd_engine_request_for_other_server_clears_offer)
{
    struct fx f;
    fx_init(&f);
    struct dhcp_request rq = rq_make(DHCP_DISCOVER, 1);
    ck_assert_int_eq(fx_send(&f, &rq, T0), 1);
    uint32_t a = f.reply.yiaddr;
    rq = rq_make(DHCP_REQUEST, 1);
    rq.state = DHCP_REQ_SELECTING;
    rq.requested = test_ip4("10.0.0.200");
    rq.server_id = test_ip4("10.0.0.2");
    ck_assert_int_eq(fx_send(&f, &rq, T0), 0);
    ck_assert_uint_eq(f.t->n_dirty, 0);
    /* Our hold ended: the next client gets that address at once. */
    rq = rq_make(DHCP_DISCOVER, 2);
    ck_assert_int_eq(fx_send(&f, &rq, T0), 1);
    ck_assert_uint_eq(f.reply.yiaddr, a);
    fx_free(&f);
}
END_TEST

/* Never-used addresses go next-fit (filling a pool stays linear): after
 * the last one handed out, in address order, skipping reservations; one
 * whose offer ran out without a REQUEST is found again once the rest of
 * the pool is used. */
START_TEST(test_dhcpd_engine_allocation_is_next_fit)
{
    struct fx f;
    fx_init(&f);
    struct dhcp_request rq = rq_make(DHCP_DISCOVER, 1);
    ck_assert_int_eq(fx_send(&f, &rq, T0), 1);
    ck_assert_uint_eq(f.reply.yiaddr, test_ip4("10.0.0.10"));
    /* The hold (5 s) runs out unanswered: .10 is free, but the search has
     * moved on. */
    rq = rq_make(DHCP_DISCOVER, 2);
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 10), 1);
    ck_assert_uint_eq(f.reply.yiaddr, test_ip4("10.0.0.11"));
    rq = rq_make(DHCP_DISCOVER, 3);
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 10), 1);
    ck_assert_uint_eq(f.reply.yiaddr, test_ip4("10.0.0.13")); /* .12 is the printer's */
    for (uint8_t mac = 4; mac <= 9; mac++) {
        char want[16];
        snprintf(want, sizeof(want), "10.0.0.%u", mac + 10u);
        ck_assert_uint_eq(fx_bind(&f, mac, T0 + 10), test_ip4(want));
    }
    /* .14-.19 are bound, .11 and .13 held: back to .10. */
    rq = rq_make(DHCP_DISCOVER, 10);
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 10), 1);
    ck_assert_uint_eq(f.reply.yiaddr, test_ip4("10.0.0.10"));
    /* Nothing left: no offer. */
    rq = rq_make(DHCP_DISCOVER, 11);
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 10), 0);
    fx_free(&f);
}
END_TEST

START_TEST(test_dhcpd_engine_selecting_naks_taken_address)
{
    struct fx f;
    fx_init(&f);
    uint32_t a = fx_bind(&f, 1, T0);
    struct dhcp_request rq = rq_make(DHCP_REQUEST, 2);
    rq.state = DHCP_REQ_SELECTING;
    rq.requested = a;
    rq.server_id = f.ifc.addr;
    ck_assert_int_eq(fx_send(&f, &rq, T0), 1);
    ck_assert_uint_eq(reply_type(&f), DHCP_NAK);
    ck_assert_uint_eq(f.reply.yiaddr, 0);
    ck_assert_int_eq(f.out.dest, DHCPD_DEST_BROADCAST);
    ck_assert(!dhcp_msg_opt_has(&f.reply, DHCP_OPT_LEASE_TIME));
    fx_free(&f);
}
END_TEST

START_TEST(test_dhcpd_engine_init_reboot)
{
    struct fx f;
    fx_init(&f);
    uint32_t a = fx_bind(&f, 1, T0);
    fx_bind(&f, 2, T0);
    struct dhcp_request rq = rq_make(DHCP_REQUEST, 1);
    rq.state = DHCP_REQ_INIT_REBOOT;
    /* Its own address: ACK. */
    rq.requested = a;
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 10), 1);
    ck_assert_uint_eq(reply_type(&f), DHCP_ACK);
    ck_assert_uint_eq(f.reply.yiaddr, a);
    /* An address from another network: NAK. */
    rq.requested = test_ip4("192.168.1.20");
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 10), 1);
    ck_assert_uint_eq(reply_type(&f), DHCP_NAK);
    /* Another client's address: NAK. */
    rq = rq_make(DHCP_REQUEST, 3);
    rq.state = DHCP_REQ_INIT_REBOOT;
    rq.requested = a;
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 10), 1);
    ck_assert_uint_eq(reply_type(&f), DHCP_NAK);
    /* No record of this client: silent (RFC 2131 4.3.2). */
    rq.requested = test_ip4("10.0.0.18");
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 10), 0);
    /* A client asking for another address than its binding: NAK. */
    rq = rq_make(DHCP_REQUEST, 1);
    rq.state = DHCP_REQ_INIT_REBOOT;
    rq.requested = test_ip4("10.0.0.18");
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 10), 1);
    ck_assert_uint_eq(reply_type(&f), DHCP_NAK);
    fx_free(&f);
}
END_TEST

START_TEST(test_dhcpd_engine_renewing_and_rebinding)
{
    struct fx f;
    fx_init(&f);
    uint32_t a = fx_bind(&f, 1, T0);
    uint32_t b = fx_bind(&f, 2, T0);
    struct dhcp_request rq = rq_make(DHCP_REQUEST, 1);
    rq.state = DHCP_REQ_RENEWING;
    rq.ciaddr = a;
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 1800), 1);
    ck_assert_uint_eq(reply_type(&f), DHCP_ACK);
    ck_assert_uint_eq(f.reply.yiaddr, a);
    ck_assert_uint_eq(f.reply.ciaddr, a);
    ck_assert_int_eq(f.out.dest, DHCPD_DEST_CIADDR);
    ck_assert_uint_eq(f.out.dest_addr, a);
    ck_assert(f.out.needs_commit);
    ck_assert_int_eq(lease_table_find_addr(f.t, a)->expires, T0 + 1800 + 3600);
    /* REBINDING (broadcast) looks the same on the wire to us. */
    rq.state = DHCP_REQ_REBINDING;
    rq.broadcast = true;
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 3000), 1);
    ck_assert_uint_eq(reply_type(&f), DHCP_ACK);
    /* Renewing somebody else's address: NAK. */
    rq.ciaddr = b;
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 3000), 1);
    ck_assert_uint_eq(reply_type(&f), DHCP_NAK);
    /* Renewing an address of another network: NAK. */
    rq.ciaddr = test_ip4("172.16.0.5");
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 3000), 1);
    ck_assert_uint_eq(reply_type(&f), DHCP_NAK);
    /* No record (a free address of ours): silent. */
    rq.ciaddr = test_ip4("10.0.0.19");
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 3000), 0);
    fx_free(&f);
}
END_TEST

/* RFC 2131 4.3.2: a RENEWING client behind a router unicasts without a
 * relay (giaddr 0); the server trusts ciaddr.  Found by
 * integration.dhcp_relay: such renewals were NAKed as "wrong network". */
START_TEST(test_dhcpd_engine_routed_client_trusted_by_ciaddr)
{
    struct fx f;
    fx_init(&f);
    /* Bound while on the 10.5.0.0/24 link... */
    f.ifc.addr = test_ip4("10.5.0.1");
    uint32_t a = fx_bind(&f, 7, T0);
    ck_assert_uint_eq(a, test_ip4("10.5.0.100"));
    /* ...renewed through a router: it arrives on 10.0.0.1's interface. */
    f.ifc.addr = test_ip4("10.0.0.1");
    struct dhcp_request rq = rq_make(DHCP_REQUEST, 7);
    rq.state = DHCP_REQ_RENEWING;
    rq.ciaddr = a;
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 1800), 1);
    ck_assert_uint_eq(reply_type(&f), DHCP_ACK);
    ck_assert_uint_eq(f.reply.yiaddr, a);
    ck_assert_int_eq(f.out.dest, DHCPD_DEST_CIADDR);
    ck_assert_uint_eq(f.out.dest_addr, a);
    uint32_t router = 0;
    ck_assert_int_eq(dhcp_msg_get_addr(&f.reply, DHCP_OPT_ROUTERS, &router), 0);
    ck_assert_uint_eq(router, test_ip4("10.5.0.1"));
    /* Another client's address in that subnet: still a NAK. */
    rq = rq_make(DHCP_REQUEST, 8);
    rq.state = DHCP_REQ_RENEWING;
    rq.ciaddr = a;
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 1800), 1);
    ck_assert_uint_eq(reply_type(&f), DHCP_NAK);
    /* INFORM from a routed host: that subnet's options. */
    rq = rq_make(DHCP_INFORM, 9);
    rq.ciaddr = test_ip4("10.5.0.77");
    ck_assert_int_eq(fx_send(&f, &rq, T0), 1);
    ck_assert_int_eq(dhcp_msg_get_addr(&f.reply, DHCP_OPT_ROUTERS, &router), 0);
    ck_assert_uint_eq(router, test_ip4("10.5.0.1"));
    /* RELEASE from the routed client frees the lease. */
    rq = rq_make(DHCP_RELEASE, 7);
    rq.ciaddr = a;
    rq.server_id = test_ip4("10.0.0.1");
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 1900), 0);
    ck_assert_int_eq(lease_table_find_addr(f.t, a)->state, LEASE_RELEASED);
    fx_free(&f);
}
END_TEST

START_TEST(test_dhcpd_engine_decline_quarantines)
{
    struct fx f;
    fx_init(&f);
    uint32_t a = fx_bind(&f, 1, T0);
    struct dhcp_request rq = rq_make(DHCP_DECLINE, 1);
    rq.requested = a;
    rq.server_id = f.ifc.addr;
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 1), 0);
    struct lease *l = lease_table_find_addr(f.t, a);
    ck_assert_uint_eq(l->state, LEASE_DECLINED);
    ck_assert_int_eq(l->expires, T0 + 1 + 600);
    ck_assert_uint_eq(l->key_len, 0);
    ck_assert(l->dirty);
    /* Neither the decliner nor anybody else gets it while quarantined. */
    struct dhcp_request d = rq_make(DHCP_DISCOVER, 1);
    d.requested = a;
    ck_assert_int_eq(fx_send(&f, &d, T0 + 2), 1);
    ck_assert_uint_ne(f.reply.yiaddr, a);
    /* Fill the rest of the pool: the quarantined address stays out. */
    for (uint8_t m = 2; m < 12; m++) {
        d = rq_make(DHCP_DISCOVER, m);
        int rc = fx_send(&f, &d, T0 + 3);
        if (rc == 1)
            ck_assert_uint_ne(f.reply.yiaddr, a);
    }
    /* After the quarantine it is usable again. */
    d = rq_make(DHCP_DISCOVER, 40);
    d.requested = a;
    ck_assert_int_eq(fx_send(&f, &d, T0 + 700), 1);
    ck_assert_uint_eq(f.reply.yiaddr, a);
    /* A DECLINE of an address only OFFERed (never ACKed) is ignored. */
    d = rq_make(DHCP_DISCOVER, 41);
    ck_assert_int_eq(fx_send(&f, &d, T0 + 701), 1);
    uint32_t offered = f.reply.yiaddr;
    rq = rq_make(DHCP_DECLINE, 41);
    rq.requested = offered;
    rq.server_id = f.ifc.addr;
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 701), 0);
    ck_assert_uint_ne(lease_table_find_addr(f.t, offered)->state, LEASE_DECLINED);
    /* A DECLINE for an address the client does not hold is ignored. */
    rq = rq_make(DHCP_DECLINE, 7);
    rq.requested = test_ip4("10.0.0.15");
    rq.server_id = f.ifc.addr;
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 700), 0);
    ck_assert_uint_ne(lease_table_find_addr(f.t, rq.requested)->state, LEASE_DECLINED);
    fx_free(&f);
}
END_TEST

START_TEST(test_dhcpd_engine_release_frees_and_remembers)
{
    struct fx f;
    fx_init(&f);
    uint32_t a = fx_bind(&f, 1, T0);
    struct dhcp_request rq = rq_make(DHCP_RELEASE, 2); /* not the owner */
    rq.ciaddr = a;
    rq.server_id = f.ifc.addr;
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 5), 0);
    ck_assert_uint_eq(lease_table_find_addr(f.t, a)->state, LEASE_BOUND);
    rq = rq_make(DHCP_RELEASE, 1);
    rq.ciaddr = a;
    rq.server_id = f.ifc.addr;
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 5), 0);
    struct lease *l = lease_table_find_addr(f.t, a);
    ck_assert_uint_eq(l->state, LEASE_RELEASED);
    ck_assert(lease_is_free(l, T0 + 5));
    ck_assert(l->dirty);
    /* The client coming back gets the same address. */
    struct dhcp_request d = rq_make(DHCP_DISCOVER, 1);
    ck_assert_int_eq(fx_send(&f, &d, T0 + 6), 1);
    ck_assert_uint_eq(f.reply.yiaddr, a);
    fx_free(&f);
}
END_TEST

START_TEST(test_dhcpd_engine_inform)
{
    struct fx f;
    fx_init(&f);
    struct dhcp_request rq = rq_make(DHCP_INFORM, 1);
    rq.ciaddr = test_ip4("10.0.0.77"); /* configured by hand */
    ck_assert_int_eq(fx_send(&f, &rq, T0), 1);
    ck_assert_uint_eq(reply_type(&f), DHCP_ACK);
    ck_assert_uint_eq(f.reply.yiaddr, 0);
    ck_assert(!dhcp_msg_opt_has(&f.reply, DHCP_OPT_LEASE_TIME));
    ck_assert(dhcp_msg_opt_has(&f.reply, DHCP_OPT_ROUTERS));
    ck_assert_int_eq(f.out.dest, DHCPD_DEST_CIADDR);
    ck_assert_uint_eq(f.out.dest_addr, rq.ciaddr);
    ck_assert(!f.out.needs_commit);
    ck_assert_uint_eq(f.t->n_dirty, 0);
    fx_free(&f);
}
END_TEST

START_TEST(test_dhcpd_engine_reservation_by_mac)
{
    struct fx f;
    fx_init(&f);
    /* 10.0.0.12 is inside the pool but reserved: others skip it. */
    for (uint8_t m = 1; m <= 4; m++)
        ck_assert_uint_ne(fx_bind(&f, m, T0), test_ip4("10.0.0.12"));
    struct dhcp_request rq = rq_make(DHCP_DISCOVER, 5);
    rq.requested = test_ip4("10.0.0.12");
    ck_assert_int_eq(fx_send(&f, &rq, T0), 1);
    ck_assert_uint_ne(f.reply.yiaddr, test_ip4("10.0.0.12"));
    /* Its owner gets it, with its host name when it asks for 12. */
    ck_assert_uint_eq(fx_bind(&f, 0x99, T0), test_ip4("10.0.0.12"));
    const uint8_t *v;
    size_t vl;
    ck_assert_int_eq(dhcp_msg_opt_get(&f.reply, DHCP_OPT_HOST_NAME, NULL, 0, &v, &vl), 0);
    ck_assert_uint_eq(vl, 7);
    ck_assert_mem_eq(v, "printer", 7);
    ck_assert_str_eq(lease_table_find_addr(f.t, test_ip4("10.0.0.12"))->hostname, "printer");
    fx_free(&f);
}
END_TEST

START_TEST(test_dhcpd_engine_client_id_before_chaddr)
{
    struct fx f;
    fx_init(&f);
    static const uint8_t cid1[] = {0xff, 0, 0, 0, 1, 0, 1};
    static const uint8_t cid2[] = {0xff, 0, 0, 0, 2, 0, 1};
    /* The reservation by client id wins over any MAC (here the printer's). */
    struct dhcp_request rq = rq_make(DHCP_DISCOVER, 0x99);
    rq.client_id = cid1;
    rq.client_id_len = sizeof(cid1);
    ck_assert_int_eq(fx_send(&f, &rq, T0), 1);
    ck_assert_uint_eq(f.reply.yiaddr, test_ip4("10.0.0.50"));
    /* Unreserved: one id on two MACs is one client ... */
    rq = rq_make(DHCP_DISCOVER, 1);
    rq.client_id = cid2;
    rq.client_id_len = sizeof(cid2);
    ck_assert_int_eq(fx_send(&f, &rq, T0), 1);
    uint32_t a = f.reply.yiaddr;
    rq.chaddr[5] = 2;
    ck_assert_int_eq(fx_send(&f, &rq, T0), 1);
    ck_assert_uint_eq(f.reply.yiaddr, a);
    /* ... and one MAC without the id is another client. */
    rq = rq_make(DHCP_DISCOVER, 1);
    ck_assert_int_eq(fx_send(&f, &rq, T0), 1);
    ck_assert_uint_ne(f.reply.yiaddr, a);
    fx_free(&f);
}
END_TEST

START_TEST(test_dhcpd_engine_relay_uses_giaddr_and_echoes_82)
{
    struct fx f;
    fx_init(&f);
    static const uint8_t opt82[] = {1, 4, 'p', 'o', 'r', 't', 2, 3, 'r', 'i', 'd'};
    uint8_t buf[600];
    size_t len;
    struct dhcp_opt_val x = {DHCP_OPT_RELAY_AGENT_INFO, false, opt82, sizeof(opt82)};
    struct dhcp_request rq = rq_make(DHCP_DISCOVER, 1);
    rq.extra = &x;
    rq.nextra = 1;
    ck_assert_int_eq(dhcp_build_request(&rq, buf, sizeof(buf), &len), 0);
    uint32_t gi = test_ip4("10.5.0.1");
    memcpy(buf + 24, &gi, 4); /* giaddr */
    buf[3] = 1;               /* hops */
    ck_assert_int_eq(fx_send_raw(&f, buf, len, T0), 1);
    ck_assert_uint_eq(reply_type(&f), DHCP_OFFER);
    ck_assert_uint_eq(f.reply.yiaddr, test_ip4("10.5.0.100"));
    ck_assert_uint_eq(f.reply.giaddr, gi);
    ck_assert_int_eq(f.out.dest, DHCPD_DEST_RELAY);
    ck_assert_uint_eq(f.out.dest_addr, gi);
    ck_assert_uint_eq(f.out.dest_port, 67);
    const uint8_t *v;
    size_t vl;
    ck_assert_int_eq(dhcp_msg_opt_get(&f.reply, DHCP_OPT_RELAY_AGENT_INFO, NULL, 0, &v, &vl), 0);
    ck_assert_uint_eq(vl, sizeof(opt82));
    ck_assert_mem_eq(v, opt82, sizeof(opt82));
    /* The router option is the relayed subnet's. */
    uint32_t r;
    ck_assert_int_eq(dhcp_msg_get_addr(&f.reply, DHCP_OPT_ROUTERS, &r), 0);
    ck_assert_uint_eq(r, gi);
    /* A relay from a network we do not serve: ignored. */
    gi = test_ip4("10.99.0.1");
    memcpy(buf + 24, &gi, 4);
    ck_assert_int_eq(fx_send_raw(&f, buf, len, T0), 0);
    /* Option 82 without giaddr (a client forging it): malformed. */
    gi = 0;
    memcpy(buf + 24, &gi, 4);
    ck_assert_int_eq(fx_send_raw(&f, buf, len, T0), -EBADMSG);
    fx_free(&f);
}
END_TEST

START_TEST(test_dhcpd_engine_full_pool)
{
    struct fx f;
    fx_init_text(&f, "[subnet 10.0.0.0/24]\npool = 10.0.0.10-10.0.0.11\n");
    fx_bind(&f, 1, T0);
    fx_bind(&f, 2, T0);
    struct dhcp_request rq = rq_make(DHCP_DISCOVER, 3);
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 1), 0);
    ck_assert_uint_eq(f.e.st.pool_full, 1);
    /* A SELECTING request for a bound address still gets a NAK. */
    rq = rq_make(DHCP_REQUEST, 3);
    rq.state = DHCP_REQ_SELECTING;
    rq.requested = test_ip4("10.0.0.10");
    rq.server_id = f.ifc.addr;
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 1), 1);
    ck_assert_uint_eq(reply_type(&f), DHCP_NAK);
    fx_free(&f);
}
END_TEST

START_TEST(test_dhcpd_engine_offer_flood_does_not_drain_pool)
{
    struct fx f;
    fx_init_text(&f, "[server]\noffer-hold = 3s\n[subnet 10.0.0.0/24]\npool = "
                     "10.0.0.10-10.0.0.13\n");
    /* Many random MACs: the pool is held only by offers ... */
    for (unsigned m = 0; m < 200; m++) {
        struct dhcp_request rq = rq_make(DHCP_DISCOVER, (uint8_t)(100 + m % 100));
        rq.chaddr[4] = (uint8_t)(m / 100 + 1);
        fx_send(&f, &rq, T0);
    }
    ck_assert_uint_eq(f.t->n_dirty, 0); /* nothing written */
    struct dhcp_request rq = rq_make(DHCP_DISCOVER, 1);
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 1), 0);
    /* ... which run out after offer-hold: a real client is served. */
    ck_assert_uint_eq(fx_bind(&f, 1, T0 + 3) != 0, 1);
    fx_free(&f);
}
END_TEST

START_TEST(test_dhcpd_engine_expiry_reuse)
{
    struct fx f;
    fx_init_text(&f, "[subnet 10.0.0.0/24]\npool = 10.0.0.10-10.0.0.12\nlease-time = 1m\n");
    uint32_t a = fx_bind(&f, 1, T0);
    uint32_t b = fx_bind(&f, 2, T0 + 10);
    uint32_t c = fx_bind(&f, 3, T0 + 20);
    (void)b;
    (void)c;
    /* All expired: a new client gets the one expired longest ... */
    struct dhcp_request rq = rq_make(DHCP_DISCOVER, 4);
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 1000), 1);
    ck_assert_uint_eq(f.reply.yiaddr, a);
    /* ... and client 2, back after expiry, its old address. */
    rq = rq_make(DHCP_DISCOVER, 2);
    ck_assert_int_eq(fx_send(&f, &rq, T0 + 1000), 1);
    ck_assert_uint_eq(f.reply.yiaddr, b);
    ck_assert_str_eq(lease_state_name(lease_table_find_addr(f.t, c), T0 + 1000), "expired");
    fx_free(&f);
}
END_TEST

START_TEST(test_dhcpd_engine_requested_address_if_free)
{
    struct fx f;
    fx_init(&f);
    struct dhcp_request rq = rq_make(DHCP_DISCOVER, 1);
    rq.requested = test_ip4("10.0.0.17");
    ck_assert_int_eq(fx_send(&f, &rq, T0), 1);
    ck_assert_uint_eq(f.reply.yiaddr, test_ip4("10.0.0.17"));
    /* Outside the pool (but in the subnet): not given. */
    rq = rq_make(DHCP_DISCOVER, 2);
    rq.requested = test_ip4("10.0.0.200");
    ck_assert_int_eq(fx_send(&f, &rq, T0), 1);
    ck_assert_uint_eq(f.reply.yiaddr, test_ip4("10.0.0.10"));
    fx_free(&f);
}
END_TEST

START_TEST(test_dhcpd_engine_captured_clients)
{
    static const char *const names[] = {"udhcpc-1.35.0-discover", "dhclient-4.4.3-P1-discover"};
    for (size_t i = 0; i < 2; i++) {
        struct fx f;
        fx_init(&f);
        size_t len;
        uint8_t *b = test_load_hex("dhcp", names[i], ".hex", &len);
        ck_assert_int_eq(fx_send_raw(&f, b, len, T0), 1);
        ck_assert_uint_eq(reply_type(&f), DHCP_OFFER);
        ck_assert_uint_eq(f.reply.yiaddr, test_ip4("10.0.0.10"));
        ck_assert(dhcp_msg_opt_has(&f.reply, DHCP_OPT_SUBNET_MASK));
        ck_assert(dhcp_msg_opt_has(&f.reply, DHCP_OPT_ROUTERS));
        ck_assert(f.out.len >= DHCP_MSG_MIN_SEND);
        free(b);
        fx_free(&f);
    }
}
END_TEST

START_TEST(test_dhcpd_engine_rejects_malformed)
{
    struct fx f;
    fx_init(&f);
    uint8_t buf[600];
    size_t len;
    struct dhcp_request rq = rq_make(DHCP_DISCOVER, 1);
    ck_assert_int_eq(dhcp_build_request(&rq, buf, sizeof(buf), &len), 0);
    /* Every proper prefix (which cuts off the end option) is refused. */
    size_t end = DHCP_OPT_OFF;
    while (buf[end] != DHCP_OPT_END)
        end += buf[end] == 0 ? 1 : 2u + buf[end + 1];
    for (size_t n = 0; n <= end; n++)
        ck_assert_int_eq(fx_send_raw(&f, buf, n, T0), -EBADMSG);
    ck_assert_uint_eq(f.t->n_dirty, 0);
    /* A server's message (op 2), and a client "OFFER". */
    buf[0] = 2;
    ck_assert_int_eq(fx_send_raw(&f, buf, len, T0), -EBADMSG);
    buf[0] = 1;
    rq.type = DHCP_INFORM;
    rq.ciaddr = test_ip4("10.0.0.77");
    ck_assert_int_eq(dhcp_build_request(&rq, buf, sizeof(buf), &len), 0);
    buf[DHCP_OPT_OFF + 2] = DHCP_OFFER;
    ck_assert_int_eq(fx_send_raw(&f, buf, len, T0), -EBADMSG);
    /* No client id and no hardware address. */
    rq = rq_make(DHCP_DISCOVER, 1);
    rq.hlen = 0;
    ck_assert_int_eq(fx_send(&f, &rq, T0), -EBADMSG);
    /* A client id too long to keep. */
    uint8_t longid[80];
    memset(longid, 7, sizeof(longid));
    rq = rq_make(DHCP_DISCOVER, 1);
    rq.client_id = longid;
    rq.client_id_len = sizeof(longid);
    ck_assert_int_eq(fx_send(&f, &rq, T0), -EBADMSG);
    /* Interface without an address: nothing to say. */
    f.ifc.addr = 0;
    rq = rq_make(DHCP_DISCOVER, 1);
    ck_assert_int_eq(fx_send(&f, &rq, T0), 0);
    fx_free(&f);
}
END_TEST

START_TEST(test_dhcpd_engine_ping_check)
{
    struct fx f;
    fx_init_text(&f, "[server]\nping-check = yes\n[subnet 10.0.0.0/24]\npool = "
                     "10.0.0.10-10.0.0.12\n");
    struct dhcp_request rq = rq_make(DHCP_DISCOVER, 1);
    /* First offer of an address: probe it first, holding it meanwhile. */
    ck_assert_int_eq(fx_send(&f, &rq, T0), DHCPD_PROBE);
    ck_assert_uint_eq(f.out.probe_addr, test_ip4("10.0.0.10"));
    struct dhcp_request other = rq_make(DHCP_DISCOVER, 2);
    ck_assert_int_eq(fx_send(&f, &other, T0), DHCPD_PROBE);
    ck_assert_uint_eq(f.out.probe_addr, test_ip4("10.0.0.11"));
    /* Somebody answers for .10: quarantined, the client gets the next
     * address, after its own probe. */
    dhcpd_engine_probe_done(&f.e, test_ip4("10.0.0.10"), true, T0);
    struct lease *l = lease_table_find_addr(f.t, test_ip4("10.0.0.10"));
    ck_assert_uint_eq(l->state, LEASE_DECLINED);
    ck_assert(l->dirty);
    ck_assert_uint_eq(f.e.st.conflicts, 1);
    ck_assert_int_eq(fx_send(&f, &rq, T0), DHCPD_PROBE);
    ck_assert_uint_eq(f.out.probe_addr, test_ip4("10.0.0.12"));
    /* Silence: the offer goes out. */
    dhcpd_engine_probe_done(&f.e, test_ip4("10.0.0.12"), false, T0);
    ck_assert_int_eq(fx_send(&f, &rq, T0), 1);
    ck_assert_uint_eq(reply_type(&f), DHCP_OFFER);
    ck_assert_uint_eq(f.reply.yiaddr, test_ip4("10.0.0.12"));
    /* Probed once is enough: no second probe for a later client. */
    rq = rq_make(DHCP_REQUEST, 1);
    rq.state = DHCP_REQ_SELECTING;
    rq.requested = test_ip4("10.0.0.12");
    rq.server_id = f.ifc.addr;
    ck_assert_int_eq(fx_send(&f, &rq, T0), 1);
    ck_assert_uint_eq(reply_type(&f), DHCP_ACK);
    fx_free(&f);
}
END_TEST

static Suite *dhcpd_engine_suite(void)
{
    Suite *s = suite_create("dhcpd_engine");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_dhcpd_engine_discover_offers_first_free);
    tcase_add_test(tc, test_dhcpd_engine_options_follow_prl_order);
    tcase_add_test(tc, test_dhcpd_engine_lease_time_request_capped);
    tcase_add_test(tc, test_dhcpd_engine_selecting_ack_is_committed);
    tcase_add_test(tc, test_dhcpd_engine_request_for_other_server_clears_offer);
    tcase_add_test(tc, test_dhcpd_engine_allocation_is_next_fit);
    tcase_add_test(tc, test_dhcpd_engine_selecting_naks_taken_address);
    tcase_add_test(tc, test_dhcpd_engine_init_reboot);
    tcase_add_test(tc, test_dhcpd_engine_renewing_and_rebinding);
    tcase_add_test(tc, test_dhcpd_engine_routed_client_trusted_by_ciaddr);
    tcase_add_test(tc, test_dhcpd_engine_decline_quarantines);
    tcase_add_test(tc, test_dhcpd_engine_release_frees_and_remembers);
    tcase_add_test(tc, test_dhcpd_engine_inform);
    tcase_add_test(tc, test_dhcpd_engine_reservation_by_mac);
    tcase_add_test(tc, test_dhcpd_engine_client_id_before_chaddr);
    tcase_add_test(tc, test_dhcpd_engine_relay_uses_giaddr_and_echoes_82);
    tcase_add_test(tc, test_dhcpd_engine_full_pool);
    tcase_add_test(tc, test_dhcpd_engine_offer_flood_does_not_drain_pool);
    tcase_add_test(tc, test_dhcpd_engine_expiry_reuse);
    tcase_add_test(tc, test_dhcpd_engine_requested_address_if_free);
    tcase_add_test(tc, test_dhcpd_engine_captured_clients);
    tcase_add_test(tc, test_dhcpd_engine_rejects_malformed);
    tcase_add_test(tc, test_dhcpd_engine_ping_check);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dhcpd_engine_suite)
