/*
 * dhcpc_fsm: the client state machine (RFC 2131 section 4.4).  See
 * dhcpc_fsm.h.
 */
#include "clients/dhcpc_fsm.h"

#include <errno.h>
#include <string.h>

#include "common/dhcp_build.h"
#include "common/dhcp_opt.h"
#include "common/wire.h"

/* What we ask for (option 55): mask, routers, DNS, host and domain name,
 * broadcast, NTP, lease time, T1, T2. */
static const uint8_t prl[] = {
    DHCP_OPT_SUBNET_MASK, DHCP_OPT_ROUTERS,   DHCP_OPT_DNS_SERVERS, DHCP_OPT_HOST_NAME,
    DHCP_OPT_DOMAIN_NAME, DHCP_OPT_BROADCAST, DHCP_OPT_NTP_SERVERS, DHCP_OPT_LEASE_TIME,
    DHCP_OPT_T1,          DHCP_OPT_T2,
};

/* xorshift64*: plenty for xids and jitter, and reproducible in tests.
 * The xid's unpredictability matters only against off-path spoofing, and
 * the caller seeds from getrandom(). */
static uint64_t rnd(struct dhcpc *c)
{
    uint64_t x = c->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    c->rng = x;
    return x * 0x2545f4914f6cdd1dull;
}

uint64_t dhcpc_backoff(const struct dhcpc_conf *conf, unsigned n)
{
    uint64_t d = conf->backoff_ms;
    for (unsigned i = 0; i < n && d < conf->backoff_max_ms; i++)
        d <<= 1;
    return d < conf->backoff_max_ms ? d : conf->backoff_max_ms;
}

int dhcpc_init(struct dhcpc *c, const struct dhcpc_conf *conf)
{
    if (conf->hlen > DHCP_CHADDR_LEN || conf->tries == 0 || conf->backoff_ms == 0 ||
        conf->backoff_max_ms < conf->backoff_ms)
        return -EINVAL;
    bool need_prev = conf->mode == DHCPC_MODE_RENEW || conf->mode == DHCPC_MODE_REBIND ||
                     conf->mode == DHCPC_MODE_RELEASE || conf->mode == DHCPC_MODE_DECLINE;
    if (need_prev && (conf->prev.addr == 0 || conf->prev.server_id == 0))
        return -EINVAL;
    if (conf->mode == DHCPC_MODE_INFORM && conf->ciaddr == 0)
        return -EINVAL;
    if (conf->reboot && (conf->mode != DHCPC_MODE_OBTAIN || conf->prev.addr == 0))
        return -EINVAL;
    memset(c, 0, sizeof(*c));
    c->conf = *conf;
    c->rng = conf->seed ? conf->seed : 0x9e3779b97f4a7c15ull;
    c->state = DHCPC_ST_INIT;
    c->timer_at = DHCPC_NO_TIMER;
    c->t1_at = c->t2_at = c->expire_at = DHCPC_NO_TIMER;
    return 0;
}

static void out_reset(struct dhcpc_out *out)
{
    out->pkt_len = 0;
    out->pkt_type = 0;
    out->unicast = false;
    out->dst = 0;
    out->src = 0;
    out->timer_at = DHCPC_NO_TIMER;
    out->ev = DHCPC_EV_NONE;
    out->drop = DHCPC_DROP_NONE;
}

static void new_exchange(struct dhcpc *c, uint64_t now)
{
    c->xid = (uint32_t)(rnd(c) >> 32);
    c->sent = 0;
    c->exch_start = now;
}

/* Builds the message for the current state into out.  A failure here is a
 * bug (every field is ours and the message is far below 576 bytes), so it
 * leaves pkt_len 0 and the retransmission timer still runs. */
