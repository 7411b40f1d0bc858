/*
 * dnsd configuration: built-in defaults, /etc/labnet/dnsd.conf (INI) and
 * command-line overrides, validated as a whole.
 *
 *   [server]   listen, threads, allow, refuse, deny, rate-limit,
 *              rate-limit-slip, edns-size, tcp-idle-timeout,
 *              max-tcp-connections, max-pending, user, pid-file, state-dir
 *   [resolver] root-hints, timeout, max-referrals, max-cname,
 *              max-upstream, use-0x20, prefetch
 *   [cache]    size, min-ttl, max-ttl, neg-max-ttl, serve-stale
 *   [local]    zones, hosts-file, record (repeatable)
 *   [update]   key (repeatable), zones, allow
 *   [forward NAME.]  servers
 *
 * A struct dnsd_conf is immutable once loaded and shared by the worker
 * threads through a reference count; a reload builds a new one and each
 * worker switches to it between queries.  It owns the local data and the
 * rate-limit table made from it.
 */
#ifndef LABNET_DNSD_CONF_H
#define LABNET_DNSD_CONF_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/addr.h"
#include "common/config.h"
#include "common/dns_tsig.h"
#include "dnsd/acl.h"
#include "dnsd/resolver.h"

#define DNSD_MAX_LISTEN    16
#define DNSD_MAX_THREADS   256
#define DNSD_MAX_FORWARDS  64
#define DNSD_MAX_RECORDS   1024 /* "record =" lines in the file */
#define DNSD_DEFAULT_PORT  5353
#define DNSD_MAX_KEYS      32 /* [update] key lines */
#define DNSD_MAX_UPD_ZONES 64
#define DNSD_STATE_DIR     "/var/lib/labnet"
/* Queries in resolution per worker thread (Unbound's
 * num-queries-per-thread is 1024 too): each holds an upstream socket and
 * ~15 KiB until its answer or its deadline. */
#define DNSD_DEFAULT_MAX_PENDING 1024

struct localzone;
struct ratelimit;

/* [update]: who may change which local zones (RFC 2136, RFC 8945). */
struct dnsd_update_conf {
    struct dns_tsig_key keys[DNSD_MAX_KEYS]; /* none: every update refused */
    size_t n_keys;
    uint8_t zones[DNSD_MAX_UPD_ZONES][DNS_NAME_MAXLEN]; /* lower case */
    size_t n_zones;
    struct acl acl; /* allow = may send updates */
};

struct dnsd_conf {
    atomic_int refs;
    struct net_addr listen[DNSD_MAX_LISTEN];
    size_t n_listen;
    unsigned threads;
    struct acl acl;
    uint32_t rate_limit; /* queries/s per client address, 0 = off */
    uint32_t rate_limit_slip;
    uint16_t edns_size; /* our UDP payload limit (RFC 6891 6.2.5) */
    uint64_t tcp_idle_ms;
    uint64_t max_tcp;
    uint32_t max_pending; /* queries in resolution per worker, UDP and TCP */
    char user[64];
    char pid_file[4096];
    char state_dir[4096];  /* dnsd-dynamic.zone lives here */
    char root_hints[4096]; /* "" = built-in */
    struct resolver_config resolver;
    struct resolver_forward forwards[DNSD_MAX_FORWARDS];
    size_t n_forwards;
    struct dns_cache_config cache;
    struct dnsd_update_conf update;
    struct localzone *local; /* never NULL once loaded */
    struct ratelimit *rl;    /* NULL when rate_limit is 0 */
    struct cfg *cfg;         /* kept for error messages; freed with the conf */
};

/* Command-line overrides; zero / NULL = not given. */
struct dnsd_overrides {
    const char *listen[DNSD_MAX_LISTEN]; /* replace [server] listen */
    size_t n_listen;
    const char *allow[ACL_MAX_RULES]; /* added to the allow rules */
    size_t n_allow;
    const char *root_hints;
    unsigned threads;
};

/* Loads defaults, then path (may be NULL: built-in defaults), then ov (may
 * be NULL).  On success returns 0 and a conf with one reference.
 * Otherwise writes every error, one a line naming file:line, to errf
 * (may be NULL) and returns -EINVAL (or -ENOMEM). */
int dnsd_conf_load(const char *path, const struct dnsd_overrides *ov, FILE *errf,
                   struct dnsd_conf **out);

/* The same from text in memory (name stands for the file in messages),
 * for tests. */
int dnsd_conf_load_string(const char *name, const char *text, const struct dnsd_overrides *ov,
                          FILE *errf, struct dnsd_conf **out);

struct dnsd_conf *dnsd_conf_retain(struct dnsd_conf *c);
void dnsd_conf_release(struct dnsd_conf *c); /* NULL ok */

#endif
