/*
 * localzone: the lab's own names, answered by labnet-dnsd itself.
 *
 * Records come from "[local] record = NAME [TTL] [IN] TYPE RDATA" lines
 * (A, AAAA, PTR, CNAME, TXT, MX, SRV, NS) and from hosts files in the
 * /etc/hosts format ("ADDRESS NAME [ALIAS...]": A or AAAA for every name,
 * and a PTR from the address's reverse name to the first name).  Names are
 * absolute whether or not they end in a dot.
 *
 * Answers carry AA=1.  Inside a local zone ("[local] zones") the data is
 * the whole truth: a name with no data is NXDOMAIN, a name without the
 * type asked NODATA, both with the zone's synthesized SOA in the authority
 * section (RFC 2308 3) so negative answers are cached for
 * LOCALZONE_NEG_TTL seconds.  Outside every zone a record only answers
 * for its own name (and NODATA for other types there); other names go on
 * to the resolver.  CNAMEs are followed within local data, up to
 * LOCALZONE_MAX_CHAIN links.
 *
 * Build with localzone_new, the *_add / *_parse calls, then
 * localzone_finish; afterwards the object is read-only and may be used by
 * any number of threads at once.  Errors are returned as a negative errno
 * with a one-line reason in the caller's err[0..errcap) buffer.
 */
#ifndef LABNET_DNSD_LOCALZONE_H
#define LABNET_DNSD_LOCALZONE_H

#include <stddef.h>
#include <stdint.h>

#include "common/dns_write.h"

#define LOCALZONE_MAX_ZONES   64
#define LOCALZONE_MAX_RECORDS 1000000
#define LOCALZONE_MAX_HOSTS   (64u << 20) /* hosts file size limit, bytes */
#define LOCALZONE_DEFAULT_TTL 300         /* records without a TTL, hosts entries */
#define LOCALZONE_NEG_TTL     300         /* SOA MINIMUM and TTL of negative answers */
#define LOCALZONE_MAX_CHAIN   8

#ifndef DNS_TYPE_DHCID
#define DNS_TYPE_DHCID 49 /* RFC 4701; local data holds it opaque */
#endif

struct localzone;

/* Returns an empty set, or NULL (ENOMEM).  Free with localzone_free. */
struct localzone *localzone_new(void);
void localzone_free(struct localzone *lz);

/* Declares zone (wire form) local.  0, -E2BIG past LOCALZONE_MAX_ZONES
 * (duplicates are ignored). */
int localzone_zone_add(struct localzone *lz, const uint8_t *zone);

/* Adds one record; rdata is wire RDATA with names uncompressed.  Only the
 * types listed above; the RDATA is checked.  0, -ENOTSUP (type), -EBADMSG
 * (RDATA), -E2BIG (too many records), -ENOMEM. */
int localzone_rr_add(struct localzone *lz, const uint8_t *owner, uint16_t type, uint32_t ttl,
                     const uint8_t *rdata, uint16_t rdlen);

/* Parses and adds "NAME [TTL] [IN] TYPE RDATA" (TXT strings may be
 * quoted, with \" and \\ escapes).  0 or -EINVAL/-E2BIG/-ENOMEM with the
 * reason in err. */
int localzone_record_parse(struct localzone *lz, const char *line, char *err, size_t errcap);

/* Parses hosts-file text[0..len) (need not be NUL-terminated); errors read
 * "NAME:LINE: reason".  Stops at the first error. */
int localzone_hosts_parse(struct localzone *lz, const char *name, const char *text, size_t len,
                          char *err, size_t errcap);

/* Reads and parses the hosts file at path (at most LOCALZONE_MAX_HOSTS). */
int localzone_hosts_load(struct localzone *lz, const char *path, char *err, size_t errcap);

/* Sorts and indexes the data; drops duplicates, and keeps only the first
 * PTR a hosts file gave for one address (as a hosts lookup would).
 * -EINVAL when a name has a CNAME and other data (RFC 1034 3.6.2). */
int localzone_finish(struct localzone *lz, char *err, size_t errcap);

/* Number of records (after finish: distinct ones). */
size_t localzone_count(const struct localzone *lz);

/*
 * Answers (qname, qtype, qclass) from local data into d, which holds the
 * header and question already: writes the answer and authority RRsets,
 * sets d->hdr.rcode and d->hdr.aa, and returns 1.  Returns 0, d
 * untouched, when the name is not local (class not IN/ANY, or outside
 * every zone with no record of its own).  The first answer RRset's owner
 * is written as qname (so a 0x20 client sees its own case).
 */
int localzone_answer(const struct localzone *lz, const uint8_t *qname, uint16_t qtype,
                     uint16_t qclass, struct dns_wr *d);

/* ---- for the dynamic zone store (dnsd/dynzone.h) ---- */

/* One record as stored: pointers into lz, valid while lz lives. */
struct localzone_rr {
    const uint8_t *owner; /* lower case, uncompressed */
    uint16_t type;
    uint32_t ttl;
    const uint8_t *rdata; /* names uncompressed */
    uint16_t rdlen;
};

/* Checks RDATA of type as localzone_rr_add would: 0, -ENOTSUP (a type
 * local data cannot hold), -EBADMSG. */
int localzone_rdata_check(uint16_t type, const uint8_t *rdata, uint16_t rdlen);

/* Sets the serial of the synthesized SOA records (default 1); the dynamic
 * store bumps it on every update (RFC 1996 / RFC 2136 3.6). */
void localzone_serial_set(struct localzone *lz, uint32_t serial);

/* The zones, by index in [0, localzone_zone_count); NULL past the end. */
size_t localzone_zone_count(const struct localzone *lz);
const uint8_t *localzone_zone_get(const struct localzone *lz, size_t i);

/* The deepest local zone holding name (lower case), or NULL. */
const uint8_t *localzone_zone_of(const struct localzone *lz, const uint8_t *name);

/* Record i in [0, localzone_count) into out: 0, or -ENOENT past the end. */
int localzone_rr_get(const struct localzone *lz, size_t i, struct localzone_rr *out);

/* After finish: [*lo, *hi) are the indexes of name's records (name in
 * lower case), sorted by type; empty when the name has none. */
void localzone_name_range(const struct localzone *lz, const uint8_t *name, size_t *lo, size_t *hi);

/* Adds every zone and record of the finished src to dst (not finished).
 * 0, -E2BIG, -ENOMEM. */
int localzone_merge(struct localzone *dst, const struct localzone *src);

#endif