static void build(struct dhcpc *c, uint64_t now, uint8_t type, struct dhcpc_out *out)
{
    const struct dhcpc_conf *k = &c->conf;
    uint8_t fqdn[300];
    struct dhcp_opt_val extra[1];
    size_t nextra = 0;
    uint64_t secs = (now - c->exch_start) / 1000;
    struct dhcp_request rq = {
        .type = type,
        .xid = c->xid,
        .secs = (uint16_t)(secs > 0xffff ? 0xffff : secs),
        .broadcast = k->broadcast_flag,
        .htype = k->htype,
        .hlen = k->hlen,
        .client_id = k->client_id,
        .client_id_len = k->client_id_len,
        .prl = prl,
        .prl_len = sizeof(prl),
        /* RFC 2132 section 9.10: we take what fits a 576-byte datagram. */
        .max_size = DHCP_MAX_SIZE_MIN,
    };
    memcpy(rq.chaddr, k->chaddr, sizeof(rq.chaddr));
    if (k->hostname) {
        rq.host_name = (const uint8_t *)k->hostname;
        rq.host_name_len = strlen(k->hostname);
        if (k->fqdn) {
            /* RFC 4702 section 3.1: S set asks the server to update the A
             * record, since this client does no DNS updates itself. */
            struct wire_wr w;
            wire_wr_init(&w, fqdn, sizeof(fqdn));
            if (dhcp_opt_fqdn_encode(&w, DHCP_FQDN_S, k->hostname,
                                     strchr(k->hostname, '.') != NULL) == 0 &&
                wire_wr_ok(&w))
                extra[nextra++] = (struct dhcp_opt_val){
                    .code = DHCP_OPT_CLIENT_FQDN, .val = fqdn, .len = wire_wr_len(&w)};
        }
    }
    rq.extra = extra;
    rq.nextra = nextra;

    switch (c->state) {
    case DHCPC_ST_SELECTING:
        rq.requested = k->requested;
        break;
    case DHCPC_ST_REQUESTING:
        rq.state = DHCP_REQ_SELECTING;
        rq.requested = c->offer.addr;
        rq.server_id = c->offer.server_id;
        break;
    case DHCPC_ST_REBOOTING:
        /* RFC 2131 section 4.3.2: 50 is the remembered address; no 54,
         * ciaddr 0, broadcast (we may be on another network now). */
        rq.state = DHCP_REQ_INIT_REBOOT;
        rq.requested = k->prev.addr;
        break;
    case DHCPC_ST_RENEWING:
        rq.state = DHCP_REQ_RENEWING;
        rq.ciaddr = c->lease.addr;
        out->unicast = true;
        out->dst = c->lease.server_id;
        break;
    case DHCPC_ST_REBINDING:
        rq.state = DHCP_REQ_REBINDING;
        rq.ciaddr = c->lease.addr;
        break;
    case DHCPC_ST_INFORMING:
        rq.ciaddr = k->ciaddr;
        break;
    default:
        /* RELEASE and DECLINE, sent from INIT. */
        if (type == DHCP_RELEASE) {
            rq.ciaddr = k->prev.addr;
            out->unicast = true; /* RFC 2131 section 4.4.6 */
            out->dst = k->prev.server_id;
        } else {
            rq.requested = k->prev.addr;
        }
        rq.server_id = k->prev.server_id;
        break;
    }
    out->src = rq.ciaddr;
    if (dhcp_build_request(&rq, out->pkt, sizeof(out->pkt), &out->pkt_len) != 0)
        out->pkt_len = 0;
    out->pkt_type = type;
    c->sent++;
    if (type == DHCP_REQUEST)
        c->last_request = now;
}

/* RFC 2131 section 4.1: back-off doubling from backoff_ms up to
 * backoff_max_ms, randomized by +-jitter (at most half the base, so a
 * wait never drops to zero). */
static uint64_t retransmit_at(struct dhcpc *c, uint64_t now)
{
    uint64_t d = dhcpc_backoff(&c->conf, c->sent ? c->sent - 1 : 0);
    uint64_t j = c->conf.jitter_ms;
    if (j > c->conf.backoff_ms / 2)
        j = c->conf.backoff_ms / 2;
    if (j) {
        uint64_t r = rnd(c) % (2 * j + 1);
        d = d + r - j;
    }
    uint64_t at = now + d;
    /* One-shot runs end at the deadline, not a whole back-off later. */
    if (!c->conf.persist && c->conf.timeout_ms && at > c->start + c->conf.timeout_ms)
        at = c->start + c->conf.timeout_ms;
    return at;
}

/* RFC 2131 section 4.4.5: in RENEWING and REBINDING retransmit after half
 * the time left until `until`, but not sooner than renew_min_ms, and never
 * past `until`. */
static uint64_t halfway_at(const struct dhcpc *c, uint64_t now, uint64_t until)
{
    if (until == DHCPC_NO_TIMER)
        return now + c->conf.renew_min_ms;
    uint64_t left = until > now ? until - now : 0;
    uint64_t wait = left / 2;
    if (wait < c->conf.renew_min_ms)
        wait = c->conf.renew_min_ms;
    return now + wait < until ? now + wait : until;
}

static void send_discover(struct dhcpc *c, uint64_t now, struct dhcpc_out *out)
{
    c->state = DHCPC_ST_SELECTING;
    new_exchange(c, now);
    build(c, now, DHCP_DISCOVER, out);
    c->timer_at = retransmit_at(c, now);
}

