/*
 * dns_roots: IANA's root hints, the one copy labnet-dnsd (dnsd/roothints.c)
 * and labnet-dig +trace (clients/dig_trace.c) start from when no hints file
 * is given.  Text in named.root's format, parsed by each program's reader.
 */
#ifndef LABNET_DNS_ROOTS_H
#define LABNET_DNS_ROOTS_H

/* From https://www.internic.net/domain/named.root (last changed
 * 2023-11-28, for b.root-servers.net's new addresses).  NUL-terminated. */
extern const char dns_roots_iana[];

#endif
