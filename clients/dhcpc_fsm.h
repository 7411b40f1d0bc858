/*
 * dhcpc_fsm: the DHCPv4 client state machine of RFC 2131 section 4.4
 * (figure 5), as a pure module: it takes the time, received datagrams and
 * timer expiries, and returns what to send, when to be called again and
 * what happened.  It never touches a socket, a clock or a file, so every
 * transition is unit-tested without a network.
 *
 *   INIT -> SELECTING (DISCOVER) -> REQUESTING (REQUEST) -> BOUND
 *   INIT-REBOOT -> REBOOTING (REQUEST for a remembered lease) -> BOUND, or
 *   -> INIT after DHCPC_REBOOT_TRIES transmissions without an answer
 *   BOUND -(T1)-> RENEWING (unicast REQUEST) -(T2)-> REBINDING (broadcast)
 *   -(expiry)-> INIT;  a NAK anywhere -> INIT.
 *
 * One-shot modes start elsewhere: --renew in RENEWING, --rebind in
 * REBINDING, --inform in INFORMING; --release and --decline only send.
 * Times are milliseconds on the caller's monotonic clock.  Randomness
 * (xid, back-off jitter) comes from a generator seeded by the caller, so
 * tests are deterministic.  Addresses are network order (dhcp_msg.h).
 */
#ifndef LABNET_CLIENTS_DHCPC_FSM_H
#define LABNET_CLIENTS_DHCPC_FSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clients/dhcpc_lease.h"
#include "common/dhcp_msg.h"

#define DHCPC_PKT_MAX  576 /* what we send fits the minimum (RFC 2131 section 2) */
#define DHCPC_NO_TIMER UINT64_MAX
/* REQUESTs in REBOOTING before falling back to DISCOVER: a server with no
 * record of us stays silent (RFC 2131 section 4.3.2), so this bounds how
 * long a move to another network delays the new lease (dhclient waits
 * 10 s; this is one back-off plus the next, 12 s by default). */
#define DHCPC_REBOOT_TRIES 2

enum dhcpc_mode {
    DHCPC_MODE_OBTAIN,  /* DISCOVER/OFFER/REQUEST/ACK */
    DHCPC_MODE_RENEW,   /* unicast REQUEST for the lease in conf.prev */
    DHCPC_MODE_REBIND,  /* broadcast REQUEST for the lease in conf.prev */
    DHCPC_MODE_INFORM,  /* INFORM for conf.ciaddr: options only */
    DHCPC_MODE_RELEASE, /* RELEASE conf.prev, no answer expected */
    DHCPC_MODE_DECLINE, /* DECLINE conf.prev, no answer expected */
};

enum dhcpc_state {
    DHCPC_ST_INIT,
    DHCPC_ST_SELECTING,
    DHCPC_ST_REQUESTING,
    DHCPC_ST_BOUND,
    DHCPC_ST_RENEWING,
    DHCPC_ST_REBINDING,
    DHCPC_ST_INFORMING,
    DHCPC_ST_REBOOTING, /* INIT-REBOOT: REQUEST for conf.prev sent */
    DHCPC_ST_DONE,      /* one-shot mode finished: exit 0 */
    DHCPC_ST_FAILED,    /* one-shot mode gave up: see dhcpc.result */
};

/* What happened during one call (at most one event per call). */
enum dhcpc_event {
    DHCPC_EV_NONE,
    DHCPC_EV_BOUND,    /* a new lease (dhcpc.lease): configure it */
    DHCPC_EV_RENEWED,  /* the lease was extended (maybe changed) */
    DHCPC_EV_NAK,      /* a NAK: drop any configured address */
    DHCPC_EV_EXPIRED,  /* the lease ran out: drop the address */
    DHCPC_EV_TIMEOUT,  /* no answer after every retransmission */
    DHCPC_EV_INFORMED, /* the answer to an INFORM (dhcpc.lease, no lease time) */
    DHCPC_EV_SENT,     /* RELEASE or DECLINE went out: done */
};

/* Why a received datagram was ignored (for -v; never an error). */
enum dhcpc_drop {
    DHCPC_DROP_NONE,
    DHCPC_DROP_MALFORMED,  /* dhcp_msg_parse refused it */
    DHCPC_DROP_NOT_REPLY,  /* op is not BOOTREPLY, or not DHCP (no 53) */
    DHCPC_DROP_XID,        /* another exchange */
    DHCPC_DROP_CHADDR,     /* another client */
    DHCPC_DROP_UNEXPECTED, /* a type this state does not wait for */
    DHCPC_DROP_SERVER,     /* from a server we did not choose */
    DHCPC_DROP_BAD_OFFER,  /* OFFER without server id or usable address */
    DHCPC_DROP_BAD_ACK,    /* ACK without lease time or usable address */
};

