/*
 * ratelimit: per-client query rate limit, a token bucket per source IP.
 *
 * Each client address owns a bucket holding up to one second's worth of
 * queries (rate tokens), refilled at rate tokens per second.  A query
 * that finds the bucket empty is over the limit: the caller drops it, or
 * every slip-th one is answered with TC=1 (like RRL's "slip"), so a real
 * client whose address was spoofed can retry over TCP while a reflection
 * attack gains nothing.
 *
 * The table is bounded: RATELIMIT_WAYS-way set-associative with a fixed
 * number of sets, and a new client takes over the least recently seen
 * entry of its set (one idle for over a second has a full bucket anyway,
 * so forgetting it changes nothing).  Sets are found through a keyed hash
 * so that a remote party cannot aim many addresses at one set.
 *
 * One table is shared by every worker thread (SO_REUSEPORT spreads one
 * client's queries over them), guarded by striped locks.
 */
#ifndef LABNET_DNSD_RATELIMIT_H
#define LABNET_DNSD_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define RATELIMIT_WAYS 4

enum ratelimit_verdict {
    RATELIMIT_PASS, /* within the limit: serve */
    RATELIMIT_DROP, /* over: send nothing */
    RATELIMIT_SLIP, /* over: answer with TC=1 and no data */
};

struct ratelimit;

/* A table for rate queries per second per client (rate >= 1), with room
 * for about max_clients addresses (rounded up to a power of two, at least
 * 64), answering every slip-th excess query with TC (0: drop them all).
 * Returns NULL with errno ENOMEM.  Free with ratelimit_free (NULL ok). */
struct ratelimit *ratelimit_new(uint32_t rate, uint32_t slip, size_t max_clients);
void ratelimit_free(struct ratelimit *rl);

/* Charges one query from addr at now_ms (a monotonic clock in ms; a
 * clock going backwards is treated as no time passing). */
enum ratelimit_verdict ratelimit_check(struct ratelimit *rl, const struct net_addr *addr,
                                       uint64_t now_ms);

#endif
