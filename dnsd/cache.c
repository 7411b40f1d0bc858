#include "dnsd/cache.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/dns_name.h"

/* Shards: enough that worker threads rarely meet on one lock. */
#define NSHARDS      16
#define MIN_BUCKETS  64
#define DEFAULT_MAX  (32u << 20)
#define MALLOC_OVERH 16 /* per-allocation bookkeeping glibc adds */

struct centry {
    struct centry *hnext;
    struct centry *lprev, *lnext; /* LRU: head is most recent */
    uint32_t hash;
    uint16_t type, rclass;
    bool negative;
    bool prefetched;
    uint8_t rank;
    uint64_t expire;   /* clock seconds */
    uint32_t orig_ttl; /* for the prefetch window */
    size_t bytes;      /* accounted size */
    size_t key_len;    /* data[0..key_len): the key name as given */
    size_t blob_len;   /* data[key_len..): the blob (SOA for negatives) */
    uint8_t data[];
};

struct shard {
    pthread_mutex_t lock;
    struct centry **buckets;
    size_t nbuckets, count, bytes, limit;
    struct centry *lru_head, *lru_tail;
};

struct dns_cache {
    struct dns_cache_config cfg;
    uint64_t (*now)(void *arg);
    void *now_arg;
    struct shard shards[NSHARDS];
};

static uint64_t clock_now(void *arg)
{
    (void)arg;
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec;
}

uint64_t dns_cache_now(const struct dns_cache *c)
{
    return c->now(c->now_arg);
}

void dns_cache_set_clock(struct dns_cache *c, uint64_t (*now)(void *arg), void *arg)
{
    c->now = now ? now : clock_now;
    c->now_arg = now ? arg : NULL;
}

struct dns_cache *dns_cache_new(const struct dns_cache_config *cfg)
{
    struct dns_cache *c = calloc(1, sizeof(*c));
    if (!c) {
        errno = ENOMEM;
        return NULL;
    }
    if (cfg)
        c->cfg = *cfg;
    if (!c->cfg.max_bytes)
        c->cfg.max_bytes = DEFAULT_MAX;
    if (!c->cfg.max_ttl)
        c->cfg.max_ttl = 86400;
    if (c->cfg.min_ttl > c->cfg.max_ttl)
        c->cfg.min_ttl = c->cfg.max_ttl;
    if (!c->cfg.neg_max_ttl)
        c->cfg.neg_max_ttl = 3600;
    if (!c->cfg.stale_ttl)
        c->cfg.stale_ttl = 30; /* RFC 8767 4 */
    if (!c->cfg.stale_max)
        c->cfg.stale_max = 86400;
    c->now = clock_now;
    for (size_t i = 0; i < NSHARDS; i++) {
        struct shard *s = &c->shards[i];
        s->limit = c->cfg.max_bytes / NSHARDS;
        s->nbuckets = MIN_BUCKETS;
        s->buckets = calloc(s->nbuckets, sizeof(struct centry *));
        if (!s->buckets || pthread_mutex_init(&s->lock, NULL) != 0) {
            free(s->buckets);
            s->buckets = NULL;
            for (size_t j = 0; j < i; j++) {
                free(c->shards[j].buckets);
                pthread_mutex_destroy(&c->shards[j].lock);
            }
            free(c);
            errno = ENOMEM;
            return NULL;
        }
        s->bytes = s->nbuckets * sizeof(struct centry *);
    }
    return c;
}

void dns_cache_free(struct dns_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < NSHARDS; i++) {
        struct shard *s = &c->shards[i];
        struct centry *e = s->lru_head;
        while (e) {
            struct centry *next = e->lnext;
            free(e);
            e = next;
        }
        free(s->buckets);
        pthread_mutex_destroy(&s->lock);
    }
    free(c);
}

const struct dns_cache_config *dns_cache_config(const struct dns_cache *c)
{
    return &c->cfg;
}

uint32_t dns_cache_clamp_ttl(const struct dns_cache *c, uint32_t ttl)
{
    if (ttl < c->cfg.min_ttl)
        ttl = c->cfg.min_ttl;
    if (ttl > c->cfg.max_ttl)
        ttl = c->cfg.max_ttl;
    return ttl;
}

/* FNV-1a over the lowercased name, the type and the class. */
static uint32_t key_hash(const uint8_t *name, uint16_t type, uint16_t rclass)
{
    uint32_t h = 2166136261u;
    size_t n = dns_name_len(name);
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = name[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (uint8_t)(ch + 32);
        h = (h ^ ch) * 16777619u;
    }
    h = (h ^ (type >> 8)) * 16777619u;
    h = (h ^ (type & 0xff)) * 16777619u;
    h = (h ^ (rclass >> 8)) * 16777619u;
    h = (h ^ (rclass & 0xff)) * 16777619u;
    return h;
}

