/*
 * roothints: the servers of the root zone that iteration starts from.
 *
 * Built in are the IANA root hints (https://www.internic.net/domain/
 * named.root); a file in the same "named.root" master-file subset may
 * replace them: labnet-dnsd's root-hints setting (resolver_config.
 * root_hints, which is how tests point the resolver at a private
 * hierarchy) and labnet-dig's +trace --root-hints both read it here, so
 * the two accept exactly the same files.  Accepted lines:
 *
 *     ; comment
 *     .                     3600000  [IN] NS    A.ROOT-SERVERS.NET.
 *     A.ROOT-SERVERS.NET.   3600000  [IN] A     198.41.0.4
 *     A.ROOT-SERVERS.NET.   3600000  [IN] AAAA  2001:503:ba3e::2:30
 *
 * The TTL and class are optional and may come in either order; NS records
 * must be owned by the root; other types are refused;
 * address records of names that are not root servers are ignored.
 * Nothing here allocates or does I/O except roothints_load reading its
 * file.
 */
#ifndef LABNET_COMMON_ROOTHINTS_H
#define LABNET_COMMON_ROOTHINTS_H

#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/dns_name.h"

#define ROOTHINTS_MAX_NS    32 /* IANA lists 13 */
#define ROOTHINTS_MAX_ADDR  4  /* addresses kept per server */
#define ROOTHINTS_MAX_LINE  1024
#define ROOTHINTS_MAX_BYTES (1u << 20) /* a named.root is about 3 KiB */

struct roothints_server {
    uint8_t name[DNS_NAME_MAXLEN]; /* wire form, as written */
    struct net_addr addr[ROOTHINTS_MAX_ADDR];
    size_t naddr;
};

struct roothints {
    struct roothints_server ns[ROOTHINTS_MAX_NS];
    size_t nns;
};

/* Parses named.root text[0..len) (need not be NUL-terminated) into h.
 * Returns 0, or -EBADMSG with "LINE: reason" (1-based line number) in
 * err[0..errcap) for: a line over ROOTHINTS_MAX_LINE, a bad name, TTL,
 * class, type or address, an NS not owned by the root, a missing or extra
 * field, a $ directive, more than ROOTHINTS_MAX_NS servers, or (line 0) no
 * root server with an address at all.  Servers without an address are
 * dropped; addresses past ROOTHINTS_MAX_ADDR per server are ignored. */
int roothints_parse(struct roothints *h, const char *text, size_t len, char *err, size_t errcap);

/* Reads and parses the file at path; err as roothints_parse, prefixed
 * with the path.  Also fails for an unreadable file or one larger than
 * ROOTHINTS_MAX_BYTES (-errno / -E2BIG). */
int roothints_load(struct roothints *h, const char *path, char *err, size_t errcap);

/* Fills h with the built-in IANA hints. */
void roothints_builtin(struct roothints *h);

#endif
