/*
 * dhcpc_lease: what labnet-dhcp learned from a DHCPACK, and every way it
 * leaves the program -- shell variables, JSON, the hook script's
 * environment and the lease file that --renew/--release read back.
 *
 * Everything a server sends is hostile until proven otherwise: text options
 * (domain, host name) are kept as the raw bytes, and each printer escapes
 * them for its own syntax, so no server string can inject shell code or
 * break a JSON document.  Addresses are uint32_t in network order
 * (dhcp_msg.h).  Nothing here allocates.
 */
#ifndef LABNET_CLIENTS_DHCPC_LEASE_H
#define LABNET_CLIENTS_DHCPC_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/dhcp_msg.h"

#define DHCPC_MAX_ROUTERS    4
#define DHCPC_MAX_DNS        8
#define DHCPC_TEXT_MAX       255         /* one option's worth (RFC 2132 section 2) */
#define DHCPC_LEASE_INFINITE 0xffffffffu /* RFC 2131 section 3.3 */

struct dhcpc_lease {
    uint32_t addr;      /* yiaddr (ciaddr for an INFORM answer) */
    uint32_t mask;      /* option 1, or the classful default when absent */
    uint32_t broadcast; /* option 28, or addr | ~mask */
    uint32_t server_id; /* option 54 */
    uint32_t routers[DHCPC_MAX_ROUTERS];
    size_t n_routers;
    uint32_t dns[DHCPC_MAX_DNS];
    size_t n_dns;
    uint8_t domain[DHCPC_TEXT_MAX]; /* option 15, raw bytes (no NUL inside) */
    size_t domain_len;
    uint8_t hostname[DHCPC_TEXT_MAX]; /* option 12 */
    size_t hostname_len;
    uint32_t lease_s; /* option 51; DHCPC_LEASE_INFINITE = forever */
    uint32_t t1_s;    /* option 58 or lease/2 (RFC 2131 section 4.4.5) */
    uint32_t t2_s;    /* option 59 or lease*7/8 */
};

/*
 * Fills *l from a parsed reply m (OFFER or ACK): yiaddr, or ciaddr_fallback
 * when yiaddr is 0 (the answer to an INFORM).  Malformed optional options
 * (a 3-byte router list, a domain of NULs) are left out rather than failing
 * the lease; a malformed option 51 or 54 is -EBADMSG, as is an absent 51
 * when need_lease_time.  T1/T2 that are absent or out of order (not
 * T1 <= T2 <= lease) fall back to the RFC 2131 section 4.4.5 defaults.
 * Returns 0 or -EBADMSG.
 */
int dhcpc_lease_from_msg(struct dhcpc_lease *l, const struct dhcp_msg *m, uint32_t ciaddr_fallback,
                         bool need_lease_time);

/* Prefix length of a contiguous netmask, or -1 when the mask has holes. */
int dhcpc_lease_prefix(uint32_t mask);

/* True for an address a server may hand out: not 0/8, loopback, multicast,
 * class E or limited broadcast. */
bool dhcpc_lease_addr_usable(uint32_t addr);

/*
 * Prints l as shell assignments (one per line: interface, ip, subnet, mask
 * (prefix length), broadcast, router, dns, domain, hostname, lease, t1, t2,
 * serverid), every value single-quoted with ' written as '\'' so that
 * `eval "$(labnet-dhcp ...)"` assigns bytes and never runs anything.
 * Returns 0 or -EIO when the stream failed.
 */
int dhcpc_lease_print_shell(FILE *f, const struct dhcpc_lease *l, const char *ifname);

/* Prints l as one JSON object.  Strings escape ", \ and every byte below
 * 0x20 or above 0x7e as \u00XX, so the document is valid JSON (and ASCII)
 * whatever bytes the server sent.  Returns 0 or -EIO. */
int dhcpc_lease_print_json(FILE *f, const struct dhcpc_lease *l, const char *ifname);

/*
 * Builds the hook script's environment in udhcpc's names (interface, ip,
 * subnet, mask, broadcast, router, dns, domain, hostname, lease, serverid,
 * plus t1, t2): entries "NAME=value" are written into buf[0..cap) and
 * pointers to them into env[0..env_cap), NULL-terminated.  Text options go
 * in only when they are a plausible DNS name (letters, digits, '-', '_',
 * '.'): a script that writes "search $domain" into resolv.conf must not be
 * handed a newline.  Returns the number of entries or -EMSGSIZE.
 */
int dhcpc_lease_env(const struct dhcpc_lease *l, const char *ifname, char *buf, size_t cap,
                    char **env, size_t env_cap);

/* True when text[0..len) is non-empty and only letters, digits, '-', '_'
 * and '.'. */
bool dhcpc_lease_text_is_name(const uint8_t *text, size_t len);

/*
 * Lease file: "key=value" lines (interface, ip, subnet, router, serverid,
 * lease, t1, t2, obtained -- unix time), written atomically
 * (clients/atomic_file.h).  Only the fields needed to renew, rebind,
 * release or decline are kept.  save returns 0 or -errno.
 */
int dhcpc_lease_save(const char *path, const struct dhcpc_lease *l, const char *ifname,
                     int64_t obtained);

/* Reads a file written by dhcpc_lease_save; unknown keys are ignored, lines
 * over 255 bytes and malformed values are -EBADMSG, a file without ip and
 * serverid is -EBADMSG, a missing file -ENOENT.  *obtained may be NULL. */
int dhcpc_lease_load(const char *path, struct dhcpc_lease *l, int64_t *obtained);

#endif
