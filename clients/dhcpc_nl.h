/*
 * dhcpc_nl: configuring a lease on an interface through rtnetlink (a raw
 * NETLINK_ROUTE socket, RFC 3549; no libnl): the address with its lifetime
 * and the default route.  Each call opens a socket, sends one request with
 * NLM_F_ACK, waits at most one second for the kernel's answer and closes.
 * Addresses are network order.
 */
#ifndef LABNET_CLIENTS_DHCPC_NL_H
#define LABNET_CLIENTS_DHCPC_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Adds (or, with replace, updates the lifetimes of) addr/prefix with
 * broadcast brd on ifindex.  valid_s and preferred_s are lifetimes in
 * seconds; 0xffffffff is forever.  Returns 0 or -errno from the kernel. */
int dhcpc_nl_addr_add(int ifindex, uint32_t addr, int prefix, uint32_t brd, uint32_t valid_s,
                      uint32_t preferred_s);

/* Deletes addr/prefix from ifindex.  -EADDRNOTAVAIL when it is not there. */
int dhcpc_nl_addr_del(int ifindex, uint32_t addr, int prefix);

/* Adds (replacing any) the IPv4 default route via gateway on ifindex, with
 * preferred source src (0: none) and the given metric. */
int dhcpc_nl_route_add(int ifindex, uint32_t gateway, uint32_t src, uint32_t metric);

/* Deletes that default route.  -ESRCH when it is not there. */
int dhcpc_nl_route_del(int ifindex, uint32_t gateway, uint32_t metric);

/* Fills msg[0..cap) with an RTM_NEWADDR/RTM_DELADDR request (for tests and
 * for dhcpc_nl_addr_*).  Returns its length or -EMSGSIZE. */
int dhcpc_nl_addr_msg(uint8_t *msg, size_t cap, bool add, int ifindex, uint32_t addr, int prefix,
                      uint32_t brd, uint32_t valid_s, uint32_t preferred_s, uint32_t seq);

#endif