static void fail(struct dhcpc *c, enum dhcpc_event why, struct dhcpc_out *out)
{
    c->state = DHCPC_ST_FAILED;
    c->result = why;
    c->timer_at = DHCPC_NO_TIMER;
    out->ev = why;
}

void dhcpc_start(struct dhcpc *c, uint64_t now, struct dhcpc_out *out)
{
    out_reset(out);
    c->start = now;
    switch (c->conf.mode) {
    case DHCPC_MODE_OBTAIN:
        if (!c->conf.reboot) {
            send_discover(c, now, out);
            break;
        }
        c->state = DHCPC_ST_REBOOTING;
        new_exchange(c, now);
        build(c, now, DHCP_REQUEST, out);
        c->timer_at = retransmit_at(c, now);
        break;
    case DHCPC_MODE_RENEW:
    case DHCPC_MODE_REBIND:
        c->lease = c->conf.prev;
        c->state = c->conf.mode == DHCPC_MODE_RENEW ? DHCPC_ST_RENEWING : DHCPC_ST_REBINDING;
        new_exchange(c, now);
        build(c, now, DHCP_REQUEST, out);
        c->timer_at = retransmit_at(c, now);
        break;
    case DHCPC_MODE_INFORM:
        c->state = DHCPC_ST_INFORMING;
        new_exchange(c, now);
        build(c, now, DHCP_INFORM, out);
        c->timer_at = retransmit_at(c, now);
        break;
    case DHCPC_MODE_RELEASE:
    case DHCPC_MODE_DECLINE:
        new_exchange(c, now);
        build(c, now, c->conf.mode == DHCPC_MODE_RELEASE ? DHCP_RELEASE : DHCP_DECLINE, out);
        c->state = DHCPC_ST_DONE;
        c->timer_at = DHCPC_NO_TIMER;
        out->ev = DHCPC_EV_SENT;
        break;
    }
    out->timer_at = c->timer_at;
}

/* Sets the lease clocks from the time the REQUEST went out (RFC 2131
 * section 4.4.1: the lease starts no later than that). */
static void bind_lease(struct dhcpc *c, const struct dhcpc_lease *l)
{
    c->lease = *l;
    uint64_t base = c->last_request;
    if (l->lease_s == DHCPC_LEASE_INFINITE) {
        c->t1_at = c->t2_at = c->expire_at = DHCPC_NO_TIMER;
    } else {
        c->t1_at = base + (uint64_t)l->t1_s * 1000;
        c->t2_at = base + (uint64_t)l->t2_s * 1000;
        c->expire_at = base + (uint64_t)l->lease_s * 1000;
    }
    if (c->conf.persist) {
        c->state = DHCPC_ST_BOUND;
        c->timer_at = c->t1_at;
    } else {
        c->state = DHCPC_ST_DONE;
        c->timer_at = DHCPC_NO_TIMER;
    }
}

static bool one_shot_over(const struct dhcpc *c, uint64_t now)
{
    return !c->conf.persist && c->conf.timeout_ms && now >= c->start + c->conf.timeout_ms;
}