static struct shard *shard_of(struct dns_cache *c, uint32_t h)
{
    return &c->shards[h >> 28];
}

static void lru_unlink(struct shard *s, struct centry *e)
{
    if (e->lprev)
        e->lprev->lnext = e->lnext;
    else
        s->lru_head = e->lnext;
    if (e->lnext)
        e->lnext->lprev = e->lprev;
    else
        s->lru_tail = e->lprev;
    e->lprev = e->lnext = NULL;
}

static void lru_push(struct shard *s, struct centry *e)
{
    e->lprev = NULL;
    e->lnext = s->lru_head;
    if (s->lru_head)
        s->lru_head->lprev = e;
    s->lru_head = e;
    if (!s->lru_tail)
        s->lru_tail = e;
}

static struct centry **find_slot(struct shard *s, uint32_t h, const uint8_t *name, uint16_t type,
                                 uint16_t rclass)
{
    struct centry **pp = &s->buckets[h & (s->nbuckets - 1)];
    for (; *pp; pp = &(*pp)->hnext) {
        struct centry *e = *pp;
        if (e->hash == h && e->type == type && e->rclass == rclass && dns_name_eq(e->data, name))
            return pp;
    }
    return pp;
}

static void entry_drop(struct shard *s, struct centry **slot)
{
    struct centry *e = *slot;
    *slot = e->hnext;
    lru_unlink(s, e);
    s->count--;
    s->bytes -= e->bytes;
    free(e);
}

static void entry_evict(struct shard *s, struct centry *e)
{
    struct centry **pp = &s->buckets[e->hash & (s->nbuckets - 1)];
    while (*pp && *pp != e)
        pp = &(*pp)->hnext;
    if (*pp)
        entry_drop(s, pp);
}

/* Doubles the bucket array when the load passes 1; failure to grow only
 * costs speed. */
static void maybe_grow(struct shard *s)
{
    if (s->count < s->nbuckets)
        return;
    size_t n = s->nbuckets * 2;
    struct centry **b = calloc(n, sizeof(struct centry *));
    if (!b)
        return;
    for (size_t i = 0; i < s->nbuckets; i++) {
        struct centry *e = s->buckets[i];
        while (e) {
            struct centry *next = e->hnext;
            e->hnext = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
            e = next;
        }
    }
    free(s->buckets);
    s->bytes += (n - s->nbuckets) * sizeof(struct centry *);
    s->buckets = b;
    s->nbuckets = n;
}