struct dhcpc_conf {
    enum dhcpc_mode mode;
    bool persist; /* -d: keep the lease going; else stop after one result */
    uint8_t htype, hlen;
    uint8_t chaddr[DHCP_CHADDR_LEN];
    /* Borrowed: they must outlive the machine. */
    const uint8_t *client_id; /* option 61 value, or NULL */
    size_t client_id_len;
    const char *hostname;    /* option 12 (and 81 when fqdn), or NULL */
    bool fqdn;               /* send option 81 too (RFC 4702) */
    bool broadcast_flag;     /* ask servers to broadcast replies (RFC 2131 4.1) */
    uint32_t requested;      /* OBTAIN: option 50 in DISCOVER (--request) */
    bool reboot;             /* OBTAIN: first try to keep conf.prev (INIT-REBOOT) */
    uint32_t ciaddr;         /* INFORM: our configured address */
    struct dhcpc_lease prev; /* RENEW/REBIND/RELEASE/DECLINE, reboot: the lease file's */
    /* RFC 2131 section 4.1: first retransmission after 4 s, doubling up to
     * 64 s, each randomized by +-1 s.  Tests shorten all three. */
    uint32_t backoff_ms;     /* 4000 */
    uint32_t backoff_max_ms; /* 64000 */
    uint32_t jitter_ms;      /* 1000; at most backoff_ms / 2 is used */
    unsigned tries;          /* transmissions per exchange before giving up (>= 1) */
    uint64_t timeout_ms;     /* one-shot: give up this long after start; 0 = no bound */
    /* RFC 2131 section 4.4.5: in RENEWING/REBINDING wait half the time
     * left, but at least 60 s. */
    uint32_t renew_min_ms;
    unsigned max_naks; /* one-shot OBTAIN: NAKs tolerated before failing */
    uint64_t seed;     /* for xid and jitter; never 0 */
};

/* What the caller does after a call: send pkt if pkt_len, arm the timer
 * for timer_at (DHCPC_NO_TIMER: none), act on ev.  pkt lives in the out
 * struct, which the caller owns. */
struct dhcpc_out {
    uint8_t pkt[DHCPC_PKT_MAX];
    size_t pkt_len;
    uint8_t pkt_type; /* DHCP_DISCOVER.. of pkt */
    bool unicast;     /* send to dst (UDP); else broadcast from src */
    uint32_t dst;     /* unicast: the server */
    uint32_t src;     /* source address for the frame (ciaddr or 0) */
    uint64_t timer_at;
    enum dhcpc_event ev;
    enum dhcpc_drop drop;
};

struct dhcpc {
    struct dhcpc_conf conf;
    enum dhcpc_state state;
    uint32_t xid;
    uint64_t rng;
    unsigned sent;         /* transmissions in this exchange */
    uint64_t exch_start;   /* when this exchange began (secs field) */
    uint64_t start;        /* when the machine started (timeout_ms) */
    uint64_t last_request; /* last REQUEST sent: the lease counts from it */
    unsigned naks;
    struct dhcpc_lease offer;         /* SELECTING: the chosen offer */
    struct dhcpc_lease lease;         /* BOUND and after */
    uint64_t t1_at, t2_at, expire_at; /* absolute, DHCPC_NO_TIMER for infinite */
    uint64_t timer_at;
    enum dhcpc_event result; /* FAILED: DHCPC_EV_NAK or DHCPC_EV_TIMEOUT */
};

/* Copies conf and resets the machine (state INIT).  Returns -EINVAL for a
 * conf that cannot work: hlen > 16, tries 0, backoff 0, a mode that needs
 * prev without prev.addr/server_id, reboot without prev.addr or outside
 * OBTAIN, INFORM without ciaddr. */
int dhcpc_init(struct dhcpc *c, const struct dhcpc_conf *conf);

/* Starts the exchange of conf.mode at time now.  Fills *out. */
void dhcpc_start(struct dhcpc *c, uint64_t now, struct dhcpc_out *out);

/* The timer the last out asked for fired (now >= timer_at; an early call
 * does nothing).  Retransmits with back-off, gives up, or moves BOUND ->
 * RENEWING -> REBINDING -> expired.  Fills *out. */
void dhcpc_timer(struct dhcpc *c, uint64_t now, struct dhcpc_out *out);

/* A datagram arrived (the UDP payload, len bytes, any content).  Replies
 * for another xid or chaddr, malformed ones and types the state does not
 * expect are ignored with out->drop set.  Fills *out. */
void dhcpc_input(struct dhcpc *c, uint64_t now, const uint8_t *buf, size_t len,
                 struct dhcpc_out *out);

/* The delay before retransmission number n (0 = after the first
 * transmission) without jitter: backoff_ms << n, capped at backoff_max_ms. */
uint64_t dhcpc_backoff(const struct dhcpc_conf *conf, unsigned n);

const char *dhcpc_state_name(enum dhcpc_state s);
const char *dhcpc_drop_name(enum dhcpc_drop d);

#endif
