/*
 * engine: the DHCPv4 server's protocol state machine (RFC 2131 section 4.3)
 * and allocation policy, as a pure function of (configuration, lease table,
 * arrival interface, packet bytes, time) -> (reply bytes, where to send
 * them, lease table changes).  It never touches a socket, a file or the
 * clock, so unit tests and the fuzzer drive it directly.
 *
 * Lease changes are made in the table and marked dirty; the caller makes
 * them durable (lease_store_commit) BEFORE sending a reply whose
 * needs_commit is set -- an ACK must never promise what a crash forgets.
 */
#ifndef LABNET_DHCPD_ENGINE_H
#define LABNET_DHCPD_ENGINE_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dhcp_msg.h"
#include "common/log.h"
#include "dhcpd/conf.h"
#include "dhcpd/lease.h"

/* Replies are sized for one Ethernet frame without fragments. */
#define DHCPD_REPLY_MAX 1472

/* The interface a request came in on. */
struct dhcpd_iface {
    char name[IF_NAMESIZE];
    int index;
    uint32_t addr; /* its IPv4 address: our server identifier there */
};

/* Where a reply goes (RFC 2131 section 4.1, "server ... sends"). */
enum dhcpd_dest {
    DHCPD_DEST_RELAY,     /* giaddr:67 */
    DHCPD_DEST_CIADDR,    /* the client's own address, unicast, port 68 */
    DHCPD_DEST_BROADCAST, /* 255.255.255.255:68 on the interface */
    DHCPD_DEST_HWADDR,    /* yiaddr:68 delivered to chaddr without ARP */
};

struct dhcpd_out {
    uint8_t buf[DHCPD_REPLY_MAX];
    size_t len;
    uint8_t type; /* DHCP_OFFER, DHCP_ACK or DHCP_NAK */
    enum dhcpd_dest dest;
    uint32_t dest_addr; /* network order; 255.255.255.255 for broadcast */
    uint16_t dest_port; /* host order */
    uint8_t htype, hlen;
    uint8_t chaddr[DHCP_CHADDR_LEN];
    bool needs_commit;   /* send only after the table's dirty entries are stored */
    uint32_t probe_addr; /* DHCPD_PROBE: the address to ping first */
};

/* dhcpd_engine_handle's answer when ping-check wants an address probed
 * before its first offer (see dhcpd_engine_probe_done). */
#define DHCPD_PROBE 2

struct dhcpd_stats {
    uint64_t received, malformed, ignored, offers, acks, naks, declines, releases, informs,
        pool_full, conflicts;
};

struct dhcpd_engine {
    const struct dhcpd_conf *conf;
    struct lease_table *t;
    struct dhcpd_stats st;
    /* Warnings a client can trigger (full pool, declines) are rate-limited. */
    struct log_ratelimit rl;
};

/* Binds e to a configuration and table, both owned by the caller and
 * required to outlive e; zeroes the counters. */
void dhcpd_engine_init(struct dhcpd_engine *e, const struct dhcpd_conf *conf,
                       struct lease_table *t);

/*
 * Handles one received datagram pkt[0..len) that came in on ifc at time now
 * (Unix seconds).  Returns 1 with *out filled when a reply is to be sent, 0
 * when the message calls for none (a REQUEST for another server, a RELEASE,
 * a DECLINE, an INIT-REBOOT we have no record of, a full pool), or
 * -EBADMSG when the message was malformed or not a client's DHCP message
 * (counted, never logged per packet).  Work is bounded by the message size
 * and, on an allocation, one pass over the subnet's addresses.  Every
 * DORA step is logged at info in one line.
 */
int dhcpd_engine_handle(struct dhcpd_engine *e, const struct dhcpd_iface *ifc, const uint8_t *pkt,
                        size_t len, int64_t now, struct dhcpd_out *out);

/*
 * With conf->ping_check, a DISCOVER that would be offered an address never
 * bound nor probed before gets DHCPD_PROBE instead of an OFFER: the address
 * is held for the client (as an offer is) and out->probe_addr names it.
 * The caller pings it and reports here: in_use false marks the address
 * probed (handle the same packet again to get the OFFER); in_use true
 * quarantines it like a DECLINE (logged; handle the packet again for
 * another address).
 */
void dhcpd_engine_probe_done(struct dhcpd_engine *e, uint32_t addr, bool in_use, int64_t now);

#endif
