/*
 * rrset: one RRset as a flat, self-contained blob, the unit the cache
 * stores and the resolver collects answers in.
 *
 * Layout: owner name (uncompressed wire form, in the case it arrived in),
 * TYPE (2), CLASS (2), TTL (4), record count (2), then per record RDLENGTH
 * (2) and RDATA.  RDATA names are held uncompressed, so a blob means the
 * same outside the message it came from; rrset_write compresses them again
 * where RFC 3597 4 allows.  Blobs are built by the resolver from validated
 * messages, but rrset_view still checks every length, so a corrupt blob is
 * an error, never an over-read.
 */
#ifndef LABNET_DNSD_RRSET_H
#define LABNET_DNSD_RRSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dns_msg.h"
#include "common/dns_write.h"
#include "common/wire.h"

/* Cap on records in one RRset we keep (a reply holds at most what our
 * parse array has room for anyway). */
#define RRSET_MAX_RR 256

struct rrset_view {
    const uint8_t *owner; /* into the blob */
    uint16_t type, rclass;
    uint32_t ttl;
    uint16_t nrr;
    const uint8_t *rdata; /* the records: (RDLENGTH, RDATA) pairs */
    size_t rdata_len;
    size_t len; /* the whole blob */
};

/* Views the blob b[0..len).  0, or -EBADMSG if it is not exactly one
 * well-formed blob. */
int rrset_view(const uint8_t *b, size_t len, struct rrset_view *v);

/* Iterates a view's records: it must be a reader over v->rdata.  Returns 1
 * with *rd and *rdlen set, 0 at the end, -EBADMSG on a bad length. */
int rrset_rdata_next(struct wire_rd *it, const uint8_t **rd, uint16_t *rdlen);

/* Builds a blob into buf[0..cap): begin, then add once per record, then
 * finish (which returns the blob length or a negative error: -EMSGSIZE no
 * room, -E2BIG more than RRSET_MAX_RR records).  add skips a record whose
 * RDATA equals one already added (RFC 2181 5: an RRset has no duplicates)
 * and keeps the lowest TTL (RFC 2181 5.2). */
struct rrset_build {
    struct wire_wr w;
    size_t ttl_at, nrr_at, rdata_at;
    uint32_t ttl;
    uint16_t nrr;
    int err;
};
void rrset_build_begin(struct rrset_build *b, void *buf, size_t cap, const uint8_t *owner,
                       uint16_t type, uint16_t rclass, uint32_t ttl);
void rrset_build_add(struct rrset_build *b, const uint8_t *rdata, size_t rdlen, uint32_t ttl);
int rrset_build_finish(struct rrset_build *b);

/* Copies rr's RDATA out of m into out[0..cap), names decompressed (the
 * RFC 1035 types with names, DNAME and SRV).  *len gets the length.
 * Returns 0, -EBADMSG for RDATA that does not decode, -EMSGSIZE. */
int rrset_rdata_from_msg(const struct dns_msg *m, const struct dns_rr *rr, uint8_t *out, size_t cap,
                         size_t *len);

/* The single target name of NS/CNAME/DNAME/PTR RDATA held uncompressed
 * (as in a blob), copied to out (DNS_NAME_MAXLEN).  0 or -EBADMSG. */
int rrset_rdata_name(const uint8_t *rd, size_t rdlen, uint8_t *out);

/* Writes the RRset of v as one RRset in section sec of d, every record
 * with TTL ttl and owner owner (NULL: the blob's owner).  Returns what
 * dns_wr_rrset_end returns (0 kept, -EMSGSIZE rolled back), or -EBADMSG
 * for a corrupt blob (nothing kept). */
int rrset_write(struct dns_wr *d, int sec, const struct rrset_view *v, const uint8_t *owner,
                uint32_t ttl);

#endif
