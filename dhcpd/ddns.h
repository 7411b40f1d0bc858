/*
 * ddns: labnet-dhcpd publishes its leases in DNS with RFC 2136 UPDATE
 * messages signed with TSIG (RFC 8945), as BIND's nsupdate would send them.
 *
 * Two halves.  The pure half (no sockets, no clock) picks a lease's DNS
 * label from the client's option 81 / option 12 or its reservation,
 * derives reverse names and zones, builds and signs the UPDATE messages and
 * judges the replies; unit tests and the fuzzer drive it directly.  The
 * I/O half (struct ddns_client) sends the queued updates one at a time on
 * a libuv loop over UDP, waits for a signed NOERROR, retries on silence,
 * and logs one line per published or withdrawn name.  The DHCP path never
 * waits for it: the server queues updates after the ACKs went out.
 *
 * Policy (docs/dhcpd.md, "DNS updates"): adding a name deletes the A RRset
 * at the name and adds the lease's address; withdrawing deletes just that
 * A record (class NONE), so a name a newer lease took over survives.  RFC
 * 4703 DHCID conflict resolution is not done: the latest client to claim
 * a name gets it.
 */
#ifndef LABNET_DHCPD_DDNS_H
#define LABNET_DHCPD_DDNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "common/dns_name.h"
#include "common/dns_tsig.h"
#include "common/log.h"
#include "dhcpd/conf.h"

#define DDNS_QUEUE_MAX  512   /* queued updates; more are dropped with a warning */
#define DDNS_TRIES      3     /* sends of one message before giving up */
#define DDNS_TIMEOUT_MS 2000  /* wait for a reply, per send */
#define DDNS_SCAN_MS    10000 /* expired leases are looked for this often */
#define DDNS_MSG_MAX    1024  /* an UPDATE of ours, TSIG included, fits easily */

/* ---- names ------------------------------------------------------------ */

/*
 * Picks the DNS label for a client, into out (DNS_LABEL_MAXLEN + 1 bytes,
 * lower case, NUL-terminated): a reservation's hostname (reserved, NULL or
 * "" for none) first, then option 81 (fqdn[0..fqdn_len), the raw option
 * value, NULL when absent; only its first label is used, under our forward
 * zone), then option 12 (host[0..host_len), raw, NULL when absent; up to
 * its first dot).  A label is letters, digits and '-', not at either end,
 * 1..63 long; anything else is refused, never repaired.
 * Returns 1 with out set; 0 when there is nothing to publish (no name, or
 * option 81 with N set: RFC 4702 2.1, the client wants no update); -EINVAL
 * when the chosen name is not a valid label (out holds nothing).
 */
int ddns_label_pick(const char *reserved, const uint8_t *fqdn, size_t fqdn_len, const uint8_t *host,
                    size_t host_len, char *out);

/* The PTR owner of addr (network order): "d.c.b.a.in-addr.arpa." in wire
 * form, into out (DNS_NAME_MAXLEN bytes). */
void ddns_reverse_name(uint32_t addr, uint8_t *out);

/* The reverse zone of net/prefix (network order) for prefixes 8, 16 and
 * 24 (RFC 1035 3.5, whole octets only), into out.  0 or -ENOTSUP. */
int ddns_reverse_zone(uint32_t net, uint8_t prefix, uint8_t *out);

/* The zone sub's leases are published under: [ddns] forward-zone, else
 * the subnet's domain (lower case, wire form, into zone: DNS_NAME_MAXLEN).
 * 0, or -ENOENT when there is none (nothing is published). */
int ddns_forward_zone(const struct dhcpd_conf *c, const struct dhcpd_subnet *sub, uint8_t *zone);

/* label + "." + zone (wire) into out (DNS_NAME_MAXLEN).  0 or -EMSGSIZE. */
int ddns_fqdn(const char *label, const uint8_t *zone, uint8_t *out);

/* ---- messages --------------------------------------------------------- */

/* One name to publish or withdraw: the A record and its PTR.  Zones and
 * names are wire form; the forward zone is the parent of fqdn. */
struct ddns_rec {
    bool add;      /* publish (else withdraw) */
    bool has_ptr;  /* a reverse zone covers addr */
    uint32_t addr; /* network order */
    uint32_t ttl;
    uint8_t fqdn[DNS_NAME_MAXLEN];
    uint8_t ptr[DNS_NAME_MAXLEN];      /* ddns_reverse_name(addr) */
    uint8_t rev_zone[DNS_NAME_MAXLEN]; /* zone holding ptr */
};