static int insert(struct dns_cache *c, const uint8_t *name, uint16_t type, uint16_t rclass,
                  bool negative, uint32_t ttl, uint8_t rank, const uint8_t *blob, size_t blob_len)
{
    size_t key_len = dns_name_len(name);
    struct centry *n = malloc(sizeof(*n) + key_len + blob_len);
    if (!n)
        return -ENOMEM;
    memset(n, 0, sizeof(*n));
    n->hash = key_hash(name, type, rclass);
    n->type = type;
    n->rclass = rclass;
    n->negative = negative;
    n->rank = rank;
    n->orig_ttl = ttl;
    n->key_len = key_len;
    n->blob_len = blob_len;
    memcpy(n->data, name, key_len);
    if (blob_len)
        memcpy(n->data + key_len, blob, blob_len);
    n->bytes = malloc_usable_size(n) + MALLOC_OVERH;
    uint64_t now = dns_cache_now(c);
    n->expire = now + ttl;

    struct shard *s = shard_of(c, n->hash);
    if (n->bytes > s->limit) {
        free(n);
        return -E2BIG;
    }
    pthread_mutex_lock(&s->lock);
    struct centry **slot = find_slot(s, n->hash, name, type, rclass);
    if (*slot) {
        struct centry *old = *slot;
        /* RFC 2181 5.4.1: live data is replaced only by data at least as
         * credible; expired data by anything. */
        if (old->expire > now && old->rank > rank) {
            pthread_mutex_unlock(&s->lock);
            free(n);
            return 1;
        }
        entry_drop(s, slot);
        slot = find_slot(s, n->hash, name, type, rclass);
    }
    n->hnext = *slot;
    *slot = n;
    lru_push(s, n);
    s->count++;
    s->bytes += n->bytes;
    maybe_grow(s);
    while (s->bytes > s->limit && s->lru_tail && s->lru_tail != n)
        entry_evict(s, s->lru_tail);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

/* Rewrites the TTL field of a blob copy (the owner is uncompressed, so
 * the fixed fields follow it directly). */
static void blob_set_ttl(uint8_t *b, uint32_t ttl)
{
    uint8_t *p = b + dns_name_len(b) + 4;
    p[0] = (uint8_t)(ttl >> 24);
    p[1] = (uint8_t)(ttl >> 16);
    p[2] = (uint8_t)(ttl >> 8);
    p[3] = (uint8_t)ttl;
}

int dns_cache_put(struct dns_cache *c, const uint8_t *blob, size_t len, uint8_t rank)
{
    struct rrset_view v;
    if (rrset_view(blob, len, &v) < 0 || v.nrr == 0)
        return -EBADMSG;
    uint32_t ttl = dns_cache_clamp_ttl(c, v.ttl);
    return insert(c, v.owner, v.type, v.rclass, false, ttl, rank, blob, len);
}

int dns_cache_put_negative(struct dns_cache *c, const uint8_t *name, uint16_t type, uint16_t rclass,
                           uint32_t ttl, uint8_t rank, const uint8_t *soa, size_t soa_len)
{
    struct rrset_view v;
    if (soa && (rrset_view(soa, soa_len, &v) < 0 || v.type != DNS_TYPE_SOA))
        return -EBADMSG;
    /* RFC 2308 5: negative answers are cached no longer than configured,
     * and within the general clamps. */
    if (ttl > c->cfg.neg_max_ttl)
        ttl = c->cfg.neg_max_ttl;
    if (ttl < c->cfg.min_ttl)
        ttl = c->cfg.min_ttl;
    return insert(c, name, type, rclass, true, ttl, rank, soa, soa ? soa_len : 0);
}

int dns_cache_get(struct dns_cache *c, const uint8_t *name, uint16_t type, uint16_t rclass,
                  int flags, uint8_t *buf, size_t cap, struct dns_cache_entry *out)
{
    uint32_t h = key_hash(name, type, rclass);
    struct shard *s = shard_of(c, h);
    uint64_t now = dns_cache_now(c);
    pthread_mutex_lock(&s->lock);
    struct centry **slot = find_slot(s, h, name, type, rclass);
    struct centry *e = *slot;
    if (!e) {
        pthread_mutex_unlock(&s->lock);
        return 0;
    }
    bool stale = false;
    if (e->expire <= now) {
        bool keep = c->cfg.serve_stale && now - e->expire < c->cfg.stale_max;
        if (!keep)
            entry_drop(s, slot);
        if (!keep || !(flags & DNS_CACHE_STALE_OK)) {
            pthread_mutex_unlock(&s->lock);
            return 0;
        }
        stale = true;
    }
    if (e->blob_len > cap) {
        pthread_mutex_unlock(&s->lock);
        return -EMSGSIZE;
    }
    memcpy(buf, e->data + e->key_len, e->blob_len);
    memset(out, 0, sizeof(*out));
    out->negative = e->negative;
    out->rank = e->rank;
    out->stale = stale;
    out->ttl = stale ? c->cfg.stale_ttl : (uint32_t)(e->expire - now);
    /* Prefetch once per entry, when hit in the last tenth of its TTL. */
    if (!stale && !e->prefetched && e->orig_ttl >= 10 && (uint64_t)out->ttl * 10 < e->orig_ttl) {
        e->prefetched = true;
        out->prefetch = true;
    }
    size_t blob_len = e->blob_len;
    lru_unlink(s, e);
    lru_push(s, e);
    pthread_mutex_unlock(&s->lock);
    if (blob_len) {
        blob_set_ttl(buf, out->ttl);
        if (rrset_view(buf, blob_len, &out->set) < 0)
            return 0; /* cannot happen: checked when stored */
    }
    return 1;
}

void dns_cache_remove(struct dns_cache *c, const uint8_t *name, uint16_t type, uint16_t rclass)
{
    uint32_t h = key_hash(name, type, rclass);
    struct shard *s = shard_of(c, h);
    pthread_mutex_lock(&s->lock);
    struct centry **slot = find_slot(s, h, name, type, rclass);
    if (*slot)
        entry_drop(s, slot);
    pthread_mutex_unlock(&s->lock);
}

size_t dns_cache_bytes(struct dns_cache *c)
{
    size_t n = 0;
    for (size_t i = 0; i < NSHARDS; i++) {
        pthread_mutex_lock(&c->shards[i].lock);
        n += c->shards[i].bytes;
        pthread_mutex_unlock(&c->shards[i].lock);
    }
    return n;
}

size_t dns_cache_count(struct dns_cache *c)
{
    size_t n = 0;
    for (size_t i = 0; i < NSHARDS; i++) {
        pthread_mutex_lock(&c->shards[i].lock);
        n += c->shards[i].count;
        pthread_mutex_unlock(&c->shards[i].lock);
    }
    return n;
}
