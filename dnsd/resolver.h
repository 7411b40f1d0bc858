/*
 * resolver: the contract between labnet-dnsd's serving front (server.c:
 * sockets, ACL, EDNS, local data) and resolution (resolver.c: iteration
 * from the root hints, forward zones; cache.c: the shared RRset and
 * negative cache).
 *
 * Threads: one struct dns_cache is shared by every worker thread and is
 * safe to use from all of them at once.  Each worker thread owns one
 * struct resolver on its own uv_loop_t; a resolver and its requests are
 * used only from that loop's thread.
 *
 * Answers: the server builds the reply's header, question and OPT record;
 * the resolver writes only the answer and authority RRsets (with TTLs
 * counted down to now) and the rcode into the caller's struct dns_wr, so
 * truncation to the client's limit (TC) is the writer's, at RRset
 * granularity.  Names are written in the case they were cached in, except
 * the owner of the first answer RRset, which is written as the question
 * (so 0x20 clients see their own case).
 */
#ifndef LABNET_DNSD_RESOLVER_H
#define LABNET_DNSD_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "common/addr.h"
#include "common/dns_name.h"
#include "common/dns_write.h"

/* A field left 0 takes the default in parentheses. */
struct dns_cache_config {
    size_t max_bytes;     /* memory limit; least recently used RRsets go first */
    uint32_t min_ttl;     /* TTLs raised to at least this (default 0) */
    uint32_t max_ttl;     /* and lowered to at most this (default 86400) */
    uint32_t neg_max_ttl; /* cap on negative TTLs, RFC 2308 5 (default 3600) */
    bool serve_stale;     /* RFC 8767: answer expired data when resolution fails */
    uint32_t stale_ttl;   /* TTL given to stale answers (RFC 8767: 30) */
    uint32_t stale_max;   /* how long past expiry data may be served (default 86400) */
};

/* Returns a cache, or NULL with errno ENOMEM.  Free with dns_cache_free
 * once no resolver uses it. */
struct dns_cache *dns_cache_new(const struct dns_cache_config *cfg);
void dns_cache_free(struct dns_cache *c);

/* A forward zone: queries at or under zone go to these servers (with RD
 * set) instead of being iterated from the root. */
#define RESOLVER_FORWARD_MAX_SERVERS 8
struct resolver_forward {
    uint8_t zone[DNS_NAME_MAXLEN];                         /* wire form, lower case */
    struct net_addr servers[RESOLVER_FORWARD_MAX_SERVERS]; /* port 0 means 53 */
    size_t nservers;
};

/* A numeric field left 0 takes the default in parentheses. */
struct resolver_config {
    const char *root_hints;                  /* named.root-format file; NULL: built-in IANA hints */
    const struct resolver_forward *forwards; /* copied by resolver_new */
    size_t nforwards;
    unsigned timeout_ms;    /* a client gets an answer (SERVFAIL at worst) within this (3000) */
    unsigned max_referrals; /* per client query (default 30) */
    unsigned max_cname;     /* CNAME/DNAME chain length (default 12) */
    unsigned max_upstream;  /* upstream queries per client query (default 64) */
    bool use_0x20;          /* randomise the case of upstream questions */
    bool prefetch;          /* refresh popular RRsets hit in the last 10% of their TTL */
    /* Port for servers learned from the root hints and from referrals (0:
     * 53).  Only tests set it, to run a private hierarchy of fake
     * authoritative servers on 127.0.0.x without binding port 53.
     * Forward servers carry their own port. */
    uint16_t upstream_port;
};

/* Counters of one resolver (its thread's share of the work). */
struct resolver_stats {
    uint64_t queries;          /* resolutions started (coalesced ones not counted) */
    uint64_t coalesced;        /* requests that joined a resolution in flight */
    uint64_t cache_hits;       /* answered by resolver_cached */
    uint64_t upstream_udp;     /* upstream queries sent over UDP */
    uint64_t upstream_tcp;     /* ... retried over TCP after TC */
    uint64_t upstream_ignored; /* replies dropped: wrong source, ID or question */
    uint64_t upstream_timeouts;
    uint64_t servfail;      /* resolutions that ended in SERVFAIL */
    uint64_t stale_answers; /* RFC 8767 answers given instead of SERVFAIL */
    uint64_t prefetches;
};

struct resolver;
struct resolver_req;
struct resolver_answer;

/* Creates a resolver on loop using cache (not owned).  Root hints are read
 * here: on error returns NULL and writes a one-line reason naming the file
 * and line into err[0..errcap). */
struct resolver *resolver_new(uv_loop_t *loop, const struct resolver_config *cfg,
                              struct dns_cache *cache, char *err, size_t errcap);

/* Cancels every request (their callbacks are not called) and closes the
 * resolver's handles; memory is released from close callbacks, so the loop
 * must run afterwards until it has no more handles. */
void resolver_close(struct resolver *r);

/* Fast path: if the cache can answer (qname, qtype, qclass) completely
 * (positive, CNAME chain, or negative), writes the answer and authority
 * RRsets into d, sets d->hdr.rcode, and returns 1.  Returns 0 on a miss
 * (d untouched).  Never starts network work, except a prefetch. */
int resolver_cached(struct resolver *r, const uint8_t *qname, uint16_t qtype, uint16_t qclass,
                    struct dns_wr *d);

/* Called once per request, on the loop's thread, with the answer (valid
 * only during the call; never NULL: failures are SERVFAIL answers). */
typedef void (*resolver_done_cb)(void *arg, const struct resolver_answer *a);

/* Starts resolving; identical questions in flight share one resolution.
 * *req (may be NULL) gets a handle for resolver_cancel, valid until the
 * callback runs.  The callback is never called from inside this function.
 * Returns 0, or -ENOMEM. */
int resolver_resolve(struct resolver *r, const uint8_t *qname, uint16_t qtype, uint16_t qclass,
                     resolver_done_cb cb, void *arg, struct resolver_req **req);

/* The callback of req will not be called (the client went away). */
void resolver_cancel(struct resolver_req *req);

/* Writes a's answer and authority RRsets into d and sets d->hdr.rcode.
 * Returns 0, or the writer's error. */
int resolver_answer_write(const struct resolver_answer *a, struct dns_wr *d);
uint8_t resolver_answer_rcode(const struct resolver_answer *a);

/* Copies r's counters into *s. */
void resolver_stats_get(const struct resolver *r, struct resolver_stats *s);

#endif