void dhcpc_timer(struct dhcpc *c, uint64_t now, struct dhcpc_out *out)
{
    out_reset(out);
    if (c->timer_at == DHCPC_NO_TIMER || now < c->timer_at) {
        out->timer_at = c->timer_at;
        return;
    }
    switch (c->state) {
    case DHCPC_ST_INIT:
        send_discover(c, now, out);
        break;
    case DHCPC_ST_SELECTING:
    case DHCPC_ST_REQUESTING:
    case DHCPC_ST_INFORMING:
        if (one_shot_over(c, now) ||
            (c->sent >= c->conf.tries && (!c->conf.persist || c->state == DHCPC_ST_INFORMING))) {
            fail(c, DHCPC_EV_TIMEOUT, out);
            break;
        }
        if (c->sent >= c->conf.tries) {
            /* Persistent: RFC 2131 section 4.4.1 -- no answer to the
             * REQUEST sends us back to INIT; no OFFER at all is worth
             * saying once, then we wait the longest back-off and retry. */
            out->ev = DHCPC_EV_TIMEOUT;
            c->state = DHCPC_ST_INIT;
            c->timer_at = now + c->conf.backoff_max_ms;
            break;
        }
        build(c, now,
              c->state == DHCPC_ST_INFORMING   ? DHCP_INFORM
              : c->state == DHCPC_ST_SELECTING ? DHCP_DISCOVER
                                               : DHCP_REQUEST,
              out);
        c->timer_at = retransmit_at(c, now);
        break;
    case DHCPC_ST_REBOOTING:
        if (one_shot_over(c, now)) {
            fail(c, DHCPC_EV_TIMEOUT, out);
            break;
        }
        if (c->sent >= DHCPC_REBOOT_TRIES) {
            /* No server vouches for the old lease: start over, still
             * asking for the same address (RFC 2131 section 4.4.2). */
            c->conf.requested = c->conf.prev.addr;
            send_discover(c, now, out);
            break;
        }
        build(c, now, DHCP_REQUEST, out);
        c->timer_at = retransmit_at(c, now);
        break;
    case DHCPC_ST_BOUND:
        /* T1 (RFC 2131 section 4.4.5): unicast renewal to our server. */
        c->state = DHCPC_ST_RENEWING;
        new_exchange(c, now);
        build(c, now, DHCP_REQUEST, out);
        c->timer_at = halfway_at(c, now, c->t2_at);
        break;
    case DHCPC_ST_RENEWING:
    case DHCPC_ST_REBINDING:
        if (!c->conf.persist) {
            /* --renew / --rebind: ordinary back-off, bounded by tries. */
            if (one_shot_over(c, now) || c->sent >= c->conf.tries) {
                fail(c, DHCPC_EV_TIMEOUT, out);
                break;
            }
            build(c, now, DHCP_REQUEST, out);
            c->timer_at = retransmit_at(c, now);
            break;
        }
        if (now >= c->expire_at) {
            /* RFC 2131 section 4.4.5: the lease expired; stop using the
             * address and start over. */
            out->ev = DHCPC_EV_EXPIRED;
            memset(&c->lease, 0, sizeof(c->lease));
            send_discover(c, now, out);
            break;
        }
        if (c->state == DHCPC_ST_RENEWING && now >= c->t2_at) {
            /* T2: any server may extend the lease now, so broadcast. */
            c->state = DHCPC_ST_REBINDING;
            new_exchange(c, now);
        }
        build(c, now, DHCP_REQUEST, out);
        c->timer_at = halfway_at(c, now, c->state == DHCPC_ST_RENEWING ? c->t2_at : c->expire_at);
        break;
    default:
        c->timer_at = DHCPC_NO_TIMER;
        break;
    }
    out->timer_at = c->timer_at;
}

/* An OFFER we can use (RFC 2131 section 4.4.1): a server identifier to
 * answer, and an address a host may own. */
static bool take_offer(struct dhcpc *c, const struct dhcp_msg *m, struct dhcpc_out *out)
{
    struct dhcpc_lease l;
    if (dhcpc_lease_from_msg(&l, m, 0, false) != 0 || l.server_id == 0 ||
        !dhcpc_lease_addr_usable(l.addr) || !dhcpc_lease_addr_usable(l.server_id)) {
        out->drop = DHCPC_DROP_BAD_OFFER;
        return false;
    }
    c->offer = l;
    return true;
}

static void got_nak(struct dhcpc *c, uint64_t now, struct dhcpc_out *out)
{
    c->naks++;
    memset(&c->lease, 0, sizeof(c->lease));
    c->t1_at = c->t2_at = c->expire_at = DHCPC_NO_TIMER;
    bool one_shot_renew = !c->conf.persist && c->conf.mode != DHCPC_MODE_OBTAIN;
    if (one_shot_renew || (!c->conf.persist && c->naks > c->conf.max_naks)) {
        fail(c, DHCPC_EV_NAK, out);
        return;
    }
    /* RFC 2131 section 3.1 step 5 / 4.4.4: a NAK sends the client back to
     * INIT; it restarts with a fresh DISCOVER, no longer asking for the
     * refused address. */
    out->ev = DHCPC_EV_NAK;
    c->conf.requested = 0;
    send_discover(c, now, out);
}

void dhcpc_input(struct dhcpc *c, uint64_t now, const uint8_t *buf, size_t len,
                 struct dhcpc_out *out)
{
    out_reset(out);
    out->timer_at = c->timer_at;
    struct dhcp_msg m;
    uint8_t type;
    if (dhcp_msg_parse(&m, buf, len) != 0) {
        out->drop = DHCPC_DROP_MALFORMED;
        return;
    }
    int trc = dhcp_msg_type(&m, &type);
    if (m.op != DHCP_OP_REPLY || trc == -ENOENT) {
        out->drop = DHCPC_DROP_NOT_REPLY;
        return;
    }
    if (m.xid != c->xid) {
        out->drop = DHCPC_DROP_XID;
        return;
    }
    if (m.htype != c->conf.htype || m.hlen != c->conf.hlen ||
        memcmp(m.chaddr, c->conf.chaddr, c->conf.hlen) != 0) {
        out->drop = DHCPC_DROP_CHADDR;
        return;
    }
    if (trc != 0) {
        out->drop = trc == -EBADMSG ? DHCPC_DROP_MALFORMED : DHCPC_DROP_UNEXPECTED;
        return;
    }
    uint32_t sid = 0;
    (void)dhcp_msg_get_addr(&m, DHCP_OPT_SERVER_ID, &sid);

