/*
 * cache: the shared RRset and negative cache of labnet-dnsd (internal to
 * dnsd; dns_cache_new/free are declared in resolver.h).
 *
 * Entries are keyed by (owner without case, TYPE, CLASS).  An entry holds
 * either a positive RRset (an rrset.h blob), or a negative answer: NODATA
 * for that type, or NXDOMAIN for the whole name, kept under the pseudo-type
 * DNS_CACHE_NXDOMAIN (0) (RFC 2308 5).  A negative entry's blob is the SOA
 * RRset of the authority section.
 *
 * Threads: the table is split into shards, each behind its own mutex; a
 * lookup copies the entry out under the lock, so nothing returned points
 * into the cache.  Memory: every entry's real allocation size is counted
 * against max_bytes (split evenly between the shards) and the least
 * recently used entries of a shard are evicted first.
 *
 * Time is whole seconds of a monotonic clock; tests replace the clock with
 * dns_cache_set_clock.
 */
#ifndef LABNET_DNSD_CACHE_H
#define LABNET_DNSD_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnsd/resolver.h"
#include "dnsd/rrset.h"

/* The pseudo-type an NXDOMAIN entry is kept under (TYPE 0 is reserved,
 * RFC 6895 3.1, so no real RRset collides with it). */
#define DNS_CACHE_NXDOMAIN 0

/* Credibility (RFC 2181 5.4.1), lowest first.  Data of a lower rank never
 * replaces live data of a higher rank. */
enum dns_cache_rank {
    DNS_RANK_ADDITIONAL = 1,     /* glue and other additional-section data */
    DNS_RANK_AUTHORITY = 2,      /* authority section of a non-authoritative reply (referral NS) */
    DNS_RANK_ANSWER = 3,         /* answer section of a non-authoritative reply (forwarder) */
    DNS_RANK_AUTH_AUTHORITY = 4, /* authority section of an authoritative answer */
    DNS_RANK_AUTH_ANSWER = 5,    /* answer section of an authoritative answer */
};

/* What a lookup copies out. */
struct dns_cache_entry {
    bool negative;         /* NODATA (type as asked) or NXDOMAIN */
    uint8_t rank;          /* enum dns_cache_rank */
    uint32_t ttl;          /* remaining seconds (stale_ttl for stale data) */
    bool stale;            /* expired, returned under DNS_CACHE_STALE_OK */
    bool prefetch;         /* first hit in the last 10% of the TTL: refresh it */
    struct rrset_view set; /* into the caller's buffer; nrr 0 if a negative entry has no SOA */
};

#define DNS_CACHE_STALE_OK 1 /* return expired data within stale_max (RFC 8767) */

/* Stores an RRset: blob is an rrset.h blob (copied); its TTL is clamped to
 * [min_ttl, max_ttl].  Live data of a higher rank is kept instead (returns
 * 1); otherwise returns 0.  -ENOMEM, -EBADMSG for a bad blob, -E2BIG for
 * an entry larger than a shard's share of max_bytes. */
int dns_cache_put(struct dns_cache *c, const uint8_t *blob, size_t len, uint8_t rank);

/* Stores a negative answer for (name, type, rclass); type
 * DNS_CACHE_NXDOMAIN for NXDOMAIN.  soa is the SOA blob (may be NULL:
 * nothing for the authority section) and ttl the negative TTL, capped at
 * neg_max_ttl (RFC 2308 5).  Returns as dns_cache_put. */
int dns_cache_put_negative(struct dns_cache *c, const uint8_t *name, uint16_t type, uint16_t rclass,
                           uint32_t ttl, uint8_t rank, const uint8_t *soa, size_t soa_len);

/* Looks up (name, type, rclass); on a hit copies the blob into buf[0..cap)
 * and fills *e (views into buf), and marks the entry most recently used.
 * Returns 1 hit, 0 miss (expired data counts as a miss unless flags has
 * DNS_CACHE_STALE_OK and serve_stale is on), -EMSGSIZE if buf is too
 * small. */
int dns_cache_get(struct dns_cache *c, const uint8_t *name, uint16_t type, uint16_t rclass,
                  int flags, uint8_t *buf, size_t cap, struct dns_cache_entry *e);

/* Removes (name, type, rclass) if present. */
void dns_cache_remove(struct dns_cache *c, const uint8_t *name, uint16_t type, uint16_t rclass);

/* Bytes and entries currently accounted. */
size_t dns_cache_bytes(struct dns_cache *c);
size_t dns_cache_count(struct dns_cache *c);

/* The configuration in force (defaults filled in). */
const struct dns_cache_config *dns_cache_config(const struct dns_cache *c);

/* Clamps a TTL to the configured [min_ttl, max_ttl]. */
uint32_t dns_cache_clamp_ttl(const struct dns_cache *c, uint32_t ttl);

/* Replaces the clock (seconds, monotonic) for tests; NULL restores the
 * default.  Set before any thread uses the cache. */
void dns_cache_set_clock(struct dns_cache *c, uint64_t (*now)(void *arg), void *arg);

uint64_t dns_cache_now(const struct dns_cache *c);

#endif