/*
 * Builds and signs the UPDATE for one half of r (reverse: the PTR, else
 * the A record) into buf[0..cap) with ID id, key k and time now (Unix
 * seconds).  Forward add: zone = parent of fqdn; updates "delete A RRset
 * at fqdn" (class ANY) then "add fqdn A addr" (class IN, TTL r->ttl).
 * Forward withdraw: "delete fqdn A addr" (class NONE).  Reverse add:
 * "delete PTR RRset at ptr", "add ptr PTR fqdn"; reverse withdraw: "delete
 * PTR RRset at ptr".  The request MAC goes to mac (DNS_TSIG_MAC_MAX) and
 * *mac_len: the reply is signed over it.  Returns 0, -EMSGSIZE, -EINVAL
 * (reverse without has_ptr, or fqdn the root), -EIO (OpenSSL).
 */
int ddns_msg_build(const struct ddns_rec *r, bool reverse, uint16_t id,
                   const struct dns_tsig_key *k, uint64_t now, uint8_t *buf, size_t cap,
                   size_t *len, uint8_t *mac, size_t *mac_len);

/* What a datagram from the server means for the update with ID id. */
enum ddns_reply {
    DDNS_REPLY_NOT_OURS = 0, /* malformed, not a response, other ID: ignore */
    DDNS_REPLY_OK,           /* signed correctly over our request's MAC; see *rcode */
    DDNS_REPLY_UNSIGNED,     /* no TSIG: an answer we cannot trust */
    DDNS_REPLY_BAD_TSIG,     /* the TSIG does not verify (*tsig_err says why) */
    DDNS_REPLY_TSIG_ERROR,   /* the server refused our TSIG: *tsig_err from it */
};

/*
 * Judges reply pkt[0..len) to the request with ID id and MAC req_mac,
 * signed with k, at time now.  *rcode gets the header RCODE of any
 * response of ours; *tsig_err the TSIG error (ours with BAD_TSIG, the
 * server's with TSIG_ERROR).  Reads pkt only within len; never allocates.
 */
enum ddns_reply ddns_reply_check(const uint8_t *pkt, size_t len, uint16_t id,
                                 const struct dns_tsig_key *k, uint64_t now, const uint8_t *req_mac,
                                 size_t req_mac_len, uint16_t *rcode, uint16_t *tsig_err);

/* ---- the sender ------------------------------------------------------- */

struct ddns_stats {
    uint64_t queued, dropped, sends, timeouts, bad_replies, done, failed;
};

struct ddns_client {
    uv_loop_t *loop;
    struct dhcpd_ddns_conf conf; /* a copy: reloads replace it */
    uv_udp_t udp;
    uv_timer_t timer; /* reply timeout */
    uv_timer_t scan;  /* periodic callback for the expiry scan */
    bool udp_open;
    int open_handles;
    uint32_t timeout_ms, scan_ms; /* DDNS_TIMEOUT_MS, DDNS_SCAN_MS; tests shorten */
    void (*scan_cb)(void *arg);
    void *scan_arg;
    /* The queue: a ring of DDNS_QUEUE_MAX records; q[head] is in flight. */
    struct ddns_rec *q;
    size_t head, n;
    bool busy, reverse;
    int tries;
    uint16_t id;
    uint8_t mac[DNS_TSIG_MAC_MAX];
    size_t mac_len;
    char result[2][48]; /* how the forward and reverse halves ended */
    bool failed[2];
    struct ddns_stats st;
    struct log_ratelimit rl;
};

/*
 * Starts the sender on loop with a copy of conf (when conf->enabled, opens
 * a UDP socket connected to the server: only its datagrams come back; the
 * kernel picks a random source port).  scan_cb(scan_arg), when not NULL,
 * runs every scan_ms.  Returns 0 or a negative errno (logged); stop it
 * either way.
 */
int ddns_client_start(struct ddns_client *c, uv_loop_t *loop, const struct dhcpd_ddns_conf *conf,
                      void (*scan_cb)(void *), void *scan_arg);

/* Takes a reloaded configuration: key, zones and TTL apply to the next
 * update; a new server address only after a restart (logged). */
void ddns_client_reconf(struct ddns_client *c, const struct dhcpd_ddns_conf *conf);

/* Queues r (copied).  Sending starts at the next ddns_client_kick, so the
 * caller can make its own state durable first.  Returns 0, -ENOTCONN when
 * the sender is off, -E2BIG when the queue is full (dropped, warned with a
 * rate limit). */
int ddns_client_submit(struct ddns_client *c, const struct ddns_rec *r);

/* Starts sending the queue if nothing is in flight. */
void ddns_client_kick(struct ddns_client *c);

/* Closes the handles (whatever is queued is dropped); the loop ends when
 * c->open_handles is 0.  Then ddns_client_free. */
void ddns_client_stop(struct ddns_client *c);
void ddns_client_free(struct ddns_client *c);

#endif