    switch (c->state) {
    case DHCPC_ST_SELECTING:
        if (type != DHCP_OFFER) {
            out->drop = DHCPC_DROP_UNEXPECTED;
            return;
        }
        /* The first acceptable OFFER wins: RFC 2131 section 4.4.1 lets the
         * client choose, and waiting for more only slows every lease. */
        if (!take_offer(c, &m, out))
            return;
        c->state = DHCPC_ST_REQUESTING;
        c->sent = 0; /* same xid (section 4.4.1), fresh retransmissions */
        build(c, now, DHCP_REQUEST, out);
        c->timer_at = retransmit_at(c, now);
        break;
    case DHCPC_ST_REQUESTING:
    case DHCPC_ST_RENEWING:
    case DHCPC_ST_REBINDING:
    case DHCPC_ST_REBOOTING: {
        uint32_t want = c->state == DHCPC_ST_REQUESTING ? c->offer.server_id : c->lease.server_id;
        /* RFC 2131 section 4.4.1: answers from servers we did not pick
         * are not ours to act on.  In REBINDING and REBOOTING any server
         * may answer. */
        bool any = c->state == DHCPC_ST_REBINDING || c->state == DHCPC_ST_REBOOTING;
        if (!any && sid && sid != want) {
            out->drop = DHCPC_DROP_SERVER;
            return;
        }
        if (type == DHCP_NAK) {
            got_nak(c, now, out);
            break;
        }
        if (type != DHCP_ACK) {
            out->drop = DHCPC_DROP_UNEXPECTED;
            return;
        }
        struct dhcpc_lease l;
        if (dhcpc_lease_from_msg(&l, &m, 0, true) != 0 || !dhcpc_lease_addr_usable(l.addr)) {
            out->drop = DHCPC_DROP_BAD_ACK;
            return;
        }
        if (l.server_id == 0)
            l.server_id = c->state == DHCPC_ST_REBOOTING ? c->conf.prev.server_id : want;
        bool renewing = c->state == DHCPC_ST_RENEWING || c->state == DHCPC_ST_REBINDING;
        /* A renewal answered with another address is a new lease. */
        out->ev = renewing && l.addr == c->lease.addr ? DHCPC_EV_RENEWED : DHCPC_EV_BOUND;
        bind_lease(c, &l);
        break;
    }
    case DHCPC_ST_INFORMING: {
        if (type != DHCP_ACK) {
            out->drop = DHCPC_DROP_UNEXPECTED;
            return;
        }
        struct dhcpc_lease l;
        if (dhcpc_lease_from_msg(&l, &m, c->conf.ciaddr, false) != 0) {
            out->drop = DHCPC_DROP_BAD_ACK;
            return;
        }
        /* RFC 2131 section 4.3.5: the answer carries no lease; yiaddr is
         * 0 and ciaddr is ours. */
        l.addr = c->conf.ciaddr;
        l.broadcast = l.addr | ~l.mask;
        c->lease = l;
        c->state = DHCPC_ST_DONE;
        c->timer_at = DHCPC_NO_TIMER;
        out->ev = DHCPC_EV_INFORMED;
        break;
    }
    default:
        out->drop = DHCPC_DROP_UNEXPECTED;
        return;
    }
    out->timer_at = c->timer_at;
}

const char *dhcpc_state_name(enum dhcpc_state s)
{
    static const char *const names[] = {"INIT",      "SELECTING", "REQUESTING", "BOUND", "RENEWING",
                                        "REBINDING", "INFORMING", "REBOOTING",  "DONE",  "FAILED"};
    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

const char *dhcpc_drop_name(enum dhcpc_drop d)
{
    static const char *const names[] = {
        "none",
        "malformed",
        "not a DHCP reply",
        "another transaction (xid)",
        "another client (chaddr)",
        "unexpected message type",
        "from a server not chosen",
        "unusable OFFER",
        "unusable ACK",
    };
    return (unsigned)d < sizeof(names) / sizeof(names[0]) ? names[d] : "?";
}
