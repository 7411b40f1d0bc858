/*
 * dhcpd configuration: built-in defaults, /etc/labnet/dhcpd.conf and the
 * command-line quick setup (--interface, --subnet, --pool, --router, --dns),
 * validated as a whole.  A struct dhcpd_conf is immutable once loaded; a
 * reload builds a new one and the server swaps it in after it validated.
 *
 * Option values a subnet hands out are encoded once, at load time, into the
 * subnet's own buffer (struct dhcpd_subnet.optbuf), so answering a request
 * copies bytes and never re-encodes.
 *
 * Addresses are uint32_t in network order, as in common/dhcp_msg.h.
 */
#ifndef LABNET_DHCPD_CONF_H
#define LABNET_DHCPD_CONF_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/dns_name.h"
#include "common/dns_tsig.h"

#define DHCPD_MAX_IFACES    16
#define DHCPD_MAX_SUBNETS   64
#define DHCPD_MAX_POOLS     8
#define DHCPD_MAX_HOSTS     1024
#define DHCPD_MAX_ADDRS     65536 /* pool and reserved addresses, all subnets */
#define DHCPD_MAX_LIST      8     /* routers, DNS, NTP servers, search names */
#define DHCPD_MAX_ROUTES    16
#define DHCPD_MAX_OPTS      12
#define DHCPD_OPTBUF        1200
#define DHCPD_CLIENT_ID_MAX 64 /* longer option 61 values are refused */
#define DHCPD_HOSTNAME_MAX  63

struct dhcpd_pool {
    uint32_t first, last; /* network order, first <= last (host order) */
};

/* One encoded option value of a subnet: optbuf[off..off+len). */
struct dhcpd_optref {
    uint8_t code;
    uint16_t off, len;
};

struct dhcpd_subnet {
    uint32_t net, mask; /* network order */
    uint8_t prefix;
    struct dhcpd_pool pools[DHCPD_MAX_POOLS];
    size_t n_pools;
    uint32_t lease_s, max_lease_s; /* lease time granted, cap on a client's wish */
    uint32_t t1_s, t2_s;           /* 0: derived (50% and 87.5% of the lease) */
    /* Options 1, 3, 6, 15, 28, 42, 119, 121 as they go on the wire. */
    struct dhcpd_optref opts[DHCPD_MAX_OPTS];
    size_t n_opts;
    uint8_t optbuf[DHCPD_OPTBUF];
    char domain[256]; /* option 15 as configured; "" for none (DDNS zone default) */
};

/* [host NAME]: a reservation, matched by client identifier (option 61)
 * first, then by hardware address. */
struct dhcpd_host {
    char name[DHCPD_HOSTNAME_MAX + 1];
    uint8_t mac[6];
    bool has_mac;
    uint8_t client_id[DHCPD_CLIENT_ID_MAX];
    size_t client_id_len; /* 0: none */
    uint32_t addr;
    char hostname[DHCPD_HOSTNAME_MAX + 1]; /* option 12; "" for none */
};

/* [ddns]: publishing leases in DNS (dhcpd/ddns.h).  Off unless server is
 * set.  Zones are wire-form names; an empty zone (has_* false) means the
 * default: the subnet's domain for the forward zone, the /8, /16 or /24
 * in-addr.arpa zone of the subnet for the reverse one. */
struct dhcpd_ddns_conf {
    bool enabled;
    struct net_addr server; /* port 53 unless given */
    struct dns_tsig_key key;
    bool has_fwd_zone, has_rev_zone;
    uint8_t fwd_zone[DNS_NAME_MAXLEN];
    uint8_t rev_zone[DNS_NAME_MAXLEN];
    uint32_t ttl_s; /* record TTL, also capped by the lease's remaining time */
};

struct dhcpd_conf {
    char ifaces[DHCPD_MAX_IFACES][IF_NAMESIZE];
    size_t n_ifaces;
    char state_dir[4096];
    char user[64];
    char pid_file[4096];
    uint32_t offer_hold_s;         /* how long an OFFER reserves its address */
    uint32_t decline_quarantine_s; /* how long a DECLINEd address rests */
    bool ping_check;               /* ICMP echo before a first offer */
    uint32_t ping_timeout_ms;
    struct dhcpd_subnet subnets[DHCPD_MAX_SUBNETS];
    size_t n_subnets;
    struct dhcpd_host *hosts; /* n_hosts entries, owned */
    size_t n_hosts;
    struct dhcpd_ddns_conf ddns;
};

/* The quick setup of the command line; NULL / 0 fields are absent.  With
 * subnet set, the command line defines one subnet and replaces any from
 * the file; interface is added to the file's list. */
struct dhcpd_overrides {
    const char *iface;
    const char *subnet;
    const char *pool;
    const char *router;
    const char *dns;
    const char *state_dir;
};

/*
 * Loads path (NULL: built-in defaults, which serve nothing until the
 * overrides name an interface and a subnet) and applies ov.  Every error is
 * printed to stderr, one a line, naming file, line, section and key.
 * Returns 0 with *out set (free with dhcpd_conf_free), -EINVAL after
 * errors, or -ENOMEM.
 */
int dhcpd_conf_load(const char *path, const struct dhcpd_overrides *ov, struct dhcpd_conf **out);

/* Builds a configuration from INI text held in memory (tests, fuzzing);
 * errors go to stderr as for dhcpd_conf_load.  ov may be NULL. */
int dhcpd_conf_load_string(const char *text, const struct dhcpd_overrides *ov,
                           struct dhcpd_conf **out);

void dhcpd_conf_free(struct dhcpd_conf *c);

/* The subnet that contains addr (network order), or NULL. */
const struct dhcpd_subnet *dhcpd_conf_subnet_of(const struct dhcpd_conf *c, uint32_t addr);

/* The reservation for a client: by client identifier when the client sent
 * one and a host names it, else by Ethernet address (hlen 6).  NULL when
 * none matches. */
const struct dhcpd_host *dhcpd_conf_host_find(const struct dhcpd_conf *c, const uint8_t *cid,
                                              size_t cid_len, uint8_t htype, uint8_t hlen,
                                              const uint8_t *chaddr);

/* The reservation that owns addr, or NULL. */
const struct dhcpd_host *dhcpd_conf_host_of_addr(const struct dhcpd_conf *c, uint32_t addr);

/* True when addr lies in one of s's pools. */
bool dhcpd_subnet_in_pool(const struct dhcpd_subnet *s, uint32_t addr);

#endif
