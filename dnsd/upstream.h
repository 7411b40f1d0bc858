/*
 * upstream: one query to one authoritative server or forwarder, over UDP
 * and, when the reply is truncated, again over TCP (RFC 7766 5).
 *
 * Hardening (RFC 5452): every query gets a fresh UDP socket bound to port 0
 * (the kernel picks a random ephemeral source port) and a fresh random ID
 * from getrandom(2); with use_0x20 the letters of the question are sent in
 * random case (draft-vixie-dnsext-dns0x20).  A datagram is accepted only
 * if it comes from the address and port queried, parses, has QR set, the
 * ID sent, one question equal to the one sent (octet for octet under
 * 0x20) and opcode QUERY; anything else is counted and ignored, and the
 * query keeps waiting for the real reply until its timeout.
 *
 * Lifetime: a query owns its handles and frees itself in their close
 * callbacks after it completes or is cancelled; the loop must run for that.
 */
#ifndef LABNET_DNSD_UPSTREAM_H
#define LABNET_DNSD_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "common/addr.h"
#include "common/dns_msg.h"
#include "common/dns_name.h"

/* Records parsed from one reply; a reply with more is rejected as a
 * failure of that server (our RRsets are capped the same). */
#define UPSTREAM_MAX_RR 256
/* EDNS payload size we advertise (DNS flag day 2020: avoids
 * fragmentation); larger answers come over TCP. */
#define UPSTREAM_EDNS_SIZE 1232

struct upstream_params {
    struct net_addr to; /* address and port (port 0 is taken as 53) */
    const uint8_t *qname;
    uint16_t qtype, qclass;
    bool rd;             /* recursion desired: forwarders only */
    bool use_0x20;       /* randomise the case of the question */
    bool edns;           /* send an OPT record */
    unsigned timeout_ms; /* for the UDP exchange, and again for TCP */
};

/* Counters a resolver keeps for its queries (tests read them). */
struct upstream_stats {
    uint64_t sent_udp, sent_tcp, ignored, timeouts;
};

struct upstream_query;

/* The outcome: status 0 with reply (parsed, matched; valid only during the
 * call) and rtt_ms, or status -ETIMEDOUT, -ECONNRESET (TCP closed early),
 * -EBADMSG (unusable TCP reply, or too many records), or another negative
 * errno from the socket layer; reply is NULL then.  Called exactly once
 * unless the query is cancelled, and never from inside upstream_query_start. */
typedef void (*upstream_cb)(void *arg, int status, const struct dns_msg *reply, uint64_t rtt_ms);

/* Sends the query.  Returns 0 and *out (valid until the callback runs or
 * upstream_query_cancel), or a negative errno (nothing started, no
 * callback).  stats (may be NULL) must outlive the query. */
int upstream_query_start(uv_loop_t *loop, const struct upstream_params *p, upstream_cb cb,
                         void *arg, struct upstream_stats *stats, struct upstream_query **out);

/* Stops q; its callback will not be called. */
void upstream_query_cancel(struct upstream_query *q);

/*
 * Checks a reply buf[0..len) to the query with ID id and question
 * (qname exactly as sent, qtype, qclass) and parses it into m (whose qd/rr
 * arrays the caller sets).  exact_case: the echoed QNAME must match octet
 * for octet (0x20).  Returns 0, or -EBADMSG (malformed, not a reply,
 * another ID or question, an opcode other than QUERY), -E2BIG (more
 * records than m holds).  The source address is the caller's to check.
 */
int upstream_reply_check(const uint8_t *buf, size_t len, uint16_t id, const uint8_t *qname,
                         uint16_t qtype, uint16_t qclass, bool exact_case, struct dns_msg *m);

/* Fills buf with n random bytes (getrandom(2)); 0 or -errno. */
int upstream_random(void *buf, size_t n);

#endif
