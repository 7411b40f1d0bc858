/*
 * addr: IPv4/IPv6 addresses, "addr:port" endpoints and CIDR prefixes.
 *
 * struct net_addr is a plain value (no pointers, safe to copy and compare
 * with net_addr_eq).  Parsers are strict: the whole string must be consumed,
 * ports are decimal 0..65535 without sign, and a prefix length is within the
 * family's width.  All functions return 0 or -EINVAL and never allocate.
 */
#ifndef LABNET_ADDR_H
#define LABNET_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Longest text net_addr_format_port writes: "[v6%scope]:65535" and a NUL. */
#define NET_ADDR_STRLEN 72

struct net_addr {
    int family;        /* AF_INET or AF_INET6; 0 when unset */
    uint8_t ip[16];    /* network order; IPv4 uses the first 4 bytes */
    uint16_t port;     /* host order; 0 when none was given */
    uint32_t scope_id; /* IPv6 link-local interface index, else 0 */
};

struct net_cidr {
    struct net_addr addr; /* host bits cleared, port 0 */
    uint8_t prefix;       /* 0..32 or 0..128 */
};

/* Parses a bare address: "192.0.2.1", "2001:db8::1", "fe80::1%eth0". */
int net_addr_parse_ip(struct net_addr *a, const char *s);

/* Parses an endpoint: "192.0.2.1", "192.0.2.1:53", "::1", "[::1]",
 * "[::1]:53".  default_port is used when no port is given. */
int net_addr_parse_hostport(struct net_addr *a, const char *s, uint16_t default_port);

/* Formats the address alone ("192.0.2.1", "fe80::1%2") into buf; returns 0,
 * or -ENOSPC when cap is too small (buf then holds an empty string). */
int net_addr_format(const struct net_addr *a, char *buf, size_t cap);

/* Formats "192.0.2.1:53" or "[2001:db8::1]:53". */
int net_addr_format_port(const struct net_addr *a, char *buf, size_t cap);

/* Fills ss from a; returns the sockaddr length, or 0 for an unset address. */
socklen_t net_addr_to_sockaddr(const struct net_addr *a, struct sockaddr_storage *ss);

/* Fills a from an AF_INET or AF_INET6 sockaddr; returns 0 or -EAFNOSUPPORT. */
int net_addr_from_sockaddr(struct net_addr *a, const struct sockaddr *sa);

/* Turns an IPv4-mapped IPv6 address (::ffff:192.0.2.1, as a dual-stack
 * socket reports IPv4 peers) into plain IPv4; other addresses are unchanged. */
void net_addr_unmap(struct net_addr *a);

/* Same family, address, port and scope. */
bool net_addr_eq(const struct net_addr *a, const struct net_addr *b);

bool net_addr_is_loopback(const struct net_addr *a);
bool net_addr_is_any(const struct net_addr *a);

/* Parses "10.0.0.0/8" or "2001:db8::/32"; a bare address is a host prefix.
 * Host bits below the prefix are cleared, as Unbound's access-control does. */
int net_cidr_parse(struct net_cidr *c, const char *s);

/* Formats "10.0.0.0/8". */
int net_cidr_format(const struct net_cidr *c, char *buf, size_t cap);

/* True when a lies inside c.  IPv4-mapped IPv6 addresses match IPv4
 * prefixes; the port and scope are ignored. */
bool net_cidr_contains(const struct net_cidr *c, const struct net_addr *a);

#endif
